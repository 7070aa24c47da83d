/* test_store_diary_read.c — the diary as the record reads it: entries with
 * their day's record marked (the newest of a day, made_at then rowid), dose
 * and side-effect rows, the range of days; when the last visit took place;
 * the check-in's missed doses adherence falls back on. Diary rows are
 * written with raw SQL: the diary's own routes are another part's. */
#include "store-clinical-fixture.h"

static void
exec_sql (Fixture *f, const char *sql)
{
  raw_exec (f->store, sql);
}

static void
add_entry (Fixture *f, const char *id, const char *day, gint64 made_ms, const char *item9)
{
  g_autofree char *made = store_format_time (made_ms, NULL);
  g_autofree char *sql = g_strdup_printf ("INSERT INTO diary_entries (id, patient_id, day, "
                                          "made_at, item9) VALUES ('%s', '%s', '%s', "
                                          "'%s', %s)",
                                          id, f->patient, day, made, item9);
  exec_sql (f, sql);
}

static void
add_dose (Fixture *f, const char *entry, const char *order, int taken, int missed,
          const char *reason)
{
  g_autofree char *sql = g_strdup_printf ("INSERT INTO diary_doses (entry_id, order_id, taken, "
                                          "missed, reason) VALUES ('%s', '%s', %d, "
                                          "%d, %s)",
                                          entry, order, taken, missed, reason);
  exec_sql (f, sql);
}

