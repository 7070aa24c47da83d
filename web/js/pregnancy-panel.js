// pregnancy-panel.js: "Pregnancy potential" in the follow-up record
// (issue 15, item 6): sex assigned at birth, whether the patient cannot
// become pregnant (and why), pregnancy and breastfeeding status,
// contraception, and the valproate pregnancy prevention counselling. The
// prescribing safety check reads it (valproate is refused without the
// counselling and highly effective contraception; lithium, paroxetine and
// others warn). GET/POST /api/patients/<id>/reproductive; the server checks
// everything again and its words are shown as they come.

import { enc, el, shortDate } from './api.js';
import { staffApi } from './session.js';

const SEX = [['unknown', 'Not recorded'], ['female', 'Female'], ['male', 'Male'], ['intersex', 'Intersex']];
const PREGNANCY = [['unknown', 'Unknown'], ['not-pregnant', 'Not pregnant'], ['pregnant', 'Pregnant']];
const NURSING = [['unknown', 'Unknown'], ['no', 'No'], ['yes', 'Yes']];
const WORDS = {
  female: 'Female at birth', male: 'Male at birth', intersex: 'Intersex', unknown: 'Sex at birth not recorded',
  pregnant: 'pregnant', 'not-pregnant': 'not pregnant', unknownPregnancy: 'pregnancy status unknown',
};

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// A calendar date "YYYY-MM-DD" as the clinician reads it, without a zone shift.
function dayText(date) {
  return date ? shortDate(`${date}T12:00:00`) : '';
}

let seq = 0;

