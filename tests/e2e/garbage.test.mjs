// Robustness: feed /signaling frames a broken or hostile client would send
// (binary, oversized, invalid JSON, a flood) and check the server answers
// with errors or closes that one socket, and keeps serving everyone else:
// /healthz stays 200 and a real two-browser visit still gets media through.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { startServer, runVisit, fetchJson, waitFor, withTimeout } from './lib.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) await server.stop();
});

// A WebSocket with a mailbox: every text frame parsed, the close recorded.
async function probe() {
  const url = `${server.baseUrl.replace(/^http/, 'ws')}/signaling`;
  const ws = new WebSocket(url, { handshakeTimeout: 5000, maxPayload: 4 * 1024 * 1024 });
  const box = { ws, messages: [], closed: null, errors: [] };
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      box.messages.push({ type: '<binary>' });
      return;
    }
    try {
      box.messages.push(JSON.parse(data.toString('utf8')));
    } catch {
      box.messages.push({ type: '<invalid-json>', raw: data.toString('utf8').slice(0, 200) });
    }
  });
  ws.on('close', (code, reason) => { box.closed = { code, reason: reason.toString() }; });
  ws.on('error', (err) => { box.errors.push(err.message); });
  await withTimeout(new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  }), 5000, `opening ${url}`);
  box.cursor = 0;
  // Next message (after the ones already taken) matching pred.
  box.next = (pred = () => true, timeout = 5000, what = 'a message') => waitFor(() => {
    while (box.cursor < box.messages.length) {
      const m = box.messages[box.cursor];
      box.cursor += 1;
      if (pred(m)) return m;
    }
    if (box.closed) throw new Error(`socket closed (${box.closed.code} ${box.closed.reason}) before ${what}`);
    return null;
  }, { timeout, interval: 20, what });
  box.sendJson = (obj) => ws.send(JSON.stringify(obj));
  box.close = () => { try { ws.terminate(); } catch { /* already gone */ } };
  return box;
}

const isError = (code) => (m) => m.type === 'error' && (!code || m.code === code);

test('binary frame: error binary-unsupported, socket keeps working', { timeout: 20000 }, async () => {
  const s = await probe();
  try {
    s.ws.send(Buffer.from([0, 1, 2, 3, 0xff, 0xfe]), { binary: true });
    const err = await s.next(isError(), 5000, 'an error frame after a binary frame');
    assert.equal(err.code, 'binary-unsupported');
    assert.equal(typeof err.message, 'string');
    assert.equal(s.closed, null, 'the socket stays open after a binary frame');

    s.sendJson({ type: 'hello', token: 'not-a-real-token-0000000000000000' });
    const unauth = await s.next(isError(), 5000, 'an error frame after a hello with a bad token');
    assert.equal(unauth.code, 'unauthorized');
  } finally {
    s.close();
  }
});

test('1 MiB text frame: error too-large or a close; the server keeps serving', { timeout: 20000 }, async (t) => {
  const s = await probe();
  try {
    const big = JSON.stringify({ type: 'chat', text: 'x'.repeat(1024 * 1024) });
    s.ws.send(big);
    await waitFor(() => s.closed || s.messages.some(isError()), { timeout: 10000, what: 'an error or a close after a 1 MiB frame' });
    const err = s.messages.find(isError());
    if (err) {
      t.diagnostic(`answer: error ${err.code}${s.closed ? `, then closed ${s.closed.code}` : ''}`);
      if (!s.closed) assert.equal(err.code, 'too-large');
    } else {
      t.diagnostic(`answer: closed ${s.closed.code} ${s.closed.reason}`);
    }
  } finally {
    s.close();
  }
  // A fresh connection still works.
  const s2 = await probe();
  try {
    s2.sendJson({ type: 'hello', token: 'still-not-a-token' });
    const unauth = await s2.next(isError(), 5000, 'unauthorized on a fresh socket');
    assert.equal(unauth.code, 'unauthorized');
  } finally {
    s2.close();
  }
});

