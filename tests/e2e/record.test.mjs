// End-to-end: the follow-up record in real Chromium (issue 3). The patient
// answers the check-in in the waiting room (PHQ-9 with item 9 above 0); the
// provider admits, sees the scores and the item-9 alert beside the live
// video, changes a dose through the adjustment form, reloads, and sees the
// new dose in the current medications and the old order stopped. Over
// HTTPS/WSS; the provider signs in through the sign-in page. The clinic's
// config sets crisis numbers other than the US defaults (112 and 116 123):
// the patient's item-9 message and the provider's alert show those, each in
// its role. Missed doses are asked per medication (buspirone twice daily:
// up to 28).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchParticipant, fetchJson, fragmentOf, waitFor, waitForState,
  assertMediaFlowing, joinAsPatient, openConsoleAndAdmit, fillCheckin,
} from './lib.mjs';

// PHQ-9 total 12 (moderate) with item 9 = 1; GAD-7 total 7 (mild).
const PHQ9 = [2, 2, 1, 2, 1, 1, 1, 1, 1];
const GAD7 = [1, 1, 1, 1, 1, 1, 1];
const ASRS18 = [0, 1, 2, 0, 1, 0, 1, 2, 1, 0, 1, 0, 1, 2, 0, 1, 0, 1];

let server;

before(async () => {
  // The clinic's own crisis numbers, not the US defaults: the pages must show
  // what the config says.
  server = await startServer({
    tls: true,
    settings: {
      clinic: { emergency_number: '112', crisis_line: '116 123', crisis_line_name: 'the Samaritans helpline' },
    },
  });
});

after(async () => {
  if (server) await server.stop();
});

async function text(page, testid, timeout = 15000) {
  const loc = page.locator(`[data-testid="${testid}"]`);
  await loc.waitFor({ state: 'visible', timeout });
  return (await loc.innerText()).replace(/\s+/g, ' ').trim();
}

// The active rows of the current medications: [{orderId, text}].
async function currentMeds(page) {
  return page.$$eval('[data-testid="current-medications"] [data-testid^="med-"]', (rows) => rows.map((r) => ({
    orderId: r.dataset.testid.slice(4), status: r.dataset.status, text: r.textContent.replace(/\s+/g, ' ').trim(),
  })));
}

