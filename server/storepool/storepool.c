/* storepool.c — worker threads with a store connection each (storepool.h).
 *
 * Our own threads rather than GThreadPool's: a connection belongs to its
 * thread and must be closed when the pool is freed, while GThreadPool
 * keeps idle threads for later pools and runs their cleanup whenever they
 * happen to exit. Each worker pops jobs from one GAsyncQueue; freeing the
 * pool pushes one "stop" per worker behind the jobs already queued and
 * joins them, so nothing queued is dropped and nothing waits on the main
 * loop (free is the only place the main thread blocks, at shutdown).
 *
 * A serial key's jobs wait in a queue of their own (under `lock`) while one
 * of them runs; the worker that finishes one runs the next itself, so they
 * never overlap and keep their order.
 *
 * Each hand-off of a job between threads (queued → taken by a worker → back
 * on the main context) is also marked with a C11 release/acquire pair, and
 * the serial table's lock is a pthread mutex: GLib's mutexes are futexes
 * that ThreadSanitizer cannot see, and these make the pool checkable with
 * -Db_sanitize=thread (tests/unit/test_storepool.c). */
#define G_LOG_DOMAIN "th-storepool"

#include "server/storepool/storepool.h"

#include <gio/gio.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>

typedef struct {
  ThStorePool *pool;
  ThStoreJobRun run;
  ThStoreJobDone done;
  gpointer data;
  char *serial;  /* NULL: runs whenever a worker is free */
  GError *error; /* set when `run` did not run */
  atomic_int handed; /* the hand-offs' release/acquire marks (see the top) */
} Job;

struct _ThStorePool {
  Store *origin;
  guint busy_timeout_ms;
  GMainContext *main_context; /* where `done` runs */
  GAsyncQueue *queue;         /* Job*, or `stop` */
  GPtrArray *threads;
  pthread_mutex_t lock; /* guards `serial` and `closing` */
  GHashTable *serial;  /* key → GQueue of Job* waiting behind the one running */
  gboolean closing;    /* th_store_pool_free has begun: no more jobs run */
  gint undelivered;    /* jobs queued whose `done` has not run yet (atomic) */
  gint waiting;        /* jobs queued whose `run` has not begun (atomic) */
  guint queue_limit;   /* th_store_pool_full's bound; 0: none */
};

/* The marker that tells a worker to end (pushed once per worker). */
static Job stop;

/* Before a job goes to another thread, and once it arrived. */
static void
hand_over (Job *job)
{
  atomic_fetch_add_explicit (&job->handed, 1, memory_order_release);
}

static void
take_over (Job *job)
{
  (void) atomic_load_explicit (&job->handed, memory_order_acquire);
}

static void
job_free (Job *job)
{
  g_free (job->serial);
  g_clear_error (&job->error);
  g_free (job);
}

/* On the main context. */
static gboolean
deliver (gpointer user_data)
{
  Job *job = user_data;
  ThStorePool *pool = job->pool;

  take_over (job);
  job->done (job->data, job->error);
  job_free (job);
  g_atomic_int_dec_and_test (&pool->undelivered);
  return G_SOURCE_REMOVE;
}

/* Always through a source on the main context: g_main_context_invoke
 * would run `done` right here, on the worker, whenever the main thread
 * happens not to hold its context (between two iterations). */
static void
send_back (Job *job)
{
  GMainContext *context = job->pool->main_context;
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver, job, NULL);
  g_source_set_static_name (source, "th-store-job-done");
  /* Last: from here on the main thread may run and free the job. */
  hand_over (job);
  g_source_attach (source, context);
  g_source_unref (source);
}

/* The next job of `job`'s serial key, or NULL (the key is then free). */
static Job *
serial_next (ThStorePool *pool, const Job *job)
{
  GQueue *waiting;
  Job *next = NULL;

  if (!job->serial)
    return NULL;
  pthread_mutex_lock (&pool->lock);
  waiting = g_hash_table_lookup (pool->serial, job->serial);
  if (waiting && !(next = g_queue_pop_head (waiting)))
    g_hash_table_remove (pool->serial, job->serial);
  pthread_mutex_unlock (&pool->lock);
  if (next)
    take_over (next);
  return next;
}

