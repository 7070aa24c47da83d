// other-meds-panel.js: "Medications from elsewhere" in the follow-up record
// (issue 15): what other prescribers gave the patient, so the prescribing
// check sees the whole list. Lists them (coded ones with their RxNorm code,
// free text marked as not checked for interactions), adds one (picked from
// the clinic's interaction vocabulary by name, or typed), stops one (with the
// date the patient stopped) and records that it was verified with the
// patient. GET/POST /api/patients/<id>/other-medications, .../<id>/stop,
// .../<id>/verify. The server checks everything; this panel explains.

import { enc, el, shortDate } from './api.js';
import { staffApi } from './session.js';

let seq = 0;

function capitalize(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

export class OtherMedsPanel {
  constructor(root, { onChanged } = {}) {
    this.root = root;
    this.onChanged = onChanged || (() => {});
    this.patientId = '';
    const id = (n) => `other-meds-${n}-${++seq}`;
    const ids = { name: id('name'), list: id('names'), dose: id('dose'), prescriber: id('prescriber'), verified: id('verified') };
    this.ui = {
      status: el('p', { className: 'muted', role: 'status', dataset: { testid: 'other-meds-status' } }),
      list: el('ul', { className: 'other-meds-list', dataset: { testid: 'other-meds-list' } }),
      name: el('input', { id: ids.name, className: 'input-text', type: 'text', autocomplete: 'off', maxLength: 200, dataset: { testid: 'other-meds-name' }, attrs: { list: ids.list, 'aria-describedby': `${ids.name}-hint` } }),
      names: el('datalist', { id: ids.list }),
      dose: el('input', { id: ids.dose, className: 'input-text', type: 'text', autocomplete: 'off', maxLength: 200, dataset: { testid: 'other-meds-dose' } }),
      prescriber: el('input', { id: ids.prescriber, className: 'input-text', type: 'text', autocomplete: 'off', maxLength: 200, dataset: { testid: 'other-meds-prescriber' } }),
      verified: el('input', { id: ids.verified, type: 'checkbox', dataset: { testid: 'other-meds-verified' } }),
      error: el('p', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'other-meds-error' } }),
      done: el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'other-meds-done' } }),
      add: el('button', { type: 'submit', className: 'btn', dataset: { testid: 'other-meds-add' } }, 'Add medication'),
    };
    this.form = el('form', { className: 'other-meds-form', noValidate: true, dataset: { testid: 'other-meds-form' } },
      el('h4', {}, 'Add a medication from elsewhere'),
      el('div', { className: 'field-row' },
        el('div', { className: 'field' }, el('label', { htmlFor: ids.name }, 'Medication'), this.ui.name, this.ui.names,
          el('p', { className: 'hint', id: `${ids.name}-hint` }, 'Pick from the list so it is checked for interactions, or type it as the patient says it.')),
        el('div', { className: 'field' }, el('label', { htmlFor: ids.dose }, 'Dose (as taken)'), this.ui.dose),
        el('div', { className: 'field' }, el('label', { htmlFor: ids.prescriber }, 'Prescribed by'), this.ui.prescriber)),
      el('div', { className: 'other-meds-check' }, this.ui.verified, el('label', { htmlFor: ids.verified }, 'Verified with the patient now')),
      this.ui.add, this.ui.error, this.ui.done);
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.add(); });
    root.replaceChildren(el('h3', { id: 'rec-other-meds-heading' }, 'Medications from elsewhere'),
      this.ui.status, this.ui.list, this.form);
  }

  async render(patientId) {
    if (!patientId) return;
    this.patientId = patientId;
    try {
      const res = await staffApi(`/api/patients/${enc(patientId)}/other-medications`);
      this.vocabulary = Array.isArray(res.vocabulary) ? res.vocabulary : [];
      this.ui.names.replaceChildren(...this.vocabulary.map((v) => el('option', { value: v.ingredient })));
      this.draw(Array.isArray(res.other_medications) ? res.other_medications : []);
    } catch (err) {
      this.ui.status.textContent = `The medications from elsewhere could not be read: ${err.serverMessage || err.message}`;
    }
  }

  draw(meds) {
    const active = meds.filter((m) => m.status === 'active');
    this.ui.status.textContent = meds.length === 0 ? 'None recorded. Ask the patient what else they take.'
      : `${active.length} taken now${meds.length > active.length ? `, ${meds.length - active.length} stopped` : ''}.`;
    this.ui.list.replaceChildren(...meds.map((m) => this.item(m)));
  }

  item(m) {
    const li = el('li', { className: `other-med other-med-${m.status}`, dataset: { testid: `other-med-${m.id}`, status: m.status } },
      el('p', { className: 'other-med-line' },
        el('strong', {}, capitalize(m.name)), m.dose ? ` ${m.dose}` : '',
        m.status === 'stopped' ? el('span', { className: 'badge' }, `Stopped ${m.stopped_on}`) : null,
        m.checked ? null : el('span', { className: 'badge badge-rx-warn' }, 'Not checked for interactions')),
      el('p', { className: 'order-meta' },
        m.rxnorm ? `RxNorm ${m.rxnorm}. ` : 'Free text. ',
        m.prescriber ? `Prescribed by ${m.prescriber}. ` : 'Prescriber not recorded. ',
        m.verified ? `Verified by ${m.verified.by.display_name} ${shortDate(m.verified.at)}.` : 'Not verified with the patient.'));
    if (m.status === 'active') {
      const verifyText = m.verified ? 'Verified again with patient' : 'Verified with patient';
      const verify = el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `other-med-verify-${m.id}` }, attrs: { 'aria-label': `${verifyText}: ${m.name}` } }, verifyText);
      const stop = el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `other-med-stop-${m.id}` }, attrs: { 'aria-label': `Stopped: ${m.name}` } }, 'Stopped');
      verify.addEventListener('click', () => this.change(m, 'verify', {}));
      stop.addEventListener('click', () => this.openStop(li, m, stop));
      li.append(el('p', { className: 'other-med-actions' }, verify, stop));
    }
    return li;
  }

  openStop(li, m, btn) {
    if (li.querySelector('.other-med-stop')) return;
    btn.hidden = true;
    const dateId = `other-med-stop-date-${m.id}`;
    const date = el('input', { id: dateId, type: 'date', className: 'input-text', dataset: { testid: dateId } });
    const form = el('form', { className: 'other-med-stop', noValidate: true },
      el('label', { htmlFor: dateId }, `Date ${m.name} was stopped (leave empty for today)`), date,
      el('button', { type: 'submit', className: 'btn btn-small', dataset: { testid: `other-med-stop-save-${m.id}` } }, 'Record as stopped'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.change(m, 'stop', date.value ? { stopped_on: date.value } : {});
    });
    li.append(form);
    date.focus();
  }

  async change(m, action, body) {
    this.ui.error.hidden = true;
    try {
      await staffApi(`/api/patients/${enc(this.patientId)}/other-medications/${enc(m.id)}/${action}`, { method: 'POST', body });
      this.ui.done.textContent = action === 'stop' ? `${capitalize(m.name)} recorded as stopped.` : `${capitalize(m.name)} verified with the patient.`;
      await this.render(this.patientId);
      this.onChanged();
    } catch (err) {
      this.showError(err);
    }
  }

  showError(err) {
    this.ui.error.textContent = err.status ? (err.serverMessage || err.message)
      : 'Not saved: the server could not be reached. Check the connection and try again.';
    this.ui.error.hidden = false;
  }

  async add() {
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    const name = this.ui.name.value.trim();
    if (!name) {
      this.ui.error.textContent = 'Give the medication\'s name (pick it from the list, or type it as the patient says it).';
      this.ui.error.hidden = false;
      this.ui.name.focus();
      return;
    }
    const body = { name };
    if (this.ui.dose.value.trim()) body.dose = this.ui.dose.value.trim();
    if (this.ui.prescriber.value.trim()) body.prescriber = this.ui.prescriber.value.trim();
    if (this.ui.verified.checked) body.verified = true;
    this.ui.add.disabled = true;
    try {
      const res = await staffApi(`/api/patients/${enc(this.patientId)}/other-medications`, { method: 'POST', body });
      const m = res.other_medication;
      this.ui.done.textContent = m.checked ? `Added ${m.name}; it is checked for interactions.`
        : `Added ${m.name}. It is not in the interaction table, so prescribing cannot check it: review it yourself.`;
      for (const f of [this.ui.name, this.ui.dose, this.ui.prescriber]) f.value = '';
      this.ui.verified.checked = false;
      await this.render(this.patientId);
      this.onChanged();
    } catch (err) {
      this.showError(err);
    } finally {
      this.ui.add.disabled = false;
    }
  }
}
