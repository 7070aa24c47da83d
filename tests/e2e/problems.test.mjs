// E2E (issue 15, items 1 and 3): in a real Chromium against a real
// telehealthd on a fixed clock. On the provider's record the clinician
// finds "recurrent depression, moderate" by typing, adds it with its onset;
// an allergy with nothing filled in is explained before anything is sent;
// a sertraline allergy with hives is added; the adjustment form's "Treats"
// offers the active diagnosis and an escitalopram start is saved linked to
// it; a sertraline start is refused with the allergy named; the diagnosis
// put in remission is no longer offered. Screenshots at
// 390×844 and 1280×800 (TH_SCREENSHOT_DIR, else a temporary folder);
// axe-core on the page with the section filled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, fetchJson, openConsole, waitFor, withTimeout, CHROMIUM, CHROMIUM_ARGS } from './lib.mjs';

const ZONE = 'America/Chicago';
const NOW = '2026-11-12T10:00:00';

let server;
let dataDir;
let session;
let browser;
let provider;
let shots;
let axeSource;

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const by = (page, id) => page.locator(`[data-testid="${id}"]`);
const squash = (s) => s.replace(/\s+/g, ' ').trim();

before(async () => {
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-problems-e2e-'));
  shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-problems-shots-'));
  server = await startServer({ now: NOW, timeZone: ZONE, dataDir });
  session = await server.login();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: false, args: CHROMIUM_ARGS, timeout: 30000 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  provider = { name: 'provider', context, page, pageErrors: [] };
  page.on('pageerror', (err) => provider.pageErrors.push(err.message));
});

