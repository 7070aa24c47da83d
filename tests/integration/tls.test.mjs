// Integration: HTTPS and WSS (issue 4, TLS). A real telehealthd with
// `[tls] self_signed = true`; clients trust the certificate it generated in
// its data directory. Also the refusals: plain HTTP on a non-loopback address,
// a configured certificate that does not exist.
//
// Environment: TELEHEALTHD, TH_SOURCE_ROOT (set by meson). Run inside
// tests/netns-run.sh.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import { requireEnv, startServer, withTimeout } from '../e2e/lib.mjs';

const { bin, root } = requireEnv();
let work;          // temp folder: config files, the kept data dir
let dataDir;
let tlsConf;
let server;
let port;
let ca;            // the generated certificate, PEM

// The shipped config with [tls] and the catalog path replaced (the copy lives
// elsewhere, so a relative catalog path would no longer resolve).
async function writeConfig(name, tlsLines) {
  let text = await readFile(path.join(root, 'config', 'telehealth.conf'), 'utf8');
  text = text.replace(/^catalog\s*=.*$/m, `catalog = ${path.join(root, 'config', 'medications.json')}`);
  text = text.replace(/^\[tls\][\s\S]*?(?=^\[)/m, `[tls]\n${tlsLines.join('\n')}\n\n`);
  const file = path.join(work, name);
  await writeFile(file, text);
  return file;
}

// Runs telehealthd expecting it to refuse to start: resolves {code, stderr}.
async function expectRefusal(args, what) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { stderr += c; });
  proc.stdout.resume();
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const { code, signal } = await withTimeout(exited, 10000, `${what}: telehealthd to exit`);
    return { code, signal, stderr };
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
}

// One HTTPS request trusting only the generated certificate.
function get(urlPath, { timeout = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: urlPath, ca, timeout }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: no answer in ${timeout} ms`)));
    req.on('error', reject);
  });
}

// A bare TLS handshake; resolves {protocol, cert} or {error}.
function handshake(options, { timeout = 5000 } = {}) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, ...options });
    const timer = setTimeout(() => { socket.destroy(); resolve({ error: new Error('handshake timed out') }); }, timeout);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const out = { protocol: socket.getProtocol(), cert: socket.getPeerCertificate() };
      socket.end();
      resolve(out);
    });
    socket.once('error', (error) => { clearTimeout(timer); socket.destroy(); resolve({ error }); });
  });
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'th-tls-'));
  dataDir = path.join(work, 'data');
  tlsConf = await writeConfig('tls.conf', ['self_signed = true']);
  server = await startServer({ configPath: tlsConf, dataDir });
  port = Number(new URL(server.baseUrl).port);
  ca = await readFile(path.join(dataDir, 'tls', 'cert.pem'), 'utf8');
});

after(async () => {
  if (server) await server.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('the demo links are https:// on the listen address', () => {
  for (const key of ['patient_url', 'provider_url']) {
    const u = new URL(server.demo[key]);
    assert.equal(u.protocol, 'https:', `${key} ${server.demo[key]}`);
    assert.equal(u.host, `127.0.0.1:${port}`);
  }
});

test('the generated certificate: self-signed, P-256, SANs, one year', async () => {
  const cert = new X509Certificate(ca);
  assert.match(cert.subject, /CN=telehealthd self-signed/);
  assert.equal(cert.issuer, cert.subject);
  assert.ok(cert.checkIP('127.0.0.1'), `SAN ${cert.subjectAltName}`);
  assert.ok(cert.checkIP('::1'), `SAN ${cert.subjectAltName}`);
  assert.ok(cert.checkHost('localhost'), `SAN ${cert.subjectAltName}`);
  assert.equal(cert.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extendedKeyUsage serverAuth');
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86400000;
  assert.ok(days > 364 && days < 367, `valid ${cert.validFrom} .. ${cert.validTo}`);
  assert.ok(Date.parse(cert.validFrom) < Date.now(), 'valid from before now');
});

test('GET /healthz over HTTPS, trusting the generated certificate', async () => {
  const res = await get('/healthz');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
});

test('plain HTTP on the TLS port gets no answer (no redirect either)', async () => {
  const outcome = await new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 3000 }, (res) => {
      res.resume();
      resolve(`status ${res.statusCode}`);
    });
    req.on('timeout', () => { req.destroy(); resolve('refused'); });
    req.on('error', () => resolve('refused'));
  });
  assert.equal(outcome, 'refused');
});

test('TLS 1.2 and 1.3 clients connect and verify the SAN 127.0.0.1', async () => {
  for (const version of ['TLSv1.2', 'TLSv1.3']) {
    const res = await handshake({ minVersion: version, maxVersion: version });
    assert.ok(!res.error, `${version}: ${res.error && res.error.message}`);
    assert.equal(res.protocol, version);
    assert.match(res.cert.subjectaltname, /IP Address:127\.0\.0\.1/);
  }
});

test('a TLS 1.1 client is refused by the server', async () => {
  // SECLEVEL=0 lets this client really offer TLS 1.0/1.1, so the refusal is
  // the server's (a protocol_version alert), not the client's own policy.
  const res = await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  assert.ok(res.error, `connected with ${res.protocol}`);
  assert.match(`${res.error.code} ${res.error.message}`, /PROTOCOL_VERSION|protocol version/i);
});

test('a client that does not trust the certificate is refused', async () => {
  const res = await handshake({ ca: undefined });
  assert.ok(res.error);
  assert.match(res.error.code, /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
});

test('a page carries the security headers', async () => {
  const res = await get('/patient.html');
  assert.equal(res.status, 200);
  const csp = res.headers['content-security-policy'] || '';
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
});

test('WSS /signaling answers garbage with an error frame', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/signaling`, { ca, origin: server.baseUrl });
  try {
    await withTimeout(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    }), 5000, 'the wss:// upgrade');
    const reply = withTimeout(new Promise((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString())));
      ws.once('close', (code) => reject(new Error(`closed (${code}) before answering`)));
    }), 5000, 'an answer to garbage');
    ws.send('this is not {json');
    const msg = await reply;
    assert.equal(msg.type, 'error');
    assert.equal(msg.code, 'bad-json');
  } finally {
    ws.terminate();
  }
});

