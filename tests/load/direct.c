/* direct.c — no server: each visit's patient offers straight to its
 * provider, in-process. Same clients, same shared encoders, same probes, so
 * ours/janus latency minus this one is what the relay adds. */
#include "loadgen.h"

typedef struct {
  Visit *visit;
  Peer *peer[2];
} DirectVisit;

static gboolean
prepare (GError **error)
{
  (void) error;
  return TRUE;
}

static int
side_of (DirectVisit *dv, Peer *peer)
{
  return dv->peer[0] == peer ? 0 : 1;
}

static void
local_sdp (Peer *peer, GstWebRTCSDPType type, const char *sdp, gpointer data)
{
  DirectVisit *dv = data;
  Peer *other = dv->peer[1 - side_of (dv, peer)];
  if (!peer_set_remote (other, type, sdp))
    client_fail (&dv->visit->client[0], "unparsable %s",
                 type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer");
}

static void
local_ice (Peer *peer, guint mline, const char *candidate, gpointer data)
{
  DirectVisit *dv = data;
  peer_add_ice (dv->peer[1 - side_of (dv, peer)], mline, candidate);
}

static void
failed (Peer *peer, const char *why, gpointer data)
{
  DirectVisit *dv = data;
  client_fail (&dv->visit->client[side_of (dv, peer)], "%s", why);
}

static const PeerCallbacks cb = { local_sdp, local_ice, NULL, failed };

static void
start_visit (Visit *v)
{
  DirectVisit *dv = g_new0 (DirectVisit, 1);
  dv->visit = v;
  v->adapter = dv;
  for (int r = 0; r < 2; r++) {
    Client *c = &v->client[r];
    c->t0_us = g_get_monotonic_time ();
    gchar *name = g_strdup_printf ("v%d-%s", v->index, c->role_name);
    dv->peer[r] = peer_new (c, name, TRUE, TRUE, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                            &cb, dv);
    g_free (name);
  }
  peer_create_offer (dv->peer[0]);
}

static void
stop (void)
{
}

static void
cleanup (void)
{
  for (int i = 0; visits != NULL && i < opt.visits; i++) {
    DirectVisit *dv = visits[i].adapter;
    if (dv == NULL)
      continue;
    peer_free (dv->peer[0]);
    peer_free (dv->peer[1]);
    g_free (dv);
    visits[i].adapter = NULL;
  }
}

const Adapter direct_adapter = { prepare, start_visit, stop, cleanup };
