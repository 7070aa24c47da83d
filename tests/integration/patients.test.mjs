// Integration: the clinic's patients over a real telehealthd and its store
// (issue 13 item 1): create, find as one types, open, edit; the possible
// duplicate answered 409 before a second record is made; every bad field a
// 422 that names it, with nothing written; who may see whom; the audit rows
// (ids only). The clock is fixed late in the evening in Los Angeles, when
// it is already tomorrow in UTC: "in the future" is the clinic's date.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, dbValue } from '../e2e/lib.mjs';

const { bin, root } = requireEnv();
const NOW = '2026-03-10T23:30:00';
const ZONE = 'America/Los_Angeles';
const TODAY = '2026-03-10';     // the clinic's date
const TOMORROW = '2026-03-11';  // already the date in UTC
let server;
let dataDir;
let provider;   // the demo psychiatrist
let admin;      // the front desk
let stranger;   // another psychiatrist, with no visit with anyone

function cli(...args) {
  const r = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', dataDir, ...args],
    { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// The patients in the store, read beside the server (a reader, never a writer).
const patientCount = () => dbValue(server, 'SELECT count(*) AS n FROM patients');

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-patients-'));
  server = await startServer({ extraArgs: ['--data-dir', dataDir], now: NOW, timeZone: ZONE });
  provider = await server.login();
  const [a] = cli('admin', 'add-staff', '--username', 'front.desk', '--name', 'Front Desk', '--role', 'admin');
  admin = await server.login(a.username, a.password);
  const [s] = cli('admin', 'add-staff', '--username', 'dr.stranger', '--name', 'Dr. Stranger', '--role', 'psychiatrist');
  stranger = await server.login(s.username, s.password);
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const api = (p, session, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const create = (body, session = admin) => api('/api/patients', session, { method: 'POST', body });
const find = (q, session = admin) => api(`/api/patients?q=${encodeURIComponent(q)}`, session);

const ANA = {
  name: 'Ana Lima', birth_date: '1990-04-30', mrn: 'MRN-1001', email: 'ana.lima@example.org',
  phone: '+1 (555) 010-0142', time_zone: 'America/Chicago', region: 'il', language: 'pt-BR',
};

test('the front desk creates a patient, finds them as they type and opens them', async () => {
  const r = await create(ANA);
  assert.equal(r.status, 201, r.text);
  const p = r.json.patient;
  assert.match(p.id, /^[0-9a-f-]{36}$/);
  assert.equal(p.name, 'Ana Lima');
  // Stored in standard form: E.164, the region's code.
  assert.equal(p.phone, '+15550100142');
  assert.equal(p.region, 'IL');
  assert.equal(p.language, 'pt-BR');

  for (const q of ['An', 'ana l', 'Lim', 'MRN-10', 'mrn-1001', '1990-04', '1990-04-30']) {
    const f = await find(q);
    assert.equal(f.status, 200, f.text);
    assert.deepEqual(f.json.patients.map((x) => x.id), [p.id], `"${q}" finds Ana`);
  }
  assert.deepEqual((await find('ima')).json.patients, [], 'a prefix, not any substring');
  assert.deepEqual((await find('%')).json.patients, [], 'LIKE wildcards are plain characters');
  assert.deepEqual((await find('  ')).json.patients, [], 'nothing typed, nothing listed');

  const g = await api(`/api/patients/${p.id}`, admin);
  assert.equal(g.status, 200, g.text);
  assert.deepEqual({ ...g.json.patient, created_at: undefined }, { ...p, created_at: undefined });
  assert.equal(g.json.has_timeline, false, 'no visit yet');
});

test('at most 20 patients come back, and says there are more', async () => {
  for (let i = 0; i < 22; i++) {
    const r = await create({ name: `Zed Many ${String(i).padStart(2, '0')}`, birth_date: '2001-01-01', mrn: `ZED-${i}` });
    assert.equal(r.status, 201, r.text);
  }
  const f = await find('zed');
  assert.equal(f.json.patients.length, 20);
  assert.equal(f.json.more, true);
  assert.equal(f.json.patients[0].name, 'Zed Many 00', 'by name');
});

test('the same name and date of birth is a possible duplicate until confirmed', async () => {
  const before = patientCount();
  const dup = await create({ ...ANA, name: '  ana lima ', mrn: 'MRN-2002' });
  assert.equal(dup.status, 409, dup.text);
  assert.equal(dup.json.error.code, 'possible-duplicate');
  assert.match(dup.json.error.message, /same name and date of birth.*Nothing was saved/);
  assert.equal(dup.json.candidates.length, 1);
  assert.deepEqual(Object.keys(dup.json.candidates[0]).sort(), ['birth_date', 'id', 'mrn', 'name']);
  assert.equal(dup.json.candidates[0].mrn, 'MRN-1001');
  assert.equal(patientCount(), before, 'nothing written');

  const yes = await create({ ...ANA, mrn: 'MRN-2002', confirm_duplicate: true });
  assert.equal(yes.status, 201, yes.text);
  assert.equal((await find('Ana L')).json.patients.length, 2);

  // The record number is the clinic's: one patient each, whatever the case.
  const taken = await create({ name: 'Other Person', birth_date: '1970-01-01', mrn: 'mrn-1001' });
  assert.equal(taken.status, 409, taken.text);
  assert.equal(taken.json.error.code, 'mrn-taken');
  assert.equal(taken.json.error.field, 'mrn');
});

test('each bad field is a 422 that names it, and nothing is written', async () => {
  const ok = { name: 'Bo Field', birth_date: '1985-07-01', mrn: 'MRN-3003' };
  const cases = [
    [{ ...ok, name: ' ' }, 'name', /patient's name/],
    [{ ...ok, birth_date: TOMORROW }, 'birth_date', /^The date of birth is in the future\. Nothing was saved\.$/],
    [{ ...ok, birth_date: '1985-02-29' }, 'birth_date', /not a real date/],
    [{ ...ok, birth_date: '07/01/1985' }, 'birth_date', /year-month-day/],
    [{ ...ok, birth_date: '1850-01-01' }, 'birth_date', /before 1900/],
    [{ ...ok, mrn: undefined }, 'mrn', /record number \(MRN\)/],
    [{ ...ok, mrn: 'MRN 3003' }, 'mrn', /letters, digits and dashes/],
    [{ ...ok, email: 'bo@field' }, 'email', /email address does not look right/],
    [{ ...ok, email: 'bo field@example.org' }, 'email', /email/],
    [{ ...ok, phone: '555-0100' }, 'phone', /start with \+ and the country code/],
    [{ ...ok, phone: '+1 555 010 0100 0100 99' }, 'phone', /8 to 15 digits/],
    [{ ...ok, time_zone: 'Mars/Olympus' }, 'time_zone', /time zone is not one we know/],
    [{ ...ok, time_zone: '/etc/localtime' }, 'time_zone', /time zone/],
    [{ ...ok, region: 'ZZ' }, 'region', /state is not one we know/],
    [{ ...ok, language: 'Klingon' }, 'language', /language code/],
  ];
  const before = patientCount();
  for (const [body, field, message] of cases) {
    const r = await create(body);
    assert.equal(r.status, 422, `${field}: ${r.text}`);
    assert.equal(r.json.error.code, 'invalid');
    assert.equal(r.json.error.field, field);
    assert.match(r.json.error.message, message);
    assert.doesNotMatch(r.json.error.message, /birth_date|time_zone|json|null/, 'words, not a schema');
  }
  // An unknown field is refused too (JSON_STRICT), naming none.
  const extra = await create({ ...ok, ssn: '000-00-0000' });
  assert.equal(extra.status, 422);
  assert.equal(extra.json.error.field, null);
  assert.equal((await create('not json')).status, 400);
  assert.equal(patientCount(), before, 'nothing written');
  // Born today (the clinic's date, though UTC is a day ahead) is fine.
  const today = await create({ ...ok, birth_date: TODAY });
  assert.equal(today.status, 201, today.text);
});

test('editing replaces the details; a bad edit changes nothing', async () => {
  const c = await create({ name: 'Cy Edit', birth_date: '1979-11-02', mrn: 'MRN-4004', email: 'cy@example.org' });
  const id = c.json.patient.id;
  const e = await api(`/api/patients/${id}`, admin, { method: 'POST',
    body: { name: 'Cy Edited', birth_date: '1979-11-02', mrn: 'MRN-4004', phone: '+44 20 7946 0958', time_zone: 'Europe/London', region: 'NY', language: 'en' } });
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.patient.name, 'Cy Edited');
  assert.equal(e.json.patient.email, null, 'left out: cleared');
  assert.equal(e.json.patient.phone, '+442079460958');

  const bad = await api(`/api/patients/${id}`, admin, { method: 'POST', body: { name: 'Cy', birth_date: '2099-01-01', mrn: 'MRN-4004' } });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.error.field, 'birth_date');
  const taken = await api(`/api/patients/${id}`, admin, { method: 'POST', body: { name: 'Cy', birth_date: '1979-11-02', mrn: 'MRN-1001' } });
  assert.equal(taken.status, 409);
  assert.equal(taken.json.error.code, 'mrn-taken');
  const g = await api(`/api/patients/${id}`, admin);
  assert.equal(g.json.patient.name, 'Cy Edited', 'unchanged by the refused edits');
  assert.equal(g.json.patient.mrn, 'MRN-4004');
  // Keeping one's own record number is no conflict, in any case.
  const same = await api(`/api/patients/${id}`, admin, { method: 'POST', body: { name: 'Cy Edited', birth_date: '1979-11-02', mrn: 'mrn-4004' } });
  assert.equal(same.status, 200, same.text);
  assert.equal((await api('/api/patients/00000000-0000-0000-0000-000000000000', admin, { method: 'POST', body: { name: 'X', birth_date: '1979-11-02', mrn: 'X1' } })).status, 404);
});

test('a provider sees their own patients only; an admin sees all', async () => {
  const mine = (await api('/api/me', provider)).json;
  // The demo patient has a visit with the demo provider: theirs, with a timeline.
  const demoFound = await find('Demo Pat', provider);
  assert.equal(demoFound.status, 200);
  assert.ok(demoFound.json.patients.length >= 1, demoFound.text);
  const demo = demoFound.json.patients[0];
  assert.match(demo.mrn, /^DEMO-/);
  assert.equal(demo.email, 'demo.patient@example.org');
  assert.equal(demo.birth_date, '1988-06-14');
  const opened = await api(`/api/patients/${demo.id}`, provider);
  assert.equal(opened.status, 200, opened.text);
  assert.equal(opened.json.has_timeline, true);

  // Ana was made by the front desk; the provider has no visit with her.
  const ana = (await find('MRN-1001')).json.patients[0];
  assert.deepEqual((await find('Ana', provider)).json.patients, [], 'not in their search');
  const refused = await api(`/api/patients/${ana.id}`, provider);
  assert.equal(refused.status, 404);
  assert.equal(refused.json.error.message, 'This patient is not among your patients.');
  assert.equal((await api(`/api/patients/${ana.id}`, provider, { method: 'POST', body: { ...ANA, name: 'Hijack' } })).status, 404);
  assert.equal((await api(`/api/patients/${demo.id}`, stranger)).status, 404, 'a stranger cannot read the demo patient');
  assert.deepEqual((await find('Demo', stranger)).json.patients, []);
  // A patient the provider creates is theirs at once.
  const own = await create({ name: 'Dee Own', birth_date: '1960-05-05', mrn: 'MRN-5005' }, provider);
  assert.equal(own.status, 201, own.text);
  assert.equal((await api(`/api/patients/${own.json.patient.id}`, provider)).status, 200);
  assert.equal((await api(`/api/patients/${own.json.patient.id}`, stranger)).status, 404);
  assert.equal((await api(`/api/patients/${own.json.patient.id}`, admin)).status, 200, 'an admin reads all');
  assert.equal((await fetchJson(`${server.baseUrl}/api/patients?q=a`)).status, 401, 'signed out: nothing');
  assert.ok(mine.staff_id || mine.id);
});

test('every create, edit, view and search is audited, with ids only', async () => {
  const rows = cli('admin', 'audit');
  assert.equal(rows.at(-1).chain_intact, true);
  const of = (action) => rows.filter((e) => e.action === action);
  assert.ok(of('patient.create').length >= 25);
  assert.ok(of('patient.edit').length >= 2);
  assert.ok(of('patient.view').length >= 3);
  assert.ok(of('patient.search').length >= 10);
  const dup = of('patient.create').find((e) => e.detail.confirmed_duplicate_of);
  assert.ok(dup, 'a confirmed duplicate says which record it may duplicate');
  const shown = of('patient.duplicate-shown');
  assert.ok(shown.length >= 1, 'the candidates shown are audited');
  assert.deepEqual(shown[0].detail.patients, dup.detail.confirmed_duplicate_of);
  // No name, date, MRN, email, phone or search text anywhere in them.
  const text = JSON.stringify(rows.filter((e) => e.action?.startsWith('patient.')));
  for (const secret of ['Ana', 'Lima', '1990-04-30', 'MRN-1001', 'example.org', '+1555', 'Chicago', 'Cy Edit']) {
    assert.ok(!text.includes(secret), `"${secret}" is not in the audit`);
  }
  const view = of('patient.view').at(-1);
  assert.deepEqual(Object.keys(view.detail).sort(), ['from', 'patient']);
});
