/* test_pg_schema.c — the PostgreSQL baseline (server/store/schema_pg.c)
 * and the migrations after it (store_pg_migration_sql) against the schema
 * the sqlite migrations build (issue 18): the same
 * tables, the same columns in the same order with the same NOT NULL, types
 * and defaults, the same index names, the same triggers refusing the same
 * changes with the same words, and the CHECKs accepting and refusing the
 * same values.
 *
 * Needs a PostgreSQL: TELEHEALTHD_DSN (tests/pg/with-pg.sh sets it; the
 * meson test runs it through tests/pg/run-with-cluster.sh). Without one it
 * exits 77 (skipped). Everything on PostgreSQL happens in one transaction,
 * in a schema of its own, rolled back at the end: the database is left as
 * it was found.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "server/store/store-private.h"
#include "server/store/store.h"

typedef struct {
  char *dir;
  char *path;
  Store *store;
  sqlite3 *db; /* the store's connection: the freshly migrated file */
  PGconn *pg;  /* inside BEGIN, search_path = a fresh schema */
} Fixture;

static const char *dsn;

/* ------------------------------------------------------------ helpers */

static PGresult *
pg_exec (Fixture *f, const char *sql, int n, const char *const *params)
{
  return PQexecParams (f->pg, sql, n, NULL, params, NULL, NULL, 0);
}

static void
pg_ok (Fixture *f, const char *sql)
{
  PGresult *r = pg_exec (f, sql, 0, NULL);
  ExecStatusType st = PQresultStatus (r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    g_error ("PostgreSQL refused %s: %s", sql, PQresultErrorMessage (r));
  PQclear (r);
}

static void
lite_ok (Fixture *f, const char *sql)
{
  char *msg = NULL;
  if (sqlite3_exec (f->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("sqlite refused %s: %s", sql, msg);
}

/* Runs `sql` on both inside a savepoint it rolls back to. Returns whether
 * each accepted it; *lite_msg and *pg_msg (NULL when accepted) get the
 * refusals' words, *pg_state the SQLSTATE. */
static void
both_try (Fixture *f, const char *sql, gboolean *lite_ok_out, gboolean *pg_ok_out,
          char **lite_msg, char **pg_msg, char **pg_state)
{
  PGresult *r;
  ExecStatusType st;

  lite_ok (f, "SAVEPOINT probe");
  *lite_ok_out = sqlite3_exec (f->db, sql, NULL, NULL, NULL) == SQLITE_OK;
  *lite_msg = *lite_ok_out ? NULL : g_strdup (sqlite3_errmsg (f->db));
  if (!*lite_ok_out)
    g_assert_cmpint (sqlite3_errcode (f->db) & 0xff, ==, SQLITE_CONSTRAINT);
  lite_ok (f, "ROLLBACK TO probe");
  lite_ok (f, "RELEASE probe");

  pg_ok (f, "SAVEPOINT probe");
  r = pg_exec (f, sql, 0, NULL);
  st = PQresultStatus (r);
  *pg_ok_out = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  *pg_msg = *pg_ok_out ? NULL : g_strdup (PQresultErrorField (r, PG_DIAG_MESSAGE_PRIMARY));
  *pg_state = *pg_ok_out ? NULL : g_strdup (PQresultErrorField (r, PG_DIAG_SQLSTATE));
  PQclear (r);
  pg_ok (f, "ROLLBACK TO SAVEPOINT probe");
  pg_ok (f, "RELEASE SAVEPOINT probe");
}

/* Both refuse `sql` as a broken constraint: PostgreSQL with SQLSTATE class
 * 23 (`pg_state` exactly, when given) and, when `same_words`, sqlite's
 * message. */
static void
both_refuse (Fixture *f, const char *sql, const char *pg_state, gboolean same_words)
{
  gboolean lite, pg;
  g_autofree char *lite_msg = NULL, *pg_msg = NULL, *state = NULL;

  both_try (f, sql, &lite, &pg, &lite_msg, &pg_msg, &state);
  if (lite || pg)
    g_error ("not refused by %s: %s", lite ? "sqlite" : "PostgreSQL", sql);
  g_assert_true (g_str_has_prefix (state, "23"));
  if (pg_state)
    g_assert_cmpstr (state, ==, pg_state);
  if (same_words)
    g_assert_cmpstr (pg_msg, ==, lite_msg);
}

static void
both_accept (Fixture *f, const char *sql)
{
  gboolean lite, pg;
  g_autofree char *lite_msg = NULL, *pg_msg = NULL, *state = NULL;

  both_try (f, sql, &lite, &pg, &lite_msg, &pg_msg, &state);
  if (!lite || !pg)
    g_error ("refused by %s: %s (%s)", !lite ? "sqlite" : "PostgreSQL", sql,
             !lite ? lite_msg : pg_msg);
}

/* sqlite accepts `sql`, PostgreSQL refuses it with a CHECK (23514): a
 * known difference, where sqlite's CHECK is weaker than it reads. */
static void
stricter_on_pg (Fixture *f, const char *sql)
{
  gboolean lite, pg;
  g_autofree char *lite_msg = NULL, *pg_msg = NULL, *state = NULL;

  both_try (f, sql, &lite, &pg, &lite_msg, &pg_msg, &state);
  if (!lite || pg)
    g_error ("expected sqlite to accept and PostgreSQL to refuse: %s", sql);
  g_assert_cmpstr (state, ==, "23514");
}

/* The rows of a one-column query on sqlite, in order. */
static GPtrArray *
lite_strings (Fixture *f, const char *sql, const char *arg)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *st = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (f->db, sql, -1, &st, NULL), ==, SQLITE_OK);
  if (arg)
    sqlite3_bind_text (st, 1, arg, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (st) == SQLITE_ROW)
    g_ptr_array_add (out, g_strdup ((const char *) sqlite3_column_text (st, 0)));
  sqlite3_finalize (st);
  return out;
}

static GPtrArray *
pg_strings (Fixture *f, const char *sql, const char *arg)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  PGresult *r = pg_exec (f, sql, arg ? 1 : 0, &arg);

  g_assert_cmpint (PQresultStatus (r), ==, PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples (r); i++)
    g_ptr_array_add (out, g_strdup (PQgetvalue (r, i, 0)));
  PQclear (r);
  return out;
}

