/* api_orders.c — prescription adjustments (start, stop, change dose,
 * switch), co-signature, entered-in-error, and the co-signature queue. The
 * server enforces who may prescribe what, when (clinical_prescribing.c),
 * whatever the page allowed; refusals are audited. */
#define G_LOG_DOMAIN "th-api"

#include "server/api-private.h"

#include <string.h>

json_t *
th_order_json (ThApp *app, const StoreOrder *o)
{
  const Medication *med = med_catalog_find (app->catalog, o->medication_id);
  g_autofree char *created = th_iso_from_ms (o->created_at_ms);
  g_autofree char *status_at = th_iso_from_ms (o->status_at_ms ? o->status_at_ms : o->created_at_ms);

  return json_pack ("{s:s, s:{s:s, s:s, s:s, s:s, s:b}, s:f, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o,"
                    " s:o, s:{s:s, s:s}, s:s, s:o}",
                    "id", o->id,
                    "medication", "id", o->medication_id, "name",
                    o->medication_name ? o->medication_name : o->medication_id, "rxnorm",
                    o->rxnorm ? o->rxnorm : "", "schedule", med ? med->schedule : "none",
                    "controlled", med ? medication_is_controlled (med) : FALSE,
                    "dose", o->dose, "unit", o->unit, "frequency", o->frequency, "route", o->route,
                    "action", o->action, "reason", o->reason ? o->reason : "", "status", o->status,
                    "created_at", created, "status_at", status_at,
                    "status_reason", o->status_reason ? json_string (o->status_reason) : json_null (),
                    "replaces", o->replaces_order_id ? json_string (o->replaces_order_id) : json_null (),
                    "prescriber", "id", o->prescriber_id, "display_name",
                    o->prescriber_name ? o->prescriber_name : "",
                    "visit_id", o->visit_id ? o->visit_id : "",
                    "cosigned_by", o->cosigned_by ? json_string (o->cosigned_by) : json_null ());
}

/* A dose's amount per day, for telling an increase from a decrease. "As
 * needed" counts as once a day: the most it may be taken is unknown. */
static double
daily_amount (double dose, const char *frequency)
{
  guint per_day = med_frequency_per_day (frequency);
  return dose * (per_day ? per_day : 1);
}

static void
refuse_rule (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *staff_id,
             const char *visit_id,
             const char *kind, const char *medication_id, const char *rule, const char *reason)
{
  th_audit (app, req->address, staff_id, "prescribe.refused", visit_id,
            json_pack ("{s:s, s:s, s:s}", "rule", rule, "kind", kind, "medication",
                       medication_id ? medication_id : ""));
  /* (the caller adds nothing patient-identifying beyond ids) */
  th_respond_json (r, 403, json_pack ("{s:{s:s, s:s, s:s}}", "error", "code", "prescribing-rule",
                                      "rule", rule, "message", reason));
}

