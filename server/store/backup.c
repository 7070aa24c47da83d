/* backup.c — a copy of the database a clinic can keep, check and restore
 * (issue 17): SQLite's online backup API, which copies a consistent snapshot
 * while the server goes on writing (WAL: the copy reads one snapshot, the
 * writer appends to the log meanwhile), then checks the copy as a restore
 * would: PRAGMA integrity_check, the schema version, the audit chain.
 *
 * A copy is one file in rollback-journal mode (no -wal or -shm beside it),
 * readable by this user only, written under a temporary name and renamed
 * into place once checked: a failed backup never leaves a file that looks
 * like a good one.
 */
#include "server/store/store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* A busy step (another connection checkpointing) is tried again this often. */
#define BACKUP_RETRY_MS 50
#define BACKUP_MAX_TRIES 200

static gboolean
copy_db (sqlite3 *from, sqlite3 *to, GError **error)
{
  sqlite3_backup *b = sqlite3_backup_init (to, "main", from, "main");
  int rc;

  if (!b) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "backup: %s", sqlite3_errmsg (to));
    return FALSE;
  }
  /* All pages in one step: one read transaction, so one snapshot. */
  for (int tries = 0; tries < BACKUP_MAX_TRIES; tries++) {
    rc = sqlite3_backup_step (b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      break;
    g_usleep (BACKUP_RETRY_MS * 1000);
  }
  sqlite3_backup_finish (b);
  if (rc != SQLITE_DONE) {
    g_set_error (error, STORE_ERROR, rc == SQLITE_BUSY ? STORE_ERROR_BUSY : STORE_ERROR_SQL,
                 "backup: %s", sqlite3_errstr (rc));
    return FALSE;
  }
  return TRUE;
}

static gboolean
exec (sqlite3 *db, const char *sql, GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "%s: %s", sql, msg ? msg : "failed");
    sqlite3_free (msg);
    return FALSE;
  }
  return TRUE;
}

/* Copies `from` into a new file at `path` (0600), one file, no WAL. */
static gboolean
write_copy (sqlite3 *from, const char *path, GError **error)
{
  sqlite3 *to = NULL;
  gboolean ok = FALSE;
  int fd;

  (void) g_unlink (path);
  /* Made here first so that it is never readable by others, even briefly. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "cannot create %s: %s", path,
                 g_strerror (errno));
    return FALSE;
  }
  close (fd);
  if (sqlite3_open_v2 (path, &to, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "cannot open %s: %s", path,
                 to ? sqlite3_errmsg (to) : "out of memory");
    goto out;
  }
  if (!copy_db (from, to, error) || !exec (to, "PRAGMA journal_mode=DELETE", error))
    goto out;
  ok = TRUE;
out:
  if (to && sqlite3_close (to) != SQLITE_OK && ok) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "closing %s failed", path);
    ok = FALSE;
  }
  if (!ok)
    (void) g_unlink (path);
  return ok;
}

gboolean
store_check_copy (const char *path, StoreCopyInfo *info, GError **error)
{
  Store *copy = g_new0 (Store, 1);
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  memset (info, 0, sizeof *info);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s is not a file", path);
    goto out;
  }
  if (sqlite3_open_v2 (path, &copy->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "%s cannot be opened as a database",
                 path);
    goto out;
  }
  /* A file that is not a database fails here, on its first page. */
  if (!store_prepare (copy, "PRAGMA user_version", &stmt, NULL) ||
      store_step (stmt) != STORE_ROW) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "%s is not a telehealthd database",
                 path);
    goto out;
  }
  info->schema_version = store_col_int (stmt, 0);
  g_clear_pointer (&stmt, store_stmt_free);
  if (info->schema_version < 1 || info->schema_version > store_latest_schema_version ()) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "%s has schema version %d; this program reads 1 to %d", path,
                 info->schema_version, store_latest_schema_version ());
    goto out;
  }
  /* integrity_check reads every page: damage anywhere shows here. */
  if (!store_prepare (copy, "PRAGMA integrity_check(1)", &stmt, NULL) ||
      (rc = store_step (stmt)) != STORE_ROW ||
      g_strcmp0 (store_col_text (stmt, 0), "ok") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "%s is damaged (SQLite's integrity check failed)", path);
    goto out;
  }
  g_clear_pointer (&stmt, store_stmt_free);
  if (!store_audit_verify (copy, &info->audit_rows, error)) {
    g_prefix_error (error, "%s: ", path);
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  if (copy->db)
    sqlite3_close (copy->db);
  g_free (copy);
  return ok;
}

