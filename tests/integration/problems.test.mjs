// Diagnoses and allergies (issue 15, items 1 and 3) over a real telehealthd
// and its store on a fixed clock in America/New_York: the clinic's
// ICD-10-CM list; an unknown code and an allergy without a substance are
// refused in words with nothing written; an order for the allergen, or for
// a drug of an allergic class, is refused (403) naming the rule, the
// reaction and its date, and nothing is written; an intolerance warns and
// the warning is kept with the order; lamotrigine after a recorded rash is
// refused even once the rash is marked resolved, and allowed once it is
// entered in error; an order names the diagnosis it treats (an active one
// of this patient's only); the patient's and the visit's FHIR exports carry
// Condition, AllergyIntolerance, MedicationRequest.reasonReference and
// Encounter.diagnosis, valid for the outside validator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, dbValue } from '../e2e/lib.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

const ZONE = 'America/New_York';
const NOW = '2026-10-14T10:00:00'; // a Wednesday, EDT
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

let server;
let session;
let dataDir;
let patientId;
let visitId;

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });


// Rows of this test's patient only: the demo patient the server starts with
// has diagnoses and an intolerance of its own.
const OWNER = {
  patient_conditions: () => `patient_id = '${patientId}'`,
  patient_allergies: () => `patient_id = '${patientId}'`,
  condition_events: () => `condition_id IN (SELECT id FROM patient_conditions WHERE patient_id = '${patientId}')`,
  allergy_events: () => `allergy_id IN (SELECT id FROM patient_allergies WHERE patient_id = '${patientId}')`,
};
// Rows in the store, read beside the server.
const count = (table) => dbValue(dataDir, `SELECT count(*) AS n FROM ${table}${OWNER[table] ? ` WHERE ${OWNER[table]()}` : ''}`);
const addCondition = (body) => api(`/api/patients/${patientId}/conditions`, { method: 'POST', body });
const addAllergy = (body) => api(`/api/patients/${patientId}/allergies`, { method: 'POST', body });
const order = (body) => api(`/api/visits/${visitId}/adjustments`, { method: 'POST', body: { kind: 'start', route: 'oral', supply_days: 30, refills: 0, ...body } });

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-problems-'));
  server = await startServer({ now: NOW, timeZone: ZONE, dataDir });
  session = await server.login();
  const v = await api('/api/visits', { method: 'POST', body: { patient_name: 'Ada Allergy', scheduled_at: '2026-10-14T10:30:00-04:00' } });
  assert.equal(v.status, 201, v.text);
  visitId = v.json.visit_id;
  patientId = (await api(`/api/visits/${visitId}`)).json.patient.id;
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

let depression; // F33.1, recorded in the visit
let insomnia; // G47.00, resolved later

test('the clinic\'s list of diagnoses is ICD-10-CM with its source named', async () => {
  const r = await api(`/api/patients/${patientId}/conditions`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.conditions, []);
  assert.match(r.json.source, /ICD-10-CM FY2026/);
  const byCode = new Map(r.json.choices.map((c) => [c.code, c]));
  assert.equal(byCode.get('F33.1').display, 'Major depressive disorder, recurrent, moderate');
  assert.equal(byCode.get('F31.81').display, 'Bipolar II disorder');
  assert.equal(byCode.get('F41.1').display, 'Generalized anxiety disorder');
  assert.equal(byCode.get('F32.A').display, 'Depression, unspecified');
  assert.equal(byCode.get('F33.1').group, 'Major depressive disorder, recurrent');
  for (const code of ['F32.0', 'F33.42', 'F41.0', 'F90.2', 'F51.01', 'F43.12', 'F42.2', 'F20.9', 'F25.0', 'F29']) {
    assert.ok(byCode.has(code), code);
  }
});

test('an unknown ICD-10 code is refused in words, nothing written', async () => {
  const r = await addCondition({ code: 'F99.9', onset: '2026-09-01' });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.message, 'F99.9 is not in the clinic\'s list of diagnoses: choose one from the list. Nothing was saved.');
  const none = await addCondition({ onset: '2026-09-01' });
  assert.equal(none.status, 400, none.text);
  assert.match(none.json.error.message, /^A diagnosis needs its ICD-10-CM code/);
  const future = await addCondition({ code: 'F33.1', onset: '2026-10-15' });
  assert.equal(future.status, 422, future.text);
  assert.equal(future.json.error.message, 'The onset cannot be after today. Nothing was saved.');
  assert.equal(count('patient_conditions'), 0);
  assert.equal(count('condition_events'), 0);
});

