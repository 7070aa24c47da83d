/* scrape.c — GET /metrics on a vhost of its own ([metrics] listen): a
 * second listening socket in the same lws context, on the same GLib loop,
 * with its own protocol, so nothing of the public site (static files, the
 * API, the WebSocket) answers there and /metrics never answers on the
 * public port. Everything but GET /metrics is 404. With [metrics]
 * token_sha256 set, a scraper sends Authorization: Bearer <token>; the
 * token's SHA-256 is compared in constant time. */
#define G_LOG_DOMAIN "th-http"

#include "server/http/http-private.h"
#include "server/metrics/metrics.h"

#include <string.h>
#include <gio/gio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SCRAPE_PROTOCOL "th-metrics"

/* lws's per-request data on the metrics vhost. */
typedef struct {
  char *body; /* waiting for HTTP_WRITEABLE */
  gsize len;
} ScrapeSession;

static gboolean
bearer_ok (struct lws *wsi, const ThConfig *config)
{
  char auth[512];
  guint8 digest[32];
  unsigned int n = 0;
  int len = lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  const char *token;

  if (len <= 7 || len >= (int) sizeof auth ||
      lws_hdr_copy (wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) != len ||
      g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return FALSE;
  token = auth + 7;
  while (*token == ' ')
    token++;
  if (!EVP_Digest (token, strlen (token), digest, &n, EVP_sha256 (), NULL) || n != sizeof digest)
    return FALSE;
  return CRYPTO_memcmp (digest, config->metrics_token_sha256, sizeof digest) == 0;
}

/* Headers now, the body when the socket is writeable. */
static int
answer (struct lws *wsi, ScrapeSession *s, guint status, const char *content_type, char *body,
        gboolean challenge)
{
  guint8 buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;

  g_free (s->body);
  s->body = body;
  s->len = strlen (body);
  if (lws_add_http_common_headers (wsi, status, content_type, (lws_filepos_t) s->len, &p, end) ||
      lws_add_http_header_by_name (wsi, (const unsigned char *) "cache-control:",
                                   (const unsigned char *) "no-store", 8, &p, end))
    return -1;
  if (challenge &&
      lws_add_http_header_by_name (wsi, (const unsigned char *) "www-authenticate:",
                                   (const unsigned char *) "Bearer realm=\"telehealthd metrics\"",
                                   (int) strlen ("Bearer realm=\"telehealthd metrics\""), &p, end))
    return -1;
  if (lws_finalize_write_http_header (wsi, start, &p, end))
    return -1;
  lws_callback_on_writable (wsi);
  return 0;
}

static int
on_request (struct lws *wsi, ScrapeSession *s, ThHttpServer *server)
{
  char uri[64] = "";
  const ThConfig *config = server->app->config;

  if (lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) <= 0 ||
      lws_hdr_copy (wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp (uri, "/metrics") != 0)
    return answer (wsi, s, 404, "text/plain; charset=utf-8",
                   g_strdup ("only GET /metrics is served here\n"), FALSE);
  if (config->metrics_token_set && !bearer_ok (wsi, config))
    return answer (wsi, s, 401, "text/plain; charset=utf-8",
                   g_strdup ("send Authorization: Bearer <the metrics token>\n"), TRUE);
  /* Gauges read at scrape time (rooms, legs, the process) first. */
  if (server->handler.metrics_refresh)
    server->handler.metrics_refresh (server->handler_data);
  return answer (wsi, s, 200, "text/plain; version=0.0.4; charset=utf-8",
                 th_metrics_render (th_metrics ()), FALSE);
}

static int
on_writeable (struct lws *wsi, ScrapeSession *s)
{
  g_autofree guint8 *buf = NULL;
  gsize len = s->len;

  if (!s->body)
    return 0;
  buf = g_malloc (LWS_PRE + len);
  memcpy (buf + LWS_PRE, s->body, len);
  g_clear_pointer (&s->body, g_free);
  if (lws_write (wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) != (int) len)
    return -1;
  return lws_http_transaction_completed (wsi) ? -1 : 0;
}

static int
scrape_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len)
{
  ScrapeSession *s = user;
  ThHttpServer *server = lws_context_user (lws_get_context (wsi));

  switch (reason) {
  case LWS_CALLBACK_HTTP:
    return on_request (wsi, s, server);
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    return 0;
  case LWS_CALLBACK_HTTP_WRITEABLE:
    return on_writeable (wsi, s);
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return 1; /* no WebSocket here */
  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
  case LWS_CALLBACK_WSI_DESTROY:
    if (s)
      g_clear_pointer (&s->body, g_free);
    return 0;
  default:
    return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}

static struct lws_protocols scrape_protocols[] = {
  { SCRAPE_PROTOCOL, scrape_callback, sizeof (ScrapeSession), 0, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

gboolean
th_http_scrape_start (ThApp *app, GError **error)
{
  const ThConfig *config = app->config;
  struct lws_context_creation_info info;
  struct lws_vhost *vhost;
  int port;

  if (!config->metrics_on)
    return TRUE;
  memset (&info, 0, sizeof info);
  info.vhost_name = "metrics";
  info.port = config->metrics_port;
  info.iface = config->metrics_host;
  info.protocols = scrape_protocols;
  info.keepalive_timeout = 30;
  /* Plain HTTP: loopback, or a bearer token over a network the admin
   * chose (a TLS proxy in front if it crosses one they do not trust). */
  if (strchr (config->metrics_host, ':') == NULL)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  vhost = lws_create_vhost (app->lws, &info);
  port = vhost ? lws_get_vhost_listen_port (vhost) : -1;
  if (port <= 0 || port > G_MAXUINT16) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "could not listen for metrics on %s:%u ([metrics] listen): the address is in "
                 "use or not this machine's",
                 config->metrics_host, config->metrics_port);
    return FALSE;
  }
  app->metrics_port = (guint16) port;
  /* Tests (port 0) read the port from this line. */
  g_message ("metrics on http://%s%s%s:%u/metrics%s", strchr (config->metrics_host, ':') ? "[" : "",
             config->metrics_host, strchr (config->metrics_host, ':') ? "]" : "", port,
             config->metrics_token_set ? " (bearer token required)" : "");
  return TRUE;
}
