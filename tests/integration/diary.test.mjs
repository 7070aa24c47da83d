// The patient's between-visit diary (issue 14 items 1, 2 and 5) over REST,
// against a real server, a real SMTP server (aiosmtpd) and the test clock:
// staff make, show and revoke a diary link; a diary link opens the diary and
// nothing else, a join link never opens the diary; a day's entry with its
// doses, side effects, PHQ-9 item 9 and home readings; the safety signals
// (a severe effect, a rash on lamotrigine, item 9 with its safety task, two
// days in a row of missed lithium) raised once per day, with the crisis
// text for the patient where it applies; bad input refused in the
// patient's words with nothing written; the invitation email carries the
// diary link; the daily reminder goes at the patient's hour, once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, fetchJson, fragmentOf, waitFor, addDays, dbQuery } from '../e2e/lib.mjs';
import { startSmtpSink, startSmsReceiver, outboxSettings, assertNothingClinical } from './outbox-lib.mjs';

// The demo patient lives in America/New_York; the clinic runs on UTC. The
// server starts 20 s before 09:00 in New York on Wednesday 10 March 2027
// (EST, before the DST change of the 14th): the reminder set for 9 o'clock
// must wait for it, then go once.
// Lithium and lamotrigine are started on STARTED (the server runs that day
// first, then today on the same data), so the week the diary covers is a
// week of treatment.
const STARTED = '2027-03-01T15:00:00Z';
const NOW = '2027-03-10T13:59:40Z';
const TODAY = '2027-03-10';

let sink;
let sms;
let server;
let session;
let patientId;
let visitId;
let demoDiaryUrl; // the demo's own diary link for this patient (the first start's)
let token; // the diary link's token
let orders; // name -> order id
let dataDir;

const api = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { session, ...opts });
const diary = (p, opts = {}) => fetchJson(`${server.baseUrl}${p}`, { token, ...opts });
const day = (back) => addDays(TODAY, -back);
const staffDays = async () => {
  const res = await api(`/api/patients/${patientId}/diary?days=14`);
  assert.equal(res.status, 200, res.text);
  return res.json.days;
};
const reminderMails = async () => (await sink.messages()).filter((m) => /Your diary for today/.test(m.subject));

// The store's own rows, read beside the server (no API shows safety tasks
// yet: the safety helper's console adds one), each as its values in order.
async function sql(query) {
  return dbQuery(dataDir, query).map((row) => Object.values(row));
}

async function start(medication, dose, frequency, reason) {
  const res = await api(`/api/visits/${visitId}/adjustments`, {
    method: 'POST', body: { kind: 'start', medication, dose, frequency, reason },
  });
  assert.equal(res.status, 201, res.text);
  return res.json.order?.id || res.json.id;
}

before(async () => {
  sink = await startSmtpSink();
  sms = await startSmsReceiver();
  dataDir = await mkdtemp(path.join(tmpdir(), 'th-diary-'));
  server = await startServer({ now: STARTED, dataDir, settings: outboxSettings(sink, sms) });
  session = await server.login();
  visitId = server.demo.visit_id;
  demoDiaryUrl = server.demo.diary_url;
  const visit = await api(`/api/visits/${visitId}`);
  assert.equal(visit.status, 200, visit.text);
  patientId = visit.json.patient.id;
  orders = {
    lithium: await start('lithium-carbonate-ir', 300, 'twice-daily', 'Bipolar depression, augmentation'),
    lamotrigine: await start('lamotrigine', 25, 'once-daily', 'Bipolar depression'),
  };
  await server.stop();
  server = await startServer({ now: NOW, dataDir, settings: outboxSettings(sink, sms) });
  session = await server.login();
});

