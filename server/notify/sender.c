/* sender.c — the outbox's sender (notify.h). A timer on the GLib main loop
 * wakes at the earliest due message (at least once a minute, so a test
 * clock or a clock step is noticed); each due message is checked against
 * the visit as it is now, claimed (committed), made (compose.c) and handed
 * to a worker thread for the network call. One message is in flight at a
 * time: a clinic sends a few hundred a day, and one at a time keeps the
 * order and the load plain.
 *
 * The store's part (the look at what is due, the claim, the message's
 * words and its join link; then the result) runs on a store worker
 * (storepool.h, key "outbox": one after another) when the server has them,
 * so a slow database never holds up the loop that carries the visits; it
 * reads a snapshot of the config, as a reload may change [mail] and [sms]
 * on the loop meanwhile. Without workers (tests) it runs here.
 *
 * Why a worker thread (GTask) for the network call and not curl's multi
 * interface on the loop: a thread runs libcurl's ordinary blocking
 * transfer with its timeouts, and its result comes back to the main loop as
 * a GTask callback, which hands the row's update to the store. Nothing on
 * the loop waits on a mail server or on the database. */
#define G_LOG_DOMAIN "th-notify"

#include "server/notify/notify-private.h"
#include "server/clock/clock.h"
#include "server/metrics/metrics.h"
#include "server/storepool/storepool.h"

#include <string.h>
#include <gio/gio.h>
#include <jansson.h>
#include <openssl/crypto.h>

/* Between attempts: 1, 5, 15, 60 minutes, then every 4 hours. */
static const guint kBackoffMin[] = { 1, 5, 15, 60, 240 };
/* Never sleep longer than this: the clock is read again on waking. */
#define MAX_SLEEP_MS 60000

static void pump (Notify *n);

/* Until the next quarter hour (and a little): a diary reminder's hour
 * begins on one in every time zone (offsets are whole quarter hours). */
static gint64
to_quarter_hour (void)
{
  const gint64 q = 15 * 60000;

  return q - th_clock_now_ms () % q + 50;
}

static gboolean
on_timer (gpointer data)
{
  Notify *n = data;

  n->timer = 0;
  pump (n);
  return G_SOURCE_REMOVE;
}

static void
arm (Notify *n, gint64 in_ms)
{
  g_clear_handle_id (&n->timer, g_source_remove);
  if (n->stopping || !n->started)
    return;
  n->timer = g_timeout_add ((guint) CLAMP (in_ms, 1, MAX_SLEEP_MS), on_timer, n);
}

void
notify_kick (Notify *n)
{
  if (!n || !n->started)
    return;
  if (n->in_flight)
    n->kicked = TRUE; /* looked at again once the one in flight is done */
  else
    arm (n, 1);
}

void
notify_set_pool (Notify *n, ThStorePool *pool)
{
  n->pool = pool;
}

/* Why a due message must not go any more, or NULL. */
static const char *
withdraw_reason (Notify *n, const StoreOutboxMessage *m, gint64 now, GError **error)
{
  StoreVisit v = { 0 };
  guint seq;
  gboolean cancelled;
  const char *why = NULL;

  if (strcmp (m->kind, "diary-reminder") == 0) {
    gboolean live = FALSE;
    if (notify_diary_live (n, m->patient_id, &live, error) && !live)
      why = "Not sent: the patient's diary link was turned off.";
    return why;
  }
  if (!store_get_visit (n->store, m->visit_id, &v, error) ||
      !store_visit_notify_get (n->store, m->visit_id, &seq, &cancelled, error))
    goto out;
  if (strcmp (m->kind, "cancellation") == 0)
    goto out;
  if (cancelled)
    why = "Not sent: the visit was cancelled.";
  else if (strcmp (m->kind, "reminder") == 0 &&
           (v.state != VISIT_SCHEDULED || now >= v.scheduled_at_ms))
    why = "Not sent: the visit had begun before the reminder was due to go.";
  /* A visit moved without notify_visit_changed (MOVED): its old reminders
   * must not go at the old offsets. */
  else if (strcmp (m->kind, "reminder") == 0 &&
           m->due_at_ms != v.scheduled_at_ms - (gint64) m->reminder_minutes * 60000)
    why = "Not sent: the visit moved after this reminder was written.";
  else if (v.state == VISIT_ENDED ||
           now > v.scheduled_at_ms + (gint64) n->config->join_window_after_min * 60000)
    why = "Not sent: the visit was over.";
out:
  store_visit_clear (&v);
  return why;
}

