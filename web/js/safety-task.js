// safety-task.js: the PHQ-9 item-9 safety task in the record panel (issue
// 14). An open task says so at the top of the record and offers the C-SSRS
// screener form (Screen Version - Recent, Posner et al. 2011; the Columbia
// Lighthouse Project): questions 1, 2 and 6 always, 3 to 5 only when 2 is
// yes, "within the past 3 months?" only when 6 is yes; the risk level (the
// screener's triage suggests one; a lower level needs a reason), the plan,
// where the patient is now (needed to send help). The server judges it all
// again (server/records/cssrs.c) and says in words what is missing.
// Closed tasks are listed below with their answers, who closed them, when.

import { enc, el, dateTime, capitalize } from './api.js';
import { staffApi } from './session.js';

const RISKS = ['low', 'moderate', 'high'];
const FREQUENCY = ['not at all', 'several days', 'more than half the days', 'nearly every day'];
let seq = 0;

// The screener's published triage, for the form's suggestion only (the
// server's cssrs_suggest_risk decides): Q4/Q5 yes or Q6 within 3 months:
// high; Q3 yes or Q6 earlier: moderate; else low.
function suggest(a) {
  if (a.q4 === true || a.q5 === true || (a.q6 === true && a.q6_past_3_months === true)) return 'high';
  if (a.q3 === true || a.q6 === true) return 'moderate';
  return 'low';
}

function yesNo(name, label, { testid }) {
  const id = `${name}-${++seq}`;
  const radio = (value, text) => el('label', { className: 'choice' },
    el('input', { type: 'radio', name: id, value, dataset: { testid: `${testid}-${value}` } }), ` ${text}`);
  const set = el('fieldset', { className: 'cssrs-q', dataset: { q: name } },
    el('legend', {}, label), el('div', { className: 'choice-row' }, radio('yes', 'Yes'), radio('no', 'No')));
  return set;
}

function answerOf(set) {
  const c = set.querySelector('input:checked');
  return c ? c.value === 'yes' : null;
}

export class SafetyTasks {
  constructor(root) {
    this.root = root;
    this.openBox = root.querySelector('[data-testid="safety-task-open"]');
    this.closedList = root.querySelector('[data-testid="safety-task-closed"]');
    this.status = root.querySelector('[data-testid="safety-task-status"]');
    this.patientId = '';
    this.visitId = '';
    this.sig = '';
  }

  setPatient(patientId, visitId) {
    if (patientId !== this.patientId) {
      this.patientId = patientId;
      this.sig = '';
      this.openBox.replaceChildren();
      this.closedList.replaceChildren();
    }
    this.visitId = visitId;
    return this.load();
  }

  async load() {
    if (!this.patientId) return;
    const id = this.patientId;
    try {
      const body = await staffApi(`/api/patients/${enc(id)}/safety-tasks`, { background: true });
      if (id !== this.patientId) return;
      const tasks = Array.isArray(body && body.tasks) ? body.tasks : [];
      this.status.textContent = '';
      const sig = JSON.stringify(tasks.map((t) => [t.id, t.status]));
      // A half-filled screen is never redrawn away.
      if (sig === this.sig) return;
      this.sig = sig;
      this.root.hidden = tasks.length === 0;
      const open = tasks.find((t) => t.status === 'open');
      this.openBox.replaceChildren(...(open ? [this.openView(open, body.screener)] : []));
      this.closedList.replaceChildren(...tasks.filter((t) => t.status === 'closed').map((t) => this.closedView(t, body.screener)));
    } catch (err) {
      if (err.status === 401) return;
      this.root.hidden = false;
      this.status.textContent = `The patient's safety tasks could not be read: ${err.message}`;
    }
  }

  openView(task, screener) {
    const start = el('button', { type: 'button', className: 'btn btn-primary', dataset: { testid: 'safety-task-start' } }, 'Record the C-SSRS screen');
    const box = el('div', { className: 'alert alert-urgent safety-task', role: 'region', attrs: { 'aria-label': 'Open safety task' } },
      el('p', { className: 'alert-title' }, 'Safety task open: suicide-risk screen needed'),
      el('p', {}, `PHQ-9 item 9 was answered “${FREQUENCY[task.item9] || task.item9}” (${dateTime(task.opened_at)}). `
        + 'Ask the C-SSRS screener, decide the risk level and the plan, and note where the patient is now. '
        + 'Until then, lithium or a tricyclic for more than 14 days asks for a confirmation.'),
      start);
    // The form goes below the red box, in the record's own colours: it is
    // long, and read as a form, not as the alert.
    const wrap = el('div', { className: 'safety-task-wrap' }, box);
    start.addEventListener('click', () => {
      start.hidden = true;
      const form = this.form(task, screener);
      wrap.append(form);
      form.querySelector('input').focus();
    });
    return wrap;
  }

