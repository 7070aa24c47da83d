/* guests.c — a family member or an interpreter joins a visit with a
 * link of their own, which the provider may withdraw at any time. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

void
th_post_guest (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const StoreVisit *visit = &call->visit;
  const char *visit_id = visit->id;
  g_autofree char *participant_id = NULL, *url = NULL, *name = NULL;
  g_autoptr (GError) error = NULL;

  if (!th_body_guest (req->body, req->body_len, &name, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (visit->state == VISIT_ENDED) {
    th_respond_error (r, 409, "bad-state", "the visit has ended");
    return;
  }
  participant_id = store_add_guest (app->store, visit_id, name, &error);
  if (!participant_id ||
      !(url = th_join_link (app, participant_id, visit->scheduled_at_ms, &error))) {
    th_respond_store_error (r, error, "The guest could not be added. Try again; no link was made.");
    return;
  }
  th_audit (app, req->address, staff_id, "guest.add", visit_id,
            json_pack ("{s:s, s:s}", "participant", participant_id, "patient", visit->patient_id));
  th_respond_json (r, 201,
                   json_pack ("{s:s, s:s, s:s}", "participant", participant_id, "display_name",
                              name, "guest_url", url));
}

void
th_list_guests (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *visit_id = call->visit.id;
  g_autoptr (GPtrArray) guests = NULL;
  g_autoptr (GError) error = NULL;
  json_t *list;

  (void) req;
  guests = store_list_visit_guests (app->store, visit_id, &error);
  if (!guests) {
    th_respond_store_error (r, error, "The visit's guests could not be read. Reload the page.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < guests->len; i++) {
    StoreGuest *g = g_ptr_array_index (guests, i);
    json_array_append_new (list, json_pack ("{s:s, s:s, s:b}", "participant", g->participant.id,
                                            "display_name", g->participant.display_name, "revoked",
                                            g->revoked));
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "guests", list));
}

void
th_revoke_guest (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const StoreVisit *visit = &call->visit;
  const char *visit_id = visit->id;
  const char *participant_id = th_route_param (&call->params, "participant");
  g_autoptr (GError) error = NULL;
  StoreParticipant p = { 0 };

  if (!store_get_participant (app->store, participant_id, &p, &error) ||
      g_strcmp0 (p.visit_id, visit_id) != 0 || p.role != PARTICIPANT_GUEST) {
    if (error && !th_store_absent (error))
      th_respond_store_error (r, error,
                              "The guest could not be read. Nothing was changed; try again.");
    else
      th_respond_error (r, 404, "not-found", "no such guest in this visit");
    goto out;
  }
  if (!store_revoke_participant_tokens (app->store, participant_id, &error)) {
    th_respond_store_error (r, error, "The guest's link could not be withdrawn. Try again.");
    goto out;
  }
  /* The link no longer works, and whoever is using it right now goes too. */
  th_app_kick_participant (app, visit_id, participant_id, "revoked");
  th_audit (app, req->address, staff_id, "guest.revoke", visit_id,
            json_pack ("{s:s, s:s}", "participant", participant_id, "patient", visit->patient_id));
  th_respond_json (r, 200, json_object ());
out:
  store_participant_clear (&p);
}
