// Integration: real prescriptions (issue 15, item 7) through a real
// telehealthd and its sqlite file. Each rule refuses by name with nothing
// written: a schedule II refill (c2-no-refills, 21 CFR 1306.12(a)), more than
// 5 refills of schedule III-V (c3-5-refills, 1306.22(a)), a series that
// overlaps (c2-series, 1306.12(b)), no DEA registration for the patient's
// state and the schedule, or one expired (dea-registration), no recent PDMP
// check (pdmp-check). Bad input is a clear 400/422 (a negative quantity, one
// that does not match the dose, a bad earliest fill date). The admin CLI
// checks a DEA number's check digit. A renewal is a new order linked to the
// one it renews, which is completed; a series is three prescriptions with
// their fill dates; the pharmacy goes with the order; the co-signer's
// registration is the one that counts at co-signature; an in-person
// evaluation records who performed it. Dates come from the server's clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, fetchJson, requireEnv, addDays } from '../e2e/lib.mjs';
import { setDea, setPatientState, recordPdmp, DEA_NUMBERS } from './controlled.mjs';

const { bin } = requireEnv();
let server;
let psy;     // the demo psychiatrist (NY registration from the demo)

before(async () => {
  server = await startServer();
  psy = await server.login();
});

after(async () => {
  if (server) await server.stop();
});

const call = (session) => (p, o = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...o });

function admin(...args) {
  const r = spawnSync(bin, ['--config', server.configPath, '--data-dir', server.dataDir, 'admin', ...args],
    { encoding: 'utf8', timeout: 15000, env: server.env });
  return { status: r.status, stderr: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean) };
}

function addStaff(username, name, role, supervisor) {
  const r = admin('add-staff', '--username', username, '--name', name, '--role', role,
    ...(supervisor ? ['--supervisor', supervisor] : []));
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.lines.pop());
}

function auditActions() {
  return admin('audit').lines.map((l) => JSON.parse(l));
}

// A new patient (state NY) seen by `session` in a video visit.
async function newPatient(session, name) {
  const api = call(session);
  const v = await api('/api/visits', { method: 'POST', body: { patient_name: name } });
  assert.equal(v.status, 201, v.text);
  const patientId = (await api(`/api/visits/${v.json.visit_id}/record`)).json.patient.id;
  await setPatientState(api, patientId, 'NY');
  return { visitId: v.json.visit_id, patientId, api };
}

const adjust = (api, visitId, body) => api(`/api/visits/${visitId}/adjustments`, { method: 'POST', body });
const orders = async (api, visitId) => (await api(`/api/visits/${visitId}/record`)).json.orders;

const alprazolam = { kind: 'start', medication: 'alprazolam', dose: 0.5, frequency: 'twice-daily', reason: 'Panic disorder' };
const methylphenidate = { kind: 'start', medication: 'methylphenidate-ir', dose: 10, frequency: 'twice-daily', reason: 'ADHD' };

function refusedBy(r, rule, pattern) {
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.code, 'prescribing-rule');
  assert.equal(r.json.error.rule, rule);
  assert.equal(r.json.error.override_allowed, false);
  if (pattern) assert.match(r.json.error.message, pattern);
  const f = r.json.error.findings.find((x) => x.rule === rule);
  assert.equal(f.severity, 'refuse');
  assert.ok(f.source.length > 0, 'the rule names its source');
}

