/* visit_pipeline.c — MediaVisit: one GstPipeline per visit, the relay links
 * between its legs, and teardown.
 *
 * Relay path for source K (microphone, camera, screen) of leg S to m-line M
 * of leg D:
 *
 *   S.webrtcbin src ─▶ S.tee[K] ─▶ D.relay_in[M].rewrite ─▶ D.webrtcbin sink_pad[M]
 *
 * Which S and K feed which M follows the slots (slots.c). S.tee[K] exists
 * from the moment S's client media arrives (leg.c, on_pad_added). The
 * rewrite → sink link is made only when D is CONNECTED: webrtcbin sink pads
 * block until their transport is negotiated, and a blocked pad would stall
 * S's streaming thread and with it all of S's incoming media. Whichever
 * comes later (tee, slot or connection) triggers media_visit_update_links.
 * The rewrite element then stays linked to its sink pad; only its input
 * moves from tee to tee, so the m-line's stream stays continuous.
 *
 * All functions here run on the visit's main context.
 */
#include "media/lean-private.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (media_visit_debug);
#define GST_CAT_DEFAULT media_visit_debug

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  (void) bus;
  MediaVisit *visit = user_data;
  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ERROR:
  case GST_MESSAGE_WARNING: {
    GError *err = NULL;
    gchar *dbg = NULL;
    gboolean is_error = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR;
    if (is_error)
      gst_message_parse_error (msg, &err, &dbg);
    else
      gst_message_parse_warning (msg, &err, &dbg);
    g_message ("visit %s: %s from %s: %s (%s)", visit->id, is_error ? "error" : "warning",
               GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message, dbg ? dbg : "");
    /* An error inside one leg's webrtcbin fails that leg, not the visit: the
     * other participant keeps their media and the owner may replace the leg. */
    if (is_error) {
      for (GList *l = visit->legs; l != NULL; l = l->next) {
        MediaLeg *leg = l->data;
        if (gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg), GST_OBJECT (leg->webrtcbin)) ||
            GST_MESSAGE_SRC (msg) == GST_OBJECT (leg->webrtcbin))
          media_leg_set_state (leg, MEDIA_LEG_FAILED);
      }
    }
    g_clear_error (&err);
    g_free (dbg);
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

MediaVisit *
media_visit_new (const char *visit_id, const MediaConfig *config, GError **error)
{
  g_return_val_if_fail (visit_id != NULL && config != NULL, NULL);
  if (!gst_is_initialized () && !gst_init_check (NULL, NULL, error))
    return NULL;
  if (media_visit_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (media_visit_debug, "mediavisit", 0, "telehealth media visit");

  MediaVisit *visit = g_new0 (MediaVisit, 1);
  visit->id = g_strdup (visit_id);
  visit->engine = config->engine == MEDIA_ENGINE_DEFAULT ? media_engine_default () : config->engine;
  if (config->ice_addresses != NULL && config->ice_addresses[0] != NULL)
    visit->ice_addresses = g_strdupv (config->ice_addresses);
  visit->stun_server = g_strdup (config->stun_server);
  visit->jitter_latency_ms = config->jitter_latency_ms;
  visit->port_min = config->port_min;
  visit->port_max = config->port_max;
  visit->remote_slots = config->remote_slots == 0
                          ? MEDIA_DEFAULT_REMOTE_SLOTS
                          : CLAMP (config->remote_slots, 1, MEDIA_MAX_REMOTE_SLOTS);
  visit->n_mlines = media_layout_n_mlines (visit->remote_slots);
  visit->slot_memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  visit->context = g_main_context_ref_thread_default ();
  if (visit->engine == MEDIA_ENGINE_LEAN) {
    if (!lean_visit_init (visit, error)) {
      media_visit_free (visit);
      return NULL;
    }
    return visit;
  }

  gchar *name = g_strdup_printf ("visit-%s", visit_id);
  GstElement *pipeline = gst_pipeline_new (name);
  g_free (name);
  if (pipeline == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "cannot create a pipeline");
    media_visit_free (visit);
    return NULL;
  }
  visit->pipeline = gst_object_ref_sink (pipeline);

  /* The bus watch lives on the visit's context, so errors are seen on the
   * same thread that owns the legs. */
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  visit->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (visit->bus_source, (GSourceFunc) (void (*) (void)) on_bus_message, visit,
                         NULL);
  g_source_attach (visit->bus_source, visit->context);
  gst_object_unref (bus);

  /* The pipeline runs from the start, empty: each leg joins it already
   * PLAYING, so all legs share one clock and one base time and relayed
   * timestamps mean the same thing on both sides. */
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "the visit pipeline does not start");
    media_visit_free (visit);
    return NULL;
  }
  return visit;
}

