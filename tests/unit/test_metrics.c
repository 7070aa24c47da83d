/* test_metrics.c — the metrics registry (server/metrics): its table's
 * checks, counting from many threads at once, the series cap, and the
 * Prometheus text format to the byte; the server's own table rendered and,
 * where Debian's prometheus package is installed, accepted by
 * `promtool check metrics` (the integration test checks a live scrape the
 * same way). */
#include "server/metrics/metrics.h"

#include <gio/gio.h>
#include <string.h>

static const double kBuckets[] = { 0.1, 1, 2.5 };

static const ThMetricDef kDefs[] = {
  { .name = "t_requests_total",
    .help = "Requests by route.\nSecond line with a \\.",
    .type = TH_METRIC_COUNTER,
    .labels = { "route", "status" } },
  { .name = "t_depth", .help = "Queue depth.", .type = TH_METRIC_GAUGE },
  { .name = "t_latency_seconds",
    .help = "Latency.",
    .type = TH_METRIC_HISTOGRAM,
    .labels = { "route" },
    .buckets = kBuckets,
    .n_buckets = 3 },
  { .name = "t_unused_total", .help = "Never counted.", .type = TH_METRIC_COUNTER },
};

static const char kExpected[] =
  "# HELP t_requests_total Requests by route.\\nSecond line with a \\\\.\n"
  "# TYPE t_requests_total counter\n"
  "t_requests_total{route=\"/a\\\"q\\\\\\n\",status=\"404\"} 1\n"
  "t_requests_total{route=\"/b\",status=\"200\"} 3\n"
  "# HELP t_depth Queue depth.\n"
  "# TYPE t_depth gauge\n"
  "t_depth 4.5\n"
  "# HELP t_latency_seconds Latency.\n"
  "# TYPE t_latency_seconds histogram\n"
  "t_latency_seconds_bucket{route=\"x\",le=\"0.1\"} 2\n"
  "t_latency_seconds_bucket{route=\"x\",le=\"1\"} 3\n"
  "t_latency_seconds_bucket{route=\"x\",le=\"2.5\"} 4\n"
  "t_latency_seconds_bucket{route=\"x\",le=\"+Inf\"} 5\n"
  "t_latency_seconds_sum{route=\"x\"} 12.35\n"
  "t_latency_seconds_count{route=\"x\"} 5\n"
  "t_latency_seconds_bucket{route=\"y\",le=\"0.1\"} 0\n"
  "t_latency_seconds_bucket{route=\"y\",le=\"1\"} 0\n"
  "t_latency_seconds_bucket{route=\"y\",le=\"2.5\"} 0\n"
  "t_latency_seconds_bucket{route=\"y\",le=\"+Inf\"} 0\n"
  "t_latency_seconds_sum{route=\"y\"} 0\n"
  "t_latency_seconds_count{route=\"y\"} 0\n"
  "# HELP t_unused_total Never counted.\n"
  "# TYPE t_unused_total counter\n"
  "t_unused_total 0\n";

static void
test_render_exact (void)
{
  static const double kObserved[] = { 0.05, 0.1, 0.7, 2.5, 9 };
  g_autoptr (GError) error = NULL;
  ThMetrics *m = th_metrics_new (kDefs, G_N_ELEMENTS (kDefs), &error);
  ThMetricSeries *h;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  /* Added out of order: rendered sorted by label values. */
  th_metric_add (th_metrics_series (m, 0, (const char *[]) { "/b", "200" }), 2);
  th_metric_add (th_metrics_series (m, 0, (const char *[]) { "/a\"q\\\n", "404" }), 1);
  th_metric_add (th_metrics_series (m, 0, (const char *[]) { "/b", "200" }), 1);
  th_metric_set (th_metrics_series (m, 1, NULL), 7);
  th_metric_add (th_metrics_series (m, 1, NULL), -2.5);
  th_metrics_series (m, 2, (const char *[]) { "y" });
  h = th_metrics_series (m, 2, (const char *[]) { "x" });
  /* A value on a bound counts in that bucket (le: less or equal). */
  for (guint i = 0; i < G_N_ELEMENTS (kObserved); i++)
    th_metric_observe (h, kObserved[i]);
  g_assert_cmpuint (th_metric_count (h), ==, 5);
  text = th_metrics_render (m);
  g_assert_cmpstr (text, ==, kExpected);
  /* The same series comes back for the same labels. */
  g_assert_true (h == th_metrics_series (m, 2, (const char *[]) { "x" }));
  th_metrics_free (m);
}

