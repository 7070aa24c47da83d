/* registry.c — the families, their series and the text format. */
#define G_LOG_DOMAIN "th-metrics"

#include "server/metrics/metrics.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

/* Doubles kept as their bits in a 64-bit atomic: C11 has no atomic add
 * for doubles, a compare-and-swap loop does it. */
typedef _Atomic uint64_t AtomicDouble;

static double
load_double (AtomicDouble *a)
{
  uint64_t bits = atomic_load_explicit (a, memory_order_relaxed);
  double v;
  memcpy (&v, &bits, sizeof v);
  return v;
}

static void
store_double (AtomicDouble *a, double v)
{
  uint64_t bits;
  memcpy (&bits, &v, sizeof bits);
  atomic_store_explicit (a, bits, memory_order_relaxed);
}

static void
add_double (AtomicDouble *a, double v)
{
  uint64_t old = atomic_load_explicit (a, memory_order_relaxed), new;
  do {
    double d;
    memcpy (&d, &old, sizeof d);
    d += v;
    memcpy (&new, &d, sizeof new);
  } while (!atomic_compare_exchange_weak_explicit (a, &old, new, memory_order_relaxed,
                                                   memory_order_relaxed));
}

struct _ThMetricSeries {
  const ThMetricDef *def;
  char *key;                                        /* the label values, each ending in \x1f */
  char *values[TH_METRICS_MAX_LABELS];              /* the same, apart */
  AtomicDouble value;                               /* counter, gauge; a histogram's sum */
  _Atomic uint64_t count;                           /* a histogram's observations */
  _Atomic uint64_t buckets[TH_METRICS_MAX_BUCKETS]; /* per bucket, not cumulative */
};

typedef struct {
  const ThMetricDef *def;
  guint n_labels;
  GHashTable *series; /* key → ThMetricSeries* (owned) */
  gboolean full_said;
} Family;

struct _ThMetrics {
  GMutex lock; /* guards the series tables, not the values */
  Family *families;
  guint n;
};

static void
series_free (gpointer data)
{
  ThMetricSeries *s = data;

  for (guint i = 0; i < TH_METRICS_MAX_LABELS; i++)
    g_free (s->values[i]);
  g_free (s->key);
  g_free (s);
}

static gboolean
name_ok (const char *name)
{
  if (!name || !(g_ascii_isalpha (name[0]) || name[0] == '_' || name[0] == ':'))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_' || *p == ':'))
      return FALSE;
  return TRUE;
}

static gboolean
def_ok (const ThMetricDef *d, GError **error)
{
  if (!name_ok (d->name) || !d->help || !*d->help) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "metric \"%s\": a name of [a-zA-Z_:][a-zA-Z0-9_:]* and a help text are needed",
                 d->name ? d->name : "(null)");
    return FALSE;
  }
  if (d->type == TH_METRIC_COUNTER && !g_str_has_suffix (d->name, "_total")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "metric \"%s\": a counter's name ends in _total", d->name);
    return FALSE;
  }
  for (guint i = 0; i < TH_METRICS_MAX_LABELS && d->labels[i]; i++)
    if (!name_ok (d->labels[i]) || g_str_has_prefix (d->labels[i], "__") ||
        strcmp (d->labels[i], "le") == 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "metric \"%s\": label \"%s\" is not a label name of ours", d->name,
                   d->labels[i]);
      return FALSE;
    }
  if (d->type == TH_METRIC_HISTOGRAM) {
    gboolean ok = d->n_buckets > 0 && d->n_buckets <= TH_METRICS_MAX_BUCKETS && d->buckets;
    for (guint i = 1; ok && i < d->n_buckets; i++)
      ok = d->buckets[i] > d->buckets[i - 1];
    for (guint i = 0; ok && i < d->n_buckets; i++)
      ok = isfinite (d->buckets[i]);
    if (!ok) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "metric \"%s\": 1..%u finite buckets, increasing, are needed", d->name,
                   TH_METRICS_MAX_BUCKETS);
      return FALSE;
    }
  }
  return TRUE;
}

