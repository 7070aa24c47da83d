/* store_orders.c — the medications table and medication orders with their
 * append-only events.
 *
 * An order row is never changed. What happened to it afterwards is a list
 * of events (cosigned, stopped, entered-in-error, declined, restored,
 * acknowledged), and its status is derived from them on every read:
 *   entered-in-error > declined > stopped (since the last restore)
 *     > pending (a PA's order not yet co-signed) > active.
 * Each adjustment, co-signature or correction is one BEGIN IMMEDIATE
 * transaction: every check reads inside the write lock and any failure rolls
 * everything back, so nothing is ever half-written.
 */
#include "server/store/store-private.h"

#include <math.h>
#include <string.h>

/* Every reason an order event carries (a stop, a correction, a decline):
 * the rule's (records.h), as a store error. */
gboolean
store_order_reason_valid (const char *reason, GError **error)
{
  GError *rule = NULL;

  if (order_reason_valid (reason, &rule))
    return TRUE;
  g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, rule->message);
  g_error_free (rule);
  return FALSE;
}

/* ------------------------------------------------------------ medications */
/* The medications table is a copy of the catalog, so orders can reference it. */

gboolean
store_sync_medications (Store *store, const StoreMedicationRow *rows, guint n_rows, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && (rows != NULL || n_rows == 0), FALSE);
  if (!store_begin (store, error))
    goto out;
  /* Upsert by id: orders reference medications by id, so a row is never
   * deleted or re-keyed; a catalog edit (a new strength) updates it. */
  if (!store_prepare (store,
                      "INSERT INTO medications (id, name, rxnorm, drug_class, schedule, unit,"
                      " strengths) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                      " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                      " rxnorm = excluded.rxnorm, drug_class = excluded.drug_class,"
                      " schedule = excluded.schedule, unit = excluded.unit,"
                      " strengths = excluded.strengths",
                      &stmt, error))
    goto out;
  for (guint i = 0; i < n_rows; i++) {
    const StoreMedicationRow *r = &rows[i];
    if (!r->id || !r->name || !r->rxnorm || !r->drug_class || !r->schedule || !r->unit ||
        !r->strengths_json) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "medication row %u is incomplete", i);
      goto out;
    }
    store_stmt_reset (stmt);
    store_bind_text (stmt, 1, r->id);
    store_bind_text (stmt, 2, r->name);
    store_bind_text (stmt, 3, r->rxnorm);
    store_bind_text (stmt, 4, r->drug_class);
    store_bind_text (stmt, 5, r->schedule);
    store_bind_text (stmt, 6, r->unit);
    store_bind_text (stmt, 7, r->strengths_json);
    if (!store_step_done (store, stmt, "upsert medication", error))
      goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  ok = store_commit_or_rollback (store, ok, error);
  return ok;
}

/* ------------------------------------------------------------ structs */

void
store_order_clear (StoreOrder *o)
{
  if (!o)
    return;
  g_free (o->id);
  g_free (o->patient_id);
  g_free (o->visit_id);
  g_free (o->prescriber_id);
  g_free (o->prescriber_name);
  g_free (o->medication_id);
  g_free (o->medication_name);
  g_free (o->rxnorm);
  g_free (o->unit);
  g_free (o->frequency);
  g_free (o->route);
  g_free (o->action);
  g_free (o->reason);
  g_free (o->replaces_order_id);
  g_free (o->status);
  g_free (o->status_reason);
  g_free (o->status_by);
  g_free (o->status_by_name);
  g_free (o->stopped_by_order_id);
  g_free (o->cosigned_by);
  g_free (o->cosigned_by_name);
  g_free (o->visit_modality);
  g_free (o->snapshot);
  g_clear_pointer (&o->checks, g_ptr_array_unref);
  g_free (o->condition_id);
  g_clear_pointer (&o->rx, store_order_rx_free);
  memset (o, 0, sizeof *o);
}

void
store_order_free (StoreOrder *o)
{
  if (!o)
    return;
  store_order_clear (o);
  g_free (o);
}

