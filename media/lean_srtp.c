/* lean_srtp.c — SRTP for lean legs (lean-private.h): one libsrtp2 session
 * per direction of a leg, keyed by lean_dtls_make_srtp.
 *
 * One session covers every SSRC (ssrc_any_inbound / ssrc_any_outbound): the
 * browser's streams and ours are many and change with the slots, and the
 * keys are per direction, not per stream. libsrtp clones its template the
 * first time it sees an SSRC (inbound: only once that packet authenticated),
 * so a new stream allocates once; the per-packet calls below do not allocate,
 * lock or log (a LeanSrtp is used by one worker thread at a time, the one its
 * leg lives on, so it needs no lock either). */
#include "media/lean-private.h"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>
#include <string.h>

/* What our policies write past a packet: no MKI, an auth tag of at most
 * SRTP_MAX_TAG_LEN, and for SRTCP the 4-byte E flag + index before it.
 * libsrtp's own headers ask for SRTP_MAX_TRAILER_LEN (+4 for RTCP) because
 * they count a maximal MKI, which we never configure. */
#define SRTP_ROOM_RTP SRTP_MAX_TAG_LEN
#define SRTP_ROOM_RTCP (SRTP_MAX_TAG_LEN + 4)
G_STATIC_ASSERT (LEAN_SRTP_MAX_TRAILER >= SRTP_ROOM_RTCP);

/* A browser's video arrives in bursts that loss and retransmission reorder;
 * libsrtp's default window (128) would drop late but genuine packets as
 * replays. */
#define REPLAY_WINDOW 1024

struct _LeanSrtp {
  srtp_t session;
};

/* srtp_init is not safe to call twice at once; its status is kept for every
 * later caller (0 is srtp_err_status_ok, so store status + 1).
 *
 * GStreamer's srtp plugin (webrtcbin's legs, the dtlssrtp* elements) calls
 * srtp_init too, once, when its elements are first made. A second srtp_init
 * finds the crypto kernel ready, then refuses to load its debug module a
 * second time with srtp_err_status_bad_param (libsrtp 2.5 srtp_init): that
 * is "already started", not a failure. GStreamer's call and ours are not
 * serialized with each other; both happen once, early. */
static srtp_err_status_t
srtp_init_once (void)
{
  static gsize status_plus_one = 0;
  if (g_once_init_enter (&status_plus_one)) {
    srtp_err_status_t status = srtp_init ();
    if (status == srtp_err_status_bad_param)
      status = srtp_err_status_ok;
    g_once_init_leave (&status_plus_one, (gsize) status + 1);
  }
  return (srtp_err_status_t) (status_plus_one - 1);
}

typedef struct {
  gsize key_len, salt_len;
  void (*set_policy) (srtp_crypto_policy_t *policy);
  const char *name;
} ProfilePolicy;

/* Indexed by LeanSrtpProfile: RFC 5764 §4.1.2 and RFC 7714 §14.2. */
static const ProfilePolicy profile_policies[] = {
  /* srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 is a macro for this. */
  [LEAN_SRTP_AES128_CM_SHA1_80] = { 16, 14, srtp_crypto_policy_set_rtp_default,
                                    "SRTP_AES128_CM_SHA1_80" },
  [LEAN_SRTP_AEAD_AES_128_GCM] = { 16, 12, srtp_crypto_policy_set_aes_gcm_128_16_auth,
                                   "SRTP_AEAD_AES_128_GCM" },
};

LeanSrtp *
lean_srtp_new (LeanSrtpProfile profile, const guint8 *key, gsize key_len, const guint8 *salt,
               gsize salt_len, gboolean inbound, GError **error)
{
  LeanSrtp *srtp = NULL;
  guint8 master[32]; /* key then salt, as libsrtp wants them */
  srtp_policy_t policy;
  srtp_err_status_t status;

  if ((guint) profile >= G_N_ELEMENTS (profile_policies)) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "unknown SRTP protection profile %d",
                 (int) profile);
    goto out;
  }
  const ProfilePolicy *p = &profile_policies[profile];
  if (key_len != p->key_len || salt_len != p->salt_len) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE,
                 "%s needs a %zu-byte key and a %zu-byte salt, not %zu and %zu", p->name,
                 p->key_len, p->salt_len, key_len, salt_len);
    goto out;
  }
  G_STATIC_ASSERT (sizeof master >= 16 + 14);
  status = srtp_init_once ();
  if (status != srtp_err_status_ok) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "libsrtp did not start (error %d)",
                 (int) status);
    goto out;
  }

  memcpy (master, key, key_len);
  memcpy (master + key_len, salt, salt_len);
  memset (&policy, 0, sizeof policy);
  p->set_policy (&policy.rtp);
  p->set_policy (&policy.rtcp);
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = master;
  policy.window_size = REPLAY_WINDOW;
  /* A packet the browser NACKs is sent again as it was (same sequence
   * number): libsrtp must protect it a second time rather than refuse. */
  policy.allow_repeat_tx = 1;

  srtp = g_new0 (LeanSrtp, 1);
  status = srtp_create (&srtp->session, &policy);
  if (status != srtp_err_status_ok) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE,
                 "libsrtp could not make a %s session (error %d)", p->name, (int) status);
    g_clear_pointer (&srtp, g_free);
  }

out:
  /* libsrtp derived its session keys; the master key need not outlive this. */
  OPENSSL_cleanse (master, sizeof master);
  return srtp;
}

void
lean_srtp_free (LeanSrtp *srtp)
{
  if (srtp == NULL)
    return;
  srtp_dealloc (srtp->session);
  g_free (srtp);
}

/* libsrtp takes lengths as int; a datagram is far below that, but a
 * caller's size must not wrap. */
static gboolean
fits (const gsize *len, gsize cap, gsize room)
{
  return *len <= 0xffff && cap >= *len + room;
}

gboolean
lean_srtp_protect_rtp (LeanSrtp *srtp, guint8 *buf, gsize *len, gsize cap)
{
  if (!fits (len, cap, SRTP_ROOM_RTP))
    return FALSE;
  int n = (int) *len;
  if (srtp_protect (srtp->session, buf, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize) n;
  return TRUE;
}

gboolean
lean_srtp_protect_rtcp (LeanSrtp *srtp, guint8 *buf, gsize *len, gsize cap)
{
  if (!fits (len, cap, SRTP_ROOM_RTCP))
    return FALSE;
  int n = (int) *len;
  if (srtp_protect_rtcp (srtp->session, buf, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize) n;
  return TRUE;
}

gboolean
lean_srtp_unprotect_rtp (LeanSrtp *srtp, guint8 *buf, gsize *len)
{
  if (*len > 0xffff)
    return FALSE;
  int n = (int) *len;
  if (srtp_unprotect (srtp->session, buf, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize) n;
  return TRUE;
}

gboolean
lean_srtp_unprotect_rtcp (LeanSrtp *srtp, guint8 *buf, gsize *len)
{
  if (*len > 0xffff)
    return FALSE;
  int n = (int) *len;
  if (srtp_unprotect_rtcp (srtp->session, buf, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize) n;
  return TRUE;
}
