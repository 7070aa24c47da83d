/* lean_rtcp.c — RTCP for lean legs (lean-private.h): reading a browser's
 * compound packets (RFC 3550 §6, RFC 4585 §6, RFC 5104 §4.3, REMB) and
 * writing ours.
 *
 * Both run per packet on a worker thread, so neither allocates, locks or
 * logs: the parser walks the caller's bytes in place and hands out events on
 * the stack; the writer fills the caller's buffer and only remembers whether
 * something did not fit. Every read is checked against the length of the
 * packet it belongs to, and every packet's length against what is left of
 * the datagram, because the bytes come from the network (decrypted, but the
 * peer still chose them). */
#include "media/lean-private.h"

#include <string.h>

#define RTCP_VERSION 2
#define PT_SR 200
#define PT_RR 201
#define PT_SDES 202
#define PT_BYE 203
#define PT_RTPFB 205
#define PT_PSFB 206

#define FMT_NACK 1  /* RTPFB, RFC 4585 §6.2.1 */
#define FMT_TWCC 15 /* RTPFB, draft-holmer-rmcat-transport-wide-cc-extensions */
#define FMT_PLI 1   /* PSFB, RFC 4585 §6.3.1 */
#define FMT_FIR 4   /* PSFB, RFC 5104 §4.3.1 */
#define FMT_AFB 15  /* PSFB application layer feedback: REMB */

#define HEADER_LEN 4
#define BLOCK_LEN 24       /* one report block */
#define SENDER_INFO_LEN 20 /* NTP (8), RTP timestamp, packets, octets */
#define FB_LEN 12          /* header, sender SSRC, media SSRC */
#define FIR_ENTRY_LEN 8    /* SSRC, seq, 3 reserved */
#define MAX_COUNT 31       /* the 5-bit count field */

#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT (2208988800) /* 1900 → 1970 in s */

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint16
rd16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static void
wr32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
wr16 (guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v;
}

/* ---- reading ---- */

static void
read_block (const guint8 *p, LeanReportBlock *b)
{
  b->ssrc = rd32 (p);
  b->fraction_lost = p[4];
  /* 24-bit two's complement: shift it to the top and back to sign-extend. */
  b->packets_lost = (gint32) ((guint32) p[5] << 24 | (guint32) p[6] << 16 | (guint32) p[7] << 8) >>
                    8;
  b->ext_highest_seq = rd32 (p + 8);
  b->jitter = rd32 (p + 12);
  b->lsr = rd32 (p + 16);
  b->dlsr = rd32 (p + 20);
}

/* SR or RR: `body` starts after the common header, `len` excludes padding. */
static gboolean
parse_report (guint8 pt, guint count, const guint8 *body, gsize len, LeanRtcpFunc func,
              gpointer user_data)
{
  gsize info = pt == PT_SR ? SENDER_INFO_LEN : 0;
  if (len < 4 + info + (gsize) count * BLOCK_LEN)
    return FALSE;
  LeanRtcpEvent ev = { .sender_ssrc = rd32 (body) };
  if (pt == PT_SR) {
    ev.kind = LEAN_RTCP_SR;
    ev.ntp = (guint64) rd32 (body + 4) << 32 | rd32 (body + 8);
    ev.rtp_ts = rd32 (body + 12);
    ev.packets = rd32 (body + 16);
    ev.octets = rd32 (body + 20);
    func (&ev, user_data);
  }
  /* Anything after the blocks is a profile-specific extension: ignored. */
  const guint8 *p = body + 4 + info;
  for (guint i = 0; i < count; i++, p += BLOCK_LEN) {
    LeanRtcpEvent bev = { .kind = LEAN_RTCP_BLOCK, .sender_ssrc = ev.sender_ssrc };
    read_block (p, &bev.block);
    func (&bev, user_data);
  }
  return TRUE;
}

static gboolean
parse_bye (guint count, const guint8 *body, gsize len, LeanRtcpFunc func, gpointer user_data)
{
  if (len < (gsize) count * 4)
    return FALSE;
  /* One event per source leaving; the optional reason is not needed. */
  for (guint i = 0; i < count; i++) {
    LeanRtcpEvent ev = { .kind = LEAN_RTCP_BYE, .sender_ssrc = rd32 (body + 4 * i) };
    func (&ev, user_data);
  }
  return TRUE;
}

