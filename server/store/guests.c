/* store_guests.c — visit guests: a family member or interpreter, with a
 * link of their own. A guest is a participant of one visit with no person
 * row behind it (role 'guest', person_id NULL); the link is a join token
 * (store_tokens.c), and revoking a participant's tokens ends every link
 * they hold.
 *
 * Nothing here logs a guest's name or a token.
 */
#include "server/store/store-private.h"

#define GUEST_NAME_MAX 100 /* characters */

void
store_guest_free (StoreGuest *guest)
{
  if (!guest)
    return;
  store_participant_clear (&guest->participant);
  g_free (guest);
}

static gboolean
guest_name_valid (const char *name)
{
  glong chars;

  if (!name || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  chars = g_utf8_strlen (name, -1);
  if (chars < 1 || chars > GUEST_NAME_MAX)
    return FALSE;
  /* Not only blanks: the provider must be able to tell who is waiting. */
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

char *
store_add_guest (Store *store, const char *visit_id, const char *display_name, GError **error)
{
  char *id = NULL;
  char *now = NULL;
  guint changed = 0;
  gboolean exists = FALSE;

  g_return_val_if_fail (store != NULL, NULL);
  if (!guest_name_valid (display_name)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "a guest's name has 1 to 100 characters");
    goto out;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  id = g_uuid_string_random ();
  /* One statement: the visit must exist and not be over (a link into an
   * ended visit would never be any use). */
  if (!store_run (store, "insert guest",
                  "INSERT INTO participants (id, visit_id, role, display_name, created_at)"
                  " SELECT ?1, id, 'guest', ?3, ?4 FROM visits WHERE id = ?2 AND state <> 'ended'",
                  NULL, &changed, error, 4, id, visit_id, display_name, now))
    goto fail;
  if (changed == 1)
    goto out;
  /* Nothing inserted: only the error code is left to choose. */
  if (store_row_exists (store, "visits", visit_id, &exists, error))
    g_set_error_literal (error, STORE_ERROR, exists ? STORE_ERROR_INVALID : STORE_ERROR_NOT_FOUND,
                         exists ? "the visit has ended" : "no such visit");
fail:
  g_clear_pointer (&id, g_free);
out:
  g_free (now);
  return id;
}

gboolean
store_revoke_participant_tokens (Store *store, const char *participant_id, GError **error)
{
  char *now = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "participants", participant_id, "no such participant", error))
    goto out;
  /* Already revoked tokens keep their first revocation time. */
  if (!store_run (store, "revoke tokens",
                  "UPDATE join_tokens SET revoked_at = ?2"
                  " WHERE participant_id = ?1 AND revoked_at IS NULL",
                  NULL, NULL, error, 2, participant_id, now))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  g_free (now);
  return ok;
}

static gpointer
guest_row_new (StoreStmt *stmt, GError **error)
{
  StoreGuest *g = g_new0 (StoreGuest, 1);
  (void) error;
  g->participant.id = store_column_dup_text (stmt, 0);
  g->participant.visit_id = store_column_dup_text (stmt, 1);
  g->participant.role = PARTICIPANT_GUEST;
  g->participant.display_name = store_column_dup_text (stmt, 2);
  g->revoked = store_col_int (stmt, 3) != 0;
  return g;
}

GPtrArray *
store_list_visit_guests (Store *store, const char *visit_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *list = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    return NULL;
  /* revoked: the guest had a link and none of theirs still works. A guest
   * with no token yet has nothing revoked. */
  if (store_prepare (store,
                     "SELECT p.id, p.visit_id, p.display_name,"
                     " CASE WHEN EXISTS (SELECT 1 FROM join_tokens t WHERE t.participant_id = p.id)"
                     " AND NOT EXISTS (SELECT 1 FROM join_tokens t"
                     "   WHERE t.participant_id = p.id AND t.revoked_at IS NULL) THEN 1 ELSE 0 END"
                     " FROM participants p WHERE p.visit_id = ?1 AND p.role = 'guest'"
                     " ORDER BY p.created_at, p.id",
                     &stmt, error)) {
    store_bind_text (stmt, 1, visit_id);
    list = store_collect_rows (store, stmt, guest_row_new, (GDestroyNotify) store_guest_free,
                               "list guests", error);
  }
  store_stmt_free (stmt);
  return list;
}
