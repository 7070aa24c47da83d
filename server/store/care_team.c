/* care_team.c — who shares a patient's record: the patient's named care
 * team (migration 15), and the one question every read of a patient's
 * clinical record asks: how, if at all, is this clinician related to this
 * patient (a visit together, a place on the care team, supervising a PA
 * who saw them). The API decides what each relation allows. */
#include "server/store/store-private.h"

#include <string.h>

/* The clinicians' roles: the front desk (admin) and any role added later
 * are never on a care team (a new clinical role joins by being added
 * here on purpose). */
#define CLINICIAN_ROLES "('psychiatrist', 'pmhnp', 'pa', 'pcp')"

void
store_care_team_member_free (StoreCareTeamMember *m)
{
  if (!m)
    return;
  g_free (m->staff_id);
  g_free (m->display_name);
  g_free (m->role);
  g_free (m->added_by);
  g_free (m->added_by_name);
  g_free (m);
}

static gpointer
read_member (StoreStmt *stmt, GError **error)
{
  StoreCareTeamMember *m = g_new0 (StoreCareTeamMember, 1);

  m->staff_id = store_column_dup_text (stmt, 0);
  m->display_name = store_column_dup_text (stmt, 1);
  m->role = store_column_dup_text (stmt, 2);
  m->added_by = store_column_dup_text (stmt, 4);
  m->added_by_name = store_column_dup_text (stmt, 5);
  if (!m->staff_id || !m->display_name || !m->role ||
      !store_column_time (stmt, 3, &m->added_at_ms, error)) {
    if (error && !*error)
      g_set_error_literal (error, STORE_ERROR, STORE_ERROR_SQL,
                           "read care team: a NULL staff id, name or role");
    store_care_team_member_free (m);
    return NULL;
  }
  return m;
}

GPtrArray *
store_care_team_list (Store *store, const char *patient_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *rows;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error) ||
      !store_prepare (store,
                      "SELECT t.staff_id, s.display_name, s.role, t.added_at, t.added_by,"
                      " a.display_name FROM patient_care_team t"
                      " JOIN staff s ON s.id = t.staff_id LEFT JOIN staff a ON a.id = t.added_by"
                      " WHERE t.patient_id = ?1 ORDER BY t.added_at, s.display_name",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, patient_id);
  rows = store_collect_rows (store, stmt, read_member, (GDestroyNotify) store_care_team_member_free,
                             "list care team", error);
  store_stmt_free (stmt);
  return rows;
}

/* INVALID unless `staff_id` is an enabled clinician; NOT_FOUND when no
 * such staff member. Inside the caller's transaction. */
static gboolean
require_clinician (Store *store, const char *staff_id, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok;

  ok = store_select_row (store,
                         "SELECT CASE WHEN s.role IN " CLINICIAN_ROLES " THEN 1 ELSE 0 END,"
                         " coalesce(c.disabled, 0)"
                         " FROM staff s LEFT JOIN staff_credentials c ON c.staff_id = s.id"
                         " WHERE s.id = ?1",
                         staff_id, "check care team member", "no such staff member", &stmt, error);
  if (ok && store_col_int (stmt, 0) == 0) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "not a clinician");
    ok = FALSE;
  } else if (ok && store_col_int (stmt, 1) != 0) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "account disabled");
    ok = FALSE;
  }
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_care_team_add (Store *store, const char *patient_id, const char *staff_id,
                     const char *added_by, gboolean *added, GError **error)
{
  g_autofree char *now = NULL;
  guint changes = 0;
  gboolean ok;

  g_return_val_if_fail (store != NULL && added != NULL, FALSE);
  *added = FALSE;
  if (!(now = store_format_time (store_now_ms (), error)) || !store_begin (store, error))
    return FALSE;
  ok = store_require_row (store, "patients", patient_id, "no such patient", error) &&
       require_clinician (store, staff_id, error) &&
       store_run (store, "add care team member",
                  "INSERT INTO patient_care_team (patient_id, staff_id, added_at, added_by)"
                  " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                  NULL, &changes, error, 4, patient_id, staff_id, now, added_by);
  if (!store_commit_or_rollback (store, ok, error))
    return FALSE;
  *added = changes == 1;
  return TRUE;
}

gboolean
store_care_team_remove (Store *store, const char *patient_id, const char *staff_id, GError **error)
{
  guint changes = 0;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!store_run (store, "remove care team member",
                  "DELETE FROM patient_care_team WHERE patient_id = ?1 AND staff_id = ?2", NULL,
                  &changes, error, 2, patient_id, staff_id))
    return FALSE;
  if (changes != 1) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "not on the care team");
    return FALSE;
  }
  return TRUE;
}

