// adjust-form.js: the prescription adjustment form in the provider record
// (start, change dose, switch, stop). The server enforces every rule; this
// form only offers sensible choices and shows the server's refusals as sent.

import { enc, capitalize } from './api.js';
import { staffApi } from './session.js';
import { amountText, dailyTotal, doseLine, dosingProblem, isControlled, scheduleText, STATUS_WORDS } from './meds.js';
import { attachCharCount } from './char-count.js';
import { FindingsPanel } from './rx-findings.js';

// The server's limit on a reason (server/api/bodies.c MAX_REASON_CHARS).
const REASON_MAX_CHARS = 1000;

const NEEDS = {
  start: { order: false, medication: true, dose: true },
  'change-dose': { order: true, medication: false, dose: true },
  switch: { order: true, medication: true, dose: true },
  stop: { order: true, medication: false, dose: false },
};

const RULE_WORDS = {
  role: 'who may prescribe',
  'controlled-audio-only': 'controlled substances in an audio-only visit',
  'controlled-in-person': 'controlled substances without an in-person evaluation',
};

function option(value, text, extra = {}) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  Object.assign(o, extra);
  return o;
}

function numberText(n) {
  return String(Math.round(Number(n) * 1000) / 1000);
}

const PRN_MAX_CHOICES = [1, 2, 3, 4, 5, 6, 8];

export class AdjustForm {
  // form: the <form data-testid="adjust-form">;
  // onSaved(result): called after the server accepted an adjustment.
  constructor(form, { onSaved }) {
    this.form = form;
    this.onSaved = onSaved;
    this.visitId = '';
    this.catalog = { medications: [], frequencies: [], routes: [] };
    this.current = [];
    this.busy = false;
    const q = (id) => form.querySelector(`[data-testid="${id}"]`);
    this.kind = q('adjust-kind');
    this.order = q('adjust-order');
    this.medication = q('adjust-medication');
    this.dose = q('adjust-dose');
    this.frequency = q('adjust-frequency');
    this.route = form.querySelector('#adjust-route');
    this.reason = q('adjust-reason');
    this.submitBtn = q('adjust-submit');
    this.error = q('adjust-error');
    this.findings = new FindingsPanel(form, this.error);
    this.done = q('adjust-done');
    this.unit = form.querySelector('#adjust-unit');
    this.controlledNote = form.querySelector('#adjust-controlled');
    this.reasonCount = attachCharCount(this.reason, form.querySelector('#adjust-reason-count'), REASON_MAX_CHARS);
    this.second = q('adjust-second-dose');
    this.prn = q('adjust-prn-max');
    this.supply = q('adjust-supply');
    this.refills = q('adjust-refills');
    this.doseLabel = form.querySelector('#adjust-dose-label');
    this.doseNote = q('adjust-dose-note');
    this.total = q('adjust-total');
    this.fields = {
      order: form.querySelector('#adjust-order-field'),
      medication: form.querySelector('#adjust-medication-field'),
      dose: form.querySelector('#adjust-dose-field'),
      second: form.querySelector('#adjust-second-field'),
      prn: form.querySelector('#adjust-prn-field'),
    };
    this.kind.addEventListener('change', () => this.onKindChange());
    this.order.addEventListener('change', () => this.onOrderChange());
    this.medication.addEventListener('change', () => this.fillDoses());
    for (const f of [this.dose, this.second, this.frequency, this.prn, this.route, this.supply, this.refills]) {
      f.addEventListener('change', () => { this.clearMessages(); this.showDosing(); });
    }
    form.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    this.onKindChange();
  }

  setVisit(id) {
    if (id === this.visitId) return;
    this.visitId = id;
    this.reason.value = '';
    this.reasonCount.update();
    this.clearMessages();
  }

