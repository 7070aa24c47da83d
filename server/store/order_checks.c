/* order_checks.c — what the prescribing safety check found on an order
 * (migration 22, records-rx.h): the moderate findings it went ahead with
 * and the major ones overridden with a reason, kept with the order. */
#include "server/store/store-private.h"

void
store_order_check_free (gpointer p)
{
  StoreOrderCheck *c = p;

  if (!c)
    return;
  g_free (c->stage);
  g_free (c->rule);
  g_free (c->severity);
  g_free (c->title);
  g_free (c->message);
  g_free (c->source);
  g_free (c->override_reason);
  g_free (c->by_staff_id);
  g_free (c->by_name);
  g_free (c);
}

gboolean
store_order_checks_insert_locked (Store *store, const char *order_id, const char *stage,
                                  const GPtrArray *findings, const char *override_reason,
                                  const char *by_staff_id, const char *at, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!findings || findings->len == 0)
    return TRUE;
  if (!store_prepare (store,
                      "INSERT INTO order_checks (order_id, stage, rule, severity, title, message,"
                      " source, override_reason, by_staff_id, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                      &stmt, error))
    goto out;
  for (guint i = 0; i < findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (findings, i);
    /* A refusing finding never reaches the store: the order was not
     * written. Anything else is kept, a major one with its override. */
    if (f->severity != RX_WARN && f->severity != RX_MAJOR)
      continue;
    if (f->severity == RX_MAJOR && !override_reason) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "A major interaction needs the prescriber's reason to override it.");
      goto out;
    }
    store_stmt_reset (stmt);
    store_stmt_clear_bindings (stmt);
    store_bind_text (stmt, 1, order_id);
    store_bind_text (stmt, 2, stage);
    store_bind_text (stmt, 3, f->rule);
    store_bind_text (stmt, 4, rx_severity_name (f->severity));
    store_bind_text (stmt, 5, f->title);
    store_bind_text (stmt, 6, f->message);
    store_bind_text (stmt, 7, f->source ? f->source : "");
    store_bind_text (stmt, 8, f->severity == RX_MAJOR ? override_reason : NULL);
    store_bind_text (stmt, 9, by_staff_id);
    store_bind_text (stmt, 10, at);
    if (!store_step_done (store, stmt, "insert order check", error))
      goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

GPtrArray *
store_list_order_checks (Store *store, const char *order_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (store_order_check_free);
  int rc;

  if (!store_prepare (store,
                      "SELECT c.stage, c.rule, c.severity, c.title, c.message, c.source,"
                      " c.override_reason, c.by_staff_id, s.display_name, c.created_at"
                      " FROM order_checks c JOIN staff s ON s.id = c.by_staff_id"
                      " WHERE c.order_id = ?1 ORDER BY c.id",
                      &stmt, error))
    goto fail;
  store_bind_text (stmt, 1, order_id);
  while ((rc = store_step (stmt)) == STORE_ROW) {
    StoreOrderCheck *c = g_new0 (StoreOrderCheck, 1);
    c->stage = store_column_dup_text (stmt, 0);
    c->rule = store_column_dup_text (stmt, 1);
    c->severity = store_column_dup_text (stmt, 2);
    c->title = store_column_dup_text (stmt, 3);
    c->message = store_column_dup_text (stmt, 4);
    c->source = store_column_dup_text (stmt, 5);
    c->override_reason = store_column_dup_text (stmt, 6);
    c->by_staff_id = store_column_dup_text (stmt, 7);
    c->by_name = store_column_dup_text (stmt, 8);
    store_parse_time (store_col_text (stmt, 9), &c->at_ms);
    g_ptr_array_add (out, c);
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "list order checks");
    goto fail;
  }
  store_stmt_free (stmt);
  return out;
fail:
  store_stmt_free (stmt);
  g_ptr_array_unref (out);
  return NULL;
}
