/* reproductive.c — the patient's pregnancy potential (migration 25,
 * store-reproductive.h): append-only rows, the newest is the record. */
#include "server/store/store-private.h"
#include "server/clock/clock.h"

#include <string.h>

void
store_reproductive_free (gpointer p)
{
  StoreReproductive *row = p;

  if (!row)
    return;
  rx_reproductive_clear (&row->r);
  g_free (row->recorded_by);
  g_free (row->recorded_by_name);
  g_free (row);
}

static char *
date_or_null (const GDate *d)
{
  return g_date_valid (d) ? th_date_format (d) : NULL;
}

gboolean
store_reproductive_add (Store *store, const char *patient_id, const RxReproductive *r,
                        const char *staff_id, gint64 now_ms, GError **error)
{
  g_autofree char *at = NULL, *checked = date_or_null (&r->pregnancy_checked);
  g_autofree char *counselled = date_or_null (&r->counselled);
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (patient_id != NULL && r != NULL && staff_id != NULL, FALSE);
  if (!(at = store_format_time (now_ms, error)) ||
      !store_require_row (store, "patients", patient_id, "no such patient", error))
    return FALSE;
  if (!store_prepare (store,
                      "INSERT INTO patient_reproductive (patient_id, sex_at_birth, unable_reason,"
                      " pregnancy, pregnancy_checked, breastfeeding, contraception,"
                      " highly_effective, counselled_on, counselled_by, recorded_by, recorded_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                      &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, r->sex_at_birth);
  store_bind_text (stmt, 3, r->unable_reason);
  store_bind_text (stmt, 4, r->pregnancy);
  store_bind_text (stmt, 5, checked);
  store_bind_text (stmt, 6, r->breastfeeding);
  store_bind_text (stmt, 7, r->contraception);
  store_bind_int (stmt, 8, r->highly_effective ? 1 : 0);
  store_bind_text (stmt, 9, counselled);
  store_bind_text (stmt, 10, r->counselled_by);
  store_bind_text (stmt, 11, staff_id);
  store_bind_text (stmt, 12, at);
  rc = store_step (stmt);
  if (rc == STORE_DONE)
    ok = TRUE;
  else if (store_last_violation (store) != STORE_VIOLATION_NONE)
    /* The API checks every rule first: the table refusing is a bug there,
     * but it is still the clinician's input that was not saved. */
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "The pregnancy potential record is not consistent; nothing was saved.");
  else
    store_set_sql_error (store, error, "save the pregnancy potential record");
  store_stmt_free (stmt);
  return ok;
}

static void
date_column (StoreStmt *stmt, int col, GDate *out)
{
  const char *text = store_col_text (stmt, col);

  if (!text || !th_date_parse (text, out))
    g_date_clear (out, 1);
}

static gpointer
reproductive_row (StoreStmt *stmt, GError **error)
{
  StoreReproductive *row = g_new0 (StoreReproductive, 1);

  row->id = store_col_int64 (stmt, 0);
  row->r.sex_at_birth = store_column_dup_text (stmt, 1);
  row->r.unable_reason = store_column_dup_text (stmt, 2);
  row->r.pregnancy = store_column_dup_text (stmt, 3);
  date_column (stmt, 4, &row->r.pregnancy_checked);
  row->r.breastfeeding = store_column_dup_text (stmt, 5);
  row->r.contraception = store_column_dup_text (stmt, 6);
  row->r.highly_effective = store_col_int (stmt, 7) != 0;
  date_column (stmt, 8, &row->r.counselled);
  row->r.counselled_by = store_column_dup_text (stmt, 9);
  row->recorded_by = store_column_dup_text (stmt, 10);
  row->recorded_by_name = store_column_dup_text (stmt, 11);
  if (!store_column_time (stmt, 12, &row->recorded_at_ms, error)) {
    store_reproductive_free (row);
    return NULL;
  }
  return row;
}

GPtrArray *
store_reproductive_history (Store *store, const char *patient_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *rows;

  g_return_val_if_fail (patient_id != NULL, NULL);
  if (!store_prepare (store,
                      "SELECT r.id, r.sex_at_birth, r.unable_reason, r.pregnancy,"
                      " r.pregnancy_checked, r.breastfeeding, r.contraception, r.highly_effective,"
                      " r.counselled_on, r.counselled_by, r.recorded_by, s.display_name,"
                      " r.recorded_at FROM patient_reproductive r"
                      " LEFT JOIN staff s ON s.id = r.recorded_by"
                      " WHERE r.patient_id = ?1 ORDER BY r.id DESC",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, patient_id);
  rows = store_collect_rows (store, stmt, reproductive_row, store_reproductive_free,
                             "read the pregnancy potential record", error);
  store_stmt_free (stmt);
  return rows;
}
