/* test_rtp_rewrite.c — the relay's rewrite element (media/rtp_rewrite.c) on
 * its own, no network: what goes out has the destination m-line's payload
 * type and SSRC and caps; sequence numbers and timestamps run on without a
 * jump when the source changes (new stream, or just a new SSRC); a keyframe
 * request from downstream reaches the source with the source's SSRC. */
#include "media/media-private.h"

#include <gst/rtp/rtp.h>
#include <string.h>

#define OUT_PT 98
#define OUT_SSRC 0xabcdef01u

typedef struct {
  GstElement *rewrite;
  GstPad *in;             /* feeds the rewrite's sink */
  GstPad *out;            /* takes what the rewrite sends */
  GPtrArray *buffers;     /* what came out */
  GstCaps *out_caps;      /* the last caps event that came out */
  GstStructure *upstream; /* the last upstream custom event that came back */
} Harness;

static GstFlowReturn
out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  (void) parent;
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");
  g_ptr_array_add (h->buffers, buf);
  return GST_FLOW_OK;
}

static gboolean
out_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  (void) parent;
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps (event, &caps);
    gst_caps_replace (&h->out_caps, caps);
  }
  gst_event_unref (event);
  return TRUE;
}

static gboolean
out_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  /* Like webrtcbin's sink pad: only the m-line's own caps are accepted. */
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");
  GstCaps *mine = g_object_get_data (G_OBJECT (h->out), "accept");
  if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps *caps;
    gst_query_parse_accept_caps (query, &caps);
    gst_query_set_accept_caps_result (query, gst_caps_can_intersect (caps, mine));
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    gst_query_set_caps_result (query, mine);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
in_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  (void) parent;
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM) {
    g_clear_pointer (&h->upstream, gst_structure_free);
    h->upstream = gst_structure_copy (gst_event_get_structure (event));
  }
  gst_event_unref (event);
  return TRUE;
}

static void
harness_init (Harness *h)
{
  memset (h, 0, sizeof *h);
  GstCaps *caps = media_layout_caps (4, OUT_SSRC);  /* remote slot 1's camera: VP8, pt 98 */
  h->rewrite = gst_object_ref_sink (media_rtp_rewrite_new (caps));
  h->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  h->in = gst_pad_new ("in", GST_PAD_SRC);
  h->out = gst_pad_new ("out", GST_PAD_SINK);
  g_object_set_data (G_OBJECT (h->in), "harness", h);
  g_object_set_data (G_OBJECT (h->out), "harness", h);
  g_object_set_data_full (G_OBJECT (h->out), "accept", caps, (GDestroyNotify) gst_caps_unref);
  gst_pad_set_event_function (h->in, in_event);
  gst_pad_set_chain_function (h->out, out_chain);
  gst_pad_set_event_function (h->out, out_event);
  gst_pad_set_query_function (h->out, out_query);
  GstPad *sink = gst_element_get_static_pad (h->rewrite, "sink");
  GstPad *src = gst_element_get_static_pad (h->rewrite, "src");
  g_assert_cmpint (gst_pad_link (h->in, sink), ==, GST_PAD_LINK_OK);
  g_assert_cmpint (gst_pad_link (src, h->out), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_pad_set_active (h->in, TRUE);
  gst_pad_set_active (h->out, TRUE);
  g_assert_cmpint (gst_element_set_state (h->rewrite, GST_STATE_PLAYING), ==,
                   GST_STATE_CHANGE_SUCCESS);
}

static void
harness_clear (Harness *h)
{
  gst_element_set_state (h->rewrite, GST_STATE_NULL);
  gst_pad_set_active (h->in, FALSE);
  gst_pad_set_active (h->out, FALSE);
  gst_object_unref (h->rewrite);
  gst_object_unref (h->in);
  gst_object_unref (h->out);
  g_ptr_array_unref (h->buffers);
  gst_clear_caps (&h->out_caps);
  g_clear_pointer (&h->upstream, gst_structure_free);
}

/* A new source starts: stream-start, its caps (its own payload type and
 * SSRC), a segment. */
static void
start_stream (Harness *h, const char *id, guint pt, guint32 ssrc)
{
  g_assert_true (gst_pad_push_event (h->in, gst_event_new_stream_start (id)));
  GstCaps *caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "video",
                                       "encoding-name", G_TYPE_STRING, "VP8",
                                       "payload", G_TYPE_INT, (gint) pt,
                                       "clock-rate", G_TYPE_INT, 90000,
                                       "ssrc", G_TYPE_UINT, ssrc, NULL);
  g_assert_true (gst_pad_push_event (h->in, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_push_event (h->in, gst_event_new_segment (&segment)));
}

static void
push_rtp (Harness *h, guint pt, guint32 ssrc, guint16 seq, guint32 ts)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (12, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, (guint8) pt);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_unmap (&rtp);
  g_assert_cmpint (gst_pad_push (h->in, buf), ==, GST_FLOW_OK);
}

typedef struct {
  guint pt;
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
} Header;

static Header
out_header (Harness *h, guint i)
{
  Header hd;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  g_assert_cmpuint (i, <, h->buffers->len);
  g_assert_true (gst_rtp_buffer_map (h->buffers->pdata[i], GST_MAP_READ, &rtp));
  hd.pt = gst_rtp_buffer_get_payload_type (&rtp);
  hd.ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  hd.seq = gst_rtp_buffer_get_seq (&rtp);
  hd.ts = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return hd;
}

