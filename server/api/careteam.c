/* careteam.c — who may read a patient's clinical record, decided in one
 * place, and the patient's named care team. A clinician reads the record
 * (the visits, their record and FHIR export, the check-in, the timeline)
 * of a patient they saw, whose care team they are on, or whose visit was
 * with a physician assistant they supervise; the front desk (admin) reads
 * as before. Writing in a visit stays with its provider (api.c). Anyone
 * else gets the answer an absent patient gets: ids are not to be probed. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

static gboolean
is_admin (const ThCaller *caller)
{
  return g_strcmp0 (caller->staff_role, "admin") == 0;
}

gboolean
th_patient_access (ThApp *app, const ThCaller *caller, const char *patient_id, ThPatientAccess *out,
                   GError **error)
{
  g_autoptr (GError) local = NULL;
  StorePatientRelation rel;
  gboolean desk;

  memset (out, 0, sizeof *out);
  if (caller->kind != CALLER_STAFF)
    return TRUE;
  if (!store_patient_relation (app->store, patient_id, caller->staff_id, &rel, &local)) {
    if (th_store_absent (local))
      return TRUE; /* no such patient: nothing to read */
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  /* The front desk (scheduler) opens every patient's details and keeps
   * the care team, and never reads the clinical record. */
  desk = th_caller_is_desk (caller);
  out->read_record = is_admin (caller) || rel.had_visit || rel.care_team || rel.supervises;
  /* Patient-level facts (the in-person evaluation date) and the care team
   * are kept by those who treat the patient: a visit together or a place
   * on the team. A supervisor reads; the PA and the team write. */
  out->write_patient = rel.had_visit || rel.care_team;
  out->change_team = is_admin (caller) || desk || rel.had_visit || rel.care_team;
  out->see_details = out->read_record || rel.created || desk;
  return TRUE;
}

const char *
th_patient_refusal (void)
{
  return "This patient is not among your patients.";
}

gboolean
th_require_record (ThApp *app, const ThApiCall *call, const char *patient_id, ThHttpResponse *r,
                   ThPatientAccess *access)
{
  g_autoptr (GError) error = NULL;
  ThPatientAccess local;

  if (!access)
    access = &local;
  if (!th_patient_access (app, &call->caller, patient_id, access, &error)) {
    th_respond_store_error (r, error, "The patient could not be read. Reload the page.");
    return FALSE;
  }
  if (!access->read_record) {
    th_respond_error (r, 404, "not-found", th_patient_refusal ());
    return FALSE;
  }
  return TRUE;
}

/* Loads the caller's access to the patient; FALSE after a 500 (with its
 * cause) or a 404 when `need` is not among what they may do. */
static gboolean
require (ThApp *app, const ThApiCall *call, const char *patient_id, ThHttpResponse *r,
         gboolean (*need) (const ThPatientAccess *), ThPatientAccess *access)
{
  g_autoptr (GError) error = NULL;

  if (!th_patient_access (app, &call->caller, patient_id, access, &error)) {
    th_respond_store_error (r, error, "The patient could not be read. Try again in a moment.");
    return FALSE;
  }
  if (!access->see_details) {
    th_respond_error (r, 404, "not-found", th_patient_refusal ());
    return FALSE;
  }
  if (!need (access)) {
    th_respond_error (r, 403, "forbidden",
                      "Only the front desk, or a clinician who has seen this patient or is on "
                      "their care team, can change the care team.");
    return FALSE;
  }
  return TRUE;
}

static gboolean
need_details (const ThPatientAccess *a)
{
  return a->see_details;
}

static gboolean
need_change (const ThPatientAccess *a)
{
  return a->change_team;
}

/* ------------------------------------------------------------ JSON out */

/* "Psychiatrist", as the clinic reads a clinical role; NULL for any other
 * role (the front desk): only these may be on a care team. */
static const char *
clinician_role_words (const char *role)
{
  static const struct {
    const char *code, *words;
  } kRoles[] = {
    { "psychiatrist", "Psychiatrist" },
    { "pmhnp", "Psychiatric nurse practitioner" },
    { "pa", "Physician assistant" },
    { "pcp", "Primary care physician" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kRoles); i++)
    if (g_strcmp0 (role, kRoles[i].code) == 0)
      return kRoles[i].words;
  return NULL;
}

static const char *
role_words (const char *role)
{
  const char *words = clinician_role_words (role);
  return words ? words : role ? role : "";
}

static json_t *
member_json (const StoreCareTeamMember *m)
{
  g_autofree char *at = th_iso_from_ms (m->added_at_ms);

  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "staff_id", m->staff_id,
                    "display_name", m->display_name, "role", m->role, "role_text",
                    role_words (m->role), "added_at", at, "added_by", "id",
                    m->added_by ? m->added_by : "", "display_name",
                    m->added_by_name ? m->added_by_name : "");
}

static gboolean
is_member (GPtrArray *team, const char *staff_id)
{
  for (guint i = 0; i < team->len; i++)
    if (g_strcmp0 (((StoreCareTeamMember *) g_ptr_array_index (team, i))->staff_id, staff_id) == 0)
      return TRUE;
  return FALSE;
}

/* The clinicians who could join: enabled, with a sign-in, of a clinical
 * role, not on the team yet. NULL with `error` set on a store failure. */
