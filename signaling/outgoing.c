/* outgoing.c — frames from the server to clients: to one connection, an
 * error (with the audit hook for refusals), the last word before a close,
 * and to everyone in a room. The rooms and the connection code both send;
 * neither needs the other for it. */
#define G_LOG_DOMAIN "th-signaling"

#include "signaling/room-private.h"

void
conn_send_take (SigConn *conn, char *text)
{
  if (conn->state != CONN_CLOSING)
    conn->transport->send (conn->transport_data, text);
  g_free (text);
}

void
conn_send_error (SigConn *conn, SigErrorCode code, const char *message)
{
  SigHub *hub = conn->hub;

  if ((code == SIG_ERR_UNAUTHORIZED || code == SIG_ERR_FORBIDDEN || code == SIG_ERR_NOT_FOUND) &&
      hub->hooks.refused) {
    Participant *p = conn->participant;
    hub->hooks.refused (p ? p->room->visit_id : NULL, p ? p->id : NULL, sig_error_code_name (code),
                        conn->address, hub->hooks_user_data);
  }
  conn_send_take (conn, sig_encode_error (code, message));
}

void
conn_close_with_bye (SigConn *conn, const char *reason)
{
  if (conn->state == CONN_CLOSING)
    return;
  conn_send_take (conn, sig_encode_bye (reason));
  conn->state = CONN_CLOSING;
  conn->transport->close (conn->transport_data);
}

void
room_broadcast_take (Room *room, char *text, Participant *except)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Participant *p = value;
    if (p != except && p->conn && p->conn->state == CONN_JOINED)
      p->conn->transport->send (p->conn->transport_data, text);
  }
  g_free (text);
}
