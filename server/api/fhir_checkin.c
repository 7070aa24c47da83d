/* fhir_checkin.c — the check-in in the visit's FHIR Bundle: a
 * QuestionnaireResponse and an Observation per scale, PHQ-9 item 9 as its own
 * Observation and a safety Flag. */
#define G_LOG_DOMAIN "th-fhir"

#include "server/api/fhir-private.h"

#include <string.h>

/* ------------------------------------------------------------ check-in */

/* LOINC item codes of the PHQ-9 panel (44249-1) and the GAD-7 panel
 * (69737-5), in the forms' order; the answers of both forms share one LOINC
 * answer list (LA6568-5 .. LA6571-9). Source: LOINC (loinc.org), as used by
 * the NLM LHC-Forms and HL7 US Core PHQ-9 examples; each code's LOINC check
 * digit verified. */
static const char *const kPhq9ItemCodes[9] = {
  "44250-9", /* little interest or pleasure */
  "44255-8", /* feeling down, depressed, or hopeless */
  "44259-0", /* trouble falling or staying asleep, or sleeping too much */
  "44254-1", /* feeling tired or having little energy */
  "44251-7", /* poor appetite or overeating */
  "44258-2", /* feeling bad about yourself */
  "44252-5", /* trouble concentrating */
  "44253-3", /* moving or speaking slowly, or fidgety */
  "44260-8", /* thoughts that you would be better off dead or of hurting yourself */
};
static const char *const kGad7ItemCodes[7] = {
  "69725-0", /* feeling nervous, anxious, or on edge */
  "68509-9", /* not being able to stop or control worrying */
  "69733-4", /* worrying too much about different things */
  "69734-2", /* trouble relaxing */
  "69735-9", /* being so restless that it is hard to sit still */
  "69689-8", /* becoming easily annoyed or irritable */
  "69736-7", /* feeling afraid as if something awful might happen */
};
static const struct {
  const char *code, *display;
} kFrequencyAnswers[4] = {
  { "LA6568-5", "Not at all" },
  { "LA6569-3", "Several days" },
  { "LA6570-1", "More than half the days" },
  { "LA6571-9", "Nearly every day" },
};
#define PHQ9_ITEM9_LOINC "44260-8"

typedef struct {
  ScaleKind kind;
  const char *questionnaire;     /* canonical URL */
  const char *const *item_codes; /* LOINC item codes, NULL: linkIds "1".."n" */
  const char *total_display;     /* LOINC display of the total, NULL when none */
  const char *code_text;
} ScaleExport;

static const ScaleExport kScaleExports[] = {
  { SCALE_PHQ9, "http://loinc.org/q/44249-1", kPhq9ItemCodes,
    "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]", "PHQ-9 total score" },
  { SCALE_GAD7, "http://loinc.org/q/69737-5", kGad7ItemCodes,
    "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]", "GAD-7 total score" },
  { SCALE_ASRS_A, OWN_QUESTIONNAIRE_BASE "asrs-v1.1-part-a", NULL, NULL,
    "ASRS v1.1 Part A screener: items in the shaded boxes (0-6; 4 or more is positive)" },
  { SCALE_ASRS18, OWN_QUESTIONNAIRE_BASE "asrs-v1.1-symptom-checklist", NULL, NULL,
    "ASRS v1.1 Symptom Checklist (18 items), since the last visit" },
};

static const ScaleExport *
scale_export (ScaleKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kScaleExports); i++) {
    if (kScaleExports[i].kind == kind)
      return &kScaleExports[i];
  }
  return NULL;
}

static json_t *
frequency_answer (gint value)
{
  if (value < 0 || value >= (gint) G_N_ELEMENTS (kFrequencyAnswers))
    return NULL;
  return fhir_coding (LOINC_SYSTEM, kFrequencyAnswers[value].code,
                      kFrequencyAnswers[value].display);
}

json_t *
fhir_phq9_answer (gint value)
{
  return frequency_answer (value);
}

