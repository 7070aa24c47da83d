// messages.js: "Messages to the patient" in the provider console's visit
// panel (issue 13). Lists what the server sent the patient for this visit
// (GET /api/visits/<id>/messages): the invitation, updates, reminders, by
// email or text, each with its state in words, and a Retry button for a
// message that failed (POST /api/messages/<id>/retry). Never the text or
// the link: the server does not keep them.

import { enc, el, dateTime } from './api.js';
import { staffApi } from './session.js';

const KIND = {
  invitation: 'Invitation',
  update: 'New time',
  cancellation: 'Cancellation',
  reminder: 'Reminder',
};

function reminderWhen(minutes) {
  if (!minutes) return '';
  if (minutes % 1440 === 0) return minutes === 1440 ? ' (a day before)' : ` (${minutes / 1440} days before)`;
  if (minutes % 60 === 0) return minutes === 60 ? ' (an hour before)' : ` (${minutes / 60} hours before)`;
  return ` (${minutes} minutes before)`;
}

// The message's state in words a receptionist reads at a glance.
export function stateWords(m) {
  const tries = m.attempts === 1 ? '1 attempt' : `${m.attempts} attempts`;
  switch (m.state) {
    case 'sent': return `Sent ${dateTime(m.sent_at)}`;
    case 'sending': return 'Sending now…';
    case 'failed': return `Not sent: gave up after ${tries}. ${m.last_error || ''}`.trim();
    case 'withdrawn': return m.last_error || 'Not sent: no longer needed.';
    case 'pending':
      if (m.attempts > 0) {
        return `Not sent yet: ${tries} failed. ${m.last_error || ''} Next try ${dateTime(m.next_attempt_at)}.`.replace(/\s+/g, ' ').trim();
      }
      return Date.parse(m.due_at) > Date.now() + 60000 ? `Will go ${dateTime(m.due_at)}` : 'Waiting to go';
    default: return m.state;
  }
}

export class MessagesPanel {
  constructor(root) {
    this.root = root;
    this.visitId = '';
    this.messages = [];
    this.configured = true;
    this.loadSeq = 0;
    // Messages sent again with Retry: looked at every few seconds until they
    // went or failed again (the server claims them on a store worker, a
    // moment after it answered the retry).
    this.retried = new Set();
    this.timer = 0;
    this.ui = {
      status: root.querySelector('#messages-status'),
      list: root.querySelector('[data-testid="message-list"]'),
      error: root.querySelector('#messages-error'),
    };
  }

  setVisit(id) {
    if (id === this.visitId) return;
    this.visitId = id;
    this.messages = [];
    this.root.hidden = !id;
    this.setError('');
    clearTimeout(this.timer);
    this.render();
    if (id) this.refresh();
  }

  setError(text) {
    this.ui.error.textContent = text || '';
    this.ui.error.hidden = !text;
  }

  // Reloads the list; while something is on its way it looks again soon.
  async refresh() {
    const id = this.visitId;
    if (!id) return;
    const seq = ++this.loadSeq;
    clearTimeout(this.timer);
    try {
      const body = await staffApi(`/api/visits/${enc(id)}/messages`, { background: true });
      if (id !== this.visitId || seq !== this.loadSeq) return;
      this.messages = Array.isArray(body && body.messages) ? body.messages : [];
      this.configured = !!(body && body.configured);
      this.setError('');
      this.render();
      for (const m of this.messages) {
        if (m.state !== 'pending' && m.state !== 'sending') this.retried.delete(m.id);
      }
      const moving = this.messages.some((m) => m.state === 'sending' || this.retried.has(m.id)
        || (m.state === 'pending' && Date.parse(m.next_attempt_at) <= Date.now() + 120000));
      this.timer = setTimeout(() => this.refresh(), moving ? 3000 : 60000);
    } catch (err) {
      if (id !== this.visitId || err.status === 401) return;
      if (err.status === 403 || err.status === 404) {
        this.root.hidden = true;
        return;
      }
      this.setError(`The messages to the patient could not be loaded: ${err.message}`);
      this.timer = setTimeout(() => this.refresh(), 30000);
    }
  }

  async retry(m, button) {
    button.disabled = true;
    button.textContent = 'Sending…';
    const id = this.visitId;
    try {
      await staffApi(`/api/messages/${enc(m.id)}/retry`, { method: 'POST', body: {} });
      if (id !== this.visitId) return;
      this.retried.add(m.id);
      this.ui.status.textContent = 'The message goes again now.';
      await this.refresh();
    } catch (err) {
      if (err.status === 401) return;
      button.disabled = false;
      button.textContent = 'Retry';
      this.setError(`The message could not be sent again: ${err.message}`);
      this.refresh();
    }
  }

  render() {
    const list = this.messages;
    if (!list.length) {
      this.ui.status.textContent = this.configured
        ? 'No messages to the patient for this visit.'
        : 'Messages to patients are not set up on this server: give the patient the link yourself.';
    } else if (!this.ui.status.textContent || this.ui.status.textContent.startsWith('No messages')
      || this.ui.status.textContent.startsWith('Messages to patients')) {
      this.ui.status.textContent = '';
    }
    this.ui.list.replaceChildren(...list.map((m) => {
      const channel = m.channel === 'sms' ? 'Text' : 'Email';
      const what = `${KIND[m.kind] || m.kind}${m.kind === 'reminder' ? reminderWhen(m.reminder_minutes) : ''}`;
      const li = el('li', { className: `message-item is-${m.state}`, dataset: { testid: 'message', state: m.state, kind: m.kind, channel: m.channel } },
        el('div', { className: 'message-what' },
          el('strong', {}, `${channel}: ${what}`),
          el('span', { className: 'muted' }, ` to ${m.to}`)),
        el('p', { className: 'message-state', dataset: { testid: 'message-state' } }, stateWords(m)));
      if (m.state === 'failed' || (m.state === 'pending' && m.attempts > 0)) {
        const btn = el('button', {
          type: 'button', className: 'btn btn-small',
          dataset: { testid: 'message-retry' },
          attrs: { 'aria-label': `Retry the ${channel.toLowerCase()} ${what.toLowerCase()}` },
        }, 'Retry');
        btn.addEventListener('click', () => this.retry(m, btn));
        li.classList.add('needs-retry');
        li.append(btn);
      }
      return li;
    }));
  }
}
