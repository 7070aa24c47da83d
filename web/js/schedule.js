// schedule.js: the Schedule page (tests/CONTRACT.md, "Schedule"): the day or
// the week of each provider in the clinic's time zone, booking a visit
// (patient search as one types), moving it and cancelling it. A double
// booking is shown with the other visit and booked only on "Book anyway".
// Dates come from the server's clock (GET /api/schedule's `today`), never
// the browser's alone. The front desk (role scheduler) lands here after
// signing in and sees every provider; a clinician sees their own. The page
// stays current by itself: each change of a visit (booked, moved or
// cancelled at another desk, a patient waiting, a visit begun or ended) is
// pushed by the server (visit-events.js) and the schedule shown is read
// again, keeping keyboard focus and any cancel form being filled in.

import { enc, el, ApiError } from './api.js';
import { startStaffSession, staffApi, signOut } from './session.js';
import { watchVisits } from './visit-events.js';

const $id = (id) => document.getElementById(id);
const ui = {
  who: $id('who'),
  error: $id('error'),
  toConsole: $id('to-console'),
  logout: $id('logout'),
  provider: $id('sc-provider'),
  date: $id('sc-date'),
  day: $id('sc-day'),
  week: $id('sc-week'),
  prev: $id('sc-prev'),
  today: $id('sc-today'),
  next: $id('sc-next'),
  range: $id('sc-range'),
  list: $id('sc-list'),
  book: $id('sc-book'),
  q: $id('bk-patient-q'),
  results: $id('bk-patient-results'),
  chosen: $id('bk-patient-chosen'),
  bkProvider: $id('bk-provider'),
  bkDate: $id('bk-date'),
  bkTime: $id('bk-time'),
  bkLength: $id('bk-length'),
  bkType: $id('bk-type'),
  bkConflict: $id('bk-conflict'),
  bkConflictText: $id('bk-conflict-text'),
  bkConflictList: $id('bk-conflict-list'),
  bkAnyway: $id('bk-anyway'),
  bkOther: $id('bk-other-time'),
  bkSave: $id('bk-save'),
  bkSaved: $id('bk-saved'),
  moveSection: $id('sc-move-section'),
  mvWhat: $id('mv-what'),
  move: $id('sc-move'),
  mvDate: $id('mv-date'),
  mvTime: $id('mv-time'),
  mvLength: $id('mv-length'),
  mvConflict: $id('mv-conflict'),
  mvConflictText: $id('mv-conflict-text'),
  mvAnyway: $id('mv-anyway'),
  mvSave: $id('mv-save'),
  mvClose: $id('mv-close'),
};

const STATE_WORDS = {
  scheduled: 'Scheduled', waiting: 'Patient waiting', in_progress: 'In progress',
  ended: 'Ended', cancelled: 'Cancelled', no_show: 'No-show',
};
const TYPE_WORDS = { initial_evaluation: 'Initial evaluation', follow_up: 'Follow-up' };

const view = { date: null, days: 1, provider: null, today: null, zone: 'UTC' };
let staff = null;
let seesAll = false;
let patient = null; // {id, name} chosen for booking
let moving = null;  // the visit being moved
let searchSeq = 0;
let searchTimer = 0;
let loadSeq = 0;    // only the newest answer is shown
let liveTimer = 0;  // a pushed change waiting for a cancel form to close
const LIVE_POLL_MS = 30000; // while the server's push stream is down

function showError(text) {
  ui.error.textContent = text || '';
  ui.error.hidden = !text;
}

// ------------------------------------------------------------ dates

// `date` ("YYYY-MM-DD") plus `n` days, as calendar dates (no zone).
function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// The Monday of the week of `date`.
function monday(date) {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((dow + 6) % 7));
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// "Tue 12 Jan 2027", as the server writes it in its messages.
function dayWords(date) {
  const d = new Date(`${date}T00:00:00Z`);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

// ------------------------------------------------------------ the view

function visitItem(v) {
  const when = `${v.local.time}–${v.local.end_time}`;
  const state = STATE_WORDS[v.state] || v.state;
  const item = el('li', { className: `sc-visit sc-state-${v.state}`, dataset: { testid: `visit-${v.id}`, state: v.state } },
    el('p', { className: 'sc-when' }, el('strong', {}, when), ` · ${v.length_minutes} min`),
    el('p', { className: 'sc-who' }, el('strong', {}, v.patient.display_name || 'Patient'),
      ` · ${TYPE_WORDS[v.type] || v.type}`),
    el('p', { className: 'sc-state' }, el('span', { className: `badge badge-${v.state}` }, state)));
  if (v.state === 'scheduled') {
    const actions = el('div', { className: 'sc-actions' });
    const mv = el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `move-${v.id}` } }, 'Move');
    mv.setAttribute('aria-label', `Move the visit of ${v.patient.display_name} at ${v.local.time}`);
    mv.addEventListener('click', () => openMove(v));
    const cancel = el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `cancel-${v.id}` } }, 'Cancel visit');
    cancel.setAttribute('aria-label', `Cancel visit of ${v.patient.display_name} at ${v.local.time}`);
    cancel.addEventListener('click', () => askCancel(v, item, cancel));
    actions.append(mv, cancel);
    item.append(actions);
  }
  return item;
}

