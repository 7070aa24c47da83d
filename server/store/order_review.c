/* store_order_review.c — what happens to a medication order after it is
 * written: the supervising psychiatrist's co-signature or decline of a PA's
 * pending order, the acknowledgement of a PA's stop, and entered-in-error
 * (which gives back the order an erroneous replacement had stopped). Each is
 * one BEGIN IMMEDIATE transaction that appends order events; rows are never
 * changed (see store_orders.c for how the status is derived). */
#include "server/store/store-private.h"

#include <string.h>

/* The supervisor check shared by co-sign, decline and acknowledge: the
 * order's prescriber is supervised by `supervisor_id`. Checked here too so
 * that no caller can skip it. */
static gboolean
require_supervisor_of (Store *store, const StoreOrder *order, const char *supervisor_id,
                       const char *what, GError **error)
{
  GError *local = NULL;
  char *supervisor = store_get_staff_supervisor (store, order->prescriber_id, &local);
  gboolean ok = FALSE;

  if (local)
    g_propagate_error (error, local);
  else if (g_strcmp0 (supervisor, supervisor_id) != 0)
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "Only the prescriber's supervising psychiatrist may %s this order.", what);
  else
    ok = TRUE;
  g_free (supervisor);
  return ok;
}

/* Loads a pending order inside the transaction; INVALID otherwise. */
static gboolean
load_pending (Store *store, const char *order_id, StoreOrder *order, GError **error)
{
  if (!store_order_load (store, order_id, order, error))
    return FALSE;
  if (g_strcmp0 (order->status, "pending") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "This %s order is no longer awaiting co-signature (it is %s).",
                 order->medication_name, order->status);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_cosign_order (Store *store, const char *order_id, const char *cosigner_id, GError **error)
{
  return store_cosign_order_checked (store, order_id, cosigner_id, NULL, NULL, error);
}

gboolean
store_cosign_order_checked (Store *store, const char *order_id, const char *cosigner_id,
                            const GPtrArray *checks, const char *override_reason, GError **error)
{
  StoreOrder order = { 0 };
  StoreOrder replaced = { 0 };
  char *now = NULL;
  char *reason = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "staff", cosigner_id, "no such staff member", error))
    goto out;
  if (!load_pending (store, order_id, &order, error))
    goto out;
  if (!require_supervisor_of (store, &order, cosigner_id, "co-sign", error))
    goto out;
  if (order.replaces_order_id) {
    if (!store_order_load (store, order.replaces_order_id, &replaced, error))
      goto out;
    /* The replaced order was stopped (or corrected) since the change was
     * drafted: co-signing now would bring back a drug someone has ended. */
    if (g_strcmp0 (replaced.status, "active") != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "This change cannot take effect: the %s order it would replace is no longer "
                   "active (%s). Nothing was co-signed; decline it instead.",
                   replaced.medication_name, replaced.status);
      goto out;
    }
  }
  if (!store_order_insert_event (store, order.id, "cosigned", now, cosigner_id, NULL, NULL, NULL,
                                 error))
    goto out;
  if (!store_order_checks_insert_locked (store, order.id, "cosign", checks, override_reason,
                                         cosigner_id, now, error))
    goto out;
  if (order.replaces_order_id) {
    reason = g_strdup_printf ("Replaced by a co-signed order: %s", order.reason);
    if (!store_order_insert_event (store, replaced.id, "stopped", now, cosigner_id, reason,
                                   order.visit_id, order.id, error))
      goto out;
  }
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  store_order_clear (&order);
  store_order_clear (&replaced);
  g_free (now);
  g_free (reason);
  return ok;
}

