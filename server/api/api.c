/* api.c — the REST API's one route table and its dispatcher: the path is
 * matched once, the caller resolved (session and CSRF, or join token), the
 * :visit loaded and its access checked, then the handler runs. Responses
 * and the refusal audit live here too. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/api/labs.h"
#include "server/api/problems.h"
#include "server/api/reproductive.h"
#include "server/clock/clock.h"

#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

void
th_clinic_today (ThApp *app, GDate *out)
{
  th_clock_local_date (app->config->time_zone, store_now_ms (), out);
}

/* What a response that could not be built says instead. */
static const char kInternalBody[] =
  "{\"error\":{\"code\":\"internal\",\"message\":\"The answer could not be put "
  "together. Try again in a moment; if this keeps happening, tell the clinic's "
  "administrator.\"}}";

static void
respond_internal (ThHttpResponse *r)
{
  g_free (r->body);
  r->status = 500;
  r->body = g_strdup (kInternalBody);
  r->content_type = NULL;
  g_strlcpy (r->error_code, "internal", sizeof r->error_code);
}

void
th_respond_json (ThHttpResponse *r, guint status, json_t *obj)
{
  /* 15 significant digits: a decimal as entered (0.6 mmol/L) is written
   * back as 0.6, not as its binary neighbour 0.59999999999999998 (17). */
  char *text = obj ? json_dumps (obj, JSON_COMPACT | JSON_REAL_PRECISION (15)) : NULL;

  /* A value that could not be packed or written is no answer: never send
   * `{}` as though all went well. */
  if (!text) {
    g_warning ("a %u answer could not be built (%s); answering 500", status,
               obj ? "json_dumps failed" : "no JSON value: json_pack failed or memory ran out");
    json_decref (obj);
    respond_internal (r);
    return;
  }
  g_free (r->body);
  r->status = status;
  r->body = g_strdup (text);
  r->error_code[0] = '\0';
  free (text);
  json_decref (obj);
}

void
th_respond_error (ThHttpResponse *r, guint status, const char *code, const char *message)
{
  th_respond_json (r, status,
                   json_pack ("{s:{s:s, s:s}}", "error", "code", code, "message", message));
  if (r->status == status)
    g_strlcpy (r->error_code, code, sizeof r->error_code);
}

void
th_respond_store_error (ThHttpResponse *r, const GError *error, const char *message)
{
  /* Another process (the admin CLI) holds the write lock for longer than
   * the server waits (store_set_busy_timeout): not a fault, worth a retry. */
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_BUSY)) {
    th_respond_error (r, 503, "busy",
                      "The clinic's record is busy for a moment. Try again in a few seconds; "
                      "nothing was lost.");
    r->retry_after = 1;
    return;
  }
  th_respond_error (r, 500, "internal", message);
  g_free (r->failure);
  /* The store's messages name a statement and sqlite's complaint ("get
   * checkin: no such table: checkins"), never a value: safe to log. */
  r->failure = error
                 ? g_strdup_printf ("store failure: %s %d: %s", g_quark_to_string (error->domain),
                                    error->code, error->message)
                 : g_strdup ("store failure: no cause given");
}

gboolean
th_store_absent (const GError *error)
{
  return g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
}

void
th_caller_clear (ThCaller *caller)
{
  g_free (caller->staff_id);
  g_free (caller->staff_role);
  store_participant_clear (&caller->participant);
  g_free (caller->diary_patient_id);
  g_free (caller->diary_link_id);
  memset (caller, 0, sizeof *caller);
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

  return json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:i, s:s}", "id", v->id, "state",
                    visit_state_name (v->state), "scheduled_at", at, "modality",
                    v->modality ? v->modality : "video", "patient", "id", v->patient_id,
                    "display_name", v->patient_name ? v->patient_name : "", "length_minutes",
                    (json_int_t) v->length_minutes, "type",
                    v->visit_type ? v->visit_type : "follow_up");
}

gboolean
th_caller_is_desk (const ThCaller *caller)
{
  return caller->kind == CALLER_STAFF && g_strcmp0 (caller->staff_role, "scheduler") == 0;
}

gboolean
th_caller_sees_all (const ThCaller *caller)
{
  return caller->kind == CALLER_STAFF &&
         (th_caller_is_desk (caller) || g_strcmp0 (caller->staff_role, "admin") == 0);
}

