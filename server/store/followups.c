/* followups.c — the next follow-up of a visit that ended: the interval the
 * rules suggested, the one chosen, the date it is due by and the visit
 * booked for it (migration 15); the patient's next visit; and the patients
 * whose last visit left nothing booked, which "who is overdue" reads. */
#include "server/store/store-private.h"

#include <string.h>

void
store_follow_up_clear (StoreFollowUp *f)
{
  if (!f)
    return;
  g_free (f->visit_id);
  g_free (f->rule);
  g_free (f->reason);
  g_free (f->due_date);
  g_free (f->next_visit_id);
  memset (f, 0, sizeof *f);
}

void
store_follow_up_due_free (StoreFollowUpDue *d)
{
  if (!d)
    return;
  store_visit_clear (&d->last);
  store_follow_up_clear (&d->follow_up);
  g_free (d);
}

static gboolean
follow_up_valid (const StoreFollowUp *f, GError **error)
{
  GDate due;

  if (!f->visit_id || !f->rule || !*f->rule || !f->reason || !*f->reason ||
      f->suggested_weeks < 1 || f->suggested_weeks > 52 || f->weeks > 52 || !f->due_date ||
      strlen (f->due_date) != 10 || !g_utf8_validate (f->reason, -1, NULL)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad follow-up");
    return FALSE;
  }
  g_date_clear (&due, 1);
  g_date_set_parse (&due, f->due_date);
  if (!g_date_valid (&due)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad follow-up due date");
    return FALSE;
  }
  return TRUE;
}

/* Writes the row: `upsert` replaces the choice, the due date and the
 * booked visit of an existing one (the suggestion stays as first made);
 * otherwise an existing row is left alone. */
static gboolean
write_follow_up (Store *store, const StoreFollowUp *f, const char *decided_by, gboolean upsert,
                 guint *changed, GError **error)
{
  g_autofree char *now = store_format_time (store_now_ms (), error);
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!now)
    return FALSE;
  if (!store_prepare (store,
                      upsert
                        ? "INSERT INTO follow_ups (visit_id, rule, suggested_weeks, reason,"
                          " weeks, due_date, next_visit_id, decided_by, created_at, updated_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
                          " ON CONFLICT (visit_id) DO UPDATE SET weeks = excluded.weeks,"
                          " due_date = excluded.due_date,"
                          " next_visit_id = excluded.next_visit_id,"
                          " decided_by = excluded.decided_by, updated_at = excluded.updated_at"
                        : "INSERT INTO follow_ups (visit_id, rule, suggested_weeks, reason,"
                          " weeks, due_date, next_visit_id, decided_by, created_at, updated_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
                          " ON CONFLICT (visit_id) DO NOTHING",
                      &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, f->visit_id);
  store_bind_text (stmt, 2, f->rule);
  store_bind_int (stmt, 3, (int) f->suggested_weeks);
  store_bind_text (stmt, 4, f->reason);
  if (f->weeks > 0)
    store_bind_int (stmt, 5, (int) f->weeks);
  store_bind_text (stmt, 6, f->due_date);
  store_bind_text (stmt, 7, f->next_visit_id);
  store_bind_text (stmt, 8, decided_by);
  store_bind_text (stmt, 9, now);
  if (store_step_done (store, stmt, "write follow-up", error)) {
    if (changed)
      *changed = (guint) store_changes (store);
    ok = TRUE;
  }
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_follow_up_suggest (Store *store, const StoreFollowUp *f, gboolean *recorded, GError **error)
{
  guint changed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && f != NULL, FALSE);
  if (!follow_up_valid (f, error))
    return FALSE;
  if (store_begin (store, error))
    ok = store_require_row (store, "visits", f->visit_id, "no such visit", error) &&
         write_follow_up (store, f, NULL, FALSE, &changed, error);
  if (!store_commit_or_rollback (store, ok, error))
    return FALSE;
  if (recorded)
    *recorded = changed == 1;
  return TRUE;
}

#define FOLLOW_UP_COLUMNS "visit_id, rule, suggested_weeks, reason, weeks, due_date, next_visit_id"

/* Reads FOLLOW_UP_COLUMNS from column `col` on. */
static void
read_follow_up (StoreStmt *stmt, int col, StoreFollowUp *out)
{
  out->visit_id = store_column_dup_text (stmt, col);
  out->rule = store_column_dup_text (stmt, col + 1);
  out->suggested_weeks = (guint) store_col_int (stmt, col + 2);
  out->reason = store_column_dup_text (stmt, col + 3);
  out->weeks = (guint) store_col_int (stmt, col + 4); /* NULL reads 0 */
  out->due_date = store_column_dup_text (stmt, col + 5);
  out->next_visit_id = store_column_dup_text (stmt, col + 6);
}

