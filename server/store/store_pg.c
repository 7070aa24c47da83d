/* store_pg.c — the store on PostgreSQL (issue 18): connecting, running
 * SQL, telling failures apart, and the schema's version and migrations.
 *
 * One Store is one libpq connection, used by one thread at a time, like a
 * sqlite connection. The schema starts from a baseline equal to the sqlite
 * schema at STORE_PG_BASELINE_VERSION (schema_pg.c); the numbered
 * migrations after it run on both backends, in a per-backend text where
 * their SQL differs. The version is a one-row table, schema_version, as
 * PostgreSQL has no user_version.
 *
 * Error messages carry PostgreSQL's primary message only: its DETAIL
 * repeats the values of a refused row ("Key (username)=(...)"), which must
 * not reach a log. */
#include "server/store/store-pg.h"

#include <stdlib.h>
#include <string.h>

static void
remember (Store *store, PGresult *result)
{
  ExecStatusType status = result ? PQresultStatus (result) : PGRES_FATAL_ERROR;

  g_clear_pointer (&store->pg_message, g_free);
  store->pg_state[0] = '\0';
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    const char *n = PQcmdTuples (result);
    store->pg_changes = (n && *n) ? (guint) strtoul (n, NULL, 10) : 0;
    return;
  }
  store->pg_changes = 0;
  if (result && PQresultErrorField (result, PG_DIAG_SQLSTATE)) {
    const char *primary = PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY);
    g_strlcpy (store->pg_state, PQresultErrorField (result, PG_DIAG_SQLSTATE),
               sizeof store->pg_state);
    store->pg_message = g_strdup (primary ? primary : "unknown failure");
  } else {
    /* No result or no SQLSTATE: the connection itself failed. */
    g_strlcpy (store->pg_state, "08006", sizeof store->pg_state);
    store->pg_message = g_strstrip (g_strdup (PQerrorMessage (store->pg)));
  }
}

/* A connection lost outside a transaction (the server restarted, a
 * failover, the network) is made again before the next statement; inside
 * one, the transaction is lost anyway and its caller sees the failure. A
 * loss libpq has not noticed yet (the server's goodbye waits unread on the
 * socket of an idle connection) is read first, without waiting: otherwise
 * the first statement after it fails on every worker's connection. */
static void
reconnect_if_lost (Store *store)
{
  if (store->txn_started_us != 0)
    return;
  if (PQstatus (store->pg) == CONNECTION_OK && PQtransactionStatus (store->pg) == PQTRANS_IDLE)
    (void) PQconsumeInput (store->pg);
  if (PQstatus (store->pg) == CONNECTION_BAD) {
    g_message ("store: the PostgreSQL connection was lost; connecting again");
    PQreset (store->pg);
  }
}

PGresult *
store_pg_exec_params (Store *store, const char *sql, int n_params, const char *const *values,
                      const int *lengths, const int *formats)
{
  PGresult *result;

  reconnect_if_lost (store);
  result = PQexecParams (store->pg, sql, n_params, NULL, values, lengths, formats, 0);
  remember (store, result);
  return result;
}

gboolean
store_pg_exec (Store *store, const char *sql, const char *what, GError **error)
{
  PGresult *result;
  ExecStatusType status;

  reconnect_if_lost (store);
  result = PQexec (store->pg, sql);
  remember (store, result);
  status = result ? PQresultStatus (result) : PGRES_FATAL_ERROR;
  PQclear (result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    store_pg_set_error (store, error, what);
    return FALSE;
  }
  return TRUE;
}

