/* leg.c — MediaLeg: one webrtcbin for one participant.
 *
 * The server offers. A leg's life: NEW → (on-negotiation-needed) OFFERING →
 * (local offer set, sent through callbacks->offer) AWAITING_ANSWER →
 * (media_leg_set_answer) CONNECTING → (connection-state connected) CONNECTED,
 * with FAILED reachable from any step and CLOSED when its visit drops it.
 *
 * Threading: webrtcbin emits its signals and replies to promises on its own
 * threads and on streaming threads. Every handler here only takes a leg
 * reference and posts the work to the visit's main context (media_leg_marshal);
 * the posted function checks `closed` first, so work that arrives after the
 * leg was removed does nothing. The one exception is pad-added, which links
 * the new src pad to a tee right in the streaming thread (see leg_input.c).
 */
#include "media/lean-private.h"

#include <gst/sdp/sdp.h>
#include <nice/agent.h>
#include <nice/interfaces.h>
#include <string.h>

GST_DEBUG_CATEGORY (media_leg_debug);
#define GST_CAT_DEFAULT media_leg_debug

const char *
media_leg_state_name (MediaLegState state)
{
  switch (state) {
  case MEDIA_LEG_NEW:
    return "new";
  case MEDIA_LEG_OFFERING:
    return "offering";
  case MEDIA_LEG_AWAITING_ANSWER:
    return "awaiting-answer";
  case MEDIA_LEG_CONNECTING:
    return "connecting";
  case MEDIA_LEG_CONNECTED:
    return "connected";
  case MEDIA_LEG_FAILED:
    return "failed";
  case MEDIA_LEG_CLOSED:
    return "closed";
  }
  return "unknown";
}

const char *
media_source_name (MediaSourceKind kind)
{
  switch (kind) {
  case MEDIA_SOURCE_MIC:
    return "microphone";
  case MEDIA_SOURCE_CAMERA:
    return "camera";
  case MEDIA_SOURCE_SCREEN:
    return "screen";
  default:
    return "?";
  }
}

/* ---- refcounting and the hand-off to the main context ---- */

MediaLeg *
media_leg_ref (MediaLeg *leg)
{
  g_atomic_ref_count_inc (&leg->ref);
  return leg;
}

void
media_leg_unref (MediaLeg *leg)
{
  if (leg == NULL || !g_atomic_ref_count_dec (&leg->ref))
    return;
  /* By now the visit has torn the leg's elements out of the pipeline
   * (remove_leg / visit_free); only plain references are left. */
  for (guint m = 0; m < MEDIA_MAX_MLINES; m++) {
    g_clear_object (&leg->sink_pad[m]);
    g_free (leg->mid[m]);
    g_warn_if_fail (leg->relay_in[m].source == NULL && leg->relay_in[m].rewrite == NULL);
  }
  for (int k = 0; k < MEDIA_N_SOURCES; k++)
    g_clear_object (&leg->tee[k]);
  if (leg->reported != NULL)
    g_array_unref (leg->reported);
  g_clear_object (&leg->webrtcbin);
  g_clear_pointer (&leg->lean, lean_leg_unref);
  g_main_context_unref (leg->context);
  g_free (leg->participant);
  g_free (leg);
}

typedef struct {
  MediaLeg *leg;
  MediaLegCall func;
  gpointer data;
  GDestroyNotify data_free;
} Marshal;

static gboolean
marshal_dispatch (gpointer user_data)
{
  Marshal *m = user_data;
  m->func (m->leg, m->data);
  return G_SOURCE_REMOVE;
}

static void
marshal_free (gpointer user_data)
{
  Marshal *m = user_data;
  if (m->data_free != NULL && m->data != NULL)
    m->data_free (m->data);
  media_leg_unref (m->leg);
  g_free (m);
}

/* Runs func(leg, data) on the leg's main context, later, never inline: an
 * idle source rather than g_main_context_invoke_full, because invoke runs the
 * function immediately when the caller already owns the context, and
 * webrtcbin sometimes emits synchronously from inside our own calls; running
 * inline there would re-enter leg state mid-update. */
void
media_leg_marshal (MediaLeg *leg, MediaLegCall func, gpointer data, GDestroyNotify data_free)
{
  Marshal *m = g_new0 (Marshal, 1);
  m->leg = media_leg_ref (leg);
  m->func = func;
  m->data = data;
  m->data_free = data_free;
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, marshal_dispatch, m, marshal_free);
  g_source_set_static_name (source, "media-leg-marshal");
  g_source_attach (source, leg->context);
  g_source_unref (source);
}

