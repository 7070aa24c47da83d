// End-to-end (issue 17 item 4): GET /metrics during a two-party browser
// visit. Scraped before, twice during and after the call: every scrape
// passes `promtool check metrics` without a word; during the call one visit
// is in progress with two participants and their media legs, the relayed
// packets and bytes grow between the two scrapes, the API's routes are
// counted by pattern and the signaling messages by type; nothing in a label
// names the visit or carries a token.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, runVisit, waitFor, metricsUrl, scrapeMetrics, promtoolCheck, fragmentOf } from './lib.mjs';

const value = (scrape, series) => scrape.samples.get(series);
const leanEngine = (process.env.TH_MEDIA_ENGINE || 'lean') === 'lean';

test('a two-party visit moves the visit, participant and relayed-packet figures', { timeout: 240000 }, async (t) => {
  t.diagnostic(`media engine: ${process.env.TH_MEDIA_ENGINE || 'the default'}`);
  const server = await startServer({ settings: { metrics: { listen: '127.0.0.1:0' } } });
  try {
    const url = await metricsUrl(server);
    assert.notEqual(new URL(url).port, String(server.port), 'metrics has a port of its own');
    const before = await scrapeMetrics(url);
    assert.equal(before.status, 200, before.text);
    assert.match(before.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    promtoolCheck(before.text);
    assert.equal(value(before, 'telehealthd_visits{state="in_progress"}'), 0);
    assert.equal(value(before, 'telehealthd_participants'), 0);

    const during = [];
    await runVisit(server, server.demo, {
      log: (m) => t.diagnostic(m),
      beforeEnd: async () => {
        // Media flows both ways already (runVisit checked): two scrapes
        // a moment apart.
        during.push(await scrapeMetrics(url));
        await sleep(1500);
        during.push(await scrapeMetrics(url));
        // The rooms sample each leg's quality every 3 s; the second sample
        // of a leg is the first with a loss figure. The lean engine also
        // has the round trip from the browsers' receiver reports (webrtcbin's
        // statistics seldom carry one this early).
        await waitFor(async () => {
          const q = (await scrapeMetrics(url)).samples;
          return q.get('telehealthd_media_loss_ratio_count') > 0 &&
            (!leanEngine || q.get('telehealthd_media_rtt_seconds_count') > 0);
        }, { timeout: 15000, interval: 500, what: 'quality samples in telehealthd_media_loss_ratio (and _rtt_seconds)' });
      },
    });
    const [a, b] = during;
    for (const s of during) {
      assert.equal(s.status, 200);
      promtoolCheck(s.text);
    }
    t.diagnostic(`during: relayed packets ${value(a, 'telehealthd_relayed_packets_total')} → ${value(b, 'telehealthd_relayed_packets_total')}`);
    assert.equal(value(b, 'telehealthd_visits{state="in_progress"}'), 1);
    assert.equal(value(b, 'telehealthd_participants'), 2);
    assert.ok(value(b, 'telehealthd_media_legs') >= 2, `legs: ${value(b, 'telehealthd_media_legs')}`);
    for (const name of ['telehealthd_relayed_packets_total', 'telehealthd_relayed_bytes_total',
      'telehealthd_received_packets_total', 'telehealthd_received_bytes_total']) {
      assert.ok(value(a, name) > 0, `${name} > 0 during the call`);
      assert.ok(value(b, name) > value(a, name), `${name} grows: ${value(a, name)} → ${value(b, name)}`);
    }
    // Signaling by type: both said hello and answered their offers.
    assert.ok(value(b, 'telehealthd_signaling_messages_total{type="hello"}') >= 2);
    assert.ok(value(b, 'telehealthd_signaling_messages_total{type="answer"}') >= 2);
    assert.ok(value(b, 'telehealthd_signaling_messages_total{type="admit"}') >= 1);
    // The API by route pattern: the provider signed in, the pages read the visit.
    assert.ok(value(b, 'telehealthd_http_requests_total{route="/api/session",status="200"}') >= 1,
      [...b.samples.keys()].filter((k) => k.startsWith('telehealthd_http_requests_total')).join('\n'));
    assert.ok(value(b, 'telehealthd_http_request_duration_seconds_count{route="/api/session"}') >= 1);
    assert.ok(value(b, 'telehealthd_http_requests_total{route="static",status="200"}') >= 1);
    assert.ok(value(b, 'telehealthd_store_transaction_duration_seconds_count') > 0);
    assert.ok(value(b, 'process_resident_memory_bytes') > 1e6);
    assert.ok(value(b, 'process_threads') >= 2);

    const after = await scrapeMetrics(url);
    promtoolCheck(after.text);
    assert.equal(value(after, 'telehealthd_visits{state="in_progress"}'), 0);
    assert.equal(value(after, 'telehealthd_media_legs'), 0);
    // Counters do not go back when the legs are gone.
    assert.ok(value(after, 'telehealthd_relayed_packets_total') >= value(b, 'telehealthd_relayed_packets_total'));
    t.diagnostic(`quality samples: ${value(after, 'telehealthd_media_loss_ratio_count')}, with a round trip: ${value(after, 'telehealthd_media_rtt_seconds_count')}`);
    // The rooms' quality samples (every 3 s per participant) were observed.
    assert.ok(value(after, 'telehealthd_media_loss_ratio_count') > 0);
    if (leanEngine) {
      const rtt = value(after, 'telehealthd_media_rtt_seconds_sum') / value(after, 'telehealthd_media_rtt_seconds_count');
      assert.ok(rtt > 0 && rtt < 0.5, `a loopback round trip: ${rtt} s`);
    }
    assert.ok(value(after, 'telehealthd_media_loss_ratio_bucket{le="+Inf"}') === value(after, 'telehealthd_media_loss_ratio_count'));

    // Nothing that names the visit or opens it.
    const { token } = fragmentOf(server.demo.patient_url);
    for (const secret of [server.demo.visit_id, token]) {
      assert.ok(secret && secret.length >= 8);
      assert.ok(!after.text.includes(secret), 'no id or token in the metrics');
    }
  } finally {
    await server.stop();
  }
});