static NotifyJob *
job_for (Notify *n, const NotifyMessage *msg)
{
  const ThNotifyConfig *c = &n->config->notify;
  NotifyJob *job = g_new0 (NotifyJob, 1);

  if (strcmp (msg->channel, "sms") == 0) {
    /* The id lets the gateway drop a repeat after a crash (notify.h). */
    json_t *o = json_pack ("{s:s, s:s, s:s}", "id", msg->message_id, "to", msg->to, "text",
                           msg->text);
    char *body = o ? json_dumps (o, JSON_COMPACT) : NULL;
    job->sms = TRUE;
    job->sms_url = g_strdup (c->sms_url);
    job->body = g_strdup (body ? body : "{}");
    job->signature = notify_hmac_hex (c->sms_secret, job->body);
    free (body);
    json_decref (o);
    return job;
  }
  {
    g_autoptr (GDateTime) now = g_date_time_new_from_unix_utc (th_clock_now_ms () / 1000);
    gboolean v6 = strchr (c->mail_host, ':') != NULL;
    job->url = g_strdup_printf ("%s://%s%s%s:%u",
                                c->mail_security == TH_MAIL_TLS ? "smtps" : "smtp", v6 ? "[" : "",
                                c->mail_host, v6 ? "]" : "", c->mail_port);
    job->security = c->mail_security;
    job->user = g_strdup (c->mail_user);
    job->password = g_strdup (c->mail_password);
    job->envelope_from = notify_address_of (c->mail_from);
    job->header_from = g_strdup (c->mail_from);
    job->to = g_strdup (msg->to);
    job->subject = g_strdup (msg->subject);
    job->message_id = g_strdup (msg->message_id);
    job->date = now ? g_date_time_format (now, "%a, %d %b %Y %H:%M:%S +0000") : g_strdup ("");
    job->text = g_strdup (msg->text);
    job->ics = g_strdup (msg->ics);
    job->method = g_strdup (msg->method);
  }
  return job;
}

typedef struct {
  Notify *n;
  char *message_id;
  guint attempts;
  NotifyJob *job;
} InFlight;

static void
in_flight_free (gpointer data)
{
  InFlight *f = data;

  g_free (f->message_id);
  notify_job_free (f->job);
  g_free (f);
}

static void
run_job (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  InFlight *f = data;

  (void) source;
  (void) cancellable;
  char *problem = notify_transport_run (f->job);

  /* libcurl's TLS leaves OpenSSL state on this pool thread: release it
   * now (as the sign-in gate does, server/accounts/gate.c). */
  OPENSSL_thread_stop ();
  g_task_return_pointer (task, problem, g_free);
}

/* Writes what the network call came to; a store failure here leaves the
 * row "sending", which the next start sends again (at least once). */
static void
finish (Notify *n, const char *message_id, guint attempts, const char *problem)
{
  g_autoptr (GError) error = NULL;
  gint64 now = th_clock_now_ms ();
  guint step = MIN (attempts ? attempts - 1 : 0, G_N_ELEMENTS (kBackoffMin) - 1);
  gboolean give_up = problem && attempts >= n->config->notify.max_attempts;

  if (problem)
    th_metrics_inc (TH_M_OUTBOX_FAILURES);
  if (!store_outbox_finish (n->store, message_id, now, problem,
                            now + (gint64) kBackoffMin[step] * 60000, give_up, &error))
    g_warning ("outbox message %s: its result could not be written: %s", message_id,
               error->message);
  else if (problem)
    g_message ("outbox message %s: attempt %u failed%s", message_id, attempts,
               give_up ? "; gave up (staff may retry)" : "");
  else
    g_message ("outbox message %s: sent", message_id);
}

