// More than one node at the signaling level (issue 18): two telehealthd
// nodes on one PostgreSQL, WebSocket clients (no browser).
//   - the first hello makes its node the visit's host (its lease), and the
//     welcome is followed by the live nodes' URLs;
//   - a hello reaching the other node is answered redirect {url} and closed;
//     a staff member known there by the cookie gets a short link (token) in
//     the redirect, which the host accepts without the cookie;
//   - a page of another origin is refused (no cross-site WebSocket
//     hijacking); a page of a node of the cluster is ours;
//   - a node cut off from the database (its connections through a proxy the
//     test cuts) lets go of the rooms it hosts before its lease is up, and
//     hosts nothing while cut off: the other node takes the visit in only
//     after the participants were told to go; once the database answers
//     again the node redirects to the new host; the only node of the day
//     keeps its visits (no other could take them);
//   - SIGTERM on the host lets go of its leases at once: the other node
//     welcomes the next hello instead of redirecting it.
//
// PostgreSQL only: run by tests/pg/run-with-cluster.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';

import {
  startServer, requireEnv, rewriteConfig, fetchJson, waitFor, createDatabase, dropDatabase,
  metricsUrl, scrapeMetrics,
} from '../e2e/lib.mjs';

const PG_DIR = process.env.TH_PG_DIR;
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const dsn = process.env.TELEHEALTHD_DSN || '';
const skip = !(PG_DIR && dsn) && 'needs tests/pg/run-with-cluster.sh (TH_PG_DIR, TELEHEALTHD_DSN)';

let a, b, cookie, visitId, patientToken;

const settings = (id) => ({ store: { backend: 'postgresql', dsn }, cluster: { node_id: id, lease_seconds: '3' } });

function leaseHolder(visit) {
  const r = spawnSync(`${PG_BIN}/psql`, [dsn, '-At', '-c',
    `SELECT node_id FROM visit_leases WHERE visit_id = '${visit.replace(/'/g, '')}'`], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

before(async () => {
  if (skip) return;
  a = await startServer({ settings: settings('node-a') });
  b = await startServer({ settings: settings('node-b') });
  visitId = a.demo.visit_id;
  patientToken = new URLSearchParams(new URL(a.demo.patient_url).hash.slice(1)).get('token');
  // B's start gave the shared demo provider a new password.
  cookie = (await a.login(b.providerLogin.username, b.providerLogin.password)).cookie;
  // A node learns of a node started after it at its next heartbeat (every
  // third of a lease): until then B's pages count as another origin at A.
  const until = Date.now() + 5000;
  for (;;) {
    const accepted = await connect(a, { origin: b.baseUrl }).then((c) => { c.close(); return true; }, () => false);
    if (accepted) break;
    assert.ok(Date.now() < until, 'node A never accepted a page of node B');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

after(async () => {
  if (a) await a.stop();
  if (b) await b.stop();
});

// A client that keeps every message; next(type) waits for one, bounded.
async function connect(server, { cookie: c, origin } = {}) {
  const headers = {};
  if (c) headers.Cookie = c;
  if (origin) headers.Origin = origin;
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`, { headers });
  const inbox = [];
  let closed = null;
  const wake = new Set();
  ws.on('message', (data) => { inbox.push(JSON.parse(data.toString())); for (const w of wake) w(); });
  ws.on('close', (code) => { closed = code; for (const w of wake) w(); });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return {
    send(obj) { ws.send(JSON.stringify(obj)); },
    get closed() { return closed; },
    // `type`: one type, or a list of them (the first that comes).
    next(type, timeout = 8000) {
      const types = [].concat(type);
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = inbox.findIndex((m) => types.includes(m.type));
          if (i >= 0) { done(); resolve(inbox.splice(i, 1)[0]); } else if (closed !== null) { done(); reject(new Error(`closed (${closed}) before ${type}; got ${JSON.stringify(inbox)}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`no ${type} in ${timeout} ms; got ${JSON.stringify(inbox)}`)); }, timeout);
        const done = () => { clearTimeout(timer); wake.delete(check); };
        wake.add(check);
        check();
      });
    },
    waitClosed(timeout = 5000) {
      return new Promise((resolve, reject) => {
        if (closed !== null) return resolve(closed);
        const timer = setTimeout(() => reject(new Error('not closed')), timeout);
        ws.once('close', (code) => { clearTimeout(timer); resolve(code); });
      });
    },
    close() { ws.terminate(); },
  };
}

