/* room_presence.c — what participants say about themselves and to each
 * other during a visit: chat (kept with the visit before anyone sees it),
 * whether their microphone and camera are on, the switch between video and
 * audio-only (recorded: prescribing rules depend on it), and, for those
 * waiting, their place in the provider's line.
 *
 * Nothing here logs chat text or names.
 */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/room-private.h"

#include <string.h>

/* What a chat or a switch is waiting to have recorded: who asked, and what. */
typedef struct {
  char *from;
  char *what; /* the chat's text, or the modality */
} PresenceAsk;

static PresenceAsk *
presence_ask_new (const char *from, const char *what)
{
  PresenceAsk *ask = g_new0 (PresenceAsk, 1);

  ask->from = g_strdup (from);
  ask->what = g_strdup (what);
  return ask;
}

static void
presence_ask_free (gpointer data)
{
  PresenceAsk *ask = data;

  g_free (ask->from);
  g_free (ask->what);
  g_free (ask);
}

/* A chat is shown once it is stored; a visit's chats are stored in the
 * order they were sent and their answers come back in that order, so
 * everyone sees them in it. */
static void
chat_recorded (Room *room, gboolean ok, gint64 at_ms, gpointer data)
{
  PresenceAsk *ask = data;
  Participant *from = g_hash_table_lookup (room->participants, ask->from);

  if (!ok) {
    if (from && from->conn)
      conn_send_error (from->conn, SIG_ERR_INTERNAL,
                       "the clinic's server could not save your message just now, so "
                       "it was not sent; please send it again");
    return;
  }
  room_broadcast_take (room,
                       sig_encode_chat (ask->from, from ? from->display_name : NULL, ask->what,
                                        at_ms),
                       NULL);
}

void
room_chat (Room *room, Participant *from, const char *text)
{
  if (room->state == ROOM_ENDED || room->ending) {
    conn_send_error (from->conn, SIG_ERR_BAD_STATE, "the visit has ended");
    return;
  }
  /* Stored first: a message everyone saw but the record lost would make
   * the record wrong. */
  room_record_chat (room, from->id, text, g_get_real_time () / 1000, chat_recorded,
                    presence_ask_new (from->id, text), presence_ask_free);
}

void
room_media_state (Room *room, Participant *from, gboolean audio, gboolean video)
{
  from->audio_on = audio;
  from->video_on = video;
  from->media_state_known = TRUE;
  room_broadcast_take (room,
                       sig_encode_media_state (from->id, from->display_name, from->role, audio,
                                               video),
                       from);
}

/* The switch happens once it is recorded (the prescribing rules read the
 * recorded modality); switches are recorded and answered in order. */
static void
modality_recorded (Room *room, gboolean ok, gint64 at G_GNUC_UNUSED, gpointer data)
{
  PresenceAsk *ask = data;
  Participant *from = g_hash_table_lookup (room->participants, ask->from);

  if (--room->modality_pending == 0)
    g_clear_pointer (&room->modality_next, g_free);
  if (!ok) {
    if (from && from->conn)
      conn_send_error (from->conn, SIG_ERR_INTERNAL, "the change could not be recorded");
    return;
  }
  g_free (room->modality);
  room->modality = g_strdup (ask->what);
  room_broadcast_take (room,
                       sig_encode_modality (ask->what, ask->from, from ? from->display_name : NULL),
                       NULL);
}

void
room_modality (Room *room, Participant *from, const char *modality)
{
  /* What the visit will be once the switches being recorded are. */
  const char *current = room->modality_next ? room->modality_next : room->modality;

  if (from->role == SIG_ROLE_GUEST) {
    conn_send_error (from->conn, SIG_ERR_FORBIDDEN,
                     "only the patient or the provider may change how the visit is held");
    return;
  }
  if (room->state == ROOM_ENDED || room->ending) {
    conn_send_error (from->conn, SIG_ERR_BAD_STATE, "the visit has ended");
    return;
  }
  if (strcmp (current, modality) == 0) {
    /* Already so (or about to be): tell the sender, record nothing twice. */
    conn_send_take (from->conn, sig_encode_modality (current, NULL, NULL));
    return;
  }
  g_free (room->modality_next);
  room->modality_next = g_strdup (modality);
  room->modality_pending++;
  room_record_modality (room, from->id, modality, modality_recorded,
                        presence_ask_new (from->id, modality), presence_ask_free);
}