test('a restart reuses the certificate', async () => {
  const first = await handshake({});
  assert.ok(!first.error, first.error && first.error.message);
  await server.stop();
  server = null;
  server = await startServer({ configPath: tlsConf, dataDir });
  port = Number(new URL(server.baseUrl).port);
  assert.equal(await readFile(path.join(dataDir, 'tls', 'cert.pem'), 'utf8'), ca);
  const second = await handshake({});
  assert.ok(!second.error, second.error && second.error.message);
  assert.equal(second.cert.fingerprint256, first.cert.fingerprint256);
});

test('listening on 0.0.0.0 without TLS refuses to start, naming [tls]', async () => {
  const conf = await writeConfig('plain.conf', ['certificate =', 'private_key =', 'self_signed = false']);
  const dir = await mkdtemp(path.join(work, 'plain-'));
  const res = await expectRefusal(['--config', conf, '--listen', '0.0.0.0:0', '--data-dir', dir], '0.0.0.0 without TLS');
  assert.notEqual(res.code, 0, res.stderr);
  assert.match(res.stderr, /listening on 0\.0\.0\.0 needs TLS/);
  assert.match(res.stderr, /\[tls\] certificate and private_key, or self_signed = true/);
  assert.ok(res.stderr.includes(conf), `names the config file: ${res.stderr}`);
});

test('a configured certificate that does not exist refuses to start, naming the file', async () => {
  const missing = path.join(work, 'no-such-cert.pem');
  const key = path.join(work, 'no-such-key.pem');
  const conf = await writeConfig('missing.conf', [`certificate = ${missing}`, `private_key = ${key}`]);
  const dir = await mkdtemp(path.join(work, 'missing-'));
  const res = await expectRefusal(['--config', conf, '--listen', '127.0.0.1:0', '--data-dir', dir], 'missing certificate');
  assert.notEqual(res.code, 0, res.stderr);
  assert.ok(res.stderr.includes(missing), `names ${missing}: ${res.stderr}`);
});

test('a configured key that belongs to another certificate refuses to start', async () => {
  // The generated pair's certificate with a key from a second data dir.
  const otherDir = path.join(work, 'other-data');
  const other = await startServer({ configPath: tlsConf, dataDir: otherDir });
  await other.stop();
  const cert = path.join(dataDir, 'tls', 'cert.pem');
  const key = path.join(otherDir, 'tls', 'key.pem');
  const conf = await writeConfig('mismatch.conf', [`certificate = ${cert}`, `private_key = ${key}`]);
  const dir = await mkdtemp(path.join(work, 'mismatch-'));
  const res = await expectRefusal(['--config', conf, '--listen', '127.0.0.1:0', '--data-dir', dir], 'mismatched key');
  assert.notEqual(res.code, 0, res.stderr);
  assert.ok(res.stderr.includes(key) && /does not belong/.test(res.stderr), res.stderr);
});
