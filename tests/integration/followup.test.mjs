// The next follow-up and who is overdue (issue 13), over a real telehealthd
// and sqlite file on a fixed clock in America/New_York: a visit that
// started an antidepressant suggests 2 weeks with its reason; booking it
// puts the next visit at the same local time across the change to summer
// time (14 March 2027); the record shows it; a date in the past is refused
// naming the field with nothing written; a patient past their interval is
// listed as overdue once the server's clock is later, and Book works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, fragmentOf, waitFor, withTimeout } from '../e2e/lib.mjs';

const ZONE = 'America/New_York';
const NOW = '2027-03-05T10:00:00'; // a Friday, in EST (UTC-5)
const LATER = '2027-06-10T09:00:00'; // in EDT (UTC-4)

let server;
let session;
let dataDir;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-followup-'));
  server = await startServer({ now: NOW, timeZone: ZONE, dataDir });
  session = await server.login();
});

after(async () => {
  if (server) await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, opts.token ? opts : { session, ...opts });

async function book(name, scheduledAt) {
  const res = await api('/api/visits', { method: 'POST', body: { patient_name: name, scheduled_at: scheduledAt } });
  assert.equal(res.status, 201, res.text);
  return { id: res.json.visit_id, token: fragmentOf(res.json.patient_url).token };
}

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

// Holds a visit as it happens: the patient joins with their link, the
// provider admits them (in progress), then ends it.
async function holdAndEnd(visit) {
  const url = `${server.baseUrl.replace('http', 'ws')}/signaling`;
  const open = async (headers) => {
    const ws = new WebSocket(url, { headers });
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'ws open');
    return { ws, frames };
  };
  const patient = await open({});
  const provider = await open({ Cookie: session.cookie });
  patient.ws.send(JSON.stringify({ type: 'hello', token: visit.token }));
  const pw = await waitFor(() => patient.frames.find((m) => m.type === 'welcome'), { timeout: 5000, what: 'patient welcome' });
  provider.ws.send(JSON.stringify({ type: 'hello', visit: visit.id }));
  await waitFor(() => provider.frames.find((m) => m.type === 'waiting' && m.participants.length === 1), { timeout: 5000, what: 'patient waiting' });
  provider.ws.send(JSON.stringify({ type: 'admit', participant: pw.participant }));
  await waitFor(() => provider.frames.find((m) => m.type === 'visit-state' && m.state === 'in_progress'), { timeout: 10000, what: 'in progress' });
  provider.ws.send(JSON.stringify({ type: 'end' }));
  await waitFor(() => provider.frames.find((m) => m.type === 'bye'), { timeout: 10000, what: 'bye after end' });
  patient.ws.close();
  provider.ws.close();
}

let started; // the visit that started sertraline
let stable;  // a visit in which nothing changed

