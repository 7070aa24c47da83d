/* fhir.h — FHIR R4 export of one visit as a Bundle (type "collection"):
 * Patient, Practitioner(s), Encounter (class VR), the latest check-in (a
 * QuestionnaireResponse and an Observation per scale, PHQ-9 item 9 as its own
 * Observation and a Flag), one MedicationRequest per order with an event in
 * the visit (written or stopped in it, plus the orders they replace, so every
 * priorPrescription resolves inside the bundle) and a Provenance per
 * co-signature. */
#pragma once

#include <jansson.h>
#include "server/records/records.h"
#include "server/store/store.h"

/* `base_url` makes fullUrls ("<base>/fhir/Patient/<id>"). NULL + error when the
 * visit cannot be read. */
json_t *fhir_visit_bundle (Store *store, const MedCatalog *catalog, const char *visit_id,
                           const char *base_url, GError **error);

/* fhir_observations.c: appends the patient's labs and vital signs as
 * Observations to a Bundle's `entries` (LOINC, UCUM quantities, blood
 * pressure as a panel of systolic and diastolic, category, interpretation,
 * referenceRange from `monitoring` (may be NULL), the clinician who
 * recorded it or the patient for a home reading), with the Practitioner of
 * each clinician not yet in `entries`. visit_id (may be NULL) keeps those
 * recorded in that visit, each then pointing at its Encounter. */
gboolean fhir_add_observations (Store *store, const MonitoringCatalog *monitoring,
                                const char *base_url, const char *patient_id, const char *visit_id,
                                json_t *entries, GError **error);