/* POST /api/visits/<id>/adjustments */
static void
post_adjustment (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *role = NULL, *supervisor = NULL, *rule = NULL, *reason_text = NULL;
  g_autoptr (GError) error = NULL;
  ThAdjustmentBody body = { 0 };
  const char *kind_name, *order_id, *medication_id, *unit, *frequency, *route;
  double dose;
  StoreVisit visit = { 0 };
  StoreOrder old = { 0 };
  StoreOrder *created = NULL;
  StoreAdjustment adj = { 0 };
  const Medication *med = NULL;
  PrescribeContext ctx = { 0 };
  PrescribeDecision decision;

  if (!staff_id || !th_require_own_visit (app, staff_id, visit_id, r, &visit))
    return;
  if (!th_body_adjustment (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  adj.kind = body.kind;
  kind_name = body.kind_name;
  order_id = body.order_id;
  medication_id = body.medication_id;
  dose = body.dose;
  unit = body.unit;
  frequency = body.frequency;
  route = body.route;

  /* The order acted on. */
  if (adj.kind != ADJUST_START) {
    if (!order_id) {
      th_respond_error (r, 400, "bad-field", "order_id names the order this acts on");
      goto out;
    }
    if (!store_get_order (app->store, order_id, &old, NULL) ||
        g_strcmp0 (old.patient_id, visit.patient_id) != 0) {
      th_respond_error (r, 422, "invalid", "no such order for this patient");
      goto out;
    }
    if (g_strcmp0 (old.status, "active") != 0) {
      g_autofree char *msg = g_strdup_printf ("the %s order is %s, not active", old.medication_name,
                                              old.status);
      th_respond_error (r, 422, "invalid", msg);
      goto out;
    }
  } else if (order_id) {
    th_respond_error (r, 400, "bad-field", "a start does not act on an existing order");
    goto out;
  }

  /* The new order's medication and dose, checked against the catalog. */
  if (adj.kind == ADJUST_CHANGE_DOSE) {
    if (medication_id && strcmp (medication_id, old.medication_id) != 0) {
      th_respond_error (r, 422, "invalid",
                        "a dose change keeps the medication; use a switch to change it");
      goto out;
    }
    medication_id = old.medication_id;
  }
  if (adj.kind != ADJUST_STOP) {
    if (!medication_id) {
      th_respond_error (r, 400, "bad-field", "medication names the catalog entry");
      goto out;
    }
    med = med_catalog_find (app->catalog, medication_id);
    if (!med) {
      th_respond_error (r, 422, "invalid", "that medication is not in the catalog");
      goto out;
    }
    if (adj.kind == ADJUST_SWITCH && strcmp (med->id, old.medication_id) == 0) {
      th_respond_error (r, 422, "invalid", "a switch goes to another medication; use a dose change");
      goto out;
    }
    if (!unit)
      unit = med->unit;
    if (!route)
      route = "oral";
    if (!frequency || !med_frequency_valid (frequency)) {
      th_respond_error (r, 422, "invalid",
                        "frequency must be once-daily, twice-daily, three-times-daily, "
                        "at-bedtime, every-morning or as-needed");
      goto out;
    }
    if (!med_route_valid (route)) {
      th_respond_error (r, 422, "invalid", "route must be oral, sublingual or transdermal");
      goto out;
    }
    if (!med_dose_valid (med, dose, unit, &error)) {
      th_respond_error (r, 422, "invalid", error->message);
      goto out;
    }
  } else if (medication_id || dose != 0 || frequency) {
    th_respond_error (r, 400, "bad-field", "a stop takes only order_id and reason");
    goto out;
  }

  /* Who may prescribe this, in this visit, today. */
  if (!store_get_staff (app->store, staff_id, NULL, &role, NULL)) {
    th_respond_error (r, 500, "internal", "the account could not be read");
    goto out;
  }
  supervisor = store_get_staff_supervisor (app->store, staff_id, NULL);
  store_get_in_person_evaluation (app->store, visit.patient_id, &ctx.in_person_eval, NULL);
  ctx.actor_role = role;
  ctx.has_supervisor = supervisor != NULL;
  ctx.medication = med;
  ctx.starts_or_increases = adj.kind == ADJUST_START || adj.kind == ADJUST_SWITCH ||
                            (adj.kind == ADJUST_CHANGE_DOSE &&
                             daily_amount (dose, frequency) > daily_amount (old.dose, old.frequency));
  ctx.modality = visit.modality;
  th_clinic_today (app, &ctx.today);
  ctx.policy_end = app->config->policy_end;
  ctx.in_person_eval_months = app->config->in_person_eval_months;
  decision = prescribe_decide (&ctx, &rule, &reason_text);
  if (decision == PRESCRIBE_REFUSED) {
    refuse_rule (app, req, r, staff_id, visit_id, kind_name, medication_id, rule, reason_text);
    goto out;
  }

  adj.visit_id = visit_id;
  adj.prescriber_id = staff_id;
  adj.pending = decision == PRESCRIBE_PENDING_COSIGN;
  adj.reason = body.reason;
  adj.replaces_order_id = adj.kind == ADJUST_START ? NULL : old.id;
  adj.medication_id = med ? med->id : NULL;
  adj.dose = dose;
  adj.unit = unit;
  adj.frequency = frequency;
  adj.route = route;
  created = store_apply_adjustment (app->store, &adj, &error);
  if (!created) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 422, "invalid", error->message);
    else {
      g_warning ("adjustment not saved: %s", error ? error->message : "?");
      th_respond_error (r, 500, "internal", "the adjustment could not be saved");
    }
    goto out;
  }
  th_audit (app, req->address, staff_id, adj.pending ? "prescribe.pending" : "prescribe.apply", created->id,
            json_pack ("{s:s, s:s, s:s, s:s}", "kind", kind_name, "visit", visit_id, "medication",
                       created->medication_id, "patient", visit.patient_id));
  th_respond_json (r, 201, json_pack ("{s:s, s:o}", "status", created->status, "order",
                                      th_order_json (app, created)));
out:
  if (created)
    store_order_free (created);
  store_order_clear (&old);
  store_visit_clear (&visit);
  th_adjustment_body_clear (&body);
}