function render(body) {
  const days = [];
  for (let i = 0; i < body.days; i++) days.push(addDays(body.date, i));
  const zoneLabel = `Times in the clinic's time zone (${body.time_zone}).`;
  ui.range.textContent = body.days === 1
    ? `${dayWords(body.date)}${body.date === body.today ? ' (today)' : ''}. ${zoneLabel}`
    : `Week of ${dayWords(body.date)} to ${dayWords(days[days.length - 1])}. ${zoneLabel}`;
  const sections = body.providers.map((p) => {
    const byDay = days.map((d) => {
      const visits = p.visits.filter((v) => v.local.date === d);
      const list = visits.length ? el('ul', { className: 'sc-visits' }, visits.map(visitItem))
        : el('p', { className: 'muted' }, 'No visits.');
      return body.days === 1 ? list
        : el('div', { className: 'sc-day' }, el('h4', {}, `${dayWords(d)}${d === body.today ? ' (today)' : ''}`), list);
    });
    return el('section', { className: 'sc-provider', dataset: { testid: `provider-${p.id}` } },
      el('h3', {}, p.display_name), byDay);
  });
  ui.list.replaceChildren(...sections);
  if (!sections.length) ui.list.replaceChildren(el('p', { className: 'muted' }, 'No providers to show.'));
}

