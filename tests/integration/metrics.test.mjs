// The [metrics] listener (issue 17 item 4): only GET /metrics there and
// never on the public port; a bearer token when token_sha256 is set (401
// with WWW-Authenticate: Bearer without it or with a wrong one, 200 with
// it); a listener off loopback without a token, or a token that is not a
// SHA-256, stops the start with a sentence that says what to do. The
// browser visit's figures are tests/e2e/metrics.test.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startServer, rawRequest, fetchJson, metricsUrl, scrapeMetrics, promtoolCheck, requireEnv, rewriteConfig,
  waitFor,
} from '../e2e/lib.mjs';
import { startSmtpSink, startSmsReceiver, outboxSettings } from './outbox-lib.mjs';

const TOKEN = 'kq2L0x9vW7-metrics-test-token';
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// Starts telehealthd with these [metrics] settings and expects it to stop
// at once: resolves {status, stderr}.
async function refusedStart(metrics) {
  const { bin, root } = requireEnv();
  const dir = await mkdtemp(path.join(tmpdir(), 'th-metrics-'));
  try {
    const conf = path.join(dir, 'telehealth.conf');
    const text = await readFile(path.join(root, 'config', 'telehealth.conf'), 'utf8');
    await writeFile(conf, rewriteConfig(text, { metrics }));
    const res = spawnSync(bin, ['--config', conf, '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')],
      { encoding: 'utf8', timeout: 10000 });
    assert.equal(res.error, undefined, 'telehealthd stops by itself');
    return { status: res.status, stderr: res.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('with a token: 401 without it or with another, 200 with it; only /metrics is there', { timeout: 60000 }, async () => {
  const server = await startServer({
    settings: { metrics: { listen: '127.0.0.1:0', token_sha256: sha256(TOKEN) } },
  });
  try {
    const url = await metricsUrl(server);
    const none = await scrapeMetrics(url);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') || '', /^Bearer\b/);
    assert.doesNotMatch(none.text, /telehealthd_/);
    const wrong = await scrapeMetrics(url, { token: `${TOKEN}x` });
    assert.equal(wrong.status, 401);
    const basic = await rawRequest(url, { headers: { Authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } });
    assert.equal(basic.status, 401);

    // Traffic on the public port, then its count by route pattern and status.
    const session = await server.login();
    const visit = await fetchJson(`${server.baseUrl}/api/visits/${server.demo.visit_id}`, { session });
    assert.equal(visit.status, 200);
    const missing = await fetchJson(`${server.baseUrl}/api/no-such-thing/${server.demo.visit_id}`, { session });
    assert.equal(missing.status, 404);

    const ok = await scrapeMetrics(url, { token: TOKEN });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    promtoolCheck(ok.text);
    assert.ok(ok.samples.get('telehealthd_http_requests_total{route="/api/visits/:visit",status="200"}') >= 1,
      [...ok.samples.keys()].filter((k) => k.includes('http_requests')).join('\n'));
    assert.ok(ok.samples.get('telehealthd_http_requests_total{route="other",status="404"}') >= 1);
    assert.ok(!ok.text.includes(server.demo.visit_id), 'no visit id in a label');

    // Nothing else on the metrics port; no metrics on the public one.
    for (const p of ['/', '/metrics/', '/api/visits', '/metricsx']) {
      const r = await rawRequest(new URL(p, url).href, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(r.status, 404, `${p} on the metrics port`);
    }
    const pub = await rawRequest(`${server.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.notEqual(pub.status, 200, 'the public port does not serve /metrics');
    assert.doesNotMatch(pub.text, /telehealthd_/);
  } finally {
    await server.stop();
  }
});

test('failed sign-ins and a lockout are counted', { timeout: 60000 }, async () => {
  const server = await startServer({
    settings: {
      metrics: { listen: '127.0.0.1:0' },
      security: { login_slowdown_after: 2, login_lockout_after: 2 },
    },
  });
  try {
    const url = await metricsUrl(server);
    const signIn = (password) => rawRequest(`${server.baseUrl}/api/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: server.providerLogin.username, password }), timeout: 10000,
    });
    const before = await scrapeMetrics(url);
    assert.equal(before.samples.get('telehealthd_signin_failures_total'), 0);
    assert.equal(before.samples.get('telehealthd_signin_lockouts_total'), 0);
    for (let i = 0; i < 2; i++) assert.equal((await signIn('not-the-password')).status, 401);
    const locked = await signIn('not-the-password');
    assert.equal(locked.status, 429, locked.text);
    assert.match(locked.text, /"locked"/);
    const after = await scrapeMetrics(url);
    promtoolCheck(after.text);
    assert.equal(after.samples.get('telehealthd_signin_failures_total'), 2);
    assert.equal(after.samples.get('telehealthd_signin_lockouts_total'), 1);
    assert.ok(after.samples.get('telehealthd_http_requests_total{route="/api/session",status="401"}') >= 2);
    assert.ok(after.samples.get('telehealthd_http_requests_total{route="/api/session",status="429"}') >= 1);
    assert.ok(!after.text.includes(server.providerLogin.username), 'no user name in the metrics');
  } finally {
    await server.stop();
  }
});