/* ------------------------------------------------------------ reading */

/* The order with its names and the first event of each kind (there is at
 * most one correction, decline and co-signature per order; the first counts
 * if not). A stop counts only after the last restore: a restored order is
 * active again and may be stopped again later. */
#define ORDER_COLUMNS                                                                       \
  "SELECT o.id, o.patient_id, o.visit_id, o.prescriber_id, st.display_name,"                \
  " o.medication_id, m.name, m.rxnorm, o.dose, o.unit, o.frequency, o.route, o.action,"     \
  " o.reason, o.replaces_order_id, o.created_at, o.initially_pending,"                      \
  " ee.at, ee.reason, es.at, es.reason, ec.at, ec.by_staff_id,"                             \
  " ed.at, ed.reason, er.at, o.visit_modality, es.by_order_id,"                             \
  " coalesce(ee.by_staff_id, ed.by_staff_id, es.by_staff_id), sb.display_name,"             \
  " o.second_dose, o.prn_max_per_day, o.supply_days, o.refills, o.dispense_quantity,"       \
  " o.snapshot, sc.display_name, o.condition_id"                                            \
  " FROM medication_orders o"                                                               \
  " JOIN staff st ON st.id = o.prescriber_id"                                               \
  " JOIN medications m ON m.id = o.medication_id"                                           \
  " LEFT JOIN order_events ee ON ee.id = (SELECT min(id) FROM order_events"                 \
  "   WHERE order_id = o.id AND kind = 'entered-in-error')"                                 \
  " LEFT JOIN order_events ed ON ed.id = (SELECT min(id) FROM order_events"                 \
  "   WHERE order_id = o.id AND kind = 'declined')"                                         \
  " LEFT JOIN order_events er ON er.id = (SELECT max(id) FROM order_events"                 \
  "   WHERE order_id = o.id AND kind = 'restored')"                                         \
  " LEFT JOIN order_events es ON es.id = (SELECT min(id) FROM order_events"                 \
  "   WHERE order_id = o.id AND kind = 'stopped' AND id > coalesce(er.id, 0))"              \
  " LEFT JOIN order_events ec ON ec.id = (SELECT min(id) FROM order_events"                 \
  "   WHERE order_id = o.id AND kind = 'cosigned')"                                         \
  " LEFT JOIN staff sb ON sb.id = coalesce(ee.by_staff_id, ed.by_staff_id, es.by_staff_id)" \
  " LEFT JOIN staff sc ON sc.id = ec.by_staff_id "

