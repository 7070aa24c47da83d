/* compose.c — the words of each message, made when it is sent: the visit
 * as it is now (a moved visit's reminder says the new time), in the
 * patient's time zone, with a join link minted for this message (the
 * store keeps only a token's hash, so no link waits in the outbox).
 *
 * Nothing clinical: the clinic's name, the provider's name, the time, the
 * link and the clinic's phone. No diagnosis, medication or score, and not
 * even the kind of visit, since a text message may be read by anyone near
 * the phone. English words with fixed day and month names, whatever the
 * server's locale. */
#define G_LOG_DOMAIN "th-notify"

#include "server/notify/notify-private.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

static const char *const kDays[] = { "",         "Monday", "Tuesday",  "Wednesday",
                                     "Thursday", "Friday", "Saturday", "Sunday" };
static const char *const kMonths[] = { "",        "January",  "February", "March",  "April",
                                       "May",     "June",     "July",     "August", "September",
                                       "October", "November", "December" };

void
notify_message_clear (NotifyMessage *m)
{
  g_free (m->channel);
  g_free (m->to);
  g_free (m->subject);
  g_free (m->text);
  g_free (m->ics);
  g_free (m->method);
  g_free (m->message_id);
  memset (m, 0, sizeof *m);
}

guint
notify_visit_length_minutes (const StoreVisit *visit)
{
  /* A row from before the visits had a length reads as 30 (the
   * migration's default); 0 never reaches a calendar. */
  return visit->length_minutes > 0 ? visit->length_minutes : 30;
}

/* What the message needs of the visit, read once. */
typedef struct {
  StoreVisit visit;
  StorePatient patient;
  guint sequence;
  gboolean cancelled;
  char *zone;       /* the patient's IANA zone, else the clinic's */
  char *when;       /* "Tuesday 12 January 2027 at 10:00 (EST)" */
  char *when_short; /* "Tue 12 Jan 10:00 EST" */
  char *link;       /* NULL for a cancellation */
  char *diary_link; /* an invitation's, while the patient's diary is on; else NULL */
} Facts;

static void
facts_clear (Facts *f)
{
  store_visit_clear (&f->visit);
  store_patient_clear (&f->patient);
  g_free (f->zone);
  g_free (f->when);
  g_free (f->when_short);
  g_free (f->link);
  g_free (f->diary_link);
}

static void
format_when (Facts *f, const char *clinic_zone)
{
  g_autoptr (GTimeZone) tz = NULL;
  g_autoptr (GDateTime) at = NULL;
  g_autofree char *abbrev = NULL;

  f->zone = g_strdup (f->patient.time_zone ? f->patient.time_zone : clinic_zone);
  tz = g_time_zone_new_identifier (f->zone);
  if (!tz) {
    g_free (f->zone);
    f->zone = g_strdup ("UTC");
    tz = g_time_zone_new_utc ();
  }
  at = g_date_time_new_from_unix_utc (f->visit.scheduled_at_ms / 1000);
  if (at) {
    GDateTime *local = g_date_time_to_timezone (at, tz);
    g_date_time_unref (at);
    at = local;
  }
  if (!at) {
    f->when = g_strdup ("the time on record");
    f->when_short = g_strdup (f->when);
    return;
  }
  abbrev = g_date_time_format (at, "%Z");
  f->when = g_strdup_printf ("%s %d %s %d at %02d:%02d (%s)",
                             kDays[g_date_time_get_day_of_week (at)],
                             g_date_time_get_day_of_month (at), kMonths[g_date_time_get_month (at)],
                             g_date_time_get_year (at), g_date_time_get_hour (at),
                             g_date_time_get_minute (at), abbrev ? abbrev : f->zone);
  f->when_short = g_strdup_printf ("%.3s %d %.3s %02d:%02d %s",
                                   kDays[g_date_time_get_day_of_week (at)],
                                   g_date_time_get_day_of_month (at),
                                   kMonths[g_date_time_get_month (at)], g_date_time_get_hour (at),
                                   g_date_time_get_minute (at), abbrev ? abbrev : f->zone);
}

