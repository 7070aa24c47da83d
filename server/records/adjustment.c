/* adjustment.c — the rules of a prescription adjustment (records.h): one
 * validator, so the API's answer and the store's last guard say the same
 * sentence. Pure: the caller reads the record and passes it in. */
#include "server/records/records.h"

#include <math.h>
#include <string.h>

static const char *const kKindNames[] = {
  [ADJUST_START] = "start",
  [ADJUST_STOP] = "stop",
  [ADJUST_CHANGE_DOSE] = "change-dose",
  [ADJUST_SWITCH] = "switch",
};

const char *
adjustment_kind_name (AdjustmentKind kind)
{
  return (guint) kind < G_N_ELEMENTS (kKindNames) ? kKindNames[kind] : NULL;
}

gboolean
adjustment_kind_from_name (const char *name, AdjustmentKind *out)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (kKindNames); i++) {
    if (strcmp (name, kKindNames[i]) == 0) {
      if (out)
        *out = (AdjustmentKind) i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
order_reason_valid (const char *reason, GError **error)
{
  if (reason && *reason && g_utf8_validate (reason, -1, NULL) &&
      g_utf8_strlen (reason, -1) <= ORDER_REASON_MAX_CHARS)
    return TRUE;
  g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE,
               "Give a reason of 1 to %d characters: it is part of the record.",
               ORDER_REASON_MAX_CHARS);
  return FALSE;
}

/* A derived status as a clinician reads it (one table). */
const char *
order_status_text (const char *status)
{
  static const char *const words[][2] = {
    { "active", "active" },     { "pending", "awaiting co-signature" },
    { "stopped", "stopped" },   { "entered-in-error", "marked entered in error" },
    { "declined", "declined" }, { "completed", "completed (renewed)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_strcmp0 (status, words[i][0]) == 0)
      return words[i][1];
  return status ? status : "unknown";
}

/* "Sertraline" */
static char *
order_title (const OrderFacts *o)
{
  char *s = g_strdup (o->medication_name && *o->medication_name ? o->medication_name
                                                                : "This medication");
  s[0] = g_ascii_toupper (s[0]);
  return s;
}

/* "50 mg once daily", "300 mg in the morning and 600 mg at bedtime". */
static char *
order_dosing_text (const OrderFacts *o)
{
  MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
  return med_dosing_text (&d);
}

/* "3 Nov 2026", the day in the clinic's time zone. */
static char *
day_text (GTimeZone *tz, gint64 ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr (GDateTime) dt = NULL;

  if (utc)
    dt = tz ? g_date_time_to_timezone (utc, tz) : g_date_time_ref (utc);
  return dt ? g_date_time_format (dt, "%-d %b %Y") : g_strdup ("an unknown date");
}

/* A code of the dosing (unit, frequency, route) the record can keep. */
#define CODE_MAX_CHARS 64

static gboolean
code_ok (const char *code)
{
  return code && *code && g_utf8_validate (code, -1, NULL) &&
         g_utf8_strlen (code, -1) <= CODE_MAX_CHARS;
}

static gboolean
order_live (const OrderFacts *o)
{
  return g_strcmp0 (o->status, "active") == 0 || g_strcmp0 (o->status, "pending") == 0;
}

static gboolean
fail (GError **error, ClinicalErrorCode code, const char *message)
{
  g_set_error_literal (error, CLINICAL_ERROR, code, message);
  return FALSE;
}

/* The fields the kind needs, and none it must not have. */
static gboolean
check_complete (const Adjustment *a, GError **error)
{
  if (!adjustment_kind_name (a->kind))
    return fail (error, CLINICAL_ERROR_INCOMPLETE, "Choose start, change dose, switch or stop.");
  if (a->kind == ADJUST_START && a->order_id)
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "A start begins a new medication; to change a current one, choose a dose "
                 "change, a switch or a stop.");
  if (a->kind != ADJUST_START && !a->order_id)
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "Choose the current medication order this acts on.");
  if (a->kind == ADJUST_STOP) {
    if (a->medication_id || a->dose != 0 || a->frequency || a->second_dose != 0 ||
        a->prn_max_per_day || a->unit || a->route || a->supply_days || a->refills)
      return fail (error, CLINICAL_ERROR_INCOMPLETE,
                   "A stop ends the order as it is: give only the order and a reason.");
  } else {
    if ((a->kind == ADJUST_START || a->kind == ADJUST_SWITCH) && !a->medication_id)
      return fail (error, CLINICAL_ERROR_INCOMPLETE, "Choose a medication.");
    if (!isfinite (a->dose) || a->dose <= 0)
      return fail (error, CLINICAL_ERROR_INVALID, "Enter the dose: an amount above zero.");
    if (!code_ok (a->frequency))
      return fail (error, CLINICAL_ERROR_INVALID, "Choose how often the medication is taken.");
  }
  return order_reason_valid (a->reason, error);
}

/* The order acted on: the patient's, and active. */
static gboolean
check_acted_on (const Adjustment *a, const AdjustmentFacts *f, GError **error)
{
  const OrderFacts *o = f->acted_on;
  g_autofree char *name = NULL, *dosing = NULL;

  if (a->kind == ADJUST_START)
    return TRUE;
  if (!o || g_strcmp0 (o->id, a->order_id) != 0 || g_strcmp0 (o->patient_id, f->patient_id) != 0)
    return fail (error, CLINICAL_ERROR_CONFLICT,
                 "That medication order is not one of this patient's. Nothing was saved.");
  if (g_strcmp0 (o->status, "active") == 0)
    return TRUE;
  name = order_title (o);
  dosing = order_dosing_text (o);
  g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CONFLICT,
               "%s (%s) is %s, not active: only an active order can be changed or stopped. "
               "Nothing was saved.",
               name, dosing, order_status_text (o->status));
  return FALSE;
}

