// record-panel.js: the follow-up record beside the video in the provider
// console: alerts, the patient's check-in, the score trend, current
// medications, the adjustment form, notes and the order history.
// Loaded from GET /api/visits/<id>/record; refreshed after each change, on
// signaling events (the page calls refresh(); a saved check-in is pushed as
// `record-changed`) and, as a fallback, every 10 s while the visit is open. Each part is redrawn only when its data changed, so focus,
// half-typed text and screen-reader announcements are left alone.

import { enc, el, dateTime, capitalize } from './api.js';
import { staffApi } from './session.js';
import { scaleByKey, scoreText, sideEffectLabel, severityLabel, maxTotal } from './scales.js';
import { trendView } from './trend.js';
import { doseLine, scheduleBadge, orderMedication, statusBadge, orderMeta, medName, STATUS_WORDS, cosignLine } from './meds.js';
import { AdjustForm } from './adjust-form.js';
import { attachCharCount } from './char-count.js';
import { PatientSafety } from './safety-panel.js';
import { LabsPanel } from './labs-panel.js';
import { ProblemsPanel } from './problems-panel.js';
import { PdmpPanel } from './pdmp-panel.js';
import { renewControl } from './renew.js';
import { PregnancyPanel } from './pregnancy-panel.js';
import { medicationMonitoring } from './adherence-chart.js';
import { orderChecks } from './rx-findings.js';
import { OtherMedsPanel } from './other-meds-panel.js';

// The server's limit on a note (server/api/bodies.c MAX_NOTE_CHARS).
const NOTE_MAX_CHARS = 5000;

// The fallback poll (a saved check-in is pushed). A browser test sets
// window.__thRecordPollMs before the page loads to tell the push from the
// poll.
const POLL_MS = Number(globalThis.__thRecordPollMs) || 10000;

// Today's date where the clinician is, "YYYY-MM-DD" (the server checks
// against the clinic's today as well).
function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// "2 Nov 2026" from "2026-11-02", read as a calendar date.
function calendarDate(date) {
  const [y, m, d] = String(date).split('-').map(Number);
  if (!y || !m || !d) return String(date);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
}

