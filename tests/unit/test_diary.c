/* test_diary.c — the diary's clinical data and rules (server/records/diary.c):
 * config/diary.json covers every drug class of the catalog, each drug gets
 * its own side-effect list and missed-dose threshold, the doses a day of
 * each frequency, and each safety rule fires at its threshold and not
 * below it, once, with a sentence naming the drug, the effect and the day. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "server/records/records.h"

typedef struct {
  MedCatalog *meds;
  DiaryCatalog *diary;
} Fixture;

static void
set_up (Fixture *f, gconstpointer data)
{
  GError *error = NULL;

  (void) data;
  f->meds = med_catalog_load (TH_CATALOG_PATH, &error);
  g_assert_no_error (error);
  f->diary = diary_catalog_load (TH_DIARY_PATH, f->meds, &error);
  g_assert_no_error (error);
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  (void) data;
  diary_catalog_free (f->diary);
  med_catalog_free (f->meds);
}

static gboolean
has_effect (const DiaryEffect *e, guint n, const char *code)
{
  for (guint i = 0; i < n; i++)
    if (strcmp (e[i].code, code) == 0)
      return TRUE;
  return FALSE;
}

static void
test_lists (Fixture *f, gconstpointer data)
{
  const DiaryEffect *e;
  const char *risk = NULL;
  guint n = 0;

  (void) data;
  /* Every formulation of the catalog has a list. */
  for (guint i = 0; i < med_catalog_size (f->meds); i++) {
    g_assert_nonnull (diary_effects_for (f->diary, med_catalog_get (f->meds, i), &n));
    g_assert_cmpuint (n, >, 0);
  }
  e = diary_effects_for (f->diary, med_catalog_find (f->meds, "lithium-carbonate-er"), &n);
  g_assert_true (has_effect (e, n, "tremor") && has_effect (e, n, "thirst") &&
                 has_effect (e, n, "diarrhoea"));
  g_assert_false (has_effect (e, n, "hair-loss")); /* lithium's own list, not the class's */
  e = diary_effects_for (f->diary, med_catalog_find (f->meds, "lamotrigine"), &n);
  g_assert_true (has_effect (e, n, "rash"));
  e = diary_effects_for (f->diary, med_catalog_find (f->meds, "divalproex-dr"), &n);
  g_assert_true (has_effect (e, n, "hair-loss"));
  e = diary_effects_for (f->diary, med_catalog_find (f->meds, "escitalopram"), &n);
  g_assert_true (has_effect (e, n, "nausea") && has_effect (e, n, "sleep") &&
                 has_effect (e, n, "sexual"));
  e = diary_effects_for (f->diary, med_catalog_find (f->meds, "methylphenidate-ir"), &n);
  g_assert_true (has_effect (e, n, "appetite") && has_effect (e, n, "heart-racing"));
  e = diary_effects_for (f->diary, med_catalog_find (f->meds, "quetiapine-xr"), &n);
  g_assert_true (has_effect (e, n, "restlessness") && has_effect (e, n, "stiffness") &&
                 has_effect (e, n, "weight"));

  g_assert_cmpuint (diary_missed_days_for (f->diary,
                                           med_catalog_find (f->meds, "lithium-carbonate-ir"),
                                           &risk),
                    ==, 2);
  g_assert_nonnull (strstr (risk, "relapse"));
  g_assert_cmpuint (diary_missed_days_for (f->diary, med_catalog_find (f->meds, "paroxetine"),
                                           NULL),
                    ==, 3);
  g_assert_cmpuint (diary_missed_days_for (f->diary, med_catalog_find (f->meds, "venlafaxine-xr"),
                                           NULL),
                    ==, 2);
  g_assert_cmpuint (diary_missed_days_for (f->diary, med_catalog_find (f->meds, "alprazolam"),
                                           NULL),
                    ==, 2);
  /* Fluoxetine's long half-life: no withdrawal alert. */
  g_assert_cmpuint (diary_missed_days_for (f->diary, med_catalog_find (f->meds, "fluoxetine"),
                                           NULL),
                    ==, 0);
}

static void
test_doses_per_day (void)
{
  g_assert_cmpuint (diary_doses_per_day ("once-daily", 0), ==, 1);
  g_assert_cmpuint (diary_doses_per_day ("at-bedtime", 0), ==, 1);
  g_assert_cmpuint (diary_doses_per_day ("twice-daily", 0), ==, 2);
  g_assert_cmpuint (diary_doses_per_day ("morning-and-bedtime", 0), ==, 2);
  g_assert_cmpuint (diary_doses_per_day ("three-times-daily", 0), ==, 3);
  g_assert_cmpuint (diary_doses_per_day ("four-times-daily", 0), ==, 4);
  g_assert_cmpuint (diary_doses_per_day ("every-other-day", 0), ==, 1);
  g_assert_cmpuint (diary_doses_per_day ("as-needed", 3), ==, 3);
  g_assert_cmpuint (diary_doses_per_day ("as-needed", 0), ==, 8);
  g_assert_cmpuint (diary_doses_per_day ("hourly", 0), ==, 0);
}

