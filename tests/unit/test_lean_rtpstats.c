/* test_lean_rtpstats.c — receive statistics of the lean engine
 * (media/lean_rtpstats.c), RFC 3550 A.1, A.3 and A.8, on made-up packet
 * runs: in order, gaps, reordering, duplicates, the 16-bit wrap, a sender
 * that restarts its sequence, jitter, and the delay since the last SR. The
 * report block that results goes through our writer to GStreamer's RTCP
 * reader once, at the 24-bit limit of the loss field. */
#include "tests/unit/lean-rtcp-assert.h"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#define RATE 48000
#define PTIME_US 20000
#define PTIME_TS 960

/* Feeds `seq` as the packet sent at index `idx` of a 20 ms audio stream
 * arriving exactly on time. */
static void
feed (LeanRecvStats *s, guint16 seq, guint idx)
{
  lean_recv_stats_packet (s, seq, 5000 + idx * PTIME_TS, 1000000 + (gint64) idx * PTIME_US);
}

static void
feed_run (LeanRecvStats *s, guint first, guint last)
{
  for (guint i = first; i <= last; i++)
    feed (s, (guint16) i, i);
}

static void
assert_counts (LeanRecvStats *s, guint64 want_received, guint64 want_lost)
{
  guint64 received, lost;
  lean_recv_stats_totals (s, &received, &lost);
  g_assert_cmpuint (received, ==, want_received);
  g_assert_cmpuint (lost, ==, want_lost);
}

static void
test_stats_in_order_and_gap (void)
{
  LeanRecvStats s;
  lean_recv_stats_init (&s, 0xabc, RATE);
  LeanReportBlock b;
  /* Before any packet, and after one (still on probation): nothing. */
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmphex (b.ssrc, ==, 0xabc);
  g_assert_cmpuint (b.ext_highest_seq, ==, 0);
  feed (&s, 1000, 0);
  assert_counts (&s, 0, 0);

  feed_run (&s, 1001, 1099); /* 100 packets */
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 1099);
  g_assert_cmpint (b.packets_lost, ==, 0);
  g_assert_cmpuint (b.fraction_lost, ==, 0);
  g_assert_cmpuint (b.jitter, ==, 0);
  g_assert_cmphex (b.lsr, ==, 0);
  g_assert_cmphex (b.dlsr, ==, 0);
  assert_counts (&s, 100, 0);

  /* 1100..1119 with 1105..1109 missing: 5 of 20 expected in this interval
   * lost, fraction 5/20 × 256 = 64. */
  feed_run (&s, 1100, 1104);
  feed_run (&s, 1110, 1119);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 1119);
  g_assert_cmpint (b.packets_lost, ==, 5);
  g_assert_cmpuint (b.fraction_lost, ==, 64);
  assert_counts (&s, 115, 5);
  /* The next interval is whole: fraction 0, the cumulative loss stays. */
  feed_run (&s, 1120, 1139);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpint (b.packets_lost, ==, 5);
  g_assert_cmpuint (b.fraction_lost, ==, 0);
  /* An interval with nothing at all: fraction 0, not a division by 0. */
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.fraction_lost, ==, 0);
}

static void
test_stats_reorder_duplicates (void)
{
  LeanRecvStats s;
  LeanReportBlock b;
  lean_recv_stats_init (&s, 1, RATE);
  feed_run (&s, 0, 9);
  feed (&s, 11, 11);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpint (b.packets_lost, ==, 1);
  g_assert_cmpuint (b.fraction_lost, ==, 256 / 12); /* 1 of 12 */
  feed (&s, 10, 10);                                /* late, within MAX_MISORDER */
  feed (&s, 12, 12);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 12); /* a late packet does not move it back */
  g_assert_cmpint (b.packets_lost, ==, 0);
  g_assert_cmpuint (b.fraction_lost, ==, 0); /* 1 expected, 2 received */
  assert_counts (&s, 13, 0);
  /* Duplicates count as received (RFC 3550 A.3): loss goes below zero in
   * the block, and stays at zero in the totals. */
  feed (&s, 5, 5);
  feed (&s, 12, 12);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpint (b.packets_lost, ==, -2);
  assert_counts (&s, 15, 0);
}

static void
test_stats_wrap (void)
{
  LeanRecvStats s;
  LeanReportBlock b;
  lean_recv_stats_init (&s, 1, RATE);
  for (guint i = 0; i < 12; i++)
    feed (&s, (guint16) (65530 + i), i); /* 65530..65535, 0..5 */
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 65536 + 5); /* one cycle */
  g_assert_cmpint (b.packets_lost, ==, 0);
  assert_counts (&s, 12, 0);
  /* A loss across the wrap counts like any other. */
  lean_recv_stats_init (&s, 1, RATE);
  feed_run (&s, 65530, 65533);
  feed (&s, 2, 8);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 65536 + 2);
  g_assert_cmpint (b.packets_lost, ==, 4); /* 65534, 65535, 0, 1 */
}