/* Both lists hold the same strings in the same order. */
static void
assert_same_list (GPtrArray *lite, GPtrArray *pg, const char *what)
{
  g_autofree char *l = NULL, *p = NULL;

  g_ptr_array_add (lite, NULL);
  g_ptr_array_add (pg, NULL);
  l = g_strjoinv (", ", (char **) lite->pdata);
  p = g_strjoinv (", ", (char **) pg->pdata);
  if (g_strcmp0 (l, p) != 0)
    g_error ("%s differ:\n  sqlite:     %s\n  PostgreSQL: %s", what, l, p);
}

/* ------------------------------------------------------------ fixture */

static void
set_up (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  (void) data;

  f->dir = g_dir_make_tmp ("pg-schema-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "store.db", NULL);
  f->store = store_open (f->path, &error);
  g_assert_no_error (error);
  f->db = store_get_db (f->store);
  lite_ok (f, "BEGIN");

  f->pg = PQconnectdb (dsn);
  if (PQstatus (f->pg) != CONNECTION_OK)
    g_error ("cannot connect to TELEHEALTHD_DSN: %s", PQerrorMessage (f->pg));
  pg_ok (f, "BEGIN");
  /* A schema of its own (rolled back with the rest): the database may hold
   * another copy of the store already. */
  pg_ok (f, "CREATE SCHEMA th_schema_test");
  pg_ok (f, "SET LOCAL search_path TO th_schema_test");
  for (guint i = 0; i < store_pg_baseline_count; i++)
    pg_ok (f, store_pg_baseline[i]);
  /* Then the migrations after the baseline, as store_pg.c runs them: the
   * two schemas are compared at the latest version. */
  for (int v = STORE_PG_BASELINE_VERSION + 1; v <= store_latest_schema_version (); v++) {
    /* Several statements in one text: PQexec, as store_pg.c runs it. */
    PGresult *r = PQexec (f->pg, store_pg_migration_sql (v));
    if (PQresultStatus (r) != PGRES_COMMAND_OK)
      g_error ("PostgreSQL refused migration %d: %s", v, PQresultErrorMessage (r));
    PQclear (r);
  }
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  (void) data;
  pg_ok (f, "ROLLBACK");
  PQfinish (f->pg);
  lite_ok (f, "ROLLBACK");
  store_close (f->store);
  for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
    g_autofree char *p = g_strconcat (f->path, *s, NULL);
    g_remove (p);
  }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* ------------------------------------------------------------ structure */

static GPtrArray *
lite_tables (Fixture *f)
{
  return lite_strings (f,
                       "SELECT name FROM sqlite_master WHERE type = 'table'"
                       " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                       NULL);
}

static void
test_tables (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) lite = lite_tables (f);
  /* COLLATE "C": the same order as sqlite's BINARY. */
  g_autoptr (GPtrArray) pg = pg_strings (f,
                                         "SELECT table_name::text FROM information_schema.tables"
                                         " WHERE table_schema = current_schema()"
                                         " ORDER BY table_name::text COLLATE \"C\"",
                                         NULL);
  (void) data;
  g_assert_cmpuint (lite->len, >, 40);
  assert_same_list (lite, pg, "tables");
}

/* sqlite's declared type → the PostgreSQL types that stand for it. */
static gboolean
same_type (const char *lite, const char *pg)
{
  if (g_strcmp0 (lite, "TEXT") == 0)
    return g_strcmp0 (pg, "text") == 0;
  if (g_strcmp0 (lite, "INTEGER") == 0)
    return g_strcmp0 (pg, "bigint") == 0 || g_strcmp0 (pg, "integer") == 0;
  if (g_strcmp0 (lite, "REAL") == 0)
    return g_strcmp0 (pg, "double precision") == 0;
  if (g_strcmp0 (lite, "BLOB") == 0)
    return g_strcmp0 (pg, "bytea") == 0;
  return FALSE;
}

/* One table's columns: "name type NOT NULL DEFAULT x" per column, in order,
 * in sqlite's words. PostgreSQL's explicit rowid (schema_pg.c) is left
 * out; a primary key column counts as NOT NULL on sqlite, as PostgreSQL
 * makes it (sqlite's TEXT PRIMARY KEY without NOT NULL is its own quirk). */
static void
compare_columns (Fixture *f, const char *table)
{
  g_autoptr (GPtrArray) lite = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) pg = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *what = g_strdup_printf ("columns of %s", table);
  sqlite3_stmt *st = NULL;
  PGresult *r;
  GPtrArray *lite_types = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (f->db,
                                       "SELECT name, type, \"notnull\" OR pk > 0, dflt_value"
                                       " FROM pragma_table_info(?1) ORDER BY cid",
                                       -1, &st, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, table, -1, SQLITE_STATIC);
  while (sqlite3_step (st) == SQLITE_ROW) {
    const char *dflt = (const char *) sqlite3_column_text (st, 3);
    g_ptr_array_add (lite, g_strdup_printf ("%s%s%s%s", sqlite3_column_text (st, 0),
                                            sqlite3_column_int (st, 2) ? " NOT NULL" : "",
                                            dflt ? " DEFAULT " : "", dflt ? dflt : ""));
    g_ptr_array_add (lite_types, g_strdup ((const char *) sqlite3_column_text (st, 1)));
  }
  sqlite3_finalize (st);

  /* The default without its cast ('pending'::text → 'pending'). */
  r = pg_exec (f,
               "SELECT column_name::text, data_type::text, is_nullable = 'NO',"
               " regexp_replace(column_default, '::[a-z ]+$', ''), collation_name"
               " FROM information_schema.columns"
               " WHERE table_schema = current_schema() AND table_name = $1"
               " AND column_name <> 'rowid' ORDER BY ordinal_position",
               1, &table);
  g_assert_cmpint (PQresultStatus (r), ==, PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples (r); i++) {
    gboolean has_default = !PQgetisnull (r, i, 3);
    const char *type = PQgetvalue (r, i, 1);
    g_ptr_array_add (pg, g_strdup_printf ("%s%s%s%s", PQgetvalue (r, i, 0),
                                          *PQgetvalue (r, i, 2) == 't' ? " NOT NULL" : "",
                                          has_default ? " DEFAULT " : "",
                                          has_default ? PQgetvalue (r, i, 3) : ""));
    if (n < lite_types->len && !same_type (lite_types->pdata[n], type))
      g_error ("%s.%s: sqlite %s, PostgreSQL %s", table, PQgetvalue (r, i, 0),
               (char *) lite_types->pdata[n], type);
    /* Text compares and sorts by its bytes, as sqlite's BINARY does. */
    if (g_strcmp0 (type, "text") == 0 && g_strcmp0 (PQgetvalue (r, i, 4), "C") != 0)
      g_error ("%s.%s: text without COLLATE \"C\"", table, PQgetvalue (r, i, 0));
    n++;
  }
  PQclear (r);
  g_ptr_array_unref (lite_types);
  assert_same_list (lite, pg, what);
}

