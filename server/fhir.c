/* fhir.c — FHIR R4 export of one visit as a Bundle of type "collection".
 *
 * Every resource is built from the store as it stands; nothing is cached.
 * References use the relative "Type/id" form and every one of them resolves
 * to an entry of the bundle: the Patient, the visit's provider and every
 * other prescriber (Practitioner), the Encounter, and each order that an
 * exported order replaces, followed back to the start of the chain.
 *
 * Choices worth knowing:
 *  - one QuestionnaireResponse per scale of the latest check-in (each points
 *    at its own questionnaire), with one Observation per scale total derived
 *    from it; both share the id "<checkin id>-<scale>". PHQ-9 and GAD-7 use
 *    the LOINC forms' item codes as linkIds and LOINC answer codes; the ASRS
 *    (no LOINC form confirmed) points at the project's own questionnaire;
 *  - PHQ-9 item 9 is also its own Observation (LOINC 44260-8) and, above 0,
 *    a safety Flag, so a receiving system can act on it without parsing text;
 *  - the visit's orders are those with an event in it: written in it, or
 *    stopped in it (an earlier visit's order stopped now must reach the
 *    receiving record as stopped), with their status as of the export;
 *  - a co-signed order gets a Provenance naming the co-signer as verifier;
 *  - a visit ended without ever being in progress is exported "cancelled";
 *  - orders replaced by an order of this visit but written in an earlier
 *    visit carry no encounter (that Encounter is not in the bundle).
 */
#define G_LOG_DOMAIN "th-fhir"

#include "server/fhir.h"

#include <string.h>

#define LOINC_SYSTEM "http://loinc.org"
#define RXNORM_SYSTEM "http://www.nlm.nih.gov/research/umls/rxnorm"
#define UCUM_SYSTEM "http://unitsofmeasure.org"
#define ACT_CODE_SYSTEM "http://terminology.hl7.org/CodeSystem/v3-ActCode"
#define OBS_CATEGORY_SYSTEM "http://terminology.hl7.org/CodeSystem/observation-category"
#define OBS_INTERP_SYSTEM "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
#define FLAG_CATEGORY_SYSTEM "http://terminology.hl7.org/CodeSystem/flag-category"
#define PROVENANCE_AGENT_SYSTEM "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
/* The project's own questionnaires (no LOINC form for the ASRS could be
 * confirmed); canonical URLs, not resolvable links. */
#define OWN_QUESTIONNAIRE_BASE "urn:telehealth:questionnaire:"
#define PATIENT_ID_SYSTEM "urn:telehealth:patient"
#define STAFF_ID_SYSTEM "urn:telehealth:staff"
#define DEFAULT_BASE_URL "http://localhost"
/* How far back a chain of replaced orders is followed (a guard, not a rule). */
#define MAX_ORDER_CHAIN 1000

typedef struct {
  json_t *entries;          /* the bundle's entry array (owned) */
  char *base;               /* base url without a trailing slash */
  GHashTable *practitioners;/* staff ids already in the bundle */
  GHashTable *orders;       /* order ids already in the bundle */
  const char *patient_id;
  const char *visit_id;
} Export;

/* ------------------------------------------------------------ helpers */

static char *
fhir_time (gint64 ms)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (ms / 1000);
  char *text;

  if (!dt)
    return g_strdup ("1970-01-01T00:00:00.000Z");
  text = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", g_date_time_get_year (dt),
                          g_date_time_get_month (dt), g_date_time_get_day_of_month (dt),
                          g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                          g_date_time_get_second (dt), (int) (ms % 1000));
  g_date_time_unref (dt);
  return text;
}

/* FHIR ids are [A-Za-z0-9.-]{1,64}: anything else becomes '-'. */
static char *
fhir_id (const char *a, const char *b)
{
  char *id = b ? g_strdup_printf ("%s-%s", a, b) : g_strdup (a);

  for (char *p = id; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      *p = '-';
  }
  return id;
}

/* Sets key to a string when there is one; NULL values are left out. */
static void
set_str (json_t *obj, const char *key, const char *value)
{
  if (value && *value)
    json_object_set_new (obj, key, json_string (value));
}

