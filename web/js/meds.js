// meds.js: how medication orders read on screen (provider record, timeline).

import { el, capitalize, dateTime } from './api.js';

export const ACTION_WORDS = {
  start: 'Started',
  stop: 'Stopped',
  'change-dose': 'Dose changed',
  switch: 'Switched',
};

export const STATUS_WORDS = {
  active: 'active',
  pending: 'awaiting co-signature',
  stopped: 'stopped',
  'entered-in-error': 'entered in error',
  declined: 'declined by the supervising psychiatrist',
  completed: 'completed (renewed)',
};

// Whether a medication (a catalog entry, or an order's medication) is a
// controlled substance: the server says so in `controlled` (tests/CONTRACT.md),
// from its own catalog; the page does not read it out of the schedule's spelling.
export function isControlled(med) {
  return Boolean(med) && med.controlled === true;
}

// The DEA schedule as the server spells it ("II", "IV"): "Schedule II".
export function scheduleText(med) {
  return `Schedule ${(med && med.schedule) || ''}`.trim();
}

// A visible "Schedule II · controlled" mark for a controlled substance, or null.
export function scheduleBadge(med) {
  if (!isControlled(med)) return null;
  return el('span', { className: 'badge badge-controlled', title: 'Controlled substance' }, `${scheduleText(med)} · controlled`);
}

// The order's medication facts ({schedule, controlled}): the order's own
// snapshot, or else the catalog's entry.
export function orderMedication(order, catalog) {
  const m = order.medication || {};
  if (typeof m.controlled === 'boolean') return m;
  const meds = (catalog && catalog.medications) || [];
  return meds.find((x) => x.id === m.id) || null;
}

export function frequencyText(code, catalog) {
  const list = (catalog && catalog.frequencies) || [];
  const f = list.find((x) => x.code === code);
  return f ? f.text : String(code || '');
}

// The formulation as prescribed ("Methylphenidate extended-release (OROS)
// tablet"): the order's own snapshot, whatever the catalog says today.
export function medName(order) {
  const m = order.medication || {};
  return capitalize(m.display || m.name || 'Medication');
}

function numberText(n) {
  return typeof n === 'number' ? String(Math.round(n * 1000) / 1000) : String(n ?? '');
}

// "Sertraline tablet 100 mg once daily, oral"; the server's sentence for the
// dosing when it sent one (split doses, as needed at most n a day).
export function doseLine(order, catalog) {
  const parts = [];
  if (order.dosage_text) parts.push(order.dosage_text);
  else {
    if (order.dose !== undefined && order.dose !== null) parts.push(`${numberText(order.dose)} ${order.unit || ''}`.trim());
    if (order.frequency) parts.push(frequencyText(order.frequency, catalog));
  }
  const line = `${medName(order)}${parts.length ? ` ${parts.join(' ')}` : ''}`;
  return order.route ? `${line}, ${order.route}` : line;
}

// ------------------------------------------------ the dose checks, as the server makes them

// The most taken on a dosing day (every other day: the amount on a dosing
// day; as needed: dose x the most doses a day; a split: both amounts).
export function dailyTotal(d, catalog) {
  const f = ((catalog && catalog.frequencies) || []).find((x) => x.code === d.frequency);
  if (!f || !(d.dose > 0)) return 0;
  if (f.split) return d.dose + (d.bedtimeDose || 0);
  if (f.as_needed) return d.dose * (d.prnMax || 0);
  return d.dose * f.per_day;
}

export function amountText(n) {
  return numberText(Math.round(n * 1000) / 1000);
}

// What the server would refuse about this dosing, as the sentence it sends,
// or null. (The server checks again: this only spares a round trip.)
export function dosingProblem(med, d, catalog) {
  if (!med) return 'Choose a medication.';
  const who = capitalize(med.display || med.name);
  if (!(d.dose > 0)) return 'Choose a dose.';
  const f = ((catalog && catalog.frequencies) || []).find((x) => x.code === d.frequency);
  if (!f) return 'Choose how often the medication is taken.';
  if (f.split && !(d.bedtimeDose > 0)) return 'A morning-and-bedtime order needs both amounts.';
  if (f.as_needed && !(d.prnMax >= 1)) return 'An as-needed order needs the most doses a day.';
  if (!(med.routes || []).includes(d.route)) return `${who} is given ${(med.routes || []).join(' or ')}, not ${d.route}.`;
  const total = dailyTotal(d, catalog);
  const max = med.max_daily && med.max_daily.amount;
  if (max && total > max + 1e-9) {
    return `${who}: at most ${amountText(max)} ${med.unit} a day (${med.max_daily.source}); this order comes to ${amountText(total)} ${med.unit} a day.`;
  }
  if (!(med.frequencies || []).includes(d.frequency)) return `${who} is not taken ${f.text}.`;
  if (d.refills > (med.max_refills ?? 11)) {
    return med.max_refills === 0 ? `${who} is a schedule II controlled substance: it cannot be refilled.` : `${who} allows at most ${med.max_refills} refills.`;
  }
  return null;
}

export function statusBadge(status) {
  return el('span', { className: `badge badge-order-${status}` }, STATUS_WORDS[status] || status);
}

// The "by whom, when, why" line under an order.
export function orderMeta(order) {
  const bits = [];
  bits.push(`${ACTION_WORDS[order.action] || capitalize(order.action || 'Ordered')}`);
  if (order.prescriber && order.prescriber.display_name) bits.push(`by ${order.prescriber.display_name}`);
  if (order.created_at) bits.push(dateTime(order.created_at));
  return bits.join(' ');
}

// What became of a PA's order's co-signature, as its prescriber reads it
// (order.cosign: null when it never needed one), or null.
export function cosignLine(order) {
  const c = order && order.cosign;
  if (!c || !c.state) return null;
  const who = c.by && c.by.display_name ? c.by.display_name : 'the supervising psychiatrist';
  const when = c.at ? ` ${dateTime(c.at)}` : '';
  const text = {
    waiting: 'Waiting for the supervising psychiatrist\'s co-signature; not in effect yet.',
    cosigned: `Co-signed by ${who}${when}.`,
    declined: `Declined by ${who}${when}${c.reason ? `: ${c.reason}` : '.'}`,
    withdrawn: 'Entered in error before it was co-signed.',
  }[c.state];
  if (!text) return null;
  return el('p', { className: `order-meta cosign-${c.state}`, dataset: { testid: `order-cosign-${order.id}`, cosign: c.state } }, text);
}
