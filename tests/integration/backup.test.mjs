// Integration (issue 17 item 5): `telehealthd admin backup` beside a serving
// server, under a load of prescription adjustments, then `admin restore`
// into a fresh data directory: a server started on it has every adjustment
// the API acknowledged before the backup began, and its audit chain holds.
// A restore into the data directory of a running server is refused, and a
// damaged backup is refused without touching the database it would replace.
//
// On PostgreSQL (issue 18) backup and restore are PostgreSQL's own: the
// admin commands refuse, naming pg_dump and pg_restore, and the README's
// commands are run instead, under the same load and with the same promise.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireEnv, startServer, fetchJson, waitFor, storeOf, dbValue, createDatabase, dropDatabase } from '../e2e/lib.mjs';

const { bin } = requireEnv();
const WRITERS = 3;
const dirs = [];
const databases = [];
let server = null;
// Where the servers this test starts keep their records (TELEHEALTHD_DSN:
// the PostgreSQL pass of scripts/test.sh).
const POSTGRESQL = storeOf(tmpdir()).backend === 'postgresql';
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';

after(async () => {
  if (server) await server.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  for (const db of databases) dropDatabase(db);
});

async function freshDir(name) {
  const d = await mkdtemp(path.join(tmpdir(), `th-backup-${name}-`));
  dirs.push(d);
  return d;
}

