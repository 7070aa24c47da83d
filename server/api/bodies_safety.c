/* bodies_safety.c — the bodies of the safety routes (issue 14): an alert's
 * acknowledgement and a safety task's closing with its C-SSRS screen (see
 * api-bodies.h). Shapes only: whether the screen is complete, the level
 * allowed and the plan enough is the clinical rule's (records.h
 * safety_close_valid), answered 422 by the route. */
#include "server/api/api-bodies.h"

#include <string.h>
#include <jansson.h>

#define SAFETY_TEXT_MAX 1000
#define SAFETY_LOCATION_MAX 500

static gboolean
bad (GError **error, const char *message)
{
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
  return FALSE;
}

/* NULL stays NULL (absent); else valid UTF-8 of at most `max` characters,
 * kept even when blank (the rule says what a blank answer lacks). */
static gboolean
text_fits (const char *s, glong max)
{
  return !s || (g_utf8_validate (s, -1, NULL) && g_utf8_strlen (s, -1) <= max);
}

gboolean
th_body_alert_ack (const char *body, gsize len, char **note, GError **error)
{
  json_t *obj = th_body_load_object (body, len, error);
  const char *text = NULL;
  json_error_t jerr;
  gboolean ok = FALSE;

  *note = NULL;
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s}", "note", &text) != 0 ||
      !text_fits (text, SAFETY_TEXT_MAX)) {
    bad (error, "The acknowledgement could not be read: give a note of at most 1000 characters. "
                "Nothing was saved.");
    goto out;
  }
  *note = g_strdup (text);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* A yes/no answer: absent or null is "not asked". */
static gboolean
answer (json_t *v, gint *out)
{
  if (!v || json_is_null (v)) {
    *out = CSSRS_NOT_ASKED;
    return TRUE;
  }
  if (!json_is_boolean (v))
    return FALSE;
  *out = json_is_true (v) ? CSSRS_YES : CSSRS_NO;
  return TRUE;
}

static gboolean
screen_from_json (json_t *screen, CssrsScreen *out)
{
  json_t *q[CSSRS_N_QUESTIONS] = { NULL }, *recent = NULL;
  json_error_t jerr;

  if (json_unpack_ex (screen, &jerr, JSON_STRICT, "{s?o, s?o, s?o, s?o, s?o, s?o, s?o}", "q1",
                      &q[0], "q2", &q[1], "q3", &q[2], "q4", &q[3], "q5", &q[4], "q6", &q[5],
                      "q6_past_3_months", &recent) != 0)
    return FALSE;
  for (guint i = 0; i < CSSRS_N_QUESTIONS; i++)
    if (!answer (q[i], &out->answers[i]))
      return FALSE;
  return answer (recent, &out->q6_past_3_months);
}

gboolean
th_body_safety_close (const char *body, gsize len, ThSafetyCloseBody *out, GError **error)
{
  json_t *obj = th_body_load_object (body, len, error);
  json_t *screen = NULL, *plan = NULL, *item;
  const char *risk = NULL, *risk_reason = NULL, *plan_reason = NULL, *location = NULL;
  const char *visit_id = NULL;
  json_error_t jerr;
  gboolean ok = FALSE;
  size_t i;

  memset (out, 0, sizeof *out);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?o, s?s, s?s, s?o, s?s, s?s, s?s}", "screen",
                      &screen, "risk_level", &risk, "risk_reason", &risk_reason, "plan", &plan,
                      "plan_reason", &plan_reason, "location", &location, "visit_id",
                      &visit_id) != 0) {
    bad (error, "The screen could not be read: send the screener's answers, the risk level, the "
                "plan and where the patient is. Nothing was saved.");
    goto out;
  }
  if (screen && (!json_is_object (screen) || !screen_from_json (screen, &out->screen))) {
    bad (error, "Each screener answer must be yes or no (q1 to q6, and q6_past_3_months). "
                "Nothing was saved.");
    goto out;
  }
  if (plan && (!json_is_array (plan) || json_array_size (plan) > 8)) {
    bad (error, "The plan must be a list of plan codes. Nothing was saved.");
    goto out;
  }
  json_array_foreach (plan, i, item) if (!json_is_string (item))
  {
    bad (error, "The plan must be a list of plan codes. Nothing was saved.");
    goto out;
  }
  if (!text_fits (risk_reason, SAFETY_TEXT_MAX) || !text_fits (plan_reason, SAFETY_TEXT_MAX) ||
      !text_fits (location, SAFETY_LOCATION_MAX) || !text_fits (visit_id, 64)) {
    bad (error, "The reasons may be at most 1000 characters and the patient's location at most "
                "500. Nothing was saved.");
    goto out;
  }
  out->has_screen = screen != NULL;
  out->risk_level = g_strdup (risk);
  out->risk_reason = g_strdup (risk_reason);
  out->plan_reason = g_strdup (plan_reason);
  out->location = g_strdup (location);
  out->visit_id = g_strdup (visit_id);
  out->plans = g_new0 (char *, json_array_size (plan) + 1);
  json_array_foreach (plan, i, item)
    out->plans[out->n_plans++] = g_strdup (json_string_value (item));
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

void
th_safety_close_body_clear (ThSafetyCloseBody *b)
{
  g_free (b->risk_level);
  g_free (b->risk_reason);
  g_free (b->plan_reason);
  g_free (b->location);
  g_free (b->visit_id);
  g_strfreev (b->plans);
  memset (b, 0, sizeof *b);
}
