// Every configured limit refuses with a clear error and the server keeps
// serving: frame size, message rate, connections per address, visits at
// once, participants per visit, REST body size, and a slow reader whose
// unsent messages may not grow without bound.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, requireEnv } from '../e2e/lib.mjs';

const { root } = requireEnv();
let dir;

function config(limits) {
  let text = readFileSync(path.join(root, 'config', 'telehealth.conf'), 'utf8')
    .replace(/catalog = .*/, `catalog = ${path.join(root, 'config', 'medications.json')}`);
  for (const [key, value] of Object.entries(limits))
    text = text.replace(new RegExp(`^${key} = .*$`, 'm'), `${key} = ${value}`);
  const file = path.join(dir, `limits-${Object.keys(limits).join('-')}.conf`);
  writeFileSync(file, text);
  return file;
}

before(() => { dir = mkdtempSync(path.join(tmpdir(), 'th-limits-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

async function open(server, { cookie } = {}) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`, cookie ? { headers: { Cookie: cookie } } : {});
  const inbox = [];
  let closed = false;
  ws.on('message', (d) => inbox.push(JSON.parse(d.toString())));
  ws.on('close', () => { closed = true; });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return { ws, inbox, get closed() { return closed; } };
}

async function until(fn, what, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('frames, rate, connections per address, visits and participants', async () => {
  const server = await startServer({ configPath: config({
    max_frame_bytes: 2048, messages_per_second: 5, message_burst: 10,
    connections_per_address: 4, max_concurrent_visits: 1, max_participants_per_visit: 2,
    http_body_bytes: 2048,
  }) });
  const sockets = [];
  try {
    const token = fragmentOf(server.demo.patient_url).token;
    const a = await open(server);
    sockets.push(a);
    a.ws.send(JSON.stringify({ type: 'chat', text: 'x'.repeat(3000) }));
    await until(() => a.inbox.some((m) => m.code === 'too-large'), 'too-large');
    assert.match(a.inbox.find((m) => m.code === 'too-large').message, /2048 bytes/);

    for (let i = 0; i < 30; i++) a.ws.send('{"type":"leave"');  // malformed on purpose: cheap errors
    await until(() => a.inbox.some((m) => m.code === 'rate-limited'), 'rate-limited');
    assert.equal(a.closed, false, 'a burst is refused, not punished');
    await sleep(1200);  // the bucket refills
    a.ws.send(JSON.stringify({ type: 'hello', token }));
    await until(() => a.inbox.some((m) => m.type === 'welcome'), 'welcome after the burst');

    // Participants per visit: the patient and the provider; a guest is one too many.
    const session = await server.login();
    const g = await fetchJson(`${server.baseUrl}/api/visits/${server.demo.visit_id}/guests`, {
      session, method: 'POST', body: { display_name: 'Guest' },
    });
    assert.equal(g.status, 201, g.text);
    const provider = await open(server, { cookie: session.cookie });
    sockets.push(provider);
    provider.ws.send(JSON.stringify({ type: 'hello', visit: server.demo.visit_id }));
    await until(() => provider.inbox.some((m) => m.type === 'welcome'), 'provider welcome');
    const guest = await open(server);
    sockets.push(guest);
    guest.ws.send(JSON.stringify({ type: 'hello', token: fragmentOf(g.json.guest_url).token }));
    await until(() => guest.inbox.some((m) => m.code === 'busy'), 'busy for a third participant');

    // Visits at once: one is live; another visit's patient is refused.
    const other = await fetchJson(`${server.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: 'Other' } });
    const second = await open(server);
    sockets.push(second);
    second.ws.send(JSON.stringify({ type: 'hello', token: fragmentOf(other.json.patient_url).token }));
    await until(() => second.inbox.some((m) => m.code === 'busy'), 'busy for a second visit');

    // Connections per address count only those without a verified hello (a
    // clinic behind one NAT is not shut out): the patient and the provider
    // no longer count, the refused guest and second patient do. Two idle
    // ones make four; the fifth is told and closed.
    for (let i = 0; i < 2; i++) sockets.push(await open(server));
    await sleep(300);
    assert.ok(sockets.every((s) => !s.closed), 'four without hello, and the two in the visit, stay open');
    const fifth = await open(server);
    await until(() => fifth.closed, 'the fifth connection closed');
    assert.ok(fifth.inbox.some((m) => m.code === 'busy'));
    assert.ok(fifth.inbox.some((m) => m.type === 'bye' && m.reason === 'too-many-connections'));

    const big = await fetchJson(`${server.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: 'y'.repeat(4000) } });
    assert.equal(big.status, 413);
    assert.equal((await fetchJson(`${server.baseUrl}/healthz`)).status, 200, 'still serving');
  } finally {
    for (const s of sockets) s.ws.terminate();
    await server.stop();
  }
});

test('a client that stops reading is disconnected, not buffered forever', async () => {
  const server = await startServer({ configPath: config({
    messages_per_second: 10000, message_burst: 100000, send_queue_bytes: 262144,
  }) });
  const sockets = [];
  try {
    const session = await server.login();
    const provider = await open(server, { cookie: session.cookie });
    const slow = await open(server);
    sockets.push(provider, slow);
    slow.ws.send(JSON.stringify({ type: 'hello', token: fragmentOf(server.demo.patient_url).token }));
    await until(() => slow.inbox.some((m) => m.type === 'welcome'), 'patient welcome');
    provider.ws.send(JSON.stringify({ type: 'hello', visit: server.demo.visit_id }));
    await until(() => provider.inbox.some((m) => m.type === 'welcome'), 'provider welcome');
    slow.ws._socket.pause();  // the patient's client stops reading
    // The provider sends chat, each message only after its own echo came
    // back: the provider keeps up, the paused patient falls behind by one
    // message each time, past the kernel's socket buffers and our queue.
    const text = 'z'.repeat(1900);
    const echo = () => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
      provider.ws.once('message', () => { clearTimeout(timer); resolve(); });
    });
    const deadline = Date.now() + 60000;
    for (let i = 0; i < 20000 && Date.now() < deadline && !provider.closed; i++) {
      const got = echo();
      provider.ws.send(JSON.stringify({ type: 'chat', text }));
      await got;
      if (provider.inbox.length > 100) provider.inbox.splice(0, provider.inbox.length - 10);
      if (provider.inbox.some((m) => m.type === 'peer-state' && m.state === 'reconnecting')) break;
    }
    assert.ok(provider.inbox.some((m) => m.type === 'peer-state' && m.state === 'reconnecting'),
      `the server dropped the slow reader (provider closed: ${provider.closed}; ${JSON.stringify(provider.inbox.filter((m) => m.type !== 'chat').slice(-3))})`);
    slow.ws._socket.resume();
    await until(() => slow.closed, 'the slow reader disconnected', 20000);
    assert.equal(provider.closed, false, `the sender is unaffected: ${JSON.stringify(provider.inbox.filter((m) => m.type !== 'chat').slice(-5))}`);
    assert.equal((await fetchJson(`${server.baseUrl}/healthz`)).status, 200);
  } finally {
    for (const s of sockets) s.ws.terminate();
    await server.stop();
  }
});
