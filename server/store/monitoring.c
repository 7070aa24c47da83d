/* monitoring.c — what every source of a safety signal shares (migration
 * 19): raising a monitoring alert and opening a PHQ-9 item-9 safety task
 * inside the caller's transaction. The diary, the check-in and a recorded
 * observation call these in the same transaction as the row that carries
 * the signal, so a signal is written with its source or not at all: it is
 * never silently dropped by a failure in between.
 */
#include "server/store/store-private.h"

gboolean
store_alert_raise_locked (Store *store, const StoreAlertNew *alert, gint64 now_ms, char **out_id,
                          GError **error)
{
  static const char sql[] =
    "INSERT INTO monitoring_alerts (id, patient_id, rule, summary, raised_at, order_id,"
    " diary_entry_id, checkin_id, observation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
  g_autofree char *id = NULL;
  g_autofree char *at = NULL;

  g_return_val_if_fail (alert->patient_id && alert->rule && alert->summary, FALSE);
  if (!store_text_valid (alert->summary, 500) || !store_text_valid (alert->rule, 40)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "An alert needs a rule and a summary of at most 500 characters.");
    return FALSE;
  }
  if (!(at = store_format_time (now_ms, error)))
    return FALSE;
  id = g_uuid_string_random ();
  if (!store_run (store, "raise a monitoring alert", sql, NULL, NULL, error, 9, id,
                  alert->patient_id, alert->rule, alert->summary, at, alert->order_id,
                  alert->diary_entry_id, alert->checkin_id, alert->observation_id))
    return FALSE;
  if (out_id)
    *out_id = g_steal_pointer (&id);
  return TRUE;
}

gboolean
store_safety_task_open_locked (Store *store, const char *patient_id, guint item9,
                               const char *checkin_id, const char *diary_entry_id, gint64 now_ms,
                               gboolean *opened, GError **error)
{
  /* One open task per patient (a unique partial index): a second positive
   * answer while one is open belongs to the same follow-through, and the
   * answer itself stays in its check-in or diary entry. */
  static const char sql[] =
    "INSERT INTO safety_tasks (id, patient_id, opened_at, item9, checkin_id, diary_entry_id)"
    " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS"
    " (SELECT 1 FROM safety_tasks WHERE patient_id = ?2 AND closed_at IS NULL)";
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *at = NULL;
  char item9_text[4];
  guint changes = 0;

  g_return_val_if_fail (patient_id && (checkin_id != NULL) != (diary_entry_id != NULL), FALSE);
  if (opened)
    *opened = FALSE;
  if (item9 < 1 || item9 > 3) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "A safety task opens on a PHQ-9 item-9 answer of 1 to 3.");
    return FALSE;
  }
  if (!(at = store_format_time (now_ms, error)))
    return FALSE;
  g_snprintf (item9_text, sizeof item9_text, "%u", item9);
  if (!store_run (store, "open a safety task", sql, NULL, &changes, error, 6, id, patient_id, at,
                  item9_text, checkin_id, diary_entry_id))
    return FALSE;
  if (opened)
    *opened = changes > 0;
  return TRUE;
}

gboolean
store_observation_insert_locked (Store *store, const StoreObservationNew *obs, gint64 now_ms,
                                 char **out_id, GError **error)
{
  static const char sql[] =
    "INSERT INTO observations (id, patient_id, kind, loinc, value, value2, unit, effective_at,"
    " recorded_at, source, recorded_by, diary_entry_id, visit_id, interpretation)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *effective = NULL;
  g_autofree char *recorded = NULL;
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (obs->patient_id && obs->kind && obs->unit, FALSE);
  if (!(effective = store_format_time (obs->effective_ms, error)) ||
      !(recorded = store_format_time (now_ms, error)))
    return FALSE;
  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, obs->patient_id);
  store_bind_text (stmt, 3, obs->kind);
  store_bind_text (stmt, 4, obs->loinc);
  store_bind_double (stmt, 5, obs->value);
  if (obs->has_value2)
    store_bind_double (stmt, 6, obs->value2);
  store_bind_text (stmt, 7, obs->unit);
  store_bind_text (stmt, 8, effective);
  store_bind_text (stmt, 9, recorded);
  store_bind_text (stmt, 10, obs->recorded_by ? "clinic" : "patient");
  store_bind_text (stmt, 11, obs->recorded_by);
  store_bind_text (stmt, 12, obs->diary_entry_id);
  store_bind_text (stmt, 13, obs->visit_id);
  store_bind_text (stmt, 14, obs->interpretation);
  ok = store_step_done (store, stmt, "record an observation", error);
  store_stmt_free (stmt);
  if (ok && out_id)
    *out_id = g_steal_pointer (&id);
  return ok;
}
