/* test_rx_titration.c — issue 15, items 5 and 6: the titration section
 * (lamotrigine's escalation, halved with valproate, doubled with an
 * inducer, restarted after more than 5 days without it; the warnings when
 * valproate starts or stops beside it), the pregnancy section (valproate's
 * pregnancy prevention, each branch; lithium, paroxetine and the others'
 * warnings), and the catalog loader's validation of both blocks. The
 * shipped catalog is the data under test. */
#include "clinical-fixture.h"

#include <glib/gstdio.h>
#include <string.h>

static MedCatalog *cat;

/* ------------------------------------------------------------ helpers */

static GDate
day (const char *text)
{
  GDate d;
  guint y, m, dd;

  g_date_clear (&d, 1);
  g_assert_cmpint (sscanf (text, "%u-%u-%u", &y, &m, &dd), ==, 3);
  g_date_set_dmy (&d, (GDateDay) dd, (GDateMonth) m, (GDateYear) y);
  return d;
}

static GDate
no_day (void)
{
  GDate d;
  g_date_clear (&d, 1);
  return d;
}

static RxDrug
drug (const char *med_id, const char *order_id, gint64 stopped_ms)
{
  const Medication *m = med_catalog_find (cat, med_id);
  RxDrug d = { 0 };

  d.ingredient = (char *) (m ? m->name : med_id);
  d.medication_id = (char *) (m ? m->id : NULL);
  d.order_id = (char *) order_id;
  d.display = (char *) (m ? m->display : med_id);
  d.stopped_ms = stopped_ms;
  return d;
}

/* The history a test gives: no line, no stop, no diary unless set. */
static RxTitrationFacts
history (void)
{
  RxTitrationFacts t = { 0 };
  t.line_started = no_day ();
  t.last_stopped = no_day ();
  t.diary_last_taken = no_day ();
  t.diary_missed_until = no_day ();
  return t;
}

typedef struct {
  const char *med;
  AdjustmentKind kind;
  double dose;
  const char *frequency;
  const RxDrug *drugs;
  guint n_drugs;
  const RxDrug *replaced;
  RxTitrationFacts *titration;
  RxPregnancyFacts *pregnancy;
} Order;

#define TODAY "2026-11-24"

static GPtrArray *
judge (const Order *o)
{
  RxCheckFacts f = { 0 };
  GPtrArray *findings = rx_findings_new ();

  f.kind = o->kind;
  f.medication = med_catalog_find (cat, o->med);
  g_assert_nonnull (f.medication);
  f.dosing = (MedDosing) { o->dose, 0, "mg", o->frequency, "oral", 0 };
  f.daily_total = med_dosing_daily_total (&f.dosing);
  f.replaced = o->replaced;
  f.today = day (TODAY);
  f.drugs = o->drugs;
  f.n_drugs = o->n_drugs;
  f.catalog = cat;
  f.titration = o->titration;
  f.pregnancy = o->pregnancy;
  rx_check_titration (&f, findings);
  rx_check_pregnancy (&f, findings);
  return findings;
}

static const RxFinding *
find_rule (const GPtrArray *findings, const char *rule)
{
  for (guint i = 0; i < findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (findings, i);
    if (strcmp (f->rule, rule) == 0)
      return f;
  }
  return NULL;
}

static void
assert_contains (const char *text, const char *needle)
{
  if (!strstr (text, needle))
    g_error ("\"%s\" lacks \"%s\"", text, needle);
}

/* Refused by titration-step with these words, or passed (needle NULL). */
static void
expect_step (const Order *o, const char *needle)
{
  g_autoptr (GPtrArray) findings = judge (o);
  const RxFinding *f = find_rule (findings, "titration-step");

  if (!needle) {
    if (f)
      g_error ("refused: %s", f->message);
    return;
  }
  g_assert_nonnull (f);
  g_assert_cmpint (f->severity, ==, RX_REFUSE);
  assert_contains (f->message, needle);
  assert_contains (f->source, "Lamictal");
}

/* ------------------------------------------------------------ titration */

