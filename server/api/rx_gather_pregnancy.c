/* rx_gather_pregnancy.c — the pregnancy section's facts for the safety
 * check (api-rx.h, rx-titration.h): the patient's pregnancy potential as
 * last recorded (reproductive.c), read only when the order's catalog entry
 * has pregnancy data. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include <string.h>

gboolean
th_rx_gather_pregnancy (ThApp *app, const ThRxRequest *q, RxCheckFacts *f, GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  RxPregnancyFacts *p;

  if (!f->medication || !f->medication->pregnancy)
    return TRUE;
  if (!(rows = store_reproductive_history (app->store, q->patient_id, error)))
    return FALSE;
  p = g_new0 (RxPregnancyFacts, 1);
  g_date_clear (&p->r.pregnancy_checked, 1);
  g_date_clear (&p->r.counselled, 1);
  f->pregnancy = p;
  if (rows->len) {
    StoreReproductive *newest = g_ptr_array_index (rows, 0);
    /* Take the record over: the row is freed with the array. */
    p->recorded = TRUE;
    p->r = newest->r;
    memset (&newest->r, 0, sizeof newest->r);
  }
  return TRUE;
}
