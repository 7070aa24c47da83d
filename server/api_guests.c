/* api_guests.c — a family member or an interpreter joins a visit with a
 * link of their own, which the provider may withdraw at any time. */
#define G_LOG_DOMAIN "th-api"

#include "server/api-private.h"

#include <string.h>

#define MAX_GUEST_NAME 100

static void
post_guest (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *participant_id = NULL, *url = NULL;
  g_autoptr (GError) error = NULL;
  StoreVisit visit = { 0 };
  const char *name = NULL;
  json_error_t jerr;
  json_t *body = NULL;

  if (!staff_id || !th_require_own_visit (app, staff_id, visit_id, r, &visit))
    return;
  body = th_parse_body (req, r);
  if (!body)
    goto out;
  if (json_unpack_ex (body, &jerr, JSON_STRICT, "{s:s}", "display_name", &name) != 0 ||
      !g_utf8_validate (name, -1, NULL) || name[strspn (name, " \t")] == '\0' ||
      g_utf8_strlen (name, -1) > MAX_GUEST_NAME) {
    th_respond_error (r, 400, "bad-field", "expected {\"display_name\": 1 to 100 characters}");
    goto out;
  }
  if (visit.state == VISIT_ENDED) {
    th_respond_error (r, 409, "bad-state", "the visit has ended");
    goto out;
  }
  participant_id = store_add_guest (app->store, visit_id, name, &error);
  if (!participant_id ||
      !(url = th_join_link (app, participant_id, visit.scheduled_at_ms, &error))) {
    g_warning ("guest not added: %s", error ? error->message : "?");
    th_respond_error (r, 500, "internal", "the guest could not be added");
    goto out;
  }
  th_audit (app, req->address, staff_id, "guest.add", visit_id,
            json_pack ("{s:s, s:s}", "participant", participant_id, "patient", visit.patient_id));
  th_respond_json (r, 201, json_pack ("{s:s, s:s, s:s}", "participant", participant_id,
                                      "display_name", name, "guest_url", url));
out:
  json_decref (body);
  store_visit_clear (&visit);
}

static void
list_guests (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autoptr (GPtrArray) guests = NULL;
  StoreVisit visit = { 0 };
  json_t *list;

  if (!staff_id || !th_require_readable_visit (app, staff_id, visit_id, r, &visit))
    return;
  guests = store_list_visit_guests (app->store, visit_id, NULL);
  if (!guests) {
    th_respond_error (r, 500, "internal", "the guests could not be read");
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
  if (!store_get_participant (app->store, participant_id, &p, NULL) ||
      g_strcmp0 (p.visit_id, visit_id) != 0 || p.role != PARTICIPANT_GUEST) {
    th_respond_error (r, 404, "not-found", "no such guest in this visit");
    goto out;
  }
  if (!store_revoke_participant_tokens (app->store, participant_id, &error)) {
    th_respond_error (r, 500, "internal", "the link could not be withdrawn");
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
  g_auto (GStrv) parts = NULL;
  guint n;

  if (!g_str_has_prefix (req->path, "/api/visits/"))
    return FALSE;
  parts = g_strsplit (req->path + 1, "/", 7);
  n = g_strv_length (parts);
  /* api / visits / <id> / guests [/ <participant> / revoke] */
  if (n < 4 || strcmp (parts[3], "guests") != 0 || strlen (parts[2]) > 64 ||
      strspn (parts[2], "0123456789abcdef-") != strlen (parts[2]))
    return FALSE;
  if (n == 4) {
    if (req->method == TH_HTTP_POST)
      post_guest (app, req, r, parts[2]);
    else if (req->method == TH_HTTP_GET)
      list_guests (app, req, r, parts[2]);
    else
      th_respond_error (r, 405, "method-not-allowed", "GET or POST");
    return TRUE;
  }
  if (n == 6 && strcmp (parts[5], "revoke") == 0 && strlen (parts[4]) <= 64 &&
      strspn (parts[4], "0123456789abcdef-") == strlen (parts[4])) {
    if (req->method == TH_HTTP_POST)
      revoke_guest (app, req, r, parts[2], parts[4]);
    else
      th_respond_error (r, 405, "method-not-allowed", "POST only");
    return TRUE;
  }
  return FALSE;
}
