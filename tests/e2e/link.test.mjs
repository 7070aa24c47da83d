// What the patient's link says (issue 13): a link opened a week early names
// the visit's time (in the clinic's zone) and provider and offers a device
// test but no Join; an ended visit's link offers nothing to join; a
// malformed or unknown link shows the clinic's phone and never turns the
// camera on; a patient who rejoins sees the provider's real microphone and
// camera; Leave releases the camera. The server's clock is fixed, so this
// passes on any date, at any hour, in any zone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { tmpdir } from 'node:os';
import WebSocket from 'ws';
import {
  startServer, launchParticipant, fetchJson, fragmentOf, waitFor, withTimeout, joinAsPatient,
  openConsoleAndAdmit, waitForState, assertMediaFlowing,
} from './lib.mjs';

const ZONE = 'America/New_York';
const NOW = '2027-01-05T10:00:00'; // Tuesday 5 January 2027, 10:00 in ZONE

let server;
let session;

before(async () => {
  server = await startServer({ now: NOW, timeZone: ZONE });
  session = await server.login();
});

after(async () => { if (server) await server.stop(); });

async function book(name, scheduledAt) {
  const res = await fetchJson(`${server.baseUrl}/api/visits`, {
    session, method: 'POST', body: { patient_name: name, scheduled_at: scheduledAt },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.json.visit_id, url: res.json.patient_url, token: fragmentOf(res.json.patient_url).token };
}

// Counts getUserMedia calls and keeps every stream it gave (to see whether
// their tracks were stopped), before any script of the page runs.
function spyOnCamera() {
  window.__gum = { calls: 0, streams: [] };
  const md = navigator.mediaDevices;
  if (!md) return; // about:blank
  const real = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints) => {
    window.__gum.calls += 1;
    const stream = await real(constraints);
    window.__gum.streams.push(stream);
    return stream;
  };
}

const cameraCalls = (page) => page.evaluate(() => window.__gum.calls);
// readyState of every track getUserMedia handed out: 'live' or 'ended'.
const trackStates = (page) => page.evaluate(() => window.__gum.streams.flatMap((s) => s.getTracks().map((t) => `${t.kind}:${t.readyState}`)));

async function launch(name) {
  const p = await launchParticipant(name, { server });
  await p.context.addInitScript(spyOnCamera);
  return p;
}

// Ends a visit as its provider would (signaling `end`).
async function endVisit(visitId) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`, { headers: { Cookie: session.cookie } });
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'ws open');
  ws.send(JSON.stringify({ type: 'hello', visit: visitId }));
  await waitFor(() => frames.find((m) => m.type === 'welcome'), { timeout: 5000, what: 'provider welcome' });
  ws.send(JSON.stringify({ type: 'end' }));
  await waitFor(() => frames.find((m) => m.type === 'bye'), { timeout: 5000, what: 'bye after end' });
  ws.close();
}

test('a link opened a week early names the time and provider, offers a device test and no Join', { timeout: 90000 }, async (t) => {
  const v = await book('Wendy Early', '2027-01-12T10:00:00-05:00');
  const patient = await launch('patient-early');
  try {
    const { page } = patient;
    await page.goto(v.url, { waitUntil: 'load' });
    const when = page.locator('[data-testid="visit-when"]');
    await when.waitFor({ state: 'visible' });
    const text = await when.innerText();
    t.diagnostic(text);
    // 10:00 in New York, whatever zone the browser runs in; [visits]
    // join_window_before_minutes = 120 opens the link at 8:00.
    assert.match(text, /^Your visit with Dr\. Demo Provider is on Tue 12 Jan at 10:00\b/);
    assert.match(text, /You can join from 8:00\.$/);
    assert.equal(await page.locator('body').getAttribute('data-link'), 'early');
    assert.ok(await page.locator('[data-testid="join"]').isHidden(), 'no Join before the link opens');
    assert.ok(await page.locator('[data-testid="consent"]').isHidden(), 'nothing to agree to yet');
    assert.ok(await page.locator('[data-testid="error"]').isHidden(), 'an early link is not an error');
    assert.equal(await cameraCalls(page), 0, 'the camera stays off until the patient asks for the test');

    // Screenshots of what the patient sees first: the time and the provider
    // inside the first screen at phone and desktop sizes.
    const dir = process.env.TH_SCREENSHOT_DIR || path.join(tmpdir(), 'th-link-shots');
    await mkdir(dir, { recursive: true });
    for (const [w, h] of [[390, 844], [1280, 800]]) {
      await page.setViewportSize({ width: w, height: h });
      const box = await when.boundingBox();
      assert.ok(box && box.y + box.height <= h, `the visit's time is on the first screen at ${w}x${h}`);
      const start = await page.locator('[data-testid="device-test-start"]').boundingBox();
      assert.ok(start && start.y + start.height <= h, `the device test is on the first screen at ${w}x${h}`);
      await page.screenshot({ path: path.join(dir, `link-early-${w}x${h}.png`) });
    }
    await page.setViewportSize({ width: 1100, height: 800 });

    // The device test: camera and microphone on the patient's click, off again after.
    await page.click('[data-testid="device-test-start"]');
    await waitFor(async () => (await page.getAttribute('[data-testid="camera-status"]', 'data-ok')) === 'true',
      { timeout: 15000, what: 'the camera to work in the test' });
    assert.ok(await page.locator('[data-testid="mic-level"]').isVisible(), 'a microphone level');
    assert.ok(await page.locator('[data-testid="local-video"]').isVisible(), 'the self-view');
    assert.ok(await page.locator('[data-testid="join"]').isHidden(), 'still no Join');
    await page.click('[data-testid="device-test-stop"]');
    await waitFor(async () => (await trackStates(page)).every((s) => s.endsWith(':ended')),
      { timeout: 5000, what: 'every camera and microphone track stopped after the test' });
    assert.ok((await trackStates(page)).length >= 2);
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
  }
});

