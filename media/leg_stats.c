/* leg_stats.c — a leg's packet and byte counters: pad probes on streaming
 * threads add with relaxed atomics, the main context reads them. Kept out
 * of the hot path's way: no locks, no allocation. */
#include "media/media-private.h"

/* ---- stats probes (streaming threads: atomics only) ---- */

static void
count_info (GstPadProbeInfo *info, atomic_uint_fast64_t *packets, atomic_uint_fast64_t *bytes)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    atomic_fetch_add_explicit (packets, 1, memory_order_relaxed);
    atomic_fetch_add_explicit (bytes, gst_buffer_get_size (buf), memory_order_relaxed);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint n = gst_buffer_list_length (list);
    atomic_fetch_add_explicit (packets, n, memory_order_relaxed);
    atomic_fetch_add_explicit (bytes, gst_buffer_list_calculate_size (list), memory_order_relaxed);
  }
}

GstPadProbeReturn
media_count_rx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  (void) pad;
  MediaLeg *leg = user_data;
  count_info (info, &leg->rx_packets, &leg->rx_bytes);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn
media_count_tx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  (void) pad;
  MediaLeg *leg = user_data;
  count_info (info, &leg->tx_packets, &leg->tx_bytes);
  return GST_PAD_PROBE_OK;
}

void
media_leg_get_stats (MediaLeg *leg, MediaLegStats *stats)
{
  stats->packets_received = atomic_load_explicit (&leg->rx_packets, memory_order_relaxed);
  stats->bytes_received = atomic_load_explicit (&leg->rx_bytes, memory_order_relaxed);
  stats->packets_sent = atomic_load_explicit (&leg->tx_packets, memory_order_relaxed);
  stats->bytes_sent = atomic_load_explicit (&leg->tx_bytes, memory_order_relaxed);
}
