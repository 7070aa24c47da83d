/* peer.c — one webrtcbin client in the shared pipeline.
 *
 * Sending: rtpopuspay / rtpvp8pay per peer (its own SSRC and sequence
 * numbers), fed by the shared encoders' tees once the peer is connected:
 * webrtcbin's sink pads block until negotiated, and a blocked tee branch
 * would stall every other client (same pattern as the server's relay).
 * A probe on each payloader's src pad records the send time of every packet.
 *
 * Receiving: every remote stream goes webrtcbin src → (video) rtpvp8depay
 * [→ vp8dec with --decode] → fakesink, (audio) → fakesink. A probe on the
 * webrtcbin src pad counts packets, sequence gaps and the latency against
 * the partner's send times. webrtcbin's `latency` (its jitterbuffer) is
 * opt.jitter_ms, so the sample holds little besides the network path, the
 * server, and the two clients' webrtcbin work (SRTP, RTP session).
 *
 * webrtcbin emits its signals on its own threads: everything that touches
 * peer state hops to the main context first.
 */
#include "loadgen.h"

#include "media/media-private.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <string.h>

struct _Peer {
  gatomicrefcount ref;
  Client *owner;
  gchar *name;
  GstElement *webrtcbin;
  gboolean send, recv;
  GstElement *pay[N_KINDS];
  GstPad *tee_pad[N_KINDS];
  GMutex rx_lock;              /* rx_elements: appended from pad-added */
  GList *rx_elements;
  PeerCallbacks cb;
  gpointer data;
  gboolean connected, closed;
  gulong handlers[3];
  struct ProbeCtx { Peer *peer; Kind kind; } probe[N_KINDS];
};

static GstElement *pipeline;
static atomic_uint ssrc_counter;

void
peers_init (GstElement *p)
{
  pipeline = p;
  atomic_store (&ssrc_counter, g_random_int () & 0x0fffffff);
}

static Peer *
peer_ref (Peer *p)
{
  g_atomic_ref_count_inc (&p->ref);
  return p;
}

static void
peer_unref (gpointer data)
{
  Peer *p = data;
  if (!g_atomic_ref_count_dec (&p->ref))
    return;
  g_mutex_clear (&p->rx_lock);
  g_list_free_full (p->rx_elements, gst_object_unref);
  g_free (p->name);
  g_free (p);
}

const char *
peer_name (Peer *peer)
{
  return peer->name;
}

gboolean
peer_is_connected (Peer *peer)
{
  return peer->connected;
}

/* ---- marshalling to the main context ---- */

typedef struct {
  Peer *peer;
  guint mline;
  gchar *text;
  GstPromise *promise;
  GstWebRTCSDPType type;
} Call;

static void
call_free (gpointer data)
{
  Call *c = data;
  peer_unref (c->peer);
  g_free (c->text);
  if (c->promise)
    gst_promise_unref (c->promise);
  g_free (c);
}

static void
post (GSourceFunc func, Peer *peer, guint mline, const char *text, GstPromise *promise,
      GstWebRTCSDPType type)
{
  Call *c = g_new0 (Call, 1);
  c->peer = peer_ref (peer);
  c->mline = mline;
  c->text = g_strdup (text);
  c->promise = promise ? gst_promise_ref (promise) : NULL;
  c->type = type;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, func, c, call_free);
}

/* ---- probes (streaming threads) ---- */

typedef struct {
  Client *owner;
  Kind kind;
  gint64 now;
} ProbeRun;

static gboolean
send_one (GstBuffer **buf, guint idx, gpointer data)
{
  (void) idx;
  ProbeRun *run = data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (gst_rtp_buffer_map (*buf, GST_MAP_READ, &rtp)) {
    guint64 h = payload_hash (run->kind, gst_rtp_buffer_get_payload (&rtp),
                              gst_rtp_buffer_get_payload_len (&rtp));
    ring_record (&run->owner->ring[run->kind], gst_rtp_buffer_get_seq (&rtp), h, run->now);
    gst_rtp_buffer_unmap (&rtp);
  }
  return TRUE;
}

