/* store_orders.c — the medications table and medication orders with their
 * append-only events.
 *
 * An order row is never changed. What happened to it afterwards is a list
 * of events (cosigned, stopped, entered-in-error), and its status is derived
 * from them on every read:
 *   entered-in-error > stopped > pending (a PA's order not yet co-signed) > active.
 * Each adjustment, co-signature or correction is one BEGIN IMMEDIATE
 * transaction: every check reads inside the write lock and any failure rolls
 * everything back, so nothing is ever half-written.
 */
#include "server/store-private.h"

#include <math.h>
#include <string.h>

#define REASON_MAX_CHARS 1000
#define FIELD_MAX_CHARS 64  /* unit, frequency, route codes */

static const char *const kKindNames[] = {
  [ADJUST_START] = "start",
  [ADJUST_STOP] = "stop",
  [ADJUST_CHANGE_DOSE] = "change-dose",
  [ADJUST_SWITCH] = "switch",
};

const char *
adjustment_kind_name (AdjustmentKind kind)
{
  return store_name_at (kKindNames, G_N_ELEMENTS (kKindNames), (unsigned) kind);
}

gboolean
adjustment_kind_from_name (const char *name, AdjustmentKind *out)
{
  gsize i;

  if (!store_name_index (kKindNames, G_N_ELEMENTS (kKindNames), name, &i))
    return FALSE;
  if (out)
    *out = (AdjustmentKind) i;
  return TRUE;
}

/* ------------------------------------------------------------ medications */
/* The medications table is a copy of the catalog, so orders can reference it. */

gboolean
store_sync_medications (Store *store, const StoreMedicationRow *rows, guint n_rows,
                        GError **error)
{
  sqlite3_stmt *stmt = NULL;
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
    sqlite3_reset (stmt);
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
  sqlite3_finalize (stmt);
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
  g_free (o->cosigned_by);
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
 * most one stop and one correction per order; the first counts if not). */
#define ORDER_COLUMNS                                                                     \
  "SELECT o.id, o.patient_id, o.visit_id, o.prescriber_id, st.display_name,"              \
  " o.medication_id, m.name, m.rxnorm, o.dose, o.unit, o.frequency, o.route, o.action,"   \
  " o.reason, o.replaces_order_id, o.created_at, o.initially_pending,"                    \
  " ee.at, ee.reason, es.at, es.reason, ec.at, ec.by_staff_id"                            \
  " FROM medication_orders o"                                                             \
  " JOIN staff st ON st.id = o.prescriber_id"                                             \
  " JOIN medications m ON m.id = o.medication_id"                                         \
  " LEFT JOIN order_events ee ON ee.id = (SELECT min(id) FROM order_events"               \
  "   WHERE order_id = o.id AND kind = 'entered-in-error')"                               \
  " LEFT JOIN order_events es ON es.id = (SELECT min(id) FROM order_events"               \
  "   WHERE order_id = o.id AND kind = 'stopped')"                                        \
  " LEFT JOIN order_events ec ON ec.id = (SELECT min(id) FROM order_events"               \
  "   WHERE order_id = o.id AND kind = 'cosigned') "

