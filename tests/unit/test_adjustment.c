/* test_adjustment.c — the adjustment rules (server/records/records.h,
 * adjustment_validate): each rule refuses with its one sentence, in the
 * prescriber's words, the sentence the API answers with and the store gives
 * as its last guard; what passes is resolved as it will be written. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "server/records/records.h"

#define PATIENT "patient-1"
/* 2026-11-03T03:00:00Z: 3 Nov in UTC, still 2 Nov in New York. */
#define SINCE_MS G_GINT64_CONSTANT (1793674800000)

typedef struct {
  MedCatalog *catalog;
  OrderFacts sertraline;    /* active, 50 mg once daily */
  AdjustmentFacts facts;    /* the patient has only that order */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  (void) data;

  f->catalog = med_catalog_load (TH_CATALOG_PATH, &error);
  g_assert_no_error (error);
  f->sertraline = (OrderFacts) {
    .id = "order-1", .patient_id = PATIENT, .medication_id = "sertraline",
    .medication_name = "sertraline", .status = "active", .dose = 50, .unit = "mg",
    .frequency = "once-daily", .route = "oral", .since_ms = SINCE_MS,
  };
  f->facts = (AdjustmentFacts) {
    .patient_id = PATIENT, .orders = &f->sertraline, .n_orders = 1, .catalog = f->catalog,
  };
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  (void) data;
  med_catalog_free (f->catalog);
}

/* A start of buspirone 10 mg twice daily: allowed as it stands. */
static Adjustment
start_buspirone (void)
{
  return (Adjustment) { .kind = ADJUST_START, .reason = "Anxiety", .medication_id = "buspirone",
                        .dose = 10, .frequency = "twice-daily" };
}

/* A dose change of the sertraline order to 100 mg: allowed as it stands. */
static Adjustment
change_sertraline (void)
{
  return (Adjustment) { .kind = ADJUST_CHANGE_DOSE, .reason = "Partial response",
                        .order_id = "order-1", .dose = 100, .frequency = "once-daily" };
}

static void
assert_refused (const Adjustment *a, const AdjustmentFacts *facts, ClinicalErrorCode code,
                const char *sentence)
{
  GError *error = NULL;
  AdjustmentResolved out = { .unit = "untouched" };

  g_assert_false (adjustment_validate (a, facts, &out, &error));
  g_assert_error (error, CLINICAL_ERROR, (gint) code);
  g_assert_cmpstr (error->message, ==, sentence);
  g_assert_null (out.unit);   /* cleared, not half-filled */
  g_clear_error (&error);
}

static void
assert_allowed (const Adjustment *a, const AdjustmentFacts *facts, AdjustmentResolved *out)
{
  GError *error = NULL;

  if (!adjustment_validate (a, facts, out, &error))
    g_error ("refused: %s", error->message);
}

static void
test_kind_names (void)
{
  AdjustmentKind k;

  for (guint i = ADJUST_START; i <= ADJUST_SWITCH; i++) {
    g_assert_true (adjustment_kind_from_name (adjustment_kind_name ((AdjustmentKind) i), &k));
    g_assert_cmpint (k, ==, i);
  }
  g_assert_cmpstr (adjustment_kind_name (ADJUST_CHANGE_DOSE), ==, "change-dose");
  g_assert_null (adjustment_kind_name ((AdjustmentKind) 4));
  g_assert_false (adjustment_kind_from_name ("change_dose", &k));
  g_assert_false (adjustment_kind_from_name (NULL, &k));
  g_assert_cmpstr (order_status_text ("pending"), ==, "awaiting co-signature");
  g_assert_cmpstr (order_status_text ("entered-in-error"), ==, "marked entered in error");
  g_assert_cmpstr (order_status_text ("odd"), ==, "odd");
}

/* INCOMPLETE: what the request lacks, or carries out of place (400); and
 * INVALID: a dosing without its amount, frequency, unit or route (422). */
