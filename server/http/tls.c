/* tls.c — the certificate and key telehealthd serves HTTPS/WSS with: either
 * the pair named in [tls], checked before lws sees it (lws only logs a load
 * failure and carries on without TLS), or a self-signed pair kept in
 * <data_dir>/tls and made here with OpenSSL on first start. */
#define G_LOG_DOMAIN "th-tls"

#include "server/http/http.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define SELF_SIGNED_CN "telehealthd self-signed"
#define SELF_SIGNED_DAYS 365
/* A generated certificate this close to its end is made anew at start, so
 * a server restarted now and then never serves an expired one. */
#define RENEW_BEFORE_SECONDS (7 * 24 * 3600L)

/* The newest OpenSSL error queued, as text, and the queue emptied so a later
 * message does not pick up a stale one. */
static char *
ssl_error_text (void)
{
  unsigned long code = ERR_peek_last_error ();
  char buf[256];

  ERR_clear_error ();
  if (code == 0)
    return g_strdup ("unknown OpenSSL error");
  ERR_error_string_n (code, buf, sizeof buf);
  return g_strdup (buf);
}

static gboolean
host_is_ip (const char *host)
{
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
  return addr != NULL;
}

gboolean
th_tls_host_is_loopback (const char *host)
{
  g_autoptr (GInetAddress) addr = NULL;

  if (!host)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  /* GLib counts all of 127.0.0.0/8 and ::1 as loopback. */
  return addr && g_inet_address_get_is_loopback (addr);
}

/* ------------------------------------------------------------ loading */

static X509 *
load_cert (const char *path, GError **error)
{
  BIO *bio = BIO_new_file (path, "r");
  X509 *cert = NULL;

  if (!bio) {
    g_autofree char *why = ssl_error_text ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open certificate %s: %s", path, why);
    return NULL;
  }
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  if (!cert) {
    g_autofree char *why = ssl_error_text ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a PEM certificate: %s",
                 path, why);
  }
  BIO_free (bio);
  return cert;
}

static EVP_PKEY *
load_key (const char *path, GError **error)
{
  BIO *bio = BIO_new_file (path, "r");
  EVP_PKEY *key = NULL;

  if (!bio) {
    g_autofree char *why = ssl_error_text ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open private key %s: %s", path, why);
    return NULL;
  }
  /* No passphrase callback: the server starts unattended, and lws could not
   * ask for one either. An encrypted key fails here with a message. */
  key = PEM_read_bio_PrivateKey (bio, NULL, NULL, (void *) "");
  if (!key) {
    g_autofree char *why = ssl_error_text ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "%s is not an unencrypted PEM private key: %s", path, why);
  }
  BIO_free (bio);
  return key;
}

/* g_access first: its errno names the problem ("Permission denied", "No
 * such file") better than OpenSSL's BIO errors do. */
static gboolean
check_readable (const char *path, const char *what, GError **error)
{
  if (g_access (path, R_OK) != 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s %s: %s", what, path,
                 g_strerror (e));
    return FALSE;
  }
  return TRUE;
}

/* Loads both files and checks the key belongs to the certificate. On
 * success *out_cert holds the certificate (the caller frees it). */
static gboolean
load_pair (const char *cert_path, const char *key_path, X509 **out_cert, GError **error)
{
  X509 *cert = NULL;
  EVP_PKEY *key = NULL;
  gboolean ok = FALSE;

  if (!check_readable (cert_path, "cannot read certificate", error) ||
      !check_readable (key_path, "cannot read private key", error))
    goto out;
  if (!(cert = load_cert (cert_path, error)) || !(key = load_key (key_path, error)))
    goto out;
  if (X509_check_private_key (cert, key) != 1) {
    ERR_clear_error ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "private key %s does not belong to certificate %s", key_path, cert_path);
    goto out;
  }
  *out_cert = g_steal_pointer (&cert);
  ok = TRUE;

out:
  X509_free (cert);
  EVP_PKEY_free (key);
  return ok;
}

/* ------------------------------------------------------------ self-signed */

/* The machine's name, for a certificate served on every address (0.0.0.0,
 * ::): browsers elsewhere reach it by name. NULL when it is no DNS name. */
static const char *
dns_host_name (void)
{
  const char *name = g_get_host_name ();

  if (!name || !*name || strcmp (name, "localhost") == 0)
    return NULL;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return NULL;
  return name;
}

static gboolean
host_is_unspecified (const char *host)
{
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
  return addr && g_inet_address_get_is_any (addr);
}

