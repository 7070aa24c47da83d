// Issue 15, items 5 and 6, through a real server, a real sqlite file and the
// test clock: lamotrigine's escalation refused past its step ("titration-step",
// nothing written), the week-3 step accepted, a restart after more than 5
// days off (the diary's missed doses, a stop) refused above the first step; the pregnancy potential recorded
// on the patient (GET/POST /api/patients/:patient/reproductive, bad input
// refused in the clinician's words with nothing written); valproate refused
// without the pregnancy prevention documented and when pregnant, accepted
// once documented, with the warning to halve lamotrigine kept on the order;
// lithium's pregnancy warning kept on its order; the newest record in the
// patient's FHIR export (sex assigned at birth, pregnancy status,
// contraception and counselling as Observations) in a bundle that validates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson } from '../e2e/lib.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const NULL_FLAVOR = 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor';
const GENDER = 'http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender';

// The clinic runs on UTC here. Lamotrigine is started on Tuesday 3 Nov
// 2026; 17 Nov is day 14 (week 3); it is stopped on 18 Nov and asked for
// again on 24 Nov (6 days later).
const STARTED = '2026-11-03T15:00:00Z';
const WEEK3 = '2026-11-17T15:00:00Z';
const STOPPED = '2026-11-18T15:00:00Z';
const LATER = '2026-11-24T15:00:00Z';

let dataDir;
let server;
let session;
let visitId;
let patientId;

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const adjust = (body) => api(`/api/visits/${visitId}/adjustments`, { method: 'POST', body: { supply_days: 14, ...body } });
const current = async () => (await api(`/api/visits/${visitId}/record`)).json.current_medications;
const reproductive = (body) => api(`/api/patients/${patientId}/reproductive`, { method: 'POST', body });

async function restartAt(now) {
  await server.stop();
  server = await startServer({ now, dataDir });
  session = await server.login();
}

// The patient's FHIR export: it validates with zero errors; its
// pregnancy-potential Observations (by id prefix) and a resolver.
async function exportFhir() {
  const r = await api(`/api/patients/${patientId}/fhir`);
  assert.equal(r.status, 200, r.text);
  const result = new Fhir().validate(r.json);
  const errors = result.messages.filter((m) => m.severity === 'error');
  assert.equal(errors.length, 0, JSON.stringify(errors, null, 2));
  assert.equal(result.valid, true);
  // Ours draw no warning either, beyond the validator's missing LOINC value set.
  const ours = result.messages.filter((m) => String(m.resourceId).startsWith('reproductive-') &&
    !/not found in value set|Value set ".*" could not be found/.test(m.message));
  assert.deepEqual(ours, []);
  const all = r.json.entry.map((e) => e.resource);
  const byRef = new Map(all.map((x) => [`${x.resourceType}/${x.id}`, x]));
  const repro = all.filter((x) => x.resourceType === 'Observation' && x.id.startsWith('reproductive-'));
  return { all, byRef, repro };
}

const withLoinc = (obs, code) => obs.filter((o) => o.code.coding?.some((c) => c.system === LOINC && c.code === code));

function refused(res, rule) {
  assert.equal(res.status, 403, res.text);
  assert.equal(res.json.error.code, 'prescribing-rule');
  assert.equal(res.json.error.rule, rule);
  assert.equal(res.json.error.override_allowed, false);
  const finding = res.json.error.findings.find((f) => f.rule === rule);
  assert.ok(finding, `a ${rule} finding`);
  assert.equal(finding.severity, 'refuse');
  assert.ok(finding.source.length > 0, 'the rule names its source');
  return finding;
}

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-rx-titration-'));
  server = await startServer({ now: STARTED, dataDir });
  session = await server.login();
  visitId = server.demo.visit_id;
  const visit = await api(`/api/visits/${visitId}`);
  assert.equal(visit.status, 200, visit.text);
  patientId = visit.json.patient.id;
});

