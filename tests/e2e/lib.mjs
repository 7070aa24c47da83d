// Shared helpers for the browser tests: start/stop telehealthd, launch
// Debian's Chromium through playwright-core, read WebRTC stats, and drive one
// complete two-party visit. Everything here bounds its waits.
//
// Environment: TELEHEALTHD (the server binary) and TH_SOURCE_ROOT (the source
// tree, for config/telehealth.conf), both set by meson. Run inside
// tests/netns-run.sh so all traffic stays on a private loopback.
//
// startServer({tls: true}) runs the server with a self-signed certificate
// (HTTPS/WSS). Node-side requests (fetchJson, server.login) trust exactly
// that certificate (node:https with it as the CA); browsers launched with
// {server} trust it through Chromium's SPKI allow-list.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

export const CHROMIUM = process.env.TH_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// ------------------------------------------------------------------ utils

// Polls fn() until it returns a truthy value; throws with `what` on timeout.
export async function waitFor(fn, { timeout = 10000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : last !== undefined ? ` (last: ${JSON.stringify(last)})` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${detail}`);
    }
    await sleep(interval);
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

export function fragmentOf(url) {
  const u = new URL(url);
  return Object.fromEntries(new URLSearchParams(u.hash.replace(/^#/, '')));
}

// ------------------------------------------------------------------ server

export function requireEnv() {
  const bin = process.env.TELEHEALTHD;
  const root = process.env.TH_SOURCE_ROOT;
  if (!bin || !root) {
    throw new Error('TELEHEALTHD and TH_SOURCE_ROOT must be set (meson sets them; see tests/CONTRACT.md)');
  }
  return { bin, root };
}

// The certificates of the HTTPS servers this process started, by origin:
// fetchJson and server.login trust them (and nothing else).
const trustedCa = new Map();

// A copy of a config file's text with `settings` ({section: {key: value}})
// put in: existing keys are replaced in their section, missing ones added.
export function rewriteConfig(text, settings) {
  const pending = Object.fromEntries(Object.entries(settings).map(([sec, kv]) => [sec, { ...kv }]));
  const out = [];
  let section = null;
  const flush = () => {
    if (section && pending[section]) {
      for (const [k, v] of Object.entries(pending[section])) out.push(`${k} = ${v}`);
      delete pending[section];
    }
  };
  for (const line of text.split('\n')) {
    const head = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (head) {
      flush();
      section = head[1].trim();
      out.push(line);
      continue;
    }
    const kv = /^\s*([A-Za-z0-9_.-]+)\s*=/.exec(line);
    if (kv && section && pending[section] && Object.hasOwn(pending[section], kv[1])) {
      out.push(`${kv[1]} = ${pending[section][kv[1]]}`);
      delete pending[section][kv[1]];
      continue;
    }
    out.push(line);
  }
  flush();
  for (const [sec, kv] of Object.entries(pending)) {
    out.push('', `[${sec}]`, ...Object.entries(kv).map(([k, v]) => `${k} = ${v}`));
  }
  return out.join('\n');
}

// base64(sha256(SubjectPublicKeyInfo)): what --ignore-certificate-errors-spki-list takes.
export function spkiHash(pem) {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

// ------------------------------------------------------------------ clock

// Tests never depend on the real date: a server started here runs on the
// clock and in the clinic time zone its test asks for, or else on the
// suite-wide TH_TEST_NOW / TH_TEST_TIME_ZONE (see the README, "Running the
// suite at another date and hour"), or else on the real clock in UTC.
// TH_TEST_NOW is an ISO 8601 time: with an offset (or Z) it is that instant;
// without, it is a wall-clock time in the clinic's zone.

// The offset of `zone` from UTC at instant `ms`, in ms.
function zoneOffsetMs(zone, ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day),
    Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - (Math.floor(ms / 1000) * 1000);
}

// "2026-12-31T00:30:00" in `zone`, or "2026-12-31T00:30:00-05:00" → unix ms.
export function instantOf(text, zone = 'UTC') {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) throw new Error(`"${text}" is not an ISO 8601 time such as 2026-12-31T00:30:00`);
  if (m[7]) return Date.parse(text);
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  // The offset at the wall time read as UTC, then again at the result (a
  // change of offset between the two, e.g. DST, settles on the second).
  let at = wall - zoneOffsetMs(zone, wall);
  at = wall - zoneOffsetMs(zone, at);
  return at;
}

// The calendar date ("YYYY-MM-DD") of instant `ms` in `zone`.
export function dateIn(ms, zone = 'UTC') {
  return new Date(ms + zoneOffsetMs(zone, ms)).toISOString().slice(0, 10);
}

// `date` ("YYYY-MM-DD") plus `days` (may be negative).
export function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// {nowMs, timeZone} for a server: the test's own, else the suite's, else
// null (the real clock) and UTC.
export function testClock({ now, timeZone } = {}) {
  const zone = timeZone || process.env.TH_TEST_TIME_ZONE || null;
  const text = now || process.env.TH_TEST_NOW || null;
  if (text && process.env.TH_TEST_CLOCK !== '1') {
    throw new Error('this test sets the server\'s clock, which only a test build honours: '
      + 'meson configure <build dir> -Dtest_clock=true (scripts/test.sh does it)');
  }
  return { nowMs: text ? instantOf(text, zone || 'UTC') : null, timeZone: zone };
}

// A GLib warning or critical in the server's log: GObject's own, any
// g_critical, and any domain's g_warning ("th-signaling-WARNING **: ...").
export const LOG_PROBLEM = /GLib-GObject-WARNING|CRITICAL|-WARNING \*\*/;

// Starts telehealthd with a fresh data dir on a free port in --demo mode and
// resolves once it printed its demo JSON line on stdout. `configPath` replaces
// config/telehealth.conf; a given `dataDir` is used and kept on stop (the
// caller removes it), e.g. to restart on the same data. `tls`: a temporary
// copy of the config with `[tls] self_signed = true` (and the catalog's
// absolute path, when it names one): HTTPS/WSS with the certificate the server makes on first
// start (<data dir>/tls/cert.pem), which fetchJson, server.login and
// browsers launched with {server} then trust. `port`: listen on that port
// of 127.0.0.1 instead of a free one (a restart on the same address).
// `now` (ISO 8601, see instantOf) and `timeZone` (IANA) set the server's
// clock and [clinic] time_zone, over TH_TEST_NOW / TH_TEST_TIME_ZONE;
// `settings` ({section: {key: value}}) go into a copy of the config, and so
// does [media] engine from the environment's TH_MEDIA_ENGINE.
// server.nowMs is the instant the server's clock started at and
// server.timeZone its zone; server.today() the clinic's date now.
// server.stop() fails (rejects) when the server's log had a GLib warning or
// critical line (LOG_PROBLEM): a log that cries on every visit hides the one
// that matters. `allowLog` (RegExps), or server.allowLog(re) later, exempts
// the lines a test provokes on purpose. `env` is added to the server's
// environment (e.g. its own TELEHEALTHD_DSN); server.store says where its
// records are (storeOf, below). On PostgreSQL a new data directory after the
// first gets a database of its own (databaseOf, below), as it would get a
// new sqlite file.
export async function startServer({ extraArgs = [], timeout = 20000, configPath, dataDir: keptDir, tls = false, port = 0, now, timeZone, settings = {}, allowLog = [], env: extraEnv = {} } = {}) {
  const { bin, root } = requireEnv();
  const clock = testClock({ now, timeZone });
  // TH_CONFIG: the config a test starts from when it names none (the
  // package test: the installed /etc/telehealthd/telehealth.conf).
  let config = configPath || process.env.TH_CONFIG || path.join(root, 'config', 'telehealth.conf');
  // A --config among the extra arguments is the config to start from; a
  // --data-dir there is the data directory, kept as `dataDir` is.
  const rest = [];
  for (let i = 0; i < extraArgs.length; i++) {
    if (extraArgs[i] === '--config' && i + 1 < extraArgs.length) config = extraArgs[++i];
    else if (extraArgs[i] === '--data-dir' && i + 1 < extraArgs.length) keptDir = extraArgs[++i];
    else rest.push(extraArgs[i]);
  }
  const dataDir = keptDir || await mkdtemp(path.join(tmpdir(), 'th-data-'));
  let configDir = null;
  const changes = { ...settings };
  if (tls) changes.tls = { ...changes.tls, self_signed: 'true' };
  if (clock.timeZone) changes.clinic = { time_zone: clock.timeZone, ...changes.clinic };
  // The suite runs some browser tests once more on the other media engine
  // (tests/meson.build): the same test, [media] engine set from outside.
  if (process.env.TH_MEDIA_ENGINE) changes.media = { engine: process.env.TH_MEDIA_ENGINE, ...changes.media };
  if (Object.keys(changes).length) {
    configDir = await mkdtemp(path.join(tmpdir(), 'th-conf-'));
    const text = await readFile(config, 'utf8');
    // A catalog or monitoring table the original names keeps pointing where
    // it did from the original's folder (a copied config whose relative file
    // is not beside it means ours); one it leaves unset stays unset, and the
    // server reads its built-in one (the installed one, for a package's).
    const keep = {};
    for (const key of ['catalog', 'monitoring']) {
      const m = new RegExp(`^\\s*${key}\\s*=\\s*(\\S.*?)\\s*$`, 'm').exec(text);
      if (!m) continue;
      const own = path.resolve(path.dirname(config), m[1]);
      keep[key] = existsSync(own) ? own : path.resolve(root, 'config', path.basename(m[1]));
    }
    changes.prescribing = { ...keep, ...changes.prescribing };
    config = path.join(configDir, 'telehealth.conf');
    await writeFile(config, rewriteConfig(text, changes));
  }
  const args = ['--config', config,
    '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--demo', ...rest];
  const ownDsn = databaseOf(dataDir, { env: extraEnv, settings });
  const env = { ...process.env, ...extraEnv, ...(ownDsn ? { TELEHEALTHD_DSN: ownDsn } : {}) };
  if (clock.nowMs !== null) env.TELEHEALTHD_TEST_NOW = new Date(clock.nowMs).toISOString();
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stdoutLines = [];
  let stderrBuf = '';
  let stderrPartial = '';
  const allowed = [...allowLog];
  // The server says loudly that a test clock runs (it is meant to): that
  // line is ours to expect whenever we set the clock.
  if (env.TELEHEALTHD_TEST_NOW) allowed.push(/TEST CLOCK in force \(TELEHEALTHD_TEST_NOW\)/);
  // libnice's UPnP helper (gupnp) binds an HTTP port of its own choosing and
  // warns when another process took it first; UPnP does nothing on the
  // test's loopback-only network, so that line says nothing about us.
  allowed.push(/gupnp-context(-manager)?-WARNING \*\*.*(Unable to listen on|Error creating GUPnP context)/);
  // Debian 12's GStreamer 1.22.0 races in rtpsession's RTCP thread (a source
  // added while a callback let go of the session lock); GLib cuts that one
  // walk of the sources short and says so. Fixed upstream in 1.22.3 (commit
  // b9f7ab6). Our code never walks a table with g_hash_table_foreach.
  allowed.push(/GLib-CRITICAL \*\*.*g_hash_table_foreach: assertion 'version == hash_table->version' failed/);
  const logProblems = { count: 0, lines: [] };
  // Every whole stderr line, as it comes (the tail kept in stderrBuf is cut).
  const scanLog = (text) => {
    for (const line of text.split('\n')) {
      if (!LOG_PROBLEM.test(line) || allowed.some((re) => re.test(line))) continue;
      logProblems.count++;
      if (logProblems.lines.length < 20) logProblems.lines.push(line);
    }
  };
  let partial = '';
  let demo = null;
  let spawnError = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  proc.on('error', (err) => { spawnError = err; });
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl).trim();
      partial = partial.slice(nl + 1);
      if (!line) continue;
      stdoutLines.push(line);
      if (line.startsWith('{')) {
        try {
          const obj = JSON.parse(line);
          if (obj && obj.patient_url && obj.provider_url) demo = obj;
        } catch { /* not the demo line */ }
      }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    stderrPartial += chunk;
    const nl = stderrPartial.lastIndexOf('\n');
    if (nl >= 0) {
      scanLog(stderrPartial.slice(0, nl));
      stderrPartial = stderrPartial.slice(nl + 1);
    }
    stderrBuf += chunk;
    if (stderrBuf.length > 200000) stderrBuf = stderrBuf.slice(-100000);
    if (process.env.TH_TEST_VERBOSE) process.stderr.write(`[telehealthd] ${chunk}`);
  });

  const server = {
    proc,
    dataDir,
    configPath: config,
    env,
    store: storeOf({ dataDir, env, settings: changes }),
    nowMs: clock.nowMs ?? Date.now(),
    timeZone: clock.timeZone || 'UTC',
    startedAt: Date.now(),
    // The server's clock now (unix ms): it advances in real time from nowMs.
    now() { return this.nowMs + (Date.now() - this.startedAt); },
    // The clinic's date by the server's clock.
    today() { return dateIn(this.now(), this.timeZone); },
    stdoutLines,
    get demo() { return demo; },
    stderrTail(n = 40) {
      return stderrBuf.split('\n').slice(-n).join('\n');
    },
    alive() { return proc.exitCode === null && proc.signalCode === null; },
    exited,
    stopped: null,
    // Lines matching `re` are not counted as the server's warnings.
    allowLog(re) { allowed.push(re); },
    // The GLib warning/critical lines logged so far: {count, lines (the first 20)}.
    logProblems() { return { count: logProblems.count, lines: [...logProblems.lines] }; },
    // SIGTERM, then wait; SIGKILL after `grace` ms. Resolves {code, signal,
    // killed}; rejects when the log had a GLib warning or critical (unless
    // checkLog is false: a server that failed to start is reported as such).
    async stop({ grace = 10000, checkLog = true } = {}) {
      if (this.stopped) return this.stopped;
      this.stopped = (async () => {
        let killed = false;
        if (this.alive()) {
          proc.kill('SIGTERM');
          const res = await withTimeout(exited, grace, 'telehealthd to exit after SIGTERM').catch(() => null);
          if (!res) {
            killed = true;
            proc.kill('SIGKILL');
          }
        }
        const res = await exited;
        // stderr may still hold its last lines after the exit event.
        await withTimeout(new Promise((resolve) => (proc.stderr.readableEnded ? resolve() : proc.stderr.once('close', resolve))),
          2000, 'telehealthd stderr to close').catch(() => {});
        scanLog(stderrPartial);
        stderrPartial = '';
        if (!keptDir) await rm(dataDir, { recursive: true, force: true });
        if (configDir) await rm(configDir, { recursive: true, force: true });
        if (this.baseUrl) trustedCa.delete(this.baseUrl);
        return { ...res, killed };
      })();
      const res = await this.stopped;
      if (checkLog && logProblems.count) {
        throw new Error(`telehealthd logged ${logProblems.count} GLib warning/critical line(s), e.g.:\n${logProblems.lines.slice(0, 10).join('\n')}`);
      }
      return res;
    },
  };

  try {
    await waitFor(() => {
      if (spawnError) throw spawnError;
      if (!server.alive()) throw new Error(`telehealthd exited early (code ${proc.exitCode}, signal ${proc.signalCode})`);
      return demo;
    }, { timeout, what: 'the demo JSON line on telehealthd stdout' });
  } catch (err) {
    const tail = server.stderrTail();
    await server.stop({ grace: 2000, checkLog: false });
    throw new Error(`${err.message}\n--- telehealthd stdout ---\n${stdoutLines.join('\n')}\n--- telehealthd stderr (tail) ---\n${tail}`);
  }
  const u = new URL(demo.patient_url);
  server.baseUrl = `${u.protocol}//${u.host}`;
  server.port = Number(u.port);
  server.tls = u.protocol === 'https:';
  server.providerLogin = demo.provider_login || null;
  if (tls) {
    try {
      if (!server.tls) throw new Error(`the demo links are not https: ${demo.patient_url}`);
      server.certPem = await readFile(path.join(dataDir, 'tls', 'cert.pem'), 'utf8');
      server.certSpki = spkiHash(server.certPem);
      trustedCa.set(server.baseUrl, server.certPem);
    } catch (err) {
      const tail = server.stderrTail();
      await server.stop({ grace: 2000, checkLog: false });
      throw new Error(`TLS server: ${err.message}\n--- telehealthd stderr (tail) ---\n${tail}`);
    }
  }
  // Signs a staff member in through the REST API (the demo provider by
  // default); resolves {cookie, csrf, staff} for fetchJson's `session`.
  server.login = async (username = server.providerLogin?.username,
    password = server.providerLogin?.password) => {
    const res = await rawRequest(`${server.baseUrl}/api/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }), timeout: 10000,
    });
    let json = null;
    try { json = JSON.parse(res.text); } catch { /* not JSON */ }
    if (res.status !== 200) throw new Error(`sign-in as ${username} failed: ${res.status} ${JSON.stringify(json)}`);
    const setCookie = res.headers.get('set-cookie') || '';
    const cookie = setCookie.split(';')[0];
    return { cookie, csrf: json.csrf_token, staff: json.staff, setCookie };
  };
  return server;
}

// One HTTP(S) request: fetch for http; for https node:https trusting the
// certificate of the server started here (or `ca`). Resolves
// {status, headers: {get(name)}, text}.
export async function rawRequest(url, { method = 'GET', headers = {}, body, timeout = 5000, ca } = {}) {
  const u = new URL(url);
  if (u.protocol !== 'https:') {
    const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeout) });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }
  const trust = ca || trustedCa.get(u.origin);
  // An explicit length: node would otherwise send the body chunked.
  const sendHeaders = body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) };
  return withTimeout(new Promise((resolve, reject) => {
    const req = https.request(u, { method, headers: sendHeaders, ca: trust, minVersion: 'TLSv1.2', timeout }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        const raw = res.headers;
        const get = (name) => {
          const v = raw[String(name).toLowerCase()];
          return v === undefined ? null : [].concat(v).join(', ');
        };
        resolve({ status: res.statusCode, headers: { get }, text });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeout} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  }), timeout + 1000, `${method} ${url}`);
}

// `token`: a patient's join token (Bearer); `session`: a staff session from
// server.login() (cookie, plus the CSRF header on anything but GET).
export async function fetchJson(url, { token, session, method = 'GET', body, timeout = 5000, headers: extra = {} } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (session) {
    headers.Cookie = session.cookie;
    if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await rawRequest(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), timeout,
  });
  const { text } = res;
  let json = null;
  try { json = JSON.parse(text); } catch { /* leave null */ }
  return { status: res.status, json, text };
}

// A patient of the server's demo visit in its signaling, said hello.
// probe() times one round trip through the main loop: a message the server
// answers at once (an unknown type gets `error unknown-type`, the
// connection stays open); close() hangs up.
export async function signalingProbe(server) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`);
  const waiters = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    const i = waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(msg);
  });
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'WebSocket open');
  const next = (pred) => withTimeout(new Promise((resolve) => waiters.push({ pred, resolve })), 5000, 'a signaling answer');
  const welcome = next((m) => m.type === 'welcome');
  ws.send(JSON.stringify({ type: 'hello', token: fragmentOf(server.demo.patient_url).token }));
  assert.equal((await welcome).role, 'patient');
  return {
    async probe() {
      const t0 = performance.now();
      const answer = next((m) => m.type === 'error' && m.code === 'unknown-type');
      ws.send(JSON.stringify({ type: 'probe' }));
      await answer;
      return performance.now() - t0;
    },
    close() { ws.terminate(); },
  };
}

