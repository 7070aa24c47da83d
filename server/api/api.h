/* api.h — the REST API as plain functions of a parsed request: no
 * libwebsockets here, so the routes and body decoders are testable and
 * fuzzable alone. */
#pragma once

#include "server/app.h"

#define TH_API_MAX_BODY (64 * 1024)

typedef enum { TH_HTTP_GET, TH_HTTP_POST, TH_HTTP_OTHER } ThHttpMethod;

/* A request whose answer comes later (see th_http_defer below). */
typedef struct _ThHttpPending ThHttpPending;

typedef struct {
  ThHttpMethod method;
  const char *path;          /* without the query string */
  const char *query;         /* raw "a=b&c=d", or NULL */
  const char *bearer;        /* the Authorization: Bearer token, or NULL */
  const char *session_id;    /* the staff session cookie, or NULL */
  const char *csrf;          /* the X-CSRF-Token header, or NULL */
  gboolean background;       /* sent by a page's timer, not by the user: does not
                              * count as activity for the idle logoff */
  const char *address;       /* the client's IP address (for the audit log, throttling) */
  const char *body;          /* POST body (may contain NULs), or NULL */
  gsize body_len;
  gpointer transport;        /* the transport's own (th_http_defer); NULL: cannot defer */
} ThHttpRequest;

typedef struct {
  guint status;
  char *body;                /* JSON text, g_free */
  const char *content_type;  /* NULL: application/json */
  char *set_cookie;          /* a Set-Cookie value to send, g_free */
  guint retry_after;         /* seconds, for 429; 0 = no header */
  gboolean deferred;         /* set by th_http_defer: nothing to send now */
} ThHttpResponse;

/* ---- Deferred answers (implemented by the transport, server/http/http.c).
 * These belong with the two types above: when ThHttpRequest/ThHttpResponse
 * move to server/http/http.h, these four move with them unchanged.
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

/* TRUE when `path` is served by th_api_handle (and not a static file). */
gboolean th_api_owns_path (const char *path);
void th_api_handle (ThApp *app, const ThHttpRequest *request, ThHttpResponse *response);
