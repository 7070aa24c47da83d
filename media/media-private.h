/* media-private.h — what the files of the media module share. Not a public
 * header: signaling/ and server/ include media.h only. Tests may include it
 * for media_ice_add_local_addresses(), so a test peer sets up ICE the same
 * way a leg does.
 *
 * Ownership in one picture:
 *
 *   MediaVisit ──owns──▶ GstPipeline
 *       │                   ├─ webrtcbin (leg A) ─src─▶ tee[source] ─▶ rewrite ─▶ sink (leg B)
 *       │                   └─ webrtcbin (leg B) ─src─▶ tee[source] ─▶ rewrite ─▶ sink (leg A)
 *       └──refs──▶ MediaLeg (A, B)
 *
 * A MediaRelay sits on the RECEIVING leg, one per m-line: relay_in[m] names
 * the source leg whose tee feeds this leg's m-line m, the tee request pad of
 * that path, and the rtp_rewrite element between them. The rewrite element
 * belongs to the destination m-line for the leg's whole life: it gives the
 * packets that m-line's payload type and SSRC and keeps sequence numbers
 * and timestamps continuous when the source changes (see rtp_rewrite.c).
 * Which source feeds which m-line follows the slot assignment (slots.c).
 */
#pragma once

#include "media/media.h"

/* webrtcbin's library is marked unstable API; 1.22 is what we target. */
#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <gst/sdp/sdp.h>
#include <nice/agent.h>
#include <stdatomic.h>

G_BEGIN_DECLS

/* What a client sends up, one per sendrecv m-line: m0 microphone, m1
 * camera, m2 screen share (the index is that m-line's). */
typedef enum {
  MEDIA_SOURCE_MIC = 0,
  MEDIA_SOURCE_CAMERA = 1,
  MEDIA_SOURCE_SCREEN = 2,
  MEDIA_N_SOURCES
} MediaSourceKind;

/* The m-line layout (media.h): 3 sendrecv m-lines, then an audio and a video
 * m-line per remote slot beyond the first. */
#define MEDIA_MLINE_SCREEN 2
#define MEDIA_MAX_MLINES (3 + 2 * (MEDIA_MAX_REMOTE_SLOTS - 1))

/* Payload types. Each m-line has its own so that the browser can tell the
 * streams of the BUNDLE apart by payload type as well as by SSRC; the three
 * a client sends (111, 96, 97) are the same on every leg, so an incoming
 * stream says by its payload type what it is (leg.c). Slot s > 0 uses
 * Opus 111 + s and VP8 97 + s. */
#define MEDIA_PT_OPUS 111
#define MEDIA_PT_VP8 96
#define MEDIA_PT_SCREEN 97
/* Retransmissions (RFC 4588) of the client's camera and screen, offered by
 * the lean engine only. With RTX a browser probes its bandwidth with
 * padding on the RTX stream at any moment; without it Chrome may pad only
 * right after a frame's last packet, and its probes often never go out. */
#define MEDIA_PT_VP8_RTX 120
#define MEDIA_PT_SCREEN_RTX 121
/* Transport-wide congestion control header extension: advertising it lets
 * Chrome ramp its send bitrate quickly. Same id on every m-line (BUNDLE
 * requires one id per URI across the bundle). */
#define MEDIA_TWCC_EXT_ID 3
#define MEDIA_TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* One m-line of the layout. */
typedef struct {
  gboolean video;
  MediaSourceKind source; /* what it carries down: MIC, CAMERA or SCREEN */
  gint slot;              /* remote slot, -1 for the screen m-line */
  guint pt;
  gboolean sendrecv; /* m0..m2; the others are server → client only */
} MediaMline;

typedef struct {
  MediaLeg *source;     /* strong ref; NULL while this path is not linked */
  MediaSourceKind kind; /* which of source's tees */
  GstPad *tee_pad;      /* request pad on source->tee[kind] (ref) */
  GstElement *rewrite;  /* rtp_rewrite → sink_pad, made at the first link (ref) */
} MediaRelay;

typedef struct _LeanVisit LeanVisit;
typedef struct _LeanLeg LeanLeg;

struct _MediaVisit {
  char *id;
  MediaEngine engine; /* WEBRTCBIN or LEAN, never DEFAULT */
  LeanVisit *lean;    /* the lean engine's part (lean-private.h), or NULL */
  /* Deep copy of the caller's config. */
  gchar **ice_addresses;
  gchar *stun_server;
  guint jitter_latency_ms;
  guint16 port_min, port_max;
  guint remote_slots; /* K, 1..MEDIA_MAX_REMOTE_SLOTS */
  guint n_mlines;     /* 2K + 1 */

  GMainContext *context; /* thread-default at media_visit_new (ref) */
  GstElement *pipeline;  /* ref */
  GSource *bus_source;   /* bus watch attached to `context` */
  GList *legs;           /* MediaLeg*, strong refs, open legs only */
  /* "viewer\nsource" participant ids → 1 + the slot the source last had on
   * that viewer's leg: a returning participant gets its old slot back. */
  GHashTable *slot_memory;
  MediaLeg *screen;       /* whose screen share is relayed (borrowed), or NULL */
  GSource *report_source; /* pending streams_changed reports (idle) */
  GSource *screen_check;  /* screen shares going quiet (timeout) */
};

