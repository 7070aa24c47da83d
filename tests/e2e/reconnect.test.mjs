// End-to-end (issue 6): a visit survives drops and a server restart. Two real
// Chromium instances over HTTPS/WSS, one visit in progress, then:
//   (a) the patient's page reloads: the provider sees "reconnecting…", the
//       page rejoins by itself, media flows both ways again within 10 s;
//   (b) the patient's WebSocket is killed from the page: the same;
//   (c) the visit timeline records the drops and the returns;
//   (c2) after a drop the server cannot check the patient's hello for a
//       while (its store fails: the clinic's fault, error internal): the
//       page takes that as one more drop and keeps trying, says no error,
//       and is back with media once the store answers;
//   (d) the patient's tab leaves the page and comes back to the link;
//   (e) the server is restarted (SIGTERM, same port and data dir): both
//       browsers reconnect by themselves and media resumes within ~15 s.
// TH_SCREENSHOT_DIR=<dir> saves screenshots of the reconnecting banners.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startServer, launchParticipant, joinAsPatient, openConsoleAndAdmit, waitForState,
  assertMediaFlowing, rtpStats, waitFor, hideColumn,
  endVisit,
} from './lib.mjs';

const SHOTS = process.env.TH_SCREENSHOT_DIR || '';

let server;
let dataDir;
let patient;
let provider;
let demo;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-reconnect-'));
  server = await startServer({ tls: true, dataDir });
  demo = server.demo;
  const launched = await Promise.allSettled([
    launchParticipant('patient', { server }), launchParticipant('provider', { server })]);
  const failed = launched.find((r) => r.status === 'rejected');
  [patient, provider] = launched.map((r) => (r.status === 'fulfilled' ? r.value : null));
  if (failed) throw failed.reason;
});

