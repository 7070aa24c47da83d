// diary.js: the patient's between-visit diary, opened from the diary link
// (#d=TOKEN: the token travels in the fragment, never in a request line).
// Phone first, one hand: big tap targets, the Save button at the bottom of
// the screen. A poor connection loses nothing: every change is kept on the
// phone (localStorage, one draft per day) until the server has it; a failed
// save says so and tries again by itself (5, 10, 20, 40, 60 s), or now with
// Retry. The PHQ-9 item-9 question is asked the PHQ-9 way, word for word
// with its four answers (0-3), from the check-in's own table (scales.js):
// the PHQ-9 of Kroenke, Spitzer & Williams 2001 (J Gen Intern Med
// 16:606-13), as server/records/scales.c scores it.
import { apiRequest, ApiError, el } from './api.js';
import { readFragment } from './common.js';
import { SCALES } from './scales.js';

const PHQ9 = SCALES.find((s) => s.key === 'phq9');
const ITEM9 = PHQ9.items[8];
const REASONS = [['forgot', 'Forgot'], ['side-effect', 'Side effect'], ['ran-out', 'Ran out'], ['chose-not-to', 'Chose not to']];
const SEVERITIES = [['none', 'None'], ['mild', 'Mild'], ['moderate', 'Moderate'], ['severe', 'Severe']];
const BACKOFF_S = [5, 10, 20, 40, 60];
const LB_PER_KG = 2.2046226218;

const $id = (id) => document.getElementById(id);
const state = {
  token: null,
  keyPrefix: 'th-diary:x',
  data: null,
  day: null,
  model: null,
  attempt: 0,
  retryTimer: null,
  saving: false,
};

// ------------------------------------------------------------ storage

async function keyPrefixFor(token) {
  try {
    const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
    const hex = [...new Uint8Array(hash)].slice(0, 6).map((b) => b.toString(16).padStart(2, '0')).join('');
    return `th-diary:${hex}`;
  } catch {
    return 'th-diary:x';
  }
}

function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(`${state.keyPrefix}:${key}`);
    else localStorage.setItem(`${state.keyPrefix}:${key}`, JSON.stringify(value));
  } catch { /* private mode or full: the page still works, without a draft */ }
}

