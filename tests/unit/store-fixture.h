/* store-fixture.h — what the store's unit tests share: a fresh database per
 * test, raw SQL reads for checking rows behind the store's back, and a visit
 * with its two people.
 *
 * The database is a file in a fresh temporary directory (sqlite), or, when
 * tests/pg/with-pg.sh set TELEHEALTHD_DSN for a test cluster (TH_PG_DIR),
 * that PostgreSQL database with its public schema emptied first, so every test case starts empty on
 * either backend (issue 18: the same tests). The raw helpers go through the
 * store's own connection and StoreStmt, so one assertion text serves both:
 * write it in the SQL both speak (docs/architecture.md, "A migration").
 * A test about sqlite itself skips itself on PostgreSQL (SKIP_ON_PG).
 *
 * Header-only (static inline), so each test program includes what it uses.
 */
#pragma once

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "server/store/store-pg.h"
#include "server/store/store-private.h"
#include "server/store/store.h"

#define T0 G_GINT64_CONSTANT (1795780800000) /* 2026-11-27T12:00:00.000Z */
#define SECOND G_GINT64_CONSTANT (1000)
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

/* Checks and clears the GError named `error` in the calling scope. */
#define ASSERT_ERR(code)                                                                  \
  do {                                                                                    \
    g_assert_error (error, STORE_ERROR, (code));                                          \
    g_clear_error (&error);                                                               \
  } while (0)

/* Removes a database file and the files sqlite keeps beside it. */
static inline void
remove_db (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    char *p = g_strconcat (path, suffixes[i], NULL);
    g_remove (p);
    g_free (p);
  }
}

/* ------------------------------------------------------------ the backend */

/* The PostgreSQL database the tests run on, or NULL: sqlite files. Only a
 * database of a throwaway test cluster, as tests/pg/with-pg.sh names it
 * (TH_PG_DIR, and TELEHEALTHD_DSN's host there): each case empties the
 * database's public schema, so a TELEHEALTHD_DSN left in a developer's
 * environment for running the server must not be taken for it. */
static inline const char *
fixture_pg_dsn (void)
{
  const char *dsn = g_getenv ("TELEHEALTHD_DSN");
  const char *dir = g_getenv ("TH_PG_DIR");
  g_autofree char *host = dir && *dir ? g_strconcat ("host=", dir, " ", NULL) : NULL;

  return dsn && host && g_str_has_prefix (dsn, host) ? dsn : NULL;
}

static inline gboolean
fixture_on_pg (void)
{
  return fixture_pg_dsn () != NULL;
}

/* Ends the calling test (a void function) as skipped on PostgreSQL, saying
 * why: for what is sqlite's own (PRAGMAs, WAL, an old sqlite file's
 * upgrade, the online backup, a second sqlite connection's lock). */
#define SKIP_ON_PG(why)                                                                   \
  do {                                                                                    \
    if (fixture_on_pg ()) {                                                               \
      g_test_skip (why);                                                                  \
      return;                                                                             \
    }                                                                                     \
  } while (0)

/* ------------------------------------------------------------ PostgreSQL */

/* A raw libpq connection to the test database, outside the store. */
static inline PGconn *
fixture_pg_connect (void)
{
  PGconn *conn = PQconnectdb (fixture_pg_dsn ());
  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot connect to %s: %s", fixture_pg_dsn (), PQerrorMessage (conn));
  PQclear (PQexec (conn, "SET client_min_messages = warning"));
  return conn;
}

/* Runs `sql` over a raw connection: TRUE when it went through; *out (may
 * be NULL) gets the first value of its first row. */
static inline gboolean
fixture_pg_try (PGconn *conn, const char *sql, char **out)
{
  PGresult *r = PQexec (conn, sql);
  ExecStatusType status = PQresultStatus (r);
  gboolean ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;

  if (out)
    *out = ok && PQntuples (r) > 0 ? g_strdup (PQgetvalue (r, 0, 0)) : NULL;
  PQclear (r);
  return ok;
}

