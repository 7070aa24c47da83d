// The FHIR R4 export of a visit, checked by an outside validator (the npm
// package `fhir`) and by content. fhir_dump (TH_FHIR_DUMP) builds the visit
// in a temporary store: an earlier visit started fluoxetine 20 mg and
// buspirone 10 mg; in this one the patient's check-in has PHQ-9 = 11 with
// item 9 = 1 and GAD-7 = 8, and the psychiatrist starts sertraline 50 mg,
// changes it to 100 mg, switches fluoxetine to escitalopram 10 mg, starts
// alprazolam as needed and stops buspirone; a PA they supervise starts
// lamotrigine 25 mg, which the psychiatrist co-signs.
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
const medicationName = (mr) => mr.medicationCodeableConcept.text;

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
  assert.equal(patient.birthDate, '1984-03-07', 'a date without a time');
  // The clinic's record number, typed MR (HL7 v2 table 0203).
  assert.deepEqual(patient.identifier[1], {
    use: 'usual',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical record number' }] },
    system: 'urn:telehealth:mrn', value: 'MRN-004417',
  });
  assert.deepEqual(patient.telecom, [
    { system: 'email', value: 'sam.rivera@example.org', use: 'home' },
    { system: 'phone', value: '+15550100177', use: 'mobile' },
  ]);
  assert.deepEqual(patient.communication,
    [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }] }, preferred: true }]);

  const [practitioner] = ofType('Practitioner');
  assert.equal(ofType('Practitioner').length, 2, 'the provider, then the PA who wrote an order');
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

const PHQ9_ITEMS = ['44250-9', '44255-8', '44259-0', '44254-1', '44251-7', '44258-2', '44252-5', '44253-3', '44260-8'];
const GAD7_ITEMS = ['69725-0', '68509-9', '69733-4', '69734-2', '69735-9', '69689-8', '69736-7'];
const ANSWERS = ['LA6568-5', 'LA6569-3', 'LA6570-1', 'LA6571-9'];
const answerValue = (item) => ANSWERS.indexOf(item.answer[0].valueCoding.code);

test('one survey Observation per scale total, with LOINC codes', { skip: !DUMP }, () => {
  const observations = ofType('Observation').filter((o) => !codes(o.code).includes(`${LOINC}|44260-8`)
    && o.code.coding);
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
    const sum = qr.item.reduce((s, item) => s + answerValue(item), 0);
    assert.equal(sum, want.total);
  }
  const phq9 = observations.find((o) => codes(o.code).includes(`${LOINC}|44261-6`));
  assert.deepEqual(phq9.note, [{ text: 'Item 9 (thoughts of self-harm) answered above 0' }]);
  const gad7 = observations.find((o) => codes(o.code).includes(`${LOINC}|70274-6`));
  assert.equal(gad7.note, undefined);
});

test('an ASRS part-A screen is its count of shaded items, on the project\'s own questionnaire', { skip: !DUMP }, () => {
  const qr = ofType('QuestionnaireResponse').find((r) => r.questionnaire === 'urn:telehealth:questionnaire:asrs-v1.1-part-a');
  assert.ok(qr, 'the part-A response, not claimed as a LOINC form');
  assert.deepEqual(qr.item.map((i) => i.linkId), ['1', '2', '3', '4', '5', '6']);
  assert.deepEqual(qr.item.map((i) => i.answer[0].valueInteger), [2, 2, 1, 3, 3, 2]);
  const obs = ofType('Observation').find((o) => o.derivedFrom?.[0].reference === `QuestionnaireResponse/${qr.id}`);
  assert.equal(obs.code.coding, undefined, 'no LOINC code claimed');
  assert.equal(obs.valueInteger, 4, 'shaded items (0-6), not the 0-24 sum (13)');
  assert.equal(obs.interpretation[0].text, 'positive');
});

