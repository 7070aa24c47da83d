/* media_client.c — the in-process "browser" of the media tests (see
 * media_client.h). */
#include "tests/integration/media_client.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <string.h>

static const gchar *loopback[] = { "127.0.0.1", NULL };

/* ---- bounded waiting ---- */

gboolean
wait_until (Predicate pred, gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (!pred (data)) {
    if (g_get_monotonic_time () >= deadline)
      return FALSE;
    /* Non-blocking plus a short sleep: no source may be ready for a while
     * and a blocking iteration would then overrun the deadline. */
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  }
  return TRUE;
}

static gboolean
never (gpointer data)
{
  (void) data;
  return FALSE;
}

void
spin (guint ms)
{
  wait_until (never, NULL, ms);
}

/* ---- an in-process browser ---- */

/* Client signals come on webrtcbin/streaming threads: hop to the main
 * context like the server code does. */
typedef struct {
  Client *client;
  guint mline;
  gchar *candidate;
  GstPromise *promise;
} ClientCall;

static void
client_call_free (gpointer p)
{
  ClientCall *c = p;
  g_free (c->candidate);
  if (c->promise)
    gst_promise_unref (c->promise);
  g_free (c);
}

static void
client_post (GSourceFunc func, ClientCall *call)
{
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, func, call, client_call_free);
}

static gboolean
client_candidate_main (gpointer p)
{
  ClientCall *c = p;
  GError *error = NULL;
  if (c->client->leg != NULL && media_leg_get_state (c->client->leg) != MEDIA_LEG_CLOSED) {
    if (!media_leg_add_ice_candidate (c->client->leg, c->mline, c->candidate, &error)) {
      g_test_message ("%s: candidate refused: %s", c->client->name, error->message);
      g_clear_error (&error);
    }
  }
  return G_SOURCE_REMOVE;
}

static void
client_on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate, gpointer data)
{
  (void) webrtcbin;
  ClientCall *c = g_new0 (ClientCall, 1);
  c->client = data;
  c->mline = mline;
  c->candidate = g_strdup (candidate);
  client_post (client_candidate_main, c);
}

static gboolean
client_answer_main (gpointer p)
{
  ClientCall *c = p;
  Client *client = c->client;
  const GstStructure *reply = gst_promise_get_reply (c->promise);
  GstWebRTCSessionDescription *answer = NULL;
  if (reply != NULL)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  g_assert_nonnull (answer);
  g_signal_emit_by_name (client->webrtcbin, "set-local-description", answer, NULL);
  gchar *text = gst_sdp_message_as_text (answer->sdp);
  GError *error = NULL;
  g_assert_nonnull (client->leg);
  gboolean ok = media_leg_set_answer (client->leg, text, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  client->answered_us = g_get_monotonic_time ();
  g_free (text);
  gst_webrtc_session_description_free (answer);
  return G_SOURCE_REMOVE;
}

static void
client_on_answer (GstPromise *promise, gpointer data)
{
  ClientCall *c = g_new0 (ClientCall, 1);
  c->client = data;
  c->promise = gst_promise_ref (promise);
  client_post (client_answer_main, c);
}

static gboolean
client_remote_set_main (gpointer p)
{
  ClientCall *c = p;
  GstPromise *promise = gst_promise_new_with_change_func (client_on_answer, c->client, NULL);
  g_signal_emit_by_name (c->client->webrtcbin, "create-answer", NULL, promise);
  gst_promise_unref (promise);
  return G_SOURCE_REMOVE;
}

static void
client_on_remote_set (GstPromise *promise, gpointer data)
{
  (void) promise;
  ClientCall *c = g_new0 (ClientCall, 1);
  c->client = data;
  client_post (client_remote_set_main, c);
}

typedef struct {
  Client *client;
  guint pt;
} PtProbe;

static GstPadProbeReturn
count_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  PtProbe *p = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    atomic_store (&p->client->ssrc_pt[p->pt], gst_rtp_buffer_get_ssrc (&rtp));
    gst_rtp_buffer_unmap (&rtp);
  }
  atomic_fetch_add (&p->client->packets_pt[p->pt], 1);
  atomic_fetch_add (p->pt == MEDIA_PT_OPUS || (p->pt > MEDIA_PT_OPUS && p->pt < 120)
                        ? &p->client->audio_packets : &p->client->video_packets, 1);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
