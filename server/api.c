/* api.c — REST routes: health, the caller, visits (list, create, read with
 * the state timeline). Bodies are validated into C values at the edge. */
#define G_LOG_DOMAIN "th-api"

#include "server/api.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#define MAX_NAME_CHARS 200

static char *
iso_from_ms (gint64 ms)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr (GDateTime) exact = dt ? g_date_time_add (dt, (ms % 1000) * 1000) : NULL;
  g_autofree char *base = exact ? g_date_time_format (exact, "%Y-%m-%dT%H:%M:%S") : NULL;

  if (!base)
    return g_strdup ("");
  return g_strdup_printf ("%s.%03dZ", base, (int) (ms % 1000));
}

static void
respond_json (ThHttpResponse *r, guint status, json_t *obj)
{
  char *text = obj ? json_dumps (obj, JSON_COMPACT) : NULL;

  r->status = status;
  r->body = g_strdup (text ? text : "{}");
  free (text);
  json_decref (obj);
}

static void
respond_error (ThHttpResponse *r, guint status, const char *code, const char *message)
{
  respond_json (r, status, json_pack ("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

static const char *
query_param (const char *query, const char *name, char **storage)
{
  g_auto (GStrv) pairs = NULL;

  if (!query)
    return NULL;
  pairs = g_strsplit (query, "&", 32);
  for (guint i = 0; pairs[i]; i++) {
    const char *eq = strchr (pairs[i], '=');
    if (eq && (gsize) (eq - pairs[i]) == strlen (name) && strncmp (pairs[i], name, strlen (name)) == 0) {
      *storage = g_uri_unescape_string (eq + 1, NULL);
      return *storage;
    }
  }
  return NULL;
}

/* The caller's staff id from the bearer console token, or NULL after a 401. */
static char *
require_staff (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  char *staff_id;

  if (!req->bearer) {
    respond_error (r, 401, "unauthorized", "an Authorization: Bearer token is required");
    return NULL;
  }
  staff_id = store_resolve_console_token (app->store, req->bearer, store_now_ms (), &error);
  if (!staff_id) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
      respond_error (r, 401, "unauthorized", "the console token has expired");
    else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
      respond_error (r, 401, "unauthorized", "the console token is not valid");
    else
      respond_error (r, 500, "internal", "the token could not be checked");
  }
  return staff_id;
}

static json_t *
visit_summary_json (const StoreVisit *v)
{
  g_autofree char *at = iso_from_ms (v->scheduled_at_ms);

  return json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "id", v->id, "state",
                    visit_state_name (v->state), "scheduled_at", at, "modality",
                    v->modality ? v->modality : "video", "patient", "id", v->patient_id,
                    "display_name", v->patient_name ? v->patient_name : "");
}

static void
get_health (ThApp *app, ThHttpResponse *r)
{
  respond_json (r, 200, json_pack ("{s:s, s:s, s:i, s:i}", "status", "ok", "version", TH_VERSION,
                                   "visits_active", (json_int_t) sig_hub_active_visits (app->hub),
                                   "connections", (json_int_t) sig_hub_connection_count (app->hub)));
}

static void
get_me (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = require_staff (app, req, r);
  g_autofree char *name = NULL, *role = NULL;

  if (!staff_id)
    return;
  if (!store_get_staff (app->store, staff_id, &name, &role, NULL)) {
    respond_error (r, 500, "internal", "the account could not be read");
    return;
  }
  respond_json (r, 200, json_pack ("{s:s, s:s, s:s}", "staff_id", staff_id, "display_name", name,
                                   "role", role));
}

/* [start, end) of the local day named by `day` ("today" or YYYY-MM-DD). */
static gboolean
day_window (const char *day, gint64 *from_ms, gint64 *to_ms)
{
  g_autoptr (GDateTime) start = NULL, end = NULL;
  int y, m, d;
  char tail;

  if (!day || strcmp (day, "today") == 0) {
    g_autoptr (GDateTime) now = g_date_time_new_now_local ();
    g_date_time_get_ymd (now, &y, &m, &d);
  } else if (sscanf (day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) {
    return FALSE;
  }
  start = g_date_time_new_local (y, m, d, 0, 0, 0);
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
  g_autofree char *staff_id = require_staff (app, req, r);
  g_autofree char *day_storage = NULL;
  g_autoptr (GPtrArray) visits = NULL;
  g_autoptr (GError) error = NULL;
  gint64 from, to;
  json_t *list;

  if (!staff_id)
    return;
  if (!day_window (query_param (req->query, "day", &day_storage), &from, &to)) {
    respond_error (r, 400, "bad-field", "day must be \"today\" or YYYY-MM-DD");
    return;
  }
  visits = store_list_provider_visits (app->store, staff_id, from, to, &error);
  if (!visits) {
    respond_error (r, 500, "internal", "the visits could not be read");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < visits->len; i++)
    json_array_append_new (list, visit_summary_json (g_ptr_array_index (visits, i)));
  respond_json (r, 200, json_pack ("{s:o}", "visits", list));
}

/* POST /api/visits {"patient_name": "...", "scheduled_at": "ISO 8601"?} */
static void
create_visit (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = require_staff (app, req, r);
  g_autofree char *patient_id = NULL, *at_text = NULL;
  g_autoptr (GError) error = NULL;
  ThVisitLinks links = { 0 };
  const char *name = NULL, *scheduled = NULL;
  gint64 scheduled_ms = store_now_ms ();
  json_error_t jerr;
  json_t *body = NULL;

  if (!staff_id)
    return;
  body = req->body ? json_loadb (req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  if (!body || !json_is_object (body)) {
    respond_error (r, 400, "bad-json", "the body must be a JSON object");
    goto out;
  }
  if (json_unpack_ex (body, &jerr, JSON_STRICT, "{s:s, s?s}", "patient_name", &name,
                      "scheduled_at", &scheduled) != 0) {
    respond_error (r, 400, "bad-field",
                   "expected {\"patient_name\": string, \"scheduled_at\"?: ISO 8601 string}");
    goto out;
  }
  if (!g_utf8_validate (name, -1, NULL) || g_utf8_strlen (name, -1) > MAX_NAME_CHARS ||
      name[strspn (name, " \t")] == '\0') {
    respond_error (r, 400, "bad-field", "patient_name must be 1 to 200 characters");
    goto out;
  }
  if (scheduled) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (scheduled, NULL);
    if (!dt) {
      respond_error (r, 400, "bad-field", "scheduled_at must be ISO 8601 with a time zone");
      goto out;
    }
    scheduled_ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
  }
  patient_id = store_create_patient (app->store, name, &error);
  if (!patient_id ||
      !th_create_visit_with_links (app, patient_id, staff_id, scheduled_ms, req->bearer, &links,
                                   &error)) {
    g_warning ("visit not created: %s", error ? error->message : "?");
    respond_error (r, 500, "internal", "the visit could not be created");
    goto out;
  }
  at_text = iso_from_ms (links.scheduled_at_ms);
  respond_json (r, 201, json_pack ("{s:s, s:s, s:s, s:s}", "visit_id", links.visit_id,
                                   "patient_url", links.patient_url, "provider_url",
                                   links.provider_url, "scheduled_at", at_text));
out:
  th_visit_links_clear (&links);
  json_decref (body);
}

static void
get_visit (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const char *visit_id)
{
  g_autofree char *staff_id = require_staff (app, req, r);
  g_autoptr (GPtrArray) timeline = NULL;
  StoreVisit v = { 0 };
  json_t *obj, *events;

  if (!staff_id)
    return;
  if (!store_get_visit (app->store, visit_id, &v, NULL) || g_strcmp0 (v.provider_id, staff_id) != 0) {
    /* One answer for "absent" and "not yours": ids are not to be probed. */
    respond_error (r, 404, "not-found", "no such visit among yours");
    goto out;
  }
  timeline = store_visit_timeline (app->store, visit_id, NULL);
  if (!timeline) {
    respond_error (r, 500, "internal", "the timeline could not be read");
    goto out;
  }
  obj = visit_summary_json (&v);
  json_object_set_new (obj, "provider", json_pack ("{s:s, s:s}", "id", v.provider_id,
                                                   "display_name", v.provider_name ? v.provider_name : ""));
  events = json_array ();
  for (guint i = 0; i < timeline->len; i++) {
    StoreVisitEvent *e = g_ptr_array_index (timeline, i);
    g_autofree char *at = iso_from_ms (e->at_ms);
    json_t *ev = json_pack ("{s:s, s:s}", "at", at, "kind", e->kind);
    if (e->state)
      json_object_set_new (ev, "state", json_string (e->state));
    if (e->participant_id)
      json_object_set_new (ev, "participant", json_string (e->participant_id));
    if (e->role)
      json_object_set_new (ev, "role", json_string (e->role));
    json_array_append_new (events, ev);
  }
  json_object_set_new (obj, "timeline", events);
  respond_json (r, 200, obj);
out:
  store_visit_clear (&v);
}

gboolean
th_api_owns_path (const char *path)
{
  return strcmp (path, "/healthz") == 0 || strcmp (path, "/api") == 0 ||
         g_str_has_prefix (path, "/api/");
}

void
th_api_handle (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
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
  } else if (g_str_has_prefix (path, "/api/visits/") && path[12] != '\0' &&
             strlen (path + 12) <= 64 && strspn (path + 12, "0123456789abcdef-") == strlen (path + 12)) {
    if (req->method != TH_HTTP_GET)
      goto not_allowed;
    get_visit (app, req, r, path + 12);
  } else {
    respond_error (r, 404, "not-found", "no such resource");
  }
  return;

not_allowed:
  respond_error (r, 405, "method-not-allowed", "this resource does not take that method");
}