static gboolean
read_order_row (StoreStmt *stmt, StoreOrder *out, GError **error)
{
  StoreOrder o = { 0 };
  gboolean pending;
  gboolean ok = FALSE;
  gint64 cosigned_at = 0, restored_at = 0;

  o.id = store_column_dup_text (stmt, 0);
  o.patient_id = store_column_dup_text (stmt, 1);
  o.visit_id = store_column_dup_text (stmt, 2);
  o.prescriber_id = store_column_dup_text (stmt, 3);
  o.prescriber_name = store_column_dup_text (stmt, 4);
  o.medication_id = store_column_dup_text (stmt, 5);
  o.medication_name = store_column_dup_text (stmt, 6);
  o.rxnorm = store_column_dup_text (stmt, 7);
  o.dose = store_col_double (stmt, 8);
  o.unit = store_column_dup_text (stmt, 9);
  o.frequency = store_column_dup_text (stmt, 10);
  o.route = store_column_dup_text (stmt, 11);
  o.action = store_column_dup_text (stmt, 12);
  o.reason = store_column_dup_text (stmt, 13);
  o.replaces_order_id = store_column_dup_text (stmt, 14);
  if (!store_column_time (stmt, 15, &o.created_at_ms, error))
    goto out;
  pending = store_col_int (stmt, 16) != 0;
  o.initially_pending = pending;
  o.second_dose = store_col_double (stmt, 30);
  o.prn_max_per_day = (guint) store_col_int (stmt, 31);
  o.supply_days = (guint) store_col_int (stmt, 32);
  o.refills = (guint) store_col_int (stmt, 33);
  o.dispense_quantity = store_col_double (stmt, 34);
  o.snapshot = store_column_dup_text (stmt, 35);
  o.condition_id = store_column_dup_text (stmt, 37);
  if (!store_col_is_null (stmt, 21)) {
    if (!store_column_time (stmt, 21, &cosigned_at, error))
      goto out;
    o.cosigned_by = store_column_dup_text (stmt, 22);
    o.cosigned_by_name = store_column_dup_text (stmt, 36);
    o.cosigned_at_ms = cosigned_at;
  }
  if (!store_col_is_null (stmt, 25) &&
      !store_column_time (stmt, 25, &restored_at, error))
    goto out;
  o.visit_modality = store_column_dup_text (stmt, 26);

  /* The precedence of the derived status, highest first. */
  if (!store_col_is_null (stmt, 17)) {
    o.status = g_strdup ("entered-in-error");
    o.status_reason = store_column_dup_text (stmt, 18);
    if (!store_column_time (stmt, 17, &o.status_at_ms, error))
      goto out;
  } else if (!store_col_is_null (stmt, 23)) {
    o.status = g_strdup ("declined");
    o.status_reason = store_column_dup_text (stmt, 24);
    if (!store_column_time (stmt, 23, &o.status_at_ms, error))
      goto out;
  } else if (!store_col_is_null (stmt, 19)) {
    o.status = g_strdup ("stopped");
    o.status_reason = store_column_dup_text (stmt, 20);
    o.stopped_by_order_id = store_column_dup_text (stmt, 27);
    if (!store_column_time (stmt, 19, &o.status_at_ms, error))
      goto out;
  } else if (pending && !o.cosigned_by) {
    o.status = g_strdup ("pending");
    o.status_at_ms = o.created_at_ms;
  } else {
    o.status = g_strdup ("active");
    o.status_at_ms = MAX (o.cosigned_by ? cosigned_at : o.created_at_ms, restored_at);
  }
  if (g_strcmp0 (o.status, "active") != 0 && g_strcmp0 (o.status, "pending") != 0) {
    o.status_by = store_column_dup_text (stmt, 28);
    o.status_by_name = store_column_dup_text (stmt, 29);
  }
  *out = o;
  ok = TRUE;
out:
  if (!ok)
    store_order_clear (&o);
  return ok;
}

/* Reads one order; NOT_FOUND when absent. */
gboolean
store_order_load (Store *store, const char *order_id, StoreOrder *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = store_select_row (store, ORDER_COLUMNS "WHERE o.id = ?1", order_id, "get order",
                                  "no such order", &stmt, error) &&
                read_order_row (stmt, out, error);

  store_stmt_free (stmt);
  if (ok && (!(out->checks = store_list_order_checks (store, out->id, error)) ||
             !store_order_rx_load (store, out, error))) {
    store_order_clear (out);
    ok = FALSE;
  }
  return ok;
}

static gpointer
order_row_new (StoreStmt *stmt, GError **error)
{
  StoreOrder *o = g_new0 (StoreOrder, 1);
  if (!read_order_row (stmt, o, error))
    g_clear_pointer (&o, g_free);
  return o;
}

/* Runs ORDER_COLUMNS + `where_order` with ?1 = arg, keeping the orders whose
 * derived status is `status` (all when NULL). */
GPtrArray *
store_order_list (Store *store, const char *where_order, const char *arg, const char *status,
                  GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *orders = NULL;
  char *sql = g_strconcat (ORDER_COLUMNS, where_order, NULL);

  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, arg);
  orders = store_collect_rows (store, stmt, order_row_new, (GDestroyNotify) store_order_free,
                               "list orders", error);
  /* The status is derived from the events, so it is filtered here. */
  for (guint i = orders ? orders->len : 0; status && i > 0; i--) {
    const StoreOrder *o = g_ptr_array_index (orders, i - 1);
    if (g_strcmp0 (o->status, status) != 0)
      g_ptr_array_remove_index (orders, i - 1);
  }
  /* What the safety check found on each: part of the order, so a failure
   * to read it fails the list. */
  for (guint i = 0; orders && i < orders->len; i++) {
    StoreOrder *o = g_ptr_array_index (orders, i);
    if (!(o->checks = store_list_order_checks (store, o->id, error)) ||
        !store_order_rx_load (store, o, error)) {
      g_clear_pointer (&orders, g_ptr_array_unref);
      break;
    }
  }
