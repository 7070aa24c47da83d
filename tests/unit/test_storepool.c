/* test_storepool.c — the store's worker threads (server/storepool): jobs run
 * off the calling thread, each worker on a connection of its own, the
 * results come back on the main context, a serial key's jobs keep their
 * order, and freeing the pool waits for what runs. A fresh database per test
 * (a real sqlite file, or PostgreSQL: store-fixture.h). */
#include "store-fixture.h"

#include <gio/gio.h>
#include <pthread.h>

#include "server/storepool/storepool.h"

typedef StoreFixture Fixture;

/* What the jobs of one test saw, under a lock (they run on workers): a
 * pthread mutex, which ThreadSanitizer sees (GLib's is a futex it cannot). */
typedef struct {
  pthread_mutex_t lock;
  GThread *main_thread;
  Store *origin;
  GHashTable *store_of_thread; /* GThread* → the Store* its jobs were given */
  GArray *ran;                 /* job numbers in the order they ran */
  GArray *delivered;           /* job numbers in the order `done` saw them */
  guint done;
  gboolean off_main; /* every job ran off the main thread */
  gboolean schema_ok;
} Seen;

typedef struct {
  Seen *seen;
  guint n;
  guint sleep_us;
} Job;

static void
seen_init (Seen *s, Store *origin)
{
  memset (s, 0, sizeof *s);
  pthread_mutex_init (&s->lock, NULL);
  s->main_thread = g_thread_self ();
  s->origin = origin;
  s->store_of_thread = g_hash_table_new (NULL, NULL);
  s->ran = g_array_new (FALSE, FALSE, sizeof (guint));
  s->delivered = g_array_new (FALSE, FALSE, sizeof (guint));
  s->off_main = TRUE;
  s->schema_ok = TRUE;
}

static void
seen_clear (Seen *s)
{
  g_hash_table_unref (s->store_of_thread);
  g_array_unref (s->ran);
  g_array_unref (s->delivered);
  pthread_mutex_destroy (&s->lock);
}

static void
job_run (Store *store, gpointer data)
{
  Job *job = data;
  Seen *s = job->seen;
  Store *before;
  /* The connection works: the schema is the one the origin migrated. */
  gboolean schema_ok = store_schema_version (store) == store_latest_schema_version ();

  if (job->sleep_us)
    g_usleep (job->sleep_us);
  pthread_mutex_lock (&s->lock);
  if (g_thread_self () == s->main_thread || store == s->origin)
    s->off_main = FALSE;
  if (!schema_ok)
    s->schema_ok = FALSE;
  before = g_hash_table_lookup (s->store_of_thread, g_thread_self ());
  if (!before)
    g_hash_table_insert (s->store_of_thread, g_thread_self (), store);
  else if (before != store)
    g_hash_table_insert (s->store_of_thread, g_thread_self (), NULL); /* marks a change */
  g_array_append_val (s->ran, job->n);
  pthread_mutex_unlock (&s->lock);
}

static void
job_done (gpointer data, const GError *error)
{
  Job *job = data;
  Seen *s = job->seen;

  g_assert_no_error ((GError *) error);
  /* Back where the pool was made. */
  g_assert_true (g_thread_self () == s->main_thread);
  g_array_append_val (s->delivered, job->n);
  s->done++;
  g_free (job);
}

static void
run_jobs (ThStorePool *pool, Seen *s, const char *serial, guint n, guint sleep_us)
{
  for (guint i = 0; i < n; i++) {
    Job *job = g_new0 (Job, 1);
    job->seen = s;
    job->n = i;
    job->sleep_us = sleep_us;
    th_store_pool_run (pool, serial, job_run, job_done, job);
  }
}

/* Jobs run on the workers, on connections of their own (one per thread,
 * kept from job to job, never the origin's), and come back on the main
 * context. */
static void
test_workers_and_connections (Fixture *f, gconstpointer data)
{
  ThStorePool *pool = th_store_pool_new (f->store, 3, 5000);
  GHashTableIter iter;
  gpointer thread, store;
  g_autoptr (GHashTable) stores = g_hash_table_new (NULL, NULL);
  Seen s;

  (void) data;
  seen_init (&s, f->store);
  g_assert_cmpuint (th_store_pool_workers (pool), ==, 3);
  run_jobs (pool, &s, NULL, 60, 2000);
  while (s.done < 60)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (s.off_main);
  g_assert_true (s.schema_ok);
  g_assert_cmpuint (g_hash_table_size (s.store_of_thread), >=, 2);
  g_assert_cmpuint (g_hash_table_size (s.store_of_thread), <=, 3);
  g_hash_table_iter_init (&iter, s.store_of_thread);
  while (g_hash_table_iter_next (&iter, &thread, &store)) {
    g_assert_nonnull (store); /* the same connection for all of a thread's jobs */
    g_assert_false (g_hash_table_contains (stores, store)); /* and no other thread's */
    g_hash_table_add (stores, store);
  }
  th_store_pool_free (pool);
  seen_clear (&s);
}

/* A serial key's jobs run one at a time in order, and come back in order,
 * while other jobs run beside them. */
static void
test_serial_order (Fixture *f, gconstpointer data)
{
  ThStorePool *pool = th_store_pool_new (f->store, 4, 5000);
  Seen s, other;

  (void) data;
  seen_init (&s, f->store);
  seen_init (&other, f->store);
  run_jobs (pool, &s, "visit-1", 40, 500);
  run_jobs (pool, &other, NULL, 40, 500);
  while (s.done < 40 || other.done < 40)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 40; i++) {
    g_assert_cmpuint (g_array_index (s.ran, guint, i), ==, i);
    g_assert_cmpuint (g_array_index (s.delivered, guint, i), ==, i);
  }
  th_store_pool_free (pool);
  seen_clear (&s);
  seen_clear (&other);
}

