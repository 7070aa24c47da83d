/* http.c — the libwebsockets context on the GLib main loop: static files
 * from the web root, the REST API, and the /signaling WebSocket, all through
 * one protocol callback. */
#define G_LOG_DOMAIN "th-http"

#include "server/http/http-private.h"
#include "server/metrics/metrics.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#define PROTOCOL_NAME "telehealth"

static void
session_clear_http (ThSession *s)
{
  g_clear_pointer (&s->path, g_free);
  g_clear_pointer (&s->query, g_free);
  g_clear_pointer (&s->bearer, g_free);
  g_clear_pointer (&s->session_id, g_free);
  g_clear_pointer (&s->csrf, g_free);
  g_clear_pointer (&s->response, g_free);
  s->close_after = FALSE;
  if (s->answer) {
    g_free (s->answer->body);
    g_free (s->answer->set_cookie);
    g_clear_pointer (&s->answer, g_free);
  }
  if (s->body) {
    g_byte_array_unref (s->body);
    s->body = NULL;
  }
  s->body_too_large = FALSE;
  s->body_deadline_us = 0;
  s->answered = FALSE;
  s->route = NULL;
  s->started_us = 0;
}

/* One answered request, by its route's pattern (never the path: it holds
 * ids) and status; the time from its headers to its answer's. */
static void
count_request (const char *route, guint status, gint64 started_us)
{
  char code[8];

  g_snprintf (code, sizeof code, "%u", status);
  th_metrics_inc (TH_M_HTTP_REQUESTS, route, code);
  if (started_us > 0)
    th_metrics_observe (TH_M_HTTP_DURATION,
                        (double) (g_get_monotonic_time () - started_us) / G_USEC_PER_SEC, route);
}

static char *
copy_header (struct lws *wsi, enum lws_token_indexes token)
{
  int len = lws_hdr_total_length (wsi, token);
  char *buf;

  if (len <= 0 || len > 8192)
    return NULL;
  buf = g_malloc ((gsize) len + 1);
  if (lws_hdr_copy (wsi, buf, len + 1, token) < 0) {
    g_free (buf);
    return NULL;
  }
  return buf;
}

/* The raw query string: lws splits it into fragments at '&'. */
static char *
copy_query (struct lws *wsi)
{
  GString *q = g_string_new (NULL);
  char frag[512];

  for (int i = 0; i < 32; i++) {
    int n = lws_hdr_copy_fragment (wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n <= 0)
      break;
    if (q->len)
      g_string_append_c (q, '&');
    g_string_append_len (q, frag, n);
  }
  return g_string_free (q, q->len == 0);
}

char *
th_http_session_cookie (struct lws *wsi)
{
  char buf[128];
  size_t max = sizeof buf;

  if (lws_http_cookie_get (wsi, TH_SESSION_COOKIE, buf, &max) != 0 || max == 0)
    return NULL;
  return g_strndup (buf, max);
}

static const char kNoAnswer[] = "{\"error\":{\"code\":\"internal\",\"message\":"
                                "\"the server could not answer this request; try again\"}}";

/* Takes `body`; a handler that answered nothing gets a 500, not a crash. */
static int
send_response (struct lws *wsi, ThSession *s, const ThHttpResponse *resp, char *body)
{
  guint8 buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
  guint status = resp->status;
  const char *content_type = resp->content_type ? resp->content_type : "application/json";
  gsize len;

  if (body && status == 200 && resp->stream[0])
    return th_http_stream_start (wsi, s, resp, body);
  if (!body || status < 100 || status > 599) {
    g_warning ("%s %s: the handler gave no answer (status %u); answering 500",
               s->method == TH_HTTP_POST ? "POST" : "GET", s->path ? s->path : "?", status);
    g_free (body);
    body = g_strdup (kNoAnswer);
    status = 500;
    content_type = "application/json";
  }
  count_request (s->route ? s->route : "other", status, s->started_us);
  len = strlen (body);
  g_free (s->response);
  s->response = body;
  s->response_len = len;
  s->answered = TRUE;
  if (lws_add_http_common_headers (wsi, status, content_type, (lws_filepos_t) len, &p, end) ||
      lws_add_http_header_by_name (wsi, (const unsigned char *) "cache-control:",
                                   (const unsigned char *) "no-store", 8, &p, end))
    return -1;
  if (s->close_after && lws_add_http_header_by_name (wsi, (const unsigned char *) "connection:",
                                                     (const unsigned char *) "close", 5, &p, end))
    return -1;
  if (status == resp->status && resp->set_cookie &&
      lws_add_http_header_by_name (wsi, (const unsigned char *) "set-cookie:",
                                   (const unsigned char *) resp->set_cookie,
                                   (int) strlen (resp->set_cookie), &p, end))
    return -1;
  if (status == resp->status && resp->retry_after) {
    char secs[16];
    int n = g_snprintf (secs, sizeof secs, "%u", resp->retry_after);
    if (lws_add_http_header_by_name (wsi, (const unsigned char *) "retry-after:",
                                     (const unsigned char *) secs, n, &p, end))
      return -1;
  }
  if (resp->allow && lws_add_http_header_by_name (wsi, (const unsigned char *) "allow:",
                                                  (const unsigned char *) resp->allow,
                                                  (int) strlen (resp->allow), &p, end))
    return -1;
  if (lws_finalize_write_http_header (wsi, start, &p, end))
    return -1;
  lws_callback_on_writable (wsi);
  return 0;
}

