/* lean_leg.c — a lean leg's life: the offer, the NiceAgent, the answer and
 * the client's candidates, DTLS, and the leg's state as the main context
 * sees it.
 *
 * The states are the webrtcbin engine's (media.h): NEW → OFFERING →
 * AWAITING_ANSWER when the offer is handed out, CONNECTING once the answer
 * is set, CONNECTED when DTLS is done and the SRTP keys are in place
 * (media may flow), FAILED when ICE or DTLS fail.
 *
 * Two threads touch a leg. The main context owns the MediaLeg and calls in
 * through the public API; everything a LeanLeg holds (agent, DTLS, SRTP,
 * timers, routes) belongs to the visit's worker. Calls cross over as posted
 * closures: main → worker with lean_leg_post, worker → main with
 * media_leg_marshal; both run later, never inline, and skip a closed leg.
 */
#include "media/lean-private.h"

#include <openssl/rand.h>
#include <string.h>
#include <sys/socket.h>

GST_DEBUG_CATEGORY_EXTERN (media_leg_debug);
#define GST_CAT_DEFAULT media_leg_debug

/* Receiver reports about once a second (RFC 3550 allows more for a
 * two-party session's 5% RTCP share; browsers send theirs at ~1 s), and
 * transport-wide feedback every 100 ms, as libwebrtc's receivers do, so a
 * sender's bandwidth estimate follows the path within a few round trips. */
#define LEAN_RTCP_INTERVAL_MS 1000
#define LEAN_TWCC_INTERVAL_MS 100

LeanLeg *
lean_leg_ref (LeanLeg *lean)
{
  g_atomic_ref_count_inc (&lean->ref);
  return lean;
}

void
lean_leg_unref (LeanLeg *lean)
{
  if (lean == NULL || !g_atomic_ref_count_dec (&lean->ref))
    return;
  /* lean_leg_close ran on the worker before the last ref went (or the leg
   * never started there). */
  g_warn_if_fail (lean->agent == NULL);
  lean_dtls_free (lean->dtls);
  lean_srtp_free (lean->srtp_in);
  lean_srtp_free (lean->srtp_out);
  lean_twcc_free (lean->twcc);
  lean_path_free_out (lean);
  g_main_context_unref (lean->worker);
  g_free (lean->ufrag);
  g_free (lean->pwd);
  g_free (lean->cname);
  g_free (lean->visit_id);
  g_free (lean);
}

/* ---- main → worker ---- */

typedef struct {
  LeanLeg *lean;
  LeanLegCall func;
  gpointer data;
  GDestroyNotify data_free;
} Post;

static gboolean
post_dispatch (gpointer user_data)
{
  Post *p = user_data;
  if (!p->lean->closed)
    p->func (p->lean, p->data);
  return G_SOURCE_REMOVE;
}

static void
post_free (gpointer user_data)
{
  Post *p = user_data;
  if (p->data_free != NULL && p->data != NULL)
    p->data_free (p->data);
  lean_leg_unref (p->lean);
  g_free (p);
}

void
lean_leg_post (LeanLeg *lean, LeanLegCall func, gpointer data, GDestroyNotify data_free)
{
  Post *p = g_new0 (Post, 1);
  p->lean = lean_leg_ref (lean);
  p->func = func;
  p->data = data;
  p->data_free = data_free;
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, post_dispatch, p, post_free);
  g_source_set_static_name (source, "lean-leg-post");
  g_source_attach (source, lean->worker);
  g_source_unref (source);
}

/* ---- worker → main ---- */

static void
do_state (MediaLeg *leg, gpointer data)
{
  MediaLegState state = GPOINTER_TO_INT (data);
  if (leg->closed)
    return;
  media_leg_set_state (leg, state);
  /* Its m-lines can carry media now: link what should feed them. */
  if (state == MEDIA_LEG_CONNECTED && leg->visit != NULL)
    media_visit_update_links (leg->visit);
}

static void
post_state (LeanLeg *lean, MediaLegState state)
{
  if (!lean->closed)
    media_leg_marshal (lean->leg, do_state, GINT_TO_POINTER (state), NULL);
}

