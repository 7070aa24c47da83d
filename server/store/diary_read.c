/* diary_read.c — the patient's diary as the record and the FHIR export read
 * it (migration 19's diary_entries, diary_doses, diary_side_effects), when
 * the patient's last visit took place, and the check-in's missed doses that
 * adherence falls back on. Reads only: the diary is written by the diary's
 * own routes. */
#include "server/store/store-private.h"

#include <string.h>

void
store_diary_row_free (StoreDiaryRow *row)
{
  if (!row)
    return;
  g_free (row->entry_id);
  g_free (row->day);
  g_free (row->order_id);
  g_free (row->reason);
  g_free (row->effect);
  g_free (row);
}

void
store_diary_clear (StoreDiary *diary)
{
  if (!diary)
    return;
  g_clear_pointer (&diary->entries, g_ptr_array_unref);
  g_clear_pointer (&diary->doses, g_ptr_array_unref);
  g_clear_pointer (&diary->effects, g_ptr_array_unref);
}

/* The columns every diary query starts with: the entry, its day, when it
 * was made, its rowid (the tie-break) and whether it is its day's record
 * (no newer entry of the same day), as 0 or 1 (a PostgreSQL boolean is not
 * an integer). */
#define ENTRY_COLUMNS                                                                        \
  "e.id, e.day, e.made_at, e.rowid,"                                                         \
  " CASE WHEN NOT EXISTS (SELECT 1 FROM diary_entries n WHERE n.patient_id = e.patient_id"   \
  "   AND n.day = e.day AND (n.made_at > e.made_at OR (n.made_at = e.made_at AND n.rowid > " \
  "e.rowid))) THEN 1 ELSE 0 END"
#define ENTRY_WHERE " WHERE e.patient_id = ?1 AND e.day >= ?2 AND e.day <= ?3"
#define ENTRY_ORDER " ORDER BY e.day, e.made_at, e.rowid"

static StoreDiaryRow *
entry_part (StoreStmt *stmt, GError **error)
{
  StoreDiaryRow *row = g_new0 (StoreDiaryRow, 1);

  row->entry_id = store_column_dup_text (stmt, 0);
  row->day = store_column_dup_text (stmt, 1);
  if (!row->entry_id || !row->day || !store_column_time (stmt, 2, &row->made_at_ms, error)) {
    if (error && !*error)
      g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "diary entry: a column is missing");
    store_diary_row_free (row);
    return NULL;
  }
  row->seq = store_col_int64 (stmt, 3);
  row->days_record = store_col_int (stmt, 4) != 0;
  row->item9 = -1;
  return row;
}

static gpointer
entry_row (StoreStmt *stmt, GError **error)
{
  StoreDiaryRow *row = entry_part (stmt, error);

  if (row && !store_col_is_null (stmt, 5))
    row->item9 = store_col_int (stmt, 5);
  return row;
}

static gpointer
dose_row (StoreStmt *stmt, GError **error)
{
  StoreDiaryRow *row = entry_part (stmt, error);

  if (!row)
    return NULL;
  row->order_id = store_column_dup_text (stmt, 5);
  row->taken = (guint) store_col_int (stmt, 6);
  row->missed = (guint) store_col_int (stmt, 7);
  row->reason = store_column_dup_text (stmt, 8);
  return row;
}

static gpointer
effect_row (StoreStmt *stmt, GError **error)
{
  StoreDiaryRow *row = entry_part (stmt, error);

  if (!row)
    return NULL;
  row->order_id = store_column_dup_text (stmt, 5);
  row->effect = store_column_dup_text (stmt, 6);
  row->severity = (guint) store_col_int (stmt, 7);
  return row;
}

