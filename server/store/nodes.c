/* nodes.c — the nodes sharing one PostgreSQL and each visit's lease
 * (store-cluster.h, issue 18, migration 27).
 *
 * The clock is the database's, read inside each statement: PostgreSQL's
 * clock_timestamp() (not now(), which stands still for a transaction), or
 * sqlite's 'now'. A node's own clock never decides whether a lease expired:
 * nodes drift, and the tests fake theirs (TELEHEALTHD_TEST_NOW).
 *
 * None of this takes the store's write lock (store_begin): a heartbeat or a
 * claim is one row's business, and the write lock serializes the audit
 * chain of every node — a heartbeat must not queue behind a busy clinic. */
#include "server/store/store-private.h"

#define PG_NOW_MS "(floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint"
#define LITE_NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

/* `sql_format` with each %s the database's "now" in unix ms. */
static char *
with_now (Store *store, const char *sql_format, int uses)
{
  const char *now = store_backend (store) == STORE_BACKEND_POSTGRESQL ? PG_NOW_MS : LITE_NOW_MS;
  /* Up to three uses; the unused arguments are ignored by the format. */
  g_assert (uses >= 1 && uses <= 3);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
  return g_strdup_printf (sql_format, now, now, now);
#pragma GCC diagnostic pop
}

static gboolean
ids_valid (const char *node_id, const char *other, GError **error)
{
  if (!store_text_valid (node_id, 200) || (other && !store_text_valid (other, 2000))) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "a node id and a base URL are 1 to 200 (2000) characters");
    return FALSE;
  }
  return TRUE;
}

/* Runs `sql` (already with its clock) with ?1 `a`, then ?2 `b` when not
 * NULL, then the int `n` (?3, or ?2 without `b`). */
static gboolean
run3 (Store *store, const char *what, const char *sql, const char *a, const char *b, int n,
      guint *changes, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, a);
  if (b)
    store_bind_text (stmt, 2, b);
  store_bind_int (stmt, b ? 3 : 2, n);
  if (store_step_done (store, stmt, what, error)) {
    if (changes)
      *changes = store_changes (store);
    ok = TRUE;
  }
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_node_heartbeat (Store *store, const char *node_id, const char *base_url,
                      guint lease_seconds, gboolean starting, GError **error)
{
  g_autofree char *upsert = NULL, *extend = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!ids_valid (node_id, base_url, error))
    return FALSE;
  /* ?3: whether this node is starting (its start time is then now). */
  upsert = with_now (store,
                     "INSERT INTO cluster_nodes (id, base_url, started_ms, heartbeat_ms)"
                     " VALUES (?1, ?2, %s, %s)"
                     " ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url,"
                     " heartbeat_ms = excluded.heartbeat_ms,"
                     " started_ms = CASE WHEN ?3 = 1 THEN excluded.started_ms"
                     " ELSE cluster_nodes.started_ms END",
                     2);
  extend = with_now (store,
                     "UPDATE visit_leases SET expires_ms = %s + ?2 * 1000 WHERE node_id = ?1",
                     1);
  /* Two statements, no transaction: each is whole on its own, and a lease
   * not extended this time is extended by the next beat (every third of a
   * lease). */
  return run3 (store, "node heartbeat", upsert, node_id, base_url, starting ? 1 : 0, NULL,
               error) &&
         run3 (store, "extend leases", extend, node_id, NULL, (int) lease_seconds, NULL, error);
}

