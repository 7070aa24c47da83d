// Integration (issue 14, items 2 and 4): a positive PHQ-9 item 9 followed
// through, over a real telehealthd and its sqlite file, at a fixed clock.
//
//  - a check-in with item 9 above 0 opens a safety task and raises an
//    alert in the same transaction; a second one raises another alert but
//    opens no second task;
//  - the task closes only with the C-SSRS screener (422 in the clinician's
//    words otherwise), a level not below the screener's triage without a
//    reason, a plan and where the patient is; it closes once (409), and the
//    record shows the answers and who closed it;
//  - an alert is acknowledged with a note, once (409 the second time), by a
//    named clinician; the record lists unacknowledged alerts first;
//  - while a task is open, lithium for 30 days is refused (422, rule
//    "safety-task-open") without safety_confirm and goes with it, audited;
//  - the front desk gets 403 on every route; a clinician who never saw the
//    patient sees none of their alerts;
//  - the visit's FHIR export carries the open task's Flag, then the screen's
//    Observations, valid for the outside validator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, fragmentOf, requireEnv } from '../e2e/lib.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');
const { bin, root } = requireEnv();

const NOW = '2026-11-18T15:00:00Z';
const ZONE = 'America/Chicago';
const LOINC = 'http://loinc.org';
const TERMINOLOGY_ONLY = /not found in value set|Value set ".*" could not be found/;

let server;
let dataDir;
let psy;      // the demo psychiatrist
let desk;     // the front desk (scheduler)
let stranger; // a psychiatrist who never saw these patients

