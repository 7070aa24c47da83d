/* http-private.h — what http.c (the libwebsockets callback) and ws.c (the
 * signaling transport) share. */
#pragma once

#include <libwebsockets.h>
#include "server/http/http.h"
#include "server/api/api.h"

typedef struct _ThWsConn ThWsConn;

/* lws's per-session data for our one protocol: an HTTP request or a
 * WebSocket connection, never both. Zeroed by lws. */
typedef struct {
  /* HTTP */
  int method;                 /* ThHttpMethod */
  char *path;
  char *query;
  char *bearer;
  char *session_id;           /* the th_session cookie */
  char *csrf;                 /* the X-CSRF-Token header */
  gboolean background;        /* "X-TH-Background: 1": a poll, not the user */
  char address[64];           /* the peer's IP address */
  GByteArray *body;
  gboolean body_too_large;
  char *response;             /* JSON body waiting for HTTP_WRITEABLE */
  gsize response_len;
  ThHttpPending *pending;     /* a deferred answer still to come (http.c) */
  ThHttpResponse *answer;     /* a deferred answer whose headers wait for HTTP_WRITEABLE */
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

/* Name of the staff session cookie. */
#define TH_SESSION_COOKIE "th_session"

/* Copies the th_session cookie of the request, or NULL. */
char *th_http_session_cookie (struct lws *wsi);

ThWsConn *th_ws_open (ThApp *app, struct lws *wsi);
void th_ws_receive (ThWsConn *ws, const void *in, size_t len);
/* Returns -1 when the connection is to be closed. */
int th_ws_writeable (ThWsConn *ws);
void th_ws_closed (ThWsConn *ws);
