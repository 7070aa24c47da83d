/* schedule.c — what the clinic's schedule does to visits besides booking
 * them (visits.c): the overlaps that make a double booking, moving a
 * scheduled visit (its join links follow it), cancelling one with a
 * reason, and the no-show sweep's two questions. Each change is one
 * BEGIN IMMEDIATE transaction with its timeline event. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-private.h"

#include <string.h>

#define MAX_CANCEL_REASON 500

static const char *const kVisitTypes[] = { "initial_evaluation", "follow_up" };

gboolean
store_visit_type_valid (const char *type)
{
  return store_name_index (kVisitTypes, G_N_ELEMENTS (kVisitTypes), type, NULL);
}

static gboolean
length_valid (guint minutes)
{
  return minutes >= STORE_VISIT_MIN_MINUTES && minutes <= STORE_VISIT_MAX_MINUTES;
}

gboolean
store_set_visit_kind (Store *store, const char *visit_id, guint length_minutes,
                      const char *visit_type, GError **error)
{
  g_autofree char *length = NULL;

  if ((length_minutes && !length_valid (length_minutes)) ||
      (visit_type && !store_visit_type_valid (visit_type))) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad visit length or type");
    return FALSE;
  }
  length = length_minutes ? g_strdup_printf ("%u", length_minutes) : NULL;
  return store_run (store, "set visit kind",
                    "UPDATE visits SET length_minutes = COALESCE(CAST(?2 AS INTEGER), "
                    "length_minutes), visit_type = COALESCE(?3, visit_type) WHERE id = ?1",
                    NULL, NULL, error, 3, visit_id, length, visit_type);
}

GPtrArray *
store_visit_conflicts (Store *store, const char *provider_id, gint64 start_ms, guint length_minutes,
                       const char *except_visit_id, GError **error)
{
  gint64 end_ms = start_ms + (gint64) length_minutes * 60000;
  g_autofree char *from = NULL, *to = NULL;
  StoreStmt *stmt = NULL;
  GPtrArray *found = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  /* A visit that overlaps starts before the end and at most the longest
   * length before the start: the index narrows to that, the exact test is
   * below. */
  if (!(from = store_format_time (MAX (0, start_ms - (gint64) STORE_VISIT_MAX_MINUTES * 60000),
                                  error)) ||
      !(to = store_format_time (end_ms, error)))
    return NULL;
  if (!store_prepare (store,
                      STORE_VISIT_COLUMNS
                      "WHERE v.provider_id = ?1 AND v.scheduled_at >= ?2 AND v.scheduled_at < ?3"
                      " AND v.state NOT IN ('cancelled', 'no_show')"
                      " AND (CAST(?4 AS TEXT) IS NULL OR v.id <> ?4) ORDER BY v.scheduled_at, v.id",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, provider_id);
  store_bind_text (stmt, 2, from);
  store_bind_text (stmt, 3, to);
  store_bind_text (stmt, 4, except_visit_id);
  found = store_collect_visits (store, stmt, "visit conflicts", error);
  store_stmt_free (stmt);
  for (guint i = found ? found->len : 0; i > 0; i--) {
    StoreVisit *v = g_ptr_array_index (found, i - 1);
    if (v->scheduled_at_ms + (gint64) v->length_minutes * 60000 <= start_ms)
      g_ptr_array_remove_index (found, i - 1);
  }
  return found;
}

/* The visit's state inside the caller's transaction; INVALID unless it is
 * scheduled (`what` says what could not be done). */
static gboolean
require_scheduled (Store *store, const char *visit_id, const char *what, GError **error)
{
  g_autofree char *state = NULL;

  if (!store_select_text (store, "SELECT state FROM visits WHERE id = ?1", visit_id,
                          "read visit state", "no such visit", &state, error))
    return FALSE;
  if (g_strcmp0 (state, "scheduled") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "only a scheduled visit can be %s", what);
    return FALSE;
  }
  return TRUE;
}

