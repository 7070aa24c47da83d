/* alerts.c — reading and acknowledging monitoring alerts, and reading and
 * closing item-9 safety tasks (migration 19, 20). Raising an alert and
 * opening a task happen inside the source's own transaction (monitoring.c).
 *
 * Both tables keep every row: an alert is acknowledged once (a trigger
 * refuses any other change), a task is closed once. Errors name
 * statements, never values.
 */
#include "server/store/store-private.h"

#include <string.h>

/* ------------------------------------------------------------- alerts */

void
store_alert_free (StoreAlert *a)
{
  if (!a)
    return;
  g_free (a->id);
  g_free (a->patient_id);
  g_free (a->patient_name);
  g_free (a->rule);
  g_free (a->summary);
  g_free (a->order_id);
  g_free (a->diary_entry_id);
  g_free (a->checkin_id);
  g_free (a->observation_id);
  g_free (a->acknowledged_by);
  g_free (a->acknowledged_by_name);
  g_free (a->ack_note);
  g_free (a);
}

#define ALERT_COLUMNS                                                                           \
  "SELECT a.id, a.patient_id, p.display_name, a.rule, a.summary, a.raised_at, a.order_id,"      \
  " a.diary_entry_id, a.checkin_id, a.observation_id, a.acknowledged_at, a.acknowledged_by,"    \
  " s.display_name, a.ack_note FROM monitoring_alerts a JOIN patients p ON p.id = a.patient_id" \
  " LEFT JOIN staff s ON s.id = a.acknowledged_by "

static gpointer
alert_row_new (StoreStmt *stmt, GError **error)
{
  StoreAlert *a = g_new0 (StoreAlert, 1);

  a->id = store_column_dup_text (stmt, 0);
  a->patient_id = store_column_dup_text (stmt, 1);
  a->patient_name = store_column_dup_text (stmt, 2);
  a->rule = store_column_dup_text (stmt, 3);
  a->summary = store_column_dup_text (stmt, 4);
  a->order_id = store_column_dup_text (stmt, 6);
  a->diary_entry_id = store_column_dup_text (stmt, 7);
  a->checkin_id = store_column_dup_text (stmt, 8);
  a->observation_id = store_column_dup_text (stmt, 9);
  a->acknowledged_by = store_column_dup_text (stmt, 11);
  a->acknowledged_by_name = store_column_dup_text (stmt, 12);
  a->ack_note = store_column_dup_text (stmt, 13);
  if (!store_column_time (stmt, 5, &a->raised_at_ms, error) ||
      (!store_col_is_null (stmt, 10) &&
       !store_column_time (stmt, 10, &a->acknowledged_at_ms, error))) {
    store_alert_free (a);
    return NULL;
  }
  return a;
}

GPtrArray *
store_list_open_alerts (Store *store, guint limit, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *list = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_prepare (store,
                      ALERT_COLUMNS "WHERE a.acknowledged_at IS NULL"
                                    " ORDER BY a.raised_at DESC, a.rowid DESC LIMIT ?1",
                      &stmt, error))
    goto out;
  store_bind_int64 (stmt, 1, limit ? (gint64) limit : -1);
  list = store_collect_rows (store, stmt, alert_row_new, (GDestroyNotify) store_alert_free,
                             "list open alerts", error);
out:
  store_stmt_free (stmt);
  return list;
}

/* The rows `sql` selects for one patient (bound to ?1); NOT_FOUND when
 * there is no such patient, so an unknown patient is never an empty list. */
static GPtrArray *
list_for_patient (Store *store, const char *patient_id, const char *sql, StoreRowReader read,
                  GDestroyNotify free_item, const char *what, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *list = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error) ||
      !store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, patient_id);
  list = store_collect_rows (store, stmt, read, free_item, what, error);
out:
  store_stmt_free (stmt);
  return list;
}

