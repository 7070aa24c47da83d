/* ws_client.c — WebSocket clients on libwebsockets, on our GLib main loop.
 *
 * One lws context for the process (no listening vhost), one wsi per client
 * connection. Frames are reassembled and parsed as JSON before the owner
 * sees them; outgoing frames wait in a queue until lws says writable. Every
 * WsClient lives until ws_shutdown(), so a late lws callback never reaches
 * freed memory.
 */
#include "loadgen.h"

#include <libwebsockets.h>
#include <string.h>
#include <sys/socket.h>

struct _WsClient {
  struct lws *wsi;
  gchar *cookie;
  GQueue out;                /* GBytes with LWS_PRE bytes of headroom */
  GByteArray *rx;
  gboolean open, closing, gone;
  WsCallbacks cb;
  gpointer data;
  gchar *label;
};

static struct lws_context *context;
static GPtrArray *clients;
static gboolean shutting_down;

static void
gone (WsClient *ws, const char *why)
{
  if (ws->gone)
    return;
  ws->gone = TRUE;
  ws->open = FALSE;
  ws->wsi = NULL;
  if (!shutting_down && ws->cb.closed)
    ws->cb.closed (ws, why, ws->data);
}

static int
callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  (void) user;
  WsClient *ws = NULL;
  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
  case LWS_CALLBACK_CLIENT_RECEIVE:
  case LWS_CALLBACK_CLIENT_WRITEABLE:
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
  case LWS_CALLBACK_CLIENT_CLOSED:
  case LWS_CALLBACK_WSI_DESTROY:
    ws = wsi ? lws_get_opaque_user_data (wsi) : NULL;
    break;
  default:
    return 0;
  }
  if (ws == NULL)
    return 0;

  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    if (ws->cookie != NULL) {
      unsigned char **p = (unsigned char **) in, *end = (*p) + len;
      if (lws_add_http_header_by_token (wsi, WSI_TOKEN_HTTP_COOKIE,
                                        (const unsigned char *) ws->cookie,
                                        (int) strlen (ws->cookie), p, end))
        return -1;
    }
    return 0;
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    ws->open = TRUE;
    if (!g_queue_is_empty (&ws->out))
      lws_callback_on_writable (wsi);
    if (!shutting_down && ws->cb.open)
      ws->cb.open (ws, ws->data);
    return 0;
  case LWS_CALLBACK_CLIENT_RECEIVE:
    g_byte_array_append (ws->rx, in, (guint) len);
    if (ws->rx->len > 1024 * 1024) {
      gone (ws, "oversized message");
      return -1;
    }
    if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0) {
      json_error_t jerr;
      json_t *msg = json_loadb ((const char *) ws->rx->data, ws->rx->len, 0, &jerr);
      g_byte_array_set_size (ws->rx, 0);
      if (msg == NULL)
        g_warning ("%s: unparsable message: %s", ws->label, jerr.text);
      else {
        if (!shutting_down && ws->cb.message)
          ws->cb.message (ws, msg, ws->data);
        json_decref (msg);
      }
    }
    return 0;
  case LWS_CALLBACK_CLIENT_WRITEABLE: {
    GBytes *b = g_queue_pop_head (&ws->out);
    if (b != NULL) {
      gsize size;
      guint8 *buf = (guint8 *) g_bytes_get_data (b, &size);
      int n = lws_write (wsi, buf + LWS_PRE, size - LWS_PRE, LWS_WRITE_TEXT);
      g_bytes_unref (b);
      if (n < 0)
        return -1;
    }
    if (!g_queue_is_empty (&ws->out))
      lws_callback_on_writable (wsi);
    else if (ws->closing) {
      lws_close_reason (wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
      return -1;
    }
    return 0;
  }
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
    gchar *why = g_strdup_printf ("connection error: %s", in ? (const char *) in : "unknown");
    gone (ws, why);
    g_free (why);
    return 0;
  }
  case LWS_CALLBACK_CLIENT_CLOSED:
    gone (ws, "closed");
    return 0;
  case LWS_CALLBACK_WSI_DESTROY:
    gone (ws, "destroyed");
    return 0;
  default:
    return 0;
  }
}

