/* stats.c — send-time rings, loss from sequence gaps, latency histograms,
 * quantiles and the process's own CPU time. */
#include "loadgen.h"

#include <string.h>
#include <unistd.h>

void
ring_init (SendRing *ring)
{
  g_mutex_init (&ring->lock);
  memset (ring->e, 0, sizeof ring->e);
}

void
ring_clear (SendRing *ring)
{
  g_mutex_clear (&ring->lock);
}

void
ring_record (SendRing *ring, guint16 seq, guint64 hash, gint64 now_us)
{
  RingEntry *e = &ring->e[seq & (RING_SIZE - 1)];
  g_mutex_lock (&ring->lock);
  e->seq = 0x10000u | seq;
  e->hash = hash;
  e->sent_us = now_us;
  g_mutex_unlock (&ring->lock);
}

gint64
ring_lookup (SendRing *ring, RecvStream *rs, guint16 seq, guint64 hash)
{
  gint64 sent = -1;
  g_mutex_lock (&ring->lock);
  if (rs->have_offset) {
    guint16 s = (guint16) (seq + rs->seq_offset);
    RingEntry *e = &ring->e[s & (RING_SIZE - 1)];
    if (e->seq == (0x10000u | s) && e->hash == hash)
      sent = e->sent_us;
  }
  /* First packet, or the server changed its seq offset (Janus after a
   * renegotiation): scan the ring for the payload. Newest match wins, in
   * case a payload repeats (it should not: moving video, noise audio). */
  if (sent < 0 && rs->misses < 64) {
    RingEntry *best = NULL;
    for (guint i = 0; i < RING_SIZE; i++) {
      RingEntry *e = &ring->e[i];
      if (e->seq != 0 && e->hash == hash && (best == NULL || e->sent_us > best->sent_us))
        best = e;
    }
    if (best != NULL) {
      sent = best->sent_us;
      rs->seq_offset = (guint16) ((best->seq & 0xffff) - seq);
      rs->have_offset = TRUE;
    }
  }
  g_mutex_unlock (&ring->lock);
  /* A stream that never matches (e.g. a server that re-encodes) stops
   * costing a full scan per packet after a while. */
  if (sent < 0)
    rs->misses++;
  else
    rs->misses = 0;
  return sent;
}

/* FNV-1a over the codec payload. For VP8 the payload descriptor is skipped:
 * it carries the picture id, which Janus rewrites per subscriber. */
guint64
payload_hash (Kind kind, const guint8 *p, guint len)
{
  guint skip = 0;
  if (kind == KIND_VIDEO && len > 0) {
    skip = 1;
    if (p[0] & 0x80) {               /* X: extension byte follows */
      guint8 x = len > 1 ? p[1] : 0;
      skip = 2;
      if (x & 0x80)                  /* I: picture id, 7 or 15 bits */
        skip += (len > skip && (p[skip] & 0x80)) ? 2 : 1;
      if (x & 0x40)                  /* L: TL0PICIDX */
        skip++;
      if (x & 0x30)                  /* T or K: TID/KEYIDX byte */
        skip++;
    }
    if (skip > len)
      skip = len;
  }
  guint64 h = 0xcbf29ce484222325ull ^ (len - skip);
  guint n = MIN (len - skip, 96u);
  for (guint i = 0; i < n; i++) {
    h ^= p[skip + i];
    h *= 0x100000001b3ull;
  }
  return h;
}

void
recv_stream_restart (RecvStream *rs)
{
  atomic_store (&rs->restart, TRUE);
}

/* RFC 3550 style: expected = highest extended seq - first + 1. Reordered
 * and duplicate packets do not move the maximum. After a restart the new
 * stream's count adds to what the earlier ones expected. */
void
recv_stream_packet (RecvStream *rs, guint16 seq)
{
  if (atomic_exchange (&rs->restart, FALSE) && rs->started) {
    /* New sender (new SSRC, new seq base): no gap between the two. */
    rs->expected_before = atomic_load (&rs->expected);
    rs->started = FALSE;
    rs->have_offset = FALSE;
    rs->misses = 0;
  }
  if (!rs->started) {
    rs->started = TRUE;
    rs->base_seq = rs->max_seq = seq;
    rs->cycles = 0;
  } else {
    gint16 delta = (gint16) (seq - rs->max_seq);
    if (delta > 0) {
      if (seq < rs->max_seq)
        rs->cycles += 0x10000;
      rs->max_seq = seq;
    }
  }
  atomic_fetch_add (&rs->packets, 1);
  atomic_store (&rs->expected,
                rs->expected_before + rs->cycles + rs->max_seq - rs->base_seq + 1);
}

guint64
recv_stream_lost (RecvStream *rs)
{
  guint64 exp = atomic_load (&rs->expected), got = atomic_load (&rs->packets);
  return exp > got ? exp - got : 0;
}

void
hist_add (Histogram *h, gint64 us)
{
  guint bin;
  if (us < 0)
    us = 0;
  if (us < HIST_FINE * 50)
    bin = (guint) (us / 50);
  else if (us < HIST_FINE * 50 + HIST_COARSE * 1000)
    bin = HIST_FINE + (guint) ((us - HIST_FINE * 50) / 1000);
  else
    bin = HIST_BINS - 1;
  atomic_fetch_add_explicit (&h->bins[bin], 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&h->count, 1, memory_order_relaxed);
}

void
hist_merge (Histogram *into, Histogram *from)
{
  for (guint i = 0; i < HIST_BINS; i++)
    atomic_fetch_add (&into->bins[i], atomic_load (&from->bins[i]));
  atomic_fetch_add (&into->count, atomic_load (&from->count));
}

/* Bin centre in ms. */
static double
bin_ms (guint bin)
{
  if (bin < HIST_FINE)
    return (bin * 50 + 25) / 1000.0;
  if (bin < HIST_FINE + HIST_COARSE)
    return (HIST_FINE * 50 + (bin - HIST_FINE) * 1000 + 500) / 1000.0;
  return (HIST_FINE * 50 + HIST_COARSE * 1000) / 1000.0;
}

double
hist_quantile (Histogram *h, double q)
{
  guint64 total = 0;
  for (guint i = 0; i < HIST_BINS; i++)
    total += atomic_load (&h->bins[i]);
  if (total == 0)
    return -1;
  guint64 want = (guint64) (q * (double) total);
  if (want >= total)
    want = total - 1;
  guint64 seen = 0;
  for (guint i = 0; i < HIST_BINS; i++) {
    seen += atomic_load (&h->bins[i]);
    if (seen > want)
      return bin_ms (i);
  }
  return bin_ms (HIST_BINS - 1);
}

double
quantile_sorted (const double *v, guint n, double q)
{
  if (n == 0)
    return -1;
  /* Nearest rank. */
  guint i = (guint) (q * n);
  if (i >= n)
    i = n - 1;
  return v[i];
}

double
self_cpu_seconds (void)
{
  gchar *text = NULL;
  double cpu = 0;
  if (!g_file_get_contents ("/proc/self/stat", &text, NULL, NULL))
    return 0;
  /* The command name may hold spaces: fields are counted after the ')'. */
  const char *p = strrchr (text, ')');
  if (p != NULL) {
    gchar **f = g_strsplit (p + 2, " ", 16);
    /* f[0] is field 3 (state); utime is field 14, stime field 15. */
    if (g_strv_length (f) > 12)
      cpu = (double) (g_ascii_strtoull (f[11], NULL, 10) + g_ascii_strtoull (f[12], NULL, 10)) /
            (double) sysconf (_SC_CLK_TCK);
    g_strfreev (f);
  }
  g_free (text);
  return cpu;
}
