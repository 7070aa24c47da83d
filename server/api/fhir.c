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

#include "server/api/fhir.h"
#include "server/api/fhir-private.h"
#include "server/api/fhir-problems.h"
#include "server/clock/clock.h"

#include <string.h>

/* ------------------------------------------------------------ helpers */

/* FHIR ids are [A-Za-z0-9.-]{1,64}: anything else becomes '-'. */
char *
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
void
fhir_set_str (json_t *obj, const char *key, const char *value)
{
  if (value && *value)
    json_object_set_new (obj, key, json_string (value));
}

void
fhir_set_time (json_t *obj, const char *key, gint64 ms)
{
  g_autofree char *text = th_iso_from_ms (ms);

  /* A time the record cannot hold is left out, as a missing value is:
   * never a made-up 1970. */
  if (text)
    json_object_set_new (obj, key, json_string (text));
}

json_t *
fhir_reference (const char *type, const char *id, const char *display)
{
  char *ref = g_strdup_printf ("%s/%s", type, id);
  json_t *obj = json_object ();

  json_object_set_new (obj, "reference", json_string (ref));
  fhir_set_str (obj, "display", display);
  g_free (ref);
  return obj;
}

json_t *
fhir_text_concept (const char *text)
{
  json_t *obj = json_object ();

  json_object_set_new (obj, "text", json_string (text ? text : ""));
  return obj;
}

json_t *
fhir_coding (const char *system, const char *code, const char *display)
{
  json_t *obj = json_object ();

  fhir_set_str (obj, "system", system);
  fhir_set_str (obj, "code", code);
  fhir_set_str (obj, "display", display);
  return obj;
}

void
fhir_export_begin (FhirExport *ex, const char *base_url, const char *patient_id, json_t *entries)
{
  size_t i;
  json_t *entry;

  memset (ex, 0, sizeof *ex);
  ex->entries = entries;
  ex->patient_id = patient_id;
  ex->base = g_strdup (base_url && *base_url ? base_url : DEFAULT_BASE_URL);
  while (g_str_has_suffix (ex->base, "/"))
    ex->base[strlen (ex->base) - 1] = '\0';
  ex->practitioners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_array_foreach (entries, i, entry)
  {
    json_t *res = json_object_get (entry, "resource");
    const char *id = json_string_value (json_object_get (res, "id"));
    if (id && g_strcmp0 (json_string_value (json_object_get (res, "resourceType")),
                         "Practitioner") == 0)
      g_hash_table_add (ex->practitioners, g_strdup (id));
  }
}

void
fhir_export_end (FhirExport *ex)
{
  g_clear_pointer (&ex->base, g_free);
  g_clear_pointer (&ex->practitioners, g_hash_table_destroy);
  ex->entries = NULL;
}

/* Appends {fullUrl, resource}; takes the resource. */
void
fhir_add_entry (FhirExport *ex, const char *type, const char *id, json_t *resource)
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
    { "psychiatrist", "psychiatrist" }, { "pmhnp", "psychiatric mental health nurse practitioner" },
    { "pa", "physician assistant" },    { "pcp", "primary care physician" },
    { "admin", "administrator" },
  };

  for (gsize i = 0; role && i < G_N_ELEMENTS (roles); i++) {
    if (strcmp (role, roles[i].code) == 0)
      return roles[i].text;
  }
  return role;
}

/* The patient's telecom (email, then the mobile phone) and preferred
 * language, as FHIR R4 Patient.telecom and Patient.communication. */
static void
patient_contact (json_t *patient, const StorePatient *p)
{
  json_t *telecom = json_array ();

  if (p->email)
    json_array_append_new (telecom, json_pack ("{s:s, s:s, s:s}", "system", "email", "value",
                                               p->email, "use", "home"));
  if (p->phone)
    json_array_append_new (telecom, json_pack ("{s:s, s:s, s:s}", "system", "phone", "value",
                                               p->phone, "use", "mobile"));
  if (json_array_size (telecom) > 0)
    json_object_set_new (patient, "telecom", telecom);
  else
    json_decref (telecom);
  /* BCP 47 is the code system FHIR binds communication.language to. */
  if (p->language)
    json_object_set_new (patient, "communication",
                         json_pack ("[{s:{s:[o]}, s:b}]", "language", "coding",
                                    fhir_coding (LANGUAGE_SYSTEM, p->language, NULL), "preferred",
                                    1));
}

