/* rtp_rewrite.c — sits on every relay link, between the source leg's tee
 * and the destination leg's sink pad, and makes the relayed RTP look like
 * one continuous stream of the destination m-line:
 *
 * - payload type and SSRC become the m-line's (each m-line has its own, so
 *   the browser demultiplexes the BUNDLE, see layout.c; the SSRC is the one
 *   the offer announced);
 * - when the source changes, sequence numbers and timestamps stay
 *   continuous (rtp_continuity.c).
 *
 * Its output caps are exactly the m-line's codec preferences: webrtcbin's
 * sink pad accepts only caps that intersect them (payload and ssrc
 * included), else the link fails with not-negotiated.
 *
 * Upstream, a GstForceKeyUnit (the destination's RTP session turns a PLI
 * from its browser into one) carries the destination's SSRC; on its way to
 * the source leg it gets the source's SSRC instead, so the source leg's
 * RTP session sends its PLI for the right stream.
 *
 * In place: the tee hands the same buffer to every destination, so the base
 * class makes it writable (a shallow copy) and mapping the RTP header for
 * writing copies just that memory.
 */
#include "media/media-private.h"

#include <gst/base/gstbasetransform.h>
#include <gst/rtp/rtp.h>

typedef struct {
  GstBaseTransform parent;
  GstCaps *caps; /* output caps, fixed (construct-only) */
  guint pt;
  guint32 ssrc;
  guint clock_rate;

  MediaContinuity cont; /* streaming state, under the object lock */
} MediaRtpRewrite;

typedef struct {
  GstBaseTransformClass parent_class;
} MediaRtpRewriteClass;

G_DEFINE_TYPE (MediaRtpRewrite, media_rtp_rewrite, GST_TYPE_BASE_TRANSFORM)

enum { PROP_0, PROP_CAPS };

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK,
                                                                     GST_PAD_ALWAYS,
                                                                     GST_STATIC_CAPS (
                                                                       "application/x-rtp"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC,
                                                                    GST_PAD_ALWAYS,
                                                                    GST_STATIC_CAPS (
                                                                      "application/x-rtp"));

static GstCaps *
rewrite_transform_caps (GstBaseTransform *trans, GstPadDirection direction, GstCaps *caps,
                        GstCaps *filter)
{
  MediaRtpRewrite *self = (MediaRtpRewrite *) trans;
  GstCaps *result;
  (void) caps;

  if (self->caps == NULL) {
    result = gst_caps_new_empty_simple ("application/x-rtp");
  } else if (direction == GST_PAD_SINK) {
    /* Whatever comes in goes out as the m-line's own stream. */
    result = gst_caps_copy (self->caps);
  } else {
    /* Any RTP of the same media may come in: the payload type and SSRC
     * differ by source, and so may fields of the source's answer. */
    const GstStructure *s = gst_caps_get_structure (self->caps, 0);
    result = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
                                  gst_structure_get_string (s, "media"), NULL);
  }
  if (filter != NULL) {
    GstCaps *tmp = gst_caps_intersect_full (filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (result);
    result = tmp;
  }
  return result;
}

static GstFlowReturn
rewrite_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  MediaRtpRewrite *self = (MediaRtpRewrite *) trans;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp)) {
    GST_DEBUG_OBJECT (self, "not an RTP packet, dropped");
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
  guint32 ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  guint16 seq = gst_rtp_buffer_get_seq (&rtp);
  guint32 ts = gst_rtp_buffer_get_timestamp (&rtp);
  gint64 now_us = g_get_monotonic_time ();

  guint16 out_seq;
  guint32 out_ts;
  GST_OBJECT_LOCK (self);
  media_continuity_map (&self->cont, ssrc, seq, ts, now_us, &out_seq, &out_ts);
  GST_OBJECT_UNLOCK (self);

  gst_rtp_buffer_set_payload_type (&rtp, (guint8) self->pt);
  gst_rtp_buffer_set_ssrc (&rtp, self->ssrc);
  gst_rtp_buffer_set_seq (&rtp, out_seq);
  gst_rtp_buffer_set_timestamp (&rtp, out_ts);
  gst_rtp_buffer_unmap (&rtp);
  return GST_FLOW_OK;
}

