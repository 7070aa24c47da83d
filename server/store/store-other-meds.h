/* store-other-meds.h — part of the store's face: the patient's medications
 * from elsewhere (issue 15, migration 26): what other prescribers gave, so
 * the prescribing check sees the whole list. Other parts include
 * server/store/store.h, which includes this file. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-other-meds.h"
#endif

typedef struct {
  char *id;
  char *patient_id;
  char *name;       /* as recorded: "tramadol", "St John's wort" */
  char *rxnorm;     /* RxNorm code (digits) or NULL: free text */
  char *dose;       /* free text or NULL: "50 mg up to four times a day" */
  char *prescriber; /* free text or NULL: "Dr Okafor (primary care)" */
  char *status;     /* active | stopped */
  char *stopped_on; /* YYYY-MM-DD when stopped, else NULL */
  char *verified_by;      /* staff id, NULL when not verified */
  char *verified_by_name;
  gint64 verified_at_ms;
  char *created_by;
  char *created_by_name;
  gint64 created_at_ms;
} StoreOtherMed;

void store_other_med_free (gpointer p);

/* What a clinician records (validated by the API). */
typedef struct {
  const char *name;
  const char *rxnorm;     /* NULL: free text */
  const char *dose;       /* NULL: none */
  const char *prescriber; /* NULL: none */
  const char *stopped_on; /* NULL: active */
  gboolean verified;      /* verified with the patient by `staff_id` now */
} StoreOtherMedNew;

/* Adds one; returns the new row. NOT_FOUND without the patient; INVALID
 * when a value breaks the table's rules. */
StoreOtherMed *store_other_med_add (Store *store, const char *patient_id,
                                    const StoreOtherMedNew *m, const char *staff_id,
                                    GError **error);
/* Every one of the patient's, oldest first. */
GPtrArray *store_list_other_meds (Store *store, const char *patient_id, GError **error);
/* Marks one stopped on `stopped_on` (YYYY-MM-DD); NOT_FOUND when it is not
 * the patient's, INVALID when it is stopped already. Returns the row. */
StoreOtherMed *store_other_med_stop (Store *store, const char *patient_id, const char *id,
                                     const char *stopped_on, GError **error);
/* Records that `staff_id` verified it with the patient now (again, when it
 * was verified before). Returns the row. */
StoreOtherMed *store_other_med_verify (Store *store, const char *patient_id, const char *id,
                                       const char *staff_id, GError **error);