void
store_pg_set_error (Store *store, GError **error, const char *what)
{
  const char *state = store->pg_state;
  /* Class 40 (a serialization failure, a deadlock), a lock or statement
   * timeout, and a lost connection: nothing was changed, and trying again
   * is the right advice (HTTP 503). */
  gboolean busy = g_str_has_prefix (state, "40") || strcmp (state, "55P03") == 0 ||
                  strcmp (state, "57014") == 0 || g_str_has_prefix (state, "08") ||
                  g_str_has_prefix (state, "57P");

  g_set_error (error, STORE_ERROR, busy ? STORE_ERROR_BUSY : STORE_ERROR_SQL, "%s: %s", what,
               store->pg_message ? store->pg_message : "PostgreSQL failed");
}

StoreViolation
store_pg_last_violation (Store *store)
{
  const char *state = store->pg_state;

  if (!g_str_has_prefix (state, "23"))
    return STORE_VIOLATION_NONE;
  if (strcmp (state, "23505") == 0)
    return STORE_VIOLATION_UNIQUE;
  if (strcmp (state, "23503") == 0)
    return STORE_VIOLATION_FOREIGN_KEY;
  return STORE_VIOLATION_OTHER; /* CHECK, NOT NULL, our triggers (23000) */
}

gboolean
store_pg_in_transaction (Store *store)
{
  return PQtransactionStatus (store->pg) != PQTRANS_IDLE;
}

gboolean
store_pg_commit (Store *store, GError **error)
{
  PGresult *result = PQexec (store->pg, "COMMIT");
  gboolean ok;

  remember (store, result);
  ok = result && PQresultStatus (result) == PGRES_COMMAND_OK;
  /* A transaction a statement failed in is rolled back by COMMIT, which
   * then reports success: its tag says ROLLBACK. That is a failure here. */
  if (ok && strcmp (PQcmdStatus (result), "COMMIT") != 0) {
    ok = FALSE;
    g_strlcpy (store->pg_state, "25P02", sizeof store->pg_state);
    g_free (store->pg_message);
    store->pg_message = g_strdup ("the transaction failed and was rolled back");
  }
  PQclear (result);
  if (!ok)
    store_pg_set_error (store, error, "commit");
  return ok;
}

void
store_pg_set_lock_timeout (Store *store, guint ms)
{
  /* The counterpart of sqlite's busy timeout: how long a statement waits
   * for a lock (the write lock above) before giving up with 55P03. */
  char *sql = g_strdup_printf ("SET lock_timeout = %u", ms);
  PQclear (PQexec (store->pg, sql));
  g_free (sql);
}

/* ------------------------------------------------------------ schema */

static gboolean
read_version (Store *store, int *out, GError **error)
{
  PGresult *result;
  gboolean ok = FALSE;

  result = store_pg_exec_params (store, "SELECT to_regclass('schema_version') IS NOT NULL", 0,
                                 NULL, NULL, NULL);
  if (!result || PQresultStatus (result) != PGRES_TUPLES_OK) {
    store_pg_set_error (store, error, "read the schema version");
    goto out;
  }
  if (strcmp (PQgetvalue (result, 0, 0), "t") != 0) {
    *out = 0; /* an empty database */
    ok = TRUE;
    goto out;
  }
  PQclear (result);
  result = store_pg_exec_params (store, "SELECT version FROM schema_version", 0, NULL, NULL, NULL);
  if (!result || PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1) {
    if (result && PQresultStatus (result) == PGRES_TUPLES_OK)
      g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "schema_version must hold one row");
    else
      store_pg_set_error (store, error, "read the schema version");
    goto out;
  }
  *out = atoi (PQgetvalue (result, 0, 0));
  ok = TRUE;
out:
  PQclear (result);
  return ok;
}

int
store_pg_schema_version (Store *store)
{
  int version = -1;
  return read_version (store, &version, NULL) ? version : -1;
}

static gboolean
set_version (Store *store, int version, GError **error)
{
  char *sql = g_strdup_printf ("UPDATE schema_version SET version = %d", version);
  gboolean ok = store_pg_exec (store, sql, "schema version", error);
  g_free (sql);
  return ok;
}

