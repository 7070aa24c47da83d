// timeline.js: one patient's visits with their scores, prescription
// adjustments and notes (GET /api/patients/<id>/timeline). The patient id
// comes in the fragment (#patient=<id>); the staff member is signed in (the
// session cookie; without one the page goes to the sign-in page and back).

import { readFragment } from './common.js';
import { enc, el, dateTime, capitalize } from './api.js';
import { startStaffSession, staffApi } from './session.js';
import { scoreText } from './scales.js';
import { trendView } from './trend.js';
import { doseLine, statusBadge, scheduleBadge, orderMedication, ACTION_WORDS, STATUS_WORDS, cosignLine } from './meds.js';

const ui = {
  title: document.getElementById('tl-title'),
  error: document.getElementById('error'),
  status: document.getElementById('tl-status'),
  trendSection: document.getElementById('tl-trend-section'),
  trend: document.querySelector('[data-testid="timeline-trend"]'),
  orderControls: document.getElementById('tl-order-controls'),
  order: document.getElementById('tl-order'),
  orderWords: document.getElementById('tl-order-words'),
  visitsHeading: document.getElementById('tl-visits-heading'),
  visits: document.getElementById('tl-visits'),
};

const STATE_WORDS = { scheduled: 'scheduled', waiting: 'patient waiting', in_progress: 'in progress', ended: 'ended' };

let data = null;
let catalog = null;
let newestFirst = false;
let sessionReady = null;

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = !text;
}

function visitItem(v) {
  const rank = (k) => { const i = ['phq9', 'gad7', 'asrs18', 'asrs_a'].indexOf(k); return i < 0 ? 9 : i; };
  const scores = (Array.isArray(v.scores) ? v.scores.slice() : []).sort((a, b) => rank(a.scale) - rank(b.scale));
  const adjustments = Array.isArray(v.adjustments) ? v.adjustments : [];
  const notes = Array.isArray(v.notes) ? v.notes : [];
  const provider = v.provider && v.provider.display_name;
  return el('li', { className: 'tl-visit', dataset: { testid: `timeline-visit-${v.id}` } },
    el('h3', {}, dateTime(v.scheduled_at) || 'Visit'),
    el('p', { className: 'muted' }, [
      capitalize(STATE_WORDS[v.state] || v.state || ''),
      v.modality ? (v.modality === 'audio-only' ? 'audio only' : v.modality) : '',
      provider ? `with ${provider}` : '',
    ].filter(Boolean).join(' · ')),
    el('h4', {}, 'Scores'),
    scores.length
      ? el('ul', {}, scores.map((s) => el('li', { dataset: { testid: `timeline-score-${s.scale}` } }, scoreText(s),
        s.alert ? el('span', { className: 'badge badge-alert' }, 'item 9 alert') : null)))
      : el('p', { className: 'muted' }, 'No check-in.'),
    el('h4', {}, 'Prescription adjustments'),
    adjustments.length
      ? el('ul', {}, adjustments.map((o) => el('li', { dataset: { inVisit: o.in_visit || 'written' } },
        o.in_visit === 'stopped'
          ? 'Stopped (started at an earlier visit): '
          : `${ACTION_WORDS[o.action] || capitalize(o.action || '')}: `, el('strong', {}, doseLine(o, catalog)), ' ',
        statusBadge(o.status), ' ', scheduleBadge(orderMedication(o, catalog)),
        o.reason ? el('span', { className: 'order-meta' }, ` — ${o.reason}`) : null,
        o.status_reason && o.status !== 'declined' ? el('span', { className: 'order-meta' }, ` (${STATUS_WORDS[o.status] || o.status}: ${o.status_reason})`) : null,
        cosignLine(o))))
      : el('p', { className: 'muted' }, 'None.'),
    el('h4', {}, 'Notes'),
    notes.length
      ? el('ul', {}, notes.map((n) => el('li', {}, el('span', { className: 'note-text' }, n.text),
        el('span', { className: 'order-meta' }, ` (${dateTime(n.at)}${n.author ? `, ${typeof n.author === 'object' ? n.author.display_name || '' : n.author}` : ''})`))))
      : el('p', { className: 'muted' }, 'None.'),
    ...activityParts(v));
}

// Chat, consent answers and switches to or from sound only, in time order.
function activityParts(v) {
  const items = (Array.isArray(v.activity) ? v.activity.slice() : [])
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const who = (a) => `${a.display_name || a.role || 'Someone'}${a.role && a.role !== 'provider' ? ` (${a.role})` : ''}`;
  const line = (a) => {
    if (a.kind === 'chat') return [el('strong', {}, `${who(a)}: `), el('span', { className: 'note-text' }, a.text)];
    if (a.kind === 'consent') return [`${who(a)} ${a.decision === 'accepted' ? 'agreed to' : 'declined'} the video visit (consent version ${a.version})`];
    if (a.kind === 'modality') return [`${who(a)} switched the visit to ${a.modality === 'audio-only' ? 'sound only' : 'video'}`];
    return [a.kind];
  };
  return [
    el('h4', {}, 'Consent, chat and changes during the visit'),
    items.length
      ? el('ul', { dataset: { testid: `timeline-activity-${v.id}` } }, items.map((a) => el('li', { dataset: { kind: a.kind } },
        ...line(a), el('span', { className: 'order-meta' }, ` (${dateTime(a.at)})`))))
      : el('p', { className: 'muted' }, 'None.'),
  ];
}

function render() {
  const visits = Array.isArray(data.visits) ? data.visits.slice() : [];
  visits.sort((a, b) => Date.parse(a.scheduled_at) - Date.parse(b.scheduled_at));
  if (newestFirst) visits.reverse();
  const name = data.patient && data.patient.display_name;
  ui.title.textContent = name ? `Timeline: ${name}` : 'Patient timeline';
  document.title = name ? `Timeline: ${name}` : 'Patient timeline';
  ui.status.textContent = visits.length ? `${visits.length} visit${visits.length > 1 ? 's' : ''}.` : 'No visits yet.';
  const history = [];
  for (const v of visits) {
    for (const s of v.scores || []) history.push({ visit_id: v.id, scheduled_at: v.scheduled_at, ...s });
  }
  ui.trendSection.hidden = history.length === 0;
  ui.trend.replaceChildren(trendView(history));
  ui.orderControls.hidden = visits.length < 2;
  ui.visitsHeading.hidden = visits.length === 0;
  ui.orderWords.textContent = newestFirst ? 'newest first' : 'oldest first';
  ui.order.textContent = newestFirst ? 'Show oldest first' : 'Show newest first';
  ui.visits.replaceChildren(...visits.map(visitItem));
}

async function load() {
  const { patient } = readFragment();
  if (!patient) {
    ui.status.textContent = '';
    showError('This page needs the full link from the provider console (with the patient). Open the timeline again from the console.');
    return;
  }
  try {
    await sessionReady;
    [data, catalog] = await Promise.all([
      staffApi(`/api/patients/${enc(patient)}/timeline`),
      staffApi('/api/catalog').catch(() => null),
    ]);
  } catch (err) {
    if (err.status === 401) return; // on the way to the sign-in page
    ui.status.textContent = '';
    showError(err.status === 403 || err.status === 404
      ? 'This patient\'s timeline is not available to you.'
      : `The timeline could not be loaded: ${err.message}`);
    return;
  }
  render();
}

ui.order.addEventListener('click', () => {
  newestFirst = !newestFirst;
  if (data) render();
});
window.addEventListener('hashchange', load);
sessionReady = startStaffSession(); // never settles without a session
load();
