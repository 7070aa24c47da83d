/* room.c — one visit room: who is connected, who waits, who was admitted,
 * and the media legs of those in the call. The server is told of every
 * state change through the hooks before the room acts on it, so the record
 * and the room never disagree. */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/room-private.h"

#include <string.h>

static const char *const room_state_names[] = {
  [ROOM_SCHEDULED] = "scheduled",
  [ROOM_WAITING] = "waiting",
  [ROOM_IN_PROGRESS] = "in_progress",
  [ROOM_ENDED] = "ended",
};

const char *
room_state_name (RoomState state)
{
  if ((guint) state >= G_N_ELEMENTS (room_state_names))
    return "unknown";
  return room_state_names[state];
}

gboolean
room_state_from_name (const char *name, RoomState *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (room_state_names); i++) {
    if (name && strcmp (name, room_state_names[i]) == 0) {
      *out = (RoomState) i;
      return TRUE;
    }
  }
  return FALSE;
}

static void
participant_free (gpointer data)
{
  Participant *p = data;

  /* The leg is removed before a participant goes (room_participant_gone or
   * room_free), so no media callback can reach freed memory. */
  g_warn_if_fail (p->leg == NULL);
  g_free (p->id);
  g_free (p->display_name);
  g_free (p);
}

static void
room_broadcast_state (Room *room)
{
  room_broadcast_take (room, sig_encode_visit_state (room_state_name (room->state)), NULL);
}

static void
room_broadcast_peer_state (Room *room, Participant *p, const char *state)
{
  room_broadcast_take (room, sig_encode_peer_state (p->id, p->display_name, p->role, state), p);
}

static gint
compare_waiting (gconstpointer a, gconstpointer b)
{
  const SigWaitingEntry *x = a, *y = b;
  return (x->since_unix_ms > y->since_unix_ms) - (x->since_unix_ms < y->since_unix_ms);
}

/* Sends the waiting list (oldest first) to every connected provider. */
static void
room_send_waiting (Room *room)
{
  g_autoptr (GArray) entries = g_array_new (FALSE, TRUE, sizeof (SigWaitingEntry));
  GHashTableIter iter;
  gpointer value;
  char *text;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    if (p->conn && p->waiting_since_ms > 0 && !p->admitted) {
      SigWaitingEntry e = { p->id, p->display_name, p->role, p->waiting_since_ms };
      g_array_append_val (entries, e);
    }
  }
  g_array_sort (entries, compare_waiting);
  text = sig_encode_waiting ((const SigWaitingEntry *) (void *) entries->data, entries->len);

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    if (p->role == SIG_ROLE_PROVIDER && p->conn && p->conn->state == CONN_JOINED)
      p->conn->transport->send (p->conn->transport_data, text);
  }
  g_free (text);
}

static guint
room_count_where (Room *room, gboolean (*keep) (const Participant *p))
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += keep (value) ? 1 : 0;
  return n;
}

static gboolean
is_waiting (const Participant *p)
{
  return p->conn && p->waiting_since_ms > 0 && !p->admitted;
}

/* Participants who hold a place: connected, or dropped and within their
 * grace period. Someone who left (or whose guest link was withdrawn) does
 * not, so a replacement interpreter can still join a full visit. */
static gboolean
is_present (const Participant *p)
{
  return p->conn || p->grace_source;
}

static void
record_event (Room *room, Participant *p, const char *event)
{
  SigHub *hub = room->hub;

  if (hub->hooks.participant_event)
    hub->hooks.participant_event (room->visit_id, p->id, p->role, event,
                                  p->conn ? p->conn->address : NULL, hub->hooks_user_data);
}

/* ------------------------------------------------------ state changes */
/* A state change is recorded before the room acts on it (so the record and
 * the room never disagree), and the record may take its time (the server
 * writes it on a store worker): one change at a time, and an admit or an
 * end asked meanwhile waits in `ops` and runs when the answer is back. What
 * does not depend on the state (chat, media, ICE, joins) goes on. */

typedef enum { OP_ADMIT, OP_END } RoomOpKind;

typedef struct {
  RoomOpKind kind;
  char *by;          /* who asked (a participant id) */
  char *participant; /* whom an admit is for */
} RoomOp;

