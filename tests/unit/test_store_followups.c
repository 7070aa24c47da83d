/* test_store_followups.c — the next follow-up in the store (followups.c,
 * migration 15) on a fresh database (sqlite or PostgreSQL: store-fixture.h):
 * the suggestion recorded once, a booking and its record written together or
 * not at all, the patient's next visit, and the patients whose last visit
 * left nothing booked. */
#include "tests/unit/store-fixture.h"

static StoreFollowUp
suggestion (const char *visit_id, const char *due)
{
  return (StoreFollowUp) { .visit_id = (char *) visit_id,
                           .rule = (char *) "antidepressant-started",
                           .suggested_weeks = 2,
                           .reason = (char *) "started sertraline",
                           .due_date = (char *) due };
}

static void
test_suggest_once (StoreFixture *fx, gconstpointer data)
{
  GError *error = NULL;
  Visit v;
  StoreFollowUp f = { 0 }, s, other;
  gboolean recorded = FALSE;

  (void) data;
  make_visit (fx->store, &v, T0);
  g_assert_false (store_get_follow_up (fx->store, v.visit, &f, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  s = suggestion (v.visit, "2026-12-11");
  g_assert_true (store_follow_up_suggest (fx->store, &s, &recorded, &error));
  g_assert_no_error (error);
  g_assert_true (recorded);
  /* A second suggestion leaves the first as it is. */
  other = suggestion (v.visit, "2027-02-19");
  other.suggested_weeks = 12;
  g_assert_true (store_follow_up_suggest (fx->store, &other, &recorded, &error));
  g_assert_false (recorded);
  g_assert_true (store_get_follow_up (fx->store, v.visit, &f, &error));
  g_assert_cmpstr (f.due_date, ==, "2026-12-11");
  g_assert_cmpuint (f.suggested_weeks, ==, 2);
  g_assert_cmpuint (f.weeks, ==, 0);
  g_assert_null (f.next_visit_id);
  store_follow_up_clear (&f);
  /* Refused before anything is written: a bad date, an unknown visit. */
  s.due_date = (char *) "2026-02-30";
  g_assert_false (store_follow_up_suggest (fx->store, &s, NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  s = suggestion ("no-such-visit", "2026-12-11");
  g_assert_false (store_follow_up_suggest (fx->store, &s, NULL, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_cmpint (count_rows (fx->store, "SELECT COUNT(*) FROM follow_ups"), ==, 1);
  visit_clear (&v);
}

static void
test_book_and_overdue (StoreFixture *fx, gconstpointer data)
{
  GError *error = NULL;
  Visit v;
  StoreFollowUp s, f = { 0 };
  StoreBookedVisit booked = { 0 };
  StoreVisit next = { 0 };
  GPtrArray *due;
  StoreVisitBooking b = { 0 };

  (void) data;
  make_visit (fx->store, &v, T0);
  /* Not ended yet: nobody is listed. */
  due = store_list_follow_ups_due (fx->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 0);
  g_ptr_array_unref (due);
  g_assert_true (store_set_visit_state (fx->store, v.visit, VISIT_ENDED, &error));
  s = suggestion (v.visit, "2026-12-11");
  g_assert_true (store_follow_up_suggest (fx->store, &s, NULL, &error));

  /* Ended with nothing booked: listed, with its follow-up row. */
  due = store_list_follow_ups_due (fx->store, v.provider, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 1);
  {
    StoreFollowUpDue *d = g_ptr_array_index (due, 0);
    g_assert_cmpstr (d->last.id, ==, v.visit);
    g_assert_true (d->has_follow_up);
    g_assert_false (d->no_show);
    g_assert_cmpstr (d->follow_up.due_date, ==, "2026-12-11");
    g_assert_cmpint (d->ended_at_ms, >, 0);
  }
  g_ptr_array_unref (due);
  /* Another provider's list does not have them. */
  due = store_list_follow_ups_due (fx->store, "someone-else", &error);
  g_assert_cmpuint (due->len, ==, 0);
  g_ptr_array_unref (due);

  /* A booking that fails (no such provider) writes neither the visit nor
   * the choice. */
  b.patient_id = v.patient;
  b.provider_id = "no-such-provider";
  b.scheduled_at_ms = T0 + 14 * DAY;
  b.link_not_before_ms = b.scheduled_at_ms - HOUR;
  b.link_not_after_ms = b.scheduled_at_ms + HOUR;
  s.weeks = 2;
  g_assert_false (store_book_follow_up (fx->store, &s, v.provider, &b, &booked, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fx->store, "SELECT COUNT(*) FROM visits"), ==, 1);
  g_assert_true (store_get_follow_up (fx->store, v.visit, &f, &error));
  g_assert_cmpuint (f.weeks, ==, 0);
  store_follow_up_clear (&f);

  b.provider_id = v.provider;
  g_assert_true (store_book_follow_up (fx->store, &s, v.provider, &b, &booked, &error));
  g_assert_no_error (error);
  g_assert_nonnull (booked.patient_token);
  g_assert_true (store_get_follow_up (fx->store, v.visit, &f, &error));
  g_assert_cmpuint (f.weeks, ==, 2);
  g_assert_cmpstr (f.next_visit_id, ==, booked.visit_id);
  store_follow_up_clear (&f);
  g_assert_true (store_next_visit (fx->store, v.patient, v.visit, T0, &next, &error));
  g_assert_cmpstr (next.id, ==, booked.visit_id);
  g_assert_cmpint (next.scheduled_at_ms, ==, T0 + 14 * DAY);
  store_visit_clear (&next);
  /* Booked: no longer listed. */
  due = store_list_follow_ups_due (fx->store, NULL, &error);
  g_assert_cmpuint (due->len, ==, 0);
  g_ptr_array_unref (due);
  /* Nothing after the booked one. */
  g_assert_false (
    store_next_visit (fx->store, v.patient, booked.visit_id, T0 + 14 * DAY, &next, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  store_booked_visit_clear (&booked);
  visit_clear (&v);
}

/* A visit nobody joined, marked by the no-show sweep, is listed as missed
 * (no follow-up row: it never ended); a visit booked after it takes it off. */
static void
test_no_show (StoreFixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  Visit v;
  GPtrArray *due;
  gboolean marked = FALSE;
  StoreBookedVisit booked = { 0 };
  StoreVisitBooking b = { 0 };

  (void) data;
  make_visit (fx->store, &v, T0);
  g_assert_true (store_mark_no_show (fx->store, v.visit, &marked, &error));
  g_assert_no_error (error);
  g_assert_true (marked);
  due = store_list_follow_ups_due (fx->store, v.provider, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 1);
  {
    StoreFollowUpDue *d = g_ptr_array_index (due, 0);
    g_assert_cmpstr (d->last.id, ==, v.visit);
    g_assert_true (d->no_show);
    g_assert_false (d->has_follow_up);
    g_assert_cmpint (d->last.state, ==, VISIT_NO_SHOW);
  }
  g_ptr_array_unref (due);

  b.patient_id = v.patient;
  b.provider_id = v.provider;
  b.scheduled_at_ms = T0 + 7 * DAY;
  b.link_not_before_ms = b.scheduled_at_ms - HOUR;
  b.link_not_after_ms = b.scheduled_at_ms + HOUR;
  g_assert_true (store_book_visit (fx->store, &b, &booked, &error));
  g_assert_no_error (error);
  due = store_list_follow_ups_due (fx->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 0);
  g_ptr_array_unref (due);
  store_booked_visit_clear (&booked);
  visit_clear (&v);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  STORE_TEST_ADD ("followups/suggest-once", test_suggest_once);
  STORE_TEST_ADD ("followups/book-and-overdue", test_book_and_overdue);
  STORE_TEST_ADD ("followups/no-show", test_no_show);
  return g_test_run ();
}
