/* janus.c — the same visits against Janus's VideoRoom plugin, over Janus's
 * WebSocket API (subprotocol "janus-protocol"), the way janus.js does it.
 *
 * prepare: one control connection (session + videoroom handle) creates one
 * room per visit: 2 publishers, VP8 + Opus, `bitrate` (the REMB cap Janus
 * sends publishers; our clients' encoder ignores REMB, so it only has to be
 * above the stream's rate), fir_freq = --janus-fir-freq. The default 0 turns
 * Janus's periodic keyframe requests off: Janus then asks the publisher for a
 * keyframe when a subscriber starts, which is what our server does when a
 * receiving leg connects, so both servers see comparable keyframe requests.
 *
 * Each client, on its own WebSocket: create a session, attach a publisher
 * handle, join the visit's room as publisher, publish (our offer: sendonly
 * audio + video from the shared encoders; Janus answers), keepalive every
 * 25 s. When the other client's feed shows up (in `joined` or a later
 * `publishers` event), attach a second handle, join as subscriber to that
 * feed (Janus offers, we answer recvonly on a second webrtcbin) and start.
 * ICE candidates are trickled ({"janus":"trickle"}) on the handle of the
 * peer connection they belong to; Janus's own come inside its SDP and as
 * trickle events routed by `sender`.
 */
#include "loadgen.h"

#include <string.h>

typedef struct _JanusConn JanusConn;
typedef void (*ReplyFn) (JanusConn *jc, json_t *reply, gpointer data);

struct _JanusConn {
  WsClient *ws;
  json_int_t session;
  GHashTable *pending;       /* transaction → Pending */
  guint keepalive;
  void (*on_open) (JanusConn *jc, gpointer data);
  void (*on_event) (JanusConn *jc, json_t *msg, gpointer data);
  void (*on_closed) (JanusConn *jc, const char *why, gpointer data);
  gpointer data;
  gboolean open;
};

typedef struct {
  ReplyFn fn;
  gpointer data;
} Pending;

typedef struct {
  Client *client;
  JanusConn *jc;
  json_int_t pub_handle, sub_handle, my_feed, partner_feed;
  Peer *pub, *sub;
  gboolean subscribing;
} JanusClient;

static guint64 txn_counter;
static JanusConn *control;
static json_int_t control_handle;
static int rooms_pending;
static gboolean control_failed;

/* ---- connection + transactions ---- */

static void
jc_request (JanusConn *jc, json_t *msg, ReplyFn fn, gpointer data)
{
  gchar *txn = g_strdup_printf ("t%" G_GUINT64_FORMAT, ++txn_counter);
  json_object_set_new (msg, "transaction", json_string (txn));
  if (jc->session != 0 && json_object_get (msg, "session_id") == NULL)
    json_object_set_new (msg, "session_id", json_integer (jc->session));
  if (fn != NULL) {
    Pending *p = g_new (Pending, 1);
    p->fn = fn;
    p->data = data;
    g_hash_table_insert (jc->pending, txn, p);
  } else {
    g_free (txn);
  }
  ws_send (jc->ws, msg);
}

/* {"janus":"message","handle_id":H,"body":body[,"jsep":{type,sdp}]} */
static void
jc_message (JanusConn *jc, json_int_t handle, json_t *body, const char *jsep_type,
            const char *sdp, ReplyFn fn, gpointer data)
{
  json_t *msg = json_pack ("{s:s, s:I, s:o}", "janus", "message", "handle_id", handle, "body",
                           body);
  if (jsep_type != NULL)
    json_object_set_new (msg, "jsep", json_pack ("{s:s, s:s}", "type", jsep_type, "sdp", sdp));
  jc_request (jc, msg, fn, data);
}

