/* listen.c — LISTEN on the visits' channel from the GLib main loop (store.h,
 * "Visit changes"; issue 18).
 *
 * A libpq connection of its own, driven by its socket's readiness and never
 * waited on: PQconnectStartParams / PQconnectPoll to connect, PQsendQuery
 * for the LISTEN, PQconsumeInput and PQnotifies when the socket is
 * readable. A lost connection (the database restarted, a failover, an
 * operator's pg_terminate_backend) is made again after a back-off, and
 * since what was notified meanwhile is lost, the callback is told to
 * resync (NULL, NULL) once LISTEN is in force again.
 *
 * One thing libpq may still do synchronously: resolve a host name in
 * PQconnectStartParams. A DSN naming a Unix socket or an address (host= an
 * IP, or hostaddr=) never waits. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-pg.h"

#include <glib-unix.h>

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 8000

typedef enum { PHASE_IDLE, PHASE_CONNECTING, PHASE_LISTEN_SENT, PHASE_READY } Phase;

struct _StoreListener {
  char *dsn;
  StoreVisitChangedFunc func;
  gpointer user_data;
  PGconn *conn;
  Phase phase;
  GSource *watch; /* the socket, for what libpq waits on */
  guint retry_id; /* the back-off's timeout */
  guint backoff_ms;
  gboolean was_ready; /* LISTEN held once: a new one must resync */
};

static void listener_connect (StoreListener *l);

static void
drop_watch (StoreListener *l)
{
  if (l->watch) {
    g_source_destroy (l->watch);
    g_source_unref (l->watch);
    l->watch = NULL;
  }
}

static gboolean
retry_due (gpointer data)
{
  StoreListener *l = data;

  l->retry_id = 0;
  listener_connect (l);
  return G_SOURCE_REMOVE;
}

/* The connection failed or was lost: close it, try again later. */
static void
lost (StoreListener *l, const char *what)
{
  /* libpq's message spans lines: one log line. */
  g_autofree char *why = g_strstrip (
    g_strdelimit (g_strdup (l->conn ? PQerrorMessage (l->conn) : ""), "\n\t", ' '));

  g_warning ("store: the PostgreSQL listener %s (%s); connecting again in %u ms", what,
             *why ? why : "no reason given", l->backoff_ms);
  drop_watch (l);
  g_clear_pointer (&l->conn, PQfinish);
  l->phase = PHASE_IDLE;
  l->retry_id = g_timeout_add (l->backoff_ms, retry_due, l);
  l->backoff_ms = MIN (l->backoff_ms * 2, BACKOFF_MAX_MS);
}

static gboolean on_socket (gint fd, GIOCondition cond, gpointer data);

/* Watches the connection's socket (it may change while connecting) for
 * `cond`. */