out:
  store_stmt_free (stmt);
  g_free (sql);
  return orders;
}

gboolean
store_get_order (Store *store, const char *order_id, StoreOrder *out, GError **error)
{
  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  return store_order_load (store, order_id, out, error);
}

GPtrArray *
store_list_patient_orders (Store *store, const char *patient_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    return NULL;
  return store_order_list (store, "WHERE o.patient_id = ?1 ORDER BY o.created_at, o.rowid",
                           patient_id, NULL, error);
}

GPtrArray *
store_current_medications (Store *store, const char *patient_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    return NULL;
  return store_order_list (store, "WHERE o.patient_id = ?1 ORDER BY m.name, o.created_at, o.rowid",
                           patient_id, "active", error);
}

GPtrArray *
store_list_pending_for_supervisor (Store *store, const char *supervisor_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "staff", supervisor_id, "no such staff member", error))
    return NULL;
  /* initially_pending narrows to the PA orders (partial index); the derived
   * status then drops co-signed, stopped and erroneous ones. */
  return store_order_list (store,
                           "WHERE o.initially_pending = 1 AND o.prescriber_id IN"
                           " (SELECT id FROM staff WHERE supervising_psychiatrist_id = ?1)"
                           " ORDER BY o.created_at, o.rowid",
                           supervisor_id, "pending", error);
}

GPtrArray *
store_list_visit_orders (Store *store, const char *visit_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    return NULL;
  /* A stop is an event of the visit it was made in (order_events.visit_id);
   * co-signatures and corrections carry no visit and stay with their own. */
  return store_order_list (store,
                           "WHERE o.visit_id = ?1 OR o.id IN (SELECT order_id FROM order_events"
                           " WHERE visit_id = ?1 AND kind = 'stopped')"
                           " ORDER BY o.created_at, o.rowid",
                           visit_id, NULL, error);
}

/* ------------------------------------------------------------ writing */

/* by_order_id: the order that caused the event (a replacement's stop, a
 * restore), NULL otherwise. */
gboolean
store_order_insert_event (Store *store, const char *order_id, const char *kind, const char *at,
                          const char *by_staff_id, const char *reason, const char *visit_id,
                          const char *by_order_id, GError **error)
{
  return store_run (store, "insert order event",
                    "INSERT INTO order_events (order_id, kind, at, by_staff_id, reason,"
                    " visit_id, by_order_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    NULL, NULL, error, 7, order_id, kind, at, by_staff_id, reason, visit_id,
                    by_order_id);
}

void
store_order_facts (const StoreOrder *o, OrderFacts *out)
{
  *out = (OrderFacts) {
    .id = o->id,
    .patient_id = o->patient_id,
    .medication_id = o->medication_id,
    .medication_name = o->medication_name,
    .status = o->status,
    .replaces_order_id = o->replaces_order_id,
    .dose = o->dose,
    .second_dose = o->second_dose,
    .unit = o->unit,
    .frequency = o->frequency,
    .route = o->route,
    .prn_max_per_day = o->prn_max_per_day,
    .since_ms = o->status_at_ms ? o->status_at_ms : o->created_at_ms,
  };
}

OrderFacts *
store_orders_facts (const GPtrArray *orders)
{
  OrderFacts *facts = g_new0 (OrderFacts, orders->len + 1);

  for (guint i = 0; i < orders->len; i++)
    store_order_facts (g_ptr_array_index ((GPtrArray *) orders, i), &facts[i]);
  return facts;
}

