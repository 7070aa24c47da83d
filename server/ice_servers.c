/* ice_servers.c — [ice] in the config, and time-limited TURN credentials
 * (see ice_servers.h). */
#include "server/ice_servers.h"

#include <string.h>

const char *const th_ice_config_keys[] = {
  "stun_urls",
  "turn_urls",
  "turn_secret",
  "turn_secret_file",
  "turn_credential_ttl_seconds",
  "ice_transport_policy",
  NULL,
};

static gboolean
host_valid (const char *host, gsize len)
{
  g_autofree char *h = g_strndup (host, len);

  if (len == 0)
    return FALSE;
  if (h[0] == '[') {
    g_autofree char *inner = NULL;
    if (len < 3 || h[len - 1] != ']')
      return FALSE;
    inner = g_strndup (h + 1, len - 2);
    return strchr (inner, ':') != NULL && g_hostname_is_ip_address (inner);
  }
  /* A DNS name or an IPv4 address. */
  return len <= 253 && h[0] != '.' && h[0] != '-' &&
         strspn (h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == len;
}

gboolean
th_ice_url_valid (const char *url)
{
  static const char *const schemes[] = { "stun:", "stuns:", "turn:", "turns:" };
  const char *rest = NULL, *query, *end, *port_at;
  gboolean turn = FALSE;
  gsize host_len;

  for (guint i = 0; i < G_N_ELEMENTS (schemes) && !rest; i++) {
    if (g_str_has_prefix (url, schemes[i])) {
      rest = url + strlen (schemes[i]);
      turn = i >= 2;
    }
  }
  if (!rest || strlen (url) > 512)
    return FALSE;
  query = strchr (rest, '?');
  end = query ? query : rest + strlen (rest);
  if (query &&
      !(turn && (strcmp (query, "?transport=udp") == 0 || strcmp (query, "?transport=tcp") == 0)))
    return FALSE;
  /* The port follows the last ':' outside an IPv6 address's brackets. */
  port_at = NULL;
  for (const char *p = end; p > rest; p--) {
    if (p[-1] == ']')
      break;
    if (p[-1] == ':') {
      port_at = p - 1;
      break;
    }
  }
  host_len = (gsize) ((port_at ? port_at : end) - rest);
  if (!host_valid (rest, host_len))
    return FALSE;
  if (port_at) {
    g_autofree char *port = g_strndup (port_at + 1, (gsize) (end - port_at - 1));
    guint64 v;
    if (!g_ascii_string_to_unsigned (port, 10, 1, 65535, &v, NULL))
      return FALSE;
  }
  return TRUE;
}

char *
th_turn_username (gint64 expiry_unix, const char *id)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry_unix, id);
}

char *
th_turn_credential (const char *secret, const char *username)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) username, -1);
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

static gboolean bad (GError **error, const char *path, const char *message_fmt, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
bad (GError **error, const char *path, const char *message_fmt, ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, message_fmt);
  message = g_strdup_vprintf (message_fmt, ap);
  va_end (ap);
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: [ice] %s", path,
               message);
  return FALSE;
}

/* An optional, stripped string value; NULL when absent or empty. */
static char *
get_value (GKeyFile *kf, const char *key)
{
  char *v = g_key_file_get_string (kf, "ice", key, NULL);

  if (v && g_strstrip (v)[0] == '\0')
    g_clear_pointer (&v, g_free);
  return v;
}

/* A list of URLs separated by ';' (or ',' or spaces), each with one of
 * `schemes`; NULL when the key is absent or empty. */
static gboolean
read_urls (GKeyFile *kf, const char *path, const char *key, const char *const *schemes,
           const char *expect, char ***out, GError **error)
{
  g_autofree char *v = get_value (kf, key);
  g_auto (GStrv) parts = NULL;
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);

  *out = NULL;
  if (!v)
    return TRUE;
  parts = g_strsplit_set (v, ";, \t", -1);
  for (guint i = 0; parts[i]; i++) {
    gboolean scheme_ok = FALSE;
    if (parts[i][0] == '\0')
      continue;
    for (guint s = 0; schemes[s] && !scheme_ok; s++)
      scheme_ok = g_str_has_prefix (parts[i], schemes[s]);
    if (!scheme_ok || !th_ice_url_valid (parts[i]))
      return bad (error, path, "%s: \"%s\" is not a URL like %s", key, parts[i], expect);
    g_ptr_array_add (urls, g_strdup (parts[i]));
  }
  if (urls->len == 0)
    return TRUE;
  g_ptr_array_add (urls, NULL);
  *out = (char **) g_ptr_array_steal (urls, NULL);
  return TRUE;
}