/* The new order's medication: a dose change keeps its order's, a switch
 * goes to another, and the catalog (when given) lists it. */
static gboolean
resolve_medication (const Adjustment *a, const AdjustmentFacts *f, AdjustmentResolved *out,
                    GError **error)
{
  const char *old = f->acted_on ? f->acted_on->medication_id : NULL;

  out->medication_id = a->medication_id;
  if (a->kind == ADJUST_CHANGE_DOSE) {
    if (a->medication_id && g_strcmp0 (a->medication_id, old) != 0)
      return fail (error, CLINICAL_ERROR_CONFLICT,
                   "A dose change keeps the medication; to change it, use a switch.");
    out->medication_id = old;
  }
  if (a->kind == ADJUST_SWITCH && g_strcmp0 (a->medication_id, old) == 0)
    return fail (error, CLINICAL_ERROR_CONFLICT,
                 "A switch goes to another medication; to change this one's dose or "
                 "frequency, use a dose change.");
  if (!f->catalog)
    return TRUE;
  out->medication = med_catalog_find (f->catalog, out->medication_id);
  if (!out->medication)
    /* A dose change of an order written against a retired entry (catalog
     * version 1 had "lithium", now lithium carbonate IR or ER). */
    return fail (error, CLINICAL_ERROR_CONFLICT,
                 a->kind == ADJUST_CHANGE_DOSE
                   ? "This order's formulation is no longer in the clinic's medication list: "
                     "stop it and start the formulation the patient takes."
                   : "That medication is not in the clinic's medication list.");
  return TRUE;
}

/* A dose change that changes nothing (dose, bedtime dose, frequency,
 * as-needed maximum, unit and route all the same) would only add a line. */
static gboolean
check_changes_something (const Adjustment *a, const AdjustmentResolved *r, const OrderFacts *old,
                         GError **error)
{
  g_autofree char *name = NULL, *dosing = NULL;

  if (a->kind != ADJUST_CHANGE_DOSE || a->renew || a->dose != old->dose ||
      a->second_dose != old->second_dose || a->prn_max_per_day != old->prn_max_per_day ||
      g_strcmp0 (a->frequency, old->frequency) != 0 || g_strcmp0 (r->route, old->route) != 0 ||
      g_strcmp0 (r->unit, old->unit) != 0)
    return TRUE;
  name = order_title (old);
  dosing = order_dosing_text (old);
  g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CONFLICT,
               "%s is already %s. Change the dose, how often it is taken or the route, or leave "
               "it as it is.",
               name, dosing);
  return FALSE;
}

/* Two live orders of one medication, or two pending changes of one order,
 * would make the current medication list ambiguous. The order being
 * replaced does not count. */
static gboolean
check_no_duplicate (const Adjustment *a, const AdjustmentFacts *f, const char *medication_id,
                    GError **error)
{
  for (guint i = 0; i < f->n_orders; i++) {
    const OrderFacts *o = &f->orders[i];
    gboolean pending = g_strcmp0 (o->status, "pending") == 0;
    g_autofree char *name = NULL, *dosing = NULL, *day = NULL;

    if (!order_live (o) || g_strcmp0 (o->id, a->order_id) == 0)
      continue;
    if (!(a->order_id && pending && g_strcmp0 (o->replaces_order_id, a->order_id) == 0) &&
        g_strcmp0 (o->medication_id, medication_id) != 0)
      continue;
    name = order_title (o);
    dosing = order_dosing_text (o);
    day = day_text (f->time_zone, o->since_ms);
    if (!pending)
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CONFLICT,
                   "%s is already active for this patient (%s, since %s). Change its dose or stop "
                   "it instead.",
                   name, dosing, day);
    else if (a->order_id && g_strcmp0 (o->replaces_order_id, a->order_id) == 0)
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CONFLICT,
                   "A change of this %s order (to %s, written %s) is already awaiting "
                   "co-signature. It must be co-signed or declined first.",
                   o->medication_name, dosing, day);
    else
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CONFLICT,
                   "%s is already awaiting co-signature for this patient (%s, written %s). It "
                   "must be co-signed or declined first.",
                   name, dosing, day);
    return FALSE;
  }
  return TRUE;
}

gboolean
adjustment_validate (const Adjustment *a, const AdjustmentFacts *f, AdjustmentResolved *out,
                     GError **error)
{
  AdjustmentResolved r = { 0 };

  g_return_val_if_fail (a != NULL && f != NULL, FALSE);
  if (out)
    memset (out, 0, sizeof *out);
  if (!check_complete (a, error) || !check_acted_on (a, f, error))
    return FALSE;
  if (a->kind == ADJUST_STOP)
    return TRUE;
  if (!resolve_medication (a, f, &r, error))
    return FALSE;
  /* Defaults come from the formulation, when the caller has the catalog. */
  r.unit = a->unit ? a->unit : (r.medication ? r.medication->unit : NULL);
  r.route = a->route ? a->route : med_route_default (r.medication);
  if (!code_ok (r.unit) || !code_ok (r.route))
    return fail (error, CLINICAL_ERROR_INVALID,
                 "Give the dose's unit and the route the medication is taken by.");
  if ((f->acted_on && !check_changes_something (a, &r, f->acted_on, error)) ||
      !check_no_duplicate (a, f, r.medication_id, error))
    return FALSE;
  if (out)
    *out = r;
  return TRUE;
}
