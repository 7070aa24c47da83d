/* test_rx_allergies.c — the allergies section of the prescribing safety
 * check and the clinic's list of diagnoses (records-rx.h): the shipped
 * config/conditions.json, malformed files refused with the entry named, and
 * the allergy matrix (ingredient allergy refused, class allergy refused,
 * intolerance warns, lamotrigine after a rash refused whatever its status,
 * entered-in-error ignored, an unrelated drug passes). */
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "server/records/records.h"
#include "tests/unit/clinical-fixture.h"

/* ------------------------------------------------------------ the list */

static void
test_shipped_conditions (void)
{
  GError *error = NULL;
  RxConditionTable *t = rx_conditions_load (TH_CONDITIONS_PATH, &error);
  const RxCondition *c;
  /* One of each group the issue names, with its tabular-list title. */
  static const char *const kCodes[][2] = {
    { "F32.0", "Major depressive disorder, single episode, mild" },
    { "F32.A", "Depression, unspecified" },
    { "F33.2", "Major depressive disorder, recurrent severe without psychotic features" },
    { "F33.42", "Major depressive disorder, recurrent, in full remission" },
    { "F41.1", "Generalized anxiety disorder" },
    { "F41.0", "Panic disorder [episodic paroxysmal anxiety]" },
    { "F31.32", "Bipolar disorder, current episode depressed, moderate" },
    { "F31.74", "Bipolar disorder, in full remission, most recent episode manic" },
    { "F31.81", "Bipolar II disorder" },
    { "F90.0", "Attention-deficit hyperactivity disorder, predominantly inattentive type" },
    { "F51.01", "Primary insomnia" },
    { "G47.00", "Insomnia, unspecified" },
    { "F43.10", "Post-traumatic stress disorder, unspecified" },
    { "F42.2", "Mixed obsessional thoughts and acts" },
    { "F25.1", "Schizoaffective disorder, depressive type" },
    { "F29", "Unspecified psychosis not due to a substance or known physiological condition" },
  };

  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_nonnull (strstr (t->source, "ICD-10-CM"));
  for (gsize i = 0; i < G_N_ELEMENTS (kCodes); i++) {
    c = rx_condition_find (t, kCodes[i][0]);
    g_assert_nonnull (c);
    g_assert_cmpstr (c->display, ==, kCodes[i][1]);
  }
  /* Exact codes only: no parent categories (not billable), no other spelling. */
  g_assert_null (rx_condition_find (t, "F33"));
  g_assert_null (rx_condition_find (t, "f33.1"));
  g_assert_null (rx_condition_find (t, "F331"));
  g_assert_null (rx_condition_find (t, "F99.9"));
  rx_conditions_free (t);
}

static const char kHead[] = "{\"version\": 1, \"about\": \"x\", \"source\": \"ICD-10-CM FY2026\","
                            " \"system\": \"http://hl7.org/fhir/sid/icd-10-cm\", \"conditions\": ";

/* Loads `text` from a file; asserts a refusal whose message has `expect`. */
static void
assert_refused (const char *text, const char *expect)
{
  g_autofree char *path = NULL;
  GError *error = NULL;
  int fd = g_file_open_tmp ("conditions-XXXXXX.json", &path, NULL);
  RxConditionTable *t;

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  close (fd);
  t = rx_conditions_load (path, &error);
  g_assert_null (t);
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
  if (!strstr (error->message, expect))
    g_error ("\"%s\" does not say \"%s\"", error->message, expect);
  g_assert_nonnull (strstr (error->message, path));
  g_error_free (error);
  g_unlink (path);
}