typedef struct {
  ThStorePool *pool;
  gint finished; /* atomic */
  gboolean done;
  gboolean late_refused;
} Slow;

static void
slow_run (Store *store, gpointer data)
{
  Slow *slow = data;

  (void) store;
  g_usleep (200 * 1000);
  g_atomic_int_set (&slow->finished, 1);
}

static void
late_run (Store *store, gpointer data)
{
  (void) store;
  (void) data;
  g_assert_not_reached ();
}

static void
late_done (gpointer data, const GError *error)
{
  Slow *slow = data;

  g_assert_error ((GError *) error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  slow->late_refused = TRUE;
}

static void
slow_done (gpointer data, const GError *error)
{
  Slow *slow = data;

  g_assert_no_error ((GError *) error);
  slow->done = TRUE;
  /* Queued while the pool closes: refused, but still answered. */
  th_store_pool_run (slow->pool, NULL, late_run, late_done, slow);
}

/* Freeing the pool waits for the job that runs (and the queued ones),
 * delivers their results, and refuses what comes in meanwhile. */
static void
test_free_waits (Fixture *f, gconstpointer data)
{
  Slow slow = { 0 };
  Slow queued = { 0 };

  (void) data;
  slow.pool = th_store_pool_new (f->store, 1, 5000);
  queued.pool = slow.pool;
  th_store_pool_run (slow.pool, "k", slow_run, slow_done, &slow);
  th_store_pool_run (slow.pool, "k", slow_run, slow_done, &queued);
  g_usleep (20 * 1000); /* the first job has begun */
  th_store_pool_free (slow.pool);
  g_assert_cmpint (g_atomic_int_get (&slow.finished), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&queued.finished), ==, 1);
  g_assert_true (slow.done && queued.done);
  g_assert_true (slow.late_refused && queued.late_refused);
}

/* A write on one worker is seen by a read on another (one database). */
typedef struct {
  gboolean ok;
  guint rows;
} Audit;

static void
audit_write (Store *store, gpointer data)
{
  Audit *a = data;
  a->ok = store_audit_append (store, "tester", "pool.test", NULL, "{}", NULL);
}

static void
audit_count (Store *store, gpointer data)
{
  Audit *a = data;
  a->rows = (guint) count_rows (store, "SELECT count(*) FROM audit_events");
}

static void
count_done (gpointer data, const GError *error)
{
  (void) data;
  g_assert_no_error ((GError *) error);
}

static void
test_writes_shared (Fixture *f, gconstpointer data)
{
  ThStorePool *pool = th_store_pool_new (f->store, 2, 5000);
  Audit a[8] = { { 0 } }, counted = { 0 };

  (void) data;
  for (guint i = 0; i < G_N_ELEMENTS (a); i++)
    th_store_pool_run (pool, NULL, audit_write, count_done, &a[i]);
  th_store_pool_free (pool);
  for (guint i = 0; i < G_N_ELEMENTS (a); i++)
    g_assert_true (a[i].ok);
  pool = th_store_pool_new (f->store, 2, 5000);
  th_store_pool_run (pool, NULL, audit_count, count_done, &counted);
  th_store_pool_free (pool);
  g_assert_cmpuint (counted.rows, ==, G_N_ELEMENTS (a));
  /* Eight writers from two connections, one unbroken chain. */
  g_assert_true (store_audit_verify (f->store, NULL, NULL));
}

/* The queue's bound: jobs waiting for a worker, not those running. */
static gint gate_open;

static void
gated_run (Store *store, gpointer data)
{
  (void) store;
  (void) data;
  while (!g_atomic_int_get (&gate_open))
    g_usleep (1000);
}

static void
test_queue_limit (Fixture *f, gconstpointer data)
{
  ThStorePool *pool = th_store_pool_new (f->store, 1, 5000);

  (void) data;
  g_atomic_int_set (&gate_open, 0);
  g_assert_false (th_store_pool_full (pool)); /* no limit yet */
  th_store_pool_set_queue_limit (pool, 2);
  th_store_pool_run (pool, NULL, gated_run, count_done, NULL);
  /* The first is taken by the worker (and holds it) ... */
  for (guint i = 0; i < 2000 && th_store_pool_waiting (pool) > 0; i++)
    g_usleep (1000);
  g_assert_cmpuint (th_store_pool_waiting (pool), ==, 0);
  g_assert_false (th_store_pool_full (pool));
  /* ... two more wait, whatever their key, and the queue is full. */
  th_store_pool_run (pool, "k", gated_run, count_done, NULL);
  g_assert_false (th_store_pool_full (pool));
  th_store_pool_run (pool, "k", gated_run, count_done, NULL);
  g_assert_cmpuint (th_store_pool_waiting (pool), ==, 2);
  g_assert_true (th_store_pool_full (pool));
  g_atomic_int_set (&gate_open, 1);
  for (guint i = 0; i < 2000 && th_store_pool_waiting (pool) > 0; i++)
    g_usleep (1000);
  g_assert_false (th_store_pool_full (pool));
  th_store_pool_free (pool);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add ("/storepool/" path, Fixture, NULL, store_fixture_set_up, fn, store_fixture_tear_down)
  ADD ("workers-and-connections", test_workers_and_connections);
  ADD ("serial-order", test_serial_order);
  ADD ("free-waits", test_free_waits);
  ADD ("writes-shared", test_writes_shared);
  ADD ("queue-limit", test_queue_limit);
  return g_test_run ();
}
