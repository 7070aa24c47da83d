// visit-events.js: a staff page's live view of the visits it shows (issue
// 18). The server pushes each change of a visit the signed-in person may see
// (GET /api/events, a Server-Sent Events stream: `ready` once it is up,
// `visits-changed` for a visit, `resync` when it lost track), at once and
// whichever node the change happened on. The page reloads what it shows on
// each change; several changes in a burst (a hello: the state, then the
// waiting room) make one reload. While the stream is down (`up` false) the
// page falls back to its own poll.

const BURST_MS = 100;    // changes this close together make one reload
const RETRY_MS = 15000;  // a stream the server refused (signed out, a 503)

// Calls `reload()` on every change (and once when the stream comes up:
// what changed while it was down). Returns {up}: whether the stream is up.
export function watchVisits(reload) {
  const live = { up: false };
  let events = null;
  let retry = 0;
  let soon = 0;

  const reloadSoon = () => {
    if (soon) return;
    soon = setTimeout(() => { soon = 0; reload(); }, BURST_MS);
  };
  const open = () => {
    if (events || typeof EventSource !== 'function') return;
    events = new EventSource('/api/events');
    events.addEventListener('ready', () => { live.up = true; reloadSoon(); });
    events.addEventListener('visits-changed', reloadSoon);
    events.addEventListener('resync', reloadSoon);
    events.addEventListener('error', () => {
      live.up = false;
      // The browser connects again by itself, unless the server refused
      // the stream: then try again in a while.
      if (events && events.readyState === EventSource.CLOSED) {
        events = null;
        clearTimeout(retry);
        retry = setTimeout(open, RETRY_MS);
      }
    });
  };
  window.addEventListener('pagehide', () => {
    if (events) events.close();
    events = null;
    live.up = false;
  });
  window.addEventListener('pageshow', (e) => { if (e.persisted) open(); });
  open();
  return live;
}
