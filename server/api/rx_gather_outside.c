/* rx_gather_outside.c — the outside section's facts for the safety check (api-rx.h).
 * PLACEHOLDER: replaced by the outside work of issue 15. */
#include "server/api/api-private.h"

gboolean
th_rx_gather_outside (ThApp *app, const ThRxRequest *q, GArray *drugs, GError **error)
{
  (void) app;
  (void) q;
  (void) drugs;
  (void) error;
  return TRUE;
}
