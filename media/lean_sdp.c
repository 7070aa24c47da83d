/* lean_sdp.c — placeholder: the lean leg's offer and answer (lean-private.h). */
#include "media/lean-private.h"

#include <string.h>

gchar *
lean_sdp_offer (const LeanOffer *offer, gchar **mids)
{
  (void) offer, (void) mids;
  return NULL;
}

gboolean
lean_sdp_read_answer (const GstSDPMessage *answer, LeanAnswer *out, GError **error)
{
  (void) answer;
  memset (out, 0, sizeof *out);
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP, "not built yet");
  return FALSE;
}

void
lean_answer_clear (LeanAnswer *answer)
{
  (void) answer;
}
