/* loadgen.h — what the files of th-load share.
 *
 * One process, one GLib main loop, one GstPipeline. The pipeline holds ONE
 * shared VP8 encoder and ONE shared Opus encoder (media_source.c), each
 * feeding a tee; every client's payloaders hang off those tees, so N visits
 * cost one encoder, not 2N. Each client's video branch answers its own
 * keyframe requests (media_source.c). Each client is one webrtcbin (ours, direct) or
 * two (Janus: a publisher and a subscriber PeerConnection) in that pipeline.
 *
 * Threads: streaming threads only touch atomics and the per-stream rings and
 * histograms (each written by exactly one streaming thread); everything else
 * is marshalled to the main context, like the server does.
 */
#pragma once

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <jansson.h>
#include <stdatomic.h>

G_BEGIN_DECLS

typedef enum { SERVER_OURS, SERVER_JANUS, SERVER_DIRECT } ServerKind;

typedef struct {
  ServerKind server;
  gchar *url;            /* ours: http://HOST:PORT; janus: ws://HOST:PORT */
  gchar *host;           /* parsed from url */
  gint port;
  gchar *username, *password;
  gint visits;
  gdouble duration_s, ramp_up_s, timeout_s;
  gint bitrate_kbps, fps, width, height;
  gboolean decode;
  gchar *json_path;
  gint jitter_ms;        /* client webrtcbin latency (jitterbuffer) */
  gchar *ice_address;    /* host candidate address for the clients */
  gint janus_fir_freq;   /* room fir_freq; 0: keyframe requests only on subscribe */
  gint keyframe_gap_ms;  /* minimum gap between two keyframes a client sends */
  gdouble drop_every_s;  /* ours: each client drops its connection and returns this often */
  gboolean verbose;
} LoadOptions;

extern LoadOptions opt;

typedef enum { KIND_AUDIO = 0, KIND_VIDEO = 1, N_KINDS } Kind;
#define PT_OPUS 111
#define PT_VP8 96

/* ---- stats.c ---- */

/* Send times of one sender stream, indexed by RTP sequence number. The
 * receiver finds its packet by a hash of the payload (servers may rewrite
 * SSRC, sequence numbers and the VP8 descriptor, never the codec payload),
 * then remembers the seq offset so later lookups are one probe. */
#define RING_SIZE 2048
typedef struct {
  guint32 seq;           /* extended: 0x10000 | seq, 0 = empty */
  guint32 pad_;
  guint64 hash;
  gint64 sent_us;
} RingEntry;

typedef struct {
  GMutex lock;
  RingEntry e[RING_SIZE];
} SendRing;

/* Latency histogram: 50 µs bins to 100 ms, then 1 ms bins to 2 s, then one
 * overflow bin. Written by one streaming thread per client and kind. */
#define HIST_FINE 2000
#define HIST_COARSE 1900
#define HIST_BINS (HIST_FINE + HIST_COARSE + 1)
typedef struct {
  atomic_uint bins[HIST_BINS];
  atomic_ullong count;
} Histogram;

/* Receiver side of one stream: counts, loss from sequence gaps, and the
 * offset that maps the received seq onto the sender's. */
typedef struct {
  atomic_ullong packets;
  atomic_ullong expected;
  gboolean started;
  guint16 base_seq, max_seq;
  guint32 cycles;
  gboolean have_offset;
  guint16 seq_offset;    /* sender seq = received seq + offset */
  guint32 misses;        /* consecutive lookups that found nothing */
  atomic_bool restart;   /* a new stream replaces the old: count its seqs afresh */
  guint64 expected_before;  /* packets expected in the streams before the restart */
} RecvStream;

void ring_init (SendRing *ring);
void ring_clear (SendRing *ring);
void ring_record (SendRing *ring, guint16 seq, guint64 hash, gint64 now_us);
/* Returns the send time of the packet, or -1. */
gint64 ring_lookup (SendRing *ring, RecvStream *rs, guint16 seq, guint64 hash);
guint64 payload_hash (Kind kind, const guint8 *payload, guint len);
void recv_stream_packet (RecvStream *rs, guint16 seq);
/* Any thread: the next packet starts a new stream (a new SSRC after a
 * reconnect); what the old one expected is kept. */
void recv_stream_restart (RecvStream *rs);
guint64 recv_stream_lost (RecvStream *rs);
void hist_add (Histogram *h, gint64 us);
void hist_merge (Histogram *into, Histogram *from);
/* ms at quantile q (0..1), or -1 when empty. */
double hist_quantile (Histogram *h, double q);
/* Quantile of a sorted array of doubles, -1 when empty. */
double quantile_sorted (const double *v, guint n, double q);
/* utime + stime of this process in seconds. */
double self_cpu_seconds (void);

/* ---- media_source.c ---- */
/* Makes the process's pipeline with the shared encoders in it. */
GstElement *media_source_start (GError **error);
void media_source_stop (void);
/* Links the shared encoder of `kind` into `payloader_sink` (a new tee pad). */
GstPad *media_source_attach (Kind kind, GstPad *payloader_sink);
void media_source_detach (Kind kind, GstPad *tee_pad);
/* Keyframe requests that reached a client's video branch, and keyframes
 * sent in a delta frame's place to answer them (a request that a periodic
 * keyframe answered first is not counted). */
