/* lean_twcc.c — transport-wide congestion control feedback (lean-private.h):
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1, the RTPFB FMT=15
 * packet that tells a browser when each of its packets arrived, so that its
 * send-side bandwidth estimation (GCC) can ramp up.
 *
 *  |V=2|P|  FMT=15 |    PT=205     |           length              |
 *  |                     SSRC of packet sender                     |
 *  |                      SSRC of media source                     |
 *  |      base sequence number     |      packet status count      |
 *  |                 reference time                | fb pkt. count |
 *  |  packet chunks (16 bits each) ...  | receive deltas ... | pad |
 *
 * Time is kept in ticks of 250 µs, the receive deltas' unit, in 32 bits
 * (wrapping after 12 days; only differences are used). A reference time
 * (24 bits, 64 ms units) is then exactly a tick count shifted right by 8,
 * and wraps with it: 2^32 ticks = 2^24 × 64 ms. The epoch is the monotonic
 * clock's: the sender only uses differences between feedbacks.
 *
 * Arrivals go into a ring of LEAN_TWCC_RING slots indexed by sequence
 * number (16 KiB of ticks and a 512-byte bitmap: about 4 s at 1000 packets
 * a second; feedback goes out every ~100 ms). Sequence numbers are unwrapped
 * to 64 bits so that the 16-bit wrap is only a matter of the ring's index.
 *
 * A packet that arrives after a feedback already reported it missing moves
 * the next feedback's start back to it: that feedback reports it received
 * and repeats the statuses (and arrival times) after it that were already
 * sent. libwebrtc's send side accepts such overlap (its own receive side
 * does the same) and this way the late arrival is not lost to its estimate.
 *
 * lean_twcc_record runs per packet on a worker thread: no allocation, lock
 * or log; lean_twcc_build runs on a timer and does not allocate either. */
#include "media/lean-private.h"

#include <string.h>

#define LEAN_TWCC_RING 4096 /* a power of two: slots indexed by seq & mask */
#define RING_MASK (LEAN_TWCC_RING - 1)

#define TICK_US 250
#define REF_SHIFT 8   /* 64 ms = 256 ticks */
#define HEADER_LEN 20 /* common header, 2 SSRCs, base, count, reference, fb count */

#define SYM_MISSING 0
#define SYM_SMALL 1 /* received, delta 0..255 ticks in 1 byte */
#define SYM_LARGE 2 /* received, delta −32768..32767 ticks in 2 bytes */

#define RUN_MAX 8191 /* a run length chunk's 13 bits */
#define ONE_BIT_CAP 14
#define TWO_BIT_CAP 7

struct _LeanTwcc {
  gboolean have_any;
  gboolean have_new;  /* something to report since the last feedback */
  gint64 max_seq;     /* unwrapped: the highest recorded */
  gint64 next_report; /* unwrapped: where the next feedback starts */
  guint8 fb_count;
  guint32 ticks[LEAN_TWCC_RING];
  guint32 received[LEAN_TWCC_RING / 32]; /* bit set: the slot's ticks hold an arrival */
};

LeanTwcc *
lean_twcc_new (void)
{
  return g_new0 (LeanTwcc, 1);
}

void
lean_twcc_free (LeanTwcc *twcc)
{
  g_free (twcc);
}

static gboolean
slot_received (const LeanTwcc *t, gint64 seq)
{
  guint i = (guint) (seq & RING_MASK);
  return (t->received[i / 32] >> (i % 32)) & 1;
}

static void
slot_set (LeanTwcc *t, gint64 seq, guint32 ticks)
{
  guint i = (guint) (seq & RING_MASK);
  t->received[i / 32] |= 1u << (i % 32);
  t->ticks[i] = ticks;
}

static void
slot_clear (LeanTwcc *t, gint64 seq)
{
  guint i = (guint) (seq & RING_MASK);
  t->received[i / 32] &= ~(1u << (i % 32));
}

/* Floor division, so that the tick count is continuous across zero. */
static guint32
to_ticks (gint64 us)
{
  gint64 q = us / TICK_US;
  if (us % TICK_US < 0)
    q--;
  return (guint32) q;
}

