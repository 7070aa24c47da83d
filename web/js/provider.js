// provider.js: the provider console. Staff are signed in (session cookie;
// without one the page sends them to the sign-in page and back). The visit
// to open comes in the URL fragment (#visit=<id>). Lists today's visits,
// connects to the selected one, shows the waiting room with Admit buttons,
// guest invitations, the call and the End visit button. A dropped connection
// (or a server restart) reconnects by itself; a reloaded console reopens the
// visit from #visit and says hello again.

import { VisitClient } from './visit-client.js';
import { RecordPanel } from './record-panel.js';
import { GuestPanel } from './guests.js';
import { MessagesPanel } from './messages.js';
import { WaitingAlerts } from './alerts.js';
import { attachVisitExtras } from './visit-extras.js';
import { Tiles } from './tiles.js';
import { ReviewQueue } from './review-queue.js';
import { renderSupervised } from './supervised.js';
import { FollowUpPanel } from './followup-panel.js';
import { ConsoleAlerts } from './monitoring-alerts.js';
import { startStaffSession, checkStaffSession, staffApi, signOut } from './session.js';
import { watchVisits } from './visit-events.js';
import {
  $, readFragment, getLocalMedia, serverErrorText, showVisitState, waitingFor,
  clockTime, setClinicTimeZone, wireMediaToggles, showMessage, ConnectionBanner, PeerBanner,
} from './common.js';

const ui = {
  who: document.getElementById('who'),
  logout: $('logout'),
  error: document.getElementById('error'),
  notice: document.getElementById('notice'),
  visits: document.getElementById('visits'),
  visitsStatus: document.getElementById('visits-status'),
  title: document.getElementById('visit-title'),
  state: $('visit-state'),
  waiting: document.getElementById('waiting'),
  waitingEmpty: document.getElementById('waiting-empty'),
  remoteTile: document.getElementById('remote-tile'),
  remoteCaption: document.getElementById('remote-caption'),
  remoteVideo: $('remote-video'),
  localVideo: $('local-video'),
  mute: $('mute'),
  camera: $('camera'),
  playRemote: $('play-remote'),
  endVisit: $('end-visit'),
  connection: $('connection-status'),
  peerReconnecting: $('peer-reconnecting'),
  peerTrouble: $('peer-trouble'),
  trouble: $('connect-trouble'),
  endDialog: document.getElementById('end-dialog'),
};

const STATE_SHORT = {
  scheduled: 'Scheduled', waiting: 'Waiting', in_progress: 'In progress', ended: 'Ended',
  cancelled: 'Cancelled', no_show: 'No-show',
};

const fragment = readFragment();
let selectedVisit = fragment.visit || '';
let visits = [];
let waitingList = [];
let client = null;
let listening = null;   // the AbortController of client's listeners
let localStream = null;
let mediaReady = Promise.resolve(null);

const record = new RecordPanel(document.getElementById('record'));
const guests = new GuestPanel(document.getElementById('guests'));
const patientMessages = new MessagesPanel(document.getElementById('messages'));
// After End visit: book the next follow-up from the server's suggestion.
const followUp = new FollowUpPanel(document.getElementById('follow-up'), {
  onBooked: () => { record.refresh(); loadOverdueCount(); },
});
// Guests beside the patient, a shared screen, and the Share screen button.
const tiles = new Tiles({
  primary: { tile: ui.remoteTile, caption: ui.remoteCaption },
  shareButton: document.getElementById('share-screen'),
  onError: (text) => setError(text),
});

const connection = new ConnectionBanner(ui.connection);
const peers = new PeerBanner(ui.peerReconnecting);
// Participants whose media cannot connect (the server relays connect-trouble):
// participant → {name, role}. Kept apart from "reconnecting", which comes
// and goes with each of their attempts.
const troubled = new Map();