ThMetrics *
th_metrics_new (const ThMetricDef *defs, guint n, GError **error)
{
  ThMetrics *m;

  for (guint i = 0; i < n; i++) {
    if (!def_ok (&defs[i], error))
      return NULL;
    for (guint j = 0; j < i; j++)
      if (strcmp (defs[i].name, defs[j].name) == 0) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "metric \"%s\" is in the table twice", defs[i].name);
        return NULL;
      }
  }
  m = g_new0 (ThMetrics, 1);
  g_mutex_init (&m->lock);
  m->n = n;
  m->families = g_new0 (Family, n);
  for (guint i = 0; i < n; i++) {
    Family *f = &m->families[i];
    f->def = &defs[i];
    while (f->n_labels < TH_METRICS_MAX_LABELS && defs[i].labels[f->n_labels])
      f->n_labels++;
    f->series = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, series_free);
  }
  /* A family without labels has its one series from the start: a scraper
   * sees 0 rather than nothing until the first count. */
  for (guint i = 0; i < n; i++)
    if (m->families[i].n_labels == 0)
      th_metrics_series (m, i, NULL);
  return m;
}

void
th_metrics_free (ThMetrics *m)
{
  if (!m)
    return;
  for (guint i = 0; i < m->n; i++)
    g_hash_table_unref (m->families[i].series);
  g_free (m->families);
  g_mutex_clear (&m->lock);
  g_free (m);
}

ThMetricSeries *
th_metrics_series (ThMetrics *m, guint family, const char *const *values)
{
  Family *f;
  ThMetricSeries *s;
  GString *key;

  g_return_val_if_fail (m && family < m->n, NULL);
  f = &m->families[family];
  key = g_string_new (NULL);
  for (guint i = 0; i < f->n_labels; i++) {
    g_return_val_if_fail (values && values[i], (g_string_free (key, TRUE), NULL));
    g_string_append (key, values[i]);
    g_string_append_c (key, '\x1f');
  }
  g_mutex_lock (&m->lock);
  s = g_hash_table_lookup (f->series, key->str);
  if (!s && g_hash_table_size (f->series) >= TH_METRICS_MAX_SERIES) {
    if (!f->full_said)
      g_warning ("metric %s has %u label sets, the most kept: new ones are not counted",
                 f->def->name, TH_METRICS_MAX_SERIES);
    f->full_said = TRUE;
  } else if (!s) {
    s = g_new0 (ThMetricSeries, 1);
    s->def = f->def;
    s->key = g_strdup (key->str);
    for (guint i = 0; i < f->n_labels; i++)
      s->values[i] = g_strdup (values[i]);
    g_hash_table_insert (f->series, s->key, s);
  }
  g_mutex_unlock (&m->lock);
  g_string_free (key, TRUE);
  return s;
}

void
th_metric_add (ThMetricSeries *s, double v)
{
  if (!s)
    return;
  g_return_if_fail (s->def->type != TH_METRIC_HISTOGRAM);
  g_return_if_fail (s->def->type != TH_METRIC_COUNTER || v >= 0);
  add_double (&s->value, v);
}

void
th_metric_set (ThMetricSeries *s, double v)
{
  if (!s)
    return;
  /* A counter may be set too: one read from elsewhere at scrape time (the
   * media layer's totals, /proc) is monotonic at its source. */
  g_return_if_fail (s->def->type != TH_METRIC_HISTOGRAM);
  store_double (&s->value, v);
}

void
th_metric_observe (ThMetricSeries *s, double v)
{
  const ThMetricDef *d;
  guint i;

  if (!s)
    return;
  d = s->def;
  g_return_if_fail (d->type == TH_METRIC_HISTOGRAM);
  if (isnan (v))
    return;
  for (i = 0; i < d->n_buckets && v > d->buckets[i]; i++)
    ;
  if (i < d->n_buckets)
    atomic_fetch_add_explicit (&s->buckets[i], 1, memory_order_relaxed);
  add_double (&s->value, v);
  atomic_fetch_add_explicit (&s->count, 1, memory_order_relaxed);
}

double
th_metric_value (ThMetricSeries *s)
{
  return s ? load_double (&s->value) : 0;
}

guint64
th_metric_count (ThMetricSeries *s)
{
  return s ? atomic_load_explicit (&s->count, memory_order_relaxed) : 0;
}

void
th_metrics_reset_gauges (ThMetrics *m, guint family)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (m && family < m->n && m->families[family].def->type == TH_METRIC_GAUGE);
  g_mutex_lock (&m->lock);
  g_hash_table_iter_init (&iter, m->families[family].series);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    store_double (&((ThMetricSeries *) value)->value, 0);
  g_mutex_unlock (&m->lock);
}

