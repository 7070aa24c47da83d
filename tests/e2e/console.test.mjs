// End-to-end (issue 13, item 6): the provider console built around the
// visit, with two real Chromium instances and a real telehealthd. During a
// live visit the patient's video, the controls and the record are on the
// first screen at 1280×800 and 1440×900 (waiting room, guests, messages
// below the video), and on a phone (390×844) the video and controls come
// first. A check-in the patient saves appears in the open record at once
// (pushed, with the record's poll set far longer than the wait). End visit
// asks once in a dialog; Keep the visit going keeps it. Screenshots of each
// size go to $TH_SCREENSHOT_DIR (default: a folder in the temp dir).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startServer, fetchJson, fragmentOf, launchParticipant, joinAsPatient, openConsoleAndAdmit,
  waitForState, assertMediaFlowing, waitFor, endVisit,
} from './lib.mjs';

const SHOTS = process.env.TH_SCREENSHOT_DIR || path.join(tmpdir(), 'th-console-screens');
// The record's fallback poll in this test: 10 min, far beyond anything we
// wait, so only the push can bring the check-in in. The push takes well
// under 2 s on an idle machine; PUSH_WAIT_MS leaves room for a loaded one.
const POLL_MS = 600000;
const PUSH_WAIT_MS = 5000;

let server;

before(async () => {
  server = await startServer();
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  if (server) await server.stop();
});

const by = (page, id) => page.locator(`[data-testid="${id}"]`);

// Where an element is, and whether all of it is inside the viewport.
async function placement(page, id, size) {
  const box = await by(page, id).first().boundingBox();
  assert.ok(box, `${id} is shown at ${size.width}×${size.height}`);
  const inside = box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 0.5
    && box.y + box.height <= size.height + 0.5;
  return { ...box, inside };
}

async function assertFirstScreen(page, size, t) {
  await page.setViewportSize(size);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300); // layout settles
  const file = path.join(SHOTS, `console-in-visit-${size.width}x${size.height}.png`);
  await page.screenshot({ path: file });
  const where = {};
  for (const id of ['remote-video', 'local-video', 'mute', 'camera', 'end-visit']) {
    where[id] = await placement(page, id, size);
    assert.ok(where[id].inside, `${id} inside ${size.width}×${size.height}: ${JSON.stringify(where[id])}`);
  }
  // The patient's picture is large enough to see a face.
  assert.ok(where['remote-video'].width >= 380, `remote video ${where['remote-video'].width} px wide`);
  // The record begins beside the call, on the same screen.
  const record = await by(page, 'record').boundingBox();
  assert.ok(record.y < size.height / 2 && record.x > where['remote-video'].x + where['remote-video'].width - 1,
    `record beside the video: ${JSON.stringify(record)}`);
  assert.ok(await page.locator('#record-heading').isVisible());
  const heading = await page.locator('#record-heading').boundingBox();
  assert.ok(heading.y + heading.height <= size.height, 'the record heading is on the first screen');
  // The waiting room, guests and messages come below the video, never above it.
  for (const sel of ['.waiting-room', '#guests', '[data-testid="chat"]']) {
    const box = await page.locator(sel).boundingBox();
    if (box) assert.ok(box.y >= where['remote-video'].y + where['remote-video'].height, `${sel} below the video`);
  }
  t.diagnostic(`${size.width}×${size.height}: ${JSON.stringify(where)} → ${file}`);
}