static void
test_start (void)
{
  Order o = { .med = "lamotrigine", .kind = ADJUST_START, .dose = 25, .frequency = "once-daily" };

  expect_step (&o, NULL);
  o.dose = 100;
  expect_step (&o, "Lamotrigine: weeks 1–2 25 mg a day, weeks 3–4 50 mg a day, week 5 100 mg a "
                   "day, week 6 200 mg a day (target). This is a new start: at most 25 mg a day "
                   "now; this order comes to 100 mg a day.");
  o.dose = 50;
  expect_step (&o, "at most 25 mg a day");
  /* Twice 25 is 50 a day: the total counts, not the tablet. */
  o.dose = 25;
  o.frequency = "twice-daily";
  expect_step (&o, "this order comes to 50 mg a day");
}

static void
test_steps_by_week (void)
{
  RxTitrationFacts t = history ();
  RxDrug lam = drug ("lamotrigine", "o-lam", 0);
  Order o = { .med = "lamotrigine",
              .kind = ADJUST_CHANGE_DOSE,
              .dose = 50,
              .frequency = "once-daily",
              .drugs = &lam,
              .n_drugs = 1,
              .replaced = &lam,
              .titration = &t };

  t.live = TRUE;
  t.live_daily = 25;
  /* Started 3 Nov: 24 Nov is day 21, week 4 — 50 mg is the step. */
  t.line_started = day ("2026-11-10"); /* day 14: week 3 */
  expect_step (&o, NULL);
  /* 25 -> 100 jumps past 50, whatever the week. */
  o.dose = 100;
  expect_step (&o, "This patient started on 10 Nov 2026 (week 3), now on 25 mg a day: at most "
                   "50 mg a day now");
  t.line_started = day ("2026-09-01");
  expect_step (&o, "(week 13)");
  /* Week 2: still 25. */
  t.line_started = day ("2026-11-17");
  o.dose = 50;
  expect_step (&o, "(week 2), now on 25 mg a day: at most 25 mg a day now");
  /* Lower is always fine; past the target the schedule is done (max_daily rules). */
  o.dose = 25;
  t.live_daily = 50;
  expect_step (&o, NULL);
  t.line_started = day ("2026-09-01");
  t.live_daily = 200;
  o.dose = 150;
  o.frequency = "twice-daily";
  expect_step (&o, NULL);
}

static void
test_with_valproate (void)
{
  RxTitrationFacts t = history ();
  RxDrug drugs[] = { drug ("divalproex-dr", "o-vpa", 0), drug ("lamotrigine", "o-lam", 0) };
  Order o = { .med = "lamotrigine",
              .kind = ADJUST_START,
              .dose = 25,
              .frequency = "once-daily",
              .drugs = drugs,
              .n_drugs = 1,
              .replaced = NULL,
              .titration = &t };

  expect_step (&o, "Lamotrigine with valproate: weeks 1–2 25 mg every other day, weeks 3–4 25 mg "
                   "a day, week 5 50 mg a day, week 6 100 mg a day (target). This is a new start: "
                   "at most 25 mg every other day now; this order comes to 25 mg a day.");
  o.frequency = "every-other-day";
  expect_step (&o, NULL);
  /* Week 3 on the halved schedule: 25 mg a day, not 50. */
  o.kind = ADJUST_CHANGE_DOSE;
  o.n_drugs = 2;
  o.replaced = &drugs[1];
  t.live = TRUE;
  t.live_daily = 12.5;
  t.line_started = day ("2026-11-10");
  o.frequency = "once-daily";
  expect_step (&o, NULL);
  o.dose = 50;
  expect_step (&o, "(week 3), now on 25 mg every other day: at most 25 mg a day now");
  /* On 25 mg a day in week 3: 50 is the standard step, not the halved one. */
  t.live_daily = 25;
  expect_step (&o, "now on 25 mg a day: at most 25 mg a day now");
  /* A stopped valproate no longer halves it. */
  drugs[0].stopped_ms = 1;
  expect_step (&o, NULL);
}

static void
test_with_inducer (void)
{
  RxDrug cbz = { 0 };
  Order o = { .med = "lamotrigine",
              .kind = ADJUST_START,
              .dose = 50,
              .frequency = "once-daily",
              .drugs = &cbz,
              .n_drugs = 1 };

  /* A medication from elsewhere, by ingredient (no catalog entry). */
  cbz.ingredient = (char *) "carbamazepine";
  cbz.display = (char *) "carbamazepine (elsewhere)";
  cbz.outside = TRUE;
  expect_step (&o, NULL);
  o.dose = 100;
  expect_step (&o, "Lamotrigine with an enzyme inducer: weeks 1–2 50 mg a day");
}

