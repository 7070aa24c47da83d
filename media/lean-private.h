/* lean-private.h — the lean engine (MEDIA_ENGINE_LEAN): what its files
 * share. Only media/ includes it.
 *
 * A lean leg does what a webrtcbin leg does for the browser (the same offer,
 * m-line layout, payload types, SSRCs, RTCP feedback), without webrtcbin:
 *
 *   socket ─▶ NiceAgent recv callback (a worker thread)
 *            ├─ DTLS record (first byte 20..63) ─▶ lean_dtls ─▶ keys ─▶ lean_srtp
 *            ├─ SRTP  ─▶ unprotect ─▶ for each leg that receives it:
 *            │          rewrite PT/SSRC/seq/ts ─▶ protect ─▶ nice_agent_send
 *            └─ SRTCP ─▶ unprotect ─▶ lean_rtcp_parse ─▶ PLI/FIR/NACK/SR/RR
 *
 * One thread carries a packet from socket to socket: every leg of a visit
 * lives on the same worker (lean_worker.c: one GMainContext and thread per
 * core, shared by many visits), so forwarding between them needs no lock and
 * no hand-off. Timers on the same worker send receiver reports, transport-
 * wide congestion control feedback (so the browser's bandwidth estimate
 * ramps up) and retransmit DTLS.
 *
 * Threads: the main context (signaling) owns MediaVisit/MediaLeg as for
 * webrtcbin; the worker owns LeanVisit/LeanLeg. They talk by posting closures
 * (lean_leg.c), never by sharing fields, apart from MediaLeg's atomics.
 *
 * The sections below are pure or nearly so and unit-tested on their own
 * (tests/unit/test_lean_*.c).
 */
#pragma once

#include "media/media-private.h"

G_BEGIN_DECLS

/* ==== DTLS-SRTP (lean_dtls.c): OpenSSL, RFC 5763/5764 ==== */

typedef struct _LeanDtls LeanDtls;
typedef struct _LeanSrtp LeanSrtp;

typedef enum {
  LEAN_DTLS_ROLE_SERVER, /* the answer said a=setup:active: the browser starts */
  LEAN_DTLS_ROLE_CLIENT, /* a=setup:passive: we send the ClientHello */
} LeanDtlsRole;

typedef enum {
  LEAN_DTLS_HANDSHAKING,
  LEAN_DTLS_CONNECTED, /* handshake done and the peer's certificate matched */
  LEAN_DTLS_FAILED,
} LeanDtlsState;

/* Sends one datagram to the peer (each call is one whole DTLS datagram). */
typedef void (*LeanSendFunc) (const guint8 *data, gsize len, gpointer user_data);

/* The process's certificate (ECDSA P-256, self-signed, made on the first
 * call; thread-safe) as the offer's a=fingerprint value:
 * "sha-256 AB:CD:...". NULL and `error` when OpenSSL fails. */
const char *lean_dtls_local_fingerprint (GError **error);

/* `remote_fingerprint`: the answer's a=fingerprint value ("sha-256 AB:..",
 * case-insensitive hex); the peer's certificate must match it, else the
 * handshake FAILS. `send` is called from inside the lean_dtls_* calls. */
LeanDtls *lean_dtls_new (LeanDtlsRole role, const char *remote_fingerprint, LeanSendFunc send,
                         gpointer user_data, GError **error);
void lean_dtls_free (LeanDtls *dtls);
/* Client: sends the first flight. Server: nothing to do yet. */
LeanDtlsState lean_dtls_start (LeanDtls *dtls);
/* One datagram from the peer whose first byte is 20..63. */
LeanDtlsState lean_dtls_receive (LeanDtls *dtls, const guint8 *data, gsize len);
/* When (g_get_monotonic_time µs) lean_dtls_timeout must run to retransmit,
 * or -1 for no timer. */
gint64 lean_dtls_next_timeout (LeanDtls *dtls);
LeanDtlsState lean_dtls_timeout (LeanDtls *dtls);
LeanDtlsState lean_dtls_get_state (LeanDtls *dtls);
/* Why it failed, for the log (no patient data); NULL while not failed. */
const char *lean_dtls_failure (LeanDtls *dtls);
/* Once CONNECTED: the SRTP sessions keyed by the handshake (the exporter of
 * RFC 5764 §4.2, the negotiated protection profile): `in` unprotects what
 * the peer sends, `out` protects what we send (every SSRC). */
gboolean lean_dtls_make_srtp (LeanDtls *dtls, LeanSrtp **in, LeanSrtp **out, GError **error);

