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

int
th_admin_backup (ThApp *app, const char *to)
{
  g_autoptr (GError) error = NULL;
  StoreCopyInfo info;
  GStatBuf st;

  if (!to || !*to) {
    fprintf (stderr, "telehealthd admin backup: say where with --to FILE\n");
    return 2;
  }
  if (!store_backup (app->store, to, &info, &error)) {
    fprintf (stderr, "telehealthd admin backup: %s\n", error->message);
    return 1;
  }
  th_admin_print (json_pack ("{s:s, s:I, s:i, s:I, s:s}", "backup", to, "bytes",
                         (json_int_t) (g_stat (to, &st) == 0 ? st.st_size : 0), "schema_version",
                         info.schema_version, "audit_rows", (json_int_t) info.audit_rows,
                         "checked", "integrity ok, audit chain intact"));
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
