/* test_lean_rtcp.c — the lean engine's RTCP (media/lean_rtcp.c) on its own,
 * no network.
 *
 * What we write is read back by GStreamer's GstRTCPBuffer, an independent
 * parser that also checks RFC 3550's compound rules; what we parse is built
 * by GstRTCPBuffer, an independent builder. Broken input (every truncation
 * of a real compound, bad lengths, random bytes) must make the parser say
 * FALSE without reading past the buffer: each case gets a heap copy of
 * exactly its length, so an ASan build (meson setup -Db_sanitize=address)
 * catches any overread. */
#include "tests/unit/lean-rtcp-assert.h"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct {
  LeanRtcpEvent ev[64];
  guint n;
} Events;

static void
collect_event (const LeanRtcpEvent *event, gpointer user_data)
{
  Events *e = user_data;
  g_assert_cmpuint (e->n, <, G_N_ELEMENTS (e->ev));
  e->ev[e->n++] = *event;
}

/* Parses a heap copy of exactly `len` bytes (ASan sees any overread). */
static gboolean
parse_exact (const guint8 *data, gsize len, Events *events)
{
  guint8 *copy = g_malloc (MAX (len, 1));
  if (len > 0)
    memcpy (copy, data, len);
  memset (events, 0, sizeof *events);
  gboolean ok = lean_rtcp_parse (copy, len, collect_event, events);
  g_free (copy);
  return ok;
}

/* A GstRTCPBuffer over a copy of our bytes, mapped for reading. */
static GstBuffer *
gst_read (const guint8 *data, gsize len, GstRTCPBuffer *rtcp)
{
  GstBuffer *buf = gst_rtcp_buffer_new_copy_data (data, (guint) len);
  g_assert_true (gst_rtcp_buffer_map (buf, GST_MAP_READ, rtcp));
  return buf;
}

static void
gst_done (GstBuffer *buf, GstRTCPBuffer *rtcp)
{
  gst_rtcp_buffer_unmap (rtcp);
  gst_buffer_unref (buf);
}

/* The bytes of a GstRTCPBuffer built by a test; g_free. */
static guint8 *
gst_bytes (GstBuffer *buf, gsize *len)
{
  GstMapInfo map;
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  guint8 *out = g_memdup2 (map.data, map.size);
  *len = map.size;
  gst_buffer_unmap (buf, &map);
  return out;
}

static void
assert_same_block (const LeanReportBlock *got, const LeanReportBlock *want)
{
  g_assert_cmphex (got->ssrc, ==, want->ssrc);
  g_assert_cmpuint (got->fraction_lost, ==, want->fraction_lost);
  g_assert_cmpint (got->packets_lost, ==, want->packets_lost);
  g_assert_cmphex (got->ext_highest_seq, ==, want->ext_highest_seq);
  g_assert_cmpuint (got->jitter, ==, want->jitter);
  g_assert_cmphex (got->lsr, ==, want->lsr);
  g_assert_cmphex (got->dlsr, ==, want->dlsr);
}

static void
assert_sdes_cname (GstRTCPPacket *packet, guint32 ssrc, const char *cname)
{
  g_assert_cmpint (gst_rtcp_packet_get_type (packet), ==, GST_RTCP_TYPE_SDES);
  g_assert_cmpuint (gst_rtcp_packet_sdes_get_item_count (packet), ==, 1);
  g_assert_true (gst_rtcp_packet_sdes_first_item (packet));
  g_assert_cmphex (gst_rtcp_packet_sdes_get_ssrc (packet), ==, ssrc);
  g_assert_true (gst_rtcp_packet_sdes_first_entry (packet));
  GstRTCPSDESType type;
  guint8 len;
  guint8 *data;
  g_assert_true (gst_rtcp_packet_sdes_get_entry (packet, &type, &len, &data));
  g_assert_cmpint (type, ==, GST_RTCP_SDES_CNAME);
  g_assert_cmpuint (len, ==, strlen (cname));
  g_assert_cmpmem (data, len, cname, strlen (cname));
  g_assert_false (gst_rtcp_packet_sdes_next_entry (packet)); /* then END */
}

/* ---- the writer, read by GStreamer ---- */

static const LeanReportBlock block_a = {
  .ssrc = 0x0a0b0c0d,
  .fraction_lost = 64,
  .packets_lost = 1234,
  .ext_highest_seq = 0x0001ffff,
  .jitter = 321,
  .lsr = 0x12345678,
  .dlsr = 0x00018000,
};
static const LeanReportBlock block_b = {
  .ssrc = 0xfedcba98,
  .fraction_lost = 0,
  .packets_lost = -3, /* duplicates: negative, 24-bit two's complement */
  .ext_highest_seq = 7,
  .jitter = 0,
  .lsr = 0,
  .dlsr = 0,
};

