// End-to-end: a real two-party video visit through telehealthd with two real
// Chromium instances (one per participant), over HTTPS/WSS with the server's
// self-signed certificate (each browser trusts exactly that one). Asserts
// what a user would see: the provider's console link leads through the
// sign-in page and back, the waiting room, the admit, remote video decoding
// on both sides, the ended state, and the saved timeline of the visit. Then
// a guest: invited from the console, waiting, their link withdrawn.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, runVisit, fetchJson, waitFor, launchParticipant, fragmentOf, openConsole,
  joinAsPatient, waitForState,
} from './lib.mjs';

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
  server = await startServer({ tls: true });
});

after(async () => {
  if (server) await server.stop();
});

test('patient joins, provider admits, media flows both ways, provider ends', { timeout: 120000 }, async (t) => {
  const demo = server.demo;
  assert.match(demo.visit_id, /^[0-9a-f-]{36}$/i, 'demo visit id is a uuid');
  for (const link of [demo.patient_url, demo.provider_url]) assert.match(link, /^https:\/\//, `${link} is https`);
  assert.deepEqual(fragmentOf(demo.provider_url), { visit: demo.visit_id }, 'the console link names the visit and carries no token');
  assert.ok(demo.provider_login && demo.provider_login.username && demo.provider_login.password, 'demo line has provider_login');

  const result = await runVisit(server, demo, { log: (m) => t.diagnostic(m), beforeEnd: checkToggles });

  assert.ok(result.landing.signedIn, 'the console link led to the sign-in page');
  const landed = new URL(result.landing.url);
  assert.equal(landed.pathname, '/provider.html', 'back on the console after signing in');
  assert.equal(fragmentOf(result.landing.url).visit, demo.visit_id, 'back on the console for that visit');

  // "waiting N min" shown next to the patient's name.
  assert.match(result.waitingText, /waiting/i, 'provider sees how long the patient has waited');
  assert.ok(result.patientMedia.second > result.patientMedia.first && result.patientMedia.first > 0);
  assert.ok(result.providerMedia.second > result.providerMedia.first && result.providerMedia.first > 0);
  assert.ok(result.patientMedia.audioPackets > 0 && result.providerMedia.audioPackets > 0);
  assert.ok(result.patientMedia.videoWidth > 0 && result.providerMedia.videoWidth > 0);
  assert.deepEqual(result.pageErrors, [], 'no uncaught JavaScript errors on either page');

  // The record: GET /api/visits/<id> as the signed-in provider.
  const session = await server.login();
  const url = `${server.baseUrl}/api/visits/${demo.visit_id}`;
  let visit;
  await waitFor(async () => {
    const res = await fetchJson(url, { session });
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
  const patient = await launchParticipant('patient-bad-link', { server });
  try {
    const url = server.demo.patient_url.replace(/#.*$/, '#token=not-a-valid-token');
    await patient.page.goto(url);
    // The page checks the link when it loads (asking for the consent text)
    // and says so at once: no consent to give, no Join to press.
    const error = patient.page.locator('[data-testid="error"]');
    await error.waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await error.innerText(), /This visit link is not valid\..*Call your clinic at \(555\) 010-0100/s);
    assert.ok(await patient.page.locator('[data-testid="consent-accept"]').isHidden(), 'no consent to give on a bad link');
    assert.ok(!(await patient.page.locator('[data-testid="join"]').isEnabled()), 'Join stays off on a bad link');
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
  }
});

test('the provider invites a guest, the guest waits, the provider withdraws the link', { timeout: 120000 }, async (t) => {
  // A fresh visit of the demo provider, scheduled now.
  const session = await server.login();
  const created = await fetchJson(`${server.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: 'Robin Guestless' } });
  assert.equal(created.status, 201, `POST /api/visits: ${created.status} ${created.text.slice(0, 300)}`);
  const { visit_id: visitId, provider_url: providerUrl } = created.json;
  const patientToken = fragmentOf(created.json.patient_url).token;

  const launched = await Promise.allSettled([launchParticipant('provider-guests', { server }), launchParticipant('guest', { server })]);
  const ok = launched.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((p) => p.close()));
    throw failed.reason;
  }
  const [provider, guest] = ok;
  const guestName = 'Maria Lopez (daughter)';
  try {
    const landing = await openConsole(provider, providerUrl, server.demo.provider_login);
    assert.ok(landing.signedIn, 'a new browser is sent to the sign-in page');
    assert.equal(fragmentOf(landing.url).visit, visitId, 'back on the console for the new visit');
    assert.match(await provider.page.innerText('[data-testid="who"]'), /^Signed in as \S/);

    // Invite: the link is shown once, with a Copy button.
    await provider.page.fill('[data-testid="guest-name"]', guestName);
    await provider.page.click('[data-testid="guest-add"]');
    const linkBox = provider.page.locator('[data-testid="guest-link"]');
    await linkBox.waitFor({ state: 'visible', timeout: 15000 });
    const guestUrl = await linkBox.inputValue();
    assert.match(guestUrl, /^https:\/\/[^/]+\/patient\.html#token=/, `guest link: ${guestUrl}`);
    const guestToken = fragmentOf(guestUrl).token;
    assert.ok(guestToken && guestToken !== patientToken, 'the guest has a link of their own');
    assert.ok(await provider.page.locator('[data-testid="guest-copy"]').isVisible(), 'a Copy button next to the link');
    const revoke = provider.page.locator('[data-testid^="guest-revoke-"]');
    await revoke.first().waitFor({ state: 'visible', timeout: 15000 });
    const participant = (await revoke.first().getAttribute('data-testid')).slice('guest-revoke-'.length);
    assert.match(await provider.page.innerText('[data-testid="guest-list"]'), /Maria Lopez/);
    t.diagnostic(`guest ${participant} invited`);

    // The guest joins and waits; the page says whose guest they are.
    await joinAsPatient(guest, guestUrl);
    const line = guest.page.locator('[data-testid="guest-line"]');
    await line.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await line.innerText(),
      "You are joining Robin Guestless's video visit as a guest. The provider lets you in when they are ready.");
    assert.ok(await guest.page.locator('#checkin').isHidden(), 'a guest is not asked the patient\'s check-in questions');
    const waiting = provider.page.locator('[data-testid="waiting-list"]');
    await waitFor(async () => /Maria Lopez/.test(await waiting.innerText()), { timeout: 15000, what: 'the guest in the provider\'s waiting room' });
    assert.match(await waiting.innerText(), /guest/i, 'the waiting room says it is a guest');
    t.diagnostic(`waiting room: ${(await waiting.innerText()).replace(/\s+/g, ' ').trim()}`);

    // Withdraw the link: the waiting guest is told, the link stops working.
    await provider.page.click(`[data-testid="guest-revoke-${participant}"]`);
    await waitForState(guest, 'revoked');
    assert.match(await guest.page.innerText('[data-testid="notice"]'), /This link was withdrawn by the provider/);
    assert.ok(await guest.page.locator('[data-testid="join"]').isHidden(), 'no Join button after the link was withdrawn');
    await waitFor(async () => !/Maria Lopez/.test(await waiting.innerText()), { timeout: 15000, what: 'the guest to leave the waiting room' });
    await waitFor(async () => /withdrawn/.test(await provider.page.innerText('[data-testid="guest-list"]')),
      { timeout: 15000, what: 'the guest list to show the link withdrawn' });
    assert.equal(await provider.page.locator(`[data-testid="guest-revoke-${participant}"]`).count(), 0);

    const listed = await fetchJson(`${server.baseUrl}/api/visits/${visitId}/guests`, { session });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.guests.map((g) => [g.participant, g.display_name, g.revoked]), [[participant, guestName, true]]);

    // Opening the link again gets nowhere.
    await guest.page.goto('about:blank');
    await guest.page.goto(guestUrl, { waitUntil: 'load' });
    await waitFor(async () => {
      const text = `${await guest.page.innerText('[data-testid="error"]').catch(() => '')} ${await guest.page.innerText('[data-testid="notice"]').catch(() => '')}`;
      return /not valid|withdrawn/i.test(text) && text;
    }, { timeout: 10000, what: 'the withdrawn link to be refused in plain words' });

    assert.deepEqual([...provider.pageErrors, ...guest.pageErrors], [], 'no uncaught JavaScript errors');
  } catch (err) {
    const diag = [];
    for (const p of [provider, guest]) {
      diag.push(`${p.name} page errors: ${JSON.stringify(p.pageErrors)} console errors: ${JSON.stringify(p.consoleErrors.slice(-10))}`);
    }
    diag.push(`--- telehealthd stderr (tail) ---\n${server.stderrTail(60)}`);
    err.message = `${err.message}\n${diag.join('\n')}`;
    throw err;
  } finally {
    await Promise.all([provider.close(), guest.close()]);
  }
});

test('the server stops cleanly on SIGTERM', { timeout: 20000 }, async () => {
  const res = await server.stop();
  server = null;
  assert.equal(res.killed, false, 'telehealthd exited within 10 s of SIGTERM');
  assert.ok(res.code === 0 || res.signal === 'SIGTERM', `exit status: ${JSON.stringify(res)}`);
});
