// End-to-end (issue 7): pages that work for everyone, in real Chromium
// through a real telehealthd.
//   - axe-core (WCAG 2.0/2.1 A and AA rules) finds no serious or critical
//     violation on any page in any important state, on a phone (360×740)
//     and a desktop (1280×800): the patient's join page (device check and
//     consent; then Join enabled), the waiting room (with the check-in), the
//     visit (chat open), the console with a patient waiting and in the visit
//     with the record, the patient timeline, the Patients page, the co-sign
//     queue with an order open, the sign-in page and index.html;
//   - on the phone nothing scrolls sideways, the primary controls are at
//     least 44×44 CSS px and the video tiles stack;
//   - the patient's page loads nothing from anywhere but this server;
//   - the pre-join flow works with the keyboard alone, and every control of
//     the patient page and the console shows a focus ring (:focus-visible);
//   - screenshots of the patient's pages (phone and desktop) and the console
//     in a visit (desktop) for the README: written to docs/screenshots/ when
//     TH_UPDATE_SCREENSHOTS=1, else to a temporary folder; either way each is
//     checked to be a PNG of the expected size.
//
// One server and one browser for the whole file; every participant gets a
// fresh browser context (its own cookies and viewport).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import {
  startServer, fetchJson, waitFor, withTimeout, CHROMIUM, CHROMIUM_ARGS, acceptConsent,
  openConsole, waitForState, assertMediaFlowing, requireEnv,
  endVisit,
} from './lib.mjs';

const PHONE = { name: 'phone', width: 360, height: 740 };
const DESKTOP = { name: 'desktop', width: 1280, height: 800 };
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', ...(process.env.TH_AXE_EXTRA ? process.env.TH_AXE_EXTRA.split(',') : [])];
// Primary controls: at least 44×44 CSS px wherever they are shown.
const PRIMARY = ['join', 'consent-accept', 'mute', 'camera', 'leave', 'admit', 'end-visit', 'chat-send', 'cosign-confirm',
  'follow-up-book', 'follow-up-book-suggested', 'overdue-book'];
const WAITING_TEXT = 'text=The provider will admit you shortly';

let server;
let browser;
let axeSource;
let workDir;
let demoPatientId;
// Per checked state: every violation axe reported (minor ones included).
const axeStats = [];

// A calm, still picture for the fake camera (YUV4MPEG2, 4:2:0): a head and
// shoulders on a light wall. The same image every run, so screenshots do
// not change with the default fake camera's moving pattern.
function fakeCameraY4m(width = 640, height = 480, frames = 2) {
  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc((width / 2) * (height / 2));
  const cx = width / 2;
  const headY = height * 0.42;
  const headR = height * 0.17;
  const paint = (px, py) => {
    const dx = px - cx;
    const inHead = dx * dx + (py - headY) ** 2 <= headR * headR;
    const shoulderTop = height * 0.68;
    const inBody = py >= shoulderTop && Math.abs(dx) <= width * 0.22 + (py - shoulderTop) * 0.6;
    if (inHead) return [170, 112, 150];   // skin tone
    if (inBody) return [70, 150, 110];    // a dark blue shirt
    return [205 - Math.round(py / height * 30), 132, 124]; // wall, slightly darker below
  };
  for (let py = 0; py < height; py += 1) {
    for (let px = 0; px < width; px += 1) {
      const [Y, U, V] = paint(px, py);
      y[py * width + px] = Y;
      if (px % 2 === 0 && py % 2 === 0) {
        const i = (py / 2) * (width / 2) + px / 2;
        u[i] = U;
        v[i] = V;
      }
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`),
    ...Array.from({ length: frames }, () => frame)]);
}

// A steady tone for the fake microphone (16-bit mono WAV, 440 Hz, one
// second, looped by Chromium): the level meter reads the same every run.
function fakeMicrophoneWav(rate = 48000, seconds = 1, amplitude = 0.12) {
  const n = rate * seconds;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i += 1) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * amplitude * 32767), i * 2);
  }
  const head = Buffer.alloc(44);
  head.write('RIFF', 0); head.writeUInt32LE(36 + data.length, 4); head.write('WAVE', 8);
  head.write('fmt ', 12); head.writeUInt32LE(16, 16); head.writeUInt16LE(1, 20); head.writeUInt16LE(1, 22);
  head.writeUInt32LE(rate, 24); head.writeUInt32LE(rate * 2, 28); head.writeUInt16LE(2, 32); head.writeUInt16LE(16, 34);
  head.write('data', 36); head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

before(async () => {
  requireEnv();
  const require = createRequire(import.meta.url);
  axeSource = await readFile(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  workDir = await mkdtemp(path.join(tmpdir(), 'th-a11y-'));
  const camera = path.join(workDir, 'camera.y4m');
  await writeFile(camera, fakeCameraY4m());
  const microphone = path.join(workDir, 'microphone.wav');
  await writeFile(microphone, fakeMicrophoneWav());
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: false,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${camera}`,
      `--use-file-for-fake-audio-capture=${microphone}`,
      '--autoplay-policy=no-user-gesture-required', '--hide-scrollbars'],
    timeout: 30000,
  });
  const session = await server.login();
  const demo = await fetchJson(`${server.baseUrl}/api/visits/${server.demo.visit_id}`, { session });
  assert.equal(demo.status, 200, demo.text);
  demoPatientId = demo.json.patient.id;
});

