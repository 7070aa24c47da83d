// common.js: small helpers both pages use (fragment parsing, camera and
// microphone access with fallbacks, plain-language messages, the mute/camera toggles, the visit-state line).

// Reads "#token=..." (or "#visit=...") into a plain object. Tokens travel in the
// fragment so they never reach a server log or a Referer header.
export function readFragment(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const out = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

export function $(testid) {
  return document.querySelector(`[data-testid="${testid}"]`);
}

// Which kind of trouble a getUserMedia error is (keys of the help texts).
function problemOf(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'blocked';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'other';
  }
}

// Asks for camera and microphone; falls back to one of them.
// Resolves {stream, problem, missing}: problem is a key of deviceHelp or
// null; missing is 'camera' | 'microphone' | null when only one works.
export async function openDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return { stream: null, problem: 'unsupported', missing: null };
  }
  const video = { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' };
  let firstError = null;
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio: true, video }), problem: null, missing: null };
  } catch (err) {
    firstError = err;
    if (problemOf(err) === 'blocked') return { stream: null, problem: 'blocked', missing: null };
  }
  for (const [constraints, missing] of [[{ audio: true }, 'camera'], [{ video }, 'microphone']]) {
    try {
      return { stream: await navigator.mediaDevices.getUserMedia(constraints), problem: null, missing };
    } catch { /* try the next */ }
  }
  return { stream: null, problem: problemOf(firstError), missing: null };
}

// The console's camera and microphone: openDevices() with one plain
// sentence for the page's error line ({stream, problem}: problem null or text).
const PROBLEM_TEXT = {
  blocked: 'Camera and microphone access is blocked. Allow access in your browser (usually the camera icon in the address bar), then reload this page.',
  missing: 'No camera or microphone was found. Connect one, then reload this page.',
  busy: 'Your camera or microphone is being used by another app. Close that app, then reload this page.',
  unsupported: 'This browser cannot use a camera here. Please open the link in an up-to-date Chrome, Edge, Firefox or Safari.',
  other: 'We could not start your camera or microphone. Reload this page to try again.',
};

export async function getLocalMedia() {
  const { stream, problem, missing } = await openDevices();
  if (problem) return { stream: null, problem: PROBLEM_TEXT[problem] || PROBLEM_TEXT.other };
  if (missing) {
    return { stream, problem: `We could not start your ${missing}. You can still join; the other person will ${missing === 'camera' ? 'hear you but not see you' : 'see you but not hear you'}.` };
  }
  return { stream, problem: null };
}

// Plain words for the server's error codes (tests/CONTRACT.md).
export function serverErrorText(code, role) {
  switch (code) {
    case 'unauthorized':
      return role === 'provider'
        ? 'You are not signed in, or your session has ended. Reload the page to sign in again.'
        : 'This visit link is not valid or has expired. Please contact your clinic for a new link.';
    case 'revoked':
      return 'This link was withdrawn by the provider. If you think this is a mistake, please contact your clinic.';
    case 'forbidden':
      return 'You are not allowed to do that in this visit.';
    case 'not-found':
      return 'This visit could not be found.';
    case 'bad-state':
      return 'That is not possible right now: the visit has moved on. The page shows the current state.';
    case 'rate-limited':
      return 'Too many requests. Please wait a moment.';
    case 'bad-sdp':
    case 'bad-candidate':
      return 'The video connection could not be set up. Leave and join again.';
    default:
      return 'Something went wrong with the connection. If it keeps happening, leave and join again.';
  }
}

const STATE_WORDS = {
  patient: {
    scheduled: 'Your visit is scheduled',
    waiting: 'In the waiting room',
    in_progress: 'Your visit is in progress',
    ended: 'The visit has ended',
    left: 'You left the visit',
    revoked: 'Link withdrawn',
  },
  provider: {
    scheduled: 'Scheduled: no one waiting yet',
    waiting: 'Patient waiting',
    in_progress: 'Visit in progress',
    ended: 'Visit ended',
    left: 'You left the visit',
  },
};

// Shows the state in words and keeps the raw value in data-state.
export function showVisitState(el, state, role) {
  el.dataset.state = state || '';
  const words = (STATE_WORDS[role] || STATE_WORDS.patient)[state];
  el.textContent = words || (state ? `State: ${state}` : 'Not connected');
}