gboolean
store_backup (Store *store, const char *path, StoreCopyInfo *info, GError **error)
{
  g_autofree char *partial = g_strconcat (path, ".partial", NULL);

  g_return_val_if_fail (store != NULL && path != NULL, FALSE);
  /* PostgreSQL has no file to copy here: its own tools back it up. */
  if (store->backend == STORE_BACKEND_POSTGRESQL) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "the data is in PostgreSQL: back it up with pg_dump, not with telehealthd");
    return FALSE;
  }
  if (!write_copy (store->db, partial, error))
    return FALSE;
  if (!store_check_copy (partial, info, error)) {
    (void) g_unlink (partial);
    return FALSE;
  }
  if (g_rename (partial, path) != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "cannot move the copy to %s: %s", path,
                 g_strerror (errno));
    (void) g_unlink (partial);
    return FALSE;
  }
  return TRUE;
}

/* What SQLite keeps beside a database in WAL mode. */
static const char *const kSideFiles[] = { "-wal", "-shm" };

/* Undoes a half-done restore: the old database and its side files go back. */
static void
put_back (const char *db_path, const char *aside_path)
{
  (void) g_rename (aside_path, db_path);
  for (guint i = 0; i < G_N_ELEMENTS (kSideFiles); i++) {
    g_autofree char *side = g_strconcat (db_path, kSideFiles[i], NULL);
    g_autofree char *kept = g_strconcat (aside_path, kSideFiles[i], NULL);
    if (g_file_test (kept, G_FILE_TEST_EXISTS))
      (void) g_rename (kept, side);
  }
}

gboolean
store_restore (const char *from_path, const char *db_path, const char *aside_path,
               StoreCopyInfo *info, GError **error)
{
  g_autofree char *incoming = g_strconcat (db_path, ".restoring", NULL);
  sqlite3 *from = NULL;
  gboolean ok = FALSE, moved = FALSE, had_old = g_file_test (db_path, G_FILE_TEST_EXISTS);

  if (!store_check_copy (from_path, info, error))
    return FALSE;
  if (sqlite3_open_v2 (from_path, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "%s cannot be opened", from_path);
    goto out;
  }
  if (!write_copy (from, incoming, error))
    goto out;
  /* The database it replaces is kept, whole, beside it: renamed with its
   * write-ahead log and index (SQLite pairs them by name), never opened:
   * a restore is often wanted because SQLite cannot read it, and SQLite
   * may drop the log of a file it cannot read. No log of the old database
   * may stay beside the new one either: SQLite would read it as this one's. */
  if (had_old && g_rename (db_path, aside_path) != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "cannot move %s aside: %s", db_path,
                 g_strerror (errno));
    goto out;
  }
  for (guint i = 0; i < G_N_ELEMENTS (kSideFiles); i++) {
    g_autofree char *side = g_strconcat (db_path, kSideFiles[i], NULL);
    g_autofree char *kept = g_strconcat (aside_path, kSideFiles[i], NULL);
    if (g_file_test (side, G_FILE_TEST_EXISTS) && g_rename (side, kept) != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "cannot move %s aside: %s", side,
                   g_strerror (errno));
      moved = TRUE;
      goto out;
    }
  }
  if (g_rename (incoming, db_path) != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "cannot move the copy to %s: %s",
                 db_path, g_strerror (errno));
    moved = TRUE;
    goto out;
  }
  ok = TRUE;
out:
  if (from)
    sqlite3_close (from);
  if (!ok)
    (void) g_unlink (incoming);
  if (!ok && moved)
    put_back (db_path, aside_path);
  return ok;
}
