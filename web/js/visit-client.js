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
//   disconnected {willRetry, attempt}  the socket closed without a bye
//
// Tests reach the live RTCPeerConnection through window.__thPeer.

const MAX_RECONNECT_ATTEMPTS = 5;

export function signalingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/signaling`;
}

export class VisitClient extends EventTarget {
  // hello: the hello message body without `type` ({token} or {token, visit}).
  // remoteVideo: the <video> element that shows the other side.
  // localStream: a MediaStream (or null) whose tracks are sent, or a promise
  // of one: an offer that arrives early waits for the camera.
  constructor({ hello, remoteVideo, localStream = null, url = signalingUrl() }) {
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
    this.closedByUs = false;
    this.gotBye = false;
    this.welcomed = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.state = null;
  }

  connect() {
    this.closedByUs = false;
    this.gotBye = false;
    this.openSocket();
  }

  openSocket() {
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.emit('server-error', { code: 'internal', message: String(err) });
      return;
    }
    this.ws = ws;
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
    ws.addEventListener('close', () => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.onSocketClosed();
    });
  }

  onSocketClosed() {
    if (this.closedByUs || this.gotBye || this.state === 'ended') return;
    this.closePeer();
    // Only retry a connection that once worked: a refused or rejected first
    // attempt is reported to the page instead of looping.
    const willRetry = this.welcomed && this.attempt < MAX_RECONNECT_ATTEMPTS;
    this.emit('disconnected', { willRetry, attempt: this.attempt });
    if (!willRetry) return;
    const delay = Math.min(8000, 1000 * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closedByUs) this.openSocket();
    }, delay);
  }

  onMessage(msg) {
    switch (msg.type) {
      case 'welcome':
        this.welcomed = true;
        this.attempt = 0;
        this.emit('welcome', msg);
        if (typeof msg.state === 'string') this.setState(msg.state);
        break;
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
          this.offerChain = this.offerChain
            .then(() => this.handleOffer(msg.sdp))
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
      case 'bye':
        this.gotBye = true;
        this.closePeer();
        this.emit('bye', { reason: String(msg.reason || '') });
        break;
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

  async handleOffer(sdp) {
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
    });

    // Local tracks first, so they bind to the offered sendrecv m-lines.
    const local = await this.localStream;
    if (pc !== this.pc) return;
    if (local) {
      for (const track of local.getTracks()) pc.addTrack(track, local);
    }
    await pc.setRemoteDescription({ type: 'offer', sdp });
    if (pc !== this.pc) return;
    await this.flushIce();
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
    if (!pc || !pc.remoteDescription) {
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
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (sayLeave) this.sendRaw({ type: 'leave' });
    this.closePeer();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try { ws.close(1000, 'bye'); } catch { /* ignore */ }
    }
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
