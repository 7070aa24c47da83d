/* pending.c — answers that come later (api.h, th_http_defer): a handler
 * that waits for work off the main loop (a sign-in's key derivation) says
 * so, and answers through th_http_pending_finish once it is done.
 *
 * A pending answer is shared by the handler and the connection: each holds
 * a reference. The connection lets go when it closes (wsi cleared) or when
 * the answer is handed over; the handler when it finishes. All of it runs
 * on the main thread, so a plain count suffices. */
#define G_LOG_DOMAIN "th-http"

#include "server/http/http-private.h"

struct _ThHttpPending {
  int refs;
  struct lws *wsi; /* NULL once the connection is gone */
  ThSession *session;
};

/* The longest a deferred answer may take before the connection is closed
 * (a handler that never finishes must not hold it forever). */
#define DEFER_TIMEOUT_S 60

static void
pending_unref (ThHttpPending *p)
{
  if (--p->refs == 0)
    g_free (p);
}

void
th_http_pending_detach (ThSession *s)
{
  ThHttpPending *p = s->pending;

  if (!p)
    return;
  s->pending = NULL;
  p->wsi = NULL;
  p->session = NULL;
  pending_unref (p);
}

ThHttpPending *
th_http_defer (const ThHttpRequest *request, ThHttpResponse *response)
{
  ThHttpTransport *t = request->transport;
  ThHttpPending *p;

  if (!t || t->session->pending)
    return NULL;
  p = g_new0 (ThHttpPending, 1);
  p->refs = 2; /* the connection's and the caller's */
  p->wsi = t->wsi;
  p->session = t->session;
  t->session->pending = p;
  response->deferred = TRUE;
  lws_set_timeout (t->wsi, PENDING_TIMEOUT_USER_OK, DEFER_TIMEOUT_S);
  return p;
}

gboolean
th_http_pending_connected (const ThHttpPending *pending)
{
  return pending && pending->wsi != NULL;
}

void
th_http_pending_finish (ThHttpPending *p, ThHttpResponse *response)
{
  if (p->wsi) {
    struct lws *wsi = p->wsi;
    ThSession *s = p->session;
    /* Headers may only be written from the connection's own callback: keep
     * the answer until HTTP_WRITEABLE. */
    ThHttpResponse *answer = g_new (ThHttpResponse, 1);

    *answer = *response;
    answer->deferred = FALSE;
    response->body = NULL;
    response->set_cookie = NULL;
    th_http_pending_detach (s);
    s->answer = answer;
    lws_set_timeout (wsi, NO_PENDING_TIMEOUT, 0);
    lws_callback_on_writable (wsi);
  }
  g_clear_pointer (&response->body, g_free);
  g_clear_pointer (&response->set_cookie, g_free);
  pending_unref (p);
}

void
th_http_pending_abandon (ThHttpPending *p)
{
  if (p->wsi) {
    /* Closed soon, from lws's own service: never from here. */
    lws_set_timeout (p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    th_http_pending_detach (p->session);
  }
  pending_unref (p);
}
