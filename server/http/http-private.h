/* http-private.h — what http.c (the libwebsockets callback) and ws.c (the
 * signaling transport) share. */
#pragma once

#include <libwebsockets.h>
#include "server/http/http.h"

typedef struct _ThWsConn ThWsConn;

/* The server: lws's context user data. */
typedef struct {
  ThApp *app;
  ThHttpHandler handler;
  gpointer handler_data;
  guint max_connections; /* accepted sockets allowed at once */
  guint connections;     /* accepted sockets alive */
  guint refused_full;    /* refused at the cap since the last log line */
  int listen_fd;         /* learnt at the first accept; -1 before */
  int reserve_fd;        /* given up to shed connections at EMFILE */
} ThHttpServer;

/* lws's per-session data for our one protocol: an HTTP request or a
 * WebSocket connection, never both. Zeroed by lws. */
typedef struct {
  /* HTTP */
  int method; /* ThHttpMethod */
  char *path;
  char *query;
  char *bearer;
  char *session_id;    /* the TH_SESSION_COOKIE cookie */
  char *csrf;          /* the X-CSRF-Token header */
  gboolean background; /* "X-TH-Background: 1": a poll, not the user */
  char address[64];    /* the peer's IP address */
  GByteArray *body;
  gboolean body_too_large;
  gint64 body_deadline_us; /* monotonic; the whole body by then, or 408 */
  gboolean close_after;    /* the answer ends the connection (the request was bad) */
  gboolean answered;       /* a response is on its way: ignore more body */
  char *response;          /* JSON body waiting for HTTP_WRITEABLE */
  gsize response_len;
  ThHttpPending *pending; /* a deferred answer still to come (http.c) */
  ThHttpResponse *answer; /* a deferred answer whose headers wait for HTTP_WRITEABLE */
  const char *route;      /* the API route's pattern, once the handler said (metrics) */
  gint64 started_us;      /* monotonic: when the request's headers were in (metrics) */
  /* WebSocket */
  ThWsConn *ws;
} ThSession;

/* What th_http_defer finds behind ThHttpRequest.transport while http.c
 * runs a handler. */
typedef struct {
  struct lws *wsi;
  ThSession *session;
} ThHttpTransport;

/* pending.c: the connection lets go of its deferred answer (it closed, or a
 * new request begins); a later th_http_pending_finish then sends nothing. */
void th_http_pending_detach (ThSession *s);

/* Copies the TH_SESSION_COOKIE cookie of the request, or NULL. */
char *th_http_session_cookie (struct lws *wsi);

/* ---- guard.c */
/* What lws may hold of one request's line and headers (its table, per
 * request being parsed). Past it lws 4.1 closes the connection without a
 * status and tells no callback in time to answer; below it we answer 431
 * past TH_HTTP_MAX_URI_BYTES of URI or TH_HTTP_MAX_HEADER_BYTES of the
 * headers lws knows. */
#define TH_HTTP_HEADER_TABLE_BYTES (16 * 1024)
#define TH_HTTP_MAX_URI_BYTES (8 * 1024)
#define TH_HTTP_MAX_HEADER_BYTES (12 * 1024)
/* The most sockets to accept at once: `configured` ([limits]
 * max_connections, 0 = no preference) within what the open-files limit
 * allows. */
guint th_http_connection_cap (guint configured);
/* Takes over lws's log (a budget per kind of line) and keeps a reserve
 * descriptor for shedding connections at EMFILE. */
void th_http_guard_start (ThHttpServer *server);
/* After lws_context_destroy: frees `server`. */
void th_http_guard_stop (ThHttpServer *server);

/* ---- scrape.c: the [metrics] listener, a second vhost of app->lws (none
 * when [metrics] listen is not set). */
gboolean th_http_scrape_start (ThApp *app, GError **error);

/* ---- ws.c */
ThWsConn *th_ws_open (ThApp *app, struct lws *wsi);
/* Returns -1 when the connection is to be closed (the close reason set). */
int th_ws_receive (ThWsConn *ws, const void *in, size_t len);
/* Returns -1 when the connection is to be closed. */
int th_ws_writeable (ThWsConn *ws);
void th_ws_closed (ThWsConn *ws);