static void
set_time (json_t *obj, const char *key, gint64 ms)
{
  char *text = fhir_time (ms);

  json_object_set_new (obj, key, json_string (text));
  g_free (text);
}

static json_t *
reference (const char *type, const char *id, const char *display)
{
  char *ref = g_strdup_printf ("%s/%s", type, id);
  json_t *obj = json_object ();

  json_object_set_new (obj, "reference", json_string (ref));
  set_str (obj, "display", display);
  g_free (ref);
  return obj;
}

static json_t *
text_concept (const char *text)
{
  json_t *obj = json_object ();

  json_object_set_new (obj, "text", json_string (text ? text : ""));
  return obj;
}

static json_t *
coding (const char *system, const char *code, const char *display)
{
  json_t *obj = json_object ();

  set_str (obj, "system", system);
  set_str (obj, "code", code);
  set_str (obj, "display", display);
  return obj;
}

/* Appends {fullUrl, resource}; takes the resource. */
static void
add_entry (Export *ex, const char *type, const char *id, json_t *resource)
{
  char *url = g_strdup_printf ("%s/fhir/%s/%s", ex->base, type, id);
  json_t *entry = json_object (), *full = json_object ();

  /* resourceType and id first, for readers. */
  json_object_set_new (full, "resourceType", json_string (type));
  json_object_set_new (full, "id", json_string (id));
  json_object_update (full, resource);
  json_decref (resource);
  json_object_set_new (entry, "fullUrl", json_string (url));
  json_object_set_new (entry, "resource", full);
  json_array_append_new (ex->entries, entry);
  g_free (url);
}

/* ------------------------------------------------------------ people */

static const char *
role_text (const char *role)
{
  static const struct {
    const char *code, *text;
  } roles[] = {
    { "psychiatrist", "psychiatrist" },
    { "pmhnp", "psychiatric mental health nurse practitioner" },
    { "pa", "physician assistant" },
    { "pcp", "primary care physician" },
    { "admin", "administrator" },
  };

  for (gsize i = 0; role && i < G_N_ELEMENTS (roles); i++) {
    if (strcmp (role, roles[i].code) == 0)
      return roles[i].text;
  }
  return role;
}

static gboolean
add_patient (Export *ex, Store *store, GError **error)
{
  char *name = NULL, *birth_date = NULL;
  json_t *patient, *identifier;

  if (!store_get_patient (store, ex->patient_id, &name, error) ||
      !store_get_patient_birth_date (store, ex->patient_id, &birth_date, error)) {
    g_free (name);
    return FALSE;
  }
  patient = json_object ();
  identifier = json_object ();
  json_object_set_new (identifier, "system", json_string (PATIENT_ID_SYSTEM));
  json_object_set_new (identifier, "value", json_string (ex->patient_id));
  json_object_set_new (patient, "identifier", json_pack ("[o]", identifier));
  json_object_set_new (patient, "name", json_pack ("[o]", text_concept (name)));
  /* A calendar date as stored ("YYYY-MM-DD"); none on record, none exported. */
  set_str (patient, "birthDate", birth_date);
  add_entry (ex, "Patient", ex->patient_id, patient);
  g_free (name);
  g_free (birth_date);
  return TRUE;
}

/* Adds the staff member once, whoever refers to them first. */
static gboolean
add_practitioner (Export *ex, Store *store, const char *staff_id, GError **error)
{
  char *name = NULL, *role = NULL;
  json_t *practitioner, *identifier;

  if (!staff_id || g_hash_table_contains (ex->practitioners, staff_id))
    return TRUE;
  if (!store_get_staff (store, staff_id, &name, &role, error))
    return FALSE;
  practitioner = json_object ();
  identifier = json_object ();
  json_object_set_new (identifier, "system", json_string (STAFF_ID_SYSTEM));
  json_object_set_new (identifier, "value", json_string (staff_id));
  json_object_set_new (practitioner, "identifier", json_pack ("[o]", identifier));
  json_object_set_new (practitioner, "name", json_pack ("[o]", text_concept (name)));
  if (role) {
    json_t *qualification = json_object ();

    json_object_set_new (qualification, "code", text_concept (role_text (role)));
    json_object_set_new (practitioner, "qualification", json_pack ("[o]", qualification));
  }
  add_entry (ex, "Practitioner", staff_id, practitioner);
  g_hash_table_add (ex->practitioners, g_strdup (staff_id));
  g_free (name);
  g_free (role);
  return TRUE;
}

