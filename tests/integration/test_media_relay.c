/* test_media_relay.c — the media module against two in-process "browsers".
 *
 * Each client is a webrtcbin in its own pipeline that behaves like Chrome in
 * our protocol: its audio and video are linked in BEFORE the server's offer
 * is applied, it answers sendrecv, and trickles ICE. The server side is a
 * MediaVisit with two legs. We assert what a user would notice: each client
 * decodes the OTHER client's video and receives its audio, both ways,
 * within a bounded time; removing one leg leaves the other running.
 *
 * Runs inside tests/netns-run.sh (only `lo`), so every candidate is
 * 127.0.0.1.
 */
#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include "media/media.h"
#include "media/media-private.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <stdatomic.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 10000
#define MEDIA_TIMEOUT_MS 20000
#define MIN_FRAMES 10
#define MIN_AUDIO_PACKETS 20

static const gchar *loopback[] = { "127.0.0.1", NULL };

/* ---- bounded waiting ---- */

typedef gboolean (*Predicate) (gpointer data);

static gboolean
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

static void
spin (guint ms)
{
  wait_until (never, NULL, ms);
}

/* ---- an in-process browser ---- */

typedef struct {
  const char *name;
  GstElement *pipeline;
  GstElement *webrtcbin;
  MediaLeg *leg;
  gint64 answered_us;               /* when the answer went to the server */
  gint64 connected_us;              /* when the test saw both legs connected */
  atomic_uint video_frames;         /* decoded frames of the remote video */
  atomic_uint video_packets;        /* VP8 RTP packets received */
  atomic_uint audio_packets;        /* Opus RTP packets received */
  atomic_llong first_frame_us;      /* monotonic time of the first decoded frame */
  guint offers;
  gboolean bad_offer;
  /* A slow client: applies the offer this late, so the other side's media
   * reaches the relay before this leg connects (tee first, link later). */
  guint offer_delay_ms;
  gchar *pending_offer;             /* offer waiting for offer_delay_ms */
  GPtrArray *pending_ice;           /* "mline candidate" strings until the offer is applied */
} Client;

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

static GstPadProbeReturn
count_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  atomic_fetch_add ((atomic_uint *) data, 1);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
frame_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  Client *client = data;
  long long none = 0;
  atomic_compare_exchange_strong (&client->first_frame_us, &none, g_get_monotonic_time ());
  atomic_fetch_add (&client->video_frames, 1);
  return GST_PAD_PROBE_OK;
}

static gboolean
caps_has_media (GstPad *pad, const char *media)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean yes = caps != NULL && gst_caps_get_size (caps) > 0 &&
                 g_strcmp0 (gst_structure_get_string (gst_caps_get_structure (caps, 0), "media"),
                            media) == 0;
  if (caps != NULL)
    gst_caps_unref (caps);
  return yes;
}

/* Streaming thread: link the remote stream to a decoder (video) or a counter
 * (audio) right away. */
