// End-to-end (issue 7): the visit as patients and providers expect it, in
// real Chromium through a real telehealthd, asserting what people see:
//   - the device check (camera, microphone level, test sound) and plain help
//     when the camera is blocked or there is none;
//   - consent: declining shows the phone number, agreeing is recorded with
//     the text's version and appears in the visit's timeline;
//   - the waiting room: the patient's place in line, the provider alerted
//     (in-page line, title badge, desktop notification naming the patient);
//   - in the visit: chat both ways and in the timeline, mute/camera state
//     seen by the other side, the visit timer, sound only and back (video
//     stops and resumes, the modality recorded), and the quality indicator
//     turning poor (with sound only suggested) when loopback loses UDP packets.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startServer, fetchJson, waitFor, launchParticipant, openConsoleAndAdmit, joinAsPatient,
  waitForState, assertMediaFlowing, rtpStats, acceptConsent, openConsole,
  endVisit,
} from './lib.mjs';

let server;

before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

async function newVisit(name) {
  const session = await server.login();
  const created = await fetchJson(`${server.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: name } });
  assert.equal(created.status, 201, created.text);
  return { session, ...created.json };
}

async function timelineOf(session, visitId) {
  const res = await fetchJson(`${server.baseUrl}/api/visits/${visitId}`, { session });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

function diagnostics(...participants) {
  const lines = participants.map((p) => `\n${p.name}: page errors ${JSON.stringify(p.pageErrors)} console errors ${JSON.stringify(p.consoleErrors.slice(-8))}`);
  return `${lines.join('')}\n--- telehealthd stderr (tail) ---\n${server.stderrTail(40)}`;
}

// The provider has allowed desktop alerts (as after pressing "Turn on sound
// and desktop alerts"). Granting replaces the origin's permissions, so camera
// and microphone are granted again with it. The page records each
// notification it shows in window.__thNotifications.
async function allowAndRecordNotifications(provider) {
  await provider.context.grantPermissions(['notifications', 'camera', 'microphone'], { origin: server.baseUrl });
  await provider.context.addInitScript(() => {
    const Real = window.Notification;
    window.__thNotifications = [];
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.__thNotifications.push({ title, body: options && options.body });
      }
    };
  });
}

// Puts another tab in front of the console (Playwright makes every page
// report focus; that is turned off for this one). Resolves a function that
// brings the console back.
async function lookElsewhere(participant) {
  const cdp = await participant.context.newCDPSession(participant.page);
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
  const elsewhere = await participant.context.newPage();
  await elsewhere.bringToFront();
  return async () => {
    await participant.page.bringToFront();
    await elsewhere.close();
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });
  };
}

const text = (page, testid) => page.locator(`[data-testid="${testid}"]`).innerText();

test('device check: camera, microphone level, test sound', { timeout: 60000 }, async () => {
  const { patient_url: url } = await newVisit('Dana Devices');
  const patient = await launchParticipant('devcheck', { server, extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
  try {
    await patient.page.goto(url, { waitUntil: 'load' });
    const { page } = patient;
    await waitFor(async () => (await page.getAttribute('[data-testid="camera-status"]', 'data-ok')) === 'true',
      { timeout: 15000, what: 'camera reported working' });
    // Chrome's fake microphone beeps: the meter must see it.
    await waitFor(async () => (await page.getAttribute('[data-testid="mic-status"]', 'data-ok')) === 'true',
      { timeout: 15000, what: 'microphone heard' });
    assert.match(await text(page, 'mic-status'), /we can hear you/i);
    await page.click('[data-testid="speaker-test"]');
    await page.locator('[data-testid="speaker-question"]').waitFor({ state: 'visible' });
    await page.click('[data-testid="speaker-no"]');
    assert.match(await text(page, 'speaker-status'), /turn up the volume/i);
    await page.click('[data-testid="speaker-test"]');
    await page.click('[data-testid="speaker-yes"]');
    assert.match(await text(page, 'speaker-status'), /working/i);
    assert.ok(await page.locator('[data-testid="device-help"]').isHidden(), 'no device help when all works');
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
  }
});

test('device check: a blocked camera and a missing camera get plain help', { timeout: 90000 }, async () => {
  const { patient_url: url } = await newVisit('Bea Blocked');
  // Blocked: no fake "allow" UI, and every permission prompt denied.
  const blocked = await launchParticipant('blocked', {
    server, dropArgs: ['--use-fake-ui-for-media-stream'], extraArgs: ['--deny-permission-prompts'],
  });
  try {
    await blocked.page.goto(url, { waitUntil: 'load' });
    const help = blocked.page.locator('[data-testid="device-help"]');
    await help.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await help.getAttribute('data-problem'), 'blocked');
    assert.match(await help.innerText(), /address bar/i);
    assert.match(await help.innerText(), /allow/i);
    assert.ok(await blocked.page.locator('[data-testid="retry-devices"]').isVisible(), 'a Try again button');
    assert.deepEqual(blocked.pageErrors, []);
  } finally {
    await blocked.close();
  }
  // Missing: this machine has no camera or microphone without the fakes.
  const missing = await launchParticipant('missing', { server, dropArgs: ['--use-fake-device-for-media-stream'] });
  try {
    await missing.page.goto(url, { waitUntil: 'load' });
    const help = missing.page.locator('[data-testid="device-help"]');
    await help.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await help.getAttribute('data-problem'), 'missing');
    assert.match(await help.innerText(), /could not find a camera/i);
    assert.deepEqual(missing.pageErrors, []);
  } finally {
    await missing.close();
  }
});

test('consent: declining shows the phone number, agreeing is recorded', { timeout: 60000 }, async () => {
  const { session, visit_id: visitId, patient_url: url } = await newVisit('Casey Consent');
  const patient = await launchParticipant('consent', { server });
  try {
    const { page } = patient;
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('[data-testid="consent-accept"]').waitFor({ state: 'visible' });
    assert.match(await text(page, 'consent-text'), /not recorded/i, 'the configured (built-in) text is shown');
    assert.ok(!(await page.locator('[data-testid="join"]').isEnabled()), 'no Join before consent');
    await page.click('[data-testid="consent-decline"]');
    await waitFor(async () => /\(555\) 010-0100/.test(await text(page, 'consent-status')),
      { what: 'the phone number from the config' });
    assert.ok(!(await page.locator('[data-testid="join"]').isEnabled()), 'still no Join after declining');
    // Changing one's mind is allowed, and both answers are kept.
    await page.click('[data-testid="consent-change"]');
    await acceptConsent(page);
    await waitFor(() => page.locator('[data-testid="join"]').isEnabled(), { what: 'Join enabled after agreeing' });

    const visit = await timelineOf(session, visitId);
    const answers = visit.timeline.filter((e) => e.kind === 'consent');
    assert.deepEqual(answers.map((a) => [a.decision, a.version, a.role]),
      [['declined', 'default-1', 'patient'], ['accepted', 'default-1', 'patient']]);
    assert.ok(answers.every((a) => Date.parse(a.at) > 0), 'answers carry their time');
    // A stale version is refused: agreeing to a text one did not see is no consent.
    const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token');
    const stale = await fetchJson(`${server.baseUrl}/api/consent`, { token, method: 'POST', body: { version: 'old', decision: 'accepted' } });
    assert.equal(stale.status, 409, stale.text);
    assert.equal(stale.json.error.code, 'consent-changed');
    const bad = await fetchJson(`${server.baseUrl}/api/consent`, { token, method: 'POST', body: { version: 'default-1', decision: 'maybe' } });
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
  }
});

test('waiting room alerts, chat, media state, timer, sound only and back', { timeout: 180000 }, async (t) => {
  const { session, visit_id: visitId, patient_url: patientUrl, provider_url: providerUrl } = await newVisit('Wren Waiting');
  const [patient, provider] = await Promise.all([
    launchParticipant('patient', { server }),
    launchParticipant('provider', { server, extraArgs: ['--autoplay-policy=no-user-gesture-required'] }),
  ]);
  try {
    await allowAndRecordNotifications(provider);
    // The provider opens the visit first and sees nobody waiting.
    await openConsole(provider, providerUrl, server.demo.provider_login);
    await provider.page.locator('[data-testid="visit-state"][data-state="scheduled"]').waitFor();
    const baseTitle = await provider.page.title();

    // The provider looks at another tab while the patient arrives.
    const back = await lookElsewhere(provider);
    await joinAsPatient(patient, patientUrl);
    const queue = patient.page.locator('[data-testid="queue"]');
    await queue.waitFor({ state: 'visible' });
    await waitFor(async () => (await queue.getAttribute('data-provider-present')) === 'true', { what: 'provider present' });
    assert.match(await queue.innerText(), /next in line/i);
    assert.match(await queue.innerText(), /knows you are here/i);

    const alert = provider.page.locator('[data-testid="waiting-alert"]');
    await alert.waitFor({ state: 'visible' });
    assert.match(await alert.innerText(), /Wren Waiting is waiting/);
    await waitFor(async () => /^\(1\) /.test(await provider.page.title()), { what: 'title badge' });
    assert.equal(await alert.getAttribute('data-sound'), 'played');
    const notes = await provider.page.evaluate(() => window.__thNotifications);
    const seen = await provider.page.evaluate(() => ({ vis: document.visibilityState, focus: document.hasFocus(), perm: Notification.permission, notified: document.querySelector('[data-testid="waiting-alert"]').dataset.notified }));
    assert.equal(notes.length, 1, `${JSON.stringify(notes)} ${JSON.stringify(seen)}`);
    assert.match(notes[0].body, /Wren Waiting/);
    assert.equal(await alert.getAttribute('data-notified'), 'true');
    await back();
    t.diagnostic(`alerted: "${await provider.page.title()}", notification ${JSON.stringify(notes[0])}`);

    await provider.page.click('[data-testid="admit"]');
    await Promise.all([waitForState(patient, 'in_progress'), waitForState(provider, 'in_progress')]);
    await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    assert.equal(await provider.page.title(), baseTitle, 'badge gone once nobody waits');

    // Chat, both ways.
    await patient.page.fill('[data-testid="chat-input"]', 'Hello, can you hear me?');
    await patient.page.click('[data-testid="chat-send"]');
    await provider.page.locator('[data-testid="chat-log"] >> text=Hello, can you hear me?').waitFor();
    await provider.page.fill('[data-testid="chat-input"]', 'Yes. Take 10 mg each morning.');
    await provider.page.keyboard.press('Enter');
    await patient.page.locator('[data-testid="chat-log"] >> text=Take 10 mg each morning.').waitFor();
    assert.match(await patient.page.locator('[data-testid="chat-log"] li').first().innerText(), /You/);

    // The timer runs.
    const secs = async (page) => Number(await page.getAttribute('[data-testid="visit-timer"]', 'data-seconds'));
    const s0 = await secs(patient.page);
    await sleep(2200);
    assert.ok(await secs(patient.page) >= s0 + 2, 'the visit timer counts');
    assert.match(await text(provider.page, 'visit-timer'), /^Visit time \d\d:\d\d$/);

    // Mute and camera off: the provider sees it.
    await patient.page.click('[data-testid="mute"]');
    await provider.page.locator('[data-testid="peer-media"] >> text=microphone is off').waitFor();
    await patient.page.click('[data-testid="camera"]');
    await provider.page.locator('[data-testid="peer-media"] >> text=camera is off').waitFor();
    await patient.page.click('[data-testid="mute"]');
    await patient.page.click('[data-testid="camera"]');
    await waitFor(() => provider.page.locator('[data-testid="peer-media"]').isHidden(), { what: 'all back on' });

    // Sound only, chosen by the patient: everyone's video stops.
    await patient.page.click('[data-testid="audio-only"]');
    for (const p of [patient, provider]) {
      await waitFor(async () => (await p.page.getAttribute('[data-testid="modality"]', 'data-modality')) === 'audio-only',
        { what: `${p.name} shows sound only` });
    }
    // Frames decoded so far: the statistics must be there (a page whose
    // video statistics vanished must not pass as "video stopped").
    const framesNow = async (p) => {
      const st = await rtpStats(p.page);
      const v = st.inbound && st.inbound.video;
      assert.ok(st.peer && v && v.packetsReceived > 0, `${p.name}: inbound video statistics: ${JSON.stringify(st)}`);
      return v.framesDecoded;
    };
    await sleep(1500);
    const [a0, b0] = [await framesNow(provider), await framesNow(patient)];
    assert.ok(a0 > 0 && b0 > 0, `frames were decoded before sound only (provider ${a0}, patient ${b0})`);
    await sleep(2500);
    const [a1, b1] = [await framesNow(provider), await framesNow(patient)];
    assert.ok(a1 - a0 <= 2 && b1 - b0 <= 2, `video stopped both ways (provider ${a0}->${a1}, patient ${b0}->${b1})`);
    const audioIn = async (p) => (await rtpStats(p.page)).inbound.audio?.packetsReceived || 0;
    const au0 = await audioIn(provider);
    await sleep(1000);
    assert.ok(await audioIn(provider) > au0, 'sound still flows');
    let visit = await timelineOf(session, visitId);
    assert.equal(visit.modality, 'audio-only', 'the visit is recorded as audio-only now');
    // Prescribing rules read it: no controlled substance in an audio-only visit.
    const refused = await fetchJson(`${server.baseUrl}/api/visits/${visitId}/adjustments`, {
      session, method: 'POST',
      body: { kind: 'start', medication: 'methylphenidate-ir', dose: 10, frequency: 'twice-daily', reason: 'ADHD' },
    });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.rule, 'controlled-audio-only');

    // Back to video, chosen by the provider.
    await provider.page.click('[data-testid="audio-only"]');
    await waitFor(async () => (await patient.page.getAttribute('[data-testid="modality"]', 'data-modality')) === 'video',
      { what: 'patient shows video again' });
    await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    visit = await timelineOf(session, visitId);
    assert.equal(visit.modality, 'video');
    const kinds = visit.timeline.map((e) => e.kind);
    const chats = visit.timeline.filter((e) => e.kind === 'chat');
    assert.deepEqual(chats.map((c) => [c.role, c.text]),
      [['patient', 'Hello, can you hear me?'], ['provider', 'Yes. Take 10 mg each morning.']]);
    assert.deepEqual(visit.timeline.filter((e) => e.kind === 'modality').map((e) => [e.modality, e.role]),
      [['audio-only', 'patient'], ['video', 'provider']]);
    assert.ok(kinds.indexOf('admit') < kinds.indexOf('chat'), 'the timeline is in order');

    // The chat history comes back after a reload.
    await patient.page.reload({ waitUntil: 'load' });
    await patient.page.locator('[data-testid="chat-log"] >> text=Take 10 mg each morning.').waitFor({ timeout: 20000 });

    await endVisit(provider.page);
    await waitForState(provider, 'ended');

    // The patient's timeline page shows the visit's chat and its switches.
    const patientId = (await fetchJson(`${server.baseUrl}/api/visits/${visitId}/record`, { session })).json.patient.id;
    await provider.page.goto(`${server.baseUrl}/timeline.html#patient=${patientId}`, { waitUntil: 'load' });
    const activity = provider.page.locator(`[data-testid="timeline-activity-${visitId}"]`);
    await activity.waitFor({ timeout: 15000 });
    const activityText = await activity.innerText();
    assert.match(activityText, /Hello, can you hear me\?/);
    assert.match(activityText, /switched the visit to sound only/);
    assert.match(activityText, /agreed to the video visit/);
    assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], []);
  } catch (err) {
    err.message += diagnostics(patient, provider);
    err.message += `\nprovider stats ${JSON.stringify(await rtpStats(provider.page).catch(() => null))}`;
    err.message += `\npatient stats ${JSON.stringify(await rtpStats(patient.page).catch(() => null))}`;
    throw err;
  } finally {
    await Promise.all([patient.close(), provider.close()]);
  }
});

