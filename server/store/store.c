/* store.c — opening the sqlite store, pragmas, running the migrations (their
 * SQL is in store_migrations.c) and the
 * helpers every store*.c file shares (errors, statements, single rows, row
 * lists, transactions, time text, name tables); see store-private.h.
 *
 * All SQL takes values through bound parameters only. Nothing here logs
 * patient data or tokens; error messages name statements, never values.
 */
#include "server/store/store-pg.h"
#include "server/metrics/metrics.h"
#include "server/clock/clock.h"

#include <stdarg.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (store-error-quark, store_error)
/* clang-format on */

/* ------------------------------------------------------------ helpers */

sqlite3 *
store_get_db (Store *store)
{
  return store ? store->db : NULL;
}

void
store_set_sql_error (Store *store, GError **error, const char *what)
{
  if (store && store->backend == STORE_BACKEND_POSTGRESQL) {
    store_pg_set_error (store, error, what);
    return;
  }
  const char *msg = (store && store->db) ? sqlite3_errmsg (store->db) : "no database";
  int code = (store && store->db) ? (sqlite3_errcode (store->db) & 0xff) : SQLITE_ERROR;

  g_set_error (error, STORE_ERROR,
               code == SQLITE_BUSY || code == SQLITE_LOCKED ? STORE_ERROR_BUSY : STORE_ERROR_SQL,
               "%s: %s", what, msg);
}

gboolean
store_step_done (Store *store, StoreStmt *stmt, const char *what, GError **error)
{
  int rc = store_step (stmt);
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, what);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_run (Store *store, const char *what, const char *sql, const guchar *hash, guint *changes,
           GError **error, int n_texts, ...)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int idx = 1;
  va_list ap;

  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  if (hash)
    store_bind_blob (stmt, idx++, hash, STORE_HASH_BYTES);
  va_start (ap, n_texts);
  for (int i = 0; i < n_texts; i++)
    store_bind_text (stmt, idx++, va_arg (ap, const char *));
  va_end (ap);
  if (store_step_done (store, stmt, what, error)) {
    if (changes)
      *changes = (guint) store_changes (store);
    ok = TRUE;
  }
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_insert_returning (Store *store, const char *what, const char *sql, gboolean *inserted,
                        gint64 *id, GError **error, int n_texts, ...)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE, got = FALSE;
  StoreStep rc;
  va_list ap;

  *id = 0;
  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  va_start (ap, n_texts);
  for (int i = 0; i < n_texts; i++)
    store_bind_text (stmt, i + 1, va_arg (ap, const char *));
  va_end (ap);
  rc = store_step (stmt);
  if (rc == STORE_ROW) {
    got = TRUE;
    *id = store_col_int64 (stmt, 0);
    /* One row inserted, one returned: step on to the end of the statement. */
    rc = store_step (stmt);
  }
  if (rc != STORE_DONE)
    store_set_sql_error (store, error, what);
  else
    ok = TRUE;
  if (inserted)
    *inserted = ok && got;
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_step_row (Store *store, StoreStmt *stmt, const char *what, const char *not_found,
                GError **error)
{
  int rc = store_step (stmt);
  if (rc == STORE_ROW)
    return TRUE;
  if (rc == STORE_DONE)
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, not_found);
  else
    store_set_sql_error (store, error, what);
  return FALSE;
}

gboolean
store_select_row (Store *store, const char *sql, const char *key, const char *what,
                  const char *not_found, StoreStmt **out, GError **error)
{
  if (!store_prepare (store, sql, out, error))
    return FALSE;
  store_bind_text (*out, 1, key);
  return store_step_row (store, *out, what, not_found, error);
}