/* The signals of one day, as "rule:order" strings for comparing. */
static char *
signals_of (const DiaryDay *d, gboolean *crisis, gboolean *task)
{
  g_autoptr (GPtrArray) s = diary_signals (d);
  GString *out = g_string_new (NULL);

  *crisis = *task = FALSE;
  for (guint i = 0; i < s->len; i++) {
    const DiarySignal *x = g_ptr_array_index (s, i);
    g_string_append_printf (out, "%s%s:%d", i ? " " : "", x->rule, x->order);
    *crisis |= x->crisis;
    *task |= x->safety_task;
    g_assert_nonnull (strstr (x->summary, d->day));
  }
  return g_string_free (out, FALSE);
}

static const DiaryOrderDay kOrders[] = {
  { .drug = "lithium carbonate", .missed_alert_days = 2, .missed_risk = "relapse" },
  { .drug = "lamotrigine" },
  { .drug = "sertraline" },
};

static void
test_item9 (void)
{
  DiaryDay d = { .day = "2027-03-10", .item9 = -1, .orders = kOrders, .n_orders = 3 };
  gboolean crisis, task;
  g_autofree char *none = NULL, *zero = NULL, *one = NULL, *three = NULL;

  none = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (none, ==, "");
  d.item9 = 0;
  zero = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (zero, ==, "");
  d.item9 = 1;
  one = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (one, ==, "item9:-1");
  g_assert_true (crisis && task);
  d.item9 = 3;
  three = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (three, ==, "item9:-1");
}

static void
test_side_effects (void)
{
  DiaryRating r[] = {
    { .order = 0, .effect = "tremor", .severity = 2 },
    { .order = 1, .effect = "rash", .severity = 0 },
    { .order = 2, .effect = "nausea", .severity = 3 },
  };
  DiaryDay d = {
    .day = "2027-03-08", .item9 = -1, .orders = kOrders, .n_orders = 3, .ratings = r, .n_ratings = 3
  };
  gboolean crisis, task;
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  g_autoptr (GPtrArray) s = NULL;

  /* Moderate tremor: nothing; no rash: nothing; severe nausea on sertraline. */
  a = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (a, ==, "severe-side-effect:2");
  g_assert_true (crisis);
  g_assert_false (task);
  /* A mild rash on lamotrigine (boxed warning): the clinic's alert, no
   * crisis text; severe tremor on lithium. */
  r[0].severity = 3;
  r[1].severity = 1;
  r[2].severity = 0;
  b = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (b, ==, "lamotrigine-rash:1 severe-side-effect:0");
  s = diary_signals (&d);
  g_assert_cmpstr (((DiarySignal *) g_ptr_array_index (s, 1))->summary, ==,
                   "Severe tremor on lithium carbonate, reported in the diary for 2027-03-08.");
  g_assert_nonnull (strstr (((DiarySignal *) g_ptr_array_index (s, 0))->summary, "lamotrigine"));
  /* A severe rash on lamotrigine is the rash rule's, once, with the crisis
   * text. */
  r[0].severity = 0;
  r[1].severity = 3;
  c = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (c, ==, "lamotrigine-rash:1");
  g_assert_true (crisis);
}

static void
test_missed (void)
{
  DiaryOrderDay o[3];
  DiaryDay d = { .day = "2027-03-09", .item9 = -1, .orders = o, .n_orders = 3 };
  gboolean crisis, task;
  g_autofree char *one = NULL, *two = NULL, *other = NULL, *taken = NULL;
  g_autoptr (GPtrArray) s = NULL;

  memcpy (o, kOrders, sizeof o);
  o[0].missed = 1;
  o[0].missed_run_days = 1;
  one = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (one, ==, "");
  o[0].missed_run_days = 2;
  o[0].missed_run_last = "2027-03-09";
  two = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (two, ==, "missed-doses:0");
  g_assert_false (crisis);
  s = diary_signals (&d);
  g_assert_cmpstr (((DiarySignal *) g_ptr_array_index (s, 0))->summary, ==,
                   "Missed doses of lithium carbonate on 2 days in a row, up to 2027-03-09 "
                   "(diary): risk of relapse.");
  /* Sertraline has no threshold: a week of misses raises nothing here. */
  o[0].missed = 0;
  o[2].missed = 1;
  o[2].missed_run_days = 7;
  other = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (other, ==, "");
  /* A day with doses taken only ends nothing of it. */
  o[2].missed = 0;
  taken = signals_of (&d, &crisis, &task);
  g_assert_cmpstr (taken, ==, "");
}

/* A file that leaves a catalog class without a list is refused, naming it. */
static void
test_uncovered (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp ("th-diary-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "diary.json", NULL);
  g_autofree char *text = NULL;
  GError *error = NULL;
  char *at;

  (void) data;
  g_assert_true (g_file_get_contents (TH_DIARY_PATH, &text, NULL, NULL));
  at = strstr (text, "\"anxiolytic\"");
  g_assert_nonnull (at);
  memcpy (at, "\"anxiolytiX\"", 12);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_null (diary_catalog_load (path, f->meds, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG);
  g_assert_nonnull (strstr (error->message, "buspirone"));
  g_clear_error (&error);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/diary/lists", Fixture, NULL, set_up, test_lists, tear_down);
  g_test_add ("/diary/uncovered-class", Fixture, NULL, set_up, test_uncovered, tear_down);
  g_test_add_func ("/diary/doses-per-day", test_doses_per_day);
  g_test_add_func ("/diary/rules/item9", test_item9);
  g_test_add_func ("/diary/rules/side-effects", test_side_effects);
  g_test_add_func ("/diary/rules/missed-doses", test_missed);
  return g_test_run ();
}
