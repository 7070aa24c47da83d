/* bodies_schedule.c — the schedule's request bodies (see api-bodies.h):
 * booking, moving and cancelling a visit. A start is the clinic's wall
 * clock, {"date": "YYYY-MM-DD", "time": "HH:MM"} in [clinic] time_zone (the
 * zone is passed in), the way the front desk reads it off the schedule. Each
 * refusal names its field in the words of the person at the desk. Pure: no
 * store, no clock. */
#include "server/api/api-bodies.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

#define MIN_LENGTH 5
#define MAX_LENGTH 240
#define DEFAULT_LENGTH 30
#define MAX_REASON 500
#define MAX_ID 64

static const char *const kTypes[] = { "initial_evaluation", "follow_up" };

/* Sets the refusal: a 422 naming `field` (NULL for the body as a whole). */
static gboolean
refuse (const char **field, GError **error, const char *name, const char *message)
{
  *field = name;
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
  return FALSE;
}

gboolean
th_body_has_field (const char *body, gsize len, const char *name)
{
  g_autoptr (GError) error = NULL;
  json_t *obj = th_body_load_object (body, len, &error);
  gboolean has = obj && json_object_get (obj, name) != NULL;

  json_decref (obj);
  return has;
}

/* "HH:MM", 00:00..23:59. */
static gboolean
parse_hm (const char *s, int *hour, int *minute)
{
  if (!s || strlen (s) != 5 || s[2] != ':' || !g_ascii_isdigit (s[0]) || !g_ascii_isdigit (s[1]) ||
      !g_ascii_isdigit (s[3]) || !g_ascii_isdigit (s[4]))
    return FALSE;
  *hour = (s[0] - '0') * 10 + (s[1] - '0');
  *minute = (s[3] - '0') * 10 + (s[4] - '0');
  return *hour < 24 && *minute < 60;
}

gboolean
th_local_start (GTimeZone *zone, const char *date, const char *time, gint64 *out_ms,
                const char **problem)
{
  g_autoptr (GDateTime) dt = NULL;
  GDate day;
  int hour, minute;

  if (!date || !th_date_parse (date, &day)) {
    *problem = "The visit's date is not a real date. Write it as year-month-day, for example "
               "2027-01-12.";
    return FALSE;
  }
  if (!parse_hm (time, &hour, &minute)) {
    *problem = "The visit's time must be written as hours and minutes on a 24-hour clock, for "
               "example 09:30 or 14:00.";
    return FALSE;
  }
  dt = g_date_time_new (zone, g_date_get_year (&day), g_date_get_month (&day),
                        g_date_get_day (&day), hour, minute, 0);
  /* A wall-clock time the clocks skip (the spring change) does not exist
   * there: GLib moves it, so it reads back otherwise. */
  if (!dt || g_date_time_get_hour (dt) != hour || g_date_time_get_minute (dt) != minute) {
    *problem = "That time does not exist on that day in the clinic's time zone (the clocks "
               "change). Choose another time.";
    return FALSE;
  }
  *out_ms = g_date_time_to_unix (dt) * 1000;
  return TRUE;
}

/* {"date", "time"} into *out_ms; FALSE after refusing field "start". */
static gboolean
start_field (json_t *v, GTimeZone *zone, gint64 *out_ms, const char **field, GError **error)
{
  const char *date = NULL, *time = NULL, *problem = NULL;
  json_error_t jerr;

  if (!v)
    return refuse (field, error, "start", "Choose the visit's date and time.");
  if (json_unpack_ex (v, &jerr, JSON_STRICT, "{s:s, s:s}", "date", &date, "time", &time) != 0)
    return refuse (field, error, "start",
                   "The visit's start must give a date and a time, for example 2027-01-12 at "
                   "10:00.");
  if (!th_local_start (zone, date, time, out_ms, &problem))
    return refuse (field, error, "start", problem);
  return TRUE;
}

/* A length in minutes (absent: *out untouched). */
static gboolean
length_field (json_t *v, guint *out, const char **field, GError **error)
{
  json_int_t n;

  if (!v)
    return TRUE;
  n = json_is_integer (v) ? json_integer_value (v) : -1;
  if (n < MIN_LENGTH || n > MAX_LENGTH)
    return refuse (field, error, "length_minutes",
                   "A visit lasts 5 to 240 minutes. Enter its length in whole minutes.");
  *out = (guint) n;
  return TRUE;
}

