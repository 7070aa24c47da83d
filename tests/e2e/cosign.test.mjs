// E2E (issue 13, item 7): the supervising psychiatrist co-signs her
// physician assistant's order from the co-sign queue, in real Chromiums
// against a real telehealthd, at 1280x800. The PA raises the dose of a
// medication the patient takes (a PA's change waits for co-signature); the
// psychiatrist follows the console header's count to the queue, sees the
// order beside the patient's record (the current medication it would
// replace, the check-in) on the first screen, and co-signs; the PA's open
// record says so at once (pushed: its poll is turned off here). The PA
// records the in-person evaluation date from the record panel (a future
// date is refused in words). Screenshots at 390x844 and 1280x800 of the
// queue and the record panel go to TH_SCREENSHOT_DIR (or a temp folder).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, launchParticipant, openConsole, waitFor, fragmentOf } from './lib.mjs';

const { bin } = requireEnv();
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SMALL_PHONE = { width: 360, height: 740 };
let server;
let psyBrowser;
let paBrowser;
let shared = null;   // what the first test made: {pa, paLogin, visit, shots}

before(async () => {
  server = await startServer();
  [psyBrowser, paBrowser] = await Promise.all([launchParticipant('psychiatrist'), launchParticipant('pa')]);
});

after(async () => {
  await Promise.all([psyBrowser?.close(), paBrowser?.close()]);
  if (server) await server.stop();
});

// Whether the element lies wholly inside the viewport.
async function inView(page, locator, viewport) {
  const box = await locator.boundingBox();
  return Boolean(box) && box.y >= 0 && box.x >= 0 && box.y + Math.min(box.height, 80) <= viewport.height
    && box.x + box.width <= viewport.width + 1;
}