static void
test_bad_condition_files (void)
{
  g_autofree char *dup = NULL, *lower = NULL, *blank = NULL, *extra = NULL, *empty = NULL;
  g_autofree char *missing = NULL, *nodot = NULL;

  assert_refused ("{", "line 1");
  assert_refused ("[]", "");
  assert_refused ("{\"version\": 2, \"about\": \"x\", \"source\": \"y\", \"system\": "
                  "\"http://hl7.org/fhir/sid/icd-10-cm\", \"conditions\": []}",
                  "version must be 1");
  assert_refused ("{\"version\": 1, \"about\": \"x\", \"source\": \"y\", \"system\": "
                  "\"http://snomed.info/sct\", \"conditions\": []}",
                  "system http://hl7.org/fhir/sid/icd-10-cm");
  empty = g_strconcat (kHead, "[]}", NULL);
  assert_refused (empty, "1 to 1000 diagnoses");
  dup = g_strconcat (kHead,
                     "[{\"code\": \"F41.1\", \"display\": \"Generalized anxiety disorder\","
                     " \"group\": \"Anxiety\"}, {\"code\": \"F41.1\", \"display\": \"Again\","
                     " \"group\": \"Anxiety\"}]}",
                     NULL);
  assert_refused (dup, "condition 2: F41.1 is listed twice");
  lower = g_strconcat (kHead, "[{\"code\": \"f41.1\", \"display\": \"x\", \"group\": \"y\"}]}",
                       NULL);
  assert_refused (lower, "condition 1: \"f41.1\" is not an ICD-10-CM code");
  nodot = g_strconcat (kHead, "[{\"code\": \"F411\", \"display\": \"x\", \"group\": \"y\"}]}",
                       NULL);
  assert_refused (nodot, "\"F411\" is not an ICD-10-CM code");
  blank = g_strconcat (kHead, "[{\"code\": \"F41.1\", \"display\": \" \", \"group\": \"y\"}]}",
                       NULL);
  assert_refused (blank, "condition 1 (F41.1): display and group");
  extra = g_strconcat (kHead,
                       "[{\"code\": \"F41.1\", \"display\": \"x\", \"group\": \"y\", "
                       "\"billable\": true}]}",
                       NULL);
  assert_refused (extra, "condition 1:");
  missing = g_strconcat (kHead, "[{\"code\": \"F41.1\", \"display\": \"x\"}]}", NULL);
  assert_refused (missing, "condition 1:");
}

static void
test_status_words (void)
{
  g_assert_true (rx_condition_clinical_valid ("remission"));
  g_assert_false (rx_condition_clinical_valid ("cured"));
  g_assert_true (rx_condition_verification_valid ("entered-in-error"));
  g_assert_true (rx_condition_clinical_is_active ("relapse"));
  g_assert_false (rx_condition_clinical_is_active ("remission"));
  g_assert_nonnull (rx_manifestation_find ("sjs-ten"));
  g_assert_null (rx_manifestation_find ("sneezing"));
  g_assert_true (rx_allergy_status_valid ("entered-in-error"));
  g_assert_false (rx_allergy_status_valid ("refuted"));
}

/* ------------------------------------------------------------ the matrix */

typedef struct {
  const char *name;
  const char *kind; /* ingredient | class | other */
  const char *substance;
  gboolean intolerance;
  const char *manifestation;
  const char *status;
  const char *medication; /* the order's catalog id */
  const char *rule;       /* the finding expected, NULL: none */
  RxSeverity severity;
} Case;

