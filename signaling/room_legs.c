/* room_legs.c — the media legs of those in the call: a fresh leg for each
 * admitted, connected participant, its offer, ICE and state passed on to
 * their page, and the watchdog that treats a leg with no media as a drop.
 * Every media callback comes on the main context (media.h). */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/room-private.h"

/* ------------------------------------------------------------ media legs */

static void
leg_offer_cb (MediaLeg *leg G_GNUC_UNUSED, const char *sdp, gpointer user_data)
{
  Participant *p = user_data;

  if (p->conn)
    conn_send_take (p->conn, sig_encode_offer (sdp));
}

static void
leg_ice_cb (MediaLeg *leg G_GNUC_UNUSED, guint mline, const char *candidate, gpointer user_data)
{
  Participant *p = user_data;

  if (p->conn)
    conn_send_take (p->conn, sig_encode_ice (candidate, mline));
}

static void
leg_state_cb (MediaLeg *leg G_GNUC_UNUSED, MediaLegState state, gpointer user_data)
{
  Participant *p = user_data;

  g_debug ("visit %s: participant %s media %s", p->room->visit_id, p->id,
           media_leg_state_name (state));
  if (state == MEDIA_LEG_CONNECTED) {
    room_leg_ended (p->room, p, state); /* a connected leg ends a run of failures */
    room_connect_trouble (p->room, p, FALSE);
    room_broadcast_take (p->room,
                         sig_encode_peer_state (p->id, p->display_name, p->role, "connected"), p);
  } else if (state == MEDIA_LEG_FAILED) {
    room_broadcast_take (p->room, sig_encode_peer_state (p->id, p->display_name, p->role, "failed"),
                         p);
    if (p->conn)
      conn_send_error (p->conn, SIG_ERR_INTERNAL, "the media connection failed; please rejoin");
  }
}

static const MediaLegCallbacks leg_callbacks = {
  .offer = leg_offer_cb,
  .ice_candidate = leg_ice_cb,
  .state_changed = leg_state_cb,
  .streams_changed = room_leg_streams,
};

void
participant_stop_media (Participant *p)
{
  if (p->leg) {
    hub_retire_leg (p->room->hub, p->leg);
    p->room->hub->media->remove_leg (p->room->media, p->leg);
    p->leg = NULL;
  }
  p->rx_packets = 0;
  p->rx_changed_us = 0;
}

/* Every few seconds: a connected leg whose client sent nothing for the media
 * timeout is treated as a dropped connection (the socket may outlive the
 * network path); the client reconnects and gets a fresh leg. */
static gboolean
room_watchdog (gpointer data)
{
  Room *room = data;
  gint64 now = g_get_monotonic_time ();
  gint64 limit = (gint64) room->hub->limits.media_timeout_s * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    MediaLegStats stats;
    if (!p->leg || !p->conn || room->hub->media->get_state (p->leg) != MEDIA_LEG_CONNECTED)
      continue;
    room->hub->media->get_stats (p->leg, &stats);
    if (stats.packets_received != p->rx_packets || p->rx_changed_us == 0) {
      p->rx_packets = stats.packets_received;
      p->rx_changed_us = now;
    } else if (limit > 0 && now - p->rx_changed_us > limit) {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "VISIT_ID", room->visit_id,
                        "PARTICIPANT_ROLE", sig_role_name (p->role), "EVENT", "visit.media-timeout",
                        "MESSAGE",
                        "visit %s: no media from participant %s for %u s; dropping "
                        "the connection",
                        room->visit_id, p->id, room->hub->limits.media_timeout_s);
      conn_close_with_bye (p->conn, "media-timeout");
      p->rx_changed_us = now; /* once per timeout, until the socket closes */
    }
  }
  return G_SOURCE_CONTINUE;
}

/* The call could not start for p: said with the visit, the role and the
 * error's domain and code as fields (the message names no one). */
static void
log_media_failure (Room *room, Participant *p, const GError *error)
{
  char code[16];
  g_snprintf (code, sizeof code, "%d", error->code);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "VISIT_ID", room->visit_id,
                    "PARTICIPANT_ROLE", sig_role_name (p->role), "EVENT", "media.start",
                    "ERROR_DOMAIN", g_quark_to_string (error->domain), "ERROR_CODE", code,
                    "MESSAGE", "visit %s: the call could not start: %s", room->visit_id,
                    error->message);
}

/* Gives a connected, admitted participant a fresh media leg; the server
 * then offers to it. A reconnecting participant always gets a new leg:
 * webrtcbin 1.22 cannot restart ICE. */
void
participant_start_media (Participant *p)
{
  Room *room = p->room;
  g_autoptr (GError) error = NULL;

  if (!p->conn || !p->admitted)
    return;
  participant_stop_media (p);
  if (!room->media) {
    room->media = room->hub->media->visit_new (room->visit_id, &room->hub->media_config, &error);
    if (!room->media) {
      log_media_failure (room, p, error);
      conn_send_error (p->conn, SIG_ERR_INTERNAL, "the server could not start the video call");
      return;
    }
  }
  p->leg = room->hub->media->add_leg (room->media, p->id, &leg_callbacks, p, &error);
  /* Only the provider's screen share reaches the others. */
  if (p->leg)
    room->hub->media->set_may_share (p->leg, p->role == SIG_ROLE_PROVIDER);
  if (p->leg && !room->watchdog_source && room->hub->limits.media_timeout_s)
    room->watchdog_source = g_timeout_add_seconds (2, room_watchdog, room);
  if (!p->leg) {
    log_media_failure (room, p, error);
    conn_send_error (p->conn, SIG_ERR_INTERNAL, "the server could not start the video call");
  }
}
