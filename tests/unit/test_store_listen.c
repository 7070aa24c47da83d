/* test_store_listen.c — visit changes told across nodes (issue 18): the
 * store's LISTEN connection on the GLib loop against a real PostgreSQL 15
 * (a NOTIFY from another connection, a change made through the store, a
 * killed backend leading to a reconnect and a resync), and on sqlite the
 * sink told after a commit, never after a rollback.
 *
 * The database comes from TELEHEALTHD_DSN (tests/pg/run-with-cluster.sh);
 * without it the program exits 77. Every wait is bounded. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>

#include "server/store/store-private.h" /* store_visit_changed, a rolled-back one */

static const char *dsn;

/* The server logs with g_log_structured, which g_test_expect_message does
 * not see: the listener's warnings (a lost connection, the back-off) are
 * counted here instead; any other warning fails the test. */
static guint listener_warnings;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++) {
    if (strcmp (fields[i].key, "MESSAGE") == 0 && (level & G_LOG_LEVEL_WARNING) &&
        strstr (fields[i].value, "the PostgreSQL listener")) {
      g_test_message ("logged: %s", (const char *) fields[i].value);
      listener_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  }
  return g_log_writer_default (level, fields, n_fields, data);
}

typedef struct {
  GPtrArray *seen; /* "visit provider", or "resync" */
} Seen;

static void
on_change (const char *visit, const char *provider, const char *supervisor, gpointer data)
{
  Seen *seen = data;
  g_ptr_array_add (seen->seen, !visit ? g_strdup ("resync")
                               : supervisor
                                 ? g_strdup_printf ("%s %s %s", visit, provider, supervisor)
                                 : g_strdup_printf ("%s %s", visit, provider));
}

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the default main context until `seen` holds `want` (or `cond`
 * holds), at most `ms`. */