static void
leg_closure_unref (gpointer data, GClosure *closure)
{
  (void) closure;
  media_leg_unref (data);
}

void
media_leg_set_state (MediaLeg *leg, MediaLegState state)
{
  if (leg->closed || leg->state == state)
    return;
  GST_INFO ("leg %s: %s -> %s", leg->participant, media_leg_state_name (leg->state),
            media_leg_state_name (state));
  leg->state = state;
  if (leg->callbacks.state_changed != NULL)
    leg->callbacks.state_changed (leg, state, leg->user_data);
}

void
media_leg_mark_closed (MediaLeg *leg)
{
  if (leg->closed)
    return;
  leg->state = MEDIA_LEG_CLOSED; /* no callback: the owner asked for this */
  leg->closed = TRUE;
  leg->visit = NULL;
  /* Handlers hold a leg ref each; disconnecting drops them once any
   * invocation in flight has returned (GClosure keeps itself alive). */
  if (leg->webrtcbin != NULL)
    g_signal_handlers_disconnect_matched (leg->webrtcbin, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                          leg);
}

/* ---- offer ---- */

/* Reply to set-local- or set-remote-description: an "error" field means
 * webrtcbin refused the description and the leg cannot go on. */
static void
do_description_result (MediaLeg *leg, gpointer data)
{
  GstPromise *promise = data;
  if (leg->closed)
    return;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply != NULL && gst_structure_has_field (reply, "error")) {
    GError *err = NULL;
    gst_structure_get (reply, "error", G_TYPE_ERROR, &err, NULL);
    GST_WARNING ("leg %s: setting a description failed: %s", leg->participant,
                 err ? err->message : "?");
    g_clear_error (&err);
    media_leg_set_state (leg, MEDIA_LEG_FAILED);
  }
}

static void
on_description_set (GstPromise *promise, gpointer user_data)
{
  media_leg_marshal (user_data, do_description_result, gst_promise_ref (promise),
                     (GDestroyNotify) gst_promise_unref);
}

static void
do_offer_created (MediaLeg *leg, gpointer data)
{
  GstPromise *promise = data;
  if (leg->closed)
    return;
  GstWebRTCSessionDescription *offer = NULL;
  const GstStructure *reply = NULL;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply != NULL)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  if (offer == NULL) {
    GST_WARNING ("leg %s: create-offer gave no offer", leg->participant);
    media_leg_set_state (leg, MEDIA_LEG_FAILED);
    return;
  }
  /* The mids webrtcbin chose, which the client sees as transceiver.mid: the
   * streams reports name m-lines by them. */
  for (guint m = 0; m < leg->n_mlines && m < gst_sdp_message_medias_len (offer->sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, m);
    g_free (leg->mid[m]);
    leg->mid[m] = g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
  }
  if (gst_sdp_message_medias_len (offer->sdp) != leg->n_mlines)
    GST_WARNING ("leg %s: the offer has %u m-lines, not %u", leg->participant,
                 gst_sdp_message_medias_len (offer->sdp), leg->n_mlines);
  leg->n_mlines = MIN (gst_sdp_message_medias_len (offer->sdp), MEDIA_MAX_MLINES);

  GstPromise *set_promise = gst_promise_new_with_change_func (on_description_set,
                                                              media_leg_ref (leg),
                                                              (GDestroyNotify) media_leg_unref);
  g_signal_emit_by_name (leg->webrtcbin, "set-local-description", offer, set_promise);
  gst_promise_unref (set_promise);

  /* Hand the offer out now, in this same dispatch: webrtcbin gathers
   * candidates only once the local description is applied and those reach us
   * as later dispatches, so the client always sees the offer before any ICE
   * candidate of ours. */
  gchar *text = gst_sdp_message_as_text (offer->sdp);
  gst_webrtc_session_description_free (offer);
  media_leg_set_state (leg, MEDIA_LEG_AWAITING_ANSWER);
  if (!leg->closed && leg->callbacks.offer != NULL)
    leg->callbacks.offer (leg, text, leg->user_data);
  g_free (text);
  /* Right after the offer, what its m-lines carry (maybe nothing yet). */
  leg->offered = TRUE;
  media_slots_report (leg, TRUE);
}

