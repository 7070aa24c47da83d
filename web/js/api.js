// api.js: JSON over fetch (tests/CONTRACT.md). Patients and guests send
// their join token as a Bearer token; staff are identified by the session
// cookie (same-origin fetch sends it) and add the CSRF token to every
// state-changing request. Errors become an ApiError carrying the server's
// code, message (verbatim), for a refused prescribing rule the rule, and for
// a throttled sign-in how many seconds to wait (retry_after).

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || (status ? `The server answered ${status}.` : 'The server could not be reached.'));
    this.name = 'ApiError';
    this.status = status;
    this.code = e.code || (status ? `http-${status}` : 'network');
    this.rule = e.rule || null;
    // A refused order's findings and whether an override reason lifts them.
    this.findings = Array.isArray(e.findings) ? e.findings : null;
    this.overrideAllowed = e.override_allowed === true;
    this.serverMessage = e.message || '';
    this.retryAfter = Number.isFinite(e.retry_after) ? e.retry_after : null;
    // A refused field ("birth_date"), and a possible duplicate's candidates.
    this.field = typeof e.field === 'string' ? e.field : null;
    this.candidates = body && Array.isArray(body.candidates) ? body.candidates : null;
    // A double booking's other visits (POST /api/visits, .../move).
    this.conflicts = Array.isArray(e.conflicts) ? e.conflicts : null;
    // A refused join link: the clinic's number to call (GET /api/link).
    this.clinicPhone = typeof e.clinic_phone === 'string' ? e.clinic_phone : null;
  }
}

// background: the request comes from the page's own timer, not from the
// user; the server does not count it as activity for the idle logoff.
export async function apiRequest(path, { token, csrf, method = 'GET', body, timeout = 15000, background = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (background) headers['X-TH-Background'] = '1';
  if (token) headers.Authorization = `Bearer ${token}`;
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
      signal: AbortSignal.timeout(timeout),
    });
  } catch {
    throw new ApiError(0, null);
  }
  let json = null;
  try { json = await res.json(); } catch { /* empty or not JSON */ }
  if (!res.ok) {
    const err = new ApiError(res.status, json);
    if (err.retryAfter === null) {
      const header = Number.parseInt(res.headers.get('Retry-After') || '', 10);
      if (Number.isFinite(header)) err.retryAfter = header;
    }
    throw err;
  }
  return json;
}

export const enc = encodeURIComponent;

// Small DOM helper: el('p', {className: 'x', dataset: {testid: 'y'}}, 'text', child)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== undefined && av !== null && av !== false) node.setAttribute(a, av === true ? '' : String(av)); }
    else if (k in node) node[k] = v;
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

export function dateTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return new Date(t).toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function shortDate(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return new Date(t).toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
}

export function capitalize(s) {
  const t = String(s || '');
  return t.charAt(0).toUpperCase() + t.slice(1);
}
