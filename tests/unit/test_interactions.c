/* test_interactions.c — the interactions section of the prescribing check
 * (rx-interactions.h) against the shipped config/interactions.json: every
 * rule refuses-without-override, warns or passes as it says; the switch is
 * checked with the stopped drug gone; the MAOI and fluoxetine washouts on
 * both sides of the day, with the clock passed in; and the loader refuses
 * bad files naming the file, the entry and the field. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "server/records/records.h"
#include "clinical-fixture.h"

#define DAY_MS ((gint64) 86400 * 1000)

static MedCatalog *catalog;
static RxTables tables;

/* A patient's medicine, as the API's gatherers would list it. */
typedef struct {
  const char *ingredient; /* NULL: free text */
  const char *display;
  const char *order_id;
  gint64 stopped_ms; /* 0: current */
} Med;

/* The clinic's today: 5 Dec 2026, noon UTC. */
static const gint64 kNow = G_GINT64_CONSTANT (1796472000000);

typedef struct {
  Medication hand; /* for an ingredient outside the catalog (an MAOI) */
  GArray *drugs;
  RxCheckFacts f;
  GPtrArray *findings;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->drugs, g_array_unref);
  g_clear_pointer (&r->findings, g_ptr_array_unref);
}

/* Checks `medication_id` (a catalog id, or "name:<ingredient>") at 10 mg once
 * daily against `meds` on day `now`; `replaced` is the index in meds of the
 * order a switch replaces (-1 for a start). */
static void
run_check (Run *r, const char *medication_id, const Med *meds, guint n, int replaced, gint64 now)
{
  memset (r, 0, sizeof *r);
  r->drugs = rx_drugs_new ();
  for (guint i = 0; i < n; i++) {
    RxDrug d = { 0 };
    d.ingredient = g_strdup (meds[i].ingredient);
    d.display = g_strdup (meds[i].display);
    d.order_id = g_strdup (meds[i].order_id);
    d.outside = meds[i].order_id == NULL;
    d.stopped_ms = meds[i].stopped_ms;
    g_array_append_val (r->drugs, d);
  }
  if (g_str_has_prefix (medication_id, "name:")) {
    r->hand.id = (char *) medication_id + 5;
    r->hand.name = (char *) medication_id + 5;
    r->f.medication = &r->hand;
  } else {
    r->f.medication = med_catalog_find (catalog, medication_id);
    g_assert_nonnull (r->f.medication);
  }
  r->f.kind = replaced >= 0 ? ADJUST_SWITCH : ADJUST_START;
  r->f.dosing = (MedDosing) { 10, 0, "mg", "once-daily", "oral", 0 };
  r->f.drugs = (const RxDrug *) (gpointer) r->drugs->data;
  r->f.n_drugs = r->drugs->len;
  r->f.replaced = replaced >= 0 ? &r->f.drugs[replaced] : NULL;
  r->f.catalog = catalog;
  r->f.tables = &tables;
  r->f.now_ms = now;
  {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (now / 1000);
    g_date_clear (&r->f.today, 1);
    g_date_set_dmy (&r->f.today, g_date_time_get_day_of_month (dt), g_date_time_get_month (dt),
                    g_date_time_get_year (dt));
  }
  r->findings = rx_findings_new ();
  rx_check_interactions (&r->f, r->findings);
}

static const RxFinding *
find_rule (const Run *r, const char *rule)
{
  for (guint i = 0; i < r->findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (r->findings, i);
    if (strcmp (f->rule, rule) == 0)
      return f;
  }
  return NULL;
}

/* The verdict with and without an override reason. */
static void
assert_verdicts (const Run *r, RxVerdict without, RxVerdict with)
{
  g_autofree char *rule = NULL;
  g_assert_cmpint (rx_check_decide (r->findings, FALSE, &rule), ==, without);
  g_assert_cmpint (rx_check_decide (r->findings, TRUE, NULL), ==, with);
}

