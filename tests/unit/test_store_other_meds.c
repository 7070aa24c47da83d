/* test_store_other_meds.c — the patient's medications from elsewhere in the
 * store (sqlite or PostgreSQL: store-fixture.h; migration 23,
 * store-other-meds.h): added coded or as free text, stopped once on a date,
 * verified (who, when), listed in the order recorded; another patient's row
 * is not found; the table refuses what the API would never send (a code that
 * is not digits, a stop without a date) and keeps its rows. */
#include <glib.h>
#include <string.h>

#include "server/store/store-private.h"
#include "store-clinical-fixture.h"

static void
test_add_stop_verify (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOtherMedNew coded = { "tramadol", "10689", "50 mg as needed", "Dr Lee", NULL, TRUE };
  StoreOtherMedNew text = { "Herbal sleep tea", NULL, NULL, NULL, NULL, FALSE };
  StoreOtherMed *a, *b, *s, *v;
  GPtrArray *list;
  char *other;

  (void) data;
  a = store_other_med_add (f->store, f->patient, &coded, f->psychiatrist, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->rxnorm, ==, "10689");
  g_assert_cmpstr (a->status, ==, "active");
  g_assert_cmpstr (a->verified_by, ==, f->psychiatrist);
  g_assert_cmpstr (a->verified_by_name, ==, "Dr. Rivera");
  g_assert_cmpint (a->verified_at_ms, >, 0);
  b = store_other_med_add (f->store, f->patient, &text, f->pa, &error);
  g_assert_no_error (error);
  g_assert_null (b->rxnorm);
  g_assert_null (b->verified_by);
  g_assert_cmpstr (b->created_by_name, ==, "Sam Okafor, PA");

  s = store_other_med_stop (f->store, f->patient, b->id, "2026-11-20", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s->status, ==, "stopped");
  g_assert_cmpstr (s->stopped_on, ==, "2026-11-20");
  /* Once. */
  g_assert_null (store_other_med_stop (f->store, f->patient, b->id, "2026-11-21", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "already recorded as stopped on 2026-11-20"));
  g_clear_error (&error);

  v = store_other_med_verify (f->store, f->patient, b->id, f->pmhnp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v->verified_by_name, ==, "Lee Chen, PMHNP");

  /* Another patient's list does not hold it. */
  other = store_create_patient (f->store, "Other Patient", &error);
  g_assert_no_error (error);
  g_assert_null (store_other_med_stop (f->store, other, a->id, "2026-11-21", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (store_other_med_verify (f->store, other, a->id, f->pmhnp, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* A patient who does not exist. */
  g_assert_null (store_other_med_add (f->store, "no-such-patient", &text, f->pa, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  list = store_list_other_meds (f->store, f->patient, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((StoreOtherMed *) g_ptr_array_index (list, 0))->name, ==, "tramadol");
  g_assert_cmpstr (((StoreOtherMed *) g_ptr_array_index (list, 1))->name, ==, "Herbal sleep tea");
  g_ptr_array_unref (list);
  list = store_list_other_meds (f->store, other, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_ptr_array_unref (list);

  store_other_med_free (a);
  store_other_med_free (b);
  store_other_med_free (s);
  store_other_med_free (v);
  g_free (other);
}

/* The table's own rules hold whatever writes to it. */
static void
test_table_rules (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOtherMedNew bad_code = { "tramadol", "10689x", NULL, NULL, NULL, FALSE };
  StoreOtherMedNew empty = { "", NULL, NULL, NULL, NULL, FALSE };
  StoreOtherMedNew ok = { "lisinopril", "29046", NULL, NULL, NULL, FALSE };
  StoreOtherMed *m;

  (void) data;
  g_assert_null (store_other_med_add (f->store, f->patient, &bad_code, f->pa, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (store_other_med_add (f->store, f->patient, &empty, f->pa, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  m = store_other_med_add (f->store, f->patient, &ok, f->pa, &error);
  g_assert_no_error (error);
  /* Stopped needs its date (a CHECK); rows are never deleted (a trigger). */
  g_assert_cmpint (raw_exec_refused (f->store, "UPDATE other_medications SET status = 'stopped'",
                                     NULL),
                   ==, STORE_VIOLATION_OTHER);
  g_assert_cmpint (raw_exec_refused (f->store, "DELETE FROM other_medications",
                                     "other_medications rows are kept"),
                   ==, STORE_VIOLATION_OTHER);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM other_medications"
                                         " WHERE status = 'stopped'"), ==, 0);
  store_other_med_free (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/store-other-meds/add-stop-verify", Fixture, NULL, fixture_set_up,
              test_add_stop_verify, fixture_tear_down);
  g_test_add ("/store-other-meds/table-rules", Fixture, NULL, fixture_set_up, test_table_rules,
              fixture_tear_down);
  return g_test_run ();
}