gboolean
fhir_add_patient (FhirExport *ex, Store *store, GError **error)
{
  StorePatient p = { 0 };
  json_t *patient, *identifiers;

  if (!store_patient_get (store, ex->patient_id, &p, error))
    return FALSE;
  patient = json_object ();
  identifiers = json_array ();
  json_array_append_new (identifiers, json_pack ("{s:s, s:s}", "system", PATIENT_ID_SYSTEM, "value",
                                                 ex->patient_id));
  /* The clinic's medical record number, typed MR (HL7 v2 table 0203). */
  if (p.mrn)
    json_array_append_new (identifiers, json_pack ("{s:s, s:{s:[o]}, s:s, s:s}", "use", "usual",
                                                   "type", "coding",
                                                   fhir_coding (IDENTIFIER_TYPE_SYSTEM, "MR",
                                                                "Medical record number"),
                                                   "system", PATIENT_MRN_SYSTEM, "value", p.mrn));
  json_object_set_new (patient, "identifier", identifiers);
  json_object_set_new (patient, "name", json_pack ("[o]", fhir_text_concept (p.name)));
  patient_contact (patient, &p);
  /* A calendar date as stored ("YYYY-MM-DD"); none on record, none exported. */
  fhir_set_str (patient, "birthDate", p.birth_date);
  fhir_add_entry (ex, "Patient", ex->patient_id, patient);
  store_patient_clear (&p);
  return TRUE;
}

/* Adds the staff member once, whoever refers to them first. */
gboolean
fhir_add_practitioner (FhirExport *ex, Store *store, const char *staff_id, GError **error)
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
  json_object_set_new (practitioner, "name", json_pack ("[o]", fhir_text_concept (name)));
  if (role) {
    json_t *qualification = json_object ();

    json_object_set_new (qualification, "code", fhir_text_concept (role_text (role)));
    json_object_set_new (practitioner, "qualification", json_pack ("[o]", qualification));
  }
  fhir_add_entry (ex, "Practitioner", staff_id, practitioner);
  g_hash_table_add (ex->practitioners, g_strdup (staff_id));
  g_free (name);
  g_free (role);
  return TRUE;
}

/* ------------------------------------------------------------ encounter */

gboolean
fhir_add_encounter (FhirExport *ex, Store *store, const StoreVisit *visit, GError **error)
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
  /* R4's Encounter has no "no-show" (Appointment.status has): an encounter
   * that never took place, either way, is "cancelled". */
  case VISIT_CANCELLED:
  case VISIT_NO_SHOW:
    status = "cancelled";
    break;
  }

  encounter = json_object ();
  json_object_set_new (encounter, "status", json_string (status));
  json_object_set_new (encounter, "class", fhir_coding (ACT_CODE_SYSTEM, "VR", "virtual"));
  if (visit->modality)
    json_object_set_new (encounter, "type", json_pack ("[o]", fhir_text_concept (visit->modality)));
  json_object_set_new (encounter, "subject",
                       fhir_reference ("Patient", visit->patient_id, visit->patient_name));
  participant = json_object ();
  json_object_set_new (participant, "individual",
                       fhir_reference ("Practitioner", visit->provider_id, visit->provider_name));
  json_object_set_new (encounter, "participant", json_pack ("[o]", participant));
  period = json_object ();
  if (start_ms >= 0) {
    fhir_set_time (period, "start", start_ms);
    if (end_ms >= 0)
      fhir_set_time (period, "end", end_ms);
  } else {
    fhir_set_time (period, "start", visit->scheduled_at_ms);
  }
  json_object_set_new (encounter, "period", period);
  /* The conditions the visit addressed (issue 15). */
  if (!fhir_encounter_diagnosis (store, visit, encounter, error)) {
    json_decref (encounter);
    goto out;
  }
  fhir_add_entry (ex, "Encounter", visit->id, encounter);
  ok = TRUE;
out:
  if (timeline)
    g_ptr_array_unref (timeline);
  return ok;
}

/* ------------------------------------------------------------ bundle */

json_t *
fhir_visit_bundle (Store *store, const MedCatalog *catalog, const char *visit_id,
                   const char *base_url, GError **error)
{
  StoreVisit visit = { 0 };
  gboolean have_visit = FALSE;
  FhirExport ex = { 0 };
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

  if (!fhir_add_patient (&ex, store, error) ||
      !fhir_add_practitioner (&ex, store, visit.provider_id, error) ||
      !fhir_add_encounter (&ex, store, &visit, error) || !fhir_add_checkin (&ex, store, error) ||
      !fhir_add_orders (&ex, store, catalog, error) ||
      !fhir_add_problems (&ex, store, catalog, error))
    goto out;

  bundle = json_object ();
  bundle_id = fhir_id ("visit", visit.id);
  json_object_set_new (bundle, "resourceType", json_string ("Bundle"));
  json_object_set_new (bundle, "id", json_string (bundle_id));
  json_object_set_new (bundle, "type", json_string ("collection"));
  fhir_set_time (bundle, "timestamp", store_now_ms ());
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
