/* rx-titration.h — the titration section of records-rx.h (the catalog's
 * titration steps and restarts) and the pregnancy-potential section. */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-titration.h"
#endif

struct _RxTitrationFacts {
  guint n_steps; /* placeholder until the section lands */
};

void rx_titration_facts_free (RxTitrationFacts *facts);
void rx_check_titration (const RxCheckFacts *f, GPtrArray *findings);

struct _RxPregnancyFacts {
  gboolean known; /* placeholder until the section lands */
};

void rx_pregnancy_facts_free (RxPregnancyFacts *facts);
void rx_check_pregnancy (const RxCheckFacts *f, GPtrArray *findings);