test('the first hello makes its node the host; a hello on the other node is redirected there', { skip }, async () => {
  const provider = await connect(a, { cookie });
  provider.send({ type: 'hello', visit: visitId });
  const welcome = await provider.next('welcome');
  assert.equal(welcome.role, 'provider');
  const nodes = await provider.next('nodes');
  assert.deepEqual([...nodes.urls].sort(), [a.baseUrl, b.baseUrl].sort());
  assert.equal(leaseHolder(visitId), 'node-a');

  // The patient's link through B: told where the visit lives, no link of its own.
  const patient = await connect(b);
  patient.send({ type: 'hello', token: patientToken });
  const redirect = await patient.next('redirect');
  assert.deepEqual(redirect, { type: 'redirect', url: a.baseUrl });
  await patient.waitClosed();
  const there = await connect(a, { origin: b.baseUrl });
  there.send({ type: 'hello', token: patientToken });
  assert.equal((await there.next('welcome')).role, 'patient');

  // Staff through B by cookie: a short link for A in the redirect, which A
  // takes without the cookie (B's origin may have another host name).
  const staffB = await connect(b, { cookie });
  staffB.send({ type: 'hello', visit: visitId });
  const staffRedirect = await staffB.next('redirect');
  assert.equal(staffRedirect.url, a.baseUrl);
  assert.match(staffRedirect.token, /^[A-Za-z0-9_-]{20,}$/);
  const elsewhere = await connect(a, { origin: b.baseUrl });
  elsewhere.send({ type: 'hello', token: staffRedirect.token });
  assert.equal((await elsewhere.next('welcome')).role, 'provider');
  for (const c of [provider, there, elsewhere]) c.close();
});

test('a page of another origin is refused; a page of a node is ours', { skip }, async () => {
  await assert.rejects(connect(a, { cookie, origin: 'http://elsewhere.example' }), /Unexpected server response|socket hang up/);
  const peer = await connect(a, { cookie, origin: b.baseUrl });
  peer.send({ type: 'hello', visit: visitId });
  assert.equal((await peer.next('welcome')).role, 'provider');
  peer.close();
});