static void
on_offer_created (GstPromise *promise, gpointer user_data)
{
  media_leg_marshal (user_data, do_offer_created, gst_promise_ref (promise),
                     (GDestroyNotify) gst_promise_unref);
}

static void
do_negotiation_needed (MediaLeg *leg, gpointer data)
{
  (void) data;
  if (leg->closed)
    return;
  /* webrtcbin 1.22 has no usable renegotiation: one offer per leg. A later
   * negotiation-needed (e.g. after the answer) is ignored on purpose. */
  if (leg->state != MEDIA_LEG_NEW) {
    GST_DEBUG ("leg %s: negotiation-needed in state %s ignored", leg->participant,
               media_leg_state_name (leg->state));
    return;
  }
  media_leg_set_state (leg, MEDIA_LEG_OFFERING);
  GstPromise *promise = gst_promise_new_with_change_func (on_offer_created, media_leg_ref (leg),
                                                          (GDestroyNotify) media_leg_unref);
  g_signal_emit_by_name (leg->webrtcbin, "create-offer", NULL, promise);
  gst_promise_unref (promise);
}

static void
on_negotiation_needed (GstElement *webrtcbin, gpointer user_data)
{
  (void) webrtcbin;
  media_leg_marshal (user_data, do_negotiation_needed, NULL, NULL);
}

/* ---- local ICE candidates ---- */

typedef struct {
  guint mline;
  gchar *candidate;
} Candidate;

static void
candidate_free (gpointer p)
{
  Candidate *c = p;
  g_free (c->candidate);
  g_free (c);
}

static void
do_ice_candidate (MediaLeg *leg, gpointer data)
{
  Candidate *c = data;
  if (leg->closed || leg->callbacks.ice_candidate == NULL)
    return;
  leg->callbacks.ice_candidate (leg, c->mline, c->candidate, leg->user_data);
}

void
media_leg_post_candidate (MediaLeg *leg, guint mline, const char *candidate)
{
  Candidate *c = g_new0 (Candidate, 1);
  c->mline = mline;
  c->candidate = g_strdup (candidate);
  media_leg_marshal (leg, do_ice_candidate, c, candidate_free);
}

static void
on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate, gpointer user_data)
{
  (void) webrtcbin;
  media_leg_post_candidate (user_data, mline, candidate);
}

/* ---- connection state ---- */

static void
unsync_one (const GValue *item, gpointer data)
{
  (void) data;
  GstElement *e = g_value_get_object (item);
  GstElementFactory *f = gst_element_get_factory (e);
  if (f != NULL && g_strcmp0 (GST_OBJECT_NAME (f), "nicesink") == 0)
    g_object_set (e, "sync", FALSE, NULL);
}

/* webrtcbin's RTP nicesink is sync=TRUE (only the RTCP one is unsynced): it
 * would wait on the clock until each relayed packet's timestamp plus the
 * pipeline latency. A relay sends as soon as it has a packet, so every
 * nicesink of the leg goes unsynced once its transport exists (connected). */
static void
leg_unsync_sinks (MediaLeg *leg)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (leg->webrtcbin));
  while (gst_iterator_foreach (it, unsync_one, NULL) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
}

static void
do_connection_state (MediaLeg *leg, gpointer data)
{
  (void) data;
  if (leg->closed)
    return;
  GstWebRTCPeerConnectionState pc_state;
  g_object_get (leg->webrtcbin, "connection-state", &pc_state, NULL);
  GST_INFO ("leg %s: connection-state %d", leg->participant, pc_state);
  switch (pc_state) {
  case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
    leg_unsync_sinks (leg);
    media_leg_set_state (leg, MEDIA_LEG_CONNECTED);
    /* Its sink pads are negotiated now, so relays into it can be linked. */
    if (leg->visit != NULL)
      media_visit_update_links (leg->visit);
    break;
  case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
    media_leg_set_state (leg, MEDIA_LEG_FAILED);
    break;
  default:
    /* new/connecting/disconnected/closed: DISCONNECTED may recover by itself
     * (ICE consent); a dead peer is detected by signaling and media timeout. */
    break;
  }
}

static void
on_connection_state (GObject *webrtcbin, GParamSpec *pspec, gpointer user_data)
{
  (void) webrtcbin;
  (void) pspec;
  media_leg_marshal (user_data, do_connection_state, NULL, NULL);
}