/* One row of the matrix: a new medication with one current medicine. */
typedef struct {
  const char *rule;
  const char *medication; /* catalog id or name:<ingredient> */
  const char *other;      /* ingredient */
  const char *other_text; /* as the patient takes it */
  RxSeverity severity;
} Row;

static const Row kRows[] = {
  { "serotonergic-duplication", "escitalopram", "sertraline", "sertraline 100 mg once daily",
    RX_MAJOR },
  { "serotonergic-duplication", "venlafaxine-xr", "fluoxetine", "fluoxetine 20 mg", RX_MAJOR },
  { "serotonergic-duplication", "sertraline", "nortriptyline", "nortriptyline 25 mg (elsewhere)",
    RX_MAJOR },
  { "serotonergic-tramadol-triptan", "sertraline", "tramadol", "tramadol 50 mg (elsewhere)",
    RX_WARN },
  { "serotonergic-tramadol-triptan", "duloxetine", "sumatriptan", "sumatriptan 50 mg (elsewhere)",
    RX_WARN },
  { "maoi-serotonergic", "sertraline", "phenelzine", "phenelzine 15 mg (elsewhere)", RX_MAJOR },
  { "maoi-serotonergic", "buspirone", "tranylcypromine", "tranylcypromine 10 mg (elsewhere)",
    RX_MAJOR },
  { "maoi-sympathomimetic", "methylphenidate-ir", "selegiline", "selegiline 6 mg/24 h patch",
    RX_MAJOR },
  { "lithium-thiazide", "lithium-carbonate-ir", "hydrochlorothiazide",
    "hydrochlorothiazide 25 mg (elsewhere)", RX_MAJOR },
  { "lithium-nsaid", "lithium-carbonate-er", "ibuprofen", "ibuprofen 400 mg (elsewhere)", RX_WARN },
  { "lithium-nsaid", "lithium-carbonate-ir", "celecoxib", "celecoxib 200 mg (elsewhere)", RX_WARN },
  { "lithium-ace-arb", "lithium-carbonate-ir", "lisinopril", "lisinopril 10 mg (elsewhere)",
    RX_WARN },
  { "lithium-ace-arb", "lithium-carbonate-ir", "losartan", "losartan 50 mg (elsewhere)", RX_WARN },
  { "valproate-lamotrigine", "lamotrigine", "divalproex sodium", "divalproex sodium 500 mg",
    RX_WARN },
  { "benzodiazepine-opioid", "alprazolam", "oxycodone", "oxycodone 5 mg (elsewhere)", RX_MAJOR },
  { "benzodiazepine-opioid", "diazepam", "buprenorphine", "buprenorphine 8 mg (elsewhere)",
    RX_MAJOR },
  { "qtc-prolonging-combination", "escitalopram", "methadone", "methadone 60 mg (elsewhere)",
    RX_MAJOR },
  { "qtc-prolonging-combination", "escitalopram", "ondansetron", "ondansetron 8 mg (elsewhere)",
    RX_MAJOR },
  { "cyp2d6-inhibitor-substrate", "atomoxetine", "fluoxetine", "fluoxetine 20 mg", RX_WARN },
  { "cyp2d6-inhibitor-substrate", "risperidone", "paroxetine", "paroxetine 20 mg", RX_WARN },
  { "cyp2d6-inhibitor-substrate", "amitriptyline", "bupropion", "bupropion 150 mg (elsewhere)",
    RX_WARN },
};

static void
test_matrix (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (kRows); i++) {
    const Row *row = &kRows[i];
    Med with[] = { { row->other, row->other_text, NULL, 0 } };
    Med stopped[] = { { row->other, row->other_text, NULL, kNow - 90 * DAY_MS } };
    Run r;
    const RxFinding *f;

    g_test_message ("%s: %s with %s", row->rule, row->medication, row->other);
    run_check (&r, row->medication, with, 1, -1, kNow);
    f = find_rule (&r, row->rule);
    g_assert_nonnull (f);
    g_assert_cmpint (f->severity, ==, row->severity);
    /* The message names both drugs as the patient takes them; the source is named. */
    g_assert_nonnull (strstr (f->message, row->other_text));
    g_assert_cmpstr (f->source, !=, "");
    g_assert_cmpstr (f->title, !=, "");
    if (row->severity == RX_MAJOR)
      assert_verdicts (&r, RX_NEEDS_OVERRIDE, RX_PASS);
    else
      assert_verdicts (&r, RX_PASS, RX_PASS);
    run_clear (&r);
    /* Stopped long ago: nothing. */
    run_check (&r, row->medication, stopped, 1, -1, kNow);
    g_assert_null (find_rule (&r, row->rule));
    assert_verdicts (&r, RX_PASS, RX_PASS);
    run_clear (&r);
  }
}

