/* lean_srtp.c — placeholder: SRTP for lean legs (lean-private.h). */
#include "media/lean-private.h"

LeanSrtp *
lean_srtp_new (LeanSrtpProfile profile, const guint8 *key, gsize key_len, const guint8 *salt,
               gsize salt_len, gboolean inbound, GError **error)
{
  (void) profile, (void) key, (void) key_len, (void) salt, (void) salt_len, (void) inbound;
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "SRTP is not built yet");
  return NULL;
}

void
lean_srtp_free (LeanSrtp *srtp)
{
  (void) srtp;
}

gboolean
lean_srtp_protect_rtp (LeanSrtp *srtp, guint8 *buf, gsize *len, gsize cap)
{
  (void) srtp, (void) buf, (void) len, (void) cap;
  return FALSE;
}

gboolean
lean_srtp_protect_rtcp (LeanSrtp *srtp, guint8 *buf, gsize *len, gsize cap)
{
  (void) srtp, (void) buf, (void) len, (void) cap;
  return FALSE;
}

gboolean
lean_srtp_unprotect_rtp (LeanSrtp *srtp, guint8 *buf, gsize *len)
{
  (void) srtp, (void) buf, (void) len;
  return FALSE;
}

gboolean
lean_srtp_unprotect_rtcp (LeanSrtp *srtp, guint8 *buf, gsize *len)
{
  (void) srtp, (void) buf, (void) len;
  return FALSE;
}
