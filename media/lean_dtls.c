/* lean_dtls.c — DTLS-SRTP for lean legs (lean-private.h): RFC 5763/5764
 * with OpenSSL, no socket of its own.
 *
 * Datagrams in and out go through BIOs the leg feeds and drains: a memory
 * BIO holds the one datagram being read (lean_dtls_receive), and a BIO of
 * our own hands every write to the leg's LeanSendFunc at once. OpenSSL packs
 * a flight's records into datagrams of at most the MTU and writes each
 * datagram with one BIO write, expecting it to leave as one; a memory BIO on
 * the way out would glue a whole flight into one buffer and we could not
 * tell where its datagrams end.
 *
 * Identity: the process has one self-signed certificate (the offer's
 * a=fingerprint) and one SSL_CTX; each leg has one SSL. The peer's
 * certificate is self-signed too, so chain checks mean nothing: what binds
 * it to the signaled peer is its digest, compared with the answer's
 * a=fingerprint once the handshake is done. */
#include "media/lean-private.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>

/* A UDP payload that fits any path a browser's ICE picked, with room for a
 * TURN channel header and an IPv6 tunnel: the handshake's certificate flight
 * is split to this size instead of relying on IP fragmentation. */
#define DTLS_MTU 1200

/* Retransmission (RFC 6347 §4.2.4). OpenSSL's default starts at 1 s and
 * doubles to 60 s; the browser is the one that usually starts, but when our
 * flight is the one lost (a loaded loopback in tests, a lossy Wi-Fi at a
 * patient's home) a join should not stall a second or more per loss. 400 ms
 * is still above any sane RTT plus the peer's ECDSA work, so a retransmit is
 * rarely spurious (and a spurious one only costs a few datagrams); the cap
 * of 3 s (WebRTC's own cap) keeps a long outage from making the next try
 * late. OpenSSL gives up after 12 timeouts: ~30 s here. */
#define FIRST_RETRANSMIT_US 400000u
#define MAX_RETRANSMIT_US 3000000u

/* Offered in this order; as the server (the usual case: the browser answers
 * a=setup:active) OpenSSL picks the first of ours the browser offered.
 * AES-GCM (RFC 7714) costs one pass over each packet instead of AES-CM's two
 * (cipher, then HMAC); Debian's libsrtp2 2.5 (NSS backend) supports it,
 * which the unit test checks by making a GCM session. */
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define CERT_CN "telehealthd"

struct _LeanDtls {
  LeanDtlsRole role;
  LeanDtlsState state;
  SSL *ssl;
  BIO *in; /* the memory BIO SSL reads (owned by ssl) */
  LeanSendFunc send;
  gpointer user_data;
  const EVP_MD *remote_md; /* the answer's fingerprint: hash and digest */
  guint8 remote_digest[EVP_MAX_MD_SIZE];
  guint remote_digest_len;
  gchar *failure;
};

/* ---- The process's identity ---- */

typedef struct {
  SSL_CTX *ctx;
  BIO_METHOD *out_method;
  gchar *fingerprint; /* "sha-256 AB:CD:..." */
  gchar *error;       /* why there is no ctx */
} LocalIdentity;

/* The first queued OpenSSL error, for a log line (and the queue emptied:
 * the queue is per thread and the next SSL call must start clean). */
static const char *
openssl_reason (void)
{
  unsigned long code = ERR_get_error ();
  ERR_clear_error ();
  const char *reason = code != 0 ? ERR_reason_error_string (code) : NULL;
  return reason != NULL ? reason : "no reason given";
}

static X509 *
make_certificate (EVP_PKEY *key)
{
  X509 *cert = X509_new ();
  BIGNUM *serial = BN_new ();
  /* A random serial: browsers do not care, but two processes' certificates
   * should not look alike to anything that caches by issuer + serial. The
   * validity starts a day back so a peer with a slow clock still takes it;
   * a year is longer than any process lives. */
  gboolean ok = cert != NULL && serial != NULL && X509_set_version (cert, X509_VERSION_3) &&
                BN_rand (serial, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
                BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (cert)) != NULL &&
                X509_gmtime_adj (X509_getm_notBefore (cert), -24L * 3600) != NULL &&
                X509_gmtime_adj (X509_getm_notAfter (cert), 365L * 24 * 3600) != NULL &&
                X509_NAME_add_entry_by_txt (X509_get_subject_name (cert), "CN", MBSTRING_ASC,
                                            (const unsigned char *) CERT_CN, -1, -1, 0) &&
                X509_set_issuer_name (cert, X509_get_subject_name (cert)) &&
                X509_set_pubkey (cert, key) && X509_sign (cert, key, EVP_sha256 ()) > 0;
  BN_free (serial);
  if (!ok)
    g_clear_pointer (&cert, X509_free);
  return cert;
}

