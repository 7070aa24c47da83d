// Integration (issue 15, item 8): the prescribing safety check runs again
// when the supervising psychiatrist co-signs a physician assistant's
// pending order, on the record as it is then, through REST against a real
// telehealthd and its sqlite file, the clock fixed in New York:
//  - an allergy recorded after the PA wrote the order refuses the
//    co-signature (403, the rule named, the message says it is still
//    pending); nothing changes until the allergy is marked entered in error;
//  - a major interaction the PA overrode when writing is kept on the order
//    and not asked again at co-signature;
//  - a major interaction that appeared after the order was written needs the
//    co-signer's own reason (422, override_allowed), and with it the order
//    takes effect, the finding is kept with stage "cosign" and the reason,
//    and "prescribe.override" is audited with stage "cosign".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv } from '../e2e/lib.mjs';

const { bin, root } = requireEnv();

// A fixed instant (never today's date): Saturday 5 Dec 2026, 10:00 in New York.
const NOW = '2026-12-05T10:00:00-05:00';

let dir;
let dataDir;
let conf;
let server;
let psy;
let pa;

function admin(...args) {
  const r = spawnSync(bin, ['--config', conf, '--data-dir', dataDir, 'admin', ...args],
    { encoding: 'utf8', timeout: 15000, env: { ...process.env, TELEHEALTHD_TEST_NOW: NOW } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'th-rx-cosign-'));
  dataDir = path.join(dir, 'data');
  conf = path.join(dir, 'telehealth.conf');
  writeFileSync(conf, readFileSync(path.join(root, 'config', 'telehealth.conf'), 'utf8'));
  server = await startServer({ configPath: conf, dataDir, now: NOW, timeZone: 'America/New_York' });
  psy = await server.login();
  const me = (await fetchJson(`${server.baseUrl}/api/me`, { session: psy })).json;
  const account = JSON.parse(admin('add-staff', '--username', 'sam.assistant', '--name', 'Sam Assistant',
    '--role', 'pa', '--supervisor', me.staff_id).pop());
  pa = await server.login(account.username, account.password);
});

after(async () => {
  if (server) await server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const callPsy = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session: psy, ...opts });
const callPa = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session: pa, ...opts });

// The PA's own visit: the PA saw the patient, wrote the order and records
// what comes to light; the supervisor co-signs.
async function newPatient(name) {
  const v = await callPa('/api/visits', { method: 'POST', body: { patient_name: name, modality: 'video' } });
  assert.equal(v.status, 201, v.text);
  const rec = await callPa(`/api/visits/${v.json.visit_id}/record`);
  assert.equal(rec.status, 200, rec.text);
  return { visitId: v.json.visit_id, patientId: rec.json.patient.id };
}

const start = (call, visitId, body) => call(`/api/visits/${visitId}/adjustments`, {
  method: 'POST', body: { kind: 'start', frequency: 'once-daily', supply_days: 30, refills: 0, reason: 'Depression', ...body },
});
const cosign = (orderId, body) => callPsy(`/api/orders/${orderId}/cosign`, { method: 'POST', ...(body ? { body } : {}) });

async function orderStatus(orderId, visitId) {
  const rec = await callPa(`/api/visits/${visitId}/record`);
  assert.equal(rec.status, 200, rec.text);
  return rec.json.orders.find((o) => o.id === orderId);
}

function auditLog() {
  const lines = admin('audit').map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).chain_intact, true);
  return lines;
}

test('an allergy recorded after the PA wrote the order refuses the co-signature', async () => {
  const { visitId, patientId } = await newPatient('Cosign Allergy');
  const drafted = await start(callPa, visitId, { medication: 'sertraline', dose: 50 });
  assert.equal(drafted.status, 201, drafted.text);
  assert.equal(drafted.json.order.status, 'pending');
  assert.deepEqual(drafted.json.order.checks, []);

  const allergy = await callPa(`/api/patients/${patientId}/allergies`, {
    method: 'POST', body: { substance: 'sertraline', type: 'allergy', manifestation: 'hives', reaction: 'hives within a day' },
  });
  assert.equal(allergy.status, 201, allergy.text);

  const refused = await cosign(drafted.json.order.id);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.code, 'prescribing-rule');
  assert.equal(refused.json.error.rule, 'allergy');
  assert.equal(refused.json.error.override_allowed, false);
  assert.match(refused.json.error.message, /^It was not co-signed and is still awaiting co-signature\. .*sertraline/i);
  // An override never lifts an allergy.
  const overridden = await cosign(drafted.json.order.id, { override: { reason: 'I know better' } });
  assert.equal(overridden.status, 403, overridden.text);
  assert.equal((await orderStatus(drafted.json.order.id, visitId)).status, 'pending');
  assert.ok(auditLog().some((e) => e.action === 'prescribe.refused' && e.detail?.kind === 'cosign' &&
    e.detail?.rule === 'allergy'));

  // The allergy was a mistake: marked entered in error, the order goes.
  const eie = await callPa(`/api/patients/${patientId}/allergies/${allergy.json.allergy.id}/status`, {
    method: 'POST', body: { status: 'entered-in-error', reason: 'Recorded on the wrong patient' },
  });
  assert.equal(eie.status, 200, eie.text);
  const signed = await cosign(drafted.json.order.id);
  assert.equal(signed.status, 200, signed.text);
  assert.equal(signed.json.order.status, 'active');
});

