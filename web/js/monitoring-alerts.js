// monitoring-alerts.js: safety signals between visits (issue 14) reach the
// provider, never silently. The console polls the open alerts of the
// patients the clinician may read (GET /api/alerts) every few seconds; a
// new one raises the waiting room's alert mechanics (alerts.js: the count
// in the title, a chime when sound is on, a desktop notification when the
// console is not in front) and an in-page line. The first load counts as
// known: those alerts are listed, without a chime for each.
//
// Each alert is acknowledged by the signed-in clinician with a note
// (POST /api/alerts/<id>/acknowledge), once; the record panel lists a
// patient's alerts, unacknowledged first (PatientAlerts). Both lists say
// to each other when an alert was acknowledged ('th-alerts-changed').

import { enc, el, dateTime } from './api.js';
import { staffApi } from './session.js';
import { attachCharCount } from './char-count.js';

// The server's limit (server/api/bodies_safety.c SAFETY_TEXT_MAX).
const NOTE_MAX_CHARS = 1000;
// Polled like the visit list; a browser test sets window.__thAlertPollMs.
const POLL_MS = Number(globalThis.__thAlertPollMs) || 5000;
const CHANGED = 'th-alerts-changed';

let formSeq = 0;

// The acknowledgement form under an alert: a required note, Save, Cancel.
function ackForm(alert, { onDone, onCancel }) {
  const id = `ack-note-${++formSeq}`;
  const box = el('textarea', { id, rows: 2, required: true, dataset: { testid: 'alert-ack-note' }, attrs: { 'aria-required': 'true' } });
  const count = el('p', { className: 'hint char-count' });
  const error = el('p', { className: 'alert', role: 'alert', hidden: true, dataset: { testid: 'alert-ack-error' } });
  const save = el('button', { type: 'submit', className: 'btn btn-primary', dataset: { testid: 'alert-ack-save' } }, 'Save acknowledgement');
  const cancel = el('button', { type: 'button', className: 'btn' }, 'Cancel');
  const form = el('form', { className: 'ack-form', noValidate: true },
    el('label', { htmlFor: id }, 'What did you do about it? (required)'), box, count, error,
    el('div', { className: 'controls' }, save, cancel));
  attachCharCount(box, count, NOTE_MAX_CHARS);
  cancel.addEventListener('click', onCancel);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!box.value.trim()) {
      error.textContent = 'Write a note first: what you did about this alert (for example, called the patient).';
      error.hidden = false;
      box.focus();
      return;
    }
    save.disabled = true;
    save.textContent = 'Saving…';
    try {
      const res = await staffApi(`/api/alerts/${enc(alert.id)}/acknowledge`, { method: 'POST', body: { note: box.value } });
      onDone(res.alert);
    } catch (err) {
      // A second acknowledgement (409) says who did it first on reload.
      error.textContent = err.message;
      error.hidden = false;
      save.disabled = false;
      save.textContent = 'Save acknowledgement';
      if (err.status === 409) onDone(null);
    }
  });
  return { form, box };
}

function acknowledgedLine(a) {
  const ack = a.acknowledged;
  return el('p', { className: 'ack-line', dataset: { testid: 'alert-acknowledged' } },
    `Acknowledged by ${ack.by ? ack.by.display_name : 'a clinician'}, ${dateTime(ack.at)}: `,
    el('q', {}, ack.note));
}

// One alert, with its Acknowledge button (open) or who acknowledged it.
export function alertItem(a, { withPatient = false } = {}) {
  const open = !a.acknowledged;
  const li = el('li', { className: `monitoring-alert${open ? ' monitoring-alert-open' : ''}`, dataset: { testid: 'monitoring-alert', alert: a.id, rule: a.rule } });
  const head = el('p', { className: 'monitoring-alert-head' },
    withPatient && a.patient ? el('strong', {}, `${a.patient.display_name}: `) : null,
    a.summary, ' ',
    el('span', { className: 'muted' }, dateTime(a.raised_at)));
  li.append(head);
  if (!open) {
    li.append(acknowledgedLine(a));
    return li;
  }
  const btn = el('button', {
    type: 'button', className: 'btn', dataset: { testid: 'alert-ack' },
    attrs: { 'aria-label': `Acknowledge the alert${withPatient && a.patient ? ` for ${a.patient.display_name}` : ''}` },
  }, 'Acknowledge');
  btn.addEventListener('click', () => {
    btn.hidden = true;
    const { form, box } = ackForm(a, {
      onDone: () => document.dispatchEvent(new CustomEvent(CHANGED)),
      onCancel: () => { form.remove(); btn.hidden = false; btn.focus(); },
    });
    li.append(form);
    box.focus();
  });
  li.append(btn);
  return li;
}

