/* test_store_diary.c — the diary in the store (server/store/diary*.c and
 * migration 20; sqlite or PostgreSQL, store-fixture.h): a link is stored as its
 * hash only, resolves, and after a revoke is "revoked", not "unknown"; the
 * outbox keeps its rows when it is rebuilt for messages without a visit; the
 * reminder sweep queues a patient's reminder at their hour in their zone, once
 * a day, only while the diary is on and the channel is set up. */
#include "tests/unit/store-fixture.h"

static char *
new_patient (Store *s, const char *zone)
{
  GError *error = NULL;
  StorePatient p = { .name = "Dana Diary",
                     .birth_date = "1990-01-02",
                     .mrn = "MRN-D1",
                     .email = "dana@example.org",
                     .phone = "+15550100199",
                     .time_zone = (char *) zone };
  char *id = store_patient_create (s, &p, NULL, &error);

  g_assert_no_error (error);
  return id;
}

static void
test_links (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *patient = new_patient (f->store, NULL);
  g_autofree char *a = NULL, *b = NULL, *link = NULL, *who = NULL;
  gboolean live = TRUE;
  guint n = 0;
  (void) data;

  g_assert_true (store_diary_link_status (f->store, patient, &live, NULL, &error));
  g_assert_false (live);
  /* Not live: nothing is minted for a message. */
  g_assert_null (store_diary_link_mint_if_live (f->store, patient, &error));
  g_assert_no_error (error);
  a = store_diary_link_create (f->store, patient, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (a), ==, 43);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM diary_links"
                                         " WHERE length(token_hash) = 32"),
                   ==, 1);
  b = store_diary_link_mint_if_live (f->store, patient, &error);
  g_assert_nonnull (b);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (store_diary_link_resolve (f->store, a, &link, &who, &error));
  g_assert_cmpstr (who, ==, patient);
  g_assert_false (store_diary_link_resolve (f->store, "not-a-token", &link, &who, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_true (store_diary_links_revoke (f->store, patient, NULL, &n, &error));
  g_assert_cmpuint (n, ==, 2);
  g_assert_false (store_diary_link_resolve (f->store, b, &link, &who, &error));
  ASSERT_ERR (STORE_ERROR_EXPIRED);
  g_assert_true (store_diary_link_status (f->store, patient, &live, NULL, &error));
  g_assert_false (live);
}

/* Migration 20 (found by its SQL: the lead may renumber it). */
static int
outbox_migration (void)
{
  for (int v = 1; v <= store_latest_schema_version (); v++)
    if (strstr (store_migration_sql (v), "CREATE TABLE outbox_new"))
      return v;
  g_assert_not_reached ();
  return 0;
}

static void
test_upgrade_keeps_outbox (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "old.db", NULL);
  StoreOutboxMessage m = { 0 };
  sqlite3 *db = NULL;
  Store *s;
  (void) data;

  SKIP_ON_PG ("an sqlite file from before migration 20; PostgreSQL's schema starts after it");
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  for (int v = 1; v < outbox_migration (); v++) {
    g_autofree char *version = g_strdup_printf ("PRAGMA user_version = %d", v);
    g_assert_cmpint (sqlite3_exec (db, store_migration_sql (v), NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, version, NULL, NULL, NULL), ==, SQLITE_OK);
  }
  g_assert_cmpint (
    sqlite3_exec (
      db,
      "INSERT INTO staff (id, display_name, role, created_at) VALUES"
      " ('s1', 'Dr. Old', 'psychiatrist', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO patients (id, display_name, created_at) VALUES"
      " ('p1', 'Old Patient', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO visits (id, patient_id, provider_id, scheduled_at, state, created_at,"
      " updated_at) VALUES ('v1', 'p1', 's1', '2026-02-01T10:00:00.000Z', 'scheduled',"
      " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');"
      "INSERT INTO outbox (id, visit_id, channel, kind, recipient, created_at, due_at,"
      " next_attempt_at, attempts, sent_at, state) VALUES ('m1', 'v1', 'email', 'invitation',"
      " 'old@example.org', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',"
      " '2026-01-01T00:00:00.000Z', 1, '2026-01-01T00:00:05.000Z', 'sent');",
      NULL, NULL, NULL),
    ==, SQLITE_OK);
  sqlite3_close (db);

  s = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (store_outbox_get (s, "m1", &m, &error));
  g_assert_cmpstr (m.visit_id, ==, "v1");
  g_assert_null (m.patient_id);
  g_assert_cmpstr (m.state, ==, "sent");
  g_assert_cmpuint (m.attempts, ==, 1);
  store_outbox_message_clear (&m);
  g_assert_cmpint (schema_count (s, "index", "outbox_by_visit"), ==, 1);
  g_assert_cmpint (schema_count (s, "index", "outbox_due"), ==, 1);
  /* A visit's message needs its visit; a diary reminder needs a patient
   * and no visit. */
  g_assert_cmpint (sqlite3_exec (store_get_db (s),
                                 "INSERT INTO outbox (id, visit_id, channel, kind, recipient,"
                                 " created_at, due_at, next_attempt_at) VALUES ('m2', NULL,"
                                 " 'email', 'reminder', 'a@example.org', 'x', 'x', 'x')",
                                 NULL, NULL, NULL),
                   !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (store_get_db (s),
                                 "INSERT INTO outbox (id, visit_id, patient_id, channel, kind,"
                                 " recipient, created_at, due_at, next_attempt_at) VALUES ('m3',"
                                 " 'v1', 'p1', 'email', 'diary-reminder', 'a@example.org', 'x',"
                                 " 'x', 'x')",
                                 NULL, NULL, NULL),
                   !=, SQLITE_OK);
  store_close (s);
  remove_db (path);
}

