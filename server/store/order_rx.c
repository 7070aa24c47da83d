/* order_rx.c — what an order dispenses beyond its supply and refills
 * (migration 24, store-rx.h): its earliest fill date, the pharmacy it was
 * sent to, the order it renews, and a schedule II series. Written inside
 * store_apply_adjustment_at's transaction; read with the order. */
#include "server/store/store-private.h"

#include <string.h>

void
store_order_rx_free (StoreOrderRxRead *rx)
{
  if (!rx)
    return;
  g_free (rx->renews_order_id);
  g_free (rx->renewed_by_order_id);
  store_pharmacy_clear (&rx->pharmacy);
  g_free (rx);
}

static gboolean
date_ok (const char *text)
{
  GDate d;
  return text && strlen (text) == 10 && th_date_parse (text, &d);
}

static gboolean
insert_series (Store *store, const char *order_id, const StoreOrderRx *rx, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store,
                      "INSERT INTO order_series (order_id, seq, earliest_fill_date)"
                      " VALUES (?1, ?2, ?3)",
                      &stmt, error))
    goto out;
  for (guint i = 0; i < rx->n_series; i++) {
    store_stmt_reset (stmt);
    store_bind_text (stmt, 1, order_id);
    store_bind_int (stmt, 2, (int) i + 1);
    store_bind_text (stmt, 3, rx->series[i]);
    if (!store_step_done (store, stmt, "insert series prescription", error))
      goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_order_rx_insert_locked (Store *store, const char *order_id, const char *replaces_order_id,
                              const StoreOrderRx *rx, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!rx)
    return TRUE;
  if ((rx->earliest_fill_date[0] && !date_ok (rx->earliest_fill_date)) ||
      rx->n_series > STORE_SERIES_MAX || rx->n_series == 1 || (rx->renews && !replaces_order_id)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "The prescription's fill dates or renewal could not be read.");
    return FALSE;
  }
  for (guint i = 0; i < rx->n_series; i++)
    if (!date_ok (rx->series[i])) {
      g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                           "A prescription of the series has no earliest fill date.");
      return FALSE;
    }
  if (!store_prepare (store,
                      "INSERT INTO order_dispense (order_id, earliest_fill_date, pharmacy_id,"
                      " renews_order_id) VALUES (?1, ?2, ?3, ?4)",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, order_id);
  store_bind_text (stmt, 2, rx->earliest_fill_date[0] ? rx->earliest_fill_date : NULL);
  if (rx->pharmacy_id > 0)
    store_bind_int64 (stmt, 3, rx->pharmacy_id);
  store_bind_text (stmt, 4, rx->renews ? replaces_order_id : NULL);
  ok = store_step_done (store, stmt, "insert order dispense", error) &&
       insert_series (store, order_id, rx, error);
out:
  store_stmt_free (stmt);
  return ok;
}

static gboolean
load_series (Store *store, const char *order_id, StoreOrderRx *rx, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (!store_prepare (store,
                      "SELECT earliest_fill_date FROM order_series WHERE order_id = ?1"
                      " ORDER BY seq LIMIT 3",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, order_id);
  while ((rc = store_step (stmt)) == STORE_ROW) {
    const char *d = store_col_text (stmt, 0);
    g_strlcpy (rx->series[rx->n_series++], d ? d : "", sizeof rx->series[0]);
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "list series prescriptions");
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_order_rx_load (Store *store, StoreOrder *o, GError **error)
{
  StoreOrderRxRead *rx = g_new0 (StoreOrderRxRead, 1);
  StoreStmt *stmt = NULL;
  gboolean found = FALSE, ok = FALSE;
  gint64 pharmacy_id = 0;

  if (!store_select_optional_row (store,
                                  "SELECT d.earliest_fill_date, d.pharmacy_id, d.renews_order_id,"
                                  " (SELECT r.order_id FROM order_dispense r"
                                  "  WHERE r.renews_order_id = ?1 LIMIT 1)"
                                  " FROM (SELECT ?1 AS id) k"
                                  " LEFT JOIN order_dispense d ON d.order_id = k.id",
                                  o->id, "get order dispense", &stmt, &found, error))
    goto out;
  if (found) {
    const char *efd = store_col_text (stmt, 0);
    g_strlcpy (rx->rx.earliest_fill_date, efd ? efd : "", sizeof rx->rx.earliest_fill_date);
    pharmacy_id = store_col_int64 (stmt, 1);
    rx->renews_order_id = store_column_dup_text (stmt, 2);
    rx->rx.renews = rx->renews_order_id != NULL;
    rx->renewed_by_order_id = store_column_dup_text (stmt, 3);
  }
  rx->rx.pharmacy_id = pharmacy_id;
  if ((pharmacy_id > 0 && !store_get_pharmacy (store, pharmacy_id, &rx->pharmacy, error)) ||
      !load_series (store, o->id, &rx->rx, error))
    goto out;
  /* A renewed order ended because its renewal took over: it was completed,
   * not stopped (FHIR medicationrequest-status "completed"). */
  if (rx->renewed_by_order_id && g_strcmp0 (o->status, "stopped") == 0 &&
      g_strcmp0 (o->stopped_by_order_id, rx->renewed_by_order_id) == 0) {
    g_free (o->status);
    o->status = g_strdup ("completed");
  }
  g_clear_pointer (&o->rx, store_order_rx_free);
  o->rx = g_steal_pointer (&rx);
  ok = TRUE;
out:
  store_stmt_free (stmt);
  store_order_rx_free (rx);
  return ok;
}
