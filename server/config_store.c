/* config_store.c — where the shared state lives (issue 18): [store]
 * backend = sqlite (one machine; the file in [server] data_dir) or
 * postgresql (any number of nodes), and [store] dsn, libpq's connection
 * string. TELEHEALTHD_DSN in the environment, when set, means postgresql
 * with that string: it keeps a password out of the config file and lets a
 * test hand every server it starts its own database. The string is never
 * logged, as it may hold a password.
 *
 * [cluster] names this node among those sharing one PostgreSQL: node_id
 * (the host name by default), public_base_url (how a browser reaches this
 * node, for a redirect; [server] public_base_url by default) and
 * lease_seconds (a visit's lease, and how long a silent node counts as
 * alive). Read on sqlite too, and then unused: one machine is one node. */
#include "server/config.h"

#include <string.h>

const char *const th_store_config_keys[][2] = {
  { "store", "backend" },
  { "store", "dsn" },
  { "cluster", "node_id" },
  { "cluster", "public_base_url" },
  { "cluster", "lease_seconds" },
  { NULL, NULL },
};

/* The environment's DSN; NULL when unset or empty. */
static const char *
env_dsn (void)
{
  const char *dsn = g_getenv ("TELEHEALTHD_DSN");
  return dsn && *dsn ? dsn : NULL;
}

#define LEASE_MIN_S 3
#define LEASE_MAX_S 300

/* A node id goes into the database and the logs: short, printable ASCII. */
static gboolean
node_id_valid (const char *id)
{
  gsize n = strlen (id);
  if (n < 1 || n > 64)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("-_.", *p))
      return FALSE;
  return TRUE;
}

static gboolean
cluster_config_read (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *id = NULL, *url = NULL, *lease = NULL;
  const char *where = path ? path : "the built-in configuration";

  c->cluster_lease_s = 10;
  if (kf) {
    id = g_key_file_get_string (kf, "cluster", "node_id", NULL);
    url = g_key_file_get_string (kf, "cluster", "public_base_url", NULL);
    lease = g_key_file_get_string (kf, "cluster", "lease_seconds", NULL);
  }
  if (id && *g_strstrip (id)) {
    if (!node_id_valid (id)) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [cluster] node_id = \"%s\" must be 1 to 64 letters, digits, "
                   "'-', '_' or '.'", where, id);
      return FALSE;
    }
    c->cluster_node_id = g_steal_pointer (&id);
  } else {
    c->cluster_node_id = g_strdup (g_get_host_name ());
  }
  if (url && *g_strstrip (url)) {
    gsize n = strlen (url);
    if (!(g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://")) ||
        strpbrk (url, "#?") || n > 2000) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [cluster] public_base_url = \"%s\" must start with https:// or "
                   "http:// and have no query or fragment", where, url);
      return FALSE;
    }
    while (n > 0 && url[n - 1] == '/')
      url[--n] = '\0'; /* the redirect adds its own "/signaling" */
    c->cluster_base_url = g_steal_pointer (&url);
  }
  if (lease) {
    char *end = NULL;
    guint64 v = g_ascii_strtoull (g_strstrip (lease), &end, 10);
    if (!*lease || *end || v < LEASE_MIN_S || v > LEASE_MAX_S) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [cluster] lease_seconds = \"%s\" must be a number of seconds "
                   "from %d to %d", where, lease, LEASE_MIN_S, LEASE_MAX_S);
      return FALSE;
    }
    c->cluster_lease_s = (guint) v;
  }
  return TRUE;
}

gboolean
th_store_config_read (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *backend = NULL, *dsn = NULL;

  if (kf) {
    backend = g_key_file_get_string (kf, "store", "backend", NULL);
    dsn = g_key_file_get_string (kf, "store", "dsn", NULL);
  }
  if (backend) {
    g_strstrip (backend);
    if (strcmp (backend, "postgresql") == 0) {
      c->store_postgresql = TRUE;
    } else if (strcmp (backend, "sqlite") != 0) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [store] backend = \"%s\" must be sqlite or postgresql", path, backend);
      return FALSE;
    }
  }
  if (dsn && *g_strstrip (dsn)) {
    g_free (c->store_dsn);
    c->store_dsn = g_steal_pointer (&dsn);
  }
  if (env_dsn ()) {
    c->store_postgresql = TRUE;
    g_free (c->store_dsn);
    c->store_dsn = g_strdup (env_dsn ());
  }
  if (c->store_postgresql && !c->store_dsn) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [store] backend = postgresql needs [store] dsn (or TELEHEALTHD_DSN), "
                 "e.g. dsn = host=/run/postgresql dbname=telehealth",
                 path ? path : "the built-in configuration");
    return FALSE;
  }
  return cluster_config_read (kf, c, path, error);
}
