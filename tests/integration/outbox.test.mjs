// The outbox (issue 13 item 3) against a real SMTP server (aiosmtpd) and a
// real SMS webhook receiver: booking sends one email with a calendar
// invitation that parses (python3-icalendar) with the start in the
// patient's zone, and one signed text message; a refusing mail server
// leaves the message in the outbox with its error and attempts, and a
// retry sends it; reminders go at their offsets, a reminder due while the
// server was down goes once when it is back (if the visit has not begun)
// and never after; restarts lose nothing and send nothing twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, fetchJson, fragmentOf, waitFor } from '../e2e/lib.mjs';
import { startSmtpSink, startSmsReceiver, outboxSettings, assertNothingClinical } from './outbox-lib.mjs';

// The clinic runs on UTC; the demo patient lives in America/New_York: the
// invitation must say the patient's time.
const NOW = '2027-01-05T15:00:00Z'; // Tue 10:00 in New York
const PATIENT_ZONE = 'America/New_York';

let sink;
let sms;
let dataDir;
let server;
let session;
let patientId;

async function startAt(now) {
  server = await startServer({ now, dataDir, settings: outboxSettings(sink, sms) });
  session = await server.login();
  const demo = await fetchJson(`${server.baseUrl}/api/visits/${server.demo.visit_id}`, { session });
  assert.equal(demo.status, 200, demo.text);
  patientId = demo.json.patient.id;
}