/* A join link for the patient, valid in the visit's window as it is now. */
static char *
mint_link (Notify *n, const StoreVisit *v, GError **error)
{
  StoreParticipant p = { 0 };
  g_autofree char *token = NULL;
  const ThConfig *c = n->config;

  if (!store_find_visit_participant (n->store, v->id, PARTICIPANT_PATIENT, &p, error))
    return NULL;
  token = store_issue_join_token (n->store, p.id,
                                  v->scheduled_at_ms - (gint64) c->join_window_before_min * 60000,
                                  v->scheduled_at_ms + (gint64) c->join_window_after_min * 60000,
                                  error);
  store_participant_clear (&p);
  if (!token)
    return NULL;
  return g_strdup_printf ("%s/patient.html#token=%s", n->base_url, token);
}

static gboolean
facts_load (Notify *n, const StoreOutboxMessage *row, Facts *f, GError **error)
{
  if (!store_get_visit (n->store, row->visit_id, &f->visit, error) ||
      !store_patient_get (n->store, f->visit.patient_id, &f->patient, error) ||
      !store_visit_notify_get (n->store, row->visit_id, &f->sequence, &f->cancelled, error))
    return FALSE;
  format_when (f, n->config->time_zone_name);
  if (strcmp (row->kind, "cancellation") != 0 && !(f->link = mint_link (n, &f->visit, error)))
    return FALSE;
  /* The invitation email carries the diary link too (issue 14). */
  if (strcmp (row->kind, "invitation") == 0 && strcmp (row->channel, "email") == 0) {
    GError *local = NULL;
    f->diary_link = notify_diary_link (n, f->visit.patient_id, &local);
    if (local) {
      g_propagate_error (error, local);
      return FALSE;
    }
  }
  return TRUE;
}

/* The opening sentence of each kind. */
static char *
lead_sentence (const StoreOutboxMessage *row, const Facts *f, const char *clinic)
{
  const char *who = f->visit.provider_name ? f->visit.provider_name : "your provider";

  if (strcmp (row->kind, "invitation") == 0)
    return g_strdup_printf ("%s has booked a video visit for you with %s on %s.", clinic, who,
                            f->when);
  if (strcmp (row->kind, "update") == 0)
    return g_strdup_printf ("Your video visit with %s has moved. It is now on %s.", who, f->when);
  if (strcmp (row->kind, "cancellation") == 0)
    return g_strdup_printf ("Your video visit with %s on %s is cancelled.", who, f->when);
  return g_strdup_printf ("A reminder: your video visit with %s is on %s.", who, f->when);
}

static char *
subject_line (const StoreOutboxMessage *row, const Facts *f)
{
  const char *who = f->visit.provider_name ? f->visit.provider_name : "your provider";
  const char *what = strcmp (row->kind, "invitation") == 0     ? "Video visit"
                     : strcmp (row->kind, "update") == 0       ? "Moved: video visit"
                     : strcmp (row->kind, "cancellation") == 0 ? "Cancelled: video visit"
                                                               : "Reminder: video visit";
  return g_strdup_printf ("%s with %s, %s", what, who, f->when_short);
}

/* "2 hours", "1 hour", "45 minutes". */
static char *
duration_words (guint minutes)
{
  if (minutes && minutes % 60 == 0)
    return g_strdup_printf ("%u hour%s", minutes / 60, minutes == 60 ? "" : "s");
  return g_strdup_printf ("%u minute%s", minutes, minutes == 1 ? "" : "s");
}

static char *
email_text (Notify *n, const StoreOutboxMessage *row, const Facts *f)
{
  const ThConfig *c = n->config;
  g_autofree char *lead = lead_sentence (row, f, c->clinic_name);
  g_autofree char *opens = duration_words (c->join_window_before_min);
  GString *s = g_string_new ("Hello,\n\n");

  g_string_append_printf (s, "%s\n\n", lead);
  if (f->link) {
    g_string_append_printf (s,
                            "Join the visit from this link. It opens %s before the visit; "
                            "keep it to yourself:\n%s\n\n",
                            opens, f->link);
    g_string_append (s, "The calendar invitation is attached.\n\n");
  }
  if (f->diary_link)
    g_string_append_printf (s,
                            "Between visits, keep your short daily diary of your medicines from "
                            "this link (it is yours alone; keep it to yourself):\n%s\n\n",
                            f->diary_link);
  if (c->clinic_phone)
    g_string_append_printf (s, "%s, or if the link does not work, call %s at %s.\n",
                            f->link ? "To change the time" : "To book another time", c->clinic_name,
                            c->clinic_phone);
  g_string_append_printf (s, "\n%s\n", c->clinic_name);
  return g_string_free (s, FALSE);
}