void
room_connect_trouble (Room *room, Participant *p, gboolean trouble)
{
  if (p->connect_trouble == trouble)
    return;
  p->connect_trouble = trouble;
  /* Ids only: names are patient data. */
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "VISIT_ID", room->visit_id,
                    "PARTICIPANT_ROLE", sig_role_name (p->role), "EVENT",
                    "visit.connect-trouble", "MESSAGE", "visit %s: participant %s media %s",
                    room->visit_id, p->id, trouble ? "cannot connect" : "connects again");
  if (trouble && room->hub->hooks.participant_event)
    room->hub->hooks.participant_event (room->visit_id, p->id, p->role, "connect-trouble",
                                        p->conn ? p->conn->address : NULL,
                                        room->hub->hooks_user_data);
  room_broadcast_take (room, sig_encode_connect_trouble (p->id, p->display_name, p->role, trouble),
                       p);
}

/* Two legs in a row that never connected: the client's own report may not
 * come (an older page, a tab in the background), the server's view is
 * enough. */
#define UNCONNECTED_LEGS_TROUBLE 2

void
room_leg_ended (Room *room, Participant *p, MediaLegState state)
{
  if (state == MEDIA_LEG_CONNECTED) {
    p->unconnected_legs = 0;
    return;
  }
  /* Only a leg that got its answer was trying to connect. */
  if (state != MEDIA_LEG_CONNECTING && state != MEDIA_LEG_FAILED)
    return;
  if (++p->unconnected_legs >= UNCONNECTED_LEGS_TROUBLE)
    room_connect_trouble (room, p, TRUE);
}

void
room_presence_welcome (Room *room, Participant *p)
{
  GHashTableIter iter;
  gpointer value;

  p->queue_position = 0; /* a new connection has been told nothing yet */
  room_quality_start (room);
  conn_send_take (p->conn, sig_encode_modality (room->modality, NULL, NULL));
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *q = value;
    /* Everyone still in the visit, a page reconnecting within its grace
     * period too: their microphone and camera are as they last said, and a
     * page that rejoins must not show them off (or unnamed) meanwhile. */
    if (q != p && (q->conn || q->grace_source) && q->media_state_known)
      conn_send_take (p->conn, sig_encode_media_state (q->id, q->display_name, q->role, q->audio_on,
                                                       q->video_on));
    if (q != p && q->connect_trouble && (q->conn || q->grace_source))
      conn_send_take (p->conn, sig_encode_connect_trouble (q->id, q->display_name, q->role, TRUE));
  }
}

/* ------------------------------------------------------- waiting places */

typedef struct {
  Participant *p;
  gint64 visit_since_ms; /* when the first of this visit's people began waiting */
  gboolean provider_present;
} WaitingPlace;

/* By visit (the one waiting longest first), so that a patient and their
 * guests stand in one place. */
static gint
compare_places (gconstpointer a, gconstpointer b)
{
  const WaitingPlace *x = a, *y = b;

  if (x->visit_since_ms != y->visit_since_ms)
    return x->visit_since_ms < y->visit_since_ms ? -1 : 1;
  return strcmp (x->p->room->visit_id, y->p->room->visit_id);
}

static gboolean
provider_connected (Room *room)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *q = value;
    if (q->role == SIG_ROLE_PROVIDER && q->conn && q->conn->state == CONN_JOINED)
      return TRUE;
  }
  return FALSE;
}

/* Adds the room's waiting patients and guests (connected, not admitted). */
static void
collect_waiting (Room *room, GArray *places)
{
  GHashTableIter iter;
  gpointer value;
  gboolean present;
  guint first = places->len;
  gint64 since = G_MAXINT64;

  if (room->state == ROOM_ENDED)
    return;
  present = provider_connected (room);
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *q = value;
    if (q->role != SIG_ROLE_PROVIDER && q->conn && q->conn->state == CONN_JOINED && !q->admitted &&
        q->waiting_since_ms > 0) {
      WaitingPlace w = { q, 0, present };
      since = MIN (since, q->waiting_since_ms);
      g_array_append_val (places, w);
    }
  }
  for (guint i = first; i < places->len; i++)
    g_array_index (places, WaitingPlace, i).visit_since_ms = since;
}

