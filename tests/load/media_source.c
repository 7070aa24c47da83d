/* media_source.c — the process's only encoders.
 *
 *   videotestsrc is-live ─ vp8enc ─ queue ─ tee(video) ─▶ each client's rtpvp8pay
 *   audiotestsrc is-live ─ opusenc ─ queue ─ tee(audio) ─▶ each client's rtpopuspay
 *
 * Encoding once for everybody keeps the load generator cheap, so what we
 * measure is the server. The queue after each encoder moves the fan-out
 * (payloading, SRTP and sending for every client) to its own thread, so the
 * encoder is never held up by it.
 *
 * Keyframe requests are answered per client, like a browser's own encoder
 * would: a receiver's PLI becomes an upstream force-key-unit event at its
 * peer's payloader, which stops at that client's tee pad (it never reaches
 * the shared vp8enc), and the next frame that client sends is the encoder's
 * latest keyframe, kept here, in place of its delta frame. A client's first
 * frame is such a keyframe too (a browser starts with one). So a request
 * costs the other clients nothing and is never missed: the first-frame
 * figure is the server's time to get a keyframe to a new viewer, not the
 * shared encoder's. A client answers a request at once unless it answered
 * one less than opt.keyframe_gap_ms ago; then the request waits for the end
 * of the gap (it is not dropped). The gap keeps requests that follow each
 * other (the server's on linking, the receivers' depayloaders' while they
 * wait) from making back-to-back keyframes: each is ~36 packets sent at once
 * (no pacer here, unlike a browser), and a starved server's UDP receive
 * buffer overflows on a few of them (RcvbufErrors, seen as loss). The first
 * keyframe and the encoder's periodic ones do not start a gap: the server's
 * request when it links a receiver usually comes just after the first, and
 * must not wait.
 * Why not an encoder per client: 40 VP8 encoders at 640x480 for N = 20
 * would need more than the machine's two cores; this costs one buffer copy
 * per request. Each answered request does add a keyframe's bytes (~40 KB)
 * to that client's stream above the encoder's budget, as a browser's
 * keyframe would.
 * The price: the delta frames after an injected keyframe were encoded
 * against the shared stream's previous frame, not against it, so a decoder
 * (--decode) shows a smeared picture until the encoder's next periodic
 * keyframe (at most 2 s). The relay never decodes, frame counts and sizes
 * are those of real VP8, and --decode's vp8dec decodes it without error.
 *
 * The picture is a moving zone plate: unlike the mostly black `ball`
 * (≈ 200 kbit/s at a 1 Mbit/s target) it makes the constant-bitrate encoder
 * spend about its budget (≈ 970 kbit/s measured at 1000), without the cost
 * of `snow` (which overshoots and cannot be encoded at 30 fps on one core).
 * Its frames never repeat and the audio is white noise, so no two packets
 * of a stream carry the same payload (the latency matching in stats.c
 * relies on that), but for an injected keyframe, which repeats one sent up
 * to 2 s before: stats.c checks the sequence number as well and takes the
 * newest match, so it is matched to its own send time.
 */
#include "loadgen.h"

#include <string.h>

static GstElement *tees[N_KINDS];
/* The encoder's latest keyframe. Written and read only by the video tee's
 * streaming thread (the tee pushes to every client's pad from the thread
 * that pushes into it), so it needs no lock. */
static GstBuffer *last_keyframe;
static atomic_uint keyframe_requests, keyframes_injected;
/* Encoded buffers that reached each tee: a live source that falls behind
 * (the process starved of CPU) sends fewer, rather than losing any. */
static atomic_ullong produced[N_KINDS];

static GstPadProbeReturn
produced_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  Kind kind = GPOINTER_TO_INT (data);
  atomic_fetch_add (&produced[kind], 1);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (kind == KIND_VIDEO && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    gst_buffer_replace (&last_keyframe, buf);
  return GST_PAD_PROBE_OK;
}

guint64
media_source_produced (Kind kind)
{
  return atomic_load (&produced[kind]);
}

/* One client's video tee pad: want_keyframe is set by its keyframe requests
 * (any thread) and taken by the tee's streaming thread, the only one that
 * touches last_key_us. */
typedef struct {
  atomic_bool want_keyframe;
  gint64 last_key_us;  /* when this client last answered a request, 0: never */
  gboolean started;    /* its first frame went out */
} Branch;

static gboolean
is_force_key_unit (GstEvent *event)
{
  const GstStructure *s = gst_event_get_structure (event);
  return GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && s != NULL &&
         gst_structure_has_name (s, "GstForceKeyUnit");
}

static GstPadProbeReturn
branch_request_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  Branch *b = data;
  if (!is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (info)))
    return GST_PAD_PROBE_OK;
  atomic_fetch_add (&keyframe_requests, 1);
  atomic_store (&b->want_keyframe, TRUE);
  /* Answered here, for this client alone: the shared encoder never sees it. */
  return GST_PAD_PROBE_DROP;
}

