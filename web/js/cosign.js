// cosign.js: the supervising psychiatrist's co-sign queue (cosign.html).
// Her physician assistants' pending orders on the left; the one she opens
// beside the patient's record (alerts, current medications, the latest
// check-in, the in-person evaluation date) so she judges it without another
// page; co-sign, or decline with a reason her PA reads. The server runs the
// prescribing rules again at co-signature: its refusal is shown as sent and
// the order stays here until she declines it. Their stops (in effect since
// made) wait below until acknowledged. The open order is in the fragment
// (#order=<id>).

import { readFragment } from './common.js';
import { enc, el, dateTime } from './api.js';
import { startStaffSession, staffApi } from './session.js';
import { doseLine, scheduleBadge, orderMedication, statusBadge, ACTION_WORDS } from './meds.js';
import { scoreText, sideEffectLabel, severityLabel } from './scales.js';
import { FindingsPanel, orderChecks } from './rx-findings.js';

const $id = (id) => document.getElementById(id);
const ui = {
  who: $id('who'), error: $id('error'), status: $id('cs-status'), done: $id('cs-done'),
  list: $id('cs-list'), stops: $id('cs-stops'), stopsHeading: $id('cs-stops-heading'), stopsHint: $id('cs-stops-hint'),
  detail: $id('cs-detail'), kicker: $id('cs-kicker'), title: $id('cs-order-title'), facts: $id('cs-facts'),
  rule: $id('cs-rule'), orderError: $id('cs-order-error'), actions: $id('cs-actions'),
  cosign: $id('cs-cosign'), decline: $id('cs-decline'), declineForm: $id('cs-decline-form'),
  declineReason: $id('cs-decline-reason'), declineCancel: $id('cs-decline-cancel'),
  patient: $id('cs-patient'), recordStatus: $id('cs-record-status'), alerts: $id('cs-alerts'),
  meds: $id('cs-meds'), checkin: $id('cs-checkin'), evalLine: $id('cs-eval'), timeline: $id('cs-timeline'),
};

// The prescribing check's findings when a co-signature is refused: the
// server runs the whole check again (issue 15, item 8); a major finding new
// since the PA wrote the order takes the co-signer's own override reason.
const findings = new FindingsPanel(ui.detail, ui.orderError);

// The scales in the order a psychiatrist reads them (as the timeline does).
const SCALE_ORDER = ['phq9', 'gad7', 'asrs18', 'asrs_a'];

let catalog = null;
let pending = [];
let selected = null;   // the open order
let busy = false;

function showError(text) {
  ui.error.textContent = text || '';
  ui.error.hidden = !text;
}

// "10 Nov 2026" from "2026-11-02": a calendar date, read without a zone.
function dateText(date) {
  const [y, m, d] = String(date).split('-').map(Number);
  if (!y || !m || !d) return String(date);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
}

// replaceChildren() writes "null" for a missing part: leave those out.
function present(...parts) {
  return parts.filter((x) => x !== null && x !== undefined && x !== false);
}

function visitWords(v) {
  if (!v) return '';
  const kind = v.modality === 'audio-only' ? 'Audio only' : 'Video';
  return `${kind}, ${dateTime(v.scheduled_at)}`;
}

// ------------------------------------------------------------ the queue

async function load({ keep = true } = {}) {
  let body;
  try {
    if (!catalog) catalog = await staffApi('/api/catalog');
    body = await staffApi('/api/orders/pending');
  } catch (err) {
    if (err.status === 401) return;
    ui.status.textContent = '';
    showError(`The queue could not be loaded: ${err.message}`);
    return;
  }
  showError('');
  pending = Array.isArray(body.orders) ? body.orders : [];
  const stops = Array.isArray(body.stops_to_acknowledge) ? body.stops_to_acknowledge : [];
  ui.status.textContent = pending.length === 0
    ? 'Nothing is waiting for your co-signature.'
    : `${pending.length} ${pending.length === 1 ? 'order is' : 'orders are'} waiting, oldest first.`;
  ui.list.replaceChildren(...pending.map(queueItem));
  ui.stops.replaceChildren(...stops.map(stopItem));
  ui.stopsHeading.hidden = ui.stopsHint.hidden = stops.length === 0;
  const wanted = keep && selected ? selected.id : readFragment().order;
  const next = pending.find((o) => o.id === wanted) || pending[0] || null;
  if (next) open(next, { focus: false });
  else close();
}

function queueItem(o) {
  const btn = el('button', { type: 'button', className: 'cs-item', dataset: { testid: `cosign-item-${o.id}`, order: o.id } },
    el('span', { className: 'cs-item-what' }, doseLine(o, catalog)),
    el('span', { className: 'cs-item-meta' }, `${o.patient?.display_name || 'Patient'} · by ${o.prescriber?.display_name || 'your PA'}`),
    el('span', { className: 'cs-item-meta' }, `Written ${dateTime(o.created_at)}`));
  btn.addEventListener('click', () => open(o, { focus: true }));
  return el('li', {}, btn);
}