static void
test_incomplete (Fixture *f, gconstpointer data)
{
  Adjustment a;
  g_autofree char *long_reason = g_strnfill (ORDER_REASON_MAX_CHARS + 1, 'x');
  (void) data;

  a = start_buspirone ();
  a.kind = (AdjustmentKind) 7;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE,
                  "Choose start, change dose, switch or stop.");
  a = start_buspirone ();
  a.order_id = "order-1";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE,
                  "A start begins a new medication; to change a current one, choose a dose "
                  "change, a switch or a stop.");
  a = change_sertraline ();
  a.order_id = NULL;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE,
                  "Choose the current medication order this acts on.");
  a = (Adjustment) { .kind = ADJUST_STOP, .reason = "Rash" };
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE,
                  "Choose the current medication order this acts on.");
  /* A stop ends the order as it is: any dosing, or anything to dispense. */
  {
    static const Adjustment with[] = {
      { .medication_id = "sertraline" }, { .dose = 50 }, { .frequency = "once-daily" },
      { .second_dose = 50 }, { .prn_max_per_day = 2 }, { .unit = "mg" }, { .route = "oral" },
      { .supply_days = 30 }, { .refills = 1 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (with); i++) {
      a = with[i];
      a.kind = ADJUST_STOP;
      a.order_id = "order-1";
      a.reason = "Rash";
      assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE,
                      "A stop ends the order as it is: give only the order and a reason.");
    }
  }
  a = start_buspirone ();
  a.medication_id = NULL;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE, "Choose a medication.");
  a = (Adjustment) { .kind = ADJUST_SWITCH, .reason = "x", .order_id = "order-1", .dose = 20,
                     .frequency = "once-daily" };
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE, "Choose a medication.");
  {
    const double bad[] = { 0, -10, INFINITY, NAN };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      a = start_buspirone ();
      a.dose = bad[i];
      assert_refused (&a, &f->facts, CLINICAL_ERROR_INVALID,
                      "Enter the dose: an amount above zero.");
    }
  }
  a = start_buspirone ();
  a.frequency = NULL;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INVALID,
                  "Choose how often the medication is taken.");
  a.frequency = "";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INVALID,
                  "Choose how often the medication is taken.");
  {
    const char *bad[] = { NULL, "", long_reason, "\xff\xfe" };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      a = start_buspirone ();
      a.reason = bad[i];
      assert_refused (&a, &f->facts, CLINICAL_ERROR_INCOMPLETE,
                      "Give a reason of 1 to 1000 characters: it is part of the record.");
    }
  }
  /* A code longer than the record keeps is no code. */
  {
    g_autofree char *long_code = g_strnfill (65, 'x');
    a = start_buspirone ();
    a.frequency = long_code;
    assert_refused (&a, &f->facts, CLINICAL_ERROR_INVALID,
                    "Choose how often the medication is taken.");
    a = start_buspirone ();
    a.unit = long_code;
    assert_refused (&a, &f->facts, CLINICAL_ERROR_INVALID,
                    "Give the dose's unit and the route the medication is taken by.");
  }
  /* Without a catalog (the store), nothing fills a unit or a route in. */
  f->facts.catalog = NULL;
  a = start_buspirone ();
  a.route = "oral";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INVALID,
                  "Give the dose's unit and the route the medication is taken by.");
  a.unit = "mg";
  a.route = NULL;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_INVALID,
                  "Give the dose's unit and the route the medication is taken by.");
}

/* CONFLICT: the order acted on (422). */
static void
test_acted_on (Fixture *f, gconstpointer data)
{
  Adjustment a = change_sertraline ();
  OrderFacts other = f->sertraline;
  (void) data;

  /* None found, another patient's, or not the one named. */
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "That medication order is not one of this patient's. Nothing was saved.");
  other.patient_id = "patient-2";
  f->facts.acted_on = &other;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "That medication order is not one of this patient's. Nothing was saved.");
  f->facts.acted_on = &f->sertraline;
  a.order_id = "order-9";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "That medication order is not one of this patient's. Nothing was saved.");

  /* Not active: the order, its dosing and its status in words. */
  other = f->sertraline;
  other.status = "stopped";
  f->facts.acted_on = &other;
  a = change_sertraline ();
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Sertraline (50 mg once daily) is stopped, not active: only an active order "
                  "can be changed or stopped. Nothing was saved.");
  other.status = "pending";
  a = (Adjustment) { .kind = ADJUST_STOP, .reason = "Rash", .order_id = "order-1" };
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Sertraline (50 mg once daily) is awaiting co-signature, not active: only an "
                  "active order can be changed or stopped. Nothing was saved.");
  other.status = "entered-in-error";
  other.frequency = "morning-and-bedtime";
  other.second_dose = 100;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Sertraline (50 mg in the morning and 100 mg at bedtime) is marked entered in "
                  "error, not active: only an active order can be changed or stopped. Nothing "
                  "was saved.");
}