function renderPeerTrouble() {
  ui.peerTrouble.replaceChildren(...[...troubled.values()].map(({ name, role }) => {
    const p = document.createElement('p');
    const who = role === 'guest' ? `${name} (guest)` : name;
    p.textContent = `${who}'s connection is not getting through: their network may block video calls. `
      + 'Their page asks them to try another network or to call the clinic, and keeps trying. '
      + 'You can call them to go on by phone.';
    return p;
  }));
  ui.peerTrouble.hidden = troubled.size === 0;
}

function clearTrouble() {
  troubled.clear();
  renderPeerTrouble();
  ui.trouble.hidden = true;
}

const renderToggles = wireMediaToggles(ui.mute, ui.camera, () => localStream);
const review = new ReviewQueue($('review'), $('to-cosign'));
const alerts = new WaitingAlerts({ banner: $('waiting-alert'), enableButton: $('alerts-enable') });
let extras = null;
// Mute and camera buttons: the others see the change.
for (const btn of [ui.mute, ui.camera]) btn.addEventListener('click', () => { if (extras) extras.mediaToggled(); });

function setError(text) { showMessage(ui.error, text); }
function setNotice(text) { showMessage(ui.notice, text); }

function showStaff(staff) {
  const name = staff && (staff.display_name || staff.username);
  ui.who.textContent = name ? `Signed in as ${name}` : '';
  ui.logout.hidden = false;
}

// The header's Overdue link says how many (GET /api/overdue).
async function loadOverdueCount({ polled = false } = {}) {
  const link = $('to-overdue');
  try {
    const body = await staffApi('/api/overdue', { background: polled });
    const n = Number(body && body.count) || 0;
    link.textContent = n ? `Overdue (${n})` : 'Overdue';
  } catch { /* the link still works; the page says what failed */ }
}

let visitsLoaded = false;
// polled: called by the timer, not by the user (see api.js, background).
async function loadVisits({ polled = false } = {}) {
  try {
    const body = await staffApi('/api/visits?day=today', { background: polled });
    visits = Array.isArray(body && body.visits) ? body.visits : [];
    if (body && body.time_zone) setClinicTimeZone(body.time_zone);
    renderSupervised($('supervised'), body && body.supervised);
    alerts.otherVisitsChanged(visits, selectedVisit, { firstLoad: !visitsLoaded });
    visitsLoaded = true;
    ui.visitsStatus.textContent = visits.length ? '' : 'No visits today.';
    ui.visitsStatus.hidden = visits.length > 0;
  } catch (err) {
    if (err.status === 401) return; // on the way to the sign-in page
    ui.visitsStatus.hidden = false;
    ui.visitsStatus.textContent = 'Could not load the visit list.';
  }
  renderVisits();
}

function renderVisits() {
  // Re-rendered when the list is polled: keyboard focus stays where it was.
  const focused = ui.visits.contains(document.activeElement) ? document.activeElement.dataset.visit : null;
  ui.visits.replaceChildren();
  for (const v of visits) {
    const li = document.createElement('li');
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'visit-item';
    btn.dataset.visit = v.id;
    if (v.id === selectedVisit) btn.setAttribute('aria-current', 'true');
    const name = document.createElement('span');
    name.className = 'visit-name';
    name.textContent = (v.patient && v.patient.display_name) || 'Patient';
    const meta = document.createElement('span');
    meta.className = 'visit-meta';
    const time = clockTime(v.scheduled_at);
    const badge = document.createElement('span');
    badge.className = `badge badge-${v.state}`;
    badge.textContent = STATE_SHORT[v.state] || v.state;
    meta.append(time ? `${time} · ` : '', badge);
    btn.append(name, meta);
    btn.addEventListener('click', () => selectVisit(v.id));
    li.append(btn);
    ui.visits.append(li);
    if (focused && focused === v.id) btn.focus();
  }
}

function currentVisitInfo() {
  return visits.find((v) => v.id === selectedVisit) || null;
}

