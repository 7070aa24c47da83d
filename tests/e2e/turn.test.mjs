// End-to-end through TURN: Debian's coturn (`turnserver`) on 127.0.0.1 with
// `use-auth-secret`, telehealthd handing out time-limited credentials made
// with the same secret (GET /api/ice-servers), and two real Chromium
// browsers forced to relay only (window.__thIcePolicy = 'relay'). Asserts
// that video decodes on both pages, that each page's selected candidate
// pair is its own relay candidate, and that coturn logged a successful
// allocation for each of the usernames the server handed out. Then, quickly:
// coturn refuses a credential made with another secret and an expired one,
// while a fresh good one gets a relay candidate.
//
// Everything stays inside the test's loopback-only network namespace
// (tests/netns-run.sh); every wait is bounded; turnserver dies at the end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  requireEnv, startServer, runVisit, fetchJson, fragmentOf, launchParticipant, rewriteConfig,
  waitFor, withTimeout,
} from './lib.mjs';

const TURNSERVER = process.env.TH_TURNSERVER || '/usr/bin/turnserver';
const TURN_PORT = 3478;
// Below the kernel's ephemeral range, so the relay ports never meet the
// ports the server's and browsers' ICE agents are given.
const RELAY_MIN = 20000;
const RELAY_MAX = 20199;
const REALM = 'test';

const { root } = requireEnv();
const secret = randomBytes(24).toString('hex');
const turnUrl = `turn:127.0.0.1:${TURN_PORT}?transport=udp`;

let dir;
let turn;
let server;

const turnCredential = (key, username) => createHmac('sha1', key).update(username).digest('base64');

// One STUN Binding request to 127.0.0.1:port over UDP: resolves whether a
// Binding success answer (0x0101) came back within `ms`.
function stunPing(port, ms = 500) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const txid = randomBytes(12);
    const msg = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), txid]);
    const done = (ok) => { clearTimeout(timer); sock.close(); resolve(ok); };
    const timer = setTimeout(() => done(false), ms);
    sock.on('message', (buf) => done(buf.length >= 20 && buf.readUInt16BE(0) === 0x0101 && buf.subarray(8, 20).equals(txid)));
    sock.on('error', () => done(false));
    sock.send(msg, port, '127.0.0.1');
  });
}

async function startTurn() {
  try {
    await access(TURNSERVER, fsc.X_OK);
  } catch {
    throw new Error(`${TURNSERVER} is missing: install Debian's coturn (./scripts/install-deps.sh --test)`);
  }
  const logFile = path.join(dir, 'turn.log');
  const args = [
    '-n', // no configuration file: only these flags
    '--listening-ip=127.0.0.1', `--listening-port=${TURN_PORT}`, '--relay-ip=127.0.0.1',
    '--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli', `--realm=${REALM}`,
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--fingerprint',
    `--min-port=${RELAY_MIN}`, `--max-port=${RELAY_MAX}`,
    `--log-file=${logFile}`, '--simple-log', '--no-stdout-log', '--verbose',
    `--pidfile=${path.join(dir, 'turn.pid')}`,
  ];
  const proc = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (c) => { output = (output + c).slice(-20000); });
  proc.stderr.on('data', (c) => { output = (output + c).slice(-20000); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let spawnError = null;
  proc.on('error', (err) => { spawnError = err; });
  const t = {
    proc,
    logFile,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    async stop() {
      if (t.alive()) {
        proc.kill('SIGTERM');
        if (!await withTimeout(exited, 3000, 'turnserver to exit').catch(() => null)) proc.kill('SIGKILL');
      }
      await exited;
    },
  };
  try {
    await waitFor(async () => {
      if (spawnError) throw spawnError;
      if (!t.alive()) throw new Error(`turnserver exited (${proc.exitCode ?? proc.signalCode})`);
      return stunPing(TURN_PORT, 300);
    }, { timeout: 10000, interval: 200, what: `turnserver to answer STUN on 127.0.0.1:${TURN_PORT}` });
  } catch (err) {
    await t.stop();
    throw new Error(`${err.message}\n--- turnserver output ---\n${output.slice(-3000)}\n--- turn.log ---\n${(await t.log()).slice(-3000)}`);
  }
  return t;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'th-turn-'));
  turn = await startTurn();
  const text = await readFile(path.join(root, 'config', 'telehealth.conf'), 'utf8');
  const configPath = path.join(dir, 'telehealth.conf');
  await writeFile(configPath, rewriteConfig(text, {
    // The server's policy stays "all": the pages force relay themselves.
    ice: { stun_urls: '', turn_urls: turnUrl, turn_secret: secret, turn_credential_ttl_seconds: '600', ice_transport_policy: 'all' },
    prescribing: { catalog: path.resolve(root, 'config', 'medications.json') },
  }));
  server = await startServer({ configPath });
});

