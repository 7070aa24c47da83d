/* events.c — visit changes to the consoles' event streams (GET /api/events,
 * issue 18): the composition root wires the store's news of a changed visit
 * to the transport's event streams, on the main loop.
 *
 * PostgreSQL: a LISTEN connection on the loop (store_listen_start) hears
 * every node's commits, this node's too. sqlite (one process): the store's
 * sink, told on whichever thread committed (the main one or a store
 * worker), hands each change to the main context with an idle source. */
#define G_LOG_DOMAIN "th-events"

#include "server/app.h"
#include "server/api/api.h"
#include "server/http/http.h"

/* Tells the streams that may see it that `visit_id` (of `provider_id`,
 * supervised by `supervisor_id`) changed; all NULL: every stream resyncs.
 * Ids are letters, digits and '-' (store_visit_change_parse): nothing to
 * escape in the JSON. */
static void
publish (ThApp *app, const char *visit_id, const char *provider_id, const char *supervisor_id)
{
  char topic[96];
  g_autofree char *text = NULL;

  if (!visit_id || !provider_id) {
    th_http_stream_publish (app, NULL, "event: resync\ndata: {}\n\n");
    return;
  }
  text = g_strdup_printf ("event: visits-changed\ndata: {\"visit\":\"%s\"}\n\n", visit_id);
  th_api_events_topic (topic, sizeof topic, provider_id);
  th_http_stream_publish (app, topic, text);
  /* A supervising psychiatrist's list shows her PAs' visits too. */
  if (supervisor_id) {
    th_api_events_topic (topic, sizeof topic, supervisor_id);
    th_http_stream_publish (app, topic, text);
  }
  th_api_events_topic (topic, sizeof topic, NULL);
  th_http_stream_publish (app, topic, text);
}

typedef struct {
  ThApp *app;
  char *visit_id;
  char *provider_id;
  char *supervisor_id;
} Change;

static void
change_free (gpointer data)
{
  Change *c = data;
  g_free (c->visit_id);
  g_free (c->provider_id);
  g_free (c->supervisor_id);
  g_free (c);
}

static gboolean
change_on_main (gpointer data)
{
  Change *c = data;
  publish (c->app, c->visit_id, c->provider_id, c->supervisor_id);
  return G_SOURCE_REMOVE;
}

/* sqlite: any thread. */
static void
on_commit (const char *visit_id, const char *provider_id, const char *supervisor_id, gpointer data)
{
  Change *c = g_new0 (Change, 1);

  c->app = data;
  c->visit_id = g_strdup (visit_id);
  c->provider_id = g_strdup (provider_id);
  c->supervisor_id = g_strdup (supervisor_id);
  th_app_run_on_main (change_on_main, c, change_free);
}

/* PostgreSQL: on the main loop already. */
static void
on_notify (const char *visit_id, const char *provider_id, const char *supervisor_id, gpointer data)
{
  publish (data, visit_id, provider_id, supervisor_id);
}

void
th_events_start (ThApp *app)
{
  if (store_backend (app->store) == STORE_BACKEND_POSTGRESQL)
    app->visit_listener = store_listen_start (app->config->store_dsn, on_notify, app);
  else
    store_set_change_sink (app->store, on_commit, app);
}

void
th_events_stop (ThApp *app)
{
  g_clear_pointer (&app->visit_listener, store_listen_stop);
  if (app->store)
    store_set_change_sink (app->store, NULL, NULL);
}