// Reads the schedule shown and renders it. `live`: a change pushed by the
// server, not the person's doing: it never discards a load of theirs, and
// it does not render over a cancel form being filled in (once it closes)
// nor take keyboard focus off the button it was on.
async function load({ live = false } = {}) {
  const q = new URLSearchParams({ days: String(view.days) });
  if (view.date) q.set('date', view.days === 7 ? monday(view.date) : view.date);
  if (view.provider) q.set('provider', view.provider);
  const seq = live ? loadSeq : ++loadSeq;
  try {
    const body = await staffApi(`/api/schedule?${q}`);
    if (seq !== loadSeq) return; // a newer load is on its way
    if (live && ui.list.querySelector('.sc-cancel')) {
      reloadLiveLater();
      return;
    }
    const active = document.activeElement;
    const focused = live && active && ui.list.contains(active) ? active.dataset.testid : null;
    view.today = body.today;
    view.zone = body.time_zone;
    if (!view.date) view.date = body.date;
    ui.date.value = view.date;
    for (const n of document.querySelectorAll('[data-zone]')) n.textContent = `(${body.time_zone})`;
    if (!ui.bkDate.value) ui.bkDate.value = view.today;
    if (!ui.bkDate.min) ui.bkDate.min = view.today;
    render(body);
    if (focused) ui.list.querySelector(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
    showError('');
  } catch (err) {
    if (seq !== loadSeq) return;
    showError(err instanceof ApiError ? err.message : 'The schedule could not be loaded. Reload the page.');
  }
}

// A change pushed by the server: the schedule shown is read again (see
// load), or once a cancel form open in it closes.
function reloadLive() {
  clearTimeout(liveTimer);
  liveTimer = 0;
  if (!view.today) return; // the first load has not answered yet
  if (ui.list.querySelector('.sc-cancel')) reloadLiveLater();
  else load({ live: true });
}

function reloadLiveLater() {
  if (!liveTimer) liveTimer = setTimeout(reloadLive, 2000);
}

function setDays(days) {
  view.days = days;
  ui.day.setAttribute('aria-pressed', String(days === 1));
  ui.week.setAttribute('aria-pressed', String(days === 7));
  load();
}

// ------------------------------------------------------------ booking

function choosePatient(p) {
  patient = p;
  ui.chosen.textContent = `Chosen: ${p.name}${p.birth_date ? `, born ${p.birth_date}` : ''}${p.mrn ? `, MRN ${p.mrn}` : ''}`;
  ui.results.replaceChildren();
  ui.q.value = p.name;
}

async function searchPatients() {
  const q = ui.q.value.trim();
  const seq = ++searchSeq;
  if (!q) { ui.results.replaceChildren(); return; }
  try {
    const res = await staffApi(`/api/patients?q=${enc(q)}`);
    if (seq !== searchSeq) return;
    const list = Array.isArray(res.patients) ? res.patients : [];
    ui.results.replaceChildren(...(list.length ? list.map((p) => {
      const b = el('button', { type: 'button', className: 'pt-result', dataset: { testid: `book-patient-${p.id}` } },
        el('strong', {}, p.name), el('span', { className: 'pt-meta' }, [p.birth_date ? `born ${p.birth_date}` : '', p.mrn ? `MRN ${p.mrn}` : ''].filter(Boolean).join(' · ')));
      b.addEventListener('click', () => choosePatient(p));
      return el('li', {}, b);
    }) : [el('li', { className: 'muted' }, 'No patient found. Create the patient on the Patients page.')]));
  } catch (err) {
    if (seq === searchSeq) showError(err instanceof ApiError ? err.message : 'The search failed. Try again.');
  }
}

function conflictItems(conflicts) {
  return (conflicts || []).map((c) => el('li', {}, `${c.local.date} ${c.local.time}–${c.local.end_time}: ${c.patient.display_name} (${STATE_WORDS[c.state] || c.state})`));
}

async function bookVisit({ confirm = false } = {}) {
  ui.bkSaved.textContent = '';
  if (!patient) { showError('Choose the patient first: type part of their name, then pick them from the list.'); ui.q.focus(); return; }
  const body = {
    patient_id: patient.id,
    start: { date: ui.bkDate.value, time: ui.bkTime.value },
    length_minutes: Number(ui.bkLength.value),
    type: ui.bkType.value,
  };
  if (ui.bkProvider.value) body.provider_id = ui.bkProvider.value;
  if (confirm) body.confirm_double_booking = true;
  ui.bkSave.disabled = true;
  try {
    const res = await staffApi('/api/visits', { method: 'POST', body });
    ui.bkConflict.hidden = true;
    const v = res.visit;
    ui.bkSaved.textContent = `Booked: ${v.patient.display_name} with ${v.provider.display_name}, ${dayWords(v.local.date)} at ${v.local.time}${res.double_booked ? ' (double-booked)' : ''}.`;
    showError('');
    view.date = v.local.date;
    await load();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'double_booked') {
      ui.bkConflictText.textContent = err.message;
      ui.bkConflictList.replaceChildren(...conflictItems(err.conflicts));
      ui.bkConflict.hidden = false;
      ui.bkAnyway.focus();
    } else {
      showError(err instanceof ApiError ? err.message : 'The visit could not be booked. Try again.');
    }
  } finally {
    ui.bkSave.disabled = false;
  }
}

// ------------------------------------------------------------ move, cancel

function openMove(v) {
  moving = v;
  ui.mvWhat.textContent = `${v.patient.display_name}, now ${dayWords(v.local.date)} at ${v.local.time} with ${v.provider.display_name}.`;
  ui.mvDate.value = v.local.date;
  ui.mvDate.min = view.today;
  ui.mvTime.value = v.local.time;
  ui.mvLength.value = String(v.length_minutes);
  ui.mvConflict.hidden = true;
  ui.moveSection.hidden = false;
  ui.mvDate.focus();
}

async function moveVisit({ confirm = false } = {}) {
  if (!moving) return;
  const body = { start: { date: ui.mvDate.value, time: ui.mvTime.value }, length_minutes: Number(ui.mvLength.value) };
  if (confirm) body.confirm_double_booking = true;
  ui.mvSave.disabled = true;
  try {
    const res = await staffApi(`/api/visits/${enc(moving.id)}/move`, { method: 'POST', body });
    ui.moveSection.hidden = true;
    moving = null;
    view.date = res.visit.local.date;
    ui.bkSaved.textContent = `Moved: ${res.visit.patient.display_name} to ${dayWords(res.visit.local.date)} at ${res.visit.local.time}.`;
    await load();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'double_booked') {
      ui.mvConflictText.textContent = err.message;
      ui.mvConflict.hidden = false;
      ui.mvAnyway.focus();
    } else {
      showError(err instanceof ApiError ? err.message : 'The visit could not be moved. Try again.');
    }
  } finally {
    ui.mvSave.disabled = false;
  }
}

