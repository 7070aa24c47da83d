/* lean_path.c — the lean engine's data path, on the visit's worker thread.
 *
 * A packet from a client arrives in lean_path_receive (libnice's receive
 * callback) and is carried to the other clients' sockets in the same call:
 * decrypt once, then per receiving m-line rewrite the header (payload type,
 * SSRC, continuous sequence numbers and timestamps), encrypt with that
 * client's keys and send. No allocation, lock or log per packet: the
 * buffers are on the stack (8-byte aligned: libsrtp reads headers as 32-bit
 * words) and every leg of the visit lives on this thread.
 *
 * RTCP, per client:
 * - its sender reports go on to whoever receives that stream, in their
 *   m-line's SSRC and timestamps (the browser's own NTP time, so its
 *   receivers can still line audio up with video);
 * - a keyframe request (PLI, FIR) for one of our m-lines becomes a PLI to
 *   the client that feeds it;
 * - a NACK is answered from the m-line's cache of what we sent; what is
 *   not there is asked of the sender (its own sequence numbers);
 * - its receiver reports on our streams give the round trip;
 * - we send it receiver reports on what it sends (lean_path_send_reports)
 *   and transport-wide feedback (lean_path_send_twcc) for its bandwidth
 *   estimation.
 */
#include "media/lean-private.h"

#include <string.h>

/* Largest datagram relayed: browsers keep RTP under ~1200 bytes. */
#define LEAN_MTU 1500
/* A sender gets a keyframe request at most this often per stream: browsers
 * repeat PLIs while a picture is broken, and several viewers may ask at
 * once; one keyframe serves them all, and each keyframe is a burst of
 * packets to every viewer. A request within the interval is held back to
 * its end rather than dropped, so no viewer is left waiting for the
 * encoder's periodic keyframe. */
#define LEAN_PLI_MIN_US (500 * G_TIME_SPAN_MILLISECOND)

static inline guint16
rd16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static inline guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static inline void
wr16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
wr32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* ---- RTP header (RFC 3550 §5.1, one-byte extensions RFC 8285 §4.2) ---- */

typedef struct {
  guint8 pt;
  guint16 seq;
  guint32 ts, ssrc;
  gsize header_len;
  gssize twcc_at; /* offset of the transport-wide element's first byte, -1: none */
} RtpInfo;

/* Hand-parsed rather than with GstRTPBuffer: that needs a GstBuffer per
 * packet, and this runs for every packet of every stream. */
static gboolean
rtp_parse (const guint8 *b, gsize len, guint8 twcc_id, RtpInfo *info)
{
  if (len < 12 || (b[0] >> 6) != 2)
    return FALSE;
  gsize off = 12 + 4 * (gsize) (b[0] & 0x0f);
  if (len < off)
    return FALSE;
  info->pt = b[1] & 0x7f;
  info->seq = rd16 (b + 2);
  info->ts = rd32 (b + 4);
  info->ssrc = rd32 (b + 8);
  info->twcc_at = -1;
  if (b[0] & 0x10) {
    if (len < off + 4)
      return FALSE;
    guint16 profile = rd16 (b + off);
    gsize end = off + 4 + 4 * (gsize) rd16 (b + off + 2);
    if (end > len)
      return FALSE;
    for (gsize p = off + 4; profile == 0xBEDE && twcc_id != 0 && p < end;) {
      guint8 id = b[p] >> 4;
      gsize elen = (gsize) (b[p] & 0x0f) + 1;
      if (id == 0) { /* padding */
        p++;
        continue;
      }
      if (id == 15)
        break;
      if (id == twcc_id && elen == 2 && p + 3 <= end) {
        info->twcc_at = (gssize) p;
        break;
      }
      p += 1 + elen;
    }
    off = end;
  }
  info->header_len = off;
  return TRUE;
}

/* Whether an RTP payload starts a VP8 keyframe (RFC 7741 §4.2-4.3: the
 * payload descriptor's S bit and partition 0, then the payload header's P
 * bit clear). */
static gboolean
vp8_keyframe_start (const guint8 *p, gsize n)
{
  if (n < 1 || !(p[0] & 0x10) || (p[0] & 0x07) != 0)
    return FALSE;
  gsize off = 1;
  if (p[0] & 0x80) { /* X: extension byte I L T K */
    if (n < 2)
      return FALSE;
    guint8 e = p[off++];
    if (e & 0x80) /* I: a 7- or 15-bit picture id */
      off += off < n && (p[off] & 0x80) ? 2 : 1;
    if (e & 0x40) /* L: TL0PICIDX */
      off++;
    if (e & 0x30) /* T or K: TID/Y/KEYIDX */
      off++;
  }
  return off < n && (p[off] & 0x01) == 0;
}