gboolean
store_select_optional_row (Store *store, const char *sql, const char *key, const char *what,
                           StoreStmt **out, gboolean *found, GError **error)
{
  g_autoptr (GError) local = NULL;

  *found = store_select_row (store, sql, key, what, "no row", out, &local);
  if (*found || g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
store_select_text (Store *store, const char *sql, const char *key, const char *what,
                   const char *not_found, char **out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = store_select_row (store, sql, key, what, not_found, &stmt, error);

  if (ok && out)
    *out = store_column_dup_text (stmt, 0);
  store_stmt_free (stmt);
  return ok;
}

GPtrArray *
store_collect_rows (Store *store, StoreStmt *stmt, StoreRowReader read, GDestroyNotify free_item,
                    const char *what, GError **error)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (free_item);
  int rc;

  while ((rc = store_step (stmt)) == STORE_ROW) {
    gpointer item = read (stmt, error);
    if (!item)
      goto fail;
    g_ptr_array_add (rows, item);
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, what);
    goto fail;
  }
  return rows;
fail:
  g_ptr_array_unref (rows);
  return NULL;
}

static gboolean
exec_simple (Store *store, const char *sql, const char *what, GError **error)
{
  char *errmsg = NULL;
  int rc;

  if (store->backend == STORE_BACKEND_POSTGRESQL)
    return store_pg_exec (store, sql, what, error);
  rc = sqlite3_exec (store->db, sql, NULL, NULL, &errmsg);
  if (rc != SQLITE_OK) {
    rc &= 0xff;
    g_set_error (error, STORE_ERROR,
                 rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? STORE_ERROR_BUSY : STORE_ERROR_SQL,
                 "%s: %s", what, errmsg ? errmsg : sqlite3_errmsg (store->db));
    sqlite3_free (errmsg);
    return FALSE;
  }
  return TRUE;
}

/* How long transactions hold the database (the metrics): from BEGIN to
 * COMMIT or ROLLBACK. */
static gboolean
txn_started (Store *store, gboolean ok)
{
  store->txn_started_us = ok ? g_get_monotonic_time () : 0;
  return ok;
}

static void
txn_done (Store *store)
{
  if (store->txn_started_us > 0)
    th_metrics_observe (TH_M_STORE_TRANSACTION,
                        (double) (g_get_monotonic_time () - store->txn_started_us) /
                          G_USEC_PER_SEC);
  store->txn_started_us = 0;
}

gboolean
store_begin (Store *store, GError **error)
{
  /* IMMEDIATE takes the write lock up front, so a read-then-write
   * transaction cannot fail half-way with SQLITE_BUSY on upgrade. On
   * PostgreSQL the cluster-wide write lock does the same (store-pg.h). */
  if (store->backend == STORE_BACKEND_POSTGRESQL) {
    char *sql = g_strdup_printf ("BEGIN; SELECT pg_advisory_xact_lock(%" G_GINT64_FORMAT ")",
                                 STORE_PG_WRITE_LOCK);
    gboolean ok = exec_simple (store, sql, "begin", error);
    g_free (sql);
    if (!ok)
      store_rollback (store);
    return txn_started (store, ok);
  }
  return txn_started (store, exec_simple (store, "BEGIN IMMEDIATE", "begin", error));
}

gboolean
store_begin_read (Store *store, GError **error)
{
  /* Deferred: no lock until the first read, and then only a WAL read mark.
   * A read never takes the write lock, so it never waits for the admin CLI
   * and never makes a writer wait. On PostgreSQL, REPEATABLE READ gives
   * the same: one snapshot for the whole read, no lock. */
  if (store->backend == STORE_BACKEND_POSTGRESQL)
    return txn_started (store, exec_simple (store, "BEGIN ISOLATION LEVEL REPEATABLE READ",
                                            "begin read", error));
  return txn_started (store, exec_simple (store, "BEGIN DEFERRED", "begin read", error));
}

gboolean
store_commit (Store *store, GError **error)
{
  gboolean ok = store->backend == STORE_BACKEND_POSTGRESQL
                  ? store_pg_commit (store, error)
                  : exec_simple (store, "COMMIT", "commit", error);

  /* A failed COMMIT leaves the transaction open for the caller's rollback. */
  if (ok) {
    txn_done (store);
    store_changes_committed (store);
  }
  return ok;
}