static const Case kCases[] = {
  { "ingredient allergy", "ingredient", "sertraline", FALSE, "hives", "active", "sertraline",
    "allergy", RX_REFUSE },
  { "class allergy", "class", "SSRI", FALSE, "anaphylaxis", "active", "escitalopram",
    "class-allergy", RX_REFUSE },
  { "intolerance warns", "ingredient", "quetiapine", TRUE, "other", "active", "quetiapine-xr",
    "intolerance", RX_WARN },
  { "class intolerance warns", "class", "SNRI", TRUE, NULL, "active", "venlafaxine-xr",
    "intolerance", RX_WARN },
  { "rechallenge after a rash", "ingredient", "lamotrigine", FALSE, "rash", "active", "lamotrigine",
    "lamotrigine-rechallenge", RX_REFUSE },
  { "rechallenge after SJS-TEN, resolved", "ingredient", "lamotrigine", TRUE, "sjs-ten", "resolved",
    "lamotrigine", "lamotrigine-rechallenge", RX_REFUSE },
  { "rechallenge after a rash, inactive", "ingredient", "lamotrigine", FALSE, "rash", "inactive",
    "lamotrigine", "lamotrigine-rechallenge", RX_REFUSE },
  { "lamotrigine allergy without a rash", "ingredient", "lamotrigine", FALSE, "angioedema",
    "active", "lamotrigine", "allergy", RX_REFUSE },
  { "entered in error ignored", "ingredient", "sertraline", FALSE, "hives", "entered-in-error",
    "sertraline", NULL, 0 },
  { "rash entered in error ignored", "ingredient", "lamotrigine", FALSE, "rash", "entered-in-error",
    "lamotrigine", NULL, 0 },
  { "resolved allergy does not refuse", "ingredient", "sertraline", FALSE, "hives", "resolved",
    "sertraline", NULL, 0 },
  { "unrelated drug passes", "ingredient", "sertraline", FALSE, "anaphylaxis", "active",
    "buspirone", NULL, 0 },
  { "unrelated class passes", "class", "SSRI", FALSE, "anaphylaxis", "active", "duloxetine", NULL,
    0 },
  { "free text never matches an order", "other", "penicillin", FALSE, "anaphylaxis", "active",
    "sertraline", NULL, 0 },
};

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  MedCatalog *catalog = load_shipped ();
  RxCheckFacts f = { 0 };
  g_autoptr (GPtrArray) findings = rx_findings_new ();
  RxAllergy a = {
    .substance_kind = (char *) c->kind,
    .substance = (char *) c->substance,
    .intolerance = c->intolerance,
    .manifestation = (char *) c->manifestation,
    .reaction = (char *) "as the patient told it",
    .status = (char *) c->status,
  };

  g_date_set_dmy (&a.noted, 3, G_DATE_MARCH, 2024);
  f.kind = ADJUST_START;
  f.medication = med_catalog_find (catalog, c->medication);
  g_assert_nonnull (f.medication);
  f.allergies = rx_allergy_facts_new ();
  rx_allergy_facts_add (f.allergies, &a);
  rx_check_allergies (&f, findings);
  if (!c->rule) {
    g_assert_cmpuint (findings->len, ==, 0);
  } else {
    const RxFinding *r;
    g_assert_cmpuint (findings->len, ==, 1);
    r = g_ptr_array_index (findings, 0);
    g_assert_cmpstr (r->rule, ==, c->rule);
    g_assert_cmpint (r->severity, ==, c->severity);
    /* The reaction and its date are named; the source too. */
    g_assert_nonnull (strstr (r->message, "3 Mar 2024"));
    g_assert_nonnull (strstr (r->message, "as the patient told it"));
    g_assert_cmpuint (strlen (r->source), >, 10);
    if (strcmp (c->rule, "lamotrigine-rechallenge") == 0)
      g_assert_nonnull (strstr (r->source, "Boxed Warning"));
  }
  rx_check_facts_clear (&f);
  med_catalog_free (catalog);
}

/* The verdict the frame draws from them: a refusal cannot be overridden,
 * an intolerance goes ahead. */
static void
test_verdicts (void)
{
  g_autoptr (GPtrArray) refuse = rx_findings_new ();
  g_autoptr (GPtrArray) warn = rx_findings_new ();
  g_autofree char *rule = NULL, *none = NULL;

  rx_add (refuse, RX_REFUSE, "allergy", "t", "s", "m");
  g_assert_cmpint (rx_check_decide (refuse, TRUE, &rule), ==, RX_REFUSED);
  g_assert_cmpstr (rule, ==, "allergy");
  rx_add (warn, RX_WARN, "intolerance", "t", "s", "m");
  g_assert_cmpint (rx_check_decide (warn, FALSE, &none), ==, RX_PASS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rx-allergies/conditions/shipped", test_shipped_conditions);
  g_test_add_func ("/rx-allergies/conditions/bad-files", test_bad_condition_files);
  g_test_add_func ("/rx-allergies/words", test_status_words);
  for (gsize i = 0; i < G_N_ELEMENTS (kCases); i++) {
    g_autofree char *path = g_strdup_printf ("/rx-allergies/matrix/%s", kCases[i].name);
    g_test_add_data_func (path, &kCases[i], run_case);
  }
  g_test_add_func ("/rx-allergies/verdicts", test_verdicts);
  return g_test_run ();
}