/* ---------------------------------------------------------- the table */

#define GET TH_HTTP_GET
#define POST TH_HTTP_POST
#define ANYONE TH_WHO_ANYONE
#define LINK TH_WHO_LINK
#define STAFF TH_WHO_STAFF
#define STAFF_OR_LINK TH_WHO_STAFF_OR_LINK
#define LINK_ANY_TIME TH_WHO_LINK_ANY_TIME
#define DESK TH_WHO_DESK
#define DIARY TH_WHO_DIARY
#define SCHEDULE_VISIT TH_VISIT_SCHEDULE
#define NO_VISIT TH_VISIT_NONE
#define OWN_VISIT TH_VISIT_OWN
#define READABLE_VISIT TH_VISIT_READABLE
/* Five arguments, all required: a route cannot leave its rules out. */
#define ROUTE(method, pattern, who, visit, handler) \
  {                                                 \
    method, pattern, who, visit, handler, #handler  \
  }

static const ThRoute kRoutes[] = {
  ROUTE (GET, "/healthz", ANYONE, NO_VISIT, th_get_health),
  /* DESK: the front desk (scheduler) too, on these routes only: its own
   * account, the schedule, booking, the patients' details. Everything else
   * is STAFF, which answers the front desk 403. */
  ROUTE (GET, "/api/me", DESK, NO_VISIT, th_get_me),
  ROUTE (GET, "/api/session", DESK, NO_VISIT, th_get_session),
  ROUTE (POST, "/api/session", ANYONE, NO_VISIT, th_post_session),
  ROUTE (POST, "/api/session/logout", DESK, NO_VISIT, th_post_logout),
  ROUTE (GET, "/api/ice-servers", STAFF_OR_LINK, NO_VISIT, th_get_ice_servers),
  ROUTE (GET, "/api/catalog", STAFF_OR_LINK, NO_VISIT, th_get_catalog),
  /* What a link is for (its visit's time, provider, state), asked before
   * the link opens and after it closed too: the join page says it. */
  ROUTE (GET, "/api/link", LINK_ANY_TIME, NO_VISIT, th_get_link),
  ROUTE (GET, "/api/consent", LINK, NO_VISIT, th_get_consent),
  ROUTE (POST, "/api/consent", LINK, NO_VISIT, th_post_consent),
  ROUTE (GET, "/api/visits", DESK, NO_VISIT, th_list_visits),
  /* The push channel of the console and the schedule page: an event
   * stream of the visits above (their ids only). */
  ROUTE (GET, "/api/events", DESK, NO_VISIT, th_get_events),
  ROUTE (POST, "/api/visits", DESK, NO_VISIT, th_create_visit),
  ROUTE (GET, "/api/schedule", DESK, NO_VISIT, th_get_schedule),
  ROUTE (GET, "/api/providers", DESK, NO_VISIT, th_get_providers),
  ROUTE (POST, "/api/visits/:visit/move", DESK, SCHEDULE_VISIT, th_move_visit),
  ROUTE (POST, "/api/visits/:visit/cancel", DESK, SCHEDULE_VISIT, th_cancel_visit),
  ROUTE (GET, "/api/visits/:visit", STAFF, READABLE_VISIT, th_get_visit),
  ROUTE (GET, "/api/visits/:visit/record", STAFF, READABLE_VISIT, th_get_record),
  ROUTE (GET, "/api/visits/:visit/fhir", STAFF, READABLE_VISIT, th_get_fhir),
  ROUTE (POST, "/api/visits/:visit/notes", STAFF, OWN_VISIT, th_post_note),
  ROUTE (POST, "/api/visits/:visit/adjustments", STAFF, OWN_VISIT, th_post_adjustment),
  ROUTE (POST, "/api/visits/:visit/orders/:order/renew", STAFF, OWN_VISIT, th_post_renew),
  /* The next follow-up: the suggestion (an admin may read it), booking it. */
  ROUTE (GET, "/api/visits/:visit/follow-up", STAFF, READABLE_VISIT, th_get_follow_up),
  ROUTE (POST, "/api/visits/:visit/follow-up", STAFF, OWN_VISIT, th_post_follow_up),
  /* Who is overdue: the caller's patients, an admin's all (the handler). */
  ROUTE (GET, "/api/overdue", STAFF, NO_VISIT, th_get_overdue),
  ROUTE (GET, "/api/visits/:visit/guests", STAFF, READABLE_VISIT, th_list_guests),
  ROUTE (POST, "/api/visits/:visit/guests", STAFF, OWN_VISIT, th_post_guest),
  ROUTE (POST, "/api/visits/:visit/guests/:participant/revoke", STAFF, OWN_VISIT, th_revoke_guest),
  ROUTE (GET, "/api/visits/:visit/chat", STAFF_OR_LINK, READABLE_VISIT, th_get_chat),
  /* The messages to the patient (issue 13): what went, when, whether it
   * failed; never a body or a link. Read like the visit. */
  ROUTE (GET, "/api/visits/:visit/messages", DESK, SCHEDULE_VISIT, th_get_messages),
  ROUTE (GET, "/api/visits/:visit/checkin", STAFF_OR_LINK, READABLE_VISIT, th_get_checkin),
  /* Any caller of the visit gets as far as the handler, which takes answers
   * from the patient's own link only (a 403 tells the others why). */
  ROUTE (POST, "/api/visits/:visit/checkin", STAFF_OR_LINK, READABLE_VISIT, th_post_checkin),
  /* The patients: an admin (the front desk) any; a clinician those they
   * created or have a visit with, checked in the handler (patients.c). */
  ROUTE (GET, "/api/patients", DESK, NO_VISIT, th_find_patients),
  ROUTE (POST, "/api/patients", DESK, NO_VISIT, th_create_patient),
  ROUTE (GET, "/api/patients/:patient", DESK, NO_VISIT, th_get_patient),
  ROUTE (POST, "/api/patients/:patient", DESK, NO_VISIT, th_update_patient),
  ROUTE (GET, "/api/regions", DESK, NO_VISIT, th_get_regions),
  /* A patient's routes check the patient (one visit together, or an admin
   * reading) in the handler. */
  ROUTE (GET, "/api/patients/:patient/timeline", STAFF, NO_VISIT, th_get_timeline),
  ROUTE (GET, "/api/patients/:patient/fhir", STAFF, NO_VISIT, th_get_patient_fhir),
  ROUTE (POST, "/api/patients/:patient/in-person-evaluation", STAFF, NO_VISIT,
         th_post_in_person_evaluation),
  /* Real prescriptions (prescriptions.c, pdmp.c): the pharmacy and the PDMP
   * checks, the patient's access checked in the handler. */
  ROUTE (GET, "/api/patients/:patient/pharmacy", STAFF, NO_VISIT, th_get_pharmacy),
  ROUTE (POST, "/api/patients/:patient/pharmacy", STAFF, NO_VISIT, th_post_pharmacy),
  ROUTE (GET, "/api/patients/:patient/pdmp-checks", STAFF, NO_VISIT, th_get_pdmp_checks),
  ROUTE (POST, "/api/patients/:patient/pdmp-checks", STAFF, NO_VISIT, th_post_pdmp_check),
  /* An order's routes check the order's prescriber and supervisor in the
   * handler. */
  ROUTE (GET, "/api/orders/pending", STAFF, NO_VISIT, th_get_pending),
  ROUTE (POST, "/api/orders/:order/cosign", STAFF, NO_VISIT, th_post_cosign),
  ROUTE (POST, "/api/orders/:order/decline", STAFF, NO_VISIT, th_post_decline),
  ROUTE (POST, "/api/orders/:order/acknowledge-stop", STAFF, NO_VISIT, th_post_acknowledge_stop),
  ROUTE (POST, "/api/orders/:order/entered-in-error", STAFF, NO_VISIT, th_post_entered_in_error),
  /* A message's retry checks its visit in the handler as READABLE_VISIT
   * would (its provider, or an admin: the front desk sends it again). */
  ROUTE (POST, "/api/messages/:message/retry", DESK, NO_VISIT, th_retry_message),
  /* The care team (careteam.c): read by whoever may see the patient;
   * changed by the front desk or a clinician who saw the patient or is on
   * the team, checked in the handler. */
  ROUTE (GET, "/api/patients/:patient/care-team", DESK, NO_VISIT, th_get_care_team),
  ROUTE (POST, "/api/patients/:patient/care-team", DESK, NO_VISIT, th_post_care_team),
  ROUTE (POST, "/api/patients/:patient/care-team/:staff/remove", DESK, NO_VISIT,
         th_post_care_team_remove),
  /* Monitoring alerts and item-9 safety tasks (safety.c, safety_tasks.c):
   * never the front desk; the patient's record access decides the rest
   * (careteam.c), acknowledging and closing are a clinician's. */
  ROUTE (GET, "/api/alerts", STAFF, NO_VISIT, th_get_open_alerts),
  ROUTE (POST, "/api/alerts/:alert/acknowledge", STAFF, NO_VISIT, th_post_alert_ack),
  ROUTE (GET, "/api/patients/:patient/alerts", STAFF, NO_VISIT, th_get_patient_alerts),
  ROUTE (GET, "/api/patients/:patient/safety-tasks", STAFF, NO_VISIT, th_get_safety_tasks),
  ROUTE (POST, "/api/safety-tasks/:task/close", STAFF, NO_VISIT, th_post_safety_close),
  /* Labs and vital signs (labs.c): read by whoever reads the record,
   * recorded by a clinician who may write it, checked in the handler. */
  ROUTE (GET, "/api/patients/:patient/observations", STAFF, NO_VISIT, th_get_observations),
  ROUTE (GET, "/api/patients/:patient/other-medications", STAFF, NO_VISIT, th_get_other_meds),
  ROUTE (POST, "/api/patients/:patient/other-medications", STAFF, NO_VISIT, th_post_other_med),
  ROUTE (POST, "/api/patients/:patient/other-medications/:id/stop", STAFF, NO_VISIT,
         th_post_other_med_stop),
  ROUTE (POST, "/api/patients/:patient/other-medications/:id/verify", STAFF, NO_VISIT,
         th_post_other_med_verify),
  ROUTE (POST, "/api/patients/:patient/observations", STAFF, NO_VISIT, th_post_observation),
  ROUTE (GET, "/api/patients/:patient/monitoring", STAFF, NO_VISIT, th_get_monitoring),
  /* Diagnoses and allergies (issue 15): the record's readers, a clinician
   * of the patient to write (checked in the handlers, problems.c). */
  ROUTE (GET, "/api/patients/:patient/conditions", STAFF, NO_VISIT, th_get_conditions),
  ROUTE (POST, "/api/patients/:patient/conditions", STAFF, NO_VISIT, th_post_condition),
  ROUTE (POST, "/api/patients/:patient/conditions/:condition/status", STAFF, NO_VISIT,
         th_post_condition_status),
  ROUTE (GET, "/api/patients/:patient/allergies", STAFF, NO_VISIT, th_get_allergies),
  ROUTE (POST, "/api/patients/:patient/allergies", STAFF, NO_VISIT, th_post_allergy),
  ROUTE (POST, "/api/patients/:patient/allergies/:allergy/status", STAFF, NO_VISIT,
         th_post_allergy_status),
  /* The between-visit diary (issue 14): the patient's own page, opened by
   * a diary link (DIARY: never a join token); staff make and revoke links
   * and read the diary of a patient whose record they may read (checked in
   * the handler). */
  ROUTE (GET, "/api/diary", DIARY, NO_VISIT, th_get_diary),
  ROUTE (POST, "/api/diary/entries", DIARY, NO_VISIT, th_post_diary_entry),
  ROUTE (POST, "/api/diary/reminder", DIARY, NO_VISIT, th_post_diary_reminder),
  ROUTE (GET, "/api/patients/:patient/diary-link", STAFF, NO_VISIT, th_get_diary_link),
  ROUTE (POST, "/api/patients/:patient/diary-link", STAFF, NO_VISIT, th_post_diary_link),
  ROUTE (POST, "/api/patients/:patient/diary-link/revoke", STAFF, NO_VISIT,
         th_post_diary_link_revoke),
  ROUTE (GET, "/api/patients/:patient/diary", STAFF, NO_VISIT, th_get_patient_diary),
  /* Pregnancy potential (issue 15): read with the record, written by a
   * clinician who may write the patient's facts (checked in the handler). */
  ROUTE (GET, "/api/patients/:patient/reproductive", STAFF, NO_VISIT, th_get_reproductive),
  ROUTE (POST, "/api/patients/:patient/reproductive", STAFF, NO_VISIT, th_post_reproductive),
};

