/* test_clock.c — the server's one clock (server/clock/clock.h): dates as the
 * clinic reads them, the one ISO 8601 form of an instant, and the test clock
 * (TELEHEALTHD_TEST_NOW) honoured exactly when the build compiled it in
 * (TH_TEST_CLOCK_BUILT). */
#include <glib.h>
#include <string.h>

#include "server/clock/clock.h"

static void
assert_date (const GDate *d, const char *want)
{
  g_autofree char *got = th_date_format (d);
  g_assert_cmpstr (got, ==, want);
}

static void
test_parse_format (void)
{
  static const char *const bad[] = {
    "2027-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01", "2026-01-1",
    "2026-01-01x", "2026-01-01T00:00:00Z", "20260101", "0000-01-01", "abcd-ef-gh", "",
  };
  GDate d;

  g_assert_true (th_date_parse ("2028-02-29", &d));
  assert_date (&d, "2028-02-29");
  g_assert_true (th_date_parse ("0001-01-01", &d));
  assert_date (&d, "0001-01-01");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_false (th_date_parse (bad[i], &d));
    g_assert_false (g_date_valid (&d));
    g_assert_null (th_date_format (&d));
  }
  g_assert_false (th_date_parse (NULL, &d));
}

/* The date of an instant in a zone: the clinic's "today". */
static void
test_local_date (void)
{
  static const struct { const char *instant, *zone, *date; } cases[] = {
    /* 23:30 on Dec 31 in New York is 04:30 UTC on Jan 1. */
    { "2027-01-01T04:30:00Z", "America/New_York", "2026-12-31" },
    { "2027-01-01T05:30:00Z", "America/New_York", "2027-01-01" },
    /* Kiritimati (UTC+14) has the new year at 10:00 UTC on Dec 31. */
    { "2026-12-31T09:59:59Z", "Pacific/Kiritimati", "2026-12-31" },
    { "2026-12-31T10:00:00Z", "Pacific/Kiritimati", "2027-01-01" },
    { "2026-12-31T23:59:59Z", "UTC", "2026-12-31" },
    /* Daylight saving: 01:30 EDT on the day the clocks go back. */
    { "2026-11-01T05:30:00Z", "America/New_York", "2026-11-01" },
  };
  GDate d;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GDateTime) at = g_date_time_new_from_iso8601 (cases[i].instant, NULL);
    g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (cases[i].zone);
    g_assert_nonnull (at);
    g_assert_nonnull (tz);
    th_clock_local_date (tz, g_date_time_to_unix (at) * 1000, &d);
    assert_date (&d, cases[i].date);
  }
  {
    /* Half a second before the epoch is still Dec 31, 1969 (floor). */
    g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
    th_clock_local_date (utc, -500, &d);
    assert_date (&d, "1969-12-31");
    th_clock_local_date (utc, G_MAXINT64, &d);
    g_assert_false (g_date_valid (&d));
  }
}

/* The one text form of an instant: UTC, milliseconds, 24 characters, and
 * NULL (never a made-up time) outside 1970 .. 9999. */
static void
test_iso_format (void)
{
  static const struct { gint64 ms; const char *text; } cases[] = {
    { 0, "1970-01-01T00:00:00.000Z" },
    { 1, "1970-01-01T00:00:00.001Z" },
    { 999, "1970-01-01T00:00:00.999Z" },
    { G_GINT64_CONSTANT (1798695000000), "2026-12-31T05:30:00.000Z" },
    { G_GINT64_CONSTANT (1798695000123), "2026-12-31T05:30:00.123Z" },
    /* A leap day. */
    { G_GINT64_CONSTANT (1835481599999), "2028-02-29T23:59:59.999Z" },
    { TH_CLOCK_MAX_MS, "9999-12-31T23:59:59.999Z" },
  };
  static const gint64 out_of_range[] = {
    -1, -999, -1000, G_MININT64, TH_CLOCK_MAX_MS + 1, G_MAXINT64,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = th_iso_from_ms (cases[i].ms);
    g_autoptr (GDateTime) back = NULL;
    g_assert_cmpstr (text, ==, cases[i].text);
    g_assert_cmpuint (strlen (text), ==, 24);
    /* It reads back as the same instant. */
    back = g_date_time_new_from_iso8601 (text, NULL);
    g_assert_nonnull (back);
    g_assert_cmpint (g_date_time_to_unix (back) * 1000 + g_date_time_get_microsecond (back) / 1000,
                     ==, cases[i].ms);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (out_of_range); i++)
    g_assert_null (th_iso_from_ms (out_of_range[i]));
  /* Fixed width: the text sorts as the instant does. */
  {
    g_autofree char *a = th_iso_from_ms (G_GINT64_CONSTANT (999999999999));
    g_autofree char *b = th_iso_from_ms (G_GINT64_CONSTANT (1000000000000));
    g_assert_cmpint (strcmp (a, b), <, 0);
  }
}

static void
test_env_clock (void)
{
  /* 00:30 on Dec 31 in New York. */
  const gint64 set_ms = G_GINT64_CONSTANT (1798695000000);
  gboolean in_force = TRUE;
  GError *error = NULL;
  gint64 a, b;

  g_assert_true (g_setenv ("TELEHEALTHD_TEST_NOW", "2026-12-31T00:30:00-05:00", TRUE));
  g_assert_true (th_clock_init (&in_force, &error));
  g_assert_no_error (error);
  a = th_clock_now_ms ();
  g_usleep (20 * 1000);
  b = th_clock_now_ms ();
#if TH_TEST_CLOCK_BUILT
  g_assert_true (in_force);
  g_assert_cmpint (a, >=, set_ms);
  g_assert_cmpint (a, <, set_ms + 5000);
  /* ... and it runs on. */
  g_assert_cmpint (b - a, >=, 20);
  g_assert_cmpint (b - a, <, 5000);
#else
  /* A production build does not read the variable. */
  g_assert_false (in_force);
  g_assert_cmpint (ABS (a - g_get_real_time () / 1000), <, 5000);
  g_assert_cmpint (b, >=, a);
  (void) set_ms;
#endif
}

/* A value without an offset would run the test at an hour its author did
 * not mean: refused, with the variable named. */
static void
test_env_clock_bad (void)
{
  if (g_test_subprocess ()) {
    gboolean in_force = TRUE;
    GError *error = NULL;
    g_setenv ("TELEHEALTHD_TEST_NOW", "2026-12-31T00:30:00", TRUE);
#if TH_TEST_CLOCK_BUILT
    g_assert_false (th_clock_init (&in_force, &error));
    g_assert_nonnull (error);
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
#else
    g_assert_true (th_clock_init (&in_force, &error));
#endif
    g_assert_false (in_force);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
#if TH_TEST_CLOCK_BUILT
  g_test_trap_assert_stderr ("*TELEHEALTHD_TEST_NOW*with an offset*");
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/clock/date/parse-format", test_parse_format);
  g_test_add_func ("/clock/date/local", test_local_date);
  g_test_add_func ("/clock/iso/format", test_iso_format);
  g_test_add_func ("/clock/env/bad", test_env_clock_bad);
  g_test_add_func ("/clock/env/set", test_env_clock);
  return g_test_run ();
}