function renderTitle() {
  const v = currentVisitInfo();
  if (!selectedVisit) ui.title.textContent = 'No visit selected';
  else if (v) ui.title.textContent = `Visit with ${(v.patient && v.patient.display_name) || 'patient'}${v.scheduled_at ? `, ${clockTime(v.scheduled_at)}` : ''}`;
  else ui.title.textContent = 'Visit';
  if (v && v.patient && v.patient.display_name) ui.remoteCaption.textContent = v.patient.display_name;
}

// " waiting 2 min, since 10:42" from the data the span carries.
function sinceText(el) {
  const at = clockTime(el.dataset.since);
  return `${el.dataset.prefix} ${waitingFor(el.dataset.since)}${at ? `, since ${at}` : ''}`;
}

function renderWaiting() {
  ui.waiting.replaceChildren();
  ui.waitingEmpty.hidden = waitingList.length > 0;
  const canAdmit = client && client.state !== 'ended';
  for (const p of waitingList) {
    const li = document.createElement('li');
    li.className = 'waiting-item';
    li.dataset.participant = p.participant;
    const text = document.createElement('span');
    const name = document.createElement('strong');
    name.textContent = p.display_name || p.role || 'Someone';
    const since = document.createElement('span');
    since.className = 'waiting-since';
    since.dataset.since = p.since || '';
    since.dataset.prefix = p.role && p.role !== 'patient' ? ` (${p.role})` : '';
    since.textContent = sinceText(since);
    text.append(name, since);
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'btn btn-primary';
    btn.dataset.testid = 'admit';
    btn.textContent = 'Admit';
    btn.setAttribute('aria-label', `Admit ${p.display_name || 'participant'}`);
    btn.disabled = !canAdmit;
    btn.addEventListener('click', () => {
      if (!client) return;
      btn.disabled = true;
      btn.textContent = 'Admitting…';
      client.admit(p.participant);
    });
    li.append(text, btn);
    ui.waiting.append(li);
  }
}

function renderState(state) {
  showVisitState(ui.state, state, 'provider');
  // console.css lays the page out around the call while it is in progress.
  document.body.dataset.visitState = state || '';
  if (state === 'ended' && ui.endDialog.open) ui.endDialog.close();
  if (state) {
    record.setVisitState(state);
    guests.setVisitState(state);
  }
  ui.endVisit.disabled = !client || state === 'ended' || !state;
  ui.remoteTile.hidden = state !== 'in_progress';
  const v = currentVisitInfo();
  if (v && state && v.state !== state) {
    v.state = state;
    renderVisits();
  }
  if (state === 'ended') {
    waitingList = [];
    peers.clear();
    connection.clear();
    clearTrouble();
    renderWaiting();
    setNotice('The visit has ended.');
    if (selectedVisit) followUp.show(selectedVisit);
  }
}

// Stops listening to the current visit's client, then closes it: events
// it still sends (a late bye, its own close) reach nobody.
function dropClient() {
  if (listening) listening.abort();
  listening = null;
  if (client) client.close();
  client = null;
}