const ThRoute *
th_api_routes (guint *n)
{
  *n = G_N_ELEMENTS (kRoutes);
  return kRoutes;
}

/* Whether some path matches both patterns (segment by segment, a parameter
 * matches any id, and so may a literal that looks like one). */
static gboolean
patterns_overlap (const char *a, const char *b)
{
  g_auto (GStrv) x = g_strsplit (a, "/", -1);
  g_auto (GStrv) y = g_strsplit (b, "/", -1);

  if (g_strv_length (x) != g_strv_length (y))
    return FALSE;
  for (guint i = 0; x[i]; i++)
    if (x[i][0] != ':' && y[i][0] != ':' && strcmp (x[i], y[i]) != 0)
      return FALSE;
  return TRUE;
}

gboolean
th_api_routes_check (const ThRoute *routes, guint n, GError **error)
{
  for (guint i = 0; i < n; i++) {
    const ThRoute *t = &routes[i];
    gboolean has_visit = t->pattern && strstr (t->pattern, "/:visit") != NULL;
    const char *problem = NULL;

    if (!t->pattern || !th_route_pattern_valid (t->pattern))
      problem = "its pattern is not valid";
    else if (t->method != TH_HTTP_GET && t->method != TH_HTTP_POST)
      problem = "its method is neither GET nor POST";
    else if (!t->handler)
      problem = "it has no handler";
    else if (t->who == TH_WHO_UNDECLARED || t->who > TH_WHO_DIARY)
      problem = "it does not say who may call it";
    else if (t->visit == TH_VISIT_UNDECLARED || t->visit > TH_VISIT_SCHEDULE)
      problem = "it does not say which visit access it needs";
    else if (has_visit && t->visit == TH_VISIT_NONE)
      problem = "it names a :visit but checks no access to it";
    else if (!has_visit && t->visit != TH_VISIT_NONE)
      problem = "it asks for visit access but names no :visit";
    else if (t->visit != TH_VISIT_NONE && t->who == TH_WHO_ANYONE)
      problem = "anyone may call it, yet it reads a visit";
    else if (t->visit != TH_VISIT_NONE && t->who == TH_WHO_LINK_ANY_TIME)
      problem = "a link outside its window may call it, yet it reads a visit";
    else if (t->visit != TH_VISIT_NONE && t->who == TH_WHO_DIARY)
      problem = "a diary link may call it, yet it reads a visit";
    else if ((t->visit == TH_VISIT_SCHEDULE) != (t->who == TH_WHO_DESK && has_visit))
      problem = "only a front-desk route may schedule a visit, and it may do nothing else";
    for (guint j = 0; !problem && j < i; j++)
      if (routes[j].method == t->method && patterns_overlap (routes[j].pattern, t->pattern))
        problem = "an earlier route of the same method matches the same paths";
    if (problem) {
      g_set_error (error, g_quark_from_static_string ("th-api-routes"), 0,
                   "route %u (%s %s, %s): %s", i, t->method == TH_HTTP_POST ? "POST" : "GET",
                   t->pattern ? t->pattern : "?", t->name ? t->name : "?", problem);
      return FALSE;
    }
  }
  return TRUE;
}

