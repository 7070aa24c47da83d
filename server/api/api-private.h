/* api-private.h — what the REST route files share: the route table and
 * what its handlers are given (the caller, the visit), responses, and JSON
 * for the records. */
#pragma once

#include <jansson.h>
#include "server/api/api.h"
#include "server/records/records.h"
#include "server/api/api-bodies.h"
#include "server/api/api-routes.h"
#include "server/audit.h"
#include "server/clock/clock.h" /* th_iso_from_ms: the one ISO 8601 form */

typedef enum {
  CALLER_ANONYMOUS, /* a route anyone may call: no one was asked */
  CALLER_STAFF,     /* a staff session (the th_session cookie) */
  CALLER_PATIENT,   /* a patient's (or guest's) join token */
  CALLER_DIARY,     /* a patient's diary link: their diary, never a visit */
} ThCallerKind;

typedef struct {
  ThCallerKind kind;
  char *staff_id;               /* CALLER_STAFF */
  char *staff_role;             /* psychiatrist | pmhnp | pa | pcp | admin | scheduler */
  StoreParticipant participant; /* CALLER_PATIENT: who, in which visit */
  gint64 link_opens_ms;         /* CALLER_PATIENT: the link's window, from ... */
  gint64 link_closes_ms;        /* ... to (both unix ms) */
  char *diary_patient_id;       /* CALLER_DIARY: whose diary */
  char *diary_link_id;          /* CALLER_DIARY: which link */
} ThCaller;

/* ---- the route table (api.c): every route says who may call it and which
 * visit access it needs; 0 is "not declared" in both, which the dispatcher
 * refuses (500) and tests/unit/test_api_routes.c rejects. */

typedef enum {
  TH_WHO_UNDECLARED = 0,
  TH_WHO_ANYONE,        /* no sign-in: health, signing in */
  TH_WHO_LINK,          /* a patient's or guest's join token only */
  TH_WHO_STAFF,         /* a clinical staff session (and the admin): never the front desk
                         * (scheduler), which gets a 403; the CSRF token on anything but GET */
  TH_WHO_STAFF_OR_LINK, /* either; a join token wins (it is explicit, a cookie ambient) */
  TH_WHO_LINK_ANY_TIME, /* a join token even outside its window (what the link is for,
                         * never a visit's contents: no :visit) */
  TH_WHO_DESK,          /* any staff session, the front desk too: only the routes a front
                         * desk needs (the schedule, booking, the patients' details) */
  TH_WHO_DIARY,         /* a patient's diary link only (never a join token, never a visit) */
} ThRouteWho;

typedef enum {
  TH_VISIT_UNDECLARED = 0,
  TH_VISIT_NONE,     /* no :visit in the path (an order's or a patient's
                          * route checks its own resource) */
  TH_VISIT_OWN,      /* :visit is the staff caller's own (its provider), or
                          * the link holder's visit */
  TH_VISIT_READABLE, /* as OWN, and an admin may read it too */
  TH_VISIT_SCHEDULE, /* as OWN, and an admin or the front desk may move or cancel it */
} ThRouteVisit;

/* What the dispatcher hands a handler: who called, the route's path
 * parameters, and the :visit already loaded and checked. */
typedef struct {
  const char *pattern; /* the route's, for logs (no ids in it) */
  ThCaller caller;
  ThRouteParams params;
  StoreVisit visit; /* routes with TH_VISIT_OWN / READABLE */
} ThApiCall;

typedef void (*ThRouteHandler) (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                                const ThApiCall *call);

typedef struct {
  ThHttpMethod method;
  const char *pattern; /* th_route_match(): "/api/visits/:visit/record" */
  ThRouteWho who;
  ThRouteVisit visit;
  ThRouteHandler handler;
  const char *name; /* the handler's, for logs and the table test */
} ThRoute;

/* The one route table, and its length. */
const ThRoute *th_api_routes (guint *n);
/* Whether the table is well formed (each rule declared, patterns valid,
 * :visit routes with a visit access and a caller, no two routes of one
 * method matching the same path); FALSE with the first problem. */