static void
do_source_seen (MediaLeg *leg, gpointer data)
{
  MediaSourceKind kind = GPOINTER_TO_INT (data);
  if (leg->closed || leg->visit == NULL || leg->receiving[kind])
    return;
  GST_INFO ("leg %s: receiving %s", leg->participant, media_source_name (kind));
  leg->receiving[kind] = TRUE;
  if (kind == MEDIA_SOURCE_SCREEN)
    media_slots_watch_screens (leg->visit);
  media_visit_update_links (leg->visit);
}

void
lean_leg_source_seen (LeanLeg *lean, MediaSourceKind kind)
{
  if (!lean->closed)
    media_leg_marshal (lean->leg, do_source_seen, GINT_TO_POINTER (kind), NULL);
}

void
lean_leg_screen_flowing (LeanLeg *lean)
{
  if (!lean->closed)
    media_leg_post_screen_flowing (lean->leg);
}

static void
do_offer (MediaLeg *leg, gpointer data)
{
  if (leg->closed)
    return;
  media_leg_set_state (leg, MEDIA_LEG_OFFERING);
  media_leg_set_state (leg, MEDIA_LEG_AWAITING_ANSWER);
  if (!leg->closed && leg->callbacks.offer != NULL)
    leg->callbacks.offer (leg, data, leg->user_data);
  /* Right after the offer, what its m-lines carry (maybe nothing yet). */
  leg->offered = TRUE;
  media_slots_report (leg, TRUE);
}

/* ---- worker: timers ---- */

static void
stop_timer (GSource **timer)
{
  if (*timer != NULL) {
    g_source_destroy (*timer);
    g_source_unref (*timer);
    *timer = NULL;
  }
}

static GSource *
start_timer (LeanLeg *lean, guint ms, GSourceFunc func, const char *name)
{
  GSource *source = g_timeout_source_new (ms);
  g_source_set_callback (source, func, lean_leg_ref (lean), (GDestroyNotify) lean_leg_unref);
  g_source_set_static_name (source, name);
  g_source_attach (source, lean->worker);
  return source;
}

