// Shared helpers for the browser tests: start/stop telehealthd, launch
// Debian's Chromium through playwright-core, read WebRTC stats, and drive one
// complete two-party visit. Everything here bounds its waits.
//
// Environment: TELEHEALTHD (the server binary) and TH_SOURCE_ROOT (the source
// tree, for config/telehealth.conf), both set by meson. Run inside
// tests/netns-run.sh so all traffic stays on a private loopback.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.TH_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// ------------------------------------------------------------------ utils

// Polls fn() until it returns a truthy value; throws with `what` on timeout.
export async function waitFor(fn, { timeout = 10000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : last !== undefined ? ` (last: ${JSON.stringify(last)})` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${detail}`);
    }
    await sleep(interval);
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

export function fragmentOf(url) {
  const u = new URL(url);
  return Object.fromEntries(new URLSearchParams(u.hash.replace(/^#/, '')));
}

// ------------------------------------------------------------------ server

export function requireEnv() {
  const bin = process.env.TELEHEALTHD;
  const root = process.env.TH_SOURCE_ROOT;
  if (!bin || !root) {
    throw new Error('TELEHEALTHD and TH_SOURCE_ROOT must be set (meson sets them; see tests/CONTRACT.md)');
  }
  return { bin, root };
}

// Starts telehealthd with a fresh data dir on a free port in --demo mode and
// resolves once it printed its demo JSON line on stdout.
export async function startServer({ extraArgs = [], timeout = 20000 } = {}) {
  const { bin, root } = requireEnv();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'th-data-'));
  const args = ['--config', path.join(root, 'config', 'telehealth.conf'),
    '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--demo', ...extraArgs];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdoutLines = [];
  let stderrBuf = '';
  let partial = '';
  let demo = null;
  let spawnError = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  proc.on('error', (err) => { spawnError = err; });
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl).trim();
      partial = partial.slice(nl + 1);
      if (!line) continue;
      stdoutLines.push(line);
      if (line.startsWith('{')) {
        try {
          const obj = JSON.parse(line);
          if (obj && obj.patient_url && obj.provider_url) demo = obj;
        } catch { /* not the demo line */ }
      }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    stderrBuf += chunk;
    if (stderrBuf.length > 200000) stderrBuf = stderrBuf.slice(-100000);
    if (process.env.TH_TEST_VERBOSE) process.stderr.write(`[telehealthd] ${chunk}`);
  });

  const server = {
    proc,
    dataDir,
    stdoutLines,
    get demo() { return demo; },
    stderrTail(n = 40) {
      return stderrBuf.split('\n').slice(-n).join('\n');
    },
    alive() { return proc.exitCode === null && proc.signalCode === null; },
    exited,
    stopped: null,
    // SIGTERM, then wait; SIGKILL after `grace` ms. Resolves {code, signal, killed}.
    async stop({ grace = 10000 } = {}) {
      if (this.stopped) return this.stopped;
      this.stopped = (async () => {
        let killed = false;
        if (this.alive()) {
          proc.kill('SIGTERM');
          const res = await withTimeout(exited, grace, 'telehealthd to exit after SIGTERM').catch(() => null);
          if (!res) {
            killed = true;
            proc.kill('SIGKILL');
          }
        }
        const res = await exited;
        await rm(dataDir, { recursive: true, force: true });
        return { ...res, killed };
      })();
      return this.stopped;
    },
  };

  try {
    await waitFor(() => {
      if (spawnError) throw spawnError;
      if (!server.alive()) throw new Error(`telehealthd exited early (code ${proc.exitCode}, signal ${proc.signalCode})`);
      return demo;
    }, { timeout, what: 'the demo JSON line on telehealthd stdout' });
  } catch (err) {
    const tail = server.stderrTail();
    await server.stop({ grace: 2000 });
    throw new Error(`${err.message}\n--- telehealthd stdout ---\n${stdoutLines.join('\n')}\n--- telehealthd stderr (tail) ---\n${tail}`);
  }
  const u = new URL(demo.patient_url);
  server.baseUrl = `${u.protocol}//${u.host}`;
  server.consoleToken = fragmentOf(demo.provider_url).token;
  return server;
}

export async function fetchJson(url, { token, method = 'GET', body, timeout = 5000 } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* leave null */ }
  return { status: res.status, json, text };
}