static GPtrArray *
diary_rows (Store *store, const char *sql, StoreRowReader read, const char *what,
            const char *patient_id, const char *from_day, const char *to_day, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *rows;

  if (!store_prepare (store, sql, &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, from_day ? from_day : "0000-01-01");
  store_bind_text (stmt, 3, to_day ? to_day : "9999-12-31");
  rows = store_collect_rows (store, stmt, read, (GDestroyNotify) store_diary_row_free, what, error);
  store_stmt_free (stmt);
  return rows;
}

gboolean
store_read_diary (Store *store, const char *patient_id, const char *from_day, const char *to_day,
                  StoreDiary *out, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (patient_id != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  /* One snapshot: an entry saved meanwhile shows up whole or not at all. */
  if (!store_begin_read (store, error))
    return FALSE;
  ok = (out->entries = diary_rows (store,
                                   "SELECT " ENTRY_COLUMNS
                                   ", e.item9 FROM diary_entries e" ENTRY_WHERE ENTRY_ORDER,
                                   entry_row, "read diary entries", patient_id, from_day, to_day,
                                   error)) &&
       (out->doses =
          diary_rows (store,
                      "SELECT " ENTRY_COLUMNS ", d.order_id, d.taken, d.missed, d.reason"
                      " FROM diary_entries e JOIN diary_doses d ON d.entry_id = e.id" ENTRY_WHERE
                        ENTRY_ORDER ", d.order_id",
                      dose_row, "read diary doses", patient_id, from_day, to_day, error)) &&
       (out->effects = diary_rows (store,
                                   "SELECT " ENTRY_COLUMNS ", s.order_id, s.effect, s.severity"
                                   " FROM diary_entries e JOIN diary_side_effects s"
                                   " ON s.entry_id = e.id" ENTRY_WHERE ENTRY_ORDER
                                   ", s.order_id, s.effect",
                                   effect_row, "read diary side effects", patient_id, from_day,
                                   to_day, error));
  if (!store_commit_or_rollback (store, ok, ok ? error : NULL) || !ok) {
    store_diary_clear (out);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_last_visit_held (Store *store, const char *patient_id, const char *except_visit_id,
                       gint64 *out_ms, char **visit_id, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  *out_ms = -1;
  if (visit_id)
    *visit_id = NULL;
  /* A visit took place when it went in progress (the provider admitted the
   * patient); when is its first such moment. */
  if (!store_prepare (store,
                      "SELECT started, visit_id FROM (SELECT MIN(e.at) AS started,"
                      "   v.id AS visit_id FROM visit_events e JOIN visits v ON v.id = e.visit_id"
                      " WHERE v.patient_id = ?1 AND v.id IS DISTINCT FROM ?2 AND e.kind = 'state'"
                      "   AND e.state = 'in_progress' GROUP BY v.id) AS held"
                      " ORDER BY started DESC, visit_id DESC LIMIT 1",
                      &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, except_visit_id);
  switch (store_step (stmt)) {
  case STORE_DONE:
    ok = TRUE; /* none held */
    break;
  case STORE_ROW:
    ok = store_column_time (stmt, 0, out_ms, error);
    if (ok && visit_id)
      *visit_id = store_column_dup_text (stmt, 1);
    break;
  default:
    store_set_sql_error (store, error, "read the last visit held");
  }
  store_stmt_free (stmt);
  return ok;
}

static gpointer
missed_row (StoreStmt *stmt, GError **error)
{
  StoreMissedDose *m = g_new0 (StoreMissedDose, 1);

  (void) error;
  m->order_id = store_column_dup_text (stmt, 0);
  m->missed = (guint) store_col_int (stmt, 1);
  m->max_missed = (guint) store_col_int (stmt, 2);
  return m;
}

GPtrArray *
store_latest_checkin_missed (Store *store, const char *patient_id, gint64 since_ms,
                             const char *except_visit_id, gint64 *submitted_at_ms, GError **error)
{
  g_autofree char *since = store_format_time (MAX (since_ms, 0), error);
  g_autofree char *at = NULL;
  StoreStmt *stmt = NULL;
  GPtrArray *rows = NULL;
  GError *local = NULL;

  *submitted_at_ms = -1;
  if (!since)
    return NULL;
  if (!store_prepare (store,
                      "SELECT c.submitted_at FROM checkins c JOIN visits v ON v.id = c.visit_id"
                      " WHERE v.patient_id = ?1 AND c.submitted_at >= ?2 AND v.id IS DISTINCT FROM "
                      "?3"
                      "   AND EXISTS (SELECT 1 FROM checkin_missed_doses m"
                      "               WHERE m.checkin_id = c.id)"
                      " ORDER BY c.submitted_at DESC, c.rowid DESC LIMIT 1",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, since);
  store_bind_text (stmt, 3, except_visit_id);
  if (!store_step_row (store, stmt, "read the latest check-in", "none", &local)) {
    store_stmt_free (stmt);
    if (g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      g_error_free (local);
      return g_ptr_array_new_with_free_func ((GDestroyNotify) store_missed_dose_free);
    }
    g_propagate_error (error, local);
    return NULL;
  }
  at = store_column_dup_text (stmt, 0);
  store_stmt_free (stmt);
  if (!store_text_time (at, submitted_at_ms, error))
    return NULL;
  if (!store_prepare (store,
                      "SELECT m.order_id, m.missed, m.max_missed FROM checkin_missed_doses m"
                      " JOIN checkins c ON c.id = m.checkin_id JOIN visits v ON v.id = c.visit_id"
                      " WHERE v.patient_id = ?1 AND c.submitted_at = ?2"
                      " AND c.rowid = (SELECT c2.rowid FROM checkins c2 JOIN visits v2"
                      "   ON v2.id = c2.visit_id WHERE v2.patient_id = ?1 AND c2.submitted_at = ?2"
                      "   AND EXISTS (SELECT 1 FROM checkin_missed_doses m2"
                      "               WHERE m2.checkin_id = c2.id)"
                      "   ORDER BY c2.rowid DESC LIMIT 1)"
                      " ORDER BY m.order_id",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, at);
  rows = store_collect_rows (store, stmt, missed_row, (GDestroyNotify) store_missed_dose_free,
                             "read the check-in's missed doses", error);
  store_stmt_free (stmt);
  return rows;
}
