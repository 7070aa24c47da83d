/* lean_rtcp.c — placeholder: RTCP for lean legs (lean-private.h). */
#include "media/lean-private.h"

gboolean
lean_rtcp_parse (const guint8 *buf, gsize len, LeanRtcpFunc func, gpointer user_data)
{
  (void) buf, (void) len, (void) func, (void) user_data;
  return FALSE;
}

void
lean_rtcp_writer_init (LeanRtcpWriter *w, guint8 *buf, gsize cap)
{
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = TRUE;
}

void
lean_rtcp_add_sr (LeanRtcpWriter *w, guint32 ssrc, guint64 ntp, guint32 rtp_ts, guint32 packets,
                  guint32 octets, const LeanReportBlock *blocks, guint n_blocks)
{
  (void) w, (void) ssrc, (void) ntp, (void) rtp_ts, (void) packets, (void) octets, (void) blocks,
    (void) n_blocks;
}

void
lean_rtcp_add_rr (LeanRtcpWriter *w, guint32 sender_ssrc, const LeanReportBlock *blocks,
                  guint n_blocks)
{
  (void) w, (void) sender_ssrc, (void) blocks, (void) n_blocks;
}

void
lean_rtcp_add_sdes_cname (LeanRtcpWriter *w, guint32 ssrc, const char *cname)
{
  (void) w, (void) ssrc, (void) cname;
}

void
lean_rtcp_add_pli (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc)
{
  (void) w, (void) sender_ssrc, (void) media_ssrc;
}

void
lean_rtcp_add_fir (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc, guint8 seq)
{
  (void) w, (void) sender_ssrc, (void) media_ssrc, (void) seq;
}

void
lean_rtcp_add_nack (LeanRtcpWriter *w, guint32 sender_ssrc, guint32 media_ssrc, const guint16 *seqs,
                    guint n_seqs)
{
  (void) w, (void) sender_ssrc, (void) media_ssrc, (void) seqs, (void) n_seqs;
}

void
lean_rtcp_add_raw (LeanRtcpWriter *w, const guint8 *packet, gsize len)
{
  (void) w, (void) packet, (void) len;
}

gsize
lean_rtcp_writer_finish (LeanRtcpWriter *w)
{
  (void) w;
  return 0;
}

guint64
lean_ntp_from_real_us (gint64 real_us)
{
  (void) real_us;
  return 0;
}

guint32
lean_ntp_middle (guint64 ntp)
{
  return (guint32) (ntp >> 16);
}