static void
test_sr_sdes (void)
{
  guint8 buf[256];
  LeanRtcpWriter w;
  LeanReportBlock blocks[] = { block_a, block_b };
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_sr (&w, 0x11223344, G_GUINT64_CONSTANT (0xe1e2e3e4a1a2a3a4), 0x90000001, 4242,
                    999999, blocks, 2);
  lean_rtcp_add_sdes_cname (&w, 0x11223344, "lean-relay"); /* 10: 4+2+10+1 → 20 */
  gsize len = lean_rtcp_writer_finish (&w);
  /* SR: 4 + 4 + 20 + 2 × 24 = 76; SDES: 4 + 20 = 24. */
  g_assert_cmpuint (len, ==, 100);
  g_assert_true (gst_rtcp_buffer_validate_data (buf, (guint) len));

  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstBuffer *gbuf = gst_read (buf, len, &rtcp);
  GstRTCPPacket packet;
  g_assert_cmpuint (gst_rtcp_buffer_get_packet_count (&rtcp), ==, 2);
  g_assert_true (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
  g_assert_cmpint (gst_rtcp_packet_get_type (&packet), ==, GST_RTCP_TYPE_SR);
  guint32 ssrc, rtptime, packets, octets;
  guint64 ntp;
  gst_rtcp_packet_sr_get_sender_info (&packet, &ssrc, &ntp, &rtptime, &packets, &octets);
  g_assert_cmphex (ssrc, ==, 0x11223344);
  g_assert_cmphex (ntp, ==, G_GUINT64_CONSTANT (0xe1e2e3e4a1a2a3a4));
  g_assert_cmphex (rtptime, ==, 0x90000001);
  g_assert_cmpuint (packets, ==, 4242);
  g_assert_cmpuint (octets, ==, 999999);
  g_assert_cmpuint (gst_rtcp_packet_get_rb_count (&packet), ==, 2);
  lean_assert_block (&packet, 0, &block_a);
  lean_assert_block (&packet, 1, &block_b);
  g_assert_true (gst_rtcp_packet_move_to_next (&packet));
  assert_sdes_cname (&packet, 0x11223344, "lean-relay");
  g_assert_false (gst_rtcp_packet_move_to_next (&packet));
  gst_done (gbuf, &rtcp);
}

static void
test_rr_sdes (void)
{
  /* Every CNAME length modulo 4, so that the END item's padding is right in
   * each case (GStreamer's validation checks the chunk lengths). */
  const char *cnames[] = { "ab", "abc", "abcd", "abcde", "{5f0c6f7e-lean}" };
  for (guint c = 0; c < G_N_ELEMENTS (cnames); c++) {
    guint8 buf[128];
    LeanRtcpWriter w;
    lean_rtcp_writer_init (&w, buf, sizeof buf);
    lean_rtcp_add_rr (&w, 0x55667788, &block_a, 1);
    lean_rtcp_add_sdes_cname (&w, 0x55667788, cnames[c]);
    gsize len = lean_rtcp_writer_finish (&w);
    gsize chunk = (4 + 2 + strlen (cnames[c]) + 1 + 3) / 4 * 4;
    g_assert_cmpuint (len, ==, 8 + 24 + 4 + chunk);
    g_assert_true (gst_rtcp_buffer_validate_data (buf, (guint) len));

    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    GstBuffer *gbuf = gst_read (buf, len, &rtcp);
    GstRTCPPacket packet;
    g_assert_true (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
    g_assert_cmpint (gst_rtcp_packet_get_type (&packet), ==, GST_RTCP_TYPE_RR);
    g_assert_cmphex (gst_rtcp_packet_rr_get_ssrc (&packet), ==, 0x55667788);
    g_assert_cmpuint (gst_rtcp_packet_get_rb_count (&packet), ==, 1);
    lean_assert_block (&packet, 0, &block_a);
    g_assert_true (gst_rtcp_packet_move_to_next (&packet));
    assert_sdes_cname (&packet, 0x55667788, cnames[c]);
    gst_done (gbuf, &rtcp);
  }
}

/* A one-letter CNAME fills its chunk exactly (SSRC, type, length, letter,
 * END): GStreamer 1.22's entry reader stops one word short of the packet's
 * end there, so the bytes are checked as such. */
static void
test_sdes_short (void)
{
  guint8 buf[32];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, 0x01020304, NULL, 0);
  lean_rtcp_add_sdes_cname (&w, 0x01020304, "a");
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 20);
  const guint8 want[] = { 0x81, 202, 0, 2, 1, 2, 3, 4, 1, 1, 'a', 0 };
  g_assert_cmpmem (buf + 8, 12, want, sizeof want);
  g_assert_true (gst_rtcp_buffer_validate_data (buf, 20));
  /* No CNAME, or one longer than the 8-bit length: nothing written. */
  char long_name[300];
  memset (long_name, 'x', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_sdes_cname (&w, 1, long_name);
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 0);
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_sdes_cname (&w, 1, "");
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 0);
}