static gboolean
read_order_row (sqlite3_stmt *stmt, StoreOrder *out, GError **error)
{
  StoreOrder o = { 0 };
  gboolean pending;
  gboolean ok = FALSE;
  gint64 cosigned_at = 0;

  o.id = store_column_dup_text (stmt, 0);
  o.patient_id = store_column_dup_text (stmt, 1);
  o.visit_id = store_column_dup_text (stmt, 2);
  o.prescriber_id = store_column_dup_text (stmt, 3);
  o.prescriber_name = store_column_dup_text (stmt, 4);
  o.medication_id = store_column_dup_text (stmt, 5);
  o.medication_name = store_column_dup_text (stmt, 6);
  o.rxnorm = store_column_dup_text (stmt, 7);
  o.dose = sqlite3_column_double (stmt, 8);
  o.unit = store_column_dup_text (stmt, 9);
  o.frequency = store_column_dup_text (stmt, 10);
  o.route = store_column_dup_text (stmt, 11);
  o.action = store_column_dup_text (stmt, 12);
  o.reason = store_column_dup_text (stmt, 13);
  o.replaces_order_id = store_column_dup_text (stmt, 14);
  if (!store_column_time (stmt, 15, &o.created_at_ms, error))
    goto out;
  pending = sqlite3_column_int (stmt, 16) != 0;
  if (sqlite3_column_type (stmt, 21) != SQLITE_NULL) {
    if (!store_column_time (stmt, 21, &cosigned_at, error))
      goto out;
    o.cosigned_by = store_column_dup_text (stmt, 22);
  }

  /* The precedence of the derived status, highest first. */
  if (sqlite3_column_type (stmt, 17) != SQLITE_NULL) {
    o.status = g_strdup ("entered-in-error");
    o.status_reason = store_column_dup_text (stmt, 18);
    if (!store_column_time (stmt, 17, &o.status_at_ms, error))
      goto out;
  } else if (sqlite3_column_type (stmt, 19) != SQLITE_NULL) {
    o.status = g_strdup ("stopped");
    o.status_reason = store_column_dup_text (stmt, 20);
    if (!store_column_time (stmt, 19, &o.status_at_ms, error))
      goto out;
  } else if (pending && !o.cosigned_by) {
    o.status = g_strdup ("pending");
    o.status_at_ms = o.created_at_ms;
  } else {
    o.status = g_strdup ("active");
    o.status_at_ms = o.cosigned_by ? cosigned_at : o.created_at_ms;
  }
  *out = o;
  ok = TRUE;
out:
  if (!ok)
    store_order_clear (&o);
  return ok;
}

/* Reads one order; NOT_FOUND when absent. */
static gboolean
load_order (Store *store, const char *order_id, StoreOrder *out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = store_select_row (store, ORDER_COLUMNS "WHERE o.id = ?1", order_id, "get order",
                                  "no such order", &stmt, error) &&
                read_order_row (stmt, out, error);

  sqlite3_finalize (stmt);
  return ok;
}

static gpointer
order_row_new (sqlite3_stmt *stmt, GError **error)
{
  StoreOrder *o = g_new0 (StoreOrder, 1);
  if (!read_order_row (stmt, o, error))
    g_clear_pointer (&o, g_free);
  return o;
}

/* Runs ORDER_COLUMNS + `where_order` with ?1 = arg, keeping the orders whose
 * derived status is `status` (all when NULL). */
static GPtrArray *
list_orders (Store *store, const char *where_order, const char *arg, const char *status,
             GError **error)
{
  sqlite3_stmt *stmt = NULL;
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
out:
  sqlite3_finalize (stmt);
  g_free (sql);
  return orders;
}

gboolean
store_get_order (Store *store, const char *order_id, StoreOrder *out, GError **error)
{
  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  return load_order (store, order_id, out, error);
}

GPtrArray *
store_list_patient_orders (Store *store, const char *patient_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    return NULL;
  return list_orders (store, "WHERE o.patient_id = ?1 ORDER BY o.created_at, o.rowid",
                      patient_id, NULL, error);
}

GPtrArray *
store_current_medications (Store *store, const char *patient_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    return NULL;
  return list_orders (store,
                      "WHERE o.patient_id = ?1 ORDER BY m.name, o.created_at, o.rowid",
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
  return list_orders (store,
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
  return list_orders (store, "WHERE o.visit_id = ?1 ORDER BY o.created_at, o.rowid", visit_id,
                      NULL, error);
}

/* ------------------------------------------------------------ writing */

static gboolean
insert_event (Store *store, const char *order_id, const char *kind, const char *at,
              const char *by_staff_id, const char *reason, const char *visit_id, GError **error)
{
  return store_run (store, "insert order event",
                    "INSERT INTO order_events (order_id, kind, at, by_staff_id, reason,"
                    " visit_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    NULL, NULL, error, 6, order_id, kind, at, by_staff_id, reason, visit_id);
}

/* Checks the adjustment's own fields, before any query. */
static gboolean
adjustment_fields_valid (const StoreAdjustment *a, GError **error)
{
  const char *kind = adjustment_kind_name (a->kind);

  if (!kind) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown adjustment kind");
    return FALSE;
  }
  if (!a->visit_id || !a->prescriber_id) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "%s needs a visit and a prescriber",
                 kind);
    return FALSE;
  }
  if (!store_text_valid (a->reason, REASON_MAX_CHARS)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "a reason of 1..%d characters is required",
                 REASON_MAX_CHARS);
    return FALSE;
  }
  if ((a->kind == ADJUST_START) != (a->replaces_order_id == NULL)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 a->kind == ADJUST_START ? "a start replaces no order"
                                         : "%s needs the order it acts on",
                 kind);
    return FALSE;
  }
  if (a->kind == ADJUST_STOP)
    return TRUE;
  if ((a->kind == ADJUST_START || a->kind == ADJUST_SWITCH) && !a->medication_id) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "%s needs a medication", kind);
    return FALSE;
  }
  if (!isfinite (a->dose) || a->dose <= 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "the dose must be positive");
    return FALSE;
  }
  if (!store_text_valid (a->unit, FIELD_MAX_CHARS) ||
      !store_text_valid (a->frequency, FIELD_MAX_CHARS) ||
      !store_text_valid (a->route, FIELD_MAX_CHARS)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "%s needs a unit, frequency and route",
                 kind);
    return FALSE;
  }
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
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (!store_prepare (store, "SELECT 1 FROM medications WHERE id = ?1", &stmt, error))
    goto out;
  store_bind_text (stmt, 1, medication_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "medication %s is not in the catalog",
                 medication_id);
  else if (rc != SQLITE_ROW)
    store_set_sql_error (store, error, "find medication");
  else
    ok = TRUE;