test('a visit whose room is gone has its lease let go (two heartbeats without a room)', { skip }, async () => {
  const other = b.demo.visit_id; // untouched so far: nobody in any grace period
  const provider = await connect(a, { cookie });
  provider.send({ type: 'hello', visit: other });
  await provider.next('welcome');
  assert.equal(leaseHolder(other), 'node-a');
  provider.send({ type: 'leave' });
  assert.equal((await provider.next('bye')).reason, 'left');
  const until = Date.now() + 6000; // two beats of a 3 s lease, and room to spare
  while (leaseHolder(other) !== '') {
    assert.ok(Date.now() < until, `the lease is still held by ${leaseHolder(other)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

// A TCP door to the test cluster's Unix socket that the test can shut: cut()
// resets every connection through it and every new one at once (a node
// whose database is gone), restore() lets them through again.
async function pgDoor() {
  const live = new Set();
  let shut = false;
  const server = net.createServer((client) => {
    if (shut) { client.destroy(); return; }
    const upstream = net.connect(path.join(PG_DIR, '.s.PGSQL.5432'));
    const end = () => { client.destroy(); upstream.destroy(); live.delete(client); live.delete(upstream); };
    for (const s of [client, upstream]) { live.add(s); s.on('error', end); s.on('close', end); }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    cut() { shut = true; for (const s of live) s.destroy(); },
    restore() { shut = false; },
    close() { this.cut(); return new Promise((resolve) => server.close(resolve)); },
  };
}

// A node (lease 3 s) that reaches database `dbname` through `door` only.
// The log may say what a node says while its database is gone (and
// `expected`), and nothing else.
function startBehind(door, id, dbname, expected) {
  return startServer({
    settings: { cluster: { node_id: id, lease_seconds: '3' }, metrics: { listen: '127.0.0.1:0' } },
    env: { TELEHEALTHD_DSN: `host=127.0.0.1 port=${door.port} dbname=${dbname} user=postgres` },
    allowLog: [
      ...expected,
      /cluster: heartbeat (failed|not run): /,
      /store: the PostgreSQL listener (lost its connection|could not connect)/,
      /signaling hello: (not checked|.* could not be read: store failure)/,
      /visit [0-9a-f-]+: (join|waiting|join event|state \w+) not recorded: |audit event [\w.]+ not recorded: /,
      /the store refused \w+ → \w+/,
    ],
  });
}

test('a node cut off from the database lets go of its rooms before its lease is up', { skip, timeout: 90000 }, async () => {
  const door = await pgDoor();
  const c = await startBehind(door, 'node-c', /dbname=(\S+)/.exec(dsn)[1], [
    /cluster: no heartbeat of this node reached the database for \d+ ms \(its leases are 3 s\): it lets go of the 1 visits it hosted \(1 participants told to reconnect\)/,
  ]);
  try {
    // C's demo gave the demo provider a new password: a session of now.
    const staff = await b.login(c.providerLogin.username, c.providerLogin.password);
    const v = await fetchJson(`${b.baseUrl}/api/visits`, { session: staff, method: 'POST', body: { patient_name: 'Fenced Visit' } });
    assert.equal(v.status, 201, v.text);
    const visit = v.json.visit_id;
    const token = new URLSearchParams(new URL(v.json.patient_url).hash.slice(1)).get('token');

    const patient = await connect(c);
    patient.send({ type: 'hello', token });
    assert.equal((await patient.next('welcome')).role, 'patient');
    assert.equal(leaseHolder(visit), 'node-c');

    const cutAt = Date.now();
    door.cut();
    // The provider keeps knocking at B: redirected to C while C's lease
    // holds, welcomed once it ran out.
    let welcomedAtB = null;
    let provider = null;
    const knocking = (async () => {
      while (Date.now() - cutAt < 20000) {
        const k = await connect(b, { cookie: staff.cookie });
        k.send({ type: 'hello', visit });
        const answer = await k.next(['welcome', 'redirect'], 8000);
        if (answer.type === 'welcome') { welcomedAtB = Date.now(); provider = k; return; }
        assert.equal(answer.url, c.baseUrl, JSON.stringify(answer));
        k.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const bye = await patient.next('bye', 10000);
    const byeAt = Date.now();
    assert.equal(bye.reason, 'shutdown');
    await patient.waitClosed();
    await knocking;
    console.log(`# C let go ${byeAt - cutAt} ms after the cut; B welcomed ${welcomedAtB - cutAt} ms after it`);
    assert.ok(welcomedAtB, 'B never took the visit in');
    assert.ok(byeAt - cutAt < 3000, `C let go within its 3 s lease: ${byeAt - cutAt} ms`);
    assert.ok(byeAt <= welcomedAtB, 'C let go before B hosted the visit');
    assert.equal(leaseHolder(visit), 'node-b');
    await waitFor(() => /cluster: no heartbeat of this node reached the database/.test(c.stderrTail(200)),
      { timeout: 5000, what: "C's log saying why it let go" });

    // Cut off, C hosts nothing: the clinic's fault, said in words.
    const again = await connect(c);
    again.send({ type: 'hello', token });
    const refused = await again.next('error', 15000);
    assert.equal(refused.code, 'internal', JSON.stringify(refused));
    assert.match(refused.message, /fault on its side/);
    again.close();

    // The database answers C again: C sends the patient to B, the host now.
    door.restore();
    await waitFor(() => /the database answers this node's heartbeat again/.test(c.stderrTail(200)),
      { timeout: 15000, what: 'C to say its heartbeat goes through again' });
    const back = await connect(c);
    back.send({ type: 'hello', token });
    assert.deepEqual(await back.next(['redirect', 'welcome'], 15000), { type: 'redirect', url: b.baseUrl });
    back.close();
    provider.close();
    // What an operator's alerts read: one fence, failed heartbeats, a
    // heartbeat through again since the database came back.
    const { samples } = await scrapeMetrics(await metricsUrl(c));
    assert.equal(samples.get('telehealthd_cluster_fences_total'), 1);
    assert.ok(samples.get('telehealthd_cluster_heartbeat_failures_total') >= 1, JSON.stringify([...samples]));
    assert.ok(samples.get('telehealthd_cluster_last_heartbeat_timestamp_seconds') * 1000 >= cutAt);
  } finally {
    await c.stop();
    await door.close();
  }
});

test('the only node of the day keeps its visits while the database is away', { skip, timeout: 60000 }, async () => {
  const store = createDatabase({ backend: 'postgresql', dsn }, 'alone');
  const door = await pgDoor();
  let alone = null;
  try {
    alone = await startBehind(door, 'node-alone', store.dbname, [
      /no other node was seen in the last day, so the 1 visits hosted here go on; none is taken in until the database answers again/,
    ]);
    const token = new URLSearchParams(new URL(alone.demo.patient_url).hash.slice(1)).get('token');
    const patient = await connect(alone);
    patient.send({ type: 'hello', token });
    assert.equal((await patient.next('welcome')).role, 'patient');
    door.cut();
    await waitFor(() => /no other node was seen in the last day/.test(alone.stderrTail(200)),
      { timeout: 8000, what: 'the node to say it keeps its visits' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(patient.closed, null, 'the patient is still connected');
    await assert.rejects(patient.next('bye', 200), /no bye/);
    door.restore();
    await waitFor(() => /the database answers this node's heartbeat again/.test(alone.stderrTail(200)),
      { timeout: 15000, what: 'the heartbeat to go through again' });
    patient.send({ type: 'chat', text: 'Still here' });
    assert.equal((await patient.next('chat')).text, 'Still here');
    const { samples } = await scrapeMetrics(await metricsUrl(alone));
    assert.equal(samples.get('telehealthd_cluster_fences_total'), 0, 'no fence');
    assert.equal(samples.get('telehealthd_cluster_leases'), 1, 'the visit\'s lease is held');
    patient.close();
  } finally {
    if (alone) await alone.stop();
    await door.close();
    dropDatabase(store);
  }
});

test('SIGTERM on the host hands its visits off at once', { skip }, async () => {
  const held = await connect(a, { cookie });
  held.send({ type: 'hello', visit: visitId });
  await held.next('welcome');
  assert.equal(leaseHolder(visitId), 'node-a');
  const stopping = a.stop();
  assert.equal((await held.next('bye')).reason, 'shutdown');
  await stopping;
  // Well within the 3 s lease: B hosts the visit now.
  const patient = await connect(b);
  patient.send({ type: 'hello', token: patientToken });
  assert.equal((await patient.next('welcome')).role, 'patient');
  assert.equal(leaseHolder(visitId), 'node-b');
  patient.close();
});

// A bad [cluster] value stops the start, naming the key and what it must be
// (read on sqlite too, where the section is otherwise unused).
test('[cluster] values out of range stop the start with the key named', { timeout: 30000 }, async () => {
  const { bin, root } = requireEnv();
  const dir = await mkdtemp(path.join(tmpdir(), 'th-cluster-conf-'));
  try {
    const text = await readFile(path.join(root, 'config', 'telehealth.conf'), 'utf8');
    const cases = [
      [{ lease_seconds: '2' }, '[cluster] lease_seconds = "2" must be a number of seconds from 3 to 300'],
      [{ lease_seconds: '301' }, '[cluster] lease_seconds = "301"'],
      [{ lease_seconds: 'ten' }, '[cluster] lease_seconds = "ten"'],
      [{ node_id: 'node a!' }, '[cluster] node_id = "node a!" must be 1 to 64 letters'],
      [{ public_base_url: 'ftp://a.example' }, '[cluster] public_base_url = "ftp://a.example" must start with https:// or http://'],
    ];
    for (const [cluster, words] of cases) {
      const conf = path.join(dir, 'telehealth.conf');
      await writeFile(conf, rewriteConfig(text, { store: { backend: 'sqlite' }, cluster }));
      const env = { ...process.env };
      delete env.TELEHEALTHD_DSN;
      const res = spawnSync(bin, ['--config', conf, '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')],
        { encoding: 'utf8', timeout: 10000, env });
      assert.equal(res.error, undefined, 'telehealthd stops by itself');
      assert.notEqual(res.status, 0);
      assert.ok(res.stderr.includes(words), res.stderr);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
