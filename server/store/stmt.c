/* stmt.c — StoreStmt (store-private.h): a prepared statement on sqlite,
 * or its PostgreSQL twin (stmt_pg.c). Every store file binds, steps and
 * reads columns through these, so one text of SQL serves both backends;
 * on PostgreSQL, whose results are text, numbers are parsed here. */
#include "server/store/store-pg.h"

#include <string.h>

struct _StoreStmt {
  sqlite3_stmt *stmt;
  StorePgStmt *pg; /* instead of stmt, on PostgreSQL */
};

gboolean
store_prepare (Store *store, const char *sql, StoreStmt **out, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  *out = NULL;
  if (store->backend == STORE_BACKEND_POSTGRESQL) {
    /* Nothing reaches the server before the first step: the query is
     * parsed there, with its values (PQexecParams). */
    *out = g_new0 (StoreStmt, 1);
    (*out)->pg = store_pg_prepare (store, sql);
    return TRUE;
  }
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    store_set_sql_error (store, error, "prepare");
    sqlite3_finalize (stmt);
    return FALSE;
  }
  *out = g_new0 (StoreStmt, 1);
  (*out)->stmt = stmt;
  return TRUE;
}

void
store_stmt_free (StoreStmt *stmt)
{
  if (!stmt)
    return;
  store_pg_stmt_free (stmt->pg);
  sqlite3_finalize (stmt->stmt);
  g_free (stmt);
}

void
store_stmt_reset (StoreStmt *stmt)
{
  if (stmt->pg) {
    store_pg_stmt_reset (stmt->pg);
    return;
  }
  sqlite3_reset (stmt->stmt);
}

void
store_stmt_clear_bindings (StoreStmt *stmt)
{
  if (stmt->pg) {
    store_pg_stmt_clear_bindings (stmt->pg);
    return;
  }
  sqlite3_clear_bindings (stmt->stmt);
}

StoreStep
store_step (StoreStmt *stmt)
{
  if (stmt->pg)
    return store_pg_step (stmt->pg);
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
  if (stmt->pg) {
    store_pg_bind (stmt->pg, idx, g_strdup_printf ("%d", v), 0, FALSE);
    return;
  }
  sqlite3_bind_int (stmt->stmt, idx, v);
}

void
store_bind_int64 (StoreStmt *stmt, int idx, gint64 v)
{
  if (stmt->pg) {
    store_pg_bind (stmt->pg, idx, g_strdup_printf ("%" G_GINT64_FORMAT, v), 0, FALSE);
    return;
  }
  sqlite3_bind_int64 (stmt->stmt, idx, v);
}

void
store_bind_double (StoreStmt *stmt, int idx, double v)
{
  if (stmt->pg) {
    /* The shortest text that reads back as the same double. */
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    store_pg_bind (stmt->pg, idx, g_strdup (g_ascii_dtostr (buf, sizeof buf, v)), 0, FALSE);
    return;
  }
  sqlite3_bind_double (stmt->stmt, idx, v);
}

void
store_bind_null (StoreStmt *stmt, int idx)
{
  if (stmt->pg) {
    store_pg_bind (stmt->pg, idx, NULL, 0, FALSE);
    return;
  }
  sqlite3_bind_null (stmt->stmt, idx);
}

void
store_bind_text (StoreStmt *stmt, int idx, const char *text)
{
  if (stmt->pg) {
    store_pg_bind (stmt->pg, idx, g_strdup (text), 0, FALSE);
    return;
  }
  if (!text)
    sqlite3_bind_null (stmt->stmt, idx);
  else
    sqlite3_bind_text (stmt->stmt, idx, text, -1, SQLITE_TRANSIENT);
}

void
store_bind_blob (StoreStmt *stmt, int idx, const void *data, gsize len)
{
  if (stmt->pg) {
    store_pg_bind (stmt->pg, idx, g_memdup2 (data, MAX (len, 1)), (int) len, TRUE);
    return;
  }
  sqlite3_bind_blob64 (stmt->stmt, idx, data, len, SQLITE_TRANSIENT);
}

/* ------------------------------------------------------------ values out */

gboolean
store_col_is_null (StoreStmt *stmt, int col)
{
  if (stmt->pg)
    return store_pg_col_is_null (stmt->pg, col);
  return sqlite3_column_type (stmt->stmt, col) == SQLITE_NULL;
}

int
store_col_int (StoreStmt *stmt, int col)
{
  if (stmt->pg)
    return (int) store_col_int64 (stmt, col);
  return sqlite3_column_int (stmt->stmt, col);
}

gint64
store_col_int64 (StoreStmt *stmt, int col)
{
  if (stmt->pg) {
    const char *text = store_pg_col_text (stmt->pg, col);
    /* As sqlite reads a value as a number: NULL is 0, a boolean 1 or 0,
     * a real its whole part. */
    if (!text)
      return 0;
    if (text[0] == 't' || text[0] == 'f')
      return text[0] == 't';
    if (strpbrk (text, ".eEnN")) /* a double precision column */
      return (gint64) g_ascii_strtod (text, NULL);
    return g_ascii_strtoll (text, NULL, 10);
  }
  return sqlite3_column_int64 (stmt->stmt, col);
}

double
store_col_double (StoreStmt *stmt, int col)
{
  if (stmt->pg) {
    const char *text = store_pg_col_text (stmt->pg, col);
    return text ? g_ascii_strtod (text, NULL) : 0.0;
  }
  return sqlite3_column_double (stmt->stmt, col);
}

const char *
store_col_text (StoreStmt *stmt, int col)
{
  if (stmt->pg)
    return store_pg_col_text (stmt->pg, col);
  return (const char *) sqlite3_column_text (stmt->stmt, col);
}

const void *
store_col_blob (StoreStmt *stmt, int col)
{
  if (stmt->pg)
    return store_pg_col_blob (stmt->pg, col);
  return sqlite3_column_blob (stmt->stmt, col);
}

int
store_col_bytes (StoreStmt *stmt, int col)
{
  if (stmt->pg)
    return store_pg_col_bytes (stmt->pg, col);
  return sqlite3_column_bytes (stmt->stmt, col);
}

/* ------------------------------------------------------------ the connection */

guint
store_changes (Store *store)
{
  if (store->backend == STORE_BACKEND_POSTGRESQL)
    return store->pg_changes;
  return (guint) sqlite3_changes (store->db);
}

StoreViolation
store_last_violation (Store *store)
{
  if (store->backend == STORE_BACKEND_POSTGRESQL)
    return store_pg_last_violation (store);
  int code = sqlite3_extended_errcode (store->db);

  if ((code & 0xff) != SQLITE_CONSTRAINT)
    return STORE_VIOLATION_NONE;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    return STORE_VIOLATION_UNIQUE;
  if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
    return STORE_VIOLATION_FOREIGN_KEY;
  return STORE_VIOLATION_OTHER;
}