/* ---- ICE set-up ---- */

/* libnice skips loopback interfaces when it enumerates them itself, and
 * once any address is added explicitly it uses only the added ones. */
gboolean
media_nice_add_local_addresses (NiceAgent *agent, const gchar *const *addresses, GError **error)
{
  GList *defaults = NULL;
  if (addresses == NULL || addresses[0] == NULL)
    defaults = nice_interfaces_get_local_ips (TRUE);
  guint added = 0;
  for (GList *l = defaults; l != NULL; l = l->next) {
    NiceAddress addr;
    nice_address_init (&addr);
    if (nice_address_set_from_string (&addr, l->data) &&
        nice_agent_add_local_address (agent, &addr))
      added++;
  }
  for (guint i = 0; defaults == NULL && addresses != NULL && addresses[i] != NULL; i++) {
    NiceAddress addr;
    nice_address_init (&addr);
    if (!nice_address_set_from_string (&addr, addresses[i])) {
      g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "bad ICE address '%s'", addresses[i]);
      return FALSE;
    }
    if (nice_agent_add_local_address (agent, &addr))
      added++;
  }
  g_list_free_full (defaults, g_free);
  if (added == 0) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "no local address for ICE");
    return FALSE;
  }
  return TRUE;
}

gboolean
media_ice_add_local_addresses (GstElement *webrtcbin, const gchar *const *addresses,
                               guint16 port_min, guint16 port_max, GError **error)
{
  GObject *ice = NULL;
  GObject *agent = NULL;
  gboolean ok = FALSE;
  g_object_get (webrtcbin, "ice-agent", &ice, NULL);
  if (ice == NULL || g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE,
                 "webrtcbin's ICE agent is not libnice-based");
    goto out;
  }
  g_object_get (ice, "agent", &agent, NULL);
  if (agent == NULL || !NICE_IS_AGENT (agent)) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "webrtcbin has no NiceAgent");
    goto out;
  }
  /* ICE-TCP candidates only add noise and failed checks: clients reach us
   * over UDP (or through TURN). */
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  if (port_min != 0 || port_max != 0) {
    /* Let the firewall open a known range. Max first: min may not exceed it. */
    g_object_set (ice, "max-rtp-port", (guint) (port_max ? port_max : 65535), NULL);
    g_object_set (ice, "min-rtp-port", (guint) port_min, NULL);
  }

  if (!media_nice_add_local_addresses (NICE_AGENT (agent), addresses, error))
    goto out;
  ok = TRUE;
out:
  g_clear_object (&agent);
  g_clear_object (&ice);
  return ok;
}

/* ---- creation ---- */

static GstElement *
on_request_jitterbuffer (GstElement *rtpbin, guint session, gpointer data)
{
  (void) rtpbin;
  (void) session;
  (void) data;
  return media_rtp_pass_new ();
}

/* Tuning for a relay: one transport per participant, no jitterbuffer
 * (by default), sender reports stamped with receive times, STUN. */