static gboolean
keepalive (gpointer data)
{
  JanusConn *jc = data;
  if (jc->open && jc->session != 0)
    jc_request (jc, json_pack ("{s:s}", "janus", "keepalive"), NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
jc_ws_open (WsClient *ws, gpointer data)
{
  (void) ws;
  JanusConn *jc = data;
  jc->open = TRUE;
  if (jc->on_open)
    jc->on_open (jc, jc->data);
}

static void
jc_ws_message (WsClient *ws, json_t *msg, gpointer data)
{
  (void) ws;
  JanusConn *jc = data;
  const char *janus = json_string_value (json_object_get (msg, "janus"));
  const char *txn = json_string_value (json_object_get (msg, "transaction"));
  if (janus == NULL || strcmp (janus, "ack") == 0)
    return;    /* async requests: the real answer is a later event */
  if (txn != NULL &&
      (strcmp (janus, "success") == 0 || strcmp (janus, "error") == 0 ||
       strcmp (janus, "event") == 0)) {
    Pending *p = g_hash_table_lookup (jc->pending, txn);
    if (p != NULL) {
      Pending copy = *p;
      g_hash_table_remove (jc->pending, txn);
      copy.fn (jc, msg, copy.data);
      return;
    }
  }
  if (jc->on_event)
    jc->on_event (jc, msg, jc->data);
}

static void
jc_ws_closed (WsClient *ws, const char *why, gpointer data)
{
  (void) ws;
  JanusConn *jc = data;
  jc->open = FALSE;
  if (jc->on_closed)
    jc->on_closed (jc, why, jc->data);
}

static const WsCallbacks jc_ws_cb = { jc_ws_open, jc_ws_message, jc_ws_closed };

static JanusConn *
jc_connect (void (*on_open) (JanusConn *, gpointer),
            void (*on_event) (JanusConn *, json_t *, gpointer),
            void (*on_closed) (JanusConn *, const char *, gpointer), gpointer data)
{
  JanusConn *jc = g_new0 (JanusConn, 1);
  jc->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  jc->on_open = on_open;
  jc->on_event = on_event;
  jc->on_closed = on_closed;
  jc->data = data;
  /* Janus's default session timeout is 60 s; janus.js pings every 25 s. */
  jc->keepalive = g_timeout_add_seconds (25, keepalive, jc);
  jc->ws = ws_connect (opt.host, opt.port, "/", "janus-protocol", NULL, &jc_ws_cb, jc);
  return jc;
}

static void
jc_free (JanusConn *jc)
{
  if (jc == NULL)
    return;
  if (jc->keepalive)
    g_source_remove (jc->keepalive);
  g_hash_table_unref (jc->pending);
  g_free (jc);
}

/* A Janus error, or a plugin error inside an event; NULL when fine. */
static gchar *
reply_error (json_t *reply)
{
  json_t *err = json_object_get (reply, "error");
  if (err != NULL)
    return g_strdup_printf ("janus error %" JSON_INTEGER_FORMAT ": %s",
                            json_integer_value (json_object_get (err, "code")),
                            json_string_value (json_object_get (err, "reason")));
  json_t *data = json_object_get (json_object_get (reply, "plugindata"), "data");
  if (json_object_get (data, "error") != NULL)
    return g_strdup_printf ("videoroom error %" JSON_INTEGER_FORMAT ": %s",
                            json_integer_value (json_object_get (data, "error_code")),
                            json_string_value (json_object_get (data, "error")));
  return NULL;
}

static json_t *
plugin_data (json_t *reply)
{
  return json_object_get (json_object_get (reply, "plugindata"), "data");
}

/* ---- control connection: rooms ---- */

static void
room_created (JanusConn *jc, json_t *reply, gpointer data)
{
  (void) jc;
  Visit *v = data;
  gchar *err = reply_error (reply);
  json_t *room = json_object_get (plugin_data (reply), "room");
  if (err != NULL || !json_is_integer (room)) {
    g_printerr ("th-load: janus room for visit %d: %s\n", v->index, err ? err : "no room id");
    control_failed = TRUE;
  } else {
    v->janus_room = json_integer_value (room);
  }
  g_free (err);
  rooms_pending--;
}

static void
control_attached (JanusConn *jc, json_t *reply, gpointer data)
{
  (void) data;
  gchar *err = reply_error (reply);
  if (err != NULL) {
    g_printerr ("th-load: janus attach: %s\n", err);
    g_free (err);
    control_failed = TRUE;
    return;
  }
  control_handle = json_integer_value (json_object_get (json_object_get (reply, "data"), "id"));
  for (int i = 0; i < opt.visits; i++) {
    json_t *body = json_pack ("{s:s, s:i, s:s, s:s, s:I, s:i, s:b, s:b, s:s}", "request",
                              "create", "publishers", 2, "videocodec", "vp8", "audiocodec",
                              "opus", "bitrate", (json_int_t) opt.bitrate_kbps * 1500,
                              "fir_freq", opt.janus_fir_freq, "is_private", TRUE, "permanent",
                              FALSE, "description", "th-load");
    jc_message (jc, control_handle, body, NULL, NULL, room_created, &visits[i]);
  }
}

static void
control_session (JanusConn *jc, json_t *reply, gpointer data)
{
  (void) data;
  gchar *err = reply_error (reply);
  if (err != NULL) {
    g_printerr ("th-load: janus create session: %s\n", err);
    g_free (err);
    control_failed = TRUE;
    return;
  }
  jc->session = json_integer_value (json_object_get (json_object_get (reply, "data"), "id"));
  jc_request (jc, json_pack ("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"),
              control_attached, NULL);
}

static void
control_open (JanusConn *jc, gpointer data)
{
  (void) data;
  jc_request (jc, json_pack ("{s:s}", "janus", "create"), control_session, NULL);
}

static void
control_closed (JanusConn *jc, const char *why, gpointer data)
{
  (void) jc;
  (void) data;
  if (!loadgen_stopping ()) {
    g_printerr ("th-load: janus control connection: %s\n", why);
    control_failed = TRUE;
  }
}

static gboolean
rooms_done (gpointer data)
{
  (void) data;
  return control_failed || rooms_pending == 0;
}

static gboolean
prepare (GError **error)
{
  rooms_pending = opt.visits;
  control = jc_connect (control_open, NULL, control_closed, NULL);
  if (!loadgen_spin_until (rooms_done, NULL, opt.timeout_s) || control_failed) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "could not create %d Janus rooms at %s within %.0f s", opt.visits, opt.url,
                 opt.timeout_s);
    return FALSE;
  }
  return TRUE;
}

