/* test_catalog.c — the medication catalog (version 2, one entry per
 * formulation): the shipped file, malformed files refused with the entry and
 * field named, the frequency and route tables, and every dose check an order
 * goes through (route, frequency, strengths, maximum daily dose, refills). */
#include <math.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "server/records/records.h"
#include "tests/unit/clinical-fixture.h"

/* ------------------------------------------------------------ shipped */

typedef struct {
  const char *id;
  const char *ingredient;
  const char *cls;
  const char *schedule;
  gboolean adhd;
  double max_daily;       /* as on the FDA label (or the clinic's ceiling: divalproex) */
} Required;

/* The 18 drugs of catalog version 1, now one entry per formulation. */
static const Required kRequired[] = {
  { "sertraline", "sertraline", "SSRI", "none", FALSE, 200 },
  { "fluoxetine", "fluoxetine", "SSRI", "none", FALSE, 80 },
  { "paroxetine", "paroxetine", "SSRI", "none", FALSE, 60 },
  { "escitalopram", "escitalopram", "SSRI", "none", FALSE, 20 },
  { "venlafaxine-ir", "venlafaxine", "SNRI", "none", FALSE, 375 },
  { "venlafaxine-xr", "venlafaxine", "SNRI", "none", FALSE, 225 },
  { "duloxetine", "duloxetine", "SNRI", "none", FALSE, 120 },
  { "amitriptyline", "amitriptyline", "tricyclic", "none", FALSE, 300 },
  { "lithium-carbonate-ir", "lithium carbonate", "mood stabilizer", "none", FALSE, 1800 },
  { "lithium-carbonate-er", "lithium carbonate", "mood stabilizer", "none", FALSE, 1800 },
  { "divalproex-dr", "divalproex sodium", "mood stabilizer", "none", FALSE, 3000 },
  { "divalproex-er", "divalproex sodium", "mood stabilizer", "none", FALSE, 3000 },
  { "lamotrigine", "lamotrigine", "mood stabilizer", "none", FALSE, 400 },
  { "risperidone", "risperidone", "antipsychotic", "none", FALSE, 16 },
  { "quetiapine-ir", "quetiapine", "antipsychotic", "none", FALSE, 800 },
  { "quetiapine-xr", "quetiapine", "antipsychotic", "none", FALSE, 800 },
  { "alprazolam", "alprazolam", "benzodiazepine", "IV", FALSE, 10 },
  { "diazepam", "diazepam", "benzodiazepine", "IV", FALSE, 40 },
  { "buspirone", "buspirone", "anxiolytic", "none", FALSE, 60 },
  { "amphetamine-mixed-salts-ir", "mixed amphetamine salts", "stimulant", "II", TRUE, 40 },
  { "amphetamine-mixed-salts-er", "mixed amphetamine salts", "stimulant", "II", TRUE, 60 },
  { "methylphenidate-ir", "methylphenidate", "stimulant", "II", TRUE, 60 },
  { "methylphenidate-er-oros", "methylphenidate", "stimulant", "II", TRUE, 72 },
  { "atomoxetine", "atomoxetine", "non-stimulant", "none", TRUE, 100 },
};

