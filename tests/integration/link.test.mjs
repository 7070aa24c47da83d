// GET /api/link (issue 13): what a patient's link is for, asked by the join
// page before anything else, even outside the link's window. Each state of
// a real visit on a fixed server clock: a week early, open, ended, too late;
// an unknown or missing link gets a 401 in a patient's words with the
// clinic's phone, and never an id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, fragmentOf, waitFor, withTimeout } from '../e2e/lib.mjs';

const ZONE = 'America/New_York';
const NOW = '2027-01-05T10:00:00'; // a Tuesday, in ZONE
const KEYS = ['clinic_phone', 'closes_at', 'now', 'opens_at', 'provider', 'role', 'scheduled_at', 'state', 'time_zone', 'window'];

let server;
let session;
let dataDir;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-link-'));
  server = await startServer({ now: NOW, timeZone: ZONE, dataDir });
  session = await server.login();
});

after(async () => {
  if (server) await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function book(name, scheduledAt) {
  const res = await fetchJson(`${server.baseUrl}/api/visits`, {
    session, method: 'POST', body: { patient_name: name, scheduled_at: scheduledAt },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.json.visit_id, token: fragmentOf(res.json.patient_url).token };
}

const link = (token) => fetchJson(`${server.baseUrl}/api/link`, token ? { token } : {});

// Ends a visit as its provider would (signaling `end`), then waits for it.
async function endVisit(visitId) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`, { headers: { Cookie: session.cookie } });
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'ws open');
  ws.send(JSON.stringify({ type: 'hello', visit: visitId }));
  await waitFor(() => frames.find((m) => m.type === 'welcome'), { timeout: 5000, what: 'provider welcome' });
  ws.send(JSON.stringify({ type: 'end' }));
  await waitFor(() => frames.find((m) => m.type === 'bye'), { timeout: 5000, what: 'bye after end' });
  ws.close();
}

test('a link opened a week early says when, with whom, and from when it opens', async () => {
  const v = await book('Wendy Early', '2027-01-12T10:00:00-05:00');
  const res = await link(v.token);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), KEYS, 'no ids, nothing clinical');
  assert.equal(res.json.state, 'scheduled');
  assert.equal(res.json.window, 'early');
  assert.equal(res.json.role, 'patient');
  assert.equal(Date.parse(res.json.scheduled_at), Date.parse('2027-01-12T15:00:00Z'));
  // [visits] join_window_before_minutes = 120, after = 240 (config/telehealth.conf).
  assert.equal(Date.parse(res.json.opens_at), Date.parse('2027-01-12T13:00:00Z'));
  assert.equal(Date.parse(res.json.closes_at), Date.parse('2027-01-12T19:00:00Z'));
  assert.ok(Math.abs(Date.parse(res.json.now) - server.now()) < 60000, 'now is the server clock');
  assert.equal(res.json.time_zone, ZONE);
  assert.equal(res.json.provider.display_name, 'Dr. Demo Provider');
  assert.equal(res.json.clinic_phone, '(555) 010-0100');
  // The link still lets no one in before it opens.
  const consent = await fetchJson(`${server.baseUrl}/api/consent`, { token: v.token });
  assert.equal(consent.status, 401);
  assert.match(consent.json.error.message, /only around the visit's scheduled time/);
});

test('an open link, then the same visit ended', async () => {
  const v = await book('Olly Open', '2027-01-05T10:15:00-05:00');
  const open = await link(v.token);
  assert.equal(open.status, 200, open.text);
  assert.equal(open.json.window, 'open');
  assert.equal(open.json.state, 'scheduled');
  await endVisit(v.id);
  const ended = await link(v.token);
  assert.equal(ended.status, 200, ended.text);
  assert.equal(ended.json.state, 'ended');
  assert.equal(ended.json.window, 'open');
});

test('an unknown, malformed or missing link: 401 in words for a patient, with the phone', async () => {
  for (const token of ['bm90LWEtcmVhbC10b2tlbi1idXQtcGxhdXNpYmxlLWxvb2tpbmc', 'not a token!', null]) {
    const res = await link(token);
    assert.equal(res.status, 401, `${token}: ${res.text}`);
    assert.equal(res.json.error.code, 'unauthorized');
    assert.equal(res.json.error.clinic_phone, '(555) 010-0100');
    assert.match(res.json.error.message, /Call your clinic at \(555\) 010-0100/);
    assert.doesNotMatch(res.text, /[0-9a-f]{8}-[0-9a-f]{4}-/i, 'no id in the answer');
  }
  // A staff session is no link.
  assert.equal((await fetchJson(`${server.baseUrl}/api/link`, { session })).status, 401);
});

test('a link opened after its window closed is late, not unknown', async () => {
  const v = await book('Larry Late', '2027-01-05T11:00:00-05:00');
  await server.stop();
  // The same data, the clock a day later.
  server = await startServer({ now: '2027-01-06T10:00:00', timeZone: ZONE, dataDir });
  const res = await link(v.token);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.window, 'late');
  // Nobody joined before the window closed: the server's sweep made it a no-show.
  assert.equal(res.json.state, 'no_show');
});
