/* fhir_problems.c — the patient's diagnoses and allergies in the FHIR R4
 * exports (fhir-problems.h): Condition (ICD-10-CM, problem-list-item),
 * AllergyIntolerance (RxNorm for a catalog ingredient, else text),
 * MedicationRequest.reasonReference and Encounter.diagnosis. */
#include "server/api/fhir-private.h"
#include "server/api/fhir-problems.h"

#include <string.h>

#define CONDITION_CLINICAL_SYSTEM "http://terminology.hl7.org/CodeSystem/condition-clinical"
#define CONDITION_VERIFICATION_SYSTEM "http://terminology.hl7.org/CodeSystem/condition-ver-status"
#define CONDITION_CATEGORY_SYSTEM "http://terminology.hl7.org/CodeSystem/condition-category"
#define ALLERGY_CLINICAL_SYSTEM "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
#define ALLERGY_VERIFICATION_SYSTEM \
  "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
#define SNOMED_SYSTEM "http://snomed.info/sct"

static json_t *
coded (const char *system, const char *code)
{
  return json_pack ("{s:[o]}", "coding", fhir_coding (system, code, NULL));
}

/* The Encounter a row was recorded in, when the bundle holds it: every
 * visit's in the patient's export (ex->visit_id NULL), else the one. */
static void
set_encounter (FhirExport *ex, json_t *resource, const char *visit_id)
{
  if (visit_id && (!ex->visit_id || strcmp (visit_id, ex->visit_id) == 0))
    json_object_set_new (resource, "encounter", fhir_reference ("Encounter", visit_id, NULL));
}

