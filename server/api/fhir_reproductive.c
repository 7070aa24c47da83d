/* fhir_reproductive.c — the patient's pregnancy potential in the patient's
 * FHIR export (reproductive.h): Observations from the newest record of
 * GET /api/patients/:patient/reproductive, each with status final,
 * category social-history, the patient as subject, `issued` the instant it
 * was recorded, and the clinician who recorded it as performer (a
 * Practitioner in the bundle). Nothing recorded: nothing exported.
 *
 * Codes, each confirmed against the published HL7 pages:
 *  - Sex assigned at birth: LOINC 76689-9 "Sex assigned at birth" (the
 *    code US Core's birthsex extension aligns with, and one of the codes of
 *    the FHIR value set recorded-sex-or-gender-type). The value uses US
 *    Core's Birth Sex value set (http://hl7.org/fhir/us/core/ValueSet/
 *    birthsex, US Core 5.0.0 onward): F / M from v3-AdministrativeGender;
 *    intersex as v3-NullFlavor OTH "other" (the value is known but is not
 *    one the value set holds: that is OTH's definition; UNK would say it is
 *    not known) with the text "Intersex"; unknown as v3-NullFlavor UNK (not
 *    ASKU: the record does not say the patient was asked).
 *  - Pregnancy status: LOINC 82810-3 "Pregnancy status" (US Core
 *    Observation Pregnancy Status profile), the value from US Core's
 *    Pregnancy Status Codes value set: SNOMED CT 77386006 Pregnant and
 *    60001007 Not pregnant (its VSAC Extended Pregnancy Status part,
 *    2.16.840.1.113762.1.4.1099.24) and v3-NullFlavor UNK for unknown (the
 *    value set's own code for it; SNOMED CT 261665006 "Unknown" is in
 *    other realms' value sets, e.g. eHDSI's, not in US Core's). Effective
 *    the day it was checked; an unknown status has no such day, so the day
 *    it was recorded. Not exported for a patient male at birth whose status
 *    is unknown: the record does not ask it of them.
 *  - Breastfeeding status: LOINC 63895-7 "Breastfeeding status", answered
 *    LA29252-6 "Currently breastfeeding" / LA29253-4 "Not currently
 *    breastfeeding" (LOINC answer codes, as tx.fhir.org expands them from
 *    LOINC 2.81; the pairing is the one national profiles use, e.g.
 *    Germany's ISiK "Stillstatus" and WHO's family-planning guide maps its
 *    breastfeeding element to 63895-7), v3-NullFlavor UNK for unknown.
 *    Effective the day recorded. Not exported for a patient male at birth
 *    unless recorded as breastfeeding: the record does not ask it of them.
 *  - Contraception and the valproate pregnancy prevention counselling: no
 *    standard code was confirmed, so the code is text only and says so;
 *    they are exported because they are why a valproate order was allowed.
 * No meta.profile is claimed: the bundle is not checked against US Core. */
#define G_LOG_DOMAIN "th-fhir"

#include "server/api/reproductive.h"
#include "server/api/fhir-private.h"

#include <string.h>

#define SNOMED_SYSTEM "http://snomed.info/sct"
#define ADMIN_GENDER_SYSTEM "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender"
#define NULL_FLAVOR_SYSTEM "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"

/* The record's answer, its coding, and the words a reader sees. */
typedef struct {
  const char *answer, *system, *code, *display, *text;
} AnswerCode;

static const AnswerCode kSexAtBirth[] = {
  { "female", ADMIN_GENDER_SYSTEM, "F", "Female", "Female" },
  { "male", ADMIN_GENDER_SYSTEM, "M", "Male", "Male" },
  { "intersex", NULL_FLAVOR_SYSTEM, "OTH", "other", "Intersex" },
  { "unknown", NULL_FLAVOR_SYSTEM, "UNK", "unknown", "Unknown" },
};

