/* api_orders.c — prescription adjustments (start, stop, change dose,
 * switch), co-signature (which judges the order again by the rules of the
 * day it takes effect), decline, entered-in-error, and the supervising
 * psychiatrist's queue: pending orders and their PAs' stops. The server
 * enforces who may prescribe what, when (clinical_prescribing.c), whatever
 * the page allowed; refusals are audited. Messages are sentences for the
 * clinician who reads them: medication names and dates, never raw ids. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

/* The medication an order was written for, as it was then: the order's
 * snapshot; orders from before snapshots existed fall back to today's
 * catalog entry. *owned gets what the caller frees. */
static const Medication *
order_medication (ThApp *app, const StoreOrder *o, Medication **owned)
{
  *owned = med_snapshot_parse (o->snapshot);
  return *owned ? *owned : med_catalog_find (app->catalog, o->medication_id);
}

/* What the order says, for the page: the dosing as a sentence and what to
 * dispense (null on orders from before dispensing was recorded). */
static json_t *
order_dosing_json (const StoreOrder *o, const Medication *med)
{
  MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
  g_autofree char *text = med_dosing_text (&d);
  json_t *dispense = json_null ();

  if (o->supply_days > 0)
    dispense = json_pack ("{s:f, s:s, s:i, s:i}", "quantity", o->dispense_quantity, "unit",
                          med && med->dose_form ? med->dose_form : "unit", "supply_days",
                          (int) o->supply_days, "refills", (int) o->refills);
  return json_pack ("{s:o, s:o, s:s, s:f, s:o}", "bedtime_dose",
                    o->second_dose > 0 ? json_real (o->second_dose) : json_null (),
                    "prn_max_per_day",
                    o->prn_max_per_day ? json_integer (o->prn_max_per_day) : json_null (),
                    "dosage_text", text, "daily_total", med_dosing_daily_total (&d), "dispense",
                    dispense);
}

/* What became of a PA's order's need for a co-signature, for the PA's
 * record: null on an order that never needed one; else "waiting",
 * "cosigned" (by whom, when) or "declined" (by whom, when, why). An order
 * co-signed and later stopped stays "cosigned": that question was
 * answered. */
static json_t *
order_cosign_json (const StoreOrder *o)
{
  g_autofree char *at = NULL;
  const char *state, *by_id = NULL, *by_name = NULL, *reason = NULL;

  if (!o->initially_pending)
    return json_null ();
  if (o->cosigned_by) {
    state = "cosigned";
    by_id = o->cosigned_by;
    by_name = o->cosigned_by_name;
    at = th_iso_from_ms (o->cosigned_at_ms);
  } else if (g_strcmp0 (o->status, "declined") == 0) {
    state = "declined";
    by_id = o->status_by;
    by_name = o->status_by_name;
    reason = o->status_reason;
    at = th_iso_from_ms (o->status_at_ms);
  } else if (g_strcmp0 (o->status, "pending") == 0) {
    state = "waiting";
  } else {
    /* Withdrawn before anyone answered (entered in error). */
    state = "withdrawn";
  }
  return json_pack ("{s:s, s:o, s:o, s:o}", "state", state, "by",
                    by_id ? json_pack ("{s:s, s:s}", "id", by_id, "display_name",
                                       by_name ? by_name : "")
                          : json_null (),
                    "at", at ? json_string (at) : json_null (), "reason",
                    reason ? json_string (reason) : json_null ());
}