after(async () => {
  if (browser) await withTimeout(browser.close(), 15000, 'closing the browser').catch(() => {});
  if (server) await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function axe(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

test('diagnoses and allergies on the record, and an order linked to what it treats', { timeout: 150000 }, async () => {
  const { page } = provider;
  const v = await api('/api/visits', { method: 'POST', body: { patient_name: 'Dana Diagnosis', scheduled_at: '2026-11-12T10:15:00-06:00' } });
  assert.equal(v.status, 201, v.text);
  await openConsole(provider, v.json.provider_url, server.demo.provider_login);
  const panel = by(page, 'problems');
  await panel.waitFor({ state: 'visible' });
  await waitFor(async () => (await by(page, 'diagnosis-status').innerText()) === 'No diagnoses recorded.', { what: 'the empty list' });

  // Search as you type: words in any order find the code.
  await by(page, 'diagnosis-add').locator('summary').click();
  await by(page, 'diagnosis-search').fill('recurrent moderate');
  const match = page.locator('[data-testid="diagnosis-match"][data-code="F33.1"]');
  await match.waitFor({ state: 'visible' });
  assert.equal(squash(await match.innerText()), 'F33.1 Major depressive disorder, recurrent, moderate');
  await match.click();
  await by(page, 'diagnosis-onset').fill('2026-09-01');
  await by(page, 'diagnosis-save').click();
  const dx = page.locator('[data-testid="diagnosis"][data-code="F33.1"]');
  await dx.waitFor({ state: 'visible' });
  assert.match(squash(await dx.innerText()), /^F33\.1 Major depressive disorder, recurrent, moderate · onset Sep 1, 2026/);
  assert.equal(await by(page, 'diagnosis-done').innerText(), 'Added: F33.1 Major depressive disorder, recurrent, moderate.');

  // An unknown code typed whole: the server's words.
  await by(page, 'diagnosis-search').fill('F99.9');
  await by(page, 'diagnosis-save').click();
  await by(page, 'diagnosis-error').waitFor({ state: 'visible' });
  assert.equal(await by(page, 'diagnosis-error').innerText(), 'F99.9 is not in the clinic\'s list of diagnoses: choose one from the list. Nothing was saved.');
  await by(page, 'diagnosis-search').fill('');

  // An allergy with nothing filled in: the form says what is missing.
  await by(page, 'allergy-add').locator('summary').click();
  await by(page, 'allergy-save').click();
  await by(page, 'allergy-error').waitFor({ state: 'visible' });
  assert.match(squash(await by(page, 'allergy-error').innerText()),
    /^To record it, give • the substance: a medicine from the list, a class such as SSRI, or the name of something else • the reaction: choose one, or say what happened$/);
  await by(page, 'allergy-substance').fill('sertraline');
  await by(page, 'allergy-manifestation').selectOption('hives');
  await by(page, 'allergy-reaction').fill('welts on both arms');
  await by(page, 'allergy-severity').selectOption('moderate');
  await by(page, 'allergy-onset').fill('2024-03-03');
  await by(page, 'allergy-save').click();
  const allergy = by(page, 'allergy').first();
  await allergy.waitFor({ state: 'visible' });
  assert.match(squash(await allergy.innerText()), /^sertraline — allergy, hives: welts on both arms · moderate · Mar 3, 2024/);
  assert.equal(await by(page, 'allergy-error').isVisible(), false);

  const closeForms = () => page.evaluate(() => document.querySelectorAll('details.problems-add').forEach((d) => { d.open = false; }));
  await closeForms();
  await panel.evaluate((n) => n.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: path.join(shots, 'problems-1280x800.png') });

  // "Treats" offers the active diagnosis; the order is saved linked to it.
  const treats = by(page, 'adjust-treats');
  await waitFor(async () => (await treats.locator('option').count()) === 2, { what: 'the Treats choices' });
  await by(page, 'adjust-medication').selectOption('escitalopram');
  await by(page, 'adjust-dose').selectOption('10');
  await by(page, 'adjust-frequency').selectOption('once-daily');
  await treats.selectOption({ label: 'F33.1 Major depressive disorder, recurrent, moderate' });
  await by(page, 'adjust-reason').fill('Recurrent depression, moderate');
  await by(page, 'adjust-submit').click();
  await waitFor(async () => (await by(page, 'adjust-done').innerText()).startsWith('Saved'), { what: 'the saved order' });
  const rec = await api(`/api/visits/${v.json.visit_id}/record`);
  const esc = rec.json.orders.find((o) => o.medication.id === 'escitalopram');
  const conds = await api(`/api/patients/${rec.json.patient.id}/conditions`);
  assert.equal(esc.condition_id, conds.json.conditions[0].id);

  // Sertraline: refused, the allergy named in the form.
  await by(page, 'adjust-medication').selectOption('sertraline');
  await by(page, 'adjust-dose').selectOption('50');
  await by(page, 'adjust-frequency').selectOption('once-daily');
  await by(page, 'adjust-reason').fill('Depression');
  await by(page, 'adjust-submit').click();
  // The prescribing check's findings, explained in the form (rx-findings.js):
  // an allergy is refused outright, with no override offered.
  const findings = by(page, 'rx-findings');
  await findings.waitFor({ state: 'visible' });
  assert.match(squash(await findings.locator('[data-rule="allergy"]').innerText()), /recorded allergy to sertraline \(hives \(welts on both arms\), noted 3 Mar 2024\)/);
  assert.equal(await by(page, 'rx-override-reason').count(), 0);
  await by(page, 'rx-cancel').click();
  await findings.waitFor({ state: 'hidden' });

  // In remission: no longer offered as what a new order treats.
  await dx.locator('[data-testid="diagnosis-change"]').selectOption('remission');
  await page.locator('[data-testid="diagnosis"][data-status="remission"]').waitFor({ state: 'visible' });
  assert.equal(await by(page, 'diagnosis-done').innerText(), 'F33.1: status changed to remission.');
  await waitFor(async () => (await treats.locator('option').count()) === 1, { what: 'Treats to drop the diagnosis' });
  assert.equal(await treats.locator('option').innerText(), 'No active diagnosis recorded');

  assert.deepEqual(await axe(page), []);
  await page.setViewportSize({ width: 390, height: 844 });
  await closeForms();
  await panel.evaluate((n) => n.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: path.join(shots, 'problems-390x844.png') });
  assert.deepEqual(provider.pageErrors, []);
});
