/* stream.c — Server-Sent Events (http.h, "Event streams"): a response that
 * stays open and carries what the server publishes to its topic.
 *
 * Published text is queued per connection and written one piece per
 * HTTP_WRITEABLE, never from anywhere else (lws's rule). One timer for all
 * streams sends the keep-alive comments and closes streams past their
 * age. All of it runs on the main thread. */
#define G_LOG_DOMAIN "th-http"

#include "server/http/http-private.h"
#include "server/metrics/metrics.h"

#include <string.h>

#define RESYNC_EVENT "event: resync\ndata: {}\n\n"

struct _ThHttpStream {
  struct lws *wsi;
  ThSession *session;
  ThHttpServer *server;
  char topic[64];
  GQueue texts;      /* char *, not yet written */
  gint64 expires_us; /* monotonic: closed after this */
  gboolean closing;  /* the next HTTP_WRITEABLE closes it */
};

static void
queue_text (ThHttpStream *st, const char *text)
{
  if (st->closing)
    return;
  if (g_queue_get_length (&st->texts) >= TH_HTTP_STREAM_QUEUE) {
    /* A client that does not read: what it missed is replaced by one
     * "reload everything". */
    g_queue_clear_full (&st->texts, g_free);
    g_queue_push_tail (&st->texts, g_strdup (RESYNC_EVENT));
  } else {
    g_queue_push_tail (&st->texts, g_strdup (text));
  }
  lws_callback_on_writable (st->wsi);
}

static gboolean
on_timer (gpointer data)
{
  ThHttpServer *server = data;
  gint64 now = g_get_monotonic_time ();

  for (GList *l = server->streams.head; l; l = l->next) {
    ThHttpStream *st = l->data;
    if (now >= st->expires_us) {
      st->closing = TRUE;
      lws_callback_on_writable (st->wsi);
    } else if (g_queue_is_empty (&st->texts)) {
      queue_text (st, ": keep-alive\n\n");
    }
  }
  return G_SOURCE_CONTINUE;
}

int
th_http_stream_start (struct lws *wsi, ThSession *s, const ThHttpResponse *resp, char *body)
{
  ThHttpServer *server = lws_context_user (lws_get_context (wsi));
  guint8 buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
  ThHttpStream *st;

  th_metrics_inc (TH_M_HTTP_REQUESTS, s->route ? s->route : "other", "200");
  s->answered = TRUE;
  /* No length: the body is as long as the stream lasts, ended by the close. */
  if (lws_add_http_common_headers (wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p,
                                   end) ||
      lws_add_http_header_by_name (wsi, (const unsigned char *) "cache-control:",
                                   (const unsigned char *) "no-store", 8, &p, end) ||
      lws_finalize_write_http_header (wsi, start, &p, end)) {
    g_free (body);
    return -1;
  }
  st = g_new0 (ThHttpStream, 1);
  st->wsi = wsi;
  st->session = s;
  st->server = server;
  g_strlcpy (st->topic, resp->stream, sizeof st->topic);
  st->expires_us = g_get_monotonic_time () + (gint64) TH_HTTP_STREAM_MAX_S * G_USEC_PER_SEC;
  g_queue_init (&st->texts);
  s->stream = st;
  g_queue_push_tail (&server->streams, st);
  if (!server->stream_timer)
    server->stream_timer = g_timeout_add_seconds (TH_HTTP_STREAM_KEEPALIVE_S, on_timer, server);
  /* Open as long as the stream lasts: no lws timeout. */
  lws_set_timeout (wsi, NO_PENDING_TIMEOUT, 0);
  queue_text (st, body);
  g_free (body);
  return 0;
}

int
th_http_stream_writeable (struct lws *wsi, ThSession *s)
{
  ThHttpStream *st = s->stream;
  g_autofree char *text = NULL;
  g_autofree guint8 *buf = NULL;
  gsize len;

  if (st->closing)
    return -1;
  if (!(text = g_queue_pop_head (&st->texts)))
    return 0;
  len = strlen (text);
  buf = g_malloc (LWS_PRE + len);
  memcpy (buf + LWS_PRE, text, len);
  if (lws_write (wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP) != (int) len)
    return -1;
  if (!g_queue_is_empty (&st->texts))
    lws_callback_on_writable (wsi);
  return 0;
}

void
th_http_stream_detach (ThSession *s)
{
  ThHttpStream *st = s->stream;

  if (!st)
    return;
  s->stream = NULL;
  g_queue_remove (&st->server->streams, st);
  if (g_queue_is_empty (&st->server->streams) && st->server->stream_timer) {
    g_source_remove (st->server->stream_timer);
    st->server->stream_timer = 0;
  }
  g_queue_clear_full (&st->texts, g_free);
  g_free (st);
}

void
th_http_stream_stop (ThHttpServer *server)
{
  if (server->stream_timer) {
    g_source_remove (server->stream_timer);
    server->stream_timer = 0;
  }
}

void
th_http_stream_publish (ThApp *app, const char *topic, const char *text)
{
  ThHttpServer *server;

  if (!app->lws)
    return;
  server = lws_context_user (app->lws);
  for (GList *l = server->streams.head; l; l = l->next) {
    ThHttpStream *st = l->data;
    if (!topic || strcmp (topic, st->topic) == 0)
      queue_text (st, text);
  }
}

guint
th_http_stream_count (ThApp *app)
{
  return app->lws ? g_queue_get_length (&((ThHttpServer *) lws_context_user (app->lws))->streams)
                  : 0;
}
