// E2E (issue 13 item 1): the Patients page in a real Chromium against a real
// telehealthd, as the front desk (a scheduler): reached from the schedule's
// header; create a patient; the same name and date of birth again shows
// "This may be the same person" before a second record is made; a bad field
// has its message beside it; the patient is found by MRN as one types.
// Screenshots at 390×844 and 1280×800 (TH_SCREENSHOT_DIR, else a temporary
// folder), with the search on the first screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, launchParticipant, signInOnLoginPage, waitFor } from './lib.mjs';

const { bin, root } = requireEnv();
let server;
let desk;
let login;
let admin;

before(async () => {
  server = await startServer({ now: '2026-06-15T16:00:00Z', timeZone: 'America/New_York' });
  const r = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', server.dataDir,
    'admin', 'add-staff', '--username', 'front.desk', '--name', 'Front Desk', '--role', 'scheduler'],
  { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  login = JSON.parse(r.stdout.trim().split('\n').pop());
  admin = await server.login(login.username, login.password);
  desk = await launchParticipant('desk');
});

after(async () => {
  if (desk) await desk.close();
  if (server) await server.stop();
});

const by = (page, id) => page.locator(`[data-testid="${id}"]`);

async function fillForm(page, p) {
  for (const [k, v] of Object.entries(p)) {
    const box = page.locator(`#pf-${k}`);
    if (await box.evaluate((e) => e.tagName === 'SELECT')) await box.selectOption(v);
    else await box.fill(v);
  }
}

async function countByMrn(prefix) {
  const r = await fetchJson(`${server.baseUrl}/api/patients?q=${encodeURIComponent(prefix)}`, { session: admin });
  assert.equal(r.status, 200, r.text);
  return r.json.patients.length;
}

test('the front desk creates a patient, sees the duplicate warning and finds them by MRN as they type', { timeout: 120000 }, async () => {
  const { page } = desk;
  const shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-patients-shots-'));
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    // The console's address, through the sign-in page: the front desk
    // lands on the schedule, and goes to the patients from its header.
    await page.goto(`${server.baseUrl}/provider.html`, { waitUntil: 'load' });
    await signInOnLoginPage(desk, login);
    await page.waitForURL((u) => u.pathname === '/schedule.html');
    await by(page, 'to-patients').click();
    await page.waitForURL((u) => u.pathname === '/patients.html');
    await by(page, 'patient-search').waitFor({ state: 'visible' });

    // A new patient.
    await by(page, 'patient-new').click();
    const rosa = { name: 'Rosa Delgado', birth_date: '1979-02-11', mrn: 'MRN-77120', email: 'rosa@example.org',
      phone: '+1 555 010 0188', time_zone: 'America/New_York', region: 'NY', language: 'es' };
    await fillForm(page, rosa);
    // A bad email first: its message beside the field, nothing made.
    await page.fill('#pf-email', 'rosa@example');
    await by(page, 'patient-save').click();
    const emailError = by(page, 'field-error-email');
    await emailError.waitFor({ state: 'visible' });
    assert.match(await emailError.innerText(), /email address does not look right/);
    assert.equal(await page.getAttribute('#pf-email', 'aria-invalid'), 'true');
    assert.equal(await countByMrn('MRN-771'), 0, 'nothing written');
    await page.screenshot({ path: path.join(shots, 'patients-field-error-1280x800.png') });
    await page.fill('#pf-email', rosa.email);
    await by(page, 'patient-save').click();
    const detail = by(page, 'patient-detail');
    await detail.waitFor({ state: 'visible' });
    assert.equal(await page.locator('#pt-detail-name').innerText(), 'Rosa Delgado');
    const facts = await page.locator('#pt-facts').innerText();
    assert.match(facts, /11 Feb 1979/);
    assert.match(facts, /MRN-77120/);
    assert.match(facts, /\+15550100188/);
    assert.match(facts, /New York \(NY\)/);
    assert.match(facts, /Spanish/);
    assert.equal(await countByMrn('MRN-771'), 1);

    // The same person again, with another MRN: the warning comes first.
    await by(page, 'patient-new').click();
    await fillForm(page, { ...rosa, name: 'rosa delgado', mrn: 'MRN-77121' });
    await by(page, 'patient-save').click();
    const warning = by(page, 'patient-duplicate');
    await warning.waitFor({ state: 'visible' });
    const said = await warning.innerText();
    assert.match(said, /This may be the same person:/);
    assert.match(said, /Rosa Delgado, born 11 Feb 1979, MRN MRN-77120/);
    assert.match(said, /Create a second record anyway\?/);
    assert.match(said, /Open Rosa Delgado's record/);
    assert.equal(await countByMrn('MRN-771'), 1, 'no second record before the confirm');
    await page.screenshot({ path: path.join(shots, 'patients-duplicate-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(shots, 'patients-duplicate-390x844.png'), fullPage: true });
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`));
    assert.deepEqual(wide, [], 'nothing wider than a phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await by(page, 'patient-create-anyway').click();
    await waitFor(async () => (await countByMrn('MRN-771')) === 2, { what: 'the second record, confirmed' });
    await detail.waitFor({ state: 'visible' });

    // Found by MRN as one types, a key at a time.
    await page.reload({ waitUntil: 'load' });
    const search = by(page, 'patient-search');
    await search.waitFor({ state: 'visible' });
    await search.fill('');
    await search.pressSequentially('MRN-7712', { delay: 60 });
    const results = by(page, 'patient-results').locator('li');
    await waitFor(async () => (await results.count()) === 2, { what: 'two results for MRN-7712' });
    await search.pressSequentially('0', { delay: 60 });
    await waitFor(async () => (await results.count()) === 1, { what: 'one result for MRN-77120' });
    assert.match(await results.first().innerText(), /Rosa Delgado[\s\S]*MRN MRN-77120/);
    await results.first().locator('button').click();
    await waitFor(async () => /MRN-77120/.test(await page.locator('#pt-facts').innerText()), { what: 'Rosa opened' });
    // The search is on the first screen at both sizes.
    await page.screenshot({ path: path.join(shots, 'patients-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    const box = await search.boundingBox();
    assert.ok(box && box.y + box.height < 844, `the search is on a phone's first screen (y=${box && box.y})`);
    await page.screenshot({ path: path.join(shots, 'patients-390x844.png') });
    await page.screenshot({ path: path.join(shots, 'patients-390x844-full.png'), fullPage: true });
    assert.deepEqual(desk.pageErrors, []);
  } catch (err) {
    err.message += `\npage errors ${JSON.stringify(desk.pageErrors)} console ${JSON.stringify(desk.consoleErrors.slice(-8))}\n${server.stderrTail(20)}`;
    throw err;
  } finally {
    console.log(`screenshots in ${shots}`);
  }
});
