/* media-private.h — what the files of the media module share. Not a public
 * header: signaling/ and server/ include media.h only. Tests may include it
 * for media_ice_add_local_addresses(), so a test peer sets up ICE the same
 * way a leg does.
 *
 * Ownership in one picture:
 *
 *   MediaVisit ──owns──▶ GstPipeline
 *       │                   ├─ webrtcbin (leg A) ─src─▶ tee[kind] ─▶ sink (leg B)
 *       │                   └─ webrtcbin (leg B) ─src─▶ tee[kind] ─▶ sink (leg A)
 *       └──refs──▶ MediaLeg (A, B)
 *
 * A MediaRelay sits on the RECEIVING leg: relay_in[kind] names the source leg
 * whose tee feeds this leg's sink pad for that kind, and the tee request pad
 * of that path (linked straight to the sink pad: no queue, see
 * visit_pipeline.c). One source per destination pad (1:1 visits);
 * a multi-party visit would pick a source per pad (active speaker, pinned
 * participant) and relink, the struct stays the same.
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
#include <stdatomic.h>

G_BEGIN_DECLS

/* The m-line order of every offer: m0 audio, m1 video. */
typedef enum {
  MEDIA_KIND_AUDIO = 0,
  MEDIA_KIND_VIDEO = 1,
  MEDIA_N_KINDS
} MediaKind;

/* Payload types: identical on every leg so a leg's incoming RTP links into
 * another leg's sink pad without depayloading (a mismatch fails the link with
 * not-negotiated and stalls the whole BUNDLE receive of the source leg). */
#define MEDIA_PT_OPUS 111
#define MEDIA_PT_VP8 96
/* Transport-wide congestion control header extension: advertising it lets
 * Chrome ramp its send bitrate quickly. Same id on both m-lines (BUNDLE
 * requires one id per URI across the bundle). */
#define MEDIA_TWCC_EXT_ID 3
#define MEDIA_TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

typedef struct {
  MediaLeg *source;     /* strong ref; NULL while this path is not linked */
  GstPad *tee_pad;      /* request pad on source->tee[kind] (ref) */
} MediaRelay;

struct _MediaVisit {
  char *id;
  /* Deep copy of the caller's config. */
  gchar **ice_addresses;
  gchar *stun_server;
  guint jitter_latency_ms;
  guint16 port_min, port_max;

  GMainContext *context;   /* thread-default at media_visit_new (ref) */
  GstElement *pipeline;    /* ref */
  GSource *bus_source;     /* bus watch attached to `context` */
  GList *legs;             /* MediaLeg*, strong refs, open legs only */
};

struct _MediaLeg {
  gatomicrefcount ref;
  /* Only the main context reads or writes the fields below `ref`, except the
   * atomics and the immutable-after-creation ones (participant, context,
   * webrtcbin pointer). */
  MediaVisit *visit;       /* borrowed; NULL once closed */
  GMainContext *context;   /* ref; where marshalled calls go */
  char *participant;
  MediaLegState state;
  gboolean closed;         /* set by remove/free; marshalled calls become no-ops */
  MediaLegCallbacks callbacks;
  gpointer user_data;

  GstElement *webrtcbin;              /* ref */
  GstPad *sink_pad[MEDIA_N_KINDS];    /* request pads on webrtcbin (ref) */
  GstElement *tee[MEDIA_N_KINDS];     /* after the incoming src pad (ref), NULL until pad-added */
  MediaRelay relay_in[MEDIA_N_KINDS]; /* what feeds sink_pad[kind] */
  guint n_mlines;                     /* m-lines of the local offer */

  /* Written from streaming threads by pad probes. */
  atomic_uint_fast64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

/* leg.c */
MediaLeg *media_leg_new (MediaVisit *visit, const char *participant_id,
                         const MediaLegCallbacks *callbacks, gpointer user_data,
                         GError **error);
MediaLeg *media_leg_ref (MediaLeg *leg);
void media_leg_unref (MediaLeg *leg);
/* Marks the leg closed (no callback after this) and disconnects its signal
 * handlers. Does not touch the pipeline. Main context only. */
void media_leg_mark_closed (MediaLeg *leg);
/* Changes state and tells the owner (no-op when closed or unchanged). */
void media_leg_set_state (MediaLeg *leg, MediaLegState state);
/* Adds one RTP packet (or list) to a counter pair from a pad probe. */
GstPadProbeReturn media_count_rx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer leg);
GstPadProbeReturn media_count_tx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer leg);
const char *media_kind_name (MediaKind kind);

/* Makes libnice gather host candidates on `addresses` (NULL or empty: every
 * local address, loopback included), turns ICE-TCP off and applies the port
 * range when non-zero. Works for any webrtcbin, so tests use it for their
 * in-process peers. */
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

/* visit_pipeline.c — relay bookkeeping, main context only. */
/* The leg's connection reached CONNECTED or a tee appeared: link what can be. */
void media_visit_update_links (MediaVisit *visit);
/* Unlinks every relay fed by leg->tee[kind] and discards that tee. */
void media_visit_drop_source (MediaVisit *visit, MediaLeg *leg, MediaKind kind);

G_END_DECLS
