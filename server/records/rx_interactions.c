/* rx_interactions.c — the interactions section (records-rx.h).
 * PLACEHOLDER: replaced by the interactions work of issue 15. */
#include "server/records/records.h"

RxInteractionTable *
rx_interactions_load (const char *path, const MedCatalog *catalog, GError **error)
{
  (void) path;
  (void) catalog;
  (void) error;
  return g_new0 (RxInteractionTable, 1);
}

void
rx_interactions_free (RxInteractionTable *t)
{
  g_free (t);
}

void
rx_check_interactions (const RxCheckFacts *f, GPtrArray *findings)
{
  (void) f;
  (void) findings;
}