/* An empty database gets the baseline and its version in one transaction. */
static gboolean
create_baseline (Store *store, GError **error)
{
  gboolean ok = FALSE;

  if (!store_pg_exec (store, "BEGIN", "begin", error))
    return FALSE;
  for (guint i = 0; i < store_pg_baseline_count; i++) {
    if (!store_pg_exec (store, store_pg_baseline[i], "baseline schema", error))
      goto out;
  }
  if (!store_pg_exec (store,
                      "CREATE TABLE schema_version (version integer NOT NULL);"
                      " INSERT INTO schema_version VALUES (0)",
                      "schema version", error) ||
      !set_version (store, STORE_PG_BASELINE_VERSION, error))
    goto out;
  ok = store_pg_commit (store, error);
out:
  if (!ok && store_pg_in_transaction (store))
    PQclear (PQexec (store->pg, "ROLLBACK"));
  return ok;
}

/* The migrations after the baseline whose PostgreSQL text differs from
 * sqlite's (store_migration_sql): text columns sort by their bytes, as
 * sqlite's BINARY does (COLLATE "C", as in schema_pg.c). Any migration not
 * listed here runs sqlite's text as it is. */
static const struct {
  int version;
  const char *sql;
} kPgMigrations[] = {
  { 27, "CREATE TABLE cluster_nodes ("
        "  id text COLLATE \"C\" PRIMARY KEY NOT NULL,"
        "  base_url text COLLATE \"C\" NOT NULL,"
        "  started_ms bigint NOT NULL,"
        "  heartbeat_ms bigint NOT NULL"
        ");"
        "CREATE TABLE visit_leases ("
        "  visit_id text COLLATE \"C\" PRIMARY KEY NOT NULL,"
        "  node_id text COLLATE \"C\" NOT NULL REFERENCES cluster_nodes (id),"
        "  expires_ms bigint NOT NULL"
        ");"
        "CREATE INDEX visit_leases_by_node ON visit_leases (node_id);" },
};

const char *
store_pg_migration_sql (int version)
{
  if (version <= STORE_PG_BASELINE_VERSION)
    return NULL; /* the baseline holds them */
  for (guint i = 0; i < G_N_ELEMENTS (kPgMigrations); i++)
    if (kPgMigrations[i].version == version)
      return kPgMigrations[i].sql;
  return store_migration_sql (version);
}

static gboolean
apply_migration (Store *store, int version, GError **error)
{
  gboolean ok = FALSE;

  if (!store_pg_exec (store, "BEGIN", "begin", error))
    return FALSE;
  if (!store_pg_exec (store, store_pg_migration_sql (version), "migration", error) ||
      !set_version (store, version, error))
    goto out;
  ok = store_pg_commit (store, error);
out:
  if (!ok && store_pg_in_transaction (store))
    PQclear (PQexec (store->pg, "ROLLBACK"));
  if (!ok)
    g_prefix_error (error, "migration %d: ", version);
  return ok;
}

static gboolean
check_version (Store *store, StorePgSchema schema, int *version, GError **error)
{
  int latest = store_latest_schema_version ();

  if (!read_version (store, version, error))
    return FALSE;
  if (*version > latest) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "database schema version %d is newer than this program's %d", *version, latest);
    return FALSE;
  }
  if (*version != 0 && *version < STORE_PG_BASELINE_VERSION) {
    /* Only the baseline ever wrote a version: an older number is not ours. */
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "database schema version %d predates this program's PostgreSQL schema",
                 *version);
    return FALSE;
  }
  if (*version == latest || schema == STORE_PG_UPGRADE ||
      (*version == 0 && schema == STORE_PG_SET_UP))
    return TRUE;
  g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
               *version == 0 ? "the database has no schema yet"
                             : "database schema version %d is older than this program's %d: "
                               "run `telehealthd admin migrate` once, then start the nodes",
               *version, latest);
  return FALSE;
}