typedef void (*StateNext) (Room *room, gboolean ok, const RoomOp *ask);

typedef struct {
  RoomState from, to;
  StateNext next;
  RoomOp ask; /* what the change is for: its ids, copied */
} StateAsk;

static void admit_now (Room *room, Participant *by, const char *participant_id);
static void room_settle (Room *room, RoomState to);
static void end_now (Room *room, Participant *by);

static void
room_op_free (gpointer data)
{
  RoomOp *op = data;

  g_free (op->by);
  g_free (op->participant);
  g_free (op);
}

static void
state_ask_free (gpointer data)
{
  StateAsk *ask = data;

  g_free (ask->ask.by);
  g_free (ask->ask.participant);
  g_free (ask);
}

/* Whether the room of `visit_id` that had `serial` is still there (a
 * continuation may have freed it). */
static gboolean
room_alive (SigHub *hub, const char *visit_id, guint64 serial)
{
  Room *room = g_hash_table_lookup (hub->rooms, visit_id);
  return room && room->serial == serial;
}

static void
tell (Participant *p, SigErrorCode code, const char *message)
{
  if (p && p->conn)
    conn_send_error (p->conn, code, message);
}

/* Runs what waited for the last state change, until one waits again. */
static void
room_drain (Room *room)
{
  SigHub *hub = room->hub;
  guint64 serial = room->serial;
  g_autofree char *visit_id = g_strdup (room->visit_id);
  RoomOp *op;

  while (!room->state_busy && (op = g_queue_pop_head (&room->ops))) {
    Participant *by = g_hash_table_lookup (room->participants, op->by);
    if (op->kind == OP_ADMIT)
      admit_now (room, by, op->participant);
    else
      end_now (room, by);
    room_op_free (op);
    if (!room_alive (hub, visit_id, serial))
      return;
  }
  if (!room->state_busy && room->settle_wanted)
    room_settle (room, room->settle_to);
}

static void
state_recorded (Room *room, gboolean ok, gint64 at G_GNUC_UNUSED, gpointer data)
{
  StateAsk *ask = data;
  SigHub *hub = room->hub;
  guint64 serial = room->serial;
  g_autofree char *visit_id = g_strdup (room->visit_id);

  room->state_busy = FALSE;
  if (ok)
    room->state = ask->to;
  else
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "VISIT_ID", room->visit_id, "EVENT",
                      "visit.state", "MESSAGE", "visit %s: the store refused %s → %s",
                      room->visit_id, room_state_name (ask->from), room_state_name (ask->to));
  ask->next (room, ok, &ask->ask);
  if (room_alive (hub, visit_id, serial))
    room_drain (room);
}

/* Asks for the move to `to`; `next` goes on once it is recorded (or not). */
static void
room_change_state (Room *room, RoomState to, StateNext next, const char *by,
                   const char *participant)
{
  StateAsk *ask = g_new0 (StateAsk, 1);

  ask->from = room->state;
  ask->to = to;
  ask->next = next;
  ask->ask.by = g_strdup (by);
  ask->ask.participant = g_strdup (participant);
  room->state_busy = TRUE;
  room_record_state (room, room_state_name (to), state_recorded, ask, state_ask_free);
}

static void
settled (Room *room, gboolean ok, const RoomOp *ask G_GNUC_UNUSED)
{
  if (ok)
    room_broadcast_state (room);
}

/* scheduled ⇄ waiting as people wait or stop waiting. Asked while another
 * change is recorded, it is looked at again when that one is back. A
 * refused change is not asked again until the next join or leave. */
static void
room_settle (Room *room, RoomState to)
{
  guint waiting;

  room->settle_to = to;
  if (room->state_busy) {
    room->settle_wanted = TRUE;
    return;
  }
  room->settle_wanted = FALSE;
  waiting = room_count_where (room, is_waiting);
  if (to == ROOM_WAITING ? room->state != ROOM_SCHEDULED || waiting == 0
                         : room->state != ROOM_WAITING || waiting > 0)
    return;
  room_change_state (room, to, settled, NULL, NULL);
}

