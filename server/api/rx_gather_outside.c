/* rx_gather_outside.c — the patient's medications from elsewhere for the
 * prescribing check (api-rx.h): current ones, and those stopped within
 * RX_STOPPED_WINDOW_DAYS (for washouts), as RxDrug with outside = TRUE and
 * the ingredient the interaction table knows them by (NULL for free text
 * it cannot match: the check then says they were not checked). */
#include "server/api/api-private.h"

gboolean
th_rx_gather_outside (ThApp *app, const ThRxRequest *q, GArray *drugs, GError **error)
{
  g_autoptr (GPtrArray) rows = store_list_other_meds (app->store, q->patient_id, error);
  gint64 window_start = store_now_ms () - (gint64) RX_STOPPED_WINDOW_DAYS * 86400 * 1000;

  if (!rows)
    return FALSE;
  for (guint i = 0; i < rows->len; i++) {
    const StoreOtherMed *m = g_ptr_array_index (rows, i);
    const RxVocabEntry *e = th_other_med_vocab (app, m);
    gint64 stopped_ms = m->stopped_on ? th_other_med_date_ms (app, m->stopped_on) : 0;
    RxDrug d = { 0 };

    if (m->stopped_on && stopped_ms < window_start)
      continue;
    d.ingredient = e ? g_strdup (e->ingredient) : NULL;
    d.display = m->dose ? g_strdup_printf ("%s %s (from elsewhere)", m->name, m->dose)
                        : g_strdup_printf ("%s (from elsewhere)", m->name);
    d.outside = TRUE;
    d.started_ms = m->created_at_ms;
    /* A stop date that cannot be read counts as today: the washout, if
     * any, then applies in full rather than not at all. */
    d.stopped_ms = m->stopped_on ? (stopped_ms > 0 ? stopped_ms : store_now_ms ()) : 0;
    g_array_append_val (drugs, d);
  }
  return TRUE;
}
