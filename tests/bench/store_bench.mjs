// store_bench.mjs — what a REST call and a sign-in cost with the store on
// PostgreSQL next to sqlite, in one run on one machine (issue 18): the same
// server, the same requests, one after the other, and the ratios.
//
// Run inside a fresh network namespace (tests/netns-run.sh) from a build's
// environment:
//   TELEHEALTHD=build/server/telehealthd TH_SOURCE_ROOT=. \
//     tests/netns-run.sh node tests/bench/store_bench.mjs [--rounds 300] [--out FILE]
// It starts a PostgreSQL of its own (tests/pg/pg-cluster.sh, a Unix socket
// in a temporary folder) and stops it at the end.
//
// For each store it measures, sequentially (one client: the latency a
// person waits, not a throughput under contention):
//   sign-in  POST /api/session (scrypt dominates: the store's share is small)
//   read     GET  /api/visits/{id} (a visit as the console shows it)
//   write    POST /api/visits (a new visit: a transaction with its audit row)
// the median and 95th percentile latency, and the CPU time per call of the
// server and, on PostgreSQL, of the database's processes too.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startServer, fetchJson, requireEnv } from '../e2e/lib.mjs';

const { values: opts } = parseArgs({
  options: { rounds: { type: 'string', default: '300' }, out: { type: 'string' } },
});
const ROUNDS = Number(opts.rounds);
const SIGNINS = Math.max(10, Math.round(ROUNDS / 15));
const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux

async function cpuSeconds(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime
  } catch { return 0; }
}

// The CPU of every process whose parent is `ppid` (PostgreSQL's backends),
// and of the parent itself.
async function treeCpu(ppid) {
  let total = await cpuSeconds(ppid);
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === ppid) total += (Number(f[11]) + Number(f[12])) / CLK_TCK;
    } catch { /* gone */ }
  }
  return total;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function measure(name, n, once, cpu) {
  const times = [];
  const before = await cpu();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await once(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const used = (await cpu()) - before;
  times.sort((a, b) => a - b);
  return { name, n, median_ms: quantile(times, 0.5), p95_ms: quantile(times, 0.95), cpu_ms_per_call: (used * 1000) / n };
}

async function benchOne(label, settings, dbPid) {
  const server = await startServer({ settings });
  try {
    const session = await server.login();
    const created = await fetchJson(`${server.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: 'Bench Patient' } });
    if (created.status !== 201 && created.status !== 200) throw new Error(`${label}: create a visit: ${created.status} ${JSON.stringify(created.json)}`);
    const visitId = created.json.visit_id;
    const serverCpu = () => cpuSeconds(server.proc.pid);
    const bothCpu = async () => (await serverCpu()) + (dbPid ? await treeCpu(dbPid) : 0);
    const read = async () => {
      const r = await fetchJson(`${server.baseUrl}/api/visits/${visitId}`, { session });
      if (r.status !== 200) throw new Error(`${label}: read: ${r.status}`);
    };
    const write = async (i) => {
      const r = await fetchJson(`${server.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: `Bench ${i}` } });
      if (r.status !== 201 && r.status !== 200) throw new Error(`${label}: write: ${r.status} ${JSON.stringify(r.json)}`);
    };
    // Warm both paths (connections, caches) before measuring.
    for (let i = 0; i < 20; i++) { await read(); await write(-i - 1); }
    const rows = [];
    for (const [name, n, fn] of [['sign-in', SIGNINS, () => server.login()], ['read', ROUNDS, read], ['write', ROUNDS, write]]) {
      const server_ = await measure(name, n, fn, serverCpu);
      const total = dbPid ? await measure(name, n, fn, bothCpu) : server_;
      rows.push({ store: label, ...server_, cpu_ms_per_call_with_db: total.cpu_ms_per_call });
    }
    return rows;
  } finally {
    await server.stop({ checkLog: false });
  }
}

async function main() {
  const { root } = requireEnv();
  delete process.env.TELEHEALTHD_DSN; // each server is told its store in its config
  const dir = await mkdtemp(path.join(tmpdir(), 'th-bench-pg-'));
  const cluster = dir; // pg-cluster.sh gives it to the postgres user when we are root
  const pgCluster = path.join(root, 'tests', 'pg', 'pg-cluster.sh');
  const started = spawnSync(pgCluster, ['start', cluster], { encoding: 'utf8', timeout: 60000 });
  if (started.status !== 0) throw new Error(`PostgreSQL: ${started.stdout}${started.stderr}`);
  try {
    const bin = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
    const made = spawnSync(`${bin}/createdb`, ['-h', cluster, '-U', 'postgres', 'bench'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`createdb: ${made.stderr}`);
    const postmaster = Number((await readFile(path.join(cluster, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const rows = [
      ...(await benchOne('sqlite', {}, 0)),
      ...(await benchOne('postgresql', { store: { backend: 'postgresql', dsn: `host=${cluster} dbname=bench user=postgres` } }, postmaster)),
    ];
    const by = (store, name) => rows.find((r) => r.store === store && r.name === name);
    console.log('call       store        median ms   p95 ms   server CPU ms/call   +database');
    for (const r of rows) {
      console.log(`${r.name.padEnd(10)} ${r.store.padEnd(12)} ${r.median_ms.toFixed(2).padStart(9)} ${r.p95_ms.toFixed(2).padStart(8)} ${r.cpu_ms_per_call.toFixed(3).padStart(20)} ${r.cpu_ms_per_call_with_db.toFixed(3).padStart(11)}`);
    }
    console.log('\nPostgreSQL / sqlite (same run):');
    for (const name of ['sign-in', 'read', 'write']) {
      const s = by('sqlite', name); const p = by('postgresql', name);
      console.log(`  ${name.padEnd(8)} latency ×${(p.median_ms / s.median_ms).toFixed(2)}  server CPU ×${(p.cpu_ms_per_call / s.cpu_ms_per_call).toFixed(2)}  CPU with database ×${(p.cpu_ms_per_call_with_db / s.cpu_ms_per_call_with_db).toFixed(2)}`);
    }
    if (opts.out) await writeFile(opts.out, JSON.stringify({ rounds: ROUNDS, rows }, null, 2));
  } finally {
    spawnSync(pgCluster, ['stop', cluster], { timeout: 60000 });
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