/* ---- the text format */

/* The shortest text that reads back as the same double (Go's parser,
 * which promtool uses, takes C's forms), +Inf/-Inf/NaN as Prometheus
 * spells them. */
static void
append_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v)) {
    g_string_append (out, "NaN");
    return;
  }
  if (isinf (v)) {
    g_string_append (out, v > 0 ? "+Inf" : "-Inf");
    return;
  }
  for (int digits = 15; digits <= 17; digits++) {
    g_ascii_formatd (buf, sizeof buf, digits == 15 ? "%.15g" : digits == 16 ? "%.16g" : "%.17g", v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }
  g_string_append (out, buf);
}

/* HELP text escapes \ and newline; label values also ". */
static void
append_escaped (GString *out, const char *text, gboolean quote)
{
  for (const char *p = text; *p; p++) {
    if (*p == '\\')
      g_string_append (out, "\\\\");
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else if (quote && *p == '"')
      g_string_append (out, "\\\"");
    else
      g_string_append_c (out, *p);
  }
}

/* name{a="x",b="y"[,le="..."]} — `le` for a histogram's bucket line. */
static void
append_series_name (GString *out, const char *name, const char *suffix, const Family *f,
                    const ThMetricSeries *s, const char *le)
{
  gboolean any = FALSE;

  g_string_append (out, name);
  g_string_append (out, suffix);
  for (guint i = 0; i < f->n_labels; i++) {
    g_string_append (out, any ? "," : "{");
    g_string_append_printf (out, "%s=\"", f->def->labels[i]);
    append_escaped (out, s->values[i], TRUE);
    g_string_append_c (out, '"');
    any = TRUE;
  }
  if (le) {
    g_string_append_printf (out, "%sle=\"%s\"", any ? "," : "{", le);
    any = TRUE;
  }
  if (any)
    g_string_append_c (out, '}');
  g_string_append_c (out, ' ');
}

static void
render_histogram (GString *out, const Family *f, ThMetricSeries *s)
{
  const ThMetricDef *d = f->def;
  guint64 cumulative = 0, count = atomic_load_explicit (&s->count, memory_order_relaxed);

  for (guint i = 0; i < d->n_buckets; i++) {
    GString *le = g_string_new (NULL);
    append_number (le, d->buckets[i]);
    cumulative += atomic_load_explicit (&s->buckets[i], memory_order_relaxed);
    append_series_name (out, d->name, "_bucket", f, s, le->str);
    g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", cumulative);
    g_string_free (le, TRUE);
  }
  /* Another thread may observe between our loads: +Inf and _count are one
   * value, never below the finite buckets, so the lines stay consistent. */
  count = MAX (count, cumulative);
  append_series_name (out, d->name, "_bucket", f, s, "+Inf");
  g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", count);
  append_series_name (out, d->name, "_sum", f, s, NULL);
  append_number (out, load_double (&s->value));
  g_string_append_c (out, '\n');
  append_series_name (out, d->name, "_count", f, s, NULL);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", count);
}

static gint
compare_series (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(ThMetricSeries *const *) a)->key, (*(ThMetricSeries *const *) b)->key);
}

char *
th_metrics_render (ThMetrics *m)
{
  static const char *const kTypes[] = { "counter", "gauge", "histogram" };
  GString *out = g_string_new (NULL);

  g_mutex_lock (&m->lock);
  for (guint i = 0; i < m->n; i++) {
    Family *f = &m->families[i];
    g_autoptr (GPtrArray) all = g_ptr_array_new ();
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init (&iter, f->series);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_ptr_array_add (all, value);
    g_string_append_printf (out, "# HELP %s ", f->def->name);
    append_escaped (out, f->def->help, FALSE);
    g_string_append_printf (out, "\n# TYPE %s %s\n", f->def->name, kTypes[f->def->type]);
    g_ptr_array_sort (all, compare_series);
    for (guint k = 0; k < all->len; k++) {
      ThMetricSeries *s = all->pdata[k];
      if (f->def->type == TH_METRIC_HISTOGRAM) {
        render_histogram (out, f, s);
        continue;
      }
      append_series_name (out, f->def->name, "", f, s, NULL);
      append_number (out, load_double (&s->value));
      g_string_append_c (out, '\n');
    }
  }
  g_mutex_unlock (&m->lock);
  return g_string_free (out, FALSE);
}
