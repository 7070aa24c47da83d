/* test_store_schedule.c — the schedule in the store (sqlite or PostgreSQL:
 * store-fixture.h; server/store/schedule.c and its migration): an older
 * sqlite file keeps every visit, event, token and the rows that reference
 * them when staff, visits and visit_events are rebuilt; overlaps; a move
 * carries the join links' window; a cancel needs a reason and is final; the
 * no-show sweep's two questions. */
#include "tests/unit/store-fixture.h"

/* The migration that rebuilds visits (found by its SQL: the lead may
 * renumber it). */
static int
schedule_migration (void)
{
  for (int v = 1; v <= store_latest_schema_version (); v++)
    if (strstr (store_migration_sql (v), "CREATE TABLE visits_v15"))
      return v;
  g_assert_not_reached ();
  return 0;
}

/* The schedule's indexes, on either backend. */
static const char *const kIndexes[] = { "visits_by_provider", "visits_by_patient", "visits_open",
                                        "visit_events_by_visit", "visits_scheduled" };

static void
test_upgrade_keeps_rows (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *path;
  sqlite3 *db = NULL;
  StoreVisit v = { 0 };
  Store *s;
  (void) data;

  SKIP_ON_PG ("an sqlite file from before the schedule's migration; schedule/schema holds"
              " the result on PostgreSQL");
  path = g_build_filename (f->dir, "old.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  for (int v = 1; v < schedule_migration (); v++) {
    g_autofree char *version = g_strdup_printf ("PRAGMA user_version = %d", v);
    g_assert_cmpint (sqlite3_exec (db, store_migration_sql (v), NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, version, NULL, NULL, NULL), ==, SQLITE_OK);
  }
  /* A visit with what references it: participants, events, a token, a
   * note, a session of its provider. */
  g_assert_cmpint (
    sqlite3_exec (
      db,
      "INSERT INTO staff (id, display_name, role, created_at) VALUES"
      " ('s1', 'Dr. Old', 'psychiatrist', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO patients (id, display_name, created_at) VALUES"
      " ('p1', 'Old Patient', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO visits (id, patient_id, provider_id, scheduled_at, state, created_at,"
      " updated_at) VALUES ('v1', 'p1', 's1', '2026-02-01T10:00:00.000Z', 'ended',"
      " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO participants (id, visit_id, role, display_name, patient_id, created_at)"
      " VALUES ('pp1', 'v1', 'patient', 'Old Patient', 'p1', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO visit_events (visit_id, at, kind, state) VALUES"
      " ('v1', '2026-01-01T00:00:00.000Z', 'state', 'scheduled');"
      "INSERT INTO visit_events (visit_id, at, kind, participant_id) VALUES"
      " ('v1', '2026-02-01T10:00:00.000Z', 'join', 'pp1');"
      "INSERT INTO visit_events (visit_id, at, kind, state, reason) VALUES"
      " ('v1', '2026-02-01T11:00:00.000Z', 'state', 'ended', 'abandoned');"
      "INSERT INTO join_tokens (token_hash, participant_id, not_before, not_after,"
      " created_at) VALUES (zeroblob(32), 'pp1', '2026-02-01T08:00:00.000Z',"
      " '2026-02-01T14:00:00.000Z', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO notes (id, visit_id, author_id, at, text) VALUES"
      " ('n1', 'v1', 's1', '2026-02-01T10:30:00.000Z', 'Stable.');",
      NULL, NULL, NULL),
    ==, SQLITE_OK);
  sqlite3_close (db);

  s = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (store_schema_version (s), ==, store_latest_schema_version ());
  g_assert_true (store_get_visit (s, "v1", &v, &error));
  g_assert_cmpint (v.state, ==, VISIT_ENDED);
  g_assert_cmpuint (v.length_minutes, ==, 30);
  g_assert_cmpstr (v.visit_type, ==, "follow_up");
  g_assert_cmpstr (v.provider_name, ==, "Dr. Old");
  store_visit_clear (&v);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM visit_events WHERE visit_id = 'v1'"), ==,
                   3);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM visit_events WHERE reason = 'abandoned'"),
                   ==, 1);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM join_tokens"), ==, 1);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM notes"), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (kIndexes); i++)
    g_assert_cmpint (schema_count (s, "index", kIndexes[i]), ==, 1);
  /* The keys hold, and are enforced again. */
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM pragma_foreign_key_check"), ==, 0);
  g_assert_cmpint (count_rows (s, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (sqlite3_exec (store_get_db (s),
                                 "INSERT INTO notes (id, visit_id, author_id, at, text) VALUES"
                                 " ('n2', 'nope', 's1', '2026-02-01T10:30:00.000Z', 'x')",
                                 NULL, NULL, NULL),
                   !=, SQLITE_OK);
  /* The new role is allowed. */
  g_autofree char *desk = store_create_staff (s, "Front Desk", "scheduler", &error);
  g_assert_no_error (error);
  g_assert_nonnull (desk);
  store_close (s);
  remove_db (path);
  g_free (path);
}

/* A fresh database has the schedule's indexes, keys and roles too. */
static void
test_schema (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *desk = NULL;
  (void) data;

  for (guint i = 0; i < G_N_ELEMENTS (kIndexes); i++)
    g_assert_cmpint (schema_count (f->store, "index", kIndexes[i]), ==, 1);
  desk = store_create_staff (f->store, "Front Desk", "scheduler", &error);
  g_assert_no_error (error);
  g_assert_cmpint (raw_exec_refused (f->store,
                                     "INSERT INTO notes (id, visit_id, author_id, at, text)"
                                     " VALUES ('n2', 'nope', 'nobody',"
                                     " '2026-02-01T10:30:00.000Z', 'x')",
                                     NULL),
                   ==, STORE_VIOLATION_FOREIGN_KEY);
}

typedef struct {
  char *provider, *patient;
} People;

static People
people (Store *s)
{
  GError *error = NULL;
  People p = { store_create_staff (s, "Dr. Bell", "psychiatrist", &error),
               store_create_patient (s, "Rosa", &error) };
  g_assert_no_error (error);
  return p;
}

static char *
book (Store *s, const People *p, gint64 at, guint length, char **token)
{
  GError *error = NULL;
  StoreBookedVisit out = { 0 };
  StoreVisitBooking b = { .patient_id = p->patient,
                          .provider_id = p->provider,
                          .scheduled_at_ms = at,
                          .length_minutes = length,
                          .visit_type = "initial_evaluation",
                          .link_not_before_ms = at - 2 * HOUR,
                          .link_not_after_ms = at + 4 * HOUR };
  char *id;

  g_assert_true (store_book_visit (s, &b, &out, &error));
  g_assert_no_error (error);
  id = g_steal_pointer (&out.visit_id);
  if (token)
    *token = g_strdup (out.patient_token);
  store_booked_visit_clear (&out);
  return id;
}

static void
test_conflicts_move_cancel (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  People p = people (f->store);
  g_autofree char *token = NULL;
  g_autofree char *a = book (f->store, &p, T0, 45, &token);
  g_autofree char *b = book (f->store, &p, T0 + 2 * HOUR, 30, NULL);
  g_autoptr (GPtrArray) hits = NULL;
  StoreParticipant who = { 0 };
  StoreVisit v = { 0 };
  gint64 opens = 0, closes = 0, from = 0;
  (void) data;

  g_assert_true (store_get_visit (f->store, a, &v, &error));
  g_assert_cmpuint (v.length_minutes, ==, 45);
  g_assert_cmpstr (v.visit_type, ==, "initial_evaluation");
  store_visit_clear (&v);
  /* [T0, T0+45m) overlaps T0+30m, not T0+45m (back to back). */
  hits = store_visit_conflicts (f->store, p.provider, T0 + 30 * MINUTE, 15, NULL, &error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = store_visit_conflicts (f->store, p.provider, T0 + 45 * MINUTE, 15, NULL, &error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = store_visit_conflicts (f->store, p.provider, T0, 30, a, &error);
  g_assert_cmpuint (hits->len, ==, 0); /* itself does not count */
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* A move takes the link's window along. */
  g_assert_true (store_move_visit (f->store, a,
                                   &(StoreVisitMove) { .start_ms = T0 + DAY,
                                                       .length_minutes = 20,
                                                       .by_staff_id = p.provider,
                                                       .link_before_ms = 2 * HOUR,
                                                       .link_after_ms = 4 * HOUR },
                                   &from, &error));
  g_assert_no_error (error);
  g_assert_cmpint (from, ==, T0);
  g_assert_true (store_inspect_join_token (f->store, token, &who, &opens, &closes, &error));
  g_assert_cmpint (opens, ==, T0 + DAY - 2 * HOUR);
  g_assert_cmpint (closes, ==, T0 + DAY + 4 * HOUR);
  store_participant_clear (&who);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM visit_events WHERE kind = 'moved'"),
                   ==, 1);

  /* A cancel needs a reason; then it is final and frees the time. */
  g_assert_false (store_cancel_visit (f->store, b, "", p.provider, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_true (store_cancel_visit (f->store, b, "Asked to rebook", p.provider, &error));
  g_assert_no_error (error);
  g_assert_false (store_cancel_visit (f->store, b, "again", p.provider, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (
    store_move_visit (f->store, b, &(StoreVisitMove) { .start_ms = T0 + 3 * DAY }, NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_visit_state (f->store, b, VISIT_WAITING, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  hits = store_visit_conflicts (f->store, p.provider, T0 + 2 * HOUR, 30, NULL, &error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_free (p.provider);
  g_free (p.patient);
}

static void
test_no_show (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  People p = people (f->store);
  g_autofree char *unjoined = book (f->store, &p, T0, 30, NULL);
  g_autofree char *joined = book (f->store, &p, T0 + HOUR, 30, NULL);
  g_autofree char *later = book (f->store, &p, T0 + DAY, 30, NULL);
  g_autoptr (GPtrArray) ids = NULL;
  StoreParticipant patient = { 0 };
  StoreVisit v = { 0 };
  gboolean marked = FALSE;
  (void) data;

  g_assert_true (
    store_find_visit_participant (f->store, joined, PARTICIPANT_PATIENT, &patient, &error));
  g_assert_true (store_record_participant_event (f->store, joined, patient.id, "join", &error));
  store_participant_clear (&patient);
  ids = store_visits_unjoined (f->store, T0 + 6 * HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (ids, 0), ==, unjoined);
  g_assert_true (store_mark_no_show (f->store, unjoined, &marked, &error));
  g_assert_true (marked);
  g_assert_true (store_mark_no_show (f->store, joined, &marked, &error));
  g_assert_false (marked);
  g_assert_true (store_get_visit (f->store, unjoined, &v, &error));
  g_assert_cmpint (v.state, ==, VISIT_NO_SHOW);
  store_visit_clear (&v);
  g_assert_cmpint (count_rows (f->store,
                               "SELECT count(*) FROM visit_events WHERE reason = 'no-show'"),
                   ==, 1);
  (void) later;
  g_free (p.provider);
  g_free (p.patient);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  STORE_TEST_ADD ("schedule/upgrade", test_upgrade_keeps_rows);
  STORE_TEST_ADD ("schedule/schema", test_schema);
  STORE_TEST_ADD ("schedule/conflicts-move-cancel", test_conflicts_move_cancel);
  STORE_TEST_ADD ("schedule/no-show", test_no_show);
  return g_test_run ();
}
