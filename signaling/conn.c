/* conn.c — the hub and one connection's life: frames in, validated into
 * SigMessage structs at the edge, then dispatched by role and state to the
 * room. Every refusal is an `error` frame; the connection keeps serving. */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/room-private.h"

#include <string.h>

/* A client that keeps failing to identify itself is guessing tokens. */
#define MAX_FAILED_HELLOS 5

static void
room_free_cb (gpointer data)
{
  room_free (data);
}

SigHub *
sig_hub_new (const SigHooks *hooks, gpointer hooks_user_data, const MediaConfig *media)
{
  SigHub *hub = g_new0 (SigHub, 1);

  hub->hooks = *hooks;
  hub->hooks_user_data = hooks_user_data;
  hub->media = &sig_media_gstreamer;
  if (media) {
    hub->media_config = *media;
    hub->media_config.ice_addresses = g_strdupv (media->ice_addresses);
    hub->media_config.stun_server = g_strdup (media->stun_server);
  }
  hub->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, room_free_cb);
  hub->limits = (SigLimits) { .grace_s = 60, .media_timeout_s = 20 };
  hub->conns = g_hash_table_new (g_direct_hash, g_direct_equal);
  return hub;
}

void
sig_hub_set_media (SigHub *hub, const SigMedia *media)
{
  g_return_if_fail (g_hash_table_size (hub->conns) == 0);
  hub->media = media;
}

struct _SigAuthorizeReply {
  SigConn *conn; /* NULL once the connection is gone */
};

static void
conn_free (SigConn *conn)
{
  /* A hello still being checked: its answer will find nobody. */
  if (conn->authorizing)
    conn->authorizing->conn = NULL;
  g_free (conn->credential);
  g_free (conn->address);
  g_free (conn);
}

void
sig_hub_set_limits (SigHub *hub, const SigLimits *limits)
{
  hub->limits = *limits;
  if (hub->limits.grace_s == 0)
    hub->limits.grace_s = 1; /* "no grace" still lets the drop be recorded first */
  /* Every client receives everyone else of its visit: as many remote slots
   * (m-line pairs of each offer, media.h) as the participant limit allows
   * others, within what the media layer offers. */
  hub->media_config.remote_slots = limits->max_participants ? CLAMP (limits->max_participants - 1,
                                                                     1, MEDIA_MAX_REMOTE_SLOTS)
                                                            : MEDIA_MAX_REMOTE_SLOTS;
}

void
sig_hub_free (SigHub *hub)
{
  GHashTableIter iter;
  gpointer key;

  if (!hub)
    return;
  /* Rooms first: their legs and pipelines go down from the main loop. */
  g_hash_table_destroy (hub->rooms);
  g_hash_table_iter_init (&iter, hub->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    conn_free (key);
  g_hash_table_destroy (hub->conns);
  g_strfreev (hub->media_config.ice_addresses);
  g_free (hub->media_config.stun_server);
  g_free (hub);
}

guint
sig_hub_active_visits (SigHub *hub)
{
  return g_hash_table_size (hub->rooms);
}

guint
sig_hub_connection_count (SigHub *hub)
{
  return g_hash_table_size (hub->conns);
}

void
sig_hub_shutdown (SigHub *hub)
{
  GHashTableIter iter;
  gpointer key;

  hub->stopping = TRUE;
  g_hash_table_iter_init (&iter, hub->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    SigConn *conn = key;
    if (conn->state != CONN_CLOSING)
      conn_close_with_bye (conn, "shutdown");
  }
}

gboolean
sig_hub_kick_participant (SigHub *hub, const char *visit_id, const char *participant_id,
                          const char *reason)
{
  Room *room = g_hash_table_lookup (hub->rooms, visit_id);
  Participant *p = room ? g_hash_table_lookup (room->participants, participant_id) : NULL;
  SigConn *conn;

  if (!p || !p->conn)
    return FALSE;
  conn = p->conn;
  room_participant_gone (room, p);
  conn_close_with_bye (conn, reason);
  room_maybe_free (room);
  return TRUE;
}

guint
sig_hub_record_changed (SigHub *hub, const char *visit_id, const char *what)
{
  Room *room = g_hash_table_lookup (hub->rooms, visit_id);
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer value;
  guint told = 0;

  if (!room || !(text = sig_encode_record_changed (what)))
    return 0;
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    if (p->role == SIG_ROLE_PROVIDER && p->conn && p->conn->state == CONN_JOINED) {
      conn_send_take (p->conn, g_strdup (text));
      told++;
    }
  }
  return told;
}

