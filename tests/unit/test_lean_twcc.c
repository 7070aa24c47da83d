/* test_lean_twcc.c — transport-wide congestion control feedback
 * (media/lean_twcc.c) on its own, no network: hand-worked packets written
 * out byte by byte from draft-holmer-rmcat-transport-wide-cc-extensions-01
 * §3.1, and long random runs (loss, reordering, duplicates, the 16-bit wrap,
 * long silences) read back by a small decoder written here from the draft,
 * checking every status and every arrival time. GStreamer's RTCP parser
 * checks the framing (length, padding) as a second reader. */
#include "media/lean-private.h"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#define SENDER 0x11111111u
#define MEDIA 0x22222222u

/* ---- a decoder, from the draft ---- */

/* Byte by byte: deltas sit at any offset (GStreamer's macros may load a
 * whole word, which UBSan rightly flags when unaligned). */
static guint
be16 (const guint8 *p)
{
  return (guint) p[0] << 8 | p[1];
}

static guint32
be24 (const guint8 *p)
{
  return (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
}

static guint32
be32 (const guint8 *p)
{
  return be24 (p) << 8 | p[3];
}

#define MAX_STATUS 8192

typedef struct {
  guint16 base, count;
  gint32 ref; /* 24-bit signed, 64 ms units */
  guint8 fb_count;
  guint8 status[MAX_STATUS]; /* 0 missing, 1 small, 2 large */
  guint32 ticks[MAX_STATUS]; /* received: arrival, 250 µs ticks (mod 2^32) */
} Fb;

static void
decode (const guint8 *p, gsize len, Fb *fb)
{
  memset (fb, 0, sizeof *fb);
  g_assert_cmpuint (len % 4, ==, 0);
  g_assert_cmpuint (len, >=, 24);
  g_assert_cmpuint (p[0] >> 6, ==, 2);
  g_assert_cmpuint (p[0] & 0x1f, ==, 15); /* FMT */
  g_assert_cmpuint (p[1], ==, 205);       /* RTPFB */
  g_assert_cmpuint ((be16 (p + 2) + 1) * 4, ==, len);
  gsize end = len;
  if (p[0] & 0x20) {
    guint pad = p[len - 1];
    g_assert_cmpuint (pad, >=, 1);
    g_assert_cmpuint (pad, <=, 3); /* only ever to the next word */
    for (guint i = 1; i < pad; i++)
      g_assert_cmpuint (p[len - 1 - i], ==, 0);
    end -= pad;
  }
  g_assert_cmphex (be32 (p + 4), ==, SENDER);
  g_assert_cmphex (be32 (p + 8), ==, MEDIA);
  fb->base = be16 (p + 12);
  fb->count = be16 (p + 14);
  g_assert_cmpuint (fb->count, >=, 1);
  g_assert_cmpuint (fb->count, <=, MAX_STATUS);
  fb->ref = (gint32) (be24 (p + 16) << 8) >> 8;
  fb->fb_count = p[19];

  gsize pos = 20;
  guint n = 0;
  while (n < fb->count) {
    g_assert_cmpuint (pos + 2, <=, end);
    guint16 c = be16 (p + pos);
    pos += 2;
    if (!(c & 0x8000)) { /* run length: T=0, S (2), length (13) */
      guint s = (c >> 13) & 3, run = c & 0x1fff;
      g_assert_cmpuint (s, !=, 3);
      g_assert_cmpuint (run, >=, 1);
      g_assert_cmpuint (run, <=, fb->count - n); /* a run never overshoots */
      for (guint i = 0; i < run; i++)
        fb->status[n++] = (guint8) s;
    } else if (!(c & 0x4000)) { /* 14 one-bit symbols */
      for (guint i = 0; i < 14 && n < fb->count; i++)
        fb->status[n++] = (c >> (13 - i)) & 1;
    } else { /* 7 two-bit symbols */
      for (guint i = 0; i < 7 && n < fb->count; i++) {
        guint s = (c >> (12 - 2 * i)) & 3;
        g_assert_cmpuint (s, !=, 3);
        fb->status[n++] = (guint8) s;
      }
    }
  }
  guint32 t = (guint32) fb->ref * 256u; /* 64 ms = 256 ticks */
  for (guint i = 0; i < fb->count; i++) {
    if (fb->status[i] == 1) {
      g_assert_cmpuint (pos + 1, <=, end);
      t += p[pos++];
    } else if (fb->status[i] == 2) {
      g_assert_cmpuint (pos + 2, <=, end);
      t += (guint32) (gint32) (gint16) be16 (p + pos);
      pos += 2;
    } else {
      continue;
    }
    fb->ticks[i] = t;
  }
  g_assert_cmpuint (pos, ==, end); /* nothing left over but the padding */

  /* GStreamer agrees on the framing. */
  g_assert_true (gst_rtcp_buffer_validate_data_reduced ((guint8 *) p, (guint) len));
  GstBuffer *buf = gst_rtcp_buffer_new_copy_data (p, (guint) len);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  g_assert_true (gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp));
  g_assert_true (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
  g_assert_cmpint (gst_rtcp_packet_get_type (&packet), ==, GST_RTCP_TYPE_RTPFB);
  g_assert_cmpint (gst_rtcp_packet_fb_get_type (&packet), ==, GST_RTCP_RTPFB_TYPE_TWCC);
  g_assert_cmphex (gst_rtcp_packet_fb_get_sender_ssrc (&packet), ==, SENDER);
  g_assert_cmphex (gst_rtcp_packet_fb_get_media_ssrc (&packet), ==, MEDIA);
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_unref (buf);
}

static gsize
build (LeanTwcc *twcc, guint8 *buf, gsize cap)
{
  return lean_twcc_build (twcc, SENDER, MEDIA, buf, cap);
}

/* ---- hand-worked packets ---- */

static void
test_hand_two_bit (void)
{
  /* Arrivals (µs) → 250 µs ticks:
   *   65534 at 1 000 000 → 4000     65535 never
   *   0     at 1 000 500 → 4002     1     at 1 100 000 → 4400
   *   2     at 1 090 000 → 4360 (before 1)   3 at 1 090 250 → 4361
   * Reference time: 4000 ticks = 1000 ms; floor to 64 ms: 15 × 64 = 960 ms
   * = 3840 ticks, field 0x00000f.
   * Deltas in ticks, each from the previous received packet:
   *   65534: 4000 − 3840 = 160 → small, 0xa0
   *   0:     4002 − 4000 = 2   → small, 0x02
   *   1:     4400 − 4002 = 398 → large (> 255), 0x018e
   *   2:     4360 − 4400 = −40 → large (negative), 0xffd8
   *   3:     4361 − 4360 = 1   → small, 0x01
   * Statuses 1 0 1 2 2 1: a large one rules out a 1-bit vector and no run
   * is 7 long, so one 2-bit vector chunk: T=1 S=1, then 01 00 01 10 10 01
   * and one unused 00: 11 01 00 01 10 10 01 00 = 0xd1a4.
   * 20 header bytes + 2 chunk + 7 deltas = 29 → padded to 32: P bit, two
   * zeros and the count 3; length 32 / 4 − 1 = 7. */
  const guint8 want[] = {
    0xaf, 0xcd, 0x00, 0x07, /* V=2 P=1 FMT=15, PT=205, length 7 */
    0x11, 0x11, 0x11, 0x11, /* sender SSRC */
    0x22, 0x22, 0x22, 0x22, /* media SSRC */
    0xff, 0xfe, 0x00, 0x06, /* base 65534, 6 statuses */
    0x00, 0x00, 0x0f, 0x00, /* reference 15 (× 64 ms), feedback 0 */
    0xd1, 0xa4, 0xa0, 0x02, /* the chunk, deltas 160, 2 */
    0x01, 0x8e, 0xff, 0xd8, /* deltas 398, −40 */
    0x01, 0x00, 0x00, 0x03, /* delta 1, padding */
  };
  LeanTwcc *twcc = lean_twcc_new ();
  lean_twcc_record (twcc, 65534, 1000000);
  lean_twcc_record (twcc, 0, 1000500);
  lean_twcc_record (twcc, 2, 1090000);
  lean_twcc_record (twcc, 3, 1090250);
  lean_twcc_record (twcc, 1, 1100000);
  guint8 buf[128];
  gsize len = build (twcc, buf, sizeof buf);
  g_assert_cmpmem (buf, len, want, sizeof want);
  Fb fb;
  decode (buf, len, &fb);
  g_assert_cmpuint (build (twcc, buf, sizeof buf), ==, 0); /* nothing new */
  lean_twcc_free (twcc);
}

static void
test_hand_run_one_bit (void)
{
  /* 100 at 640 000 µs = 10 × 64 ms exactly: reference 10, first delta 0.
   * 101..119 each 1 ms (4 ticks) after the one before. 120 never arrives.
   * 121 at 661 000 µs: 2 ms (8 ticks) after 119 (659 000).
   * Statuses: twenty 1s, then 0, 1.
   *   twenty 1s: a run length chunk, T=0 S=01 length 20 = 0x2014
   *   0 1 (the last two): no large delta, a 1-bit vector: T=1 S=0, then 0
   *   at bit 13 and 1 at bit 12 = 0x9000 (the other 12 slots unused)
   * Deltas: 0, nineteen 4s, 8: 21 bytes. 20 + 4 + 21 = 45 → 48, pad 3,
   * length 11. */
  guint8 want[48] = {
    0xaf, 0xcd, 0x00, 0x0b, 0x11, 0x11, 0x11, 0x11,
    0x22, 0x22, 0x22, 0x22, 0x00, 0x64, 0x00, 0x16, /* base 100, 22 statuses */
    0x00, 0x00, 0x0a, 0x00,                         /* reference 10, feedback 0 */
    0x20, 0x14, 0x90, 0x00,                         /* the two chunks */
    0x00,                                           /* 100's delta; then 101..119, 121 below */
  };
  for (guint i = 0; i < 19; i++)
    want[25 + i] = 0x04;
  want[44] = 0x08;
  want[47] = 0x03;
  LeanTwcc *twcc = lean_twcc_new ();
  for (guint i = 0; i < 20; i++)
    lean_twcc_record (twcc, (guint16) (100 + i), 640000 + (gint64) i * 1000);
  lean_twcc_record (twcc, 121, 661000);
  guint8 buf[128];
  gsize len = build (twcc, buf, sizeof buf);
  g_assert_cmpmem (buf, len, want, sizeof want);
  lean_twcc_free (twcc);
}

static void
test_reference_time (void)
{
  /* The reference time counts 64 ms units in 24 bits: an arrival at
   * (2^24 + 5) × 64 ms + 1 ms has reference 5 and first delta 4 ticks. */
  LeanTwcc *twcc = lean_twcc_new ();
  gint64 t = (G_GINT64_CONSTANT (0x1000000) + 5) * 64000 + 1000;
  lean_twcc_record (twcc, 7, t);
  guint8 buf[64];
  gsize len = build (twcc, buf, sizeof buf);
  g_assert_cmpuint (len, ==, 24);
  g_assert_cmphex (be24 (buf + 16), ==, 5);
  g_assert_cmphex (be16 (buf + 20), ==, 0x2001); /* run of one small */
  g_assert_cmpuint (buf[22], ==, 4);
  /* 64 ms later, the next feedback's reference is one more. */
  lean_twcc_record (twcc, 8, t + 64000);
  len = build (twcc, buf, sizeof buf);
  g_assert_cmphex (be24 (buf + 16), ==, 6);
  g_assert_cmpuint (buf[22], ==, 4);
  /* Across the 24-bit field's top: 0x7fffff, then 0x800000 (negative as a
   * signed field): still one unit apart modulo 2^24. */
  lean_twcc_record (twcc, 9, G_GINT64_CONSTANT (0x7fffff) * 64000 + 250);
  len = build (twcc, buf, sizeof buf);
  Fb fb;
  decode (buf, len, &fb);
  g_assert_cmpint (fb.ref, ==, 0x7fffff);
  g_assert_cmpuint (fb.ticks[0], ==, 0x7fffffu * 256 + 1);
  gint32 before = fb.ref;
  lean_twcc_record (twcc, 10, G_GINT64_CONSTANT (0x800000) * 64000 + 500);
  len = build (twcc, buf, sizeof buf);
  decode (buf, len, &fb);
  g_assert_cmpint (fb.ref, ==, -0x800000);
  g_assert_cmpint ((fb.ref - before) & 0xffffff, ==, 1);
  g_assert_cmpuint (fb.ticks[0], ==, 0x800000u * 256 + 2);
  lean_twcc_free (twcc);
}

static void
test_large_negative_deltas (void)
{
  /* Deltas (ticks) at the edges of each form: 0 and 255 small; 256, −1 and
   * 32767 large; 32768 does not fit 16 bits, so that packet starts the next
   * feedback with its own reference time. */
  LeanTwcc *twcc = lean_twcc_new ();
  const gint32 step[] = { 0, 255, 256, 0, -1, 32767, 32768 };
  gint64 ticks = 256 * 100;
  guint32 want_ticks[G_N_ELEMENTS (step)];
  for (guint i = 0; i < G_N_ELEMENTS (step); i++) {
    ticks += step[i];
    want_ticks[i] = (guint32) ticks;
    lean_twcc_record (twcc, (guint16) (500 + i), ticks * 250);
  }
  guint8 buf[128];
  gsize len = build (twcc, buf, sizeof buf);
  Fb fb;
  decode (buf, len, &fb);
  g_assert_cmpuint (fb.base, ==, 500);
  g_assert_cmpuint (fb.count, ==, 6);
  const guint8 want_status[] = { 1, 1, 2, 1, 2, 2 };
  for (guint i = 0; i < 6; i++) {
    g_assert_cmpuint (fb.status[i], ==, want_status[i]);
    g_assert_cmpuint (fb.ticks[i], ==, want_ticks[i]);
  }
  /* The raw deltas: 00 ff 0100 00 ffff 7fff. */
  const guint8 deltas[] = { 0x00, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff, 0x7f, 0xff };
  g_assert_cmpmem (buf + 22, sizeof deltas, deltas, sizeof deltas);
  len = build (twcc, buf, sizeof buf);
  decode (buf, len, &fb);
  g_assert_cmpuint (fb.base, ==, 506);
  g_assert_cmpuint (fb.count, ==, 1);
  g_assert_cmpuint (fb.ticks[0], ==, want_ticks[6]);
  g_assert_cmpuint (build (twcc, buf, sizeof buf), ==, 0);

  /* The same the other way: a packet 32769 ticks before the previous one. */
  lean_twcc_free (twcc);
  twcc = lean_twcc_new ();
  lean_twcc_record (twcc, 1, 40000 * 250);
  lean_twcc_record (twcc, 2, (40000 - 32768) * 250); /* −32768: fits */
  lean_twcc_record (twcc, 3, (40000 - 32768 - 32769) * 250);
  len = build (twcc, buf, sizeof buf);
  decode (buf, len, &fb);
  g_assert_cmpuint (fb.count, ==, 2);
  g_assert_cmpuint (fb.status[1], ==, 2);
  g_assert_cmpuint (be16 (buf + 23), ==, 0x8000);
  len = build (twcc, buf, sizeof buf);
  decode (buf, len, &fb);
  g_assert_cmpuint (fb.base, ==, 3);
  lean_twcc_free (twcc);
}

static void
test_feedback_count (void)
{
  LeanTwcc *twcc = lean_twcc_new ();
  guint8 buf[64];
  g_assert_cmpuint (build (twcc, buf, sizeof buf), ==, 0); /* nothing yet */
  for (guint i = 0; i < 300; i++) {
    lean_twcc_record (twcc, (guint16) i, 1000000 + (gint64) i * 5000);
    gsize len = build (twcc, buf, sizeof buf);
    g_assert_cmpuint (len, >, 0);
    g_assert_cmpuint (buf[19], ==, i % 256); /* one more per packet, 8-bit */
    g_assert_cmpuint (be16 (buf + 12), ==, i);
    /* Nothing new: no feedback, and the count does not move. */
    g_assert_cmpuint (build (twcc, buf, sizeof buf), ==, 0);
  }
  /* A duplicate is not news. */
  lean_twcc_record (twcc, 299, 9000000);
  g_assert_cmpuint (build (twcc, buf, sizeof buf), ==, 0);
  lean_twcc_free (twcc);
}

static void
test_duplicate_keeps_first (void)
{
  LeanTwcc *twcc = lean_twcc_new ();
  lean_twcc_record (twcc, 40, 1000000);
  lean_twcc_record (twcc, 41, 1001000);
  lean_twcc_record (twcc, 40, 1050000); /* a duplicate, later */
  guint8 buf[64];
  Fb fb;
  decode (buf, build (twcc, buf, sizeof buf), &fb);
  g_assert_cmpuint (fb.count, ==, 2);
  g_assert_cmpuint (fb.ticks[0], ==, 4000);
  g_assert_cmpuint (fb.ticks[1], ==, 4004);
  lean_twcc_free (twcc);
}

static void
test_late_arrival_reported_again (void)
{
  /* 11 is reported missing; when it arrives, the next feedback starts at it
   * again and repeats 12 (libwebrtc's send side takes the overlap). */
  LeanTwcc *twcc = lean_twcc_new ();
  lean_twcc_record (twcc, 10, 1000000);
  lean_twcc_record (twcc, 12, 1002000);
  guint8 buf[64];
  Fb fb;
  decode (buf, build (twcc, buf, sizeof buf), &fb);
  g_assert_cmpuint (fb.base, ==, 10);
  g_assert_cmpuint (fb.count, ==, 3);
  g_assert_cmpuint (fb.status[1], ==, 0);
  lean_twcc_record (twcc, 11, 1003000);
  decode (buf, build (twcc, buf, sizeof buf), &fb);
  g_assert_cmpuint (fb.base, ==, 11);
  g_assert_cmpuint (fb.count, ==, 2);
  g_assert_cmpuint (fb.ticks[0], ==, 4012);
  g_assert_cmpuint (fb.ticks[1], ==, 4008); /* 12 again, as before */
  g_assert_cmpuint (build (twcc, buf, sizeof buf), ==, 0);
  /* A packet older than the ring (4096) is too late to say anything. */
  for (guint i = 13; i < 13 + 5000; i++)
    lean_twcc_record (twcc, (guint16) i, 2000000 + i);
  while (build (twcc, buf, sizeof buf) > 0)
    ;
  lean_twcc_record (twcc, 11, 9000000);
  g_assert_cmpuint (build (twcc, buf, sizeof buf), ==, 0);
  lean_twcc_free (twcc);
}

static void
test_ring_overrun (void)
{
  /* Far more than the ring holds without a feedback in between: the
   * feedback starts at the oldest packet still held (5000 − 4095). */
  LeanTwcc *twcc = lean_twcc_new ();
  for (guint i = 0; i <= 5000; i += 2)
    lean_twcc_record (twcc, (guint16) i, 1000000 + (gint64) i * 1000);
  guint8 buf[1200];
  Fb fb;
  gsize len = build (twcc, buf, sizeof buf);
  decode (buf, len, &fb);
  g_assert_cmpuint (fb.base, ==, 5000 - 4095);
  lean_twcc_free (twcc);
}

/* ---- the size cap and the random round trip ---- */

typedef struct {
  guint16 first_seq;
  guint n;
  gboolean *recorded; /* [idx]: recorded by now */
  guint32 *ticks;     /* [idx]: its (first) arrival, 250 µs ticks */
  gboolean *reported; /* [idx]: reported received at least once */
  gboolean *missed;   /* [idx]: reported missing at least once */
  guint max_idx;      /* the highest index recorded */
  guint first_idx;    /* the first one recorded (in time) */
  gboolean any;
  guint feedbacks;
  guint8 expect_count;
} Model;

static void
model_init (Model *m, guint16 first_seq, guint n)
{
  memset (m, 0, sizeof *m);
  m->first_seq = first_seq;
  m->n = n;
  m->recorded = g_new0 (gboolean, n);
  m->ticks = g_new0 (guint32, n);
  m->reported = g_new0 (gboolean, n);
  m->missed = g_new0 (gboolean, n);
}

static void
model_clear (Model *m)
{
  g_free (m->recorded);
  g_free (m->ticks);
  g_free (m->reported);
  g_free (m->missed);
}

static void
model_record (Model *m, LeanTwcc *twcc, guint idx, gint64 arrival_us)
{
  lean_twcc_record (twcc, (guint16) (m->first_seq + idx), arrival_us);
  if (!m->recorded[idx]) {
    m->recorded[idx] = TRUE;
    m->ticks[idx] = (guint32) (arrival_us / 250);
  }
  m->max_idx = MAX (m->max_idx, idx);
  if (!m->any)
    m->first_idx = idx;
  m->any = TRUE;
}

/* Builds and checks feedback until there is none; each one at most `cap`. */
static void
model_drain (Model *m, LeanTwcc *twcc, gsize cap)
{
  guint8 buf[2048];
  static Fb fb;
  gsize len;
  while ((len = build (twcc, buf, cap)) > 0) {
    g_assert_cmpuint (len, <=, cap);
    decode (buf, len, &fb);
    g_assert_cmpuint (fb.fb_count, ==, m->expect_count);
    m->expect_count++;
    m->feedbacks++;
    /* The base as an index: near the highest recorded one. */
    guint16 top = (guint16) (m->first_seq + m->max_idx);
    gint64 base = (gint64) m->max_idx - (guint16) (top - fb.base);
    g_assert_cmpint (base, >=, 0);
    g_assert_cmpint (base + fb.count - 1, <=, m->max_idx);
    for (guint i = 0; i < fb.count; i++) {
      guint idx = (guint) base + i;
      if (fb.status[i] == 0) {
        g_assert_false (m->recorded[idx]);
        m->missed[idx] = TRUE;
      } else {
        g_assert_true (m->recorded[idx]);
        g_assert_cmpuint (fb.ticks[i], ==, m->ticks[idx]);
        m->reported[idx] = TRUE;
      }
    }
  }
}

/* Every packet recorded was reported received; every one never recorded
 * was reported missing, from the first recorded on (before it, there is no
 * telling a loss from a packet never sent). */
static void
model_check_complete (const Model *m)
{
  for (guint idx = 0; idx <= m->max_idx; idx++) {
    if (m->recorded[idx])
      g_assert_true (m->reported[idx]);
    else if (idx > m->first_idx)
      g_assert_true (m->missed[idx]);
  }
}

static void
test_cap (void)
{
  /* A pattern that needs many chunks and some 2-byte deltas. */
  /* Every cap, not only whole words: the padded length must fit too. */
  for (gsize cap = 24; cap <= 80; cap++) {
    LeanTwcc *twcc = lean_twcc_new ();
    Model m;
    model_init (&m, 65000, 400);
    gint64 t = 5000000;
    for (guint idx = 0; idx < 400; idx++) {
      t += idx % 5 == 0 ? 70000 : 1000; /* 70 ms: a large delta */
      if (idx % 3 != 1)
        model_record (&m, twcc, idx, t);
    }
    model_drain (&m, twcc, cap);
    model_check_complete (&m);
    g_assert_cmpuint (m.feedbacks, >=, 5); /* it did split */
    model_clear (&m);
    lean_twcc_free (twcc);
  }
  /* Below the smallest feedback (20 + chunk + delta, padded: 24): none,
   * and what is pending stays for a later call. */
  LeanTwcc *twcc = lean_twcc_new ();
  lean_twcc_record (twcc, 1, 1000);
  guint8 buf[64];
  g_assert_cmpuint (build (twcc, buf, 23), ==, 0);
  g_assert_cmpuint (build (twcc, buf, 24), ==, 24);
  /* A leading run of losses with its first received packet not fitting:
   * no feedback of losses alone (it would carry no reference time). */
  lean_twcc_record (twcc, 20, 2000); /* 2..19 missing: a run chunk, then 20 */
  g_assert_cmpuint (build (twcc, buf, 24), ==, 0);
  g_assert_cmpuint (build (twcc, buf, 28), ==, 28);
  lean_twcc_free (twcc);
}

static void
test_random_round_trip (void)
{
  GRand *rand = g_rand_new_with_seed (1616);
  for (guint round = 0; round < 20; round++) {
    const guint n = 6000;
    LeanTwcc *twcc = lean_twcc_new ();
    Model m;
    /* Starts near the top so that the 16-bit wrap comes early. */
    model_init (&m, (guint16) g_rand_int_range (rand, 60000, 65536), n);
    gint64 t = g_rand_int_range (rand, 0, 1 << 30) * G_GINT64_CONSTANT (1000);
    guint held = G_MAXUINT; /* a packet kept back, to arrive late */
    guint held_until = 0;
    for (guint idx = 0; idx < n; idx++) {
      /* Arrival spacing: mostly 0..3 ms, sometimes 100 ms, rarely 9 s
       * (more than 16 bits of delta). */
      gint r = g_rand_int_range (rand, 0, 1000);
      t += r < 5 ? 9000000 : r < 30 ? 100000 : g_rand_int_range (rand, 0, 3000);
      if (g_rand_int_range (rand, 0, 100) < 8)
        continue; /* lost */
      if (held == G_MAXUINT && g_rand_int_range (rand, 0, 100) < 4) {
        held = idx; /* late by 1..60 packets */
        held_until = idx + (guint) g_rand_int_range (rand, 1, 60);
        continue;
      }
      model_record (&m, twcc, idx, t);
      if (g_rand_int_range (rand, 0, 100) < 2)
        model_record (&m, twcc, idx, t + 500); /* duplicate */
      if (held != G_MAXUINT && idx >= held_until) {
        model_record (&m, twcc, held, t + 100);
        held = G_MAXUINT;
      }
      /* Feedback about every 50 packets, with a cap from tight to roomy. */
      if (g_rand_int_range (rand, 0, 50) == 0)
        model_drain (&m, twcc, (gsize) g_rand_int_range (rand, 28, 1500));
    }
    if (held != G_MAXUINT)
      model_record (&m, twcc, held, t + 100);
    model_drain (&m, twcc, 1200);
    model_check_complete (&m);
    /* About one feedback per 50 packets, the tight caps splitting more. */
    g_assert_cmpuint (m.feedbacks, >=, n / 100);
    model_clear (&m);
    lean_twcc_free (twcc);
  }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean-twcc/hand/two-bit", test_hand_two_bit);
  g_test_add_func ("/lean-twcc/hand/run-one-bit", test_hand_run_one_bit);
  g_test_add_func ("/lean-twcc/reference-time", test_reference_time);
  g_test_add_func ("/lean-twcc/large-negative-deltas", test_large_negative_deltas);
  g_test_add_func ("/lean-twcc/feedback-count", test_feedback_count);
  g_test_add_func ("/lean-twcc/duplicate", test_duplicate_keeps_first);
  g_test_add_func ("/lean-twcc/late-arrival", test_late_arrival_reported_again);
  g_test_add_func ("/lean-twcc/ring-overrun", test_ring_overrun);
  g_test_add_func ("/lean-twcc/cap", test_cap);
  g_test_add_func ("/lean-twcc/random-round-trip", test_random_round_trip);
  return g_test_run ();
}