guint
media_visit_leg_count (MediaVisit *visit)
{
  return g_list_length (visit->legs);
}

MediaLeg *
media_visit_add_leg (MediaVisit *visit, const char *participant_id,
                     const MediaLegCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail (visit != NULL && participant_id != NULL, NULL);
  if (visit->engine == MEDIA_ENGINE_LEAN)
    return lean_visit_add_leg (visit, participant_id, callbacks, user_data, error);
  MediaLeg *leg = media_leg_new (visit, participant_id, callbacks, user_data, error);
  if (leg == NULL)
    return NULL;
  visit->legs = g_list_append (visit->legs, leg); /* the visit owns the first ref */
  /* Its slots for those already sending, so that the report right after
   * its offer already names them. */
  media_slots_assign (visit);
  return leg;
}

/* ---- relay links ---- */

static void
discard_element (MediaVisit *visit, GstElement *element)
{
  /* Locked so a concurrent state change of the pipeline cannot bring it back
   * up between set_state and remove. */
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (element) == GST_OBJECT (visit->pipeline))
    gst_bin_remove (GST_BIN (visit->pipeline), element);
}

static void
request_keyframe (GstPad *tee_pad)
{
  /* Upstream GstForceKeyUnit (the structure gst_video_event_new_upstream_
   * force_key_unit builds; spelled out to stay off libgstvideo). Sent into
   * the tee's src pad, it travels tee → webrtcbin → rtpbin, whose session
   * turns it into an RTCP PLI to the sending client: the new viewer gets a
   * keyframe now instead of at the encoder's next periodic one (which can
   * take seconds). */
  GstStructure *s = gst_structure_new ("GstForceKeyUnit", "running-time", GST_TYPE_CLOCK_TIME,
                                       GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN, TRUE,
                                       "count", G_TYPE_UINT, 0, NULL);
  gst_pad_send_event (tee_pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

typedef struct {
  MediaLeg *dst; /* ref */
  guint mline;
  GstPad *tee_pad; /* ref; the relay this retry belongs to */
} KeyframeRetry;

static void
keyframe_retry_free (gpointer data)
{
  KeyframeRetry *kr = data;
  gst_object_unref (kr->tee_pad);
  media_leg_unref (kr->dst);
  g_free (kr);
}

static gboolean
keyframe_retry (gpointer data)
{
  KeyframeRetry *kr = data;
  /* Only while the same relay is still in place (not unlinked, relinked, or
   * its visit freed: closed legs are never touched again). */
  if (!kr->dst->closed && kr->dst->relay_in[kr->mline].tee_pad == kr->tee_pad)
    request_keyframe (kr->tee_pad);
  return G_SOURCE_REMOVE;
}

/* A single keyframe request at link time is easily lost: the sender's RTP
 * session may not have exchanged RTCP yet (its PLI goes out with the first
 * compound RTCP packet), the sending client may still be ramping up, and a
 * PLI on UDP can simply be dropped. The receiver then waits for the
 * encoder's next periodic keyframe, seconds later (a reconnect test saw a
 * viewer without a picture for 10 s). So ask again a few times; a keyframe
 * more is cheap next to a black screen. */
static const guint keyframe_retry_ms[] = { 300, 1000, 2500 };

static void
request_keyframes (MediaVisit *visit, MediaLeg *dst, guint mline, GstPad *tee_pad)
{
  request_keyframe (tee_pad);
  for (gsize i = 0; i < G_N_ELEMENTS (keyframe_retry_ms); i++) {
    KeyframeRetry *kr = g_new0 (KeyframeRetry, 1);
    kr->dst = media_leg_ref (dst);
    kr->mline = mline;
    kr->tee_pad = gst_object_ref (tee_pad);
    GSource *source = g_timeout_source_new (keyframe_retry_ms[i]);
    g_source_set_callback (source, keyframe_retry, kr, keyframe_retry_free);
    g_source_set_static_name (source, "media-keyframe-retry");
    g_source_attach (source, visit->context);
    g_source_unref (source);
  }
}

/* The m-line's rewrite element, linked to its sink pad; made at the first
 * link (the destination is CONNECTED by then, so the sink pad no longer
 * blocks) and kept for the leg's life. */
static GstElement *
relay_rewrite (MediaVisit *visit, MediaLeg *dst, guint mline)
{
  MediaRelay *r = &dst->relay_in[mline];
  if (r->rewrite != NULL)
    return r->rewrite;
  GstCaps *caps = media_layout_caps (mline, dst->ssrc[mline]);
  GstElement *rewrite = media_rtp_rewrite_new (caps);
  gst_caps_unref (caps);
  gst_bin_add (GST_BIN (visit->pipeline), rewrite);
  gst_element_sync_state_with_parent (rewrite);
  GstPad *src = gst_element_get_static_pad (rewrite, "src");
  GstPadLinkReturn ret = gst_pad_link (src, dst->sink_pad[mline]);
  gst_object_unref (src);
  if (ret != GST_PAD_LINK_OK) {
    GST_WARNING ("leg %s m-line %u: rewrite does not link to webrtcbin (%d)", dst->participant,
                 mline, ret);
    discard_element (visit, rewrite);
    return NULL;
  }
  r->rewrite = gst_object_ref (rewrite);
  return rewrite;
}

/* The relay link is tee → rewrite → sink pad, no queue: the link is made
 * only once the destination is CONNECTED, when its sink pad no longer
 * blocks, and nothing downstream of it blocks either (webrtcbin's dtlsenc
 * queues the encrypted packets for its own sending thread; the nicesink is
 * unsynced, see leg.c), so the source leg's streaming thread carries each
 * packet through the destination's RTP session and SRTP without a hand-off.
 * A queue here cost a thread per relayed stream (4 per visit) and a thread
 * hand-off per packet: at 10 visits, 15 s, it added about 1 context switch
 * per relayed packet (3.0 vs 2.0) and ~40 threads, with CPU per packet up
 * ~10% (270 vs 245 µs, noisy machine). */
static gboolean
link_relay (MediaVisit *visit, MediaLeg *src, MediaLeg *dst, guint mline, MediaSourceKind kind)
{
  MediaRelay *r = &dst->relay_in[mline];
  GstElement *rewrite = relay_rewrite (visit, dst, mline);
  if (rewrite == NULL)
    return FALSE;
  GstPad *tee_pad = gst_element_request_pad_simple (src->tee[kind], "src_%u");
  if (tee_pad == NULL) {
    GST_WARNING ("tee of leg %s %s: no request pad", src->participant, media_source_name (kind));
    return FALSE;
  }
  gst_pad_add_probe (tee_pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     media_count_tx_probe, media_leg_ref (dst), (GDestroyNotify) media_leg_unref);
  GstPad *sink = gst_element_get_static_pad (rewrite, "sink");
  GstPadLinkReturn ret = gst_pad_link (tee_pad, sink);
  gst_object_unref (sink);
  if (ret != GST_PAD_LINK_OK) {
    GST_WARNING ("tee of leg %s %s to leg %s m-line %u: link failed (%d)", src->participant,
                 media_source_name (kind), dst->participant, mline, ret);
    gst_element_release_request_pad (src->tee[kind], tee_pad);
    gst_object_unref (tee_pad);
    return FALSE;
  }
  r->source = media_leg_ref (src);
  r->kind = kind;
  r->tee_pad = tee_pad;
  GST_INFO ("relay %s: %s -> %s m-line %u", media_source_name (kind), src->participant,
            dst->participant, mline);
  /* No gst_bin_recalculate_latency here (there used to be one on every
   * link): its only purpose was to hand the destination's RTP session a
   * latency for its sender-report running times. The legs now set rtpbin's
   * rtcp-sync-send-time to FALSE, which needs no latency, and unsync their
   * nicesinks, so the pipeline latency does not delay anything. Recalculating
   * made synced sinks hold packets (the load generator saw +20 ms audio,
   * +33 ms video) and walks the whole pipeline on every link. */
  if (kind != MEDIA_SOURCE_MIC)
    request_keyframes (visit, dst, mline, tee_pad);
  return TRUE;
}

static void
unlink_relay (MediaVisit *visit, MediaLeg *dst, guint mline)
{
  MediaRelay *r = &dst->relay_in[mline];
  if (r->source == NULL)
    return;
  GST_INFO ("unrelay %s: %s -> %s m-line %u", media_source_name (r->kind), r->source->participant,
            dst->participant, mline);
  (void) visit;
  /* Releasing the tee's request pad unlinks it from the rewrite element (a
   * push already under way still finishes into it); the destination's
   * m-line simply goes quiet until another source comes, and the source
   * leg's other outputs never see a flushing pad. */
  if (r->source->tee[r->kind] != NULL)
    gst_element_release_request_pad (r->source->tee[r->kind], r->tee_pad);
  gst_clear_object (&r->tee_pad);
  g_clear_pointer (&r->source, media_leg_unref);
}

static void
relink (MediaVisit *visit, MediaLeg *dst, guint mline, MediaLeg *src, MediaSourceKind kind)
{
  unlink_relay (visit, dst, mline);
  if (src != NULL)
    link_relay (visit, src, dst, mline, kind);
}

void
media_visit_update_links (MediaVisit *visit)
{
  if (visit->engine == MEDIA_ENGINE_LEAN) {
    lean_visit_update_links (visit);
    return;
  }
  media_slots_relink (visit, relink);
}

void
media_visit_drop_source (MediaVisit *visit, MediaLeg *leg, MediaSourceKind kind)
{
  for (GList *l = visit->legs; l != NULL; l = l->next) {
    MediaLeg *dst = l->data;
    for (guint m = 0; m < dst->n_mlines; m++)
      if (dst->relay_in[m].source == leg && dst->relay_in[m].kind == kind)
        unlink_relay (visit, dst, m);
  }
  if (leg->tee[kind] != NULL) {
    discard_element (visit, leg->tee[kind]);
    gst_clear_object (&leg->tee[kind]);
  }
  leg->receiving[kind] = FALSE;
}

/* ---- teardown ---- */

/* Takes a leg's own elements out of the pipeline. Its relays, both ways,
 * must already be unlinked. */
static void
remove_leg_elements (MediaVisit *visit, MediaLeg *leg)
{
  /* webrtcbin first: stopping it stops the streaming threads that push into
   * its tees, so the tees go down idle. */
  discard_element (visit, leg->webrtcbin);
  for (int k = 0; k < MEDIA_N_SOURCES; k++) {
    if (leg->tee[k] != NULL) {
      discard_element (visit, leg->tee[k]);
      /* Drop our ref now: the tee's probes hold a leg ref, so keeping the
       * tee would keep the leg alive forever. */
      gst_clear_object (&leg->tee[k]);
    }
  }
  for (guint m = 0; m < MEDIA_MAX_MLINES; m++) {
    if (leg->relay_in[m].rewrite != NULL) {
      discard_element (visit, leg->relay_in[m].rewrite);
      gst_clear_object (&leg->relay_in[m].rewrite);
    }
  }
}

void
media_visit_remove_leg (MediaVisit *visit, MediaLeg *leg)
{
  g_return_if_fail (visit != NULL && leg != NULL);
  if (g_list_find (visit->legs, leg) == NULL) {
    g_critical ("media_visit_remove_leg: leg %s is not in visit %s", leg->participant, visit->id);
    return;
  }
  if (visit->engine == MEDIA_ENGINE_LEAN) {
    lean_visit_remove_leg (visit, leg);
    return;
  }
  media_leg_mark_closed (leg);

  /* 1. What feeds this leg, 2. what this leg feeds, 3. its slots on the
   * others, 4. the leg itself. The other legs' webrtcbins keep running
   * throughout; their m-lines it fed simply go quiet. */
  for (guint m = 0; m < leg->n_mlines; m++)
    unlink_relay (visit, leg, m);
  for (GList *l = visit->legs; l != NULL; l = l->next) {
    MediaLeg *other = l->data;
    for (guint m = 0; m < other->n_mlines; m++)
      if (other->relay_in[m].source == leg)
        unlink_relay (visit, other, m);
  }
  media_slots_release (visit, leg);
  visit->legs = g_list_remove (visit->legs, leg);
  remove_leg_elements (visit, leg);
  media_leg_unref (leg);
  /* Its screen share may hand the screen m-lines to another; the others'
   * clients learn what they lost (reported later, never from in here). */
  media_visit_update_links (visit);
}

static void visit_free_common (MediaVisit *visit);

void
media_visit_free (MediaVisit *visit)
{
  if (visit == NULL)
    return;
  if (visit->engine == MEDIA_ENGINE_LEAN) {
    /* Its legs and its worker's part; visit->legs is empty afterwards. */
    lean_visit_free (visit);
    visit_free_common (visit);
    return;
  }
  for (GList *l = visit->legs; l != NULL; l = l->next)
    media_leg_mark_closed (l->data);
  /* Each leg's elements go down on their own first, the way a leaving
   * participant's do, and only then the (by now empty) pipeline. Going to
   * NULL all at once would put every sink in PAUSED before any element is
   * stopped: a relay push still on its way from one leg into another then
   * blocks in the receiving leg's nicesink (prerolling), holding the stream
   * locks of the sending leg, while the pipeline stops the sending leg
   * first; the relay links that would order them downstream-first are cut
   * (and, both ways, they form a cycle GstBin cannot order anyway). Within
   * one webrtcbin the sinks stop first, so per leg this cannot block.
   * From the main context only: webrtcbin 1.22 deadlocks if its own thread
   * shuts it down. */
  for (GList *l = visit->legs; l != NULL; l = l->next) {
    MediaLeg *leg = l->data;
    for (guint m = 0; m < leg->n_mlines; m++)
      unlink_relay (visit, leg, m);
  }
  for (GList *l = visit->legs; l != NULL; l = l->next)
    remove_leg_elements (visit, l->data);
  if (visit->pipeline != NULL)
    gst_element_set_state (visit->pipeline, GST_STATE_NULL);

  for (GList *l = visit->legs; l != NULL; l = l->next) {
    MediaLeg *leg = l->data;
    for (guint m = 0; m < MEDIA_MAX_MLINES; m++) {
      MediaRelay *r = &leg->relay_in[m];
      gst_clear_object (&r->tee_pad);
      g_clear_pointer (&r->source, media_leg_unref);
      gst_clear_object (&r->rewrite);
    }
    for (int k = 0; k < MEDIA_N_SOURCES; k++)
      gst_clear_object (&leg->tee[k]);
    memset (leg->slot, 0, sizeof leg->slot);
  }
  g_list_free_full (g_steal_pointer (&visit->legs), (GDestroyNotify) media_leg_unref);
  visit_free_common (visit);
}

/* What both engines' visits have: sources on the main context, the slot
 * memory, the copied config. */
static void
visit_free_common (MediaVisit *visit)
{
  visit->screen = NULL;
  GSource **sources[] = { &visit->bus_source, &visit->report_source, &visit->screen_check };
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++) {
    if (*sources[i] != NULL) {
      g_source_destroy (*sources[i]);
      g_source_unref (*sources[i]);
      *sources[i] = NULL;
    }
  }
  g_hash_table_unref (visit->slot_memory);
  g_clear_object (&visit->pipeline);
  g_main_context_unref (visit->context);
  g_strfreev (visit->ice_addresses);
  g_free (visit->stun_server);
  g_free (visit->id);
  g_free (visit);
}
