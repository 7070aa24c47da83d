// The "Pregnancy potential" panel of the follow-up record (issue 15, item
// 6) in real Chromium against a real server: nothing recorded says so and
// opens the form; a half-filled contraception or a future date is refused
// in words with nothing saved; a full record is saved, summed up in one
// line and read back by the API; male at birth hides what does not apply;
// axe-core finds nothing serious; screenshots at phone and desktop sizes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, fetchJson, openConsole, waitFor, withTimeout, CHROMIUM, CHROMIUM_ARGS } from './lib.mjs';

const NOW = '2026-11-17T15:00:00Z';

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
const squash = (s) => s.replace(/\s+/g, ' ').trim();

before(async () => {
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-pregnancy-e2e-'));
  shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-pregnancy-shots-'));
  server = await startServer({ now: NOW, timeZone: 'UTC', dataDir });
  session = await server.login();
  patientId = (await api(`/api/visits/${server.demo.visit_id}`)).json.patient.id;
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

test('the provider records pregnancy potential on the record; bad input is refused in words', { timeout: 150000 }, async () => {
  const { page } = provider;
  await openConsole(provider, server.demo.provider_url, server.demo.provider_login);
  const panel = by(page, 'pregnancy-potential');
  await panel.waitFor({ state: 'visible' });
  await waitFor(async () => /Nothing recorded/.test(await by(page, 'pregnancy-summary').innerText()), { what: 'the empty summary' });
  assert.equal(squash(await by(page, 'pregnancy-summary').innerText()),
    'Nothing recorded. The prescribing check treats this patient as able to become pregnant.');
  assert.equal(await by(page, 'pregnancy-form').isVisible(), true, 'the form is open when nothing is recorded');

  // "Highly effective" without a method: said, nothing sent.
  await by(page, 'pregnancy-sex').selectOption('female');
  await by(page, 'pregnancy-highly-effective').check();
  await by(page, 'pregnancy-save').click();
  assert.match(await by(page, 'pregnancy-error').innerText(), /Name the contraception method/);

  // A check date after the clinic's today: the server's words.
  await by(page, 'pregnancy-status').selectOption('not-pregnant');
  await by(page, 'pregnancy-checked').fill('2026-11-18');
  await by(page, 'pregnancy-contraception').fill('levonorgestrel IUD');
  await by(page, 'pregnancy-save').click();
  await waitFor(async () => /in the future/.test(await by(page, 'pregnancy-error').innerText()), { what: 'the future-date refusal' });
  assert.match(await by(page, 'pregnancy-error').innerText(), /checked is in the future.*Nothing was saved/);
  assert.deepEqual((await api(`/api/patients/${patientId}/reproductive`)).json.history, [], 'nothing was saved');

  await by(page, 'pregnancy-checked').fill('2026-11-16');
  await by(page, 'pregnancy-counselled-on').fill('2026-11-16');
  await by(page, 'pregnancy-counselled-by').fill('Dr Ana Ruiz');
  await by(page, 'pregnancy-save').click();
  await waitFor(async () => /Saved/.test(await by(page, 'pregnancy-done').innerText()), { what: 'the saved line' });
  assert.equal(await by(page, 'pregnancy-error').isVisible(), false);
  assert.match(squash(await by(page, 'pregnancy-summary').innerText()),
    /^Female at birth · can become pregnant · not pregnant \(checked 16 Nov 2026\) · not breastfeeding|^Female at birth · can become pregnant · not pregnant \(checked Nov 16, 2026\)/);
  const summary = squash(await by(page, 'pregnancy-summary').innerText());
  assert.match(summary, /contraception: levonorgestrel IUD \(highly effective\) · valproate counselling .* by Dr Ana Ruiz\./);
  const saved = (await api(`/api/patients/${patientId}/reproductive`)).json.current;
  assert.deepEqual(saved.contraception, { method: 'levonorgestrel IUD', highly_effective: true });
  assert.deepEqual(saved.valproate_counselling, { date: '2026-11-16', by: 'Dr Ana Ruiz' });
  assert.equal(saved.pregnancy_checked, '2026-11-16');

  assert.deepEqual(await axe(page), []);
  await page.evaluate(() => document.getElementById('rec-pregnancy-heading').scrollIntoView());
  await page.screenshot({ path: path.join(shots, 'pregnancy-1280x800.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => document.getElementById('rec-pregnancy-heading').scrollIntoView());
  await page.screenshot({ path: path.join(shots, 'pregnancy-390x844.png') });
  assert.deepEqual(await axe(page), []);

  // Saved, the form folds away under the summary; opened again, male at
  // birth takes contraception, pregnancy and counselling out of it.
  assert.equal(await by(page, 'pregnancy-form').isVisible(), false);
  await panel.locator('summary').click();
  assert.equal(await by(page, 'pregnancy-contraception').isVisible(), true);
  await by(page, 'pregnancy-sex').selectOption('male');
  assert.equal(await by(page, 'pregnancy-contraception').isVisible(), false);
  assert.equal(await by(page, 'pregnancy-status').isVisible(), false);
  assert.deepEqual(provider.pageErrors, []);
});
