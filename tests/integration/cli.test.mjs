// The command line as an operator meets it: --help, bad settings refused
// with the key and the file named, the --demo JSON line, a clean SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireEnv, startServer, fetchJson } from '../e2e/lib.mjs';

const { bin, root } = requireEnv();

function run(args) {
  return spawnSync(bin, args, { encoding: 'utf8', timeout: 15000 });
}

test('--help documents every flag', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const flag of ['--config', '--listen', '--data-dir', '--demo', '--to', '--to-dir', '--keep', '--from']) assert.match(r.stdout, new RegExp(flag));
  assert.match(r.stdout, /admin backup --to-dir/);
  assert.match(r.stdout, /admin restore --from/);
});

test('a bad config value stops the start, naming the key and the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'th-cli-'));
  try {
    const cases = [
      ['[server]\nlisten = 127.0.0.1:99999\n', /listen/],
      ['[media]\njitter_latency_ms = fast\n', /jitter_latency_ms/],
      ['[server]\nlisen = 127.0.0.1:8080\n', /lisen/],
      ['[server]\npublic_base_url = ftp://x\n', /public_base_url/],
      ['[media]\nice_addresses = not-an-ip\n', /ice_addresses/],
      ['[ice]\nturn_urls = turn:127.0.0.1:3478\n', /turn_secret/],
      ['[ice]\nstun_urls = http://stun.example.org\n', /stun_urls/],
    ];
    for (const [text, key] of cases) {
      const file = path.join(dir, 'bad.conf');
      writeFileSync(file, text);
      const r = run(['--config', file, '--data-dir', path.join(dir, 'data')]);
      assert.notEqual(r.status, 0, `refused: ${text}`);
      assert.match(r.stderr, key);
      assert.ok(r.stderr.includes(file), `stderr names the file: ${r.stderr}`);
    }
    const r = run(['--config', path.join(root, 'config', 'telehealth.conf'), '--listen', 'nowhere']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--listen/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--demo prints working links as its last stdout line; SIGTERM stops cleanly', async () => {
  const server = await startServer();
  try {
    const last = server.stdoutLines[server.stdoutLines.length - 1];
    const demo = JSON.parse(last);
    assert.ok(demo.visit_id && demo.patient_url && demo.provider_url);
    assert.match(demo.provider_url, /\/provider\.html#visit=[0-9a-f-]+$/, 'no secret in the provider link');
    assert.equal(demo.provider_login.username, 'demo.provider');
    assert.ok(demo.provider_login.password.length >= 16);
    assert.ok(demo.patient_url.startsWith(server.baseUrl));
    assert.match(demo.patient_url, /\/patient\.html#token=[A-Za-z0-9_-]{43}$/);
    assert.equal((await fetchJson(`${server.baseUrl}/healthz`)).status, 200);
  } finally {
    const res = await server.stop();
    assert.equal(res.code, 0, 'exit status 0 after SIGTERM');
    assert.equal(res.killed, false);
  }
});

test('what the server wrote survives a restart on the same data dir', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'th-restart-'));
  try {
    const first = await startServer({ extraArgs: ['--data-dir', dataDir] });
    const session = await first.login();
    const visitId = first.demo.visit_id;
    const created = await fetchJson(`${first.baseUrl}/api/visits`, {
      session, method: 'POST', body: { patient_name: 'Restart Patient' },
    });
    assert.equal(created.status, 201);
    assert.equal((await first.stop()).code, 0);

    const second = await startServer({ extraArgs: ['--data-dir', dataDir] });
    try {
      for (const id of [visitId, created.json.visit_id]) {
        // The session itself was stored, so it outlives the restart too.
        const r = await fetchJson(`${second.baseUrl}/api/visits/${id}`, { session });
        assert.equal(r.status, 200, `visit ${id} is still there`);
        assert.equal(r.json.timeline[0].state, 'scheduled');
      }
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
