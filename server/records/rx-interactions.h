/* rx-interactions.h — the interactions section of records-rx.h: pairs of
 * drugs or classes (config/interactions.json), checked across the
 * patient's orders and medications from elsewhere. */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-interactions.h"
#endif

struct _RxInteractionTable {
  guint n_rules; /* placeholder until the section lands */
};

RxInteractionTable *rx_interactions_load (const char *path, const MedCatalog *catalog,
                                          GError **error);
void rx_interactions_free (RxInteractionTable *t);
void rx_check_interactions (const RxCheckFacts *f, GPtrArray *findings);
