/* test_clinical.c — the pure clinical rules: scale scoring at every band
 * edge. The catalog and dose checks are in test_catalog.c, the prescribing
 * rules in test_prescribing.c. */
#include <math.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "server/records/records.h"
#include "tests/unit/clinical-fixture.h"

/* ---------------------------------------------------------------- scales */

/* Items for a given total with item 9 (PHQ-9) or the last item held at
 * `last`: fills the other items with 3s from the first. */
static void
items_for_total (gint *items, guint n, guint total, gint last)
{
  guint rest = total - (guint) last;
  for (guint i = 0; i < n; i++)
    items[i] = 0;
  items[n - 1] = last;
  for (guint i = 0; i + 1 < n && rest > 0; i++) {
    items[i] = rest >= 3 ? 3 : (gint) rest;
    rest -= (guint) items[i];
  }
  g_assert_cmpuint (rest, ==, 0);
}

typedef struct {
  guint total;
  const char *band;
} BandCase;

static void
check_bands (ScaleKind kind, const BandCase *cases, gsize n_cases)
{
  guint n = scale_item_count (kind);
  for (gsize c = 0; c < n_cases; c++) {
    gint items[SCALE_MAX_ITEMS];
    ScaleScore score;
    GError *error = NULL;
    /* Totals above what the other items can reach need the last one too. */
    gint last = cases[c].total > 3 * (n - 1) ? (gint) (cases[c].total - 3 * (n - 1)) : 0;
    items_for_total (items, n, cases[c].total, last);
    g_assert_true (scale_score (kind, items, n, &score, &error));
    g_assert_no_error (error);
    g_assert_cmpint (score.kind, ==, kind);
    g_assert_cmpuint (score.total, ==, cases[c].total);
    g_assert_cmpstr (score.band, ==, cases[c].band);
    g_assert_cmpint (score.alert, ==, kind == SCALE_PHQ9 && last > 0);
  }
}

static void
test_phq9_bands (void)
{
  static const BandCase cases[] = {
    { 0, "minimal" }, { 4, "minimal" }, { 5, "mild" }, { 9, "mild" },
    { 10, "moderate" }, { 14, "moderate" }, { 15, "moderately-severe" },
    { 19, "moderately-severe" }, { 20, "severe" }, { 24, "severe" }, { 27, "severe" },
  };
  check_bands (SCALE_PHQ9, cases, G_N_ELEMENTS (cases));
}

static void
test_gad7_bands (void)
{
  static const BandCase cases[] = {
    { 0, "minimal" }, { 4, "minimal" }, { 5, "mild" }, { 9, "mild" }, { 10, "moderate" },
    { 14, "moderate" }, { 15, "severe" }, { 21, "severe" },
  };
  check_bands (SCALE_GAD7, cases, G_N_ELEMENTS (cases));
}

