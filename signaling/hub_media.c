/* hub_media.c — the rooms' media layer in the server: media/ (one GStreamer
 * pipeline per visit, a webrtcbin leg per participant). SigMedia mirrors
 * media.h, so the table is the functions themselves. */
#include "signaling/room-private.h"

const SigMedia sig_media_gstreamer = {
  .visit_new = media_visit_new,
  .visit_free = media_visit_free,
  .add_leg = media_visit_add_leg,
  .remove_leg = media_visit_remove_leg,
  .set_may_share = media_leg_set_may_share,
  .get_state = media_leg_get_state,
  .get_stats = media_leg_get_stats,
  .set_answer = media_leg_set_answer,
  .add_ice_candidate = media_leg_add_ice_candidate,
  .request_quality = media_leg_request_quality,
};
