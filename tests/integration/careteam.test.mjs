// Integration: who reads a patient's record (issue 13, item 7), against a
// real telehealthd and its sqlite file, at a fixed instant.
//
//  - `admin add-staff --supervisor` takes the psychiatrist's username (the id
//    still works); an unknown name or a non-psychiatrist is refused in words;
//  - the supervising psychiatrist reads her PA's visit (the visit, its record,
//    check-in, FHIR export, the patient's timeline) and sees it in her day's
//    list; she cannot write in it (a 403 saying why); her queue names the
//    patient, the PA, the visit and the rule; the PA's record says what became
//    of each order (co-signed by her, declined with her reason);
//  - a clinician with no visit, no place on the care team and no supervised
//    PA gets the same 404 as for an absent patient, everywhere;
//  - the care team: added by the PA (who saw the patient) or the front desk,
//    never by a stranger; a member reads but does not write in another's
//    visit; removed, they see nothing again; the front desk cannot be a member;
//  - the in-person evaluation date is recorded by one who treats the patient.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, fetchJson, requireEnv } from '../e2e/lib.mjs';

const { bin } = requireEnv();
const NOW = '2026-11-10T10:00:00-05:00';

let server;
let psy;            // the demo psychiatrist, who supervises the PA
let pa;             // her physician assistant
let other;          // another psychiatrist: no relation to the patient
let pcp;            // a primary care physician, to join the care team
let desk;           // the front desk (admin)
const ids = {};

function admin(...args) {
  return spawnSync(bin, ['--config', server.configPath, '--data-dir', server.dataDir, 'admin', ...args],
    { encoding: 'utf8', timeout: 15000, env: { ...process.env, TELEHEALTHD_TEST_NOW: new Date(NOW).toISOString() } });
}

function addStaff(username, name, role, supervisor) {
  const r = admin('add-staff', '--username', username, '--name', name, '--role', role,
    ...(supervisor ? ['--supervisor', supervisor] : []));
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const call = (session, p, o = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...o });

before(async () => {
  server = await startServer({ now: NOW, timeZone: 'America/New_York' });
  psy = await server.login();
  ids.psy = (await call(psy, '/api/me')).json.staff_id;
});

after(async () => {
  if (server) await server.stop();
});

test('admin add-staff takes the supervisor by username, and says why it refuses one', async () => {
  const paAcct = addStaff('pat.assistant', 'Pat Assistant', 'pa', 'demo.provider');
  ids.pa = paAcct.staff_id;
  pa = await server.login(paAcct.username, paAcct.password);
  // The staff id form still works.
  const byId = addStaff('kim.assistant', 'Kim Assistant', 'pa', ids.psy);
  const staff = admin('list-staff').stdout.trim().split('\n').map((l) => JSON.parse(l));
  for (const id of [ids.pa, byId.staff_id]) {
    assert.equal(staff.find((s) => s.staff_id === id).supervisor, ids.psy);
  }
  let r = admin('add-staff', '--username', 'x.assistant', '--name', 'X', '--role', 'pa', '--supervisor', 'nobody.here');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no staff member has the username \(or staff id\) "nobody\.here" given to --supervisor/);
  r = admin('add-staff', '--username', 'x.assistant', '--name', 'X', '--role', 'pa', '--supervisor', 'pat.assistant');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the supervisor must be a psychiatrist; "pat\.assistant" \(Pat Assistant\) is a physician assistant/);
  // Nothing was written for the refused ones.
  assert.ok(!admin('list-staff').stdout.includes('x.assistant'));

  const o = addStaff('dr.other', 'Dr Other', 'psychiatrist');
  ids.other = o.staff_id;
  other = await server.login(o.username, o.password);
  const p = addStaff('dr.pcp', 'Dr Primary', 'pcp');
  ids.pcp = p.staff_id;
  pcp = await server.login(p.username, p.password);
  const d = addStaff('front.desk', 'Front Desk', 'admin');
  ids.desk = d.staff_id;
  desk = await server.login(d.username, d.password);
});