/* fixture_pg_try that must go through. */
static inline void
fixture_pg_exec (PGconn *conn, const char *sql)
{
  if (!fixture_pg_try (conn, sql, NULL))
    g_error ("%s: %s", sql, PQerrorMessage (conn));
}

/* What the schema is made of: relations, columns, triggers (and whether
 * they are enabled), constraints, functions and the schema's version. A
 * test that changes any of them (disables a trigger, renames a table)
 * changes this; NULL when it cannot even be read. */
#define FIXTURE_PG_SCHEMA_PRINT                                                              \
  "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ("                                         \
  " SELECT 'r ' || c.relname || ' ' || c.relkind::text AS x FROM pg_class c"                 \
  "  WHERE c.relnamespace = 'public'::regnamespace"                                          \
  " UNION ALL SELECT 'a ' || c.relname || '.' || a.attname || ' ' || a.atttypid::text"       \
  "  || ' ' || a.attnotnull::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid" \
  "  WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0"                         \
  "  AND NOT a.attisdropped"                                                                 \
  " UNION ALL SELECT 't ' || t.tgname || ' ' || t.tgenabled::text || ' ' || c.relname"       \
  "  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"                                 \
  "  WHERE c.relnamespace = 'public'::regnamespace"                                          \
  " UNION ALL SELECT 'c ' || conname || ' ' || contype::text FROM pg_constraint"             \
  "  WHERE connamespace = 'public'::regnamespace"                                            \
  " UNION ALL SELECT 'f ' || proname || ' ' || md5(prosrc) FROM pg_proc"                     \
  "  WHERE pronamespace = 'public'::regnamespace"                                            \
  " UNION ALL SELECT 'v ' || version::text FROM schema_version) s"

/* Empties every table but schema_version and restarts every sequence, as
 * a fresh file starts: one round trip, the triggers (append-only rules,
 * foreign keys) off for it alone (superuser, as with-pg.sh connects). */
#define FIXTURE_PG_WIPE                                                                   \
  "DO $$ DECLARE r record; BEGIN"                                                         \
  " SET LOCAL session_replication_role = replica;"                                        \
  " FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'"                 \
  "  AND tablename <> 'schema_version' LOOP"                                              \
  "  EXECUTE format('DELETE FROM %I', r.tablename); END LOOP;"                            \
  " FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP"      \
  "  EXECUTE format('ALTER SEQUENCE %I RESTART', r.sequencename); END LOOP;"              \
  " END $$"

/* The print of the schema as the store sets it up: known in this program
 * once it made the schema, or read from th_fixture.pristine, where a
 * program that made it before on this database left it (a test run's
 * programs share one database, one after the other: run-programs.sh),
 * if that program was built from the same schema text. */
static char *fixture_pg_print;

/* SHA-256 of the schema text this program sets up: the baseline and the
 * migrations after it. */
static inline char *
fixture_pg_schema_source (void)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  char *hex;

  for (guint i = 0; i < store_pg_baseline_count; i++)
    g_checksum_update (sum, (const guchar *) store_pg_baseline[i], -1);
  for (int v = STORE_PG_BASELINE_VERSION + 1; v <= store_latest_schema_version (); v++)
    g_checksum_update (sum, (const guchar *) store_migration_sql (v), -1);
  hex = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return hex;
}

/* The test database with nothing in it, as a fresh sqlite file is. The
 * first time, and whenever a test changed the schema (or a wipe fails),
 * the public schema is dropped and made again (DROP SCHEMA public CASCADE):
 * the next store_open_target sets it up from the baseline, which takes
 * half a second or more. Otherwise the rows are deleted and the sequences
 * restarted, in tens of milliseconds: the same empty database, and a
 * program of twenty cases runs in one second instead of ten. */