export class RecordPanel {
  constructor(root) {
    this.root = root;
    this.visitId = '';
    this.visitState = '';
    this.record = null;
    this.catalog = null;
    this.sig = {};
    this.loading = null;
    this.again = false;
    this.timer = null;
    const q = (sel) => root.querySelector(sel);
    this.ui = {
      status: q('#record-status'),
      nextVisit: q('[data-testid="next-visit"]'),
      patient: q('#record-patient'),
      timeline: q('[data-testid="timeline-link"]'),
      alerts: q('#record-alerts'),
      checkin: q('#record-checkin'),
      trend: q('[data-testid="score-trend"]'),
      meds: q('[data-testid="current-medications"]'),
      notes: q('#record-notes'),
      noteText: q('[data-testid="note-text"]'),
      noteAdd: q('[data-testid="note-add"]'),
      noteError: q('#note-error'),
      orders: q('[data-testid="order-history"]'),
      evalLine: q('#record-eval'),
      evalForm: q('#eval-form'),
      evalDate: q('#eval-date'),
      evalBy: q('#eval-by'),
      evalError: q('#eval-error'),
      evalDone: q('#eval-done'),
    };
    this.ui.evalForm.addEventListener('submit', (ev) => { ev.preventDefault(); this.saveEvaluation(); });
    this.safety = new PatientSafety(q('#record-safety'));
    this.adjust = new AdjustForm(q('[data-testid="adjust-form"]'), { onSaved: () => this.refresh() });
    this.labs = new LabsPanel(q('#record-labs'), { onSaved: () => this.refresh() });
    this.problems = new ProblemsPanel(q('#record-problems'), { onConditions: (list) => this.adjust.setConditions(list) });
    this.pdmp = new PdmpPanel(q('#record-pdmp'));
    this.pregnancy = new PregnancyPanel(q('#record-pregnancy'));
    this.otherMeds = new OtherMedsPanel(q('#record-other-meds'));
    this.noteCount = attachCharCount(this.ui.noteText, q('#note-count'), NOTE_MAX_CHARS);
    q('#note-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.addNote(); });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.visitId) this.refresh();
    });
  }

  setVisit(id) {
    if (id === this.visitId) return;
    this.visitId = id;
    this.visitState = '';
    this.record = null;
    this.sig = {};
    this.root.hidden = !id;
    this.adjust.setVisit(id);
    this.labs.setVisit(id);
    this.ui.noteText.value = '';
    this.noteCount.update();
    this.ui.noteError.hidden = true;
    this.ui.evalError.hidden = true;
    this.ui.evalDone.textContent = '';
    this.ui.evalDate.value = '';
    for (const k of ['alerts', 'checkin', 'trend', 'meds', 'notes', 'orders']) this.ui[k].replaceChildren();
    this.ui.nextVisit.hidden = true;
    if (!id) return;
    this.ui.status.textContent = 'Loading the record…';
    this.loadCatalog();
    this.refresh();
    this.schedule();
  }

  // The visit's signaling state; polling stops once it ended.
  setVisitState(state) {
    const changed = state !== this.visitState;
    this.visitState = state;
    if (changed && this.visitId) {
      this.refresh();
      this.schedule();
    }
  }

  schedule() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.visitId || this.visitState === 'ended') return;
    this.timer = setInterval(() => {
      if (document.visibilityState === 'visible') this.refresh();
    }, POLL_MS);
  }

  async loadCatalog() {
    if (this.catalog) return;
    try {
      this.catalog = await staffApi('/api/catalog');
      this.adjust.setCatalog(this.catalog);
      if (this.record) this.render(this.record, true);
    } catch (err) {
      this.ui.status.textContent = `The medication catalog could not be loaded: ${err.message}`;
    }
  }

  // Reloads the record; overlapping calls coalesce into one more load.
  refresh() {
    if (!this.visitId) return Promise.resolve();
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    const id = this.visitId;
    this.loading = (async () => {
      try {
        const rec = await staffApi(`/api/visits/${enc(id)}/record`);
        if (id !== this.visitId) return;
        this.record = rec;
        this.ui.status.textContent = '';
        this.render(rec);
      } catch (err) {
        if (id !== this.visitId) return;
        if (err.status === 401) return; // on the way to the sign-in page
        this.ui.status.textContent = `The record could not be loaded: ${err.message}`;
      }
    })().finally(() => {
      this.loading = null;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    });
    return this.loading;
  }

  // Redraws a part only when `data` differs from last time (or `force`).
  part(name, data, draw, force = false) {
    const s = JSON.stringify(data === undefined ? null : data);
    if (!force && this.sig[name] === s) return;
    this.sig[name] = s;
    draw();
  }

  render(rec, force = false) {
    const patient = rec.patient || {};
    // The birth date beside the name: a date as recorded, no time zone.
    this.ui.patient.textContent = patient.display_name
      ? `${patient.display_name}${patient.birth_date ? ` · born ${patient.birth_date}` : ''}`
      : '';
    if (patient.id) {
      this.ui.timeline.href = `timeline.html#${new URLSearchParams({ patient: patient.id })}`;
      this.ui.timeline.hidden = false;
    } else {
      this.ui.timeline.hidden = true;
    }
    this.safety.setPatient(patient.id || '', this.visitId);
    this.problems.setPatient(patient.id || '', this.visitId);
    this.part('next', [rec.next_visit, rec.follow_up], () => this.drawNextVisit(rec));
    this.part('alerts', [rec.alerts, rec.checkin && rec.checkin.id], () => this.drawAlerts(rec));
    this.part('checkin', rec.checkin, () => this.drawCheckin(rec.checkin));
    this.part('trend', [rec.score_history, rec.checkin && rec.checkin.id, rec.mbc], () => this.drawTrend(rec));
    this.part('eval', [patient.id, patient.in_person_eval_at, patient.in_person_eval_by], () => this.drawEvaluation(patient));
    this.pdmp.setPatient(patient.id || '');
    this.part('meds', rec.current_medications, () => this.drawMeds(rec.current_medications || []), force);
    this.part('labs', [rec.monitoring, patient.id], () => this.labs.render(rec));
    this.pregnancy.setPatient(patient.id || '');
    this.part('other-meds', patient.id, () => this.otherMeds.render(patient.id));
    this.part('notes', rec.notes, () => this.drawNotes(rec.notes || []));
    if (!this.root.querySelector('.error-form')) {
      this.part('orders', rec.orders, () => this.drawOrders(rec.orders || []), force);
    }
  }

  // "Next visit: Fri 19 Mar 10:15 EDT with Dr Lee", or, when this visit
  // ended with nothing booked, the date the follow-up is due by.
  drawNextVisit(rec) {
    const next = rec.next_visit;
    const fu = rec.follow_up;
    const line = this.ui.nextVisit;
    line.classList.remove('next-visit-missing');
    if (next) {
      line.replaceChildren(el('strong', {}, 'Next visit: '), `${next.local} with ${next.provider.display_name}`);
    } else if (fu) {
      line.classList.add('next-visit-missing');
      line.replaceChildren(el('strong', {}, 'No follow-up booked'), ` — due by ${fu.due_by_text}`);
    } else {
      line.replaceChildren();
    }
    line.hidden = !next && !fu;
  }

  drawAlerts(rec) {
    const alerts = Array.isArray(rec.alerts) ? rec.alerts.slice() : [];
    const phq = rec.checkin && Array.isArray(rec.checkin.scales) ? rec.checkin.scales.find((s) => s.scale === 'phq9') : null;
    if (phq && phq.alert && !alerts.some((a) => a.kind === 'phq9-item9')) {
      alerts.push({ kind: 'phq9-item9', message: '' });
    }
    this.ui.alerts.replaceChildren(...alerts.map((a) => {
      if (a.kind === 'phq9-item9') {
        const answer = phq && Array.isArray(phq.items) ? phq.items[8] : null;
        const scale = scaleByKey('phq9');
        const said = answer !== null && answer !== undefined ? ` The answer was “${scale.answers[answer] || answer}”.` : '';
        const safety = a.safety || {};
        return el('div', { className: 'alert alert-urgent', role: 'alert', dataset: { testid: 'alert-item9' } },
          el('p', { className: 'alert-title' }, 'PHQ-9 item 9: thoughts of death or self-harm'),
          el('p', {}, 'The patient answered above 0 on item 9, whatever the total score. Assess safety in this visit.', said),
          safety.emergency_number
            ? el('p', { dataset: { testid: 'alert-item9-numbers' } }, 'The patient was told: in danger now, call ',
              el('strong', { dataset: { testid: 'alert-emergency-number' } }, safety.emergency_number),
              '; to talk to someone now, call or text ',
              el('strong', { dataset: { testid: 'alert-crisis-line' } }, safety.crisis_line),
              safety.crisis_line_name ? ` (${safety.crisis_line_name})` : '', '.')
            : null);
      }
      return el('div', { className: 'alert', role: 'alert', dataset: { testid: `alert-${a.kind}` } }, a.message || a.kind);
    }));
  }

  drawCheckin(c) {
    if (!c) {
      this.ui.checkin.replaceChildren(el('p', { className: 'muted' }, 'No check-in yet. The patient can answer the questions while waiting; they appear here.'));
      return;
    }
    const scales = Array.isArray(c.scales) ? c.scales : [];
    const blocks = scales.map((s) => {
      const def = scaleByKey(s.scale);
      const items = Array.isArray(s.items) ? s.items : [];
      const extra = [];
      const max = maxTotal(s.scale);
      if (max && s.scale !== 'asrs18' && s.scale !== 'asrs_a') extra.push(`of ${max}`);
      if (s.scale === 'asrs_a') extra.push('screener, read by shaded items; 4 or more is positive');
      if (s.scale === 'asrs18') extra.push('since the last visit');
      return el('div', { className: `score-card${s.alert ? ' score-alert' : ''}` },
        el('p', { className: 'score-line' },
          el('strong', { dataset: { testid: `score-${s.scale}` } }, scoreText(s)),
          extra.length ? el('span', { className: 'muted' }, ` · ${extra.join(' · ')}`) : null),
        items.length ? el('details', {},
          el('summary', {}, `Answers (${items.length} items)`),
          el('ol', { className: 'answers' }, items.map((v, i) => el('li', { className: i === 8 && s.scale === 'phq9' && v > 0 ? 'answer-flag' : '' },
            el('span', {}, def ? def.items[i] : `Item ${i + 1}`), ': ',
            el('strong', {}, def ? `${def.answers[v] ?? v} (${v})` : String(v)))))) : null);
    });
    const effects = Array.isArray(c.side_effects) ? c.side_effects : [];
    const noticed = effects.filter((e) => e.severity > 0).sort((a, b) => b.severity - a.severity);
    const sideEffects = effects.length === 0
      ? el('p', { className: 'muted' }, 'Side effects: not answered.')
      : noticed.length === 0
        ? el('p', {}, 'Side effects: none reported.')
        : el('div', {}, el('p', { className: 'sub' }, 'Side effects since the last visit:'),
          el('ul', { className: 'side-effect-list', dataset: { testid: 'side-effects' } },
            noticed.map((e) => el('li', { className: `sev sev-${e.severity}` }, `${sideEffectLabel(e.name)}: ${severityLabel(e.severity).toLowerCase()}`))));
    // Per medication, with the most it could be (doses per day x 14); a
    // check-in from before that kept one number for all medications.
    const perMed = Array.isArray(c.missed_doses) ? c.missed_doses : [];
    const missed = perMed.length > 0
      ? el('div', {}, el('p', { className: 'sub' }, 'Missed doses in the last 14 days:'),
        el('ul', { className: 'missed-dose-list', dataset: { testid: 'missed-doses-shown' } },
          perMed.map((m) => el('li', { dataset: { orderId: m.order_id } },
            `${m.medication} ${m.dose} ${m.unit}: `, el('strong', {}, `${m.missed} of ${m.max}`),
            ` (${Math.round((100 * (m.max - m.missed)) / m.max)}% of doses taken)`))))
      : typeof c.missed_doses_14d === 'number'
        ? el('p', { dataset: { testid: 'missed-doses-shown' } }, 'Missed doses in the last 14 days (all medications together): ', el('strong', {}, String(c.missed_doses_14d)))
        : el('p', { className: 'muted' }, 'Missed doses: not answered.');
    this.ui.checkin.replaceChildren(
      el('p', { className: 'muted' }, `Submitted ${dateTime(c.submitted_at)}`),
      ...(scales.length ? blocks : [el('p', { className: 'muted' }, 'No questionnaires answered.')]),
      sideEffects, missed);
  }

  drawTrend(rec) {
    const history = Array.isArray(rec.score_history) ? rec.score_history.slice() : [];
    const visit = rec.visit || {};
    // Today's check-in, if the history does not carry it yet.
    if (rec.checkin && Array.isArray(rec.checkin.scales) && !history.some((h) => h.visit_id === visit.id)) {
      for (const s of rec.checkin.scales) {
        history.push({ visit_id: visit.id, scheduled_at: visit.scheduled_at || rec.checkin.submitted_at, scale: s.scale, total: s.total, band: s.band, alert: s.alert, subscales: s.subscales });
      }
    }
    this.ui.trend.replaceChildren(trendView(history, { currentVisitId: visit.id, mbc: rec.mbc }));
  }

  drawMeds(meds) {
    if (meds.length === 0) {
      this.ui.meds.replaceChildren(el('li', { className: 'muted' }, 'No current medications.'));
    } else {
      this.ui.meds.replaceChildren(...meds.map((o) => el('li', { className: 'med', dataset: { testid: `med-${o.id}`, status: o.status } },
        el('span', { className: 'med-line' }, el('strong', {}, medName(o)), ` ${doseLine(o, this.catalog).slice(medName(o).length)}`),
        ' ', statusBadge(o.status), ' ', scheduleBadge(orderMedication(o, this.catalog)),
        o.status === 'pending' ? el('span', { className: 'visually-hidden' }, ' (pending)') : null,
        medicationMonitoring(o, medName(o)), orderChecks(o, 'med'),
        renewControl(o, this.visitId, { onDone: () => this.refresh() }))));
    }
    this.adjust.setCurrent(meds);
  }

  // The last in-person evaluation, which the controlled-substance rule
  // reads (a calendar date, no zone), and the field to record one.
  drawEvaluation(patient) {
    const date = patient.in_person_eval_at;
    const by = patient.in_person_eval_by && patient.in_person_eval_by.display_name;
    this.ui.evalLine.replaceChildren(date
      ? el('span', {}, 'Last in-person evaluation: ', el('strong', {}, calendarDate(date)), by ? `, performed by ${by}` : '')
      : el('span', { className: 'muted' }, 'No in-person evaluation on record.'));
    this.ui.evalDate.max = localToday();
    if (document.activeElement !== this.ui.evalDate) this.ui.evalDate.value = date || '';
  }

  async saveEvaluation() {
    const date = this.ui.evalDate.value;
    const patient = this.record && this.record.patient;
    const err = this.ui.evalError;
    this.ui.evalDone.textContent = '';
    err.hidden = true;
    if (!patient || !patient.id) return;
    const problem = !date
      ? 'Enter the date of the in-person evaluation.'
      : date > localToday() ? `${calendarDate(date)} is after today. Enter the date the evaluation took place.` : null;
    if (problem) {
      err.textContent = problem;
      err.hidden = false;
      this.ui.evalDate.focus();
      return;
    }
    try {
      const by = this.ui.evalBy.value.trim();
      const res = await staffApi(`/api/patients/${enc(patient.id)}/in-person-evaluation`, { method: 'POST', body: by ? { date, performed_by: by } : { date } });
      this.ui.evalBy.value = '';
      this.ui.evalDone.textContent = `Saved: in-person evaluation on ${calendarDate(res.in_person_eval_at || date)}.`;
      await this.refresh();
    } catch (e) {
      // The server's sentence (a date after the clinic's today, in its zone).
      err.textContent = e.message;
      err.hidden = false;
    }
  }

  drawNotes(notes) {
    if (notes.length === 0) {
      this.ui.notes.replaceChildren(el('li', { className: 'muted' }, 'No notes yet.'));
      return;
    }
    this.ui.notes.replaceChildren(...notes.map((n) => el('li', { className: 'note' },
      el('p', { className: 'note-meta' }, `${dateTime(n.at)}${n.author ? ` · ${typeof n.author === 'object' ? n.author.display_name || '' : n.author}` : ''}`),
      el('p', { className: 'note-text' }, n.text))));
  }

  async addNote() {
    const text = this.ui.noteText.value.trim();
    const err = this.ui.noteError;
    if (!text) {
      err.textContent = 'Write the note first.';
      err.hidden = false;
      this.ui.noteText.focus();
      return;
    }
    err.hidden = true;
    this.ui.noteAdd.disabled = true;
    try {
      await staffApi(`/api/visits/${enc(this.visitId)}/notes`, { method: 'POST', body: { text } });
      this.ui.noteText.value = '';
      this.noteCount.update();
      await this.refresh();
    } catch (e) {
      // The server's sentence as it comes: it says what to do, and the
      // text stays in the box.
      err.textContent = e.message;
      err.hidden = false;
    } finally {
      this.ui.noteAdd.disabled = false;
    }
  }

  drawOrders(orders) {
    if (orders.length === 0) {
      this.ui.orders.replaceChildren(el('li', { className: 'muted' }, 'No orders yet.'));
      return;
    }
    const byId = new Map(orders.map((o) => [String(o.id), o]));
    // Newest first: what changed last is what a provider looks for.
    const list = orders.slice().reverse();
    this.ui.orders.replaceChildren(...list.map((o) => {
      const replaced = o.replaces !== null && o.replaces !== undefined ? byId.get(String(o.replaces)) : null;
      const li = el('li', { className: `order order-${o.status}`, id: `order-${o.id}`, dataset: { testid: `order-${o.id}`, status: o.status } },
        el('p', { className: 'order-line' }, el('strong', {}, doseLine(o, this.catalog)), ' ', statusBadge(o.status), ' ', scheduleBadge(orderMedication(o, this.catalog))),
        el('p', { className: 'order-meta' }, orderMeta(o), o.visit_id === this.visitId ? ' (this visit)' : ''),
        o.reason ? el('p', { className: 'order-meta' }, `Reason: ${o.reason}`) : null,
        cosignLine(o),
        orderChecks(o),
        ['stopped', 'entered-in-error'].includes(o.status) && (o.status_reason || o.status_at)
          ? el('p', { className: 'order-meta' }, `${capitalize(STATUS_WORDS[o.status])}${o.status_at ? ` ${dateTime(o.status_at)}` : ''}${o.status_reason ? `: ${o.status_reason}` : ''}`)
          : null,
        replaced ? el('p', { className: 'order-meta' }, 'Replaces ', el('a', { href: `#order-${replaced.id}` }, doseLine(replaced, this.catalog))) : null,
        o.status !== 'entered-in-error'
          ? el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `order-error-${o.id}` }, attrs: { 'aria-label': `Mark ${doseLine(o, this.catalog)} as entered in error` } }, 'Entered in error…')
          : null);
      const btn = li.querySelector(`[data-testid="order-error-${o.id}"]`);
      if (btn) btn.addEventListener('click', () => this.openErrorForm(li, o, btn));
      return li;
    }));
  }

  openErrorForm(li, order, btn) {
    if (li.querySelector('.error-form')) return;
    btn.hidden = true;
    const id = `order-error-reason-${order.id}`;
    const input = el('input', { type: 'text', id, className: 'input-text', dataset: { testid: id }, autocomplete: 'off', maxLength: 1000 });
    const msg = el('p', { className: 'alert', role: 'alert', hidden: true });
    const cancel = el('button', { type: 'button', className: 'btn btn-small' }, 'Cancel');
    const form = el('form', { className: 'error-form', noValidate: true },
      el('label', { htmlFor: id }, 'Why was this order entered in error? (required)'),
      input, msg,
      el('div', { className: 'controls' },
        el('button', { type: 'submit', className: 'btn btn-small btn-danger', dataset: { testid: `order-error-confirm-${order.id}` } }, 'Mark entered in error'),
        cancel));
    const close = () => {
      form.remove();
      btn.hidden = false;
      btn.focus();
      if (this.record) this.render(this.record);
    };
    cancel.addEventListener('click', close);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const reason = input.value.trim();
      if (!reason) {
        msg.textContent = 'Give the reason: it stays in the record.';
        msg.hidden = false;
        input.focus();
        return;
      }
      try {
        await staffApi(`/api/orders/${enc(order.id)}/entered-in-error`, { method: 'POST', body: { reason } });
        form.remove();
        await this.refresh();
        const heading = this.root.querySelector('#orders-heading');
        if (heading) heading.focus();
      } catch (e) {
        msg.textContent = e.message;
        msg.hidden = false;
      }
    });
    li.append(form);
    input.focus();
  }
}