test('an ended visit\'s link says it ended and offers nothing to join', { timeout: 60000 }, async () => {
  const v = await book('Ed Ended', '2027-01-05T09:45:00-05:00');
  await endVisit(v.id);
  const patient = await launch('patient-ended');
  try {
    const { page } = patient;
    await page.goto(v.url, { waitUntil: 'load' });
    const notice = page.locator('[data-testid="notice"]');
    await notice.waitFor({ state: 'visible' });
    assert.match(await notice.innerText(), /This visit has ended, so there is nothing to join/);
    assert.match(await page.innerText('[data-testid="visit-when"]'), /Your visit with Dr\. Demo Provider was on Tue 5 Jan at 9:45/);
    for (const id of ['join', 'consent', 'device-test-start', 'consent-accept']) {
      assert.ok(await page.locator(`[data-testid="${id}"]`).isHidden(), `${id} is not offered`);
    }
    assert.equal(await cameraCalls(page), 0, 'no camera for an ended visit');
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
  }
});

test('a malformed or unknown link shows the clinic\'s phone and never turns the camera on', { timeout: 60000 }, async () => {
  const patient = await launch('patient-bad');
  try {
    const { page } = patient;
    for (const fragment of ['#token=not%20a%20token', '#token=bm90LWEtcmVhbC10b2tlbi1idXQtcGxhdXNpYmxl', '']) {
      await page.goto('about:blank');
      await page.goto(`${server.baseUrl}/patient.html${fragment}`, { waitUntil: 'load' });
      const error = page.locator('[data-testid="error"]');
      await error.waitFor({ state: 'visible' });
      const words = await error.innerText();
      assert.match(words, /Call your clinic at \(555\) 010-0100/, `${fragment}: ${words}`);
      assert.doesNotMatch(words, /[0-9a-f]{8}-[0-9a-f]{4}/i, 'no id');
      assert.equal(await error.locator('a[href="tel:5550100100"]').count(), 1, 'the number is a link a phone can call');
      assert.ok(await page.locator('[data-testid="join"]').isHidden());
      assert.ok(await page.locator('[data-testid="device-test-start"]').isHidden());
      // Give a late camera request time to show itself.
      await page.waitForTimeout(500);
      assert.equal(await cameraCalls(page), 0, `${fragment}: the camera was never asked for`);
    }
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
  }
});

test('a rejoining patient sees the provider\'s real microphone and camera; Leave releases the camera', { timeout: 150000 }, async (t) => {
  const demo = server.demo;
  const patient = await launch('patient-rejoin');
  let provider = null;
  try {
    provider = await launchParticipant('provider-rejoin', { server });
    const { page } = patient;
    await page.goto(demo.patient_url, { waitUntil: 'load' });
    // Before joining: the provider and the time (the demo visit is now).
    await page.locator('[data-testid="visit-when"]').waitFor({ state: 'visible' });
    assert.match(await page.innerText('[data-testid="visit-when"]'), /^Your visit with Dr\. Demo Provider is on Tue 5 Jan at \d+:\d\d/);
    await joinAsPatient(patient, demo.patient_url);
    await openConsoleAndAdmit(provider, demo.provider_url, { login: demo.provider_login });
    await waitForState(patient, 'in_progress');
    await assertMediaFlowing(patient);
    const peerMedia = page.locator('[data-testid="peer-media"]');
    // The provider's microphone and camera are on: nothing is said about them.
    await page.waitForTimeout(1500);
    assert.ok(await peerMedia.isHidden(), `nothing is off yet, but the page says: ${await peerMedia.innerText().catch(() => '')}`);

    // The provider mutes; the patient is told, by name.
    await provider.page.click('[data-testid="mute"]');
    await waitFor(async () => /Dr\. Demo Provider: microphone is off/.test(await peerMedia.innerText()),
      { timeout: 10000, what: 'the patient told the provider muted' });

    // The patient's page reloads and rejoins: the same, true state.
    await page.reload({ waitUntil: 'load' });
    await waitForState(patient, 'in_progress', 20000);
    await assertMediaFlowing(patient);
    await waitFor(async () => (await peerMedia.isVisible()) && (await peerMedia.innerText()),
      { timeout: 10000, what: 'the provider\'s media state after the rejoin' });
    const said = await peerMedia.innerText();
    t.diagnostic(`after the rejoin: ${said}`);
    assert.match(said, /^Dr\. Demo Provider: microphone is off \(muted\)$/, 'named, microphone off, camera not said off');
    // Unmuted: nothing to say any more.
    await provider.page.click('[data-testid="mute"]');
    await waitFor(() => peerMedia.isHidden(), { timeout: 10000, what: 'the provider\'s microphone back on' });

    // Leave: every camera and microphone track this page opened is stopped.
    await page.click('[data-testid="leave"]');
    await waitFor(async () => (await trackStates(page)).every((s) => s.endsWith(':ended')),
      { timeout: 5000, what: 'every track stopped after Leave' });
    assert.ok((await trackStates(page)).some((s) => s.startsWith('video:')), 'a camera track was opened and is now stopped');
    assert.ok(await page.locator('[data-testid="join"]').isVisible(), 'Join again is offered');
    assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], []);
  } catch (err) {
    err.message += `\n--- telehealthd stderr (tail) ---\n${server.stderrTail(40)}`;
    throw err;
  } finally {
    await patient.close();
    if (provider) await provider.close();
  }
});
