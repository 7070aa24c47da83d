/* test_store_patients.c — the patients' details in the store (sqlite or
 * PostgreSQL: store-fixture.h; server/store/patients.c, migration 13): an
 * older sqlite file's patients get NULLs; create, read, replace; the MRN
 * unique without case; the search by name, word, MRN and date of birth, and
 * who it shows; the duplicates. */
#include "tests/unit/store-fixture.h"

static const StorePatient kAna = { .name = "Ana Lima",
                                   .birth_date = "1990-04-30",
                                   .mrn = "MRN-1",
                                   .email = "ana@example.org",
                                   .phone = "+15550100142",
                                   .time_zone = "America/Chicago",
                                   .region = "IL",
                                   .language = "pt-BR" };

static void
test_upgrade_keeps_patients (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *path;
  sqlite3 *db = NULL;
  StorePatient p = { 0 };
  Store *s;
  (void) data;

  SKIP_ON_PG ("an sqlite file from before migration 13; PostgreSQL's schema starts after it");
  path = g_build_filename (f->dir, "old.db", NULL);
  /* The schema just before this change, with a patient in it. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  for (int v = 1; v < store_latest_schema_version (); v++) {
    const char *sql = store_migration_sql (v);
    if (strstr (sql, "ADD COLUMN mrn"))
      break;
    g_autofree char *version = g_strdup_printf ("PRAGMA user_version = %d", v);
    g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, version, NULL, NULL, NULL), ==, SQLITE_OK);
  }
  g_assert_cmpint (sqlite3_exec (db,
                                 "INSERT INTO patients (id, display_name, created_at)"
                                 " VALUES ('p1', 'Old Patient', '2026-01-01T00:00:00.000Z');",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  s = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (store_patient_get (s, "p1", &p, &error));
  g_assert_cmpstr (p.name, ==, "Old Patient");
  g_assert_null (p.mrn);
  g_assert_null (p.email);
  g_assert_null (p.phone);
  g_assert_null (p.time_zone);
  g_assert_null (p.region);
  g_assert_null (p.language);
  g_assert_null (p.created_by);
  store_patient_clear (&p);
  store_close (s);
  remove_db (path);
  g_free (path);
}

static void
test_create_update (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  StorePatient p = { 0 }, other = kAna;
  g_autofree char *staff = store_create_staff (f->store, "Front Desk", "admin", &error);
  g_autofree char *id = store_patient_create (f->store, &kAna, staff, &error);
  g_autofree char *id2 = NULL;
  (void) data;

  g_assert_no_error (error);
  g_assert_true (store_patient_get (f->store, id, &p, &error));
  g_assert_cmpstr (p.mrn, ==, "MRN-1");
  g_assert_cmpstr (p.phone, ==, "+15550100142");
  g_assert_cmpstr (p.created_by, ==, staff);
  store_patient_clear (&p);
  /* The MRN is the clinic's: one patient each, case ignored. */
  other.name = "Someone Else";
  other.mrn = "mrn-1";
  g_assert_null (store_patient_create (f->store, &other, staff, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  other.mrn = "MRN-2";
  id2 = store_patient_create (f->store, &other, staff, &error);
  g_assert_no_error (error);
  g_assert_false (store_patient_update (f->store, id2, &kAna, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  /* Keeping one's own number is no conflict; the rest is replaced. */
  other.email = NULL;
  g_assert_true (store_patient_update (f->store, id2, &other, &error));
  g_assert_true (store_patient_get (f->store, id2, &p, &error));
  g_assert_null (p.email);
  store_patient_clear (&p);
  g_assert_false (store_patient_update (f->store, "nobody", &other, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  /* The database refuses a phone that is not E.164, whoever writes it. */
  g_assert_cmpint (raw_exec_refused (f->store, "UPDATE patients SET phone = '555-0100'", NULL), ==,
                   STORE_VIOLATION_OTHER);
}

static guint
found (Store *store, const char *q, const char *visible_to)
{
  GError *error = NULL;
  GPtrArray *list = store_patient_find (store, q, visible_to, 20, &error);
  guint n;

  g_assert_no_error (error);
  n = list->len;
  g_ptr_array_unref (list);
  return n;
}

static void
test_find_and_duplicates (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *desk = store_create_staff (f->store, "Desk", "admin", &error);
  g_autofree char *doc = store_create_staff (f->store, "Dr. A", "psychiatrist", &error);
  g_autofree char *id = store_patient_create (f->store, &kAna, desk, &error);
  g_autofree char *visit = NULL;
  GPtrArray *dups;
  gboolean visible = TRUE;
  (void) data;

  g_assert_cmpuint (found (f->store, "ana", NULL), ==, 1);
  g_assert_cmpuint (found (f->store, "LIM", NULL), ==, 1);
  g_assert_cmpuint (found (f->store, "mrn-", NULL), ==, 1);
  g_assert_cmpuint (found (f->store, "1990-04", NULL), ==, 1);
  g_assert_cmpuint (found (f->store, "ima", NULL), ==, 0);
  g_assert_cmpuint (found (f->store, "_", NULL), ==, 0);
  /* Dr. A has no visit with Ana and did not create her. */
  g_assert_cmpuint (found (f->store, "ana", doc), ==, 0);
  g_assert_true (store_patient_visible (f->store, id, doc, &visible, &error));
  g_assert_false (visible);
  visit = store_create_visit (f->store, id, doc, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found (f->store, "ana", doc), ==, 1);
  g_assert_true (store_patient_visible (f->store, id, doc, &visible, &error));
  g_assert_true (visible);

  dups = store_patient_duplicates (f->store, "  ANA LIMA ", "1990-04-30", NULL, &error);
  g_assert_cmpuint (dups->len, ==, 1);
  g_ptr_array_unref (dups);
  dups = store_patient_duplicates (f->store, "Ana Lima", "1990-04-30", id, &error);
  g_assert_cmpuint (dups->len, ==, 0);
  g_ptr_array_unref (dups);
  dups = store_patient_duplicates (f->store, "Ana Lima", "1990-05-01", NULL, &error);
  g_assert_cmpuint (dups->len, ==, 0);
  g_ptr_array_unref (dups);
  g_assert_no_error (error);
}

/* The care team and the relations store_patient_relation reports: each on
 * its own, from the rows that make it (a visit, a membership, a PA's visit
 * under supervision); the front desk is never a member. */
static void
test_care_team (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *desk = store_create_staff (f->store, "Desk", "admin", &error);
  g_autofree char *psy = store_create_staff (f->store, "Dr. Sup", "psychiatrist", &error);
  g_autofree char *pa = store_create_staff (f->store, "Pat PA", "pa", &error);
  g_autofree char *pcp = store_create_staff (f->store, "Dr. Pcp", "pcp", &error);
  g_autofree char *id = store_patient_create (f->store, &kAna, desk, &error);
  g_autofree char *visit = NULL;
  GPtrArray *team, *day;
  StorePatientRelation rel;
  StoreCareTeamMember *m;
  gboolean added = FALSE, visible = TRUE;
  (void) data;

  g_assert_no_error (error);
  g_assert_true (store_set_staff_supervisor (f->store, pa, psy, &error));
  g_assert_true (store_patient_relation (f->store, id, psy, &rel, &error));
  g_assert_false (rel.created || rel.had_visit || rel.care_team || rel.supervises);
  g_assert_true (store_patient_relation (f->store, id, desk, &rel, &error));
  g_assert_true (rel.created && !rel.had_visit);

  /* A PA's visit: the PA saw the patient; the supervisor supervises it. */
  visit = store_create_visit (f->store, id, pa, T0, &error);
  g_assert_no_error (error);
  g_assert_true (store_patient_relation (f->store, id, pa, &rel, &error));
  g_assert_true (rel.had_visit && !rel.supervises);
  g_assert_true (store_patient_relation (f->store, id, psy, &rel, &error));
  g_assert_true (rel.supervises && !rel.had_visit && !rel.care_team);
  g_assert_true (store_patient_visible (f->store, id, psy, &visible, &error));
  g_assert_true (visible);
  g_assert_cmpuint (found (f->store, "ana", psy), ==, 1);
  day = store_list_supervised_visits (f->store, psy, T0 - 1000, T0 + 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (day->len, ==, 1);
  g_assert_cmpstr (((StoreVisit *) g_ptr_array_index (day, 0))->id, ==, visit);
  g_ptr_array_unref (day);
  day = store_list_supervised_visits (f->store, pa, T0 - 1000, T0 + 1000, &error);
  g_assert_cmpuint (day->len, ==, 0);
  g_ptr_array_unref (day);

  /* The care team: a clinician joins once; the front desk never. */
  g_assert_true (store_patient_visible (f->store, id, pcp, &visible, &error));
  g_assert_false (visible);
  g_assert_true (store_care_team_add (f->store, id, pcp, pa, &added, &error));
  g_assert_true (added);
  g_assert_true (store_care_team_add (f->store, id, pcp, pa, &added, &error));
  g_assert_false (added);
  g_assert_false (store_care_team_add (f->store, id, desk, pa, &added, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (store_care_team_add (f->store, id, "no-such-staff", pa, &added, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (store_patient_relation (f->store, id, pcp, &rel, &error));
  g_assert_true (rel.care_team && !rel.had_visit && !rel.supervises);
  g_assert_true (store_patient_visible (f->store, id, pcp, &visible, &error));
  g_assert_true (visible);
  team = store_care_team_list (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (team->len, ==, 1);
  m = g_ptr_array_index (team, 0);
  g_assert_cmpstr (m->display_name, ==, "Dr. Pcp");
  g_assert_cmpstr (m->role, ==, "pcp");
  g_assert_cmpstr (m->added_by_name, ==, "Pat PA");
  g_ptr_array_unref (team);

  g_assert_true (store_care_team_remove (f->store, id, pcp, &error));
  g_assert_false (store_care_team_remove (f->store, id, pcp, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (store_patient_relation (f->store, id, pcp, &rel, &error));
  g_assert_false (rel.care_team);
  g_assert_false (store_patient_relation (f->store, "no-such-patient", pcp, &rel, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (store_care_team_list (f->store, "no-such-patient", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  STORE_TEST_ADD ("patients/upgrade", test_upgrade_keeps_patients);
  STORE_TEST_ADD ("patients/create-update", test_create_update);
  STORE_TEST_ADD ("patients/find-duplicates", test_find_and_duplicates);
  STORE_TEST_ADD ("patients/care-team", test_care_team);
  return g_test_run ();
}