test('a visit that started an antidepressant suggests 2 weeks, with its reason and source', async () => {
  started = await book('Sam Start', '2027-03-05T10:15:00-05:00');
  const adj = await api(`/api/visits/${started.id}/adjustments`, { method: 'POST',
    body: { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', supply_days: 30, refills: 0, reason: 'Depression, first episode' } });
  assert.equal(adj.status, 201, adj.text);
  // Not before the visit has ended.
  const early = await api(`/api/visits/${started.id}/follow-up`, { method: 'POST', body: { weeks: 2 } });
  assert.equal(early.status, 409);
  assert.match(early.json.error.message, /once this visit has ended/);
  await endVisit(started.id);

  const res = await api(`/api/visits/${started.id}/follow-up`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.suggestion.weeks, 2);
  assert.equal(res.json.suggestion.rule, 'antidepressant-started');
  assert.equal(res.json.suggestion.reason, 'started sertraline (antidepressant started: FDA label monitoring)');
  assert.match(res.json.suggestion.source, /FDA boxed warning/);
  assert.equal(res.json.time_zone, ZONE);
  // Same weekday and local time two weeks on, after the clocks went forward.
  assert.equal(res.json.proposed.at, '2027-03-19T14:15:00.000Z');
  assert.equal(res.json.proposed.local, 'Fri 19 Mar 10:15 EDT');
  assert.deepEqual(res.json.choices.map((c) => c.weeks), [1, 2, 4, 6, 8, 12]);
  // Recorded when the visit ended: due by 2 weeks from the clinic's today.
  assert.equal(res.json.recorded.due_by, '2027-03-19');
  assert.equal(res.json.recorded.weeks, null);
  assert.equal(res.json.booked, null);
});

test('a date in the past, or a bad field, is refused naming the field, and nothing is written', async () => {
  const url = `/api/visits/${started.id}/follow-up`;
  const past = await api(url, { method: 'POST', body: { date: '2027-03-01', time: '10:15' } });
  assert.equal(past.status, 422);
  assert.equal(past.json.error.field, 'date');
  assert.match(past.json.error.message, /in the past/);
  const earlier = await api(url, { method: 'POST', body: { date: '2027-03-05', time: '08:00' } });
  assert.equal(earlier.status, 422);
  assert.equal(earlier.json.error.field, 'time');
  const both = await api(url, { method: 'POST', body: { weeks: 2, date: '2027-04-01' } });
  assert.equal(both.status, 422);
  assert.equal(both.json.error.field, 'weeks');
  const weeks = await api(url, { method: 'POST', body: { weeks: 60 } });
  assert.equal(weeks.status, 422);
  assert.equal(weeks.json.error.field, 'weeks');
  const time = await api(url, { method: 'POST', body: { weeks: 2, time: '25:00' } });
  assert.equal(time.status, 422);
  assert.equal(time.json.error.field, 'time');
  assert.equal((await api(url, { method: 'POST', body: { weeks: 2, when: 'soon' } })).status, 400);
  const after = await api(url);
  assert.equal(after.json.booked, null, 'nothing booked');
  assert.equal(after.json.recorded.weeks, null);
  const rec = await api(`/api/visits/${started.id}/record`);
  assert.equal(rec.json.next_visit, null);
});

test('booking the suggestion makes the next visit at the same local time across the DST change', async () => {
  const res = await api(`/api/visits/${started.id}/follow-up`, { method: 'POST', body: { weeks: 2 } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.scheduled_at, '2027-03-19T14:15:00.000Z');
  assert.equal(res.json.local, 'Fri 19 Mar 10:15 EDT');
  assert.match(res.json.patient_url, /\/patient\.html#token=/);
  assert.deepEqual(res.json.follow_up, { weeks: 2, due_by: '2027-03-19' });
  const next = await api(`/api/visits/${res.json.visit_id}`);
  assert.equal(next.status, 200);
  assert.equal(next.json.state, 'scheduled');
  assert.equal(next.json.patient.display_name, 'Sam Start');
  assert.equal(next.json.provider.display_name, 'Dr. Demo Provider');

  const rec = (await api(`/api/visits/${started.id}/record`)).json;
  assert.equal(rec.next_visit.id, res.json.visit_id);
  assert.equal(rec.next_visit.at, '2027-03-19T14:15:00.000Z');
  assert.equal(rec.next_visit.local, 'Fri 19 Mar 10:15 EDT');
  assert.equal(rec.next_visit.provider.display_name, 'Dr. Demo Provider');
  assert.equal(rec.follow_up.weeks, 2);
  assert.equal(rec.follow_up.due_by, '2027-03-19');

  // A second click books nothing twice.
  const again = await api(`/api/visits/${started.id}/follow-up`, { method: 'POST', body: { weeks: 4 } });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'already-booked');
  assert.match(again.json.error.message, /already booked: Fri 19 Mar 10:15 EDT with Dr\. Demo Provider/);
});

let empty;
test('an item-9 alert suggests 1 week; a visit where nothing changed 12', async () => {
  const alert = await book('Ivy Item', '2027-03-05T10:30:00-05:00');
  const c = await api(`/api/visits/${alert.id}/checkin`, { token: alert.token, method: 'POST',
    body: { phq9: [1, 1, 1, 1, 0, 0, 0, 0, 1] } });
  assert.equal(c.status, 201, c.text);
  await endVisit(alert.id);
  const a = (await api(`/api/visits/${alert.id}/follow-up`)).json;
  assert.equal(a.suggestion.weeks, 1);
  assert.equal(a.suggestion.rule, 'item9-alert');
  assert.match(a.suggestion.reason, /^PHQ-9 item 9 above 0/);
  assert.equal(a.recorded.due_by, '2027-03-12');

  stable = await book('Olive Overdue', '2027-03-05T11:00:00-05:00');
  await holdAndEnd(stable);
  const s = (await api(`/api/visits/${stable.id}/follow-up`)).json;
  assert.equal(s.suggestion.weeks, 12);
  assert.equal(s.suggestion.rule, 'stable');
  assert.equal(s.recorded.due_by, '2027-05-28');
  const rec = (await api(`/api/visits/${stable.id}/record`)).json;
  assert.equal(rec.next_visit, null);
  assert.equal(rec.follow_up.due_by, '2027-05-28');
  // A visit ended before anyone was admitted, with nothing written in it,
  // did not take place: rebook within a week.
  empty = await book('Nell None', '2027-03-05T11:30:00-05:00');
  await endVisit(empty.id);
  const n = (await api(`/api/visits/${empty.id}/follow-up`)).json;
  assert.equal(n.suggestion.weeks, 1);
  assert.equal(n.suggestion.rule, 'not-seen');
  assert.equal(n.suggestion.reason, 'the visit ended without the patient being admitted (visit did not take place: clinic policy)');
  // Nobody is overdue yet.
  const list = await api('/api/overdue');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.count, 0);
});

test('later, a patient past their interval with nothing booked is overdue, and Book works', async () => {
  await server.stop();
  server = await startServer({ now: LATER, timeZone: ZONE, dataDir });
  session = await server.login();
  const list = await api('/api/overdue');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.today, '2027-06-10');
  const names = list.json.patients.map((p) => p.patient.display_name);
  const kinds = (kind) => list.json.patients.filter((p) => p.kind === kind).map((p) => p.patient.display_name);
  // Ivy, Nell and Olive are past their intervals with nothing booked. Nobody
  // joined Sam's booked follow-up (19 Mar) nor the demo's visit (5 Mar): the
  // no-show sweep marked both, and a missed visit is listed from its day.
  assert.deepEqual(kinds('overdue'), ['Ivy Item', 'Nell None', 'Olive Overdue']);
  assert.deepEqual(kinds('no-show'), ['Demo Patient', 'Sam Start']);
  assert.deepEqual(names, ['Demo Patient', 'Ivy Item', 'Nell None', 'Sam Start', 'Olive Overdue'],
    'the longest overdue first');
  const sam = list.json.patients.find((p) => p.patient.display_name === 'Sam Start');
  assert.equal(sam.last_visit.state, 'no_show');
  assert.equal(sam.last_visit.local, 'Fri 19 Mar 10:15 EDT');
  assert.equal(sam.due_by, '2027-03-19');
  assert.equal(sam.days_overdue, 83);
  assert.equal(sam.reason, 'missed the last visit (no-show)');
  assert.equal(sam.can_book, true);
  const olive = list.json.patients.find((p) => p.patient.display_name === 'Olive Overdue');
  assert.equal(olive.kind, 'overdue');
  assert.equal(olive.due_by, '2027-05-28');
  assert.equal(olive.due_by_text, 'Fri 28 May');
  assert.equal(olive.days_overdue, 13);
  assert.equal(olive.weeks, 12);
  assert.equal(olive.last_visit.id, stable.id);
  assert.equal(olive.provider.display_name, 'Dr. Demo Provider');
  assert.equal(olive.can_book, true);
  assert.equal(list.json.patients[1].days_overdue, 90);

  const booked = await api(`/api/visits/${stable.id}/follow-up`, { method: 'POST', body: { weeks: 1, time: '09:30' } });
  assert.equal(booked.status, 201, booked.text);
  assert.equal(booked.json.local, 'Thu 17 Jun 09:30 EDT');
  // Book works from a missed visit too: Sam's next visit, a week on.
  const samBooked = await api(`/api/visits/${sam.last_visit.id}/follow-up`, { method: 'POST', body: { weeks: 1, time: '10:00' } });
  assert.equal(samBooked.status, 201, samBooked.text);
  // Nell's follow-up at the hour Olive's was just booked with the same
  // provider: the schedule's double-booking rule holds here too. Refused
  // with the other visit named and nothing booked, then kept on "Book anyway".
  const nellBooking = { weeks: 1, time: '09:30' };
  const clash = await api(`/api/visits/${empty.id}/follow-up`, { method: 'POST', body: nellBooking });
  assert.equal(clash.status, 409, clash.text);
  assert.equal(clash.json.error.code, 'double_booked');
  assert.match(clash.json.error.message, /^Dr\. Demo Provider already has a visit at this time: .*Thu 17 Jun.*Nothing was saved\.$/);
  assert.deepEqual(clash.json.error.conflicts.map((v) => v.id), [booked.json.visit_id]);
  const still = await api('/api/overdue');
  assert.ok(still.json.patients.some((p) => p.patient.display_name === 'Nell None'), 'nothing was booked for Nell');
  const anyway = await api(`/api/visits/${empty.id}/follow-up`, { method: 'POST', body: { ...nellBooking, confirm_double_booking: true } });
  assert.equal(anyway.status, 201, anyway.text);
  assert.equal(anyway.json.double_booked, true);
  assert.equal(anyway.json.local, 'Thu 17 Jun 09:30 EDT');
  assert.equal(booked.json.double_booked, false);
  const after = await api('/api/overdue');
  assert.deepEqual(after.json.patients.map((p) => p.patient.display_name), ['Demo Patient', 'Ivy Item']);
  // Patients and anonymous callers get nothing.
  assert.equal((await fetchJson(`${server.baseUrl}/api/overdue`)).status, 401);
});