test('QuestionnaireResponses carry every item', { skip: !DUMP }, () => {
  const responses = ofType('QuestionnaireResponse').filter((r) => r.questionnaire.startsWith('http://loinc.org/'));
  assert.equal(responses.length, 2, 'one per LOINC scale');
  const phq9 = responses.find((r) => r.questionnaire === 'http://loinc.org/q/44249-1');
  assert.ok(phq9, 'the PHQ-9 response');
  assert.equal(phq9.status, 'completed');
  // The LOINC form's item codes as linkIds, LOINC answer codes as answers.
  assert.deepEqual(phq9.item.map((i) => i.linkId), PHQ9_ITEMS);
  assert.deepEqual(phq9.item.map((i) => i.answer[0].valueCoding.code),
    [2, 2, 1, 2, 1, 1, 1, 0, 1].map((v) => ANSWERS[v]));
  assert.deepEqual(phq9.item[8].answer[0].valueCoding,
    { system: LOINC, code: 'LA6569-3', display: 'Several days' });
  const gad7 = responses.find((r) => r.questionnaire === 'http://loinc.org/q/69737-5');
  assert.ok(gad7, 'the GAD-7 response');
  assert.deepEqual(gad7.item.map((i) => i.linkId), GAD7_ITEMS);
  assert.deepEqual(gad7.item.map(answerValue), [1, 2, 1, 1, 2, 1, 0]);
  for (const item of [...phq9.item, ...gad7.item]) {
    assert.equal(item.answer.length, 1);
    assert.equal(item.answer[0].valueCoding.system, LOINC);
    assert.equal(item.answer[0].valueInteger, undefined, 'a coded answer, not a bare integer');
  }
  for (const r of responses) {
    assert.ok(r.subject.reference.startsWith('Patient/'));
    assert.ok(r.encounter.reference.startsWith('Encounter/'));
    assert.match(r.authored, /Z$/);
  }
});

test('PHQ-9 item 9 is its own coded Observation, and a safety Flag', { skip: !DUMP }, () => {
  const [patient] = ofType('Patient');
  const [encounter] = ofType('Encounter');
  const item9 = ofType('Observation').filter((o) => codes(o.code).includes(`${LOINC}|44260-8`));
  assert.equal(item9.length, 1, 'one item-9 Observation');
  const [obs] = item9;
  assert.equal(obs.status, 'final');
  assert.deepEqual(obs.valueCodeableConcept.coding, [{ system: LOINC, code: 'LA6569-3', display: 'Several days' }]);
  assert.ok(codes(obs.interpretation[0]).includes(
    'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation|A'), 'flagged abnormal');
  assert.equal(obs.subject.reference, `Patient/${patient.id}`);
  assert.equal(obs.encounter.reference, `Encounter/${encounter.id}`);
  assert.equal(byRef(obs.derivedFrom[0].reference).questionnaire, 'http://loinc.org/q/44249-1');

  const flags = ofType('Flag');
  assert.equal(flags.length, 1);
  assert.equal(flags[0].status, 'active');
  assert.ok(codes(flags[0].category[0]).includes('http://terminology.hl7.org/CodeSystem/flag-category|safety'));
  assert.equal(flags[0].subject.reference, `Patient/${patient.id}`);
  assert.equal(flags[0].encounter.reference, `Encounter/${encounter.id}`);
  assert.equal(flags[0].period.start, obs.effectiveDateTime);
});

