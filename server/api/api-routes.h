/* api-routes.h — URL parsing for the REST API and the static files: pure
 * functions of the path or query text, fuzzed by tests/fuzz/fuzz_routes.c.
 * The route table itself (api-private.h) matches paths with these. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TH_ROUTE_MAX_PARAMS 3
#define TH_ROUTE_MAX_ID 64
#define TH_ROUTE_MAX_NAME 15

/* The ":name" segments of a matched pattern, in order. */
typedef struct {
  guint n;
  struct {
    char name[TH_ROUTE_MAX_NAME + 1];
    char value[TH_ROUTE_MAX_ID + 1];
  } p[TH_ROUTE_MAX_PARAMS];
} ThRouteParams;

/* TRUE when `pattern` is one a route may have: "/"-separated segments, each
 * a literal of [a-z0-9-] or a parameter ":name" ([a-z_], at most
 * TH_ROUTE_MAX_NAME), at most TH_ROUTE_MAX_PARAMS parameters, no name twice. */
gboolean th_route_pattern_valid (const char *pattern);

/* TRUE when `path` has the pattern's segments: literals equal, and each
 * parameter an id that looks like ours ([0-9a-z-], 1..TH_ROUTE_MAX_ID).
 * Fills *out (may be NULL) only on TRUE. */
gboolean th_route_match (const char *pattern, const char *path, ThRouteParams *out);

/* The value of parameter `name`, or NULL. */
const char *th_route_param (const ThRouteParams *params, const char *name);

/* The unescaped value of `name` in a raw "a=b&c=d" query (the first 32
 * pairs are looked at), or NULL. The value is kept in *storage (g_free). */
const char *th_query_param (const char *query, const char *name, char **storage);

/* TRUE when the request URI, as sent or unescaped once or twice, could
 * climb out of the web root ("..", a backslash), or does not unescape. */
gboolean th_path_climbs (const char *uri);

G_END_DECLS
