/* config_store.c — where the shared state lives (issue 18): [store]
 * backend = sqlite (one machine; the file in [server] data_dir) or
 * postgresql (any number of nodes), and [store] dsn, libpq's connection
 * string. TELEHEALTHD_DSN in the environment, when set, means postgresql
 * with that string: it keeps a password out of the config file and lets a
 * test hand every server it starts its own database. The string is never
 * logged, as it may hold a password. */
#include "server/config.h"

#include <string.h>

const char *const th_store_config_keys[][2] = {
  { "store", "backend" },
  { "store", "dsn" },
  { NULL, NULL },
};

/* The environment's DSN; NULL when unset or empty. */
static const char *
env_dsn (void)
{
  const char *dsn = g_getenv ("TELEHEALTHD_DSN");
  return dsn && *dsn ? dsn : NULL;
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
  return TRUE;
}