static gboolean
add_condition (FhirExport *ex, Store *store, const StoreCondition *c, GError **error)
{
  json_t *res, *code;

  if (!fhir_add_practitioner (ex, store, c->recorded_by, error))
    return FALSE;
  res = json_object ();
  /* FHIR R4 con-3 and con-5: a problem-list item has a clinical status
   * unless it was entered in error, which has none. */
  if (g_strcmp0 (c->verification_status, "entered-in-error") != 0)
    json_object_set_new (res, "clinicalStatus",
                         coded (CONDITION_CLINICAL_SYSTEM, c->clinical_status));
  json_object_set_new (res, "verificationStatus",
                       coded (CONDITION_VERIFICATION_SYSTEM, c->verification_status));
  json_object_set_new (res, "category",
                       json_pack ("[{s:[o]}]", "coding",
                                  fhir_coding (CONDITION_CATEGORY_SYSTEM, "problem-list-item",
                                               "Problem List Item")));
  code = json_pack ("{s:[o], s:s}", "coding", fhir_coding (RX_ICD10CM_SYSTEM, c->code, c->display),
                    "text", c->display);
  json_object_set_new (res, "code", code);
  json_object_set_new (res, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  set_encounter (ex, res, c->visit_id);
  fhir_set_str (res, "onsetDateTime", c->onset_date);
  fhir_set_time (res, "recordedDate", c->recorded_at_ms);
  json_object_set_new (res, "recorder",
                       fhir_reference ("Practitioner", c->recorded_by, c->recorded_by_name));
  if (c->status_reason)
    json_object_set_new (res, "note", json_pack ("[{s:s}]", "text", c->status_reason));
  fhir_add_entry (ex, "Condition", c->id, res);
  return TRUE;
}

/* The catalog's RxNorm ingredient code for `ingredient`, when one is
 * confirmed (a code the catalog marks "unconfirmed" is left out). */
static const MedCode *
ingredient_code (const MedCatalog *catalog, const char *ingredient)
{
  for (guint i = 0; catalog && i < med_catalog_size (catalog); i++) {
    const Medication *m = med_catalog_get (catalog, i);
    if (!m->name || g_ascii_strcasecmp (m->name, ingredient) != 0)
      continue;
    for (guint k = 0; k < m->n_codes; k++)
      if (g_strcmp0 (m->codes[k].tty, "IN") == 0 &&
          g_strcmp0 (m->codes[k].source, "unconfirmed") != 0)
        return &m->codes[k];
  }
  return NULL;
}

static json_t *
substance_concept (const StoreAllergy *a, const MedCatalog *catalog)
{
  const MedCode *in = NULL;
  g_autofree char *text = NULL;

  if (strcmp (a->substance_kind, "ingredient") == 0)
    in = ingredient_code (catalog, a->substance);
  text = strcmp (a->substance_kind, "class") == 0
           ? g_strdup_printf ("%s (drug class)", a->substance)
           : g_strdup (a->substance);
  if (in)
    return json_pack ("{s:[o], s:s}", "coding", fhir_coding (RXNORM_SYSTEM, in->code, a->substance),
                      "text", text);
  return fhir_text_concept (text);
}

/* reaction: the manifestation (SNOMED CT where rx-allergies.h is sure,
 * else text), the clinician's description, the severity. */
static json_t *
reaction_json (const StoreAllergy *a)
{
  const RxManifestation *m = rx_manifestation_find (a->manifestation);
  json_t *concept, *reaction;

  if (!m && !a->reaction && !a->severity)
    return NULL;
  if (m && m->snomed)
    concept = json_pack ("{s:[o], s:s}", "coding",
                         fhir_coding (SNOMED_SYSTEM, m->snomed, m->snomed_display), "text",
                         m->text);
  else
    concept = fhir_text_concept (m             ? m->text
                                 : a->reaction ? a->reaction
                                               : "reaction not described");
  reaction = json_pack ("{s:[o]}", "manifestation", concept);
  fhir_set_str (reaction, "description", a->reaction);
  fhir_set_str (reaction, "severity", a->severity);
  return json_pack ("[o]", reaction);
}

static gboolean
add_allergy (FhirExport *ex, Store *store, const MedCatalog *catalog, const StoreAllergy *a,
             GError **error)
{
  gboolean error_entry = g_strcmp0 (a->status, "entered-in-error") == 0;
  json_t *res, *reaction;

  if (!fhir_add_practitioner (ex, store, a->recorded_by, error))
    return FALSE;
  res = json_object ();
  /* FHIR R4 ait-1 and ait-2: a clinical status unless entered in error. */
  if (!error_entry)
    json_object_set_new (res, "clinicalStatus", coded (ALLERGY_CLINICAL_SYSTEM, a->status));
  json_object_set_new (res, "verificationStatus",
                       coded (ALLERGY_VERIFICATION_SYSTEM,
                              error_entry ? "entered-in-error" : "confirmed"));
  json_object_set_new (res, "type", json_string (a->type));
  if (strcmp (a->substance_kind, "other") != 0)
    json_object_set_new (res, "category", json_pack ("[s]", "medication"));
  fhir_set_str (res, "criticality", a->criticality);
  json_object_set_new (res, "code", substance_concept (a, catalog));
  json_object_set_new (res, "patient", fhir_reference ("Patient", ex->patient_id, NULL));
  set_encounter (ex, res, a->visit_id);
  fhir_set_str (res, "onsetDateTime", a->onset_date);
  fhir_set_time (res, "recordedDate", a->recorded_at_ms);
  json_object_set_new (res, "recorder",
                       fhir_reference ("Practitioner", a->recorded_by, a->recorded_by_name));
  if ((reaction = reaction_json (a)))
    json_object_set_new (res, "reaction", reaction);
  if (a->status_reason)
    json_object_set_new (res, "note", json_pack ("[{s:s}]", "text", a->status_reason));
  fhir_add_entry (ex, "AllergyIntolerance", a->id, res);
  return TRUE;
}

gboolean
fhir_add_problems (FhirExport *ex, Store *store, const MedCatalog *catalog, GError **error)
{
  g_autoptr (GPtrArray) conditions = NULL, allergies = NULL;

  if (!(conditions = store_list_conditions (store, ex->patient_id, error)) ||
      !(allergies = store_list_allergies (store, ex->patient_id, error)))
    return FALSE;
  for (guint i = 0; i < conditions->len; i++)
    if (!add_condition (ex, store, g_ptr_array_index (conditions, i), error))
      return FALSE;
  for (guint i = 0; i < allergies->len; i++)
    if (!add_allergy (ex, store, catalog, g_ptr_array_index (allergies, i), error))
      return FALSE;
  return TRUE;
}

void
fhir_order_reason (json_t *medication_request, const StoreOrder *o)
{
  if (o->condition_id)
    json_object_set_new (medication_request, "reasonReference",
                         json_pack ("[o]", fhir_reference ("Condition", o->condition_id, NULL)));
}

gboolean
fhir_encounter_diagnosis (Store *store, const StoreVisit *visit, json_t *encounter, GError **error)
{
  g_auto (GStrv) ids = store_visit_condition_ids (store, visit->id, error);
  json_t *list;

  if (!ids)
    return FALSE;
  if (!ids[0])
    return TRUE;
  list = json_array ();
  for (guint i = 0; ids[i]; i++)
    json_array_append_new (list, json_pack ("{s:o, s:i}", "condition",
                                            fhir_reference ("Condition", ids[i], NULL), "rank",
                                            (int) i + 1));
  json_object_set_new (encounter, "diagnosis", list);
  return TRUE;
}
