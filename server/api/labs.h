/* labs.h — labs and vital signs (issue 14, item 5), inside the API part:
 * the routes that record and list a patient's observations and say what
 * is due; the record's "monitoring" block; the Observations of the FHIR
 * exports. The rules are server/records/monitoring*.c, the rows
 * server/store/observations.c. */
#pragma once

#include "server/api/api-private.h"

/* POST /api/patients/:patient/observations — a clinic entry. */
TH_HANDLER (th_post_observation);
/* GET /api/patients/:patient/observations — newest first, with flags, and
 * the monitoring status. */
TH_HANDLER (th_get_observations);
/* GET /api/patients/:patient/monitoring — the due / overdue list. */
TH_HANDLER (th_get_monitoring);

/* The record's "monitoring": {"due": [...], "recent": [...]} for the
 * visit's patient, as of the clinic's today. NULL with `error` set when the
 * store failed. */
json_t *th_labs_record_json (ThApp *app, const StoreVisit *visit, GError **error);

/* Appends the patient's Observations (every one; LOINC-coded, UCUM
 * quantities, blood pressure as a panel, interpretation, referenceRange,
 * performer or patient-reported) to a Bundle's entry array, with the
 * Practitioner of each performer not yet in it. */
gboolean th_fhir_patient_add_observations (ThApp *app, const char *patient_id, json_t *entries,
                                           GError **error);
/* The same for the observations recorded in one visit (its export). */
gboolean th_fhir_visit_add_observations (ThApp *app, const StoreVisit *visit, json_t *entries,
                                         GError **error);
