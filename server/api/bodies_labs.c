/* bodies_labs.c — POST /api/patients/<id>/observations (see api-bodies.h):
 * a lab value or vital sign, checked at the edge into typed values. The
 * words are the clinician's: which field, what a believable value is. */
#include "server/api/api-bodies.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

static gboolean
refuse (GError **error, const char *message)
{
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
  return FALSE;
}

/* A calendar date (a lab's draw date), or an instant with its offset. */
static gboolean
parse_effective (const char *text, ThObservationBody *out, GError **error)
{
  g_autoptr (GDateTime) dt = NULL;

  out->has_effective = TRUE;
  if (strlen (text) == 10) {
    out->effective_is_date = TRUE;
    if (th_date_parse (text, &out->effective_day))
      return TRUE;
  } else if ((dt = g_date_time_new_from_iso8601 (text, NULL))) {
    out->effective_ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
    if (out->effective_ms >= 0 && out->effective_ms <= TH_CLOCK_MAX_MS)
      return TRUE;
  }
  return refuse (error, "The date taken must be a date (YYYY-MM-DD, for example 2026-12-03) or a "
                        "date and time with its zone. Nothing was saved.");
}

gboolean
th_body_observation (const char *body, gsize len, ThObservationBody *out, GError **error)
{
  json_t *obj, *value = NULL, *value2 = NULL;
  const char *kind = NULL, *effective = NULL, *visit = NULL;
  json_error_t jerr;
  GError *local = NULL;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  g_date_clear (&out->effective_day, 1);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s:o, s?o, s?s, s?s}", "kind", &kind, "value",
                      &value, "value2", &value2, "effective_at", &effective, "visit_id",
                      &visit) != 0) {
    refuse (error, "An observation needs a kind and a value (and, for blood pressure, value2), "
                   "and may have effective_at and visit_id, nothing else. Nothing was saved.");
    goto out;
  }
  if (!(out->kind = observation_kind_find (kind))) {
    g_autofree char *message = g_strdup_printf ("\"%.40s\" is not a lab or vital sign the record "
                                                "keeps. Choose one from the list. Nothing "
                                                "was saved.",
                                                g_utf8_validate (kind, -1, NULL) ? kind : "?");
    refuse (error, message);
    goto out;
  }
  if (!json_is_number (value) || (value2 && !json_is_null (value2) && !json_is_number (value2))) {
    refuse (error, "The value must be a number. Nothing was saved.");
    goto out;
  }
  out->value = json_number_value (value);
  out->has_value2 = value2 && json_is_number (value2);
  out->value2 = out->has_value2 ? json_number_value (value2) : 0;
  if (!observation_value_valid (out->kind, out->value, out->has_value2, out->value2, &local)) {
    g_autofree char *message = g_strdup_printf ("%s Nothing was saved.", local->message);
    g_error_free (local);
    refuse (error, message);
    goto out;
  }
  if (effective && !parse_effective (effective, out, error))
    goto out;
  if (visit) {
    if (strlen (visit) == 0 || strlen (visit) >= sizeof out->visit_id) {
      refuse (error, "visit_id must name a visit of this patient. Nothing was saved.");
      goto out;
    }
    g_strlcpy (out->visit_id, visit, sizeof out->visit_id);
  }
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}
