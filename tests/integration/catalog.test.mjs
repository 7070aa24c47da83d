// Integration (issue 11): the medication catalog at the REST edge, over a
// real telehealthd and sqlite file. An adjustment is checked against its
// formulation (route, frequency, strengths, the labelled maximum a day,
// refills) and refused with 422 and the sentence a prescriber reads; the new
// frequencies are accepted; and an order keeps what was prescribed when the
// catalog changes under it (the server restarted on the same data with a
// changed catalog: the order's JSON and FHIR still show the old code).
//
// Date-independent: the config's telemedicine window ends in 2999, so the
// controlled-substance rules never depend on today's date here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, rewriteConfig } from '../e2e/lib.mjs';
import { controlledReady } from './controlled.mjs';

const { root } = requireEnv();
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
let dir;
let dataDir;
let catalogPath;
let conf;
let server;
let session;
let visitId;

async function start() {
  server = await startServer({ configPath: conf, dataDir });
  session = await server.login();
}

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const adjust = (body) => api(`/api/visits/${visitId}/adjustments`, { method: 'POST', body });

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'th-catalog-'));
  dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  catalogPath = path.join(dir, 'medications.json');
  writeFileSync(catalogPath, readFileSync(path.join(root, 'config', 'medications.json')));
  conf = path.join(dir, 'telehealth.conf');
  writeFileSync(conf, rewriteConfig(readFileSync(path.join(root, 'config', 'telehealth.conf'), 'utf8'), {
    prescribing: { catalog: catalogPath, telemedicine_policy_end: '2999-12-31' },
  }));
  await start();
  const v = await api('/api/visits', { method: 'POST', body: { patient_name: 'Catalog Patient' } });
  assert.equal(v.status, 201, v.text);
  visitId = v.json.visit_id;
  // The facts a controlled order needs (the patient's state, a PDMP check;
  // the demo provider's DEA registration for New York comes with the demo).
  const rec = await api(`/api/visits/${visitId}/record`);
  await controlledReady(server, api, rec.json.patient.id);
});

after(async () => {
  if (server) await server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the catalog offers each formulation with its routes, frequencies and maximum', async () => {
  const r = await api('/api/catalog');
  assert.equal(r.status, 200, r.text);
  const byId = Object.fromEntries(r.json.medications.map((m) => [m.id, m]));
  const oros = byId['methylphenidate-er-oros'];
  assert.equal(oros.display, 'methylphenidate extended-release (OROS) tablet');
  assert.deepEqual(oros.frequencies, ['once-daily', 'every-morning']);
  assert.deepEqual(oros.routes, ['oral']);
  assert.deepEqual(oros.max_daily.amount, 72);
  assert.equal(oros.max_refills, 0);
  assert.ok(byId['quetiapine-xr'] && byId['quetiapine-ir'] && byId['lithium-carbonate-er']);
  assert.equal(byId['amphetamine-mixed-salts-ir'].codes.length, 0, 'no amphetamine code on mixed salts');
  assert.match(byId['amphetamine-mixed-salts-ir'].dose_note, /total mixed amphetamine salts/);
  const codes = r.json.frequencies.map((f) => f.code);
  for (const c of ['every-other-day', 'four-times-daily', 'morning-and-bedtime', 'as-needed']) assert.ok(codes.includes(c), c);
});

