// Integration: a store that fails under a running server is a 500 with its
// cause in the server's log, never a 404, an empty list or a record without
// its PHQ-9 item-9 alert. The faults are real: the database is changed
// behind the server's back (a table gone, a column renamed) while it runs,
// then put back; on sqlite (the file, in WAL mode) and on PostgreSQL alike.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, waitFor, hideTable, hideColumn } from '../e2e/lib.mjs';

let server;
let session;
let demo;
let patientToken;

before(async () => {
  // The faults below are on purpose: their causes are logged as warnings.
  server = await startServer({ allowLog: [/answered 500: store failure: /, /signaling hello: the visit could not be read: store failure: /] });
  demo = server.demo;
  session = await server.login();
  patientToken = fragmentOf(demo.patient_url).token;
});

after(async () => {
  if (server) await server.stop();
});

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, opts.token ? opts : { session, ...opts });

// What each store says of a table or a column that is not there, as the
// server logs it.
const postgresql = () => server.store.backend === 'postgresql';
const noTable = (table) => (postgresql() ? `relation "${table}" does not exist` : `no such table: ${table}`);
const noColumn = (column) => (postgresql()
  ? new RegExp(`column "?(\\w+\\.)?${column}"? does not exist`) : `no such column: ${column}`);
const anyColumn = () => (postgresql() ? /column .* does not exist/ : 'no such column');
const says = (line, cause) => (typeof cause === 'string' ? line.includes(cause) : cause.test(line));

// The server's whole log so far.
const serverLog = () => server.stderrTail(1e6);

// Waits for the log line of a 500 on `method path` naming `cause`; returns it.
async function causeLogged(method, route, cause) {
  const prefix = `${method} ${route} answered 500: store failure: store-error-quark 0: `;
  let line = null;
  await waitFor(() => {
    line = serverLog().split('\n').find((l) => l.includes(prefix) && says(l, cause));
    return line;
  }, { timeout: 5000, what: `the log line "${prefix}…${cause}"\n${server.stderrTail(20)}` });
  return line;
}

