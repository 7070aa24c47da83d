// What a real clinic has on file before it prescribes a controlled
// substance (issue 15, item 7): the patient's state on their record, the
// prescriber's DEA registration for that state covering the schedule
// (recorded by the administrator with `telehealthd admin set-dea`, as a
// clinic does), and a prescription-drug-monitoring-program check of that
// state recorded through the API. Tests that prescribe controlled drugs
// state these facts; the rules are never relaxed for them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireEnv } from '../e2e/lib.mjs';

// Valid DEA numbers (the check digit holds): A practitioner, M a mid-level
// practitioner (a physician assistant). Made up: no real registrant.
export const DEA_NUMBERS = { practitioner: 'AB1234563', midLevel: 'MP1234563' };

// `telehealthd admin set-dea` on the server's data dir for `staff` (an id or
// a username). Expires three years after the server's today unless given:
// a registration runs three years (21 CFR 1301.13(f)). `dataDir`: when the
// server was given its data dir on the command line.
export function setDea(server, staff, { state = 'NY', schedules = '2,2N,3,3N,4,5', number = DEA_NUMBERS.practitioner, expires, dataDir = server.dataDir } = {}) {
  const { bin } = requireEnv();
  const today = server.today();
  const until = expires ?? `${Number(today.slice(0, 4)) + 3}${today.slice(4)}`.replace(/-02-29$/, '-02-28');
  const r = spawnSync(bin, ['--config', server.configPath, '--data-dir', dataDir, 'admin', 'set-dea',
    '--staff', staff, '--state', state, '--number', number, '--schedules', schedules, '--expires', until],
  { encoding: 'utf8', timeout: 15000, env: server.env });
  assert.equal(r.status, 0, `admin set-dea: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// Records the patient's state (their region) when none is on record, with
// the date of birth and record number the front desk would have taken (the
// patient form needs them) when a test made the patient from a name alone.
export async function setPatientState(call, patientId, state = 'NY', birthDate = '1980-01-01') {
  const got = await call(`/api/patients/${patientId}`);
  assert.equal(got.status, 200, got.text);
  const p = got.json.patient ?? got.json;
  if (p.region) return p.region;
  const body = { name: p.name, region: state, birth_date: birthDate, mrn: `MRN-${patientId.slice(0, 8)}` };
  for (const k of ['birth_date', 'mrn', 'email', 'phone', 'time_zone', 'language']) if (p[k]) body[k] = p[k];
  const r = await call(`/api/patients/${patientId}`, { method: 'POST', body });
  assert.equal(r.status, 200, r.text);
  return state;
}

// A PDMP check of the patient's state, recorded now by the caller.
export async function recordPdmp(call, patientId, result = 'PDMP searched: no other controlled prescriptions in 12 months.') {
  const r = await call(`/api/patients/${patientId}/pdmp-checks`, { method: 'POST', body: { result } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// All three for one patient: their state, a PDMP check, and (when given)
// the prescribers' registrations for that state.
export async function controlledReady(server, call, patientId, prescribers = []) {
  const state = await setPatientState(call, patientId);
  for (const p of prescribers) setDea(server, p.staff, { state, number: p.number, schedules: p.schedules });
  await recordPdmp(call, patientId);
  return state;
}
