/* test_clinical.c — the pure clinical rules: scale scoring at every band
 * edge, the shipped medication catalog and malformed ones, and dose checks.
 * The prescribing rules are in test_prescribing.c. */
#include <math.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "server/clinical.h"
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

/* --------------------------------------------------------------- catalog */

typedef struct {
  const char *id;
  const char *rxnorm;
  const char *cls;
  const char *schedule;
  gboolean adhd;
} Required;

static const Required kRequired[] = {
  { "sertraline", "36437", "SSRI", "none", FALSE },
  { "fluoxetine", "4493", "SSRI", "none", FALSE },
  { "paroxetine", "32937", "SSRI", "none", FALSE },
  { "escitalopram", "321988", "SSRI", "none", FALSE },
  { "venlafaxine", "39786", "SNRI", "none", FALSE },
  { "duloxetine", "72625", "SNRI", "none", FALSE },
  { "amitriptyline", "704", "tricyclic", "none", FALSE },
  { "lithium", "6448", "mood stabilizer", "none", FALSE },
  { "divalproex", "266856", "mood stabilizer", "none", FALSE },
  { "lamotrigine", "28439", "mood stabilizer", "none", FALSE },
  { "risperidone", "35636", "antipsychotic", "none", FALSE },
  { "quetiapine", "51272", "antipsychotic", "none", FALSE },
  { "alprazolam", "596", "benzodiazepine", "IV", FALSE },
  { "diazepam", "3322", "benzodiazepine", "IV", FALSE },
  { "buspirone", "1827", "anxiolytic", "none", FALSE },
  { "amphetamine-mixed-salts", "725", "stimulant", "II", TRUE },
  { "methylphenidate", "6901", "stimulant", "II", TRUE },
  { "atomoxetine", "38400", "non-stimulant", "none", TRUE },
};

static void
test_catalog_shipped (void)
{
  MedCatalog *c = load_shipped ();

  g_assert_cmpuint (med_catalog_size (c), >=, G_N_ELEMENTS (kRequired));
  for (gsize i = 0; i < G_N_ELEMENTS (kRequired); i++) {
    const Required *r = &kRequired[i];
    const Medication *m = med_catalog_find (c, r->id);
    g_assert_nonnull (m);
    g_assert_cmpstr (m->id, ==, r->id);
    g_assert_cmpstr (m->rxnorm, ==, r->rxnorm);
    g_assert_cmpstr (m->drug_class, ==, r->cls);
    g_assert_cmpstr (m->schedule, ==, r->schedule);
    g_assert_cmpstr (m->unit, ==, "mg");
    g_assert_cmpint (m->adhd, ==, r->adhd);
    g_assert_cmpint (medication_is_controlled (m), ==, strcmp (r->schedule, "none") != 0);
  }

  /* Every entry: sane strengths, each of them a valid dose. */
  for (guint i = 0; i < med_catalog_size (c); i++) {
    const Medication *m = med_catalog_get (c, i);
    g_assert_nonnull (m);
    g_assert_true (med_catalog_find (c, m->id) == m);
    g_assert_cmpuint (m->n_strengths, >, 0);
    for (guint s = 0; s < m->n_strengths; s++) {
      GError *error = NULL;
      g_assert_cmpfloat (m->strengths[s], >, 0);
      if (s > 0)
        g_assert_cmpfloat (m->strengths[s], >, m->strengths[s - 1]);
      g_assert_true (med_dose_valid (m, m->strengths[s], m->unit, &error));
      g_assert_no_error (error);
    }
  }
  g_assert_null (med_catalog_get (c, med_catalog_size (c)));
  g_assert_null (med_catalog_find (c, "valium"));
  g_assert_null (med_catalog_find (c, NULL));
  med_catalog_free (c);
}

typedef struct {
  const char *label;
  const char *text;      /* the whole file */
  const char *needle;    /* must appear in the message (besides the path) */
} BadCatalog;

#define ENTRY_A "{\"id\":\"a\",\"name\":\"a\",\"rxnorm\":\"1\",\"class\":\"SSRI\",\"schedule\":\"none\"," \
                "\"unit\":\"mg\",\"strengths\":[5,10],\"adhd\":false}"

/* One catalog holding entry "b", with the given fields after id/name. */
#define ONE_B(fields) "{\"version\":1,\"medications\":[{\"id\":\"b\",\"name\":\"b\"," fields "}]}"
#define B(rx, cls, sched, strengths, tail)                                                  \
  ONE_B ("\"rxnorm\":" rx ",\"class\":" cls ",\"schedule\":" sched ",\"unit\":\"mg\","      \
         "\"strengths\":" strengths tail)

