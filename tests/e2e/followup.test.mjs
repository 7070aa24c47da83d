// E2E (issue 13 items 4 and 5): in a real Chromium against a real
// telehealthd on a fixed clock in America/New_York, the provider ends a
// visit in which sertraline was started and books the next follow-up from
// the suggestion, preselected; the record then says when the next visit
// is. On a later clock (the same data), the console's header counts who is
// overdue, the overdue page lists the patient past their interval, and Book
// books them. Screenshots at 390×844 and 1280×800 (TH_SCREENSHOT_DIR, else
// a temporary folder) with what matters on the first screen; axe-core on
// the panel and the populated overdue page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import {
  startServer, fetchJson, fragmentOf, openConsole, signInOnLoginPage, endVisit, waitFor, withTimeout, CHROMIUM, CHROMIUM_ARGS,
} from './lib.mjs';

const ZONE = 'America/New_York';
const NOW = '2027-03-05T10:00:00'; // a Friday, EST
const LATER = '2027-06-10T09:00:00'; // EDT

let server;
let dataDir;
let session;
let browser;
let provider;
let shots;
let axeSource;

before(async () => {
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-followup-e2e-'));
  shots = process.env.TH_SCREENSHOT_DIR || await mkdtemp(path.join(tmpdir(), 'th-followup-shots-'));
  server = await startServer({ now: NOW, timeZone: ZONE, dataDir });
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

const by = (page, id) => page.locator(`[data-testid="${id}"]`);
const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });

async function book(name, scheduledAt) {
  const res = await api('/api/visits', { method: 'POST', body: { patient_name: name, scheduled_at: scheduledAt } });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

// Holds a visit over signaling (the patient joins with their link, the
// provider admits them), then ends it: a visit that took place.
async function holdAndEnd(visit) {
  const url = `${server.baseUrl.replace('http', 'ws')}/signaling`;
  const open = async (headers) => {
    const ws = new WebSocket(url, { headers });
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'ws open');
    return { ws, frames };
  };
  const patient = await open({});
  const doctor = await open({ Cookie: session.cookie });
  patient.ws.send(JSON.stringify({ type: 'hello', token: fragmentOf(visit.patient_url).token }));
  const pw = await waitFor(() => patient.frames.find((m) => m.type === 'welcome'), { timeout: 5000, what: 'patient welcome' });
  doctor.ws.send(JSON.stringify({ type: 'hello', visit: visit.visit_id }));
  await waitFor(() => doctor.frames.find((m) => m.type === 'waiting' && m.participants.length === 1), { timeout: 5000, what: 'patient waiting' });
  doctor.ws.send(JSON.stringify({ type: 'admit', participant: pw.participant }));
  await waitFor(() => doctor.frames.find((m) => m.type === 'visit-state' && m.state === 'in_progress'), { timeout: 10000, what: 'in progress' });
  doctor.ws.send(JSON.stringify({ type: 'end' }));
  await waitFor(() => doctor.frames.find((m) => m.type === 'bye'), { timeout: 10000, what: 'bye after end' });
  patient.ws.close();
  doctor.ws.close();
}

