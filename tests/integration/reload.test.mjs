// Integration (issue 17 item 2): SIGHUP, the unit's ExecReload, reads the
// config file again. The consent text, the ICE servers browsers are given
// and the log level change while a patient stays connected (their signaling
// connection is neither closed nor told bye); a config that does not read
// changes nothing and is logged; the address is not changed by a reload.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import WebSocket from 'ws';
import { startServer, fetchJson, fragmentOf, rewriteConfig, waitFor, withTimeout } from '../e2e/lib.mjs';

let server = null;
after(async () => { if (server) await server.stop(); });

async function edit(settings) {
  const text = await readFile(server.configPath, 'utf8');
  await writeFile(server.configPath, rewriteConfig(text, settings));
}

test('SIGHUP puts the new consent text and ICE servers in place; the visit goes on', { timeout: 60000 }, async () => {
  server = await startServer({
    settings: { consent: { text: 'First text: we agree to a video visit.', version: 'c1' },
      ice: { stun_urls: 'stun:127.0.0.1:3478' } },
    allowLog: [/reload: .*nothing was changed/],
  });
  const token = fragmentOf(server.demo.patient_url).token;
  const consent = () => fetchJson(`${server.baseUrl}/api/consent`, { token });
  const ice = () => fetchJson(`${server.baseUrl}/api/ice-servers`, { token });
  assert.equal((await consent()).json.version, 'c1');
  assert.deepEqual((await ice()).json.ice_servers, [{ urls: ['stun:127.0.0.1:3478'] }]);

  // The patient is in the waiting room on a signaling connection.
  const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}/signaling`, { origin: server.baseUrl });
  const frames = [];
  let closed = false;
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  ws.on('close', () => { closed = true; });
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, 'ws open');
  ws.send(JSON.stringify({ type: 'hello', token }));
  await waitFor(() => frames.find((m) => m.type === 'welcome'), { timeout: 5000, what: 'welcome' });

  await edit({ consent: { text: 'Second text: the clinic updated its consent.', version: 'c2' },
    ice: { stun_urls: 'stun:127.0.0.1:3479' }, log: { level: 'warning' } });
  server.proc.kill('SIGHUP');
  await waitFor(async () => (await consent()).json.version === 'c2', { timeout: 5000, what: 'the new consent version' });
  const c = await consent();
  assert.equal(c.json.text, 'Second text: the clinic updated its consent.');
  assert.deepEqual((await ice()).json.ice_servers, [{ urls: ['stun:127.0.0.1:3479'] }]);
  assert.match(server.stderrTail(200), /reloaded: consent version c2/);

  // A file that does not read: nothing changes, the log says why.
  await edit({ log: { level: 'loud' } });
  server.proc.kill('SIGHUP');
  await waitFor(() => /reload: .*\[log\] level = "loud".*nothing was changed/.test(server.stderrTail(200)),
    { timeout: 5000, what: 'the refused reload in the log' });
  assert.equal((await consent()).json.version, 'c2');

  // The patient's connection lived through both reloads.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(closed, false, 'the signaling connection is still open');
  assert.ok(!frames.some((m) => m.type === 'bye'), 'no bye was sent');
  assert.equal(server.alive(), true);
  ws.close();
});

test('SIGHUP reads a renewed TLS certificate: new connections get it', { timeout: 60000 }, async () => {
  const { execFileSync } = await import('node:child_process');
  const tls = await import('node:tls');
  const { X509Certificate } = await import('node:crypto');
  const path = (await import('node:path')).default;
  const srv = await startServer({ tls: true });
  try {
    const peerCert = () => new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: srv.port, rejectUnauthorized: false }, () => {
        const c = s.getPeerX509Certificate();
        s.end();
        resolve(c);
      });
      s.once('error', reject);
    });
    const first = await peerCert();
    assert.equal(first.fingerprint256, new X509Certificate(srv.certPem).fingerprint256);
    // A renewed pair at the same paths, as certbot would leave it.
    const dir = path.join(srv.dataDir, 'tls');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-days', '30', '-subj', '/CN=renewed', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const renewed = new X509Certificate(await readFile(path.join(dir, 'cert.pem')));
    assert.notEqual(renewed.fingerprint256, first.fingerprint256);
    srv.proc.kill('SIGHUP');
    await waitFor(async () => (await peerCert()).fingerprint256 === renewed.fingerprint256,
      { timeout: 5000, what: 'the renewed certificate on a new connection' });
    assert.match(srv.stderrTail(200), /reloaded: .*the TLS certificate/);
  } finally {
    await srv.stop();
  }
});
