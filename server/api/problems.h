/* problems.h — the patient's diagnoses and allergies at the API (issue 15,
 * items 1 and 3), inside the API part: the routes (problems.c), and the
 * allergy facts the prescribing safety check reads (rx_gather_allergies.c).
 * The rules are server/records/rx_allergies.c and rx_conditions.c, the rows
 * server/store/problems.c, the FHIR resources fhir_problems.c. */
#pragma once

#include "server/api/api-private.h"

/* GET /api/patients/:patient/conditions — the patient's diagnoses and the
 * clinic's list to choose from. */
TH_HANDLER (th_get_conditions);
/* POST /api/patients/:patient/conditions — a diagnosis of the clinic's list. */
TH_HANDLER (th_post_condition);
/* POST /api/patients/:patient/conditions/:condition/status */
TH_HANDLER (th_post_condition_status);
/* GET /api/patients/:patient/allergies — with the substances and reactions
 * to choose from. */
TH_HANDLER (th_get_allergies);
/* POST /api/patients/:patient/allergies */
TH_HANDLER (th_post_allergy);
/* POST /api/patients/:patient/allergies/:allergy/status */
TH_HANDLER (th_post_allergy_status);
