/* lean_rtpstats.c — receive statistics of one incoming RTP source, for the
 * report blocks a lean leg sends the browser that sends it
 * (lean-private.h): RFC 3550 Appendix A.1 (which sequence numbers count),
 * A.3 (expected, lost, fraction lost) and A.8 (interarrival jitter).
 *
 * Called per packet on a worker thread: plain arithmetic on the caller's
 * struct, no allocation, no lock, no log.
 *
 * Duplicates count as received, as in the RFC (a receiver cannot tell a
 * duplicate from a late packet without a history), so the cumulative loss
 * can go below zero; it is reported as such, 24-bit signed, and
 * lean_recv_stats_totals clamps its own loss at zero.
 *
 * One departure from A.1's code: when a sequence is accepted (after
 * MIN_SEQUENTIAL packets in a row, or two in a row after a big jump), the
 * packets that proved it are counted, so a stream of N packets reports N
 * received, not N - 1. A restart counts anew, as in the RFC. */
#include "media/lean-private.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000  /* RFC 3550 A.1: a jump ahead up to this is loss */
#define MAX_MISORDER 100  /* ... and back up to this is reordering */
#define MIN_SEQUENTIAL 2  /* in-order packets before a source counts */
#define LOST_MAX 0x7fffff /* the report block's 24-bit signed field */
#define LOST_MIN (-0x800000)

void
lean_recv_stats_init (LeanRecvStats *s, guint32 ssrc, guint clock_rate)
{
  memset (s, 0, sizeof *s);
  s->ssrc = ssrc;
  s->clock_rate = clock_rate;
}

/* RFC 3550 A.1 init_seq: counting starts (again) at `seq`. */
static void
init_seq (LeanRecvStats *s, guint16 seq)
{
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
}

/* RFC 3550 A.1 update_seq: TRUE when the packet counts as received. */
static gboolean
update_seq (LeanRecvStats *s, guint16 seq)
{
  guint16 udelta = (guint16) (seq - s->max_seq);
  if (s->probation > 0) {
    /* Not yet valid: wait for MIN_SEQUENTIAL packets in a row. */
    if (seq == (guint16) (s->max_seq + 1)) {
      s->probation--;
      s->max_seq = seq;
      if (s->probation == 0) {
        /* The packets that proved the sequence count too (the RFC's code
         * leaves them out): base and received start at the first of them. */
        init_seq (s, seq);
        s->base_seq = (guint32) seq - (MIN_SEQUENTIAL - 1);
        s->received = MIN_SEQUENTIAL;
        return TRUE;
      }
    } else {
      s->probation = MIN_SEQUENTIAL - 1;
      s->max_seq = seq;
    }
    return FALSE;
  }
  if (udelta < MAX_DROPOUT) {
    /* In order, with a permissible gap. */
    if (seq < s->max_seq)
      s->cycles += RTP_SEQ_MOD; /* the 16-bit number wrapped */
    s->max_seq = seq;
  } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
    /* A very large jump. Two in a row mean the sender restarted (a new
     * encoder, a new stream behind the same SSRC): start counting anew. */
    if (seq == s->bad_seq) {
      /* As above, the packet before (bad_seq - 1) counts as well. */
      init_seq (s, seq);
      s->base_seq = (guint32) seq - 1;
      s->received = 1;
    } else {
      s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
      return FALSE;
    }
  }
  /* else: a duplicate or a reordered packet, counted as received. */
  s->received++;
  return TRUE;
}

/* Microseconds to clock-rate units, split so that a monotonic clock of any
 * age times 90 kHz cannot overflow 64 bits. */
static gint64
to_clock (gint64 us, guint clock_rate)
{
  gint64 sec = us / G_USEC_PER_SEC, rem = us % G_USEC_PER_SEC;
  return sec * clock_rate + rem * (gint64) clock_rate / G_USEC_PER_SEC;
}

/* RFC 3550 A.8, in floating point (the struct's jitter) rather than the
 * RFC's scaled integer; the difference is rounding. Transit times are kept
 * modulo 2^32, as the RTP timestamp wraps: only their differences matter. */
static void
update_jitter (LeanRecvStats *s, guint32 rtp_ts, gint64 arrival_us)
{
  if (s->clock_rate == 0)
    return;
  guint32 transit = (guint32) to_clock (arrival_us, s->clock_rate) - rtp_ts;
  if (s->have_transit) {
    gint32 d = (gint32) (transit - (guint32) s->last_transit);
    double ad = d < 0 ? -(double) d : (double) d;
    s->jitter += (ad - s->jitter) / 16.0;
  }
  s->last_transit = transit;
  s->have_transit = TRUE;
}

void
lean_recv_stats_packet (LeanRecvStats *s, guint16 seq, guint32 rtp_ts, gint64 arrival_us)
{
  if (!s->started) {
    /* A new source: on probation until MIN_SEQUENTIAL in a row (A.1). */
    init_seq (s, seq);
    s->max_seq = (guint16) (seq - 1);
    s->probation = MIN_SEQUENTIAL;
    s->started = TRUE;
  }
  if (update_seq (s, seq))
    update_jitter (s, rtp_ts, arrival_us);
}

void
lean_recv_stats_sr (LeanRecvStats *s, guint64 ntp, gint64 arrival_us)
{
  s->lsr = lean_ntp_middle (ntp);
  s->lsr_mono_us = arrival_us;
}

/* Whether a sequence has been validated (A.1) and counted from base_seq. */
static gboolean
counting (const LeanRecvStats *s)
{
  return s->started && s->probation == 0;
}

static guint32
expected (const LeanRecvStats *s)
{
  guint32 extended_max = s->cycles + s->max_seq;
  return extended_max - s->base_seq + 1;
}

void
lean_recv_stats_block (LeanRecvStats *s, gint64 now_us, LeanReportBlock *out)
{
  memset (out, 0, sizeof *out);
  out->ssrc = s->ssrc;
  if (counting (s)) {
    /* A.3 */
    guint32 exp = expected (s);
    gint64 lost = (gint64) exp - (gint64) s->received;
    out->packets_lost = (gint32) CLAMP (lost, LOST_MIN, LOST_MAX);
    out->ext_highest_seq = s->cycles + s->max_seq;
    guint32 expected_interval = exp - s->expected_prior;
    guint32 received_interval = (guint32) s->received - s->received_prior;
    s->expected_prior = exp;
    s->received_prior = (guint32) s->received;
    gint64 lost_interval = (gint64) expected_interval - (gint64) received_interval;
    if (expected_interval != 0 && lost_interval > 0)
      out->fraction_lost = (guint8) MIN ((lost_interval << 8) / expected_interval, 255);
    out->jitter = (guint32) s->jitter;
  }
  if (s->lsr != 0) {
    /* DLSR: the delay since that SR arrived, in 1/65536 s (RFC 3550 6.4.1). */
    gint64 delay_us = MAX (now_us - s->lsr_mono_us, 0);
    guint64 dlsr = ((guint64) delay_us << 16) / G_USEC_PER_SEC;
    out->lsr = s->lsr;
    out->dlsr = (guint32) MIN (dlsr, G_MAXUINT32);
  }
}

void
lean_recv_stats_totals (const LeanRecvStats *s, guint64 *received, guint64 *lost)
{
  *received = 0;
  *lost = 0;
  if (!counting (s))
    return;
  guint64 exp = expected (s);
  *received = s->received;
  *lost = exp > s->received ? exp - s->received : 0;
}