test('doses the formulation does not allow: 422 with the sentence a prescriber reads', async () => {
  const cases = [
    [{ medication: 'sertraline', dose: 200, frequency: 'three-times-daily' },
      'Sertraline tablet: at most 200 mg a day (FDA label); this order comes to 600 mg a day (200 mg three times daily).'],
    [{ medication: 'lithium-carbonate-ir', dose: 300, frequency: 'twice-daily', route: 'transdermal' },
      'Lithium carbonate capsule is given oral, not transdermal'],
    [{ medication: 'methylphenidate-er-oros', dose: 54, frequency: 'three-times-daily' },
      'at most 72 mg a day (FDA label); this order comes to 162 mg a day (54 mg three times daily).'],
    [{ medication: 'methylphenidate-er-oros', dose: 18, frequency: 'three-times-daily' },
      'is taken once daily or every morning, not three times daily.'],
    [{ medication: 'quetiapine-ir', dose: 400, frequency: 'three-times-daily' },
      'at most 800 mg a day (FDA label); this order comes to 1200 mg a day'],
    [{ medication: 'alprazolam', dose: 0.5, frequency: 'as-needed' }, 'needs the most doses a day'],
  ];
  for (const [fields, sentence] of cases) {
    const r = await adjust({ kind: 'start', reason: 'test', ...fields });
    assert.equal(r.status, 422, `${JSON.stringify(fields)}: ${r.text}`);
    assert.ok(r.json.error.message.includes(sentence), `${r.json.error.message} lacks "${sentence}"`);
  }
  // A refill of a schedule II drug is the prescribing check's refusal, named
  // by its rule (21 CFR 1306.12(a)).
  const c2 = await adjust({ kind: 'start', medication: 'amphetamine-mixed-salts-ir', dose: 10, frequency: 'every-morning', refills: 1, reason: 'test' });
  assert.equal(c2.status, 403, c2.text);
  assert.equal(c2.json.error.rule, 'c2-no-refills');
  assert.match(c2.json.error.message, /schedule II controlled substance: it cannot be refilled \(21 CFR 1306\.12\(a\)\)/);
  // Nothing was written.
  const rec = await api(`/api/visits/${visitId}/record`);
  assert.equal(rec.json.current_medications.length, 0);
  // The body is still checked at the edge.
  assert.equal((await adjust({ kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', supply_days: 365, reason: 'x' })).status, 400);
  assert.equal((await adjust({ kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', refils: 1, reason: 'x' })).status, 400);
});

test('split doses, every other day and as needed with a maximum are accepted, with what to dispense', async () => {
  const li = await adjust({ kind: 'start', medication: 'lithium-carbonate-ir', dose: 300, bedtime_dose: 600, frequency: 'morning-and-bedtime', supply_days: 30, refills: 2, reason: 'Bipolar I disorder, maintenance' });
  assert.equal(li.status, 201, li.text);
  assert.equal(li.json.order.dosage_text, '300 mg in the morning and 600 mg at bedtime');
  assert.equal(li.json.order.daily_total, 900);
  assert.deepEqual(li.json.order.dispense, { quantity: 90, unit: 'capsule', supply_days: 30, refills: 2,
    earliest_fill_date: null, pharmacy: null, series: null });
  assert.equal(li.json.order.medication.display, 'lithium carbonate capsule');
  assert.equal(li.json.order.medication.rxnorm, '42351');

  const lam = await adjust({ kind: 'start', medication: 'lamotrigine', dose: 25, frequency: 'every-other-day', supply_days: 28, reason: 'Bipolar depression, on valproate' });
  assert.equal(lam.status, 201, lam.text);
  assert.equal(lam.json.order.dosage_text, '25 mg every other day');
  assert.equal(lam.json.order.dispense.quantity, 14, 'a tablet every other day for 28 days');

  const alp = await adjust({ kind: 'start', medication: 'alprazolam', dose: 0.5, frequency: 'as-needed', prn_max_per_day: 3, reason: 'Panic attacks' });
  assert.equal(alp.status, 201, alp.text);
  assert.equal(alp.json.order.dosage_text, '0.5 mg as needed, at most 3 times a day');
  assert.equal(alp.json.order.prn_max_per_day, 3);
  assert.deepEqual(alp.json.order.dispense, { quantity: 90, unit: 'tablet', supply_days: 30, refills: 0,
    earliest_fill_date: null, pharmacy: null, series: null });
});

test('an order keeps what was prescribed when the catalog changes', async () => {
  const before = (await api(`/api/visits/${visitId}/record`)).json.current_medications
    .find((o) => o.medication.id === 'lithium-carbonate-ir');
  assert.ok(before);
  const fhirBefore = (await api(`/api/visits/${visitId}/fhir`)).json;

  // The clinic edits the catalog: another code, another name, no split dose,
  // a different schedule; the server restarts on the same data.
  await server.stop();
  const cat = JSON.parse(readFileSync(catalogPath, 'utf8'));
  const li = cat.medications.find((m) => m.id === 'lithium-carbonate-ir');
  li.rxnorm = [{ code: '1', tty: 'IN', source: 'unconfirmed' }];
  li.display = 'lithium (renamed)';
  li.schedule = 'IV';
  li.frequencies = ['once-daily'];
  li.products = li.products.map(({ strength }) => ({ strength }));
  writeFileSync(catalogPath, JSON.stringify(cat));
  await start();

  const catalogNow = (await api('/api/catalog')).json.medications.find((m) => m.id === 'lithium-carbonate-ir');
  assert.equal(catalogNow.rxnorm, '1', 'the new catalog is in force');
  const after = (await api(`/api/visits/${visitId}/record`)).json.current_medications
    .find((o) => o.id === before.id);
  assert.deepEqual(after.medication, before.medication);
  assert.equal(after.medication.rxnorm, '42351');
  assert.equal(after.medication.schedule, 'none');
  assert.equal(after.dosage_text, '300 mg in the morning and 600 mg at bedtime');

  const mr = (bundle) => bundle.entry.map((e) => e.resource)
    .find((r) => r.resourceType === 'MedicationRequest' && r.id === before.id);
  const fhirAfter = (await api(`/api/visits/${visitId}/fhir`)).json;
  assert.deepEqual(mr(fhirAfter).medicationCodeableConcept, mr(fhirBefore).medicationCodeableConcept);
  assert.deepEqual(mr(fhirAfter).medicationCodeableConcept.coding.map((c) => [c.system, c.code]),
    [[RXNORM, '197889'], [RXNORM, '42351'], [RXNORM, '6448']]);
  assert.equal(mr(fhirAfter).medicationCodeableConcept.text, 'lithium carbonate capsule');
  assert.equal(mr(fhirAfter).dosageInstruction.length, 2);
  assert.deepEqual(mr(fhirAfter).dispenseRequest, mr(fhirBefore).dispenseRequest);
  assert.equal(mr(fhirAfter).dispenseRequest.numberOfRepeatsAllowed, 2);
});