after(async () => {
  if (server) await server.stop();
  if (turn) await turn.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// The page's selected candidate pair, and every local candidate type seen.
async function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.__thPeer;
    if (!pc) return null;
    const report = await pc.getStats();
    const out = { localTypes: [], local: null, remote: null, state: null };
    let transport = null;
    report.forEach((s) => {
      if (s.type === 'transport') transport = s;
      if (s.type === 'local-candidate') out.localTypes.push(s.candidateType);
    });
    const pair = transport && transport.selectedCandidatePairId ? report.get(transport.selectedCandidatePairId) : null;
    if (!pair) return out;
    out.state = pair.state;
    const pick = (c) => c && { candidateType: c.candidateType, address: c.address, port: c.port, protocol: c.protocol, relayProtocol: c.relayProtocol, url: c.url };
    out.local = pick(report.get(pair.localCandidateId));
    out.remote = pick(report.get(pair.remoteCandidateId));
    return out;
  });
}

test('patient and provider see each other through coturn, relay only', { timeout: 150000 }, async (t) => {
  // The REST answer: our TURN server with a credential coturn will take.
  const token = fragmentOf(server.demo.patient_url).token;
  const rest = await fetchJson(`${server.baseUrl}/api/ice-servers`, { token });
  assert.equal(rest.status, 200, rest.text);
  assert.equal(rest.json.ice_transport_policy, 'all');
  assert.deepEqual(rest.json.ice_servers.map((s) => s.urls), [[turnUrl]]);
  const sample = rest.json.ice_servers[0];
  assert.equal(sample.credential, turnCredential(secret, sample.username));

  const handedOut = { patient: [], provider: [] };
  const prepare = async (p) => {
    await p.context.addInitScript(() => { window.__thIcePolicy = 'relay'; });
    p.page.on('response', async (res) => {
      if (new URL(res.url()).pathname !== '/api/ice-servers') return;
      try {
        const body = await res.json();
        for (const s of body.ice_servers || []) if (s.username) handedOut[p.name].push(s.username);
      } catch { /* a body that is gone */ }
    });
  };
  const pairs = {};
  const result = await runVisit(server, server.demo, {
    log: (m) => t.diagnostic(m),
    prepare,
    beforeEnd: async ({ patient, provider }) => {
      for (const p of [patient, provider]) {
        pairs[p.name] = await waitFor(async () => {
          const s = await selectedPair(p.page);
          return s && s.local && s.remote ? s : null;
        }, { timeout: 10000, what: `${p.name}: a selected candidate pair` });
        t.diagnostic(`${p.name}: ${JSON.stringify(pairs[p.name])}`);
      }
    },
  });

  assert.ok(result.patientMedia.second > result.patientMedia.first && result.patientMedia.first > 0, 'video frames decoded by the patient grow');
  assert.ok(result.providerMedia.second > result.providerMedia.first && result.providerMedia.first > 0, 'video frames decoded by the provider grow');
  assert.deepEqual(result.pageErrors, [], 'no uncaught JavaScript errors');
  for (const name of ['patient', 'provider']) {
    const s = pairs[name];
    assert.equal(s.local.candidateType, 'relay', `${name}: the selected pair's local candidate is a relay: ${JSON.stringify(s)}`);
    assert.equal(s.local.address, '127.0.0.1', `${name}: relayed by our coturn`);
    assert.ok(s.local.port >= RELAY_MIN && s.local.port <= RELAY_MAX, `${name}: relay port ${s.local.port} in coturn's range`);
    assert.deepEqual([...new Set(s.localTypes)], ['relay'], `${name}: relay-only gathers no other candidates`);
    // The far end is the server's own host candidate.
    assert.equal(s.remote.candidateType, 'host', `${name}: the server answers from a host candidate`);
  }

  // coturn allocated for exactly the usernames the server handed out.
  assert.ok(handedOut.patient.length > 0 && handedOut.provider.length > 0, `usernames seen: ${JSON.stringify(handedOut)}`);
  const log = await turn.log();
  for (const [who, names] of Object.entries(handedOut)) {
    const allocated = names.filter((u) => log.split('\n').some((l) => l.includes(`user <${u}>`) && /ALLOCATE processed, success/.test(l)));
    assert.ok(allocated.length > 0, `coturn's log shows an allocation for the ${who}'s username (${names.join(', ')})\n${log.split('\n').filter((l) => /ALLOCATE|401/.test(l)).slice(-20).join('\n')}`);
    for (const u of names) {
      assert.match(u, /^\d+:[0-9a-f-]{36}$/, `${who}: <expiry>:<id>, no name in the username`);
      assert.ok(!/Demo|Patient|Provider/i.test(u));
    }
  }
  t.diagnostic(`usernames: ${JSON.stringify(handedOut)}`);
});

