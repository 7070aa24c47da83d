/* api.c — REST routes: health, the caller, visits (list, create, read with
 * the state timeline). Bodies are validated into C values at the edge. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/clock/clock.h"

#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

char *
th_iso_from_ms (gint64 ms)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr (GDateTime) exact = dt ? g_date_time_add (dt, (ms % 1000) * 1000) : NULL;
  g_autofree char *base = exact ? g_date_time_format (exact, "%Y-%m-%dT%H:%M:%S") : NULL;

  if (!base)
    return g_strdup ("");
  return g_strdup_printf ("%s.%03dZ", base, (int) (ms % 1000));
}

void
th_clinic_today (ThApp *app, GDate *out)
{
  th_clock_local_date (app->config->time_zone, store_now_ms (), out);
}

void
th_respond_json (ThHttpResponse *r, guint status, json_t *obj)
{
  char *text = obj ? json_dumps (obj, JSON_COMPACT) : NULL;

  r->status = status;
  r->body = g_strdup (text ? text : "{}");
  free (text);
  json_decref (obj);
}

void
th_respond_error (ThHttpResponse *r, guint status, const char *code, const char *message)
{
  th_respond_json (r, status, json_pack ("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

char *
th_require_staff (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  char *staff_id;

  if (!req->session_id) {
    th_respond_error (r, 401, "unauthorized", "Please sign in.");
    return NULL;
  }
  /* A page polling by itself is no sign that anyone is at the screen:
   * only the user's own requests keep the session from its idle end. */
  staff_id = store_resolve_session_full (app->store, req->session_id, store_now_ms (),
                                         (gint64) app->config->session_idle_s * 1000,
                                         !req->background, &error);
  if (!staff_id) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
      th_respond_error (r, 401, "session-expired", "Your session ended after a time without activity. Sign in again.");
    else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
      th_respond_error (r, 401, "unauthorized", "Please sign in.");
    else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_BUSY)) {
      /* Another process (the admin CLI) holds the write lock: worth a retry. */
      th_respond_error (r, 503, "busy", "The record is busy. Try again in a moment.");
      r->retry_after = 1;
    } else
      th_respond_error (r, 500, "internal", "Your sign-in could not be checked. Try again in a moment.");
    return NULL;
  }
  /* Anything that changes state must prove it comes from our own page. */
  if (req->method != TH_HTTP_GET) {
    expected = th_csrf_token (req->session_id);
    if (!req->csrf || strlen (req->csrf) != strlen (expected) ||
        CRYPTO_memcmp (req->csrf, expected, strlen (expected)) != 0) {
      th_respond_error (r, 403, "csrf", "This request did not come from the clinic's own page (its security token is missing or wrong). Reload the page and try again.");
      g_free (staff_id);
      return NULL;
    }
  }
  return staff_id;
}

void
th_caller_clear (ThCaller *caller)
{
  g_free (caller->staff_id);
  g_free (caller->staff_role);
  store_participant_clear (&caller->participant);
  memset (caller, 0, sizeof *caller);
}

gboolean
th_require_caller (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, ThCaller *out)
{
  g_autoptr (GError) error = NULL;

  memset (out, 0, sizeof *out);
  /* A join token is explicit; the cookie of a staff member signed in in the
   * same browser would be ambient. The explicit one wins. */
  if (req->bearer) {
    if (store_resolve_join_token (app->store, req->bearer, store_now_ms (), &out->participant,
                                  &error)) {
      out->kind = CALLER_PATIENT;
      return TRUE;
    }
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
      th_respond_error (r, 401, "unauthorized",
                        "This visit link works only around the visit's scheduled time.");
    else
      th_respond_error (r, 401, "unauthorized", "This visit link is not valid. Check that it was copied whole, or ask the clinic for a new one.");
    return FALSE;
  }
  out->staff_id = th_require_staff (app, req, r);
  if (!out->staff_id)
    return FALSE;
  out->kind = CALLER_STAFF;
  if (!store_get_staff (app->store, out->staff_id, NULL, &out->staff_role, NULL)) {
    th_respond_error (r, 500, "internal", "Your account could not be read. Try again in a moment.");
    th_caller_clear (out);
    return FALSE;
  }
  return TRUE;
}

gboolean
th_staff_is_admin (ThApp *app, const char *staff_id)
{
  g_autofree char *role = NULL;

  return store_get_staff (app->store, staff_id, NULL, &role, NULL) &&
         g_strcmp0 (role, "admin") == 0;
}

