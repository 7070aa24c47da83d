// guests.js: "Invite a guest" in the provider console. The visit's provider
// creates a link for a family member or an interpreter
// (POST /api/visits/<id>/guests), sees it once with a Copy button, lists the
// visit's guests (GET .../guests) and withdraws a link
// (POST .../guests/<participant>/revoke): the server then refuses that link
// and ends a live guest connection with bye "revoked".

import { enc, el } from './api.js';
import { staffApi } from './session.js';

export class GuestPanel {
  constructor(root) {
    this.root = root;
    this.visitId = '';
    this.visitState = '';
    this.guests = [];
    this.busy = false;
    this.loadSeq = 0;
    const q = (sel) => root.querySelector(sel);
    this.ui = {
      form: q('#guest-form'),
      name: q('[data-testid="guest-name"]'),
      add: q('[data-testid="guest-add"]'),
      error: q('#guest-error'),
      fresh: q('#guest-new'),
      freshName: q('#guest-new-name'),
      link: q('[data-testid="guest-link"]'),
      copy: q('#guest-copy'),
      copied: q('#guest-copied'),
      listHeading: q('#guest-list-heading'),
      list: q('[data-testid="guest-list"]'),
    };
    this.ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.add(); });
    this.ui.copy.addEventListener('click', () => this.copy());
    this.ui.link.addEventListener('focus', () => this.ui.link.select());
  }

  setVisit(id) {
    if (id === this.visitId) return;
    this.visitId = id;
    this.visitState = '';
    this.guests = [];
    this.root.hidden = !id;
    this.ui.name.value = '';
    this.setError('');
    this.ui.fresh.hidden = true;
    this.ui.link.value = '';
    this.ui.copied.textContent = '';
    this.render();
    if (id) this.refresh();
  }

  setVisitState(state) {
    if (state === this.visitState) return;
    this.visitState = state;
    const ended = state === 'ended';
    this.ui.name.disabled = ended;
    this.ui.add.disabled = ended || this.busy;
    if (ended) {
      this.ui.fresh.hidden = true;
      this.ui.link.value = '';
    }
    this.render();
  }

  setError(text) {
    this.ui.error.textContent = text || '';
    this.ui.error.hidden = !text;
  }

  async refresh() {
    const id = this.visitId;
    if (!id) return;
    const seq = ++this.loadSeq;
    try {
      const body = await staffApi(`/api/visits/${enc(id)}/guests`);
      if (id !== this.visitId || seq !== this.loadSeq) return;
      this.guests = Array.isArray(body && body.guests) ? body.guests : [];
      this.render();
    } catch (err) {
      if (id !== this.visitId || err.status === 401) return;
      if (err.status === 403 || err.status === 404) {
        // Not this provider's visit (an admin looking on): no invitations.
        this.root.hidden = true;
        return;
      }
      this.setError(`The list of guests could not be loaded: ${err.message}`);
    }
  }

  async add() {
    if (this.busy || !this.visitId) return;
    const name = this.ui.name.value.trim();
    if (!name) {
      this.setError('Enter the guest\'s name, for example "Maria Lopez (daughter)" or "Interpreter".');
      this.ui.name.setAttribute('aria-invalid', 'true');
      this.ui.name.focus();
      return;
    }
    this.ui.name.removeAttribute('aria-invalid');
    this.setError('');
    this.busy = true;
    this.ui.add.disabled = true;
    this.ui.add.textContent = 'Creating…';
    const id = this.visitId;
    try {
      const res = await staffApi(`/api/visits/${enc(id)}/guests`, { method: 'POST', body: { display_name: name } });
      if (id !== this.visitId) return;
      this.ui.name.value = '';
      this.ui.freshName.textContent = (res && res.display_name) || name;
      this.ui.link.value = (res && res.guest_url) || '';
      this.ui.copied.textContent = '';
      this.ui.fresh.hidden = !this.ui.link.value;
      await this.refresh();
      if (!this.ui.fresh.hidden) this.ui.link.focus();
    } catch (err) {
      if (err.status === 401) return;
      this.setError(err.status === 409 || err.code === 'bad-state'
        ? 'Guests cannot be invited to a visit that has ended.'
        : `The guest link could not be created: ${err.message}`);
    } finally {
      this.busy = false;
      this.ui.add.textContent = 'Create guest link';
      this.ui.add.disabled = this.visitState === 'ended';
    }
  }

  async copy() {
    const text = this.ui.link.value;
    if (!text) return;
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch { /* fall back below */ }
    if (!ok) {
      this.ui.link.focus();
      this.ui.link.select();
      try { ok = document.execCommand('copy'); } catch { ok = false; }
    }
    this.ui.copied.textContent = ok
      ? 'Link copied. Paste it into a message to the guest.'
      : 'Copying did not work here: the link is selected, copy it with Ctrl+C (or ⌘C).';
  }

  async revoke(guest, button) {
    if (!this.visitId) return;
    button.disabled = true;
    button.textContent = 'Withdrawing…';
    const id = this.visitId;
    try {
      await staffApi(`/api/visits/${enc(id)}/guests/${enc(guest.participant)}/revoke`, { method: 'POST', body: {} });
      if (id !== this.visitId) return;
      guest.revoked = true;
      this.ui.copied.textContent = `The link for ${guest.display_name || 'the guest'} no longer works.`;
      this.render();
      this.refresh();
    } catch (err) {
      if (err.status === 401) return;
      button.disabled = false;
      button.textContent = 'Revoke link';
      this.setError(`The link could not be withdrawn: ${err.message}`);
    }
  }

  render() {
    const list = this.guests;
    this.ui.listHeading.hidden = list.length === 0;
    const focusedId = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.testid : '';
    this.ui.list.replaceChildren(...list.map((g) => {
      const name = g.display_name || 'Guest';
      const status = g.revoked ? 'link withdrawn' : 'link active';
      const li = el('li', { className: `guest-item${g.revoked ? ' is-revoked' : ''}`, dataset: { participant: g.participant, revoked: String(!!g.revoked) } },
        el('span', {}, el('strong', {}, name), el('span', { className: 'muted' }, ` (${status})`)));
      if (!g.revoked && this.visitState !== 'ended') {
        const btn = el('button', {
          type: 'button', className: 'btn btn-small btn-danger',
          dataset: { testid: `guest-revoke-${g.participant}` },
          attrs: { 'aria-label': `Revoke the link for ${name}` },
        }, 'Revoke link');
        btn.addEventListener('click', () => this.revoke(g, btn));
        li.append(btn);
      }
      return li;
    }));
    // Keep keyboard focus on a redrawn Revoke button, or on the list heading
    // when that button is gone (its link was withdrawn).
    if (focusedId && focusedId.startsWith('guest-revoke-')) {
      const again = this.ui.list.querySelector(`[data-testid="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
      else {
        this.ui.listHeading.tabIndex = -1;
        this.ui.listHeading.focus();
      }
    }
  }
}
