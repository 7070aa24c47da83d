// The FHIR R4 export of a visit, checked by an outside validator (the npm
// package `fhir`) and by content. fhir_dump (TH_FHIR_DUMP) builds the visit
// in a temporary store: an earlier visit started fluoxetine 20 mg; in this
// one the patient's check-in has PHQ-9 = 11 with item 9 = 1 and GAD-7 = 8,
// and the psychiatrist starts sertraline 50 mg, changes it to 100 mg,
// switches fluoxetine to escitalopram 10 mg and starts alprazolam as needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { testClock } from '../e2e/lib.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

const DUMP = process.env.TH_FHIR_DUMP;
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC = 'http://loinc.org';
const BASE = 'https://telehealth.example';

function loadBundle() {
  assert.ok(DUMP, 'TH_FHIR_DUMP must name the fhir_dump program');
  // The store's clock is the suite's (TH_TEST_NOW), as for the servers.
  const clock = testClock();
  const env = { ...process.env };
  if (clock.nowMs !== null) env.TELEHEALTHD_TEST_NOW = new Date(clock.nowMs).toISOString();
  const out = execFileSync(DUMP, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env });
  return JSON.parse(out);
}

const bundle = DUMP ? loadBundle() : null;
const resources = () => bundle.entry.map((e) => e.resource);
const ofType = (type) => resources().filter((r) => r.resourceType === type);
const byRef = (ref) => resources().find((r) => `${r.resourceType}/${r.id}` === ref);
const codes = (concept) => (concept?.coding ?? []).map((c) => `${c.system}|${c.code}`);
const medicationName = (mr) => mr.medicationCodeableConcept.coding[0].display;

// Every {reference: "..."} anywhere under `value`, with where it was found.
function collectReferences(value, path, out) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectReferences(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    if (typeof value.reference === 'string') out.push({ path, reference: value.reference });
    for (const [k, v] of Object.entries(value)) collectReferences(v, `${path}.${k}`, out);
  }
  return out;
}

// The validator ships no LOINC or RxNorm content: it reports each such code
// as "not found in value set" (warning) and the value sets as missing (info).
// Those are expected; anything else (an unexpected property, a missing one,
// a wrong type) fails the test.
const TERMINOLOGY_ONLY = /not found in value set|Value set ".*" could not be found/;

test('the bundle is valid FHIR R4 for the outside validator', { skip: !DUMP }, (t) => {
  const result = new Fhir().validate(bundle);
  const errors = result.messages.filter((m) => m.severity === 'error');
  const other = result.messages.filter((m) => m.severity !== 'error' && !TERMINOLOGY_ONLY.test(m.message));
  if (!result.valid || errors.length > 0 || other.length > 0) {
    console.log('validator messages:\n' + JSON.stringify(result.messages, null, 2));
  }
  t.diagnostic(`validator: valid=${result.valid}, ${errors.length} errors, ` +
    `${result.messages.length - errors.length} terminology notices`);
  assert.equal(result.valid, true, 'the validator rejects the bundle');
  assert.equal(errors.length, 0, `${errors.length} validation errors`);
  assert.deepEqual(other, [], 'warnings other than terminology look-ups');
});

test('a collection bundle with absolute fullUrls', { skip: !DUMP }, () => {
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.type, 'collection');
  assert.match(bundle.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const seen = new Set();
  for (const e of bundle.entry) {
    assert.equal(e.fullUrl, `${BASE}/fhir/${e.resource.resourceType}/${e.resource.id}`);
    assert.match(e.resource.id, /^[A-Za-z0-9\-.]{1,64}$/);
    assert.ok(!seen.has(e.fullUrl), `duplicate entry ${e.fullUrl}`);
    seen.add(e.fullUrl);
  }
});

test('every reference resolves to an entry of the bundle', { skip: !DUMP }, () => {
  const refs = collectReferences(bundle.entry, 'entry', []);
  assert.ok(refs.length > 10, 'the resources refer to each other');
  for (const { path, reference } of refs) {
    assert.match(reference, /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/, `${path}: not Type/id`);
    assert.ok(byRef(reference), `${path}: ${reference} is not in the bundle`);
  }
});

