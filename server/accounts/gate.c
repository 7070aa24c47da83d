/* gate.c — sign-in passwords checked off the main loop.
 *
 * scrypt costs ~0.1 s of a core by design; on the main loop that is 0.1 s
 * in which no visit's signaling moves. Here it runs on GTask's worker
 * threads, at most `workers` at once, with at most `queue_max` attempts
 * waiting on the main thread: past that the caller answers 429 at once
 * rather than let a flood grow a queue of minutes. The result comes back
 * to the main context (GTask returns there), so callers keep one thread
 * for all their state.
 *
 * Nothing here logs a password or a username. */
#include "server/accounts/accounts.h"

#include <string.h>
#include <gio/gio.h>
#include <openssl/crypto.h>

struct _ThSignInGate {
  gint refs; /* the owner's, and one per running job */
  gboolean closed;
  guint workers;
  guint queue_max;
  guint running;
  GQueue waiting;        /* Job*, oldest first */
  GHashTable *in_flight; /* network → count of queued + running jobs */
  ThBudget budget;
};

typedef struct {
  ThSignInGate *gate;
  char *network;
  char *password;
  char *stored; /* NULL: the dummy check */
  ThSignInChecked checked;
  ThSignInWanted wanted;
  gpointer user_data;
  GDestroyNotify destroy;
} Job;

static void
gate_unref (ThSignInGate *gate)
{
  if (--gate->refs > 0)
    return;
  g_hash_table_unref (gate->in_flight);
  g_free (gate);
}

static void
job_free (Job *job)
{
  if (job->password)
    OPENSSL_cleanse (job->password, strlen (job->password));
  g_free (job->password);
  g_free (job->stored);
  g_free (job->network);
  if (job->destroy)
    job->destroy (job->user_data);
  g_free (job);
}

static void
in_flight_add (ThSignInGate *gate, const char *network, int delta)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (gate->in_flight, network));

  n = (guint) ((int) n + delta);
  if (n == 0)
    g_hash_table_remove (gate->in_flight, network);
  else
    g_hash_table_insert (gate->in_flight, g_strdup (network), GUINT_TO_POINTER (n));
}

/* On a worker thread: touches only the job's own copies. */
static void
derive (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  gboolean match = FALSE;

  (void) source;
  (void) cancellable;
  if (job->stored)
    match = th_password_verify (job->password, job->stored, NULL);
  else
    th_password_verify_dummy (job->password);
  /* GLib's pool threads outlive the task, often the process's OpenSSL
   * too: let go of this thread's OpenSSL state (its error stack, its
   * random generator) now rather than leave it to a thread exit that may
   * come after OpenSSL's own cleanup. The next use makes it again. */
  OPENSSL_thread_stop ();
  g_task_return_boolean (task, match);
}

static void start_next (ThSignInGate *gate);

/* On the main context. */
static void
derived (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Job *job = user_data;
  ThSignInGate *gate = job->gate;
  gboolean match = g_task_propagate_boolean (G_TASK (result), NULL);

  (void) source;
  gate->running--;
  if (!gate->closed) {
    in_flight_add (gate, job->network, -1);
    job->checked (match, job->user_data);
    start_next (gate);
  }
  job_free (job);
  gate_unref (gate);
}

static void
start_next (ThSignInGate *gate)
{
  while (gate->running < gate->workers && !g_queue_is_empty (&gate->waiting)) {
    Job *job = g_queue_pop_head (&gate->waiting);
    GTask *task;

    /* Nobody waits for this answer any more: no scrypt for it. */
    if (job->wanted && !job->wanted (job->user_data)) {
      in_flight_add (gate, job->network, -1);
      job_free (job);
      continue;
    }
    /* The task does not own the job: `derived` frees it, after the worker
     * is done with it. */
    task = g_task_new (NULL, NULL, derived, job);

    g_task_set_task_data (task, job, NULL);
    gate->running++;
    gate->refs++;
    g_task_run_in_thread (task, derive);
    g_object_unref (task);
  }
}

ThSignInGate *
th_signin_gate_new (guint workers, guint queue_max, guint per_second, guint burst)
{
  ThSignInGate *gate = g_new0 (ThSignInGate, 1);

  gate->refs = 1;
  gate->workers = MAX (workers, 1u);
  gate->queue_max = queue_max;
  g_queue_init (&gate->waiting);
  gate->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  th_budget_init (&gate->budget, per_second, burst, g_get_monotonic_time ());
  return gate;
}

void
th_signin_gate_free (ThSignInGate *gate)
{
  Job *job;

  if (!gate)
    return;
  gate->closed = TRUE;
  while ((job = g_queue_pop_head (&gate->waiting)))
    job_free (job);
  gate_unref (gate);
}

gboolean
th_signin_gate_admit (ThSignInGate *gate)
{
  return th_budget_take (&gate->budget, g_get_monotonic_time ());
}

guint
th_signin_gate_in_flight (ThSignInGate *gate, const char *network)
{
  return network ? GPOINTER_TO_UINT (g_hash_table_lookup (gate->in_flight, network)) : 0;
}

gboolean
th_signin_gate_check (ThSignInGate *gate, const char *network, const char *password,
                      const char *stored, ThSignInChecked checked, ThSignInWanted wanted,
                      gpointer user_data, GDestroyNotify destroy)
{
  Job *job;

  g_return_val_if_fail (gate != NULL && checked != NULL && !gate->closed, FALSE);
  /* Full when every worker is busy and the waiting line is at its bound. */
  if (gate->running >= gate->workers && g_queue_get_length (&gate->waiting) >= gate->queue_max)
    return FALSE;
  job = g_new0 (Job, 1);
  job->gate = gate;
  job->network = g_strdup (network ? network : "");
  job->password = g_strdup (password ? password : "");
  job->stored = g_strdup (stored);
  job->checked = checked;
  job->wanted = wanted;
  job->user_data = user_data;
  job->destroy = destroy;
  in_flight_add (gate, job->network, +1);
  g_queue_push_tail (&gate->waiting, job);
  start_next (gate);
  return TRUE;
}
