/* link.c — GET /api/link: what a patient's (or guest's) link is for, asked
 * by the join page before anything else, even before the link opens or
 * after it closed: the visit's state, when it is and with whom, and from
 * when to when the link lets them in. The page says it in the clinic's time
 * zone (the patient's own is not known yet), so a link opened a week early
 * tells the time instead of "not valid". Nothing clinical, no ids. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

/* Where the server's now falls against the link's window. */
static const char *
window_name (gint64 now, gint64 opens, gint64 closes)
{
  return now < opens ? "early" : now > closes ? "late" : "open";
}

void
th_get_link (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const ThCaller *caller = &call->caller;
  g_autoptr (GError) error = NULL;
  StoreVisit visit = { 0 };
  gint64 now = store_now_ms ();
  g_autofree char *at = NULL, *opens = NULL, *closes = NULL, *now_iso = NULL;

  (void) req;
  if (!store_get_visit (app->store, caller->participant.visit_id, &visit, &error)) {
    /* The token's visit is gone: a 500 for a store failure, else the link
     * is as good as unknown. */
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found",
                        "This visit link does not match a visit. Ask the clinic for a new link.");
    else
      th_respond_store_error (r, error,
                              "Your visit could not be looked up. Try again in a moment.");
    goto out;
  }
  at = th_iso_from_ms (visit.scheduled_at_ms);
  opens = th_iso_from_ms (caller->link_opens_ms);
  closes = th_iso_from_ms (caller->link_closes_ms);
  now_iso = th_iso_from_ms (now);
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s?}, s:s?}", "state",
                              visit_state_name (visit.state), "window",
                              window_name (now, caller->link_opens_ms, caller->link_closes_ms),
                              "role", participant_role_name (caller->participant.role),
                              "scheduled_at", at, "opens_at", opens, "closes_at", closes, "now",
                              now_iso, "time_zone", app->config->time_zone_name, "provider",
                              "display_name", visit.provider_name, "clinic_phone",
                              app->config->clinic_phone));
out:
  store_visit_clear (&visit);
}
