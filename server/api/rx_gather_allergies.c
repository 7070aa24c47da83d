/* rx_gather_allergies.c — the allergies section's facts for the safety
 * check (api-rx.h): every allergy and intolerance on the patient's record,
 * whatever its status (the rules decide which count: a rash with
 * lamotrigine counts after it is marked resolved). */
#include "server/api/api-private.h"
#include "server/clock/clock.h"

gboolean
th_rx_gather_allergies (ThApp *app, const ThRxRequest *q, RxCheckFacts *f, GError **error)
{
  g_autoptr (GPtrArray) rows = store_list_allergies (app->store, q->patient_id, error);

  if (!rows)
    return FALSE;
  f->allergies = rx_allergy_facts_new ();
  for (guint i = 0; i < rows->len; i++) {
    const StoreAllergy *s = g_ptr_array_index (rows, i);
    RxAllergy a = {
      .substance_kind = s->substance_kind,
      .substance = s->substance,
      .intolerance = g_strcmp0 (s->type, "intolerance") == 0,
      .manifestation = s->manifestation,
      .reaction = s->reaction,
      .status = s->status,
    };
    /* The day of the reaction when known, else the day it was recorded
     * (the clinic's calendar). */
    if (!s->onset_date || !th_date_parse (s->onset_date, &a.noted))
      th_clock_local_date (app->config->time_zone, s->recorded_at_ms, &a.noted);
    rx_allergy_facts_add (f->allergies, &a);
  }
  return TRUE;
}