static void
test_phq9_item9_alert (void)
{
  gint items[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  ScaleScore score;
  GError *error = NULL;

  /* Item 9 alone, total 1: minimal, but the alert is raised. */
  g_assert_true (scale_score (SCALE_PHQ9, items, 9, &score, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (score.total, ==, 1);
  g_assert_cmpstr (score.band, ==, "minimal");
  g_assert_true (score.alert);

  /* All zeros: no alert. */
  items[8] = 0;
  g_assert_true (scale_score (SCALE_PHQ9, items, 9, &score, &error));
  g_assert_cmpuint (score.total, ==, 0);
  g_assert_false (score.alert);

  /* A high total without item 9: severe, no alert (the alert is item 9's). */
  for (guint i = 0; i < 8; i++)
    items[i] = 3;
  g_assert_true (scale_score (SCALE_PHQ9, items, 9, &score, &error));
  g_assert_cmpuint (score.total, ==, 24);
  g_assert_cmpstr (score.band, ==, "severe");
  g_assert_false (score.alert);

  /* Every nonzero answer on item 9 alerts. */
  for (gint v = 1; v <= 3; v++) {
    items[8] = v;
    g_assert_true (scale_score (SCALE_PHQ9, items, 9, &score, &error));
    g_assert_true (score.alert);
  }

  /* GAD-7 never alerts, even at its maximum. */
  {
    gint gad[7] = { 3, 3, 3, 3, 3, 3, 3 };
    g_assert_true (scale_score (SCALE_GAD7, gad, 7, &score, &error));
    g_assert_false (score.alert);
    g_assert_cmpuint (score.flags, ==, 0);
    g_assert_false (score.positive);
  }
}

/* Scoring must fail with INVALID, and the message name the item `item`
 * (1-based) when nonzero. */
static void
assert_score_refused (ScaleKind kind, const gint *items, guint n, guint item)
{
  ScaleScore score = { .total = 12345 };
  GError *error = NULL;
  g_assert_false (scale_score (kind, items, n, &score, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  if (item > 0) {
    char *needle = g_strdup_printf ("item %u ", item);
    g_assert_nonnull (strstr (error->message, needle));
    g_free (needle);
  }
  /* Nothing is written on failure. */
  g_assert_cmpuint (score.total, ==, 12345);
  g_error_free (error);
}

static void
test_scale_invalid (void)
{
  static const ScaleKind kinds[] = { SCALE_PHQ9, SCALE_GAD7, SCALE_ASRS_A };
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++) {
    ScaleKind kind = kinds[k];
    guint n = scale_item_count (kind);
    gint items[SCALE_MAX_ITEMS + 1] = { 0 };
    /* Each item out of range on each side, one at a time. */
    for (guint i = 0; i < n; i++) {
      items[i] = -1;
      assert_score_refused (kind, items, n, i + 1);
      items[i] = (gint) scale_item_max (kind) + 1;
      assert_score_refused (kind, items, n, i + 1);
      items[i] = G_MAXINT;
      assert_score_refused (kind, items, n, i + 1);
      items[i] = 0;
    }
    /* Wrong counts: one short, one over, none at all. */
    assert_score_refused (kind, items, n - 1, 0);
    assert_score_refused (kind, items, n + 1, 0);
    assert_score_refused (kind, items, 0, 0);
    assert_score_refused (kind, NULL, n, 0);
  }
  /* An unknown kind is refused as UNKNOWN, not scored. */
  {
    gint items[9] = { 0 };
    ScaleScore score;
    GError *error = NULL;
    g_assert_false (scale_score ((ScaleKind) 42, items, 9, &score, &error));
    g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN);
    g_error_free (error);
  }
}

static ScaleScore
asrs (gint a, gint b, gint c, gint d, gint e, gint f)
{
  gint items[6] = { a, b, c, d, e, f };
  ScaleScore score;
  GError *error = NULL;
  g_assert_true (scale_score (SCALE_ASRS_A, items, 6, &score, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (score.total, ==, (guint) (a + b + c + d + e + f));
  g_assert_cmpstr (score.band, ==, score.positive ? "positive" : "negative");
  g_assert_cmpint (score.positive, ==, score.flags >= 4);
  g_assert_false (score.alert);
  return score;
}

static void
test_asrs_thresholds (void)
{
  /* Items 1-3 count from "sometimes" (2): 1 does not, 2 does. */
  for (guint i = 0; i < 3; i++) {
    gint v[6] = { 0 };
    v[i] = 1;
    g_assert_cmpuint (asrs (v[0], v[1], v[2], v[3], v[4], v[5]).flags, ==, 0);
    v[i] = 2;
    g_assert_cmpuint (asrs (v[0], v[1], v[2], v[3], v[4], v[5]).flags, ==, 1);
    v[i] = 4;
    g_assert_cmpuint (asrs (v[0], v[1], v[2], v[3], v[4], v[5]).flags, ==, 1);
  }
  /* Items 4-6 count from "often" (3): 2 does not, 3 does. */
  for (guint i = 3; i < 6; i++) {
    gint v[6] = { 0 };
    v[i] = 2;
    g_assert_cmpuint (asrs (v[0], v[1], v[2], v[3], v[4], v[5]).flags, ==, 0);
    v[i] = 3;
    g_assert_cmpuint (asrs (v[0], v[1], v[2], v[3], v[4], v[5]).flags, ==, 1);
    v[i] = 4;
    g_assert_cmpuint (asrs (v[0], v[1], v[2], v[3], v[4], v[5]).flags, ==, 1);
  }

  ScaleScore s;
  /* Nothing at all. */
  s = asrs (0, 0, 0, 0, 0, 0);
  g_assert_cmpuint (s.flags, ==, 0);
  g_assert_false (s.positive);
  /* Exactly 3 flags: negative. */
  s = asrs (2, 2, 2, 2, 2, 2);
  g_assert_cmpuint (s.flags, ==, 3);
  g_assert_false (s.positive);
  g_assert_cmpstr (s.band, ==, "negative");
  /* Exactly 4 flags: positive. */
  s = asrs (2, 2, 2, 3, 2, 2);
  g_assert_cmpuint (s.flags, ==, 4);
  g_assert_true (s.positive);
  g_assert_cmpstr (s.band, ==, "positive");
  /* 4 flags from the "often" items alone plus one "sometimes". */
  s = asrs (0, 0, 2, 3, 3, 3);
  g_assert_cmpuint (s.flags, ==, 4);
  g_assert_true (s.positive);
  /* A high total of sub-threshold answers stays negative: flags decide. */
  s = asrs (1, 1, 1, 2, 2, 2);
  g_assert_cmpuint (s.total, ==, 9);
  g_assert_cmpuint (s.flags, ==, 0);
  g_assert_false (s.positive);
  /* Everything "very often". */
  s = asrs (4, 4, 4, 4, 4, 4);
  g_assert_cmpuint (s.total, ==, 24);
  g_assert_cmpuint (s.flags, ==, 6);
  g_assert_true (s.positive);
}

/* Item 9 above 0 raises the alert at every total the PHQ-9 can have with
 * it (1..27), and item 9 at 0 never does (totals 0..24). */
static void
test_phq9_item9_alert_every_total (void)
{
  for (gint item9 = 0; item9 <= 3; item9++) {
    for (gint rest = 0; rest <= 24; rest++) {
      gint items[9] = { 0 };
      gint left = rest;
      ScaleScore score;
      GError *error = NULL;
      for (guint i = 0; i < 8 && left > 0; i++) {
        items[i] = MIN (3, left);
        left -= items[i];
      }
      items[8] = item9;
      g_assert_true (scale_score (SCALE_PHQ9, items, 9, &score, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (score.total, ==, (guint) (rest + item9));
      g_assert_cmpint (score.alert, ==, item9 > 0);
    }
  }
}

/* Part A read as its shaded items: every count 0..6, positive from 4. */
static void
test_asrs_a_shaded_count (void)
{
  for (guint shaded = 0; shaded <= 6; shaded++) {
    /* Shade the first `shaded` items at exactly their threshold; leave the
     * rest one step below it (1 for items 1-3, 2 for items 4-6). */
    gint items[6];
    ScaleScore score;
    for (guint i = 0; i < 6; i++) {
      gint threshold = i < 3 ? 2 : 3;
      items[i] = i < shaded ? threshold : threshold - 1;
    }
    g_assert_true (scale_score (SCALE_ASRS_A, items, 6, &score, NULL));
    g_assert_cmpuint (score.flags, ==, shaded);
    g_assert_cmpint (score.positive, ==, shaded >= 4);
  }
}

/* ASRS v1.1 symptom checklist subscales (Kessler et al. 2005): items 1-4 and
 * 7-11 inattentive, 5-6 and 12-18 hyperactive/impulsive, 0..36 each. */
static void
test_asrs18_subscales (void)
{
  static const guint inattentive[] = { 1, 2, 3, 4, 7, 8, 9, 10, 11 };
  gint items[18] = { 0 };
  ScaleScore score;
  GError *error = NULL;

  g_assert_cmpuint (scale_item_count (SCALE_ASRS18), ==, 18);
  g_assert_cmpuint (scale_item_max (SCALE_ASRS18), ==, 4);
  g_assert_cmpstr (scale_name (SCALE_ASRS18), ==, "asrs18");
  g_assert_null (scale_loinc_total (SCALE_ASRS18));

  /* All never: 0 and 0. */
  g_assert_true (scale_score (SCALE_ASRS18, items, 18, &score, &error));
  g_assert_cmpuint (score.inattentive, ==, 0);
  g_assert_cmpuint (score.hyperactive, ==, 0);
  g_assert_cmpstr (score.band, ==, "");
  g_assert_false (score.alert);

  /* Each item alone, at 4, lands in exactly its subscale. */
  for (guint n = 1; n <= 18; n++) {
    gboolean in = FALSE;
    for (guint k = 0; k < G_N_ELEMENTS (inattentive); k++)
      in = in || inattentive[k] == n;
    memset (items, 0, sizeof items);
    items[n - 1] = 4;
    g_assert_true (scale_score (SCALE_ASRS18, items, 18, &score, NULL));
    g_assert_cmpuint (score.inattentive, ==, in ? 4 : 0);
    g_assert_cmpuint (score.hyperactive, ==, in ? 0 : 4);
    g_assert_cmpuint (score.total, ==, 4);
  }

  /* Maximum of one subscale, minimum of the other, then both at maximum. */
  memset (items, 0, sizeof items);
  for (guint k = 0; k < G_N_ELEMENTS (inattentive); k++)
    items[inattentive[k] - 1] = 4;
  g_assert_true (scale_score (SCALE_ASRS18, items, 18, &score, NULL));
  g_assert_cmpuint (score.inattentive, ==, ASRS18_SUBSCALE_MAX);
  g_assert_cmpuint (score.hyperactive, ==, 0);
  for (guint i = 0; i < 18; i++)
    items[i] = 4 - items[i];
  g_assert_true (scale_score (SCALE_ASRS18, items, 18, &score, NULL));
  g_assert_cmpuint (score.inattentive, ==, 0);
  g_assert_cmpuint (score.hyperactive, ==, ASRS18_SUBSCALE_MAX);
  for (guint i = 0; i < 18; i++)
    items[i] = 4;
  g_assert_true (scale_score (SCALE_ASRS18, items, 18, &score, NULL));
  g_assert_cmpuint (score.inattentive, ==, 36);
  g_assert_cmpuint (score.hyperactive, ==, 36);
  g_assert_cmpuint (score.total, ==, 72);

  /* Out of range or the wrong length: refused, nothing scored. */
  items[17] = 5;
  g_assert_false (scale_score (SCALE_ASRS18, items, 18, &score, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "ASRS v1.1 Symptom Checklist item 18 must be between 0 and 4");
  g_clear_error (&error);
  items[17] = -1;
  g_assert_false (scale_score (SCALE_ASRS18, items, 18, &score, &error));
  g_clear_error (&error);
  g_assert_false (scale_score (SCALE_ASRS18, items, 6, &score, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  g_clear_error (&error);
}

/* Missed doses are capped per medication by its frequency over 14 days. */
static void
test_missed_dose_caps (void)
{
  g_assert_cmpuint (missed_dose_cap ("once-daily"), ==, 14);
  g_assert_cmpuint (missed_dose_cap ("every-morning"), ==, 14);
  g_assert_cmpuint (missed_dose_cap ("at-bedtime"), ==, 14);
  g_assert_cmpuint (missed_dose_cap ("twice-daily"), ==, 28);
  g_assert_cmpuint (missed_dose_cap ("three-times-daily"), ==, 42);
  /* As needed: no schedule, so no missed dose to ask about. */
  g_assert_cmpuint (missed_dose_cap ("as-needed"), ==, 0);
  g_assert_cmpuint (missed_dose_cap ("hourly"), ==, 0);
  g_assert_cmpuint (missed_dose_cap (NULL), ==, 0);
}

static void
test_scale_metadata (void)
{
  ScaleKind k;
  g_assert_cmpstr (scale_name (SCALE_PHQ9), ==, "phq9");
  g_assert_cmpstr (scale_name (SCALE_GAD7), ==, "gad7");
  g_assert_cmpstr (scale_name (SCALE_ASRS_A), ==, "asrs_a");
  g_assert_cmpstr (scale_title (SCALE_PHQ9), ==, "PHQ-9");
  g_assert_cmpstr (scale_title (SCALE_GAD7), ==, "GAD-7");
  g_assert_cmpstr (scale_title (SCALE_ASRS_A), ==, "ASRS v1.1 Part A");
  g_assert_cmpuint (scale_item_count (SCALE_PHQ9), ==, 9);
  g_assert_cmpuint (scale_item_count (SCALE_GAD7), ==, 7);
  g_assert_cmpuint (scale_item_count (SCALE_ASRS_A), ==, 6);
  g_assert_cmpuint (scale_item_max (SCALE_PHQ9), ==, 3);
  g_assert_cmpuint (scale_item_max (SCALE_GAD7), ==, 3);
  g_assert_cmpuint (scale_item_max (SCALE_ASRS_A), ==, 4);
  g_assert_cmpstr (scale_loinc_total (SCALE_PHQ9), ==, "44261-6");
  g_assert_cmpstr (scale_loinc_total (SCALE_GAD7), ==, "70274-6");
  g_assert_null (scale_loinc_total (SCALE_ASRS_A));
  g_assert_true (scale_from_name ("phq9", &k) && k == SCALE_PHQ9);
  g_assert_true (scale_from_name ("gad7", &k) && k == SCALE_GAD7);
  g_assert_true (scale_from_name ("asrs_a", &k) && k == SCALE_ASRS_A);
  g_assert_false (scale_from_name ("PHQ-9", &k));
  g_assert_false (scale_from_name ("", &k));
  g_assert_false (scale_from_name (NULL, &k));
  g_assert_null (scale_name ((ScaleKind) 7));
  g_assert_cmpuint (scale_item_count ((ScaleKind) 7), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/clinical/scales/phq9-bands", test_phq9_bands);
  g_test_add_func ("/clinical/scales/gad7-bands", test_gad7_bands);
  g_test_add_func ("/clinical/scales/phq9-item9-alert", test_phq9_item9_alert);
  g_test_add_func ("/clinical/scales/invalid", test_scale_invalid);
  g_test_add_func ("/clinical/scales/asrs-thresholds", test_asrs_thresholds);
  g_test_add_func ("/clinical/scales/metadata", test_scale_metadata);
  g_test_add_func ("/clinical/scales/phq9-item9-alert-every-total", test_phq9_item9_alert_every_total);
  g_test_add_func ("/clinical/scales/asrs-a-shaded-count", test_asrs_a_shaded_count);
  g_test_add_func ("/clinical/scales/asrs18-subscales", test_asrs18_subscales);
  g_test_add_func ("/clinical/checkin/missed-dose-caps", test_missed_dose_caps);
  return g_test_run ();
}