json_t *
th_order_json (ThApp *app, const StoreOrder *o)
{
  Medication *snapshot = NULL;
  const Medication *med = order_medication (app, o, &snapshot);
  g_autofree char *created = th_iso_from_ms (o->created_at_ms);
  g_autofree char *status_at = th_iso_from_ms (o->status_at_ms ? o->status_at_ms
                                                               : o->created_at_ms);
  const char *name = snapshot ? snapshot->name : o->medication_name;
  const char *rxnorm = snapshot ? snapshot->rxnorm : o->rxnorm;
  json_t *j;

  j = json_pack (
    "{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:f, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o,"
    " s:o, s:{s:s, s:s}, s:s, s:o}",
    "id", o->id, "medication", "id", o->medication_id, "name", name ? name : o->medication_id,
    "display", med && med->display ? med->display : (name ? name : o->medication_id), "rxnorm",
    rxnorm ? rxnorm : "", "schedule", med ? med->schedule : "none", "controlled",
    med ? medication_is_controlled (med) : FALSE, "dose", o->dose, "unit", o->unit, "frequency",
    o->frequency, "route", o->route, "action", o->action, "reason", o->reason ? o->reason : "",
    "status", o->status, "created_at", created, "status_at", status_at, "status_reason",
    o->status_reason ? json_string (o->status_reason) : json_null (), "replaces",
    o->replaces_order_id ? json_string (o->replaces_order_id) : json_null (), "prescriber", "id",
    o->prescriber_id, "display_name", o->prescriber_name ? o->prescriber_name : "", "visit_id",
    o->visit_id ? o->visit_id : "", "cosigned_by",
    o->cosigned_by ? json_string (o->cosigned_by) : json_null ());
  if (med && med->dose_note)
    json_object_set_new (json_object_get (j, "medication"), "dose_note",
                         json_string (med->dose_note));
  json_object_update_new (j, order_dosing_json (o, med));
  json_object_set_new (j, "cosign", order_cosign_json (o));
  json_object_set_new (j, "checks", th_order_checks_json (o->checks));
  json_object_set_new (j, "condition_id",
                       o->condition_id ? json_string (o->condition_id) : json_null ());
  th_order_rx_json (o, j);
  medication_free (snapshot);
  return j;
}

/* The new order's dosing and what to dispense, checked against its
 * formulation: FALSE after answering 422 with the prescriber's sentence. */
static gboolean
check_dosing (ThHttpResponse *r, const Medication *med, const ThAdjustmentBody *b, const char *unit,
              const char *route, StoreAdjustment *adj)
{
  g_autoptr (GError) error = NULL;
  MedDosing d = { b->dose, b->bedtime_dose, unit, b->frequency, route, b->prn_max_per_day };
  guint supply_days = b->supply_days ? b->supply_days : 30;
  double units = 0;

  if (!med_dosing_check (med, &d, &error) ||
      !med_dispense_check (med, supply_days, b->refills, &error)) {
    th_respond_error (r, 422, "invalid", error->message);
    return FALSE;
  }
  if (!med_dosing_units_per_day (med, &d, &units, NULL)) {
    th_respond_error (r, 422, "invalid", "This dose cannot be dispensed in whole units.");
    return FALSE;
  }
  adj->second_dose = b->bedtime_dose;
  adj->prn_max_per_day = b->prn_max_per_day;
  adj->supply_days = supply_days;
  adj->refills = b->refills;
  /* Dosing days in the supply (every other day: half of them, rounded up). */
  adj->dispense_quantity = units * ((supply_days + med_frequency_period_days (b->frequency) - 1) /
                                    med_frequency_period_days (b->frequency));
  return TRUE;
}

/* "3 Nov 2026", the day in the clinic's time zone. */
static char *
date_words (ThApp *app, gint64 ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr (GDateTime) dt = utc ? g_date_time_to_timezone (utc, app->config->time_zone) : NULL;
  return dt ? g_date_time_format (dt, "%-d %b %Y") : g_strdup ("an unknown date");
}

/* "50 mg once daily". */
static char *
dose_words (const StoreOrder *o)
{
  const char *freq = med_frequency_text (o->frequency);
  return g_strdup_printf ("%g %s %s", o->dose, o->unit ? o->unit : "",
                          freq ? freq : (o->frequency ? o->frequency : ""));
}

/* The facts prescribe_decide needs about the actor and the patient, with the
 * configured policy and the clock; the caller sets the medication, whether
 * it is a new prescription, and the modality. FALSE (500 sent) when the
 * account, the supervisor or the evaluation date cannot be read: a fact
 * the store could not give is no fact, and judging without it would turn
 * a store failure into a prescribing refusal (or a wrong permission). */
