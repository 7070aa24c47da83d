/* test_monitoring.c — the monitoring table (config/monitoring.json, read by
 * server/records/monitoring.c): each rule's due date after a start, a dose
 * change, when stable, at baseline and at each visit; the interpretation of
 * values at and across each boundary; the safety thresholds; and a
 * malformed file refused with the entry and the field named. Every date is
 * built from a fixed day: nothing reads the clock. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "server/records/records.h"

static MedCatalog *meds;
static MonitoringCatalog *table;
static GTimeZone *utc;

/* Noon UTC on the day, as unix ms. */
static gint64
day_ms (guint y, guint m, guint d)
{
  g_autoptr (GDateTime) dt = g_date_time_new_utc ((gint) y, (gint) m, (gint) d, 12, 0, 0);
  return g_date_time_to_unix (dt) * 1000;
}

static GDate
date (guint y, guint m, guint d)
{
  GDate g;
  g_date_clear (&g, 1);
  g_date_set_dmy (&g, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return g;
}

static const MonitoringItem *
find (GPtrArray *items, const char *what)
{
  for (guint i = 0; i < items->len; i++) {
    const MonitoringItem *it = g_ptr_array_index (items, i);
    if (strcmp (it->what, what) == 0)
      return it;
  }
  return NULL;
}

static void
assert_date (const GDate *got, guint y, guint m, guint d)
{
  g_assert_true (g_date_valid (got));
  g_assert_cmpuint (g_date_get_year (got), ==, y);
  g_assert_cmpuint (g_date_get_month (got), ==, m);
  g_assert_cmpuint (g_date_get_day (got), ==, d);
}

/* The items for one course as of `today`. */
static GPtrArray *
due (const MonitoringLink *links, guint n_links, const MonitoringObservation *obs, guint n_obs,
     GDate today)
{
  MonitoringCourse course = { links, n_links };
  return monitoring_due (table, &course, 1, obs, n_obs, &today, utc);
}

static const MonitoringLink kLithiumStart[] = {
  { "lithium-carbonate-ir", "mood stabilizer", "lithium carbonate", 0 },
};

static void
test_lithium_after_start_and_change (void)
{
  MonitoringLink start[1] = { kLithiumStart[0] };
  MonitoringLink changed[2] = { kLithiumStart[0], kLithiumStart[0] };
  g_autoptr (GPtrArray) a = NULL, b = NULL, c = NULL, d = NULL, e = NULL;
  const MonitoringItem *it;

  start[0].since_ms = day_ms (2026, 12, 3);
  /* Day 4: not yet, due 8-10 Dec (5-7 days after the start). */
  a = due (start, 1, NULL, 0, date (2026, 12, 7));
  it = find (a, "Lithium level");
  g_assert_nonnull (it);
  g_assert_cmpint (it->status, ==, MONITORING_NOT_YET);
  g_assert_cmpstr (it->rule_id, ==, "lithium-level-after-change");
  assert_date (&it->due, 2026, 12, 8);
  assert_date (&it->overdue, 2026, 12, 10);
  g_assert_nonnull (strstr (it->why, "start of lithium carbonate on 3 Dec 2026"));
  /* Day 5 and day 7: due; day 8: overdue. */
  b = due (start, 1, NULL, 0, date (2026, 12, 8));
  g_assert_cmpint (find (b, "Lithium level")->status, ==, MONITORING_DUE);
  g_clear_pointer (&b, g_ptr_array_unref);
  b = due (start, 1, NULL, 0, date (2026, 12, 10));
  g_assert_cmpint (find (b, "Lithium level")->status, ==, MONITORING_DUE);
  c = due (start, 1, NULL, 0, date (2026, 12, 11));
  it = find (c, "Lithium level");
  g_assert_cmpint (it->status, ==, MONITORING_OVERDUE);
  g_assert_cmpstr (it->why, ==,
                   "Lithium level: overdue since 10 Dec 2026, 5-7 days after the start of lithium "
                   "carbonate on 3 Dec 2026; none since.");
  /* Overdue comes first in the list. */
  g_assert_true (g_ptr_array_index (c, 0) == it);

  /* A dose change on 1 Mar 2027: counted from the change. */
  changed[0].since_ms = day_ms (2027, 3, 1);
  changed[1].since_ms = day_ms (2026, 12, 3);
  {
    MonitoringObservation before[] = { { "lithium", day_ms (2026, 12, 9) } };
    d = due (changed, 2, before, 1, date (2027, 3, 7));
    it = find (d, "Lithium level");
    g_assert_cmpint (it->status, ==, MONITORING_DUE);
    assert_date (&it->due, 2027, 3, 6);
    assert_date (&it->overdue, 2027, 3, 8);
    g_assert_nonnull (strstr (it->why, "dose change of lithium carbonate on 1 Mar 2027"));
    g_assert_nonnull (strstr (it->why, "none since"));
  }
  /* A level drawn on day 2 after the change is too early to count. */
  {
    MonitoringObservation early[] = { { "lithium", day_ms (2027, 3, 3) } };
    e = due (changed, 2, early, 1, date (2027, 3, 9));
    it = find (e, "Lithium level");
    g_assert_cmpint (it->status, ==, MONITORING_OVERDUE);
    g_assert_nonnull (strstr (it->why, "too early to count"));
  }
}

static void
test_lithium_stable_periodic (void)
{
  MonitoringLink start[1] = { kLithiumStart[0] };
  MonitoringObservation levels[] = { { "lithium", day_ms (2026, 1, 10) },
                                     { "lithium", day_ms (2026, 6, 9) },
                                     { "tsh", day_ms (2026, 6, 9) } };
  g_autoptr (GPtrArray) a = NULL, b = NULL, c = NULL;
  const MonitoringItem *it;

  start[0].since_ms = day_ms (2026, 1, 2);
  /* Stable: the last level 9 Jun; next due 9 Sep (3 months), overdue after 9 Dec (6). */
  a = due (start, 1, levels, 3, date (2026, 9, 8));
  it = find (a, "Lithium level");
  g_assert_cmpint (it->status, ==, MONITORING_NOT_YET);
  g_assert_cmpstr (it->rule_id, ==, "lithium-level-periodic");
  assert_date (&it->due, 2026, 9, 9);
  assert_date (&it->overdue, 2026, 12, 9);
  g_assert_nonnull (strstr (it->why, "last on 9 Jun 2026; next due 9 Sep 2026"));
  b = due (start, 1, levels, 3, date (2026, 9, 9));
  g_assert_cmpint (find (b, "Lithium level")->status, ==, MONITORING_DUE);
  c = due (start, 1, levels, 3, date (2026, 12, 10));
  it = find (c, "Lithium level");
  g_assert_cmpint (it->status, ==, MONITORING_OVERDUE);
  g_assert_nonnull (strstr (it->why, "overdue since 9 Dec 2026"));
  /* TSH every 6 months (overdue after 7): last 9 Jun → due 9 Dec, overdue after 9 Jan. */
  it = find (c, "TSH");
  g_assert_cmpint (it->status, ==, MONITORING_DUE);
  assert_date (&it->due, 2026, 12, 9);
  assert_date (&it->overdue, 2027, 1, 9);
}

static void
test_baseline (void)
{
  MonitoringLink start[1] = { kLithiumStart[0] };
  MonitoringObservation renal[] = { { "creatinine", day_ms (2026, 10, 1) } };
  MonitoringObservation old[] = { { "creatinine", day_ms (2026, 8, 1) } };
  g_autoptr (GPtrArray) a = NULL, b = NULL, c = NULL, d = NULL;
  const MonitoringItem *it;

  start[0].since_ms = day_ms (2026, 11, 1);
  /* No renal function on record: due by 15 Nov (14 days' grace), overdue after. */
  a = due (start, 1, NULL, 0, date (2026, 11, 15));
  it = find (a, "Creatinine / eGFR");
  g_assert_cmpint (it->status, ==, MONITORING_DUE);
  g_assert_cmpstr (it->rule_id, ==, "lithium-renal-baseline");
  assert_date (&it->due, 2026, 11, 1);
  assert_date (&it->overdue, 2026, 11, 15);
  b = due (start, 1, NULL, 0, date (2026, 11, 16));
  it = find (b, "Creatinine / eGFR");
  g_assert_cmpint (it->status, ==, MONITORING_OVERDUE);
  g_assert_nonnull (strstr (it->why, "baseline overdue since 15 Nov 2026"));
  /* A creatinine a month before the start counts as the baseline; the
   * 6-monthly one is next (from the start: 1 May 2027). */
  c = due (start, 1, renal, 1, date (2026, 11, 16));
  it = find (c, "Creatinine / eGFR");
  g_assert_cmpint (it->status, ==, MONITORING_NOT_YET);
  g_assert_cmpstr (it->rule_id, ==, "lithium-renal-periodic");
  assert_date (&it->due, 2027, 5, 1);
  /* One three months before (beyond the 90-day look-back) does not. */
  d = due (start, 1, old, 1, date (2026, 11, 16));
  g_assert_cmpint (find (d, "Creatinine / eGFR")->status, ==, MONITORING_OVERDUE);
}

static void
test_antipsychotic_weeks (void)
{
  MonitoringLink q[1] = { { "quetiapine-ir", "antipsychotic", "quetiapine", 0 } };
  MonitoringObservation weighed[] = { { "weight", day_ms (2026, 1, 1) },
                                      { "a1c", day_ms (2026, 1, 1) },
                                      { "ldl", day_ms (2026, 1, 1) },
                                      { "aims", day_ms (2026, 1, 1) },
                                      { "weight", day_ms (2026, 1, 29) } };
  g_autoptr (GPtrArray) a = NULL, b = NULL, c = NULL;
  const MonitoringItem *it;

  q[0].since_ms = day_ms (2026, 1, 1);
  /* Week 4 weighed on 29 Jan; week 8 (26 Feb) not reached until 19 Feb. */
  a = due (q, 1, weighed, 5, date (2026, 2, 18));
  it = find (a, "Weight / BMI");
  g_assert_cmpint (it->status, ==, MONITORING_NOT_YET);
  g_assert_cmpstr (it->rule_id, ==, "antipsychotic-weight-weeks");
  assert_date (&it->due, 2026, 2, 19);
  b = due (q, 1, weighed, 5, date (2026, 3, 13));
  it = find (b, "Weight / BMI");
  g_assert_cmpint (it->status, ==, MONITORING_OVERDUE);
  g_assert_nonnull (strstr (it->why, "week-8 check overdue since 12 Mar 2026"));
  /* A1c at 12 weeks (26 Mar; 28 days' grace: overdue after 23 Apr). */
  it = find (b, "A1c or fasting glucose");
  g_assert_cmpint (it->status, ==, MONITORING_NOT_YET);
  assert_date (&it->due, 2026, 3, 19);
  assert_date (&it->overdue, 2026, 4, 23);
  c = due (q, 1, weighed, 5, date (2026, 4, 24));
  g_assert_cmpint (find (c, "A1c or fasting glucose")->status, ==, MONITORING_OVERDUE);
  g_assert_cmpint (find (c, "Lipid panel")->status, ==, MONITORING_OVERDUE);
  /* The AIMS every 6 months: baseline done, next 1 Jul. */
  it = find (c, "AIMS");
  g_assert_cmpint (it->status, ==, MONITORING_NOT_YET);
  assert_date (&it->due, 2026, 7, 1);
}

static void
test_each_visit (void)
{
  MonitoringLink s[1] = { { "methylphenidate-er-oros", "stimulant", "methylphenidate", 0 } };
  MonitoringObservation bp[] = { { "blood-pressure", day_ms (2026, 12, 5) } };
  g_autoptr (GPtrArray) a = NULL, b = NULL;

  s[0].since_ms = day_ms (2025, 6, 1);
  a = due (s, 1, bp, 1, date (2026, 12, 5));
  g_assert_cmpint (find (a, "Blood pressure")->status, ==, MONITORING_DONE);
  g_assert_cmpint (find (a, "Heart rate")->status, ==, MONITORING_DUE);
  assert_date (&find (a, "Heart rate")->due, 2026, 12, 5);
  b = due (s, 1, bp, 1, date (2027, 1, 9));
  g_assert_cmpint (find (b, "Blood pressure")->status, ==, MONITORING_DUE);
  g_assert_nonnull (strstr (find (b, "Blood pressure")->why, "each visit on methylphenidate"));
  /* Nothing is asked of an SSRI. */
  {
    MonitoringLink ssri[1] = { { "sertraline", "SSRI", "sertraline", day_ms (2026, 1, 1) } };
    g_autoptr (GPtrArray) none = due (ssri, 1, NULL, 0, date (2026, 12, 5));
    g_assert_cmpuint (none->len, ==, 0);
  }
}

/* ------------------------------------------------------------ values */

static const char *
flag_of (const char *kind, double v, double v2, gboolean two, const char *const *on,
         const char **alert)
{
  MonitoringReading r;
  static char code[3];

  monitoring_interpret (table, observation_kind_find (kind), v, two, v2, on, &r);
  g_strlcpy (code, r.code, sizeof code);
  if (alert)
    *alert = r.alert_rule;
  if (strcmp (r.code, "N") == 0)
    g_assert_null (r.words);
  else
    g_assert_nonnull (r.words);
  g_assert_true ((r.alert_rule != NULL) == (r.alert_summary != NULL));
  monitoring_reading_clear (&r);
  return code;
}

static void
test_interpret_lithium (void)
{
  const char *alert = NULL;
  MonitoringReading r;

  g_assert_cmpstr (flag_of ("lithium", 0.59, 0, FALSE, NULL, &alert), ==, "L");
  g_assert_null (alert);
  g_assert_cmpstr (flag_of ("lithium", 0.6, 0, FALSE, NULL, &alert), ==, "N");
  g_assert_cmpstr (flag_of ("lithium", 1.2, 0, FALSE, NULL, &alert), ==, "N");
  g_assert_null (alert);
  g_assert_cmpstr (flag_of ("lithium", 1.21, 0, FALSE, NULL, &alert), ==, "H");
  g_assert_cmpstr (alert, ==, "toxic-level");
  g_assert_cmpstr (flag_of ("lithium", 2.0, 0, FALSE, NULL, &alert), ==, "H");
  g_assert_cmpstr (flag_of ("lithium", 2.01, 0, FALSE, NULL, &alert), ==, "HH");
  g_assert_cmpstr (alert, ==, "toxic-level");
  monitoring_interpret (table, observation_kind_find ("lithium"), 1.5, FALSE, 0, NULL, &r);
  g_assert_cmpstr (r.alert_summary, ==,
                   "Lithium level 1.5 mmol/L: above 1.2 mmol/L: check for toxicity (tremor, "
                   "vomiting, diarrhoea, confusion), hold or reduce the dose and repeat the "
                   "level.");
  monitoring_reading_clear (&r);
  /* The reference range FHIR carries. */
  {
    const MonitoringRange *range = monitoring_range (table, "lithium");
    g_assert_nonnull (range);
    g_assert_true (range->has_low && range->has_high);
    g_assert_cmpfloat (range->low, ==, 0.6);
    g_assert_cmpfloat (range->high, ==, 1.2);
    g_assert_null (monitoring_range (table, "weight"));
  }
}

static void
test_interpret_boundaries (void)
{
  static const char *const valproate[] = { "divalproex-er", NULL };
  static const char *const lithium[] = { "lithium-carbonate-er", NULL };
  const char *alert = NULL;

  /* QTc: > 470 H, > 500 HH and a safety alert. */
  g_assert_cmpstr (flag_of ("qtc", 470, 0, FALSE, NULL, &alert), ==, "N");
  g_assert_cmpstr (flag_of ("qtc", 471, 0, FALSE, NULL, &alert), ==, "H");
  g_assert_cmpstr (flag_of ("qtc", 500, 0, FALSE, NULL, &alert), ==, "H");
  g_assert_null (alert);
  g_assert_cmpstr (flag_of ("qtc", 501, 0, FALSE, NULL, &alert), ==, "HH");
  g_assert_cmpstr (alert, ==, "out-of-range-safety");
  /* Platelets: < 100 is an alert on valproate only. */
  g_assert_cmpstr (flag_of ("platelets", 150, 0, FALSE, valproate, &alert), ==, "N");
  g_assert_cmpstr (flag_of ("platelets", 100, 0, FALSE, valproate, &alert), ==, "L");
  g_assert_null (alert);
  g_assert_cmpstr (flag_of ("platelets", 99, 0, FALSE, valproate, &alert), ==, "L");
  g_assert_cmpstr (alert, ==, "out-of-range-safety");
  g_assert_cmpstr (flag_of ("platelets", 99, 0, FALSE, lithium, &alert), ==, "L");
  g_assert_null (alert);
  g_assert_cmpstr (flag_of ("platelets", 49, 0, FALSE, NULL, &alert), ==, "LL");
  /* A1c: >= 5.7 prediabetes, >= 6.5 diabetes, both H. */
  g_assert_cmpstr (flag_of ("a1c", 5.6, 0, FALSE, NULL, NULL), ==, "N");
  g_assert_cmpstr (flag_of ("a1c", 5.7, 0, FALSE, NULL, NULL), ==, "H");
  g_assert_cmpstr (flag_of ("a1c", 6.5, 0, FALSE, NULL, NULL), ==, "H");
  /* Fasting glucose: >= 126 and >= 100 H; < 70 L, < 54 LL. */
  g_assert_cmpstr (flag_of ("glucose-fasting", 99, 0, FALSE, NULL, NULL), ==, "N");
  g_assert_cmpstr (flag_of ("glucose-fasting", 126, 0, FALSE, NULL, NULL), ==, "H");
  g_assert_cmpstr (flag_of ("glucose-fasting", 70, 0, FALSE, NULL, NULL), ==, "N");
  g_assert_cmpstr (flag_of ("glucose-fasting", 69, 0, FALSE, NULL, NULL), ==, "L");
  g_assert_cmpstr (flag_of ("glucose-fasting", 53, 0, FALSE, NULL, NULL), ==, "LL");
  /* Blood pressure: 139/89 N, 140/80 H, 130/90 H, 181/100 HH and an alert. */
  g_assert_cmpstr (flag_of ("blood-pressure", 139, 89, TRUE, NULL, &alert), ==, "N");
  g_assert_cmpstr (flag_of ("blood-pressure", 140, 80, TRUE, NULL, &alert), ==, "H");
  g_assert_cmpstr (flag_of ("blood-pressure", 130, 90, TRUE, NULL, &alert), ==, "H");
  g_assert_null (alert);
  g_assert_cmpstr (flag_of ("blood-pressure", 181, 100, TRUE, NULL, &alert), ==, "HH");
  g_assert_cmpstr (alert, ==, "out-of-range-safety");
  g_assert_cmpstr (flag_of ("blood-pressure", 170, 121, TRUE, NULL, &alert), ==, "HH");
  /* Heart rate: > 100 H, < 60 L. */
  g_assert_cmpstr (flag_of ("heart-rate", 100, 0, FALSE, NULL, NULL), ==, "N");
  g_assert_cmpstr (flag_of ("heart-rate", 101, 0, FALSE, NULL, NULL), ==, "H");
  g_assert_cmpstr (flag_of ("heart-rate", 59, 0, FALSE, NULL, NULL), ==, "L");
  /* eGFR below 30 on lithium is an alert. */
  g_assert_cmpstr (flag_of ("egfr", 29, 0, FALSE, lithium, &alert), ==, "L");
  g_assert_cmpstr (alert, ==, "out-of-range-safety");
  g_assert_cmpstr (flag_of ("egfr", 30, 0, FALSE, lithium, &alert), ==, "L");
  g_assert_null (alert);
  /* No table entry: N (the AIMS total, weight). */
  g_assert_cmpstr (flag_of ("aims", 12, 0, FALSE, NULL, NULL), ==, "N");
}

/* ------------------------------------------------------------ the file */

static char *
load_error (const char *text)
{
  g_autofree char *path = NULL;
  GError *error = NULL;
  int fd = g_file_open_tmp ("monitoring-XXXXXX.json", &path, NULL);
  MonitoringCatalog *c;
  char *message;

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  close (fd);
  c = monitoring_catalog_load (path, meds, &error);
  g_unlink (path);
  g_assert_null (c);
  g_assert_nonnull (error);
  message = g_strdup (error->message);
  g_error_free (error);
  return message;
}

#define HEAD "{\"version\":1,\"sources\":{\"s\":\"a source\"},"

static void
test_malformed_refused (void)
{
  struct {
    const char *text, *expect;
  } cases[] = {
    { "{\"version\":2}", "\"version\" must be 1" },
    { HEAD "\"kinds\":{\"lithum\":{}},\"rules\":[]}", "\"kinds\" must be an object and" },
    { HEAD "\"kinds\":{\"lithum\":{}},\"rules\":[{}]}",
      "kind \"lithum\": not an observation kind" },
    { HEAD "\"kinds\":{\"lithium\":{\"flags\":[{\"flag\":\"H\",\"op\":\"=>\",\"value\":1.2,"
           "\"says\":\"x\",\"source\":\"s\"}]}},\"rules\":[{}]}",
      "kind \"lithium\": flag 1: \"op\" must be one of" },
    { HEAD "\"kinds\":{\"lithium\":{\"alerts\":[{\"op\":\">\",\"value\":1.2,\"rule\":\"toxic\","
           "\"says\":\"x\",\"source\":\"s\"}]}},\"rules\":[{}]}",
      "kind \"lithium\": alert 1: \"rule\" must be toxic-level" },
    { HEAD
      "\"kinds\":{},\"rules\":[{\"id\":\"r\",\"what\":\"Level\",\"kinds\":[\"lithium\"],"
      "\"medications\":[\"lithium\"],\"when\":\"periodic\",\"months\":[3,6],\"source\":\"s\"}]}",
      "rule 1 (\"r\"): \"medications\" item 1 (lithium) is not one we know" },
    { HEAD
      "\"kinds\":{},\"rules\":[{\"id\":\"r\",\"what\":\"Level\",\"kinds\":[\"lithium\"],"
      "\"classes\":[\"antipsychotic\"],\"when\":\"periodic\",\"months\":[6,3],\"source\":\"s\"}]}",
      "rule 1 (\"r\"): \"months\" must be two whole numbers" },
    { HEAD
      "\"kinds\":{},\"rules\":[{\"id\":\"r\",\"what\":\"Level\",\"kinds\":[\"lithium\"],"
      "\"classes\":[\"antipsychotic\"],\"when\":\"periodic\",\"months\":[3,6],\"source\":\"t\"}]}",
      "rule 1 (\"r\"): \"source\" must name an entry" },
    { HEAD "\"kinds\":{},\"rules\":[{\"id\":\"r\",\"what\":\"Level\",\"kinds\":[\"lithium\"],"
           "\"classes\":[\"antipsychotic\"],\"when\":\"weekly\",\"source\":\"s\"}]}",
      "rule 1 (\"r\"): \"when\" must be" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *message = load_error (cases[i].text);
    if (!strstr (message, cases[i].expect))
      g_error ("case %zu: \"%s\" does not say \"%s\"", i, message, cases[i].expect);
    g_assert_true (g_str_has_prefix (message, "monitoring table "));
  }
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  meds = med_catalog_load (TH_CATALOG_PATH, &error);
  g_assert_no_error (error);
  table = monitoring_catalog_load (TH_MONITORING_PATH, meds, &error);
  g_assert_no_error (error);
  utc = g_time_zone_new_utc ();
  g_test_add_func ("/monitoring/lithium-after-start-and-change",
                   test_lithium_after_start_and_change);
  g_test_add_func ("/monitoring/lithium-stable-periodic", test_lithium_stable_periodic);
  g_test_add_func ("/monitoring/baseline", test_baseline);
  g_test_add_func ("/monitoring/antipsychotic-weeks", test_antipsychotic_weeks);
  g_test_add_func ("/monitoring/each-visit", test_each_visit);
  g_test_add_func ("/monitoring/interpret-lithium", test_interpret_lithium);
  g_test_add_func ("/monitoring/interpret-boundaries", test_interpret_boundaries);
  g_test_add_func ("/monitoring/malformed-refused", test_malformed_refused);
  status = g_test_run ();
  monitoring_catalog_free (table);
  med_catalog_free (meds);
  g_time_zone_unref (utc);
  return status;
}
