// More than one node (issue 18, points 2 and 4): two telehealthd nodes on
// 127.0.0.1 (two ports) and one PostgreSQL, real Chromium.
//   (a) The provider opens the visit on node A (A takes its lease); the
//       patient's link is opened on node B: B answers the hello with a
//       redirect to A, the page says hello there by itself and waits; the
//       provider's console on A shows the patient waiting within a second
//       of the patient's page on B showing the waiting room; the provider
//       admits, and media flows both ways through A.
//   (b) A chat message and a medication adjustment are committed; node A is
//       killed (SIGKILL, no goodbye): both pages, reconnecting by themselves,
//       are back in the visit on node B (which takes the lease once A's
//       heartbeat is a lease old) with media flowing within 30 s; the chat
//       and the adjustment are there; verify-audit passes.
//
// PostgreSQL only: run by tests/pg/run-with-cluster.sh (TH_PG_DIR names the
// cluster); the test makes a database of its own there for its two nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  startServer, fetchJson, requireEnv, launchParticipant, openConsole, acceptConsent,
  waitForState, assertMediaFlowing, rtpStats, waitFor,
} from './lib.mjs';

const PG_DIR = process.env.TH_PG_DIR;
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
// tests/pg/with-pg.sh gives the test a database (TELEHEALTHD_DSN, which the
// servers would take over [store] dsn anyway); else one of our own.
const ENV_DSN = process.env.TELEHEALTHD_DSN || '';
const DB = ENV_DSN ? null : `th_nodes_${process.pid}`;
const dsn = ENV_DSN || `host=${PG_DIR} dbname=${DB} user=postgres`;
const LEASE_S = 3;
const skip = !PG_DIR && 'needs TH_PG_DIR (tests/pg/run-with-cluster.sh)';

let a, b, patient, provider, visitId, session;

