// Integration: the prescribing matrix through REST, against a real telehealthd
// and its sqlite file, with the server's clock set by TELEHEALTHD_TEST_NOW
// (the test build's clock, meson option test_clock) and a config that fixes
// the telemedicine policy end at 2026-12-31. Nothing here depends on today's
// date: every server runs at one of the fixed instants below.
//
//  - a controlled "decrease" that changes the frequency or goes to as-needed
//    use in an audio-only visit is refused (every new controlled order is a
//    new prescription); a pure stop there is allowed;
//  - a frequency-only change is accepted; a change that changes nothing is
//    refused in words;
//  - starting a drug already taken is refused in the clinician's words;
//  - entered-in-error of a switch gives the old order back;
//  - a PA's stop takes effect at once, is audited as a stop, and waits in the
//    supervising psychiatrist's queue until acknowledged;
//  - co-signing a PA's change after its base order was stopped is refused
//    (the change stays pending; the psychiatrist may decline it);
//  - co-signing across the policy end applies the rules of the co-signing
//    day: drafted inside the window, refused after it without an in-person
//    evaluation (server restarted on the same data dir with a later clock);
//  - [catalog] a dose above the maximum and a wrong route are refused (422).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, rewriteConfig } from '../e2e/lib.mjs';
import { setDea, controlledReady, DEA_NUMBERS } from './controlled.mjs';

const { bin, root } = requireEnv();

// Fixed instants (never today's date). The policy window is open on the
// first and closed on the second.
const INSIDE_WINDOW = '2026-12-30T10:00:00-05:00';
const AFTER_WINDOW = '2027-01-04T10:00:00-05:00';
const POLICY_END = '2026-12-31';
const EVALUATION_DATE = '2026-12-20';   // before AFTER_WINDOW, within 24 months

let dir;
let dataDir;
let conf;
let server;
let psy;           // the demo psychiatrist, signed in
let pa;            // a physician assistant she supervises, signed in
let paAccount;

// Starts telehealthd on the shared data dir with the clock at `now`, in New
// York: the fixed instants mean the same clinic days whatever clock and zone
// the rest of the suite runs at (TH_TEST_NOW / TH_TEST_TIME_ZONE).
async function startAt(now) {
  return startServer({ configPath: conf, dataDir, now, timeZone: 'America/New_York' });
}

function admin(...args) {
  const r = spawnSync(bin, ['--config', conf, '--data-dir', dataDir, 'admin', ...args],
    { encoding: 'utf8', timeout: 15000, env: { ...process.env, TELEHEALTHD_TEST_NOW: INSIDE_WINDOW } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

function auditLog() {
  const lines = admin('audit').map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).chain_intact, true);
  return lines;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'th-prescribing-'));
  dataDir = path.join(dir, 'data');
  conf = path.join(dir, 'telehealth.conf');
  writeFileSync(conf, rewriteConfig(readFileSync(path.join(root, 'config', 'telehealth.conf'), 'utf8'), {
    prescribing: {
      telemedicine_policy_end: POLICY_END,
      in_person_evaluation_months: '24',
      catalog: path.join(root, 'config', 'medications.json'),
    },
  }));
  server = await startAt(INSIDE_WINDOW);
  psy = await server.login();
  const me = (await call('/api/me', { session: psy })).json;
  paAccount = JSON.parse(admin('add-staff', '--username', 'pat.assistant', '--name', 'Pat Assistant',
    '--role', 'pa', '--supervisor', me.staff_id).pop());
  pa = await server.login(paAccount.username, paAccount.password);
  // The demo psychiatrist's New York registration comes with the demo; the
  // PA prescribes controlled drugs under a mid-level registration of their own.
  setDea(server, paAccount.staff_id, { number: DEA_NUMBERS.midLevel, schedules: '2N,3N,4,5' });
});

after(async () => {
  if (server) await server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session: psy, ...opts });

let catalog = null;
// The catalog entry for a drug by its name (the catalog may list several
// formulations: the first that offers this dose, frequency and route).
async function med(namePattern, { dose, frequency, route = 'oral' } = {}) {
  if (!catalog) catalog = (await call('/api/catalog')).json;
  const fits = (m) => namePattern.test(m.name) &&
    (dose === undefined || !Array.isArray(m.strengths) || m.strengths.includes(dose)) &&
    (frequency === undefined || !Array.isArray(m.frequencies) || m.frequencies.some((f) => (f.code || f) === frequency)) &&
    (!Array.isArray(m.routes) || m.routes.includes(route));
  const found = catalog.medications.find(fits) || catalog.medications.find((m) => namePattern.test(m.name));
  assert.ok(found, `the catalog has ${namePattern}`);
  return found.id;
}