test('a diagnosis of the list is recorded with its onset, status and who recorded it', async () => {
  const r = await addCondition({ code: 'F33.1', onset: '2026-09-01', visit_id: visitId });
  assert.equal(r.status, 201, r.text);
  depression = r.json.condition;
  assert.equal(depression.code, 'F33.1');
  assert.equal(depression.display, 'Major depressive disorder, recurrent, moderate');
  assert.equal(depression.onset, '2026-09-01');
  assert.equal(depression.clinical_status, 'active');
  assert.equal(depression.verification_status, 'confirmed');
  assert.equal(depression.active, true);
  assert.equal(depression.visit_id, visitId);
  assert.equal(depression.recorded_by.id, session.staff.id);
  const i = await addCondition({ code: 'G47.00' });
  assert.equal(i.status, 201, i.text);
  insomnia = i.json.condition;
  assert.equal(i.json.conditions.length, 2);
  // A change of status is an event; the latest counts.
  const s = await api(`/api/patients/${patientId}/conditions/${insomnia.id}/status`, { method: 'POST', body: { clinical_status: 'resolved', reason: 'Sleeping well for 3 months' } });
  assert.equal(s.status, 200, s.text);
  assert.equal(s.json.condition.clinical_status, 'resolved');
  assert.equal(s.json.condition.active, false);
  assert.equal(s.json.condition.status_reason, 'Sleeping well for 3 months');
  assert.equal(count('condition_events'), 3);
  const bad = await api(`/api/patients/${patientId}/conditions/${insomnia.id}/status`, { method: 'POST', body: { clinical_status: 'cured' } });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(count('condition_events'), 3);
});

test('an allergy without a substance is refused in words, nothing written', async () => {
  for (const body of [{ type: 'allergy', manifestation: 'rash' }, { substance: '   ', type: 'allergy' }]) {
    const r = await addAllergy(body);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.message, 'An allergy needs its substance: a medicine from the clinic\'s list, a class of medicines, or the name of something else (up to 200 characters). Nothing was saved.');
  }
  const badReaction = await addAllergy({ substance: 'sertraline', manifestation: 'sneezing' });
  assert.equal(badReaction.status, 400, badReaction.text);
  assert.match(badReaction.json.error.message, /rash, Stevens-Johnson syndrome \/ TEN, anaphylaxis, angioedema, hives, or other/);
  assert.equal(count('patient_allergies'), 0);
  assert.equal(count('allergy_events'), 0);
});

test('an order for the allergen is refused (403) naming the rule, the reaction and its date; nothing written', async () => {
  const a = await addAllergy({ substance: 'Sertraline', type: 'allergy', manifestation: 'hives', reaction: 'welts on both arms', severity: 'moderate', criticality: 'high', onset: '2024-03-03' });
  assert.equal(a.status, 201, a.text);
  assert.deepEqual(a.json.allergy.substance, { kind: 'ingredient', name: 'sertraline' });
  assert.equal(a.json.allergy.status, 'active');
  const orders = count('medication_orders');
  const r = await order({ medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'Depressive symptoms' });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.code, 'prescribing-rule');
  assert.equal(r.json.error.rule, 'allergy');
  assert.equal(r.json.error.override_allowed, false);
  const f = r.json.error.findings.find((x) => x.rule === 'allergy');
  assert.equal(f.severity, 'refuse');
  assert.match(f.message, /recorded allergy to sertraline \(hives \(welts on both arms\), noted 3 Mar 2024\)/);
  assert.match(f.source, /Contraindications/);
  assert.equal(count('medication_orders'), orders);
});

test('an allergy to a class refuses every drug of it', async () => {
  const a = await addAllergy({ substance: 'snri', type: 'allergy', manifestation: 'angioedema', onset: '2025-06-20' });
  assert.equal(a.status, 201, a.text);
  assert.deepEqual(a.json.allergy.substance, { kind: 'class', name: 'SNRI' });
  const orders = count('medication_orders');
  const r = await order({ medication: 'duloxetine', dose: 30, frequency: 'once-daily', reason: 'Depression with pain' });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.rule, 'class-allergy');
  assert.match(r.json.error.message, /SNRI class \(angioedema, noted 20 Jun 2025\)/);
  assert.equal(count('medication_orders'), orders);
});

