// Integration: the clinic's schedule over a real telehealthd and its store
// (issue 13 item 2): the front desk (role scheduler) books, moves and
// cancels for any provider; a double booking answers 409 until confirmed; a
// provider books only for themselves; every bad field is a 422 naming it
// with nothing written; the front desk never reaches the clinical record; a
// visit nobody joined becomes a no-show once its window closes; a cancelled
// visit's link says so. The clock is fixed on a Tuesday in New York.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, fetchJson, requireEnv, fragmentOf, waitFor, withTimeout, dbQuery, dbValue } from '../e2e/lib.mjs';

const { bin, root } = requireEnv();
const ZONE = 'America/New_York';
const NOW = '2027-01-05T10:00:00'; // a Tuesday, in ZONE (UTC-5)
const FRONT_DESK_WORDS = /Front-desk accounts cannot open the clinical record/;
let server;
let dataDir;
let provider; // the demo psychiatrist
let desk;     // the front desk (scheduler)
let drB;      // another psychiatrist
let drBId;
let bell; // Dr. Bell's username and password
let patientId; // made by the front desk

function cli(...args) {
  const r = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', dataDir, ...args],
    { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const api = (p, session, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const book = (body, session = desk) => api('/api/visits', session, { method: 'POST', body });
// Read from the store beside the server.
const visitCount = () => dbValue(dataDir, 'SELECT count(*) AS n FROM visits');

async function startAt(now) {
  server = await startServer({ now, timeZone: ZONE, dataDir });
  provider = await server.login();
}

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-schedule-'));
  await startAt(NOW);
  const [d] = cli('admin', 'add-staff', '--username', 'front.desk', '--name', 'Front Desk', '--role', 'scheduler');
  desk = await server.login(d.username, d.password);
  const [b] = cli('admin', 'add-staff', '--username', 'dr.bell', '--name', 'Dr. Bell', '--role', 'psychiatrist');
  drBId = b.staff_id;
  bell = b;
  drB = await server.login(b.username, b.password);
  const p = await api('/api/patients', desk, {
    method: 'POST',
    body: { name: 'Rosa Park', birth_date: '1980-02-03', mrn: 'MRN-7001', email: 'rosa@example.org', time_zone: 'America/Chicago' },
  });
  assert.equal(p.status, 201, p.text);
  patientId = p.json.patient.id;
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('admin add-staff makes a scheduler; the providers list holds clinicians only', async () => {
  const me = await api('/api/me', desk);
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.role, 'scheduler');
  const list = await api('/api/providers', desk);
  assert.equal(list.status, 200, list.text);
  const names = list.json.providers.map((p) => p.display_name);
  assert.ok(names.includes('Dr. Bell') && names.includes('Dr. Demo Provider'), names.join());
  assert.ok(!names.includes('Front Desk'), 'the front desk holds no visits');
  for (const p of list.json.providers) assert.deepEqual(Object.keys(p).sort(), ['display_name', 'id', 'role']);
});

test('the front desk books for a provider a patient it created; double booking needs a confirm', async () => {
  const r = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-07', time: '10:00' }, length_minutes: 45, type: 'initial_evaluation' });
  assert.equal(r.status, 201, r.text);
  const v = r.json.visit;
  assert.equal(v.state, 'scheduled');
  assert.equal(v.length_minutes, 45);
  assert.equal(v.type, 'initial_evaluation');
  assert.equal(Date.parse(v.scheduled_at), Date.parse('2027-01-07T15:00:00Z'));
  assert.equal(Date.parse(v.ends_at), Date.parse('2027-01-07T15:45:00Z'));
  assert.deepEqual(v.local, { date: '2027-01-07', time: '10:00', end_time: '10:45' });
  assert.equal(v.provider.display_name, 'Dr. Bell');
  assert.equal(v.patient.display_name, 'Rosa Park');
  assert.match(r.json.patient_url, /#token=/);

  // 10:30 overlaps 10:00-10:45: shown, nothing written.
  const before = visitCount();
  const clash = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-07', time: '10:30' } });
  assert.equal(clash.status, 409, clash.text);
  assert.equal(clash.json.error.code, 'double_booked');
  assert.match(clash.json.error.message, /Dr\. Bell already has a visit at this time: 10:00–10:45 on Thu 7 Jan 2027/);
  assert.equal(clash.json.error.conflicts.length, 1);
  assert.equal(clash.json.error.conflicts[0].id, v.id);
  assert.equal(visitCount(), before, 'nothing written');
  // Back to back is no clash.
  const next = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-07', time: '10:45' }, length_minutes: 15 });
  assert.equal(next.status, 201, next.text);
  assert.equal(next.json.double_booked, false);
  const anyway = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-07', time: '10:30' }, confirm_double_booking: true });
  assert.equal(anyway.status, 201, anyway.text);
  assert.equal(anyway.json.double_booked, true);
  assert.equal(anyway.json.visit.length_minutes, 30, 'default length');
  assert.equal(anyway.json.visit.type, 'follow_up', 'default type');

  // The provider sees it on their own day; the front desk on everyone's.
  const mine = await api('/api/schedule?date=2027-01-07', drB);
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.json.time_zone, ZONE);
  assert.equal(mine.json.today, '2027-01-05');
  assert.equal(mine.json.providers.length, 1);
  assert.deepEqual(mine.json.providers[0].visits.map((x) => x.local.time), ['10:00', '10:30', '10:45']);
  const all = await api('/api/schedule?provider=all&date=2027-01-04&days=7', desk);
  assert.equal(all.status, 200, all.text);
  const bell = all.json.providers.find((p) => p.id === drBId);
  assert.equal(bell.visits.length, 3);
  assert.ok(all.json.providers.some((p) => p.display_name === 'Dr. Demo Provider'));
  // A provider sees their own schedule only.
  assert.equal((await api('/api/schedule?provider=all', drB)).status, 403);
  assert.equal((await api(`/api/schedule?provider=${drBId}`, provider)).status, 403);
  assert.equal((await api('/api/schedule?days=3', desk)).status, 400);
});

test('a provider books only for themselves', async () => {
  const other = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-08', time: '09:00' } }, provider);
  assert.equal(other.status, 403, other.text);
  assert.match(other.json.error.message, /only for yourself/);
  // A patient the provider never saw nor created is not theirs to book.
  const stranger = await book({ patient_id: patientId, start: { date: '2027-01-08', time: '09:00' } }, provider);
  assert.equal(stranger.status, 422, stranger.text);
  assert.equal(stranger.json.error.field, 'patient_id');
  // Dr. Bell has a visit with Rosa: may book her again, for themselves.
  const own = await book({ patient_id: patientId, start: { date: '2027-01-08', time: '09:00' } }, drB);
  assert.equal(own.status, 201, own.text);
  assert.equal(own.json.visit.provider.id, drBId);
  // The front desk must say with whom.
  const noProvider = await book({ patient_id: patientId, start: { date: '2027-01-08', time: '11:00' } });
  assert.equal(noProvider.status, 422);
  assert.equal(noProvider.json.error.field, 'provider_id');
  const deskAsProvider = await book({ patient_id: patientId, provider_id: (await api('/api/me', desk)).json.staff_id, start: { date: '2027-01-08', time: '11:00' } });
  assert.equal(deskAsProvider.status, 422);
  assert.equal(deskAsProvider.json.error.field, 'provider_id');
});

test('bad input: 422 naming the field, nothing written', async () => {
  const good = { patient_id: patientId, provider_id: drBId, start: { date: '2027-01-09', time: '09:00' } };
  const cases = [
    [{ ...good, start: { date: '2027-01-05', time: '09:00' } }, 'start', /already passed/],
    [{ ...good, start: { date: '2027-01-04', time: '15:00' } }, 'start', /already passed/],
    [{ ...good, start: { date: '2027-02-30', time: '09:00' } }, 'start', /not a real date/],
    [{ ...good, start: { date: '2027-01-09', time: '25:00' } }, 'start', /24-hour clock/],
    [{ ...good, start: { date: '2027-03-14', time: '02:30' } }, 'start', /does not exist/],
    [{ ...good, start: '2027-01-09T09:00' }, 'start', /date and a time/],
    [{ ...good, patient_id: '00000000-0000-4000-8000-000000000000' }, 'patient_id', /not among your patients/],
    [{ ...good, provider_id: '00000000-0000-4000-8000-000000000000' }, 'provider_id', /no such provider/],
    [{ ...good, length_minutes: 3 }, 'length_minutes', /5 to 240 minutes/],
    [{ ...good, length_minutes: 241 }, 'length_minutes', /5 to 240 minutes/],
    [{ ...good, length_minutes: '30' }, 'length_minutes', /5 to 240 minutes/],
    [{ ...good, type: 'checkup' }, 'type', /initial evaluation or a follow-up/],
  ];
  const before = visitCount();
  for (const [body, field, words] of cases) {
    const r = await book(body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.error.field, field, JSON.stringify(body));
    assert.match(r.json.error.message, words);
    assert.doesNotMatch(r.json.error.message, /[0-9a-f]{8}-[0-9a-f]{4}-/, 'no id in the words');
  }
  assert.equal(visitCount(), before, 'nothing written');
  // The ad-hoc shape refuses a time whose links would already be closed.
  const late = await book({ patient_name: 'Late Person', scheduled_at: '2027-01-04T09:00:00-05:00' }, provider);
  assert.equal(late.status, 422, late.text);
  assert.equal(visitCount(), before, 'nothing written');
});

test('move: the link follows the new time, the timeline says from and to; a clash needs a confirm', async () => {
  const r = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-11', time: '09:00' } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.visit_id;
  const token = fragmentOf(r.json.patient_url).token;
  const blocker = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-12', time: '14:00' }, length_minutes: 60 });
  assert.equal(blocker.status, 201, blocker.text);

  const clash = await api(`/api/visits/${id}/move`, desk, { method: 'POST', body: { start: { date: '2027-01-12', time: '14:30' } } });
  assert.equal(clash.status, 409, clash.text);
  assert.equal(clash.json.error.code, 'double_booked');
  assert.match(clash.json.error.message, /14:00–15:00 on Tue 12 Jan 2027/);
  const past = await api(`/api/visits/${id}/move`, desk, { method: 'POST', body: { start: { date: '2027-01-04', time: '09:00' } } });
  assert.equal(past.status, 422);
  assert.equal(past.json.error.field, 'start');

  const moved = await api(`/api/visits/${id}/move`, desk, { method: 'POST', body: { start: { date: '2027-01-12', time: '10:00' }, length_minutes: 20 } });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(Date.parse(moved.json.from), Date.parse('2027-01-11T14:00:00Z'));
  assert.equal(Date.parse(moved.json.to), Date.parse('2027-01-12T15:00:00Z'));
  assert.equal(moved.json.visit.length_minutes, 20);
  assert.deepEqual(moved.json.visit.local, { date: '2027-01-12', time: '10:00', end_time: '10:20' });

  // The patient's same link now opens around the new time.
  const link = await fetchJson(`${server.baseUrl}/api/link`, { token });
  assert.equal(link.status, 200, link.text);
  assert.equal(Date.parse(link.json.scheduled_at), Date.parse('2027-01-12T15:00:00Z'));
  assert.equal(Date.parse(link.json.opens_at), Date.parse('2027-01-12T13:00:00Z'));
  assert.equal(Date.parse(link.json.closes_at), Date.parse('2027-01-12T19:00:00Z'));

  const visit = await api(`/api/visits/${id}`, drB);
  assert.equal(visit.status, 200, visit.text);
  const ev = visit.json.timeline.find((e) => e.kind === 'moved');
  assert.ok(ev, JSON.stringify(visit.json.timeline));
  assert.equal(Date.parse(ev.from), Date.parse('2027-01-11T14:00:00Z'));
  assert.equal(Date.parse(ev.to), Date.parse('2027-01-12T15:00:00Z'));

  // The provider moves their own; not someone else's.
  const own = await api(`/api/visits/${id}/move`, drB, { method: 'POST', body: { start: { date: '2027-01-12', time: '11:00' } } });
  assert.equal(own.status, 200, own.text);
  const notYours = await api(`/api/visits/${id}/move`, provider, { method: 'POST', body: { start: { date: '2027-01-12', time: '12:00' } } });
  assert.equal(notYours.status, 404);
});

test('cancel: a reason is asked, the state is final, the link says cancelled', async () => {
  const r = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-13', time: '09:00' } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.visit_id;
  const token = fragmentOf(r.json.patient_url).token;
  const noReason = await api(`/api/visits/${id}/cancel`, desk, { method: 'POST', body: { reason: '  ' } });
  assert.equal(noReason.status, 422);
  assert.equal(noReason.json.error.field, 'reason');
  const done = await api(`/api/visits/${id}/cancel`, desk, { method: 'POST', body: { reason: 'Patient asked to rebook' } });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.visit.state, 'cancelled');
  const again = await api(`/api/visits/${id}/cancel`, desk, { method: 'POST', body: { reason: 'twice' } });
  assert.equal(again.status, 422);
  assert.match(again.json.error.message, /Only a scheduled visit can be cancelled, and this one was cancelled/);
  const move = await api(`/api/visits/${id}/move`, desk, { method: 'POST', body: { start: { date: '2027-01-14', time: '09:00' } } });
  assert.equal(move.status, 422);
  assert.match(move.json.error.message, /Only a scheduled visit can be moved/);

  const link = await fetchJson(`${server.baseUrl}/api/link`, { token });
  assert.equal(link.status, 200, link.text);
  assert.equal(link.json.state, 'cancelled');
  const visit = await api(`/api/visits/${id}`, drB);
  const ev = visit.json.timeline.find((e) => e.state === 'cancelled');
  assert.equal(ev.reason, 'Patient asked to rebook');
  // A cancelled visit frees its time.
  const same = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-13', time: '09:00' } });
  assert.equal(same.status, 201, same.text);
  // The audit has ids and times, never the reason or a name.
  const audit = dbQuery(dataDir, "SELECT action || ' ' || detail AS line FROM audit_events WHERE action IN ('visit.book', 'visit.move', 'visit.cancel')")
    .map((r) => r.line).join('\n');
  assert.match(audit, /visit\.cancel/);
  assert.match(audit, /visit\.move/);
  assert.doesNotMatch(audit, /Rosa|rebook/);
});

test('the front desk never reaches the clinical record: 403 in words', async () => {
  const r = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-15', time: '09:00' } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.visit_id;
  const refused = [
    ['GET', `/api/visits/${id}`], ['GET', `/api/visits/${id}/record`], ['GET', `/api/visits/${id}/fhir`],
    ['POST', `/api/visits/${id}/notes`, { text: 'x' }],
    ['POST', `/api/visits/${id}/adjustments`, { kind: 'stop', order_id: 'x', reason: 'x' }],
    ['GET', `/api/visits/${id}/checkin`], ['GET', `/api/visits/${id}/chat`], ['GET', `/api/visits/${id}/guests`],
    ['GET', `/api/patients/${patientId}/timeline`], ['GET', '/api/orders/pending'], ['GET', '/api/catalog'],
  ];
  for (const [method, p, body] of refused) {
    const res = await api(p, desk, { method, body });
    assert.equal(res.status, 403, `${method} ${p}: ${res.text}`);
    assert.equal(res.json.error.code, 'front-desk');
    assert.match(res.json.error.message, FRONT_DESK_WORDS);
  }
  // Names and times are theirs: the patient's details, without a timeline.
  const p = await api(`/api/patients/${patientId}`, desk);
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.has_timeline, false);
  const found = await api('/api/patients?q=Rosa', desk);
  assert.equal(found.json.patients.length, 1);

  // Nor joins the visit's call.
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`, { headers: { Cookie: desk.cookie } });
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'ws open');
  ws.send(JSON.stringify({ type: 'hello', visit: id }));
  const err = await waitFor(() => frames.find((m) => m.type === 'error'), { timeout: 5000, what: 'a refusal' });
  assert.equal(err.code, 'forbidden');
  assert.ok(!frames.some((m) => m.type === 'welcome'));
  ws.close();
});

test('a visit nobody joined is a no-show once its window closed; a later one is not', async () => {
  const soon = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-05', time: '10:30' } });
  assert.equal(soon.status, 201, soon.text);
  const later = await book({ patient_id: patientId, provider_id: drBId, start: { date: '2027-01-05', time: '18:00' } });
  assert.equal(later.status, 201, later.text);
  await server.stop();
  // 10:30 + [visits] join_window_after_minutes (240) = 14:30 < 16:00.
  await startAt('2027-01-05T16:00:00');
  const state = (id) => dbValue(dataDir, 'SELECT state FROM visits WHERE id = $1', [id]);
  assert.equal(state(soon.json.visit_id), 'no_show');
  assert.equal(state(later.json.visit_id), 'scheduled');
  assert.equal(dbValue(dataDir, "SELECT reason FROM visit_events WHERE visit_id = $1 AND state = 'no_show'", [soon.json.visit_id]), 'no-show');
  assert.match(dbQuery(dataDir, "SELECT detail FROM audit_events WHERE action = 'visit.no-show'").map((r) => r.detail).join('\n'), /no-show/);
  // The schedule shows it so (the provider signs in again after the jump).
  const mine = await api('/api/schedule?date=2027-01-05', await server.login(bell.username, bell.password));
  const states = Object.fromEntries(mine.json.providers[0].visits.map((x) => [x.id, x.state]));
  assert.equal(states[soon.json.visit_id], 'no_show');
  assert.equal(states[later.json.visit_id], 'scheduled');
});