async function newVisit(session, name, modality = 'video') {
  const v = await call('/api/visits', { session, method: 'POST', body: { patient_name: name, modality } });
  assert.equal(v.status, 201, v.text);
  const rec = await call(`/api/visits/${v.json.visit_id}/record`, { session });
  return { visitId: v.json.visit_id, patientId: rec.json.patient.id };
}

async function visitFor(session, patientId, modality) {
  const v = await call('/api/visits', { session, method: 'POST', body: { patient_id: patientId, modality } });
  assert.equal(v.status, 201, v.text);
  return v.json.visit_id;
}

const adjust = (session, visitId, body) =>
  call(`/api/visits/${visitId}/adjustments`, { session, method: 'POST', body });

async function currentMeds(session, visitId) {
  const r = await call(`/api/visits/${visitId}/record`, { session });
  assert.equal(r.status, 200, r.text);
  return r.json.current_medications;
}

function ok(r, status = 201) {
  assert.equal(r.status, status, r.text);
  return r.json;
}

test('a controlled decrease with another frequency or as needed is refused in an audio-only visit; a stop is not', async () => {
  const { visitId, patientId } = await newVisit(psy, 'Audio Only Patient');
  await controlledReady(server, (p, o = {}) => call(p, { session: psy, ...o }), patientId);
  const alprazolam = await med(/^alprazolam/i, { dose: 0.5, frequency: 'three-times-daily' });
  const base = ok(await adjust(psy, visitId, {
    kind: 'start', medication: alprazolam, dose: 0.5, frequency: 'three-times-daily', reason: 'Panic disorder',
  })).order;
  const audio = await visitFor(psy, patientId, 'audio-only');

  for (const [dose, frequency] of [[1, 'as-needed'], [0.25, 'twice-daily'], [0.25, 'three-times-daily']]) {
    const r = await adjust(psy, audio, {
      kind: 'change-dose', order_id: base.id, dose, frequency, reason: 'Taper',
      ...(frequency === 'as-needed' ? { prn_max_per_day: 3 } : {}),
    });
    assert.equal(r.status, 403, `${dose} mg ${frequency}: ${r.text}`);
    assert.equal(r.json.error.code, 'prescribing-rule');
    assert.equal(r.json.error.rule, 'controlled-audio-only');
    assert.match(r.json.error.message, /^Alprazolam is a schedule IV controlled substance; it cannot be prescribed \(started or changed\) in an audio-only visit\. Only stopping it is possible here\.$/);
  }
  // Nothing was written: the 0.5 mg order is still the current one.
  assert.deepEqual((await currentMeds(psy, audio)).map((o) => [o.id, o.dose, o.frequency]),
    [[base.id, 0.5, 'three-times-daily']]);
  // A PA's controlled decrease in audio-only is refused as well (a
  // co-signature cannot make it lawful).
  const paAudio = await newVisit(pa, 'PA Audio Patient', 'audio-only');
  const paStart = await adjust(pa, paAudio.visitId, {
    kind: 'start', medication: alprazolam, dose: 0.25, frequency: 'as-needed', prn_max_per_day: 3, reason: 'Panic',
  });
  assert.equal(paStart.status, 403, paStart.text);
  assert.equal(paStart.json.error.rule, 'controlled-audio-only');

  // A pure stop prescribes nothing: allowed in the same audio-only visit.
  const stop = ok(await adjust(psy, audio, { kind: 'stop', order_id: base.id, reason: 'Patient wishes to stop' }));
  assert.equal(stop.status, 'stopped');
  assert.deepEqual(await currentMeds(psy, audio), []);
});