// Asks once, in place, with a reason: "Cancel this visit?".
function askCancel(v, item, button) {
  if (item.querySelector('.sc-cancel')) return;
  const id = `cx-${v.id}`;
  const reason = el('input', { className: 'input-text', id, maxLength: 500, dataset: { testid: `cancel-reason-${v.id}` } });
  const yes = el('button', { type: 'submit', className: 'btn btn-danger', dataset: { testid: `cancel-confirm-${v.id}` } }, 'Cancel the visit');
  const no = el('button', { type: 'button', className: 'btn' }, 'Keep it');
  const form = el('form', { className: 'sc-cancel' },
    el('label', { htmlFor: id }, `Cancel the visit of ${v.patient.display_name} at ${v.local.time}? Reason`),
    reason, el('div', { className: 'sc-actions' }, yes, no));
  no.addEventListener('click', () => {
    form.remove();
    button.focus();
    if (liveTimer) reloadLive(); // a change came while the form was open
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!reason.value.trim()) { showError('Say why the visit is cancelled.'); reason.focus(); return; }
    yes.disabled = true;
    try {
      await staffApi(`/api/visits/${enc(v.id)}/cancel`, { method: 'POST', body: { reason: reason.value.trim() } });
      ui.bkSaved.textContent = `Cancelled: ${v.patient.display_name}, ${dayWords(v.local.date)} at ${v.local.time}.`;
      await load();
    } catch (err) {
      yes.disabled = false;
      showError(err instanceof ApiError ? err.message : 'The visit could not be cancelled. Try again.');
    }
  });
  item.append(form);
  reason.focus();
}

// ------------------------------------------------------------ start

async function fillProviders() {
  const { providers } = await staffApi('/api/providers');
  const mine = providers.find((p) => p.id === staff.id);
  const options = seesAll
    ? [el('option', { value: 'all' }, 'All providers'), ...providers.map((p) => el('option', { value: p.id }, p.display_name))]
    : [el('option', { value: staff.id }, mine ? mine.display_name : 'My schedule')];
  ui.provider.replaceChildren(...options);
  ui.bkProvider.replaceChildren(...(seesAll
    ? [el('option', { value: '' }, 'Choose a provider'), ...providers.map((p) => el('option', { value: p.id }, `${p.display_name} (${p.role})`))]
    : [el('option', { value: '' }, mine ? `${mine.display_name} (you)` : 'You')]));
  view.provider = seesAll ? 'all' : null;
}

async function start() {
  staff = await startStaffSession(); // never settles without a session
  seesAll = staff.role === 'scheduler' || staff.role === 'admin';
  ui.who.textContent = `Signed in as ${staff.display_name || staff.username}`;
  ui.toConsole.hidden = staff.role === 'scheduler';
  ui.logout.addEventListener('click', () => signOut());
  await fillProviders();
  ui.provider.addEventListener('change', () => { view.provider = ui.provider.value; load(); });
  ui.date.addEventListener('change', () => { if (ui.date.value) { view.date = ui.date.value; load(); } });
  ui.day.addEventListener('click', () => setDays(1));
  ui.week.addEventListener('click', () => setDays(7));
  ui.prev.addEventListener('click', () => { view.date = addDays(view.date, -view.days); load(); });
  ui.next.addEventListener('click', () => { view.date = addDays(view.date, view.days); load(); });
  ui.today.addEventListener('click', () => { view.date = view.today; load(); });
  ui.q.addEventListener('input', () => { patient = null; ui.chosen.textContent = ''; clearTimeout(searchTimer); searchTimer = setTimeout(searchPatients, 200); });
  ui.book.addEventListener('submit', (e) => { e.preventDefault(); bookVisit(); });
  ui.bkAnyway.addEventListener('click', () => bookVisit({ confirm: true }));
  ui.bkOther.addEventListener('click', () => { ui.bkConflict.hidden = true; ui.bkTime.focus(); });
  ui.move.addEventListener('submit', (e) => { e.preventDefault(); moveVisit(); });
  ui.mvAnyway.addEventListener('click', () => moveVisit({ confirm: true }));
  ui.mvClose.addEventListener('click', () => { ui.moveSection.hidden = true; moving = null; });
  // A patient's name typed while the page was still starting: search now.
  if (ui.q.value.trim()) searchPatients();
  await load();
  const live = watchVisits(reloadLive);
  setInterval(() => { if (!live.up) reloadLive(); }, LIVE_POLL_MS);
}

start().catch((err) => showError(err instanceof ApiError ? err.message : 'The page could not start. Reload it.'));