test("the supervisor co-signs her PA's dose change from the queue, beside the record", { timeout: 150000 }, async (t) => {
  const shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-cosign-shots-'));
  await mkdir(shots, { recursive: true });
  const psy = await server.login();
  const call = (session, p, o = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...o });
  const r = spawnSync(bin, ['--config', server.configPath, '--data-dir', server.dataDir, 'admin', 'add-staff',
    '--username', 'pat.assistant', '--name', 'Pat Assistant', '--role', 'pa', '--supervisor', 'demo.provider'],
  { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  const paLogin = JSON.parse(r.stdout.trim().split('\n').pop());
  const pa = await server.login(paLogin.username, paLogin.password);

  // The PA's visit: sertraline 50 mg (co-signed), the patient's check-in,
  // then the PA raises the dose: that change waits for her.
  const booked = await call(pa, '/api/visits', { method: 'POST', body: { patient_name: 'Jordan Lee' } });
  assert.equal(booked.status, 201, booked.text);
  const visit = booked.json.visit_id;
  const { token } = fragmentOf(booked.json.patient_url);
  const adjust = async (body) => {
    const res = await call(pa, `/api/visits/${visit}/adjustments`, { method: 'POST', body });
    assert.equal(res.status, 201, res.text);
    return res.json.order;
  };
  const start = await adjust({ kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'Depression' });
  assert.equal((await call(psy, `/api/orders/${start.id}/cosign`, { method: 'POST' })).status, 200);
  const checkin = await fetchJson(`${server.baseUrl}/api/visits/${visit}/checkin`, { token, method: 'POST',
    body: { phq9: [2, 2, 1, 1, 1, 1, 1, 0, 0], gad7: [1, 1, 1, 1, 0, 0, 0] } });
  assert.equal(checkin.status, 201, checkin.text);
  const change = await adjust({ kind: 'change-dose', order_id: start.id, dose: 100, frequency: 'once-daily', reason: 'Partial response at 6 weeks' });
  assert.equal(change.status, 'pending');

  // The PA has the visit open; the record is pushed, not polled.
  const paPage = paBrowser.page;
  await paPage.addInitScript(() => { window.__thRecordPollMs = 600000; });
  await paPage.setViewportSize(DESKTOP);
  await openConsole(paBrowser, `${server.baseUrl}/provider.html#visit=${visit}`, paLogin);
  const paCosign = paPage.locator(`[data-testid="order-cosign-${change.id}"]`);
  await paCosign.waitFor({ state: 'visible' });
  assert.equal(await paCosign.innerText(), "Waiting for the supervising psychiatrist's co-signature; not in effect yet.");

  // The psychiatrist: the header says one order waits; it leads to the queue.
  const page = psyBrowser.page;
  await page.setViewportSize(DESKTOP);
  await openConsole(psyBrowser, server.demo.provider_url, server.providerLogin);
  const link = page.locator('[data-testid="to-cosign"]');
  await link.waitFor({ state: 'visible' });
  assert.equal(await page.locator('[data-testid="cosign-count"]').innerText(), '1');
  // Her PA's visit of the day is listed, read only.
  await page.locator(`[data-testid="supervised-${visit}"]`).waitFor();
  assert.match(await page.locator(`[data-testid="supervised-${visit}"]`).innerText(), /Jordan Lee[\s\S]*with Pat Assistant/);
  await link.click();
  await page.waitForURL((u) => u.pathname === '/cosign.html');
  const detail = page.locator('[data-testid="cosign-detail"]');
  await detail.waitFor({ state: 'visible' });
  const order = page.locator('[data-testid="cosign-order"]');
  const record = page.locator('[data-testid="cosign-record"]');
  assert.match(await page.locator(`[data-testid="cosign-item-${change.id}"]`).innerText(), /Sertraline tablet 100 mg once daily, oral[\s\S]*Jordan Lee · by Pat Assistant/);
  assert.match(await order.innerText(), /Sertraline tablet 100 mg once daily, oral[\s\S]*Patient\s+Jordan Lee[\s\S]*Written by\s+Pat Assistant[\s\S]*Reason\s+Partial response at 6 weeks[\s\S]*Replaces\s+Sertraline tablet 50 mg once daily, oral[\s\S]*Why it waits for you: A physician assistant's prescription change takes effect only when their supervising psychiatrist co-signs it\./);
  const med = page.locator(`[data-testid="cosign-med-${start.id}"]`);
  await med.waitFor();
  assert.match(await med.innerText(), /Sertraline tablet 50 mg once daily, oral[\s\S]*this order would replace it/);
  assert.match(await page.locator('[data-testid="cosign-checkin"]').innerText(), /PHQ-9[\s\S]*9[\s\S]*GAD-7/);
  assert.equal(await page.locator('[data-testid="cosign-eval"]').innerText(), 'No in-person evaluation on record.');
  // The order, its buttons and the record side by side on the first screen.
  const confirm = page.locator('[data-testid="cosign-confirm"]');
  for (const [what, loc] of [['the order', order], ['the co-sign button', confirm], ['the record', record], ['the current medication', med]]) {
    assert.ok(await inView(page, loc, DESKTOP), `${what} is on the first screen at 1280x800`);
  }
  const [ob, rb] = [await order.boundingBox(), await record.boundingBox()];
  assert.ok(rb.x >= ob.x + ob.width - 1, 'the record is beside the order');
  await page.screenshot({ path: path.join(shots, 'cosign-queue-desktop.png') });
  await page.setViewportSize(PHONE);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, 'cosign-queue-phone.png') });
  await page.setViewportSize(DESKTOP);

  // Co-sign: the queue empties; the PA's open record says so at once.
  await confirm.click();
  const done = page.locator('[data-testid="cosign-done"]');
  await waitFor(async () => /^Co-signed: Sertraline tablet 100 mg once daily, oral for Jordan Lee is now in effect\.$/.test(await done.innerText()), { what: 'the co-signed message' });
  await waitFor(async () => (await page.locator('[data-testid="cosign-status"]').innerText()) === 'Nothing is waiting for your co-signature.', { what: 'the empty queue' });
  assert.ok(await detail.isHidden());
  await waitFor(async () => /^Co-signed by Dr\. Demo Provider /.test(await paCosign.innerText()), { timeout: 8000, what: "the PA's record to show the co-signature (pushed)" });
  assert.equal(await paPage.locator(`[data-testid="order-${change.id}"]`).getAttribute('data-status'), 'active');
  assert.match(await paPage.locator('[data-testid="current-medications"]').innerText(), /Sertraline tablet 100 mg once daily/);

  // The in-person evaluation, from the record panel.
  const evalDate = paPage.locator('[data-testid="eval-date"]');
  assert.equal(await paPage.locator('[data-testid="eval-on-record"]').innerText(), 'No in-person evaluation on record.');
  await evalDate.fill('2099-01-15');
  await paPage.click('[data-testid="eval-save"]');
  const evalError = paPage.locator('[data-testid="eval-error"]');
  await evalError.waitFor({ state: 'visible' });
  assert.equal(await evalError.innerText(), '15 Jan 2099 is after today. Enter the date the evaluation took place.');
  await evalDate.fill('2020-03-02');
  await paPage.click('[data-testid="eval-save"]');
  await waitFor(async () => (await paPage.locator('[data-testid="eval-on-record"]').innerText()) === 'Last in-person evaluation: 2 Mar 2020', { what: 'the recorded evaluation date' });
  assert.equal(await paPage.locator('[data-testid="eval-done"]').innerText(), 'Saved: in-person evaluation on 2 Mar 2020.');
  assert.ok(await evalError.isHidden());
  assert.equal((await call(pa, `/api/visits/${visit}/record`)).json.patient.in_person_eval_at, '2020-03-02');
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await paPage.setViewportSize(viewport);
    await paPage.locator('#rec-meds-heading').evaluate((h) => h.scrollIntoView({ block: 'start' }));
    await paPage.screenshot({ path: path.join(shots, `record-panel-${name}.png`) });
    await paCosign.evaluate((p) => p.scrollIntoView({ block: 'center' }));
    await paPage.screenshot({ path: path.join(shots, `record-orders-${name}.png`) });
  }
  t.diagnostic(`screenshots in ${shots}`);
  assert.deepEqual(psyBrowser.pageErrors, []);
  assert.deepEqual(paBrowser.pageErrors, []);
  shared = { pa, visit, shots };
});