/* ---- sending RTCP ---- */

static void
send_rtcp (LeanLeg *lean, LeanRtcpWriter *w)
{
  gsize len = lean_rtcp_writer_finish (w);
  if (len == 0 || lean->srtp_out == NULL)
    return;
  if (lean_srtp_protect_rtcp (lean->srtp_out, w->buf, &len, w->cap))
    lean_leg_send (lean, w->buf, len);
}

static void request_keyframe (LeanLeg *src, MediaSourceKind kind, gint64 now);

typedef struct {
  LeanLeg *src; /* ref */
  MediaSourceKind kind;
} HeldPli;

static void
held_pli_free (gpointer data)
{
  HeldPli *h = data;
  lean_leg_unref (h->src);
  g_free (h);
}

static gboolean
held_pli_due (gpointer data)
{
  HeldPli *h = data;
  LeanSource *s = &h->src->in[h->kind];
  g_clear_pointer (&s->pli_timer, g_source_unref);
  request_keyframe (h->src, h->kind, g_get_monotonic_time ());
  return G_SOURCE_REMOVE;
}

static void
request_keyframe (LeanLeg *src, MediaSourceKind kind, gint64 now)
{
  LeanSource *s = &src->in[kind];
  if (src->closed || !src->connected || !s->seen || s->pli_timer != NULL)
    return;
  if (now - s->last_pli_us < LEAN_PLI_MIN_US) {
    HeldPli *h = g_new0 (HeldPli, 1);
    h->src = lean_leg_ref (src);
    h->kind = kind;
    s->pli_timer = g_timeout_source_new ((guint) ((s->last_pli_us + LEAN_PLI_MIN_US - now) / 1000) +
                                         1);
    g_source_set_callback (s->pli_timer, held_pli_due, h, held_pli_free);
    g_source_set_static_name (s->pli_timer, "lean-held-pli");
    g_source_attach (s->pli_timer, src->worker);
    return;
  }
  s->last_pli_us = now;
  _Alignas(8) guint8 buf[256 + LEAN_SRTP_MAX_TRAILER];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, src->ssrc[0], NULL, 0);
  lean_rtcp_add_pli (&w, src->ssrc[0], s->ssrc);
  send_rtcp (src, &w);
}

void
lean_path_send_reports (LeanLeg *lean)
{
  if (lean->closed || !lean->connected)
    return;
  gint64 now = g_get_monotonic_time ();
  LeanReportBlock blocks[MEDIA_N_SOURCES];
  guint n = 0;
  for (int k = 0; k < MEDIA_N_SOURCES; k++)
    if (lean->in[k].seen)
      lean_recv_stats_block (&lean->in[k].stats, now, &blocks[n++]);
  _Alignas(8) guint8 buf[512 + LEAN_SRTP_MAX_TRAILER];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, lean->ssrc[0], blocks, n);
  lean_rtcp_add_sdes_cname (&w, lean->ssrc[0], lean->cname);
  send_rtcp (lean, &w);
}

void
lean_path_send_twcc (LeanLeg *lean)
{
  if (lean->closed || !lean->connected || lean->twcc_ext_id == 0)
    return;
  /* The media SSRC of transport-wide feedback is informational (the
   * sequence numbers span all the client's streams). */
  guint32 media_ssrc = lean->in[MEDIA_SOURCE_CAMERA].seen ? lean->in[MEDIA_SOURCE_CAMERA].ssrc
                                                          : lean->in[MEDIA_SOURCE_MIC].ssrc;
  _Alignas(8) guint8 fb[1024];
  gsize n = lean_twcc_build (lean->twcc, lean->ssrc[0], media_ssrc, fb, sizeof fb);
  if (n == 0)
    return;
  _Alignas(8) guint8 buf[1100 + LEAN_SRTP_MAX_TRAILER];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, lean->ssrc[0], NULL, 0);
  lean_rtcp_add_raw (&w, fb, n);
  send_rtcp (lean, &w);
}

/* ---- routes ---- */

