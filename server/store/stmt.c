/* stmt.c — StoreStmt on sqlite (store-private.h): a prepared statement and
 * the connection it was prepared on. Every store file binds, steps and
 * reads columns through these, so that a second backend fits under the
 * same calls; nothing here adds behaviour of its own to sqlite's. */
#include "server/store/store-private.h"

struct _StoreStmt {
  sqlite3_stmt *stmt;
};

gboolean
store_prepare (Store *store, const char *sql, StoreStmt **out, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  *out = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    store_set_sql_error (store, error, "prepare");
    sqlite3_finalize (stmt);
    return FALSE;
  }
  *out = g_new (StoreStmt, 1);
  (*out)->stmt = stmt;
  return TRUE;
}

void
store_stmt_free (StoreStmt *stmt)
{
  if (!stmt)
    return;
  sqlite3_finalize (stmt->stmt);
  g_free (stmt);
}

void
store_stmt_reset (StoreStmt *stmt)
{
  sqlite3_reset (stmt->stmt);
}

void
store_stmt_clear_bindings (StoreStmt *stmt)
{
  sqlite3_clear_bindings (stmt->stmt);
}

StoreStep
store_step (StoreStmt *stmt)
{
  switch (sqlite3_step (stmt->stmt)) {
  case SQLITE_ROW:
    return STORE_ROW;
  case SQLITE_DONE:
    return STORE_DONE;
  default:
    /* The connection keeps the error for store_set_sql_error and
     * store_last_violation. */
    return STORE_FAILED;
  }
}

/* ------------------------------------------------------------ values in */

void
store_bind_int (StoreStmt *stmt, int idx, int v)
{
  sqlite3_bind_int (stmt->stmt, idx, v);
}

void
store_bind_int64 (StoreStmt *stmt, int idx, gint64 v)
{
  sqlite3_bind_int64 (stmt->stmt, idx, v);
}

void
store_bind_double (StoreStmt *stmt, int idx, double v)
{
  sqlite3_bind_double (stmt->stmt, idx, v);
}

void
store_bind_null (StoreStmt *stmt, int idx)
{
  sqlite3_bind_null (stmt->stmt, idx);
}

void
store_bind_text (StoreStmt *stmt, int idx, const char *text)
{
  if (!text)
    sqlite3_bind_null (stmt->stmt, idx);
  else
    sqlite3_bind_text (stmt->stmt, idx, text, -1, SQLITE_TRANSIENT);
}

void
store_bind_blob (StoreStmt *stmt, int idx, const void *data, gsize len)
{
  sqlite3_bind_blob64 (stmt->stmt, idx, data, len, SQLITE_TRANSIENT);
}

/* ------------------------------------------------------------ values out */

gboolean
store_col_is_null (StoreStmt *stmt, int col)
{
  return sqlite3_column_type (stmt->stmt, col) == SQLITE_NULL;
}

int
store_col_int (StoreStmt *stmt, int col)
{
  return sqlite3_column_int (stmt->stmt, col);
}

gint64
store_col_int64 (StoreStmt *stmt, int col)
{
  return sqlite3_column_int64 (stmt->stmt, col);
}

double
store_col_double (StoreStmt *stmt, int col)
{
  return sqlite3_column_double (stmt->stmt, col);
}

const char *
store_col_text (StoreStmt *stmt, int col)
{
  return (const char *) sqlite3_column_text (stmt->stmt, col);
}

const void *
store_col_blob (StoreStmt *stmt, int col)
{
  return sqlite3_column_blob (stmt->stmt, col);
}

int
store_col_bytes (StoreStmt *stmt, int col)
{
  return sqlite3_column_bytes (stmt->stmt, col);
}

/* ------------------------------------------------------------ the connection */

guint
store_changes (Store *store)
{
  return (guint) sqlite3_changes (store->db);
}

StoreViolation
store_last_violation (Store *store)
{
  int code = sqlite3_extended_errcode (store->db);

  if ((code & 0xff) != SQLITE_CONSTRAINT)
    return STORE_VIOLATION_NONE;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    return STORE_VIOLATION_UNIQUE;
  if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
    return STORE_VIOLATION_FOREIGN_KEY;
  return STORE_VIOLATION_OTHER;
}
