// The patient's diary on a phone (issue 14), in real Chromium at 390×844:
// the patient opens the diary link, logs 5 days (one with a missed lithium
// dose and a severe tremor, which shows the crisis text at once), reloads
// mid-entry and loses nothing, and a save without a connection says so,
// keeps the entry and goes with Retry. The provider's console, open the
// while, shows the tremor's alert within seconds; the record shows lithium's
// adherence over the logged days and the tremor attributed to lithium; the
// provider acknowledges the alert with a note. axe-core finds no serious
// or critical problem on the page. TH_DIARY_SHOTS=<dir> keeps screenshots
// at 390×844 and 1280×800.
//
// Lithium is started nine days before the diary's days (the server is
// started on that day, then again today on the same data), so every day
// logged is a day of treatment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, launchParticipant, waitFor, addDays, signInOnLoginPage, openConsole } from './lib.mjs';

const STARTED = '2027-03-01T15:00:00Z'; // lithium started
const NOW = '2027-03-10T15:00:00Z'; // Wed 10:00 in New York, the demo patient's zone
const TODAY = '2027-03-10';
// The console polls the open alerts every 5 s: "within seconds".
const ALERT_WAIT_MS = 12000;
const PHONE = { width: 390, height: 844 };
const SHOTS = process.env.TH_DIARY_SHOTS || null;

let server;
let session;
let patientId;
let url;
let patient;
let provider;
let providerUrl;
let dataDir;
let axeSource;

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const day = (back) => addDays(TODAY, -back);

before(async () => {
  // Email set up (to a port nobody listens on: nothing is sent in this
  // test), so the page offers the daily reminder by email.
  const settings = { mail: { host: '127.0.0.1', port: '9', security: 'none', from: 'Clinic <visits@clinic.example>' } };
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-diary-e2e-'));
  server = await startServer({ now: STARTED, dataDir, settings });
  session = await server.login();
  const visitId = server.demo.visit_id;
  patientId = (await api(`/api/visits/${visitId}`)).json.patient.id;
  const started = await api(`/api/visits/${visitId}/adjustments`, {
    method: 'POST', body: { kind: 'start', medication: 'lithium-carbonate-ir', dose: 300, frequency: 'twice-daily', reason: 'Bipolar depression, augmentation' },
  });
  assert.equal(started.status, 201, started.text);
  const link = await api(`/api/patients/${patientId}/diary-link`, { method: 'POST' });
  assert.equal(link.status, 201, link.text);
  url = link.json.url;
  // Nine days on: the same clinic, the same patient and diary link; today's
  // follow-up visit with the same provider, whose console is open while
  // the patient writes.
  await server.stop();
  server = await startServer({ now: NOW, dataDir, settings });
  session = await server.login();
  url = url.replace(/^https?:\/\/[^/]+/, server.baseUrl);
  const booked = await api('/api/visits', { method: 'POST', body: { patient_id: patientId, scheduled_at: '2027-03-10T16:00:00Z' } });
  assert.equal(booked.status, 201, booked.text);
  providerUrl = booked.json.provider_url;
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  patient = await launchParticipant('diary-patient');
  await patient.page.setViewportSize(PHONE);
});