static void
test_columns (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) tables = lite_tables (f);
  (void) data;
  for (guint i = 0; i < tables->len; i++)
    compare_columns (f, tables->pdata[i]);
}

static void
test_indexes (Fixture *f, gconstpointer data)
{
  /* Named indexes only: sqlite's automatic ones and PostgreSQL's that back
   * a PRIMARY KEY or UNIQUE constraint are the keys themselves. */
  g_autoptr (GPtrArray) lite = lite_strings (
    f,
    "SELECT m.name || ' ON ' || m.tbl_name || (CASE WHEN l.\"unique\" THEN ' UNIQUE' ELSE '' END)"
    "  || (CASE WHEN l.partial THEN ' WHERE' ELSE '' END)"
    " FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) l ON l.name = m.name"
    " WHERE m.type = 'index' AND m.name NOT LIKE 'sqlite_autoindex_%' ORDER BY m.name",
    NULL);
  g_autoptr (GPtrArray) pg = pg_strings (
    f,
    "SELECT c.relname || ' ON ' || t.relname || (CASE WHEN i.indisunique THEN ' UNIQUE' ELSE ''"
    "  END) || (CASE WHEN i.indpred IS NOT NULL THEN ' WHERE' ELSE '' END)"
    " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_class t ON t.oid = i.indrelid"
    " WHERE t.relnamespace = current_schema()::regnamespace"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
    " ORDER BY c.relname::text COLLATE \"C\"",
    NULL);
  (void) data;
  g_assert_cmpuint (lite->len, >, 50);
  assert_same_list (lite, pg, "indexes");
}

