/* ours.c — our signaling protocol (tests/CONTRACT.md), as a patient and as
 * a provider.
 *
 * prepare: the provider signs in once (POST /api/session → cookie + CSRF
 * token) and creates every visit over REST (POST /api/visits), keeping each
 * patient's join token from the patient_url fragment.
 * start_visit: two WebSockets to /signaling. The provider's upgrade carries
 * the session cookie and sends hello {visit}; the patient sends hello
 * {token}. On `waiting` the provider admits the patient; each side answers
 * the server's offer on a fresh webrtcbin (sendrecv audio + video, fed by
 * the shared encoders) and trickles ICE both ways.
 *
 * --drop-every P (the soak): every P seconds each client in turn (client j
 * of M at j·P/M + k·P, partners half a period apart) drops: its WebSocket
 * closes without a close frame or `leave`, its peer connection goes. After
 * RECONNECT_DELAY_MS it opens a new WebSocket and says hello again (the
 * same token; the same cookie and visit), the server offers a fresh leg and
 * a fresh webrtcbin answers. From that WebSocket's open the client must see
 * the partner's video and audio again, and the partner its, within
 * --timeout; otherwise the drop counts as failed and the client fails.
 */
#include "loadgen.h"

#include <string.h>

typedef struct {
  Client *client;
  WsClient *ws;
  Peer *peer;
  GHashTable *admitted;      /* provider: participant ids already admitted */
  guint offers;
  /* --drop-every */
  guint drop_source;
  guint recover_source;      /* the reconnect delay, then the recovery check */
  guint64 drop_index;        /* k of the next drop */
  gint64 first_drop_us;
  gboolean reconnecting;     /* dropped; media not back both ways yet */
  gboolean reopened, own_back, partner_back;
  gint64 reopen_us;          /* the new WebSocket's connect, then its open */
  guint64 audio_mark, partner_audio_mark;
} OursClient;

#define RECONNECT_DELAY_MS 1000

static gchar *cookie, *csrf;
static gint64 run_t0_us;     /* end of prepare: the visits start from here */

static gboolean
prepare (GError **error)
{
  guint timeout = (guint) MAX (1.0, opt.timeout_s);
  json_t *cred = json_pack ("{s:s, s:s}", "username", opt.username ? opt.username : "",
                            "password", opt.password ? opt.password : "");
  char *body = json_dumps (cred, JSON_COMPACT);
  json_decref (cred);
  gchar *resp = NULL;
  int status = http_request (opt.host, opt.port, "POST", "/api/session", NULL, body, timeout,
                             &resp, &cookie, error);
  free (body);
  if (status != 200) {
    if (status != 0)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "sign-in as %s: HTTP %d %s",
                   opt.username, status, resp ? resp : "");
    g_free (resp);
    return FALSE;
  }
  json_t *j = json_loads (resp, 0, NULL);
  g_free (resp);
  const char *token = j ? json_string_value (json_object_get (j, "csrf_token")) : NULL;
  if (token == NULL || cookie == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "sign-in: no CSRF token or cookie");
    json_decref (j);
    return FALSE;
  }
  csrf = g_strdup (token);
  json_decref (j);

  gchar *cookie_header = g_strdup_printf ("Cookie: %s", cookie);
  gchar *csrf_header = g_strdup_printf ("X-CSRF-Token: %s", csrf);
  const char *headers[] = { cookie_header, csrf_header, NULL };
  gboolean ok = TRUE;
  for (int i = 0; ok && i < opt.visits; i++) {
    Visit *v = &visits[i];
    gchar *req = g_strdup_printf ("{\"patient_name\":\"Load Patient %d\"}", i + 1);
    status = http_request (opt.host, opt.port, "POST", "/api/visits", headers, req, timeout, &resp,
                           NULL, error);
    g_free (req);
    if (status != 201) {
      if (status != 0)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "POST /api/visits: HTTP %d %s",
                     status, resp ? resp : "");
      ok = FALSE;
    } else {
      json_t *r = json_loads (resp, 0, NULL);
      const char *id = r ? json_string_value (json_object_get (r, "visit_id")) : NULL;
      const char *url = r ? json_string_value (json_object_get (r, "patient_url")) : NULL;
      const char *frag = url ? strstr (url, "#token=") : NULL;
      if (id == NULL || frag == NULL) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "POST /api/visits: unexpected %s",
                     resp);
        ok = FALSE;
      } else {
        v->visit_id = g_strdup (id);
        /* The token runs to the end of the fragment or the next '&'. */
        v->patient_token = g_strndup (frag + 7, strcspn (frag + 7, "&"));
      }
      json_decref (r);
    }
    g_free (resp);
  }
  g_free (cookie_header);
  g_free (csrf_header);
  run_t0_us = g_get_monotonic_time ();
  return ok;
}

