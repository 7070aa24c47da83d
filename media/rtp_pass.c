/* rtp_pass.c — the relay's stand-in for rtpbin's jitterbuffer.
 *
 * Inside each webrtcbin, rtpbin puts an rtpjitterbuffer on every incoming
 * SSRC. A relay does not play media out, so it has nothing to gain from it:
 * the receiving browser runs its own jitterbuffer, reorders, conceals and
 * NACKs. What the rtpjitterbuffer costs instead, per stream: two threads (its
 * output task and its timer thread), a thread hand-off (a futex wake and a
 * context switch) for every packet, and a hold of up to `latency` per packet.
 * Measured at 10 visits (see the note in media_leg_new): removing it cut the
 * server's threads by 4 per leg and its CPU and relay latency markedly.
 *
 * rtpbin lets the application supply the element ("request-jitterbuffer").
 * This one forwards every RTP packet as is, in the calling thread. Buffers
 * keep nicesrc's capture timestamps (live source, do-timestamp), which is
 * what rtpjitterbuffer with zero latency would have given them too. It has
 * the properties rtpbin and webrtcbin set unconditionally on a jitterbuffer
 * ("latency", "do-retransmission"), ignored, and a "sink_rtcp" request pad
 * that swallows the RTCP rtpbin links to a jitterbuffer (used there only for
 * lip-sync of playback, which a relay does not do).
 *
 * webrtcbin reads every jitterbuffer's read-only "stats" for its inbound-rtp
 * statistics (packets-lost from num-lost, packets-discarded from num-late,
 * packets-duplicated, packets-repaired from rtx-success-count), so this
 * element has one too: without it each stats poll logged a GLib warning per
 * stream, and the server's view of a client's loss (leg_quality.c) had no
 * packets-lost at all.
 */
#include "media/media-private.h"

/* A jump forward of more sequence numbers than this is a restarted sender,
 * not loss (RFC 3550 A.1's MAX_DROPOUT). */
#define MAX_DROPOUT 3000

typedef struct {
  GstElement parent;
  GstPad *sinkpad, *srcpad;
  guint latency;
  gboolean do_retransmission;
  /* Under the object lock: the chain runs on the streaming thread, "stats"
   * is read from webrtcbin's. */
  gboolean seen;        /* a first packet set base */
  guint32 max_ext_seq;  /* highest extended sequence number seen */
  guint32 base_ext_seq; /* the first of the current run */
  guint64 pushed;       /* packets forwarded */
  guint64 run_received; /* packets of the current run */
  guint64 lost_before;  /* loss of the runs before a restart */
} MediaRtpPass;

typedef struct {
  GstElementClass parent_class;
} MediaRtpPassClass;

G_DEFINE_TYPE (MediaRtpPass, media_rtp_pass, GST_TYPE_ELEMENT)

enum { PROP_0, PROP_LATENCY, PROP_DO_RETRANSMISSION, PROP_STATS };

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK,
                                                                     GST_PAD_ALWAYS,
                                                                     GST_STATIC_CAPS (
                                                                       "application/x-rtp"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC,
                                                                    GST_PAD_ALWAYS,
                                                                    GST_STATIC_CAPS (
                                                                      "application/x-rtp"));
static GstStaticPadTemplate rtcp_template = GST_STATIC_PAD_TEMPLATE ("sink_rtcp", GST_PAD_SINK,
                                                                     GST_PAD_REQUEST,
                                                                     GST_STATIC_CAPS (
                                                                       "application/x-rtcp"));

/* Loss the way RFC 3550 A.3 counts it: packets expected from the sequence
 * numbers minus packets received (reordered packets count as received,
 * duplicates may make it negative for a while). */
static guint64
pass_lost_locked (const MediaRtpPass *self)
{
  gint64 expected, lost;

  if (!self->seen)
    return self->lost_before;
  expected = (gint64) self->max_ext_seq - (gint64) self->base_ext_seq + 1;
  lost = expected - (gint64) self->run_received;
  return self->lost_before + (guint64) MAX (lost, 0);
}

/* One packet's sequence number into the counts (object lock held). */
static void
pass_count_locked (MediaRtpPass *self, GstBuffer *buf)
{
  guint8 head[4];
  guint16 seq, delta;

  self->pushed++;
  if (gst_buffer_extract (buf, 0, head, sizeof head) != sizeof head || (head[0] >> 6) != 2)
    return; /* not RTP: forwarded, not counted */
  seq = (guint16) ((head[2] << 8) | head[3]);
  if (!self->seen) {
    self->seen = TRUE;
    self->max_ext_seq = self->base_ext_seq = seq;
    self->run_received = 1;
    return;
  }
  delta = (guint16) (seq - (guint16) self->max_ext_seq);
  if (delta != 0 && delta < 0x8000) {
    if (delta > MAX_DROPOUT) {
      /* A restarted sender: keep what was lost so far, start a new run. */
      self->lost_before = pass_lost_locked (self);
      self->max_ext_seq = self->base_ext_seq = seq;
      self->run_received = 1;
      return;
    }
    self->max_ext_seq += delta; /* the high 16 bits count the wraps */
  }
  self->run_received++;
}

static GstFlowReturn
pass_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  MediaRtpPass *self = (MediaRtpPass *) parent;
  (void) pad;

  GST_OBJECT_LOCK (self);
  pass_count_locked (self, buf);
  GST_OBJECT_UNLOCK (self);
  return gst_pad_push (self->srcpad, buf);
}

static GstFlowReturn
pass_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  MediaRtpPass *self = (MediaRtpPass *) parent;
  guint n = gst_buffer_list_length (list);
  (void) pad;

  GST_OBJECT_LOCK (self);
  for (guint i = 0; i < n; i++)
    pass_count_locked (self, gst_buffer_list_get (list, i));
  GST_OBJECT_UNLOCK (self);
  return gst_pad_push_list (self->srcpad, list);
}

