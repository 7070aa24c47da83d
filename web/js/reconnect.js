// reconnect.js: when and where the visit client (visit-client.js) opens its
// next signaling socket. Two small pieces of state, no I/O of their own:
//
// Backoff (tests/CONTRACT.md, issues 6 and 11): after a drop the client says
// hello again with exponential back-off and jitter (about 0.5, 1, 2, 4, 8,
// 16 s, then every 21-30 s), never more than OPENS_PER_MINUTE sockets a
// minute, and gives up only when no welcome came for GIVE_UP_MS. Only a
// good connection (media connected, or a socket that stayed up long enough
// outside a call) resets it: a welcome alone does not, so a network that
// blocks the media slows the attempts down instead of looping.
//
// Route (tests/CONTRACT.md, issue 18): a hello that reaches a node not
// hosting the visit is answered `redirect {url, token?}`; the client opens
// that node's socket at once (not a drop, not counted in the budget) and
// says hello there, with `token` instead of its own hello when given (a
// staff member's cookie is this origin's only). The entry URL stays: when a
// redirected socket drops, the next attempt goes back to the entry (a live
// node behind the balancer), which hosts the visit or redirects again. At
// most MAX_REDIRECTS in a row without a welcome. After the welcome the
// server may name the live nodes (`nodes {urls}`): when an attempt is never
// welcomed, the next one goes to the next of them in turn.

const RETRY_BASE_MS = 500;        // the first retry: a real drop comes back at once
const RETRY_MAX_MS = 30000;       // repeated failure: one attempt every 21-30 s
export const OPENS_PER_MINUTE = 6; // signaling sockets in any 60 s, whatever happens
const GIVE_UP_MS = 120000;        // no welcome at all for this long: stop
const MAX_REDIRECTS = 3;          // redirects in a row without a welcome

export function signalingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/signaling`;
}

// A node's base URL (http(s)://host[:port]) as its signaling URL; null when
// it is not one.
export function redirectUrl(base) {
  let u;
  try {
    u = new URL(String(base));
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return signalingUrl(u);
}

export class Backoff {
  constructor() {
    this.attempt = 0;   // failed attempts in a row since the last good connection
    this.dropAt = null; // when that run of failures began (ms), else null
    this.lostAt = null; // since when no welcome (ms), else null
    this.opens = [];    // when the last sockets were opened (the budget)
  }

  // A socket was opened now (counted against the budget).
  opened(now) {
    this.opens = [...this.opens.slice(1 - OPENS_PER_MINUTE), now];
  }

  // The socket dropped now: the run of failures (and of no welcome) began
  // now unless it already had. Whether another attempt is worth it.
  dropped(now) {
    if (this.dropAt === null) this.dropAt = now;
    if (this.lostAt === null) this.lostAt = now;
    return now - this.lostAt < GIVE_UP_MS;
  }

  // Welcomed: the server is reachable (the back-off holds until the media
  // connects).
  welcomed() {
    this.lostAt = null;
  }

  // A good connection: the next drop starts afresh.
  good() {
    this.attempt = 0;
    this.dropAt = null;
  }

  // No more attempts (given up, or closed by the page).
  stop() {
    this.good();
    this.lostAt = null;
  }

  // Milliseconds since the run of failures began (0 when none).
  since(now) {
    return this.dropAt === null ? 0 : now - this.dropAt;
  }

  // How long to wait before the next socket: exponential in the failures
  // in a row, with jitter (70-100 %: clients dropped together by a server
  // restart do not all come back in the same instant), within the budget.
  // Counts the attempt.
  nextDelay(now) {
    const base = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(this.attempt, 16));
    let delay = base * (0.7 + 0.3 * Math.random());
    delay = Math.min(delay, Math.max(0, this.lostAt + GIVE_UP_MS - now));
    this.attempt += 1;
    return Math.max(delay, this.budgetWait(now));
  }

  // Milliseconds until one more socket fits in the per-minute budget.
  budgetWait(now) {
    if (this.opens.length < OPENS_PER_MINUTE) return 0;
    return Math.max(0, this.opens[this.opens.length - OPENS_PER_MINUTE] + 60000 - now);
  }
}

export class Route {
  // url: the entry's signaling URL; hello: the hello body the page gave.
  constructor(url, hello) {
    this.entryUrl = url;       // where we came in (the balancer)
    this.entryHello = hello;
    this.url = url;            // where the next socket goes
    this.hello = hello;        // and what it says there
    this.redirects = 0;        // redirects followed since the last welcome
    this.redirectNext = false; // the close that follows is a redirect, not a drop
    this.nodeUrls = [];        // other nodes' signaling URLs (nodes message)
    this.nodeIndex = 0;        // 0: the entry; i: the i-th other node
  }

  get atEntry() { return this.url === this.entryUrl; }

  welcomed() {
    this.redirects = 0;
  }

  // A redirect message: FALSE when not followed (the close that follows is
  // then a drop, back to the entry).
  redirect(msg) {
    const url = redirectUrl(msg.url);
    if (!url || this.redirects >= MAX_REDIRECTS) return false;
    this.redirects += 1;
    this.redirectNext = true;
    this.url = url;
    this.hello = typeof msg.token === 'string' && msg.token ? { token: msg.token } : this.entryHello;
    return true;
  }

  // A nodes message: the live nodes' base URLs.
  nodes(urls) {
    if (Array.isArray(urls)) this.nodeUrls = urls.map(redirectUrl).filter(Boolean);
  }

  // The socket closed: TRUE when it was for a redirect (open the next at
  // once).
  takeRedirect() {
    const was = this.redirectNext;
    this.redirectNext = false;
    return was;
  }

  // A drop: back to the entry, which knows where the visit lives now
  // (another node takes it if that one died); an attempt that was never
  // welcomed moves on to the next known node.
  dropped(welcomed) {
    const candidates = [this.entryUrl, ...this.nodeUrls.filter((u) => u !== this.entryUrl)];
    this.nodeIndex = welcomed ? 0 : (this.nodeIndex + 1) % candidates.length;
    this.url = candidates[this.nodeIndex];
    this.hello = this.entryHello;
  }
}