/* --------------------------------------------------------- the caller */

/* The staff member behind the session cookie, with their role; FALSE after
 * a 401 (and, for anything but a GET without the session's CSRF token, a
 * 403, as for the front desk on a route that is not `desk`'s). */
static gboolean
resolve_staff (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, gboolean desk,
               ThCaller *out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;

  if (!req->session_id) {
    th_respond_error (r, 401, "unauthorized", "Please sign in.");
    return FALSE;
  }
  /* A page polling by itself is no sign that anyone is at the screen:
   * only the user's own requests keep the session from its idle end. */
  out->staff_id = store_resolve_session_full (app->store, req->session_id, store_now_ms (),
                                              (gint64) app->config->session_idle_s * 1000,
                                              !req->background, &error);
  if (!out->staff_id) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
      th_respond_error (r, 401, "session-expired",
                        "Your session ended after a time without activity. Sign in again.");
    else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
      th_respond_error (r, 401, "unauthorized", "Please sign in.");
    else
      th_respond_store_error (r, error,
                              "Your sign-in could not be checked. Try again in a moment.");
    return FALSE;
  }
  out->kind = CALLER_STAFF;
  /* Anything that changes state must prove it comes from our own page. */
  if (req->method != TH_HTTP_GET) {
    expected = th_csrf_token (req->session_id);
    if (!req->csrf || strlen (req->csrf) != strlen (expected) ||
        CRYPTO_memcmp (req->csrf, expected, strlen (expected)) != 0) {
      th_respond_error (r, 403, "csrf",
                        "This request did not come from the clinic's own page (its security token "
                        "is missing or wrong). Reload the page and try again.");
      return FALSE;
    }
  }
  if (!store_get_staff (app->store, out->staff_id, NULL, &out->staff_role, &error)) {
    th_respond_store_error (r, error, "Your account could not be read. Try again in a moment.");
    return FALSE;
  }
  /* The front desk sees names and times, never the clinical record. */
  if (!desk && th_caller_is_desk (out)) {
    th_respond_error (r, 403, "front-desk",
                      "Front-desk accounts cannot open the clinical record. The schedule and "
                      "the patients' details are open to you.");
    return FALSE;
  }
  return TRUE;
}

