// Integration (issue 6): nothing acknowledged to a client is lost when the
// server dies. Writers put records in through the REST API in a loop (notes
// on the demo visit, new visits, medication starts) and remember every write
// the server acknowledged (2xx, with the id it returned; a medication start
// goes to a visit created earlier, whose new patient has no medication yet,
// so it is not refused as a duplicate). At a random moment
// the server gets SIGKILL; it is started again on the same data dir, and
// every acknowledged write must be there. Three rounds, different moments.
// Then the same with SIGTERM: the server exits 0 promptly, nothing is lost.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, fetchJson, withTimeout } from '../e2e/lib.mjs';

const WRITERS = 4;          // concurrent request loops
const LOOP_MS = 5000;       // how long a round writes at most

let dataDir;
let server = null;
let visitId;                // the first demo visit: notes go there
const acked = { notes: [], visits: [], orders: [] };
const freshVisits = [];      // acknowledged visits with no order yet
let seq = 0;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-durability-'));
});

after(async () => {
  if (server) await server.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function start() {
  server = await startServer({ dataDir });
  if (!visitId) visitId = server.demo.visit_id;
  return { server, session: await server.login() };
}

// One write of a random kind; resolves what was acknowledged, or null.
async function writeOnce(base, session) {
  const n = (seq += 1);
  let kind = n % 3;
  const orderVisit = kind === 2 ? freshVisits.shift() : null;
  if (kind === 2 && !orderVisit) kind = 0;
  try {
    if (kind === 0) {
      const text = `durability note ${n} ${Date.now()}`;
      const r = await fetchJson(`${base}/api/visits/${visitId}/notes`, { session, method: 'POST', body: { text } });
      if (r.status >= 200 && r.status < 300 && r.json?.note?.id) {
        acked.notes.push({ id: r.json.note.id, text });
        return 'note';
      }
    } else if (kind === 1) {
      const name = `Durability Patient ${n}`;
      const r = await fetchJson(`${base}/api/visits`, { session, method: 'POST', body: { patient_name: name } });
      if (r.status >= 200 && r.status < 300 && r.json?.visit_id) {
        acked.visits.push({ id: r.json.visit_id, name });
        freshVisits.push(r.json.visit_id);
        return 'visit';
      }
    } else {
      const reason = `durability start ${n}`;
      const r = await fetchJson(`${base}/api/visits/${orderVisit}/adjustments`, {
        session, method: 'POST',
        body: { kind: 'start', medication: 'sertraline', dose: 50, unit: 'mg', frequency: 'once-daily', route: 'oral', reason },
      });
      if (r.status >= 200 && r.status < 300 && r.json?.order?.id) {
        acked.orders.push({ id: r.json.order.id, reason, visit: orderVisit });
        return 'order';
      }
      if (r.status >= 200 && r.status < 300) throw new Error(`adjustment acknowledged without an order id: ${r.text}`);
      return `refused ${r.status}`;
    }
    return 'refused';
  } catch (err) {
    if (/acknowledged without/.test(err.message)) throw err;
    return 'failed'; // no answer (the server died under it): not acknowledged
  }
}

// Writes from WRITERS loops until `signal` is sent to the server (after
// killAfterMs) and every loop has seen its request fail or finish.
async function writeAndKill(srv, session, signal, killAfterMs) {
  const tally = {};
  let dead = false;
  const loops = Array.from({ length: WRITERS }, async () => {
    const end = Date.now() + LOOP_MS + 2000;
    while (!dead && Date.now() < end) {
      const what = await writeOnce(srv.baseUrl, session);
      tally[what] = (tally[what] || 0) + 1;
    }
  });
  await sleep(killAfterMs);
  const killedAt = Date.now();
  srv.proc.kill(signal);
  const exit = await withTimeout(srv.exited, 10000, `telehealthd to exit after ${signal}`);
  dead = true;
  await Promise.all(loops);
  await srv.stop(); // already exited; keeps the data dir (ours)
  return { tally, exit, exitMs: Date.now() - killedAt };
}

// Every acknowledged write so far, read back through the API.
async function checkEverything(base, session) {
  const rec = await fetchJson(`${base}/api/visits/${visitId}/record`, { session, timeout: 15000 });
  assert.equal(rec.status, 200, rec.text.slice(0, 300));
  const notes = new Map(rec.json.notes.map((x) => [x.id, x.text]));
  for (const note of acked.notes) {
    assert.equal(notes.get(note.id), note.text, `acknowledged note ${note.id} ("${note.text}") is in the record`);
  }
  for (const order of acked.orders) {
    const r = await fetchJson(`${base}/api/visits/${order.visit}/record`, { session });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const found = r.json.orders.find((o) => o.id === order.id);
    assert.ok(found, `acknowledged order ${order.id} (${order.reason}) is in the record of visit ${order.visit}`);
    assert.equal(found.reason, order.reason);
    assert.equal(found.medication.id, 'sertraline');
  }
  for (const v of acked.visits) {
    const r = await fetchJson(`${base}/api/visits/${v.id}`, { session });
    assert.equal(r.status, 200, `acknowledged visit ${v.id} can be read: ${r.status} ${r.text.slice(0, 200)}`);
    assert.equal(r.json.patient.display_name, v.name);
    assert.ok(r.json.timeline.some((e) => e.kind === 'state' && e.state === 'scheduled'), `visit ${v.id} has its first state`);
  }
}

function explain(err) {
  if (server) err.message += `\n--- telehealthd stderr (tail) ---\n${server.stderrTail(40)}`;
  return err;
}

for (let round = 1; round <= 3; round += 1) {
  test(`SIGKILL while writing (round ${round}): every acknowledged write is there after a restart`, { timeout: 60000 }, async (t) => {
    try {
      const { server: srv, session } = await start();
      if (round > 1) await checkEverything(srv.baseUrl, session); // what earlier rounds wrote
      const before = acked.notes.length + acked.visits.length + acked.orders.length;
      // A different moment each round, somewhere in the loop.
      const killAfter = 700 + Math.floor(Math.random() * (LOOP_MS - 1400));
      const { tally, exit } = await writeAndKill(srv, session, 'SIGKILL', killAfter);
      server = null;
      assert.equal(exit.signal, 'SIGKILL');
      const written = acked.notes.length + acked.visits.length + acked.orders.length - before;
      t.diagnostic(`killed after ${killAfter} ms; outcomes ${JSON.stringify(tally)}; ${written} acknowledged this round`);
      assert.ok(written > 0, 'some writes were acknowledged before the kill');

      const again = await start();
      await checkEverything(again.server.baseUrl, again.session);
      t.diagnostic(`all ${acked.notes.length} notes, ${acked.visits.length} visits and ${acked.orders.length} orders acknowledged so far are there`);
      await again.server.stop();
      server = null;
    } catch (err) {
      throw explain(err);
    }
  });
}

test('SIGTERM while writing: the server exits 0 promptly and every acknowledged write is there', { timeout: 60000 }, async (t) => {
  try {
    const { server: srv, session } = await start();
    const before = acked.notes.length + acked.visits.length + acked.orders.length;
    const killAfter = 1000 + Math.floor(Math.random() * 2000);
    const { tally, exit, exitMs } = await writeAndKill(srv, session, 'SIGTERM', killAfter);
    server = null;
    t.diagnostic(`SIGTERM after ${killAfter} ms; exited ${JSON.stringify(exit)} in ${exitMs} ms; outcomes ${JSON.stringify(tally)}`);
    assert.equal(exit.code, 0, `exit status 0 after SIGTERM (${JSON.stringify(exit)})`);
    assert.ok(exitMs < 5000, `exited within 5 s of SIGTERM (${exitMs} ms)`);
    assert.ok(acked.notes.length + acked.visits.length + acked.orders.length > before, 'some writes were acknowledged');

    const again = await start();
    await checkEverything(again.server.baseUrl, again.session);
    t.diagnostic(`all ${acked.notes.length} notes, ${acked.visits.length} visits and ${acked.orders.length} orders are there`);
    const stopped = await again.server.stop();
    server = null;
    assert.equal(stopped.code, 0);
  } catch (err) {
    throw explain(err);
  }
});
