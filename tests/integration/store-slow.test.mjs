// Integration: a slow database does not freeze a visit (issue 18). Another
// process holds the store's write lock (as the admin CLI, a backup or another
// node's transaction would keep the server waiting; sqlite or PostgreSQL); a REST
// write waits for it on a store worker, while the main loop goes on
// answering the health check and the visit's signaling promptly. Once the
// lock is released the write goes through; held past the worker's wait
// (5 s), the write is answered 503 "busy, try again" and nothing is saved.
// The same for a visit's own records (its state, chat, admit): signaling
// answers at once meanwhile, and what waits for its record follows the
// release in the order it was sent (or, held too long, is refused in words).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, withTimeout, requireEnv, rewriteConfig, holdStoreWriteLock, signalingProbe } from '../e2e/lib.mjs';

let server;
let session;
let demo;

before(async () => {
  server = await startServer();
  demo = server.demo;
  session = await server.login();
});

after(async () => {
  if (server) await server.stop();
});

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, timeout: 20000, ...opts });

// Another process takes the store's write lock (lib.mjs holdStoreWriteLock:
// sqlite's BEGIN IMMEDIATE, or PostgreSQL's advisory lock) and keeps it for
// `holdMs`; resolves once it holds it, with a promise of its release.
async function holdWriteLock(holdMs, target = server) {
  const lock = await holdStoreWriteLock(target);
  const releasedAt = sleep(holdMs).then(() => lock.release());
  releasedAt.catch(() => {}); // awaited by the test; not an unhandled rejection meanwhile
  return { releasedAt };
}

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

// What the main loop answers while the write waits: the health check and
// signaling round trips, each timed, until `done` settles.
async function loopWhileStuck(probe, done) {
  let settled = false;
  done.finally(() => { settled = true; }).catch(() => {});
  const health = [];
  const signaling = [];
  for (let i = 0; i < 10 && !settled; i++) {
    const h = await timed(() => fetchJson(`${server.baseUrl}/healthz`, { timeout: 5000 }));
    assert.equal(h.value.status, 200, h.value.text);
    health.push(h.ms);
    signaling.push(await probe.probe());
    await new Promise((r) => setTimeout(r, 100));
  }
  return { health, signaling };
}

test('a REST write waits for a held database on a worker while the health check and signaling answer at once', { timeout: 60000 }, async () => {
  const probe = await signalingProbe(server);
  try {
    const lock = await holdWriteLock(3000);
    const t0 = performance.now();
    const write = api(`/api/visits/${demo.visit_id}/notes`, { method: 'POST', body: { text: 'Written while the database was held.' } });
    const seen = await loopWhileStuck(probe, write);
    const answer = await write;
    const answeredAt = performance.now();
    const releasedAt = await lock.releasedAt;
    console.log(`held 3 s: health max ${Math.max(...seen.health).toFixed(1)} ms, signaling max ${Math.max(...seen.signaling).toFixed(1)} ms over ${seen.health.length} rounds; the write ${answer.status} after ${(answeredAt - t0).toFixed(0)} ms`);
    // The loop was asked several times while the write was stuck ...
    assert.ok(seen.health.length >= 5, `${seen.health.length} health checks while the write waited`);
    // ... and answered each at once.
    assert.ok(Math.max(...seen.health) < 500, `health check took ${Math.max(...seen.health).toFixed(0)} ms`);
    assert.ok(Math.max(...seen.signaling) < 500, `signaling took ${Math.max(...seen.signaling).toFixed(0)} ms`);
    // The write waited for the lock (it was not answered before the
    // release) and then went through.
    assert.equal(answer.status, 201, answer.text);
    assert.ok(answeredAt >= releasedAt - 50, 'the write was answered once the lock was released');
    const rec = await api(`/api/visits/${demo.visit_id}/record`);
    assert.equal(rec.status, 200, rec.text);
    assert.ok(JSON.stringify(rec.json).includes('Written while the database was held.'), 'the note is in the record');
  } finally {
    probe.close();
  }
});

