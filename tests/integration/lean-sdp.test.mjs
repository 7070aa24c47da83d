// The lean engine's offer (media/lean_sdp.c) in a real Chromium, and
// Chromium's answer back through lean_sdp_read_answer. Only SDP is
// exchanged: no server, no media, no ICE checks (tests/integration/
// lean_sdp_tool.c prints the offer and reads the answer).
//
// What a browser must make of the offer, as it does of webrtcbin's:
// - it accepts it for every layout (1..5 remote slots);
// - the camera and microphone, added first as the web client does
//   (web/js/visit-client.js), bind to m0 and m1 and are sent;
// - a remote slot's audio and video arrive in one MediaStream (its msid
//   "slot<s>"), the screen in its own ("screen");
// - its answer says: we are the DTLS server (setup:active), its ICE user
//   name, password and fingerprint, TWCC on extension id 3, every m-line
//   accepted, and its candidates.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { launchParticipant, withTimeout } from '../e2e/lib.mjs';

const TOOL = process.env.TH_LEAN_SDP_TOOL;

function tool(args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(TOOL, args, { timeout: 10000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`lean_sdp_tool ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const offerFor = (slots) => tool(['offer', String(slots)]);
const readAnswer = async (slots, sdp) => JSON.parse(await tool(['answer', String(slots)], sdp));

// What the SDP says at media level of its first m-line (or session level).
function firstValue(sdp, key) {
  const m = sdp.match(new RegExp(`^a=${key}:(.*)$`, 'm'));
  return m ? m[1].trim() : null;
}

let browser;
let site;

before(async () => {
  assert.ok(TOOL, 'TH_LEAN_SDP_TOOL names lean_sdp_tool (tests/meson.build sets it)');
  // getUserMedia needs a secure context: an http://127.0.0.1 page is one
  // (about:blank is not). The namespace has only `lo`.
  site = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>lean SDP</title>');
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  browser = await launchParticipant('lean-sdp');
  await browser.page.goto(`http://127.0.0.1:${site.address().port}/`);
});

after(async () => {
  if (browser) await browser.close();
  if (site) site.close();
});

// In the page: a peer connection that answers `sdp` like the web client,
// with the fake camera and microphone; what it received per mid.
async function answerInPage(page, sdp) {
  return page.evaluate(async (offer) => {
    const pc = new RTCPeerConnection();
    const received = {};
    pc.addEventListener('track', (ev) => {
      received[ev.transceiver.mid] = { kind: ev.track.kind, streams: ev.streams.map((s) => s.id) };
    });
    try {
      const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      // Local tracks first, so they bind to the offered sendrecv m-lines.
      for (const track of local.getTracks()) pc.addTrack(track, local);
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      // Candidates into the answer, as they come (bounded: loopback only).
      await Promise.race([
        new Promise((resolve) => {
          if (pc.iceGatheringState === 'complete') resolve();
          pc.addEventListener('icegatheringstatechange', () => {
            if (pc.iceGatheringState === 'complete') resolve();
          });
        }),
        new Promise((resolve) => setTimeout(resolve, 5000)),
      ]);
      const transceivers = pc.getTransceivers().map((t) => ({
        mid: t.mid,
        direction: t.currentDirection,
        sending: t.sender.track ? t.sender.track.kind : null,
      }));
      return { ok: true, answer: pc.localDescription.sdp, received, transceivers };
    } catch (err) {
      return { ok: false, error: `${err.name}: ${err.message}` };
    } finally {
      pc.getSenders().forEach((s) => s.track && s.track.stop());
      pc.close();
    }
  }, sdp);
}

// m-line index → [kind, msid stream id] of the layout (media/media.h).
function layout(slots) {
  const out = [['audio', 'slot0'], ['video', 'slot0'], ['video', 'screen']];
  for (let s = 1; s < slots; s++) out.push(['audio', `slot${s}`], ['video', `slot${s}`]);
  return out;
}

for (const slots of [1, 2, 3, 4, 5]) {
  test(`Chromium takes the lean offer for ${slots} remote slot(s) and its answer reads back`, async () => {
    const offer = await offerFor(slots);
    const mids = [...offer.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
    const expected = layout(slots);
    assert.equal(mids.length, expected.length, 'the offer has the layout\'s m-lines');

    const got = await withTimeout(answerInPage(browser.page, offer), 20000, 'Chromium answering');
    assert.ok(got.ok, `Chromium refused the offer: ${got.error}`);

    // The browser's view: what binds where and which stream it belongs to.
    assert.deepEqual(got.transceivers.map((t) => t.mid), mids, 'one transceiver per m-line, in order');
    assert.equal(got.transceivers[0].sending, 'audio', 'the microphone goes up on m0');
    assert.equal(got.transceivers[1].sending, 'video', 'the camera goes up on m1');
    assert.equal(got.transceivers[0].direction, 'sendrecv');
    assert.equal(got.transceivers[1].direction, 'sendrecv');
    for (let m = 2; m < mids.length; m++) {
      assert.equal(got.transceivers[m].direction, 'recvonly', `m${m} only receives`);
    }
    expected.forEach(([kind, stream], m) => {
      const r = got.received[mids[m]];
      assert.ok(r, `a track arrived for m${m} (${mids[m]})`);
      assert.equal(r.kind, kind, `m${m} is ${kind}`);
      assert.deepEqual(r.streams, [stream], `m${m}'s track is in MediaStream ${stream}`);
    });
    // Each remote slot's audio and video: one stream, and no other slot's.
    for (let s = 0; s < slots; s++) {
      const ids = expected.map(([, id], m) => [id, m]).filter(([id]) => id === `slot${s}`)
        .map(([, m]) => got.received[mids[m]].streams[0]);
      assert.equal(ids.length, 2);
      assert.equal(new Set(ids).size, 1, `slot ${s}'s audio and video share one stream`);
    }

    // The server's view of the answer.
    const read = await readAnswer(slots, got.answer);
    assert.equal(read.error, undefined, `lean_sdp_read_answer refused Chromium's answer: ${read.error}`);
    assert.equal(read.role, 'server', 'Chromium answers setup:active: it starts DTLS');
    assert.equal(read.ice_ufrag, firstValue(got.answer, 'ice-ufrag'));
    assert.equal(read.ice_pwd, firstValue(got.answer, 'ice-pwd'));
    assert.equal(read.fingerprint, firstValue(got.answer, 'fingerprint'));
    assert.match(read.fingerprint, /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(read.twcc_ext_id, 3, 'Chromium keeps transport-cc on extension id 3');
    assert.deepEqual(read.accepted, expected.map(() => true), 'every m-line accepted');
    const lines = new Set([...got.answer.matchAll(/^a=(candidate:.*?)\r?$/gm)].map((m) => m[1]));
    assert.deepEqual(new Set(read.candidates), lines, 'every candidate of the answer, once');
    assert.ok(read.candidates.length >= 1, 'Chromium\'s loopback candidates are in its answer');
    // Chromium's answer keeps our feedback: transport-cc everywhere.
    for (const pt of [...got.answer.matchAll(/^m=\S+ \d+ \S+ (\d+)/gm)].map((m) => m[1])) {
      assert.match(got.answer, new RegExp(`^a=rtcp-fb:${pt} transport-cc\\r?$`, 'm'),
        `Chromium agrees to transport-cc for payload type ${pt}`);
    }
  });
}

test('an answer that does not say who starts DTLS is refused in words', async () => {
  const offer = await offerFor(1);
  const got = await withTimeout(answerInPage(browser.page, offer), 20000, 'Chromium answering');
  assert.ok(got.ok, got.error);
  const read = await readAnswer(1, got.answer.replace(/a=setup:active/g, 'a=setup:actpass'));
  assert.equal(read.error,
    'the browser\'s answer does not say which side starts the secure connection');
  const passive = await readAnswer(1, got.answer.replace(/a=setup:active/g, 'a=setup:passive'));
  assert.equal(passive.role, 'client');
});
