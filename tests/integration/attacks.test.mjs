// The transport under the connection-level attacks of issue 12: idle
// WebSockets that never say hello, oversize and malformed requests, a body
// trickled in, absurd WebSocket frames. Each case gets its status and the
// server keeps serving. Runs in its own network namespace: 127.0.0.0/8
// gives a source address per group of sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, waitFor } from '../e2e/lib.mjs';

// One raw HTTP exchange: writes `head` (and `chunks`, `gapMs` apart), and
// resolves with what came back before the server closed, or `timeout`.
function raw(port, head, { chunks = [], gapMs = 0, timeout = 8000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, why, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] || 0) });
    };
    const timer = setTimeout(() => finish('timeout'), timeout);
    sock.on('data', (d) => { text += d.toString('latin1'); });
    sock.on('end', () => finish('closed'));
    sock.on('error', () => finish('error'));
    sock.on('connect', async () => {
      sock.write(head);
      for (const c of chunks) {
        if (done) return;
        await sleep(gapMs);
        if (!sock.destroyed) sock.write(c);
      }
    });
  });
}

// A WebSocket from a chosen source address that never says hello; keeps
// what it is told and how it was closed.
function idleSocket(baseUrl, localAddress) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/signaling`, { localAddress });
    const s = { ws, inbox: [], closed: null };
    ws.on('message', (d) => s.inbox.push(JSON.parse(d.toString())));
    ws.on('close', (code) => { s.closed = code; });
    ws.once('open', () => resolve(s));
    ws.once('error', reject);
  });
}

async function signaling(baseUrl, { cookie } = {}) {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/signaling`,
    cookie ? { headers: { Cookie: cookie } } : {});
  const c = { ws, inbox: [], closed: null, send: (m) => ws.send(JSON.stringify(m)) };
  ws.on('message', (d) => c.inbox.push(JSON.parse(d.toString())));
  ws.on('close', (code) => { c.closed = code; });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  c.next = (type, pred = () => true, timeout = 10000) => waitFor(
    () => c.inbox.find((m) => m.type === type && pred(m)), { timeout, interval: 25, what: type });
  return c;
}

test('1,100 idle WebSockets: a patient is still admitted, /healthz answers, the idle ones are closed at the hello deadline', { timeout: 120000 }, async () => {
  // Long enough for a loaded machine to open all 1,100 first (the default
  // is 10 s).
  const helloTimeout = 30;
  const server = await startServer({ settings: { limits: { hello_timeout_seconds: helloTimeout } } });
  const idle = [];
  try {
    // 11 addresses × 100: each address under the per-address cap (200) for
    // connections that have not said hello.
    const openedAt = Date.now();
    await Promise.all(Array.from({ length: 11 }, async (_, a) => {
      for (let i = 0; i < 100; i += 20) {
        const batch = Array.from({ length: 20 }, () => idleSocket(server.baseUrl, `127.0.0.${a + 2}`));
        idle.push(...await Promise.all(batch));
      }
    }));
    assert.equal(idle.length, 1100);
    const took = Date.now() - openedAt;
    assert.ok(took < helloTimeout * 1000 - 5000, `opened in ${took} ms, well before the deadline`);
    assert.equal(idle.filter((s) => s.closed !== null).length, 0, 'all 1,100 open');

    const health = await fetchJson(`${server.baseUrl}/healthz`);
    assert.equal(health.status, 200);

    // A real visit meanwhile: the patient waits, the provider admits.
    const session = await server.login();
    const patient = await signaling(server.baseUrl);
    const provider = await signaling(server.baseUrl, { cookie: session.cookie });
    try {
      patient.send({ type: 'hello', token: fragmentOf(server.demo.patient_url).token });
      const welcome = await patient.next('welcome');
      provider.send({ type: 'hello', visit: server.demo.visit_id });
      await provider.next('waiting', (m) => m.participants.length === 1);
      provider.send({ type: 'admit', participant: welcome.participant });
      await patient.next('visit-state', (m) => m.state === 'in_progress');

      // The deadline closes every idle one, with bye(hello-timeout)...
      await waitFor(() => idle.every((s) => s.closed !== null),
        { timeout: (helloTimeout + 15) * 1000, interval: 200, what: 'every idle socket closed' });
      const told = idle.filter((s) => s.inbox.some((m) => m.type === 'bye' && m.reason === 'hello-timeout'));
      assert.equal(told.length, 1100, 'each idle socket is told why');
      // ... but not the two who said hello.
      assert.equal(patient.closed, null);
      assert.equal(provider.closed, null);
      assert.equal((await fetchJson(`${server.baseUrl}/healthz`)).status, 200);
    } finally {
      patient.ws.terminate();
      provider.ws.terminate();
    }
  } finally {
    for (const s of idle) s.ws.terminate();
    await server.stop();
  }
});