static inline void
fixture_pg_empty (void)
{
  PGconn *conn = fixture_pg_connect ();
  char *print = NULL;

  if (!fixture_pg_print) {
    g_autofree char *source = fixture_pg_schema_source ();
    g_autofree char *sql = g_strdup_printf ("SELECT print FROM th_fixture.pristine"
                                            " WHERE source = '%s'", source);
    fixture_pg_try (conn, sql, &fixture_pg_print);
  }
  if (fixture_pg_print && fixture_pg_try (conn, FIXTURE_PG_SCHEMA_PRINT, &print) &&
      g_strcmp0 (print, fixture_pg_print) == 0 && fixture_pg_try (conn, FIXTURE_PG_WIPE, NULL)) {
    g_free (print);
    PQfinish (conn);
    return;
  }
  g_free (print);
  g_clear_pointer (&fixture_pg_print, g_free);
  fixture_pg_exec (conn, "DROP SCHEMA IF EXISTS th_fixture CASCADE;"
                         " DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  PQfinish (conn);
}

/* After store_open_target set up an emptied schema: keep its print. */
static inline void
fixture_pg_remember_schema (void)
{
  PGconn *conn;
  g_autofree char *source = NULL;
  char *sql;

  if (fixture_pg_print)
    return;
  conn = fixture_pg_connect ();
  if (!fixture_pg_try (conn, FIXTURE_PG_SCHEMA_PRINT, &fixture_pg_print))
    g_error ("the schema's print: %s", PQerrorMessage (conn));
  source = fixture_pg_schema_source ();
  sql = g_strdup_printf ("CREATE SCHEMA th_fixture; CREATE TABLE th_fixture.pristine AS"
                         " SELECT '%s'::text AS print, '%s'::text AS source",
                         fixture_pg_print, source);
  fixture_pg_exec (conn, sql);
  g_free (sql);
  PQfinish (conn);
}

/* Opens the test's database as it is (sqlite: the file at `path`): for a
 * test that closes its store and opens it again. */
static inline Store *
fixture_open_again (const char *path, GError **error)
{
  StoreTarget target = { .backend = STORE_BACKEND_POSTGRESQL, .dsn = fixture_pg_dsn () };

  if (!fixture_on_pg ())
    return store_open (path, error);
  return store_open_target (&target, error);
}

/* Makes a temporary directory from `dir_template` ("name-XXXXXX") and opens
 * a store on an empty database: a file in that directory, or the emptied
 * PostgreSQL database (the directory is still made, for the files a test
 * writes beside its database). *dir and *path are for store_fixture_close. */
static inline Store *
store_fixture_open (const char *dir_template, char **dir, char **path)
{
  GError *error = NULL;
  Store *store;

  *dir = g_dir_make_tmp (dir_template, &error);
  g_assert_no_error (error);
  *path = g_build_filename (*dir, "store.db", NULL);
  if (fixture_on_pg ())
    fixture_pg_empty ();
  store = fixture_open_again (*path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  if (fixture_on_pg ())
    fixture_pg_remember_schema ();
  return store;
}

/* Closes the store, removes its files and directory, and frees the names. */
static inline void
store_fixture_close (Store *store, char *dir, char *path)
{
  store_close (store);
  remove_db (path);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  g_free (path);
  g_free (dir);
}

/* The fixture of a test that needs only an open store. */
typedef struct {
  char *dir;
  char *path;
  Store *store;
} StoreFixture;

static inline void
store_fixture_set_up (StoreFixture *f, gconstpointer data)
{
  (void) data;
  f->store = store_fixture_open ("test-store-XXXXXX", &f->dir, &f->path);
}

static inline void
store_fixture_tear_down (StoreFixture *f, gconstpointer data)
{
  (void) data;
  store_fixture_close (f->store, f->dir, f->path);
}

/* Adds the test `fn` as "/store/<path>" on a StoreFixture. */
#define STORE_TEST_ADD(path, fn)                                                          \
  g_test_add ("/store/" path, StoreFixture, NULL, store_fixture_set_up, fn,                \
              store_fixture_tear_down)

/* ------------------------------------------------------------ raw sql */

/* Runs `sql` (one row expected) on the store's own connection, with `arg`
 * (when given) bound to ?1 as text; the statement is on its row. */
static inline StoreStmt *
query_row (Store *store, const char *sql, const char *arg)
{
  GError *error = NULL;
  StoreStmt *stmt = NULL;

  if (!store_prepare (store, sql, &stmt, &error))
    g_error ("%s: %s", sql, error->message);
  if (arg)
    store_bind_text (stmt, 1, arg);
  g_assert_cmpint (store_step (stmt), ==, STORE_ROW);
  return stmt;
}

/* The integer (a boolean reads as 0 or 1) in the first column of `sql`. */
static inline gint64
query_int (Store *store, const char *sql, const char *arg)
{
  StoreStmt *stmt = query_row (store, sql, arg);
  gint64 v = store_col_int64 (stmt, 0);
  store_stmt_free (stmt);
  return v;
}

/* The text (NULL for SQL NULL) in the first column of `sql`; free it. */
static inline char *
query_text (Store *store, const char *sql, const char *arg)
{
  StoreStmt *stmt = query_row (store, sql, arg);
  char *v = store_column_dup_text (stmt, 0);
  store_stmt_free (stmt);
  return v;
}

/* The blob in the first column of `sql`, as lowercase hex; free it. */
static inline char *
query_hex (Store *store, const char *sql, const char *arg)
{
  StoreStmt *stmt = query_row (store, sql, arg);
  const guchar *v = store_col_blob (stmt, 0);
  int n = store_col_bytes (stmt, 0);
  GString *hex = g_string_sized_new (2 * (gsize) n + 1);

  for (int i = 0; i < n; i++)
    g_string_append_printf (hex, "%02x", v[i]);
  store_stmt_free (stmt);
  return g_string_free (hex, FALSE);
}

/* The one integer `sql` reads from the store's own connection. */
static inline gint64
count_rows (Store *store, const char *sql)
{
  return query_int (store, sql, NULL);
}

/* For a test about sqlite itself: the integer, or the text (free it), in
 * the first column of `sql` on a raw sqlite connection. */
static inline gint64
sqlite_query_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 v;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return v;
}

static inline char *
sqlite_query_text (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *v;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return v;
}

/* How many columns `table` has. */
static inline gint64
table_column_count (Store *store, const char *table)
{
  if (store_backend (store) == STORE_BACKEND_POSTGRESQL)
    return query_int (store, "SELECT count(*) FROM information_schema.columns"
                             " WHERE table_schema = 'public' AND table_name = ?1", table);
  return query_int (store, "SELECT count(*) FROM pragma_table_info(?1)", table);
}

/* Whether any column of any row of `table` holds the bytes `needle` (a
 * blob as its bytes, text and numbers as their text). */
static inline gboolean
table_contains (Store *store, const char *table, const void *needle, gsize len)
{
  GError *error = NULL;
  StoreStmt *stmt = NULL;
  gint64 n = table_column_count (store, table);
  g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s", table);
  gboolean found = FALSE;
  StoreStep step = STORE_DONE;

  g_assert_cmpint (n, >, 0);
  if (!store_prepare (store, sql, &stmt, &error))
    g_error ("%s: %s", sql, error->message);
  while (!found && (step = store_step (stmt)) == STORE_ROW) {
    for (int c = 0; c < n && !found; c++) {
      const void *v = store_col_blob (stmt, c);
      found = v && memmem (v, (gsize) store_col_bytes (stmt, c), needle, len) != NULL;
    }
  }
  g_assert_true (found || step == STORE_DONE);
  store_stmt_free (stmt);
  return found;
}

/* Runs `sql` (one or more statements, no parameters) on the store's own
 * connection, behind the store's back; FALSE with `error` set when the
 * database refused it (store_last_violation says what it broke). */
static inline gboolean
raw_try_exec (Store *store, const char *sql, GError **error)
{
  char *msg = NULL;

  if (store_backend (store) == STORE_BACKEND_POSTGRESQL)
    return store_pg_exec (store, sql, "raw SQL", error);
  if (sqlite3_exec (store_get_db (store), sql, NULL, NULL, &msg) == SQLITE_OK)
    return TRUE;
  g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "raw SQL: %s", msg ? msg : "failed");
  sqlite3_free (msg);
  return FALSE;
}