test("the PA puts a colleague on the patient's care team from the Patients page, and takes them off", { timeout: 90000 }, async () => {
  assert.ok(shared, 'the first test ran');
  const r = spawnSync(bin, ['--config', server.configPath, '--data-dir', server.dataDir, 'admin', 'add-staff',
    '--username', 'dr.primary', '--name', 'Dr Primary', '--role', 'pcp'], { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  const pcp = JSON.parse(r.stdout.trim().split('\n').pop());
  const pcpSession = await server.login(pcp.username, pcp.password);
  const v = (await fetchJson(`${server.baseUrl}/api/visits/${shared.visit}`, { session: shared.pa })).json;
  const recordOf = () => fetchJson(`${server.baseUrl}/api/visits/${shared.visit}/record`, { session: pcpSession });
  assert.equal((await recordOf()).status, 404, 'not on the team yet');

  const page = paBrowser.page;
  await page.setViewportSize(DESKTOP);
  await page.goto(`${server.baseUrl}/patients.html#patient=${v.patient.id}`, { waitUntil: 'load' });
  const team = page.locator('[data-testid="care-team"]');
  await team.waitFor({ state: 'visible' });
  await waitFor(async () => (await page.locator('#pt-team-status').innerText()) === 'No one is on the care team yet.', { what: 'the empty care team' });
  await page.selectOption('[data-testid="care-team-choice"]', { label: 'Dr Primary (Primary care physician)' });
  await page.click('[data-testid="care-team-add"]');
  const member = page.locator(`[data-testid="care-team-member-${pcp.staff_id}"]`);
  await member.waitFor();
  assert.match(await member.innerText(), /Dr Primary[\s\S]*Primary care physician · added by Pat Assistant on/);
  assert.equal(await page.locator('[data-testid="care-team-done"]').innerText(), "Dr Primary is now on Jordan Lee's care team.");
  assert.equal((await recordOf()).status, 200, 'the member reads the record');
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE], ['small-phone', SMALL_PHONE]]) {
    await page.setViewportSize(viewport);
    await team.evaluate((s) => s.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(shared.shots, `care-team-${name}.png`) });
    const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scrollWidth <= innerWidth, `the page does not scroll sideways at ${name} (${scrollWidth} > ${innerWidth})`);
  }
  await page.setViewportSize(DESKTOP);
  await page.click(`[data-testid="care-team-remove-${pcp.staff_id}"]`);
  await member.waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-testid="care-team-done"]').innerText(), "Dr Primary is no longer on Jordan Lee's care team.");
  assert.equal((await recordOf()).status, 404, 'removed: nothing to read');
  assert.deepEqual(paBrowser.pageErrors, []);
});

