/* test_lean_dtls.c — the lean engine's DTLS-SRTP (media/lean_dtls.c) and
 * SRTP (media/lean_srtp.c) with real OpenSSL and libsrtp2, no network: a
 * server and a client LeanDtls wired to each other through queues that
 * deliver one datagram at a time (so each side sees datagrams as the
 * browser's ICE would hand them over). */
#include "media/lean-private.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

/* ---- Two legs wired together ---- */

typedef struct {
  GQueue queue; /* GBytes in flight to the other side */
  guint sent, dropped;
  gboolean drop;
  gsize largest;
} Wire;

static void
wire_send (const guint8 *data, gsize len, gpointer user_data)
{
  Wire *w = user_data;
  w->sent++;
  w->largest = MAX (w->largest, len);
  if (w->drop) {
    w->dropped++;
    return;
  }
  g_queue_push_tail (&w->queue, g_bytes_new (data, len));
}

typedef struct {
  LeanDtls *server, *client;
  Wire to_server, to_client;
} Pair;

static void
pair_init (Pair *p, const char *server_expects, const char *client_expects)
{
  GError *error = NULL;
  memset (p, 0, sizeof *p);
  g_queue_init (&p->to_server.queue);
  g_queue_init (&p->to_client.queue);
  p->server = lean_dtls_new (LEAN_DTLS_ROLE_SERVER, server_expects, wire_send, &p->to_client,
                             &error);
  g_assert_no_error (error);
  p->client = lean_dtls_new (LEAN_DTLS_ROLE_CLIENT, client_expects, wire_send, &p->to_server,
                             &error);
  g_assert_no_error (error);
}

static void
pair_clear (Pair *p)
{
  lean_dtls_free (p->server);
  lean_dtls_free (p->client);
  g_queue_clear_full (&p->to_server.queue, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&p->to_client.queue, (GDestroyNotify) g_bytes_unref);
}

static void
deliver_one (GQueue *queue, LeanDtls *to)
{
  GBytes *datagram = g_queue_pop_head (queue);
  gsize len;
  const guint8 *data = g_bytes_get_data (datagram, &len);
  lean_dtls_receive (to, data, len);
  g_bytes_unref (datagram);
}

/* Delivers one datagram each way in turn until nothing is in flight. */
static void
pump (Pair *p)
{
  for (guint i = 0; i < 200; i++) {
    if (g_queue_is_empty (&p->to_server.queue) && g_queue_is_empty (&p->to_client.queue))
      return;
    if (!g_queue_is_empty (&p->to_server.queue))
      deliver_one (&p->to_server.queue, p->server);
    if (!g_queue_is_empty (&p->to_client.queue))
      deliver_one (&p->to_client.queue, p->client);
  }
  g_assert_not_reached ();
}

static const char *
local_fingerprint (void)
{
  GError *error = NULL;
  const char *fp = lean_dtls_local_fingerprint (&error);
  g_assert_no_error (error);
  g_assert_nonnull (fp);
  return fp;
}

/* ---- SRTP checks ---- */

#define RTP_PAYLOAD 100
#define BUF_WORDS ((1500 + LEAN_SRTP_MAX_TRAILER) / 4)

/* libsrtp reads headers as 32-bit words: buffers are word-aligned. */
typedef struct {
  guint32 words[BUF_WORDS];
} Buf;

static gsize
make_rtp (Buf *b, guint16 seq, guint32 ssrc)
{
  guint8 *p = (guint8 *) b->words;
  p[0] = 0x80, p[1] = 111;
  p[2] = seq >> 8, p[3] = seq & 0xff;
  guint32 ts = seq * 960u;
  for (int i = 0; i < 4; i++) {
    p[4 + i] = ts >> (24 - 8 * i);
    p[8 + i] = ssrc >> (24 - 8 * i);
  }
  for (int i = 0; i < RTP_PAYLOAD; i++)
    p[12 + i] = (guint8) (i * 7 + seq);
  return 12 + RTP_PAYLOAD;
}

