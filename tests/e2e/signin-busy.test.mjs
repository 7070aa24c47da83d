// e2e: the sign-in page when the server is busy checking other people's
// passwords (issue 12): the person is told it is the server, not them, that
// their password was not checked, and when to try again; once the rush is
// over the same button signs them in. Real Chromium, a real server whose
// one password worker other addresses keep busy (no queue: 429 busy).
// TH_SHOTS=<dir> saves the page at phone and desktop sizes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { startServer, launchParticipant, waitFor } from './lib.mjs';

const SENTENCE = 'The server is busy signing other people in. Your password was not checked — try again in 1 second.';

let server;
let browser;
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

function attempt(localAddress, n) {
  const body = JSON.stringify({ username: `nobody${n}`, password: 'wrong-password' });
  const u = new URL(`${server.baseUrl}/api/session`);
  return new Promise((resolve) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', localAddress, agent: false, timeout: 30000,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

test('a busy server says so on the sign-in page, then signs the person in', { timeout: 120000 }, async () => {
  server = await startServer({
    settings: { security: { signin_workers: 1, signin_queue: 0, signin_per_second: 10000, signin_burst: 10000, login_slowdown_after: 100, login_lockout_after: 1000 } },
  });
  browser = await launchParticipant('staff');
  const { page } = browser;
  await page.goto(`${server.baseUrl}/login.html`, { waitUntil: 'load' });
  await page.fill('[data-testid="login-username"]', server.providerLogin.username);

  // Three other addresses keep the one worker busy.
  let stop = false;
  const rush = [1, 2, 3].map(async (k) => {
    for (let n = 0; !stop; n++) {
      await attempt(`127.0.4.${k}`, n);
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  try {
    const error = page.locator('[data-testid="login-error"]');
    // A few tries: an attempt may slip into the instant the worker frees.
    await waitFor(async () => {
      await page.fill('[data-testid="login-password"]', server.providerLogin.password);
      await page.click('[data-testid="login-submit"]');
      await waitFor(async () => (await error.isVisible()) || new URL(page.url()).pathname !== '/login.html', { timeout: 20000, what: 'an answer on the page' });
      return (await error.innerText()) === SENTENCE;
    }, { timeout: 60000, interval: 1200, what: 'the busy message' });
    assert.equal(await error.innerText(), SENTENCE);
    assert.equal(new URL(page.url()).pathname, '/login.html');
    // Not checked, so not wrong: the password stays for the next try, and
    // the button waits out the second the server asked for.
    assert.equal(await page.inputValue('[data-testid="login-password"]'), server.providerLogin.password);
    if (process.env.TH_SHOTS) {
      for (const [w, h] of [[390, 844], [1280, 800]]) {
        await page.setViewportSize({ width: w, height: h });
        await page.screenshot({ path: path.join(process.env.TH_SHOTS, `login-busy-${w}x${h}.png`) });
      }
    }
  } finally {
    stop = true;
    await Promise.all(rush);
  }
  // The rush is over: after the second it asked for, the same form signs in.
  await page.locator('[data-testid="login-submit"]:enabled').waitFor({ timeout: 5000 });
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL((u) => u.pathname !== '/login.html', { timeout: 30000 });
  assert.deepEqual(browser.pageErrors, []);
});