static void
send_type (OursClient *oc, json_t *msg, const char *type)
{
  json_object_set_new (msg, "type", json_string (type));
  ws_send (oc->ws, msg);
}

static void
peer_local_sdp (Peer *peer, GstWebRTCSDPType type, const char *sdp, gpointer data)
{
  (void) peer;
  OursClient *oc = data;
  if (type == GST_WEBRTC_SDP_TYPE_ANSWER)
    send_type (oc, json_pack ("{s:s}", "sdp", sdp), "answer");
}

static void
peer_local_ice (Peer *peer, guint mline, const char *candidate, gpointer data)
{
  (void) peer;
  OursClient *oc = data;
  send_type (oc, json_pack ("{s:s, s:i}", "candidate", candidate, "sdpMLineIndex", (int) mline),
             "ice");
}

static void
peer_failed (Peer *peer, const char *why, gpointer data)
{
  OursClient *oc = data;
  client_fail (oc->client, "%s: %s", peer_name (peer), why);
}

static const PeerCallbacks peer_cb = { peer_local_sdp, peer_local_ice, NULL, peer_failed };

/* ---- --drop-every ---- */

static const WsCallbacks ws_cb;

static double
ms_since (gint64 from_us, gint64 to_us)
{
  return (to_us - from_us) / 1000.0;
}