/* The fields of rtpjitterbuffer's "stats" (gst-plugins-good 1.22), as far
 * as a pass-through has them: num-pushed and num-lost are counted; a relay
 * holds nothing back, so nothing is late (num-late 0) and it does not
 * remove duplicates (num-duplicates 0, they go to the receiving browser,
 * whose jitterbuffer drops them); it never asks for retransmissions (the
 * end receiver does), so the rtx fields are 0; avg-jitter (ns) is 0, not
 * measured here (rtpbin's RTP session reports the interarrival jitter). */
static GstStructure *
pass_stats (MediaRtpPass *self)
{
  guint64 pushed, lost;

  GST_OBJECT_LOCK (self);
  pushed = self->pushed;
  lost = pass_lost_locked (self);
  GST_OBJECT_UNLOCK (self);
  return gst_structure_new ("application/x-rtp-jitterbuffer-stats", "num-pushed", G_TYPE_UINT64,
                            pushed, "num-lost", G_TYPE_UINT64, lost, "num-late", G_TYPE_UINT64,
                            G_GUINT64_CONSTANT (0), "num-duplicates", G_TYPE_UINT64,
                            G_GUINT64_CONSTANT (0), "avg-jitter", G_TYPE_UINT64,
                            G_GUINT64_CONSTANT (0), "rtx-count", G_TYPE_UINT64,
                            G_GUINT64_CONSTANT (0), "rtx-success-count", G_TYPE_UINT64,
                            G_GUINT64_CONSTANT (0), "rtx-per-packet", G_TYPE_DOUBLE, 0.0, "rtx-rtt",
                            G_TYPE_UINT64, G_GUINT64_CONSTANT (0), NULL);
}

static GstFlowReturn
rtcp_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  (void) pad;
  (void) parent;
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
rtcp_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  (void) pad;
  (void) parent;
  gst_event_unref (event); /* nothing downstream of the RTCP pad */
  return TRUE;
}

/* The sink_rtcp pad is not part of the data path: events and queries flow
 * between sink and src only (an upstream force-key-unit must reach the
 * RTP session once, through the RTP pad). */
static GstIterator *
pass_internal_links (GstPad *pad, GstObject *parent)
{
  MediaRtpPass *self = (MediaRtpPass *) parent;
  GstPad *other = pad == self->srcpad ? self->sinkpad : self->srcpad;
  GValue v = G_VALUE_INIT;
  g_value_init (&v, GST_TYPE_PAD);
  g_value_set_object (&v, other);
  GstIterator *it = gst_iterator_new_single (GST_TYPE_PAD, &v);
  g_value_unset (&v);
  return it;
}

static GstPad *
pass_request_new_pad (GstElement *element, GstPadTemplate *templ, const gchar *name,
                      const GstCaps *caps)
{
  (void) name;
  (void) caps;
  if (templ != gst_element_get_pad_template (element, "sink_rtcp"))
    return NULL;
  GstPad *pad = gst_pad_new_from_template (templ, "sink_rtcp");
  gst_pad_set_chain_function (pad, rtcp_chain);
  gst_pad_set_event_function (pad, rtcp_event);
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
pass_release_pad (GstElement *element, GstPad *pad)
{
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

static void
pass_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  MediaRtpPass *self = (MediaRtpPass *) object;
  switch (id) {
  case PROP_LATENCY:
    self->latency = g_value_get_uint (value);
    break;
  case PROP_DO_RETRANSMISSION:
    self->do_retransmission = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    break;
  }
}

static void
pass_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  MediaRtpPass *self = (MediaRtpPass *) object;
  switch (id) {
  case PROP_LATENCY:
    g_value_set_uint (value, self->latency);
    break;
  case PROP_DO_RETRANSMISSION:
    g_value_set_boolean (value, self->do_retransmission);
    break;
  case PROP_STATS:
    g_value_take_boxed (value, pass_stats (self));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    break;
  }
}

static void
media_rtp_pass_class_init (MediaRtpPassClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = pass_set_property;
  gobject_class->get_property = pass_get_property;
  g_object_class_install_property (gobject_class, PROP_LATENCY,
                                   g_param_spec_uint ("latency", "Latency",
                                                      "Ignored: packets are never held", 0,
                                                      G_MAXUINT, 0,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
    gobject_class, PROP_DO_RETRANSMISSION,
    g_param_spec_boolean ("do-retransmission", "Do retransmission",
                          "Ignored: the end receiver asks for retransmissions", FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
    gobject_class, PROP_STATS,
    g_param_spec_boxed ("stats", "Statistics",
                        "What rtpjitterbuffer's stats say, as far as a pass-through knows it",
                        GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &rtcp_template);
  gst_element_class_set_static_metadata (element_class, "Relay RTP pass-through",
                                         "Filter/Network/RTP",
                                         "Forwards RTP unchanged where rtpbin wants a jitterbuffer",
                                         "telehealth");
  element_class->request_new_pad = pass_request_new_pad;
  element_class->release_pad = pass_release_pad;
}

static void
media_rtp_pass_init (MediaRtpPass *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, pass_chain);
  gst_pad_set_chain_list_function (self->sinkpad, pass_chain_list);
  /* Events, queries, caps and allocation go straight through. */
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_pad_set_iterate_internal_links_function (self->sinkpad, pass_internal_links);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_pad_set_iterate_internal_links_function (self->srcpad, pass_internal_links);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

GstElement *
media_rtp_pass_new (void)
{
  return g_object_new (media_rtp_pass_get_type (), NULL);
}