static gboolean
parse_rtpfb (guint fmt, const guint8 *body, gsize len, LeanRtcpFunc func, gpointer user_data)
{
  if (len < FB_LEN - HEADER_LEN)
    return FALSE;
  LeanRtcpEvent ev = { .sender_ssrc = rd32 (body), .media_ssrc = rd32 (body + 4) };
  const guint8 *fci = body + 8;
  gsize fci_len = len - 8;
  if (fmt == FMT_NACK) {
    if (fci_len % 4 != 0)
      return FALSE;
    ev.kind = LEAN_RTCP_NACK;
    for (gsize off = 0; off < fci_len; off += 4) {
      ev.nack_pid = rd16 (fci + off);
      ev.nack_blp = rd16 (fci + off + 2);
      func (&ev, user_data);
    }
  } else if (fmt == FMT_TWCC) {
    ev.kind = LEAN_RTCP_TWCC;
    func (&ev, user_data);
  }
  return TRUE;
}

/* REMB (draft-alvestrand-rmcat-remb-03 §2.2): "REMB", the number of SSRCs,
 * a 6-bit exponent and an 18-bit mantissa, then the SSRCs it applies to. */
static gboolean
parse_remb (LeanRtcpEvent *ev, const guint8 *fci, gsize fci_len, LeanRtcpFunc func,
            gpointer user_data)
{
  if (fci_len < 8 || memcmp (fci, "REMB", 4) != 0)
    return TRUE; /* some other application's feedback: not ours to judge */
  guint n_ssrc = fci[4];
  if (fci_len < 8 + (gsize) n_ssrc * 4)
    return FALSE;
  guint exp = fci[5] >> 2;
  guint64 mantissa = (guint64) (fci[5] & 0x3) << 16 | (guint64) fci[6] << 8 | fci[7];
  /* An 18-bit mantissa shifted by up to 63 can exceed 64 bits: saturate. */
  if (mantissa != 0 && exp > 46 && (mantissa >> (64 - exp)) != 0)
    ev->remb_bps = G_MAXUINT64;
  else
    ev->remb_bps = mantissa << exp;
  ev->kind = LEAN_RTCP_REMB;
  ev->media_ssrc = n_ssrc > 0 ? rd32 (fci + 8) : 0;
  func (ev, user_data);
  return TRUE;
}

static gboolean
parse_psfb (guint fmt, const guint8 *body, gsize len, LeanRtcpFunc func, gpointer user_data)
{
  if (len < FB_LEN - HEADER_LEN)
    return FALSE;
  LeanRtcpEvent ev = { .sender_ssrc = rd32 (body), .media_ssrc = rd32 (body + 4) };
  const guint8 *fci = body + 8;
  gsize fci_len = len - 8;
  switch (fmt) {
  case FMT_PLI:
    ev.kind = LEAN_RTCP_PLI;
    func (&ev, user_data);
    return TRUE;
  case FMT_FIR:
    /* The header's media SSRC is unused (0); each entry names its source. */
    if (fci_len % FIR_ENTRY_LEN != 0)
      return FALSE;
    ev.kind = LEAN_RTCP_FIR;
    for (gsize off = 0; off < fci_len; off += FIR_ENTRY_LEN) {
      ev.media_ssrc = rd32 (fci + off);
      ev.fir_seq = fci[off + 4];
      func (&ev, user_data);
    }
    return TRUE;
  case FMT_AFB:
    return parse_remb (&ev, fci, fci_len, func, user_data);
  default:
    return TRUE;
  }
}