/* raw_try_exec that must go through. */
static inline void
raw_exec (Store *store, const char *sql)
{
  GError *error = NULL;
  if (!raw_try_exec (store, sql, &error))
    g_error ("%s: %s", sql, error->message);
}

/* raw_try_exec that the database must refuse, its message naming `says`
 * (when given): returns what it broke. */
static inline StoreViolation
raw_exec_refused (Store *store, const char *sql, const char *says)
{
  GError *error = NULL;
  g_assert_false (raw_try_exec (store, sql, &error));
  g_assert_nonnull (error);
  if (says && !strstr (error->message, says))
    g_error ("%s: refused with \"%s\", not \"%s\"", sql, error->message, says);
  g_clear_error (&error);
  return store_last_violation (store);
}

/* How many of the schema's tables, indexes or triggers (`kind`: "table",
 * "index", "trigger") have a name LIKE `pattern` (an exact name counts 1;
 * a backslash before a _ or % makes it mean itself). */
static inline gint64
schema_count (Store *store, const char *kind, const char *pattern)
{
  g_autofree char *sql = NULL;

  if (store_backend (store) != STORE_BACKEND_POSTGRESQL)
    sql = g_strdup_printf ("SELECT count(*) FROM sqlite_master WHERE type = '%s'"
                           " AND name LIKE ?1 ESCAPE '\\'", kind);
  else if (strcmp (kind, "table") == 0)
    sql = g_strdup ("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename LIKE ?1 ESCAPE '\\'");
  else if (strcmp (kind, "index") == 0)
    sql = g_strdup ("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"
                    " AND indexname LIKE ?1 ESCAPE '\\'");
  else if (strcmp (kind, "trigger") == 0)
    sql = g_strdup ("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND NOT t.tgisinternal"
                    " AND t.tgname LIKE ?1 ESCAPE '\\'");
  else
    g_error ("schema_count: no such kind %s", kind);
  return query_int (store, sql, pattern);
}