static const BadCatalog kBadCatalogs[] = {
  { "not JSON", "{\"version\":1, \"medications\": [", "JSON" },
  { "empty file", "", "JSON" },
  { "top level array", "[]", "object" },
  { "no version", "{\"medications\":[" ENTRY_A "]}", "version" },
  { "version 2", "{\"version\":2,\"medications\":[" ENTRY_A "]}", "version" },
  { "no medications", "{\"version\":1}", "medications" },
  { "empty medications", "{\"version\":1,\"medications\":[]}", "medications" },
  { "missing field",
    "{\"version\":1,\"medications\":[" ENTRY_A ",{\"id\":\"b\",\"name\":\"b\",\"class\":\"SSRI\","
    "\"schedule\":\"none\",\"unit\":\"mg\",\"strengths\":[5],\"adhd\":false}]}",
    "medication 2 (\"b\"): missing \"rxnorm\"" },
  { "missing adhd", B ("\"2\"", "\"SSRI\"", "\"none\"", "[5]", ""),
    "medication 1 (\"b\"): missing \"adhd\"" },
  { "bad schedule", B ("\"2\"", "\"stimulant\"", "\"VI\"", "[5]", ",\"adhd\":true"),
    "medication 1 (\"b\"): \"schedule\"" },
  { "lowercase schedule", B ("\"2\"", "\"stimulant\"", "\"ii\"", "[5]", ",\"adhd\":true"),
    "\"schedule\"" },
  { "bad class", B ("\"2\"", "\"ssri\"", "\"none\"", "[5]", ",\"adhd\":false"), "class" },
  { "duplicate id", "{\"version\":1,\"medications\":[" ENTRY_A "," ENTRY_A "]}",
    "medication 2 (\"a\"): duplicate id" },
  { "unsorted strengths", B ("\"2\"", "\"SSRI\"", "\"none\"", "[10,5]", ",\"adhd\":false"),
    "ascending" },
  { "repeated strength", B ("\"2\"", "\"SSRI\"", "\"none\"", "[5,5]", ",\"adhd\":false"),
    "ascending" },
  { "empty strengths", B ("\"2\"", "\"SSRI\"", "\"none\"", "[]", ",\"adhd\":false"),
    "strengths" },
  { "zero strength", B ("\"2\"", "\"SSRI\"", "\"none\"", "[0,5]", ",\"adhd\":false"),
    "positive" },
  { "string strength", B ("\"2\"", "\"SSRI\"", "\"none\"", "[\"5\"]", ",\"adhd\":false"),
    "number" },
  { "adhd as string", B ("\"2\"", "\"SSRI\"", "\"none\"", "[5]", ",\"adhd\":\"no\""), "adhd" },
  { "rxnorm as number", B ("2", "\"SSRI\"", "\"none\"", "[5]", ",\"adhd\":false"), "rxnorm" },
  { "empty name",
    "{\"version\":1,\"medications\":[{\"id\":\"b\",\"name\":\"\",\"rxnorm\":\"2\",\"class\":\"SSRI\","
    "\"schedule\":\"none\",\"unit\":\"mg\",\"strengths\":[5],\"adhd\":false}]}",
    "name" },
  { "misspelled field",
    B ("\"2\"", "\"SSRI\"", "\"none\"", "[5]", ",\"adhd\":false,\"schedual\":\"II\""),
    "schedual" },
  { "note not a string", B ("\"2\"", "\"SSRI\"", "\"none\"", "[5]", ",\"adhd\":false,\"note\":1"),
    "note" },
  { "entry not an object", "{\"version\":1,\"medications\":[" ENTRY_A ",42]}", "medication 2:" },
  /* jansson refuses duplicate keys (JSON_REJECT_DUPLICATES): which one
   * would win is otherwise a silent choice. */
  { "duplicate key", B ("\"2\"", "\"SSRI\"", "\"none\",\"schedule\":\"II\"", "[5]", ",\"adhd\":false"),
    "JSON" },
};