typedef struct {
  LeanLeg *dst; /* ref */
  guint mline;
  LeanLeg *src; /* ref: the route this retry belongs to */
  MediaSourceKind kind;
} KeyframeRetry;

static void
keyframe_retry_free (gpointer data)
{
  KeyframeRetry *kr = data;
  lean_leg_unref (kr->dst);
  lean_leg_unref (kr->src);
  g_free (kr);
}

static gboolean
keyframe_retry (gpointer data)
{
  KeyframeRetry *kr = data;
  LeanOut *o = &kr->dst->out[kr->mline];
  /* Only while the same route is in place and no keyframe got through yet:
   * each extra keyframe is a burst of packets for every viewer. */
  if (!kr->dst->closed && o->src == kr->src && o->kind == kr->kind && !o->keyframe_sent)
    request_keyframe (kr->src, kr->kind, g_get_monotonic_time ());
  return G_SOURCE_REMOVE;
}

/* A single keyframe request at link time is easily lost (on UDP, or while
 * the sender is still ramping up), and the new viewer would wait for the
 * encoder's next periodic keyframe, seconds later: ask again a few times,
 * until a keyframe has gone to that viewer. */
static const guint keyframe_retry_ms[] = { 300, 1000, 2500 };

void
lean_path_set_route (LeanLeg *dst, guint m, LeanLeg *src, MediaSourceKind kind)
{
  LeanOut *o = &dst->out[m];
  if (o->src == src && (src == NULL || o->kind == kind))
    return;
  g_clear_pointer (&o->src, lean_leg_unref);
  /* Whatever comes next is a new source for the browser's one stream,
   * even should its SSRC be the old one's. */
  o->cont.rebase = TRUE;
  o->keyframe_sent = FALSE;
  if (src == NULL || dst->closed)
    return;
  o->src = lean_leg_ref (src);
  o->kind = kind;
  if (kind == MEDIA_SOURCE_MIC)
    return;
  request_keyframe (src, kind, g_get_monotonic_time ());
  for (gsize i = 0; i < G_N_ELEMENTS (keyframe_retry_ms); i++) {
    KeyframeRetry *kr = g_new0 (KeyframeRetry, 1);
    kr->dst = lean_leg_ref (dst);
    kr->mline = m;
    kr->src = lean_leg_ref (src);
    kr->kind = kind;
    GSource *source = g_timeout_source_new (keyframe_retry_ms[i]);
    g_source_set_callback (source, keyframe_retry, kr, keyframe_retry_free);
    g_source_set_static_name (source, "lean-keyframe-retry");
    g_source_attach (source, dst->worker);
    g_source_unref (source);
  }
}

void
lean_path_stop (LeanLeg *lean)
{
  for (int k = 0; k < MEDIA_N_SOURCES; k++) {
    if (lean->in[k].pli_timer != NULL) {
      g_source_destroy (lean->in[k].pli_timer);
      g_clear_pointer (&lean->in[k].pli_timer, g_source_unref);
    }
  }
}

void
lean_path_free_out (LeanLeg *lean)
{
  for (guint m = 0; m < MEDIA_MAX_MLINES; m++) {
    LeanOut *o = &lean->out[m];
    g_clear_pointer (&o->src, lean_leg_unref);
    if (o->cache != NULL) {
      for (guint i = 0; i < LEAN_CACHE_SLOTS; i++)
        g_free (o->cache->data[i]);
      g_clear_pointer (&o->cache, g_free);
    }
  }
}

/* ---- RTP ---- */

static void
cache_put (LeanOut *o, guint16 seq, const guint8 *data, gsize len)
{
  if (o->cache == NULL)
    o->cache = g_new0 (LeanCache, 1); /* once per video m-line */
  LeanCache *c = o->cache;
  guint i = seq % LEAN_CACHE_SLOTS;
  if (c->cap[i] < len) { /* grows a few times at the start, then never */
    g_free (c->data[i]);
    c->cap[i] = (guint16) MAX (len, 1280);
    c->data[i] = g_malloc (c->cap[i]);
  }
  memcpy (c->data[i], data, len);
  c->seq[i] = seq;
  c->len[i] = (guint16) len;
}