static void
test_trigger_names (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) lite = lite_strings (f,
                                             "SELECT name || ' ON ' || tbl_name FROM sqlite_master"
                                             " WHERE type = 'trigger' ORDER BY name",
                                             NULL);
  /* PostgreSQL's append-only tables also refuse TRUNCATE (schema_pg.c): a
   * trigger sqlite has no counterpart for. */
  g_autoptr (GPtrArray) pg = pg_strings (f,
                                         "SELECT g.tgname || ' ON ' || t.relname FROM pg_trigger g"
                                         " JOIN pg_class t ON t.oid = g.tgrelid"
                                         " WHERE NOT g.tgisinternal"
                                         " AND t.relnamespace = current_schema()::regnamespace"
                                         " AND g.tgname NOT LIKE '%\\_no\\_truncate'"
                                         " ORDER BY g.tgname::text COLLATE \"C\"",
                                         NULL);
  g_autoptr (GPtrArray) trunc = pg_strings (f,
                                            "SELECT replace(tgname, '_no_truncate', '_no_update')"
                                            " FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid"
                                            " WHERE t.relnamespace = current_schema()::regnamespace"
                                            " AND g.tgname LIKE '%\\_no\\_truncate'",
                                            NULL);
  (void) data;
  /* Every TRUNCATE refusal belongs to an append-only table. */
  for (guint i = 0; i < trunc->len; i++) {
    gboolean found = FALSE;
    for (guint j = 0; j < lite->len && !found; j++)
      found = g_str_has_prefix (lite->pdata[j], trunc->pdata[i]);
    g_assert_true (found);
  }
  g_assert_cmpuint (lite->len, >, 40);
  assert_same_list (lite, pg, "triggers");
}