out:
  sqlite3_finalize (stmt);
  return ok;
}

/* Refuses an order that would leave two live (active or pending) orders of
 * one medication, or a second pending replacement of one order: either would
 * make the current medication list ambiguous. `replacing` is the order the
 * new one replaces (NULL for a start); it does not count as a duplicate. */
static gboolean
check_no_duplicate (Store *store, const char *patient_id, const char *medication_id,
                    const char *replacing, GError **error)
{
  GPtrArray *orders = NULL;
  gboolean ok = FALSE;

  orders = list_orders (store, "WHERE o.patient_id = ?1", patient_id, NULL, error);
  if (!orders)
    goto out;
  for (guint i = 0; i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    gboolean live = g_strcmp0 (o->status, "active") == 0 || g_strcmp0 (o->status, "pending") == 0;
    if (!live)
      continue;
    if (replacing && g_strcmp0 (o->replaces_order_id, replacing) == 0 &&
        g_strcmp0 (o->status, "pending") == 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "order %s already has a pending replacement %s", replacing, o->id);
      goto out;
    }
    if (g_strcmp0 (o->medication_id, medication_id) == 0 && g_strcmp0 (o->id, replacing) != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "the patient already has a %s order %s of %s", o->status, o->id,
                   medication_id);
      goto out;
    }
  }
  ok = TRUE;
out:
  if (orders)
    g_ptr_array_unref (orders);
  return ok;
}