static gboolean
migrate (Store *store, StorePgSchema schema, GError **error)
{
  int latest = store_latest_schema_version ();
  int version = 0;
  char *lock = NULL, *unlock = NULL;
  gboolean ok = FALSE, locked = FALSE;

  if (schema == STORE_PG_CHECK)
    return check_version (store, schema, &version, error);
  lock = g_strdup_printf ("SELECT pg_advisory_lock(%" G_GINT64_FORMAT ")", STORE_PG_MIGRATE_LOCK);
  unlock =
    g_strdup_printf ("SELECT pg_advisory_unlock(%" G_GINT64_FORMAT ")", STORE_PG_MIGRATE_LOCK);
  /* Another node may be setting up or migrating: wait for it (a session
   * lock, so no lock_timeout), then read what it left. */
  if (!store_pg_exec (store, "SET lock_timeout = 0", "migration lock", error) ||
      !(locked = store_pg_exec (store, lock, "migration lock", error)))
    goto out;
  if (!check_version (store, schema, &version, error))
    goto out;
  if (version == 0) {
    if (!create_baseline (store, error))
      goto out;
    version = STORE_PG_BASELINE_VERSION;
  }
  for (int v = version + 1; v <= latest; v++) {
    if (!apply_migration (store, v, error))
      goto out;
  }
  ok = TRUE;
out:
  if (locked)
    store_pg_exec (store, unlock, "migration unlock", ok ? error : NULL);
  g_free (lock);
  g_free (unlock);
  return ok;
}

/* ------------------------------------------------------------ open / close */

/* PostgreSQL's notices ("relation ... already exists, skipping") are for a
 * person at psql; the server keeps them at debug level. */
static void
on_notice (void *arg G_GNUC_UNUSED, const char *message)
{
  g_debug ("store: PostgreSQL says: %s", message);
}

Store *
store_pg_open (const char *dsn, StorePgSchema schema, GError **error)
{
  /* The defaults come first, so the DSN can name another application. */
  const char *const keys[] = { "application_name", STORE_PG_DEFAULT_KEYS, "dbname", NULL };
  const char *const values[] = { "telehealthd", STORE_PG_DEFAULT_VALUES, dsn, NULL };
  Store *store;

  if (!dsn || !*dsn) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "no PostgreSQL connection string");
    return NULL;
  }
  store = g_new0 (Store, 1);
  store->backend = STORE_BACKEND_POSTGRESQL;
  store->dsn = g_strdup (dsn);
  store->pg = PQconnectdbParams (keys, values, 1);
  if (!store->pg || PQstatus (store->pg) != CONNECTION_OK) {
    g_autofree char *why = g_strdup (store->pg ? PQerrorMessage (store->pg) : "out of memory");
    g_set_error (error, STORE_ERROR, STORE_ERROR_BUSY, "cannot connect to PostgreSQL: %s",
                 g_strstrip (why));
    goto fail;
  }
  PQsetNoticeProcessor (store->pg, on_notice, NULL);
  /* Names, notes and chat are any Unicode text: a database in another
   * encoding would refuse some of them one day, mid-visit. */
  if (g_strcmp0 (PQparameterStatus (store->pg, "server_encoding"), "UTF8") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "the database's encoding is %s, not UTF8: create it with "
                 "createdb -E UTF8 -T template0",
                 PQparameterStatus (store->pg, "server_encoding"));
    goto fail;
  }
  if (!migrate (store, schema, error))
    goto fail;
  /* As sqlite's busy timeout at open: long enough for another node's
   * transaction; the server shortens it (store_set_busy_timeout). */
  store_pg_set_lock_timeout (store, 5000);
  return store;

fail:
  store_close (store);
  return NULL;
}

void
store_pg_close (Store *store)
{
  if (store->pg) {
    if (store_pg_in_transaction (store))
      PQclear (PQexec (store->pg, "ROLLBACK"));
    PQfinish (store->pg);
    store->pg = NULL;
  }
  g_free (store->pg_message);
  store->pg_message = NULL;
}
