// problems-panel.js: "Diagnoses" and "Allergies and intolerances" in the
// follow-up record (issue 15). Diagnoses come from the clinic's ICD-10-CM
// list, searched as the clinician types (code or words); each has an onset
// and a status that can be changed. Allergies name a medicine, a class of
// medicines or something else, with the reaction; the form says what is
// missing before anything is sent. The server decides everything (an
// unknown code, a substance it cannot use): its sentences are shown as sent.
// GET/POST /api/patients/<id>/conditions and /allergies.

import { enc, el, shortDate } from './api.js';
import { staffApi } from './session.js';

const CLINICAL = ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'];
const ALLERGY_STATUS = { active: 'Active', inactive: 'Inactive', resolved: 'Resolved', 'entered-in-error': 'Entered in error' };
const MAX_MATCHES = 8;

let seq = 0;

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function field(label, control, hint) {
  return el('div', { className: 'field' }, el('label', { htmlFor: control.id }, label), control, hint || null);
}

function select(id, testid, options) {
  return el('select', { id, className: 'input-text', dataset: { testid } },
    options.map(([value, text]) => el('option', { value }, text)));
}

// A date as recorded ("2026-09-01"), shown as the clinician reads dates.
function dayText(day) {
  return day ? shortDate(`${day}T12:00:00`) : '';
}

export class ProblemsPanel {
  // root: the container; onConditions(list): the patient's conditions after
  // each load (the adjustment form's "Treats" choices).
  constructor(root, { onConditions } = {}) {
    this.root = root;
    this.onConditions = onConditions || (() => {});
    this.patientId = '';
    this.visitId = '';
    this.choices = [];
    this.chosen = null;
    const id = (n) => `problems-${n}-${++seq}`;
    this.ids = { search: id('search'), onset: id('onset'), status: id('status'), hint: id('hint'), substance: id('substance'),
      type: id('type'), manifestation: id('manifestation'), reaction: id('reaction'), severity: id('severity'),
      criticality: id('criticality'), aOnset: id('aonset'), substances: id('substances') };
    this.buildDiagnoses();
    this.buildAllergies();
    root.replaceChildren(
      el('h3', { id: id('heading') }, 'Diagnoses and allergies'),
      el('div', { className: 'problems-grid' }, this.dx.part, this.al.part));
    root.setAttribute('aria-labelledby', root.firstChild.id);
  }