static GstPadProbeReturn
send_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  struct ProbeCtx *ctx = data;
  ProbeRun run = { ctx->peer->owner, ctx->kind, g_get_monotonic_time () };
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), send_one, &run);
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
    send_one (&b, 0, &run);
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
recv_one (GstBuffer **buf, guint idx, gpointer data)
{
  (void) idx;
  ProbeRun *run = data;
  Client *c = run->owner;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (c->done || !gst_rtp_buffer_map (*buf, GST_MAP_READ, &rtp))
    return TRUE;
  guint16 seq = gst_rtp_buffer_get_seq (&rtp);
  RecvStream *rs = &c->rx[run->kind];
  recv_stream_packet (rs, seq);
  if (c->partner != NULL) {
    guint64 h = payload_hash (run->kind, gst_rtp_buffer_get_payload (&rtp),
                              gst_rtp_buffer_get_payload_len (&rtp));
    gint64 sent = ring_lookup (&c->partner->ring[run->kind], rs, seq, h);
    if (sent >= 0)
      hist_add (&c->latency[run->kind], run->now - sent);
  }
  gst_rtp_buffer_unmap (&rtp);
  return TRUE;
}

static GstPadProbeReturn
recv_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  struct ProbeCtx *ctx = data;
  ProbeRun run = { ctx->peer->owner, ctx->kind, g_get_monotonic_time () };
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), recv_one, &run);
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
    recv_one (&b, 0, &run);
  }
  return GST_PAD_PROBE_OK;
}

/* Depayloaded (or decoded) video frames. */
static GstPadProbeReturn
frame_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  Client *c = data;
  if (c->done)
    return GST_PAD_PROBE_OK;
  long long none = 0;
  gint64 now = g_get_monotonic_time ();
  atomic_compare_exchange_strong (&c->first_frame_us, &none, now);
  none = 0;
  atomic_compare_exchange_strong (&c->mark_frame_us, &none, now);
  atomic_fetch_add (&c->video_frames, 1);
  return GST_PAD_PROBE_OK;
}

/* ---- webrtcbin signals ---- */

static gboolean
caps_media_is (GstPad *pad, const char *media)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean yes = caps != NULL && gst_caps_get_size (caps) > 0 &&
                 g_strcmp0 (gst_structure_get_string (gst_caps_get_structure (caps, 0), "media"),
                            media) == 0;
  if (caps)
    gst_caps_unref (caps);
  return yes;
}

/* Streaming thread: link the new remote stream to its counting sink now;
 * webrtcbin holds the data until the pad is linked. */
static void
on_pad_added (GstElement *webrtcbin, GstPad *pad, gpointer data)
{
  (void) webrtcbin;
  Peer *p = data;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC || p->closed)
    return;
  /* The caps say what the pad carries (the transceiver kind is unreliable
   * for unsignalled SSRCs in 1.22). */
  Kind kind = caps_media_is (pad, "video") ? KIND_VIDEO : KIND_AUDIO;
  GstElement *bin;
  if (kind == KIND_VIDEO) {
    /* wait-for-keyframe: the first frame counted is a decodable one;
     * request-keyframe: ask (PLI) like a browser would after loss. */
    gchar *desc = g_strdup_printf ("rtpvp8depay name=d wait-for-keyframe=true request-keyframe=true "
                                   "%s ! fakesink sync=false async=false enable-last-sample=false",
                                   opt.decode ? "! vp8dec name=dec" : "");
    bin = gst_parse_bin_from_description (desc, TRUE, NULL);
    g_free (desc);
    GstElement *tail = gst_bin_get_by_name (GST_BIN (bin), opt.decode ? "dec" : "d");
    GstPad *src = gst_element_get_static_pad (tail, "src");
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, frame_probe, p->owner, NULL);
    gst_object_unref (src);
    gst_object_unref (tail);
  } else {
    bin = gst_parse_bin_from_description ("fakesink sync=false async=false enable-last-sample=false",
                                          TRUE, NULL);
  }
  /* A new remote stream (the first, or the partner's new SSRC after it
   * reconnected, or ours on a new peer) counts its sequence numbers afresh. */
  recv_stream_restart (&p->owner->rx[kind]);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, recv_probe,
                     &p->probe[kind], NULL);
  g_mutex_lock (&p->rx_lock);
  p->rx_elements = g_list_prepend (p->rx_elements, gst_object_ref (bin));
  g_mutex_unlock (&p->rx_lock);
  gst_bin_add (GST_BIN (pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  GstPad *sink = gst_element_get_static_pad (bin, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_warning ("%s: could not link the remote %s stream", p->name,
               kind == KIND_VIDEO ? "video" : "audio");
  gst_object_unref (sink);
}

static void
on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate, gpointer data);

static gboolean
ice_main (gpointer data)
{
  Call *c = data;
  if (!c->peer->closed && c->peer->cb.local_ice)
    c->peer->cb.local_ice (c->peer, c->mline, c->text, c->peer->data);
  return G_SOURCE_REMOVE;
}

static void
on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate, gpointer data)
{
  (void) webrtcbin;
  post (ice_main, data, mline, candidate, NULL, 0);
}