after(async () => {
  await patient?.close();
  await provider?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const page = () => patient.page;
const med = (name) => page().locator(`[data-testid="diary-med"][data-medication="${name}"]`);
const status = () => page().getByTestId('diary-status');

async function pickDay(d) {
  await page().locator(`[data-testid="diary-day"][data-day="${d}"]`).click();
  await waitFor(async () => (await page().locator(`[data-testid="diary-day"][data-day="${d}"]`).getAttribute('aria-pressed')) === 'true', { what: `day ${d} picked` });
}

// Every dose of a medicine taken (or dose `missIndex` missed).
async function logDoses(name, { missIndex = -1, reason = null } = {}) {
  const doses = med(name).getByTestId('diary-dose');
  const n = await doses.count();
  for (let i = 0; i < n; i++) {
    await doses.nth(i).getByTestId(i === missIndex ? 'diary-dose-missed' : 'diary-dose-taken').click();
  }
  if (reason) await med(name).locator(`[data-testid="diary-reason"][data-reason="${reason}"]`).click();
}

async function rate(name, effect, severity) {
  await med(name).locator(`[data-testid="diary-effect"][data-effect="${effect}"] [data-testid="diary-severity"][data-value="${severity}"]`).click();
}

async function saveAndWait() {
  await page().getByTestId('diary-save').click();
  await waitFor(async () => /Saved\./.test(await status().textContent()), { timeout: 15000, what: 'the entry saved' });
}

async function axeSerious(label) {
  // Evaluated over the DevTools protocol: the page's CSP (script-src
  // 'self') rightly refuses an inline script tag.
  await page().evaluate(axeSource);
  const violations = await page().evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `axe on ${label}`);
}

test('the patient logs five days on a phone; a severe tremor shows the crisis text', { timeout: 150000 }, async (t) => {
  provider = await launchParticipant('diary-console');
  await provider.page.setViewportSize({ width: 1280, height: 800 });
  await openConsole(provider, providerUrl, server.demo.provider_login);
  const alertLine = provider.page.getByTestId('monitoring-alert-line');
  await page().goto(url, { waitUntil: 'load' });
  await waitFor(async () => (await page().getByTestId('diary-hello').textContent()) === 'Hello, Demo', { what: 'the diary opened' });
  assert.equal(await page().getByTestId('diary-day').count(), 8);
  assert.deepEqual(await page().getByTestId('diary-med').evaluateAll((els) => els.map((e) => e.dataset.medication)).then((a) => a.sort()),
    ['buspirone', 'lithium carbonate', 'sertraline']);
  assert.equal(await med('lithium carbonate').getByTestId('diary-dose').count(), 2, 'twice daily: two doses');
  assert.match(await page().getByTestId('diary-item9').textContent(), /Thoughts that you would be better off dead or of hurting yourself in some way/);
  // The Save button is on the first screen, at the bottom, for the thumb.
  const box = await page().getByTestId('diary-save').boundingBox();
  assert.ok(box.y + box.height <= PHONE.height && box.y > PHONE.height * 0.6, `Save at ${JSON.stringify(box)}`);
  assert.ok(box.height >= 48);
  await axeSerious('the diary, today');
  if (SHOTS) {
    await page().screenshot({ path: path.join(SHOTS, 'diary-390x844.png') });
    await page().getByTestId('diary-item9').scrollIntoViewIfNeeded();
    await page().screenshot({ path: path.join(SHOTS, 'diary-item9-390x844.png') });
    await page().getByTestId('diary-note').scrollIntoViewIfNeeded();
    await page().screenshot({ path: path.join(SHOTS, 'diary-end-390x844.png') });
    await page().evaluate(() => window.scrollTo(0, 0));
  }

  for (const back of [4, 3, 2, 1]) {
    await pickDay(day(back));
    const tremorDay = back === 2;
    await logDoses('lithium carbonate', tremorDay ? { missIndex: 1, reason: 'forgot' } : {});
    await logDoses('sertraline');
    await logDoses('buspirone');
    await rate('lithium carbonate', 'tremor', tremorDay ? 'severe' : 'mild');
    await page().locator('[data-testid="diary-item9-answer"][data-value="0"]').click();
    if (tremorDay) {
      // At once, before saving: the crisis text with the numbers to call.
      assert.equal(await page().getByTestId('diary-crisis').isVisible(), true);
      assert.match(await page().getByTestId('diary-crisis-text').textContent(), /988/);
    } else {
      assert.equal(await page().getByTestId('diary-crisis').isVisible(), false, `no crisis text on ${day(back)}`);
    }
    await saveAndWait();
    if (tremorDay) {
      assert.equal(await page().getByTestId('diary-crisis').isVisible(), true);
      if (SHOTS) await page().screenshot({ path: path.join(SHOTS, 'diary-crisis-390x844.png') });
      // The provider's console, open meanwhile, says so within seconds.
      const t0 = Date.now();
      await alertLine.waitFor({ state: 'visible', timeout: ALERT_WAIT_MS });
      t.diagnostic(`the console showed the alert ${Date.now() - t0} ms after the save`);
      assert.match(await alertLine.innerText(), /^New safety alert for Demo Patient\.$/);
      assert.match(await provider.page.getByTestId('monitoring-alert-list').innerText(),
        new RegExp(`Demo Patient: Severe tremor on lithium carbonate, reported in the diary for ${day(2)}\\.`));
      assert.match(await provider.page.title(), /^\(1\) Alert/);
    }
    assert.equal(await page().locator(`[data-testid="diary-day"][data-day="${day(back)}"]`).getAttribute('data-mark'), 'saved');
  }
});

test('a reload mid-entry loses nothing; a failed save says so and goes with Retry', { timeout: 120000 }, async () => {
  await pickDay(TODAY);
  await logDoses('lithium carbonate');
  await rate('lithium carbonate', 'thirst', 'moderate');
  await page().getByTestId('diary-note').fill('Steadier today.');
  await page().locator('[data-testid="diary-readings"] summary').click();
  await page().getByTestId('diary-weight').fill('180');
  await page().reload({ waitUntil: 'load' });
  await waitFor(async () => (await page().getByTestId('diary-hello').textContent()) === 'Hello, Demo', { what: 'the diary again' });
  assert.equal(await page().locator(`[data-testid="diary-day"][data-day="${TODAY}"]`).getAttribute('aria-pressed'), 'true', 'the same day');
  const lithium = med('lithium carbonate');
  assert.equal(await lithium.getByTestId('diary-dose').nth(0).getByTestId('diary-dose-taken').getAttribute('aria-pressed'), 'true');
  assert.equal(await lithium.getByTestId('diary-dose').nth(1).getByTestId('diary-dose-taken').getAttribute('aria-pressed'), 'true');
  assert.equal(await lithium.locator('[data-testid="diary-effect"][data-effect="thirst"] input[value="moderate"]').isChecked(), true);
  assert.equal(await page().getByTestId('diary-note').inputValue(), 'Steadier today.');
  assert.equal(await page().getByTestId('diary-weight').inputValue(), '180');
  assert.match(await page().getByTestId('diary-saved-line').textContent(), /not sent yet/);
  assert.equal(await page().getByTestId('diary-crisis').isVisible(), false);

  await logDoses('sertraline');
  await logDoses('buspirone');
  await page().locator('[data-testid="diary-item9-answer"][data-value="0"]').click();
  await patient.context.setOffline(true);
  await page().getByTestId('diary-save').click();
  await waitFor(async () => /Not saved yet: no connection\. Your entry is kept on this phone/.test(await status().textContent()), { timeout: 20000, what: 'the failed save said plainly' });
  assert.equal(await page().getByTestId('diary-retry').isVisible(), true);
  await patient.context.setOffline(false);
  await page().getByTestId('diary-retry').click();
  await waitFor(async () => /Saved\./.test(await status().textContent()), { timeout: 15000, what: 'saved on Retry' });
  assert.equal(await page().getByTestId('diary-retry').isVisible(), false);
  // The daily reminder, by email at 8 in the morning.
  await page().locator('[data-testid="diary-reminder"] summary').click();
  await page().getByTestId('diary-reminder-hour').selectOption('8');
  await page().getByTestId('diary-reminder-save').click();
  await waitFor(async () => /every day at 8:00 am/.test(await page().getByTestId('diary-reminder-status').textContent()), { what: 'the reminder saved' });
  if (SHOTS) {
    await page().getByTestId('diary-reminder').scrollIntoViewIfNeeded();
    await page().screenshot({ path: path.join(SHOTS, 'diary-reminder-390x844.png') });
    await page().setViewportSize({ width: 1280, height: 800 });
    await page().evaluate(() => window.scrollTo(0, 0));
    await page().screenshot({ path: path.join(SHOTS, 'diary-1280x800.png') });
    await page().setViewportSize(PHONE);
  }

  // The clinic sees five days, the tremor and the missed dose attributed to lithium.
  const res = await api(`/api/patients/${patientId}/diary`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.days.map((d) => d.day), [0, 1, 2, 3, 4].map(day));
  const today = res.json.days[0];
  assert.equal(today.note, 'Steadier today.');
  assert.equal(Math.round(today.readings.weight_kg), 82);
  const tremor = res.json.days.find((d) => d.day === day(2));
  assert.deepEqual(tremor.alerts.map((a) => a.rule), ['severe-side-effect']);
  assert.match(tremor.alerts[0].summary, /Severe tremor on lithium carbonate/);
  const lithiumDose = tremor.doses.find((d) => tremor.side_effects.some((e) => e.order_id === d.order_id && e.effect === 'tremor'));
  assert.deepEqual([lithiumDose.taken, lithiumDose.missed, lithiumDose.reason], [1, 1, 'forgot']);
  assert.deepEqual(patient.pageErrors, []);
});

test('the record shows lithium\'s adherence and the tremor attributed to it; the provider acknowledges the alert with a note', { timeout: 120000 }, async () => {
  const p = provider.page;
  await p.reload({ waitUntil: 'load' });
  const lithium = await waitFor(async () => {
    const items = p.locator('[data-testid^="adherence-"]').filter({ hasText: /lithium/i });
    return (await items.count()) ? items.first() : null;
  }, { what: 'lithium\'s adherence in the record' });
  // Five days logged, two doses due each; one missed (forgot) on the tremor day.
  // Since lithium started on 1 Mar: 10 days, 5 of them logged.
  assert.equal(await lithium.getByTestId('adherence').innerText(),
    'Adherence: 90% of doses taken: 9 of 10 due on the logged days; 5 of 10 days logged since 1 Mar. Missed: forgot 1.');
  const effects = lithium.getByTestId('adherence-side-effects');
  assert.match(await effects.innerText(), /tremor[^\n]*severe/i);
  if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'diary-console-record-1280x800.png') });

  // The alert, acknowledged once by the named clinician with a note.
  const item = p.getByTestId('monitoring-alert-list').locator('[data-testid="monitoring-alert"]').first();
  await item.waitFor({ state: 'visible' });
  await item.getByTestId('alert-ack').click();
  await item.getByTestId('alert-ack-note').fill('Called her: tremor easing; lithium level ordered for tomorrow.');
  await item.getByTestId('alert-ack-save').click();
  await p.getByTestId('monitoring-alerts').waitFor({ state: 'hidden', timeout: 10000 });
  const alerts = await api(`/api/patients/${patientId}/alerts`);
  assert.equal(alerts.status, 200, alerts.text);
  const tremor = alerts.json.alerts.find((a) => a.rule === 'severe-side-effect');
  assert.equal(tremor.acknowledged.by.display_name, 'Dr. Demo Provider');
  assert.equal(tremor.acknowledged.note, 'Called her: tremor easing; lithium level ordered for tomorrow.');
  assert.deepEqual(provider.pageErrors, []);
});