static void
add_questionnaire_response (FhirExport *ex, const StoreCheckin *checkin, const StoreScaleResult *s,
                            const ScaleExport *se, const char *id)
{
  json_t *qr = json_object (), *items = json_array ();
  guint n = MIN (s->n_items, (guint) G_N_ELEMENTS (s->items));

  json_object_set_new (qr, "questionnaire", json_string (se->questionnaire));
  json_object_set_new (qr, "status", json_string ("completed"));
  json_object_set_new (qr, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  json_object_set_new (qr, "encounter", fhir_reference ("Encounter", ex->visit_id, NULL));
  fhir_set_time (qr, "authored", checkin->submitted_at_ms);
  json_object_set_new (qr, "author", fhir_reference ("Patient", ex->patient_id, NULL));
  for (guint i = 0; i < n; i++) {
    char link[16];
    json_t *answer = json_object (), *item = json_object ();
    json_t *value = se->item_codes ? frequency_answer (s->items[i]) : NULL;

    g_snprintf (link, sizeof link, "%u", i + 1);
    if (value)
      json_object_set_new (answer, "valueCoding", value);
    else
      json_object_set_new (answer, "valueInteger", json_integer (s->items[i]));
    json_object_set_new (item, "linkId",
                         json_string (se->item_codes && value ? se->item_codes[i] : link));
    json_object_set_new (item, "answer", json_pack ("[o]", answer));
    json_array_append_new (items, item);
  }
  json_object_set_new (qr, "item", items);
  fhir_add_entry (ex, "QuestionnaireResponse", id, qr);
}

/* The fields every check-in Observation shares. */
static json_t *
survey_observation (FhirExport *ex, const StoreCheckin *checkin, json_t *code, const char *qr_id)
{
  json_t *obs = json_object (), *category = json_object ();

  json_object_set_new (obs, "status", json_string ("final"));
  json_object_set_new (category, "coding",
                       json_pack ("[o]", fhir_coding (OBS_CATEGORY_SYSTEM, "survey", "Survey")));
  json_object_set_new (obs, "category", json_pack ("[o]", category));
  json_object_set_new (obs, "code", code);
  json_object_set_new (obs, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  json_object_set_new (obs, "encounter", fhir_reference ("Encounter", ex->visit_id, NULL));
  fhir_set_time (obs, "effectiveDateTime", checkin->submitted_at_ms);
  json_object_set_new (obs, "derivedFrom",
                       json_pack ("[o]", fhir_reference ("QuestionnaireResponse", qr_id, NULL)));
  return obs;
}

static json_t *
subscale_component (const char *text, guint value)
{
  return json_pack ("{s:{s:s}, s:i}", "code", "text", text, "valueInteger", (json_int_t) value);
}

static void
add_observation (FhirExport *ex, const StoreCheckin *checkin, const StoreScaleResult *s,
                 const ScaleExport *se, const char *id)
{
  json_t *code = json_object (), *obs;
  const char *loinc = scale_loinc_total (se->kind);
  ScaleScore score = { 0 };
  gboolean scored = scale_score (se->kind, s->items, s->n_items, &score, NULL);

  if (loinc)
    json_object_set_new (code, "coding",
                         json_pack ("[o]", fhir_coding (LOINC_SYSTEM, loinc, se->total_display)));
  json_object_set_new (code, "text", json_string (se->code_text));
  obs = survey_observation (ex, checkin, code, id);
  if (se->kind == SCALE_ASRS18 && scored) {
    /* Kessler et al. 2005 (WHO ASRS v1.1): two subscales, 0-36 each. */
    json_object_set_new (
      obs, "component",
      json_pack ("[o, o]",
                 subscale_component ("Inattentive subscale (items 1-4, 7-11), 0-36",
                                     score.inattentive),
                 subscale_component ("Hyperactive/impulsive subscale (items 5-6, 12-18), 0-36",
                                     score.hyperactive)));
  } else if (se->kind == SCALE_ASRS_A && scored) {
    /* A screener is read by its shaded items, not the sum of its answers. */
    json_object_set_new (obs, "valueInteger", json_integer (score.flags));
  } else {
    json_object_set_new (obs, "valueInteger", json_integer (s->total));
  }
  if (s->band && *s->band)
    json_object_set_new (obs, "interpretation", json_pack ("[o]", fhir_text_concept (s->band)));
  if (se->kind == SCALE_PHQ9 && (s->alert || (s->n_items >= 9 && s->items[8] > 0)))
    json_object_set_new (obs, "note",
                         json_pack ("[{s:s}]", "text",
                                    "Item 9 (thoughts of self-harm) answered above 0"));
  fhir_add_entry (ex, "Observation", id, obs);
}

/* PHQ-9 item 9 as its own Observation, coded so a receiving system can act
 * on it; above 0, abnormal, and a clinical safety Flag on the patient. The
 * answer opened a safety task (issue 14): once a clinician has closed it
 * with a C-SSRS screen (`closed_at_ms` > 0), the Flag is inactive with
 * that end, so a receiver does not keep showing an alert someone has
 * answered; the Flag itself stays, as history. */
static void
add_item9 (FhirExport *ex, const StoreCheckin *checkin, const StoreScaleResult *s,
           const char *qr_id, gint64 closed_at_ms)
{
  g_autofree char *id = NULL;
  json_t *code, *obs, *value;
  gint answer;
  gboolean above;

  if (s->n_items < 9 || !(value = frequency_answer (s->items[8])))
    return;
  answer = s->items[8];
  above = answer > 0;
  id = fhir_id (qr_id, "item9");
  code = json_object ();
  json_object_set_new (code, "coding",
                       json_pack ("[o]",
                                  fhir_coding (LOINC_SYSTEM, PHQ9_ITEM9_LOINC,
                                               "Thoughts that you would be better off dead, or of "
                                               "hurting yourself in some way")));
  json_object_set_new (code, "text", json_string ("PHQ-9 item 9: thoughts of death or self-harm"));
  obs = survey_observation (ex, checkin, code, qr_id);
  json_object_set_new (obs, "valueCodeableConcept", json_pack ("{s:[o]}", "coding", value));
  json_object_set_new (obs, "interpretation",
                       json_pack ("[{s:[o], s:s}]", "coding",
                                  above ? fhir_coding (OBS_INTERP_SYSTEM, "A", "Abnormal")
                                        : fhir_coding (OBS_INTERP_SYSTEM, "N", "Normal"),
                                  "text",
                                  above ? "Thoughts of death or self-harm reported: assess safety"
                                        : "No thoughts of death or self-harm reported"));
  fhir_add_entry (ex, "Observation", id, obs);
  if (above) {
    json_t *flag = json_object (), *period = json_object ();

    json_object_set_new (flag, "status", json_string (closed_at_ms > 0 ? "inactive" : "active"));
    json_object_set_new (flag, "category",
                         json_pack ("[{s:[o]}]", "coding",
                                    fhir_coding (FLAG_CATEGORY_SYSTEM, "safety", "Safety")));
    json_object_set_new (flag, "code",
                         json_pack ("{s:[o], s:s}", "coding",
                                    fhir_coding (LOINC_SYSTEM, PHQ9_ITEM9_LOINC, NULL), "text",
                                    "Suicide risk: PHQ-9 item 9 answered above 0. Assess safety."));
    json_object_set_new (flag, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
    fhir_set_time (period, "start", checkin->submitted_at_ms);
    if (closed_at_ms > 0)
      fhir_set_time (period, "end", closed_at_ms);
    json_object_set_new (flag, "period", period);
    json_object_set_new (flag, "encounter", fhir_reference ("Encounter", ex->visit_id, NULL));
    fhir_add_entry (ex, "Flag", id, flag);
  }
}

/* When the safety task a check-in's item 9 opened was closed (0: open, or
 * none). FALSE when the tasks cannot be read: the Flag's status would be
 * a guess. */
static gboolean
item9_closed_at (Store *store, const char *patient_id, const char *checkin_id, gint64 *out,
                 GError **error)
{
  g_autoptr (GPtrArray) tasks = store_list_safety_tasks (store, patient_id, error);

  *out = 0;
  if (!tasks)
    return FALSE;
  for (guint i = 0; i < tasks->len; i++) {
    const StoreSafetyTask *t = g_ptr_array_index (tasks, i);
    if (g_strcmp0 (t->checkin_id, checkin_id) == 0)
      *out = t->closed_at_ms;
  }
  return TRUE;
}

/* The latest check-in: none is not an error, the bundle just has no scores. */
gboolean
fhir_add_checkin (FhirExport *ex, Store *store, GError **error)
{
  StoreCheckin checkin = { 0 };
  GError *local = NULL;
  gint64 closed_at_ms = 0;

  if (!store_get_latest_checkin (store, ex->visit_id, &checkin, &local)) {
    if (g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      g_clear_error (&local);
      return TRUE;
    }
    g_propagate_error (error, local);
    return FALSE;
  }
  for (guint i = 0; checkin.scales && i < checkin.scales->len; i++) {
    const StoreScaleResult *s = g_ptr_array_index (checkin.scales, i);
    const ScaleExport *se;
    ScaleKind kind;
    char *id;

    if (!scale_from_name (s->scale, &kind) || !(se = scale_export (kind))) {
      g_warning ("check-in %s: unknown scale %s left out of the export", checkin.id, s->scale);
      continue;
    }
    id = fhir_id (checkin.id, scale_name (kind));
    add_questionnaire_response (ex, &checkin, s, se, id);
    add_observation (ex, &checkin, s, se, id);
    if (kind == SCALE_PHQ9) {
      if (!item9_closed_at (store, ex->patient_id, checkin.id, &closed_at_ms, error)) {
        g_free (id);
        store_checkin_clear (&checkin);
        return FALSE;
      }
      add_item9 (ex, &checkin, s, id, closed_at_ms);
    }
    g_free (id);
  }
  store_checkin_clear (&checkin);
  return TRUE;
}