gboolean
lean_rtcp_parse (const guint8 *buf, gsize len, LeanRtcpFunc func, gpointer user_data)
{
  if (buf == NULL || len < HEADER_LEN)
    return FALSE;
  gsize off = 0;
  while (off < len) {
    const guint8 *p = buf + off;
    gsize left = len - off;
    if (left < HEADER_LEN || p[0] >> 6 != RTCP_VERSION)
      return FALSE;
    gsize pkt_len = ((gsize) rd16 (p + 2) + 1) * 4;
    if (pkt_len > left)
      return FALSE;
    gsize body_len = pkt_len - HEADER_LEN;
    /* RFC 3550 puts padding only on a compound's last packet; like libwebrtc
     * we accept it on any, as its own length field bounds it. */
    if (p[0] & 0x20) {
      guint8 pad = p[pkt_len - 1];
      if (pad == 0 || pad > body_len)
        return FALSE;
      body_len -= pad;
    }
    guint count = p[0] & 0x1f;
    const guint8 *body = p + HEADER_LEN;
    gboolean ok = TRUE;
    switch (p[1]) {
    case PT_SR:
    case PT_RR:
      ok = parse_report (p[1], count, body, body_len, func, user_data);
      break;
    case PT_BYE:
      ok = parse_bye (count, body, body_len, func, user_data);
      break;
    case PT_RTPFB:
      ok = parse_rtpfb (count, body, body_len, func, user_data);
      break;
    case PT_PSFB:
      ok = parse_psfb (count, body, body_len, func, user_data);
      break;
    default: /* SDES, APP, XR and anything newer: nothing the relay needs */
      break;
    }
    if (!ok)
      return FALSE;
    off += pkt_len;
  }
  return TRUE;
}

/* ---- writing ---- */

void
lean_rtcp_writer_init (LeanRtcpWriter *w, guint8 *buf, gsize cap)
{
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = FALSE;
}

/* Room for `n` more bytes (zeroed), or NULL and the writer marked failed:
 * a compound with a packet missing would say something else than meant. */
static guint8 *
reserve (LeanRtcpWriter *w, gsize n)
{
  if (w->overflow || w->buf == NULL || n > w->cap - w->len) {
    w->overflow = TRUE;
    return NULL;
  }
  guint8 *p = w->buf + w->len;
  memset (p, 0, n);
  w->len += n;
  return p;
}

/* The common header of a packet of `n` bytes (a multiple of 4). */
static void
write_header (guint8 *p, guint count, guint8 pt, gsize n)
{
  p[0] = RTCP_VERSION << 6 | (count & 0x1f);
  p[1] = pt;
  wr16 (p + 2, (guint16) (n / 4 - 1));
}

static void
write_block (guint8 *p, const LeanReportBlock *b)
{
  wr32 (p, b->ssrc);
  p[4] = b->fraction_lost;
  gint32 lost = CLAMP (b->packets_lost, -0x800000, 0x7fffff);
  guint32 lost24 = (guint32) lost & 0xffffff;
  p[5] = lost24 >> 16;
  p[6] = lost24 >> 8;
  p[7] = lost24;
  wr32 (p + 8, b->ext_highest_seq);
  wr32 (p + 12, b->jitter);
  wr32 (p + 16, b->lsr);
  wr32 (p + 20, b->dlsr);
}

void
lean_rtcp_add_sr (LeanRtcpWriter *w, guint32 ssrc, guint64 ntp, guint32 rtp_ts, guint32 packets,
                  guint32 octets, const LeanReportBlock *blocks, guint n_blocks)
{
  if (n_blocks > MAX_COUNT) {
    w->overflow = TRUE;
    return;
  }
  gsize n = HEADER_LEN + 4 + SENDER_INFO_LEN + (gsize) n_blocks * BLOCK_LEN;
  guint8 *p = reserve (w, n);
  if (p == NULL)
    return;
  write_header (p, n_blocks, PT_SR, n);
  wr32 (p + 4, ssrc);
  wr32 (p + 8, (guint32) (ntp >> 32));
  wr32 (p + 12, (guint32) ntp);
  wr32 (p + 16, rtp_ts);
  wr32 (p + 20, packets);
  wr32 (p + 24, octets);
  for (guint i = 0; i < n_blocks; i++)
    write_block (p + 28 + (gsize) i * BLOCK_LEN, &blocks[i]);
}

