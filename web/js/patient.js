// patient.js: the join page for patients and their guests (a family member
// or an interpreter the provider invited: same page, their own link). The
// join token comes in the URL fragment (#token=...); the server's welcome
// says whether it is a patient's or a guest's. Flow: preview → Join →
// waiting room → admitted (video call) → ended or left (or, for a guest,
// the link withdrawn). A dropped connection reconnects by itself, and a page
// reloaded mid-visit rejoins by itself (sessionStorage remembers that this
// tab joined the visit of this link).

import { VisitClient } from './visit-client.js';
import { Checkin } from './checkin.js';
import { DeviceCheck, Consent } from './prejoin.js';
import { attachVisitExtras } from './visit-extras.js';
import { Tiles } from './tiles.js';
import { apiRequest } from './api.js';
import { describeLink, clinicPhrase } from './link-info.js';
import {
  $, readFragment, serverErrorText, showVisitState, openDevices,
  wireMediaToggles, stopStream, showMessage, ConnectionBanner, PeerBanner, tokenKey,
} from './common.js';

const ui = {
  state: $('visit-state'),
  error: document.getElementById('error'),
  notice: document.getElementById('notice'),
  intro: document.getElementById('intro'),
  join: $('join'),
  leave: $('leave'),
  mute: $('mute'),
  camera: $('camera'),
  audioOnly: $('audio-only'),
  playRemote: $('play-remote'),
  localVideo: $('local-video'),
  remoteVideo: $('remote-video'),
  remoteTile: document.getElementById('remote-tile'),
  localTile: document.getElementById('local-tile'),
  remoteCaption: document.getElementById('remote-caption'),
  title: document.getElementById('page-title'),
  guestLine: document.getElementById('guest-line'),
  connection: $('connection-status'),
  peerReconnecting: $('peer-reconnecting'),
  trouble: $('connect-trouble'),
  troublePhone: $('trouble-phone'),
  troubleAudioOnly: $('trouble-audio-only'),
  when: $('visit-when'),
  earlyCheck: $('early-check'),
  testStart: $('device-test-start'),
  testStop: $('device-test-stop'),
  deviceSection: document.getElementById('device-check'),
};

const WAITING_TEXT = 'The provider will admit you shortly. Please keep this page open.';

let token = readFragment().token || '';
let localStream = null;
let client = null;
let phase = 'idle'; // idle | joining | joined | done
let visitId = '';
let role = '';
let providerName = '';
let mediaUp = false; // my media connection is `connected` now
let clinicPhone = null; // [clinic] phone, from GET /api/link
const connection = new ConnectionBanner(ui.connection);
const peers = new PeerBanner(ui.peerReconnecting);
const checkin = new Checkin(document.getElementById('checkin'), { token });
// Everyone else in the call (a guest, the provider's shared screen) beside the provider.
const tiles = new Tiles({ primary: { tile: ui.remoteTile, caption: ui.remoteCaption } });

const renderToggles = wireMediaToggles(ui.mute, ui.camera, () => localStream);
const prejoin = document.getElementById('prejoin');
const queueLine = $('queue');
let extras = null;
let consentOk = false;
const deviceCheck = new DeviceCheck(document.getElementById('device-check'), {
  onRetry: async () => {
    stopStream(localStream);
    localStream = null;
    return openDevices().then((result) => { usePreview(result); return result; });
  },
});
const consent = new Consent(document.getElementById('consent'), {
  token,
  onBadLink: () => {
    setError(serverErrorText('unauthorized', 'patient'));
    ui.intro.hidden = true;
    document.getElementById('device-check').hidden = true;
  },
  onAnswer: (answer, fromUser) => {
    consentOk = !!(answer && answer.decision === 'accepted');
    if (phase === 'idle' && !ui.join.hidden) ui.join.disabled = !token || !consentOk;
    // Next step after "I agree": the Join button, for keyboards and screen readers too.
    if (consentOk && fromUser && !ui.join.disabled) ui.join.focus();
  },
});
// Mute and camera buttons: the others see the change.
for (const btn of [ui.mute, ui.camera]) btn.addEventListener('click', () => { if (extras) extras.mediaToggled(); });

function setError(text) { showMessage(ui.error, text); }
function setNotice(text) { showMessage(ui.notice, text); }