static void
room_defer (Room *room, RoomOpKind kind, const char *by, const char *participant)
{
  RoomOp *op = g_new0 (RoomOp, 1);

  op->kind = kind;
  op->by = g_strdup (by);
  op->participant = g_strdup (participant);
  g_queue_push_tail (&room->ops, op);
}

/* ------------------------------------------------------------- the room */

Room *
room_get_or_load (SigHub *hub, const SigIdentity *identity)
{
  Room *room = g_hash_table_lookup (hub->rooms, identity->visit_id);

  if (room)
    return room;
  if (hub->limits.max_visits && g_hash_table_size (hub->rooms) >= hub->limits.max_visits)
    return NULL; /* the caller says "busy" */
  room = g_new0 (Room, 1);
  room->hub = hub;
  room->visit_id = g_strdup (identity->visit_id);
  if (!room_state_from_name (identity->visit_state, &room->state))
    room->state = ROOM_SCHEDULED;
  room->participants = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, participant_free);
  room->modality = g_strdup (g_strcmp0 (identity->visit_modality, "audio-only") == 0 ? "audio-only"
                                                                                     : "video");
  room->provider_key = g_strdup (identity->provider_key);
  room->serial = ++hub->room_serials;
  room->records = g_ptr_array_new ();
  g_queue_init (&room->ops);
  g_hash_table_insert (hub->rooms, room->visit_id, room);
  return room;
}

void
room_join (Room *room, SigConn *conn, const SigIdentity *identity)
{
  Participant *p;

  if (room->state == ROOM_ENDED) {
    /* Nothing to join: say so in the welcome, then part. */
    conn_send_take (conn,
                    sig_encode_welcome (room->visit_id, identity->role, identity->participant_id,
                                        identity->display_name, identity->patient_display_name,
                                        room_state_name (room->state)));
    conn_close_with_bye (conn, "visit-ended");
    room_maybe_free (room);
    return;
  }

  p = g_hash_table_lookup (room->participants, identity->participant_id);
  if (!p && room->hub->limits.max_participants &&
      room_count_where (room, is_present) >= room->hub->limits.max_participants) {
    conn_send_error (conn, SIG_ERR_BUSY, "this visit has as many participants as it allows");
    room_maybe_free (room);
    return;
  }
  if (!p) {
    p = g_new0 (Participant, 1);
    p->room = room;
    p->id = g_strdup (identity->participant_id);
    p->role = identity->role;
    p->display_name = g_strdup (identity->display_name);
    p->audio_on = p->video_on = TRUE;
    /* Whoever finds the call already on was admitted before (a reload, a
     * second device, a server restart): no second trip to the waiting room. */
    p->admitted = p->role == SIG_ROLE_PROVIDER || room->state == ROOM_IN_PROGRESS;
    g_hash_table_insert (room->participants, p->id, p);
  }

  if (p->conn) {
    /* Same link opened again: the newer connection takes over. */
    SigConn *old = p->conn;
    participant_stop_media (p);
    old->participant = NULL;
    conn_close_with_bye (old, "replaced");
  }
  p->conn = conn;
  conn->participant = p;
  conn->state = CONN_JOINED;
  if (conn->transport->joined)
    conn->transport->joined (conn->transport_data);

  conn_send_take (conn, sig_encode_welcome (room->visit_id, p->role, p->id, p->display_name,
                                            identity->patient_display_name,
                                            room_state_name (room->state)));
  room_presence_welcome (room, p);
  if (p->grace_source) {
    /* Back within the grace period: the same participant, a fresh leg. */
    g_source_remove (p->grace_source);
    p->grace_source = 0;
    record_event (room, p, "return");
  } else {
    record_event (room, p, "join");
  }

  if (p->role == SIG_ROLE_PROVIDER) {
    room_send_waiting (room);
    room_update_queues (room);
    if (room->state == ROOM_IN_PROGRESS)
      participant_start_media (p);
    return;
  }

  if (p->admitted && room->state == ROOM_IN_PROGRESS) {
    room_broadcast_peer_state (room, p, "admitted");
    participant_start_media (p);
    return;
  }

  /* Someone returning to the waiting room keeps their place. */
  /* The real clock, not the server's settable one (server/clock/clock.h): this
   * is only ever shown as "waiting for N minutes" against the browser's own
   * real clock, and is compared with nothing stored. */
  if (p->waiting_since_ms == 0)
    p->waiting_since_ms = g_get_real_time () / 1000;
  room_settle (room, ROOM_WAITING);
  room_broadcast_peer_state (room, p, "waiting");
  room_send_waiting (room);
  room_update_queues (room);
}

