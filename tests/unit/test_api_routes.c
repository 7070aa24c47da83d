/* test_api_routes.c — the REST API's one route table (server/api/api.c): every
 * route declares who may call it and which visit access it needs, and the
 * dispatcher enforces both (on a real store: an sqlite file in a temporary
 * directory, or PostgreSQL, store-fixture.h): 404 for an unknown path, 405 with
 * Allow for a wrong method, 401/403 before any handler, a visit that is not the
 * caller's answered as absent, a store failure as a 500 — and a response that
 * cannot be built is a 500, never `200 {}`. */
#include "server/api/api-private.h"
#include "server/accounts/accounts.h"
#include "server/clock/clock.h"

#include <string.h>
#include <glib/gstdio.h>

#include "store-fixture.h"

/* ------------------------------------------------------------- the log */

/* The server logs with g_log_structured, which g_test_expect_message does
 * not see: warnings of the API's own domains are caught here, checked by
 * expect_warning(), and any other (or any left unchecked) fails the test. */
static GPtrArray *warnings;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (strcmp (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  }
  if ((level & G_LOG_LEVEL_WARNING) && message &&
      (g_strcmp0 (domain, "th-api") == 0 || g_strcmp0 (domain, "th-audit") == 0)) {
    g_test_message ("logged: %s", message);
    g_ptr_array_add (warnings, g_strdup (message));
    return G_LOG_WRITER_HANDLED;
  }
  return g_log_writer_default (level, fields, n_fields, data);
}

/* Exactly one warning was logged since the last check, and it starts with
 * `prefix`. */
static void
expect_warning (const char *prefix)
{
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (warnings, 0), prefix));
  g_ptr_array_set_size (warnings, 0);
}

static void
expect_no_warning (void)
{
  for (guint i = 0; i < warnings->len; i++)
    g_test_message ("unexpected: %s", (char *) g_ptr_array_index (warnings, i));
  g_assert_cmpuint (warnings->len, ==, 0);
}

/* ------------------------------------------------------------ the table */

static gboolean
is_anonymous_allowed (const ThRoute *t)
{
  /* The only doors without a key: the health probe, and signing in. */
  return (t->method == TH_HTTP_GET && strcmp (t->pattern, "/healthz") == 0) ||
         (t->method == TH_HTTP_POST && strcmp (t->pattern, "/api/session") == 0);
}

static gboolean
is_front_desk_route (const ThRoute *t)
{
  static const char *const desk[] = {
    "GET /api/me",
    "GET /api/session",
    "POST /api/session/logout",
    "GET /api/visits",
    "GET /api/events", /* the schedule page's push channel: ids of the visits above */
    "POST /api/visits",
    "GET /api/schedule",
    "GET /api/providers",
    "POST /api/visits/:visit/move",
    "POST /api/visits/:visit/cancel",
    "GET /api/visits/:visit/messages", /* who was told what and when: nothing clinical */
    "POST /api/messages/:message/retry",
    "GET /api/patients",
    "POST /api/patients",
    "GET /api/patients/:patient",
    "POST /api/patients/:patient",
    "GET /api/regions",
    "GET /api/patients/:patient/care-team", /* who treats the patient: names, not the record */
    "POST /api/patients/:patient/care-team",
    "POST /api/patients/:patient/care-team/:staff/remove",
  };
  g_autofree char *key = g_strdup_printf ("%s %s", t->method == TH_HTTP_GET ? "GET" : "POST",
                                          t->pattern);

  for (guint i = 0; i < G_N_ELEMENTS (desk); i++)
    if (strcmp (desk[i], key) == 0)
      return TRUE;
  return FALSE;
}