gboolean
sig_hub_visit_occupied (SigHub *hub, const char *visit_id)
{
  /* A room lives while someone is connected or may still come back
   * (room_maybe_free). */
  return g_hash_table_contains (hub->rooms, visit_id);
}

GPtrArray *
sig_hub_visit_ids (SigHub *hub)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, hub->rooms);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, g_strdup (key));
  return ids;
}

guint
sig_hub_release_visit (SigHub *hub, const char *visit_id, const char *reason)
{
  Room *room = g_hash_table_lookup (hub->rooms, visit_id);
  GHashTableIter iter;
  gpointer value;
  guint told = 0;

  if (!room)
    return 0;
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    if (p->conn && p->conn->state != CONN_CLOSING) {
      conn_close_with_bye (p->conn, reason);
      told++;
    }
  }
  /* room_free detaches the connections (their close then finds no
   * participant), ends the legs and drops what still waits for the store,
   * without a record of anyone leaving. */
  g_hash_table_remove (hub->rooms, visit_id);
  return told;
}

SigConn *
sig_hub_connect (SigHub *hub, const SigTransport *transport, gpointer transport_data,
                 const char *credential, const char *address)
{
  SigConn *conn = g_new0 (SigConn, 1);

  conn->hub = hub;
  conn->transport = transport;
  conn->transport_data = transport_data;
  conn->credential = g_strdup (credential);
  conn->address = g_strdup (address);
  conn->state = CONN_AWAITING_HELLO;
  g_hash_table_add (hub->conns, conn);
  return conn;
}

/* The hello's answer: the welcome (joining the room), or the error. */
static void
hello_answered (SigConn *conn, gboolean ok, SigIdentity *identity, SigErrorCode code,
                const char *message)
{
  SigHub *hub = conn->hub;
  Room *room;

  /* Stopping: a page that connects in the last moments is told so, and
   * comes back by itself once the server is up again (bye "shutdown"). */
  if (hub->stopping) {
    conn_close_with_bye (conn, "shutdown");
    return;
  }
  if (!ok) {
    conn_send_error (conn, code, message ? message : "this link is not valid");
    if (++conn->failed_hellos >= MAX_FAILED_HELLOS)
      conn_close_with_bye (conn, "too-many-failures");
    return;
  }
  /* Another node hosts the visit: say where, and let go. */
  if (identity->redirect_url) {
    conn_send_take (conn, sig_encode_redirect (identity->redirect_url, identity->redirect_token));
    conn->state = CONN_CLOSING;
    conn->transport->close (conn->transport_data);
    return;
  }
  room = room_get_or_load (hub, identity);
  if (!room) {
    conn_send_error (conn, SIG_ERR_BUSY,
                     "the server is carrying as many visits as it allows; "
                     "please try again in a few minutes");
    return;
  }
  room_join (room, conn, identity);
  if (identity->nodes && conn->state == CONN_JOINED)
    conn_send_take (conn, sig_encode_nodes ((const char *const *) identity->nodes));
}

void
sig_authorize_reply_finish (SigAuthorizeReply *reply, gboolean ok, SigIdentity *identity,
                            SigErrorCode code, const char *message)
{
  SigConn *conn = reply->conn;

  g_free (reply);
  if (conn) {
    conn->authorizing = NULL;
    if (conn->state == CONN_AUTHORIZING) {
      conn->state = CONN_AWAITING_HELLO;
      hello_answered (conn, ok, identity, code, message);
    }
  }
  sig_identity_clear (identity);
}

static void
handle_hello (SigConn *conn, const SigMessage *msg)
{
  SigHub *hub = conn->hub;
  SigIdentity identity = { 0 };
  SigErrorCode code = SIG_ERR_UNAUTHORIZED;
  g_autofree char *message = NULL;
  gboolean ok;

  if (hub->stopping) {
    conn_close_with_bye (conn, "shutdown");
    return;
  }
  if (hub->hooks.authorize_async) {
    SigAuthorizeReply *reply = g_new0 (SigAuthorizeReply, 1);
    reply->conn = conn;
    conn->authorizing = reply;
    conn->state = CONN_AUTHORIZING;
    /* May answer before it returns: nothing of `conn` is used after. */
    hub->hooks.authorize_async (msg->u.hello.token, msg->u.hello.visit, conn->credential, reply,
                                hub->hooks_user_data);
    return;
  }
  ok = hub->hooks.authorize (msg->u.hello.token, msg->u.hello.visit, conn->credential, &identity,
                             &code, &message, hub->hooks_user_data);
  hello_answered (conn, ok, &identity, code, message);
  sig_identity_clear (&identity);
}

