// E2E (issue 15, item 7): in a real Chromium against a real telehealthd, the
// record's "Controlled-substance checks" panel. The demo patient (New York)
// has the demo's PDMP check: the panel says who checked and until when it
// counts for a controlled order, and the pharmacy. An empty check is refused
// in words; the provider records one and the panel shows it. The in-person
// evaluation is saved with who performed it, and the record says so. A
// current medication is renewed from its line. axe-core on both parts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, fetchJson, openConsole, waitFor, CHROMIUM, CHROMIUM_ARGS } from './lib.mjs';

let server;
let browser;
let provider;
let session;
let axeSource;

const by = (page, id) => page.locator(`[data-testid="${id}"]`);

before(async () => {
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  server = await startServer();
  session = await server.login();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('the PDMP panel says when a check is due, records one, and the order goes ahead', async () => {
  const api = (p, o = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...o });
  const demo = server.demo;
  const rec = (await api(`/api/visits/${demo.visit_id}/record`)).json;
  const patientId = rec.patient.id;
  const listed = (await api(`/api/patients/${patientId}/pdmp-checks`)).json;
  assert.equal(listed.current, true, 'the demo recorded a check now');

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: false, args: CHROMIUM_ARGS, timeout: 30000 });
  // bypassCSP: axe-core is injected as an inline script.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  provider = { name: 'provider', context, page };
  await openConsole(provider, demo.provider_url, server.providerLogin);
  await waitFor(async () => /Last NY PDMP check/.test(await by(page, 'pdmp-last').textContent()),
    { what: 'the PDMP panel drawn' });
  assert.match(await by(page, 'pdmp-last').textContent(), /by Dr\. Demo Provider\..*Recent enough for a controlled order until/);
  assert.match(await by(page, 'pharmacy').textContent(), /Pharmacy: Demo Community Pharmacy/);

  // An empty record is refused in words, on the page.
  await by(page, 'pdmp-record').click();
  await waitFor(async () => by(page, 'pdmp-error').isVisible(), { what: 'the empty-check error' });
  assert.match(await by(page, 'pdmp-error').textContent(), /Write what the PDMP showed/);

  await by(page, 'pdmp-result').fill('NY PMP: one prior prescriber, 2025; nothing current.');
  await by(page, 'pdmp-record').click();
  await waitFor(async () => /recorded/.test(await by(page, 'pdmp-done').textContent()), { what: 'the check recorded' });
  // The panel is drawn again after the "recorded" note: wait for it.
  await waitFor(async () => /“NY PMP: one prior prescriber, 2025; nothing current\.”/.test(await by(page, 'pdmp-last').textContent()),
    { what: 'the panel showing the new check' });
  const after_ = (await api(`/api/patients/${patientId}/pdmp-checks`)).json;
  assert.equal(after_.checks.length, 2);
  assert.equal(after_.checks[0].result, 'NY PMP: one prior prescriber, 2025; nothing current.');

  // The patient's pharmacy, set from the panel: a missing field is named in
  // words; then new orders go to the new one.
  await by(page, 'pharmacy-set').locator('summary').click();
  await by(page, 'pharmacy-name').fill('Riverside Pharmacy');
  await by(page, 'pharmacy-save').click();
  await waitFor(async () => by(page, 'pharmacy-error').isVisible(), { what: 'the missing-fields error' });
  assert.equal(await by(page, 'pharmacy-error').textContent(), 'Give its address, its phone number.');
  await by(page, 'pharmacy-address').fill('12 River Road, Troy, NY 12180');
  await by(page, 'pharmacy-phone').fill('+1 555 010 0177');
  await by(page, 'pharmacy-save').click();
  await waitFor(async () => /Pharmacy: Riverside Pharmacy, 12 River Road/.test(await by(page, 'pharmacy').textContent()),
    { what: 'the new pharmacy shown' });
  assert.equal(await by(page, 'pharmacy-done').textContent(), 'Saved: new orders go to Riverside Pharmacy.');
  assert.equal((await api(`/api/patients/${patientId}/pharmacy`)).json.pharmacy.name, 'Riverside Pharmacy');

  // The in-person evaluation, with who performed it.
  await by(page, 'eval-date').fill(server.today());
  await by(page, 'eval-by').fill('Dr. Ana Field, MD');
  await by(page, 'eval-save').click();
  await waitFor(async () => /performed by Dr\. Ana Field, MD/.test(await by(page, 'eval-on-record').textContent()),
    { what: 'the evaluation shown with who performed it' });

  // Renew a current medication from its line: the same dosing, a new order
  // linked to the old one, which leaves the current list completed.
  const before = (await api(`/api/visits/${demo.visit_id}/record`)).json.current_medications;
  const target = before[0];
  await by(page, `renew-${target.id}`).click();
  await waitFor(async () => (await page.locator(`[data-testid="med-${target.id}"]`).count()) === 0,
    { what: 'the renewed order leaves the current list' });
  const now = (await api(`/api/visits/${demo.visit_id}/record`)).json;
  const renewal = now.current_medications.find((o) => o.renews === target.id);
  assert.ok(renewal, 'the renewal is current');
  assert.equal(renewal.dose, target.dose);
  assert.equal(now.orders.find((o) => o.id === target.id).status, 'completed');
  await page.locator(`[data-testid="med-${renewal.id}"]`).waitFor();

  // axe-core on the page with the panel filled.
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => globalThis.axe.run({ include: [['[data-testid="pdmp"]'], ['[data-testid="current-medications"]']] }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), []);
  assert.deepEqual(pageErrors, []);
});
