/* fhir_observations.c — labs and vital signs as FHIR R4 Observations (issue
 * 14), for the visit's export and the patient-level one.
 *
 * Choices worth knowing:
 *  - code: the kind's LOINC term (server/records/observations.c), with the
 *    record's words as text;
 *  - blood pressure is the LOINC panel 85354-9 with two components,
 *    systolic 8480-6 and diastolic 8462-4 (the FHIR vital-signs profile's
 *    shape), each a UCUM mm[Hg] quantity;
 *  - category: vital-signs for weight, BMI, blood pressure, heart rate;
 *    survey for the AIMS total (an assessment instrument, LOINC class
 *    SURVEY.NEURO); laboratory for the rest;
 *  - interpretation: the flag stored when the value was recorded
 *    (v3-ObservationInterpretation), with the monitoring table's words;
 *  - referenceRange: the monitoring table's range with its words;
 *  - performer: the clinician who entered it; a home reading's performer is
 *    the patient, and a note says it was patient-reported. */
#define G_LOG_DOMAIN "th-fhir"

#include "server/api/fhir.h"
#include "server/api/fhir-private.h"

#include <string.h>

#define SYSTOLIC_LOINC "8480-6"

static const struct {
  const char *code, *display;
} kInterpretations[] = {
  { "N", "Normal" },         { "L", "Low" }, { "H", "High" }, { "LL", "Critical low" },
  { "HH", "Critical high" },
};

static const char *const kVitalSigns[] = { "weight", "bmi", "blood-pressure", "heart-rate" };

static const char *
category_of (const char *kind, const char **display)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kVitalSigns); i++)
    if (strcmp (kind, kVitalSigns[i]) == 0) {
      *display = "Vital Signs";
      return "vital-signs";
    }
  if (strcmp (kind, "aims") == 0) {
    *display = "Survey";
    return "survey";
  }
  *display = "Laboratory";
  return "laboratory";
}

static json_t *
quantity (double value, const ObservationKind *kind)
{
  return json_pack ("{s:f, s:s, s:s, s:s}", "value", value, "unit", kind->unit_text, "system",
                    UCUM_SYSTEM, "code", kind->unit);
}

static json_t *
code_concept (const char *loinc, const char *display, const char *text)
{
  json_t *code = json_object ();

  if (loinc)
    json_object_set_new (code, "coding",
                         json_pack ("[o]", fhir_coding (LOINC_SYSTEM, loinc, display)));
  json_object_set_new (code, "text", json_string (text));
  return code;
}

static void
add_interpretation (json_t *res, const StoreObservation *o, const MonitoringCatalog *mon,
                    const ObservationKind *kind)
{
  MonitoringReading reading;
  json_t *concept;

  if (!o->interpretation)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (kInterpretations); i++) {
    if (strcmp (o->interpretation, kInterpretations[i].code) != 0)
      continue;
    concept = json_pack ("{s:[o]}", "coding",
                         fhir_coding (OBS_INTERP_SYSTEM, kInterpretations[i].code,
                                      kInterpretations[i].display));
    monitoring_interpret (mon, kind, o->value, o->has_value2, o->value2, NULL, &reading);
    if (reading.words && strcmp (reading.code, o->interpretation) == 0)
      json_object_set_new (concept, "text", json_string (reading.words));
    monitoring_reading_clear (&reading);
    json_object_set_new (res, "interpretation", json_pack ("[o]", concept));
    return;
  }
}

static void
add_reference_range (json_t *res, const MonitoringCatalog *mon, const ObservationKind *kind)
{
  const MonitoringRange *range = monitoring_range (mon, kind->code);
  json_t *rr;

  if (!range)
    return;
  rr = json_object ();
  /* Blood pressure's range is two numbers: its words carry it. */
  if (!kind->loinc_value2) {
    if (range->has_low)
      json_object_set_new (rr, "low", quantity (range->low, kind));
    if (range->has_high)
      json_object_set_new (rr, "high", quantity (range->high, kind));
  }
  json_object_set_new (rr, "text", json_string (range->text));
  json_object_set_new (res, "referenceRange", json_pack ("[o]", rr));
}

