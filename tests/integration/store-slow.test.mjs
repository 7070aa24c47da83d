// Integration: a slow database does not freeze a visit (issue 18). Another
// process holds the store's write lock (as the admin CLI, a backup or another
// node's transaction would keep the server waiting; sqlite or PostgreSQL); a REST
// write waits for it on a store worker, while the main loop goes on
// answering the health check and the visit's signaling promptly. Once the
// lock is released the write goes through; held past the worker's wait
// (5 s), the write is answered 503 "busy, try again" and nothing is saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, withTimeout, requireEnv, rewriteConfig, holdStoreWriteLock } from '../e2e/lib.mjs';

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
async function holdWriteLock(holdMs) {
  const lock = await holdStoreWriteLock(server);
  const releasedAt = sleep(holdMs).then(() => lock.release());
  releasedAt.catch(() => {}); // awaited by the test; not an unhandled rejection meanwhile
  return { releasedAt };
}

// A patient in the visit's signaling, and the time of one round trip (a
// message of an unknown type is answered by the server's loop itself).
async function signalingProbe() {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`);
  const waiters = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    const i = waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(msg);
  });
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'WebSocket open');
  const next = (pred) => withTimeout(new Promise((resolve) => waiters.push({ pred, resolve })), 5000, 'a signaling answer');
  const welcome = next((m) => m.type === 'welcome');
  ws.send(JSON.stringify({ type: 'hello', token: fragmentOf(demo.patient_url).token }));
  assert.equal((await welcome).role, 'patient');
  return {
    async probe() {
      const t0 = performance.now();
      const answer = next((m) => m.type === 'error' && m.code === 'unknown-type');
      ws.send(JSON.stringify({ type: 'probe' }));
      await answer;
      return performance.now() - t0;
    },
    close() { ws.terminate(); },
  };
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
  const probe = await signalingProbe();
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
  const probe = await signalingProbe();
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
