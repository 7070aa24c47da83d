/* safety.c — monitoring alerts on the provider's console and the record
 * (read, acknowledged once by a named clinician with a note), and the
 * PHQ-9 item-9 safety task (read; closed only with a C-SSRS screen, a risk
 * level, a plan and where the patient is). Who may read a patient's alerts
 * and tasks is decided in one place (careteam.c th_patient_access): the
 * front desk never reaches these routes (STAFF), a clinician reads the
 * patients whose record they may read. Acknowledging and closing are
 * clinical acts: a clinician's, audited. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/clock/clock.h"

#include <string.h>

/* How many open alerts the console asks for at most: far more than a
 * clinic's open alerts at one time; the rest are on each record. */
#define OPEN_ALERTS_MAX 500

/* ------------------------------------------------------------- access */

/* Who acknowledges an alert or closes a safety task: a clinician, never
 * the admin (who may read the record) nor the front desk. */
gboolean
th_caller_is_clinician (const ThCaller *caller)
{
  static const char *const kRoles[] = { "psychiatrist", "pmhnp", "pa", "pcp" };
  for (guint i = 0; i < G_N_ELEMENTS (kRoles); i++)
    if (g_strcmp0 (caller->staff_role, kRoles[i]) == 0)
      return TRUE;
  return FALSE;
}

/* FALSE after a 500 (its cause kept), a 404 (not a patient the caller may
 * read) or, when `act`, a 403 (only a clinician acknowledges or closes). */
static gboolean
require_record (ThApp *app, const ThApiCall *call, const char *patient_id, gboolean act,
                ThHttpResponse *r)
{
  if (!th_require_record (app, call, patient_id, r, NULL))
    return FALSE;
  if (act && !th_caller_is_clinician (&call->caller)) {
    th_respond_error (r, 403, "forbidden",
                      "Only a clinician (psychiatrist, nurse practitioner, physician assistant "
                      "or primary care physician) can acknowledge an alert or close a safety "
                      "task.");
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------- alerts */

static json_t *
by_json (const char *id, const char *name)
{
  return id ? json_pack ("{s:s, s:s}", "id", id, "display_name", name ? name : "") : json_null ();
}

static json_t *
alert_json (const StoreAlert *a)
{
  g_autofree char *raised = th_iso_from_ms (a->raised_at_ms);
  g_autofree char *acked = a->acknowledged_at_ms ? th_iso_from_ms (a->acknowledged_at_ms) : NULL;

  return json_pack ("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:{s:s?, s:s?, s:s?, s:s?}, s:o}", "id",
                    a->id, "patient", "id", a->patient_id, "display_name",
                    a->patient_name ? a->patient_name : "", "rule", a->rule, "summary", a->summary,
                    "raised_at", raised, "source", "checkin_id", a->checkin_id, "diary_entry_id",
                    a->diary_entry_id, "order_id", a->order_id, "observation_id", a->observation_id,
                    "acknowledged",
                    acked ? json_pack ("{s:s, s:o, s:s}", "at", acked, "by",
                                       by_json (a->acknowledged_by, a->acknowledged_by_name),
                                       "note", a->ack_note ? a->ack_note : "")
                          : json_null ());
}

/* GET /api/alerts: the unacknowledged alerts of the patients the caller may
 * read, newest first (the console's). */
void
th_get_open_alerts (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) alerts = NULL;
  g_autoptr (GHashTable) readable = NULL;
  json_t *list;

  (void) req;
  if (!(alerts = store_list_open_alerts (app->store, OPEN_ALERTS_MAX, &error))) {
    th_respond_store_error (r, error,
                            "The open alerts could not be read. The console tries again in a "
                            "few seconds; if this keeps happening, tell the clinic's "
                            "administrator.");
    return;
  }
  /* One access decision per patient, however many alerts they have. */
  readable = g_hash_table_new (g_str_hash, g_str_equal);
  list = json_array ();
  for (guint i = 0; i < alerts->len; i++) {
    const StoreAlert *a = g_ptr_array_index (alerts, i);
    gpointer known;
    if (!g_hash_table_lookup_extended (readable, a->patient_id, NULL, &known)) {
      ThPatientAccess access;
      if (!th_patient_access (app, &call->caller, a->patient_id, &access, &error)) {
        json_decref (list);
        th_respond_store_error (r, error,
                                "The open alerts could not be read. The console tries again in "
                                "a few seconds.");
        return;
      }
      known = GINT_TO_POINTER (access.read_record);
      g_hash_table_insert (readable, a->patient_id, known);
    }
    if (GPOINTER_TO_INT (known))
      json_array_append_new (list, alert_json (a));
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "alerts", list));
}

/* GET /api/patients/:patient/alerts: unacknowledged first, then newest. */
void
th_get_patient_alerts (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                       const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) alerts = NULL;
  json_t *list;

  (void) req;
  if (!require_record (app, call, patient_id, FALSE, r))
    return;
  if (!(alerts = store_list_patient_alerts (app->store, patient_id, &error))) {
    th_respond_store_error (r, error,
                            "The patient's alerts could not be read. Reload the page; if this "
                            "keeps happening, tell the clinic's administrator.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < alerts->len; i++)
    json_array_append_new (list, alert_json (g_ptr_array_index (alerts, i)));
  th_respond_json (r, 200, json_pack ("{s:o}", "alerts", list));
}

static gboolean
note_has_words (const char *note)
{
  for (const char *p = note; p && *p; p++)
    if (!g_ascii_isspace (*p))
      return TRUE;
  return FALSE;
}

/* POST /api/alerts/:alert/acknowledge {"note"} */
void
th_post_alert_ack (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *alert_id = th_route_param (&call->params, "alert");
  g_autoptr (GError) error = NULL;
  g_autofree char *note = NULL;
  StoreAlert *alert = NULL, *done = NULL;

  if (!(alert = store_get_alert (app->store, alert_id, &error))) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", "This alert is not among your patients' alerts.");
    else
      th_respond_store_error (r, error, "The alert could not be read. Try again in a moment.");
    goto out;
  }
  if (!require_record (app, call, alert->patient_id, TRUE, r))
    goto out;
  if (!th_body_alert_ack (req->body, req->body_len, &note, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  if (!note_has_words (note)) {
    th_respond_error (r, 422, "note-required",
                      "Write a note saying what you did about this alert (for example: called "
                      "the patient, reviewed at the visit). Nothing was saved.");
    goto out;
  }
  if (!store_acknowledge_alert (app->store, alert_id, call->caller.staff_id, note, store_now_ms (),
                                &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
      th_respond_error (r, 409, "already-acknowledged",
                        "This alert was already acknowledged; its note stays as written. "
                        "Reload the record to see who acknowledged it.");
    else
      th_respond_store_error (r, error,
                              "The acknowledgement could not be saved. Nothing was changed; try "
                              "again.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "alert.acknowledge", alert_id,
            json_pack ("{s:s, s:s}", "patient", alert->patient_id, "rule", alert->rule));
  if (!(done = store_get_alert (app->store, alert_id, &error))) {
    th_respond_store_error (r, error,
                            "The alert was acknowledged, but could not be read back. Reload the "
                            "record.");
    goto out;
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "alert", alert_json (done)));
out:
  store_alert_free (alert);
  store_alert_free (done);
}