/* Every 100 ms after a reconnect: media back both ways, or the deadline. */
static gboolean
check_recovery (gpointer data)
{
  OursClient *oc = data;
  Client *c = oc->client, *p = c->partner;
  if (loadgen_stopping () || c->failure != NULL) {
    oc->recover_source = 0;
    oc->reconnecting = FALSE;
    return G_SOURCE_REMOVE;
  }
  gint64 mine = atomic_load (&c->mark_frame_us), theirs = atomic_load (&p->mark_frame_us);
  if (oc->reopened && !oc->own_back && mine != 0 &&
      atomic_load (&c->rx[KIND_AUDIO].packets) > oc->audio_mark) {
    double ms = ms_since (oc->reopen_us, mine);
    g_array_append_val (c->recovery_ms, ms);
    oc->own_back = TRUE;
  }
  if (oc->reopened && !oc->partner_back && theirs != 0 &&
      atomic_load (&p->rx[KIND_AUDIO].packets) > oc->partner_audio_mark) {
    double ms = ms_since (oc->reopen_us, theirs);
    g_array_append_val (c->seen_again_ms, ms);
    oc->partner_back = TRUE;
  }
  if (oc->own_back && oc->partner_back) {
    oc->reconnecting = FALSE;
    oc->recover_source = 0;
    return G_SOURCE_REMOVE;
  }
  if (g_get_monotonic_time () - oc->reopen_us > (gint64) (opt.timeout_s * 1e6)) {
    c->drop_failures++;
    oc->reconnecting = FALSE;
    oc->recover_source = 0;
    client_fail (c, "drop %u: %s within %.0f s of reconnecting", c->drops,
                 !oc->reopened                        ? "no WebSocket open"
                 : !oc->own_back && !oc->partner_back ? "no media either way"
                 : !oc->own_back                      ? "no media from the partner"
                                                      : "the partner got no media from it",
                 opt.timeout_s);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
reconnect_opened (OursClient *oc)
{
  Client *c = oc->client, *p = c->partner;
  oc->reopen_us = g_get_monotonic_time ();
  /* From now on, the first frame each side receives is the return. The
   * partner's last frames from before the drop arrived a second ago. */
  atomic_store (&c->mark_frame_us, 0);
  atomic_store (&p->mark_frame_us, 0);
  oc->audio_mark = atomic_load (&c->rx[KIND_AUDIO].packets);
  oc->partner_audio_mark = atomic_load (&p->rx[KIND_AUDIO].packets);
  oc->reopened = TRUE;
}

static gboolean
reconnect (gpointer data)
{
  OursClient *oc = data;
  Client *c = oc->client;
  if (loadgen_stopping () || c->failure != NULL) {
    oc->recover_source = 0;
    oc->reconnecting = FALSE;
    return G_SOURCE_REMOVE;
  }
  /* The deadline runs from here: a connection that fails (even at once,
   * before oc->ws is set) or never opens fails the drop. */
  oc->reopen_us = g_get_monotonic_time ();
  oc->reopened = oc->own_back = oc->partner_back = FALSE;
  oc->recover_source = g_timeout_add (100, check_recovery, oc);
  oc->ws = ws_connect (opt.host, opt.port, "/signaling", NULL, c->role == 1 ? cookie : NULL,
                       &ws_cb, oc);
  return G_SOURCE_REMOVE;
}

static gboolean drop_tick (gpointer data);

static void
schedule_drop (OursClient *oc)
{
  gint64 at = oc->first_drop_us + (gint64) (oc->drop_index * opt.drop_every_s * 1e6);
  gint64 now = g_get_monotonic_time ();
  oc->drop_source = g_timeout_add ((guint) MAX (0, (at - now) / 1000), drop_tick, oc);
}

static gboolean
drop_tick (gpointer data)
{
  OursClient *oc = data;
  Client *c = oc->client;
  gint64 end_us = run_t0_us + (gint64) ((opt.ramp_up_s + opt.duration_s) * 1e6);
  oc->drop_source = 0;
  oc->drop_index++;
  if (loadgen_stopping () || c->failure != NULL)
    return G_SOURCE_REMOVE;
  /* Only a client that is up drops, and only with time left to see it return. */
  gboolean up = !oc->reconnecting && oc->peer != NULL && peer_is_connected (oc->peer) &&
                ws_is_open (oc->ws);
  if (up && g_get_monotonic_time () + (gint64) ((opt.timeout_s + 2) * 1e6) < end_us) {
    c->drops++;
    if (opt.verbose)
      g_message ("visit %d %s: drop %u", c->visit->index, c->role_name, c->drops);
    ws_abort (oc->ws);
    oc->ws = NULL;
    peer_free (oc->peer);
    oc->peer = NULL;
    oc->reconnecting = TRUE;
    oc->recover_source = g_timeout_add (RECONNECT_DELAY_MS, reconnect, oc);
  }
  schedule_drop (oc);
  return G_SOURCE_REMOVE;
}

static void
on_open (WsClient *ws, gpointer data)
{
  OursClient *oc = data;
  Client *c = oc->client;
  if (ws != oc->ws)
    return;
  if (oc->reconnecting)
    reconnect_opened (oc);
  else
    c->t0_us = g_get_monotonic_time ();
  if (c->role == 1)
    send_type (oc, json_pack ("{s:s}", "visit", c->visit->visit_id), "hello");
  else
    send_type (oc, json_pack ("{s:s}", "token", c->visit->patient_token), "hello");
}

static void
on_offer (OursClient *oc, const char *sdp)
{
  /* Like the browser client: a new peer connection for every offer (the
   * server sends a fresh offer after a reconnect). Its audio and video bind
   * to the offer's m0 and m1; webrtcbin answers the other m-lines of the
   * layout (screen share, further remote slots) recvonly by itself, and a
   * 1:1 visit sends nothing on them. */
  if (oc->peer != NULL) {
    g_message ("visit %d %s: another offer, new peer", oc->client->visit->index,
               oc->client->role_name);
    peer_free (oc->peer);
  }
  gchar *name = g_strdup_printf ("v%d-%s", oc->client->visit->index, oc->client->role_name);
  oc->peer = peer_new (oc->client, name, TRUE, TRUE,
                       GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, &peer_cb, oc);
  g_free (name);
  oc->offers++;
  if (!peer_set_remote (oc->peer, GST_WEBRTC_SDP_TYPE_OFFER, sdp))
    client_fail (oc->client, "unparsable offer");
}

static void
on_waiting (OursClient *oc, json_t *msg)
{
  size_t i;
  json_t *p;
  json_array_foreach (json_object_get (msg, "participants"), i, p) {
    const char *id = json_string_value (json_object_get (p, "participant"));
    if (id == NULL || g_hash_table_contains (oc->admitted, id))
      continue;
    g_hash_table_add (oc->admitted, g_strdup (id));
    send_type (oc, json_pack ("{s:s}", "participant", id), "admit");
  }
}

static void
on_message (WsClient *ws, json_t *msg, gpointer data)
{
  OursClient *oc = data;
  const char *type = json_string_value (json_object_get (msg, "type"));
  if (type == NULL || ws != oc->ws)  /* the dropped connection's last words */
    return;
  if (strcmp (type, "offer") == 0) {
    const char *sdp = json_string_value (json_object_get (msg, "sdp"));
    if (sdp)
      on_offer (oc, sdp);
  } else if (strcmp (type, "ice") == 0) {
    const char *cand = json_string_value (json_object_get (msg, "candidate"));
    json_t *mline = json_object_get (msg, "sdpMLineIndex");
    if (oc->peer && cand && json_is_integer (mline))
      peer_add_ice (oc->peer, (guint) json_integer_value (mline), cand);
  } else if (strcmp (type, "waiting") == 0 && oc->client->role == 1) {
    on_waiting (oc, msg);
  } else if (strcmp (type, "error") == 0) {
    g_warning ("visit %d %s: server error %s: %s", oc->client->visit->index,
               oc->client->role_name, json_string_value (json_object_get (msg, "code")),
               json_string_value (json_object_get (msg, "message")));
  } else if (strcmp (type, "bye") == 0 && !loadgen_stopping ()) {
    client_fail (oc->client, "bye: %s", json_string_value (json_object_get (msg, "reason")));
  }
}

static void
on_closed (WsClient *ws, const char *why, gpointer data)
{
  OursClient *oc = data;
  if (ws == oc->ws && !loadgen_stopping ())
    client_fail (oc->client, "signaling closed: %s", why);
}

static const WsCallbacks ws_cb = { on_open, on_message, on_closed };

static void
start_visit (Visit *v)
{
  /* Provider first, as in a clinic: the patient then lands in a room whose
   * provider is already there and is admitted on the first `waiting`. */
  for (int r = 1; r >= 0; r--) {
    Client *c = &v->client[r];
    OursClient *oc = g_new0 (OursClient, 1);
    oc->client = c;
    oc->admitted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    c->adapter = oc;
    oc->ws = ws_connect (opt.host, opt.port, "/signaling", NULL, r == 1 ? cookie : NULL, &ws_cb,
                         oc);
    if (opt.drop_every_s > 0) {
      /* Client j of M (patients first, then providers): partners drop half
       * a period apart, and one drop at a time across the run. */
      int m = 2 * opt.visits, j = r * opt.visits + v->index;
      oc->first_drop_us = run_t0_us + (gint64) (opt.drop_every_s * (1.0 + (double) j / m) * 1e6);
      schedule_drop (oc);
    }
  }
}

static void
stop (void)
{
  for (int i = 0; i < opt.visits; i++) {
    OursClient *pc = visits[i].client[1].adapter;
    OursClient *oc = visits[i].client[0].adapter;
    /* The provider ends the visit (the server says bye and closes both).
     * A client between a drop and its return has no WebSocket. */
    if (pc != NULL && pc->ws != NULL && ws_is_open (pc->ws))
      send_type (pc, json_object (), "end");
    if (oc != NULL && oc->ws != NULL)
      ws_close (oc->ws);
    if (pc != NULL && pc->ws != NULL)
      ws_close (pc->ws);
  }
}

static void
cleanup (void)
{
  for (int i = 0; visits != NULL && i < opt.visits; i++)
    for (int r = 0; r < 2; r++) {
      OursClient *oc = visits[i].client[r].adapter;
      if (oc == NULL)
        continue;
      g_clear_handle_id (&oc->drop_source, g_source_remove);
      g_clear_handle_id (&oc->recover_source, g_source_remove);
      peer_free (oc->peer);
      g_hash_table_unref (oc->admitted);
      g_free (oc);
      visits[i].client[r].adapter = NULL;
    }
  g_clear_pointer (&cookie, g_free);
  g_clear_pointer (&csrf, g_free);
}

const Adapter ours_adapter = { prepare, start_visit, stop, cleanup };
