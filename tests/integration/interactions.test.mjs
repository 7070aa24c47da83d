// Integration: interactions and duplications (config/interactions.json) and
// the patient's medications from elsewhere, through REST against a real
// telehealthd and its sqlite file, the clock fixed (TELEHEALTHD_TEST_NOW) in
// New York. For each rule a patient takes the other drug (recorded from
// elsewhere, or ordered here) and the provider orders a catalog drug:
//  - a major rule refuses with 422, names the rule, override_allowed true;
//    the same order with {"override": {"reason"}} is 201, the order's
//    checks show the rule with the reason and who, and the audit has
//    "prescribe.override" with the rule and the reason;
//  - a moderate rule is 201 with the warning on the order;
//  - the MAOI washout counts from the recorded stop date;
//  - bad input for medications from elsewhere: clear errors, nothing written;
//  - the patient's FHIR export holds a MedicationStatement per medication
//    from elsewhere (RxNorm coding or text) and validates with zero errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv } from '../e2e/lib.mjs';
import { controlledReady } from './controlled.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');
const { bin, root } = requireEnv();

// A fixed instant (never today's date): Saturday 5 Dec 2026, 10:00 in New York.
const NOW = '2026-12-05T10:00:00-05:00';
const TODAY = '2026-12-05';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

let dir;
let dataDir;
let conf;
let server;
let psy;

function admin(...args) {
  const r = spawnSync(bin, ['--config', conf, '--data-dir', dataDir, 'admin', ...args],
    { encoding: 'utf8', timeout: 15000, env: { ...process.env, TELEHEALTHD_TEST_NOW: NOW } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

function auditLog() {
  const lines = admin('audit').map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).chain_intact, true);
  return lines;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'th-interactions-'));
  dataDir = path.join(dir, 'data');
  conf = path.join(dir, 'telehealth.conf');
  writeFileSync(conf, readFileSync(path.join(root, 'config', 'telehealth.conf'), 'utf8'));
  server = await startServer({ configPath: conf, dataDir, now: NOW, timeZone: 'America/New_York' });
  psy = await server.login();
});

after(async () => {
  if (server) await server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session: psy, ...opts });

async function newPatient(name) {
  const v = await call('/api/visits', { method: 'POST', body: { patient_name: name, modality: 'video' } });
  assert.equal(v.status, 201, v.text);
  const rec = await call(`/api/visits/${v.json.visit_id}/record`);
  assert.equal(rec.status, 200, rec.text);
  return { visitId: v.json.visit_id, patientId: rec.json.patient.id };
}

const otherMeds = (patientId) => `/api/patients/${patientId}/other-medications`;

async function addOther(patientId, body) {
  const r = await call(otherMeds(patientId), { method: 'POST', body });
  assert.equal(r.status, 201, r.text);
  return r.json.other_medication;
}

const adjust = (visitId, body) => call(`/api/visits/${visitId}/adjustments`, { method: 'POST', body });

