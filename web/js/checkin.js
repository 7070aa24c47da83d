// checkin.js: the optional questions a patient answers in the waiting room
// (PHQ-9, GAD-7, the 18-item ASRS checklist when on ADHD medication, side
// effects, missed doses of each current medication taken on a schedule).
// Nothing here blocks joining: any failure hides the form or reports it
// beside the form, and admission into the visit hides it.

import { apiRequest, enc, el } from './api.js';
import { SCALES, SIDE_EFFECTS, SEVERITIES } from './scales.js';

const DONE_TEXT = 'Thank you — your provider will see your answers.';

// What a patient who reported thoughts of self-harm (PHQ-9 item 9) reads,
// with the clinic's numbers ([clinic] in the server's config).
function safetyText(safety) {
  const s = safety || {};
  const emergency = s.emergency_number || '911';
  const crisis = s.crisis_line || '988';
  const name = s.crisis_line_name ? ` (${s.crisis_line_name})` : '';
  return 'You said you have had thoughts of being better off dead or of hurting yourself. '
    + 'Your provider will talk with you about it. '
    + `If you are in danger now, call ${emergency}. `
    + `To talk to someone now, call or text ${crisis}${name}.`;
}

// "sertraline 50 mg once daily"
function medicationLine(m) {
  return `${m.medication} ${m.dose} ${m.unit} ${m.frequency_text || m.frequency}`.replace(/\s+/g, ' ').trim();
}

export class Checkin {
  // section: the <section> the form lives in; token: the patient's join token.
  constructor(section, { token }) {
    this.section = section;
    this.token = token;
    this.body = section.querySelector('.checkin-body');
    this.done = section.querySelector('[data-testid="checkin-done"]');
    this.visitId = '';
    this.finished = false;   // submitted or skipped: do not offer again on this page
    this.loading = null;
    this.form = null;
    this.state = '';
  }

  // Called with every visit state; `visitId` from the welcome message.
  async update(visitId, state) {
    if (visitId) this.visitId = visitId;
    this.state = state;
    const waiting = state === 'scheduled' || state === 'waiting';
    if (!waiting || !this.visitId) {
      this.section.hidden = true;
      return;
    }
    if (this.finished) {
      this.section.hidden = this.done.hidden;
      return;
    }
    if (this.form) {
      this.section.hidden = false;
      return;
    }
    if (this.loading) return;
    this.loading = this.load().finally(() => { this.loading = null; });
  }

  async load() {
    let info;
    try {
      info = await apiRequest(`/api/visits/${enc(this.visitId)}/checkin`, { token: this.token });
    } catch {
      this.section.hidden = true; // optional: never stand in the way of the visit
      return;
    }
    if (this.state !== 'scheduled' && this.state !== 'waiting') return;
    if (info && info.checkin) {
      this.finished = true;
      this.showDone('You already answered the questions for this visit. Thank you — your provider will see your answers.');
      return;
    }
    this.safety = info && info.safety;
    this.form = buildForm({
      asksAsrs: Boolean(info && info.asks_asrs),
      medications: info && Array.isArray(info.medications) ? info.medications : [],
    });
    this.body.replaceChildren(this.form);
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    for (const b of this.form.querySelectorAll('.checkin-skip-btn')) b.addEventListener('click', () => this.skip());
    this.section.hidden = false;
  }

  skip() {
    this.finished = true;
    this.body.replaceChildren();
    this.form = null;
    this.section.hidden = true;
  }

  showDone(text) {
    this.body.replaceChildren();
    this.form = null;
    this.done.textContent = text;
    this.done.hidden = false;
    this.section.hidden = false;
  }

