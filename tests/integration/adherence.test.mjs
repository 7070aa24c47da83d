// Integration: adherence per medication, the side effects attributed to
// each, the measurement-based care labels, and the patient-level FHIR
// export, over a real telehealthd and its sqlite file.
//
// The demo patient was last seen 4 weeks ago (demo_history.c): PHQ-9 8,
// GAD-7 6; fluoxetine was switched to sertraline 50 mg once daily and
// buspirone raised to 10 mg twice daily. The patient writes the diary
// through its own routes (a diary link made by staff); the check-in goes
// through the API too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, rawRequest, fragmentOf, requireEnv, testClock, dateIn, addDays } from '../e2e/lib.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');
const { bin } = requireEnv();

let server;
let dataDir;
let session;
let demo;
let patientId;
const meds = {};

function admin(...args) {
  return spawnSync(bin, ['--config', server.configPath, '--data-dir', dataDir, 'admin', ...args],
    { encoding: 'utf8', timeout: 15000, env: server.env });
}

function addStaff(username, name, role) {
  const r = admin('add-staff', '--username', username, '--name', name, '--role', role);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, opts.token ? opts : { session, ...opts });

async function record() {
  const r = await api(`/api/visits/${demo.visit_id}/record`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-adherence-'));
  const clock = testClock();
  const today = dateIn(clock.nowMs ?? Date.now(), clock.timeZone || 'UTC');
  server = await startServer({ extraArgs: ['--data-dir', dataDir],
    settings: { prescribing: { telemedicine_policy_end: addDays(today, 365) } } });
  demo = server.demo;
  session = await server.login();
  const rec = await record();
  patientId = rec.patient.id;
  for (const o of rec.current_medications) meds[o.medication.id] = o;
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function med(rec, name) {
  const o = rec.current_medications.find((m) => m.medication.id === name);
  assert.ok(o, `${name} is a current medication`);
  return o;
}

test('before any diary or check-in: nothing known, nothing made up; the labels wait for a score', async () => {
  const rec = await record();
  const today = server.today();
  assert.deepEqual(rec.adherence_period, { from: addDays(today, -28), to: today, since_last_visit: true });
  for (const name of ['sertraline', 'buspirone']) {
    const a = med(rec, name).adherence;
    assert.equal(a.source, 'none');
    assert.equal(a.percent, null);
    assert.equal(a.due, 0);
    assert.equal(a.days_in_period, 29, 'the last visit\'s day to today');
    assert.deepEqual(a.weeks, []);
    assert.deepEqual(med(rec, name).side_effects, []);
  }
  assert.equal(rec.mbc.phq9.status, 'no-follow-up');
  assert.equal(rec.mbc.phq9.baseline, 8);
  assert.equal(rec.mbc.phq9.text, 'PHQ-9: baseline 8; no score since the current treatment began');
  assert.equal(rec.mbc.gad7.baseline, 6);
  assert.ok(rec.mbc.treatment_start, 'the switch and the dose change of the last visit');
});

test('the diary gives adherence over the logged days, the newest entry of a day counting', async () => {
  const busp = meds.buspirone.id;
  const today = server.today();
  const link = await api(`/api/patients/${patientId}/diary-link`, { method: 'POST' });
  assert.equal(link.status, 201, link.text);
  const token = new URL(link.json.url).hash.replace(/^#d=/, '');
  const rows = [
    // [days back, item9, taken, missed, reason, side effect severity]
    [6, 0, 2, 0, null, null],
    [5, 0, 1, 1, 'forgot', 'mild'],
    [4, 0, 2, 0, null, null],
    [3, 1, 0, 2, 'ran-out', null], // replaced by the entry below, written later
    [3, 0, 2, 0, null, null],
    [2, 0, 0, 2, 'side-effect', 'severe'],
  ];
  // Written by the patient through the diary page's own route.
  for (const [back, item9, taken, missed, reason, sev] of rows) {
    const saved = await api('/api/diary/entries', { token, method: 'POST', body: {
      day: addDays(today, -back), item9,
      doses: [{ order_id: busp, taken, missed, ...(reason ? { reason } : {}) }],
      side_effects: sev ? [{ order_id: busp, effect: 'dizziness', severity: sev }] : [],
    } });
    assert.equal(saved.status, 201, saved.text);
  }
  const rec = await record();
  const a = med(rec, 'buspirone').adherence;
  assert.equal(a.source, 'diary');
  assert.equal(a.source_text, 'from the diary');
  assert.equal(a.days_logged, 5);
  assert.equal(a.days_in_period, 29);
  assert.equal(a.due, 10, 'twice daily on the 5 logged days, not on the 24 unknown ones');
  assert.equal(a.taken, 7);
  assert.equal(a.percent, 70);
  assert.deepEqual(a.reasons, { forgot: 1, 'side-effect': 2, 'ran-out': 0, 'chose-not-to': 0, unspecified: 0 });
  assert.equal(a.period_from, addDays(today, -28));
  assert.equal(a.weeks.length, 5);
  assert.deepEqual(a.weeks.map((w) => w.week_start), [0, 7, 14, 21, 28].map((d) => addDays(today, d - 28)));
  assert.equal(a.weeks.reduce((s, w) => s + w.days_logged, 0), 5);
  assert.equal(a.weeks.reduce((s, w) => s + w.taken, 0), 7);
  const fx = med(rec, 'buspirone').side_effects;
  assert.equal(fx.length, 1);
  assert.equal(fx[0].effect, 'dizziness');
  assert.equal(fx[0].worst, 3);
  assert.equal(fx[0].last_day, addDays(today, -2));
  assert.equal(fx[0].weeks.length, 5);
  // Sertraline's diary is empty and there is no check-in yet.
  assert.equal(med(rec, 'sertraline').adherence.source, 'none');
  assert.deepEqual(med(rec, 'sertraline').side_effects, []);
});

test('without a diary, the check-in\'s 14 days, said so; the scores give the labels', async () => {
  const token = fragmentOf(demo.patient_url).token;
  const sent = await api(`/api/visits/${demo.visit_id}/checkin`, { token, method: 'POST', body: {
    phq9: [0, 0, 1, 0, 0, 0, 1, 0, 0], // 2: below 5, from 8
    gad7: [1, 1, 1, 1, 1, 0, 0],       // 5: from 6, 16 % better
    missed_doses: [
      { order_id: meds.sertraline.id, missed: 2 },
      { order_id: meds.buspirone.id, missed: 20 }, // the diary is there: it wins
    ],
  } });
  assert.equal(sent.status, 201, sent.text);
  const rec = await record();
  const s = med(rec, 'sertraline').adherence;
  assert.equal(s.source, 'checkin');
  assert.equal(s.source_text, 'from the check-in, 14 days');
  assert.equal(s.taken, 12);
  assert.equal(s.due, 14);
  assert.equal(s.percent, 86);
  assert.equal(s.days_logged, null, 'a recall, not a log');
  assert.equal(s.days_in_period, 14);
  assert.equal(med(rec, 'buspirone').adherence.source, 'diary');
  assert.equal(med(rec, 'buspirone').adherence.percent, 70);

  assert.equal(rec.mbc.phq9.status, 'remission');
  assert.match(rec.mbc.phq9.text, /^Remission: PHQ-9 down 75% \(8 to 2\) after [34] weeks \(below 5\)$/);
  assert.equal(rec.mbc.gad7.status, 'too-early');
  assert.match(rec.mbc.gad7.text, /^Too early to tell: GAD-7 down 16% \(6 to 5\) at week [34] of 8$/);
  assert.equal(rec.mbc.gad7.change_percent, 16);
});

// The validator ships no LOINC, RxNorm or SNOMED content: such codes are
// "not found in value set" (warnings) and the value sets missing (info).
const TERMINOLOGY_ONLY = /not found in value set|Value set ".*" could not be found/;

test('the patient-level FHIR export validates and carries the diary and the reported adherence', async () => {
  // The clinic's readings travel in the same export (labs.c).
  for (const body of [{ kind: 'weight', value: 81.5 }, { kind: 'blood-pressure', value: 150, value2: 95 }]) {
    const o = await api(`/api/patients/${patientId}/observations`, { method: 'POST', body });
    assert.equal(o.status, 201, o.text);
  }
  const r = await rawRequest(`${server.baseUrl}/api/patients/${patientId}/fhir`,
    { headers: { Accept: 'application/fhir+json', Cookie: session.cookie } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^application\/fhir\+json/);
  const bundle = JSON.parse(r.text);
  const result = new Fhir().validate(bundle);
  const errors = result.messages.filter((m) => m.severity === 'error');
  const other = result.messages.filter((m) => m.severity !== 'error' && !TERMINOLOGY_ONLY.test(m.message));
  if (errors.length || other.length) console.log(JSON.stringify(result.messages, null, 2));
  assert.equal(result.valid, true);
  assert.equal(errors.length, 0);
  assert.deepEqual(other, []);
  assert.equal(bundle.type, 'collection');

  const res = bundle.entry.map((e) => e.resource);
  const refs = new Set(res.map((x) => `${x.resourceType}/${x.id}`));
  const seen = new Set();
  for (const e of bundle.entry) {
    assert.ok(!seen.has(e.fullUrl), `duplicate ${e.fullUrl}`);
    seen.add(e.fullUrl);
    assert.match(e.resource.id, /^[A-Za-z0-9\-.]{1,64}$/);
  }
  // Every reference resolves inside the bundle.
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.reference === 'string') assert.ok(refs.has(v.reference), `${v.reference} is not in the bundle`);
      Object.values(v).forEach(walk);
    }
  };
  walk(res);
  assert.equal(res.filter((x) => x.resourceType === 'Patient').length, 1);
  assert.equal(res.filter((x) => x.resourceType === 'Encounter').length, 3, 'two past visits and today\'s');
  const requests = res.filter((x) => x.resourceType === 'MedicationRequest');
  assert.equal(requests.length, 4, 'fluoxetine, sertraline, buspirone 5 and 10 mg');

  const obs = res.filter((x) => x.resourceType === 'Observation');
  const doses = obs.filter((o) => o.code.text === 'Doses taken and missed (patient diary)');
  assert.equal(doses.length, 5, 'one per logged day: the replaced entry is left out');
  const comp = (o, text) => o.component.find((c) => c.code.text === text);
  const day2 = doses.find((o) => o.effectiveDateTime === addDays(server.today(), -2));
  assert.equal(comp(day2, 'Doses taken').valueInteger, 0);
  assert.equal(comp(day2, 'Doses missed').valueInteger, 2);
  assert.equal(comp(day2, 'Reason for the missed doses').valueCodeableConcept.text, 'Because of a side effect');
  assert.ok(comp(day2, 'Medication').valueCodeableConcept.coding.some((c) => c.system === 'http://www.nlm.nih.gov/research/umls/rxnorm'));
  assert.deepEqual(day2.performer, [{ reference: `Patient/${patientId}` }]);

  const effects = obs.filter((o) => o.code.text === 'Side effect: dizziness (patient diary)');
  assert.equal(effects.length, 2);
  const severe = effects.find((o) => o.valueCodeableConcept.text === 'Severe');
  assert.deepEqual(severe.valueCodeableConcept.coding, [{ system: 'http://snomed.info/sct', code: '24484000', display: 'Severe' }]);
  assert.equal(severe.component[0].code.text, 'Attributed by the patient to');
  assert.match(severe.component[0].valueCodeableConcept.text, /buspirone/i);

  const item9 = obs.filter((o) => o.code.coding?.some((c) => c.code === '44260-8') && /diary/.test(o.code.text));
  // Five days' records answered 0; the replaced entry answered 1 and is kept.
  assert.equal(item9.length, 6);
  const positive = item9.filter((o) => o.interpretation[0].coding[0].code === 'A');
  assert.equal(positive.length, 1);
  assert.match(positive[0].note[0].text, /A later entry of the same day replaced this one/);

  const weight = obs.filter((o) => o.code.coding?.some((c) => c.system === 'http://loinc.org' && c.code === '29463-7'));
  assert.equal(weight.length, 1);
  assert.deepEqual(weight[0].valueQuantity, { value: 81.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' });
  const bp = obs.find((o) => o.code.coding?.some((c) => c.code === '85354-9'));
  assert.ok(bp, 'the blood pressure panel');
  assert.deepEqual(bp.component.map((c) => [c.code.coding[0].code, c.valueQuantity.value]), [['8480-6', 150], ['8462-4', 95]]);

  // The replaced entry's item 9 opened the safety task: a Flag while it is open.
  const flags = res.filter((x) => x.resourceType === 'Flag' && /Suicide-risk follow-up open/.test(x.code.text));
  assert.equal(flags.length, 1);
  assert.equal(flags[0].status, 'active');
  assert.deepEqual(flags[0].subject, { reference: `Patient/${patientId}` });

  // What the patient reported taking (informationSource: the patient); the
  // demo's medication from elsewhere is a statement of its own, by the
  // clinician who recorded it.
  const all = res.filter((x) => x.resourceType === 'MedicationStatement');
  const statements = all.filter((x) => x.informationSource?.reference === `Patient/${patientId}`);
  assert.equal(statements.length, 2);
  const elsewhere = all.filter((x) => x.informationSource?.reference?.startsWith('Practitioner/'));
  assert.deepEqual(elsewhere.map((x) => x.medicationCodeableConcept.text), ['sumatriptan']);
  const busp = statements.find((s) => /buspirone/i.test(s.medicationCodeableConcept.text));
  assert.equal(busp.status, 'active');
  assert.deepEqual(busp.informationSource, { reference: `Patient/${patientId}` });
  assert.equal(busp.derivedFrom.length, 5);
  assert.deepEqual(busp.basedOn.map((b) => b.reference).sort(),
    requests.filter((m) => /buspirone/i.test(m.medicationCodeableConcept.text)).map((m) => `MedicationRequest/${m.id}`).sort(),
    'both orders of the line (5 mg, then 10 mg)');
  assert.match(busp.note[0].text, /7 of \d+ doses due taken \(\d+%\) on 5 of \d+ days logged\. Missed: forgot 1, side-effect 2\./);
  const sert = statements.find((s) => /sertraline/i.test(s.medicationCodeableConcept.text));
  assert.equal(sert.note[0].text, 'Reported adherence, from the check-in (14 days): 12 of 14 doses taken (86%).');
  assert.equal(sert.derivedFrom, undefined);
});

test('the export is for clinicians who may read the patient: the front desk 403, a stranger 404', async () => {
  const desk = addStaff('front.desk', 'Front Desk', 'scheduler');
  const deskSession = await server.login(desk.username, desk.password);
  const d = await api(`/api/patients/${patientId}/fhir`, { session: deskSession });
  assert.equal(d.status, 403, d.text);
  const other = addStaff('dr.other', 'Dr Other', 'psychiatrist');
  const otherSession = await server.login(other.username, other.password);
  const o = await api(`/api/patients/${patientId}/fhir`, { session: otherSession });
  assert.equal(o.status, 404, o.text);
  assert.equal(o.json.error.message, 'This patient is not among your patients.');
  const none = await api('/api/patients/no-such-patient/fhir');
  assert.equal(none.status, 404);
  // The export was audited (who, which patient), without the patient's data.
  const audit = admin('audit');
  assert.equal(audit.status, 0, audit.stderr);
  const line = audit.stdout.split('\n').find((l) => l.includes('patient.export-fhir'));
  assert.ok(line, 'an audit event for the export');
  assert.ok(line.includes(patientId));
  assert.ok(!/Sam|Rivera|dizziness/.test(line), 'no patient data in the audit log');
});
