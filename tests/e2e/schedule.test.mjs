// E2E (issue 13 item 2): the Schedule page in a real Chromium against a real
// telehealthd. As the front desk (role scheduler): signing in lands on the
// schedule; book a visit for a provider (the patient found as one types);
// a second visit at the same time shows the double booking and is booked
// only on "Book anyway"; move a visit; cancel one with a reason, and its
// link page says it was cancelled. As the provider: the visit is on the
// day's schedule. Screenshots at 390×844 and 1280×800 (TH_SCREENSHOT_DIR,
// else a temporary folder).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, launchParticipant, signInOnLoginPage, waitFor } from './lib.mjs';

const { bin, root } = requireEnv();
const ZONE = 'America/New_York';
let server;
let deskLogin;
let bellLogin;
let bellId;
let deskSession;
let browser;

function addStaff(username, name, role) {
  const r = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', server.dataDir,
    'admin', 'add-staff', '--username', username, '--name', name, '--role', role], { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

before(async () => {
  // A Tuesday morning in New York.
  server = await startServer({ now: '2027-01-05T09:00:00', timeZone: ZONE });
  deskLogin = addStaff('front.desk', 'Front Desk', 'scheduler');
  bellLogin = addStaff('dr.bell', 'Dr. Bell', 'psychiatrist');
  bellId = bellLogin.staff_id;
  deskSession = await server.login(deskLogin.username, deskLogin.password);
  const p = await fetchJson(`${server.baseUrl}/api/patients`, {
    session: deskSession, method: 'POST',
    body: { name: 'Rosa Delgado', birth_date: '1979-02-11', mrn: 'MRN-77120' },
  });
  assert.equal(p.status, 201, p.text);
  browser = await launchParticipant('desk');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const by = (page, id) => page.locator(`[data-testid="${id}"]`);

async function bookInForm(page, { q, time, length = '30' }) {
  await by(page, 'book-patient-search').fill(q);
  await page.locator('[data-testid^="book-patient-"]').filter({ hasText: 'Rosa Delgado' }).first().click();
  await by(page, 'book-provider').selectOption(bellId);
  await by(page, 'book-date').fill('2027-01-05');
  await by(page, 'book-time').fill(time);
  await by(page, 'book-length').fill(length);
  await by(page, 'book-save').click();
}

test('the front desk books, sees the double booking, books anyway, moves and cancels; the provider sees the day', { timeout: 150000 }, async () => {
  const { page } = browser;
  const shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-schedule-shots-'));
  await page.setViewportSize({ width: 1280, height: 800 });
  // The console's address, yet the front desk lands on the schedule.
  await page.goto(`${server.baseUrl}/provider.html`, { waitUntil: 'load' });
  await signInOnLoginPage(browser, deskLogin);
  await page.waitForURL((u) => u.pathname === '/schedule.html');
  await by(page, 'schedule-range').filter({ hasText: 'Tue 5 Jan 2027 (today)' }).waitFor();
  assert.match(await by(page, 'schedule-range').innerText(), /America\/New_York/);
  assert.equal(await by(page, 'to-console').isVisible(), false, 'no console for the front desk');

  // Book 10:00 with Dr. Bell.
  await bookInForm(page, { q: 'Ros', time: '10:00' });
  await by(page, 'book-saved').filter({ hasText: 'Booked: Rosa Delgado with Dr. Bell' }).waitFor();
  const column = by(page, `provider-${bellId}`);
  await column.locator('.sc-visit').filter({ hasText: '10:00–10:30' }).waitFor();
  assert.match(await column.innerText(), /Rosa Delgado · Follow-up/);
  assert.match(await column.innerText(), /Scheduled/);

  // 10:15 clashes: the warning names the other visit; nothing until confirmed.
  await bookInForm(page, { q: 'MRN-771', time: '10:15' });
  const conflict = by(page, 'book-conflict');
  await conflict.waitFor({ state: 'visible' });
  assert.match(await conflict.innerText(), /Dr\. Bell already has a visit at this time: 10:00–10:30 on Tue 5 Jan 2027/);
  assert.equal(await column.locator('.sc-visit').count(), 1, 'nothing booked yet');
  await page.screenshot({ path: path.join(shots, 'schedule-double-booking-1280x800.png') });
  await by(page, 'book-anyway').click();
  await by(page, 'book-saved').filter({ hasText: 'double-booked' }).waitFor();
  await waitFor(async () => (await column.locator('.sc-visit').count()) === 2, { what: 'two visits' });

  // Move the 10:15 visit to 14:00.
  const second = column.locator('.sc-visit').filter({ hasText: '10:15–10:45' });
  await second.getByRole('button', { name: /Move the visit/ }).click();
  await by(page, 'move-panel').waitFor({ state: 'visible' });
  await by(page, 'move-time').fill('14:00');
  await by(page, 'move-save').click();
  await column.locator('.sc-visit').filter({ hasText: '14:00–14:30' }).waitFor();
  assert.equal(await column.locator('.sc-visit').filter({ hasText: '10:15' }).count(), 0);
  await page.screenshot({ path: path.join(shots, 'schedule-day-1280x800.png') });

  // Cancel the 14:00 visit: asked once, with a reason.
  const moved = column.locator('.sc-visit').filter({ hasText: '14:00–14:30' });
  await moved.getByRole('button', { name: /Cancel visit of/ }).click();
  await moved.getByLabel(/Reason/).fill('Patient asked to rebook');
  await moved.getByRole('button', { name: 'Cancel the visit', exact: true }).click();
  await column.locator('.sc-visit[data-state="cancelled"]').filter({ hasText: 'Cancelled' }).waitFor();

  // The week view holds the day.
  await by(page, 'schedule-week').click();
  await by(page, 'schedule-range').filter({ hasText: 'Week of Mon 4 Jan 2027' }).waitFor();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(shots, 'schedule-week-390x844.png') });
  await by(page, 'schedule-day').click();
  await page.screenshot({ path: path.join(shots, 'schedule-day-390x844.png') });
  // The day's schedule is on a phone's first screen.
  const box = await by(page, 'schedule-list').boundingBox();
  assert.ok(box && box.y < 844, `the schedule starts at y=${box && box.y}`);
  assert.deepEqual(browser.pageErrors, []);

  // The cancelled visit's link says so.
  const sched = await fetchJson(`${server.baseUrl}/api/schedule?provider=${bellId}`, { session: deskSession });
  assert.equal(sched.status, 200, sched.text);
  const states = sched.json.providers[0].visits.map((v) => v.state).sort();
  assert.deepEqual(states, ['cancelled', 'scheduled']);
});

test('the provider sees the booked visit on the day\'s schedule', { timeout: 90000 }, async () => {
  const provider = await launchParticipant('bell');
  try {
    const { page } = provider;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.baseUrl}/schedule.html`, { waitUntil: 'load' });
    await signInOnLoginPage(provider, bellLogin);
    await page.waitForURL((u) => u.pathname === '/schedule.html');
    const column = by(page, `provider-${bellId}`);
    await column.locator('.sc-visit').filter({ hasText: '10:00–10:30' }).waitFor();
    assert.match(await column.innerText(), /Rosa Delgado/);
    assert.equal(await by(page, 'to-console').isVisible(), true);
    assert.deepEqual(provider.pageErrors, []);
  } finally {
    await provider.close();
  }
});

test('a cancelled visit\'s link page says it was cancelled and offers no Join', { timeout: 90000 }, async () => {
  const r = await fetchJson(`${server.baseUrl}/api/visits`, {
    session: deskSession, method: 'POST',
    body: { patient_id: (await fetchJson(`${server.baseUrl}/api/patients?q=Rosa`, { session: deskSession })).json.patients[0].id,
      provider_id: bellId, start: { date: '2027-01-05', time: '16:00' } },
  });
  assert.equal(r.status, 201, r.text);
  const c = await fetchJson(`${server.baseUrl}/api/visits/${r.json.visit_id}/cancel`, { session: deskSession, method: 'POST', body: { reason: 'Clinic closed' } });
  assert.equal(c.status, 200, c.text);
  const patient = await launchParticipant('patient');
  try {
    const { page } = patient;
    await page.goto(r.json.patient_url, { waitUntil: 'load' });
    await page.getByText('This visit was cancelled.').waitFor();
    assert.equal(await page.getByRole('button', { name: /Join/ }).isVisible().catch(() => false), false);
  } finally {
    await patient.close();
  }
});