GPtrArray *
store_list_patient_alerts (Store *store, const char *patient_id, GError **error)
{
  return list_for_patient (store, patient_id,
                           ALERT_COLUMNS "WHERE a.patient_id = ?1"
                                         " ORDER BY a.acknowledged_at IS NOT NULL,"
                                         " a.raised_at DESC, a.rowid DESC",
                           alert_row_new, (GDestroyNotify) store_alert_free, "list patient alerts",
                           error);
}

StoreAlert *
store_get_alert (Store *store, const char *alert_id, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreAlert *a = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (store_select_row (store, ALERT_COLUMNS "WHERE a.id = ?1", alert_id, "get alert",
                        "no such alert", &stmt, error))
    a = alert_row_new (stmt, error);
  store_stmt_free (stmt);
  return a;
}

gboolean
store_acknowledge_alert (Store *store, const char *alert_id, const char *staff_id, const char *note,
                         gint64 now_ms, GError **error)
{
  g_autofree char *at = NULL;
  g_autofree char *acked = NULL;
  guint changes = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && alert_id && staff_id, FALSE);
  if (!store_text_valid (note, 1000)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "An acknowledgement needs a note of 1 to 1000 characters.");
    return FALSE;
  }
  if (!(at = store_format_time (now_ms, error)) || !store_begin (store, error))
    return FALSE;
  /* Read first, in the same transaction: "absent" and "already
   * acknowledged" are different answers. */
  if (!store_select_text (store, "SELECT acknowledged_at FROM monitoring_alerts WHERE id = ?1",
                          alert_id, "get alert", "no such alert", &acked, error))
    goto out;
  if (acked) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_EXPIRED, "the alert is already acknowledged");
    goto out;
  }
  if (!store_run (store, "acknowledge alert",
                  "UPDATE monitoring_alerts SET acknowledged_at = ?1, acknowledged_by = ?2,"
                  " ack_note = ?3 WHERE id = ?4 AND acknowledged_at IS NULL",
                  NULL, &changes, error, 4, at, staff_id, note, alert_id))
    goto out;
  if (changes != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_EXPIRED, "the alert is already acknowledged");
    goto out;
  }
  ok = TRUE;
out:
  return store_commit_or_rollback (store, ok, error);
}

/* -------------------------------------------------------- safety tasks */

void
store_safety_task_free (StoreSafetyTask *t)
{
  if (!t)
    return;
  g_free (t->id);
  g_free (t->patient_id);
  g_free (t->checkin_id);
  g_free (t->diary_entry_id);
  g_free (t->closed_by);
  g_free (t->closed_by_name);
  g_free (t->visit_id);
  g_free (t->screen);
  g_free (t->risk_level);
  g_free (t->suggested_risk);
  g_free (t->risk_reason);
  g_free (t->plan);
  g_free (t->plan_reason);
  g_free (t->location);
  g_free (t);
}

#define TASK_COLUMNS                                                                        \
  "SELECT t.id, t.patient_id, t.opened_at, t.item9, t.checkin_id, t.diary_entry_id,"        \
  " t.closed_at, t.closed_by, s.display_name, t.visit_id, t.screen, t.risk_level,"          \
  " t.suggested_risk, t.risk_reason, t.plan, t.plan_reason, t.location FROM safety_tasks t" \
  " LEFT JOIN staff s ON s.id = t.closed_by "

static gpointer
task_row_new (StoreStmt *stmt, GError **error)
{
  StoreSafetyTask *t = g_new0 (StoreSafetyTask, 1);

  t->id = store_column_dup_text (stmt, 0);
  t->patient_id = store_column_dup_text (stmt, 1);
  t->item9 = (guint) store_col_int (stmt, 3);
  t->checkin_id = store_column_dup_text (stmt, 4);
  t->diary_entry_id = store_column_dup_text (stmt, 5);
  t->closed_by = store_column_dup_text (stmt, 7);
  t->closed_by_name = store_column_dup_text (stmt, 8);
  t->visit_id = store_column_dup_text (stmt, 9);
  t->screen = store_column_dup_text (stmt, 10);
  t->risk_level = store_column_dup_text (stmt, 11);
  t->suggested_risk = store_column_dup_text (stmt, 12);
  t->risk_reason = store_column_dup_text (stmt, 13);
  t->plan = store_column_dup_text (stmt, 14);
  t->plan_reason = store_column_dup_text (stmt, 15);
  t->location = store_column_dup_text (stmt, 16);
  if (!store_column_time (stmt, 2, &t->opened_at_ms, error) ||
      (!store_col_is_null (stmt, 6) &&
       !store_column_time (stmt, 6, &t->closed_at_ms, error))) {
    store_safety_task_free (t);
    return NULL;
  }
  return t;
}