/* The admitted participant (NULL: they left meanwhile) joins the call. */
static void
admit_finish (Room *room, Participant *p)
{
  GHashTableIter iter;
  gpointer value;

  if (p) {
    p->admitted = TRUE;
    p->waiting_since_ms = 0;
    room_broadcast_peer_state (room, p, "admitted");
  }
  room_send_waiting (room);
  room_update_queues (room);

  /* Everyone in the call who has no leg yet gets one: the admitted
   * participant and, on the first admit, the provider. */
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *q = value;
    if (q->conn && q->admitted && !q->leg)
      participant_start_media (q);
  }
}

static void
admit_started (Room *room, gboolean ok, const RoomOp *ask)
{
  Participant *p = g_hash_table_lookup (room->participants, ask->participant);

  if (!ok) {
    tell (g_hash_table_lookup (room->participants, ask->by), SIG_ERR_INTERNAL,
          "the visit could not be started");
    return;
  }
  room_broadcast_state (room);
  admit_finish (room, p && p->conn && !p->admitted ? p : NULL);
}

static void
admit_now (Room *room, Participant *by, const char *participant_id)
{
  Participant *p = g_hash_table_lookup (room->participants, participant_id);

  if (!p || !p->conn) {
    tell (by, SIG_ERR_NOT_FOUND, "nobody with that participant id is waiting");
    return;
  }
  if (p->admitted) {
    tell (by, SIG_ERR_BAD_STATE, "that participant is already in the visit");
    return;
  }
  /* The record reads in the order things happened: the admit, then the
   * visit starting because of it. */
  record_event (room, p, "admit");
  if (room->state != ROOM_IN_PROGRESS) {
    room_change_state (room, ROOM_IN_PROGRESS, admit_started, by ? by->id : NULL, p->id);
    return;
  }
  admit_finish (room, p);
}

void
room_admit (Room *room, SigConn *by, const char *participant_id)
{
  /* After the state change being recorded, and what waits for it. */
  if (room->state_busy || !g_queue_is_empty (&room->ops)) {
    room_defer (room, OP_ADMIT, by->participant->id, participant_id);
    return;
  }
  admit_now (room, by->participant, participant_id);
}

void
room_answer (Room *room, Participant *p, const char *sdp)
{
  const SigMedia *media = room->hub->media;
  g_autoptr (GError) error = NULL;

  if (!p->leg || media->get_state (p->leg) != MEDIA_LEG_AWAITING_ANSWER) {
    conn_send_error (p->conn, SIG_ERR_BAD_STATE, "there is no offer waiting for an answer");
    return;
  }
  if (!media->set_answer (p->leg, sdp, &error))
    conn_send_error (p->conn, SIG_ERR_BAD_SDP, error->message);
}

void
room_remote_ice (Room *room, Participant *p, guint mline, const char *candidate)
{
  g_autoptr (GError) error = NULL;

  if (!p->leg) {
    conn_send_error (p->conn, SIG_ERR_BAD_STATE, "there is no media connection for this candidate");
    return;
  }
  if (candidate[0] == '\0')
    return; /* end of candidates: webrtcbin needs no word of it */
  if (!room->hub->media->add_ice_candidate (p->leg, mline, candidate, &error))
    conn_send_error (p->conn, SIG_ERR_BAD_CANDIDATE, error->message);
}