static void
test_shipped (void)
{
  MedCatalog *c = load_shipped ();

  g_assert_cmpuint (med_catalog_size (c), ==, G_N_ELEMENTS (kRequired));
  for (gsize i = 0; i < G_N_ELEMENTS (kRequired); i++) {
    const Required *r = &kRequired[i];
    const Medication *m = med_catalog_find (c, r->id);
    g_test_message ("%s", r->id);
    g_assert_nonnull (m);
    g_assert_cmpstr (m->name, ==, r->ingredient);
    g_assert_cmpstr (m->drug_class, ==, r->cls);
    g_assert_cmpstr (m->schedule, ==, r->schedule);
    g_assert_cmpint (m->adhd, ==, r->adhd);
    g_assert_cmpfloat (m->max_daily, ==, r->max_daily);
    g_assert_nonnull (m->max_daily_source);
    g_assert_nonnull (strstr (m->max_daily_detail, "DailyMed"));
    g_assert_true (med_route_allowed (m, "oral"));
    g_assert_false (med_route_allowed (m, "transdermal"));
    g_assert_cmpint (medication_is_controlled (m), ==, strcmp (r->schedule, "none") != 0);
  }
  /* Every entry: each strength a valid dose that can be dispensed, within
   * the maximum on its own; every code with a term type and a source. */
  for (guint i = 0; i < med_catalog_size (c); i++) {
    const Medication *m = med_catalog_get (c, i);
    g_assert_true (med_catalog_find (c, m->id) == m);
    for (guint s = 0; s < m->n_strengths; s++) {
      MedDosing d = { m->strengths[s], 0, m->unit, "once-daily", "oral", 0 };
      GError *error = NULL;
      double units = 0;
      g_assert_true (med_dose_valid (m, m->strengths[s], m->unit, &error));
      g_assert_no_error (error);
      g_assert_true (med_dosing_units_per_day (m, &d, &units, NULL));
      g_assert_cmpfloat (units, >=, 1);
      g_assert_cmpfloat (m->strengths[s], <=, m->max_daily);
    }
    for (guint k = 0; k < m->n_codes; k++) {
      g_assert_nonnull (m->codes[k].tty);
      g_assert_nonnull (m->codes[k].source);
      /* v1's unconfirmed divalproex code is gone. */
      g_assert_cmpstr (m->codes[k].code, !=, "266856");
    }
    g_assert_true (m->n_codes > 0 || m->rxnorm_note != NULL);
  }
  /* Mixed amphetamine salts never carry amphetamine's ingredient code (725):
   * a receiving system would read the salts as base. The amount says what
   * it is of. */
  for (guint i = 0; i < 2; i++) {
    const Medication *m = med_catalog_find (c, i ? "amphetamine-mixed-salts-er"
                                                  : "amphetamine-mixed-salts-ir");
    for (guint k = 0; k < m->n_codes; k++)
      g_assert_cmpstr (m->codes[k].code, !=, "725");
    g_assert_nonnull (strstr (m->dose_note, "total mixed amphetamine salts"));
  }
  /* The formulation is in the name the prescriber sees. */
  g_assert_cmpstr (med_catalog_find (c, "methylphenidate-er-oros")->display, ==,
                   "methylphenidate extended-release (OROS) tablet");
  g_assert_null (med_catalog_find (c, "lithium"));
  g_assert_null (med_catalog_find (c, NULL));
  g_assert_null (med_catalog_get (c, med_catalog_size (c)));
  med_catalog_free (c);
}

/* ---------------------------------------------------------- malformed */

#define GOOD                                                                                   \
  "{\"version\":2,\"sources\":{\"s\":\"a source\"},\"medications\":[{\"id\":\"b\","            \
  "\"ingredient\":\"b\",\"display\":\"b tablet\",\"dose_form\":\"tablet\","                     \
  "\"rxnorm\":[{\"code\":\"1\",\"tty\":\"IN\",\"source\":\"s\"}],\"routes\":[\"oral\"],"        \
  "\"frequencies\":[\"once-daily\"],\"unit\":\"mg\",\"strengths\":[5,10],"                      \
  "\"products\":[{\"strength\":5}],"                                                            \
  "\"max_daily\":{\"amount\":10,\"source\":\"FDA label\",\"detail\":\"x\"},"                    \
  "\"schedule\":\"none\",\"class\":\"SSRI\",\"adhd\":false}]}"

typedef struct {
  const char *label;
  const char *find;       /* in GOOD, replaced by: */
  const char *replace;
  const char *needle;     /* must appear in the message (besides the path) */
} BadCatalog;

