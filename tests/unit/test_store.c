/* test_store.c — the store (schema, time text, people, visits and their
 * timeline) against a fresh database per test: a real sqlite file in a
 * temporary directory, or PostgreSQL (store-fixture.h). The tokens are in
 * test_tokens.c. */
#include "store-fixture.h"

typedef StoreFixture Fixture;

static void
reopen (Fixture *f)
{
  GError *error = NULL;
  store_close (f->store);
  f->store = fixture_open_again (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

/* ------------------------------------------------------------ schema */

static void
test_schema_migrated (Fixture *f, gconstpointer data)
{
  const char *tables[] = { "staff", "patients", "visits", "participants", "visit_events",
                           "join_tokens" };
  (void) data;
  g_assert_cmpint (store_latest_schema_version (), >=, 1);
  g_assert_cmpint (store_schema_version (f->store), ==, store_latest_schema_version ());
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    g_assert_cmpint (schema_count (f->store, "table", tables[i]), ==, 1);
  g_assert_cmpint (schema_count (f->store, "index", "visits_by_provider"), ==, 1);
  /* Console tokens gave way to sign-in sessions: their table is gone. */
  g_assert_cmpint (schema_count (f->store, "table", "console_tokens"), ==, 0);
  g_assert_cmpint (schema_count (f->store, "index", "visit_events_by_visit"), ==, 1);
}

static void
test_schema_reopen (Fixture *f, gconstpointer data)
{
  (void) data;
  reopen (f);
  g_assert_cmpint (store_schema_version (f->store), ==, store_latest_schema_version ());
  reopen (f);
  g_assert_cmpint (store_schema_version (f->store), ==, store_latest_schema_version ());
  g_assert_cmpint (schema_count (f->store, "table", "staff"), ==, 1);
}

static void
test_schema_newer_refused (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  sqlite3 *db = NULL;
  char *sql;
  (void) data;

  SKIP_ON_PG ("sqlite's user_version; test_store_pg.c refuses a newer PostgreSQL schema");
  store_close (f->store);
  f->store = NULL;
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sql = g_strdup_printf ("PRAGMA user_version = %d", store_latest_schema_version () + 1);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_free (sql);
  sqlite3_close (db);

  f->store = store_open (f->path, &error);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_SCHEMA);
  g_assert_null (f->store);
  g_clear_error (&error);

  /* The file was not touched. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite_query_int (db, "PRAGMA user_version"), ==,
                   store_latest_schema_version () + 1);
  sqlite3_close (db);
}

static void
test_schema_not_a_database (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *junk;
  Store *s;
  (void) data;
  SKIP_ON_PG ("a file that is not an sqlite database; test_store_pg.c has an unreachable DSN");
  junk = g_build_filename (f->dir, "junk.db", NULL);
  g_assert_true (g_file_set_contents (junk, "this is not sqlite, just some text that is long "
                                            "enough to be read as a header page......", -1, NULL));
  s = store_open (junk, &error);
  g_assert_null (s);
  ASSERT_ERR (STORE_ERROR_SQL);
  g_assert_null (store_open ("", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_remove (junk);
  g_free (junk);
}

static void
test_schema_pragmas (Fixture *f, gconstpointer data)
{
  sqlite3 *db;
  sqlite3 *other = NULL;
  char *mode;
  (void) data;

  SKIP_ON_PG ("sqlite's PRAGMAs and WAL; PostgreSQL has neither");
  db = store_get_db (f->store);
  g_assert_cmpint (sqlite_query_int (db, "PRAGMA foreign_keys"), ==, 1);
  mode = sqlite_query_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_free (mode);
  g_assert_cmpint (sqlite_query_int (db, "PRAGMA synchronous"), ==, 1); /* NORMAL */

  /* WAL is a property of the file: a second connection sees it too. */
  g_assert_cmpint (sqlite3_open (f->path, &other), ==, SQLITE_OK);
  mode = sqlite_query_text (other, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_free (mode);
  sqlite3_close (other);
}

/* Foreign keys are enforced on the store's connection. */
static void
test_schema_foreign_keys (Fixture *f, gconstpointer data)
{
  (void) data;
  g_assert_cmpint (raw_exec_refused (f->store,
                                     "INSERT INTO visits (id, patient_id, provider_id,"
                                     " scheduled_at, created_at, updated_at) VALUES ('v',"
                                     " 'nobody', 'nobody', '2026-01-01T00:00:00.000Z',"
                                     " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                                     NULL),
                   ==, STORE_VIOLATION_FOREIGN_KEY);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM visits"), ==, 0);
}

static void
test_time_format (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  gint64 ms = 0;
  char *text;
  (void) f;
  (void) data;

  text = store_format_time (T0 + 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "2026-11-27T12:00:00.007Z");
  g_assert_true (store_parse_time (text, &ms));
  g_assert_cmpint (ms, ==, T0 + 7);
  g_free (text);

  text = store_format_time (0, &error);
  g_assert_cmpstr (text, ==, "1970-01-01T00:00:00.000Z");
  g_free (text);
  text = store_format_time (STORE_MAX_TIME_MS, &error);
  g_assert_cmpstr (text, ==, "9999-12-31T23:59:59.999Z");
  g_assert_true (store_parse_time (text, &ms));
  g_assert_cmpint (ms, ==, STORE_MAX_TIME_MS);
  g_free (text);

  g_assert_null (store_format_time (-1, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_format_time (STORE_MAX_TIME_MS + 1, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_parse_time ("yesterday", &ms));
  g_assert_false (store_parse_time (NULL, &ms));

  g_assert_cmpint (store_now_ms (), >, T0 - 400 * 24 * HOUR);
}

/* The PostgreSQL baseline (schema_pg.c) is the schema at some sqlite
 * version; every migration after it has a PostgreSQL text (its own or
 * sqlite's). That the text loads and builds the same schema is the
 * pg-schema test's part (test_pg_schema.c, on a real PostgreSQL). */
static void
test_schema_pg_baseline_version (void)
{
  g_assert_cmpint (STORE_PG_BASELINE_VERSION, <=, store_latest_schema_version ());
  g_assert_cmpuint (store_pg_baseline_count, >, 0);
  g_assert_null (store_pg_migration_sql (STORE_PG_BASELINE_VERSION));
  for (int v = STORE_PG_BASELINE_VERSION + 1; v <= store_latest_schema_version (); v++)
    g_assert_nonnull (store_pg_migration_sql (v));
  g_assert_null (store_pg_migration_sql (store_latest_schema_version () + 1));
}

/* ------------------------------------------------------------ people */

static void
test_people (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *staff, *patient, *name = NULL, *role = NULL;
  (void) data;

  staff = store_create_staff (f->store, "Dr. Lee", "pmhnp", &error);
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (staff));
  patient = store_create_patient (f->store, "Sam Patient", &error);
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (patient));

  g_assert_true (store_get_staff (f->store, staff, &name, &role, &error));
  g_assert_cmpstr (name, ==, "Dr. Lee");
  g_assert_cmpstr (role, ==, "pmhnp");
  g_clear_pointer (&name, g_free);
  g_clear_pointer (&role, g_free);
  g_assert_true (store_get_staff (f->store, staff, NULL, NULL, &error));
  g_assert_true (store_get_patient (f->store, patient, &name, &error));
  g_assert_cmpstr (name, ==, "Sam Patient");
  g_clear_pointer (&name, g_free);

  g_assert_false (store_get_staff (f->store, patient, &name, NULL, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (name);
  g_assert_false (store_get_patient (f->store, "no-such-id", NULL, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  g_assert_null (store_create_staff (f->store, "Dr. X", "surgeon", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_create_staff (f->store, "Dr. X", NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_create_patient (f->store, "", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_create_patient (f->store, NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM staff"), ==, 1);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM patients"), ==, 1);

  g_free (staff);
  g_free (patient);
}

/* ------------------------------------------------------------ visits */

static void
test_visit_create (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreVisit v = { 0 };
  StoreParticipant p = { 0 };
  GPtrArray *tl;
  Visit vis;
  char *admin, *id;
  (void) data;

  make_visit (f->store, &vis, T0);
  g_assert_true (store_get_visit (f->store, vis.visit, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (v.id, ==, vis.visit);
  g_assert_cmpstr (v.patient_id, ==, vis.patient);
  g_assert_cmpstr (v.patient_name, ==, "Alex Example");
  g_assert_cmpstr (v.provider_id, ==, vis.provider);
  g_assert_cmpstr (v.provider_name, ==, "Dr. Rivera");
  g_assert_cmpint (v.scheduled_at_ms, ==, T0);
  g_assert_cmpint (v.state, ==, VISIT_SCHEDULED);
  g_assert_cmpstr (v.modality, ==, "video");
  g_assert_cmpint (ABS (v.created_at_ms - store_now_ms ()), <, 60000);
  store_visit_clear (&v);
  g_assert_null (v.id);

  g_assert_true (store_find_visit_participant (f->store, vis.visit, PARTICIPANT_PATIENT, &p, &error));
  g_assert_cmpint (p.role, ==, PARTICIPANT_PATIENT);
  g_assert_cmpstr (p.visit_id, ==, vis.visit);
  g_assert_cmpstr (p.display_name, ==, "Alex Example");
  g_assert_cmpstr (p.person_id, ==, vis.patient);
  id = g_strdup (p.id);
  store_participant_clear (&p);
  g_assert_true (store_get_participant (f->store, id, &p, &error));
  g_assert_cmpstr (p.person_id, ==, vis.patient);
  store_participant_clear (&p);
  g_free (id);

  g_assert_true (store_find_visit_participant (f->store, vis.visit, PARTICIPANT_PROVIDER, &p, &error));
  g_assert_cmpint (p.role, ==, PARTICIPANT_PROVIDER);
  g_assert_cmpstr (p.display_name, ==, "Dr. Rivera");
  g_assert_cmpstr (p.person_id, ==, vis.provider);
  store_participant_clear (&p);
  g_assert_false (store_find_visit_participant (f->store, vis.visit, PARTICIPANT_GUEST, &p, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_get_participant (f->store, "nope", &p, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  tl = store_visit_timeline (f->store, vis.visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tl->len, ==, 1);
  g_assert_cmpstr (((StoreVisitEvent *) tl->pdata[0])->kind, ==, "state");
  g_assert_cmpstr (((StoreVisitEvent *) tl->pdata[0])->state, ==, "scheduled");
  g_assert_null (((StoreVisitEvent *) tl->pdata[0])->participant_id);
  g_ptr_array_unref (tl);

  /* Refusals write nothing. */
  g_assert_null (store_create_visit (f->store, "no-patient", vis.provider, T0, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_create_visit (f->store, vis.patient, "no-provider", T0, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_create_visit (f->store, vis.patient, NULL, T0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_create_visit (f->store, vis.patient, vis.provider, -5, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  admin = store_create_staff (f->store, "Front Desk", "admin", &error);
  g_assert_null (store_create_visit (f->store, vis.patient, admin, T0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_free (admin);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM visits"), ==, 1);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM participants"), ==, 2);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM visit_events"), ==, 1);

  g_assert_false (store_get_visit (f->store, "no-visit", &v, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_visit_timeline (f->store, "no-visit", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  visit_clear (&vis);
}

static void
test_visit_list_window (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  GPtrArray *list;
  Visit a;
  char *other, *v2, *v3, *v4, *v5;
  (void) data;

  make_visit (f->store, &a, T0 + 2 * HOUR); /* provider's second visit of the day */
  other = store_create_staff (f->store, "Dr. Other", "pcp", &error);
  v2 = store_create_visit (f->store, a.patient, a.provider, T0, &error);
  v3 = store_create_visit (f->store, a.patient, a.provider, T0 + 24 * HOUR, &error);
  v4 = store_create_visit (f->store, a.patient, other, T0 + HOUR, &error);
  v5 = store_create_visit (f->store, a.patient, a.provider, T0 - 1, &error);
  g_assert_no_error (error);

  list = store_list_provider_visits (f->store, a.provider, T0, T0 + 24 * HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((StoreVisit *) list->pdata[0])->id, ==, v2);   /* by time */
  g_assert_cmpstr (((StoreVisit *) list->pdata[1])->id, ==, a.visit);
  g_assert_cmpstr (((StoreVisit *) list->pdata[0])->patient_name, ==, "Alex Example");
  g_ptr_array_unref (list);

  list = store_list_provider_visits (f->store, other, T0, T0 + 24 * HOUR, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((StoreVisit *) list->pdata[0])->id, ==, v4);
  g_ptr_array_unref (list);

  list = store_list_provider_visits (f->store, a.provider, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmpstr (((StoreVisit *) list->pdata[0])->id, ==, v5);
  g_assert_cmpstr (((StoreVisit *) list->pdata[3])->id, ==, v3);
  g_ptr_array_unref (list);

  list = store_list_provider_visits (f->store, a.provider, T0, T0, &error);
  g_assert_cmpuint (list->len, ==, 0);
  g_ptr_array_unref (list);
  list = store_list_provider_visits (f->store, "nobody", T0, T0 + HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_ptr_array_unref (list);

  g_free (other);
  g_free (v2);
  g_free (v3);
  g_free (v4);
  g_free (v5);
  visit_clear (&a);
}

static void
test_transition_table (Fixture *f, gconstpointer data)
{
  /* rows: from, columns: to (scheduled, waiting, in_progress, ended) */
  static const gboolean allowed[4][4] = {
    { FALSE, TRUE, TRUE, TRUE },
    { TRUE, FALSE, TRUE, TRUE },
    { FALSE, FALSE, FALSE, TRUE },
    { FALSE, FALSE, FALSE, FALSE },
  };
  VisitState s;
  (void) f;
  (void) data;
  for (int from = 0; from < 4; from++)
    for (int to = 0; to < 4; to++)
      g_assert_cmpint (visit_state_transition_allowed (from, to), ==, allowed[from][to]);
  g_assert_false (visit_state_transition_allowed (VISIT_SCHEDULED, (VisitState) 42));
  g_assert_false (visit_state_transition_allowed ((VisitState) 42, VISIT_ENDED));

  g_assert_cmpstr (visit_state_name (VISIT_IN_PROGRESS), ==, "in_progress");
  g_assert_null (visit_state_name ((VisitState) 42));
  g_assert_true (visit_state_from_name ("waiting", &s));
  g_assert_cmpint (s, ==, VISIT_WAITING);
  g_assert_false (visit_state_from_name ("Waiting", &s));
  g_assert_false (visit_state_from_name (NULL, &s));
  g_assert_cmpstr (participant_role_name (PARTICIPANT_GUEST), ==, "guest");
  g_assert_null (participant_role_name ((ParticipantRole) 9));
}

static void
assert_timeline_len (Fixture *f, const char *visit, guint len)
{
  GError *error = NULL;
  GPtrArray *tl = store_visit_timeline (f->store, visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tl->len, ==, len);
  g_ptr_array_unref (tl);
}

static void
assert_visit_state (Fixture *f, const char *visit, VisitState state)
{
  GError *error = NULL;
  StoreVisit v = { 0 };

  g_assert_true (store_get_visit (f->store, visit, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpint (v.state, ==, state);
  store_visit_clear (&v);
}

static void
test_visit_transitions (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreVisit v = { 0 };
  Visit a;
  char *updated_before, *updated_after;
  (void) data;

  make_visit (f->store, &a, T0);
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_WAITING, &error));
  g_assert_no_error (error);
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_SCHEDULED, &error));
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_WAITING, &error));
  g_assert_no_error (error);
  assert_timeline_len (f, a.visit, 4);

  /* waiting → waiting and waiting → ended's opposite are refused, writing nothing */
  updated_before = query_text (f->store, "SELECT updated_at FROM visits WHERE id = ?1", a.visit);
  g_assert_false (store_set_visit_state (f->store, a.visit, VISIT_WAITING, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_visit_state (f->store, a.visit, (VisitState) 17, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  assert_timeline_len (f, a.visit, 4);
  updated_after = query_text (f->store, "SELECT updated_at FROM visits WHERE id = ?1", a.visit);
  g_assert_cmpstr (updated_before, ==, updated_after);
  g_free (updated_before);
  g_free (updated_after);

  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_IN_PROGRESS, &error));
  g_assert_false (store_set_visit_state (f->store, a.visit, VISIT_WAITING, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_visit_state (f->store, a.visit, VISIT_SCHEDULED, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_ENDED, &error));
  for (int to = 0; to < 4; to++) {
    g_assert_false (store_set_visit_state (f->store, a.visit, to, &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
  }
  assert_timeline_len (f, a.visit, 6);
  g_assert_true (store_get_visit (f->store, a.visit, &v, &error));
  g_assert_cmpint (v.state, ==, VISIT_ENDED);
  store_visit_clear (&v);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM visit_events"), ==, 6);

  g_assert_false (store_set_visit_state (f->store, "no-visit", VISIT_ENDED, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  visit_clear (&a);
}

static void
test_visit_timeline (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreParticipant patient = { 0 }, provider = { 0 };
  GPtrArray *tl;
  StoreVisitEvent *ev;
  Visit a, b;
  gint64 before = store_now_ms ();
  static const struct {
    const char *kind, *state, *who;
  } want[] = {
    { "state", "scheduled", NULL }, { "join", NULL, "patient" },
    { "state", "waiting", NULL },   { "join", NULL, "provider" },
    { "admit", NULL, "patient" },   { "state", "in_progress", NULL },
    { "drop", NULL, "patient" },    { "return", NULL, "patient" },
    { "connect-trouble", NULL, "patient" },
    { "leave", NULL, "patient" },   { "state", "ended", NULL },
  };
  (void) data;

  make_visit (f->store, &a, T0);
  make_visit (f->store, &b, T0);
  g_assert_true (store_find_visit_participant (f->store, a.visit, PARTICIPANT_PATIENT, &patient,
                                               &error));
  g_assert_true (store_find_visit_participant (f->store, a.visit, PARTICIPANT_PROVIDER, &provider,
                                               &error));
  g_assert_true (store_record_participant_event (f->store, a.visit, patient.id, "join", &error));
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_WAITING, &error));
  g_assert_true (store_record_participant_event (f->store, a.visit, provider.id, "join", &error));
  g_assert_true (store_record_participant_event (f->store, a.visit, patient.id, "admit", &error));
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_IN_PROGRESS, &error));

  assert_visit_state (f, a.visit, VISIT_IN_PROGRESS);
  assert_visit_state (f, b.visit, VISIT_SCHEDULED);

  /* A dropped connection that comes back within the grace period. */
  g_assert_true (store_record_participant_event (f->store, a.visit, patient.id, "drop", &error));
  g_assert_true (store_record_participant_event (f->store, a.visit, patient.id, "return", &error));
  /* Their media could not connect (issue 11). */
  g_assert_true (store_record_participant_event (f->store, a.visit, patient.id, "connect-trouble",
                                                 &error));
  g_assert_true (store_record_participant_event (f->store, a.visit, patient.id, "leave", &error));
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_ENDED, &error));
  g_assert_no_error (error);

  /* Refused events write nothing. */
  g_assert_false (store_record_participant_event (f->store, b.visit, patient.id, "join", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_record_participant_event (f->store, "no-visit", patient.id, "join", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_record_participant_event (f->store, a.visit, patient.id, "dance", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_record_participant_event (f->store, a.visit, patient.id, NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);

  tl = store_visit_timeline (f->store, a.visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tl->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < tl->len; i++) {
    ev = tl->pdata[i];
    g_assert_cmpstr (ev->kind, ==, want[i].kind);
    g_assert_cmpstr (ev->state, ==, want[i].state);
    g_assert_cmpstr (ev->role, ==, want[i].who);
    if (!want[i].who)
      g_assert_null (ev->participant_id);
    else
      g_assert_cmpstr (ev->participant_id, ==,
                       strcmp (want[i].who, "patient") == 0 ? patient.id : provider.id);
    g_assert_cmpint (ev->at_ms, >=, before - 1000);
    g_assert_cmpint (ev->at_ms, <=, store_now_ms () + 1000);
    if (i > 0)
      g_assert_cmpint (ev->at_ms, >=, ((StoreVisitEvent *) tl->pdata[i - 1])->at_ms);
  }
  g_ptr_array_unref (tl);
  assert_timeline_len (f, b.visit, 1);

  assert_visit_state (f, a.visit, VISIT_ENDED);
  assert_visit_state (f, b.visit, VISIT_SCHEDULED);

  store_participant_clear (&patient);
  store_participant_clear (&provider);
  visit_clear (&a);
  visit_clear (&b);
}

/* A booking is one transaction: a new patient, the visit, its modality
 * and the patient's join token, or nothing at all. */
static void
test_visit_book (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *provider, *admin;
  StoreBookedVisit booked = { 0 };
  StoreParticipant p = { 0 };
  StoreVisit v = { 0 };
  StoreVisitBooking b = { .new_patient_name = "Sam Booked", .scheduled_at_ms = T0,
                          .modality = "audio-only", .link_not_before_ms = T0 - HOUR,
                          .link_not_after_ms = T0 + HOUR };
  static const char *const counts[] = { "SELECT count(*) FROM patients",
                                        "SELECT count(*) FROM visits",
                                        "SELECT count(*) FROM participants",
                                        "SELECT count(*) FROM visit_events",
                                        "SELECT count(*) FROM join_tokens" };
  int before[G_N_ELEMENTS (counts)];
  (void) data;

  provider = store_create_staff (f->store, "Dr. Rivera", "psychiatrist", &error);
  admin = store_create_staff (f->store, "Ada Admin", "admin", &error);
  g_assert_no_error (error);
  b.provider_id = provider;
  g_assert_true (store_book_visit (f->store, &b, &booked, &error));
  g_assert_no_error (error);
  g_assert_true (store_get_visit (f->store, booked.visit_id, &v, &error));
  g_assert_cmpstr (v.patient_id, ==, booked.patient_id);
  g_assert_cmpstr (v.patient_name, ==, "Sam Booked");
  g_assert_cmpstr (v.modality, ==, "audio-only");
  g_assert_cmpint (v.state, ==, VISIT_SCHEDULED);
  g_assert_true (store_resolve_join_token (f->store, booked.patient_token, T0, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p.visit_id, ==, booked.visit_id);
  g_assert_cmpint (p.role, ==, PARTICIPANT_PATIENT);
  store_participant_clear (&p); /* the next call fills it again (LeakSanitizer) */
  g_assert_false (store_resolve_join_token (f->store, booked.patient_token, T0 + 2 * HOUR, &p,
                                            &error));
  ASSERT_ERR (STORE_ERROR_EXPIRED);
  assert_timeline_len (f, booked.visit_id, 1);
  store_participant_clear (&p);
  store_visit_clear (&v);
  store_booked_visit_clear (&booked);

  /* Each refusal, at the first step or the last, writes nothing. */
  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    before[i] = count_rows (f->store, counts[i]);
  b.modality = "fax";
  g_assert_false (store_book_visit (f->store, &b, &booked, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  b.modality = NULL;
  b.link_not_after_ms = T0 - 2 * HOUR;
  g_assert_false (store_book_visit (f->store, &b, &booked, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  b.link_not_after_ms = T0 + HOUR;
  b.provider_id = admin;
  g_assert_false (store_book_visit (f->store, &b, &booked, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  b.provider_id = "no-such-provider";
  g_assert_false (store_book_visit (f->store, &b, &booked, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  b.provider_id = provider;
  b.new_patient_name = "";
  g_assert_false (store_book_visit (f->store, &b, &booked, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  b.new_patient_name = NULL;
  b.patient_id = "no-such-patient";
  g_assert_false (store_book_visit (f->store, &b, &booked, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (booked.visit_id);
  g_assert_null (booked.patient_token);
  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    g_assert_cmpint (count_rows (f->store, counts[i]), ==, before[i]);
  g_free (provider);
  g_free (admin);
}

static void
test_survives_reopen (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreVisit v = { 0 };
  Visit a;
  char *token, *staff;
  StoreParticipant p = { 0 };
  (void) data;

  make_visit (f->store, &a, T0);
  g_assert_true (store_set_visit_state (f->store, a.visit, VISIT_WAITING, &error));
  g_assert_true (store_find_visit_participant (f->store, a.visit, PARTICIPANT_PATIENT, &p, &error));
  token = store_issue_join_token (f->store, p.id, T0 - HOUR, T0 + HOUR, &error);
  store_participant_clear (&p);
  reopen (f);

  g_assert_true (store_get_visit (f->store, a.visit, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpint (v.state, ==, VISIT_WAITING);
  g_assert_cmpint (v.scheduled_at_ms, ==, T0);
  g_assert_cmpstr (v.patient_name, ==, "Alex Example");
  store_visit_clear (&v);
  assert_timeline_len (f, a.visit, 2);
  g_assert_true (store_resolve_join_token (f->store, token, T0, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p.visit_id, ==, a.visit);
  store_participant_clear (&p);
  staff = NULL;
  g_assert_true (store_get_staff (f->store, a.provider, &staff, NULL, &error));
  g_assert_cmpstr (staff, ==, "Dr. Rivera");
  g_free (staff);
  g_free (token);
  visit_clear (&a);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD STORE_TEST_ADD
  ADD ("schema/migrated", test_schema_migrated);
  ADD ("schema/reopen-idempotent", test_schema_reopen);
  ADD ("schema/newer-refused", test_schema_newer_refused);
  ADD ("schema/pragmas", test_schema_pragmas);
  ADD ("schema/foreign-keys", test_schema_foreign_keys);
  ADD ("schema/not-a-database", test_schema_not_a_database);
  g_test_add_func ("/store/schema/pg-baseline-version", test_schema_pg_baseline_version);
  ADD ("time/format-parse", test_time_format);
  ADD ("people/create-get", test_people);
  ADD ("visits/create", test_visit_create);
  ADD ("visits/list-window", test_visit_list_window);
  ADD ("visits/transition-table", test_transition_table);
  ADD ("visits/transitions", test_visit_transitions);
  ADD ("visits/timeline", test_visit_timeline);
  ADD ("visits/book", test_visit_book);
  ADD ("visits/survives-reopen", test_survives_reopen);
#undef ADD
  return g_test_run ();
}