static void
test_catalog_malformed (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("test-clinical-XXXXXX", &error);
  g_assert_no_error (error);

  /* The minimal well-formed file loads: the bad ones differ only in the defect. */
  {
    char *path = g_build_filename (dir, "good.json", NULL);
    MedCatalog *c;
    g_assert_true (g_file_set_contents (path, "{\"version\":1,\"medications\":[" ENTRY_A "]}", -1,
                                        &error));
    c = med_catalog_load (path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (med_catalog_size (c), ==, 1);
    g_assert_false (medication_is_controlled (med_catalog_find (c, "a")));
    med_catalog_free (c);
    g_unlink (path);
    g_free (path);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (kBadCatalogs); i++) {
    const BadCatalog *b = &kBadCatalogs[i];
    char *path = g_build_filename (dir, "bad.json", NULL);
    MedCatalog *c;
    g_test_message ("malformed catalog: %s", b->label);
    g_assert_true (g_file_set_contents (path, b->text, -1, &error));
    c = med_catalog_load (path, &error);
    g_assert_null (c);
    g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
    if (strstr (error->message, path) == NULL || strstr (error->message, b->needle) == NULL)
      g_error ("%s: message \"%s\" lacks the path or \"%s\"", b->label, error->message, b->needle);
    g_clear_error (&error);
    g_unlink (path);
    g_free (path);
  }

  /* A file that is not there. */
  {
    char *path = g_build_filename (dir, "missing.json", NULL);
    g_assert_null (med_catalog_load (path, &error));
    g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
    g_assert_nonnull (strstr (error->message, path));
    g_clear_error (&error);
    g_free (path);
  }

  g_rmdir (dir);
  g_free (dir);
}

static void
test_frequencies_routes (void)
{
  static const struct {
    const char *code, *text;
    guint per_day;
  } freqs[] = {
    { "once-daily", "once daily", 1 }, { "twice-daily", "twice daily", 2 },
    { "three-times-daily", "three times daily", 3 }, { "at-bedtime", "at bedtime", 1 },
    { "every-morning", "every morning", 1 }, { "as-needed", "as needed", 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (freqs); i++) {
    g_assert_true (med_frequency_valid (freqs[i].code));
    g_assert_cmpstr (med_frequency_text (freqs[i].code), ==, freqs[i].text);
    g_assert_cmpuint (med_frequency_per_day (freqs[i].code), ==, freqs[i].per_day);
  }
  g_assert_false (med_frequency_valid ("once daily"));
  g_assert_false (med_frequency_valid ("qid"));
  g_assert_false (med_frequency_valid (NULL));
  g_assert_null (med_frequency_text ("qid"));
  g_assert_cmpuint (med_frequency_per_day ("qid"), ==, 0);

  g_assert_true (med_route_valid ("oral"));
  g_assert_true (med_route_valid ("sublingual"));
  g_assert_true (med_route_valid ("transdermal"));
  g_assert_false (med_route_valid ("intravenous"));
  g_assert_false (med_route_valid ("Oral"));
  g_assert_false (med_route_valid (NULL));
}

static void
assert_dose_refused (const Medication *m, double dose, const char *unit, const char *message)
{
  GError *error = NULL;
  g_assert_false (med_dose_valid (m, dose, unit, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  if (message)
    g_assert_nonnull (strstr (error->message, message));
  g_error_free (error);
}

static void
test_dose_valid (void)
{
  MedCatalog *c = load_shipped ();
  const Medication *sertraline = med_catalog_find (c, "sertraline");
  const Medication *venlafaxine = med_catalog_find (c, "venlafaxine");
  const Medication *alprazolam = med_catalog_find (c, "alprazolam");
  GError *error = NULL;

  g_assert_true (med_dose_valid (sertraline, 50, "mg", &error));
  g_assert_true (med_dose_valid (sertraline, 200, "mg", &error));
  /* Within 1e-9 is the same dose (arithmetic in the page may round). */
  g_assert_true (med_dose_valid (sertraline, 50 + 1e-12, "mg", &error));
  g_assert_true (med_dose_valid (venlafaxine, 37.5, "mg", &error));
  g_assert_true (med_dose_valid (alprazolam, 0.25, "mg", &error));
  g_assert_no_error (error);

  /* Not a listed strength: the message lists the ones that are. */
  assert_dose_refused (sertraline, 60, "mg", "sertraline comes in 25, 50, 75, 100, 150, 200 mg");
  assert_dose_refused (sertraline, 50.001, "mg", "comes in");
  assert_dose_refused (sertraline, 250, "mg", "comes in");
  assert_dose_refused (venlafaxine, 37, "mg", "venlafaxine comes in 37.5, 75, 112.5, 150, 225 mg");
  assert_dose_refused (alprazolam, 0.3, "mg", "alprazolam comes in 0.25, 0.5, 1, 2 mg");
  /* Wrong or missing unit, even with a listed number. */
  assert_dose_refused (sertraline, 50, "g", "mg");
  assert_dose_refused (sertraline, 50, "mcg", NULL);
  assert_dose_refused (sertraline, 50, "MG", NULL);
  assert_dose_refused (sertraline, 50, NULL, NULL);
  /* Zero, negative, not a number. */
  assert_dose_refused (sertraline, 0, "mg", "positive");
  assert_dose_refused (sertraline, -50, "mg", "positive");
  assert_dose_refused (sertraline, NAN, "mg", NULL);
  assert_dose_refused (sertraline, INFINITY, "mg", NULL);

  /* No medication: UNKNOWN. */
  g_assert_false (med_dose_valid (NULL, 50, "mg", &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN);
  g_clear_error (&error);
  med_catalog_free (c);
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
  g_test_add_func ("/clinical/catalog/shipped", test_catalog_shipped);
  g_test_add_func ("/clinical/catalog/malformed", test_catalog_malformed);
  g_test_add_func ("/clinical/catalog/frequencies-routes", test_frequencies_routes);
  g_test_add_func ("/clinical/catalog/dose", test_dose_valid);
  return g_test_run ();
}
