/* bodies_dispense.c — the bodies of real prescriptions (issue 15, item 7;
 * api-bodies.h): an adjustment's quantity, earliest fill date and schedule
 * II series; the patient's pharmacy; a PDMP check; who performed an
 * in-person evaluation. Shapes only: whether the quantity matches the dose
 * and whether the dates are lawful are the route's and the rules'. */
#include "server/api/api-bodies.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

#define PHARMACY_NAME_MAX 200
#define PHARMACY_ADDRESS_MAX 500
#define PHARMACY_PHONE_MAX 40
#define PDMP_RESULT_MAX 2000
#define EVALUATOR_MAX 200

static gboolean
bad (GError **error, const char *message)
{
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
  return FALSE;
}

/* Valid UTF-8, not blank, at most `max` characters. */
static gboolean
text_ok (const char *s, glong max)
{
  return s && g_utf8_validate (s, -1, NULL) && s[strspn (s, " \t\r\n")] != '\0' &&
         g_utf8_strlen (s, -1) <= max;
}

static gboolean
date_ok (const char *text, GDate *out)
{
  return text && strlen (text) == 10 && th_date_parse (text, out);
}

gboolean
th_body_adjustment_dispense (json_t *quantity, const char *earliest, json_t *series,
                             ThAdjustmentBody *out, GError **error)
{
  g_date_clear (&out->earliest_fill, 1);
  g_date_clear (out->series, G_N_ELEMENTS (out->series));
  if (quantity) {
    if (!json_is_number (quantity) || json_number_value (quantity) <= 0)
      return bad (error, "The quantity to dispense must be a number above zero (tablets or "
                         "capsules). Nothing was saved.");
    out->has_quantity = TRUE;
    out->quantity = json_number_value (quantity);
  }
  if (earliest && !date_ok (earliest, &out->earliest_fill))
    return bad (error, "The earliest fill date must be a calendar date written YYYY-MM-DD (for "
                       "example 2026-12-03). Nothing was saved.");
  if (!series)
    return TRUE;
  if (earliest)
    return bad (error, "A series gives each prescription's earliest fill date: send the series "
                       "or one earliest fill date, not both. Nothing was saved.");
  if (!json_is_array (series) || json_array_size (series) < 2 ||
      json_array_size (series) > G_N_ELEMENTS (out->series))
    return bad (error, "A schedule II series is 2 or 3 prescriptions: give each one's earliest "
                       "fill date (YYYY-MM-DD) in order. Nothing was saved.");
  for (gsize i = 0; i < json_array_size (series); i++)
    if (!date_ok (json_string_value (json_array_get (series, i)), &out->series[i]))
      return bad (error, "Each prescription of the series needs its earliest fill date, a "
                         "calendar date written YYYY-MM-DD. Nothing was saved.");
  out->n_series = (guint) json_array_size (series);
  return TRUE;
}

gboolean
th_body_evaluation_by (const char *performed_by, ThEvaluationBody *out, GError **error)
{
  out->performed_by[0] = '\0';
  if (!performed_by)
    return TRUE;
  if (!text_ok (performed_by, EVALUATOR_MAX))
    return bad (error, "Who performed the evaluation: a clinician's name or staff id of 1 to "
                       "200 characters. Nothing was saved.");
  g_strlcpy (out->performed_by, performed_by, sizeof out->performed_by);
  return TRUE;
}

/* ---------------------------------------------------------------- pharmacy */

void
th_pharmacy_body_clear (ThPharmacyBody *b)
{
  g_free (b->name);
  g_free (b->address);
  g_free (b->phone);
  g_free (b->ncpdp_id);
  memset (b, 0, sizeof *b);
}

static gboolean
phone_ok (const char *s)
{
  guint digits = 0;

  if (!text_ok (s, PHARMACY_PHONE_MAX) || strspn (s, "0123456789 +()-.") != strlen (s))
    return FALSE;
  for (const char *p = s; *p; p++)
    digits += g_ascii_isdigit (*p) ? 1 : 0;
  return digits >= 7;
}

gboolean
th_body_pharmacy (const char *body, gsize len, ThPharmacyBody *out, GError **error)
{
  const char *name = NULL, *address = NULL, *phone = NULL, *ncpdp = NULL;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s?s}", "name", &name, "address",
                      &address, "phone", &phone, "ncpdp_id", &ncpdp) != 0) {
    bad (error, "A pharmacy needs its name, address and phone number (and, if you have it, its "
                "NCPDP id). Nothing was saved.");
    goto out;
  }
  if (!text_ok (name, PHARMACY_NAME_MAX) || !text_ok (address, PHARMACY_ADDRESS_MAX)) {
    bad (error, "The pharmacy's name (up to 200 characters) and address (up to 500) cannot be "
                "empty. Nothing was saved.");
    goto out;
  }
  if (!phone_ok (phone)) {
    bad (error, "The pharmacy's phone number must be digits (at least 7), with spaces, +, "
                "brackets, dots or dashes if you like. Nothing was saved.");
    goto out;
  }
  if (ncpdp && (strlen (ncpdp) != 7 || strspn (ncpdp, "0123456789") != 7)) {
    bad (error, "The NCPDP id is the pharmacy's 7-digit number from the National Council for "
                "Prescription Drug Programs; leave it out if you do not have it. Nothing was "
                "saved.");
    goto out;
  }
  out->name = g_strstrip (g_strdup (name));
  out->address = g_strstrip (g_strdup (address));
  out->phone = g_strstrip (g_strdup (phone));
  out->ncpdp_id = g_strdup (ncpdp);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* ---------------------------------------------------------------- PDMP */

void
th_pdmp_body_clear (ThPdmpBody *b)
{
  g_free (b->result);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_pdmp_check (const char *body, gsize len, ThPdmpBody *out, GError **error)
{
  const char *state = NULL, *result = NULL, *checked_at = NULL;
  g_autoptr (GDateTime) dt = NULL;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s:s, s?s}", "state", &state, "result",
                      &result, "checked_at", &checked_at) != 0) {
    bad (error, "A PDMP check needs what was found (and may name the state searched and when). "
                "Nothing was saved.");
    goto out;
  }
  if (!text_ok (result, PDMP_RESULT_MAX)) {
    bad (error, "Write what the PDMP showed (1 to 2,000 characters), for example \"No other "
                "controlled prescriptions in 12 months\". Nothing was saved.");
    goto out;
  }
  if (state) {
    if (strlen (state) != 2 || !g_ascii_isalpha (state[0]) || !g_ascii_isalpha (state[1])) {
      bad (error, "The state searched is its two-letter code, for example NY. Nothing was "
                  "saved.");
      goto out;
    }
    out->state[0] = g_ascii_toupper (state[0]);
    out->state[1] = g_ascii_toupper (state[1]);
  }
  if (checked_at) {
    dt = g_date_time_new_from_iso8601 (checked_at, NULL);
    if (!dt || strlen (checked_at) <= 10) {
      bad (error, "When the PDMP was checked must be a date and time with its zone (for example "
                  "2026-12-03T09:30:00-05:00). Nothing was saved.");
      goto out;
    }
    out->has_checked_at = TRUE;
    out->checked_at_ms = g_date_time_to_unix (dt) * 1000;
  }
  out->result = g_strdup (result);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}