test('DEA registration: none, another state, a schedule not covered, expired the day before; valid on its last day', async () => {
  const dr = addStaff('dr.noreg', 'Dr. Nora Reg', 'psychiatrist');
  const s = await server.login(dr.username, dr.password);
  const { visitId, patientId, api } = await newPatient(s, 'Dea Patient');
  await recordPdmp(api, patientId);

  refusedBy(await adjust(api, visitId, alprazolam), 'dea-registration', /Dr\. Nora Reg has no DEA registration on record for NY/);
  setDea(server, dr.staff_id, { state: 'NJ' });
  refusedBy(await adjust(api, visitId, alprazolam), 'dea-registration', /no DEA registration on record for NY/);
  setDea(server, dr.staff_id, { state: 'NY', schedules: '4,5' });
  refusedBy(await adjust(api, visitId, methylphenidate), 'dea-registration', /schedule II non-narcotic.*covers schedules 4, 5 only/);
  const today = server.today();
  setDea(server, dr.staff_id, { state: 'NY', schedules: '2N,4', expires: addDays(today, -1) });
  refusedBy(await adjust(api, visitId, alprazolam), 'dea-registration', /expired on/);
  assert.deepEqual(await orders(api, visitId), [], 'nothing was written');
  assert.ok(auditActions().some((e) => e.action === 'prescribe.refused' && e.detail.rule === 'dea-registration'));

  setDea(server, dr.staff_id, { state: 'NY', schedules: '2N,4', expires: today });
  const ok = await adjust(api, visitId, alprazolam);
  assert.equal(ok.status, 201, ok.text);
});

test('admin set-dea checks the number and the schedules, and says which rule', () => {
  const bad = admin('set-dea', '--staff', 'demo.provider', '--state', 'NY', '--number', 'AB1234564',
    '--schedules', '2N', '--expires', '2030-01-01');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /fails the DEA check digit.*the last digit should be 3/);
  const letters = admin('set-dea', '--staff', 'demo.provider', '--state', 'NY', '--number', 'XY1234563',
    '--schedules', '2N', '--expires', '2030-01-01');
  assert.equal(letters.status, 2);
  assert.match(letters.stderr, /two letters and seven digits/);
  const sched = admin('set-dea', '--staff', 'demo.provider', '--state', 'NY', '--number', 'AB1234563',
    '--schedules', '2N,7', '--expires', '2030-01-01');
  assert.equal(sched.status, 2);
  assert.match(sched.stderr, /"7" is not a DEA schedule code/);
  const state = admin('set-dea', '--staff', 'demo.provider', '--state', 'ZZ', '--number', 'AB1234563',
    '--schedules', '2N', '--expires', '2030-01-01');
  assert.equal(state.status, 2);
});

test('PDMP: none, one older than the clinic\'s 7 days, then one today', async () => {
  const { visitId, patientId, api } = await newPatient(psy, 'Pdmp Patient');
  refusedBy(await adjust(api, visitId, alprazolam), 'pdmp-check', /check the NY prescription drug monitoring program/);
  const old = new Date(server.now() - 8 * 86400000).toISOString();
  const rec = await api(`/api/patients/${patientId}/pdmp-checks`, { method: 'POST', body: { result: 'No other prescribers', checked_at: old } });
  assert.equal(rec.status, 201, rec.text);
  assert.equal(rec.json.current, false);
  refusedBy(await adjust(api, visitId, alprazolam), 'pdmp-check', /8 days ago, by Dr\. Demo Provider.*within 7 days/);
  // Bad input: a check in the future, a state that is not one, no result.
  const future = new Date(server.now() + 86400000).toISOString();
  assert.equal((await api(`/api/patients/${patientId}/pdmp-checks`, { method: 'POST', body: { result: 'x', checked_at: future } })).status, 422);
  assert.equal((await api(`/api/patients/${patientId}/pdmp-checks`, { method: 'POST', body: { result: 'x', state: 'QQ' } })).status, 422);
  assert.equal((await api(`/api/patients/${patientId}/pdmp-checks`, { method: 'POST', body: { result: '  ' } })).status, 400);
  // Another state's check does not count for a NY patient.
  await api(`/api/patients/${patientId}/pdmp-checks`, { method: 'POST', body: { result: 'NJ searched', state: 'NJ' } });
  refusedBy(await adjust(api, visitId, alprazolam), 'pdmp-check');
  assert.deepEqual(await orders(api, visitId), []);
  const now = await recordPdmp(api, patientId);
  assert.equal(now.current, true);
  assert.equal(now.checks[0].by.display_name, 'Dr. Demo Provider');
  assert.equal((await adjust(api, visitId, alprazolam)).status, 201);
  assert.ok(auditActions().some((e) => e.action === 'pdmp.check' && e.target === patientId && e.detail.state === 'NY'));
});

