/* test_store_clinical.c — the follow-up record in the store (schema
 * version 2): medications, supervision, check-ins, notes, the append-only
 * triggers and the hash-chained audit log. (Medication orders are in
 * test_store_orders.c.) A fresh database per test: a real sqlite file in a
 * temporary directory, or PostgreSQL (store-fixture.h). */
#include "store-clinical-fixture.h"
#include "server/clock/clock.h"

/* ------------------------------------------------------------ schema */

static void
test_schema_fresh (Fixture *f, gconstpointer data)
{
  (void) data;
  /* Later issues add migrations after 2; a fresh file is at the latest. */
  g_assert_cmpint (store_latest_schema_version (), >=, 2);
  g_assert_cmpint (store_schema_version (f->store), ==, store_latest_schema_version ());
  static const char *const tables[] = { "medications",  "checkins",          "checkin_scales",
                                        "checkin_side_effects", "notes", "medication_orders",
                                        "order_events", "audit_events" };
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    g_assert_cmpint (schema_count (f->store, "table", tables[i]), ==, 1);
  /* Two triggers (no update, no delete) on each of eleven append-only tables
   * (seven clinical ones, then chat, consents and modality changes, then
   * per-medication missed doses), then the diary's three and observations
   * (migration 19) = 30, and the no-delete triggers of monitoring alerts and
   * safety tasks (which change once, to be acknowledged or closed) = 32,
   * then the order checks of the safety check (migration 22) = 34, then
   * the diagnoses and allergies with their status events (issue 15) = 42,
   * the pharmacies, order dispense rows, series and PDMP checks = 50, the
   * patient's pregnancy potential = 52; checkin_scales keeps its two after
   * its rebuild. (PostgreSQL also has a no-truncate trigger per append-only
   * table: sqlite has no TRUNCATE.) */
  g_assert_cmpint (schema_count (f->store, "trigger", "%\\_no\\_update") +
                     schema_count (f->store, "trigger", "%\\_no\\_delete"),
                   ==, 52);
  g_assert_cmpint (schema_count (f->store, "trigger", "checkin\\_scales\\_no\\_update") +
                     schema_count (f->store, "trigger", "checkin\\_scales\\_no\\_delete"),
                   ==, 2);
  g_assert_true (table_has_column (f->store, "patients", "in_person_eval_at"));
}

/* A file written by the previous program (schema 1, with data) upgrades in
 * place and keeps its rows. */