/* CONFLICT: the medication (422). */
static void
test_medication (Fixture *f, gconstpointer data)
{
  Adjustment a = change_sertraline ();
  OrderFacts retired = f->sertraline;
  (void) data;

  f->facts.acted_on = &f->sertraline;
  a.medication_id = "fluoxetine";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "A dose change keeps the medication; to change it, use a switch.");
  a = (Adjustment) { .kind = ADJUST_SWITCH, .reason = "x", .order_id = "order-1",
                     .medication_id = "sertraline", .dose = 100, .frequency = "once-daily" };
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "A switch goes to another medication; to change this one's dose or "
                  "frequency, use a dose change.");
  a = start_buspirone ();
  a.medication_id = "buspirone-xr";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "That medication is not in the clinic's medication list.");
  /* An order written against an entry the catalog no longer has. */
  retired.medication_id = "lithium";
  retired.medication_name = "lithium";
  f->facts.acted_on = &retired;
  f->facts.orders = &retired;
  a = change_sertraline ();
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "This order's formulation is no longer in the clinic's medication list: stop "
                  "it and start the formulation the patient takes.");
  /* Without a catalog (the store), the caller checks its own list. */
  f->facts.catalog = NULL;
  a.unit = "mg";
  a.route = "oral";
  assert_allowed (&a, &f->facts, &(AdjustmentResolved) { 0 });
}

/* CONFLICT: a dose change that changes nothing. */
static void
test_no_change (Fixture *f, gconstpointer data)
{
  Adjustment a = change_sertraline ();
  AdjustmentResolved out;
  (void) data;

  f->facts.acted_on = &f->sertraline;
  a.dose = 50;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Sertraline is already 50 mg once daily. Change the dose, how often it is "
                  "taken or the route, or leave it as it is.");
  /* The unit and route filled in from the catalog count as the same. */
  a.unit = "mg";
  a.route = "oral";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Sertraline is already 50 mg once daily. Change the dose, how often it is "
                  "taken or the route, or leave it as it is.");
  /* Each part of the dosing alone is a change. */
  a.frequency = "every-morning";
  assert_allowed (&a, &f->facts, &out);
  a = change_sertraline ();
  a.dose = 50;
  a.prn_max_per_day = 2;
  assert_allowed (&a, &f->facts, &out);
  a = change_sertraline ();
  a.dose = 50;
  a.second_dose = 50;
  assert_allowed (&a, &f->facts, &out);
}

/* CONFLICT: two live orders of one medication, or two pending changes of
 * one order; the dates in the clinic's zone. */