static gboolean
state_main (gpointer data)
{
  Call *c = data;
  Peer *p = c->peer;
  GstWebRTCPeerConnectionState state = c->mline;
  if (p->closed)
    return G_SOURCE_REMOVE;
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !p->connected) {
    p->connected = TRUE;
    for (int k = 0; p->send && k < N_KINDS; k++) {
      GstPad *sink = gst_element_get_static_pad (p->pay[k], "sink");
      p->tee_pad[k] = media_source_attach (k, sink);
      gst_object_unref (sink);
      if (p->tee_pad[k] == NULL && p->cb.failed)
        p->cb.failed (p, "could not link the shared encoder", p->data);
    }
    /* No gst_bin_recalculate_latency here, unlike the server's legs: with
     * it, one receiving webrtcbin in a run (a different one each time) held
     * every packet until the next arrived (+20 ms audio, +33 ms video, seen
     * in direct mode). Without it rtpsession only logs, at debug level,
     * that it cannot compute running times for its sender reports. */
    if (p->cb.connected)
      p->cb.connected (p, p->data);
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED && p->cb.failed) {
    p->cb.failed (p, "connection failed (ICE or DTLS)", p->data);
  }
  return G_SOURCE_REMOVE;
}

static void
on_connection_state (GstElement *webrtcbin, GParamSpec *pspec, gpointer data)
{
  (void) pspec;
  GstWebRTCPeerConnectionState state;
  g_object_get (webrtcbin, "connection-state", &state, NULL);
  post (state_main, data, state, NULL, NULL, 0);
}

/* ---- offer / answer ---- */

static gboolean
description_main (gpointer data)
{
  Call *c = data;
  Peer *p = c->peer;
  if (p->closed)
    return G_SOURCE_REMOVE;
  const char *field = c->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer";
  const GstStructure *reply = gst_promise_get_reply (c->promise);
  GstWebRTCSessionDescription *desc = NULL;
  if (reply != NULL)
    gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  if (desc == NULL) {
    GError *error = NULL;
    if (reply != NULL)
      gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
    gchar *why = g_strdup_printf ("webrtcbin made no %s: %s", field,
                                  error ? error->message : "no reply");
    g_clear_error (&error);
    if (p->cb.failed)
      p->cb.failed (p, why, p->data);
    g_free (why);
    return G_SOURCE_REMOVE;
  }
  g_signal_emit_by_name (p->webrtcbin, "set-local-description", desc, NULL);
  gchar *text = gst_sdp_message_as_text (desc->sdp);
  if (p->cb.local_sdp)
    p->cb.local_sdp (p, c->type, text, p->data);
  g_free (text);
  gst_webrtc_session_description_free (desc);
  return G_SOURCE_REMOVE;
}

static void
on_description (GstPromise *promise, gpointer data)
{
  Call *c = data;
  post (description_main, c->peer, 0, NULL, promise, c->type);
}

static void
create (Peer *p, GstWebRTCSDPType type)
{
  Call *c = g_new0 (Call, 1);
  c->peer = peer_ref (p);
  c->type = type;
  GstPromise *promise = gst_promise_new_with_change_func (on_description, c, call_free);
  g_signal_emit_by_name (p->webrtcbin, type == GST_WEBRTC_SDP_TYPE_OFFER ? "create-offer"
                                                                          : "create-answer",
                         NULL, promise);
  gst_promise_unref (promise);
}