void
lean_twcc_record (LeanTwcc *twcc, guint16 seq, gint64 arrival_us)
{
  guint32 ticks = to_ticks (arrival_us);
  if (!twcc->have_any) {
    /* Unwrapped numbers start well above zero so that "before the first"
     * stays positive and comparisons stay simple. */
    twcc->max_seq = ((gint64) 1 << 32) + seq;
    twcc->next_report = twcc->max_seq;
    twcc->have_any = TRUE;
    slot_set (twcc, twcc->max_seq, ticks);
    twcc->have_new = TRUE;
    return;
  }
  gint64 u = twcc->max_seq + (gint16) (guint16) (seq - (guint16) twcc->max_seq);
  if (u > twcc->max_seq) {
    /* Ahead: the slots skipped over are packets not (yet) received. Their
     * slots may hold arrivals from a lap ago. */
    gint64 from = MAX (twcc->max_seq + 1, u - LEAN_TWCC_RING + 1);
    for (gint64 k = from; k < u; k++)
      slot_clear (twcc, k);
    twcc->max_seq = u;
    /* What fell out of the ring unreported cannot be reported any more. */
    twcc->next_report = MAX (twcc->next_report, u - LEAN_TWCC_RING + 1);
  } else if (u <= twcc->max_seq - LEAN_TWCC_RING || slot_received (twcc, u)) {
    return; /* too old to say anything about, or a duplicate */
  } else if (u < twcc->next_report) {
    twcc->next_report = u; /* late: report it (and what follows) again */
  }
  slot_set (twcc, u, ticks);
  twcc->have_new = TRUE;
}

/* ---- building ---- */

/* The statuses from `base` on, at most `max` of them, into sym[]; the count.
 * It stops before a packet whose delta from the previous received one
 * exceeds 16 bits (8.2 s): the next feedback starts there with its own
 * reference time. `ref` gets the reference time in ticks (a multiple of 256)
 * at or before the first received packet. */
static guint
collect (const LeanTwcc *t, gint64 base, guint max, guint8 *sym, guint32 *ref)
{
  gboolean have_prev = FALSE;
  guint32 prev = 0;
  guint n = 0;
  for (; n < max; n++) {
    gint64 seq = base + n;
    if (!slot_received (t, seq)) {
      sym[n] = SYM_MISSING;
      continue;
    }
    guint32 ticks = t->ticks[seq & RING_MASK];
    if (!have_prev) {
      /* The first delta is then 0..255 ticks: always a small one. */
      *ref = ticks & ~(guint32) ((1u << REF_SHIFT) - 1);
      prev = *ref;
      have_prev = TRUE;
    }
    gint32 delta = (gint32) (ticks - prev);
    if (delta < G_MININT16 || delta > G_MAXINT16)
      break;
    sym[n] = delta >= 0 && delta <= 255 ? SYM_SMALL : SYM_LARGE;
    prev = ticks;
  }
  return n;
}

static guint
run_length (const guint8 *sym, guint n)
{
  guint r = 1;
  while (r < n && r < RUN_MAX && sym[r] == sym[0])
    r++;
  return r;
}

/* The next chunk for sym[0..n): how many symbols it covers (it may hold
 * more slots than there are symbols only as the last chunk) and its 16 bits.
 * Greedy: a run when it is at least as long as a vector would carry, else a
 * 1-bit vector when no large delta is among the next 14, else 2-bit. */
static guint
next_chunk (const guint8 *sym, guint n, guint16 *chunk)
{
  guint run = run_length (sym, n);
  if (run >= ONE_BIT_CAP || run == n) {
    *chunk = (guint16) (sym[0] << 13 | run); /* T=0, S, run length */
    return run;
  }
  guint take = MIN (n, ONE_BIT_CAP);
  gboolean one_bit = TRUE;
  for (guint i = 0; i < take; i++)
    one_bit = one_bit && sym[i] != SYM_LARGE;
  if (one_bit) {
    guint16 c = 0x8000; /* T=1, S=0: 14 one-bit symbols, first at the top */
    for (guint i = 0; i < take; i++)
      c |= (guint16) (sym[i] << (13 - i));
    *chunk = c;
    return take;
  }
  if (run >= TWO_BIT_CAP) {
    *chunk = (guint16) (sym[0] << 13 | run);
    return run;
  }
  take = MIN (n, TWO_BIT_CAP);
  guint16 c = 0xc000; /* T=1, S=1: 7 two-bit symbols */
  for (guint i = 0; i < take; i++)
    c |= (guint16) (sym[i] << (12 - 2 * i));
  *chunk = c;
  return take;
}

static gsize
padded (gsize len)
{
  return (len + 3) & ~(gsize) 3;
}

/* How many of sym[0..k) fit with their deltas in `budget` bytes. */
static guint
fit (const guint8 *sym, guint k, gsize budget)
{
  gsize used = 0;
  guint i = 0;
  for (; i < k && used + sym[i] <= budget; i++)
    used += sym[i]; /* SYM_MISSING: no delta, SYM_SMALL: 1 byte, SYM_LARGE: 2 */
  return i;
}

/* A chunk cut to its first k symbols. The status count says where the
 * symbols end, so a vector's surplus slots would be ignored anyway: they
 * are zeroed only to keep the bytes tidy. */