struct _MediaLeg {
  gatomicrefcount ref;
  /* Only the main context reads or writes the fields below `ref`, except the
   * atomics and the immutable-after-creation ones (participant, context,
   * webrtcbin pointer). */
  MediaVisit *visit;     /* borrowed; NULL once closed */
  GMainContext *context; /* ref; where marshalled calls go */
  char *participant;
  MediaLegState state;
  gboolean closed; /* set by remove/free; marshalled calls become no-ops */
  MediaLegCallbacks callbacks;
  gpointer user_data;

  LeanLeg *lean;                         /* the lean engine's part, or NULL */
  GstElement *webrtcbin;                 /* ref; NULL for a lean leg */
  guint n_mlines;                        /* m-lines of the local offer */
  GstPad *sink_pad[MEDIA_MAX_MLINES];    /* request pads on webrtcbin (ref) */
  guint32 ssrc[MEDIA_MAX_MLINES];        /* what each m-line sends with, announced */
  gchar *mid[MEDIA_MAX_MLINES];          /* from the local offer */
  MediaRelay relay_in[MEDIA_MAX_MLINES]; /* what feeds sink_pad[m] */
  GstElement *tee[MEDIA_N_SOURCES];      /* after the incoming src pad (ref), until then NULL */
  /* The client sends this source (webrtcbin: its tee exists; lean: a
   * packet of it came). What the slots look at. Main context. */
  gboolean receiving[MEDIA_N_SOURCES];

  /* Slots (slots.c): slot[s] is the leg whose microphone and camera this
   * leg's client receives in remote slot s (borrowed; cleared when that
   * leg goes). */
  MediaLeg *slot[MEDIA_MAX_REMOTE_SLOTS];
  gboolean may_share;
  gboolean screen_on; /* main context's view of screen_last_us */
  gboolean offered;   /* the offer went out: streams may be reported */
  gboolean report_pending;
  GArray *reported; /* MediaStream last reported (strings are ours) */

  /* Written from streaming threads by pad probes. */
  atomic_uint_fast64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
  atomic_llong screen_last_us; /* monotonic time of the last screen packet */
  atomic_int screen_flowing;   /* the probe saw packets since the last quiet check */
};

/* leg.c */
/* A leg's engine-independent part: state NEW, the visit's m-line count,
 * one ref (the visit's). */
MediaLeg *media_leg_alloc (MediaVisit *visit, const char *participant_id,
                           const MediaLegCallbacks *callbacks, gpointer user_data);
MediaLeg *media_leg_new (MediaVisit *visit, const char *participant_id,
                         const MediaLegCallbacks *callbacks, gpointer user_data, GError **error);
MediaLeg *media_leg_ref (MediaLeg *leg);
void media_leg_unref (MediaLeg *leg);
/* Runs func(leg, data) on the leg's main context, later, never inline
 * (takes a leg ref until then). From any thread. */
typedef void (*MediaLegCall) (MediaLeg *leg, gpointer data);
void media_leg_marshal (MediaLeg *leg, MediaLegCall func, gpointer data, GDestroyNotify data_free);

/* A quality request on its way (leg_quality.c), for both engines: who
 * asked, and the answer once made. leg: a ref, or NULL when the engine
 * keeps the leg alive otherwise. */
typedef struct {
  MediaLeg *leg;
  MediaQualityFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
  MediaLegQuality quality;
} MediaQualityRequest;
MediaQualityRequest *media_quality_request_new (MediaLeg *leg, MediaQualityFunc func,
                                                gpointer user_data, GDestroyNotify destroy);
void media_quality_request_free (gpointer data);
/* For media_leg_marshal: tells the asker, unless the leg closed meanwhile. */
void media_quality_request_deliver (MediaLeg *leg, gpointer data);
/* From any thread: hands a local ICE candidate to the leg's owner, later. */
void media_leg_post_candidate (MediaLeg *leg, guint mline, const char *candidate);
/* From any thread (leg_input.c): a screen share's first packet after a
 * quiet spell; the main context turns the share on and re-links. */
void media_leg_post_screen_flowing (MediaLeg *leg);
/* leg_input.c: webrtcbin's pad-added (a streaming thread). */
void media_leg_on_pad_added (GstElement *webrtcbin, GstPad *pad, gpointer user_data);
/* Marks the leg closed (no callback after this) and disconnects its signal
 * handlers. Does not touch the pipeline. Main context only. */
void media_leg_mark_closed (MediaLeg *leg);
/* Changes state and tells the owner (no-op when closed or unchanged). */
void media_leg_set_state (MediaLeg *leg, MediaLegState state);
/* Adds one RTP packet (or list) to a counter pair from a pad probe. */
GstPadProbeReturn media_count_rx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer leg);
GstPadProbeReturn media_count_tx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer leg);
const char *media_source_name (MediaSourceKind kind);