test('invalid JSON: error bad-json, socket stays open', { timeout: 20000 }, async () => {
  const s = await probe();
  try {
    s.ws.send('{"type": "hello", "token": ');
    const err = await s.next(isError(), 5000, 'an error frame after invalid JSON');
    assert.equal(err.code, 'bad-json');
    s.ws.send('this is not json at all');
    const err2 = await s.next(isError(), 5000, 'a second bad-json error');
    assert.equal(err2.code, 'bad-json');
    assert.equal(s.closed, null);
    // And the protocol's other shape checks answer with errors too.
    s.sendJson([1, 2, 3]);
    const notObject = await s.next(isError(), 5000, 'an error for a JSON array');
    assert.ok(['not-object', 'missing-type', 'bad-json'].includes(notObject.code), `array → ${notObject.code}`);
    s.sendJson({ kind: 'hello' });
    assert.equal((await s.next(isError(), 5000, 'missing-type')).code, 'missing-type');
    s.sendJson({ type: 'no-such-type' });
    assert.equal((await s.next(isError(), 5000, 'unknown-type')).code, 'unknown-type');
  } finally {
    s.close();
  }
});

test('flood of 1,000 junk messages: errors or a close for abuse', { timeout: 30000 }, async (t) => {
  const s = await probe();
  const junk = [
    () => JSON.stringify({ type: 'chat', text: 'hi' }),
    () => JSON.stringify({ type: 'ice', candidate: 42, sdpMLineIndex: 'zero' }),
    () => JSON.stringify({ type: 'answer', sdp: 'v=0 broken' }),
    () => JSON.stringify({ type: 'admit', participant: 'nobody' }),
    () => JSON.stringify({ type: 'hello', token: 'x'.repeat(40) }),
    () => JSON.stringify({ type: 'unknown-thing', n: Math.random() }),
    () => JSON.stringify({ type: 'end' }),
    () => '{"type":',
    () => JSON.stringify({ type: 'leave', extra: { deep: [1, 2, 3] } }),
    () => JSON.stringify({ type: 'offer', sdp: 5 }),
  ];
  try {
    let sent = 0;
    for (let i = 0; i < 1000; i += 1) {
      if (s.ws.readyState !== WebSocket.OPEN) break;
      s.ws.send(junk[i % junk.length]());
      sent += 1;
    }
    // Wait until the socket is closed or the answers stop coming.
    let lastCount = -1;
    let quietSince = Date.now();
    await waitFor(() => {
      if (s.closed) return true;
      if (s.messages.length !== lastCount) {
        lastCount = s.messages.length;
        quietSince = Date.now();
        return false;
      }
      return Date.now() - quietSince > 1500;
    }, { timeout: 20000, interval: 100, what: 'the flood to be answered or the socket closed' });

    const errors = s.messages.filter(isError());
    const codes = {};
    for (const e of errors) codes[e.code] = (codes[e.code] || 0) + 1;
    t.diagnostic(`sent ${sent}; got ${s.messages.length} messages, errors by code ${JSON.stringify(codes)}; closed: ${JSON.stringify(s.closed)}`);
    assert.ok(errors.length > 0 || s.closed, 'the server answered the junk with errors or closed the socket');
    const others = s.messages.filter((m) => m.type !== 'error' && m.type !== 'bye');
    assert.deepEqual(others.map((m) => m.type), [], 'junk from an unauthenticated socket gets nothing but errors');
    if (!codes['rate-limited'] && !s.closed) {
      t.diagnostic('note: 1,000 messages were neither rate-limited nor closed for abuse');
    }
  } finally {
    s.close();
  }
});

test('after all that: /healthz is 200 and a real visit gets media both ways', { timeout: 120000 }, async (t) => {
  await sleep(200);
  assert.ok(server.alive(), `telehealthd is still running\n${server.stderrTail()}`);
  const health = await fetchJson(`${server.baseUrl}/healthz`);
  assert.equal(health.status, 200, `GET /healthz → ${health.status} ${health.text.slice(0, 200)}`);
  assert.equal(health.json && health.json.status, 'ok');
  t.diagnostic(`healthz: ${health.text.trim()}`);

  const result = await runVisit(server, server.demo, { log: (m) => t.diagnostic(m) });
  assert.ok(result.patientMedia.second > result.patientMedia.first);
  assert.ok(result.providerMedia.second > result.providerMedia.first);
  assert.deepEqual(result.pageErrors, []);
  assert.ok(result.landing.signedIn, 'the provider signed in through the sign-in page');
  assert.ok(server.alive(), 'telehealthd is still running after the visit');
});
