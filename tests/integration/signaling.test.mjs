// Integration: a real telehealthd, real WebSocket clients (no browser, no
// media answer), the REST API. Checks the signaling contract of
// tests/CONTRACT.md message by message, and that every refusal is a precise
// error on a connection that keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf } from '../e2e/lib.mjs';

let server;
let patientToken;
let session;       // the demo provider, signed in
let visitId;

before(async () => {
  server = await startServer();
  patientToken = fragmentOf(server.demo.patient_url).token;
  session = await server.login();
  visitId = server.demo.visit_id;
});

after(async () => {
  if (server) await server.stop();
});

// A signaling client that keeps every message and lets a test wait for the
// next one of a type, bounded in time.
async function connect({ cookie } = {}) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`,
    cookie ? { headers: { Cookie: cookie } } : {});
  const inbox = [];
  const waiters = [];
  let closed = null;
  ws.on('message', (data, isBinary) => {
    assert.equal(isBinary, false, 'the server only sends text frames');
    const msg = JSON.parse(data.toString());
    inbox.push(msg);
    for (const w of [...waiters]) w();
  });
  ws.on('close', (code) => { closed = code; for (const w of [...waiters]) w(); });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const client = {
    ws,
    inbox,
    get closed() { return closed; },
    send(obj) { ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); },
    // Resolves with (and removes) the first message of `type` matching `pred`.
    next(type, pred = () => true, timeout = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = inbox.findIndex((m) => m.type === type && pred(m));
          if (i >= 0) {
            cleanup();
            resolve(inbox.splice(i, 1)[0]);
          } else if (closed !== null && type !== 'close') {
            cleanup();
            reject(new Error(`socket closed (${closed}) while waiting for ${type}; inbox ${JSON.stringify(inbox)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${type} within ${timeout} ms; inbox ${JSON.stringify(inbox).slice(0, 2000)}`));
        }, timeout);
        const cleanup = () => { clearTimeout(timer); waiters.splice(waiters.indexOf(check), 1); };
        waiters.push(check);
        check();
      });
    },
    waitClosed(timeout = 5000) {
      return new Promise((resolve, reject) => {
        if (closed !== null) return resolve(closed);
        const timer = setTimeout(() => reject(new Error('socket not closed')), timeout);
        ws.once('close', (code) => { clearTimeout(timer); resolve(code); });
      });
    },
    close() { ws.terminate(); },
  };
  return client;
}

async function expectError(client, frame, code) {
  client.send(frame);
  const err = await client.next('error');
  assert.equal(err.code, code, `error for ${String(frame).slice(0, 80)}: ${JSON.stringify(err)}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);
}

test('refusals are precise errors and the connection keeps serving', async () => {
  const c = await connect();
  try {
    await expectError(c, '{"type":"hello","token":"not-a-real-token"}', 'unauthorized');
    await expectError(c, '{"type":"answer","sdp":"v=0"}', 'bad-state');
    await expectError(c, '{nope', 'bad-json');
    await expectError(c, '{"type":"teleport"}', 'unknown-type');
    await expectError(c, '{"type":"ice","candidate":"candidate:1","sdpMLineIndex":"0"}', 'bad-field');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await c.next('error')).code, 'binary-unsupported');
    // Still the same connection: a valid hello now works.
    c.send({ type: 'hello', token: patientToken });
    const welcome = await c.next('welcome');
    assert.equal(welcome.role, 'patient');
    assert.equal(welcome.visit, visitId);
    assert.equal(welcome.protocol, 1);
    // Whose visit it is (a guest's page says so): here, the patient's own name.
    assert.equal(typeof welcome.patient_display_name, 'string');
    assert.equal(welcome.patient_display_name, welcome.display_name);
    assert.equal(c.closed, null);
    await expectError(c, { type: 'hello', token: patientToken }, 'bad-state');
    await expectError(c, { type: 'admit', participant: welcome.participant }, 'forbidden');
    await expectError(c, { type: 'end' }, 'forbidden');
    c.send({ type: 'leave' });
    assert.equal((await c.next('bye')).reason, 'left');
    await c.waitClosed();
  } finally {
    c.close();
  }
});

test('a provider may open only their own visits, and only signed in', async () => {
  const anonymous = await connect();
  const c = await connect({ cookie: session.cookie });
  try {
    await expectError(anonymous, { type: 'hello', visit: visitId }, 'unauthorized');
    await expectError(c, { type: 'hello', visit: '00000000-0000-4000-8000-000000000000' }, 'not-found');
    await expectError(c, { type: 'hello', token: patientToken, visit: visitId }, 'unauthorized');
  } finally {
    anonymous.close();
    c.close();
  }
});

