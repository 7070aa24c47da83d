/* sender.c — the outbox's sender on the GLib main loop (notify.h). A timer
 * wakes at the earliest due message (at least once a minute, so a test
 * clock or a clock step is noticed); each due message is checked against
 * the visit as it is now, claimed (committed), made (compose.c) and handed
 * to a worker thread for the network call. One message is in flight at a
 * time: a clinic sends a few hundred a day, and one at a time keeps the
 * order and the load plain.
 *
 * Why a worker thread (GTask) and not curl's multi interface on the loop:
 * the store is used from the main thread only, and the network call is the
 * one slow part; a thread runs libcurl's ordinary blocking transfer with
 * its timeouts, and its result comes back to the main loop as a GTask
 * callback, where the row is written. Nothing on the loop waits on a mail
 * server. */
#define G_LOG_DOMAIN "th-notify"

#include "server/notify/notify-private.h"
#include "server/clock/clock.h"
#include "server/metrics/metrics.h"

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
  if (n && n->started && !n->in_flight)
    arm (n, 1);
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

static void
job_done (GObject *source, GAsyncResult *res, gpointer data)
{
  InFlight *f = g_task_get_task_data (G_TASK (res));
  Notify *n = f->n;
  g_autofree char *problem = g_task_propagate_pointer (G_TASK (res), NULL);

  (void) source;
  (void) data;
  finish (n, f->message_id, f->attempts, problem);
  n->in_flight = FALSE;
  if (!n->stopping)
    arm (n, 1);
}

/* Claims, makes and hands over one due message; FALSE when it did not
 * start a send (withdrawn, or failed before the network call). */
static gboolean
send_one (Notify *n, const StoreOutboxMessage *m, gint64 now)
{
  g_autoptr (GError) error = NULL;
  NotifyMessage msg = { 0 };
  const char *why;
  gboolean claimed = FALSE;
  InFlight *f;
  GTask *task;

  why = withdraw_reason (n, m, now, &error);
  if (error) {
    g_warning ("outbox message %s: its visit could not be read: %s", m->id, error->message);
    return FALSE;
  }
  if (why) {
    if (!store_outbox_withdraw (n->store, m->id, why, &error))
      g_warning ("outbox message %s: could not be withdrawn: %s", m->id, error->message);
    return FALSE;
  }
  if (!store_outbox_claim (n->store, m->id, now, &claimed, &error) || !claimed) {
    if (error)
      g_warning ("outbox message %s: could not be claimed: %s", m->id, error->message);
    return FALSE;
  }
  if (strcmp (m->channel, "sms") == 0 ? !n->config->notify.sms_url : !n->config->notify.mail_host) {
    finish (n, m->id, m->attempts + 1,
            strcmp (m->channel, "sms") == 0
              ? "Text messages are no longer set up on this server ([sms] url)."
              : "Email is no longer set up on this server ([mail] host).");
    return FALSE;
  }
  if (!notify_compose (n, m, &msg, &error)) {
    g_autofree char *words = g_strdup_printf ("The message could not be put together (%s).",
                                              error->message);
    finish (n, m->id, m->attempts + 1, words);
    return FALSE;
  }
  f = g_new0 (InFlight, 1);
  f->n = n;
  f->message_id = g_strdup (m->id);
  f->attempts = m->attempts + 1;
  f->job = job_for (n, &msg);
  notify_message_clear (&msg);
  n->in_flight = TRUE;
  task = g_task_new (NULL, NULL, job_done, NULL);
  g_task_set_task_data (task, f, in_flight_free);
  g_task_run_in_thread (task, run_job);
  g_object_unref (task);
  return TRUE;
}

static void
pump (Notify *n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) due = NULL;
  gint64 now = th_clock_now_ms (), next = 0;

  if (n->in_flight || n->stopping)
    return;
  /* The diary's daily reminders whose hour has come join the outbox. */
  if (!store_diary_reminders_queue (n->store, now, n->config->time_zone,
                                    n->config->notify.mail_host != NULL,
                                    n->config->notify.sms_url != NULL, NULL, &error)) {
    g_warning ("outbox: diary reminders could not be queued: %s", error->message);
    g_clear_error (&error);
  }
  /* A few at a time: the withdrawn ones take no network call. */
  due = store_outbox_due (n->store, now, 8, &error);
  for (guint i = 0; due && i < due->len; i++)
    if (send_one (n, g_ptr_array_index (due, i), now))
      return; /* job_done arms the timer again */
  if (!due || !store_outbox_next_due (n->store, &next, &error)) {
    g_warning ("outbox: due messages could not be read: %s; trying again in a minute",
               error ? error->message : "unknown");
    arm (n, MAX_SLEEP_MS);
    return;
  }
  if (due->len == 8)
    arm (n, 1); /* all withdrawn: look at the next ones */
  else
    arm (n, MIN (next ? next - th_clock_now_ms () : MAX_SLEEP_MS, to_quarter_hour ()));
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