test('oversize URIs and headers get 431, bad lengths 400, a trickled body 408', { timeout: 60000 }, async () => {
  const server = await startServer({ settings: { limits: { body_timeout_seconds: 2 } } });
  const { port } = server;
  try {
    const longUrl = await raw(port, `GET /api/${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(longUrl.status, 431, longUrl.text.slice(0, 200));
    const longHeader = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nReferer: ${'a'.repeat(13000)}\r\n\r\n`);
    assert.equal(longHeader.status, 431, longHeader.text.slice(0, 200));

    for (const length of ['-1', '18446744073709551617', '99999999999999999999999', '12abc', '+5']) {
      const r = await raw(port, `POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
      assert.equal(r.status, 400, `Content-Length: ${length}: ${r.text.slice(0, 200)}`);
      assert.match(r.text, /"code":"bad-length"/);
      assert.equal(r.why, 'closed', 'the connection ends after a malformed request');
    }

    // One byte every 400 ms of a 100-byte body: 408 at the 2 s deadline,
    // though no single read is slow.
    const started = Date.now();
    const slow = await raw(port, 'POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
      { chunks: Array(40).fill(' '), gapMs: 400, timeout: 15000 });
    assert.equal(slow.status, 408, slow.text.slice(0, 200));
    assert.match(slow.text, /"code":"body-timeout"/);
    const took = Date.now() - started;
    assert.ok(took >= 1800 && took < 6000, `408 after ${took} ms`);

    // Forty connections that send an empty request: lws's "Missing URI"
    // line is on a budget, not one per connection.
    await Promise.all(Array.from({ length: 40 }, () => raw(port, '\r\n\r\n', { timeout: 3000 })));
    assert.equal((await fetchJson(`${server.baseUrl}/healthz`)).status, 200, 'still serving');
    const missing = server.stderrTail(5000).split('\n').filter((l) => /Missing URI/.test(l)).length;
    assert.ok(missing >= 1 && missing <= 5, `${missing} "Missing URI" lines for 40 connections`);
  } finally {
    await server.stop();
  }
});

// CPU time (user + system, in clock ticks) the process has used.
function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

test('past [limits] max_connections new sockets are closed at once, without spinning', { timeout: 60000 }, async () => {
  const server = await startServer({ settings: { limits: { max_connections: 50 } },
                                    allowLog: [/connections open, the most allowed \(\[limits\] max_connections\)/] });
  const sockets = [];
  try {
    const closed = new Set();
    for (let i = 0; i < 200; i++) {
      const s = net.connect({ host: '127.0.0.1', port: server.port, localAddress: `127.0.1.${1 + (i % 200)}` });
      s.on('close', () => closed.add(s));
      s.on('error', () => {});
      sockets.push(s);
    }
    await waitFor(() => closed.size >= 150, { timeout: 10000, what: '150 sockets closed', interval: 50 });
    const before = cpuTicks(server.proc.pid);
    await sleep(2000);
    const spent = cpuTicks(server.proc.pid) - before;
    assert.ok(spent < 50, `the server used ${spent} ticks in 2 s at the cap`);
    assert.equal(closed.size, 150, 'exactly the 50 allowed stay open');
    for (const s of sockets) s.destroy();
    await waitFor(async () => (await fetchJson(`${server.baseUrl}/healthz`).catch(() => ({}))).status === 200,
      { timeout: 10000, what: '/healthz once they are gone' });
    assert.match(server.stderrTail(200), /50 connections open, the most allowed/);
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
  }
});

// The raw upgrade, then `frame` as the client's first frame; resolves with
// the close code the server sent (0 if none) and how the socket ended.
function wsRaw(port, frame, timeout = 8000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      // A close frame: 0x88, length, then the two-byte code.
      const i = buf.indexOf(0x88);
      resolve({ why, code: i >= 0 && buf.length >= i + 4 ? buf.readUInt16BE(i + 2) : 0 });
    };
    const timer = setTimeout(() => finish('timeout'), timeout);
    sock.on('data', (d) => {
      if (!upgraded) {
        const text = Buffer.concat([buf, d]).toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) { buf = Buffer.concat([buf, d]); return; }
        upgraded = true;
        assert.match(text, /^HTTP\/1\.1 101/);
        buf = Buffer.from(text.slice(end + 4), 'latin1');
        sock.write(frame);
        return;
      }
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf(0x88);
      if (i >= 0 && buf.length >= i + 4) finish('close frame');
    });
    sock.on('end', () => finish('closed'));
    sock.on('error', () => finish('error'));
    sock.on('connect', () => sock.write('GET /signaling HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'));
  });
}

test('a frame claiming 2^62 bytes is closed with 1009', { timeout: 30000 }, async () => {
  const server = await startServer();
  try {
    // FIN + text, masked, 64-bit length 2^62, a mask key, then payload.
    const header = Buffer.from([0x81, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    const r = await wsRaw(server.port, Buffer.concat([header, Buffer.alloc(4096, 0x20)]));
    assert.equal(r.code, 1009, `closed with ${r.code} (${r.why})`);
    assert.equal((await fetchJson(`${server.baseUrl}/healthz`)).status, 200);
  } finally {
    await server.stop();
  }
});