// A program, not blocking the event loop (the writers go on meanwhile):
// {code, stdout, stderr}.
async function run(file, args, env = process.env) {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { encoding: 'utf8', timeout: 60000, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (typeof err.code !== 'number') throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

// The admin CLI; `env` for a server on a database of its own.
const admin = (dataDir, ...args) => run(bin, ['--data-dir', dataDir, 'admin', ...args]);
const adminOn = (env, dataDir, ...args) => run(bin, ['--data-dir', dataDir, 'admin', ...args], { ...process.env, ...env });

// One adjustment: a new patient's visit, then a sertraline start on it.
// Resolves {visit, order, reason} once the server acknowledged it, else null.
let seq = 0;
async function adjustOnce(base, session) {
  const n = (seq += 1);
  const v = await fetchJson(`${base}/api/visits`, { session, method: 'POST', body: { patient_name: `Backup Patient ${n}` } });
  if (v.status !== 201) return null;
  const reason = `backup load ${n}`;
  const r = await fetchJson(`${base}/api/visits/${v.json.visit_id}/adjustments`, {
    session, method: 'POST',
    body: { kind: 'start', medication: 'sertraline', dose: 50, unit: 'mg', frequency: 'once-daily', route: 'oral', reason },
  });
  if (r.status < 200 || r.status >= 300) return null;
  assert.ok(r.json?.order?.id, `an acknowledged adjustment has an order id: ${r.text}`);
  return { visit: v.json.visit_id, order: r.json.order.id, reason };
}

// Writers adjusting prescriptions through the API, WRITERS at a time, until
// stop(); `acked` the adjustments acknowledged, each with its time.
function load(base, session) {
  const acked = []; // {visit, order, reason, at}
  let writing = true;
  const loops = Array.from({ length: WRITERS }, async () => {
    while (writing) {
      const a = await adjustOnce(base, session);
      if (a) acked.push({ ...a, at: Date.now() });
    }
  });
  return { acked, async stop() { writing = false; await Promise.all(loops); } };
}

test('a backup taken under load restores with every adjustment acknowledged before it, and a verified audit chain', { timeout: 150000, skip: POSTGRESQL && 'sqlite\'s own backup; PostgreSQL: pg_dump, below' }, async (t) => {
  const dataDir = await freshDir('live');
  const backupDir = await freshDir('copies');
  server = await startServer({ dataDir });
  const session = await server.login();
  const writers = load(server.baseUrl, session);
  const { acked } = writers;

  // A load under way: the first ten acknowledged (a slow build takes longer).
  await waitFor(() => acked.length >= 10, { timeout: 60000, interval: 50, what: 'ten adjustments acknowledged' });
  const backupFile = path.join(backupDir, 'telehealth-backup.db');
  const began = Date.now();
  const before = acked.filter((a) => a.at < began);
  const made = await admin(dataDir, 'backup', '--to', backupFile);
  const ended = Date.now();
  await sleep(500); // the writers went on during the backup and go on after it
  await writers.stop();
  assert.equal(made.code, 0, made.stderr);
  const copy = JSON.parse(made.stdout.trim().split('\n').pop());
  assert.equal(copy.backup, backupFile);
  assert.equal(copy.checked, 'integrity ok, audit chain intact');
  assert.ok(copy.audit_rows > 0 && copy.bytes > 0, made.stdout);
  const during = acked.filter((a) => a.at >= began && a.at <= ended).length;
  t.diagnostic(`${before.length} adjustments acknowledged before the backup, ${during} while it ran (${ended - began} ms), ${acked.length} in all`);
  assert.ok(before.length >= 10, 'a load was being written');
  assert.ok(acked.length > before.length, 'writes went on while the backup ran and after it');
  // Nothing but the backup itself is left beside it (no -wal, -shm or partial file).
  assert.deepEqual(await readdir(backupDir), ['telehealth-backup.db']);

  // Not into the data directory of a running server.
  const refused = await admin(dataDir, 'restore', '--from', backupFile);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /a telehealthd server is running on the data directory .*; stop it first/);
  const still = await fetchJson(`${server.baseUrl}/api/visits/${acked[acked.length - 1].visit}/record`, { session });
  assert.equal(still.status, 200, 'the running server still has its newest adjustment');
  assert.equal((await server.stop()).code, 0);
  server = null;

  // Into a fresh data directory; a server on it has everything acknowledged before the backup.
  const restoredDir = await freshDir('restored');
  const restored = await admin(restoredDir, 'restore', '--from', backupFile);
  assert.equal(restored.code, 0, restored.stderr);
  const r = JSON.parse(restored.stdout.trim().split('\n').pop());
  assert.equal(r.previous_database, null);
  assert.equal(r.audit_rows, copy.audit_rows);
  server = await startServer({ dataDir: restoredDir });
  const again = await server.login();
  for (const a of before) {
    const rec = await fetchJson(`${server.baseUrl}/api/visits/${a.visit}/record`, { session: again });
    assert.equal(rec.status, 200, `visit ${a.visit} of an adjustment acknowledged before the backup: ${rec.text.slice(0, 200)}`);
    const order = rec.json.orders.find((o) => o.id === a.order);
    assert.ok(order, `adjustment ${a.order} (${a.reason}) acknowledged before the backup is in the restored record`);
    assert.equal(order.reason, a.reason);
  }
  const audit = await admin(restoredDir, 'verify-audit');
  assert.equal(audit.code, 0, audit.stderr);
  const chain = JSON.parse(audit.stdout.trim());
  assert.equal(chain.chain_intact, true);
  assert.ok(chain.rows >= copy.audit_rows, audit.stdout);
  assert.equal((await server.stop()).code, 0);
  server = null;

  // A damaged backup is refused, and the database it would replace stays as it was.
  const damaged = path.join(backupDir, 'damaged.db');
  const bytes = await readFile(backupFile);
  for (let i = 8192; i < 8192 + 2048; i += 1) bytes[i] = (i * 7919) & 0xff; // page 3 overwritten
  await writeFile(damaged, bytes);
  const bad = await admin(restoredDir, 'restore', '--from', damaged);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /is damaged \(SQLite's integrity check failed\)/);
  assert.match(bad.stderr, /nothing was changed/);
  assert.deepEqual((await readdir(restoredDir)).filter((f) => /before-restore|restoring/.test(f)), []);
  server = await startServer({ dataDir: restoredDir });
  const third = await server.login();
  const last = before[before.length - 1];
  const rec = await fetchJson(`${server.baseUrl}/api/visits/${last.visit}/record`, { session: third });
  assert.ok(rec.json.orders.some((o) => o.id === last.order), 'the restored database is untouched by the refused restore');
});

test('backups by date into a folder keep the newest N; unclear arguments are refused', { timeout: 90000, skip: POSTGRESQL && 'sqlite\'s own backup' }, async () => {
  const dataDir = await freshDir('dated');
  const folder = path.join(await freshDir('folder'), 'backups');
  const made = [];
  for (let i = 0; i < 3; i += 1) {
    const r = await admin(dataDir, 'backup', '--to-dir', folder, '--keep', '2');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.match(path.basename(out.backup), /^telehealth-\d{8}T\d{12}Z\.db$/);
    made.push(out);
  }
  assert.deepEqual(made[0].removed, []);
  assert.deepEqual(made[1].removed, []);
  assert.deepEqual(made[2].removed, [made[0].backup], 'the third run removed the oldest');
  assert.deepEqual((await readdir(folder)).sort(), [made[1].backup, made[2].backup].map((p) => path.basename(p)).sort());
  for (const args of [
    ['backup'],
    ['backup', '--to', path.join(folder, 'x.db'), '--to-dir', folder],
    ['backup', '--to', path.join(folder, 'x.db'), '--keep', '3'],
    ['backup', '--to-dir', folder, '--keep', '-1'],
  ]) {
    const r = await admin(dataDir, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /say where with --to FILE, or --to-dir DIR/);
  }
  assert.equal((await readdir(folder)).length, 2, 'a refused run wrote nothing');
});

// ---------------------------------------------------------------- PostgreSQL

test('on PostgreSQL, admin backup and restore refuse, naming pg_dump and pg_restore, and write nothing', { timeout: 60000, skip: !POSTGRESQL && 'the store is sqlite' }, async () => {
  const dataDir = await freshDir('pg-refused');
  const folder = path.join(await freshDir('pg-folder'), 'backups');
  for (const args of [['backup', '--to', path.join(folder, 'x.db')], ['backup', '--to-dir', folder, '--keep', '2']]) {
    const r = await admin(dataDir, ...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /keeps its data in PostgreSQL; use PostgreSQL's own tools instead \(pg_dump to back up, pg_restore to restore/);
  }
  const r = await admin(dataDir, 'restore', '--from', path.join(folder, 'x.db'));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /pg_restore to restore/);
  assert.equal(existsSync(folder), false, 'nothing was written');
});

test('on PostgreSQL, a pg_dump taken under load restores into a fresh database with every adjustment acknowledged before it, and a verified audit chain', { timeout: 150000, skip: !POSTGRESQL && 'the store is sqlite' }, async (t) => {
  const dataDir = await freshDir('pg-live');
  const dumpFile = path.join(await freshDir('pg-dumps'), 'telehealth.dump');
  server = await startServer({ dataDir });
  const live = server.store;
  const session = await server.login();
  const writers = load(server.baseUrl, session);
  const { acked } = writers;

  await waitFor(() => acked.length >= 10, { timeout: 60000, interval: 50, what: 'ten adjustments acknowledged' });
  // The README's backup: pg_dump's custom format, while the server serves.
  const began = Date.now();
  const before = acked.filter((a) => a.at < began);
  const dumped = await run(`${PG_BIN}/pg_dump`, ['-Fc', '-f', dumpFile, '-d', live.dsn]);
  const ended = Date.now();
  await sleep(500);
  await writers.stop();
  assert.equal(dumped.code, 0, dumped.stderr);
  const during = acked.filter((a) => a.at >= began && a.at <= ended).length;
  t.diagnostic(`${before.length} adjustments acknowledged before pg_dump, ${during} while it ran (${ended - began} ms), ${acked.length} in all`);
  assert.ok(before.length >= 10, 'a load was being written');
  assert.ok(acked.length > before.length, 'writes went on while pg_dump ran and after it');
  assert.equal((await server.stop()).code, 0);
  server = null;

  // The README's restore, into a database made empty for it.
  const fresh = createDatabase(live, 'restored');
  databases.push(fresh);
  const restored = await run(`${PG_BIN}/pg_restore`, ['--clean', '--if-exists', '--single-transaction', '-d', fresh.dsn, dumpFile]);
  assert.equal(restored.code, 0, restored.stderr);
  const env = { TELEHEALTHD_DSN: fresh.dsn };
  const restoredDir = await freshDir('pg-restored');
  const first = await adminOn(env, restoredDir, 'verify-audit');
  assert.equal(first.code, 0, first.stderr);
  const chain = JSON.parse(first.stdout.trim());
  assert.equal(chain.chain_intact, true);
  assert.equal(chain.rows, dbValue(fresh, 'SELECT count(*) AS n FROM audit_events'));
  assert.ok(chain.rows >= before.length, `${chain.rows} audit rows for ${before.length} adjustments`);

  // A server on it has everything acknowledged before the dump began.
  server = await startServer({ dataDir: restoredDir, env });
  assert.equal(server.store.dsn, fresh.dsn);
  const again = await server.login();
  for (const a of before) {
    const rec = await fetchJson(`${server.baseUrl}/api/visits/${a.visit}/record`, { session: again });
    assert.equal(rec.status, 200, `visit ${a.visit} of an adjustment acknowledged before pg_dump: ${rec.text.slice(0, 200)}`);
    const order = rec.json.orders.find((o) => o.id === a.order);
    assert.ok(order, `adjustment ${a.order} (${a.reason}) acknowledged before pg_dump is in the restored record`);
    assert.equal(order.reason, a.reason);
  }
  assert.equal((await server.stop()).code, 0);
  server = null;
  const audit = await adminOn(env, restoredDir, 'verify-audit');
  assert.equal(audit.code, 0, audit.stderr);
  assert.equal(JSON.parse(audit.stdout.trim()).chain_intact, true);

  // The same restore over the database it came from (the README's way back
  // to a dump, the servers stopped): what came after the dump is gone.
  const after = acked.filter((a) => a.at > ended);
  assert.ok(after.length > 0, 'adjustments acknowledged after pg_dump ended');
  const back = await run(`${PG_BIN}/pg_restore`, ['--clean', '--if-exists', '--single-transaction', '-d', live.dsn, dumpFile]);
  assert.equal(back.code, 0, back.stderr);
  const orders = (list) => dbValue(live, 'SELECT count(*) AS n FROM medication_orders WHERE id = ANY (string_to_array($1, \',\'))',
    [list.map((a) => a.order).join(',')]);
  assert.equal(orders(before), before.length, 'every adjustment from before the dump');
  assert.equal(orders(after), 0, 'none from after it');
  const verified = await admin(dataDir, 'verify-audit');
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(JSON.parse(verified.stdout.trim()).chain_intact, true);
});