// ------------------------------------------------------------------ browser

// One persistent context (its own profile dir) per participant.
export async function launchParticipant(name, { extraArgs = [] } = {}) {
  const profile = await mkdtemp(path.join(tmpdir(), `th-chromium-${name}-`));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: false,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      viewport: { width: 1100, height: 800 },
      timeout: 30000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  const consoleErrors = [];
  page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${name}: ${msg.text()}`);
  });
  return {
    name,
    context,
    page,
    pageErrors,
    consoleErrors,
    async close() {
      try {
        await withTimeout(context.close(), 15000, `closing ${name}'s browser`);
      } catch { /* the process dies with the test anyway */ }
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Inbound/outbound RTP stats of the page's current RTCPeerConnection.
export async function rtpStats(page) {
  return page.evaluate(async () => {
    const pc = window.__thPeer;
    if (!pc) return { peer: false };
    const out = { peer: true, connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState, inbound: {}, outbound: {} };
    const report = await pc.getStats();
    report.forEach((s) => {
      const kind = s.kind || s.mediaType;
      if (s.type === 'inbound-rtp') {
        out.inbound[kind] = {
          packetsReceived: s.packetsReceived || 0,
          bytesReceived: s.bytesReceived || 0,
          framesDecoded: s.framesDecoded || 0,
          frameWidth: s.frameWidth || 0,
        };
      } else if (s.type === 'outbound-rtp') {
        out.outbound[kind] = { packetsSent: s.packetsSent || 0, framesEncoded: s.framesEncoded || 0 };
      }
    });
    return out;
  });
}

const framesOf = (s) => (s && s.inbound && s.inbound.video ? s.inbound.video.framesDecoded : 0);
const audioPacketsOf = (s) => (s && s.inbound && s.inbound.audio ? s.inbound.audio.packetsReceived : 0);

// Asserts media flows into `participant`'s page: decoded video frames grow
// between two samples, audio packets arrive, the remote <video> has a size.
// Returns the samples; throws with the stats in the message otherwise.
export async function assertMediaFlowing(participant, { timeout = 20000 } = {}) {
  const { page, name } = participant;
  let last = null;
  const sample = async () => { last = await rtpStats(page); return last; };
  try {
    await waitFor(async () => framesOf(await sample()) > 0,
      { timeout, interval: 250, what: `${name}: first decoded remote video frame` });
    const first = framesOf(last);
    await sleep(1500);
    await waitFor(async () => framesOf(await sample()) > first,
      { timeout: 5000, interval: 250, what: `${name}: decoded frames to keep growing past ${first}` });
    const second = framesOf(last);
    await waitFor(async () => audioPacketsOf(await sample()) > 0,
      { timeout: 5000, interval: 250, what: `${name}: inbound audio packets` });
    const videoWidth = await waitFor(
      () => page.$eval('[data-testid="remote-video"]', (v) => v.videoWidth),
      { timeout: 5000, what: `${name}: remote <video> videoWidth > 0` });
    return { first, second, audioPackets: audioPacketsOf(last), videoWidth };
  } catch (err) {
    throw new Error(`MEDIA NOT FLOWING into ${name}: ${err.message}\nlast stats: ${JSON.stringify(last)}`);
  }
}

export async function stateOf(page) {
  return page.$eval('[data-testid="visit-state"]', (el) => el.dataset.state);
}

export async function waitForState(participant, state, timeout = 15000) {
  try {
    await participant.page.waitForSelector(`[data-testid="visit-state"][data-state="${state}"]`, { timeout, state: 'attached' });
  } catch {
    const seen = await stateOf(participant.page).catch(() => '?');
    const text = await participant.page.textContent('body').catch(() => '');
    throw new Error(`${participant.name}: visit-state never became "${state}" (is "${seen}")\npage text: ${text.replace(/\s+/g, ' ').slice(0, 600)}`);
  }
}