static void
test_table (void)
{
  g_autoptr (GError) error = NULL;
  guint n = 0;
  const ThRoute *routes = th_api_routes (&n);

  g_assert_cmpuint (n, >, 20);
  if (!th_api_routes_check (routes, n, &error))
    g_error ("the route table is not well formed: %s", error->message);
  for (guint i = 0; i < n; i++) {
    const ThRoute *t = &routes[i];
    gboolean names_visit = strstr (t->pattern, "/:visit") != NULL;

    g_test_message ("%s %s", t->method == TH_HTTP_GET ? "GET" : "POST", t->pattern);
    g_assert_nonnull (t->handler);
    g_assert_nonnull (t->name);
    g_assert_cmpint (t->who, !=, TH_WHO_UNDECLARED);
    g_assert_cmpint (t->visit, !=, TH_VISIT_UNDECLARED);
    g_assert_true (t->who != TH_WHO_ANYONE || is_anonymous_allowed (t));
    /* A :visit in the path is always checked before the handler runs. */
    g_assert_true (names_visit == (t->visit == TH_VISIT_OWN || t->visit == TH_VISIT_READABLE ||
                                   t->visit == TH_VISIT_SCHEDULE));
    /* The front desk reaches these routes and no other: nothing clinical. */
    g_assert_true ((t->who == TH_WHO_DESK) == is_front_desk_route (t));
    /* A write to a visit is for its own provider (or its own link): an
     * admin reads only. The check-in is the one write a link holder makes;
     * its handler takes it from the patient only. */
    if (t->method == TH_HTTP_POST && t->visit == TH_VISIT_READABLE)
      g_assert_cmpstr (t->pattern, ==, "/api/visits/:visit/checkin");
  }
}

static void
test_check_refuses (void)
{
  const struct {
    ThRoute route;
    const char *problem;
  } bad[] = {
    { { TH_HTTP_GET, "/x", TH_WHO_UNDECLARED, TH_VISIT_NONE, th_get_health, "a" }, "who may call" },
    { { TH_HTTP_GET, "/x", TH_WHO_STAFF, TH_VISIT_UNDECLARED, th_get_health, "b" },
      "visit access" },
    { { TH_HTTP_GET, "/x/:visit", TH_WHO_STAFF, TH_VISIT_NONE, th_get_health, "c" },
      "checks no access" },
    { { TH_HTTP_GET, "/x", TH_WHO_STAFF, TH_VISIT_OWN, th_get_health, "d" }, "names no :visit" },
    { { TH_HTTP_GET, "/x/:visit", TH_WHO_ANYONE, TH_VISIT_READABLE, th_get_health, "e" },
      "anyone" },
    { { TH_HTTP_GET, "/x//y", TH_WHO_STAFF, TH_VISIT_NONE, th_get_health, "f" }, "pattern" },
    { { TH_HTTP_OTHER, "/x", TH_WHO_STAFF, TH_VISIT_NONE, th_get_health, "g" }, "method" },
    { { TH_HTTP_GET, "/x", TH_WHO_STAFF, TH_VISIT_NONE, NULL, "h" }, "handler" },
    { { TH_HTTP_GET, "/x/:visit", TH_WHO_LINK_ANY_TIME, TH_VISIT_OWN, th_get_health, "i" },
      "outside its window" },
    { { TH_HTTP_POST, "/x/:visit", TH_WHO_STAFF, TH_VISIT_SCHEDULE, th_get_health, "m" },
      "front-desk route" },
    { { TH_HTTP_POST, "/x/:visit", TH_WHO_DESK, TH_VISIT_READABLE, th_get_health, "n" },
      "front-desk route" },
  };
  const ThRoute overlapping[] = {
    { TH_HTTP_POST, "/api/orders/pending", TH_WHO_STAFF, TH_VISIT_NONE, th_get_pending, "i" },
    { TH_HTTP_POST, "/api/orders/:order", TH_WHO_STAFF, TH_VISIT_NONE, th_post_cosign, "j" },
  };
  const ThRoute other_methods[] = {
    { TH_HTTP_GET, "/api/orders/:order", TH_WHO_STAFF, TH_VISIT_NONE, th_get_pending, "k" },
    { TH_HTTP_POST, "/api/orders/:order", TH_WHO_STAFF, TH_VISIT_NONE, th_post_cosign, "l" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_false (th_api_routes_check (&bad[i].route, 1, &error));
    g_assert_nonnull (strstr (error->message, bad[i].problem));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (th_api_routes_check (overlapping, 2, &error));
    g_assert_nonnull (strstr (error->message, "same paths"));
    g_assert_true (th_api_routes_check (other_methods, 2, NULL));
  }
}

/* ------------------------------------------------------- the dispatcher */

typedef struct {
  char *dir, *path;
  ThApp app;
  char *provider, *other, *admin; /* staff ids */
  char *provider_session, *other_session, *admin_session;
  char *visit, *other_visit;
  char *patient_token;
} Clinic;

static char *
session_for (Clinic *c, const char *staff_id)
{
  g_autoptr (GError) error = NULL;
  char *session = store_create_session (c->app.store, staff_id, "127.0.0.1", store_now_ms (),
                                        &error);
  g_assert_no_error (error);
  return session;
}

static void
clinic_open (Clinic *c)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *patient = NULL, *other_patient = NULL;
  StoreParticipant p = { 0 };
  gint64 now = store_now_ms ();

  memset (c, 0, sizeof *c);
  c->app.store = store_fixture_open ("test-api-routes-XXXXXX", &c->dir, &c->path);
  c->app.config = th_config_load (NULL, &error);
  g_assert_no_error (error);
  c->app.base_url = g_strdup ("http://127.0.0.1:1");
  /* Sign-ins here have no transport to defer on: checked in place. */
  c->app.signin = th_signin_gate_new (c->app.config->signin_workers, c->app.config->signin_queue,
                                      c->app.config->signin_per_second,
                                      c->app.config->signin_burst);
  /* A hub with no rooms: /healthz counts them; nothing here joins one. */
  c->app.hub = sig_hub_new (&(SigHooks) { 0 }, NULL, NULL);
  c->provider = store_create_staff (c->app.store, "Dr. Own", "psychiatrist", &error);
  c->other = store_create_staff (c->app.store, "Dr. Other", "psychiatrist", &error);
  c->admin = store_create_staff (c->app.store, "Clinic Admin", "admin", &error);
  patient = store_create_patient (c->app.store, "Pat Test", &error);
  other_patient = store_create_patient (c->app.store, "Pat Other", &error);
  g_assert_no_error (error);
  c->visit = store_create_visit (c->app.store, patient, c->provider, now, &error);
  c->other_visit = store_create_visit (c->app.store, other_patient, c->other, now, &error);
  g_assert_no_error (error);
  g_assert_true (
    store_find_visit_participant (c->app.store, c->visit, PARTICIPANT_PATIENT, &p, &error));
  c->patient_token = store_issue_join_token (c->app.store, p.id, now - 3600 * 1000,
                                             now + 3600 * 1000, &error);
  g_assert_no_error (error);
  store_participant_clear (&p);
  c->provider_session = session_for (c, c->provider);
  c->other_session = session_for (c, c->other);
  c->admin_session = session_for (c, c->admin);
}