after(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('lamotrigine: a start above the first step is refused with the schedule, nothing written', async () => {
  const res = await adjust({ kind: 'start', medication: 'lamotrigine', dose: 100, frequency: 'once-daily', reason: 'Bipolar II depression' });
  const f = refused(res, 'titration-step');
  assert.match(f.message, /^Lamotrigine: weeks 1–2 25 mg a day, weeks 3–4 50 mg a day, week 5 100 mg a day, week 6 200 mg a day \(target\)\. This is a new start: at most 25 mg a day now; this order comes to 100 mg a day\./);
  assert.match(f.source, /Lamictal prescribing information .*2\.3/);
  assert.match(res.json.error.message, /at most 25 mg a day now/);
  assert.equal((await current()).some((o) => o.medication.id === 'lamotrigine'), false, 'nothing was written');

  const ok = await adjust({ kind: 'start', medication: 'lamotrigine', dose: 25, frequency: 'once-daily', reason: 'Bipolar II depression' });
  assert.equal(ok.status, 201, ok.text);
});

test('lamotrigine: in week 3 the step to 50 mg passes; a jump to 100 mg is refused', async () => {
  await restartAt(WEEK3);
  const lam = (await current()).find((o) => o.medication.id === 'lamotrigine');
  assert.ok(lam);
  const jump = await adjust({ kind: 'change-dose', order_id: lam.id, dose: 100, frequency: 'once-daily', reason: 'Titration' });
  const f = refused(jump, 'titration-step');
  assert.match(f.message, /This patient started on 3 Nov 2026 \(week 3\), now on 25 mg a day: at most 50 mg a day now; this order comes to 100 mg a day/);
  assert.equal((await current()).find((o) => o.medication.id === 'lamotrigine').dose, 25, 'nothing was written');

  // The patient's diary: the last dose on 10 Nov, then a dose missed each
  // day to the 16th — 6 days without it: back to the first step.
  const link = await api(`/api/patients/${patientId}/diary-link`, { method: 'POST' });
  assert.equal(link.status, 201, link.text);
  const token = new URLSearchParams(new URL(link.json.url).hash.slice(1)).get('d');
  const entry = async (day, taken) => {
    const res = await fetchJson(`${server.baseUrl}/api/diary/entries`, { token, method: 'POST',
      body: { day, doses: [{ order_id: lam.id, taken, missed: 1 - taken, ...(taken ? {} : { reason: 'forgot' }) }], side_effects: [] } });
    assert.equal(res.status, 201, res.text);
  };
  await entry('2026-11-10', 1);
  for (const d of ['11', '12', '13', '14', '15', '16']) await entry(`2026-11-${d}`, 0);
  const missed = await adjust({ kind: 'change-dose', order_id: lam.id, dose: 50, frequency: 'once-daily', reason: 'Titration, week 3' });
  assert.match(refused(missed, 'titration-step').message,
    /The patient's diary shows no dose taken after 10 Nov 2026 until 16 Nov 2026 \(6 days without it\): after more than 5 days without it, titration starts again from the first step: at most 25 mg a day now/);
  // The patient corrects the 16th: taken. The step goes ahead.
  await entry('2026-11-16', 1);
  const step = await adjust({ kind: 'change-dose', order_id: lam.id, dose: 50, frequency: 'once-daily', reason: 'Titration, week 3' });
  assert.equal(step.status, 201, step.text);
});

test('the pregnancy potential: bad input is refused in words, nothing written; a good record is kept with its history', async () => {
  const empty = await api(`/api/patients/${patientId}/reproductive`);
  assert.equal(empty.status, 200, empty.text);
  assert.equal(empty.json.current, null);
  assert.deepEqual(empty.json.history, []);
  const none = await exportFhir();
  assert.deepEqual(none.repro, [], 'nothing recorded: no pregnancy-potential Observations');
  assert.deepEqual(withLoinc(none.all.filter((x) => x.resourceType === 'Observation'), '82810-3'), []);

  const base = { sex_at_birth: 'female', pregnancy: 'not-pregnant', pregnancy_checked: '2026-11-17', breastfeeding: 'no' };
  const bad = [
    [{ ...base, pregnancy_checked: '2026-11-18' }, 422, /pregnancy status was checked is in the future/],
    [{ ...base, sex_at_birth: 'male', contraception: { method: 'copper IUD', highly_effective: true } }, 422, /Sex assigned at birth is male/],
    [{ ...base, pregnancy_checked: undefined }, 422, /Give the date the pregnancy status was checked/],
    [{ ...base, valproate_counselling: { date: '2026-12-01', by: 'Dr. Ana Ruiz' } }, 422, /counselling date is in the future/],
    [{ ...base, sex_at_birth: 'F' }, 400, /female, male, intersex or unknown/],
    [{ ...base, pregnancy_checked: '17/11/2026' }, 400, /YYYY-MM-DD/],
    [{ ...base, contraception: { method: 'pill' } }, 400, /highly_effective/],
    [{ ...base, gender: 'female' }, 400, /nothing else/],
  ];
  for (const [body, status, words] of bad) {
    const res = await reproductive(body);
    assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
    assert.match(res.json.error.message, words);
    assert.match(res.json.error.message, /Nothing was saved/);
  }
  assert.deepEqual((await api(`/api/patients/${patientId}/reproductive`)).json.history, [], 'nothing written');

  // A patient the clinician has never seen: no record to read or write.
  const other = await api('/api/patients', { method: 'POST', body: { name: 'Noor Haddad', birth_date: '1990-04-02', mrn: 'MRN-RX-1' } });
  assert.equal(other.status, 201, other.text);
  assert.equal((await api(`/api/patients/${other.json.patient.id}/reproductive`, { method: 'POST', body: base })).status, 404);

  const saved = await reproductive({ ...base, contraception: { method: 'combined oral contraceptive', highly_effective: false } });
  assert.equal(saved.status, 201, saved.text);
  assert.equal(saved.json.current.sex_at_birth, 'female');
  assert.equal(saved.json.current.can_become_pregnant, true);
  assert.deepEqual(saved.json.current.contraception, { method: 'combined oral contraceptive', highly_effective: false });
  assert.equal(saved.json.current.valproate_counselling, null);
  assert.equal(saved.json.history.length, 1);
});

test('valproate: refused without counselling and highly effective contraception, accepted once documented, refused in pregnancy', async () => {
  const order = { kind: 'start', medication: 'divalproex-dr', dose: 250, frequency: 'twice-daily', reason: 'Bipolar I disorder, mania prophylaxis' };
  let res = await adjust(order);
  let f = refused(res, 'valproate-pregnancy-prevention');
  assert.match(f.message, /the valproate risk counselling of the pregnancy prevention programme \(its date and who gave it; within the last 365 days\) and a highly effective contraception method \(the method on record, combined oral contraceptive, is not marked highly effective\)/);
  assert.match(f.source, /Depakote.*Boxed Warning/);
  assert.equal((await current()).some((o) => o.medication.id === 'divalproex-dr'), false, 'nothing was written');

  const documented = await reproductive({
    sex_at_birth: 'female', pregnancy: 'not-pregnant', pregnancy_checked: '2026-11-17', breastfeeding: 'no',
    contraception: { method: 'levonorgestrel IUD', highly_effective: true },
    valproate_counselling: { date: '2026-11-17', by: 'Dr. Ana Ruiz, psychiatrist' },
  });
  assert.equal(documented.status, 201, documented.text);
  assert.equal(documented.json.history.length, 2, 'the older record is kept');
  res = await adjust(order);
  assert.equal(res.status, 201, res.text);
  // Valproate beside lamotrigine: the label's warning, kept on the order.
  const warn = res.json.order.checks.find((c) => c.rule === 'titration-interacting-start');
  assert.ok(warn, JSON.stringify(res.json.order.checks));
  assert.equal(warn.severity, 'warn');
  assert.match(warn.message, /Lamotrigine 50 mg once daily is taken with divalproex sodium: valproate more than doubles lamotrigine's half-life/);

  // Pregnant now: a dose change of valproate is refused.
  const preg = await reproductive({
    sex_at_birth: 'female', pregnancy: 'pregnant', pregnancy_checked: '2026-11-17', breastfeeding: 'no',
    valproate_counselling: { date: '2026-11-17', by: 'Dr. Ana Ruiz, psychiatrist' },
  });
  assert.equal(preg.status, 201, preg.text);
  res = await adjust({ kind: 'change-dose', order_id: res.json.order.id, dose: 500, frequency: 'twice-daily', reason: 'Breakthrough mania' });
  f = refused(res, 'valproate-pregnancy');
  assert.match(f.message, /recorded as pregnant \(checked 17 Nov 2026\)/);
  assert.equal((await current()).find((o) => o.medication.id === 'divalproex-dr').dose, 250, 'nothing was written');
});

test('lithium in pregnancy and breastfeeding: warnings kept on the order', async () => {
  const nursing = await reproductive({ sex_at_birth: 'female', pregnancy: 'pregnant', pregnancy_checked: '2026-11-17', breastfeeding: 'yes' });
  assert.equal(nursing.status, 201, nursing.text);
  const res = await adjust({ kind: 'start', medication: 'lithium-carbonate-er', dose: 300, frequency: 'twice-daily', reason: 'Bipolar I disorder' });
  assert.equal(res.status, 201, res.text);
  const rules = res.json.order.checks.map((c) => `${c.rule}:${c.severity}`).sort();
  assert.deepEqual(rules, ['lactation-risk:warn', 'pregnancy-risk:warn']);
  assert.match(res.json.order.checks.find((c) => c.rule === 'pregnancy-risk').message, /Ebstein's anomaly/);
});

test('lamotrigine stopped for 6 days: only the first step again', async () => {
  await restartAt(STOPPED);
  const lam = (await current()).find((o) => o.medication.id === 'lamotrigine');
  const stop = await adjust({ kind: 'stop', order_id: lam.id, reason: 'Patient paused it while travelling', supply_days: undefined });
  assert.equal(stop.status, 201, stop.text);
  await restartAt(LATER);
  const res = await adjust({ kind: 'start', medication: 'lamotrigine', dose: 50, frequency: 'once-daily', reason: 'Restart' });
  const f = refused(res, 'titration-step');
  assert.match(f.message, /It was stopped on 18 Nov 2026, 6 days ago: after more than 5 days without it, titration starts again from the first step: at most 25 mg every other day now/);
  assert.match(f.message, /^Lamotrigine with valproate:/, 'valproate is still taken: the halved schedule');
  assert.match(f.source, /5 half-lives/);
  const ok = await adjust({ kind: 'start', medication: 'lamotrigine', dose: 25, frequency: 'every-other-day', reason: 'Restart at the first step' });
  assert.equal(ok.status, 201, ok.text);
});

test('the FHIR export carries the newest pregnancy-potential record as Observations that resolve in the bundle', async () => {
  // Recorded now (24 Nov in UTC; the clinic's own day, in whatever zone the
  // suite runs); the status checked on the 20th.
  const saved = await reproductive({
    sex_at_birth: 'female', pregnancy: 'not-pregnant', pregnancy_checked: '2026-11-20', breastfeeding: 'yes',
    contraception: { method: 'levonorgestrel IUD', highly_effective: true },
    valproate_counselling: { date: '2026-11-17', by: 'Dr. Ana Ruiz, psychiatrist' },
  });
  assert.equal(saved.status, 201, saved.text);
  assert.ok(saved.json.history.length > 1, 'older records exist; only the newest is exported');
  const recorder = saved.json.current.recorded_by;
  const recordedDay = server.today();

  let { repro, byRef } = await exportFhir();
  for (const o of repro) {
    assert.equal(o.status, 'final');
    assert.deepEqual(o.category[0].coding[0], { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'social-history', display: 'Social History' });
    assert.equal(o.subject.reference, `Patient/${patientId}`);
    assert.ok(byRef.has(o.subject.reference), 'the Patient is in the bundle');
    assert.equal(o.performer.length, 1);
    assert.equal(o.performer[0].reference, `Practitioner/${recorder.id}`);
    const who = byRef.get(o.performer[0].reference);
    assert.ok(who, 'the recorder is a Practitioner in the bundle');
    assert.equal(who.name[0].text, recorder.display_name);
    assert.equal(o.issued, saved.json.current.recorded_at, 'issued: when it was recorded');
  }
  const sex = withLoinc(repro, '76689-9');
  assert.equal(sex.length, 1, 'one sex-at-birth Observation: the newest record only');
  assert.equal(sex[0].code.coding[0].display, 'Sex assigned at birth');
  assert.deepEqual(sex[0].valueCodeableConcept, { coding: [{ system: GENDER, code: 'F', display: 'Female' }], text: 'Female' });
  assert.equal(sex[0].effectiveDateTime, recordedDay);
  const preg = withLoinc(repro, '82810-3');
  assert.equal(preg.length, 1);
  assert.deepEqual(preg[0].valueCodeableConcept, { coding: [{ system: SNOMED, code: '60001007', display: 'Not pregnant' }], text: 'Not pregnant' });
  assert.equal(preg[0].effectiveDateTime, '2026-11-20', 'the day it was checked');
  // Breastfeeding status: LOINC 63895-7, answered with LOINC's answer code.
  const nursing = withLoinc(repro, '63895-7');
  assert.equal(nursing.length, 1);
  assert.equal(nursing[0].code.coding[0].display, 'Breastfeeding status');
  assert.deepEqual(nursing[0].valueCodeableConcept, { coding: [{ system: 'http://loinc.org', code: 'LA29252-6', display: 'Currently breastfeeding' }], text: 'Breastfeeding' });
  assert.equal(nursing[0].effectiveDateTime, recordedDay);
  const textOnly = repro.filter((o) => !o.code.coding);
  assert.equal(textOnly.length, 2, 'contraception and counselling, text only');
  const contra = textOnly.find((o) => /^Contraception method/.test(o.code.text));
  assert.match(contra.code.text, /text only: no standard code/);
  assert.equal(contra.valueString, 'levonorgestrel IUD');
  assert.equal(contra.component[0].valueBoolean, true);
  assert.match(contra.component[0].code.text, /Highly effective/);
  assert.equal(contra.effectiveDateTime, recordedDay);
  const counsel = textOnly.find((o) => /^Valproate pregnancy prevention/.test(o.code.text));
  assert.match(counsel.code.text, /text only: no standard code/);
  assert.equal(counsel.effectiveDateTime, '2026-11-17', 'the day of the counselling');
  assert.equal(counsel.valueString, 'Given by Dr. Ana Ruiz, psychiatrist');
  assert.equal(repro.length, 5);

  // Intersex, pregnancy status unknown: OTH (a value the set lacks) and UNK,
  // effective the day recorded; no contraception or counselling recorded.
  const intersex = await reproductive({ sex_at_birth: 'intersex', pregnancy: 'unknown', breastfeeding: 'unknown' });
  assert.equal(intersex.status, 201, intersex.text);
  ({ repro } = await exportFhir());
  assert.deepEqual(withLoinc(repro, '76689-9')[0].valueCodeableConcept, { coding: [{ system: NULL_FLAVOR, code: 'OTH', display: 'other' }], text: 'Intersex' });
  const unknown = withLoinc(repro, '82810-3')[0];
  assert.deepEqual(unknown.valueCodeableConcept, { coding: [{ system: NULL_FLAVOR, code: 'UNK', display: 'unknown' }], text: 'Unknown' });
  assert.equal(unknown.effectiveDateTime, server.today());
  assert.deepEqual(withLoinc(repro, '63895-7')[0].valueCodeableConcept, { coding: [{ system: NULL_FLAVOR, code: 'UNK', display: 'unknown' }], text: 'Unknown' });
  assert.equal(repro.length, 3);

  // Pregnant: 77386006, effective the day it was checked.
  const pregnant = await reproductive({ sex_at_birth: 'female', pregnancy: 'pregnant', pregnancy_checked: '2026-11-21', breastfeeding: 'no' });
  assert.equal(pregnant.status, 201, pregnant.text);
  ({ repro } = await exportFhir());
  const nowPregnant = withLoinc(repro, '82810-3');
  assert.equal(nowPregnant.length, 1);
  assert.deepEqual(nowPregnant[0].valueCodeableConcept, { coding: [{ system: SNOMED, code: '77386006', display: 'Pregnant' }], text: 'Pregnant' });
  assert.equal(nowPregnant[0].effectiveDateTime, '2026-11-21');
  assert.equal(withLoinc(repro, '63895-7')[0].valueCodeableConcept.coding[0].code, 'LA29253-4', 'not breastfeeding');

  // Male at birth: the record asks no pregnancy or breastfeeding status of
  // him; neither is exported.
  const male = await reproductive({ sex_at_birth: 'male', pregnancy: 'unknown', breastfeeding: 'no' });
  assert.equal(male.status, 201, male.text);
  ({ repro } = await exportFhir());
  assert.equal(repro.length, 1);
  assert.deepEqual(withLoinc(repro, '76689-9')[0].valueCodeableConcept.coding[0], { system: GENDER, code: 'M', display: 'Male' });
});
