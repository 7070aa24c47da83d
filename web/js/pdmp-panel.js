// pdmp-panel.js: "Controlled-substance checks" in the follow-up record
// (issue 15): the patient's last prescription drug monitoring program (PDMP)
// check (who, when, which state, what was found), whether it is recent
// enough for a controlled order (the clinic's [prescribing] pdmp_max_days;
// the server enforces it, rule "pdmp-check"), a small form to record one,
// and the pharmacy the patient's orders go to, with a folded form to set it.
// Reads GET /api/patients/<id>/pdmp-checks and /pharmacy; records with
// POST /api/patients/<id>/pdmp-checks and /pharmacy.

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
    this.pharmacyForm = this.buildPharmacyForm(n);
    root.setAttribute('aria-labelledby', ids.heading);
    root.replaceChildren(el('h3', { id: ids.heading }, 'Controlled-substance checks'),
      this.ui.last, this.ui.pharmacy, this.pharmacyForm, this.form);
  }

  // The patient's preferred pharmacy: new orders go there (each order keeps
  // the one it was sent to). Folded away until needed.
  buildPharmacyForm(n) {
    const field = (key, label, attrs = {}) => {
      const input = el('input', { id: `pharmacy-${key}-${n}`, className: 'input-text', dataset: { testid: `pharmacy-${key}` }, ...attrs });
      this.ui[`pharmacy_${key}`] = input;
      return el('div', { className: 'field' }, el('label', { htmlFor: input.id }, label), input);
    };
    this.ui.pharmacyError = el('p', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'pharmacy-error' } });
    this.ui.pharmacyDone = el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'pharmacy-done' } });
    const form = el('form', { noValidate: true, dataset: { testid: 'pharmacy-form' } },
      field('name', 'Pharmacy name', { maxLength: 200, autocomplete: 'off' }),
      field('address', 'Address', { maxLength: 300, autocomplete: 'off' }),
      field('phone', 'Phone', { type: 'tel', maxLength: 40, autocomplete: 'off' }),
      field('ncpdp', 'NCPDP id (optional, 7 digits)', { inputMode: 'numeric', maxLength: 7, autocomplete: 'off' }),
      el('button', { type: 'submit', className: 'btn', dataset: { testid: 'pharmacy-save' } }, 'Save pharmacy'),
      this.ui.pharmacyError);
    form.addEventListener('submit', (ev) => { ev.preventDefault(); this.savePharmacy(); });
    this.ui.pharmacyDetails = el('details', { className: 'pharmacy-set', dataset: { testid: 'pharmacy-set' } },
      el('summary', {}, 'Set the patient\'s pharmacy'), form);
    return el('div', {}, this.ui.pharmacyDetails, this.ui.pharmacyDone);
  }

  async savePharmacy() {
    const v = (k) => this.ui[`pharmacy_${k}`].value.trim();
    this.ui.pharmacyError.hidden = true;
    this.ui.pharmacyDone.textContent = '';
    const missing = [['name', 'the pharmacy\'s name'], ['address', 'its address'], ['phone', 'its phone number']].filter(([k]) => !v(k));
    if (missing.length) {
      this.ui.pharmacyError.textContent = `Give ${missing.map(([, w]) => w).join(', ')}.`;
      this.ui.pharmacyError.hidden = false;
      this.ui[`pharmacy_${missing[0][0]}`].focus();
      return;
    }
    const body = { name: v('name'), address: v('address'), phone: v('phone') };
    if (v('ncpdp')) body.ncpdp_id = v('ncpdp');
    try {
      await staffApi(`/api/patients/${enc(this.patientId)}/pharmacy`, { method: 'POST', body });
      for (const k of ['name', 'address', 'phone', 'ncpdp']) this.ui[`pharmacy_${k}`].value = '';
      this.ui.pharmacyDetails.open = false;
      this.ui.pharmacyDone.textContent = `Saved: new orders go to ${body.name}.`;
      await this.load();
    } catch (e) {
      // The server's sentence: which field, in words.
      this.ui.pharmacyError.textContent = e.message;
      this.ui.pharmacyError.hidden = false;
    }
  }

  setPatient(patientId) {
    if (patientId === this.patientId) return;
    this.patientId = patientId;
    this.ui.result.value = '';
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    this.ui.last.textContent = '';
    this.ui.pharmacy.textContent = '';
    this.ui.pharmacyDone.textContent = '';
    this.ui.pharmacyError.hidden = true;
    this.ui.pharmacyDetails.open = false;
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
