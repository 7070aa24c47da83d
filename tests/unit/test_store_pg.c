/* test_store_pg.c — the store's PostgreSQL backend against a real
 * PostgreSQL 15 (issue 18): the statement seam (placeholders, values of
 * every kind and back, refusals told apart, a failed transaction not
 * reported committed), the cluster-wide write lock between two
 * connections, and the schema's setting up, checking and refusals.
 *
 * The database comes from TELEHEALTHD_DSN (tests/pg/with-pg.sh makes a
 * fresh one per test program); without it the program exits 77, saying
 * why. Each test starts from an empty schema. */
#include <string.h>

#include <glib.h>

#include "server/store/store-pg.h"

static const char *dsn;

/* A connection to the test database with its public schema emptied. */
static PGconn *
raw_connect (void)
{
  PGconn *conn = PQconnectdb (dsn);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  return conn;
}

static void
raw_exec (PGconn *conn, const char *sql)
{
  PGresult *r = PQexec (conn, sql);
  if (PQresultStatus (r) != PGRES_COMMAND_OK && PQresultStatus (r) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (r));
  PQclear (r);
}

static void
empty_database (void)
{
  PGconn *conn = raw_connect ();
  PQclear (PQexec (conn, "SET client_min_messages = warning"));
  raw_exec (conn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  PQfinish (conn);
}

static Store *
open_store (gboolean upgrade)
{
  GError *error = NULL;
  StoreTarget target = { .backend = STORE_BACKEND_POSTGRESQL, .dsn = dsn, .upgrade = upgrade };
  Store *store = store_open_target (&target, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
test_schema_set_up (void)
{
  GError *error = NULL;
  Store *store, *again;

  empty_database ();
  store = open_store (FALSE);
  g_assert_cmpint (store_backend (store), ==, STORE_BACKEND_POSTGRESQL);
  g_assert_cmpint (store_schema_version (store), ==, store_latest_schema_version ());
  /* A second connection (a worker thread's) checks, does not migrate. */
  again = store_open_again (store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (store_schema_version (again), ==, store_latest_schema_version ());
  store_close (again);
  store_close (store);
  /* Opening a set-up database again changes nothing. */
  store = open_store (FALSE);
  g_assert_cmpint (store_schema_version (store), ==, store_latest_schema_version ());
  store_close (store);
}

static void
set_version (int version)
{
  PGconn *conn = raw_connect ();
  char *sql = g_strdup_printf ("UPDATE schema_version SET version = %d", version);
  raw_exec (conn, sql);
  g_free (sql);
  PQfinish (conn);
}

static void
test_schema_refusals (void)
{
  GError *error = NULL;
  StoreTarget target = { .backend = STORE_BACKEND_POSTGRESQL, .dsn = dsn };
  Store *store;

  empty_database ();
  store_close (open_store (FALSE));

  /* A newer schema: a node running an older program must not write. */
  set_version (store_latest_schema_version () + 1);
  g_assert_null (store_open_target (&target, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_clear_error (&error);

  /* An older one (within ours): a server refuses and names admin migrate;
   * the upgrade brings it up to date. */
  if (store_latest_schema_version () > STORE_PG_BASELINE_VERSION) {
    set_version (store_latest_schema_version () - 1);
    g_assert_null (store_open_target (&target, &error));
    g_assert_error (error, STORE_ERROR, STORE_ERROR_SCHEMA);
    g_assert_nonnull (strstr (error->message, "admin migrate"));
    g_clear_error (&error);
  }

  /* Older than the PostgreSQL schema ever was: not ours. */
  set_version (STORE_PG_BASELINE_VERSION - 1);
  target.upgrade = TRUE;
  g_assert_null (store_open_target (&target, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_SCHEMA);
  g_clear_error (&error);

  set_version (store_latest_schema_version ());
  store = open_store (TRUE);
  store_close (store);

  /* A database that cannot be reached is BUSY (try again), not a crash. */
  target.dsn = "host=/nonexistent-socket-dir dbname=none connect_timeout=2";
  g_assert_null (store_open_target (&target, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_BUSY);
  g_clear_error (&error);
}

/* Values of every kind go in through ?N and come back the same. */
static void
test_values_round_trip (void)
{
  GError *error = NULL;
  const guchar blob[] = { 0, 1, 2, 0xfe, 0xff, '\\', 'x', 0 };
  StoreStmt *stmt = NULL;
  Store *store;

  empty_database ();
  store = open_store (FALSE);
  g_assert_true (store_prepare (store,
                                "SELECT CAST(?1 AS bigint), CAST(?2 AS bigint),"
                                " CAST(?3 AS double precision), CAST(?4 AS text),"
                                " CAST(?5 AS bytea), CAST(?6 AS text), ?2 > 0, '?1 stays',"
                                " CAST(?7 AS text)",
                                &stmt, &error));
  g_assert_no_error (error);
  store_bind_int (stmt, 1, -42);
  store_bind_int64 (stmt, 2, G_GINT64_CONSTANT (9007199254740993));
  store_bind_double (stmt, 3, 0.1);
  store_bind_text (stmt, 4, "O'Brien — ünïcode");
  store_bind_blob (stmt, 5, blob, sizeof blob);
  store_bind_null (stmt, 6);
  store_bind_text (stmt, 7, NULL);
  g_assert_cmpint (store_step (stmt), ==, STORE_ROW);
  g_assert_cmpint (store_col_int (stmt, 0), ==, -42);
  g_assert_cmpint (store_col_int64 (stmt, 1), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpfloat (store_col_double (stmt, 2), ==, 0.1);
  g_assert_cmpstr (store_col_text (stmt, 3), ==, "O'Brien — ünïcode");
  g_assert_cmpint (store_col_bytes (stmt, 4), ==, sizeof blob);
  g_assert_cmpmem (store_col_blob (stmt, 4), sizeof blob, blob, sizeof blob);
  g_assert_true (store_col_is_null (stmt, 5));
  g_assert_null (store_col_text (stmt, 5));
  g_assert_cmpint (store_col_int (stmt, 6), ==, 1); /* a boolean reads as 1 */
  g_assert_cmpstr (store_col_text (stmt, 7), ==, "?1 stays");
  g_assert_true (store_col_is_null (stmt, 8));
  g_assert_cmpint (store_step (stmt), ==, STORE_DONE);

  /* Reset keeps the values; new ones replace them. */
  store_stmt_reset (stmt);
  store_bind_int (stmt, 1, 7);
  g_assert_cmpint (store_step (stmt), ==, STORE_ROW);
  g_assert_cmpint (store_col_int (stmt, 0), ==, 7);
  g_assert_cmpint (store_col_int64 (stmt, 1), ==, G_GINT64_CONSTANT (9007199254740993));
  store_stmt_free (stmt);
  store_close (store);
}

/* Rows, changes, and each kind of refusal told apart; a failed statement
 * inside a transaction makes the commit fail, never look committed. */
static void
test_changes_and_refusals (void)
{
  GError *error = NULL;
  StoreStmt *stmt = NULL;
  Store *store;
  guint changes = 0;

  empty_database ();
  store = open_store (FALSE);
  g_assert_true (store_run (store, "make", "CREATE TABLE t (id text PRIMARY KEY,"
                            " n bigint CHECK (n >= 0), p text REFERENCES staff (id))",
                            NULL, NULL, &error, 0));
  g_assert_no_error (error);
  g_assert_true (store_run (store, "insert", "INSERT INTO t (id, n) VALUES (?1, 1), (?2, 2)",
                            NULL, &changes, &error, 2, "a", "b"));
  g_assert_cmpuint (changes, ==, 2);

  g_assert_false (store_run (store, "dup", "INSERT INTO t (id, n) VALUES (?1, 3)", NULL, NULL,
                             &error, 1, "a"));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_SQL);
  g_assert_cmpint (store_last_violation (store), ==, STORE_VIOLATION_UNIQUE);
  /* PostgreSQL's DETAIL names the refused value; the message must not. */
  g_assert_null (strstr (error->message, "(a)"));
  g_clear_error (&error);

  g_assert_false (store_run (store, "fk", "INSERT INTO t (id, n, p) VALUES (?1, 3, ?2)", NULL,
                             NULL, &error, 2, "c", "nobody"));
  g_assert_cmpint (store_last_violation (store), ==, STORE_VIOLATION_FOREIGN_KEY);
  g_clear_error (&error);

  g_assert_false (store_run (store, "check", "INSERT INTO t (id, n) VALUES (?1, -1)", NULL, NULL,
                             &error, 1, "d"));
  g_assert_cmpint (store_last_violation (store), ==, STORE_VIOLATION_OTHER);
  g_clear_error (&error);

  /* An append-only table's trigger is a broken rule too. */
  g_assert_true (store_run (store, "audit", "INSERT INTO audit_events (at, actor, action, target,"
                            " detail, prev_hash, hash) VALUES ('2026-01-01T00:00:00.000Z', 'x',"
                            " 'y', '', '{}', repeat('0', 64), repeat('1', 64))",
                            NULL, NULL, &error, 0));
  g_assert_no_error (error);
  g_assert_false (store_run (store, "no update", "UPDATE audit_events SET actor = 'z'", NULL,
                             NULL, &error, 0));
  g_assert_cmpint (store_last_violation (store), ==, STORE_VIOLATION_OTHER);
  g_assert_nonnull (strstr (error->message, "append-only"));
  g_clear_error (&error);

  /* A failure inside a transaction: COMMIT must not report success. */
  g_assert_true (store_begin (store, &error));
  g_assert_true (store_run (store, "in txn", "INSERT INTO t (id, n) VALUES (?1, 5)", NULL, NULL,
                            &error, 1, "e"));
  g_assert_false (store_run (store, "dup in txn", "INSERT INTO t (id, n) VALUES (?1, 5)", NULL,
                            NULL, &error, 1, "e"));
  g_clear_error (&error);
  g_assert_false (store_commit (store, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_SQL);
  g_clear_error (&error);
  store_rollback (store);
  g_assert_true (store_prepare (store, "SELECT count(*) FROM t WHERE id = ?1", &stmt, &error));
  store_bind_text (stmt, 1, "e");
  g_assert_cmpint (store_step (stmt), ==, STORE_ROW);
  g_assert_cmpint (store_col_int (stmt, 0), ==, 0);
  store_stmt_free (stmt);
  store_close (store);
}

/* Two connections (two nodes): one's open write transaction holds the
 * other's for as long as its lock timeout, then the other fails BUSY; once
 * the first commits, the second goes through. */
static void
test_write_lock_between_connections (void)
{
  GError *error = NULL;
  Store *a, *b;

  empty_database ();
  a = open_store (FALSE);
  b = store_open_again (a, &error);
  g_assert_no_error (error);
  store_set_busy_timeout (b, 200);

  g_assert_true (store_begin (a, &error));
  g_assert_false (store_begin (b, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_BUSY);
  g_clear_error (&error);
  /* Reads do not wait for the writer. */
  g_assert_true (store_begin_read (b, &error));
  g_assert_true (store_commit (b, &error));
  g_assert_true (store_commit (a, &error));
  g_assert_true (store_begin (b, &error));
  g_assert_true (store_commit (b, &error));
  g_assert_no_error (error);
  store_close (b);
  store_close (a);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dsn = g_getenv ("TELEHEALTHD_DSN");
  if (!dsn || !*dsn) {
    g_print ("1..0 # SKIP TELEHEALTHD_DSN is not set: run under tests/pg/with-pg.sh\n");
    return 77;
  }
  g_test_add_func ("/store-pg/schema/set-up", test_schema_set_up);
  g_test_add_func ("/store-pg/schema/refusals", test_schema_refusals);
  g_test_add_func ("/store-pg/values", test_values_round_trip);
  g_test_add_func ("/store-pg/refusals", test_changes_and_refusals);
  g_test_add_func ("/store-pg/write-lock", test_write_lock_between_connections);
  return g_test_run ();
}