test("the supervisor reads her PA's visit but does not write in it; her queue says what she needs", async () => {
  const booked = await call(pa, '/api/visits', { method: 'POST', body: { patient_name: 'Jordan Lee' } });
  assert.equal(booked.status, 201, booked.text);
  ids.visit = booked.json.visit_id;
  const visit = `/api/visits/${ids.visit}`;
  assert.equal((await call(pa, `${visit}/notes`, { method: 'POST', body: { text: 'Low mood for 6 weeks.' } })).status, 201);
  const start = await call(pa, `${visit}/adjustments`, { method: 'POST', body: { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'Depression' } });
  assert.equal(start.status, 201, start.text);
  assert.equal(start.json.status, 'pending');
  ids.order = start.json.order.id;
  assert.deepEqual(start.json.order.cosign, { state: 'waiting', by: null, at: null, reason: null });

  // Reading: the visit, its record, check-in, FHIR, the patient's timeline.
  const v = await call(psy, visit);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.provider.display_name, 'Pat Assistant');
  ids.patient = v.json.patient.id;
  const rec = await call(psy, `${visit}/record`);
  assert.equal(rec.status, 200, rec.text);
  assert.equal(rec.json.notes[0].text, 'Low mood for 6 weeks.');
  assert.equal(rec.json.orders[0].status, 'pending');
  assert.equal((await call(psy, `${visit}/checkin`)).status, 200);
  const fhir = await call(psy, `${visit}/fhir`);
  assert.equal(fhir.status, 200, fhir.text);
  assert.equal(fhir.json.resourceType, 'Bundle');
  const timeline = await call(psy, `/api/patients/${ids.patient}/timeline`);
  assert.equal(timeline.status, 200, timeline.text);
  assert.equal(timeline.json.visits.length, 1);
  assert.equal((await call(psy, `/api/patients/${ids.patient}`)).json.has_timeline, true);
  // Her day's list has her PA's visit, named as his.
  const day = (await call(psy, '/api/visits?day=today')).json;
  assert.ok(!day.visits.some((x) => x.id === ids.visit), 'not among her own visits');
  const sup = day.supervised.find((x) => x.id === ids.visit);
  assert.equal(sup.provider.display_name, 'Pat Assistant');
  assert.equal(sup.patient.display_name, 'Jordan Lee');
  assert.equal((await call(pa, '/api/visits?day=today')).json.supervised, undefined);

  // Writing stays with the PA.
  const note = await call(psy, `${visit}/notes`, { method: 'POST', body: { text: 'x' } });
  assert.equal(note.status, 403);
  assert.equal(note.json.error.message, 'Only Pat Assistant, the provider of this visit, can write in it; you can read it.');
  const adj = await call(psy, `${visit}/adjustments`, { method: 'POST', body: { kind: 'start', medication: 'bupropion', dose: 150, frequency: 'once-daily', reason: 'x' } });
  assert.equal(adj.status, 403);
  assert.equal((await call(pa, `${visit}/record`)).json.notes.length, 1, 'nothing was written');

  // Her queue: patient, PA, visit, drug and dose, and the rule.
  const queue = (await call(psy, '/api/orders/pending')).json;
  assert.equal(queue.count, 1);
  const item = queue.orders[0];
  assert.equal(item.id, ids.order);
  assert.equal(item.patient.display_name, 'Jordan Lee');
  assert.equal(item.prescriber.display_name, 'Pat Assistant');
  assert.equal(item.visit.id, ids.visit);
  assert.equal(item.visit.scheduled_at, v.json.scheduled_at);
  assert.match(item.dosage_text, /50 mg once daily/);
  assert.equal(item.cosign_rule.code, 'role');
  assert.match(item.cosign_rule.text, /takes effect only when their supervising psychiatrist co-signs it/);
  assert.equal(item.cosign_rule.also, null, 'sertraline is not controlled');

  // Co-signed: the PA's record says by whom and when.
  assert.equal((await call(psy, `/api/orders/${ids.order}/cosign`, { method: 'POST' })).status, 200);
  const after1 = (await call(pa, `${visit}/record`)).json.orders.find((o) => o.id === ids.order);
  assert.equal(after1.status, 'active');
  assert.equal(after1.cosign.state, 'cosigned');
  assert.equal(after1.cosign.by.display_name, 'Dr. Demo Provider');
  assert.equal(after1.cosign.by.id, ids.psy);
  assert.ok(after1.cosign.at);

  // Declined: with her reason.
  const second = await call(pa, `${visit}/adjustments`, { method: 'POST', body: { kind: 'start', medication: 'buspirone', dose: 10, frequency: 'twice-daily', reason: 'Anxiety' } });
  assert.equal(second.status, 201, second.text);
  const declined = await call(psy, `/api/orders/${second.json.order.id}/decline`, { method: 'POST', body: { reason: 'Start one medication at a time' } });
  assert.equal(declined.status, 200, declined.text);
  const after2 = (await call(pa, `${visit}/record`)).json.orders.find((o) => o.id === second.json.order.id);
  assert.equal(after2.cosign.state, 'declined');
  assert.equal(after2.cosign.reason, 'Start one medication at a time');
  assert.equal(after2.cosign.by.id, ids.psy);
  // An order that never needed a co-signature says so.
  const own = (await call(psy, `/api/visits/${server.demo.visit_id}/record`)).json.orders;
  assert.ok(own.every((o) => o.cosign === null), 'the psychiatrist\'s own orders need none');
});

