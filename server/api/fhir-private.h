/* fhir-private.h — what the FHIR export's files share: the code systems,
 * the export under construction, and the resource-building helpers. Only
 * server/fhir*.c include it. */
#pragma once

#include <jansson.h>
#include "server/records/records.h"
#include "server/store/store.h"

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
/* The clinic's medical record numbers. A placeholder URI: a clinic that
 * exchanges records replaces it with its own assigning authority's (an
 * OID as urn:oid:..., or a URL it controls) before sending exports out. */
#define PATIENT_MRN_SYSTEM "urn:telehealth:mrn"
#define IDENTIFIER_TYPE_SYSTEM "http://terminology.hl7.org/CodeSystem/v2-0203"
/* FHIR R4 binds Patient.communication.language to BCP 47. */
#define LANGUAGE_SYSTEM "urn:ietf:bcp:47"
#define DEFAULT_BASE_URL "http://localhost"
/* How far back a chain of replaced orders is followed (a guard, not a rule). */
#define MAX_ORDER_CHAIN 1000

typedef struct {
  json_t *entries;           /* the bundle's entry array (owned) */
  char *base;                /* base url without a trailing slash */
  GHashTable *practitioners; /* staff ids already in the bundle */
  GHashTable *orders;        /* order ids already in the bundle */
  const char *patient_id;
  const char *visit_id;
} FhirExport;

/* A section exported on its own into a bundle being built: appends to
 * `entries` (borrowed); the base URL without trailing slashes (empty or
 * NULL: DEFAULT_BASE_URL); the staff `entries` already holds as
 * Practitioners, so that none is added twice. fhir_export_end frees what
 * begin made (not the entries). */
void fhir_export_begin (FhirExport *ex, const char *base_url, const char *patient_id,
                        json_t *entries);
void fhir_export_end (FhirExport *ex);

char *fhir_id (const char *a, const char *b);
void fhir_set_str (json_t *obj, const char *key, const char *value);
/* key = th_iso_from_ms (ms); left out when ms is out of its range. */
void fhir_set_time (json_t *obj, const char *key, gint64 ms);
json_t *fhir_reference (const char *type, const char *id, const char *display);
json_t *fhir_text_concept (const char *text);
json_t *fhir_coding (const char *system, const char *code, const char *display);
void fhir_add_entry (FhirExport *ex, const char *type, const char *id, json_t *resource);
gboolean fhir_add_practitioner (FhirExport *ex, Store *store, const char *staff_id, GError **error);

/* fhir_checkin.c: the latest check-in's QuestionnaireResponses, Observations
 * and the item-9 Observation and Flag. */
gboolean fhir_add_checkin (FhirExport *ex, Store *store, GError **error);
/* fhir_orders.c: the MedicationRequests of the orders with an event in the
 * visit, their replacement chains and the co-signers' Provenance. */
gboolean fhir_add_orders (FhirExport *ex, Store *store, const MedCatalog *catalog, GError **error);

/* fhir.c: the Patient, and a visit's Encounter (the patient-level export,
 * fhir_patient.c, adds one per visit). */
gboolean fhir_add_patient (FhirExport *ex, Store *store, GError **error);
gboolean fhir_add_encounter (FhirExport *ex, Store *store, const StoreVisit *visit, GError **error);
/* fhir_orders.c: one order as a MedicationRequest (with its co-signature's
 * Provenance), once; its medication as a CodeableConcept (RxNorm). */
gboolean fhir_add_order (FhirExport *ex, Store *store, const MedCatalog *catalog,
                         const StoreOrder *o, GError **error);
json_t *fhir_order_medication (const StoreOrder *o, const MedCatalog *catalog);
/* fhir_dispense.c: what the order dispenses beyond its quantity, supply and
 * refills: dispenseRequest.validityPeriod.start (the earliest fill date),
 * dispenseRequest.performer (the pharmacy, an Organization added once), and
 * for a schedule II series, each further prescription as a MedicationRequest
 * of its own sharing the order's groupIdentifier. Call before adding `mr`. */
gboolean fhir_add_dispense (FhirExport *ex, Store *store, const StoreOrder *o, json_t *mr,
                            GError **error);
/* fhir_checkin.c: a PHQ-9 answer (0..3) as its LOINC answer code; NULL out of range. */
json_t *fhir_phq9_answer (gint value);
#define PHQ9_ITEM9_LOINC_CODE "44260-8"