gboolean th_api_routes_check (const ThRoute *routes, guint n, GError **error);

/* The dispatcher's steps (api.c), which offloop.c runs on the main loop or
 * on a store worker. th_api_match finds the route (pure): FALSE after a
 * 404 or 405 answer. th_api_run_route resolves the caller and the :visit
 * and runs the handler, with `app`'s store. th_api_after logs a 500's cause
 * and audits a refusal. */
gboolean th_api_match (const ThHttpRequest *req, ThHttpResponse *r, const ThRoute **route,
                       ThRouteParams *params);
void th_api_run_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                       const ThRoute *route, const ThRouteParams *params);
void th_api_after (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
/* Whether a route runs on the main loop rather than on a store worker. */
gboolean th_api_route_on_main (const ThRoute *route);

void th_caller_clear (ThCaller *caller);

/* The clinic's today: the date of the server's clock in [clinic] time_zone. */
void th_clinic_today (ThApp *app, GDate *out);
void th_respond_json (ThHttpResponse *r, guint status, json_t *obj);
void th_respond_error (ThHttpResponse *r, guint status, const char *code, const char *message);
/* The CSRF token of a session: base64url(SHA-256("th-csrf:" || session id)). */
char *th_csrf_token (const char *session_id);
/* Answers 500 "internal" with `message` (in the reader's words) for a store
 * failure, and keeps its cause in r->failure for th_api_handle to log with
 * the route: the GError's domain, code and message, which name a statement
 * and sqlite's complaint, never a value. A store failure is never answered
 * as "absent" (404), an empty list or a record without its alerts. */
void th_respond_store_error (ThHttpResponse *r, const GError *error, const char *message);
/* Whether a store lookup's error says the row is absent (STORE_ERROR_NOT_FOUND)
 * rather than that the store failed. */
gboolean th_store_absent (const GError *error);
/* Answers 400 with a body decoder's TH_BODY_ERROR (code and message). */
void th_respond_body_error (ThHttpResponse *r, const GError *error);
json_t *th_visit_summary_json (const StoreVisit *v);
/* Whether the caller is the front desk (role scheduler). */
gboolean th_caller_is_desk (const ThCaller *caller);
/* Whether the caller books and sees for every provider: the admin or the
 * front desk. */
gboolean th_caller_sees_all (const ThCaller *caller);
json_t *th_checkin_json (const StoreCheckin *c);
json_t *th_order_json (ThApp *app, const StoreOrder *o);

/* careteam.c: what a staff caller may do with a patient's record, decided
 * in one place (the route table's visit check and the patient routes ask
 * it). A caller who is not staff may do nothing of it. */
typedef struct {
  gboolean read_record;   /* visits, records, FHIR, check-ins, the timeline */
  gboolean write_patient; /* patient-level clinical facts (the in-person evaluation) */
  gboolean change_team;   /* add to or remove from the care team */
  gboolean see_details;   /* the patient's details (name, contact) */
} ThPatientAccess;
/* FALSE with `error` set when the store failed; an absent patient is no
 * access at all. */
gboolean th_patient_access (ThApp *app, const ThCaller *caller, const char *patient_id,
                            ThPatientAccess *out, GError **error);
/* The one sentence a patient the caller may not see is refused with (404). */
const char *th_patient_refusal (void);
/* For a route on a patient's record: fills *access (may be NULL) and
 * answers FALSE after a 500 (the store failed, its cause kept) or a 404
 * (a patient whose record the caller may not read); the route checks
 * anything more (writing) with *access. */
gboolean th_require_record (ThApp *app, const ThApiCall *call, const char *patient_id,
                            ThHttpResponse *r, ThPatientAccess *access);
/* The visits in [from_ms, to_ms) of the PAs a psychiatrist caller
 * supervises, each with its provider; NULL for anyone else, and NULL with
 * `error` set when the store failed. */
json_t *th_supervised_visits_json (ThApp *app, const ThApiCall *call, gint64 from_ms, gint64 to_ms,
                                   GError **error);

/* adherence.c: a medication line (a current order and the orders it
 * replaced by a change of dose, oldest first, with the day each took
 * effect), its adherence over [from, to], and the record's monitoring. */
typedef struct {
  const StoreOrder *current;
  GArray *orders; /* AdherenceOrder, pointing into the StoreOrders */
} ThMedLine;
void th_med_line_build (ThApp *app, const StoreOrder *current, GPtrArray *orders, ThMedLine *out);
void th_med_line_clear (ThMedLine *line);
gboolean th_med_line_adherence (ThApp *app, const ThMedLine *line, const StoreDiary *diary,
                                GPtrArray *missed, gint64 missed_at_ms, const GDate *from,
                                const GDate *to, Adherence *out, GError **error);
/* From the day the patient's last visit (but except_visit_id) took place,
 * or the last 28 days when there is none, to the clinic's today;
 * *held_visit_id (g_free) gets that visit, NULL when there is none. */
gboolean th_adherence_period (ThApp *app, const char *patient_id, const char *except_visit_id,
                              GDate *from, GDate *to, gint64 *since_ms, char **held_visit_id,
                              GError **error);
gint64 th_treatment_start_ms (GPtrArray *orders);
/* Adds "adherence" and "side_effects" to each active item of the record's
 * current_medications, and "mbc" and "adherence_period" to the record. */
gboolean th_record_add_adherence (ThApp *app, const StoreVisit *visit, GPtrArray *current,
                                  GPtrArray *orders, GPtrArray *history, json_t *record,
                                  GError **error);

/* The handlers of the route table, by resource family. */
#define TH_HANDLER(name) \
  void name (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
/* diary.c, diary_staff.c: the patient's between-visit diary */
TH_HANDLER (th_get_diary);
TH_HANDLER (th_post_diary_entry);
TH_HANDLER (th_post_diary_reminder);
TH_HANDLER (th_get_diary_link);
TH_HANDLER (th_post_diary_link);
TH_HANDLER (th_post_diary_link_revoke);
TH_HANDLER (th_get_patient_diary);
/* visits.c */
TH_HANDLER (th_get_health);
TH_HANDLER (th_get_me);
TH_HANDLER (th_list_visits);
TH_HANDLER (th_create_visit);
/* events.c */
TH_HANDLER (th_get_events);
TH_HANDLER (th_get_visit);
/* schedule.c */
TH_HANDLER (th_get_schedule);
TH_HANDLER (th_get_providers);
TH_HANDLER (th_move_visit);
TH_HANDLER (th_cancel_visit);
/* The new shape of POST /api/visits (a "start"): th_create_visit hands it on. */
TH_HANDLER (th_book_visit);
/* TRUE when the provider has no other visit in [start, start + length)
 * (except the visit `except`, may be NULL), or the caller confirmed the
 * clash (*double_booked says which); FALSE after answering 409
 * "double_booked" with the other visits (or a 500). Every booking path
 * (the schedule, a move, the next follow-up) asks it. */
gboolean th_free_or_confirmed (ThApp *app, ThHttpResponse *r, const char *provider_id,
                               gint64 start_ms, guint length, const char *except,
                               gboolean confirmed, gboolean *double_booked);
/* session.c */
TH_HANDLER (th_post_session);
TH_HANDLER (th_get_session);
TH_HANDLER (th_post_logout);
/* guests.c */
TH_HANDLER (th_post_guest);
TH_HANDLER (th_list_guests);
TH_HANDLER (th_revoke_guest);
/* link.c */
TH_HANDLER (th_get_link);
/* activity.c */
TH_HANDLER (th_get_consent);
TH_HANDLER (th_post_consent);
TH_HANDLER (th_get_chat);
/* ice.c */
TH_HANDLER (th_get_ice_servers);
/* records.c */
TH_HANDLER (th_get_catalog);
TH_HANDLER (th_get_checkin);
TH_HANDLER (th_post_checkin);
TH_HANDLER (th_get_record);
TH_HANDLER (th_post_note);
TH_HANDLER (th_get_fhir);
TH_HANDLER (th_get_timeline);
/* fhir_patient.c: the patient-level FHIR export (issue 14). */
TH_HANDLER (th_get_patient_fhir);
json_t *th_fhir_patient_bundle (ThApp *app, const char *patient_id, GError **error);
TH_HANDLER (th_post_in_person_evaluation);
/* patients.c */
TH_HANDLER (th_find_patients);
TH_HANDLER (th_create_patient);
TH_HANDLER (th_get_patient);
TH_HANDLER (th_update_patient);
TH_HANDLER (th_get_regions);
/* messages.c: the visit's messages to the patient (issue 13) */
TH_HANDLER (th_get_messages);
TH_HANDLER (th_retry_message);
/* What happened to a visit that the patient must hear of. */
typedef enum {
  TH_VISIT_BOOKED,    /* the invitation and its reminders */
  TH_VISIT_MOVED,     /* the updated invitation; the reminders follow */
  TH_VISIT_CANCELLED, /* the cancellation; no reminder goes */
} ThVisitChange;
/* Queues the patient's messages about a change just committed; what the
 * answer says about them: {status: queued | not-sent | failed, message
 * (words for staff), queued?}. The change stands whatever happens here. */
json_t *th_notify_patient (ThApp *app, const char *visit_id, ThVisitChange change);
/* careteam.c */
TH_HANDLER (th_get_care_team);
TH_HANDLER (th_post_care_team);
TH_HANDLER (th_post_care_team_remove);
/* cosign.c */
TH_HANDLER (th_get_pending);
/* orders.c */
TH_HANDLER (th_post_adjustment);
/* safety.c, safety_tasks.c: monitoring alerts and item-9 safety tasks (issue 14) */
gboolean th_caller_is_clinician (const ThCaller *caller);
TH_HANDLER (th_get_open_alerts);
TH_HANDLER (th_get_patient_alerts);
TH_HANDLER (th_post_alert_ack);
TH_HANDLER (th_get_safety_tasks);
TH_HANDLER (th_post_safety_close);
/* fhir_safety.c: appends to a FHIR Bundle's entry array the patient's
 * safety tasks: a Flag per open task, an Observation per C-SSRS answer and
 * the risk level per closed one. FALSE with `error` when they cannot be
 * read (the entries may then hold some of them: drop the bundle). */
gboolean th_fhir_patient_add_safety (ThApp *app, const char *patient_id, json_t *entries,
                                     GError **error);
TH_HANDLER (th_post_cosign);
TH_HANDLER (th_post_decline);
TH_HANDLER (th_post_acknowledge_stop);
TH_HANDLER (th_post_entered_in_error);

/* followup.c */
TH_HANDLER (th_get_follow_up);
TH_HANDLER (th_post_follow_up);
/* overdue.c */
TH_HANDLER (th_get_overdue);

/* followup.c: what happened in the visit, as the follow-up rules read it
 * (its check-in's item-9 alert, its orders); FALSE with `error` when the
 * store cannot tell (never a suggestion without an alert that is there). */
gboolean th_follow_up_facts (ThApp *app, const StoreVisit *v, FollowUpFacts *out, GError **error);
/* A date, and an instant, in the clinic's zone as a clinician reads them:
 * "Tue 12 Jan" (the year when not this one), "Tue 12 Jan 10:00 EST". */
char *th_date_words (ThApp *app, const GDate *d);
char *th_local_words (ThApp *app, gint64 ms);
/* The record's next visit of the patient ({id, at, local, state, provider})
 * and this visit's follow-up ({weeks, due_by, due_by_text, ...}): JSON null
 * when none, NULL with `error` when the store cannot tell. */
json_t *th_next_visit_json (ThApp *app, const StoreVisit *v, GError **error);
json_t *th_follow_up_record_json (ThApp *app, const char *visit_id, GError **error);

/* activity.c: the visit's activity merged into a timeline (events[i]
 * happened at event_at_ms[i]). */
json_t *th_activity_json (const StoreActivity *activity);
gboolean th_timeline_add_activity (ThApp *app, const char *visit_id, json_t *events,
                                   const gint64 *event_at_ms, GError **error);

/* The prescribing safety check at the edge (issue 15). */
#include "server/api/api-rx.h"
#include "server/api/api-dispense.h"
#include "server/api/api-outside.h"