static void
leg_tune_webrtcbin (MediaVisit *visit, GstElement *webrtcbin)
{
  /* max-bundle: one ICE/DTLS transport for audio and video, so one
   * candidate pair and one handshake per participant. */
  g_object_set (webrtcbin, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  /* A relay does not play out, so by default (jitter_latency_ms = 0) it has
   * no jitterbuffer at all: rtpbin gets a pass-through element instead
   * (rtp_pass.c) and the receiving browser's own jitterbuffer does the
   * reordering. Measured at 10 visits, 15 s, against rtpjitterbuffer with
   * latency 0: 2 threads fewer per incoming stream (8 per visit, ~75 in
   * all), 1.0-1.4 fewer context switches per relayed packet (2.0 vs 3.0-3.4)
   * and relay-added latency p50 3-5 ms instead of 12-21 ms (its output
   * thread hands each packet over); with the old latency 40: p50 22-130 ms.
   * A non-zero setting keeps a real rtpjitterbuffer with that latency. */
  g_object_set (webrtcbin, "latency", visit->jitter_latency_ms, NULL);
  GstElement *rtpbin = gst_bin_get_by_name (GST_BIN (webrtcbin), "rtpbin");
  if (rtpbin != NULL) {
    if (visit->jitter_latency_ms == 0)
      g_signal_connect (rtpbin, "request-jitterbuffer", G_CALLBACK (on_request_jitterbuffer), NULL);
    /* Sender reports map RTP time to the running time the packet was
     * captured at (our receive time), not that plus the pipeline latency:
     * the latter is unknown to a session whose sink was linked at run time
     * ("Can't determine running time ..." and no running time at all) unless
     * the whole pipeline's latency is recalculated on every link, which made
     * the synced sinks hold packets. */
    g_object_set (rtpbin, "rtcp-sync-send-time", FALSE, NULL);
    gst_object_unref (rtpbin);
  } else {
    GST_WARNING ("webrtcbin has no child named rtpbin: relay tuning skipped");
  }
  if (visit->stun_server != NULL && visit->stun_server[0] != '\0')
    g_object_set (webrtcbin, "stun-server", visit->stun_server, NULL);
}

/* Requests the leg's sink pads, one per m-line (leg->n_mlines); on failure
 * the pads requested so far stay in leg->sink_pad for the caller to release. */
static gboolean
leg_add_transceivers (MediaLeg *leg, GError **error)
{
  /* The transceivers of the fixed layout (media.h, layout.c), in m-line
   * order, with fixed codecs so every leg offers the same payload types
   * and, for what the server sends, a fixed SSRC the offer announces.
   * Requesting sink pads now lets the leg offer before any media exists;
   * they are linked to other legs' tees only once this leg is connected
   * (see visit_pipeline.c). */
  gboolean has_msid = FALSE;
  for (guint m = 0; m < leg->n_mlines; m++) {
    GstPad *pad = gst_element_request_pad_simple (leg->webrtcbin, "sink_%u");
    if (pad == NULL) {
      g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "webrtcbin gave no sink pad");
      return FALSE;
    }
    leg->sink_pad[m] = pad;
    GstWebRTCRTPTransceiver *trans = NULL;
    g_object_get (pad, "transceiver", &trans, NULL);
    if (trans == NULL) {
      g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "sink pad without transceiver");
      return FALSE;
    }
    leg->ssrc[m] = media_layout_pick_ssrc (leg->ssrc, m);
    MediaMline info;
    media_layout_mline (m, &info);
    GstCaps *caps = media_layout_caps (m, leg->ssrc[m]);
    g_object_set (trans, "direction",
                  info.sendrecv ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                                : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  "codec-preferences", caps, NULL);
    gst_caps_unref (caps);
    gst_object_unref (trans);
    /* The stream id of a=ssrc msid: one per slot, so a browser puts a remote
     * participant's audio and video in one MediaStream (ev.streams). */
    if (m == 0)
      has_msid = g_object_class_find_property (G_OBJECT_GET_CLASS (pad), "msid") != NULL;
    if (has_msid) {
      gchar *msid = info.slot < 0 ? g_strdup ("screen") : g_strdup_printf ("slot%d", info.slot);
      g_object_set (pad, "msid", msid, NULL);
      g_free (msid);
    }
  }
  return TRUE;
}

MediaLeg *
media_leg_alloc (MediaVisit *visit, const char *participant_id, const MediaLegCallbacks *callbacks,
                 gpointer user_data)
{
  if (media_leg_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (media_leg_debug, "medialeg", 0, "telehealth media leg");
  MediaLeg *leg = g_new0 (MediaLeg, 1);
  g_atomic_ref_count_init (&leg->ref);
  leg->visit = visit;
  leg->context = g_main_context_ref (visit->context);
  leg->participant = g_strdup (participant_id);
  leg->state = MEDIA_LEG_NEW;
  if (callbacks != NULL)
    leg->callbacks = *callbacks;
  leg->user_data = user_data;
  leg->n_mlines = visit->n_mlines;
  return leg;
}

MediaLeg *
media_leg_new (MediaVisit *visit, const char *participant_id, const MediaLegCallbacks *callbacks,
               gpointer user_data, GError **error)
{
  GstElement *webrtcbin = gst_element_factory_make ("webrtcbin", NULL);
  if (webrtcbin == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_MISSING_PLUGIN,
                 "cannot make webrtcbin (install gstreamer1.0-plugins-bad)");
    return NULL;
  }
  MediaLeg *leg = media_leg_alloc (visit, participant_id, callbacks, user_data);
  leg->webrtcbin = gst_object_ref_sink (webrtcbin);

  leg_tune_webrtcbin (visit, webrtcbin);

  if (!media_ice_add_local_addresses (webrtcbin, (const gchar *const *) visit->ice_addresses,
                                      visit->port_min, visit->port_max, error))
    goto fail;

  /* Handlers own a leg ref each (dropped when disconnected). */
  g_signal_connect_data (webrtcbin, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed),
                         media_leg_ref (leg), leg_closure_unref, 0);
  g_signal_connect_data (webrtcbin, "on-ice-candidate", G_CALLBACK (on_ice_candidate),
                         media_leg_ref (leg), leg_closure_unref, 0);
  g_signal_connect_data (webrtcbin, "pad-added", G_CALLBACK (media_leg_on_pad_added),
                         media_leg_ref (leg), leg_closure_unref, 0);
  g_signal_connect_data (webrtcbin, "notify::connection-state", G_CALLBACK (on_connection_state),
                         media_leg_ref (leg), leg_closure_unref, 0);

  if (!leg_add_transceivers (leg, error))
    goto fail;

  if (!gst_bin_add (GST_BIN (visit->pipeline), webrtcbin)) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "cannot add webrtcbin");
    goto fail;
  }
  if (!gst_element_sync_state_with_parent (webrtcbin)) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "webrtcbin does not start");
    gst_bin_remove (GST_BIN (visit->pipeline), webrtcbin);
    goto fail;
  }
  return leg;

