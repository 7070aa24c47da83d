/* api-outside.h — the patient's medications from elsewhere at the API
 * (issue 15): the routes (other_meds.c), what the prescribing check sees
 * (rx_gather_outside.c) and the FHIR MedicationStatements
 * (fhir_other_meds.c). Included by api-private.h. */
#pragma once

#include "server/api/api-bodies-outside.h"

/* GET/POST /api/patients/:patient/other-medications,
 * POST .../other-medications/:id/stop and .../:id/verify */
TH_HANDLER (th_get_other_meds);
TH_HANDLER (th_post_other_med);
TH_HANDLER (th_post_other_med_stop);
TH_HANDLER (th_post_other_med_verify);

/* The vocabulary entry a recorded medication stands for: by its RxNorm
 * code, else by its name; NULL for free text the table does not know. */
const RxVocabEntry *th_other_med_vocab (ThApp *app, const StoreOtherMed *m);

/* Noon on `date` in the clinic's zone: a stop date as an instant. */
gint64 th_other_med_date_ms (ThApp *app, const char *date);

/* Appends a MedicationStatement per medication from elsewhere to a FHIR
 * Bundle's `entries` (RxNorm coding when known, the name as text). FALSE
 * with `error` when they cannot be read. */
gboolean th_fhir_patient_add_other_meds (ThApp *app, const char *patient_id, json_t *entries,
                                         GError **error);
