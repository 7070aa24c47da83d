// labs-panel.js: "Labs and vital signs" in the follow-up record (issue 14):
// what the monitoring table says is overdue or due (first), the latest value
// of each kind with its flag (out of range is said in words and marked with
// an arrow, never by colour alone; a safety alert is said as one), and a
// small form to enter a value. Drawn from the record's `monitoring` block
// (GET /api/visits/<id>/record); a value is saved with
// POST /api/patients/<id>/observations, then the record is reloaded.

import { enc, el, dateTime } from './api.js';
import { staffApi } from './session.js';

const STATUS = {
  overdue: { text: 'Overdue', cls: 'labs-overdue' },
  due: { text: 'Due', cls: 'labs-due' },
  'not-yet': { text: 'Later', cls: 'labs-later' },
  done: { text: 'Done', cls: 'labs-done' },
};

// FHIR interpretation codes as the clinician reads them, with a mark that
// does not depend on colour.
const FLAGS = {
  N: { text: 'In range', mark: '' },
  L: { text: 'Low', mark: '▼ ' },
  H: { text: 'High', mark: '▲ ' },
  LL: { text: 'Critically low', mark: '▼▼ ' },
  HH: { text: 'Critically high', mark: '▲▲ ' },
};

// Today's date where the clinician is, "YYYY-MM-DD" (the server checks
// against the clinic's today as well).
function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// The table's words start with the flag ("high: above 1.2 mmol/L"); beside
// the flag itself they need not say it twice.
function withoutFlag(words, flag) {
  const prefix = `${flag.toLowerCase()}: `;
  return words.toLowerCase().startsWith(prefix) ? words.slice(prefix.length) : words;
}

let formSeq = 0;

