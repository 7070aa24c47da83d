/* store-problems.h — part of the store's face: the patient's diagnoses
 * (ICD-10-CM conditions) and allergies and intolerances (issue 15, items 1
 * and 3; server/store/problems.c). Rows are never changed: a status change
 * is an event, the latest counting. Other parts include
 * server/store/store.h, which includes this file. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-problems.h"
#endif

/* ------------------------------------------------------------ conditions */

typedef struct {
  char *id;
  char *patient_id;
  char *code;       /* ICD-10-CM, as the clinic's list has it */
  char *display;    /* its title when recorded */
  char *onset_date; /* "YYYY-MM-DD" or NULL */
  char *visit_id;   /* the visit it was recorded in, or NULL */
  char *recorded_by;
  char *recorded_by_name;
  gint64 recorded_at_ms;
  /* The latest status event (the first is written with the row). */
  char *clinical_status;     /* FHIR condition-clinical */
  char *verification_status; /* FHIR condition-ver-status */
  char *status_reason;       /* NULL for the first */
  char *status_by;
  char *status_by_name;
  gint64 status_at_ms;
} StoreCondition;

void store_condition_clear (StoreCondition *c);
void store_condition_free (StoreCondition *c);

typedef struct {
  const char *patient_id;
  const char *code;
  const char *display;
  const char *onset_date; /* NULL: not known */
  const char *visit_id;   /* NULL: recorded outside a visit; else one of the patient's */
  const char *clinical_status;
  const char *verification_status;
  const char *recorded_by;
} StoreConditionNew;

/* The new condition's id; NOT_FOUND without the patient, INVALID (in the
 * clinician's words) for a visit of another patient. */
char *store_add_condition (Store *store, const StoreConditionNew *c, gint64 at_ms, GError **error);
/* The patient's conditions, oldest first (StoreCondition). NOT_FOUND
 * without the patient. */
GPtrArray *store_list_conditions (Store *store, const char *patient_id, GError **error);
/* A new status for one of the patient's conditions (NOT_FOUND when it is
 * not theirs). `reason` may be NULL. */
gboolean store_condition_set_status (Store *store, const char *patient_id, const char *condition_id,
                                     const char *clinical_status, const char *verification_status,
                                     const char *reason, const char *by_staff_id, gint64 at_ms,
                                     GError **error);
/* The ids of the conditions a visit addressed: recorded in it, or treated
 * by an order written in it (each once, oldest first; GStrv). */
char **store_visit_condition_ids (Store *store, const char *visit_id, GError **error);

/* ------------------------------------------------------------ allergies */

typedef struct {
  char *id;
  char *patient_id;
  char *substance_kind; /* ingredient | class | other */
  char *substance;
  char *type;          /* allergy | intolerance */
  char *manifestation; /* rx_manifestation_find's code or NULL */
  char *reaction;      /* free text or NULL */
  char *severity;      /* mild | moderate | severe or NULL */
  char *criticality;   /* low | high | unable-to-assess or NULL */
  char *onset_date;    /* "YYYY-MM-DD" or NULL */
  char *visit_id;
  char *recorded_by;
  char *recorded_by_name;
  gint64 recorded_at_ms;
  char *status; /* the latest event's: active | inactive | resolved | entered-in-error */
  char *status_reason;
  char *status_by;
  char *status_by_name;
  gint64 status_at_ms;
} StoreAllergy;

void store_allergy_clear (StoreAllergy *a);
void store_allergy_free (StoreAllergy *a);

typedef struct {
  const char *patient_id;
  const char *substance_kind;
  const char *substance;
  const char *type;
  const char *manifestation;
  const char *reaction;
  const char *severity;
  const char *criticality;
  const char *onset_date;
  const char *visit_id;
  const char *status;
  const char *recorded_by;
} StoreAllergyNew;

char *store_add_allergy (Store *store, const StoreAllergyNew *a, gint64 at_ms, GError **error);
GPtrArray *store_list_allergies (Store *store, const char *patient_id, GError **error);
gboolean store_allergy_set_status (Store *store, const char *patient_id, const char *allergy_id,
                                   const char *status, const char *reason, const char *by_staff_id,
                                   gint64 at_ms, GError **error);