/* A receiver report without blocks (RFC 3550 §6.4.2). */
static gsize
make_rtcp (Buf *b, guint32 ssrc)
{
  guint8 *p = (guint8 *) b->words;
  p[0] = 0x80, p[1] = 201, p[2] = 0, p[3] = 1;
  for (int i = 0; i < 4; i++)
    p[4 + i] = ssrc >> (24 - 8 * i);
  return 8;
}

/* `out` protects what `in` unprotects to the same bytes; a flipped bit and
 * a replay are refused. `tag` is the profile's auth tag length. */
static void
check_srtp_path (LeanSrtp *out, LeanSrtp *in, guint32 ssrc, gsize tag)
{
  Buf plain, wire, again;
  gsize plain_len = make_rtp (&plain, 4000, ssrc);
  gsize len = make_rtp (&wire, 4000, ssrc);
  g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) wire.words, &len, sizeof wire));
  g_assert_cmpuint (len, ==, plain_len + tag);
  g_assert_true (memcmp (wire.words, plain.words, plain_len) != 0); /* encrypted */
  again = wire;
  gsize again_len = len;
  g_assert_true (lean_srtp_unprotect_rtp (in, (guint8 *) wire.words, &len));
  g_assert_cmpmem (wire.words, len, plain.words, plain_len);
  /* The same packet twice: a replay. */
  g_assert_false (lean_srtp_unprotect_rtp (in, (guint8 *) again.words, &again_len));

  /* One bit flipped in the payload. */
  len = make_rtp (&wire, 4001, ssrc);
  g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) wire.words, &len, sizeof wire));
  ((guint8 *) wire.words)[40] ^= 0x01;
  g_assert_false (lean_srtp_unprotect_rtp (in, (guint8 *) wire.words, &len));

  /* RTCP: the SRTCP index and E flag (4 bytes) come before the tag. */
  plain_len = make_rtcp (&plain, ssrc);
  len = make_rtcp (&wire, ssrc);
  g_assert_true (lean_srtp_protect_rtcp (out, (guint8 *) wire.words, &len, sizeof wire));
  g_assert_cmpuint (len, ==, plain_len + 4 + tag);
  again = wire;
  again_len = len;
  g_assert_true (lean_srtp_unprotect_rtcp (in, (guint8 *) wire.words, &len));
  g_assert_cmpmem (wire.words, len, plain.words, plain_len);
  g_assert_false (lean_srtp_unprotect_rtcp (in, (guint8 *) again.words, &again_len));
  len = make_rtcp (&wire, ssrc);
  g_assert_true (lean_srtp_protect_rtcp (out, (guint8 *) wire.words, &len, sizeof wire));
  ((guint8 *) wire.words)[5] ^= 0x80;
  g_assert_false (lean_srtp_unprotect_rtcp (in, (guint8 *) wire.words, &len));
}

/* ---- Tests ---- */

static void
test_fingerprint (void)
{
  const char *fp = local_fingerprint ();
  g_assert_true (g_regex_match_simple ("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", fp, 0, 0));
  /* One certificate for the process. */
  g_assert_true (lean_dtls_local_fingerprint (NULL) == fp);
}

static void
test_bad_remote_fingerprint (void)
{
  const char *bad[] = {
    NULL,
    "",
    "md5 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
    "sha-256 AB:CD",
    "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
    "01:23:45:67:8G",
    "sha-256 ABCD",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *error = NULL;
    LeanDtls *dtls = lean_dtls_new (LEAN_DTLS_ROLE_SERVER, bad[i], wire_send, NULL, &error);
    g_assert_null (dtls);
    g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP);
    g_assert_true (strstr (error->message, "fingerprint") != NULL);
    g_clear_error (&error);
  }
}