static gboolean
rewrite_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  MediaRtpRewrite *self = (MediaRtpRewrite *) trans;
  /* A new tee linked in (stream-start) or a flush: whatever comes next is
   * a new source, even should its SSRC happen to be the old one. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START ||
      GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    GST_OBJECT_LOCK (self);
    self->cont.rebase = TRUE;
    GST_OBJECT_UNLOCK (self);
  }
  return GST_BASE_TRANSFORM_CLASS (media_rtp_rewrite_parent_class)->sink_event (trans, event);
}

static gboolean
rewrite_src_event (GstBaseTransform *trans, GstEvent *event)
{
  MediaRtpRewrite *self = (MediaRtpRewrite *) trans;
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name (event, "GstForceKeyUnit")) {
    event = gst_event_make_writable (event);
    GstStructure *s = gst_event_writable_structure (event);
    GST_OBJECT_LOCK (self);
    /* Without an ssrc field the source's rtpssrcdemux fills in its own. */
    if (self->cont.have_in)
      gst_structure_set (s, "ssrc", G_TYPE_UINT, self->cont.in_ssrc, NULL);
    else
      gst_structure_remove_field (s, "ssrc");
    GST_OBJECT_UNLOCK (self);
  }
  return GST_BASE_TRANSFORM_CLASS (media_rtp_rewrite_parent_class)->src_event (trans, event);
}

static void
rewrite_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  MediaRtpRewrite *self = (MediaRtpRewrite *) object;
  switch (id) {
  case PROP_CAPS: {
    const GstCaps *caps = gst_value_get_caps (value);
    gst_caps_replace (&self->caps, (GstCaps *) caps);
    if (caps != NULL && gst_caps_get_size (caps) > 0) {
      const GstStructure *s = gst_caps_get_structure (caps, 0);
      gint pt = 0, rate = 0;
      guint ssrc = 0;
      gst_structure_get_int (s, "payload", &pt);
      gst_structure_get_int (s, "clock-rate", &rate);
      gst_structure_get_uint (s, "ssrc", &ssrc);
      self->pt = (guint) pt & 0x7f;
      self->clock_rate = (guint) MAX (rate, 1);
      self->ssrc = ssrc;
      media_continuity_init (&self->cont, self->clock_rate);
    }
    break;
  }
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    break;
  }
}

static void
rewrite_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  MediaRtpRewrite *self = (MediaRtpRewrite *) object;
  switch (id) {
  case PROP_CAPS:
    gst_value_set_caps (value, self->caps);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    break;
  }
}

static void
rewrite_finalize (GObject *object)
{
  MediaRtpRewrite *self = (MediaRtpRewrite *) object;
  gst_clear_caps (&self->caps);
  G_OBJECT_CLASS (media_rtp_rewrite_parent_class)->finalize (object);
}

static void
media_rtp_rewrite_class_init (MediaRtpRewriteClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  gobject_class->set_property = rewrite_set_property;
  gobject_class->get_property = rewrite_get_property;
  gobject_class->finalize = rewrite_finalize;
  g_object_class_install_property (
    gobject_class, PROP_CAPS,
    g_param_spec_boxed ("caps", "Caps",
                        "The destination m-line's RTP caps (payload, ssrc, clock-rate)",
                        GST_TYPE_CAPS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Relay RTP rewrite", "Filter/Network/RTP",
                                         "Gives relayed RTP an m-line's payload type and SSRC, "
                                         "continuous across source changes",
                                         "telehealth");
  trans_class->transform_caps = rewrite_transform_caps;
  trans_class->transform_ip = rewrite_transform_ip;
  trans_class->sink_event = rewrite_sink_event;
  trans_class->src_event = rewrite_src_event;
  trans_class->passthrough_on_same_caps = FALSE;
}

static void
media_rtp_rewrite_init (MediaRtpRewrite *self)
{
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  /* RTP timestamps, not buffer times, are what is relayed: no QoS. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}

GstElement *
media_rtp_rewrite_new (const GstCaps *caps)
{
  return g_object_new (media_rtp_rewrite_get_type (), "caps", caps, NULL);
}