static void
test_schema_from_v1 (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *path;
  sqlite3 *db = NULL;
  Store *s;
  char *name = NULL;
  GDate at, want;
  (void) data;

  SKIP_ON_PG ("an sqlite file of schema 1; PostgreSQL's schema starts at its baseline");
  path = g_build_filename (f->dir, "v1.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, store_migration_sql (1), NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "INSERT INTO patients (id, display_name, created_at)"
                                 " VALUES ('p1', 'Old Patient', '2026-01-01T00:00:00.000Z');"
                                 "PRAGMA user_version = 1;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_null (store_migration_sql (store_latest_schema_version () + 1));

  s = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (store_schema_version (s), ==, store_latest_schema_version ());
  g_assert_true (store_get_patient (s, "p1", &name, &error));
  g_assert_cmpstr (name, ==, "Old Patient");
  g_assert_true (store_get_in_person_evaluation (s, "p1", &at, &error));
  g_assert_false (g_date_valid (&at));
  g_assert_true (th_date_parse ("2026-11-05", &want));
  g_assert_true (store_set_in_person_evaluation (s, "p1", &want, &error));
  g_assert_true (store_get_in_person_evaluation (s, "p1", &at, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_date_compare (&at, &want), ==, 0);
  store_close (s);
  /* Reopening does not migrate again. */
  s = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (store_schema_version (s), ==, store_latest_schema_version ());
  store_close (s);
  remove_db (path);
  g_free (path);
  g_free (name);
}

/* Schema 5 stored an in-person evaluation as an instant at 12:00 UTC of the
 * date entered; the upgrade keeps that date and nothing else. */
static void
test_schema_eval_dates (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *path;
  sqlite3 *db = NULL;
  Store *s;
  GDate at;
  g_autofree char *text = NULL;
  (void) data;

  SKIP_ON_PG ("an sqlite file of schema 5; PostgreSQL's schema starts at its baseline");
  path = g_build_filename (f->dir, "v5.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  for (int v = 1; v <= 5; v++)
    g_assert_cmpint (sqlite3_exec (db, store_migration_sql (v), NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "INSERT INTO patients (id, display_name, created_at, in_person_eval_at)"
                                 " VALUES ('p1', 'A', '2026-01-01T00:00:00.000Z',"
                                 "         '2024-11-02T12:00:00.000Z'),"
                                 "        ('p2', 'B', '2026-01-01T00:00:00.000Z', NULL);"
                                 "PRAGMA user_version = 5;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  s = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (store_get_in_person_evaluation (s, "p1", &at, &error));
  g_assert_no_error (error);
  text = th_date_format (&at);
  g_assert_cmpstr (text, ==, "2024-11-02");
  g_assert_true (store_get_in_person_evaluation (s, "p2", &at, &error));
  g_assert_false (g_date_valid (&at));
  store_close (s);
  remove_db (path);
  g_free (path);
}

/* ------------------------------------------------------------ reference data */

static void
test_medications_sync (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreMedicationRow changed = kMeds[0];
  StoreMedicationRow bad = kMeds[1];
  (void) data;

  g_assert_true (store_sync_medications (f->store, kMeds, G_N_ELEMENTS (kMeds), &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM medications"), ==, 3);
  changed.strengths_json = "[25,50]";
  g_assert_true (store_sync_medications (f->store, &changed, 1, &error));
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM medications"), ==, 3);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM medications WHERE id = 'sertraline'"
                                         " AND strengths = '[25,50]'"), ==, 1);
  /* A bad row rolls the whole sync back. */
  changed.strengths_json = "[25]";
  bad.schedule = "VI";
  {
    StoreMedicationRow rows[] = { changed, bad };
    g_assert_false (store_sync_medications (f->store, rows, 2, &error));
    ASSERT_ERR (STORE_ERROR_SQL);
  }
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM medications WHERE strengths = '[25]'"),
                   ==, 0);
}

static void
test_supervisor (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *sup;
  char *other_pa = store_create_staff (f->store, "Pat Doe, PA", "pa", &error);
  (void) data;

  sup = store_get_staff_supervisor (f->store, f->pa, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sup, ==, f->psychiatrist);
  g_free (sup);
  /* Only a psychiatrist supervises, only a PA is supervised. */
  g_assert_false (store_set_staff_supervisor (f->store, other_pa, f->pmhnp, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_staff_supervisor (f->store, f->pmhnp, f->psychiatrist, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_staff_supervisor (f->store, other_pa, "nobody", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  sup = store_get_staff_supervisor (f->store, other_pa, &error);
  g_assert_no_error (error);
  g_assert_null (sup);
  g_assert_null (store_get_staff_supervisor (f->store, "nobody", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  /* Clearing. */
  g_assert_true (store_set_staff_supervisor (f->store, f->pa, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (store_get_staff_supervisor (f->store, f->pa, &error));
  g_assert_no_error (error);
  g_free (other_pa);
}

static void
test_modality_and_eval (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreVisit v = { 0 };
  GDate at, want, none;
  (void) data;

  g_assert_true (store_set_visit_modality (f->store, f->visit, "audio-only", &error));
  g_assert_no_error (error);
  g_assert_true (store_get_visit (f->store, f->visit, &v, &error));
  g_assert_cmpstr (v.modality, ==, "audio-only");
  store_visit_clear (&v);
  g_assert_false (store_set_visit_modality (f->store, f->visit, "fax", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_visit_modality (f->store, "nope", "video", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* A date, stored as YYYY-MM-DD: no time of day to shift it. */
  g_assert_true (th_date_parse ("2028-02-29", &want));
  g_assert_true (store_set_in_person_evaluation (f->store, f->patient, &want, &error));
  g_assert_true (store_get_in_person_evaluation (f->store, f->patient, &at, &error));
  g_assert_cmpint (g_date_compare (&at, &want), ==, 0);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM patients"
                                         " WHERE in_person_eval_at = '2028-02-29'"), ==, 1);
  g_date_clear (&none, 1);
  g_assert_true (store_set_in_person_evaluation (f->store, f->patient, &none, &error));
  g_assert_true (store_get_in_person_evaluation (f->store, f->patient, &at, &error));
  g_assert_no_error (error);
  g_assert_false (g_date_valid (&at));
  g_assert_false (store_set_in_person_evaluation (f->store, "nope", &want, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
}

/* ------------------------------------------------------------ check-ins, notes */

static StoreCheckin *
make_checkin (gint64 at, guint phq_item9, guint gad_total)
{
  StoreCheckin *c = store_checkin_new ();
  StoreScaleResult *phq = g_new0 (StoreScaleResult, 1);
  StoreScaleResult *gad = g_new0 (StoreScaleResult, 1);
  StoreSideEffect *se = g_new0 (StoreSideEffect, 1);

  c->submitted_at_ms = at;
  c->missed_doses_14d = 2;
  phq->scale = g_strdup ("phq9");
  phq->n_items = 9;
  for (guint i = 0; i < 8; i++)
    phq->items[i] = 1;
  phq->items[8] = (gint) phq_item9;
  phq->total = 8 + phq_item9;
  phq->band = g_strdup ("mild");
  phq->alert = phq_item9 > 0;
  gad->scale = g_strdup ("gad7");
  gad->n_items = 7;
  gad->items[0] = (gint) gad_total;
  gad->total = gad_total;
  gad->band = g_strdup ("minimal");
  g_ptr_array_add (c->scales, phq);
  g_ptr_array_add (c->scales, gad);
  se->name = g_strdup ("nausea");
  se->severity = 2;
  g_ptr_array_add (c->side_effects, se);
  return c;
}

static void
test_checkins (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreCheckin *c1 = make_checkin (T0 - 3600000, 0, 3);
  StoreCheckin *c2 = make_checkin (T0 - 1800000, 2, 1);
  StoreCheckin got = { 0 };
  StoreScaleResult *s;
  char *id1, *id2, *visit0;
  GPtrArray *hist;
  StoreScorePoint *p;
  (void) data;

  g_assert_false (store_get_latest_checkin (f->store, f->visit, &got, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  id1 = store_save_checkin (f->store, f->visit, c1, &error);
  g_assert_no_error (error);
  id2 = store_save_checkin (f->store, f->visit, c2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id1, !=, id2);

  g_assert_true (store_get_latest_checkin (f->store, f->visit, &got, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (got.id, ==, id2);
  g_assert_cmpint (got.submitted_at_ms, ==, T0 - 1800000);
  g_assert_cmpint (got.missed_doses_14d, ==, 2);
  g_assert_cmpuint (got.scales->len, ==, 2);
  s = g_ptr_array_index (got.scales, 1);  /* ordered by scale name: gad7, phq9 */
  g_assert_cmpstr (s->scale, ==, "phq9");
  g_assert_cmpuint (s->n_items, ==, 9);
  g_assert_cmpint (s->items[8], ==, 2);
  g_assert_cmpuint (s->total, ==, 10);
  g_assert_true (s->alert);
  g_assert_cmpuint (got.side_effects->len, ==, 1);
  g_assert_cmpstr (((StoreSideEffect *) g_ptr_array_index (got.side_effects, 0))->name, ==,
                   "nausea");
  store_checkin_clear (&got);

  /* Validation: a scale twice, answers out of range, unknown visit. */
  c1->missed_doses_14d = 15;
  g_assert_null (store_save_checkin (f->store, f->visit, c1, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  c1->missed_doses_14d = -1;
  g_assert_null (store_save_checkin (f->store, "nope", c1, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  ((StoreScaleResult *) g_ptr_array_index (c1->scales, 1))->scale[0] = 'p';  /* "pad7" */
  g_assert_null (store_save_checkin (f->store, f->visit, c1, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM checkins"), ==, 2);

  /* History: an earlier visit with one check-in; the later visit's latest wins. */
  visit0 = store_create_visit (f->store, f->patient, f->psychiatrist, T0 - 28 * DAY, &error);
  g_assert_no_error (error);
  g_free (store_save_checkin (f->store, visit0, c2, &error));
  g_assert_no_error (error);
  hist = store_patient_score_history (f->store, f->patient, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hist->len, ==, 4);
  p = g_ptr_array_index (hist, 0);
  g_assert_cmpstr (p->visit_id, ==, visit0);
  g_assert_cmpint (p->scheduled_at_ms, ==, T0 - 28 * DAY);
  p = g_ptr_array_index (hist, 3);
  g_assert_cmpstr (p->visit_id, ==, f->visit);
  g_assert_cmpstr (p->scale, ==, "phq9");
  g_assert_cmpuint (p->total, ==, 10);
  g_assert_true (p->alert);
  g_ptr_array_unref (hist);
  g_assert_null (store_patient_score_history (f->store, "nope", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  hist = store_list_patient_visits (f->store, f->patient, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hist->len, ==, 2);
  g_assert_cmpstr (((StoreVisit *) g_ptr_array_index (hist, 0))->id, ==, visit0);
  g_assert_cmpstr (((StoreVisit *) g_ptr_array_index (hist, 1))->provider_name, ==, "Dr. Rivera");
  g_ptr_array_unref (hist);

  store_checkin_free (c1);
  store_checkin_free (c2);
  g_free (id1);
  g_free (id2);
  g_free (visit0);
}

static void expect_append_only (Fixture *f, const char *sql);

/* Missed doses per medication: each names an order of the patient, within
 * its cap; read back with what the order prescribes. */
static void
test_missed_doses (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *sertraline = start_ok (f, "sertraline", 50);
  StoreOrder *fluoxetine = start_ok (f, "fluoxetine", 20);
  StoreCheckin *c = store_checkin_new ();
  StoreCheckin got = { 0 };
  StoreMissedDose *m;
  char *other = NULL, *visit = NULL, *id;
  (void) data;

  c->missed_doses_14d = -1;
  m = g_new0 (StoreMissedDose, 1);
  m->order_id = g_strdup (sertraline->id);
  m->missed = 28;
  m->max_missed = 28;
  g_ptr_array_add (c->missed_doses, m);
  m = g_new0 (StoreMissedDose, 1);
  m->order_id = g_strdup (fluoxetine->id);
  m->missed = 0;
  m->max_missed = 14;
  g_ptr_array_add (c->missed_doses, m);
  id = store_save_checkin (f->store, f->visit, c, &error);
  g_assert_no_error (error);
  g_assert_true (store_get_latest_checkin (f->store, f->visit, &got, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (got.id, ==, id);
  g_assert_cmpint (got.missed_doses_14d, ==, -1);
  g_assert_cmpuint (got.missed_doses->len, ==, 2);
  m = g_ptr_array_index (got.missed_doses, 0);   /* by medication name */
  g_assert_cmpstr (m->medication_name, ==, "fluoxetine");
  g_assert_cmpuint (m->missed, ==, 0);
  g_assert_cmpuint (m->max_missed, ==, 14);
  m = g_ptr_array_index (got.missed_doses, 1);
  g_assert_cmpstr (m->order_id, ==, sertraline->id);
  g_assert_cmpuint (m->missed, ==, 28);
  g_assert_cmpfloat (m->dose, ==, 50);
  g_assert_cmpstr (m->frequency, ==, "once-daily");
  store_checkin_clear (&got);
  g_free (id);

  /* Above the cap, the same order twice, another patient's order: refused. */
  m = g_ptr_array_index (c->missed_doses, 0);
  m->missed = 29;
  g_assert_null (store_save_checkin (f->store, f->visit, c, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  m->missed = 1;
  g_free (((StoreMissedDose *) g_ptr_array_index (c->missed_doses, 1))->order_id);
  ((StoreMissedDose *) g_ptr_array_index (c->missed_doses, 1))->order_id = g_strdup (m->order_id);
  g_assert_null (store_save_checkin (f->store, f->visit, c, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_ptr_array_remove_index (c->missed_doses, 1);
  other = store_create_patient (f->store, "Other Patient", &error);
  visit = store_create_visit (f->store, other, f->psychiatrist, T0, &error);
  g_assert_no_error (error);
  g_assert_null (store_save_checkin (f->store, visit, c, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM checkins"), ==, 1);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM checkin_missed_doses"), ==, 2);
  expect_append_only (f, "UPDATE checkin_missed_doses SET missed = 0");
  expect_append_only (f, "DELETE FROM checkin_missed_doses");

  store_checkin_free (c);
  store_order_free (sertraline);
  store_order_free (fluoxetine);
  g_free (other);
  g_free (visit);
}

/* The 18-item checklist is stored whole (18 answers, no band). */
static void
test_asrs18_row (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreCheckin *c = store_checkin_new ();
  StoreScaleResult *s = g_new0 (StoreScaleResult, 1);
  StoreCheckin got = { 0 };
  GPtrArray *hist;
  (void) data;

  s->scale = g_strdup ("asrs18");
  s->n_items = 18;
  for (guint i = 0; i < 18; i++)
    s->items[i] = (gint) (i % 5);
  s->total = 36;
  s->band = g_strdup ("");
  g_ptr_array_add (c->scales, s);
  g_free (store_save_checkin (f->store, f->visit, c, &error));
  g_assert_no_error (error);
  g_assert_true (store_get_latest_checkin (f->store, f->visit, &got, &error));
  s = g_ptr_array_index (got.scales, 0);
  g_assert_cmpstr (s->scale, ==, "asrs18");
  g_assert_cmpuint (s->n_items, ==, 18);
  g_assert_cmpint (s->items[17], ==, 2);
  store_checkin_clear (&got);
  hist = store_patient_score_history (f->store, f->patient, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hist->len, ==, 1);
  g_assert_cmpuint (((StoreScorePoint *) g_ptr_array_index (hist, 0))->n_items, ==, 18);
  g_assert_cmpint (((StoreScorePoint *) g_ptr_array_index (hist, 0))->items[4], ==, 4);
  g_ptr_array_unref (hist);
  /* A band is still required of every other scale. */
  g_free (((StoreScaleResult *) g_ptr_array_index (c->scales, 0))->scale);
  ((StoreScaleResult *) g_ptr_array_index (c->scales, 0))->scale = g_strdup ("gad7");
  g_assert_null (store_save_checkin (f->store, f->visit, c, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  store_checkin_free (c);
}

static void
test_birth_date (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *date = NULL;
  (void) data;

  g_assert_true (store_get_patient_birth_date (f->store, f->patient, &date, &error));
  g_assert_null (date);
  g_assert_true (store_set_patient_birth_date (f->store, f->patient, "1984-02-29", &error));
  g_assert_no_error (error);
  g_assert_true (store_get_patient_birth_date (f->store, f->patient, &date, &error));
  g_assert_cmpstr (date, ==, "1984-02-29");
  g_free (date);
  for (guint i = 0; i < 5; i++) {
    static const char *const bad[] = { "1985-02-29", "1984-3-7", "1984-03-07T00:00:00Z",
                                       "07/03/1984", "" };
    g_assert_false (store_set_patient_birth_date (f->store, f->patient, bad[i], &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
  }
  g_assert_false (store_set_patient_birth_date (f->store, "nope", "1984-03-07", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_true (store_set_patient_birth_date (f->store, f->patient, NULL, &error));
  g_assert_true (store_get_patient_birth_date (f->store, f->patient, &date, &error));
  g_assert_null (date);
}

/* An earlier visit's order stopped in this visit belongs to this visit's
 * orders (export and timeline); the earlier visit keeps it too. */
static void
test_visit_orders_stop_later (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *o = start_ok (f, "sertraline", 50);
  StoreAdjustment stop = { .kind = ADJUST_STOP, .prescriber_id = f->psychiatrist,
                           .reason = "remission", .replaces_order_id = o->id };
  char *later = store_create_visit (f->store, f->patient, f->psychiatrist, T0 + 28 * DAY, &error);
  GPtrArray *orders;
  (void) data;

  g_assert_no_error (error);
  orders = store_list_visit_orders (f->store, later, &error);
  g_assert_cmpuint (orders->len, ==, 0);
  g_ptr_array_unref (orders);
  stop.visit_id = later;
  store_order_free (store_apply_adjustment (f->store, &stop, &error));
  g_assert_no_error (error);
  orders = store_list_visit_orders (f->store, later, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (orders->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (orders, 0))->id, ==, o->id);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (orders, 0))->status, ==, "stopped");
  g_ptr_array_unref (orders);
  orders = store_list_visit_orders (f->store, f->visit, &error);
  g_assert_cmpuint (orders->len, ==, 1);
  g_ptr_array_unref (orders);
  store_order_free (o);
  g_free (later);
}

static void
test_notes (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  GPtrArray *notes;
  char *id;
  (void) data;

  id = store_add_note (f->store, f->visit, f->psychiatrist, "Sleeping better.", &error);
  g_assert_no_error (error);
  g_free (id);
  g_free (store_add_note (f->store, f->visit, f->pa, "Second note.", &error));
  g_assert_no_error (error);
  g_assert_null (store_add_note (f->store, f->visit, f->psychiatrist, "", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_add_note (f->store, f->visit, "nobody", "x", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_add_note (f->store, "nope", f->psychiatrist, "x", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  notes = store_list_notes (f->store, f->visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (notes->len, ==, 2);
  g_assert_cmpstr (((StoreNote *) g_ptr_array_index (notes, 0))->text, ==, "Sleeping better.");
  g_assert_cmpstr (((StoreNote *) g_ptr_array_index (notes, 0))->author_name, ==, "Dr. Rivera");
  g_assert_cmpstr (((StoreNote *) g_ptr_array_index (notes, 1))->author_id, ==, f->pa);
  g_ptr_array_unref (notes);
}

/* ------------------------------------------------------------ append-only, audit */

static void
expect_append_only (Fixture *f, const char *sql)
{
  g_assert_cmpint (raw_exec_refused (f->store, sql, "is append-only"), ==,
                   STORE_VIOLATION_OTHER);
}

static void
test_append_only (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *o = start_ok (f, "sertraline", 50);
  StoreCheckin *c = make_checkin (T0, 0, 0);
  (void) data;

  store_order_free (adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, o->id, NULL, 0, &error));
  g_assert_no_error (error);
  g_free (store_save_checkin (f->store, f->visit, c, &error));
  g_free (store_add_note (f->store, f->visit, f->psychiatrist, "note", &error));
  g_assert_true (store_audit_append (f->store, f->psychiatrist, "order.start", o->id, "{}", &error));
  g_assert_no_error (error);

  expect_append_only (f, "UPDATE medication_orders SET dose = 1");
  expect_append_only (f, "DELETE FROM medication_orders");
  expect_append_only (f, "UPDATE order_events SET reason = 'x'");
  expect_append_only (f, "DELETE FROM order_events");
  expect_append_only (f, "UPDATE audit_events SET detail = '{}'");
  expect_append_only (f, "DELETE FROM audit_events");
  expect_append_only (f, "UPDATE checkins SET missed_doses_14d = 0");
  expect_append_only (f, "DELETE FROM checkin_scales");
  expect_append_only (f, "DELETE FROM checkin_side_effects");
  expect_append_only (f, "UPDATE notes SET text = 'x'");
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM medication_orders WHERE dose = 50"),
                   ==, 1);
  store_checkin_free (c);
  store_order_free (o);
}

static void
test_audit_chain (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *zeros = g_strnfill (64, '0');
  guint n = 99;
  (void) data;

  g_assert_true (store_audit_verify (f->store, &n, &error));
  g_assert_cmpuint (n, ==, 0);
  for (int i = 0; i < 5; i++) {
    char *detail = g_strdup_printf ("{\"i\":%d}", i);
    g_assert_true (store_audit_append (f->store, f->psychiatrist, "order.start", "o1", detail,
                                       &error));
    g_assert_no_error (error);
    g_free (detail);
  }
  g_assert_false (store_audit_append (f->store, "", "x", NULL, NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_true (store_audit_verify (f->store, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpint (query_int (f->store, "SELECT count(*) FROM audit_events WHERE seq = 1"
                                       " AND prev_hash = ?1", zeros), ==, 1);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM audit_events a JOIN audit_events b"
                                         " ON b.seq = a.seq + 1 WHERE b.prev_hash = a.hash"), ==, 4);

  /* Tamper behind the program's back: drop (PostgreSQL: disable) the
   * guard, edit row 3. */
  raw_exec (f->store, fixture_on_pg () ? "ALTER TABLE audit_events DISABLE TRIGGER USER"
                                       : "DROP TRIGGER audit_events_no_update;"
                                         "DROP TRIGGER audit_events_no_delete");
  raw_exec (f->store, "UPDATE audit_events SET detail = '{\"i\":9}' WHERE seq = 3");
  g_assert_false (store_audit_verify (f->store, &n, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "seq 3"));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpuint (n, ==, 2);
  /* Restore the detail, then delete row 2: the link at 3 breaks. */
  raw_exec (f->store, "UPDATE audit_events SET detail = '{\"i\":2}' WHERE seq = 3");
  g_assert_true (store_audit_verify (f->store, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  raw_exec (f->store, "DELETE FROM audit_events WHERE seq = 2");
  g_assert_false (store_audit_verify (f->store, &n, &error));
  g_assert_nonnull (strstr (error->message, "seq 3"));
  ASSERT_ERR (STORE_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                                     \
  g_test_add ("/store-clinical/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("schema/fresh", test_schema_fresh);
  ADD ("schema/from-v1", test_schema_from_v1);
  ADD ("schema/in-person-dates", test_schema_eval_dates);
  ADD ("medications/sync", test_medications_sync);
  ADD ("staff/supervisor", test_supervisor);
  ADD ("visits/modality-and-in-person", test_modality_and_eval);
  ADD ("checkins/save-latest-history", test_checkins);
  ADD ("checkins/missed-doses-per-medication", test_missed_doses);
  ADD ("checkins/asrs18", test_asrs18_row);
  ADD ("patients/birth-date", test_birth_date);
  ADD ("orders/visit-includes-stop-of-earlier-order", test_visit_orders_stop_later);
  ADD ("notes/add-list", test_notes);
  ADD ("append-only/triggers", test_append_only);
  ADD ("audit/chain", test_audit_chain);
#undef ADD
  return g_test_run ();
}
