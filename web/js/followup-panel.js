// followup-panel.js: "Book the next follow-up", shown in the console once a
// visit has ended (tests/CONTRACT.md, "The next follow-up"). The server's
// suggestion comes preselected ("Suggested: 2 weeks — started sertraline
// (antidepressant started: FDA label monitoring)"), with 1, 2, 4, 6, 8 and
// 12 weeks or a date, and a time in the clinic's zone; Book follow-up makes
// the next visit in one step. Not now leaves it: the due date was recorded
// when the visit ended, and "who is overdue" will show the patient if
// nothing is booked by then.

import { enc, el } from './api.js';
import { staffApi } from './session.js';

const weeksText = (n) => `${n} week${n === 1 ? '' : 's'}`;

// "Fri 19 Mar" of "Fri 19 Mar 10:15 EDT" (the server's words, clinic time).
const dayPart = (local) => String(local || '').split(' ').slice(0, -2).join(' ');

// "2027-03-19" in words, as the server writes days.
function dateWords(date) {
  const t = Date.parse(`${date}T12:00:00Z`);
  if (Number.isNaN(t)) return '';
  return new Date(t).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).replace(',', '');
}

export class FollowUpPanel {
  constructor(root, { onBooked = () => {} } = {}) {
    this.root = root;
    this.onBooked = onBooked;
    this.visitId = '';
    this.data = null;
    const q = (sel) => root.querySelector(sel);
    this.ui = {
      heading: q('#follow-up-heading'),
      suggestion: q('[data-testid="follow-up-suggestion"]'),
      form: q('#follow-up-form'),
      choices: q('[data-testid="follow-up-choices"]'),
      onDate: q('[data-testid="follow-up-on-date"]'),
      date: q('[data-testid="follow-up-date"]'),
      time: q('[data-testid="follow-up-time"]'),
      zone: q('#follow-up-zone'),
      when: q('[data-testid="follow-up-when"]'),
      error: q('[data-testid="follow-up-error"]'),
      book: q('[data-testid="follow-up-book"]'),
      quick: q('[data-testid="follow-up-book-suggested"]'),
      later: q('[data-testid="follow-up-later"]'),
      done: q('[data-testid="follow-up-done"]'),
      booked: q('[data-testid="follow-up-booked"]'),
      linkBox: q('[data-testid="follow-up-link-box"]'),
      link: q('[data-testid="follow-up-link"]'),
      copy: q('[data-testid="follow-up-copy"]'),
    };
    this.ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    this.ui.form.addEventListener('change', () => this.describe());
    this.ui.time.addEventListener('input', () => this.describe());
    this.ui.date.addEventListener('input', () => { this.ui.onDate.checked = true; this.describe(); });
    this.ui.later.addEventListener('click', () => this.notNow());
    // One tap books what the server suggests, whatever the choices below say.
    this.ui.quick.addEventListener('click', () => {
      const s = this.data && this.data.suggestion;
      const radio = s && this.root.querySelector(`#follow-up-weeks-${s.weeks}`);
      if (!radio) return;
      radio.checked = true;
      this.ui.time.value = this.data.proposed.time;
      this.describe();
      this.submit();
    });
    this.ui.copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(this.ui.link.value);
        this.ui.copy.textContent = 'Copied';
      } catch {
        this.ui.link.select();
      }
    });
  }

  hide() {
    this.visitId = '';
    this.data = null;
    this.root.hidden = true;
  }

  // The visit ended (or an ended visit was opened): what the server suggests.
  async show(visitId) {
    if (this.visitId === visitId && !this.root.hidden) return;
    this.visitId = visitId;
    let data;
    try {
      data = await staffApi(`/api/visits/${enc(visitId)}/follow-up`);
    } catch (err) {
      if (visitId !== this.visitId || err.status === 401) return;
      this.root.hidden = false;
      this.ui.form.hidden = true;
      this.ui.suggestion.textContent = `The follow-up could not be loaded: ${err.message}`;
      return;
    }
    if (visitId !== this.visitId) return;
    this.data = data;
    this.root.hidden = false;
    if (data.booked) {
      this.showDone(`Next follow-up booked: ${data.booked.local} with ${data.booked.provider.display_name}.`, null);
      return;
    }
    this.render(data);
  }

  render(data) {
    const s = data.suggestion;
    this.ui.done.hidden = true;
    this.ui.form.hidden = false;
    this.ui.error.hidden = true;
    this.ui.suggestion.replaceChildren(el('strong', {}, `Suggested: ${weeksText(s.weeks)}`), ` — ${s.reason}`,
      el('span', { className: 'visually-hidden' }, `. Source: ${s.source}`));
    this.ui.suggestion.title = s.source;
    this.ui.choices.replaceChildren(...data.choices.map((c) => {
      const id = `follow-up-weeks-${c.weeks}`;
      return el('div', { className: 'choice' },
        el('input', { type: 'radio', name: 'follow-up-when', id, value: String(c.weeks), checked: c.weeks === s.weeks, dataset: { testid: `follow-up-weeks-${c.weeks}` } }),
        el('label', { htmlFor: id }, weeksText(c.weeks), el('span', { className: 'muted' }, ` · ${dayPart(c.local)}`),
          c.weeks === s.weeks ? el('span', { className: 'badge badge-suggested' }, 'suggested') : null));
    }));
    this.ui.time.value = data.proposed.time;
    this.ui.date.value = '';
    const suggested = data.choices.find((c) => c.weeks === s.weeks);
    this.ui.quick.hidden = !suggested;
    this.ui.quick.textContent = suggested ? `Book ${dayPart(suggested.local)} at ${data.proposed.time}` : '';
    this.ui.zone.textContent = `(clinic time, ${data.time_zone})`;
    this.describe();
  }

  chosen() {
    const picked = this.root.querySelector('input[name="follow-up-when"]:checked');
    if (!picked) return null;
    if (picked.value === 'date') return { date: this.ui.date.value };
    return { weeks: Number(picked.value) };
  }

  describe() {
    const c = this.chosen();
    const time = this.ui.time.value;
    if (!this.data || !c) { this.ui.when.textContent = ''; return; }
    let day = '';
    if (c.weeks) day = dayPart((this.data.choices.find((x) => x.weeks === c.weeks) || {}).local);
    else if (c.date) day = dateWords(c.date);
    this.ui.when.textContent = day && time ? `The next visit: ${day} at ${time} (${this.data.time_zone}).` : 'Choose the day and the time.';
  }

  // confirmDouble: the provider saw the clash with another of their visits
  // and chose "Book anyway" (the schedule's rule: both are kept).
  async submit(confirmDouble = false) {
    const c = this.chosen();
    const err = this.ui.error;
    err.hidden = true;
    err.replaceChildren();
    if (!c || (c.date !== undefined && !c.date)) {
      err.textContent = 'Choose a number of weeks, or a date.';
      err.hidden = false;
      return;
    }
    if (!this.ui.time.value) {
      err.textContent = 'Enter the time of the visit.';
      err.hidden = false;
      this.ui.time.focus();
      return;
    }
    const id = this.visitId;
    this.ui.book.disabled = true;
    this.ui.quick.disabled = true;
    this.ui.book.textContent = 'Booking…';
    try {
      const res = await staffApi(`/api/visits/${enc(id)}/follow-up`, { method: 'POST', body: { ...c, time: this.ui.time.value, ...(confirmDouble ? { confirm_double_booking: true } : {}) } });
      if (id !== this.visitId) return;
      this.showDone(`Booked: ${res.local}${res.double_booked ? ' (double-booked)' : ''}.`, res.patient_url);
      this.onBooked(res);
    } catch (e) {
      if (id !== this.visitId) return;
      // The server's sentence, beside the field it names.
      err.textContent = e.message;
      err.hidden = false;
      if (e.code === 'double_booked') {
        const anyway = el('button', { type: 'button', className: 'btn btn-secondary', 'data-testid': 'follow-up-book-anyway' }, 'Book anyway');
        anyway.addEventListener('click', () => this.submit(true));
        err.append(' ', anyway);
        anyway.focus();
        return;
      }
      const field = e.field === 'time' ? this.ui.time : e.field === 'date' ? this.ui.date : null;
      if (field) field.focus();
    } finally {
      this.ui.book.disabled = false;
      this.ui.quick.disabled = false;
      this.ui.book.textContent = 'Book follow-up';
    }
  }

  showDone(text, link) {
    this.ui.form.hidden = true;
    this.ui.done.hidden = false;
    this.ui.booked.textContent = text;
    this.ui.linkBox.hidden = !link;
    this.ui.link.value = link || '';
    this.ui.copy.textContent = 'Copy link';
    this.ui.heading.focus();
  }

  notNow() {
    const rec = this.data && this.data.recorded;
    this.ui.form.hidden = true;
    this.ui.done.hidden = false;
    this.ui.linkBox.hidden = true;
    this.ui.booked.textContent = rec
      ? `Not booked. The follow-up is due by ${rec.due_by_text}; the patient appears under Overdue if nothing is booked by then.`
      : 'Not booked.';
  }
}