/* ------------------------------------------------------------ encounter */

static gboolean
add_encounter (Export *ex, Store *store, const StoreVisit *visit, GError **error)
{
  GPtrArray *timeline = NULL;
  gint64 start_ms = -1, end_ms = -1;
  const char *status = "unknown";
  json_t *encounter, *period, *participant;
  gboolean ok = FALSE;

  timeline = store_visit_timeline (store, visit->id, error);
  if (!timeline)
    goto out;
  for (guint i = 0; i < timeline->len; i++) {
    const StoreVisitEvent *e = g_ptr_array_index (timeline, i);

    if (g_strcmp0 (e->kind, "state") != 0 || !e->state)
      continue;
    if (strcmp (e->state, "in_progress") == 0 && start_ms < 0)
      start_ms = e->at_ms;
    else if (strcmp (e->state, "ended") == 0)
      end_ms = e->at_ms;
  }

  switch (visit->state) {
  case VISIT_SCHEDULED:
    status = "planned";
    break;
  case VISIT_WAITING:
    status = "arrived";
    break;
  case VISIT_IN_PROGRESS:
    status = "in-progress";
    break;
  case VISIT_ENDED:
    status = start_ms >= 0 ? "finished" : "cancelled";
    break;
  }

  encounter = json_object ();
  json_object_set_new (encounter, "status", json_string (status));
  json_object_set_new (encounter, "class", coding (ACT_CODE_SYSTEM, "VR", "virtual"));
  if (visit->modality)
    json_object_set_new (encounter, "type", json_pack ("[o]", text_concept (visit->modality)));
  json_object_set_new (encounter, "subject",
                       reference ("Patient", visit->patient_id, visit->patient_name));
  participant = json_object ();
  json_object_set_new (participant, "individual",
                       reference ("Practitioner", visit->provider_id, visit->provider_name));
  json_object_set_new (encounter, "participant", json_pack ("[o]", participant));
  period = json_object ();
  if (start_ms >= 0) {
    set_time (period, "start", start_ms);
    if (end_ms >= 0)
      set_time (period, "end", end_ms);
  } else {
    set_time (period, "start", visit->scheduled_at_ms);
  }
  json_object_set_new (encounter, "period", period);
  add_entry (ex, "Encounter", visit->id, encounter);
  ok = TRUE;
out:
  if (timeline)
    g_ptr_array_unref (timeline);
  return ok;
}

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
  const char *questionnaire;      /* canonical URL */
  const char *const *item_codes;  /* LOINC item codes, NULL: linkIds "1".."n" */
  const char *total_display;      /* LOINC display of the total, NULL when none */
  const char *code_text;
} ScaleExport;

static const ScaleExport kScaleExports[] = {
  { SCALE_PHQ9, "http://loinc.org/q/44249-1", kPhq9ItemCodes,
    "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]", "PHQ-9 total score" },
  { SCALE_GAD7, "http://loinc.org/q/69737-5", kGad7ItemCodes,
    "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
    "GAD-7 total score" },
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
  return coding (LOINC_SYSTEM, kFrequencyAnswers[value].code, kFrequencyAnswers[value].display);
}

static void
add_questionnaire_response (Export *ex, const StoreCheckin *checkin, const StoreScaleResult *s,
                            const ScaleExport *se, const char *id)
{
  json_t *qr = json_object (), *items = json_array ();
  guint n = MIN (s->n_items, (guint) G_N_ELEMENTS (s->items));

  json_object_set_new (qr, "questionnaire", json_string (se->questionnaire));
  json_object_set_new (qr, "status", json_string ("completed"));
  json_object_set_new (qr, "subject", reference ("Patient", ex->patient_id, NULL));
  json_object_set_new (qr, "encounter", reference ("Encounter", ex->visit_id, NULL));
  set_time (qr, "authored", checkin->submitted_at_ms);
  json_object_set_new (qr, "author", reference ("Patient", ex->patient_id, NULL));
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
  add_entry (ex, "QuestionnaireResponse", id, qr);
}