test('a major interaction new since the PA wrote the order is explained at co-signature and overridden with her reason', { timeout: 90000 }, async () => {
  assert.ok(shared, 'the first test ran');
  const call = (session, p, o = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...o });
  const booked = await call(shared.pa, '/api/visits', { method: 'POST', body: { patient_name: 'Morgan Reyes' } });
  assert.equal(booked.status, 201, booked.text);
  const visit = booked.json.visit_id;
  const patientId = (await call(shared.pa, `/api/visits/${visit}`)).json.patient.id;
  const drafted = await call(shared.pa, `/api/visits/${visit}/adjustments`, {
    method: 'POST', body: { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'Depression' },
  });
  assert.equal(drafted.status, 201, drafted.text);
  // After the order was written, an MAOI from elsewhere comes to light.
  const maoi = await call(shared.pa, `/api/patients/${patientId}/other-medications`, {
    method: 'POST', body: { name: 'phenelzine', dose: '15 mg three times daily', prescriber: 'Dr Ames (elsewhere)' },
  });
  assert.equal(maoi.status, 201, maoi.text);

  const page = psyBrowser.page;
  await page.setViewportSize(DESKTOP);
  // A fresh load: the page is still on the queue from the first test, and a
  // new fragment alone would not reload it.
  await page.goto('about:blank');
  await page.goto(`${server.baseUrl}/cosign.html#order=${drafted.json.order.id}`, { waitUntil: 'load' });
  await page.locator('[data-testid="cosign-detail"]').waitFor({ state: 'visible' });
  await page.click('[data-testid="cosign-confirm"]');
  const findings = page.locator('[data-testid="rx-findings"]');
  await findings.waitFor({ state: 'visible' });
  const finding = findings.locator('[data-rule="maoi-serotonergic"]');
  assert.match(await finding.innerText(), /Major[\s\S]*phenelzine[\s\S]*Source:/i);
  assert.equal(await page.locator(`[data-testid="cosign-item-${drafted.json.order.id}"]`).count(), 1, 'still waiting');
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(viewport);
    await findings.evaluate((f) => f.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(shared.shots, `cosign-findings-${name}.png`) });
  }
  await page.setViewportSize(DESKTOP);
  // A reason is required; then the order takes effect.
  await page.click('[data-testid="rx-override-submit"]');
  await page.locator('[data-testid="rx-override-error"]').waitFor({ state: 'visible' });
  const reason = 'Phenelzine was stopped a month ago; the outside list is out of date (confirmed with the pharmacy).';
  await page.fill('[data-testid="rx-override-reason"]', reason);
  await page.click('[data-testid="rx-override-submit"]');
  const done = page.locator('[data-testid="cosign-done"]');
  await waitFor(async () => /^Co-signed: Sertraline tablet 50 mg once daily, oral for Morgan Reyes is now in effect\.$/.test(await done.innerText()), { what: 'the co-signed message' });
  const order = (await call(shared.pa, `/api/visits/${visit}/record`)).json.orders.find((o) => o.id === drafted.json.order.id);
  assert.equal(order.status, 'active');
  assert.deepEqual(order.checks.map((c) => [c.stage, c.rule, c.override_reason]), [['cosign', 'maoi-serotonergic', reason]]);
  assert.deepEqual(psyBrowser.pageErrors, []);
});
