// overdue.js: the overdue follow-ups page (tests/CONTRACT.md, "Who is
// overdue"): GET /api/overdue lists the signed-in provider's patients (an
// admin's: everyone's, with the provider) whose follow-up is past its due
// date with nothing booked, and those who missed their last visit. Book
// books the next follow-up in one click, a week from now at the last
// visit's time (POST /api/visits/<last visit>/follow-up), and says when.

import { enc, el, capitalize } from './api.js';
import { startStaffSession, staffApi } from './session.js';

const ui = {
  who: document.getElementById('who'),
  error: document.getElementById('error'),
  status: document.getElementById('od-status'),
  list: document.getElementById('od-list'),
};

function dueText(p) {
  if (p.kind === 'no-show') {
    return p.days_overdue ? `Missed the visit on ${p.due_by_text}, ${p.days_overdue} day${p.days_overdue === 1 ? '' : 's'} ago` : `Missed the visit today (${p.due_by_text})`;
  }
  return `Due by ${p.due_by_text} — ${p.days_overdue} day${p.days_overdue === 1 ? '' : 's'} overdue`;
}

function item(p, admin) {
  const name = p.patient.display_name || 'Patient';
  const status = el('p', { className: 'ok-text', role: 'status', dataset: { testid: 'overdue-booked' } });
  const book = p.can_book
    ? el('button', { type: 'button', className: 'btn btn-primary', dataset: { testid: 'overdue-book' }, attrs: { 'aria-label': `Book in 1 week: ${name}` } }, 'Book in 1 week')
    : null;
  const li = el('li', { className: `od-item${p.kind === 'no-show' ? ' od-no-show' : ''}`, dataset: { testid: 'overdue-item', patient: p.patient.id } },
    el('div', {},
      el('p', { className: 'od-name' }, name),
      el('p', { className: 'od-due', dataset: { testid: 'overdue-due' } }, dueText(p)),
      p.reason ? el('p', { className: 'muted' }, p.weeks ? `Follow-up in ${p.weeks} week${p.weeks === 1 ? '' : 's'}: ${p.reason}` : capitalize(p.reason)) : null,
      el('p', { className: 'muted' }, `Last visit ${p.last_visit.local}${admin || !p.can_book ? ` with ${p.provider.display_name}` : ''}`)),
    el('div', { className: 'od-actions' },
      book || el('p', { className: 'muted' }, `${p.provider.display_name} books the follow-up.`),
      status));
  if (book) {
    // After the server says the hour clashes with another of the provider's
    // visits, the same button books anyway (the schedule's rule).
    let confirmDouble = false;
    book.addEventListener('click', async () => {
      book.disabled = true;
      book.textContent = 'Booking…';
      ui.error.hidden = true;
      try {
        const body = confirmDouble ? { weeks: 1, confirm_double_booking: true } : { weeks: 1 };
        const res = await staffApi(`/api/visits/${enc(p.last_visit.id)}/follow-up`, { method: 'POST', body });
        book.remove();
        status.textContent = `Booked: ${res.local}${res.double_booked ? ' (double-booked)' : ''}`;
      } catch (err) {
        confirmDouble = err.code === 'double_booked';
        book.disabled = false;
        book.textContent = confirmDouble ? 'Book anyway' : 'Book in 1 week';
        status.textContent = '';
        ui.error.textContent = `${name}: ${err.message}`;
        ui.error.hidden = false;
      }
    });
  }
  return li;
}

async function load(staff) {
  try {
    const body = await staffApi('/api/overdue');
    const list = Array.isArray(body.patients) ? body.patients : [];
    const admin = staff && staff.role === 'admin';
    ui.list.replaceChildren(...list.map((p) => item(p, admin)));
    ui.status.textContent = list.length
      ? `${list.length} patient${list.length === 1 ? '' : 's'} overdue or missed their visit.`
      : 'No one is overdue: every patient has a follow-up booked or not yet due.';
  } catch (err) {
    if (err.status === 401) return;
    ui.status.textContent = `The list could not be loaded: ${err.message} Reload the page to try again.`;
  }
}

async function start() {
  let staff;
  try {
    staff = await startStaffSession();
  } catch (err) {
    ui.status.textContent = `The page could not start: ${err.message} Reload the page to try again.`;
    return;
  }
  const name = staff && (staff.display_name || staff.username);
  ui.who.textContent = name ? `Signed in as ${name}` : '';
  load(staff);
}

start();
