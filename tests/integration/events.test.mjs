// The console's push channel (issue 18): GET /api/events, a Server-Sent
// Events stream of `visits-changed` (the visit's id) for the visits the
// signed-in staff member may see, and `resync`.
//
// Two nodes on one PostgreSQL (tests/pg/run-with-cluster.sh; TH_PG_DIR names
// the cluster, this test makes a database of its own): the provider's stream
// on node A hears within a second that their patient said hello on node B
// (LISTEN/NOTIFY); another provider's stream does not. And one node on
// sqlite, which runs in every run: the same within the process.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';

import { startServer, fetchJson, requireEnv, fragmentOf } from '../e2e/lib.mjs';

const PG_DIR = process.env.TH_PG_DIR;
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const DB = `th_events_${process.pid}`;

function pg(tool, ...args) {
  const r = spawnSync(`${PG_BIN}/${tool}`, ['-h', PG_DIR, '-U', 'postgres', ...args], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
}

// Opens GET /api/events with a staff session; keeps every event, lets a
// test wait for one (bounded) or check that none came.
async function openEvents(server, session) {
  const ac = new AbortController();
  const res = await fetch(`${server.baseUrl}/api/events`, { headers: { Cookie: session.cookie }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const events = [];
  const waiters = new Set();
  let buffer = '';
  let ended = false;
  (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const ev = { event: 'message', data: '', at: performance.now(), comment: false };
          const lines = block.split('\n');
          if (lines.every((l) => l.startsWith(':'))) ev.comment = true;
          for (const line of lines) {
            if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) ev.data = line.slice(6);
          }
          if (!ev.comment) events.push(ev);
          for (const w of waiters) w();
        }
      }
    } catch { /* aborted */ }
    ended = true;
    for (const w of waiters) w();
  })();
  return {
    events,
    get ended() { return ended; },
    close() { ac.abort(); },
    next(type, pred = () => true, timeout = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = events.findIndex((e) => e.event === type && pred(e));
          if (i >= 0) { done(); resolve(events.splice(i, 1)[0]); } else if (ended) { done(); reject(new Error(`stream ended waiting for ${type}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`no ${type} event within ${timeout} ms; got ${JSON.stringify(events)}`)); }, timeout);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
  };
}

// A patient's hello on `server`: the patient enters the waiting room.
async function patientHello(server, token) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const welcome = new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'welcome') resolve(msg);
      if (msg.type === 'error') reject(new Error(JSON.stringify(msg)));
    });
  });
  const sentAt = performance.now();
  ws.send(JSON.stringify({ type: 'hello', token }));
  return { ws, sentAt, welcome: await welcome };
}

const call = (server, p, opts) => fetchJson(`${server.baseUrl}${p}`, { timeout: 20000, ...opts });

async function book(server, session, name) {
  const v = await call(server, '/api/visits', { session, method: 'POST', body: { patient_name: name } });
  assert.equal(v.status, 201, v.text);
  return { id: v.json.visit_id, token: fragmentOf(v.json.patient_url).token };
}

function addStaff(server, username, role = 'psychiatrist') {
  const { bin } = requireEnv();
  const made = spawnSync(bin, ['--config', server.configPath, '--data-dir', server.dataDir, 'admin', 'add-staff',
    '--username', username, '--name', `Dr. ${username}`, '--role', role], { encoding: 'utf8', timeout: 30000 });
  assert.equal(made.status, 0, made.stderr);
  return JSON.parse(made.stdout.trim().split('\n').pop());
}

describe('two nodes on one PostgreSQL', { skip: !PG_DIR && 'needs TH_PG_DIR (tests/pg/run-with-cluster.sh)' }, () => {
  let a, b, sa, sOther;
  before(async () => {
    pg('createdb', DB);
    const settings = { store: { backend: 'postgresql', dsn: `host=${PG_DIR} dbname=${DB} user=postgres` } };
    a = await startServer({ settings });
    sa = await a.login();
    b = await startServer({ settings });
    const other = addStaff(a, 'dr.other');
    sOther = await a.login(other.username, other.password);
  });
  after(async () => {
    // Both nodes stop (and the database goes) whatever the first says.
    const stopped = await Promise.allSettled([a && a.stop(), b && b.stop()]);
    if (PG_DIR) pg('dropdb', '--force', '--if-exists', DB);
    for (const s of stopped) if (s.status === 'rejected') throw s.reason;
  });

  test("the provider's stream on node A hears their patient's hello on node B within a second; another provider's does not", async () => {
    const visit = await book(a, sa, 'Across Nodes');
    const mine = await openEvents(a, sa);
    const theirs = await openEvents(a, sOther);
    await mine.next('ready');
    await theirs.next('ready');
    const hello = await patientHello(b, visit.token);
    assert.equal(hello.welcome.visit, visit.id);
    const ev = await mine.next('visits-changed', (e) => JSON.parse(e.data).visit === visit.id, 3000);
    const ms = ev.at - hello.sentAt;
    console.log(`visits-changed on node A ${ms.toFixed(1)} ms after the hello on node B`);
    assert.ok(ms < 1000, `within a second: ${ms} ms`);
    assert.deepEqual(JSON.parse(ev.data), { visit: visit.id }, 'ids only');
    // The list on A says the patient waits, as a console reading it on
    // each event finds within a second of the hello. (The join and the
    // waiting state are recorded one after the other, each telling the
    // nodes: the first event may come before the state has changed.)
    let state = null;
    for (;;) {
      const list = await call(a, '/api/visits?day=today', { session: sa });
      state = list.json.visits.find((v) => v.id === visit.id).state;
      if (state === 'waiting') break;
      const left = hello.sentAt + 1000 - performance.now();
      assert.ok(left > 0, `the list still says ${state} a second after the hello`);
      await mine.next('visits-changed', (e) => JSON.parse(e.data).visit === visit.id, left);
    }
    console.log(`the list on node A says waiting ${(performance.now() - hello.sentAt).toFixed(1)} ms after the hello on node B`);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(theirs.events.filter((e) => e.event === 'visits-changed'), [],
      "another provider's stream hears nothing of this visit");
    hello.ws.close();
    mine.close();
    theirs.close();
  });

  test("a node whose LISTEN connection is killed connects again and tells its streams to resync", async () => {
    const mine = await openEvents(a, sa);
    await mine.next('ready');
    // Each node says once that its listener lost its connection.
    for (const node of [a, b]) node.allowLog(/the PostgreSQL listener lost its connection/);
    pg('psql', '-d', DB, '-Atc', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'telehealthd-listen'");
    await mine.next('resync', () => true, 5000);
    // And it hears changes again: a booking through node B (a session is
    // good on every node: it lives in the shared database).
    const booked = await book(b, sa, 'After Resync');
    await mine.next('visits-changed', (e) => JSON.parse(e.data).visit === booked.id, 3000);
    mine.close();
  });
});

describe('one node on sqlite', () => {
  let server, session, other;
  before(async () => {
    server = await startServer();
    session = await server.login();
    const made = addStaff(server, 'dr.elsewhere');
    other = await server.login(made.username, made.password);
  });
  after(async () => { if (server) await server.stop(); });

  test('a booking and a hello reach the provider\'s stream at once; not another provider\'s', async () => {
    const mine = await openEvents(server, session);
    const theirs = await openEvents(server, other);
    await mine.next('ready');
    await theirs.next('ready');
    const visit = await book(server, session, 'Local Patient');
    await mine.next('visits-changed', (e) => JSON.parse(e.data).visit === visit.id, 2000);
    const hello = await patientHello(server, visit.token);
    const ev = await mine.next('visits-changed', (e) => JSON.parse(e.data).visit === visit.id, 2000);
    assert.ok(ev.at - hello.sentAt < 1000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(theirs.events.filter((e) => e.event === 'visits-changed'), []);
    hello.ws.close();
    mine.close();
    theirs.close();
  });

  test('without a session: 401, no stream', async () => {
    const res = await fetchJson(`${server.baseUrl}/api/events`);
    assert.equal(res.status, 401);
  });
});