static void
test_restart (void)
{
  RxTitrationFacts t = history ();
  RxDrug lam = drug ("lamotrigine", "o-lam", 0);
  Order o = { .med = "lamotrigine",
              .kind = ADJUST_CHANGE_DOSE,
              .dose = 100,
              .frequency = "once-daily",
              .drugs = &lam,
              .n_drugs = 1,
              .replaced = &lam,
              .titration = &t };

  /* On 200 mg a day since September; the diary: last dose 17 Nov, doses
   * missed through 23 Nov — 6 days without it. */
  t.live = TRUE;
  t.live_daily = 200;
  t.line_started = day ("2026-09-01");
  t.diary_last_taken = day ("2026-11-17");
  t.diary_missed_until = day ("2026-11-23");
  expect_step (&o, "The patient's diary shows no dose taken after 17 Nov 2026 until 23 Nov 2026 "
                   "(6 days without it): after more than 5 days without it, titration starts "
                   "again from the first step: at most 25 mg a day now");
  o.dose = 25;
  expect_step (&o, NULL);
  /* 4 days without: the patient goes on. */
  t.diary_last_taken = day ("2026-11-19");
  o.dose = 150;
  expect_step (&o, NULL);

  /* Stopped 6 days ago at 200 mg: a start above 25 is refused... */
  t = history ();
  t.last_stopped = day ("2026-11-18");
  t.stopped_daily = 200;
  o.kind = ADJUST_START;
  o.replaced = NULL;
  o.n_drugs = 0;
  o.dose = 200;
  expect_step (&o, "It was stopped on 18 Nov 2026, 6 days ago: after more than 5 days without it");
  o.dose = 25;
  expect_step (&o, NULL);
  /* ...4 days ago it may be resumed, at most at the old dose. */
  t.last_stopped = day ("2026-11-20");
  o.dose = 200;
  expect_step (&o, NULL);
  o.dose = 150;
  o.frequency = "twice-daily";
  expect_step (&o, "within 5 days it may be resumed at that dose: at most 200 mg a day now");
}

static void
test_interacting (void)
{
  RxDrug drugs[] = { drug ("lamotrigine", "o-lam", 0), drug ("divalproex-dr", "o-vpa", 0) };
  RxPregnancyFacts male = { .recorded = TRUE };
  g_autoptr (GPtrArray) added = NULL, stopped = NULL, switched = NULL, plain = NULL;
  const RxFinding *f;
  Order o = { .med = "divalproex-dr",
              .kind = ADJUST_START,
              .dose = 250,
              .frequency = "twice-daily",
              .drugs = drugs,
              .n_drugs = 1,
              .replaced = NULL,
              .titration = NULL,
              .pregnancy = &male };

  male.r.sex_at_birth = (char *) "male";
  /* Valproate added to lamotrigine: review (halve) the lamotrigine dose. */
  added = judge (&o);
  g_assert_nonnull ((f = find_rule (added, "titration-interacting-start")));
  g_assert_cmpint (f->severity, ==, RX_WARN);
  assert_contains (f->message, "Lamotrigine tablet is taken with divalproex sodium: valproate "
                               "more than doubles lamotrigine's half-life");
  assert_contains (f->source, "Lamictal");
  /* Valproate switched to quetiapine with lamotrigine going on. */
  o.med = "quetiapine-ir";
  o.kind = ADJUST_SWITCH;
  o.n_drugs = 2;
  o.replaced = &drugs[1];
  o.dose = 50;
  o.frequency = "at-bedtime";
  stopped = judge (&o);
  g_assert_nonnull ((f = find_rule (stopped, "titration-interacting-stop")));
  assert_contains (f->message, "which this order stops: once valproate is gone");
  /* Valproate switched to lamotrigine: still in the blood, so the halved
   * schedule, and the warning. */
  {
    RxDrug vpa = drug ("divalproex-dr", "o-vpa", 0);
    Order s = { .med = "lamotrigine",
                .kind = ADJUST_SWITCH,
                .dose = 25,
                .frequency = "once-daily",
                .drugs = &vpa,
                .n_drugs = 1,
                .replaced = &vpa };
    switched = judge (&s);
    g_assert_nonnull ((f = find_rule (switched, "titration-step")));
    assert_contains (f->message, "with valproate");
    g_assert_nonnull ((f = find_rule (switched, "titration-interacting-stop")));
    assert_contains (f->message, "This switch stops divalproex sodium and starts lamotrigine");
  }
  /* Nothing to say of a drug without a schedule beside lamotrigine. */
  o.med = "sertraline";
  o.kind = ADJUST_START;
  o.replaced = NULL;
  o.dose = 50;
  o.frequency = "once-daily";
  plain = judge (&o);
  g_assert_cmpuint (plain->len, ==, 0);
}