guint media_source_keyframe_requests (void);
guint media_source_keyframes_injected (void);
/* Encoded video frames / Opus packets so far. */
guint64 media_source_produced (Kind kind);

/* ---- peer.c ---- */
typedef struct _Client Client;
typedef struct _Peer Peer;

typedef struct {
  /* The local offer or answer is set; send it. */
  void (*local_sdp) (Peer *peer, GstWebRTCSDPType type, const char *sdp, gpointer data);
  void (*local_ice) (Peer *peer, guint mline, const char *candidate, gpointer data);
  void (*connected) (Peer *peer, gpointer data);
  void (*failed) (Peer *peer, const char *why, gpointer data);
} PeerCallbacks;

/* `send`: add an audio and a video transceiver fed by the shared encoders
 * (direction `dir`); `recv`: count what arrives into `owner`. */
Peer *peer_new (Client *owner, const char *name, gboolean send, gboolean recv,
                GstWebRTCRTPTransceiverDirection dir, const PeerCallbacks *cb, gpointer data);
void peer_create_offer (Peer *peer);
/* Applies a remote offer (then answers) or answer. FALSE: unparsable SDP. */
gboolean peer_set_remote (Peer *peer, GstWebRTCSDPType type, const char *sdp);
void peer_add_ice (Peer *peer, guint mline, const char *candidate);
/* Main context: unlinks and removes the peer's elements, frees it. */
void peer_free (Peer *peer);
const char *peer_name (Peer *peer);
gboolean peer_is_connected (Peer *peer);
void peers_init (GstElement *pipeline);

/* ---- main.c: visits and clients ---- */
typedef struct _Visit Visit;

struct _Client {
  Visit *visit;
  int role;                  /* 0 patient, 1 provider */
  const char *role_name;
  Client *partner;           /* the other side of the visit */
  gint64 t0_us;              /* WebSocket open (ours, janus) or visit start (direct) */
  atomic_llong first_frame_us;
  atomic_llong mark_frame_us;  /* first frame since the adapter last cleared it (reconnects) */
  atomic_ullong video_frames;
  SendRing ring[N_KINDS];    /* what this client sent */
  guint32 ssrc[N_KINDS];
  RecvStream rx[N_KINDS];    /* what this client received */
  Histogram latency[N_KINDS];  /* per kind: video and audio differ in size and path */
  gboolean done;             /* final snapshot taken */
  gchar *failure;            /* why setup failed, NULL when fine */
  guint drops;               /* --drop-every: connections dropped and re-made */
  guint drop_failures;       /* ... after which media did not flow again in time */
  GArray *recovery_ms;       /* doubles: its WebSocket open again → its first remote frame */
  GArray *seen_again_ms;     /* doubles: the same → the partner's first frame from it */
  gpointer adapter;          /* ours.c / janus.c per-client state */
};

struct _Visit {
  int index;
  Client client[2];
  gchar *visit_id;           /* ours */
  gchar *patient_token;      /* ours */
  gint64 janus_room;         /* janus */
  gint64 start_us;
  gboolean started;
  gpointer adapter;          /* direct: the two peers */
};

extern Visit *visits;
void client_fail (Client *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void loadgen_fatal (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
gboolean loadgen_stopping (void);

/* ---- adapters ---- */
typedef struct {
  /* Before the run; may block or spin the main context, bounded by
   * opt.timeout_s (login, visits over REST, Janus rooms). */
  gboolean (*prepare) (GError **error);
  void (*start_visit) (Visit *v);
  /* Ask servers to end things politely; the caller then waits briefly. */
  void (*stop) (void);
  void (*cleanup) (void);
} Adapter;

extern const Adapter ours_adapter, janus_adapter, direct_adapter;
/* Spins the main context until pred(data) or the timeout; FALSE on timeout. */
gboolean loadgen_spin_until (gboolean (*pred) (gpointer), gpointer data, double timeout_s);

/* ---- ws_client.c ---- */
typedef struct _WsClient WsClient;
typedef struct {
  void (*open) (WsClient *ws, gpointer data);
  void (*message) (WsClient *ws, json_t *msg, gpointer data);
  void (*closed) (WsClient *ws, const char *why, gpointer data);
} WsCallbacks;

gboolean ws_init (GMainLoop *loop, GError **error);
void ws_shutdown (void);
WsClient *ws_connect (const char *host, int port, const char *path, const char *subprotocol,
                      const char *cookie, const WsCallbacks *cb, gpointer data);
/* Queues one JSON text frame; steals `msg`. */
void ws_send (WsClient *ws, json_t *msg);
void ws_close (WsClient *ws);
/* Closes the connection at once, without a close frame. */
void ws_abort (WsClient *ws);
gboolean ws_is_open (WsClient *ws);

/* ---- http_client.c ---- */
/* One blocking HTTP/1.1 request (Connection: close) with a timeout. Returns
 * the status (0 on transport failure, with error set); *body_out and
 * *set_cookie_out (first Set-Cookie "name=value") are newly allocated. */
int http_request (const char *host, int port, const char *method, const char *path,
                  const char *const *headers, const char *body, guint timeout_s,
                  gchar **body_out, gchar **set_cookie_out, GError **error);

G_END_DECLS
