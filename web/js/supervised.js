// supervised.js: a supervising psychiatrist's view of her physician
// assistants' visits of the day in the console (GET /api/visits, the
// `supervised` list). She reads them, never joins them: each opens the
// patient's timeline in a new tab. The section stays hidden for everyone
// else (the list is absent) and while there is none.

import { el, enc } from './api.js';
import { clockTime } from './common.js';

const STATE_WORDS = { scheduled: 'scheduled', waiting: 'waiting', in_progress: 'in progress', ended: 'ended' };

export function renderSupervised(section, visits) {
  if (!section) return;
  const list = section.querySelector('ul');
  const items = Array.isArray(visits) ? visits : [];
  section.hidden = items.length === 0;
  list.replaceChildren(...items.map((v) => {
    const patient = (v.patient && v.patient.display_name) || 'Patient';
    const provider = (v.provider && v.provider.display_name) || 'your PA';
    const time = clockTime(v.scheduled_at);
    return el('li', { dataset: { testid: `supervised-${v.id}` } },
      el('a', { className: 'visit-item', href: `timeline.html#patient=${enc(v.patient ? v.patient.id : '')}`, target: '_blank', rel: 'noopener' },
        el('span', { className: 'visit-name' }, patient),
        el('span', { className: 'visit-meta' }, `${time ? `${time} · ` : ''}with ${provider} · `,
          el('span', { className: `badge badge-${v.state}` }, STATE_WORDS[v.state] || v.state)),
        el('span', { className: 'visually-hidden' }, ' (opens the timeline in a new tab)')));
  }));
}
