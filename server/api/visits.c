/* visits.c — health, the caller, visits: the day's list, scheduling one,
 * and one visit with its state timeline. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/clock/clock.h"

#include <string.h>

void
th_get_health (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  (void) req;
  (void) call;
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:s, s:i, s:i}", "status", "ok", "version", TH_VERSION,
                              "visits_active", (json_int_t) sig_hub_active_visits (app->hub),
                              "connections", (json_int_t) sig_hub_connection_count (app->hub)));
}

void
th_get_me (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  g_autofree char *name = NULL, *role = NULL;
  g_autoptr (GError) error = NULL;

  (void) req;
  if (!store_get_staff (app->store, staff_id, &name, &role, &error)) {
    th_respond_store_error (r, error, "Your account could not be read. Try again in a moment.");
    return;
  }
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:s, s:s}", "staff_id", staff_id, "display_name", name, "role",
                              role));
}

/* [start, end) of the clinic's day named by `day` ("today" or YYYY-MM-DD),
 * in [clinic] time_zone and by the server's one clock. */
static gboolean
day_window (ThApp *app, const char *day, gint64 *from_ms, gint64 *to_ms)
{
  g_autoptr (GDateTime) start = NULL, end = NULL;
  GDate date;

  if (!day || strcmp (day, "today") == 0)
    th_clinic_today (app, &date);
  else if (!th_date_parse (day, &date))
    return FALSE;
  if (!g_date_valid (&date))
    return FALSE;
  start = g_date_time_new (app->config->time_zone, g_date_get_year (&date),
                           g_date_get_month (&date), g_date_get_day (&date), 0, 0, 0);
  if (!start)
    return FALSE;
  end = g_date_time_add_days (start, 1);
  *from_ms = g_date_time_to_unix (start) * 1000;
  *to_ms = g_date_time_to_unix (end) * 1000;
  return TRUE;
}

void
th_list_visits (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  g_autofree char *day_storage = NULL;
  g_autoptr (GPtrArray) visits = NULL;
  g_autoptr (GError) error = NULL;
  gint64 from, to;
  json_t *list, *supervised;

  if (!day_window (app, th_query_param (req->query, "day", &day_storage), &from, &to)) {
    th_respond_error (r, 400, "bad-field",
                      "The day must be \"today\" or a date written YYYY-MM-DD.");
    return;
  }
  /* An admin or the front desk sees the clinic's visits; a provider their own. */
  visits = store_list_provider_visits (app->store,
                                       th_caller_sees_all (&call->caller) ? NULL : staff_id, from,
                                       to, &error);
  if (!visits) {
    th_respond_store_error (r, error, "Your visits could not be read. Reload the page.");
    return;
  }
  /* A supervising psychiatrist sees her PAs' visits of the day too. */
  supervised = th_supervised_visits_json (app, call, from, to, &error);
  if (error) {
    th_respond_store_error (r, error, "Your PAs' visits could not be read. Reload the page.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < visits->len; i++)
    json_array_append_new (list, th_visit_summary_json (g_ptr_array_index (visits, i)));
  /* The clinic's zone: the console shows the day's times on the clinic's
   * clock, as the schedule does, wherever the provider's browser is. */
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:o*, s:s}", "visits", list, "supervised", supervised,
                              "time_zone", app->config->time_zone_name));
}

/* POST /api/visits: with a "start", the schedule's booking (schedule.c);
 * else the ad-hoc shape {"patient_name" | "patient_id", "scheduled_at"?,
 * "modality"?}: a clinician's own visit, now by default, as scripts and the
 * demo have always made them (no double-booking check). */