/* ---- a client ---- */

/* --verbose: when each step of a client's setup happened. */
static void
step (JanusClient *jcl, const char *what)
{
  if (opt.verbose)
    g_printerr ("th-load: visit %d %s: %s at %.0f ms\n", jcl->client->visit->index,
                jcl->client->role_name, what,
                (g_get_monotonic_time () - jcl->client->t0_us) / 1000.0);
}

static void
trickle (JanusClient *jcl, json_int_t handle, guint mline, const char *candidate)
{
  json_t *msg = json_pack ("{s:s, s:I, s:{s:s, s:i}}", "janus", "trickle", "handle_id", handle,
                           "candidate", "candidate", candidate, "sdpMLineIndex", (int) mline);
  jc_request (jcl->jc, msg, NULL, NULL);
}

static void
fail_reply (JanusClient *jcl, const char *what, json_t *reply)
{
  gchar *err = reply_error (reply);
  client_fail (jcl->client, "%s: %s", what, err ? err : "unexpected reply");
  g_free (err);
}

static void
on_published (JanusConn *jc, json_t *reply, gpointer data)
{
  (void) jc;
  JanusClient *jcl = data;
  json_t *jsep = json_object_get (reply, "jsep");
  const char *sdp = json_string_value (json_object_get (jsep, "sdp"));
  if (sdp == NULL) {
    fail_reply (jcl, "publish", reply);
    return;
  }
  step (jcl, "publisher answered");
  if (!peer_set_remote (jcl->pub, GST_WEBRTC_SDP_TYPE_ANSWER, sdp))
    client_fail (jcl->client, "unparsable Janus answer");
}

static void
on_started (JanusConn *jc, json_t *reply, gpointer data)
{
  (void) jc;
  JanusClient *jcl = data;
  gchar *err = reply_error (reply);
  if (err != NULL)
    client_fail (jcl->client, "subscriber start: %s", err);
  g_free (err);
}

static void
peer_local_sdp (Peer *peer, GstWebRTCSDPType type, const char *sdp, gpointer data)
{
  JanusClient *jcl = data;
  step (jcl, type == GST_WEBRTC_SDP_TYPE_OFFER ? "local offer" : "local answer");
  if (peer == jcl->pub && type == GST_WEBRTC_SDP_TYPE_OFFER)
    jc_message (jcl->jc, jcl->pub_handle,
                json_pack ("{s:s, s:b, s:b}", "request", "publish", "audio", TRUE, "video", TRUE),
                "offer", sdp, on_published, jcl);
  else if (peer == jcl->sub && type == GST_WEBRTC_SDP_TYPE_ANSWER)
    jc_message (jcl->jc, jcl->sub_handle, json_pack ("{s:s}", "request", "start"), "answer", sdp,
                on_started, jcl);
}

