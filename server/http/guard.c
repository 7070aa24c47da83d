/* guard.c — what keeps the transport standing when it is pushed: the
 * open-files limit and the connection cap under it, shedding connections
 * if the process runs out of descriptors anyway, lws's log lines on a
 * budget. */
#define G_LOG_DOMAIN "th-http"

#include "server/http/http-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* lws's log callback has no user data: the one server of the process. */
static ThHttpServer *guarded;

/* ------------------------------------------------------------ descriptors */

/* Higher than any real need; lws sizes a table by the limit (8 bytes each). */
#define MAX_FILE_LIMIT (1u << 20)

static guint
file_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return 1024;
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAX_FILE_LIMIT)
    return MAX_FILE_LIMIT;
  return (guint) rl.rlim_cur;
}

guint
th_http_raise_file_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > MAX_FILE_LIMIT ? MAX_FILE_LIMIT
                                                                               : rl.rlim_max;
    if (want > rl.rlim_cur) {
      rl.rlim_cur = want;
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        g_message ("could not raise the open-files limit: %s", g_strerror (errno));
    }
  }
  return file_limit ();
}

/* The sockets we accept may use the open-files limit less a reserve: the
 * media (UDP sockets and pipes per participant), the database, GLib and
 * lws's own. Past the cap a connection is refused at once; were it let
 * through, accept() would fail with EMFILE and lws 4.1 would try again
 * and again at full speed (the socket stays readable). */
guint
th_http_connection_cap (guint configured)
{
  guint limit = file_limit ();
  guint reserve = MAX (256u, limit / 4);
  guint cap = limit > reserve + 16 ? limit - reserve : 16;

  if (configured && configured < cap)
    return configured;
  if (configured > cap)
    g_message ("[limits] max_connections = %u is more than the open-files limit (%u) allows; "
               "using %u",
               configured, limit, cap);
  return cap;
}

/* Should EMFILE come anyway (something else took descriptors), the
 * pending connections are taken with the reserve descriptor's slot and
 * closed, so the listening socket stops being readable. */
static void
shed_at_emfile (void)
{
  ThHttpServer *server = guarded;
  guint shed = 0;
  int fd;

  if (!server || server->listen_fd < 0 || !(fcntl (server->listen_fd, F_GETFL) & O_NONBLOCK))
    return;
  if (server->reserve_fd >= 0)
    close (server->reserve_fd);
  while (shed < 4096 &&
         (fd = accept4 (server->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
    close (fd);
    shed++;
  }
  server->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  g_warning ("out of file descriptors with %u connections open: closed %u new ones",
             server->connections, shed);
}

/* ------------------------------------------------------------ lws's log */

/* Each kind of line (its text with the numbers masked) is logged at most
 * LOG_BUDGET times a minute; the rest are counted and the count logged
 * when the kind comes up again after its minute. An idle TCP connection
 * makes lws say "Missing URI"; a thousand of them must not make a
 * thousand lines. */
#define LOG_BUDGET 5
#define LOG_WINDOW_US (60 * G_USEC_PER_SEC)
#define LOG_MAX_KINDS 256

typedef struct {
  gint64 window_start_us;
  guint count;
  guint suppressed;
} LogKind;

static GHashTable *log_kinds;

static char *
log_kind_of (const char *text)
{
  char *kind = g_strndup (text, 60);

  for (char *c = kind; *c; c++)
    if (g_ascii_isdigit (*c))
      *c = '#';
  return kind;
}

static void
log_line (int level, const char *text)
{
  if (level & LLL_ERR)
    g_warning ("lws: %s", text);
  else
    g_message ("lws: %s", text);
}

static void
log_emit (int level, const char *line)
{
  g_autofree char *text = g_strchomp (g_strdup (line));
  g_autofree char *kind = log_kind_of (text);
  gint64 now = g_get_monotonic_time ();
  LogKind *k;

  if (g_str_has_prefix (text, "accept: errno ")) {
    int e = atoi (text + strlen ("accept: errno "));
    if (e == EMFILE || e == ENFILE)
      shed_at_emfile ();
  }
  if (!log_kinds) {
    log_line (level, text);
    return;
  }
  if (g_hash_table_size (log_kinds) >= LOG_MAX_KINDS)
    g_hash_table_remove_all (log_kinds);
  k = g_hash_table_lookup (log_kinds, kind);
  if (!k) {
    k = g_new0 (LogKind, 1);
    k->window_start_us = now;
    g_hash_table_insert (log_kinds, g_strdup (kind), k);
  }
  if (now - k->window_start_us >= LOG_WINDOW_US) {
    if (k->suppressed)
      g_message ("lws: %u more lines like \"%s\" were not logged", k->suppressed, kind);
    k->window_start_us = now;
    k->count = 0;
    k->suppressed = 0;
  }
  if (k->count < LOG_BUDGET) {
    k->count++;
    log_line (level, text);
  } else {
    k->suppressed++;
  }
}

void
th_http_guard_start (ThHttpServer *server)
{
  guarded = server;
  server->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (!log_kinds)
    log_kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lws_set_log_level (LLL_ERR | LLL_WARN, log_emit);
}

/* After lws_context_destroy: frees the server. */
void
th_http_guard_stop (ThHttpServer *server)
{
  if (guarded == server)
    guarded = NULL;
  if (server->reserve_fd >= 0)
    close (server->reserve_fd);
  g_clear_pointer (&log_kinds, g_hash_table_unref);
  g_free (server);
}
