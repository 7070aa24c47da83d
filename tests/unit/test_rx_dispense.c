/* test_rx_dispense.c — the dispensing section of the prescribing check
 * (rx-dispense.h): refills by DEA schedule (21 CFR 1306.12, 1306.22), the
 * schedule II series, the prescriber's DEA registration (state, schedule,
 * expiry) and the PDMP check's recency, with the clock passed in; the DEA
 * number's check digit and the schedule codes. */
#include "tests/unit/clinical-fixture.h"

#include <string.h>

#define DAY_MS ((gint64) 86400 * 1000)

typedef struct {
  MedCatalog *catalog;
  RxCheckFacts f;
  GPtrArray *findings;
} Fixture;

/* 2026-12-05 at noon UTC: any fixed day serves, the rules only compare. */
static const gint64 kNow = G_GINT64_CONSTANT (1796472000000);

static void
setup (Fixture *fx, gconstpointer data)
{
  (void) data;
  fx->catalog = load_shipped ();
  fx->findings = rx_findings_new ();
  g_date_clear (&fx->f.today, 1);
  g_date_set_dmy (&fx->f.today, 5, G_DATE_DECEMBER, 2026);
  fx->f.now_ms = kNow;
  fx->f.kind = ADJUST_START;
  fx->f.supply_days = 30;
  fx->f.catalog = fx->catalog;
}

static void
teardown (Fixture *fx, gconstpointer data)
{
  (void) data;
  rx_check_facts_clear (&fx->f);
  g_ptr_array_unref (fx->findings);
  med_catalog_free (fx->catalog);
}

/* A clinic with everything a controlled order needs: a NY registration for
 * every schedule valid a year on, a PDMP check of NY an hour ago. */
static void
lawful (Fixture *fx, const char *medication_id, guint refills)
{
  GDate expires = fx->f.today;
  RxDispenseFacts *d;

  g_clear_pointer (&fx->f.dispense, rx_dispense_facts_free);
  g_ptr_array_set_size (fx->findings, 0);
  fx->f.medication = med_catalog_find (fx->catalog, medication_id);
  g_assert_nonnull (fx->f.medication);
  fx->f.refills = refills;
  d = fx->f.dispense = rx_dispense_facts_new ();
  d->patient_state = g_strdup ("NY");
  d->prescriber_name = g_strdup ("Dr. Test");
  g_date_add_years (&expires, 1);
  rx_dispense_facts_add_dea (d, "NY", "AB1234563",
                             RX_DEA_2 | RX_DEA_2N | RX_DEA_3 | RX_DEA_3N | RX_DEA_4 | RX_DEA_5,
                             &expires);
  d->pdmp_found = TRUE;
  d->pdmp_at_ms = kNow - 3600 * 1000;
  d->pdmp_max_days = 7;
}

/* The prescriber has no registration at all. */
static void
no_registrations (Fixture *fx)
{
  RxDispenseFacts *d = fx->f.dispense;
  for (guint i = 0; i < d->n_dea; i++) {
    g_free (d->dea[i].state);
    g_free (d->dea[i].number);
  }
  d->n_dea = 0;
}

/* The rule of the one refusing finding, or NULL when nothing refuses. */
static const char *
refused_rule (Fixture *fx)
{
  g_ptr_array_set_size (fx->findings, 0);
  rx_check_run (&fx->f, fx->findings);
  for (guint i = 0; i < fx->findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (fx->findings, i);
    if (f->severity == RX_REFUSE)
      return f->rule;
  }
  return NULL;
}

static const char *
message_of (Fixture *fx, const char *rule)
{
  for (guint i = 0; i < fx->findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (fx->findings, i);
    if (g_strcmp0 (f->rule, rule) == 0)
      return f->message;
  }
  return "";
}