/* Unrelated medicines pass. */
static void
test_pass (void)
{
  Med meds[] = { { "quetiapine", "quetiapine 100 mg at bedtime", "o1", 0 },
                 { "lisinopril", "lisinopril 10 mg (elsewhere)", NULL, 0 } };
  Run r;

  run_check (&r, "sertraline", meds, G_N_ELEMENTS (meds), -1, kNow);
  g_assert_cmpuint (r.findings->len, ==, 0);
  assert_verdicts (&r, RX_PASS, RX_PASS);
  run_clear (&r);
}

/* The case: escitalopram on top of sertraline is a major duplication;
 * switching sertraline to escitalopram passes. */
static void
test_switch (void)
{
  Med meds[] = { { "sertraline", "sertraline 100 mg once daily", "order-sertraline", 0 } };
  Run r;
  const RxFinding *f;

  run_check (&r, "escitalopram", meds, 1, -1, kNow);
  f = find_rule (&r, "serotonergic-duplication");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->message, "Escitalopram 10 mg once daily with sertraline 100 mg"));
  assert_verdicts (&r, RX_NEEDS_OVERRIDE, RX_PASS);
  run_clear (&r);

  run_check (&r, "escitalopram", meds, 1, 0, kNow);
  g_assert_cmpuint (r.findings->len, ==, 0);
  assert_verdicts (&r, RX_PASS, RX_PASS);
  run_clear (&r);
}

/* 14 days after an MAOI is stopped before a serotonergic drug: stopped on
 * 21 Nov, sertraline may start on 5 Dec and not on 4 Dec. */
static void
test_maoi_washout (void)
{
  gint64 stopped = kNow - 14 * DAY_MS; /* 21 Nov 2026 */
  Med meds[] = { { "phenelzine", "phenelzine 15 mg three times daily (elsewhere)", NULL,
                   stopped } };
  Run r;
  const RxFinding *f;

  run_check (&r, "sertraline", meds, 1, -1, kNow - DAY_MS);
  f = find_rule (&r, "maoi-serotonergic");
  g_assert_nonnull (f);
  g_assert_cmpint (f->severity, ==, RX_MAJOR);
  g_assert_nonnull (strstr (f->message, "phenelzine was stopped on 21 Nov 2026; wait until "
                                        "5 Dec 2026"));
  assert_verdicts (&r, RX_NEEDS_OVERRIDE, RX_PASS);
  run_clear (&r);

  run_check (&r, "sertraline", meds, 1, -1, kNow);
  g_assert_null (find_rule (&r, "maoi-serotonergic"));
  assert_verdicts (&r, RX_PASS, RX_PASS);
  run_clear (&r);

  /* A stimulant after an MAOI: the same 14 days. */
  run_check (&r, "methylphenidate-ir", meds, 1, -1, kNow - DAY_MS);
  g_assert_nonnull (find_rule (&r, "maoi-sympathomimetic"));
  run_clear (&r);
}

/* 5 weeks after fluoxetine before an MAOI: stopped 3 Nov, an MAOI may start
 * on 8 Dec and not on 7 Dec; after sertraline, 14 days are enough. */
