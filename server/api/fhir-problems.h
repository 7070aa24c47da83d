/* fhir-problems.h — the patient's diagnoses and allergies in the FHIR R4
 * exports (fhir_problems.c, issue 15). Only server/api/fhir*.c include it,
 * after fhir-private.h. */
#pragma once

#include "server/api/fhir-private.h"

/* Every Condition (ICD-10-CM, category problem-list-item, clinical and
 * verification status, onset, recorder) and AllergyIntolerance (RxNorm for
 * a catalog ingredient, else text; reaction with SNOMED CT where certain)
 * of ex->patient_id, with their recorders' Practitioners. */
gboolean fhir_add_problems (FhirExport *ex, Store *store, const MedCatalog *catalog,
                            GError **error);
/* MedicationRequest.reasonReference: the Condition the order treats. */
void fhir_order_reason (json_t *medication_request, const StoreOrder *o);
/* Encounter.diagnosis: the conditions the visit addressed (recorded in
 * it, or treated by an order written in it), ranked in the order recorded. */
gboolean fhir_encounter_diagnosis (Store *store, const StoreVisit *visit, json_t *encounter,
                                   GError **error);
