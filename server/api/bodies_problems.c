/* bodies_problems.c — the diagnoses' and allergies' request bodies
 * (bodies-problems.h), decoded strictly at the edge. */
#include "server/api/api-bodies.h"
#include "server/api/bodies-problems.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

#define MAX_REASON 1000
#define MAX_SUBSTANCE 200
#define MAX_ID 64

static void
bad (GError **error, const char *message)
{
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
}

/* Text with something in it besides blanks, at most `max` characters. */
static gboolean
filled (const char *s, glong max)
{
  return s && g_utf8_validate (s, -1, NULL) && s[strspn (s, " \t\r\n")] != '\0' &&
         g_utf8_strlen (s, -1) <= max;
}

/* An optional calendar date; FALSE (error set) when given and not one. */
static gboolean
optional_date (const char *text, const char *what, gboolean *has, GDate *out, GError **error)
{
  *has = FALSE;
  g_date_clear (out, 1);
  if (!text)
    return TRUE;
  if (!th_date_parse (text, out)) {
    g_autofree char *m =
      g_strdup_printf ("%s must be a date written as YYYY-MM-DD (2025-03-14). Nothing was saved.",
                       what);
    bad (error, m);
    return FALSE;
  }
  *has = TRUE;
  return TRUE;
}

static gboolean
optional_id (const char *id, GError **error)
{
  if (id && !filled (id, MAX_ID)) {
    bad (error, "The visit could not be read. Reload the page; nothing was saved.");
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------ conditions */

void
th_condition_body_clear (ThConditionBody *b)
{
  g_free (b->code);
  g_free (b->clinical_status);
  g_free (b->verification_status);
  g_free (b->visit_id);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_condition (const char *body, gsize len, ThConditionBody *out, GError **error)
{
  const char *code = NULL, *onset = NULL, *clinical = "active", *verification = "confirmed";
  const char *visit = NULL;
  json_error_t jerr;
  json_t *obj;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s?s, s?s, s?s, s?s}", "code", &code, "onset",
                      &onset, "clinical_status", &clinical, "verification_status", &verification,
                      "visit_id", &visit) != 0) {
    bad (error, "The diagnosis could not be read: send its ICD-10-CM code, and an onset date, "
                "status and verification if known. Nothing was saved.");
    goto out;
  }
  if (!filled (code, 16)) {
    bad (error, "A diagnosis needs its ICD-10-CM code: choose one from the clinic's list. "
                "Nothing was saved.");
    goto out;
  }
  if (!rx_condition_clinical_valid (clinical) || !rx_condition_verification_valid (verification)) {
    bad (error, "The status must be active, recurrence, relapse, inactive, remission or "
                "resolved, and the verification unconfirmed, provisional, differential, "
                "confirmed, refuted or entered-in-error. Nothing was saved.");
    goto out;
  }
  if (!optional_date (onset, "The onset", &out->has_onset, &out->onset, error) ||
      !optional_id (visit, error))
    goto out;
  out->code = g_strdup (code);
  out->clinical_status = g_strdup (clinical);
  out->verification_status = g_strdup (verification);
  out->visit_id = g_strdup (visit);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

void
th_condition_status_body_clear (ThConditionStatusBody *b)
{
  g_free (b->clinical_status);
  g_free (b->verification_status);
  g_free (b->reason);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_condition_status (const char *body, gsize len, ThConditionStatusBody *out, GError **error)
{
  const char *clinical = NULL, *verification = NULL, *reason = NULL;
  json_error_t jerr;
  json_t *obj;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s?s, s?s}", "clinical_status", &clinical,
                      "verification_status", &verification, "reason", &reason) != 0 ||
      (!clinical && !verification)) {
    bad (error, "Choose the diagnosis's new status or verification. Nothing was changed.");
    goto out;
  }
  if ((clinical && !rx_condition_clinical_valid (clinical)) ||
      (verification && !rx_condition_verification_valid (verification))) {
    bad (error, "The status must be active, recurrence, relapse, inactive, remission or "
                "resolved, and the verification unconfirmed, provisional, differential, "
                "confirmed, refuted or entered-in-error. Nothing was changed.");
    goto out;
  }
  if ((reason && !filled (reason, MAX_REASON)) ||
      (!reason && g_strcmp0 (verification, "entered-in-error") == 0)) {
    bad (error, "Say why the diagnosis was entered in error (1 to 1000 characters). Nothing "
                "was changed.");
    goto out;
  }
  out->clinical_status = g_strdup (clinical);
  out->verification_status = g_strdup (verification);
  out->reason = g_strdup (reason);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* ------------------------------------------------------------ allergies */