static void
test_refills_by_schedule (Fixture *fx, gconstpointer data)
{
  (void) data;
  /* Schedule II: none (21 CFR 1306.12(a)). */
  lawful (fx, "methylphenidate-ir", 0);
  g_assert_null (refused_rule (fx));
  lawful (fx, "methylphenidate-ir", 1);
  g_assert_cmpstr (refused_rule (fx), ==, "c2-no-refills");
  g_assert_nonnull (strstr (message_of (fx, "c2-no-refills"), "21 CFR 1306.12(a)"));
  /* Schedule IV: at most 5 (21 CFR 1306.22(a)). */
  lawful (fx, "alprazolam", 5);
  g_assert_null (refused_rule (fx));
  lawful (fx, "alprazolam", 6);
  g_assert_cmpstr (refused_rule (fx), ==, "c3-5-refills");
  g_assert_nonnull (strstr (message_of (fx, "c3-5-refills"), "at most 5 refills"));
  /* ... and none past 6 months from the date written: 5 refills of 30 days
   * end on day 150; of 60 days, the last would be due on day 300. */
  lawful (fx, "diazepam", 5);
  fx->f.supply_days = 60;
  g_assert_cmpstr (refused_rule (fx), ==, "c3-6-months");
  g_assert_nonnull (strstr (message_of (fx, "c3-6-months"), "5 Jun 2027"));
  /* 3 refills of 60 days: the last due 3 Jun 2027, within the 6 months. */
  lawful (fx, "diazepam", 3);
  g_assert_null (refused_rule (fx));
  /* A later earliest fill date moves the refills with it: 13 Jun 2027. */
  fx->f.dispense->earliest_fill = fx->f.today;
  g_date_add_days (&fx->f.dispense->earliest_fill, 10);
  g_assert_cmpstr (refused_rule (fx), ==, "c3-6-months");
  g_assert_nonnull (strstr (message_of (fx, "c3-6-months"), "13 Jun 2027"));
  fx->f.supply_days = 30;
  /* Not controlled: the section says nothing (the 11 cap is the dosing
   * check's). */
  lawful (fx, "sertraline", 11);
  g_assert_null (refused_rule (fx));
}

static void
set_series (RxDispenseFacts *d, const GDate *first, guint n, guint step)
{
  d->n_series = n;
  for (guint i = 0; i < n; i++) {
    d->series[i] = *first;
    g_date_add_days (&d->series[i], i * step);
  }
}

static void
test_c2_series (Fixture *fx, gconstpointer data)
{
  (void) data;
  /* Three 30-day prescriptions, 30 days apart, from today: 90 days. */
  lawful (fx, "amphetamine-mixed-salts-er", 0);
  set_series (fx->f.dispense, &fx->f.today, 3, 30);
  g_assert_null (refused_rule (fx));
  /* Overlapping dates put two supplies in hand. */
  set_series (fx->f.dispense, &fx->f.today, 3, 29);
  g_assert_cmpstr (refused_rule (fx), ==, "c2-series");
  g_assert_nonnull (strstr (message_of (fx, "c2-series"), "at least 30 days apart"));
  /* More than 90 days in all. */
  fx->f.supply_days = 31;
  set_series (fx->f.dispense, &fx->f.today, 3, 31);
  g_assert_cmpstr (refused_rule (fx), ==, "c2-series");
  g_assert_nonnull (strstr (message_of (fx, "c2-series"), "93 days"));
  fx->f.supply_days = 30;
  /* The first may not be filled before it is written. */
  {
    GDate yesterday = fx->f.today;
    g_date_subtract_days (&yesterday, 1);
    set_series (fx->f.dispense, &yesterday, 2, 30);
    g_assert_cmpstr (refused_rule (fx), ==, "c2-series");
  }
  /* A series is for schedule II only: refills serve the others. */
  lawful (fx, "alprazolam", 0);
  set_series (fx->f.dispense, &fx->f.today, 2, 30);
  g_assert_cmpstr (refused_rule (fx), ==, "c2-series");
}

static void
test_dea_registration (Fixture *fx, gconstpointer data)
{
  GDate day;
  (void) data;

  /* None at all. */
  lawful (fx, "methylphenidate-ir", 0);
  no_registrations (fx);
  g_assert_cmpstr (refused_rule (fx), ==, "dea-registration");
  g_assert_nonnull (strstr (message_of (fx, "dea-registration"), "no DEA registration on record "
                                                                 "for NY"));
  /* Another state's only. */
  lawful (fx, "methylphenidate-ir", 0);
  g_free (fx->f.dispense->dea[0].state);
  fx->f.dispense->dea[0].state = g_strdup ("NJ");
  g_assert_cmpstr (refused_rule (fx), ==, "dea-registration");
  /* The schedule not covered: 2 (narcotic) is not 2N. */
  lawful (fx, "methylphenidate-ir", 0);
  fx->f.dispense->dea[0].schedules = RX_DEA_2 | RX_DEA_3 | RX_DEA_4 | RX_DEA_5;
  g_assert_cmpstr (refused_rule (fx), ==, "dea-registration");
  g_assert_nonnull (strstr (message_of (fx, "dea-registration"), "schedule II non-narcotic"));
  g_assert_nonnull (strstr (message_of (fx, "dea-registration"), "covers schedules 2, 3, 4, 5"));
  /* Schedule IV under that registration is fine. */
  lawful (fx, "alprazolam", 0);
  fx->f.dispense->dea[0].schedules = RX_DEA_4;
  g_assert_null (refused_rule (fx));
  /* Expired yesterday. */
  lawful (fx, "alprazolam", 0);
  day = fx->f.today;
  g_date_subtract_days (&day, 1);
  fx->f.dispense->dea[0].expires = day;
  g_assert_cmpstr (refused_rule (fx), ==, "dea-registration");
  g_assert_nonnull (strstr (message_of (fx, "dea-registration"), "expired on 4 Dec 2026"));
  /* Valid on its last day. */
  fx->f.dispense->dea[0].expires = fx->f.today;
  g_assert_null (refused_rule (fx));
  /* No state on the patient's record. */
  lawful (fx, "alprazolam", 0);
  g_clear_pointer (&fx->f.dispense->patient_state, g_free);
  g_assert_cmpstr (refused_rule (fx), ==, "dea-registration");
  /* A medicine that is not controlled needs none. */
  lawful (fx, "sertraline", 0);
  no_registrations (fx);
  fx->f.dispense->pdmp_found = FALSE;
  g_assert_null (refused_rule (fx));
}