gboolean
store_decline_order (Store *store, const char *order_id, const char *supervisor_id,
                     const char *reason, GError **error)
{
  StoreOrder order = { 0 };
  char *now = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!store_order_reason_valid (reason, error))
    return FALSE;
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "staff", supervisor_id, "no such staff member", error))
    goto out;
  if (!load_pending (store, order_id, &order, error))
    goto out;
  if (!require_supervisor_of (store, &order, supervisor_id, "decline", error))
    goto out;
  if (!store_order_insert_event (store, order.id, "declined", now, supervisor_id, reason, NULL,
                                 NULL, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  store_order_clear (&order);
  g_free (now);
  return ok;
}

/* Whether a live (active or pending) order of `medication_id` other than
 * `except_id` exists for the patient, inside the caller's transaction. */
static gboolean
other_live_order (Store *store, const char *patient_id, const char *medication_id,
                  const char *except_id, gboolean *found, GError **error)
{
  GPtrArray *orders = store_order_list (store, "WHERE o.patient_id = ?1", patient_id, NULL, error);

  if (!orders)
    return FALSE;
  *found = FALSE;
  for (guint i = 0; i < orders->len && !*found; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    *found = g_strcmp0 (o->medication_id, medication_id) == 0 &&
             g_strcmp0 (o->id, except_id) != 0 &&
             (g_strcmp0 (o->status, "active") == 0 || g_strcmp0 (o->status, "pending") == 0);
  }
  g_ptr_array_unref (orders);
  return TRUE;
}

/* After `order` (active until now) is entered in error: the order it
 * replaced is active again if it was stopped by `order` and by nothing
 * since, and no other live order of its medication exists. The patient
 * still takes what they took before the erroneous change. */
static gboolean
restore_replaced (Store *store, const StoreOrder *order, const char *by_staff_id, const char *now,
                  char **restored, GError **error)
{
  StoreOrder replaced = { 0 };
  gboolean ok = FALSE, other = FALSE;
  char *reason = NULL;

  if (!store_order_load (store, order->replaces_order_id, &replaced, error))
    goto out;
  /* A renewed order reads "completed" (order_rx.c): stopped by its renewal. */
  if ((g_strcmp0 (replaced.status, "stopped") != 0 &&
       g_strcmp0 (replaced.status, "completed") != 0) ||
      g_strcmp0 (replaced.stopped_by_order_id, order->id) != 0) {
    ok = TRUE; /* stopped for another reason, or never by this order */
    goto out;
  }
  if (!other_live_order (store, order->patient_id, replaced.medication_id, order->id, &other,
                         error))
    goto out;
  if (other) {
    ok = TRUE; /* restoring would make two live orders of one medication */
    goto out;
  }
  reason = g_strdup_printf ("The %s order that replaced it was entered in error.",
                            order->medication_name);
  if (!store_order_insert_event (store, replaced.id, "restored", now, by_staff_id, reason, NULL,
                                 order->id, error))
    goto out;
  *restored = g_strdup (replaced.id);
  ok = TRUE;
out:
  store_order_clear (&replaced);
  g_free (reason);
  return ok;
}

gboolean
store_mark_order_entered_in_error (Store *store, const char *order_id, const char *by_staff_id,
                                   const char *reason, char **restored_order_id, GError **error)
{
  StoreOrder order = { 0 };
  char *now = NULL, *restored = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (restored_order_id)
    *restored_order_id = NULL;
  if (!store_order_reason_valid (reason, error))
    return FALSE;
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "staff", by_staff_id, "no such staff member", error))
    goto out;
  if (!store_order_load (store, order_id, &order, error))
    goto out;
  if (g_strcmp0 (order.status, "entered-in-error") == 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "This %s order is already marked entered in error.", order.medication_name);
    goto out;
  }
  if (!store_order_insert_event (store, order.id, "entered-in-error", now, by_staff_id, reason,
                                 NULL, NULL, error))
    goto out;
  /* Only an order that was in effect had stopped the one it replaced. */
  if (order.replaces_order_id && g_strcmp0 (order.status, "active") == 0 &&
      !restore_replaced (store, &order, by_staff_id, now, &restored, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  if (ok && restored_order_id)
    *restored_order_id = g_steal_pointer (&restored);
  store_order_clear (&order);
  g_free (restored);
  g_free (now);
  return ok;
}

/* The stops still to acknowledge: a pure stop (no replacing order) by a PA
 * this psychiatrist supervises, the order's current stop, with no
 * acknowledgement after it. */
#define STOPS_TO_ACKNOWLEDGE                                                       \
  " es.by_order_id IS NULL AND es.by_staff_id IN"                                  \
  " (SELECT id FROM staff WHERE role = 'pa' AND supervising_psychiatrist_id = ?1)" \
  " AND NOT EXISTS (SELECT 1 FROM order_events ak WHERE ak.order_id = o.id"        \
  "   AND ak.kind = 'acknowledged' AND ak.id > es.id)"

GPtrArray *
store_list_stops_to_acknowledge (Store *store, const char *supervisor_id, GError **error)
{
  GPtrArray *orders;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "staff", supervisor_id, "no such staff member", error))
    return NULL;
  orders = store_order_list (store, "WHERE" STOPS_TO_ACKNOWLEDGE " ORDER BY es.at, es.id",
                             supervisor_id, "stopped", error);
  return orders;
}

gboolean
store_acknowledge_stop (Store *store, const char *order_id, const char *supervisor_id,
                        GError **error)
{
  GPtrArray *stops = NULL;
  char *now = NULL;
  gboolean ok = FALSE, found = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  stops = store_order_list (store, "WHERE" STOPS_TO_ACKNOWLEDGE, supervisor_id, "stopped", error);
  if (!stops)
    goto out;
  for (guint i = 0; i < stops->len && !found; i++)
    found = g_strcmp0 (((StoreOrder *) g_ptr_array_index (stops, i))->id, order_id) == 0;
  if (!found) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "There is no stop by your physician assistant on this order left to "
                 "acknowledge.");
    goto out;
  }
  if (!store_order_insert_event (store, order_id, "acknowledged", now, supervisor_id, NULL, NULL,
                                 NULL, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  if (stops)
    g_ptr_array_unref (stops);
  g_free (now);
  return ok;
}
