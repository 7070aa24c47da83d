// trend.js: a scale's totals over visits as a small inline SVG sparkline
// (a picture for the eye) plus a table (the numbers, for everyone).

import { el, shortDate } from './api.js';
import { scaleTitle, bandLabel, maxTotal } from './scales.js';
import { mbcLabel } from './adherence-chart.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// points: [{total, label}] oldest first.
export function sparkline(points, { max, width = 160, height = 40, title = '' } = {}) {
  const pad = 5;
  const top = Math.max(max || 0, ...points.map((p) => p.total), 1);
  const x = (i) => (points.length < 2 ? width / 2 : pad + (i * (width - 2 * pad)) / (points.length - 1));
  const y = (v) => height - pad - (v / top) * (height - 2 * pad);
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, class: 'sparkline', role: 'img',
    'aria-label': `${title}: ${points.map((p) => p.total).join(', ')}`,
  });
  root.append(svg('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: 'sparkline-axis' }));
  if (points.length > 1) {
    root.append(svg('polyline', { points: points.map((p, i) => `${x(i)},${y(p.total)}`).join(' '), class: 'sparkline-line' }));
  }
  points.forEach((p, i) => {
    root.append(svg('circle', { cx: x(i), cy: y(p.total), r: i === points.length - 1 ? 4 : 3, class: p.alert ? 'sparkline-dot sparkline-alert' : 'sparkline-dot' }));
  });
  return root;
}

// history: [{visit_id, scheduled_at, scale, total, band, alert}] in any order.
// Returns the element showing one block per scale.
// mbc: the record's measurement-based care labels ({phq9, gad7}), shown in
// words under their scale's title.
export function trendView(history, { currentVisitId = '', mbc = null } = {}) {
  const byScale = new Map();
  for (const h of history) {
    if (!byScale.has(h.scale)) byScale.set(h.scale, []);
    byScale.get(h.scale).push(h);
  }
  const order = ['phq9', 'gad7', 'asrs18', 'asrs_a'];
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
  const keys = [...byScale.keys()].sort((a, b) => rank(a) - rank(b));
  if (keys.length === 0) return el('p', { className: 'muted' }, 'No scores from past visits yet.');
  return el('div', { className: 'trends' }, keys.map((key) => {
    const rows = byScale.get(key).slice().sort((a, b) => Date.parse(a.scheduled_at) - Date.parse(b.scheduled_at));
    const title = scaleTitle(key);
    if (key === 'asrs18') return asrs18Trend(rows, title, currentVisitId);
    const table = el('table', { className: 'trend-table' },
      el('caption', { className: 'visually-hidden' }, `${title} totals by visit, oldest first`),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Visit'), el('th', { scope: 'col' }, 'Total'), el('th', { scope: 'col' }, 'Band'))),
      el('tbody', {}, rows.map((r) => el('tr', { className: r.visit_id === currentVisitId ? 'is-current' : '' },
        el('td', {}, `${shortDate(r.scheduled_at)}${r.visit_id === currentVisitId ? ' (this visit)' : ''}`),
        el('td', {}, String(r.total), r.alert ? el('span', { className: 'badge badge-alert' }, 'item 9') : null),
        el('td', {}, bandLabel(r.band))))));
    return el('div', { className: 'trend', dataset: { scale: key } },
      el('p', { className: 'trend-title' }, el('strong', {}, title), ' ',
        sparkline(rows.map((r) => ({ total: r.total, alert: r.alert })), { max: maxTotal(key), title: `${title} totals, oldest first` })),
      mbc ? mbcLabel(mbc[key], key) : null,
      table);
  }));
}

// The ASRS v1.1 symptom checklist has no total worth following: its two
// subscales (0-36 each, Kessler et al. 2005) are trended side by side.
function asrs18Trend(rows, title, currentVisitId) {
  const points = rows.filter((r) => r.subscales);
  const sub = (name) => points.map((r) => ({ total: r.subscales[name] }));
  const max = points.length ? points[0].subscales.max : 36;
  const table = el('table', { className: 'trend-table' },
    el('caption', { className: 'visually-hidden' }, `${title} subscales by visit, oldest first`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Visit'), el('th', { scope: 'col' }, 'Inattentive'), el('th', { scope: 'col' }, 'Hyperactive/impulsive'))),
    el('tbody', {}, points.map((r) => el('tr', { className: r.visit_id === currentVisitId ? 'is-current' : '' },
      el('td', {}, `${shortDate(r.scheduled_at)}${r.visit_id === currentVisitId ? ' (this visit)' : ''}`),
      el('td', {}, `${r.subscales.inattentive}/${max}`),
      el('td', {}, `${r.subscales.hyperactive}/${max}`)))));
  return el('div', { className: 'trend', dataset: { scale: 'asrs18' } },
    el('p', { className: 'trend-title' }, el('strong', {}, `${title} inattentive`), ' ',
      sparkline(sub('inattentive'), { max, title: `${title} inattentive subscale, oldest first` })),
    el('p', { className: 'trend-title' }, el('strong', {}, `${title} hyperactive/impulsive`), ' ',
      sparkline(sub('hyperactive'), { max, title: `${title} hyperactive/impulsive subscale, oldest first` })),
    table);
}
