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
 */
#include "loadgen.h"

#include <string.h>

typedef struct {
  Client *client;
  WsClient *ws;
  Peer *peer;
  GHashTable *admitted;      /* provider: participant ids already admitted */
  guint offers;
} OursClient;

static gchar *cookie, *csrf;

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

static void
on_open (WsClient *ws, gpointer data)
{
  OursClient *oc = data;
  Client *c = oc->client;
  c->t0_us = g_get_monotonic_time ();
  if (c->role == 1)
    send_type (oc, json_pack ("{s:s}", "visit", c->visit->visit_id), "hello");
  else
    send_type (oc, json_pack ("{s:s}", "token", c->visit->patient_token), "hello");
  (void) ws;
}

static void
on_offer (OursClient *oc, const char *sdp)
{
  /* Like the browser client: a new peer connection for every offer (the
   * server sends a fresh offer after a reconnect). */
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
  (void) ws;
  OursClient *oc = data;
  const char *type = json_string_value (json_object_get (msg, "type"));
  if (type == NULL)
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
  (void) ws;
  OursClient *oc = data;
  if (!loadgen_stopping ())
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
  }
}

static void
stop (void)
{
  for (int i = 0; i < opt.visits; i++) {
    OursClient *pc = visits[i].client[1].adapter;
    OursClient *oc = visits[i].client[0].adapter;
    /* The provider ends the visit (the server says bye and closes both). */
    if (pc != NULL && ws_is_open (pc->ws))
      send_type (pc, json_object (), "end");
    if (oc != NULL)
      ws_close (oc->ws);
    if (pc != NULL)
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
      peer_free (oc->peer);
      g_hash_table_unref (oc->admitted);
      g_free (oc);
      visits[i].client[r].adapter = NULL;
    }
  g_clear_pointer (&cookie, g_free);
  g_clear_pointer (&csrf, g_free);
}

const Adapter ours_adapter = { prepare, start_visit, stop, cleanup };
