/* ws.c — the /signaling WebSocket as a SigTransport: frames reassembled
 * with a size cap, a rate limit per connection, and an outbound queue that
 * is written only from LWS_CALLBACK_SERVER_WRITEABLE. */
#define G_LOG_DOMAIN "th-ws"

#include "server/http/http-private.h"

#include <string.h>

/* Limits come from [limits] in the config: a token bucket of message_burst
 * messages refilled at messages_per_second (a browser sends a few dozen ICE
 * candidates at once, nothing like the defaults), frames of max_frame_bytes,
 * and at most send_queue_bytes waiting for a slow reader. */
/* Messages refused for rate before the connection is closed as abusive. */
#define MAX_DROPPED 200
/* A frame declaring more than this many times max_frame_bytes is not a
 * message that got too long: the connection is closed (1009). Up to it the
 * frame is read, thrown away and answered "too-large". */
#define ABSURD_FRAME_FACTOR 4

struct _ThWsConn {
  struct lws *wsi;
  char *address;
  ThApp *app;
  SigConn *conn;
  GQueue out; /* GBytes, each with LWS_PRE bytes of headroom */
  gsize out_bytes;
  gboolean close_when_drained;
  guint16 close_status;
  GByteArray *rx;
  gboolean rx_oversize;
  gboolean rx_binary;
  double tokens;
  gint64 refilled_us;
  guint dropped;
  gboolean told_rate;
  gboolean joined;      /* past a verified hello: no longer counted per address */
  guint hello_deadline; /* GLib source closing it if no hello is verified in time */
};

static void
ws_close_now (ThWsConn *ws, guint16 status)
{
  ws->close_when_drained = TRUE;
  ws->close_status = status;
  lws_callback_on_writable (ws->wsi);
}

static void
transport_send (gpointer data, const char *text)
{
  ThWsConn *ws = data;
  gsize len = strlen (text);
  guint8 *buf;

  if (ws->close_when_drained)
    return;
  if (ws->out_bytes + len > ws->app->config->send_queue_bytes) {
    /* It does not read, so a polite close (queued behind everything else)
     * would never be sent: drop what is queued and cut the connection now.
     * The room sees a drop; the client may come back. */
    g_message ("cutting a signaling connection that does not read its messages");
    g_queue_clear_full (&ws->out, (GDestroyNotify) g_bytes_unref);
    ws->out_bytes = 0;
    ws->close_when_drained = TRUE;
    lws_set_timeout (ws->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    return;
  }
  buf = g_malloc (LWS_PRE + len);
  memcpy (buf + LWS_PRE, text, len);
  g_queue_push_tail (&ws->out, g_bytes_new_take (buf, LWS_PRE + len));
  ws->out_bytes += len;
  lws_callback_on_writable (ws->wsi);
}

static void
transport_close (gpointer data)
{
  ws_close_now (data, LWS_CLOSE_STATUS_NORMAL);
}

static void transport_joined (gpointer data);

static const SigTransport transport = {
  .send = transport_send,
  .close = transport_close,
  .joined = transport_joined,
};

/* Connections that have not said a verified hello are counted per
 * address, generously (a clinic's NAT); after the hello each participant
 * has one live connection (a new one takes over), so no count is needed. */
static guint
address_count_add (ThWsConn *ws, int delta)
{
  GHashTable *counts = ws->app->ws_per_address;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, ws->address));

  n = delta > 0 ? n + 1 : (n > 0 ? n - 1 : 0);
  if (n)
    g_hash_table_replace (counts, g_strdup (ws->address), GUINT_TO_POINTER (n));
  else
    g_hash_table_remove (counts, ws->address);
  return n;
}

static void
say_bye_and_close (ThWsConn *ws, const char *reason)
{
  g_autofree char *bye = sig_encode_bye (reason);

  transport_send (ws, bye);
  ws_close_now (ws, LWS_CLOSE_STATUS_POLICY_VIOLATION);
}

static gboolean
hello_deadline_passed (gpointer data)
{
  ThWsConn *ws = data;

  ws->hello_deadline = 0;
  if (!ws->joined && !ws->close_when_drained)
    say_bye_and_close (ws, "hello-timeout");
  return G_SOURCE_REMOVE;
}

static void
note_joined (ThWsConn *ws)
{
  if (ws->joined || !sig_conn_joined (ws->conn))
    return;
  ws->joined = TRUE;
  address_count_add (ws, -1);
  g_clear_handle_id (&ws->hello_deadline, g_source_remove);
}

/* The hello was verified, maybe after its frame (checked on a store
 * worker, server/hooks.c). */
static void
transport_joined (gpointer data)
{
  note_joined (data);
}