static gboolean
on_rtcp_timer (gpointer data)
{
  lean_path_send_reports (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_twcc_timer (gpointer data)
{
  lean_path_send_twcc (data);
  return G_SOURCE_CONTINUE;
}

/* ---- worker: DTLS ---- */

void
lean_leg_send (LeanLeg *lean, const guint8 *data, gsize len)
{
  /* Non-blocking UDP: a full socket buffer drops the packet, as the
   * network would. */
  if (lean->agent != NULL)
    nice_agent_send (lean->agent, lean->stream_id, 1, (guint) len, (const gchar *) data);
}

static void
dtls_send (const guint8 *data, gsize len, gpointer user_data)
{
  lean_leg_send (user_data, data, len);
}

static gboolean on_dtls_timer (gpointer data);

/* A leg's trouble, for the log with the visit and the event as fields
 * (journalctl VISIT_ID=...); it names no one. */
static void G_GNUC_PRINTF (3, 4)
leg_log (LeanLeg *lean, const char *event, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *text = g_strdup_vprintf (format, args);
  va_end (args);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "VISIT_ID", lean->visit_id, "EVENT", event,
                    "MESSAGE", "visit %s: media: %s", lean->visit_id, text);
}

static void
dtls_fail (LeanLeg *lean, const char *why)
{
  leg_log (lean, "media.dtls", "a participant's secure connection failed: %s",
           why ? why : "unknown");
  stop_timer (&lean->dtls_timer);
  post_state (lean, MEDIA_LEG_FAILED);
}

/* After every DTLS step: connected, failed, or when to retransmit. */
static void
dtls_after (LeanLeg *lean, LeanDtlsState state)
{
  if (state == LEAN_DTLS_FAILED) {
    dtls_fail (lean, lean_dtls_failure (lean->dtls));
    return;
  }
  if (state == LEAN_DTLS_CONNECTED && !lean->connected) {
    GError *err = NULL;
    if (!lean_dtls_make_srtp (lean->dtls, &lean->srtp_in, &lean->srtp_out, &err)) {
      dtls_fail (lean, err->message);
      g_error_free (err);
      return;
    }
    lean->connected = TRUE;
    lean->rtcp_timer = start_timer (lean, LEAN_RTCP_INTERVAL_MS, on_rtcp_timer, "lean-rtcp");
    lean->twcc_timer = start_timer (lean, LEAN_TWCC_INTERVAL_MS, on_twcc_timer, "lean-twcc");
    post_state (lean, MEDIA_LEG_CONNECTED);
  }
  stop_timer (&lean->dtls_timer);
  gint64 when = lean->connected ? -1 : lean_dtls_next_timeout (lean->dtls);
  if (when >= 0) {
    gint64 ms = MAX (when - g_get_monotonic_time (), 0) / 1000;
    lean->dtls_timer = start_timer (lean, (guint) MIN (ms + 1, 60000), on_dtls_timer, "lean-dtls");
  }
}

static gboolean
on_dtls_timer (gpointer data)
{
  LeanLeg *lean = data;
  /* dtls_after replaces this source: drop our handle first. */
  GSource *self = g_steal_pointer (&lean->dtls_timer);
  if (!lean->closed && lean->dtls != NULL)
    dtls_after (lean, lean_dtls_timeout (lean->dtls));
  if (self != NULL)
    g_source_unref (self);
  return G_SOURCE_REMOVE;
}

void
lean_leg_on_dtls (LeanLeg *lean, const guint8 *data, gsize len)
{
  /* Before the answer there is no DTLS object yet; the browser retransmits
   * its flight. */
  if (lean->dtls != NULL)
    dtls_after (lean, lean_dtls_receive (lean->dtls, data, len));
}

/* ---- worker: ICE ---- */

static void
on_new_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer user_data)
{
  LeanLeg *lean = user_data;
  if (lean->closed || candidate->component_id != 1)
    return;
  gchar *line = nice_agent_generate_local_candidate_sdp (agent, candidate);
  if (line == NULL)
    return;
  /* BUNDLE: one transport, announced on the first m-line. */
  media_leg_post_candidate (lean->leg, 0, g_str_has_prefix (line, "a=") ? line + 2 : line);
  g_free (line);
}

/* A keyframe arrives as a burst of some 40 packets at once, and a worker
 * serves many legs: the kernel's default receive buffer (about 200 KB,
 * which counts each 1.2 KB datagram at twice its size or more) overflows
 * when a few bursts meet a busy moment, and each lost packet then costs a
 * retransmission or a new keyframe. Ask for a larger one (the kernel caps
 * it at net.core.rmem_max). */
#define LEAN_SOCKET_BUFFER (1024 * 1024)

/* The path is chosen (or changed): size its socket's buffers and take the
 * arrival times of what comes on it from the kernel (lean_arrival.c). */
static void
watch_selected_socket (LeanLeg *lean)
{
  GSocket *socket = nice_agent_get_selected_socket (lean->agent, lean->stream_id, 1);
  lean_arrival_watch (&lean->arrival, socket);
  if (socket == NULL)
    return;
  int fd = g_socket_get_fd (socket);
  int size = LEAN_SOCKET_BUFFER;
  (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  (void) setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  g_object_unref (socket);
}

static void
on_selected_pair (NiceAgent *agent, guint stream_id, guint component_id, NiceCandidate *local,
                  NiceCandidate *remote, gpointer user_data)
{
  (void) agent;
  (void) stream_id;
  (void) component_id;
  (void) local;
  (void) remote;
  LeanLeg *lean = user_data;
  if (!lean->closed)
    watch_selected_socket (lean);
}

static void
on_component_state (NiceAgent *agent, guint stream_id, guint component_id, guint state,
                    gpointer user_data)
{
  (void) agent;
  (void) stream_id;
  (void) component_id;
  LeanLeg *lean = user_data;
  if (lean->closed)
    return;
  if (state == NICE_COMPONENT_STATE_FAILED) {
    leg_log (lean, "media.ice", "a participant's network path (ICE) failed");
    post_state (lean, MEDIA_LEG_FAILED);
  } else if (state == NICE_COMPONENT_STATE_READY) {
    watch_selected_socket (lean);
  }
  if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
      lean->dtls != NULL && !lean->dtls_started) {
    /* A client starts the handshake once a path exists (a server waits for
     * the browser's hello); start returns at once for a server. */
    lean->dtls_started = TRUE;
    dtls_after (lean, lean_dtls_start (lean->dtls));
  }
}

