/* log.c — where the server's log goes and how much of it (issue 17):
 * every record is structured (the build defines G_LOG_USE_STRUCTURED), so
 * under systemd, whose journal is then the server's stderr, GLib's journald
 * writer keeps each field (MESSAGE, PRIORITY, GLIB_DOMAIN, and ours:
 * VISIT_ID, PARTICIPANT_ROLE, EVENT, ERROR_DOMAIN, ERROR_CODE) for
 * `journalctl -u telehealthd VISIT_ID=…`; otherwise lines on stderr.
 *
 * [log] level drops what is less important than it. GLib's default writer
 * keeps info and debug back unless G_MESSAGES_DEBUG says otherwise, so
 * records the level lets through are handed to the journald or stream
 * writer directly.
 *
 * What may be logged: ids, roles, events, counts, causes. Never a patient's
 * name, a token, a note, an answer or a score (tests/e2e/log-privacy.test.mjs
 * reads a whole visit's log for them).
 */
#include "server/app.h"

#include <stdio.h>

/* Read by every thread that logs (media and store workers), set by a
 * reload on the main loop: atomic. */
static gint max_level = G_LOG_LEVEL_MESSAGE;

static GLogWriterOutput
writer (GLogLevelFlags log_level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  (void) user_data;
  GLogLevelFlags level = log_level & G_LOG_LEVEL_MASK;
  /* GLib's levels grow as they matter less (ERROR = 1 << 2 ... DEBUG). */
  if ((gint) level > g_atomic_int_get (&max_level))
    return G_LOG_WRITER_HANDLED;
  if (level <= G_LOG_LEVEL_MESSAGE)
    return g_log_writer_default (log_level, fields, n_fields, NULL);
  if (g_log_writer_is_journald (fileno (stderr)) &&
      g_log_writer_journald (log_level, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (log_level, fields, n_fields, NULL);
}

void
th_log_start (GLogLevelFlags level)
{
  static gsize once = 0;

  g_atomic_int_set (&max_level, (gint) level);
  if (g_once_init_enter (&once)) {
    g_log_set_writer_func (writer, NULL, NULL);
    g_once_init_leave (&once, 1);
  }
}

/* journald's priorities for GLib's levels (as GLib's own writer maps them). */
static const char *
priority_of (GLogLevelFlags level)
{
  switch (level & G_LOG_LEVEL_MASK) {
  case G_LOG_LEVEL_ERROR:
    return "3";
  case G_LOG_LEVEL_CRITICAL:
  case G_LOG_LEVEL_WARNING:
    return "4";
  case G_LOG_LEVEL_MESSAGE:
    return "5";
  case G_LOG_LEVEL_INFO:
    return "6";
  default:
    return "7";
  }
}

void
th_log_visit (GLogLevelFlags level, const char *visit_id, const char *role, const char *event,
              const GError *error, const char *format, ...)
{
  va_list args;
  GLogField fields[8];
  gsize n = 0;

  va_start (args, format);
  g_autofree char *text = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *code = error ? g_strdup_printf ("%d", error->code) : NULL;
  fields[n++] = (GLogField) { "MESSAGE", text, -1 };
  fields[n++] = (GLogField) { "PRIORITY", priority_of (level), -1 };
  fields[n++] = (GLogField) { "GLIB_DOMAIN", "th-server", -1 };
  if (visit_id)
    fields[n++] = (GLogField) { "VISIT_ID", visit_id, -1 };
  if (role)
    fields[n++] = (GLogField) { "PARTICIPANT_ROLE", role, -1 };
  if (event)
    fields[n++] = (GLogField) { "EVENT", event, -1 };
  if (error) {
    fields[n++] = (GLogField) { "ERROR_DOMAIN", g_quark_to_string (error->domain), -1 };
    fields[n++] = (GLogField) { "ERROR_CODE", code, -1 };
  }
  g_log_structured_array (level & G_LOG_LEVEL_MASK, fields, n);
}