static gboolean
rule_context (ThApp *app, ThHttpResponse *r, const char *actor_id, const char *patient_id,
              PrescribeContext *ctx, char **role, char **supervisor)
{
  g_autoptr (GError) error = NULL;

  if (!store_get_staff (app->store, actor_id, NULL, role, &error) ||
      (!(*supervisor = store_get_staff_supervisor (app->store, actor_id, &error)) && error) ||
      !store_get_in_person_evaluation (app->store, patient_id, &ctx->in_person_eval, &error)) {
    th_respond_store_error (r, error,
                            "The facts the prescribing rules need could not be read. Nothing was "
                            "saved; try again.");
    return FALSE;
  }
  ctx->actor_role = *role;
  ctx->has_supervisor = *supervisor != NULL;
  /* Calendar dates in the clinic's zone: the window closes at the end of its
   * last day there, and "within N months" counts whole days. */
  th_clinic_today (app, &ctx->today);
  ctx->policy_end = app->config->policy_end;
  ctx->in_person_eval_months = app->config->in_person_eval_months;
  return TRUE;
}

static void
refuse_rule (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *staff_id,
             const char *visit_id, const char *kind, const char *medication_id, const char *rule,
             const char *reason)
{
  th_audit (app, req->address, staff_id, "prescribe.refused", visit_id,
            json_pack ("{s:s, s:s, s:s}", "rule", rule, "kind", kind, "medication",
                       medication_id ? medication_id : ""));
  /* (the caller adds nothing patient-identifying beyond ids) A refusal the
   * prescriber can lift by confirming (an open safety task) is 422: the
   * request was allowed, it lacked the confirmation. */
  th_respond_json (r, g_strcmp0 (rule, "safety-task-open") == 0 ? 422 : 403,
                   json_pack ("{s:{s:s, s:s, s:s}}", "error", "code", "prescribing-rule", "rule",
                              rule, "message", reason));
}

/* What the adjustment rules read of the record (records.h): the order
 * acted on (none when it does not exist) and the patient's orders. FALSE
 * with a 500 sent when the store cannot be read. */
static gboolean
read_record_facts (ThApp *app, ThHttpResponse *r, const char *order_id, const char *patient_id,
                   StoreOrder *old, GPtrArray **orders)
{
  g_autoptr (GError) error = NULL;

  if (order_id && !store_get_order (app->store, order_id, old, &error) &&
      !g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
    th_respond_store_error (r, error, "The medication order could not be read. Nothing was saved.");
    return FALSE;
  }
  g_clear_error (&error);
  if (!(*orders = store_list_patient_orders (app->store, patient_id, &error))) {
    th_respond_store_error (r, error,
                            "The patient's medications could not be read. Nothing was saved.");
    return FALSE;
  }
  return TRUE;
}

/* The order a change acts on was changed or stopped by someone else after
 * the prescriber's page showed it (another device, another node; or between
 * this change's checks and its transaction, where the store's second look
 * refused it). That is a conflict (409), not a mistake in what was asked:
 * say who changed the order, when, and to what. NULL when the order is not
 * stopped (the refusal is the rule's own) or cannot be read. */
static char *
changed_meanwhile (ThApp *app, const char *order_id)
{
  StoreOrder base = { 0 }, now = { 0 };
  g_autofree char *by = NULL, *was = NULL, *is = NULL, *now_dose = NULL, *day = NULL;
  char *msg = NULL;

  if (!order_id || !store_get_order (app->store, order_id, &base, NULL))
    return NULL;
  if (g_strcmp0 (base.status, "stopped") != 0)
    goto out;
  by = base.status_by_name ? g_strdup_printf (" by %s", base.status_by_name) : g_strdup ("");
  was = dose_words (&base);
  day = date_words (app, base.status_at_ms);
  if (base.stopped_by_order_id &&
      store_get_order (app->store, base.stopped_by_order_id, &now, NULL)) {
    now_dose = dose_words (&now);
    is = g_strdup_printf ("it is now %s", now_dose);
  }
  msg = g_strdup_printf ("%s (%s) was %s%s on %s, after your page showed it; %s. Your change was "
                         "not saved: look at the current order and adjust it again if it is "
                         "still needed.",
                         base.medication_name, was, is ? "changed" : "stopped", by, day,
                         is ? is : "it is no longer taken");
  /* The sentence starts with the medication's name, which the catalog
   * writes in lower case. */
  msg[0] = g_ascii_toupper (msg[0]);
  store_order_clear (&now);
out:
  store_order_clear (&base);
  return msg;
}