/* ==== SRTP (lean_srtp.c): libsrtp2 ==== */

/* Room a protected packet needs past the plain one (auth tag, MKI, SRTCP
 * index): a buffer for lean_srtp_protect_* has len + this. */
#define LEAN_SRTP_MAX_TRAILER 144

typedef enum {
  LEAN_SRTP_AES128_CM_SHA1_80, /* RFC 5764 SRTP_AES128_CM_HMAC_SHA1_80 */
  LEAN_SRTP_AEAD_AES_128_GCM,  /* RFC 7714 SRTP_AEAD_AES_128_GCM */
} LeanSrtpProfile;

/* `inbound`: unprotects any SSRC; else protects any SSRC. key and salt
 * lengths are the profile's (16 + 14, or 16 + 12). */
LeanSrtp *lean_srtp_new (LeanSrtpProfile profile, const guint8 *key, gsize key_len,
                         const guint8 *salt, gsize salt_len, gboolean inbound, GError **error);
void lean_srtp_free (LeanSrtp *srtp);
/* In place. `cap` is the buffer's size (>= *len + LEAN_SRTP_MAX_TRAILER for
 * protect). FALSE: the packet must be dropped (authentication or replay
 * failure, no room); nothing is logged per packet. */
gboolean lean_srtp_protect_rtp (LeanSrtp *srtp, guint8 *buf, gsize *len, gsize cap);
gboolean lean_srtp_protect_rtcp (LeanSrtp *srtp, guint8 *buf, gsize *len, gsize cap);
gboolean lean_srtp_unprotect_rtp (LeanSrtp *srtp, guint8 *buf, gsize *len);
gboolean lean_srtp_unprotect_rtcp (LeanSrtp *srtp, guint8 *buf, gsize *len);

/* ==== SDP (lean_sdp.c): GstSDPMessage ==== */

typedef struct {
  const char *ice_ufrag, *ice_pwd;
  const char *fingerprint; /* lean_dtls_local_fingerprint () */
  guint n_mlines;          /* media_layout_n_mlines (remote_slots) */
  const guint32 *ssrc;     /* [n_mlines]: the SSRC each m-line sends with */
  const char *cname;       /* a=ssrc:... cname: */
  guint64 session_id;
} LeanOffer;

/* The offer of the layout in media.h, as webrtcbin's legs make it (same
 * payload types, codecs, rtcp-fb, extmap, a=ssrc with msid "slot<s>" or
 * "screen", BUNDLE, rtcp-mux, a=setup:actpass). Sets mids[m] (g_free each)
 * to each m-line's a=mid. */
gchar *lean_sdp_offer (const LeanOffer *offer, gchar **mids);

typedef struct {
  gchar *ice_ufrag, *ice_pwd;
  gchar *fingerprint;     /* "sha-256 AB:..." as the answer wrote it */
  LeanDtlsRole dtls_role; /* ours: setup:active (or none) → SERVER, passive → CLIENT */
  GPtrArray *candidates;  /* "candidate:..." lines found in the answer (g_free) */
  guint8 twcc_ext_id;     /* the answer's extmap id of MEDIA_TWCC_URI, 0: none */
  gboolean accepted[MEDIA_MAX_MLINES]; /* m-line not rejected (port != 0) */
} LeanAnswer;

/* Reads what the lean leg needs from an answer that media_sdp_parse_answer
 * already checked (m-line count and kinds). MEDIA_ERROR_BAD_SDP when the ICE
 * credentials or the fingerprint are missing (session or media level). */
gboolean lean_sdp_read_answer (const GstSDPMessage *answer, LeanAnswer *out, GError **error);
void lean_answer_clear (LeanAnswer *answer);

/* ==== RTCP (lean_rtcp.c): RFC 3550, 4585, 5104 ==== */

typedef struct {
  guint32 ssrc; /* the source reported on */
  guint8 fraction_lost;
  gint32 packets_lost; /* cumulative, 24-bit signed on the wire */
  guint32 ext_highest_seq;
  guint32 jitter;
  guint32 lsr;  /* middle 32 bits of the last SR's NTP time, 0: none */
  guint32 dlsr; /* delay since that SR, 1/65536 s */
} LeanReportBlock;

