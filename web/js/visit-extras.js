// visit-extras.js: the parts of a visit both pages share beyond the video:
// chat (kept with the visit by the server), a visit timer, whether the
// others' microphone and camera are on, the switch to sound only (either
// side; the whole visit switches and the server records it), and a
// connection-quality indicator from the browser's stats and the server's
// `quality` messages, which suggests sound only when video stays poor.
//
// attachVisitExtras() wires them to a VisitClient; each part finds its
// elements by data-testid inside `root` and stays hidden if they are absent.

import { apiRequest, el } from './api.js';
import { clockTime } from './common.js';

const QUALITY_EVERY_MS = 2000;
// Three poor samples in a row (about 6 s) before sound only is suggested.
const POOR_BEFORE_SUGGESTING = 3;

function q(root, testid) { return root.querySelector(`[data-testid="${testid}"]`); }

// ------------------------------------------------------------------ chat

class ChatPanel {
  constructor(root, client, { token, names }) {
    this.section = q(root, 'chat');
    this.client = client;
    this.token = token;
    this.names = names;
    this.me = null;
    this.seen = new Set();
    if (!this.section) return;
    this.log = q(root, 'chat-log');
    this.form = q(root, 'chat-form');
    this.input = q(root, 'chat-input');
    this.status = q(root, 'chat-status');
    this.onSubmit = (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      if (this.client.chat(text) === false) {
        this.status.textContent = 'Not sent: the connection is down. Try again in a moment.';
        return;
      }
      this.input.value = '';
      this.status.textContent = '';
    };
    this.onKey = (ev) => {
      // Enter sends, Shift+Enter starts a new line (as in most chat apps).
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        this.form.requestSubmit();
      }
    };
    this.form.addEventListener('submit', this.onSubmit);
    this.input.addEventListener('keydown', this.onKey);
  }

  async welcome(visitId, me) {
    if (!this.section) return;
    this.me = me;
    this.section.hidden = false;
    try {
      const res = await apiRequest(`/api/visits/${encodeURIComponent(visitId)}/chat`, { token: this.token });
      for (const m of res.messages || []) {
        this.add({ from: m.participant, display_name: m.display_name, text: m.text, at: m.at });
      }
    } catch { /* history is a nicety; live messages still arrive */ }
  }

  add(m) {
    if (!this.section) return;
    const key = `${m.at}|${m.from}|${m.text}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (m.from && m.display_name) this.names.set(m.from, m.display_name);
    const mine = m.from === this.me;
    const who = mine ? 'You' : (m.display_name || this.names.get(m.from) || 'Someone');
    const item = el('li', { className: mine ? 'chat-msg mine' : 'chat-msg', dataset: { from: m.from || '' } },
      el('span', { className: 'chat-who' }, who),
      el('time', { className: 'chat-at', attrs: { datetime: m.at || '' } }, clockTime(m.at || '')),
      el('p', { className: 'chat-text' }, m.text));
    this.log.append(item);
    this.log.scrollTop = this.log.scrollHeight;
  }

  disable(text) {
    if (!this.section) return;
    this.input.disabled = true;
    this.form.querySelector('button').disabled = true;
    if (text) this.status.textContent = text;
  }
}

// ----------------------------------------------------------------- timer

class VisitTimer {
  constructor(node, key) {
    this.node = node;
    this.key = key;
    this.start = null;
    this.interval = 0;
  }

  begin(visitId) {
    if (!this.node || this.interval) return;
    // A reload keeps counting from when this tab first saw the visit start.
    const storeKey = `th-visit-start:${visitId}`;
    let start = Number(sessionStorage.getItem(storeKey));
    if (!Number.isFinite(start) || start <= 0) {
      start = Date.now();
      try { sessionStorage.setItem(storeKey, String(start)); } catch { /* storage off */ }
    }
    this.start = start;
    this.node.hidden = false;
    const tick = () => {
      const s = Math.max(0, Math.floor((Date.now() - this.start) / 1000));
      const mm = String(Math.floor(s / 60)).padStart(2, '0');
      const ss = String(s % 60).padStart(2, '0');
      this.node.dataset.seconds = String(s);
      this.node.textContent = `Visit time ${mm}:${ss}`;
    };
    tick();
    this.interval = window.setInterval(tick, 1000);
  }

  stop() {
    window.clearInterval(this.interval);
    this.interval = 0;
  }
}

// ------------------------------------------------- others' mic and camera

class PeerMedia {
  constructor(list, names) {
    this.list = list;
    this.names = names;
    this.states = new Map();
  }

  set(participant, audio, video) {
    this.states.set(participant, { audio, video });
    this.render();
  }

  remove(participant) {
    this.states.delete(participant);
    this.render();
  }

  render() {
    if (!this.list) return;
    const items = [];
    for (const [id, s] of this.states) {
      if (s.audio && s.video) continue; // only what is off is news
      const who = this.names.get(id) || 'The other person';
      const off = [!s.audio && 'microphone is off (muted)', !s.video && 'camera is off'].filter(Boolean).join(' and ');
      items.push(el('li', { dataset: { participant: id, audio: String(s.audio), video: String(s.video) } },
        `${who}: ${off}`));
    }
    this.list.replaceChildren(...items);
    this.list.hidden = items.length === 0;
  }
}

// ------------------------------------------------------------ quality

// Reads loss, round-trip time and bitrates from the peer connection.
export async function sampleStats(pc, last) {
  const report = await pc.getStats();
  const now = { at: performance.now(), rxPackets: 0, rxLost: 0, rxBytes: 0, rxVideoBytes: 0, txBytes: 0, rtt: null };
  let pairId = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      now.rxPackets += s.packetsReceived || 0;
      now.rxLost += Math.max(0, s.packetsLost || 0);
      now.rxBytes += s.bytesReceived || 0;
      if (s.kind === 'video') now.rxVideoBytes += s.bytesReceived || 0;
    } else if (s.type === 'outbound-rtp') {
      now.txBytes += s.bytesSent || 0;
    } else if (s.type === 'transport' && s.selectedCandidatePairId) {
      pairId = s.selectedCandidatePairId;
    }
  });
  const pair = pairId ? report.get(pairId) : null;
  if (pair && typeof pair.currentRoundTripTime === 'number') now.rtt = pair.currentRoundTripTime * 1000;
  if (!last) return { now, figures: null };
  const secs = Math.max(0.001, (now.at - last.at) / 1000);
  const got = now.rxPackets - last.rxPackets;
  const lost = now.rxLost - last.rxLost;
  const figures = {
    lossPct: got + lost > 0 ? (100 * Math.max(0, lost)) / (got + lost) : 0,
    rttMs: now.rtt,
    rxKbps: ((now.rxBytes - last.rxBytes) * 8) / 1000 / secs,
    rxVideoKbps: ((now.rxVideoBytes - last.rxVideoBytes) * 8) / 1000 / secs,
    txKbps: ((now.txBytes - last.txBytes) * 8) / 1000 / secs,
  };
  return { now, figures };
}

// good | fair | poor from the browser's figures and the server's view of
// what it receives from us (loss of our upstream, round trip to us).
export function rateQuality(f, server, audioOnly) {
  const loss = Math.max(f.lossPct, server && Number.isFinite(server.loss_pct) ? server.loss_pct : 0);
  const rtt = Math.max(f.rttMs ?? 0, server && Number.isFinite(server.rtt_ms) ? server.rtt_ms : 0);
  if (loss >= 8 || rtt >= 600) return 'poor';
  if (!audioOnly && f.rxVideoKbps > 0 && f.rxVideoKbps < 100) return 'poor';
  if (loss >= 3 || rtt >= 300) return 'fair';
  return 'good';
}

const QUALITY_WORDS = {
  good: 'Connection: good',
  fair: 'Connection: fair',
  poor: 'Connection: poor',
};

class QualityIndicator {
  constructor(root, client, { onPoor }) {
    this.node = q(root, 'quality');
    this.client = client;
    this.onPoor = onPoor;
    this.last = null;
    this.pc = null;
    this.server = null;
    this.poorRun = 0;
    this.timer = 0;
    this.audioOnly = false;
  }

  begin() {
    if (!this.node || this.timer) return;
    this.timer = window.setInterval(() => this.sample().catch(() => {}), QUALITY_EVERY_MS);
  }

  stop() {
    window.clearInterval(this.timer);
    this.timer = 0;
    if (this.node) this.node.hidden = true;
  }

  serverSays(msg) { this.server = msg; }

  async sample() {
    const pc = this.client.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    if (pc !== this.pc) { this.pc = pc; this.last = null; }
    const { now, figures } = await sampleStats(pc, this.last);
    this.last = now;
    if (!figures) return;
    const level = rateQuality(figures, this.server, this.audioOnly);
    const details = [
      `loss ${figures.lossPct.toFixed(1)}%`,
      figures.rttMs === null ? null : `round trip ${Math.round(figures.rttMs)} ms`,
      `receiving ${Math.round(figures.rxKbps)} kbit/s`,
      `sending ${Math.round(figures.txKbps)} kbit/s`,
    ].filter(Boolean).join(', ');
    this.node.hidden = false;
    this.node.dataset.level = level;
    this.node.dataset.loss = figures.lossPct.toFixed(1);
    this.node.textContent = QUALITY_WORDS[level];
    this.node.title = details;
    this.node.setAttribute('aria-label', `${QUALITY_WORDS[level]} (${details})`);
    this.poorRun = level === 'poor' ? this.poorRun + 1 : 0;
    if (this.poorRun >= POOR_BEFORE_SUGGESTING && !this.audioOnly) this.onPoor();
  }
}

// --------------------------------------------------------- the whole set

// Wires chat, timer, media state, audio-only and quality to a VisitClient.
// opts: {root, token (patients; staff use the cookie), getLocalStream,
// canChooseModality}
export function attachVisitExtras(client, opts) {
  const root = opts.root || document;
  const names = new Map();
  const chat = new ChatPanel(root, client, { token: opts.token, names });
  const timer = new VisitTimer(q(root, 'visit-timer'));
  const peerMedia = new PeerMedia(q(root, 'peer-media'), names);
  const audioBtn = q(root, 'audio-only');
  const suggestion = q(root, 'audio-only-suggestion');
  const modalityLine = q(root, 'modality');
  let modality = 'video';
  let me = null;
  let visitId = null;

  const quality = new QualityIndicator(root, client, {
    onPoor: () => { if (suggestion && modality === 'video') suggestion.hidden = false; },
  });

  // What my microphone and camera are doing, told to the others. The
  // camera may still be opening (the console connects at once and hands the
  // client a promise of its stream): wait for it, or the others are told
  // "microphone off, camera off" while my video plays, and keep being told
  // so by the server to whoever joins later.
  async function sendMyState() {
    await Promise.resolve(client.localStream).catch(() => null);
    const s = opts.getLocalStream && opts.getLocalStream();
    const a = s ? s.getAudioTracks().some((t) => t.enabled) : false;
    const v = s ? s.getVideoTracks().some((t) => t.enabled) && modality === 'video' : false;
    client.sendMediaState(a, v);
  }

  function showModality(m, by) {
    modality = m;
    quality.audioOnly = m === 'audio-only';
    document.body.dataset.modality = m;
    client.setCameraSending(m === 'video').catch(() => {});
    if (audioBtn) {
      audioBtn.setAttribute('aria-pressed', String(m === 'audio-only'));
      audioBtn.textContent = m === 'audio-only' ? 'Turn video back on' : 'Switch to sound only';
    }
    if (suggestion && m === 'audio-only') suggestion.hidden = true;
    if (modalityLine) {
      modalityLine.dataset.modality = m;
      modalityLine.hidden = m === 'video' && !by;
      const who = by && by !== me ? (names.get(by) || 'The other person') : (by ? 'You' : '');
      modalityLine.textContent = m === 'audio-only'
        ? `Sound only: video is off for everyone${who ? ` (${who} switched)` : ''}. You can still hear each other.`
        : `Video is back on${who ? ` (${who} switched)` : ''}.`;
    }
    sendMyState();
  }

  // The pages show the button (in a call, and not to guests).
  if (audioBtn && opts.canChooseModality) {
    audioBtn.addEventListener('click', () => {
      client.requestModality(modality === 'audio-only' ? 'video' : 'audio-only');
    });
  }
  if (suggestion) {
    const yes = suggestion.querySelector('[data-testid="audio-only-accept"]');
    const no = suggestion.querySelector('[data-testid="audio-only-dismiss"]');
    if (yes) yes.addEventListener('click', () => { suggestion.hidden = true; client.requestModality('audio-only'); });
    if (no) no.addEventListener('click', () => { suggestion.hidden = true; quality.poorRun = -30; });
  }

  client.addEventListener('welcome', (ev) => {
    me = ev.detail.participant;
    visitId = ev.detail.visit || visitId;
    if (visitId) chat.welcome(visitId, me);
    sendMyState();
  });
  client.addEventListener('chat', (ev) => chat.add(ev.detail));
  client.addEventListener('peer-state', (ev) => {
    const p = ev.detail;
    if (p.participant && p.display_name) names.set(p.participant, p.display_name);
    if (p.state === 'left') peerMedia.remove(p.participant);
    else peerMedia.render();
  });
  client.addEventListener('media-state', (ev) => {
    const m = ev.detail;
    // Named by the server: a page that joined after them knows them from this.
    if (typeof m.display_name === 'string' && m.display_name) names.set(m.participant, m.display_name);
    peerMedia.set(m.participant, !!m.audio, !!m.video);
  });
  client.addEventListener('modality', (ev) => showModality(ev.detail.modality, ev.detail.by || null));
  client.addEventListener('quality', (ev) => quality.serverSays(ev.detail));
  client.addEventListener('connection', (ev) => {
    if (ev.detail.state === 'connected') client.applyCameraSending().catch(() => {});
  });
  client.addEventListener('state', (ev) => {
    const { state } = ev.detail;
    if (state === 'in_progress') {
      timer.begin(visitId || 'visit');
      quality.begin();
    } else if (state === 'ended') {
      timer.stop();
      quality.stop();
      chat.disable('The visit has ended: messages are closed.');
      if (suggestion) suggestion.hidden = true;
    }
  });

  return {
    mediaToggled: sendMyState,
    stop() { timer.stop(); quality.stop(); },
  };
}