static void
client_on_pad_added (GstElement *webrtcbin, GstPad *pad, gpointer data)
{
  Client *client = data;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstWebRTCRTPTransceiver *trans = NULL;
  GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
  g_object_get (pad, "transceiver", &trans, NULL);
  if (trans != NULL) {
    g_object_get (trans, "kind", &kind, NULL);
    gst_object_unref (trans);
  }
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gchar *caps_str = caps ? gst_caps_to_string (caps) : g_strdup ("(none)");
  g_test_message ("%s: remote pad %s kind %d caps %s", client->name, GST_PAD_NAME (pad), kind,
                  caps_str);
  g_free (caps_str);
  if (caps)
    gst_caps_unref (caps);
  /* The caps say what the pad carries; the transceiver's kind is not
   * reliable for unsignalled SSRCs in 1.22. */
  if (caps_has_media (pad, "video"))
    kind = GST_WEBRTC_KIND_VIDEO;
  else if (caps_has_media (pad, "audio"))
    kind = GST_WEBRTC_KIND_AUDIO;
  GstElement *bin;
  if (kind == GST_WEBRTC_KIND_VIDEO) {
    bin = gst_parse_bin_from_description ("rtpvp8depay ! vp8dec ! fakesink name=s sync=false async=false",
                                          TRUE, NULL);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (bin), "s");
    GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, frame_probe, client, NULL);
    gst_object_unref (sinkpad);
    gst_object_unref (sink);
  } else {
    bin = gst_parse_bin_from_description ("fakesink sync=false async=false", TRUE, NULL);
  }
  g_assert_nonnull (bin);
  GstPad *binsink = gst_element_get_static_pad (bin, "sink");
  gst_pad_add_probe (binsink, GST_PAD_PROBE_TYPE_BUFFER, count_probe,
                     kind == GST_WEBRTC_KIND_VIDEO ? &client->video_packets
                                                   : &client->audio_packets,
                     NULL);
  gst_bin_add (GST_BIN (client->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  GstPadLinkReturn ret = gst_pad_link (pad, binsink);
  g_assert_cmpint (ret, ==, GST_PAD_LINK_OK);
  gst_object_unref (binsink);
  (void) webrtcbin;
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

static void
client_init (Client *client, const char *name, int pattern)
{
  memset (client, 0, sizeof *client);
  client->name = name;
  client->pipeline = gst_pipeline_new (name);
  client->webrtcbin = gst_element_factory_make ("webrtcbin", NULL);
  g_object_set (client->webrtcbin, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (client->pipeline), client->webrtcbin);
  GError *error = NULL;
  g_assert_true (media_ice_add_local_addresses (client->webrtcbin, loopback, 0, 0, &error));
  g_assert_no_error (error);

  gchar *video = g_strdup_printf (
      "videotestsrc is-live=true pattern=%d ! video/x-raw,width=320,height=240,framerate=30/1 "
      "! vp8enc deadline=1 keyframe-max-dist=3000 ! rtpvp8pay pt=96", pattern);
  client_link_source (client, "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample "
                              "! opusenc ! rtpopuspay pt=111",
                      "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
                      "clock-rate=48000");
  /* keyframe-max-dist=3000: the encoder practically never makes a keyframe
   * by itself, so the first frame on the other side proves that the relay's
   * keyframe request (PLI) went through. */
  client_link_source (client, video,
                      "application/x-rtp,media=video,encoding-name=VP8,payload=96,"
                      "clock-rate=90000");
  g_free (video);

  g_signal_connect (client->webrtcbin, "on-ice-candidate", G_CALLBACK (client_on_ice_candidate),
                    client);
  g_signal_connect (client->webrtcbin, "pad-added", G_CALLBACK (client_on_pad_added), client);
  g_assert_cmpint (gst_element_set_state (client->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
}

static void
client_clear (Client *client)
{
  gst_element_set_state (client->pipeline, GST_STATE_NULL);
  gst_clear_object (&client->pipeline);
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

static gboolean
offer_is_as_designed (const char *sdp)
{
  GstSDPMessage *msg = NULL;
  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK)
    return FALSE;
  gboolean ok = gst_sdp_message_medias_len (msg) == 2;
  for (guint i = 0; ok && i < 2; i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (msg, i);
    const char *want_media = i == 0 ? "audio" : "video";
    const char *want_pt = i == 0 ? "111" : "96";
    ok = strcmp (gst_sdp_media_get_media (m), want_media) == 0 &&
         gst_sdp_media_formats_len (m) == 1 &&
         strcmp (gst_sdp_media_get_format (m, 0), want_pt) == 0 &&
         gst_sdp_media_get_attribute_val (m, "sendrecv") != NULL &&
         gst_sdp_media_get_attribute_val (m, "extmap") != NULL;
  }
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
  if (!offer_is_as_designed (sdp)) {
    client->bad_offer = TRUE;
    g_test_message ("unexpected offer:\n%s", sdp);
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
   * every packet). The server legs do the same in link_relay. */
  if (state == MEDIA_LEG_CONNECTED && client->pipeline != NULL)
    gst_bin_recalculate_latency (GST_BIN (client->pipeline));
}

static const MediaLegCallbacks leg_callbacks = { on_leg_offer, on_leg_ice, on_leg_state };

static MediaConfig
test_config (void)
{
  MediaConfig config = { 0 };
  config.ice_addresses = (gchar **) loopback;
  config.jitter_latency_ms = 50;
  return config;
}

/* ---- tests ---- */

static void
test_plugins (void)
{
  GError *error = NULL;
  g_assert_true (media_check_plugins (&error));
  g_assert_no_error (error);
}

static gboolean
leg_offered (gpointer data)
{
  return media_leg_get_state (data) == MEDIA_LEG_AWAITING_ANSWER;
}

static void
test_bad_input (void)
{
  MediaConfig config = test_config ();
  GError *error = NULL;
  MediaVisit *visit = media_visit_new ("unit", &config, &error);
  g_assert_no_error (error);
  Client nobody = { .name = "nobody" };
  MediaLeg *leg = media_visit_add_leg (visit, "p1", &leg_callbacks, &nobody, &error);
  g_assert_no_error (error);
  nobody.leg = leg;
  g_assert_cmpstr (media_leg_get_participant (leg), ==, "p1");

  /* Before the offer exists an answer makes no sense. */
  if (media_leg_get_state (leg) != MEDIA_LEG_AWAITING_ANSWER) {
    g_assert_false (media_leg_set_answer (leg, "v=0\r\n", &error));
    g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_STATE);
    g_clear_error (&error);
  }
  g_assert_true (wait_until (leg_offered, leg, CONNECT_TIMEOUT_MS));
  g_assert_cmpuint (nobody.offers, ==, 1);
  g_assert_false (nobody.bad_offer);

  g_assert_false (media_leg_set_answer (leg, "this is not SDP", &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP);
  g_clear_error (&error);
  /* Parses, but one m-line against an offer of two. */
  const char *one_mline = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                          "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
                          "a=rtpmap:111 OPUS/48000/2\r\n";
  g_assert_false (media_leg_set_answer (leg, one_mline, &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP);
  g_clear_error (&error);
  g_assert_cmpint (media_leg_get_state (leg), ==, MEDIA_LEG_AWAITING_ANSWER);

  g_assert_false (media_leg_add_ice_candidate (leg, 0, "garbage", &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE);
  g_clear_error (&error);
  const char *good = "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host";
  g_assert_false (media_leg_add_ice_candidate (leg, 7, good, &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE);
  g_clear_error (&error);
  g_assert_false (media_leg_add_ice_candidate (leg, 0, "candidate:1 1 UDP\n2 x", &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE);
  g_clear_error (&error);
  /* mDNS: accepted and ignored. */
  g_assert_true (media_leg_add_ice_candidate (
      leg, 0, "candidate:2 1 udp 2113937151 0b1c2d3e-aaaa-bbbb-cccc-1234567890ab.local 5000 typ host",
      &error));
  g_assert_no_error (error);
  g_assert_true (media_leg_add_ice_candidate (leg, 0, good, &error));
  g_assert_no_error (error);

  media_visit_free (visit);
  spin (50);  /* drain marshalled calls: they must be no-ops now */
}

/* Legs torn down before any media flowed: webrtcbin 1.22.0 has a known
 * deadlock closing a webrtcbin that never sent data. */
static void
test_early_teardown (void)
{
  MediaConfig config = test_config ();
  GError *error = NULL;
  Client n1 = { .name = "nobody-1" }, n2 = { .name = "nobody-2" };
  for (int round = 0; round < 3; round++) {
    MediaVisit *visit = media_visit_new ("early", &config, &error);
    g_assert_no_error (error);
    MediaLeg *l1 = media_visit_add_leg (visit, "p1", &leg_callbacks, &n1, &error);
    g_assert_no_error (error);
    n1.leg = l1;
    MediaLeg *l2 = media_visit_add_leg (visit, "p2", &leg_callbacks, &n2, &error);
    g_assert_no_error (error);
    n2.leg = l2;
    if (round == 0) {
      /* Removed at once, before negotiation-needed was even handled. */
      media_visit_remove_leg (visit, l2);
    } else {
      /* Removed after its offer went out, while awaiting the answer. */
      g_assert_true (wait_until (leg_offered, l2, CONNECT_TIMEOUT_MS));
      media_visit_remove_leg (visit, l2);
    }
    g_assert_cmpuint (media_visit_leg_count (visit), ==, 1);
    if (round == 2)
      g_assert_true (wait_until (leg_offered, l1, CONNECT_TIMEOUT_MS));
    media_visit_free (visit);
    spin (20);
  }
}

typedef struct {
  Client a, b;
} Relay;

static gboolean
both_connected (gpointer data)
{
  Relay *r = data;
  return media_leg_get_state (r->a.leg) == MEDIA_LEG_CONNECTED &&
         media_leg_get_state (r->b.leg) == MEDIA_LEG_CONNECTED;
}

static gboolean
client_has_media (Client *c)
{
  return atomic_load (&c->video_frames) >= MIN_FRAMES &&
         atomic_load (&c->audio_packets) >= MIN_AUDIO_PACKETS;
}

static gboolean
both_have_media (gpointer data)
{
  Relay *r = data;
  return client_has_media (&r->a) && client_has_media (&r->b);
}

static void
report (Client *c, const char *from)
{
  long long first = atomic_load (&c->first_frame_us);
  g_test_message ("%s <- %s: %u frames decoded, %u VP8 packets, %u Opus packets; first frame "
                  "%.0f ms after its answer, %.0f ms after both legs connected",
                  c->name, from, atomic_load (&c->video_frames), atomic_load (&c->video_packets),
                  atomic_load (&c->audio_packets),
                  first ? (first - c->answered_us) / 1000.0 : -1.0,
                  first ? (first - c->connected_us) / 1000.0 : -1.0);
}

static void
test_relay (void)
{
  Relay *r = g_new0 (Relay, 1);
  client_init (&r->a, "client-a", 0 /* smpte */);
  client_init (&r->b, "client-b", 18 /* ball */);
  r->b.offer_delay_ms = 1000;

  MediaConfig config = test_config ();
  GError *error = NULL;
  MediaVisit *visit = media_visit_new ("relay", &config, &error);
  g_assert_no_error (error);
  r->a.leg = media_visit_add_leg (visit, "a", &leg_callbacks, &r->a, &error);
  g_assert_no_error (error);
  r->b.leg = media_visit_add_leg (visit, "b", &leg_callbacks, &r->b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (media_visit_leg_count (visit), ==, 2);

  g_assert_true (wait_until (both_connected, r, CONNECT_TIMEOUT_MS));
  r->a.connected_us = r->b.connected_us = g_get_monotonic_time ();
  g_assert_false (r->a.bad_offer);
  g_assert_false (r->b.bad_offer);
  gboolean media = wait_until (both_have_media, r, MEDIA_TIMEOUT_MS);
  report (&r->a, "b");
  report (&r->b, "a");

  MediaLegStats sa, sb;
  media_leg_get_stats (r->a.leg, &sa);
  media_leg_get_stats (r->b.leg, &sb);
  g_test_message ("leg a: rx %" G_GUINT64_FORMAT " pkts/%" G_GUINT64_FORMAT " B, tx %"
                  G_GUINT64_FORMAT " pkts/%" G_GUINT64_FORMAT " B",
                  sa.packets_received, sa.bytes_received, sa.packets_sent, sa.bytes_sent);
  g_test_message ("leg b: rx %" G_GUINT64_FORMAT " pkts/%" G_GUINT64_FORMAT " B, tx %"
                  G_GUINT64_FORMAT " pkts/%" G_GUINT64_FORMAT " B",
                  sb.packets_received, sb.bytes_received, sb.packets_sent, sb.bytes_sent);
  g_assert_true (media);
  g_assert_cmpuint (sa.packets_received, >, 0);
  g_assert_cmpuint (sa.packets_sent, >, 0);
  g_assert_cmpuint (sb.packets_received, >, 0);
  g_assert_cmpuint (sb.packets_sent, >, 0);

  /* B leaves: its leg goes, A's leg keeps receiving from its client. */
  media_visit_remove_leg (visit, r->b.leg);
  r->b.leg = NULL;
  g_assert_cmpuint (media_visit_leg_count (visit), ==, 1);
  media_leg_get_stats (r->a.leg, &sa);
  guint64 rx_before = sa.packets_received;
  spin (1000);
  media_leg_get_stats (r->a.leg, &sa);
  g_test_message ("leg a after b left: rx +%" G_GUINT64_FORMAT " packets in 1 s",
                  sa.packets_received - rx_before);
  g_assert_cmpuint (sa.packets_received, >, rx_before);
  g_assert_cmpint (media_leg_get_state (r->a.leg), ==, MEDIA_LEG_CONNECTED);

  media_visit_free (visit);
  r->a.leg = NULL;
  spin (100);
  client_clear (&r->a);
  client_clear (&r->b);
  spin (50);
  g_free (r);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/plugins", test_plugins);
  g_test_add_func ("/media/bad-input", test_bad_input);
  g_test_add_func ("/media/early-teardown", test_early_teardown);
  g_test_add_func ("/media/relay", test_relay);
  int ret = g_test_run ();
  gst_deinit ();
  return ret;
}
