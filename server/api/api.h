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