// ------------------------------------------------------------------ the store (issue 18)

// A test reaches the server's database one way, whichever store the server
// runs on: the sqlite file in its data directory, or the PostgreSQL database
// TELEHEALTHD_DSN names (tests/pg/with-pg.sh sets it for the PostgreSQL pass
// of scripts/test.sh; the server takes it from its environment, as here).
// `target` is a server from startServer, a data directory, or a store from
// storeOf. What a test looks at must mean the same on both: name the
// columns (count(*) is "count(*)" on sqlite and "count" on PostgreSQL).

const PSQL = '/usr/bin/psql';
// Debian's python3, whose sqlite3 module is the system's libsqlite3.
const PYTHON = '/usr/bin/python3';

// On PostgreSQL (the test program's TELEHEALTHD_DSN, one database per
// program from with-pg.sh), servers on different data directories would
// share one database where on sqlite each has a file of its own: a server a
// test expects to start empty would not. So the first data directory a
// program starts a server on uses that database, and each other one a new
// database beside it (<db>_<n>, dropped by with-pg.sh), which a restart on
// the same directory finds again; storeOf(dataDir) and storeEnv(dataDir)
// know it. Not when the test names a store itself (env TELEHEALTHD_DSN,
// settings [store]): nodes meant to share one database do.
const dataDirDatabases = new Map(); // path.resolve(dataDir) -> dsn