// The console's open alerts, polled; new ones alert like a patient waiting.
export class ConsoleAlerts {
  constructor(root, { waitingAlerts }) {
    this.root = root;
    this.waitingAlerts = waitingAlerts;
    this.line = root.querySelector('[data-testid="monitoring-alert-line"]');
    this.list = root.querySelector('[data-testid="monitoring-alert-list"]');
    this.status = root.querySelector('[data-testid="monitoring-alert-status"]');
    this.known = null; // ids seen; null before the first load
    this.sig = '';
    this.loading = false;
    document.addEventListener(CHANGED, () => this.load());
  }

  start() {
    this.load();
    this.timer = setInterval(() => this.load({ polled: true }), POLL_MS);
  }

  async load({ polled = false } = {}) {
    if (this.loading) return;
    this.loading = true;
    try {
      const body = await staffApi('/api/alerts', { background: polled });
      this.status.textContent = '';
      this.show(Array.isArray(body && body.alerts) ? body.alerts : []);
    } catch (err) {
      if (err.status === 401) return;
      // Never an empty list in place of alerts that could not be read.
      this.status.textContent = `The safety alerts could not be checked: ${err.message} Trying again in a few seconds.`;
      this.root.hidden = false;
    } finally {
      this.loading = false;
    }
  }

  show(alerts) {
    const fresh = this.known ? alerts.filter((a) => !this.known.has(a.id)) : [];
    this.known = new Set(alerts.map((a) => a.id));
    this.waitingAlerts.setExtraCount('monitoring', alerts.length, alerts.length === 1 ? 'Alert' : 'Alerts');
    this.root.hidden = alerts.length === 0 && !this.status.textContent;
    const sig = JSON.stringify(alerts.map((a) => a.id));
    // Redrawn only when the list changed: a half-written note stays.
    if (sig !== this.sig) {
      this.sig = sig;
      this.list.replaceChildren(...alerts.map((a) => alertItem(a, { withPatient: true })));
    }
    if (alerts.length === 0) this.line.hidden = true;
    if (fresh.length === 0) return;
    const names = [...new Set(fresh.map((a) => (a.patient && a.patient.display_name) || 'A patient'))];
    // The line names who (the list below has each alert in full); the
    // desktop notification, seen away from the page, says what.
    const text = fresh.length === 1
      ? `New safety alert for ${names[0]}: ${fresh[0].summary}`
      : `${fresh.length} new safety alerts for ${names.join(' and ')}.`;
    this.line.textContent = fresh.length === 1
      ? `New safety alert for ${names[0]}.`
      : `${fresh.length} new safety alerts for ${names.join(' and ')}.`;
    this.line.hidden = false;
    // A lower, repeated tone than the waiting room's: a different signal.
    this.waitingAlerts.chime({ banner: this.line, tones: [[660, 0], [660, 0.3], [880, 0.6]] });
    this.waitingAlerts.notify(text, { banner: this.line, title: 'Safety alert', tag: 'th-monitoring' });
  }
}

// A patient's alerts in the record panel: unacknowledged first (the
// server's order), acknowledged below with who, when and the note.
export class PatientAlerts {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector('[data-testid="patient-alerts"]');
    this.status = root.querySelector('[data-testid="patient-alerts-status"]');
    this.patientId = '';
    this.sig = '';
    document.addEventListener(CHANGED, () => this.load());
  }

  setPatient(id) {
    if (id !== this.patientId) {
      this.patientId = id;
      this.sig = '';
      this.list.replaceChildren();
    }
    return this.load();
  }

  async load() {
    if (!this.patientId) return;
    const id = this.patientId;
    try {
      const body = await staffApi(`/api/patients/${enc(id)}/alerts`, { background: true });
      if (id !== this.patientId) return;
      const alerts = Array.isArray(body && body.alerts) ? body.alerts : [];
      const sig = JSON.stringify(alerts.map((a) => [a.id, !!a.acknowledged]));
      this.status.textContent = alerts.length ? '' : 'No safety alerts for this patient.';
      if (sig === this.sig) return;
      this.sig = sig;
      this.list.replaceChildren(...alerts.map((a) => alertItem(a)));
    } catch (err) {
      if (err.status === 401) return;
      this.status.textContent = `The patient's safety alerts could not be read: ${err.message}`;
    }
  }
}
