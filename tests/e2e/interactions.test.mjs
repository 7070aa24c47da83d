// E2E (issue 15): the prescribing check explained in the adjustment form, in
// a real Chromium against a real telehealthd on a fixed clock. The patient
// takes sertraline 100 mg (ordered here) and tramadol from elsewhere. The
// provider starts escitalopram: the form shows the serotonergic duplication
// in plain words with its source, asks for a reason to override, and Cancel
// leaves the record as it was. The provider switches sertraline to
// escitalopram instead: the switch passes (sertraline is gone), and the
// tramadol warning it went ahead with is shown on the order in the record.
// The medications-from-elsewhere panel adds a typed medication, which is
// marked as not checked. Screenshots at 390x844 and 1280x800
// (TH_SCREENSHOT_DIR, else a temporary folder); axe-core on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, fetchJson, openConsole, waitFor, withTimeout, CHROMIUM, CHROMIUM_ARGS } from './lib.mjs';

const ZONE = 'America/New_York';
const NOW = '2026-12-05T10:00:00';

let server;
let session;
let browser;
let provider;
let shots;
let axeSource;
let visit;
let sertralineId;
let patientId;

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const by = (page, id) => page.locator(`[data-testid="${id}"]`);
const squash = (s) => s.replace(/\s+/g, ' ').trim();

before(async () => {
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-interactions-shots-'));
  server = await startServer({ now: NOW, timeZone: ZONE });
  session = await server.login();
  const v = await api('/api/visits', { method: 'POST', body: { patient_name: 'Sam Sertraline', scheduled_at: '2026-12-05T10:15:00-05:00' } });
  assert.equal(v.status, 201, v.text);
  visit = v.json;
  const s = await api(`/api/visits/${visit.visit_id}/adjustments`, { method: 'POST',
    body: { kind: 'start', medication: 'sertraline', dose: 100, frequency: 'once-daily', supply_days: 30, refills: 0, reason: 'Major depressive disorder' } });
  assert.equal(s.status, 201, s.text);
  sertralineId = s.json.order.id;
  patientId = (await api(`/api/visits/${visit.visit_id}`)).json.patient.id;
  const t = await api(`/api/patients/${patientId}/other-medications`, { method: 'POST',
    body: { name: 'tramadol', dose: '50 mg up to twice a day for back pain', prescriber: 'Dr Okafor (primary care)', verified: true } });
  assert.equal(t.status, 201, t.text);
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
});