static void
clinic_close (Clinic *c)
{
  sig_hub_free (c->app.hub);
  g_clear_pointer (&c->app.signin, th_signin_gate_free);
  store_fixture_close (c->app.store, c->dir, c->path);
  th_config_free (c->app.config);
  g_free (c->app.base_url);
  g_free (c->provider);
  g_free (c->other);
  g_free (c->admin);
  g_free (c->provider_session);
  g_free (c->other_session);
  g_free (c->admin_session);
  g_free (c->visit);
  g_free (c->other_visit);
  g_free (c->patient_token);
}

typedef struct {
  ThHttpMethod method;
  const char *path;
  const char *session; /* a staff session id, or NULL */
  gboolean csrf;       /* send the session's own CSRF token */
  const char *bearer;  /* a join token, or NULL */
  const char *body;
} Call;

/* Runs one request through th_api_handle; returns the status, and the
 * answer's error code in *code (g_free) when it is an error. */
/* One request, by designated fields. */
#define REQ(...) (&(Call) { __VA_ARGS__ })
#define GET TH_HTTP_GET
#define POST TH_HTTP_POST

static guint
run (Clinic *c, const Call *call, ThHttpResponse *out, char **code)
{
  g_autofree char *csrf = call->csrf && call->session ? th_csrf_token (call->session) : NULL;
  ThHttpRequest req = {
    .method = call->method,
    .path = call->path,
    .session_id = call->session,
    .csrf = csrf,
    .bearer = call->bearer,
    .address = "127.0.0.1",
    .body = call->body,
    .body_len = call->body ? strlen (call->body) : 0,
  };
  json_t *body;

  memset (out, 0, sizeof *out);
  th_api_handle (&c->app, &req, out);
  g_assert_nonnull (out->body);
  body = json_loads (out->body, 0, NULL);
  g_assert_nonnull (body);
  if (code)
    *code = g_strdup (
      json_string_value (json_object_get (json_object_get (body, "error"), "code")));
  /* What the refusal audit reads is what the client was sent. */
  if (out->status >= 400)
    g_assert_cmpstr (out->error_code, ==,
                     json_string_value (json_object_get (json_object_get (body, "error"), "code")));
  json_decref (body);
  return out->status;
}