gboolean
store_patient_relation (Store *store, const char *patient_id, const char *staff_id,
                        StorePatientRelation *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  /* One snapshot, one statement: each relation an EXISTS over an index
   * (visits_by_patient, the care team's key). Each is read as 0 or 1:
   * PostgreSQL's booleans are not integers, hence the CASEs. */
  ok = store_prepare (store,
                      "SELECT CASE WHEN p.created_by IS NOT DISTINCT FROM ?2 THEN 1 ELSE 0 END,"
                      " CASE WHEN EXISTS (SELECT 1 FROM visits v WHERE v.patient_id = p.id"
                      "  AND v.provider_id = ?2) THEN 1 ELSE 0 END,"
                      " CASE WHEN EXISTS (SELECT 1 FROM patient_care_team t"
                      "  WHERE t.patient_id = p.id AND t.staff_id = ?2) THEN 1 ELSE 0 END,"
                      " CASE WHEN EXISTS (SELECT 1 FROM visits v JOIN staff s"
                      "  ON s.id = v.provider_id WHERE v.patient_id = p.id AND s.role = 'pa'"
                      "  AND s.supervising_psychiatrist_id = ?2) THEN 1 ELSE 0 END"
                      " FROM patients p WHERE p.id = ?1",
                      &stmt, error);
  if (!ok)
    return FALSE;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, staff_id);
  ok = store_step_row (store, stmt, "check patient relation", "no such patient", error);
  if (ok) {
    out->created = store_col_int (stmt, 0) != 0;
    out->had_visit = store_col_int (stmt, 1) != 0;
    out->care_team = store_col_int (stmt, 2) != 0;
    out->supervises = store_col_int (stmt, 3) != 0;
  }
  store_stmt_free (stmt);
  return ok;
}

GPtrArray *
store_list_supervised_visits (Store *store, const char *supervisor_id, gint64 from_ms, gint64 to_ms,
                              GError **error)
{
  g_autofree char *from_text = NULL, *to_text = NULL;
  StoreStmt *stmt = NULL;
  GPtrArray *visits = NULL;

  g_return_val_if_fail (store != NULL && supervisor_id != NULL, NULL);
  if (to_ms <= from_ms || to_ms <= 0 || from_ms > STORE_MAX_TIME_MS)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) store_visit_free);
  if (!(from_text = store_format_time (MAX (from_ms, 0), error)) ||
      !(to_text = store_format_time (MIN (to_ms, STORE_MAX_TIME_MS), error)))
    return NULL;
  if (!store_prepare (store,
                      STORE_VISIT_COLUMNS
                      "WHERE v.provider_id IN (SELECT id FROM staff WHERE role = 'pa'"
                      "  AND supervising_psychiatrist_id = ?1)"
                      " AND v.scheduled_at >= ?2 AND v.scheduled_at < ?3"
                      " ORDER BY v.scheduled_at, v.created_at, v.id",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, supervisor_id);
  store_bind_text (stmt, 2, from_text);
  store_bind_text (stmt, 3, to_text);
  visits = store_collect_visits (store, stmt, "list supervised visits", error);
  store_stmt_free (stmt);
  return visits;
}