/* An INSERT of one outbox message, behind the store's back. */
static char *
outbox_insert_sql (const char *id, const char *visit, const char *patient, const char *kind)
{
  g_autofree char *v = visit ? g_strdup_printf ("'%s'", visit) : g_strdup ("NULL");
  g_autofree char *p = patient ? g_strdup_printf ("'%s'", patient) : g_strdup ("NULL");

  return g_strdup_printf ("INSERT INTO outbox (id, visit_id, patient_id, kind, channel,"
                          " recipient, created_at, due_at, next_attempt_at) VALUES ('%s', %s,"
                          " %s, '%s', 'email', 'a@example.org', '2026-01-01T00:00:00.000Z',"
                          " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                          id, v, p, kind);
}

/* The outbox's rules, whichever way the schema was made: a visit's message
 * needs its visit; a diary reminder needs a patient and no visit. */
static void
test_outbox_rules (StoreFixture *f, gconstpointer data)
{
  Visit v;
  (void) data;

  make_visit (f->store, &v, T0);
  g_assert_cmpint (schema_count (f->store, "index", "outbox_by_visit"), ==, 1);
  g_assert_cmpint (schema_count (f->store, "index", "outbox_due"), ==, 1);
  {
    const struct {
      const char *id, *visit, *patient, *kind;
    } refused[] = {
      { "m2", NULL, NULL, "reminder" },               /* a visit's message without its visit */
      { "m3", v.visit, v.patient, "diary-reminder" }, /* a diary reminder with a visit */
      { "m4", NULL, NULL, "diary-reminder" },         /* and without a patient */
    };
    for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
      g_autofree char *sql = outbox_insert_sql (refused[i].id, refused[i].visit,
                                                refused[i].patient, refused[i].kind);
      g_assert_cmpint (raw_exec_refused (f->store, sql, NULL), ==, STORE_VIOLATION_OTHER);
    }
  }
  /* The same statement with what each kind needs goes through. */
  {
    g_autofree char *visit_message = outbox_insert_sql ("m5", v.visit, NULL, "reminder");
    g_autofree char *reminder = outbox_insert_sql ("m6", NULL, v.patient, "diary-reminder");
    raw_exec (f->store, visit_message);
    raw_exec (f->store, reminder);
  }
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM outbox"), ==, 2);
  visit_clear (&v);
}

static void
test_reminder_sweep (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *patient = new_patient (f->store, "America/New_York");
  g_autofree char *token = NULL, *channel = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  /* T0 is 2026-11-27T12:00Z: 07:00 in New York (EST). */
  const gint64 seven = T0, eight = T0 + HOUR, next_day_eight = T0 + HOUR + DAY;
  guint queued = 9;
  gint hour = -2;
  (void) data;

  g_assert_true (store_diary_reminder_set (f->store, patient, 8, "email", T0, &error));
  g_assert_true (store_diary_reminder_get (f->store, patient, &hour, &channel, &error));
  g_assert_cmpint (hour, ==, 8);
  g_assert_cmpstr (channel, ==, "email");
  /* The diary is off: nothing goes, even at the hour. */
  g_assert_true (store_diary_reminders_queue (f->store, eight, utc, TRUE, TRUE, &queued, &error));
  g_assert_cmpuint (queued, ==, 0);
  token = store_diary_link_create (f->store, patient, NULL, &error);
  g_assert_nonnull (token);
  g_assert_true (store_diary_reminders_queue (f->store, seven, utc, TRUE, TRUE, &queued, &error));
  g_assert_cmpuint (queued, ==, 0);
  /* Email not set up: nothing. */
  g_assert_true (store_diary_reminders_queue (f->store, eight, utc, FALSE, TRUE, &queued, &error));
  g_assert_cmpuint (queued, ==, 0);
  g_assert_true (store_diary_reminders_queue (f->store, eight, utc, TRUE, TRUE, &queued, &error));
  g_assert_cmpuint (queued, ==, 1);
  g_assert_true (
    store_diary_reminders_queue (f->store, eight + 30 * MINUTE, utc, TRUE, TRUE, &queued, &error));
  g_assert_cmpuint (queued, ==, 0);
  g_assert_cmpint (count_rows (f->store,
                               "SELECT count(*) FROM outbox WHERE kind = 'diary-reminder'"
                               " AND visit_id IS NULL AND recipient = 'dana@example.org'"),
                   ==, 1);
  g_assert_true (
    store_diary_reminders_queue (f->store, next_day_eight, utc, TRUE, TRUE, &queued, &error));
  g_assert_cmpuint (queued, ==, 1);
  /* Off: no row. */
  g_assert_true (store_diary_reminder_set (f->store, patient, -1, NULL, T0, &error));
  g_clear_pointer (&channel, g_free);
  g_assert_true (store_diary_reminder_get (f->store, patient, &hour, &channel, &error));
  g_assert_cmpint (hour, ==, -1);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  STORE_TEST_ADD ("diary/links", test_links);
  STORE_TEST_ADD ("diary/upgrade-keeps-outbox", test_upgrade_keeps_outbox);
  STORE_TEST_ADD ("diary/outbox-rules", test_outbox_rules);
  STORE_TEST_ADD ("diary/reminder-sweep", test_reminder_sweep);
  return g_test_run ();
}
