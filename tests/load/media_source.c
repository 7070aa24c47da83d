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
 * Keyframe requests: a receiver's PLI becomes an upstream force-key-unit
 * event at its peer's payloader and travels through the tee to vp8enc. With
 * many receivers they come in bursts (every new subscriber asks, rtpvp8depay
 * asks after a loss), and each would make a keyframe for everybody, so we
 * pass at most one per opt.keyframe_gap_ms and drop the rest.
 *
 * The picture is a moving zone plate: unlike the mostly black `ball`
 * (≈ 200 kbit/s at a 1 Mbit/s target) it makes the constant-bitrate encoder
 * spend about its budget (≈ 970 kbit/s measured at 1000), without the cost
 * of `snow` (which overshoots and cannot be encoded at 30 fps on one core).
 * Its frames never repeat and the audio is white noise, so no two packets
 * of a stream carry the same payload (the latency matching in stats.c
 * relies on that).
 */
#include "loadgen.h"

#include <string.h>

static GstElement *tees[N_KINDS];
static gint64 last_keyframe_us;
static atomic_uint keyframes_forced, keyframes_dropped;
/* Encoded buffers that reached each tee: a live source that falls behind
 * (the process starved of CPU) sends fewer, rather than losing any. */
static atomic_ullong produced[N_KINDS];

static GstPadProbeReturn
produced_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  atomic_fetch_add (&produced[GPOINTER_TO_INT (data)], 1);
  return GST_PAD_PROBE_OK;
}

guint64
media_source_produced (Kind kind)
{
  return atomic_load (&produced[kind]);
}

static GstPadProbeReturn
keyframe_limit_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  const GstStructure *s = gst_event_get_structure (event);
  if (s == NULL || !gst_structure_has_name (s, "GstForceKeyUnit"))
    return GST_PAD_PROBE_OK;
  /* Only the video tee's streaming side sees these; one writer at a time is
   * not guaranteed (events come from any receiving thread), hence the
   * object lock. */
  gint64 now = g_get_monotonic_time ();
  gboolean pass;
  GST_OBJECT_LOCK (pad);
  pass = now - last_keyframe_us >= (gint64) opt.keyframe_gap_ms * 1000;
  if (pass)
    last_keyframe_us = now;
  GST_OBJECT_UNLOCK (pad);
  if (pass) {
    atomic_fetch_add (&keyframes_forced, 1);
    return GST_PAD_PROBE_OK;
  }
  atomic_fetch_add (&keyframes_dropped, 1);
  return GST_PAD_PROBE_DROP;
}

GstElement *
media_source_start (GError **error)
{
  /* deadline=1: realtime mode; cpu-used=16: the fastest speed preset;
   * end-usage=cbr with the target bitrate like a browser under steady
   * bandwidth; keyframe-max-dist=60: a keyframe every 2 s at 30 fps, so a
   * receiver whose keyframe request was rate-limited still starts soon.
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
  GstElement *venc = gst_bin_get_by_name (GST_BIN (pipeline), "venc");
  GstPad *src = gst_element_get_static_pad (venc, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, keyframe_limit_probe, NULL, NULL);
  gst_object_unref (src);
  gst_object_unref (venc);
  return pipeline;
}

void
media_source_stop (void)
{
  for (int k = 0; k < N_KINDS; k++)
    gst_clear_object (&tees[k]);
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
media_source_keyframes_forced (void)
{
  return atomic_load (&keyframes_forced);
}

guint
media_source_keyframes_dropped (void)
{
  return atomic_load (&keyframes_dropped);
}