function selectVisit(id) {
  if (!id) return;
  dropClient();
  if (extras) extras.stop();
  alerts.reset();
  selectedVisit = id;
  history.replaceState(null, '', `#${new URLSearchParams({ visit: id })}`);
  waitingList = [];
  setError('');
  setNotice('');
  connection.clear();
  peers.clear();
  clearTrouble();
  renderVisits();
  renderTitle();
  renderWaiting();
  renderState('');
  followUp.hide();
  ui.state.textContent = 'Connecting…';
  record.setVisit(id);
  guests.setVisit(id);
  patientMessages.setVisit(id);

  // Connect at once; an offer (only after an admit) waits for the camera.
  // No token: the browser sends the session cookie with the upgrade.
  const c = new VisitClient({ hello: { visit: id }, remoteVideo: ui.remoteVideo, localStream: mediaReady });
  client = c;
  // One AbortController per client: selecting another visit (or signing
  // out) removes every listener below at once.
  listening = new AbortController();
  const { signal } = listening;
  const on = (type, listener) => c.addEventListener(type, listener, { signal });
  tiles.follow(c);
  extras = attachVisitExtras(c, { getLocalStream: () => localStream, canChooseModality: true });
  on('state', (ev) => {
    renderState(ev.detail.state);
    $('audio-only').hidden = ev.detail.state !== 'in_progress';
  });
  on('waiting', (ev) => {
    waitingList = ev.detail.participants;
    renderWaiting();
    alerts.update(waitingList);
    record.refresh();
    if (waitingList.some((p) => p.role === 'guest')) guests.refresh();
  });
  on('peer-state', (ev) => {
    const p = ev.detail;
    record.refresh(); // a check-in may have arrived with the patient
    const who = p.display_name || p.role || 'The participant';
    // Someone who cannot connect at all is said so once, not "reconnecting"
    // at each attempt.
    if (p.state === 'reconnecting' && !troubled.has(p.participant)) peers.add(p.participant, who);
    else peers.remove(p.participant);
    if ((p.state === 'connected' || p.state === 'left') && troubled.delete(p.participant)) renderPeerTrouble();
    if (p.state === 'reconnecting') setNotice('');
    else if (p.state === 'left') setNotice(`${who} left the visit.`);
    else if (p.state === 'connected') setNotice(`${who} is connected.`);
    else if (p.state === 'admitted') setNotice(`${who} was admitted. Connecting video…`);
    if (p.display_name && p.role === 'patient') ui.remoteCaption.textContent = p.display_name;
    if (p.role === 'guest') guests.refresh();
  });
  on('welcome', () => {
    // The server says again who is in trouble right after this welcome.
    troubled.clear();
    renderPeerTrouble();
    // A record-changed sent while this console was reconnecting is lost:
    // the record is read again on each (re)connection.
    record.refresh();
  });
  on('peer-trouble', (ev) => {
    const p = ev.detail;
    if (p.trouble) {
      troubled.set(p.participant, { name: p.display_name || p.role || 'The participant', role: p.role });
      peers.remove(p.participant);
      setNotice(''); // "admitted, connecting video…" no longer holds
    } else {
      troubled.delete(p.participant);
    }
    renderPeerTrouble();
  });
  // My own media cannot connect: what to try (the banner would flicker).
  on('trouble', (ev) => {
    ui.trouble.hidden = !ev.detail.active;
    if (ev.detail.active) {
      connection.clear();
      setError('');
    }
  });
  on('server-error', async (ev) => {
    const { code } = ev.detail;
    // "The media connection failed" while the call connects: the console
    // tries again by itself (and says what to try if it keeps failing).
    if (code === 'internal' && c.pc && !c.mediaUp) return;
    // Refused at hello: most likely the session ended (idle timeout).
    if (code === 'unauthorized' && !(await checkStaffSession())) return;
    if (signal.aborted) return; // another visit was selected meanwhile
    setError(serverErrorText(code, 'provider'));
    renderWaiting();
  });
  on('bye', (ev) => {
    const reason = ev.detail.reason;
    if (reason === 'visit-ended') renderState('ended');
    else if (reason === 'replaced') setNotice('This visit was opened in another console window, so this one stopped.');
    else if (reason !== 'left') checkStaffSession(); // e.g. the session ended: sign in again
    ui.endVisit.disabled = true;
  });
  on('disconnected', (ev) => {
    if (ev.detail.willRetry) {
      if (!c.trouble) connection.lost();
      setNotice(''); // what it said about the others may no longer hold
      ui.playRemote.hidden = true;
    } else if (!c.welcomed) {
      // The upgrade or the hello was refused: the session may be over.
      checkStaffSession().then((live) => {
        if (live && !signal.aborted) setError('The visit service refused the connection. Select the visit again to retry.');
      });
      ui.endVisit.disabled = true;
    } else {
      connection.clear();
      setError('We could not reconnect to the visit service. Check the network, then select the visit again.');
      ui.endVisit.disabled = true;
    }
  });
  on('reconnected', () => {
    connection.back();
    setError('');
  });
  on('connection', (ev) => {
    // A failed media path ends in a reconnect (the client drops the socket).
    if (ev.detail.state === 'connected') setError('');
  });
  // The patient saved their check-in (or another part changed): the
  // record reloads now rather than at its next poll.
  on('record-changed', () => record.refresh());
  on('autoplay-blocked', () => { ui.playRemote.hidden = false; });
  c.connect();
}