// Serious and critical axe-core findings (WCAG 2.0/2.1 A and AA).
async function axe(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

// The element's box lies inside the viewport (the first screen).
async function onFirstScreen(page, id) {
  const box = await by(page, id).first().boundingBox();
  const vp = page.viewportSize();
  return box && box.y >= 0 && box.y + box.height <= vp.height && box.x + box.width <= vp.width;
}

let olive;

test('the provider ends a visit and books the next follow-up from the suggestion', { timeout: 150000 }, async () => {
  const { page } = provider;
  const sam = await book('Sam Start', '2027-03-05T10:15:00-05:00');
  const adj = await api(`/api/visits/${sam.visit_id}/adjustments`, { method: 'POST',
    body: { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', supply_days: 30, refills: 0, reason: 'Depression, first episode' } });
  assert.equal(adj.status, 201, adj.text);
  olive = await book('Olive Overdue', '2027-03-05T10:30:00-05:00');
  await holdAndEnd(olive);

  await page.setViewportSize({ width: 1280, height: 800 });
  await openConsole(provider, sam.provider_url, server.demo.provider_login);
  await waitFor(() => by(page, 'end-visit').isEnabled(), { what: 'End visit enabled' });
  // The day's list shows the clinic's time (10:15 in New York), whatever
  // zone the browser is in, as the schedule and the follow-up do.
  const samItem = page.locator(`.visit-item[data-visit="${sam.visit_id}"] .visit-meta`);
  await waitFor(async () => /^10:15/.test(await samItem.innerText()), { what: 'the visit list in clinic time' });
  await endVisit(page);

  const panel = by(page, 'follow-up');
  await panel.waitFor({ state: 'visible' });
  const suggestion = by(page, 'follow-up-suggestion');
  await waitFor(async () => /Suggested/.test(await suggestion.innerText()), { what: 'the suggestion' });
  assert.match(await suggestion.innerText(),
    /^Suggested: 2 weeks — started sertraline \(antidepressant started: FDA label monitoring\)/);
  assert.equal(await by(page, 'follow-up-weeks-2').isChecked(), true, 'the suggestion is preselected');
  assert.equal(await by(page, 'follow-up-time').inputValue(), '10:15');
  assert.match(await by(page, 'follow-up-when').innerText(), /Fri 19 Mar at 10:15 \(America\/New_York\)/);
  await page.evaluate(() => window.scrollTo(0, 0));
  assert.ok(await onFirstScreen(page, 'follow-up-book'), 'Book follow-up is on the first screen at 1280×800');
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: path.join(shots, 'follow-up-1280x800.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  assert.ok(await onFirstScreen(page, 'follow-up-suggestion'), 'the suggestion is on the first screen at 390×844');
  const quick = by(page, 'follow-up-book-suggested');
  assert.equal(await quick.innerText(), 'Book Fri 19 Mar at 10:15');
  assert.ok(await onFirstScreen(page, 'follow-up-book-suggested'), 'booking the suggestion is on the first screen at 390×844');
  await page.screenshot({ path: path.join(shots, 'follow-up-390x844.png') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The suggestion in one tap (the choices below stay for another day).
  // The provider already has a visit then: the clash is named, nothing is
  // booked, and "Book anyway" keeps both, as on the schedule.
  const dora = await book('Dora Double', '2027-03-19T10:15:00-04:00');
  await quick.click();
  const error = by(page, 'follow-up-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /^Dr\. Demo Provider already has a visit at this time: .*Fri 19 Mar.*Nothing was saved\./);
  assert.equal((await api(`/api/visits/${sam.visit_id}/follow-up`)).json.booked, null, 'nothing was booked');
  await by(page, 'follow-up-book-anyway').click();
  const booked = by(page, 'follow-up-booked');
  await booked.waitFor({ state: 'visible' });
  assert.equal(await booked.innerText(), 'Booked: Fri 19 Mar 10:15 EDT (double-booked).');
  // Dora's visit is called off: the list of missed visits below stays as it was.
  const off = await api(`/api/visits/${dora.visit_id}/cancel`, { method: 'POST', body: { reason: 'Booked twice by mistake' } });
  assert.equal(off.status, 200, off.text);
  assert.match(await by(page, 'follow-up-link').inputValue(), /\/patient\.html#token=/);
  // The record says when the patient is seen next.
  const next = by(page, 'next-visit');
  await waitFor(async () => /Next visit/.test(await next.innerText()), { what: 'the record\'s next visit' });
  assert.equal(await next.innerText(), 'Next visit: Fri 19 Mar 10:15 EDT with Dr. Demo Provider');
  await page.screenshot({ path: path.join(shots, 'follow-up-booked-1280x800.png') });
  const visit = await api(`/api/visits/${sam.visit_id}/follow-up`);
  assert.equal(visit.json.booked.at, '2027-03-19T14:15:00.000Z');
  assert.deepEqual([...provider.pageErrors], []);
});

test('later, the overdue list shows a patient past their interval, and Book works', { timeout: 150000 }, async () => {
  const { page } = provider;
  await server.stop();
  server = await startServer({ now: LATER, timeZone: ZONE, dataDir });
  session = await server.login();
  // Three months on, the session has long ended: sign in again.
  await page.goto(`${server.baseUrl}/provider.html`, { waitUntil: 'load' });
  if (new URL(page.url()).pathname === '/login.html' || await page.waitForURL((u) => u.pathname === '/login.html', { timeout: 5000 }).then(() => true, () => false)) {
    await signInOnLoginPage(provider, server.demo.provider_login);
  }
  // Olive is past her 12 weeks with nothing booked; Sam's follow-up booked
  // above (19 Mar) and the demo's own visit, which nobody joined, are
  // listed too, as no-shows.
  const before = (await api('/api/overdue')).json;
  assert.deepEqual(before.patients.map((p) => [p.patient.display_name, p.kind]),
    [['Demo Patient', 'no-show'], ['Sam Start', 'no-show'], ['Olive Overdue', 'overdue']]);
  const link = by(page, 'to-overdue');
  await waitFor(async () => (await link.innerText()) === 'Overdue (3)', { what: 'the header\'s overdue count' });
  await link.click();
  await page.waitForURL((u) => u.pathname === '/overdue.html');
  const items = by(page, 'overdue-item');
  await items.first().waitFor({ state: 'visible' });
  assert.equal(await items.count(), 3);
  assert.match(await items.first().innerText(), /Demo Patient[\s\S]*missed/i);
  const item = items.filter({ hasText: 'Olive Overdue' });
  assert.equal(await by(item, 'overdue-due').innerText(), 'Due by Fri 28 May — 13 days overdue');
  assert.ok(await onFirstScreen(page, 'overdue-book'), 'Book is on the first screen at 1280×800');
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: path.join(shots, 'overdue-1280x800.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await onFirstScreen(page, 'overdue-book'), 'Book is on the first screen at 390×844');
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: path.join(shots, 'overdue-390x844.png') });

  await by(item, 'overdue-book').click();
  const done = by(item, 'overdue-booked');
  await waitFor(async () => /Booked/.test(await done.innerText()), { what: 'Booked' });
  assert.equal(await done.innerText(), 'Booked: Thu 17 Jun 10:30 EDT');
  const list = await api('/api/overdue');
  assert.deepEqual(list.json.patients.map((p) => p.patient.display_name), ['Demo Patient', 'Sam Start']);
  const rec = await api(`/api/visits/${olive.visit_id}/record`);
  assert.equal(rec.json.next_visit.local, 'Thu 17 Jun 10:30 EDT');
  assert.deepEqual([...provider.pageErrors], []);
});