/* The fields every check-in Observation shares. */
static json_t *
survey_observation (Export *ex, const StoreCheckin *checkin, json_t *code, const char *qr_id)
{
  json_t *obs = json_object (), *category = json_object ();

  json_object_set_new (obs, "status", json_string ("final"));
  json_object_set_new (category, "coding",
                       json_pack ("[o]", coding (OBS_CATEGORY_SYSTEM, "survey", "Survey")));
  json_object_set_new (obs, "category", json_pack ("[o]", category));
  json_object_set_new (obs, "code", code);
  json_object_set_new (obs, "subject", reference ("Patient", ex->patient_id, NULL));
  json_object_set_new (obs, "encounter", reference ("Encounter", ex->visit_id, NULL));
  set_time (obs, "effectiveDateTime", checkin->submitted_at_ms);
  json_object_set_new (obs, "derivedFrom",
                       json_pack ("[o]", reference ("QuestionnaireResponse", qr_id, NULL)));
  return obs;
}

static json_t *
subscale_component (const char *text, guint value)
{
  return json_pack ("{s:{s:s}, s:i}", "code", "text", text, "valueInteger", (json_int_t) value);
}

static void
add_observation (Export *ex, const StoreCheckin *checkin, const StoreScaleResult *s,
                 const ScaleExport *se, const char *id)
{
  json_t *code = json_object (), *obs;
  const char *loinc = scale_loinc_total (se->kind);
  ScaleScore score = { 0 };
  gboolean scored = scale_score (se->kind, s->items, s->n_items, &score, NULL);

  if (loinc)
    json_object_set_new (code, "coding",
                         json_pack ("[o]", coding (LOINC_SYSTEM, loinc, se->total_display)));
  json_object_set_new (code, "text", json_string (se->code_text));
  obs = survey_observation (ex, checkin, code, id);
  if (se->kind == SCALE_ASRS18 && scored) {
    /* Kessler et al. 2005 (WHO ASRS v1.1): two subscales, 0-36 each. */
    json_object_set_new (obs, "component",
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
    json_object_set_new (obs, "interpretation", json_pack ("[o]", text_concept (s->band)));
  if (se->kind == SCALE_PHQ9 && (s->alert || (s->n_items >= 9 && s->items[8] > 0)))
    json_object_set_new (obs, "note",
                         json_pack ("[{s:s}]", "text",
                                    "Item 9 (thoughts of self-harm) answered above 0"));
  add_entry (ex, "Observation", id, obs);
}

/* PHQ-9 item 9 as its own Observation, coded so a receiving system can act
 * on it; above 0, abnormal, and a clinical safety Flag on the patient. */
static void
add_item9 (Export *ex, const StoreCheckin *checkin, const StoreScaleResult *s, const char *qr_id)
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
                       json_pack ("[o]", coding (LOINC_SYSTEM, PHQ9_ITEM9_LOINC,
                                                 "Thoughts that you would be better off dead, or of "
                                                 "hurting yourself in some way")));
  json_object_set_new (code, "text", json_string ("PHQ-9 item 9: thoughts of death or self-harm"));
  obs = survey_observation (ex, checkin, code, qr_id);
  json_object_set_new (obs, "valueCodeableConcept", json_pack ("{s:[o]}", "coding", value));
  json_object_set_new (obs, "interpretation",
                       json_pack ("[{s:[o], s:s}]", "coding",
                                  above ? coding (OBS_INTERP_SYSTEM, "A", "Abnormal")
                                        : coding (OBS_INTERP_SYSTEM, "N", "Normal"),
                                  "text",
                                  above ? "Thoughts of death or self-harm reported: assess safety"
                                        : "No thoughts of death or self-harm reported"));
  add_entry (ex, "Observation", id, obs);
  if (above) {
    json_t *flag = json_object (), *period = json_object ();

    json_object_set_new (flag, "status", json_string ("active"));
    json_object_set_new (flag, "category",
                         json_pack ("[{s:[o]}]", "coding",
                                    coding (FLAG_CATEGORY_SYSTEM, "safety", "Safety")));
    json_object_set_new (flag, "code",
                         json_pack ("{s:[o], s:s}", "coding",
                                    coding (LOINC_SYSTEM, PHQ9_ITEM9_LOINC, NULL), "text",
                                    "Suicide risk: PHQ-9 item 9 answered above 0. Assess safety."));
    json_object_set_new (flag, "subject", reference ("Patient", ex->patient_id, NULL));
    set_time (period, "start", checkin->submitted_at_ms);
    json_object_set_new (flag, "period", period);
    json_object_set_new (flag, "encounter", reference ("Encounter", ex->visit_id, NULL));
    add_entry (ex, "Flag", id, flag);
  }
}

