/* diary.c — the diary's messages: the daily reminder (a message without a
 * visit, migration 20), and the diary link an invitation carries. Each
 * link is minted when the message is made, and only while staff keep the
 * patient's diary on (a live diary link): a revoked diary sends nothing.
 *
 * Nothing clinical, as every message here: the clinic's name and the link. */
#define G_LOG_DOMAIN "th-notify"

#include "server/notify/notify-private.h"

#include <string.h>

char *
notify_diary_link (Notify *n, const char *patient_id, GError **error)
{
  g_autofree char *token = store_diary_link_mint_if_live (n->store, patient_id, error);

  return token ? g_strdup_printf ("%s/diary.html#d=%s", n->base_url, token) : NULL;
}

gboolean
notify_diary_live (Notify *n, const char *patient_id, gboolean *live, GError **error)
{
  return store_diary_link_status (n->store, patient_id, live, NULL, error);
}

gboolean
notify_compose_diary_reminder (Notify *n, const StoreOutboxMessage *row, NotifyMessage *out,
                               GError **error)
{
  const ThConfig *c = n->config;
  g_autoptr (GError) local = NULL;
  g_autofree char *link = notify_diary_link (n, row->patient_id, &local);

  if (!link) {
    if (local)
      g_propagate_error (error, g_steal_pointer (&local));
    else
      g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                           "the patient's diary link was turned off");
    return FALSE;
  }
  out->channel = g_strdup (row->channel);
  out->to = g_strdup (row->recipient);
  out->message_id = g_strdup_printf ("<%s@%s>", row->id, n->host);
  if (strcmp (row->channel, "sms") == 0) {
    out->text = g_strdup_printf ("%s: a reminder to fill in today's diary: %s", c->clinic_name,
                                 link);
    return TRUE;
  }
  out->subject = g_strdup_printf ("Your diary for today, from %s", c->clinic_name);
  out->text = g_strdup_printf ("Hello,\n\nA reminder to fill in today's diary. It takes a "
                               "minute. Open it from this link and keep the link to yourself:\n"
                               "%s\n\nYou can change or turn off this reminder at the bottom of "
                               "the diary page.\n\n%s\n",
                               link, c->clinic_name);
  return TRUE;
}
