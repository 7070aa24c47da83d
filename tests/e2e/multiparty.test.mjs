// End-to-end: everyone sees everyone. Three real Chromium instances in one
// visit through telehealthd: the provider invites a guest, the patient and
// the guest join and are admitted, and on each of the three pages the videos
// of BOTH others decode frames (inbound-rtp framesDecoded of the very track
// each <video> shows, growing). Then the provider shares the screen: the
// patient's and the guest's screen tile decodes frames; stopping removes
// the tile. Every wait is bounded.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, fetchJson, waitFor, launchParticipant, openConsole, joinAsPatient, waitForState,
  endVisit,
} from './lib.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) await server.stop();
});

// The other participants this page shows, by the tiles' data-participant
// (the page's own remote tile holds the first one).
async function shownParticipants(page) {
  return page.evaluate(() => {
    const ids = [];
    const first = document.querySelector('#remote-tile');
    if (first && first.dataset.participant) ids.push(first.dataset.participant);
    for (const f of document.querySelectorAll('figure.tile-extra[data-participant]')) ids.push(f.dataset.participant);
    return ids.sort();
  });
}

// framesDecoded of the inbound stream behind each video (by selector), found
// through the track the <video> plays: its inbound-rtp (trackIdentifier),
// else its transceiver's mid.
async function framesOf(page, selectors) {
  return page.evaluate(async (sels) => {
    const pc = window.__thPeer;
    if (!pc) return null;
    const report = await pc.getStats();
    const inbound = [];
    report.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') inbound.push(s); });
    const out = {};
    for (const sel of sels) {
      const v = document.querySelector(sel);
      const track = v && v.srcObject && v.srcObject.getVideoTracks()[0];
      if (!track) { out[sel] = -1; continue; }
      const t = pc.getTransceivers().find((x) => x.receiver.track === track);
      const s = inbound.find((x) => x.trackIdentifier === track.id) || inbound.find((x) => t && x.mid === t.mid);
      out[sel] = s ? (s.framesDecoded || 0) : 0;
    }
    return out;
  }, selectors);
}

// The videos of `others` on this page decode frames, and keep decoding.
async function assertDecoding(p, selectors, what) {
  let last = null;
  try {
    await waitFor(async () => {
      last = await framesOf(p.page, selectors);
      return last && selectors.every((s) => last[s] > 0);
    }, { timeout: 30000, interval: 300, what: `${p.name}: first frames of ${what}` });
    const first = last;
    await waitFor(async () => {
      last = await framesOf(p.page, selectors);
      return last && selectors.every((s) => last[s] > first[s]);
    }, { timeout: 10000, interval: 300, what: `${p.name}: frames of ${what} to keep growing` });
    return last;
  } catch (err) {
    throw new Error(`${err.message}\nlast frames: ${JSON.stringify(last)}`);
  }
}

