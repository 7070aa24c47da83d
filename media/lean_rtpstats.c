/* lean_rtpstats.c — placeholder: receive statistics (lean-private.h). */
#include "media/lean-private.h"

#include <string.h>

void
lean_recv_stats_init (LeanRecvStats *s, guint32 ssrc, guint clock_rate)
{
  memset (s, 0, sizeof *s);
  s->ssrc = ssrc;
  s->clock_rate = clock_rate;
}

void
lean_recv_stats_packet (LeanRecvStats *s, guint16 seq, guint32 rtp_ts, gint64 arrival_us)
{
  (void) s, (void) seq, (void) rtp_ts, (void) arrival_us;
}

void
lean_recv_stats_sr (LeanRecvStats *s, guint64 ntp, gint64 arrival_us)
{
  (void) s, (void) ntp, (void) arrival_us;
}

void
lean_recv_stats_block (LeanRecvStats *s, gint64 now_us, LeanReportBlock *out)
{
  (void) now_us;
  memset (out, 0, sizeof *out);
  out->ssrc = s->ssrc;
}

void
lean_recv_stats_totals (const LeanRecvStats *s, guint64 *received, guint64 *lost)
{
  (void) s;
  *received = 0;
  *lost = 0;
}