/* An RR with no blocks, then `fb` (a feedback packet): a valid compound. */
static GstBuffer *
read_feedback (guint8 *buf, gsize len, GstRTCPBuffer *rtcp, GstRTCPPacket *packet, GstRTCPType type,
               guint fmt)
{
  g_assert_true (gst_rtcp_buffer_validate_data (buf, (guint) len));
  GstBuffer *gbuf = gst_read (buf, len, rtcp);
  g_assert_true (gst_rtcp_buffer_get_first_packet (rtcp, packet));
  g_assert_cmpint (gst_rtcp_packet_get_type (packet), ==, GST_RTCP_TYPE_RR);
  g_assert_true (gst_rtcp_packet_move_to_next (packet));
  g_assert_cmpint (gst_rtcp_packet_get_type (packet), ==, type);
  g_assert_cmpint (gst_rtcp_packet_fb_get_type (packet), ==, fmt);
  return gbuf;
}

static void
test_pli_fir (void)
{
  guint8 buf[128];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, 1, NULL, 0);
  lean_rtcp_add_pli (&w, 0xaaaa0001, 0xbbbb0002);
  gsize len = lean_rtcp_writer_finish (&w);
  g_assert_cmpuint (len, ==, 8 + 12);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *gbuf = read_feedback (buf, len, &rtcp, &packet, GST_RTCP_TYPE_PSFB,
                                   GST_RTCP_PSFB_TYPE_PLI);
  g_assert_cmphex (gst_rtcp_packet_fb_get_sender_ssrc (&packet), ==, 0xaaaa0001);
  g_assert_cmphex (gst_rtcp_packet_fb_get_media_ssrc (&packet), ==, 0xbbbb0002);
  g_assert_cmpuint (gst_rtcp_packet_fb_get_fci_length (&packet), ==, 0);
  gst_done (gbuf, &rtcp);

  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, 1, NULL, 0);
  lean_rtcp_add_fir (&w, 0xaaaa0001, 0xbbbb0002, 77);
  len = lean_rtcp_writer_finish (&w);
  g_assert_cmpuint (len, ==, 8 + 20);
  gbuf = read_feedback (buf, len, &rtcp, &packet, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_FIR);
  g_assert_cmphex (gst_rtcp_packet_fb_get_sender_ssrc (&packet), ==, 0xaaaa0001);
  /* RFC 5104 §4.3.1.2: the header's media SSRC is 0, the FCI names it. */
  g_assert_cmphex (gst_rtcp_packet_fb_get_media_ssrc (&packet), ==, 0);
  g_assert_cmpuint (gst_rtcp_packet_fb_get_fci_length (&packet), ==, 2);
  guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
  g_assert_cmphex (GST_READ_UINT32_BE (fci), ==, 0xbbbb0002);
  g_assert_cmpuint (fci[4], ==, 77);
  g_assert_cmpuint (fci[5] | fci[6] | fci[7], ==, 0);
  gst_done (gbuf, &rtcp);
}

typedef struct {
  guint16 pid, blp;
} Pair;

/* Writes a NACK of `seqs` and checks GStreamer reads exactly `want`. */
static void
check_nack (const guint16 *seqs, guint n_seqs, const Pair *want, guint n_want)
{
  guint8 buf[256];
  LeanRtcpWriter w;
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, 1, NULL, 0);
  lean_rtcp_add_nack (&w, 0xcafe0001, 0xbeef0002, seqs, n_seqs);
  gsize len = lean_rtcp_writer_finish (&w);
  g_assert_cmpuint (len, ==, 8 + 12 + 4 * n_want);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *gbuf = read_feedback (buf, len, &rtcp, &packet, GST_RTCP_TYPE_RTPFB,
                                   GST_RTCP_RTPFB_TYPE_NACK);
  g_assert_cmphex (gst_rtcp_packet_fb_get_sender_ssrc (&packet), ==, 0xcafe0001);
  g_assert_cmphex (gst_rtcp_packet_fb_get_media_ssrc (&packet), ==, 0xbeef0002);
  g_assert_cmpuint (gst_rtcp_packet_fb_get_fci_length (&packet), ==, n_want);
  guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
  for (guint i = 0; i < n_want; i++) {
    g_assert_cmpuint (GST_READ_UINT16_BE (fci + 4 * i), ==, want[i].pid);
    g_assert_cmphex (GST_READ_UINT16_BE (fci + 4 * i + 2), ==, want[i].blp);
  }
  gst_done (gbuf, &rtcp);
}

