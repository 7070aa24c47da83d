/* rx-allergies.h — the allergies section of records-rx.h (allergies and
 * intolerances, a lamotrigine rechallenge after a rash) and the ICD-10-CM
 * subset of diagnoses (config/conditions.json). */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-allergies.h"
#endif

struct _RxConditionTable {
  guint n_conditions; /* placeholder until the section lands */
};

RxConditionTable *rx_conditions_load (const char *path, GError **error);
void rx_conditions_free (RxConditionTable *t);

struct _RxAllergyFacts {
  guint n_allergies; /* placeholder until the section lands */
};

void rx_allergy_facts_free (RxAllergyFacts *facts);
void rx_check_allergies (const RxCheckFacts *f, GPtrArray *findings);