static gpointer
worker (gpointer user_data)
{
  ThStorePool *pool = user_data;
  Store *store = NULL;
  Job *job;

  while ((job = g_async_queue_pop (pool->queue)) != &stop) {
    take_over (job);
    while (job) {
      Job *next;
      /* Opened at the first job, kept for the next ones: a failure (the
       * database unreachable) fails this job only, and the next tries again. */
      g_atomic_int_dec_and_test (&pool->waiting);
      if (!store && (store = store_open_again (pool->origin, &job->error)))
        store_set_busy_timeout (store, pool->busy_timeout_ms);
      if (store)
        job->run (store, job->data);
      /* Taken before the result goes back: once delivered, `job` is freed. */
      next = serial_next (pool, job);
      send_back (job);
      job = next;
    }
  }
  g_clear_pointer (&store, store_close);
  /* This thread's OpenSSL state (the audit chain's hashes), now rather
   * than at a thread exit OpenSSL's own cleanup may precede. */
  OPENSSL_thread_stop ();
  return NULL;
}

ThStorePool *
th_store_pool_new (Store *origin, guint workers, guint busy_timeout_ms)
{
  ThStorePool *pool = g_new0 (ThStorePool, 1);

  g_return_val_if_fail (origin != NULL, NULL);
  workers = CLAMP (workers, 1u, (guint) TH_STORE_POOL_MAX_WORKERS);
  pool->origin = origin;
  pool->busy_timeout_ms = busy_timeout_ms;
  pool->main_context = g_main_context_ref_thread_default ();
  pool->queue = g_async_queue_new ();
  pthread_mutex_init (&pool->lock, NULL);
  pool->serial = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_queue_free);
  pool->threads = g_ptr_array_new ();
  for (guint i = 0; i < workers; i++) {
    g_autofree char *name = g_strdup_printf ("th-store-%u", i);
    g_ptr_array_add (pool->threads, g_thread_new (name, worker, pool));
  }
  return pool;
}

guint
th_store_pool_workers (const ThStorePool *pool)
{
  return pool->threads->len;
}

void
th_store_pool_run (ThStorePool *pool, const char *serial, ThStoreJobRun run, ThStoreJobDone done,
                   gpointer data)
{
  Job *job = g_new0 (Job, 1);
  gboolean closing, queued = FALSE;

  job->pool = pool;
  job->run = run;
  job->done = done;
  job->data = data;
  job->serial = g_strdup (serial);
  g_atomic_int_inc (&pool->undelivered);
  hand_over (job);

  pthread_mutex_lock (&pool->lock);
  closing = pool->closing;
  if (!closing && serial) {
    GQueue *waiting = g_hash_table_lookup (pool->serial, serial);
    if (waiting) {
      /* One of this key's jobs runs: this one waits its turn. */
      g_queue_push_tail (waiting, job);
      queued = TRUE;
    } else {
      g_hash_table_insert (pool->serial, g_strdup (serial), g_queue_new ());
    }
  }
  pthread_mutex_unlock (&pool->lock);
  if (closing) {
    g_set_error (&job->error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the server is stopping");
    send_back (job);
    return;
  }
  g_atomic_int_inc (&pool->waiting);
  if (!queued)
    g_async_queue_push (pool->queue, job);
}

void
th_store_pool_set_queue_limit (ThStorePool *pool, guint limit)
{
  pool->queue_limit = limit;
}

guint
th_store_pool_waiting (ThStorePool *pool)
{
  return (guint) MAX (g_atomic_int_get (&pool->waiting), 0);
}

gboolean
th_store_pool_full (ThStorePool *pool)
{
  return pool->queue_limit && th_store_pool_waiting (pool) >= pool->queue_limit;
}

void
th_store_pool_free (ThStorePool *pool)
{
  if (!pool)
    return;
  pthread_mutex_lock (&pool->lock);
  pool->closing = TRUE;
  pthread_mutex_unlock (&pool->lock);
  /* Behind every job already queued: those run first. */
  for (guint i = 0; i < pool->threads->len; i++)
    g_async_queue_push (pool->queue, &stop);
  for (guint i = 0; i < pool->threads->len; i++)
    g_thread_join (g_ptr_array_index (pool->threads, i));
  /* Every result back where it is awaited before the pool goes. */
  while (g_atomic_int_get (&pool->undelivered) > 0)
    g_main_context_iteration (pool->main_context, TRUE);
  g_ptr_array_free (pool->threads, TRUE);
  g_async_queue_unref (pool->queue);
  g_hash_table_unref (pool->serial);
  pthread_mutex_destroy (&pool->lock);
  g_main_context_unref (pool->main_context);
  g_free (pool);
}