// The first signaling message answering `hello` on a fresh connection.
async function helloAnswer(hello, { cookie } = {}) {
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/signaling`,
    cookie ? { headers: { Cookie: cookie } } : {});
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to hello within 5 s')), 5000);
      ws.once('error', (e) => { clearTimeout(timer); reject(e); });
      ws.once('message', (data) => { clearTimeout(timer); resolve(JSON.parse(data.toString())); });
      ws.once('open', () => ws.send(JSON.stringify(hello)));
    });
  } finally {
    ws.terminate();
  }
}

function assertInternal(r, what) {
  assert.equal(r.status, 500, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.json.error.code, 'internal', what);
  assert.ok(r.json.error.message.length > 20, `${what}: a sentence for the reader`);
}

let patientName;
let patientId;

test('a check-in with PHQ-9 item 9 above 0 shows its alert in the record', async () => {
  const r = await api(`/api/visits/${demo.visit_id}/checkin`, { token: patientToken, method: 'POST',
    body: { phq9: [1, 1, 1, 1, 1, 0, 0, 0, 2], side_effects: [{ name: 'nausea', severity: 1 }] } });
  assert.equal(r.status, 201, r.text);
  const rec = await api(`/api/visits/${demo.visit_id}/record`);
  assert.equal(rec.status, 200, rec.text);
  assert.deepEqual(rec.json.alerts.map((a) => a.kind), ['phq9-item9']);
  patientName = rec.json.patient.display_name;
  patientId = rec.json.patient.id;
  assert.ok(patientName.length > 3);
});

test('when the read that finds the item-9 check-in fails, the record and the timeline are 500s', async () => {
  // Only the latest check-in's read touches checkin_side_effects: the score
  // trend, orders and notes still read, so a record without the check-in
  // (and its alert) is exactly what a swallowed error would give.
  const restore = hideTable(server, 'checkin_side_effects');
  try {
    const record = `/api/visits/${demo.visit_id}/record`;
    const rec = await api(record);
    assertInternal(rec, 'the record');
    assert.equal(rec.json.alerts, undefined, 'no record at all, rather than one without its alert');
    const line = await causeLogged('GET', record, noTable('checkin_side_effects'));
    assert.match(line, /WARNING/);

    const timeline = `/api/patients/${patientId}/timeline`;
    assertInternal(await api(timeline), 'the timeline');
    await causeLogged('GET', timeline, noTable('checkin_side_effects'));

    // The patient's own check-in page is not shown as "no answers yet".
    const checkin = `/api/visits/${demo.visit_id}/checkin`;
    assertInternal(await api(checkin, { token: patientToken }), "the patient's check-in");
    await causeLogged('GET', checkin, noTable('checkin_side_effects'));
  } finally {
    restore();
  }
  // Put back, the same record reads again, alert and all.
  const rec = await api(`/api/visits/${demo.visit_id}/record`);
  assert.equal(rec.status, 200, rec.text);
  assert.deepEqual(rec.json.alerts.map((a) => a.kind), ['phq9-item9']);
});

test('a failed lookup of the facts the prescribing rules need is a 500, and nothing is saved', async () => {
  const before = (await api(`/api/visits/${demo.visit_id}/record`)).json;
  const sertraline = before.current_medications.find((o) => o.medication.id === 'sertraline');
  assert.ok(sertraline, 'the demo patient takes sertraline');
  const change = { kind: 'change-dose', order_id: sertraline.id, dose: 100, frequency: 'once-daily',
    reason: 'Partial response at 50 mg' };
  const adjustments = `/api/visits/${demo.visit_id}/adjustments`;
  // The in-person evaluation date cannot be read: neither a refusal by the
  // rules nor a prescription judged without it.
  const restore = hideColumn(server, 'patients', 'in_person_eval_at');
  try {
    assertInternal(await api(adjustments, { method: 'POST', body: change }), 'the adjustment');
    await causeLogged('POST', adjustments, noColumn('in_person_eval_at'));
  } finally {
    restore();
  }
  const after = (await api(`/api/visits/${demo.visit_id}/record`)).json;
  assert.equal(after.orders.length, before.orders.length, 'nothing was saved');
  const r = await api(adjustments, { method: 'POST', body: change });
  assert.equal(r.status, 201, `the same change, with the store back: ${r.text}`);
});

test('a visit the store cannot read is a 500, not "not among your visits"', async () => {
  const visit = `/api/visits/${demo.visit_id}`;
  const restore = hideColumn(server, 'visits', 'modality');
  try {
    const r = await api(visit);
    assertInternal(r, 'the visit');
    await causeLogged('GET', visit, anyColumn());
    // Signaling: neither "this link is not valid" nor "no such visit" for
    // the patient or the provider, but the clinic's fault, in words.
    for (const [who, hello, opts] of [['patient', { type: 'hello', token: patientToken }, {}],
      ['provider', { type: 'hello', visit: demo.visit_id }, { cookie: session.cookie }]]) {
      const answer = await helloAnswer(hello, opts);
      assert.equal(answer.type, 'error', `${who}: ${JSON.stringify(answer)}`);
      assert.equal(answer.code, 'internal', `${who}: ${JSON.stringify(answer)}`);
      assert.match(answer.message, /fault on its side/, who);
    }
    await waitFor(() => serverLog().split('\n').filter((l) =>
      l.includes('signaling hello: the visit could not be read: store failure: store-error-quark 0: ')
      && says(l, anyColumn())).length >= 2, { timeout: 5000, what: 'the signaling cause lines' });
  } finally {
    restore();
  }
  assert.equal((await api(visit)).status, 200);
  // A visit that does not exist is still a 404.
  const absent = await api('/api/visits/00000000-0000-4000-8000-000000000000');
  assert.equal(absent.status, 404);
  assert.equal(absent.json.error.code, 'not-found');
});

test("the server's log names causes and routes, never the patient", () => {
  const log = serverLog();
  assert.ok(patientName && !log.includes(patientName), `the patient's name is not in the log:\n${log}`);
  assert.ok(!log.includes('nausea'), 'nor what they answered');
});