frame_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  PtProbe *p = data;
  long long none = 0;
  atomic_compare_exchange_strong (&p->client->first_frame_us, &none, g_get_monotonic_time ());
  atomic_fetch_add (&p->client->video_frames, 1);
  atomic_fetch_add (&p->client->frames_pt[p->pt], 1);
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: link the remote stream to a decoder (video) or a counter
 * (audio) right away. The caps say what the pad carries (the transceiver's
 * kind is not reliable for unsignalled SSRCs in 1.22). */
static void
client_on_pad_added (GstElement *webrtcbin, GstPad *pad, gpointer data)
{
  Client *client = data;
  (void) webrtcbin;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  g_assert_nonnull (caps);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  gint pt = 0;
  gst_structure_get_int (s, "payload", &pt);
  gboolean video = g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0;
  gchar *caps_str = gst_caps_to_string (caps);
  g_test_message ("%s: remote pad %s caps %s", client->name, GST_PAD_NAME (pad), caps_str);
  g_free (caps_str);
  gst_caps_unref (caps);
  PtProbe *probe = g_new0 (PtProbe, 1);
  probe->client = client;
  probe->pt = (guint) pt & 0x7f;
  GstElement *bin;
  if (video) {
    bin = gst_parse_bin_from_description ("rtpvp8depay ! vp8dec ! fakesink name=s sync=false async=false",
                                          TRUE, NULL);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (bin), "s");
    GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, frame_probe, probe, NULL);
    gst_object_unref (sinkpad);
    gst_object_unref (sink);
  } else {
    bin = gst_parse_bin_from_description ("fakesink sync=false async=false", TRUE, NULL);
  }
  g_assert_nonnull (bin);
  GstPad *binsink = gst_element_get_static_pad (bin, "sink");
  /* The probe context lives as long as the pad's probe (freed with it). */
  gst_pad_add_probe (binsink, GST_PAD_PROBE_TYPE_BUFFER, count_probe, probe, g_free);
  gst_bin_add (GST_BIN (client->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  GstPadLinkReturn ret = gst_pad_link (pad, binsink);
  g_assert_cmpint (ret, ==, GST_PAD_LINK_OK);
  gst_object_unref (binsink);
}

static void
client_link_source (Client *client, const char *desc, const char *caps_str)
{
  GstElement *src = gst_parse_bin_from_description (desc, TRUE, NULL);
  g_assert_nonnull (src);
  gst_bin_add (GST_BIN (client->pipeline), src);
  GstPad *sink = gst_element_request_pad_simple (client->webrtcbin, "sink_%u");
  GstWebRTCRTPTransceiver *trans = NULL;
  g_object_get (sink, "transceiver", &trans, NULL);
  GstCaps *caps = gst_caps_from_string (caps_str);
  /* Like addTrack: the kind is known before the offer arrives, so the offer's
   * m-line binds to this transceiver and the answer is sendrecv. */
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                "codec-preferences", caps, NULL);
  gst_caps_unref (caps);
  gst_object_unref (trans);
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  g_assert_cmpint (gst_pad_link (srcpad, sink), ==, GST_PAD_LINK_OK);
  gst_object_unref (srcpad);
  gst_object_unref (sink);
}

void
client_init_headless (Client *client, const char *name)
{
  memset (client, 0, sizeof *client);
  client->name = name;
  client->streams = g_ptr_array_new_with_free_func (g_free);
}

