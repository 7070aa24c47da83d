// Integration: the follow-up record over a real telehealthd and sqlite file:
// check-in scoring, adjustments as linked orders, entered-in-error, a PA's
// order pending until co-signed, the prescribing rules enforced by the
// server, the patient timeline and the FHIR endpoint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, fragmentOf, requireEnv, testClock, dateIn, addDays } from '../e2e/lib.mjs';
import { controlledReady } from './controlled.mjs';

const { bin, root } = requireEnv();
let server;
let dataDir;
let session;      // the demo psychiatrist, signed in
let demo;
let patientToken;

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-records-'));
  // The suite's clock (TH_TEST_NOW) or the real one, with the telemedicine
  // policy window open for a year from the clinic's today: these cases do
  // not depend on the date (the window's edges have their own test below).
  const clock = testClock();
  const today = dateIn(clock.nowMs ?? Date.now(), clock.timeZone || 'UTC');
  server = await startServer({ extraArgs: ['--data-dir', dataDir],
    settings: { prescribing: { telemedicine_policy_end: addDays(today, 365) } } });
  demo = server.demo;
  session = await server.login();
  patientToken = fragmentOf(demo.patient_url).token;
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, opts.token ? opts : { session, ...opts });

function addStaff(name, role, supervisor) {
  const args = ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', dataDir,
    'admin', 'add-staff', '--username', name.toLowerCase().replace(/[^a-z]+/g, '.'), '--name', name, '--role', role];
  if (supervisor) args.push('--supervisor', supervisor);
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function record(visitId, s = session) {
  const r = await api(`/api/visits/${visitId}/record`, { session: s });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function adjust(visitId, body, s = session) {
  return api(`/api/visits/${visitId}/adjustments`, { session: s, method: 'POST', body });
}

test('the catalog lists the medications with RxNorm codes and schedules', async () => {
  const r = await api('/api/catalog');
  assert.equal(r.status, 200);
  const byId = Object.fromEntries(r.json.medications.map((m) => [m.id, m]));
  assert.equal(byId.sertraline.rxnorm, '36437');
  assert.equal(byId['methylphenidate-ir'].schedule, 'II');
  assert.equal(byId['methylphenidate-ir'].controlled, true);
  assert.equal(byId.alprazolam.schedule, 'IV');
  assert.equal(byId.sertraline.controlled, false);
  assert.ok(r.json.frequencies.some((f) => f.code === 'once-daily'));
});

test('the patient check-in is scored by the published rules and item 9 raises an alert', async () => {
  const url = `/api/visits/${demo.visit_id}/checkin`;
  // Refusals first: none of them writes anything.
  assert.equal((await api(url, { token: patientToken, method: 'POST', body: { phq9: [1, 2, 3] } })).status, 400);
  assert.equal((await api(url, { token: patientToken, method: 'POST', body: { phq9: [0, 0, 0, 0, 0, 0, 0, 0, 7] } })).status, 400);
  assert.equal((await api(url, { token: patientToken, method: 'POST', body: { mood: 'fine' } })).status, 400);
  assert.equal((await api(url, { session, method: 'POST', body: { phq9: [0, 0, 0, 0, 0, 0, 0, 0, 0] } })).status, 403);
  const asked = (await api(url, { token: patientToken })).json;
  assert.equal(asked.checkin, null);
  // Missed doses are asked per current medication, capped by its schedule:
  // the demo patient takes sertraline once daily and buspirone twice daily.
  const meds = Object.fromEntries(asked.medications.map((m) => [m.medication, m]));
  assert.deepEqual(Object.keys(meds).sort(), ['buspirone', 'sertraline']);
  assert.equal(meds.sertraline.max, 14);
  assert.equal(meds.buspirone.max, 28);
  assert.deepEqual(asked.safety, {
    emergency_number: '911', crisis_line: '988', crisis_line_name: 'the 988 Suicide & Crisis Lifeline',
  });
  const tooMany = await api(url, { token: patientToken, method: 'POST',
    body: { missed_doses: [{ order_id: meds.buspirone.order_id, missed: 29 }] } });
  assert.equal(tooMany.status, 422);
  assert.equal(tooMany.json.error.message, 'Missed doses of buspirone: enter a whole number from 0 to 28.');
  const unknown = await api(url, { token: patientToken, method: 'POST',
    body: { missed_doses: [{ order_id: 'not-an-order', missed: 1 }] } });
  assert.equal(unknown.status, 422);
  assert.equal((await api(url, { token: patientToken })).json.checkin, null, 'nothing written');

  const body = {
    phq9: [1, 1, 1, 1, 1, 0, 0, 0, 1], // total 6: mild, item 9 above 0
    gad7: [2, 2, 2, 2, 2, 0, 0],       // total 10: moderate
    side_effects: [{ name: 'nausea', severity: 2 }],
    missed_doses: [
      { order_id: meds.buspirone.order_id, missed: 20 }, // more than 14: twice daily
      { order_id: meds.sertraline.order_id, missed: 1 },
    ],
  };
  const r = await api(url, { token: patientToken, method: 'POST', body });
  assert.equal(r.status, 201, r.text);
  const scales = Object.fromEntries(r.json.checkin.scales.map((s) => [s.scale, s]));
  assert.equal(scales.phq9.total, 6);
  assert.equal(scales.phq9.band, 'mild');
  assert.equal(scales.phq9.alert, true);
  assert.equal(scales.gad7.total, 10);
  assert.equal(scales.gad7.band, 'moderate');

  const rec = await record(demo.visit_id);
  assert.equal(rec.checkin.missed_doses_14d, null);
  assert.deepEqual(rec.checkin.missed_doses.map((m) => [m.medication, m.missed, m.max]),
    [['buspirone', 20, 28], ['sertraline', 1, 14]]);
  assert.deepEqual(rec.checkin.side_effects, [{ name: 'nausea', severity: 2 }]);
  assert.equal(rec.alerts.length, 1);
  assert.equal(rec.alerts[0].kind, 'phq9-item9');
  assert.match(rec.alerts[0].message, /in danger now, call 911; to talk to someone now, call or text 988/);
  assert.equal(rec.patient.birth_date, '1988-06-14');
  // The trend has the two past visits' PHQ-9 and today's.
  const phq = rec.score_history.filter((p) => p.scale === 'phq9').map((p) => p.total);
  assert.deepEqual(phq, [15, 8, 6]);
  // Patients never read the provider's record.
  assert.equal((await api(`/api/visits/${demo.visit_id}/record`, { token: patientToken })).status, 401);
});

test('a dose change leaves two orders linked by the replacement, the old one stopped', async () => {
  const before = await record(demo.visit_id);
  const sertraline = before.current_medications.find((o) => o.medication.id === 'sertraline');
  assert.ok(sertraline, 'the demo patient takes sertraline');
  assert.equal(sertraline.dose, 50);

  // Bad requests write nothing.
  const bad = [
    [{ kind: 'change-dose', order_id: sertraline.id, dose: 37, frequency: 'once-daily', reason: 'x' }, 422],
    [{ kind: 'change-dose', order_id: sertraline.id, dose: 100, frequency: 'hourly', reason: 'x' }, 422],
    [{ kind: 'start', medication: 'unobtainium', dose: 1, frequency: 'once-daily', reason: 'x' }, 422],
    [{ kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'x' }, 422],
    [{ kind: 'change-dose', order_id: sertraline.id, dose: 100, frequency: 'once-daily' }, 400],
    [{ kind: 'stop', reason: 'x' }, 400],
    [{ kind: 'teleport', reason: 'x' }, 400],
  ];
  for (const [body, status] of bad) {
    const r = await adjust(demo.visit_id, body);
    assert.equal(r.status, status, `${JSON.stringify(body)} → ${r.text}`);
  }
  const stopped = before.orders.find((o) => o.status === 'stopped');
  const r0 = await adjust(demo.visit_id, { kind: 'stop', order_id: stopped.id, reason: 'again' });
  // Acting on an order someone already changed or stopped: a conflict,
  // saying who changed it and when, not a mistake in the request.
  assert.equal(r0.status, 409, 'a stop of an order that is not active');
  assert.equal(r0.json.error.code, 'conflict');
  assert.match(r0.json.error.message, / was (changed|stopped) by .* on \d{1,2} [A-Z][a-z]{2} \d{4}, after your page showed it; .*Your change was not saved/);
  assert.equal((await record(demo.visit_id)).orders.length, before.orders.length, 'nothing written');

  const r = await adjust(demo.visit_id, {
    kind: 'change-dose', order_id: sertraline.id, dose: 100, frequency: 'once-daily', reason: 'Partial response at 50 mg',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'active');
  assert.equal(r.json.order.replaces, sertraline.id);
  assert.equal(r.json.order.dose, 100);

  const after = await record(demo.visit_id);
  const old = after.orders.find((o) => o.id === sertraline.id);
  assert.equal(old.status, 'stopped');
  assert.equal(old.status_reason, 'Partial response at 50 mg');
  const current = after.current_medications.filter((o) => o.medication.id === 'sertraline');
  assert.deepEqual(current.map((o) => o.dose), [100]);
  assert.equal(after.orders.length, before.orders.length + 1);

  // A mistake is corrected by marking it, not by editing: history keeps both.
  const err = await api(`/api/orders/${r.json.order.id}/entered-in-error`, {
    method: 'POST', body: { reason: 'Meant for another patient' },
  });
  assert.equal(err.status, 200, err.text);
  assert.equal(err.json.order.status, 'entered-in-error');
  // The patient still takes what they took before the mistake: 50 mg again.
  assert.equal(err.json.restored.id, sertraline.id);
  assert.equal(err.json.restored.status, 'active');
  const again = await api(`/api/orders/${r.json.order.id}/entered-in-error`, { method: 'POST', body: { reason: 'twice' } });
  assert.equal(again.status, 422);
  const final = await record(demo.visit_id);
  assert.equal(final.orders.length, after.orders.length);
  assert.ok(final.orders.some((o) => o.id === sertraline.id && o.status === 'active'));
  assert.deepEqual(final.current_medications.filter((o) => o.medication.id === 'sertraline').map((o) => o.dose), [50]);
  assert.ok(final.orders.some((o) => o.id === r.json.order.id && o.status === 'entered-in-error'));
});

test("a physician assistant's adjustment is pending until the supervising psychiatrist co-signs", async () => {
  const me = (await api('/api/me')).json;
  const paAccount = addStaff('Pat Assistant', 'pa', me.staff_id);
  const otherAccount = addStaff('Dr. Other', 'psychiatrist');
  const pa = await server.login(paAccount.username, paAccount.password);
  const other = await server.login(otherAccount.username, otherAccount.password);
  const visit = await api('/api/visits', { session: pa, method: 'POST', body: { patient_name: 'PA Patient' } });
  assert.equal(visit.status, 201, visit.text);
  const vid = visit.json.visit_id;

  const r = await adjust(vid, { kind: 'start', medication: 'escitalopram', dose: 10, frequency: 'once-daily', reason: 'Depression' }, pa);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'pending');
  let rec = await record(vid, pa);
  assert.equal(rec.current_medications.length, 0, 'pending is not yet a current medication');

  const queue = await api('/api/orders/pending');
  assert.ok(queue.json.orders.some((o) => o.id === r.json.order.id));
  assert.equal((await api(`/api/orders/${r.json.order.id}/cosign`, { session: other, method: 'POST' })).status, 403);
  assert.equal((await api(`/api/orders/${r.json.order.id}/cosign`, { session: pa, method: 'POST' })).status, 403);
  const ok = await api(`/api/orders/${r.json.order.id}/cosign`, { method: 'POST' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.order.status, 'active');
  rec = await record(vid, pa);
  assert.deepEqual(rec.current_medications.map((o) => o.medication.id), ['escitalopram']);
  assert.equal((await api(`/api/orders/${r.json.order.id}/cosign`, { method: 'POST' })).status, 422);

  // Other staff cannot see this visit.
  assert.equal((await api(`/api/visits/${vid}/record`, { session: other })).status, 404);
});

test('controlled substances: never in an audio-only visit; video while the policy window is open', async () => {
  const me = (await api('/api/me')).json;
  assert.equal(me.role, 'psychiatrist');
  const patientId = (await record(demo.visit_id)).patient.id;
  const audio = await api('/api/visits', { method: 'POST', body: { patient_id: patientId, modality: 'audio-only' } });
  assert.equal(audio.status, 201, audio.text);
  const refused = await adjust(audio.json.visit_id, { kind: 'start', medication: 'methylphenidate-ir', dose: 10, frequency: 'twice-daily', reason: 'ADHD' });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, 'prescribing-rule');
  assert.equal(refused.json.error.rule, 'controlled-audio-only');
  assert.match(refused.json.error.message, /audio-only/);
  // The refused attempt is in the hash-chained audit trail.
  const a = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', dataDir, 'admin', 'audit'],
    { encoding: 'utf8', timeout: 15000 });
  assert.equal(a.status, 0, a.stderr);
  const lines = a.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).chain_intact, true);
  const attempt = lines.find((e) => e.action === 'prescribe.refused' && e.target === audio.json.visit_id);
  assert.ok(attempt, 'refusal audited');
  assert.equal(attempt.detail.rule, 'controlled-audio-only');
  assert.equal(attempt.actor, me.staff_id);
  // An uncontrolled medication is fine in the same audio-only visit.
  const ok = await adjust(audio.json.visit_id, { kind: 'start', medication: 'atomoxetine', dose: 40, frequency: 'once-daily', reason: 'ADHD' });
  assert.equal(ok.status, 201, ok.text);

  const video = await api('/api/visits', { method: 'POST', body: { patient_id: patientId, modality: 'video' } });
  const allowed = await adjust(video.json.visit_id, { kind: 'start', medication: 'methylphenidate-ir', dose: 10, frequency: 'twice-daily', reason: 'ADHD' });
  assert.equal(allowed.status, 201, allowed.text);
  // The patient is now on ADHD medication: the check-in asks the 18-item
  // ASRS symptom checklist, scored into its two subscales.
  const ci = await api(`/api/visits/${video.json.visit_id}/checkin`);
  assert.equal(ci.json.asks_asrs, true);
  const caps = Object.fromEntries(ci.json.medications.map((m) => [m.medication, m]));
  assert.equal(caps.methylphenidate.max, 28, 'twice daily: up to 28 missed in 14 days');
  assert.equal(caps.atomoxetine.max, 14);

  // Inattentive items (1-4, 7-11) at "often" (3): 27 of 36; hyperactive/impulsive
  // items (5-6, 12-18) at "rarely" (1): 9 of 36 (Kessler et al. 2005).
  const asrs18 = [3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1];
  const token = fragmentOf(video.json.patient_url).token;
  const sent = await api(`/api/visits/${video.json.visit_id}/checkin`, { token, method: 'POST',
    body: { asrs18, missed_doses: [{ order_id: caps.methylphenidate.order_id, missed: 28 }] } });
  assert.equal(sent.status, 201, sent.text);
  const scale = sent.json.checkin.scales.find((x) => x.scale === 'asrs18');
  assert.deepEqual(scale.subscales, { inattentive: 27, hyperactive: 9, max: 36 });
  const rec = await record(video.json.visit_id);
  const point = rec.score_history.find((p) => p.scale === 'asrs18' && p.visit_id === video.json.visit_id);
  assert.deepEqual(point.subscales, { inattentive: 27, hyperactive: 9, max: 36 }, 'trended by subscale');

  // Exported against the project's own questionnaire (no LOINC form claimed).
  const res = await fetch(`${server.baseUrl}/api/visits/${video.json.visit_id}/fhir`, { headers: { Cookie: session.cookie } });
  assert.equal(res.status, 200);
  const entries = (await res.json()).entry.map((e) => e.resource);
  const qr = entries.find((r) => r.resourceType === 'QuestionnaireResponse');
  assert.equal(qr.questionnaire, 'urn:telehealth:questionnaire:asrs-v1.1-symptom-checklist');
  assert.deepEqual(qr.item.map((i) => i.linkId), asrs18.map((_, i) => String(i + 1)));
  assert.deepEqual(qr.item.map((i) => i.answer[0].valueInteger), asrs18);
  const obs = entries.find((r) => r.resourceType === 'Observation');
  assert.equal(obs.code.coding, undefined, 'no LOINC code claimed');
  assert.deepEqual(obs.component.map((c) => c.valueInteger), [27, 9]);
});

