// Integration (issue 13, item 6): a real telehealthd and real WebSocket
// clients. A check-in the patient saves reaches the provider's open visit
// at once as `record-changed` (no clinical data in it); a visit in progress
// that everyone left is ended by the server after [visits]
// abandoned_end_seconds (here 2 s) and its timeline says so, while a visit
// someone rejoined in time is left alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, waitFor } from '../e2e/lib.mjs';

const ABANDONED_S = 2;
let server;
let session;
let patientToken;
let visitId;

before(async () => {
  server = await startServer({ settings: { visits: { abandoned_end_seconds: ABANDONED_S } } });
  patientToken = fragmentOf(server.demo.patient_url).token;
  session = await server.login();
  visitId = server.demo.visit_id;
});

after(async () => {
  if (server) await server.stop();
});

// A signaling client that keeps every message; next(type) waits (bounded).
async function connect({ cookie, on = server } = {}) {
  const ws = new WebSocket(`${on.baseUrl.replace('http', 'ws')}/signaling`,
    cookie ? { headers: { Cookie: cookie } } : {});
  const inbox = [];
  ws.on('message', (data) => inbox.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return {
    inbox,
    send(obj) { ws.send(JSON.stringify(obj)); },
    async next(type, pred = () => true, timeout = 5000) {
      let found = null;
      await waitFor(() => {
        const i = inbox.findIndex((m) => m.type === type && pred(m));
        if (i >= 0) found = inbox.splice(i, 1)[0];
        return found !== null;
      }, { timeout, interval: 20, what: `${type} (inbox ${JSON.stringify(inbox).slice(0, 500)})` });
      return found;
    },
    close() { ws.terminate(); },
  };
}

const visit = () => fetchJson(`${server.baseUrl}/api/visits/${visitId}`, { session });
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

test('a saved check-in is pushed to the provider at once, naming only the part', async () => {
  const provider = await connect({ cookie: session.cookie });
  const patient = await connect();
  try {
    provider.send({ type: 'hello', visit: visitId });
    await provider.next('welcome');
    patient.send({ type: 'hello', token: patientToken });
    await patient.next('welcome');

    const t0 = Date.now();
    const saved = await fetchJson(`${server.baseUrl}/api/visits/${visitId}/checkin`, {
      token: patientToken, method: 'POST', body: { phq9: [1, 1, 1, 1, 1, 0, 0, 0, 0] },
    });
    assert.equal(saved.status, 201, saved.text);
    const msg = await provider.next('record-changed', () => true, 2000);
    assert.ok(Date.now() - t0 < 2000, 'within 2 s of the save');
    // Which part changed, nothing clinical: the console fetches the record itself.
    assert.deepEqual(msg, { type: 'record-changed', what: 'checkin' });
    await sleep(300);
    assert.ok(!patient.inbox.some((m) => m.type === 'record-changed'), 'only the provider is told');
    patient.send({ type: 'leave' });
    await patient.next('bye');
    provider.send({ type: 'leave' });
    await provider.next('bye');
  } finally {
    provider.close();
    patient.close();
  }
});

test('a visit everyone left is ended by the server after the configured time, and says so', async () => {
  let patient = await connect();
  const provider = await connect({ cookie: session.cookie });
  try {
    patient.send({ type: 'hello', token: patientToken });
    const pw = await patient.next('welcome');
    provider.send({ type: 'hello', visit: visitId });
    await provider.next('welcome');
    await provider.next('waiting', (m) => m.participants.length === 1);
    provider.send({ type: 'admit', participant: pw.participant });
    await provider.next('visit-state', (m) => m.state === 'in_progress');

    // Both leave; the patient comes back within the time: not abandoned.
    patient.send({ type: 'leave' });
    await patient.next('bye');
    provider.send({ type: 'leave' });
    await provider.next('bye');
    patient.close();
    await sleep(ABANDONED_S * 1000 / 2);
    patient = await connect();
    patient.send({ type: 'hello', token: patientToken });
    assert.equal((await patient.next('welcome')).state, 'in_progress');
    await sleep(ABANDONED_S * 1000 + 1000); // past the first leave's deadline
    assert.equal((await visit()).json.state, 'in_progress', 'someone came back: the visit goes on');

    // Now everyone is gone: still in progress for a while, then ended by the server.
    patient.send({ type: 'leave' });
    await patient.next('bye');
    const left = Date.now();
    await sleep(ABANDONED_S * 1000 / 4);
    assert.equal((await visit()).json.state, 'in_progress', 'not ended before the configured time');
    let v;
    await waitFor(async () => { v = (await visit()).json; return v.state === 'ended'; },
      { timeout: ABANDONED_S * 1000 + 4000, interval: 100, what: 'the visit ended by the server' });
    assert.ok(Date.now() - left >= ABANDONED_S * 1000 - 200, 'ended only after the configured time');
    const states = v.timeline.filter((e) => e.kind === 'state');
    const last = states[states.length - 1];
    assert.equal(last.state, 'ended');
    assert.equal(last.reason, 'abandoned');
    assert.equal(last.note, 'Ended by the server: everyone had left.');
    assert.equal(states.filter((e) => e.state === 'ended').length, 1, 'ended once');
    // A provider-ended visit carries no reason: only this one does.
    assert.ok(states.slice(0, -1).every((e) => e.reason === undefined));
    // Nothing left to join.
    const again = await connect();
    try {
      again.send({ type: 'hello', token: patientToken });
      assert.equal((await again.next('welcome')).state, 'ended');
      assert.equal((await again.next('bye')).reason, 'visit-ended');
    } finally {
      again.close();
    }
  } finally {
    patient.close();
    provider.close();
  }
});

test('a visit left in progress by a server stop is ended after the time once the server is back', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'th-abandoned-'));
  let first = null;
  let second = null;
  try {
    // A long time on the first run: the stop, not the timer, leaves it in progress.
    first = await startServer({ dataDir, settings: { visits: { abandoned_end_seconds: 3600 } } });
    const id = first.demo.visit_id;
    const login = await first.login();
    const patient = await connect({ on: first });
    const provider = await connect({ on: first, cookie: login.cookie });
    try {
      patient.send({ type: 'hello', token: fragmentOf(first.demo.patient_url).token });
      const pw = await patient.next('welcome');
      provider.send({ type: 'hello', visit: id });
      await provider.next('welcome');
      await provider.next('waiting', (m) => m.participants.length === 1);
      provider.send({ type: 'admit', participant: pw.participant });
      await provider.next('visit-state', (m) => m.state === 'in_progress');
    } finally {
      patient.close();
      provider.close();
    }
    await first.stop();
    first = null;

    second = await startServer({ dataDir, settings: { visits: { abandoned_end_seconds: ABANDONED_S } } });
    const session2 = await second.login();
    const get = () => fetchJson(`${second.baseUrl}/api/visits/${id}`, { session: session2 });
    assert.equal((await get()).json.state, 'in_progress', 'still in progress right after the start');
    let v;
    await waitFor(async () => { v = (await get()).json; return v.state === 'ended'; },
      { timeout: ABANDONED_S * 1000 + 4000, interval: 100, what: 'the visit ended after the restart' });
    const last = v.timeline.filter((e) => e.kind === 'state').pop();
    assert.deepEqual([last.state, last.reason], ['ended', 'abandoned']);
  } finally {
    if (first) await first.stop();
    if (second) await second.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