/* The latest check-in: none is not an error, the bundle just has no scores. */
static gboolean
add_checkin (Export *ex, Store *store, GError **error)
{
  StoreCheckin checkin = { 0 };
  GError *local = NULL;

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
    if (kind == SCALE_PHQ9)
      add_item9 (ex, &checkin, s, id);
    g_free (id);
  }
  store_checkin_clear (&checkin);
  return TRUE;
}

/* ------------------------------------------------------------ orders */

static const char *
order_status (const char *status)
{
  if (g_strcmp0 (status, "pending") == 0)
    return "draft";
  if (g_strcmp0 (status, "stopped") == 0)
    return "stopped";
  if (g_strcmp0 (status, "entered-in-error") == 0)
    return "entered-in-error";
  /* A PA's order the supervisor declined never took effect (R4
   * medicationrequest-status "cancelled"). */
  if (g_strcmp0 (status, "declined") == 0)
    return "cancelled";
  if (g_strcmp0 (status, "active") == 0 || g_strcmp0 (status, "cosigned") == 0)
    return "active";
  return "unknown";
}

/* The UCUM code of the catalog's units, NULL when there is none. */
static const char *
ucum_unit (const char *unit)
{
  if (!unit)
    return NULL;
  if (strcmp (unit, "mg") == 0 || strcmp (unit, "g") == 0 || strcmp (unit, "mL") == 0)
    return unit;
  if (strcmp (unit, "mcg") == 0 || strcmp (unit, "ug") == 0 || strcmp (unit, "µg") == 0)
    return "ug";
  if (strcmp (unit, "ml") == 0)
    return "mL";
  return NULL;
}

/* Route codes: SNOMED CT, as in the FHIR R4 value set route-codes
 * (http://hl7.org/fhir/ValueSet/route-codes); the table is in
 * clinical_catalog.c. */
#define SNOMED_SYSTEM "http://snomed.info/sct"
/* Dispensed units: HL7 v3 orderable drug form. */
#define DRUG_FORM_SYSTEM "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"

static json_t *
ucum_quantity (double value, const char *unit)
{
  json_t *q = json_pack ("{s:f}", "value", value);
  const char *ucum = ucum_unit (unit);

  set_str (q, "unit", unit);
  if (ucum) {
    json_object_set_new (q, "system", json_string (UCUM_SYSTEM));
    json_object_set_new (q, "code", json_string (ucum));
  }
  return q;
}

/* One Dosage: `amount` per administration, `per_day` times every
 * `period_days` days (0: as needed), at `when` (MORN, HS) if given. */
static json_t *
one_dosage (const StoreOrder *o, const Medication *m, double amount, const char *text,
            guint per_day, guint period_days, const char *when)
{
  json_t *d = json_object ();
  GString *t = g_string_new (text);
  const char *snomed = med_route_snomed (o->route);

  /* Mixed amphetamine salts and the like: say what the amount is of, so a
   * reader cannot take salts for base. */
  if (m && m->dose_note)
    g_string_append_printf (t, " (%s)", m->dose_note);
  if (o->route)
    g_string_append_printf (t, ", %s", o->route);
  json_object_set_new (d, "sequence", json_integer (1));
  json_object_set_new (d, "text", json_string (t->str));
  g_string_free (t, TRUE);
  if (per_day > 0) {
    json_t *repeat = json_pack ("{s:i, s:i, s:s}", "frequency", (int) per_day, "period",
                                (int) period_days, "periodUnit", "d");
    if (when)
      json_object_set_new (repeat, "when", json_pack ("[s]", when));
    json_object_set_new (d, "timing", json_pack ("{s:o}", "repeat", repeat));
  } else {
    json_object_set_new (d, "asNeededBoolean", json_true ());
    if (o->prn_max_per_day > 0)
      json_object_set_new (d, "maxDosePerPeriod",
                           json_pack ("{s:o, s:o}", "numerator",
                                      ucum_quantity (amount * o->prn_max_per_day, o->unit),
                                      "denominator",
                                      json_pack ("{s:i, s:s, s:s, s:s}", "value", 1, "unit", "day",
                                                 "system", UCUM_SYSTEM, "code", "d")));
  }
  if (o->route) {
    json_t *route = text_concept (o->route);
    if (snomed)
      json_object_set_new (route, "coding", json_pack ("[o]", coding (SNOMED_SYSTEM, snomed,
                                                                      med_route_text (o->route))));
    json_object_set_new (d, "route", route);
  }
  json_object_set_new (d, "doseAndRate",
                       json_pack ("[{s:o}]", "doseQuantity", ucum_quantity (amount, o->unit)));
  return d;
}