/* ------------------------------------------------------------ pregnancy */

static RxPregnancyFacts
patient (const char *sex, const char *pregnancy, const char *breastfeeding)
{
  RxPregnancyFacts p = { .recorded = TRUE };
  p.r.sex_at_birth = (char *) sex;
  p.r.pregnancy = (char *) pregnancy;
  p.r.breastfeeding = (char *) breastfeeding;
  p.r.pregnancy_checked = no_day ();
  p.r.counselled = no_day ();
  return p;
}

static const RxFinding *
only (const GPtrArray *findings, const char *rule, RxSeverity severity)
{
  const RxFinding *f;

  if (findings->len != 1)
    g_error ("%u findings, wanted one %s", findings->len, rule);
  f = g_ptr_array_index (findings, 0);
  g_assert_cmpstr (f->rule, ==, rule);
  g_assert_cmpint (f->severity, ==, severity);
  return f;
}

static void
test_valproate (void)
{
  RxPregnancyFacts p = patient ("female", "not-pregnant", "no");
  Order o = { .med = "divalproex-er",
              .kind = ADJUST_START,
              .dose = 500,
              .frequency = "once-daily",
              .drugs = NULL,
              .n_drugs = 0,
              .replaced = NULL,
              .titration = NULL,
              .pregnancy = NULL };
  GPtrArray *r;
  const RxFinding *f;

  /* Nothing recorded at all. */
  r = judge (&o);
  f = only (r, "valproate-pregnancy-prevention", RX_REFUSE);
  assert_contains (f->message, "no sex assigned at birth is recorded");
  assert_contains (f->message, "the valproate risk counselling of the pregnancy prevention "
                               "programme (its date and who gave it; within the last 365 days) "
                               "and a highly effective contraception method");
  assert_contains (f->source, "Depakote");
  g_ptr_array_unref (r);
  /* Both documented: it goes ahead. */
  o.pregnancy = &p;
  p.r.pregnancy_checked = day ("2026-11-20");
  p.r.counselled = day ("2026-06-01");
  p.r.counselled_by = (char *) "Dr. Ana Ruiz";
  p.r.contraception = (char *) "levonorgestrel IUD";
  p.r.highly_effective = TRUE;
  r = judge (&o);
  g_assert_cmpuint (r->len, ==, 0);
  g_ptr_array_unref (r);
  /* Counselling more than a year ago. */
  p.r.counselled = day ("2025-11-01");
  r = judge (&o);
  f = only (r, "valproate-pregnancy-prevention", RX_REFUSE);
  assert_contains (f->message, "the last on record was 1 Nov 2025");
  g_assert_null (strstr (f->message, "contraception method"));
  g_ptr_array_unref (r);
  /* Contraception not highly effective. */
  p.r.counselled = day ("2026-06-01");
  p.r.contraception = (char *) "condoms";
  p.r.highly_effective = FALSE;
  r = judge (&o);
  f = only (r, "valproate-pregnancy-prevention", RX_REFUSE);
  assert_contains (f->message, "a highly effective contraception method (the method on record, "
                               "condoms, is not marked highly effective)");
  g_ptr_array_unref (r);
  /* Documented as unable to become pregnant; or male: nothing to ask. */
  p.r.unable_reason = (char *) "hysterectomy";
  r = judge (&o);
  g_assert_cmpuint (r->len, ==, 0);
  g_ptr_array_unref (r);
  p.r.unable_reason = NULL;
  p.r.sex_at_birth = (char *) "male";
  r = judge (&o);
  g_assert_cmpuint (r->len, ==, 0);
  g_ptr_array_unref (r);
  /* Intersex and unknown count as able. */
  p.r.sex_at_birth = (char *) "intersex";
  r = judge (&o);
  only (r, "valproate-pregnancy-prevention", RX_REFUSE);
  g_ptr_array_unref (r);
  /* Pregnant: refused whatever else is documented. */
  p.r.sex_at_birth = (char *) "female";
  p.r.pregnancy = (char *) "pregnant";
  p.r.contraception = (char *) "levonorgestrel IUD";
  p.r.highly_effective = TRUE;
  r = judge (&o);
  f = only (r, "valproate-pregnancy", RX_REFUSE);
  assert_contains (f->message, "recorded as pregnant (checked 20 Nov 2026)");
  g_ptr_array_unref (r);
  /* A dose change is an order too. */
  o.kind = ADJUST_CHANGE_DOSE;
  r = judge (&o);
  only (r, "valproate-pregnancy", RX_REFUSE);
  g_ptr_array_unref (r);
}