// A server of its own on a set clock in a set zone, with the policy window
// ending 2026-12-31; `fn` gets a REST caller signed in as the demo
// psychiatrist, and a new video visit.
async function atClock(now, timeZone, fn) {
  const closed = await startServer({ now, timeZone, settings: {
    prescribing: { telemedicine_policy_end: '2026-12-31', in_person_evaluation_months: '24' },
  } });
  try {
    const t = await closed.login();
    const call = (p, o = {}) => fetchJson(`${closed.baseUrl}${p}`, { session: t, ...o });
    const v = await call('/api/visits', { method: 'POST', body: { patient_name: 'New Patient', modality: 'video' } });
    assert.equal(v.status, 201, v.text);
    const pid = (await call(`/api/visits/${v.json.visit_id}/record`)).json.patient.id;
    // What a controlled order needs besides the in-person rule: the
    // patient's state and a PDMP check (the demo provider's New York DEA
    // registration comes with the demo).
    await controlledReady(closed, call, pid);
    await fn({ call, vid: v.json.visit_id, pid, server: closed });
  } finally {
    await closed.stop();
  }
}

const amphetamine = { kind: 'start', medication: 'amphetamine-mixed-salts-ir', dose: 10, frequency: 'every-morning', reason: 'ADHD' };

test('the policy window closes at the end of its last day in the clinic\'s time zone', async () => {
  // 23:30 on Dec 31 in New York is 04:30 UTC on Jan 1: still inside.
  await atClock('2026-12-31T23:30:00', 'America/New_York', async ({ call, vid }) => {
    const r = await call(`/api/visits/${vid}/adjustments`, { method: 'POST', body: amphetamine });
    assert.equal(r.status, 201, r.text);
  });
  // 00:30 on Jan 1 in New York: closed.
  await atClock('2027-01-01T00:30:00', 'America/New_York', async ({ call, vid }) => {
    const r = await call(`/api/visits/${vid}/adjustments`, { method: 'POST', body: amphetamine });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.rule, 'controlled-in-person');
    assert.match(r.json.error.message, /none is on record/);
  });
  // East of UTC+12 the new year comes first: 00:30 on Jan 1 in Kiritimati
  // (UTC+14) is 10:30 UTC on Dec 31, and the window there has closed.
  await atClock('2027-01-01T00:30:00+14:00', 'Pacific/Kiritimati', async ({ call, vid }) => {
    const r = await call(`/api/visits/${vid}/adjustments`, { method: 'POST', body: amphetamine });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.rule, 'controlled-in-person');
  });
});

