/* rx_allergies.c — the allergies section (records-rx.h).
 * PLACEHOLDER: replaced by the allergies work of issue 15. */
#include "server/records/records.h"

void
rx_allergy_facts_free (RxAllergyFacts *facts)
{
  g_free (facts);
}

void
rx_check_allergies (const RxCheckFacts *f, GPtrArray *findings)
{
  (void) f;
  (void) findings;
}
