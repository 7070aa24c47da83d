/* events.c — GET /api/events: the console's push channel (issue 18).
 *
 * A Server-Sent Events stream (the transport's event streams, http.h) that
 * says `visits-changed` with a visit's id whenever a visit the caller may
 * see changes (GET /api/visits decides the same way: a clinician their own
 * visits, the admin and the front desk every provider's; the console and
 * the schedule page use it, web/js/visit-events.js), and `resync`
 * when changes may have been missed (the PostgreSQL listener reconnected,
 * or the client fell behind): then the page reloads what it shows. Ids
 * only: what changed is read through the REST routes, with their checks. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

void
th_api_events_topic (char *out, gsize size, const char *staff_id)
{
  if (staff_id)
    g_snprintf (out, size, "visits:staff:%s", staff_id);
  else
    g_strlcpy (out, "visits:all", size);
}

void
th_get_events (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  (void) app;
  (void) req;
  th_api_events_topic (r->stream, sizeof r->stream,
                       th_caller_sees_all (&call->caller) ? NULL : call->caller.staff_id);
  r->status = 200;
  r->content_type = "text/event-stream";
  /* The browser waits 2 s before connecting again after a close; the
   * first event tells the page the stream is up (it reloads once). */
  r->body = g_strdup ("retry: 2000\nevent: ready\ndata: {}\n\n");
}