/* The name a client would check besides the fixed loopback ones, or NULL. */
static const char *
extra_san_host (const char *listen_host)
{
  if (host_is_unspecified (listen_host))
    return dns_host_name ();
  if (strcmp (listen_host, "127.0.0.1") == 0 || strcmp (listen_host, "::1") == 0 ||
      g_ascii_strcasecmp (listen_host, "localhost") == 0)
    return NULL; /* already in every certificate */
  return listen_host;
}

/* "DNS:localhost,IP:127.0.0.1,IP:::1[,IP:host|DNS:host]" */
static char *
san_value (const char *listen_host)
{
  const char *extra = extra_san_host (listen_host);
  GString *san = g_string_new ("DNS:localhost,IP:127.0.0.1,IP:::1");

  if (extra)
    g_string_append_printf (san, ",%s:%s", host_is_ip (extra) ? "IP" : "DNS", extra);
  return g_string_free (san, FALSE);
}

static gboolean
add_ext (X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
  X509_EXTENSION *ext = X509V3_EXT_nconf_nid (NULL, ctx, nid, value);
  gboolean ok;

  if (!ext)
    return FALSE;
  ok = X509_add_ext (cert, ext, -1) == 1;
  X509_EXTENSION_free (ext);
  return ok;
}

/* 159 random bits: positive, non-zero and at most 20 bytes (RFC 5280). */
static gboolean
set_random_serial (X509 *cert)
{
  unsigned char bytes[20];
  BIGNUM *bn = NULL;
  gboolean ok = FALSE;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    goto out;
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  bn = BN_bin2bn (bytes, sizeof bytes, NULL);
  if (!bn || !BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)))
    goto out;
  ok = TRUE;

out:
  BN_free (bn);
  return ok;
}

static X509 *
make_cert (EVP_PKEY *key, const char *listen_host)
{
  X509 *cert = X509_new ();
  X509_NAME *name = NULL;
  X509V3_CTX ctx;
  g_autofree char *san = san_value (listen_host);
  gboolean ok = FALSE;

  if (!cert || X509_set_version (cert, X509_VERSION_3) != 1 || !set_random_serial (cert))
    goto out;
  /* An hour back: a client whose clock runs a little behind still accepts it. */
  if (!X509_gmtime_adj (X509_getm_notBefore (cert), -3600) ||
      !X509_time_adj_ex (X509_getm_notAfter (cert), SELF_SIGNED_DAYS, 0, NULL))
    goto out;
  name = X509_NAME_new ();
  if (!name ||
      X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *) SELF_SIGNED_CN,
                                  -1, -1, 0) != 1 ||
      X509_set_subject_name (cert, name) != 1 || X509_set_issuer_name (cert, name) != 1 ||
      X509_set_pubkey (cert, key) != 1)
    goto out;
  /* Issuer and subject are the same certificate: self-signed. */
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  if (!add_ext (cert, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext (cert, &ctx, NID_key_usage, "critical,digitalSignature") ||
      !add_ext (cert, &ctx, NID_ext_key_usage, "serverAuth") ||
      !add_ext (cert, &ctx, NID_subject_key_identifier, "hash") ||
      !add_ext (cert, &ctx, NID_subject_alt_name, san))
    goto out;
  if (X509_sign (cert, key, EVP_sha256 ()) <= 0)
    goto out;
  ok = TRUE;

out:
  X509_NAME_free (name);
  if (!ok) {
    X509_free (cert);
    cert = NULL;
  }
  return cert;
}

/* Writes what `write_pem` puts into a memory BIO to `path` through a
 * temporary file and a rename, so a crash never leaves half a key behind.
 * The PEM text is wiped from memory afterwards. */
static gboolean
write_pem_file (const char *path, int mode, int (*write_pem) (BIO *, void *), void *object,
                GError **error)
{
  BIO *mem = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len = 0;
  gboolean ok = FALSE;

  if (!mem || !write_pem (mem, object)) {
    g_autofree char *why = ssl_error_text ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot encode %s: %s", path, why);
    goto out;
  }
  len = BIO_get_mem_data (mem, &data);
  /* CONSISTENT: a temporary file in the same folder, fsync, then rename. */
  if (!g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, mode, error)) {
    g_prefix_error (error, "cannot write %s: ", path);
    goto out;
  }
  ok = TRUE;

out:
  if (data && len > 0)
    OPENSSL_cleanse (data, (size_t) len);
  BIO_free (mem);
  return ok;
}

static int
write_key_pem (BIO *bio, void *key)
{
  /* PKCS#8, unencrypted: the file's mode protects it (see load_key). */
  return PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL);
}

