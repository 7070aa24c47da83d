/* families.c — what telehealthd exports: the one table of names, help
 * texts, types, labels and buckets, and the process-wide registry. */
#define G_LOG_DOMAIN "th-metrics"

#include "server/metrics/metrics.h"

#include <stdarg.h>

/* Fraction of a leg's incoming packets lost between two quality samples
 * (every 3 s): healthy calls sit at 0-1 %, past 5 % video breaks up. */
static const double kLossBuckets[] = { 0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5 };
/* Round trips between the server and a browser, in seconds. */
static const double kRttBuckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6 };
/* From a request's headers to its answer's headers. */
static const double kHttpBuckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,   0.25,   0.5,   1,    2.5 };
/* One store transaction, BEGIN to COMMIT or ROLLBACK. */
static const double kStoreBuckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,  0.1,    0.25,  1 };

#define BUCKETS(b) .buckets = (b), .n_buckets = G_N_ELEMENTS (b)

const ThMetricDef th_metric_families[TH_M_N_FAMILIES] = {
  [TH_M_VISITS] = { .name = "telehealthd_visits",
                    .help = "Visits with a live room on this server, by state.",
                    .type = TH_METRIC_GAUGE,
                    .labels = { "state" } },
  [TH_M_PARTICIPANTS] = { .name = "telehealthd_participants",
                          .help =
                            "Participants connected to a visit's room (waiting or in the call).",
                          .type = TH_METRIC_GAUGE },
  [TH_M_LEGS] = { .name = "telehealthd_media_legs",
                  .help = "Media legs (one per participant in the call).",
                  .type = TH_METRIC_GAUGE },
  [TH_M_RELAYED_PACKETS] = { .name = "telehealthd_relayed_packets_total",
                             .help = "RTP packets the relay sent towards clients.",
                             .type = TH_METRIC_COUNTER },
  [TH_M_RELAYED_BYTES] = { .name = "telehealthd_relayed_bytes_total",
                           .help = "Bytes of RTP the relay sent towards clients.",
                           .type = TH_METRIC_COUNTER },
  [TH_M_RECEIVED_PACKETS] = { .name = "telehealthd_received_packets_total",
                              .help = "RTP packets that arrived from clients.",
                              .type = TH_METRIC_COUNTER },
  [TH_M_RECEIVED_BYTES] = { .name = "telehealthd_received_bytes_total",
                            .help = "Bytes of RTP that arrived from clients.",
                            .type = TH_METRIC_COUNTER },
  [TH_M_MEDIA_LOSS] = { .name = "telehealthd_media_loss_ratio",
                        .help =
                          "Fraction of a leg's incoming packets lost, per 3 s quality sample.",
                        .type = TH_METRIC_HISTOGRAM,
                        BUCKETS (kLossBuckets) },
  [TH_M_MEDIA_RTT] = { .name = "telehealthd_media_rtt_seconds",
                       .help = "Round trip to a client as its receiver reports imply, per quality "
                               "sample.",
                       .type = TH_METRIC_HISTOGRAM,
                       BUCKETS (kRttBuckets) },
  [TH_M_SIGNALING_CONNECTIONS] = { .name = "telehealthd_signaling_connections",
                                   .help = "Open /signaling WebSocket connections.",
                                   .type = TH_METRIC_GAUGE },
  [TH_M_SIGNALING_MESSAGES] = { .name = "telehealthd_signaling_messages_total",
                                .help =
                                  "Signaling messages received, by type (invalid: refused by the "
                                  "parser).",
                                .type = TH_METRIC_COUNTER,
                                .labels = { "type" } },
  [TH_M_HTTP_REQUESTS] = { .name = "telehealthd_http_requests_total",
                           .help = "HTTP requests answered, by route pattern and status.",
                           .type = TH_METRIC_COUNTER,
                           .labels = { "route", "status" } },
  [TH_M_HTTP_DURATION] = { .name = "telehealthd_http_request_duration_seconds",
                           .help = "Time from a request's headers to its answer, by route pattern.",
                           .type = TH_METRIC_HISTOGRAM,
                           .labels = { "route" },
                           BUCKETS (kHttpBuckets) },
  [TH_M_STORE_TRANSACTION] = { .name = "telehealthd_store_transaction_duration_seconds",
                               .help = "Store transactions, begin to commit or rollback.",
                               .type = TH_METRIC_HISTOGRAM,
                               BUCKETS (kStoreBuckets) },
  [TH_M_OUTBOX_QUEUED] = { .name = "telehealthd_outbox_queued",
                           .help = "Messages to patients waiting in the outbox (due or not).",
                           .type = TH_METRIC_GAUGE },
  [TH_M_OUTBOX_FAILURES] = { .name = "telehealthd_outbox_failures_total",
                             .help = "Attempts to send an outbox message that failed.",
                             .type = TH_METRIC_COUNTER },
  [TH_M_SIGNIN_FAILURES] = { .name = "telehealthd_signin_failures_total",
                             .help = "Staff sign-ins refused for a wrong name or password.",
                             .type = TH_METRIC_COUNTER },
  [TH_M_SIGNIN_LOCKOUTS] = { .name = "telehealthd_signin_lockouts_total",
                             .help = "Sign-ins refused because the account or address is locked.",
                             .type = TH_METRIC_COUNTER },
  /* More than one node (issue 18): alert when the last heartbeat is a
   * lease old, or on any fence. */
  [TH_M_CLUSTER_HEARTBEAT] = { .name = "telehealthd_cluster_last_heartbeat_timestamp_seconds",
                               .help = "When this node's last heartbeat that reached the "
                                       "database began, in unix seconds (0: one machine, on "
                                       "sqlite, or none yet).",
                               .type = TH_METRIC_GAUGE },
  [TH_M_CLUSTER_HEARTBEAT_FAILURES] = { .name = "telehealthd_cluster_heartbeat_failures_total",
                                        .help = "Heartbeats of this node that did not reach "
                                                "the database.",
                                        .type = TH_METRIC_COUNTER },
  [TH_M_CLUSTER_LEASES] = { .name = "telehealthd_cluster_leases",
                            .help = "Visits whose lease this node held at its last heartbeat "
                                    "(whose media it relays).",
                            .type = TH_METRIC_GAUGE },
  [TH_M_CLUSTER_FENCES] = { .name = "telehealthd_cluster_fences_total",
                            .help = "Times this node let go of the visits it hosted because "
                                    "none of its heartbeats reached the database for nearly "
                                    "a lease.",
                            .type = TH_METRIC_COUNTER },
  [TH_M_PROCESS_CPU] = { .name = "process_cpu_seconds_total",
                         .help = "Total user and system CPU time spent in "
                                 "seconds.",
                         .type = TH_METRIC_COUNTER },
  [TH_M_PROCESS_RSS] = { .name = "process_resident_memory_bytes",
                         .help = "Resident memory size in bytes.",
                         .type = TH_METRIC_GAUGE },
  [TH_M_PROCESS_START] = { .name = "process_start_time_seconds",
                           .help = "Start time of the process since unix epoch in seconds.",
                           .type = TH_METRIC_GAUGE },
  [TH_M_PROCESS_FDS] = { .name = "process_open_fds",
                         .help = "Number of open file descriptors.",
                         .type = TH_METRIC_GAUGE },
  [TH_M_PROCESS_MAX_FDS] = { .name = "process_max_fds",
                             .help = "Maximum number of open file descriptors.",
                             .type = TH_METRIC_GAUGE },
  [TH_M_PROCESS_THREADS] = { .name = "process_threads",
                             .help = "Number of OS threads in the process.",
                             .type = TH_METRIC_GAUGE },
};