static void
peer_local_ice (Peer *peer, guint mline, const char *candidate, gpointer data)
{
  JanusClient *jcl = data;
  trickle (jcl, peer == jcl->pub ? jcl->pub_handle : jcl->sub_handle, mline, candidate);
}

static void
peer_failed (Peer *peer, const char *why, gpointer data)
{
  JanusClient *jcl = data;
  client_fail (jcl->client, "%s: %s", peer_name (peer), why);
}

static void
peer_connected (Peer *peer, gpointer data)
{
  step (data, peer == ((JanusClient *) data)->pub ? "publisher connected" : "subscriber connected");
}

static const PeerCallbacks peer_cb = { peer_local_sdp, peer_local_ice, peer_connected,
                                       peer_failed };

static void
on_subscribed (JanusConn *jc, json_t *reply, gpointer data)
{
  (void) jc;
  JanusClient *jcl = data;
  const char *sdp = json_string_value (json_object_get (json_object_get (reply, "jsep"), "sdp"));
  if (sdp == NULL) {
    fail_reply (jcl, "join as subscriber", reply);
    return;
  }
  step (jcl, "subscriber offer");
  gchar *name = g_strdup_printf ("v%d-%s-sub", jcl->client->visit->index, jcl->client->role_name);
  jcl->sub = peer_new (jcl->client, name, FALSE, TRUE,
                       GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, &peer_cb, jcl);
  g_free (name);
  if (!peer_set_remote (jcl->sub, GST_WEBRTC_SDP_TYPE_OFFER, sdp))
    client_fail (jcl->client, "unparsable Janus offer");
}

static void
on_sub_attached (JanusConn *jc, json_t *reply, gpointer data)
{
  JanusClient *jcl = data;
  gchar *err = reply_error (reply);
  if (err != NULL) {
    client_fail (jcl->client, "attach subscriber: %s", err);
    g_free (err);
    return;
  }
  jcl->sub_handle = json_integer_value (json_object_get (json_object_get (reply, "data"), "id"));
  json_t *body = json_pack ("{s:s, s:s, s:I, s:[{s:I}]}", "request", "join", "ptype",
                            "subscriber", "room", (json_int_t) jcl->client->visit->janus_room,
                            "streams", "feed", jcl->partner_feed);
  jc_message (jc, jcl->sub_handle, body, NULL, NULL, on_subscribed, jcl);
}

/* Subscribe to the first publisher that is not us: a room holds one visit. */
static void
look_for_partner (JanusClient *jcl, json_t *publishers)
{
  size_t i;
  json_t *p;
  if (jcl->subscribing)
    return;
  json_array_foreach (publishers, i, p) {
    json_int_t id = json_integer_value (json_object_get (p, "id"));
    if (id == 0 || id == jcl->my_feed)
      continue;
    jcl->partner_feed = id;
    jcl->subscribing = TRUE;
    step (jcl, "partner feed seen");
    jc_request (jcl->jc,
                json_pack ("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"),
                on_sub_attached, jcl);
    return;
  }
}

static void
on_joined (JanusConn *jc, json_t *reply, gpointer data)
{
  (void) jc;
  JanusClient *jcl = data;
  json_t *d = plugin_data (reply);
  if (g_strcmp0 (json_string_value (json_object_get (d, "videoroom")), "joined") != 0) {
    fail_reply (jcl, "join as publisher", reply);
    return;
  }
  jcl->my_feed = json_integer_value (json_object_get (d, "id"));
  step (jcl, "joined");
  gchar *name = g_strdup_printf ("v%d-%s-pub", jcl->client->visit->index, jcl->client->role_name);
  jcl->pub = peer_new (jcl->client, name, TRUE, FALSE,
                       GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, &peer_cb, jcl);
  g_free (name);
  peer_create_offer (jcl->pub);
  look_for_partner (jcl, json_object_get (d, "publishers"));
}