/* The dosage instructions: one, or two for a split dose (morning and
 * bedtime, both in force together: the same sequence). */
static json_t *
dosages (const StoreOrder *o, const Medication *m)
{
  MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
  g_autofree char *text = med_dosing_text (&d);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (med_frequency_is_split (o->frequency) && o->second_dose > 0) {
    g_autofree char *morning = g_strdup_printf ("%s %s in the morning",
                                                g_ascii_formatd (buf, sizeof buf, "%g", o->dose),
                                                o->unit);
    g_autofree char *bedtime = g_strdup_printf ("%s %s at bedtime",
                                                g_ascii_formatd (buf, sizeof buf, "%g",
                                                                 o->second_dose), o->unit);
    return json_pack ("[o, o]", one_dosage (o, m, o->dose, morning, 1, 1, "MORN"),
                      one_dosage (o, m, o->second_dose, bedtime, 1, 1, "HS"));
  }
  return json_pack ("[o]", one_dosage (o, m, o->dose, text, med_frequency_per_day (o->frequency),
                                       med_frequency_period_days (o->frequency),
                                       med_frequency_when (o->frequency)));
}

/* What to dispense: a quantity of the dose form, days of supply, refills.
 * Orders from before dispensing was recorded have none. */
static json_t *
dispense_request (const StoreOrder *o, const Medication *m)
{
  const char *form = m ? m->dose_form : NULL;
  json_t *quantity;

  if (o->supply_days == 0 || o->dispense_quantity <= 0)
    return NULL;
  quantity = json_pack ("{s:f, s:s}", "value", o->dispense_quantity, "unit", form ? form : "unit");
  if (g_strcmp0 (form, "tablet") == 0 || g_strcmp0 (form, "capsule") == 0) {
    json_object_set_new (quantity, "system", json_string (DRUG_FORM_SYSTEM));
    json_object_set_new (quantity, "code", json_string (strcmp (form, "tablet") == 0 ? "TAB" : "CAP"));
  }
  return json_pack ("{s:o, s:o, s:i}", "quantity", quantity, "expectedSupplyDuration",
                    json_pack ("{s:i, s:s, s:s, s:s}", "value", (int) o->supply_days, "unit",
                               "days", "system", UCUM_SYSTEM, "code", "d"),
                    "numberOfRepeatsAllowed", (int) o->refills);
}

/* The medication as prescribed (the order's snapshot; older orders: the
 * medications table's name and code). The dispensed unit's SCD first when
 * confirmed, then the ingredient codes; none for an entry whose codes could
 * not be confirmed (its text names the product). */
static json_t *
medication_concept (const StoreOrder *o, const Medication *m)
{
  json_t *concept = json_object (), *codings = json_array ();
  MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
  const MedProduct *product = NULL;
  double units;

  if (m && m->n_products && med_dosing_units_per_day (m, &d, &units, &product) && product->scd)
    json_array_append_new (codings, coding (RXNORM_SYSTEM, product->scd, NULL));
  if (m) {
    for (guint i = 0; i < m->n_codes; i++)
      json_array_append_new (codings, coding (RXNORM_SYSTEM, m->codes[i].code, NULL));
  } else if (o->rxnorm && o->rxnorm[0]) {
    json_array_append_new (codings, coding (RXNORM_SYSTEM, o->rxnorm, o->medication_name));
  }
  if (json_array_size (codings))
    json_object_set_new (concept, "coding", codings);
  else
    json_decref (codings);
  json_object_set_new (concept, "text",
                       json_string (m && m->display ? m->display
                                    : o->medication_name ? o->medication_name
                                    : o->medication_id ? o->medication_id : ""));
  return concept;
}