/* The peer's certificate is self-signed and pinned by its fingerprint
 * (checked in check_peer once the handshake is done), so no chain or date
 * check applies; SSL_VERIFY_FAIL_IF_NO_PEER_CERT still makes it send one. */
static int
accept_self_signed (int preverify_ok, X509_STORE_CTX *store)
{
  (void) preverify_ok, (void) store;
  return 1;
}

static SSL_CTX *
make_context (X509 *cert, EVP_PKEY *key)
{
  SSL_CTX *ctx = SSL_CTX_new (DTLS_method ());
  /* SSL_CTX_set_tlsext_use_srtp returns 0 on success. */
  gboolean ok = ctx != NULL && SSL_CTX_set_min_proto_version (ctx, DTLS1_2_VERSION) &&
                SSL_CTX_use_certificate (ctx, cert) && SSL_CTX_use_PrivateKey (ctx, key) &&
                SSL_CTX_check_private_key (ctx) &&
                SSL_CTX_set_tlsext_use_srtp (ctx, SRTP_PROFILES) == 0;
  if (!ok) {
    g_clear_pointer (&ctx, SSL_CTX_free);
    return NULL;
  }
  SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_self_signed);
  /* Our BIO is not a socket: the MTU is set per SSL, never asked of it. */
  SSL_CTX_set_options (ctx, SSL_OP_NO_QUERY_MTU);
  /* Every leg is a new peer with a new certificate: nothing to resume. */
  SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
  return ctx;
}

static gchar *
format_fingerprint (X509 *cert)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!X509_digest (cert, EVP_sha256 (), digest, &n))
    return NULL;
  GString *s = g_string_new ("sha-256 ");
  for (unsigned int i = 0; i < n; i++)
    g_string_append_printf (s, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (s, FALSE);
}

static int out_write (BIO *bio, const char *data, int len);
static long out_ctrl (BIO *bio, int cmd, long num, void *ptr);
static int out_create (BIO *bio);

static BIO_METHOD *
make_out_method (void)
{
  BIO_METHOD *m = BIO_meth_new (BIO_get_new_index () | BIO_TYPE_SOURCE_SINK, "lean-dtls-out");
  if (m != NULL && !(BIO_meth_set_write (m, out_write) && BIO_meth_set_ctrl (m, out_ctrl) &&
                     BIO_meth_set_create (m, out_create)))
    g_clear_pointer (&m, BIO_meth_free);
  return m;
}

static gpointer
make_identity (gpointer unused)
{
  (void) unused;
  LocalIdentity *id = g_new0 (LocalIdentity, 1);
  X509 *cert = NULL;
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  if (key == NULL || (cert = make_certificate (key)) == NULL) {
    id->error = g_strdup_printf ("OpenSSL could not make the DTLS certificate: %s",
                                 openssl_reason ());
    goto out;
  }
  id->fingerprint = format_fingerprint (cert);
  id->out_method = make_out_method ();
  id->ctx = id->fingerprint != NULL && id->out_method != NULL ? make_context (cert, key) : NULL;
  if (id->ctx == NULL)
    id->error = g_strdup_printf ("OpenSSL could not set up DTLS: %s", openssl_reason ());

out:
  /* The context holds its own references; a process-wide identity lives as
   * long as the process. */
  X509_free (cert);
  EVP_PKEY_free (key);
  return id;
}

static LocalIdentity *
local_identity (void)
{
  static GOnce once = G_ONCE_INIT;
  return g_once (&once, make_identity, NULL);
}

