/* leg_input.c — what a leg's client sends: every incoming src pad of the
 * leg's webrtcbin gets a tee (the relay's fan-out point, see
 * visit_pipeline.c), named by the payload type what it carries
 * (microphone, camera, screen share); screen shares are watched for going
 * quiet (slots.c). */
#include "media/media-private.h"

GST_DEBUG_CATEGORY_EXTERN (media_leg_debug);
#define GST_CAT_DEFAULT media_leg_debug

/* ---- incoming media ---- */

typedef struct {
  MediaSourceKind kind;
  GstElement *tee;
} TeeReady;

static void
tee_ready_free (gpointer p)
{
  TeeReady *t = p;
  gst_object_unref (t->tee);
  g_free (t);
}

static void
discard_element (GstElement *element)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (element));
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (parent != NULL) {
    gst_bin_remove (GST_BIN (parent), element);
    gst_object_unref (parent);
  }
}

static void
do_tee_ready (MediaLeg *leg, gpointer data)
{
  TeeReady *t = data;
  if (leg->closed || leg->visit == NULL) {
    /* The leg went away while the streaming thread built this tee. */
    discard_element (t->tee);
    return;
  }
  if (leg->tee[t->kind] != NULL) {
    /* A second src pad of the same source (the client changed its SSRC):
     * the newest stream wins; the rewrite elements keep it continuous. */
    GST_INFO ("leg %s: new %s stream replaces the old one", leg->participant,
              media_source_name (t->kind));
    media_visit_drop_source (leg->visit, leg, t->kind);
  }
  leg->tee[t->kind] = gst_object_ref (t->tee);
  leg->receiving[t->kind] = TRUE;
  GST_INFO ("leg %s: receiving %s", leg->participant, media_source_name (t->kind));
  if (t->kind == MEDIA_SOURCE_SCREEN)
    media_slots_watch_screens (leg->visit);
  media_visit_update_links (leg->visit);
}

/* What a new src pad carries, by its payload type: each sendrecv m-line has
 * its own (layout.c), the same on every leg. Neither the caps' "media" field
 * (camera and screen are both video) nor the pad's transceiver (in 1.22 it
 * can be the wrong one for SSRCs the remote side never signalled, which is
 * what a relay's peers do) tell them apart. */
static gboolean
pad_source (GstPad *pad, MediaSourceKind *kind)
{
  gint pt = -1;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (caps != NULL && gst_caps_get_size (caps) > 0)
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "payload", &pt);
  if (caps != NULL)
    gst_caps_unref (caps);
  return pt >= 0 && media_layout_source_for_pt ((guint) pt, kind);
}

static void
do_screen_flowing (MediaLeg *leg, gpointer data)
{
  (void) data;
  if (leg->closed || leg->visit == NULL || leg->screen_on)
    return;
  GST_INFO ("leg %s: screen share on", leg->participant);
  leg->screen_on = TRUE;
  media_visit_update_links (leg->visit);
}

void
media_leg_post_screen_flowing (MediaLeg *leg)
{
  media_leg_marshal (leg, do_screen_flowing, NULL, NULL);
}

/* Streaming thread: a screen share is on while its packets come (slots.c
 * turns it off after a quiet spell); the first packet after a quiet spell
 * says so at once. */
static GstPadProbeReturn
screen_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  (void) pad;
  (void) info;
  MediaLeg *leg = user_data;
  atomic_store (&leg->screen_last_us, g_get_monotonic_time ());
  if (atomic_exchange (&leg->screen_flowing, 1) == 0)
    media_leg_post_screen_flowing (leg);
  return GST_PAD_PROBE_OK;
}

/* Streaming thread. The new src pad gets a tee at once: webrtcbin pushes the
 * moment this returns, and an unlinked pad would return not-linked and stop
 * the whole BUNDLE receive (audio and video share one transport).
 * allow-not-linked keeps the tee happy while nobody listens yet. */
void
media_leg_on_pad_added (GstElement *webrtcbin, GstPad *pad, gpointer user_data)
{
  MediaLeg *leg = user_data;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  MediaSourceKind kind;
  if (!pad_source (pad, &kind)) {
    GST_WARNING ("leg %s: src pad %s carries nothing we relay, dropped", leg->participant,
                 GST_PAD_NAME (pad));
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
    GstObject *bin = gst_object_get_parent (GST_OBJECT (webrtcbin));
    if (bin != NULL) {
      gst_bin_add (GST_BIN (bin), sink);
      gst_element_sync_state_with_parent (sink);
      gst_element_link_pads (webrtcbin, GST_PAD_NAME (pad), sink, "sink");
      gst_object_unref (bin);
    } else {
      gst_object_unref (sink);
    }
    return;
  }
  GstObject *bin = gst_object_get_parent (GST_OBJECT (webrtcbin));
  if (bin == NULL)
    return; /* leg already removed from the pipeline */
  GstElement *tee = gst_element_factory_make ("tee", NULL);
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (GST_BIN (bin), tee);
  gst_object_unref (bin);
  gst_element_sync_state_with_parent (tee);
  GstPad *tee_sink = gst_element_get_static_pad (tee, "sink");
  GstPadLinkReturn ret = gst_pad_link (pad, tee_sink);
  if (ret != GST_PAD_LINK_OK)
    GST_WARNING ("leg %s: linking %s to tee failed: %d", leg->participant, GST_PAD_NAME (pad), ret);
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     media_count_rx_probe, media_leg_ref (leg), (GDestroyNotify) media_leg_unref);
  if (kind == MEDIA_SOURCE_SCREEN)
    gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                       screen_probe, media_leg_ref (leg), (GDestroyNotify) media_leg_unref);
  gst_object_unref (tee_sink);

  TeeReady *t = g_new0 (TeeReady, 1);
  t->kind = kind;
  t->tee = gst_object_ref (tee);
  media_leg_marshal (leg, do_tee_ready, t, tee_ready_free);
}