static void
test_handshake_and_srtp (void)
{
  const char *fp = local_fingerprint ();
  /* The client's copy in lowercase with a different hash name case:
   * browsers write uppercase, the RFC allows either. */
  gchar *lower = g_ascii_strdown (fp, -1);
  lower[0] = 'S', lower[1] = 'H', lower[2] = 'A';
  Pair p;
  pair_init (&p, fp, lower);
  g_assert_cmpint (lean_dtls_start (p.server), ==, LEAN_DTLS_HANDSHAKING);
  g_assert_cmpuint (p.to_client.sent, ==, 0); /* the server waits for the ClientHello */
  g_assert_cmpint (lean_dtls_start (p.client), ==, LEAN_DTLS_HANDSHAKING);
  g_assert_cmpuint (p.to_server.sent, ==, 1);
  pump (&p);
  g_assert_cmpint (lean_dtls_get_state (p.server), ==, LEAN_DTLS_CONNECTED);
  g_assert_cmpint (lean_dtls_get_state (p.client), ==, LEAN_DTLS_CONNECTED);
  g_assert_null (lean_dtls_failure (p.server));
  g_assert_null (lean_dtls_failure (p.client));
  /* Its two flights (hello..done, then finished) as datagrams within the
   * MTU: OpenSSL packs a flight's records into as few as fit. */
  g_assert_cmpuint (p.to_client.sent, >=, 2);
  g_assert_cmpuint (p.to_client.largest, <=, 1200);
  g_assert_cmpuint (p.to_client.largest, >, 500); /* not cut to OpenSSL's minimum MTU */
  g_assert_cmpint (lean_dtls_next_timeout (p.client), ==, -1);

  LeanSrtp *server_in, *server_out, *client_in, *client_out;
  GError *error = NULL;
  g_assert_true (lean_dtls_make_srtp (p.server, &server_in, &server_out, &error));
  g_assert_no_error (error);
  g_assert_true (lean_dtls_make_srtp (p.client, &client_in, &client_out, &error));
  g_assert_no_error (error);
  /* Both offer AES-GCM first: a 16-byte tag (AES-CM's is 10). */
  g_test_message ("negotiated SRTP_AEAD_AES_128_GCM (16-byte tag)");
  check_srtp_path (client_out, server_in, 0x11223344, 16);
  check_srtp_path (server_out, client_in, 0x55667788, 16);
  /* Keys are per direction: what we protect, we cannot unprotect. */
  Buf b;
  gsize len = make_rtp (&b, 9, 0x99);
  g_assert_true (lean_srtp_protect_rtp (server_out, (guint8 *) b.words, &len, sizeof b));
  g_assert_false (lean_srtp_unprotect_rtp (server_in, (guint8 *) b.words, &len));

  /* A datagram that is no DTLS record after the handshake: dropped. */
  g_assert_cmpint (lean_dtls_receive (p.server, (const guint8 *) "\x15garbage", 8), ==,
                   LEAN_DTLS_CONNECTED);
  lean_srtp_free (server_in);
  lean_srtp_free (server_out);
  lean_srtp_free (client_in);
  lean_srtp_free (client_out);
  pair_clear (&p);
  g_free (lower);
}

static void
test_close_notify_ignored (void)
{
  const char *fp = local_fingerprint ();
  /* The client refuses the server (wrong fingerprint) and says so with a
   * close_notify; the server, already connected, ignores it. */
  gchar *wrong = g_strdup (fp);
  gsize n = strlen (wrong);
  wrong[n - 1] = wrong[n - 1] == '0' ? '1' : '0';
  Pair p;
  pair_init (&p, fp, wrong);
  lean_dtls_start (p.client);
  pump (&p);
  g_assert_cmpint (lean_dtls_get_state (p.client), ==, LEAN_DTLS_FAILED);
  g_assert_cmpint (lean_dtls_get_state (p.server), ==, LEAN_DTLS_CONNECTED);
  pair_clear (&p);
  g_free (wrong);
}