// Drives one whole visit with two fresh browsers: patient joins, provider
// admits, media flows both ways, provider ends. `demo` is a server demo
// object ({visit_id, patient_url, provider_url}). Returns what it measured.
// The browsers are always closed.
export async function runVisit(server, demo = server.demo, { log = () => {}, beforeEnd } = {}) {
  // Two browsers, launched side by side (each takes ~2 s to start).
  const launched = await Promise.allSettled([launchParticipant('patient'), launchParticipant('provider')]);
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(launched.filter((r) => r.status === 'fulfilled').map((r) => r.value.close()));
    throw failed.reason;
  }
  const [patient, provider] = launched.map((r) => r.value);
  try {
    await patient.page.goto(demo.patient_url, { waitUntil: 'load' });
    const join = patient.page.locator('[data-testid="join"]');
    await join.waitFor({ state: 'visible' });
    await waitFor(() => join.isEnabled(), { timeout: 10000, what: 'patient Join button enabled' });
    await join.click();
    await patient.page.waitForSelector('text=The provider will admit you shortly', { timeout: 15000 });
    log('patient is in the waiting room');

    await provider.page.goto(demo.provider_url, { waitUntil: 'load' });
    const admit = provider.page.locator('[data-testid="admit"]').first();
    await admit.waitFor({ state: 'visible', timeout: 15000 });
    const waitingText = await provider.page.innerText('[data-testid="waiting-list"]');
    await admit.click();
    log(`provider admitted (${waitingText.replace(/\s+/g, ' ').trim()})`);

    await waitForState(patient, 'in_progress');
    await waitForState(provider, 'in_progress');
    const [patientMedia, providerMedia] = await Promise.all([
      assertMediaFlowing(patient), assertMediaFlowing(provider)]);
    log(`patient media ${JSON.stringify(patientMedia)}; provider media ${JSON.stringify(providerMedia)}`);

    if (beforeEnd) await beforeEnd({ patient, provider });

    await provider.page.click('[data-testid="end-visit"]');
    await Promise.all([waitForState(patient, 'ended'), waitForState(provider, 'ended')]);
    log('both pages show ended');

    const pageErrors = [...patient.pageErrors, ...provider.pageErrors];
    return { patientMedia, providerMedia, waitingText, pageErrors, consoleErrors: [...patient.consoleErrors, ...provider.consoleErrors] };
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
}

// ------------------------------------------------------------------ record helpers (issue 3)

// Opens the patient's link and presses Join; resolves in the waiting room.
export async function joinAsPatient(participant, url, { timeout = 15000 } = {}) {
  const { page } = participant;
  await page.goto(url, { waitUntil: 'load' });
  const join = page.locator('[data-testid="join"]');
  await join.waitFor({ state: 'visible', timeout });
  await waitFor(() => join.isEnabled(), { timeout, what: `${participant.name}: Join button enabled` });
  await join.click();
  await page.waitForSelector('text=The provider will admit you shortly', { timeout });
}

// Opens the provider console and admits the first person waiting.
export async function openConsoleAndAdmit(participant, url, { timeout = 15000 } = {}) {
  const { page } = participant;
  await page.goto(url, { waitUntil: 'load' });
  const admit = page.locator('[data-testid="admit"]').first();
  await admit.waitFor({ state: 'visible', timeout });
  await waitFor(() => admit.isEnabled(), { timeout, what: `${participant.name}: Admit enabled` });
  const waitingText = await page.innerText('[data-testid="waiting-list"]');
  await admit.click();
  return waitingText;
}

// Answers the waiting-room check-in. answers: {phq9: [9 ints], gad7: [7],
// asrs_a?: [6], sideEffects?: {name: severity}, missedDoses?: n}. Radios are
// data-testid "<scale>-<item 1-based>-<value>".
export async function fillCheckin(page, answers, { timeout = 15000 } = {}) {
  await page.locator('[data-testid="checkin-form"]').waitFor({ state: 'visible', timeout });
  for (const scale of ['phq9', 'gad7', 'asrs_a']) {
    const values = answers[scale];
    if (!values) continue;
    for (let i = 0; i < values.length; i += 1) {
      await page.check(`[data-testid="${scale}-${i + 1}-${values[i]}"]`, { timeout });
    }
  }
  for (const [name, severity] of Object.entries(answers.sideEffects || {})) {
    await page.selectOption(`[data-testid="side-effect-${name}"]`, String(severity), { timeout });
  }
  if (answers.missedDoses !== undefined) {
    await page.fill('[data-testid="missed-doses"]', String(answers.missedDoses), { timeout });
  }
}