static void
test_nack_packing (void)
{
  /* 101 is 100 + 1: BLP bit 0. 117 is 100 + 17, past BLP's 16 bits
   * (100 + 1 .. 100 + 16), so it starts a second pair, and 118 is its bit 0. */
  const guint16 a[] = { 100, 101, 117, 118 };
  const Pair a_want[] = { { 100, 0x0001 }, { 117, 0x0001 } };
  check_nack (a, G_N_ELEMENTS (a), a_want, G_N_ELEMENTS (a_want));

  /* Any order, duplicates: the same two pairs. */
  const guint16 b[] = { 118, 100, 117, 101, 100, 118 };
  check_nack (b, G_N_ELEMENTS (b), a_want, G_N_ELEMENTS (a_want));

  /* 100 + 16 is the last bit (15) of 100's BLP. */
  const guint16 c[] = { 116, 100, 102 };
  const Pair c_want[] = { { 100, 0x8002 } };
  check_nack (c, G_N_ELEMENTS (c), c_want, G_N_ELEMENTS (c_want));

  /* Across the wrap: 65534 first, then 65535 (bit 0), 0 (bit 1), 1 (bit 2). */
  const guint16 d[] = { 1, 65535, 0, 65534 };
  const Pair d_want[] = { { 65534, 0x0007 } };
  check_nack (d, G_N_ELEMENTS (d), d_want, G_N_ELEMENTS (d_want));

  /* 0..16: one full pair (1..16 are bits 0..15), then 40 alone. */
  guint16 e[18];
  for (guint i = 0; i <= 16; i++)
    e[i] = (guint16) i;
  e[17] = 40;
  const Pair e_want[] = { { 0, 0xffff }, { 40, 0 } };
  check_nack (e, G_N_ELEMENTS (e), e_want, G_N_ELEMENTS (e_want));
  /* The widest empty stretch is 41..65534, so 65535 comes first, with 0
   * as its bit 0; 16 is 65535 + 17, a pair of its own; then 40. */
  const guint16 f[] = { 40, 0, 65535, 16 };
  const Pair f_want[] = { { 65535, 0x0001 }, { 16, 0 }, { 40, 0 } };
  check_nack (f, G_N_ELEMENTS (f), f_want, G_N_ELEMENTS (f_want));
  /* Far apart: the widest stretch is 6..39999, so 40000 (with 40001 as
   * bit 0) comes first, then round the top to 5. */
  const guint16 g[] = { 5, 40001, 40000 };
  const Pair g_want[] = { { 40000, 0x0001 }, { 5, 0 } };
  check_nack (g, G_N_ELEMENTS (g), g_want, G_N_ELEMENTS (g_want));
}

static void
test_writer_overflow (void)
{
  guint8 buf[64];
  LeanRtcpWriter w;
  /* An RR with one block (32) and SDES "abc" (4 + 12 = 16) need 48. */
  lean_rtcp_writer_init (&w, buf, 48);
  lean_rtcp_add_rr (&w, 1, &block_a, 1);
  lean_rtcp_add_sdes_cname (&w, 1, "abc");
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 48);
  lean_rtcp_writer_init (&w, buf, 47);
  lean_rtcp_add_rr (&w, 1, &block_a, 1);
  lean_rtcp_add_sdes_cname (&w, 1, "abc");
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 0);
  /* What comes after a failure does not make it good again. */
  lean_rtcp_writer_init (&w, buf, 40);
  lean_rtcp_add_sr (&w, 1, 0, 0, 0, 0, &block_a, 1); /* 52: no room */
  lean_rtcp_add_pli (&w, 1, 2);                      /* 12 would fit */
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 0);
  /* A NACK whose pairs do not all fit. */
  guint16 seqs[10];
  for (guint i = 0; i < 10; i++)
    seqs[i] = (guint16) (i * 100);
  lean_rtcp_writer_init (&w, buf, 8 + 12 + 4 * 9);
  lean_rtcp_add_rr (&w, 1, NULL, 0);
  lean_rtcp_add_nack (&w, 1, 2, seqs, 10);
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 0);
  lean_rtcp_writer_init (&w, buf, 8 + 12 + 4 * 10);
  lean_rtcp_add_rr (&w, 1, NULL, 0);
  lean_rtcp_add_nack (&w, 1, 2, seqs, 10);
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 8 + 12 + 40);
  /* More blocks than the 5-bit count holds. */
  LeanReportBlock many[32] = { { 0 } };
  guint8 big[1024];
  lean_rtcp_writer_init (&w, big, sizeof big);
  lean_rtcp_add_rr (&w, 1, many, 32);
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 0);
  /* Raw packets are whole words; a TWCC-sized one appends as is. */
  guint8 raw[8] = { 0x8f, 205, 0, 1, 1, 2, 3, 4 };
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_rr (&w, 1, NULL, 0);
  lean_rtcp_add_raw (&w, raw, sizeof raw);
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 16);
  g_assert_cmpmem (buf + 8, 8, raw, 8);
  lean_rtcp_add_raw (&w, raw, 6);
  g_assert_cmpuint (lean_rtcp_writer_finish (&w), ==, 0);
}

