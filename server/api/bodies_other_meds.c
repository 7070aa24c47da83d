/* bodies_other_meds.c — the medications-from-elsewhere bodies
 * (api-bodies-outside.h), checked at the edge into typed values in a
 * clinician's words. */
#include "server/api/api-bodies-outside.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

#define TEXT_MAX 200

static gboolean refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, "%s Nothing was saved.", text);
  return FALSE;
}

/* NULL and "" alike are "not given"; else 1..TEXT_MAX characters. */
static gboolean
optional_text (const char *value, const char *what, char **out, GError **error)
{
  *out = NULL;
  if (!value || !*value)
    return TRUE;
  if (!g_utf8_validate (value, -1, NULL) || g_utf8_strlen (value, -1) > TEXT_MAX)
    return refuse (error, "The %s must be at most %d characters.", what, TEXT_MAX);
  *out = g_strdup (value);
  return TRUE;
}

/* A stop date: a real date, not after the clinic's today. */
static gboolean
stop_date (const char *text, const GDate *today, char out[11], GError **error)
{
  GDate date;

  out[0] = '\0';
  if (!text)
    return TRUE;
  if (strlen (text) != 10 || !th_date_parse (text, &date))
    return refuse (error, "The stop date must be a date written YYYY-MM-DD, for example "
                          "2026-11-21.");
  if (today && g_date_valid (today) && g_date_compare (&date, today) > 0)
    return refuse (error,
                   "The stop date %s is in the future: record the medication as stopped "
                   "once the patient has stopped it.",
                   text);
  memcpy (out, text, 11);
  return TRUE;
}

gboolean
th_body_other_med (const char *body, gsize len, const GDate *today, ThOtherMedBody *out,
                   GError **error)
{
  const char *name = NULL, *rxnorm = NULL, *dose = NULL, *prescriber = NULL, *stopped = NULL;
  json_t *obj, *verified = NULL;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s?s, s?s, s?s, s?s, s?o}", "name", &name,
                      "rxnorm", &rxnorm, "dose", &dose, "prescriber", &prescriber, "stopped_on",
                      &stopped, "verified", &verified) != 0 ||
      (verified && !json_is_boolean (verified))) {
    refuse (error, "A medication from elsewhere has a name, and may have rxnorm, dose, "
                   "prescriber and stopped_on (YYYY-MM-DD) as text and verified as true or "
                   "false, nothing else.");
    goto out;
  }
  out->verified = json_is_true (verified);
  if (!optional_text (name, "name", &out->name, error) ||
      !optional_text (rxnorm, "RxNorm code", &out->rxnorm, error) ||
      !optional_text (dose, "dose", &out->dose, error) ||
      !optional_text (prescriber, "prescriber", &out->prescriber, error) ||
      !stop_date (stopped && *stopped ? stopped : NULL, today, out->stopped_on, error))
    goto out;
  if (out->rxnorm &&
      (strlen (out->rxnorm) > 10 || strspn (out->rxnorm, "0123456789") != strlen (out->rxnorm))) {
    gboolean echo = strlen (out->rxnorm) <= 20;
    for (const char *c = out->rxnorm; echo && *c; c++)
      echo = g_ascii_isprint (*c) && *c != '"';
    refuse (error,
            "%s%s%s is not an RxNorm code: RxNorm codes are digits, for example 10689 for "
            "tramadol.",
            echo ? "\"" : "", echo ? out->rxnorm : "That", echo ? "\"" : "");
    goto out;
  }
  if (!out->name && !out->rxnorm) {
    refuse (error, "Give the medication's name (pick it from the list, or type it as the "
                   "patient says it).");
    goto out;
  }
  ok = TRUE;
out:
  json_decref (obj);
  if (!ok)
    th_other_med_body_clear (out);
  return ok;
}

void
th_other_med_body_clear (ThOtherMedBody *b)
{
  g_clear_pointer (&b->name, g_free);
  g_clear_pointer (&b->rxnorm, g_free);
  g_clear_pointer (&b->dose, g_free);
  g_clear_pointer (&b->prescriber, g_free);
}

gboolean
th_body_other_med_stop (const char *body, gsize len, const GDate *today, char out[11],
                        GError **error)
{
  const char *stopped = NULL;
  json_error_t jerr;
  json_t *obj;
  gboolean ok;

  out[0] = '\0';
  if (!body || len == 0)
    return TRUE;
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  ok = json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s}", "stopped_on", &stopped) == 0
         ? stop_date (stopped && *stopped ? stopped : NULL, today, out, error)
         : refuse (error, "Stopping takes only stopped_on (YYYY-MM-DD), or nothing for today.");
  json_decref (obj);
  return ok;
}
