/* fhir.h — FHIR R4 export of one visit as a Bundle (type "collection"):
 * Patient, Practitioner, Encounter (class VR), one Observation per scale
 * total, a QuestionnaireResponse with the items, and one MedicationRequest
 * per order written in the visit (plus the orders they replace, so every
 * priorPrescription resolves inside the bundle). */
#pragma once

#include <jansson.h>
#include "server/clinical.h"
#include "server/store.h"

/* `base_url` makes fullUrls ("<base>/fhir/Patient/<id>"). NULL + error when the
 * visit cannot be read. */
json_t *fhir_visit_bundle (Store *store, const MedCatalog *catalog, const char *visit_id,
                           const char *base_url, GError **error);