static void
test_rewrite (void)
{
  Harness h;
  harness_init (&h);

  /* Source A (the camera, payload 96) on this viewer's slot 1 (98). */
  start_stream (&h, "a", 96, 0x1111);
  for (guint i = 0; i < 5; i++)
    push_rtp (&h, 96, 0x1111, (guint16) (65533 + i), 1000 + 3000 * i);  /* wraps */
  g_assert_cmpuint (h.buffers->len, ==, 5);
  g_assert_nonnull (h.out_caps);
  const GstStructure *s = gst_caps_get_structure (h.out_caps, 0);
  gint pt = 0;
  guint ssrc = 0;
  g_assert_true (gst_structure_get_int (s, "payload", &pt) && pt == OUT_PT);
  g_assert_true (gst_structure_get_uint (s, "ssrc", &ssrc) && ssrc == OUT_SSRC);
  for (guint i = 0; i < 5; i++) {
    Header hd = out_header (&h, i);
    g_assert_cmpuint (hd.pt, ==, OUT_PT);
    g_assert_cmpuint (hd.ssrc, ==, OUT_SSRC);
    /* The first source keeps its own numbers. */
    g_assert_cmpuint (hd.seq, ==, (guint16) (65533 + i));
    g_assert_cmpuint (hd.ts, ==, 1000 + 3000 * i);
  }

  /* A keyframe request from downstream (the viewer's PLI) goes to A. */
  GstStructure *fku = gst_structure_new ("GstForceKeyUnit", "ssrc", G_TYPE_UINT, OUT_SSRC,
                                         "all-headers", G_TYPE_BOOLEAN, TRUE, NULL);
  g_assert_true (gst_pad_push_event (h.out, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, fku)));
  g_assert_nonnull (h.upstream);
  g_assert_true (gst_structure_has_name (h.upstream, "GstForceKeyUnit"));
  g_assert_true (gst_structure_get_uint (h.upstream, "ssrc", &ssrc));
  g_assert_cmpuint (ssrc, ==, 0x1111);

  /* Source B takes the slot (A reconnected with a new leg): its numbers
   * are far away, what goes out follows on from A's last packet. */
  Header last = out_header (&h, 4);
  g_usleep (20000);
  start_stream (&h, "b", 96, 0x2222);
  for (guint i = 0; i < 5; i++)
    push_rtp (&h, 96, 0x2222, (guint16) (40000 + i), 7777777 + 3000 * i);
  g_assert_cmpuint (h.buffers->len, ==, 10);
  Header first_b = out_header (&h, 5);
  g_assert_cmpuint (first_b.ssrc, ==, OUT_SSRC);
  g_assert_cmpuint (first_b.seq, ==, (guint16) (last.seq + 1));
  /* 20 ms or more passed: at least 1800 ticks of 90 kHz, and not absurd. */
  guint32 step = first_b.ts - last.ts;
  g_assert_cmpuint (step, >=, 1800);
  g_assert_cmpuint (step, <, 90000 * 5);
  for (guint i = 6; i < 10; i++) {
    Header hd = out_header (&h, i);
    g_assert_cmpuint (hd.seq, ==, (guint16) (first_b.seq + (i - 5)));
    g_assert_cmpuint (hd.ts, ==, first_b.ts + 3000 * (i - 5));
  }

  /* A reordered packet of B keeps its place; the next switch follows the
   * highest number sent, not the late one. */
  push_rtp (&h, 96, 0x2222, 40002, 7777777 + 6000);
  Header late = out_header (&h, 10);
  g_assert_cmpuint (late.seq, ==, (guint16) (first_b.seq + 2));
  /* A new SSRC without a new stream (the client restarted its sender) is a
   * new source too. */
  push_rtp (&h, 96, 0x3333, 9, 5);
  Header first_c = out_header (&h, 11);
  g_assert_cmpuint (first_c.seq, ==, (guint16) (first_b.seq + 5));
  g_assert_cmpint ((gint32) (first_c.ts - (first_b.ts + 3000 * 4)), >, 0);

  /* Keyframe requests now name the newest source. */
  fku = gst_structure_new ("GstForceKeyUnit", "ssrc", G_TYPE_UINT, OUT_SSRC, NULL);
  g_assert_true (gst_pad_push_event (h.out, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, fku)));
  g_assert_true (gst_structure_get_uint (h.upstream, "ssrc", &ssrc));
  g_assert_cmpuint (ssrc, ==, 0x3333);

  harness_clear (&h);
}

/* The layout the rewrite elements and the offers share. */
static void
test_layout (void)
{
  MediaMline m;
  g_assert_cmpuint (media_layout_n_mlines (1), ==, 3);
  g_assert_cmpuint (media_layout_n_mlines (MEDIA_MAX_REMOTE_SLOTS), ==, MEDIA_MAX_MLINES);
  guint seen_pt[128] = { 0 };
  for (guint i = 0; i < MEDIA_MAX_MLINES; i++) {
    media_layout_mline (i, &m);
    g_assert_cmpuint (seen_pt[m.pt]++, ==, 0);  /* one payload type per m-line */
    g_assert_cmpint (m.sendrecv, ==, i < 3);
    if (m.slot >= 0)
      g_assert_cmpuint (media_layout_slot_mline ((guint) m.slot, m.source), ==, i);
  }
  media_layout_mline (MEDIA_MLINE_SCREEN, &m);
  g_assert_true (m.video && m.source == MEDIA_SOURCE_SCREEN && m.slot == -1);
  media_layout_mline (3, &m);
  g_assert_true (!m.video && m.slot == 1 && m.pt == 112);
  media_layout_mline (4, &m);
  g_assert_true (m.video && m.slot == 1 && m.pt == 98);
  MediaSourceKind k;
  g_assert_true (media_layout_source_for_pt (97, &k) && k == MEDIA_SOURCE_SCREEN);
  g_assert_false (media_layout_source_for_pt (98, &k));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/rtp-rewrite", test_rewrite);
  g_test_add_func ("/media/layout", test_layout);
  int ret = g_test_run ();
  gst_deinit ();
  return ret;
}