gboolean
store_get_follow_up (Store *store, const char *visit_id, StoreFollowUp *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  ok = store_select_row (store, "SELECT " FOLLOW_UP_COLUMNS " FROM follow_ups WHERE visit_id = ?1",
                         visit_id, "get follow-up", "no follow-up recorded", &stmt, error);
  if (ok)
    read_follow_up (stmt, 0, out);
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_book_follow_up (Store *store, const StoreFollowUp *f, const char *decided_by,
                      const StoreVisitBooking *booking, StoreBookedVisit *out, GError **error)
{
  StoreFollowUp row;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && f != NULL && booking != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (!follow_up_valid (f, error))
    return FALSE;
  if (!store_begin (store, error))
    return FALSE;
  if (!store_require_row (store, "visits", f->visit_id, "no such visit", error) ||
      !store_insert_booking (store, booking, out, error))
    goto out;
  row = *f;
  row.next_visit_id = out->visit_id;
  ok = write_follow_up (store, &row, decided_by, TRUE, NULL, error);
out:
  if (!store_commit_or_rollback (store, ok, error)) {
    store_booked_visit_clear (out);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_next_visit (Store *store, const char *patient_id, const char *except_id, gint64 after_ms,
                  StoreVisit *out, GError **error)
{
  g_autofree char *after = store_format_time (MAX (after_ms, 0), error);
  g_autoptr (GPtrArray) visits = NULL;
  StoreStmt *stmt = NULL;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  if (!after || !store_prepare (store,
                                STORE_VISIT_COLUMNS "WHERE v.patient_id = ?1 AND v.id <> ?2"
                                                    " AND v.state IN ('scheduled', 'waiting')"
                                                    " AND v.scheduled_at > ?3"
                                                    " ORDER BY v.scheduled_at, v.id LIMIT 1",
                                &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, except_id ? except_id : "");
  store_bind_text (stmt, 3, after);
  visits = store_collect_visits (store, stmt, "next visit", error);
  store_stmt_free (stmt);
  if (!visits)
    return FALSE;
  if (visits->len == 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no next visit booked");
    return FALSE;
  }
  *out = *(StoreVisit *) g_ptr_array_index (visits, 0);
  /* The fields now belong to *out: free only the shell. */
  memset (g_ptr_array_index (visits, 0), 0, sizeof (StoreVisit));
  return TRUE;
}

/* One row of the query below: the visit (0..8), when it reached its state
 * (9), then FOLLOW_UP_COLUMNS (10..16, NULL without a row). */
static gpointer
due_row_new (StoreStmt *stmt, GError **error)
{
  StoreFollowUpDue *d = g_new0 (StoreFollowUpDue, 1);
  const char *state = store_col_text (stmt, 6);

  /* A missed visit is read by its state's name: the no-show sweep owns the
   * state itself (VisitState may not know it in every build). */
  d->no_show = g_strcmp0 (state, "no_show") == 0;
  if (!store_read_visit (stmt, &d->last, error) ||
      !store_column_time (stmt, 9, &d->ended_at_ms, error)) {
    store_follow_up_due_free (d);
    return NULL;
  }
  d->has_follow_up = !store_col_is_null (stmt, 10);
  if (d->has_follow_up)
    read_follow_up (stmt, 10, &d->follow_up);
  return d;
}

GPtrArray *
store_list_follow_ups_due (Store *store, const char *provider_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *rows = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  /* Each patient's last visit that ended or was missed, when nothing of
   * theirs is booked, waiting or going on from then on. */
  if (!store_prepare (
        store,
        "SELECT v.id, v.patient_id, pa.display_name, v.provider_id, st.display_name,"
        " v.scheduled_at, v.state, v.modality, v.created_at,"
        " COALESCE((SELECT MAX(e.at) FROM visit_events e WHERE e.visit_id = v.id"
        "   AND e.kind = 'state' AND e.state = v.state), v.scheduled_at),"
        " fu.visit_id, fu.rule, fu.suggested_weeks, fu.reason, fu.weeks, fu.due_date,"
        " fu.next_visit_id FROM visits v"
        " JOIN patients pa ON pa.id = v.patient_id JOIN staff st ON st.id = v.provider_id"
        " LEFT JOIN follow_ups fu ON fu.visit_id = v.id"
        " WHERE v.state IN ('ended', 'no_show')"
        " AND (CAST(?1 AS TEXT) IS NULL OR v.provider_id = ?1)"
        " AND NOT EXISTS (SELECT 1 FROM visits w WHERE w.patient_id = v.patient_id"
        "   AND w.state IN ('ended', 'no_show') AND (w.scheduled_at > v.scheduled_at"
        "   OR (w.scheduled_at = v.scheduled_at AND w.id > v.id)))"
        " AND NOT EXISTS (SELECT 1 FROM visits w WHERE w.patient_id = v.patient_id"
        "   AND w.state IN ('scheduled', 'waiting', 'in_progress')"
        "   AND w.scheduled_at >= v.scheduled_at)"
        " ORDER BY v.scheduled_at, v.id",
        &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, provider_id);
  rows = store_collect_rows (store, stmt, due_row_new, (GDestroyNotify) store_follow_up_due_free,
                             "list follow-ups due", error);
  store_stmt_free (stmt);
  return rows;
}