// "This tab joined the visit of this link": a reload rejoins by itself.
// Keyed by a hash of the link's token (the visit id is only known after
// welcome); the value is the visit id.
const JOINED_PREFIX = 'th-joined:';
let joinedKey = null;
async function remembered() {
  joinedKey = joinedKey || `${JOINED_PREFIX}${await tokenKey(token)}`;
  try { return sessionStorage.getItem(joinedKey); } catch { return null; }
}
async function remember(visit) {
  joinedKey = joinedKey || `${JOINED_PREFIX}${await tokenKey(token)}`;
  try { sessionStorage.setItem(joinedKey, visit || 'joined'); } catch { /* storage off: no auto-rejoin */ }
}
function forget() {
  if (!joinedKey) return;
  try { sessionStorage.removeItem(joinedKey); } catch { /* ignore */ }
}

function usePreview({ stream }) {
  localStream = stream;
  ui.localVideo.srcObject = stream;
  ui.localTile.hidden = false;
  renderToggles();
}

// Turns the camera and microphone off (every track stopped: the camera's
// light goes out), e.g. after Leave; Join opens them again.
function releaseDevices() {
  deviceCheck.close();
  stopStream(localStream);
  localStream = null;
  ui.localVideo.srcObject = null;
  ui.localTile.hidden = true;
  renderToggles();
}

async function startPreview() {
  const result = await openDevices();
  usePreview(result);
  deviceCheck.show(result);
  return result.stream;
}

function showJoinButton(label) {
  ui.join.textContent = label;
  ui.join.hidden = false;
  // Joining needs the link and a "yes" to the video visit.
  ui.join.disabled = !token || !consentOk;
}

// "You are next" while waiting; nothing once admitted.
function showQueue({ position, provider_present: present }) {
  const place = position <= 1 ? 'You are next in line.' : `You are number ${position} in line.`;
  queueLine.dataset.position = String(position);
  queueLine.dataset.providerPresent = String(!!present);
  queueLine.textContent = present
    ? `${place} Your provider knows you are here.`
    : `${place} Your provider will see that you are here as soon as they open your visit.`;
  queueLine.hidden = false;
}

// "Your visit is in progress" only while the call is really connected:
// connecting, or not getting through, is said as such.
function renderStateLine(state) {
  showVisitState(ui.state, state, 'patient');
  let media = '';
  if (state === 'in_progress' && client && !mediaUp) {
    if (client.trouble) media = 'trouble';
    else if (client.pc) media = 'connecting';
  }
  ui.state.dataset.media = media;
  if (media === 'trouble') ui.state.textContent = 'Your video call is not connecting';
  else if (media === 'connecting') ui.state.textContent = 'Connecting your video call…';
}