static void
response_clear (ThHttpResponse *r)
{
  g_free (r->body);
  g_free (r->set_cookie);
  memset (r, 0, sizeof *r);
}

/* Status and error code of one request, the response freed. */
static void
expect (Clinic *c, const Call *call, guint status, const char *code)
{
  ThHttpResponse r;
  g_autofree char *got = NULL;

  g_assert_cmpuint (run (c, call, &r, &got), ==, status);
  g_assert_cmpstr (got, ==, code);
  response_clear (&r);
}

static const char *
last_audit_action (Clinic *c, char **detail)
{
  g_autoptr (GPtrArray) events = store_audit_list (c->app.store, 1, NULL);
  static char action[64];
  StoreAuditEvent *e;

  g_assert_nonnull (events);
  if (events->len == 0)
    return "";
  e = g_ptr_array_index (events, 0);
  g_strlcpy (action, e->action, sizeof action);
  if (detail)
    *detail = g_strdup (e->detail);
  return action;
}

static void
test_dispatch (void)
{
  Clinic c;
  ThHttpResponse r;
  g_autofree char *visit_path = NULL, *other_path = NULL, *notes = NULL, *chat = NULL;
  g_autofree char *other_chat = NULL, *detail = NULL, *record = NULL;

  clinic_open (&c);
  visit_path = g_strconcat ("/api/visits/", c.visit, NULL);
  other_path = g_strconcat ("/api/visits/", c.other_visit, NULL);
  notes = g_strconcat (visit_path, "/notes", NULL);
  record = g_strconcat (visit_path, "/record", NULL);
  chat = g_strconcat (visit_path, "/chat", NULL);
  other_chat = g_strconcat (other_path, "/chat", NULL);

  /* Unknown paths, and known ones asked the wrong way (before any sign-in
   * is looked at). */
  expect (&c, REQ (.method = GET, .path = "/api/nothing-here"), 404, "not-found");
  g_assert_cmpstr (last_audit_action (&c, &detail), ==, "http.refused");
  g_assert_nonnull (strstr (detail, "\"code\":\"not-found\""));
  g_clear_pointer (&detail, g_free);
  expect (&c, REQ (.method = GET, .path = "/api/visits/NOT-OURS"), 404, "not-found");
  g_assert_cmpuint (run (&c, REQ (.method = TH_HTTP_OTHER, .path = "/api/visits"), &r, NULL), ==,
                    405);
  g_assert_cmpstr (r.allow, ==, "GET, POST");
  response_clear (&r);
  g_assert_cmpuint (run (&c, REQ (.method = POST, .path = record), &r, NULL), ==, 405);
  g_assert_cmpstr (r.allow, ==, "GET");
  response_clear (&r);
  g_assert_cmpuint (run (&c, REQ (.method = GET, .path = notes), &r, NULL), ==, 405);
  g_assert_cmpstr (r.allow, ==, "POST");
  response_clear (&r);
  g_assert_cmpuint (run (&c, REQ (.method = GET, .path = "/api/orders/abc/cosign"), &r, NULL), ==,
                    405);
  response_clear (&r);

  /* Who may call. */
  expect (&c, REQ (.method = GET, .path = "/healthz"), 200, NULL);
  expect (&c, REQ (.method = GET, .path = "/api/visits"), 401, "unauthorized");
  expect (&c, REQ (.method = GET, .path = "/api/visits", .session = "not-a-session"), 401,
          "unauthorized");
  expect (&c, REQ (.method = GET, .path = record, .bearer = c.patient_token), 401, "unauthorized");
  expect (&c,
          REQ (.method = POST, .path = "/api/visits", .session = c.provider_session, .body = "{}"),
          403, "csrf");
  expect (&c, REQ (.method = GET, .path = "/api/consent", .session = c.provider_session), 401,
          "unauthorized");
  expect (&c, REQ (.method = GET, .path = "/api/consent", .bearer = "forged"), 401, "unauthorized");
  g_assert_cmpstr (last_audit_action (&c, NULL), ==, "http.refused");

  /* Which visit: the provider's own; an admin reads but does not write
   * (403: one who may read it is told why); a stranger and an unknown id
   * get the same 404. */
  expect (&c, REQ (.method = GET, .path = visit_path, .session = c.provider_session), 200, NULL);
  g_assert_cmpstr (last_audit_action (&c, NULL), ==, "visit.view");
  expect (&c, REQ (.method = GET, .path = visit_path, .session = c.admin_session), 200, NULL);
  expect (&c, REQ (.method = GET, .path = visit_path, .session = c.other_session), 404,
          "not-found");
  expect (&c, REQ (.method = GET, .path = "/api/visits/00000000-0000-4000-8000-000000000000",
                   .session = c.provider_session), 404, "not-found");
  expect (&c, REQ (.method = POST, .path = notes, .session = c.admin_session, .csrf = TRUE,
                   .body = "{\"text\":\"x\"}"), 403, "forbidden");
  expect (&c, REQ (.method = POST, .path = notes, .session = c.other_session, .csrf = TRUE,
                   .body = "{\"text\":\"x\"}"), 404, "not-found");
  expect (&c, REQ (.method = POST, .path = notes, .session = c.provider_session, .csrf = TRUE,
                   .body = "{\"text\":\"x\"}"), 201, NULL);
  /* A join token reaches its own visit only. */
  expect (&c, REQ (.method = GET, .path = chat, .bearer = c.patient_token), 200, NULL);
  expect (&c, REQ (.method = GET, .path = other_chat, .bearer = c.patient_token), 404, "not-found");
  expect (&c, REQ (.method = GET, .path = other_chat, .session = c.provider_session), 404,
          "not-found");

  /* A failed sign-in has its own audit row, not an http.refused one. */
  expect (&c,
          REQ (.method = POST, .path = "/api/session",
               .body = "{\"username\":\"nobody\",\"password\":\"wrong\"}"),
          401, "bad-credentials");
  g_assert_cmpstr (last_audit_action (&c, NULL), ==, "login.failed");

  /* The visit cannot be read: a 500 with its cause in the log, never the
   * 404 that would tell the provider the visit is not theirs. */
  raw_exec (c.app.store, "ALTER TABLE visits RENAME TO visits_gone");
  expect_no_warning ();
  expect (&c, REQ (.method = GET, .path = visit_path, .session = c.provider_session), 500,
          "internal");
  expect_warning ("GET /api/visits/");

  clinic_close (&c);
}

