/* clock.c — the server's one clock (clock.h). */
#define G_LOG_DOMAIN "th-clock"

#include "server/clock/clock.h"

#include <stdio.h>
#include <string.h>

#ifdef TH_TEST_CLOCK
static GMutex test_lock;
static gint test_checked; /* atomic: set after the fields below */
static gboolean test_active;
static gint64 test_base_ms; /* the set instant ... */
static gint64 test_mono_us; /* ... at this monotonic time */

static gboolean
test_clock_read_env (GError **error)
{
  const char *value = g_getenv ("TELEHEALTHD_TEST_NOW");
  g_autoptr (GDateTime) at = NULL;

  if (!value || !*value)
    return TRUE;
  /* A default zone of UTC would silently accept a value without an offset,
   * and the test would run at another hour than its author meant: with no
   * default zone, an offset (or Z) is required. */
  at = g_date_time_new_from_iso8601 (value, NULL);
  if (!at) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "TELEHEALTHD_TEST_NOW = \"%s\" is not an ISO 8601 instant with an offset, "
                 "e.g. 2026-12-31T00:30:00-05:00",
                 value);
    return FALSE;
  }
  test_base_ms = g_date_time_to_unix (at) * 1000 + g_date_time_get_microsecond (at) / 1000;
  test_mono_us = g_get_monotonic_time ();
  test_active = TRUE;
  return TRUE;
}
#endif

gboolean
th_clock_init (gboolean *in_force, GError **error)
{
  gboolean ok = TRUE;

  if (in_force)
    *in_force = FALSE;
#ifdef TH_TEST_CLOCK
  g_mutex_lock (&test_lock);
  if (!g_atomic_int_get (&test_checked)) {
    ok = test_clock_read_env (error);
    g_atomic_int_set (&test_checked, TRUE);
  }
  if (in_force)
    *in_force = test_active;
  g_mutex_unlock (&test_lock);
#else
  (void) error;
#endif
  return ok;
}

gint64
th_clock_now_ms (void)
{
#ifdef TH_TEST_CLOCK
  if (!g_atomic_int_get (&test_checked))
    th_clock_init (NULL, NULL);
  if (test_active)
    return test_base_ms + (g_get_monotonic_time () - test_mono_us) / 1000;
#endif
  return g_get_real_time () / 1000;
}

char *
th_iso_from_ms (gint64 ms)
{
  g_autoptr (GDateTime) dt = NULL;

  if (ms < 0 || ms > TH_CLOCK_MAX_MS)
    return NULL;
  dt = g_date_time_new_from_unix_utc (ms / 1000);
  if (!dt)
    return NULL;
  /* Field by field, fixed widths: g_date_time_format would drop the
   * milliseconds and its %Y does not pad years below 1000 to four digits
   * on every libc. */
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", g_date_time_get_year (dt),
                          g_date_time_get_month (dt), g_date_time_get_day_of_month (dt),
                          g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                          g_date_time_get_second (dt), (int) (ms % 1000));
}

void
th_clock_local_date (GTimeZone *tz, gint64 ms, GDate *out)
{
  g_autoptr (GDateTime) utc = NULL, local = NULL;
  gint64 secs = ms / 1000;
  int y, m, d;

  g_date_clear (out, 1);
  if (ms % 1000 < 0)
    secs -= 1; /* floor: 1969-12-31T23:59:59.500Z is still Dec 31 */
  utc = g_date_time_new_from_unix_utc (secs);
  if (!utc)
    return;
  local = g_date_time_to_timezone (utc, tz);
  if (!local)
    return;
  g_date_time_get_ymd (local, &y, &m, &d);
  g_date_set_dmy (out, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

gboolean
th_date_parse (const char *text, GDate *out)
{
  unsigned y, m, d;
  int used = 0;

  g_date_clear (out, 1);
  if (!text || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;
  if (sscanf (text, "%4u-%2u-%2u%n", &y, &m, &d, &used) != 3 || used != 10)
    return FALSE;
  if (y < 1 || m < 1 || m > 12 || d < 1 ||
      !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  g_date_set_dmy (out, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

char *
th_date_format (const GDate *date)
{
  if (!date || !g_date_valid (date))
    return NULL;
  return g_strdup_printf ("%04u-%02u-%02u", (unsigned) g_date_get_year (date),
                          (unsigned) g_date_get_month (date), (unsigned) g_date_get_day (date));
}