/* ------------------------------------------------------------ behaviour */

#define T "'2026-11-27T12:00:00.000Z'"
#define H64 "'0000000000000000000000000000000000000000000000000000000000000000'"

/* One row in every table a trigger guards, by the same INSERT text on both
 * (so the CHECKs agree on what a good row is), in foreign key order. */
static const char *const kRows[] = {
  "INSERT INTO staff (id, display_name, role, created_at) VALUES ('s1', 'Dr A', 'psychiatrist', " T
  ")",
  "INSERT INTO patients (id, display_name, created_at) VALUES ('p1', 'Pat', " T ")",
  "INSERT INTO visits (id, patient_id, provider_id, scheduled_at, created_at, updated_at)"
  " VALUES ('v1', 'p1', 's1', " T ", " T ", " T ")",
  "INSERT INTO participants (id, visit_id, role, display_name, patient_id, created_at)"
  " VALUES ('pp1', 'v1', 'patient', 'Pat', 'p1', " T ")",
  "INSERT INTO medications (id, name, rxnorm, drug_class, schedule, unit, strengths)"
  " VALUES ('sertraline', 'Sertraline', '36437', 'ssri', 'none', 'mg', '[25, 50]')",
  "INSERT INTO checkins (id, visit_id, submitted_at) VALUES ('c1', 'v1', " T ")",
  "INSERT INTO checkin_scales (checkin_id, scale, items, total, band, alert, positive)"
  " VALUES ('c1', 'phq9', '[0]', 0, 'none', 0, 0)",
  "INSERT INTO checkin_side_effects (checkin_id, name, severity) VALUES ('c1', 'nausea', 1)",
  "INSERT INTO notes (id, visit_id, author_id, at, text) VALUES ('n1', 'v1', 's1', " T ", 'ok')",
  "INSERT INTO patient_conditions (id, patient_id, code, display, recorded_by, recorded_at)"
  " VALUES ('pc1', 'p1', 'F32.1', 'Depression', 's1', " T ")",
  "INSERT INTO medication_orders (id, patient_id, visit_id, prescriber_id, medication_id, dose,"
  " unit, frequency, route, action, reason, initially_pending, created_at) VALUES ('o1', 'p1',"
  " 'v1', 's1', 'sertraline', 50, 'mg', 'daily', 'oral', 'start', 'low mood', 0, " T ")",
  "INSERT INTO order_events (order_id, kind, at, by_staff_id, reason)"
  " VALUES ('o1', 'stopped', " T ", 's1', 'done')",
  "INSERT INTO audit_events (at, actor, action, target, detail, prev_hash, hash)"
  " VALUES (" T ", 'a', 'b', 'c', 'd', " H64 ", " H64 ")",
  "INSERT INTO checkin_missed_doses (checkin_id, order_id, missed, max_missed)"
  " VALUES ('c1', 'o1', 1, 14)",
  "INSERT INTO chat_messages (visit_id, participant_id, at, text) VALUES ('v1', 'pp1', " T
  ", 'hi')",
  "INSERT INTO consents (visit_id, participant_id, at, decision, text_version)"
  " VALUES ('v1', 'pp1', " T ", 'accepted', '1')",
  "INSERT INTO modality_changes (visit_id, participant_id, at, modality)"
  " VALUES ('v1', 'pp1', " T ", 'video')",
  "INSERT INTO diary_entries (id, patient_id, day, made_at) VALUES ('d1', 'p1', '2026-02-28', " T
  ")",
  "INSERT INTO diary_doses (entry_id, order_id, taken, missed) VALUES ('d1', 'o1', 1, 0)",
  "INSERT INTO diary_side_effects (entry_id, order_id, effect, severity)"
  " VALUES ('d1', 'o1', 'nausea', 1)",
  "INSERT INTO observations (id, patient_id, kind, value, unit, effective_at, recorded_at,"
  " source, recorded_by) VALUES ('ob1', 'p1', 'weight', 70.5, 'kg', " T ", " T
  ", 'clinic', 's1')",
  "INSERT INTO monitoring_alerts (id, patient_id, rule, summary, raised_at)"
  " VALUES ('a1', 'p1', 'item9', 'PHQ-9 item 9 positive', " T ")",
  "INSERT INTO safety_tasks (id, patient_id, opened_at, item9, checkin_id)"
  " VALUES ('t1', 'p1', " T ", 1, 'c1')",
  "INSERT INTO order_checks (order_id, stage, rule, severity, title, message, source,"
  " by_staff_id, created_at) VALUES ('o1', 'written', 'r', 'warn', 't', 'm', 's', 's1', " T ")",
  "INSERT INTO condition_events (condition_id, clinical_status, verification_status,"
  " by_staff_id, at) VALUES ('pc1', 'active', 'confirmed', 's1', " T ")",
  "INSERT INTO patient_allergies (id, patient_id, substance_kind, substance, type, recorded_by,"
  " recorded_at) VALUES ('al1', 'p1', 'other', 'peanut', 'allergy', 's1', " T ")",
  "INSERT INTO allergy_events (allergy_id, status, by_staff_id, at)"
  " VALUES ('al1', 'active', 's1', " T ")",
  "INSERT INTO patient_pharmacies (patient_id, name, address, phone, ncpdp_id, set_by_staff_id,"
  " created_at) VALUES ('p1', 'Main St Pharmacy', '1 Main St', '555', '1234567', 's1', " T ")",
  /* Pharmacy 1: the first id both hand out. */
  "INSERT INTO order_dispense (order_id, earliest_fill_date, pharmacy_id)"
  " VALUES ('o1', '2026-12-01', 1)",
  "INSERT INTO order_series (order_id, seq, earliest_fill_date) VALUES ('o1', 1, '2026-12-01')",
  "INSERT INTO pdmp_checks (patient_id, staff_id, state, checked_at, result_note, created_at)"
  " VALUES ('p1', 's1', 'CA', " T ", 'nothing found', " T ")",
  "INSERT INTO patient_reproductive (patient_id, sex_at_birth, pregnancy, breastfeeding,"
  " highly_effective, recorded_by, recorded_at)"
  " VALUES ('p1', 'female', 'unknown', 'no', 0, 's1', " T ")",
  "INSERT INTO other_medications (id, patient_id, name, status, created_by, created_at)"
  " VALUES ('om1', 'p1', 'Aspirin', 'active', 's1', " T ")",
};