typedef enum {
  LEAN_RTCP_SR,    /* sender report: sender_ssrc, ntp, rtp_ts, packets, octets */
  LEAN_RTCP_BLOCK, /* a report block of an SR or RR: sender_ssrc (reporter), block */
  LEAN_RTCP_PLI,   /* sender_ssrc asks media_ssrc for a keyframe */
  LEAN_RTCP_FIR,   /* the same, RFC 5104 (media_ssrc from the FCI, fir_seq) */
  LEAN_RTCP_NACK,  /* generic NACK: media_ssrc, one PID/BLP pair per event */
  LEAN_RTCP_REMB,  /* receiver estimated max bitrate: remb_bps */
  LEAN_RTCP_TWCC,  /* transport-wide feedback (not parsed further) */
  LEAN_RTCP_BYE,
} LeanRtcpKind;

typedef struct {
  LeanRtcpKind kind;
  guint32 sender_ssrc;
  guint32 media_ssrc;
  guint64 ntp; /* SR */
  guint32 rtp_ts, packets, octets;
  LeanReportBlock block; /* BLOCK */
  guint16 nack_pid, nack_blp;
  guint8 fir_seq;
  guint64 remb_bps;
} LeanRtcpEvent;

typedef void (*LeanRtcpFunc) (const LeanRtcpEvent *event, gpointer user_data);
/* Calls `func` for each thing a (decrypted) compound RTCP packet says, in
 * order. FALSE when it is malformed: events before the fault were given. */
gboolean lean_rtcp_parse (const guint8 *buf, gsize len, LeanRtcpFunc func, gpointer user_data);

/* Builds one compound packet into a caller's buffer. RFC 3550 wants SR or RR
 * first and an SDES CNAME in each compound; callers start with one of them. */
typedef struct {
  guint8 *buf;
  gsize cap, len;
  gboolean overflow;
} LeanRtcpWriter;
void lean_rtcp_writer_init (LeanRtcpWriter *w, guint8 *buf, gsize cap);
void lean_rtcp_add_sr (LeanRtcpWriter *w, guint32 ssrc, guint64 ntp, guint32 rtp_ts,
                       guint32 packets, guint32 octets, const LeanReportBlock *blocks,
                       guint n_blocks);
void lean_rtcp_add_rr (LeanRtcpWriter *w, guint32 sender_ssrc, const LeanReportBlock *blocks,
                       guint n_blocks);
void lean_rtcp_add_sdes_cname (LeanRtcpWriter *w, guint32 ssrc, const char *cname);
void lean_rtcp_add_pli (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc);
void lean_rtcp_add_fir (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc, guint8 seq);
/* Packs `seqs` (any order, duplicates allowed) into PID/BLP pairs. */
void lean_rtcp_add_nack (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc,
                         const guint16 *seqs, guint n_seqs);
void lean_rtcp_add_raw (LeanRtcpWriter *w, const guint8 *packet, gsize len);
/* The compound's length, 0 when anything did not fit. */
gsize lean_rtcp_writer_finish (LeanRtcpWriter *w);

/* NTP time (RFC 3550 §4: seconds since 1900 << 32 | fraction) of a
 * g_get_real_time () value, and its middle 32 bits (what LSR holds). */
guint64 lean_ntp_from_real_us (gint64 real_us);
guint32 lean_ntp_middle (guint64 ntp);

/* ==== Receive statistics (lean_rtpstats.c): RFC 3550 A.1, A.3, A.8 ==== */

typedef struct {
  guint32 ssrc;
  guint clock_rate;
  gboolean started;
  guint16 max_seq;
  guint32 cycles; /* shifted count of sequence number wraps */
  guint32 base_seq;
  guint32 bad_seq;
  guint32 probation;
  guint64 received;
  guint32 expected_prior, received_prior;
  gint64 last_transit; /* for jitter, in clock-rate units */
  gboolean have_transit;
  double jitter;
  guint32 lsr;        /* middle of the last SR's NTP time */
  gint64 lsr_mono_us; /* when it arrived (monotonic) */
} LeanRecvStats;

void lean_recv_stats_init (LeanRecvStats *s, guint32 ssrc, guint clock_rate);
/* A packet of s->ssrc arrived at arrival_us (monotonic). */
void lean_recv_stats_packet (LeanRecvStats *s, guint16 seq, guint32 rtp_ts, gint64 arrival_us);
/* Its sender's SR arrived. */
void lean_recv_stats_sr (LeanRecvStats *s, guint64 ntp, gint64 arrival_us);
/* A report block as of now_us; fraction_lost covers the interval since the
 * previous call (which it starts anew). */
void lean_recv_stats_block (LeanRecvStats *s, gint64 now_us, LeanReportBlock *out);
/* Since the start: packets received, and lost (expected - received, >= 0). */
void lean_recv_stats_totals (const LeanRecvStats *s, guint64 *received, guint64 *lost);

