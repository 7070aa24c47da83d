/* process.c — the standard process_* metrics, read from /proc/self at
 * scrape time (a few small files: cheap enough for the main loop). */
#define G_LOG_DOMAIN "th-metrics"

#include "server/metrics/metrics.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void
set_value (ThMetrics *m, ThMetricFamily family, double v)
{
  th_metric_set (th_metrics_series (m, family, NULL), v);
}

/* Seconds since the epoch at which the machine booted (/proc/stat btime). */
static gboolean
boot_time (double *out)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL))
    return FALSE;
  line = strstr (text, "\nbtime ");
  if (!line)
    return FALSE;
  *out = g_ascii_strtod (line + 7, NULL);
  return *out > 0;
}

/* /proc/self/stat: fields after the command name (which may hold spaces
 * and parentheses, so read from its last ')'). */
static void
read_stat (ThMetrics *m)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) f = NULL;
  const char *rest;
  double ticks = (double) sysconf (_SC_CLK_TCK), page = (double) sysconf (_SC_PAGESIZE), btime;

  if (!g_file_get_contents ("/proc/self/stat", &text, NULL, NULL) ||
      !(rest = strrchr (text, ')')) || ticks <= 0)
    return;
  /* f[0] is field 3 (state): field N is f[N - 3]. */
  f = g_strsplit (rest + 2, " ", 0);
  if (g_strv_length (f) < 22)
    return;
  set_value (m, TH_M_PROCESS_CPU,
             (g_ascii_strtod (f[11], NULL) + g_ascii_strtod (f[12], NULL)) / ticks);
  set_value (m, TH_M_PROCESS_THREADS, g_ascii_strtod (f[17], NULL));
  set_value (m, TH_M_PROCESS_RSS, g_ascii_strtod (f[21], NULL) * page);
  if (boot_time (&btime))
    set_value (m, TH_M_PROCESS_START, btime + g_ascii_strtod (f[19], NULL) / ticks);
}

void
th_metrics_read_process (ThMetrics *m)
{
  GDir *dir;
  struct rlimit rl;

  read_stat (m);
  if ((dir = g_dir_open ("/proc/self/fd", 0, NULL))) {
    guint n = 0;
    while (g_dir_read_name (dir))
      n++;
    g_dir_close (dir);
    /* Less the one g_dir_open held while counting. */
    set_value (m, TH_M_PROCESS_FDS, n > 0 ? n - 1 : 0);
  }
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    set_value (m, TH_M_PROCESS_MAX_FDS, (double) rl.rlim_cur);
}