test('a change of frequency with the same dose is a valid change; a change of nothing is refused in words', async () => {
  const { visitId } = await newVisit(psy, 'Frequency Patient');
  const buspirone = await med(/^buspirone/i, { dose: 10, frequency: 'twice-daily' });
  const base = ok(await adjust(psy, visitId, {
    kind: 'start', medication: buspirone, dose: 10, frequency: 'twice-daily', reason: 'Generalized anxiety',
  })).order;
  const same = await adjust(psy, visitId, { kind: 'change-dose', order_id: base.id, dose: 10, frequency: 'twice-daily', reason: 'x' });
  assert.equal(same.status, 422, same.text);
  assert.equal(same.json.error.message,
    'Buspirone is already 10 mg twice daily. Change the dose, how often it is taken or the route, or leave it as it is.');
  const changed = ok(await adjust(psy, visitId, {
    kind: 'change-dose', order_id: base.id, dose: 10, frequency: 'three-times-daily', reason: 'Partial response',
  }));
  assert.equal(changed.status, 'active');
  assert.equal(changed.order.replaces, base.id);
  assert.deepEqual((await currentMeds(psy, visitId)).map((o) => [o.dose, o.frequency]), [[10, 'three-times-daily']]);

  // Starting it again is refused in the clinician's words: no id, no "a active".
  const again = await adjust(psy, visitId, { kind: 'start', medication: buspirone, dose: 15, frequency: 'twice-daily', reason: 'x' });
  assert.equal(again.status, 422, again.text);
  assert.match(again.json.error.message,
    /^Buspirone is already active for this patient \(10 mg three times daily, since \d{1,2} [A-Z][a-z]{2} \d{4}\)\. Change its dose or stop it instead\.$/);
  assert.ok(!again.json.error.message.includes(changed.order.id));
});

test('entered-in-error of a switch makes the old order active again', async () => {
  const { visitId } = await newVisit(psy, 'Switch Patient');
  const sertraline = await med(/^sertraline/i, { dose: 50, frequency: 'once-daily' });
  const fluoxetine = await med(/^fluoxetine/i, { dose: 20, frequency: 'once-daily' });
  const base = ok(await adjust(psy, visitId, {
    kind: 'start', medication: sertraline, dose: 50, frequency: 'once-daily', reason: 'Depression',
  })).order;
  const sw = ok(await adjust(psy, visitId, {
    kind: 'switch', order_id: base.id, medication: fluoxetine, dose: 20, frequency: 'once-daily', reason: 'Sexual side effects',
  })).order;
  assert.deepEqual((await currentMeds(psy, visitId)).map((o) => o.medication.id), [fluoxetine]);

  const err = ok(await call(`/api/orders/${sw.id}/entered-in-error`, {
    method: 'POST', body: { reason: 'Switch charted for the wrong patient' },
  }), 200);
  assert.equal(err.order.status, 'entered-in-error');
  assert.equal(err.restored.id, base.id);
  assert.equal(err.restored.status, 'active');
  // The current medication list shows what the patient still takes; the
  // history keeps all three events.
  const cur = await currentMeds(psy, visitId);
  assert.deepEqual(cur.map((o) => [o.id, o.medication.id, o.dose]), [[base.id, sertraline, 50]]);
  const rec = (await call(`/api/visits/${visitId}/record`)).json;
  assert.deepEqual(rec.orders.map((o) => [o.id, o.status]), [[base.id, 'active'], [sw.id, 'entered-in-error']]);
});