  async submit() {
    const form = this.form;
    if (!form) return;
    const error = form.querySelector('[data-testid="checkin-error"]');
    const submit = form.querySelector('[data-testid="checkin-submit"]');
    const { body, problem, focus } = collect(form);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      if (focus) focus.focus();
      return;
    }
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = 'Sending…';
    try {
      await apiRequest(`/api/visits/${enc(this.visitId)}/checkin`, { token: this.token, method: 'POST', body });
    } catch (err) {
      submit.disabled = false;
      submit.textContent = 'Send my answers';
      error.textContent = err.status === 401
        ? 'This visit link is not valid any more, so your answers could not be sent. Your provider can ask you during the visit.'
        : `Your answers could not be sent: ${err.message} You can try again or skip; your visit goes ahead either way.`;
      error.hidden = false;
      error.focus();
      return;
    }
    this.finished = true;
    const item9 = body.phq9 ? body.phq9[8] : 0;
    this.showDone(item9 > 0 ? `${DONE_TEXT} ${safetyText(this.safety)}` : DONE_TEXT);
    this.done.dataset.safety = item9 > 0 ? 'shown' : 'none';
    if (this.state !== 'scheduled' && this.state !== 'waiting') this.section.hidden = true;
    else this.done.focus();
  }
}

function choiceGroup(scale, index) {
  const n = index + 1;
  const name = `${scale.key}-${n}`;
  const choices = scale.answers.map((text, value) => el('label', { className: 'choice' },
    el('input', {
      type: 'radio', name, value: String(value), id: `${name}-${value}`,
      dataset: { testid: `${name}-${value}` },
    }),
    el('span', {}, text)));
  return el('fieldset', { className: 'item' },
    el('legend', {}, el('span', { className: 'item-number' }, `${n}.`), ' ', scale.items[index]),
    el('div', { className: 'choices' }, choices));
}

function scaleGroup(scale) {
  const clear = el('button', { type: 'button', className: 'btn btn-small' }, 'Clear my answers in this part');
  const group = el('fieldset', { className: 'scale-group', dataset: { scale: scale.key } },
    el('legend', {}, scale.heading),
    el('p', { className: 'scale-question' }, scale.question),
    scale.items.map((_, i) => choiceGroup(scale, i)),
    clear);
  clear.addEventListener('click', () => {
    for (const r of group.querySelectorAll('input[type="radio"]')) r.checked = false;
    const first = group.querySelector('input[type="radio"]');
    if (first) first.focus();
  });
  return group;
}

function sideEffectsGroup() {
  const rows = SIDE_EFFECTS.map((se) => {
    const id = `side-effect-${se.name}`;
    const select = el('select', { id, name: id, dataset: { testid: id, sideEffect: se.name } },
      SEVERITIES.map((label, value) => el('option', { value: String(value) }, label)));
    select.addEventListener('change', () => { select.dataset.touched = '1'; });
    return el('div', { className: 'field field-inline' }, el('label', { htmlFor: id }, se.label), select);
  });
  return el('fieldset', { className: 'scale-group' },
    el('legend', {}, 'Side effects since your last visit'),
    el('p', { className: 'scale-question' }, 'How much has each of these bothered you? Leave “None” for those you have not noticed.'),
    el('div', { className: 'side-effects' }, rows));
}

// One number per current medication taken on a schedule; the most a
// patient can miss is its doses per day x 14 (twice daily: 28).
function missedDosesGroup(medications) {
  if (medications.length === 0) return null;
  const rows = medications.map((m, i) => {
    const id = `missed-doses-${i}`;
    const hint = `${id}-hint`;
    return el('div', { className: 'field' },
      el('label', { htmlFor: id, className: 'field-label' }, medicationLine(m)),
      el('p', { className: 'hint', id: hint }, `Doses missed: a number from 0 to ${m.max}. Enter 0 if you missed none.`),
      el('input', {
        type: 'number', id, name: id, min: '0', max: String(m.max), step: '1',
        inputMode: 'numeric', className: 'input-number',
        dataset: { testid: id, orderId: m.order_id, max: String(m.max), medication: m.medication },
        attrs: { 'aria-describedby': hint },
      }));
  });
  return el('fieldset', { className: 'scale-group', dataset: { testid: 'missed-doses' } },
    el('legend', {}, 'Missed doses in the last 14 days'),
    el('p', { className: 'scale-question' }, 'For each medicine, how many doses did you miss in the last 14 days?'),
    rows);
}

