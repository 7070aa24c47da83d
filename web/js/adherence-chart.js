// adherence-chart.js: beside each current medication in the record, the
// doses taken of those due since the last visit (from the diary, or the
// check-in's 14 days when there is no diary), the reasons for missed doses,
// a small chart of the weeks, and the side effects the diary attributes to
// the drug. The numbers are always in words too: the chart is a picture
// for the eye, its text alternative and the line above it say the same.

import { el } from './api.js';
import { sideEffectLabel, severityLabel } from './scales.js';

const SVG = 'http://www.w3.org/2000/svg';

const REASONS = {
  forgot: 'forgot',
  'side-effect': 'side effect',
  'ran-out': 'ran out',
  'chose-not-to': 'chose not to',
  unspecified: 'no reason given',
};

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// "4 Nov" from "2026-11-04", read as a calendar date (no zone shift).
export function dayText(date) {
  const [y, m, d] = String(date || '').split('-').map(Number);
  if (!y || !m || !d) return String(date || '');
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function reasonsText(reasons) {
  const parts = Object.entries(reasons || {}).filter(([, n]) => n > 0).map(([k, n]) => `${REASONS[k] || k} ${n}`);
  return parts.length ? `Missed: ${parts.join(', ')}.` : '';
}

// The sentence of a medication's adherence, in words.
export function adherenceText(a) {
  if (!a || a.source === 'none') {
    return a ? `No diary and no check-in answer since ${dayText(a.period_from)}.` : '';
  }
  if (a.source === 'checkin') {
    return `${a.percent}% of doses taken: ${a.taken} of ${a.due} (from the check-in, 14 days).`;
  }
  const logged = `${a.days_logged} of ${plural(a.days_in_period, 'day')} logged since ${dayText(a.period_from)}`;
  if (a.as_needed) return `As needed: ${plural(a.prn_taken, 'dose')} taken on ${plural(a.prn_days_used, 'day')}; ${logged}.`;
  if (a.percent === null) return `No dose was due on the logged days; ${logged}.`;
  return `${a.percent}% of doses taken: ${a.taken} of ${a.due} due on the logged days; ${logged}.`;
}

// One bar per week: the share of due doses taken on its logged days; a
// week with no logged day has no bar and says "not logged". Each bar
// carries its percentage as text, so colour is never the only cue.
export function weeksChart(weeks, { name = 'medication', width = 260, height = 98 } = {}) {
  const n = Math.max(weeks.length, 1);
  const top = 16;
  const bottom = 32;
  const gap = 6;
  const bar = Math.max(8, (width - gap * (n + 1)) / n);
  const plot = height - top - bottom;
  const words = weeks.map((w) => (w.days_logged === 0
    ? `week of ${dayText(w.week_start)}: not logged`
    : w.due === 0
      ? `week of ${dayText(w.week_start)}: no dose due, ${w.days_logged} of ${plural(w.days, 'day')} logged`
      : `week of ${dayText(w.week_start)}: ${w.taken} of ${w.due} doses taken (${Math.round((100 * w.taken) / w.due)}%), ${w.days_logged} of ${plural(w.days, 'day')} logged`));
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'adherence-chart', role: 'img',
    'aria-label': `${name}, doses taken by week: ${words.join('; ')}`,
  });
  root.append(svg('line', { x1: 0, y1: top + plot, x2: width, y2: top + plot, class: 'adherence-axis' }));
  weeks.forEach((w, i) => {
    const x = gap + i * (bar + gap);
    const cx = x + bar / 2;
    if (w.days_logged === 0 || w.due === 0) {
      root.append(svg('rect', { x, y: top, width: bar, height: plot, class: 'adherence-unlogged' }));
      root.append(svg('text', { x: cx, y: top + plot / 2 + 4, class: 'adherence-note', 'text-anchor': 'middle' }, w.days_logged === 0 ? '–' : 'none due'));
    } else {
      const pct = Math.round((100 * w.taken) / w.due);
      const h = Math.max(2, (plot * pct) / 100);
      root.append(svg('rect', { x, y: top + plot - h, width: bar, height: h, class: pct < 80 ? 'adherence-bar adherence-low' : 'adherence-bar' }));
      root.append(svg('text', { x: cx, y: top + plot - h - 3, class: 'adherence-pct', 'text-anchor': 'middle' }, `${pct}%`));
    }
    root.append(svg('text', { x: cx, y: height - 18, class: 'adherence-week', 'text-anchor': 'middle' }, dayText(w.week_start)));
    // How much of the week is known: days logged of its days.
    root.append(svg('text', { x: cx, y: height - 5, class: 'adherence-week', 'text-anchor': 'middle' }, `${w.days_logged}/${w.days} d`));
  });
  return root;
}

function sideEffectsBlock(effects, name) {
  const noticed = (effects || []).filter((e) => e.worst > 0);
  if (!effects || effects.length === 0) return null;
  if (noticed.length === 0) return el('p', { className: 'adherence-fx muted' }, `Side effects attributed to ${name}: rated none.`);
  return el('div', { className: 'adherence-fx' },
    el('p', { className: 'sub' }, `Side effects attributed to ${name}:`),
    el('ul', { className: 'side-effect-list', dataset: { testid: 'adherence-side-effects' } },
      noticed.map((e) => el('li', { className: `sev sev-${e.worst}` },
        el('strong', {}, sideEffectLabel(e.effect)), `: worst ${severityLabel(e.worst).toLowerCase()}`,
        e.last_day ? `, last on ${dayText(e.last_day)}` : '',
        el('span', { className: 'muted' }, ` · by week: ${e.weeks.map((w) => (w.worst === null ? '–' : severityLabel(w.worst).toLowerCase())).join(', ')}`)))));
}

// The block under one current medication (o: the record's order, with
// "adherence" and "side_effects"); null when the server sent neither.
export function medicationMonitoring(o, name) {
  const a = o.adherence;
  if (!a && !o.side_effects) return null;
  const low = a && a.percent !== null && a.percent < 80;
  const parts = [];
  if (a) {
    parts.push(el('p', { className: `adherence-line${low ? ' adherence-line-low' : ''}`, dataset: { testid: 'adherence' } },
      el('strong', {}, a.source === 'none' ? 'Adherence: unknown. ' : 'Adherence: '), adherenceText(a),
      a.source === 'diary' && reasonsText(a.reasons) ? ` ${reasonsText(a.reasons)}` : '',
      a.extra > 0 ? el('span', { className: 'adherence-extra' }, ` ${plural(a.extra, 'dose')} taken beyond those due.`) : ''));
    if (a.source === 'diary' && Array.isArray(a.weeks) && a.weeks.length) parts.push(weeksChart(a.weeks, { name }));
  }
  const fx = sideEffectsBlock(o.side_effects, name);
  if (fx) parts.push(fx);
  return el('div', { className: 'adherence', dataset: { testid: `adherence-${o.id}` } }, parts);
}

// The measurement-based care label of a scale's trend, in words.
export function mbcLabel(label, scale) {
  if (!label || !label.text) return null;
  return el('p', { className: `mbc mbc-${label.status}`, dataset: { testid: `mbc-${scale}` } }, label.text);
}