/* One send's or one look's turn is over: the next look. */
static void
turn_over (Notify *n, gint64 again_in_ms)
{
  n->in_flight = FALSE;
  if (n->kicked)
    again_in_ms = 1;
  n->kicked = FALSE;
  if (!n->stopping)
    arm (n, again_in_ms);
}

/* The store's work of the sender, on a store worker with that worker's
 * connection and a snapshot of the config (a `view` of the Notify), or on
 * this thread with the Notify itself when there are no workers. */
typedef struct {
  Notify *n;      /* the main thread's */
  Notify view;    /* what the work uses */
  ThConfig *snap; /* the view's config (NULL: the live one) */
  /* a result to write (after the network call) */
  char *message_id;
  guint attempts;
  char *problem;
  /* a look at what is due: a send to start, or when to look again */
  InFlight *send;
  gint64 again_in_ms;
} StoreTurn;

static StoreTurn *
store_turn_new (Notify *n)
{
  StoreTurn *t = g_new0 (StoreTurn, 1);

  t->n = n;
  t->view = *n;
  if (n->pool) {
    t->snap = th_config_snapshot (n->config);
    t->view.config = t->snap;
    t->view.store = NULL; /* the worker's, in run */
  }
  return t;
}

static void
store_turn_free (StoreTurn *t)
{
  g_clear_pointer (&t->snap, th_config_snapshot_free);
  g_free (t->message_id);
  g_free (t->problem);
  g_clear_pointer (&t->send, in_flight_free);
  g_free (t);
}

static void
store_turn_queue (StoreTurn *t, ThStoreJobRun run, ThStoreJobDone done)
{
  if (!t->n->pool) {
    run (t->n->store, t);
    done (t, NULL);
    return;
  }
  th_store_pool_run (t->n->pool, "outbox", run, done, t);
}

static void
finish_run (Store *store, gpointer data)
{
  StoreTurn *t = data;

  t->view.store = store;
  finish (&t->view, t->message_id, t->attempts, t->problem);
}

static void
finish_done (gpointer data, const GError *error)
{
  StoreTurn *t = data;

  /* Not written (the pool closing): the row stays "sending", and the next
   * start sends it again (at least once). */
  if (error)
    g_warning ("outbox message %s: its result could not be written: %s", t->message_id,
               error->message);
  turn_over (t->n, 1);
  store_turn_free (t);
}

static void
job_done (GObject *source, GAsyncResult *res, gpointer data)
{
  InFlight *f = g_task_get_task_data (G_TASK (res));
  StoreTurn *t = store_turn_new (f->n);

  (void) source;
  (void) data;
  t->problem = g_task_propagate_pointer (G_TASK (res), NULL);
  t->message_id = g_strdup (f->message_id);
  t->attempts = f->attempts;
  store_turn_queue (t, finish_run, finish_done);
}

/* Claims and makes one due message (with `n`'s store: a worker's view);
 * NULL when there is nothing to send (withdrawn, or failed before the
 * network call). */
static InFlight *
send_one (Notify *n, const StoreOutboxMessage *m, gint64 now)
{
  g_autoptr (GError) error = NULL;
  NotifyMessage msg = { 0 };
  const char *why;
  gboolean claimed = FALSE;
  InFlight *f;

  why = withdraw_reason (n, m, now, &error);
  if (error) {
    g_warning ("outbox message %s: its visit could not be read: %s", m->id, error->message);
    return NULL;
  }
  if (why) {
    if (!store_outbox_withdraw (n->store, m->id, why, &error))
      g_warning ("outbox message %s: could not be withdrawn: %s", m->id, error->message);
    return NULL;
  }
  if (!store_outbox_claim (n->store, m->id, now, &claimed, &error) || !claimed) {
    if (error)
      g_warning ("outbox message %s: could not be claimed: %s", m->id, error->message);
    return NULL;
  }
  if (strcmp (m->channel, "sms") == 0 ? !n->config->notify.sms_url : !n->config->notify.mail_host) {
    finish (n, m->id, m->attempts + 1,
            strcmp (m->channel, "sms") == 0
              ? "Text messages are no longer set up on this server ([sms] url)."
              : "Email is no longer set up on this server ([mail] host).");
    return NULL;
  }
  if (!notify_compose (n, m, &msg, &error)) {
    g_autofree char *words = g_strdup_printf ("The message could not be put together (%s).",
                                              error->message);
    finish (n, m->id, m->attempts + 1, words);
    return NULL;
  }
  f = g_new0 (InFlight, 1);
  f->message_id = g_strdup (m->id);
  f->attempts = m->attempts + 1;
  f->job = job_for (n, &msg);
  notify_message_clear (&msg);
  return f;
}