test('with mail set up: the outbox depth and a refused send', { timeout: 60000 }, async () => {
  const sink = await startSmtpSink();
  const sms = await startSmsReceiver();
  let server;
  try {
    await sink.refuse(true);
    server = await startServer({
      now: '2027-01-05T15:00:00Z',
      settings: { ...outboxSettings(sink, sms), metrics: { listen: '127.0.0.1:0' } },
    });
    const url = await metricsUrl(server);
    const session = await server.login();
    const demo = await fetchJson(`${server.baseUrl}/api/visits/${server.demo.visit_id}`, { session });
    assert.equal(demo.status, 200, demo.text);
    const booked = await fetchJson(`${server.baseUrl}/api/visits`, {
      session, method: 'POST', body: { patient_id: demo.json.patient.id, scheduled_at: '2027-01-12T19:00:00Z' },
    });
    assert.equal(booked.status, 201, booked.text);
    // The mail server refuses the invitation: a failed send, and the email
    // waits in the outbox with the visit's reminders.
    const scrape = await waitFor(async () => {
      const m = await scrapeMetrics(url);
      return m.samples.get('telehealthd_outbox_failures_total') >= 1 ? m : null;
    }, { timeout: 15000, interval: 300, what: 'telehealthd_outbox_failures_total to count the refused email' });
    promtoolCheck(scrape.text);
    assert.ok(scrape.samples.get('telehealthd_outbox_queued') >= 1, scrape.text);
  } finally {
    if (server) await server.stop();
    await sink.stop();
    await sms.stop();
  }
});

test('no [metrics] listen: no metrics listener at all', { timeout: 30000 }, async () => {
  const server = await startServer();
  try {
    assert.doesNotMatch(server.stderrTail(1e6), /metrics on http/);
  } finally {
    await server.stop();
  }
});

test('a metrics listener off loopback without a token, or a bad token, stops the start', { timeout: 60000 }, async () => {
  for (const [metrics, says] of [
    [{ listen: '0.0.0.0:0' }, /\[metrics\] listen = 0\.0\.0\.0:0 is reachable from other machines: set \[metrics\] token_sha256/],
    [{ listen: '[::]:0' }, /is reachable from other machines/],
    [{ listen: '127.0.0.1:0', token_sha256: 'abc' }, /\[metrics\] token_sha256 must be 64 hex digits/],
    [{ listen: '127.0.0.1:0', token_sha256: 'g'.repeat(64) }, /\[metrics\] token_sha256 must be 64 hex digits/],
    [{ listen: 'here:0' }, /\[metrics\] listen: "here:0" is not HOST:PORT/],
    [{ listen: '127.0.0.1:0', port: '9464' }, /\[metrics\] port is not a setting telehealthd knows/],
  ]) {
    const res = await refusedStart(metrics);
    assert.equal(res.status, 1, `${JSON.stringify(metrics)}: ${res.stderr}`);
    assert.match(res.stderr, says);
  }
  // With a token, any address will do.
  const server = await startServer({
    settings: { metrics: { listen: '0.0.0.0:0', token_sha256: sha256(TOKEN) } },
  });
  try {
    const url = (await metricsUrl(server)).replace('0.0.0.0', '127.0.0.1');
    assert.equal((await scrapeMetrics(url, { token: TOKEN })).status, 200);
  } finally {
    await server.stop();
  }
});
