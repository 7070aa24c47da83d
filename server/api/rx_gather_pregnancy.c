/* rx_gather_pregnancy.c — the pregnancy section's facts for the safety check (api-rx.h).
 * PLACEHOLDER: replaced by the pregnancy work of issue 15. */
#include "server/api/api-private.h"

gboolean
th_rx_gather_pregnancy (ThApp *app, const ThRxRequest *q, RxCheckFacts *f, GError **error)
{
  (void) app;
  (void) q;
  (void) f;
  (void) error;
  return TRUE;
}