static gboolean
id_field (json_t *v, const char *name, char **out, const char **field, GError **error,
          const char *message)
{
  const char *s = json_is_string (v) ? json_string_value (v) : NULL;

  if (!s || !*s || strlen (s) > MAX_ID)
    return refuse (field, error, name, message);
  *out = g_strdup (s);
  return TRUE;
}

void
th_visit_book_body_clear (ThVisitBookBody *b)
{
  g_free (b->patient_id);
  g_free (b->provider_id);
  g_free (b->modality);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_visit_book (const char *body, gsize len, GTimeZone *zone, ThVisitBookBody *out,
                    const char **field, GError **error)
{
  json_t *obj, *patient = NULL, *provider = NULL, *start = NULL, *length = NULL;
  const char *type = NULL, *modality = NULL;
  int confirm = 0;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  *field = NULL;
  out->length_minutes = DEFAULT_LENGTH;
  out->visit_type = kTypes[1];
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?o, s?o, s?o, s?o, s?s, s?s, s?b}", "patient_id",
                      &patient, "provider_id", &provider, "start", &start, "length_minutes",
                      &length, "type", &type, "modality", &modality, "confirm_double_booking",
                      &confirm) != 0) {
    refuse (field, error, NULL,
            "The form sent something the server does not know. Reload the page and try again.");
    goto out;
  }
  if (!id_field (patient, "patient_id", &out->patient_id, field, error,
                 "Choose the patient the visit is for.") ||
      (provider && !id_field (provider, "provider_id", &out->provider_id, field, error,
                              "Choose the provider the visit is with.")) ||
      !start_field (start, zone, &out->start_ms, field, error) ||
      !length_field (length, &out->length_minutes, field, error))
    goto out;
  if (type) {
    for (guint i = 0; i < G_N_ELEMENTS (kTypes); i++)
      if (strcmp (type, kTypes[i]) == 0)
        out->visit_type = kTypes[i];
    if (strcmp (type, out->visit_type) != 0) {
      refuse (field, error, "type",
              "Choose whether the visit is an initial evaluation or a "
              "follow-up.");
      goto out;
    }
  }
  if (modality && strcmp (modality, "video") != 0 && strcmp (modality, "audio-only") != 0) {
    refuse (field, error, "modality", "Choose whether the visit is by video or audio only.");
    goto out;
  }
  out->modality = g_strdup (modality);
  out->confirm_double_booking = confirm != 0;
  ok = TRUE;
out:
  if (!ok)
    th_visit_book_body_clear (out);
  json_decref (obj);
  return ok;
}

gboolean
th_body_visit_move (const char *body, gsize len, GTimeZone *zone, ThVisitMoveBody *out,
                    const char **field, GError **error)
{
  json_t *obj, *start = NULL, *length = NULL;
  int confirm = 0;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  *field = NULL;
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?o, s?o, s?b}", "start", &start, "length_minutes",
                      &length, "confirm_double_booking", &confirm) != 0)
    refuse (field, error, NULL,
            "The form sent something the server does not know. Reload the page and try again.");
  else if (start_field (start, zone, &out->start_ms, field, error) &&
           length_field (length, &out->length_minutes, field, error))
    ok = TRUE;
  out->confirm_double_booking = confirm != 0;
  json_decref (obj);
  return ok;
}

gboolean
th_body_visit_cancel (const char *body, gsize len, char **reason, const char **field,
                      GError **error)
{
  json_t *obj;
  const char *text = NULL;
  json_error_t jerr;
  g_autofree char *trimmed = NULL;
  gboolean ok = FALSE;

  *reason = NULL;
  *field = NULL;
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s}", "reason", &text) != 0 || !text ||
      !g_utf8_validate (text, -1, NULL)) {
    refuse (field, error, "reason", "Say why the visit is cancelled.");
    goto out;
  }
  trimmed = g_strstrip (g_strdup (text));
  if (!*trimmed || g_utf8_strlen (trimmed, -1) > MAX_REASON) {
    refuse (field, error, "reason", "Say why the visit is cancelled, in at most 500 characters.");
    goto out;
  }
  *reason = g_steal_pointer (&trimmed);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}