test('an intolerance warns, and the warning is kept with the order', async () => {
  const a = await addAllergy({ substance: 'buspirone', type: 'intolerance', manifestation: 'other', reaction: 'dizziness' });
  assert.equal(a.status, 201, a.text);
  const r = await order({ medication: 'buspirone', dose: 5, frequency: 'twice-daily', reason: 'Anxiety' });
  assert.equal(r.status, 201, r.text);
  const c = r.json.order.checks.find((x) => x.rule === 'intolerance');
  assert.ok(c, JSON.stringify(r.json.order.checks));
  assert.equal(c.severity, 'warn');
  assert.match(c.message, /intolerance to buspirone \(another reaction \(dizziness\), noted 14 Oct 2026\)/);
  assert.equal(r.json.order.condition_id, null);
});

test('lamotrigine after a recorded rash is refused, even resolved; entered in error lifts it', async () => {
  const a = await addAllergy({ substance: 'lamotrigine', type: 'allergy', manifestation: 'rash', reaction: 'maculopapular rash on the trunk', onset: '2025-01-10' });
  assert.equal(a.status, 201, a.text);
  const id = a.json.allergy.id;
  const resolved = await api(`/api/patients/${patientId}/allergies/${id}/status`, { method: 'POST', body: { status: 'resolved' } });
  assert.equal(resolved.status, 200, resolved.text);
  assert.equal(resolved.json.allergy.status, 'resolved');
  const orders = count('medication_orders');
  const lamotrigine = { medication: 'lamotrigine', dose: 25, frequency: 'once-daily', reason: 'Bipolar depression' };
  const r = await order(lamotrigine);
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.rule, 'lamotrigine-rechallenge');
  assert.match(r.json.error.message, /rash was recorded with lamotrigine \(allergy, a rash \(maculopapular rash on the trunk\), noted 10 Jan 2025\)/);
  assert.match(r.json.error.findings[0].source, /Lamictal.*Boxed Warning/);
  assert.equal(count('medication_orders'), orders);
  // Entered in error needs a reason; then the rash never counted.
  const noReason = await api(`/api/patients/${patientId}/allergies/${id}/status`, { method: 'POST', body: { status: 'entered-in-error' } });
  assert.equal(noReason.status, 400, noReason.text);
  const eie = await api(`/api/patients/${patientId}/allergies/${id}/status`, { method: 'POST', body: { status: 'entered-in-error', reason: 'The rash was contact dermatitis from a new detergent' } });
  assert.equal(eie.status, 200, eie.text);
  const ok = await order(lamotrigine);
  assert.equal(ok.status, 201, ok.text);
  assert.ok(!ok.json.order.checks.some((x) => /allergy|rechallenge/.test(x.rule)));
});

let linked;