function pg(tool, ...args) {
  const r = spawnSync(`${PG_BIN}/${tool}`, ['-h', PG_DIR, '-U', 'postgres', ...args], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
  return r.stdout;
}

function leaseHolder(visit) {
  const r = spawnSync(`${PG_BIN}/psql`, [dsn, '-At', '-c',
    `SELECT node_id FROM visit_leases WHERE visit_id = '${visit.replace(/'/g, '')}'`], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `psql: ${r.stderr}`);
  return r.stdout.trim();
}

const nodeSettings = (id) => ({
  store: { backend: 'postgresql', dsn },
  cluster: { node_id: id, lease_seconds: String(LEASE_S) },
});

before(async () => {
  if (!PG_DIR) return;
  if (DB) pg('createdb', DB);
  a = await startServer({ settings: nodeSettings('node-a') });
  b = await startServer({ settings: nodeSettings('node-b') });
  visitId = a.demo.visit_id;
  // B's start gave the shared demo provider a new password: B's is current.
  session = await b.login();
  const launched = await Promise.allSettled([launchParticipant('patient'), launchParticipant('provider')]);
  [patient, provider] = launched.map((r) => (r.status === 'fulfilled' ? r.value : null));
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
});

after(async () => {
  await Promise.all([patient?.close(), provider?.close()]);
  if (a) await a.stop({ checkLog: false });
  if (b) await b.stop();
  if (PG_DIR && DB) pg('dropdb', '--force', '--if-exists', DB);
});

async function explain(err) {
  const diag = [];
  for (const p of [patient, provider]) {
    if (!p) continue;
    const url = await p.page.evaluate(() => window.__thSignal?.url || null).catch(() => null);
    diag.push(`${p.name}: signaling ${url}; console errors ${JSON.stringify(p.consoleErrors.slice(-8))}; page errors ${JSON.stringify(p.pageErrors)}`);
  }
  for (const [n, s] of [['A', a], ['B', b]]) if (s) diag.push(`--- node ${n} stderr ---\n${s.stderrTail(40)}`);
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

const signalingPort = (p) => p.page.evaluate(() => {
  const ws = window.__thSignal;
  return ws && ws.readyState === WebSocket.OPEN ? Number(new URL(ws.url).port) : null;
});

const framesOf = (s) => s?.inbound?.video?.framesDecoded || 0;
const audioOf = (s) => s?.inbound?.audio?.packetsReceived || 0;

// Media grows on the page's current peer connection, by `deadline`.
async function mediaBack(p, deadline) {
  let last = null;
  while (Date.now() < deadline) {
    const s1 = await rtpStats(p.page).catch(() => null);
    await sleep(1000);
    const s2 = await rtpStats(p.page).catch(() => null);
    last = { s1, s2 };
    if (s1 && s2 && framesOf(s2) - framesOf(s1) >= 5 && audioOf(s2) > audioOf(s1)) return;
  }
  throw new Error(`${p.name}: media did not flow again in time; last ${JSON.stringify(last)}`);
}

test('a patient joining through node B is redirected to node A, which hosts the visit; media flows both ways', { skip }, async () => {
  await step(async () => {
    // The provider opens the visit on A: A holds the lease.
    await openConsole(provider, a.demo.provider_url, b.providerLogin, { timeout: 30000 });
    await waitFor(() => leaseHolder(visitId) === 'node-a', { timeout: 15000, what: 'node A to hold the visit\'s lease' });
    const admit = provider.page.locator('[data-testid="admit"]').first();
    assert.equal(await admit.count(), 0, 'nobody waiting yet');
    // The patient's link, opened on B.
    const onB = new URL(a.demo.patient_url);
    onB.host = new URL(b.baseUrl).host;
    const page = patient.page;
    await page.goto(onB.toString(), { waitUntil: 'load' });
    await acceptConsent(page, { timeout: 20000 });
    const join = page.locator('[data-testid="join"]');
    await waitFor(() => join.isEnabled(), { timeout: 20000, what: 'the patient\'s Join enabled' });
    // Both pages watched closely from the click on.
    const shownOnA = admit.waitFor({ state: 'visible', timeout: 20000 }).then(() => performance.now());
    const waitingOnB = page.waitForSelector('text=The provider will admit you shortly', { timeout: 20000 })
      .then(() => performance.now());
    const clicked = performance.now();
    await join.click();
    const [tConsole, tPatient] = await Promise.all([shownOnA, waitingOnB]);
    console.log(`# the console on A shows the patient waiting ${(tConsole - tPatient).toFixed(0)} ms after ` +
      `the patient's page on B shows the waiting room (${(tConsole - clicked).toFixed(0)} ms after Join)`);
    assert.ok(tConsole - tPatient < 1000, `within a second: ${(tConsole - tPatient).toFixed(0)} ms`);
    assert.equal(new URL(page.url()).port, String(b.port), 'the patient\'s page stays on B');
    assert.equal(await signalingPort(patient), a.port, 'the patient\'s signaling went to A');
    await waitFor(() => admit.isEnabled(), { timeout: 10000, what: 'Admit enabled' });
    await admit.click();
    await Promise.all([waitForState(patient, 'in_progress', 20000), waitForState(provider, 'in_progress', 20000)]);
    await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    assert.equal(leaseHolder(visitId), 'node-a');
  });
});

test('node A killed mid-visit: both pages are back on node B with media within 30 s, the record intact', { skip }, async () => {
  await step(async () => {
    // Committed before the kill: a chat message and an adjustment.
    const chatText = `Chat before the kill ${process.pid}`;
    await patient.page.evaluate((text) => window.__thSignal.send(JSON.stringify({ type: 'chat', text })), chatText);
    const chatUrl = (server) => `${server.baseUrl}/api/visits/${visitId}/chat`;
    await waitFor(async () => {
      const r = await fetchJson(chatUrl(b), { session, timeout: 10000 });
      return r.status === 200 && r.json.messages.some((m) => m.text === chatText);
    }, { timeout: 10000, what: 'the chat message stored' });
    // The demo patient takes buspirone: its dose changed, through node A.
    const before = await fetchJson(`${a.baseUrl}/api/visits/${visitId}/record`, { session, timeout: 10000 });
    assert.equal(before.status, 200, before.text);
    const order = before.json.current_medications.find((o) => /buspirone/i.test(JSON.stringify(o)));
    assert.ok(order, JSON.stringify(before.json.current_medications));
    const adj = await fetchJson(`${a.baseUrl}/api/visits/${visitId}/adjustments`, {
      session, method: 'POST', timeout: 20000,
      body: { kind: 'change-dose', order_id: order.id, dose: 15, frequency: 'twice-daily', reason: 'Partial response' },
    });
    assert.equal(adj.status, 201, adj.text);

    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    await a.exited;
    const deadline = killedAt + 30000;
    for (const p of [patient, provider]) {
      await waitFor(async () => (await signalingPort(p)) === b.port,
        { timeout: Math.max(1000, deadline - Date.now()), interval: 250, what: `${p.name}: signaling on node B` });
    }
    await Promise.all([mediaBack(patient, deadline), mediaBack(provider, deadline)]);
    const took = Date.now() - killedAt;
    console.log(`# both pages back on node B with media ${took} ms after the kill`);
    assert.ok(took <= 30000, `took ${took} ms`);
    assert.equal(leaseHolder(visitId), 'node-b');

    const chat = await fetchJson(chatUrl(b), { session, timeout: 10000 });
    assert.ok(chat.json.messages.some((m) => m.text === chatText), JSON.stringify(chat.json));
    const rec = await fetchJson(`${b.baseUrl}/api/visits/${visitId}/record`, { session, timeout: 10000 });
    assert.equal(rec.status, 200, rec.text);
    assert.ok(rec.json.current_medications.some((o) => o.id === adj.json.order.id), 'the adjustment is there');
    const { bin } = requireEnv();
    const v = spawnSync(bin, ['--config', b.configPath, '--data-dir', b.dataDir, 'admin', 'verify-audit'], { encoding: 'utf8', timeout: 30000 });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout.trim().split('\n').pop()).chain_intact, true, v.stdout);
  });
});
