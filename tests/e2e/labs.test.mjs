// E2E (issue 14, item 5): in a real Chromium against a real telehealthd on a
// fixed clock in America/Chicago. Lithium was started on 2 Nov 2026; ten
// days later, with no level on record, the record's "Labs and vital signs"
// says the lithium level is overdue, first. The provider enters a level of
// 1.5 mmol/L in the form: the latest value shows it flagged high in words
// and with a safety alert, and the overdue line leaves the due list. A
// blood pressure without its second number is refused in words. Screenshots
// at 390×844 and 1280×800 (TH_SCREENSHOT_DIR, else a temporary folder);
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
const START = '2026-11-02T10:00:00';
const LATER = '2026-11-12T10:00:00';

let server;
let dataDir;
let session;
let browser;
let provider;
let shots;
let axeSource;
let patientId;

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const by = (page, id) => page.locator(`[data-testid="${id}"]`);

before(async () => {
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-labs-e2e-'));
  shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-labs-shots-'));
  server = await startServer({ now: START, timeZone: ZONE, dataDir });
  session = await server.login();
  const v = await api('/api/visits', { method: 'POST', body: { patient_name: 'Lena Lithium', scheduled_at: '2026-11-02T10:15:00-06:00' } });
  assert.equal(v.status, 201, v.text);
  const li = await api(`/api/visits/${v.json.visit_id}/adjustments`, { method: 'POST',
    body: { kind: 'start', medication: 'lithium-carbonate-er', dose: 450, frequency: 'twice-daily', supply_days: 30, refills: 0, reason: 'Bipolar I disorder, maintenance' } });
  assert.equal(li.status, 201, li.text);
  patientId = (await api(`/api/visits/${v.json.visit_id}`)).json.patient.id;
  await server.stop();
  server = await startServer({ now: LATER, timeZone: ZONE, dataDir });
  session = await server.login();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: false, args: CHROMIUM_ARGS, timeout: 30000 });
  // CSP is bypassed only so that axe-core can be added as a script tag.
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

const squash = (s) => s.replace(/\s+/g, ' ').trim();

test('an overdue lithium level, entered in the console, is flagged with its alert and leaves the due list',
  { timeout: 150000 }, async () => {
    const { page } = provider;
    const today = await api('/api/visits', { method: 'POST', body: { patient_id: patientId, scheduled_at: '2026-11-12T10:15:00-06:00' } });
    assert.equal(today.status, 201, today.text);
    await openConsole(provider, today.json.provider_url, server.demo.provider_login);
    const labs = by(page, 'labs');
    await labs.waitFor({ state: 'visible' });
    const overdue = labs.locator('[data-testid="labs-due-item"][data-kind="lithium"]');
    await overdue.waitFor({ state: 'visible' });
    assert.equal(await overdue.getAttribute('data-status'), 'overdue');
    assert.match(squash(await overdue.innerText()),
      /^Overdue Lithium level: overdue since 9 Nov 2026, 5-7 days after the start of lithium carbonate on 2 Nov 2026; none since\./);
    // Overdue comes first in the section.
    assert.equal(await labs.locator('[data-testid="labs-due-item"]').first().getAttribute('data-kind'), 'lithium');

    await overdue.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'labs-overdue-1280x800.png') });

    // A blood pressure without its lower number: said in words, nothing sent.
    await by(page, 'labs-kind').selectOption('blood-pressure');
    await by(page, 'labs-value').fill('128');
    await by(page, 'labs-save').click();
    assert.match(await by(page, 'labs-error').innerText(), /lower number \(diastolic\)/);
    assert.equal(await labs.locator('[data-testid="labs-latest-row"]').count(), 0);

    // The level of 1.5 mmol/L, taken today (the form's default date).
    await by(page, 'labs-kind').selectOption('lithium');
    await by(page, 'labs-value').fill('1.5');
    await by(page, 'labs-save').click();
    await waitFor(async () => (await by(page, 'labs-done').innerText()).includes('Saved'), { what: 'the saved line' });
    assert.equal(await by(page, 'labs-done').innerText(), 'Saved: Lithium level 1.5 mmol/L — High. A safety alert was raised.');
    assert.equal(await by(page, 'labs-error').isVisible(), false);
    const row = labs.locator('[data-testid="labs-latest-row"][data-kind="lithium"]');
    await row.waitFor({ state: 'visible' });
    assert.equal(await row.getAttribute('data-flag'), 'H');
    const flag = squash(await row.locator('[data-testid="labs-flag"]').innerText());
    assert.match(flag, /^▲ High — above 1\.2 mmol\/L, the top of the maintenance range$/);
    assert.match(squash(await row.locator('[data-testid="labs-alert"]').innerText()),
      /^Safety alert: Lithium level 1\.5 mmol\/L: above 1\.2 mmol\/L: check for toxicity/);
    // The overdue line has left the due list: the next level is later.
    await waitFor(async () => (await labs.locator('[data-testid="labs-due"] [data-kind="lithium"]').count()) === 0,
      { what: 'the lithium line to leave the due list' });
    const later = labs.locator('[data-testid="labs-later"] [data-kind="lithium"]');
    assert.match(squash(await later.textContent()), /next due 12 Feb 2027/);

    assert.deepEqual(await axe(page), []);
    await labs.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'labs-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await labs.scrollIntoViewIfNeeded();
    // On a phone the section's heading and what is due fit the screen.
    await page.evaluate(() => document.getElementById('rec-labs-heading').scrollIntoView());
    await page.screenshot({ path: path.join(shots, 'labs-390x844.png') });
    assert.deepEqual(await axe(page), []);
    assert.deepEqual(provider.pageErrors, []);
  });