void
store_rollback (Store *store)
{
  if (store->backend == STORE_BACKEND_POSTGRESQL) {
    if (store->pg && store_pg_in_transaction (store))
      PQclear (PQexec (store->pg, "ROLLBACK"));
  } else if (!sqlite3_get_autocommit (store->db))
    sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
  txn_done (store);
  store_changes_dropped (store);
}

gboolean
store_commit_or_rollback (Store *store, gboolean ok, GError **error)
{
  if (ok && store_commit (store, error))
    return TRUE;
  store_rollback (store);
  return FALSE;
}

char *
store_column_dup_text (StoreStmt *stmt, int col)
{
  const char *text = store_col_text (stmt, col);
  return text ? g_strdup (text) : NULL;
}

gboolean
store_text_valid (const char *text, glong max_chars)
{
  return text && *text && g_utf8_validate (text, -1, NULL) && g_utf8_strlen (text, -1) <= max_chars;
}

gboolean
store_name_index (const char *const *names, gsize n, const char *name, gsize *out)
{
  for (gsize i = 0; name && i < n; i++) {
    if (strcmp (name, names[i]) == 0) {
      if (out)
        *out = i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
store_name_at (const char *const *names, gsize n, gsize index)
{
  return index < n ? names[index] : NULL;
}

gint64
store_now_ms (void)
{
  /* The one clock (server/clock/clock.h): settable in test builds. */
  return th_clock_now_ms ();
}

char *
store_format_time (gint64 ms, GError **error)
{
  char *text = th_iso_from_ms (ms); /* the one text form (clock.h) */

  if (!text)
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "time out of range");
  return text;
}

gboolean
store_parse_time (const char *text, gint64 *out_ms)
{
  GDateTime *dt;

  if (!text)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (!dt)
    return FALSE;
  *out_ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
  g_date_time_unref (dt);
  return TRUE;
}

gboolean
store_text_time (const char *text, gint64 *out_ms, GError **error)
{
  if (!store_parse_time (text, out_ms)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored time is not ISO 8601");
    return FALSE;
  }
  return TRUE;
}

gboolean
store_column_time (StoreStmt *stmt, int col, gint64 *out_ms, GError **error)
{
  return store_text_time (store_col_text (stmt, col), out_ms, error);
}

gboolean
store_row_exists (Store *store, const char *table, const char *id, gboolean *exists, GError **error)
{
  /* Fixed statements per table: no identifier is ever pasted into SQL. */
  const char *sql = NULL;
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (g_strcmp0 (table, "staff") == 0)
    sql = "SELECT 1 FROM staff WHERE id = ?1";
  else if (g_strcmp0 (table, "patients") == 0)
    sql = "SELECT 1 FROM patients WHERE id = ?1";
  else if (g_strcmp0 (table, "visits") == 0)
    sql = "SELECT 1 FROM visits WHERE id = ?1";
  else if (g_strcmp0 (table, "participants") == 0)
    sql = "SELECT 1 FROM participants WHERE id = ?1";
  if (!sql) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown table");
    goto out;
  }
  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, id);
  rc = store_step (stmt);
  if (rc == STORE_ROW)
    *exists = TRUE;
  else if (rc == STORE_DONE)
    *exists = FALSE;
  else {
    store_set_sql_error (store, error, "row exists");
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_require_row (Store *store, const char *table, const char *id, const char *not_found,
                   GError **error)
{
  gboolean exists = FALSE;
  if (!store_row_exists (store, table, id, &exists, error))
    return FALSE;
  if (!exists) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, not_found);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------ open / close */

static gboolean
read_int_pragma (Store *store, const char *sql, int *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  if (store_step (stmt) != STORE_ROW) {
    store_set_sql_error (store, error, sql);
    goto out;
  }
  *out = store_col_int (stmt, 0);
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

int
store_schema_version (Store *store)
{
  int version = -1;
  if (store && store->backend == STORE_BACKEND_POSTGRESQL)
    return store_pg_schema_version (store);
  if (!store || !read_int_pragma (store, "PRAGMA user_version", &version, NULL))
    return -1;
  return version;
}

static gboolean
set_pragmas (Store *store, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  const char *mode;
  int fk = 0;

  /* Foreign keys are off by default and per connection; must be set outside
   * a transaction. Read back: a build without FK support ignores it. */
  if (!exec_simple (store, "PRAGMA foreign_keys = ON", "foreign_keys", error))
    goto out;
  if (!read_int_pragma (store, "PRAGMA foreign_keys", &fk, error))
    goto out;
  if (fk != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "foreign keys cannot be enabled");
    goto out;
  }

  /* WAL: readers never block the writer; the mode is persistent in the file. */
  if (!store_prepare (store, "PRAGMA journal_mode = WAL", &stmt, error))
    goto out;
  if (store_step (stmt) != STORE_ROW) {
    store_set_sql_error (store, error, "journal_mode");
    goto out;
  }
  mode = store_col_text (stmt, 0);
  /* An in-memory database reports "memory"; anything else must be WAL. */
  if (!mode ||
      (g_ascii_strcasecmp (mode, "wal") != 0 && g_ascii_strcasecmp (mode, "memory") != 0)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "journal_mode WAL refused");
    goto out;
  }

  /* synchronous=NORMAL is safe in WAL mode: a commit is appended to the WAL
   * and the WAL is fsynced at checkpoints, so the database can never be
   * corrupted by a crash; at worst a power loss rolls back the last few
   * commits before the checkpoint. FULL would fsync the WAL on every commit,
   * which this workload (a few writes per visit) does not need for
   * integrity. */
  if (!exec_simple (store, "PRAGMA synchronous = NORMAL", "synchronous", error))
    goto out;
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

/* Whether any row breaks a foreign key (PRAGMA foreign_key_check): a
 * migration ran with them off must leave none. */
static gboolean
foreign_keys_hold (Store *store, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (!store_prepare (store, "PRAGMA foreign_key_check", &stmt, error))
    return FALSE;
  rc = store_step (stmt);
  if (rc == STORE_ROW)
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "foreign key check: table %s breaks a key",
                 store_col_text (stmt, 0));
  else if (rc != STORE_DONE)
    store_set_sql_error (store, error, "foreign key check");
  else
    ok = TRUE;
  store_stmt_free (stmt);
  return ok;
}

static gboolean
apply_migration_unchecked (Store *store, int version, GError **error)
{
  char *bump = NULL;
  gboolean ok = FALSE;
  int current = 0;

  if (!store_begin (store, error))
    goto out;
  /* Re-read inside the write lock: another process may have migrated. */
  if (!read_int_pragma (store, "PRAGMA user_version", &current, error))
    goto out;
  if (current >= version) {
    ok = store_commit (store, error);
    goto out;
  }
  if (!exec_simple (store, store_migration_sql (version), "migration", error) ||
      !foreign_keys_hold (store, error))
    goto out;
  /* PRAGMA takes no bound parameters; `version` is this program's own
   * migration number, never outside input. */
  bump = g_strdup_printf ("PRAGMA user_version = %d", version);
  if (!exec_simple (store, bump, "user_version", error))
    goto out;
  if (!store_commit (store, error))
    goto out;
  ok = TRUE;
out:
  if (!ok) {
    store_rollback (store);
    if (error && *error)
      g_prefix_error (error, "migration %d: ", version);
  }
  g_free (bump);
  return ok;
}

/* Runs one migration in its own transaction with foreign keys off, as
 * sqlite's procedure for changing a table's schema asks
 * (https://sqlite.org/lang_altertable.html#otheralter): a table rebuilt
 * with its rows (to widen a CHECK) is dropped and renamed while other
 * tables reference it. Every key is checked before the commit, and the
 * pragma (which does nothing inside a transaction) is on again after. */
static gboolean
apply_migration (Store *store, int version, GError **error)
{
  gboolean ok;

  if (!exec_simple (store, "PRAGMA foreign_keys = OFF", "foreign_keys", error))
    return FALSE;
  ok = apply_migration_unchecked (store, version, error);
  if (!exec_simple (store, "PRAGMA foreign_keys = ON", "foreign_keys", ok ? error : NULL))
    ok = FALSE;
  return ok;
}

static gboolean
migrate (Store *store, GError **error)
{
  int latest = store_latest_schema_version ();
  int version = 0;

  if (!read_int_pragma (store, "PRAGMA user_version", &version, error))
    return FALSE;
  if (version > latest || version < 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "database schema version %d is newer than this program's %d", version, latest);
    return FALSE;
  }
  for (int v = version + 1; v <= latest; v++) {
    if (!apply_migration (store, v, error))
      return FALSE;
  }
  return TRUE;
}