test("a clinician with no relation to the patient sees nothing of the record", async () => {
  const visit = `/api/visits/${ids.visit}`;
  const notYours = 'This visit is not among your visits.';
  for (const p of [visit, `${visit}/record`, `${visit}/checkin`, `${visit}/fhir`, `${visit}/chat`, `${visit}/guests`]) {
    const r = await call(other, p);
    assert.equal(r.status, 404, `${p}: ${r.text}`);
    assert.equal(r.json.error.message, notYours, p);
  }
  const note = await call(other, `${visit}/notes`, { method: 'POST', body: { text: 'x' } });
  assert.equal(note.status, 404);
  const refusal = 'This patient is not among your patients.';
  for (const p of ['', '/timeline', '/care-team']) {
    const r = await call(other, `/api/patients/${ids.patient}${p}`);
    assert.equal(r.status, 404, `${p}: ${r.text}`);
    assert.equal(r.json.error.message, refusal);
  }
  // The same answer as for a patient who does not exist.
  const absent = await call(other, '/api/patients/00000000-0000-4000-8000-000000000000/timeline');
  assert.equal(absent.status, 404);
  assert.equal(absent.json.error.message, refusal);
  // Nor can they put themselves on the team, or record a date.
  assert.equal((await call(other, `/api/patients/${ids.patient}/care-team`, { method: 'POST', body: { staff_id: ids.other } })).status, 404);
  assert.equal((await call(other, `/api/patients/${ids.patient}/in-person-evaluation`, { method: 'POST', body: { date: '2026-10-01' } })).status, 404);
  assert.equal((await call(other, `/api/patients?q=Jordan`)).json.patients.length, 0, 'not found by a search either');
  // The co-signature is the supervisor's alone.
  const queue = (await call(other, '/api/orders/pending')).json;
  assert.equal(queue.count, 0);
});

test('the care team: who may change it, and what a member may read and write', async () => {
  const team = `/api/patients/${ids.patient}/care-team`;
  let r = await call(pa, team);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.members, []);
  assert.equal(r.json.may_change, true);
  const names = r.json.candidates.map((c) => c.display_name);
  assert.ok(names.includes('Dr Primary') && names.includes('Dr Other'));
  assert.ok(!names.includes('Front Desk'), 'the front desk is no clinician');
  // The supervisor reads the team, but changes it only by seeing the patient herself.
  r = await call(psy, team);
  assert.equal(r.json.may_change, false);
  assert.deepEqual(r.json.candidates, []);
  r = await call(psy, team, { method: 'POST', body: { staff_id: ids.pcp } });
  assert.equal(r.status, 403);
  assert.match(r.json.error.message, /can change the care team/);

  // The PA, who saw the patient, adds the primary care physician.
  r = await call(pa, team, { method: 'POST', body: { staff_id: ids.pcp } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.members[0].display_name, 'Dr Primary');
  assert.equal(r.json.members[0].role_text, 'Primary care physician');
  assert.equal(r.json.members[0].added_by.display_name, 'Pat Assistant');
  assert.equal((await call(pa, team, { method: 'POST', body: { staff_id: ids.pcp } })).status, 200, 'already on it');
  r = await call(pa, team, { method: 'POST', body: { staff_id: ids.desk } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /^Only clinicians .* can be on a care team\. Nothing was changed\.$/);
  r = await call(pa, team, { method: 'POST', body: { staff_id: 'no-such-staff' } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /No staff member has this id/);
  r = await call(pa, team, { method: 'POST', body: { staff: ids.pcp } });
  assert.equal(r.status, 400);

  // A member reads the record, the timeline and the FHIR export...
  const visit = `/api/visits/${ids.visit}`;
  assert.equal((await call(pcp, `${visit}/record`)).status, 200);
  assert.equal((await call(pcp, `${visit}/fhir`)).status, 200);
  assert.equal((await call(pcp, `/api/patients/${ids.patient}/timeline`)).status, 200);
  assert.equal((await call(pcp, '/api/patients?q=Jordan')).json.patients.length, 1);
  // ...records the in-person evaluation (not a date after today)...
  const evalPath = `/api/patients/${ids.patient}/in-person-evaluation`;
  r = await call(pcp, evalPath, { method: 'POST', body: { date: '2026-11-11' } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /after today \(2026-11-10\)/);
  r = await call(pcp, evalPath, { method: 'POST', body: { date: '2026-11-02' } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await call(pa, `${visit}/record`)).json.patient.in_person_eval_at, '2026-11-02');
  // ...but does not write in another's visit.
  assert.equal((await call(pcp, `${visit}/notes`, { method: 'POST', body: { text: 'x' } })).status, 403);

  // The front desk adds and removes anyone; removed, a clinician sees nothing again.
  r = await call(desk, team, { method: 'POST', body: { staff_id: ids.other } });
  assert.equal(r.status, 201, r.text);
  assert.equal((await call(other, `${visit}/record`)).status, 200);
  r = await call(pcp, `${team}/${ids.other}/remove`, { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.members.map((m) => m.display_name), ['Dr Primary']);
  assert.equal((await call(other, `${visit}/record`)).status, 404);
  assert.equal((await call(pcp, `${team}/${ids.other}/remove`, { method: 'POST' })).status, 404);

  // Both acts are in the audit log, with ids only.
  const audit = admin('audit').stdout.trim().split('\n').map((l) => JSON.parse(l));
  const acts = audit.filter((e) => /^patient\.care-team-/.test(e.action));
  assert.deepEqual(acts.map((e) => e.action), ['patient.care-team-add', 'patient.care-team-add', 'patient.care-team-remove']);
  assert.equal(acts[0].target, ids.patient);
});
