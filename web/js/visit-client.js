// visit-client.js: the signaling + WebRTC side of a video visit, shared by the
// patient page and the provider console. It knows the wire contract
// (tests/CONTRACT.md) and nothing about the page layout: pages listen to the
// events it dispatches and call its methods.
//
// Events (CustomEvent, data in `detail`):
//   open         the socket is open and hello was sent
//   welcome      {visit, role, participant, display_name, state}
//   state        {state}            visit-state changes (also from welcome)
//   waiting      {participants}     provider only: who is in the waiting room
//   peer-state   {participant, display_name, role, state}
//   chat         {from, display_name, text, at}
//   server-error {code, message}    an error frame from the server
//   bye          {reason}
//   connection   {state}            RTCPeerConnection connectionState
//   remote-stream {stream}
//   disconnected {willRetry, attempt, reason}  the socket closed without a
//                (final) bye: a drop. willRetry: a reconnect is scheduled.
//   reconnected  {after}           welcomed again after a drop (ms it took)
//
// Reconnecting (tests/CONTRACT.md, issue 6): a socket that closes without
// `bye` (whoever closed it), or after `bye` shutdown / media-timeout, is a
// drop. The client says hello again with backoff (0.5, 1, 2, 4 s, then every
// 5 s) for up to two minutes; the server answers with welcome and, in a call,
// a fresh offer (a new RTCPeerConnection: the old one is closed at the drop).
//
// Tests reach the live RTCPeerConnection through window.__thPeer and the
// signaling WebSocket through window.__thSignal.

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];
const RETRY_EVERY_MS = 5000;
const RETRY_FOR_MS = 120000;
// Byes after which the same link is expected to work again.
const RETRY_BYES = new Set(['shutdown', 'media-timeout']);