void
client_init (Client *client, const char *name, int pattern, int screen_pattern)
{
  client_init_headless (client, name);
  client->pipeline = gst_pipeline_new (name);
  client->webrtcbin = gst_element_factory_make ("webrtcbin", NULL);
  g_object_set (client->webrtcbin, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (client->pipeline), client->webrtcbin);
  GError *error = NULL;
  g_assert_true (media_ice_add_local_addresses (client->webrtcbin, loopback, 0, 0, &error));
  g_assert_no_error (error);

  /* keyframe-max-dist=3000: the encoder practically never makes a keyframe
   * by itself, so the first frame on the other side proves that the relay's
   * keyframe request (PLI) went through. */
  gchar *video = g_strdup_printf (
      "videotestsrc is-live=true pattern=%d ! video/x-raw,width=320,height=240,framerate=30/1 "
      "! vp8enc deadline=1 keyframe-max-dist=3000 ! rtpvp8pay pt=96", pattern);
  client_link_source (client, "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample "
                              "! opusenc ! rtpopuspay pt=111",
                      "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
                      "clock-rate=48000");
  client_link_source (client, video,
                      "application/x-rtp,media=video,encoding-name=VP8,payload=96,"
                      "clock-rate=90000");
  g_free (video);
  if (screen_pattern >= 0) {
    /* Like the browser's screen share: a third sendrecv video m-line; a
     * valve stands in for replaceTrack(null). */
    gchar *screen = g_strdup_printf (
        "videotestsrc is-live=true pattern=%d ! video/x-raw,width=480,height=270,framerate=15/1 "
        "! vp8enc deadline=1 keyframe-max-dist=3000 ! rtpvp8pay pt=97 ! valve name=screenvalve",
        screen_pattern);
    client_link_source (client, screen,
                        "application/x-rtp,media=video,encoding-name=VP8,payload=97,"
                        "clock-rate=90000");
    g_free (screen);
    client->screen_valve = gst_bin_get_by_name (GST_BIN (client->pipeline), "screenvalve");
    g_assert_nonnull (client->screen_valve);
  }

  g_signal_connect (client->webrtcbin, "on-ice-candidate", G_CALLBACK (client_on_ice_candidate),
                    client);
  g_signal_connect (client->webrtcbin, "pad-added", G_CALLBACK (client_on_pad_added), client);
  g_assert_cmpint (gst_element_set_state (client->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
}

void
client_clear (Client *client)
{
  if (client->pipeline != NULL)
    gst_element_set_state (client->pipeline, GST_STATE_NULL);
  gst_clear_object (&client->screen_valve);
  gst_clear_object (&client->pipeline);
  g_clear_pointer (&client->streams, g_ptr_array_unref);
  g_clear_pointer (&client->offer_sdp, g_free);
}

/* ---- MediaLegCallbacks: the server side hands things to "its" client ---- */

static gboolean
client_apply_offer (gpointer data)
{
  Client *client = data;
  GstSDPMessage *msg = NULL;
  g_assert_cmpint (gst_sdp_message_new_from_text (client->pending_offer, &msg), ==, GST_SDP_OK);
  g_clear_pointer (&client->pending_offer, g_free);
  GstWebRTCSessionDescription *offer =
      gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, msg);
  GstPromise *promise = gst_promise_new_with_change_func (client_on_remote_set, client, NULL);
  g_signal_emit_by_name (client->webrtcbin, "set-remote-description", offer, promise);
  gst_promise_unref (promise);
  gst_webrtc_session_description_free (offer);
  GPtrArray *queued = g_steal_pointer (&client->pending_ice);
  for (guint i = 0; i < queued->len; i++) {
    gchar *space = NULL;
    guint mline = (guint) g_ascii_strtoull (queued->pdata[i], &space, 10);
    g_signal_emit_by_name (client->webrtcbin, "add-ice-candidate", mline, space + 1);
  }
  g_ptr_array_unref (queued);
  return G_SOURCE_REMOVE;
}

gboolean
offer_is_as_designed (const char *sdp, guint n_mlines)
{
  GstSDPMessage *msg = NULL;
  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK)
    return FALSE;
  gboolean ok = gst_sdp_message_medias_len (msg) == n_mlines;
  GHashTable *ssrcs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; ok && i < n_mlines; i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (msg, i);
    MediaMline want;
    media_layout_mline (i, &want);
    gchar *pt = g_strdup_printf ("%u", want.pt);
    /* The layout's payload type per m-line (and, from the lean engine, its
     * RTX on the video a client sends); an announced SSRC of its own
     * (a=ssrc:<ssrc> cname:...); the direction. */
    const char *ssrc = gst_sdp_media_get_attribute_val (m, "ssrc");
    guint rtx = want.video && want.sendrecv ? media_layout_rtx_pt (want.pt) : 0;
    gboolean formats =
      gst_sdp_media_formats_len (m) == 1 ||
      (gst_sdp_media_formats_len (m) == 2 && rtx != 0 &&
       (guint) g_ascii_strtoull (gst_sdp_media_get_format (m, 1), NULL, 10) == rtx);
    ok = strcmp (gst_sdp_media_get_media (m), want.video ? "video" : "audio") == 0 && formats &&
         strcmp (gst_sdp_media_get_format (m, 0), pt) == 0 &&
         gst_sdp_media_get_attribute_val (m, want.sendrecv ? "sendrecv" : "sendonly") != NULL &&
         gst_sdp_media_get_attribute_val (m, "extmap") != NULL && ssrc != NULL &&
         gst_sdp_media_get_attribute_val (m, "mid") != NULL;
    if (ok) {
      gchar *id = g_strndup (ssrc, strcspn (ssrc, " "));
      ok = g_hash_table_add (ssrcs, id);  /* FALSE: the same SSRC twice */
    }
    g_free (pt);
  }
  g_hash_table_unref (ssrcs);
  const char *group = gst_sdp_message_get_attribute_val (msg, "group");
  ok = ok && group != NULL && g_str_has_prefix (group, "BUNDLE");
  gst_sdp_message_free (msg);
  return ok;
}