const char *
lean_dtls_local_fingerprint (GError **error)
{
  LocalIdentity *id = local_identity ();
  if (id->ctx == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "%s", id->error);
    return NULL;
  }
  return id->fingerprint;
}

/* ---- The BIO we write through ---- */

static int
out_write (BIO *bio, const char *data, int len)
{
  LeanDtls *dtls = BIO_get_data (bio);
  if (len > 0)
    dtls->send ((const guint8 *) data, (gsize) len, dtls->user_data);
  return len;
}

/* What DTLS asks of its write BIO: it is always flushed (each write left at
 * once), nothing is pending, and the MTU is what we set with SSL_set_mtu.
 * Anything else (peer addresses, socket timeouts) has no meaning here. */
static long
out_ctrl (BIO *bio, int cmd, long num, void *ptr)
{
  (void) bio, (void) num, (void) ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return DTLS_MTU;
  default: /* BIO_CTRL_WPENDING, BIO_CTRL_PENDING, MTU overhead, ... */
    return 0;
  }
}

static int
out_create (BIO *bio)
{
  BIO_set_init (bio, 1);
  return 1;
}

/* ---- One leg ---- */

typedef struct {
  const char *name; /* RFC 8122 §5 hash function names */
  const EVP_MD *(*md) (void);
} HashName;

static const HashName hash_names[] = {
  { "sha-1", EVP_sha1 },     { "sha-224", EVP_sha224 }, { "sha-256", EVP_sha256 },
  { "sha-384", EVP_sha384 }, { "sha-512", EVP_sha512 },
};

/* "sha-256 AB:cd:..." (RFC 8122 §5: hash name, space, uppercase hex pairs
 * joined by colons; we take either case). The text is the browser's, so
 * errors describe it without echoing it. */
static gboolean
parse_fingerprint (LeanDtls *dtls, const char *text, GError **error)
{
  const char *p = text != NULL ? text : "";
  while (g_ascii_isspace (*p))
    p++;
  const char *end_name = p;
  while (*end_name != '\0' && !g_ascii_isspace (*end_name))
    end_name++;
  for (guint i = 0; i < G_N_ELEMENTS (hash_names) && dtls->remote_md == NULL; i++)
    if (strlen (hash_names[i].name) == (gsize) (end_name - p) &&
        g_ascii_strncasecmp (p, hash_names[i].name, end_name - p) == 0)
      dtls->remote_md = hash_names[i].md ();
  if (dtls->remote_md == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the answer's DTLS fingerprint does not name a hash this server accepts "
                 "(sha-1, sha-224, sha-256, sha-384 or sha-512)");
    return FALSE;
  }

  p = end_name;
  while (g_ascii_isspace (*p))
    p++;
  guint n = 0;
  gsize want = (gsize) EVP_MD_get_size (dtls->remote_md);
  while (n < want) {
    int hi = g_ascii_xdigit_value (p[0]), lo = hi < 0 ? -1 : g_ascii_xdigit_value (p[1]);
    if (lo < 0)
      break;
    dtls->remote_digest[n++] = (guint8) (hi << 4 | lo);
    p += 2;
    if (*p != ':')
      break;
    p++;
  }
  while (g_ascii_isspace (*p))
    p++;
  if (n != want || *p != '\0') {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the answer's DTLS fingerprint is not %zu hex pairs joined by colons", want);
    return FALSE;
  }
  dtls->remote_digest_len = n;
  return TRUE;
}

/* OpenSSL's timer callback: see FIRST_RETRANSMIT_US. 0 asks for the first. */
static unsigned int
retransmit_after (SSL *ssl, unsigned int previous_us)
{
  (void) ssl;
  if (previous_us == 0)
    return FIRST_RETRANSMIT_US;
  return MIN (previous_us * 2, MAX_RETRANSMIT_US);
}