after(async () => {
  await Promise.all([patient?.close(), provider?.close()]);
  if (server) await server.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

// Adds what the pages and the server said to a failure.
async function explain(err) {
  const diag = [];
  for (const p of [patient, provider]) {
    if (!p) continue;
    const text = await p.page.textContent('body').catch(() => '');
    diag.push(`${p.name} page text: ${(text || '').replace(/\s+/g, ' ').slice(0, 500)}`);
    diag.push(`${p.name} page errors: ${JSON.stringify(p.pageErrors)} console errors: ${JSON.stringify(p.consoleErrors.slice(-10))}`);
  }
  if (server) diag.push(`--- telehealthd stderr (tail) ---\n${server.stderrTail(60)}`);
  err.message = `${err.message}\n${diag.join('\n')}`;
  return err;
}

async function step(fn) {
  try {
    return await fn();
  } catch (err) {
    throw await explain(err);
  }
}

// Tags the page's current RTCPeerConnection (once) and returns the tag, so a
// test can tell a fresh connection from the old one.
async function peerTag(page) {
  return page.evaluate(() => {
    const pc = window.__thPeer;
    if (!pc) return null;
    if (!pc.__thTag) {
      window.__thTagSeq = (window.__thTagSeq || 0) + 1;
      pc.__thTag = window.__thTagSeq;
    }
    return pc.__thTag;
  });
}

const framesOf = (s) => s?.inbound?.video?.framesDecoded || 0;
const audioOf = (s) => s?.inbound?.audio?.packetsReceived || 0;

// Resolves once two fresh samples one second apart show decoded video frames
// and audio packets growing on the page's current peer connection; fails at
// `deadline` (ms since the epoch). Returns {frames, tag, at}.
async function mediaGrowsAgain(participant, deadline, { minFrames = 5 } = {}) {
  let last = null;
  for (;;) {
    if (Date.now() > deadline) {
      throw new Error(`${participant.name}: remote media did not grow again in time; last stats ${JSON.stringify(last)}`);
    }
    const tag = await peerTag(participant.page).catch(() => null);
    const a = await rtpStats(participant.page).catch(() => null);
    await sleep(1000);
    const tag2 = await peerTag(participant.page).catch(() => null);
    const b = await rtpStats(participant.page).catch(() => null);
    last = { a, b };
    if (tag && tag === tag2 && b?.peer && framesOf(b) - framesOf(a) >= minFrames && audioOf(b) > audioOf(a)) {
      return { frames: framesOf(b) - framesOf(a), tag, at: Date.now() };
    }
  }
}

// Records, in the page, every text a banner showed (they may show for less
// than a polling interval).
async function watchBanners(page) {
  await page.evaluate(() => {
    if (window.__thBannerLog) {
      window.__thBannerLog.length = 0;
      return;
    }
    window.__thBannerLog = [];
    for (const testid of ['peer-reconnecting', 'connection-status']) {
      const el = document.querySelector(`[data-testid="${testid}"]`);
      if (!el) continue;
      const note = () => {
        if (!el.hidden && el.textContent) window.__thBannerLog.push({ testid, text: el.textContent, shown: el.getClientRects().length > 0 });
      };
      new MutationObserver(note).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
    }
  });
}

async function bannerLog(page, testid) {
  const log = await page.evaluate(() => window.__thBannerLog || []);
  return log.filter((e) => e.testid === testid);
}

async function shoot(name) {
  if (!SHOTS) return;
  await mkdir(SHOTS, { recursive: true });
  for (const p of [patient, provider]) {
    for (const [w, h] of [[1280, 800], [360, 740]]) {
      await p.page.setViewportSize({ width: w, height: h });
      await p.page.screenshot({ path: path.join(SHOTS, `${name}-${p.name}-${w}x${h}.png`), fullPage: false });
    }
    await p.page.setViewportSize({ width: 1100, height: 800 });
  }
}

async function assertBothWays(what, since, limitMs) {
  const deadline = since + limitMs;
  const [pat, prov] = await Promise.all([mediaGrowsAgain(patient, deadline), mediaGrowsAgain(provider, deadline)]);
  const took = Math.max(pat.at, prov.at) - since;
  assert.ok(took <= limitMs, `${what}: media both ways again after ${took} ms`);
  return { pat, prov, took };
}

test('a visit in progress with media both ways', { timeout: 90000 }, async (t) => {
  await step(async () => {
    await joinAsPatient(patient, demo.patient_url);
    await openConsoleAndAdmit(provider, demo.provider_url, { login: demo.provider_login });
    await Promise.all([waitForState(patient, 'in_progress'), waitForState(provider, 'in_progress')]);
    const [a, b] = await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    t.diagnostic(`patient media ${JSON.stringify(a)}; provider media ${JSON.stringify(b)}`);
  });
});

test('(a) the patient page reloads: it rejoins by itself and media flows again within 10 s', { timeout: 60000 }, async (t) => {
  await step(async () => {
    await watchBanners(provider.page);
    const providerPeer = await peerTag(provider.page);
    const t0 = Date.now();
    await patient.page.reload({ waitUntil: 'load' });
    const { took } = await assertBothWays('after the reload', t0, 10000);
    t.diagnostic(`media both ways ${took} ms after the reload`);

    const seen = await bannerLog(provider.page, 'peer-reconnecting');
    assert.ok(seen.some((e) => e.shown && /Demo Patient is reconnecting…/.test(e.text)),
      `the provider saw "Demo Patient is reconnecting…" (banner log: ${JSON.stringify(seen)})`);
    assert.ok(await provider.page.locator('[data-testid="peer-reconnecting"]').isHidden(), 'the banner is gone once the patient is back');
    assert.equal(await peerTag(provider.page), providerPeer, 'the provider\'s connection was not rebuilt');
    await waitForState(patient, 'in_progress', 5000);
    assert.ok(await patient.page.locator('[data-testid="join"]').isHidden(), 'no Join button: the page rejoined by itself');
  });
});

// Closes the participant's signaling WebSocket from its page, as a network
// that drops it would (the page did not ask: a drop).
async function killSocket(p) {
  const killed = await p.page.evaluate(() => {
    const ws = window.__thSignal;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.close(4000, 'test kills the socket');
    return true;
  });
  assert.ok(killed, 'window.__thSignal was an open WebSocket');
}

test('(b) the patient\'s WebSocket is killed: it reconnects and media flows again within 10 s', { timeout: 60000 }, async (t) => {
  await step(async () => {
    await Promise.all([watchBanners(provider.page), watchBanners(patient.page)]);
    const providerPeer = await peerTag(provider.page);
    const patientPeer = await peerTag(patient.page);
    const t0 = Date.now();
    await killSocket(patient);
    const { pat, took } = await assertBothWays('after the socket was killed', t0, 10000);
    t.diagnostic(`media both ways ${took} ms after the socket was killed`);
    assert.notEqual(pat.tag, patientPeer, 'the patient got a fresh RTCPeerConnection');
    assert.equal(await peerTag(provider.page), providerPeer, 'the provider\'s connection was not rebuilt');

    const seen = await bannerLog(provider.page, 'peer-reconnecting');
    assert.ok(seen.some((e) => e.shown && /Demo Patient is reconnecting…/.test(e.text)),
      `the provider saw "Demo Patient is reconnecting…" (banner log: ${JSON.stringify(seen)})`);
    const own = (await bannerLog(patient.page, 'connection-status')).map((e) => e.text);
    assert.ok(own.includes('Connection lost — reconnecting…'), `the patient saw "Connection lost — reconnecting…" (${JSON.stringify(own)})`);
    assert.ok(own.includes('Reconnected'), `the patient saw "Reconnected" (${JSON.stringify(own)})`);
    assert.ok(await provider.page.locator('[data-testid="peer-reconnecting"]').isHidden(), 'the banner is gone once the patient is back');
  });
});

// GET /api/visits/<id> from the signed-in provider's page (its cookie).
async function timeline() {
  return provider.page.evaluate(async (id) => {
    const res = await fetch(`/api/visits/${id}`, { headers: { Accept: 'application/json' } });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, demo.visit_id);
}

test('(c) the visit timeline shows the patient\'s drops and returns', { timeout: 30000 }, async (t) => {
  await step(async () => {
    let res;
    await waitFor(async () => {
      res = await timeline();
      const tl = res.body?.timeline || [];
      const n = (kind) => tl.filter((e) => e.kind === kind && e.role === 'patient').length;
      return res.status === 200 && n('drop') >= 2 && n('return') >= 2;
    }, { timeout: 5000, what: 'two drop and two return events of the patient in the timeline' }).catch((err) => {
      err.message += `\ntimeline: ${JSON.stringify(res)}`;
      throw err;
    });
    const tl = res.body.timeline;
    t.diagnostic(`timeline: ${tl.map((e) => (e.kind === 'state' ? e.state : `${e.kind}:${e.role}`)).join(' → ')}`);
    assert.equal(res.body.state, 'in_progress', 'the visit stayed in progress');
    // Each drop is followed by a return, in time order; no leave of the patient.
    const patientEvents = tl.filter((e) => e.role === 'patient' && ['drop', 'return', 'leave'].includes(e.kind)).map((e) => e.kind);
    assert.ok(!patientEvents.includes('leave'), `the patient never left (${patientEvents.join(', ')})`);
    const at = tl.map((e) => Date.parse(e.at));
    for (let k = 1; k < at.length; k += 1) assert.ok(at[k] >= at[k - 1], 'timeline is in time order');
    for (let k = 0; k < patientEvents.length; k += 1) {
      if (patientEvents[k] === 'drop') assert.equal(patientEvents[k + 1], 'return', `drop #${k} is followed by a return`);
    }
  });
});

test('(c2) the server cannot check the patient\'s hello for a while: the page keeps trying, says no error, and is back once it can', { timeout: 60000 }, async (t) => {
  await step(async () => {
    const REFUSED = /signaling hello: the visit link could not be read: store failure/g;
    server.allowLog(new RegExp(REFUSED.source));
    const refusals = () => (server.stderrTail(1e6).match(REFUSED) || []).length;
    const before = refusals();
    await watchBanners(patient.page);
    // The link's validity window cannot be read: every hello by link fails.
    const restore = hideColumn(server, 'join_tokens', 'not_after');
    try {
      await killSocket(patient);
      // Refused, and tried again by itself (not left waiting on the open
      // socket for the server's hello deadline).
      await waitFor(() => refusals() - before >= 2, { timeout: 8000, what: 'the page to say hello again after a refusal' });
      assert.ok(await patient.page.locator('[data-testid="error"]').isHidden(),
        `no error shown: ${await patient.page.locator('[data-testid="error"]').textContent()}`);
      const status = (await bannerLog(patient.page, 'connection-status')).map((e) => e.text);
      assert.ok(status.includes('Connection lost — reconnecting…'), JSON.stringify(status));
    } finally {
      restore();
    }
    const t0 = Date.now();
    const { took } = await assertBothWays('after the store answered again', t0, 20000);
    t.diagnostic(`${refusals() - before} hellos refused; media both ways ${took} ms after the store answered`);
  });
});

test('(d) the patient\'s tab leaves and comes back to the link: the provider sees "reconnecting…" meanwhile', { timeout: 60000 }, async () => {
  await step(async () => {
    await patient.page.goto('about:blank');
    const banner = provider.page.locator('[data-testid="peer-reconnecting"]');
    await banner.waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await banner.innerText(), /^Demo Patient is reconnecting…/);
    assert.equal(await provider.page.getAttribute('[data-testid="visit-state"]', 'data-state'), 'in_progress');
    await shoot('peer-reconnecting');
    const t0 = Date.now();
    await patient.page.goto(demo.patient_url, { waitUntil: 'load' });
    await assertBothWays('after the patient came back', t0, 10000);
    await banner.waitFor({ state: 'hidden', timeout: 5000 });
  });
});

test('(d2) the provider\'s console reloads: the patient sees "reconnecting…", the console says hello again, media flows', { timeout: 60000 }, async (t) => {
  await step(async () => {
    await watchBanners(patient.page);
    const t0 = Date.now();
    await provider.page.reload({ waitUntil: 'load' });
    const { took } = await assertBothWays('after the console reloaded', t0, 10000);
    t.diagnostic(`media both ways ${took} ms after the console reloaded`);
    const seen = await bannerLog(patient.page, 'peer-reconnecting');
    assert.ok(seen.some((e) => e.shown && /^Dr\. Demo Provider is reconnecting…/.test(e.text)),
      `the patient saw "Dr. Demo Provider is reconnecting…" (banner log: ${JSON.stringify(seen)})`);

    // Away for longer (the tab on another page): the banner stays up.
    await provider.page.goto('about:blank');
    const banner = patient.page.locator('[data-testid="peer-reconnecting"]');
    await banner.waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await banner.innerText(), /^Dr\. Demo Provider is reconnecting…/);
    await shoot('peer-reconnecting-patient-side');
    const t1 = Date.now();
    await provider.page.goto(demo.provider_url, { waitUntil: 'load' });
    await assertBothWays('after the console came back', t1, 10000);
    await banner.waitFor({ state: 'hidden', timeout: 5000 });
  });
});

test('(e) a server restart mid-visit: both browsers reconnect by themselves and media resumes', { timeout: 120000 }, async (t) => {
  await step(async () => {
    const port = server.port;
    const spki = server.certSpki;
    const stopped = await server.stop();
    assert.equal(stopped.killed, false, 'telehealthd exited within 10 s of SIGTERM');
    assert.equal(stopped.code, 0, `exit status after SIGTERM: ${JSON.stringify(stopped)}`);
    server = null;
    // Both pages say so in plain words while the server is away.
    for (const p of [patient, provider]) {
      const own = p.page.locator('[data-testid="connection-status"]');
      await own.waitFor({ state: 'visible', timeout: 5000 });
      assert.equal(await own.innerText(), 'Connection lost — reconnecting…', `${p.name}'s own connection banner`);
    }
    await shoot('connection-lost');

    const t0 = Date.now();
    server = await startServer({ tls: true, dataDir, port });
    assert.equal(server.port, port, 'the server is back on the same port');
    assert.equal(server.certSpki, spki, 'the server is back with the same certificate');
    t.diagnostic(`server back after ${Date.now() - t0} ms`);
    const { took } = await assertBothWays('after the restart', t0, 15000);
    t.diagnostic(`media both ways ${took} ms after the server was started again`);
    for (const p of [patient, provider]) {
      await waitForState(p, 'in_progress', 5000);
      await waitFor(async () => (await p.page.innerText('[data-testid="connection-status"]').catch(() => '')) !== 'Connection lost — reconnecting…',
        { timeout: 5000, what: `${p.name}: the "Connection lost" banner to go` });
    }
    assert.ok(await patient.page.locator('[data-testid="join"]').isHidden(), 'the patient did not have to press Join');
  });
});

test('the provider ends the visit; no page errors', { timeout: 60000 }, async () => {
  await step(async () => {
    await endVisit(provider.page);
    await Promise.all([waitForState(patient, 'ended'), waitForState(provider, 'ended')]);
    for (const testid of ['peer-reconnecting', 'connection-status']) {
      for (const p of [patient, provider]) {
        assert.ok(await p.page.locator(`[data-testid="${testid}"]`).isHidden(), `${p.name}: no ${testid} banner after the end`);
      }
    }
    assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], [], 'no uncaught JavaScript errors');
    const res = await timeline();
    assert.equal(res.body?.state, 'ended');
  });
});
