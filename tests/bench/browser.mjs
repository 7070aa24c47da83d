// The bench's browser-quality row: one Chromium sender and one Chromium
// receiver through a relay for SECONDS, then what the browsers themselves
// say: the sender's availableOutgoingBitrate (its bandwidth estimate, from
// the selected candidate pair) and the receiver's decoded frames per second
// and frame size (inbound-rtp video). A relay that starves the browser's
// bandwidth estimation shows here, not in th-load's figures.
//
//   node browser.mjs ours CONFIG SECONDS OUT.json    our real pages: the patient's
//       link sends, the provider console receives (server started here, from
//       CONFIG, through tests/e2e/lib.mjs; env TELEHEALTHD, TH_SOURCE_ROOT)
//   node browser.mjs janus WS_URL SECONDS OUT.json   a minimal page of our own that
//       speaks Janus's WebSocket API to a running Janus (VideoRoom: the sender
//       publishes, the receiver subscribes)
//
// Run by tests/bench/bench.py inside the bench's network namespace. Writes
// {server, seconds, bitrate_kbps, fps, width, height} or {error}. Every wait
// is bounded.

import { createServer } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  launchParticipant, joinAsPatient, openConsoleAndAdmit, startServer, waitForState, waitFor,
  withTimeout,
} from '../e2e/lib.mjs';

const [kind, target, secondsArg, outPath] = process.argv.slice(2);
const SECONDS = Number(secondsArg) || 20;
// Decoded frames per second: framesDecoded over the last FPS_WINDOW_S seconds
// (steadier than the stats' instantaneous framesPerSecond).
const FPS_WINDOW_S = 5;

// In the page: the figures of one RTCPeerConnection (window[name]).
async function peerFigures(page, name) {
  return page.evaluate(async (name) => {
    const pc = window[name];
    if (!pc) return null;
    const report = await pc.getStats();
    let selected = null;
    report.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) selected = s.selectedCandidatePairId;
    });
    let bitrate = null;
    let video = null;
    // What explains a low estimate, for the run's log: the sender's view of
    // its video stream and of the relay's reports on it.
    const detail = {};
    report.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        detail.outbound = { targetBitrate: s.targetBitrate, bytesSent: s.bytesSent,
          qualityLimitationReason: s.qualityLimitationReason, nackCount: s.nackCount,
          pliCount: s.pliCount, retransmittedPacketsSent: s.retransmittedPacketsSent,
          frameWidth: s.frameWidth };
      }
      if (s.type === 'remote-inbound-rtp' && s.kind === 'video') {
        detail.remoteInbound = { fractionLost: s.fractionLost, packetsLost: s.packetsLost,
          roundTripTime: s.roundTripTime, jitter: s.jitter };
      }
    });
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.availableOutgoingBitrate !== undefined
        && (s.id === selected || (!selected && s.nominated && s.state === 'succeeded'))) {
        bitrate = s.availableOutgoingBitrate;
      }
      // The busiest inbound video stream (a 1:1 visit receives on one slot).
      if (s.type === 'inbound-rtp' && s.kind === 'video'
        && (!video || (s.framesDecoded || 0) > video.framesDecoded)) {
        video = { framesDecoded: s.framesDecoded || 0, width: s.frameWidth || 0, height: s.frameHeight || 0 };
      }
    });
    return { bitrate, video, detail, at: performance.now() };
  }, name);
}

// Waits SECONDS from now, then reads the sender's estimate and the receiver's
// frame rate over the last FPS_WINDOW_S seconds.
async function measure(sender, senderPc, receiver, receiverPc) {
  await sleep((SECONDS - FPS_WINDOW_S) * 1000);
  const a = await peerFigures(receiver.page, receiverPc);
  await sleep(FPS_WINDOW_S * 1000);
  const b = await peerFigures(receiver.page, receiverPc);
  const s = await peerFigures(sender.page, senderPc);
  if (!a || !b || !a.video || !b.video) throw new Error('the receiver has no inbound video stream');
  if (!s || s.bitrate === null) throw new Error('the sender has no selected candidate pair with availableOutgoingBitrate');
  console.error('sender:', JSON.stringify(s.detail), 'estimate', s.bitrate);
  return {
    bitrate_kbps: s.bitrate / 1000,
    fps: (b.video.framesDecoded - a.video.framesDecoded) / ((b.at - a.at) / 1000),
    width: b.video.width,
    height: b.video.height,
  };
}

async function runOurs(config) {
  const server = await startServer({ configPath: config, timeout: 30000 });
  let sender = null;
  let receiver = null;
  try {
    const demo = server.demo;
    [sender, receiver] = await Promise.all([launchParticipant('patient'), launchParticipant('provider')]);
    await joinAsPatient(sender, demo.patient_url);
    await openConsoleAndAdmit(receiver, demo.provider_url, { login: demo.provider_login });
    await waitForState(sender, 'in_progress');
    await waitForState(receiver, 'in_progress');
    return await measure(sender, '__thPeer', receiver, '__thPeer');
  } finally {
    await Promise.all([sender && sender.close(), receiver && receiver.close()]);
    await server.stop({ checkLog: false });
  }
}