test('MedicationRequests: RxNorm, dosage, and the replacement chain', { skip: !DUMP }, () => {
  const requests = ofType('MedicationRequest');
  // sertraline 50, sertraline 100, escitalopram, alprazolam, lithium, mixed amphetamine
  // salts (a schedule II series: three prescriptions), lamotrigine (the PA's,
  // co-signed), fluoxetine (replaced) and buspirone (an earlier visit's order
  // stopped in this one)
  assert.equal(requests.length, 11);
  const [encounter] = ofType('Encounter');
  const [practitioner, pa] = ofType('Practitioner');
  for (const mr of requests) {
    assert.equal(mr.intent, 'order');
    for (const c of mr.medicationCodeableConcept.coding ?? []) {
      assert.equal(c.system, RXNORM);
      assert.match(c.code, /^\d+$/);
    }
    assert.ok(mr.medicationCodeableConcept.text.length > 0);
    const lamotrigine = medicationName(mr) === 'lamotrigine tablet';
    assert.equal(mr.requester.reference, `Practitioner/${(lamotrigine ? pa : practitioner).id}`);
    assert.match(mr.authoredOn, /Z$/);
    // The adjustment's reason is the prescriber's rationale, not an indication.
    assert.equal(mr.reasonCode, undefined, 'the reason is not a reasonCode');
    assert.ok(mr.note[0].text.length > 0);
    for (const dose of mr.dosageInstruction) {
      assert.equal(dose.doseAndRate[0].doseQuantity.system, 'http://unitsofmeasure.org');
      assert.equal(dose.doseAndRate[0].doseQuantity.code, 'mg');
      assert.equal(dose.route.text, 'oral');
      assert.deepEqual(dose.route.coding, [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }]);
    }
    // What to dispense: units of the dose form, days of supply, refills.
    const d = mr.dispenseRequest;
    assert.ok(d, 'a dispenseRequest');
    assert.equal(d.quantity.system, 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm');
    assert.ok(['TAB', 'CAP'].includes(d.quantity.code));
    assert.deepEqual(d.expectedSupplyDuration, { value: 30, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' });
    assert.ok(Number.isInteger(d.numberOfRepeatsAllowed));
  }

  const find = (name, dose) => requests.find((mr) => medicationName(mr) === name &&
    mr.dosageInstruction[0].doseAndRate[0].doseQuantity.value === dose);
  const sertraline50 = find('sertraline tablet', 50);
  const sertraline100 = find('sertraline tablet', 100);
  const fluoxetine = find('fluoxetine capsule', 20);
  const escitalopram = find('escitalopram tablet', 10);
  const alprazolam = find('alprazolam tablet', 0.25);
  const lithium = find('lithium carbonate capsule', 300);
  const amphetamines = requests.filter((mr) => medicationName(mr).startsWith('mixed amphetamine salts extended-release capsule'));
  const amphetamine = amphetamines.find((mr) => !/-rx\d$/.test(mr.id));
  for (const [name, mr] of Object.entries({ sertraline50, sertraline100, fluoxetine, escitalopram, alprazolam, lithium, amphetamine })) {
    assert.ok(mr, `the ${name} order`);
  }
  assert.equal(sertraline50.medicationCodeableConcept.coding[0].code, '36437');
  assert.equal(fluoxetine.medicationCodeableConcept.coding[0].code, '4493');
  assert.equal(escitalopram.note[0].text, 'Insomnia on fluoxetine');

  // change-dose: the 50 mg order stopped, the 100 mg one points at it
  assert.equal(sertraline50.status, 'stopped');
  assert.ok(sertraline50.statusReason.text.length > 0);
  assert.equal(sertraline100.status, 'active');
  assert.equal(sertraline100.priorPrescription.reference, `MedicationRequest/${sertraline50.id}`);
  assert.equal(sertraline100.dosageInstruction[0].text, '100 mg once daily, oral');
  assert.deepEqual(sertraline100.dosageInstruction[0].timing, { repeat: { frequency: 1, period: 1, periodUnit: 'd' } });
  assert.deepEqual(sertraline100.dispenseRequest.quantity.value, 30);
  assert.equal(sertraline100.dispenseRequest.numberOfRepeatsAllowed, 2);

  // switch: fluoxetine (an earlier visit's order) stopped, escitalopram points at it
  assert.equal(fluoxetine.status, 'stopped');
  assert.equal(fluoxetine.encounter, undefined, 'written in an earlier visit');
  assert.equal(escitalopram.status, 'active');
  assert.equal(escitalopram.priorPrescription.reference, `MedicationRequest/${fluoxetine.id}`);
  assert.equal(escitalopram.encounter.reference, `Encounter/${encounter.id}`);

  // as needed: no timing, at most 3 a day
  const prn = alprazolam.dosageInstruction[0];
  assert.equal(prn.asNeededBoolean, true);
  assert.equal(prn.timing, undefined);
  assert.equal(prn.maxDosePerPeriod.numerator.value, 0.75);
  assert.equal(prn.maxDosePerPeriod.denominator.code, 'd');
  assert.equal(alprazolam.dispenseRequest.quantity.value, 90);
  assert.equal(alprazolam.priorPrescription, undefined);

  // split dose: two dosage entries in force together, 3 capsules a day, the SCD of 300 mg capsules first
  assert.deepEqual(lithium.dosageInstruction.map((d) => [d.sequence, d.timing.repeat.when[0], d.doseAndRate[0].doseQuantity.value]),
    [[1, 'MORN', 300], [1, 'HS', 600]]);
  assert.equal(lithium.dispenseRequest.quantity.value, 90);
  assert.equal(lithium.dispenseRequest.quantity.code, 'CAP');
  assert.deepEqual(lithium.medicationCodeableConcept.coding.map((c) => c.code), ['197889', '42351', '6448']);

  // mixed amphetamine salts: never amphetamine's code (725); the amount says it is salts
  assert.ok(!(amphetamine.medicationCodeableConcept.coding ?? []).some((c) => c.code === '725'));
  assert.match(amphetamine.dosageInstruction[0].text, /20 mg every morning \(total mixed amphetamine salts, not amphetamine base/);
  assert.equal(amphetamine.dispenseRequest.numberOfRepeatsAllowed, 0, 'schedule II: no refills');
});

// Days after a YYYY-MM-DD date, as YYYY-MM-DD.
const addDaysTo = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);

test('dispenseRequest: the pharmacy, the earliest fill date and a schedule II series', { skip: !DUMP }, () => {
  const requests = ofType('MedicationRequest');
  const [pharmacy] = ofType('Organization');
  assert.ok(pharmacy, 'the patient\'s pharmacy as an Organization');
  assert.equal(pharmacy.name, 'Lakeview Pharmacy');
  assert.deepEqual(pharmacy.identifier, [{ system: 'http://terminology.hl7.org/NamingSystem/NCPDPProviderIdentificationNumber', value: '1234567' }]);
  assert.equal(pharmacy.telecom[0].system, 'phone');
  assert.match(pharmacy.address[0].text, /Springfield, IL/);
  assert.equal(ofType('Organization').length, 1, 'one Organization however many orders go there');
  for (const mr of requests) {
    assert.equal(mr.dispenseRequest.performer.reference, `Organization/${pharmacy.id}`, `${medicationName(mr)} goes to the pharmacy`);
  }
  // The day written, as the dump's clock saw it (UTC).
  const alprazolam = requests.find((mr) => medicationName(mr) === 'alprazolam tablet');
  const written = alprazolam.authoredOn.slice(0, 10);
  assert.deepEqual(alprazolam.dispenseRequest.validityPeriod, { start: addDaysTo(written, 2) });
  const sertraline = requests.find((mr) => medicationName(mr) === 'sertraline tablet');
  assert.equal(sertraline.dispenseRequest.validityPeriod, undefined, 'no earliest fill date: fill at once');
  // Three separate prescriptions written together, 30 days apart, each 30 days, none refillable.
  const series = requests.filter((mr) => medicationName(mr).startsWith('mixed amphetamine salts extended-release capsule'))
    .sort((a, b) => a.dispenseRequest.validityPeriod.start.localeCompare(b.dispenseRequest.validityPeriod.start));
  assert.equal(series.length, 3);
  assert.deepEqual(series.map((mr) => mr.dispenseRequest.validityPeriod.start),
    [written, addDaysTo(written, 30), addDaysTo(written, 60)]);
  const group = series[0].groupIdentifier;
  assert.equal(group.system, 'urn:telehealth:order');
  assert.equal(group.value, series[0].id);
  series.forEach((mr, i) => {
    assert.deepEqual(mr.groupIdentifier, group);
    assert.equal(mr.dispenseRequest.numberOfRepeatsAllowed, 0);
    assert.equal(mr.dispenseRequest.expectedSupplyDuration.value, 30);
    assert.ok(mr.note.some((n) => n.text.startsWith(`Prescription ${i + 1} of 3 of a schedule II series`)), JSON.stringify(mr.note));
  });
});

test('an earlier visit\'s order stopped in this visit is in its bundle, stopped', { skip: !DUMP }, () => {
  const requests = ofType('MedicationRequest').filter((mr) => medicationName(mr) === 'buspirone tablet');
  assert.equal(requests.length, 1, 'the stopped buspirone order');
  const [buspirone] = requests;
  assert.equal(buspirone.status, 'stopped');
  assert.ok(buspirone.statusReason.text.length > 0);
  assert.equal(buspirone.encounter, undefined, 'written in an earlier visit');
});

test('a co-signed order has a Provenance naming the co-signer as verifier', { skip: !DUMP }, () => {
  const [practitioner, pa] = ofType('Practitioner');
  const lamotrigine = ofType('MedicationRequest').find((mr) => medicationName(mr) === 'lamotrigine tablet');
  assert.ok(lamotrigine, 'the PA\'s lamotrigine order');
  assert.equal(lamotrigine.status, 'active');
  const provenance = ofType('Provenance');
  assert.equal(provenance.length, 1, 'one co-signed order, one Provenance');
  const [p] = provenance;
  assert.deepEqual(p.target, [{ reference: `MedicationRequest/${lamotrigine.id}` }]);
  assert.match(p.recorded, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.ok(Date.parse(p.recorded) >= Date.parse(lamotrigine.authoredOn), 'co-signed after it was written');
  const verifier = p.agent.find((a) => codes(a.type).includes(
    'http://terminology.hl7.org/CodeSystem/provenance-participant-type|verifier'));
  assert.ok(verifier, 'a verifier agent');
  assert.equal(verifier.who.reference, `Practitioner/${practitioner.id}`);
  const author = p.agent.find((a) => codes(a.type).includes(
    'http://terminology.hl7.org/CodeSystem/provenance-participant-type|author'));
  assert.equal(author.who.reference, `Practitioner/${pa.id}`);
});
