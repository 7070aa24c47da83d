// alerts.js: a provider must not miss a patient who starts waiting. When
// someone new appears in the waiting room the console plays a chime, puts
// the count in the page title ("(1) Waiting: …", visible on a background
// tab), shows a line in the page itself and, when the console is not the
// window in front, a desktop notification naming who is waiting.
//
// Browsers allow sound and notifications only after the user asks for
// them: a button ("Turn on sound and desktop alerts") appears until both
// are allowed; a click both unlocks sound and asks for notifications.

import { playChime } from './sound.js';

export class WaitingAlerts {
  constructor({ banner, enableButton }) {
    this.banner = banner;
    this.enableButton = enableButton;
    this.baseTitle = document.title;
    this.known = new Set();
    this.openCount = 0;       // waiting in the visit open in the console
    this.otherVisits = new Map(); // other visits of the day: id → waiting?
    this.extra = new Map();   // other sources' counts (monitoring-alerts.js): key → {n, label}
    this.audioCtx = null;
    this.notifications = [];
    if (this.enableButton) {
      this.enableButton.addEventListener('click', () => this.enable());
      this.refreshButton();
    }
  }

  context() {
    if (!this.audioCtx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) this.audioCtx = new Ctx();
    }
    return this.audioCtx;
  }

  soundAllowed() {
    const ctx = this.context();
    return !!ctx && ctx.state === 'running';
  }

  notificationsAllowed() {
    return 'Notification' in window && Notification.permission === 'granted';
  }

  refreshButton() {
    const ctx = this.context();
    // A context made without a click may start 'suspended'; resume() works
    // only when the page has had a user gesture (or autoplay is allowed).
    if (ctx && ctx.state === 'suspended') ctx.resume().then(() => this.refreshButton()).catch(() => {});
    const need = !this.soundAllowed() ||
      ('Notification' in window && Notification.permission === 'default');
    this.enableButton.hidden = !need;
  }

  async enable() {
    const ctx = this.context();
    if (ctx) await ctx.resume().catch(() => {});
    if ('Notification' in window && Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch { /* old browsers: callback form, ignore */ }
    }
    this.refreshButton();
  }

  // A new visit: nobody in its waiting room is "new" to us yet.
  reset() {
    this.known.clear();
    this.setCount(0);
    if (this.banner) this.banner.hidden = true;
    for (const n of this.notifications) n.close();
    this.notifications = [];
  }

  setCount(n) {
    this.openCount = n;
    const others = [...this.otherVisits.values()].filter(Boolean).length;
    const extras = [...this.extra.values()].filter((x) => x.n > 0);
    const total = n + others + extras.reduce((sum, x) => sum + x.n, 0);
    // "(2) Waiting: …"; with another source's too, "(3) Waiting, Alert: …".
    const labels = [...(n + others > 0 ? ['Waiting'] : []), ...extras.map((x) => x.label)];
    document.title = total > 0 ? `(${total}) ${labels.join(', ')}: ${this.baseTitle}` : this.baseTitle;
  }

  // Another source of alerts (the monitoring alerts) counts in the title
  // too, under its own label.
  setExtraCount(key, n, label) {
    this.extra.set(key, { n, label });
    this.setCount(this.openCount);
  }

  // Today's visits other than the open one, as the visit list last showed
  // them: a visit newly "waiting" alerts like the open one does (the
  // console learns of it from the list, polled, so within ~10 s).
  otherVisitsChanged(visits, openId, { firstLoad = false } = {}) {
    const fresh = [];
    const seen = new Set();
    for (const v of visits) {
      if (v.id === openId) continue;
      seen.add(v.id);
      const waiting = v.state === 'waiting';
      if (waiting && !this.otherVisits.get(v.id) && !firstLoad) fresh.push(v);
      this.otherVisits.set(v.id, waiting);
    }
    for (const id of [...this.otherVisits.keys()]) if (!seen.has(id)) this.otherVisits.delete(id);
    this.setCount(this.openCount);
    if (fresh.length === 0) return [];
    const names = fresh.map((v) => (v.patient && v.patient.display_name) || 'A patient');
    const text = `${names.join(' and ')} ${names.length === 1 ? 'is' : 'are'} waiting for another of today's visits.`;
    this.chime();
    this.notify(text);
    return fresh;
  }

  // The full waiting list, as the server sent it.
  update(list) {
    const fresh = list.filter((p) => !this.known.has(p.participant));
    const ids = new Set(list.map((p) => p.participant));
    for (const id of this.known) if (!ids.has(id)) this.known.delete(id);
    for (const p of fresh) this.known.add(p.participant);
    this.setCount(list.length);
    if (list.length === 0) {
      if (this.banner) this.banner.hidden = true;
      return;
    }
    if (fresh.length === 0) return;
    const names = fresh.map((p) => p.display_name || 'Someone');
    const text = names.length === 1
      ? `${names[0]} is waiting to be admitted.`
      : `${names.join(' and ')} are waiting to be admitted.`;
    if (this.banner) {
      this.banner.textContent = text;
      this.banner.hidden = false;
    }
    this.chime();
    this.notify(text);
  }

  // Another source passes its own line (`banner`) and tones.
  chime({ banner = this.banner, tones = [[880, 0], [660, 0.25], [990, 0.5]] } = {}) {
    const ctx = this.context();
    if (!ctx || ctx.state !== 'running') {
      if (banner) banner.dataset.sound = 'blocked';
      this.refreshButton();
      return;
    }
    playChime(ctx, tones);
    if (banner) banner.dataset.sound = 'played';
  }

  notify(text, { banner = this.banner, title = 'Patient waiting', tag = 'th-waiting' } = {}) {
    // A provider looking at this page has the line, the badge and the
    // chime; the desktop notification is for one who is looking elsewhere.
    if (document.visibilityState === 'visible' && document.hasFocus()) {
      if (banner) banner.dataset.notified = 'not-needed';
      return;
    }
    if (!this.notificationsAllowed()) {
      if (banner) banner.dataset.notified = 'false';
      return;
    }
    try {
      // A tag per kind: a second alert replaces the first, not piles up.
      const n = new Notification(title, { body: text, tag, requireInteraction: false });
      n.addEventListener('click', () => { window.focus(); n.close(); });
      this.notifications.push(n);
      if (banner) banner.dataset.notified = 'true';
    } catch {
      if (banner) banner.dataset.notified = 'false';
    }
  }
}