// One row per rule: what the patient takes (from elsewhere, or an order of
// ours first) and the order that meets it.
const RULES = [
  { rule: 'serotonergic-duplication', severity: 'major', other: { name: 'sertraline', dose: '100 mg daily' },
    order: { medication: 'escitalopram', dose: 10, frequency: 'once-daily' } },
  { rule: 'serotonergic-tramadol-triptan', severity: 'warn', other: { name: 'Tramadol', dose: '50 mg as needed' },
    order: { medication: 'sertraline', dose: 50, frequency: 'once-daily' } },
  { rule: 'serotonergic-tramadol-triptan', severity: 'warn', other: { rxnorm: '37418' },
    order: { medication: 'duloxetine', dose: 30, frequency: 'once-daily' } },
  { rule: 'maoi-serotonergic', severity: 'major', other: { name: 'phenelzine', dose: '15 mg three times daily' },
    order: { medication: 'sertraline', dose: 50, frequency: 'once-daily' } },
  { rule: 'maoi-sympathomimetic', severity: 'major', other: { name: 'tranylcypromine' },
    order: { medication: 'atomoxetine', dose: 40, frequency: 'once-daily' } },
  { rule: 'lithium-thiazide', severity: 'major', other: { name: 'hydrochlorothiazide', dose: '25 mg daily' },
    order: { medication: 'lithium-carbonate-ir', dose: 300, frequency: 'twice-daily' } },
  { rule: 'lithium-nsaid', severity: 'warn', other: { name: 'naproxen', dose: '500 mg twice daily' },
    order: { medication: 'lithium-carbonate-ir', dose: 300, frequency: 'twice-daily' } },
  { rule: 'lithium-ace-arb', severity: 'warn', other: { name: 'lisinopril', dose: '10 mg daily' },
    order: { medication: 'lithium-carbonate-ir', dose: 300, frequency: 'twice-daily' } },
  { rule: 'valproate-lamotrigine', severity: 'warn', other: { name: 'divalproex sodium', dose: '500 mg twice daily' },
    order: { medication: 'lamotrigine', dose: 25, frequency: 'every-other-day' } },
  // Alprazolam is schedule IV: the patient's state and a PDMP check are on
  // file, as for any controlled order (controlled.mjs).
  { rule: 'benzodiazepine-opioid', severity: 'major', other: { name: 'oxycodone', dose: '5 mg every 6 hours' },
    order: { medication: 'alprazolam', dose: 0.25, frequency: 'twice-daily' }, controlled: true },
  { rule: 'qtc-prolonging-combination', severity: 'major', other: { name: 'methadone', dose: '80 mg daily' },
    order: { medication: 'escitalopram', dose: 10, frequency: 'once-daily' } },
  { rule: 'cyp2d6-inhibitor-substrate', severity: 'warn', other: { name: 'bupropion', dose: '150 mg XL' },
    order: { medication: 'risperidone', dose: 1, frequency: 'once-daily' } },
];

for (const [i, row] of RULES.entries()) {
  test(`${row.rule} (${row.severity}): ${row.order.medication} with ${row.other.name || row.other.rxnorm}`, async () => {
    const { visitId, patientId } = await newPatient(`Interaction Patient ${i + 1}`);
    if (row.controlled) await controlledReady(server, call, patientId);
    const other = await addOther(patientId, { ...row.other, prescriber: 'Dr Okafor (primary care)' });
    assert.equal(other.checked, true, 'the medication matched the interaction table');
    const body = { kind: 'start', ...row.order, reason: 'Treatment' };
    if (row.severity === 'major') {
      const refused = await adjust(visitId, body);
      assert.equal(refused.status, 422, refused.text);
      const e = refused.json.error;
      assert.equal(e.code, 'prescribing-rule');
      assert.equal(e.rule, row.rule);
      assert.equal(e.override_allowed, true);
      const finding = e.findings.find((f) => f.rule === row.rule);
      assert.equal(finding.severity, 'major');
      assert.match(finding.message, /from elsewhere/);
      assert.ok(finding.source.length > 0 && finding.title.length > 0);
      // Nothing was written.
      const rec = await call(`/api/visits/${visitId}/record`);
      assert.equal(rec.json.current_medications.length, 0);

      const reason = `Discussed with the patient and Dr Okafor; monitoring (${row.rule})`;
      const accepted = await adjust(visitId, { ...body, override: { reason } });
      assert.equal(accepted.status, 201, accepted.text);
      const check = accepted.json.order.checks.find((c) => c.rule === row.rule);
      assert.ok(check, 'the overridden finding is kept on the order');
      assert.equal(check.severity, 'major');
      assert.equal(check.override_reason, reason);
      assert.ok(check.by.display_name.length > 0);
      const audit = auditLog().find((l) => l.action === 'prescribe.override' &&
        l.target === accepted.json.order.id && l.detail.rule === row.rule);
      assert.ok(audit, 'the override is audited');
      assert.equal(audit.detail.reason, reason);
    } else {
      const accepted = await adjust(visitId, body);
      assert.equal(accepted.status, 201, accepted.text);
      const check = accepted.json.order.checks.find((c) => c.rule === row.rule);
      assert.ok(check, 'the warning is kept on the order');
      assert.equal(check.severity, 'warn');
      assert.equal(check.override_reason, null);
      // ...and shown with the order in the record.
      const rec = await call(`/api/visits/${visitId}/record`);
      const shown = rec.json.current_medications.find((o) => o.id === accepted.json.order.id);
      assert.ok(shown.checks.some((c) => c.rule === row.rule));
    }
  });
}