/* The adjustment rules (records.h), run again inside the transaction on
 * what it reads: the same sentence the API answers with, as a store error.
 * A stop writes no dosing, so whatever dosing it carries is not looked at.
 * *medication_id gets the new order's medication (NULL for a stop). */
static gboolean
adjustment_allowed (Store *store, const StoreAdjustment *a, const char *patient_id,
                    const StoreOrder *replaced, const char **medication_id, GError **error)
{
  gboolean stop = a->kind == ADJUST_STOP;
  Adjustment rule = {
    .kind = a->kind,
    .reason = a->reason,
    .order_id = a->replaces_order_id,
    .medication_id = stop ? NULL : a->medication_id,
    .dose = stop ? 0 : a->dose,
    .second_dose = stop ? 0 : a->second_dose,
    .unit = stop ? NULL : a->unit,
    .frequency = stop ? NULL : a->frequency,
    .route = stop ? NULL : a->route,
    .prn_max_per_day = stop ? 0 : a->prn_max_per_day,
    .renew = !stop && a->rx && a->rx->renews,
  };
  OrderFacts acted_on = { 0 };
  AdjustmentFacts facts = { .patient_id = patient_id, .time_zone = a->time_zone };
  AdjustmentResolved resolved = { 0 };
  g_autoptr (GPtrArray) orders = NULL;
  g_autofree OrderFacts *order_facts = NULL;
  GError *refused = NULL;

  if (replaced && replaced->id) {
    store_order_facts (replaced, &acted_on);
    facts.acted_on = &acted_on;
  }
  if (!stop) {
    orders = store_order_list (store, "WHERE o.patient_id = ?1", patient_id, NULL, error);
    if (!orders)
      return FALSE;
    facts.orders = order_facts = store_orders_facts (orders);
    facts.n_orders = orders->len;
  }
  if (!adjustment_validate (&rule, &facts, &resolved, &refused)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, refused->message);
    g_error_free (refused);
    return FALSE;
  }
  *medication_id = resolved.medication_id;
  return TRUE;
}

/* The visit's patient, inside the caller's transaction. */
static char *
visit_patient (Store *store, const char *visit_id, GError **error)
{
  char *patient = NULL;

  store_select_text (store, "SELECT patient_id FROM visits WHERE id = ?1", visit_id,
                     "visit patient", "no such visit", &patient, error);
  return patient;
}

static gboolean
medication_known (Store *store, const char *medication_id, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (!store_prepare (store, "SELECT 1 FROM medications WHERE id = ?1", &stmt, error))
    goto out;
  store_bind_text (stmt, 1, medication_id);
  rc = store_step (stmt);
  if (rc == STORE_DONE)
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "That medication is not in the clinic's medication list.");
  else if (rc != STORE_ROW)
    store_set_sql_error (store, error, "find medication");
  else
    ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

static gboolean
insert_order (Store *store, const char *id, const char *patient_id, const StoreAdjustment *a,
              const char *medication_id, gboolean pending, const char *at, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store,
                      "INSERT INTO medication_orders (id, patient_id, visit_id, prescriber_id,"
                      " medication_id, dose, unit, frequency, route, action, reason,"
                      " replaces_order_id, initially_pending, created_at, second_dose,"
                      " prn_max_per_day, supply_days, refills, dispense_quantity, snapshot,"
                      " condition_id, visit_modality)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                      " ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
                      /* The visit's modality as it is now, when the order is
                       * drafted: a co-signature is judged by it. */
                      " (SELECT modality FROM visits WHERE id = ?3))",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, patient_id);
  store_bind_text (stmt, 3, a->visit_id);
  store_bind_text (stmt, 4, a->prescriber_id);
  store_bind_text (stmt, 5, medication_id);
  store_bind_double (stmt, 6, a->dose);
  store_bind_text (stmt, 7, a->unit);
  store_bind_text (stmt, 8, a->frequency);
  store_bind_text (stmt, 9, a->route);
  store_bind_text (stmt, 10, adjustment_kind_name (a->kind));
  store_bind_text (stmt, 11, a->reason);
  store_bind_text (stmt, 12, a->replaces_order_id);
  store_bind_int (stmt, 13, pending ? 1 : 0);
  store_bind_text (stmt, 14, at);
  /* 0 means "none" for each of these: stored as NULL, never as 0. */
  if (a->second_dose > 0)
    store_bind_double (stmt, 15, a->second_dose);
  if (a->prn_max_per_day > 0)
    store_bind_int (stmt, 16, (int) a->prn_max_per_day);
  if (a->supply_days > 0) {
    store_bind_int (stmt, 17, (int) a->supply_days);
    store_bind_int (stmt, 18, (int) a->refills);
  }
  if (a->dispense_quantity > 0)
    store_bind_double (stmt, 19, a->dispense_quantity);
  store_bind_text (stmt, 20, a->snapshot);
  store_bind_text (stmt, 21, a->condition_id);
  ok = store_step_done (store, stmt, "insert order", error);