GPtrArray *
store_list_safety_tasks (Store *store, const char *patient_id, GError **error)
{
  return list_for_patient (store, patient_id,
                           TASK_COLUMNS "WHERE t.patient_id = ?1"
                                        " ORDER BY t.closed_at IS NOT NULL, t.opened_at DESC,"
                                        " t.rowid DESC",
                           task_row_new, (GDestroyNotify) store_safety_task_free,
                           "list safety tasks", error);
}

StoreSafetyTask *
store_get_safety_task (Store *store, const char *task_id, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreSafetyTask *t = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (store_select_row (store, TASK_COLUMNS "WHERE t.id = ?1", task_id, "get safety task",
                        "no such safety task", &stmt, error))
    t = task_row_new (stmt, error);
  store_stmt_free (stmt);
  return t;
}

gboolean
store_safety_task_is_open (Store *store, const char *patient_id, gboolean *open, GError **error)
{
  StoreStmt *stmt = NULL;
  g_autoptr (GError) local = NULL;
  gboolean ok;

  *open = FALSE;
  ok = store_select_row (store,
                         "SELECT 1 FROM safety_tasks WHERE patient_id = ?1 AND closed_at IS NULL",
                         patient_id, "find open safety task", "none open", &stmt, &local);
  store_stmt_free (stmt);
  if (ok) {
    *open = TRUE;
    return TRUE;
  }
  if (g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
store_close_safety_task (Store *store, const StoreSafetyClose *c, gint64 now_ms, GError **error)
{
  static const char sql[] =
    "UPDATE safety_tasks SET closed_at = ?1, closed_by = ?2, visit_id = ?3, screen = ?4,"
    " risk_level = ?5, suggested_risk = ?6, risk_reason = ?7, plan = ?8, plan_reason = ?9,"
    " location = ?10 WHERE id = ?11 AND closed_at IS NULL";
  g_autofree char *at = NULL, *closed = NULL, *patient = NULL, *visit_patient = NULL;
  StoreStmt *stmt = NULL;
  guint changes = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && c && c->task_id && c->staff_id, FALSE);
  if (!(at = store_format_time (now_ms, error)) || !store_begin (store, error))
    return FALSE;
  if (!store_select_row (store, "SELECT closed_at, patient_id FROM safety_tasks WHERE id = ?1",
                         c->task_id, "get safety task", "no such safety task", &stmt, error))
    goto out;
  closed = store_column_dup_text (stmt, 0);
  patient = store_column_dup_text (stmt, 1);
  store_stmt_free (stmt);
  stmt = NULL;
  if (closed) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_EXPIRED, "the safety task is already closed");
    goto out;
  }
  if (c->visit_id) {
    g_autoptr (GError) local = NULL;
    if (!store_select_text (store, "SELECT patient_id FROM visits WHERE id = ?1", c->visit_id,
                            "get visit", "no such visit", &visit_patient, &local) &&
        !g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      g_propagate_error (error, g_steal_pointer (&local));
      goto out;
    }
    if (g_strcmp0 (visit_patient, patient) != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "The visit named is not one of this patient's visits.");
      goto out;
    }
  }
  if (!store_run (store, "close safety task", sql, NULL, &changes, error, 11, at, c->staff_id,
                  c->visit_id, c->screen_json, c->risk_level, c->suggested_risk, c->risk_reason,
                  c->plan_json, c->plan_reason, c->location, c->task_id))
    goto out;
  if (changes != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_EXPIRED, "the safety task is already closed");
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return store_commit_or_rollback (store, ok, error);
}
