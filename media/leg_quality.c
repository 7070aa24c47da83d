/* leg_quality.c — the server's view of one leg's connection: packets it
 * received and lost from the client (its RTP sessions count sequence gaps
 * even without a jitterbuffer) and the round trip the client's receiver
 * reports imply. Read with webrtcbin's "get-stats"; the promise is answered
 * on a webrtcbin thread, so the result is handed to the leg's main context
 * with media_leg_marshal (leg.c: always later, never inline).
 */
#include "media/lean-private.h"

MediaQualityRequest *
media_quality_request_new (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                           GDestroyNotify destroy)
{
  MediaQualityRequest *req = g_new0 (MediaQualityRequest, 1);

  req->leg = leg != NULL ? media_leg_ref (leg) : NULL;
  req->func = func;
  req->user_data = user_data;
  req->destroy = destroy;
  return req;
}

void
media_quality_request_free (gpointer data)
{
  MediaQualityRequest *req = data;

  if (req->destroy)
    req->destroy (req->user_data);
  g_clear_pointer (&req->leg, media_leg_unref);
  g_free (req);
}

void
media_quality_request_deliver (MediaLeg *leg, gpointer data)
{
  MediaQualityRequest *req = data;

  /* A leg removed meanwhile has no owner to tell. */
  if (!leg->closed)
    req->func (leg, &req->quality, req->user_data);
}

static gboolean
add_stat (GQuark field, const GValue *value, gpointer data)
{
  MediaLegQuality *q = data;
  const GstStructure *s;
  GstWebRTCStatsType type;
  (void) field;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get_enum (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, (gint *) &type))
    return TRUE;
  if (type == GST_WEBRTC_STATS_INBOUND_RTP) {
    guint64 received = 0;
    gint64 lost = 0;
    gint lost_int = 0;
    if (gst_structure_get_uint64 (s, "packets-received", &received))
      q->packets_received += received;
    /* The field's type has varied between releases. */
    if (gst_structure_get_int64 (s, "packets-lost", &lost))
      q->packets_lost += MAX (lost, 0);
    else if (gst_structure_get_int (s, "packets-lost", &lost_int))
      q->packets_lost += MAX (lost_int, 0);
  } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
    gdouble rtt = 0;
    if (gst_structure_get_double (s, "round-trip-time", &rtt) && rtt > 0) {
      q->rtt_ms = MAX (q->rtt_ms, rtt * 1000.0);
      q->have_rtt = TRUE;
    }
  }
  return TRUE;
}

static void
on_stats (GstPromise *promise, gpointer data)
{
  MediaQualityRequest *req = data;
  const GstStructure *reply = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_foreach (reply, add_stat, &req->quality);
  gst_promise_unref (promise);
  /* Not g_main_context_invoke_full: should webrtcbin ever answer on the
   * main context itself (from inside our own get-stats call), invoke would
   * run the room's callback inline, in the middle of the room's tick. */
  media_leg_marshal (req->leg, media_quality_request_deliver, req, media_quality_request_free);
}

void
media_leg_request_quality (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                           GDestroyNotify destroy)
{
  MediaQualityRequest *req;
  GstPromise *promise;

  g_return_if_fail (leg != NULL && func != NULL);
  if (leg->lean != NULL) {
    lean_leg_request_quality (leg, func, user_data, destroy);
    return;
  }
  if (leg->closed || leg->webrtcbin == NULL) {
    if (destroy)
      destroy (user_data);
    return;
  }
  req = media_quality_request_new (leg, func, user_data, destroy);
  /* The change func owns the promise's last ref: webrtcbin replies once. */
  promise = gst_promise_new_with_change_func (on_stats, req, NULL);
  g_signal_emit_by_name (leg->webrtcbin, "get-stats", NULL, gst_promise_ref (promise));
  gst_promise_unref (promise);
}