after(async () => {
  if (browser) await withTimeout(browser.close(), 15000, 'closing the browser').catch(() => {});
  if (server) await server.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

// A new visit of the demo patient (who has past visits: the record and the
// timeline have scores, trends and orders to show).
async function newVisit(extra = {}) {
  const session = await server.login();
  const res = await fetchJson(`${server.baseUrl}/api/visits`, {
    session, method: 'POST', body: { patient_id: demoPatientId, ...extra },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

// An order of a new physician assistant of the demo psychiatrist, waiting
// for her co-signature (issue 13, item 7), so the co-sign page has one open.
async function pendingOrder(tag) {
  const { bin } = requireEnv();
  const r = spawnSync(bin, ['--config', server.configPath, '--data-dir', server.dataDir, 'admin', 'add-staff',
    '--username', `a11y.pa.${tag}`, '--name', 'Pat Assistant', '--role', 'pa', '--supervisor', 'demo.provider'],
  { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  const acct = JSON.parse(r.stdout.trim().split('\n').pop());
  const pa = await server.login(acct.username, acct.password);
  const visit = await fetchJson(`${server.baseUrl}/api/visits`, { session: pa, method: 'POST', body: { patient_name: 'Jordan Lee' } });
  assert.equal(visit.status, 201, visit.text);
  const order = await fetchJson(`${server.baseUrl}/api/visits/${visit.json.visit_id}/adjustments`, {
    session: pa, method: 'POST', body: { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'Depression' },
  });
  assert.equal(order.status, 201, order.text);
  return order.json.order.id;
}

// A fresh browser context (own cookies) with one page at `viewport`. CSP is
// bypassed only so that axe-core can be added as a script tag.
async function participant(name, viewport) {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    deviceScaleFactor: 1,
    bypassCSP: true,
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const p = { name: `${name}@${viewport.name}`, context, page, pageErrors: [], consoleErrors: [] };
  page.on('pageerror', (err) => p.pageErrors.push(`${p.name}: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') p.consoleErrors.push(`${p.name}: ${msg.text()}`); });
  p.close = () => withTimeout(context.close(), 10000, `closing ${p.name}`).catch(() => {});
  return p;
}

const byTestid = (page, id) => page.locator(`[data-testid="${id}"]`);

// ------------------------------------------------------------------ checks

// axe-core on the page as it is now: serious and critical violations, as
// lines "state: id (impact) help — targets".
async function axeProblems(page, label) {
  const started = Date.now();
  const loaded = await page.evaluate(() => typeof window.axe === 'object').catch(() => false);
  if (!loaded) await page.addScriptTag({ content: axeSource });
  const violations = await withTimeout(page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags }, resultTypes: ['violations', 'incomplete'],
    });
    window.__thAxeIncomplete = r.incomplete.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)}]` : ''}`),
    }));
  }, AXE_TAGS), 30000, `axe on ${label}`);
  const incomplete = await page.evaluate(() => window.__thAxeIncomplete);
  axeStats.push(`${label}: ${violations.length ? violations.map((v) => `${v.id}/${v.impact}`).join(' ') : 'clean'} (${Date.now() - started} ms); to review by hand: ${incomplete.join('; ') || 'nothing'}`);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${label}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.slice(0, 6).join(' | ')}`);
}

// Nothing wider than the window: the widest culprits when something is.
async function overflowProblems(page, label) {
  const r = await page.evaluate(() => {
    const sw = document.documentElement.scrollWidth;
    const iw = window.innerWidth;
    const culprits = [];
    if (sw > iw) {
      for (const el of document.querySelectorAll('body *')) {
        const b = el.getBoundingClientRect();
        if (b.width > 0 && b.right > iw + 0.5) {
          culprits.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} right=${Math.round(b.right)}`);
        }
      }
    }
    if (sw > iw && culprits.length === 0) {
      // Something without a box of its own (a pseudo-element): its holders.
      for (const el of document.querySelectorAll('body, body *')) {
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible') {
          culprits.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} content ${el.scrollWidth}px wide`);
        }
      }
    }
    return { sw, iw, culprits: culprits.slice(-8) };
  });
  return r.sw <= r.iw ? [] : [`${label}: scrolls sideways (scrollWidth ${r.sw} > innerWidth ${r.iw}): ${r.culprits.join(', ')}`];
}

// Every shown primary control at least 44×44; `expect` must be shown.
async function targetProblems(page, label, expect = []) {
  const out = [];
  for (const id of PRIMARY) {
    const loc = byTestid(page, id);
    const n = await loc.count();
    let shown = 0;
    for (let i = 0; i < n; i += 1) {
      const box = await loc.nth(i).boundingBox();
      if (!box || !(await loc.nth(i).isVisible())) continue;
      shown += 1;
      if (box.width < 44 - 0.01 || box.height < 44 - 0.01) {
        out.push(`${label}: "${id}" is ${box.width.toFixed(1)}×${box.height.toFixed(1)} px, under 44×44`);
      }
    }
    if (expect.includes(id) && shown === 0) out.push(`${label}: "${id}" is not shown`);
  }
  return out;
}

// The shown video tiles sit one below the other (none side by side).
async function stackProblems(page, label) {
  const tiles = await page.$$eval('.stage .tile', (els) => els
    .map((el) => el.getBoundingClientRect())
    .filter((b) => b.width > 0 && b.height > 0)
    .map((b) => ({ top: b.top, bottom: b.bottom, left: b.left, right: b.right }))
    .sort((a, b) => a.top - b.top));
  const out = [];
  if (tiles.length < 2) out.push(`${label}: expected two video tiles, saw ${tiles.length}`);
  for (let i = 1; i < tiles.length; i += 1) {
    if (tiles[i].top < tiles[i - 1].bottom - 8) {
      out.push(`${label}: video tiles ${i} and ${i + 1} are side by side (${JSON.stringify(tiles)})`);
    }
  }
  return out;
}

async function checkState(page, label, viewport, { expect = [], stack = false } = {}) {
  const out = [...await axeProblems(page, label), ...await overflowProblems(page, label),
    ...await targetProblems(page, label, expect)];
  if (stack && viewport === PHONE) out.push(...await stackProblems(page, label));
  return out;
}

// Requests and WebSockets of a page that leave the server's own origin
// (data: and blob: are local).
function watchOrigins(p) {
  const seen = [];
  const own = new URL(server.baseUrl);
  const ok = (raw) => {
    const u = new URL(raw);
    if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
    if (u.protocol === 'ws:' || u.protocol === 'wss:') {
      return u.host === own.host && u.protocol === (own.protocol === 'https:' ? 'wss:' : 'ws:');
    }
    return u.origin === own.origin;
  };
  p.context.on('request', (r) => seen.push(r.url()));
  p.page.on('websocket', (ws) => seen.push(ws.url()));
  return {
    count: () => seen.length,
    foreign: () => seen.filter((u) => !ok(u)),
  };
}

function diagnostics(...ps) {
  const lines = ps.filter(Boolean).map((p) => `\n${p.name}: page errors ${JSON.stringify(p.pageErrors)} console errors ${JSON.stringify(p.consoleErrors.slice(-8))}`);
  return `${lines.join('')}\n--- telehealthd stderr (tail) ---\n${server.stderrTail(30)}`;
}

// ------------------------------------------------------------------ the walk

// One visit from the join page to the visit, calling hooks[state](page,
// label, extra) at each state: joinPage (device check and consent), agreed
// (Join enabled), waiting (the waiting room), consoleWaiting (the console
// with the patient waiting), inVisit (patient), consoleInVisit (provider,
// record shown). `providerViewport` defaults to `viewport`. The visit is
// ended at the end; the contexts closed.
async function walkVisit(viewport, hooks, { providerViewport = viewport, beforeEnd } = {}) {
  const visit = await newVisit();
  const patient = await participant('patient', viewport);
  const provider = await participant('provider', providerViewport);
  const origins = watchOrigins(patient);
  const { page } = patient;
  const t0 = Date.now();
  const steps = [];
  const call = async (name, who) => {
    steps.push(`${name} at ${Date.now() - t0} ms`);
    if (hooks[name]) await hooks[name](who.page, `${name}@${who === patient ? viewport.name : providerViewport.name}`);
  };
  try {
    await page.goto(visit.patient_url, { waitUntil: 'load' });
    await byTestid(page, 'consent-accept').waitFor({ state: 'visible' });
    await byTestid(page, 'join').waitFor({ state: 'visible' });
    await waitFor(async () => (await page.getAttribute('[data-testid="camera-status"]', 'data-ok')) === 'true',
      { timeout: 15000, what: 'camera working' });
    await waitFor(async () => (await page.getAttribute('[data-testid="mic-status"]', 'data-ok')) === 'true',
      { timeout: 15000, what: 'microphone heard' });
    await call('joinPage', patient);

    await acceptConsent(page);
    await waitFor(() => byTestid(page, 'join').isEnabled(), { what: 'Join enabled after agreeing' });
    await call('agreed', patient);

    await byTestid(page, 'join').click();
    await page.waitForSelector(WAITING_TEXT, { timeout: 15000 });
    await byTestid(page, 'checkin-form').waitFor({ state: 'visible', timeout: 15000 }).catch(() => {});
    await call('waiting', patient);

    await openConsole(provider, visit.provider_url, server.demo.provider_login);
    const admit = byTestid(provider.page, 'admit').first();
    await admit.waitFor({ state: 'visible' });
    await waitFor(() => admit.isEnabled(), { what: 'Admit enabled' });
    await byTestid(provider.page, 'record').waitFor({ state: 'visible' });
    await call('consoleWaiting', provider);

    await admit.click();
    await Promise.all([waitForState(patient, 'in_progress'), waitForState(provider, 'in_progress')]);
    await Promise.all([assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    await byTestid(page, 'chat').waitFor({ state: 'visible' });
    await byTestid(provider.page, 'chat').waitFor({ state: 'visible' });
    await byTestid(provider.page, 'timeline-link').waitFor({ state: 'visible' });
    await call('inVisit', patient);
    await call('consoleInVisit', provider);
    if (beforeEnd) await beforeEnd({ patient, provider, visit });

    await endVisit(provider.page);
    await waitForState(provider, 'ended');
    // "Book the next follow-up" (issue 13), shown once the visit has ended.
    await byTestid(provider.page, 'follow-up-book').waitFor({ state: 'visible' });
    await call('consoleEnded', provider);
    assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], []);
    steps.push(`ended at ${Date.now() - t0} ms`);
    return { origins, visit, steps };
  } catch (err) {
    err.message += diagnostics(patient, provider);
    throw err;
  } finally {
    await Promise.all([patient.close(), provider.close()]);
  }
}

function assertNoProblems(problems, what) {
  assert.equal(problems.length, 0, `${problems.length} problem(s) ${what}:\n  ${problems.join('\n  ')}`);
}

// ------------------------------------------------------------------ tests

for (const viewport of [PHONE, DESKTOP]) {
  test(`axe, overflow, target sizes and origins at ${viewport.width}×${viewport.height}`, { timeout: 200000 }, async (t) => {
    const problems = [];
    const check = (opts) => async (page, label) => { problems.push(...await checkState(page, label, viewport, opts)); };
    let timelineUrl = null;
    const { origins, steps } = await walkVisit(viewport, {
      joinPage: check({ expect: ['consent-accept'] }),
      agreed: check({ expect: ['join'] }),
      waiting: check({ expect: ['mute', 'camera', 'leave'] }),
      consoleWaiting: check({ expect: ['admit'] }),
      inVisit: check({ expect: ['mute', 'camera', 'leave', 'chat-send'], stack: true }),
      consoleEnded: check({ expect: ['follow-up-book', 'follow-up-book-suggested'] }),
      consoleInVisit: async (page, label) => {
        await check({ expect: ['mute', 'camera', 'end-visit', 'chat-send'], stack: true })(page, label);
        timelineUrl = new URL(await byTestid(page, 'timeline-link').getAttribute('href'), page.url()).href;
      },
    }, {
      beforeEnd: async ({ provider }) => {
        // The patient timeline, opened from the console's link (same session).
        const tl = await provider.context.newPage();
        try {
          await tl.goto(timelineUrl, { waitUntil: 'load' });
          await tl.locator('[data-testid="timeline-visits"] > li').first().waitFor({ state: 'visible' });
          await tl.locator('#tl-visits-heading').waitFor({ state: 'visible' });
          problems.push(...await checkState(tl, `timeline@${viewport.name}`, viewport));
        } finally {
          await tl.close();
        }
        // The Patients page (issue 13): search, a patient opened, the form.
        const pt = await provider.context.newPage();
        try {
          await pt.goto(new URL('/patients.html', timelineUrl).href, { waitUntil: 'load' });
          await byTestid(pt, 'patient-search').fill('Demo');
          await byTestid(pt, 'patient-results').locator('button').first().click();
          await byTestid(pt, 'patient-timeline').waitFor({ state: 'visible' });
          problems.push(...await checkState(pt, `patients@${viewport.name}`, viewport));
          await byTestid(pt, 'patient-edit').click();
          await byTestid(pt, 'patient-form').waitFor({ state: 'visible' });
          await pt.fill('#pf-email', 'not an address');
          await byTestid(pt, 'patient-save').click();
          await byTestid(pt, 'field-error-email').waitFor({ state: 'visible' });
          problems.push(...await checkState(pt, `patients-form@${viewport.name}`, viewport));
        } finally {
          await pt.close();
        }
        // The Schedule page (issue 13): the day, the booking form with a
        // patient search's results.
        const sc = await provider.context.newPage();
        try {
          await sc.goto(new URL('/schedule.html', timelineUrl).href, { waitUntil: 'load' });
          await byTestid(sc, 'schedule-range').filter({ hasText: 'time zone' }).waitFor();
          await byTestid(sc, 'book-patient-search').fill('Demo');
          await byTestid(sc, 'book-patient-results').locator('button').first().waitFor({ state: 'visible' });
          problems.push(...await checkState(sc, `schedule@${viewport.name}`, viewport));
        } finally {
          await sc.close();
        }
        // The co-sign queue with an order open beside the record (issue 13).
        const orderId = await pendingOrder(viewport.name);
        const cs = await provider.context.newPage();
        try {
          await cs.goto(new URL(`/cosign.html#order=${orderId}`, timelineUrl).href, { waitUntil: 'load' });
          await byTestid(cs, 'cosign-detail').waitFor({ state: 'visible' });
          await byTestid(cs, 'cosign-eval').filter({ hasText: 'evaluation' }).waitFor();
          problems.push(...await checkState(cs, `cosign@${viewport.name}`, viewport, { expect: ['cosign-confirm'] }));
          await byTestid(cs, 'cosign-decline').click();
          await byTestid(cs, 'cosign-decline-confirm').click();
          await byTestid(cs, 'cosign-error').waitFor({ state: 'visible' });
          problems.push(...await checkState(cs, `cosign-decline@${viewport.name}`, viewport));
        } finally {
          await cs.close();
        }
        // Who is overdue (issue 13), from the console's header link.
        const od = await provider.context.newPage();
        try {
          await od.goto(new URL('/overdue.html', timelineUrl).href, { waitUntil: 'load' });
          await waitFor(async () => !/Loading/.test(await byTestid(od, 'overdue-status').innerText()),
            { what: 'the overdue list loaded' });
          problems.push(...await checkState(od, `overdue@${viewport.name}`, viewport));
        } finally {
          await od.close();
        }
      },
    });
    t.diagnostic(`walk: ${steps.join(', ')}`);
    const foreign = origins.foreign();
    t.diagnostic(`patient page made ${origins.count()} requests; foreign: ${JSON.stringify(foreign)}`);
    assert.ok(origins.count() > 5, 'the request log saw the page load');
    assert.deepEqual(foreign, [], 'the patient page loads nothing from elsewhere');

    // Pages without a visit: the sign-in page (no session) and the landing page.
    const guest = await participant('anonymous', viewport);
    try {
      await guest.page.goto(`${server.baseUrl}/login.html`, { waitUntil: 'load' });
      await byTestid(guest.page, 'login-username').waitFor({ state: 'visible' });
      problems.push(...await checkState(guest.page, `login@${viewport.name}`, viewport));
      await guest.page.goto(`${server.baseUrl}/index.html`, { waitUntil: 'load' });
      problems.push(...await checkState(guest.page, `index@${viewport.name}`, viewport));
      // The join page of a link that is not valid, and of one opened a
      // week before its visit (issue 13).
      await guest.page.goto(`${server.baseUrl}/patient.html#token=not-a-valid-token`, { waitUntil: 'load' });
      await byTestid(guest.page, 'error').waitFor({ state: 'visible' });
      problems.push(...await checkState(guest.page, `join-bad-link@${viewport.name}`, viewport));
      const early = await newVisit({ scheduled_at: new Date(server.now() + 7 * 86400000).toISOString() });
      await guest.page.goto('about:blank');
      await guest.page.goto(early.patient_url, { waitUntil: 'load' });
      await byTestid(guest.page, 'device-test-start').waitFor({ state: 'visible' });
      problems.push(...await checkState(guest.page, `join-early@${viewport.name}`, viewport));
      assert.deepEqual(guest.pageErrors, []);
    } finally {
      await guest.close();
    }
    for (const line of axeStats.splice(0)) t.diagnostic(line);
    assertNoProblems(problems, `at ${viewport.width}×${viewport.height}`);
  });
}

// --------------------------------------------------------------- keyboard

// The focused element (or the choice box around a radio) shows a ring.
async function focusState(page) {
  return page.evaluate(() => {
    window.__thFocusSeen = window.__thFocusSeen || new WeakSet();
    const a = document.activeElement;
    if (!a || a === document.body || a === document.documentElement) return { none: true };
    const again = window.__thFocusSeen.has(a);
    window.__thFocusSeen.add(a);
    const ring = (el) => {
      const s = getComputedStyle(el);
      const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
        && !/rgba\(\d+, \d+, \d+, 0\)|transparent/.test(s.outlineColor);
      return outline || (s.boxShadow && s.boxShadow !== 'none');
    };
    const holder = a.closest('.choice, label');
    const ok = ring(a) || (!!holder && holder.contains(a) && a.matches('input') && ring(holder));
    const name = `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}${a.dataset.testid ? `[data-testid=${a.dataset.testid}]` : ''} "${(a.getAttribute('aria-label') || a.textContent || a.value || '').trim().replace(/\s+/g, ' ').slice(0, 40)}"`;
    return { none: false, again, ok, focusVisible: a.matches(':focus-visible'), name, testid: a.dataset.testid || '' };
  });
}

// Tabs through the whole page once (until focus comes back to an element
// already seen); returns the controls without a visible focus style.
async function tabThrough(page, label, { max = 250 } = {}) {
  await page.evaluate(() => { window.__thFocusSeen = new WeakSet(); document.activeElement?.blur?.(); });
  const missing = [];
  let visited = 0;
  let blanks = 0;
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focusState(page);
    if (f.none) { blanks += 1; if (blanks > 2) break; continue; }
    if (f.again) break;
    visited += 1;
    if (!f.ok || !f.focusVisible) missing.push(`${label}: ${f.name} has no visible focus style`);
  }
  return { missing, visited };
}

test('keyboard only: the pre-join flow, and a focus ring on every control', { timeout: 200000 }, async (t) => {
  const visit = await newVisit();
  const patient = await participant('patient-kbd', DESKTOP);
  const provider = await participant('provider-kbd', DESKTOP);
  const { page } = patient;
  const missing = [];
  try {
    await page.goto(visit.patient_url, { waitUntil: 'load' });
    await byTestid(page, 'consent-accept').waitFor({ state: 'visible' });
    await byTestid(page, 'join').waitFor({ state: 'visible' });
    // Tab to "I agree" (each stop shows a focus ring on the way).
    let reached = false;
    for (let i = 0; i < 40 && !reached; i += 1) {
      await page.keyboard.press('Tab');
      const f = await focusState(page);
      if (!f.none && (!f.ok || !f.focusVisible)) missing.push(`join page: ${f.name} has no visible focus style`);
      reached = f.testid === 'consent-accept';
    }
    assert.ok(reached, '"I agree" is reachable with Tab');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await byTestid(page, 'consent').getAttribute('data-answer')) === 'accepted',
      { what: 'consent recorded from the keyboard' });
    await waitFor(() => page.evaluate(() => document.activeElement?.dataset.testid === 'join'),
      { timeout: 5000, what: 'focus on Join after agreeing' });
    assert.ok(await byTestid(page, 'join').isEnabled(), 'Join enabled');
    await page.keyboard.press('Enter');
    await page.waitForSelector(WAITING_TEXT, { timeout: 15000 });
    t.diagnostic('pre-join flow done with Tab and Enter only');

    await byTestid(page, 'checkin-form').waitFor({ state: 'visible', timeout: 15000 });
    let r = await tabThrough(page, 'waiting room');
    missing.push(...r.missing);
    t.diagnostic(`waiting room: ${r.visited} focus stops`);

    await openConsole(provider, visit.provider_url, server.demo.provider_login);
    const admit = byTestid(provider.page, 'admit').first();
    await admit.waitFor({ state: 'visible' });
    await byTestid(provider.page, 'record').waitFor({ state: 'visible' });
    r = await tabThrough(provider.page, 'console, patient waiting');
    missing.push(...r.missing);
    t.diagnostic(`console (waiting): ${r.visited} focus stops`);
    await admit.focus();
    await provider.page.keyboard.press('Enter');
    await Promise.all([waitForState(patient, 'in_progress'), waitForState(provider, 'in_progress')]);
    await byTestid(page, 'chat').waitFor({ state: 'visible' });
    await byTestid(provider.page, 'timeline-link').waitFor({ state: 'visible' });
    for (const [p, label] of [[page, 'patient in the visit'], [provider.page, 'console in the visit']]) {
      r = await tabThrough(p, label);
      missing.push(...r.missing);
      t.diagnostic(`${label}: ${r.visited} focus stops`);
      assert.ok(r.visited >= 5, `${label}: Tab reaches the controls`);
    }
    assertNoProblems(missing, 'with focus styles');
    await endVisit(provider.page);
    await waitForState(provider, 'ended');
    assert.deepEqual([...patient.pageErrors, ...provider.pageErrors], []);
  } catch (err) {
    err.message += diagnostics(patient, provider);
    throw err;
  } finally {
    await Promise.all([patient.close(), provider.close()]);
  }
});

// ------------------------------------------------------------ screenshots

// Width and height from a PNG's IHDR chunk.
function pngSize(buf) {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(buf.length > 24 && buf.subarray(0, 8).equals(sig), 'a PNG signature');
  assert.equal(buf.toString('latin1', 12, 16), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

// What changes from run to run stays out of the pictures: the visit
// clock, message times and the live quality reading are hidden.
const SCREENSHOT_STYLE = `
  [data-testid="visit-timer"], [data-testid="quality"], .chat-at, .waiting-since { visibility: hidden !important; }
  * { caret-color: transparent !important; }`;

test('screenshots of the patient pages and the console', { timeout: 240000 }, async (t) => {
  const update = process.env.TH_UPDATE_SCREENSHOTS === '1';
  const outDir = update ? path.join(process.env.TH_SOURCE_ROOT, 'docs', 'screenshots') : path.join(workDir, 'screenshots');
  await mkdir(outDir, { recursive: true });
  const written = [];
  // `show`: [selector, block] scrolled into view first (else the top).
  const shoot = (name, viewport, show = null) => async (page) => {
    await page.evaluate(() => document.activeElement?.blur?.());
    await page.mouse.move(0, 0);
    await page.evaluate((s) => {
      window.scrollTo(0, 0);
      if (s) document.querySelector(s[0]).scrollIntoView({ block: s[1] });
      // Clock times (when the visit was scheduled) change with every run.
      for (const root of document.querySelectorAll('#visit-title, .visit-meta')) {
        const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          n.textContent = n.textContent.replace(/\b\d{1,2}:\d{2}(\s?[AP]M)?/g, '10:30 AM');
        }
      }
    }, show);
    await sleep(600); // the video settles, the layout finishes
    const file = path.join(outDir, `${name}-${viewport.name}.png`);
    await page.screenshot({ path: file, animations: 'disabled', caret: 'hide', style: SCREENSHOT_STYLE, timeout: 15000 });
    written.push({ file, viewport });
  };
  const sayHello = async ({ patient, provider }) => {
    await provider.page.fill('[data-testid="chat-input"]', 'Hello! I can see and hear you well.');
    await provider.page.click('[data-testid="chat-send"]');
    await patient.page.locator('[data-testid="chat-log"] >> text=I can see and hear you well').waitFor();
  };
  for (const viewport of [PHONE, DESKTOP]) {
    const shots = {
      joinPage: shoot('patient-join', viewport, viewport === PHONE ? ['#device-check', 'start'] : ['#consent', 'nearest']),
      waiting: shoot('patient-waiting', viewport),
    };
    await walkVisit(viewport, shots, {
      providerViewport: DESKTOP,
      beforeEnd: async (ps) => {
        await sayHello(ps);
        await sleep(1500); // a few frames of the (still) remote picture
        await shoot('patient-visit', viewport)(ps.patient.page);
        if (viewport === DESKTOP) await shoot('provider-visit', DESKTOP, ['.call-column .stage', 'start'])(ps.provider.page);
      },
    });
  }
  const names = written.map((w) => path.basename(w.file)).sort();
  assert.deepEqual(names, ['patient-join-desktop.png', 'patient-join-phone.png', 'patient-visit-desktop.png',
    'patient-visit-phone.png', 'patient-waiting-desktop.png', 'patient-waiting-phone.png', 'provider-visit-desktop.png']);
  for (const { file, viewport } of written) {
    const info = await stat(file);
    assert.ok(info.size > 1000, `${file} is not empty (${info.size} bytes)`);
    assert.deepEqual(pngSize(await readFile(file)), { width: viewport.width, height: viewport.height }, file);
  }
  t.diagnostic(`${written.length} screenshots in ${outDir}${update ? '' : ' (TH_UPDATE_SCREENSHOTS=1 writes docs/screenshots/)'}`);
});