gboolean
store_lease_claim (Store *store, const char *visit_id, const char *node_id, guint lease_seconds,
                   char **holder_url, GError **error)
{
  g_autofree char *claim = NULL, *holder = NULL;
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE, won = FALSE;
  StoreStep rc;

  g_return_val_if_fail (store != NULL && holder_url != NULL, FALSE);
  *holder_url = NULL;
  if (!ids_valid (node_id, visit_id, error))
    return FALSE;
  /* One statement: the insert, or the update of the existing row when it is
   * ours, expired, or its node has not beaten for a lease's time. On
   * PostgreSQL a concurrent claim waits on the row and re-checks the WHERE
   * against the winner's row; sqlite has one writer at a time. */
  claim = with_now (store,
                    "INSERT INTO visit_leases (visit_id, node_id, expires_ms)"
                    " VALUES (?1, ?2, %s + ?3 * 1000)"
                    " ON CONFLICT (visit_id) DO UPDATE SET node_id = excluded.node_id,"
                    " expires_ms = excluded.expires_ms"
                    " WHERE visit_leases.node_id = excluded.node_id"
                    " OR visit_leases.expires_ms < %s"
                    " OR NOT EXISTS (SELECT 1 FROM cluster_nodes n"
                    "  WHERE n.id = visit_leases.node_id AND n.heartbeat_ms >= %s - ?3 * 1000)"
                    " RETURNING node_id",
                    3);
  if (!store_prepare (store, claim, &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, visit_id);
  store_bind_text (stmt, 2, node_id);
  store_bind_int (stmt, 3, (int) lease_seconds);
  rc = store_step (stmt);
  if (rc == STORE_ROW) {
    won = TRUE;
    rc = store_step (stmt);
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "claim lease");
    goto out;
  }
  if (won) {
    ok = TRUE;
    goto out;
  }
  /* Another live node holds it: where is it? (It may have let go since:
   * then the caller claims again.) */
  if (!store_select_text (store,
                          "SELECT n.base_url FROM visit_leases l"
                          " JOIN cluster_nodes n ON n.id = l.node_id WHERE l.visit_id = ?1",
                          visit_id, "lease holder", "the visit's lease was let go", &holder,
                          error))
    goto out;
  *holder_url = g_steal_pointer (&holder);
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_lease_release (Store *store, const char *visit_id, const char *node_id, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store_run (store, "release lease",
                    "DELETE FROM visit_leases WHERE visit_id = ?1 AND node_id = ?2", NULL, NULL,
                    error, 2, visit_id, node_id);
}

gboolean
store_lease_release_all (Store *store, const char *node_id, guint *released, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store_run (store, "release leases", "DELETE FROM visit_leases WHERE node_id = ?1", NULL,
                    released, error, 1, node_id);
}

static gpointer
read_url (StoreStmt *stmt, GError **error)
{
  (void) error;
  return store_column_dup_text (stmt, 0);
}

GPtrArray *
store_nodes_live (Store *store, guint lease_seconds, GError **error)
{
  g_autofree char *sql = NULL;
  StoreStmt *stmt = NULL;
  GPtrArray *urls;

  g_return_val_if_fail (store != NULL, NULL);
  sql = with_now (store,
                  "SELECT base_url FROM cluster_nodes WHERE heartbeat_ms >= %s - ?1 * 1000"
                  " ORDER BY id",
                  1);
  if (!store_prepare (store, sql, &stmt, error))
    return NULL;
  store_bind_int (stmt, 1, (int) lease_seconds);
  urls = store_collect_rows (store, stmt, read_url, g_free, "live nodes", error);
  store_stmt_free (stmt);
  return urls;
}

GPtrArray *
store_leases_held (Store *store, const char *node_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *ids;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_prepare (store, "SELECT visit_id FROM visit_leases WHERE node_id = ?1 ORDER BY visit_id",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, node_id);
  ids = store_collect_rows (store, stmt, read_url, g_free, "held leases", error);
  store_stmt_free (stmt);
  return ids;
}

gboolean
store_node_seen (Store *store, const char *node_id, guint seconds, gboolean *seen, GError **error)
{
  g_autofree char *sql = NULL;
  StoreStmt *stmt = NULL;
  StoreStep rc;

  g_return_val_if_fail (store != NULL && seen != NULL, FALSE);
  *seen = FALSE;
  sql = with_now (store, "SELECT 1 FROM cluster_nodes WHERE id = ?1 AND heartbeat_ms >= %s - ?2 * 1000",
                  1);
  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, node_id);
  store_bind_int (stmt, 2, (int) seconds);
  rc = store_step (stmt);
  *seen = rc == STORE_ROW;
  if (rc == STORE_FAILED)
    store_set_sql_error (store, error, "node seen");
  store_stmt_free (stmt);
  return rc != STORE_FAILED;
}
