// rx-findings.js: what the prescribing safety check found, in plain words
// (issue 15). In the adjustment form: each finding of a refused order with
// its source, and, when an override reason would lift the refusal, a
// required "Reason for overriding" box, a button to submit again with it,
// and Cancel (nothing is saved either way until the provider submits). On
// a saved order: its kept checks (a warning it went ahead with, a major
// finding overridden with the reason and who). The server decides; the
// page only explains.

import { el, dateTime } from './api.js';

// The server's limit on an override reason (server/api/bodies.c MAX_REASON_CHARS).
const REASON_MAX_CHARS = 1000;

const SEVERITY_WORDS = {
  refuse: 'Not allowed',
  major: 'Major: needs your reason to go ahead',
  warn: 'Moderate: a warning, the order can go ahead',
};

function findingItem(f, i) {
  return el('li', { className: `rx-finding rx-${f.severity}`, dataset: { testid: `rx-finding-${i}`, rule: f.rule, severity: f.severity } },
    el('p', { className: 'rx-finding-head' },
      el('span', { className: `badge badge-rx-${f.severity}` }, SEVERITY_WORDS[f.severity] || f.severity),
      ' ', el('strong', {}, f.title || f.rule)),
    el('p', { className: 'rx-finding-message' }, f.message),
    f.source ? el('p', { className: 'rx-finding-source' }, `Source: ${f.source}`) : null);
}

// The findings panel of the adjustment form. `host` is the form; the panel
// goes after `before` (the form's error line).
export class FindingsPanel {
  constructor(host, before) {
    this.root = el('div', { className: 'rx-findings', dataset: { testid: 'rx-findings' }, hidden: true, tabIndex: -1, attrs: { 'aria-labelledby': 'rx-findings-heading' } });
    before.after(this.root);
    this.onOverride = null;
    this.onCancel = null;
  }

  get open() { return !this.root.hidden; }

  hide() {
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  // err: the ApiError of a refused order (code prescribing-rule);
  // onOverride(reason): submit again with the reason; onCancel(): close.
  show(err, { onOverride, onCancel }) {
    const findings = Array.isArray(err.findings) ? err.findings : [];
    const blocking = findings.filter((f) => f.severity !== 'warn');
    const warnings = findings.filter((f) => f.severity === 'warn');
    const canOverride = err.overrideAllowed === true;
    const reasonId = 'rx-override-reason';
    const reason = canOverride
      ? el('textarea', { id: reasonId, className: 'input-text', rows: 3, maxLength: REASON_MAX_CHARS, required: true, dataset: { testid: 'rx-override-reason' }, attrs: { 'aria-describedby': 'rx-override-help' } })
      : null;
    const problem = el('p', { className: 'field-error', dataset: { testid: 'rx-override-error' }, hidden: true, attrs: { role: 'alert' } });
    const submit = canOverride
      ? el('button', { type: 'button', className: 'btn btn-danger', dataset: { testid: 'rx-override-submit' } }, 'Override and save')
      : null;
    const cancel = el('button', { type: 'button', className: 'btn', dataset: { testid: 'rx-cancel' } }, canOverride ? 'Cancel' : 'Close');
    // What stands in the way first, then the decision, then what the order
    // could go ahead with: the action sits next to the reason for it.
    this.root.replaceChildren(
      el('h4', { id: 'rx-findings-heading' }, canOverride
        ? 'Not saved yet: the prescribing check needs your attention'
        : 'Not saved: the prescribing check does not allow this order'),
      el('ul', { className: 'rx-finding-list' }, blocking.map(findingItem)),
      canOverride
        ? el('div', { className: 'field' },
          el('label', { htmlFor: reasonId }, 'Reason for overriding (required)'),
          el('p', { id: 'rx-override-help', className: 'hint' }, 'Kept with the order, shown on the record and audited. For example: “Cross-taper agreed with the patient; weekly review for serotonin syndrome.”'),
          reason, problem)
        : el('p', { className: 'hint' }, 'Nothing was saved. Change the order (for example, switch the current medication instead of starting a second one) or cancel.'),
      el('div', { className: 'rx-actions' }, submit, cancel),
      warnings.length ? el('h5', { className: 'rx-also' }, 'Also noted (these alone would not stop the order)') : null,
      warnings.length ? el('ul', { className: 'rx-finding-list' }, warnings.map((f, i) => findingItem(f, blocking.length + i))) : null);
    this.root.hidden = false;
    cancel.addEventListener('click', () => { this.hide(); if (onCancel) onCancel(); });
    if (submit) {
      submit.addEventListener('click', async () => {
        const text = reason.value.trim();
        if (!text) {
          problem.textContent = 'Give your reason for overriding, or cancel.';
          problem.hidden = false;
          reason.setAttribute('aria-invalid', 'true');
          reason.focus();
          return;
        }
        problem.hidden = true;
        reason.removeAttribute('aria-invalid');
        submit.disabled = true;
        try { await onOverride(text); } finally { submit.disabled = false; }
      });
    }
    this.root.focus({ preventScroll: true });
    this.root.scrollIntoView({ block: 'start' });
  }
}

// A saved order's kept checks, for the record; null when there are none.
export function orderChecks(order, where = 'order') {
  const checks = Array.isArray(order && order.checks) ? order.checks : [];
  if (checks.length === 0) return null;
  return el('ul', { className: 'rx-checks', dataset: { testid: `rx-checks-${where}-${order.id}` } },
    checks.map((c) => el('li', { className: `rx-check rx-${c.severity}`, dataset: { rule: c.rule, severity: c.severity } },
      el('span', { className: `badge badge-rx-${c.severity}` }, c.severity === 'major' ? 'Major, overridden' : 'Warning'),
      ' ', el('strong', {}, c.title || c.rule), ': ', c.message,
      c.override_reason
        ? el('span', { className: 'rx-override' }, ` Overridden by ${(c.by && c.by.display_name) || 'the prescriber'}${c.at ? ` ${dateTime(c.at)}` : ''}: “${c.override_reason}”.`)
        : null,
      c.source ? el('span', { className: 'rx-finding-source' }, ` Source: ${c.source}`) : null)));
}
