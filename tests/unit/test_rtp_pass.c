/* test_rtp_pass.c — the relay's stand-in for rtpjitterbuffer (media/rtp_pass.c)
 * on its own, no network: every packet goes through unchanged, and its
 * read-only "stats" (which webrtcbin reads from every jitterbuffer on each
 * stats poll) counts the packets forwarded and the gaps in sequence
 * numbers, across a wrap, without taking a restarted sender for loss. */
#include "media/media-private.h"

#include <gst/rtp/rtp.h>

typedef struct {
  GstElement *pass;
  GstPad *in, *out;
  guint n_out;
} Harness;

static GstFlowReturn
out_chain (GstPad *pad, GstObject *parent G_GNUC_UNUSED, GstBuffer *buf)
{
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");
  h->n_out++;
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static void
harness_init (Harness *h)
{
  GstPad *sink, *src;
  GstSegment segment;
  GstCaps *caps;

  h->n_out = 0;
  h->pass = gst_object_ref_sink (media_rtp_pass_new ());
  h->in = gst_pad_new ("in", GST_PAD_SRC);
  h->out = gst_pad_new ("out", GST_PAD_SINK);
  g_object_set_data (G_OBJECT (h->out), "harness", h);
  gst_pad_set_chain_function (h->out, out_chain);
  sink = gst_element_get_static_pad (h->pass, "sink");
  src = gst_element_get_static_pad (h->pass, "src");
  g_assert_cmpint (gst_pad_link (h->in, sink), ==, GST_PAD_LINK_OK);
  g_assert_cmpint (gst_pad_link (src, h->out), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_pad_set_active (h->in, TRUE);
  gst_pad_set_active (h->out, TRUE);
  g_assert_cmpint (gst_element_set_state (h->pass, GST_STATE_PLAYING), ==,
                   GST_STATE_CHANGE_SUCCESS);
  g_assert_true (gst_pad_push_event (h->in, gst_event_new_stream_start ("s")));
  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                              "clock-rate", G_TYPE_INT, 48000, NULL);
  g_assert_true (gst_pad_push_event (h->in, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_push_event (h->in, gst_event_new_segment (&segment)));
}

static void
harness_clear (Harness *h)
{
  gst_element_set_state (h->pass, GST_STATE_NULL);
  gst_pad_set_active (h->in, FALSE);
  gst_pad_set_active (h->out, FALSE);
  gst_object_unref (h->pass);
  gst_object_unref (h->in);
  gst_object_unref (h->out);
}

static void
push_seq (Harness *h, guint16 seq)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (4, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 111);
  gst_rtp_buffer_set_ssrc (&rtp, 0x1234);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_unmap (&rtp);
  g_assert_cmpint (gst_pad_push (h->in, buf), ==, GST_FLOW_OK);
}

/* The stats as webrtcbin reads them: every field rtpjitterbuffer has. */
static void
read_stats (Harness *h, guint64 *pushed, guint64 *lost)
{
  GstStructure *stats = NULL;
  guint64 late = 1, dup = 1, jitter = 1, rtx = 1, rtx_ok = 1, rtx_rtt = 1;
  gdouble rtx_per = 1;

  g_object_get (h->pass, "stats", &stats, NULL);
  g_assert_nonnull (stats);
  g_assert_true (gst_structure_get (stats, "num-pushed", G_TYPE_UINT64, pushed,
                                    "num-lost", G_TYPE_UINT64, lost,
                                    "num-late", G_TYPE_UINT64, &late,
                                    "num-duplicates", G_TYPE_UINT64, &dup,
                                    "avg-jitter", G_TYPE_UINT64, &jitter,
                                    "rtx-count", G_TYPE_UINT64, &rtx,
                                    "rtx-success-count", G_TYPE_UINT64, &rtx_ok,
                                    "rtx-per-packet", G_TYPE_DOUBLE, &rtx_per,
                                    "rtx-rtt", G_TYPE_UINT64, &rtx_rtt, NULL));
  g_assert_cmpuint (late + dup + jitter + rtx + rtx_ok + rtx_rtt, ==, 0);
  g_assert_cmpfloat (rtx_per, ==, 0.0);
  gst_structure_free (stats);
}

static void
test_stats (void)
{
  Harness h;
  guint64 pushed = 99, lost = 99;
  GParamSpec *spec;

  harness_init (&h);
  spec = g_object_class_find_property (G_OBJECT_GET_CLASS (h.pass), "stats");
  g_assert_nonnull (spec);
  g_assert_false (spec->flags & G_PARAM_WRITABLE);
  read_stats (&h, &pushed, &lost);
  g_assert_cmpuint (pushed, ==, 0);
  g_assert_cmpuint (lost, ==, 0);

  /* 65530..65535, then 0 and 2 across the wrap: 1 is missing. */
  for (guint seq = 65530; seq <= 65535; seq++)
    push_seq (&h, (guint16) seq);
  push_seq (&h, 0);
  push_seq (&h, 2);
  read_stats (&h, &pushed, &lost);
  g_assert_cmpuint (pushed, ==, 8);
  g_assert_cmpuint (lost, ==, 1);
  /* It arrives late (reordered): not lost after all. An older one again
   * (a duplicate) does not make loss negative. */
  push_seq (&h, 1);
  push_seq (&h, 65535);
  read_stats (&h, &pushed, &lost);
  g_assert_cmpuint (pushed, ==, 10);
  g_assert_cmpuint (lost, ==, 0);

  /* A sender that restarts far ahead is not loss; a gap after it is. */
  push_seq (&h, 30000);
  push_seq (&h, 30001);
  push_seq (&h, 30004);
  read_stats (&h, &pushed, &lost);
  g_assert_cmpuint (pushed, ==, 13);
  g_assert_cmpuint (lost, ==, 2);
  g_assert_cmpuint (h.n_out, ==, 13);  /* everything went through */
  harness_clear (&h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/rtp-pass/stats", test_stats);
  return g_test_run ();
}
