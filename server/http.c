/* http.c — the libwebsockets context on the GLib main loop: static files
 * from the web root, the REST API, and the /signaling WebSocket, all through
 * one protocol callback. */
#define G_LOG_DOMAIN "th-http"

#include "server/api.h"
#include "server/http-private.h"

#include <string.h>
#include <gio/gio.h>

#define PROTOCOL_NAME "telehealth"

static void
session_clear_http (ThSession *s)
{
  g_clear_pointer (&s->path, g_free);
  g_clear_pointer (&s->query, g_free);
  g_clear_pointer (&s->bearer, g_free);
  g_clear_pointer (&s->response, g_free);
  if (s->body) {
    g_byte_array_unref (s->body);
    s->body = NULL;
  }
  s->body_too_large = FALSE;
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

static int
send_response (struct lws *wsi, ThSession *s, guint status, char *body, const char *content_type)
{
  guint8 buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
  gsize len = strlen (body);

  g_free (s->response);
  s->response = body;
  s->response_len = len;
  if (lws_add_http_common_headers (wsi, status, content_type ? content_type : "application/json",
                                   (lws_filepos_t) len, &p, end) ||
      lws_add_http_header_by_name (wsi, (const unsigned char *) "cache-control:",
                                   (const unsigned char *) "no-store", 8, &p, end) ||
      lws_finalize_write_http_header (wsi, start, &p, end))
    return -1;
  lws_callback_on_writable (wsi);
  return 0;
}

static int
run_api (struct lws *wsi, ThSession *s, ThApp *app)
{
  ThHttpRequest req = {
    .method = s->method,
    .path = s->path,
    .query = s->query,
    .bearer = s->bearer,
    .body = s->body ? (const char *) s->body->data : NULL,
    .body_len = s->body ? s->body->len : 0,
  };
  ThHttpResponse resp = { 0 };

  if (s->body_too_large) {
    return send_response (wsi, s, 413,
                          g_strdup ("{\"error\":{\"code\":\"too-large\",\"message\":\"the body is "
                                    "limited to 64 KiB\"}}"), NULL);
  }
  th_api_handle (app, &req, &resp);
  return send_response (wsi, s, resp.status, resp.body, resp.content_type);
}

static int
begin_http (struct lws *wsi, ThSession *s)
{
  char *auth;

  session_clear_http (s);
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
  return 0;
}

static int
callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  ThSession *s = user;
  ThApp *app = lws_context_user (lws_get_context (wsi));

  switch (reason) {
  case LWS_CALLBACK_HTTP:
    begin_http (wsi, s);
    if (s->method == TH_HTTP_POST)
      return 0;  /* the body follows in LWS_CALLBACK_HTTP_BODY */
    return run_api (wsi, s, app);

  case LWS_CALLBACK_HTTP_BODY:
    if (!s->body)
      s->body = g_byte_array_new ();
    if (s->body->len + len > TH_API_MAX_BODY)
      s->body_too_large = TRUE;
    else
      g_byte_array_append (s->body, in, (guint) len);
    return 0;

  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    return run_api (wsi, s, app);

  case LWS_CALLBACK_HTTP_WRITEABLE:
    if (!s->response)
      return 0;
    {
      /* lws_write needs LWS_PRE bytes of headroom before the payload. */
      g_autofree guint8 *buf = g_malloc (LWS_PRE + s->response_len);
      memcpy (buf + LWS_PRE, s->response, s->response_len);
      g_clear_pointer (&s->response, g_free);
      if (lws_write (wsi, buf + LWS_PRE, s->response_len, LWS_WRITE_HTTP_FINAL) !=
          (int) s->response_len)
        return -1;
    }
    if (lws_http_transaction_completed (wsi))
      return -1;
    return 0;

  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    if (s)
      session_clear_http (s);
    return 0;

  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
    /* The only WebSocket we serve is /signaling. */
    char uri[64];
    if (lws_hdr_copy (wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
        strcmp (uri, "/signaling") != 0)
      return 1;
    return 0;
  }

  case LWS_CALLBACK_ESTABLISHED:
    s->ws = th_ws_open (app, wsi);
    return 0;

  case LWS_CALLBACK_RECEIVE:
    if (s->ws)
      th_ws_receive (s->ws, in, len);
    return 0;

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
static const struct lws_protocol_vhost_options header_csp = {
  &header_referrer, NULL, "content-security-policy:",
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
  "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
  "form-action 'self'"
};

static struct lws_http_mount mount_healthz;
static struct lws_http_mount mount_api;
static struct lws_http_mount mount_root;

static void
log_emit (int level, const char *line)
{
  g_autofree char *text = g_strchomp (g_strdup (line));

  if (level & LLL_ERR)
    g_warning ("lws: %s", text);
  else
    g_message ("lws: %s", text);
}

/* lws takes a port number; to honour "port 0 = any free port" and still
 * print the real port, ask the kernel for one first. */
static guint16
pick_free_port (const char *host, GError **error)
{
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
  g_autoptr (GSocketAddress) sa = NULL, bound = NULL;
  g_autoptr (GSocket) sock = NULL;

  if (!addr)
    return 0;
  sock = g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, error);
  if (!sock)
    return 0;
  sa = g_inet_socket_address_new (addr, 0);
  if (!g_socket_bind (sock, sa, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (sock, error);
  if (!bound)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

gboolean
th_http_start (ThApp *app, GError **error)
{
  struct lws_context_creation_info info;
  void *foreign_loops[1];
  guint16 port = app->config->listen_port;

  if (port == 0 && !(port = pick_free_port (app->config->listen_host, error)))
    return FALSE;

  lws_set_log_level (LLL_ERR | LLL_WARN, log_emit);

  mount_healthz = (struct lws_http_mount) {
    .mountpoint = "/healthz", .mountpoint_len = 8, .origin = PROTOCOL_NAME,
    .origin_protocol = LWSMPRO_CALLBACK,
  };
  mount_api = (struct lws_http_mount) {
    .mount_next = &mount_healthz, .mountpoint = "/api", .mountpoint_len = 4,
    .origin = PROTOCOL_NAME, .origin_protocol = LWSMPRO_CALLBACK,
  };
  mount_root = (struct lws_http_mount) {
    .mount_next = &mount_api, .mountpoint = "/", .mountpoint_len = 1,
    .origin = app->config->web_root, .def = "index.html", .origin_protocol = LWSMPRO_FILE,
  };

  memset (&info, 0, sizeof info);
  info.port = port;
  info.iface = app->config->listen_host;
  info.protocols = protocols;
  info.mounts = &mount_root;
  info.headers = &header_csp;
  info.user = app;
  /* lws runs on our GLib main loop: one thread owns all state. */
  /* No LWS_SERVER_OPTION_VALIDATE_UTF8: lws would drop the connection, and
   * the protocol answers bad UTF-8 with an error and keeps serving. */
  info.options = LWS_SERVER_OPTION_GLIB;
  foreign_loops[0] = app->loop;
  info.foreign_loops = foreign_loops;
  if (strchr (app->config->listen_host, ':') == NULL)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;

  app->lws = lws_create_context (&info);
  if (!app->lws) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "could not listen on %s:%u (address in use, or the libwebsockets GLib "
                 "event library is missing: apt-get install libwebsockets-evlib-glib)",
                 app->config->listen_host, port);
    return FALSE;
  }
  app->port = port;
  return TRUE;
}

void
th_http_stop (ThApp *app)
{
  if (app->lws) {
    lws_context_destroy (app->lws);
    app->lws = NULL;
  }
}
