/* lean_dtls.c — placeholder: DTLS-SRTP for lean legs (lean-private.h). */
#include "media/lean-private.h"

const char *
lean_dtls_local_fingerprint (GError **error)
{
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "DTLS is not built yet");
  return NULL;
}

LeanDtls *
lean_dtls_new (LeanDtlsRole role, const char *remote_fingerprint, LeanSendFunc send,
               gpointer user_data, GError **error)
{
  (void) role, (void) remote_fingerprint, (void) send, (void) user_data;
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "DTLS is not built yet");
  return NULL;
}

void
lean_dtls_free (LeanDtls *dtls)
{
  (void) dtls;
}

LeanDtlsState
lean_dtls_start (LeanDtls *dtls)
{
  (void) dtls;
  return LEAN_DTLS_FAILED;
}

LeanDtlsState
lean_dtls_receive (LeanDtls *dtls, const guint8 *data, gsize len)
{
  (void) dtls, (void) data, (void) len;
  return LEAN_DTLS_FAILED;
}

gint64
lean_dtls_next_timeout (LeanDtls *dtls)
{
  (void) dtls;
  return -1;
}

LeanDtlsState
lean_dtls_timeout (LeanDtls *dtls)
{
  (void) dtls;
  return LEAN_DTLS_FAILED;
}

LeanDtlsState
lean_dtls_get_state (LeanDtls *dtls)
{
  (void) dtls;
  return LEAN_DTLS_FAILED;
}

const char *
lean_dtls_failure (LeanDtls *dtls)
{
  (void) dtls;
  return "not built";
}

gboolean
lean_dtls_make_srtp (LeanDtls *dtls, LeanSrtp **in, LeanSrtp **out, GError **error)
{
  (void) dtls, (void) in, (void) out;
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "DTLS is not built yet");
  return FALSE;
}