test('refills by schedule and bad dispensing input: clear errors, nothing written', async () => {
  const { visitId, patientId, api } = await newPatient(psy, 'Refill Patient');
  await recordPdmp(api, patientId);
  refusedBy(await adjust(api, visitId, { ...methylphenidate, refills: 1 }), 'c2-no-refills', /21 CFR 1306\.12\(a\)/);
  refusedBy(await adjust(api, visitId, { ...alprazolam, refills: 6 }), 'c3-5-refills', /at most 5 refills \(21 CFR 1306\.22\(a\)\)/);
  refusedBy(await adjust(api, visitId, { ...alprazolam, refills: 5, supply_days: 60 }), 'c3-6-months', /more than 6 months after the date written/);
  const neg = await adjust(api, visitId, { ...alprazolam, quantity: -60 });
  assert.equal(neg.status, 400, neg.text);
  assert.match(neg.json.error.message, /quantity to dispense must be a number above zero/);
  const zero = await adjust(api, visitId, { ...alprazolam, quantity: 0 });
  assert.equal(zero.status, 400);
  const mismatch = await adjust(api, visitId, { ...alprazolam, quantity: 90 });
  assert.equal(mismatch.status, 422, mismatch.text);
  assert.match(mismatch.json.error.message, /The quantity \(90\) does not match the dose and the days' supply: 30 days of this dose are 60 tablets\. Send 60/);
  assert.equal((await adjust(api, visitId, { ...alprazolam, earliest_fill_date: '2026-13-01' })).status, 400);
  const past = await adjust(api, visitId, { ...alprazolam, earliest_fill_date: addDays(server.today(), -1) });
  assert.equal(past.status, 422, past.text);
  assert.match(past.json.error.message, /The earliest fill date .* must be from today/);
  assert.equal((await adjust(api, visitId, { ...alprazolam, earliest_fill_date: addDays(server.today(), 91) })).status, 422);
  assert.deepEqual(await orders(api, visitId), [], 'nothing was written');
  // The same order, lawful: quantity as computed, refilled 5 times, filled from a date.
  const fill = addDays(server.today(), 3);
  const ok = await adjust(api, visitId, { ...alprazolam, quantity: 60, refills: 5, earliest_fill_date: fill });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.order.dispense.quantity, 60);
  assert.equal(ok.json.order.dispense.refills, 5);
  assert.equal(ok.json.order.dispense.earliest_fill_date, fill);
});

test('a schedule II series: three prescriptions with their fill dates, or refused when they overlap', async () => {
  const { visitId, patientId, api } = await newPatient(psy, 'Series Patient');
  await recordPdmp(api, patientId);
  const t = server.today();
  const body = { kind: 'start', medication: 'amphetamine-mixed-salts-er', dose: 20, frequency: 'every-morning', reason: 'ADHD', supply_days: 30 };
  refusedBy(await adjust(api, visitId, { ...body, series: [t, addDays(t, 20), addDays(t, 40)] }), 'c2-series', /at least 30 days apart/);
  refusedBy(await adjust(api, visitId, { ...body, supply_days: 31, series: [t, addDays(t, 31), addDays(t, 62)] }), 'c2-series', /93 days/);
  refusedBy(await adjust(api, visitId, { ...alprazolam, series: [t, addDays(t, 30)] }), 'c2-series', /not a schedule II/);
  assert.equal((await adjust(api, visitId, { ...body, series: [t] })).status, 400);
  assert.equal((await adjust(api, visitId, { ...body, series: [t, addDays(t, 30)], earliest_fill_date: t })).status, 400);
  assert.deepEqual(await orders(api, visitId), []);
  const ok = await adjust(api, visitId, { ...body, series: [t, addDays(t, 30), addDays(t, 60)] });
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(ok.json.order.dispense.series.map((p) => p.earliest_fill_date), [t, addDays(t, 30), addDays(t, 60)]);
  assert.equal(ok.json.order.dispense.refills, 0);
  const fhir = (await api(`/api/visits/${visitId}/fhir`)).json;
  const mrs = fhir.entry.map((e) => e.resource).filter((r) => r.resourceType === 'MedicationRequest');
  assert.equal(mrs.length, 3, 'three prescriptions');
  assert.ok(mrs.every((mr) => mr.groupIdentifier.value === ok.json.order.id));
  assert.deepEqual(mrs.map((mr) => mr.dispenseRequest.validityPeriod.start).sort(), [t, addDays(t, 30), addDays(t, 60)]);
});

