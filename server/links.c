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
th_app_base_url (const ThConfig *config, guint16 port, gboolean tls)
{
  const char *host = config->listen_host;
  const char *scheme = tls ? "https" : "http";

  if (config->public_base_url)
    return g_strdup (config->public_base_url);
  /* Listening on every address says nothing about how browsers reach us;
   * loopback is the one address sure to work from this machine. */
  if (strcmp (host, "0.0.0.0") == 0)
    host = "127.0.0.1";
  else if (strcmp (host, "::") == 0)
    host = "::1";
  if (strchr (host, ':'))
    return g_strdup_printf ("%s://[%s]:%u", scheme, host, port);
  return g_strdup_printf ("%s://%s:%u", scheme, host, port);
}

char *
th_join_link (ThApp *app, const char *participant_id, gint64 scheduled_at_ms, GError **error)
{
  const ThConfig *c = app->config;
  g_autofree char *token = NULL;

  token = store_issue_join_token (app->store, participant_id,
                                  scheduled_at_ms - (gint64) c->join_window_before_min * 60000,
                                  scheduled_at_ms + (gint64) c->join_window_after_min * 60000,
                                  error);
  if (!token)
    return NULL;
  return g_strdup_printf ("%s/patient.html#token=%s", app->base_url, token);
}

gboolean
th_create_visit_with_links (ThApp *app, const char *patient_id, const char *new_patient_name,
                            const char *provider_id, gint64 scheduled_at_ms, const char *modality,
                            ThVisitLinks *out, GError **error)
{
  StoreVisitBooking booking = {
    .patient_id = patient_id,
    .new_patient_name = new_patient_name,
    .provider_id = provider_id,
    .scheduled_at_ms = scheduled_at_ms,
    .modality = modality,
  };

  return th_book_visit_with_links (app, &booking, out, error);
}

/* The join window of a visit at `booking->scheduled_at_ms`: the config's,
 * whatever the booking says. */
static void
set_join_window (const ThApp *app, StoreVisitBooking *booking)
{
  const ThConfig *c = app->config;

  booking->link_not_before_ms = booking->scheduled_at_ms -
                                (gint64) c->join_window_before_min * 60000;
  booking->link_not_after_ms = booking->scheduled_at_ms + (gint64) c->join_window_after_min * 60000;
}

/* The links of a visit just booked; takes `booked`'s visit id. */
static void
links_of (const ThApp *app, StoreBookedVisit *booked, gint64 scheduled_at_ms, ThVisitLinks *out)
{
  out->patient_url = g_strdup_printf ("%s/patient.html#token=%s", app->base_url,
                                      booked->patient_token);
  /* No secret in the provider's link: the console asks them to sign in. */
  out->provider_url = g_strdup_printf ("%s/provider.html#visit=%s", app->base_url,
                                       booked->visit_id);
  out->visit_id = g_steal_pointer (&booked->visit_id);
  out->scheduled_at_ms = scheduled_at_ms;
}

gboolean
th_book_visit_with_links (ThApp *app, const StoreVisitBooking *b, ThVisitLinks *out, GError **error)
{
  StoreBookedVisit booked = { 0 };
  StoreVisitBooking booking = *b;

  set_join_window (app, &booking);
  if (!store_book_visit (app->store, &booking, &booked, error))
    return FALSE;
  links_of (app, &booked, booking.scheduled_at_ms, out);
  store_booked_visit_clear (&booked);
  return TRUE;
}

gboolean
th_book_follow_up_with_links (ThApp *app, const StoreFollowUp *f, const char *decided_by,
                              const char *patient_id, const char *provider_id,
                              gint64 scheduled_at_ms, guint length_minutes, ThVisitLinks *out,
                              GError **error)
{
  StoreBookedVisit booked = { 0 };
  StoreVisitBooking booking = {
    .patient_id = patient_id,
    .provider_id = provider_id,
    .scheduled_at_ms = scheduled_at_ms,
    .length_minutes = length_minutes,
    .visit_type = "follow_up",
  };

  /* The booking as th_book_visit_with_links makes it, and the ended
   * visit's follow-up recorded in the same transaction. */
  set_join_window (app, &booking);
  if (!store_book_follow_up (app->store, f, decided_by, &booking, &booked, error))
    return FALSE;
  links_of (app, &booked, scheduled_at_ms, out);
  store_booked_visit_clear (&booked);
  return TRUE;
}
