/* storepool.h — the store off the main loop: a few worker threads, each
 * with its own connection to the database, run jobs that read and write
 * the store, and hand each job back to the main context when it is done.
 *
 * Why: every REST call, signaling hook and timer used the one connection on
 * the GLib main loop, so a database that takes its time (another process
 * holding sqlite's write lock, or a PostgreSQL server across a network,
 * issue 18) stalled signaling and media for everyone. Now the main loop
 * only queues the job and answers when the result comes back.
 *
 * The rules for a job's `run` (on a worker thread): use the Store it is
 * given and the data it was handed; touch no main-loop state (the hub,
 * lws, the live config, timers) — queue such calls to the main context
 * (g_main_context_invoke_full) instead. `done` runs on the context that
 * made the pool (the main loop), always exactly once per job.
 *
 * Jobs given the same `serial` key run one after another, in the order
 * they were queued, and their `done` calls come back in that order (a
 * visit's join before its leave, its chat messages in order); jobs with
 * different keys or none run in parallel. */
#pragma once

#include <glib.h>

#include "server/store/store.h"

G_BEGIN_DECLS

typedef struct _ThStorePool ThStorePool;

/* On a worker thread: the job's store work, with that thread's connection. */
typedef void (*ThStoreJobRun) (Store *store, gpointer data);
/* On the main context, once: `error` is NULL when `run` ran, and says why
 * when it did not (no connection could be opened, or the pool was closing);
 * either way `done` owns `data` again. */
typedef void (*ThStoreJobDone) (gpointer data, const GError *error);

#define TH_STORE_POOL_MAX_WORKERS 64

/* `workers` threads (1..TH_STORE_POOL_MAX_WORKERS), each opening its own
 * connection to `origin`'s database (store_open_again) at its first job,
 * with a busy timeout of `busy_timeout_ms`. `origin` must outlive the
 * pool. Results come back to the calling thread's default context. */
ThStorePool *th_store_pool_new (Store *origin, guint workers, guint busy_timeout_ms);
/* Runs every job already queued, waits for them (their `done` included,
 * dispatched from here), then closes the workers' connections. Called on
 * the pool's main context; jobs queued from a `done` meanwhile come back
 * with an error without running. */
void th_store_pool_free (ThStorePool *pool);

/* Queues a job (any thread). `serial` (may be NULL): jobs with the same
 * key run in order, one at a time. */
void th_store_pool_run (ThStorePool *pool, const char *serial, ThStoreJobRun run,
                        ThStoreJobDone done, gpointer data);

/* The bound on the queue (0: none, the default): jobs waiting for a
 * worker, not yet begun. th_store_pool_run never refuses a job (a visit's
 * records and the sweeps must run); a caller that can say "busy, try
 * again" instead (a REST call) asks th_store_pool_full first, so that
 * when the database is slow a request is answered at once rather than
 * queued behind minutes of others. Main context. */
void th_store_pool_set_queue_limit (ThStorePool *pool, guint limit);
/* TRUE when as many jobs wait as the limit allows. */
gboolean th_store_pool_full (ThStorePool *pool);
/* How many jobs wait for a worker now (any thread; a moment's figure). */
guint th_store_pool_waiting (ThStorePool *pool);

/* How many workers the pool has. */
guint th_store_pool_workers (const ThStorePool *pool);

G_END_DECLS