test('an order names the diagnosis it treats: an active one of this patient\'s', async () => {
  const orders = count('medication_orders');
  const body = { medication: 'escitalopram', dose: 10, frequency: 'once-daily', reason: 'Recurrent depression' };
  const resolved = await order({ ...body, condition_id: insomnia.id });
  assert.equal(resolved.status, 422, resolved.text);
  assert.equal(resolved.json.error.message, 'G47.00 Insomnia, unspecified is resolved on the patient\'s record, so an order cannot treat it: choose an active diagnosis, or mark this one active again first. Nothing was saved.');
  const unknown = await order({ ...body, condition_id: '00000000-0000-0000-0000-000000000000' });
  assert.equal(unknown.status, 422, unknown.text);
  assert.match(unknown.json.error.message, /not one of this patient's/);
  assert.equal(count('medication_orders'), orders);
  const r = await order({ ...body, condition_id: depression.id });
  assert.equal(r.status, 201, r.text);
  linked = r.json.order;
  assert.equal(linked.condition_id, depression.id);
  assert.equal(dbValue(dataDir, 'SELECT condition_id FROM medication_orders WHERE id = $1', [linked.id]), depression.id);
});

function validate(bundle) {
  const result = new Fhir().validate(bundle);
  const errors = result.messages.filter((m) => m.severity === 'error');
  const other = result.messages.filter((m) => m.severity !== 'error' && !/not found in value set|Value set ".*" could not be found/.test(m.message));
  assert.equal(errors.length, 0, JSON.stringify(errors, null, 2));
  assert.deepEqual(other, []);
  assert.equal(result.valid, true);
}

function checkProblems(bundle) {
  const all = bundle.entry.map((e) => e.resource);
  const refs = new Set(all.map((x) => `${x.resourceType}/${x.id}`));
  const cond = all.find((x) => x.resourceType === 'Condition' && x.id === depression.id);
  assert.ok(cond, 'the diagnosis is a Condition');
  assert.deepEqual(cond.code.coding[0], { system: ICD10CM, code: 'F33.1', display: 'Major depressive disorder, recurrent, moderate' });
  assert.equal(cond.clinicalStatus.coding[0].code, 'active');
  assert.equal(cond.verificationStatus.coding[0].code, 'confirmed');
  assert.equal(cond.category[0].coding[0].code, 'problem-list-item');
  assert.equal(cond.onsetDateTime, '2026-09-01');
  assert.equal(cond.subject.reference, `Patient/${patientId}`);
  assert.ok(refs.has(cond.recorder.reference));
  const resolvedCond = all.find((x) => x.resourceType === 'Condition' && x.id === insomnia.id);
  assert.equal(resolvedCond.clinicalStatus.coding[0].code, 'resolved');
  // AllergyIntolerance: RxNorm for a catalog ingredient, text for a class.
  const allergies = all.filter((x) => x.resourceType === 'AllergyIntolerance');
  assert.equal(allergies.length, 4);
  const sertraline = allergies.find((x) => x.code.text === 'sertraline');
  assert.deepEqual(sertraline.code.coding[0], { system: RXNORM, code: '36437', display: 'sertraline' });
  assert.equal(sertraline.type, 'allergy');
  assert.deepEqual(sertraline.category, ['medication']);
  assert.equal(sertraline.criticality, 'high');
  assert.equal(sertraline.clinicalStatus.coding[0].code, 'active');
  assert.equal(sertraline.reaction[0].manifestation[0].text, 'hives');
  assert.equal(sertraline.reaction[0].severity, 'moderate');
  assert.equal(sertraline.onsetDateTime, '2024-03-03');
  const snri = allergies.find((x) => x.code.text === 'SNRI (drug class)');
  assert.equal(snri.code.coding, undefined);
  const lam = allergies.find((x) => x.code.text === 'lamotrigine');
  assert.equal(lam.clinicalStatus, undefined, 'entered in error has no clinical status');
  assert.equal(lam.verificationStatus.coding[0].code, 'entered-in-error');
  assert.deepEqual(lam.reaction[0].manifestation[0].coding[0], { system: 'http://snomed.info/sct', code: '271807003', display: 'Eruption of skin' });
  // The order's indication, and the visit's diagnoses.
  const mr = all.find((x) => x.resourceType === 'MedicationRequest' && x.id === linked.id);
  assert.deepEqual(mr.reasonReference, [{ reference: `Condition/${depression.id}` }]);
  // ...and what it dispenses (item 7), in the same bundle that validates.
  assert.equal(mr.dispenseRequest.expectedSupplyDuration.value, 30);
  assert.equal(mr.dispenseRequest.expectedSupplyDuration.code, 'd');
  assert.equal(mr.dispenseRequest.numberOfRepeatsAllowed, 0);
  assert.ok(mr.dispenseRequest.quantity.value > 0);
  const enc = all.find((x) => x.resourceType === 'Encounter' && x.id === visitId);
  assert.deepEqual(enc.diagnosis.map((d) => d.condition.reference), [`Condition/${depression.id}`]);
  for (const r of [...mr.reasonReference, ...enc.diagnosis.map((d) => d.condition)]) {
    assert.ok(refs.has(r.reference), `${r.reference} is in the bundle`);
  }
}

test('the patient\'s FHIR export carries the diagnoses, allergies, indication and visit diagnoses', async () => {
  const r = await api(`/api/patients/${patientId}/fhir`);
  assert.equal(r.status, 200, r.text);
  validate(r.json);
  checkProblems(r.json);
});

test('the visit\'s FHIR bundle carries them too', async () => {
  const r = await api(`/api/visits/${visitId}/fhir`);
  assert.equal(r.status, 200, r.text);
  validate(r.json);
  checkProblems(r.json);
});