test('after the policy window: a controlled start needs an in-person evaluation, dated by the clinic\'s calendar', async () => {
  // 00:30 in New York on Jan 15 is 05:30 UTC: an evaluation "today" is
  // today in New York at any hour, and tomorrow is refused at once.
  await atClock('2027-01-15T00:30:00', 'America/New_York', async ({ call, vid, pid }) => {
    const refused = await call(`/api/visits/${vid}/adjustments`, { method: 'POST', body: amphetamine });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.rule, 'controlled-in-person');
    const eval_ = (date) => call(`/api/patients/${pid}/in-person-evaluation`, { method: 'POST', body: { date } });
    const tomorrow = await eval_('2027-01-16');
    assert.equal(tomorrow.status, 422, tomorrow.text);
    assert.equal(tomorrow.json.error.message,
      'The in-person evaluation date is after today (2027-01-15). Enter the date it took place. Nothing was saved.');
    assert.equal((await eval_('2999-01-01')).status, 422);
    assert.equal((await eval_('2027-02-30')).status, 400);
    // More than 24 months ago: saved, but it does not qualify.
    assert.equal((await eval_('2025-01-14')).status, 200);
    const old = await call(`/api/visits/${vid}/adjustments`, { method: 'POST', body: amphetamine });
    assert.equal(old.status, 403, old.text);
    assert.match(old.json.error.message, /does not qualify/);
    // Exactly 24 months ago qualifies.
    assert.equal((await eval_('2025-01-15')).status, 200);
    const rec = (await call(`/api/visits/${vid}/record`)).json;
    assert.equal(rec.patient.in_person_eval_at, '2025-01-15', 'a date, not an instant');
    const allowed = await call(`/api/visits/${vid}/adjustments`, { method: 'POST', body: amphetamine });
    assert.equal(allowed.status, 201, allowed.text);
  });
  // 23:30 in Kiritimati on Jan 15 is 09:30 UTC: today there is the 15th.
  await atClock('2027-01-15T23:30:00', 'Pacific/Kiritimati', async ({ call, vid, pid }) => {
    const today = await call(`/api/patients/${pid}/in-person-evaluation`, { method: 'POST', body: { date: '2027-01-15' } });
    assert.equal(today.status, 200, today.text);
    assert.equal(today.json.in_person_eval_at, '2027-01-15');
    const allowed = await call(`/api/visits/${vid}/adjustments`, { method: 'POST', body: amphetamine });
    assert.equal(allowed.status, 201, allowed.text);
  });
});

