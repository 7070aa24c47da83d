// Consent, chat and modality against a running telehealthd, without a
// browser: who may read and write what, bad input refused with a precise
// error and nothing stored, and everything kept in the visit's timeline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, fetchJson, rawRequest, fragmentOf, waitFor, withTimeout } from '../e2e/lib.mjs';

let server;
let session;

before(async () => {
  server = await startServer();
  session = await server.login();
});

after(async () => { if (server) await server.stop(); });

async function newVisit(name) {
  const res = await fetchJson(`${server.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: name } });
  assert.equal(res.status, 201, res.text);
  return { id: res.json.visit_id, token: fragmentOf(res.json.patient_url).token };
}

// A signaling connection that keeps every frame it receives.
async function connect(token) {
  const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}/signaling`, { origin: server.baseUrl });
  const frames = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'ws open');
  ws.send(JSON.stringify({ type: 'hello', token }));
  const find = (pred, what) => waitFor(() => frames.find(pred), { timeout: 5000, what });
  await find((m) => m.type === 'welcome', 'welcome');
  return { ws, frames, find, send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)) };
}

test('consent: only a link holder answers, the current version only, bad bodies refused', async () => {
  const v = await newVisit('Cora Consent');
  const url = `${server.baseUrl}/api/consent`;
  assert.equal((await fetchJson(url)).status, 401, 'no token');
  assert.equal((await fetchJson(url, { session })).status, 401, 'staff have no consent to give');
  assert.equal((await fetchJson(url, { token: 'not-a-token' })).status, 401);
  const first = await fetchJson(url, { token: v.token });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.answer, null);
  assert.match(first.json.text, /video/);
  const { version } = first.json;

  for (const [body, code] of [
    ['{', 'bad-json'],
    ['[]', 'bad-json'],
    [JSON.stringify({ version, decision: 'accepted', extra: 1 }), 'bad-field'],
    [JSON.stringify({ version, decision: true }), 'bad-field'],
    [JSON.stringify({ decision: 'accepted' }), 'bad-field'],
    [JSON.stringify({ version: '', decision: 'accepted' }), 'bad-field'],
  ]) {
    const res = await rawRequest(url, {
      method: 'POST', body,
      headers: { Authorization: `Bearer ${v.token}`, 'Content-Type': 'application/json' },
    });
    assert.equal(res.status, 400, `${body}: ${res.text}`);
    assert.equal(JSON.parse(res.text).error.code, code, `${body}: ${res.text}`);
  }
  const stale = await fetchJson(url, { token: v.token, method: 'POST', body: { version: `${version}-old`, decision: 'accepted' } });
  assert.equal(stale.status, 409);
  assert.equal(stale.json.error.code, 'consent-changed');
  assert.equal((await fetchJson(url, { token: v.token })).json.answer, null, 'nothing stored by refusals');

  const ok = await fetchJson(url, { token: v.token, method: 'POST', body: { version, decision: 'accepted' } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.answer.decision, 'accepted');
  assert.equal((await fetchJson(url, { token: v.token })).json.answer.version, version);
});

test('chat: stored, read back by the visit only, bad frames refused', async () => {
  const v = await newVisit('Chet Chat');
  const other = await newVisit('Olga Other');
  const patient = await connect(v.token);
  try {
    // A waiting patient can already write (e.g. "running late").
    patient.send({ type: 'chat', text: 'I am in the waiting room' });
    await patient.find((m) => m.type === 'chat' && m.text === 'I am in the waiting room', 'own chat echoed');
    patient.send({ type: 'chat', text: 'x'.repeat(2001) });
    await patient.find((m) => m.type === 'error' && m.code === 'too-large', 'too-large');
    patient.send({ type: 'chat', text: '   ' });
    await patient.find((m) => m.type === 'error' && m.code === 'bad-field', 'blank refused');
    patient.send({ type: 'media-state', audio: 'yes', video: true });
    await patient.find((m) => m.type === 'error' && m.code === 'bad-field' && /true or false/.test(m.message), 'bad media-state');
    patient.send({ type: 'modality', modality: 'carrier-pigeon' });
    await patient.find((m) => m.type === 'error' && /video/.test(m.message), 'bad modality');

    const chatUrl = `${server.baseUrl}/api/visits/${v.id}/chat`;
    const mine = await fetchJson(chatUrl, { token: v.token });
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual(mine.json.messages.map((m) => [m.role, m.text]), [['patient', 'I am in the waiting room']]);
    assert.equal((await fetchJson(chatUrl, { token: other.token })).status, 404, "another visit's link");
    assert.equal((await fetchJson(chatUrl)).status, 401);
    assert.equal((await fetchJson(chatUrl, { session })).status, 200, 'the provider reads it');
    assert.equal((await fetchJson(chatUrl, { session, method: 'POST', body: { text: 'x' } })).status, 405);

    // Sound only, chosen by the patient: recorded on the visit and in its timeline.
    patient.send({ type: 'modality', modality: 'audio-only' });
    await patient.find((m) => m.type === 'modality' && m.modality === 'audio-only' && m.by, 'modality broadcast');
    const visit = await fetchJson(`${server.baseUrl}/api/visits/${v.id}`, { session });
    assert.equal(visit.json.modality, 'audio-only');
    const kinds = visit.json.timeline.map((e) => e.kind);
    assert.ok(kinds.includes('chat') && kinds.includes('modality'), kinds.join(','));
    const times = visit.json.timeline.map((e) => Date.parse(e.at));
    for (let i = 1; i < times.length; i += 1) assert.ok(times[i] >= times[i - 1], 'timeline in time order');
    // The server kept serving through all of it.
    assert.equal((await fetchJson(`${server.baseUrl}/healthz`)).status, 200);
  } finally {
    patient.ws.close();
  }
});