/* Runs the adjustment rules (records.h) on the body and the record: FALSE
 * after answering 400 (a field missing or out of place) or 422 (the record
 * does not allow it) with the rule's sentence, which the store would give
 * too. */
static gboolean
check_adjustment (ThApp *app, ThHttpResponse *r, const ThAdjustmentBody *b, const char *patient_id,
                  const StoreOrder *old, const GPtrArray *orders, gboolean renew,
                  AdjustmentResolved *out)
{
  g_autoptr (GError) error = NULL;
  g_autofree OrderFacts *order_facts = store_orders_facts (orders);
  OrderFacts acted_on = { 0 };
  Adjustment rule = {
    .kind = b->kind,
    .reason = b->reason,
    .order_id = b->order_id,
    .medication_id = b->medication_id,
    .dose = b->dose,
    .second_dose = b->bedtime_dose,
    .unit = b->unit,
    .frequency = b->frequency,
    .route = b->route,
    .prn_max_per_day = b->prn_max_per_day,
    .supply_days = b->supply_days,
    .refills = b->refills,
    .renew = renew,
  };
  AdjustmentFacts facts = {
    .patient_id = patient_id,
    .orders = order_facts,
    .n_orders = orders->len,
    .catalog = app->catalog,
    .time_zone = app->config->time_zone,
  };

  if (old->id) {
    store_order_facts (old, &acted_on);
    facts.acted_on = &acted_on;
  }
  if (adjustment_validate (&rule, &facts, out, &error))
    return TRUE;
  if (old->id && !g_error_matches (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE)) {
    g_autofree char *conflict = changed_meanwhile (app, old->id);
    if (conflict) {
      th_respond_error (r, 409, "conflict", conflict);
      return FALSE;
    }
  }
  if (g_error_matches (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE))
    th_respond_error (r, 400, "bad-field", error->message);
  else
    th_respond_error (r, 422, "invalid", error->message);
  return FALSE;
}

/* Stores an adjustment the rules allowed, audits it and answers 201. */
static void
save_adjustment (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                 const StoreAdjustment *adj, const char *kind_name, const char *patient_id,
                 const ThRxRun *run)
{
  g_autoptr (GError) error = NULL;
  StoreOrder *created = store_apply_adjustment (app->store, adj, &error);
  gboolean effective;

  if (!created) {
    g_autofree char *conflict = g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID)
                                  ? changed_meanwhile (app, adj->replaces_order_id)
                                  : NULL;
    if (conflict)
      th_respond_error (r, 409, "conflict", conflict);
    else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 422, "invalid", error->message);
    else
      th_respond_store_error (r, error, "The change could not be saved. Nothing was changed.");
    return;
  }
  /* A PA's stop takes effect at once (store_apply_adjustment): it is audited
   * as the stop it is, and goes to the supervisor's queue to acknowledge. */
  effective = !adj->pending || adj->kind == ADJUST_STOP;
  th_audit (app, req->address, adj->prescriber_id,
            effective ? "prescribe.apply" : "prescribe.pending", created->id,
            json_pack ("{s:s, s:s, s:s, s:s, s:b}", "kind", kind_name, "visit", adj->visit_id,
                       "medication", created->medication_id, "patient", patient_id,
                       "supervisor_to_acknowledge", adj->pending && adj->kind == ADJUST_STOP));
  if (run->findings)
    th_rx_audit_overrides (app, req, adj->prescriber_id, created->id, run, adj->override_reason,
                           "written");
  th_respond_json (r, 201,
                   json_pack ("{s:s, s:o}", "status", created->status, "order",
                              th_order_json (app, created)));
  store_order_free (created);
}

/* The "safety-task-open" rule's facts: whether the patient has an open
 * item-9 safety task, whether this order starts a medication, its supply,
 * and the prescriber's confirmation. FALSE (500 sent) when the task cannot
 * be read: an unknown task is no reason to wave a lethal supply through. */