static void
test_warnings (void)
{
  RxPregnancyFacts p = patient ("female", "unknown", "unknown");
  Order o = { .med = "lithium-carbonate-er",
              .kind = ADJUST_START,
              .dose = 300,
              .frequency = "twice-daily",
              .drugs = NULL,
              .n_drugs = 0,
              .replaced = NULL,
              .titration = NULL,
              .pregnancy = &p };
  GPtrArray *r;
  const RxFinding *f;

  /* Lithium: can become pregnant. */
  r = judge (&o);
  f = only (r, "pregnancy-risk", RX_WARN);
  assert_contains (f->message, "Ebstein's anomaly");
  assert_contains (f->source, "8.1");
  g_ptr_array_unref (r);
  /* Pregnant and breastfeeding (a second pregnancy while nursing). */
  p.r.pregnancy = (char *) "pregnant";
  p.r.pregnancy_checked = day ("2026-11-01");
  p.r.breastfeeding = (char *) "yes";
  r = judge (&o);
  g_assert_cmpuint (r->len, ==, 2);
  assert_contains (find_rule (r, "pregnancy-risk")->message, "recorded as pregnant");
  assert_contains (find_rule (r, "lactation-risk")->message, "breast milk");
  g_ptr_array_unref (r);
  /* Male: nothing. */
  p = patient ("male", "unknown", "no");
  r = judge (&o);
  g_assert_cmpuint (r->len, ==, 0);
  g_ptr_array_unref (r);
  /* Paroxetine, nothing recorded: the first-trimester warning. */
  o.med = "paroxetine";
  o.dose = 20;
  o.frequency = "once-daily";
  o.pregnancy = NULL;
  r = judge (&o);
  f = only (r, "pregnancy-risk", RX_WARN);
  assert_contains (f->message, "cardiac malformations");
  assert_contains (f->source, "Paxil");
  g_ptr_array_unref (r);
  /* Sertraline: no label data here, nothing said. */
  o.med = "sertraline";
  o.dose = 50;
  r = judge (&o);
  g_assert_cmpuint (r->len, ==, 0);
  g_ptr_array_unref (r);
  /* Alprazolam warns only in pregnancy (the newborn). */
  p = patient ("female", "not-pregnant", "no");
  p.r.pregnancy_checked = day ("2026-11-01");
  o.med = "alprazolam";
  o.dose = 0.5;
  o.frequency = "twice-daily";
  o.pregnancy = &p;
  r = judge (&o);
  g_assert_cmpuint (r->len, ==, 0);
  g_ptr_array_unref (r);
  p.r.pregnancy = (char *) "pregnant";
  r = judge (&o);
  assert_contains (only (r, "pregnancy-risk", RX_WARN)->message, "withdrawal in the newborn");
  g_ptr_array_unref (r);
}

/* ------------------------------------------------------------ the loader */