/* ==== Transport-wide congestion control feedback (lean_twcc.c) ====
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1: what a browser's
 * send-side bandwidth estimation needs from the receiver (us). */

typedef struct _LeanTwcc LeanTwcc;
LeanTwcc *lean_twcc_new (void);
void lean_twcc_free (LeanTwcc *twcc);
/* A packet with transport-wide sequence number `seq` arrived (monotonic). */
void lean_twcc_record (LeanTwcc *twcc, guint16 seq, gint64 arrival_us);
/* One RTPFB FMT=15 packet on what arrived (or was missed) since the last
 * feedback, into buf; 0 when there is nothing new or cap is too small. */
gsize lean_twcc_build (LeanTwcc *twcc, guint32 sender_ssrc, guint32 media_ssrc, guint8 *buf,
                       gsize cap);

/* ==== Arrival times (lean_arrival.c) ====
 * The kernel's receive stamp of the datagram just read from a socket, on
 * the monotonic clock: what transport-wide feedback and jitter need, free of
 * our own scheduling delays. */
typedef struct {
  GSocket *socket; /* ref */
  int fd;
  gint64 last_ns; /* the last stamp used: a repeat is not this datagram's */
} LeanArrival;
#define LEAN_ARRIVAL_INIT { NULL, -1, 0 }
/* Watch `socket` (the selected pair's; NULL: none), turning stamping on. */
void lean_arrival_watch (LeanArrival *a, GSocket *socket);
void lean_arrival_clear (LeanArrival *a);
/* When the datagram just read arrived (monotonic µs); read_us, the time it
 * was read, when the kernel's stamp is not to be had or not this one's. */
gint64 lean_arrival_us (LeanArrival *a, gint64 read_us);

/* ==== Workers (lean_worker.c) ==== */

/* One thread and GMainContext per core (at most 8), made on first use and
 * kept for the process. Round-robin: returns a ref. */
GMainContext *lean_worker_pick (void);

/* ==== The engine (lean_visit.c, lean_leg.c, lean_path.c) ==== */

/* A NACK cache of one outgoing video m-line: the last packets as sent
 * (protected), by sequence number, so a receiver's NACK is answered from
 * here without asking the sender (lean_path.c). 128 packets are about a
 * second of a 1 Mbit/s camera: far more than a NACK's round trip, and a
 * cache of a few hundred kilobytes at most per receiving leg. */
#define LEAN_CACHE_SLOTS 128
typedef struct {
  guint16 seq[LEAN_CACHE_SLOTS];
  guint16 len[LEAN_CACHE_SLOTS];  /* 0: empty */
  guint8 *data[LEAN_CACHE_SLOTS]; /* grown to the largest packet seen in the slot */
  guint16 cap[LEAN_CACHE_SLOTS];
} LeanCache;

#define LEAN_ASKED_SLOTS 64

/* What one of the client's sources (microphone, camera, screen) sends us. */
typedef struct {
  gboolean seen;
  guint32 ssrc;
  LeanRecvStats stats;
  gint64 last_pli_us; /* the last keyframe request we sent the client for it */
  GSource *pli_timer; /* a request held back until LEAN_PLI_MIN_US passed */
  /* Sequence numbers we NACKed the client for (a viewer missed them and
   * our cache had them no more): the retransmissions (RTX) to pass on.
   * Other RTX packets are the browser's bandwidth probes. */
  guint16 asked[LEAN_ASKED_SLOTS];
  guint8 asked_valid[LEAN_ASKED_SLOTS];
  guint asked_next;
} LeanSource;

/* What one of our m-lines sends the client. */
typedef struct {
  LeanLeg *src;         /* who feeds it (ref), NULL: nothing */
  MediaSourceKind kind; /* which of src's sources */
  MediaContinuity cont;
  gboolean keyframe_sent;  /* a VP8 keyframe went out since the route was set */
  guint32 packets, octets; /* for our sender reports */
  LeanCache *cache;        /* video m-lines, made at the first packet */
} LeanOut;

/* Our sender reports, remembered for the round trip a receiver report
 * implies (RFC 3550 §6.4.1: LSR and DLSR). */
#define LEAN_SR_MEMORY 8