static void
test_wrong_fingerprint (gconstpointer side)
{
  const char *fp = local_fingerprint ();
  gboolean server_checks = GPOINTER_TO_INT (side);
  gchar *wrong = g_strdup (fp);
  gsize n = strlen (wrong);
  wrong[n - 1] = wrong[n - 1] == 'A' ? 'B' : 'A';
  Pair p;
  pair_init (&p, server_checks ? wrong : fp, server_checks ? fp : wrong);
  lean_dtls_start (p.client);
  pump (&p);
  LeanDtls *checker = server_checks ? p.server : p.client;
  g_assert_cmpint (lean_dtls_get_state (checker), ==, LEAN_DTLS_FAILED);
  g_assert_cmpstr (lean_dtls_failure (checker), ==,
                   "the peer's DTLS certificate does not match the fingerprint in its answer");
  /* No keys come out of a refused handshake. */
  LeanSrtp *in = NULL, *out = NULL;
  GError *error = NULL;
  g_assert_false (lean_dtls_make_srtp (checker, &in, &out, &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_STATE);
  g_assert_null (in);
  g_assert_null (out);
  g_clear_error (&error);
  /* Once failed, it stays failed and takes nothing more. */
  g_assert_cmpint (lean_dtls_receive (checker, (const guint8 *) "\x16", 1), ==, LEAN_DTLS_FAILED);
  g_assert_cmpint (lean_dtls_next_timeout (checker), ==, -1);
  pair_clear (&p);
  g_free (wrong);
}

/* The peer's fatal alert (handshake_failure) before anything else: the
 * handshake fails with OpenSSL's short reason. */
static void
test_peer_alert (void)
{
  Pair p;
  pair_init (&p, local_fingerprint (), local_fingerprint ());
  /* DTLS 1.2 record: alert, version 254.253, epoch 0, sequence 0, length 2,
   * fatal (2) handshake_failure (40). */
  static const guint8 alert[] = { 21, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40 };
  g_assert_cmpint (lean_dtls_receive (p.server, alert, sizeof alert), ==, LEAN_DTLS_FAILED);
  const char *why = lean_dtls_failure (p.server);
  g_assert_nonnull (why);
  g_test_message ("failure: %s", why);
  g_assert_true (g_str_has_prefix (why, "the DTLS handshake failed: "));
  g_assert_true (strstr (why, "handshake failure") != NULL);
  pair_clear (&p);
}

/* The client's ClientHello is lost: its timer retransmits it, soon. */
static void
test_lost_first_flight (void)
{
  const char *fp = local_fingerprint ();
  Pair p;
  pair_init (&p, fp, fp);
  g_assert_cmpint (lean_dtls_next_timeout (p.client), ==, -1); /* nothing sent yet */
  p.to_server.drop = TRUE;
  gint64 started = g_get_monotonic_time ();
  lean_dtls_start (p.client);
  g_assert_cmpuint (p.to_server.dropped, ==, 1);
  p.to_server.drop = FALSE;

  gint64 due = lean_dtls_next_timeout (p.client);
  g_assert_cmpint (due, >, started);
  /* Sooner than OpenSSL's default of 1 s (FIRST_RETRANSMIT_US). */
  g_assert_cmpint (due, <=, started + G_USEC_PER_SEC / 2);
  /* Too early: nothing is sent again. */
  lean_dtls_timeout (p.client);
  g_assert_true (g_queue_is_empty (&p.to_server.queue));

  /* At (or just after) the time it gave, it sends the ClientHello again;
   * OpenSSL's clock and ours may differ by a hair, so ask again until
   * something left, within 3 s. */
  while (g_queue_is_empty (&p.to_server.queue)) {
    gint64 now = g_get_monotonic_time ();
    g_assert_cmpint (now - started, <, 3 * G_USEC_PER_SEC);
    due = lean_dtls_next_timeout (p.client);
    g_assert_cmpint (due, !=, -1);
    if (due > now)
      g_usleep (due - now);
    g_assert_cmpint (lean_dtls_timeout (p.client), ==, LEAN_DTLS_HANDSHAKING);
  }
  g_test_message ("retransmitted after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_cmpuint (g_queue_get_length (&p.to_server.queue), ==, 1);
  pump (&p);
  g_assert_cmpint (lean_dtls_get_state (p.server), ==, LEAN_DTLS_CONNECTED);
  g_assert_cmpint (lean_dtls_get_state (p.client), ==, LEAN_DTLS_CONNECTED);
  pair_clear (&p);
}

/* The server's flight is lost too: it retransmits on its own timer. */
static void
test_lost_server_flight (void)
{
  const char *fp = local_fingerprint ();
  Pair p;
  pair_init (&p, fp, fp);
  lean_dtls_start (p.client);
  p.to_client.drop = TRUE;
  deliver_one (&p.to_server.queue, p.server);
  g_assert_cmpuint (p.to_client.dropped, >=, 1);
  p.to_client.drop = FALSE;
  gint64 started = g_get_monotonic_time ();
  while (g_queue_is_empty (&p.to_client.queue)) {
    gint64 now = g_get_monotonic_time ();
    g_assert_cmpint (now - started, <, 3 * G_USEC_PER_SEC);
    gint64 due = lean_dtls_next_timeout (p.server);
    g_assert_cmpint (due, !=, -1);
    if (due > now)
      g_usleep (due - now);
    lean_dtls_timeout (p.server);
  }
  pump (&p);
  g_assert_cmpint (lean_dtls_get_state (p.server), ==, LEAN_DTLS_CONNECTED);
  g_assert_cmpint (lean_dtls_get_state (p.client), ==, LEAN_DTLS_CONNECTED);
  pair_clear (&p);
}

typedef struct {
  LeanSrtpProfile profile;
  gsize salt_len, tag;
} ProfileCase;

static const ProfileCase profile_cases[] = {
  { LEAN_SRTP_AES128_CM_SHA1_80, 14, 10 },
  { LEAN_SRTP_AEAD_AES_128_GCM, 12, 16 },
};

static void
test_srtp_profile (gconstpointer data)
{
  const ProfileCase *c = data;
  guint8 key[16], salt[14];
  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) (0x10 + i);
  for (guint i = 0; i < sizeof salt; i++)
    salt[i] = (guint8) (0xa0 + i);
  GError *error = NULL;
  LeanSrtp *out = lean_srtp_new (c->profile, key, 16, salt, c->salt_len, FALSE, &error);
  g_assert_no_error (error);
  LeanSrtp *in = lean_srtp_new (c->profile, key, 16, salt, c->salt_len, TRUE, &error);
  g_assert_no_error (error);
  check_srtp_path (out, in, 0xcafe0001, c->tag);

  /* A retransmission (NACK) protects the same packet again. */
  Buf b;
  gsize len = make_rtp (&b, 5000, 0xcafe0002);
  g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) b.words, &len, sizeof b));
  len = make_rtp (&b, 5000, 0xcafe0002);
  g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) b.words, &len, sizeof b));

  /* Reordering within 1024 packets is not a replay: a packet held back
   * while 600 later ones arrive is still taken (libsrtp's default window of
   * 128 would drop it). */
  Buf held;
  gsize held_len = make_rtp (&held, 6000, 0xcafe0003);
  g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) held.words, &held_len, sizeof held));
  for (guint16 seq = 6001; seq <= 6600; seq++) {
    len = make_rtp (&b, seq, 0xcafe0003);
    g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) b.words, &len, sizeof b));
    g_assert_true (lean_srtp_unprotect_rtp (in, (guint8 *) b.words, &len));
  }
  g_assert_true (lean_srtp_unprotect_rtp (in, (guint8 *) held.words, &held_len));

  /* No room for the tag: refused, not written past the buffer. */
  len = make_rtp (&b, 7000, 0xcafe0004);
  g_assert_false (lean_srtp_protect_rtp (out, (guint8 *) b.words, &len, len + 4));

  /* The other side's key: nothing authenticates. */
  key[0] ^= 1;
  LeanSrtp *stranger = lean_srtp_new (c->profile, key, 16, salt, c->salt_len, TRUE, &error);
  g_assert_no_error (error);
  len = make_rtp (&b, 7001, 0xcafe0005);
  g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) b.words, &len, sizeof b));
  g_assert_false (lean_srtp_unprotect_rtp (stranger, (guint8 *) b.words, &len));

  /* Key material of the wrong size is refused with a reason. */
  g_assert_null (lean_srtp_new (c->profile, key, 16, salt, c->salt_len + 1, TRUE, &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE);
  g_clear_error (&error);

  lean_srtp_free (stranger);
  lean_srtp_free (in);
  lean_srtp_free (out);
}