test('a patient waiting for another of today\'s visits alerts the console too', { timeout: 90000 }, async () => {
  const open = await newVisit('Olive Open');
  const other = await newVisit('Theo Other');
  const [patient, provider] = await Promise.all([
    launchParticipant('patient', { server }), launchParticipant('provider', { server }),
  ]);
  try {
    await allowAndRecordNotifications(provider);
    await openConsole(provider, open.provider_url, server.demo.provider_login);
    await provider.page.locator('[data-testid="visit-state"][data-state="scheduled"]').waitFor();
    await lookElsewhere(provider);
    await joinAsPatient(patient, other.patient_url);
    const notes = await waitFor(async () => {
      const n = await provider.page.evaluate(() => window.__thNotifications);
      return n.length > 0 && n;
    }, { timeout: 25000, what: 'a notification for the other visit' });
    assert.match(notes[0].body, /Theo Other is waiting/);
    assert.match(await provider.page.title(), /^\(1\) Waiting:/);
    const badge = provider.page.locator(`[data-visit="${other.visit_id}"] .badge`);
    assert.match(await badge.innerText(), /waiting/i);
    assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], []);
  } finally {
    await Promise.all([patient.close(), provider.close()]);
  }
});

// Drops `percent` % of UDP packets (the media; signaling is TCP) arriving
// on this test's own loopback: the namespace has nothing else to touch.
function loseUdp(percent) {
  const nft = (...args) => execFileSync('nft', args, { stdio: 'pipe', timeout: 5000 });
  nft('add', 'table', 'inet', 'thloss');
  nft('add', 'chain', 'inet', 'thloss', 'input', '{ type filter hook input priority 0; }');
  nft('add', 'rule', 'inet', 'thloss', 'input', 'meta', 'l4proto', 'udp', 'numgen', 'random', 'mod', '100', '<', String(percent), 'drop');
  return () => execFileSync('nft', ['delete', 'table', 'inet', 'thloss'], { stdio: 'pipe', timeout: 5000 });
}