function databaseOf(dataDir, { env = {}, settings = {} } = {}) {
  const dsn = process.env.TELEHEALTHD_DSN;
  if (!dsn || env.TELEHEALTHD_DSN !== undefined || settings.store) return null;
  const key = path.resolve(dataDir);
  if (!dataDirDatabases.has(key)) {
    dataDirDatabases.set(key, dataDirDatabases.size === 0 ? dsn
      : createDatabase({ backend: 'postgresql', dsn }, String(dataDirDatabases.size)).dsn);
  }
  return dataDirDatabases.get(key);
}

// Where a server's records are, as server/config_store.c decides:
// {backend: 'postgresql', dsn} when its environment has TELEHEALTHD_DSN (or
// its config `[store] backend = postgresql` with a dsn), else
// {backend: 'sqlite', file} (telehealth.db in the data directory).
export function storeOf(target) {
  if (target && target.backend) return target;
  if (target && target.store) return target.store;
  const dataDir = typeof target === 'string' ? target : target?.dataDir;
  if (typeof target === 'string' && dataDirDatabases.has(path.resolve(target))) {
    return { backend: 'postgresql', dsn: dataDirDatabases.get(path.resolve(target)) };
  }
  const env = (target && typeof target === 'object' && target.env) || process.env;
  const store = target?.settings?.store || {};
  const dsn = env.TELEHEALTHD_DSN || (store.backend === 'postgresql' ? store.dsn : '');
  if (dsn) return { backend: 'postgresql', dsn };
  if (!dataDir) throw new Error('storeOf: a server, a data directory or a store');
  return { backend: 'sqlite', file: path.join(dataDir, 'telehealth.db') };
}