out:
  store_stmt_free (stmt);
  return ok;
}

StoreOrder *
store_apply_adjustment (Store *store, const StoreAdjustment *a, GError **error)
{
  return store_apply_adjustment_at (store, a, store_now_ms (), error);
}

StoreOrder *
store_apply_adjustment_at (Store *store, const StoreAdjustment *a, gint64 at_ms, GError **error)
{
  StoreOrder replaced = { 0 };
  StoreOrder *result = NULL;
  char *patient_id = NULL;
  char *now = NULL;
  char *new_id = NULL;
  const char *medication_id = NULL;
  /* A stop is recorded at once even for a PA: stopping is always the safe
   * direction, and holding a stop for co-signature would keep the patient on
   * a medication their prescriber has decided to end. */
  gboolean pending = a && a->pending && a->kind != ADJUST_STOP;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && a != NULL, NULL);
  if (!a->visit_id || !a->prescriber_id) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "A change of medication needs a visit and a prescriber.");
    return NULL;
  }
  if (!(now = store_format_time (at_ms, error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!(patient_id = visit_patient (store, a->visit_id, error)))
    goto out;
  if (!store_require_row (store, "staff", a->prescriber_id, "no such prescriber", error))
    goto out;
  if (a->replaces_order_id) {
    GError *local = NULL;
    /* An order that does not exist is refused by the rules, as any other
     * order that is not the patient's. */
    if (!store_order_load (store, a->replaces_order_id, &replaced, &local)) {
      if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
        g_propagate_error (error, local);
        goto out;
      }
      g_clear_error (&local);
      store_order_clear (&replaced);
    }
  }
  if (!adjustment_allowed (store, a, patient_id, &replaced, &medication_id, error))
    goto out;

  if (a->kind == ADJUST_STOP) {
    if (!store_order_insert_event (store, replaced.id, "stopped", now, a->prescriber_id, a->reason,
                                   a->visit_id, NULL, error))
      goto out;
  } else {
    if (!medication_known (store, medication_id, error) ||
        !store_order_condition_check_locked (store, patient_id, a->condition_id, error))
      goto out;
    new_id = g_uuid_string_random ();
    if (!insert_order (store, new_id, patient_id, a, medication_id, pending, now, error))
      goto out;
    if (!store_order_checks_insert_locked (store, new_id, "written", a->checks, a->override_reason,
                                           a->prescriber_id, now, error) ||
        !store_order_rx_insert_locked (store, new_id, a->replaces_order_id, a->rx, error))
      goto out;
    /* A pending replacement leaves the old order active until co-signed. */
    if (a->replaces_order_id && !pending &&
        !store_order_insert_event (store, replaced.id, "stopped", now, a->prescriber_id, a->reason,
                                   a->visit_id, new_id, error))
      goto out;
  }

  /* Read back inside the transaction: if that fails, nothing is kept. */
  result = g_new0 (StoreOrder, 1);
  if (!store_order_load (store, new_id ? new_id : replaced.id, result, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  if (!ok)
    g_clear_pointer (&result, store_order_free);
  store_order_clear (&replaced);
  g_free (patient_id);
  g_free (now);
  g_free (new_id);
  return result;
}
