/* reproductive.h — the patient's pregnancy potential (issue 15, item 6),
 * inside the API part: its routes and its record for the safety check's
 * pregnancy section (rx_gather_pregnancy.c). Rows: server/store/
 * reproductive.c; rules: server/records/rx_pregnancy.c. */
#pragma once

#include "server/api/api-private.h"

/* GET /api/patients/:patient/reproductive — {"current": {...} | null,
 * "history": [...], newest first}. */
TH_HANDLER (th_get_reproductive);
/* POST /api/patients/:patient/reproductive — the record as it now stands
 * (a whole new row); 201 with what GET answers. */
TH_HANDLER (th_post_reproductive);

/* fhir_reproductive.c: appends to a FHIR Bundle's entry array Observations
 * of the newest record (sex assigned at birth, pregnancy status,
 * contraception, valproate counselling; breastfeeding is not exported) and
 * the recorder's Practitioner when the bundle lacks it; nothing when none is
 * recorded. FALSE with `error` when the record cannot be read. */
gboolean th_fhir_patient_add_reproductive (ThApp *app, const char *patient_id, json_t *entries,
                                           GError **error);