async function axe(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

async function currentMeds(page) {
  return page.$$eval('[data-testid="current-medications"] [data-testid^="med-"]', (rows) => rows.map((r) => ({
    id: r.dataset.testid.slice(4), text: r.textContent.replace(/\s+/g, ' ').trim(),
  })));
}

async function fillOrder(page, { kind, order, medication, dose, frequency, reason }) {
  await by(page, 'adjust-kind').selectOption(kind);
  if (order) await by(page, 'adjust-order').selectOption(order);
  if (medication) await by(page, 'adjust-medication').selectOption(medication);
  await by(page, 'adjust-dose').selectOption(String(dose));
  await by(page, 'adjust-frequency').selectOption(frequency);
  await by(page, 'adjust-reason').fill(reason);
}

test('escitalopram on top of sertraline is explained in the form; cancel, then a switch passes',
  { timeout: 150000 }, async () => {
    const { page } = provider;
    await openConsole(provider, visit.provider_url, server.demo.provider_login);
    await by(page, 'adjust-form').waitFor({ state: 'visible' });
    await waitFor(async () => (await currentMeds(page)).length === 1, { what: 'sertraline in the current medications' });

    // ------------------------------------------------ start: refused, explained
    await fillOrder(page, { kind: 'start', medication: 'escitalopram', dose: 10, frequency: 'once-daily', reason: 'Partial response' });
    await by(page, 'adjust-submit').click();
    const panel = by(page, 'rx-findings');
    await panel.waitFor({ state: 'visible' });
    assert.match(squash(await panel.locator('h4').innerText()), /Not saved yet: the prescribing check needs your attention/);
    const dup = panel.locator('[data-rule="serotonergic-duplication"]');
    assert.equal(await dup.getAttribute('data-severity'), 'major');
    const dupText = squash(await dup.innerText());
    assert.match(dupText, /Major: needs your reason to go ahead Two serotonergic antidepressants/);
    assert.match(dupText, /Escitalopram 10 mg once daily with sertraline 100 mg once daily: Two serotonergic antidepressants taken together add serotonin syndrome risk/);
    assert.match(dupText, /Use one: switch/);
    assert.match(dupText, /Source: FDA labels, DailyMed: Zoloft, Lexapro/);
    // The tramadol from elsewhere is the moderate one, shown too.
    assert.match(squash(await panel.locator('[data-rule="serotonergic-tramadol-triptan"]').innerText()),
      /Moderate: a warning.*tramadol 50 mg up to twice a day for back pain \(from elsewhere\)/);
    assert.equal(await by(page, 'adjust-error').isVisible(), false, 'the plain error line gives way to the findings');
    // The override needs a reason: said in words, nothing sent.
    await by(page, 'rx-override-submit').click();
    assert.equal(await by(page, 'rx-override-error').innerText(), 'Give your reason for overriding, or cancel.');
    assert.equal(await by(page, 'rx-override-reason').getAttribute('aria-invalid'), 'true');

    assert.deepEqual(await axe(page), []);
    await panel.evaluate((n) => n.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(shots, 'interactions-findings-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await panel.evaluate((n) => n.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(shots, 'interactions-findings-390x844.png') });
    assert.deepEqual(await axe(page), []);
    await page.setViewportSize({ width: 1280, height: 800 });

    // ------------------------------------------------ cancel: nothing changed
    await by(page, 'rx-cancel').click();
    assert.equal(await panel.isVisible(), false);
    const afterCancel = await api(`/api/visits/${visit.visit_id}/record`);
    assert.deepEqual(afterCancel.json.current_medications.map((o) => o.medication.id), ['sertraline']);
    assert.equal((await currentMeds(page)).length, 1);

    // ------------------------------------------------ switch instead: passes
    await fillOrder(page, { kind: 'switch', order: sertralineId, medication: 'escitalopram', dose: 10, frequency: 'once-daily', reason: 'Partial response; switch within class' });
    await by(page, 'adjust-submit').click();
    await waitFor(async () => (await by(page, 'adjust-done').innerText()).startsWith('Saved'), { what: 'the saved line' });
    assert.equal(await panel.isVisible(), false);
    const meds = await waitFor(async () => {
      const m = await currentMeds(page);
      return m.length === 1 && /escitalopram/i.test(m[0].text) && m;
    }, { what: 'escitalopram in place of sertraline' });
    // The warning it went ahead with is shown on the order, in the record.
    const checks = by(page, `rx-checks-order-${meds[0].id}`);
    await checks.waitFor({ state: 'visible' });
    assert.match(squash(await checks.innerText()), /^Warning Serotonergic drug with tramadol or a triptan: Escitalopram 10 mg once daily with tramadol/);
    assert.match(squash(await by(page, `rx-checks-med-${meds[0].id}`).innerText()), /Warning Serotonergic drug with tramadol/);

    // ------------------------------------------------ medications from elsewhere
    const other = by(page, 'other-meds');
    await other.scrollIntoViewIfNeeded();
    assert.match(squash(await other.innerText()), /Tramadol 50 mg up to twice a day for back pain.*RxNorm 10689\. Prescribed by Dr Okafor \(primary care\)\. Verified by/);
    await by(page, 'other-meds-name').fill('Melatonin gummies');
    await by(page, 'other-meds-dose').fill('3 mg at night');
    await by(page, 'other-meds-add').click();
    await waitFor(async () => /Added Melatonin gummies/.test(await by(page, 'other-meds-done').innerText()), { what: 'the added line' });
    assert.match(await by(page, 'other-meds-done').innerText(), /not in the interaction table/);
    assert.match(squash(await by(page, 'other-meds-list').innerText()), /Melatonin gummies 3 mg at night\s*Not checked for interactions/);
    // A typed name nobody gave: refused in words by the page.
    await by(page, 'other-meds-add').click();
    assert.match(await by(page, 'other-meds-error').innerText(), /Give the medication's name/);

    assert.deepEqual(await axe(page), []);
    await page.evaluate(() => document.getElementById('rec-other-meds-heading').scrollIntoView());
    await page.screenshot({ path: path.join(shots, 'interactions-other-meds-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => document.getElementById('rec-other-meds-heading').scrollIntoView());
    await page.screenshot({ path: path.join(shots, 'interactions-other-meds-390x844.png') });
    assert.deepEqual(await axe(page), []);
    assert.deepEqual(provider.pageErrors, []);
  });