static gboolean
add_medication_request (Export *ex, Store *store, const MedCatalog *catalog, const StoreOrder *o,
                        GError **error)
{
  Medication *snapshot = med_snapshot_parse (o->snapshot);
  const Medication *m = snapshot ? snapshot
                        : catalog && o->medication_id ? med_catalog_find (catalog, o->medication_id)
                                                      : NULL;
  const char *status = order_status (o->status);
  json_t *mr, *dispense;

  if (!add_practitioner (ex, store, o->prescriber_id, error)) {
    medication_free (snapshot);
    return FALSE;
  }
  mr = json_object ();
  json_object_set_new (mr, "status", json_string (status));
  if (o->status_reason &&
      (strcmp (status, "stopped") == 0 || strcmp (status, "entered-in-error") == 0 ||
       strcmp (status, "cancelled") == 0))
    json_object_set_new (mr, "statusReason", text_concept (o->status_reason));
  json_object_set_new (mr, "intent", json_string ("order"));
  json_object_set_new (mr, "medicationCodeableConcept", medication_concept (o, m));
  json_object_set_new (mr, "subject", reference ("Patient", ex->patient_id, NULL));
  if (g_strcmp0 (o->visit_id, ex->visit_id) == 0)
    json_object_set_new (mr, "encounter", reference ("Encounter", ex->visit_id, NULL));
  set_time (mr, "authoredOn", o->created_at_ms);
  if (o->prescriber_id)
    json_object_set_new (mr, "requester",
                         reference ("Practitioner", o->prescriber_id, o->prescriber_name));
  /* The adjustment's reason is the prescriber's rationale ("insomnia on
   * fluoxetine"), not the indication: reasonCode would tell a receiving
   * system the drug treats insomnia. */
  if (o->reason && o->reason[0])
    json_object_set_new (mr, "note", json_pack ("[{s:s}]", "text", o->reason));
  json_object_set_new (mr, "dosageInstruction", dosages (o, m));
  if ((dispense = dispense_request (o, m)))
    json_object_set_new (mr, "dispenseRequest", dispense);
  if (o->replaces_order_id)
    json_object_set_new (mr, "priorPrescription",
                         reference ("MedicationRequest", o->replaces_order_id, NULL));
  add_entry (ex, "MedicationRequest", o->id, mr);
  g_hash_table_add (ex->orders, g_strdup (o->id));
  medication_free (snapshot);
  return TRUE;
}

/* Who co-signed a PA's order, and when: a Provenance targeting the order,
 * with the co-signer as verifier and the prescriber as author. */
static gboolean
add_cosign_provenance (Export *ex, Store *store, const StoreOrder *o, GError **error)
{
  g_autofree char *id = NULL;
  json_t *prov, *verifier, *author;

  if (!o->cosigned_by || o->cosigned_at_ms <= 0)
    return TRUE;
  if (!add_practitioner (ex, store, o->cosigned_by, error))
    return FALSE;
  id = fhir_id (o->id, "cosign");
  prov = json_object ();
  json_object_set_new (prov, "target", json_pack ("[o]", reference ("MedicationRequest", o->id, NULL)));
  set_time (prov, "recorded", o->cosigned_at_ms);
  verifier = json_object ();
  json_object_set_new (verifier, "type",
                       json_pack ("{s:[o]}", "coding",
                                  coding (PROVENANCE_AGENT_SYSTEM, "verifier", "Verifier")));
  json_object_set_new (verifier, "role",
                       json_pack ("[{s:s}]", "text", "supervising psychiatrist (co-signature)"));
  json_object_set_new (verifier, "who", reference ("Practitioner", o->cosigned_by, NULL));
  author = json_object ();
  json_object_set_new (author, "type",
                       json_pack ("{s:[o]}", "coding",
                                  coding (PROVENANCE_AGENT_SYSTEM, "author", "Author")));
  json_object_set_new (author, "who", reference ("Practitioner", o->prescriber_id, NULL));
  json_object_set_new (prov, "agent", json_pack ("[o, o]", verifier, author));
  add_entry (ex, "Provenance", id, prov);
  return TRUE;
}

