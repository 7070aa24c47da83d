/* rx_titration.c — the titration section (records-rx.h).
 * PLACEHOLDER: replaced by the titration work of issue 15. */
#include "server/records/records.h"

void
rx_titration_facts_free (RxTitrationFacts *facts)
{
  g_free (facts);
}

void
rx_check_titration (const RxCheckFacts *f, GPtrArray *findings)
{
  (void) f;
  (void) findings;
}
