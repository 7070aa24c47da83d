/* test_adherence.c — adherence per medication line (once and twice daily,
 * as needed, every other day, across a dose change, unlogged days, the
 * check-in's fallback, the newest entry of a day), the side effects' weekly
 * series, and the measurement-based care labels on seeded score series. */
#include <string.h>

#include "server/records/records.h"

#define DAY_MS (G_GINT64_CONSTANT (24) * 3600 * 1000)
#define WEEK_MS (7 * DAY_MS)

/* 2026-11-01 + n days. */
static GDate
day (gint n)
{
  GDate d;

  g_date_clear (&d, 1);
  g_date_set_dmy (&d, 1, G_DATE_NOVEMBER, 2026);
  if (n >= 0)
    g_date_add_days (&d, (guint) n);
  else
    g_date_subtract_days (&d, (guint) -n);
  return d;
}

static AdherenceDose
dose (gint d, const char *order, guint taken, guint missed, const char *reason)
{
  AdherenceDose x = { day (d), order, (gint64) d * DAY_MS, d, taken, missed, reason };
  return x;
}

static void
test_once_daily (void)
{
  AdherenceOrder line[] = { { "o1", "once-daily", day (-30) } };
  /* 14-day period, 10 days logged: 8 taken, 2 missed (forgot, ran out). */
  AdherenceDose doses[10];
  GDate from = day (0), to = day (13);
  Adherence a;
  g_autoptr (GError) error = NULL;

  for (gint i = 0; i < 10; i++)
    doses[i] = dose (i, "o1", i == 3 || i == 7 ? 0 : 1, i == 3 || i == 7 ? 1 : 0,
                     i == 3   ? "forgot"
                     : i == 7 ? "ran-out"
                              : NULL);
  g_assert_true (adherence_compute (line, 1, doses, 10, NULL, &from, &to, &a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a.source, ==, ADHERENCE_DIARY);
  g_assert_cmpuint (a.days_in_period, ==, 14);
  g_assert_cmpint (a.days_logged, ==, 10);
  g_assert_cmpuint (a.due, ==, 10); /* the logged days only: nothing made up for days 10-13 */
  g_assert_cmpuint (a.taken, ==, 8);
  g_assert_cmpint (a.percent, ==, 80);
  g_assert_cmpuint (a.missed_by_reason[0], ==, 1); /* forgot */
  g_assert_cmpuint (a.missed_by_reason[2], ==, 1); /* ran-out */
  g_assert_cmpuint (a.n_weeks, ==, 2);
  g_assert_cmpuint (a.weeks[0].days_logged, ==, 7);
  g_assert_cmpuint (a.weeks[0].due, ==, 7);
  g_assert_cmpuint (a.weeks[0].taken, ==, 6);
  g_assert_cmpuint (a.weeks[1].days_logged, ==, 3);
  g_assert_cmpuint (a.weeks[1].due, ==, 3);
  g_assert_cmpuint (a.weeks[1].taken, ==, 2);
  g_assert_false (a.as_needed);
  adherence_clear (&a);
}

static void
test_twice_daily_and_extra (void)
{
  AdherenceOrder line[] = { { "o1", "twice-daily", day (-3) } };
  AdherenceDose doses[] = {
    dose (0, "o1", 2, 0, NULL), dose (1, "o1", 1, 1, "side-effect"),
    dose (2, "o1", 3, 0, NULL), /* a double dose: 2 as prescribed, 1 extra */
    dose (3, "o1", 0, 2, NULL), /* missed without a reason */
  };
  GDate from = day (0), to = day (6);
  Adherence a;

  g_assert_true (adherence_compute (line, 1, doses, 4, NULL, &from, &to, &a, NULL));
  g_assert_cmpuint (a.due, ==, 8);
  g_assert_cmpuint (a.taken, ==, 5);
  g_assert_cmpuint (a.extra, ==, 1);
  g_assert_cmpint (a.percent, ==, 63); /* 5/8 = 62.5 % */
  g_assert_cmpint (a.days_logged, ==, 4);
  g_assert_cmpuint (a.days_in_period, ==, 7);
  g_assert_cmpuint (a.missed_by_reason[1], ==, 1); /* side-effect */
  g_assert_cmpuint (a.missed_by_reason[4], ==, 2); /* unspecified */
  g_assert_cmpstr (adherence_reason_code (4), ==, "unspecified");
  adherence_clear (&a);
}

static void
test_as_needed (void)
{
  AdherenceOrder line[] = { { "o1", "as-needed", day (-3) } };
  AdherenceDose doses[] = { dose (0, "o1", 2, 0, NULL), dose (1, "o1", 0, 0, NULL),
                            dose (4, "o1", 1, 0, NULL) };
  GDate from = day (0), to = day (6);
  Adherence a;

  g_assert_true (adherence_compute (line, 1, doses, 3, NULL, &from, &to, &a, NULL));
  g_assert_true (a.as_needed);
  g_assert_cmpuint (a.due, ==, 0);
  g_assert_cmpint (a.percent, ==, -1); /* nothing due: no percentage */
  g_assert_cmpuint (a.prn_taken, ==, 3);
  g_assert_cmpuint (a.prn_days_used, ==, 2);
  g_assert_cmpint (a.days_logged, ==, 3);
  g_assert_cmpuint (a.extra, ==, 3); /* all of it is above a due of 0 */
  adherence_clear (&a);
}

static void
test_every_other_day (void)
{
  /* Started on day 1: due on days 1, 3, 5, 7 (from the order's start day,
   * not the period's). */
  AdherenceOrder line[] = { { "o1", "every-other-day", day (1) } };
  AdherenceDose doses[8];
  GDate from = day (0), to = day (7), d0 = day (1), d2 = day (2), d3 = day (3);
  Adherence a;

  g_assert_cmpuint (adherence_due_on ("every-other-day", &d0, &d2), ==, 0);
  g_assert_cmpuint (adherence_due_on ("every-other-day", &d0, &d3), ==, 1);
  g_assert_cmpuint (adherence_due_on ("every-other-day", &d3, &d0), ==, 0); /* before its start */
  g_assert_cmpuint (adherence_due_on ("morning-and-bedtime", &d0, &d3), ==, 2);
  for (gint i = 0; i < 8; i++)
    doses[i] = dose (i, "o1", i == 1 || i == 3 || i == 5 ? 1 : 0, i == 7 ? 1 : 0,
                     i == 7 ? "chose-not-to" : NULL);
  g_assert_true (adherence_compute (line, 1, doses, 8, NULL, &from, &to, &a, NULL));
  /* The line starts on day 1: day 0 is not in its period. */
  g_assert_true (g_date_compare (&a.from, &d0) == 0);
  g_assert_cmpuint (a.days_in_period, ==, 7);
  g_assert_cmpint (a.days_logged, ==, 7);
  g_assert_cmpuint (a.due, ==, 4);
  g_assert_cmpuint (a.taken, ==, 3);
  g_assert_cmpint (a.percent, ==, 75);
  g_assert_cmpuint (a.missed_by_reason[3], ==, 1);
  adherence_clear (&a);
}

static void
test_dose_change (void)
{
  /* Once daily until day 4, twice daily from day 4 (the change's own day). */
  AdherenceOrder line[] = { { "old", "once-daily", day (-10) }, { "new", "twice-daily", day (4) } };
  AdherenceDose doses[] = {
    dose (2, "old", 1, 0, NULL), dose (3, "old", 1, 0, NULL),
    /* On the change day the entry names both orders: summed. */
    dose (4, "old", 1, 0, NULL), dose (4, "new", 1, 0, NULL), dose (5, "new", 1, 1, "forgot"),
    dose (6, "other-drug", 5, 0, NULL), /* another line's row: not this line's */
  };
  GDate from = day (0), to = day (6);
  Adherence a;

  g_assert_true (
    adherence_compute (line, 2, doses, G_N_ELEMENTS (doses), NULL, &from, &to, &a, NULL));
  g_assert_cmpint (a.days_logged, ==, 4);
  g_assert_cmpuint (a.due, ==, 1 + 1 + 2 + 2);
  g_assert_cmpuint (a.taken, ==, 1 + 1 + 2 + 1);
  g_assert_cmpint (a.percent, ==, 83);
  g_assert_cmpuint (a.extra, ==, 0);
  adherence_clear (&a);
}

static void
test_newest_entry_of_a_day (void)
{
  AdherenceOrder line[] = { { "o1", "once-daily", day (-10) } };
  AdherenceDose doses[] = { dose (0, "o1", 0, 1, "forgot"), dose (0, "o1", 1, 0, NULL) };
  GDate from = day (0), to = day (0);
  Adherence a;

  /* The second entry of the day was made later: it is the day's record. */
  doses[1].made_at_ms += 3600 * 1000;
  g_assert_true (adherence_compute (line, 1, doses, 2, NULL, &from, &to, &a, NULL));
  g_assert_cmpuint (a.taken, ==, 1);
  g_assert_cmpuint (a.due, ==, 1);
  g_assert_cmpuint (a.missed_by_reason[0], ==, 0);
  adherence_clear (&a);
  /* Same instant: the later row (entry_seq) wins. */
  doses[1].made_at_ms = doses[0].made_at_ms;
  doses[0].entry_seq = 9;
  g_assert_true (adherence_compute (line, 1, doses, 2, NULL, &from, &to, &a, NULL));
  g_assert_cmpuint (a.taken, ==, 0);
  g_assert_cmpuint (a.missed_by_reason[0], ==, 1);
  adherence_clear (&a);
}

static void
test_checkin_fallback (void)
{
  AdherenceOrder line[] = { { "o1", "twice-daily", day (-30) } };
  AdherenceCheckin checkin = { TRUE, day (10), 3, 28 };
  AdherenceDose outside = dose (-5, "o1", 0, 2, NULL); /* before the period: not counted */
  GDate from = day (0), to = day (12), first = day (-3);
  Adherence a;

  g_assert_true (adherence_compute (line, 1, &outside, 1, &checkin, &from, &to, &a, NULL));
  g_assert_cmpint (a.source, ==, ADHERENCE_CHECKIN);
  g_assert_cmpstr (adherence_source_code (a.source), ==, "checkin");
  g_assert_cmpuint (a.due, ==, 28);
  g_assert_cmpuint (a.taken, ==, 25);
  g_assert_cmpint (a.percent, ==, 89);
  g_assert_cmpint (a.days_logged, ==, -1);
  g_assert_cmpuint (a.days_in_period, ==, 14);
  g_assert_true (g_date_compare (&a.from, &first) == 0);
  adherence_clear (&a);
  /* One logged day is a diary: the check-in is not used. */
  {
    AdherenceDose one = dose (2, "o1", 2, 0, NULL);
    g_assert_true (adherence_compute (line, 1, &one, 1, &checkin, &from, &to, &a, NULL));
    g_assert_cmpint (a.source, ==, ADHERENCE_DIARY);
    g_assert_cmpint (a.percent, ==, 100);
    g_assert_cmpint (a.days_logged, ==, 1);
    adherence_clear (&a);
  }
  /* Neither: nothing known, nothing made up. */
  g_assert_true (adherence_compute (line, 1, NULL, 0, NULL, &from, &to, &a, NULL));
  g_assert_cmpint (a.source, ==, ADHERENCE_NONE);
  g_assert_cmpint (a.percent, ==, -1);
  g_assert_cmpuint (a.due, ==, 0);
  g_assert_cmpuint (a.days_in_period, ==, 13);
  adherence_clear (&a);
}

static void
test_bad_input (void)
{
  AdherenceOrder line[] = { { "a", "once-daily", day (5) }, { "b", "once-daily", day (1) } };
  GDate from = day (3), to = day (1);
  Adherence a;
  GError *error = NULL;

  g_assert_false (adherence_compute (line, 1, NULL, 0, NULL, &from, &to, &a, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  g_clear_error (&error);
  to = day (9);
  g_assert_false (adherence_compute (line, 2, NULL, 0, NULL, &from, &to, &a, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (adherence_compute (line, 0, NULL, 0, NULL, &from, &to, &a, &error));
  g_clear_error (&error);
}

static void
test_side_effects (void)
{
  AdherenceEffectRow rows[] = {
    { day (0), "o1", 0, 1, "tremor", 1 },
    { day (2), "o1", 0, 2, "tremor", 3 },
    { day (2), "o1", 0, 2, "thirst", 0 },
    { day (8), "o1", 0, 3, "tremor", 2 },
    /* Superseded by a later entry of day 9 that did not rate it above 0. */
    { day (9), "o1", 0, 4, "thirst", 3 },
    { day (9), "o1", 5, 5, "thirst", 1 },
    { day (40), "o1", 0, 9, "tremor", 3 }, /* after the period */
  };
  GDate from = day (0), to = day (13);
  g_autoptr (GPtrArray) effects = adherence_side_effects (rows, G_N_ELEMENTS (rows), &from, &to);
  AdherenceEffect *tremor, *thirst;
  GDate d8 = day (8);

  g_assert_cmpuint (effects->len, ==, 2);
  tremor = g_ptr_array_index (effects, 0);
  thirst = g_ptr_array_index (effects, 1);
  g_assert_cmpstr (tremor->effect, ==, "tremor");
  g_assert_cmpuint (tremor->n_weeks, ==, 2);
  g_assert_cmpint (tremor->weekly[0], ==, 3);
  g_assert_cmpint (tremor->weekly[1], ==, 2);
  g_assert_cmpint (tremor->worst, ==, 3);
  g_assert_true (g_date_compare (&tremor->last_day, &d8) == 0);
  g_assert_cmpstr (thirst->effect, ==, "thirst");
  g_assert_cmpint (thirst->weekly[0], ==, 0);
  g_assert_cmpint (thirst->weekly[1], ==, 1);
}

/* ------------------------------------------------------------- MBC */

static const gint64 kStart = G_GINT64_CONSTANT (1790000000000);

static void
check_label (ScaleKind kind, const MbcPoint *p, guint n, gint64 start, MbcStatus status,
             const char *text)
{
  MbcLabel l;
  g_autoptr (GError) error = NULL;

  g_assert_true (mbc_label (kind, p, n, start, &l, &error));
  g_assert_no_error (error);
  if (l.status != status || (text && strcmp (l.text, text) != 0))
    g_error ("expected %s \"%s\", got %s \"%s\"", mbc_status_code (status), text ? text : "",
             mbc_status_code (l.status), l.text);
  mbc_label_clear (&l);
}

static void
test_mbc (void)
{
  /* Baseline 18 at the visit that started the treatment (a check-in just
   * before the order). */
  MbcPoint response[] = { { kStart - 40 * DAY_MS, 20 },
                          { kStart - 600, 18 },
                          { kStart + 6 * WEEK_MS, 8 } };
  MbcPoint remission[] = { { kStart - 600, 16 }, { kStart + 10 * WEEK_MS, 4 } };
  MbcPoint early[] = { { kStart - 600, 18 }, { kStart + 3 * WEEK_MS, 15 } };
  MbcPoint none[] = { { kStart - 600, 18 }, { kStart + 9 * WEEK_MS, 15 } };
  MbcPoint partial[] = { { kStart - 600, 20 }, { kStart + 12 * WEEK_MS, 12 } };
  MbcPoint edge[] = { { kStart - 600, 19 }, { kStart + 8 * WEEK_MS, 10 } }; /* 47.4 % */
  MbcPoint worse[] = { { kStart - 600, 10 }, { kStart + 8 * WEEK_MS, 11 } };
  MbcPoint mild[] = { { kStart - 600, 3 }, { kStart + 8 * WEEK_MS, 2 } };
  MbcPoint only_after[] = { { kStart + WEEK_MS, 12 } };
  MbcPoint only_before[] = { { kStart, 12 } }; /* at the start itself: the baseline */
  MbcLabel l;
  GError *error = NULL;

  check_label (SCALE_PHQ9, response, 3, kStart, MBC_RESPONSE,
               "Response: PHQ-9 down 55% (18 to 8) after 6 weeks");
  check_label (SCALE_PHQ9, remission, 2, kStart, MBC_REMISSION,
               "Remission: PHQ-9 down 75% (16 to 4) after 10 weeks (below 5)");
  check_label (SCALE_GAD7, early, 2, kStart, MBC_TOO_EARLY,
               "Too early to tell: GAD-7 down 16% (18 to 15) at week 3 of 8");
  check_label (SCALE_PHQ9, none, 2, kStart, MBC_NO_RESPONSE,
               "No response after 9 weeks at the same dose: PHQ-9 down 16% (18 to 15)");
  check_label (SCALE_PHQ9, partial, 2, kStart, MBC_PARTIAL_RESPONSE,
               "Partial response after 12 weeks at the same dose: PHQ-9 down 40% (20 to 12)");
  check_label (SCALE_PHQ9, edge, 2, kStart, MBC_PARTIAL_RESPONSE, NULL);
  check_label (SCALE_PHQ9, worse, 2, kStart, MBC_NO_RESPONSE,
               "No response after 8 weeks at the same dose: PHQ-9 up 10% (10 to 11)");
  check_label (SCALE_PHQ9, mild, 2, kStart, MBC_MILD_BASELINE, NULL);
  check_label (SCALE_PHQ9, only_after, 1, kStart, MBC_NO_BASELINE, NULL);
  check_label (SCALE_PHQ9, only_before, 1, kStart, MBC_NO_FOLLOW_UP,
               "PHQ-9: baseline 12; no score since the current treatment began");
  check_label (SCALE_PHQ9, response, 3, -1, MBC_NO_TREATMENT, NULL);
  /* A later dose change restarts the clock: the 6-week score is the new
   * baseline, and nothing since. */
  check_label (SCALE_PHQ9, response, 3, kStart + 7 * WEEK_MS, MBC_NO_FOLLOW_UP,
               "PHQ-9: baseline 8; no score since the current treatment began");
  check_label (SCALE_PHQ9, none, 2, kStart + 9 * WEEK_MS, MBC_NO_FOLLOW_UP, NULL);
  g_assert_false (mbc_label (SCALE_ASRS18, response, 3, kStart, &l, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/adherence/once-daily", test_once_daily);
  g_test_add_func ("/adherence/twice-daily-and-extra", test_twice_daily_and_extra);
  g_test_add_func ("/adherence/as-needed", test_as_needed);
  g_test_add_func ("/adherence/every-other-day", test_every_other_day);
  g_test_add_func ("/adherence/dose-change", test_dose_change);
  g_test_add_func ("/adherence/newest-entry-of-a-day", test_newest_entry_of_a_day);
  g_test_add_func ("/adherence/checkin-fallback", test_checkin_fallback);
  g_test_add_func ("/adherence/bad-input", test_bad_input);
  g_test_add_func ("/adherence/side-effects", test_side_effects);
  g_test_add_func ("/mbc/labels", test_mbc);
  return g_test_run ();
}
