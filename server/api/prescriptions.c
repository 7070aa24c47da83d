/* prescriptions.c — real prescriptions at the API (issue 15, item 7;
 * api-dispense.h): what a new order dispenses and where it goes, the renew
 * action, the patient's preferred pharmacy and the PDMP checks. Whether a
 * controlled order may be written (refills by schedule, the DEA
 * registration, a recent PDMP check) is the safety check's
 * (rx_gather_dispense.c, records/rx_dispense.c). */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <math.h>
#include <string.h>

/* An earliest fill date lies from the day written to the end of the
 * longest schedule II series (21 CFR 1306.12(b): 90 days). */
#define FILL_DATE_MAX_DAYS 90
#define PDMP_LIST_MAX 10

static char *
date_text (const GDate *d)
{
  return th_date_format (d);
}

/* "3 Dec 2026". */
static char *
date_words (const GDate *d)
{
  char buf[64];
  g_date_strftime (buf, sizeof buf, "%-d %b %Y", d);
  return g_strdup (buf);
}

static gboolean
fill_date_in_range (ThHttpResponse *r, const GDate *day, const GDate *today)
{
  GDate last = *today;
  g_autofree char *when = NULL, *first = NULL, *end = NULL;

  g_date_add_days (&last, FILL_DATE_MAX_DAYS);
  if (g_date_compare (day, today) >= 0 && g_date_compare (day, &last) <= 0)
    return TRUE;
  when = date_words (day);
  first = date_words (today);
  end = date_words (&last);
  {
    g_autofree char *message =
      g_strdup_printf ("The earliest fill date (%s) must be from today (%s) to %s, 90 days on. "
                       "Nothing was saved.",
                       when, first, end);
    th_respond_error (r, 422, "invalid", message);
  }
  return FALSE;
}

gboolean
th_order_rx_prepare (ThApp *app, ThHttpResponse *r, const Medication *med,
                     const ThAdjustmentBody *b, const char *patient_id, StoreAdjustment *adj,
                     StoreOrderRx *rx)
{
  g_autoptr (GError) error = NULL;
  StorePharmacy pharmacy = { 0 };
  GDate today;

  th_clinic_today (app, &today);
  /* The quantity is the dose times the days' supply: one the prescriber
   * typed that says otherwise is a mistake on a legal document. */
  if (b->has_quantity && fabs (b->quantity - adj->dispense_quantity) > 1e-6) {
    g_autofree char *message = g_strdup_printf (
      "The quantity (%g) does not match the dose and the days' supply: %u days of this dose "
      "are %g %s%s. Send %g, or change the dose or the supply. Nothing was saved.",
      b->quantity, adj->supply_days, adj->dispense_quantity,
      med->dose_form ? med->dose_form : "unit", adj->dispense_quantity == 1 ? "" : "s",
      adj->dispense_quantity);
    th_respond_error (r, 422, "invalid", message);
    return FALSE;
  }
  if (g_date_valid (&b->earliest_fill)) {
    g_autofree char *text = NULL;
    if (!fill_date_in_range (r, &b->earliest_fill, &today))
      return FALSE;
    text = date_text (&b->earliest_fill);
    g_strlcpy (rx->earliest_fill_date, text, sizeof rx->earliest_fill_date);
  }
  /* A series' dates are the rules' (c2-series); only their range here. */
  for (guint i = 0; i < b->n_series && i < STORE_SERIES_MAX; i++) {
    g_autofree char *text = date_text (&b->series[i]);
    GDate last = today;
    g_date_add_days (&last, FILL_DATE_MAX_DAYS);
    if (g_date_compare (&b->series[i], &last) > 0)
      return fill_date_in_range (r, &b->series[i], &today);
    g_strlcpy (rx->series[i], text, sizeof rx->series[0]);
  }
  rx->n_series = MIN (b->n_series, STORE_SERIES_MAX);
  if (rx->n_series)
    g_strlcpy (rx->earliest_fill_date, rx->series[0], sizeof rx->earliest_fill_date);
  if (!store_get_patient_pharmacy (app->store, patient_id, &pharmacy, &error)) {
    th_respond_store_error (r, error,
                            "The patient's pharmacy could not be read. Nothing was saved; try "
                            "again.");
    return FALSE;
  }
  rx->pharmacy_id = pharmacy.id;
  store_pharmacy_clear (&pharmacy);
  adj->rx = rx;
  return TRUE;
}

json_t *
th_pharmacy_json (const StorePharmacy *p)
{
  g_autofree char *at = NULL;

  if (!p || p->id == 0)
    return json_null ();
  at = th_iso_from_ms (p->at_ms);
  return json_pack ("{s:I, s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:s}", "id", (json_int_t) p->id,
                    "name", p->name, "address", p->address, "phone", p->phone, "ncpdp_id",
                    p->ncpdp_id ? json_string (p->ncpdp_id) : json_null (), "set_by", "id",
                    p->set_by ? p->set_by : "", "display_name",
                    p->set_by_name ? p->set_by_name : "", "at", at ? at : "");
}