void
th_create_visit (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  g_autofree char *at_text = NULL;
  g_autoptr (GError) error = NULL;
  ThVisitLinks links = { 0 };
  ThVisitCreateBody body = { 0 };
  gint64 scheduled_ms = store_now_ms ();
  gboolean visible = FALSE;

  if (th_body_has_field (req->body, req->body_len, "start")) {
    th_book_visit (app, req, r, call);
    return;
  }
  if (!th_body_visit_create (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  /* The admin and the front desk hold no visits: they say with whom. */
  if (th_caller_sees_all (&call->caller)) {
    th_respond_error (r, 422, "invalid",
                      "Choose the provider the visit is with and its date and time (the "
                      "schedule's booking form). Nothing was saved.");
    goto out;
  }
  if (body.patient_id &&
      !store_patient_visible (app->store, body.patient_id, staff_id, &visible, &error)) {
    th_respond_store_error (r, error,
                            "The patient could not be read. Try again; nothing was saved.");
    goto out;
  }
  if (body.patient_id && !visible) {
    th_respond_error (r, 404, "not-found", "This patient is not among your patients.");
    goto out;
  }
  if (body.has_scheduled)
    scheduled_ms = body.scheduled_ms;
  /* A visit whose every link would already be closed is in the past. */
  if (scheduled_ms + (gint64) app->config->join_window_after_min * 60000 < store_now_ms ()) {
    th_respond_error (r, 422, "invalid",
                      "The visit's time has already passed. Choose a later time. Nothing was "
                      "saved.");
    goto out;
  }
  /* The new patient (if any), the visit, its modality and the patient's
   * link are one transaction: "nothing was saved" is true when it fails. */
  if (!th_create_visit_with_links (app, body.patient_id, body.patient_name, staff_id, scheduled_ms,
                                   body.modality, &links, &error)) {
    th_respond_store_error (r, error,
                            "The visit could not be scheduled. Try again; nothing was saved.");
    goto out;
  }
  at_text = th_iso_from_ms (links.scheduled_at_ms);
  th_audit (app, req->address, staff_id, "visit.book", links.visit_id,
            json_pack ("{s:s, s:s, s:b}", "provider", staff_id, "start", at_text, "ad_hoc", TRUE));
  /* After the commit: the booking stands whatever happens to its
   * invitation, and the answer says what did. */
  th_respond_json (r, 201,
                   json_pack ("{s:s, s:s, s:s, s:s, s:o}", "visit_id", links.visit_id,
                              "patient_url", links.patient_url, "provider_url", links.provider_url,
                              "scheduled_at", at_text, "invitation",
                              th_notify_patient (app, links.visit_id, TH_VISIT_BOOKED)));
out:
  th_visit_links_clear (&links);
  th_visit_create_body_clear (&body);
}

void
th_get_visit (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const StoreVisit *v = &call->visit;
  const char *visit_id = v->id;
  g_autoptr (GPtrArray) timeline = NULL;
  g_autofree gint64 *at_ms = NULL;
  g_autoptr (GError) error = NULL;
  json_t *obj, *events;

  th_audit (app, req->address, staff_id, "visit.view", visit_id,
            json_pack ("{s:s}", "patient", v->patient_id));
  timeline = store_visit_timeline (app->store, visit_id, &error);
  if (!timeline) {
    th_respond_store_error (r, error, "The patient's timeline could not be read. Reload the page.");
    return;
  }
  obj = th_visit_summary_json (v);
  json_object_set_new (obj, "provider",
                       json_pack ("{s:s, s:s}", "id", v->provider_id, "display_name",
                                  v->provider_name ? v->provider_name : ""));
  events = json_array ();
  at_ms = g_new0 (gint64, timeline->len + 1);
  for (guint i = 0; i < timeline->len; i++) {
    StoreVisitEvent *e = g_ptr_array_index (timeline, i);
    at_ms[i] = e->at_ms;
    g_autofree char *at = th_iso_from_ms (e->at_ms);
    json_t *ev = json_pack ("{s:s, s:s}", "at", at, "kind", e->kind);
    if (e->state)
      json_object_set_new (ev, "state", json_string (e->state));
    if (e->participant_id)
      json_object_set_new (ev, "participant", json_string (e->participant_id));
    if (e->role)
      json_object_set_new (ev, "role", json_string (e->role));
    /* The only reason there is: the server ended a visit everyone had left. */
    if (g_strcmp0 (e->reason, "abandoned") == 0)
      json_object_update_new (ev, json_pack ("{s:s, s:s}", "reason", e->reason, "note",
                                             "Ended by the server: everyone had left."));
    else if (g_strcmp0 (e->reason, "no-show") == 0)
      json_object_update_new (ev, json_pack ("{s:s, s:s}", "reason", e->reason, "note",
                                             "Nobody joined by the end of the visit's window."));
    else if (e->reason)
      json_object_set_new (ev, "reason", json_string (e->reason));
    if (g_strcmp0 (e->kind, "moved") == 0) {
      g_autofree char *from = th_iso_from_ms (e->moved_from_ms),
                      *to = th_iso_from_ms (e->moved_to_ms);
      json_object_update_new (ev, json_pack ("{s:s, s:s}", "from", from, "to", to));
    }
    if (e->staff_id)
      json_object_set_new (ev, "by", json_string (e->staff_id));
    json_array_append_new (events, ev);
  }
  /* Chat, consent answers and modality switches belong to the same story. */
  if (!th_timeline_add_activity (app, visit_id, events, at_ms, &error)) {
    json_decref (events);
    json_decref (obj);
    th_respond_store_error (r, error, "The visit's activity could not be read. Reload the page.");
    return;
  }
  json_object_set_new (obj, "timeline", events);
  th_respond_json (r, 200, obj);
}