LeanDtls *
lean_dtls_new (LeanDtlsRole role, const char *remote_fingerprint, LeanSendFunc send,
               gpointer user_data, GError **error)
{
  LocalIdentity *id = local_identity ();
  LeanDtls *dtls = NULL;
  BIO *in = NULL, *out = NULL;

  if (id->ctx == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "%s", id->error);
    goto out;
  }
  dtls = g_new0 (LeanDtls, 1);
  dtls->role = role;
  dtls->state = LEAN_DTLS_HANDSHAKING;
  dtls->send = send;
  dtls->user_data = user_data;
  if (!parse_fingerprint (dtls, remote_fingerprint, error))
    goto fail;

  ERR_clear_error ();
  dtls->ssl = SSL_new (id->ctx);
  in = BIO_new (BIO_s_mem ());
  out = BIO_new (id->out_method);
  if (dtls->ssl == NULL || in == NULL || out == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "OpenSSL could not start DTLS: %s",
                 openssl_reason ());
    goto fail;
  }
  /* An empty input is "try again later", not the end of the stream. */
  BIO_set_mem_eof_return (in, -1);
  BIO_set_data (out, dtls);
  SSL_set_bio (dtls->ssl, in, out); /* the SSL owns both from here */
  dtls->in = in;
  in = out = NULL;
  SSL_set_mtu (dtls->ssl, DTLS_MTU);
  DTLS_set_timer_cb (dtls->ssl, retransmit_after);
  if (role == LEAN_DTLS_ROLE_SERVER)
    SSL_set_accept_state (dtls->ssl);
  else
    SSL_set_connect_state (dtls->ssl);
  goto out;

fail:
  BIO_free (in);
  BIO_free (out);
  g_clear_pointer (&dtls, lean_dtls_free);
out:
  return dtls;
}

void
lean_dtls_free (LeanDtls *dtls)
{
  if (dtls == NULL)
    return;
  SSL_free (dtls->ssl);
  g_free (dtls->failure);
  g_free (dtls);
}

G_GNUC_PRINTF (2, 3)
static void
fail (LeanDtls *dtls, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_free (dtls->failure);
  dtls->failure = g_strdup_vprintf (format, args);
  va_end (args);
  dtls->state = LEAN_DTLS_FAILED;
}

/* The handshake is done: is the peer the one the answer named? */
static void
check_peer (LeanDtls *dtls)
{
  X509 *peer = SSL_get0_peer_certificate (dtls->ssl);
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (peer == NULL) {
    fail (dtls, "the peer sent no DTLS certificate");
    return;
  }
  if (!X509_digest (peer, dtls->remote_md, digest, &n)) {
    fail (dtls, "could not hash the peer's DTLS certificate: %s", openssl_reason ());
    return;
  }
  /* Constant time: how much of a forged certificate's digest matched must
   * not show in how long we took. */
  if (n != dtls->remote_digest_len || CRYPTO_memcmp (digest, dtls->remote_digest, n) != 0) {
    fail (dtls, "the peer's DTLS certificate does not match the fingerprint in its answer");
    /* Tell the peer now (close_notify) rather than let it wait for media. */
    SSL_shutdown (dtls->ssl);
    return;
  }
  dtls->state = LEAN_DTLS_CONNECTED;
}

/* After the handshake: a retransmitted Finished (our last flight was lost:
 * OpenSSL sends it again), close_notify, or application data nobody
 * negotiated. All are read and dropped; none fails the leg, whose media is
 * keyed already. */
static void
drain (LeanDtls *dtls)
{
  guint8 sink[256];
  while (SSL_read (dtls->ssl, sink, sizeof sink) > 0)
    ;
}

