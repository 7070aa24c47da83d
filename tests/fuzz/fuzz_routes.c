/* fuzz_routes.c — URL parsing: the REST route splitters, the query-string
 * lookup and the web root's path-traversal check (server/api/routes.c).
 * The input is the path (or query) text up to the first NUL; after a
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

static void
route_parts (const char *path, const char *collection)
{
  char *id = NULL, *action = NULL;

  if (th_route_parts (path, collection, &id, &action)) {
    g_assert_true (id[0] != '\0' && strlen (id) <= 64);
    g_assert_true (strchr (id, '/') == NULL);
    g_assert_true (action == NULL || strchr (action, '/') == NULL);
  }
  g_free (id);
  g_free (action);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = g_strndup ((const char *) data, size);
  char *nl = strchr (text, '\n');
  const char *name = "day";
  char *storage = NULL, *visit = NULL, *participant = NULL;
  const char *value, *id;

  if (nl) {
    *nl = '\0';
    name = nl + 1;
  }
  route_parts (text, "visits");
  route_parts (text, "patients");
  route_parts (text, "orders");
  value = th_query_param (text, name, &storage);
  g_assert_true (value == storage);
  g_free (storage);
  id = th_visit_path_id (text);
  g_assert_true (id == NULL || (id > text && strchr (id, '/') == NULL));
  switch (th_guests_route (text, &visit, &participant)) {
  case TH_GUESTS_ROUTE_NONE:
    g_assert_null (visit);
    break;
  case TH_GUESTS_ROUTE_LIST:
    g_assert_nonnull (visit);
    g_assert_null (participant);
    break;
  case TH_GUESTS_ROUTE_REVOKE:
    g_assert_nonnull (visit);
    g_assert_nonnull (participant);
    break;
  }
  g_free (visit);
  g_free (participant);
  /* Anything with a literal ".." segment must be refused. */
  if (!th_path_climbs (text))
    g_assert_true (strstr (text, "/../") == NULL && strcmp (text, "..") != 0);
  g_free (text);
  return 0;
}