static const AnswerCode kPregnancy[] = {
  { "pregnant", SNOMED_SYSTEM, "77386006", "Pregnant", "Pregnant" },
  { "not-pregnant", SNOMED_SYSTEM, "60001007", "Not pregnant", "Not pregnant" },
  { "unknown", NULL_FLAVOR_SYSTEM, "UNK", "unknown", "Unknown" },
};

static const AnswerCode kBreastfeeding[] = {
  { "yes", LOINC_SYSTEM, "LA29252-6", "Currently breastfeeding", "Breastfeeding" },
  { "no", LOINC_SYSTEM, "LA29253-4", "Not currently breastfeeding", "Not breastfeeding" },
  { "unknown", NULL_FLAVOR_SYSTEM, "UNK", "unknown", "Unknown" },
};

/* The answer's CodeableConcept; NULL for one the table does not hold (the
 * table and the store's CHECK list the same answers). */
static json_t *
answer_concept (const AnswerCode *table, gsize n, const char *answer)
{
  for (gsize i = 0; answer && i < n; i++) {
    if (strcmp (table[i].answer, answer) == 0)
      return json_pack ("{s:[o], s:s}", "coding",
                        fhir_coding (table[i].system, table[i].code, table[i].display), "text",
                        table[i].text);
  }
  return NULL;
}

