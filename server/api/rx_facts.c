/* rx_facts.c — the prescribing safety check at the API's edge (api-rx.h):
 * the patient's drug list from this clinic's orders, the sections'
 * gatherers, the verdict, and the answer a prescriber reads. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

void
th_rx_run_clear (ThRxRun *run)
{
  rx_check_facts_clear (&run->facts);
  g_clear_pointer (&run->drugs, g_array_unref);
  g_clear_pointer (&run->findings, g_ptr_array_unref);
  g_clear_pointer (&run->rule, g_free);
}

/* An order's formulation as written (its snapshot), else today's catalog. */
static const Medication *
order_formulation (ThApp *app, const StoreOrder *o, Medication **owned)
{
  *owned = med_snapshot_parse (o->snapshot);
  return *owned ? *owned : med_catalog_find (app->catalog, o->medication_id);
}

void
th_rx_drugs_from_orders (ThApp *app, const GPtrArray *orders, const char *exclude_order_id,
                         GArray *drugs)
{
  gint64 window_start = store_now_ms () - (gint64) RX_STOPPED_WINDOW_DAYS * 86400 * 1000;

  for (guint i = 0; orders && i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    gboolean live = g_strcmp0 (o->status, "active") == 0 || g_strcmp0 (o->status, "pending") == 0;
    gboolean stopped = g_strcmp0 (o->status, "stopped") == 0;
    Medication *owned = NULL;
    const Medication *m;
    MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
    g_autofree char *dosing = NULL;
    RxDrug drug = { 0 };

    if (g_strcmp0 (o->id, exclude_order_id) == 0)
      continue;
    /* A stopped order matters only for a washout; entered-in-error and
     * declined orders were never taken. */
    if (!live && !(stopped && o->status_at_ms >= window_start))
      continue;
    m = order_formulation (app, o, &owned);
    dosing = med_dosing_text (&d);
    drug.ingredient = g_ascii_strdown (m && m->name ? m->name : o->medication_name, -1);
    drug.drug_class = g_strdup (m ? m->drug_class : NULL);
    drug.medication_id = g_strdup (o->medication_id);
    drug.order_id = g_strdup (o->id);
    drug.display = g_strdup_printf ("%s %s", o->medication_name, dosing);
    drug.daily_total = med_dosing_daily_total (&d);
    drug.pending = g_strcmp0 (o->status, "pending") == 0;
    drug.started_ms = o->created_at_ms;
    drug.stopped_ms = stopped ? o->status_at_ms : 0;
    g_array_append_val (drugs, drug);
    medication_free (owned);
  }
}

/* Points run->facts.replaced at the drug of the order a switch or dose
 * change replaces, when it is in the list. */
static void
mark_replaced (ThRxRun *run, const char *replaced_order_id)
{
  run->facts.replaced = NULL;
  for (guint i = 0; replaced_order_id && i < run->drugs->len; i++) {
    const RxDrug *d = &g_array_index (run->drugs, RxDrug, i);
    if (g_strcmp0 (d->order_id, replaced_order_id) == 0)
      run->facts.replaced = d;
  }
}

gboolean
th_rx_run (ThApp *app, ThHttpResponse *r, const ThRxRequest *q, const char *override_reason,
           ThRxRun *run)
{
  g_autoptr (GError) error = NULL;
  RxCheckFacts *f = &run->facts;
  const char *replaced_id = q->order ? q->order->replaces_order_id
                                     : (q->body ? q->body->order_id : NULL);

  run->drugs = rx_drugs_new ();
  run->findings = rx_findings_new ();
  th_rx_drugs_from_orders (app, q->orders, q->order ? q->order->id : NULL, run->drugs);
  if (!th_rx_gather_outside (app, q, run->drugs, &error) ||
      !th_rx_gather_allergies (app, q, f, &error) || !th_rx_gather_titration (app, q, f, &error) ||
      !th_rx_gather_pregnancy (app, q, f, &error) || !th_rx_gather_dispense (app, q, f, &error)) {
    th_respond_store_error (r, error,
                            "The patient's medications, allergies or prescribing facts could not "
                            "be read, so the safety check could not run. Nothing was saved; try "
                            "again.");
    return FALSE;
  }
  /* The list is complete: nothing appends to it any more. */
  f->drugs = (const RxDrug *) (gpointer) run->drugs->data;
  f->n_drugs = run->drugs->len;
  mark_replaced (run, replaced_id);
  f->catalog = app->catalog;
  f->tables = app->rx;
  f->time_zone = app->config->time_zone;
  f->now_ms = store_now_ms ();
  th_clinic_today (app, &f->today);
  f->daily_total = med_dosing_daily_total (&f->dosing);
  rx_check_run (f, run->findings);
  run->verdict = rx_check_decide (run->findings, override_reason != NULL, &run->rule);
  return TRUE;
}

json_t *
th_rx_findings_json (const GPtrArray *findings)
{
  json_t *a = json_array ();

  for (guint i = 0; findings && i < findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (findings, i);
    json_array_append_new (a, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "rule", f->rule, "severity",
                                         rx_severity_name (f->severity), "title",
                                         f->title ? f->title : "", "message", f->message, "source",
                                         f->source ? f->source : ""));
  }
  return a;
}

