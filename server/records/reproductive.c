/* reproductive.c — the patient's pregnancy potential as the rules read it
 * (rx-titration.h: RxReproductive), apart from the rules themselves
 * (rx_pregnancy.c) so the body decoder can use it alone. */
#include "server/records/records.h"

#include <string.h>

void
rx_reproductive_clear (RxReproductive *r)
{
  if (!r)
    return;
  g_free (r->sex_at_birth);
  g_free (r->unable_reason);
  g_free (r->pregnancy);
  g_free (r->breastfeeding);
  g_free (r->contraception);
  g_free (r->counselled_by);
  memset (r, 0, sizeof *r);
  g_date_clear (&r->pregnancy_checked, 1);
  g_date_clear (&r->counselled, 1);
}

gboolean
rx_can_become_pregnant (const RxReproductive *r)
{
  if (!r || !r->sex_at_birth)
    return TRUE;
  return g_strcmp0 (r->sex_at_birth, "male") != 0 && r->unable_reason == NULL;
}
