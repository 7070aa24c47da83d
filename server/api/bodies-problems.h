/* bodies-problems.h — the request bodies of the patient's diagnoses and
 * allergies (issue 15; bodies_problems.c): pure decoders as api-bodies.h's
 * (TH_BODY_ERROR, the message is what the clinician reads). Whether a code
 * is in the clinic's list, a substance in the catalog, or a date in the
 * future is the route's to say (it has the tables and the clock). */
#pragma once

#include <glib.h>
#include "server/records/records.h"

G_BEGIN_DECLS

/* POST /api/patients/:patient/conditions {"code", "onset"? (YYYY-MM-DD),
 * "clinical_status"? (default active), "verification_status"? (default
 * confirmed), "visit_id"?} */
typedef struct {
  char *code;
  gboolean has_onset;
  GDate onset;
  char *clinical_status;
  char *verification_status;
  char *visit_id;
} ThConditionBody;
gboolean th_body_condition (const char *body, gsize len, ThConditionBody *out, GError **error);
void th_condition_body_clear (ThConditionBody *b);

/* POST .../conditions/:condition/status {"clinical_status"?,
 * "verification_status"?, "reason"?}: at least one status. */
typedef struct {
  char *clinical_status;
  char *verification_status;
  char *reason;
} ThConditionStatusBody;
gboolean th_body_condition_status (const char *body, gsize len, ThConditionStatusBody *out,
                                   GError **error);
void th_condition_status_body_clear (ThConditionStatusBody *b);

/* POST /api/patients/:patient/allergies {"substance", "substance_kind"?
 * (ingredient | class | other; absent: found from the catalog), "type"?
 * (allergy | intolerance; default allergy), "manifestation"?, "reaction"?,
 * "severity"?, "criticality"?, "onset"?, "visit_id"?} */
typedef struct {
  char *substance;
  char *substance_kind;
  char *type;
  char *manifestation;
  char *reaction;
  char *severity;
  char *criticality;
  gboolean has_onset;
  GDate onset;
  char *visit_id;
} ThAllergyBody;
gboolean th_body_allergy (const char *body, gsize len, ThAllergyBody *out, GError **error);
void th_allergy_body_clear (ThAllergyBody *b);

/* POST .../allergies/:allergy/status {"status", "reason"?}; a reason is
 * required for entered-in-error. */
typedef struct {
  char *status;
  char *reason;
} ThAllergyStatusBody;
gboolean th_body_allergy_status (const char *body, gsize len, ThAllergyStatusBody *out,
                                 GError **error);
void th_allergy_status_body_clear (ThAllergyStatusBody *b);

G_END_DECLS