// "waiting 2 min" from an ISO time.
export function waitingFor(sinceIso, now = Date.now()) {
  const since = Date.parse(sinceIso);
  if (Number.isNaN(since)) return 'waiting';
  const minutes = Math.max(0, Math.floor((now - since) / 60000));
  if (minutes < 1) return 'waiting less than 1 min';
  if (minutes < 120) return `waiting ${minutes} min`;
  return `waiting ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

// The clinic's zone (IANA), once a staff page has read it from the server:
// a visit's time is the clinic's, as on the schedule, wherever the browser
// is. Unset (the patient's page), times are the browser's own.
let clinicZone;
export function setClinicTimeZone(zone) {
  try {
    new Intl.DateTimeFormat([], { timeZone: zone });
    clinicZone = zone;
  } catch { clinicZone = undefined; }
}

export function clockTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', ...(clinicZone ? { timeZone: clinicZone } : {}) });
}

// Wires the mute and camera buttons to the tracks of whatever stream
// getStream() returns at click time. Toggling track.enabled keeps the
// connection as it is; the other side gets silence or black frames.
export function wireMediaToggles(muteBtn, cameraBtn, getStream) {
  const render = () => {
    const stream = getStream();
    const audio = stream ? stream.getAudioTracks() : [];
    const video = stream ? stream.getVideoTracks() : [];
    const muted = audio.length > 0 && audio.every((t) => !t.enabled);
    const camOff = video.length > 0 && video.every((t) => !t.enabled);
    muteBtn.setAttribute('aria-pressed', String(muted));
    muteBtn.textContent = muted ? 'Unmute microphone' : 'Mute microphone';
    muteBtn.disabled = audio.length === 0;
    cameraBtn.setAttribute('aria-pressed', String(camOff));
    cameraBtn.textContent = camOff ? 'Turn camera on' : 'Turn camera off';
    cameraBtn.disabled = video.length === 0;
  };
  const toggle = (kind) => {
    const stream = getStream();
    if (!stream) return;
    const tracks = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    const enable = tracks.some((t) => !t.enabled);
    for (const t of tracks) t.enabled = enable;
    render();
  };
  muteBtn.addEventListener('click', () => toggle('audio'));
  cameraBtn.addEventListener('click', () => toggle('video'));
  render();
  return render;
}

export function stopStream(stream) {
  if (!stream) return;
  for (const t of stream.getTracks()) t.stop();
}

export function showMessage(el, text) {
  if (!el) return;
  el.textContent = text || '';
  el.hidden = !text;
}

// ------------------------------------------------------------ reconnecting

// This page's own connection: "Connection lost — reconnecting…" while the
// client retries, then "Reconnected" for a few seconds. `el` is a
// role="status" element.
export class ConnectionBanner {
  constructor(el) {
    this.el = el;
    this.timer = null;
  }

  lost() {
    this.show('Connection lost — reconnecting…', 'lost');
  }

  back() {
    if (!this.el || this.el.hidden) return; // nothing was shown: nothing to say
    this.show('Reconnected', 'back');
    this.timer = setTimeout(() => this.clear(), 5000);
  }

  show(text, kind) {
    if (!this.el) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.el.dataset.kind = kind;
    showMessage(this.el, text);
  }

  clear() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.el) this.el.dataset.kind = '';
    showMessage(this.el, '');
  }
}

// The other side's connection: "<name> is reconnecting…" while the server
// says peer-state reconnecting for them (several at once are listed).
export class PeerBanner {
  constructor(el) {
    this.el = el;
    this.who = new Map(); // participant → display name
    this.extra = '';
  }

  add(participant, name, extra = '') {
    this.who.set(participant || name, name || 'The other participant');
    this.extra = extra;
    this.render();
  }

  remove(participant) {
    if (this.who.delete(participant)) this.render();
  }

  clear() {
    this.who.clear();
    this.render();
  }

  render() {
    if (!this.el) return;
    const names = [...this.who.values()];
    let text = '';
    if (names.length === 1) text = `${names[0]} is reconnecting…`;
    else if (names.length > 1) text = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are reconnecting…`;
    if (text && this.extra) text = `${text} ${this.extra}`;
    showMessage(this.el, text);
  }
}

// A short, stable key for a join token (sessionStorage keys, never sent
// anywhere): hex SHA-256 where the browser has it, else FNV-1a.
export async function tokenKey(token) {
  const text = String(token || '');
  try {
    if (window.crypto && window.crypto.subtle) {
      const digest = await window.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
      return [...new Uint8Array(digest)].slice(0, 16).map((b) => b.toString(16).padStart(2, '0')).join('');
    }
  } catch { /* fall through */ }
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
