// patients.js: the Patients page (tests/CONTRACT.md, "Patients"): find a
// patient as one types (name, date of birth or MRN), open them, create and
// edit them. A possible duplicate (same name and date of birth) is shown
// before a second record is made; a refused field has its message beside
// it. The open patient is in the fragment (#patient=<id>).

import { readFragment } from './common.js';
import { enc, el, ApiError } from './api.js';
import { startStaffSession, staffApi } from './session.js';
import { CareTeam } from './care-team.js';
import { DiaryLink } from './diary-link.js';

const $id = (id) => document.getElementById(id);
const ui = {
  who: $id('who'),
  error: $id('error'),
  q: $id('pt-q'),
  status: $id('pt-status'),
  results: $id('pt-results'),
  newBtn: $id('pt-new'),
  detail: $id('pt-detail'),
  detailName: $id('pt-detail-name'),
  facts: $id('pt-facts'),
  edit: $id('pt-edit'),
  timeline: $id('pt-timeline'),
  formSection: $id('pt-form-section'),
  formTitle: $id('pt-form-title'),
  form: $id('pt-form'),
  save: $id('pt-save'),
  cancel: $id('pt-cancel'),
  saved: $id('pt-saved'),
  dup: $id('pt-duplicate'),
  dupText: $id('pt-duplicate-text'),
  dupList: $id('pt-duplicate-list'),
  dupAsk: $id('pt-duplicate-ask'),
  createAnyway: $id('pt-create-anyway'),
  dupCancel: $id('pt-duplicate-cancel'),
  region: $id('pf-region'),
  language: $id('pf-language'),
  zones: $id('pf-zones'),
};

const FIELDS = ['name', 'birth_date', 'mrn', 'email', 'phone', 'time_zone', 'region', 'language'];
const LABELS = {
  birth_date: 'Date of birth', mrn: 'MRN', email: 'Email', phone: 'Mobile phone',
  time_zone: 'Time zone', region: 'State for visits', language: 'Preferred language',
};
// The languages most asked for in US clinics; any BCP 47 code the server
// takes may be on record (shown by its code when not listed here).
const LANGUAGES = ['en', 'es', 'zh', 'vi', 'tl', 'ar', 'fr', 'ht', 'ko', 'ru', 'pt', 'de', 'it', 'pl', 'hi', 'ja'];

const careTeam = new CareTeam($id('pt-team'));
const diaryLink = new DiaryLink($id('pt-diary'));
let regions = [];
let current = null;     // the open patient
let editing = null;     // the patient being edited, or null for a new one
let searchSeq = 0;
let searchTimer = 0;

function showError(text) {
  ui.error.textContent = text || '';
  ui.error.hidden = !text;
}

function languageName(code) {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}

function regionName(code) {
  const r = regions.find((x) => x.code === code);
  return r ? `${r.name} (${r.code})` : code;
}

// "30 Apr 1990" from "1990-04-30", read as a calendar date (no zone).
function birthText(date) {
  if (!date) return 'not on record';
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
}

// ------------------------------------------------------------ search

function resultItem(p) {
  const meta = [`born ${birthText(p.birth_date)}`, p.mrn ? `MRN ${p.mrn}` : 'no MRN'].join(' · ');
  const btn = el('button', { type: 'button', className: 'pt-result', dataset: { testid: `patient-result-${p.id}` } },
    el('strong', {}, p.name), el('span', { className: 'pt-meta' }, meta));
  if (current && current.id === p.id) btn.setAttribute('aria-current', 'true');
  btn.addEventListener('click', () => openPatient(p.id));
  return el('li', {}, btn);
}

async function search() {
  const q = ui.q.value.trim();
  const seq = ++searchSeq;
  if (!q) {
    ui.results.replaceChildren();
    ui.status.textContent = '';
    return;
  }
  try {
    const res = await staffApi(`/api/patients?q=${enc(q)}`);
    if (seq !== searchSeq) return; // a newer search is on its way
    const list = Array.isArray(res.patients) ? res.patients : [];
    ui.results.replaceChildren(...list.map(resultItem));
    ui.status.textContent = list.length === 0 ? 'No patient found. Check the spelling, or create a new patient.'
      : `${list.length}${res.more ? ' or more' : ''} patient${list.length === 1 ? '' : 's'} found${res.more ? ': type more to narrow the list' : ''}.`;
    showError('');
  } catch (err) {
    if (seq !== searchSeq) return;
    ui.status.textContent = '';
    showError(err instanceof ApiError ? err.message : 'The search failed. Try again.');
  }
}

// ------------------------------------------------------------ one patient

function showDetail(p, hasTimeline) {
  current = p;
  ui.detailName.textContent = p.name;
  const rows = [
    ['Date of birth', birthText(p.birth_date)],
    ['MRN', p.mrn || 'not on record'],
    ['Email', p.email || 'none'],
    ['Mobile phone', p.phone || 'none'],
    ['Time zone', p.time_zone || 'not known'],
    ['State for visits', p.region ? regionName(p.region) : 'not known'],
    ['Preferred language', p.language ? languageName(p.language) : 'not stated'],
  ];
  ui.facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { dataset: { field: k } }, v)]));
  ui.timeline.hidden = !hasTimeline;
  ui.timeline.href = `/timeline.html#patient=${enc(p.id)}`;
  ui.detail.hidden = false;
  ui.formSection.hidden = true;
  careTeam.show(p);
  diaryLink.show(p, hasTimeline);
  for (const b of ui.results.querySelectorAll('.pt-result')) {
    if (b.dataset.testid === `patient-result-${p.id}`) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
}