typedef struct {
  gchar **addresses;
  gchar *stun_host;
  guint stun_port;
  guint16 port_min, port_max;
} StartMsg;

static void
start_msg_free (gpointer data)
{
  StartMsg *m = data;
  g_strfreev (m->addresses);
  g_free (m->stun_host);
  g_free (m);
}

static void
do_start (LeanLeg *lean, gpointer data)
{
  StartMsg *m = data;
  GError *err = NULL;
  lean->visit->legs = g_list_append (lean->visit->legs, lean_leg_ref (lean));
  lean->twcc = lean_twcc_new ();
  lean->agent = nice_agent_new_full (lean->worker, NICE_COMPATIBILITY_RFC5245,
                                     NICE_AGENT_OPTION_ICE_TRICKLE);
  /* The offerer controls (RFC 8445 §6.1.1); ICE-TCP only adds failed checks.
   * No UPnP: a server does not ask a router for port mappings, and libnice's
   * UPnP discovery costs a thread and its memory per agent. */
  g_object_set (lean->agent, "controlling-mode", TRUE, "ice-tcp", FALSE, "upnp", FALSE, NULL);
  if (m->stun_host != NULL)
    g_object_set (lean->agent, "stun-server", m->stun_host, "stun-server-port", m->stun_port, NULL);
  if (!media_nice_add_local_addresses (lean->agent, (const gchar *const *) m->addresses, &err)) {
    leg_log (lean, "media.start", "cannot start a participant's connection: %s", err->message);
    g_error_free (err);
    post_state (lean, MEDIA_LEG_FAILED);
    return;
  }
  lean->stream_id = nice_agent_add_stream (lean->agent, 1);
  nice_agent_set_local_credentials (lean->agent, lean->stream_id, lean->ufrag, lean->pwd);
  if (m->port_min != 0 || m->port_max != 0)
    nice_agent_set_port_range (lean->agent, lean->stream_id, 1, m->port_min, m->port_max);
  g_signal_connect (lean->agent, "new-candidate-full", G_CALLBACK (on_new_candidate), lean);
  g_signal_connect (lean->agent, "component-state-changed", G_CALLBACK (on_component_state), lean);
  g_signal_connect (lean->agent, "new-selected-pair-full", G_CALLBACK (on_selected_pair), lean);
  nice_agent_attach_recv (lean->agent, lean->stream_id, 1, lean->worker, lean_path_receive, lean);
  if (!nice_agent_gather_candidates (lean->agent, lean->stream_id)) {
    leg_log (lean, "media.start", "no local address to receive a participant's media on");
    post_state (lean, MEDIA_LEG_FAILED);
  }
}

/* ---- main: start ---- */

/* ICE credentials and the CNAME: random from OpenSSL (the ICE password
 * authenticates connectivity checks), in ICE's own alphabet (RFC 8839). */
static gchar *
random_ice_string (guint len)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  guint8 bytes[64];
  g_assert (len <= sizeof bytes);
  if (RAND_bytes (bytes, (int) len) != 1)
    for (guint i = 0; i < len; i++)
      bytes[i] = (guint8) g_random_int ();
  gchar *s = g_malloc (len + 1);
  for (guint i = 0; i < len; i++)
    s[i] = alphabet[bytes[i] % 64];
  s[len] = '\0';
  return s;
}