test('a switch passes where a start is a duplication (the replaced drug is gone)', async () => {
  const { visitId } = await newPatient('Switch Patient');
  const first = await adjust(visitId, { kind: 'start', medication: 'sertraline', dose: 100, frequency: 'once-daily', reason: 'Depression' });
  assert.equal(first.status, 201, first.text);
  const start = await adjust(visitId, { kind: 'start', medication: 'escitalopram', dose: 10, frequency: 'once-daily', reason: 'x' });
  assert.equal(start.status, 422, start.text);
  assert.equal(start.json.error.rule, 'serotonergic-duplication');
  assert.match(start.json.error.findings[0].message, /sertraline 100 mg once daily/);
  const sw = await adjust(visitId, { kind: 'switch', order_id: first.json.order.id, medication: 'escitalopram', dose: 10, frequency: 'once-daily', reason: 'Side effects' });
  assert.equal(sw.status, 201, sw.text);
  assert.deepEqual(sw.json.order.checks, []);
});

test('the MAOI washout counts from the recorded stop date', async () => {
  const { visitId, patientId } = await newPatient('Washout Patient');
  // Stopped 10 days ago: 4 days of the 14 remain.
  const maoi = await addOther(patientId, { name: 'phenelzine', dose: '15 mg three times daily' });
  const stopped = await call(`${otherMeds(patientId)}/${maoi.id}/stop`, { method: 'POST', body: { stopped_on: '2026-11-25' } });
  assert.equal(stopped.status, 200, stopped.text);
  assert.equal(stopped.json.other_medication.status, 'stopped');
  const refused = await adjust(visitId, { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'x' });
  assert.equal(refused.status, 422, refused.text);
  assert.equal(refused.json.error.rule, 'maoi-serotonergic');
  assert.match(refused.json.error.message, /phenelzine was stopped on 25 Nov 2026; wait until 9 Dec 2026/);
  // Stopping it twice is a conflict in words.
  const again = await call(`${otherMeds(patientId)}/${maoi.id}/stop`, { method: 'POST', body: {} });
  assert.equal(again.status, 409, again.text);
  assert.match(again.json.error.message, /already recorded as stopped on 2026-11-25/);
});

test('a free-text medication from elsewhere is named as not checked; the order goes ahead', async () => {
  const { visitId, patientId } = await newPatient('Free Text Patient');
  const herbal = await addOther(patientId, { name: 'Herbal sleep tea', prescriber: 'Self' });
  assert.equal(herbal.checked, false);
  assert.equal(herbal.rxnorm, null);
  const r = await adjust(visitId, { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'x' });
  assert.equal(r.status, 201, r.text);
  const check = r.json.order.checks.find((c) => c.rule === 'interactions-unchecked');
  assert.ok(check);
  assert.match(check.message, /Herbal sleep tea/);
});

