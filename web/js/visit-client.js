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
//   media-state  {participant, audio, video}  another participant's mic/camera
//   modality     {modality, by?, display_name?} the visit is video or audio-only
//   queue        {position, provider_present}  waiting: my place in line
//   quality      {loss_pct, rtt_ms, rx_kbps}   the server's view of my media
//   server-error {code, message}    an error frame from the server
//   bye          {reason}
//   connection   {state}            RTCPeerConnection connectionState
//   remote-stream {stream}          the first other participant's stream
//   remote-tracks {participants, screen}  everyone else (remote-tracks.js):
//                participants [{participant, display_name, role, stream,
//                audio, video}] first the one of remote-stream; screen
//                {participant, display_name, role, stream} or null
//   screen       {stream, participant, display_name}  a shared screen
//                started or changed; {stream: null} when it ended
//   local-screen {stream}           my own screen share began (stream) or
//                ended (null): shareScreen() / stopScreen()
//   disconnected {willRetry, attempt, reason}  the socket closed without a
//                (final) bye: a drop. willRetry: a reconnect is scheduled.
//   reconnected  {after}           welcomed again after a drop (ms since the
//                run of failures began)
//   trouble      {active, since}   my media keeps failing to connect (active
//                true: tell the person what to try), or connects again
//   peer-trouble {participant, display_name, role, trouble}  someone else's
//                media cannot connect (the server relays what they said)
//
// Reconnecting (tests/CONTRACT.md, issues 6, 11 and 18): a socket that
// closes without `bye` (whoever closed it), or after `bye` shutdown /
// media-timeout / hello-timeout (our hello was sent at once: the server
// could not check it in time), is a drop. The client says hello again, when and where
// reconnect.js says (back-off, budget, redirects, the other nodes); the
// server answers with welcome and, in a call, a fresh offer (a new
// RTCPeerConnection: the old one is closed at the drop). A failed media path
// (the connection state `failed`, or not `connected` MEDIA_CONNECT_MS after
// the answer) is a drop too. Media failing twice in a row (or for
// TROUBLE_AFTER_MS) is `trouble`: the page tells the person what to try, the
// server is told (connect-trouble) and tells the others; the client keeps
// trying at the slow pace. An error `internal` answering the hello of a
// reconnect (a node whose database is out of reach) is a drop as well: the
// next attempt may find a node that can take the visit in.
//
// Tests reach the live RTCPeerConnection through window.__thPeer and the
// signaling WebSocket through window.__thSignal.
//
// STUN and TURN (tests/CONTRACT.md, issue 7): before each RTCPeerConnection
// the client asks GET /api/ice-servers (the join token as Bearer, else the
// staff cookie) for iceServers and iceTransportPolicy, and reuses the answer
// while it is fresh; on any failure it goes on with no ICE servers. A test
// may force the policy with window.__thIcePolicy = 'relay' | 'all'.

import { RemoteTracks, sdpMids } from './remote-tracks.js';
import { Backoff, Route, signalingUrl } from './reconnect.js';

const MEDIA_CONNECT_MS = 12000;   // an answered offer not connected by then failed
const TROUBLE_AFTER_MS = 10000;   // media failing this long (or twice): say so
const STABLE_MS = 60000;          // a socket up this long outside a call was fine
// Byes after which the same link is expected to work again.
const RETRY_BYES = new Set(['shutdown', 'media-timeout', 'hello-timeout']);
// ICE servers are reused for at most this long (and half their lifetime).
const ICE_REUSE_MS = 10 * 60 * 1000;
const ICE_FETCH_TIMEOUT_MS = 5000;
const NO_ICE = { iceServers: [], iceTransportPolicy: 'all' };

