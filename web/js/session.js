// session.js: the staff session on the console and timeline pages.
// The session itself is an HttpOnly cookie the page never sees; the page
// learns who is signed in and the CSRF token from GET /api/session, sends
// the token as X-CSRF-Token on every POST, and goes to the sign-in page
// (coming back here afterwards) whenever the server answers 401.

import { apiRequest, ApiError } from './api.js';

export const LOGIN_PAGE = '/login.html';
export const DEFAULT_NEXT = '/provider.html';

const session = { csrf: '', staff: null };
let redirecting = false;

// Where to go after signing in: only a path on this server ("/..."), never
// an absolute or protocol-relative URL (no open redirect).
export function safeNext(raw, origin = window.location.origin) {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000) return DEFAULT_NEXT;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return DEFAULT_NEXT;
  // Control characters and backslashes have no business in our paths (some
  // browsers read "\" as "/").
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return DEFAULT_NEXT;
  let url;
  try {
    url = new URL(raw, origin);
  } catch {
    return DEFAULT_NEXT;
  }
  if (url.origin !== origin) return DEFAULT_NEXT;
  if (url.pathname === LOGIN_PAGE) return DEFAULT_NEXT;
  return `${url.pathname}${url.search}${url.hash}`;
}

// The sign-in page's address that brings the user back to `next` (default:
// this page, with its fragment). `expired`: say the session timed out.
export function loginUrl({ expired = false, next } = {}) {
  const back = next === undefined ? `${window.location.pathname}${window.location.hash}` : next;
  const params = new URLSearchParams();
  if (expired) params.set('expired', '1');
  if (back) params.set('next', back);
  const frag = params.toString();
  return frag ? `${LOGIN_PAGE}#${frag}` : LOGIN_PAGE;
}

export function goToLogin({ expired = false } = {}) {
  if (redirecting) return;
  redirecting = true;
  window.location.replace(loginUrl({ expired }));
}

// Sends the user to sign in when `err` is a 401; true if it did.
export function handleUnauthorized(err) {
  if (!(err instanceof ApiError) || err.status !== 401) return false;
  goToLogin({ expired: err.code === 'session-expired' });
  return true;
}

function remember(body) {
  session.csrf = (body && typeof body.csrf_token === 'string') ? body.csrf_token : '';
  session.staff = (body && body.staff) || null;
}

// Loads the session (who is signed in, the CSRF token). Without one the
// page goes to the sign-in page and this promise never settles, so the
// page's start-up code simply stops. Other failures reject.
export async function startStaffSession() {
  try {
    remember(await apiRequest('/api/session'));
  } catch (err) {
    if (handleUnauthorized(err)) return new Promise(() => {});
    throw err;
  }
  return session.staff;
}

// Re-checks the session (for example after the signaling server refused
// us); goes to the sign-in page when it is over. Resolves true when live.
export async function checkStaffSession() {
  try {
    remember(await apiRequest('/api/session'));
    return true;
  } catch (err) {
    handleUnauthorized(err);
    return false;
  }
}

export function currentStaff() { return session.staff; }

// A staff REST call: the cookie plus the CSRF token on POSTs. A 401 sends
// the user to the sign-in page (the error is still thrown so callers stop);
// a refused CSRF token is fetched again once and the request retried.
export async function staffApi(path, opts = {}) {
  try {
    return await apiRequest(path, { ...opts, csrf: session.csrf });
  } catch (err) {
    if (handleUnauthorized(err)) throw err;
    if (err instanceof ApiError && err.status === 403 && err.code === 'csrf' && !opts.retried) {
      if (await checkStaffSession()) return staffApi(path, { ...opts, retried: true });
    }
    throw err;
  }
}

// Ends the session on the server, then shows the sign-in page. Goes there
// even if the server could not be reached: the cookie is HttpOnly, so the
// page cannot forget it itself, but the server ends idle sessions anyway.
export async function signOut() {
  try {
    redirecting = true; // a 401 here means already signed out: no detour
    await staffApi('/api/session/logout', { method: 'POST', body: {}, timeout: 8000 });
  } catch { /* go to the sign-in page regardless */ }
  session.csrf = '';
  session.staff = null;
  window.location.replace(LOGIN_PAGE);
}