/* Whether `table` has a column named `column`. */
static inline gboolean
table_has_column (Store *store, const char *table, const char *column)
{
  g_autofree char *sql = NULL;

  if (store_backend (store) == STORE_BACKEND_POSTGRESQL)
    sql = g_strdup_printf ("SELECT count(*) FROM information_schema.columns"
                           " WHERE table_schema = 'public' AND table_name = '%s'"
                           " AND column_name = ?1", table);
  else
    sql = g_strdup_printf ("SELECT count(*) FROM pragma_table_info('%s') WHERE name = ?1",
                           table);
  return query_int (store, sql, column) == 1;
}

/* ------------------------------------------------------------ a visit */

typedef struct {
  char *provider;
  char *patient;
  char *visit;
} Visit;

/* Dr. Rivera (psychiatrist) and Alex Example, with a visit at `at`. */
static inline void
make_visit (Store *store, Visit *v, gint64 at)
{
  GError *error = NULL;
  v->provider = store_create_staff (store, "Dr. Rivera", "psychiatrist", &error);
  g_assert_no_error (error);
  v->patient = store_create_patient (store, "Alex Example", &error);
  g_assert_no_error (error);
  v->visit = store_create_visit (store, v->patient, v->provider, at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (v->visit);
}

static inline void
visit_clear (Visit *v)
{
  g_free (v->provider);
  g_free (v->patient);
  g_free (v->visit);
}