static void
test_fluoxetine_washout (void)
{
  gint64 nov3 = kNow - 32 * DAY_MS;
  Med meds[] = { { "fluoxetine", "fluoxetine 40 mg once daily", "order-fluoxetine", nov3 } };
  Med sertraline[] = { { "sertraline", "sertraline 100 mg once daily", "o2", nov3 } };
  Run r;
  const RxFinding *f;

  run_check (&r, "name:phenelzine", meds, 1, -1, kNow + 2 * DAY_MS); /* 7 Dec */
  f = find_rule (&r, "maoi-serotonergic");
  g_assert_nonnull (f);
  g_assert_nonnull (
    strstr (f->message, "fluoxetine was stopped on 3 Nov 2026; wait until 8 Dec 2026"));
  assert_verdicts (&r, RX_NEEDS_OVERRIDE, RX_PASS);
  run_clear (&r);

  run_check (&r, "name:phenelzine", meds, 1, -1, kNow + 3 * DAY_MS); /* 8 Dec */
  g_assert_null (find_rule (&r, "maoi-serotonergic"));
  run_clear (&r);

  run_check (&r, "name:phenelzine", sertraline, 1, -1, kNow); /* 32 days after sertraline */
  g_assert_null (find_rule (&r, "maoi-serotonergic"));
  run_clear (&r);
}

/* A switch counts the replaced drug as stopped now: fluoxetine switched to
 * an MAOI is refused until 5 weeks from today; a live fluoxetine with an
 * MAOI started is the live combination. */
static void
test_switch_washout (void)
{
  Med meds[] = { { "fluoxetine", "fluoxetine 20 mg once daily", "order-fluoxetine", 0 } };
  Run r;
  const RxFinding *f;

  run_check (&r, "name:tranylcypromine", meds, 1, 0, kNow);
  f = find_rule (&r, "maoi-serotonergic");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->message, "stopped by this switch on 5 Dec 2026; wait until "
                                        "9 Jan 2027"));
  run_clear (&r);

  run_check (&r, "name:tranylcypromine", meds, 1, -1, kNow);
  f = find_rule (&r, "maoi-serotonergic");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->message, "with fluoxetine 20 mg once daily"));
  run_clear (&r);
}

/* Free text from elsewhere: one warning naming each, the order goes ahead. */
static void
test_free_text (void)
{
  Med meds[] = { { NULL, "St John's wort tea (elsewhere)", NULL, 0 },
                 { NULL, "\"water pill\" (elsewhere)", NULL, 0 },
                 { "tramadol", "tramadol 50 mg (elsewhere)", NULL, 0 } };
  Run r;
  guint unchecked = 0;

  run_check (&r, "sertraline", meds, G_N_ELEMENTS (meds), -1, kNow);
  for (guint i = 0; i < r.findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (r.findings, i);
    if (strcmp (f->rule, "interactions-unchecked") == 0) {
      unchecked++;
      g_assert_cmpint (f->severity, ==, RX_WARN);
      g_assert_nonnull (strstr (f->message, "St John's wort tea"));
      g_assert_nonnull (strstr (f->message, "water pill"));
    }
  }
  g_assert_cmpuint (unchecked, ==, 1);
  g_assert_nonnull (find_rule (&r, "serotonergic-tramadol-triptan"));
  assert_verdicts (&r, RX_PASS, RX_PASS);
  run_clear (&r);
  /* Many: five by name and how many more, within what an order keeps
   * (order_checks.message, 4000 characters). */
  {
    g_autofree char *long_name = g_strnfill (400, 'x');
    Med many[7];
    const RxFinding *f;
    for (guint i = 0; i < G_N_ELEMENTS (many); i++)
      many[i] = (Med) { NULL, long_name, NULL, 0 };
    run_check (&r, "sertraline", many, G_N_ELEMENTS (many), -1, kNow);
    f = find_rule (&r, "interactions-unchecked");
    g_assert_nonnull (f);
    g_assert_nonnull (strstr (f->message, " and 2 more are not in the interaction table"));
    g_assert_cmpuint (strlen (f->message), <, 4000);
    run_clear (&r);
  }
}

/* ---------------------------------------------------------------- loader */