test('notes, the patient timeline and the FHIR export', async () => {
  const n = await api(`/api/visits/${demo.visit_id}/notes`, { method: 'POST', body: { text: 'Discussed sleep hygiene.' } });
  assert.equal(n.status, 201, n.text);
  assert.equal((await api(`/api/visits/${demo.visit_id}/notes`, { method: 'POST', body: { text: '   ' } })).status, 400);
  const rec = await record(demo.visit_id);
  assert.ok(rec.notes.some((x) => x.text === 'Discussed sleep hygiene.'));

  const tl = await api(`/api/patients/${rec.patient.id}/timeline`);
  assert.equal(tl.status, 200, tl.text);
  const ids = tl.json.visits.map((v) => v.id);
  for (const id of demo.past_visit_ids) assert.ok(ids.includes(id));
  const past = tl.json.visits.find((v) => v.id === demo.past_visit_ids[1]);
  assert.ok(past.scores.some((s) => s.scale === 'phq9' && s.total === 8));
  const written = past.adjustments.filter((o) => o.in_visit === 'written');
  assert.deepEqual(written.map((o) => o.action).sort(), ['change-dose', 'switch']);
  // The orders of the earlier visit that this one stopped belong to it too.
  const stoppedHere = past.adjustments.filter((o) => o.in_visit === 'stopped');
  assert.deepEqual(stoppedHere.map((o) => [o.medication.id, o.status]).sort(),
    [['buspirone', 'stopped'], ['fluoxetine', 'stopped']]);
  const times = tl.json.visits.map((v) => Date.parse(v.scheduled_at));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));

  const res = await fetch(`${server.baseUrl}/api/visits/${demo.past_visit_ids[1]}/fhir`, { headers: { Cookie: session.cookie } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /application\/fhir\+json/);
  const bundle = await res.json();
  assert.equal(bundle.resourceType, 'Bundle');
  assert.ok(bundle.entry.some((e) => e.resource.resourceType === 'MedicationRequest' && e.resource.priorPrescription));
});