export function buildForm({ asksAsrs, medications = [] }) {
  const scales = SCALES.filter((s) => !s.retired && (!s.onlyIfAsked || asksAsrs));
  const skipTop = el('button', { type: 'button', className: 'btn checkin-skip-btn', dataset: { testid: 'checkin-skip' } }, 'Skip the questions');
  const skipBottom = el('button', { type: 'button', className: 'btn checkin-skip-btn' }, 'Skip');
  return el('form', { className: 'checkin-form', dataset: { testid: 'checkin-form' }, noValidate: true, attrs: { 'aria-labelledby': 'checkin-heading' } },
    el('p', {}, 'Your answers help your provider prepare. Answer as many parts as you like, or skip: your visit goes ahead either way. When your provider lets you in, the questions close.'),
    el('div', { className: 'controls' }, skipTop),
    scales.map(scaleGroup),
    sideEffectsGroup(),
    missedDosesGroup(medications),
    el('p', { className: 'alert', role: 'alert', tabIndex: -1, hidden: true, dataset: { testid: 'checkin-error' } }),
    el('div', { className: 'controls' },
      el('button', { type: 'submit', className: 'btn btn-primary btn-big', dataset: { testid: 'checkin-submit' } }, 'Send my answers'),
      skipBottom));
}

// Shows (or removes) "Please answer this question" on one question.
function markMissing(fieldset, missing) {
  let msg = fieldset.querySelector('.item-missing-msg');
  if (!missing) {
    if (msg) msg.remove();
    return;
  }
  if (msg) return;
  msg = el('p', { className: 'item-missing-msg' }, 'Please answer this question.');
  fieldset.querySelector('.choices').before(msg);
  fieldset.addEventListener('change', () => markMissing(fieldset, false), { once: true });
}

// Reads the form into the POST body. A part is sent only when every question
// in it is answered; a part left half done is pointed out.
export function collect(form) {
  const body = {};
  for (const group of form.querySelectorAll('fieldset.scale-group[data-scale]')) {
    const key = group.dataset.scale;
    const items = [...group.querySelectorAll('fieldset.item')];
    const values = items.map((f) => {
      const r = f.querySelector('input[type="radio"]:checked');
      return r ? Number(r.value) : null;
    });
    const answered = values.filter((v) => v !== null).length;
    if (answered === 0) continue;
    if (answered < values.length) {
      items.forEach((f, i) => markMissing(f, values[i] === null));
      const missing = values.map((v, i) => (v === null ? i + 1 : null)).filter((v) => v !== null);
      const title = group.querySelector('legend').textContent;
      return {
        problem: `In “${title}”, question${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not answered yet. Answer ${missing.length > 1 ? 'them' : 'it'}, or press “Clear my answers in this part”.`,
        focus: items[missing[0] - 1].querySelector('input'),
      };
    }
    items.forEach((f) => markMissing(f, false));
    body[key] = values;
  }
  const selects = [...form.querySelectorAll('select[data-side-effect]')];
  if (selects.some((s) => s.dataset.touched || s.value !== '0')) {
    body.side_effects = selects.map((s) => ({ name: s.dataset.sideEffect, severity: Number(s.value) }));
  }
  const missedDoses = [];
  for (const input of form.querySelectorAll('input[data-order-id]')) {
    const raw = input.value.trim();
    if (raw === '' && !input.validity.badInput) continue;
    const n = Number(raw);
    const max = Number(input.dataset.max);
    if (!Number.isInteger(n) || n < 0 || n > max || input.validity.badInput) {
      input.setAttribute('aria-invalid', 'true');
      return { problem: `Missed doses of ${input.dataset.medication}: enter a whole number from 0 to ${max}.`, focus: input };
    }
    input.removeAttribute('aria-invalid');
    missedDoses.push({ order_id: input.dataset.orderId, missed: n });
  }
  if (missedDoses.length > 0) body.missed_doses = missedDoses;
  if (Object.keys(body).length === 0) {
    return { problem: 'You have not answered any question yet. Answer some, or press “Skip the questions”.', focus: form.querySelector('input') };
  }
  return { body };
}