void
lean_rtcp_add_rr (LeanRtcpWriter *w, guint32 sender_ssrc, const LeanReportBlock *blocks,
                  guint n_blocks)
{
  if (n_blocks > MAX_COUNT) {
    w->overflow = TRUE;
    return;
  }
  gsize n = HEADER_LEN + 4 + (gsize) n_blocks * BLOCK_LEN;
  guint8 *p = reserve (w, n);
  if (p == NULL)
    return;
  write_header (p, n_blocks, PT_RR, n);
  wr32 (p + 4, sender_ssrc);
  for (guint i = 0; i < n_blocks; i++)
    write_block (p + 8 + (gsize) i * BLOCK_LEN, &blocks[i]);
}

void
lean_rtcp_add_sdes_cname (LeanRtcpWriter *w, guint32 ssrc, const char *cname)
{
  gsize cname_len = cname != NULL ? strlen (cname) : 0;
  if (cname_len == 0 || cname_len > 255) { /* the item's 8-bit length */
    w->overflow = TRUE;
    return;
  }
  /* One chunk: SSRC, CNAME item (type 1, length, text), then the END item:
   * one or more zero octets up to the next 32-bit boundary (RFC 3550 §6.5). */
  gsize chunk = 4 + 2 + cname_len + 1;
  chunk = (chunk + 3) & ~(gsize) 3;
  gsize n = HEADER_LEN + chunk;
  guint8 *p = reserve (w, n);
  if (p == NULL)
    return;
  write_header (p, 1, PT_SDES, n);
  wr32 (p + 4, ssrc);
  p[8] = 1; /* CNAME */
  p[9] = (guint8) cname_len;
  memcpy (p + 10, cname, cname_len);
}

static void
add_fb (LeanRtcpWriter *w, guint8 pt, guint fmt, guint32 sender_ssrc, guint32 media_ssrc,
        const guint8 *fci, gsize fci_len)
{
  gsize n = FB_LEN + fci_len;
  guint8 *p = reserve (w, n);
  if (p == NULL)
    return;
  write_header (p, fmt, pt, n);
  wr32 (p + 4, sender_ssrc);
  wr32 (p + 8, media_ssrc);
  if (fci_len > 0)
    memcpy (p + FB_LEN, fci, fci_len);
}

void
lean_rtcp_add_pli (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc)
{
  add_fb (w, PT_PSFB, FMT_PLI, sender_ssrc, media_ssrc, NULL, 0);
}

void
lean_rtcp_add_fir (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc, guint8 seq)
{
  /* RFC 5104 §4.3.1.2: the header's media SSRC is 0, the FCI names it. */
  guint8 fci[FIR_ENTRY_LEN] = { 0 };
  wr32 (fci, media_ssrc);
  fci[4] = seq;
  add_fb (w, PT_PSFB, FMT_FIR, sender_ssrc, 0, fci, sizeof fci);
}

/* The set's members in order around the 16-bit circle, starting after its
 * widest empty stretch, so that {65534, 65535, 0, 1} comes out in that order
 * rather than as 0, 1, ..., 65535. */
static guint
nack_first (const guint64 *set)
{
  gint first = -1, prev = -1, best_start = -1;
  guint best_gap = 0;
  for (guint word = 0; word < 65536 / 64; word++) {
    for (guint64 bits = set[word]; bits != 0; bits &= bits - 1) {
      gint seq = (gint) (word * 64 + (guint) __builtin_ctzll (bits));
      if (first < 0)
        first = seq;
      else if ((guint) (seq - prev) > best_gap) {
        best_gap = (guint) (seq - prev);
        best_start = seq;
      }
      prev = seq;
    }
  }
  /* The stretch from the last back round to the first. */
  if (best_start < 0 || (guint) (first + 65536 - prev) > best_gap)
    best_start = first;
  return (guint) best_start;
}

/* The first member at or after `from` going round the circle; the set must
 * not be empty. Whole words at a time: a NACK of two far-apart numbers does
 * not walk 65536 bits. */
