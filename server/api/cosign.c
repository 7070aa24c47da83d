/* cosign.c — the supervising psychiatrist's queue (GET /api/orders/pending):
 * her physician assistants' orders awaiting co-signature and their stops
 * to acknowledge, each with what she needs to judge it without opening
 * another page: the patient, the PA, the visit it was written in, and the
 * prescribing rule that made it wait. Co-signing and declining are
 * orders.c's. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

/* Why a PA's order waits: the "role" rule of prescribe_decide
 * (server/records/prescribing.c). A controlled substance meets the
 * controlled-substance rules again at co-signature, on the co-signer's
 * authority and by the date she signs (21 CFR 1306; the Ryan Haight Act's
 * in-person evaluation once the telemedicine flexibility has ended). */
static json_t *
cosign_rule_json (json_t *order)
{
  gboolean controlled = json_is_true (
    json_object_get (json_object_get (order, "medication"), "controlled"));

  return json_pack ("{s:s, s:s, s:o}", "code", "role", "text",
                    "A physician assistant's prescription change takes effect only when their "
                    "supervising psychiatrist co-signs it.",
                    "also",
                    controlled ? json_string ("A controlled substance: co-signing checks the "
                                              "controlled-substance rules again, as of the day "
                                              "you sign (video visit; an in-person evaluation "
                                              "once the telemedicine flexibility has ended).")
                               : json_null ());
}

/* The order as the queue shows it: th_order_json with its patient and its
 * visit. NULL with `error` set when the visit cannot be read. */
static json_t *
queue_item_json (ThApp *app, const StoreOrder *o, GHashTable *visits, GError **error)
{
  StoreVisit *v = g_hash_table_lookup (visits, o->visit_id);
  g_autofree char *at = NULL;
  json_t *item;

  if (!v) {
    v = g_new0 (StoreVisit, 1);
    if (!store_get_visit (app->store, o->visit_id, v, error)) {
      g_free (v);
      return NULL;
    }
    g_hash_table_insert (visits, v->id, v);
  }
  at = th_iso_from_ms (v->scheduled_at_ms);
  item = th_order_json (app, o);
  json_object_set_new (item, "patient",
                       json_pack ("{s:s, s:s}", "id", v->patient_id, "display_name",
                                  v->patient_name ? v->patient_name : ""));
  json_object_set_new (item, "visit",
                       json_pack ("{s:s, s:s, s:s, s:s}", "id", v->id, "scheduled_at", at, "state",
                                  visit_state_name (v->state), "modality",
                                  v->modality ? v->modality : "video"));
  return item;
}

/* GET /api/orders/pending: {"orders": pending orders, oldest first, each
 * with "patient", "visit" and "cosign_rule"; "stops_to_acknowledge": the
 * PAs' stops (in effect since made), each with "stopped_by", "patient" and
 * "visit"; "count": how many items wait for her}. */
TH_HANDLER (th_get_pending)
{
  const char *staff_id = call->caller.staff_id;
  g_autoptr (GPtrArray) orders = NULL, stops = NULL;
  g_autoptr (GHashTable) visits = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) store_visit_free);
  g_autoptr (GError) error = NULL;
  json_t *list = NULL, *stop_list = NULL, *item;

  (void) req;
  orders = store_list_pending_for_supervisor (app->store, staff_id, &error);
  stops = orders ? store_list_stops_to_acknowledge (app->store, staff_id, &error) : NULL;
  if (!orders || !stops)
    goto failed;
  list = json_array ();
  for (guint i = 0; i < orders->len; i++) {
    if (!(item = queue_item_json (app, g_ptr_array_index (orders, i), visits, &error)))
      goto failed;
    json_object_set_new (item, "cosign_rule", cosign_rule_json (item));
    json_array_append_new (list, item);
  }
  stop_list = json_array ();
  for (guint i = 0; i < stops->len; i++) {
    const StoreOrder *o = g_ptr_array_index (stops, i);
    if (!(item = queue_item_json (app, o, visits, &error)))
      goto failed;
    json_object_set_new (item, "stopped_by",
                         json_pack ("{s:s, s:s}", "id", o->status_by ? o->status_by : "",
                                    "display_name", o->status_by_name ? o->status_by_name : ""));
    json_array_append_new (stop_list, item);
  }
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:o, s:i}", "orders", list, "stops_to_acknowledge", stop_list,
                              "count", (json_int_t) (orders->len + stops->len)));
  return;
failed:
  json_decref (list);
  json_decref (stop_list);
  th_respond_store_error (r, error, "The orders awaiting you could not be read. Reload the page.");
}