static void
test_pdmp_recency (Fixture *fx, gconstpointer data)
{
  (void) data;
  lawful (fx, "alprazolam", 0);
  fx->f.dispense->pdmp_found = FALSE;
  g_assert_cmpstr (refused_rule (fx), ==, "pdmp-check");
  /* Exactly 7 days old: still within the window. */
  lawful (fx, "alprazolam", 0);
  fx->f.dispense->pdmp_at_ms = kNow - 7 * DAY_MS;
  g_assert_null (refused_rule (fx));
  /* A millisecond more: too old. */
  fx->f.dispense->pdmp_at_ms = kNow - 7 * DAY_MS - 1;
  g_assert_cmpstr (refused_rule (fx), ==, "pdmp-check");
  g_assert_nonnull (strstr (message_of (fx, "pdmp-check"), "within 7 days"));
  /* The clinic's window is configurable; the clock is the caller's. */
  fx->f.dispense->pdmp_max_days = 1;
  fx->f.dispense->pdmp_at_ms = kNow - 2 * DAY_MS;
  g_assert_cmpstr (refused_rule (fx), ==, "pdmp-check");
  fx->f.now_ms = kNow - DAY_MS;
  g_assert_null (refused_rule (fx));
  fx->f.now_ms = kNow;
}

static void
test_dea_number (void)
{
  GError *error = NULL;
  guint mask = 0;
  g_autofree char *text = NULL;

  g_assert_true (rx_dea_number_valid ("AB1234563", &error));
  g_assert_true (rx_dea_number_valid ("MJ9876547", &error)); /* 9+7+5 + 2(8+6+4) = 57 */
  g_assert_false (rx_dea_number_valid ("AB1234564", &error));
  g_assert_nonnull (strstr (error->message, "check digit"));
  g_assert_nonnull (strstr (error->message, "should be 3"));
  g_clear_error (&error);
  g_assert_false (rx_dea_number_valid ("XB1234563", &error)); /* not a practitioner's type */
  g_clear_error (&error);
  g_assert_false (rx_dea_number_valid ("AB123456", &error));
  g_clear_error (&error);
  g_assert_false (rx_dea_number_valid ("AB12345X3", &error));
  g_clear_error (&error);
  g_assert_true (rx_dea_schedules_parse ("2, 2n,3,3N,4,5", &mask, &error));
  text = rx_dea_schedules_text (mask);
  g_assert_cmpstr (text, ==, "2, 2N, 3, 3N, 4, 5");
  g_assert_false (rx_dea_schedules_parse ("2,6", &mask, &error));
  g_assert_nonnull (strstr (error->message, "\"6\""));
  g_clear_error (&error);
  g_assert_false (rx_dea_schedules_parse ("4,4", &mask, &error));
  g_clear_error (&error);
}

static void
test_schedule_needed (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_assert_cmpint (rx_dea_schedule_needed (med_catalog_find (fx->catalog, "methylphenidate-ir")),
                   ==, RX_DEA_2N);
  g_assert_cmpint (rx_dea_schedule_needed (med_catalog_find (fx->catalog, "alprazolam")), ==,
                   RX_DEA_4);
  g_assert_cmpint (rx_dea_schedule_needed (med_catalog_find (fx->catalog, "sertraline")), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/rx-dispense/refills-by-schedule", test_refills_by_schedule);
  ADD ("/rx-dispense/c2-series", test_c2_series);
  ADD ("/rx-dispense/dea-registration", test_dea_registration);
  ADD ("/rx-dispense/pdmp-recency", test_pdmp_recency);
  ADD ("/rx-dispense/schedule-needed", test_schedule_needed);
  g_test_add_func ("/rx-dispense/dea-number", test_dea_number);
  return g_test_run ();
}
