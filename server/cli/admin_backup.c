/* admin_backup.c — `telehealthd admin backup --to FILE` and `admin restore
 * --from FILE` (issue 17), and the data directory's lock.
 *
 * backup runs beside a serving server (SQLite's online backup API copies
 * one consistent snapshot while visits go on) and checks its copy before it
 * calls it a backup. restore needs the server stopped: it takes the lock the
 * server holds while it serves, so it cannot replace a database under a
 * running server; it checks the file first, and keeps the database it
 * replaces beside it, whole, so a restore by mistake loses nothing.
 */
#define G_LOG_DOMAIN "th-admin"

#include "server/cli/cli.h"
#include "server/clock/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#define LOCK_NAME "telehealthd.lock"

int
th_data_dir_lock (const char *data_dir, GError **error)
{
  g_autofree char *path = g_build_filename (data_dir, LOCK_NAME, NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot open %s: %s", path,
                 g_strerror (errno));
    return -1;
  }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close (fd);
    if (e == EWOULDBLOCK)
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "a telehealthd server is running on the data directory %s", data_dir);
    else
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "cannot lock %s: %s", path,
                   g_strerror (e));
    return -1;
  }
  return fd;
}

/* The backups a --to-dir run writes: telehealth-<UTC, to the microsecond>.db,
 * so that their names sort as their times. */
#define BACKUP_PREFIX "telehealth-"
#define BACKUP_SUFFIX "Z.db"

static gboolean
is_dated_backup (const char *name)
{
  gsize len = strlen (name);
  return g_str_has_prefix (name, BACKUP_PREFIX) && g_str_has_suffix (name, BACKUP_SUFFIX) &&
         len == strlen (BACKUP_PREFIX "20261205T213800123456" BACKUP_SUFFIX);
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  return -g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Removes the dated backups in `dir` beyond the `keep` newest; the names
 * removed go into `removed`. */
static gboolean
prune (const char *dir, guint keep, json_t *removed, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (!d)
    return FALSE;
  while ((name = g_dir_read_name (d)))
    if (is_dated_backup (name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, newest_first);
  for (guint i = keep; i < names->len; i++) {
    g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
    if (g_unlink (path) != 0) {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot remove %s: %s",
                   path, g_strerror (errno));
      return FALSE;
    }
    json_array_append_new (removed, json_string (path));
  }
  return TRUE;
}

/* PostgreSQL has its own tools for this, which know its files, its
 * write-ahead log and its replicas; a copy of our own would be worse. */
static int
refuse_on_postgresql (const char *command)
{
  fprintf (stderr,
           "telehealthd admin %s: this server keeps its data in PostgreSQL; use PostgreSQL's "
           "own tools instead (pg_dump to back up, pg_restore to restore; see the README, "
           "\"The store on PostgreSQL\")\n",
           command);
  return 1;
}

int
th_admin_restore_refused (void)
{
  return refuse_on_postgresql ("restore");
}

int
th_admin_migrate (ThApp *app)
{
  /* Opening the store with `upgrade` (main.c) ran the migrations; this
   * says where the schema now stands. */
  th_admin_print (json_pack ("{s:s, s:i}", "backend",
                             store_backend (app->store) == STORE_BACKEND_POSTGRESQL ? "postgresql"
                                                                                   : "sqlite",
                             "schema_version", store_schema_version (app->store)));
  return 0;
}

int
th_admin_backup (ThApp *app, const char *to, const char *to_dir, int keep)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  json_t *removed = json_array ();
  StoreCopyInfo info;
  GStatBuf st;

  if (store_backend (app->store) == STORE_BACKEND_POSTGRESQL) {
    json_decref (removed);
    return refuse_on_postgresql ("backup");
  }
  if ((!to || !*to) == (!to_dir || !*to_dir) || (keep != 0 && !to_dir) || keep < 0) {
    fprintf (stderr, "telehealthd admin backup: say where with --to FILE, or --to-dir DIR "
                     "(and optionally --keep N, the newest N kept there)\n");
    json_decref (removed);
    return 2;
  }
  if (to_dir) {
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
    g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S%f");
    g_autofree char *name = g_strconcat (BACKUP_PREFIX, stamp, BACKUP_SUFFIX, NULL);
    if (g_mkdir_with_parents (to_dir, 0700) != 0) {
      fprintf (stderr, "telehealthd admin backup: cannot create %s: %s\n", to_dir,
               g_strerror (errno));
      json_decref (removed);
      return 1;
    }
    path = g_build_filename (to_dir, name, NULL);
  } else {
    path = g_strdup (to);
  }
  if (!store_backup (app->store, path, &info, &error) ||
      (keep > 0 && !prune (to_dir, (guint) keep, removed, &error))) {
    fprintf (stderr, "telehealthd admin backup: %s\n", error->message);
    json_decref (removed);
    return 1;
  }
  th_admin_print (json_pack ("{s:s, s:I, s:i, s:I, s:s, s:o}", "backup", path, "bytes",
                             (json_int_t) (g_stat (path, &st) == 0 ? st.st_size : 0),
                             "schema_version", info.schema_version, "audit_rows",
                             (json_int_t) info.audit_rows, "checked",
                             "integrity ok, audit chain intact", "removed", removed));
  return 0;
}

int
th_admin_restore (const char *data_dir, const char *from)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *db_path = NULL, *aside = NULL, *stamp = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  gboolean had_old;
  StoreCopyInfo info;
  int lock;

  if (!from || !*from) {
    fprintf (stderr, "telehealthd admin restore: say which backup with --from FILE\n");
    return 2;
  }
  if ((lock = th_data_dir_lock (data_dir, &error)) < 0) {
    fprintf (stderr, "telehealthd admin restore: %s; stop it first (systemctl stop telehealthd)\n",
             error->message);
    return 1;
  }
  db_path = g_build_filename (data_dir, "telehealth.db", NULL);
  had_old = g_file_test (db_path, G_FILE_TEST_EXISTS);
  stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  aside = g_strdup_printf ("%s.before-restore-%s", db_path, stamp);
  if (!store_restore (from, db_path, aside, &info, &error)) {
    fprintf (stderr, "telehealthd admin restore: %s; nothing was changed\n", error->message);
    close (lock);
    return 1;
  }
  th_admin_print (json_pack ("{s:s, s:s, s:s?, s:i, s:I}", "restored", from, "database", db_path,
                         "previous_database", had_old ? aside : NULL, "schema_version",
                         info.schema_version, "audit_rows", (json_int_t) info.audit_rows));
  close (lock);
  return 0;
}
