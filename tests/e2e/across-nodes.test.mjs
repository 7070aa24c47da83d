// End-to-end (issue 18, point 3): two telehealthd nodes on one PostgreSQL,
// real Chromium. The provider's console is open on node A with no visit
// selected; the patient joins their visit through node B (without the nodes
// work's redirect the patient simply waits in B's waiting room). The
// console's visit list on A says "Waiting" within a second of the patient's
// page showing the waiting room: pushed (GET /api/events, LISTEN/NOTIFY),
// not the 10 s poll. Screenshots at 390×844 and 1280×800 go to
// $TH_SCREENSHOT_DIR (default: a folder in the temp dir).
//
// PostgreSQL only: run by tests/pg/run-with-cluster.sh (TH_PG_DIR).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startServer, fetchJson, fragmentOf, launchParticipant, openConsole, acceptConsent, waitFor } from './lib.mjs';

const PG_DIR = process.env.TH_PG_DIR;
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const DB = `th_across_${process.pid}`;
const SHOTS = process.env.TH_SCREENSHOT_DIR || path.join(tmpdir(), 'th-across-nodes-screens');

function pg(tool, ...args) {
  const r = spawnSync(`${PG_BIN}/${tool}`, ['-h', PG_DIR, '-U', 'postgres', ...args], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
}

let a, b;

before(async () => {
  if (!PG_DIR) return;
  pg('createdb', DB);
  await mkdir(SHOTS, { recursive: true });
  const settings = { store: { backend: 'postgresql', dsn: `host=${PG_DIR} dbname=${DB} user=postgres` } };
  a = await startServer({ settings });
  b = await startServer({ settings });
});

after(async () => {
  if (a) await a.stop();
  if (b) await b.stop();
  if (PG_DIR) pg('dropdb', '--force', '--if-exists', DB);
});

test("the console on node A shows the patient waiting within a second of their joining on node B", { skip: !PG_DIR && 'needs TH_PG_DIR (tests/pg/run-with-cluster.sh)' }, async () => {
  // B started last: its demo gave the shared demo provider the password now in force.
  const login = b.providerLogin;
  const session = await a.login(login.username, login.password);
  const v = await fetchJson(`${a.baseUrl}/api/visits`, { session, method: 'POST', body: { patient_name: 'Nadia Across' } });
  assert.equal(v.status, 201, v.text);
  const visitId = v.json.visit_id;
  const patientUrl = new URL(v.json.patient_url);
  const onB = `${b.baseUrl}${patientUrl.pathname}${patientUrl.search}${patientUrl.hash}`;
  assert.ok(fragmentOf(onB).token);

  const provider = await launchParticipant('provider');
  const patient = await launchParticipant('patient');
  try {
    const console_ = provider.page;
    await openConsole(provider, `${a.baseUrl}/provider.html`, login);
    const badge = console_.locator(`[data-visit="${visitId}"] .badge`);
    await waitFor(async () => (await badge.count()) > 0, { what: 'the visit in the console list' });
    assert.equal(await badge.getAttribute('class'), 'badge badge-scheduled');
    // The stream is up before the patient joins (its `ready` made a reload).
    await console_.waitForTimeout(500);

    const page = patient.page;
    await page.goto(onB, { waitUntil: 'load' });
    await acceptConsent(page);
    const join = page.locator('[data-testid="join"]');
    await waitFor(() => join.isEnabled(), { what: 'Join enabled' });
    // Both sides watched closely from here.
    const shownWaiting = console_.locator(`[data-visit="${visitId}"] .badge-waiting`)
      .waitFor({ state: 'attached', timeout: 10000 }).then(() => performance.now());
    const patientWaiting = page.waitForSelector('text=The provider will admit you shortly', { timeout: 10000 })
      .then(() => performance.now());
    const clicked = performance.now();
    await join.click();
    const [tConsole, tPatient] = await Promise.all([shownWaiting, patientWaiting]);
    console.log(`console on A shows Waiting ${(tConsole - tPatient).toFixed(0)} ms after the patient's page on B ` +
      `shows the waiting room (${(tConsole - clicked).toFixed(0)} ms after Join)`);
    assert.ok(tConsole - tPatient < 1000, `within a second: ${(tConsole - tPatient).toFixed(0)} ms`);
    assert.ok(tConsole - clicked < 3000, `well before the 10 s poll: ${(tConsole - clicked).toFixed(0)} ms after Join`);

    for (const size of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
      await console_.setViewportSize(size);
      await console_.waitForTimeout(300);
      await console_.screenshot({ path: path.join(SHOTS, `console-waiting-across-nodes-${size.width}x${size.height}.png`) });
    }
    assert.deepEqual(provider.pageErrors, []);
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await patient.close();
    await provider.close();
  }
});