function cli(...args) {
  const r = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', dataDir, ...args],
    { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-safety-'));
  server = await startServer({ now: NOW, timeZone: ZONE, dataDir });
  psy = await server.login();
  const [d] = cli('admin', 'add-staff', '--username', 'front.desk', '--name', 'Front Desk', '--role', 'scheduler');
  desk = await server.login(d.username, d.password);
  const [s] = cli('admin', 'add-staff', '--username', 'dr.other', '--name', 'Dr. Other', '--role', 'psychiatrist');
  stranger = await server.login(s.username, s.password);
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, opts.token ? opts : { session: psy, ...opts });
const post = (p, body, session = psy) => api(p, { session, method: 'POST', body });

// A new patient with a video visit with the demo psychiatrist, whose
// check-in answers PHQ-9 item 9 with `item9`.
async function patientWithCheckin(name, item9) {
  const v = await post('/api/visits', { patient_name: name, modality: 'video' });
  assert.equal(v.status, 201, v.text);
  const rec = await api(`/api/visits/${v.json.visit_id}/record`);
  const token = fragmentOf(v.json.patient_url).token;
  const ci = await api(`/api/visits/${v.json.visit_id}/checkin`, {
    token, method: 'POST', body: { phq9: [1, 1, 1, 1, 1, 0, 0, 0, item9], gad7: [1, 1, 1, 1, 0, 0, 0] },
  });
  assert.equal(ci.status, 201, ci.text);
  return { visitId: v.json.visit_id, patientId: rec.json.patient.id, token };
}

async function tasksOf(patientId, session = psy) {
  const r = await api(`/api/patients/${patientId}/safety-tasks`, { session });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// The test clock starts at NOW and runs on: a time stamped by the server
// is NOW or a little after.
function assertNearNow(iso) {
  const ms = Date.parse(iso);
  assert.ok(ms >= Date.parse(NOW) && ms < Date.parse(NOW) + 120000, `${iso} is near ${NOW}`);
}

const SCREEN_MODERATE = { q1: true, q2: true, q3: true, q4: false, q5: false, q6: false };

test('an item-9 check-in answer opens a safety task and raises an alert; a second answer adds an alert, not a task', async () => {
  const p = await patientWithCheckin('Nina Ninefold', 2);
  const open = (await api('/api/alerts')).json.alerts.filter((a) => a.patient.id === p.patientId);
  assert.equal(open.length, 1);
  assert.equal(open[0].rule, 'item9');
  assert.equal(open[0].patient.display_name, 'Nina Ninefold');
  assert.match(open[0].summary, /PHQ-9 item 9 .* on more than half the days in the last 2 weeks\./);
  assert.equal(open[0].acknowledged, null);
  assertNearNow(open[0].raised_at);

  const t = await tasksOf(p.patientId);
  assert.equal(t.tasks.length, 1);
  assert.equal(t.tasks[0].status, 'open');
  assert.equal(t.tasks[0].item9, 2);
  assert.ok(t.tasks[0].source.checkin_id);
  // The form's questions come with the answer: six and Q6's follow-up.
  assert.deepEqual(t.screener.questions.map((q) => q.code),
    ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q6_past_3_months']);
  assert.deepEqual(t.screener.plans.map((x) => x.code),
    ['safety-plan', 'means-counselling', 'crisis-line', 'emergency-services']);

  const again = await api(`/api/visits/${p.visitId}/checkin`, {
    token: p.token, method: 'POST', body: { phq9: [0, 0, 0, 0, 0, 0, 0, 0, 1] },
  });
  assert.equal(again.status, 201, again.text);
  assert.equal((await tasksOf(p.patientId)).tasks.length, 1, 'one open task per patient');
  const all = (await api(`/api/patients/${p.patientId}/alerts`)).json.alerts;
  assert.equal(all.length, 2);
  // A check-in without item 9 above 0 raises nothing.
  const calm = await patientWithCheckin('Calm Carla', 0);
  assert.equal((await api(`/api/patients/${calm.patientId}/alerts`)).json.alerts.length, 0);
  assert.equal((await tasksOf(calm.patientId)).tasks.length, 0);
});

test('a safety task closes only with the C-SSRS screen, a level, a plan and a location, and only once', async () => {
  const p = await patientWithCheckin('Oscar Openask', 1);
  const taskId = (await tasksOf(p.patientId)).tasks[0].id;
  const close = (body) => post(`/api/safety-tasks/${taskId}/close`, body);
  const full = { screen: SCREEN_MODERATE, risk_level: 'moderate', plan: ['safety-plan', 'crisis-line'],
    location: 'At home, 4 Birch Lane, Springfield', visit_id: p.visitId };

  const bare = await close({ risk_level: 'low', plan: ['safety-plan'], location: 'Home' });
  assert.equal(bare.status, 422, bare.text);
  assert.equal(bare.json.error.code, 'screen-required');
  assert.match(bare.json.error.message, /^A safety task closes only with the C-SSRS screener/);

  const skipped = await close({ ...full, screen: { q1: true, q2: true, q6: false } });
  assert.equal(skipped.status, 422);
  assert.match(skipped.json.error.message, /Question 2 was answered yes, so questions 3, 4 and 5/);

  const lower = await close({ ...full, risk_level: 'low' });
  assert.equal(lower.status, 422);
  assert.match(lower.json.error.message, /suggest moderate risk; to record low risk instead, say why/);

  const nowhere = await close({ ...full, location: '   ' });
  assert.equal(nowhere.status, 422);
  assert.match(nowhere.json.error.message, /where the patient is right now/);

  const noPlan = await close({ ...full, plan: [] });
  assert.equal(noPlan.status, 422);
  assert.match(noPlan.json.error.message, /at least one part of the plan/);

  const high = await close({ ...full, screen: { ...SCREEN_MODERATE, q5: true }, risk_level: 'high' });
  assert.equal(high.status, 422);
  assert.match(high.json.error.message, /At high risk, contact emergency services, or say why not/);

  assert.equal((await tasksOf(p.patientId)).tasks[0].status, 'open', 'nothing was saved');

  const done = await close(full);
  assert.equal(done.status, 200, done.text);
  const task = (await tasksOf(p.patientId)).tasks[0];
  assert.equal(task.status, 'closed');
  assert.equal(task.closed.risk_level, 'moderate');
  assert.equal(task.closed.suggested_risk, 'moderate');
  assert.equal(task.closed.by.display_name, done.json.task.closed.by.display_name);
  assert.ok(task.closed.by.display_name.length > 0);
  assert.equal(task.closed.location, 'At home, 4 Birch Lane, Springfield');
  assert.equal(task.closed.visit_id, p.visitId);
  assert.deepEqual(task.closed.plan.map((x) => x.code), ['safety-plan', 'crisis-line']);
  assert.deepEqual(
    Object.fromEntries(['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q6_past_3_months'].map((k) => [k, task.closed.screen[k]])),
    { q1: true, q2: true, q3: true, q4: false, q5: false, q6: false, q6_past_3_months: null });

  const twice = await close(full);
  assert.equal(twice.status, 409, twice.text);
  assert.equal(twice.json.error.code, 'already-closed');

  // A lower level than the screener's goes with a reason, kept on the record.
  const q = await patientWithCheckin('Lara Lowered', 1);
  const qTask = (await tasksOf(q.patientId)).tasks[0].id;
  const reasoned = await post(`/api/safety-tasks/${qTask}/close`, {
    ...full, visit_id: q.visitId, risk_level: 'low', risk_reason: 'Passing thought, long-standing protective factors',
  });
  assert.equal(reasoned.status, 200, reasoned.text);
  assert.equal(reasoned.json.task.closed.suggested_risk, 'moderate');
  assert.equal(reasoned.json.task.closed.risk_reason, 'Passing thought, long-standing protective factors');
  // Another patient's visit cannot be named.
  const r = await patientWithCheckin('Vera Visitless', 3);
  const rTask = (await tasksOf(r.patientId)).tasks[0].id;
  const wrongVisit = await post(`/api/safety-tasks/${rTask}/close`, { ...full, visit_id: q.visitId });
  assert.equal(wrongVisit.status, 422, wrongVisit.text);
  assert.match(wrongVisit.json.error.message, /not one of this patient's visits/);
});

test('an alert is acknowledged with a note, once, by a named clinician; unacknowledged alerts come first', async () => {
  const p = await patientWithCheckin('Ada Acknowledge', 1);
  await api(`/api/visits/${p.visitId}/checkin`, { token: p.token, method: 'POST', body: { phq9: [0, 0, 0, 0, 0, 0, 0, 0, 3] } });
  const [newer, older] = (await api(`/api/patients/${p.patientId}/alerts`)).json.alerts;
  const ack = (id, body) => post(`/api/alerts/${id}/acknowledge`, body);

  const noNote = await ack(older.id, {});
  assert.equal(noNote.status, 422, noNote.text);
  assert.equal(noNote.json.error.code, 'note-required');
  assert.match(noNote.json.error.message, /^Write a note saying what you did about this alert/);
  assert.equal((await ack(older.id, { note: '   ' })).status, 422);
  assert.equal((await ack(older.id, { note: 'x'.repeat(1001) })).status, 400);

  const done = await ack(older.id, { note: 'Called the patient: safe at home, seen tomorrow.' });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.alert.acknowledged.note, 'Called the patient: safe at home, seen tomorrow.');
  assert.ok(done.json.alert.acknowledged.by.display_name.length > 0);
  assertNearNow(done.json.alert.acknowledged.at);

  const again = await ack(older.id, { note: 'Second try' });
  assert.equal(again.status, 409, again.text);
  assert.equal(again.json.error.code, 'already-acknowledged');

  const list = (await api(`/api/patients/${p.patientId}/alerts`)).json.alerts;
  assert.deepEqual(list.map((a) => [a.id, a.acknowledged === null]), [[newer.id, true], [older.id, false]]);
  const open = (await api('/api/alerts')).json.alerts.map((a) => a.id);
  assert.ok(open.includes(newer.id) && !open.includes(older.id));
  assert.equal((await ack('00000000-0000-4000-8000-000000000000', { note: 'n' })).status, 404);
});

test('while a safety task is open, lithium for 30 days needs safety_confirm; with it the order goes and is audited', async () => {
  const p = await patientWithCheckin('Leo Lithium', 1);
  const lithium = { kind: 'start', medication: 'lithium-carbonate-ir', dose: 300, frequency: 'twice-daily',
    supply_days: 30, reason: 'Bipolar I disorder, maintenance' };
  const refused = await post(`/api/visits/${p.visitId}/adjustments`, lithium);
  assert.equal(refused.status, 422, refused.text);
  assert.equal(refused.json.error.rule, 'safety-task-open');
  assert.match(refused.json.error.message, /open safety task .* lithium has a narrow therapeutic index and is dangerous in overdose/);
  assert.match(refused.json.error.message, /Confirm it with a reason, or prescribe 14 days or fewer\.$/);
  const rec = await api(`/api/visits/${p.visitId}/record`);
  assert.equal(rec.json.current_medications.length, 0, 'nothing was written');

  const badConfirm = await post(`/api/visits/${p.visitId}/adjustments`, { ...lithium, safety_confirm: { reason: ' ' } });
  assert.equal(badConfirm.status, 400, badConfirm.text);

  const confirmed = await post(`/api/visits/${p.visitId}/adjustments`, {
    ...lithium, safety_confirm: { reason: 'Family holds the supply; weekly visits' },
  });
  assert.equal(confirmed.status, 201, confirmed.text);
  const audit = cli('admin', 'audit');
  const row = audit.find((l) => l.action === 'prescribe.safety-confirmed');
  assert.ok(row, 'the confirmation is audited');
  const detail = typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail;
  assert.equal(detail.reason, 'Family holds the supply; weekly visits');
  assert.equal(detail.supply_days, 30);

  // A tricyclic for 14 days is under the limit: no confirmation asked.
  const amitriptyline = await post(`/api/visits/${p.visitId}/adjustments`, {
    kind: 'start', medication: 'amitriptyline', dose: 25, frequency: 'at-bedtime', supply_days: 14, reason: 'Insomnia with depression',
  });
  assert.equal(amitriptyline.status, 201, amitriptyline.text);
});

test('the front desk gets 403; a clinician who never saw the patient sees none of it', async () => {
  const p = await patientWithCheckin('Desk Dora', 1);
  const alertId = (await api(`/api/patients/${p.patientId}/alerts`)).json.alerts[0].id;
  const taskId = (await tasksOf(p.patientId)).tasks[0].id;
  for (const [method, url, body] of [
    ['GET', '/api/alerts'],
    ['GET', `/api/patients/${p.patientId}/alerts`],
    ['GET', `/api/patients/${p.patientId}/safety-tasks`],
    ['POST', `/api/alerts/${alertId}/acknowledge`, { note: 'desk' }],
    ['POST', `/api/safety-tasks/${taskId}/close`, { screen: SCREEN_MODERATE }],
  ]) {
    const r = await api(url, { session: desk, method, body });
    assert.equal(r.status, 403, `${method} ${url}: ${r.text}`);
    assert.equal(r.json.error.code, 'front-desk');
  }
  const theirs = (await api('/api/alerts', { session: stranger })).json.alerts;
  assert.equal(theirs.filter((a) => a.patient.id === p.patientId).length, 0);
  assert.equal((await api(`/api/patients/${p.patientId}/alerts`, { session: stranger })).status, 404);
  assert.equal((await post(`/api/alerts/${alertId}/acknowledge`, { note: 'n' }, stranger)).status, 404);
  assert.equal((await post(`/api/safety-tasks/${taskId}/close`, { screen: SCREEN_MODERATE }, stranger)).status, 404);
});

function validate(bundle) {
  const result = new Fhir().validate(bundle);
  const bad = result.messages.filter((m) => m.severity === 'error' || !TERMINOLOGY_ONLY.test(m.message));
  assert.deepEqual(bad, [], JSON.stringify(result.messages, null, 2));
  assert.equal(result.valid, true);
}

test('the FHIR export carries a Flag while the task is open, then the C-SSRS Observations', async () => {
  const p = await patientWithCheckin('Fhir Flagged', 1);
  const before = (await api(`/api/visits/${p.visitId}/fhir`)).json;
  validate(before);
  const flags = before.entry.map((e) => e.resource)
    .filter((r) => r.resourceType === 'Flag' && r.id.startsWith('safety-task-'));
  assert.equal(flags.length, 1);
  assert.equal(flags[0].status, 'active');
  assert.deepEqual(flags[0].category.map((c) => c.coding[0].code), ['safety', 'clinical']);
  assert.equal(flags[0].subject.reference, `Patient/${p.patientId}`);
  assert.match(flags[0].code.text, /C-SSRS screen is not yet recorded/);
  // The check-in's own item-9 Flag: active while nobody has answered it.
  const item9Flag = (bundle) => bundle.entry.map((e) => e.resource)
    .filter((r) => r.resourceType === 'Flag' && !r.id.startsWith('safety-task-') &&
      r.code.coding?.[0]?.system === LOINC && /PHQ-9 item 9 answered above 0/.test(r.code.text));
  const open9 = item9Flag(before);
  assert.equal(open9.length, 1);
  assert.equal(open9[0].status, 'active');
  assert.equal(open9[0].period.end, undefined);

  const taskId = (await tasksOf(p.patientId)).tasks[0].id;
  const closed = await post(`/api/safety-tasks/${taskId}/close`, {
    screen: { q1: true, q2: false, q6: true, q6_past_3_months: true }, risk_level: 'high',
    plan: ['emergency-services', 'crisis-line'], location: 'Mercy Hospital emergency department',
  });
  assert.equal(closed.status, 200, closed.text);
  const after = (await api(`/api/visits/${p.visitId}/fhir`)).json;
  validate(after);
  const res = after.entry.map((e) => e.resource);
  assert.equal(res.filter((r) => r.resourceType === 'Flag' && r.id.startsWith('safety-task-')).length, 0);
  // Closed: the item-9 Flag stays as history but is inactive, ended when
  // the screen was recorded, so a receiver stops showing it as open.
  const closed9 = item9Flag(after);
  assert.equal(closed9.length, 1);
  assert.equal(closed9[0].status, 'inactive');
  assert.equal(closed9[0].period.start, open9[0].period.start);
  const task = (await tasksOf(p.patientId)).tasks.find((t) => t.id === taskId);
  assert.ok(task.closed && task.closed.at, 'the task says when it was closed');
  assert.equal(Date.parse(closed9[0].period.end), Date.parse(task.closed.at));
  const screen = res.filter((r) => r.resourceType === 'Observation' && r.id.startsWith('cssrs-'));
  const byCode = Object.fromEntries(screen.map((o) => [o.code.coding[0].code, o]));
  // Asked: Q1, Q2, Q6 and its follow-up; Q3-Q5 were not (Q2 no).
  assert.deepEqual(Object.keys(byCode).sort(), ['93246-7', '93247-5', '93267-3', '93269-9', '93374-7']);
  assert.ok(screen.every((o) => o.code.coding[0].system === LOINC && o.status === 'final'));
  assert.equal(byCode['93246-7'].valueCodeableConcept.coding[0].code, 'LA33-6');
  assert.equal(byCode['93247-5'].valueCodeableConcept.coding[0].code, 'LA32-8');
  assert.equal(byCode['93374-7'].valueCodeableConcept.text, 'High risk');
});