static void
on_leg_offer (MediaLeg *leg, const char *sdp, gpointer data)
{
  Client *client = data;
  g_assert_true (client->leg == leg);
  client->offers++;
  g_free (client->offer_sdp);
  client->offer_sdp = g_strdup (sdp);
  if (!offer_is_as_designed (sdp, client->expected_mlines)) {
    client->bad_offer = TRUE;
    g_test_message ("unexpected offer (%u m-lines expected):\n%s", client->expected_mlines, sdp);
  }
  if (client->pipeline == NULL)
    return;  /* unit tests: no client behind this leg */
  client->pending_offer = g_strdup (sdp);
  client->pending_ice = g_ptr_array_new_with_free_func (g_free);
  if (client->offer_delay_ms > 0)
    g_timeout_add (client->offer_delay_ms, client_apply_offer, client);
  else
    client_apply_offer (client);
}

static void
on_leg_ice (MediaLeg *leg, guint mline, const char *candidate, gpointer data)
{
  Client *client = data;
  (void) leg;
  if (client->webrtcbin == NULL)
    return;
  /* Like a browser's signaling code: candidates wait for the offer. */
  if (client->pending_ice != NULL)
    g_ptr_array_add (client->pending_ice, g_strdup_printf ("%u %s", mline, candidate));
  else
    g_signal_emit_by_name (client->webrtcbin, "add-ice-candidate", mline, candidate);
}

static void
on_leg_state (MediaLeg *leg, MediaLegState state, gpointer data)
{
  Client *client = data;
  (void) leg;
  g_test_message ("%s leg -> %s", client->name, media_leg_state_name (state));
  /* The client's RTP session was made inside its running pipeline and needs
   * the pipeline latency to timestamp what it sends (else rtpsession warns on
   * every packet). */
  if (state == MEDIA_LEG_CONNECTED && client->pipeline != NULL)
    gst_bin_recalculate_latency (GST_BIN (client->pipeline));
}

static void
on_leg_streams (MediaLeg *leg, const MediaStream *streams, guint n, gpointer data)
{
  Client *client = data;
  (void) leg;
  g_ptr_array_set_size (client->streams, 0);
  GString *all = g_string_new (NULL);
  for (guint i = 0; i < n; i++) {
    const char *content = streams[i].content == MEDIA_CONTENT_SCREEN ? "screen" : "camera";
    gchar *entry = g_strdup_printf ("%u:%s:%s:%s", streams[i].mline, streams[i].kind, content,
                                    streams[i].participant);
    g_assert_nonnull (streams[i].mid);
    g_string_append_printf (all, " %s(mid %s)", entry, streams[i].mid);
    g_ptr_array_add (client->streams, entry);
  }
  client->stream_reports++;
  g_test_message ("%s streams:%s", client->name, all->str);
  g_string_free (all, TRUE);
}

gboolean
client_has_stream (Client *client, const char *entry)
{
  for (guint i = 0; client->streams != NULL && i < client->streams->len; i++)
    if (strcmp (client->streams->pdata[i], entry) == 0)
      return TRUE;
  return FALSE;
}

const MediaLegCallbacks client_leg_callbacks = {
  on_leg_offer, on_leg_ice, on_leg_state, on_leg_streams,
};

MediaConfig
client_test_config (guint remote_slots)
{
  MediaConfig config = { 0 };
  /* The suite runs the relay tests once per engine (tests/meson.build). */
  const char *engine = g_getenv ("TH_MEDIA_ENGINE");
  if (g_strcmp0 (engine, "lean") == 0)
    config.engine = MEDIA_ENGINE_LEAN;
  else if (g_strcmp0 (engine, "webrtcbin") == 0)
    config.engine = MEDIA_ENGINE_WEBRTCBIN;
  config.ice_addresses = (gchar **) loopback;
  config.jitter_latency_ms = 50;
  config.remote_slots = remote_slots;
  return config;
}