static void
insert_rows (Fixture *f)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kRows); i++) {
    lite_ok (f, kRows[i]);
    pg_ok (f, kRows[i]);
  }
}

/* Every trigger sqlite has refuses on both, with the same words and, on
 * PostgreSQL, SQLSTATE 23000 (the backend's STORE_VIOLATION_OTHER). */
static void
test_trigger_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) triggers = lite_strings (f,
                                                 "SELECT name || ' ' || tbl_name FROM sqlite_master"
                                                 " WHERE type = 'trigger' ORDER BY name",
                                                 NULL);
  (void) data;
  insert_rows (f);
  /* What the two guarded updates allow: acknowledging an alert once,
   * closing a task once. */
  lite_ok (f, "UPDATE monitoring_alerts SET acknowledged_at = " T ", acknowledged_by = 's1',"
              " ack_note = 'seen'");
  pg_ok (f, "UPDATE monitoring_alerts SET acknowledged_at = " T ", acknowledged_by = 's1',"
            " ack_note = 'seen'");
  lite_ok (f, "UPDATE safety_tasks SET closed_at = " T ", closed_by = 's1', screen = '{}',"
              " risk_level = 'low', plan = '[]', location = 'home'");
  pg_ok (f, "UPDATE safety_tasks SET closed_at = " T ", closed_by = 's1', screen = '{}',"
            " risk_level = 'low', plan = '[]', location = 'home'");

  for (guint i = 0; i < triggers->len; i++) {
    g_auto (GStrv) parts = g_strsplit (triggers->pdata[i], " ", 2);
    const char *name = parts[0], *table = parts[1];
    g_autofree char *sql = NULL;

    if (g_str_has_suffix (name, "_no_delete") || g_str_has_suffix (name, "_keep_rows")) {
      sql = g_strdup_printf ("DELETE FROM %s", table);
    } else if (g_str_has_suffix (name, "_no_update")) {
      /* Setting the first column to itself: a change of nothing is still
       * an UPDATE, which the trigger refuses. */
      g_autoptr (GPtrArray) cols = lite_strings (f,
                                                 "SELECT name FROM pragma_table_info(?1)"
                                                 " ORDER BY cid LIMIT 1",
                                                 table);
      sql = g_strdup_printf ("UPDATE %s SET %s = %s", table, (char *) cols->pdata[0],
                             (char *) cols->pdata[0]);
    } else if (g_strcmp0 (name, "monitoring_alerts_ack_once") == 0) {
      sql = g_strdup ("UPDATE monitoring_alerts SET ack_note = 'again'");
    } else if (g_strcmp0 (name, "safety_tasks_close_once") == 0) {
      sql = g_strdup ("UPDATE safety_tasks SET location = 'elsewhere'");
    } else {
      g_error ("trigger %s: no probe (add one here)", name);
    }
    both_refuse (f, sql, "23000", TRUE);
  }
  /* PostgreSQL only: TRUNCATE skips row triggers; an append-only table
   * refuses it too (audit_events: nothing references it, so only the
   * trigger can refuse). */
  {
    PGresult *r;
    pg_ok (f, "SAVEPOINT probe");
    r = pg_exec (f, "TRUNCATE audit_events", 0, NULL);
    g_assert_cmpstr (PQresultErrorField (r, PG_DIAG_SQLSTATE), ==, "23000");
    PQclear (r);
    pg_ok (f, "ROLLBACK TO SAVEPOINT probe");
  }
}