static void
on_pub_attached (JanusConn *jc, json_t *reply, gpointer data)
{
  JanusClient *jcl = data;
  gchar *err = reply_error (reply);
  if (err != NULL) {
    client_fail (jcl->client, "attach publisher: %s", err);
    g_free (err);
    return;
  }
  jcl->pub_handle = json_integer_value (json_object_get (json_object_get (reply, "data"), "id"));
  json_t *body = json_pack ("{s:s, s:s, s:I, s:s}", "request", "join", "ptype", "publisher",
                            "room", (json_int_t) jcl->client->visit->janus_room, "display",
                            jcl->client->role_name);
  jc_message (jc, jcl->pub_handle, body, NULL, NULL, on_joined, jcl);
}

static void
on_session (JanusConn *jc, json_t *reply, gpointer data)
{
  JanusClient *jcl = data;
  gchar *err = reply_error (reply);
  if (err != NULL) {
    client_fail (jcl->client, "create session: %s", err);
    g_free (err);
    return;
  }
  jc->session = json_integer_value (json_object_get (json_object_get (reply, "data"), "id"));
  jc_request (jc, json_pack ("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"),
              on_pub_attached, jcl);
}

static void
client_open (JanusConn *jc, gpointer data)
{
  JanusClient *jcl = data;
  jcl->client->t0_us = g_get_monotonic_time ();
  jc_request (jc, json_pack ("{s:s}", "janus", "create"), on_session, jcl);
}

static void
client_event (JanusConn *jc, json_t *msg, gpointer data)
{
  (void) jc;
  JanusClient *jcl = data;
  const char *janus = json_string_value (json_object_get (msg, "janus"));
  json_int_t sender = json_integer_value (json_object_get (msg, "sender"));
  if (g_strcmp0 (janus, "trickle") == 0) {
    json_t *cand = json_object_get (msg, "candidate");
    Peer *peer = sender == jcl->pub_handle ? jcl->pub : sender == jcl->sub_handle ? jcl->sub
                                                                                   : NULL;
    const char *text = json_string_value (json_object_get (cand, "candidate"));
    if (peer != NULL && text != NULL)
      peer_add_ice (peer, (guint) json_integer_value (json_object_get (cand, "sdpMLineIndex")),
                    text);
  } else if (g_strcmp0 (janus, "event") == 0 && sender == jcl->pub_handle) {
    look_for_partner (jcl, json_object_get (plugin_data (msg), "publishers"));
  } else if (g_strcmp0 (janus, "hangup") == 0 && !loadgen_stopping ()) {
    client_fail (jcl->client, "janus hangup: %s",
                 json_string_value (json_object_get (msg, "reason")));
  }
}

static void
client_closed (JanusConn *jc, const char *why, gpointer data)
{
  (void) jc;
  JanusClient *jcl = data;
  if (!loadgen_stopping ())
    client_fail (jcl->client, "janus connection: %s", why);
}

static void
start_visit (Visit *v)
{
  for (int r = 0; r < 2; r++) {
    JanusClient *jcl = g_new0 (JanusClient, 1);
    jcl->client = &v->client[r];
    v->client[r].adapter = jcl;
    jcl->jc = jc_connect (client_open, client_event, client_closed, jcl);
  }
}

static void
stop (void)
{
  for (int i = 0; i < opt.visits; i++)
    for (int r = 0; r < 2; r++) {
      JanusClient *jcl = visits[i].client[r].adapter;
      if (jcl != NULL)
        ws_close (jcl->jc->ws);   /* Janus drops the sessions of a closed transport */
    }
  /* Rooms are not permanent; destroying them keeps a long-lived Janus clean
   * between runs. */
  for (int i = 0; control != NULL && control_handle != 0 && i < opt.visits; i++)
    if (visits[i].janus_room != 0)
      jc_message (control, control_handle,
                  json_pack ("{s:s, s:I}", "request", "destroy", "room",
                             (json_int_t) visits[i].janus_room),
                  NULL, NULL, NULL, NULL);
  if (control != NULL)
    ws_close (control->ws);
}

static void
cleanup (void)
{
  for (int i = 0; visits != NULL && i < opt.visits; i++)
    for (int r = 0; r < 2; r++) {
      JanusClient *jcl = visits[i].client[r].adapter;
      if (jcl == NULL)
        continue;
      peer_free (jcl->pub);
      peer_free (jcl->sub);
      jc_free (jcl->jc);
      g_free (jcl);
      visits[i].client[r].adapter = NULL;
    }
  jc_free (control);
  control = NULL;
}

const Adapter janus_adapter = { prepare, start_visit, stop, cleanup };