// Gathers in a page with only `iceServers` and relay policy; resolves the
// candidate types found, bounded by `ms`.
async function gatherRelay(page, iceServers, ms) {
  return page.evaluate(async ({ iceServers, ms }) => {
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
    const types = [];
    const errors = [];
    pc.addEventListener('icecandidateerror', (ev) => errors.push(ev.errorCode));
    pc.createDataChannel('probe');
    const done = new Promise((resolve) => {
      pc.addEventListener('icecandidate', (ev) => {
        if (!ev.candidate) resolve('complete');
        else if (ev.candidate.candidate) types.push(ev.candidate.type);
      });
      setTimeout(() => resolve('timeout'), ms);
    });
    await pc.setLocalDescription(await pc.createOffer());
    const how = await done;
    pc.close();
    return { how, types, errors };
  }, { iceServers, ms });
}

test('coturn refuses a credential made with another secret, and an expired one', { timeout: 60000 }, async (t) => {
  const probe = await launchParticipant('probe');
  try {
    await probe.page.goto(`${server.baseUrl}/healthz`);
    const now = Math.floor(Date.now() / 1000);
    const good = `${now + 300}:probe-good`;
    const forged = `${now + 300}:probe-forged`;
    const expired = `${now - 60}:probe-expired`;
    const cases = [
      ['good', { urls: turnUrl, username: good, credential: turnCredential(secret, good) }],
      ['another secret', { urls: turnUrl, username: forged, credential: turnCredential(`${secret}-not`, forged) }],
      ['expired', { urls: turnUrl, username: expired, credential: turnCredential(secret, expired) }],
    ];
    const results = await Promise.all(cases.map(([, server]) => gatherRelay(probe.page, [server], 12000)));
    cases.forEach(([what], i) => t.diagnostic(`${what}: ${JSON.stringify(results[i])}`));
    assert.ok(results[0].types.includes('relay'), `a good credential gets a relay candidate: ${JSON.stringify(results[0])}`);
    assert.deepEqual(results[1].types, [], `a credential made with another secret gets none: ${JSON.stringify(results[1])}`);
    assert.deepEqual(results[2].types, [], `an expired credential gets none: ${JSON.stringify(results[2])}`);
    assert.ok(results[1].errors.includes(401) && results[2].errors.includes(401), 'both refused as 401 Unauthorized');
    const log = await turn.log();
    const lines = (u) => log.split('\n').filter((l) => l.includes(`user <${u}>`));
    assert.ok(lines(good).some((l) => /ALLOCATE processed, success/.test(l)), 'coturn allocated for the good one');
    for (const u of [forged, expired]) {
      assert.ok(!lines(u).some((l) => /ALLOCATE processed, success/.test(l)), `coturn allocated nothing for ${u}`);
    }
  } finally {
    await probe.close();
  }
});