static guint16
shorten (guint16 chunk, guint k)
{
  if (!(chunk & 0x8000))
    return (guint16) ((chunk & 0xe000) | k);
  guint width = (chunk & 0x4000) ? 2 : 1;
  return (guint16) (chunk & (0xffffu << (14 - k * width)));
}

/* Writes the chunks of sym[0..n) after buf's header, as many symbols as fit
 * in `cap` bytes with the chunks, deltas and padding; how many did, with
 * the chunks' length and whether any of them is a received packet. */
static guint
write_chunks (const guint8 *sym, guint n, guint8 *buf, gsize cap, gsize *chunks_len,
              gboolean *any_received)
{
  gsize limit = cap & ~(gsize) 3; /* the padded length must fit */
  gsize clen = 0, dlen = 0;
  guint done = 0;
  *any_received = FALSE;
  while (done < n) {
    guint16 chunk;
    guint k = next_chunk (sym + done, n - done, &chunk);
    gsize fixed = HEADER_LEN + clen + 2 + dlen;
    guint f = fixed <= limit ? fit (sym + done, k, limit - fixed) : 0;
    if (f == 0)
      break;
    if (f < k)
      chunk = shorten (chunk, f);
    buf[HEADER_LEN + clen] = (guint8) (chunk >> 8);
    buf[HEADER_LEN + clen + 1] = (guint8) chunk;
    clen += 2;
    for (guint i = 0; i < f; i++) {
      dlen += sym[done + i];
      *any_received = *any_received || sym[done + i] != SYM_MISSING;
    }
    done += f;
    if (f < k)
      break;
  }
  *chunks_len = clen;
  return done;
}

/* The receive deltas of the first n statuses from `base` at buf[pos]; the
 * position after them. */
static gsize
write_deltas (const LeanTwcc *t, gint64 base, const guint8 *sym, guint n, guint32 ref, guint8 *buf,
              gsize pos)
{
  guint32 prev = ref;
  for (guint i = 0; i < n; i++) {
    if (sym[i] == SYM_MISSING)
      continue;
    guint32 ticks = t->ticks[(base + i) & RING_MASK];
    gint32 delta = (gint32) (ticks - prev);
    if (sym[i] == SYM_SMALL) {
      buf[pos++] = (guint8) delta;
    } else {
      guint16 d16 = (guint16) (gint16) delta; /* two's complement, big-endian */
      buf[pos++] = (guint8) (d16 >> 8);
      buf[pos++] = (guint8) d16;
    }
    prev = ticks;
  }
  return pos;
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

gsize
lean_twcc_build (LeanTwcc *twcc, guint32 sender_ssrc, guint32 media_ssrc, guint8 *buf, gsize cap)
{
  if (!twcc->have_new || buf == NULL || cap < HEADER_LEN + 4)
    return 0;
  gint64 base = twcc->next_report;
  guint avail = (guint) (twcc->max_seq - base + 1); /* 1..LEAN_TWCC_RING */
  guint8 sym[LEAN_TWCC_RING];                       /* 4 KiB of stack, no allocation */
  guint32 ref = 0;
  guint n = collect (twcc, base, avail, sym, &ref);
  gsize clen;
  gboolean any_received;
  guint done = write_chunks (sym, n, buf, cap, &clen, &any_received);
  /* A feedback needs one received packet to carry a reference time: one
   * without would move the sender's idea of our clock to a made-up value. */
  if (done == 0 || !any_received)
    return 0;
  gsize pos = write_deltas (twcc, base, sym, done, ref, buf, HEADER_LEN + clen);
  gsize len = padded (pos);
  gsize pad = len - pos;
  if (pad > 0) {
    /* RTCP padding (RFC 3550 §6.4.1): zeros, the last octet their count. */
    memset (buf + pos, 0, pad - 1);
    buf[len - 1] = (guint8) pad;
  }
  buf[0] = (guint8) (2 << 6 | (pad > 0 ? 0x20 : 0) | 15); /* V=2, P, FMT=15 */
  buf[1] = 205;                                           /* RTPFB */
  buf[2] = (guint8) ((len / 4 - 1) >> 8);
  buf[3] = (guint8) (len / 4 - 1);
  put32 (buf + 4, sender_ssrc);
  put32 (buf + 8, media_ssrc);
  guint16 base16 = (guint16) base;
  buf[12] = (guint8) (base16 >> 8);
  buf[13] = (guint8) base16;
  buf[14] = (guint8) (done >> 8);
  buf[15] = (guint8) done;
  /* The 24-bit reference time (ref is a multiple of 256 ticks), then the count. */
  put32 (buf + 16, (ref >> REF_SHIFT) << 8 | twcc->fb_count);
  twcc->fb_count++;
  twcc->next_report = base + done;
  twcc->have_new = twcc->next_report <= twcc->max_seq;
  return len;
}
