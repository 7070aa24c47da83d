/* onmain.c — the main loop's services for code that may run on a store
 * worker (app.h). The hub and the outbox's sender belong to the main
 * loop: a job asks for them through the main context, where the call runs
 * between two events, with the main thread's app. */
#define G_LOG_DOMAIN "th-server"

#include "server/app.h"
#include "server/notify/notify.h"

typedef enum { ON_MAIN_RECORD_CHANGED, ON_MAIN_KICK, ON_MAIN_NOTIFY_KICK } OnMainKind;

typedef struct {
  ThApp *app; /* the main thread's */
  OnMainKind kind;
  char *visit_id;
  char *what; /* the record's part, or the participant */
  char *reason;
} OnMain;

static void
on_main_free (gpointer data)
{
  OnMain *m = data;

  g_free (m->visit_id);
  g_free (m->what);
  g_free (m->reason);
  g_free (m);
}

static gboolean
on_main_run (gpointer data)
{
  OnMain *m = data;
  ThApp *app = m->app;

  switch (m->kind) {
  case ON_MAIN_RECORD_CHANGED:
    if (app->hub)
      sig_hub_record_changed (app->hub, m->visit_id, m->what);
    break;
  case ON_MAIN_KICK:
    if (app->hub)
      sig_hub_kick_participant (app->hub, m->visit_id, m->what, m->reason);
    break;
  case ON_MAIN_NOTIFY_KICK:
    if (app->notify)
      notify_kick (app->notify);
    break;
  }
  return G_SOURCE_REMOVE;
}

static void
on_main (ThApp *app, OnMainKind kind, const char *visit_id, const char *what, const char *reason)
{
  OnMain *m = g_new0 (OnMain, 1);

  m->app = app->origin ? app->origin : app;
  m->kind = kind;
  m->visit_id = g_strdup (visit_id);
  m->what = g_strdup (what);
  m->reason = g_strdup (reason);
  if (!app->origin) {
    on_main_run (m);
    on_main_free (m);
    return;
  }
  th_app_run_on_main (on_main_run, m, on_main_free);
}

void
th_app_run_on_main (GSourceFunc run, gpointer data, GDestroyNotify free)
{
  /* A source on the default context (the server's loop, main.c), never
   * g_main_context_invoke: that runs the call on this thread whenever the
   * main thread happens not to hold the context. */
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run, data, free);
  g_source_attach (source, g_main_context_default ());
  g_source_unref (source);
}

void
th_app_record_changed (ThApp *app, const char *visit_id, const char *what)
{
  on_main (app, ON_MAIN_RECORD_CHANGED, visit_id, what, NULL);
}

void
th_app_kick_participant (ThApp *app, const char *visit_id, const char *participant_id,
                         const char *reason)
{
  on_main (app, ON_MAIN_KICK, visit_id, participant_id, reason);
}

void
th_app_notify_kick (ThApp *app)
{
  if (app->notify)
    on_main (app, ON_MAIN_NOTIFY_KICK, NULL, NULL, NULL);
}

gboolean
th_app_notify_configured (const ThApp *app)
{
  return app->notify && notify_config_configured (app->config);
}

void
th_app_job_init (ThApp *copy, ThApp *app)
{
  *copy = *app;
  copy->origin = app;
  copy->config = th_config_snapshot (app->config);
  copy->store = NULL;
  copy->pool = NULL;
  /* The loop's own: never touched off it. */
  copy->hub = NULL;
  copy->lws = NULL;
  copy->loop = NULL;
  copy->ws_per_address = NULL;
  copy->signin = NULL;
  copy->abandoned = NULL;
  copy->no_show_sweep = 0;
  copy->watchdog = 0;
  copy->visit_listener = NULL;
}

void
th_app_job_clear (ThApp *copy)
{
  g_clear_pointer (&copy->config, th_config_snapshot_free);
  copy->store = NULL;
}