struct _LeanLeg {
  gatomicrefcount ref;
  /* Immutable after creation. */
  MediaLeg *leg;        /* ref, dropped when closed (marshal, atomics) */
  LeanVisit *visit;     /* borrowed: the visit outlives its legs on the worker */
  GMainContext *worker; /* ref */
  guint n_mlines;
  guint32 ssrc[MEDIA_MAX_MLINES];
  gchar *ufrag, *pwd, *cname;
  gchar *visit_id; /* for the log (the MediaVisit is the main context's) */

  /* The worker's alone from here on. */
  gboolean closed;
  NiceAgent *agent;
  guint stream_id;
  LeanDtls *dtls;
  gboolean dtls_started;
  LeanSrtp *srtp_in, *srtp_out;
  gboolean connected; /* DTLS done, keys set: media may flow */
  guint8 twcc_ext_id; /* what the client's packets carry transport-wide numbers in */
  LeanTwcc *twcc;
  LeanSource in[MEDIA_N_SOURCES];
  LeanOut out[MEDIA_MAX_MLINES];
  struct {
    guint32 ntp_middle;
    gint64 sent_us;
  } sr_sent[LEAN_SR_MEMORY];
  guint sr_next;
  gdouble rtt_ms; /* the latest round trip, when have_rtt */
  gboolean have_rtt;
  GSource *dtls_timer, *rtcp_timer, *twcc_timer;
  LeanArrival arrival; /* the selected pair's socket */
};

struct _LeanVisit {
  GMainContext *worker; /* ref: every leg of the visit lives there */
  GList *legs;          /* LeanLeg* (refs), the worker's */
};

/* lean_leg.c: a leg's life. Main context: makes the LeanLeg (leg->lean,
 * which holds a ref), its offer (delivered later) and starts it on the
 * visit's worker. */
gboolean lean_leg_start (MediaLeg *leg, GError **error);
LeanLeg *lean_leg_ref (LeanLeg *lean);
void lean_leg_unref (LeanLeg *lean);
/* Runs func on the worker, later (holds a ref until then; skipped once the
 * leg is closed unless `always`). From any thread. */
typedef void (*LeanLegCall) (LeanLeg *lean, gpointer data);
void lean_leg_post (LeanLeg *lean, LeanLegCall func, gpointer data, GDestroyNotify data_free);
/* Runs func(data) on `worker` and waits for it (teardown only). */
void lean_worker_run_sync (GMainContext *worker, GSourceFunc func, gpointer data);
void lean_leg_send (LeanLeg *lean, const guint8 *data, gsize len);
/* Worker: the leg goes (agent closed, timers stopped, routes to it cut). */
void lean_leg_close (LeanLeg *lean);
/* Worker: a DTLS datagram from the client. */
void lean_leg_on_dtls (LeanLeg *lean, const guint8 *data, gsize len);
/* Worker: the first packet of one of the client's sources came; a screen
 * share's packet after a quiet spell (the main context re-links). */
void lean_leg_source_seen (LeanLeg *lean, MediaSourceKind kind);
void lean_leg_screen_flowing (LeanLeg *lean);

/* lean_path.c: the data path, on the worker. */
void lean_path_receive (NiceAgent *agent, guint stream_id, guint component_id, guint len,
                        gchar *buf, gpointer user_data);
/* A route changed: `m` of `dst` is now fed by src's `kind` (src NULL: nothing). */
void lean_path_set_route (LeanLeg *dst, guint m, LeanLeg *src, MediaSourceKind kind);
/* Receiver reports (and SDES) to the client; TWCC feedback to the client. */
void lean_path_send_reports (LeanLeg *lean);
void lean_path_send_twcc (LeanLeg *lean);
void lean_path_free_out (LeanLeg *lean);
/* Worker, at close: stops the held-back keyframe requests. */
void lean_path_stop (LeanLeg *lean);

gboolean lean_visit_init (MediaVisit *visit, GError **error);
void lean_visit_free (MediaVisit *visit);
MediaLeg *lean_visit_add_leg (MediaVisit *visit, const char *participant_id,
                              const MediaLegCallbacks *callbacks, gpointer user_data,
                              GError **error);
void lean_visit_remove_leg (MediaVisit *visit, MediaLeg *leg);
/* The slots changed: tell the worker which leg feeds which m-line. */
void lean_visit_update_links (MediaVisit *visit);
/* Takes `answer` (checked by media_sdp_parse_answer). */
gboolean lean_leg_set_answer (MediaLeg *leg, GstSDPMessage *answer, GError **error);
gboolean lean_leg_add_ice_candidate (MediaLeg *leg, guint mline, const char *candidate,
                                     GError **error);
void lean_leg_request_quality (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                               GDestroyNotify destroy);

G_END_DECLS
