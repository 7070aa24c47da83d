/* api-routes.h — URL parsing for the REST API and the static files: pure
 * functions of the path or query text, fuzzed by tests/fuzz/fuzz_routes.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Splits "/api/<collection>/<id>[/<action>]"; the id must look like ours
 * ([0-9a-z-], 1..64). *id and *action (NULL when absent) are g_free'd by
 * the caller, and set only on TRUE. */
gboolean th_route_parts (const char *path, const char *collection, char **id, char **action);

/* The unescaped value of `name` in a raw "a=b&c=d" query (the first 32
 * pairs are looked at), or NULL. The value is kept in *storage (g_free). */
const char *th_query_param (const char *query, const char *name, char **storage);

/* The visit id of "/api/visits/<id>" ([0-9a-f-], 1..64), pointing into
 * `path`, or NULL. */
const char *th_visit_path_id (const char *path);

typedef enum {
  TH_GUESTS_ROUTE_NONE,     /* not a guests path */
  TH_GUESTS_ROUTE_LIST,     /* /api/visits/<id>/guests */
  TH_GUESTS_ROUTE_REVOKE,   /* /api/visits/<id>/guests/<participant>/revoke */
} ThGuestsRoute;

/* Splits a guests path; *visit_id (and, for REVOKE, *participant_id) are
 * set to copies (g_free) unless NONE. */
ThGuestsRoute th_guests_route (const char *path, char **visit_id, char **participant_id);

/* TRUE when the request URI, as sent or unescaped once or twice, could
 * climb out of the web root ("..", a backslash), or does not unescape. */
gboolean th_path_climbs (const char *uri);

G_END_DECLS