static gboolean
parse_stun (const char *uri, gchar **host, guint *port)
{
  /* "stun://host:port" (config.c checked the prefix). The host must be an
   * address: resolving a name here would block the main loop. */
  if (uri == NULL || !g_str_has_prefix (uri, "stun://"))
    return FALSE;
  const char *hp = uri + strlen ("stun://");
  const char *colon = strrchr (hp, ':');
  gchar *h = colon ? g_strndup (hp, (gsize) (colon - hp)) : g_strdup (hp);
  guint64 p = colon ? g_ascii_strtoull (colon + 1, NULL, 10) : 3478;
  if (!g_hostname_is_ip_address (h) || p == 0 || p > 65535) {
    g_message ("media: STUN server %s is not an address and port: not used", uri);
    g_free (h);
    return FALSE;
  }
  *host = h;
  *port = (guint) p;
  return TRUE;
}

gboolean
lean_leg_start (MediaLeg *leg, GError **error)
{
  MediaVisit *visit = leg->visit;
  const char *fingerprint = lean_dtls_local_fingerprint (error);
  if (fingerprint == NULL)
    return FALSE;
  LeanLeg *lean = g_new0 (LeanLeg, 1);
  g_atomic_ref_count_init (&lean->ref);
  lean->arrival = (LeanArrival) LEAN_ARRIVAL_INIT;
  lean->visit = visit->lean;
  lean->worker = g_main_context_ref (visit->lean->worker);
  lean->n_mlines = leg->n_mlines;
  lean->ufrag = random_ice_string (8);
  lean->pwd = random_ice_string (24);
  lean->cname = random_ice_string (16);
  lean->visit_id = g_strdup (visit->id);
  for (guint m = 0; m < leg->n_mlines; m++) {
    MediaMline info;
    media_layout_mline (m, &info);
    leg->ssrc[m] = media_layout_pick_ssrc (leg->ssrc, m);
    lean->ssrc[m] = leg->ssrc[m];
    media_continuity_init (&lean->out[m].cont, info.video ? 90000 : 48000);
  }
  LeanOffer offer = {
    .ice_ufrag = lean->ufrag,
    .ice_pwd = lean->pwd,
    .fingerprint = fingerprint,
    .n_mlines = leg->n_mlines,
    .ssrc = lean->ssrc,
    .cname = lean->cname,
    .session_id = ((guint64) g_random_int () << 31) | g_random_int (),
  };
  gchar *mids[MEDIA_MAX_MLINES] = { 0 };
  gchar *sdp = lean_sdp_offer (&offer, mids);
  if (sdp == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_PIPELINE, "cannot write the offer");
    for (guint m = 0; m < MEDIA_MAX_MLINES; m++)
      g_free (mids[m]);
    lean_leg_unref (lean);
    return FALSE;
  }
  for (guint m = 0; m < leg->n_mlines; m++)
    leg->mid[m] = mids[m];
  lean->leg = media_leg_ref (leg);
  leg->lean = lean; /* the MediaLeg's ref */

  /* The offer goes out before the worker starts gathering: both are
   * dispatched in order, so the client sees the offer before any candidate. */
  media_leg_marshal (leg, do_offer, sdp, g_free);
  StartMsg *m = g_new0 (StartMsg, 1);
  m->addresses = g_strdupv (visit->ice_addresses);
  parse_stun (visit->stun_server, &m->stun_host, &m->stun_port);
  m->port_min = visit->port_min;
  m->port_max = visit->port_max;
  lean_leg_post (lean, do_start, m, start_msg_free);
  return TRUE;
}

/* ---- main: answer and candidates ---- */

static void
answer_free (gpointer data)
{
  lean_answer_clear (data);
  g_free (data);
}