/* A connection to the sqlite file at `path`, pragmas set; migrated to the
 * current schema when `migrate_schema`, else only checked not newer. */
static Store *
open_sqlite (const char *path, gboolean migrate_schema, GError **error)
{
  Store *store = NULL;
  int version = 0;
  int rc;

  if (!path || !*path) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "no database path");
    return NULL;
  }
  store = g_new0 (Store, 1);
  store->backend = STORE_BACKEND_SQLITE;
  store->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    store_set_sql_error (store, error, "open");
    goto fail;
  }
  sqlite3_extended_result_codes (store->db, 1);
  /* Long enough for another process's transaction (they are short); the
   * server shortens it once open (store_set_busy_timeout). */
  sqlite3_busy_timeout (store->db, 5000);

  /* Refuse a newer file before touching it (even the journal mode). */
  if (!read_int_pragma (store, "PRAGMA user_version", &version, error))
    goto fail;
  if (version > store_latest_schema_version ()) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "database schema version %d is newer than this program's %d", version,
                 store_latest_schema_version ());
    goto fail;
  }
  if (!set_pragmas (store, error))
    goto fail;
  if (migrate_schema && !migrate (store, error))
    goto fail;
  return store;

fail:
  store_close (store);
  return NULL;
}

Store *
store_open (const char *path, GError **error)
{
  return open_sqlite (path, TRUE, error);
}