static void
forward (LeanLeg *dst, guint m, const guint8 *pkt, gsize len, const RtpInfo *info, gint64 now)
{
  LeanOut *o = &dst->out[m];
  MediaMline ml;
  media_layout_mline (m, &ml);
  if (ml.video && !o->keyframe_sent) {
    /* A new viewer (or a new source on its m-line) starts with a keyframe:
     * delta frames before it cannot be decoded, and a browser that gets
     * them asks for a keyframe of its own, one more burst for everyone. */
    if (!vp8_keyframe_start (pkt + info->header_len, len - info->header_len))
      return;
    o->keyframe_sent = TRUE;
  }
  _Alignas(8) guint8 out[LEAN_MTU + LEAN_SRTP_MAX_TRAILER];
  memcpy (out, pkt, len);
  guint16 seq;
  guint32 ts;
  media_continuity_map (&o->cont, info->ssrc, info->seq, info->ts, now, &seq, &ts);
  out[1] = (guint8) ((out[1] & 0x80) | (ml.pt & 0x7f)); /* keep the marker bit */
  wr16 (out + 2, seq);
  wr32 (out + 4, ts);
  wr32 (out + 8, dst->ssrc[m]);
  gsize n = len;
  if (!lean_srtp_protect_rtp (dst->srtp_out, out, &n, sizeof out))
    return;
  o->packets++;
  o->octets += (guint32) (len - info->header_len);
  if (ml.video)
    cache_put (o, seq, out, n);
  lean_leg_send (dst, out, n);
  atomic_fetch_add_explicit (&dst->leg->tx_packets, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&dst->leg->tx_bytes, len, memory_order_relaxed);
}

static void
forward_all (LeanLeg *lean, MediaSourceKind kind, const guint8 *pkt, gsize len,
             const RtpInfo *info, gint64 now)
{
  for (GList *l = lean->visit->legs; l != NULL; l = l->next) {
    LeanLeg *dst = l->data;
    if (dst == lean || dst->closed || !dst->connected)
      continue;
    for (guint m = 0; m < dst->n_mlines; m++)
      if (dst->out[m].src == lean && dst->out[m].kind == kind)
        forward (dst, m, pkt, len, info, now);
  }
}

/* We asked the client for `seq` of `s` again (a viewer's NACK our cache
 * could not answer). */
static void
remember_asked (LeanSource *s, guint16 seq)
{
  guint i = s->asked_next++ % LEAN_ASKED_SLOTS;
  s->asked[i] = seq;
  s->asked_valid[i] = 1;
}

/* Whether `seq` was asked for (and no more from now on: one answer). */
static gboolean
take_asked (LeanSource *s, guint16 seq)
{
  for (guint i = 0; i < LEAN_ASKED_SLOTS; i++)
    if (s->asked_valid[i] && s->asked[i] == seq) {
      s->asked_valid[i] = 0;
      return TRUE;
    }
  return FALSE;
}

/* An RTX packet (RFC 4588 §4): the original sequence number, then the
 * original payload. One we asked for goes on as the original (its payload
 * type, SSRC and number); the rest are the browser's bandwidth probes
 * (padding only, or old packets sent again as padding), which have done
 * their work once counted for the transport-wide feedback. */
static void
receive_rtx (LeanLeg *lean, MediaSourceKind kind, guint8 *pkt, gsize len, RtpInfo *info,
             gint64 now)
{
  gsize pad = (pkt[0] & 0x20) ? pkt[len - 1] : 0;
  LeanSource *s = &lean->in[kind];
  if (pad > len || len - pad < info->header_len + 2 || !s->seen)
    return;
  guint16 osn = rd16 (pkt + info->header_len);
  if (!take_asked (s, osn))
    return;
  memmove (pkt + info->header_len, pkt + info->header_len + 2, len - info->header_len - 2);
  len -= 2;
  info->pt = kind == MEDIA_SOURCE_SCREEN ? MEDIA_PT_SCREEN : MEDIA_PT_VP8;
  info->seq = osn;
  info->ssrc = s->ssrc;
  pkt[1] = (guint8) ((pkt[1] & 0x80) | info->pt);
  wr16 (pkt + 2, osn);
  wr32 (pkt + 8, s->ssrc);
  forward_all (lean, kind, pkt, len, info, now);
}

/* now: when we read it; arrived: when it reached the machine, which is
 * what feedback and jitter are about. */