// The server's answer as RTCConfiguration fields; odd entries are dropped.
function iceFromServer(body) {
  const str = (v) => typeof v === 'string' && v !== '';
  const iceServers = (Array.isArray(body && body.ice_servers) ? body.ice_servers : [])
    .map((s) => {
      const urls = (Array.isArray(s && s.urls) ? s.urls : [s && s.urls]).filter(str);
      if (urls.length === 0) return null;
      const out = { urls };
      if (str(s.username) && str(s.credential)) Object.assign(out, { username: s.username, credential: s.credential });
      return out;
    })
    .filter(Boolean);
  return { iceServers, iceTransportPolicy: body.ice_transport_policy === 'relay' ? 'relay' : 'all' };
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
    this.remoteVideo = remoteVideo;
    this.localStream = localStream;
    this.route = new Route(url, hello);
    this.backoff = new Backoff();
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
    this.dropPending = false;   // a drop not yet followed by a welcome
    this.sock = null;           // this socket's story: {welcomedAt, offeredAt, connected}
    this.retryTimer = null;
    this.connectTimer = null;   // the answered offer must connect by then
    this.mediaFailures = 0;     // attempts in a row whose media never connected
    this.troubleSince = null;   // when the first of them began
    this.trouble = false;
    this.troubleTimer = null;
    this.state = null;
    this.onOnline = () => this.retryNow();
    this.iceCache = null;       // {promise, pending, reuseUntil}
    this.remote = new RemoteTracks();
    this.screenTrack = null;    // my screen share, while sharing
    this.screenTransceiver = null; // m2 of the current peer connection
  }

  connect() {
    this.closedByUs = false;
    this.gotBye = false;
    window.addEventListener('online', this.onOnline);
    this.openSocket();
  }

  get reconnecting() { return this.dropPending; }
  // My media is connected now.
  get mediaUp() { return !!this.pc && this.pc.connectionState === 'connected'; }

  // `redirected`: the server's direction, not a retry (not in the budget).
  openSocket({ redirected = false } = {}) {
    let ws;
    if (this.ws) return; // one live attempt at a time
    this.generation += 1;
    if (!redirected) this.backoff.opened(Date.now());
    this.sock = { welcomedAt: 0, offeredAt: 0, connected: false };
    try {
      ws = new WebSocket(this.route.url);
    } catch (err) {
      this.emit('server-error', { code: 'internal', message: String(err) });
      return;
    }
    this.ws = ws;
    window.__thSignal = ws;
    ws.addEventListener('open', () => {
      if (ws !== this.ws) return;
      this.sendRaw({ type: 'hello', ...this.route.hello });
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
    if (this.route.takeRedirect()) {
      this.sock = null;
      this.openSocket({ redirected: true });
      return;
    }
    this.route.dropped(!!(this.sock && this.sock.welcomedAt));
    const reason = this.retryBye || 'closed';
    this.retryBye = null;
    this.pendingIce = [];
    this.offersQueued = 0;
    this.clearConnectTimer();
    this.closePeer();
    const now = Date.now();
    this.attemptEnded(now);
    const inTime = this.backoff.dropped(now);
    this.dropPending = true;
    // A refused first attempt is reported to the page instead of looping,
    // unless the page asked to retry from the start.
    const willRetry = (this.welcomed || this.retryFirst) && inTime;
    this.emit('disconnected', { willRetry, attempt: this.backoff.attempt, reason, code });
    if (!willRetry) {
      this.backoff.stop();
      return;
    }
    const delay = this.backoff.nextDelay(now);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closedByUs) this.openSocket();
    }, delay);
  }

  // The socket of this attempt is gone: did its media fail, or was it good?
  attemptEnded(now) {
    const s = this.sock;
    this.sock = null;
    if (!s) return;
    if (s.offeredAt && !s.connected) {
      this.mediaFailed(s.offeredAt, now);
    } else if (s.welcomedAt && !s.offeredAt && now - s.welcomedAt >= STABLE_MS) {
      // Outside a call there is no media to wait for: a socket that stayed
      // up this long was a good connection, and this is a fresh drop.
      this.backoff.good();
    }
  }

  // An attempt's media never connected (begun at `startedAt`).
  mediaFailed(startedAt, now) {
    this.mediaFailures += 1;
    if (this.troubleSince === null) this.troubleSince = startedAt;
    const due = this.troubleSince + TROUBLE_AFTER_MS;
    if (this.mediaFailures >= 2 || now >= due) {
      this.setTrouble(true);
    } else if (!this.troubleTimer) {
      this.troubleTimer = setTimeout(() => {
        this.troubleTimer = null;
        if (!this.closedByUs && this.troubleSince !== null) this.setTrouble(true);
      }, due - now);
    }
  }

  // The media connected: the back-off and any trouble are over.
  mediaConnected() {
    if (this.sock) this.sock.connected = true;
    this.clearConnectTimer();
    this.backoff.good();
    this.mediaFailures = 0;
    this.troubleSince = null;
    clearTimeout(this.troubleTimer);
    this.troubleTimer = null;
    this.setTrouble(false);
  }

  setTrouble(on) {
    if (this.trouble === on) return;
    this.trouble = on;
    // Told again after each welcome while it lasts (the socket may be down now).
    this.sendRaw({ type: 'connect-trouble', trouble: on });
    this.emit('trouble', { active: on, since: this.troubleSince });
  }

  // An answered offer whose media does not connect in time failed (the
  // browser may sit in `checking` for a long time when UDP is blocked).
  startConnectTimer(pc) {
    this.clearConnectTimer();
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (pc !== this.pc || pc.connectionState === 'connected') return;
      console.warn('visit-client: the media did not connect in time; trying again');
      this.dropSocket(4003);
    }, MEDIA_CONNECT_MS);
  }

  clearConnectTimer() {
    clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  // The network is back (or a page asks): try at once instead of waiting,
  // within the budget.
  retryNow() {
    if (!this.retryTimer || this.closedByUs || this.ws) return;
    if (this.backoff.budgetWait(Date.now()) > 0) return;
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
        // The server is reachable; the back-off holds until the media
        // connects (see the top of this file).
        this.welcomed = true;
        this.route.welcomed();
        this.backoff.welcomed();
        if (this.sock) this.sock.welcomedAt = Date.now();
        this.iceConfig(); // fetched now, ready for the offer
        this.emit('welcome', msg);
        if (this.dropPending) {
          this.dropPending = false;
          this.emit('reconnected', { after: this.backoff.since(Date.now()) });
        }
        if (this.trouble) this.sendRaw({ type: 'connect-trouble', trouble: true });
        if (typeof msg.state === 'string') this.setState(msg.state);
        break;
      }
      case 'connect-trouble':
        if (typeof msg.participant === 'string') this.emit('peer-trouble', { ...msg, trouble: msg.trouble === true });
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
          if (this.sock && !this.sock.offeredAt) this.sock.offeredAt = Date.now();
          this.remote.forgetInfo(); // its own `streams` follows
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
      case 'media-state':
        if (typeof msg.participant === 'string') this.emit('media-state', msg);
        break;
      case 'modality':
        if (msg.modality === 'video' || msg.modality === 'audio-only') {
          this.modality = msg.modality;
          this.emit('modality', msg);
        }
        break;
      case 'queue':
        if (Number.isInteger(msg.position)) this.emit('queue', msg);
        break;
      case 'quality':
        this.emit('quality', msg);
        break;
      case 'record-changed':
        if (typeof msg.what === 'string') this.emit('record-changed', { what: msg.what });
        break;
      case 'streams':
        this.remote.setInfo(msg.streams);
        this.updateRemote();
        break;
      case 'error':
        // The server's fault answering a reconnect's hello: a drop (see the
        // top of this file), not a message for the page.
        if (msg.code === 'internal' && this.welcomed && this.sock && !this.sock.welcomedAt) {
          this.dropSocket(4004);
          break;
        }
        this.emit('server-error', { code: String(msg.code || 'internal'), message: String(msg.message || '') });
        break;
      case 'redirect':
        if (!this.route.redirect(msg)) console.warn('visit-client: redirect not followed');
        break;
      case 'nodes':
        this.route.nodes(msg.urls);
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
    const ice = await this.iceConfig();
    if (generation !== this.generation || !this.ws || this.pc) return;
    const pc = this.newPeer(ice);
    this.pc = pc;
    window.__thPeer = pc;
    this.remoteStream = new MediaStream();
    this.remote.reset(sdpMids(sdp), this.remoteStream);
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
      // Every m-line gives a track at once; `streams` says whose it is.
      this.remote.addTrack(ev.transceiver && ev.transceiver.mid, ev.track);
      this.updateRemote();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === 'connected') this.mediaConnected();
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
    this.prepareScreen(pc, sdp);
    if (this.offersQueued === 0) await this.flushIce();
    const answer = await pc.createAnswer();
    if (pc !== this.pc) return;
    await pc.setLocalDescription(answer);
    if (pc !== this.pc) return;
    this.sendRaw({ type: 'answer', sdp: pc.localDescription.sdp });
    if (pc.connectionState !== 'connected') this.startConnectTimer(pc);
  }

  newPeer(ice) {
    const forced = window.__thIcePolicy;
    const policy = forced === 'relay' || forced === 'all' ? forced : ice.iceTransportPolicy;
    try {
      return new RTCPeerConnection({ iceServers: ice.iceServers, iceTransportPolicy: policy, bundlePolicy: 'max-bundle' });
    } catch (err) {
      console.warn('visit-client: the ICE servers were refused, going on without', err);
      return new RTCPeerConnection({ ...NO_ICE, bundlePolicy: 'max-bundle' });
    }
  }

  // The STUN/TURN servers for the next RTCPeerConnection: one request at a
  // time, its answer reused while fresh. Never rejects.
  iceConfig() {
    const cached = this.iceCache;
    if (cached && (cached.pending || Date.now() < cached.reuseUntil)) return cached.promise;
    const entry = { pending: true, reuseUntil: 0 };
    entry.promise = this.fetchIce().then(({ ice, reuseMs }) => {
      entry.pending = false;
      entry.reuseUntil = Date.now() + reuseMs;
      return ice;
    });
    this.iceCache = entry;
    return entry.promise;
  }

  async fetchIce() {
    try {
      const headers = { Accept: 'application/json' };
      const { hello } = this.route;
      if (hello && typeof hello.token === 'string') headers.Authorization = `Bearer ${hello.token}`;
      const res = await fetch('/api/ice-servers', {
        headers, credentials: 'same-origin', cache: 'no-store', signal: AbortSignal.timeout(ICE_FETCH_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`GET /api/ice-servers: HTTP ${res.status}`);
      const body = await res.json();
      const left = Date.parse(body.expires_at) - Date.now();
      return { ice: iceFromServer(body), reuseMs: Number.isFinite(left) ? Math.max(0, Math.min(ICE_REUSE_MS, left / 2)) : 0 };
    } catch (err) {
      console.warn('visit-client: no ICE servers from the server, going on without', err);
      return { ice: NO_ICE, reuseMs: 0 };
    }
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
    this.screenTransceiver = null;
    // Nothing is received any more: no tiles until the next connection.
    const was = this.remote.reset();
    this.emit('remote-tracks', this.remote.last);
    if (was.screen) this.emit('screen', { stream: null });
    this.emit('connection', { state: 'closed' });
  }

  // Whose media is on which transceiver changed (a track or a `streams`
  // message came): the first other participant on the page's remote video,
  // everyone in `remote-tracks`, a shared screen in `screen`.
  updateRemote() {
    const before = this.remote.last;
    const now = this.remote.compute();
    const first = now.participants[0];
    if (first && first.stream !== this.remoteStream) {
      this.remoteStream = first.stream;
      this.emit('remote-stream', { stream: first.stream });
    } else if (!first && this.remote.info && this.remoteStream) {
      // Nobody else any more: no frozen last picture; the next one to
      // come shows here again.
      for (const t of this.remoteStream.getTracks()) this.remoteStream.removeTrack(t);
      this.remote.provisional = this.remoteStream;
    }
    if (this.remoteVideo && this.remoteStream) {
      if (this.remoteVideo.srcObject !== this.remoteStream) this.remoteVideo.srcObject = this.remoteStream;
      if (this.remoteStream.getTracks().length) this.playRemote();
    }
    this.emit('remote-tracks', now);
    const was = before.screen ? before.screen.stream : null;
    if ((now.screen ? now.screen.stream : null) !== was) this.emit('screen', now.screen ? { ...now.screen } : { stream: null });
  }

  // m2 carries my screen share up. It is answered sendrecv now, with no
  // track (nothing is sent), so that sharing later is a replaceTrack and
  // needs no renegotiation (which the server cannot do).
  prepareScreen(pc, sdp) {
    const mid = sdpMids(sdp)[2];
    const t = mid ? pc.getTransceivers().find((x) => x.mid === mid) : null;
    this.screenTransceiver = t && t.receiver.track && t.receiver.track.kind === 'video' ? t : null;
    if (!this.screenTransceiver) return;
    try { t.direction = 'sendrecv'; } catch (err) { console.warn('visit-client: no screen m-line', err); }
    if (this.screenTrack) t.sender.replaceTrack(this.screenTrack).catch(() => {});
  }

  // Shares a screen or window (the browser asks which); only the provider's
  // reaches the others (the server decides). Resolves with the track;
  // rejects when the user cancels. Ends by itself when the browser's own
  // "stop sharing" is used.
  async shareScreen() {
    if (this.screenTrack) return this.screenTrack;
    const media = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
    const track = media.getVideoTracks()[0];
    for (const t of media.getAudioTracks()) t.stop();
    if (!track) throw new Error('no screen to share');
    if ('contentHint' in track) track.contentHint = 'detail'; // sharp text over smooth motion
    this.screenTrack = track;
    track.addEventListener('ended', () => { if (this.screenTrack === track) this.stopScreen(); });
    const t = this.screenTransceiver;
    if (t && this.pc) {
      if (t.direction !== 'sendrecv') t.direction = 'sendrecv';
      await t.sender.replaceTrack(track);
    }
    this.emit('local-screen', { stream: new MediaStream([track]) });
    return track;
  }

  stopScreen() {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.stop();
    const t = this.screenTransceiver;
    if (t && this.pc) t.sender.replaceTrack(null).catch(() => {});
    this.emit('local-screen', { stream: null });
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
  // Tells the others whether my microphone and camera are on.
  sendMediaState(audio, video) { return this.sendRaw({ type: 'media-state', audio: !!audio, video: !!video }); }
  // Audio-only: stops sending the camera (nothing at all, not black frames)
  // or puts it back. Applied again to each new peer connection by whoever
  // calls applyCameraSending() once it connects.
  setCameraSending(on) {
    this.cameraOff = !on;
    return this.applyCameraSending();
  }

  async applyCameraSending() {
    const pc = this.pc;
    if (!pc) return;
    const local = await this.localStream;
    const cam = local && local.getVideoTracks()[0];
    if (!cam || pc !== this.pc) return;
    if (!pc.thCameraSender) pc.thCameraSender = pc.getSenders().find((s) => s.track === cam) || null;
    const sender = pc.thCameraSender;
    const want = this.cameraOff ? null : cam;
    if (sender && sender.track !== want) await sender.replaceTrack(want);
  }

  // Asks for the whole visit to be held as video or audio-only.
  requestModality(modality) { return this.sendRaw({ type: 'modality', modality }); }

  // Changes the tracks sent from now on; a live connection keeps its senders,
  // so swap the tracks in place.
  setLocalStream(stream) {
    this.localStream = stream;
    const pc = this.pc;
    if (stream && typeof stream.then === 'function') return;
    if (!pc || !stream) return;
    for (const sender of pc.getSenders()) {
      if (!sender.track || (this.screenTransceiver && sender === this.screenTransceiver.sender)) continue;
      const next = stream.getTracks().find((t) => t.kind === sender.track.kind);
      if (next) sender.replaceTrack(next).catch(() => {});
    }
  }

  // Says goodbye (if `sayLeave`) and shuts everything down. No reconnect.
  close({ sayLeave = false } = {}) {
    this.closedByUs = true;
    this.backoff.good();
    this.dropPending = false;
    window.removeEventListener('online', this.onOnline);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.clearConnectTimer();
    clearTimeout(this.troubleTimer);
    this.troubleTimer = null;
    if (sayLeave) this.sendRaw({ type: 'leave' });
    this.stopScreen();
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