  setCatalog(catalog) {
    this.catalog = {
      medications: Array.isArray(catalog && catalog.medications) ? catalog.medications : [],
      frequencies: Array.isArray(catalog && catalog.frequencies) ? catalog.frequencies : [],
      routes: Array.isArray(catalog && catalog.routes) && catalog.routes.length ? catalog.routes : ['oral'],
    };
    const keepMed = this.medication.value;
    this.medication.replaceChildren(option('', 'Choose a medication'));
    const byClass = new Map();
    for (const m of this.catalog.medications) {
      const cls = m.class || 'other';
      if (!byClass.has(cls)) byClass.set(cls, []);
      byClass.get(cls).push(m);
    }
    for (const [cls, meds] of [...byClass.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const group = document.createElement('optgroup');
      group.label = capitalize(cls);
      for (const m of meds.slice().sort((a, b) => (a.display || a.name).localeCompare(b.display || b.name))) {
        group.append(option(m.id, `${capitalize(m.display || m.name)}${isControlled(m) ? ` (${scheduleText(m)}, controlled)` : ''}`));
      }
      this.medication.append(group);
    }
    this.medication.value = keepMed;
    this.prn.replaceChildren(...PRN_MAX_CHOICES.map((n) => option(String(n), `${n} a day`)));
    this.prn.value = '3';
    this.fillDoses();
  }

  // The patient's conditions (problems-panel.js): "Treats" offers the
  // active ones; older orders have none, so choosing is asked, not forced.
  setConditions(list) {
    if (!this.treats) {
      this.treats = Object.assign(document.createElement('select'), { id: 'adjust-treats' });
      this.treats.dataset.testid = 'adjust-treats';
      const label = Object.assign(document.createElement('label'), { htmlFor: 'adjust-treats', textContent: 'Treats (the diagnosis this order is for)' });
      this.fields.treats = Object.assign(document.createElement('div'), { className: 'field' });
      this.fields.treats.append(label, this.treats);
      this.reason.closest('.field').before(this.fields.treats);
    }
    const keep = this.treats.value;
    const active = (list || []).filter((c) => c.active);
    this.treats.replaceChildren(option('', active.length ? 'Choose the diagnosis it treats' : 'No active diagnosis recorded'),
      ...active.map((c) => option(c.id, `${c.code} ${c.display}`)));
    if (active.some((c) => c.id === keep)) this.treats.value = keep;
  }

  // meds: the record's current_medications.
  setCurrent(meds) {
    this.current = Array.isArray(meds) ? meds : [];
    const keep = this.order.value;
    this.order.replaceChildren(option('', this.current.length ? 'Choose an order' : 'No current medications'),
      ...this.current.map((o) => option(String(o.id), `${doseLine(o, this.catalog)} (${STATUS_WORDS[o.status] || o.status})`)));
    if (keep && this.current.some((o) => String(o.id) === keep)) this.order.value = keep;
    // The order acted on is gone (a switch or stop just saved): offer the
    // new doses without wiping the "Saved" line the provider is reading.
    else if (keep) this.fillDoses();
  }

  selectedOrder() {
    return this.current.find((o) => String(o.id) === this.order.value) || null;
  }

  catalogMed(id) {
    return this.catalog.medications.find((m) => m.id === id) || null;
  }

  onKindChange() {
    const need = NEEDS[this.kind.value] || NEEDS.start;
    this.fields.order.hidden = !need.order;
    this.fields.medication.hidden = !need.medication;
    this.fields.dose.hidden = !need.dose;
    this.submitBtn.textContent = {
      start: 'Start medication', 'change-dose': 'Change dose', switch: 'Switch medication', stop: 'Stop medication',
    }[this.kind.value] || 'Save';
    this.clearMessages();
    this.fillDoses();
  }

  onOrderChange() {
    this.clearMessages();
    this.fillDoses();
    const o = this.selectedOrder();
    if (o && this.kind.value === 'change-dose') {
      if (o.frequency) this.frequency.value = o.frequency;
      if (o.route) this.route.value = o.route;
      if (o.prn_max_per_day) this.prn.value = String(o.prn_max_per_day);
      this.showDosing();
    }
  }

  // The medication whose strengths the dose select offers.
  doseMedication() {
    if (this.kind.value === 'change-dose') {
      const o = this.selectedOrder();
      return o && o.medication ? this.catalogMed(o.medication.id) : null;
    }
    return this.catalogMed(this.medication.value);
  }

  // Offers only what the formulation allows: its strengths, frequencies,
  // routes and refills.
  fillDoses() {
    const med = this.doseMedication();
    const current = this.kind.value === 'change-dose' ? this.selectedOrder() : null;
    const strengths = med && Array.isArray(med.strengths) ? med.strengths : [];
    const fill = (select, placeholder) => {
      const keep = select.value;
      select.replaceChildren(option('', strengths.length ? placeholder : 'Choose a medication first'),
        ...strengths.map((s) => option(String(s), `${numberText(s)} ${med.unit || ''}${current && Number(current.dose) === Number(s) ? ' (current)' : ''}`)));
      if (keep && strengths.some((s) => String(s) === keep)) select.value = keep;
    };
    fill(this.dose, 'Choose a dose');
    fill(this.second, 'Choose the bedtime dose');
    const allowed = new Set(med && Array.isArray(med.frequencies) ? med.frequencies : []);
    const keepFreq = this.frequency.value;
    this.frequency.replaceChildren(...this.catalog.frequencies.filter((f) => !med || allowed.has(f.code)).map((f) => option(f.code, f.text)));
    if (keepFreq && [...this.frequency.options].some((o) => o.value === keepFreq)) this.frequency.value = keepFreq;
    const routes = med && Array.isArray(med.routes) && med.routes.length ? med.routes : this.catalog.routes;
    const keepRoute = this.route.value;
    this.route.replaceChildren(...routes.map((r) => option(r, r)));
    this.route.value = routes.includes(keepRoute) ? keepRoute : routes[0];
    const maxRefills = med && Number.isInteger(med.max_refills) ? med.max_refills : 11;
    const keepRefills = this.refills.value;
    this.refills.replaceChildren(...Array.from({ length: maxRefills + 1 }, (_, n) => option(String(n), n === 0 ? 'None' : String(n))));
    this.refills.value = Number(keepRefills) <= maxRefills ? (keepRefills || '0') : '0';
    this.unit.textContent = (med && med.unit) || '';
    this.doseNote.hidden = !(med && med.dose_note);
    this.doseNote.textContent = med && med.dose_note ? `Amounts are ${med.dose_note}.` : '';
    const shownMed = this.kind.value === 'stop' ? null : med;
    const controlled = isControlled(shownMed);
    this.controlledNote.hidden = !controlled;
    this.controlledNote.textContent = controlled
      ? `${capitalize(shownMed.name)} is a controlled substance (${scheduleText(shownMed)}). Any new order of it in a remote visit (a start, or a change of dose or frequency, lower or higher) follows the telemedicine rules; stopping it is always possible${maxRefills === 0 ? '. It cannot be refilled' : ''}.`
      : '';
    this.showDosing();
  }

  // The dosing as entered, in the server's terms.
  dosing() {
    return {
      dose: Number(this.dose.value) || 0,
      bedtimeDose: Number(this.second.value) || 0,
      frequency: this.frequency.value,
      prnMax: Number(this.prn.value) || 0,
      route: this.route.value,
      refills: Number(this.refills.value) || 0,
    };
  }

  frequencyOf(code) {
    return this.catalog.frequencies.find((f) => f.code === code) || null;
  }

  // Shows the split and as-needed fields for the frequency, and the daily
  // total against the maximum, live.
  showDosing() {
    const f = this.frequencyOf(this.frequency.value);
    this.fields.second.hidden = !(f && f.split);
    this.fields.prn.hidden = !(f && f.as_needed);
    this.doseLabel.textContent = f && f.split ? 'Morning dose' : 'Dose';
    const med = this.doseMedication();
    const d = this.dosing();
    const total = dailyTotal(d, this.catalog);
    if (!med || !med.max_daily || !total) {
      this.total.textContent = med && med.max_daily
        ? `At most ${amountText(med.max_daily.amount)} ${med.unit} a day (${med.max_daily.source}).` : '';
      this.total.removeAttribute('data-over');
      return;
    }
    const over = total > med.max_daily.amount + 1e-9;
    const per = f && f.period_days === 2 ? ' on a dosing day' : '';
    this.total.dataset.over = String(over);
    this.total.textContent = over
      ? `${amountText(total)} ${med.unit} a day${per} is above the maximum of ${amountText(med.max_daily.amount)} ${med.unit} a day (${med.max_daily.source}). Choose a lower dose or fewer doses a day.`
      : `Daily total: ${amountText(total)} ${med.unit}${per}, of at most ${amountText(med.max_daily.amount)} ${med.unit} a day (${med.max_daily.source}).`;
  }

  clearMessages() {
    this.findings.hide();
    this.error.hidden = true;
    this.error.replaceChildren();
    this.done.textContent = '';
    for (const f of this.form.querySelectorAll('[aria-invalid]')) f.removeAttribute('aria-invalid');
  }

  showError(lines, focus) {
    this.error.replaceChildren(...lines.map((l) => {
      const p = document.createElement('p');
      p.textContent = l;
      return p;
    }));
    this.error.hidden = false;
    if (focus) {
      focus.setAttribute('aria-invalid', 'true');
      focus.focus();
    }
  }

  // Checks what the page can check; returns the body or null (error shown).
  collect() {
    const kind = this.kind.value;
    const need = NEEDS[kind];
    const body = { kind };
    const order = this.selectedOrder();
    if (need.order) {
      if (!order) { this.showError(['Choose the current order this acts on.'], this.order); return null; }
      body.order_id = order.id;
    }
    if (need.medication) {
      if (!this.medication.value) { this.showError(['Choose a medication.'], this.medication); return null; }
      body.medication = this.medication.value;
    }
    if (need.dose) {
      const med = this.doseMedication();
      if (!med) { this.showError(['This order\'s formulation is not in the catalog any more: stop it and start one that is.'], this.order); return null; }
      if (!this.dose.value) { this.showError(['Choose a dose.'], this.dose); return null; }
      const d = this.dosing();
      const f = this.frequencyOf(d.frequency);
      // A new dose, frequency (or as-needed use), bedtime amount or route is
      // a change; only one that changes nothing is refused.
      if (kind === 'change-dose' && order && Number(order.dose) === d.dose && order.frequency === d.frequency &&
          (!d.route || d.route === order.route) &&
          Number(order.bedtime_dose || 0) === (f && f.split ? d.bedtimeDose : 0) &&
          Number(order.prn_max_per_day || 0) === (f && f.as_needed ? d.prnMax : 0)) {
        this.showError(['This is the current dose, frequency and route. Change the dose, how often it is taken or the route.'], this.dose);
        return null;
      }
      const problem = dosingProblem(med, { ...d, bedtimeDose: f && f.split ? d.bedtimeDose : 0 }, this.catalog);
      if (problem) {
        const focus = /bedtime/.test(problem) ? this.second : /doses a day/.test(problem) ? this.prn
          : /refill/.test(problem) ? this.refills : /given/.test(problem) ? this.route : this.dose;
        this.showError([problem], focus);
        return null;
      }
      body.dose = d.dose;
      body.unit = med.unit || (order && order.unit) || 'mg';
      body.frequency = d.frequency;
      body.route = d.route;
      if (f && f.split) body.bedtime_dose = d.bedtimeDose;
      if (f && f.as_needed) body.prn_max_per_day = d.prnMax;
      body.supply_days = Number(this.supply.value) || 30;
      body.refills = d.refills;
    }
    const reason = this.reason.value.trim();
    if (!reason) { this.showError(['Give a reason: it is part of the record.'], this.reason); return null; }
    body.reason = reason;
    if (kind !== 'stop' && this.treats && this.treats.value) body.condition_id = this.treats.value;
    return body;
  }

  // override: the prescriber's reason for overriding a major finding.
  async submit(override = null) {
    if (this.busy || !this.visitId) return;
    this.clearMessages();
    const body = this.collect();
    if (!body) return;
    if (override) body.override = { reason: override };
    this.busy = true;
    const label = this.submitBtn.textContent;
    this.submitBtn.disabled = true;
    this.submitBtn.textContent = 'Saving…';
    try {
      const res = await staffApi(`/api/visits/${enc(this.visitId)}/adjustments`, { method: 'POST', body });
      const o = res && res.order;
      const what = o ? doseLine(o, this.catalog) : 'The adjustment';
      this.done.textContent = res && res.status === 'pending'
        ? `Saved: ${what}. It is awaiting co-signature by the supervising psychiatrist.`
        : `Saved: ${what}.`;
      this.reason.value = '';
      this.reasonCount.update();
      this.dose.value = '';
      this.second.value = '';
      this.showDosing();
      if (this.onSaved) await this.onSaved(res);
    } catch (err) {
      // Findings of the safety check, each explained, with the override
      // when a reason would lift them (rx-findings.js).
      if (err.code === 'prescribing-rule' && Array.isArray(err.findings) && err.findings.length) {
        this.findings.show(err, { onOverride: (reason) => this.submit(reason), onCancel: () => this.clearMessages() });
        return;
      }
      // The server's sentences as they come: they say what is wrong, what
      // to do, and that nothing was saved.
      const lines = [];
      if (err.code === 'prescribing-rule') {
        lines.push(`Refused by the prescribing rules${err.rule ? ` (${RULE_WORDS[err.rule] || err.rule})` : ''}:`);
      } else if (!err.status) {
        lines.push('The change was not saved: the server could not be reached. Check the connection and try again.');
      }
      if (err.status) lines.push(err.serverMessage || err.message);
      if (err.code === 'prescribing-rule') lines.push('Nothing was saved.');
      this.showError(lines);
    } finally {
      this.busy = false;
      this.submitBtn.disabled = false;
      this.submitBtn.textContent = label;
    }
  }
}
