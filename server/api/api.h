/* api.h — the REST API as plain functions of a parsed request: no
 * libwebsockets here, so the routes and body decoders are testable and
 * fuzzable alone. */
#pragma once

#include "server/app.h"

typedef enum { TH_HTTP_GET, TH_HTTP_POST, TH_HTTP_OTHER } ThHttpMethod;

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
} ThHttpRequest;

typedef struct {
  guint status;
  char *body;                /* JSON text, g_free */
  const char *content_type;  /* NULL: application/json */
  char *set_cookie;          /* a Set-Cookie value to send, g_free */
  guint retry_after;         /* seconds, for 429; 0 = no header */
  char *failure;             /* why the answer is a 500 (a store GError's domain, code and
                              * message; never patient data): th_api_handle logs it with the
                              * route and frees it */
  const char *allow;         /* for 405: the methods the path takes ("GET, POST"),
                              * a static string; NULL = no header */
  char error_code[32];       /* an error answer's "code" (th_respond_error), for
                              * the refusal audit; "" otherwise */
} ThHttpResponse;

void th_api_handle (ThApp *app, const ThHttpRequest *request, ThHttpResponse *response);
