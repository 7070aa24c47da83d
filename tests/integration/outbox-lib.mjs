// Helpers for the outbox tests (issue 13): a real SMTP server (aiosmtpd,
// tests/integration/smtp_sink.py) and a real HTTP receiver for the SMS
// webhook that checks the HMAC signature, both on 127.0.0.1 inside the
// test's network namespace; received mail read by read_mail.py (Python's
// email parser and python3-icalendar). Every wait is bounded.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile, unlink } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withTimeout } from '../e2e/lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Debian's python3, where python3-aiosmtpd and python3-icalendar live.
const PYTHON = '/usr/bin/python3';
export const SMS_SECRET = 'outbox-test-secret-0123456789';

// Starts the SMTP sink; resolves {port, dir, messages(), refuse(on), stop()}.
export async function startSmtpSink() {
  const dir = await mkdtemp(path.join(tmpdir(), 'th-smtp-'));
  const proc = spawn(PYTHON, [path.join(HERE, 'smtp_sink.py'), dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const port = await withTimeout(new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`smtp_sink.py exited (${code}): ${err}`)));
  }), 10000, 'the SMTP sink to start');
  return {
    port,
    dir,
    // The received messages' files, in the order they arrived.
    async files() {
      const names = (await readdir(dir)).filter((n) => /^\d+\.eml$/.test(n));
      return names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).map((n) => path.join(dir, n));
    },
    // Every received message, parsed (read_mail.py).
    async messages() {
      const out = [];
      for (const f of await this.files()) out.push(await readMail(f));
      return out;
    },
    async refuse(on) {
      const f = path.join(dir, 'refuse');
      if (on) await writeFile(f, 'refuse');
      else await unlink(f).catch(() => {});
    },
    async stop() {
      proc.stdin.end();
      proc.kill('SIGTERM');
      await withTimeout(new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', resolve))), 5000, 'smtp sink exit').catch(() => proc.kill('SIGKILL'));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function readMail(file) {
  const { stdout } = await promisify(execFile)(PYTHON, [path.join(HERE, 'read_mail.py'), file], { timeout: 10000 });
  return JSON.parse(stdout);
}

// The SMS webhook: records each POST {to, text, id, signatureValid}.
export async function startSmsReceiver({ secret = SMS_SECRET } = {}) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      const got = Buffer.from(String(req.headers['x-telehealth-signature'] || ''));
      let json = null;
      try { json = JSON.parse(body.toString('utf8')); } catch { /* kept as null */ }
      received.push({
        path: req.url,
        contentType: req.headers['content-type'],
        signatureValid: got.length === want.length && timingSafeEqual(got, want),
        body: json,
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/sms`,
    received,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

// The server settings that send through these two.
export function outboxSettings(sink, sms, extra = {}) {
  return {
    clinic: { name: 'Lakeside Psychiatry', ...extra.clinic },
    mail: { host: '127.0.0.1', port: sink.port, security: 'none', from: 'Lakeside Psychiatry <visits@lakeside.example>' },
    sms: { url: sms.url, secret: SMS_SECRET },
    notify: { reminders: '24h,1h', ...extra.notify },
  };
}

// Words a message to a patient must never hold (issue 13: nothing clinical).
export const CLINICAL_WORDS = /diagnos|depress|anxiety|adhd|phq|gad-?7|score|medication|prescri|sertraline|bupropion|\bmg\b|dose|item 9/i;

// A link's token is random letters and digits and may spell "mg" or "phq"
// by chance: the words are looked for in the text with the tokens taken out.
export function assertNothingClinical(text) {
  const words = text.replace(/(#token=|#d=)[A-Za-z0-9_-]+/g, '$1');
  assert.doesNotMatch(words, CLINICAL_WORDS);
}
