/* links.c — the links a visit is joined with. Tokens go in the URL fragment:
 * a browser never sends the fragment in a request line or a Referer. */
#include "server/app.h"

#include <string.h>

void
th_visit_links_clear (ThVisitLinks *links)
{
  g_free (links->visit_id);
  g_free (links->patient_url);
  g_free (links->provider_url);
  memset (links, 0, sizeof *links);
}

char *
th_app_base_url (const ThConfig *config, guint16 port)
{
  const char *host = config->listen_host;

  if (config->public_base_url)
    return g_strdup (config->public_base_url);
  /* Listening on every address says nothing about how browsers reach us;
   * loopback is the one address sure to work from this machine. */
  if (strcmp (host, "0.0.0.0") == 0)
    host = "127.0.0.1";
  else if (strcmp (host, "::") == 0)
    host = "::1";
  if (strchr (host, ':'))
    return g_strdup_printf ("http://[%s]:%u", host, port);
  return g_strdup_printf ("http://%s:%u", host, port);
}

gboolean
th_create_visit_with_links (ThApp *app, const char *patient_id, const char *provider_id,
                            gint64 scheduled_at_ms, const char *console_token,
                            ThVisitLinks *out, GError **error)
{
  const ThConfig *c = app->config;
  g_autofree char *visit_id = NULL, *join_token = NULL, *new_console = NULL;
  StoreParticipant patient = { 0 };
  gboolean ok = FALSE;

  visit_id = store_create_visit (app->store, patient_id, provider_id, scheduled_at_ms, error);
  if (!visit_id)
    goto out;
  if (!store_find_visit_participant (app->store, visit_id, PARTICIPANT_PATIENT, &patient, error))
    goto out;
  join_token = store_issue_join_token (app->store, patient.id,
                                       scheduled_at_ms - (gint64) c->join_window_before_min * 60000,
                                       scheduled_at_ms + (gint64) c->join_window_after_min * 60000,
                                       error);
  if (!join_token)
    goto out;
  if (!console_token) {
    new_console = store_issue_console_token (app->store, provider_id,
                                             store_now_ms () + (gint64) c->console_token_hours * 3600000,
                                             error);
    if (!new_console)
      goto out;
    console_token = new_console;
  }
  out->patient_url = g_strdup_printf ("%s/patient.html#token=%s", app->base_url, join_token);
  out->provider_url = g_strdup_printf ("%s/provider.html#token=%s&visit=%s", app->base_url,
                                       console_token, visit_id);
  out->visit_id = g_steal_pointer (&visit_id);
  out->scheduled_at_ms = scheduled_at_ms;
  ok = TRUE;

out:
  store_participant_clear (&patient);
  return ok;
}
