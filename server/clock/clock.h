/* clock.h — the server's one clock, and the clinic's calendar.
 *
 * Every "now" the server records or compares with a stored time comes from
 * th_clock_now_ms () (store_now_ms () calls it). A build configured with
 * -Dtest_clock=true lets a test set it: TELEHEALTHD_TEST_NOW=<ISO 8601
 * instant with an offset> gives its value at start, and from there it
 * advances with the monotonic clock. A production build does not read the
 * variable at all. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads TELEHEALTHD_TEST_NOW once (test builds). TRUE with *in_force = TRUE
 * when a test clock now runs; FALSE with an error naming the variable when
 * its value is not an instant with an offset. Production builds: always TRUE
 * and *in_force = FALSE. Calling it is optional: th_clock_now_ms () does it
 * on first use and then ignores a bad value (the real clock runs). */
gboolean th_clock_init (gboolean *in_force, GError **error);

/* Unix milliseconds. */
gint64 th_clock_now_ms (void);

/* The latest instant with a four-digit year: 9999-12-31T23:59:59.999Z. */
#define TH_CLOCK_MAX_MS G_GINT64_CONSTANT (253402300799999)

/* The one text form of an instant, wherever the server writes one (the
 * store, the API, FHIR, the admin CLI): ISO 8601 in UTC with milliseconds,
 * "2026-12-05T05:45:39.123Z", always 24 characters, so the text sorts as
 * the instant does. Defined for 0 <= ms <= TH_CLOCK_MAX_MS (1970-01-01 to
 * the end of 9999); NULL outside that range, never a made-up time: each
 * caller says what a missing time means (the store refuses it, FHIR leaves
 * the element out). Newly allocated. */
char *th_iso_from_ms (gint64 ms);

/* The calendar date in `tz` of the instant `ms` (unix ms). Invalid (cleared)
 * when the instant is out of GDateTime's range. */
void th_clock_local_date (GTimeZone *tz, gint64 ms, GDate *out);

/* "YYYY-MM-DD" → a valid GDate; FALSE (out cleared) for anything else,
 * including impossible dates (2026-02-30). */
gboolean th_date_parse (const char *text, GDate *out);
/* A valid GDate as "YYYY-MM-DD" (newly allocated); NULL when invalid. */
char *th_date_format (const GDate *date);

G_END_DECLS