fail:
  media_leg_mark_closed (leg);
  for (guint m = 0; m < MEDIA_MAX_MLINES; m++)
    if (leg->sink_pad[m] != NULL)
      gst_element_release_request_pad (webrtcbin, leg->sink_pad[m]);
  media_leg_unref (leg);
  return NULL;
}

/* ---- public leg API ---- */

gboolean
media_leg_set_answer (MediaLeg *leg, const char *sdp, GError **error)
{
  g_return_val_if_fail (leg != NULL && sdp != NULL, FALSE);
  if (leg->state != MEDIA_LEG_AWAITING_ANSWER) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_STATE,
                 "leg %s is %s, not waiting for an answer", leg->participant,
                 media_leg_state_name (leg->state));
    return FALSE;
  }
  GstSDPMessage *msg = NULL;
  if (!media_sdp_parse_answer (sdp, leg->n_mlines, &msg, error))
    return FALSE;
  if (leg->lean != NULL)
    return lean_leg_set_answer (leg, msg, error);
  GstWebRTCSessionDescription *answer =
    gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  GstPromise *promise = gst_promise_new_with_change_func (on_description_set, media_leg_ref (leg),
                                                          (GDestroyNotify) media_leg_unref);
  g_signal_emit_by_name (leg->webrtcbin, "set-remote-description", answer, promise);
  gst_promise_unref (promise);
  gst_webrtc_session_description_free (answer);
  media_leg_set_state (leg, MEDIA_LEG_CONNECTING);
  return TRUE;
}

gboolean
media_leg_add_ice_candidate (MediaLeg *leg, guint mline, const char *candidate, GError **error)
{
  g_return_val_if_fail (leg != NULL, FALSE);
  if (!media_candidate_check (candidate, mline, leg->n_mlines, error))
    return FALSE;
  if (leg->closed || leg->state == MEDIA_LEG_NEW || leg->state == MEDIA_LEG_OFFERING ||
      leg->state == MEDIA_LEG_FAILED) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_STATE, "leg %s is %s", leg->participant,
                 media_leg_state_name (leg->state));
    return FALSE;
  }
  if (media_candidate_is_mdns (candidate)) {
    /* webrtcbin cannot resolve mDNS names; a peer-reflexive candidate may
     * still make the call work. */
    GST_DEBUG ("leg %s: ignoring mDNS candidate %s", leg->participant, candidate);
    return TRUE;
  }
  if (leg->lean != NULL)
    return lean_leg_add_ice_candidate (leg, mline, candidate, error);
  g_signal_emit_by_name (leg->webrtcbin, "add-ice-candidate", mline, candidate);
  return TRUE;
}

void
media_leg_set_may_share (MediaLeg *leg, gboolean may_share)
{
  g_return_if_fail (leg != NULL);
  if (leg->closed || leg->may_share == may_share)
    return;
  leg->may_share = may_share;
  if (leg->visit != NULL)
    media_visit_update_links (leg->visit);
}

MediaLegState
media_leg_get_state (MediaLeg *leg)
{
  return leg->state;
}

const char *
media_leg_get_participant (MediaLeg *leg)
{
  return leg->participant;
}