/* A look at the outbox (with `n`'s store: a worker's view): queues the
 * diary's reminders whose hour has come, then claims and makes the first
 * due message that is still to go (t->send), or says when to look again. */
static void
look_run (Store *store, gpointer data)
{
  StoreTurn *t = data;
  Notify *n = &t->view;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) due = NULL;
  gint64 now = th_clock_now_ms (), next = 0;

  if (store)
    n->store = store;
  if (!store_diary_reminders_queue (n->store, now, n->config->time_zone,
                                    n->config->notify.mail_host != NULL,
                                    n->config->notify.sms_url != NULL, NULL, &error)) {
    g_warning ("outbox: diary reminders could not be queued: %s", error->message);
    g_clear_error (&error);
  }
  /* A few at a time: the withdrawn ones take no network call. */
  due = store_outbox_due (n->store, now, 8, &error);
  for (guint i = 0; due && i < due->len; i++)
    if ((t->send = send_one (n, g_ptr_array_index (due, i), now)))
      return;
  if (!due || !store_outbox_next_due (n->store, &next, &error)) {
    g_warning ("outbox: due messages could not be read: %s; trying again in a minute",
               error ? error->message : "unknown");
    t->again_in_ms = MAX_SLEEP_MS;
  } else if (due->len == 8) {
    t->again_in_ms = 1; /* all withdrawn: look at the next ones */
  } else {
    t->again_in_ms = MIN (next ? next - th_clock_now_ms () : MAX_SLEEP_MS, to_quarter_hour ());
  }
}

/* On the loop: the network call starts, or the timer is armed again. */
static void
look_done (gpointer data, const GError *error)
{
  StoreTurn *t = data;
  Notify *n = t->n;
  InFlight *f = g_steal_pointer (&t->send);
  GTask *task;

  if (error) {
    g_warning ("outbox: not looked at: %s; trying again in a minute", error->message);
    t->again_in_ms = MAX_SLEEP_MS;
  }
  if (!f || n->stopping) {
    /* A message claimed as the server stops stays "sending": the next
     * start sends it (notify_start). */
    g_clear_pointer (&f, in_flight_free);
    turn_over (n, t->again_in_ms);
    store_turn_free (t);
    return;
  }
  store_turn_free (t);
  f->n = n;
  task = g_task_new (NULL, NULL, job_done, NULL);
  g_task_set_task_data (task, f, in_flight_free);
  g_task_run_in_thread (task, run_job); /* job_done writes the result */
  g_object_unref (task);
}

static void
pump (Notify *n)
{
  if (n->in_flight || n->stopping)
    return;
  /* Busy from the look until the result of its send is written. */
  n->in_flight = TRUE;
  store_turn_queue (store_turn_new (n), look_run, look_done);
}

gboolean
notify_start (Notify *n, GError **error)
{
  guint recovered = 0;

  if (!store_outbox_recover (n->store, th_clock_now_ms (), &recovered, error))
    return FALSE;
  if (recovered)
    g_message ("outbox: %u message(s) were being sent when the server stopped; sending again",
               recovered);
  n->started = TRUE;
  arm (n, 1);
  return TRUE;
}

void
notify_stop (Notify *n)
{
  gint64 deadline = g_get_monotonic_time () + 25 * G_USEC_PER_SEC;

  if (!n || n->stopping)
    return;
  n->stopping = TRUE;
  g_clear_handle_id (&n->timer, g_source_remove);
  /* The send in flight finishes (its transfer has a timeout) and its
   * result is written, so a clean stop never sends a message twice. */
  while (n->in_flight && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}
