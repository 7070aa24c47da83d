/* observe.c — the composition root's part of GET /metrics: what is read
 * at scrape time (the rooms, their legs and messages, from signaling's
 * public stats; the outbox's depth; the process) and what signaling tells
 * as it happens (quality samples). media/ and signaling/ know nothing of
 * the registry: they are libraries of their own, and their counts come out
 * through their faces. */
#define G_LOG_DOMAIN "th-server"

#include "server/app.h"
#include "server/metrics/metrics.h"
#include "server/notify/notify.h"
#include "server/store/store.h"

static void
set_value (ThMetricFamily family, const char *label, double v)
{
  const char *values[] = { label, NULL };

  th_metric_set (th_metrics_series (th_metrics (), family, label ? values : NULL), v);
}

void
th_metrics_refresh (ThApp *app)
{
  SigHubStats s;

  if (app->hub) {
    sig_hub_get_stats (app->hub, &s);
    set_value (TH_M_VISITS, "waiting", s.visits_waiting);
    set_value (TH_M_VISITS, "in_progress", s.visits_in_progress);
    set_value (TH_M_VISITS, "other", s.visits_other);
    set_value (TH_M_PARTICIPANTS, NULL, s.participants);
    set_value (TH_M_LEGS, NULL, s.legs);
    set_value (TH_M_SIGNALING_CONNECTIONS, NULL, s.connections);
    /* Counters read from their source (monotonic there: removed legs'
     * totals are kept), so set rather than added. */
    set_value (TH_M_RELAYED_PACKETS, NULL, (double) s.media.packets_sent);
    set_value (TH_M_RELAYED_BYTES, NULL, (double) s.media.bytes_sent);
    set_value (TH_M_RECEIVED_PACKETS, NULL, (double) s.media.packets_received);
    set_value (TH_M_RECEIVED_BYTES, NULL, (double) s.media.bytes_received);
    for (guint t = 0; t < SIG_MSG_N_TYPES; t++)
      set_value (TH_M_SIGNALING_MESSAGES, sig_msg_type_name ((SigMsgType) t),
                 (double) s.messages[t]);
    set_value (TH_M_SIGNALING_MESSAGES, "invalid", (double) s.messages_invalid);
  }
  /* Only where mail or text messages are set up: otherwise nothing is
   * ever queued and the figure would say nothing. */
  if (app->notify && notify_configured (app->notify)) {
    guint64 n = 0;
    g_autoptr (GError) error = NULL;
    if (store_outbox_waiting (app->store, &n, &error))
      set_value (TH_M_OUTBOX_QUEUED, NULL, (double) n);
    else
      g_message ("metrics: the outbox could not be counted: %s", error->message);
  }
  th_metrics_read_process (th_metrics ());
}

void
th_metrics_media_quality (double loss_fraction, double rtt_s, gboolean have_rtt)
{
  th_metrics_observe (TH_M_MEDIA_LOSS, loss_fraction);
  if (have_rtt)
    th_metrics_observe (TH_M_MEDIA_RTT, rtt_s);
}