static const BadCatalog kBad[] = {
  { "not JSON", "]}", "", "JSON" },
  { "version 1", "\"version\":2", "\"version\":1", "\"version\" must be 2" },
  { "no sources", "\"sources\":{\"s\":\"a source\"},", "", "\"sources\"" },
  { "unknown top field", "\"version\":2,", "\"version\":2,\"meds\":1,", "unknown field \"meds\"" },
  { "unknown route", "[\"oral\"]", "[\"oral\",\"nasal\"]",
    "medication 1 (\"b\"): routes 2: unknown route \"nasal\"" },
  { "no routes", "[\"oral\"]", "[]", "medication 1 (\"b\"): \"routes\"" },
  { "unknown frequency", "[\"once-daily\"]", "[\"qid\"]",
    "medication 1 (\"b\"): frequencies 1: unknown frequency \"qid\"" },
  { "strength not a whole number of a product", "[5,10]", "[5,7]",
    "medication 1 (\"b\"): strength 7 is not a whole number of any product" },
  { "unsorted strengths", "[5,10]", "[10,5]", "ascending" },
  { "zero strength", "[5,10]", "[0,5]", "strength 1 must be a positive number" },
  { "no max_daily", "\"max_daily\":{\"amount\":10,\"source\":\"FDA label\",\"detail\":\"x\"},", "",
    "medication 1 (\"b\"): \"max_daily\"" },
  { "max_daily without a source", "\"source\":\"FDA label\",", "\"from\":\"FDA label\",",
    "missing \"max_daily.source\"" },
  { "max_daily below the smallest strength", "\"amount\":10", "\"amount\":2", "below the smallest" },
  { "code source unknown", "\"source\":\"s\"", "\"source\":\"nowhere\"",
    "medication 1 (\"b\"): rxnorm code 1: source \"nowhere\" is not in the sources block" },
  { "bad term type", "\"tty\":\"IN\"", "\"tty\":\"SBD\"", "\"tty\" must be IN, PIN or MIN" },
  { "code not numeric", "\"code\":\"1\"", "\"code\":\"x1\"", "numeric RxNorm code" },
  { "no codes and no note", "[{\"code\":\"1\",\"tty\":\"IN\",\"source\":\"s\"}]", "[]",
    "\"rxnorm_note\"" },
  { "scd without a source", "{\"strength\":5}", "{\"strength\":5,\"scd\":\"123\"}",
    "product 1: an \"scd\" is a numeric RxNorm code with its \"source\"" },
  { "dose form", "\"dose_form\":\"tablet\"", "\"dose_form\":\"patch\"", "\"dose_form\"" },
  { "misspelled field", "\"adhd\":false", "\"adhd\":false,\"schedual\":\"II\"",
    "unknown field \"schedual\"" },
  { "missing display", "\"display\":\"b tablet\",", "", "medication 1 (\"b\"): missing \"display\"" },
  { "bad schedule", "\"schedule\":\"none\"", "\"schedule\":\"ii\"", "\"schedule\"" },
  { "duplicate id", "}]}", "},{\"id\":\"b\"}]}", "medication 2 (\"b\")" },
  { "entry not an object", "}]}", "},42]}", "medication 2: must be an object" },
  { "duplicate key", "\"schedule\":\"none\"", "\"schedule\":\"none\",\"schedule\":\"II\"", "JSON" },
};

static char *
replace_once (const char *text, const char *find, const char *replace)
{
  const char *at = strstr (text, find);
  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, replace, at + strlen (find));
}

