/* metrics.h — counters, gauges and histograms for GET /metrics, in the
 * Prometheus text format (version 0.0.4).
 *
 * A registry is made from a table of families (name, help, type, label
 * names, a histogram's buckets): the one place that says what is exported.
 * A family's series are found by their label values; values are C11
 * atomics, so any thread may count (finding a series takes a mutex, which
 * a caller on a hot path avoids by keeping the series pointer: series live
 * as long as the registry). Label values must come from small fixed sets
 * (a route's pattern, a message type, a status code): never an id, a token
 * or a name. A family holds at most TH_METRICS_MAX_SERIES series; past
 * that, new label sets are dropped (and said once in the log) rather than
 * grow without bound.
 *
 * The server's own families are TH_M_* below, in the process-wide registry
 * th_metrics (); families.c is their table. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum { TH_METRIC_COUNTER, TH_METRIC_GAUGE, TH_METRIC_HISTOGRAM } ThMetricType;

#define TH_METRICS_MAX_LABELS 3
#define TH_METRICS_MAX_BUCKETS 16
#define TH_METRICS_MAX_SERIES 512

typedef struct {
  const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]*, with _total for a counter */
  const char *help;
  ThMetricType type;
  const char *labels[TH_METRICS_MAX_LABELS]; /* names, NULL-terminated early */
  const double *buckets;                     /* a histogram's upper bounds, increasing; */
  guint n_buckets;                           /* +Inf is implied */
} ThMetricDef;

typedef struct _ThMetrics ThMetrics;
typedef struct _ThMetricSeries ThMetricSeries;

/* `defs` (n entries) must outlive the registry. Returns NULL and says why
 * in `error` when the table is not well formed (a bad name, a counter
 * without _total, buckets not increasing, a name twice). */
ThMetrics *th_metrics_new (const ThMetricDef *defs, guint n, GError **error);
void th_metrics_free (ThMetrics *metrics);

/* The series of family `family` (an index into the table) with the label
 * `values` (as many as the family has label names; NULL for none). NULL
 * when the family is full (see above). */
ThMetricSeries *th_metrics_series (ThMetrics *metrics, guint family, const char *const *values);

/* Counters: add (v >= 0). Gauges: add (any sign) or set. Histograms:
 * observe. A wrong call for the type is a programming error
 * (g_return_if_fail). All take NULL and do nothing then. */
void th_metric_add (ThMetricSeries *series, double v);
void th_metric_set (ThMetricSeries *series, double v);
void th_metric_observe (ThMetricSeries *series, double v);
double th_metric_value (ThMetricSeries *series);  /* a counter's or gauge's */
guint64 th_metric_count (ThMetricSeries *series); /* a histogram's observations */

/* Every gauge series of the family back to 0, so a refresh that no longer
 * sees a label set (no visit in that state now) does not leave its last
 * value standing. */
void th_metrics_reset_gauges (ThMetrics *metrics, guint family);

/* The whole registry as text: HELP and TYPE once per family, its series
 * sorted by label values, a histogram's cumulative _bucket{le=...} lines
 * ending in +Inf, then _sum and _count. A family without labels has its
 * one series (0) from the start; one with labels and nothing counted yet
 * says only HELP and TYPE. */
char *th_metrics_render (ThMetrics *metrics);

/* ---- the server's families (families.c) */

typedef enum {
  TH_M_VISITS,                /* gauge {state} */
  TH_M_PARTICIPANTS,          /* gauge */
  TH_M_LEGS,                  /* gauge */
  TH_M_RELAYED_PACKETS,       /* counter */
  TH_M_RELAYED_BYTES,         /* counter */
  TH_M_RECEIVED_PACKETS,      /* counter */
  TH_M_RECEIVED_BYTES,        /* counter */
  TH_M_MEDIA_LOSS,            /* histogram: fraction lost between two quality samples */
  TH_M_MEDIA_RTT,             /* histogram: seconds */
  TH_M_SIGNALING_CONNECTIONS, /* gauge */
  TH_M_SIGNALING_MESSAGES,    /* counter {type} */
  TH_M_HTTP_REQUESTS,         /* counter {route, status} */
  TH_M_HTTP_DURATION,         /* histogram {route} */
  TH_M_STORE_TRANSACTION,     /* histogram: seconds */
  TH_M_OUTBOX_QUEUED,         /* gauge */
  TH_M_OUTBOX_FAILURES,       /* counter */
  TH_M_SIGNIN_FAILURES,       /* counter */
  TH_M_SIGNIN_LOCKOUTS,       /* counter */
  TH_M_CLUSTER_HEARTBEAT,     /* gauge: unix seconds (PostgreSQL nodes) */
  TH_M_CLUSTER_HEARTBEAT_FAILURES, /* counter */
  TH_M_CLUSTER_LEASES,        /* gauge */
  TH_M_CLUSTER_FENCES,        /* counter */
  TH_M_PROCESS_CPU,           /* counter */
  TH_M_PROCESS_RSS,           /* gauge */
  TH_M_PROCESS_START,         /* gauge */
  TH_M_PROCESS_FDS,           /* gauge */
  TH_M_PROCESS_MAX_FDS,       /* gauge */
  TH_M_PROCESS_THREADS,       /* gauge */
  TH_M_N_FAMILIES
} ThMetricFamily;

extern const ThMetricDef th_metric_families[TH_M_N_FAMILIES];

/* The process-wide registry of th_metric_families, made on first use
 * (thread-safe); lives until the process ends. */
ThMetrics *th_metrics (void);
/* Shorthands on th_metrics (): label values as arguments (as many as the
 * family has), e.g. th_metrics_inc (TH_M_SIGNALING_MESSAGES, "hello"). */
void th_metrics_inc (ThMetricFamily family, ...);
void th_metrics_observe (ThMetricFamily family, double v, ...);

/* process.c: process_* from /proc/self (CPU, resident memory, open and
 * allowed descriptors, threads) and the start time, into `metrics`'s
 * TH_M_PROCESS_* series. */
void th_metrics_read_process (ThMetrics *metrics);

G_END_DECLS