static void
add_value (json_t *res, const StoreObservation *o, const ObservationKind *kind)
{
  if (!kind->loinc_value2) {
    json_object_set_new (res, "valueQuantity", quantity (o->value, kind));
    return;
  }
  json_object_set_new (res, "component",
                       json_pack ("[{s:o, s:o}, {s:o, s:o}]", "code",
                                  code_concept (SYSTOLIC_LOINC, "Systolic blood pressure",
                                                "Systolic"),
                                  "valueQuantity", quantity (o->value, kind), "code",
                                  code_concept (kind->loinc_value2, "Diastolic blood pressure",
                                                "Diastolic"),
                                  "valueQuantity", quantity (o->value2, kind)));
}

static json_t *
observation_resource (FhirExport *ex, const StoreObservation *o, const ObservationKind *kind,
                      const MonitoringCatalog *mon)
{
  const char *cat_display = NULL;
  const char *cat = category_of (kind->code, &cat_display);
  json_t *res = json_object ();

  json_object_set_new (res, "status", json_string ("final"));
  json_object_set_new (res, "category",
                       json_pack ("[{s:[o]}]", "coding",
                                  fhir_coding (OBS_CATEGORY_SYSTEM, cat, cat_display)));
  json_object_set_new (res, "code", code_concept (kind->loinc, kind->loinc_display, kind->display));
  json_object_set_new (res, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  if (ex->visit_id && o->visit_id)
    json_object_set_new (res, "encounter", fhir_reference ("Encounter", o->visit_id, NULL));
  fhir_set_time (res, "effectiveDateTime", o->effective_ms);
  fhir_set_time (res, "issued", o->recorded_ms);
  if (o->home) {
    json_object_set_new (res, "performer",
                         json_pack ("[o]", fhir_reference ("Patient", ex->patient_id, NULL)));
    json_object_set_new (res, "note",
                         json_pack ("[{s:s}]", "text",
                                    "Patient-reported: a home reading entered in the diary."));
  } else if (o->recorded_by) {
    json_object_set_new (res, "performer",
                         json_pack ("[o]", fhir_reference ("Practitioner", o->recorded_by,
                                                           o->recorded_by_name)));
  }
  add_value (res, o, kind);
  add_interpretation (res, o, mon, kind);
  add_reference_range (res, mon, kind);
  return res;
}

/* The Practitioners and Observations already in `entries`, so neither is
 * added twice (the visit's provider, an earlier call). */
static void
note_present (FhirExport *ex, json_t *entries, GHashTable *observations)
{
  size_t i;
  json_t *entry;

  json_array_foreach (entries, i, entry)
  {
    json_t *res = json_object_get (entry, "resource");
    const char *type = json_string_value (json_object_get (res, "resourceType"));
    const char *id = json_string_value (json_object_get (res, "id"));

    if (!type || !id)
      continue;
    if (strcmp (type, "Practitioner") == 0)
      g_hash_table_add (ex->practitioners, g_strdup (id));
    else if (strcmp (type, "Observation") == 0)
      g_hash_table_add (observations, g_strdup (id));
  }
}

gboolean
fhir_add_observations (Store *store, const MonitoringCatalog *monitoring, const char *base_url,
                       const char *patient_id, const char *visit_id, json_t *entries,
                       GError **error)
{
  g_autoptr (GPtrArray) obs = NULL;
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  FhirExport ex = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (json_is_array (entries), FALSE);
  if (!(obs = store_list_observations (store, patient_id, visit_id, error)))
    return FALSE;
  ex.entries = entries; /* borrowed: appended to, never freed here */
  ex.base = g_strdup (base_url && *base_url ? base_url : DEFAULT_BASE_URL);
  while (g_str_has_suffix (ex.base, "/"))
    ex.base[strlen (ex.base) - 1] = '\0';
  ex.practitioners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ex.patient_id = patient_id;
  ex.visit_id = visit_id;
  note_present (&ex, entries, present);
  /* Oldest first, as a record reads. */
  for (guint i = obs->len; i-- > 0;) {
    const StoreObservation *o = g_ptr_array_index (obs, i);
    const ObservationKind *kind = observation_kind_find (o->kind);
    g_autofree char *id = fhir_id (o->id, NULL);

    if (!kind) {
      g_warning ("observation %s: unknown kind left out of the export", o->id);
      continue;
    }
    if (g_hash_table_contains (present, id))
      continue;
    if (!o->home && !fhir_add_practitioner (&ex, store, o->recorded_by, error))
      goto out;
    fhir_add_entry (&ex, "Observation", id, observation_resource (&ex, o, kind, monitoring));
  }
  ok = TRUE;
out:
  g_free (ex.base);
  g_hash_table_destroy (ex.practitioners);
  return ok;
}
