/* diary_reminders.c — the diary's optional daily reminder: the hour the
 * patient chose (in their own time zone) and the channel, and the sweep
 * that queues each due reminder in the outbox (migration 20: a message
 * without a visit) at most once a day. The sender makes the message and a
 * fresh diary link when it goes, as it does for a visit's messages. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-private.h"

#include <string.h>

gboolean
store_diary_reminder_set (Store *store, const char *patient_id, gint hour, const char *channel,
                          gint64 now_ms, GError **error)
{
  g_autofree char *at = NULL;
  char hour_text[4];

  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    return FALSE;
  if (hour < 0)
    return store_run (store, "turn the diary reminder off",
                      "DELETE FROM diary_reminders WHERE patient_id = ?1", NULL, NULL, error, 1,
                      patient_id);
  if (hour > 23 || (g_strcmp0 (channel, "email") != 0 && g_strcmp0 (channel, "sms") != 0)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "A reminder needs an hour from 0 to 23 and email or text message.");
    return FALSE;
  }
  if (!(at = store_format_time (now_ms, error)))
    return FALSE;
  g_snprintf (hour_text, sizeof hour_text, "%d", hour);
  /* A new hour later today may still remind today: last_sent_day stays. */
  return store_run (store, "set the diary reminder",
                    "INSERT INTO diary_reminders (patient_id, hour, channel, updated_at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (patient_id) DO UPDATE SET"
                    " hour = excluded.hour, channel = excluded.channel,"
                    " updated_at = excluded.updated_at",
                    NULL, NULL, error, 4, patient_id, hour_text, channel, at);
}

gboolean
store_diary_reminder_get (Store *store, const char *patient_id, gint *hour, char **channel,
                          GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean found = FALSE, ok;

  *hour = -1;
  *channel = NULL;
  ok = store_select_optional_row (store,
                                  "SELECT hour, channel FROM diary_reminders WHERE patient_id = ?1",
                                  patient_id, "read the diary reminder", &stmt, &found, error);
  if (found) {
    *hour = store_col_int (stmt, 0);
    *channel = store_column_dup_text (stmt, 1);
  }
  store_stmt_free (stmt);
  return ok;
}

/* One patient's reminder as the sweep reads it. */
typedef struct {
  char *patient_id;
  gint hour;
  char *channel;
  char *last_sent_day;
  char *zone;
  char *email;
  char *phone;
} Due;

static void
due_free (gpointer p)
{
  Due *d = p;

  g_free (d->patient_id);
  g_free (d->channel);
  g_free (d->last_sent_day);
  g_free (d->zone);
  g_free (d->email);
  g_free (d->phone);
  g_free (d);
}

static gpointer
read_due (StoreStmt *stmt, GError **error)
{
  Due *d = g_new0 (Due, 1);

  (void) error;
  d->patient_id = store_column_dup_text (stmt, 0);
  d->hour = store_col_int (stmt, 1);
  d->channel = store_column_dup_text (stmt, 2);
  d->last_sent_day = store_column_dup_text (stmt, 3);
  d->zone = store_column_dup_text (stmt, 4);
  d->email = store_column_dup_text (stmt, 5);
  d->phone = store_column_dup_text (stmt, 6);
  return d;
}

/* The local date ("YYYY-MM-DD") and hour of `now_ms` in the patient's zone. */
static char *
local_day_hour (const Due *d, GTimeZone *clinic_zone, gint64 now_ms, gint *hour)
{
  g_autoptr (GTimeZone) own = d->zone ? g_time_zone_new_identifier (d->zone) : NULL;
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (now_ms / 1000);
  g_autoptr (GDateTime) local = NULL;

  if (!utc)
    return NULL;
  local = g_date_time_to_timezone (utc, own ? own : clinic_zone);
  if (!local)
    return NULL;
  *hour = g_date_time_get_hour (local);
  return g_date_time_format (local, "%Y-%m-%d");
}

static gboolean
queue_one (Store *store, const Due *d, const char *day, const char *recipient, const char *now,
           GError **error)
{
  g_autofree char *id = g_uuid_string_random ();

  return store_run (store, "queue a diary reminder",
                    "INSERT INTO outbox (id, visit_id, patient_id, channel, kind, recipient,"
                    " created_at, due_at, next_attempt_at)"
                    " VALUES (?1, NULL, ?2, ?3, 'diary-reminder', ?4, ?5, ?5, ?5)",
                    NULL, NULL, error, 5, id, d->patient_id, d->channel, recipient, now) &&
         store_run (store, "mark the diary reminder sent",
                    "UPDATE diary_reminders SET last_sent_day = ?2 WHERE patient_id = ?1", NULL,
                    NULL, error, 2, d->patient_id, day);
}

gboolean
store_diary_reminders_queue (Store *store, gint64 now_ms, GTimeZone *clinic_zone, gboolean email_on,
                             gboolean sms_on, guint *queued, GError **error)
{
  /* Only patients whose staff keep the diary on (a live link). */
  static const char sql[] =
    "SELECT r.patient_id, r.hour, r.channel, r.last_sent_day, p.time_zone, p.email, p.phone"
    " FROM diary_reminders r JOIN patients p ON p.id = r.patient_id"
    " WHERE EXISTS (SELECT 1 FROM diary_links l WHERE l.patient_id = r.patient_id"
    " AND l.revoked_at IS NULL) ORDER BY r.patient_id";
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *now = NULL;
  StoreStmt *stmt = NULL;
  gboolean ok;

  if (queued)
    *queued = 0;
  if ((!email_on && !sms_on) || !(now = store_format_time (now_ms, error)))
    return now != NULL || (!email_on && !sms_on);
  if (!store_begin (store, error))
    return FALSE;
  ok = store_prepare (store, sql, &stmt, error);
  if (ok) {
    rows = store_collect_rows (store, stmt, read_due, due_free, "read diary reminders", error);
    store_stmt_free (stmt);
    ok = rows != NULL;
  }
  for (guint i = 0; ok && i < rows->len; i++) {
    const Due *d = g_ptr_array_index (rows, i);
    gboolean sms = g_strcmp0 (d->channel, "sms") == 0;
    const char *to = sms ? d->phone : d->email;
    gint hour = -1;
    g_autofree char *day = local_day_hour (d, clinic_zone, now_ms, &hour);
    /* At the hour itself: a reminder missed while the server was down
     * is not worth sending hours late. */
    if (!day || hour != d->hour || g_strcmp0 (d->last_sent_day, day) == 0 || !to ||
        (sms ? !sms_on : !email_on))
      continue;
    ok = queue_one (store, d, day, to, now, error);
    if (ok && queued)
      (*queued)++;
  }
  return store_commit_or_rollback (store, ok, error);
}