Store *
store_open_target (const StoreTarget *target, GError **error)
{
  switch (target->backend) {
  case STORE_BACKEND_SQLITE:
    return open_sqlite (target->path, TRUE, error);
  case STORE_BACKEND_POSTGRESQL:
    return store_pg_open (target->dsn, target->upgrade ? STORE_PG_UPGRADE : STORE_PG_SET_UP,
                          error);
  default:
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown store backend");
    return NULL;
  }
}

Store *
store_open_again (Store *store, GError **error)
{
  Store *again = store->backend == STORE_BACKEND_POSTGRESQL
                   ? store_pg_open (store->dsn, STORE_PG_CHECK, error)
                   : open_sqlite (store->path, FALSE, error);

  if (again)
    store_set_change_sink (again, store->change_fn, store->change_data);
  return again;
}

StoreBackend
store_backend (Store *store)
{
  return store->backend;
}

void
store_set_busy_timeout (Store *store, guint ms)
{
  g_return_if_fail (store != NULL);
  if (store->backend == STORE_BACKEND_POSTGRESQL) {
    store_pg_set_lock_timeout (store, ms);
    return;
  }
  sqlite3_busy_timeout (store->db, (int) MIN (ms, (guint) G_MAXINT));
}

void
store_close (Store *store)
{
  if (!store)
    return;
  if (store->backend == STORE_BACKEND_POSTGRESQL)
    store_pg_close (store);
  if (store->db) {
    store_rollback (store);
    if (sqlite3_close_v2 (store->db) != SQLITE_OK)
      g_warning ("store: closing the database failed");
  }
  store_changes_dropped (store);
  g_free (store->path);
  g_free (store->dsn);
  g_free (store);
}