static gboolean
safety_context (ThApp *app, ThHttpResponse *r, const char *patient_id, const ThAdjustmentBody *body,
                guint supply_days, PrescribeContext *ctx)
{
  g_autoptr (GError) error = NULL;

  if (!store_safety_task_is_open (app->store, patient_id, &ctx->safety_task_open, &error)) {
    th_respond_store_error (r, error,
                            "The patient's safety tasks could not be read, so the prescribing "
                            "rules could not be applied. Nothing was saved; try again.");
    return FALSE;
  }
  ctx->starts_medication = body->kind == ADJUST_START || body->kind == ADJUST_SWITCH;
  ctx->supply_days = supply_days;
  ctx->safety_confirmed = body->safety_confirm != NULL;
  return TRUE;
}

/* A confirmation that lifted the "safety-task-open" rule is a clinical act
 * of its own: audited with the prescriber's reason. */
static void
audit_safety_confirm (ThApp *app, const ThHttpRequest *req, const ThHttpResponse *r,
                      const char *staff_id, const PrescribeContext *ctx,
                      const ThAdjustmentBody *body, const char *visit_id)
{
  if (r->status != 201 || !ctx->safety_confirmed || !ctx->safety_task_open ||
      !ctx->starts_medication || ctx->supply_days <= SAFETY_SUPPLY_MAX_DAYS ||
      !medication_overdose_lethal (ctx->medication, NULL))
    return;
  th_audit (app, req->address, staff_id, "prescribe.safety-confirmed", visit_id,
            json_pack ("{s:s, s:s, s:i, s:s}", "rule", "safety-task-open", "medication",
                       body->medication_id ? body->medication_id : "", "supply_days",
                       (json_int_t) ctx->supply_days, "reason", body->safety_confirm));
}

/* POST /api/visits/<id>/adjustments */
void
th_post_adjustment (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  g_autoptr (GError) error = NULL;
  ThAdjustmentBody body = { 0 };

  if (!th_body_adjustment (req->body, req->body_len, &body, &error))
    th_respond_body_error (r, error);
  else
    th_adjustment_apply (app, req, r, call, &body, FALSE);
  th_adjustment_body_clear (&body);
}

/* An adjustment the body asks for (a renewal: a dose change to the same
 * dosing, prescriptions.c), through every rule, saved and audited. */
