/* room_record.c — the records a room waits for: a visit's state change, a
 * chat message, a switch of modality. The server writes them off the main
 * loop (its store may take its time, and this loop carries every visit)
 * and answers through sig_record_reply_finish; a server that answers at
 * once (the synchronous hooks) goes through the same path.
 *
 * A reply knows its room until the room is freed (room_records_detach), so
 * an answer that comes after everyone left finds nobody: no freed room is
 * touched. */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/room-private.h"

struct _SigRecordReply {
  Room *room; /* NULL once the room is gone */
  RoomRecordDone done;
  gpointer data;
  GDestroyNotify destroy;
};

static SigRecordReply *
reply_new (Room *room, RoomRecordDone done, gpointer data, GDestroyNotify destroy)
{
  SigRecordReply *reply = g_new0 (SigRecordReply, 1);

  reply->room = room;
  reply->done = done;
  reply->data = data;
  reply->destroy = destroy;
  g_ptr_array_add (room->records, reply);
  return reply;
}

void
sig_record_reply_finish (SigRecordReply *reply, gboolean ok, gint64 at_unix_ms)
{
  Room *room = reply->room;

  /* Out of the room's list first: `done` may free the room. */
  if (room) {
    g_ptr_array_remove_fast (room->records, reply);
    reply->done (room, ok, at_unix_ms, reply->data);
  }
  if (reply->destroy)
    reply->destroy (reply->data);
  g_free (reply);
}

void
room_records_detach (Room *room)
{
  for (guint i = 0; i < room->records->len; i++)
    ((SigRecordReply *) g_ptr_array_index (room->records, i))->room = NULL;
  g_ptr_array_set_size (room->records, 0);
}

void
room_record_state (Room *room, const char *state, RoomRecordDone done, gpointer data,
                   GDestroyNotify destroy)
{
  SigHub *hub = room->hub;
  SigRecordReply *reply = reply_new (room, done, data, destroy);
  gboolean ok = TRUE;

  if (hub->hooks.visit_state_changed_async) {
    hub->hooks.visit_state_changed_async (room->visit_id, state, reply, hub->hooks_user_data);
    return;
  }
  if (hub->hooks.visit_state_changed)
    ok = hub->hooks.visit_state_changed (room->visit_id, state, hub->hooks_user_data);
  sig_record_reply_finish (reply, ok, 0);
}

void
room_record_chat (Room *room, const char *participant_id, const char *text, gint64 at_unix_ms,
                  RoomRecordDone done, gpointer data, GDestroyNotify destroy)
{
  SigHub *hub = room->hub;
  SigRecordReply *reply = reply_new (room, done, data, destroy);
  gboolean ok = TRUE;

  if (hub->hooks.chat_async) {
    hub->hooks.chat_async (room->visit_id, participant_id, text, reply, hub->hooks_user_data);
    return;
  }
  if (hub->hooks.chat)
    ok = hub->hooks.chat (room->visit_id, participant_id, text, &at_unix_ms, hub->hooks_user_data);
  sig_record_reply_finish (reply, ok, at_unix_ms);
}

void
room_record_modality (Room *room, const char *participant_id, const char *modality,
                      RoomRecordDone done, gpointer data, GDestroyNotify destroy)
{
  SigHub *hub = room->hub;
  SigRecordReply *reply = reply_new (room, done, data, destroy);
  gboolean ok = TRUE;

  if (hub->hooks.modality_changed_async) {
    hub->hooks.modality_changed_async (room->visit_id, participant_id, modality, reply,
                                       hub->hooks_user_data);
    return;
  }
  if (hub->hooks.modality_changed)
    ok = hub->hooks.modality_changed (room->visit_id, participant_id, modality,
                                      hub->hooks_user_data);
  sig_record_reply_finish (reply, ok, 0);
}
