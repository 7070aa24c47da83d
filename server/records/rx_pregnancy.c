/* rx_pregnancy.c — the pregnancy-potential section (records-rx.h).
 * PLACEHOLDER: replaced by the pregnancy work of issue 15. */
#include "server/records/records.h"

void
rx_pregnancy_facts_free (RxPregnancyFacts *facts)
{
  g_free (facts);
}

void
rx_check_pregnancy (const RxCheckFacts *f, GPtrArray *findings)
{
  (void) f;
  (void) findings;
}