/* Checks what a joined connection may do; returns the participant or NULL
 * after sending the error. */
static Participant *
require_joined (SigConn *conn, gboolean provider_only)
{
  if (conn->state != CONN_JOINED || !conn->participant) {
    conn_send_error (conn, SIG_ERR_BAD_STATE, "send hello first");
    return NULL;
  }
  if (provider_only && conn->participant->role != SIG_ROLE_PROVIDER) {
    conn_send_error (conn, SIG_ERR_FORBIDDEN, "only the visit's provider may do this");
    return NULL;
  }
  return conn->participant;
}

static void
dispatch (SigConn *conn, const SigMessage *msg)
{
  Participant *p;
  Room *room;

  if (msg->type == SIG_MSG_HELLO) {
    if (conn->state == CONN_AUTHORIZING) {
      conn_send_error (conn, SIG_ERR_BAD_STATE, "the hello sent is still being checked");
      return;
    }
    if (conn->state != CONN_AWAITING_HELLO) {
      conn_send_error (conn, SIG_ERR_BAD_STATE, "hello was already accepted on this connection");
      return;
    }
    handle_hello (conn, msg);
    return;
  }

  p = require_joined (conn, msg->type == SIG_MSG_ADMIT || msg->type == SIG_MSG_END);
  if (!p)
    return;
  room = p->room;

  switch (msg->type) {
  case SIG_MSG_ADMIT:
    room_admit (room, conn, msg->u.admit.participant);
    break;
  case SIG_MSG_ANSWER:
    room_answer (room, p, msg->u.answer.sdp);
    break;
  case SIG_MSG_ICE:
    room_remote_ice (room, p, msg->u.ice.mline, msg->u.ice.candidate);
    break;
  case SIG_MSG_CHAT:
    room_chat (room, p, msg->u.chat.text);
    break;
  case SIG_MSG_MEDIA_STATE:
    room_media_state (room, p, msg->u.media_state.audio, msg->u.media_state.video);
    break;
  case SIG_MSG_MODALITY:
    room_modality (room, p, msg->u.modality.modality);
    break;
  case SIG_MSG_CONNECT_TROUBLE:
    if (room->state == ROOM_ENDED)
      conn_send_error (conn, SIG_ERR_BAD_STATE, "the visit has ended");
    else
      room_connect_trouble (room, p, msg->u.connect_trouble.trouble);
    break;
  case SIG_MSG_LEAVE:
    room_participant_gone (room, p);
    conn_close_with_bye (conn, "left");
    room_maybe_free (room);
    break;
  case SIG_MSG_END:
    room_end (room, p); /* may free the room */
    break;
  case SIG_MSG_HELLO:
  default:
    g_assert_not_reached ();
  }
}

void
sig_conn_receive (SigConn *conn, const char *data, gsize len, gboolean binary)
{
  SigMessage msg = { 0 };
  g_autoptr (GError) error = NULL;

  if (conn->state == CONN_CLOSING)
    return;
  if (binary) {
    conn->hub->messages_invalid++;
    conn_send_error (conn, SIG_ERR_BINARY, "binary frames are not part of this protocol");
    return;
  }
  if (!sig_message_parse (data, len, &msg, &error)) {
    conn->hub->messages_invalid++;
    conn_send_error (conn,
                     error->domain == SIG_ERROR ? (SigErrorCode) error->code : SIG_ERR_BAD_JSON,
                     error->message);
    return;
  }
  conn->hub->messages[msg.type]++;
  dispatch (conn, &msg);
  sig_message_clear (&msg);
}

void
sig_conn_disconnected (SigConn *conn)
{
  SigHub *hub = conn->hub;
  Participant *p = conn->participant;

  conn->state = CONN_CLOSING; /* nothing more goes to this transport */
  if (p) {
    /* No "leave" came first: a drop, which may be followed by a return. */
    room_participant_dropped (p->room, p);
  }
  g_hash_table_remove (hub->conns, conn);
  conn_free (conn);
}

gboolean
sig_conn_joined (const SigConn *conn)
{
  return conn->state == CONN_JOINED;
}