test('the quality indicator turns poor on a lossy network and suggests sound only', { timeout: 120000 }, async () => {
  const { patient_url: patientUrl, provider_url: providerUrl } = await newVisit('Lou Lossy');
  const [patient, provider] = await Promise.all([
    launchParticipant('patient', { server }), launchParticipant('provider', { server }),
  ]);
  let restore = null;
  try {
    await joinAsPatient(patient, patientUrl);
    await openConsoleAndAdmit(provider, providerUrl, { login: server.demo.provider_login });
    await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    const quality = patient.page.locator('[data-testid="quality"]');
    await waitFor(async () => (await quality.getAttribute('data-level')) === 'good', { timeout: 15000, what: 'good quality on a clean loopback' });
    // Loopback only exists in this test's namespace: netem there touches nothing else.
    restore = loseUdp(20);
    await waitFor(async () => (await quality.getAttribute('data-level')) === 'poor', { timeout: 20000, what: 'poor quality under 20% loss' });
    const suggestion = patient.page.locator('[data-testid="audio-only-suggestion"]');
    await suggestion.waitFor({ state: 'visible', timeout: 15000 });
    assert.match(await suggestion.innerText(), /sound only/i);
    restore();
    restore = null;
    await patient.page.click('[data-testid="audio-only-accept"]');
    await waitFor(async () => (await provider.page.getAttribute('[data-testid="modality"]', 'data-modality')) === 'audio-only',
      { what: 'the suggestion switched the visit to sound only' });
  } catch (err) {
    err.message += diagnostics(patient, provider);
    throw err;
  } finally {
    if (restore) { try { restore(); } catch { /* gone */ } }
    await Promise.all([patient.close(), provider.close()]);
  }
});
