/* fuzz_rtcp.c — what the lean engine reads from a client's packets once
 * they are decrypted (media/lean_rtcp.c, lean_twcc.c, lean_rtpstats.c): any
 * authenticated peer can send anything. Byte 0 picks the target:
 *   0: the bytes as a compound RTCP packet (every event's fields are read);
 *   1: pairs of bytes as transport-wide sequence numbers with arrival steps,
 *      then feedback built into buffers of several sizes;
 *   2: (sequence number, timestamp, arrival step) triples into the receive
 *      statistics, with report blocks and totals along the way. */
#include "tests/fuzz/fuzz_common.h"
#include "media/lean-private.h"

#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_fatal_criticals ();
  return 0;
}

static void
on_event (const LeanRtcpEvent *ev, gpointer user_data)
{
  guint64 *sum = user_data;
  /* Touch every field, so a bad read of the packet shows up. */
  *sum += ev->kind + ev->sender_ssrc + ev->media_ssrc + ev->ntp + ev->rtp_ts + ev->packets +
          ev->octets + ev->block.ssrc + ev->block.fraction_lost + (guint32) ev->block.packets_lost +
          ev->block.ext_highest_seq + ev->block.jitter + ev->block.lsr + ev->block.dlsr +
          ev->nack_pid + ev->nack_blp + ev->fir_seq + ev->remb_bps;
}

static void
fuzz_parse (const uint8_t *data, size_t size)
{
  /* An exact-size copy: ASan sees any read past the end. */
  guint8 *copy = g_memdup2 (data, size);
  guint64 sum = 0;
  (void) lean_rtcp_parse (copy, size, on_event, &sum);
  g_free (copy);
}

static void
fuzz_twcc (const uint8_t *data, size_t size)
{
  LeanTwcc *twcc = lean_twcc_new ();
  gint64 now = 1000000;
  guint8 buf[1200];
  static const gsize caps[] = { 0, 16, 28, 64, 300, sizeof buf };
  for (size_t i = 0; i + 3 <= size; i += 3) {
    guint16 seq = (guint16) (data[i] << 8 | data[i + 1]);
    now += (gint64) data[i + 2] * 97; /* up to ~25 ms per step */
    lean_twcc_record (twcc, seq, now);
    if (data[i + 2] % 16 == 0) {
      gsize cap = caps[data[i] % G_N_ELEMENTS (caps)];
      gsize n = lean_twcc_build (twcc, 1, 2, buf, cap);
      g_assert_cmpuint (n, <=, cap);
      g_assert_true (n % 4 == 0);
    }
  }
  while (lean_twcc_build (twcc, 1, 2, buf, sizeof buf) > 0)
    ;
  lean_twcc_free (twcc);
}

static void
fuzz_stats (const uint8_t *data, size_t size)
{
  LeanRecvStats s;
  LeanReportBlock b;
  lean_recv_stats_init (&s, 42, 90000);
  gint64 now = 1000000;
  for (size_t i = 0; i + 4 <= size; i += 4) {
    guint16 seq = (guint16) (data[i] << 8 | data[i + 1]);
    guint32 ts = (guint32) data[i + 2] * 3000u;
    now += (gint64) data[i + 3] * 500;
    lean_recv_stats_packet (&s, seq, ts, now);
    if (data[i + 3] == 0)
      lean_recv_stats_sr (&s, ((guint64) now << 16), now);
    if (data[i + 3] % 8 == 0) {
      lean_recv_stats_block (&s, now, &b);
      g_assert_cmpuint (b.ssrc, ==, 42);
    }
  }
  guint64 received, lost;
  lean_recv_stats_totals (&s, &received, &lost);
  g_assert_cmpuint (received, <=, size / 4);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  switch (data[0] % 3) {
  case 0:
    fuzz_parse (data + 1, size - 1);
    break;
  case 1:
    fuzz_twcc (data + 1, size - 1);
    break;
  default:
    fuzz_stats (data + 1, size - 1);
    break;
  }
  return 0;
}