static void
test_table_checks (void)
{
  static const double kDown[] = { 1, 0.5 };
  static const ThMetricDef kNoTotal[] = {
    { .name = "t_requests", .help = "x", .type = TH_METRIC_COUNTER }
  };
  static const ThMetricDef kBadName[] = {
    { .name = "t-requests_total", .help = "x", .type = TH_METRIC_COUNTER }
  };
  static const ThMetricDef kBadBuckets[] = {
    { .name = "t_h", .help = "x", .type = TH_METRIC_HISTOGRAM, .buckets = kDown, .n_buckets = 2 }
  };
  static const ThMetricDef kNoBuckets[] = {
    { .name = "t_h", .help = "x", .type = TH_METRIC_HISTOGRAM }
  };
  static const ThMetricDef kLe[] = {
    { .name = "t_h", .help = "x", .type = TH_METRIC_GAUGE, .labels = { "le" } }
  };
  static const ThMetricDef kTwice[] = { { .name = "t_g", .help = "x", .type = TH_METRIC_GAUGE },
                                        { .name = "t_g", .help = "y", .type = TH_METRIC_GAUGE } };
  const struct {
    const ThMetricDef *defs;
    const char *says;
  } cases[] = {
    { kNoTotal, "ends in _total" }, { kBadName, "a name of" },   { kBadBuckets, "increasing" },
    { kNoBuckets, "increasing" },   { kLe, "not a label name" }, { kTwice, "twice" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    guint n = cases[i].defs == kTwice ? 2 : 1;
    g_assert_null (th_metrics_new (cases[i].defs, n, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, cases[i].says));
  }
}

#define THREADS 8
#define PER_THREAD 100000

static gpointer
count_many (gpointer data)
{
  ThMetrics *m = data;
  ThMetricSeries *c = th_metrics_series (m, 0, (const char *[]) { "/t", "200" });
  ThMetricSeries *h = th_metrics_series (m, 2, (const char *[]) { "t" });

  for (guint i = 0; i < PER_THREAD; i++) {
    th_metric_add (c, 1);
    th_metric_add (th_metrics_series (m, 1, NULL), 0.5);
    th_metric_observe (h, (i % 2) ? 0.5 : 2);
  }
  return NULL;
}

/* Media and sign-in workers count from their own threads: no count is
 * lost, a histogram's sum (a double added by compare-and-swap) included. */
static void
test_threads (void)
{
  ThMetrics *m = th_metrics_new (kDefs, G_N_ELEMENTS (kDefs), NULL);
  GThread *threads[THREADS];
  ThMetricSeries *h;

  for (guint i = 0; i < THREADS; i++)
    threads[i] = g_thread_new ("count", count_many, m);
  for (guint i = 0; i < THREADS; i++)
    g_thread_join (threads[i]);
  g_assert_cmpfloat (th_metric_value (th_metrics_series (m, 0, (const char *[]) { "/t", "200" })),
                     ==, THREADS * PER_THREAD);
  g_assert_cmpfloat (th_metric_value (th_metrics_series (m, 1, NULL)), ==,
                     THREADS * PER_THREAD * 0.5);
  h = th_metrics_series (m, 2, (const char *[]) { "t" });
  g_assert_cmpuint (th_metric_count (h), ==, THREADS * PER_THREAD);
  g_assert_cmpfloat (th_metric_value (h), ==, THREADS * (PER_THREAD / 2) * 2.5);
  th_metrics_free (m);
}

/* The project logs structured (G_LOG_USE_STRUCTURED), which GLib 2.74's
 * g_test_expect_message does not see: the test's own writer keeps the
 * registry's warnings, and any other warning still fails the test. */
static struct {
  guint n;
  char last[256];
} warnings;

static GLogWriterOutput
keep_warnings (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (strcmp (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  }
  if ((level & G_LOG_LEVEL_WARNING) && g_strcmp0 (domain, "th-metrics") == 0 && message) {
    warnings.n++;
    g_strlcpy (warnings.last, message, sizeof warnings.last);
    return G_LOG_WRITER_HANDLED;
  }
  return g_log_writer_default (level, fields, n_fields, data);
}

/* Label sets past the cap are dropped, not grown without bound. */
static void
test_series_cap (void)
{
  ThMetrics *m = th_metrics_new (kDefs, G_N_ELEMENTS (kDefs), NULL);

  for (guint i = 0; i < TH_METRICS_MAX_SERIES; i++) {
    char route[16];
    g_snprintf (route, sizeof route, "/r%u", i);
    g_assert_nonnull (th_metrics_series (m, 0, (const char *[]) { route, "200" }));
  }
  g_assert_null (th_metrics_series (m, 0, (const char *[]) { "/one-more", "200" }));
  g_assert_null (th_metrics_series (m, 0, (const char *[]) { "/and-another", "200" }));
  /* Said once, not per dropped series. */
  g_assert_cmpuint (warnings.n, ==, 1);
  g_assert_nonnull (strstr (warnings.last, "t_requests_total"));
  g_assert_nonnull (strstr (warnings.last, "not counted"));
  /* Known ones still count. */
  g_assert_nonnull (th_metrics_series (m, 0, (const char *[]) { "/r7", "200" }));
  th_metrics_free (m);
}

static void
test_reset_gauges (void)
{
  ThMetrics *m = th_metrics (); /* the server's table builds */

  th_metric_set (th_metrics_series (m, TH_M_VISITS, (const char *[]) { "in_progress" }), 3);
  th_metrics_reset_gauges (m, TH_M_VISITS);
  g_assert_cmpfloat (th_metric_value (
                       th_metrics_series (m, TH_M_VISITS, (const char *[]) { "in_progress" })),
                     ==, 0);
}

/* The server's whole table, each family with a series, read by promtool:
 * the names, units and help texts pass its lint as well as its parser. */
static void
test_server_table_promtool (void)
{
  ThMetrics *m = th_metrics ();
  g_autofree char *text = NULL, *out = NULL, *err = NULL, *promtool = NULL;
  const char *argv[] = { NULL, "check", "metrics", NULL };
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;

  th_metrics_inc (TH_M_SIGNALING_MESSAGES, "hello");
  th_metrics_inc (TH_M_HTTP_REQUESTS, "/api/visits/:visit", "200");
  th_metrics_observe (TH_M_HTTP_DURATION, 0.003, "/api/visits/:visit");
  th_metrics_observe (TH_M_MEDIA_LOSS, 0.02);
  th_metrics_observe (TH_M_MEDIA_RTT, 0.04);
  th_metrics_observe (TH_M_STORE_TRANSACTION, 0.002);
  th_metrics_inc (TH_M_SIGNIN_FAILURES);
  th_metrics_read_process (m);
  g_assert_cmpfloat (th_metric_value (th_metrics_series (m, TH_M_PROCESS_THREADS, NULL)), >=, 1);
  g_assert_cmpfloat (th_metric_value (th_metrics_series (m, TH_M_PROCESS_RSS, NULL)), >, 1e6);
  g_assert_cmpfloat (th_metric_value (th_metrics_series (m, TH_M_PROCESS_FDS, NULL)), >=, 3);
  g_assert_cmpfloat (th_metric_value (th_metrics_series (m, TH_M_PROCESS_START, NULL)), >, 1e9);
  text = th_metrics_render (m);
  g_assert_nonnull (strstr (text, "telehealthd_signaling_messages_total{type=\"hello\"} 1\n"));
  promtool = g_find_program_in_path ("promtool");
  if (!promtool) {
    g_test_skip ("no promtool (apt-get install prometheus): the format is checked byte by byte "
                 "above and by promtool in the metrics integration test");
    return;
  }
  argv[0] = promtool;
  proc = g_subprocess_newv (argv,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, text, NULL, &out, &err, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0 ||
      (out && *out) || (err && *err))
    g_error ("promtool check metrics:\n%s%s\n--- the text ---\n%s", out ? out : "", err ? err : "",
             text);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (keep_warnings, NULL, NULL);
  g_test_add_func ("/metrics/render", test_render_exact);
  g_test_add_func ("/metrics/table-checks", test_table_checks);
  g_test_add_func ("/metrics/threads", test_threads);
  g_test_add_func ("/metrics/series-cap", test_series_cap);
  g_test_add_func ("/metrics/reset-gauges", test_reset_gauges);
  g_test_add_func ("/metrics/server-table-promtool", test_server_table_promtool);
  return g_test_run ();
}