static void
test_ntp (void)
{
  /* 1970-01-01 is 2208988800 s after 1900-01-01 (RFC 868). */
  g_assert_cmphex (lean_ntp_from_real_us (0), ==, G_GUINT64_CONSTANT (2208988800) << 32);
  /* Half a second is half of 2^32 in the fraction. */
  g_assert_cmphex (lean_ntp_from_real_us (1500000), ==,
                   (G_GUINT64_CONSTANT (2208988801) << 32) | 0x80000000u);
  /* 2036-02-07T06:28:16Z: NTP era 1 begins, the seconds wrap to 0. */
  g_assert_cmphex (lean_ntp_from_real_us (G_GINT64_CONSTANT (2085978496) * G_USEC_PER_SEC), ==, 0);
  /* 250 ms: 0x40000000 of a second. */
  guint64 ntp = lean_ntp_from_real_us (G_GINT64_CONSTANT (1000000000) * G_USEC_PER_SEC + 250000);
  g_assert_cmphex (ntp & 0xffffffffu, ==, 0x40000000u);
  g_assert_cmphex (ntp >> 32, ==, 1000000000u + 2208988800u);
  g_assert_cmphex (lean_ntp_middle (G_GUINT64_CONSTANT (0x1122334455667788)), ==, 0x33445566);
}

/* ---- the parser, on GStreamer's packets ---- */

/* A browser-like compound: SR with a block, SDES, then every feedback the
 * relay handles, an APP packet it ignores, and a BYE. */
