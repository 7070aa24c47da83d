/* test_store_nodes.c — nodes and visit leases (store-cluster.h, issue 18)
 * on a real PostgreSQL 15: claims, the holder's URL, release, a graceful
 * stop's release of all, expiry of a dead node's leases on the database's
 * clock, and two connections racing for the same visits (exactly one wins
 * each). The same tests run on sqlite too (one node there, but the SQL is
 * shared and must mean the same).
 *
 * PostgreSQL comes from TELEHEALTHD_DSN (tests/pg/run-with-cluster.sh);
 * without it only the sqlite pass runs. Waits are bounded. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>

#include "server/store/store.h"

static const char *dsn;
static char *lite_dir;

typedef struct {
  gboolean pg;
} Pass;

static void
empty_pg (void)
{
  PGconn *conn = PQconnectdb (dsn);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  PQclear (PQexec (conn, "SET client_min_messages = warning"));
  PGresult *r = PQexec (conn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  g_assert_cmpint (PQresultStatus (r), ==, PGRES_COMMAND_OK);
  PQclear (r);
  PQfinish (conn);
}

/* A fresh database; the first connection to it. */
static Store *
fresh (const Pass *pass)
{
  GError *error = NULL;
  Store *store;

  if (pass->pg) {
    StoreTarget target = { .backend = STORE_BACKEND_POSTGRESQL, .dsn = dsn };
    empty_pg ();
    store = store_open_target (&target, &error);
  } else {
    g_autofree char *path = NULL;
    g_free (lite_dir);
    lite_dir = g_dir_make_tmp ("nodes-XXXXXX", &error);
    g_assert_no_error (error);
    path = g_build_filename (lite_dir, "store.db", NULL);
    store = store_open (path, &error);
  }
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
drop_lite (void)
{
  if (!lite_dir)
    return;
  for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
    g_autofree char *p = g_strconcat (lite_dir, "/store.db", *s, NULL);
    g_remove (p);
  }
  g_rmdir (lite_dir);
  g_clear_pointer (&lite_dir, g_free);
}

static Store *
again (Store *store)
{
  GError *error = NULL;
  Store *other = store_open_again (store, &error);
  g_assert_no_error (error);
  return other;
}

static void
beat (Store *store, const char *node, guint lease)
{
  GError *error = NULL;
  g_autofree char *url = g_strdup_printf ("http://%s.test:8080", node);
  g_assert_true (store_node_heartbeat (store, node, url, lease, FALSE, &error));
  g_assert_no_error (error);
}

/* NULL: won; else the holder's URL (freed by the caller). */
static char *
claim (Store *store, const char *visit, const char *node, guint lease)
{
  GError *error = NULL;
  char *holder = NULL;
  g_assert_true (store_lease_claim (store, visit, node, lease, &holder, &error));
  g_assert_no_error (error);
  return holder;
}

