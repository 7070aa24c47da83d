/* http.h — the libwebsockets context on the GLib loop: static files, the
 * REST API and the signaling WebSocket on one port. The transport knows the
 * REST API only as a handler: requests under /api and /healthz (the
 * mounts in http.c decide, by path prefix) go to ThHttpHandler.handle;
 * everything else under / is a static file from the web root. */
#pragma once

#include "server/app.h"
#include "server/config.h"

/* Name of the staff session cookie: the transport reads it into
 * ThHttpRequest.session_id (and hands it to signaling), the API sets it. */
#define TH_SESSION_COOKIE "th_session"

typedef enum { TH_HTTP_GET, TH_HTTP_POST, TH_HTTP_OTHER } ThHttpMethod;

/* A request whose answer comes later (see th_http_defer below). */
typedef struct _ThHttpPending ThHttpPending;

typedef struct {
  ThHttpMethod method;
  const char *path;       /* without the query string */
  const char *query;      /* raw "a=b&c=d", or NULL */
  const char *bearer;     /* the Authorization: Bearer token, or NULL */
  const char *session_id; /* the staff session cookie, or NULL */
  const char *csrf;       /* the X-CSRF-Token header, or NULL */
  gboolean background;    /* sent by a page's timer, not by the user: does not
                              * count as activity for the idle logoff */
  const char *address;    /* the client's IP address (for the audit log, throttling) */
  const char *body;       /* POST body (may contain NULs), or NULL */
  gsize body_len;
  gpointer transport; /* the transport's own (th_http_defer); NULL: cannot defer */
} ThHttpRequest;

typedef struct {
  guint status;
  char *body;               /* JSON text, g_free; NULL: the transport answers 500 */
  const char *content_type; /* NULL: application/json */
  char *set_cookie;         /* a Set-Cookie value to send, g_free */
  guint retry_after;        /* seconds, for 429; 0 = no header */
  const char *allow;        /* for 405: the methods the path takes ("GET, POST"),
                              * a static string; NULL = no header */
  char *failure;            /* why the answer is a 500 (a store GError's domain, code and
                              * message; never patient data): the handler logs it with the
                              * route and frees it */
  char error_code[32];      /* an error answer's "code", for the refusal audit; "" otherwise */
  gboolean deferred;        /* set by th_http_defer: nothing to send now */
  const char *route;        /* the route's pattern ("/api/visits/:visit"), a static string,
                              * for the metrics' label; NULL: "other" */
  char stream[64];          /* non-empty with status 200: the answer is an event stream
                              * (text/event-stream, stream.c) that stays open, subscribed
                              * to this topic; `body` is its first text */
} ThHttpResponse;

/* ---- Deferred answers (pending.c).
 *
 * A handler that must wait for work off the main loop (a sign-in's key
 * derivation) calls th_http_defer instead of filling `response`; the
 * request's strings are only valid during the handler, so it copies what it
 * needs. Later, on the main thread, it calls th_http_pending_finish once
 * with the response. If the client went away meanwhile the answer is
 * dropped: the pending object outlives the connection (it is refcounted,
 * and the transport forgets the connection when it closes). */

/* Marks `response` deferred and returns a pending answer owned by the
 * caller; NULL when this request cannot be deferred (then answer now). */
ThHttpPending *th_http_defer (const ThHttpRequest *request, ThHttpResponse *response);
/* Main thread only. Sends `response` (taking its body and cookie) if the
 * connection is still open, and releases the caller's `pending`. */
void th_http_pending_finish (ThHttpPending *pending, ThHttpResponse *response);
/* Releases a pending answer without sending one (the connection is then
 * closed, for a handler that gives up). */
void th_http_pending_abandon (ThHttpPending *pending);
/* TRUE while the client still waits (its connection is open). */
gboolean th_http_pending_connected (const ThHttpPending *pending);