test('Patient, Practitioner and a virtual Encounter with its period', { skip: !DUMP }, () => {
  const [patient] = ofType('Patient');
  assert.equal(ofType('Patient').length, 1);
  assert.equal(patient.name[0].text, 'Sam Rivera');
  assert.deepEqual(patient.identifier[0], { system: 'urn:telehealth:patient', value: patient.id });

  const [practitioner] = ofType('Practitioner');
  assert.equal(ofType('Practitioner').length, 1, 'one prescriber, the provider');
  assert.equal(practitioner.name[0].text, 'Dr. Ada Moreau');
  assert.equal(practitioner.qualification[0].code.text, 'psychiatrist');

  const [encounter] = ofType('Encounter');
  assert.equal(ofType('Encounter').length, 1);
  assert.equal(encounter.status, 'finished');
  assert.deepEqual(encounter.class,
    { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR', display: 'virtual' });
  assert.equal(encounter.subject.reference, `Patient/${patient.id}`);
  assert.equal(encounter.participant[0].individual.reference, `Practitioner/${practitioner.id}`);
  for (const t of [encounter.period.start, encounter.period.end]) {
    assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  }
  assert.ok(Date.parse(encounter.period.start) < Date.parse(encounter.period.end),
    'the period starts before it ends');
});

test('one survey Observation per scale total, with LOINC codes', { skip: !DUMP }, () => {
  const observations = ofType('Observation');
  assert.equal(observations.length, 2);
  const [encounter] = ofType('Encounter');
  const expected = { '44261-6': { total: 11, band: 'moderate' }, '70274-6': { total: 8, band: 'mild' } };
  for (const [loinc, want] of Object.entries(expected)) {
    const obs = observations.find((o) => codes(o.code).includes(`${LOINC}|${loinc}`));
    assert.ok(obs, `an Observation coded LOINC ${loinc}`);
    assert.equal(obs.status, 'final');
    assert.ok(obs.category.some((c) => codes(c).includes(
      'http://terminology.hl7.org/CodeSystem/observation-category|survey')));
    assert.equal(obs.valueInteger, want.total);
    assert.equal(obs.interpretation[0].text, want.band);
    assert.equal(obs.encounter.reference, `Encounter/${encounter.id}`);
    assert.match(obs.effectiveDateTime, /Z$/);

    // The total is the sum of the answers it was derived from.
    const qr = byRef(obs.derivedFrom[0].reference);
    assert.equal(qr.resourceType, 'QuestionnaireResponse');
    const sum = qr.item.reduce((s, item) => s + item.answer[0].valueInteger, 0);
    assert.equal(sum, want.total);
  }
  const phq9 = observations.find((o) => codes(o.code).includes(`${LOINC}|44261-6`));
  assert.deepEqual(phq9.note, [{ text: 'Item 9 (thoughts of self-harm) answered above 0' }]);
  const gad7 = observations.find((o) => codes(o.code).includes(`${LOINC}|70274-6`));
  assert.equal(gad7.note, undefined);
});

test('QuestionnaireResponses carry every item', { skip: !DUMP }, () => {
  const responses = ofType('QuestionnaireResponse');
  assert.equal(responses.length, 2, 'one per scale');
  const phq9 = responses.find((r) => r.questionnaire === 'http://loinc.org/q/44249-1');
  assert.ok(phq9, 'the PHQ-9 response');
  assert.equal(phq9.status, 'completed');
  assert.deepEqual(phq9.item.map((i) => i.linkId), ['1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(phq9.item.map((i) => i.answer[0].valueInteger), [2, 2, 1, 2, 1, 1, 1, 0, 1]);
  const gad7 = responses.find((r) => r.questionnaire === 'http://loinc.org/q/69737-5');
  assert.ok(gad7, 'the GAD-7 response');
  assert.equal(gad7.item.length, 7);
  for (const r of responses) {
    assert.ok(r.subject.reference.startsWith('Patient/'));
    assert.ok(r.encounter.reference.startsWith('Encounter/'));
    assert.match(r.authored, /Z$/);
  }
});

test('MedicationRequests: RxNorm, dosage, and the replacement chain', { skip: !DUMP }, () => {
  const requests = ofType('MedicationRequest');
  // sertraline 50, sertraline 100, escitalopram, alprazolam, and fluoxetine (replaced)
  assert.equal(requests.length, 5);
  const [encounter] = ofType('Encounter');
  const [practitioner] = ofType('Practitioner');
  for (const mr of requests) {
    assert.equal(mr.intent, 'order');
    assert.equal(mr.medicationCodeableConcept.coding[0].system, RXNORM);
    assert.match(mr.medicationCodeableConcept.coding[0].code, /^\d+$/);
    assert.equal(mr.requester.reference, `Practitioner/${practitioner.id}`);
    assert.match(mr.authoredOn, /Z$/);
    assert.ok(mr.reasonCode[0].text.length > 0);
    const dose = mr.dosageInstruction[0];
    assert.equal(dose.doseAndRate[0].doseQuantity.system, 'http://unitsofmeasure.org');
    assert.equal(dose.doseAndRate[0].doseQuantity.code, 'mg');
    assert.equal(dose.route.text, 'oral');
  }

  const find = (name, dose) => requests.find((mr) => medicationName(mr) === name &&
    mr.dosageInstruction[0].doseAndRate[0].doseQuantity.value === dose);
  const sertraline50 = find('sertraline', 50);
  const sertraline100 = find('sertraline', 100);
  const fluoxetine = find('fluoxetine', 20);
  const escitalopram = find('escitalopram', 10);
  const alprazolam = find('alprazolam', 0.25);
  for (const [name, mr] of Object.entries({ sertraline50, sertraline100, fluoxetine, escitalopram, alprazolam })) {
    assert.ok(mr, `the ${name} order`);
  }
  assert.equal(sertraline50.medicationCodeableConcept.coding[0].code, '36437');
  assert.equal(fluoxetine.medicationCodeableConcept.coding[0].code, '4493');

  // change-dose: the 50 mg order stopped, the 100 mg one points at it
  assert.equal(sertraline50.status, 'stopped');
  assert.ok(sertraline50.statusReason.text.length > 0);
  assert.equal(sertraline100.status, 'active');
  assert.equal(sertraline100.priorPrescription.reference, `MedicationRequest/${sertraline50.id}`);
  assert.equal(sertraline100.dosageInstruction[0].text, '100 mg oral once daily');
  assert.deepEqual(sertraline100.dosageInstruction[0].timing, { repeat: { frequency: 1, period: 1, periodUnit: 'd' } });

  // switch: fluoxetine (an earlier visit's order) stopped, escitalopram points at it
  assert.equal(fluoxetine.status, 'stopped');
  assert.equal(fluoxetine.encounter, undefined, 'written in an earlier visit');
  assert.equal(escitalopram.status, 'active');
  assert.equal(escitalopram.priorPrescription.reference, `MedicationRequest/${fluoxetine.id}`);
  assert.equal(escitalopram.encounter.reference, `Encounter/${encounter.id}`);

  // as needed: no timing
  assert.equal(alprazolam.dosageInstruction[0].asNeededBoolean, true);
  assert.equal(alprazolam.dosageInstruction[0].timing, undefined);
  assert.equal(alprazolam.priorPrescription, undefined);
});