test('check-in in the waiting room, scores and alert for the provider, a dose change that survives a reload',
  { timeout: 240000 }, async (t) => {
    const demo = server.demo;
    const patientToken = fragmentOf(demo.patient_url).token;
    const launched = await Promise.allSettled([
      launchParticipant('patient', { server }), launchParticipant('provider', { server })]);
    const ok = launched.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = launched.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((p) => p.close()));
      throw failed.reason;
    }
    const [patient, provider] = ok;
    try {
      // ---------------------------------------------------- patient: join + check-in
      await joinAsPatient(patient, demo.patient_url);
      t.diagnostic('patient is in the waiting room');
      await patient.page.locator('[data-testid="checkin-form"]').waitFor({ state: 'visible', timeout: 15000 });
      const asksAsrs = await patient.page.locator('[data-testid="asrs18-1-0"]').count() > 0;
      assert.equal(await patient.page.locator('[data-testid^="asrs_a-"]').count(), 0, 'the part-A screener is not asked');
      const asked = await patient.page.$$eval('[data-testid="missed-doses"] input[data-order-id]',
        (inputs) => inputs.map((i) => [i.dataset.medication, i.max]));
      assert.deepEqual(asked.sort(), [['buspirone', '28'], ['sertraline', '14']], 'missed doses asked per medication');
      // Above a medication's cap: the page says so in plain words, nothing is sent.
      await fillCheckin(patient.page, { phq9: PHQ9, missedDoses: { buspirone: 29 } });
      await patient.page.click('[data-testid="checkin-submit"]');
      assert.equal(await text(patient.page, 'checkin-error'), 'Missed doses of buspirone: enter a whole number from 0 to 28.');
      await fillCheckin(patient.page, {
        phq9: PHQ9, gad7: GAD7, asrs18: asksAsrs ? ASRS18 : undefined,
        sideEffects: { nausea: 2, headache: 1 }, missedDoses: { buspirone: 20, sertraline: 2 },
      });
      await patient.page.click('[data-testid="checkin-submit"]');
      const done = await text(patient.page, 'checkin-done');
      assert.match(done, /Thank you — your provider will see your answers/);
      // Item 9 above 0: the clinic's numbers, each in its role.
      assert.match(done, /If you are in danger now, call 112\./);
      assert.match(done, /To talk to someone now, call or text 116 123 \(the Samaritans helpline\)\./);
      assert.doesNotMatch(done, /911|988/, 'no US number when the clinic set its own');
      assert.equal(await patient.page.locator('[data-testid="checkin-form"]').count(), 0, 'the form is gone after submitting');
      t.diagnostic(`patient check-in sent (asks ASRS: ${asksAsrs})`);

      // The server scored what the page sent.
      const saved = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}/checkin`, { token: patientToken });
      assert.equal(saved.status, 200, saved.text);
      const phq = saved.json.checkin.scales.find((s) => s.scale === 'phq9');
      assert.deepEqual(phq.items, PHQ9);
      assert.equal(phq.total, 12);
      assert.deepEqual(saved.json.checkin.missed_doses.map((m) => [m.medication, m.missed, m.max]),
        [['buspirone', 20, 28], ['sertraline', 2, 14]]);

      // ---------------------------------------------------- provider: admit, scores, alert
      const waitingText = await openConsoleAndAdmit(provider, demo.provider_url, { login: demo.provider_login });
      assert.equal(new URL(provider.page.url()).pathname, '/provider.html', 'signed in and back on the console');
      assert.equal(fragmentOf(provider.page.url()).visit, demo.visit_id, 'for the demo visit');
      t.diagnostic(`provider admitted (${waitingText.replace(/\s+/g, ' ').trim()})`);
      await Promise.all([waitForState(patient, 'in_progress'), waitForState(provider, 'in_progress')]);
      assert.ok(await patient.page.locator('#checkin').isHidden(), 'admission hides the check-in on the patient page');

      assert.equal(await text(provider.page, 'score-phq9'), 'PHQ-9: 12 (moderate)');
      assert.equal(await text(provider.page, 'score-gad7'), 'GAD-7: 7 (mild)');
      const alert = provider.page.locator('[data-testid="alert-item9"]');
      assert.equal(await alert.getAttribute('role'), 'alert');
      assert.match(await text(provider.page, 'alert-item9'), /item 9/i);
      assert.equal(await text(provider.page, 'alert-emergency-number'), '112');
      assert.equal(await text(provider.page, 'alert-crisis-line'), '116 123');
      assert.match(await text(provider.page, 'alert-item9-numbers'),
        /in danger now, call 112; to talk to someone now, call or text 116 123 \(the Samaritans helpline\)/);
      assert.match(await text(provider.page, 'missed-doses-shown'), /buspirone 10 mg: 20 of 28.*sertraline 50 mg: 2 of 14/);
      assert.match((await provider.page.innerText('#record-patient')), /born 1988-06-14/);
      assert.ok((await text(provider.page, 'score-trend')).length > 0, 'the score trend is shown');

      const [patientMedia, providerMedia] = await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
      t.diagnostic(`patient media ${JSON.stringify(patientMedia)}; provider media ${JSON.stringify(providerMedia)}`);

      // ---------------------------------------------------- provider: change a dose
      const before = await waitFor(async () => {
        const meds = await currentMeds(provider.page);
        return meds.some((m) => m.status === 'active') && meds;
      }, { timeout: 15000, what: 'an active row in the current medications' });
      const target = before.find((m) => m.status === 'active' && /sertraline/i.test(m.text)) || before.find((m) => m.status === 'active');
      t.diagnostic(`changing the dose of: ${target.text}`);

      // The catalog's `controlled` marks a DEA schedule, spelled as the server sends it.
      const medOptions = Object.fromEntries(await provider.page.$$eval('[data-testid="adjust-medication"] option',
        (opts) => opts.map((o) => [o.value, o.textContent.trim()])));
      assert.equal(medOptions.alprazolam, 'Alprazolam tablet (Schedule IV, controlled)');
      assert.equal(medOptions['methylphenidate-ir'], 'Methylphenidate hydrochloride immediate-release tablet (Schedule II, controlled)');
      assert.equal(medOptions.sertraline, 'Sertraline tablet');

      await provider.page.selectOption('[data-testid="adjust-kind"]', 'change-dose');
      await provider.page.selectOption('[data-testid="adjust-order"]', target.orderId);
      const doses = await provider.page.$$eval('[data-testid="adjust-dose"] option', (opts) => opts
        .filter((o) => o.value && !/current/.test(o.textContent)).map((o) => ({ value: o.value, text: o.textContent.trim() })));
      assert.ok(doses.length > 0, 'the dose select offers the medication\'s other strengths');
      const newDose = doses[doses.length > 1 ? 1 : 0];
      await provider.page.selectOption('[data-testid="adjust-dose"]', newDose.value);
      await provider.page.fill('[data-testid="adjust-reason"]', 'Partial response; side effects tolerable');
      await provider.page.click('[data-testid="adjust-submit"]');

      const doseText = `${newDose.text.replace(/\s*\(current\)/, '')}`; // "100 mg"
      const medName = target.text.split(' ')[0];
      const after1 = await waitFor(async () => {
        const error = provider.page.locator('[data-testid="adjust-error"]');
        if (await error.isVisible()) throw new Error(`adjustment refused: ${await error.innerText()}`);
        const meds = await currentMeds(provider.page);
        return !meds.some((m) => m.orderId === target.orderId)
          && meds.some((m) => m.text.startsWith(medName) && m.text.includes(doseText)) && meds;
      }, { timeout: 15000, what: `the current medications to show ${medName} ${doseText} instead of order ${target.orderId}` });
      t.diagnostic(`after the change: ${after1.map((m) => m.text).join(' | ')}`);

      // ---------------------------------------------------- reload: the change is in the record
      // (the session cookie survives the reload: no second sign-in)
      await provider.page.reload({ waitUntil: 'load' });
      const after2 = await waitFor(async () => {
        const meds = await currentMeds(provider.page);
        return meds.length > 0 && meds;
      }, { timeout: 15000, what: 'the current medications after the reload' });
      assert.ok(!after2.some((m) => m.orderId === target.orderId), 'the old order is no longer current');
      const now = after2.find((m) => m.text.startsWith(medName) && m.text.includes(doseText));
      assert.ok(now, `current medications show ${medName} ${doseText}: ${after2.map((m) => m.text).join(' | ')}`);
      const oldRow = provider.page.locator(`[data-testid="order-history"] [data-testid="order-${target.orderId}"]`);
      await oldRow.waitFor({ state: 'visible', timeout: 15000 });
      assert.equal(await oldRow.getAttribute('data-status'), 'stopped', 'the order history shows the old order stopped');
      const newRow = provider.page.locator(`[data-testid="order-history"] [data-testid="order-${now.orderId}"]`);
      assert.match((await newRow.innerText()).replace(/\s+/g, ' '), /Replaces/, 'the new order links the one it replaces');
      // Still scored and alerted after the reload.
      assert.equal(await text(provider.page, 'score-phq9'), 'PHQ-9: 12 (moderate)');
      await provider.page.locator('[data-testid="alert-item9"]').waitFor({ state: 'visible', timeout: 15000 });

      assert.equal(new URL(provider.page.url()).pathname, '/provider.html', 'still signed in after the reload');
      assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], [], 'no uncaught JavaScript errors');
    } catch (err) {
      const diag = [];
      for (const p of [patient, provider]) {
        diag.push(`${p.name} page errors: ${JSON.stringify(p.pageErrors)} console errors: ${JSON.stringify(p.consoleErrors.slice(-10))}`);
      }
      diag.push(`--- telehealthd stderr (tail) ---\n${server.stderrTail(60)}`);
      err.message = `${err.message}\n${diag.join('\n')}`;
      throw err;
    } finally {
      await Promise.all([patient.close(), provider.close()]);
    }
  });