void
th_order_rx_json (const StoreOrder *o, json_t *j)
{
  const StoreOrderRxRead *rx = o->rx;
  json_t *dispense = json_object_get (j, "dispense");

  json_object_set_new (j, "renews",
                       rx && rx->renews_order_id ? json_string (rx->renews_order_id)
                                                 : json_null ());
  /* A renewal is stored as a dose change to the same dosing; the record
   * says what it is. */
  if (rx && rx->renews_order_id)
    json_object_set_new (j, "action", json_string ("renew"));
  json_object_set_new (j, "renewed_by",
                       rx && rx->renewed_by_order_id ? json_string (rx->renewed_by_order_id)
                                                     : json_null ());
  if (!json_is_object (dispense))
    return;
  json_object_set_new (dispense, "earliest_fill_date",
                       rx && rx->rx.earliest_fill_date[0] ? json_string (rx->rx.earliest_fill_date)
                                                          : json_null ());
  json_object_set_new (dispense, "pharmacy", th_pharmacy_json (rx ? &rx->pharmacy : NULL));
  if (rx && rx->rx.n_series > 0) {
    json_t *series = json_array ();
    for (guint i = 0; i < rx->rx.n_series; i++)
      json_array_append_new (series, json_pack ("{s:i, s:s}", "prescription", (int) i + 1,
                                                "earliest_fill_date", rx->rx.series[i]));
    json_object_set_new (dispense, "series", series);
  } else {
    json_object_set_new (dispense, "series", json_null ());
  }
}

/* ------------------------------------------------------------ renew */

/* What a renewal may say: the dosing is the order's own. */
static const char *const kRenewKeys[] = { "reason",   "supply_days",        "refills",
                                          "quantity", "earliest_fill_date", "series",
                                          "override", "safety_confirm" };

static gboolean
renew_key_allowed (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (kRenewKeys); i++)
    if (strcmp (key, kRenewKeys[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The renewal as an adjustment body: the order's dosing, written anew. */
static json_t *
renew_body (const StoreOrder *o, json_t *given)
{
  json_t *obj = json_pack ("{s:s, s:s, s:s, s:f, s:s, s:s, s:s}", "kind", "change-dose", "order_id",
                           o->id, "medication", o->medication_id, "dose", o->dose, "unit", o->unit,
                           "frequency", o->frequency, "route", o->route);
  const char *key;
  json_t *value;

  if (o->second_dose > 0)
    json_object_set_new (obj, "bedtime_dose", json_real (o->second_dose));
  if (o->prn_max_per_day > 0)
    json_object_set_new (obj, "prn_max_per_day", json_integer (o->prn_max_per_day));
  if (o->supply_days > 0) {
    json_object_set_new (obj, "supply_days", json_integer (o->supply_days));
    json_object_set_new (obj, "refills", json_integer (o->refills));
  }
  json_object_set_new (obj, "reason", json_string ("Renewal: the same dosing continues."));
  json_object_foreach (given, key, value) json_object_set (obj, key, value);
  return obj;
}

void
th_post_renew (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *order_id = th_route_param (&call->params, "order");
  g_autoptr (GError) error = NULL;
  StoreOrder o = { 0 };
  ThAdjustmentBody body = { 0 };
  json_t *given = NULL, *obj = NULL;
  const char *key;
  json_t *value;
  char *text = NULL;

  if (req->body && req->body_len > 0 &&
      !(given = th_body_load_object (req->body, req->body_len, &error))) {
    th_respond_body_error (r, error);
    goto out;
  }
  json_object_foreach (given, key, value) if (!renew_key_allowed (key))
  {
    th_respond_error (r, 400, "bad-field",
                      "A renewal keeps the order's dosing: it may give a reason, the days' "
                      "supply, refills, quantity, earliest fill date or series, and an "
                      "override. To change the dose, write a dose change. Nothing was saved.");
    goto out;
  }
  if (!store_get_order (app->store, order_id, &o, &error)) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", "This medication order does not exist.");
    else
      th_respond_store_error (r, error, "The order could not be read. Nothing was saved.");
    goto out;
  }
  if (g_strcmp0 (o.patient_id, call->visit.patient_id) != 0) {
    th_respond_error (r, 404, "not-found", "This medication order is not this patient's.");
    goto out;
  }
  if (g_strcmp0 (o.status, "active") != 0) {
    g_autofree char *message = g_strdup_printf ("Only an active order can be renewed: this %s "
                                                "order is %s. Write a new order instead.",
                                                o.medication_name, order_status_text (o.status));
    th_respond_error (r, 422, "invalid", message);
    goto out;
  }
  obj = renew_body (&o, given);
  text = json_dumps (obj, JSON_COMPACT);
  if (!text || !th_body_adjustment (text, strlen (text), &body, &error)) {
    if (error)
      th_respond_body_error (r, error);
    else
      th_respond_error (r, 500, "internal",
                        "The renewal could not be prepared. Nothing was saved.");
    goto out;
  }
  g_free (body.kind_name);
  body.kind_name = g_strdup ("renew");
  th_adjustment_apply (app, req, r, call, &body, TRUE);
out:
  free (text);
  json_decref (obj);
  json_decref (given);
  th_adjustment_body_clear (&body);
  store_order_clear (&o);
}

/* ------------------------------------------------ in-person evaluation */

json_t *
th_in_person_eval_by_json (ThApp *app, const char *patient_id, GError **error)
{
  GError *local = NULL;
  g_autofree char *by = store_get_in_person_evaluation_by (app->store, patient_id, &local);
  g_autofree char *name = NULL;

  if (local) {
    if (!error) {
      g_error_free (local);
      return json_null ();
    }
    g_propagate_error (error, local);
    return NULL;
  }
  if (!by)
    return json_null ();
  /* A staff id reads as the clinician's name; anything else is a name. */
  if (!store_get_staff (app->store, by, &name, NULL, &local))
    g_clear_error (&local);
  return json_pack ("{s:s, s:s}", "text", by, "display_name", name ? name : by);
}