void
room_update_queues (Room *room)
{
  g_autoptr (GArray) places = g_array_new (FALSE, FALSE, sizeof (WaitingPlace));
  GHashTableIter iter;
  gpointer value;
  guint position = 0;

  /* A provider sees one patient at a time: everyone waiting for any of
   * their visits is in one line. Without a provider key, the visit alone. */
  if (room->provider_key) {
    g_hash_table_iter_init (&iter, room->hub->rooms);
    while (g_hash_table_iter_next (&iter, NULL, &value)) {
      Room *other = value;
      if (g_strcmp0 (other->provider_key, room->provider_key) == 0)
        collect_waiting (other, places);
    }
  } else {
    collect_waiting (room, places);
  }
  g_array_sort (places, compare_places);
  for (guint i = 0; i < places->len; i++) {
    WaitingPlace *w = &g_array_index (places, WaitingPlace, i);
    /* A patient and their guests waiting for the same visit share a place. */
    if (i == 0 || w->p->room != g_array_index (places, WaitingPlace, i - 1).p->room)
      position++;
    if (w->p->queue_position == position && w->p->queue_provider_present == w->provider_present)
      continue; /* nothing new for them */
    w->p->queue_position = position;
    w->p->queue_provider_present = w->provider_present;
    conn_send_take (w->p->conn, sig_encode_queue (position, w->provider_present));
  }
}

/* ------------------------------------------------------------ quality */

/* Every few seconds each connected participant hears how their media
 * reaches the server: loss since the last report, the round trip, and the
 * bitrate arriving. Their page combines it with the browser's own view. */
#define QUALITY_EVERY_S 3

typedef struct {
  SigHub *hub;
  char *visit_id;
  char *participant_id;
} QualityAsk;

static void
quality_ask_free (gpointer data)
{
  QualityAsk *ask = data;

  g_free (ask->visit_id);
  g_free (ask->participant_id);
  g_free (ask);
}

static void
quality_answer (MediaLeg *leg, const MediaLegQuality *q, gpointer data)
{
  QualityAsk *ask = data;
  Room *room = g_hash_table_lookup (ask->hub->rooms, ask->visit_id);
  Participant *p = room ? g_hash_table_lookup (room->participants, ask->participant_id) : NULL;
  MediaLegStats stats;
  gint64 now = g_get_monotonic_time ();
  gdouble loss = 0, kbps = 0;

  /* Gone, or a newer leg since: this answer is about nothing current. */
  if (!p || p->leg != leg || !p->conn)
    return;
  ask->hub->media->get_stats (leg, &stats);
  if (p->quality_leg == leg && now > p->quality_at_us) {
    guint64 got = q->packets_received - MIN (q->packets_received, p->quality_last.packets_received);
    guint64 lost = q->packets_lost - MIN (q->packets_lost, p->quality_last.packets_lost);
    gdouble secs = (gdouble) (now - p->quality_at_us) / G_USEC_PER_SEC;
    if (got + lost > 0)
      loss = 100.0 * (gdouble) lost / (gdouble) (got + lost);
    if (got + lost > 0 && ask->hub->hooks.media_quality)
      ask->hub->hooks.media_quality (loss / 100.0, q->rtt_ms / 1000.0, q->have_rtt,
                                     ask->hub->hooks_user_data);
    kbps = (gdouble) (stats.bytes_received - MIN (stats.bytes_received, p->quality_rx_bytes)) *
           8.0 / 1000.0 / secs;
    conn_send_take (p->conn, sig_encode_quality (loss, q->rtt_ms, q->have_rtt, kbps));
  }
  p->quality_leg = leg;
  p->quality_last = *q;
  p->quality_rx_bytes = stats.bytes_received;
  p->quality_at_us = now;
}

static gboolean
quality_tick (gpointer data)
{
  Room *room = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    QualityAsk *ask;
    if (!p->leg || !p->conn || room->hub->media->get_state (p->leg) != MEDIA_LEG_CONNECTED)
      continue;
    ask = g_new0 (QualityAsk, 1);
    ask->hub = room->hub;
    ask->visit_id = g_strdup (room->visit_id);
    ask->participant_id = g_strdup (p->id);
    room->hub->media->request_quality (p->leg, quality_answer, ask, quality_ask_free);
  }
  return G_SOURCE_CONTINUE;
}

void
room_quality_start (Room *room)
{
  if (!room->quality_source)
    room->quality_source = g_timeout_add_seconds (QUALITY_EVERY_S, quality_tick, room);
}