test('the pharmacy goes with the order; an order keeps the one it was sent to', async () => {
  const { visitId, patientId, api } = await newPatient(psy, 'Pharmacy Patient');
  const bad = await api(`/api/patients/${patientId}/pharmacy`, { method: 'POST', body: { name: 'X', address: 'Y', phone: '555', ncpdp_id: '12' } });
  assert.equal(bad.status, 400, bad.text);
  assert.equal((await api(`/api/patients/${patientId}/pharmacy`)).json.pharmacy, null);
  const first = await api(`/api/patients/${patientId}/pharmacy`, { method: 'POST',
    body: { name: 'Corner Pharmacy', address: '1 Example Road, Albany, NY 12207', phone: '+1 555 010 0101', ncpdp_id: '7654321' } });
  assert.equal(first.status, 200, first.text);
  const o = await adjust(api, visitId, { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'Depression' });
  assert.equal(o.status, 201, o.text);
  assert.equal(o.json.order.dispense.pharmacy.name, 'Corner Pharmacy');
  assert.equal(o.json.order.dispense.pharmacy.ncpdp_id, '7654321');
  await api(`/api/patients/${patientId}/pharmacy`, { method: 'POST', body: { name: 'Other Pharmacy', address: '2 Example Road', phone: '555 010 0102' } });
  const kept = (await orders(api, visitId)).find((x) => x.id === o.json.order.id);
  assert.equal(kept.dispense.pharmacy.name, 'Corner Pharmacy');
  const fhir = (await api(`/api/visits/${visitId}/fhir`)).json;
  const mr = fhir.entry.map((e) => e.resource).find((r) => r.resourceType === 'MedicationRequest');
  const org = fhir.entry.map((e) => e.resource).find((r) => `Organization/${r.id}` === mr.dispenseRequest.performer.reference);
  assert.equal(org.name, 'Corner Pharmacy');
});

