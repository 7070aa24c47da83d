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
};

export function isControlled(schedule) {
  return Boolean(schedule) && !/^(none|no|0|-)$/i.test(String(schedule));
}

export function scheduleText(schedule) {
  const s = String(schedule || '');
  return /^schedule/i.test(s) ? s : `Schedule ${s}`;
}

// A visible "Schedule II" mark for controlled substances, or null.
export function scheduleBadge(schedule) {
  if (!isControlled(schedule)) return null;
  return el('span', { className: 'badge badge-controlled', title: 'Controlled substance' }, `${scheduleText(schedule)} · controlled`);
}

// The order's DEA schedule, from the order or else from the catalog.
export function orderSchedule(order, catalog) {
  const m = order.medication || {};
  if (m.schedule) return m.schedule;
  const meds = (catalog && catalog.medications) || [];
  const c = meds.find((x) => x.id === m.id);
  return c ? c.schedule : null;
}

export function frequencyText(code, catalog) {
  const list = (catalog && catalog.frequencies) || [];
  const f = list.find((x) => x.code === code);
  return f ? f.text : String(code || '');
}

export function medName(order) {
  return capitalize((order.medication && order.medication.name) || 'Medication');
}

function numberText(n) {
  return typeof n === 'number' ? String(Math.round(n * 1000) / 1000) : String(n ?? '');
}

// "Sertraline 100 mg, once daily, oral"
export function doseLine(order, catalog) {
  const parts = [];
  if (order.dose !== undefined && order.dose !== null) parts.push(`${numberText(order.dose)} ${order.unit || ''}`.trim());
  if (order.frequency) parts.push(frequencyText(order.frequency, catalog));
  if (order.route) parts.push(order.route);
  return `${medName(order)}${parts.length ? ` ${parts.join(', ')}` : ''}`;
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