test('held past the worker\'s wait, the write is answered 503 busy and nothing is saved, and the loop never stalls', { timeout: 60000 }, async () => {
  const probe = await signalingProbe(server);
  try {
    const lock = await holdWriteLock(7000);
    const write = timed(() => api(`/api/visits/${demo.visit_id}/notes`, { method: 'POST', body: { text: 'Not saved: the database was held too long.' } }));
    const seen = await loopWhileStuck(probe, write);
    const { value: answer, ms } = await write;
    console.log(`held 7 s: health max ${Math.max(...seen.health).toFixed(1)} ms, signaling max ${Math.max(...seen.signaling).toFixed(1)} ms; the write ${answer.status} after ${ms.toFixed(0)} ms`);
    assert.ok(Math.max(...seen.health) < 500, `health check took ${Math.max(...seen.health).toFixed(0)} ms`);
    assert.ok(Math.max(...seen.signaling) < 500, `signaling took ${Math.max(...seen.signaling).toFixed(0)} ms`);
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.json.error.code, 'busy');
    assert.match(answer.json.error.message, /busy for a moment\. Try again/);
    assert.ok(ms >= 4500 && ms < 6900, `answered after ${ms.toFixed(0)} ms: the worker's 5 s wait`);
    await lock.releasedAt;
    const rec = await api(`/api/visits/${demo.visit_id}/record`);
    assert.equal(rec.status, 200, rec.text);
    assert.ok(!JSON.stringify(rec.json).includes('Not saved: the database was held too long.'), 'nothing was saved');
  } finally {
    probe.close();
  }
});

// [store] queue: REST calls waiting for a worker at most. With one worker
// held by a locked database and a queue of 2, a burst of writes is answered
// at once 503 "busy, try again" past those two (nothing of them saved), and
// the ones queued go through once the lock is released.
test('a REST call that finds the store\'s queue full is answered 503 busy at once', { timeout: 60000 }, async () => {
  const small = await startServer({ settings: { store: { workers: '1', queue: '2' } } });
  try {
    const s = await small.login();
    const v = small.demo.visit_id;
    const lock = await holdWriteLock(3000, small);
    const burst = [];
    for (let i = 0; i < 6; i++) {
      burst.push(timed(() => fetchJson(`${small.baseUrl}/api/visits/${v}/notes`,
        { session: s, timeout: 20000, method: 'POST', body: { text: `burst note ${i}` } })));
      // In order: the first reaches the worker, the next two wait.
      await new Promise((r) => setTimeout(r, 50));
    }
    const answers = await Promise.all(burst);
    await lock.releasedAt;
    const statuses = answers.map((a) => a.value.status);
    console.log(`queue 2, one held worker: ${answers.map((a) => `${a.value.status} in ${a.ms.toFixed(0)} ms`).join(', ')}`);
    // One runs, two wait, the rest are turned away. (The third is 503 too
    // if it came before the worker took the first: a loaded machine.)
    assert.deepEqual(statuses.slice(0, 2), [201, 201], statuses.join(','));
    assert.ok([201, 503].includes(statuses[2]), statuses.join(','));
    assert.deepEqual(statuses.slice(3), [503, 503, 503], statuses.join(','));
    for (const a of answers.filter((x) => x.value.status === 503)) {
      assert.ok(a.ms < 500, `busy answered after ${a.ms.toFixed(0)} ms`);
      assert.equal(a.value.json.error.code, 'busy');
      assert.match(a.value.json.error.message, /busy for a moment\. Try again/);
    }
    const rec = JSON.stringify((await fetchJson(`${small.baseUrl}/api/visits/${v}/record`, { session: s })).json);
    for (let i = 0; i < 6; i++) assert.equal(rec.includes(`burst note ${i}`), statuses[i] === 201, `note ${i}`);
  } finally {
    await small.stop();
  }
});

