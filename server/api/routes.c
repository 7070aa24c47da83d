/* routes.c — URL parsing for the REST API and the static files (see
 * api-routes.h). Pure functions: no app, no I/O. */
#include "server/api/api-routes.h"

#include <string.h>

/* What an id in a path may look like: ours are UUIDs, lowercase. */
#define ID_CHARS "0123456789abcdefghijklmnopqrstuvwxyz-"
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyz_"
#define LITERAL_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-"

gboolean
th_route_pattern_valid (const char *pattern)
{
  const char *p = pattern;
  char names[TH_ROUTE_MAX_PARAMS][TH_ROUTE_MAX_NAME + 1];
  guint n = 0;

  if (!p || *p != '/')
    return FALSE;
  while (*p == '/') {
    gsize len;
    p++;
    len = strcspn (p, "/");
    if (*p == ':') {
      if (len < 2 || len - 1 > TH_ROUTE_MAX_NAME || n == TH_ROUTE_MAX_PARAMS ||
          strspn (p + 1, NAME_CHARS) != len - 1)
        return FALSE;
      g_strlcpy (names[n], p + 1, len);
      for (guint i = 0; i < n; i++)
        if (strcmp (names[i], names[n]) == 0)
          return FALSE;
      n++;
    } else if (len == 0 || strspn (p, LITERAL_CHARS) != len) {
      return FALSE;
    }
    p += len;
  }
  return *p == '\0';
}

gboolean
th_route_match (const char *pattern, const char *path, ThRouteParams *out)
{
  ThRouteParams params = { 0 };
  const char *p = pattern, *s = path;

  if (!p || !s || *p != '/' || *s != '/')
    return FALSE;
  while (*p == '/' && *s == '/') {
    gsize plen, slen;
    p++;
    s++;
    plen = strcspn (p, "/");
    slen = strcspn (s, "/");
    if (*p == ':') {
      if (params.n == TH_ROUTE_MAX_PARAMS || plen < 2 || plen - 1 > TH_ROUTE_MAX_NAME ||
          slen == 0 || slen > TH_ROUTE_MAX_ID || strspn (s, ID_CHARS) < slen)
        return FALSE;
      g_strlcpy (params.p[params.n].name, p + 1, plen);
      g_strlcpy (params.p[params.n].value, s, slen + 1);
      params.n++;
    } else if (plen != slen || strncmp (p, s, plen) != 0) {
      return FALSE;
    }
    p += plen;
    s += slen;
  }
  if (*p != '\0' || *s != '\0')
    return FALSE;
  if (out)
    *out = params;
  return TRUE;
}

const char *
th_route_param (const ThRouteParams *params, const char *name)
{
  for (guint i = 0; params && i < params->n; i++)
    if (strcmp (params->p[i].name, name) == 0)
      return params->p[i].value;
  return NULL;
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

gboolean
th_path_climbs (const char *uri)
{
  g_autofree char *once = g_uri_unescape_string (uri, NULL);
  g_autofree char *twice = once ? g_uri_unescape_string (once, NULL) : NULL;
  const char *forms[] = { uri, once, twice };

  if (!once || !twice)
    return TRUE; /* malformed escapes, or an escaped NUL */
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++) {
    const char *u = forms[i];
    if (strchr (u, '\\') || strcmp (u, "..") == 0 || g_str_has_prefix (u, "../") ||
        strstr (u, "/../") || g_str_has_suffix (u, "/.."))
      return TRUE;
  }
  return FALSE;
}