void
th_adjustment_apply (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call,
                     ThAdjustmentBody *b, gboolean renew)
{
  const char *staff_id = call->caller.staff_id;
  const StoreVisit *visit = &call->visit;
  const char *visit_id = visit->id;
  g_autofree char *role = NULL, *supervisor = NULL, *rule = NULL, *reason_text = NULL;
  g_autofree char *snapshot = NULL;
  ThAdjustmentBody body = *b;
  const char *kind_name, *medication_id, *unit = NULL, *frequency, *route = NULL;
  double dose;
  StoreOrder old = { 0 };
  g_autoptr (GPtrArray) orders = NULL;
  AdjustmentResolved resolved = { 0 };
  StoreAdjustment adj = { 0 };
  const Medication *med = NULL;
  PrescribeContext ctx = { 0 };
  PrescribeDecision decision;
  ThRxRun run = { 0 };
  StoreOrderRx rx = { .renews = renew };

  adj.kind = body.kind;
  kind_name = body.kind_name;
  medication_id = body.medication_id;
  dose = body.dose;
  frequency = body.frequency;

  /* The order acted on, the medication and its dosing, against the record
   * and the catalog. */
  if (!read_record_facts (app, r, body.order_id, visit->patient_id, &old, &orders) ||
      !check_adjustment (app, r, &body, visit->patient_id, &old, orders, renew, &resolved))
    goto out;
  med = resolved.medication;
  unit = resolved.unit;
  route = resolved.route;
  if (med) {
    if (!check_dosing (r, med, &body, unit, route, &adj) ||
        !th_order_rx_prepare (app, r, med, &body, visit->patient_id, &adj, &rx))
      goto out;
    adj.snapshot = snapshot = med_snapshot_json (med);
  }

  /* Who may prescribe this, in this visit, today. Every new order is a new
   * prescription (a controlled "decrease" with another frequency included);
   * only a pure stop is exempt from the controlled-substance rules. */
  if (!rule_context (app, r, staff_id, visit->patient_id, &ctx, &role, &supervisor))
    goto out;
  ctx.medication = med ? med : med_catalog_find (app->catalog, old.medication_id);
  ctx.new_prescription = adj.kind != ADJUST_STOP;
  ctx.modality = visit->modality;
  if (!safety_context (app, r, visit->patient_id, &body, adj.supply_days, &ctx))
    goto out;
  decision = prescribe_decide (&ctx, &rule, &reason_text);
  if (decision == PRESCRIBE_REFUSED) {
    refuse_rule (app, req, r, staff_id, visit_id, kind_name, medication_id, rule, reason_text);
    goto out;
  }

  /* The safety check (records-rx.h): the new order against the patient's
   * whole picture. A stop prescribes nothing and is never held back. */
  if (med && adj.kind != ADJUST_STOP) {
    ThRxRequest q = { visit->patient_id, staff_id, visit, &body, NULL, orders };
    run.facts.kind = adj.kind;
    run.facts.medication = med;
    run.facts.dosing = (MedDosing) { dose,  body.bedtime_dose,   unit, frequency,
                                     route, body.prn_max_per_day };
    run.facts.supply_days = adj.supply_days;
    run.facts.refills = adj.refills;
    if (!th_rx_run (app, r, &q, body.override_reason, &run))
      goto out;
    if (run.verdict != RX_PASS) {
      th_rx_respond_refused (app, req, r, staff_id, visit_id, kind_name, medication_id, &run, NULL);
      goto out;
    }
    adj.checks = run.findings;
    adj.override_reason = body.override_reason;
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
  adj.time_zone = app->config->time_zone;
  adj.condition_id = adj.kind == ADJUST_STOP ? NULL : body.condition_id;
  save_adjustment (app, req, r, &adj, kind_name, visit->patient_id, &run);
  audit_safety_confirm (app, req, r, staff_id, &ctx, &body, visit_id);
out:
  th_rx_run_clear (&run);
  store_order_clear (&old);
}

/* 200 {"order": the order as it now stands, "restored"?: another}. */
static void
respond_order (ThApp *app, ThHttpResponse *r, guint status, const char *order_id,
               const char *restored_id)
{
  StoreOrder o = { 0 }, restored = { 0 };
  g_autoptr (GError) error = NULL;
  json_t *body;

  if (!store_get_order (app->store, order_id, &o, &error) ||
      (restored_id && !store_get_order (app->store, restored_id, &restored, &error))) {
    th_respond_store_error (r, error,
                            "The change was saved, but the order could not be read back. Reload "
                            "the record.");
    goto out;
  }
  body = json_pack ("{s:o}", "order", th_order_json (app, &o));
  if (restored_id)
    json_object_set_new (body, "restored", th_order_json (app, &restored));
  th_respond_json (r, status, body);
out:
  store_order_clear (&o);
  store_order_clear (&restored);
}

/* A store refusal: INVALID is the clinician's sentence (422), anything else
 * a 500 that says nothing was changed. */
static void
respond_store_error (ThHttpResponse *r, const GError *error)
{
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
    th_respond_error (r, 422, "invalid", error->message);
  else
    th_respond_store_error (r, error, "The order could not be updated. Nothing was changed.");
}

/* Loads the order a supervisor acts on and checks they supervise its
 * prescriber. FALSE with the response sent otherwise. */
static gboolean
load_for_supervisor (ThApp *app, ThHttpResponse *r, const char *order_id, const char *staff_id,
                     const char *act, StoreOrder *o)
{
  g_autofree char *supervisor = NULL, *msg = NULL;
  g_autoptr (GError) error = NULL;

  if (!store_get_order (app->store, order_id, o, &error)) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", "This medication order does not exist.");
    else
      th_respond_store_error (r, error,
                              "The medication order could not be read. Nothing was changed.");
    return FALSE;
  }
  supervisor = store_get_staff_supervisor (app->store, o->prescriber_id, &error);
  if (error) {
    th_respond_store_error (r, error,
                            "The order's prescriber could not be read. Nothing was changed.");
    return FALSE;
  }
  if (g_strcmp0 (supervisor, staff_id) != 0) {
    msg = g_strdup_printf ("Only the supervising psychiatrist of %s, who wrote this order, can "
                           "%s it.",
                           o->prescriber_name ? o->prescriber_name : "its prescriber", act);
    th_respond_error (r, 403, "forbidden", msg);
    return FALSE;
  }
  return TRUE;
}