async function openPatient(id) {
  try {
    const res = await staffApi(`/api/patients/${enc(id)}`);
    history.replaceState(null, '', `#patient=${enc(id)}`);
    showDetail(res.patient, res.has_timeline);
    showError('');
    ui.detailName.setAttribute('tabindex', '-1');
    ui.detailName.focus();
  } catch (err) {
    showError(err instanceof ApiError ? err.message : 'The patient could not be opened. Try again.');
  }
}

// ------------------------------------------------------------ the form

function input(name) { return $id(`pf-${name}`); }

function clearFieldErrors() {
  for (const name of FIELDS) {
    const box = input(name);
    box.removeAttribute('aria-invalid');
    box.removeAttribute('aria-describedby');
    const msg = $id(`pf-${name}-error`);
    if (msg) msg.remove();
  }
}

function fieldError(name, message) {
  const box = input(name);
  if (!box) return false;
  const msg = el('p', { className: 'field-error', id: `pf-${name}-error`, dataset: { testid: `field-error-${name}` } }, message);
  box.insertAdjacentElement('afterend', msg);
  box.setAttribute('aria-invalid', 'true');
  box.setAttribute('aria-describedby', msg.id);
  box.focus();
  return true;
}

function hideDuplicate() {
  ui.dup.hidden = true;
  ui.dupList.replaceChildren();
}

function openForm(p) {
  editing = p;
  clearFieldErrors();
  hideDuplicate();
  ui.saved.textContent = '';
  ui.formTitle.textContent = p ? `Edit ${p.name}` : 'New patient';
  for (const name of FIELDS) input(name).value = (p && p[name]) || '';
  // A language on record that the list lacks is kept, by its code.
  if (p && p.language && !LANGUAGES.includes(p.language)) {
    ui.language.append(el('option', { value: p.language }, languageName(p.language)));
    ui.language.value = p.language;
  }
  if (!p) input('time_zone').value = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  ui.formSection.hidden = false;
  ui.detail.hidden = true;
  input('name').focus();
}

function formBody() {
  const body = {};
  for (const name of FIELDS) body[name] = input(name).value.trim();
  return body;
}

function showDuplicates(candidates) {
  ui.dupText.textContent = 'This may be the same person:';
  ui.dupList.replaceChildren(...candidates.map((c) => {
    const open = el('button', { type: 'button', className: 'btn btn-small' }, `Open ${c.name}'s record`);
    open.addEventListener('click', () => { hideDuplicate(); openPatient(c.id); });
    return el('li', {}, `${c.name}, born ${birthText(c.birth_date)}, ${c.mrn ? `MRN ${c.mrn}` : 'no MRN'}`,
      el('br'), open);
  }));
  ui.dupAsk.textContent = candidates.length === 1
    ? 'Create a second record anyway?' : 'Create another record anyway?';
  ui.dup.hidden = false;
  ui.createAnyway.focus();
}

async function save({ confirmDuplicate = false } = {}) {
  clearFieldErrors();
  showError('');
  ui.saved.textContent = '';
  const body = formBody();
  if (confirmDuplicate) body.confirm_duplicate = true;
  ui.save.disabled = true;
  try {
    const res = editing
      ? await staffApi(`/api/patients/${enc(editing.id)}`, { method: 'POST', body })
      : await staffApi('/api/patients', { method: 'POST', body });
    hideDuplicate();
    const p = res.patient;
    history.replaceState(null, '', `#patient=${enc(p.id)}`);
    showDetail(p, false);
    await openPatient(p.id); // with whether a timeline exists
    ui.q.value = p.mrn || p.name;
    await search();
  } catch (err) {
    if (!(err instanceof ApiError)) {
      showError('The patient could not be saved. Try again.');
    } else if (err.code === 'possible-duplicate' && err.candidates) {
      showDuplicates(err.candidates);
    } else if (!(err.field && fieldError(err.field, err.message))) {
      showError(err.message);
    }
  } finally {
    ui.save.disabled = false;
  }
}

// ------------------------------------------------------------ start

function fillChoices() {
  ui.region.append(...regions.map((r) => el('option', { value: r.code }, `${r.name} (${r.code})`)));
  ui.language.append(...LANGUAGES.map((c) => el('option', { value: c }, languageName(c))));
  let zones = [];
  try { zones = Intl.supportedValuesOf('timeZone'); } catch { /* an older browser: type it */ }
  ui.zones.replaceChildren(...zones.map((z) => el('option', { value: z })));
}

async function start() {
  const staff = await startStaffSession(); // never settles without a session
  ui.who.textContent = staff && staff.display_name ? `Signed in as ${staff.display_name}` : '';
  try {
    regions = (await staffApi('/api/regions')).regions || [];
  } catch {
    regions = [];
  }
  fillChoices();
  ui.q.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 200);
  });
  $id('pt-search-form').addEventListener('submit', (e) => { e.preventDefault(); search(); });
  ui.newBtn.addEventListener('click', () => openForm(null));
  ui.edit.addEventListener('click', () => openForm(current));
  ui.cancel.addEventListener('click', () => {
    ui.formSection.hidden = true;
    if (current) ui.detail.hidden = false;
  });
  ui.form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  ui.createAnyway.addEventListener('click', () => save({ confirmDuplicate: true }));
  ui.dupCancel.addEventListener('click', () => { hideDuplicate(); input('name').focus(); });
  const { patient } = readFragment();
  if (patient) await openPatient(patient);
  // Typed while the page was still starting (before the listener above):
  // that search is due now.
  if (ui.q.value.trim()) search();
  ui.q.focus();
}

start().catch((err) => showError(err instanceof ApiError ? err.message : 'The page could not start. Reload it.'));