static guint8 *
build_compound (gsize *len)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket p;
  g_assert_true (gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp));

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &p));
  gst_rtcp_packet_sr_set_sender_info (&p, 0x1000aaaa, G_GUINT64_CONSTANT (0xdeadbeef01020304),
                                      0x55aa55aa, 1000, 200000);
  g_assert_true (
    gst_rtcp_packet_add_rb (&p, 0x2000bbbb, 25, -2, 0x00030010, 90, 0x11112222, 0x00004000));
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SDES, &p));
  g_assert_true (gst_rtcp_packet_sdes_add_item (&p, 0x1000aaaa));
  g_assert_true (gst_rtcp_packet_sdes_add_entry (&p, GST_RTCP_SDES_CNAME, 5, (guint8 *) "chrom"));

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &p));
  gst_rtcp_packet_rr_set_ssrc (&p, 0x3000cccc);
  g_assert_true (gst_rtcp_packet_add_rb (&p, 0x4000dddd, 0, 8388607, 5, 6, 0, 0));
  g_assert_true (gst_rtcp_packet_add_rb (&p, 0x4000eeee, 255, -8388608, 7, 8, 9, 10));

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB, &p));
  gst_rtcp_packet_fb_set_type (&p, GST_RTCP_PSFB_TYPE_PLI);
  gst_rtcp_packet_fb_set_sender_ssrc (&p, 0x3000cccc);
  gst_rtcp_packet_fb_set_media_ssrc (&p, 0x1000aaaa);

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB, &p));
  gst_rtcp_packet_fb_set_type (&p, GST_RTCP_PSFB_TYPE_FIR);
  gst_rtcp_packet_fb_set_sender_ssrc (&p, 0x3000cccc);
  gst_rtcp_packet_fb_set_media_ssrc (&p, 0);
  g_assert_true (gst_rtcp_packet_fb_set_fci_length (&p, 4));
  guint8 *fci = gst_rtcp_packet_fb_get_fci (&p);
  GST_WRITE_UINT32_BE (fci, 0x1000aaaa);
  fci[4] = 3;
  GST_WRITE_UINT32_BE (fci + 8, 0x5000ffff);
  fci[12] = 250;

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB, &p));
  gst_rtcp_packet_fb_set_type (&p, GST_RTCP_RTPFB_TYPE_NACK);
  gst_rtcp_packet_fb_set_sender_ssrc (&p, 0x3000cccc);
  gst_rtcp_packet_fb_set_media_ssrc (&p, 0x1000aaaa);
  g_assert_true (gst_rtcp_packet_fb_set_fci_length (&p, 2));
  fci = gst_rtcp_packet_fb_get_fci (&p);
  GST_WRITE_UINT16_BE (fci, 65530);
  GST_WRITE_UINT16_BE (fci + 2, 0x8001);
  GST_WRITE_UINT16_BE (fci + 4, 12);
  GST_WRITE_UINT16_BE (fci + 6, 0);

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB, &p));
  gst_rtcp_packet_fb_set_type (&p, GST_RTCP_RTPFB_TYPE_TWCC);
  gst_rtcp_packet_fb_set_sender_ssrc (&p, 0x3000cccc);
  gst_rtcp_packet_fb_set_media_ssrc (&p, 0x1000aaaa);
  g_assert_true (gst_rtcp_packet_fb_set_fci_length (&p, 2));
  memset (gst_rtcp_packet_fb_get_fci (&p), 0x77, 8);

  /* REMB: 1 500 000 bps = 187500 << 3, for one SSRC. */
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB, &p));
  gst_rtcp_packet_fb_set_type (&p, GST_RTCP_PSFB_TYPE_AFB);
  gst_rtcp_packet_fb_set_sender_ssrc (&p, 0x3000cccc);
  gst_rtcp_packet_fb_set_media_ssrc (&p, 0);
  g_assert_true (gst_rtcp_packet_fb_set_fci_length (&p, 3));
  fci = gst_rtcp_packet_fb_get_fci (&p);
  memcpy (fci, "REMB", 4);
  fci[4] = 1;
  guint32 mantissa = 187500;
  fci[5] = (guint8) (3 << 2 | mantissa >> 16);
  GST_WRITE_UINT16_BE (fci + 6, mantissa & 0xffff);
  GST_WRITE_UINT32_BE (fci + 8, 0x1000aaaa);

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_APP, &p));
  gst_rtcp_packet_app_set_ssrc (&p, 0x3000cccc);
  gst_rtcp_packet_app_set_name (&p, "TEST");

  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_BYE, &p));
  g_assert_true (gst_rtcp_packet_bye_add_ssrc (&p, 0x1000aaaa));
  g_assert_true (gst_rtcp_packet_bye_add_ssrc (&p, 0x3000cccc));
  gst_rtcp_buffer_unmap (&rtcp);

  guint8 *out = gst_bytes (buf, len);
  gst_buffer_unref (buf);
  g_assert_true (gst_rtcp_buffer_validate_data (out, (guint) *len));
  return out;
}

