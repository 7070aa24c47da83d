/* lean_visit.c — placeholder: the lean engine's visit (lean-private.h). */
#include "media/lean-private.h"

gboolean
lean_visit_init (MediaVisit *visit, GError **error)
{
  (void) visit;
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "the lean engine is not built yet");
  return FALSE;
}

void
lean_visit_free (MediaVisit *visit)
{
  (void) visit;
}

MediaLeg *
lean_visit_add_leg (MediaVisit *visit, const char *participant_id,
                    const MediaLegCallbacks *callbacks, gpointer user_data, GError **error)
{
  (void) visit, (void) participant_id, (void) callbacks, (void) user_data;
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "the lean engine is not built yet");
  return NULL;
}

void
lean_visit_remove_leg (MediaVisit *visit, MediaLeg *leg)
{
  (void) visit, (void) leg;
}

void
lean_visit_update_links (MediaVisit *visit)
{
  (void) visit;
}

gboolean
lean_leg_set_answer (MediaLeg *leg, GstSDPMessage *answer, GError **error)
{
  (void) leg;
  gst_sdp_message_free (answer);
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "the lean engine is not built yet");
  return FALSE;
}

gboolean
lean_leg_add_ice_candidate (MediaLeg *leg, guint mline, const char *candidate, GError **error)
{
  (void) leg, (void) mline, (void) candidate;
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "the lean engine is not built yet");
  return FALSE;
}

void
lean_leg_request_quality (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                          GDestroyNotify destroy)
{
  (void) leg, (void) func;
  if (destroy)
    destroy (user_data);
}