static void
test_shipped_vocabulary (void)
{
  const RxInteractionTable *t = tables.interactions;
  static const char *const kWanted[] = {
    "phenelzine",  "tranylcypromine", "isocarboxazid",       "selegiline", "tramadol",
    "sumatriptan", "rizatriptan",     "zolmitriptan",        "ibuprofen",  "naproxen",
    "diclofenac",  "celecoxib",       "meloxicam",           "lisinopril", "enalapril",
    "ramipril",    "losartan",        "valsartan",           "oxycodone",  "hydrocodone",
    "morphine",    "methadone",       "buprenorphine",       "citalopram", "ondansetron",
    "haloperidol", "ziprasidone",     "hydrochlorothiazide", "bupropion",  "chlorthalidone",
  };

  for (guint i = 0; i < G_N_ELEMENTS (kWanted); i++) {
    const RxVocabEntry *e = rx_vocab_find (t, kWanted[i]);
    g_assert_nonnull (e);
    g_assert_nonnull (e->rxnorm);
    g_assert_cmpstr (e->source, !=, "");
  }
  g_assert_true (rx_vocab_has_tag (rx_vocab_find (t, "Sertraline"), "ssri"));
  g_assert_cmpstr (rx_vocab_find_rxnorm (t, "10689")->ingredient, ==, "tramadol");
  g_assert_null (rx_vocab_find_rxnorm (t, "99999999"));
}

/* Writes `json` to a temporary file, loads it, and expects an error
 * mentioning each of `needles`. */
static void
expect_bad (const char *json, const char *const *needles)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("interactions-XXXXXX.json", &path, NULL);
  RxInteractionTable *t;

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  t = rx_interactions_load (path, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
  g_assert_nonnull (strstr (error->message, path));
  for (guint i = 0; needles[i]; i++) {
    if (!strstr (error->message, needles[i]))
      g_error ("expected \"%s\" in: %s", needles[i], error->message);
  }
  g_unlink (path);
}

#define HEAD                                                                                     \
  "{\"version\": 1, \"about\": \"t\", \"sources\": {\"s\": \"a source\"}, \"tags\": {\"ssri\": " \
  "\"x\", \"maoi\": \"y\"}, "
#define DRUGS                                                                                     \
  "\"drugs\": {\"sertraline\": {\"rxnorm\": \"36437\", \"source\": \"s\", \"tags\": [\"ssri\"]}," \
  " \"phenelzine\": {\"rxnorm\": \"8123\", \"source\": \"s\", \"tags\": [\"maoi\"]}}, "
#define RULE(extra)                                                                              \
  "\"rules\": [{\"id\": \"r1\", \"severity\": \"major\", \"a\": {\"tags\": [\"maoi\"]}, \"b\": " \
  "{\"tags\": [\"ssri\"]}, \"title\": \"t\", \"text\": \"x\", \"action\": \"y\"" extra "}]}"

