/* activity.c — the consent a patient or guest gives before a video
 * visit, the visit's chat history, and both (with modality switches) merged
 * into the visit's timeline.
 *
 *   GET  /api/consent               join token: the text to read, and the
 *                                   caller's newest answer (or null)
 *   POST /api/consent               join token: {"version","decision"}
 *   GET  /api/visits/<id>/chat      the visit's participants (join token) or
 *                                   its provider / an admin (session)
 *
 * Chat text and names are patient data: none of it is logged.
 */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

json_t *
th_activity_json (const StoreActivity *a)
{
  g_autofree char *at = th_iso_from_ms (a->at_ms);
  json_t *obj = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "at", at, "kind", a->kind, "participant",
                           a->participant_id ? a->participant_id : "", "role",
                           a->role ? a->role : "", "display_name",
                           a->display_name ? a->display_name : "");

  if (a->text)
    json_object_set_new (obj, "text", json_string (a->text));
  if (g_strcmp0 (a->kind, "consent") == 0) {
    json_object_set_new (obj, "decision", json_string (a->value ? a->value : ""));
    json_object_set_new (obj, "version", json_string (a->version ? a->version : ""));
  } else if (g_strcmp0 (a->kind, "modality") == 0) {
    json_object_set_new (obj, "modality", json_string (a->value ? a->value : ""));
  }
  return obj;
}

typedef struct {
  gint64 at_ms;
  guint order;   /* position in the input: ties keep the recorded order */
  json_t *entry; /* borrowed */
} TimedEntry;

static gint
compare_timed (gconstpointer a, gconstpointer b)
{
  const TimedEntry *x = a, *y = b;

  if (x->at_ms != y->at_ms)
    return x->at_ms < y->at_ms ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

gboolean
th_timeline_add_activity (ThApp *app, const char *visit_id, json_t *events,
                          const gint64 *event_at_ms, GError **error)
{
  g_autoptr (GPtrArray) activity = store_visit_activity (app->store, visit_id, error);
  g_autoptr (GArray) timed = NULL;
  gsize n_events = json_array_size (events);
  json_t *merged;

  if (!activity)
    return FALSE;
  timed = g_array_sized_new (FALSE, FALSE, sizeof (TimedEntry), n_events + activity->len);
  for (gsize i = 0; i < n_events; i++) {
    TimedEntry t = { event_at_ms[i], (guint) i, json_incref (json_array_get (events, i)) };
    g_array_append_val (timed, t);
  }
  for (guint i = 0; i < activity->len; i++) {
    const StoreActivity *a = g_ptr_array_index (activity, i);
    TimedEntry t = { a->at_ms, (guint) (n_events + i), th_activity_json (a) };
    g_array_append_val (timed, t);
  }
  g_array_sort (timed, compare_timed);
  merged = json_array ();
  for (guint i = 0; i < timed->len; i++)
    json_array_append_new (merged, g_array_index (timed, TimedEntry, i).entry);
  json_array_clear (events);
  json_array_extend (events, merged);
  json_decref (merged);
  return TRUE;
}

/* ------------------------------------------------------------ consent */

static json_t *
consent_answer_json (const StoreActivity *a)
{
  g_autofree char *at = NULL;

  if (!a)
    return json_null ();
  at = th_iso_from_ms (a->at_ms);
  return json_pack ("{s:s, s:s, s:s}", "decision", a->value ? a->value : "", "version",
                    a->version ? a->version : "", "at", at);
}

void
th_get_consent (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const ThCaller *caller = &call->caller;
  g_autoptr (GError) error = NULL;
  StoreActivity *latest = NULL;

  (void) req;
  latest = store_latest_consent (app->store, caller->participant.id, &error);
  if (!latest && !th_store_absent (error)) {
    th_respond_store_error (r, error, "The consent text could not be loaded. Reload the page.");
    goto out;
  }
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:s, s:s, s:o}", "text", app->config->consent_text, "version",
                              app->config->consent_version, "decline_phone",
                              app->config->consent_decline_phone, "answer",
                              consent_answer_json (latest)));
out:
  store_activity_free (latest);
}

void
th_post_consent (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const ThCaller *caller = &call->caller;
  ThConsentBody body = { 0 };
  g_autoptr (GError) error = NULL;
  StoreActivity *answer = NULL;

  if (!th_body_consent (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  /* Agreeing to a text the person did not see is no consent: the page must
   * show the current text again. */
  if (strcmp (body.version, app->config->consent_version) != 0) {
    th_respond_error (r, 409, "consent-changed",
                      "The consent text has changed since this page was opened. Read it again and "
                      "answer; nothing was saved.");
    goto out;
  }
  answer = store_record_consent (app->store, caller->participant.id, body.accepted, body.version,
                                 &error);
  if (!answer) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 409, "bad-state", "This visit has ended; nothing was saved.");
    else
      th_respond_store_error (r, error,
                              "Your answer could not be saved. Please try again in a moment.");
    goto out;
  }
  th_audit (app, req->address, caller->participant.id,
            body.accepted ? "consent.accept" : "consent.decline", caller->participant.visit_id,
            json_pack ("{s:s, s:s}", "version", body.version, "role",
                       participant_role_name (caller->participant.role)));
  th_respond_json (r, 201, json_pack ("{s:o}", "answer", consent_answer_json (answer)));
out:
  store_activity_free (answer);
  th_consent_body_clear (&body);
}

/* --------------------------------------------------------------- chat */

void
th_get_chat (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const ThCaller *caller = &call->caller;
  const StoreVisit *visit = &call->visit;
  const char *visit_id = visit->id;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) error = NULL;
  json_t *list;

  messages = store_list_chat (app->store, visit_id, &error);
  if (!messages) {
    th_respond_store_error (r, error, "The chat could not be loaded. Reload the page.");
    return;
  }
  if (caller->kind == CALLER_STAFF)
    th_audit (app, req->address, caller->staff_id, "visit.chat.view", visit_id,
              json_pack ("{s:s}", "patient", visit->patient_id));
  list = json_array ();
  for (guint i = 0; i < messages->len; i++)
    json_array_append_new (list, th_activity_json (g_ptr_array_index (messages, i)));
  th_respond_json (r, 200, json_pack ("{s:o}", "messages", list));
}
