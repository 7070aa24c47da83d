// End-to-end (issue 14, items 2 and 4): a positive PHQ-9 item 9 reaches the
// provider's console within seconds, with real Chromium and a real
// telehealthd. The patient's check-in answers item 9; the console (polling
// its alerts) puts a line in the page and the count in the title; a reload
// lists the alert without announcing it again. In the record panel the
// provider acknowledges it with a note (refused without one), and closes
// the safety task with the C-SSRS form (refused without where the patient
// is). axe-core finds nothing serious in the new parts. Screenshots at
// 390×844 and 1280×800 go to $TH_SCREENSHOT_DIR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, fragmentOf, launchParticipant, openConsole, waitFor } from './lib.mjs';

const SHOTS = process.env.TH_SCREENSHOT_DIR || path.join(tmpdir(), 'th-safety-screens');
// The console polls its alerts every 5 s; on a loaded machine allow two
// rounds and the page's work.
const ALERT_WAIT_MS = 12000;

let server;

before(async () => {
  server = await startServer();
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  if (server) await server.stop();
});

const by = (page, id) => page.locator(`[data-testid="${id}"]`);

async function axe(page, selector) {
  const axePath = path.join(path.dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js');
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(await readFile(axePath, 'utf8'));
  const violations = await page.evaluate(async (sel) => {
    const r = await window.axe.run({ include: [[sel]] },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, selector);
  assert.deepEqual(violations, [], `axe on ${selector}`);
}

// A screenshot at `size`, with `focus` (a locator) scrolled to the top.
async function shot(page, name, size, focus = null) {
  await page.setViewportSize(size);
  await page.waitForTimeout(300);
  if (focus) await focus.evaluate((n) => n.scrollIntoView({ block: 'start' }));
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}-${size.width}x${size.height}.png`) });
}

test('a new item-9 alert reaches the console within seconds; the provider acknowledges it and closes the task',
  { timeout: 180000 }, async (t) => {
    const demo = server.demo;
    const patientToken = fragmentOf(demo.patient_url).token;
    const provider = await launchParticipant('provider');
    try {
      const page = provider.page;
      await page.setViewportSize({ width: 1280, height: 800 });
      await openConsole(provider, demo.provider_url, demo.provider_login);
      await by(page, 'timeline-link').waitFor({ state: 'visible' });
      // Nothing to say yet: no line, no count.
      await page.waitForTimeout(1500);
      assert.equal(await by(page, 'monitoring-alerts').isVisible(), false);
      assert.doesNotMatch(await page.title(), /Alert/);

      const saved = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}/checkin`, {
        token: patientToken, method: 'POST', body: { phq9: [1, 1, 1, 1, 1, 0, 0, 0, 2], gad7: [1, 1, 1, 1, 0, 0, 0] },
      });
      assert.equal(saved.status, 201, saved.text);
      const t0 = Date.now();
      const line = by(page, 'monitoring-alert-line');
      await line.waitFor({ state: 'visible', timeout: ALERT_WAIT_MS });
      t.diagnostic(`alert shown ${Date.now() - t0} ms after the check-in`);
      assert.match(await line.innerText(), /^New safety alert for Demo Patient\.$/);
      assert.match(await by(page, 'monitoring-alert-list').innerText(),
        /Demo Patient: Check-in: PHQ-9 item 9 .* on more than half the days in the last 2 weeks\./);
      assert.match(await page.title(), /^\(1\) Alert: Provider console$/);
      // The waiting room's mechanics ran for it: the notification (not
      // needed while the console is in front, else shown or not allowed)
      // and the chime (played, or waiting for sound to be turned on).
      assert.match(await line.getAttribute('data-notified'), /^(not-needed|true|false)$/);
      assert.match(await line.getAttribute('data-sound'), /^(played|blocked)$/);
      await shot(page, 'safety-console-alert', { width: 1280, height: 800 });
      await shot(page, 'safety-console-alert', { width: 390, height: 844 });
      const phoneBox = await by(page, 'monitoring-alert-line').boundingBox();
      assert.ok(phoneBox && phoneBox.y + phoneBox.height <= 844, `the alert line on a phone's first screen: ${JSON.stringify(phoneBox)}`);
      await page.setViewportSize({ width: 1280, height: 800 });

      // A reload knows the alert: listed, not announced again.
      await page.reload({ waitUntil: 'load' });
      await by(page, 'monitoring-alert-list').locator('[data-testid="monitoring-alert"]').first().waitFor({ state: 'visible' });
      assert.equal(await line.isVisible(), false, 'no new-alert line after a reload');
      assert.match(await page.title(), /^\(1\) Alert:/);

      // The record panel: the open safety task first, the alert with Acknowledge.
      const safety = by(page, 'record-safety');
      await safety.locator('[data-testid="safety-task-start"]').waitFor({ state: 'visible' });
      const recordAlert = by(page, 'patient-alerts').locator('[data-testid="monitoring-alert"]').first();
      await recordAlert.locator('[data-testid="alert-ack"]').click();
      await recordAlert.locator('[data-testid="alert-ack-save"]').click();
      assert.match(await recordAlert.locator('[data-testid="alert-ack-error"]').innerText(), /Write a note first/);
      await recordAlert.locator('[data-testid="alert-ack-note"]').fill('Called the patient: safe at home with her sister; screening now.');
      await recordAlert.locator('[data-testid="alert-ack-save"]').click();
      const acked = by(page, 'patient-alerts').locator('[data-testid="alert-acknowledged"]').first();
      await acked.waitFor({ state: 'visible' });
      assert.match(await acked.innerText(), /^Acknowledged by .+: .*Called the patient: safe at home with her sister; screening now\./);
      await by(page, 'monitoring-alerts').waitFor({ state: 'hidden' });
      assert.doesNotMatch(await page.title(), /Alert/);

      // The C-SSRS form: Q1 yes, Q2 no (3-5 not asked), Q6 no: low risk.
      await safety.locator('[data-testid="safety-task-start"]').click();
      const form = by(page, 'cssrs-form');
      await form.locator('[data-testid="cssrs-q1-yes"]').check();
      await form.locator('[data-testid="cssrs-q2-no"]').check();
      assert.equal(await form.locator('[data-testid="cssrs-q3-yes"]').isVisible(), false, 'Q3 only after Q2 yes');
      await form.locator('[data-testid="cssrs-q2-yes"]').check();
      assert.equal(await form.locator('[data-testid="cssrs-q3-yes"]').isVisible(), true);
      await form.locator('[data-testid="cssrs-q2-no"]').check();
      await form.locator('[data-testid="cssrs-q6-no"]').check();
      assert.equal(await form.locator('[data-testid="cssrs-suggestion"]').innerText(), "The screener's triage suggests: low risk.");
      await form.locator('[data-testid="cssrs-risk-low"]').check();
      await form.locator('[data-testid="cssrs-plan-safety-plan"]').check();
      await form.locator('[data-testid="cssrs-plan-crisis-line"]').check();
      await shot(page, 'safety-cssrs-form', { width: 390, height: 844 }, form);
      await shot(page, 'safety-record-open', { width: 1280, height: 800 }, safety);
      await page.setViewportSize({ width: 1280, height: 800 });
      await form.locator('[data-testid="cssrs-submit"]').click();
      // The server refuses it (a round trip): wait for its sentence.
      const cssrsError = form.locator('[data-testid="cssrs-error"]');
      await waitFor(async () => /Say where the patient is right now/.test(await cssrsError.innerText()), { what: 'the missing-location refusal' });
      await form.locator('[data-testid="cssrs-location"]').fill('At home, 4 Birch Lane, with her sister');
      await form.locator('[data-testid="cssrs-submit"]').click();
      const closed = by(page, 'safety-task-closed-item').first();
      await closed.waitFor({ state: 'visible' });
      assert.match(await closed.innerText(), /^Safety task closed: Low risk · screened by Dr\. Demo Provider, /);
      assert.match(await closed.innerText(), /Where the patient was: At home, 4 Birch Lane, with her sister/);
      assert.equal(await safety.locator('[data-testid="safety-task-start"]').count(), 0);
      await shot(page, 'safety-record-closed', { width: 1280, height: 800 }, safety);
      await shot(page, 'safety-record-closed', { width: 390, height: 844 }, safety);
      await page.setViewportSize({ width: 1280, height: 800 });

      await axe(page, '[data-testid="record-safety"]');
      assert.deepEqual(provider.pageErrors, []);
    } finally {
      await provider.close();
    }
  });