test('a WebSocket from another origin is refused', async () => {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`,
    { headers: { Cookie: session.cookie, Origin: 'https://evil.example' } });
  const outcome = await new Promise((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('error', () => resolve('refused'));
    ws.once('unexpected-response', () => resolve('refused'));
  });
  ws.terminate();
  assert.equal(outcome, 'refused');
});

test('waiting room, admit, server offers, chat, end; the timeline records it all', async () => {
  const patient = await connect();
  const provider = await connect({ cookie: session.cookie });
  try {
    patient.send({ type: 'hello', token: patientToken });
    const pw = await patient.next('welcome');
    assert.ok(['scheduled', 'waiting'].includes(pw.state));

    provider.send({ type: 'hello', visit: visitId });
    const vw = await provider.next('welcome');
    assert.equal(vw.role, 'provider');
    const waiting = await provider.next('waiting', (m) => m.participants.length === 1);
    assert.equal(waiting.participants[0].participant, pw.participant);
    assert.equal(waiting.participants[0].display_name, 'Demo Patient');
    assert.ok(!Number.isNaN(Date.parse(waiting.participants[0].since)));

    await expectError(provider, { type: 'admit', participant: 'nobody' }, 'not-found');
    provider.send({ type: 'admit', participant: pw.participant });
    await patient.next('visit-state', (m) => m.state === 'in_progress');
    await provider.next('visit-state', (m) => m.state === 'in_progress');
    for (const c of [patient, provider]) {
      const offer = await c.next('offer', () => true, 10000);
      assert.match(offer.sdp, /^v=0/);
      assert.match(offer.sdp, /m=audio .*\r?\n/);
      assert.match(offer.sdp, /m=video .*\r?\n/);
      assert.match(offer.sdp, /a=rtpmap:\d+ VP8\/90000/);
      assert.match(offer.sdp, /a=rtpmap:\d+ OPUS\/48000\/2/i);
      // The layout for max_participants_per_visit = 4: 3 + 2 x 2 m-lines.
      assert.equal(offer.sdp.match(/^m=/gm).length, 7);
      // Right after the offer: what its m-lines carry (nobody's media yet).
      const streams = await c.next('streams', () => true, 10000);
      assert.ok(Array.isArray(streams.streams));
    }
    await expectError(patient, { type: 'answer', sdp: 'this is not sdp' }, 'bad-sdp');
    await expectError(patient, { type: 'ice', candidate: 'garbage', sdpMLineIndex: 0 }, 'bad-candidate');

    patient.send({ type: 'chat', text: 'Hello doctor' });
    const chat = await provider.next('chat');
    assert.equal(chat.text, 'Hello doctor');
    assert.equal(chat.from, pw.participant);

    provider.send({ type: 'end' });
    await patient.next('visit-state', (m) => m.state === 'ended');
    assert.equal((await patient.next('bye')).reason, 'visit-ended');
    assert.equal((await provider.next('bye')).reason, 'visit-ended');
    await patient.waitClosed();
    await provider.waitClosed();

    const { status, json } = await fetchJson(`${server.baseUrl}/api/visits/${visitId}`, { session });
    assert.equal(status, 200);
    assert.equal(json.state, 'ended');
    const states = json.timeline.filter((e) => e.kind === 'state').map((e) => e.state);
    assert.deepEqual(states.slice(-4), ['scheduled', 'waiting', 'in_progress', 'ended']);
    const kinds = json.timeline.map((e) => e.kind);
    for (const k of ['join', 'admit', 'leave']) assert.ok(kinds.includes(k), `timeline has ${k}: ${kinds}`);
    const times = json.timeline.map((e) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'timeline in time order');

    // An ended visit cannot be joined again.
    const late = await connect();
    late.send({ type: 'hello', token: patientToken });
    assert.equal((await late.next('welcome')).state, 'ended');
    assert.equal((await late.next('bye')).reason, 'visit-ended');
    late.close();
  } finally {
    patient.close();
    provider.close();
  }
});

test('the same link opened twice: the newer connection takes over', async () => {
  const created = await fetchJson(`${server.baseUrl}/api/visits`, {
    session, method: 'POST', body: { patient_name: 'Second Patient' },
  });
  assert.equal(created.status, 201);
  const token = fragmentOf(created.json.patient_url).token;
  const first = await connect();
  const second = await connect();
  try {
    first.send({ type: 'hello', token });
    await first.next('welcome');
    second.send({ type: 'hello', token });
    await second.next('welcome');
    assert.equal((await first.next('bye')).reason, 'replaced');
    await first.waitClosed();
    assert.equal(second.closed, null);
  } finally {
    first.close();
    second.close();
  }
});

test('REST refuses what it must', async () => {
  const base = server.baseUrl;
  assert.equal((await fetchJson(`${base}/api/visits?day=today`)).status, 401);
  assert.equal((await fetchJson(`${base}/api/visits?day=today`, { headers: { Cookie: 'th_session=wrong' } })).status, 401);
  const list = await fetchJson(`${base}/api/visits?day=today`, { session });
  assert.equal(list.status, 200);
  assert.ok(list.json.visits.some((v) => v.id === visitId));
  assert.equal((await fetchJson(`${base}/api/visits?day=yesterday-ish`, { session })).status, 400);
  const bad = await fetchJson(`${base}/api/visits`, { session, method: 'POST', body: { patient_name: 42 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'bad-field');
  const big = await fetch(`${base}/api/visits`, {
    method: 'POST', headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf }, body: 'x'.repeat(100 * 1024),
  });
  assert.equal(big.status, 413);
  assert.equal((await fetchJson(`${base}/api/visits/00000000-0000-4000-8000-000000000000`, { session })).status, 404);
  const health = await fetchJson(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(health.json.status, 'ok');
  const page = await fetch(`${base}/patient.html`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
});