static struct lws_protocols protocols[] = {
  { "th-load", callback, 0, 64 * 1024, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

gboolean
ws_init (GMainLoop *loop, GError **error)
{
  struct lws_context_creation_info info;
  void *foreign_loops[1] = { loop };
  lws_set_log_level (LLL_ERR, NULL);
  memset (&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  /* lws runs on our GLib loop: the same thread owns the pipelines' state. */
  info.options = LWS_SERVER_OPTION_GLIB;
  info.foreign_loops = foreign_loops;
  /* Ours and Janus idle fine; lws's default ping/idle timeouts stay off. */
  context = lws_create_context (&info);
  if (context == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "libwebsockets context failed (is libwebsockets-evlib-glib installed?)");
    return FALSE;
  }
  clients = g_ptr_array_new ();
  return TRUE;
}

static void
ws_free (gpointer data)
{
  WsClient *ws = data;
  GBytes *b;
  while ((b = g_queue_pop_head (&ws->out)) != NULL)
    g_bytes_unref (b);
  g_byte_array_unref (ws->rx);
  g_free (ws->cookie);
  g_free (ws->label);
  g_free (ws);
}

void
ws_shutdown (void)
{
  shutting_down = TRUE;
  if (context != NULL) {
    lws_context_destroy (context);
    context = NULL;
  }
  if (clients != NULL) {
    for (guint i = 0; i < clients->len; i++)
      ws_free (clients->pdata[i]);
    g_ptr_array_unref (clients);
    clients = NULL;
  }
}

WsClient *
ws_connect (const char *host, int port, const char *path, const char *subprotocol,
            const char *cookie, const WsCallbacks *cb, gpointer data)
{
  WsClient *ws = g_new0 (WsClient, 1);
  struct lws_client_connect_info i;
  ws->cookie = g_strdup (cookie);
  ws->rx = g_byte_array_new ();
  g_queue_init (&ws->out);
  ws->cb = *cb;
  ws->data = data;
  ws->label = g_strdup_printf ("ws://%s:%d%s", host, port, path);
  g_ptr_array_add (clients, ws);

  memset (&i, 0, sizeof i);
  i.context = context;
  i.address = host;
  i.port = port;
  i.path = path;
  i.host = host;
  /* No Origin: we are not a browser (the server refuses a foreign one). */
  i.origin = NULL;
  i.protocol = subprotocol;           /* Sec-WebSocket-Protocol, e.g. janus-protocol */
  i.local_protocol_name = "th-load";  /* our callback, whatever the server picks */
  i.ietf_version_or_minus_one = -1;
  i.opaque_user_data = ws;
  i.pwsi = &ws->wsi;
  if (lws_client_connect_via_info (&i) == NULL) {
    /* CONNECTION_ERROR may already have run; report once, from the loop. */
    ws->wsi = NULL;
    if (!ws->gone) {
      ws->gone = TRUE;
      if (ws->cb.closed)
        ws->cb.closed (ws, "connect failed", ws->data);
    }
  }
  return ws;
}

void
ws_send (WsClient *ws, json_t *msg)
{
  if (ws->gone || ws->closing) {
    json_decref (msg);
    return;
  }
  char *text = json_dumps (msg, JSON_COMPACT);
  json_decref (msg);
  gsize len = strlen (text);
  guint8 *buf = g_malloc (LWS_PRE + len);
  memcpy (buf + LWS_PRE, text, len);
  free (text);
  g_queue_push_tail (&ws->out, g_bytes_new_take (buf, LWS_PRE + len));
  if (ws->open && ws->wsi != NULL)
    lws_callback_on_writable (ws->wsi);
}

void
ws_close (WsClient *ws)
{
  if (ws->gone || ws->closing)
    return;
  ws->closing = TRUE;
  if (ws->wsi != NULL)
    lws_callback_on_writable (ws->wsi);
}

void
ws_abort (WsClient *ws)
{
  if (ws->gone)
    return;
  /* No close frame, as when a phone loses its network: the socket is shut
   * at once (the server sees the end of the stream now, not at lws's next
   * timeout pass, up to a second later), then lws frees the connection
   * (status NOSTATUS sends no close frame). */
  ws->closing = TRUE;
  if (ws->wsi != NULL) {
    lws_sockfd_type fd = lws_get_socket_fd (ws->wsi);
    if (fd >= 0)
      shutdown (fd, SHUT_RDWR);
    lws_set_timeout (ws->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
}

gboolean
ws_is_open (WsClient *ws)
{
  return ws->open && !ws->gone;
}
