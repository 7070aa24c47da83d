// pdmp-panel.js: "Controlled-substance checks" in the follow-up record
// (issue 15): the patient's last prescription drug monitoring program (PDMP)
// check (who, when, which state, what was found), whether it is recent
// enough for a controlled order (the clinic's [prescribing] pdmp_max_days;
// the server enforces it, rule "pdmp-check"), a small form to record one,
// and the pharmacy the patient's orders go to. Reads
// GET /api/patients/<id>/pdmp-checks and /pharmacy; records with
// POST /api/patients/<id>/pdmp-checks.

import { enc, el, dateTime } from './api.js';
import { staffApi } from './session.js';

let seq = 0;

export class PdmpPanel {
  constructor(root) {
    this.root = root;
    this.patientId = '';
    const n = ++seq;
    const ids = { heading: `rec-pdmp-heading-${n}`, result: `pdmp-result-${n}`, hint: `pdmp-hint-${n}` };
    this.ui = {
      last: el('p', { role: 'status', dataset: { testid: 'pdmp-last' } }),
      pharmacy: el('p', { dataset: { testid: 'pharmacy' } }),
      result: el('textarea', { id: ids.result, className: 'input-text', rows: 2, maxLength: 2000,
        dataset: { testid: 'pdmp-result' }, attrs: { 'aria-describedby': ids.hint } }),
      error: el('p', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'pdmp-error' } }),
      done: el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'pdmp-done' } }),
    };
    this.form = el('form', { className: 'pdmp-form', noValidate: true, dataset: { testid: 'pdmp-form' } },
      el('label', { htmlFor: ids.result }, 'What the PDMP showed'),
      el('p', { className: 'hint', id: ids.hint },
        'Search the state\'s prescription drug monitoring program, then record it here: a controlled substance is prescribed only after a recent check.'),
      this.ui.result,
      el('button', { type: 'submit', className: 'btn', dataset: { testid: 'pdmp-record' } }, 'Record a PDMP check'),
      this.ui.error, this.ui.done);
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.save(); });
    root.setAttribute('aria-labelledby', ids.heading);
    root.replaceChildren(el('h3', { id: ids.heading }, 'Controlled-substance checks'),
      this.ui.last, this.ui.pharmacy, this.form);
  }

  setPatient(patientId) {
    if (patientId === this.patientId) return;
    this.patientId = patientId;
    this.ui.result.value = '';
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    this.ui.last.textContent = '';
    this.ui.pharmacy.textContent = '';
    if (patientId) this.load();
  }

  async load() {
    const id = this.patientId;
    try {
      const [pdmp, pharmacy] = await Promise.all([
        staffApi(`/api/patients/${enc(id)}/pdmp-checks`, { background: true }),
        staffApi(`/api/patients/${enc(id)}/pharmacy`, { background: true }),
      ]);
      if (id !== this.patientId) return;
      this.draw(pdmp, pharmacy.pharmacy);
    } catch (e) {
      if (id !== this.patientId) return;
      this.ui.last.replaceChildren(el('span', { className: 'alert' }, `The PDMP checks could not be read: ${e.message}`));
    }
  }

  draw(pdmp, pharmacy) {
    const state = pdmp.patient_state;
    const last = (pdmp.checks || []).find((c) => c.state === state);
    if (!state) {
      this.ui.last.replaceChildren(el('span', { className: 'alert' },
        'No state is on the patient\'s record: a controlled substance cannot be prescribed until it is.'));
    } else if (!last) {
      this.ui.last.replaceChildren(el('span', {}, `No ${state} PDMP check on record. `),
        el('strong', {}, 'A controlled substance needs one first.'));
    } else {
      const who = last.by && last.by.display_name ? ` by ${last.by.display_name}` : '';
      this.ui.last.replaceChildren(
        el('span', {}, `Last ${state} PDMP check: `), el('strong', {}, dateTime(last.checked_at)), `${who}. `,
        el('span', {}, `“${last.result}” `),
        pdmp.current
          ? el('span', { className: 'ok-text' }, `Recent enough for a controlled order until ${dateTime(pdmp.current_until)}.`)
          : el('strong', {}, `Older than ${pdmp.max_days} days: check again before a controlled order.`));
    }
    this.ui.pharmacy.replaceChildren(pharmacy
      ? el('span', {}, 'Pharmacy: ', el('strong', {}, pharmacy.name), `, ${pharmacy.address}, ${pharmacy.phone}`)
      : el('span', { className: 'muted' }, 'No pharmacy on record.'));
  }

  async save() {
    const result = this.ui.result.value.trim();
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    if (!result) {
      this.ui.error.textContent = 'Write what the PDMP showed, for example “No other controlled prescriptions in 12 months”.';
      this.ui.error.hidden = false;
      this.ui.result.focus();
      return;
    }
    try {
      const res = await staffApi(`/api/patients/${enc(this.patientId)}/pdmp-checks`, { method: 'POST', body: { result } });
      this.ui.result.value = '';
      this.ui.done.textContent = 'PDMP check recorded.';
      const pharmacy = await staffApi(`/api/patients/${enc(this.patientId)}/pharmacy`, { background: true });
      this.draw(res, pharmacy.pharmacy);
    } catch (e) {
      this.ui.error.textContent = e.message;
      this.ui.error.hidden = false;
    }
  }
}