#define ENTRY_HEAD                                                                              \
  "{\"version\":2,\"sources\":{\"s\":\"a source\"},\"medications\":[{\"id\":\"l\","             \
  "\"ingredient\":\"l\",\"display\":\"l tablet\",\"dose_form\":\"tablet\","                     \
  "\"rxnorm\":[{\"code\":\"1\",\"tty\":\"IN\",\"source\":\"s\"}],\"routes\":[\"oral\"],"        \
  "\"frequencies\":[\"once-daily\",\"every-other-day\"],\"unit\":\"mg\",\"strengths\":[25,50]," \
  "\"products\":[{\"strength\":25}],"                                                           \
  "\"max_daily\":{\"amount\":200,\"source\":\"FDA label\",\"detail\":\"x\"},"                   \
  "\"schedule\":\"none\",\"class\":\"mood stabilizer\",\"adhd\":false,"
#define GOOD_TITRATION                                                                           \
  "\"titration\":{\"source\":\"FDA label\",\"detail\":\"d\",\"restart_after_days\":5,"           \
  "\"restart_detail\":\"r\",\"schedules\":[{\"name\":\"with v\",\"if_taking\":[\"v\"],"          \
  "\"on_start\":\"a\",\"on_stop\":\"b\",\"steps\":[{\"week\":1,\"amount\":25,\"every_days\":2}," \
  "{\"week\":3,\"amount\":25}]},{\"name\":\"\",\"steps\":[{\"week\":1,\"amount\":25},"           \
  "{\"week\":3,\"amount\":50}]}]},"
#define GOOD_PREGNANCY                                                                   \
  "\"pregnancy\":{\"action\":\"warn\",\"warn_when\":[\"pregnant\"],\"pregnancy\":\"p\"," \
  "\"lactation\":\"l\",\"source\":\"FDA label, 8.1\"}}]}"
#define GOOD ENTRY_HEAD GOOD_TITRATION GOOD_PREGNANCY

static const struct {
  const char *label, *find, *replace, *needle;
} kBad[] = {
  { "first step not week 1", "\"steps\":[{\"week\":1,\"amount\":25}",
    "\"steps\":[{\"week\":2,\"amount\":25}", "titration schedule 2 step 1: the first step starts" },
  { "amounts not rising", "{\"week\":3,\"amount\":50}", "{\"week\":3,\"amount\":25}",
    "titration schedule 2 step 2: weeks and amounts a day must rise" },
  { "weeks not rising", "{\"week\":3,\"amount\":50}", "{\"week\":1,\"amount\":50}", "must rise" },
  { "above max_daily", "{\"week\":3,\"amount\":50}", "{\"week\":3,\"amount\":400}",
    "400 is above max_daily" },
  { "every other day not allowed", "\"once-daily\",\"every-other-day\"", "\"once-daily\"",
    "does not allow every-other-day" },
  { "every_days 3", "\"every_days\":2", "\"every_days\":3", "\"every_days\"?: 1 or 2" },
  { "unknown step field", "{\"week\":3,\"amount\":25}", "{\"week\":3,\"amount\":25,\"dose\":1}",
    "step 2: unknown field \"dose\"" },
  { "standard schedule not last", "{\"name\":\"\",\"steps\"",
    "{\"name\":\"\",\"if_taking\":[\"w\"],\"on_start\":\"a\",\"on_stop\":\"b\",\"steps\"",
    "every schedule but the last" },
  { "no on_start", "\"on_start\":\"a\",", "", "\"on_start\" must be" },
  { "upper-case ingredient", "[\"v\"]", "[\"Valproate\"]", "lower-case ingredients" },
  { "no restart days", "\"restart_after_days\":5,", "", "restart_after_days" },
  { "unknown titration field", "\"restart_detail\":\"r\",", "\"restart_detail\":\"r\",\"x\":1,",
    "titration: unknown field \"x\"" },
  { "no schedules", "\"schedules\":[", "\"schedules\":[],\"y\":[", "unknown field \"y\"" },
  { "pregnancy action", "\"action\":\"warn\"", "\"action\":\"refuse\"", "\"pregnancy.action\"" },
  { "warn_when missing", "\"warn_when\":[\"pregnant\"],", "", "\"pregnancy.warn_when\"" },
  { "warn_when value", "[\"pregnant\"]", "[\"nursing\"]", "warn_when\" 1 must be" },
  { "prevention with warn_when", "\"action\":\"warn\"", "\"action\":\"prevention-programme\"",
    "only then" },
  { "pregnancy without source", ",\"source\":\"FDA label, 8.1\"", "", "pregnancy.source" },
};

