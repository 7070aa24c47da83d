/* lean_worker.c — the lean engine's threads: one GMainContext and one
 * thread per core, each serving the NiceAgents (sockets), DTLS and RTCP
 * timers of many visits.
 *
 * Why a fixed pool rather than a thread per leg: a leg's work is a few
 * hundred packets a second of a few microseconds each, so a thread per leg
 * (webrtcbin has about eight) mostly costs memory and a hand-off per packet.
 * A visit is pinned to one worker so that a packet from one participant is
 * forwarded to the others in the thread that received it, with no lock; the
 * visits are spread round-robin over the workers.
 */
#include "media/lean-private.h"

#define LEAN_MAX_WORKERS 8

typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
} LeanWorker;

static LeanWorker workers[LEAN_MAX_WORKERS];
static guint n_workers;
static gint next_worker;

static gpointer
worker_main (gpointer data)
{
  LeanWorker *w = data;
  g_main_context_push_thread_default (w->context);
  g_main_loop_run (w->loop);
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

static gpointer
start_workers (gpointer data)
{
  (void) data;
  n_workers = CLAMP (g_get_num_processors (), 1, LEAN_MAX_WORKERS);
  for (guint i = 0; i < n_workers; i++) {
    LeanWorker *w = &workers[i];
    w->context = g_main_context_new ();
    w->loop = g_main_loop_new (w->context, FALSE);
    gchar *name = g_strdup_printf ("media-%u", i);
    /* They run for the life of the process: visits come and go. */
    w->thread = g_thread_new (name, worker_main, w);
    g_free (name);
  }
  return NULL;
}

GMainContext *
lean_worker_pick (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, start_workers, NULL);
  guint i = (guint) g_atomic_int_add (&next_worker, 1) % n_workers;
  return g_main_context_ref (workers[i].context);
}

typedef struct {
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_dispatch (gpointer user_data)
{
  SyncCall *call = user_data;
  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

/* The worker never waits for the main context, so waiting here cannot
 * deadlock; it lasts as long as the worker takes to finish the packet in
 * hand, microseconds. Used where a synchronous end makes lifetimes simple:
 * "no callback for this leg after remove returns". */
void
lean_worker_run_sync (GMainContext *worker, GSourceFunc func, gpointer data)
{
  SyncCall call = { .func = func, .data = data };
  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, sync_dispatch, &call, NULL);
  g_source_set_static_name (source, "lean-sync");
  g_source_attach (source, worker);
  g_source_unref (source);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}