static void
receive_rtp (LeanLeg *lean, guint8 *pkt, gsize len, gint64 now, gint64 arrived)
{
  RtpInfo info;
  MediaSourceKind kind;
  if (!lean_srtp_unprotect_rtp (lean->srtp_in, pkt, &len) ||
      !rtp_parse (pkt, len, lean->twcc_ext_id, &info))
    return;
  if (info.twcc_at >= 0) {
    lean_twcc_record (lean->twcc, rd16 (pkt + info.twcc_at + 1), arrived);
    /* The number means something only between this client and us; blank
     * the element (three padding bytes, RFC 8285 §4.2) so that receivers do
     * not answer it with feedback nobody reads. */
    memset (pkt + info.twcc_at, 0, 3);
  }
  if (media_layout_source_for_rtx_pt (info.pt, &kind)) {
    receive_rtx (lean, kind, pkt, len, &info, now);
    return;
  }
  if (!media_layout_source_for_pt (info.pt, &kind))
    return;
  MediaLeg *leg = lean->leg;
  atomic_fetch_add_explicit (&leg->rx_packets, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&leg->rx_bytes, len, memory_order_relaxed);
  LeanSource *s = &lean->in[kind];
  if (!s->seen || s->ssrc != info.ssrc) {
    gboolean first = !s->seen;
    s->seen = TRUE;
    s->ssrc = info.ssrc;
    lean_recv_stats_init (&s->stats, info.ssrc, kind == MEDIA_SOURCE_MIC ? 48000 : 90000);
    if (first)
      lean_leg_source_seen (lean, kind);
  }
  lean_recv_stats_packet (&s->stats, info.seq, info.ts, arrived);
  if (kind == MEDIA_SOURCE_SCREEN) {
    atomic_store (&leg->screen_last_us, now);
    if (atomic_exchange (&leg->screen_flowing, 1) == 0)
      lean_leg_screen_flowing (lean);
  }
  forward_all (lean, kind, pkt, len, &info, now);
}

/* ---- RTCP from a client ---- */

typedef struct {
  LeanLeg *lean;
  gint64 now;     /* when we read it */
  gint64 arrived; /* when it reached the machine (lean_arrival.c) */
} RtcpCtx;

static gint
our_mline (LeanLeg *lean, guint32 ssrc)
{
  for (guint m = 0; m < lean->n_mlines; m++)
    if (lean->ssrc[m] == ssrc)
      return (gint) m;
  return -1;
}

/* The client's sender report, on to each m-line its stream feeds. */
static void
relay_sr (LeanLeg *lean, MediaSourceKind kind, const LeanRtcpEvent *ev, gint64 now)
{
  for (GList *l = lean->visit->legs; l != NULL; l = l->next) {
    LeanLeg *dst = l->data;
    if (dst == lean || dst->closed || !dst->connected)
      continue;
    for (guint m = 0; m < dst->n_mlines; m++) {
      LeanOut *o = &dst->out[m];
      if (o->src != lean || o->kind != kind || !o->cont.have_in || o->cont.rebase ||
          o->cont.in_ssrc != ev->sender_ssrc)
        continue;
      _Alignas(8) guint8 buf[256 + LEAN_SRTP_MAX_TRAILER];
      LeanRtcpWriter w;
      lean_rtcp_writer_init (&w, buf, sizeof buf);
      lean_rtcp_add_sr (&w, dst->ssrc[m], ev->ntp, ev->rtp_ts + o->cont.ts_delta, o->packets,
                        o->octets, NULL, 0);
      lean_rtcp_add_sdes_cname (&w, dst->ssrc[m], dst->cname);
      send_rtcp (dst, &w);
      dst->sr_sent[dst->sr_next % LEAN_SR_MEMORY].ntp_middle = lean_ntp_middle (ev->ntp);
      dst->sr_sent[dst->sr_next % LEAN_SR_MEMORY].sent_us = now;
      dst->sr_next++;
    }
  }
}

static void
on_block (LeanLeg *lean, const LeanReportBlock *b, gint64 now)
{
  if (b->lsr == 0 || our_mline (lean, b->ssrc) < 0)
    return;
  for (guint i = 0; i < LEAN_SR_MEMORY; i++) {
    if (lean->sr_sent[i].sent_us == 0 || lean->sr_sent[i].ntp_middle != b->lsr)
      continue;
    gint64 rtt = now - lean->sr_sent[i].sent_us - (gint64) b->dlsr * G_USEC_PER_SEC / 65536;
    if (rtt >= 0) {
      lean->rtt_ms = (gdouble) rtt / 1000.0;
      lean->have_rtt = TRUE;
    }
    return;
  }
}