test('the console in a live visit: video, controls and record first; check-in pushed; End asks once',
  { timeout: 180000 }, async (t) => {
    const demo = server.demo;
    const patientToken = fragmentOf(demo.patient_url).token;
    const patient = await launchParticipant('patient');
    const provider = await launchParticipant('provider');
    try {
      await provider.context.addInitScript((ms) => { window.__thRecordPollMs = ms; }, POLL_MS);
      await joinAsPatient(patient, demo.patient_url);
      await openConsoleAndAdmit(provider, demo.provider_url, { login: demo.provider_login });
      await Promise.all([waitForState(patient, 'in_progress'), waitForState(provider, 'in_progress')]);
      await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
      const page = provider.page;
      await by(page, 'chat').waitFor({ state: 'visible' });
      await by(page, 'timeline-link').waitFor({ state: 'visible' });

      await assertFirstScreen(page, { width: 1280, height: 800 }, t);
      await assertFirstScreen(page, { width: 1440, height: 900 }, t);

      // A phone: the visit before the day's list, the video and controls first.
      const phone = { width: 390, height: 844 };
      await page.setViewportSize(phone);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(SHOTS, 'console-in-visit-390x844.png') });
      await page.screenshot({ path: path.join(SHOTS, 'console-in-visit-390x844-full.png'), fullPage: true });
      const video = await placement(page, 'remote-video', phone);
      assert.ok(video.inside, `remote video inside the phone screen: ${JSON.stringify(video)}`);
      const mute = await placement(page, 'mute', phone);
      assert.ok(mute.inside, `mute inside the phone screen: ${JSON.stringify(mute)}`);
      const end = await placement(page, 'end-visit', phone);
      assert.ok(end.inside, `End visit inside the phone screen: ${JSON.stringify(end)}`);
      const endBox = await by(page, 'end-visit').boundingBox();
      for (const sel of ['[data-testid="visit-list"]', '.waiting-room', '[data-testid="record"]']) {
        const box = await page.locator(sel).boundingBox();
        assert.ok(box.y >= endBox.y + endBox.height, `${sel} after the controls on a phone`);
      }
      await page.setViewportSize({ width: 1280, height: 800 });

      // The patient saves a check-in: the open record shows it at once
      // (about 2 s at most), long before the record's next poll.
      assert.equal(await by(page, 'score-phq9').count(), 0, 'no check-in shown yet');
      const saved = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}/checkin`, {
        token: patientToken, method: 'POST', body: { phq9: [1, 1, 1, 1, 1, 1, 0, 0, 0], gad7: [1, 1, 1, 1, 0, 0, 0] },
      });
      assert.equal(saved.status, 201, saved.text);
      const t0 = Date.now();
      await by(page, 'score-phq9').waitFor({ state: 'visible', timeout: PUSH_WAIT_MS });
      t.diagnostic(`check-in shown ${Date.now() - t0} ms after the save`);
      assert.match(await by(page, 'score-phq9').innerText(), /\b6\b/);

      // End visit asks once; keeping the visit going keeps it.
      await by(page, 'end-visit').click();
      const dialog = by(page, 'end-visit-dialog');
      await dialog.waitFor({ state: 'visible' });
      assert.equal(await page.getByRole('dialog', { name: 'End the visit for everyone?' }).count(), 1);
      await page.screenshot({ path: path.join(SHOTS, 'console-end-dialog-1280x800.png') });
      // axe-core (WCAG 2.1 A/AA) on the open dialog: nothing serious.
      const axePath = path.join(path.dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js');
      await page.evaluate(await readFile(axePath, 'utf8'));
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run({ include: [['[data-testid="end-visit-dialog"]']] },
          { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
      });
      assert.deepEqual(violations, [], 'the End visit dialog passes axe');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'end-visit-cancel',
        'the dialog opens on the safe choice');
      await by(page, 'end-visit-cancel').click();
      await dialog.waitFor({ state: 'hidden' });
      await page.waitForTimeout(500);
      assert.equal(await page.getAttribute('[data-testid="visit-state"]', 'data-state'), 'in_progress');
      assert.equal(await patient.page.getAttribute('[data-testid="visit-state"]', 'data-state'), 'in_progress');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'end-visit',
        'focus back on End visit');
      // Escape keeps it going too.
      await by(page, 'end-visit').click();
      await dialog.waitFor({ state: 'visible' });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await page.getAttribute('[data-testid="visit-state"]', 'data-state'), 'in_progress');

      await endVisit(page);
      await Promise.all([waitForState(patient, 'ended'), waitForState(provider, 'ended')]);
      const v = await waitFor(async () => {
        const r = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}`, { session: await server.login() });
        return r.json && r.json.state === 'ended' ? r.json : null;
      }, { timeout: 5000, what: 'the visit recorded as ended' });
      assert.equal(v.timeline.filter((e) => e.kind === 'state' && e.state === 'ended').length, 1);
      assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], []);
    } finally {
      await Promise.all([patient.close(), provider.close()]);
    }
  });
