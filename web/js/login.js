// login.js: the staff sign-in page. POST /api/session {username, password};
// on success the server sets the session cookie and the page goes to the
// `next` address from its fragment (#next=<path and fragment>, only paths on
// this server), by default the provider console. #expired says why the user
// is here after an idle timeout.

import { apiRequest, ApiError } from './api.js';
import { readFragment } from './common.js';
import { safeNext, LOGIN_PAGE } from './session.js';

const form = document.getElementById('login-form');
const username = document.getElementById('login-username');
const password = document.getElementById('login-password');
const submit = document.getElementById('login-submit');
const errorBox = document.getElementById('login-error');

const fragment = readFragment();
const next = safeNext(fragment.next);
let busy = false;
let waitTimer = null;

function showError(text, field = null) {
  errorBox.textContent = text || '';
  errorBox.hidden = !text;
  for (const input of [username, password]) {
    if (input === field) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  if (field) {
    field.setAttribute('aria-describedby', 'login-error');
    field.focus();
  }
}

// "5 seconds", "1 minute", "15 minutes" (rounded up).
function waitWords(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.ceil(s / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

function throttledText(err) {
  const after = err.retryAfter;
  if (after === null || after === undefined) return 'Too many attempts — please wait a few minutes, then try again.';
  return `Too many attempts — try again in ${waitWords(after)}.`;
}

// Keeps the button off while the server asks us to wait (at most a minute).
function holdButton(seconds) {
  if (waitTimer) clearTimeout(waitTimer);
  const ms = Math.min(Math.max(0, Number(seconds) || 0), 60) * 1000;
  if (!ms) return;
  submit.disabled = true;
  waitTimer = setTimeout(() => {
    waitTimer = null;
    if (!busy) submit.disabled = false;
  }, ms);
}

function errorText(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (err.status === 0) return 'The server could not be reached. Check your network connection and try again.';
  if (err.status === 401 || err.code === 'bad-credentials') {
    return 'The username or password is wrong. Check both (passwords are case-sensitive) and try again.';
  }
  // Busy is about the server, not this person's attempts: nothing they did.
  if (err.status === 429 && err.code === 'busy') {
    return `The server is busy signing other people in. Your password was not checked — try again in ${waitWords(err.retryAfter ?? 1)}.`;
  }
  if (err.status === 503 && err.code === 'busy') {
    return `The clinic's records are being updated and you are not signed in yet — try again in ${waitWords(err.retryAfter ?? 1)}.`;
  }
  if (err.status === 429 || err.code === 'slow-down' || err.code === 'locked') return throttledText(err);
  if (err.status === 403) return 'This account cannot sign in. Ask your clinic\'s administrator.';
  if (err.serverMessage) return err.serverMessage;
  return `Signing in did not work (the server answered ${err.status}). Please try again.`;
}

async function signIn(ev) {
  ev.preventDefault();
  if (busy) return;
  const user = username.value.trim();
  const pass = password.value;
  if (!user) {
    showError('Enter your username.', username);
    return;
  }
  if (!pass) {
    showError('Enter your password.', password);
    return;
  }
  busy = true;
  submit.disabled = true;
  submit.textContent = 'Signing in…';
  let signedIn = null;
  try {
    signedIn = await apiRequest('/api/session', { method: 'POST', body: { username: user, password: pass } });
  } catch (err) {
    busy = false;
    submit.disabled = false;
    submit.textContent = 'Sign in';
    // A busy server did not look at the password: no need to type it again.
    const unchecked = err instanceof ApiError && err.code === 'busy';
    if (!unchecked) password.value = '';
    const wrong = err instanceof ApiError && (err.status === 401 || err.code === 'bad-credentials');
    showError(errorText(err), wrong ? password : null);
    // A short "slow down" keeps the button off for its few seconds; a lock
    // is only explained (another account may still sign in from here).
    if (err instanceof ApiError && ((err.status === 429 && err.code !== 'locked') || unchecked)) holdButton(err.retryAfter);
    return;
  }
  submit.textContent = 'Signed in';
  showError('');
  // The front desk's page is the schedule: the console is the clinical
  // record, which it never opens.
  const desk = signedIn && signedIn.staff && signedIn.staff.role === 'scheduler';
  window.location.replace(desk && next.startsWith('/provider.html') ? '/schedule.html' : next);
}

form.addEventListener('submit', signIn);

if (Object.prototype.hasOwnProperty.call(fragment, 'expired')) {
  showError('Your session ended after 15 minutes without activity — please sign in again.');
}
// Keep only the return address in the bar (a reload should not repeat the
// "session ended" message); the fragment never reaches the server anyway.
if (fragment.next && next !== '/provider.html') {
  history.replaceState(null, '', `${LOGIN_PAGE}#${new URLSearchParams({ next })}`);
} else if (window.location.hash) {
  history.replaceState(null, '', LOGIN_PAGE);
}
username.focus();
