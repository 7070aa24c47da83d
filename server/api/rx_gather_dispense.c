/* rx_gather_dispense.c — the dispense section's facts for the safety check
 * (api-rx.h, rx-dispense.h): the patient's state, the prescriber's DEA
 * registrations (the co-signer's at co-signature), the latest PDMP check of
 * that state, the clinic's PDMP window, and the order's fill dates. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

/* The order's earliest fill date and series: from the request when writing,
 * from the pending order at co-signature. */
static void
fill_dates (const ThRxRequest *q, RxDispenseFacts *d)
{
  const StoreOrderRx *rx = q->order && q->order->rx ? &q->order->rx->rx : NULL;

  if (q->body) {
    d->earliest_fill = q->body->earliest_fill;
    d->n_series = MIN (q->body->n_series, RX_SERIES_MAX);
    for (guint i = 0; i < d->n_series; i++)
      d->series[i] = q->body->series[i];
    return;
  }
  if (!rx)
    return;
  if (rx->earliest_fill_date[0])
    th_date_parse (rx->earliest_fill_date, &d->earliest_fill);
  d->n_series = MIN (rx->n_series, RX_SERIES_MAX);
  for (guint i = 0; i < d->n_series; i++)
    th_date_parse (rx->series[i], &d->series[i]);
}

static gboolean
gather_dea (ThApp *app, const char *staff_id, RxDispenseFacts *d, GError **error)
{
  g_autoptr (GPtrArray) regs = store_list_dea_registrations (app->store, staff_id, error);

  if (!regs || !store_get_staff (app->store, staff_id, &d->prescriber_name, NULL, error))
    return FALSE;
  for (guint i = 0; i < regs->len; i++) {
    const StoreDeaRegistration *r = g_ptr_array_index (regs, i);
    guint schedules = 0;
    GDate expires;
    /* A row the admin CLI checked; one that no longer reads covers nothing. */
    if (!rx_dea_schedules_parse (r->schedules, &schedules, NULL) ||
        !th_date_parse (r->expires, &expires))
      continue;
    rx_dispense_facts_add_dea (d, r->state, r->number, schedules, &expires);
  }
  return TRUE;
}

/* The latest check of the patient's state that is not after now. */
static gboolean
gather_pdmp (ThApp *app, const char *patient_id, RxDispenseFacts *d, GError **error)
{
  g_autoptr (GPtrArray) checks = store_list_pdmp_checks (app->store, patient_id, 50, error);
  gint64 now = store_now_ms ();

  if (!checks)
    return FALSE;
  for (guint i = 0; i < checks->len; i++) {
    const StorePdmpCheck *c = g_ptr_array_index (checks, i);
    if (g_ascii_strcasecmp (c->state, d->patient_state) != 0 || c->checked_at_ms > now)
      continue;
    d->pdmp_found = TRUE;
    d->pdmp_at_ms = c->checked_at_ms;
    d->pdmp_by = g_strdup (c->staff_name);
    break;
  }
  return TRUE;
}

gboolean
th_rx_gather_dispense (ThApp *app, const ThRxRequest *q, RxCheckFacts *f, GError **error)
{
  RxDispenseFacts *d;
  StorePatient p = { 0 };
  gboolean ok = FALSE;

  if (!f->medication)
    return TRUE;
  d = rx_dispense_facts_new ();
  d->pdmp_max_days = app->config->pdmp_max_days;
  fill_dates (q, d);
  if (!store_patient_get (app->store, q->patient_id, &p, error))
    goto out;
  d->patient_state = g_strdup (p.region);
  /* Only a controlled order needs the registration and the PDMP. */
  if (medication_is_controlled (f->medication) &&
      (!gather_dea (app, q->prescriber_id, d, error) ||
       (d->patient_state && !gather_pdmp (app, q->patient_id, d, error))))
    goto out;
  ok = TRUE;
out:
  store_patient_clear (&p);
  if (ok)
    f->dispense = d;
  else
    rx_dispense_facts_free (d);
  return ok;
}