// [store] workers outside 1..64 stops the start, naming the key and the range.
test('[store] workers must be 1 to 64', { timeout: 30000 }, async () => {
  const { bin, root } = requireEnv();
  const dir = await mkdtemp(path.join(tmpdir(), 'th-workers-'));
  try {
    const text = await readFile(path.join(root, 'config', 'telehealth.conf'), 'utf8');
    for (const workers of ['0', '65', 'many']) {
      const conf = path.join(dir, 'telehealth.conf');
      await writeFile(conf, rewriteConfig(text, { store: { workers } }));
      const res = spawnSync(bin, ['--config', conf, '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')],
        { encoding: 'utf8', timeout: 10000 });
      assert.equal(res.error, undefined, 'telehealthd stops by itself');
      assert.notEqual(res.status, 0);
      assert.ok(res.stderr.includes(`[store] workers = "${workers}" is not a whole number from 1 to 64`), res.stderr);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------- a visit's own records
// The records of what happens in a visit (its state, chat, who was
// admitted) are written on a store worker too, one after another per visit
// (server/hooks_visit.c). While the database is held the loop keeps
// answering at once (a probe, a media-state relayed to the other side); what
// waits for its record (a chat is shown only once stored, an admit once the
// visit's start is recorded) comes once the lock is released, in the order
// it was sent.

// A signaling client that keeps what it was sent, each with when it came.
async function client({ cookie, hello }) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`,
    cookie ? { headers: { Cookie: cookie } } : {});
  const inbox = [];
  ws.on('message', (data) => { inbox.push({ ...JSON.parse(data.toString()), receivedAt: performance.now() }); });
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'WebSocket open');
  const c = {
    inbox,
    send(obj) { ws.send(JSON.stringify(obj)); },
    async find(pred, what, timeout = 15000) {
      const t0 = performance.now();
      for (;;) {
        const m = inbox.find(pred);
        if (m) return m;
        if (performance.now() - t0 > timeout) throw new Error(`no ${what}; inbox ${JSON.stringify(inbox.map((x) => x.type))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async probe() {
      const t0 = performance.now();
      const n = inbox.filter((m) => m.type === 'error' && m.code === 'unknown-type').length;
      c.send({ type: 'probe' });
      for (;;) {
        if (inbox.filter((m) => m.type === 'error' && m.code === 'unknown-type').length > n) return performance.now() - t0;
        if (performance.now() - t0 > 5000) throw new Error('no answer to a probe');
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    close() { ws.terminate(); },
  };
  c.send(hello);
  await c.find((m) => m.type === 'welcome', 'welcome');
  return c;
}

async function newVisit(name) {
  const res = await api('/api/visits', { method: 'POST', body: { patient_name: name } });
  assert.equal(res.status, 201, res.text);
  return { id: res.json.visit_id, token: fragmentOf(res.json.patient_url).token };
}

test('while the database is held, signaling answers at once; the chat, the admit and the visit\'s start follow the release, in order, and are stored in it', { timeout: 60000 }, async () => {
  const v = await newVisit('Hilda Heldlock');
  const patient = await client({ hello: { type: 'hello', token: v.token } });
  const provider = await client({ cookie: session.cookie, hello: { type: 'hello', visit: v.id } });
  try {
    await provider.find((m) => m.type === 'waiting' && m.participants.length === 1, 'the patient waiting');
    const who = patient.inbox.find((m) => m.type === 'welcome').participant;
    await patient.find((m) => m.type === 'visit-state' && m.state === 'waiting', 'waiting recorded');

    const lock = await holdWriteLock(3000);
    const sentAt = performance.now();
    patient.send({ type: 'chat', text: 'first, while held' });
    provider.send({ type: 'admit', participant: who });
    provider.send({ type: 'chat', text: 'second, while held' });
    provider.send({ type: 'media-state', audio: false, video: true });
    // Not waiting for the database: relayed at once, and probes answered.
    const relayed = await patient.find((m) => m.type === 'media-state' && m.audio === false, 'media-state relayed');
    const probes = [];
    for (let i = 0; i < 8; i++) {
      probes.push(await provider.probe(), await patient.probe());
      await new Promise((r) => setTimeout(r, 150));
    }
    const chat2 = await patient.find((m) => m.type === 'chat' && m.text === 'second, while held', 'the second chat');
    const releasedAt = await lock.releasedAt;
    console.log(`held 3 s: media-state relayed after ${(relayed.receivedAt - sentAt).toFixed(1)} ms, probes max ${Math.max(...probes).toFixed(1)} ms; the chats and the admit after ${(chat2.receivedAt - sentAt).toFixed(0)} ms`);
    assert.ok(relayed.receivedAt - sentAt < 500, 'the media-state was relayed at once');
    assert.ok(Math.max(...probes) < 500, `a probe took ${Math.max(...probes).toFixed(0)} ms`);
    // Shown once stored: after the release, in the order sent.
    const chat1 = patient.inbox.find((m) => m.type === 'chat' && m.text === 'first, while held');
    const started = patient.inbox.find((m) => m.type === 'visit-state' && m.state === 'in_progress');
    assert.ok(chat1 && started, 'the first chat and the visit\'s start came');
    // (The lock was taken before the sends and held 3 s.)
    assert.ok(chat1.receivedAt - sentAt > 2000 && chat1.receivedAt >= releasedAt - 500,
      `the chat waited for its record: ${(chat1.receivedAt - sentAt).toFixed(0)} ms`);
    assert.ok(patient.inbox.indexOf(chat1) < patient.inbox.indexOf(started), 'the first chat before the start');
    assert.ok(patient.inbox.indexOf(started) < patient.inbox.indexOf(chat2), 'the start before the second chat');
    await provider.find((m) => m.type === 'peer-state' && m.state === 'admitted', 'the admit');
    // The record reads the same order.
    const visit = await api(`/api/visits/${v.id}`);
    assert.equal(visit.status, 200, visit.text);
    assert.equal(visit.json.state, 'in_progress');
    const chats = await api(`/api/visits/${v.id}/chat`);
    assert.deepEqual(chats.json.messages.map((m) => m.text), ['first, while held', 'second, while held']);
    const kinds = visit.json.timeline.map((e) => (e.kind === 'state' ? `state:${e.state}` : e.kind));
    const i1 = kinds.indexOf('chat');
    const iStart = kinds.indexOf('state:in_progress');
    const i2 = kinds.lastIndexOf('chat');
    assert.ok(i1 >= 0 && i1 < iStart && iStart < i2, `timeline ${kinds.join(',')}`);
  } finally {
    patient.close();
    provider.close();
  }
});

test('held past the worker\'s wait, a chat is refused to its sender in words and not stored; the end then goes through', { timeout: 60000 }, async () => {
  const v = await newVisit('Ursula Unsaved');
  const patient = await client({ hello: { type: 'hello', token: v.token } });
  const provider = await client({ cookie: session.cookie, hello: { type: 'hello', visit: v.id } });
  try {
    await patient.find((m) => m.type === 'visit-state' && m.state === 'waiting', 'waiting recorded');
    // Said in the log, with the store's reason and not the text.
    server.allowLog(/chat message not stored: insert chat message: (database is locked|canceling statement due to lock timeout)/);
    const lock = await holdWriteLock(7000);
    const sentAt = performance.now();
    patient.send({ type: 'chat', text: 'lost to a held database' });
    const probes = [];
    for (let i = 0; i < 10; i++) {
      probes.push(await patient.probe());
      await new Promise((r) => setTimeout(r, 200));
    }
    const refused = await patient.find((m) => m.type === 'error' && m.code === 'internal', 'the refusal', 10000);
    const ms = refused.receivedAt - sentAt;
    console.log(`held 7 s: probes max ${Math.max(...probes).toFixed(1)} ms; the chat refused after ${ms.toFixed(0)} ms: ${refused.message}`);
    assert.ok(Math.max(...probes) < 500, `a probe took ${Math.max(...probes).toFixed(0)} ms`);
    assert.match(refused.message, /could not save your message.*not sent.*send it again/);
    assert.ok(ms >= 4500 && ms < 6900, `refused after ${ms.toFixed(0)} ms: the worker's 5 s wait`);
    assert.ok(!provider.inbox.some((m) => m.type === 'chat'), 'nobody saw it');
    await lock.releasedAt;
    assert.deepEqual((await api(`/api/visits/${v.id}/chat`)).json.messages, []);
    provider.send({ type: 'end' });
    await patient.find((m) => m.type === 'visit-state' && m.state === 'ended', 'the end');
    assert.equal((await api(`/api/visits/${v.id}`)).json.state, 'ended');
  } finally {
    patient.close();
    provider.close();
  }
});
