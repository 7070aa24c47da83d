// End-to-end: a real two-party video visit through telehealthd with two real
// Chromium instances (one per participant). Asserts what a user would see:
// the waiting room, the admit, remote video decoding on both sides, the
// ended state, and the saved timeline of the visit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runVisit, fetchJson, waitFor, launchParticipant } from './lib.mjs';

// Clicks a toggle and returns what a user (and a screen reader) would see,
// plus whether the local tracks of that kind are still enabled.
async function toggle(page, testid, kind) {
  await page.click(`[data-testid="${testid}"]`);
  return page.evaluate(({ testid, kind }) => {
    const btn = document.querySelector(`[data-testid="${testid}"]`);
    const stream = document.querySelector('[data-testid="local-video"]').srcObject;
    const tracks = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    return { pressed: btn.getAttribute('aria-pressed'), label: btn.textContent, enabled: tracks.map((t) => t.enabled) };
  }, { testid, kind });
}

async function checkToggles({ patient, provider }) {
  for (const { page } of [patient, provider]) {
    const muted = await toggle(page, 'mute', 'audio');
    assert.equal(muted.pressed, 'true');
    assert.match(muted.label, /unmute/i);
    assert.deepEqual(muted.enabled, [false]);
    const unmuted = await toggle(page, 'mute', 'audio');
    assert.equal(unmuted.pressed, 'false');
    assert.deepEqual(unmuted.enabled, [true]);
    const camOff = await toggle(page, 'camera', 'video');
    assert.equal(camOff.pressed, 'true');
    assert.match(camOff.label, /camera on/i);
    assert.deepEqual(camOff.enabled, [false]);
    const camOn = await toggle(page, 'camera', 'video');
    assert.equal(camOn.pressed, 'false');
    assert.deepEqual(camOn.enabled, [true]);
  }
}

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) await server.stop();
});

test('patient joins, provider admits, media flows both ways, provider ends', { timeout: 120000 }, async (t) => {
  const demo = server.demo;
  assert.match(demo.visit_id, /^[0-9a-f-]{36}$/i, 'demo visit id is a uuid');
  assert.ok(server.consoleToken, 'provider_url carries a console token in its fragment');

  const result = await runVisit(server, demo, { log: (m) => t.diagnostic(m), beforeEnd: checkToggles });

  // "waiting N min" shown next to the patient's name.
  assert.match(result.waitingText, /waiting/i, 'provider sees how long the patient has waited');
  assert.ok(result.patientMedia.second > result.patientMedia.first && result.patientMedia.first > 0);
  assert.ok(result.providerMedia.second > result.providerMedia.first && result.providerMedia.first > 0);
  assert.ok(result.patientMedia.audioPackets > 0 && result.providerMedia.audioPackets > 0);
  assert.ok(result.patientMedia.videoWidth > 0 && result.providerMedia.videoWidth > 0);
  assert.deepEqual(result.pageErrors, [], 'no uncaught JavaScript errors on either page');

  // The record: GET /api/visits/<id> with the console token.
  const url = `${server.baseUrl}/api/visits/${demo.visit_id}`;
  let visit;
  await waitFor(async () => {
    const res = await fetchJson(url, { token: server.consoleToken });
    assert.equal(res.status, 200, `GET ${url}: ${res.status} ${res.text.slice(0, 300)}`);
    visit = res.json;
    // leave events may be recorded a moment after the sockets close
    return visit && visit.state === 'ended' && visit.timeline.some((e) => e.kind === 'leave');
  }, { timeout: 5000, what: 'the visit record to show ended and a leave event' }).catch((err) => {
    err.message += `\nvisit record: ${JSON.stringify(visit)}`;
    throw err;
  });

  assert.equal(visit.id, demo.visit_id);
  assert.ok(Array.isArray(visit.timeline), 'timeline is an array');
  t.diagnostic(`timeline: ${visit.timeline.map((e) => e.kind === 'state' ? e.state : `${e.kind}:${e.role}`).join(' → ')}`);

  const states = visit.timeline.filter((e) => e.kind === 'state').map((e) => e.state);
  const wanted = ['scheduled', 'waiting', 'in_progress', 'ended'];
  let i = 0;
  for (const s of states) if (s === wanted[i]) i += 1;
  assert.equal(i, wanted.length, `timeline states contain ${wanted.join(', ')} in order; got ${states.join(', ')}`);

  for (const kind of ['join', 'admit', 'leave']) {
    assert.ok(visit.timeline.some((e) => e.kind === kind), `timeline has a ${kind} event`);
  }
  const joins = visit.timeline.filter((e) => e.kind === 'join').map((e) => e.role);
  assert.ok(joins.includes('patient'), `the patient's join is recorded (join roles: ${joins.join(', ')})`);
  const at = visit.timeline.map((e) => Date.parse(e.at));
  assert.ok(at.every((x) => !Number.isNaN(x)), 'every timeline entry has an ISO time');
  for (let k = 1; k < at.length; k += 1) assert.ok(at[k] >= at[k - 1], 'timeline is in time order');
});

test('a bad patient link shows a plain-language error', { timeout: 60000 }, async () => {
  const patient = await launchParticipant('patient-bad-link');
  try {
    const url = server.demo.patient_url.replace(/#.*$/, '#token=not-a-valid-token');
    await patient.page.goto(url);
    const join = patient.page.locator('[data-testid="join"]');
    await waitFor(() => join.isEnabled(), { timeout: 10000, what: 'Join enabled' });
    await join.click();
    const error = patient.page.locator('[data-testid="error"]');
    await error.waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await error.innerText(), /not valid or has expired/i);
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
  }
});

test('the server stops cleanly on SIGTERM', { timeout: 20000 }, async () => {
  const res = await server.stop();
  server = null;
  assert.equal(res.killed, false, 'telehealthd exited within 10 s of SIGTERM');
  assert.ok(res.code === 0 || res.signal === 'SIGTERM', `exit status: ${JSON.stringify(res)}`);
});