// The Janus page: plain WebSocket API, no janus.js. Requests answer with an
// "ack" and later an "event" (or at once with "success"), matched by
// transaction. Offers and answers are sent once ICE gathering is complete
// (no trickle); Janus puts its candidates in its own SDP.
const JANUS_PAGE = `<!doctype html><meta charset="utf-8"><title>bench: Janus</title>
<video id="v" autoplay playsinline muted></video>
<script>
window.janus = async (url, role, room, feed) => {
  const ws = new WebSocket(url, 'janus-protocol');
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error('no WebSocket to ' + url)); });
  const waiting = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.janus === 'ack' || !waiting.has(msg.transaction)) return;
    const done = waiting.get(msg.transaction);
    waiting.delete(msg.transaction);
    done(msg);
  };
  let n = 0;
  const call = (msg) => new Promise((ok, fail) => {
    const transaction = 't' + (++n);
    waiting.set(transaction, (r) => (r.janus === 'error' || (r.plugindata && r.plugindata.data.error)
      ? fail(new Error(JSON.stringify(r.error || r.plugindata.data))) : ok(r)));
    ws.send(JSON.stringify({ ...msg, transaction }));
  });
  const session = (await call({ janus: 'create' })).data.id;
  const handle = (await call({ janus: 'attach', session_id: session, plugin: 'janus.plugin.videoroom' })).data.id;
  const message = (body, jsep) => call({ janus: 'message', session_id: session, handle_id: handle, body, ...(jsep ? { jsep } : {}) });
  const gathered = (pc) => new Promise((ok) => {
    if (pc.iceGatheringState === 'complete') return ok();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && ok());
  });
  const pc = new RTCPeerConnection();
  if (role === 'publisher') {
    // bitrate 0: no REMB cap from Janus, the browser's estimate decides.
    await message({ request: 'create', room, publishers: 2, videocodec: 'vp8', audiocodec: 'opus',
      bitrate: 0, fir_freq: 0, is_private: true });
    const joined = await message({ request: 'join', ptype: 'publisher', room });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true,
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' } });
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const r = await message({ request: 'configure', audio: true, video: true },
      { type: 'offer', sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription(r.jsep);
    window.__pub = pc;
    return joined.plugindata.data.id;
  }
  // A page that was granted the camera offers its real host address rather
  // than an mDNS name, which Janus (ignore_mdns) would drop.
  await navigator.mediaDevices.getUserMedia({ audio: true }).then((s) => s.getTracks().forEach((t) => t.stop()), () => {});
  pc.ontrack = (e) => { if (e.track.kind === 'video') document.getElementById('v').srcObject = e.streams[0] || new MediaStream([e.track]); };
  const r = await message({ request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
  await pc.setRemoteDescription(r.jsep);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  await message({ request: 'start', room }, { type: 'answer', sdp: pc.localDescription.sdp });
  window.__sub = pc;
  return null;
};
</script>`;

async function runJanus(url) {
  // getUserMedia needs a secure context: a page from http://127.0.0.1 is one.
  const http = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(JANUS_PAGE);
  });
  await new Promise((ok) => http.listen(0, '127.0.0.1', ok));
  const pageUrl = `http://127.0.0.1:${http.address().port}/`;
  let sender = null;
  let receiver = null;
  try {
    [sender, receiver] = await Promise.all([launchParticipant('sender'), launchParticipant('receiver')]);
    await Promise.all([sender.page.goto(pageUrl), receiver.page.goto(pageUrl)]);
    const room = 1000000 + Math.floor(Math.random() * 1000000);
    const feed = await withTimeout(sender.page.evaluate(([u, r]) => window.janus(u, 'publisher', r), [url, room]),
      20000, 'the Janus publisher to be configured');
    await withTimeout(receiver.page.evaluate(([u, r, f]) => window.janus(u, 'subscriber', r, f), [url, room, feed]),
      20000, 'the Janus subscriber to start');
    await waitFor(() => receiver.page.evaluate(() => window.__sub && window.__sub.connectionState === 'connected'),
      { timeout: 20000, what: 'the Janus subscriber to connect' });
    return await measure(sender, '__pub', receiver, '__sub');
  } finally {
    await Promise.all([sender && sender.close(), receiver && receiver.close()]);
    http.close();
  }
}

let result;
try {
  const run = kind === 'janus' ? runJanus(target) : runOurs(target);
  result = { server: kind, seconds: SECONDS, ...await withTimeout(run, (SECONDS + 90) * 1000, 'the browser run') };
} catch (err) {
  result = { server: kind, seconds: SECONDS, error: String(err && err.message ? err.message : err).slice(0, 2000) };
}
await writeFile(outPath, JSON.stringify(result, null, 1));
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
