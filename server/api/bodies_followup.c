/* bodies_followup.c — POST /api/visits/<id>/follow-up (see api-bodies.h):
 * an interval in weeks or a date, and a time of day, checked at the edge.
 * Whether the time is still to come is the route's (it has the clock). */
#include "server/api/api-bodies.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

static gboolean
refuse (GError **error, const char **field, const char *name, const char *message)
{
  *field = name;
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
  return FALSE;
}

/* "HH:MM", 00:00 to 23:59. */
static gboolean
parse_time (const char *text, guint *hour, guint *minute)
{
  if (strlen (text) != 5 || text[2] != ':' || !g_ascii_isdigit (text[0]) ||
      !g_ascii_isdigit (text[1]) || !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;
  *hour = (guint) ((text[0] - '0') * 10 + (text[1] - '0'));
  *minute = (guint) ((text[3] - '0') * 10 + (text[4] - '0'));
  return *hour < 24 && *minute < 60;
}

gboolean
th_body_follow_up (const char *body, gsize len, ThFollowUpBody *out, const char **field,
                   GError **error)
{
  json_t *obj = body ? json_loadb (body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
  json_t *weeks = NULL;
  const char *date = NULL, *time = NULL;
  int confirm = 0;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  g_date_clear (&out->date, 1);
  *field = NULL;
  if (!obj || !json_is_object (obj)) {
    g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_JSON,
                         "The request could not be read. Nothing was booked; reload the page and "
                         "try again.");
    goto out;
  }
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?o, s?s, s?s, s?b}", "weeks", &weeks, "date",
                      &date, "time", &time, "confirm_double_booking", &confirm) != 0) {
    refuse (error, field, NULL,
            "Give the interval in weeks or a date, and optionally a time. Nothing was booked.");
    goto out;
  }
  if (!weeks == !date) {
    refuse (error, field, "weeks",
            "Choose either a number of weeks or a date for the next follow-up. Nothing was "
            "booked.");
    goto out;
  }
  if (weeks && (!json_is_integer (weeks) || json_integer_value (weeks) < 1 ||
                json_integer_value (weeks) > FOLLOW_UP_MAX_WEEKS)) {
    refuse (error, field, "weeks",
            "The interval must be a whole number of weeks from 1 to 52. Nothing was booked.");
    goto out;
  }
  if (date && !th_date_parse (date, &out->date)) {
    refuse (error, field, "date",
            "The date must be a real date written YYYY-MM-DD. Nothing was booked.");
    goto out;
  }
  if (time && !parse_time (time, &out->hour, &out->minute)) {
    refuse (error, field, "time",
            "The time must be written HH:MM, from 00:00 to 23:59. Nothing was booked.");
    goto out;
  }
  out->weeks = weeks ? (guint) json_integer_value (weeks) : 0;
  out->has_time = time != NULL;
  out->confirm_double_booking = confirm != 0;
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}