test('a new alert is in the console\'s first screen on a phone, with its Acknowledge button', { timeout: 120000 }, async () => {
  const provider = await launchParticipant('provider-phone');
  try {
    const page = provider.page;
    await page.setViewportSize({ width: 390, height: 844 });
    const demo = server.demo;
    await openConsole(provider, demo.provider_url, demo.provider_login);
    const saved = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}/checkin`, {
      token: fragmentOf(demo.patient_url).token, method: 'POST', body: { phq9: [0, 0, 0, 0, 0, 0, 0, 0, 1] },
    });
    assert.equal(saved.status, 201, saved.text);
    const item = by(page, 'monitoring-alert-list').locator('[data-testid="monitoring-alert"]').first();
    await item.waitFor({ state: 'visible', timeout: ALERT_WAIT_MS });
    const btn = await item.locator('[data-testid="alert-ack"]').boundingBox();
    assert.ok(btn && btn.y + btn.height <= 844, `Acknowledge on the first screen: ${JSON.stringify(btn)}`);
    await page.screenshot({ path: path.join(SHOTS, 'safety-console-phone-390x844.png') });
    await axe(page, '[data-testid="monitoring-alerts"]');
    // Acknowledged from the console: the list empties.
    await item.locator('[data-testid="alert-ack"]').click();
    await item.locator('[data-testid="alert-ack-note"]').fill('Reviewed; patient seen in clinic today.');
    await item.locator('[data-testid="alert-ack-save"]').click();
    await by(page, 'monitoring-alerts').waitFor({ state: 'hidden' });
  } finally {
    await provider.close();
  }
});
