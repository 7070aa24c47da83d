// diary-link.js: a patient's diary link on the Patients page (GET/POST
// /api/patients/<id>/diary-link, POST .../revoke): whether the diary is on,
// a new link to copy and give the patient (shown once: the server keeps
// only its hash), and turning the diary off, which ends every link of the
// patient at once. Only a clinician who may read the patient's record sees
// it; the front desk (403) and anyone else see nothing.

import { enc, el, shortDate } from './api.js';
import { staffApi } from './session.js';

export class DiaryLink {
  constructor(section) {
    this.section = section;
    this.patientId = '';
    const id = (s) => `pt-diary-${s}`;
    section.replaceChildren(
      el('h3', { id: id('heading') }, 'Diary between visits'),
      el('p', { className: 'hint' }, 'The patient logs doses, side effects and how they feel each day from their phone. A severe effect or a worrying answer alerts the clinic.'),
      this.status = el('p', { className: 'muted', dataset: { testid: 'diary-link-status' }, attrs: { 'aria-live': 'polite' } }),
      this.linkRow = el('div', { className: 'inline-row', hidden: true },
        this.linkInput = el('input', { type: 'text', readOnly: true, id: id('url'), dataset: { testid: 'diary-link-url' }, attrs: { 'aria-label': 'The diary link to give the patient' } }),
        el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: 'diary-link-copy' }, onclick: () => this.copy() }, 'Copy')),
      el('div', { className: 'pt-actions' },
        this.makeBtn = el('button', { type: 'button', className: 'btn', dataset: { testid: 'diary-link-create' }, onclick: () => this.make() }, 'Make a diary link'),
        this.revokeBtn = el('button', { type: 'button', className: 'btn', dataset: { testid: 'diary-link-revoke' }, hidden: true, onclick: () => this.revoke() }, 'Turn the diary off')),
      this.error = el('p', { className: 'alert', dataset: { testid: 'diary-link-error' }, attrs: { role: 'alert' }, hidden: true }),
    );
    section.setAttribute('aria-labelledby', id('heading'));
    this.linkInput.style.flex = '1 1 24rem'; // the whole link in view (CSSOM: allowed by the CSP)
  }

  // readsRecord: the caller may read the patient's record (the page's
  // has_timeline); nobody else is asked, so no request is refused.
  async show(patient, readsRecord) {
    this.patientId = patient.id;
    this.linkRow.hidden = true;
    this.error.hidden = true;
    if (!readsRecord) {
      this.section.hidden = true;
      return;
    }
    try {
      const s = await staffApi(`/api/patients/${enc(patient.id)}/diary-link`);
      if (patient.id !== this.patientId) return;
      this.draw(s);
      this.section.hidden = false;
    } catch {
      this.section.hidden = true; // not this caller's to see (front desk, not on the record)
    }
  }

  draw(s) {
    this.status.textContent = s.live ? `The diary is on (newest link made ${shortDate(s.since)}).` : 'The diary is off: no live link.';
    this.makeBtn.textContent = s.live ? 'Make another link' : 'Make a diary link';
    this.revokeBtn.hidden = !s.live;
  }

  async act(path, done) {
    this.error.hidden = true;
    try {
      const res = await staffApi(path, { method: 'POST' });
      this.draw(res);
      done(res);
    } catch (err) {
      this.error.textContent = err.message;
      this.error.hidden = false;
    }
  }

  make() {
    return this.act(`/api/patients/${enc(this.patientId)}/diary-link`, (res) => {
      this.linkInput.value = res.url;
      this.linkRow.hidden = false;
      this.status.textContent = 'Give the patient this link now: it is shown only once. It stays valid until the diary is turned off.';
      this.linkInput.select();
    });
  }

  revoke() {
    if (!window.confirm('Turn the diary off? Every diary link of this patient stops working.')) return undefined;
    return this.act(`/api/patients/${enc(this.patientId)}/diary-link/revoke`, () => {
      this.linkRow.hidden = true;
      this.linkInput.value = '';
    });
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.linkInput.value);
      this.status.textContent = 'Copied.';
    } catch {
      this.linkInput.select();
      this.status.textContent = 'Select the link and copy it.';
    }
  }
}