static void
add_remote_candidate (LeanLeg *lean, const char *line)
{
  NiceCandidate *c = nice_agent_parse_remote_candidate_sdp (lean->agent, lean->stream_id, line);
  if (c == NULL || c->component_id != 1) {
    if (c != NULL)
      nice_candidate_free (c);
    return;
  }
  GSList *list = g_slist_prepend (NULL, c);
  nice_agent_set_remote_candidates (lean->agent, lean->stream_id, 1, list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
}

static void
do_answer (LeanLeg *lean, gpointer data)
{
  LeanAnswer *a = data;
  GError *err = NULL;
  if (lean->agent == NULL)
    return; /* the start failed and said so */
  nice_agent_set_remote_credentials (lean->agent, lean->stream_id, a->ice_ufrag, a->ice_pwd);
  for (guint i = 0; a->candidates != NULL && i < a->candidates->len; i++)
    add_remote_candidate (lean, g_ptr_array_index (a->candidates, i));
  lean->twcc_ext_id = a->twcc_ext_id;
  lean->dtls = lean_dtls_new (a->dtls_role, a->fingerprint, dtls_send, lean, &err);
  if (lean->dtls == NULL) {
    dtls_fail (lean, err->message);
    g_error_free (err);
  }
}

gboolean
lean_leg_set_answer (MediaLeg *leg, GstSDPMessage *answer, GError **error)
{
  LeanAnswer *a = g_new0 (LeanAnswer, 1);
  gboolean ok = lean_sdp_read_answer (answer, a, error);
  gst_sdp_message_free (answer);
  if (!ok) {
    answer_free (a);
    return FALSE;
  }
  lean_leg_post (leg->lean, do_answer, a, answer_free);
  media_leg_set_state (leg, MEDIA_LEG_CONNECTING);
  return TRUE;
}

static void
do_remote_candidate (LeanLeg *lean, gpointer data)
{
  if (lean->agent != NULL)
    add_remote_candidate (lean, data);
}

gboolean
lean_leg_add_ice_candidate (MediaLeg *leg, guint mline, const char *candidate, GError **error)
{
  (void) mline; /* BUNDLE: every m-line shares the one transport */
  (void) error;
  lean_leg_post (leg->lean, do_remote_candidate, g_strdup (candidate), g_free);
  return TRUE;
}

/* ---- quality ---- */

static void
do_quality (LeanLeg *lean, gpointer data)
{
  MediaQualityRequest *req = data;
  MediaQualityRequest *out = g_new0 (MediaQualityRequest, 1);
  /* The request moves on to the main context; the post frees an empty one. */
  *out = *req;
  req->destroy = NULL;
  for (int k = 0; k < MEDIA_N_SOURCES; k++) {
    if (!lean->in[k].seen)
      continue;
    guint64 received, lost;
    lean_recv_stats_totals (&lean->in[k].stats, &received, &lost);
    out->quality.packets_received += received;
    out->quality.packets_lost += lost;
  }
  out->quality.rtt_ms = lean->rtt_ms;
  out->quality.have_rtt = lean->have_rtt;
  media_leg_marshal (lean->leg, media_quality_request_deliver, out, media_quality_request_free);
}

void
lean_leg_request_quality (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                          GDestroyNotify destroy)
{
  /* No leg ref: the post holds the LeanLeg, which holds the leg. */
  lean_leg_post (leg->lean, do_quality, media_quality_request_new (NULL, func, user_data, destroy),
                 media_quality_request_free);
}

/* ---- worker: the end ---- */

void
lean_leg_close (LeanLeg *lean)
{
  if (lean->closed)
    return;
  /* Cut the routes both ways first: no packet goes to or from it after. */
  for (GList *l = lean->visit->legs; l != NULL; l = l->next) {
    LeanLeg *other = l->data;
    for (guint m = 0; m < other->n_mlines; m++)
      if (other->out[m].src == lean)
        lean_path_set_route (other, m, NULL, MEDIA_SOURCE_MIC);
  }
  for (guint m = 0; m < lean->n_mlines; m++)
    lean_path_set_route (lean, m, NULL, MEDIA_SOURCE_MIC);
  lean->closed = TRUE;
  lean_path_stop (lean);
  stop_timer (&lean->dtls_timer);
  stop_timer (&lean->rtcp_timer);
  stop_timer (&lean->twcc_timer);
  if (lean->agent != NULL) {
    nice_agent_attach_recv (lean->agent, lean->stream_id, 1, lean->worker, NULL, NULL);
    g_signal_handlers_disconnect_by_data (lean->agent, lean);
    g_clear_object (&lean->agent);
  }
  lean_arrival_clear (&lean->arrival);
  GList *link = g_list_find (lean->visit->legs, lean);
  if (link != NULL) {
    lean->visit->legs = g_list_delete_link (lean->visit->legs, link);
    lean_leg_unref (lean);
  }
  g_clear_pointer (&lean->leg, media_leg_unref);
}
