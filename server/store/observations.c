/* observations.c — labs and vital signs on the record (migration 19): a
 * clinic entry written with the monitoring alert its value raises, in one
 * transaction (the shared steps of monitoring.c), and the patient's
 * observations read back with that alert. */
#include "server/store/store-private.h"

#include <string.h>

void
store_observation_free (StoreObservation *o)
{
  if (!o)
    return;
  g_free (o->id);
  g_free (o->kind);
  g_free (o->loinc);
  g_free (o->unit);
  g_free (o->recorded_by);
  g_free (o->recorded_by_name);
  g_free (o->visit_id);
  g_free (o->interpretation);
  g_free (o->alert_id);
  g_free (o->alert_rule);
  g_free (o->alert_summary);
  g_free (o);
}

static gboolean
visit_is_patients (Store *store, const char *visit_id, const char *patient_id, GError **error)
{
  g_autofree char *owner = NULL;
  GError *local = NULL;

  if (!store_select_text (store, "SELECT patient_id FROM visits WHERE id = ?1", visit_id,
                          "read the observation's visit", "no such visit", &owner, &local)) {
    if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      g_propagate_error (error, local);
      return FALSE;
    }
    g_clear_error (&local);
  }
  if (g_strcmp0 (owner, patient_id) != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "That visit is not this patient's.");
    return FALSE;
  }
  return TRUE;
}

gboolean
store_record_observation (Store *store, const StoreObservationRecord *rec, gint64 now_ms,
                          char **out_id, char **out_alert_id, GError **error)
{
  StoreObservationNew obs = {
    .patient_id = rec->patient_id,
    .kind = rec->kind,
    .loinc = rec->loinc,
    .value = rec->value,
    .has_value2 = rec->has_value2,
    .value2 = rec->value2,
    .unit = rec->unit,
    .effective_ms = rec->effective_ms,
    .recorded_by = rec->recorded_by,
    .visit_id = rec->visit_id,
    .interpretation = rec->interpretation,
  };
  g_autofree char *id = NULL, *alert_id = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (rec->recorded_by != NULL, FALSE);
  g_return_val_if_fail ((rec->alert_rule != NULL) == (rec->alert_summary != NULL), FALSE);
  if (!store_begin (store, error))
    return FALSE;
  if (!store_require_row (store, "patients", rec->patient_id, "no such patient", error) ||
      (rec->visit_id && !visit_is_patients (store, rec->visit_id, rec->patient_id, error)) ||
      !store_observation_insert_locked (store, &obs, now_ms, &id, error))
    goto out;
  if (rec->alert_rule) {
    StoreAlertNew alert = { .patient_id = rec->patient_id,
                            .rule = rec->alert_rule,
                            .summary = rec->alert_summary,
                            .observation_id = id };
    if (!store_alert_raise_locked (store, &alert, now_ms, &alert_id, error))
      goto out;
  }
  ok = TRUE;
out:
  if (!store_commit_or_rollback (store, ok, error))
    return FALSE;
  if (out_id)
    *out_id = g_steal_pointer (&id);
  if (out_alert_id)
    *out_alert_id = g_steal_pointer (&alert_id);
  return TRUE;
}

static gpointer
observation_row_new (StoreStmt *stmt, GError **error)
{
  StoreObservation *o = g_new0 (StoreObservation, 1);

  o->id = store_column_dup_text (stmt, 0);
  o->kind = store_column_dup_text (stmt, 1);
  o->loinc = store_column_dup_text (stmt, 2);
  o->value = store_col_double (stmt, 3);
  o->has_value2 = !store_col_is_null (stmt, 4);
  o->value2 = o->has_value2 ? store_col_double (stmt, 4) : 0;
  o->unit = store_column_dup_text (stmt, 5);
  if (!store_column_time (stmt, 6, &o->effective_ms, error) ||
      !store_column_time (stmt, 7, &o->recorded_ms, error)) {
    store_observation_free (o);
    return NULL;
  }
  o->home = g_strcmp0 (store_col_text (stmt, 8), "patient") == 0;
  o->recorded_by = store_column_dup_text (stmt, 9);
  o->recorded_by_name = store_column_dup_text (stmt, 10);
  o->visit_id = store_column_dup_text (stmt, 11);
  o->interpretation = store_column_dup_text (stmt, 12);
  o->alert_id = store_column_dup_text (stmt, 13);
  o->alert_rule = store_column_dup_text (stmt, 14);
  o->alert_summary = store_column_dup_text (stmt, 15);
  o->alert_acknowledged = !store_col_is_null (stmt, 16);
  return o;
}

GPtrArray *
store_list_observations (Store *store, const char *patient_id, const char *visit_id, GError **error)
{
  /* One alert per observation at most (one is raised per value), the
   * first raised should there ever be more. */
  static const char sql[] =
    "SELECT o.id, o.kind, o.loinc, o.value, o.value2, o.unit, o.effective_at, o.recorded_at,"
    " o.source, o.recorded_by, s.display_name, o.visit_id, o.interpretation,"
    " a.id, a.rule, a.summary, a.acknowledged_at"
    " FROM observations o LEFT JOIN staff s ON s.id = o.recorded_by"
    " LEFT JOIN monitoring_alerts a ON a.id = (SELECT id FROM monitoring_alerts"
    "   WHERE observation_id = o.id ORDER BY raised_at, rowid LIMIT 1)"
    " WHERE o.patient_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR o.visit_id = ?2)"
    " ORDER BY o.effective_at DESC, o.recorded_at DESC, o.rowid DESC";
  StoreStmt *stmt = NULL;
  GPtrArray *list = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error) ||
      !store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, visit_id);
  list = store_collect_rows (store, stmt, observation_row_new,
                             (GDestroyNotify) store_observation_free, "list observations", error);
out:
  store_stmt_free (stmt);
  return list;
}
