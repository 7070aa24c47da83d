/* fuzz_routes.c — URL parsing: the route table's pattern matcher, the query-string
 * lookup and the web root's path-traversal check (server/api/routes.c).
 * The input is the path (or query, or pattern) text up to the first NUL; after a
 * newline comes the query parameter name to look up. */
#include "tests/fuzz/fuzz_common.h"
#include "server/api/api-routes.h"

#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_fatal_criticals ();
  return 0;
}

/* The patterns of the route table's shapes: a parameter first, last, and
 * twice in one path. */
static const char *const kPatterns[] = {
  "/api/visits/:visit",
  "/api/visits/:visit/record",
  "/api/visits/:visit/guests/:participant/revoke",
  "/api/orders/:order/cosign",
  "/healthz",
};

static void
match (const char *pattern, const char *path)
{
  ThRouteParams params;

  g_assert_true (th_route_pattern_valid (pattern));
  if (!th_route_match (pattern, path, &params))
    return;
  /* A match has the pattern's number of segments, and each parameter is
   * an id of ours: never empty, never a '/', never more than 64. */
  g_assert_cmpuint (params.n, <=, TH_ROUTE_MAX_PARAMS);
  for (guint i = 0; i < params.n; i++) {
    const char *v = params.p[i].value;
    g_assert_true (v[0] != '\0' && strlen (v) <= TH_ROUTE_MAX_ID);
    g_assert_true (strspn (v, "0123456789abcdefghijklmnopqrstuvwxyz-") == strlen (v));
    g_assert_true (th_route_param (&params, params.p[i].name) != NULL);
  }
  g_assert_true (strstr (path, "//") == NULL && !g_str_has_suffix (path, "/"));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = g_strndup ((const char *) data, size);
  char *nl = strchr (text, '\n');
  const char *name = "day";
  char *storage = NULL;
  const char *value;

  if (nl) {
    *nl = '\0';
    name = nl + 1;
  }
  for (guint i = 0; i < G_N_ELEMENTS (kPatterns); i++)
    match (kPatterns[i], text);
  /* Any text as a pattern: checked without crashing, and a pattern that is
   * not valid matches nothing it could be mistaken for. */
  if (th_route_pattern_valid (text))
    g_assert_true (text[0] == '/');
  (void) th_route_match (text, "/api/visits/0a/record", NULL);
  value = th_query_param (text, name, &storage);
  g_assert_true (value == storage);
  g_free (storage);
  /* Anything with a literal ".." segment must be refused. */
  if (!th_path_climbs (text))
    g_assert_true (strstr (text, "/../") == NULL && strcmp (text, "..") != 0);
  g_free (text);
  return 0;
}
