/* abandoned.c — a visit in progress that everyone left without ending it is
 * ended by the server after [visits] abandoned_end_minutes, so it does not
 * stay "in progress" for ever. Each leave arms (or re-arms) a GLib timeout
 * on the main loop for the visit; when it fires, the visit is ended only if
 * its room is still empty and the server's one clock (server/clock) says
 * the time has passed. A visit someone rejoined is left alone: their next
 * leave arms it again. */
#define G_LOG_DOMAIN "th-server"

#include "server/audit.h"
#include "server/api/api.h" /* th_follow_up_visit_ended */
#include "server/clock/clock.h"

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

static gboolean
watch_fire (gpointer data)
{
  AbandonWatch *w = data;
  ThApp *app = w->app;
  g_autoptr (GError) error = NULL;
  gint64 left_ms = w->deadline_ms - th_clock_now_ms ();
  gboolean ended = FALSE;

  w->source = 0;
  if (app->hub && sig_hub_visit_occupied (app->hub, w->visit_id)) {
    g_hash_table_remove (app->abandoned, w->visit_id); /* someone is back */
    return G_SOURCE_REMOVE;
  }
  if (left_ms > 0) {
    watch_schedule (w, left_ms);
    return G_SOURCE_REMOVE;
  }
  if (!store_end_abandoned_visit (app->store, w->visit_id, &ended, &error)) {
    /* Tried again in a minute: a busy or failing store must not leave the
     * visit in progress for ever. */
    th_log_visit (G_LOG_LEVEL_WARNING, w->visit_id, NULL, "visit.abandoned", error,
                  "visit %s: could not end it after everyone left: %s", w->visit_id,
                  error->message);
    watch_schedule (w, 60 * 1000);
    return G_SOURCE_REMOVE;
  }
  if (ended) {
    g_message ("visit %s: ended by the server, everyone had left %u s ago", w->visit_id,
               app->config->abandoned_end_s);
    th_audit (app, NULL, "server", "visit.end", w->visit_id,
              json_pack ("{s:s}", "reason", "abandoned"));
    th_follow_up_visit_ended (app, w->visit_id);
  }
  g_hash_table_remove (app->abandoned, w->visit_id);
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