// The environment for a command on `target`'s store (the admin CLI with
// --data-dir): the test's own, with the data directory's database.
export function storeEnv(target) {
  if (target && target.env && target.store) return target.env;
  const store = storeOf(target);
  return { ...process.env, ...(store.backend === 'postgresql' ? { TELEHEALTHD_DSN: store.dsn } : {}) };
}

// The key=value parts of a libpq connection string as with-pg.sh writes it
// ("host=/tmp/x dbname=th_1 user=postgres": no quotes, no spaces in values).
function dsnParts(dsn) {
  return Object.fromEntries(dsn.trim().split(/\s+/).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

function psql(dsn, script, vars = {}) {
  const args = ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', dsn];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  const r = spawnSync(PSQL, args, { input: script, encoding: 'utf8', timeout: 30000 });
  if (r.error) throw new Error(`psql: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`psql (exit ${r.status}): ${r.stderr.trim()}\n--- the SQL ---\n${script}`);
  return r.stdout;
}

const SQLITE_SCRIPT = `
import json, sqlite3, sys
mode, db, sql, params = sys.argv[1:5]
if mode == 'query':
    c = sqlite3.connect('file:' + db + '?mode=ro', uri=True, timeout=5, isolation_level=None)
    cur = c.execute(sql, json.loads(params))
    names = [d[0] for d in cur.description or ()]
    print(json.dumps([dict(zip(names, r)) for r in cur], default=lambda b: '\\\\x' + b.hex()))
else:
    c = sqlite3.connect(db, timeout=5, isolation_level=None)
    c.executescript(sql)
c.close()
`;

function sqlite(mode, file, sql, params = []) {
  const r = spawnSync(PYTHON, ['-c', SQLITE_SCRIPT, mode, file, sql, JSON.stringify(params)],
    { encoding: 'utf8', timeout: 30000 });
  if (r.error) throw new Error(`python3 sqlite3: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sqlite (${file}): ${r.stderr.trim()}\n--- the SQL ---\n${sql}`);
  return r.stdout;
}

// The rows of one query, each an object by column name. Parameters are $1,
// $2, ... in the text (sqlite reads them as ?1, ?2); values are strings,
// numbers or null. A reader only (on sqlite, the file opened read-only).
export function dbQuery(target, sql, params = []) {
  const store = storeOf(target);
  const text = sql.trim().replace(/;$/, '');
  if (store.backend === 'sqlite') {
    return JSON.parse(sqlite('query', store.file, text.replace(/\$(\d+)/g, '?$1'), params));
  }
  // psql quotes each value as a literal (:'pN'); null is SQL's NULL.
  const vars = {};
  const bound = text.replace(/\$(\d+)/g, (_, n) => {
    const v = params[Number(n) - 1];
    if (v === undefined) throw new Error(`dbQuery: no value for $${n}`);
    if (v === null) return 'NULL';
    vars[`p${n}`] = String(v);
    return `:'p${n}'`;
  });
  return JSON.parse(psql(store.dsn, `SELECT coalesce(json_agg(q), '[]'::json) FROM (${bound}) q;\n`, vars));
}

// The first column of the first row (undefined when there is none).
export function dbValue(target, sql, params = []) {
  const [row] = dbQuery(target, sql, params);
  return row === undefined ? undefined : Object.values(row)[0];
}

// Runs statements (a script; each its own transaction unless it says
// BEGIN), as an administrator with the database would, behind the server's
// back. Throws with the database's words when one fails.
export function dbExec(target, script) {
  const store = storeOf(target);
  if (store.backend === 'sqlite') sqlite('exec', store.file, script);
  else psql(store.dsn, script.trim().endsWith(';') ? `${script}\n` : `${script};\n`);
}

// A new, empty PostgreSQL database beside `target`'s, in the same cluster,
// named after it (<db>_<suffix>, which tests/pg/with-pg.sh drops with its
// own): returns its store ({backend, dsn}); dropDatabase(store) drops it.
export function createDatabase(target, suffix) {
  const { dsn } = storeOf(target);
  if (!dsn) throw new Error('createDatabase: the server is not on PostgreSQL');
  if (!/^[a-z0-9_]+$/.test(suffix)) throw new Error(`createDatabase: "${suffix}" is not a plain name`);
  const parts = dsnParts(dsn);
  const name = `${parts.dbname}_${suffix}`;
  psql(dsn, `CREATE DATABASE "${name}";\n`);
  const copy = Object.entries({ ...parts, dbname: name }).map(([k, v]) => `${k}=${v}`).join(' ');
  return { backend: 'postgresql', dsn: copy, dbname: name, admin: dsn };
}

export function dropDatabase(store) {
  psql(store.admin, `DROP DATABASE IF EXISTS "${store.dbname}" WITH (FORCE);\n`);
}

// Store faults, made behind a running server's back: `table` gone, or a
// column of it under another name, for every statement that names it. The
// table is renamed out of the way rather than dropped, on either store (the
// same SQL), so the fault is the same to the server ("no such table" /
// "relation ... does not exist") while its rows, keys and triggers wait
// for the function each returns, which puts it back as it was.
export function hideTable(target, table) {
  const hidden = `${table}_hidden_by_test`;
  dbExec(target, `${lockWait(target)}ALTER TABLE ${table} RENAME TO ${hidden}`);
  return () => dbExec(target, `${lockWait(target)}ALTER TABLE ${hidden} RENAME TO ${table}`);
}

export function hideColumn(target, table, column, hidden = `${column}_hidden`) {
  dbExec(target, `${lockWait(target)}ALTER TABLE ${table} RENAME COLUMN ${column} TO ${hidden}`);
  return () => dbExec(target, `${lockWait(target)}ALTER TABLE ${table} RENAME COLUMN ${hidden} TO ${column}`);
}

// A change of schema waits for the server's transactions to end: at most
// 10 s on PostgreSQL (sqlite's busy wait is python's 5 s).
const lockWait = (target) => (storeOf(target).backend === 'postgresql' ? "SET lock_timeout = '10s';\n" : '');

// The key of the store's cluster-wide write lock on PostgreSQL, read from
// the source (STORE_PG_WRITE_LOCK in server/store/store-pg.h).
export function storePgWriteLockKey() {
  const { root } = requireEnv();
  const text = readFileSync(path.join(root, 'server', 'store', 'store-pg.h'), 'utf8');
  const m = /#define\s+STORE_PG_WRITE_LOCK\s+G_GINT64_CONSTANT\s*\(\s*(0x[0-9a-fA-F]+|\d+)\s*\)/.exec(text);
  if (!m) throw new Error('STORE_PG_WRITE_LOCK is not in server/store/store-pg.h');
  return BigInt(m[1]).toString();
}

// Another process takes the store's write lock and keeps it until
// release(), as the admin CLI or another node in the middle of a write
// would: on sqlite a write transaction (BEGIN IMMEDIATE, a row written), on
// PostgreSQL the advisory lock every changing transaction takes first
// (storePgWriteLockKey). Resolves once it is held, with release(), which
// rolls back and resolves to the performance.now() of the holder's exit.
export async function holdStoreWriteLock(target, { timeout = 10000 } = {}) {
  const store = storeOf(target);
  const child = store.backend === 'sqlite'
    ? spawn(PYTHON, ['-c', `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
c.execute('BEGIN IMMEDIATE')
c.execute("INSERT INTO login_failures (username, at) VALUES ('held', '2026-01-01T00:00:00.000Z')")
print('locked', flush=True)
sys.stdin.read()
c.execute('ROLLBACK')
`, store.file], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(PSQL, ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', store.dsn], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { err += c; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  if (store.backend === 'postgresql') {
    // The advisory lock holds every transaction that changes something; a
    // single-statement write takes no transaction of ours, so every table is
    // locked too, as sqlite's write lock holds the whole file: reads go on
    // (EXCLUSIVE lets them), writes wait. Not the nodes' heartbeat and
    // leases: a node's own bookkeeping, not the record being written.
    child.stdin.write(`BEGIN;\nSELECT pg_advisory_xact_lock(${storePgWriteLockKey()});\n` +
      "DO $$DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'" +
      " AND tablename NOT IN ('cluster_nodes', 'visit_leases') LOOP" +
      " EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', t); END LOOP; END$$;\n\\echo locked\n");
  }
  try {
    await withTimeout((async () => {
      while (!/^locked$/m.test(out)) {
        if (child.exitCode !== null) throw new Error(`the lock holder exited (${child.exitCode}): ${err}`);
        await sleep(10);
      }
    })(), timeout, 'another process to take the store\'s write lock');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  let released = null;
  return {
    release() {
      if (!released) {
        released = (async () => {
          child.stdin.end(store.backend === 'sqlite' ? '' : 'ROLLBACK;\n');
          const code = await withTimeout(exited, timeout, 'the lock holder to let go').catch((e) => {
            child.kill('SIGKILL');
            throw e;
          });
          if (code !== 0) throw new Error(`the lock holder failed (${code}): ${err}`);
          return performance.now();
        })();
      }
      return released;
    },
  };
}

// ------------------------------------------------------------------ browser

// One persistent context (its own profile dir) per participant. `server`: a
// TLS server from startServer({tls: true}) whose self-signed certificate
// this browser trusts (by its public key; no other certificate error is
// ignored).
// dropArgs: CHROMIUM_ARGS to leave out (e.g. the fake devices, to see
// what a machine without a camera gets).
export async function launchParticipant(name, { extraArgs = [], server = null, dropArgs = [] } = {}) {
  const profile = await mkdtemp(path.join(tmpdir(), `th-chromium-${name}-`));
  const trust = server && server.certSpki ? [`--ignore-certificate-errors-spki-list=${server.certSpki}`] : [];
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: false,
      args: [...CHROMIUM_ARGS.filter((a) => !dropArgs.includes(a)), ...trust, ...extraArgs],
      viewport: { width: 1100, height: 800 },
      timeout: 30000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  const consoleErrors = [];
  page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${name}: ${msg.text()}`);
  });
  return {
    name,
    context,
    page,
    pageErrors,
    consoleErrors,
    async close() {
      try {
        await withTimeout(context.close(), 15000, `closing ${name}'s browser`);
      } catch { /* the process dies with the test anyway */ }
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Inbound/outbound RTP stats of the page's current RTCPeerConnection.
export async function rtpStats(page) {
  return page.evaluate(async () => {
    const pc = window.__thPeer;
    if (!pc) return { peer: false };
    const out = { peer: true, connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState, inbound: {}, outbound: {} };
    const report = await pc.getStats();
    report.forEach((s) => {
      const kind = s.kind || s.mediaType;
      if (s.type === 'inbound-rtp') {
        // One inbound stream per m-line: keep the busiest of each kind (a
        // 1:1 visit receives on the first remote slot only).
        if (out.inbound[kind] && out.inbound[kind].packetsReceived > (s.packetsReceived || 0)) return;
        out.inbound[kind] = {
          packetsReceived: s.packetsReceived || 0,
          bytesReceived: s.bytesReceived || 0,
          framesDecoded: s.framesDecoded || 0,
          frameWidth: s.frameWidth || 0,
        };
      } else if (s.type === 'outbound-rtp') {
        out.outbound[kind] = { packetsSent: s.packetsSent || 0, framesEncoded: s.framesEncoded || 0 };
      }
    });
    return out;
  });
}

const framesOf = (s) => (s && s.inbound && s.inbound.video ? s.inbound.video.framesDecoded : 0);
const audioPacketsOf = (s) => (s && s.inbound && s.inbound.audio ? s.inbound.audio.packetsReceived : 0);

// Asserts media flows into `participant`'s page: decoded video frames grow
// between two samples, audio packets arrive, the remote <video> has a size.
// Returns the samples; throws with the stats in the message otherwise.
export async function assertMediaFlowing(participant, { timeout = 20000 } = {}) {
  const { page, name } = participant;
  let last = null;
  const sample = async () => { last = await rtpStats(page); return last; };
  try {
    await waitFor(async () => framesOf(await sample()) > 0,
      { timeout, interval: 250, what: `${name}: first decoded remote video frame` });
    const first = framesOf(last);
    await sleep(1500);
    await waitFor(async () => framesOf(await sample()) > first,
      { timeout: 5000, interval: 250, what: `${name}: decoded frames to keep growing past ${first}` });
    const second = framesOf(last);
    await waitFor(async () => audioPacketsOf(await sample()) > 0,
      { timeout: 5000, interval: 250, what: `${name}: inbound audio packets` });
    const videoWidth = await waitFor(
      () => page.$eval('[data-testid="remote-video"]', (v) => v.videoWidth),
      { timeout: 5000, what: `${name}: remote <video> videoWidth > 0` });
    return { first, second, audioPackets: audioPacketsOf(last), videoWidth };
  } catch (err) {
    throw new Error(`MEDIA NOT FLOWING into ${name}: ${err.message}\nlast stats: ${JSON.stringify(last)}`);
  }
}

export async function stateOf(page) {
  return page.$eval('[data-testid="visit-state"]', (el) => el.dataset.state);
}

export async function waitForState(participant, state, timeout = 15000) {
  try {
    await participant.page.waitForSelector(`[data-testid="visit-state"][data-state="${state}"]`, { timeout, state: 'attached' });
  } catch {
    const seen = await stateOf(participant.page).catch(() => '?');
    const text = await participant.page.textContent('body').catch(() => '');
    throw new Error(`${participant.name}: visit-state never became "${state}" (is "${seen}")\npage text: ${text.replace(/\s+/g, ' ').slice(0, 600)}`);
  }
}

// ------------------------------------------------------------------ staff sign-in (issue 4)

const pathOf = (page) => { try { return new URL(page.url()).pathname; } catch { return ''; } };

// Signs in on the sign-in page the browser is on (or is being sent to) and
// waits until it has left it. `login`: {username, password}.
export async function signInOnLoginPage(participant, login, { timeout = 15000 } = {}) {
  const { page, name } = participant;
  if (!login || !login.username || !login.password) throw new Error(`${name}: no sign-in credentials (demo.provider_login missing?)`);
  await page.waitForURL((u) => u.pathname === '/login.html', { timeout });
  await page.locator('[data-testid="login-username"]').waitFor({ state: 'visible', timeout });
  await page.fill('[data-testid="login-username"]', login.username);
  await page.fill('[data-testid="login-password"]', login.password);
  await page.click('[data-testid="login-submit"]');
  try {
    await page.waitForURL((u) => u.pathname !== '/login.html', { timeout });
  } catch (err) {
    const shown = await page.locator('[data-testid="login-error"]').innerText().catch(() => '');
    throw new Error(`${name}: still on the sign-in page after signing in${shown ? ` (it says: ${shown})` : ''}: ${err.message}`);
  }
}

// Opens a staff page (the console link): when the browser has no session it
// is sent to the sign-in page; signs in with `login` and waits to be back on
// a console that shows who is signed in. Resolves {signedIn, url}: whether
// the sign-in page was used, and the address the browser landed on.
export async function openConsole(participant, url, login, { timeout = 15000 } = {}) {
  const { page, name } = participant;
  await page.goto(url, { waitUntil: 'load' });
  const logout = page.locator('[data-testid="logout"]');
  const where = await waitFor(async () => {
    if (pathOf(page) === '/login.html') return 'login';
    if (await logout.isVisible()) return 'console';
    return null;
  }, { timeout, what: `${name}: the console or the sign-in page` });
  let signedIn = false;
  if (where === 'login') {
    await signInOnLoginPage(participant, login, { timeout });
    signedIn = true;
    await logout.waitFor({ state: 'visible', timeout });
  }
  return { signedIn, url: page.url() };
}

// Drives one whole visit with two fresh browsers: patient joins, provider
// admits, media flows both ways, provider ends. `demo` is a server demo
// object ({visit_id, patient_url, provider_url}). Returns what it measured.
// `prepare(participant)` runs on each fresh browser before it opens its page
// (e.g. context.addInitScript). The browsers are always closed.
export async function runVisit(server, demo = server.demo, { log = () => {}, beforeEnd, prepare } = {}) {
  // Two browsers, launched side by side (each takes ~2 s to start).
  const launched = await Promise.allSettled([
    launchParticipant('patient', { server }), launchParticipant('provider', { server })]);
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(launched.filter((r) => r.status === 'fulfilled').map((r) => r.value.close()));
    throw failed.reason;
  }
  const [patient, provider] = launched.map((r) => r.value);
  try {
    if (prepare) for (const p of [patient, provider]) await prepare(p);
    await patient.page.goto(demo.patient_url, { waitUntil: 'load' });
    await acceptConsent(patient.page);
    const join = patient.page.locator('[data-testid="join"]');
    await join.waitFor({ state: 'visible' });
    await waitFor(() => join.isEnabled(), { timeout: 10000, what: 'patient Join button enabled' });
    await join.click();
    await patient.page.waitForSelector('text=The provider will admit you shortly', { timeout: 15000 });
    log('patient is in the waiting room');

    const landing = await openConsole(provider, demo.provider_url, demo.provider_login);
    log(`provider ${landing.signedIn ? 'signed in through the sign-in page and ' : ''}landed on ${landing.url}`);
    const admit = provider.page.locator('[data-testid="admit"]').first();
    await admit.waitFor({ state: 'visible', timeout: 15000 });
    const waitingText = await provider.page.innerText('[data-testid="waiting-list"]');
    await admit.click();
    log(`provider admitted (${waitingText.replace(/\s+/g, ' ').trim()})`);

    await waitForState(patient, 'in_progress');
    await waitForState(provider, 'in_progress');
    const [patientMedia, providerMedia] = await Promise.all([
      assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    log(`patient media ${JSON.stringify(patientMedia)}; provider media ${JSON.stringify(providerMedia)}`);

    if (beforeEnd) await beforeEnd({ patient, provider });

    await endVisit(provider.page);
    await Promise.all([waitForState(patient, 'ended'), waitForState(provider, 'ended')]);
    log('both pages show ended');

    const pageErrors = [...patient.pageErrors, ...provider.pageErrors];
    return {
      patientMedia, providerMedia, waitingText, pageErrors, landing,
      consoleErrors: [...patient.consoleErrors, ...provider.consoleErrors],
    };
  } catch (err) {
    const diag = [];
    for (const p of [patient, provider]) {
      diag.push(`${p.name} page errors: ${JSON.stringify(p.pageErrors)} console errors: ${JSON.stringify(p.consoleErrors.slice(-10))}`);
    }
    diag.push(`--- telehealthd stderr (tail) ---\n${server.stderrTail(60)}`);
    err.message = `${err.message}\n${diag.join('\n')}`;
    throw err;
  } finally {
    await Promise.all([patient.close(), provider.close()]);
  }
}

// ------------------------------------------------------------------ record helpers (issue 3)

// The join page asks for consent to a video visit before Join works
// (issue 7): answers "I agree" unless this link already agreed.
export async function acceptConsent(page, { timeout = 15000 } = {}) {
  const consent = page.locator('[data-testid="consent"]');
  await consent.waitFor({ state: 'visible', timeout });
  await waitFor(async () => (await consent.getAttribute('data-answer')) === 'accepted'
    || page.locator('[data-testid="consent-accept"]').isVisible(), { timeout, what: 'consent loaded' });
  if ((await consent.getAttribute('data-answer')) !== 'accepted') {
    await page.click('[data-testid="consent-accept"]');
    await waitFor(async () => (await consent.getAttribute('data-answer')) === 'accepted',
      { timeout, what: 'consent recorded' });
  }
}

// Opens the patient's link, agrees to the video visit and presses Join;
// resolves in the waiting room.
export async function joinAsPatient(participant, url, { timeout = 15000 } = {}) {
  const { page } = participant;
  await page.goto(url, { waitUntil: 'load' });
  await acceptConsent(page, { timeout });
  const join = page.locator('[data-testid="join"]');
  await join.waitFor({ state: 'visible', timeout });
  await waitFor(() => join.isEnabled(), { timeout, what: `${participant.name}: Join button enabled` });
  await join.click();
  await page.waitForSelector('text=The provider will admit you shortly', { timeout });
}

// Presses End visit in the console and confirms in its dialog ("End the
// visit for everyone?"); the server then ends the visit for everyone.
export async function endVisit(page, { timeout = 15000 } = {}) {
  await page.click('[data-testid="end-visit"]', { timeout });
  const dialog = page.locator('[data-testid="end-visit-dialog"]');
  await dialog.waitFor({ state: 'visible', timeout });
  await dialog.locator('[data-testid="end-visit-confirm"]').click({ timeout });
}

// Opens the provider console (signing in with `login` on the sign-in page
// when sent there) and admits the first person waiting.
export async function openConsoleAndAdmit(participant, url, { timeout = 15000, login } = {}) {
  const { page } = participant;
  await openConsole(participant, url, login, { timeout });
  const admit = page.locator('[data-testid="admit"]').first();
  await admit.waitFor({ state: 'visible', timeout });
  await waitFor(() => admit.isEnabled(), { timeout, what: `${participant.name}: Admit enabled` });
  const waitingText = await page.innerText('[data-testid="waiting-list"]');
  await admit.click();
  return waitingText;
}

// Answers the waiting-room check-in. answers: {phq9: [9 ints], gad7: [7],
// asrs18?: [18], sideEffects?: {name: severity}, missedDoses?: n (for every
// medication asked about) or {medication name: n}}. Radios are data-testid
// "<scale>-<item 1-based>-<value>".
export async function fillCheckin(page, answers, { timeout = 15000 } = {}) {
  await page.locator('[data-testid="checkin-form"]').waitFor({ state: 'visible', timeout });
  for (const scale of ['phq9', 'gad7', 'asrs18']) {
    const values = answers[scale];
    if (!values) continue;
    for (let i = 0; i < values.length; i += 1) {
      await page.check(`[data-testid="${scale}-${i + 1}-${values[i]}"]`, { timeout });
    }
  }
  for (const [name, severity] of Object.entries(answers.sideEffects || {})) {
    await page.selectOption(`[data-testid="side-effect-${name}"]`, String(severity), { timeout });
  }
  if (answers.missedDoses !== undefined) {
    const inputs = page.locator('[data-testid="missed-doses"] input[data-order-id]');
    for (let i = 0; i < await inputs.count(); i += 1) {
      const input = inputs.nth(i);
      const name = await input.getAttribute('data-medication');
      const n = typeof answers.missedDoses === 'number' ? answers.missedDoses : answers.missedDoses[name];
      if (n !== undefined) await input.fill(String(n), { timeout });
    }
  }
}

// ------------------------------------------------------------------ metrics (issue 17)

// The [metrics] listener's URL, from the line the server logs once it is
// bound ("metrics on http://127.0.0.1:PORT/metrics"): how a test started
// with [metrics] listen = 127.0.0.1:0 learns the port.
export async function metricsUrl(server, { timeout = 5000 } = {}) {
  return waitFor(() => /metrics on (http:\/\/\S+\/metrics)/.exec(server.stderrTail(1e6))?.[1],
    { timeout, what: 'the "metrics on http://..." line in the server log' });
}

// GET /metrics; resolves {status, headers, text, samples} where samples
// maps each line's series ("name{labels}" as written) to its value.
export async function scrapeMetrics(url, { token, timeout = 5000 } = {}) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const res = await rawRequest(url, { headers, timeout });
  const samples = new Map();
  for (const line of res.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return { ...res, samples };
}

// `promtool check metrics` (Debian's prometheus package) on a scrape's
// text: throws with what it said on any error or lint warning.
export function promtoolCheck(text) {
  const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20000 });
  if (res.error) throw new Error(`promtool could not run (apt-get install prometheus): ${res.error.message}`);
  if (res.status !== 0 || res.stdout.trim() || res.stderr.trim()) {
    throw new Error(`promtool check metrics (exit ${res.status}):\n${res.stdout}${res.stderr}`);
  }
}