/* ---- Event streams (stream.c): Server-Sent Events.
 *
 * A handler answers 200 with ThHttpResponse.stream set to a topic (an opaque
 * string of its choosing); the connection then stays open and carries what
 * is published to that topic, written only when the socket is writable,
 * with a comment every TH_HTTP_STREAM_KEEPALIVE_S so proxies keep it. A
 * stream holds at most TH_HTTP_STREAM_QUEUE texts not yet written: past
 * that its queue collapses into one `event: resync` (the client reloads
 * everything). A stream is closed after TH_HTTP_STREAM_MAX_S (the browser's
 * EventSource connects again, and the caller is checked again). Streams are
 * connections: they count toward [limits] max_connections. */
#define TH_HTTP_STREAM_KEEPALIVE_S 20
#define TH_HTTP_STREAM_QUEUE 64
#define TH_HTTP_STREAM_MAX_S (10 * 60)
/* Main thread only. Queues `text` (whole events, "event: x\ndata: y\n\n")
 * to every open stream of `topic` (NULL: every stream). */
void th_http_stream_publish (ThApp *app, const char *topic, const char *text);
/* Open streams (tests, metrics). */
guint th_http_stream_count (ThApp *app);

/* A request the transport answered itself, before any handler saw it. */
typedef struct {
  const char *address; /* the client's IP address */
  guint status;        /* 400, 404, 408, 413, 431 */
  const char *code;    /* "too-large", "path-traversal", ... */
  const char *path;    /* the request path when known, or NULL */
} ThHttpRefusal;

typedef struct {
  /* Answers one request under /api/ or /healthz. */
  void (*handle) (gpointer user_data, const ThHttpRequest *request, ThHttpResponse *response);
  /* Told of each refusal (for the audit log); may be NULL. */
  void (*refused) (gpointer user_data, const ThHttpRefusal *refusal);
  /* Told of each request's URI as sent, static files included, before lws
   * decodes it (lws normalises the path: a climb out of the web root ends
   * in its 404); may be NULL. */
  void (*uri_seen) (gpointer user_data, const char *address, const char *uri);
  /* Before each GET /metrics is rendered: sets the gauges read at scrape
   * time (rooms, legs, the process); may be NULL. */
  void (*metrics_refresh) (gpointer user_data);
} ThHttpHandler;

/* Listens on [server] listen (port 0: one the kernel picks; app->port is
 * the real one afterwards), and on [metrics] listen when set (scrape.c;
 * app->metrics_port). `handler` and `user_data` must outlive the
 * server. */
gboolean th_http_start (ThApp *app, const ThHttpHandler *handler, gpointer user_data,
                        GError **error);
void th_http_stop (ThApp *app);
/* With several nodes (cluster.h): the pages' Content-Security-Policy lets
 * them open the signaling socket of these nodes too, and a WebSocket from a
 * page of any of them is accepted as from our own (base URLs; anything but
 * a plain scheme://host[:port] is left out). Main thread. */
void th_http_set_peer_nodes (const GPtrArray *base_urls);

/* Raises the open-files soft limit to the hard one (so the connection cap
 * can be generous) and returns the limit now in force. */
guint th_http_raise_file_limit (void);

/* ---- tls.c: HTTPS/WSS material, the configured certificate and key, or a
 * self-signed pair made with OpenSSL on first start and kept in the data
 * directory. */
/* Resolves the certificate and key the server should use:
 *  - both configured ([tls] certificate, private_key): checked readable, returned;
 *  - [tls] self_signed = true: <data_dir>/tls/cert.pem and key.pem, generated
 *    (EC P-256, SHA-256, valid 1 year, SAN: the listen host, localhost,
 *    127.0.0.1, ::1) if missing, reused otherwise;
 *  - neither: *cert_path and *key_path NULL (plain HTTP), which is refused
 *    with an error unless the listen address is loopback. */
gboolean th_tls_prepare (const ThConfig *config, char **cert_path, char **key_path, GError **error);
gboolean th_tls_host_is_loopback (const char *host);
