// Two telehealthd nodes on one PostgreSQL writing at the same moment
// (issue 18): two prescribers adjust the same order through different nodes
// at once — one change wins, the other is told in words that the order
// changed under it, and the record holds one current order; a burst of
// writes through both nodes leaves the audit chain whole (verify-audit).
//
// PostgreSQL only: run by tests/pg/run-with-cluster.sh (TH_PG_DIR names the
// cluster); this test makes a database of its own there for its two nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { startServer, fetchJson, requireEnv } from '../e2e/lib.mjs';

const PG_DIR = process.env.TH_PG_DIR;
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const DB = `th_concurrent_${process.pid}`;
const dsn = `host=${PG_DIR} dbname=${DB} user=postgres`;
// Both nodes, and the admin commands, on this test's own database.
const env = { TELEHEALTHD_DSN: dsn };

let a, b, sa, sb, catalog;

function pg(tool, ...args) {
  const r = spawnSync(`${PG_BIN}/${tool}`, ['-h', PG_DIR, '-U', 'postgres', ...args], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
}

before(async () => {
  if (!PG_DIR) return;
  pg('createdb', DB);
  a = await startServer({ env });
  // B's start gives the shared demo provider a new password: sign in on A
  // first (the session stays good). On B signs in a second psychiatrist of
  // the clinic, made with the admin command against the shared database.
  sa = await a.login();
  b = await startServer({ env });
  const { bin } = requireEnv();
  const made = spawnSync(bin, ['--config', b.configPath, '--data-dir', b.dataDir, 'admin', 'add-staff',
    '--username', 'dr.second', '--name', 'Dr. Second', '--role', 'psychiatrist'], { encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env } });
  assert.equal(made.status, 0, made.stderr);
  const second = JSON.parse(made.stdout.trim().split('\n').pop());
  sb = await b.login(second.username, second.password);
});

after(async () => {
  if (a) await a.stop();
  if (b) await b.stop();
  if (PG_DIR) pg('dropdb', '--force', '--if-exists', DB);
});

const call = (server, p, opts) => fetchJson(`${server.baseUrl}${p}`, { timeout: 20000, ...opts });

async function buspirone() {
  if (!catalog) catalog = (await call(a, '/api/catalog', { session: sa })).json;
  return catalog.medications.find((m) => /^buspirone/i.test(m.name)).id;
}

test('two nodes adjust the same order at once: one change wins, the other is told in words', { skip: !PG_DIR && 'needs TH_PG_DIR (tests/pg/run-with-cluster.sh)' }, async () => {
  const v = await call(a, '/api/visits', { session: sa, method: 'POST', body: { patient_name: 'Shared Patient' } });
  assert.equal(v.status, 201, v.text);
  const visitId = v.json.visit_id;
  const med = await buspirone();
  const base = await call(a, `/api/visits/${visitId}/adjustments`, {
    session: sa, method: 'POST', body: { kind: 'start', medication: med, dose: 10, frequency: 'twice-daily', reason: 'Generalized anxiety' },
  });
  assert.equal(base.status, 201, base.text);
  const orderId = base.json.order.id;

  // Node B's provider is another prescriber of the same clinic: put them on
  // the patient's care team so either may adjust.
  const patientId = (await call(a, `/api/visits/${visitId}/record`, { session: sa })).json.patient.id;
  const team = await call(a, `/api/patients/${patientId}/care-team`, { session: sa, method: 'POST', body: { staff_id: sb.staff.id } });
  assert.ok([200, 201].includes(team.status), team.text);

  // Each prescriber adjusts in a visit of their own with the patient.
  const vb = await call(b, '/api/visits', { session: sb, method: 'POST', body: { patient_id: patientId } });
  assert.equal(vb.status, 201, vb.text);
  const visitOf = (session) => (session === sa ? visitId : vb.json.visit_id);
  const change = (server, session, dose) => call(server, `/api/visits/${visitOf(session)}/adjustments`, {
    session, method: 'POST', body: { kind: 'change-dose', order_id: orderId, dose, frequency: 'twice-daily', reason: 'Partial response' },
  });
  const [ra, rb] = await Promise.all([change(a, sa, 15), change(b, sb, 7.5)]);
  const results = [ra, rb];
  const won = results.filter((r) => r.status === 201);
  const lost = results.filter((r) => r.status !== 201);
  assert.equal(won.length, 1, `exactly one change wins: ${ra.status} ${ra.text} / ${rb.status} ${rb.text}`);
  assert.equal(lost.length, 1);
  // A conflict, in words a prescriber understands: what changed, by whom,
  // to what, and that nothing of theirs was saved; no id.
  assert.equal(lost[0].status, 409, lost[0].text);
  assert.equal(lost[0].json.error.code, 'conflict');
  const winner = won[0] === ra ? { name: 'Dr. Demo Provider', dose: '15 mg twice daily' } : { name: 'Dr. Second', dose: '7.5 mg twice daily' };
  // (Whether the loser's request came before or after the winner's commit,
  // inside the store's transaction or at the API's first look, the answer
  // is the same.)
  assert.match(lost[0].json.error.message, new RegExp(
    `^Buspirone \\(10 mg twice daily\\) was changed by ${winner.name} on \\d{1,2} [A-Z][a-z]{2} \\d{4}, after your page showed it; ` +
    `it is now ${winner.dose.replace('.', '\\.')}\\. Your change was not saved: look at the current order and adjust it again if it is still needed\\.$`));
  assert.ok(!lost[0].json.error.message.includes(orderId), lost[0].json.error.message);

  // One current order, the winner's, whichever node reads it.
  for (const [server, session] of [[a, sa], [b, sb]]) {
    const rec = await call(server, `/api/visits/${visitId}/record`, { session });
    assert.equal(rec.status, 200, rec.text);
    assert.deepEqual(rec.json.current_medications.map((o) => o.id), [won[0].json.order.id]);
  }
});

test('a burst of writes through both nodes leaves the audit chain whole', { skip: !PG_DIR && 'needs TH_PG_DIR (tests/pg/run-with-cluster.sh)' }, async () => {
  const writes = [];
  for (let i = 0; i < 40; i++) {
    const [server, session] = i % 2 ? [a, sa] : [b, sb];
    writes.push(call(server, '/api/visits', { session, method: 'POST', body: { patient_name: `Burst ${i}` } }));
  }
  for (const r of await Promise.all(writes)) assert.equal(r.status, 201, r.text);
  const { bin } = requireEnv();
  const v = spawnSync(bin, ['--config', a.configPath, '--data-dir', a.dataDir, 'admin', 'verify-audit'], { encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env } });
  assert.equal(v.status, 0, v.stderr);
  const out = JSON.parse(v.stdout.trim().split('\n').pop());
  assert.equal(out.chain_intact, true, v.stdout);
  assert.ok(out.rows >= 40, `audit rows: ${out.rows}`);
});