void
th_allergy_body_clear (ThAllergyBody *b)
{
  g_free (b->substance);
  g_free (b->substance_kind);
  g_free (b->type);
  g_free (b->manifestation);
  g_free (b->reaction);
  g_free (b->severity);
  g_free (b->criticality);
  g_free (b->visit_id);
  memset (b, 0, sizeof *b);
}

/* The words of an allergy other than its substance. */
static gboolean
allergy_words_ok (const char *kind, const char *type, const char *manifestation,
                  const char *severity, const char *criticality, const char *reaction,
                  GError **error)
{
  static const char *const kinds[] = { "ingredient", "class", "other", NULL };

  if ((kind && !g_strv_contains (kinds, kind)) || !rx_allergy_type_valid (type)) {
    bad (error, "Say whether it is an allergy or an intolerance, and whether the substance is "
                "a medicine, a class of medicines or something else. Nothing was saved.");
    return FALSE;
  }
  if (manifestation && !rx_manifestation_find (manifestation)) {
    bad (error, "The reaction must be one of: rash, Stevens-Johnson syndrome / TEN, "
                "anaphylaxis, angioedema, hives, or other. Nothing was saved.");
    return FALSE;
  }
  if ((severity && !rx_allergy_severity_valid (severity)) ||
      (criticality && !rx_allergy_criticality_valid (criticality))) {
    bad (error, "The severity must be mild, moderate or severe, and the risk of a future "
                "reaction low, high or unable to assess. Nothing was saved.");
    return FALSE;
  }
  if (reaction && !filled (reaction, MAX_REASON)) {
    bad (error, "Describe the reaction in 1 to 1000 characters, or leave it out. Nothing was "
                "saved.");
    return FALSE;
  }
  return TRUE;
}

gboolean
th_body_allergy (const char *body, gsize len, ThAllergyBody *out, GError **error)
{
  const char *substance = NULL, *kind = NULL, *type = "allergy", *manifestation = NULL;
  const char *reaction = NULL, *severity = NULL, *criticality = NULL, *onset = NULL;
  const char *visit = NULL;
  json_error_t jerr;
  json_t *obj;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s}",
                      "substance", &substance, "substance_kind", &kind, "type", &type,
                      "manifestation", &manifestation, "reaction", &reaction, "severity", &severity,
                      "criticality", &criticality, "onset", &onset, "visit_id", &visit) != 0) {
    bad (error, "The allergy could not be read: send the substance, allergy or intolerance, "
                "and the reaction. Nothing was saved.");
    goto out;
  }
  if (!filled (substance, MAX_SUBSTANCE)) {
    bad (error, "An allergy needs its substance: a medicine from the clinic's list, a class "
                "of medicines, or the name of something else (up to 200 characters). Nothing "
                "was saved.");
    goto out;
  }
  if (!allergy_words_ok (kind, type, manifestation, severity, criticality, reaction, error) ||
      !optional_date (onset, "The date of the reaction", &out->has_onset, &out->onset, error) ||
      !optional_id (visit, error))
    goto out;
  out->substance = g_strstrip (g_strdup (substance));
  out->substance_kind = g_strdup (kind);
  out->type = g_strdup (type);
  out->manifestation = g_strdup (manifestation);
  out->reaction = g_strdup (reaction);
  out->severity = g_strdup (severity);
  out->criticality = g_strdup (criticality);
  out->visit_id = g_strdup (visit);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

void
th_allergy_status_body_clear (ThAllergyStatusBody *b)
{
  g_free (b->status);
  g_free (b->reason);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_allergy_status (const char *body, gsize len, ThAllergyStatusBody *out, GError **error)
{
  const char *status = NULL, *reason = NULL;
  json_error_t jerr;
  json_t *obj;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s?s}", "status", &status, "reason",
                      &reason) != 0 ||
      !rx_allergy_status_valid (status)) {
    bad (error, "Choose the new status: active, inactive, resolved or entered in error. "
                "Nothing was changed.");
    goto out;
  }
  if ((reason && !filled (reason, MAX_REASON)) ||
      (!reason && strcmp (status, "entered-in-error") == 0)) {
    bad (error, "Say why the entry was made in error (1 to 1000 characters). Nothing was "
                "changed.");
    goto out;
  }
  out->status = g_strdup (status);
  out->reason = g_strdup (reason);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}