  form(task, screener) {
    const qs = Object.fromEntries((screener.questions || []).map((q) => [q.code, q]));
    const sets = {};
    for (const code of ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q6_past_3_months']) {
      const q = qs[code] || { text: code };
      const n = code === 'q6_past_3_months' ? '6b' : code.slice(1);
      sets[code] = yesNo(code, `${n}. ${q.text}`, { testid: `cssrs-${code}` });
    }
    const suggestion = el('p', { className: 'daily-total', dataset: { testid: 'cssrs-suggestion' }, attrs: { 'aria-live': 'polite' } });
    const riskName = `risk-${++seq}`;
    const riskSet = el('fieldset', { className: 'cssrs-q' }, el('legend', {}, 'Risk level'),
      el('div', { className: 'choice-row' }, ...RISKS.map((r) => el('label', { className: 'choice' },
        el('input', { type: 'radio', name: riskName, value: r, dataset: { testid: `cssrs-risk-${r}` } }), ` ${capitalize(r)}`))));
    const reasonId = `risk-reason-${seq}`;
    const riskReason = el('div', { className: 'field', hidden: true },
      el('label', { htmlFor: reasonId }, 'Why a lower level than the screener suggests (required)'),
      el('textarea', { id: reasonId, rows: 2, maxLength: 1000, dataset: { testid: 'cssrs-risk-reason' } }));
    const planSet = el('fieldset', { className: 'cssrs-q' }, el('legend', {}, 'Plan (at least one)'),
      ...(screener.plans || []).map((p) => el('label', { className: 'choice choice-block' },
        el('input', { type: 'checkbox', value: p.code, dataset: { testid: `cssrs-plan-${p.code}` } }), ` ${p.text}`)));
    const planReasonId = `plan-reason-${seq}`;
    const planReason = el('div', { className: 'field', hidden: true },
      el('label', { htmlFor: planReasonId }, 'At high risk: why emergency services were not contacted (required)'),
      el('textarea', { id: planReasonId, rows: 2, maxLength: 1000, dataset: { testid: 'cssrs-plan-reason' } }));
    const locId = `location-${seq}`;
    const location = el('div', { className: 'field' },
      el('label', { htmlFor: locId }, 'Where the patient is right now (address or place, required)'),
      el('p', { className: 'hint', id: `${locId}-hint` }, 'Needed to send help if it comes to that.'),
      el('textarea', { id: locId, rows: 2, maxLength: 500, required: true, dataset: { testid: 'cssrs-location' }, attrs: { 'aria-required': 'true', 'aria-describedby': `${locId}-hint` } }));
    const error = el('div', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'cssrs-error' } });
    const submit = el('button', { type: 'submit', className: 'btn btn-primary', dataset: { testid: 'cssrs-submit' } }, 'Close the safety task');
    const form = el('form', { className: 'cssrs-form', noValidate: true, dataset: { testid: 'cssrs-form' } },
      el('p', { className: 'hint' }, `${screener.instrument || 'C-SSRS screener'}: ask in the patient's words; questions 1 to 5 are about the past month.`),
      ...Object.values(sets), suggestion, riskSet, riskReason, planSet, planReason, location, error, submit);

    const answers = () => Object.fromEntries(Object.entries(sets).filter(([, s]) => !s.hidden).map(([k, s]) => [k, answerOf(s)]));
    const chosenRisk = () => { const c = riskSet.querySelector('input:checked'); return c ? c.value : null; };
    const update = () => {
      const q2 = answerOf(sets.q2) === true;
      for (const k of ['q3', 'q4', 'q5']) sets[k].hidden = !q2;
      sets.q6_past_3_months.hidden = answerOf(sets.q6) !== true;
      const a = answers();
      const s = suggest(a);
      suggestion.textContent = `The screener's triage suggests: ${s} risk.`;
      const r = chosenRisk();
      riskReason.hidden = !r || RISKS.indexOf(r) >= RISKS.indexOf(s);
      const emergency = planSet.querySelector('input[value="emergency-services"]');
      planReason.hidden = r !== 'high' || (emergency && emergency.checked);
    };
    form.addEventListener('change', update);
    update();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const a = answers();
      const screen = Object.fromEntries(Object.entries(a).filter(([, v]) => v !== null));
      const body = {
        screen,
        risk_level: chosenRisk() || undefined,
        plan: [...planSet.querySelectorAll('input:checked')].map((i) => i.value),
        location: form.querySelector(`#${locId}`).value,
      };
      if (!riskReason.hidden) body.risk_reason = riskReason.querySelector('textarea').value;
      if (!planReason.hidden) body.plan_reason = planReason.querySelector('textarea').value;
      if (this.visitId) body.visit_id = this.visitId;
      submit.disabled = true;
      submit.textContent = 'Saving…';
      try {
        await staffApi(`/api/safety-tasks/${enc(task.id)}/close`, { method: 'POST', body });
        this.sig = '';
        await this.load();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        submit.disabled = false;
        submit.textContent = 'Close the safety task';
        error.scrollIntoView({ block: 'nearest' });
      }
    });
    return form;
  }

  closedView(task, screener) {
    const c = task.closed || {};
    const names = Object.fromEntries((screener.questions || []).map((q) => [q.code, q.title]));
    const screen = c.screen || {};
    const answers = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q6_past_3_months']
      .filter((k) => typeof screen[k] === 'boolean')
      .map((k) => el('li', {}, `${names[k] || k}: `, el('strong', {}, screen[k] ? 'yes' : 'no')));
    const level = c.suggested_risk && c.suggested_risk !== c.risk_level
      ? `${capitalize(c.risk_level)} risk (the screener suggested ${c.suggested_risk}${c.risk_reason ? `: ${c.risk_reason}` : ''})`
      : `${capitalize(c.risk_level)} risk`;
    return el('li', { className: 'safety-task-closed', dataset: { testid: 'safety-task-closed-item' } },
      el('p', {}, el('strong', {}, `Safety task closed: ${level}`), ` · screened by ${c.by ? c.by.display_name : 'a clinician'}, ${dateTime(c.at)}`),
      el('p', {}, 'Plan: ', (c.plan || []).map((p) => p.text).join('; '), c.plan_reason ? ` (no emergency services: ${c.plan_reason})` : ''),
      el('p', {}, 'Where the patient was: ', c.location),
      el('details', {}, el('summary', {}, 'Screener answers'), el('ul', {}, ...answers)));
  }
}