static gboolean
read_secret (GKeyFile *kf, const char *path, char **out, GError **error)
{
  g_autofree char *secret = get_value (kf, "turn_secret");
  g_autofree char *file = get_value (kf, "turn_secret_file");
  g_autofree char *dir = NULL, *full = NULL, *text = NULL;
  g_autoptr (GError) local = NULL;

  if (secret && file)
    return bad (error, path, "turn_secret and turn_secret_file: set one, not both");
  if (file) {
    dir = g_path_get_dirname (path);
    /* A relative path is taken from the config file's folder. */
    full = g_path_is_absolute (file) ? g_strdup (file) : g_build_filename (dir, file, NULL);
    if (!g_file_get_contents (full, &text, NULL, &local))
      return bad (error, path, "turn_secret_file = \"%s\" cannot be read: %s", file,
                  local->message);
    g_strstrip (text);
    if (text[0] == '\0' || strchr (text, '\n'))
      return bad (error, path, "turn_secret_file = \"%s\" must hold the secret on one line", file);
    secret = g_steal_pointer (&text);
  }
  *out = g_steal_pointer (&secret);
  return TRUE;
}

gboolean
th_ice_config_load (GKeyFile *kf, const char *path, ThIceConfig *out, GError **error)
{
  static const char *const stun[] = { "stun:", "stuns:", NULL };
  static const char *const turn[] = { "turn:", "turns:", NULL };
  g_autofree char *ttl = get_value (kf, "turn_credential_ttl_seconds");
  g_autofree char *policy = get_value (kf, "ice_transport_policy");
  guint64 v = TH_ICE_DEFAULT_TTL_S;

  memset (out, 0, sizeof *out);
  out->turn_ttl_s = TH_ICE_DEFAULT_TTL_S;
  if (!read_urls (kf, path, "stun_urls", stun, "stun:stun.example.org:3478", &out->stun_urls,
                  error) ||
      !read_urls (kf, path, "turn_urls", turn, "turn:turn.example.org:3478?transport=udp",
                  &out->turn_urls, error) ||
      !read_secret (kf, path, &out->turn_secret, error))
    goto fail;
  if (out->turn_urls && !out->turn_secret) {
    bad (error, path,
         "turn_urls needs turn_secret (or turn_secret_file): coturn's "
         "static-auth-secret, from which the credentials are made");
    goto fail;
  }
  if (ttl && !g_ascii_string_to_unsigned (ttl, 10, TH_ICE_MIN_TTL_S, TH_ICE_MAX_TTL_S, &v, NULL)) {
    bad (error, path, "turn_credential_ttl_seconds = \"%s\" is not a whole number from %u to %u",
         ttl, TH_ICE_MIN_TTL_S, TH_ICE_MAX_TTL_S);
    goto fail;
  }
  out->turn_ttl_s = (guint) v;
  if (policy && strcmp (policy, "all") != 0 && strcmp (policy, "relay") != 0) {
    bad (error, path, "ice_transport_policy = \"%s\" must be all or relay", policy);
    goto fail;
  }
  out->relay_only = g_strcmp0 (policy, "relay") == 0;
  if (out->relay_only && !out->turn_urls) {
    bad (error, path,
         "ice_transport_policy = relay needs turn_urls: browsers would have no "
         "way to connect");
    goto fail;
  }
  return TRUE;

fail:
  th_ice_config_clear (out);
  return FALSE;
}

void
th_ice_config_clear (ThIceConfig *config)
{
  g_strfreev (config->stun_urls);
  g_strfreev (config->turn_urls);
  if (config->turn_secret)
    memset (config->turn_secret, 0, strlen (config->turn_secret));
  g_free (config->turn_secret);
  memset (config, 0, sizeof *config);
}
