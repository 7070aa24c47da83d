// review-queue.js: the supervising psychiatrist's queue in the provider
// console. Her physician assistants' orders awaiting co-signature (co-sign,
// or decline with a reason) and their stops, which took effect when made
// and wait here until she acknowledges them. The server re-runs the
// prescribing rules at co-signature; its refusals are shown as sent, and a
// refused order stays in the queue until she declines it.

import { enc, el, dateTime } from './api.js';
import { staffApi } from './session.js';
import { doseLine, ACTION_WORDS } from './meds.js';

export class ReviewQueue {
  // section: the <section> holding the queue (hidden while it is empty).
  // headerLink: the console header's link to the co-sign page, with its
  // count badge (shown while anything waits for her).
  constructor(section, headerLink = null) {
    this.section = section;
    this.headerLink = headerLink;
    this.list = section.querySelector('[data-testid="review-list"]');
    this.status = section.querySelector('#review-status');
    this.busy = false;
    this.catalog = null;   // for the frequencies' words
  }

  // background: polled by the page's timer (not the user's activity).
  async load({ background = false } = {}) {
    let body;
    try {
      if (!this.catalog) this.catalog = await staffApi('/api/catalog', { background });
      body = await staffApi('/api/orders/pending', { background });
    } catch (err) {
      if (err.status === 401) return;
      this.section.hidden = false;
      this.status.textContent = err.message;
      return;
    }
    const pending = Array.isArray(body && body.orders) ? body.orders : [];
    const stops = Array.isArray(body && body.stops_to_acknowledge) ? body.stops_to_acknowledge : [];
    this.status.textContent = '';
    this.section.hidden = pending.length + stops.length === 0;
    this.showCount(pending.length + stops.length);
    // A form being filled in is not redrawn under the user's hands.
    if (this.section.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
    this.list.replaceChildren(...pending.map((o) => this.pendingItem(o)), ...stops.map((o) => this.stopItem(o)));
  }

  showCount(n) {
    if (!this.headerLink) return;
    this.headerLink.hidden = n === 0;
    const badge = this.headerLink.querySelector('.count-badge');
    if (badge) badge.textContent = String(n);
    this.headerLink.setAttribute('aria-label', `Co-sign queue: ${n} waiting for you`);
  }

  pendingItem(o) {
    const msg = el('p', { className: 'alert', role: 'alert', hidden: true });
    const cosign = el('button', { type: 'button', className: 'btn btn-small btn-primary', dataset: { testid: `review-cosign-${o.id}` } }, 'Co-sign');
    const decline = el('button', { type: 'button', className: 'btn btn-small', dataset: { testid: `review-decline-${o.id}` } }, 'Decline…');
    const li = el('li', { className: 'review-item', dataset: { testid: `review-${o.id}`, kind: 'pending' } },
      el('p', { className: 'review-what' }, el('strong', {}, doseLine(o, this.catalog)), ` (${(ACTION_WORDS[o.action] || o.action || '').toLowerCase()})`),
      el('p', { className: 'order-meta' }, `Written by ${o.prescriber?.display_name || 'your PA'} ${dateTime(o.created_at)}; awaiting your co-signature.`),
      o.reason ? el('p', { className: 'order-meta' }, `Reason: ${o.reason}`) : null,
      o.patient ? el('p', { className: 'order-meta' }, `For ${o.patient.display_name}: `,
        el('a', { href: `/cosign.html#order=${enc(o.id)}`, dataset: { testid: `review-open-${o.id}` } }, 'open beside the record')) : null,
      msg,
      el('div', { className: 'controls' }, cosign, decline));
    cosign.addEventListener('click', () => this.act(`/api/orders/${enc(o.id)}/cosign`, undefined, msg));
    decline.addEventListener('click', () => this.declineForm(li, o, decline, msg));
    return li;
  }

  stopItem(o) {
    const msg = el('p', { className: 'alert', role: 'alert', hidden: true });
    const ack = el('button', { type: 'button', className: 'btn btn-small btn-primary', dataset: { testid: `review-ack-${o.id}` } }, 'Acknowledge');
    const li = el('li', { className: 'review-item', dataset: { testid: `review-stop-${o.id}`, kind: 'stop' } },
      el('p', { className: 'review-what' }, el('strong', {}, doseLine(o, this.catalog)), ' stopped'),
      el('p', { className: 'order-meta' }, `Stopped by your PA ${o.stopped_by?.display_name || ''} ${dateTime(o.status_at)}; in effect since then.`),
      o.status_reason ? el('p', { className: 'order-meta' }, `Reason: ${o.status_reason}`) : null,
      msg,
      el('div', { className: 'controls' }, ack));
    ack.addEventListener('click', () => this.act(`/api/orders/${enc(o.id)}/acknowledge-stop`, undefined, msg));
    return li;
  }

  declineForm(li, o, btn, msg) {
    if (li.querySelector('form')) return;
    btn.hidden = true;
    const id = `review-decline-reason-${o.id}`;
    const input = el('input', { type: 'text', id, className: 'input-text', maxLength: 1000, autocomplete: 'off', dataset: { testid: id } });
    const form = el('form', { className: 'error-form', noValidate: true },
      el('label', { htmlFor: id }, 'Why do you decline it? (required; your PA sees it)'),
      input,
      el('div', { className: 'controls' },
        el('button', { type: 'submit', className: 'btn btn-small btn-danger', dataset: { testid: `review-decline-confirm-${o.id}` } }, 'Decline'),
        el('button', { type: 'button', className: 'btn btn-small', onclick: () => { form.remove(); btn.hidden = false; btn.focus(); } }, 'Cancel')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const reason = input.value.trim();
      if (!reason) {
        msg.textContent = 'Give the reason: it stays in the record.';
        msg.hidden = false;
        input.focus();
        return;
      }
      this.act(`/api/orders/${enc(o.id)}/decline`, { reason }, msg);
    });
    li.append(form);
    input.focus();
  }

  async act(path, body, msg) {
    if (this.busy) return;
    this.busy = true;
    msg.hidden = true;
    try {
      await staffApi(path, { method: 'POST', body });
      if (document.activeElement) document.activeElement.blur();
      await this.load();
    } catch (err) {
      // The server's sentence as it comes (a refused co-signature says why
      // and that the order is still pending).
      msg.textContent = err.message;
      msg.hidden = false;
    } finally {
      this.busy = false;
    }
  }
}