after(async () => {
  await server?.stop();
  await sink?.stop();
  await sms?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('staff make a diary link; it opens the diary and nothing else', async () => {
  // The demo turned the diary on and printed its link with the others.
  assert.match(demoDiaryUrl, /\/diary\.html#d=[A-Za-z0-9_-]{43}$/);
  let status = await api(`/api/patients/${patientId}/diary-link`);
  assert.equal(status.status, 200, status.text);
  assert.equal(status.json.live, true);
  const other = await api('/api/patients', { method: 'POST', body: { name: 'Noor Haddad', birth_date: '1990-04-02', mrn: 'MRN-DIARY-1' } });
  assert.equal(other.status, 201, other.text);
  // Made, never seen: the record is not this clinician's to read (careteam.c).
  status = await api(`/api/patients/${other.json.patient.id}/diary-link`, { method: 'POST' });
  assert.equal(status.status, 404, status.text);

  const made = await api(`/api/patients/${patientId}/diary-link`, { method: 'POST' });
  assert.equal(made.status, 201, made.text);
  assert.match(made.json.url, /\/diary\.html#d=[A-Za-z0-9_-]{43}$/);
  token = new URLSearchParams(new URL(made.json.url).hash.slice(1)).get('d');
  status = await api(`/api/patients/${patientId}/diary-link`);
  assert.equal(status.json.live, true);
  assert.equal(status.json.url, undefined, 'the URL is shown once, when made');

  // The reminder first, while it is not yet 9 o'clock for the patient.
  const page = await diary('/api/diary');
  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.json.reminder.channels, ['email', 'sms']);
  const set = await diary('/api/diary/reminder', { method: 'POST', body: { hour: 9, channel: 'email' } });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.reminder.hour, 9);
  assert.equal((await reminderMails()).length, 0, 'not before the hour');

  // A diary token opens no visit; a join token opens no diary.
  const join = fragmentOf(server.demo.patient_url).token;
  assert.equal((await fetchJson(`${server.baseUrl}/api/diary`, { token: join })).status, 401);
  assert.equal((await diary('/api/link')).status, 401);
  assert.equal((await diary(`/api/visits/${visitId}/checkin`)).status, 401);
  const wrong = await fetchJson(`${server.baseUrl}/api/diary`, { token: `${token.slice(0, -2)}xx` });
  assert.equal(wrong.status, 401);
  assert.match(wrong.json.error.message, /not valid/);
  // Staff sessions do not open the patient's diary page.
  assert.equal((await api('/api/diary')).status, 401);
});

test('the diary shows the first name, the current medications with their side effects, 8 days', async () => {
  const page = await diary('/api/diary');
  assert.equal(page.status, 200, page.text);
  const p = page.json;
  assert.equal(p.first_name, 'Demo');
  assert.equal(p.today, TODAY);
  assert.deepEqual(p.days, [0, 1, 2, 3, 4, 5, 6, 7].map(day));
  assert.equal(p.patient, undefined);
  const byName = Object.fromEntries(p.medications.map((m) => [m.name, m]));
  assert.deepEqual(Object.keys(byName).sort(), ['buspirone', 'lamotrigine', 'lithium carbonate', 'sertraline']);
  assert.equal(byName['lithium carbonate'].doses_per_day, 2);
  assert.equal(byName['lithium carbonate'].dose_text, '300 mg twice daily');
  assert.equal(byName['lithium carbonate'].since, '2027-03-01', 'offered from the day it was started');
  assert.deepEqual(byName['lithium carbonate'].side_effects.map((e) => e.code),
    ['tremor', 'thirst', 'diarrhoea', 'vomiting', 'unsteady']);
  assert.deepEqual(byName.sertraline.side_effects.map((e) => e.code), ['nausea', 'sleep', 'sexual']);
  assert.ok(byName.lamotrigine.side_effects.some((e) => e.code === 'rash'));
  assert.match(p.crisis.text, /988/);
  assert.deepEqual(p.entries, []);
});

test('bad input is refused in the patient\'s words and nothing is written', async () => {
  const ok = { day: TODAY, doses: [{ order_id: orders.lithium, taken: 2, missed: 0 }], side_effects: [] };
  const cases = [
    [{ ...ok, doses: [{ order_id: '3f0c9a52-8a44-4d6e-9d51-5b0e7f0e2a11', taken: 1, missed: 0 }] },
      'not-your-medication', /not on your list of current medicines/],
    [{ ...ok, day: day(8) }, 'day-too-old', /goes back 7 days/],
    [{ ...ok, day: addDays(TODAY, 1) }, 'future-day', /has not come yet/],
    [{ ...ok, doses: [{ order_id: orders.lithium, taken: 2, missed: 1 }] }, 'too-many-doses', /lithium carbonate is 2 doses a day/],
    [{ ...ok, side_effects: [{ order_id: orders.lithium, effect: 'rash', severity: 'mild' }] },
      'unknown-side-effect', /not on the list for lithium carbonate/],
    [{ ...ok, readings: { systolic: 120 } }, 'bad-reading', /both numbers/],
  ];
  for (const [body, code, words] of cases) {
    const res = await diary('/api/diary/entries', { method: 'POST', body });
    assert.equal(res.status, 422, `${code}: ${res.text}`);
    assert.equal(res.json.error.code, code);
    assert.match(res.json.error.message, words);
    assert.match(res.json.error.message, /Nothing was saved\.$/);
    assert.doesNotMatch(res.json.error.message, /[0-9a-f]{8}-[0-9a-f]{4}/, 'no raw id');
  }
  // A medicine started today: the days before it were not days of taking it.
  const booked = await api('/api/visits', { method: 'POST', body: { patient_id: patientId, scheduled_at: '2027-03-10T16:00:00Z' } });
  assert.equal(booked.status, 201, booked.text);
  const adj = await api(`/api/visits/${booked.json.visit_id}/adjustments`, {
    method: 'POST', body: { kind: 'start', medication: 'quetiapine-ir', dose: 25, frequency: 'at-bedtime', reason: 'Insomnia with bipolar depression' },
  });
  assert.equal(adj.status, 201, adj.text);
  const quetiapine = adj.json.order?.id || adj.json.id;
  const early = await diary('/api/diary/entries', { method: 'POST', body: { ...ok, day: day(2), doses: [{ order_id: quetiapine, taken: 1, missed: 0 }] } });
  assert.equal(early.status, 422, early.text);
  assert.equal(early.json.error.code, 'not-yet-taking');
  assert.equal(early.json.error.message, 'You were not taking quetiapine yet on Mon 8 Mar: your clinic started it on Wed 10 Mar. Leave it out for that day. Nothing was saved.');
  const q = (await diary('/api/diary')).json.medications.find((m) => m.order_id === quetiapine);
  assert.equal(q.since, TODAY);
  const stop = await api(`/api/visits/${booked.json.visit_id}/adjustments`, {
    method: 'POST', body: { kind: 'stop', order_id: quetiapine, reason: 'Started in error for this test' },
  });
  assert.equal(stop.status, 201, stop.text);
  const shape = await diary('/api/diary/entries', { method: 'POST', body: { ...ok, extra: 1 } });
  assert.equal(shape.status, 400);
  assert.deepEqual(await staffDays(), []);
  assert.deepEqual(await sql('SELECT count(*) FROM diary_entries'), [[0]]);
});

test('entries raise each safety signal once, with the crisis text where it applies', async () => {
  const save = async (body) => {
    const res = await diary('/api/diary/entries', { method: 'POST', body: { side_effects: [], ...body } });
    assert.equal(res.status, 201, res.text);
    return res.json;
  };
  const L = orders.lithium;
  let r = await save({ day: day(4), doses: [{ order_id: L, taken: 2, missed: 0 }] });
  assert.equal(r.show_crisis, false);
  r = await save({ day: day(3), doses: [{ order_id: L, taken: 1, missed: 1, reason: 'forgot' }] });
  assert.equal(r.show_crisis, false);
  assert.deepEqual(r.entry.doses, [{ order_id: L, taken: 1, missed: 1, reason: 'forgot' }]);
  const tremor = {
    day: day(2),
    doses: [{ order_id: L, taken: 0, missed: 2, reason: 'side-effect' }],
    side_effects: [{ order_id: L, effect: 'tremor', severity: 'severe' }],
    note: 'my private words about the week',
  };
  r = await save(tremor);
  assert.equal(r.show_crisis, true, 'a severe effect shows the crisis text');
  assert.match(r.crisis.text, /988/);
  r = await save(tremor); // re-saved: no second alert
  assert.equal(r.show_crisis, true);
  r = await save({ day: day(1), doses: [{ order_id: L, taken: 2, missed: 0 }],
    side_effects: [{ order_id: orders.lamotrigine, effect: 'rash', severity: 'mild' }] });
  assert.equal(r.show_crisis, false, 'a mild rash alerts the clinic; the patient sees no crisis text');
  r = await save({ day: TODAY, doses: [{ order_id: L, taken: 1, missed: 0 }], item9: 1,
    readings: { weight_kg: 81.5, systolic: 124, diastolic: 78, heart_rate: 72 } });
  assert.equal(r.show_crisis, true);
  assert.deepEqual(r.entry.readings, { weight_kg: 81.5, systolic: 124, diastolic: 78, heart_rate: 72 });

  const days = await staffDays();
  assert.deepEqual(days.map((d) => d.day), [0, 1, 2, 3, 4].map(day));
  const alerts = Object.fromEntries(days.map((d) => [d.day, d.alerts.map((a) => a.rule).sort()]));
  assert.deepEqual(alerts, {
    [day(0)]: ['item9'],
    [day(1)]: ['lamotrigine-rash'],
    [day(2)]: ['missed-doses', 'severe-side-effect'],
    [day(3)]: [],
    [day(4)]: [],
  });
  const all = days.flatMap((d) => d.alerts);
  const summary = (rule) => all.find((a) => a.rule === rule).summary;
  assert.match(summary('severe-side-effect'), new RegExp(`^Severe tremor on lithium carbonate, reported in the diary for ${day(2)}\\.$`));
  assert.match(summary('missed-doses'), new RegExp(`lithium carbonate on 2 days in a row, up to ${day(2)}.*relapse`));
  assert.match(summary('lamotrigine-rash'), /Rash \(mild\) on lamotrigine.*SJS\/TEN/);
  assert.match(summary('item9'), new RegExp(`PHQ-9 item 9 in the diary for ${TODAY}.*several days`));
  for (const a of all) assert.doesNotMatch(a.summary, /private words/, 'the note stays out of alerts');
  assert.equal(all.find((a) => a.rule === 'severe-side-effect').order_id, L);
  // The newest entry of a day is its record; both entries are kept.
  assert.deepEqual(await sql(`SELECT count(*) FROM diary_entries WHERE day = '${day(2)}'`), [[2]]);
  assert.equal(days.find((d) => d.day === day(2)).note, 'my private words about the week');
  // Item 9 opened a safety task from the diary entry; home readings are
  // patient observations of that entry.
  assert.deepEqual(await sql('SELECT count(*), min(item9) FROM safety_tasks WHERE diary_entry_id IS NOT NULL AND closed_at IS NULL'), [[1, 1]]);
  // The clinician sees it as the patient's open task, opened by the diary,
  // and cannot close it without the C-SSRS screen.
  const tasks = await api(`/api/patients/${patientId}/safety-tasks`);
  assert.equal(tasks.status, 200, tasks.text);
  const task = tasks.json.tasks[0];
  assert.equal(task.status, 'open');
  assert.ok(task.source.diary_entry_id, 'opened by the diary entry');
  const bare = await api(`/api/safety-tasks/${task.id}/close`, { method: 'POST', body: { risk_level: 'low', plan: ['safety-plan'], location: 'Home' } });
  assert.equal(bare.status, 422, bare.text);
  assert.equal(bare.json.error.code, 'screen-required');
  assert.deepEqual(await sql('SELECT count(*) FROM safety_tasks WHERE closed_at IS NOT NULL'), [[0]]);
  assert.deepEqual(await sql(`SELECT kind, loinc, source, recorded_by FROM observations ORDER BY kind`), [
    ['blood-pressure', '85354-9', 'patient', null],
    ['heart-rate', '8867-4', 'patient', null],
    ['weight', '29463-7', 'patient', null],
  ]);
  // A home blood pressure past the monitoring table's safety threshold
  // (config/monitoring.json: systolic above 180, ACC/AHA 2017) is flagged and
  // raises its alert as the clinic's own entry would, once a day.
  const high = { day: TODAY, doses: [{ order_id: L, taken: 1, missed: 0 }], item9: 1,
    readings: { systolic: 186, diastolic: 96 } };
  await save(high);
  await save(high);
  const today = (await staffDays()).find((d) => d.day === TODAY);
  assert.deepEqual(today.alerts.map((a) => a.rule).sort(), ['item9', 'out-of-range-safety']);
  assert.match(today.alerts.find((a) => a.rule === 'out-of-range-safety').summary,
    /^Blood pressure 186\/96 mmHg: systolic above 180 mmHg: severe hypertension/);
  assert.deepEqual(await sql(`SELECT value, value2, interpretation FROM observations WHERE kind = 'blood-pressure' ORDER BY recorded_at`),
    [[124, 78, 'N'], [186, 96, 'HH'], [186, 96, 'HH']]);
  // The patient's page shows the saved days back.
  const page = await diary('/api/diary');
  assert.equal(page.json.entries.length, 5);
  assert.equal(page.json.entries[0].alerts, undefined, 'the patient sees no alert rows');
});

test('the invitation email carries a diary link, minted when sent', async () => {
  const booked = await api('/api/visits', { method: 'POST', body: { patient_id: patientId, scheduled_at: '2027-03-17T15:00:00Z' } });
  assert.equal(booked.status, 201, booked.text);
  const mail = await waitFor(async () => (await sink.messages()).find((m) => /^Video visit/.test(m.subject)), { timeout: 15000, what: 'the invitation email' });
  const link = /(http\S+\/diary\.html#d=[A-Za-z0-9_-]+)/.exec(mail.text);
  assert.ok(link, mail.text);
  assertNothingClinical(mail.text);
  const fresh = new URLSearchParams(new URL(link[1]).hash.slice(1)).get('d');
  assert.notEqual(fresh, token);
  assert.equal((await fetchJson(`${server.baseUrl}/api/diary`, { token: fresh })).status, 200);
});

test('the daily reminder goes at the patient\'s hour, once, with a working link', async () => {
  const [mail] = await waitFor(async () => {
    const m = await reminderMails();
    return m.length ? m : null;
  }, { timeout: 60000, interval: 500, what: 'the diary reminder at 9:00 in New York' });
  assert.match(mail.text, /diary\.html#d=/);
  assertNothingClinical(mail.text);
  const rows = await sql("SELECT kind, visit_id, channel, state FROM outbox WHERE kind = 'diary-reminder'");
  assert.deepEqual(rows, [['diary-reminder', null, 'email', 'sent']]);
  const sent = await sql("SELECT sent_at FROM outbox WHERE kind = 'diary-reminder'");
  assert.ok(sent[0][0] >= '2027-03-10T14:00:00', `sent at ${sent[0][0]}, 9:00 EST or later`);
  const link = /(http\S+\/diary\.html#d=[A-Za-z0-9_-]+)/.exec(mail.text)[1];
  const t = new URLSearchParams(new URL(link).hash.slice(1)).get('d');
  assert.equal((await fetchJson(`${server.baseUrl}/api/diary`, { token: t })).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await reminderMails()).length, 1, 'once a day');
});

test('a revoked diary link ends every live link; nothing is written through it', async () => {
  const revoked = await api(`/api/patients/${patientId}/diary-link/revoke`, { method: 'POST' });
  assert.equal(revoked.status, 200, revoked.text);
  assert.equal(revoked.json.revoked, 5, 'the demo\'s link, the one made here and the three minted for messages (two invitations, a reminder)');
  const page = await diary('/api/diary');
  assert.equal(page.status, 401);
  assert.match(page.json.error.message, /turned this diary link off/);
  const before = await sql('SELECT count(*) FROM diary_entries');
  const post = await diary('/api/diary/entries', { method: 'POST', body: { day: TODAY, doses: [], side_effects: [] } });
  assert.equal(post.status, 401);
  assert.deepEqual(await sql('SELECT count(*) FROM diary_entries'), before);
  assert.equal((await fetchJson(`${server.baseUrl}/api/diary`, { token: fragmentOf(demoDiaryUrl).d })).status, 401);
  assert.equal((await api(`/api/patients/${patientId}/diary-link`)).json.live, false);
});