test('the demo\'s past visits are recorded at their own times, not today\'s', async () => {
  const today = server.today();
  for (const id of demo.past_visit_ids) {
    const res = await fetch(`${server.baseUrl}/api/visits/${id}/fhir`, { headers: { Cookie: session.cookie } });
    assert.equal(res.status, 200);
    const bundle = await res.json();
    const of = (type) => bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type);
    const [enc] = of('Encounter');
    assert.equal(enc.status, 'finished');
    const start = Date.parse(enc.period.start);
    const end = Date.parse(enc.period.end);
    assert.ok(start < end, `Encounter ${enc.period.start} .. ${enc.period.end}`);
    assert.ok(end < server.now() - 7 * 24 * 3600 * 1000, 'weeks ago');
    const within = (iso, what) => {
      const t = Date.parse(iso);
      assert.ok(t >= start && t <= end, `${what} ${iso} within ${enc.period.start} .. ${enc.period.end}`);
    };
    const responses = of('QuestionnaireResponse');
    assert.ok(responses.length > 0, 'a check-in');
    for (const qr of responses) within(qr.authored, 'check-in');
    const requests = of('MedicationRequest');
    const own = requests.filter((mr) => mr.encounter?.reference?.endsWith(id));
    assert.ok(own.length >= 2, 'the visit\'s orders');
    for (const mr of own) within(mr.authoredOn, `${mr.medicationCodeableConcept?.text ?? 'order'} authoredOn`);
    // Orders of an earlier visit (a switch's replaced order) carry that
    // visit's date: none was written today.
    for (const mr of requests) {
      assert.ok(Date.parse(mr.authoredOn) <= end);
      assert.notEqual(dateIn(Date.parse(mr.authoredOn), server.timeZone), today);
    }
    // The record shows the note at the visit's time as well.
    const rec = await record(id);
    for (const n of rec.notes) within(n.at, 'note');
  }
});