static void
advance (LeanDtls *dtls)
{
  if (dtls->state == LEAN_DTLS_HANDSHAKING) {
    int r = SSL_do_handshake (dtls->ssl);
    if (r == 1) {
      check_peer (dtls);
    } else {
      int e = SSL_get_error (dtls->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        fail (dtls, "the DTLS handshake failed: %s", openssl_reason ());
    }
  }
  if (dtls->state == LEAN_DTLS_CONNECTED)
    drain (dtls);
  ERR_clear_error ();
}

LeanDtlsState
lean_dtls_start (LeanDtls *dtls)
{
  if (dtls->role == LEAN_DTLS_ROLE_CLIENT && dtls->state == LEAN_DTLS_HANDSHAKING) {
    ERR_clear_error ();
    advance (dtls);
  }
  return dtls->state;
}

LeanDtlsState
lean_dtls_receive (LeanDtls *dtls, const guint8 *data, gsize len)
{
  if (dtls->state == LEAN_DTLS_FAILED || len == 0 || len > G_MAXINT)
    return dtls->state;
  ERR_clear_error ();
  if (BIO_write (dtls->in, data, (int) len) != (int) len) {
    fail (dtls, "could not take a DTLS datagram: %s", openssl_reason ());
    return dtls->state;
  }
  advance (dtls);
  /* DTLS reads a datagram whole; what it left (a malformed record, which
   * DTLS drops silently) must not run into the next datagram. */
  (void) BIO_reset (dtls->in);
  return dtls->state;
}

gint64
lean_dtls_next_timeout (LeanDtls *dtls)
{
  struct timeval left;
  if (dtls->state == LEAN_DTLS_FAILED || DTLSv1_get_timeout (dtls->ssl, &left) != 1)
    return -1;
  return g_get_monotonic_time () + (gint64) left.tv_sec * G_USEC_PER_SEC + left.tv_usec;
}

LeanDtlsState
lean_dtls_timeout (LeanDtls *dtls)
{
  if (dtls->state == LEAN_DTLS_FAILED)
    return dtls->state;
  ERR_clear_error ();
  /* Retransmits the last flight through the BIO when the timer is due;
   * fails once OpenSSL has given up (too many timeouts in a row). */
  if (DTLSv1_handle_timeout (dtls->ssl) < 0)
    fail (dtls, "the DTLS handshake failed: %s", openssl_reason ());
  ERR_clear_error ();
  return dtls->state;
}

LeanDtlsState
lean_dtls_get_state (LeanDtls *dtls)
{
  return dtls->state;
}

const char *
lean_dtls_failure (LeanDtls *dtls)
{
  return dtls->state == LEAN_DTLS_FAILED ? dtls->failure : NULL;
}

gboolean
lean_dtls_make_srtp (LeanDtls *dtls, LeanSrtp **in, LeanSrtp **out, GError **error)
{
  gboolean ok = FALSE;
  guint8 material[2 * (16 + 14)];
  LeanSrtpProfile profile;
  gsize salt_len;

  *in = *out = NULL;
  if (dtls->state != LEAN_DTLS_CONNECTED) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_STATE,
                 "SRTP keys need a finished DTLS handshake");
    goto out;
  }
  const SRTP_PROTECTION_PROFILE *selected = SSL_get_selected_srtp_profile (dtls->ssl);
  if (selected != NULL && selected->id == SRTP_AEAD_AES_128_GCM) {
    profile = LEAN_SRTP_AEAD_AES_128_GCM;
    salt_len = 12;
  } else if (selected != NULL && selected->id == SRTP_AES128_CM_SHA1_80) {
    profile = LEAN_SRTP_AES128_CM_SHA1_80;
    salt_len = 14;
  } else {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE,
                 "the peer agreed on no SRTP protection profile we offered");
    goto out;
  }

  /* RFC 5764 §4.2: client key | server key | client salt | server salt. */
  const gsize key_len = 16, total = 2 * (key_len + salt_len);
  ERR_clear_error ();
  if (SSL_export_keying_material (dtls->ssl, material, total, EXPORTER_LABEL,
                                  strlen (EXPORTER_LABEL), NULL, 0, 0) != 1) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE,
                 "OpenSSL could not export the SRTP keys: %s", openssl_reason ());
    goto out;
  }
  const guint8 *client_key = material, *server_key = material + key_len;
  const guint8 *client_salt = material + 2 * key_len;
  const guint8 *server_salt = client_salt + salt_len;
  gboolean server = dtls->role == LEAN_DTLS_ROLE_SERVER;
  /* What the peer sends is keyed by its role's half, what we send by ours. */
  *in = lean_srtp_new (profile, server ? client_key : server_key, key_len,
                       server ? client_salt : server_salt, salt_len, TRUE, error);
  if (*in != NULL)
    *out = lean_srtp_new (profile, server ? server_key : client_key, key_len,
                          server ? server_salt : client_salt, salt_len, FALSE, error);
  ok = *out != NULL;
  if (!ok)
    g_clear_pointer (in, lean_srtp_free);
  else
    g_debug ("lean leg: DTLS-SRTP keyed with %s", selected->name);

out:
  OPENSSL_cleanse (material, sizeof material);
  return ok;
}
