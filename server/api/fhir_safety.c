/* fhir_safety.c — a patient's item-9 safety tasks in a FHIR R4 Bundle
 * (issue 14): a Flag while a task is open; for a closed task, an
 * Observation per C-SSRS screener answer and one for the risk level.
 *
 * Codes: the C-SSRS Screen Version items are LOINC 93246-7 .. 93250-9
 * (questions 1-5), 93267-3 (question 6) and 93269-9 ("within the past 3
 * months"), answered with LOINC LA33-6 Yes / LA32-8 No; the risk level is
 * LOINC 93374-7 "Suicide risk level" — the codes the HL7 US Behavioral
 * Health Profiles IG uses for this instrument. The level's value is text
 * only: LOINC's answer code for "Low" (LA9194-7) is confirmed, those for
 * moderate and high could not be, and a half-coded value set would mislead
 * a receiver more than plain text does. The plan is not exported (no
 * receiving profile for it was agreed); it stays on the record.
 *
 * Who closed the task is named by identifier and display, not by a
 * reference: the bundle this is added to may not carry that Practitioner.
 * The PHQ-9 item-9 answer itself is already in the export (fhir_checkin.c). */
#define G_LOG_DOMAIN "th-fhir"

#include "server/api/api-private.h"
#include "server/api/fhir-private.h"

#include <string.h>

#define FLAG_ID_PREFIX "safety-task"

static json_t *
yes_no (gboolean yes)
{
  return json_pack ("{s:[o], s:s}", "coding",
                    yes ? fhir_coding (LOINC_SYSTEM, "LA33-6", "Yes")
                        : fhir_coding (LOINC_SYSTEM, "LA32-8", "No"),
                    "text", yes ? "Yes" : "No");
}

/* An Observation of the closed screen, as of its closing. */
static json_t *
screen_observation (const StoreSafetyTask *t, const char *loinc, const char *display)
{
  json_t *obs = json_object ();

  json_object_set_new (obs, "status", json_string ("final"));
  json_object_set_new (obs, "category",
                       json_pack ("[{s:[o]}]", "coding",
                                  fhir_coding (OBS_CATEGORY_SYSTEM, "survey", "Survey")));
  json_object_set_new (obs, "code",
                       json_pack ("{s:[o], s:s}", "coding",
                                  fhir_coding (LOINC_SYSTEM, loinc, display), "text", display));
  json_object_set_new (obs, "subject", fhir_reference ("Patient", t->patient_id, NULL));
  fhir_set_time (obs, "effectiveDateTime", t->closed_at_ms);
  if (t->closed_by)
    json_object_set_new (obs, "performer",
                         json_pack ("[{s:{s:s, s:s}, s:s}]", "identifier", "system",
                                    STAFF_ID_SYSTEM, "value", t->closed_by, "display",
                                    t->closed_by_name ? t->closed_by_name : ""));
  return obs;
}

static void
add_flag (FhirExport *ex, const StoreSafetyTask *t)
{
  g_autofree char *id = fhir_id (FLAG_ID_PREFIX, t->id);
  json_t *flag = json_object (), *period = json_object ();

  json_object_set_new (flag, "status", json_string ("active"));
  json_object_set_new (flag, "category",
                       json_pack ("[{s:[o]}, {s:[o]}]", "coding",
                                  fhir_coding (FLAG_CATEGORY_SYSTEM, "safety", "Safety"), "coding",
                                  fhir_coding (FLAG_CATEGORY_SYSTEM, "clinical", "Clinical")));
  json_object_set_new (flag, "code",
                       fhir_text_concept ("Suicide-risk follow-up open: PHQ-9 item 9 answered "
                                          "above 0; a C-SSRS screen is not yet recorded."));
  json_object_set_new (flag, "subject", fhir_reference ("Patient", t->patient_id, NULL));
  fhir_set_time (period, "start", t->opened_at_ms);
  json_object_set_new (flag, "period", period);
  fhir_add_entry (ex, "Flag", id, flag);
}

/* A closed task: each answered question, then the risk level. FALSE when
 * the stored screen cannot be read (the export would misstate it). */
static gboolean
add_screen (FhirExport *ex, const StoreSafetyTask *t, GError **error)
{
  json_t *screen = t->screen ? json_loads (t->screen, 0, NULL) : NULL;
  json_t *risk;
  g_autofree char *risk_id = NULL;
  g_autofree char *risk_text = NULL;

  if (!json_is_object (screen) || !t->risk_level) {
    json_decref (screen);
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "a closed safety task's screen is malformed");
    return FALSE;
  }
  for (guint i = 0; cssrs_question (i); i++) {
    const CssrsQuestion *q = cssrs_question (i);
    json_t *answer = json_object_get (screen, q->code), *obs;
    g_autofree char *id = NULL;
    if (!json_is_boolean (answer))
      continue; /* not asked (Q3-Q5 after Q2 no; past 3 months after Q6 no) */
    obs = screen_observation (t, q->loinc, q->title);
    json_object_set_new (obs, "valueCodeableConcept", yes_no (json_is_true (answer)));
    id = fhir_id ("cssrs", t->id);
    {
      g_autofree char *item_id = fhir_id (id, q->code);
      fhir_add_entry (ex, "Observation", item_id, obs);
    }
  }
  json_decref (screen);
  risk = screen_observation (t, "93374-7", "Suicide risk level");
  risk_text = g_strdup_printf ("%c%s risk", g_ascii_toupper (t->risk_level[0]), t->risk_level + 1);
  json_object_set_new (risk, "valueCodeableConcept", fhir_text_concept (risk_text));
  if (t->suggested_risk && g_strcmp0 (t->suggested_risk, t->risk_level) != 0) {
    g_autofree char *note = g_strdup_printf ("The C-SSRS screener's triage suggested %s risk; the "
                                             "clinician recorded %s%s%s.",
                                             t->suggested_risk, t->risk_level,
                                             t->risk_reason ? ": " : "",
                                             t->risk_reason ? t->risk_reason : "");
    json_object_set_new (risk, "note", json_pack ("[{s:s}]", "text", note));
  }
  risk_id = fhir_id ("cssrs-risk", t->id);
  fhir_add_entry (ex, "Observation", risk_id, risk);
  return TRUE;
}

gboolean
th_fhir_patient_add_safety (ThApp *app, const char *patient_id, json_t *entries, GError **error)
{
  g_autoptr (GPtrArray) tasks = NULL;
  FhirExport ex = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (json_is_array (entries), FALSE);
  if (!(tasks = store_list_safety_tasks (app->store, patient_id, error)))
    return FALSE;
  fhir_export_begin (&ex, app->base_url, patient_id, entries);
  for (guint i = 0; i < tasks->len; i++) {
    const StoreSafetyTask *t = g_ptr_array_index (tasks, i);
    if (!t->closed_at_ms)
      add_flag (&ex, t);
    else if (!add_screen (&ex, t, error))
      goto out;
  }
  ok = TRUE;
out:
  fhir_export_end (&ex);
  return ok;
}