static gboolean
move_rows (Store *store, const char *visit_id, const StoreVisitMove *m, const char *now,
           gint64 *from_ms, GError **error)
{
  g_autofree char *from = NULL, *to = NULL, *opens = NULL, *closes = NULL, *length = NULL;
  gint64 before = 0;

  if (!require_scheduled (store, visit_id, "moved", error) ||
      !store_select_text (store, "SELECT scheduled_at FROM visits WHERE id = ?1", visit_id,
                          "read visit start", "no such visit", &from, error) ||
      !store_text_time (from, &before, error))
    return FALSE;
  if (!(to = store_format_time (m->start_ms, error)) ||
      !(opens = store_format_time (m->start_ms - m->link_before_ms, error)) ||
      !(closes = store_format_time (m->start_ms + m->link_after_ms, error)))
    return FALSE;
  length = m->length_minutes ? g_strdup_printf ("%u", m->length_minutes) : NULL;
  if (!store_run (store, "move visit",
                  "UPDATE visits SET scheduled_at = ?2, updated_at = ?3,"
                  " length_minutes = COALESCE(CAST(?4 AS INTEGER), length_minutes) WHERE id = ?1",
                  NULL, NULL, error, 4, visit_id, to, now, length) ||
      !store_run (store, "insert moved event",
                  "INSERT INTO visit_events (visit_id, at, kind, moved_from, moved_to, staff_id)"
                  " VALUES (?1, ?2, 'moved', ?3, ?4, ?5)",
                  NULL, NULL, error, 5, visit_id, now, from, to, m->by_staff_id) ||
      /* The links the patient and guests already hold open around the new
       * time: a move never sends a new link. */
      !store_run (store, "move join tokens",
                  "UPDATE join_tokens SET not_before = ?2, not_after = ?3 WHERE participant_id IN"
                  " (SELECT id FROM participants WHERE visit_id = ?1)",
                  NULL, NULL, error, 3, visit_id, opens, closes) ||
      !store_visit_changed (store, visit_id, error))
    return FALSE;
  if (from_ms)
    *from_ms = before;
  return TRUE;
}

gboolean
store_move_visit (Store *store, const char *visit_id, const StoreVisitMove *move, gint64 *from_ms,
                  GError **error)
{
  g_autofree char *now = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && move != NULL, FALSE);
  if (move->length_minutes && !length_valid (move->length_minutes)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad visit length");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)) || !store_begin (store, error))
    return FALSE;
  ok = move_rows (store, visit_id, move, now, from_ms, error);
  return store_commit_or_rollback (store, ok, error);
}

gboolean
store_cancel_visit (Store *store, const char *visit_id, const char *reason, const char *by_staff_id,
                    GError **error)
{
  g_autofree char *now = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!store_text_valid (reason, MAX_CANCEL_REASON)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "a cancel needs a reason");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)) || !store_begin (store, error))
    return FALSE;
  ok = require_scheduled (store, visit_id, "cancelled", error) &&
       store_run (store, "cancel visit",
                  "UPDATE visits SET state = 'cancelled', updated_at = ?2 WHERE id = ?1", NULL,
                  NULL, error, 2, visit_id, now) &&
       store_run (store, "insert cancel event",
                  "INSERT INTO visit_events (visit_id, at, kind, state, reason, staff_id)"
                  " VALUES (?1, ?2, 'state', 'cancelled', ?3, ?4)",
                  NULL, NULL, error, 4, visit_id, now, reason, by_staff_id) &&
       store_visit_changed (store, visit_id, error);
  return store_commit_or_rollback (store, ok, error);
}

/* "Nobody ever joined": no join event of any participant. */
#define UNJOINED \
  "NOT EXISTS (SELECT 1 FROM visit_events e WHERE e.visit_id = v.id AND e.kind = 'join')"

GPtrArray *
store_visits_unjoined (Store *store, gint64 before_ms, GError **error)
{
  g_autofree char *before = NULL;
  StoreStmt *stmt = NULL;
  GPtrArray *ids = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  if (!(before = store_format_time (CLAMP (before_ms, 0, STORE_MAX_TIME_MS), error)))
    return NULL;
  if (!store_prepare (store,
                      "SELECT v.id FROM visits v WHERE v.state = 'scheduled'"
                      " AND v.scheduled_at < ?1 AND " UNJOINED " ORDER BY v.scheduled_at, v.id",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, before);
  ids = g_ptr_array_new_with_free_func (g_free);
  while ((rc = store_step (stmt)) == STORE_ROW)
    g_ptr_array_add (ids, store_column_dup_text (stmt, 0));
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "unjoined visits");
    g_clear_pointer (&ids, g_ptr_array_unref);
  }
  store_stmt_free (stmt);
  return ids;
}

gboolean
store_mark_no_show (Store *store, const char *visit_id, gboolean *marked, GError **error)
{
  g_autofree char *now = NULL;
  guint changed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && marked != NULL, FALSE);
  *marked = FALSE;
  if (!(now = store_format_time (store_now_ms (), error)) || !store_begin (store, error))
    return FALSE;
  /* The check and the change are one statement: someone joining meanwhile
   * leaves the visit as it is. */
  ok = store_run (store, "mark no-show",
                  "UPDATE visits AS v SET state = 'no_show', updated_at = ?2"
                  " WHERE v.id = ?1 AND v.state = 'scheduled' AND " UNJOINED,
                  NULL, &changed, error, 2, visit_id, now) &&
       (changed == 0 || store_run (store, "insert no-show event",
                                   "INSERT INTO visit_events (visit_id, at, kind, state, reason)"
                                   " VALUES (?1, ?2, 'state', 'no_show', 'no-show')",
                                   NULL, NULL, error, 2, visit_id, now)) &&
       (changed == 0 || store_visit_changed (store, visit_id, error));
  ok = store_commit_or_rollback (store, ok, error);
  if (ok)
    *marked = changed == 1;
  return ok;
}