static gboolean
require_visit (ThApp *app, const char *staff_id, const char *visit_id, ThHttpResponse *r,
               StoreVisit *out, gboolean read_only)
{
  if (!store_get_visit (app->store, visit_id, out, NULL) ||
      (g_strcmp0 (out->provider_id, staff_id) != 0 &&
       !(read_only && th_staff_is_admin (app, staff_id)))) {
    store_visit_clear (out);
    th_respond_error (r, 404, "not-found", "This visit is not among your visits.");
    return FALSE;
  }
  return TRUE;
}

gboolean
th_require_own_visit (ThApp *app, const char *staff_id, const char *visit_id, ThHttpResponse *r,
                      StoreVisit *out)
{
  return require_visit (app, staff_id, visit_id, r, out, FALSE);
}

gboolean
th_require_readable_visit (ThApp *app, const char *staff_id, const char *visit_id,
                           ThHttpResponse *r, StoreVisit *out)
{
  return require_visit (app, staff_id, visit_id, r, out, TRUE);
}

void
th_respond_body_error (ThHttpResponse *r, const GError *error)
{
  th_respond_error (r, 400, th_body_error_code (error), error->message);
}

json_t *
th_visit_summary_json (const StoreVisit *v)
{
  g_autofree char *at = th_iso_from_ms (v->scheduled_at_ms);

  return json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "id", v->id, "state",
                    visit_state_name (v->state), "scheduled_at", at, "modality",
                    v->modality ? v->modality : "video", "patient", "id", v->patient_id,
                    "display_name", v->patient_name ? v->patient_name : "");
}

static void
get_health (ThApp *app, ThHttpResponse *r)
{
  th_respond_json (r, 200, json_pack ("{s:s, s:s, s:i, s:i}", "status", "ok", "version", TH_VERSION,
                                   "visits_active", (json_int_t) sig_hub_active_visits (app->hub),
                                   "connections", (json_int_t) sig_hub_connection_count (app->hub)));
}

