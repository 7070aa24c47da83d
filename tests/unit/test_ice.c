/* test_ice.c — [ice] settings and time-limited TURN credentials (the TURN
 * REST API scheme coturn checks with use-auth-secret). The credential is
 * checked against answers computed outside this code (`openssl dgst -sha1
 * -hmac` and Python's hmac, which agree), and, when the openssl command is
 * installed, against a fresh answer from it. */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "server/ice_servers.h"

/* printf '%s' "$USERNAME" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64 */
static const struct { const char *secret, *username, *credential; } kVectors[] = {
  { "north-wind-static-secret", "1700000000:3b8f2c1e-5d4a-4e7b-9c6d-2a1f0e9b8c7d",
    "872bhk8gZJwJyYyDj/RLs5EVUYQ=" },
  /* A key longer than SHA-1's block (64 bytes) is hashed first. */
  { "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
    "1893456000:staff-7", "08/cRWWPkBxgu20xQjKs4+PVgVs=" },
};

static void
test_credential_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (kVectors); i++) {
    g_autofree char *c = th_turn_credential (kVectors[i].secret, kVectors[i].username);
    g_assert_cmpstr (c, ==, kVectors[i].credential);
  }
}

static void
test_credential_openssl (void)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *username = th_turn_username (g_get_real_time () / G_USEC_PER_SEC + 3600,
                                                "8a1d4a52-0c57-4c3e-a0a5-5c1b0f6f2e11");
  g_autofree char *ours = th_turn_credential ("s3cr3t with spaces", username);
  g_autofree char *script = NULL, *out = NULL;
  const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
  int status = 0;
  GError *error = NULL;

  if (!openssl) {
    g_test_skip ("no openssl command");
    return;
  }
  script = g_strdup_printf ("printf '%%s' '%s' | openssl dgst -sha1 -hmac '%s' -binary | base64",
                            username, "s3cr3t with spaces");
  argv[2] = script;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (g_strstrip (out), ==, ours);
}

static void
test_username (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *u = th_turn_username (now + 3600, "p-1");
  g_autofree char *fixed = th_turn_username (1700000000, "x");
  g_auto (GStrv) parts = g_strsplit (u, ":", 2);
  guint64 expiry;

  /* coturn reads the part before the first ':' as the expiry, in seconds. */
  g_assert_cmpstr (parts[1], ==, "p-1");
  g_assert_true (g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXINT64, &expiry, NULL));
  g_assert_cmpint ((gint64) expiry, ==, now + 3600);
  g_assert_cmpstr (fixed, ==, "1700000000:x");
}

