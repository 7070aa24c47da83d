/* media.h — the face of the media module: one GStreamer pipeline per visit,
 * one webrtcbin "leg" per participant, RTP relayed between legs without
 * decoding.
 *
 * Threading: every function here is called from the main context that was
 * thread-default when media_visit_new() ran, and every callback is invoked on
 * that same context (never from a GStreamer streaming thread).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MEDIA_ERROR (media_error_quark ())
GQuark media_error_quark (void);

typedef enum {
  MEDIA_ERROR_MISSING_PLUGIN, /* a GStreamer plugin is not installed */
  MEDIA_ERROR_PIPELINE,       /* an element could not be made or linked */
  MEDIA_ERROR_BAD_SDP,        /* the remote SDP does not parse or does not fit the offer */
  MEDIA_ERROR_BAD_CANDIDATE,  /* an ICE candidate is malformed or names a bad m-line */
  MEDIA_ERROR_BAD_STATE,      /* the leg is not in a state where this makes sense */
} MediaErrorCode;

/* Which data path relays a visit's media (both speak the same SDP, m-line
 * layout and RTCP to browsers; see README, Performance):
 * - LEAN: a leg is a libnice agent, DTLS (OpenSSL) and SRTP (libsrtp) of our
 *   own, on worker threads shared by many legs (one per core): a packet is
 *   carried from socket to socket by one thread, with no GStreamer element
 *   in between (lean_*.c).
 * - WEBRTCBIN: a leg is a webrtcbin in the visit's GstPipeline (leg.c,
 *   visit_pipeline.c), about eight threads per leg. */
typedef enum {
  MEDIA_ENGINE_DEFAULT = 0, /* whichever of the two is the default */
  MEDIA_ENGINE_WEBRTCBIN,
  MEDIA_ENGINE_LEAN,
} MediaEngine;

/* The engine MEDIA_ENGINE_DEFAULT stands for. */
MediaEngine media_engine_default (void);
const char *media_engine_name (MediaEngine engine);

typedef struct {
  MediaEngine engine;
  /* Local addresses ICE gathers host candidates on. libnice ignores loopback
   * interfaces unless they are added explicitly, so NULL or empty means "every
   * local interface address, loopback included". */
  gchar **ice_addresses;
  /* "stun://host:port", or NULL for none. */
  gchar *stun_server;
  /* Jitterbuffer latency in ms for incoming RTP. A relay forwards packets, it
   * does not play them out: 0 means no jitterbuffer at all (packets go
   * through in the receiving thread); above 0, rtpjitterbuffer with that
   * latency (webrtcbin's default is 200 ms). */
  guint jitter_latency_ms;
  /* UDP port range for ICE; 0/0 lets the kernel choose. */
  guint16 port_min;
  guint16 port_max;
  /* How many other participants each client receives at once (the visit's
   * participant limit minus one), 1..MEDIA_MAX_REMOTE_SLOTS; 0 means
   * MEDIA_DEFAULT_REMOTE_SLOTS. It fixes the m-line layout of every offer
   * (see MediaStream): webrtcbin 1.22 cannot renegotiate, so a leg offers
   * every slot it may ever need up front. */
  guint remote_slots;
} MediaConfig;

#define MEDIA_MAX_REMOTE_SLOTS 5
#define MEDIA_DEFAULT_REMOTE_SLOTS 3

typedef enum {
  MEDIA_LEG_NEW,             /* created, waiting for negotiation-needed */
  MEDIA_LEG_OFFERING,        /* creating and setting the local offer */
  MEDIA_LEG_AWAITING_ANSWER, /* offer sent, no answer yet */
  MEDIA_LEG_CONNECTING,      /* answer set, ICE/DTLS in progress */
  MEDIA_LEG_CONNECTED,       /* peer connection connected: media may flow */
  MEDIA_LEG_FAILED,          /* negotiation or connection failed */
  MEDIA_LEG_CLOSED,          /* removed from its visit */
} MediaLegState;

typedef struct _MediaVisit MediaVisit;
typedef struct _MediaLeg MediaLeg;

/* The fixed m-line layout of every leg's offer, K = remote slots:
 *   m0 audio sendrecv: up the client's microphone, down remote slot 0's audio
 *   m1 video sendrecv: up the camera, down remote slot 0's camera
 *   m2 video sendrecv: up the client's screen share (relayed only for a leg
 *      that may share), down another participant's current screen share
 *   m3+2(s-1) audio, m4+2(s-1) video, s = 1..K-1: remote slot s, server to
 *      client only (sendonly)
 * Every m-line has its own payload type and the server-sent streams fixed
 * SSRCs announced in the offer, so the browser demultiplexes the BUNDLE. */
