/* notify.c — what a change of a visit queues (notify.h): the rows of the
 * outbox for each channel the clinic has set up and the patient can be
 * reached on, and the reminders at their offsets before the start. */
#define G_LOG_DOMAIN "th-notify"

#include "server/notify/notify-private.h"
#include "server/clock/clock.h"

#include <string.h>
#include <curl/curl.h>
#include <libical/ical.h>

/* What the rows of a withdrawn message say (staff read it). */
#define WITHDRAWN_MOVED "Not sent: the visit moved, and a newer message replaces it."
#define WITHDRAWN_CANCELLED "Not sent: the visit was cancelled."

Notify *
notify_new (Store *store, const ThConfig *config, const char *base_url)
{
  Notify *n = g_new0 (Notify, 1);
  g_autoptr (GUri) uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);

  /* Once, on the main thread, before any worker uses libcurl. */
  curl_global_init (CURL_GLOBAL_DEFAULT);
  n->store = store;
  n->config = config;
  n->base_url = g_strdup (base_url);
  n->host = g_strdup (uri && g_uri_get_host (uri) ? g_uri_get_host (uri) : "localhost");
  return n;
}

void
notify_free (Notify *n)
{
  if (!n)
    return;
  notify_stop (n);
  g_free (n->base_url);
  g_free (n->host);
  g_free (n);
  curl_global_cleanup ();
  /* libical keeps the zones it loaded for the process; give them back. */
  icaltimezone_free_builtin_timezones ();
}

gboolean
notify_configured (const Notify *n)
{
  return n && notify_config_configured (n->config);
}

gboolean
notify_config_configured (const ThConfig *config)
{
  return config->notify.mail_host || config->notify.sms_url;
}

/* The rows for one kind of message: one per channel the patient can be
 * reached on. */
static void
add_rows (const ThConfig *config, GArray *rows, const StorePatient *p, const char *kind,
          guint reminder_min, gint64 due_ms)
{
  const ThNotifyConfig *c = &config->notify;
  StoreOutboxNew row = { .kind = kind, .reminder_minutes = reminder_min, .due_at_ms = due_ms };

  if (c->mail_host && p->email) {
    row.channel = "email";
    row.recipient = p->email;
    g_array_append_val (rows, row);
  }
  if (c->sms_url && p->phone) {
    row.channel = "sms";
    row.recipient = p->phone;
    g_array_append_val (rows, row);
  }
}

gboolean
notify_visit_changed (Notify *n, const char *visit_id, NotifyChange change, guint *queued,
                      GError **error)
{
  if (!notify_queue_visit_changed (n->store, n->config, visit_id, change, queued, error))
    return FALSE;
  notify_kick (n);
  return TRUE;
}

gboolean
notify_queue_visit_changed (Store *store, const ThConfig *config, const char *visit_id,
                            NotifyChange change, guint *queued, GError **error)
{
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (StoreOutboxNew));
  StoreVisit v = { 0 };
  StorePatient p = { 0 };
  gint64 now = th_clock_now_ms ();
  const char *kind = change == NOTIFY_BOOKED  ? "invitation"
                     : change == NOTIFY_MOVED ? "update"
                                              : "cancellation";
  gboolean ok = FALSE;

  if (queued)
    *queued = 0;
  if (!store_get_visit (store, visit_id, &v, error) ||
      !store_patient_get (store, v.patient_id, &p, error))
    goto out;
  add_rows (config, rows, &p, kind, 0, now);
  /* Reminders for the visit's time as it is now; one whose time has
   * passed already is not queued (the invitation just said it all). */
  for (guint i = 0; change != NOTIFY_CANCELLED && i < config->notify.n_reminders; i++) {
    guint min = config->notify.reminder_minutes[i];
    gint64 due = v.scheduled_at_ms - (gint64) min * 60000;
    if (due > now)
      add_rows (config, rows, &p, "reminder", min, due);
  }
  if (!store_outbox_visit_changed (store, visit_id, change != NOTIFY_BOOKED,
                                   change == NOTIFY_CANCELLED,
                                   change == NOTIFY_BOOKED  ? NULL
                                   : change == NOTIFY_MOVED ? WITHDRAWN_MOVED
                                                            : WITHDRAWN_CANCELLED,
                                   (const StoreOutboxNew *) (void *) rows->data, rows->len, NULL,
                                   error))
    goto out;
  if (queued)
    *queued = rows->len;
  ok = TRUE;
out:
  store_visit_clear (&v);
  store_patient_clear (&p);
  return ok;
}

gboolean
notify_retry (Notify *n, const char *message_id, GError **error)
{
  if (!store_outbox_retry (n->store, message_id, th_clock_now_ms (), error))
    return FALSE;
  notify_kick (n);
  return TRUE;
}