/* Why a co-signature cannot make a change take effect: the order it
 * replaces is no longer active. NULL when it is (or there is none), or
 * with `error` set when that order cannot be read. */
static char *
replaced_not_active (ThApp *app, const StoreOrder *o, GError **error)
{
  StoreOrder base = { 0 };
  char *msg = NULL;

  if (!o->replaces_order_id)
    return NULL;
  if (!store_get_order (app->store, o->replaces_order_id, &base, error))
    return NULL;
  if (g_strcmp0 (base.status, "active") != 0) {
    g_autofree char *dose = dose_words (&base), *day = date_words (app, base.status_at_ms);
    g_autofree char *by = base.status_by_name ? g_strdup_printf (" by %s", base.status_by_name)
                                              : g_strdup ("");
    msg = g_strdup_printf ("This change cannot take effect: the %s order it would replace (%s) "
                           "was %s on %s%s. Nothing was co-signed; decline this change, and "
                           "write a new order if the patient needs one.",
                           base.medication_name, dose, order_status_text (base.status), day, by);
  }
  store_order_clear (&base);
  return msg;
}

/* POST /api/orders/<id>/cosign. The co-signature is when the order takes
 * effect, on the co-signer's authority: the rules are run again now, with
 * the co-signer as the prescriber, the visit's modality as it was when the
 * order was drafted, and today's date (a controlled order drafted inside the
 * policy window and co-signed after it needs the in-person evaluation). A
 * refusal leaves the order pending; the supervisor may decline it. */