test('renew: a new order with the same dosing, linked; the old one completed; checked like any new order', async () => {
  const { visitId, patientId, api } = await newPatient(psy, 'Renew Patient');
  const start = await adjust(api, visitId, { kind: 'start', medication: 'sertraline', dose: 100, frequency: 'once-daily', supply_days: 90, refills: 1, reason: 'Depression' });
  assert.equal(start.status, 201, start.text);
  const old = start.json.order;
  const withDose = await api(`/api/visits/${visitId}/orders/${old.id}/renew`, { method: 'POST', body: { dose: 150 } });
  assert.equal(withDose.status, 400, withDose.text);
  assert.match(withDose.json.error.message, /A renewal keeps the order's dosing/);
  const r = await api(`/api/visits/${visitId}/orders/${old.id}/renew`, { method: 'POST', body: { reason: 'Stable; renew for 90 days', refills: 0 } });
  assert.equal(r.status, 201, r.text);
  const renewed = r.json.order;
  assert.equal(renewed.action, 'renew');
  assert.equal(renewed.renews, old.id);
  assert.equal(renewed.dose, 100);
  assert.equal(renewed.dispense.supply_days, 90);
  assert.equal(renewed.dispense.refills, 0);
  const all = await orders(api, visitId);
  const before = all.find((x) => x.id === old.id);
  assert.equal(before.status, 'completed');
  assert.equal(before.renewed_by, renewed.id);
  const fhir = (await api(`/api/visits/${visitId}/fhir`)).json;
  const oldMr = fhir.entry.map((e) => e.resource).find((x) => x.id === old.id);
  assert.equal(oldMr.status, 'completed');
  // Only an active order can be renewed.
  const again = await api(`/api/visits/${visitId}/orders/${old.id}/renew`, { method: 'POST', body: {} });
  assert.equal(again.status, 422, again.text);
  assert.match(again.json.error.message, /Only an active order can be renewed: this sertraline order is completed \(renewed\)/);
  assert.ok(auditActions().some((e) => e.action === 'prescribe.apply' && e.target === renewed.id && e.detail.kind === 'renew'));
  // A renewal entered in error gives the renewed order back.
  const err = await api(`/api/orders/${renewed.id}/entered-in-error`, { method: 'POST', body: { reason: 'Renewed the wrong order' } });
  assert.equal(err.status, 200, err.text);
  assert.equal(err.json.restored.id, old.id);
  assert.equal(err.json.restored.status, 'active');
  const again2 = await api(`/api/visits/${visitId}/orders/${old.id}/renew`, { method: 'POST', body: {} });
  assert.equal(again2.status, 201, again2.text);
  // A controlled renewal meets the whole check: no PDMP check on record.
  const alp = await adjust(api, visitId, { ...alprazolam });
  refusedBy(alp, 'pdmp-check');
  await recordPdmp(api, patientId);
  const a = (await adjust(api, visitId, { ...alprazolam })).json.order;
  const c2 = await api(`/api/visits/${visitId}/orders/${a.id}/renew`, { method: 'POST', body: { refills: 6 } });
  refusedBy(c2, 'c3-5-refills');
});

test('at co-signature the co-signer\'s DEA registration counts; the evaluation records who performed it', async () => {
  const sup = addStaff('dr.sup', 'Dr. Sue Pervisor', 'psychiatrist');
  const pa = addStaff('pa.dea', 'Pat Dea, PA-C', 'pa', sup.staff_id);
  setDea(server, pa.staff_id, { number: DEA_NUMBERS.midLevel, schedules: '2N,3N,4,5' });
  const paSession = await server.login(pa.username, pa.password);
  const supSession = await server.login(sup.username, sup.password);
  const { visitId, patientId, api } = await newPatient(paSession, 'Cosign Dea Patient');
  await recordPdmp(api, patientId);
  const drafted = await adjust(api, visitId, methylphenidate);
  assert.equal(drafted.status, 201, drafted.text);
  assert.equal(drafted.json.status, 'pending');
  const refused = await call(supSession)(`/api/orders/${drafted.json.order.id}/cosign`, { method: 'POST' });
  refusedBy(refused, 'dea-registration', /Dr\. Sue Pervisor has no DEA registration on record for NY/);
  assert.match(refused.json.error.message, /still awaiting co-signature/);
  setDea(server, sup.staff_id, { schedules: '2N,4' });
  const ok = await call(supSession)(`/api/orders/${drafted.json.order.id}/cosign`, { method: 'POST' });
  assert.equal(ok.status, 200, ok.text);

  // Who performed the in-person evaluation: a staff id reads as the name.
  const ev = await api(`/api/patients/${patientId}/in-person-evaluation`, { method: 'POST', body: { date: server.today(), performed_by: sup.staff_id } });
  assert.equal(ev.status, 200, ev.text);
  assert.deepEqual(ev.json.in_person_eval_by, { text: sup.staff_id, display_name: 'Dr. Sue Pervisor' });
  await api(`/api/patients/${patientId}/in-person-evaluation`, { method: 'POST', body: { date: server.today(), performed_by: 'Dr. Outside Clinician, MD' } });
  const rec = (await api(`/api/visits/${visitId}/record`)).json;
  assert.equal(rec.patient.in_person_eval_by.display_name, 'Dr. Outside Clinician, MD');
  const blank = await api(`/api/patients/${patientId}/in-person-evaluation`, { method: 'POST', body: { date: server.today(), performed_by: ' ' } });
  assert.equal(blank.status, 400);
});
