/* rx_dispense.c — the dispensing section (records-rx.h).
 * PLACEHOLDER: replaced by the dispensing work of issue 15. */
#include "server/records/records.h"

void
rx_dispense_facts_free (RxDispenseFacts *facts)
{
  g_free (facts);
}

void
rx_check_dispense (const RxCheckFacts *f, GPtrArray *findings)
{
  (void) f;
  (void) findings;
}