static void
test_claim_release (gconstpointer data)
{
  GError *error = NULL;
  Store *a = fresh (data), *b = again (a);
  g_autofree char *held = NULL;
  g_autoptr (GPtrArray) live = NULL;
  guint released = 0;
  gboolean seen = TRUE;

  g_assert_true (store_node_seen (a, "node-a", 10, &seen, &error));
  g_assert_no_error (error);
  g_assert_false (seen);
  beat (a, "node-a", 10);
  g_assert_true (store_node_seen (b, "node-a", 10, &seen, &error));
  g_assert_true (seen);
  beat (b, "node-b", 10);
  live = store_nodes_live (a, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (live->len, ==, 2);
  g_assert_cmpstr (live->pdata[0], ==, "http://node-a.test:8080");
  g_assert_cmpstr (live->pdata[1], ==, "http://node-b.test:8080");

  g_assert_null (claim (a, "visit-1", "node-a", 10));
  held = claim (b, "visit-1", "node-b", 10);
  g_assert_cmpstr (held, ==, "http://node-a.test:8080");
  g_assert_null (claim (a, "visit-1", "node-a", 10)); /* ours already: renewed */
  g_assert_null (claim (b, "visit-2", "node-b", 10));

  /* A release by a node that does not hold it changes nothing. */
  g_assert_true (store_lease_release (b, "visit-1", "node-b", &error));
  g_clear_pointer (&held, g_free);
  held = claim (b, "visit-1", "node-b", 10);
  g_assert_cmpstr (held, ==, "http://node-a.test:8080");
  g_assert_true (store_lease_release (a, "visit-1", "node-a", &error));
  g_assert_null (claim (b, "visit-1", "node-b", 10));

  /* A graceful stop lets go of everything at once. */
  g_assert_true (store_lease_release_all (b, "node-b", &released, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (released, ==, 2);
  g_assert_null (claim (a, "visit-2", "node-a", 10));

  /* Bad input is INVALID, not a crash. */
  g_clear_pointer (&held, g_free);
  g_assert_false (store_lease_claim (a, "visit-3", "", 10, &held, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_INVALID);
  g_clear_error (&error);
  store_close (b);
  store_close (a);
  drop_lite ();
}

/* A node that stops beating loses its leases after the lease time, on the
 * database's clock; one that beats keeps them past it. */
static void
test_expiry (gconstpointer data)
{
  Store *a = fresh (data), *b = again (a);
  gint64 start, waited_ms;
  char *held = NULL;

  beat (a, "node-a", 1);
  beat (b, "node-b", 1);
  g_assert_null (claim (a, "visit-1", "node-a", 1));
  g_assert_null (claim (b, "visit-2", "node-b", 1));
  held = claim (b, "visit-1", "node-b", 1);
  g_assert_cmpstr (held, ==, "http://node-a.test:8080");
  g_free (held);

  /* a is dead from now on; b keeps beating. Bounded: 6 s. */
  start = g_get_monotonic_time ();
  do {
    g_usleep (200 * 1000);
    beat (b, "node-b", 1);
    held = claim (b, "visit-1", "node-b", 1);
    waited_ms = (g_get_monotonic_time () - start) / 1000;
    if (!held)
      break;
    g_free (held);
  } while (waited_ms < 6000);
  g_assert_null (held);
  g_assert_cmpint (waited_ms, >=, 700); /* not before the lease ran out */

  /* b's own lease, extended by its beats, outlived the lease time. */
  beat (a, "node-a", 1);
  held = claim (a, "visit-2", "node-a", 1);
  g_assert_cmpstr (held, ==, "http://node-b.test:8080");
  g_free (held);
  store_close (b);
  store_close (a);
  drop_lite ();
}

typedef struct {
  Store *store;
  const char *node;
  GMutex *lock;
  GCond *cond;
  gboolean *go;
  guint won;
} Racer;

#define RACE_VISITS 40

static gpointer
race (gpointer data)
{
  Racer *r = data;

  g_mutex_lock (r->lock);
  while (!*r->go)
    g_cond_wait (r->cond, r->lock);
  g_mutex_unlock (r->lock);
  for (int i = 0; i < RACE_VISITS; i++) {
    g_autofree char *visit = g_strdup_printf ("visit-%d", i);
    char *held = claim (r->store, visit, r->node, 10);
    if (!held)
      r->won++;
    g_free (held);
  }
  return NULL;
}

/* Two connections claim the same visits at the same moment: each visit
 * has exactly one winner, and the loser learns the winner's URL. */
static void
test_race (gconstpointer data)
{
  const Pass *pass = data;
  Store *a = fresh (pass), *b = again (a);
  GMutex lock;
  GCond cond;
  gboolean go = FALSE;
  Racer ra = { a, "node-a", &lock, &cond, &go, 0 }, rb = { b, "node-b", &lock, &cond, &go, 0 };
  GThread *ta, *tb;

  if (!pass->pg)
    store_set_busy_timeout (b, 5000);
  g_mutex_init (&lock);
  g_cond_init (&cond);
  beat (a, "node-a", 10);
  beat (b, "node-b", 10);
  ta = g_thread_new ("racer-a", race, &ra);
  tb = g_thread_new ("racer-b", race, &rb);
  g_mutex_lock (&lock);
  go = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  g_thread_join (ta);
  g_thread_join (tb);
  g_assert_cmpuint (ra.won + rb.won, ==, RACE_VISITS);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
  store_close (b);
  store_close (a);
  drop_lite ();
}

int
main (int argc, char **argv)
{
  static const Pass lite = { FALSE }, pg = { TRUE };

  g_test_init (&argc, &argv, NULL);
  dsn = g_getenv ("TELEHEALTHD_DSN");
  g_test_add_data_func ("/store-nodes/sqlite/claim-release", &lite, test_claim_release);
  g_test_add_data_func ("/store-nodes/sqlite/race", &lite, test_race);
  if (dsn && *dsn) {
    g_test_add_data_func ("/store-nodes/pg/claim-release", &pg, test_claim_release);
    g_test_add_data_func ("/store-nodes/pg/expiry", &pg, test_expiry);
    g_test_add_data_func ("/store-nodes/pg/race", &pg, test_race);
  } else {
    g_print ("# TELEHEALTHD_DSN is not set: the PostgreSQL half is skipped\n");
  }
  return g_test_run ();
}