void
peer_create_offer (Peer *peer)
{
  create (peer, GST_WEBRTC_SDP_TYPE_OFFER);
}

static gboolean
remote_set_main (gpointer data)
{
  Call *c = data;
  if (!c->peer->closed)
    create (c->peer, GST_WEBRTC_SDP_TYPE_ANSWER);
  return G_SOURCE_REMOVE;
}

static void
on_remote_offer_set (GstPromise *promise, gpointer data)
{
  (void) promise;
  post (remote_set_main, data, 0, NULL, NULL, 0);
}

gboolean
peer_set_remote (Peer *peer, GstWebRTCSDPType type, const char *sdp)
{
  GstSDPMessage *msg = NULL;
  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK) {
    if (msg)
      gst_sdp_message_free (msg);
    return FALSE;
  }
  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new (type, msg);
  GstPromise *promise = NULL;
  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    promise = gst_promise_new_with_change_func (on_remote_offer_set, peer_ref (peer), peer_unref);
  g_signal_emit_by_name (peer->webrtcbin, "set-remote-description", desc, promise);
  if (promise)
    gst_promise_unref (promise);
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

void
peer_add_ice (Peer *peer, guint mline, const char *candidate)
{
  /* An empty candidate means "no more"; webrtcbin 1.22 needs none. */
  if (candidate == NULL || candidate[0] == '\0' || peer->closed)
    return;
  g_signal_emit_by_name (peer->webrtcbin, "add-ice-candidate", mline, candidate);
}

/* ---- life cycle ---- */

static GstCaps *
codec_caps (Kind kind, guint32 ssrc)
{
  /* The server's payload types. The SSRC makes webrtcbin write a=ssrc lines
   * into an offer made before any media flowed (the payloaders are fed only
   * once connected): Janus drops a publisher's packets whose SSRC its SDP
   * did not announce. */
  gchar *text = g_strdup_printf (
      kind == KIND_VIDEO
          ? "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
            "rtcp-fb-nack-pli=(boolean)true,ssrc=(uint)%u"
          : "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"
            "encoding-params=(string)2,ssrc=(uint)%u",
      ssrc);
  GstCaps *caps = gst_caps_from_string (text);
  g_free (text);
  return caps;
}

/* libnice's UPnP port mapping sends SSDP multicast and waits for routers;
 * there are none on loopback. */
