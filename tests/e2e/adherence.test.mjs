// End-to-end: adherence per medication beside each current medication in
// the provider's record, in real Chromium, at a phone's 390x844 and a
// laptop's 1280x800: the sentence with the numbers, the weekly chart and
// its text alternative, the side effects attributed to the drug, and the
// measurement-based care label on the score trend; axe-core finds nothing
// serious in the record. The demo patient was last seen 4 weeks ago; the
// diary's rows are written into the server's database with the sqlite3
// program (the diary's own pages are another part's work), the check-in
// through the API. TH_SCREENSHOT_DIR=dir keeps a screenshot per viewport.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, launchParticipant, openConsole, fetchJson, fragmentOf, addDays, requireEnv } from './lib.mjs';

const SQLITE = '/usr/bin/sqlite3';
let server;
let axeSource;

before(async () => {
  requireEnv();
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  server = await startServer({});
});

after(async () => {
  if (server) await server.stop();
});

// Buspirone 10 mg twice daily logged on days 1-12 back (one dose forgotten
// on days 5 and 10, dizziness rated severe on day 3); sertraline untouched
// in the diary, so its adherence comes from the check-in.
function seedDiary(patientId, buspirone) {
  const today = server.today();
  let text = 'BEGIN;';
  for (let back = 12; back >= 1; back--) {
    const id = `entry-${back}`;
    const made = new Date(server.now() - back * 86400000).toISOString();
    const missed = back % 5 === 0 ? 1 : 0;
    text += `INSERT INTO diary_entries (id, patient_id, day, made_at, item9) VALUES ('${id}', '${patientId}', '${addDays(today, -back)}', '${made}', 0);`;
    text += `INSERT INTO diary_doses (entry_id, order_id, taken, missed, reason) VALUES ('${id}', '${buspirone}', ${2 - missed}, ${missed}, ${missed ? "'forgot'" : 'NULL'});`;
    if (back === 3) text += `INSERT INTO diary_side_effects (entry_id, order_id, effect, severity) VALUES ('${id}', '${buspirone}', 'dizziness', 3);`;
  }
  const r = spawnSync(SQLITE, ['-bail', '-cmd', '.timeout 5000', path.join(server.dataDir, 'telehealth.db'), `${text}COMMIT;`],
    { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
}

async function axeOnRecord(page) {
  if (!await page.evaluate(() => typeof window.axe === 'object')) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run({ include: [['[data-testid="record"]']] },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

test('the record shows adherence, its weeks and the side effects per medication, and the MBC label',
  { timeout: 120000, skip: !existsSync(SQLITE) }, async () => {
    const demo = server.demo;
    const session = await server.login();
    const rec = (await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}/record`, { session })).json;
    const meds = Object.fromEntries(rec.current_medications.map((o) => [o.medication.id, o]));
    seedDiary(rec.patient.id, meds.buspirone.id);
    const sent = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}/checkin`, {
      token: fragmentOf(demo.patient_url).token, method: 'POST',
      body: { phq9: [1, 1, 1, 0, 1, 0, 1, 0, 0], gad7: [1, 1, 1, 1, 1, 0, 0], // 5 and 5
        missed_doses: [{ order_id: meds.sertraline.id, missed: 3 }] } });
    assert.equal(sent.status, 201, sent.text);

    const provider = await launchParticipant('provider', { server });
    try {
      const { page } = provider;
      await openConsole(provider, demo.provider_url, demo.provider_login);
      const busp = page.locator(`[data-testid="adherence-${meds.buspirone.id}"]`);
      await busp.locator('[data-testid="adherence"]').waitFor({ state: 'visible' });
      const since = new Date(`${addDays(server.today(), -28)}T00:00:00Z`)
        .toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
      assert.equal((await busp.locator('[data-testid="adherence"]').innerText()).replace(/\s+/g, ' ').trim(),
        `Adherence: 92% of doses taken: 22 of 24 due on the logged days; 12 of 29 days logged since ${since}. Missed: forgot 2.`);
      const chart = busp.locator('svg.adherence-chart');
      assert.equal(await chart.getAttribute('role'), 'img');
      const label = await chart.getAttribute('aria-label');
      assert.match(label, /^Buspirone[^,]*, doses taken by week: week of [^:]+: not logged; /);
      assert.match(label, /\d+ of \d+ doses taken \(\d+%\), \d of 7 days logged/);
      assert.equal(await chart.locator('rect.adherence-bar').count(), 2, 'two weeks with logged days');
      assert.match(await busp.locator('[data-testid="adherence-side-effects"]').innerText(), /Dizziness: worst severe, last on/);

      const sert = page.locator(`[data-testid="adherence-${meds.sertraline.id}"]`);
      assert.equal((await sert.locator('[data-testid="adherence"]').innerText()).replace(/\s+/g, ' ').trim(),
        'Adherence: 79% of doses taken: 11 of 14 (from the check-in, 14 days).');
      assert.equal(await sert.locator('svg').count(), 0, 'no weekly chart without a diary');

      assert.match(await page.locator('[data-testid="mbc-phq9"]').innerText(), /^Too early to tell: PHQ-9 down 37% \(8 to 5\) at week [34] of 8$/);
      assert.match(await page.locator('[data-testid="mbc-gad7"]').innerText(), /^Too early to tell: GAD-7 down 16% \(6 to 5\)/);

      for (const [width, height] of [[390, 844], [1280, 800]]) {
        await page.setViewportSize({ width, height });
        await busp.scrollIntoViewIfNeeded();
        const box = await chart.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= width, `the chart fits ${width}px`);
        assert.deepEqual(await axeOnRecord(page), [], `axe at ${width}x${height}`);
        if (process.env.TH_SCREENSHOT_DIR) {
          await page.screenshot({ path: path.join(process.env.TH_SCREENSHOT_DIR, `adherence-${width}x${height}.png`) });
        }
      }
      assert.deepEqual(provider.pageErrors, []);
    } finally {
      await provider.close();
    }
  });