test("a PA's stop takes effect at once, is audited as a stop and waits for the supervisor's acknowledgement", async () => {
  const { visitId } = await newVisit(pa, 'PA Stop Patient');
  const escitalopram = await med(/^escitalopram/i, { dose: 10, frequency: 'once-daily' });
  const drafted = ok(await adjust(pa, visitId, {
    kind: 'start', medication: escitalopram, dose: 10, frequency: 'once-daily', reason: 'Depression',
  }));
  assert.equal(drafted.status, 'pending');
  ok(await call(`/api/orders/${drafted.order.id}/cosign`, { method: 'POST' }), 200);

  const stop = ok(await adjust(pa, visitId, { kind: 'stop', order_id: drafted.order.id, reason: 'Rash' }));
  assert.equal(stop.status, 'stopped', 'effective at once, not pending');
  assert.deepEqual(await currentMeds(pa, visitId), []);

  const audit = auditLog();
  const entry = audit.find((e) => e.target === drafted.order.id && e.actor === paAccount.staff_id &&
    e.detail && e.detail.kind === 'stop');
  assert.ok(entry, 'the stop is audited');
  assert.equal(entry.action, 'prescribe.apply');
  assert.equal(entry.detail.supervisor_to_acknowledge, true);
  assert.ok(!audit.some((e) => e.action === 'prescribe.pending' && e.target === drafted.order.id && e.detail?.kind === 'stop'));

  // In front of the supervising psychiatrist until she acknowledges it.
  let queue = ok(await call('/api/orders/pending'), 200);
  const seen = queue.stops_to_acknowledge.find((o) => o.id === drafted.order.id);
  assert.ok(seen, JSON.stringify(queue));
  assert.equal(seen.status, 'stopped');
  assert.equal(seen.status_reason, 'Rash');
  assert.equal(seen.stopped_by.display_name, 'Pat Assistant');
  assert.equal((await call(`/api/orders/${drafted.order.id}/acknowledge-stop`, { session: pa, method: 'POST' })).status, 403);
  ok(await call(`/api/orders/${drafted.order.id}/acknowledge-stop`, { method: 'POST' }), 200);
  queue = ok(await call('/api/orders/pending'), 200);
  assert.ok(!queue.stops_to_acknowledge.some((o) => o.id === drafted.order.id));
  const again = await call(`/api/orders/${drafted.order.id}/acknowledge-stop`, { method: 'POST' });
  assert.equal(again.status, 422, again.text);
  assert.ok(auditLog().some((e) => e.action === 'prescribe.acknowledge-stop' && e.target === drafted.order.id));
});

test("co-signing a PA's change after its base order was stopped is refused; the psychiatrist declines it", async () => {
  const { visitId } = await newVisit(pa, 'PA Change Patient');
  const sertraline = await med(/^sertraline/i, { dose: 50, frequency: 'once-daily' });
  const base = ok(await adjust(pa, visitId, {
    kind: 'start', medication: sertraline, dose: 50, frequency: 'once-daily', reason: 'Depression',
  })).order;
  ok(await call(`/api/orders/${base.id}/cosign`, { method: 'POST' }), 200);
  const change = ok(await adjust(pa, visitId, {
    kind: 'change-dose', order_id: base.id, dose: 100, frequency: 'once-daily', reason: 'Partial response',
  }));
  assert.equal(change.status, 'pending');
  ok(await adjust(pa, visitId, { kind: 'stop', order_id: base.id, reason: 'Patient stopped taking it' }));

  const refused = await call(`/api/orders/${change.order.id}/cosign`, { method: 'POST' });
  assert.equal(refused.status, 422, refused.text);
  assert.match(refused.json.error.message,
    /^This change cannot take effect: the sertraline order it would replace \(50 mg once daily\) was stopped on \d{1,2} [A-Z][a-z]{2} \d{4} by Pat Assistant\. Nothing was co-signed;/);
  assert.ok(!refused.json.error.message.includes(base.id));
  // Nothing changed: the drug stays stopped, the change stays pending.
  assert.deepEqual(await currentMeds(pa, visitId), []);
  let queue = ok(await call('/api/orders/pending'), 200);
  assert.ok(queue.orders.some((o) => o.id === change.order.id && o.status === 'pending'));

  // A pending order nobody can act on would be a trap: she declines it.
  const noReason = await call(`/api/orders/${change.order.id}/decline`, { method: 'POST', body: { reason: ' ' } });
  assert.equal(noReason.status, 400);
  assert.equal(noReason.json.error.message, 'The reason cannot be empty. Nothing was saved.');
  assert.equal((await call(`/api/orders/${change.order.id}/decline`, { session: pa, method: 'POST', body: { reason: 'x' } })).status, 403);
  const declined = ok(await call(`/api/orders/${change.order.id}/decline`, {
    method: 'POST', body: { reason: 'Sertraline was stopped' },
  }), 200);
  assert.equal(declined.order.status, 'declined');
  assert.equal(declined.order.status_reason, 'Sertraline was stopped');
  queue = ok(await call('/api/orders/pending'), 200);
  assert.ok(!queue.orders.some((o) => o.id === change.order.id));
  assert.deepEqual(await currentMeds(pa, visitId), []);
});