json_t *
th_order_checks_json (const GPtrArray *checks)
{
  json_t *a = json_array ();

  for (guint i = 0; checks && i < checks->len; i++) {
    const StoreOrderCheck *c = g_ptr_array_index (checks, i);
    g_autofree char *at = th_iso_from_ms (c->at_ms);
    json_array_append_new (a, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:s}",
                                         "stage", c->stage, "rule", c->rule, "severity",
                                         c->severity, "title", c->title, "message", c->message,
                                         "source", c->source ? c->source : "", "override_reason",
                                         c->override_reason ? json_string (c->override_reason)
                                                            : json_null (),
                                         "by", "id", c->by_staff_id, "display_name",
                                         c->by_name ? c->by_name : "", "at", at));
  }
  return a;
}

void
th_rx_respond_refused (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                       const char *staff_id, const char *visit_id, const char *kind,
                       const char *medication_id, const ThRxRun *run, const char *prefix)
{
  GString *message = g_string_new (prefix ? prefix : "");
  gboolean override_allowed = run->verdict == RX_NEEDS_OVERRIDE;

  /* Every finding that stands in the way, in the check's order: the
   * prescriber sees them all at once rather than one per attempt. */
  for (guint i = 0; i < run->findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (run->findings, i);
    if (f->severity == RX_WARN || (!override_allowed && f->severity != RX_REFUSE))
      continue;
    g_string_append_printf (message, "%s%s", message->len ? " " : "", f->message);
  }
  if (override_allowed)
    g_string_append (message, " To go ahead, give your reason for overriding; it is kept with "
                              "the order and audited.");
  th_audit (app, req->address, staff_id, "prescribe.refused", visit_id,
            json_pack ("{s:s, s:s, s:s}", "rule", run->rule ? run->rule : "", "kind", kind,
                       "medication", medication_id ? medication_id : ""));
  th_respond_json (r, override_allowed ? 422 : 403,
                   json_pack ("{s:{s:s, s:s, s:s, s:b, s:o}}", "error", "code", "prescribing-rule",
                              "rule", run->rule ? run->rule : "", "message", message->str,
                              "override_allowed", override_allowed, "findings",
                              th_rx_findings_json (run->findings)));
  g_string_free (message, TRUE);
}

void
th_rx_audit_overrides (ThApp *app, const ThHttpRequest *req, const char *staff_id,
                       const char *order_id, const ThRxRun *run, const char *override_reason,
                       const char *stage)
{
  for (guint i = 0; override_reason && i < run->findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (run->findings, i);
    if (f->severity != RX_MAJOR)
      continue;
    th_audit (app, req->address, staff_id, "prescribe.override", order_id,
              json_pack ("{s:s, s:s, s:s}", "rule", f->rule, "stage", stage, "reason",
                         override_reason));
  }
}

/* TRUE when a finding's rule was already judged when the order was written
 * (kept on the order, a major one with the PA's override reason): the
 * co-signer sees it on the order and is not asked twice. */
static gboolean
judged_when_written (const StoreOrder *o, const RxFinding *f)
{
  for (guint i = 0; o->checks && i < o->checks->len; i++) {
    const StoreOrderCheck *c = g_ptr_array_index (o->checks, i);
    if (g_strcmp0 (c->rule, f->rule) == 0 &&
        g_strcmp0 (c->severity, rx_severity_name (f->severity)) == 0)
      return TRUE;
  }
  return FALSE;
}

gboolean
th_rx_cosign_check (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *staff_id,
                    const StoreOrder *o, const StoreVisit *visit, const char *override, ThRxRun *run)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) orders = NULL;
  Medication *owned = NULL;
  const Medication *med = order_formulation (app, o, &owned);
  ThRxRequest q = { o->patient_id, staff_id, visit, NULL, o, NULL };
  gboolean ok = FALSE;

  if (!med || !adjustment_kind_from_name (o->action, &run->facts.kind)) {
    th_respond_error (r, 422, "invalid",
                      "This order's medication is no longer in the clinic's list, so it cannot "
                      "be checked or co-signed. Decline it and write the order again.");
    goto out;
  }
  if (!(orders = store_list_patient_orders (app->store, o->patient_id, &error))) {
    th_respond_store_error (r, error,
                            "The patient's medications could not be read. Nothing was co-signed.");
    goto out;
  }
  q.orders = orders;
  run->facts.medication = med;
  run->facts.dosing = (MedDosing) { o->dose,      o->second_dose, o->unit,
                                    o->frequency, o->route,       o->prn_max_per_day };
  run->facts.supply_days = o->supply_days;
  run->facts.refills = o->refills;
  run->facts.cosign = TRUE;
  if (!th_rx_run (app, r, &q, override, run))
    goto out;
  /* Only what is new since the order was written is the co-signer's to
   * answer (and is kept again, with their override). */
  for (guint i = run->findings->len; i > 0; i--)
    if (judged_when_written (o, g_ptr_array_index (run->findings, i - 1)))
      g_ptr_array_remove_index (run->findings, i - 1);
  g_clear_pointer (&run->rule, g_free);
  run->verdict = rx_check_decide (run->findings, override != NULL, &run->rule);
  if (run->verdict != RX_PASS) {
    th_rx_respond_refused (app, req, r, staff_id, o->visit_id, "cosign", o->medication_id, run,
                           "It was not co-signed and is still awaiting co-signature.");
    goto out;
  }
  ok = TRUE;
out:
  /* The facts point into the formulation only while the check runs. */
  run->facts.medication = NULL;
  medication_free (owned);
  return ok;
}