// End visit asks once, in the page (a <dialog>, not window.confirm: it is
// labelled, keeps focus inside, and Escape keeps the visit going).
ui.endVisit.addEventListener('click', () => {
  if (!client || ui.endDialog.open) return;
  ui.endDialog.returnValue = '';
  ui.endDialog.showModal();
});
ui.endDialog.addEventListener('close', () => {
  if (ui.endDialog.returnValue !== 'end' || !client || client.state === 'ended') {
    if (!ui.endVisit.disabled) ui.endVisit.focus();
    return;
  }
  ui.endVisit.disabled = true;
  ui.endVisit.textContent = 'Ending…';
  client.end();
  // The server answers with visit-state ended; restore the label for the next visit.
  setTimeout(() => { ui.endVisit.textContent = 'End visit'; }, 1500);
});
ui.logout.addEventListener('click', () => {
  ui.logout.disabled = true;
  ui.logout.textContent = 'Signing out…';
  dropClient();
  signOut();
});
ui.playRemote.addEventListener('click', () => {
  ui.playRemote.hidden = true;
  ui.remoteVideo.play().catch(() => { ui.playRemote.hidden = false; });
});
window.addEventListener('pagehide', () => { if (client) client.close(); });

// Someone may start waiting for another of today's visits: the list (and
// its alerts) stays current, pushed at once by the server whichever node the
// patient reached (visit-events.js); the 10 s poll runs only while that
// stream is down.
let liveVisits = { up: false };
setInterval(() => {
  if (visitsLoaded && !liveVisits.up) loadVisits({ polled: true });
  if (visitsLoaded) review.load({ background: true });
}, 10000);
setInterval(() => { if (visitsLoaded) loadOverdueCount({ polled: true }); }, 60000);

// Keep "waiting N min" current, in place, so keyboard focus stays put.
setInterval(() => {
  for (const el of ui.waiting.querySelectorAll('.waiting-since')) {
    el.textContent = sinceText(el);
  }
}, 15000);

window.addEventListener('hashchange', () => {
  const id = readFragment().visit || '';
  if (id && id !== selectedVisit) selectVisit(id);
});

async function start() {
  let staff;
  try {
    staff = await startStaffSession(); // never settles without a session
    // The front desk never opens the record: its page is the schedule.
    if (staff && staff.role === 'scheduler') {
      window.location.replace('/schedule.html');
      return;
    }
  } catch (err) {
    ui.visitsStatus.textContent = '';
    setError(`The console could not start: ${err.message} Reload the page to try again.`);
    return;
  }
  showStaff(staff);
  mediaReady = getLocalMedia().then(({ stream, problem }) => {
    localStream = stream;
    ui.localVideo.srcObject = stream;
    renderToggles();
    if (problem) setError(problem);
    return stream;
  });
  loadVisits().then(renderTitle);
  liveVisits = watchVisits(() => { if (visitsLoaded) loadVisits({ polled: true }).then(renderTitle); });
  // Safety signals between visits: polled, they alert like a patient waiting.
  new ConsoleAlerts($('monitoring-alerts'), { waitingAlerts: alerts }).start();
  review.load();
  loadOverdueCount();
  if (selectedVisit) selectVisit(selectedVisit);
}

start();