ThWsConn *
th_ws_open (ThApp *app, struct lws *wsi)
{
  ThWsConn *ws = g_new0 (ThWsConn, 1);
  /* Staff are known by the session cookie of the upgrade request. */
  g_autofree char *cookie = th_http_session_cookie (wsi);
  char address[64] = "";

  ws->wsi = wsi;
  ws->app = app;
  ws->rx = g_byte_array_new ();
  ws->tokens = app->config->message_burst;
  ws->refilled_us = g_get_monotonic_time ();
  g_queue_init (&ws->out);
  lws_get_peer_simple (wsi, address, sizeof address);
  ws->address = g_strdup (address);
  ws->conn = sig_hub_connect (app->hub, &transport, ws, cookie, address);
  ws->hello_deadline = g_timeout_add_seconds (app->config->hello_timeout_s, hello_deadline_passed,
                                              ws);
  if (address_count_add (ws, +1) > app->config->connections_per_address) {
    g_autofree char *err = sig_encode_error (SIG_ERR_BUSY,
                                             "too many connections from your address");
    transport_send (ws, err);
    say_bye_and_close (ws, "too-many-connections");
  }
  return ws;
}

static gboolean
take_token (ThWsConn *ws)
{
  const ThConfig *c = ws->app->config;
  gint64 now = g_get_monotonic_time ();

  ws->tokens = MIN ((double) c->message_burst,
                    ws->tokens + (double) (now - ws->refilled_us) / 1e6 * c->messages_per_second);
  ws->refilled_us = now;
  if (ws->tokens >= 1.0) {
    ws->tokens -= 1.0;
    ws->told_rate = FALSE;
    return TRUE;
  }
  return FALSE;
}

static void
deliver (ThWsConn *ws)
{
  if (!take_token (ws)) {
    if (++ws->dropped >= MAX_DROPPED) {
      say_bye_and_close (ws, "rate-limited");
    } else if (!ws->told_rate) {
      /* One error per burst of refusals, not one per message. */
      g_autofree char *err = sig_encode_error (SIG_ERR_RATE_LIMITED,
                                               "too many messages; slow down");
      transport_send (ws, err);
      ws->told_rate = TRUE;
    }
    return;
  }
  if (ws->rx_oversize) {
    g_autofree char *message = g_strdup_printf ("frames are limited to %u bytes",
                                                ws->app->config->max_frame_bytes);
    g_autofree char *err = sig_encode_error (SIG_ERR_TOO_LARGE, message);
    transport_send (ws, err);
    return;
  }
  sig_conn_receive (ws->conn, (const char *) ws->rx->data, ws->rx->len, ws->rx_binary);
  note_joined (ws);
}

int
th_ws_receive (ThWsConn *ws, const void *in, size_t len)
{
  struct lws *wsi = ws->wsi;
  guint64 absurd = (guint64) ws->app->config->max_frame_bytes * ABSURD_FRAME_FACTOR;

  if (ws->close_when_drained)
    return 0;
  /* RFC 6455 7.4.1: 1009, a message too big to process. lws 4.1 takes any
   * 63-bit length and would read a 2^62-byte frame to its end. */
  if ((guint64) len + lws_remaining_packet_payload (wsi) > absurd) {
    static const char why[] = "frame too large";
    /* debug only: one line per such connection would be a log flood */
    g_debug ("closing a signaling connection that sent a frame of %" G_GUINT64_FORMAT " bytes",
             (guint64) len + lws_remaining_packet_payload (wsi));
    lws_close_reason (wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *) why,
                      sizeof why - 1);
    return -1;
  }
  if (lws_is_first_fragment (wsi)) {
    g_byte_array_set_size (ws->rx, 0);
    ws->rx_oversize = FALSE;
    ws->rx_binary = lws_frame_is_binary (wsi);
  }
  /* Past the cap the rest of the frame is read and thrown away: the client
   * hears "too-large" and the connection keeps working. */
  if (!ws->rx_oversize) {
    if (ws->rx->len + len > ws->app->config->max_frame_bytes) {
      ws->rx_oversize = TRUE;
      g_byte_array_set_size (ws->rx, 0);
    } else {
      g_byte_array_append (ws->rx, in, (guint) len);
    }
  }
  if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0) {
    deliver (ws);
    g_byte_array_set_size (ws->rx, 0);
    ws->rx_oversize = FALSE;
  }
  return 0;
}

int
th_ws_writeable (ThWsConn *ws)
{
  GBytes *msg = g_queue_pop_head (&ws->out);

  if (msg) {
    gsize size;
    guint8 *data = (guint8 *) g_bytes_get_data (msg, &size);
    int n = lws_write (ws->wsi, data + LWS_PRE, size - LWS_PRE, LWS_WRITE_TEXT);
    ws->out_bytes -= size - LWS_PRE;
    g_bytes_unref (msg);
    if (n < (int) (size - LWS_PRE))
      return -1;
    if (!g_queue_is_empty (&ws->out) || ws->close_when_drained)
      lws_callback_on_writable (ws->wsi);
    return 0;
  }
  if (ws->close_when_drained) {
    lws_close_reason (ws->wsi, ws->close_status, NULL, 0);
    return -1;
  }
  return 0;
}

void
th_ws_closed (ThWsConn *ws)
{
  if (!ws->joined)
    address_count_add (ws, -1);
  g_clear_handle_id (&ws->hello_deadline, g_source_remove);
  g_free (ws->address);
  if (ws->conn)
    sig_conn_disconnected (ws->conn);
  g_queue_clear_full (&ws->out, (GDestroyNotify) g_bytes_unref);
  g_byte_array_unref (ws->rx);
  g_free (ws);
}