  buildDiagnoses() {
    const ids = this.ids;
    const ui = {
      list: el('ul', { className: 'problem-list', dataset: { testid: 'diagnosis-list' } }),
      status: el('p', { className: 'muted', role: 'status', dataset: { testid: 'diagnosis-status' } }),
      search: el('input', { id: ids.search, className: 'input-text', type: 'search', autocomplete: 'off',
        placeholder: 'F33.1 or "recurrent depression"', dataset: { testid: 'diagnosis-search' }, attrs: { 'aria-describedby': ids.hint } }),
      hint: el('p', { className: 'hint', id: ids.hint }, 'Type a code or words; choose one of the clinic\'s ICD-10-CM diagnoses.'),
      matches: el('ul', { className: 'problem-matches', dataset: { testid: 'diagnosis-matches' }, attrs: { 'aria-label': 'Matching diagnoses' } }),
      onset: el('input', { id: ids.onset, className: 'input-text', type: 'date', min: '1900-01-01', dataset: { testid: 'diagnosis-onset' } }),
      clinical: select(ids.status, 'diagnosis-clinical', CLINICAL.map((s) => [s, s.charAt(0).toUpperCase() + s.slice(1)])),
      error: el('p', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'diagnosis-error' } }),
      done: el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'diagnosis-done' } }),
      save: el('button', { type: 'submit', className: 'btn', dataset: { testid: 'diagnosis-save' } }, 'Add diagnosis'),
    };
    ui.form = el('form', { className: 'problems-form', noValidate: true, dataset: { testid: 'diagnosis-form' } },
      field('Diagnosis', ui.search, ui.hint), ui.matches,
      el('div', { className: 'field-row' }, field('Onset (if known)', ui.onset), field('Status', ui.clinical)),
      ui.save, ui.error);
    ui.search.addEventListener('input', () => { this.chosen = null; this.drawMatches(); });
    ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.saveDiagnosis(); });
    // The list first; the form opens on demand, so the record stays short.
    this.dx = { ui, part: el('section', { className: 'problems-part', dataset: { testid: 'diagnoses' } },
      el('h4', {}, 'Diagnoses'), ui.status, ui.list, ui.done,
      el('details', { className: 'problems-add', dataset: { testid: 'diagnosis-add' } }, el('summary', {}, 'Add a diagnosis'), ui.form)) };
  }

  buildAllergies() {
    const ids = this.ids;
    const ui = {
      list: el('ul', { className: 'problem-list', dataset: { testid: 'allergy-list' } }),
      status: el('p', { className: 'muted', role: 'status', dataset: { testid: 'allergy-status' } }),
      substance: el('input', { id: ids.substance, className: 'input-text', type: 'text', autocomplete: 'off',
        attrs: { list: ids.substances }, dataset: { testid: 'allergy-substance' } }),
      substances: el('datalist', { id: ids.substances }),
      type: select(ids.type, 'allergy-type', [['allergy', 'Allergy'], ['intolerance', 'Intolerance (not immune)']]),
      manifestation: select(ids.manifestation, 'allergy-manifestation', [['', 'Choose the reaction']]),
      reaction: el('input', { id: ids.reaction, className: 'input-text', type: 'text', maxLength: 1000, dataset: { testid: 'allergy-reaction' } }),
      severity: select(ids.severity, 'allergy-severity', [['', 'Not recorded'], ['mild', 'Mild'], ['moderate', 'Moderate'], ['severe', 'Severe']]),
      criticality: select(ids.criticality, 'allergy-criticality', [['', 'Not assessed'], ['low', 'Low'], ['high', 'High'], ['unable-to-assess', 'Unable to assess']]),
      onset: el('input', { id: ids.aOnset, className: 'input-text', type: 'date', min: '1900-01-01', dataset: { testid: 'allergy-onset' } }),
      error: el('div', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'allergy-error' } }),
      done: el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'allergy-done' } }),
      save: el('button', { type: 'submit', className: 'btn', dataset: { testid: 'allergy-save' } }, 'Add allergy'),
    };
    ui.form = el('form', { className: 'problems-form', noValidate: true, dataset: { testid: 'allergy-form' } },
      field('Substance (a medicine, a class such as SSRI, or something else)', ui.substance), ui.substances,
      el('div', { className: 'field-row' }, field('Type', ui.type), field('Reaction', ui.manifestation), field('Severity', ui.severity)),
      el('div', { className: 'field-row' }, field('What happened', ui.reaction), field('Date of the reaction', ui.onset), field('Risk of a future reaction', ui.criticality)),
      ui.save, ui.error);
    ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.saveAllergy(); });
    this.al = { ui, part: el('section', { className: 'problems-part', dataset: { testid: 'allergies' } },
      el('h4', {}, 'Allergies and intolerances'), ui.status, ui.list, ui.done,
      el('details', { className: 'problems-add', dataset: { testid: 'allergy-add' } }, el('summary', {}, 'Add an allergy or intolerance'), ui.form)) };
  }

  setPatient(patientId, visitId) {
    this.visitId = visitId || '';
    if (patientId === this.patientId) return;
    this.patientId = patientId;
    this.root.hidden = !patientId;
    if (patientId) this.load();
  }

  async load() {
    await Promise.all([this.loadDiagnoses(), this.loadAllergies()]);
  }

  async loadDiagnoses(res) {
    try {
      const r = res || await staffApi(`/api/patients/${enc(this.patientId)}/conditions`);
      this.choices = r.choices || [];
      this.drawDiagnoses(r.conditions || []);
      this.onConditions(r.conditions || []);
    } catch (err) {
      if (err.status === 401) return;
      this.dx.ui.status.textContent = `The diagnoses could not be loaded: ${err.message}`;
    }
  }

  async loadAllergies(res) {
    try {
      const r = res || await staffApi(`/api/patients/${enc(this.patientId)}/allergies`);
      this.fillAllergyChoices(r.choices || {});
      this.drawAllergies(r.allergies || []);
    } catch (err) {
      if (err.status === 401) return;
      this.al.ui.status.textContent = `The allergies could not be loaded: ${err.message}`;
    }
  }

  // ---------------------------------------------------------- diagnoses

  drawMatches() {
    const ui = this.dx.ui;
    const words = ui.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { ui.matches.replaceChildren(); return; }
    const found = this.choices.filter((c) => {
      const text = `${c.code} ${c.display} ${c.group}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const items = found.slice(0, MAX_MATCHES).map((c) => el('li', {},
      el('button', { type: 'button', className: 'problem-match', dataset: { testid: 'diagnosis-match', code: c.code },
        onclick: () => { this.chosen = c; ui.search.value = `${c.code} ${c.display}`; ui.matches.replaceChildren(); ui.onset.focus(); } },
      el('strong', {}, c.code), ` ${c.display}`)));
    if (!found.length) items.push(el('li', { className: 'muted' }, 'No diagnosis of the clinic\'s list matches.'));
    else if (found.length > MAX_MATCHES) items.push(el('li', { className: 'muted' }, `${found.length - MAX_MATCHES} more: type more words.`));
    ui.matches.replaceChildren(...items);
  }

  drawDiagnoses(list) {
    const ui = this.dx.ui;
    ui.status.textContent = list.length ? '' : 'No diagnoses recorded.';
    ui.list.replaceChildren(...list.map((c) => {
      const ctl = select(`problems-cs-${c.id}`, 'diagnosis-change',
        [...CLINICAL.map((s) => [s, s.charAt(0).toUpperCase() + s.slice(1)]), ['entered-in-error', 'Entered in error']]);
      ctl.value = c.clinical_status;
      ctl.addEventListener('change', () => this.changeDiagnosis(c, ctl));
      const erroneous = c.verification_status === 'entered-in-error';
      return el('li', { className: `problem-item${c.active ? '' : ' problem-inactive'}`, dataset: { testid: 'diagnosis', code: c.code, status: c.clinical_status } },
        el('span', { className: 'problem-text' }, el('span', { className: 'problem-code' }, c.code), ` ${c.display}`,
          el('span', { className: 'problem-meta' }, [c.onset ? ` · onset ${dayText(c.onset)}` : '', erroneous ? ' · entered in error' : ''].join(''))),
        erroneous ? null : el('span', { className: 'problem-change' },
          el('label', { htmlFor: ctl.id, className: 'visually-hidden' }, `Status of ${c.code}`), ctl));
    }));
  }

  async changeDiagnosis(c, ctl) {
    let body = { clinical_status: ctl.value };
    if (ctl.value === 'entered-in-error') {
      // eslint-disable-next-line no-alert
      const reason = window.prompt(`Why was ${c.code} entered in error?`);
      if (!reason || !reason.trim()) { ctl.value = c.clinical_status; return; }
      body = { verification_status: 'entered-in-error', reason: reason.trim() };
    }
    try {
      await this.loadDiagnoses(await staffApi(`/api/patients/${enc(this.patientId)}/conditions/${enc(c.id)}/status`, { method: 'POST', body }));
      this.dx.ui.done.textContent = body.clinical_status ? `${c.code}: status changed to ${body.clinical_status}.` : `${c.code}: marked entered in error.`;
    } catch (err) {
      if (err.status === 401) return;
      ctl.value = c.clinical_status;
      this.showError(this.dx.ui, [err.message]);
    }
  }

  async saveDiagnosis() {
    const ui = this.dx.ui;
    this.clear(ui);
    const typed = ui.search.value.trim();
    // A code typed whole counts as chosen; the server checks it again.
    const code = this.chosen ? this.chosen.code : typed.split(/\s+/)[0].toUpperCase();
    if (!typed) return this.showError(ui, ['Choose a diagnosis: type its code or words, then pick it from the list.'], ui.search);
    if (ui.onset.value && ui.onset.value > localToday()) return this.showError(ui, ['The onset cannot be after today.'], ui.onset);
    const body = { code, clinical_status: ui.clinical.value };
    if (ui.onset.value) body.onset = ui.onset.value;
    if (this.visitId) body.visit_id = this.visitId;
    try {
      const r = await staffApi(`/api/patients/${enc(this.patientId)}/conditions`, { method: 'POST', body });
      ui.done.textContent = `Added: ${r.condition.code} ${r.condition.display}.`;
      ui.search.value = '';
      ui.onset.value = '';
      this.chosen = null;
      await this.loadDiagnoses(r);
    } catch (err) {
      if (err.status === 401) return;
      this.showError(ui, [err.message], ui.search);
    }
  }

  // ---------------------------------------------------------- allergies

  fillAllergyChoices(choices) {
    const ui = this.al.ui;
    if (ui.manifestation.options.length <= 1) {
      for (const m of choices.manifestations || []) ui.manifestation.append(el('option', { value: m.code }, m.code === 'sjs-ten' ? 'Stevens-Johnson syndrome / TEN' : m.text.replace(/^a /, '').replace(/^./, (s) => s.toUpperCase())));
    }
    ui.substances.replaceChildren(
      ...(choices.ingredients || []).map((n) => el('option', { value: n })),
      ...(choices.classes || []).map((n) => el('option', { value: n }, `${n} (class)`)));
  }

  drawAllergies(list) {
    const ui = this.al.ui;
    // Not "no known allergies": nobody has said so, only nothing is recorded.
    ui.status.textContent = list.length ? '' : 'No allergies recorded.';
    ui.list.replaceChildren(...list.map((a) => {
      const ctl = select(`problems-as-${a.id}`, 'allergy-change', Object.entries(ALLERGY_STATUS));
      ctl.value = a.status;
      ctl.addEventListener('change', () => this.changeAllergy(a, ctl));
      const what = a.substance.kind === 'class' ? `${a.substance.name} (class)` : a.substance.name;
      const reaction = [a.manifestation && a.manifestation.text, a.reaction].filter(Boolean).join(': ');
      return el('li', { className: `problem-item${a.status === 'active' ? ` problem-${a.type}` : ' problem-inactive'}`, dataset: { testid: 'allergy', status: a.status } },
        el('span', { className: 'problem-text' }, el('strong', {}, what), ` — ${a.type}`, reaction ? `, ${reaction}` : '',
          el('span', { className: 'problem-meta' }, [a.severity ? ` · ${a.severity}` : '', a.onset ? ` · ${dayText(a.onset)}` : ''].join(''))),
        a.status === 'entered-in-error' ? el('span', { className: 'problem-meta' }, ' · entered in error') : el('span', { className: 'problem-change' },
          el('label', { htmlFor: ctl.id, className: 'visually-hidden' }, `Status of the ${a.type} to ${what}`), ctl));
    }));
  }

  async changeAllergy(a, ctl) {
    const body = { status: ctl.value };
    if (ctl.value === 'entered-in-error') {
      // eslint-disable-next-line no-alert
      const reason = window.prompt('Why was this entry made in error? (for example: the rash was not caused by the medicine)');
      if (!reason || !reason.trim()) { ctl.value = a.status; return; }
      body.reason = reason.trim();
    }
    try {
      await this.loadAllergies(await staffApi(`/api/patients/${enc(this.patientId)}/allergies/${enc(a.id)}/status`, { method: 'POST', body }));
      this.al.ui.done.textContent = `The ${a.type} to ${a.substance.name} is now ${ALLERGY_STATUS[body.status].toLowerCase()}.`;
    } catch (err) {
      if (err.status === 401) return;
      ctl.value = a.status;
      this.showError(this.al.ui, [err.message]);
    }
  }

  async saveAllergy() {
    const ui = this.al.ui;
    this.clear(ui);
    const missing = [];
    if (!ui.substance.value.trim()) missing.push('the substance: a medicine from the list, a class such as SSRI, or the name of something else');
    if (!ui.manifestation.value && !ui.reaction.value.trim()) missing.push('the reaction: choose one, or say what happened');
    if (ui.onset.value && ui.onset.value > localToday()) missing.push('a date of the reaction that is not after today');
    if (missing.length) {
      return this.showError(ui, ['To record it, give', ...missing.map((m) => `• ${m}`)], !ui.substance.value.trim() ? ui.substance : ui.manifestation);
    }
    const body = { substance: ui.substance.value.replace(/ \(class\)$/, '').trim(), type: ui.type.value };
    for (const k of ['manifestation', 'severity', 'criticality']) if (ui[k].value) body[k] = ui[k].value;
    if (ui.reaction.value.trim()) body.reaction = ui.reaction.value.trim();
    if (ui.onset.value) body.onset = ui.onset.value;
    if (this.visitId) body.visit_id = this.visitId;
    try {
      const r = await staffApi(`/api/patients/${enc(this.patientId)}/allergies`, { method: 'POST', body });
      ui.done.textContent = `Added: ${r.allergy.type} to ${r.allergy.substance.name}. Orders for it${r.allergy.substance.kind === 'class' ? ' or its class' : ''} are now checked against it.`;
      for (const k of ['substance', 'reaction', 'onset']) ui[k].value = '';
      for (const k of ['manifestation', 'severity', 'criticality']) ui[k].value = '';
      await this.loadAllergies(r);
    } catch (err) {
      if (err.status === 401) return;
      this.showError(ui, [err.message], ui.substance);
    }
  }

  // ---------------------------------------------------------- messages

  clear(ui) {
    ui.error.hidden = true;
    ui.error.replaceChildren();
    ui.done.textContent = '';
  }

  showError(ui, lines, focus) {
    ui.error.replaceChildren(...lines.map((l) => el('div', {}, l)));
    ui.error.hidden = false;
    if (focus) focus.focus();
  }
}