test('medications from elsewhere: list, verify, and bad input refused in words with nothing written', async () => {
  const { patientId } = await newPatient('Other Meds Patient');
  const m = await addOther(patientId, { rxnorm: '10689', dose: '50 mg up to four times a day', prescriber: 'Dr Lee' });
  assert.equal(m.name, 'tramadol');
  assert.equal(m.ingredient, 'tramadol');
  assert.equal(m.verified, null);
  const v = await call(`${otherMeds(patientId)}/${m.id}/verify`, { method: 'POST', body: {} });
  assert.equal(v.status, 200, v.text);
  assert.ok(v.json.other_medication.verified.by.display_name.length > 0);
  assert.ok(v.json.other_medication.verified.at);
  // Any RxNorm code with a name is kept as given.
  const coded = await addOther(patientId, { name: 'levothyroxine', rxnorm: '10582', dose: '50 mcg' });
  assert.equal(coded.rxnorm, '10582');
  assert.equal(coded.checked, false);

  const bad = [
    [{ dose: '10 mg' }, /Give the medication's name/],
    [{ name: '' }, /Give the medication's name/],
    [{ name: 'sertraline', stopped_on: '2026-12-06' }, /in the future/],
    [{ name: 'sertraline', stopped_on: '2026-02-30' }, /YYYY-MM-DD/],
    [{ name: 'sertraline', rxnorm: 'RX123' }, /not an RxNorm code/],
    [{ rxnorm: '99999999' }, /not in the clinic's list.*give the medication's name/],
    [{ name: 'tramadol', rxnorm: '36437' }, /RxNorm code 36437 is sertraline, not tramadol/],
    [{ name: 'x'.repeat(201) }, /at most 200 characters/],
    [{ name: 'sertraline', strength: 50 }, /nothing else/],
    [{ name: 'sertraline', verified: 'yes' }, /true or false/],
  ];
  for (const [body, words] of bad) {
    const r = await call(otherMeds(patientId), { method: 'POST', body });
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.error.message, words);
    assert.match(r.json.error.message, /Nothing was saved/);
  }
  const future = await call(`${otherMeds(patientId)}/${m.id}/stop`, { method: 'POST', body: { stopped_on: '2027-01-01' } });
  assert.equal(future.status, 400, future.text);
  const list = await call(otherMeds(patientId));
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.other_medications.map((o) => [o.name, o.status]),
    [['tramadol', 'active'], ['levothyroxine', 'active']]);
  assert.ok(list.json.vocabulary.some((e) => e.ingredient === 'phenelzine' && e.rxnorm === '8123'));
  const unknown = await call(`${otherMeds(patientId)}/no-such-id/stop`, { method: 'POST', body: {} });
  assert.equal(unknown.status, 404, unknown.text);
});

test('the patient FHIR export has a MedicationStatement per medication from elsewhere and validates', async () => {
  const { patientId } = await newPatient('Fhir Other Meds Patient');
  await addOther(patientId, { name: 'lisinopril', dose: '10 mg daily', prescriber: 'Dr Okafor', verified: true });
  const stopped = await addOther(patientId, { name: 'Herbal sleep tea', stopped_on: '2026-11-30' });
  assert.equal(stopped.status, 'stopped');
  const r = await call(`/api/patients/${patientId}/fhir`);
  assert.equal(r.status, 200, r.text);
  const bundle = r.json;
  const statements = bundle.entry.map((e) => e.resource)
    .filter((res) => res.resourceType === 'MedicationStatement' && res.id.startsWith('other-medication'));
  assert.equal(statements.length, 2);
  const lis = statements.find((s) => s.medicationCodeableConcept.text === 'lisinopril');
  assert.deepEqual(lis.medicationCodeableConcept.coding, [{ system: RXNORM, code: '29046', display: 'lisinopril' }]);
  assert.equal(lis.status, 'active');
  assert.equal(lis.dosage[0].text, '10 mg daily');
  assert.ok(lis.note.some((n) => /Dr Okafor/.test(n.text)));
  assert.ok(lis.note.some((n) => /Verified with the patient/.test(n.text)));
  const tea = statements.find((s) => s.medicationCodeableConcept.text === 'Herbal sleep tea');
  assert.equal(tea.medicationCodeableConcept.coding, undefined);
  assert.equal(tea.status, 'stopped');
  assert.equal(tea.effectivePeriod.end, '2026-11-30');
  // Every reference resolves inside the bundle.
  const ids = new Set(bundle.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
  for (const s of statements) {
    assert.ok(ids.has(s.subject.reference), s.subject.reference);
    assert.ok(ids.has(s.informationSource.reference), s.informationSource.reference);
  }
  const result = new Fhir().validate(bundle);
  const errors = result.messages.filter((m) => m.severity === 'error');
  assert.deepEqual(errors, []);
  assert.equal(result.valid, true);
});

test('the audit names each change to a medication from elsewhere, not the drug', async () => {
  const lines = auditLog().filter((l) => (l.action ?? '').startsWith('other-medication.'));
  assert.ok(lines.some((l) => l.action === 'other-medication.add'));
  assert.ok(lines.some((l) => l.action === 'other-medication.stop'));
  assert.ok(lines.some((l) => l.action === 'other-medication.verify'));
  for (const l of lines) assert.doesNotMatch(JSON.stringify(l.detail ?? {}), /tramadol|phenelzine|lisinopril/);
});