static void
test_parse_compound (void)
{
  gsize len;
  g_autofree guint8 *data = build_compound (&len);
  Events e;
  g_assert_true (parse_exact (data, len, &e));
  LeanRtcpEvent *ev = e.ev;
  guint i = 0;

  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_SR);
  g_assert_cmphex (ev[i].sender_ssrc, ==, 0x1000aaaa);
  g_assert_cmphex (ev[i].ntp, ==, G_GUINT64_CONSTANT (0xdeadbeef01020304));
  g_assert_cmphex (ev[i].rtp_ts, ==, 0x55aa55aa);
  g_assert_cmpuint (ev[i].packets, ==, 1000);
  g_assert_cmpuint (ev[i].octets, ==, 200000);
  i++;
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_BLOCK);
  g_assert_cmphex (ev[i].sender_ssrc, ==, 0x1000aaaa);
  const LeanReportBlock sr_block = { 0x2000bbbb, 25, -2, 0x00030010, 90, 0x11112222, 0x00004000 };
  assert_same_block (&ev[i].block, &sr_block);
  i++;
  /* SDES: nothing. The RR's two blocks, at the 24-bit extremes. */
  const LeanReportBlock rr_blocks[] = {
    { 0x4000dddd, 0, 8388607, 5, 6, 0, 0 },
    { 0x4000eeee, 255, -8388608, 7, 8, 9, 10 },
  };
  for (guint b = 0; b < 2; b++, i++) {
    g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_BLOCK);
    g_assert_cmphex (ev[i].sender_ssrc, ==, 0x3000cccc);
    assert_same_block (&ev[i].block, &rr_blocks[b]);
  }
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_PLI);
  g_assert_cmphex (ev[i].sender_ssrc, ==, 0x3000cccc);
  g_assert_cmphex (ev[i].media_ssrc, ==, 0x1000aaaa);
  i++;
  /* FIR: one event per entry, the SSRC from the entry. */
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_FIR);
  g_assert_cmphex (ev[i].media_ssrc, ==, 0x1000aaaa);
  g_assert_cmpuint (ev[i].fir_seq, ==, 3);
  i++;
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_FIR);
  g_assert_cmphex (ev[i].sender_ssrc, ==, 0x3000cccc);
  g_assert_cmphex (ev[i].media_ssrc, ==, 0x5000ffff);
  g_assert_cmpuint (ev[i].fir_seq, ==, 250);
  i++;
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_NACK);
  g_assert_cmphex (ev[i].media_ssrc, ==, 0x1000aaaa);
  g_assert_cmpuint (ev[i].nack_pid, ==, 65530);
  g_assert_cmphex (ev[i].nack_blp, ==, 0x8001);
  i++;
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_NACK);
  g_assert_cmpuint (ev[i].nack_pid, ==, 12);
  g_assert_cmphex (ev[i].nack_blp, ==, 0);
  i++;
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_TWCC);
  g_assert_cmphex (ev[i].sender_ssrc, ==, 0x3000cccc);
  g_assert_cmphex (ev[i].media_ssrc, ==, 0x1000aaaa);
  i++;
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_REMB);
  g_assert_cmpuint (ev[i].remb_bps, ==, 1500000);
  g_assert_cmphex (ev[i].media_ssrc, ==, 0x1000aaaa);
  i++;
  /* APP: nothing. BYE: one per SSRC. */
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_BYE);
  g_assert_cmphex (ev[i].sender_ssrc, ==, 0x1000aaaa);
  i++;
  g_assert_cmpint (ev[i].kind, ==, LEAN_RTCP_BYE);
  g_assert_cmphex (ev[i].sender_ssrc, ==, 0x3000cccc);
  i++;
  g_assert_cmpuint (e.n, ==, i);
}

/* Our writer's output parses back into what was written. */
static void
test_parse_own (void)
{
  guint8 buf[256];
  LeanRtcpWriter w;
  LeanReportBlock blocks[] = { block_a, block_b };
  lean_rtcp_writer_init (&w, buf, sizeof buf);
  lean_rtcp_add_sr (&w, 7, 0x0102030405060708, 9, 10, 11, blocks, 2);
  lean_rtcp_add_sdes_cname (&w, 7, "x");
  const guint16 seqs[] = { 5, 6, 30 };
  lean_rtcp_add_nack (&w, 7, 8, seqs, 3);
  gsize len = lean_rtcp_writer_finish (&w);
  Events e;
  g_assert_true (parse_exact (buf, len, &e));
  g_assert_cmpuint (e.n, ==, 5);
  g_assert_cmpint (e.ev[0].kind, ==, LEAN_RTCP_SR);
  g_assert_cmphex (e.ev[0].ntp, ==, 0x0102030405060708);
  assert_same_block (&e.ev[1].block, &block_a);
  assert_same_block (&e.ev[2].block, &block_b);
  g_assert_cmpuint (e.ev[3].nack_pid, ==, 5);
  g_assert_cmphex (e.ev[3].nack_blp, ==, 1);
  g_assert_cmpuint (e.ev[4].nack_pid, ==, 30);
}

/* Where each packet of a compound ends. */
static gboolean
is_boundary (const guint8 *data, gsize len, gsize at)
{
  for (gsize off = 0; off < len; off += (GST_READ_UINT16_BE (data + off + 2) + 1) * 4)
    if (off == at)
      return TRUE;
  return at == len;
}

