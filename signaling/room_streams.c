/* room_streams.c — tells a participant whose media arrives on which m-line
 * of their peer connection (the `streams` message), from the media layer's
 * streams_changed reports, adding the names and roles only the room knows.
 * The browser builds its tiles from it (web/js/visit-client.js). */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/room-private.h"

void
room_leg_streams (MediaLeg *leg G_GNUC_UNUSED, const MediaStream *streams, guint n,
                  gpointer user_data)
{
  Participant *p = user_data;
  g_autofree SigStreamEntry *entries = g_new0 (SigStreamEntry, MAX (n, 1));

  if (!p->conn)
    return;
  for (guint i = 0; i < n; i++) {
    /* Participants stay in the room's table for the visit's life, so a
     * media report never names someone the room does not know. */
    Participant *who = g_hash_table_lookup (p->room->participants, streams[i].participant);
    entries[i] = (SigStreamEntry) {
      .mid = streams[i].mid,
      .mline = streams[i].mline,
      .kind = streams[i].kind,
      .content = streams[i].content == MEDIA_CONTENT_SCREEN ? "screen" : "camera",
      .participant = streams[i].participant,
      .display_name = who ? who->display_name : NULL,
      .role = who ? who->role : SIG_ROLE_GUEST,
    };
  }
  conn_send_take (p->conn, sig_encode_streams (entries, n));
}