/* A NACK for one of our m-lines: resend what the cache has; ask the sender
 * for the rest, in its own sequence numbers. */
static void
on_nack (LeanLeg *lean, guint m, guint16 pid, guint16 blp, gint64 now)
{
  LeanOut *o = &lean->out[m];
  guint16 missing[17];
  guint n_missing = 0;
  for (guint bit = 0; bit <= 16; bit++) {
    if (bit > 0 && !(blp & (1u << (bit - 1))))
      continue;
    guint16 seq = (guint16) (pid + bit);
    guint i = seq % LEAN_CACHE_SLOTS;
    if (o->cache != NULL && o->cache->len[i] != 0 && o->cache->seq[i] == seq)
      lean_leg_send (lean, o->cache->data[i], o->cache->len[i]);
    else
      missing[n_missing++] = (guint16) (seq - o->cont.seq_delta);
  }
  LeanLeg *src = o->src;
  if (n_missing == 0 || src == NULL || src->closed || !src->connected || !o->cont.have_in ||
      o->cont.rebase || !src->in[o->kind].seen || src->in[o->kind].ssrc != o->cont.in_ssrc)
    return;
  (void) now;
  _Alignas(8) guint8 buf[256 + LEAN_SRTP_MAX_TRAILER];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, src->ssrc[0], NULL, 0);
  lean_rtcp_add_nack (&w, src->ssrc[0], o->cont.in_ssrc, missing, n_missing);
  for (guint i = 0; i < n_missing; i++)
    remember_asked (&src->in[o->kind], missing[i]);
  send_rtcp (src, &w);
}

static void
on_rtcp_event (const LeanRtcpEvent *ev, gpointer user_data)
{
  RtcpCtx *ctx = user_data;
  LeanLeg *lean = ctx->lean;
  gint m;
  switch (ev->kind) {
  case LEAN_RTCP_SR:
    for (int k = 0; k < MEDIA_N_SOURCES; k++) {
      if (lean->in[k].seen && lean->in[k].ssrc == ev->sender_ssrc) {
        lean_recv_stats_sr (&lean->in[k].stats, ev->ntp, ctx->arrived);
        relay_sr (lean, (MediaSourceKind) k, ev, ctx->now);
      }
    }
    break;
  case LEAN_RTCP_BLOCK:
    on_block (lean, &ev->block, ctx->arrived);
    break;
  case LEAN_RTCP_PLI:
  case LEAN_RTCP_FIR:
    m = our_mline (lean, ev->media_ssrc);
    if (m >= 0 && lean->out[m].src != NULL)
      request_keyframe (lean->out[m].src, lean->out[m].kind, ctx->now);
    break;
  case LEAN_RTCP_NACK:
    m = our_mline (lean, ev->media_ssrc);
    if (m >= 0)
      on_nack (lean, (guint) m, ev->nack_pid, ev->nack_blp, ctx->now);
    break;
  default:
    /* REMB and transport-wide feedback on what we send: the relay does not
     * adapt its sending (it forwards what the senders chose); BYE: the
     * signaling says when someone leaves. */
    break;
  }
}

void
lean_path_receive (NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
                   gpointer user_data)
{
  (void) agent;
  (void) stream_id;
  (void) component_id;
  LeanLeg *lean = user_data;
  if (lean->closed || len < 2)
    return;
  guint8 first = (guint8) buf[0];
  /* RFC 7983's demultiplexing by the first byte (STUN is libnice's). */
  if (first >= 20 && first <= 63) {
    lean_leg_on_dtls (lean, (const guint8 *) buf, len);
    return;
  }
  if (first < 128 || first > 191 || !lean->connected || len > LEAN_MTU)
    return;
  _Alignas(8) guint8 pkt[LEAN_MTU + LEAN_SRTP_MAX_TRAILER];
  memcpy (pkt, buf, len);
  gsize n = len;
  gint64 now = g_get_monotonic_time ();
  gint64 arrived = lean_arrival_us (&lean->arrival, now);
  guint8 pt = pkt[1];
  if (pt >= 192 && pt <= 223) { /* RTCP (RFC 5761 §4) */
    if (!lean_srtp_unprotect_rtcp (lean->srtp_in, pkt, &n))
      return;
    RtcpCtx ctx = { lean, now, arrived };
    lean_rtcp_parse (pkt, n, on_rtcp_event, &ctx);
    return;
  }
  receive_rtp (lean, pkt, n, now, arrived);
}