static void
test_urls (void)
{
  const char *good[] = {
    "stun:stun.example.org", "stun:stun.example.org:3478", "stuns:stun.example.org:5349",
    "turn:turn.example.org:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp",
    "turns:turn.example.org:5349?transport=tcp", "turn:[2001:db8::1]:3478", "stun:[::1]",
    "turn:turn.example.org",
  };
  const char *badurls[] = {
    "", "stun:", "stun://stun.example.org:3478", "http://x", "turn:host:0", "turn:host:65536",
    "turn:host:port", "stun:host?transport=udp", "turn:host:3478?transport=sctp",
    "turn:host:3478?transport=udp&x=1", "turn:2001:db8::1", "turn:[nothex]:3478",
    "turn:user@host:3478", "turn:-host", "TURN:host", "turn:ho st",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (th_ice_url_valid (good[i]) || (g_printerr ("%s\n", good[i]), FALSE));
  for (guint i = 0; i < G_N_ELEMENTS (badurls); i++)
    g_assert_false (th_ice_url_valid (badurls[i]) && (g_printerr ("%s\n", badurls[i]), TRUE));
}

static gboolean
load (const char *text, ThIceConfig *out, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  g_assert_true (g_key_file_load_from_data (kf, text, (gsize) -1, G_KEY_FILE_NONE, NULL));
  return th_ice_config_load (kf, "/etc/th/telehealth.conf", out, error);
}

static void
test_config (void)
{
  ThIceConfig c;
  GError *error = NULL;

  /* No [ice]: nothing, policy all, the default TTL. */
  g_assert_true (load ("[server]\n", &c, &error));
  g_assert_null (c.stun_urls);
  g_assert_null (c.turn_urls);
  g_assert_null (c.turn_secret);
  g_assert_false (c.relay_only);
  g_assert_cmpuint (c.turn_ttl_s, ==, 3600);
  th_ice_config_clear (&c);

  g_assert_true (load ("[ice]\nstun_urls = stun:a.example.org:3478; stun:b.example.org\n"
                       "turn_urls = turn:t.example.org:3478?transport=udp;turns:t.example.org:5349?transport=tcp\n"
                       "turn_secret = abc\nturn_credential_ttl_seconds = 60\nice_transport_policy = relay\n",
                       &c, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (c.stun_urls), ==, 2);
  g_assert_cmpstr (c.stun_urls[1], ==, "stun:b.example.org");
  g_assert_cmpuint (g_strv_length (c.turn_urls), ==, 2);
  g_assert_cmpstr (c.turn_urls[0], ==, "turn:t.example.org:3478?transport=udp");
  g_assert_cmpstr (c.turn_secret, ==, "abc");
  g_assert_cmpuint (c.turn_ttl_s, ==, 60);
  g_assert_true (c.relay_only);
  th_ice_config_clear (&c);

  /* Empty values are "none". */
  g_assert_true (load ("[ice]\nstun_urls =\nturn_urls =\nturn_secret =\nice_transport_policy = all\n",
                       &c, &error));
  g_assert_null (c.stun_urls);
  g_assert_null (c.turn_urls);
  th_ice_config_clear (&c);
}

static void
test_config_refusals (void)
{
  static const struct { const char *text, *names; } cases[] = {
    { "[ice]\nstun_urls = turn:x.example.org\n", "stun_urls" },
    { "[ice]\nstun_urls = stun://x.example.org:3478\n", "stun_urls" },
    { "[ice]\nturn_urls = stun:x.example.org\nturn_secret = s\n", "turn_urls" },
    { "[ice]\nturn_urls = turn:x.example.org:99999\nturn_secret = s\n", "turn_urls" },
    { "[ice]\nturn_urls = turn:x.example.org:3478\n", "turn_secret" },
    { "[ice]\nturn_urls = turn:x.example.org\nturn_secret = s\nturn_secret_file = f\n", "turn_secret_file" },
    { "[ice]\nturn_urls = turn:x.example.org\nturn_secret_file = /nonexistent/th-secret\n", "turn_secret_file" },
    { "[ice]\nturn_urls = turn:x.example.org\nturn_secret = s\nturn_credential_ttl_seconds = 59\n", "turn_credential_ttl_seconds" },
    { "[ice]\nturn_urls = turn:x.example.org\nturn_secret = s\nturn_credential_ttl_seconds = 1h\n", "turn_credential_ttl_seconds" },
    { "[ice]\nturn_urls = turn:x.example.org\nturn_secret = s\nice_transport_policy = any\n", "ice_transport_policy" },
    { "[ice]\nstun_urls = stun:x.example.org\nice_transport_policy = relay\n", "ice_transport_policy" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    ThIceConfig c;
    GError *error = NULL;
    g_assert_false (load (cases[i].text, &c, &error));
    g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
    /* The message names the file, the group and the key. */
    if (!strstr (error->message, "/etc/th/telehealth.conf: [ice]") ||
        !strstr (error->message, cases[i].names))
      g_error ("case %u: \"%s\"", i, error->message);
    g_assert_null (c.turn_urls);
    g_assert_null (c.turn_secret);
    g_clear_error (&error);
  }
}

static void
test_secret_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("th-ice-XXXXXX", NULL);
  g_autofree char *conf = g_build_filename (dir, "telehealth.conf", NULL);
  g_autofree char *secret = g_build_filename (dir, "turn-secret", NULL);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  ThIceConfig c;
  GError *error = NULL;

  g_assert_true (g_file_set_contents (secret, "  from-a-file \n", -1, NULL));
  g_assert_true (g_key_file_load_from_data (
    kf, "[ice]\nturn_urls = turn:127.0.0.1:3478\nturn_secret_file = turn-secret\n", (gsize) -1,
    G_KEY_FILE_NONE, NULL));
  /* Relative to the config file's folder. */
  g_assert_true (th_ice_config_load (kf, conf, &c, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (c.turn_secret, ==, "from-a-file");
  th_ice_config_clear (&c);

  g_assert_true (g_file_set_contents (secret, "\n\n", -1, NULL));
  g_assert_false (th_ice_config_load (kf, conf, &c, &error));
  g_assert_nonnull (strstr (error->message, "turn_secret_file"));
  g_clear_error (&error);
  g_unlink (secret);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice/credential/vectors", test_credential_vectors);
  g_test_add_func ("/ice/credential/openssl", test_credential_openssl);
  g_test_add_func ("/ice/username", test_username);
  g_test_add_func ("/ice/urls", test_urls);
  g_test_add_func ("/ice/config", test_config);
  g_test_add_func ("/ice/config/refusals", test_config_refusals);
  g_test_add_func ("/ice/config/secret-file", test_secret_file);
  return g_test_run ();
}