/* A link refused (401): the words for the patient end with who to call,
 * and the error carries the clinic's number for the page to offer as a call
 * (`clinic_phone`, null when [clinic] phone is not set). */
static void
respond_link_refused (ThApp *app, ThHttpResponse *r, const char *words)
{
  const char *phone = app->config->clinic_phone;
  g_autofree char *message =
    phone ? g_strdup_printf ("%s Call your clinic at %s for help or a new link.", words, phone)
          : g_strdup_printf ("%s Call your clinic for help or a new link.", words);

  th_respond_json (r, 401,
                   json_pack ("{s:{s:s, s:s, s:s?}}", "error", "code", "unauthorized", "message",
                              message, "clinic_phone", phone));
  if (r->status == 401)
    g_strlcpy (r->error_code, "unauthorized", sizeof r->error_code);
}

/* The patient or guest behind a join token; FALSE after a 401 (or a 500).
 * `any_time`: the token counts outside its window too (the window is in
 * *out either way). */
static gboolean
resolve_link (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, gboolean any_time,
              ThCaller *out)
{
  g_autoptr (GError) error = NULL;
  gint64 now = store_now_ms ();

  if (!req->bearer) {
    respond_link_refused (app, r, "Open this page from your visit link.");
    return FALSE;
  }
  if (store_inspect_join_token (app->store, req->bearer, &out->participant, &out->link_opens_ms,
                                &out->link_closes_ms, &error)) {
    out->kind = CALLER_PATIENT;
    if (any_time || (now >= out->link_opens_ms && now <= out->link_closes_ms))
      return TRUE;
    g_set_error (&error, STORE_ERROR, STORE_ERROR_EXPIRED, "outside the link's window");
  }
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
    respond_link_refused (app, r, "This visit link works only around the visit's scheduled time.");
  else if (!error || g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND) ||
           g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
    respond_link_refused (app, r, "This visit link is not valid. Check that it was copied whole.");
  else
    th_respond_store_error (r, error,
                            "Your visit link could not be checked. Try again in a moment.");
  return FALSE;
}