static void
test_malformed (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-catalog-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "catalog.json", NULL);
  MedCatalog *c;

  g_assert_no_error (error);
  /* The minimal well-formed file loads: the bad ones differ only in the defect. */
  g_assert_true (g_file_set_contents (path, GOOD, -1, &error));
  c = med_catalog_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (med_catalog_size (c), ==, 1);
  g_assert_true (med_frequency_allowed (med_catalog_find (c, "b"), "once-daily"));
  g_assert_false (med_frequency_allowed (med_catalog_find (c, "b"), "twice-daily"));
  med_catalog_free (c);

  for (gsize i = 0; i < G_N_ELEMENTS (kBad); i++) {
    g_autofree char *text = replace_once (GOOD, kBad[i].find, kBad[i].replace);
    g_test_message ("malformed catalog: %s", kBad[i].label);
    g_assert_true (g_file_set_contents (path, text, -1, &error));
    c = med_catalog_load (path, &error);
    g_assert_null (c);
    g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
    if (strstr (error->message, path) == NULL || strstr (error->message, kBad[i].needle) == NULL)
      g_error ("%s: message \"%s\" lacks the path or \"%s\"", kBad[i].label, error->message,
               kBad[i].needle);
    g_clear_error (&error);
  }
  g_unlink (path);
  g_assert_null (med_catalog_load (path, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
  g_clear_error (&error);
  g_rmdir (dir);
}

/* -------------------------------------------------- frequencies, routes */

static void
test_tables (void)
{
  static const struct {
    const char *code, *text;
    guint per_day, period;
  } freqs[] = {
    { "once-daily", "once daily", 1, 1 }, { "every-morning", "every morning", 1, 1 },
    { "at-bedtime", "at bedtime", 1, 1 }, { "twice-daily", "twice daily", 2, 1 },
    { "three-times-daily", "three times daily", 3, 1 },
    { "four-times-daily", "four times daily", 4, 1 },
    { "every-other-day", "every other day", 1, 2 },
    { "morning-and-bedtime", "in the morning and at bedtime", 2, 1 },
    { "as-needed", "as needed", 0, 1 },
  };
  g_assert_cmpuint (med_frequency_count (), ==, G_N_ELEMENTS (freqs));
  for (gsize i = 0; i < G_N_ELEMENTS (freqs); i++) {
    g_assert_cmpstr (med_frequency_code ((guint) i), ==, freqs[i].code);
    g_assert_cmpstr (med_frequency_text (freqs[i].code), ==, freqs[i].text);
    g_assert_cmpuint (med_frequency_per_day (freqs[i].code), ==, freqs[i].per_day);
    g_assert_cmpuint (med_frequency_period_days (freqs[i].code), ==, freqs[i].period);
  }
  g_assert_cmpstr (med_frequency_when ("every-morning"), ==, "MORN");
  g_assert_cmpstr (med_frequency_when ("at-bedtime"), ==, "HS");
  g_assert_true (med_frequency_is_split ("morning-and-bedtime"));
  g_assert_true (med_frequency_is_as_needed ("as-needed"));
  g_assert_false (med_frequency_is_as_needed ("once-daily"));
  g_assert_false (med_frequency_is_as_needed ("hourly"));
  g_assert_false (med_frequency_is_as_needed (NULL));
  g_assert_false (med_frequency_valid ("qid"));
  g_assert_false (med_frequency_valid (NULL));
  g_assert_null (med_frequency_code (G_N_ELEMENTS (freqs)));

  /* SNOMED CT route codes (FHIR R4 value set route-codes). */
  g_assert_cmpstr (med_route_snomed ("oral"), ==, "26643006");
  g_assert_cmpstr (med_route_snomed ("sublingual"), ==, "37161004");
  g_assert_cmpstr (med_route_snomed ("transdermal"), ==, "45890007");
  g_assert_false (med_route_valid ("Oral"));
  g_assert_null (med_route_snomed ("intravenous"));
  /* An order's route when none is named: the formulation's first. */
  {
    MedCatalog *c = load_shipped ();
    g_assert_cmpstr (med_route_default (med_catalog_find (c, "sertraline")), ==, "oral");
    g_assert_null (med_route_default (NULL));
    med_catalog_free (c);
  }
}

/* ----------------------------------------------------------- dose checks */

static void
assert_refused (const MedCatalog *c, const char *id, MedDosing d, const char *message)
{
  GError *error = NULL;
  const Medication *m = med_catalog_find (c, id);
  g_assert_nonnull (m);
  if (!d.unit)
    d.unit = "mg";
  if (!d.route)
    d.route = "oral";
  g_assert_false (med_dosing_check (m, &d, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, message) == NULL)
    g_error ("%s: \"%s\" lacks \"%s\"", id, error->message, message);
  g_error_free (error);
}

static void
assert_accepted (const MedCatalog *c, const char *id, MedDosing d, double daily_total)
{
  GError *error = NULL;
  const Medication *m = med_catalog_find (c, id);
  if (!d.unit)
    d.unit = "mg";
  if (!d.route)
    d.route = "oral";
  if (!med_dosing_check (m, &d, &error))
    g_error ("%s refused: %s", id, error->message);
  g_assert_cmpfloat (med_dosing_daily_total (&d), ==, daily_total);
}

static void
test_dosing (void)
{
  MedCatalog *c = load_shipped ();

  /* Refused, each with the sentence a prescriber reads. */
  assert_refused (c, "lithium-carbonate-ir", (MedDosing) { 300, 0, NULL, "twice-daily", "transdermal", 0 },
                  "Lithium carbonate capsule is given oral, not transdermal");
  assert_refused (c, "methylphenidate-er-oros", (MedDosing) { 54, 0, NULL, "three-times-daily", NULL, 0 },
                  "Methylphenidate extended-release (OROS) tablet: at most 72 mg a day (FDA label); "
                  "this order comes to 162 mg a day (54 mg three times daily).");
  assert_refused (c, "quetiapine-ir", (MedDosing) { 400, 0, NULL, "three-times-daily", NULL, 0 },
                  "at most 800 mg a day (FDA label); this order comes to 1200 mg a day "
                  "(400 mg three times daily).");
  assert_refused (c, "methylphenidate-er-oros", (MedDosing) { 18, 0, NULL, "three-times-daily", NULL, 0 },
                  "Methylphenidate extended-release (OROS) tablet is taken once daily or every "
                  "morning, not three times daily.");
  assert_refused (c, "sertraline", (MedDosing) { 200, 0, NULL, "three-times-daily", NULL, 0 },
                  "Sertraline tablet: at most 200 mg a day (FDA label); this order comes to 600 mg "
                  "a day (200 mg three times daily).");
  /* A dose that is not a strength; the unit must be the catalog's. */
  assert_refused (c, "sertraline", (MedDosing) { 60, 0, NULL, "once-daily", NULL, 0 },
                  "Sertraline tablet comes in 25, 50, 75, 100, 150, 200 mg a dose");
  assert_refused (c, "sertraline", (MedDosing) { 50, 0, "g", "once-daily", NULL, 0 },
                  "is dosed in mg");
  /* A split dose: both amounts strengths, both counted. */
  assert_refused (c, "lithium-carbonate-ir", (MedDosing) { 300, 700, NULL, "morning-and-bedtime", NULL, 0 },
                  "comes in 150, 300, 450, 600, 900 mg a dose");
  assert_refused (c, "lithium-carbonate-ir", (MedDosing) { 900, 900, NULL, "three-times-daily", NULL, 0 },
                  "Only a morning-and-bedtime order has a second amount");
  assert_refused (c, "lithium-carbonate-ir", (MedDosing) { 900, 0, NULL, "three-times-daily", NULL, 0 },
                  "at most 1800 mg a day (FDA label); this order comes to 2700 mg a day");
  assert_refused (c, "lithium-carbonate-ir", (MedDosing) { 300, 0, NULL, "morning-and-bedtime", NULL, 0 },
                  "needs both amounts");
  assert_refused (c, "lithium-carbonate-ir", (MedDosing) { 300, 600, NULL, "twice-daily", NULL, 0 },
                  "Only a morning-and-bedtime order has a second amount");
  /* As needed: the maximum a day is required, and counted. */
  assert_refused (c, "alprazolam", (MedDosing) { 0.5, 0, NULL, "as-needed", NULL, 0 },
                  "needs the most doses a day");
  assert_refused (c, "alprazolam", (MedDosing) { 2, 0, NULL, "as-needed", NULL, 6 },
                  "at most 10 mg a day (FDA label); this order comes to 12 mg a day (2 mg as "
                  "needed, at most 6 times a day).");
  assert_refused (c, "alprazolam", (MedDosing) { 0.5, 0, NULL, "twice-daily", NULL, 3 },
                  "Only an as-needed order");
  assert_refused (c, "sertraline", (MedDosing) { 50, 0, NULL, "as-needed", NULL, 1 },
                  "not as needed");
  /* Unknown codes: the sentence lists what the table (and the formulation) allow. */
  assert_refused (c, "sertraline", (MedDosing) { 50, 0, NULL, "hourly", NULL, 0 },
                  "Sertraline tablet: \"hourly\" is an unknown frequency; it is taken once daily, "
                  "every morning or at bedtime.");
  assert_refused (c, "sertraline", (MedDosing) { 50, 0, NULL, "once-daily", "nasal", 0 },
                  "Sertraline tablet: \"nasal\" is an unknown route; choose oral or sublingual "
                  "or transdermal.");

  /* Accepted. */
  assert_accepted (c, "lithium-carbonate-ir", (MedDosing) { 300, 600, NULL, "morning-and-bedtime", NULL, 0 }, 900);
  assert_accepted (c, "lithium-carbonate-ir", (MedDosing) { 900, 900, NULL, "morning-and-bedtime", NULL, 0 }, 1800);
  assert_accepted (c, "lamotrigine", (MedDosing) { 25, 0, NULL, "every-other-day", NULL, 0 }, 25);
  assert_accepted (c, "alprazolam", (MedDosing) { 0.5, 0, NULL, "as-needed", NULL, 3 }, 1.5);
  assert_accepted (c, "sertraline", (MedDosing) { 200, 0, NULL, "once-daily", NULL, 0 }, 200);
  assert_accepted (c, "methylphenidate-er-oros", (MedDosing) { 72, 0, NULL, "every-morning", NULL, 0 }, 72);
  assert_accepted (c, "diazepam", (MedDosing) { 10, 0, NULL, "four-times-daily", NULL, 0 }, 40);
  assert_accepted (c, "quetiapine-ir", (MedDosing) { 400, 0, NULL, "twice-daily", NULL, 0 }, 800);
  med_catalog_free (c);
}

static void
test_dosing_text (void)
{
  MedDosing split = { 300, 600, "mg", "morning-and-bedtime", "oral", 0 };
  MedDosing prn = { 0.5, 0, "mg", "as-needed", "oral", 3 };
  MedDosing eod = { 25, 0, "mg", "every-other-day", "oral", 0 };
  g_autofree char *a = med_dosing_text (&split), *b = med_dosing_text (&prn);
  g_autofree char *e = med_dosing_text (&eod);

  g_assert_cmpstr (a, ==, "300 mg in the morning and 600 mg at bedtime");
  g_assert_cmpstr (b, ==, "0.5 mg as needed, at most 3 times a day");
  g_assert_cmpstr (e, ==, "25 mg every other day");
}

/* Units dispensed: the largest product every dose is a whole number of. */
static void
test_units_and_dispense (void)
{
  MedCatalog *c = load_shipped ();
  const Medication *li = med_catalog_find (c, "lithium-carbonate-ir");
  const Medication *mph = med_catalog_find (c, "methylphenidate-ir");
  const Medication *alp = med_catalog_find (c, "alprazolam");
  const Medication *ser = med_catalog_find (c, "sertraline");
  MedDosing d = { 300, 600, "mg", "morning-and-bedtime", "oral", 0 };
  const MedProduct *p = NULL;
  GError *error = NULL;
  double units = 0;

  g_assert_true (med_dosing_units_per_day (li, &d, &units, &p));
  g_assert_cmpfloat (units, ==, 3);           /* three 300 mg capsules a day */
  g_assert_cmpfloat (p->strength, ==, 300);
  g_assert_cmpstr (p->scd, ==, "197889");
  d = (MedDosing) { 75, 0, "mg", "once-daily", "oral", 0 };
  g_assert_true (med_dosing_units_per_day (ser, &d, &units, &p));
  g_assert_cmpfloat (units, ==, 3);           /* 3 x 25 mg */

  /* The supply and the 11-refill cap; the schedules' own limits are the
   * prescribing check's (test_rx_dispense.c). */
  g_assert_true (med_dispense_check (mph, 30, 0, &error));
  g_assert_true (med_dispense_check (alp, 30, 5, &error));
  g_assert_false (med_dispense_check (alp, 30, 12, &error));
  g_assert_nonnull (strstr (error->message, "at most 11 refills"));
  g_clear_error (&error);
  g_assert_true (med_dispense_check (ser, 90, 11, &error));
  g_assert_false (med_dispense_check (ser, 91, 0, &error));
  g_clear_error (&error);
  med_catalog_free (c);
}

/* What an order keeps: the snapshot reads back as the entry was. */
static void
test_snapshot (void)
{
  MedCatalog *c = load_shipped ();
  const Medication *m = med_catalog_find (c, "amphetamine-mixed-salts-ir");
  g_autofree char *json = med_snapshot_json (m);
  Medication *back = med_snapshot_parse (json);

  g_assert_nonnull (back);
  g_assert_cmpstr (back->id, ==, m->id);
  g_assert_cmpstr (back->display, ==, m->display);
  g_assert_cmpstr (back->schedule, ==, "II");
  g_assert_cmpstr (back->dose_note, ==, m->dose_note);
  g_assert_cmpuint (back->n_codes, ==, m->n_codes);
  g_assert_cmpuint (back->n_products, ==, m->n_products);
  g_assert_true (back->adhd);
  g_assert_true (medication_is_controlled (back));
  medication_free (back);
  g_assert_null (med_snapshot_parse (NULL));
  g_assert_null (med_snapshot_parse ("{\"id\":1}"));
  g_assert_null (med_snapshot_parse ("not json"));
  med_catalog_free (c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/catalog/shipped", test_shipped);
  g_test_add_func ("/catalog/malformed", test_malformed);
  g_test_add_func ("/catalog/tables", test_tables);
  g_test_add_func ("/catalog/dosing", test_dosing);
  g_test_add_func ("/catalog/dosing-text", test_dosing_text);
  g_test_add_func ("/catalog/units-and-dispense", test_units_and_dispense);
  g_test_add_func ("/catalog/snapshot", test_snapshot);
  return g_test_run ();
}
