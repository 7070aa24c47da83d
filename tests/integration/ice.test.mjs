// GET /api/ice-servers against a real telehealthd: who may ask, what the
// answer looks like, and TURN credentials that check out with the secret
// (HMAC-SHA1 computed here with node:crypto, independently of the server).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireEnv, startServer, fetchJson, fragmentOf, rewriteConfig } from '../e2e/lib.mjs';

const { root } = requireEnv();
const SECRET = 'integration-static-auth-secret';
const TTL = 120;
const STUN = ['stun:stun.example.org:3478', 'stun:127.0.0.1:3478'];
const TURN = ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'];

let server;
let confDir;

before(async () => {
  confDir = await mkdtemp(path.join(tmpdir(), 'th-ice-conf-'));
  const text = await readFile(path.join(root, 'config', 'telehealth.conf'), 'utf8');
  const configPath = path.join(confDir, 'telehealth.conf');
  await writeFile(configPath, rewriteConfig(text, {
    ice: {
      stun_urls: STUN.join(';'), turn_urls: TURN.join(';'), turn_secret: SECRET,
      turn_credential_ttl_seconds: String(TTL), ice_transport_policy: 'relay',
    },
    prescribing: { catalog: path.resolve(root, 'config', 'medications.json') },
  }));
  server = await startServer({ configPath });
});

after(async () => {
  if (server) await server.stop();
  if (confDir) await rm(confDir, { recursive: true, force: true });
});

const url = () => `${server.baseUrl}/api/ice-servers`;

// Checks one answer; returns the TURN username's id part.
function checkAnswer(json, before, after) {
  assert.deepEqual(Object.keys(json).sort(), ['expires_at', 'ice_servers', 'ice_transport_policy']);
  assert.equal(json.ice_transport_policy, 'relay');
  assert.equal(json.ice_servers.length, 2);
  assert.deepEqual(json.ice_servers[0], { urls: STUN });
  const turn = json.ice_servers[1];
  assert.deepEqual(turn.urls, TURN);
  const m = /^(\d+):([0-9a-f-]+)$/.exec(turn.username);
  assert.ok(m, `username is <expiry>:<id>: ${turn.username}`);
  const expiry = Number(m[1]);
  assert.ok(expiry >= Math.floor(before / 1000) + TTL && expiry <= Math.ceil(after / 1000) + TTL,
    `expiry ${expiry} is now + ${TTL} s`);
  assert.equal(Date.parse(json.expires_at), expiry * 1000, `expires_at ${json.expires_at} is the username's expiry`);
  const expected = createHmac('sha1', SECRET).update(turn.username).digest('base64');
  assert.equal(turn.credential, expected, 'credential = base64(HMAC-SHA1(secret, username))');
  return m[2];
}

test('without a join token or a session: 401, as every route', async () => {
  for (const opts of [{}, { token: 'not-a-valid-token' }, { headers: { Cookie: 'th_session=nope' } }]) {
    const res = await fetchJson(url(), opts);
    assert.equal(res.status, 401, `${JSON.stringify(opts)}: ${res.text}`);
    assert.equal(res.json.error.code, 'unauthorized');
    assert.ok(!/credential|turn:/.test(res.text), 'no servers in a refusal');
  }
  const post = await fetchJson(url(), { method: 'POST', token: fragmentOf(server.demo.patient_url).token, body: {} });
  assert.equal(post.status, 405);
});

test('a patient gets the servers and a credential made for their participant id', async () => {
  const token = fragmentOf(server.demo.patient_url).token;
  const t0 = Date.now();
  const res = await fetchJson(url(), { token });
  const t1 = Date.now();
  assert.equal(res.status, 200, res.text);
  const id = checkAnswer(res.json, t0, t1);
  assert.match(id, /^[0-9a-f-]{36}$/, 'an opaque id, not a name');
  // The same caller asking again gets the same id (a fresh expiry).
  const again = await fetchJson(url(), { token });
  assert.equal(checkAnswer(again.json, t0, Date.now()), id);
});

test('a signed-in staff member gets a credential made for their staff id', async () => {
  const session = await server.login();
  const t0 = Date.now();
  const res = await fetchJson(url(), { session });
  assert.equal(res.status, 200, res.text);
  assert.equal(checkAnswer(res.json, t0, Date.now()), session.staff.id);
});

test('no [ice] settings: no servers, policy all', async () => {
  const plain = await startServer();
  try {
    const res = await fetchJson(`${plain.baseUrl}/api/ice-servers`, { token: fragmentOf(plain.demo.patient_url).token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.ice_servers, []);
    assert.equal(res.json.ice_transport_policy, 'all');
    assert.ok(!Number.isNaN(Date.parse(res.json.expires_at)));
  } finally {
    await plain.stop();
  }
});