export class LabsPanel {
  constructor(root, { onSaved } = {}) {
    this.root = root;
    this.onSaved = onSaved || (() => {});
    this.patientId = '';
    this.visitId = '';
    this.kinds = [];
    const id = (n) => `labs-${n}-${++formSeq}`;
    const ids = { kind: id('kind'), value: id('value'), value2: id('value2'), date: id('date'), hint: id('hint') };
    this.ui = {
      due: el('div', { dataset: { testid: 'labs-due' } }),
      later: el('div', { dataset: { testid: 'labs-later' } }),
      latest: el('div', { dataset: { testid: 'labs-latest' } }),
      kind: el('select', { id: ids.kind, className: 'input-text', dataset: { testid: 'labs-kind' } }),
      value: el('input', { id: ids.value, className: 'input-text', type: 'text', inputMode: 'decimal', autocomplete: 'off', dataset: { testid: 'labs-value' }, attrs: { 'aria-describedby': ids.hint } }),
      value2: el('input', { id: ids.value2, className: 'input-text', type: 'text', inputMode: 'numeric', autocomplete: 'off', dataset: { testid: 'labs-value2' } }),
      date: el('input', { id: ids.date, className: 'input-text', type: 'date', min: '1900-01-01', dataset: { testid: 'labs-date' } }),
      hint: el('p', { className: 'hint', id: ids.hint }),
      error: el('p', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'labs-error' } }),
      done: el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'labs-done' } }),
      save: el('button', { type: 'submit', className: 'btn', dataset: { testid: 'labs-save' } }, 'Save value'),
    };
    this.ui.value2Field = el('div', { className: 'field', hidden: true },
      el('label', { htmlFor: ids.value2 }, 'Diastolic (lower number)'), this.ui.value2);
    this.ui.valueLabel = el('label', { htmlFor: ids.value }, 'Value');
    this.form = el('form', { className: 'labs-form', noValidate: true, dataset: { testid: 'labs-form' } },
      el('h4', {}, 'Enter a value'),
      el('div', { className: 'field-row' },
        el('div', { className: 'field' }, el('label', { htmlFor: ids.kind }, 'Test or vital sign'), this.ui.kind),
        el('div', { className: 'field' }, this.ui.valueLabel, this.ui.value),
        this.ui.value2Field,
        el('div', { className: 'field' }, el('label', { htmlFor: ids.date }, 'Date taken'), this.ui.date)),
      this.ui.hint, this.ui.save, this.ui.error, this.ui.done);
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.save(); });
    this.ui.kind.addEventListener('change', () => this.kindChanged());
    root.replaceChildren(
      el('h3', { id: 'rec-labs-heading' }, 'Labs and vital signs'),
      this.ui.due, this.ui.latest, this.ui.later, this.form);
  }

  setVisit(visitId) {
    this.visitId = visitId;
    this.patientId = '';
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    this.ui.value.value = '';
    this.ui.value2.value = '';
    this.ui.date.value = localToday();
    this.ui.date.max = localToday();
    for (const k of ['due', 'latest', 'later']) this.ui[k].replaceChildren();
  }

  render(rec) {
    const m = rec.monitoring || {};
    this.patientId = rec.patient && rec.patient.id ? rec.patient.id : '';
    if (Array.isArray(m.kinds) && m.kinds.length && !this.kinds.length) this.fillKinds(m.kinds);
    const due = Array.isArray(m.due) ? m.due : [];
    this.drawDue(due.filter((d) => d.status === 'overdue' || d.status === 'due'));
    this.drawLatest(Array.isArray(m.recent) ? m.recent : []);
    this.drawLater(due.filter((d) => d.status === 'not-yet' || d.status === 'done'));
  }

  fillKinds(kinds) {
    this.kinds = kinds;
    this.ui.kind.replaceChildren(...kinds.map((k) => el('option', { value: k.code }, `${k.display} (${k.unit_text})`)));
    this.kindChanged();
  }

  kind() { return this.kinds.find((k) => k.code === this.ui.kind.value) || null; }

  kindChanged() {
    const k = this.kind();
    if (!k) return;
    this.ui.value2Field.hidden = !k.two_values;
    this.ui.valueLabel.textContent = k.two_values ? 'Systolic (upper number)' : `Value (${k.unit_text})`;
    this.ui.hint.textContent = k.two_values
      ? `Both numbers in ${k.unit_text}, for example 120 and 80.`
      : `In ${k.unit_text}.`;
  }

  drawDue(items) {
    if (!items.length) {
      this.ui.due.replaceChildren(el('p', { className: 'muted', dataset: { testid: 'labs-nothing-due' } }, 'Nothing is due for the current medications.'));
      return;
    }
    this.ui.due.replaceChildren(el('ul', { className: 'labs-due-list' }, items.map((d) => this.dueItem(d))));
  }

  dueItem(d) {
    const s = STATUS[d.status] || STATUS.due;
    return el('li', { className: `labs-item ${s.cls}`, dataset: { testid: 'labs-due-item', status: d.status, kind: d.kind } },
      el('span', { className: `badge ${s.cls}-badge` }, s.text), ' ', d.why,
      el('span', { className: 'labs-source' }, ` Source: ${String(d.source || '').split(':')[0]}.`));
  }

  drawLater(items) {
    if (!items.length) {
      this.ui.later.replaceChildren();
      return;
    }
    this.ui.later.replaceChildren(el('details', { className: 'labs-later-list' },
      el('summary', {}, `Coming up and done (${items.length})`),
      el('ul', {}, items.map((d) => this.dueItem(d)))));
  }

  // The latest value of each kind: one card each, so a narrow column
  // squeezes nothing; out of range is said in words with an arrow.
  drawLatest(list) {
    if (!list.length) {
      this.ui.latest.replaceChildren(el('p', { className: 'muted' }, 'No labs or vital signs on record yet.'));
      return;
    }
    const items = list.map((o) => {
      const f = FLAGS[o.interpretation] || FLAGS.N;
      const out = o.interpretation && o.interpretation !== 'N';
      return el('li', { className: `labs-value${out ? ' labs-out' : ''}`, dataset: { testid: 'labs-latest-row', kind: o.kind, flag: o.interpretation || 'N' } },
        el('p', { className: 'labs-value-line' },
          el('span', { className: 'labs-name' }, o.display), ' ',
          el('strong', {}, `${o.value_text} ${o.unit_text}`), ' ',
          el('span', { className: out ? 'labs-flag-out' : 'labs-flag-in', dataset: { testid: 'labs-flag' } },
            el('strong', {}, `${f.mark}${f.text}`), o.flag_words ? ` — ${withoutFlag(o.flag_words, f.text)}` : '')),
        el('p', { className: 'labs-when' }, `Taken ${dateTime(o.effective_at)}`,
          o.home ? ' · home reading, entered by the patient' : (o.recorded_by ? ` · entered by ${o.recorded_by.display_name}` : '')),
        o.alert ? el('p', { className: 'labs-alert', dataset: { testid: 'labs-alert' } },
          el('strong', {}, o.alert.acknowledged ? 'Safety alert (acknowledged): ' : 'Safety alert: '), o.alert.summary) : null);
    });
    this.ui.latest.replaceChildren(el('h4', {}, 'Latest values'), el('ul', { className: 'labs-values' }, items));
  }

  showError(message) {
    this.ui.done.textContent = '';
    this.ui.error.textContent = message;
    this.ui.error.hidden = false;
  }

  async save() {
    const k = this.kind();
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    if (!k || !this.patientId) return;
    const raw = this.ui.value.value.trim().replace(',', '.');
    const raw2 = this.ui.value2.value.trim().replace(',', '.');
    const value = Number(raw);
    if (!raw || !Number.isFinite(value)) {
      this.showError(k.two_values ? 'Enter the upper number (systolic) as a number. Nothing was saved.' : 'Enter the value as a number. Nothing was saved.');
      this.ui.value.focus();
      return;
    }
    const body = { kind: k.code, value, visit_id: this.visitId };
    if (k.two_values) {
      const value2 = Number(raw2);
      if (!raw2 || !Number.isFinite(value2)) {
        this.showError('Enter the lower number (diastolic) too, for example 120 and 80. Nothing was saved.');
        this.ui.value2.focus();
        return;
      }
      body.value2 = value2;
    }
    const date = this.ui.date.value;
    if (date && date !== localToday()) body.effective_at = date;
    this.ui.save.disabled = true;
    try {
      const res = await staffApi(`/api/patients/${enc(this.patientId)}/observations`, { method: 'POST', body });
      const o = res.observation || {};
      const f = FLAGS[o.interpretation] || FLAGS.N;
      this.ui.done.textContent = `Saved: ${o.display} ${o.value_text} ${o.unit_text} — ${f.text}${res.alert ? '. A safety alert was raised.' : '.'}`;
      this.ui.value.value = '';
      this.ui.value2.value = '';
      await this.onSaved();
    } catch (err) {
      if (err.status === 401) return;
      this.showError(err.message);
    } finally {
      this.ui.save.disabled = false;
    }
  }
}