test('a major interaction the PA overrode is kept and not asked again at co-signature', async () => {
  const { visitId, patientId } = await newPatient('Cosign Overridden');
  const other = await callPa(`/api/patients/${patientId}/other-medications`, {
    method: 'POST', body: { name: 'sertraline', dose: '100 mg daily', prescriber: 'Dr Okafor (primary care)' },
  });
  assert.equal(other.status, 201, other.text);
  const escitalopram = { medication: 'escitalopram', dose: 10 };
  const needs = await start(callPa, visitId, escitalopram);
  assert.equal(needs.status, 422, needs.text);
  assert.equal(needs.json.error.rule, 'serotonergic-duplication');
  assert.equal(needs.json.error.override_allowed, true);

  const reason = 'Cross-taper planned with the primary care physician; sertraline stops next week.';
  const drafted = await start(callPa, visitId, { ...escitalopram, override: { reason } });
  assert.equal(drafted.status, 201, drafted.text);
  const kept = drafted.json.order.checks.find((c) => c.rule === 'serotonergic-duplication');
  assert.equal(kept.stage, 'written');
  assert.equal(kept.override_reason, reason);
  assert.equal(kept.by.display_name, 'Sam Assistant');

  const signed = await cosign(drafted.json.order.id);
  assert.equal(signed.status, 200, signed.text);
  assert.equal(signed.json.order.status, 'active');
  assert.equal(signed.json.order.checks.filter((c) => c.rule === 'serotonergic-duplication').length, 1);
});

test('a major interaction new since the order was written needs the co-signer\'s reason', async () => {
  const { visitId, patientId } = await newPatient('Cosign New Interaction');
  const drafted = await start(callPa, visitId, { medication: 'sertraline', dose: 50 });
  assert.equal(drafted.status, 201, drafted.text);
  assert.equal(drafted.json.order.status, 'pending');
  // After the PA wrote it, the patient's MAOI from elsewhere comes to light.
  const maoi = await callPa(`/api/patients/${patientId}/other-medications`, {
    method: 'POST', body: { name: 'phenelzine', dose: '15 mg three times daily', prescriber: 'Dr Ames (elsewhere)' },
  });
  assert.equal(maoi.status, 201, maoi.text);

  const refused = await cosign(drafted.json.order.id);
  assert.equal(refused.status, 422, refused.text);
  assert.equal(refused.json.error.rule, 'maoi-serotonergic');
  assert.equal(refused.json.error.override_allowed, true);
  assert.ok(refused.json.error.findings.some((f) => f.rule === 'maoi-serotonergic' && f.severity === 'major' && f.source));
  assert.equal((await orderStatus(drafted.json.order.id, visitId)).status, 'pending');

  const blank = await cosign(drafted.json.order.id, { override: { reason: '   ' } });
  assert.equal(blank.status, 400, blank.text);

  const reason = 'Phenelzine was stopped three weeks ago; the outside list is out of date (confirmed with the pharmacy).';
  const signed = await cosign(drafted.json.order.id, { override: { reason } });
  assert.equal(signed.status, 200, signed.text);
  assert.equal(signed.json.order.status, 'active');
  const kept = signed.json.order.checks.find((c) => c.rule === 'maoi-serotonergic');
  assert.equal(kept.stage, 'cosign');
  assert.equal(kept.severity, 'major');
  assert.equal(kept.override_reason, reason);
  assert.notEqual(kept.by.display_name, 'Sam Assistant');
  assert.ok(auditLog().some((e) => e.action === 'prescribe.override' && e.detail?.rule === 'maoi-serotonergic' &&
    e.detail?.stage === 'cosign' && e.detail?.reason === reason));
});