async function book(scheduledAt) {
  const res = await fetchJson(`${server.baseUrl}/api/visits`, {
    session, method: 'POST', body: { patient_id: patientId, scheduled_at: scheduledAt },
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

const messagesOf = async (visitId) => {
  const res = await fetchJson(`${server.baseUrl}/api/visits/${visitId}/messages`, { session });
  assert.equal(res.status, 200, res.text);
  return res.json.messages;
};

// The received emails whose subject names this time ("Fri 8 Jan 10:30").
const mailsAbout = async (when) => (await sink.messages()).filter((m) => m.subject.includes(when));
const smsAbout = (when) => sms.received.filter((m) => m.body?.text?.includes(when));

before(async () => {
  sink = await startSmtpSink();
  sms = await startSmsReceiver();
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-outbox-'));
  await startAt(NOW);
});

after(async () => {
  if (server) await server.stop();
  if (sink) await sink.stop();
  if (sms) await sms.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('booking sends one email with a calendar invitation in the patient\'s zone, and one signed text', async () => {
  const booked = await book('2027-01-08T15:30:00Z'); // Fri 10:30 in New York
  assert.equal(booked.invitation.status, 'queued', JSON.stringify(booked.invitation));
  // Email and SMS: the invitation and the 24 h and 1 h reminders.
  assert.equal(booked.invitation.queued, 6);
  await waitFor(async () => (await mailsAbout('Fri 8 Jan 10:30')).length === 1, { timeout: 15000, what: 'the invitation email' });
  await waitFor(() => smsAbout('Fri 8 Jan 10:30').length === 1, { timeout: 15000, what: 'the invitation text' });
  const [mail] = await mailsAbout('Fri 8 Jan 10:30');
  assert.match(mail.to, /^<?demo\.patient@example\.org>?$/);
  assert.match(mail.from, /Lakeside Psychiatry <visits@lakeside\.example>/);
  assert.match(mail.subject, /^Video visit with Dr\. Demo Provider, Fri 8 Jan 10:30 EST$/);
  assert.match(mail.message_id, /^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
  assert.equal(mail.mime_version, '1.0');
  assert.ok(Math.abs(Date.parse(mail.date) - server.now()) < 60000, `Date: ${mail.date} is the server's clock`);
  assert.ok(mail.ics, 'a text/calendar part');
  assert.match(mail.ics.content_type, /method="?REQUEST"?/);
  assert.equal(mail.ics.method, 'REQUEST');
  assert.equal(mail.ics.uid, `${booked.visit_id}@127.0.0.1`);
  assert.equal(mail.ics.sequence, 0);
  assert.equal(mail.ics.dtstart_tzid, PATIENT_ZONE);
  assert.deepEqual(mail.ics.vtimezone_tzids, [PATIENT_ZONE]);
  assert.equal(mail.ics.dtstart, '2027-01-08T10:30:00-05:00');
  assert.equal(Date.parse(mail.ics.dtstart), Date.parse(booked.scheduled_at));
  assert.equal(mail.ics.dtend, '2027-01-08T11:00:00-05:00');
  assert.equal(mail.ics.summary, 'Video visit with Dr. Demo Provider');
  assert.match(mail.ics.organizer, /mailto:visits@lakeside\.example/i);
  assert.match(mail.text, /Lakeside Psychiatry has booked a video visit for you with Dr\. Demo Provider on Friday 8 January 2027 at 10:30 \(EST\)/);
  assert.match(mail.text, /It opens 2 hours before the visit; keep it to yourself:/);
  assert.match(mail.text, /\(555\) 010-0100/);
  assertNothingClinical(`${mail.subject}\n${mail.text}\n${mail.ics.summary}\n${mail.ics.description}`);
  // The link in the email is a working link for this visit (and is not the
  // one the booking answered: each message mints its own).
  const link = /(http:\/\/\S+\/patient\.html#token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  assert.ok(link, mail.text);
  assert.equal(mail.ics.url, link);
  assert.notEqual(link, booked.patient_url);
  const opened = await fetchJson(`${server.baseUrl}/api/link`, { token: fragmentOf(link).token });
  assert.equal(opened.status, 200, opened.text);
  assert.equal(opened.json.window, 'early');
  assert.equal(Date.parse(opened.json.scheduled_at), Date.parse(booked.scheduled_at));
  // The text: signed, to the E.164 number, nothing clinical, the link.
  const [text] = smsAbout('Fri 8 Jan 10:30');
  assert.equal(text.signatureValid, true);
  assert.equal(text.contentType, 'application/json');
  assert.deepEqual(Object.keys(text.body).sort(), ['id', 'text', 'to']);
  assert.equal(text.body.to, '+15550100123');
  assert.match(text.body.text, /^Lakeside Psychiatry: Video visit booked with Dr\. Demo Provider, Fri 8 Jan 10:30 EST\. Join: http/);
  assertNothingClinical(text.body.text);
  const smsToken = fragmentOf(/(http\S+)/.exec(text.body.text)[1]).token;
  assert.equal((await fetchJson(`${server.baseUrl}/api/link`, { token: smsToken })).status, 200);
  // The console's list: what went, never the body or the link.
  const list = await messagesOf(booked.visit_id);
  assert.equal(list.length, 6);
  const sent = list.filter((m) => m.state === 'sent');
  assert.deepEqual(sent.map((m) => `${m.channel} ${m.kind}`).sort(), ['email invitation', 'sms invitation']);
  for (const m of sent) assert.equal(m.attempts, 1);
  const reminders = list.filter((m) => m.kind === 'reminder');
  assert.deepEqual(reminders.map((m) => `${m.channel} ${m.reminder_minutes} ${m.state}`).sort(),
    ['email 1440 pending', 'email 60 pending', 'sms 1440 pending', 'sms 60 pending']);
  assert.ok(reminders.every((m) => Date.parse(m.due_at) === Date.parse(booked.scheduled_at) - m.reminder_minutes * 60000));
  assert.doesNotMatch(JSON.stringify(list), /token|patient\.html/);
});

test('moving a visit on the schedule sends the new time (SEQUENCE 1), cancelling it a CANCEL (SEQUENCE 2); the reminders follow, then go', async () => {
  // Booked on the clinic's clock (UTC here): Tue 12 Jan 15:00 = 10:00 in New York.
  const booked = await fetchJson(`${server.baseUrl}/api/visits`, {
    session, method: 'POST',
    body: { patient_id: patientId, start: { date: '2027-01-12', time: '15:00' }, length_minutes: 45 },
  });
  assert.equal(booked.status, 201, booked.text);
  assert.equal(booked.json.invitation.status, 'queued', JSON.stringify(booked.json.invitation));
  const id = booked.json.visit_id;
  const uid = `${id}@127.0.0.1`;
  const mailsOfVisit = async () => (await sink.messages()).filter((m) => m.ics?.uid === uid)
    .sort((a, b) => a.ics.sequence - b.ics.sequence);
  await waitFor(async () => (await mailsOfVisit()).length === 1, { timeout: 15000, what: 'the invitation' });
  const [invite] = await mailsOfVisit();
  assert.equal(invite.ics.sequence, 0);
  assert.equal(invite.ics.dtstart, '2027-01-12T10:00:00-05:00');
  assert.equal(invite.ics.dtend, '2027-01-12T10:45:00-05:00', 'DTEND is the visit\'s length on');

  const moved = await fetchJson(`${server.baseUrl}/api/visits/${id}/move`, {
    session, method: 'POST', body: { start: { date: '2027-01-13', time: '16:00' } },
  });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.json.invitation.status, 'queued', JSON.stringify(moved.json.invitation));
  await waitFor(async () => (await mailsOfVisit()).length === 2, { timeout: 15000, what: 'the update' });
  const update = (await mailsOfVisit())[1];
  assert.equal(update.ics.method, 'REQUEST');
  assert.equal(update.ics.sequence, 1);
  assert.equal(update.ics.dtstart, '2027-01-13T11:00:00-05:00');
  assert.match(update.text, /Wednesday 13 January 2027 at 11:00/);
  assertNothingClinical(`${update.subject}\n${update.text}`);
  // The reminders of the old time are withdrawn; new ones wait for the new time.
  let list = await messagesOf(id);
  const pendingReminders = list.filter((m) => m.kind === 'reminder' && m.state === 'pending');
  assert.deepEqual(pendingReminders.map((m) => `${m.channel} ${m.reminder_minutes}`).sort(),
    ['email 1440', 'email 60', 'sms 1440', 'sms 60']);
  assert.ok(pendingReminders.every((m) => Date.parse(m.due_at) === Date.parse('2027-01-13T16:00:00Z') - m.reminder_minutes * 60000));
  assert.equal(list.filter((m) => m.kind === 'reminder' && m.state === 'withdrawn').length, 4);

  const cancelled = await fetchJson(`${server.baseUrl}/api/visits/${id}/cancel`, {
    session, method: 'POST', body: { reason: 'The provider is away that day.' },
  });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.json.invitation.status, 'queued', JSON.stringify(cancelled.json.invitation));
  await waitFor(async () => (await mailsOfVisit()).length === 3, { timeout: 15000, what: 'the cancellation' });
  const cancel = (await mailsOfVisit())[2];
  assert.equal(cancel.ics.method, 'CANCEL');
  assert.match(cancel.ics.content_type, /method="?CANCEL"?/);
  assert.equal(cancel.ics.sequence, 2);
  assert.equal(cancel.ics.uid, uid);
  assert.doesNotMatch(`${cancel.subject}\n${cancel.text}`, /patient\.html#token=/, 'a cancellation carries no link');
  assert.doesNotMatch(cancel.text, /away that day/, 'the clinic\'s reason stays in the clinic');
  list = await messagesOf(id);
  assert.equal(list.filter((m) => m.kind === 'reminder' && m.state === 'pending').length, 0, 'no reminder goes');
});

test('a refusing mail server leaves the email in the outbox with its error; the server tries again later and sends it', async () => {
  await sink.refuse(true);
  const booked = await book('2027-01-12T19:00:00Z'); // Tue 14:00 in New York
  let email;
  await waitFor(async () => {
    email = (await messagesOf(booked.visit_id)).find((m) => m.channel === 'email' && m.kind === 'invitation');
    return email.attempts >= 1 && email.state === 'pending';
  }, { timeout: 15000, what: 'the refused email back in the outbox' });
  assert.equal(email.last_error, 'The mail server refused the message (550). It did not accept the patient\'s address.');
  assert.equal(email.sent_at, null);
  // The next attempt is a minute later (the backoff's first step).
  assert.ok(Math.abs(Date.parse(email.next_attempt_at) - (server.now() + 60000)) < 15000, email.next_attempt_at);
  // The text went its own way.
  await waitFor(() => smsAbout('Tue 12 Jan 14:00').length === 1, { timeout: 15000, what: 'the text' });
  assert.equal((await mailsAbout('Tue 12 Jan 14:00')).length, 0);
  // The mail server takes mail again; the server's own next attempt (after
  // its backoff: here the server comes back three minutes on) sends it,
  // with nobody pressing Retry (the console's Retry: outbox-e2e).
  await sink.refuse(false);
  const later = new Date(server.now() + 3 * 60000).toISOString();
  await server.stop();
  await startAt(later);
  await waitFor(async () => (await mailsAbout('Tue 12 Jan 14:00')).length === 1, { timeout: 15000, what: 'the email, sent on the next attempt' });
  await waitFor(async () => (await messagesOf(booked.visit_id)).find((m) => m.id === email.id).state === 'sent', { timeout: 5000, what: 'sent' });
  const after = (await messagesOf(booked.visit_id)).find((m) => m.id === email.id);
  assert.equal(after.attempts, 2);
  assert.equal(after.last_error, null);
  // A sent message is not sent again.
  const again = await fetchJson(`${server.baseUrl}/api/messages/${email.id}/retry`, { session, method: 'POST' });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.message, 'This message was sent already.');
  // Nor is a message of someone else's visit reachable.
  const unknown = await fetchJson(`${server.baseUrl}/api/messages/00000000-0000-4000-8000-000000000000/retry`, { session, method: 'POST' });
  assert.equal(unknown.status, 404);
});

test('reminders go at their offsets, once, across restarts; none after the visit began', async () => {
  // Sat 9 Jan 2027 09:00 in New York = 14:00Z.
  const start = Date.parse('2027-01-09T14:00:00Z');
  const when = 'Sat 9 Jan 09:00';
  const booked = await book(new Date(start).toISOString());
  await waitFor(async () => (await mailsAbout(when)).length === 1, { timeout: 15000, what: 'the invitation' });
  const reminderMails = async () => (await mailsAbout(when)).filter((m) => m.subject.startsWith('Reminder:'));
  // Down, and back 24 h - 1 min before: the day-before reminder went due
  // while the server was away, and goes once now.
  await server.stop();
  await startAt(new Date(start - 24 * 3600000 + 60000).toISOString());
  await waitFor(async () => (await reminderMails()).length === 1, { timeout: 15000, what: 'the 24 h reminder' });
  await waitFor(() => smsAbout(when).filter((m) => m.body.text.includes('Reminder')).length === 1, { timeout: 15000, what: 'the 24 h text' });
  const [reminder] = await reminderMails();
  assert.equal(reminder.subject, `Reminder: video visit with Dr. Demo Provider, ${when} EST`);
  assert.equal(reminder.ics, null, 'a reminder carries no second invitation');
  assert.match(reminder.text, /A reminder: your video visit with Dr\. Demo Provider is on Saturday 9 January 2027 at 09:00 \(EST\)/);
  // Restarted again a little later: nothing goes twice.
  await server.stop();
  await startAt(new Date(start - 24 * 3600000 + 5 * 60000).toISOString());
  await sleep(3000);
  assert.equal((await reminderMails()).length, 1);
  let list = await messagesOf(booked.visit_id);
  assert.deepEqual(list.filter((m) => m.state === 'sent').map((m) => `${m.channel} ${m.kind} ${m.reminder_minutes ?? ''}`).sort(),
    ['email invitation ', 'email reminder 1440', 'sms invitation ', 'sms reminder 1440']);
  // 30 minutes before the visit: the hour-before reminder was due while the
  // server was down, and goes once.
  await server.stop();
  await startAt(new Date(start - 30 * 60000).toISOString());
  await waitFor(async () => (await reminderMails()).length === 2, { timeout: 15000, what: 'the 1 h reminder' });
  // Every message of the visit went exactly once, email and text alike.
  await waitFor(async () => (await messagesOf(booked.visit_id)).every((m) => m.state === 'sent'), { timeout: 10000, what: 'all sent' });
  list = await messagesOf(booked.visit_id);
  assert.equal(list.length, 6);
  assert.ok(list.every((m) => m.attempts === 1));
  assert.equal((await mailsAbout(when)).length, 3);
  assert.equal(smsAbout(when).length, 3);
  assert.equal(new Set(sms.received.map((m) => m.body.id)).size, sms.received.length, 'no text sent twice');
});

test('a reminder whose time came while the server was down is never sent after the visit began', async () => {
  const start = Date.parse('2027-01-09T20:00:00Z'); // Sat 15:00 in New York
  const when = 'Sat 9 Jan 15:00';
  const booked = await book(new Date(start).toISOString());
  await waitFor(async () => (await mailsAbout(when)).length === 1, { timeout: 15000, what: 'the invitation' });
  await server.stop();
  await startAt(new Date(start + 10 * 60000).toISOString());
  await waitFor(async () => (await messagesOf(booked.visit_id)).filter((m) => m.kind === 'reminder').every((m) => m.state === 'withdrawn'),
    { timeout: 15000, what: 'the reminders withdrawn' });
  const list = await messagesOf(booked.visit_id);
  for (const m of list.filter((x) => x.kind === 'reminder')) {
    assert.equal(m.last_error, 'Not sent: the visit had begun before the reminder was due to go.');
    assert.equal(m.attempts, 0);
  }
  assert.equal((await mailsAbout(when)).length, 1);
  assert.equal(smsAbout(when).length, 1);
});
