/* offloop.c — the REST API off the main loop.
 *
 * A request is matched to its route on the main thread (pure), then, with
 * a copy of everything it needs, queued to a store worker (storepool.h):
 * the caller is resolved, the visit loaded and the handler run there, with
 * that worker's connection, so a database that takes its time holds up
 * this request only, never the loop that carries the visits' signaling.
 * The answer goes back through th_http_defer / th_http_pending_finish on
 * the main thread; a client that left meanwhile gets nothing (pending.c).
 *
 * The job's handler sees a copy of the app (app.h): its own store, a
 * snapshot of the config (a reload may swap the live one's values while it
 * runs), no hub, lws or timers; what it must have done on the main loop
 * goes through th_app_* (onmain.c). The health check and the sign-in stay
 * on the loop (th_api_route_on_main): one reads only the hub, the other
 * hands the password to the sign-in gate, which lives on the loop. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/storepool/storepool.h"

typedef struct {
  ThApp app;           /* the job's copy: store set on the worker */
  ThHttpRequest req;   /* pointing at the copies below */
  char *path, *query, *bearer, *session_id, *csrf, *address, *body;
  const ThRoute *route; /* NULL: answered already (404, 405); only the audit runs */
  ThRouteParams params;
  ThHttpResponse r;
  ThHttpPending *pending;
} ApiJob;

static void
api_job_free (ApiJob *job)
{
  th_app_job_clear (&job->app);
  g_free (job->path);
  g_free (job->query);
  g_free (job->bearer);
  g_free (job->session_id);
  g_free (job->csrf);
  g_free (job->address);
  g_free (job->body);
  g_free (job->r.body);
  g_free (job->r.set_cookie);
  g_free (job->r.failure);
  g_free (job);
}

/* On a store worker. */
static void
api_job_run (Store *store, gpointer data)
{
  ApiJob *job = data;

  job->app.store = store;
  if (job->route)
    th_api_run_route (&job->app, &job->req, &job->r, job->route, &job->params);
  th_api_after (&job->app, &job->req, &job->r);
  job->app.store = NULL;
}

/* On the main thread. */
static void
api_job_done (gpointer data, const GError *error)
{
  ApiJob *job = data;

  if (error) {
    /* Not run: no connection to the database could be opened, or the
     * server is stopping. Nothing was changed; a retry may work. */
    g_warning ("%s: not run on a store worker: %s", job->route ? job->route->pattern : "?",
               error->message);
    th_respond_error (&job->r, 503, "busy",
                      "The clinic's record is busy for a moment. Try again in a few seconds; "
                      "nothing was lost.");
    job->r.retry_after = 1;
  }
  th_http_pending_finish (job->pending, &job->r);
  api_job_free (job);
}

/* Queues the request to a worker; FALSE (nothing queued) when it cannot be
 * deferred. `r` may hold a 404 or 405 already (then `route` is NULL). */
static gboolean
api_job_start (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThRoute *route,
               const ThRouteParams *params)
{
  ApiJob *job;
  ThHttpPending *pending;
  char *answered = r->body;

  /* th_http_defer needs a response with nothing to send now. */
  r->body = NULL;
  if (!(pending = th_http_defer (req, r))) {
    r->body = answered;
    return FALSE;
  }
  job = g_new0 (ApiJob, 1);
  job->pending = pending;
  job->r = *r;
  job->r.body = answered;
  job->r.deferred = FALSE;
  job->route = route;
  if (params)
    job->params = *params;
  job->path = g_strdup (req->path);
  job->query = g_strdup (req->query);
  job->bearer = g_strdup (req->bearer);
  job->session_id = g_strdup (req->session_id);
  job->csrf = g_strdup (req->csrf);
  job->address = g_strdup (req->address);
  /* The body may hold NULs: copied by its length, with a terminator. */
  if (req->body) {
    job->body = g_malloc (req->body_len + 1);
    memcpy (job->body, req->body, req->body_len);
    job->body[req->body_len] = '\0';
  }
  job->req = (ThHttpRequest) {
    .method = req->method,
    .path = job->path,
    .query = job->query,
    .bearer = job->bearer,
    .session_id = job->session_id,
    .csrf = job->csrf,
    .background = req->background,
    .address = job->address,
    .body = job->body,
    .body_len = req->body_len,
    .transport = NULL, /* a handler on a worker cannot defer again */
  };
  th_app_job_init (&job->app, app);
  th_store_pool_run (app->pool, NULL, api_job_run, api_job_done, job);
  return TRUE;
}

void
th_api_handle (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  const ThRoute *route = NULL;
  ThRouteParams params = { 0 };
  gboolean matched = th_api_match (req, r, &route, &params);

  /* Off the loop whenever there is a pool and the answer can wait (the
   * transport's requests; the unit tests call without one). */
  if (app->pool && req->transport && !(matched && th_api_route_on_main (route))) {
    if (th_store_pool_full (app->pool)) {
      /* As many calls wait for the database as [store] queue allows:
       * "try again" now rather than an answer a minute late. */
      th_respond_error (r, 503, "busy",
                        "The clinic's record is busy for a moment. Try again in a few seconds; "
                        "nothing was lost.");
      r->retry_after = 1;
      th_api_after (app, req, r);
      return;
    }
    if (api_job_start (app, req, r, matched ? route : NULL, &params))
      return;
  }
  if (matched)
    th_api_run_route (app, req, r, route, &params);
  th_api_after (app, req, r);
}

/* A request the transport refused: its audit row follows on a worker, the
 * transport answers at once. */
void
th_api_refused (ThApp *app, const ThHttpRefusal *refusal)
{
  json_t *detail = json_pack ("{s:i, s:s}", "status", (json_int_t) refusal->status, "code",
                              refusal->code);

  if (refusal->path)
    json_object_set_new (detail, "path", json_string (refusal->path));
  th_audit_queued (app, refusal->address, "anonymous", "http.refused", NULL, detail);
}
