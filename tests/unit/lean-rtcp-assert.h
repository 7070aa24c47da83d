/* lean-rtcp-assert.h — a report block as GStreamer's RTCP reader sees it,
 * compared with the one we meant to write (test_lean_rtcp.c,
 * test_lean_rtpstats.c). */
#pragma once

#include "media/lean-private.h"

#include <gst/rtp/rtp.h>

static inline void
lean_assert_block (GstRTCPPacket *packet, guint nth, const LeanReportBlock *want)
{
  guint32 ssrc, ext, jitter, lsr, dlsr;
  guint8 fraction;
  gint32 lost;
  gst_rtcp_packet_get_rb (packet, nth, &ssrc, &fraction, &lost, &ext, &jitter, &lsr, &dlsr);
  g_assert_cmphex (ssrc, ==, want->ssrc);
  g_assert_cmpuint (fraction, ==, want->fraction_lost);
  g_assert_cmpint (lost, ==, want->packets_lost);
  g_assert_cmphex (ext, ==, want->ext_highest_seq);
  g_assert_cmpuint (jitter, ==, want->jitter);
  g_assert_cmphex (lsr, ==, want->lsr);
  g_assert_cmphex (dlsr, ==, want->dlsr);
}
