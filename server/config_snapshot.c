/* config_snapshot.c — the settings a job off the main loop reads.
 *
 * reload.c swaps some of the live config's values on SIGHUP (on the main
 * loop) and frees the old ones; a REST handler running on a store worker
 * at that moment would read freed text. So each job reads a snapshot taken
 * on the main thread when it is queued: the values reload may replace are
 * copied, everything else (fixed until the next start, freed only after
 * the workers stopped) is shared. Keep the list below in step with what
 * th_reload swaps. */
#include "server/config.h"

static void
copy_ice (ThIceConfig *to, const ThIceConfig *from)
{
  *to = *from;
  to->stun_urls = g_strdupv (from->stun_urls);
  to->turn_urls = g_strdupv (from->turn_urls);
  to->turn_secret = g_strdup (from->turn_secret);
}

static void
copy_notify (ThNotifyConfig *to, const ThNotifyConfig *from)
{
  *to = *from;
  to->mail_host = g_strdup (from->mail_host);
  to->mail_user = g_strdup (from->mail_user);
  to->mail_password = g_strdup (from->mail_password);
  to->mail_from = g_strdup (from->mail_from);
  to->sms_url = g_strdup (from->sms_url);
  to->sms_secret = g_strdup (from->sms_secret);
}

ThConfig *
th_config_snapshot (const ThConfig *live)
{
  ThConfig *snap = g_new (ThConfig, 1);

  *snap = *live;
  snap->consent_text = g_strdup (live->consent_text);
  snap->consent_version = g_strdup (live->consent_version);
  snap->consent_decline_phone = g_strdup (live->consent_decline_phone);
  snap->clinic_name = g_strdup (live->clinic_name);
  copy_ice (&snap->ice, &live->ice);
  copy_notify (&snap->notify, &live->notify);
  return snap;
}

void
th_config_snapshot_free (ThConfig *snap)
{
  if (!snap)
    return;
  g_free (snap->consent_text);
  g_free (snap->consent_version);
  g_free (snap->consent_decline_phone);
  th_ice_config_clear (&snap->ice);
  /* clinic_name and the [mail]/[sms] strings (th_notify_config_clear). */
  th_notify_config_clear (snap);
  g_free (snap);
}
