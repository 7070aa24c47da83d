// Labs and vital signs (issue 14, item 5) over a real telehealthd and its
// store on a fixed clock in America/Chicago: lithium started on 2 Nov 2026,
// the server restarted ten days later shows the lithium level overdue; a
// level of 1.5 mmol/L is flagged high and raises a toxic-level alert
// (a monitoring_alerts row written with it); bad input is refused with the
// clinician's words and nothing written; the front desk gets 403; a home
// reading is marked as such; the visit's FHIR export carries the values as
// Observations the outside validator accepts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, dbExec, dbValue, hideTable } from '../e2e/lib.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

const ZONE = 'America/Chicago';
const START = '2026-11-02T10:00:00'; // a Monday, CST
const LATER = '2026-11-12T11:00:00'; // ten days on: past the 5-7 day window

let server;
let session;
let desk;
let dataDir;
let patientId;
let visitId;
const { bin, root } = requireEnv();

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });

function cli(...args) {
  const r = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', dataDir, ...args],
    { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// Rows in the store, read beside the server.
const count = (table) => dbValue(dataDir, `SELECT count(*) AS n FROM ${table}`);
const record = (body) => api(`/api/patients/${patientId}/observations`, { method: 'POST', body });

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-labs-'));
  server = await startServer({ now: START, timeZone: ZONE, dataDir });
  session = await server.login();
  const v = await api('/api/visits', { method: 'POST', body: { patient_name: 'Lena Lithium', scheduled_at: '2026-11-02T11:00:00-06:00' } });
  assert.equal(v.status, 201, v.text);
  visitId = v.json.visit_id;
  const li = await api(`/api/visits/${visitId}/adjustments`, {
    method: 'POST',
    body: { kind: 'start', medication: 'lithium-carbonate-er', dose: 450, frequency: 'twice-daily', supply_days: 30, refills: 0, reason: 'Bipolar I disorder, maintenance' },
  });
  assert.equal(li.status, 201, li.text);
  patientId = (await api(`/api/visits/${visitId}`)).json.patient.id;
  // Ten days later: the same store, the clock moved on.
  await server.stop();
  // The store fault at the end is on purpose: its cause is logged.
  server = await startServer({ now: LATER, timeZone: ZONE, dataDir, allowLog: [/answered 500: store failure: /] });
  session = await server.login();
  const [d] = cli('admin', 'add-staff', '--username', 'front.desk', '--name', 'Front Desk', '--role', 'scheduler');
  desk = await server.login(d.username, d.password);
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('ten days after the start with no level, the lithium level is overdue', async () => {
  const r = await api(`/api/patients/${patientId}/monitoring`);
  assert.equal(r.status, 200, r.text);
  const level = r.json.due.find((d) => d.what === 'Lithium level');
  assert.ok(level, JSON.stringify(r.json.due));
  assert.equal(level.status, 'overdue');
  assert.equal(level.rule, 'lithium-level-after-change');
  assert.equal(level.due_date, '2026-11-07');
  assert.equal(level.overdue_after, '2026-11-09');
  assert.equal(level.why, 'Lithium level: overdue since 9 Nov 2026, 5-7 days after the start of lithium carbonate on 2 Nov 2026; none since.');
  assert.match(level.source, /NICE CG185/);
  // Overdue first; the baseline renal and thyroid tests are asked for too.
  assert.equal(r.json.due[0].status, 'overdue');
  assert.ok(r.json.due.some((d) => d.what === 'TSH' && d.status !== 'done'));
  assert.ok(r.json.due.some((d) => d.what === 'Creatinine / eGFR'));
  assert.deepEqual(r.json.recent, []);
});

test('a lithium level of 1.5 mmol/L is flagged high and raises a toxic-level alert', async () => {
  const before = count('monitoring_alerts');
  const r = await record({ kind: 'lithium', value: 1.5, effective_at: '2026-11-12', visit_id: visitId });
  assert.equal(r.status, 201, r.text);
  const o = r.json.observation;
  assert.equal(o.kind, 'lithium');
  assert.equal(o.loinc, '14334-7');
  assert.equal(o.value_text, '1.5');
  assert.equal(o.unit, 'mmol/L');
  assert.equal(o.interpretation, 'H');
  assert.equal(o.out_of_range, true);
  assert.match(o.flag_words, /above 1\.2 mmol\/L/);
  assert.equal(o.home, false);
  assert.equal(o.visit_id, visitId);
  assert.equal(o.recorded_by.id, session.staff.id);
  // A date alone is noon in the clinic's zone, or now when that is later
  // than now (11:00 CST): never in the future.
  assert.match(o.effective_at, /^2026-11-12T17:0[0-2]:/);
  assert.equal(r.json.alert.rule, 'toxic-level');
  assert.match(r.json.alert.summary, /^Lithium level 1\.5 mmol\/L: above 1\.2 mmol\/L/);
  assert.equal(r.json.alert.acknowledged, false);
  // The alert is a row, pointing at the observation, written with it.
  assert.equal(count('monitoring_alerts'), before + 1);
  assert.equal(dbValue(dataDir, "SELECT rule || '|' || patient_id FROM monitoring_alerts WHERE observation_id = $1", [o.id]),
    `toxic-level|${patientId}`);
  // The level counts: the after-start level is done, the 3-monthly one is next.
  const level = r.json.monitoring.due.find((d) => d.what === 'Lithium level');
  assert.equal(level.status, 'not-yet');
  assert.equal(level.due_date, '2027-02-12');
  assert.equal(r.json.monitoring.recent[0].id, o.id);
  // The record shows it, flagged, with its alert.
  const rec = await api(`/api/visits/${visitId}/record`);
  assert.equal(rec.status, 200, rec.text);
  const latest = rec.json.monitoring.recent.find((x) => x.kind === 'lithium');
  assert.equal(latest.interpretation, 'H');
  assert.equal(latest.alert.rule, 'toxic-level');
  assert.ok(rec.json.monitoring.due.some((d) => d.what === 'TSH'));
  // The audit names what was recorded and its alert, never the value.
  const audit = dbValue(dataDir, "SELECT detail FROM audit_events WHERE action = 'observation.record' ORDER BY seq DESC LIMIT 1");
  assert.match(audit, /"kind":"lithium"/);
  assert.match(audit, /"alert":"/);
  assert.doesNotMatch(audit, /1\.5/);
});

test('a value in range raises no alert', async () => {
  const before = count('monitoring_alerts');
  const r = await record({ kind: 'blood-pressure', value: 128, value2: 82 });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.observation.interpretation, 'N');
  assert.equal(r.json.observation.value_text, '128/82');
  assert.equal(r.json.observation.flag_words, null);
  assert.equal(r.json.alert, null);
  assert.equal(count('monitoring_alerts'), before);
});

test('bad input is refused in words, with nothing written', async () => {
  const before = count('observations');
  const cases = [
    [{ kind: 'lithum', value: 1 }, 400, /"lithum" is not a lab or vital sign the record keeps/],
    [{ kind: 'lithium', value: 15 }, 400, /Lithium level of 15 mmol\/L cannot be right/],
    [{ kind: 'blood-pressure', value: 120 }, 400, /Blood pressure needs both numbers \(for example 120\/80\)/],
    [{ kind: 'lithium', value: '1.1' }, 400, /The value must be a number/],
    [{ kind: 'lithium', value: 1.1, effective_at: '2026-11-13' }, 422, /in the future/],
    [{ kind: 'lithium', value: 1.1, effective_at: '2026-11-12T15:00:00-06:00' }, 422, /in the future/],
    [{ kind: 'lithium', value: 1.1, effective_at: 'yesterday' }, 400, /date \(YYYY-MM-DD/],
    [{ kind: 'lithium', value: 1.1, units: 'mEq/L' }, 400, /nothing else/],
  ];
  for (const [body, status, message] of cases) {
    const r = await record(body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.error.message, message, JSON.stringify(body));
    assert.match(r.json.error.message, /Nothing was saved/);
  }
  // Another patient's visit is not this one's.
  const other = await api('/api/visits', { method: 'POST', body: { patient_name: 'Other Patient' } });
  const r = await record({ kind: 'lithium', value: 1.0, visit_id: other.json.visit_id });
  assert.equal(r.status, 422, r.text);
  assert.equal(count('observations'), before);
});

test('the front desk gets 403, and a stranger cannot see the patient', async () => {
  const post = await api(`/api/patients/${patientId}/observations`, { session: desk, method: 'POST', body: { kind: 'lithium', value: 1 } });
  assert.equal(post.status, 403);
  assert.equal((await api(`/api/patients/${patientId}/observations`, { session: desk })).status, 403);
  assert.equal((await api(`/api/patients/${patientId}/monitoring`, { session: desk })).status, 403);
  const [s] = cli('admin', 'add-staff', '--username', 'dr.stranger', '--name', 'Dr. Stranger', '--role', 'psychiatrist');
  const stranger = await server.login(s.username, s.password);
  assert.equal((await api(`/api/patients/${patientId}/observations`, { session: stranger })).status, 404);
  assert.equal((await api(`/api/patients/${patientId}/observations`, { session: stranger, method: 'POST', body: { kind: 'lithium', value: 1 } })).status, 404);
});

test('the list is newest first, and a home reading is marked as the patient\'s', async () => {
  // A reading the patient entered in the diary (the diary writes these).
  dbExec(dataDir, `INSERT INTO observations (id, patient_id, kind, loinc, value, unit, effective_at, recorded_at, source)
       VALUES ('home-weight-1', '${patientId}', 'weight', '29463-7', 82.5, 'kg', '2026-11-10T13:00:00.000Z', '2026-11-10T13:05:00.000Z', 'patient')`);
  const r = await api(`/api/patients/${patientId}/observations`);
  assert.equal(r.status, 200, r.text);
  const list = r.json.observations;
  const times = list.map((o) => o.effective_at);
  assert.deepEqual(times, [...times].sort().reverse());
  const home = list.find((o) => o.id === 'home-weight-1');
  assert.equal(home.home, true);
  assert.equal(home.source, 'patient');
  assert.equal(home.recorded_by, null);
  assert.equal(home.value_text, '82.5');
  assert.ok(list.find((o) => o.kind === 'lithium').alert);
});

test('the visit\'s FHIR export carries its observations, valid for the outside validator', async () => {
  // In this visit too: a blood pressure (a panel), an AIMS total, and a
  // home heart rate the diary linked to it.
  assert.equal((await record({ kind: 'blood-pressure', value: 150, value2: 95, visit_id: visitId })).status, 201);
  assert.equal((await record({ kind: 'aims', value: 4, visit_id: visitId })).status, 201);
  dbExec(dataDir, `INSERT INTO observations (id, patient_id, kind, loinc, value, unit, effective_at, recorded_at, source, visit_id)
       VALUES ('home-hr-1', '${patientId}', 'heart-rate', '8867-4', 88, '/min', '2026-11-11T13:00:00.000Z', '2026-11-11T13:05:00.000Z', 'patient', '${visitId}')`);
  const r = await api(`/api/visits/${visitId}/fhir`);
  assert.equal(r.status, 200, r.text);
  // Decimals as entered, not their binary neighbours.
  assert.match(r.text, /"low":\{"value":0\.6,/);
  const bundle = r.json;
  const result = new Fhir().validate(bundle);
  const errors = result.messages.filter((m) => m.severity === 'error');
  const other = result.messages.filter((m) => m.severity !== 'error' && !/not found in value set|Value set ".*" could not be found/.test(m.message));
  assert.equal(errors.length, 0, JSON.stringify(errors, null, 2));
  assert.deepEqual(other, []);
  const obs = bundle.entry.map((e) => e.resource).filter((x) => x.resourceType === 'Observation' && x.valueQuantity);
  const li = obs.find((o) => o.code.coding?.[0]?.code === '14334-7');
  assert.ok(li, 'the lithium level is exported');
  assert.deepEqual(li.valueQuantity, { value: 1.5, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' });
  assert.equal(li.interpretation[0].coding[0].code, 'H');
  assert.equal(li.category[0].coding[0].code, 'laboratory');
  assert.equal(li.referenceRange[0].low.value, 0.6);
  assert.equal(li.referenceRange[0].high.value, 1.2);
  assert.equal(li.encounter.reference, `Encounter/${visitId}`);
  const refs = new Set(bundle.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
  assert.ok(refs.has(li.performer[0].reference), 'the performer is in the bundle');
  // Blood pressure: the panel with systolic and diastolic components.
  const bps = bundle.entry.map((e) => e.resource).filter((x) => x.code?.coding?.[0]?.code === '85354-9');
  assert.equal(bps.length, 1, 'only the blood pressure recorded in this visit');
  const bp = bps[0];
  assert.equal(bp.valueQuantity, undefined);
  assert.deepEqual(bp.component.map((c) => [c.code.coding[0].code, c.valueQuantity.value, c.valueQuantity.code]),
    [['8480-6', 150, 'mm[Hg]'], ['8462-4', 95, 'mm[Hg]']]);
  assert.equal(bp.category[0].coding[0].code, 'vital-signs');
  assert.equal(bp.interpretation[0].coding[0].code, 'H');
  // The AIMS total: LOINC 111770-4, an assessment instrument.
  const aims = bundle.entry.map((e) => e.resource).find((x) => x.code?.text === 'AIMS total (items 1-7)');
  assert.deepEqual(aims.code.coding, [{ system: 'http://loinc.org', code: '111770-4', display: 'Total score [AIMS]' }]);
  assert.equal(aims.category[0].coding[0].code, 'survey');
  assert.equal(aims.valueQuantity.value, 4);
  // The home reading: performed by the patient, said to be patient-reported.
  const home = bundle.entry.find((e) => e.resource.id === 'home-hr-1').resource;
  assert.equal(home.performer[0].reference, `Patient/${patientId}`);
  assert.match(home.note[0].text, /Patient-reported/);
  assert.ok(!bundle.entry.some((e) => e.resource.id === 'home-weight-1'));
});

test('when the alert cannot be written, neither is the level: a 500, never a silent value', async () => {
  const before = count('observations');
  const restore = hideTable(dataDir, 'monitoring_alerts');
  try {
    const r = await record({ kind: 'lithium', value: 1.8 });
    assert.equal(r.status, 500, r.text);
    assert.equal(r.json.error.code, 'internal');
    assert.equal(count('observations'), before, 'the level went with its alert');
    // A list that cannot say which values alerted is no list: 500, not [].
    const list = await api(`/api/patients/${patientId}/observations`);
    assert.equal(list.status, 500, list.text);
    assert.equal((await api(`/api/visits/${visitId}/record`)).status, 500);
  } finally {
    restore();
  }
  assert.equal((await api(`/api/patients/${patientId}/observations`)).status, 200);
});