test('three participants see each other; the provider shares the screen', { timeout: 240000 }, async (t) => {
  const { demo } = server;
  const session = await server.login();
  const invited = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}/guests`,
    { session, method: 'POST', body: { display_name: 'Ana Ruiz (interpreter)' } });
  assert.equal(invited.status, 201, `POST guests: ${invited.status} ${invited.text.slice(0, 300)}`);
  const guestId = invited.json.participant;

  const launched = await Promise.allSettled(['provider', 'patient', 'guest'].map((n) => launchParticipant(n, { server })));
  const ok = launched.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((p) => p.close()));
    throw failed.reason;
  }
  const [provider, patient, guest] = ok;
  try {
    await openConsole(provider, demo.provider_url, demo.provider_login);
    await joinAsPatient(patient, demo.patient_url);
    await joinAsPatient(guest, invited.json.guest_url);
    t.diagnostic('patient and guest are waiting');

    // Admit both, one after the other, as they show up.
    const admit = provider.page.locator('[data-testid="admit"]');
    for (let i = 0; i < 2; i += 1) {
      await waitFor(async () => (await admit.count()) > 0 && admit.first().isEnabled(),
        { timeout: 20000, what: `an Admit button (${i + 1} of 2)` });
      await admit.first().click();
      await waitFor(async () => (await admit.count()) < 2 - i, { timeout: 15000, what: 'the admitted one to leave the waiting list' });
    }
    for (const p of [provider, patient, guest]) await waitForState(p, 'in_progress', 20000);

    // Who is who, from the visit's record.
    const record = await fetchJson(`${server.baseUrl}/api/visits/${demo.visit_id}`, { session });
    const joined = (role) => record.json.timeline.find((e) => e.kind === 'join' && e.role === role)?.participant;
    const ids = { provider: joined('provider'), patient: joined('patient'), guest: guestId };
    assert.ok(ids.provider && ids.patient, `participants in the timeline: ${JSON.stringify(record.json.timeline)}`);
    t.diagnostic(`participants ${JSON.stringify(ids)}`);

    // Each page shows both others, each in a tile of their own.
    const pages = { provider, patient, guest };
    for (const [me, p] of Object.entries(pages)) {
      const others = Object.entries(ids).filter(([who]) => who !== me).map(([, id]) => id).sort();
      await waitFor(async () => JSON.stringify(await shownParticipants(p.page)) === JSON.stringify(others),
        { timeout: 30000, what: `${me}: tiles of ${others.join(' and ')}` }).catch(async (err) => {
        err.message += ` (shown: ${JSON.stringify(await shownParticipants(p.page))})`;
        throw err;
      });
    }
    for (const [me, p] of Object.entries(pages)) {
      const shown = await shownParticipants(p.page);
      const first = await p.page.$eval('#remote-tile', (f) => f.dataset.participant);
      const selectors = shown.map((id) => (id === first ? '[data-testid="remote-video"]' : `[data-testid="remote-video-${id}"]`));
      const frames = await assertDecoding(p, selectors, `both others (${shown.join(', ')})`);
      t.diagnostic(`${me} decodes ${JSON.stringify(frames)}`);
      // The extra tile is labelled with the participant's name.
      const captions = await p.page.$$eval('figure.tile-extra figcaption', (els) => els.map((e) => e.textContent));
      assert.equal(captions.length, 1, `${me}: one extra tile`);
      assert.ok(captions[0].length > 0, `${me}: the extra tile has a caption`);
    }
    // The main remote tile shows whom the visit is with: the provider to
    // the patient and the guest, the patient to the provider.
    const mainOf = (p) => p.page.$eval('#remote-tile', (f) => f.dataset.participant);
    assert.equal(await mainOf(patient), ids.provider);
    assert.equal(await mainOf(guest), ids.provider);
    assert.equal(await mainOf(provider), ids.patient);
    assert.equal(await patient.page.innerText(`figure.tile-extra[data-participant="${guestId}"] figcaption`), 'Ana Ruiz (interpreter)');

    // The provider shares the screen.
    const share = provider.page.locator('[data-testid="share-screen"]');
    await share.waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await share.getAttribute('aria-pressed'), 'false');
    await share.click();
    await waitFor(async () => (await share.getAttribute('aria-pressed')) === 'true',
      { timeout: 10000, what: 'the share button to say it is sharing' });
    assert.match(await share.innerText(), /stop sharing/i);
    for (const p of [patient, guest]) {
      await p.page.locator('[data-testid="screen-video"]').waitFor({ state: 'attached', timeout: 20000 });
      const frames = await assertDecoding(p, ['[data-testid="screen-video"]'], 'the shared screen');
      t.diagnostic(`${p.name} decodes the screen: ${JSON.stringify(frames)}`);
      assert.match(await p.page.innerText('[data-testid="screen-tile"] figcaption'), /Screen shared by/);
    }
    assert.equal(await provider.page.locator('[data-testid="screen-video"]').count(), 0, 'the sharer sees no screen tile of their own');

    // Stop sharing: the tile goes away on the other pages.
    await share.click();
    await waitFor(async () => (await share.getAttribute('aria-pressed')) === 'false',
      { timeout: 10000, what: 'the share button back to Share screen' });
    for (const p of [patient, guest]) {
      await waitFor(async () => (await p.page.locator('[data-testid="screen-video"]').count()) === 0,
        { timeout: 15000, what: `${p.name}: the screen tile to go` });
    }

    await endVisit(provider.page);
    for (const p of [provider, patient, guest]) await waitForState(p, 'ended', 20000);
    assert.deepEqual([...provider.pageErrors, ...patient.pageErrors, ...guest.pageErrors], [], 'no uncaught JavaScript errors');
  } catch (err) {
    const diag = [];
    for (const p of [provider, patient, guest]) {
      diag.push(`${p.name} page errors: ${JSON.stringify(p.pageErrors)} console errors: ${JSON.stringify(p.consoleErrors.slice(-10))}`);
    }
    diag.push(`--- telehealthd stderr (tail) ---\n${server.stderrTail(60)}`);
    err.message = `${err.message}\n${diag.join('\n')}`;
    throw err;
  } finally {
    await Promise.all([provider.close(), patient.close(), guest.close()]);
  }
});
