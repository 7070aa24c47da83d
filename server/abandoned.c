/* abandoned.c — a visit in progress that everyone left without ending it is
 * ended by the server after [visits] abandoned_end_minutes, so it does not
 * stay "in progress" for ever. Each leave arms (or re-arms) a GLib timeout
 * on the main loop for the visit; when it fires, the visit is ended only if
 * its room is still empty and the server's one clock (server/clock) says
 * the time has passed. A visit someone rejoined is left alone: their next
 * leave arms it again. Ending it (the store's transaction, its audit, the
 * follow-up's due date) runs on a store worker; the watch waits meanwhile
 * (no timer armed) and is settled when the result is back on the loop. */
#define G_LOG_DOMAIN "th-server"

#include "server/audit.h"
#include "server/api/api.h" /* th_follow_up_visit_ended */
#include "server/clock/clock.h"
#include "server/storepool/storepool.h"

typedef struct {
  ThApp *app;
  char *visit_id;
  gint64 deadline_ms; /* th_clock_now_ms () at which the visit counts as abandoned */
  guint source;
} AbandonWatch;

static void
watch_free (gpointer data)
{
  AbandonWatch *w = data;

  g_clear_handle_id (&w->source, g_source_remove);
  g_free (w->visit_id);
  g_free (w);
}

static gboolean watch_fire (gpointer data);

static void
watch_schedule (AbandonWatch *w, gint64 in_ms)
{
  g_clear_handle_id (&w->source, g_source_remove);
  w->source = g_timeout_add ((guint) CLAMP (in_ms, 1, G_MAXUINT), watch_fire, w);
}

/* Ends the visit if it is still in progress; FALSE with `error` when the
 * store failed. With `app`'s store: the main thread's, or a job's. */
static gboolean
end_visit (ThApp *app, const char *visit_id, GError **error)
{
  gboolean ended = FALSE;

  /* With several nodes, "nobody here" is not "nobody": a visit another
   * live node hosts (holds the lease of) is that node's to watch. Taking
   * the lease first also keeps a hello elsewhere from hosting it meanwhile. */
  if (app->config->store_postgresql) {
    g_autofree char *holder = NULL;
    if (!store_lease_claim (app->store, visit_id, app->config->cluster_node_id,
                            app->config->cluster_lease_s, &holder, error))
      return FALSE;
    if (holder)
      return TRUE;
  }
  if (!store_end_abandoned_visit (app->store, visit_id, &ended, error))
    return FALSE;
  if (ended) {
    g_message ("visit %s: ended by the server, everyone had left %u s ago", visit_id,
               app->config->abandoned_end_s);
    th_audit (app, NULL, "server", "visit.end", visit_id,
              json_pack ("{s:s}", "reason", "abandoned"));
    th_follow_up_visit_ended (app, visit_id);
  }
  return TRUE;
}

/* On the loop, once the visit was ended (or the store failed): the watch
 * goes, unless a leave re-armed it meanwhile; a failure tries again in a
 * minute (a busy or failing store must not leave the visit in progress for
 * ever). */
static void
watch_settle (ThApp *app, const char *visit_id, const GError *error)
{
  AbandonWatch *w = app->abandoned ? g_hash_table_lookup (app->abandoned, visit_id) : NULL;

  if (error)
    th_log_visit (G_LOG_LEVEL_WARNING, visit_id, NULL, "visit.abandoned", error,
                  "visit %s: could not end it after everyone left: %s", visit_id,
                  error->message);
  if (!w || w->source != 0)
    return;
  if (error)
    watch_schedule (w, 60 * 1000);
  else
    g_hash_table_remove (app->abandoned, visit_id);
}

typedef struct {
  ThApp app; /* the job's copy (app.h) */
  char *visit_id;
  GError *error;
} EndJob;

static void
end_job_run (Store *store, gpointer data)
{
  EndJob *j = data;

  j->app.store = store;
  end_visit (&j->app, j->visit_id, &j->error);
}

static void
end_job_done (gpointer data, const GError *error)
{
  EndJob *j = data;

  watch_settle (j->app.origin, j->visit_id, error ? error : j->error);
  g_clear_error (&j->error);
  th_app_job_clear (&j->app);
  g_free (j->visit_id);
  g_free (j);
}

static void
end_on_worker (AbandonWatch *w)
{
  EndJob *j = g_new0 (EndJob, 1);

  th_app_job_init (&j->app, w->app);
  j->visit_id = g_strdup (w->visit_id);
  /* After the visit's own records (hooks.c), in their order. */
  th_store_pool_run (w->app->pool, w->visit_id, end_job_run, end_job_done, j);
}

static gboolean
watch_fire (gpointer data)
{
  AbandonWatch *w = data;
  ThApp *app = w->app;
  g_autoptr (GError) error = NULL;
  gint64 left_ms = w->deadline_ms - th_clock_now_ms ();

  w->source = 0;
  if (app->hub && sig_hub_visit_occupied (app->hub, w->visit_id)) {
    g_hash_table_remove (app->abandoned, w->visit_id); /* someone is back */
    return G_SOURCE_REMOVE;
  }
  if (left_ms > 0) {
    watch_schedule (w, left_ms);
    return G_SOURCE_REMOVE;
  }
  if (app->pool) {
    end_on_worker (w);
    return G_SOURCE_REMOVE;
  }
  end_visit (app, w->visit_id, &error);
  watch_settle (app, w->visit_id, error);
  return G_SOURCE_REMOVE;
}

void
th_abandoned_watch (ThApp *app, const char *visit_id)
{
  AbandonWatch *w;

  if (!app->abandoned)
    app->abandoned = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, watch_free);
  w = g_hash_table_lookup (app->abandoned, visit_id);
  if (!w) {
    w = g_new0 (AbandonWatch, 1);
    w->app = app;
    w->visit_id = g_strdup (visit_id);
    g_hash_table_insert (app->abandoned, w->visit_id, w);
  }
  w->deadline_ms = th_clock_now_ms () + (gint64) app->config->abandoned_end_s * 1000;
  watch_schedule (w, (gint64) app->config->abandoned_end_s * 1000);
}

gboolean
th_abandoned_start (ThApp *app, GError **error)
{
  g_autoptr (GPtrArray) ids = store_visits_in_progress (app->store, error);

  if (!ids)
    return FALSE;
  /* Nobody is in any visit when the server starts: each visit in progress
   * counts as left from now (its participants may still come back). */
  for (guint i = 0; i < ids->len; i++)
    th_abandoned_watch (app, g_ptr_array_index (ids, i));
  return TRUE;
}

void
th_abandoned_stop (ThApp *app)
{
  g_clear_pointer (&app->abandoned, g_hash_table_unref);
}