static char *
sms_text (Notify *n, const StoreOutboxMessage *row, const Facts *f)
{
  const ThConfig *c = n->config;
  const char *who = f->visit.provider_name ? f->visit.provider_name : "your provider";
  const char *what = strcmp (row->kind, "invitation") == 0     ? "Video visit booked"
                     : strcmp (row->kind, "update") == 0       ? "Video visit moved"
                     : strcmp (row->kind, "cancellation") == 0 ? "Video visit cancelled"
                                                               : "Reminder: video visit";

  if (f->link)
    return g_strdup_printf ("%s: %s with %s, %s. Join: %s", c->clinic_name, what, who,
                            f->when_short, f->link);
  return g_strdup_printf ("%s: %s with %s, %s.%s%s", c->clinic_name, what, who, f->when_short,
                          c->clinic_phone ? " Call " : "", c->clinic_phone ? c->clinic_phone : "");
}

static char *
invitation (Notify *n, const StoreOutboxMessage *row, const Facts *f, GError **error)
{
  const ThConfig *c = n->config;
  g_autofree char *uid = g_strdup_printf ("%s@%s", row->visit_id, n->host);
  g_autofree char *summary = g_strdup_printf ("Video visit with %s", f->visit.provider_name
                                                                       ? f->visit.provider_name
                                                                       : "your provider");
  g_autofree char *organizer = notify_address_of (c->notify.mail_from ? c->notify.mail_from : "");
  g_autofree char *description = f->link
                                   ? g_strdup_printf ("Join the video visit from this link: %s",
                                                      f->link)
                                   : g_strdup_printf ("This visit is cancelled.%s%s",
                                                      c->clinic_phone ? " Call " : "",
                                                      c->clinic_phone ? c->clinic_phone : "");
  NotifyIcs ics = {
    .uid = uid,
    .sequence = f->sequence,
    .cancel = strcmp (row->kind, "cancellation") == 0,
    .start_ms = f->visit.scheduled_at_ms,
    .minutes = notify_visit_length_minutes (&f->visit),
    .time_zone = f->zone,
    .stamp_ms = th_clock_now_ms (),
    .summary = summary,
    .description = description,
    .url = f->link,
    .organizer_name = c->clinic_name,
    .organizer_email = organizer,
    .attendee_email = row->recipient,
  };
  return notify_ics_build (&ics, error);
}

gboolean
notify_compose (Notify *n, const StoreOutboxMessage *row, NotifyMessage *out, GError **error)
{
  Facts f = { 0 };
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (strcmp (row->kind, "diary-reminder") == 0) {
    ok = notify_compose_diary_reminder (n, row, out, error);
    goto out;
  }
  if (!facts_load (n, row, &f, error))
    goto out;
  out->channel = g_strdup (row->channel);
  out->to = g_strdup (row->recipient);
  out->message_id = g_strdup_printf ("<%s@%s>", row->id, n->host);
  if (strcmp (row->channel, "sms") == 0) {
    out->text = sms_text (n, row, &f);
  } else {
    out->subject = subject_line (row, &f);
    out->text = email_text (n, row, &f);
    out->method = g_strdup (strcmp (row->kind, "cancellation") == 0 ? "CANCEL" : "REQUEST");
    /* Reminders carry no invitation: the calendar has the visit already. */
    if (strcmp (row->kind, "reminder") != 0 && !(out->ics = invitation (n, row, &f, error)))
      goto out;
  }
  ok = TRUE;
out:
  if (!ok)
    notify_message_clear (out);
  facts_clear (&f);
  return ok;
}
