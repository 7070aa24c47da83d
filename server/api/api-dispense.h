/* api-dispense.h — real prescriptions at the API (issue 15, item 7), inside
 * the API part: what an order dispenses (quantity, earliest fill date,
 * pharmacy, a schedule II series), the renew action, the patient's
 * pharmacy and PDMP checks. The rules are server/records/rx_dispense.c, the
 * rows server/store/pharmacy.c, order_rx.c and dea.c. Included by
 * api-private.h. */
#pragma once

/* The dispensing part of a new order, checked against what check_dosing
 * computed (adj->dispense_quantity, adj->supply_days): a quantity the body
 * gives must match it; the earliest fill date and a series' dates lie from
 * today to 90 days on; the patient's pharmacy now is where it goes. Fills
 * rx and sets adj->rx. FALSE after answering (422, or 500 when the pharmacy
 * cannot be read). */
gboolean th_order_rx_prepare (ThApp *app, ThHttpResponse *r, const Medication *med,
                              const ThAdjustmentBody *b, const char *patient_id,
                              StoreAdjustment *adj, StoreOrderRx *rx);
/* Adds what the order dispenses to its JSON: "renews", "renewed_by" and,
 * in "dispense", "earliest_fill_date", "pharmacy", "series". */
void th_order_rx_json (const StoreOrder *o, json_t *order_json);
/* The pharmacy as JSON (null when id is 0). */
json_t *th_pharmacy_json (const StorePharmacy *p);

/* orders.c: an adjustment the body asks for, through every rule. */
void th_adjustment_apply (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                          const ThApiCall *call, ThAdjustmentBody *b, gboolean renew);

/* POST /api/visits/:visit/orders/:order/renew {"reason"?, "supply_days"?,
 * "refills"?, "quantity"?, "earliest_fill_date"?, "series"?, "override"?}. */
TH_HANDLER (th_post_renew);
/* GET, POST /api/patients/:patient/pharmacy */
TH_HANDLER (th_get_pharmacy);
TH_HANDLER (th_post_pharmacy);
/* GET, POST /api/patients/:patient/pdmp-checks */
TH_HANDLER (th_get_pdmp_checks);
TH_HANDLER (th_post_pdmp_check);

/* Who performed the patient's in-person evaluation: {"text": as recorded,
 * "display_name": the staff member's name when it is a staff id, else the
 * text}, or JSON null when none is on record; NULL with `error` set when the
 * store failed (error may be NULL: then JSON null). */
json_t *th_in_person_eval_by_json (ThApp *app, const char *patient_id, GError **error);
