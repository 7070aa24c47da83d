/* api-private.h — what the REST route files share: responses, the caller
 * behind a bearer token, and JSON for the records. */
#pragma once

#include <jansson.h>
#include "server/api/api.h"
#include "server/records/records.h"
#include "server/api/api-bodies.h"
#include "server/api/api-routes.h"
#include "server/clock/clock.h"   /* th_iso_from_ms: the one ISO 8601 form */

typedef enum {
  CALLER_STAFF,      /* a console token */
  CALLER_PATIENT,    /* a patient's (or guest's) join token */
} ThCallerKind;

typedef struct {
  ThCallerKind kind;
  char *staff_id;            /* CALLER_STAFF */
  char *staff_role;          /* psychiatrist | pmhnp | pa | pcp | admin */
  StoreParticipant participant;  /* CALLER_PATIENT: who, in which visit */
} ThCaller;

void th_caller_clear (ThCaller *caller);

/* The clinic's today: the date of the server's clock in [clinic] time_zone. */
void th_clinic_today (ThApp *app, GDate *out);
void th_respond_json (ThHttpResponse *r, guint status, json_t *obj);
void th_respond_error (ThHttpResponse *r, guint status, const char *code, const char *message);
/* The caller's staff id from the session cookie, or NULL after a 401 (and,
 * for a POST without the session's CSRF token, a 403). */
char *th_require_staff (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
/* The CSRF token of a session: base64url(SHA-256("th-csrf:" || session id)). */
char *th_csrf_token (const char *session_id);
/* A console token or a join token; FALSE after a 401. */
gboolean th_require_caller (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                            ThCaller *out);
/* The visit if `staff_id` is its provider (or, when only reading, an admin);
 * FALSE after a 404 (same answer for "absent" and "not yours": ids are not
 * to be probed). */
gboolean th_require_own_visit (ThApp *app, const char *staff_id, const char *visit_id,
                               ThHttpResponse *r, StoreVisit *out);
gboolean th_require_readable_visit (ThApp *app, const char *staff_id, const char *visit_id,
                                    ThHttpResponse *r, StoreVisit *out);
gboolean th_staff_is_admin (ThApp *app, const char *staff_id);
/* Answers 400 with a body decoder's TH_BODY_ERROR (code and message). */
void th_respond_body_error (ThHttpResponse *r, const GError *error);
json_t *th_visit_summary_json (const StoreVisit *v);
json_t *th_checkin_json (const StoreCheckin *c);
json_t *th_order_json (ThApp *app, const StoreOrder *o);

/* Appends to the hash-chained audit log; takes `detail` (may be NULL). A
 * failure is logged, not returned: the action itself has been recorded. */
void th_audit (ThApp *app, const char *address, const char *actor, const char *action,
               const char *target, json_t *detail);

/* api_clinical.c / api_orders.c: TRUE when the path was theirs. `rest` is
 * what follows "/api/". */
gboolean th_api_clinical_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
gboolean th_api_orders_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
gboolean th_api_session_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
gboolean th_api_guests_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
/* api_activity.c: consent, chat history, and the visit's activity merged
 * into a timeline (events[i] happened at event_at_ms[i]). */
gboolean th_api_activity_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
json_t *th_activity_json (const StoreActivity *activity);
gboolean th_timeline_add_activity (ThApp *app, const char *visit_id, json_t *events,
                                   const gint64 *event_at_ms);
gboolean th_api_ice_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r);