static void
test_parse_malformed (void)
{
  gsize len;
  g_autofree guint8 *data = build_compound (&len);
  Events e;
  /* Every truncation: fine only where a packet ends (and not empty). */
  for (gsize cut = 0; cut < len; cut++)
    g_assert_cmpint (parse_exact (data, cut, &e), ==, cut > 0 && is_boundary (data, len, cut));

  /* Broken fields, each in a copy of the compound's first packet or alone. */
  guint8 bad[64];
  memcpy (bad, data, 52); /* the SR with one block: 28 + 24 */
  g_assert_true (parse_exact (bad, 52, &e));
  g_assert_cmpuint (e.n, ==, 2);
  bad[0] = (bad[0] & 0x3f) | 1 << 6; /* version 1 */
  g_assert_false (parse_exact (bad, 52, &e));
  memcpy (bad, data, 52);
  bad[0] = (bad[0] & ~0x1f) | 2; /* two blocks said, one there */
  g_assert_false (parse_exact (bad, 52, &e));
  memcpy (bad, data, 52);
  bad[3] += 1; /* length one word past the end */
  g_assert_false (parse_exact (bad, 52, &e));
  memcpy (bad, data, 52);
  bad[0] |= 0x20; /* padding, count 0 (the last byte of the block's DLSR) */
  g_assert_false (parse_exact (bad, 52, &e));
  bad[51] = 49; /* padding longer than the packet's body (48) */
  g_assert_false (parse_exact (bad, 52, &e));
  bad[51] = 24; /* padding eats the block: SR says 1 block, none left */
  g_assert_false (parse_exact (bad, 52, &e));
  bad[0] &= ~0x1f; /* ... and with no block said, it is fine */
  g_assert_true (parse_exact (bad, 52, &e));
  g_assert_cmpuint (e.n, ==, 1);

  /* Feedback shorter than its two SSRCs. */
  const guint8 short_pli[] = { 0x81, 206, 0, 1, 1, 2, 3, 4 };
  g_assert_false (parse_exact (short_pli, sizeof short_pli, &e));
  /* FIR entries come in 8 bytes. */
  const guint8 odd_fir[] = { 0x84, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
  g_assert_false (parse_exact (odd_fir, sizeof odd_fir, &e));
  /* REMB saying more SSRCs than it carries. */
  const guint8 remb[] = { 0x8f, 206, 0,   5,   0, 0,    0, 1, 0, 0, 0, 0,
                          'R',  'E', 'M', 'B', 2, 0x0c, 0, 1, 0, 0, 0, 9 };
  g_assert_false (parse_exact (remb, sizeof remb, &e));
  /* A BYE listing more SSRCs than it has. */
  const guint8 bye[] = { 0x82, 203, 0, 1, 0, 0, 0, 1 };
  g_assert_false (parse_exact (bye, sizeof bye, &e));
  g_assert_cmpuint (e.n, ==, 0);
  /* An unknown packet type with a sane length is skipped. */
  const guint8 xr_then_pli[] = { 0x80, 207, 0, 1, 0, 0, 0, 1, 0x81, 206,
                                 0,    2,   0, 0, 0, 1, 0, 0, 0,    2 };
  g_assert_true (parse_exact (xr_then_pli, sizeof xr_then_pli, &e));
  g_assert_cmpuint (e.n, ==, 1);
  g_assert_cmpint (e.ev[0].kind, ==, LEAN_RTCP_PLI);
  g_assert_false (lean_rtcp_parse (NULL, 0, collect_event, &e));

  /* Random bytes (version 2 in front, so they reach the packet parsers)
   * and random corruptions of the real compound: no crash, no overread. */
  GRand *rand = g_rand_new_with_seed (16);
  guint8 junk[200];
  for (guint round = 0; round < 20000; round++) {
    gsize n;
    if (round % 2 == 0) {
      n = g_rand_int_range (rand, 0, sizeof junk);
      for (gsize i = 0; i < n; i++)
        junk[i] = (guint8) g_rand_int (rand);
      if (n > 0)
        junk[0] = (junk[0] & 0x3f) | 0x80;
    } else {
      n = MIN (len, sizeof junk);
      memcpy (junk, data, n);
      for (guint k = 0; k < 3; k++)
        junk[g_rand_int_range (rand, 0, (gint32) n)] = (guint8) g_rand_int (rand);
    }
    parse_exact (junk, n, &e);
  }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean-rtcp/write/sr-sdes", test_sr_sdes);
  g_test_add_func ("/lean-rtcp/write/rr-sdes", test_rr_sdes);
  g_test_add_func ("/lean-rtcp/write/sdes-short", test_sdes_short);
  g_test_add_func ("/lean-rtcp/write/pli-fir", test_pli_fir);
  g_test_add_func ("/lean-rtcp/write/nack-packing", test_nack_packing);
  g_test_add_func ("/lean-rtcp/write/overflow", test_writer_overflow);
  g_test_add_func ("/lean-rtcp/ntp", test_ntp);
  g_test_add_func ("/lean-rtcp/parse/compound", test_parse_compound);
  g_test_add_func ("/lean-rtcp/parse/own", test_parse_own);
  g_test_add_func ("/lean-rtcp/parse/malformed", test_parse_malformed);
  return g_test_run ();
}
