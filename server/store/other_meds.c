/* other_meds.c — the patient's medications from elsewhere (migration 26,
 * store-other-meds.h). Rows are never deleted: a stop or a verification
 * updates the row and the API audits it. */
#include "server/store/store-private.h"

#define COLUMNS                                                                  \
  "SELECT m.id, m.patient_id, m.name, m.rxnorm, m.dose, m.prescriber, m.status," \
  " m.stopped_on, m.verified_by, v.display_name, m.verified_at, m.created_by,"   \
  " c.display_name, m.created_at FROM other_medications m"                       \
  " LEFT JOIN staff v ON v.id = m.verified_by JOIN staff c ON c.id = m.created_by "

void
store_other_med_free (gpointer p)
{
  StoreOtherMed *m = p;

  if (!m)
    return;
  g_free (m->id);
  g_free (m->patient_id);
  g_free (m->name);
  g_free (m->rxnorm);
  g_free (m->dose);
  g_free (m->prescriber);
  g_free (m->status);
  g_free (m->stopped_on);
  g_free (m->verified_by);
  g_free (m->verified_by_name);
  g_free (m->created_by);
  g_free (m->created_by_name);
  g_free (m);
}

static gpointer
read_row (StoreStmt *stmt, GError **error)
{
  StoreOtherMed *m = g_new0 (StoreOtherMed, 1);

  m->id = store_column_dup_text (stmt, 0);
  m->patient_id = store_column_dup_text (stmt, 1);
  m->name = store_column_dup_text (stmt, 2);
  m->rxnorm = store_column_dup_text (stmt, 3);
  m->dose = store_column_dup_text (stmt, 4);
  m->prescriber = store_column_dup_text (stmt, 5);
  m->status = store_column_dup_text (stmt, 6);
  m->stopped_on = store_column_dup_text (stmt, 7);
  m->verified_by = store_column_dup_text (stmt, 8);
  m->verified_by_name = store_column_dup_text (stmt, 9);
  m->created_by = store_column_dup_text (stmt, 11);
  m->created_by_name = store_column_dup_text (stmt, 12);
  if (!m->id || !m->name || !m->status ||
      (m->verified_by && !store_column_time (stmt, 10, &m->verified_at_ms, error)) ||
      !store_column_time (stmt, 13, &m->created_at_ms, error)) {
    if (error && !*error)
      g_set_error_literal (error, STORE_ERROR, STORE_ERROR_SQL,
                           "read other medication: a NULL id, name or status");
    store_other_med_free (m);
    return NULL;
  }
  return m;
}

static StoreOtherMed *
get_one (Store *store, const char *patient_id, const char *id, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreOtherMed *m = NULL;

  if (!store_prepare (store, COLUMNS "WHERE m.id = ?1 AND m.patient_id = ?2", &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, patient_id);
  if (store_step_row (store, stmt, "read other medication",
                      "That medication is not on this patient's list.", error))
    m = read_row (stmt, error);
  store_stmt_free (stmt);
  return m;
}

GPtrArray *
store_list_other_meds (Store *store, const char *patient_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *rows;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_prepare (store, COLUMNS "WHERE m.patient_id = ?1 ORDER BY m.created_at, m.rowid",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, patient_id);
  rows = store_collect_rows (store, stmt, read_row, store_other_med_free, "list other medications",
                             error);
  store_stmt_free (stmt);
  return rows;
}

StoreOtherMed *
store_other_med_add (Store *store, const char *patient_id, const StoreOtherMedNew *m,
                     const char *staff_id, GError **error)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *now = store_format_time (store_now_ms (), error);
  StoreOtherMed *out = NULL;
  gboolean ok;

  if (!now)
    return NULL;
  if (!store_begin (store, error))
    return NULL;
  ok = store_require_row (store, "patients", patient_id, "no such patient", error) &&
       store_run (store, "add other medication",
                  "INSERT INTO other_medications (id, patient_id, name, rxnorm, dose, prescriber,"
                  " status, stopped_on, verified_by, verified_at, created_by, created_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN CAST(?7 AS TEXT) IS NULL THEN "
                  "'active' ELSE"
                  " 'stopped' END, ?7, ?8, ?9, ?10, ?11)",
                  NULL, NULL, error, 11, id, patient_id, m->name, m->rxnorm, m->dose, m->prescriber,
                  m->stopped_on, m->verified ? staff_id : NULL, m->verified ? now : NULL, staff_id,
                  now);
  if (!store_commit_or_rollback (store, ok, ok ? error : NULL))
    return NULL;
  out = get_one (store, patient_id, id, error);
  return out;
}

StoreOtherMed *
store_other_med_stop (Store *store, const char *patient_id, const char *id, const char *stopped_on,
                      GError **error)
{
  StoreOtherMed *current = NULL;
  guint changes = 0;

  if (!store_begin (store, error))
    return NULL;
  if (!(current = get_one (store, patient_id, id, error)))
    goto fail;
  if (g_strcmp0 (current->status, "stopped") == 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "This medication was already recorded as stopped on %s.", current->stopped_on);
    goto fail;
  }
  if (!store_run (store, "stop other medication",
                  "UPDATE other_medications SET status = 'stopped', stopped_on = ?1"
                  " WHERE id = ?2 AND patient_id = ?3 AND status = 'active'",
                  NULL, &changes, error, 3, stopped_on, id, patient_id))
    goto fail;
  if (!store_commit (store, error))
    goto fail;
  store_other_med_free (current);
  return get_one (store, patient_id, id, error);
fail:
  store_rollback (store);
  store_other_med_free (current);
  return NULL;
}

StoreOtherMed *
store_other_med_verify (Store *store, const char *patient_id, const char *id, const char *staff_id,
                        GError **error)
{
  g_autofree char *now = store_format_time (store_now_ms (), error);
  guint changes = 0;

  if (!now)
    return NULL;
  if (!store_run (store, "verify other medication",
                  "UPDATE other_medications SET verified_by = ?1, verified_at = ?2"
                  " WHERE id = ?3 AND patient_id = ?4",
                  NULL, &changes, error, 4, staff_id, now, id, patient_id))
    return NULL;
  if (changes == 0) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                         "That medication is not on this patient's list.");
    return NULL;
  }
  return get_one (store, patient_id, id, error);
}