static gboolean
spin_until (Seen *seen, const char *want, StoreListener *ready_of, guint ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (ms, timed_out, &expired);

  for (;;) {
    if (ready_of && store_listen_ready (ready_of))
      break;
    if (want && g_ptr_array_find_with_equal_func (seen->seen, want, g_str_equal, NULL))
      break;
    if (expired)
      return FALSE;
    g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (id);
  return TRUE;
}

static void
raw_exec (const char *sql)
{
  PGconn *conn = PQconnectdb (dsn);
  PGresult *r;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  r = PQexec (conn, sql);
  if (PQresultStatus (r) != PGRES_COMMAND_OK && PQresultStatus (r) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (r));
  PQclear (r);
  PQfinish (conn);
}

static Store *
open_pg (void)
{
  GError *error = NULL;
  StoreTarget target = { .backend = STORE_BACKEND_POSTGRESQL, .dsn = dsn };
  Store *store = store_open_target (&target, &error);
  g_assert_no_error (error);
  return store;
}

/* A visit of a new provider and patient; their ids into the out values. */
static char *
make_visit (Store *store, char **provider)
{
  GError *error = NULL;
  g_autofree char *patient = store_create_patient (store, "Pat Listen", &error);
  char *visit;

  g_assert_no_error (error);
  *provider = store_create_staff (store, "Dr Listen", "psychiatrist", &error);
  g_assert_no_error (error);
  visit = store_create_visit (store, patient, *provider, store_now_ms (), &error);
  g_assert_no_error (error);
  return visit;
}

static void
test_pg_listen (void)
{
  GError *error = NULL;
  Seen seen = { g_ptr_array_new_with_free_func (g_free) };
  Store *store = open_pg ();
  StoreListener *l = store_listen_start (dsn, on_change, &seen);
  g_autofree char *provider = NULL, *visit = NULL, *pair = NULL;
  gint64 t0;

  g_assert_true (spin_until (&seen, NULL, l, 5000));

  /* Another connection's NOTIFY; a payload that is not ours is ignored. */
  raw_exec ("NOTIFY " STORE_VISITS_CHANNEL ", 'not ours; really'");
  raw_exec ("NOTIFY " STORE_VISITS_CHANNEL ", 'visit-1 staff-2'");
  g_assert_true (spin_until (&seen, "visit-1 staff-2", NULL, 3000));
  g_assert_cmpuint (seen.seen->len, ==, 1);

  /* A change through the store, at its commit. */
  visit = make_visit (store, &provider);
  pair = g_strdup_printf ("%s %s", visit, provider);
  g_assert_true (spin_until (&seen, pair, NULL, 3000));
  g_ptr_array_set_size (seen.seen, 0);
  t0 = g_get_monotonic_time ();
  g_assert_true (store_set_visit_state (store, visit, VISIT_WAITING, &error));
  g_assert_no_error (error);
  g_assert_true (spin_until (&seen, pair, NULL, 1000));
  g_test_message ("state change heard after %.1f ms",
                  (double) (g_get_monotonic_time () - t0) / 1000.0);
  /* A change rolled back tells nothing. */
  g_ptr_array_set_size (seen.seen, 0);
  g_assert_true (store_begin (store, &error));
  g_assert_true (store_visit_changed (store, visit, &error));
  store_rollback (store);
  g_assert_no_error (error);
  raw_exec ("NOTIFY " STORE_VISITS_CHANNEL ", 'marker-1 marker-2'");
  g_assert_true (spin_until (&seen, "marker-1 marker-2", NULL, 3000));
  g_assert_cmpuint (seen.seen->len, ==, 1);

  /* The listener's backend is killed: it connects again and says resync,
   * then hears changes again. */
  g_ptr_array_set_size (seen.seen, 0);
  raw_exec ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'telehealthd-listen'");
  listener_warnings = 0;
  g_assert_true (spin_until (&seen, "resync", NULL, 5000));
  g_assert_cmpuint (listener_warnings, ==, 1);
  g_assert_true (store_listen_ready (l));
  g_assert_true (store_record_participant_event (store, visit, NULL, "join", &error) == FALSE);
  g_clear_error (&error);
  g_assert_true (store_set_visit_state (store, visit, VISIT_IN_PROGRESS, &error));
  g_assert_no_error (error);
  g_assert_true (spin_until (&seen, pair, NULL, 1000));

  store_listen_stop (l);
  store_close (store);
  g_ptr_array_unref (seen.seen);
}

/* A listener whose database is not there keeps trying, never blocks, and
 * is stopped cleanly. */
static void
test_pg_unreachable (void)
{
  Seen seen = { g_ptr_array_new_with_free_func (g_free) };
  StoreListener *l;
  gint64 t0 = g_get_monotonic_time ();

  l = store_listen_start ("host=/nonexistent-dir dbname=nothing connect_timeout=1", on_change,
                          &seen);
  g_assert_false (spin_until (&seen, "resync", l, 600));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  store_listen_stop (l);
  g_assert_cmpuint (listener_warnings, >=, 1);
  g_ptr_array_unref (seen.seen);
}

static void
test_sqlite_sink (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("th-listen-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "th.db", NULL);
  Seen seen = { g_ptr_array_new_with_free_func (g_free) };
  Store *store = store_open (path, &error), *again;
  g_autofree char *provider = NULL, *visit = NULL, *pair = NULL;

  g_assert_no_error (error);
  store_set_change_sink (store, on_change, &seen);
  visit = make_visit (store, &provider);
  pair = g_strdup_printf ("%s %s", visit, provider);
  g_assert_cmpuint (seen.seen->len, ==, 1);
  g_assert_cmpstr (seen.seen->pdata[0], ==, pair);
  /* A worker's connection tells the same sink. */
  again = store_open_again (store, &error);
  g_assert_no_error (error);
  g_assert_true (store_set_visit_state (again, visit, VISIT_WAITING, &error));
  g_assert_cmpuint (seen.seen->len, ==, 2);
  /* A change rolled back tells nothing; a refused one neither. */
  g_assert_true (store_begin (again, &error));
  g_assert_true (store_visit_changed (again, visit, &error));
  store_rollback (again);
  g_assert_false (store_set_visit_state (again, visit, VISIT_NO_SHOW, &error));
  g_clear_error (&error);
  g_assert_cmpuint (seen.seen->len, ==, 2);
  /* A PA's visit names their supervising psychiatrist too. */
  {
    g_autofree char *pa = store_create_staff (store, "PA Listen", "pa", &error);
    g_autofree char *patient = store_create_patient (store, "Pat Supervised", &error);
    g_autofree char *pa_visit = NULL, *triple = NULL;
    g_assert_no_error (error);
    g_assert_true (store_set_staff_supervisor (store, pa, provider, &error));
    g_assert_no_error (error);
    pa_visit = store_create_visit (store, patient, pa, store_now_ms (), &error);
    g_assert_no_error (error);
    triple = g_strdup_printf ("%s %s %s", pa_visit, pa, provider);
    g_assert_cmpstr (g_ptr_array_index (seen.seen, seen.seen->len - 1), ==, triple);
  }
  store_close (again);
  store_close (store);
  g_unlink (path);
  g_rmdir (dir);
  g_ptr_array_unref (seen.seen);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  dsn = g_getenv ("TELEHEALTHD_DSN");
  g_test_add_func ("/store/changes/sqlite-sink", test_sqlite_sink);
  if (dsn && *dsn) {
    g_test_add_func ("/store/listen/postgresql", test_pg_listen);
    g_test_add_func ("/store/listen/unreachable", test_pg_unreachable);
  } else {
    g_test_message ("TELEHEALTHD_DSN is not set: the PostgreSQL cases are skipped");
  }
  return g_test_run ();
}