function stopItem(o) {
  const msg = el('p', { className: 'alert', role: 'alert', hidden: true });
  const ack = el('button', { type: 'button', className: 'btn btn-small btn-primary', dataset: { testid: `cosign-ack-${o.id}` },
    attrs: { 'aria-label': `Acknowledge the stop of ${doseLine(o, catalog)} for ${o.patient?.display_name || 'the patient'}` } }, 'Acknowledge');
  ack.addEventListener('click', async () => {
    try {
      await staffApi(`/api/orders/${enc(o.id)}/acknowledge-stop`, { method: 'POST' });
      await load();
      ui.done.textContent = `Acknowledged: ${doseLine(o, catalog)} stopped.`;
    } catch (err) {
      msg.textContent = err.message;
      msg.hidden = false;
    }
  });
  return el('li', { className: 'cs-stop', dataset: { testid: `cosign-stop-${o.id}` } },
    el('p', { className: 'cs-item-what' }, `${doseLine(o, catalog)} stopped`),
    el('p', { className: 'cs-item-meta' }, `${o.patient?.display_name || 'Patient'} · by ${o.stopped_by?.display_name || 'your PA'} ${dateTime(o.status_at)}`),
    o.status_reason ? el('p', { className: 'cs-item-meta' }, `Reason: ${o.status_reason}`) : null,
    msg, ack);
}

function close() {
  selected = null;
  ui.detail.hidden = true;
  history.replaceState(null, '', window.location.pathname);
}

// ------------------------------------------------------------ one order

