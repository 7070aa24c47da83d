/* ice_servers.h — the STUN and TURN servers browsers are told about
 * (`[ice]` in the config), and time-limited TURN credentials in the TURN
 * REST API scheme coturn checks with `use-auth-secret`:
 *
 *   username   = "<unix expiry time>:<opaque id>"
 *   credential = base64 (HMAC-SHA1 (static-auth-secret, username))
 *
 * The id is a participant or staff id (a random uuid), never a name. Pure
 * functions of their arguments and the key file: no app, no I/O except
 * reading `turn_secret_file`. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TH_ICE_DEFAULT_TTL_S 3600
#define TH_ICE_MIN_TTL_S 60
#define TH_ICE_MAX_TTL_S (7 * 24 * 3600)

typedef struct {
  char **stun_urls;    /* NULL-terminated; NULL when none */
  char **turn_urls;    /* NULL-terminated; NULL when none */
  char *turn_secret;   /* coturn's static-auth-secret; set whenever turn_urls is */
  guint turn_ttl_s;    /* how long a credential may start an allocation */
  gboolean relay_only; /* ice_transport_policy = relay */
} ThIceConfig;

/* The [ice] keys, for the config's list of known settings. */
extern const char *const th_ice_config_keys[];

/* Reads [ice] from `kf` (loaded from `path`, which errors name and relative
 * `turn_secret_file` paths are taken from). An absent group: no servers,
 * policy "all". On FALSE, `out` is left cleared. */
gboolean th_ice_config_load (GKeyFile *kf, const char *path, ThIceConfig *out, GError **error);
void th_ice_config_clear (ThIceConfig *config);

/* TRUE for "stun:" / "stuns:" host[:port], and "turn:" / "turns:"
 * host[:port][?transport=udp|tcp] (RFC 7064, RFC 7065); host is a DNS
 * name, an IPv4 address or a bracketed IPv6 address. */
gboolean th_ice_url_valid (const char *url);

/* "<expiry_unix>:<id>" (g_free). */
char *th_turn_username (gint64 expiry_unix, const char *id);
/* base64 (HMAC-SHA1 (secret, username)) (g_free). */
char *th_turn_credential (const char *secret, const char *username);

G_END_DECLS