static void
respond_order (ThApp *app, ThHttpResponse *r, guint status, const char *order_id)
{
  StoreOrder o = { 0 };

  if (!store_get_order (app->store, order_id, &o, NULL)) {
    th_respond_error (r, 500, "internal", "the order could not be read back");
    return;
  }
  th_respond_json (r, status, json_pack ("{s:o}", "order", th_order_json (app, &o)));
  store_order_clear (&o);
}

/* POST /api/orders/<id>/cosign and /entered-in-error */
static void
post_order_action (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *order_id,
                   gboolean cosign)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *supervisor = NULL, *reason = NULL;
  g_autoptr (GError) error = NULL;
  StoreOrder o = { 0 };
  gboolean ok;

  if (!staff_id)
    return;
  if (!store_get_order (app->store, order_id, &o, NULL)) {
    th_respond_error (r, 404, "not-found", "no such order");
    goto out;
  }
  supervisor = store_get_staff_supervisor (app->store, o.prescriber_id, NULL);
  if (cosign ? g_strcmp0 (supervisor, staff_id) != 0
             : (g_strcmp0 (o.prescriber_id, staff_id) != 0 && g_strcmp0 (supervisor, staff_id) != 0)) {
    th_respond_error (r, 403, "forbidden",
                      cosign ? "only the prescriber's supervising psychiatrist co-signs"
                             : "only the prescriber or their supervisor may mark this order");
    goto out;
  }
  if (cosign) {
    ok = store_cosign_order (app->store, order_id, staff_id, &error);
  } else {
    if (!th_body_entered_in_error (req->body, req->body_len, &reason, &error)) {
      th_respond_body_error (r, error);
      goto out;
    }
    ok = store_mark_order_entered_in_error (app->store, order_id, staff_id, reason, &error);
  }
  if (!ok) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 422, "invalid", error->message);
    else
      th_respond_error (r, 500, "internal", "the order could not be updated");
    goto out;
  }
  th_audit (app, req->address, staff_id, cosign ? "prescribe.cosign" : "prescribe.entered-in-error", order_id, NULL);
  respond_order (app, r, 200, order_id);
out:
  store_order_clear (&o);
}

static void
get_pending (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autoptr (GPtrArray) orders = NULL;
  json_t *list;

  if (!staff_id)
    return;
  orders = store_list_pending_for_supervisor (app->store, staff_id, NULL);
  if (!orders) {
    th_respond_error (r, 500, "internal", "the orders could not be read");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < orders->len; i++)
    json_array_append_new (list, th_order_json (app, g_ptr_array_index (orders, i)));
  th_respond_json (r, 200, json_pack ("{s:o}", "orders", list));
}

gboolean
th_api_orders_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *id = NULL, *action = NULL;
  gboolean post = req->method == TH_HTTP_POST;

  if (strcmp (req->path, "/api/orders/pending") == 0) {
    if (req->method == TH_HTTP_GET)
      get_pending (app, req, r);
    else
      th_respond_error (r, 405, "method-not-allowed", "GET only");
    return TRUE;
  }
  if (th_route_parts (req->path, "visits", &id, &action) && g_strcmp0 (action, "adjustments") == 0) {
    if (post)
      post_adjustment (app, req, r, id);
    else
      th_respond_error (r, 405, "method-not-allowed", "POST only");
    return TRUE;
  }
  g_clear_pointer (&id, g_free);
  g_clear_pointer (&action, g_free);
  if (th_route_parts (req->path, "orders", &id, &action) && action && post) {
    if (strcmp (action, "cosign") == 0)
      post_order_action (app, req, r, id, TRUE);
    else if (strcmp (action, "entered-in-error") == 0)
      post_order_action (app, req, r, id, FALSE);
    else
      return FALSE;
    return TRUE;
  }
  return FALSE;
}