function open(o, { focus }) {
  const same = selected && selected.id === o.id;
  selected = o;
  history.replaceState(null, '', `#order=${enc(o.id)}`);
  for (const b of ui.list.querySelectorAll('.cs-item')) {
    if (b.dataset.order === o.id) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
  ui.detail.hidden = false;
  if (!same) {
    ui.orderError.hidden = true;
    ui.declineForm.hidden = true;
    ui.declineReason.value = '';
    ui.actions.hidden = false;
  }
  drawOrder(o, null);
  loadRecord(o);
  if (focus) ui.detail.focus();
}

function drawOrder(o, record) {
  ui.kicker.textContent = `${ACTION_WORDS[o.action] || 'Ordered'} by ${o.prescriber?.display_name || 'your PA'}, awaiting your co-signature`;
  ui.title.replaceChildren(...present(doseLine(o, catalog), ' ', scheduleBadge(orderMedication(o, catalog))));
  const replaced = o.replaces && record ? (record.orders || []).find((x) => x.id === o.replaces) : null;
  const d = o.dispense;
  const rows = [
    ['Patient', o.patient?.display_name || ''],
    ['Written by', `${o.prescriber?.display_name || ''}, ${dateTime(o.created_at)}`],
    ['Visit', visitWords(o.visit)],
    ['Reason', o.reason || ''],
    o.replaces ? ['Replaces', replaced ? doseLine(replaced, catalog) : 'an earlier order'] : null,
    d ? ['Dispense', `${d.quantity} ${d.unit}${d.quantity === 1 ? '' : 's'}, ${d.supply_days} days, ${d.refills} ${d.refills === 1 ? 'refill' : 'refills'}`] : null,
  ].filter(Boolean);
  ui.facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const rule = o.cosign_rule || {};
  // What the prescribing check found when the PA wrote it: the warnings it
  // went ahead with, and a major finding with the PA's override reason.
  const checks = orderChecks(o, 'cosign');
  ui.rule.replaceChildren(...present(
    el('p', {}, el('strong', {}, 'Why it waits for you: '), rule.text || 'A physician assistant\'s order needs your co-signature.'),
    rule.also ? el('p', { dataset: { testid: 'cosign-rule-controlled' } }, rule.also) : null,
    checks ? el('p', { className: 'cs-checks-head' }, el('strong', {}, 'The prescribing check found, when it was written:')) : null,
    checks));
}

async function loadRecord(o) {
  const visitId = o.visit && o.visit.id;
  if (!visitId) return;
  ui.recordStatus.textContent = 'Loading the record…';
  try {
    const rec = await staffApi(`/api/visits/${enc(visitId)}/record`);
    if (!selected || selected.id !== o.id) return;
    ui.recordStatus.textContent = '';
    drawOrder(o, rec);
    drawRecord(o, rec);
  } catch (err) {
    if (err.status === 401 || !selected || selected.id !== o.id) return;
    ui.recordStatus.textContent = `The record could not be loaded: ${err.message}`;
  }
}

function drawRecord(o, rec) {
  const p = rec.patient || {};
  ui.patient.textContent = `${p.display_name || ''}${p.birth_date ? ` · born ${dateText(p.birth_date)}` : ''}`;
  // A safety signal is never left out (PHQ-9 item 9): the server's words.
  ui.alerts.replaceChildren(...(rec.alerts || []).map((a) => el('div', {
    className: `alert${a.kind === 'phq9-item9' ? ' alert-urgent' : ''}`, role: 'alert', dataset: { testid: `cosign-alert-${a.kind}` },
  }, a.message || a.kind)));
  const meds = rec.current_medications || [];
  ui.meds.replaceChildren(...(meds.length === 0
    ? [el('li', { className: 'muted' }, 'No current medications.')]
    : meds.map((m) => el('li', { className: 'med', dataset: { testid: `cosign-med-${m.id}` } },
      el('strong', {}, doseLine(m, catalog)), ' ', statusBadge(m.status), ' ', scheduleBadge(orderMedication(m, catalog)),
      m.id === o.replaces ? el('span', { className: 'cs-replaced' }, ' · this order would replace it') : null))));
  const c = rec.checkin;
  if (!c) {
    ui.checkin.replaceChildren(el('p', { className: 'muted' }, 'No check-in in this visit.'));
  } else {
    const answered = c.side_effects || [];
    const effects = answered.filter((e) => e.severity > 0).sort((a, b) => b.severity - a.severity);
    const rank = (k) => { const i = SCALE_ORDER.indexOf(k); return i < 0 ? 9 : i; };
    const scales = (c.scales || []).slice().sort((a, b) => rank(a.scale) - rank(b.scale));
    ui.checkin.replaceChildren(
      el('p', { className: 'muted' }, `Submitted ${dateTime(c.submitted_at)}`),
      el('ul', { className: 'cs-scores' }, scales.map((s) => el('li', { className: s.alert ? 'answer-flag' : '' }, scoreText(s)))),
      effects.length
        ? el('p', {}, 'Side effects: ', effects.map((e) => `${sideEffectLabel(e.name)} (${severityLabel(e.severity).toLowerCase()})`).join(', '))
        : el('p', { className: 'muted' }, answered.length ? 'Side effects: none reported.' : 'Side effects: not answered.'));
  }
  ui.evalLine.textContent = p.in_person_eval_at
    ? `Last in-person evaluation: ${dateText(p.in_person_eval_at)}.`
    : 'No in-person evaluation on record.';
  ui.timeline.hidden = !p.id;
  if (p.id) ui.timeline.href = `timeline.html#${new URLSearchParams({ patient: p.id })}`;
}

async function act(path, body, doneText) {
  if (busy || !selected) return;
  busy = true;
  ui.orderError.hidden = true;
  findings.hide();
  ui.cosign.disabled = ui.decline.disabled = true;
  try {
    await staffApi(path, { method: 'POST', body });
    selected = null;
    await load({ keep: false });
    // Said once the queue shows what is left.
    ui.done.textContent = doneText;
    (ui.list.querySelector('.cs-item') || ui.status).focus?.();
  } catch (err) {
    // The server's sentence as it comes (a refused co-signature says why
    // and that the order is still pending); the check's findings each with
    // its source, and the override box when a reason would lift them.
    ui.orderError.textContent = err.message;
    ui.orderError.hidden = false;
    const o = selected;
    if (err.code === 'prescribing-rule' && Array.isArray(err.findings) && err.findings.length && o) {
      ui.orderError.hidden = true;
      findings.show(err, {
        onOverride: (reason) => act(path, { override: { reason } }, doneText),
        onCancel: () => ui.cosign.focus(),
      });
    }
  } finally {
    busy = false;
    ui.cosign.disabled = ui.decline.disabled = false;
  }
}

ui.cosign.addEventListener('click', () => {
  const o = selected;
  if (o) act(`/api/orders/${enc(o.id)}/cosign`, undefined, `Co-signed: ${doseLine(o, catalog)} for ${o.patient?.display_name || 'the patient'} is now in effect.`);
});
ui.decline.addEventListener('click', () => {
  ui.declineForm.hidden = false;
  ui.actions.hidden = true;
  ui.declineReason.focus();
});
ui.declineCancel.addEventListener('click', () => {
  ui.declineForm.hidden = true;
  ui.actions.hidden = false;
  ui.decline.focus();
});
ui.declineForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const reason = ui.declineReason.value.trim();
  const o = selected;
  if (!o) return;
  if (!reason) {
    ui.orderError.textContent = 'Give the reason: your physician assistant reads it, and it stays in the record.';
    ui.orderError.hidden = false;
    ui.declineReason.focus();
    return;
  }
  act(`/api/orders/${enc(o.id)}/decline`, { reason }, `Declined: ${doseLine(o, catalog)} for ${o.patient?.display_name || 'the patient'}. It will not take effect.`);
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && !busy && ui.declineForm.hidden) load();
});

async function start() {
  const staff = await startStaffSession(); // never settles without a session
  ui.who.textContent = staff && staff.display_name ? `Signed in as ${staff.display_name}` : '';
  await load({ keep: false });
}

start().catch((err) => showError(`The page could not start: ${err.message} Reload it.`));