export function signalingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/signaling`;
}

export class VisitClient extends EventTarget {
  // hello: the hello message body without `type` ({token} or {token, visit}).
  // remoteVideo: the <video> element that shows the other side.
  // localStream: a MediaStream (or null) whose tracks are sent, or a promise
  // of one: an offer that arrives early waits for the camera.
  // retryFirst: retry even before the first welcome (a page rejoining by
  // itself after a reload, when the server may be restarting).
  constructor({ hello, remoteVideo, localStream = null, url = signalingUrl(), retryFirst = false }) {
    super();
    this.hello = hello;
    this.remoteVideo = remoteVideo;
    this.localStream = localStream;
    this.url = url;
    this.ws = null;
    this.pc = null;
    this.remoteStream = null;
    this.pendingIce = [];
    this.offerChain = Promise.resolve();
    this.offersQueued = 0;
    this.generation = 0;        // one per socket: offers of a dead socket are void
    this.closedByUs = false;
    this.gotBye = false;
    this.retryBye = null;       // a bye after which we reconnect
    this.welcomed = false;
    this.retryFirst = retryFirst;
    this.attempt = 0;
    this.dropAt = null;         // when the current drop began (ms), else null
    this.retryTimer = null;
    this.state = null;
    this.onOnline = () => this.retryNow();
  }

  connect() {
    this.closedByUs = false;
    this.gotBye = false;
    window.addEventListener('online', this.onOnline);
    this.openSocket();
  }

  get reconnecting() { return this.dropAt !== null; }

  openSocket() {
    let ws;
    this.generation += 1;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.emit('server-error', { code: 'internal', message: String(err) });
      return;
    }
    this.ws = ws;
    window.__thSignal = ws;
    ws.addEventListener('open', () => {
      if (ws !== this.ws) return;
      this.sendRaw({ type: 'hello', ...this.hello });
      this.emit('open', {});
    });
    ws.addEventListener('message', (ev) => {
      if (ws !== this.ws) return;
      if (typeof ev.data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.warn('visit-client: server sent invalid JSON');
        return;
      }
      if (msg && typeof msg.type === 'string') this.onMessage(msg);
    });
    ws.addEventListener('close', (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (window.__thSignal === ws) window.__thSignal = null;
      this.onSocketClosed(ev.code);
    });
  }

  // Any close we did not ask for, without a final bye, is a drop.
  onSocketClosed(code) {
    if (this.closedByUs || this.gotBye || this.state === 'ended') return;
    const reason = this.retryBye || 'closed';
    this.retryBye = null;
    this.pendingIce = [];
    this.offersQueued = 0;
    this.closePeer();
    const now = Date.now();
    if (this.dropAt === null) this.dropAt = now;
    // A refused first attempt is reported to the page instead of looping,
    // unless the page asked to retry from the start.
    const willRetry = (this.welcomed || this.retryFirst) && now - this.dropAt < RETRY_FOR_MS;
    this.emit('disconnected', { willRetry, attempt: this.attempt, reason, code });
    if (!willRetry) {
      this.dropAt = null;
      this.attempt = 0;
      return;
    }
    const step = this.attempt < RETRY_DELAYS_MS.length ? RETRY_DELAYS_MS[this.attempt] : RETRY_EVERY_MS;
    const delay = Math.max(0, Math.min(step, this.dropAt + RETRY_FOR_MS - now));
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closedByUs) this.openSocket();
    }, delay);
  }

  // The network is back (or a page asks): try at once instead of waiting.
  retryNow() {
    if (!this.retryTimer || this.closedByUs) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.openSocket();
  }

  // Ends this socket as a drop (e.g. the media path failed for good: the
  // server cannot restart ICE, a fresh hello gets a fresh leg).
  dropSocket(code = 4001) {
    const ws = this.ws;
    if (!ws) return;
    try { ws.close(code, 'drop'); } catch { /* already closing */ }
  }

  onMessage(msg) {
    switch (msg.type) {
      case 'welcome': {
        const droppedAt = this.dropAt;
        this.welcomed = true;
        this.attempt = 0;
        this.dropAt = null;
        this.emit('welcome', msg);
        if (droppedAt !== null) this.emit('reconnected', { after: Date.now() - droppedAt });
        if (typeof msg.state === 'string') this.setState(msg.state);
        break;
      }
      case 'visit-state':
        if (typeof msg.state === 'string') this.setState(msg.state);
        break;
      case 'waiting':
        this.emit('waiting', { participants: Array.isArray(msg.participants) ? msg.participants : [] });
        break;
      case 'peer-state':
        this.emit('peer-state', msg);
        break;
      case 'offer':
        if (typeof msg.sdp === 'string') {
          // Candidates from now on belong to this offer's leg.
          const generation = this.generation;
          this.pendingIce = [];
          this.offersQueued += 1;
          this.offerChain = this.offerChain
            .then(() => this.handleOffer(msg.sdp, generation))
            .catch((err) => {
              console.error('visit-client: answering the offer failed', err);
              this.emit('server-error', { code: 'internal', message: 'Could not start the video connection.' });
            });
        }
        break;
      case 'ice':
        this.handleRemoteIce(msg);
        break;
      case 'chat':
        this.emit('chat', msg);
        break;
      case 'error':
        this.emit('server-error', { code: String(msg.code || 'internal'), message: String(msg.message || '') });
        break;
      case 'bye': {
        const reason = String(msg.reason || '');
        this.closePeer();
        if (RETRY_BYES.has(reason) && this.state !== 'ended') {
          this.retryBye = reason; // the close that follows is a drop
          break;
        }
        this.gotBye = true;
        this.emit('bye', { reason });
        break;
      }
      default:
        // Newer servers may add types; ignore what we do not know.
        break;
    }
  }

  setState(state) {
    this.state = state;
    if (state === 'ended') this.closePeer();
    this.emit('state', { state });
  }

  // ---------------------------------------------------------------- WebRTC

  async handleOffer(sdp, generation) {
    let counted = true;
    const settle = () => {
      if (!counted) return;
      counted = false;
      if (generation === this.generation) this.offersQueued = Math.max(0, this.offersQueued - 1);
    };
    try {
      await this.answerOffer(sdp, generation, settle);
    } finally {
      settle();
    }
  }

  async answerOffer(sdp, generation, settle) {
    // An offer from a socket that has since closed is for a leg that is gone.
    if (generation !== this.generation || !this.ws) return;
    this.closePeer();
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    this.pc = pc;
    window.__thPeer = pc;
    this.remoteStream = new MediaStream();
    if (this.remoteVideo) this.remoteVideo.srcObject = this.remoteStream;
    this.emit('remote-stream', { stream: this.remoteStream });

    pc.addEventListener('icecandidate', (ev) => {
      if (pc !== this.pc) return;
      const c = ev.candidate;
      if (!c || !c.candidate) return;            // end of candidates
      if (c.candidate.includes('.local')) return; // mDNS: the server cannot resolve it
      this.sendRaw({ type: 'ice', candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0 });
    });
    pc.addEventListener('track', (ev) => {
      if (pc !== this.pc) return;
      const stream = this.remoteStream;
      if (!stream.getTracks().includes(ev.track)) stream.addTrack(ev.track);
      if (this.remoteVideo) {
        if (this.remoteVideo.srcObject !== stream) this.remoteVideo.srcObject = stream;
        this.playRemote();
      }
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc !== this.pc) return;
      this.emit('connection', { state: pc.connectionState });
      // The server cannot restart ICE: a failed media path is a drop, and
      // hello again brings a fresh leg.
      if (pc.connectionState === 'failed') this.dropSocket(4002);
    });

    // Local tracks first, so they bind to the offered sendrecv m-lines.
    const local = await this.localStream;
    if (pc !== this.pc) return;
    if (local) {
      for (const track of local.getTracks()) pc.addTrack(track, local);
    }
    await pc.setRemoteDescription({ type: 'offer', sdp });
    settle();
    if (pc !== this.pc) return;
    if (this.offersQueued === 0) await this.flushIce();
    const answer = await pc.createAnswer();
    if (pc !== this.pc) return;
    await pc.setLocalDescription(answer);
    if (pc !== this.pc) return;
    this.sendRaw({ type: 'answer', sdp: pc.localDescription.sdp });
  }

  handleRemoteIce(msg) {
    if (typeof msg.candidate !== 'string' || msg.candidate === '') return;
    const init = { candidate: msg.candidate, sdpMLineIndex: Number.isInteger(msg.sdpMLineIndex) ? msg.sdpMLineIndex : 0 };
    const pc = this.pc;
    if (!pc || !pc.remoteDescription || this.offersQueued > 0) {
      this.pendingIce.push(init);
      return;
    }
    pc.addIceCandidate(init).catch((err) => console.warn('visit-client: remote candidate rejected', err));
  }

  async flushIce() {
    const pc = this.pc;
    const queued = this.pendingIce;
    this.pendingIce = [];
    for (const init of queued) {
      try {
        await pc.addIceCandidate(init);
      } catch (err) {
        console.warn('visit-client: queued candidate rejected', err);
      }
    }
  }

  playRemote() {
    const v = this.remoteVideo;
    if (!v || !v.paused) return;
    const p = v.play();
    if (p && typeof p.catch === 'function') {
      p.catch((err) => {
        if (err && err.name === 'AbortError') return;
        this.emit('autoplay-blocked', {});
      });
    }
  }

  closePeer() {
    const pc = this.pc;
    if (!pc) return;
    this.pc = null;
    if (window.__thPeer === pc) window.__thPeer = null;
    try { pc.close(); } catch { /* already closed */ }
    if (this.remoteVideo) this.remoteVideo.srcObject = null;
    this.remoteStream = null;
    this.emit('connection', { state: 'closed' });
  }

  // -------------------------------------------------------------- commands

  sendRaw(obj) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    return true;
  }

  admit(participant) { return this.sendRaw({ type: 'admit', participant }); }
  end() { return this.sendRaw({ type: 'end' }); }
  chat(text) { return this.sendRaw({ type: 'chat', text }); }

  // Changes the tracks sent from now on; a live connection keeps its senders,
  // so swap the tracks in place.
  setLocalStream(stream) {
    this.localStream = stream;
    const pc = this.pc;
    if (stream && typeof stream.then === 'function') return;
    if (!pc || !stream) return;
    for (const sender of pc.getSenders()) {
      if (!sender.track) continue;
      const next = stream.getTracks().find((t) => t.kind === sender.track.kind);
      if (next) sender.replaceTrack(next).catch(() => {});
    }
  }

  // Says goodbye (if `sayLeave`) and shuts everything down. No reconnect.
  close({ sayLeave = false } = {}) {
    this.closedByUs = true;
    this.dropAt = null;
    window.removeEventListener('online', this.onOnline);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (sayLeave) this.sendRaw({ type: 'leave' });
    this.closePeer();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      if (window.__thSignal === ws) window.__thSignal = null;
      try { ws.close(1000, 'bye'); } catch { /* ignore */ }
    }
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