/* The order as a MedicationRequest, with its co-signature when it has one. */
static gboolean
add_order (Export *ex, Store *store, const MedCatalog *catalog, const StoreOrder *o,
           GError **error)
{
  return add_medication_request (ex, store, catalog, o, error) &&
         add_cosign_provenance (ex, store, o, error);
}

/* The visit's orders (written or stopped in it), then each order they
 * replace, back along the chain. */
static gboolean
add_orders (Export *ex, Store *store, const MedCatalog *catalog, GError **error)
{
  GPtrArray *orders = NULL;
  GQueue pending = G_QUEUE_INIT;
  guint followed = 0;
  gboolean ok = FALSE;

  orders = store_list_visit_orders (store, ex->visit_id, error);
  if (!orders)
    goto out;
  for (guint i = 0; i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);

    if (g_hash_table_contains (ex->orders, o->id))
      continue;
    if (!add_order (ex, store, catalog, o, error))
      goto out;
    if (o->replaces_order_id)
      g_queue_push_tail (&pending, g_strdup (o->replaces_order_id));
  }
  while (!g_queue_is_empty (&pending)) {
    char *id = g_queue_pop_head (&pending);
    StoreOrder prior = { 0 };
    gboolean got;

    if (g_hash_table_contains (ex->orders, id)) {
      g_free (id);
      continue;
    }
    if (++followed > MAX_ORDER_CHAIN) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "order %s: the chain of replaced orders is too long", id);
      g_free (id);
      goto out;
    }
    got = store_get_order (store, id, &prior, error);
    g_free (id);
    if (!got)
      goto out;
    got = add_order (ex, store, catalog, &prior, error);
    if (got && prior.replaces_order_id)
      g_queue_push_tail (&pending, g_strdup (prior.replaces_order_id));
    store_order_clear (&prior);
    if (!got)
      goto out;
  }
  ok = TRUE;
out:
  g_queue_clear_full (&pending, g_free);
  if (orders)
    g_ptr_array_unref (orders);
  return ok;
}

/* ------------------------------------------------------------ bundle */

json_t *
fhir_visit_bundle (Store *store, const MedCatalog *catalog, const char *visit_id,
                   const char *base_url, GError **error)
{
  StoreVisit visit = { 0 };
  gboolean have_visit = FALSE;
  Export ex = { 0 };
  json_t *bundle = NULL;
  char *bundle_id = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (visit_id != NULL, NULL);

  if (!store_get_visit (store, visit_id, &visit, error))
    goto out;
  have_visit = TRUE;

  ex.entries = json_array ();
  ex.base = g_strdup (base_url && *base_url ? base_url : DEFAULT_BASE_URL);
  while (g_str_has_suffix (ex.base, "/"))
    ex.base[strlen (ex.base) - 1] = '\0';
  ex.practitioners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ex.orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ex.patient_id = visit.patient_id;
  ex.visit_id = visit.id;

  if (!add_patient (&ex, store, error) ||
      !add_practitioner (&ex, store, visit.provider_id, error) ||
      !add_encounter (&ex, store, &visit, error) ||
      !add_checkin (&ex, store, error) ||
      !add_orders (&ex, store, catalog, error))
    goto out;

  bundle = json_object ();
  bundle_id = fhir_id ("visit", visit.id);
  json_object_set_new (bundle, "resourceType", json_string ("Bundle"));
  json_object_set_new (bundle, "id", json_string (bundle_id));
  json_object_set_new (bundle, "type", json_string ("collection"));
  set_time (bundle, "timestamp", store_now_ms ());
  json_object_set_new (bundle, "entry", ex.entries);
  ex.entries = NULL;
out:
  json_decref (ex.entries);
  g_free (ex.base);
  g_free (bundle_id);
  if (ex.practitioners)
    g_hash_table_destroy (ex.practitioners);
  if (ex.orders)
    g_hash_table_destroy (ex.orders);
  if (have_visit)
    store_visit_clear (&visit);
  return bundle;
}