static void
get_me (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *name = NULL, *role = NULL;

  if (!staff_id)
    return;
  if (!store_get_staff (app->store, staff_id, &name, &role, NULL)) {
    th_respond_error (r, 500, "internal", "Your account could not be read. Try again in a moment.");
    return;
  }
  th_respond_json (r, 200, json_pack ("{s:s, s:s, s:s}", "staff_id", staff_id, "display_name", name,
                                   "role", role));
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

static void
list_visits (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *day_storage = NULL;
  g_autoptr (GPtrArray) visits = NULL;
  g_autoptr (GError) error = NULL;
  gint64 from, to;
  json_t *list;

  if (!staff_id)
    return;
  if (!day_window (app, th_query_param (req->query, "day", &day_storage), &from, &to)) {
    th_respond_error (r, 400, "bad-field", "The day must be \"today\" or a date written YYYY-MM-DD.");
    return;
  }
  /* An admin sees the clinic's visits; a provider their own. */
  visits = store_list_provider_visits (app->store, th_staff_is_admin (app, staff_id) ? NULL : staff_id,
                                       from, to, &error);
  if (!visits) {
    th_respond_error (r, 500, "internal", "Your visits could not be read. Reload the page.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < visits->len; i++)
    json_array_append_new (list, th_visit_summary_json (g_ptr_array_index (visits, i)));
  th_respond_json (r, 200, json_pack ("{s:o}", "visits", list));
}

/* Whether `patient_id` is one of this provider's patients (a visit together). */
static gboolean
is_own_patient (ThApp *app, const char *staff_id, const char *patient_id)
{
  g_autoptr (GPtrArray) visits = store_list_patient_visits (app->store, patient_id, NULL);

  for (guint i = 0; visits && i < visits->len; i++) {
    StoreVisit *v = g_ptr_array_index (visits, i);
    if (g_strcmp0 (v->provider_id, staff_id) == 0)
      return TRUE;
  }
  return FALSE;
}

/* POST /api/visits {"patient_name" | "patient_id", "scheduled_at"?, "modality"?} */
static void
create_visit (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *new_patient = NULL, *at_text = NULL;
  g_autoptr (GError) error = NULL;
  ThVisitLinks links = { 0 };
  ThVisitCreateBody body = { 0 };
  const char *patient_id;
  gint64 scheduled_ms = store_now_ms ();

  if (!staff_id)
    return;
  if (!th_body_visit_create (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  patient_id = body.patient_id;
  if (patient_id && !is_own_patient (app, staff_id, patient_id)) {
    th_respond_error (r, 404, "not-found", "This patient is not among your patients.");
    goto out;
  }
  if (body.has_scheduled)
    scheduled_ms = body.scheduled_ms;
  if (body.patient_name) {
    new_patient = store_create_patient (app->store, body.patient_name, &error);
    patient_id = new_patient;
  }
  if (!patient_id ||
      !th_create_visit_with_links (app, patient_id, staff_id, scheduled_ms, &links, &error) ||
      (body.modality && !store_set_visit_modality (app->store, links.visit_id, body.modality,
                                                   &error))) {
    g_warning ("visit not created: %s", error ? error->message : "?");
    th_respond_error (r, 500, "internal", "The visit could not be scheduled. Try again; nothing was saved.");
    goto out;
  }
  at_text = th_iso_from_ms (links.scheduled_at_ms);
  th_respond_json (r, 201, json_pack ("{s:s, s:s, s:s, s:s}", "visit_id", links.visit_id,
                                      "patient_url", links.patient_url, "provider_url",
                                      links.provider_url, "scheduled_at", at_text));
out:
  th_visit_links_clear (&links);
  th_visit_create_body_clear (&body);
}

static void
get_visit (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autoptr (GPtrArray) timeline = NULL;
  StoreVisit v = { 0 };
  g_autofree gint64 *at_ms = NULL;
  json_t *obj, *events;

  if (!staff_id || !th_require_readable_visit (app, staff_id, visit_id, r, &v))
    return;
  th_audit (app, req->address, staff_id, "visit.view", visit_id,
            json_pack ("{s:s}", "patient", v.patient_id));
  timeline = store_visit_timeline (app->store, visit_id, NULL);
  if (!timeline) {
    th_respond_error (r, 500, "internal", "The patient's timeline could not be read. Reload the page.");
    goto out;
  }
  obj = th_visit_summary_json (&v);
  json_object_set_new (obj, "provider", json_pack ("{s:s, s:s}", "id", v.provider_id,
                                                   "display_name", v.provider_name ? v.provider_name : ""));
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
    json_array_append_new (events, ev);
  }
  /* Chat, consent answers and modality switches belong to the same story. */
  if (!th_timeline_add_activity (app, visit_id, events, at_ms)) {
    json_decref (events);
    json_decref (obj);
    th_respond_error (r, 500, "internal", "The visit's activity could not be read. Reload the page.");
    goto out;
  }
  json_object_set_new (obj, "timeline", events);
  th_respond_json (r, 200, obj);
out:
  store_visit_clear (&v);
}

gboolean
th_api_owns_path (const char *path)
{
  return strcmp (path, "/healthz") == 0 || strcmp (path, "/api") == 0 ||
         g_str_has_prefix (path, "/api/");
}

static void
route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);

/* Every request refused for who asked leaves an audit row (sign-in
 * failures have their own). */
static void
audit_refusal (ThApp *app, const ThHttpRequest *req, const ThHttpResponse *r)
{
  json_t *body;
  const char *code;

  if (r->status != 401 && r->status != 403 && r->status != 404 && r->status != 413)
    return;
  body = r->body ? json_loads (r->body, 0, NULL) : NULL;
  code = json_string_value (json_object_get (json_object_get (body, "error"), "code"));
  if (g_strcmp0 (code, "bad-credentials") != 0)
    th_audit (app, req->address, "anonymous", "http.refused", NULL,
              json_pack ("{s:i, s:s, s:s, s:s}", "status", (json_int_t) r->status, "method",
                         req->method == TH_HTTP_GET ? "GET"
                         : req->method == TH_HTTP_POST ? "POST" : "OTHER",
                         "path", req->path, "code", code ? code : ""));
  json_decref (body);
}

void
th_api_handle (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  route (app, req, r);
  audit_refusal (app, req, r);
}

static void
route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  const char *path = req->path;

  if (strcmp (path, "/healthz") == 0) {
    if (req->method != TH_HTTP_GET)
      goto not_allowed;
    get_health (app, r);
  } else if (strcmp (path, "/api/me") == 0) {
    if (req->method != TH_HTTP_GET)
      goto not_allowed;
    get_me (app, req, r);
  } else if (strcmp (path, "/api/visits") == 0) {
    if (req->method == TH_HTTP_GET)
      list_visits (app, req, r);
    else if (req->method == TH_HTTP_POST)
      create_visit (app, req, r);
    else
      goto not_allowed;
  } else if (th_visit_path_id (path)) {
    if (req->method != TH_HTTP_GET)
      goto not_allowed;
    get_visit (app, req, r, th_visit_path_id (path));
  } else if (!th_api_session_route (app, req, r) && !th_api_guests_route (app, req, r) &&
             !th_api_activity_route (app, req, r) &&
             !th_api_ice_route (app, req, r) &&
             !th_api_clinical_route (app, req, r) && !th_api_orders_route (app, req, r)) {
    th_respond_error (r, 404, "not-found", "There is nothing at this address.");
  }
  return;

not_allowed:
  th_respond_error (r, 405, "method-not-allowed", "This address does not take that kind of request.");
}