void
room_participant_gone (Room *room, Participant *p)
{
  gboolean was_waiting = p->waiting_since_ms > 0 && !p->admitted;

  if (p->grace_source) {
    g_source_remove (p->grace_source);
    p->grace_source = 0;
  }

  participant_stop_media (p);
  if (p->conn) {
    p->conn->participant = NULL;
    p->conn = NULL;
  }
  p->waiting_since_ms = 0;
  p->connect_trouble = FALSE; /* "left" says more; a return starts afresh */
  p->unconnected_legs = 0;
  record_event (room, p, "leave");
  if (room->state == ROOM_ENDED)
    return;
  room_broadcast_peer_state (room, p, "left");
  if (was_waiting) {
    /* The last waiting patient gave up before being admitted: the visit is
     * scheduled again, not waiting. */
    room_settle (room, ROOM_SCHEDULED);
    room_send_waiting (room);
  }
  room_update_queues (room);
}

static gboolean
grace_expired (gpointer data)
{
  Participant *p = data;
  Room *room = p->room;

  p->grace_source = 0;
  room_participant_gone (room, p);
  room_maybe_free (room);
  return G_SOURCE_REMOVE;
}

void
room_participant_dropped (Room *room, Participant *p)
{
  if (p->leg && room->state != ROOM_ENDED)
    room_leg_ended (room, p, room->hub->media->get_state (p->leg));
  participant_stop_media (p);
  if (p->conn) {
    p->conn->participant = NULL;
    p->conn = NULL;
  }
  if (room->state == ROOM_ENDED) {
    record_event (room, p, "leave");
    room_maybe_free (room);
    return;
  }
  record_event (room, p, "drop");
  room_broadcast_peer_state (room, p, "reconnecting");
  room_send_waiting (room);
  room_update_queues (room);
  if (p->grace_source)
    g_source_remove (p->grace_source);
  p->grace_source = g_timeout_add (room->hub->limits.grace_s * 1000, grace_expired, p);
}

static void
end_recorded (Room *room, gboolean ok, const RoomOp *ask)
{
  Participant *by = g_hash_table_lookup (room->participants, ask->by);
  GHashTableIter iter;
  gpointer value;

  if (!ok) {
    room->ending = FALSE;
    tell (by, SIG_ERR_INTERNAL, "the visit could not be ended");
    return;
  }
  if (by)
    record_event (room, by, "end");
  room_broadcast_state (room);
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    participant_stop_media (p);
    if (p->conn) {
      SigConn *conn = p->conn;
      room_participant_gone (room, p);
      conn_close_with_bye (conn, "visit-ended");
    } else if (p->grace_source) {
      room_participant_gone (room, p); /* was reconnecting: gone for good now */
    }
  }
  /* Nobody is attached any more: the pipeline goes to NULL now, from the
   * main loop, not later from some streaming thread. */
  room_maybe_free (room);
}

static void
end_now (Room *room, Participant *by)
{
  if (room->state == ROOM_ENDED)
    return; /* an end asked twice: the first did it */
  room->ending = TRUE;
  room_change_state (room, ROOM_ENDED, end_recorded, by ? by->id : NULL, NULL);
}

void
room_end (Room *room, Participant *by)
{
  /* From now on, no chat or switch is recorded after the end. */
  room->ending = TRUE;
  if (room->state_busy || !g_queue_is_empty (&room->ops)) {
    room_defer (room, OP_END, by->id, NULL);
    return;
  }
  end_now (room, by);
}

void
room_maybe_free (Room *room)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    if (p->conn || p->grace_source)
      return; /* someone is here, or may come back */
  }
  g_hash_table_remove (room->hub->rooms, room->visit_id); /* calls room_free */
}

void
room_free (Room *room)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    participant_stop_media (p);
    g_clear_handle_id (&p->grace_source, g_source_remove);
    if (p->conn)
      p->conn->participant = NULL;
  }
  g_clear_handle_id (&room->watchdog_source, g_source_remove);
  g_clear_handle_id (&room->quality_source, g_source_remove);
  /* Answers still awaited find nobody; what waited for them is dropped. */
  room_records_detach (room);
  g_ptr_array_unref (room->records);
  g_queue_clear_full (&room->ops, room_op_free);
  if (room->media)
    room->hub->media->visit_free (g_steal_pointer (&room->media));
  g_hash_table_destroy (room->participants);
  g_free (room->visit_id);
  g_free (room->modality);
  g_free (room->provider_key);
  g_free (room->modality_next);
  g_free (room);
}
