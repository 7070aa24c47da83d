// care-team.js: a patient's care team on the Patients page
// (GET/POST /api/patients/<id>/care-team, tests/CONTRACT.md "The care
// team"): who shares the patient's record, who added them and when; the
// front desk, or a clinician who saw the patient or is on the team, adds
// one from the list of clinicians or takes one off. Everyone who may open
// the patient sees the team; the others see no buttons.

import { enc, el, shortDate } from './api.js';
import { staffApi } from './session.js';

export class CareTeam {
  constructor(section) {
    this.section = section;
    const q = (sel) => section.querySelector(sel);
    this.ui = {
      status: q('#pt-team-status'), list: q('#pt-team-list'), form: q('#pt-team-form'),
      choice: q('#pt-team-add'), error: q('#pt-team-error'), done: q('#pt-team-done'),
    };
    this.patientId = '';
    this.patientName = '';
    this.busy = false;
    this.ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.add(); });
  }

  async show(patient) {
    this.patientId = patient.id;
    this.patientName = patient.name || 'the patient';
    this.section.hidden = false;
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    this.ui.status.textContent = 'Loading the care team…';
    try {
      this.draw(await staffApi(`/api/patients/${enc(patient.id)}/care-team`));
    } catch (err) {
      if (err.status === 401 || patient.id !== this.patientId) return;
      this.ui.status.textContent = `The care team could not be loaded: ${err.message}`;
    }
  }

  draw(team) {
    const members = Array.isArray(team.members) ? team.members : [];
    const candidates = Array.isArray(team.candidates) ? team.candidates : [];
    this.ui.status.textContent = members.length ? '' : 'No one is on the care team yet.';
    this.ui.list.replaceChildren(...members.map((m) => {
      const li = el('li', { className: 'pt-team-member', dataset: { testid: `care-team-member-${m.staff_id}` } },
        el('span', { className: 'pt-team-name' }, m.display_name),
        el('span', { className: 'pt-meta' }, `${m.role_text || m.role}${m.added_by && m.added_by.display_name ? ` · added by ${m.added_by.display_name}` : ''}${m.added_at ? ` on ${shortDate(m.added_at)}` : ''}`));
      if (team.may_change) {
        const remove = el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `care-team-remove-${m.staff_id}` },
          attrs: { 'aria-label': `Take ${m.display_name} off the care team` } }, 'Remove');
        remove.addEventListener('click', () => this.remove(m));
        li.append(remove);
      }
      return li;
    }));
    this.ui.form.hidden = !team.may_change || candidates.length === 0;
    this.ui.choice.replaceChildren(...candidates.map((c) => el('option', { value: c.staff_id }, `${c.display_name} (${c.role_text || c.role})`)));
  }

  async change(path, body, doneText) {
    if (this.busy) return;
    this.busy = true;
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    try {
      this.draw(await staffApi(path, { method: 'POST', body }));
      this.ui.done.textContent = doneText;
    } catch (err) {
      this.ui.error.textContent = err.message;
      this.ui.error.hidden = false;
    } finally {
      this.busy = false;
    }
  }

  add() {
    const opt = this.ui.choice.selectedOptions[0];
    if (!opt) return;
    const name = opt.textContent.replace(/ \(.*\)$/, '');
    this.change(`/api/patients/${enc(this.patientId)}/care-team`, { staff_id: opt.value },
      `${name} is now on ${this.patientName}'s care team.`);
  }

  remove(m) {
    this.change(`/api/patients/${enc(this.patientId)}/care-team/${enc(m.staff_id)}/remove`, undefined,
      `${m.display_name} is no longer on ${this.patientName}'s care team.`);
  }
}