/* The CHECKs PostgreSQL had to say differently (GLOB, date(), NOCASE)
 * accept and refuse the same values. */
static void
test_checks_agree (Fixture *f, gconstpointer data)
{
  (void) data;
  insert_rows (f);
  both_accept (f, "UPDATE patients SET birth_date = '2024-02-29'");
  /* sqlite's date() takes day 30 of February as written: so does PostgreSQL's CHECK. */
  both_accept (f, "UPDATE patients SET birth_date = '2026-02-30'");
  /* Where sqlite's date() cannot read the value it returns NULL, and a CHECK
   * that is NULL passes: sqlite's `date(x) = x` lets 2026-02-32 (or, with
   * no GLOB beside it, any text) through. PostgreSQL holds the rule the
   * migrations meant. The API never sends such a value; if sqlite's side is
   * ever tightened (a new migration), this says so. */
  stricter_on_pg (f, "UPDATE patients SET birth_date = '2026-02-32'");
  stricter_on_pg (f, "UPDATE patients SET birth_date = '2026-00-10'");
  stricter_on_pg (f, "INSERT INTO patient_reproductive (patient_id, sex_at_birth, pregnancy,"
                     " pregnancy_checked, breastfeeding, highly_effective, recorded_by,"
                     " recorded_at) VALUES ('p1', 'female', 'not-pregnant', 'last week', 'no',"
                     " 0, 's1', " T ")");
  both_refuse (f, "UPDATE patients SET birth_date = '2026-2-28'", "23514", FALSE);
  both_refuse (f, "UPDATE patients SET birth_date = '2026-02-28T00:00'", "23514", FALSE);
  both_accept (f, "UPDATE patients SET phone = '+15551234567'");
  both_refuse (f, "UPDATE patients SET phone = '+1555123456x'", "23514", FALSE);
  both_refuse (f, "UPDATE patients SET phone = '15551234567'", "23514", FALSE);
  both_refuse (f, "UPDATE patients SET phone = '+05551234567'", "23514", FALSE);
  both_refuse (f, "UPDATE patients SET region = 'ca'", "23514", FALSE);
  both_accept (f, "UPDATE patients SET email = 'a@b.c'");
  both_refuse (f, "UPDATE patients SET email = '@b.c'", "23514", FALSE);
  both_refuse (f,
               "INSERT INTO diary_entries (id, patient_id, day, made_at)"
               " VALUES ('d2', 'p1', '2026-1-01', " T ")",
               "23514", FALSE);
  stricter_on_pg (f, "INSERT INTO diary_entries (id, patient_id, day, made_at)"
                     " VALUES ('d2', 'p1', '2026-13-01', " T ")");
  both_refuse (f,
               "INSERT INTO patient_pharmacies (patient_id, name, address, phone, ncpdp_id,"
               " set_by_staff_id, created_at) VALUES ('p1', 'X', 'Y', '5', '12345a7', 's1', " T
               ")",
               "23514", FALSE);
  both_refuse (f, "INSERT INTO order_series (order_id, seq, earliest_fill_date) VALUES ('o1', 2,"
                  " '2026-12-1x')",
               "23514", FALSE);
  both_refuse (f,
               "INSERT INTO other_medications (id, patient_id, name, rxnorm, status, created_by,"
               " created_at) VALUES ('om2', 'p1', 'X', '12a', 'active', 's1', " T ")",
               "23514", FALSE);
  both_refuse (f,
               "INSERT INTO patient_reproductive (patient_id, sex_at_birth, pregnancy,"
               " pregnancy_checked, breastfeeding, highly_effective, recorded_by, recorded_at)"
               " VALUES ('p1', 'female', 'not-pregnant', '2026-01-05 10:00', 'no', 0, 's1', " T ")",
               "23514", FALSE);
  /* The record number is unique without case (sqlite: COLLATE NOCASE). */
  lite_ok (f, "UPDATE patients SET mrn = 'AB-1'");
  pg_ok (f, "UPDATE patients SET mrn = 'AB-1'");
  both_refuse (f,
               "INSERT INTO patients (id, display_name, created_at, mrn)"
               " VALUES ('p2', 'Other', " T ", 'ab-1')",
               "23505", FALSE);
  /* Foreign keys hold on both. */
  both_refuse (f, "INSERT INTO checkins (id, visit_id, submitted_at) VALUES ('c9', 'nope', " T ")",
               "23503", FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dsn = g_getenv ("TELEHEALTHD_DSN");
  if (!dsn || !*dsn) {
    g_print ("1..0 # SKIP no PostgreSQL: set TELEHEALTHD_DSN (tests/pg/with-pg.sh)\n");
    return 77;
  }
#define ADD(path, fn) g_test_add ("/pg-schema/" path, Fixture, NULL, set_up, fn, tear_down)
  ADD ("tables", test_tables);
  ADD ("columns", test_columns);
  ADD ("indexes", test_indexes);
  ADD ("trigger-names", test_trigger_names);
  ADD ("trigger-refusals", test_trigger_refusals);
  ADD ("checks-agree", test_checks_agree);
#undef ADD
  return g_test_run ();
}