/* The patient behind a diary link; FALSE after a 401 (or a 500). A join
 * token is not a diary link: it is unknown here. */
static gboolean
resolve_diary (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, ThCaller *out)
{
  g_autoptr (GError) error = NULL;

  if (!req->bearer) {
    respond_link_refused (app, r, "Open your diary from the diary link your clinic sent you.");
    return FALSE;
  }
  if (store_diary_link_resolve (app->store, req->bearer, &out->diary_link_id,
                                &out->diary_patient_id, &error)) {
    out->kind = CALLER_DIARY;
    return TRUE;
  }
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
    respond_link_refused (app, r, "Your clinic has turned this diary link off.");
  else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    respond_link_refused (app, r, "This diary link is not valid. Check that it was copied whole.");
  else
    th_respond_store_error (r, error,
                            "Your diary link could not be checked. Try again in a moment.");
  return FALSE;
}

static gboolean
resolve_caller (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, ThRouteWho who,
                ThCaller *out)
{
  switch (who) {
  case TH_WHO_ANYONE:
    return TRUE;
  case TH_WHO_LINK:
    return resolve_link (app, req, r, FALSE, out);
  case TH_WHO_LINK_ANY_TIME:
    return resolve_link (app, req, r, TRUE, out);
  case TH_WHO_STAFF:
    return resolve_staff (app, req, r, FALSE, out);
  case TH_WHO_DESK:
    return resolve_staff (app, req, r, TRUE, out);
  case TH_WHO_STAFF_OR_LINK:
    /* A join token is explicit; the cookie of a staff member signed in in
     * the same browser would be ambient. The explicit one wins. */
    return req->bearer ? resolve_link (app, req, r, FALSE, out)
                       : resolve_staff (app, req, r, FALSE, out);
  case TH_WHO_DIARY:
    return resolve_diary (app, req, r, out);
  case TH_WHO_UNDECLARED:
  default:
    break;
  }
  g_warning ("a route without a declared caller was refused");
  th_respond_error (r, 500, "internal",
                    "This address is not set up properly. Tell the clinic's administrator.");
  return FALSE;
}

