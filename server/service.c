/* service.c — what systemd is told about the server (sd_notify(3)), for a
 * unit with Type=notify and WatchdogSec= (config/systemd/telehealthd.service):
 *
 * - READY=1 once the listening socket, the store and the sweeps are up, so
 *   `systemctl start` returns when the server answers, and units ordered
 *   after it start then;
 * - WATCHDOG=1 at half the watchdog interval, from a timer on the main loop:
 *   a loop that hangs (a visit's signaling stuck) stops the pings, and
 *   systemd restarts the service;
 * - STOPPING=1 when SIGTERM begins the goodbye.
 *
 * Outside systemd (no NOTIFY_SOCKET) every call does nothing.
 */
#define G_LOG_DOMAIN "th-service"

#include "server/app.h"

#include <systemd/sd-daemon.h>
#include <unistd.h>

static gboolean
watchdog_ping (gpointer data)
{
  (void) data;
  sd_notify (0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

void
th_service_ready (ThApp *app)
{
  guint64 usec = 0;

  if (sd_notifyf (0, "READY=1\nSTATUS=serving on port %u\nMAINPID=%lu", app->port,
                  (unsigned long) getpid ()) > 0)
    g_message ("told systemd: ready");
  /* > 0: WATCHDOG_USEC is set for this process. */
  if (sd_watchdog_enabled (0, &usec) > 0 && usec > 0) {
    guint ms = (guint) MAX (usec / 2000, 1);
    app->watchdog = g_timeout_add (ms, watchdog_ping, NULL);
    g_message ("systemd watchdog: a ping every %u ms", ms);
  }
}

void
th_service_stopping (ThApp *app)
{
  sd_notify (0, "STOPPING=1\nSTATUS=stopping: telling every connection");
  g_clear_handle_id (&app->watchdog, g_source_remove);
}
