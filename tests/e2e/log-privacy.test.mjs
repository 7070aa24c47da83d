// End-to-end (issue 17 item 3): the server's log of a whole visit, at its
// most talkative level ([log] level = debug), names the visit and what
// happened in it (state changes; who joined, was admitted, ended it: by
// role), and
// nothing of the patient: not their name, not a link's token, not the staff
// session, not a note's text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runVisit, fetchJson, fragmentOf } from './lib.mjs';

const NOTE = 'Zebra-lantern 7731: sleeping better, mild nausea';

test('a full visit logs its events by role and no patient data', { timeout: 180000 }, async (t) => {
  const server = await startServer({ settings: { log: { level: 'debug' } } });
  try {
    const session = await server.login();
    const visitId = server.demo.visit_id;
    const visit = await fetchJson(`${server.baseUrl}/api/visits/${visitId}`, { session });
    assert.equal(visit.status, 200, visit.text);
    const patientName = visit.json.patient.display_name;
    assert.ok(patientName && patientName.length > 3);
    await runVisit(server, server.demo, {
      log: (m) => t.diagnostic(m),
      beforeEnd: async () => {
        const r = await fetchJson(`${server.baseUrl}/api/visits/${visitId}/notes`, { session, method: 'POST', body: { text: NOTE } });
        assert.equal(r.status, 201, r.text);
      },
    });
    const log = server.stderrTail(1e6);
    assert.ok(log.length < 100000, 'the whole log is in hand (not cut)');
    t.diagnostic(`${log.split('\n').length} log lines`);

    // It says what happened, by visit and role.
    for (const re of [
      new RegExp(`visit ${visitId}: waiting`),
      new RegExp(`visit ${visitId}: in_progress`),
      new RegExp(`visit ${visitId}: join \\(patient\\)`),
      new RegExp(`visit ${visitId}: join \\(provider\\)`),
      new RegExp(`visit ${visitId}: admit \\(patient\\)`), // the one admitted
      new RegExp(`visit ${visitId}: ended`),
      new RegExp(`visit ${visitId}: end \\(provider\\)`),
    ]) assert.match(log, re);

    // And nothing of the patient.
    const secrets = {
      "the patient's name": patientName,
      "the patient's link token": fragmentOf(server.demo.patient_url).token,
      'the staff session': session.cookie.replace(/^[^=]*=/, '').split(';')[0],
      'the CSRF token': session.csrf,
      "the note's text": 'Zebra-lantern',
    };
    for (const [what, value] of Object.entries(secrets)) {
      assert.ok(value && value.length >= 8, `${what} is known to the test`);
      assert.ok(!log.includes(value), `${what} is not in the log`);
    }
    for (const part of patientName.split(/\s+/).filter((w) => w.length > 3)) {
      assert.ok(!log.includes(part), `no part of the patient's name ("${part}") is in the log`);
    }
  } finally {
    await server.stop();
  }
});

test('[log] level = warning keeps the everyday messages out; a misspelt level stops the start', { timeout: 60000 }, async () => {
  const quiet = await startServer({ settings: { log: { level: 'warning' } } });
  try {
    const session = await quiet.login();
    const r = await fetchJson(`${quiet.baseUrl}/api/visits/${quiet.demo.visit_id}`, { session });
    assert.equal(r.status, 200);
    assert.doesNotMatch(quiet.stderrTail(1e6), /listening on|media engine/);
  } finally {
    await quiet.stop();
  }
  await assert.rejects(startServer({ settings: { log: { level: 'loud' } }, timeout: 15000 }),
    /\[log\] level = "loud": use error, critical, warning, message, info or debug/);
});
