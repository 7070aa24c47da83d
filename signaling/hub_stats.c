/* hub_stats.c — what the rooms hold and what went through them, for the
 * server's metrics. Main context only, like the rest of the hub. */
#include "signaling/room-private.h"

#include <string.h>

static void
add_leg_stats (MediaLegStats *to, const MediaLegStats *s)
{
  to->packets_received += s->packets_received;
  to->bytes_received += s->bytes_received;
  to->packets_sent += s->packets_sent;
  to->bytes_sent += s->bytes_sent;
}

void
hub_retire_leg (SigHub *hub, MediaLeg *leg)
{
  MediaLegStats s = { 0 };

  hub->media->get_stats (leg, &s);
  add_leg_stats (&hub->retired, &s);
}

void
sig_hub_get_stats (SigHub *hub, SigHubStats *stats)
{
  GHashTableIter rooms;
  gpointer value;

  memset (stats, 0, sizeof *stats);
  stats->connections = g_hash_table_size (hub->conns);
  stats->media = hub->retired;
  memcpy (stats->messages, hub->messages, sizeof stats->messages);
  stats->messages_invalid = hub->messages_invalid;
  g_hash_table_iter_init (&rooms, hub->rooms);
  while (g_hash_table_iter_next (&rooms, NULL, &value)) {
    Room *room = value;
    GHashTableIter people;
    gpointer pv;
    if (room->state == ROOM_WAITING)
      stats->visits_waiting++;
    else if (room->state == ROOM_IN_PROGRESS)
      stats->visits_in_progress++;
    else
      stats->visits_other++;
    g_hash_table_iter_init (&people, room->participants);
    while (g_hash_table_iter_next (&people, NULL, &pv)) {
      Participant *p = pv;
      if (p->conn)
        stats->participants++;
      if (p->leg) {
        MediaLegStats s = { 0 };
        hub->media->get_stats (p->leg, &s);
        add_leg_stats (&stats->media, &s);
        stats->legs++;
      }
    }
  }
}
