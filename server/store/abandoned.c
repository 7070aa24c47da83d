/* abandoned.c — visits everyone left without ending them: the server ends
 * them after a configured time (server/abandoned.c decides when), and the
 * timeline says the server did it and why. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-private.h"

gboolean
store_end_abandoned_visit (Store *store, const char *visit_id, gboolean *ended, GError **error)
{
  char *now = NULL;
  guint changed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && ended != NULL, FALSE);
  *ended = FALSE;
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    goto out;
  /* Only from in_progress: a visit ended (or never started) meanwhile is
   * left as it is. The check and the change are one statement. */
  if (!store_run (store, "end abandoned visit",
                  "UPDATE visits SET state = 'ended', updated_at = ?2"
                  " WHERE id = ?1 AND state = 'in_progress'",
                  NULL, &changed, error, 2, visit_id, now))
    goto out;
  if (changed == 1 && !store_run (store, "insert abandoned event",
                                  "INSERT INTO visit_events (visit_id, at, kind, state, reason)"
                                  " VALUES (?1, ?2, 'state', 'ended', 'abandoned')",
                                  NULL, NULL, error, 2, visit_id, now))
    goto out;
  if (changed == 1 && !store_visit_changed (store, visit_id, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  if (ok)
    *ended = changed == 1;
  g_free (now);
  return ok;
}

GPtrArray *
store_visits_in_progress (Store *store, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *ids = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_prepare (store, "SELECT id FROM visits WHERE state = 'in_progress' ORDER BY id", &stmt,
                      error))
    return NULL;
  ids = g_ptr_array_new_with_free_func (g_free);
  while ((rc = store_step (stmt)) == STORE_ROW)
    g_ptr_array_add (ids, store_column_dup_text (stmt, 0));
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "visits in progress");
    g_clear_pointer (&ids, g_ptr_array_unref);
  }
  store_stmt_free (stmt);
  return ids;
}