static json_t *
candidates_json (ThApp *app, GPtrArray *team, GError **error)
{
  g_autoptr (GPtrArray) staff = store_list_staff (app->store, error);
  json_t *list;

  if (!staff)
    return NULL;
  list = json_array ();
  for (guint i = 0; i < staff->len; i++) {
    StoreStaffAccount *a = g_ptr_array_index (staff, i);
    if (a->disabled || !a->username || !clinician_role_words (a->role) || is_member (team, a->id))
      continue;
    json_array_append_new (list, json_pack ("{s:s, s:s, s:s, s:s}", "staff_id", a->id,
                                            "display_name", a->display_name, "role", a->role,
                                            "role_text", role_words (a->role)));
  }
  return list;
}

/* 200 {"members", "candidates", "may_change"}: the team as it now stands. */
static void
respond_team (ThApp *app, ThHttpResponse *r, guint status, const char *patient_id,
              const ThPatientAccess *access)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) team = store_care_team_list (app->store, patient_id, &error);
  json_t *members, *candidates = NULL;

  if (!team ||
      !(candidates = access->change_team ? candidates_json (app, team, &error) : json_array ())) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", th_patient_refusal ());
    else
      th_respond_store_error (r, error, "The care team could not be read. Reload the page.");
    return;
  }
  members = json_array ();
  for (guint i = 0; i < team->len; i++)
    json_array_append_new (members, member_json (g_ptr_array_index (team, i)));
  th_respond_json (r, status,
                   json_pack ("{s:o, s:o, s:b}", "members", members, "candidates", candidates,
                              "may_change", access->change_team));
}

/* ------------------------------------------------------------ handlers */

TH_HANDLER (th_get_care_team)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  ThPatientAccess access;

  (void) req;
  if (!require (app, call, patient_id, r, need_details, &access))
    return;
  respond_team (app, r, 200, patient_id, &access);
}

TH_HANDLER (th_post_care_team)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autofree char *staff_id = NULL;
  g_autoptr (GError) error = NULL;
  ThPatientAccess access;
  gboolean added = FALSE;

  if (!require (app, call, patient_id, r, need_change, &access))
    return;
  if (!th_body_care_team (req->body, req->body_len, &staff_id, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!store_care_team_add (app->store, patient_id, staff_id, call->caller.staff_id, &added,
                            &error)) {
    if (th_store_absent (error))
      th_respond_error (r, 422, "invalid",
                        "No staff member has this id. Choose the clinician from the list. "
                        "Nothing was changed.");
    else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 422, "invalid",
                        strcmp (error->message, "account disabled") == 0
                          ? "This clinician's account is disabled, so they cannot join a care "
                            "team. Nothing was changed."
                          : "Only clinicians (a psychiatrist, a psychiatric nurse practitioner, "
                            "a physician assistant or a primary care physician) can be on a "
                            "care team. Nothing was changed.");
    else
      th_respond_store_error (r, error, "The care team could not be changed. Nothing was saved.");
    return;
  }
  if (added)
    th_audit (app, req->address, call->caller.staff_id, "patient.care-team-add", patient_id,
              json_pack ("{s:s, s:s}", "patient", patient_id, "staff", staff_id));
  respond_team (app, r, added ? 201 : 200, patient_id, &access);
}

TH_HANDLER (th_post_care_team_remove)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  const char *staff_id = th_route_param (&call->params, "staff");
  g_autoptr (GError) error = NULL;
  ThPatientAccess access;

  if (!require (app, call, patient_id, r, need_change, &access))
    return;
  if (!store_care_team_remove (app->store, patient_id, staff_id, &error)) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found",
                        "This clinician is not on the patient's care team. Reload the page.");
    else
      th_respond_store_error (r, error, "The care team could not be changed. Nothing was saved.");
    return;
  }
  th_audit (app, req->address, call->caller.staff_id, "patient.care-team-remove", patient_id,
            json_pack ("{s:s, s:s}", "patient", patient_id, "staff", staff_id));
  /* The one removed may have lost their view of the patient: the answer
   * is the team as the caller may still see it. */
  if (!th_patient_access (app, &call->caller, patient_id, &access, &error)) {
    th_respond_store_error (r, error, "The care team was changed, but could not be read back.");
    return;
  }
  respond_team (app, r, 200, patient_id, &access);
}

json_t *
th_supervised_visits_json (ThApp *app, const ThApiCall *call, gint64 from_ms, gint64 to_ms,
                           GError **error)
{
  g_autoptr (GPtrArray) visits = NULL;
  json_t *list;

  /* Only a psychiatrist supervises (store_set_staff_supervisor). */
  if (g_strcmp0 (call->caller.staff_role, "psychiatrist") != 0)
    return NULL;
  visits = store_list_supervised_visits (app->store, call->caller.staff_id, from_ms, to_ms, error);
  if (!visits)
    return NULL;
  list = json_array ();
  for (guint i = 0; i < visits->len; i++) {
    StoreVisit *v = g_ptr_array_index (visits, i);
    json_t *item = th_visit_summary_json (v);
    json_object_set_new (item, "provider",
                         json_pack ("{s:s, s:s}", "id", v->provider_id, "display_name",
                                    v->provider_name ? v->provider_name : ""));
    json_array_append_new (list, item);
  }
  return list;
}