static void
test_stats_restart (void)
{
  LeanRecvStats s;
  LeanReportBlock b;
  lean_recv_stats_init (&s, 1, RATE);
  feed_run (&s, 0, 99);
  /* One stray packet far ahead is ignored ... */
  feed (&s, 40000, 100);
  feed (&s, 100, 101);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 100);
  assert_counts (&s, 101, 0);
  /* ... two in a row are a new sequence (the sender restarted): counting
   * starts over from the first of them. */
  feed (&s, 30000, 102);
  feed (&s, 30001, 103);
  feed (&s, 30002, 104);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 30002);
  g_assert_cmpint (b.packets_lost, ==, 0);
  assert_counts (&s, 3, 0);
  /* A jump within MAX_DROPOUT (3000) is loss, not a restart. */
  feed (&s, 32000, 105);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, 32000);
  g_assert_cmpint (b.packets_lost, ==, 1997);
}

static void
test_stats_lost_clamp (void)
{
  /* 3000 jumps of 2999 (each within MAX_DROPOUT): 3000 × 2998 lost, more
   * than the 24-bit field's 8388607. */
  LeanRecvStats s;
  LeanReportBlock b;
  lean_recv_stats_init (&s, 1, RATE);
  feed_run (&s, 0, 1);
  guint32 seq = 1;
  for (guint i = 0; i < 3000; i++) {
    seq += 2999;
    feed (&s, (guint16) seq, 2 + i);
  }
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.ext_highest_seq, ==, seq);
  g_assert_cmpint (b.packets_lost, ==, 0x7fffff);
  assert_counts (&s, 3002, 3000u * 2998u);
  /* And it goes on the wire as 0x7fffff (GStreamer reads it back). */
  guint8 buf[64];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, 2, &b, 1);
  gsize len = lean_rtcp_writer_finish (&w);
  g_assert_true (gst_rtcp_buffer_validate_data (buf, (guint) len));
  GstBuffer *gbuf = gst_rtcp_buffer_new_copy_data (buf, (guint) len);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  g_assert_true (gst_rtcp_buffer_map (gbuf, GST_MAP_READ, &rtcp));
  g_assert_true (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
  lean_assert_block (&packet, 0, &b);
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_unref (gbuf);
}

static void
test_stats_jitter (void)
{
  /* Constant rate, RTP timestamps across their 32-bit wrap: jitter 0. */
  LeanRecvStats s;
  LeanReportBlock b;
  lean_recv_stats_init (&s, 1, 90000);
  for (guint i = 0; i < 200; i++)
    lean_recv_stats_packet (&s, (guint16) i, 0xffff0000u + i * 3000, 7000000 + (gint64) i * 33333);
  lean_recv_stats_block (&s, 0, &b);
  g_assert_cmpuint (b.jitter, <=, 1); /* 33333 µs is 2999.97 ticks: rounding */

  /* Arrivals alternately 5 ms early and 5 ms late: |D| = 10 ms = 480 units
   * at 48 kHz every packet, so J approaches 480 (J += (480 − J) / 16). */
  lean_recv_stats_init (&s, 1, RATE);
  guint prev = 0;
  for (guint i = 0; i < 200; i++) {
    gint64 wobble = i % 2 ? 5000 : -5000;
    lean_recv_stats_packet (&s, (guint16) i, i * PTIME_TS,
                            1000000 + (gint64) i * PTIME_US + wobble);
    lean_recv_stats_block (&s, 0, &b);
    /* The first difference (packet 2; 0 is on probation, 1 sets the
     * transit): 480 / 16 = 30; then 30 + (480 − 30) / 16 = 58.1. */
    if (i == 2)
      g_assert_cmpuint (b.jitter, ==, 30);
    if (i == 3)
      g_assert_cmpuint (b.jitter, ==, 58);
    if (i > 2)
      g_assert_cmpuint (b.jitter, >=, prev); /* grows */
    prev = b.jitter;
  }
  g_assert_cmpuint (b.jitter, >=, 470);
  g_assert_cmpuint (b.jitter, <=, 480);
}

static void
test_stats_dlsr (void)
{
  LeanRecvStats s;
  LeanReportBlock b;
  lean_recv_stats_init (&s, 1, RATE);
  feed_run (&s, 0, 5);
  guint64 ntp = G_GUINT64_CONSTANT (0xe1234567a0000000);
  lean_recv_stats_sr (&s, ntp, 10000000);
  /* 1.5 s later: DLSR = 1.5 × 65536 = 98304. */
  lean_recv_stats_block (&s, 11500000, &b);
  g_assert_cmphex (b.lsr, ==, 0x4567a000);
  g_assert_cmpuint (b.dlsr, ==, 98304);
  /* A clock that reads earlier than the SR's arrival gives 0, not garbage. */
  lean_recv_stats_block (&s, 9000000, &b);
  g_assert_cmpuint (b.dlsr, ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean-rtpstats/in-order-gap", test_stats_in_order_and_gap);
  g_test_add_func ("/lean-rtpstats/reorder-duplicates", test_stats_reorder_duplicates);
  g_test_add_func ("/lean-rtpstats/wrap", test_stats_wrap);
  g_test_add_func ("/lean-rtpstats/restart", test_stats_restart);
  g_test_add_func ("/lean-rtpstats/lost-clamp", test_stats_lost_clamp);
  g_test_add_func ("/lean-rtpstats/jitter", test_stats_jitter);
  g_test_add_func ("/lean-rtpstats/dlsr", test_stats_dlsr);
  return g_test_run ();
}