static void
disable_upnp (GstElement *webrtcbin)
{
  GObject *ice = NULL, *agent = NULL;
  g_object_get (webrtcbin, "ice-agent", &ice, NULL);
  if (ice != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") != NULL)
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp") != NULL)
    g_object_set (agent, "upnp", FALSE, NULL);
  g_clear_object (&agent);
  g_clear_object (&ice);
}

Peer *
peer_new (Client *owner, const char *name, gboolean send, gboolean recv,
          GstWebRTCRTPTransceiverDirection dir, const PeerCallbacks *cb, gpointer data)
{
  Peer *p = g_new0 (Peer, 1);
  g_atomic_ref_count_init (&p->ref);
  g_mutex_init (&p->rx_lock);
  p->owner = owner;
  p->name = g_strdup (name);
  p->send = send;
  p->recv = recv;
  p->cb = *cb;
  p->data = data;
  for (int k = 0; k < N_KINDS; k++)
    p->probe[k] = (struct ProbeCtx) { p, k };

  p->webrtcbin = gst_element_factory_make ("webrtcbin", NULL);
  if (p->webrtcbin == NULL)
    g_error ("no webrtcbin element (gstreamer1.0-plugins-bad)");
  gst_object_ref_sink (p->webrtcbin);
  g_object_set (p->webrtcbin, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", (guint) opt.jitter_ms, NULL);
  gst_bin_add (GST_BIN (pipeline), p->webrtcbin);
  const gchar *addrs[] = { opt.ice_address, NULL };
  GError *error = NULL;
  if (!media_ice_add_local_addresses (p->webrtcbin,
                                      opt.ice_address && *opt.ice_address ? addrs : NULL, 0, 0,
                                      &error)) {
    g_warning ("%s: ICE setup: %s", name, error->message);
    g_clear_error (&error);
  }

  disable_upnp (p->webrtcbin);
  p->handlers[0] = g_signal_connect (p->webrtcbin, "on-ice-candidate",
                                     G_CALLBACK (on_ice_candidate), p);
  p->handlers[1] = g_signal_connect (p->webrtcbin, "notify::connection-state",
                                     G_CALLBACK (on_connection_state), p);
  if (recv)
    p->handlers[2] = g_signal_connect (p->webrtcbin, "pad-added", G_CALLBACK (on_pad_added), p);

  for (int k = 0; send && k < N_KINDS; k++) {
    /* Audio first: m0 audio, m1 video, the order every offer uses. */
    guint32 ssrc = atomic_fetch_add (&ssrc_counter, 1) + 1;
    owner->ssrc[k] = ssrc;
    if (k == KIND_VIDEO)
      p->pay[k] = gst_element_factory_make ("rtpvp8pay", NULL);
    else
      p->pay[k] = gst_element_factory_make ("rtpopuspay", NULL);
    g_object_set (p->pay[k], "pt", k == KIND_VIDEO ? PT_VP8 : PT_OPUS, "ssrc", ssrc, NULL);
    if (k == KIND_VIDEO)
      g_object_set (p->pay[k], "picture-id-mode", 2 /* 15-bit */, NULL);
    gst_object_ref_sink (p->pay[k]);
    gst_bin_add (GST_BIN (pipeline), p->pay[k]);
    GstPad *sink = gst_element_request_pad_simple (p->webrtcbin, "sink_%u");
    GstWebRTCRTPTransceiver *trans = NULL;
    g_object_get (sink, "transceiver", &trans, NULL);
    GstCaps *caps = codec_caps (k, ssrc);
    g_object_set (trans, "direction", dir, "codec-preferences", caps, NULL);
    gst_caps_unref (caps);
    gst_object_unref (trans);
    GstPad *src = gst_element_get_static_pad (p->pay[k], "src");
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, send_probe,
                       &p->probe[k], NULL);
    if (gst_pad_link (src, sink) != GST_PAD_LINK_OK)
      g_warning ("%s: payloader does not link to webrtcbin", name);
    gst_object_unref (src);
    gst_object_unref (sink);
    gst_element_sync_state_with_parent (p->pay[k]);
  }
  gst_element_sync_state_with_parent (p->webrtcbin);
  return p;
}

void
peer_free (Peer *p)
{
  if (p == NULL)
    return;
  p->closed = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (p->handlers); i++)
    if (p->handlers[i])
      g_signal_handler_disconnect (p->webrtcbin, p->handlers[i]);
  for (int k = 0; k < N_KINDS; k++)
    if (p->tee_pad[k] != NULL)
      media_source_detach (k, p->tee_pad[k]);
  /* Elements leave the running pipeline one by one; at the end of the run
   * the pipeline is already NULL and this only drops references. */
  GList *rx;
  g_mutex_lock (&p->rx_lock);
  rx = p->rx_elements;
  p->rx_elements = NULL;
  g_mutex_unlock (&p->rx_lock);
  GstElement *all[2 + N_KINDS] = { p->webrtcbin };
  for (int k = 0; k < N_KINDS; k++)
    all[1 + k] = p->pay[k];
  for (guint i = 0; i < 1 + N_KINDS; i++) {
    if (all[i] == NULL)
      continue;
    gst_element_set_state (all[i], GST_STATE_NULL);
    if (GST_OBJECT_PARENT (all[i]) != NULL)
      gst_bin_remove (GST_BIN (pipeline), all[i]);
    gst_object_unref (all[i]);
  }
  for (GList *l = rx; l != NULL; l = l->next) {
    gst_element_set_state (l->data, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (l->data) != NULL)
      gst_bin_remove (GST_BIN (pipeline), l->data);
  }
  g_list_free_full (rx, gst_object_unref);
  p->webrtcbin = NULL;
  peer_unref (p);
}