static void
test_read_diary (Fixture *f, gconstpointer data)
{
  StoreOrder *o = start_ok (f, "sertraline", 50);
  GError *error = NULL;
  StoreDiary diary;
  const StoreDiaryRow *r;

  (void) data;
  add_entry (f, "e1", "2026-11-20", T0 - 7 * DAY, "NULL");
  add_dose (f, "e1", o->id, 1, 0, "NULL");
  /* Two entries of one day: the later one is the day's record. */
  add_entry (f, "e2", "2026-11-21", T0 - 6 * DAY, "2");
  add_dose (f, "e2", o->id, 0, 1, "'forgot'");
  add_entry (f, "e3", "2026-11-21", T0 - 6 * DAY + HOUR, "0");
  add_dose (f, "e3", o->id, 1, 0, "NULL");
  g_autofree char *fx = g_strdup_printf ("INSERT INTO diary_side_effects (entry_id, order_id, "
                                         "effect, severity) VALUES ('e3', '%s', "
                                         "'nausea', 2)",
                                         o->id);
  exec_sql (f, fx);
  add_entry (f, "e4", "2026-11-25", T0 - 2 * DAY, "NULL"); /* after the range below */

  g_assert_true (
    store_read_diary (f->store, f->patient, "2026-11-20", "2026-11-24", &diary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (diary.entries->len, ==, 3);
  r = g_ptr_array_index (diary.entries, 1);
  g_assert_cmpstr (r->entry_id, ==, "e2");
  g_assert_false (r->days_record);
  g_assert_cmpint (r->item9, ==, 2); /* a superseded answer is still read */
  r = g_ptr_array_index (diary.entries, 2);
  g_assert_true (r->days_record);
  g_assert_cmpint (r->item9, ==, 0);
  g_assert_cmpint (((StoreDiaryRow *) g_ptr_array_index (diary.entries, 0))->item9, ==, -1);
  g_assert_cmpuint (diary.doses->len, ==, 3);
  r = g_ptr_array_index (diary.doses, 1);
  g_assert_cmpstr (r->reason, ==, "forgot");
  g_assert_cmpuint (r->missed, ==, 1);
  g_assert_false (r->days_record);
  g_assert_cmpint (r->made_at_ms, ==, T0 - 6 * DAY);
  r = g_ptr_array_index (diary.doses, 2);
  g_assert_true (r->days_record);
  g_assert_cmpstr (r->order_id, ==, o->id);
  g_assert_cmpstr (r->day, ==, "2026-11-21");
  g_assert_cmpuint (diary.effects->len, ==, 1);
  r = g_ptr_array_index (diary.effects, 0);
  g_assert_cmpstr (r->effect, ==, "nausea");
  g_assert_cmpuint (r->severity, ==, 2);
  store_diary_clear (&diary);
  /* Open range: every entry. */
  g_assert_true (store_read_diary (f->store, f->patient, NULL, NULL, &diary, &error));
  g_assert_cmpuint (diary.entries->len, ==, 4);
  store_diary_clear (&diary);
  store_order_free (o);
}

static void
test_last_visit_held (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  gint64 at = 0;
  g_autofree char *next = NULL, *held = NULL;

  (void) data;
  g_assert_true (store_last_visit_held (f->store, f->patient, NULL, &at, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (at, ==, -1); /* scheduled, never held */
  g_assert_true (store_set_visit_state_at (f->store, f->visit, VISIT_WAITING, T0, &error));
  g_assert_true (
    store_set_visit_state_at (f->store, f->visit, VISIT_IN_PROGRESS, T0 + MINUTE, &error));
  g_assert_true (store_set_visit_state_at (f->store, f->visit, VISIT_ENDED, T0 + HOUR, &error));
  g_assert_no_error (error);
  next = store_create_visit (f->store, f->patient, f->psychiatrist, T0 + 14 * DAY, &error);
  g_assert_no_error (error);
  g_assert_true (store_last_visit_held (f->store, f->patient, next, &at, &held, &error));
  g_assert_cmpint (at, ==, T0 + MINUTE);
  g_assert_cmpstr (held, ==, f->visit);
  /* Leaving out the visit that was held: none. */
  g_assert_true (store_last_visit_held (f->store, f->patient, f->visit, &at, NULL, &error));
  g_assert_cmpint (at, ==, -1);
}

static void
test_latest_checkin_missed (Fixture *f, gconstpointer data)
{
  StoreOrder *o = start_ok (f, "sertraline", 50);
  StoreCheckin *c = store_checkin_new ();
  StoreMissedDose *m = g_new0 (StoreMissedDose, 1);
  GError *error = NULL;
  gint64 at = 0;
  g_autofree char *id = NULL;
  g_autoptr (GPtrArray) none = NULL, rows = NULL, later = NULL;

  (void) data;
  none = store_latest_checkin_missed (f->store, f->patient, 0, NULL, &at, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpint (at, ==, -1);
  m->order_id = g_strdup (o->id);
  m->missed = 3;
  m->max_missed = 14;
  g_ptr_array_add (c->missed_doses, m);
  id = store_save_checkin (f->store, f->visit, c, &error);
  g_assert_no_error (error);
  rows = store_latest_checkin_missed (f->store, f->patient, 0, NULL, &at, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  m = g_ptr_array_index (rows, 0);
  g_assert_cmpstr (m->order_id, ==, o->id);
  g_assert_cmpuint (m->missed, ==, 3);
  g_assert_cmpuint (m->max_missed, ==, 14);
  g_assert_cmpint (at, >, 0);
  /* Submitted before `since`: not this period's. */
  later = store_latest_checkin_missed (f->store, f->patient, at + 1, NULL, &at, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (later->len, ==, 0);
  /* The visit left out (the last visit's own check-in): none. */
  g_ptr_array_unref (later);
  later = store_latest_checkin_missed (f->store, f->patient, 0, f->visit, &at, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (later->len, ==, 0);
  store_checkin_free (c);
  store_order_free (o);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/store/diary/read", Fixture, NULL, fixture_set_up, test_read_diary,
              fixture_tear_down);
  g_test_add ("/store/diary/last-visit-held", Fixture, NULL, fixture_set_up, test_last_visit_held,
              fixture_tear_down);
  g_test_add ("/store/diary/checkin-missed", Fixture, NULL, fixture_set_up,
              test_latest_checkin_missed, fixture_tear_down);
  return g_test_run ();
}
