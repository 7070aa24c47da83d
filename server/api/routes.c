/* api_routes.c — URL parsing for the REST API and the static files (see
 * api-routes.h). Pure functions: no app, no I/O. */
#include "server/api/api-routes.h"

#include <string.h>

#define MAX_ID_CHARS 64

gboolean
th_route_parts (const char *path, const char *collection, char **id, char **action)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", 6);
  guint n = g_strv_length (parts);

  if (n < 4 || n > 5 || parts[0][0] != '\0' || strcmp (parts[1], "api") != 0 ||
      strcmp (parts[2], collection) != 0)
    return FALSE;
  if (parts[3][0] == '\0' || strlen (parts[3]) > MAX_ID_CHARS ||
      strspn (parts[3], "0123456789abcdefghijklmnopqrstuvwxyz-") != strlen (parts[3]))
    return FALSE;
  *id = g_strdup (parts[3]);
  *action = n == 5 ? g_strdup (parts[4]) : NULL;
  return TRUE;
}

const char *
th_query_param (const char *query, const char *name, char **storage)
{
  g_auto (GStrv) pairs = NULL;
  gsize name_len = strlen (name);

  if (!query)
    return NULL;
  pairs = g_strsplit (query, "&", 32);
  for (guint i = 0; pairs[i]; i++) {
    const char *eq = strchr (pairs[i], '=');
    if (eq && (gsize) (eq - pairs[i]) == name_len && strncmp (pairs[i], name, name_len) == 0) {
      *storage = g_uri_unescape_string (eq + 1, NULL);
      return *storage;
    }
  }
  return NULL;
}

static gboolean
is_visit_id (const char *s)
{
  gsize len = strlen (s);

  return len <= MAX_ID_CHARS && strspn (s, "0123456789abcdef-") == len;
}

const char *
th_visit_path_id (const char *path)
{
  const char *id;

  if (!g_str_has_prefix (path, "/api/visits/"))
    return NULL;
  id = path + strlen ("/api/visits/");
  return id[0] != '\0' && is_visit_id (id) ? id : NULL;
}

ThGuestsRoute
th_guests_route (const char *path, char **visit_id, char **participant_id)
{
  g_auto (GStrv) parts = NULL;
  guint n;

  if (!g_str_has_prefix (path, "/api/visits/"))
    return TH_GUESTS_ROUTE_NONE;
  parts = g_strsplit (path + 1, "/", 7);
  n = g_strv_length (parts);
  /* api / visits / <id> / guests [/ <participant> / revoke] */
  if (n < 4 || strcmp (parts[3], "guests") != 0 || !is_visit_id (parts[2]))
    return TH_GUESTS_ROUTE_NONE;
  if (n == 4) {
    *visit_id = g_strdup (parts[2]);
    return TH_GUESTS_ROUTE_LIST;
  }
  if (n == 6 && strcmp (parts[5], "revoke") == 0 && is_visit_id (parts[4])) {
    *visit_id = g_strdup (parts[2]);
    *participant_id = g_strdup (parts[4]);
    return TH_GUESTS_ROUTE_REVOKE;
  }
  return TH_GUESTS_ROUTE_NONE;
}

gboolean
th_path_climbs (const char *uri)
{
  g_autofree char *once = g_uri_unescape_string (uri, NULL);
  g_autofree char *twice = once ? g_uri_unescape_string (once, NULL) : NULL;
  const char *forms[] = { uri, once, twice };

  if (!once || !twice)
    return TRUE;  /* malformed escapes, or an escaped NUL */
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++) {
    const char *u = forms[i];
    if (strchr (u, '\\') || strcmp (u, "..") == 0 || g_str_has_prefix (u, "../") ||
        strstr (u, "/../") || g_str_has_suffix (u, "/.."))
      return TRUE;
  }
  return FALSE;
}
