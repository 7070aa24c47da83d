/* config_listen.c — addresses to listen on: [server] listen (and
 * --listen), and [metrics] listen with its token. */
#include "server/config.h"

#include <string.h>
#include <gio/gio.h>

static gboolean
parse_port (const char *text, guint16 *out)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (text, 10, 0, 65535, &v, NULL))
    return FALSE;
  *out = (guint16) v;
  return TRUE;
}

/* HOST:PORT, [v6]:PORT; localhost means 127.0.0.1. */
static gboolean
parse_address (const char *value, const char *what, char **host_out, guint16 *port_out,
               GError **error)
{
  g_autofree char *host = NULL;
  const char *colon;
  guint16 port;
  GInetAddress *addr;

  if (value[0] == '[') {
    /* [v6-address]:port */
    const char *close = strchr (value, ']');
    if (!close || close[1] != ':')
      goto bad;
    host = g_strndup (value + 1, (gsize) (close - value - 1));
    colon = close + 1;
  } else {
    colon = strrchr (value, ':');
    if (!colon || colon == value)
      goto bad;
    host = g_strndup (value, (gsize) (colon - value));
    if (strchr (host, ':'))
      goto bad; /* a bare IPv6 address needs brackets */
  }
  if (!parse_port (colon + 1, &port))
    goto bad;
  addr = g_inet_address_new_from_string (host);
  if (!addr && g_strcmp0 (host, "localhost") != 0)
    goto bad;
  g_clear_object (&addr);
  g_free (*host_out);
  *host_out = g_strcmp0 (host, "localhost") == 0 ? g_strdup ("127.0.0.1") : g_steal_pointer (&host);
  *port_out = port;
  return TRUE;

bad:
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "%s: \"%s\" is not HOST:PORT with a numeric IP address (or localhost) and a "
               "port 0-65535; IPv6 goes in brackets, e.g. [::1]:8080",
               what, value);
  return FALSE;
}

gboolean
th_config_set_listen (ThConfig *config, const char *value, const char *what, GError **error)
{
  return parse_address (value, what, &config->listen_host, &config->listen_port, error);
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);

  return addr && g_inet_address_get_is_loopback (addr);
}

/* [metrics] listen = HOST:PORT (absent or empty: no metrics listener) and
 * token_sha256 = the hex SHA-256 of the bearer token a scraper sends.
 * Anything but loopback needs the token: the figures say how busy the
 * clinic is, which is nobody else's business. */
gboolean
th_metrics_config_read (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *listen = g_key_file_get_string (kf, "metrics", "listen", NULL);
  g_autofree char *token = g_key_file_get_string (kf, "metrics", "token_sha256", NULL);

  c->metrics_on = FALSE;
  c->metrics_token_set = FALSE;
  if (token && *g_strstrip (token)) {
    gsize n = strlen (token);
    if (n != 64) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [metrics] token_sha256 must be 64 hex digits, the SHA-256 of the "
                   "token (e.g. printf %%s TOKEN | sha256sum)",
                   path);
      return FALSE;
    }
    for (gsize i = 0; i < 32; i++) {
      int hi = g_ascii_xdigit_value (token[2 * i]), lo = g_ascii_xdigit_value (token[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                     "%s: [metrics] token_sha256 must be 64 hex digits, the SHA-256 of the "
                     "token (e.g. printf %%s TOKEN | sha256sum)",
                     path);
        return FALSE;
      }
      c->metrics_token_sha256[i] = (guint8) (hi * 16 + lo);
    }
    c->metrics_token_set = TRUE;
  }
  if (!listen || !*g_strstrip (listen))
    return TRUE;
  {
    g_autofree char *what = g_strdup_printf ("%s: [metrics] listen", path);
    if (!parse_address (listen, what, &c->metrics_host, &c->metrics_port, error))
      return FALSE;
  }
  if (!host_is_loopback (c->metrics_host) && !c->metrics_token_set) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [metrics] listen = %s is reachable from other machines: set [metrics] "
                 "token_sha256 (the SHA-256 of a bearer token your Prometheus sends) or listen "
                 "on 127.0.0.1",
                 path, listen);
    return FALSE;
  }
  c->metrics_on = TRUE;
  return TRUE;
}