static char *
replace_once (const char *text, const char *find, const char *replace)
{
  const char *at = strstr (text, find);
  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, replace, at + strlen (find));
}

static void
test_loader (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-rx-titration-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "catalog.json", NULL);
  const Medication *m;
  MedCatalog *c;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, GOOD, -1, &error));
  c = med_catalog_load (path, &error);
  g_assert_no_error (error);
  m = med_catalog_find (c, "l");
  g_assert_cmpuint (m->titration->n_schedules, ==, 2);
  g_assert_cmpuint (m->titration->schedules[0].steps[0].every_days, ==, 2);
  g_assert_cmpstr (m->titration->schedules[0].if_taking[0], ==, "v");
  g_assert_true (m->pregnancy->warn_pregnant);
  g_assert_false (m->pregnancy->warn_potential);
  med_catalog_free (c);
  for (gsize i = 0; i < G_N_ELEMENTS (kBad); i++) {
    g_autofree char *text = replace_once (GOOD, kBad[i].find, kBad[i].replace);
    g_test_message ("malformed: %s", kBad[i].label);
    g_assert_true (g_file_set_contents (path, text, -1, &error));
    c = med_catalog_load (path, &error);
    g_assert_null (c);
    g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
    if (!strstr (error->message, "medication 1 (\"l\")") ||
        !strstr (error->message, kBad[i].needle))
      g_error ("%s: \"%s\" lacks the entry or \"%s\"", kBad[i].label, error->message,
               kBad[i].needle);
    g_clear_error (&error);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* The shipped data: lamotrigine's three schedules, and the maximum daily
 * dose is still each formulation's own. */
static void
test_shipped (void)
{
  const Medication *lam = med_catalog_find (cat, "lamotrigine");
  g_autoptr (GError) error = NULL;
  MedDosing d = { 200, 0, "mg", "three-times-daily", "oral", 0 };

  g_assert_nonnull (lam->titration);
  g_assert_cmpuint (lam->titration->n_schedules, ==, 3);
  g_assert_cmpuint (lam->titration->restart_after_days, ==, 5);
  g_assert_false (med_dosing_check (lam, &d, &error));
  assert_contains (error->message, "400 mg");
  g_clear_error (&error);
  d = (MedDosing) { 125, 0, "mg", "three-times-daily", "oral", 0 };
  g_assert_true (med_dosing_check (med_catalog_find (cat, "venlafaxine-ir"), &d, &error));
  d = (MedDosing) { 225, 0, "mg", "once-daily", "oral", 0 };
  g_assert_true (med_dosing_check (med_catalog_find (cat, "venlafaxine-xr"), &d, &error));
  g_assert_cmpint (med_catalog_find (cat, "divalproex-dr")->pregnancy->action, ==,
                   MED_PREGNANCY_PREVENTION);
  g_assert_cmpint (med_catalog_find (cat, "divalproex-er")->pregnancy->action, ==,
                   MED_PREGNANCY_PREVENTION);
  g_assert_true (med_catalog_find (cat, "lithium-carbonate-ir")->pregnancy->warn_potential);
  g_assert_null (med_catalog_find (cat, "sertraline")->pregnancy);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  cat = load_shipped ();
  g_test_add_func ("/titration/start", test_start);
  g_test_add_func ("/titration/steps-by-week", test_steps_by_week);
  g_test_add_func ("/titration/with-valproate", test_with_valproate);
  g_test_add_func ("/titration/with-inducer", test_with_inducer);
  g_test_add_func ("/titration/restart", test_restart);
  g_test_add_func ("/titration/interacting", test_interacting);
  g_test_add_func ("/pregnancy/valproate", test_valproate);
  g_test_add_func ("/pregnancy/warnings", test_warnings);
  g_test_add_func ("/catalog/loader", test_loader);
  g_test_add_func ("/catalog/shipped", test_shipped);
  rc = g_test_run ();
  med_catalog_free (cat);
  return rc;
}
