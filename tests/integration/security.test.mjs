// The attack table: each row a real request against a running telehealthd,
// refused with the right status, and leaving a row in the hash-chained
// audit log. Plus what must be stored literally, and the chain verified and
// shown broken after an edit of the database behind the program's back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, requireEnv, testClock, dateIn, addDays, waitFor, dbExec, dbValue, storeEnv } from '../e2e/lib.mjs';
import { setDea, controlledReady, DEA_NUMBERS } from './controlled.mjs';

const { bin, root } = requireEnv();
const confPath = path.join(root, 'config', 'telehealth.conf');
let server;
let dataDir;
let session;
let demo;

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'th-sec-'));
  // The telemedicine policy window open for a year from the clinic's today
  // on the suite's clock: a PA's controlled start below is held for
  // co-signature whatever the date (records.test.mjs tests the window).
  const clock = testClock();
  const today = dateIn(clock.nowMs ?? Date.now(), clock.timeZone || 'UTC');
  server = await startServer({ extraArgs: ['--data-dir', dataDir],
    settings: { prescribing: { telemedicine_policy_end: addDays(today, 365) } } });
  demo = server.demo;
  session = await server.login();
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function admin(dir, ...args) {
  const r = spawnSync(bin, ['--config', confPath, '--data-dir', dir, 'admin', ...args],
    { encoding: 'utf8', timeout: 15000, env: storeEnv(dir) });
  return { status: r.status, stderr: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

// The audit rows written since `since` (a seq), newest last.
function auditSince(since, dir = dataDir) {
  const r = admin(dir, 'audit');
  assert.equal(r.status, 0, r.stderr);
  const verify = r.lines.pop();
  assert.equal(verify.chain_intact, true);
  return r.lines.filter((e) => e.seq > since);
}
const lastSeq = (dir = dataDir) => {
  const rows = admin(dir, 'audit').lines;
  rows.pop();
  return rows.length ? rows.at(-1).seq : 0;
};

async function expectRefused(what, fn, status, auditAction) {
  const since = lastSeq();
  const r = await fn();
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text ?? ''}`);
  const rows = auditSince(since);
  assert.ok(rows.some((e) => e.action === auditAction),
    `${what}: an audit row ${auditAction}; got ${JSON.stringify(rows.map((e) => e.action))}`);
  return r;
}

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, opts);

function rawGet(p) {
  const u = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'GET', timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

// Sends `frames` on a fresh connection, each once the one before was
// answered (a welcome or an error, what the frames here get: a hello is
// checked on a store worker, so its answer takes as long as the store
// does), each answer waited for at most 5 s; resolves every message received.
async function signal(frames, { cookie } = {}) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`, cookie ? { headers: { Cookie: cookie } } : {});
  const inbox = [];
  let answers = 0;
  ws.on('message', (d) => {
    const msg = JSON.parse(d.toString());
    inbox.push(msg);
    if (msg.type === 'welcome' || msg.type === 'error') answers += 1;
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  try {
    for (const [i, f] of frames.entries()) {
      ws.send(JSON.stringify(f));
      await waitFor(() => answers > i, { timeout: 5000, interval: 10, what: `the answer to ${f.type} (got ${JSON.stringify(inbox)})` });
    }
  } finally {
    ws.terminate();
  }
  return inbox;
}

test('staff routes without a session, with a bad cookie, or without CSRF are refused', async () => {
  await expectRefused('no session', () => api('/api/visits?day=today'), 401, 'http.refused');
  await expectRefused('unknown cookie', () => api('/api/visits?day=today', { headers: { Cookie: 'th_session=AAAA' } }), 401, 'http.refused');
  await expectRefused('missing CSRF', () => api('/api/visits', {
    method: 'POST', headers: { Cookie: session.cookie }, body: { patient_name: 'X' },
  }), 403, 'http.refused');
  await expectRefused('wrong CSRF', () => api('/api/visits', {
    method: 'POST', headers: { Cookie: session.cookie, 'X-CSRF-Token': 'forged' }, body: { patient_name: 'X' },
  }), 403, 'http.refused');
  const r = await api('/api/visits', { session, method: 'POST', body: { patient_name: 'With CSRF' } });
  assert.equal(r.status, 201);
});

test('a logged-out cookie is dead', async () => {
  const s = await server.login();
  assert.equal((await api('/api/session', { session: s })).status, 200);
  const out = await api('/api/session/logout', { session: s, method: 'POST', body: {} });
  assert.equal(out.status, 200);
  await expectRefused('reused logged-out cookie', () => api('/api/visits?day=today', { session: s }), 401, 'http.refused');
});

test('patients reach only their own visit; providers only their own patients', async () => {
  const patientToken = fragmentOf(demo.patient_url).token;
  const other = await api('/api/visits', { session, method: 'POST', body: { patient_name: 'Other Patient' } });
  const otherVisit = other.json.visit_id;
  await expectRefused('token for another visit', () => api(`/api/visits/${otherVisit}/checkin`, { token: patientToken }), 404, 'http.refused');
  await expectRefused('patient reading a record by id', () => api(`/api/visits/${otherVisit}/record`, { token: patientToken }), 401, 'http.refused');
  await expectRefused('patient posting an adjustment', () => api(`/api/visits/${demo.visit_id}/adjustments`, {
    token: patientToken, method: 'POST', body: { kind: 'stop', order_id: 'x', reason: 'x' },
  }), 401, 'http.refused');

  const acct = admin(dataDir, 'add-staff', '--username', 'dr.elsewhere', '--name', 'Dr. Elsewhere', '--role', 'psychiatrist');
  assert.equal(acct.status, 0, acct.stderr);
  const stranger = await server.login(acct.lines[0].username, acct.lines[0].password);
  await expectRefused("a provider reading another provider's record", () => api(`/api/visits/${demo.visit_id}/record`, { session: stranger }), 404, 'http.refused');
  const pid = (await api(`/api/visits/${demo.visit_id}/record`, { session })).json.patient.id;
  await expectRefused("a provider reading another provider's patient timeline", () => api(`/api/patients/${pid}/timeline`, { session: stranger }), 404, 'http.refused');
  await expectRefused("a provider prescribing in another's visit", () => api(`/api/visits/${demo.visit_id}/adjustments`, {
    session: stranger, method: 'POST', body: { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'x' },
  }), 404, 'http.refused');

  // An admin reads the clinic's visits but writes nothing clinical.
  const adm = admin(dataDir, 'add-staff', '--username', 'clinic.admin', '--name', 'Clinic Admin', '--role', 'admin');
  const adminSession = await server.login(adm.lines[0].username, adm.lines[0].password);
  assert.equal((await api(`/api/visits/${demo.visit_id}/record`, { session: adminSession })).status, 200);
  // (403: one who may read the visit is told why they may not write in it.)
  await expectRefused('an admin writing a note', () => api(`/api/visits/${demo.visit_id}/notes`, {
    session: adminSession, method: 'POST', body: { text: 'x' },
  }), 403, 'http.refused');
});

test("a physician assistant's controlled-substance change stays pending; they cannot co-sign it", async () => {
  const me = (await api('/api/session', { session })).json.staff;
  const acct = admin(dataDir, 'add-staff', '--username', 'pa.sec', '--name', 'PA Sec', '--role', 'pa', '--supervisor', me.id);
  assert.equal(acct.status, 0, acct.stderr);
  const pa = await server.login(acct.lines[0].username, acct.lines[0].password);
  const v = await api('/api/visits', { session: pa, method: 'POST', body: { patient_name: 'PA Sec Patient' } });
  // The PA's own (mid-level) DEA registration for the patient's state, and a
  // PDMP check: what a controlled order needs.
  const pid = (await api(`/api/visits/${v.json.visit_id}/record`, { session: pa })).json.patient.id;
  setDea(server, acct.lines[0].staff_id, { number: DEA_NUMBERS.midLevel, schedules: '2N,3N,4,5', dataDir });
  await controlledReady(server, (p, o = {}) => api(p, { session: pa, ...o }), pid);
  const r = await api(`/api/visits/${v.json.visit_id}/adjustments`, {
    session: pa, method: 'POST', body: { kind: 'start', medication: 'methylphenidate-ir', dose: 10, frequency: 'twice-daily', reason: 'ADHD' },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'pending');
  const rec = await api(`/api/visits/${v.json.visit_id}/record`, { session: pa });
  assert.equal(rec.json.current_medications.length, 0, 'not a current medication without co-signature');
  await expectRefused('PA co-signing their own order', () => api(`/api/orders/${r.json.order.id}/cosign`, {
    session: pa, method: 'POST', body: {},
  }), 403, 'http.refused');
});

test('join links: outside their window, revoked, or for a role they are not', async () => {
  // Three days after the server's clock (which a test build may have set).
  const later = new Date(server.now() + 3 * 24 * 3600 * 1000).toISOString();
  const v = await api('/api/visits', { session, method: 'POST', body: { patient_name: 'Future Patient', scheduled_at: later } });
  const futureToken = fragmentOf(v.json.patient_url).token;
  await expectRefused('token outside its window (REST)', () => api(`/api/visits/${v.json.visit_id}/checkin`, { token: futureToken }), 401, 'http.refused');
  let since = lastSeq();
  let inbox = await signal([{ type: 'hello', token: futureToken }]);
  assert.equal(inbox[0].code, 'unauthorized');
  assert.ok(auditSince(since).some((e) => e.action === 'signaling.refused'));

  const g = await api(`/api/visits/${demo.visit_id}/guests`, { session, method: 'POST', body: { display_name: 'Interpreter' } });
  assert.equal(g.status, 201, g.text);
  const guestToken = fragmentOf(g.json.guest_url).token;
  inbox = await signal([{ type: 'hello', token: guestToken }]);
  assert.equal(inbox[0].type, 'welcome');
  assert.equal(inbox[0].role, 'guest');
  assert.equal((await api(`/api/visits/${demo.visit_id}/guests/${g.json.participant}/revoke`, { session, method: 'POST', body: {} })).status, 200);
  since = lastSeq();
  inbox = await signal([{ type: 'hello', token: guestToken }]);
  assert.equal(inbox[0].code, 'unauthorized', 'a revoked guest link');
  assert.ok(auditSince(since).some((e) => e.action === 'signaling.refused'));
  const list = await api(`/api/visits/${demo.visit_id}/guests`, { session });
  assert.equal(list.json.guests.find((x) => x.participant === g.json.participant).revoked, true);

  // The patient's own link cannot admit or end.
  since = lastSeq();
  inbox = await signal([{ type: 'hello', token: fragmentOf(demo.patient_url).token },
    { type: 'admit', participant: 'anyone' }, { type: 'end' }]);
  const codes = inbox.filter((m) => m.type === 'error').map((m) => m.code);
  assert.deepEqual(codes, ['forbidden', 'forbidden']);
  assert.equal(auditSince(since).filter((e) => e.action === 'signaling.refused').length, 2);
});

test('static files: no way out of the web root', async () => {
  for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd',
    '/%252e%252e/%252e%252e/etc/passwd', '/js/..\\..\\..\\etc\\passwd']) {
    const r = await rawGet(p);
    assert.ok([400, 403, 404].includes(r.status), `${p} → ${r.status}`);
    assert.ok(!r.text.includes('root:'), `${p} leaked a file`);
  }
  const since = lastSeq();
  const r = await rawGet('/%252e%252e/%252e%252e/etc/passwd');
  assert.ok([400, 403, 404].includes(r.status));
  assert.ok(auditSince(since).some((e) => e.action === 'http.refused'), 'the attempt is audited');
});

test('SQL metacharacters are stored literally; oversized bodies are refused', async () => {
  const nasty = "Robert'); DROP TABLE visits;-- \" \\ % _ ; /* */";
  const v = await api('/api/visits', { session, method: 'POST', body: { patient_name: nasty } });
  assert.equal(v.status, 201, v.text);
  const note = await api(`/api/visits/${v.json.visit_id}/notes`, { session, method: 'POST', body: { text: nasty } });
  assert.equal(note.status, 201, note.text);
  const start = await api(`/api/visits/${v.json.visit_id}/adjustments`, {
    session, method: 'POST', body: { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: nasty },
  });
  assert.equal(start.status, 201, start.text);
  const guest = await api(`/api/visits/${v.json.visit_id}/guests`, { session, method: 'POST', body: { display_name: nasty.slice(0, 90) } });
  assert.equal(guest.status, 201, guest.text);
  const token = fragmentOf(v.json.patient_url).token;
  const ci = await api(`/api/visits/${v.json.visit_id}/checkin`, { token, method: 'POST', body: { side_effects: [{ name: nasty.slice(0, 50), severity: 1 }] } });
  assert.equal(ci.status, 201, ci.text);
  const rec = (await api(`/api/visits/${v.json.visit_id}/record`, { session })).json;
  assert.equal(rec.patient.display_name, nasty);
  assert.equal(rec.notes[0].text, nasty);
  assert.equal(rec.current_medications[0].reason, nasty);
  assert.equal(rec.checkin.side_effects[0].name, nasty.slice(0, 50));
  assert.equal((await api('/api/visits?day=today', { session })).status, 200, 'the visits table is still there');

  const since = lastSeq();
  const big = await fetch(`${server.baseUrl}/api/visits`, {
    method: 'POST', headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf }, body: 'x'.repeat(200 * 1024),
  });
  assert.equal(big.status, 413);
  assert.ok(auditSince(since).some((e) => e.action === 'http.refused' && e.detail.status === 413));
});