static void
test_loader_bad (void)
{
  expect_bad ("{", (const char *const[]) { "not valid JSON", NULL });
  /* A good file loads: the control for the rest. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp ("interactions-XXXXXX.json", &path, NULL);
    RxInteractionTable *t;
    close (fd);
    g_file_set_contents (path, HEAD DRUGS RULE (", \"source\": \"s\""), -1, NULL);
    t = rx_interactions_load (path, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (t->n_rules, ==, 1);
    rx_interactions_free (t);
    /* ...but not against the clinic's catalog, whose ingredients it lacks. */
    t = rx_interactions_load (path, catalog, &error);
    g_assert_null (t);
    g_assert_nonnull (strstr (error->message, "is not in \"drugs\""));
    g_unlink (path);
  }
  /* No source on a rule. */
  expect_bad (HEAD DRUGS RULE (""),
              (const char *const[]) { "rule 1 (\"r1\")", "\"source\"", NULL });
  /* An unknown key on a rule. */
  expect_bad (HEAD DRUGS RULE (", \"source\": \"s\", \"sevrity\": \"x\""),
              (const char *const[]) { "rule 1 (\"r1\")", "unknown field \"sevrity\"", NULL });
  /* An unknown tag on a drug. */
  expect_bad (HEAD
              "\"drugs\": {\"sertraline\": {\"rxnorm\": \"36437\", \"source\": \"s\", \"tags\": "
              "[\"ssri\", \"serotonin\"]}}, " RULE (", \"source\": \"s\""),
              (const char *const[]) { "drug \"sertraline\"", "unknown tag \"serotonin\"", NULL });
  /* A drug without a source, and one whose source is not in the block. */
  expect_bad (HEAD "\"drugs\": {\"sertraline\": {\"rxnorm\": \"36437\", \"tags\": []}}, " RULE (
                ", \"source\": \"s\""),
              (const char *const[]) { "drug \"sertraline\"", "\"source\"", NULL });
  expect_bad (HEAD "\"drugs\": {\"sertraline\": {\"rxnorm\": \"36437\", \"source\": \"nlm\", "
                   "\"tags\": []}}, " RULE (", \"source\": \"s\""),
              (const char *const[]) { "drug \"sertraline\"", "not in the sources block", NULL });
  /* A bad code, an unknown tag in a rule, a bad severity, a bad washout. */
  expect_bad (HEAD "\"drugs\": {\"sertraline\": {\"rxnorm\": \"36437x\", \"source\": \"s\", "
                   "\"tags\": []}}, " RULE (", \"source\": \"s\""),
              (const char *const[]) { "drug \"sertraline\"", "\"rxnorm\"", NULL });
  expect_bad (HEAD DRUGS
              "\"rules\": [{\"id\": \"r1\", \"severity\": \"major\", \"a\": {\"tags\": "
              "[\"mao\"]}, \"b\": {\"tags\": [\"ssri\"]}, \"title\": \"t\", \"text\": \"x\", "
              "\"action\": \"y\", \"source\": \"s\"}]}",
              (const char *const[]) { "rule 1 (\"r1\")", "a.tags", "unknown tag \"mao\"", NULL });
  expect_bad (HEAD DRUGS RULE (", \"source\": \"s\", \"washout\": [{\"stopped\": {\"tags\": "
                               "[\"maoi\"]}, \"days\": 0}]"),
              (const char *const[]) { "rule 1 (\"r1\")", "washout 1", "\"days\"", NULL });
  expect_bad (HEAD DRUGS "\"rules\": [{\"id\": \"r1\", \"severity\": \"severe\", \"a\": "
                         "{\"tags\": [\"maoi\"]}, \"b\": {\"tags\": [\"ssri\"]}, \"title\": "
                         "\"t\", \"text\": \"x\", \"action\": \"y\", \"source\": \"s\"}]}",
              (const char *const[]) { "rule 1 (\"r1\")", "\"severity\"", NULL });
  /* Unknown top-level field; upper-case ingredient. */
  expect_bad (HEAD DRUGS "\"rule\": []}", (const char *const[]) { "unknown field \"rule\"", NULL });
  expect_bad (HEAD "\"drugs\": {\"Sertraline\": {\"rxnorm\": \"36437\", \"source\": \"s\", "
                   "\"tags\": []}}, " RULE (", \"source\": \"s\""),
              (const char *const[]) { "drug \"Sertraline\"", "lower case", NULL });
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  catalog = load_shipped ();
  tables.interactions = rx_interactions_load (TH_INTERACTIONS_PATH, catalog, &error);
  g_assert_no_error (error);
  g_test_add_func ("/interactions/matrix", test_matrix);
  g_test_add_func ("/interactions/pass", test_pass);
  g_test_add_func ("/interactions/switch", test_switch);
  g_test_add_func ("/interactions/maoi-washout", test_maoi_washout);
  g_test_add_func ("/interactions/fluoxetine-washout", test_fluoxetine_washout);
  g_test_add_func ("/interactions/switch-washout", test_switch_washout);
  g_test_add_func ("/interactions/free-text", test_free_text);
  g_test_add_func ("/interactions/vocabulary", test_shipped_vocabulary);
  g_test_add_func ("/interactions/loader-bad", test_loader_bad);
  rc = g_test_run ();
  rx_interactions_free (tables.interactions);
  med_catalog_free (catalog);
  return rc;
}