test('errors read as sentences: a note over the limit says its length', async () => {
  const { visitId } = await newVisit(psy, 'Note Patient');
  const r = await call(`/api/visits/${visitId}/notes`, { method: 'POST', body: { text: 'x'.repeat(33012) } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.message, 'A note can be at most 5,000 characters; this one has 33,012. Nothing was saved.');
  const rec = (await call(`/api/visits/${visitId}/record`)).json;
  assert.deepEqual(rec.notes, []);
  const bad = await adjust(psy, visitId, { kind: 'pause', reason: 'x' });
  assert.equal(bad.status, 400);
  assert.doesNotMatch(bad.json.error.message, /[{}"]|expected/);
});

// Needs the "time" work (TELEHEALTHD_TEST_NOW honoured by the test build):
// without it the server runs on the real clock and this cannot hold.
test('co-signing across the policy end applies the rules of the co-signing day', async () => {
  const { visitId, patientId } = await newVisit(pa, 'Across The End Patient');
  await controlledReady(server, (p, o = {}) => call(p, { session: pa, ...o }), patientId);
  const methylphenidate = await med(/^methylphenidate/i, { dose: 10, frequency: 'twice-daily' });
  // Drafted on Dec 30, inside the window: a video visit suffices.
  const drafted = ok(await adjust(pa, visitId, {
    kind: 'start', medication: methylphenidate, dose: 10, frequency: 'twice-daily', reason: 'ADHD',
  }));
  assert.equal(drafted.status, 'pending');

  // The same data, the server restarted after the window has closed.
  await server.stop();
  server = await startAt(AFTER_WINDOW);
  psy = await server.login();
  pa = await server.login(paAccount.username, paAccount.password);

  const refused = await call(`/api/orders/${drafted.order.id}/cosign`, { method: 'POST' });
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.code, 'prescribing-rule');
  assert.equal(refused.json.error.rule, 'controlled-in-person');
  assert.match(refused.json.error.message, /none is on record\. It was not co-signed and is still awaiting co-signature/);
  let queue = ok(await call('/api/orders/pending'), 200);
  assert.ok(queue.orders.some((o) => o.id === drafted.order.id && o.status === 'pending'));
  assert.ok(auditLog().some((e) => e.action === 'prescribe.refused' && e.detail?.kind === 'cosign' &&
    e.detail?.rule === 'controlled-in-person'));

  // With an in-person evaluation on record, the same co-signature is lawful.
  ok(await call(`/api/patients/${patientId}/in-person-evaluation`, {
    session: pa, method: 'POST', body: { date: EVALUATION_DATE },
  }), 200);
  const cosigned = ok(await call(`/api/orders/${drafted.order.id}/cosign`, { method: 'POST' }), 200);
  assert.equal(cosigned.order.status, 'active');
  queue = ok(await call('/api/orders/pending'), 200);
  assert.ok(!queue.orders.some((o) => o.id === drafted.order.id));
});

// [catalog] These two need the catalog work (h/catalog: maximum daily doses
// and routes per formulation); until it is merged they fail because the
// server accepts both orders.
test('[catalog] a dose above the maximum daily dose is refused', async () => {
  const { visitId } = await newVisit(psy, 'Catalog Max Patient');
  const sertraline = await med(/^sertraline/i, { dose: 200, frequency: 'three-times-daily' });
  const r = await adjust(psy, visitId, {
    kind: 'start', medication: sertraline, dose: 200, frequency: 'three-times-daily', reason: 'Depression',
  });
  assert.equal(r.status, 422, r.text);       // 600 mg a day; the label's maximum is 200 mg
  assert.doesNotMatch(r.json.error.message, /[{}]/);
  assert.deepEqual(await currentMeds(psy, visitId), []);
});

test('[catalog] a route the formulation does not have is refused', async () => {
  const { visitId } = await newVisit(psy, 'Catalog Route Patient');
  const lithium = await med(/^lithium carbonate/i, { route: 'oral' });
  const entry = catalog.medications.find((m) => m.id === lithium);
  const dose = entry.strengths[0];
  const frequency = Array.isArray(entry.frequencies) ? (entry.frequencies[0].code || entry.frequencies[0]) : 'twice-daily';
  const r = await adjust(psy, visitId, {
    kind: 'start', medication: lithium, dose, frequency, route: 'transdermal', reason: 'Bipolar I disorder',
  });
  assert.equal(r.status, 422, r.text);
  assert.doesNotMatch(r.json.error.message, /[{}]/);
  assert.deepEqual(await currentMeds(psy, visitId), []);
});
