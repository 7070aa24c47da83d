/* test_store_backup.c — backups of a real database file (server/store/
 * backup.c, issue 17): the copy holds what was committed, is one file of
 * mode 0600 and passes the checks; a copy whose audit chain was edited, a
 * damaged page, a file that is not a database and a newer schema are each
 * refused with their reason; a restore keeps the database it replaces.
 * All of it is SQLite's online backup: on PostgreSQL (pg_dump's job) these
 * skip, and a backup asked of a PostgreSQL store is refused, naming
 * pg_dump. */
#include "tests/unit/store-fixture.h"

#include <sys/stat.h>

static char *
in_dir (StoreFixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
remove_in_dir (StoreFixture *f, const char *name)
{
  g_autofree char *p = in_dir (f, name);
  remove_db (p);
}

static void
exec_on (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_copy_and_checks (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreCopyInfo info;
  GStatBuf st;
  g_autofree char *copy = in_dir (f, "copy.db");
  g_autofree char *wal = g_strconcat (copy, "-wal", NULL);
  g_autofree char *partial = g_strconcat (copy, ".partial", NULL);

  (void) data;
  SKIP_ON_PG ("SQLite's online backup; PostgreSQL is backed up with pg_dump");
  for (int i = 0; i < 3; i++)
    g_assert_true (store_audit_append (f->store, "test", "backup.test", NULL, "{}", &error));
  g_assert_true (store_backup (f->store, copy, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.schema_version, ==, store_latest_schema_version ());
  g_assert_cmpuint (info.audit_rows, ==, 3);
  g_assert_cmpint (g_stat (copy, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  g_assert_true (store_check_copy (copy, &info, &error));

  /* An audit row edited in the copy: the chain no longer holds. */
  g_autofree char *edited = in_dir (f, "edited.db");
  g_assert_true (store_backup (f->store, edited, &info, &error));
  exec_on (edited, "DROP TRIGGER IF EXISTS audit_events_no_update;"
                   "UPDATE audit_events SET actor = 'someone else' WHERE seq = 2");
  g_assert_false (store_check_copy (edited, &info, &error));
  g_assert_nonnull (strstr (error->message, "audit chain broken at seq 2"));
  g_clear_error (&error);

  /* A page overwritten. */
  g_autofree char *damaged = in_dir (f, "damaged.db");
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (copy, &bytes, &len, NULL));
  g_assert_cmpuint (len, >, 3 * 4096);
  for (gsize i = 2 * 4096; i < 2 * 4096 + 2048; i++)
    bytes[i] = (char) (i * 7919);
  g_assert_true (g_file_set_contents (damaged, bytes, (gssize) len, NULL));
  g_assert_false (store_check_copy (damaged, &info, &error));
  g_assert_nonnull (strstr (error->message, "is damaged"));
  g_clear_error (&error);

  /* Not a database; not there. */
  g_autofree char *text = in_dir (f, "notes.txt");
  g_assert_true (g_file_set_contents (text, "not a database\n", -1, NULL));
  g_assert_false (store_check_copy (text, &info, &error));
  g_assert_nonnull (strstr (error->message, "is not a telehealthd database"));
  g_clear_error (&error);
  g_autofree char *missing = in_dir (f, "missing.db");
  g_assert_false (store_check_copy (missing, &info, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  /* From a newer program. */
  g_autofree char *newer = in_dir (f, "newer.db");
  g_assert_true (store_backup (f->store, newer, &info, &error));
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d",
                                           store_latest_schema_version () + 1);
  exec_on (newer, bump);
  g_assert_false (store_check_copy (newer, &info, &error));
  ASSERT_ERR (STORE_ERROR_SCHEMA);

  g_remove (text);
  remove_in_dir (f, "copy.db");
  remove_in_dir (f, "edited.db");
  remove_in_dir (f, "damaged.db");
  remove_in_dir (f, "newer.db");
}

static void
test_restore_keeps_the_old (StoreFixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreCopyInfo info;
  g_autofree char *copy = in_dir (f, "copy.db");
  g_autofree char *target = in_dir (f, "target.db");
  g_autofree char *aside = in_dir (f, "target.db.before-restore");

  (void) data;
  SKIP_ON_PG ("SQLite's files restored; PostgreSQL is restored with pg_restore");
  g_assert_true (store_audit_append (f->store, "test", "in.the.backup", NULL, "{}", &error));
  g_assert_true (store_backup (f->store, copy, &info, &error));
  /* A database with a row of its own still in its write-ahead log, as a
   * server that died leaves it: its files copied while it was open. */
  g_autofree char *live = in_dir (f, "live.db");
  Store *old = store_open (live, &error);
  g_assert_no_error (error);
  g_assert_true (store_audit_append (old, "test", "only.in.the.old", NULL, "{}", &error));
  const char *suffixes[] = { "", "-wal" };
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    g_autofree char *from = g_strconcat (live, suffixes[i], NULL);
    g_autofree char *to = g_strconcat (target, suffixes[i], NULL);
    g_autofree char *bytes = NULL;
    gsize len = 0;
    g_assert_true (g_file_get_contents (from, &bytes, &len, NULL));
    g_assert_true (g_file_set_contents (to, bytes, (gssize) len, NULL));
  }
  store_close (old);
  g_autofree char *target_wal = g_strconcat (target, "-wal", NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (target_wal, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 0);
  g_assert_true (store_restore (copy, target, aside, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.audit_rows, ==, 1);
  g_assert_false (g_file_test (target_wal, G_FILE_TEST_EXISTS)); /* not the old one's log */

  Store *now = store_open (target, &error);
  g_assert_no_error (error);
  g_assert_cmpint (query_int (now,
                              "SELECT count(*) FROM audit_events WHERE action = ?", "in.the.backup"),
                   ==, 1);
  store_close (now);
  Store *kept = store_open (aside, &error);
  g_assert_no_error (error);
  g_assert_cmpint (query_int (kept,
                              "SELECT count(*) FROM audit_events WHERE action = ?",
                              "only.in.the.old"),
                   ==, 1);
  store_close (kept);

  /* A database SQLite cannot open any more (why one restores): it is kept
   * beside the restored one as it was, its log too. */
  g_autofree char *junk = g_strdup ("not a database any more");
  g_assert_true (g_file_set_contents (target, junk, -1, NULL));
  g_assert_true (g_file_set_contents (target_wal, "a log", -1, NULL));
  remove_in_dir (f, "target.db.before-restore");
  g_assert_true (store_restore (copy, target, aside, &info, &error));
  g_assert_no_error (error);
  g_autofree char *kept_bytes = NULL;
  g_assert_true (g_file_get_contents (aside, &kept_bytes, NULL, NULL));
  g_assert_cmpstr (kept_bytes, ==, junk);
  g_autofree char *aside_wal = g_strconcat (aside, "-wal", NULL);
  g_assert_true (g_file_test (aside_wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (target_wal, G_FILE_TEST_EXISTS));
  g_assert_true (store_check_copy (target, &info, &error));

  remove_in_dir (f, "copy.db");
  remove_in_dir (f, "target.db");
  remove_in_dir (f, "target.db.before-restore");
  remove_in_dir (f, "live.db");
}

/* A PostgreSQL store has no file to copy: asked for a backup, it refuses
 * with the tool to use, and writes nothing. (Its own set-up: on sqlite it
 * skips before making a database.) */
static void
test_postgresql_refused (void)
{
  GError *error = NULL;
  StoreCopyInfo info;
  StoreFixture f;

  if (!fixture_on_pg ()) {
    g_test_skip ("a PostgreSQL store's refusal; sqlite's backups are tested above");
    return;
  }
  store_fixture_set_up (&f, NULL);
  {
    g_autofree char *copy = in_dir (&f, "copy.db");
    g_autofree char *partial = g_strconcat (copy, ".partial", NULL);
    g_assert_false (store_backup (f.store, copy, &info, &error));
    g_assert_error (error, STORE_ERROR, STORE_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "pg_dump"));
    g_clear_error (&error);
    g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  }
  store_fixture_tear_down (&f, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  STORE_TEST_ADD ("backup/copy-and-checks", test_copy_and_checks);
  STORE_TEST_ADD ("backup/restore-keeps-the-old", test_restore_keeps_the_old);
  g_test_add_func ("/store/backup/postgresql-refused", test_postgresql_refused);
  return g_test_run ();
}
