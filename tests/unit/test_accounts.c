/* test_accounts.c — staff accounts, sessions, failed sign-in throttling and
 * visit guests, against a fresh database per test (a real sqlite file, or
 * PostgreSQL: store-fixture.h). (The scrypt password hashes are in
 * test_password.c.) */
#include "store-fixture.h"

#define IDLE (15 * MINUTE)

typedef StoreFixture Fixture;

static char *
make_staff (Fixture *f, const char *name, const char *role)
{
  GError *error = NULL;
  char *id = store_create_staff (f->store, name, role, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

/* A staff member with credentials; the hash text need not be real here. */
static char *
make_account (Fixture *f, const char *name, const char *username)
{
  GError *error = NULL;
  char *id = make_staff (f, name, "psychiatrist");
  g_assert_true (store_set_staff_credentials (f->store, id, username, "$scrypt$test", &error));
  g_assert_no_error (error);
  return id;
}

/* ============================================================ schema */

static void
test_schema (Fixture *f, gconstpointer data)
{
  const char *tables[] = { "staff_credentials", "sessions", "login_failures" };
  (void) data;

  /* 3 adds accounts; later issues may add more after it. */
  g_assert_cmpint (store_latest_schema_version (), >=, 3);
  g_assert_cmpint (store_schema_version (f->store), ==, store_latest_schema_version ());
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    g_assert_cmpint (schema_count (f->store, "table", tables[i]), ==, 1);
  g_assert_cmpint (schema_count (f->store, "index", "login_failures_by_username"), ==, 1);
  g_assert_cmpint (schema_count (f->store, "index", "login_failures_by_address"), ==, 1);
}

/* A schema-2 file with a staff member upgrades in place. */
static void
test_schema_from_v2 (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *path;
  sqlite3 *db = NULL;
  Store *s;
  char *name = NULL;
  (void) data;

  SKIP_ON_PG ("an sqlite file of schema 2; PostgreSQL's schema starts at its baseline");
  path = g_build_filename (f->dir, "v2.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, store_migration_sql (1), NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, store_migration_sql (2), NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "INSERT INTO staff (id, display_name, role, created_at) VALUES"
                                 " ('s1', 'Dr. Old', 'psychiatrist', '2026-01-01T00:00:00.000Z');"
                                 "PRAGMA user_version = 2;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  s = store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (store_schema_version (s), ==, store_latest_schema_version ());
  g_assert_true (store_get_staff (s, "s1", &name, NULL, &error));
  g_assert_cmpstr (name, ==, "Dr. Old");
  g_assert_true (store_set_staff_credentials (s, "s1", "old", "$scrypt$x", &error));
  g_assert_no_error (error);
  store_close (s);
  remove_db (path);
  g_free (path);
  g_free (name);
}

/* ============================================================ credentials */

static void
test_credentials (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *lee = make_staff (f, "Dr. Lee", "psychiatrist");
  char *kim = make_staff (f, "Kim", "pa");
  char *hash = NULL;
  char *long_name = g_strnfill (65, 'a');
  char *max_name = g_strnfill (64, 'a');
  const char *bad[] = { NULL, "", "ab", "bad name", "émile", "a/b", "a@b.c", "lee\n", "a'b",
                        long_name };
  StoreStaffAccount a = { 0 };
  GPtrArray *list;
  (void) data;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_false (store_set_staff_credentials (f->store, lee, bad[i], "$scrypt$h", &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
  }
  g_assert_false (store_set_staff_credentials (f->store, lee, "dr.lee", NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_staff_credentials (f->store, "nobody", "dr.lee", "$scrypt$h", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* Lowercased on the way in; found whatever the case typed. */
  g_assert_true (store_set_staff_credentials (f->store, lee, "Dr.Lee", "$scrypt$h1", &error));
  g_assert_no_error (error);
  g_assert_true (store_find_staff_by_username (f->store, "DR.LEE", &a, &hash, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (a.id, ==, lee);
  g_assert_cmpstr (a.username, ==, "dr.lee");
  g_assert_cmpstr (a.display_name, ==, "Dr. Lee");
  g_assert_cmpstr (a.role, ==, "psychiatrist");
  g_assert_false (a.disabled);
  g_assert_cmpint (a.created_at_ms, >, 0);
  g_assert_cmpstr (hash, ==, "$scrypt$h1");
  store_staff_account_clear (&a);
  g_clear_pointer (&hash, g_free);

  /* Taken, in any case, by someone else; the owner may set it again. */
  g_assert_false (store_set_staff_credentials (f->store, kim, "DR.LEE", "$scrypt$h", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_true (store_set_staff_credentials (f->store, lee, "dr.lee", "$scrypt$h2", &error));
  g_assert_true (store_set_staff_credentials (f->store, kim, max_name, "$scrypt$k", &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM staff_credentials"), ==, 2);

  g_assert_false (store_find_staff_by_username (f->store, "nobody", NULL, NULL, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_find_staff_by_username (f->store, "bad name", NULL, NULL, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_find_staff_by_username (f->store, NULL, NULL, NULL, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* Password change. */
  g_assert_true (store_set_staff_password (f->store, lee, "$scrypt$h3", &error));
  g_assert_no_error (error);
  g_assert_true (store_find_staff_by_username (f->store, "dr.lee", NULL, &hash, &error));
  g_assert_cmpstr (hash, ==, "$scrypt$h3");
  g_clear_pointer (&hash, g_free);
  g_assert_false (store_set_staff_password (f->store, lee, "", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_set_staff_password (f->store, "nobody", "$scrypt$h", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* Accounts, with and without credentials, by display name. */
  g_assert_true (store_set_staff_supervisor (f->store, kim, lee, &error));
  g_free (make_staff (f, "Admin Without Login", "admin"));
  list = store_list_staff (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  {
    StoreStaffAccount *a0 = g_ptr_array_index (list, 0);
    StoreStaffAccount *a1 = g_ptr_array_index (list, 1);
    StoreStaffAccount *a2 = g_ptr_array_index (list, 2);
    g_assert_cmpstr (a0->display_name, ==, "Admin Without Login");
    g_assert_null (a0->username);
    g_assert_false (a0->disabled);
    g_assert_cmpstr (a1->username, ==, "dr.lee");
    g_assert_null (a1->supervisor_id);
    g_assert_cmpstr (a2->username, ==, max_name);
    g_assert_cmpstr (a2->supervisor_id, ==, lee);
    g_assert_cmpstr (a2->role, ==, "pa");
  }
  g_ptr_array_unref (list);
  g_assert_true (store_get_staff_account (f->store, kim, &a, &error));
  g_assert_cmpstr (a.supervisor_id, ==, lee);
  store_staff_account_clear (&a);
  g_assert_false (store_get_staff_account (f->store, "nobody", &a, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  g_free (lee);
  g_free (kim);
  g_free (long_name);
  g_free (max_name);
}

/* ============================================================ sessions */

static void
test_session_lifecycle (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *lee = make_account (f, "Dr. Lee", "lee");
  char *sid = NULL, *who = NULL, *sha = NULL, *hex = NULL, *seen = NULL;
  (void) data;

  sid = store_create_session (f->store, lee, "192.0.2.7", T0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sid);
  /* 256 bits as unpadded base64url. */
  g_assert_cmpuint (strlen (sid), ==, 43);
  g_assert_true (g_regex_match_simple ("^[A-Za-z0-9_-]{43}$", sid, 0, 0));

  /* The database holds SHA-256 of the id, never the id. */
  g_assert_cmpint (count_rows (f->store, "SELECT length(id_hash) FROM sessions"), ==, 32);
  sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, sid, -1);
  hex = query_hex (f->store, "SELECT id_hash FROM sessions", NULL);
  g_assert_cmpstr (hex, ==, sha);
  g_assert_false (table_contains (f->store, "sessions", sid, strlen (sid)));

  /* Live: resolving marks it active at that time. */
  who = store_resolve_session (f->store, sid, T0 + 10 * MINUTE, IDLE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (who, ==, lee);
  g_clear_pointer (&who, g_free);
  seen = query_text (f->store, "SELECT last_seen_at FROM sessions", NULL);
  g_assert_cmpstr (seen, ==, "2026-11-27T12:10:00.000Z");
  g_clear_pointer (&seen, g_free);
  /* An older clock reading does not move it back. */
  who = store_resolve_session (f->store, sid, T0 + 5 * MINUTE, IDLE, &error);
  g_assert_cmpstr (who, ==, lee);
  g_clear_pointer (&who, g_free);
  seen = query_text (f->store, "SELECT last_seen_at FROM sessions", NULL);
  g_assert_cmpstr (seen, ==, "2026-11-27T12:10:00.000Z");
  g_clear_pointer (&seen, g_free);
  /* Exactly the idle time is still live. */
  who = store_resolve_session (f->store, sid, T0 + 10 * MINUTE + IDLE, IDLE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (who, ==, lee);
  g_clear_pointer (&who, g_free);

  /* One millisecond more idle: ended for good, reason "idle". */
  g_assert_null (store_resolve_session (f->store, sid, T0 + 10 * MINUTE + 2 * IDLE + 1, IDLE,
                                        &error));
  ASSERT_ERR (STORE_ERROR_EXPIRED);
  seen = query_text (f->store, "SELECT end_reason FROM sessions", NULL);
  g_assert_cmpstr (seen, ==, "idle");
  g_clear_pointer (&seen, g_free);
  g_assert_null (store_resolve_session (f->store, sid, T0 + 10 * MINUTE + 2 * IDLE + 2, IDLE,
                                        &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* Unknown and malformed ids; bad idle time. */
  g_assert_null (store_resolve_session (f->store, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", T0,
                                        IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_resolve_session (f->store, "x' OR 1=1 --", T0, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_resolve_session (f->store, "", T0, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_resolve_session (f->store, NULL, T0, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_resolve_session (f->store, sid, T0, 0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);

  g_assert_null (store_create_session (f->store, "nobody", NULL, T0, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_create_session (f->store, lee, NULL, -1, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM sessions"), ==, 1);

  g_free (sid);
  g_free (sha);
  g_free (hex);
  g_free (lee);
}

static void
test_session_end (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *lee = make_account (f, "Dr. Lee", "lee");
  char *kim = make_account (f, "Dr. Kim", "kim");
  char *s1 = store_create_session (f->store, lee, "192.0.2.1", T0, &error);
  char *s2 = store_create_session (f->store, lee, "192.0.2.2", T0, &error);
  char *s3 = store_create_session (f->store, lee, NULL, T0, &error);
  char *k1 = store_create_session (f->store, kim, "192.0.2.9", T0, &error);
  char *who;
  (void) data;

  g_assert_no_error (error);
  g_assert_cmpstr (s1, !=, s2);
  g_assert_true (store_end_session (f->store, s1, "logout", &error));
  g_assert_no_error (error);
  g_assert_null (store_resolve_session (f->store, s1, T0 + 1, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  /* Ending twice: it is no longer a live session. */
  g_assert_false (store_end_session (f->store, s1, "logout", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_end_session (f->store, s2, "", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_end_session (f->store, s2, "Log Out!", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_end_session (f->store, "not/a/session", "logout", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* Every live session of one staff member, not another's. */
  g_assert_cmpuint (store_end_staff_sessions (f->store, lee, "password-reset", &error), ==, 2);
  g_assert_no_error (error);
  g_assert_cmpuint (store_end_staff_sessions (f->store, lee, "password-reset", &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (store_end_staff_sessions (f->store, lee, "BAD", &error), ==, 0);
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_resolve_session (f->store, s2, T0 + 1, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_resolve_session (f->store, s3, T0 + 1, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  who = store_resolve_session (f->store, k1, T0 + 1, IDLE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (who, ==, kim);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM sessions"
                                         " WHERE end_reason = 'logout'"), ==, 1);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM sessions WHERE end_reason ="
                                         " 'password-reset'"), ==, 2);
  g_free (who);
  g_free (s1);
  g_free (s2);
  g_free (s3);
  g_free (k1);
  g_free (lee);
  g_free (kim);
}

static void
test_disabled_account (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *lee = make_account (f, "Dr. Lee", "lee");
  char *plain = make_staff (f, "No Login", "pcp");
  char *s1 = store_create_session (f->store, lee, NULL, T0, &error);
  char *s2 = NULL, *who = NULL;
  StoreStaffAccount a = { 0 };
  (void) data;

  g_assert_no_error (error);
  g_assert_true (store_set_staff_disabled (f->store, lee, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (store_get_staff_account (f->store, lee, &a, &error));
  g_assert_true (a.disabled);
  store_staff_account_clear (&a);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM sessions"
                                         " WHERE end_reason = 'disabled'"), ==, 1);
  g_assert_null (store_resolve_session (f->store, s1, T0 + 1, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_null (store_create_session (f->store, lee, NULL, T0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);

  /* A session row that escaped the ending (written behind the store's
   * back) is still refused while the account is disabled. */
  raw_exec (f->store, "UPDATE sessions SET ended_at = NULL, end_reason = NULL");
  g_assert_null (store_resolve_session (f->store, s1, T0 + 1, IDLE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* Enabled again: new sessions work. */
  g_assert_true (store_set_staff_disabled (f->store, lee, FALSE, &error));
  g_assert_no_error (error);
  s2 = store_create_session (f->store, lee, NULL, T0, &error);
  g_assert_no_error (error);
  who = store_resolve_session (f->store, s2, T0 + 1, IDLE, &error);
  g_assert_cmpstr (who, ==, lee);

  /* No credentials: nothing to disable. */
  g_assert_false (store_set_staff_disabled (f->store, plain, TRUE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_set_staff_disabled (f->store, "nobody", TRUE, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_free (who);
  g_free (s1);
  g_free (s2);
  g_free (lee);
  g_free (plain);
}

/* ============================================================ failed sign-ins */

static void
test_login_failures (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  gint64 latest = -1;
  (void) data;

  g_assert_true (store_record_login_failure (f->store, "Alice", "10.0.0.1", T0, &error));
  g_assert_true (store_record_login_failure (f->store, "alice", "10.0.0.1", T0 + SECOND, &error));
  g_assert_true (store_record_login_failure (f->store, "ALICE", "10.0.0.2", T0 + 2 * SECOND,
                                             &error));
  g_assert_true (store_record_login_failure (f->store, "bob", "10.0.0.1", T0 + 3 * SECOND, &error));
  /* Whatever was typed counts, even a name no account could have. */
  g_assert_true (store_record_login_failure (f->store, "Not A Name'; --", NULL, T0, &error));
  g_assert_true (store_record_login_failure (f->store, NULL, "10.0.0.3", T0, &error));
  g_assert_no_error (error);
  g_assert_false (store_record_login_failure (f->store, NULL, NULL, T0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_record_login_failure (f->store, "alice", "10.0.0.1", -5, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);

  /* Per account, case-insensitive, within the window. */
  g_assert_cmpuint (store_count_login_failures (f->store, "account", "aLiCe", T0, &latest, &error),
                    ==, 3);
  g_assert_cmpint (latest, ==, T0 + 2 * SECOND);
  g_assert_cmpuint (store_count_login_failures (f->store, "account", "alice", T0 + SECOND, &latest,
                                                &error), ==, 2);
  g_assert_cmpuint (store_count_login_failures (f->store, "account", "alice", T0 + 10 * SECOND,
                                                &latest, &error), ==, 0);
  g_assert_cmpint (latest, ==, 0);
  g_assert_cmpuint (store_count_login_failures (f->store, "account", "not a name'; --", 0, NULL,
                                                &error), ==, 1);
  /* Per address. */
  g_assert_cmpuint (store_count_login_failures (f->store, "address", "10.0.0.1", T0, &latest,
                                                &error), ==, 3);
  g_assert_cmpint (latest, ==, T0 + 3 * SECOND);
  g_assert_cmpuint (store_count_login_failures (f->store, "address", "10.0.0.9", T0, &latest,
                                                &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (store_count_login_failures (f->store, "visit", "x", T0, NULL, &error), ==, 0);
  ASSERT_ERR (STORE_ERROR_INVALID);

  /* A successful sign-in forgets the account's failures, not the address's. */
  g_assert_true (store_clear_login_failures (f->store, "ALICE", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (store_count_login_failures (f->store, "account", "alice", 0, NULL, &error), ==,
                    0);
  g_assert_cmpuint (store_count_login_failures (f->store, "address", "10.0.0.1", 0, NULL, &error),
                    ==, 1);
  g_assert_cmpuint (store_count_login_failures (f->store, "account", "bob", 0, NULL, &error), ==,
                    1);

  /* Rows a month old are pruned when new failures come in. */
  g_assert_true (store_record_login_failure (f->store, "carol", NULL, T0 + 31 * DAY, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM login_failures"), ==, 1);
}

/* Per client network (an IPv6 /64, accounts.h), and throttled attempts
 * counted per network, window and verdict. */
static void
test_login_networks (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  gint64 latest = -1;
  guint n = 0;
  (void) data;

  g_assert_true (store_record_login_failure_from (f->store, "alice", "2001:db8::1",
                                                  "2001:db8::/64", T0, &error));
  g_assert_true (store_record_login_failure_from (f->store, "bob", "2001:db8::2",
                                                  "2001:db8::/64", T0 + SECOND, &error));
  g_assert_true (store_record_login_failure_from (f->store, "carol", "2001:db8:0:1::2",
                                                  "2001:db8:0:1::/64", T0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (store_count_login_failures (f->store, "network", "2001:db8::/64", T0, &latest,
                                                &error), ==, 2);
  g_assert_cmpint (latest, ==, T0 + SECOND);
  g_assert_cmpuint (store_count_login_failures (f->store, "address", "2001:db8::1", T0, NULL,
                                                &error), ==, 1);
  g_assert_no_error (error);

  /* The first throttled attempt of a window is 1, then it only counts. */
  for (guint i = 1; i <= 5; i++) {
    g_assert_true (store_note_throttled (f->store, "10.0.0.1", T0, "slow-down", T0 + i, &n,
                                         &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, i);
  }
  /* Each verdict is its own first; the next window starts again. */
  g_assert_true (store_note_throttled (f->store, "10.0.0.1", T0, "locked", T0 + 9, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (store_note_throttled (f->store, "10.0.0.1", T0 + 15 * MINUTE, "locked",
                                       T0 + 15 * MINUTE, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (store_note_throttled (f->store, "10.0.0.2", T0, "locked", T0, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (store_count_throttled (f->store, "10.0.0.1", T0, &error), ==, 6);
  g_assert_cmpuint (store_count_throttled (f->store, "10.0.0.9", T0, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM login_throttled"), ==, 4);
  g_assert_false (store_note_throttled (f->store, "10.0.0.1", T0, "maybe", T0, &n, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_note_throttled (f->store, NULL, T0, "locked", T0, &n, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  /* Windows a month old are pruned. */
  g_assert_true (store_note_throttled (f->store, "10.0.0.3", T0 + 31 * DAY, "locked",
                                       T0 + 31 * DAY, &n, &error));
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM login_throttled"), ==, 1);
}

/* Another connection (the admin CLI, another node) holds the write lock
 * (sqlite's BEGIN IMMEDIATE, PostgreSQL's advisory write lock): the
 * server's reads go on at once (WAL, deferred read transactions; MVCC), and
 * a write gives up after the short busy timeout with STORE_ERROR_BUSY
 * instead of freezing the loop for seconds. */
static void
test_busy_writer (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  Store *cli;
  Visit v = { 0 };
  StoreCheckin c = { 0 };
  GPtrArray *activity;
  gint64 t;
  (void) data;

  make_visit (f->store, &v, T0);
  /* Long enough that a read which waited for the writer would show. */
  store_set_busy_timeout (f->store, 3000);
  cli = store_open_again (f->store, &error);
  g_assert_no_error (error);
  g_assert_true (store_begin (cli, &error));
  g_assert_no_error (error);
  raw_exec (cli, "INSERT INTO login_failures (username, at)"
                 " VALUES ('held', '2026-11-27T12:00:00.000Z')");

  t = g_get_monotonic_time ();
  activity = store_visit_activity (f->store, v.visit, &error);
  g_assert_no_error (error);
  g_assert_nonnull (activity);
  g_ptr_array_unref (activity);
  g_assert_false (store_get_latest_checkin (f->store, v.visit, &c, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);  /* read, not refused: there is none */
  g_assert_cmpuint (store_count_login_failures (f->store, "address", "10.0.0.1", 0, NULL, &error),
                    ==, 0);
  g_assert_no_error (error);
  /* No read waited for the writer (which holds its lock for good). */
  g_assert_cmpint (g_get_monotonic_time () - t, <, 1000 * 1000);

  /* The server's short timeout: a write gives up soon. */
  store_set_busy_timeout (f->store, 50);
  t = g_get_monotonic_time ();
  g_assert_false (store_record_login_failure (f->store, "alice", "10.0.0.1", T0, &error));
  ASSERT_ERR (STORE_ERROR_BUSY);
  g_assert_cmpint (g_get_monotonic_time () - t, <, 1000 * 1000);

  /* Once the other connection commits, writes go through again. */
  g_assert_true (store_commit (cli, &error));
  g_assert_no_error (error);
  g_assert_true (store_record_login_failure (f->store, "alice", "10.0.0.1", T0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM login_failures"), ==, 2);
  store_close (cli);
  visit_clear (&v);
}

/* ============================================================ guests */

static void
test_guests (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *provider = make_staff (f, "Dr. Lee", "psychiatrist");
  char *patient = store_create_patient (f->store, "Alex Example", &error);
  char *visit = store_create_visit (f->store, patient, provider, T0, &error);
  char *long_name = g_strnfill (101, 'a');
  char *guest = NULL, *guest2 = NULL, *token = NULL, *token2 = NULL, *ptoken = NULL;
  StoreParticipant p = { 0 };
  GPtrArray *list;
  (void) data;

  g_assert_no_error (error);
  list = store_list_visit_guests (f->store, visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_ptr_array_unref (list);

  g_assert_null (store_add_guest (f->store, visit, "", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_add_guest (f->store, visit, " \t ", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_add_guest (f->store, visit, long_name, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_add_guest (f->store, visit, NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_add_guest (f->store, "nowhere", "Sam", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  guest = store_add_guest (f->store, visit, "Sam (interpreter)", &error);
  g_assert_no_error (error);
  guest2 = store_add_guest (f->store, visit, "Robert'); DROP TABLE visits;--", &error);
  g_assert_no_error (error);
  token = store_issue_join_token (f->store, guest, T0 - HOUR, T0 + HOUR, &error);
  token2 = store_issue_join_token (f->store, guest, T0 - HOUR, T0 + HOUR, &error);
  g_assert_no_error (error);
  {
    StoreParticipant pp = { 0 };
    g_assert_true (store_find_visit_participant (f->store, visit, PARTICIPANT_PATIENT, &pp, &error));
    ptoken = store_issue_join_token (f->store, pp.id, T0 - HOUR, T0 + HOUR, &error);
    store_participant_clear (&pp);
  }

  g_assert_true (store_resolve_join_token (f->store, token, T0, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p.id, ==, guest);
  g_assert_cmpstr (p.visit_id, ==, visit);
  g_assert_cmpint (p.role, ==, PARTICIPANT_GUEST);
  g_assert_cmpstr (p.display_name, ==, "Sam (interpreter)");
  g_assert_null (p.person_id);
  store_participant_clear (&p);

  list = store_list_visit_guests (f->store, visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  for (guint i = 0; i < list->len; i++) {
    StoreGuest *g = g_ptr_array_index (list, i);
    g_assert_false (g->revoked);
    g_assert_cmpint (g->participant.role, ==, PARTICIPANT_GUEST);
    g_assert_cmpstr (g->participant.visit_id, ==, visit);
  }
  g_ptr_array_unref (list);

  /* Revoked: both of the guest's links stop working; the patient's does not. */
  g_assert_true (store_revoke_participant_tokens (f->store, guest, &error));
  g_assert_no_error (error);
  g_assert_false (store_resolve_join_token (f->store, token, T0, &p, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_false (store_resolve_join_token (f->store, token2, T0, &p, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  g_assert_true (store_resolve_join_token (f->store, ptoken, T0, &p, &error));
  g_assert_no_error (error);
  store_participant_clear (&p);
  /* Revoking again changes nothing (the first time stays recorded). */
  g_assert_true (store_revoke_participant_tokens (f->store, guest, &error));
  g_assert_cmpint (query_int (f->store,
                              "SELECT count(DISTINCT revoked_at) FROM join_tokens"
                              " WHERE participant_id = ?1", guest), ==, 1);
  g_assert_false (store_revoke_participant_tokens (f->store, "nobody", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  list = store_list_visit_guests (f->store, visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  for (guint i = 0; i < list->len; i++) {
    StoreGuest *g = g_ptr_array_index (list, i);
    if (g_strcmp0 (g->participant.id, guest) == 0) {
      g_assert_true (g->revoked);
      g_assert_cmpstr (g->participant.display_name, ==, "Sam (interpreter)");
    } else {
      g_assert_cmpstr (g->participant.id, ==, guest2);
      g_assert_cmpstr (g->participant.display_name, ==, "Robert'); DROP TABLE visits;--");
      g_assert_false (g->revoked);  /* never had a link */
    }
  }
  g_ptr_array_unref (list);
  g_assert_null (store_list_visit_guests (f->store, "nowhere", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* No new guests once the visit is over. */
  g_assert_true (store_set_visit_state (f->store, visit, VISIT_ENDED, &error));
  g_assert_null (store_add_guest (f->store, visit, "Late", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);

  g_free (provider);
  g_free (patient);
  g_free (visit);
  g_free (long_name);
  g_free (guest);
  g_free (guest2);
  g_free (token);
  g_free (token2);
  g_free (ptoken);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn)                                                                     \
  g_test_add (path, Fixture, NULL, store_fixture_set_up, fn, store_fixture_tear_down)
  ADD ("/accounts/schema", test_schema);
  ADD ("/accounts/schema-from-v2", test_schema_from_v2);
  ADD ("/accounts/credentials", test_credentials);
  ADD ("/sessions/lifecycle", test_session_lifecycle);
  ADD ("/sessions/end", test_session_end);
  ADD ("/sessions/disabled-account", test_disabled_account);
  ADD ("/login-failures/count-and-clear", test_login_failures);
  ADD ("/login-failures/networks-and-throttled", test_login_networks);
  ADD ("/store/busy-writer", test_busy_writer);
  ADD ("/guests/add-list-revoke", test_guests);
#undef ADD
  return g_test_run ();
}