/* Answers a request the transport refuses itself and, when `close` is
 * set, ends the connection after it: what follows a malformed request
 * cannot be trusted to start a new one. Only a refusal of what someone
 * asked for (413) is told to the handler for the audit log; malformed
 * requests are not, so a flood of them cannot grow the audit log. */
static int
refuse (struct lws *wsi, ThSession *s, guint status, const char *code, const char *message,
        gboolean close)
{
  ThHttpServer *server = lws_context_user (lws_get_context (wsi));
  ThHttpResponse resp = { .status = status };
  g_autoptr (GString) body = g_string_new ("{\"error\":{\"code\":\"");

  if (server->handler.refused && status == 413)
    server->handler.refused (server->handler_data, &(ThHttpRefusal) { .address = s->address,
                                                                      .status = status,
                                                                      .code = code,
                                                                      .path = s->path });
  /* code and message are our own constants: nothing to escape */
  g_string_append_printf (body, "%s\",\"message\":\"%s\"}}", code, message);
  s->close_after = close;
  return send_response (wsi, s, &resp, g_string_free (g_steal_pointer (&body), FALSE));
}

static int
begin_http (struct lws *wsi, ThSession *s)
{
  char *auth;

  th_http_pending_detach (s);
  session_clear_http (s);
  s->started_us = g_get_monotonic_time ();
  if ((s->path = copy_header (wsi, WSI_TOKEN_GET_URI)))
    s->method = TH_HTTP_GET;
  else if ((s->path = copy_header (wsi, WSI_TOKEN_POST_URI)))
    s->method = TH_HTTP_POST;
  else {
    s->method = TH_HTTP_OTHER;
    s->path = g_strdup ("/");
  }
  s->query = copy_query (wsi);
  auth = copy_header (wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  if (auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    s->bearer = g_strstrip (g_strdup (auth + 7));
  g_free (auth);
  s->session_id = th_http_session_cookie (wsi);
  {
    int n = lws_hdr_custom_length (wsi, "x-csrf-token:", 13);
    if (n > 0 && n < 256) {
      s->csrf = g_malloc ((gsize) n + 1);
      if (lws_hdr_custom_copy (wsi, s->csrf, n + 1, "x-csrf-token:", 13) < 0)
        g_clear_pointer (&s->csrf, g_free);
    }
  }
  {
    char flag[4] = "";
    int n = lws_hdr_custom_length (wsi, "x-th-background:", 16);
    s->background = n == 1 &&
                    lws_hdr_custom_copy (wsi, flag, sizeof flag, "x-th-background:", 16) > 0 &&
                    flag[0] == '1';
  }
  lws_get_peer_simple (wsi, s->address, sizeof s->address);
  return 0;
}

static int
run_api (struct lws *wsi, ThSession *s, ThHttpServer *server)
{
  ThHttpTransport transport = { wsi, s };
  ThHttpRequest req = {
    .method = s->method,
    .path = s->path,
    .query = s->query,
    .bearer = s->bearer,
    .session_id = s->session_id,
    .csrf = s->csrf,
    .background = s->background,
    .address = s->address,
    .body = s->body ? (const char *) s->body->data : NULL,
    .body_len = s->body ? s->body->len : 0,
    .transport = &transport,
  };
  ThHttpResponse resp = { 0 };
  int rc;

  if (s->body_too_large) {
    g_autofree char *message = g_strdup_printf ("the body is limited to %u bytes",
                                                server->app->config->http_body_bytes);
    return refuse (wsi, s, 413, "too-large", message, FALSE);
  }
  server->handler.handle (server->handler_data, &req, &resp);
  s->route = resp.route;
  if (resp.deferred) {
    /* th_http_pending_finish answers later; nothing is sent now. */
    g_free (resp.body);
    g_free (resp.set_cookie);
    return 0;
  }
  rc = send_response (wsi, s, &resp, resp.body);
  g_free (resp.set_cookie);
  return rc;
}

/* Content-Length as RFC 9110 has it: digits only. lws reads it with
 * atoll, so "-1" or a number past 2^63 would leave it waiting for a body
 * that never ends. */
static gboolean
content_length_ok (struct lws *wsi)
{
  char text[24];
  int n = lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  guint64 value;

  if (n <= 0)
    return TRUE;
  if (n >= (int) sizeof text ||
      lws_hdr_copy (wsi, text, sizeof text, WSI_TOKEN_HTTP_CONTENT_LENGTH) != n)
    return FALSE;
  for (int i = 0; i < n; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL);
}

/* LWS_CALLBACK_HTTP: the headers are in. */
static int
on_http (struct lws *wsi, ThSession *s, ThHttpServer *server)
{
  begin_http (wsi, s);
  if (!content_length_ok (wsi))
    return refuse (wsi, s, 400, "bad-length", "Content-Length must be a whole number of bytes",
                   TRUE);
  if (s->method == TH_HTTP_POST) {
    /* lws 4.1 does not deliver chunked request bodies: ask for a length
     * rather than leave the client hanging. */
    if (lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
      return refuse (wsi, s, 411, "length-required", "send the body with a Content-Length", TRUE);
    /* lws times out a body that stalls between reads; this bounds the
     * whole of it (one byte every few seconds would otherwise do). */
    s->body_deadline_us = g_get_monotonic_time () +
                          (gint64) server->app->config->body_timeout_s * G_USEC_PER_SEC;
    return 0; /* the body follows in LWS_CALLBACK_HTTP_BODY */
  }
  return run_api (wsi, s, server);
}

static int
on_http_body (struct lws *wsi, ThSession *s, ThHttpServer *server, const void *in, size_t len)
{
  if (s->answered)
    return 0;
  if (g_get_monotonic_time () > s->body_deadline_us)
    return refuse (wsi, s, 408, "body-timeout", "the request body came too slowly", TRUE);
  if (!s->body)
    s->body = g_byte_array_new ();
  if (s->body->len + len > server->app->config->http_body_bytes)
    s->body_too_large = TRUE;
  else
    g_byte_array_append (s->body, in, (guint) len);
  return 0;
}

/* An upgrade with no Origin comes from a non-browser client (it has no
 * ambient cookie to abuse); a browser's Origin must name the Host it asked. */
static gboolean
origin_is_ours (struct lws *wsi)
{
  g_autofree char *origin = copy_header (wsi, WSI_TOKEN_ORIGIN);
  g_autofree char *host = copy_header (wsi, WSI_TOKEN_HOST);
  const char *sep;

  if (!origin)
    return TRUE;
  if (!host)
    return FALSE;
  sep = strstr (origin, "://");
  return sep && g_ascii_strcasecmp (sep + 3, host) == 0;
}

static GPtrArray *peer_origins; /* the nodes' base URLs: their pages are ours too */

/* A page of one of the nodes sharing our database (th_http_set_peer_nodes):
 * the same service, on another address. */
static gboolean
origin_is_peer (struct lws *wsi)
{
  g_autofree char *origin = copy_header (wsi, WSI_TOKEN_ORIGIN);

  for (guint i = 0; origin && peer_origins && i < peer_origins->len; i++)
    if (g_ascii_strcasecmp (origin, peer_origins->pdata[i]) == 0)
      return TRUE;
  return FALSE;
}

/* RFC 6585 431: a URI or headers larger than any page of ours sends. */
static gboolean
headers_too_large (struct lws *wsi)
{
  int total = 0;

  for (int t = 0; t < (int) WSI_TOKEN_COUNT; t++) {
    int n = lws_hdr_total_length (wsi, (enum lws_token_indexes) t);
    if (n > 0)
      total += n;
  }
  return lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) > TH_HTTP_MAX_URI_BYTES ||
         lws_hdr_total_length (wsi, WSI_TOKEN_POST_URI) > TH_HTTP_MAX_URI_BYTES ||
         total > TH_HTTP_MAX_HEADER_BYTES;
}

/* Sockets are counted from their creation to their destruction: at the
 * cap a new one is closed at once, before it costs more than its accept. */
static int
on_network_connection (struct lws *wsi, ThHttpServer *server)
{
  /* `wsi` is the listening socket's: kept for shedding at EMFILE. */
  server->listen_fd = lws_get_socket_fd (wsi);
  if (server->connections < server->max_connections)
    return 0;
  if (server->refused_full++ % 1000 == 0)
    g_warning ("%u connections open, the most allowed ([limits] max_connections): "
               "refusing new ones (%u so far)",
               server->connections, server->refused_full);
  return 1;
}

static int
on_http_writeable (struct lws *wsi, ThSession *s)
{
  gboolean close_after = s->close_after;
  /* lws_write needs LWS_PRE bytes of headroom before the payload. */
  g_autofree guint8 *buf = NULL;
  gsize len = s->response_len;

  if (!s->response)
    return 0;
  buf = g_malloc (LWS_PRE + len);
  memcpy (buf + LWS_PRE, s->response, len);
  /* The request is answered: drop its state now. lws frees this session's
   * memory on a kept-alive connection's next bind without telling us when
   * the request came through a mount's fallback (LeakSanitizer: a 404'd
   * path leaked). */
  session_clear_http (s);
  if (lws_write (wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) != (int) len || close_after)
    return -1;
  if (lws_http_transaction_completed (wsi))
    return -1;
  return 0;
}

/* A deferred answer (pending.c): its headers now, its body on the next
 * WRITEABLE. */
static int
send_deferred (struct lws *wsi, ThSession *s)
{
  ThHttpResponse *answer = s->answer;
  int rc;

  s->answer = NULL;
  rc = send_response (wsi, s, answer, answer->body);
  g_free (answer->set_cookie);
  g_free (answer);
  return rc;
}

static int
callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  ThSession *s = user;
  ThHttpServer *server = lws_context_user (lws_get_context (wsi));
  ThApp *app = server->app;

  switch (reason) {
  case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
    return on_network_connection (wsi, server);

  case LWS_CALLBACK_WSI_CREATE:
    server->connections++;
    return 0;

  case LWS_CALLBACK_HTTP:
    return on_http (wsi, s, server);

  case LWS_CALLBACK_HTTP_BODY:
    return on_http_body (wsi, s, server, in, len);

  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    return s->answered ? 0 : run_api (wsi, s, server);

  case LWS_CALLBACK_HTTP_WRITEABLE:
    if (s->stream)
      return th_http_stream_writeable (wsi, s);
    if (s->answer)
      return send_deferred (wsi, s);
    return on_http_writeable (wsi, s);

  case LWS_CALLBACK_HTTP_FILE_COMPLETION:
    /* A static file lws served whole (what it refuses itself, it answers
     * without telling us). */
    count_request ("static", 200, 0);
    return lws_callback_http_dummy (wsi, reason, user, in, len);

  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    if (s) {
      th_http_stream_detach (s);
      session_clear_http (s);
    }
    return 0;

  /* lws skips CLOSED_HTTP for a connection closed outside an established
   * state (seen under LeakSanitizer: the request path leaked); the wsi's
   * last notification, with its session data still intact, always comes. */
  case LWS_CALLBACK_WSI_DESTROY:
    if (server->connections > 0)
      server->connections--;
    if (s) {
      th_http_pending_detach (s);
      th_http_stream_detach (s);
      session_clear_http (s);
    }
    return 0;

  case LWS_CALLBACK_FILTER_HTTP_CONNECTION: {
    /* Every request, static files included (those lws serves itself). */
    g_autofree char *uri = NULL;
    char address[64] = "";
    if (headers_too_large (wsi)) {
      lws_return_http_status (wsi, 431, "the request line and headers are too long");
      return 1;
    }
    uri = copy_header (wsi, WSI_TOKEN_GET_URI);
    if (!uri)
      uri = copy_header (wsi, WSI_TOKEN_POST_URI);
    if (uri && server->handler.uri_seen) {
      lws_get_peer_simple (wsi, address, sizeof address);
      server->handler.uri_seen (server->handler_data, address, uri);
    }
    return 0;
  }

  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
    /* The only WebSocket we serve is /signaling. */
    char uri[64];
    if (lws_hdr_copy (wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
        strcmp (uri, "/signaling") != 0)
      return 1;
    /* The session cookie rides along with any page's WebSocket: only our own
     * pages may open one (no cross-site WebSocket hijacking). With several
     * nodes, the pages of the nodes and of the address in front of them
     * are ours too (a redirect sends them here, cluster.h). */
    if (!origin_is_ours (wsi) && !(app->cluster && origin_is_peer (wsi))) {
      g_message ("refused a WebSocket from another origin");
      return 1;
    }
    return 0;
  }

  case LWS_CALLBACK_ESTABLISHED:
    s->ws = th_ws_open (app, wsi);
    return 0;

  case LWS_CALLBACK_RECEIVE:
    return s->ws ? th_ws_receive (s->ws, in, len) : 0;

  case LWS_CALLBACK_SERVER_WRITEABLE:
    return s->ws ? th_ws_writeable (s->ws) : 0;

  case LWS_CALLBACK_CLOSED:
    if (s->ws) {
      th_ws_closed (s->ws);
      s->ws = NULL;
    }
    return 0;

  default:
    return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}

static struct lws_protocols protocols[] = {
  /* First in the list: WebSocket upgrades that name no subprotocol (as
   * browsers' `new WebSocket(url)`) bind to it. */
  { PROTOCOL_NAME, callback, sizeof (ThSession), 4096, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Sent with every response. The pages load nothing from elsewhere and run
 * no inline script. */
static const struct lws_protocol_vhost_options header_nosniff = {
  NULL, NULL, "x-content-type-options:", "nosniff"
};
static const struct lws_protocol_vhost_options header_referrer = {
  &header_nosniff, NULL, "referrer-policy:", "no-referrer"
};
#define CSP_BEFORE_CONNECT                                                                 \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " \
  "media-src 'self' blob:; connect-src 'self'"
#define CSP_AFTER_CONNECT "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
/* Not const: with several nodes, connect-src also names the other nodes'
 * signaling (th_http_set_peer_nodes). lws reads the value as it writes each
 * response's headers, on this same loop. */
static struct lws_protocol_vhost_options header_csp = {
  &header_referrer, NULL, "content-security-policy:", CSP_BEFORE_CONNECT CSP_AFTER_CONNECT
};
static char *csp_with_peers;

/* Only a plain scheme://host[:port]: the value goes into a header. */
static gboolean
peer_url_plain (const char *url)
{
  const char *host = g_str_has_prefix (url, "https://") ? url + 8
                     : g_str_has_prefix (url, "http://") ? url + 7
                                                         : NULL;
  if (!host || !*host || strlen (url) > 300)
    return FALSE;
  for (const char *p = host; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr (".-:[]", *p))
      return FALSE;
  return TRUE;
}

void
th_http_set_peer_nodes (const GPtrArray *base_urls)
{
  GString *csp = g_string_new (CSP_BEFORE_CONNECT);
  char *old = csp_with_peers;

  g_clear_pointer (&peer_origins, g_ptr_array_unref);
  peer_origins = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; base_urls && i < base_urls->len; i++) {
    const char *url = base_urls->pdata[i];
    if (!peer_url_plain (url))
      continue;
    /* A page loaded from one node may open the signaling socket of the
     * node hosting its visit (a redirect). */
    g_string_append_printf (csp, " %s%s", g_str_has_prefix (url, "https://") ? "wss://" : "ws://",
                            strstr (url, "://") + 3);
    g_ptr_array_add (peer_origins, g_strdup (url));
  }
  g_string_append (csp, CSP_AFTER_CONNECT);
  csp_with_peers = g_string_free (csp, FALSE);
  header_csp.value = csp_with_peers;
  g_free (old);
}

static struct lws_http_mount mount_healthz;
static struct lws_http_mount mount_api;
static struct lws_http_mount mount_root;

gboolean
th_http_start (ThApp *app, const ThHttpHandler *handler, gpointer handler_data, GError **error)
{
  /* HSTS only when serving TLS: over plain http browsers ignore it. */
  static const struct lws_protocol_vhost_options header_hsts = {
    &header_csp, NULL, "strict-transport-security:", "max-age=31536000"
  };
  struct lws_context_creation_info info;
  void *foreign_loops[1];
  ThHttpServer *server;
  struct lws_vhost *vhost;
  int port;

  server = g_new0 (ThHttpServer, 1);
  server->app = app;
  server->handler = *handler;
  server->handler_data = handler_data;
  server->listen_fd = -1;
  server->max_connections = th_http_connection_cap (app->config->max_connections);
  th_http_guard_start (server);

  mount_healthz = (struct lws_http_mount) {
    .mountpoint = "/healthz",
    .mountpoint_len = 8,
    .origin = PROTOCOL_NAME,
    .origin_protocol = LWSMPRO_CALLBACK,
  };
  mount_api = (struct lws_http_mount) {
    .mount_next = &mount_healthz,
    .mountpoint = "/api",
    .mountpoint_len = 4,
    .origin = PROTOCOL_NAME,
    .origin_protocol = LWSMPRO_CALLBACK,
  };
  mount_root = (struct lws_http_mount) {
    .mount_next = &mount_api,
    .mountpoint = "/",
    .mountpoint_len = 1,
    .origin = app->config->web_root,
    .def = "index.html",
    .origin_protocol = LWSMPRO_FILE,
  };

  memset (&info, 0, sizeof info);
  /* Port 0 goes to lws as it is: it binds there, the kernel picks a free
   * port and we read back the one bound. Asking the kernel first and
   * binding again later would let another process take the port between
   * the two. */
  info.port = app->config->listen_port;
  info.iface = app->config->listen_host;
  info.protocols = protocols;
  info.mounts = &mount_root;
  info.headers = &header_csp;
  info.user = server;
  /* Room for more than we accept (headers_too_large), so that an
   * oversize request line or header mostly gets its 431. */
  info.max_http_header_data = TH_HTTP_HEADER_TABLE_BYTES;
  /* Longer than clients keep idle connections (browsers, Node's 4 s), so it
   * is never the server that closes one just as the client reuses it. */
  info.keepalive_timeout = 30;
  /* lws runs on our GLib main loop: one thread owns all state. */
  /* No LWS_SERVER_OPTION_VALIDATE_UTF8: lws would drop the connection, and
   * the protocol answers bad UTF-8 with an error and keeps serving. */
  info.options = LWS_SERVER_OPTION_GLIB;
  foreign_loops[0] = app->loop;
  info.foreign_loops = foreign_loops;
  if (strchr (app->config->listen_host, ':') == NULL)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  if (app->tls_cert_path) {
    /* th_tls_prepare checked both files load and match. No redirect from
     * http: plain requests on this port are simply dropped. */
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = app->tls_cert_path;
    info.ssl_private_key_filepath = app->tls_key_path;
    /* TLS 1.2 minimum; for 1.2, forward-secret AEAD suites only (1.3's
     * are all of that kind and keep OpenSSL's defaults). */
    info.ssl_options_set = (long) (SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
    /* HTTP/1.1 only: browsers would otherwise speak HTTP/2 and carry the
     * WebSocket over it (RFC 8441), which lws 4.1 supports less well. */
    info.alpn = "http/1.1";
    info.ssl_cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                           "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                           "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
    info.headers = &header_hsts;
  }

  app->lws = lws_create_context (&info);
  vhost = app->lws ? lws_get_vhost_by_name (app->lws, "default") : NULL;
  port = vhost ? lws_get_vhost_listen_port (vhost) : -1;
  if (port <= 0 || port > G_MAXUINT16) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "could not listen on %s:%u (address in use, or the libwebsockets GLib "
                 "event library is missing: apt-get install libwebsockets-evlib-glib)",
                 app->config->listen_host, app->config->listen_port);
    if (app->lws)
      th_http_stop (app); /* frees the server too */
    else
      th_http_guard_stop (server);
    return FALSE;
  }
  app->port = (guint16) port;
  if (!th_http_scrape_start (app, error)) {
    th_http_stop (app);
    return FALSE;
  }
  g_message ("at most %u connections at once", server->max_connections);
  return TRUE;
}

void
th_http_stop (ThApp *app)
{
  ThHttpServer *server;

  if (!app->lws)
    return;
  server = lws_context_user (app->lws);
  th_http_stream_stop (server);
  lws_context_destroy (app->lws);
  app->lws = NULL;
  th_http_guard_stop (server);
}