/* ---- Against GStreamer's own DTLS-SRTP (an independent implementation) ----
 * Two of our legs agree with each other even if both got the exporter's
 * layout or the roles' halves wrong the same way; GStreamer's dtlssrtpenc /
 * dtlssrtpdec (what webrtcbin legs use) would not. GStreamer is the DTLS
 * server and we the client (as a client GStreamer would start before its
 * pipeline plays and race the test for its first flight); with the
 * client's halves checked here, our server's follow from the pair tests
 * above. No network: appsrc and fakesink carry the datagrams. */

typedef struct {
  GstElement *pipeline, *to_gst, *gst_rtp_in;
  GAsyncQueue *from_gst, *gst_rtp_out; /* GBytes */
} GstPeer;

static gchar *
fingerprint_of_pem (const char *pem)
{
  BIO *bio = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  g_assert_nonnull (cert);
  g_assert_true (X509_digest (cert, EVP_sha256 (), digest, &n));
  GString *s = g_string_new ("sha-256 ");
  for (unsigned int i = 0; i < n; i++)
    g_string_append_printf (s, i == 0 ? "%02X" : ":%02X", digest[i]);
  X509_free (cert);
  BIO_free (bio);
  return g_string_free (s, FALSE);
}

/* gst_app_src_push_buffer takes the buffer: once pushed, it is the
 * pipeline's alone. (With the "push-buffer" action signal we kept a ref
 * while srtpdec decrypted it on its thread, and srtpdec 1.22 mishandled the
 * shared buffer: a double unref.) */