static guint
next_member (const guint64 *set, guint from)
{
  guint word = from / 64;
  guint64 bits = set[word] & (~G_GUINT64_CONSTANT (0) << (from % 64));
  for (guint k = 0; bits == 0 && k < 65536 / 64; k++) {
    word = (word + 1) % (65536 / 64);
    bits = set[word];
  }
  return word * 64 + (guint) __builtin_ctzll (bits);
}

static gboolean
set_has (const guint64 *set, guint seq)
{
  return (set[seq / 64] >> (seq % 64)) & 1;
}

static void
set_clear (guint64 *set, guint seq)
{
  set[seq / 64] &= ~(G_GUINT64_CONSTANT (1) << (seq % 64));
}

void
lean_rtcp_add_nack (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc, const guint16 *seqs,
                    guint n_seqs)
{
  if (n_seqs == 0 || w->overflow)
    return; /* a NACK without an FCI entry is not a NACK (RFC 4585 §6.2.1) */
  /* A bitmap of all 65536 numbers (8 KiB on the stack) sorts and removes
   * duplicates in one pass, for any count, without allocating. */
  guint64 set[65536 / 64];
  memset (set, 0, sizeof set);
  for (guint i = 0; i < n_seqs; i++)
    set[seqs[i] / 64] |= G_GUINT64_CONSTANT (1) << (seqs[i] % 64);
  gsize start = w->len;
  guint8 *p = reserve (w, FB_LEN);
  if (p == NULL)
    return;
  guint left = 0; /* distinct numbers not yet written */
  for (guint word = 0; word < G_N_ELEMENTS (set); word++)
    left += (guint) __builtin_popcountll (set[word]);
  for (guint seq = nack_first (set); left > 0; seq = (seq + 1) & 0xffff) {
    seq = next_member (set, seq);
    set_clear (set, seq);
    left--;
    guint16 blp = 0;
    for (guint bit = 0; bit < 16; bit++) {
      guint next = (seq + 1 + bit) & 0xffff;
      if (set_has (set, next)) {
        blp |= (guint16) (1u << bit);
        set_clear (set, next);
        left--;
      }
    }
    guint8 *pair = reserve (w, 4);
    if (pair == NULL) {
      w->len = start; /* leave no half packet behind */
      return;
    }
    wr16 (pair, (guint16) seq);
    wr16 (pair + 2, blp);
  }
  p = w->buf + start; /* reserve () never moves the buffer */
  write_header (p, FMT_NACK, PT_RTPFB, w->len - start);
  wr32 (p + 4, sender_ssrc);
  wr32 (p + 8, media_ssrc);
}

void
lean_rtcp_add_raw (LeanRtcpWriter *w, const guint8 *packet, gsize len)
{
  /* RTCP packets are whole 32-bit words; anything else would shift the
   * packets after it. */
  if (packet == NULL || len % 4 != 0) {
    w->overflow = TRUE;
    return;
  }
  guint8 *p = reserve (w, len);
  if (p != NULL && len > 0)
    memcpy (p, packet, len);
}

gsize
lean_rtcp_writer_finish (LeanRtcpWriter *w)
{
  return w->overflow ? 0 : w->len;
}

/* ---- NTP time ---- */

guint64
lean_ntp_from_real_us (gint64 real_us)
{
  /* Floor division, so an (unlikely) time before 1970 still counts up. */
  gint64 sec = real_us / G_USEC_PER_SEC;
  gint64 usec = real_us % G_USEC_PER_SEC;
  if (usec < 0) {
    usec += G_USEC_PER_SEC;
    sec--;
  }
  /* Seconds modulo 2^32: NTP era 1 starts in 2036 and wraps to 0 as RFC
   * 5905 says; LSR/DLSR only use differences. */
  guint32 ntp_sec = (guint32) ((guint64) sec + NTP_UNIX_OFFSET);
  /* The fraction rounded to the nearest 2^-32 s. */
  guint64 frac = (((guint64) usec << 32) + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC;
  if (frac > G_MAXUINT32)
    frac = G_MAXUINT32;
  return (guint64) ntp_sec << 32 | frac;
}

guint32
lean_ntp_middle (guint64 ntp)
{
  return (guint32) (ntp >> 16);
}