/* Makes libnice gather host candidates on `addresses` (NULL or empty: every
 * local address, loopback included), turns ICE-TCP off and applies the port
 * range when non-zero. Works for any webrtcbin, so tests use it for their
 * in-process peers. */
gboolean media_nice_add_local_addresses (NiceAgent *agent, const gchar *const *addresses,
                                         GError **error);
gboolean media_ice_add_local_addresses (GstElement *webrtcbin, const gchar *const *addresses,
                                        guint16 port_min, guint16 port_max, GError **error);

/* sdp_check.c — media_sdp_check_answer, handing over the parsed message
 * (gst_sdp_message_free) on success. */
gboolean media_sdp_parse_answer (const char *sdp, guint expected_mlines, GstSDPMessage **out,
                                 GError **error);
/* TRUE for a checked candidate whose address is an mDNS name (".local"). */
gboolean media_candidate_is_mdns (const char *candidate);

/* rtp_pass.c — a pass-through element rtpbin accepts as a jitterbuffer. */
GstElement *media_rtp_pass_new (void);

/* rtp_rewrite.c — gives relayed RTP the destination m-line's payload type
 * and SSRC (`caps`: that m-line's fixed caps, payload and ssrc included;
 * they become the element's output caps) and keeps sequence numbers and
 * timestamps continuous across source changes. */
GstElement *media_rtp_rewrite_new (const GstCaps *caps);

/* rtp_continuity.c — an outgoing m-line's sequence numbers and timestamps,
 * continuous across source changes (pure; the caller locks). */
typedef struct {
  guint clock_rate;
  gboolean have_in, have_out;
  gboolean rebase; /* set by the caller: the next packet starts a new source */
  guint32 in_ssrc;
  guint16 seq_delta;
  guint32 ts_delta;
  guint16 last_seq; /* highest sequence number sent */
  guint32 last_ts;  /* and its timestamp */
  gint64 last_us;   /* when the last packet went */
} MediaContinuity;
void media_continuity_init (MediaContinuity *c, guint clock_rate);
void media_continuity_map (MediaContinuity *c, guint32 ssrc, guint16 seq, guint32 ts, gint64 now_us,
                           guint16 *out_seq, guint32 *out_ts);

/* layout.c — the m-line layout and each m-line's codec caps. */
guint media_layout_n_mlines (guint remote_slots);
void media_layout_mline (guint mline, MediaMline *out);
/* The m-line of remote slot `slot` for a microphone or camera. */
guint media_layout_slot_mline (guint slot, MediaSourceKind kind);
/* Codec preferences of m-line `mline`; ssrc 0 leaves the SSRC out. */
GstCaps *media_layout_caps (guint mline, guint32 ssrc);
/* A random SSRC, non-zero and not among taken[0..n_taken). */
guint32 media_layout_pick_ssrc (const guint32 *taken, guint n_taken);
/* What a client's incoming stream carries, by its payload type. */
gboolean media_layout_source_for_pt (guint pt, MediaSourceKind *out);
/* The RTX payload type that retransmits `pt` (0: none), and which of a
 * client's sources an RTX payload type retransmits (lean engine). */
guint media_layout_rtx_pt (guint pt);
gboolean media_layout_source_for_rtx_pt (guint pt, MediaSourceKind *out);

/* slots.c — who a leg's client sees in which slot, the screen share, and the
 * streams_changed reports; main context only. */
/* Assigns slots to every leg's sources and picks the screen share. */
void media_slots_assign (MediaVisit *visit);
/* The leg goes: its slots on the others free up (remembered). */
void media_slots_release (MediaVisit *visit, MediaLeg *leg);
/* Which leg and which of its tees should feed `dst`'s m-line (NULL: none). */
MediaLeg *media_slots_wanted (MediaVisit *visit, MediaLeg *dst, guint mline, MediaSourceKind *kind);
/* The feed of `dst`'s m-line should change to src's `kind` (src NULL:
 * nothing); dst->relay_in[mline] says what feeds it now, and the function
 * brings it up to date. */
typedef void (*MediaRelinkFunc) (MediaVisit *visit, MediaLeg *dst, guint mline, MediaLeg *src,
                                 MediaSourceKind kind);
/* Assigns the slots, calls `func` for every m-line of a connected leg whose
 * feed should change, and schedules the streams reports. */
void media_slots_relink (MediaVisit *visit, MediaRelinkFunc func);
/* Reports what the leg's client receives, now, if it changed (or `force`). */
void media_slots_report (MediaLeg *leg, gboolean force);
/* Reports for every leg, soon (an idle dispatch). */
void media_slots_schedule_report (MediaVisit *visit);
/* A screen tee exists: watch it for going quiet. */
void media_slots_watch_screens (MediaVisit *visit);

/* visit_pipeline.c — relay bookkeeping, main context only. */
/* Slots, screen or connections changed: link (and unlink) what should be,
 * and schedule the streams reports. */
void media_visit_update_links (MediaVisit *visit);
/* Unlinks every relay fed by leg->tee[kind] and discards that tee. */
void media_visit_drop_source (MediaVisit *visit, MediaLeg *leg, MediaSourceKind kind);

G_END_DECLS