static void
push (GstElement *appsrc, const guint8 *data, gsize len)
{
  GstBuffer *buf = gst_buffer_new_memdup (data, len);
  g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (appsrc), buf), ==, GST_FLOW_OK);
}

/* What a fakesink hands off, copied (its handoff runs on a streaming
 * thread). */
static void
on_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer user_data)
{
  (void) sink, (void) pad;
  GstMapInfo map;
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_async_queue_push (user_data, g_bytes_new (map.data, map.size));
  gst_buffer_unmap (buf, &map);
}

/* The next buffer that reached a sink, within 20 ms (NULL: none). */
static GBytes *
pull (GAsyncQueue *queue)
{
  return g_async_queue_timeout_pop (queue, 20000);
}

static void
watch_sink (GstBin *bin, const char *name, GAsyncQueue **queue)
{
  GstElement *sink = gst_bin_get_by_name (bin, name);
  *queue = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  g_object_set (sink, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), *queue);
  gst_object_unref (sink);
}

static gboolean
gst_peer_init (GstPeer *g)
{
  GError *error = NULL;
  g->pipeline = gst_parse_launch (
    "appsrc name=gst_rtp_in is-live=true format=time caps=\"application/x-rtp,media=audio,"
    "clock-rate=48000,encoding-name=OPUS,payload=111\" ! enc.rtp_sink_0 "
    "dtlssrtpenc name=enc connection-id=lean-test is-client=false "
    "! fakesink name=from_gst sync=false async=false "
    "appsrc name=to_gst is-live=true format=time ! dtlssrtpdec name=dec connection-id=lean-test "
    "dec.rtp_src ! fakesink name=gst_rtp_out sync=false async=false "
    "dec.rtcp_src ! fakesink async=false",
    &error);
  if (error != NULL && g_error_matches (error, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT)) {
    g_clear_error (&error);
    gst_clear_object (&g->pipeline);
    return FALSE;
  }
  g_assert_no_error (error);
  GstBin *bin = GST_BIN (g->pipeline);
  g->to_gst = gst_bin_get_by_name (bin, "to_gst");
  g->gst_rtp_in = gst_bin_get_by_name (bin, "gst_rtp_in");
  watch_sink (bin, "from_gst", &g->from_gst);
  watch_sink (bin, "gst_rtp_out", &g->gst_rtp_out);
  g_assert_cmpint (gst_element_set_state (g->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (g->pipeline, NULL, NULL, 5 * GST_SECOND), ==,
                   GST_STATE_CHANGE_SUCCESS);
  return TRUE;
}

static void
gst_peer_clear (GstPeer *g)
{
  gst_element_set_state (g->pipeline, GST_STATE_NULL);
  gst_clear_object (&g->to_gst);
  gst_clear_object (&g->gst_rtp_in);
  gst_clear_object (&g->pipeline);
  g_async_queue_unref (g->from_gst);
  g_async_queue_unref (g->gst_rtp_out);
}

static void
test_gstreamer_peer (void)
{
  GstPeer g = { 0 };
  if (!gst_peer_init (&g)) {
    g_test_skip ("GStreamer's dtls plugin is not installed");
    return;
  }
  GstElement *dec = gst_bin_get_by_name (GST_BIN (g.pipeline), "dec");
  gchar *pem = NULL;
  g_object_get (dec, "pem", &pem, NULL);
  gst_object_unref (dec);
  gchar *gst_fp = fingerprint_of_pem (pem);
  g_free (pem);

  Wire to_gst = { 0 };
  g_queue_init (&to_gst.queue);
  GError *error = NULL;
  LeanDtls *dtls = lean_dtls_new (LEAN_DTLS_ROLE_CLIENT, gst_fp, wire_send, &to_gst, &error);
  g_assert_no_error (error);
  lean_dtls_start (dtls);

  /* The handshake, within 5 s. */
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (lean_dtls_get_state (dtls) == LEAN_DTLS_HANDSHAKING) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    GBytes *datagram = pull (g.from_gst);
    if (datagram != NULL) {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagram, &len);
      lean_dtls_receive (dtls, data, len);
      g_bytes_unref (datagram);
    }
    while (!g_queue_is_empty (&to_gst.queue)) {
      GBytes *out = g_queue_pop_head (&to_gst.queue);
      gsize len;
      const guint8 *data = g_bytes_get_data (out, &len);
      push (g.to_gst, data, len);
      g_bytes_unref (out);
    }
    gint64 due = lean_dtls_next_timeout (dtls);
    if (due != -1 && due <= g_get_monotonic_time ())
      lean_dtls_timeout (dtls);
  }
  g_assert_cmpstr (lean_dtls_failure (dtls), ==, NULL);
  g_assert_cmpint (lean_dtls_get_state (dtls), ==, LEAN_DTLS_CONNECTED);
  LeanSrtp *in, *out;
  lean_dtls_make_srtp (dtls, &in, &out, &error);
  g_assert_no_error (error);

  /* GStreamer protects RTP with the server's half: our `in` takes it. Its
   * encoder may need a moment for its key; a few tries, each a new packet. */
  Buf plain, b;
  gboolean got = FALSE;
  for (guint16 seq = 100; seq < 300 && !got; seq++) {
    gsize plain_len = make_rtp (&plain, seq, 0x0badcafe);
    push (g.gst_rtp_in, (const guint8 *) plain.words, plain_len);
    GBytes *srtp = pull (g.from_gst);
    if (srtp == NULL)
      continue;
    gsize len;
    const guint8 *data = g_bytes_get_data (srtp, &len);
    g_assert_cmpuint (len, ==, plain_len + 10); /* AES-CM-SHA1-80: 10-byte tag */
    memcpy (b.words, data, len);
    g_bytes_unref (srtp);
    g_assert_true (lean_srtp_unprotect_rtp (in, (guint8 *) b.words, &len));
    /* A packet pushed on an earlier turn (whose pull timed out) may come
     * out now: compare with what was sent under its own sequence number. */
    const guint8 *head = (const guint8 *) b.words;
    plain_len = make_rtp (&plain, (guint16) (head[2] << 8 | head[3]), 0x0badcafe);
    g_assert_cmpmem (b.words, len, plain.words, plain_len);
    got = TRUE;
  }
  g_assert_true (got);

  /* We protect with the client's half: GStreamer's decoder takes it. Until
   * its decoder has the key (set from another thread) it passes packets on
   * untouched (still 10 bytes longer): skip those; a packet it decrypted
   * must be exactly what we sent with that sequence number. */
  got = FALSE;
  for (guint16 seq = 1; seq < 200 && !got; seq++) {
    gsize len = make_rtp (&b, seq, 0x12345678);
    g_assert_true (lean_srtp_protect_rtp (out, (guint8 *) b.words, &len, sizeof b));
    push (g.to_gst, (const guint8 *) b.words, len);
    GBytes *rtp = pull (g.gst_rtp_out);
    if (rtp == NULL)
      continue;
    gsize rtp_len;
    const guint8 *data = g_bytes_get_data (rtp, &rtp_len);
    g_assert_cmpuint (rtp_len, >=, 12);
    gsize plain_len = make_rtp (&plain, (guint16) (data[2] << 8 | data[3]), 0x12345678);
    if (rtp_len == plain_len) {
      g_assert_cmpmem (data, rtp_len, plain.words, plain_len);
      got = TRUE;
    } else {
      g_assert_cmpuint (rtp_len, ==, plain_len + 10);
    }
    g_bytes_unref (rtp);
  }
  g_assert_true (got);

  lean_srtp_free (in);
  lean_srtp_free (out);
  lean_dtls_free (dtls);
  g_queue_clear_full (&to_gst.queue, (GDestroyNotify) g_bytes_unref);
  g_free (gst_fp);
  gst_peer_clear (&g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  /* First: GStreamer's srtp plugin starts libsrtp before we do, as in a
   * process that also runs webrtcbin legs (lean_srtp.c srtp_init_once). */
  g_test_add_func ("/lean-dtls/gstreamer-peer", test_gstreamer_peer);
  g_test_add_func ("/lean-dtls/fingerprint", test_fingerprint);
  g_test_add_func ("/lean-dtls/bad-remote-fingerprint", test_bad_remote_fingerprint);
  g_test_add_func ("/lean-dtls/handshake-and-srtp", test_handshake_and_srtp);
  g_test_add_data_func ("/lean-dtls/wrong-fingerprint/server-checks", GINT_TO_POINTER (TRUE),
                        test_wrong_fingerprint);
  g_test_add_data_func ("/lean-dtls/wrong-fingerprint/client-checks", GINT_TO_POINTER (FALSE),
                        test_wrong_fingerprint);
  g_test_add_func ("/lean-dtls/close-notify-ignored", test_close_notify_ignored);
  g_test_add_func ("/lean-dtls/peer-alert", test_peer_alert);
  g_test_add_func ("/lean-dtls/lost-first-flight", test_lost_first_flight);
  g_test_add_func ("/lean-dtls/lost-server-flight", test_lost_server_flight);
  g_test_add_data_func ("/lean-srtp/aes-cm-sha1-80", &profile_cases[0], test_srtp_profile);
  g_test_add_data_func ("/lean-srtp/aes-gcm-128", &profile_cases[1], test_srtp_profile);
  return g_test_run ();
}
