/* api.h — the REST API as plain functions of a parsed request: no
 * libwebsockets here, so the routes and body decoders are testable and
 * fuzzable alone. */
#pragma once

#include "server/app.h"
#include "server/http/http.h" /* ThHttpRequest, ThHttpResponse */

/* Answers a request under /api/ or /healthz: what main.c hands the
 * transport as its handler (th_http_start). */
void th_api_handle (ThApp *app, const ThHttpRequest *request, ThHttpResponse *response);
/* Records a request the transport refused before any route saw it (the
 * audit log). */
void th_api_refused (ThApp *app, const ThHttpRefusal *refusal);
/* Notes in the audit log a request URI that tries to climb out of the web
 * root. */
void th_api_uri_seen (ThApp *app, const char *address, const char *uri);
/* events.c: the topic (th_http_stream_publish) of GET /api/events streams
 * that see the visits of `staff_id` (NULL: of every provider, the front
 * desk's and the admin's streams). */
void th_api_events_topic (char *out, gsize size, const char *staff_id);
/* A visit ended (by its provider, or by the server when everyone left):
 * records the interval the follow-up rules suggest and the date the next
 * follow-up is due by, unless one is recorded already. A failure is
 * logged (ids only); "who is overdue" then works it out itself. */
void th_follow_up_visit_ended (ThApp *app, const char *visit_id);