static int
write_cert_pem (BIO *bio, void *cert)
{
  return PEM_write_bio_X509 (bio, cert);
}

static gboolean
generate_self_signed (const char *cert_path, const char *key_path, const char *listen_host,
                      GError **error)
{
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  gboolean ok = FALSE;

  key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  if (!key || !(cert = make_cert (key, listen_host))) {
    g_autofree char *why = ssl_error_text ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make a self-signed certificate: %s",
                 why);
    goto out;
  }
  /* The key first: a crash between the two renames leaves a new key with the
   * old certificate, which the next start sees as a mismatch and remakes. */
  if (!write_pem_file (key_path, 0600, write_key_pem, key, error) ||
      !write_pem_file (cert_path, 0644, write_cert_pem, cert, error))
    goto out;
  g_message ("made a self-signed certificate %s (browsers will warn about it)", cert_path);
  ok = TRUE;

out:
  X509_free (cert);
  EVP_PKEY_free (key);
  return ok;
}

/* Why a kept self-signed certificate should not be served again, or NULL
 * when it is fine. */
static const char *
self_signed_stale (X509 *cert, const char *listen_host)
{
  /* The real clock, never the server's settable one (clock.h): browsers
   * check the certificate's validity against their own real time. */
  time_t soon = time (NULL) + RENEW_BEFORE_SECONDS;
  const char *extra = extra_san_host (listen_host);

  if (X509_cmp_time (X509_get0_notAfter (cert), &soon) <= 0)
    return "it expires within a week";
  /* The listen address changed since it was made: it would not match. */
  if (extra && host_is_ip (extra) && X509_check_ip_asc (cert, extra, 0) != 1)
    return "it does not name the listen address";
  if (extra && !host_is_ip (extra) && X509_check_host (cert, extra, 0, 0, NULL) != 1)
    return "it does not name this host";
  return NULL;
}

static gboolean
prepare_self_signed (const ThConfig *config, char **cert_out, char **key_out, GError **error)
{
  g_autofree char *dir = g_build_filename (config->data_dir, "tls", NULL);
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  X509 *cert = NULL;
  gboolean ok = FALSE;

  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot create %s: %s", dir,
                 g_strerror (e));
    goto out;
  }
  if (g_file_test (cert_path, G_FILE_TEST_EXISTS) || g_file_test (key_path, G_FILE_TEST_EXISTS)) {
    g_autoptr (GError) local = NULL;
    const char *stale = NULL;

    /* The folder is ours alone, so a pair that is broken, mismatched or no
     * longer fits is replaced rather than refused. */
    if (!load_pair (cert_path, key_path, &cert, &local))
      stale = local->message;
    else
      stale = self_signed_stale (cert, config->listen_host);
    if (!stale) {
      ok = TRUE;
      goto done;
    }
    g_message ("making a new self-signed certificate: %s", stale);
  }
  if (!generate_self_signed (cert_path, key_path, config->listen_host, error))
    goto out;
  ok = TRUE;

done:
  *cert_out = g_steal_pointer (&cert_path);
  *key_out = g_steal_pointer (&key_path);
out:
  X509_free (cert);
  return ok;
}

/* ------------------------------------------------------------ entry */

gboolean
th_tls_prepare (const ThConfig *config, char **cert_path, char **key_path, GError **error)
{
  const char *source = config->source ? config->source : "the config file (--config)";

  *cert_path = NULL;
  *key_path = NULL;

  /* Configured files win over self_signed: the admin named them. */
  if (config->tls_certificate && config->tls_private_key) {
    X509 *cert = NULL;
    if (!load_pair (config->tls_certificate, config->tls_private_key, &cert, error)) {
      g_prefix_error (error, "%s: [tls] ", source);
      return FALSE;
    }
    if (X509_cmp_current_time (X509_get0_notAfter (cert)) <= 0)
      g_warning ("certificate %s has expired: browsers will refuse it", config->tls_certificate);
    X509_free (cert);
    *cert_path = g_strdup (config->tls_certificate);
    *key_path = g_strdup (config->tls_private_key);
    return TRUE;
  }
  if (config->tls_self_signed) {
    if (!prepare_self_signed (config, cert_path, key_path, error)) {
      g_prefix_error (error, "[tls] self_signed: ");
      return FALSE;
    }
    return TRUE;
  }
  /* Plain HTTP is only for this machine: visits carry health data. */
  if (!th_tls_host_is_loopback (config->listen_host)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "listening on %s needs TLS: set [tls] certificate and private_key, or "
                 "self_signed = true, in %s",
                 config->listen_host, source);
    return FALSE;
  }
  return TRUE;
}