ThMetrics *
th_metrics (void)
{
  static ThMetrics *metrics;

  if (g_once_init_enter (&metrics)) {
    g_autoptr (GError) error = NULL;
    ThMetrics *m = th_metrics_new (th_metric_families, TH_M_N_FAMILIES, &error);
    /* The table is ours and unit-tested: a fault here is a build's bug. */
    if (!m)
      g_error ("the metrics table: %s", error->message);
    g_once_init_leave (&metrics, m);
  }
  return metrics;
}

static ThMetricSeries *
series_va (ThMetricFamily family, va_list ap)
{
  const char *values[TH_METRICS_MAX_LABELS] = { NULL };

  for (guint i = 0; i < TH_METRICS_MAX_LABELS && th_metric_families[family].labels[i]; i++)
    values[i] = va_arg (ap, const char *);
  return th_metrics_series (th_metrics (), family, values);
}

void
th_metrics_inc (ThMetricFamily family, ...)
{
  va_list ap;

  va_start (ap, family);
  th_metric_add (series_va (family, ap), 1);
  va_end (ap);
}

void
th_metrics_observe (ThMetricFamily family, double v, ...)
{
  va_list ap;

  va_start (ap, v);
  th_metric_observe (series_va (family, ap), v);
  va_end (ap);
}