// The clinic's number (from the consent text's "call …" line, e.g. "your
// clinic at (555) 010-0100") with the number as a link a phone can call.
function showPhone(el, phrase) {
  const text = phrase || 'your clinic';
  const m = /\+?[\d(][\d\s().-]{5,}\d/.exec(text);
  if (!m) {
    el.textContent = text;
    return;
  }
  const link = document.createElement('a');
  link.href = `tel:${m[0].replace(/[^\d+]/g, '')}`;
  link.textContent = m[0];
  el.replaceChildren(text.slice(0, m.index), link, text.slice(m.index + m[0].length));
}

// My media keeps failing: what to try, in plain words (issue 11). The
// "reconnecting" banner would only flicker with each attempt meanwhile.
function showTrouble(on) {
  ui.trouble.hidden = !on;
  if (on) {
    setError(''); // this says more than any error before it
    setNotice('');
    showPhone(ui.troublePhone, clinicPhone ? clinicPhrase(clinicPhone) : consent.phone);
    ui.troubleAudioOnly.hidden = role === 'guest' || !client || client.modality === 'audio-only';
    connection.clear();
  }
  if (client) renderStateLine(client.state);
}

function render(state) {
  renderStateLine(state);
  if (state !== 'waiting' && state !== 'scheduled') queueLine.hidden = true;
  ui.audioOnly.hidden = state !== 'in_progress' || role === 'guest';
  const inCall = state === 'in_progress';
  ui.remoteTile.hidden = !inCall;
  if (state === 'scheduled' || state === 'waiting') setNotice(WAITING_TEXT);
  else if (inCall) setNotice('');
  // The optional questions sit beside the waiting message; admission hides
  // them. They are the patient's own: a guest never sees them.
  if (role !== 'guest') checkin.update(visitId, state);
}

async function join({ resume = false } = {}) {
  if (!token || phase === 'joining' || phase === 'joined') return;
  phase = 'joining';
  setError('');
  ui.join.disabled = true;
  ui.join.textContent = 'Joining…';
  ui.intro.hidden = true;
  prejoin.hidden = true;
  deviceCheck.close();
  // The camera again after Leave (it was released): no device check now.
  if (!localStream) usePreview(await openDevices());

  client = new VisitClient({ hello: { token }, remoteVideo: ui.remoteVideo, localStream, retryFirst: resume });
  mediaUp = false;
  tiles.follow(client);
  extras = attachVisitExtras(client, {
    token, getLocalStream: () => localStream, canChooseModality: true,
  });
  client.addEventListener('welcome', (ev) => { ui.audioOnly.hidden = ev.detail.role === 'guest'; });
  client.addEventListener('queue', (ev) => showQueue(ev.detail));
  client.addEventListener('welcome', (ev) => {
    phase = 'joined';
    if (ev.detail.visit) visitId = ev.detail.visit;
    if (ev.detail.state !== 'ended') remember(visitId);
    role = ev.detail.role || '';
    if (role === 'guest') showGuest(ev.detail);
    ui.join.hidden = true;
    ui.leave.hidden = false;
    if (ev.detail.display_name && role !== 'guest') document.title = `Video visit: ${ev.detail.display_name}`;
  });
  client.addEventListener('state', (ev) => {
    render(ev.detail.state);
    if (ev.detail.state === 'ended') finish('The visit has ended. Thank you. You can close this page now.');
  });
  client.addEventListener('peer-state', (ev) => {
    const p = ev.detail;
    if (p.role !== 'provider') return;
    if (p.display_name) {
      ui.remoteCaption.textContent = p.display_name;
      providerName = p.display_name;
    }
    const who = providerName || 'Your provider';
    if (p.state === 'reconnecting') {
      peers.add(p.participant, who, 'Please stay on this page.');
    } else {
      peers.remove(p.participant);
    }
    if (p.state === 'left' && client && client.state === 'in_progress') {
      setNotice(`${who} left the visit. Please stay on this page; they can come back.`);
    } else if (p.state === 'connected' || p.state === 'admitted') {
      setNotice('');
    }
  });
  client.addEventListener('server-error', (ev) => {
    const { code } = ev.detail;
    // The server's "the media connection failed" while the call connects:
    // the page tries again by itself (and says what to try if it keeps
    // failing), so "leave and join again" would be the wrong advice.
    if (code === 'internal' && client && client.pc && !mediaUp) return;
    setError(serverErrorText(code, 'patient'));
    if (code === 'revoked') {
      finish(serverErrorText(code, 'patient'), 'revoked');
      setError('');
      return;
    }
    if (code === 'unauthorized' || code === 'not-found' || code === 'forbidden') {
      // The link itself is bad: stop here, the server will not let us in.
      forget();
      connection.clear();
      ui.trouble.hidden = true;
      client.close();
      client = null;
      phase = 'idle';
      ui.leave.hidden = true;
      setNotice('');
      showVisitState(ui.state, '', 'patient');
      ui.state.textContent = 'Could not join';
      showJoinButton('Try again');
    }
  });
  client.addEventListener('bye', (ev) => {
    const reason = ev.detail.reason;
    if (reason === 'visit-ended') finish('The visit has ended. Thank you. You can close this page now.', 'ended');
    else if (reason === 'replaced') finish('This visit was opened in another window or device, so this page stopped.', 'left', true);
    else if (reason === 'revoked') finish('This link was withdrawn by the provider. If you think this is a mistake, please contact the clinic.', 'revoked');
    // The server closes a connection that never got into the visit (its
    // hello refused, e.g. the visit full): the refusal stays on screen.
    else if (reason === 'hello-timeout') finish('This page could not join the visit. Press Join again to try once more.', 'left', true);
    else finish('You left the visit.', 'left', true);
  });
  client.addEventListener('disconnected', (ev) => {
    if (ev.detail.willRetry) {
      if (!client.trouble) connection.lost();
      ui.playRemote.hidden = true;
    } else if (phase === 'joining') {
      connection.clear();
      phase = 'idle';
      client = null;
      setError('We could not reach the visit service. Check your internet connection and try again.');
      showJoinButton('Try again');
    } else {
      finish('We could not reconnect to the visit. Check your internet connection, then press Join again.', 'left', true);
    }
  });
  client.addEventListener('reconnected', () => connection.back());
  client.addEventListener('autoplay-blocked', () => { ui.playRemote.hidden = false; });
  client.addEventListener('connection', (ev) => {
    // A failed media path ends in a reconnect (the client drops the socket).
    mediaUp = ev.detail.state === 'connected';
    if (mediaUp) setError('');
    if (client) renderStateLine(client.state);
  });
  client.addEventListener('trouble', (ev) => showTrouble(ev.detail.active));
  client.addEventListener('modality', () => { if (client && client.trouble) showTrouble(true); });
  // The provider's media cannot connect: say so, and that the clinic may call.
  client.addEventListener('peer-trouble', (ev) => {
    const p = ev.detail;
    // My own trouble message says what matters then.
    if (p.role !== 'provider' || (client && client.trouble)) return;
    const who = providerName || p.display_name || 'Your provider';
    if (p.trouble) setNotice(`${who}'s video is not getting through. Please stay on this page; the clinic may call you.`);
    else setNotice('');
  });
  client.connect();
}

// A guest's welcome: say whose visit this is, with no more than the server
// sent (welcome.patient_display_name, tests/CONTRACT.md; null when unknown).
function showGuest(welcome) {
  const patientName = typeof welcome.patient_display_name === 'string' ? welcome.patient_display_name.trim() : '';
  ui.title.textContent = 'Joining a video visit as a guest';
  ui.guestLine.textContent = patientName
    ? `You are joining ${patientName}'s video visit as a guest. The provider lets you in when they are ready.`
    : 'You are joining this video visit as a guest. The provider lets you in when they are ready.';
  ui.guestLine.hidden = false;
  ui.remoteCaption.textContent = 'The provider';
  document.title = 'Video visit (guest)';
}

// Ends this page's part in the visit. `rejoin`: offer the Join button again.
function finish(text, state = 'ended', rejoin = false) {
  if (extras) extras.stop();
  extras = null;
  queueLine.hidden = true;
  if (client) {
    client.close();
    client = null;
  }
  connection.clear();
  peers.clear();
  mediaUp = false;
  ui.trouble.hidden = true;
  // A reload after this starts from the Join button again (but a lost
  // connection that could not come back is still "joined").
  if (!/could not reconnect/.test(text)) forget();
  phase = rejoin ? 'idle' : 'done';
  if (!rejoin) ui.guestLine.hidden = true; // "the provider lets you in" no longer holds
  render(state);
  ui.remoteTile.hidden = true;
  ui.leave.hidden = true;
  ui.playRemote.hidden = true;
  setNotice(text);
  // Out of the visit, the camera is off (Join again opens it).
  releaseDevices();
  if (rejoin) {
    showJoinButton('Join again');
  } else {
    ui.join.hidden = true;
    ui.mute.hidden = true;
    ui.camera.hidden = true;
  }
}

ui.join.addEventListener('click', join);
// Sound only from the trouble message: the same as the button below the video.
ui.trouble.querySelector('[data-testid="trouble-audio-only-button"]').addEventListener('click', () => {
  ui.troubleAudioOnly.hidden = true;
  ui.audioOnly.click();
});
ui.leave.addEventListener('click', () => {
  if (client) client.close({ sayLeave: true });
  client = null;
  finish('You left the visit. If you left by mistake, press Join again.', 'left', true);
});
ui.playRemote.addEventListener('click', () => {
  ui.playRemote.hidden = true;
  ui.remoteVideo.play().catch(() => { ui.playRemote.hidden = false; });
});
// Another link in the address bar is another visit: start over with it.
window.addEventListener('hashchange', () => {
  if ((readFragment().token || '') !== token) window.location.reload();
});
// Leaving the page (a reload, a closed tab) is not "leave": the server keeps
// the place for the grace period, and a reload comes straight back.
window.addEventListener('pagehide', () => {
  if (client) client.close();
  client = null;
  if (phase === 'joining' || phase === 'joined') phase = 'idle';
});
window.addEventListener('pageshow', (ev) => {
  if (ev.persisted) resumeIfJoined(); // back from the back/forward cache
});

// A page reloaded mid-visit rejoins by itself: camera again, then hello.
async function resumeIfJoined() {
  if (!token || phase !== 'idle' || !(await remembered())) return false;
  ui.intro.hidden = true;
  setNotice('Rejoining your visit…');
  join({ resume: true });
  return true;
}

// ------------------------------------------------ what the link is for

// Shows `text` in `el` with the clinic's number as a link a phone can call.
function showWithPhone(el, text) {
  el.hidden = !text;
  showPhone(el, text);
}

// Nothing to join here: no consent, no device check, no Join, camera off.
function closePrejoin() {
  ui.intro.hidden = true;
  prejoin.hidden = true;
  consent.root.hidden = true;
  ui.join.hidden = true;
  ui.mute.hidden = true;
  ui.camera.hidden = true;
  ui.localTile.hidden = true;
}

// A link the server does not know (or none, or a malformed one): say so with
// the clinic's phone. The camera is never turned on for it.
function showBadLink(err) {
  document.body.dataset.link = 'invalid';
  closePrejoin();
  clinicPhone = err.clinicPhone || null;
  const text = err.status === 401 && err.serverMessage
    ? err.serverMessage
    : `This visit link is not valid. Please call ${clinicPhrase(clinicPhone)} for a new link.`;
  showWithPhone(ui.error, text);
  showVisitState(ui.state, '', 'patient');
  ui.state.textContent = 'Link not valid';
}

// The visit ended, was cancelled, or the link's time is over.
function showClosed(kind, info) {
  document.body.dataset.link = kind;
  closePrejoin();
  const call = clinicPhrase(clinicPhone);
  const words = {
    ended: ['ended', 'This visit has ended, so there is nothing to join. '
      + `If you need another visit, please call ${call}.`],
    cancelled: ['', `This visit was cancelled. Please call ${call} to arrange another one.`],
    late: ['', `This visit link has expired: it was only for the visit's time. Please call ${call} for a new link.`],
  }[kind];
  showVisitState(ui.state, words[0], 'patient');
  if (kind === 'cancelled') ui.state.textContent = 'Visit cancelled';
  if (kind === 'late') ui.state.textContent = 'Link expired';
  showWithPhone(ui.notice, words[1]);
  ui.when.hidden = !info;
}

// Too early: when, with whom, from when; a device test meanwhile (the
// camera only on the patient's own click, and off again after).
function showEarly() {
  document.body.dataset.link = 'early';
  ui.intro.hidden = true;
  consent.root.hidden = true;
  ui.join.hidden = true;
  ui.mute.hidden = true;
  ui.camera.hidden = true;
  ui.localTile.hidden = true;
  ui.deviceSection.hidden = true;
  ui.earlyCheck.hidden = false;
  showVisitState(ui.state, 'scheduled', 'patient');
  ui.state.textContent = 'Not open yet';
  ui.testStart.addEventListener('click', async () => {
    ui.testStart.hidden = true;
    ui.testStop.hidden = false;
    ui.deviceSection.hidden = false;
    ui.mute.hidden = false;
    ui.camera.hidden = false;
    await startPreview();
  });
  ui.testStop.addEventListener('click', () => {
    releaseDevices();
    ui.testStop.hidden = true;
    ui.testStart.hidden = false;
    ui.deviceSection.hidden = true;
    ui.mute.hidden = true;
    ui.camera.hidden = true;
    ui.testStart.focus();
  });
}

// The page's first question: what is this link for (GET /api/link, asked
// even outside the link's window). Only a link that is open now goes on to
// the consent, the camera and Join.
async function start() {
  let info;
  try {
    info = await apiRequest('/api/link', { token });
  } catch (err) {
    if (err.status === 401 || err.status === 404) {
      showBadLink(err);
    } else {
      closePrejoin();
      setError('We could not check your visit link. Check your internet connection, then reload this page.');
    }
    return;
  }
  clinicPhone = info.clinic_phone || null;
  if (info.provider && info.provider.display_name) {
    providerName = info.provider.display_name;
    ui.remoteCaption.textContent = providerName;
  }
  const { when, opens } = describeLink(info);
  ui.when.textContent = opens ? `${when} ${opens}` : when;
  ui.when.hidden = false;
  if (info.state === 'ended') return showClosed('ended', info);
  if (info.state === 'cancelled') return showClosed('cancelled', info);
  if (info.window === 'late') return showClosed('late', info);
  if (info.window === 'early') return showEarly();
  document.body.dataset.link = 'open';
  consent.load();
  startPreview().finally(async () => {
    if (!(await resumeIfJoined())) showJoinButton('Join visit');
  });
}

start();
