/* bodies_reproductive.c — POST /api/patients/<id>/reproductive (see
 * api-bodies.h): the patient's pregnancy potential, checked at the edge
 * into an RxReproductive (records-rx.h). The shape is the decoder's (400);
 * whether the answers fit together, and no date is in the future, is
 * th_reproductive_check's (422). The words are the clinician's. */
#include "server/api/api-bodies.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

#define TEXT_MAX 200

static gboolean
refuse (GError **error, const char *message)
{
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
  return FALSE;
}

/* One of `allowed` (NULL-terminated), copied. */
static gboolean
choice (const char *value, const char *const *allowed, char **out)
{
  if (!value || !g_strv_contains (allowed, value))
    return FALSE;
  *out = g_strdup (value);
  return TRUE;
}

/* Free text of 1..TEXT_MAX characters, trimmed; NULL stays NULL. */
static gboolean
short_text (const char *value, char **out)
{
  g_autofree char *trimmed = NULL;
  glong n;

  *out = NULL;
  if (!value)
    return TRUE;
  if (!g_utf8_validate (value, -1, NULL))
    return FALSE;
  trimmed = g_strstrip (g_strdup (value));
  n = g_utf8_strlen (trimmed, -1);
  if (n < 1 || n > TEXT_MAX)
    return FALSE;
  *out = g_steal_pointer (&trimmed);
  return TRUE;
}

static gboolean
date_field (const char *value, GDate *out)
{
  g_date_clear (out, 1);
  return !value || (strlen (value) == 10 && th_date_parse (value, out));
}

gboolean
th_body_reproductive (const char *body, gsize len, RxReproductive *out, GError **error)
{
  static const char *const sexes[] = { "female", "male", "intersex", "unknown", NULL };
  static const char *const statuses[] = { "pregnant", "not-pregnant", "unknown", NULL };
  static const char *const yes_no[] = { "yes", "no", "unknown", NULL };
  const char *sex = NULL, *unable = NULL, *pregnancy = NULL, *checked = NULL, *nursing = NULL;
  const char *method = NULL, *counselled = NULL, *by = NULL;
  json_t *obj, *contraception = NULL, *counselling = NULL;
  json_error_t jerr;
  int effective = 0;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  g_date_clear (&out->pregnancy_checked, 1);
  g_date_clear (&out->counselled, 1);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s?s, s:s, s?s, s:s, s?o, s?o}",
                      "sex_at_birth", &sex, "unable_reason", &unable, "pregnancy", &pregnancy,
                      "pregnancy_checked", &checked, "breastfeeding", &nursing, "contraception",
                      &contraception, "valproate_counselling", &counselling) != 0) {
    refuse (error, "The pregnancy potential record needs sex_at_birth, pregnancy and "
                   "breastfeeding, and may have unable_reason, pregnancy_checked, contraception "
                   "and valproate_counselling, nothing else. Nothing was saved.");
    goto out;
  }
  if (contraception && !json_is_null (contraception) &&
      json_unpack_ex (contraception, &jerr, JSON_STRICT, "{s:s, s:b}", "method", &method,
                      "highly_effective", &effective) != 0) {
    refuse (error, "Contraception is {\"method\": the method in words, \"highly_effective\": true "
                   "or false}. Nothing was saved.");
    goto out;
  }
  if (counselling && !json_is_null (counselling) &&
      json_unpack_ex (counselling, &jerr, JSON_STRICT, "{s:s, s:s}", "date", &counselled, "by",
                      &by) != 0) {
    refuse (error, "The valproate counselling is {\"date\": YYYY-MM-DD, \"by\": who gave it}. "
                   "Nothing was saved.");
    goto out;
  }
  if (!choice (sex, sexes, &out->sex_at_birth)) {
    refuse (error, "Sex assigned at birth is female, male, intersex or unknown. Nothing was "
                   "saved.");
    goto out;
  }
  if (!choice (pregnancy, statuses, &out->pregnancy)) {
    refuse (error, "Pregnancy status is pregnant, not-pregnant or unknown. Nothing was saved.");
    goto out;
  }
  if (!choice (nursing, yes_no, &out->breastfeeding)) {
    refuse (error, "Breastfeeding is yes, no or unknown. Nothing was saved.");
    goto out;
  }
  if (!short_text (unable, &out->unable_reason) || !short_text (method, &out->contraception) ||
      !short_text (by, &out->counselled_by)) {
    refuse (error, "The reason, the contraception method and who gave the counselling are each "
                   "1 to 200 characters. Nothing was saved.");
    goto out;
  }
  if (!date_field (checked, &out->pregnancy_checked) ||
      !date_field (counselled, &out->counselled)) {
    refuse (error, "Dates are written YYYY-MM-DD, for example 2026-12-03. Nothing was saved.");
    goto out;
  }
  out->highly_effective = effective != 0;
  ok = TRUE;
out:
  if (!ok)
    rx_reproductive_clear (out);
  json_decref (obj);
  return ok;
}

static gboolean
invalid (GError **error, const char *message)
{
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
  return FALSE;
}

gboolean
th_reproductive_check (const RxReproductive *r, const GDate *today, GError **error)
{
  gboolean male = g_strcmp0 (r->sex_at_birth, "male") == 0;
  gboolean known = g_strcmp0 (r->pregnancy, "unknown") != 0;

  if (known && !g_date_valid (&r->pregnancy_checked))
    return invalid (error, "Give the date the pregnancy status was checked (a test or the "
                           "patient's report). Nothing was saved.");
  if (!known && g_date_valid (&r->pregnancy_checked))
    return invalid (error, "A pregnancy status of unknown has no date checked: choose pregnant "
                           "or not pregnant, or leave the date empty. Nothing was saved.");
  if (g_date_valid (&r->pregnancy_checked) && g_date_compare (&r->pregnancy_checked, today) > 0)
    return invalid (error, "The date the pregnancy status was checked is in the future. Enter "
                           "the day it was checked. Nothing was saved.");
  if (g_date_valid (&r->counselled) && g_date_compare (&r->counselled, today) > 0)
    return invalid (error, "The valproate counselling date is in the future. Enter the day it "
                           "took place. Nothing was saved.");
  if (male && (r->contraception || g_strcmp0 (r->pregnancy, "pregnant") == 0 ||
               g_date_valid (&r->counselled)))
    return invalid (error, "Sex assigned at birth is male: contraception, a pregnancy and the "
                           "valproate pregnancy prevention counselling are not recorded for this "
                           "patient. Correct the sex at birth, or leave those empty. Nothing was "
                           "saved.");
  if (g_strcmp0 (r->pregnancy, "pregnant") == 0 && r->unable_reason)
    return invalid (error, "The patient is recorded as pregnant and as unable to become pregnant. "
                           "Choose one. Nothing was saved.");
  return TRUE;
}