typedef enum {
  MEDIA_CONTENT_CAMERA, /* a participant's microphone and camera */
  MEDIA_CONTENT_SCREEN, /* a participant's screen share */
} MediaContent;

/* What one m-line of a leg carries down to its client right now. */
typedef struct {
  guint mline;
  const char *mid;  /* the a=mid of that m-line in the leg's offer */
  const char *kind; /* "audio" | "video" */
  MediaContent content;
  const char *participant; /* whose media it is */
} MediaStream;

typedef struct {
  /* The server-made SDP offer for this leg, to be sent to its client. */
  void (*offer) (MediaLeg *leg, const char *sdp, gpointer user_data);
  /* A local ICE candidate ("candidate:..." line) for m-line `mline`. */
  void (*ice_candidate) (MediaLeg *leg, guint mline, const char *candidate, gpointer user_data);
  /* The leg's state changed. */
  void (*state_changed) (MediaLeg *leg, MediaLegState state, gpointer user_data);
  /* What the leg's client receives on which m-line changed (someone's media
   * appeared or went, a screen share started or stopped); also called right
   * after `offer`. `streams` (n entries, m-line order) is only valid during
   * the call. May be NULL. */
  void (*streams_changed) (MediaLeg *leg, const MediaStream *streams, guint n, gpointer user_data);
} MediaLegCallbacks;

typedef struct {
  guint64 packets_received; /* RTP packets that arrived from this leg's client */
  guint64 bytes_received;
  guint64 packets_sent; /* RTP packets relayed towards this leg's client */
  guint64 bytes_sent;
} MediaLegStats;

/* Checks that the GStreamer plugins the relay needs exist. On failure the
 * error message names the missing plugin and the Debian package that ships it. */
gboolean media_check_plugins (GError **error);

MediaVisit *media_visit_new (const char *visit_id, const MediaConfig *config, GError **error);
/* Sets the pipeline to NULL and frees everything; no callback runs afterwards. */
void media_visit_free (MediaVisit *visit);
guint media_visit_leg_count (MediaVisit *visit);

/* Adds a webrtcbin leg for a participant. The leg offers the layout above
 * (Opus and VP8); its offer arrives through callbacks->offer. */
MediaLeg *media_visit_add_leg (MediaVisit *visit, const char *participant_id,
                               const MediaLegCallbacks *callbacks, gpointer user_data,
                               GError **error);
/* Unlinks and destroys the leg; the other legs keep running. No callback for
 * this leg runs after it returns. */
void media_visit_remove_leg (MediaVisit *visit, MediaLeg *leg);

/* Pure checks of what a client sends, before any of it reaches webrtcbin
 * (fuzzed by tests/fuzz/fuzz_sdp.c; gst_init must have run). An answer
 * must parse, have a version line and exactly `expected_mlines` m-lines of
 * the kinds of the layout above (audio, video, video, then audio/video
 * pairs) (MEDIA_ERROR_BAD_SDP). A candidate must be a "candidate:" line of
 * at most 1024 bytes, without control characters, with at least 8 fields,
 * for an m-line below both `n_mlines` (0: not yet known) and the largest
 * layout (MEDIA_ERROR_BAD_CANDIDATE). */
gboolean media_sdp_check_answer (const char *sdp, guint expected_mlines, GError **error);
gboolean media_candidate_check (const char *candidate, guint mline, guint n_mlines, GError **error);

gboolean media_leg_set_answer (MediaLeg *leg, const char *sdp, GError **error);
gboolean media_leg_add_ice_candidate (MediaLeg *leg, guint mline, const char *candidate,
                                      GError **error);
/* Whether this leg's screen share (m2 up) is relayed to the others; off by
 * default (the room allows it for the provider). */
void media_leg_set_may_share (MediaLeg *leg, gboolean may_share);
MediaLegState media_leg_get_state (MediaLeg *leg);
const char *media_leg_get_participant (MediaLeg *leg);
void media_leg_get_stats (MediaLeg *leg, MediaLegStats *stats);
const char *media_leg_state_name (MediaLegState state);

/* The server's view of a leg's connection (leg_quality.c): totals since the
 * leg began, summed over its incoming streams; the caller keeps the last
 * sample to make rates. rtt_ms is the largest round trip the client's
 * receiver reports imply, when any arrived. */
typedef struct {
  guint64 packets_received;
  guint64 packets_lost;
  gdouble rtt_ms;
  gboolean have_rtt;
} MediaLegQuality;

typedef void (*MediaQualityFunc) (MediaLeg *leg, const MediaLegQuality *quality,
                                  gpointer user_data);
/* Asks webrtcbin for its statistics; `func` runs later on the leg's main
 * context, unless the leg was removed first. `destroy` frees user_data
 * in any case. */
void media_leg_request_quality (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                                GDestroyNotify destroy);

G_END_DECLS
