/* test_rx_check.c — the prescribing safety check's frame (records-rx.h):
 * the verdict over findings of each severity, with and without an override
 * reason; and the store keeping an order's findings (migration 22) with the
 * order, append-only, a major one only with its override, and again at
 * co-signature. A fresh database per test (sqlite or PostgreSQL:
 * store-fixture.h). */
#include "store-clinical-fixture.h"

static GPtrArray *
findings_of (const RxSeverity *severities, guint n)
{
  GPtrArray *a = rx_findings_new ();
  for (guint i = 0; i < n; i++)
    rx_add (a, severities[i], i == 0 ? "first" : "later", "A finding", "a source",
            "Finding %u of %u.", i + 1, n);
  return a;
}

static void
test_decide (void)
{
  static const struct {
    RxSeverity s[3];
    guint n;
    gboolean override;
    RxVerdict want;
    const char *rule;
  } cases[] = {
    { { 0 }, 0, FALSE, RX_PASS, NULL },
    { { RX_WARN }, 1, FALSE, RX_PASS, NULL },
    { { RX_MAJOR }, 1, FALSE, RX_NEEDS_OVERRIDE, "first" },
    { { RX_MAJOR }, 1, TRUE, RX_PASS, NULL },
    { { RX_WARN, RX_MAJOR }, 2, FALSE, RX_NEEDS_OVERRIDE, "later" },
    /* An override never lifts a refusal, wherever it stands. */
    { { RX_REFUSE }, 1, TRUE, RX_REFUSED, "first" },
    { { RX_MAJOR, RX_REFUSE }, 2, TRUE, RX_REFUSED, "later" },
    { { RX_MAJOR, RX_WARN, RX_REFUSE }, 3, FALSE, RX_REFUSED, "later" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GPtrArray) findings = findings_of (cases[i].s, cases[i].n);
    g_autofree char *rule = NULL;
    g_assert_cmpint (rx_check_decide (findings, cases[i].override, &rule), ==, cases[i].want);
    g_assert_cmpstr (rule, ==, cases[i].rule);
  }
  g_assert_cmpstr (rx_severity_name (RX_WARN), ==, "warn");
  g_assert_cmpstr (rx_severity_name (RX_MAJOR), ==, "major");
  g_assert_cmpstr (rx_severity_name (RX_REFUSE), ==, "refuse");
}

static gint64
check_rows (Fixture *f)
{
  return count_rows (f->store, "SELECT count(*) FROM order_checks");
}

static void
test_store_keeps_checks (Fixture *f, gconstpointer data)
{
  static const RxSeverity s[] = { RX_WARN, RX_MAJOR };
  g_autoptr (GPtrArray) findings = findings_of (s, 2);
  GError *error = NULL;
  StoreAdjustment a = {
    .kind = ADJUST_START,
    .visit_id = f->visit,
    .prescriber_id = f->psychiatrist,
    .reason = "clinical reason",
    .medication_id = "fluoxetine",
    .dose = 20,
    .unit = "mg",
    .frequency = "once-daily",
    .route = "oral",
    .checks = findings,
  };
  StoreOrder *o, got = { 0 };
  gint64 orders_before = count_rows (f->store, "SELECT count(*) FROM medication_orders");
  (void) data;

  /* A major finding without the prescriber's reason: nothing is written. */
  g_assert_null (store_apply_adjustment (f->store, &a, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (check_rows (f), ==, 0);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM medication_orders"), ==,
                   orders_before);

  a.override_reason = "Cross-taper over two weeks, reviewed with the patient.";
  o = store_apply_adjustment (f->store, &a, &error);
  g_assert_no_error (error);
  g_assert_nonnull (o);
  g_assert_nonnull (o->checks);
  g_assert_cmpuint (o->checks->len, ==, 2);
  {
    const StoreOrderCheck *w = g_ptr_array_index (o->checks, 0);
    const StoreOrderCheck *m = g_ptr_array_index (o->checks, 1);
    g_assert_cmpstr (w->stage, ==, "written");
    g_assert_cmpstr (w->severity, ==, "warn");
    g_assert_null (w->override_reason);
    g_assert_cmpstr (m->severity, ==, "major");
    g_assert_cmpstr (m->override_reason, ==, a.override_reason);
    g_assert_cmpstr (m->by_name, ==, "Dr. Rivera");
    g_assert_cmpstr (m->message, ==, "Finding 2 of 2.");
  }
  /* Read back on its own and in the patient's list. */
  g_assert_true (store_get_order (f->store, o->id, &got, &error));
  g_assert_cmpuint (got.checks->len, ==, 2);
  store_order_clear (&got);
  {
    g_autoptr (GPtrArray) list = store_list_patient_orders (f->store, f->patient, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (((StoreOrder *) g_ptr_array_index (list, 0))->checks->len, ==, 2);
  }
  /* Append-only, like the order's events. */
  g_assert_cmpint (raw_exec_refused (f->store, "UPDATE order_checks SET severity = 'warn'",
                                     "is append-only"), ==, STORE_VIOLATION_OTHER);
  g_assert_cmpint (raw_exec_refused (f->store, "DELETE FROM order_checks", "is append-only"), ==,
                   STORE_VIOLATION_OTHER);
  g_assert_cmpint (check_rows (f), ==, 2);
  store_order_free (o);
}

static void
test_store_cosign_checks (Fixture *f, gconstpointer data)
{
  static const RxSeverity s[] = { RX_MAJOR };
  g_autoptr (GPtrArray) findings = findings_of (s, 1);
  GError *error = NULL;
  StoreOrder *pending = adjust (f, ADJUST_START, f->pa, TRUE, NULL, "sertraline", 50, &error);
  StoreOrder got = { 0 };
  (void) data;

  g_assert_no_error (error);
  g_assert_cmpuint (pending->checks->len, ==, 0);
  /* A new major finding at co-signature needs the co-signer's reason. */
  g_assert_false (
    store_cosign_order_checked (f->store, pending->id, f->psychiatrist, findings, NULL, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (store_get_order (f->store, pending->id, &got, &error));
  g_assert_cmpstr (got.status, ==, "pending");
  store_order_clear (&got);

  g_assert_true (store_cosign_order_checked (f->store, pending->id, f->psychiatrist, findings,
                                             "Reviewed; benefit outweighs the risk.", &error));
  g_assert_no_error (error);
  g_assert_true (store_get_order (f->store, pending->id, &got, &error));
  g_assert_cmpstr (got.status, ==, "active");
  g_assert_cmpuint (got.checks->len, ==, 1);
  g_assert_cmpstr (((StoreOrderCheck *) g_ptr_array_index (got.checks, 0))->stage, ==, "cosign");
  g_assert_cmpstr (((StoreOrderCheck *) g_ptr_array_index (got.checks, 0))->by_staff_id, ==,
                   f->psychiatrist);
  store_order_clear (&got);
  store_order_free (pending);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rx-check/decide", test_decide);
  g_test_add ("/rx-check/store-keeps-checks", Fixture, NULL, fixture_set_up,
              test_store_keeps_checks, fixture_tear_down);
  g_test_add ("/rx-check/store-cosign-checks", Fixture, NULL, fixture_set_up,
              test_store_cosign_checks, fixture_tear_down);
  return g_test_run ();
}