export class PregnancyPanel {
  constructor(root) {
    this.root = root;
    this.patientId = '';
    const id = (n) => `preg-${n}-${++seq}`;
    const ids = { sex: id('sex'), unable: id('unable'), status: id('status'), checked: id('checked'), nursing: id('nursing'), method: id('method'), effective: id('effective'), cdate: id('cdate'), cby: id('cby'), hint: id('hint') };
    const select = (i, options, testid) => el('select', { id: i, className: 'input-text', dataset: { testid } },
      options.map(([v, t]) => el('option', { value: v }, t)));
    const input = (i, testid, props = {}) => el('input', { id: i, className: 'input-text', autocomplete: 'off', dataset: { testid }, ...props });
    this.ui = {
      summary: el('p', { dataset: { testid: 'pregnancy-summary' } }),
      sex: select(ids.sex, SEX, 'pregnancy-sex'),
      unable: input(ids.unable, 'pregnancy-unable', { type: 'text', maxLength: 200, placeholder: 'e.g. hysterectomy, after menopause' }),
      status: select(ids.status, PREGNANCY, 'pregnancy-status'),
      checked: input(ids.checked, 'pregnancy-checked', { type: 'date', min: '1900-01-01' }),
      nursing: select(ids.nursing, NURSING, 'pregnancy-breastfeeding'),
      method: input(ids.method, 'pregnancy-contraception', { type: 'text', maxLength: 200, placeholder: 'e.g. levonorgestrel IUD' }),
      effective: el('input', { id: ids.effective, type: 'checkbox', dataset: { testid: 'pregnancy-highly-effective' } }),
      cdate: input(ids.cdate, 'pregnancy-counselled-on', { type: 'date', min: '1900-01-01' }),
      cby: input(ids.cby, 'pregnancy-counselled-by', { type: 'text', maxLength: 200, placeholder: 'e.g. Dr Ana Ruiz' }),
      error: el('p', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'pregnancy-error' } }),
      done: el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'pregnancy-done' } }),
    };
    const field = (i, label, control, wide) => el('div', { className: wide ? 'field field-wide' : 'field' }, el('label', { htmlFor: i }, label), control);
    this.ui.ableParts = el('div', {},
      el('div', { className: 'field-row' },
        field(ids.status, 'Pregnancy status', this.ui.status),
        field(ids.checked, 'Date checked', this.ui.checked)),
      el('div', { className: 'field-row' },
        field(ids.method, 'Contraception method', this.ui.method),
        el('div', { className: 'field' },
          el('label', { htmlFor: ids.effective }, this.ui.effective, ' Highly effective (IUD, implant, sterilisation)'))),
      el('div', { className: 'field-row' },
        field(ids.cdate, 'Valproate risk counselling on', this.ui.cdate),
        field(ids.cby, 'Counselling given by', this.ui.cby)));
    this.form = el('form', { className: 'pregnancy-form', noValidate: true, dataset: { testid: 'pregnancy-form' } },
      el('p', { className: 'hint', id: ids.hint }, 'The prescribing check reads this: valproate needs the counselling (within a year) and highly effective contraception for a patient who can become pregnant; lithium, paroxetine and others warn.'),
      el('div', { className: 'field-row' },
        field(ids.sex, 'Sex assigned at birth', this.ui.sex),
        field(ids.unable, 'Cannot become pregnant because (optional)', this.ui.unable, true),
        field(ids.nursing, 'Breastfeeding', this.ui.nursing)),
      this.ui.ableParts,
      el('button', { type: 'submit', className: 'btn', dataset: { testid: 'pregnancy-save' } }, 'Save'),
      this.ui.error);
    this.details = el('details', { className: 'pregnancy-edit' }, el('summary', {}, 'Record or update'), this.form);
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.save(); });
    this.ui.sex.addEventListener('change', () => this.sexChanged());
    root.replaceChildren(el('h3', { id: 'rec-pregnancy-heading' }, 'Pregnancy potential'), this.ui.summary, this.ui.done, this.details);
  }

  // Contraception, a pregnancy and valproate counselling are not recorded
  // for a patient male at birth: the server refuses them, so they go.
  sexChanged() {
    this.ui.ableParts.hidden = this.ui.sex.value === 'male';
  }

  async setPatient(patientId) {
    if (patientId === this.patientId) return;
    this.patientId = patientId;
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    this.ui.summary.textContent = patientId ? 'Loading…' : '';
    if (patientId) await this.load();
  }

  async load() {
    const today = localToday();
    this.ui.checked.max = today;
    this.ui.cdate.max = today;
    try {
      const res = await staffApi(`/api/patients/${enc(this.patientId)}/reproductive`, { background: true });
      this.draw(res.current);
    } catch (err) {
      this.ui.summary.textContent = `The pregnancy potential could not be read: ${err.message}`;
    }
  }

  draw(cur) {
    if (!cur) {
      this.ui.summary.replaceChildren(el('strong', {}, 'Nothing recorded.'),
        ' The prescribing check treats this patient as able to become pregnant.');
      this.details.open = true;
      this.fill({ sex_at_birth: 'unknown', pregnancy: 'unknown', breastfeeding: 'unknown' });
      return;
    }
    const parts = [WORDS[cur.sex_at_birth] || cur.sex_at_birth];
    parts.push(cur.can_become_pregnant ? 'can become pregnant' : `cannot become pregnant${cur.unable_reason ? ` (${cur.unable_reason})` : ''}`);
    if (cur.sex_at_birth !== 'male') {
      parts.push(cur.pregnancy === 'unknown' ? WORDS.unknownPregnancy : `${WORDS[cur.pregnancy]} (checked ${dayText(cur.pregnancy_checked)})`);
    }
    parts.push(cur.breastfeeding === 'yes' ? 'breastfeeding' : cur.breastfeeding === 'no' ? 'not breastfeeding' : 'breastfeeding unknown');
    if (cur.contraception) parts.push(`contraception: ${cur.contraception.method}${cur.contraception.highly_effective ? ' (highly effective)' : ' (not highly effective)'}`);
    else if (cur.sex_at_birth !== 'male') parts.push('no contraception recorded');
    if (cur.valproate_counselling) parts.push(`valproate counselling ${dayText(cur.valproate_counselling.date)} by ${cur.valproate_counselling.by}`);
    this.ui.summary.replaceChildren(
      cur.pregnancy === 'pregnant' ? el('strong', {}, 'Pregnant. ') : '',
      `${parts.join(' · ')}.`,
      el('span', { className: 'muted' }, ` Recorded by ${cur.recorded_by.display_name || 'staff'}, ${dayText(cur.recorded_at.slice(0, 10))}.`));
    this.fill(cur);
  }

  fill(cur) {
    this.ui.sex.value = cur.sex_at_birth;
    this.ui.unable.value = cur.unable_reason || '';
    this.ui.status.value = cur.pregnancy;
    this.ui.checked.value = cur.pregnancy_checked || '';
    this.ui.nursing.value = cur.breastfeeding;
    this.ui.method.value = cur.contraception ? cur.contraception.method : '';
    this.ui.effective.checked = !!(cur.contraception && cur.contraception.highly_effective);
    this.ui.cdate.value = cur.valproate_counselling ? cur.valproate_counselling.date : '';
    this.ui.cby.value = cur.valproate_counselling ? cur.valproate_counselling.by : '';
    this.sexChanged();
  }

  showError(message, focus) {
    this.ui.done.textContent = '';
    this.ui.error.textContent = message;
    this.ui.error.hidden = false;
    if (focus) focus.focus();
  }

  async save() {
    this.ui.error.hidden = true;
    this.ui.done.textContent = '';
    if (!this.patientId) return;
    const male = this.ui.sex.value === 'male';
    const body = { sex_at_birth: this.ui.sex.value, pregnancy: male ? 'unknown' : this.ui.status.value, breastfeeding: this.ui.nursing.value };
    const unable = this.ui.unable.value.trim();
    if (unable) body.unable_reason = unable;
    if (!male) {
      if (this.ui.status.value !== 'unknown') {
        if (!this.ui.checked.value) return this.showError('Give the date the pregnancy status was checked. Nothing was saved.', this.ui.checked);
        body.pregnancy_checked = this.ui.checked.value;
      }
      const method = this.ui.method.value.trim();
      if (method) body.contraception = { method, highly_effective: this.ui.effective.checked };
      else if (this.ui.effective.checked) return this.showError('Name the contraception method that is highly effective. Nothing was saved.', this.ui.method);
      const by = this.ui.cby.value.trim();
      if (this.ui.cdate.value && by) body.valproate_counselling = { date: this.ui.cdate.value, by };
      else if (this.ui.cdate.value || by) return this.showError('The valproate counselling needs both its date and who gave it. Nothing was saved.', this.ui.cdate.value ? this.ui.cby : this.ui.cdate);
    }
    try {
      const res = await staffApi(`/api/patients/${enc(this.patientId)}/reproductive`, { method: 'POST', body });
      this.draw(res.current);
      // The summary line is what matters now; the form folds away.
      this.details.open = false;
      this.ui.done.textContent = 'Saved. The prescribing check uses it from now on.';
    } catch (err) {
      this.showError(err.message);
    }
  }
}