/* What every Observation of the record shares. `day` is a calendar date. */
static json_t *
observation (FhirExport *ex, const StoreReproductive *row, json_t *code, const char *day)
{
  json_t *obs = json_object ();

  json_object_set_new (obs, "status", json_string ("final"));
  json_object_set_new (obs, "category",
                       json_pack ("[{s:[o]}]", "coding",
                                  fhir_coding (OBS_CATEGORY_SYSTEM, "social-history",
                                               "Social History")));
  json_object_set_new (obs, "code", code);
  json_object_set_new (obs, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  json_object_set_new (obs, "effectiveDateTime", json_string (day));
  fhir_set_time (obs, "issued", row->recorded_at_ms);
  json_object_set_new (obs, "performer",
                       json_pack ("[o]", fhir_reference ("Practitioner", row->recorded_by,
                                                         row->recorded_by_name)));
  return obs;
}

static json_t *
loinc_code (const char *code, const char *display)
{
  return json_pack ("{s:[o], s:s}", "coding", fhir_coding (LOINC_SYSTEM, code, display), "text",
                    display);
}

static void
add (FhirExport *ex, const StoreReproductive *row, const char *what, json_t *obs)
{
  g_autofree char *id = g_strdup_printf ("reproductive-%" G_GINT64_FORMAT "-%s", row->id, what);

  fhir_add_entry (ex, "Observation", id, obs);
}

static void
add_sex_at_birth (FhirExport *ex, const StoreReproductive *row, const char *recorded_day)
{
  json_t *value = answer_concept (kSexAtBirth, G_N_ELEMENTS (kSexAtBirth), row->r.sex_at_birth);
  json_t *obs;

  if (!value)
    return;
  obs = observation (ex, row, loinc_code ("76689-9", "Sex assigned at birth"), recorded_day);
  json_object_set_new (obs, "valueCodeableConcept", value);
  add (ex, row, "sex-at-birth", obs);
}

static void
add_pregnancy (FhirExport *ex, const StoreReproductive *row, const char *recorded_day)
{
  const RxReproductive *r = &row->r;
  json_t *value = answer_concept (kPregnancy, G_N_ELEMENTS (kPregnancy), r->pregnancy);
  g_autofree char *checked = g_date_valid (&r->pregnancy_checked)
                               ? th_date_format (&r->pregnancy_checked)
                               : NULL;
  json_t *obs;

  if (!value)
    return;
  if (g_strcmp0 (r->sex_at_birth, "male") == 0 && !checked) {
    json_decref (value);
    return;
  }
  obs = observation (ex, row, loinc_code ("82810-3", "Pregnancy status"),
                     checked ? checked : recorded_day);
  json_object_set_new (obs, "valueCodeableConcept", value);
  if (r->unable_reason) {
    g_autofree char *note = g_strdup_printf ("Documented as unable to become pregnant: %s.",
                                             r->unable_reason);
    json_object_set_new (obs, "note", json_pack ("[{s:s}]", "text", note));
  }
  add (ex, row, "pregnancy", obs);
}

static void
add_breastfeeding (FhirExport *ex, const StoreReproductive *row, const char *recorded_day)
{
  const RxReproductive *r = &row->r;
  json_t *value;
  json_t *obs;

  if (g_strcmp0 (r->sex_at_birth, "male") == 0 && g_strcmp0 (r->breastfeeding, "yes") != 0)
    return;
  if (!(value = answer_concept (kBreastfeeding, G_N_ELEMENTS (kBreastfeeding), r->breastfeeding)))
    return;
  obs = observation (ex, row, loinc_code ("63895-7", "Breastfeeding status"), recorded_day);
  json_object_set_new (obs, "valueCodeableConcept", value);
  add (ex, row, "breastfeeding", obs);
}

static void
add_contraception (FhirExport *ex, const StoreReproductive *row, const char *recorded_day)
{
  json_t *obs;

  if (!row->r.contraception)
    return;
  obs = observation (ex, row,
                     fhir_text_concept ("Contraception method (text only: no standard code "
                                        "was confirmed for it)"),
                     recorded_day);
  json_object_set_new (obs, "valueString", json_string (row->r.contraception));
  json_object_set_new (obs, "component",
                       json_pack ("[{s:o, s:b}]", "code",
                                  fhir_text_concept ("Highly effective method, as the "
                                                     "clinician recorded it"),
                                  "valueBoolean", row->r.highly_effective));
  add (ex, row, "contraception", obs);
}

static void
add_counselling (FhirExport *ex, const StoreReproductive *row)
{
  g_autofree char *day = NULL, *given = NULL;
  json_t *obs;

  if (!g_date_valid (&row->r.counselled))
    return;
  day = th_date_format (&row->r.counselled);
  given = g_strdup_printf ("Given by %s",
                           row->r.counselled_by ? row->r.counselled_by : "(not recorded)");
  obs = observation (ex, row,
                     fhir_text_concept ("Valproate pregnancy prevention programme: risk "
                                        "counselling (text only: no standard code was "
                                        "confirmed for it)"),
                     day);
  json_object_set_new (obs, "valueString", json_string (given));
  add (ex, row, "valproate-counselling", obs);
}

gboolean
th_fhir_patient_add_reproductive (ThApp *app, const char *patient_id, json_t *entries,
                                  GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *recorded_day = NULL;
  const StoreReproductive *row;
  FhirExport ex = { 0 };
  gboolean ok = FALSE;
  GDate day;

  g_return_val_if_fail (json_is_array (entries), FALSE);
  if (!(rows = store_reproductive_history (app->store, patient_id, error)))
    return FALSE;
  if (rows->len == 0)
    return TRUE;
  row = g_ptr_array_index (rows, 0); /* newest first: the record */
  /* The recorder's Practitioner once: the bundle may hold it already. */
  fhir_export_begin (&ex, app->base_url, patient_id, entries);
  if (!fhir_add_practitioner (&ex, app->store, row->recorded_by, error))
    goto out;
  /* The clinic's calendar day it was recorded on. */
  th_clock_local_date (app->config->time_zone, row->recorded_at_ms, &day);
  if (!(recorded_day = th_date_format (&day))) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL,
                 "a pregnancy potential record's time is out of range");
    goto out;
  }
  add_sex_at_birth (&ex, row, recorded_day);
  add_pregnancy (&ex, row, recorded_day);
  add_breastfeeding (&ex, row, recorded_day);
  add_contraception (&ex, row, recorded_day);
  add_counselling (&ex, row);
  ok = TRUE;
out:
  fhir_export_end (&ex);
  return ok;
}