/* ---------------------------------------------------------- the visit */

/* Whether a staff member who is not the visit's provider may open it:
 * reading, when they may read the patient's record (careteam.c: the front
 * desk, a clinician who saw the patient, their care team, the supervisor of
 * a PA who saw them); writing never (a 403 when they may read it, so the
 * supervisor is told why, the 404 of load_visit otherwise). */
static gboolean
staff_may_open (ThApp *app, const ThRoute *route, ThApiCall *call, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *msg = NULL;
  ThPatientAccess access;

  if (!th_patient_access (app, &call->caller, call->visit.patient_id, &access, &error)) {
    th_respond_store_error (r, error, "The visit could not be read. Try again in a moment.");
    return FALSE;
  }
  if (!access.read_record) {
    th_respond_error (r, 404, "not-found", "This visit is not among your visits.");
    return FALSE;
  }
  if (route->visit == TH_VISIT_READABLE)
    return TRUE;
  msg = g_strdup_printf ("Only %s, the provider of this visit, can write in it; you can read it.",
                         call->visit.provider_name ? call->visit.provider_name : "the provider");
  th_respond_error (r, 403, "forbidden", msg);
  return FALSE;
}

/* Loads the route's :visit into call->visit when the caller may have it:
 * its provider, a holder of the visit's own link, or, where the route only
 * reads, whoever may read the patient's record (staff_may_open). "Absent"
 * and "not yours" get the same 404 (ids are not to be probed); a store
 * failure is a 500, never a 404. */
static gboolean
load_visit (ThApp *app, const ThRoute *route, ThApiCall *call, ThHttpResponse *r)
{
  const char *visit_id = th_route_param (&call->params, "visit");
  const ThCaller *caller = &call->caller;
  g_autoptr (GError) error = NULL;

  /* Fail closed on a route whose rules do not fit its path (the table test
   * keeps these out; this keeps a slip from ever opening a visit). */
  if (route->visit == TH_VISIT_NONE && !visit_id)
    return TRUE;
  if (!visit_id || route->visit == TH_VISIT_NONE || route->visit == TH_VISIT_UNDECLARED ||
      caller->kind == CALLER_ANONYMOUS) {
    g_warning ("route %s: no visit access declared; refused", route->pattern);
    th_respond_error (r, 500, "internal",
                      "This address is not set up properly. Tell the clinic's administrator.");
    return FALSE;
  }
  if (caller->kind == CALLER_PATIENT && g_strcmp0 (caller->participant.visit_id, visit_id) != 0)
    goto not_yours;
  if (!store_get_visit (app->store, visit_id, &call->visit, &error)) {
    if (error && !g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      th_respond_store_error (r, error, "The visit could not be read. Try again in a moment.");
      return FALSE;
    }
    goto not_yours;
  }
  /* Belt and braces: the front desk reaches a visit only to schedule it. */
  if (th_caller_is_desk (caller) && route->visit != TH_VISIT_SCHEDULE)
    goto not_yours;
  if (caller->kind == CALLER_STAFF && g_strcmp0 (call->visit.provider_id, caller->staff_id) != 0) {
    /* The admin and the front desk move and cancel anyone's visit. */
    if (route->visit == TH_VISIT_SCHEDULE && th_caller_sees_all (caller))
      return TRUE;
    return staff_may_open (app, route, call, r);
  }
  return TRUE;

not_yours:
  if (caller->kind == CALLER_PATIENT)
    th_respond_error (r, 404, "not-found",
                      "This visit link does not match a visit. Ask the clinic for a new link.");
  else
    th_respond_error (r, 404, "not-found", "This visit is not among your visits.");
  return FALSE;
}

/* ------------------------------------------------------ the dispatcher */