static void
test_duplicate (Fixture *f, gconstpointer data)
{
  Adjustment a;
  OrderFacts orders[2];
  g_autoptr (GTimeZone) new_york = g_time_zone_new_identifier ("America/New_York");
  AdjustmentResolved out;
  (void) data;

  a = start_buspirone ();
  a.medication_id = "sertraline";
  a.dose = 100;
  a.frequency = "once-daily";
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Sertraline is already active for this patient (50 mg once daily, since 3 Nov "
                  "2026). Change its dose or stop it instead.");
  g_assert_nonnull (new_york);
  f->facts.time_zone = new_york;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Sertraline is already active for this patient (50 mg once daily, since 2 Nov "
                  "2026). Change its dose or stop it instead.");
  f->facts.time_zone = NULL;

  /* A switch to a medication awaiting co-signature. */
  orders[0] = f->sertraline;
  orders[1] = (OrderFacts) {
    .id = "order-2", .patient_id = PATIENT, .medication_id = "buspirone",
    .medication_name = "buspirone", .status = "pending", .dose = 5, .unit = "mg",
    .frequency = "twice-daily", .route = "oral", .since_ms = SINCE_MS,
  };
  f->facts.orders = orders;
  f->facts.n_orders = 2;
  f->facts.acted_on = &orders[0];
  a = (Adjustment) { .kind = ADJUST_SWITCH, .reason = "x", .order_id = "order-1",
                     .medication_id = "buspirone", .dose = 10, .frequency = "twice-daily" };
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "Buspirone is already awaiting co-signature for this patient (5 mg twice "
                  "daily, written 3 Nov 2026). It must be co-signed or declined first.");

  /* A second change of an order whose first change awaits co-signature. */
  orders[1] = (OrderFacts) {
    .id = "order-2", .patient_id = PATIENT, .medication_id = "sertraline",
    .medication_name = "sertraline", .status = "pending", .replaces_order_id = "order-1",
    .dose = 100, .unit = "mg", .frequency = "once-daily", .route = "oral", .since_ms = SINCE_MS,
  };
  a = change_sertraline ();
  a.dose = 150;
  assert_refused (&a, &f->facts, CLINICAL_ERROR_CONFLICT,
                  "A change of this sertraline order (to 100 mg once daily, written 3 Nov 2026) "
                  "is already awaiting co-signature. It must be co-signed or declined first.");
  /* A stop is always possible: it ends the order, the pending change with it. */
  a = (Adjustment) { .kind = ADJUST_STOP, .reason = "Rash", .order_id = "order-1" };
  assert_allowed (&a, &f->facts, &out);
  g_assert_null (out.medication_id);

  /* Orders no longer live do not count; the order replaced does not either. */
  orders[1].status = "declined";
  a = change_sertraline ();
  assert_allowed (&a, &f->facts, &out);
  orders[1].status = "stopped";
  orders[1].replaces_order_id = NULL;
  a = (Adjustment) { .kind = ADJUST_SWITCH, .reason = "x", .order_id = "order-1",
                     .medication_id = "fluoxetine", .dose = 20, .frequency = "once-daily" };
  assert_allowed (&a, &f->facts, &out);
}

/* What passes is resolved as it will be written. */
static void
test_resolved (Fixture *f, gconstpointer data)
{
  Adjustment a = start_buspirone ();
  AdjustmentResolved out;
  (void) data;

  /* A start: the formulation's unit, its first route. */
  assert_allowed (&a, &f->facts, &out);
  g_assert_cmpstr (out.medication_id, ==, "buspirone");
  g_assert_nonnull (out.medication);
  g_assert_cmpstr (out.medication->id, ==, "buspirone");
  g_assert_cmpstr (out.unit, ==, "mg");
  g_assert_cmpstr (out.route, ==, med_route_default (out.medication));
  g_assert_cmpstr (out.route, ==, "oral");
  /* A dose change: its order's medication, named or not. */
  f->facts.acted_on = &f->sertraline;
  a = change_sertraline ();
  assert_allowed (&a, &f->facts, &out);
  g_assert_cmpstr (out.medication_id, ==, "sertraline");
  a.medication_id = "sertraline";
  a.route = "sublingual";   /* as written: the dosing check judges it */
  assert_allowed (&a, &f->facts, &out);
  g_assert_cmpstr (out.route, ==, "sublingual");
  /* out may be NULL. */
  g_assert_true (adjustment_validate (&a, &f->facts, NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/adjustment/kind-names", test_kind_names);
#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/adjustment/incomplete", test_incomplete);
  ADD ("/adjustment/acted-on", test_acted_on);
  ADD ("/adjustment/medication", test_medication);
  ADD ("/adjustment/no-change", test_no_change);
  ADD ("/adjustment/duplicate", test_duplicate);
  ADD ("/adjustment/resolved", test_resolved);
#undef ADD
  return g_test_run ();
}
