/* noshow.c — a scheduled visit that nobody joined by the end of its join
 * window ([visits] join_window_after_minutes after its start, when its
 * links close) becomes no_show, recorded with reason "no-show", so the
 * schedule and the overdue list tell it from a visit still to come. A GLib
 * timeout on the main loop sweeps once a minute: one indexed query for the
 * candidates (visits_scheduled), then one short transaction each, on a
 * store worker (the first sweep, at start, before anyone connects, on the
 * main thread). */
#define G_LOG_DOMAIN "th-server"

#include "server/audit.h"
#include "server/clock/clock.h"
#include "server/storepool/storepool.h"

#define SWEEP_EVERY_S 60

static gboolean
sweep (ThApp *app, GError **error)
{
  gint64 cutoff = store_now_ms () - (gint64) app->config->join_window_after_min * 60000;
  g_autoptr (GPtrArray) ids = store_visits_unjoined (app->store, cutoff, error);

  if (!ids)
    return FALSE;
  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);
    gboolean marked = FALSE;
    if (!store_mark_no_show (app->store, id, &marked, error))
      return FALSE;
    if (marked)
      th_audit (app, NULL, "server", "visit.no-show", id, json_pack ("{s:s}", "reason", "no-show"));
  }
  return TRUE;
}

typedef struct {
  ThApp app; /* the job's copy (app.h) */
  GError *error;
} Sweep;

static gboolean sweeping; /* a sweep is on a worker: the next tick skips */

static void
sweep_run (Store *store, gpointer data)
{
  Sweep *s = data;

  s->app.store = store;
  sweep (&s->app, &s->error);
}

static void
sweep_done (gpointer data, const GError *error)
{
  Sweep *s = data;

  sweeping = FALSE;
  /* A busy or failing store is tried again at the next tick. */
  if (error || s->error)
    g_message ("no-show sweep: not done this time: %s", (error ? error : s->error)->message);
  g_clear_error (&s->error);
  th_app_job_clear (&s->app);
  g_free (s);
}

static gboolean
sweep_tick (gpointer data)
{
  ThApp *app = data;
  g_autoptr (GError) error = NULL;
  Sweep *s;

  if (!app->pool) {
    if (!sweep (app, &error))
      g_message ("no-show sweep: not done this time: %s", error->message);
    return G_SOURCE_CONTINUE;
  }
  if (sweeping)
    return G_SOURCE_CONTINUE;
  sweeping = TRUE;
  s = g_new0 (Sweep, 1);
  th_app_job_init (&s->app, app);
  th_store_pool_run (app->pool, "no-show-sweep", sweep_run, sweep_done, s);
  return G_SOURCE_CONTINUE;
}

gboolean
th_no_show_start (ThApp *app, GError **error)
{
  if (!sweep (app, error))
    return FALSE;
  app->no_show_sweep = g_timeout_add_seconds (SWEEP_EVERY_S, sweep_tick, app);
  return TRUE;
}

void
th_no_show_stop (ThApp *app)
{
  g_clear_handle_id (&app->no_show_sweep, g_source_remove);
}