static GstPadProbeReturn
branch_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  Branch *b = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 now = g_get_monotonic_time ();
  gboolean first = !b->started;
  b->started = TRUE;
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    /* The encoder's own keyframe answers any request. */
    atomic_store (&b->want_keyframe, FALSE);
    return GST_PAD_PROBE_OK;
  }
  if (!atomic_load (&b->want_keyframe) || last_keyframe == NULL ||
      (!first && b->last_key_us != 0 &&
       now - b->last_key_us < (gint64) opt.keyframe_gap_ms * 1000))
    return GST_PAD_PROBE_OK;
  atomic_store (&b->want_keyframe, FALSE);
  if (!first)
    b->last_key_us = now;
  /* The cached keyframe's data (shared, not copied) at this frame's time. */
  GstBuffer *key = gst_buffer_copy (last_keyframe);
  GST_BUFFER_PTS (key) = GST_BUFFER_PTS (buf);
  GST_BUFFER_DTS (key) = GST_BUFFER_DTS (buf);
  GST_BUFFER_DURATION (key) = GST_BUFFER_DURATION (buf);
  GST_BUFFER_OFFSET (key) = GST_BUFFER_OFFSET (buf);
  GST_BUFFER_OFFSET_END (key) = GST_BUFFER_OFFSET_END (buf);
  gst_buffer_unref (buf);
  GST_PAD_PROBE_INFO_DATA (info) = key;
  atomic_fetch_add (&keyframes_injected, 1);
  return GST_PAD_PROBE_OK;
}

GstElement *
media_source_start (GError **error)
{
  /* deadline=1: realtime mode; cpu-used=16: the fastest speed preset;
   * end-usage=cbr with the target bitrate like a browser under steady
   * bandwidth; keyframe-max-dist=60: a keyframe every 2 s at 30 fps, which
   * also bounds how long a picture stays smeared after an injected one.
   * The whole pipeline comes from one description: the tees and every
   * client's elements must share one bin to link without ghost pads. */
  gchar *desc = g_strdup_printf (
      "videotestsrc is-live=true pattern=zone-plate kt=2 kx2=20 ky2=20 "
      "! video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 "
      "! vp8enc name=venc deadline=1 cpu-used=16 end-usage=cbr target-bitrate=%d "
      "keyframe-max-dist=60 threads=1 error-resilient=partitions "
      "! queue max-size-buffers=30 max-size-time=0 max-size-bytes=0 "
      "! tee name=vtee allow-not-linked=true "
      "audiotestsrc is-live=true wave=white-noise volume=0.2 samplesperbuffer=960 "
      "! audio/x-raw,rate=48000,channels=1 ! audioconvert "
      "! opusenc bitrate=32000 frame-size=20 "
      "! queue max-size-buffers=50 max-size-time=0 max-size-bytes=0 "
      "! tee name=atee allow-not-linked=true",
      opt.width, opt.height, opt.fps, opt.bitrate_kbps * 1000);
  GstElement *pipeline = gst_parse_launch (desc, error);
  g_free (desc);
  if (pipeline == NULL)
    return NULL;
  tees[KIND_VIDEO] = gst_bin_get_by_name (GST_BIN (pipeline), "vtee");
  tees[KIND_AUDIO] = gst_bin_get_by_name (GST_BIN (pipeline), "atee");

  for (int k = 0; k < N_KINDS; k++) {
    GstPad *sink = gst_element_get_static_pad (tees[k], "sink");
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, produced_probe, GINT_TO_POINTER (k), NULL);
    gst_object_unref (sink);
  }
  return pipeline;
}

void
media_source_stop (void)
{
  for (int k = 0; k < N_KINDS; k++)
    gst_clear_object (&tees[k]);
  gst_clear_buffer (&last_keyframe);
}

GstPad *
media_source_attach (Kind kind, GstPad *payloader_sink)
{
  GstPad *tee_pad = gst_element_request_pad_simple (tees[kind], "src_%u");
  if (tee_pad == NULL)
    return NULL;
  if (gst_pad_link (tee_pad, payloader_sink) != GST_PAD_LINK_OK) {
    gst_element_release_request_pad (tees[kind], tee_pad);
    gst_object_unref (tee_pad);
    return NULL;
  }
  if (kind == KIND_VIDEO) {
    /* Set before the first buffer: the client's first frame is a keyframe. */
    Branch *b = g_new0 (Branch, 1);
    atomic_store (&b->want_keyframe, TRUE);
    gst_pad_add_probe (tee_pad, GST_PAD_PROBE_TYPE_BUFFER, branch_buffer_probe, b, NULL);
    gst_pad_add_probe (tee_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, branch_request_probe, b,
                       g_free);
  }
  return tee_pad;
}

void
media_source_detach (Kind kind, GstPad *tee_pad)
{
  GstPad *peer = gst_pad_get_peer (tee_pad);
  if (peer != NULL) {
    gst_pad_unlink (tee_pad, peer);
    gst_object_unref (peer);
  }
  gst_element_release_request_pad (tees[kind], tee_pad);
  gst_object_unref (tee_pad);
}

guint
media_source_keyframe_requests (void)
{
  return atomic_load (&keyframe_requests);
}

guint
media_source_keyframes_injected (void)
{
  return atomic_load (&keyframes_injected);
}