static const char *
method_name (ThHttpMethod method)
{
  return method == TH_HTTP_GET ? "GET" : method == TH_HTTP_POST ? "POST" : "OTHER";
}

static void
respond_not_allowed (ThHttpResponse *r, gboolean get, gboolean post)
{
  r->allow = get && post ? "GET, POST" : get ? "GET" : "POST";
  th_respond_error (r, 405, "method-not-allowed",
                    get && post ? "This address takes GET or POST requests only."
                    : get       ? "This address takes GET requests only."
                                : "This address takes POST requests only.");
}

/* A URI that still looks like a climb after lws's decoding (double
 * encoding, backslashes) is noted; lws answers it with 404 as well. */
void
th_api_uri_seen (ThApp *app, const char *address, const char *uri)
{
  if (th_path_climbs (uri))
    th_api_refused (app, &(ThHttpRefusal) {
                           .address = address, .status = 404, .code = "path-traversal" });
}

gboolean
th_api_match (const ThHttpRequest *req, ThHttpResponse *r, const ThRoute **route_out,
              ThRouteParams *params_out)
{
  const ThRoute *route = NULL;
  gboolean path_known = FALSE, get = FALSE, post = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (kRoutes); i++) {
    ThRouteParams params;
    if (!th_route_match (kRoutes[i].pattern, req->path, &params))
      continue;
    /* The metrics count by pattern, never by path (it holds ids). */
    if (!path_known)
      r->route = kRoutes[i].pattern;
    path_known = TRUE;
    get |= kRoutes[i].method == TH_HTTP_GET;
    post |= kRoutes[i].method == TH_HTTP_POST;
    if (!route && kRoutes[i].method == req->method) {
      route = &kRoutes[i];
      *params_out = params;
    }
  }
  if (!path_known) {
    th_respond_error (r, 404, "not-found", "There is nothing at this address.");
    return FALSE;
  }
  if (!route) {
    respond_not_allowed (r, get, post);
    return FALSE;
  }
  r->route = route->pattern;
  *route_out = route;
  return TRUE;
}

gboolean
th_api_route_on_main (const ThRoute *route)
{
  /* The health check reads the hub's counts and no store; the sign-in
   * hands its password to the gate (accounts.h), which lives on the loop. */
  return route->handler == th_get_health || route->handler == th_post_session;
}

void
th_api_run_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThRoute *route,
                  const ThRouteParams *params)
{
  ThApiCall call = { 0 };
  ThHttpRequest quiet;

  /* The event stream is opened, and opened again, by the page itself,
   * never by a person: it does not keep the session from its idle end. */
  if (route->handler == th_get_events) {
    quiet = *req;
    quiet.background = TRUE;
    req = &quiet;
  }
  call.params = *params;
  call.pattern = route->pattern;
  if (!resolve_caller (app, req, r, route->who, &call.caller) || !load_visit (app, route, &call, r))
    goto out;
  route->handler (app, req, r, &call);
  /* A handler that answers nothing has failed somewhere it did not say. */
  if (!r->body && !r->deferred) {
    g_warning ("%s %s answered nothing; answering 500", method_name (req->method), route->pattern);
    th_respond_error (r, 500, "internal",
                      "Something went wrong on the server. Try again in a moment.");
  }
out:
  store_visit_clear (&call.visit);
  th_caller_clear (&call.caller);
}

/* Every request refused for who asked leaves an audit row (sign-in
 * failures have their own). */
static void
audit_refusal (ThApp *app, const ThHttpRequest *req, const ThHttpResponse *r)
{
  if (r->status != 401 && r->status != 403 && r->status != 404 && r->status != 413)
    return;
  if (strcmp (r->error_code, "bad-credentials") == 0)
    return;
  th_audit (app, req->address, "anonymous", "http.refused", NULL,
            json_pack ("{s:i, s:s, s:s, s:s}", "status", (json_int_t) r->status, "method",
                       method_name (req->method), "path", req->path, "code", r->error_code));
}

void
th_api_after (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  /* The cause of a 500, with the route (ids, never names), for whoever
   * keeps the server running. */
  if (r->failure) {
    g_warning ("%s %s answered %u: %s", method_name (req->method), req->path, r->status,
               r->failure);
    g_clear_pointer (&r->failure, g_free);
  }
  audit_refusal (app, req, r);
}