test('wrong passwords slow down, then lock; idle sessions end', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'th-strict-'));
  const conf = path.join(dir, 'strict.conf');
  writeFileSync(conf, readFileSync(confPath, 'utf8')
    .replace(/session_idle_minutes = .*/, 'session_idle_minutes = 15\nsession_idle_seconds = 2')
    .replace(/login_slowdown_after = .*/, 'login_slowdown_after = 2')
    .replace(/login_lockout_after = .*/, 'login_lockout_after = 4')
    .replace(/catalog = .*/, `catalog = ${path.join(root, 'config', 'medications.json')}`));
  const data = path.join(dir, 'data');
  const strict = await startServer({ extraArgs: ['--config', conf, '--data-dir', data] });
  try {
    // Idle timeout first: the lockout below also locks this address.
    // Waited for as an event, not a sleep: a page's own polling
    // (X-TH-Background: 1, e.g. the console's visit list) sees the session
    // end and does not keep it alive, so polling until the 401 comes is
    // both the wait and the check. It cannot come before the idle time
    // (2 s) has passed since the sign-in; were the polls to keep the
    // session alive (one every 250 ms), it would never come.
    const acct = admin(data, 'add-staff', '--username', 'idle.doc', '--name', 'Idle Doc', '--role', 'pcp').lines[0];
    const signInStarted = Date.now();
    const s = await strict.login(acct.username, acct.password);
    const poll = (session) => fetchJson(`${strict.baseUrl}/api/visits?day=today`, { session, headers: { 'X-TH-Background': '1' } });
    const polls = [];
    const polledOut = await waitFor(async () => {
      const r = await poll(s);
      polls.push(r.status);
      return r.status !== 200 && r;
    }, { timeout: 8000, interval: 250, what: 'the idle session to end while only background polls come' });
    const idleFor = Date.now() - signInStarted;
    assert.ok(idleFor >= 2000, `the session ended ${idleFor} ms after the sign-in, before its 2 s idle time`);
    assert.ok(polls.includes(200), `polls answered while the session lived: ${polls.join(',')}`);
    assert.equal(polledOut.status, 401, polledOut.text);
    assert.equal(polledOut.json.error.code, 'session-expired');
    // Said once ("session-expired"), then the session is simply gone.
    const again = await fetchJson(`${strict.baseUrl}/api/session`, { session: s });
    assert.equal(again.status, 401, 'an expired session stays dead');
    assert.ok(admin(data, 'audit').lines.some((e) => e.action === 'http.refused' && e.detail.code === 'session-expired'));

    // The user's own requests do keep it alive: one every 250 ms after the
    // last answer, for three idle times.
    const used = await strict.login(acct.username, acct.password);
    for (const until = Date.now() + 6000; Date.now() < until;) {
      const r = await fetchJson(`${strict.baseUrl}/api/visits?day=today`, { session: used });
      assert.equal(r.status, 200, `a user's requests keep the session alive: ${r.text}`);
      await sleep(250);
    }

    const { username, password } = strict.providerLogin;
    const login = (pw) => fetchJson(`${strict.baseUrl}/api/session`, { method: 'POST', body: { username, password: pw } });
    assert.equal((await login('wrong-1')).status, 401);
    assert.equal((await login('wrong-2')).status, 401);
    const slow = await login('wrong-3');
    assert.equal(slow.status, 429, 'the third try comes too soon');
    assert.equal(slow.json.error.code, 'slow-down');
    assert.ok(slow.json.error.retry_after >= 1);
    await sleep(1100);
    assert.equal((await login('wrong-3')).status, 401);
    await sleep(2100);
    assert.equal((await login('wrong-4')).status, 401);
    const locked = await login(password);
    assert.equal(locked.status, 429, 'locked even with the right password');
    assert.equal(locked.json.error.code, 'locked');
    const rows = admin(data, 'audit').lines;
    assert.ok(rows.filter((e) => e.action === 'login.failed').length >= 4);
    assert.ok(rows.some((e) => e.action === 'login.locked'));

  } finally {
    await strict.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verify-audit passes on a real log and names the row after an edit of the database', async () => {
  const ok = admin(dataDir, 'verify-audit');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.lines[0].chain_intact, true);
  assert.ok(ok.lines[0].rows > 10);
  // Edit one row behind the program's back, past the table's append-only
  // trigger, as an attacker with the file (or the database's superuser)
  // would: sqlite's trigger dropped, PostgreSQL's switched off for the edit.
  const victim = 5;
  const update = `UPDATE audit_events SET actor = 'someone-else' WHERE seq = ${victim};`;
  dbExec(server, server.store.backend === 'postgresql'
    ? `BEGIN; ALTER TABLE audit_events DISABLE TRIGGER USER; ${update} ALTER TABLE audit_events ENABLE TRIGGER USER; COMMIT;`
    : `DROP TRIGGER IF EXISTS audit_events_no_update; ${update}`);
  assert.equal(dbValue(server, 'SELECT actor FROM audit_events WHERE seq = $1', [victim]), 'someone-else', 'the row was edited');
  const broken = admin(dataDir, 'verify-audit');
  assert.equal(broken.status, 1);
  assert.equal(broken.lines[0].chain_intact, false);
  assert.match(broken.lines[0].problem, new RegExp(`seq ${victim}\\b`));
});