function load(key) {
  try {
    const text = localStorage.getItem(`${state.keyPrefix}:${key}`);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------ words

function dayLabel(day, { long = false } = {}) {
  const idx = state.data.days.indexOf(day);
  const date = new Date(`${day}T12:00:00Z`);
  const words = long
    ? date.toLocaleDateString('en-US', { weekday: 'long', month: 'long', day: 'numeric', timeZone: 'UTC' })
    : `${date.toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' })} ${date.getUTCDate()}`;
  if (idx === 0) return long ? `Today, ${words}` : 'Today';
  if (idx === 1) return long ? `Yesterday, ${words}` : 'Yesterday';
  return words;
}

function hourLabel(h) {
  const suffix = h < 12 ? 'am' : 'pm';
  const twelve = h % 12 === 0 ? 12 : h % 12;
  return `${twelve}:00 ${suffix}`;
}

// ------------------------------------------------------------ the model

function savedEntry(day) {
  return state.data.entries.find((e) => e.day === day) || null;
}

function emptyModel() {
  return { doses: {}, effects: {}, item9: null, weight: '', systolic: '', diastolic: '', heartRate: '', note: '', dirty: false };
}

// The medicines of a day: each from the day the clinic started it
// ("since", YYYY-MM-DD, compared as text); before that the patient was
// not taking it, and the server refuses doses for it.
const medsOn = (day) => state.data.medications.filter((m) => !m.since || !day || day >= m.since);

// A saved entry as the form shows it.
function modelFromEntry(entry) {
  const m = emptyModel();
  if (!entry) return m;
  for (const d of entry.doses) {
    const med = state.data.medications.find((x) => x.order_id === d.order_id);
    if (!med) continue;
    if (med.as_needed) m.doses[d.order_id] = { count: d.taken, slots: [], reason: null };
    else {
      const slots = Array(med.doses_per_day).fill(null);
      for (let i = 0; i < d.taken + d.missed && i < slots.length; i++) slots[i] = i < d.taken ? 'taken' : 'missed';
      m.doses[d.order_id] = { slots, count: 0, reason: d.reason || null };
    }
  }
  for (const e of entry.side_effects) {
    m.effects[e.order_id] = { ...m.effects[e.order_id], [e.effect]: e.severity };
  }
  m.item9 = entry.item9;
  const r = entry.readings || {};
  if (r.weight_kg) m.weight = String(Math.round(r.weight_kg * LB_PER_KG * 10) / 10);
  if (r.systolic) m.systolic = String(r.systolic);
  if (r.diastolic) m.diastolic = String(r.diastolic);
  if (r.heart_rate) m.heartRate = String(r.heart_rate);
  m.note = entry.note || '';
  return m;
}

function doseOf(orderId) {
  const med = state.data.medications.find((x) => x.order_id === orderId);
  if (!state.model.doses[orderId]) {
    state.model.doses[orderId] = { slots: Array(med.as_needed ? 0 : med.doses_per_day).fill(null), count: 0, reason: null };
  }
  return state.model.doses[orderId];
}

const number = (text) => (text === '' || text === null || text === undefined ? null : Number(text));

// The model as the server takes it (POST /api/diary/entries).
function bodyOf(day, m) {
  const doses = [];
  for (const med of medsOn(day)) {
    const d = m.doses[med.order_id];
    if (!d) continue;
    if (med.as_needed) {
      if (d.count > 0) doses.push({ order_id: med.order_id, taken: d.count, missed: 0 });
      continue;
    }
    const taken = d.slots.filter((s) => s === 'taken').length;
    const missed = d.slots.filter((s) => s === 'missed').length;
    if (taken + missed === 0) continue;
    const row = { order_id: med.order_id, taken, missed };
    if (missed > 0 && d.reason) row.reason = d.reason;
    doses.push(row);
  }
  const sideEffects = [];
  for (const [orderId, effects] of Object.entries(m.effects)) {
    if (!medsOn(day).some((x) => x.order_id === orderId)) continue;
    for (const [effect, severity] of Object.entries(effects)) sideEffects.push({ order_id: orderId, effect, severity });
  }
  const body = { day, doses, side_effects: sideEffects, item9: m.item9, note: m.note.trim() ? m.note : null };
  const readings = {};
  const w = number(m.weight);
  if (w !== null) readings.weight_kg = Math.round((w / LB_PER_KG) * 10) / 10;
  if (number(m.systolic) !== null) readings.systolic = number(m.systolic);
  if (number(m.diastolic) !== null) readings.diastolic = number(m.diastolic);
  if (number(m.heartRate) !== null) readings.heart_rate = number(m.heartRate);
  if (Object.keys(readings).length) body.readings = readings;
  return body;
}

// Whether what the patient chose calls for the crisis text now.
function needsCrisis(m) {
  if (m.item9 !== null && m.item9 > 0) return true;
  return Object.values(m.effects).some((e) => Object.values(e).includes('severe'));
}

function changed() {
  state.model.dirty = true;
  store(`draft:${state.day}`, state.model);
  renderSavedLine();
  renderDays();
  if (needsCrisis(state.model)) showCrisis(false);
}

// ------------------------------------------------------------ rendering

function showError(text) {
  const box = $id('error');
  box.textContent = text;
  box.hidden = !text;
}

function showCrisis(focus) {
  const box = $id('crisis');
  const c = state.data.crisis;
  const thoughts = state.model && state.model.item9 !== null && state.model.item9 > 0;
  const phone = state.data.clinic_phone;
  // Thoughts of self-harm: the crisis line first. A severe side effect: the
  // clinic today, and the same numbers if it cannot wait.
  box.querySelector('h2').textContent = thoughts ? 'You do not have to wait for your visit'
    : 'A severe side effect: tell your clinic today';
  box.querySelector('[data-testid="diary-crisis-text"]').textContent = thoughts ? c.text
    : `Call your clinic${phone ? ` at ${phone}` : ''} today; do not wait for your next visit. ${c.text}`;
  const calls = box.querySelector('.diary-crisis-calls');
  calls.replaceChildren(
    phone && !thoughts ? el('a', { className: 'btn btn-primary', href: `tel:${phone.replace(/[^0-9+]/g, '')}` }, 'Call your clinic') : null,
    el('a', { className: 'btn btn-danger', href: `tel:${c.emergency_number}` }, `Call ${c.emergency_number}`),
    el('a', { className: 'btn btn-primary', href: `tel:${c.crisis_line}` }, `Call ${c.crisis_line}`),
    el('a', { className: 'btn', href: `sms:${c.crisis_line}` }, `Text ${c.crisis_line}`),
  );
  box.hidden = false;
  if (focus) {
    box.focus();
    box.scrollIntoView({ block: 'start' });
  }
}

function renderDays() {
  const nav = $id('days');
  nav.replaceChildren(...state.data.days.map((day) => {
    const saved = savedEntry(day);
    const draft = load(`draft:${day}`);
    const mark = draft && draft.dirty ? 'Not saved' : saved ? 'Saved' : '';
    return el('button', {
      type: 'button',
      className: 'diary-day',
      dataset: { testid: 'diary-day', day, mark: mark ? mark.toLowerCase().replace(' ', '-') : 'none' },
      attrs: { 'aria-pressed': day === state.day ? 'true' : 'false' },
      onclick: () => selectDay(day),
    }, el('span', { className: 'diary-day-name' }, dayLabel(day)),
    el('span', { className: 'diary-day-mark' }, mark || '\u00a0'));
  }));
  nav.hidden = false;
}

function renderSavedLine() {
  const line = $id('saved-line');
  const saved = savedEntry(state.day);
  if (state.model.dirty) line.textContent = 'Changes kept on this phone, not sent yet. Press Save.';
  else if (saved) {
    const at = new Date(saved.made_at).toLocaleString([], { weekday: 'short', hour: 'numeric', minute: '2-digit' });
    line.textContent = `Saved ${at}. You can change it and save again.`;
  } else line.textContent = '';
  line.hidden = !line.textContent;
  line.dataset.state = state.model.dirty ? 'draft' : saved ? 'saved' : 'none';
}

// A row of choices that look like buttons: real radio inputs, so a screen
// reader hears one question with its answers.
function choiceRow(name, choices, value, onpick, testid) {
  return el('div', { className: 'diary-choices' }, choices.map(([v, label]) => {
    const input = el('input', { type: 'radio', name, value: String(v), checked: value === v, onchange: () => onpick(v) });
    return el('label', { className: 'diary-choice', dataset: { testid, value: String(v) } }, input, el('span', {}, label));
  }));
}

function doseRows(med) {
  const d = doseOf(med.order_id);
  if (med.as_needed) {
    const out = el('output', { className: 'diary-count', dataset: { testid: 'diary-prn-count' } }, String(d.count));
    const step = (delta) => {
      d.count = Math.max(0, Math.min(med.doses_per_day, d.count + delta));
      out.textContent = String(d.count);
      changed();
    };
    return el('div', { className: 'diary-prn' },
      el('span', {}, 'Taken today (only when needed)'),
      el('button', { type: 'button', className: 'btn diary-step', attrs: { 'aria-label': `One fewer ${med.name}` }, onclick: () => step(-1) }, '−'),
      out,
      el('button', { type: 'button', className: 'btn diary-step', attrs: { 'aria-label': `One more ${med.name}` }, onclick: () => step(1) }, '+'));
  }
  const reasons = el('div', { className: 'diary-reasons', dataset: { testid: 'diary-reasons' }, attrs: { role: 'group', 'aria-label': 'Why was it missed? (optional)' } });
  const renderReasons = () => {
    const anyMissed = d.slots.includes('missed');
    reasons.hidden = !anyMissed;
    reasons.replaceChildren(el('span', { className: 'diary-sub' }, 'Why missed? (optional)'),
      ...REASONS.map(([code, label]) => el('button', {
        type: 'button', className: 'btn diary-chip', dataset: { testid: 'diary-reason', reason: code },
        attrs: { 'aria-pressed': d.reason === code ? 'true' : 'false' },
        onclick: () => { d.reason = d.reason === code ? null : code; renderReasons(); changed(); },
      }, label)));
  };
  const rows = d.slots.map((_, i) => {
    const row = el('div', { className: 'diary-dose', dataset: { testid: 'diary-dose' }, attrs: { role: 'group', 'aria-label': `Dose ${i + 1} of ${d.slots.length}` } });
    const paint = () => {
      row.replaceChildren(el('span', { className: 'diary-dose-name' }, d.slots.length > 1 ? `Dose ${i + 1}` : 'Dose'),
        ...[['taken', 'Taken'], ['missed', 'Missed']].map(([v, label]) => el('button', {
          type: 'button', className: `btn diary-toggle diary-${v}`, dataset: { testid: `diary-dose-${v}` },
          attrs: { 'aria-pressed': d.slots[i] === v ? 'true' : 'false' },
          onclick: () => { d.slots[i] = d.slots[i] === v ? null : v; paint(); renderReasons(); changed(); },
        }, label)));
    };
    paint();
    return row;
  });
  renderReasons();
  return el('div', {}, ...rows, reasons);
}

function effectRows(med) {
  if (!med.side_effects.length) return null;
  const mine = state.model.effects[med.order_id] || {};
  return el('div', { className: 'diary-effects' },
    el('p', { className: 'diary-sub' }, 'Side effects today'),
    med.side_effects.map((e) => el('fieldset', { className: 'diary-effect', dataset: { testid: 'diary-effect', effect: e.code } },
      el('legend', {}, e.label),
      choiceRow(`fx-${med.order_id}-${e.code}`, SEVERITIES, mine[e.code] ?? null, (v) => {
        state.model.effects[med.order_id] = { ...state.model.effects[med.order_id], [e.code]: v };
        changed();
      }, 'diary-severity'))));
}

function renderMedicines() {
  const box = $id('medicines');
  const meds = medsOn(state.day);
  if (!meds.length) {
    box.replaceChildren(el('p', { className: 'diary-card' }, state.data.medications.length
      ? 'You were not taking your current medicines yet on this day. You can still tell your clinic how you were.'
      : 'Your clinic has no current medicines on your list. You can still tell them how you are.'));
    return;
  }
  box.replaceChildren(...meds.map((med) => el('fieldset', {
    className: 'diary-card diary-med', dataset: { testid: 'diary-med', medication: med.name },
  }, el('legend', {}, el('span', { className: 'diary-med-name' }, med.name), ' ',
    el('span', { className: 'diary-med-dose' }, med.dose_text)),
  doseRows(med), effectRows(med))));
}

function renderItem9() {
  // The PHQ-9's own stem first, then item 9 itself.
  $id('item9-legend').replaceChildren(el('span', { className: 'diary-stem' }, PHQ9.question),
    el('span', { className: 'diary-item9-text' }, ITEM9));
  $id('item9-choices').replaceWith(Object.assign(choiceRow('item9', PHQ9.answers.map((a, i) => [i, a]), state.model.item9, (v) => {
    state.model.item9 = v;
    changed();
  }, 'diary-item9-answer'), { id: 'item9-choices' }));
}

function renderForm() {
  $id('day-title').textContent = dayLabel(state.day, { long: true });
  renderMedicines();
  renderItem9();
  for (const [id, key] of [['weight', 'weight'], ['systolic', 'systolic'], ['diastolic', 'diastolic'], ['heart-rate', 'heartRate'], ['note', 'note']]) {
    const input = $id(id);
    input.value = state.model[key];
    input.oninput = () => { state.model[key] = input.value; changed(); };
  }
  $id('readings').open = Boolean(state.model.weight || state.model.systolic || state.model.heartRate);
  $id('save').textContent = state.data.days.indexOf(state.day) === 0 ? 'Save today' : `Save ${dayLabel(state.day)}`;
  renderSavedLine();
  $id('entry').hidden = false;
}

function selectDay(day) {
  state.day = day;
  store('day', day);
  const draft = load(`draft:${day}`);
  state.model = draft && draft.dirty ? { ...emptyModel(), ...draft } : modelFromEntry(savedEntry(day));
  setStatus('');
  $id('crisis').hidden = !needsCrisis(state.model);
  if (!$id('crisis').hidden) showCrisis(false);
  renderDays();
  renderForm();
}

// ------------------------------------------------------------ saving

function setStatus(text, kind = '') {
  const s = $id('status');
  s.textContent = text;
  s.dataset.kind = kind;
}

function clearRetry() {
  clearTimeout(state.retryTimer);
  state.retryTimer = null;
  $id('retry').hidden = true;
}

function scheduleRetry(err) {
  const wait = BACKOFF_S[Math.min(state.attempt, BACKOFF_S.length - 1)];
  state.attempt += 1;
  const why = err.status === 0 ? 'no connection' : err.status === 503 ? 'the clinic\'s system is busy' : 'the server had a problem';
  setStatus(`Not saved yet: ${why}. Your entry is kept on this phone. Trying again in ${wait} seconds.`, 'failed');
  $id('retry').hidden = false;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(() => save(), wait * 1000);
}

async function save() {
  if (state.saving) return;
  clearRetry();
  const day = state.day;
  const body = bodyOf(day, state.model);
  state.saving = true;
  $id('save').disabled = true;
  setStatus('Saving…', 'saving');
  try {
    const res = await apiRequest('/api/diary/entries', { token: state.token, method: 'POST', body, timeout: 15000 });
    state.attempt = 0;
    state.data.entries = [res.entry, ...state.data.entries.filter((e) => e.day !== day)];
    store('page', state.data);
    store(`draft:${day}`, null);
    if (state.day === day) state.model = modelFromEntry(res.entry);
    setStatus(`Saved. Thank you — your clinic will see it.`, 'saved');
    renderDays();
    renderSavedLine();
    if (res.show_crisis) showCrisis(true);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 0 || err.status >= 500 || err.status === 429) scheduleRetry(err);
    else setStatus(err.message, 'refused');
  } finally {
    state.saving = false;
    $id('save').disabled = false;
  }
}

// ------------------------------------------------------------ reminder

function renderReminder() {
  const r = state.data.reminder;
  const box = $id('reminder');
  if (!r.channels.length && r.hour === null) return;
  const select = $id('reminder-hour');
  select.replaceChildren(el('option', { value: '' }, 'No reminder'),
    ...Array.from({ length: 24 }, (_, h) => el('option', { value: String(h), selected: r.hour === h }, hourLabel(h))));
  const channels = $id('reminder-channel');
  channels.replaceChildren(el('legend', {}, 'By'), ...r.channels.map((c) => el('label', { className: 'diary-choice' },
    el('input', { type: 'radio', name: 'channel', value: c, checked: (r.channel || r.channels[0]) === c }),
    el('span', {}, c === 'sms' ? 'Text message' : 'Email'))));
  channels.hidden = !r.channels.length;
  $id('reminder-form').onsubmit = async (ev) => {
    ev.preventDefault();
    const status = $id('reminder-status');
    const hour = select.value === '' ? null : Number(select.value);
    const picked = channels.querySelector('input:checked');
    status.textContent = 'Saving…';
    try {
      const res = await apiRequest('/api/diary/reminder', { token: state.token, method: 'POST', body: hour === null ? { hour: null } : { hour, channel: picked ? picked.value : 'email' } });
      state.data.reminder = res.reminder;
      status.textContent = hour === null ? 'Reminder turned off.' : `We will remind you every day at ${hourLabel(hour)}.`;
    } catch (err) {
      status.textContent = err.status === 0 ? 'Not saved: no connection. Try again when you are back online.' : err.message;
    }
  };
  box.hidden = false;
}

// ------------------------------------------------------------ start

function render() {
  const d = state.data;
  $id('page-title').textContent = d.first_name ? `Hello, ${d.first_name}` : 'Your diary';
  document.title = d.clinic_name ? `Your diary — ${d.clinic_name}` : 'Your diary';
  if (d.clinic_name) document.querySelector('[data-testid="diary-clinic"]').textContent = `${d.clinic_name}: your diary`;
  $id('intro').hidden = false;
  $id('loading').hidden = true;
  renderReminder();
  const open = state.day && d.days.includes(state.day) ? state.day : d.days[0];
  selectDay(open);
  if (needsCrisis(state.model)) showCrisis(false);
}

async function start() {
  state.token = readFragment().d || null;
  if (!state.token) {
    $id('loading').hidden = true;
    showError('Open your diary from the diary link your clinic sent you.');
    return;
  }
  state.keyPrefix = await keyPrefixFor(state.token);
  $id('entry').addEventListener('submit', (ev) => { ev.preventDefault(); save(); });
  $id('retry').addEventListener('click', () => { state.attempt = 0; save(); });
  state.day = load('day');
  try {
    state.data = await apiRequest('/api/diary', { token: state.token });
    store('page', state.data);
  } catch (err) {
    const cached = load('page');
    if (err.status === 0 && cached) {
      // Offline: the diary as last opened; saving retries until it goes.
      state.data = cached;
      showError('No connection: this is your diary as it was when you last opened it. What you enter is kept on this phone and sent when you save.');
    } else {
      $id('loading').hidden = true;
      showError(err.status === 0 ? 'Your diary could not be opened: no connection. Reload the page when you are back online.' : err.message);
      return;
    }
  }
  render();
}

start();