static void
watch (StoreListener *l, GIOCondition cond)
{
  int fd = PQsocket (l->conn);

  drop_watch (l);
  if (fd < 0) {
    lost (l, "has no socket");
    return;
  }
  l->watch = g_unix_fd_source_new (fd, cond | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (l->watch, G_SOURCE_FUNC (on_socket), l, NULL);
  g_source_attach (l->watch, NULL);
}

static void
on_notice (void *arg G_GNUC_UNUSED, const char *message)
{
  g_debug ("store: PostgreSQL says to the listener: %s", message);
}

static void
listener_connect (StoreListener *l)
{
  const char *const keys[] = { "application_name", STORE_PG_DEFAULT_KEYS, "dbname", NULL };
  const char *const values[] = { "telehealthd-listen", STORE_PG_DEFAULT_VALUES, l->dsn, NULL };

  l->conn = PQconnectStartParams (keys, values, 1);
  if (!l->conn || PQstatus (l->conn) == CONNECTION_BAD) {
    lost (l, "could not start connecting");
    return;
  }
  PQsetnonblocking (l->conn, 1);
  PQsetNoticeProcessor (l->conn, on_notice, NULL);
  l->phase = PHASE_CONNECTING;
  watch (l, G_IO_OUT);
}

static void
send_listen (StoreListener *l)
{
  int flushed;

  if (!PQsendQuery (l->conn, "LISTEN " STORE_VISITS_CHANNEL)) {
    lost (l, "could not send LISTEN");
    return;
  }
  l->phase = PHASE_LISTEN_SENT;
  flushed = PQflush (l->conn);
  if (flushed < 0)
    lost (l, "could not send LISTEN");
  else
    watch (l, flushed == 1 ? G_IO_IN | G_IO_OUT : G_IO_IN);
}

/* One step of PQconnectPoll. */
static void
connecting (StoreListener *l)
{
  switch (PQconnectPoll (l->conn)) {
  case PGRES_POLLING_READING:
    watch (l, G_IO_IN);
    break;
  case PGRES_POLLING_WRITING:
    watch (l, G_IO_OUT);
    break;
  case PGRES_POLLING_OK:
    send_listen (l);
    break;
  case PGRES_POLLING_FAILED:
  default:
    lost (l, "could not connect");
    break;
  }
}

/* The LISTEN's answer: in force from now on. */
static gboolean
read_results (StoreListener *l)
{
  PGresult *result;

  while (!PQisBusy (l->conn) && (result = PQgetResult (l->conn))) {
    ExecStatusType status = PQresultStatus (result);
    PQclear (result);
    if (l->phase != PHASE_LISTEN_SENT)
      continue;
    if (status != PGRES_COMMAND_OK) {
      lost (l, "was refused LISTEN");
      return FALSE;
    }
    l->phase = PHASE_READY;
    l->backoff_ms = BACKOFF_FIRST_MS;
    g_message ("store: listening for visit changes on PostgreSQL%s",
               l->was_ready ? " again: listeners resync" : "");
    if (l->was_ready)
      l->func (NULL, NULL, NULL, l->user_data);
    l->was_ready = TRUE;
  }
  return TRUE;
}

static void
reading (StoreListener *l)
{
  PGnotify *n;

  if (!l->conn)
    return;
  if (!PQconsumeInput (l->conn) || PQstatus (l->conn) == CONNECTION_BAD) {
    lost (l, "lost its connection");
    return;
  }
  if (!read_results (l))
    return;
  while ((n = PQnotifies (l->conn))) {
    g_autofree char *visit = NULL, *provider = NULL, *supervisor = NULL;
    if (store_visit_change_parse (n->extra, &visit, &provider, &supervisor))
      l->func (visit, provider, supervisor, l->user_data);
    else
      g_message ("store: a notification on %s that is not a visit change was ignored",
                 STORE_VISITS_CHANNEL);
    PQfreemem (n);
  }
  if (PQstatus (l->conn) == CONNECTION_BAD)
    lost (l, "lost its connection");
}

static gboolean
on_socket (gint fd G_GNUC_UNUSED, GIOCondition cond, gpointer data)
{
  StoreListener *l = data;

  if (l->phase == PHASE_CONNECTING) {
    connecting (l);
    return G_SOURCE_CONTINUE; /* watch () replaced this source if it had to */
  }
  if ((cond & G_IO_OUT) && l->phase == PHASE_LISTEN_SENT) {
    int flushed = PQflush (l->conn);
    if (flushed < 0) {
      lost (l, "could not send LISTEN");
      return G_SOURCE_CONTINUE;
    }
    if (flushed == 0)
      watch (l, G_IO_IN);
  }
  if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    reading (l);
  return G_SOURCE_CONTINUE;
}

StoreListener *
store_listen_start (const char *dsn, StoreVisitChangedFunc func, gpointer user_data)
{
  StoreListener *l;

  g_return_val_if_fail (dsn != NULL && func != NULL, NULL);
  l = g_new0 (StoreListener, 1);
  l->dsn = g_strdup (dsn);
  l->func = func;
  l->user_data = user_data;
  l->backoff_ms = BACKOFF_FIRST_MS;
  listener_connect (l);
  return l;
}

gboolean
store_listen_ready (StoreListener *l)
{
  return l && l->phase == PHASE_READY;
}

void
store_listen_stop (StoreListener *l)
{
  if (!l)
    return;
  drop_watch (l);
  if (l->retry_id)
    g_source_remove (l->retry_id);
  g_clear_pointer (&l->conn, PQfinish);
  g_free (l->dsn);
  g_free (l);
}
