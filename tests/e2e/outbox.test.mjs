// Invitations in the browser (issue 13 item 3): the join link in the email
// the SMTP server received opens the patient page and joins the visit; the
// console's visit panel lists the messages to the patient with their state
// in words, and a message the mail server refused is sent again with Retry.
// Real SMTP server (aiosmtpd), real SMS receiver, real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startServer, fetchJson, waitFor, launchParticipant, joinAsPatient, openConsoleAndAdmit,
  openConsole, waitForState, assertMediaFlowing,
} from './lib.mjs';
import { startSmtpSink, startSmsReceiver, outboxSettings } from '../integration/outbox-lib.mjs';

const NOW = '2027-01-05T15:00:00Z';
const SHOTS = process.env.TH_SCREENSHOT_DIR || path.join(tmpdir(), 'th-outbox-shots');

let sink;
let sms;
let server;
let session;
let patientId;

before(async () => {
  sink = await startSmtpSink();
  sms = await startSmsReceiver();
  server = await startServer({ now: NOW, settings: outboxSettings(sink, sms) });
  session = await server.login();
  const demo = await fetchJson(`${server.baseUrl}/api/visits/${server.demo.visit_id}`, { session });
  patientId = demo.json.patient.id;
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  if (server) await server.stop();
  if (sink) await sink.stop();
  if (sms) await sms.stop();
});

async function book(inMinutes) {
  const res = await fetchJson(`${server.baseUrl}/api/visits`, {
    session, method: 'POST',
    body: { patient_id: patientId, scheduled_at: new Date(server.now() + inMinutes * 60000).toISOString() },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

test('the join link in the received email opens the patient page and joins the visit', async () => {
  const booked = await book(5);
  assert.equal(booked.invitation.status, 'queued');
  const mail = await waitFor(async () => (await sink.messages()).find((m) => m.ics?.uid?.startsWith(booked.visit_id)),
    { timeout: 15000, what: 'the invitation at the mail server' });
  const link = /(http:\/\/\S+\/patient\.html#token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  assert.ok(link, mail.text);
  const patient = await launchParticipant('patient');
  const provider = await launchParticipant('provider');
  try {
    await joinAsPatient(patient, link);
    await openConsoleAndAdmit(provider, booked.provider_url, { login: server.providerLogin });
    await waitForState(patient, 'in_progress');
    await waitForState(provider, 'in_progress');
    await assertMediaFlowing(patient);
    assert.deepEqual(patient.pageErrors, []);
  } finally {
    await Promise.all([patient.close(), provider.close()]);
  }
});

test('the console lists the messages to the patient; a refused email goes again with Retry', async () => {
  await sink.refuse(true);
  const booked = await book(60 * 26); // tomorrow: the reminders wait
  await waitFor(async () => {
    const res = await fetchJson(`${server.baseUrl}/api/visits/${booked.visit_id}/messages`, { session });
    return res.json.messages.some((m) => m.channel === 'email' && m.kind === 'invitation' && m.attempts >= 1);
  }, { timeout: 15000, what: 'the refused email' });
  const provider = await launchParticipant('provider');
  try {
    const { page } = provider;
    await openConsole(provider, booked.provider_url, server.providerLogin);
    const panel = page.locator('[data-testid="messages"]');
    await panel.waitFor({ state: 'visible' });
    const email = panel.locator('[data-testid="message"][data-channel="email"][data-kind="invitation"]');
    await email.waitFor({ state: 'visible' });
    assert.match(await email.innerText(), /Email: Invitation/);
    assert.match(await email.locator('[data-testid="message-state"]').innerText(),
      /Not sent yet: 1 attempt failed\. The mail server refused the message \(550\)\. It did not accept the patient's address\. Next try /);
    const text = panel.locator('[data-testid="message"][data-channel="sms"][data-kind="invitation"]');
    await waitFor(async () => /^Sent /.test(await text.locator('[data-testid="message-state"]').innerText()),
      { timeout: 15000, what: 'the text shown as sent' });
    const reminder = panel.locator('[data-testid="message"][data-kind="reminder"]').first();
    assert.match(await reminder.innerText(), /Reminder \(a day before\)[\s\S]*Will go /);
    for (const [w, h] of [[390, 844], [1280, 800]]) {
      await page.setViewportSize({ width: w, height: h });
      await panel.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(SHOTS, `console-messages-${w}x${h}.png`) });
    }
    await sink.refuse(false);
    await email.locator('[data-testid="message-retry"]').click();
    await waitFor(async () => /^Sent /.test(await email.locator('[data-testid="message-state"]').innerText()),
      { timeout: 15000, what: 'the retried email shown as sent' });
    assert.equal(await email.locator('[data-testid="message-retry"]').count(), 0);
    assert.equal((await sink.messages()).filter((m) => m.ics?.uid?.startsWith(booked.visit_id)).length, 1);
    assert.deepEqual(provider.pageErrors, []);
  } finally {
    await provider.close();
  }
});