void
th_post_cosign (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const char *order_id = th_route_param (&call->params, "order");
  g_autofree char *role = NULL, *supervisor = NULL, *rule = NULL, *reason = NULL, *msg = NULL;
  g_autoptr (GError) error = NULL;
  StoreOrder o = { 0 };
  StoreVisit visit = { 0 };
  PrescribeContext ctx = { 0 };
  ThRxRun run = { 0 };
  g_autofree char *override = NULL;

  if (!load_for_supervisor (app, r, order_id, staff_id, "co-sign", &o))
    goto out;
  if (!th_body_cosign (req->body, req->body_len, &override, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  if (g_strcmp0 (o.status, "pending") != 0) {
    msg = g_strdup_printf ("This %s order is not awaiting co-signature: it is %s.",
                           o.medication_name, order_status_text (o.status));
    th_respond_error (r, 422, "invalid", msg);
    goto out;
  }
  msg = replaced_not_active (app, &o, &error);
  if (error) {
    th_respond_store_error (
      r, error, "The order this change would replace could not be read. Nothing was co-signed.");
    goto out;
  }
  if (msg) {
    th_respond_error (r, 422, "invalid", msg);
    goto out;
  }
  if (!store_get_visit (app->store, o.visit_id, &visit, &error)) {
    th_respond_store_error (r, error,
                            "The order's visit could not be read. Nothing was co-signed.");
    goto out;
  }
  if (!rule_context (app, r, staff_id, o.patient_id, &ctx, &role, &supervisor))
    goto out;
  ctx.medication = med_catalog_find (app->catalog, o.medication_id);
  ctx.new_prescription = TRUE;
  ctx.modality = o.visit_modality ? o.visit_modality : visit.modality;
  if (prescribe_decide (&ctx, &rule, &reason) == PRESCRIBE_REFUSED) {
    msg = g_strdup_printf ("%s It was not co-signed and is still awaiting co-signature; decline "
                           "it if it cannot be made lawful.",
                           reason);
    refuse_rule (app, req, r, staff_id, o.visit_id, "cosign", o.medication_id, rule, msg);
    goto out;
  }
  if (!th_rx_cosign_check (app, req, r, staff_id, &o, &visit, override, &run))
    goto out;
  if (!store_cosign_order_checked (app->store, order_id, staff_id, run.findings, override,
                                   &error)) {
    respond_store_error (r, error);
    goto out;
  }
  if (run.findings)
    th_rx_audit_overrides (app, req, staff_id, order_id, &run, override, "cosign");
  th_audit (app, req->address, staff_id, "prescribe.cosign", order_id,
            json_pack ("{s:s, s:s, s:s}", "visit", o.visit_id, "medication", o.medication_id,
                       "patient", o.patient_id));
  /* The PA's open record shows the answer now. */
  th_app_record_changed (app, o.visit_id, "orders");
  respond_order (app, r, 200, order_id, NULL);
out:
  th_rx_run_clear (&run);
  store_order_clear (&o);
  store_visit_clear (&visit);
}

/* POST /api/orders/<id>/decline {"reason"}: the supervisor turns down a
 * PA's pending order; it never takes effect. */
void
th_post_decline (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const char *order_id = th_route_param (&call->params, "order");
  g_autofree char *reason = NULL;
  g_autoptr (GError) error = NULL;
  StoreOrder o = { 0 };

  if (!load_for_supervisor (app, r, order_id, staff_id, "decline", &o))
    goto out;
  if (!th_body_reason (req->body, req->body_len, &reason, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  if (!store_decline_order (app->store, order_id, staff_id, reason, &error)) {
    respond_store_error (r, error);
    goto out;
  }
  th_audit (app, req->address, staff_id, "prescribe.decline", order_id,
            json_pack ("{s:s, s:s}", "visit", o.visit_id, "medication", o.medication_id));
  th_app_record_changed (app, o.visit_id, "orders");
  respond_order (app, r, 200, order_id, NULL);
out:
  store_order_clear (&o);
}

/* POST /api/orders/<id>/acknowledge-stop: the supervisor has seen their
 * PA's stop (which took effect when it was made). */
void
th_post_acknowledge_stop (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                          const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const char *order_id = th_route_param (&call->params, "order");
  g_autoptr (GError) error = NULL;
  StoreOrder o = { 0 };

  if (!load_for_supervisor (app, r, order_id, staff_id, "acknowledge a stop of", &o))
    goto out;
  if (!store_acknowledge_stop (app->store, order_id, staff_id, &error)) {
    respond_store_error (r, error);
    goto out;
  }
  th_audit (app, req->address, staff_id, "prescribe.acknowledge-stop", order_id,
            json_pack ("{s:s, s:s}", "stopped_by", o.status_by ? o.status_by : "", "medication",
                       o.medication_id));
  respond_order (app, r, 200, order_id, NULL);
out:
  store_order_clear (&o);
}

/* POST /api/orders/<id>/entered-in-error {"reason"}: by the prescriber or
 * their supervisor. An erroneous dose change or switch gives the order it
 * replaced back ("restored" in the answer). */
void
th_post_entered_in_error (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                          const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const char *order_id = th_route_param (&call->params, "order");
  g_autofree char *supervisor = NULL, *reason = NULL, *restored = NULL;
  g_autoptr (GError) error = NULL;
  StoreOrder o = { 0 };

  if (!store_get_order (app->store, order_id, &o, &error)) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", "This medication order does not exist.");
    else
      th_respond_store_error (r, error,
                              "The medication order could not be read. Nothing was changed.");
    goto out;
  }
  supervisor = store_get_staff_supervisor (app->store, o.prescriber_id, &error);
  if (error) {
    th_respond_store_error (r, error,
                            "The order's prescriber could not be read. Nothing was changed.");
    goto out;
  }
  if (g_strcmp0 (o.prescriber_id, staff_id) != 0 && g_strcmp0 (supervisor, staff_id) != 0) {
    th_respond_error (r, 403, "forbidden",
                      "Only the prescriber who wrote this order, or their supervising "
                      "psychiatrist, can mark it entered in error.");
    goto out;
  }
  if (!th_body_reason (req->body, req->body_len, &reason, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  if (!store_mark_order_entered_in_error (app->store, order_id, staff_id, reason, &restored,
                                          &error)) {
    respond_store_error (r, error);
    goto out;
  }
  th_audit (app, req->address, staff_id, "prescribe.entered-in-error", order_id,
            restored ? json_pack ("{s:s}", "restored", restored) : NULL);
  respond_order (app, r, 200, order_id, restored);
out:
  store_order_clear (&o);
}