/* ------------------------------------------------------------ responses */

static void
test_respond (void)
{
  ThHttpResponse r = { 0 };

  /* A value that could not be packed (json_pack gives NULL) is a 500 with
   * its cause logged, never `200 {}`. */
  th_respond_json (&r, 200, NULL);
  expect_warning ("a 200 answer could not be built (no JSON value");
  g_assert_cmpuint (r.status, ==, 500);
  g_assert_cmpstr (r.error_code, ==, "internal");
  g_assert_nonnull (strstr (r.body, "\"code\":\"internal\""));
  response_clear (&r);

  th_respond_error (&r, 404, "not-found", "There is nothing at this address.");
  g_assert_cmpuint (r.status, ==, 404);
  g_assert_cmpstr (r.error_code, ==, "not-found");
  response_clear (&r);

  th_respond_json (&r, 200, json_pack ("{s:s}", "status", "ok"));
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpstr (r.body, ==, "{\"status\":\"ok\"}");
  g_assert_cmpstr (r.error_code, ==, "");
  response_clear (&r);
  expect_no_warning ();
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  warnings = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_add_func ("/api-routes/table", test_table);
  g_test_add_func ("/api-routes/check-refuses", test_check_refuses);
  g_test_add_func ("/api-routes/dispatch", test_dispatch);
  g_test_add_func ("/api-routes/respond", test_respond);
  status = g_test_run ();
  g_ptr_array_unref (warnings);
  return status;
}