test('the provider makes a diary link on the Patients page and turns the diary off', { timeout: 120000 }, async () => {
  const provider = await launchParticipant('diary-provider');
  try {
    const p = provider.page;
    await p.setViewportSize({ width: 1280, height: 800 });
    await p.goto(`${server.baseUrl}/patients.html#patient=${patientId}`, { waitUntil: 'load' });
    await signInOnLoginPage(provider, server.providerLogin);
    await p.waitForURL((u) => u.pathname === '/patients.html');
    const box = p.getByTestId('diary-link');
    await box.waitFor({ state: 'visible' });
    assert.match(await p.getByTestId('diary-link-status').textContent(), /The diary is on/);
    await p.getByTestId('diary-link-create').click();
    const input = p.getByTestId('diary-link-url');
    await input.waitFor({ state: 'visible' });
    const made = await input.inputValue();
    assert.match(made, /\/diary\.html#d=[A-Za-z0-9_-]{43}$/);
    if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'patients-diary-link-1280.png') });
    p.once('dialog', (d) => d.accept());
    await p.getByTestId('diary-link-revoke').click();
    await waitFor(async () => /The diary is off/.test(await p.getByTestId('diary-link-status').textContent()), { what: 'the diary off' });
    // The patient's page, and the link just made, now say so in words.
    for (const link of [url, made]) {
      await page().goto('about:blank');
      await page().goto(link, { waitUntil: 'load' });
      await waitFor(async () => /Your clinic has turned this diary link off/.test(await page().getByTestId('diary-error').textContent()), { what: 'the revoked link said' });
    }
    assert.deepEqual(provider.pageErrors, []);
  } finally {
    await provider.close();
  }
});