static gboolean
insert_order (Store *store, const char *id, const char *patient_id, const StoreAdjustment *a,
              const char *medication_id, gboolean pending, const char *at, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store,
                      "INSERT INTO medication_orders (id, patient_id, visit_id, prescriber_id,"
                      " medication_id, dose, unit, frequency, route, action, reason,"
                      " replaces_order_id, initially_pending, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, patient_id);
  store_bind_text (stmt, 3, a->visit_id);
  store_bind_text (stmt, 4, a->prescriber_id);
  store_bind_text (stmt, 5, medication_id);
  sqlite3_bind_double (stmt, 6, a->dose);
  store_bind_text (stmt, 7, a->unit);
  store_bind_text (stmt, 8, a->frequency);
  store_bind_text (stmt, 9, a->route);
  store_bind_text (stmt, 10, adjustment_kind_name (a->kind));
  store_bind_text (stmt, 11, a->reason);
  store_bind_text (stmt, 12, a->replaces_order_id);
  sqlite3_bind_int (stmt, 13, pending ? 1 : 0);
  store_bind_text (stmt, 14, at);
  ok = store_step_done (store, stmt, "insert order", error);
out:
  sqlite3_finalize (stmt);
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
  if (!adjustment_fields_valid (a, error))
    return NULL;
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
    if (!load_order (store, a->replaces_order_id, &replaced, &local)) {
      if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
        g_propagate_error (error, local);
        goto out;
      }
      g_clear_error (&local);
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "order %s does not exist",
                   a->replaces_order_id);
      goto out;
    }
    if (g_strcmp0 (replaced.patient_id, patient_id) != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "order %s is not an order of this visit's patient", replaced.id);
      goto out;
    }
    if (g_strcmp0 (replaced.status, "active") != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "order %s is not active (%s)",
                   replaced.id, replaced.status);
      goto out;
    }
  }

  switch (a->kind) {
  case ADJUST_START:
    medication_id = a->medication_id;
    break;
  case ADJUST_CHANGE_DOSE:
    /* The medication of a dose change is the replaced order's; naming
     * another one is a switch, not a dose change. */
    if (a->medication_id && g_strcmp0 (a->medication_id, replaced.medication_id) != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "a dose change keeps the medication; use a switch");
      goto out;
    }
    medication_id = replaced.medication_id;
    break;
  case ADJUST_SWITCH:
    if (g_strcmp0 (a->medication_id, replaced.medication_id) == 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "a switch needs another medication; use a dose change");
      goto out;
    }
    medication_id = a->medication_id;
    break;
  case ADJUST_STOP:
  default:
    break;
  }

  if (a->kind == ADJUST_STOP) {
    if (!insert_event (store, replaced.id, "stopped", now, a->prescriber_id, a->reason,
                       a->visit_id, error))
      goto out;
  } else {
    if (!medication_known (store, medication_id, error))
      goto out;
    if (!check_no_duplicate (store, patient_id, medication_id, a->replaces_order_id, error))
      goto out;
    new_id = g_uuid_string_random ();
    if (!insert_order (store, new_id, patient_id, a, medication_id, pending, now, error))
      goto out;
    /* A pending replacement leaves the old order active until co-signed. */
    if (a->replaces_order_id && !pending &&
        !insert_event (store, replaced.id, "stopped", now, a->prescriber_id, a->reason,
                       a->visit_id, error))
      goto out;
  }

  /* Read back inside the transaction: if that fails, nothing is kept. */
  result = g_new0 (StoreOrder, 1);
  if (!load_order (store, new_id ? new_id : replaced.id, result, error))
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

gboolean
store_cosign_order (Store *store, const char *order_id, const char *cosigner_id, GError **error)
{
  StoreOrder order = { 0 };
  StoreOrder replaced = { 0 };
  char *now = NULL;
  char *supervisor = NULL;
  char *reason = NULL;
  GError *local = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "staff", cosigner_id, "no such staff member", error))
    goto out;
  if (!load_order (store, order_id, &order, error))
    goto out;
  if (g_strcmp0 (order.status, "pending") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "order %s is not pending (%s)",
                 order.id, order.status);
    goto out;
  }
  /* Co-signature is the supervising psychiatrist's act (issue 3), checked
   * here too so no caller can skip it. */
  supervisor = store_get_staff_supervisor (store, order.prescriber_id, &local);
  if (local) {
    g_propagate_error (error, local);
    goto out;
  }
  if (g_strcmp0 (supervisor, cosigner_id) != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "only the prescriber's supervising psychiatrist may co-sign");
    goto out;
  }
  if (!insert_event (store, order.id, "cosigned", now, cosigner_id, NULL, NULL, error))
    goto out;
  if (order.replaces_order_id) {
    if (!load_order (store, order.replaces_order_id, &replaced, error))
      goto out;
    /* The replaced order may have been stopped meanwhile; stop it only once. */
    if (g_strcmp0 (replaced.status, "active") == 0) {
      reason = g_strdup_printf ("replaced by co-signed order %s: %s", order.id, order.reason);
      if (!insert_event (store, replaced.id, "stopped", now, cosigner_id, reason, order.visit_id,
                         error))
        goto out;
    }
  }
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  store_order_clear (&order);
  store_order_clear (&replaced);
  g_free (now);
  g_free (supervisor);
  g_free (reason);
  return ok;
}

gboolean
store_mark_order_entered_in_error (Store *store, const char *order_id, const char *by_staff_id,
                                   const char *reason, GError **error)
{
  StoreOrder order = { 0 };
  char *now = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!store_text_valid (reason, REASON_MAX_CHARS)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "a reason of 1..%d characters is required",
                 REASON_MAX_CHARS);
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "staff", by_staff_id, "no such staff member", error))
    goto out;
  if (!load_order (store, order_id, &order, error))
    goto out;
  if (g_strcmp0 (order.status, "entered-in-error") == 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "order %s is already entered-in-error",
                 order.id);
    goto out;
  }
  if (!insert_event (store, order.id, "entered-in-error", now, by_staff_id, reason, NULL, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  store_order_clear (&order);
  g_free (now);
  return ok;
}
