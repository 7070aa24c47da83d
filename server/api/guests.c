/* api_guests.c — a family member or an interpreter joins a visit with a
 * link of their own, which the provider may withdraw at any time. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

static void
post_guest (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *participant_id = NULL, *url = NULL, *name = NULL;
  g_autoptr (GError) error = NULL;
  StoreVisit visit = { 0 };

  if (!staff_id || !th_require_own_visit (app, staff_id, visit_id, r, &visit))
    return;
  if (!th_body_guest (req->body, req->body_len, &name, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  if (visit.state == VISIT_ENDED) {
    th_respond_error (r, 409, "bad-state", "the visit has ended");
    goto out;
  }
  participant_id = store_add_guest (app->store, visit_id, name, &error);
  if (!participant_id ||
      !(url = th_join_link (app, participant_id, visit.scheduled_at_ms, &error))) {
    th_respond_store_error (r, error, "The guest could not be added. Try again; no link was made.");
    goto out;
  }
  th_audit (app, req->address, staff_id, "guest.add", visit_id,
            json_pack ("{s:s, s:s}", "participant", participant_id, "patient", visit.patient_id));
  th_respond_json (r, 201, json_pack ("{s:s, s:s, s:s}", "participant", participant_id,
                                      "display_name", name, "guest_url", url));
out:
  store_visit_clear (&visit);
}

static void
list_guests (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autoptr (GPtrArray) guests = NULL;
  g_autoptr (GError) error = NULL;
  StoreVisit visit = { 0 };
  json_t *list;

  if (!staff_id || !th_require_readable_visit (app, staff_id, visit_id, r, &visit))
    return;
  guests = store_list_visit_guests (app->store, visit_id, &error);
  if (!guests) {
    th_respond_store_error (r, error, "The visit's guests could not be read. Reload the page.");
    goto out;
  }
  list = json_array ();
  for (guint i = 0; i < guests->len; i++) {
    StoreGuest *g = g_ptr_array_index (guests, i);
    json_array_append_new (list, json_pack ("{s:s, s:s, s:b}", "participant", g->participant.id,
                                            "display_name", g->participant.display_name,
                                            "revoked", g->revoked));
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "guests", list));
out:
  store_visit_clear (&visit);
}

static void
revoke_guest (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id,
              const char *participant_id)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autoptr (GError) error = NULL;
  StoreParticipant p = { 0 };
  StoreVisit visit = { 0 };

  if (!staff_id || !th_require_own_visit (app, staff_id, visit_id, r, &visit))
    return;
  if (!store_get_participant (app->store, participant_id, &p, &error) ||
      g_strcmp0 (p.visit_id, visit_id) != 0 || p.role != PARTICIPANT_GUEST) {
    if (error && !th_store_absent (error))
      th_respond_store_error (r, error, "The guest could not be read. Nothing was changed; try again.");
    else
      th_respond_error (r, 404, "not-found", "no such guest in this visit");
    goto out;
  }
  if (!store_revoke_participant_tokens (app->store, participant_id, &error)) {
    th_respond_store_error (r, error, "The guest's link could not be withdrawn. Try again.");
    goto out;
  }
  /* The link no longer works, and whoever is using it right now goes too. */
  sig_hub_kick_participant (app->hub, visit_id, participant_id, "revoked");
  th_audit (app, req->address, staff_id, "guest.revoke", visit_id,
            json_pack ("{s:s, s:s}", "participant", participant_id, "patient", visit.patient_id));
  th_respond_json (r, 200, json_object ());
out:
  store_participant_clear (&p);
  store_visit_clear (&visit);
}

gboolean
th_api_guests_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *visit_id = NULL, *participant_id = NULL;

  switch (th_guests_route (req->path, &visit_id, &participant_id)) {
  case TH_GUESTS_ROUTE_NONE:
    return FALSE;
  case TH_GUESTS_ROUTE_LIST:
    if (req->method == TH_HTTP_POST)
      post_guest (app, req, r, visit_id);
    else if (req->method == TH_HTTP_GET)
      list_guests (app, req, r, visit_id);
    else
      th_respond_error (r, 405, "method-not-allowed", "GET or POST");
    return TRUE;
  case TH_GUESTS_ROUTE_REVOKE:
    if (req->method == TH_HTTP_POST)
      revoke_guest (app, req, r, visit_id, participant_id);
    else
      th_respond_error (r, 405, "method-not-allowed", "POST only");
    return TRUE;
  }
  return FALSE;
}
