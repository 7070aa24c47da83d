/* rtp_continuity.c — one outgoing m-line's sequence numbers and timestamps,
 * continuous across changes of source. Pure (the caller passes the time in
 * and does any locking); both engines' rewrites use it: rtp_rewrite.c (the
 * webrtcbin engine's element) and lean_path.c.
 *
 * When the source changes (a participant reconnects with a new leg, their
 * slot goes to someone else, a screen share starts again), sequence numbers
 * and timestamps are offset so that the next packet follows the last one
 * sent: the browser sees one stream going on, not a 30000-packet gap (a NACK
 * storm) or a timestamp jump (a frozen or sped-up picture). The timestamp
 * step over the switch is the wall-clock time between the two packets at the
 * m-line's clock rate. The very first source keeps its own numbers.
 */
#include "media/media-private.h"

#include <string.h>

void
media_continuity_init (MediaContinuity *c, guint clock_rate)
{
  memset (c, 0, sizeof *c);
  c->clock_rate = MAX (clock_rate, 1);
}

static void
rebase (MediaContinuity *c, guint32 ssrc, guint16 seq, guint32 ts, gint64 now_us)
{
  if (c->have_out) {
    guint16 next_seq = (guint16) (c->last_seq + 1);
    guint64 step = (guint64) MAX (now_us - c->last_us, 0) * c->clock_rate / G_USEC_PER_SEC;
    guint32 next_ts = c->last_ts + (guint32) MAX (step, 1);
    c->seq_delta = (guint16) (next_seq - seq);
    c->ts_delta = next_ts - ts;
  } else {
    c->seq_delta = 0;
    c->ts_delta = 0;
  }
  c->in_ssrc = ssrc;
  c->have_in = TRUE;
  c->rebase = FALSE;
}

void
media_continuity_map (MediaContinuity *c, guint32 ssrc, guint16 seq, guint32 ts, gint64 now_us,
                      guint16 *out_seq, guint32 *out_ts)
{
  if (!c->have_in || c->rebase || ssrc != c->in_ssrc)
    rebase (c, ssrc, seq, ts, now_us);
  *out_seq = (guint16) (seq + c->seq_delta);
  *out_ts = ts + c->ts_delta;
  /* Remember the newest packet (a reordered older one leaves it alone), so
   * a later switch continues after the highest number the browser saw. */
  if (!c->have_out || (gint16) (*out_seq - c->last_seq) > 0) {
    c->last_seq = *out_seq;
    c->last_ts = *out_ts;
  }
  c->last_us = now_us;
  c->have_out = TRUE;
}
