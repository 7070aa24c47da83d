/* store_visits.c — visits, their participants, states and timeline.
 *
 * Every change runs in one BEGIN IMMEDIATE transaction; the state and the
 * timeline event recording it are written together or not at all.
 */
#include "server/store-private.h"

#include <string.h>

/* ------------------------------------------------------------ names */

static const char *const kStateNames[] = {
  [VISIT_SCHEDULED] = "scheduled",
  [VISIT_WAITING] = "waiting",
  [VISIT_IN_PROGRESS] = "in_progress",
  [VISIT_ENDED] = "ended",
};

static const char *const kRoleNames[] = {
  [PARTICIPANT_PATIENT] = "patient",
  [PARTICIPANT_PROVIDER] = "provider",
  [PARTICIPANT_GUEST] = "guest",
};

const char *
visit_state_name (VisitState state)
{
  if ((unsigned) state >= G_N_ELEMENTS (kStateNames))
    return NULL;
  return kStateNames[state];
}

gboolean
visit_state_from_name (const char *name, VisitState *out)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS (kStateNames); i++) {
    if (strcmp (name, kStateNames[i]) == 0) {
      if (out)
        *out = (VisitState) i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
visit_state_transition_allowed (VisitState from, VisitState to)
{
  switch (from) {
  case VISIT_SCHEDULED:
    return to == VISIT_WAITING || to == VISIT_IN_PROGRESS || to == VISIT_ENDED;
  case VISIT_WAITING:
    return to == VISIT_IN_PROGRESS || to == VISIT_SCHEDULED || to == VISIT_ENDED;
  case VISIT_IN_PROGRESS:
    return to == VISIT_ENDED;
  case VISIT_ENDED:
  default:
    return FALSE;
  }
}

const char *
participant_role_name (ParticipantRole role)
{
  if ((unsigned) role >= G_N_ELEMENTS (kRoleNames))
    return NULL;
  return kRoleNames[role];
}

gboolean
store_participant_role_from_name (const char *name, ParticipantRole *out)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS (kRoleNames); i++) {
    if (strcmp (name, kRoleNames[i]) == 0) {
      if (out)
        *out = (ParticipantRole) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* ------------------------------------------------------------ structs */

void
store_visit_clear (StoreVisit *visit)
{
  if (!visit)
    return;
  g_free (visit->id);
  g_free (visit->patient_id);
  g_free (visit->patient_name);
  g_free (visit->provider_id);
  g_free (visit->provider_name);
  g_free (visit->modality);
  memset (visit, 0, sizeof *visit);
}

void
store_visit_free (StoreVisit *visit)
{
  if (!visit)
    return;
  store_visit_clear (visit);
  g_free (visit);
}

void
store_visit_event_free (StoreVisitEvent *event)
{
  if (!event)
    return;
  g_free (event->kind);
  g_free (event->state);
  g_free (event->participant_id);
  g_free (event->role);
  g_free (event);
}

void
store_participant_clear (StoreParticipant *participant)
{
  if (!participant)
    return;
  g_free (participant->id);
  g_free (participant->visit_id);
  g_free (participant->display_name);
  g_free (participant->person_id);
  memset (participant, 0, sizeof *participant);
}

/* ------------------------------------------------------------ visit rows */

#define VISIT_COLUMNS                                                                     \
  "SELECT v.id, v.patient_id, pa.display_name, v.provider_id, st.display_name,"           \
  " v.scheduled_at, v.state, v.modality, v.created_at"                                    \
  " FROM visits v JOIN patients pa ON pa.id = v.patient_id"                               \
  " JOIN staff st ON st.id = v.provider_id "

/* Reads one VISIT_COLUMNS row into `out` (which is overwritten). */
static gboolean
read_visit_row (sqlite3_stmt *stmt, StoreVisit *out, GError **error)
{
  StoreVisit v = { 0 };
  gboolean ok = FALSE;

  v.id = store_column_dup_text (stmt, 0);
  v.patient_id = store_column_dup_text (stmt, 1);
  v.patient_name = store_column_dup_text (stmt, 2);
  v.provider_id = store_column_dup_text (stmt, 3);
  v.provider_name = store_column_dup_text (stmt, 4);
  v.modality = store_column_dup_text (stmt, 7);
  if (!store_column_time (stmt, 5, &v.scheduled_at_ms, error))
    goto out;
  if (!store_column_time (stmt, 8, &v.created_at_ms, error))
    goto out;
  if (!visit_state_from_name ((const char *) sqlite3_column_text (stmt, 6), &v.state)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored visit state is unknown");
    goto out;
  }
  *out = v;
  ok = TRUE;
out:
  if (!ok)
    store_visit_clear (&v);
  return ok;
}

/* Runs a prepared VISIT_COLUMNS query, collecting all rows. */
static GPtrArray *
collect_visits (Store *store, sqlite3_stmt *stmt, GError **error)
{
  GPtrArray *visits = g_ptr_array_new_with_free_func ((GDestroyNotify) store_visit_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    StoreVisit *v = g_new0 (StoreVisit, 1);
    if (!read_visit_row (stmt, v, error)) {
      g_free (v);
      goto fail;
    }
    g_ptr_array_add (visits, v);
  }
  if (rc != SQLITE_DONE) {
    store_set_sql_error (store, error, "list visits");
    goto fail;
  }
  return visits;
fail:
  g_ptr_array_unref (visits);
  return NULL;
}

gboolean
store_get_visit (Store *store, const char *visit_id, StoreVisit *out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  if (!store_prepare (store, VISIT_COLUMNS "WHERE v.id = ?1", &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such visit");
    goto out;
  }
  if (rc != SQLITE_ROW) {
    store_set_sql_error (store, error, "get visit");
    goto out;
  }
  ok = read_visit_row (stmt, out, error);
out:
  sqlite3_finalize (stmt);
  return ok;
}

GPtrArray *
store_list_provider_visits (Store *store, const char *provider_id, gint64 from_ms, gint64 to_ms,
                            GError **error)
{
  sqlite3_stmt *stmt = NULL;
  GPtrArray *visits = NULL;
  char *from_text = NULL;
  char *to_text = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  /* Stored times lie in [0, STORE_MAX_TIME_MS]; clamp the window to that. */
  if (to_ms <= from_ms || to_ms <= 0 || from_ms > STORE_MAX_TIME_MS)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) store_visit_free);
  from_text = store_format_time (MAX (from_ms, 0), error);
  if (!from_text)
    goto out;
  /* A NULL upper bound means "no bound" (past the representable range). */
  if (to_ms <= STORE_MAX_TIME_MS && !(to_text = store_format_time (to_ms, error)))
    goto out;
  if (!store_prepare (store,
                      VISIT_COLUMNS "WHERE (?1 IS NULL OR v.provider_id = ?1) AND v.scheduled_at >= ?2"
                                    " AND (?3 IS NULL OR v.scheduled_at < ?3)"
                                    " ORDER BY v.scheduled_at, v.created_at, v.id",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, provider_id);
  store_bind_text (stmt, 2, from_text);
  store_bind_text (stmt, 3, to_text);
  visits = collect_visits (store, stmt, error);
out:
  sqlite3_finalize (stmt);
  g_free (from_text);
  g_free (to_text);
  return visits;
}

GPtrArray *
store_list_open_visits (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  GPtrArray *visits = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_prepare (store,
                      VISIT_COLUMNS "WHERE v.state IN ('waiting', 'in_progress')"
                                    " ORDER BY v.scheduled_at, v.id",
                      &stmt, error))
    goto out;
  visits = collect_visits (store, stmt, error);
out:
  sqlite3_finalize (stmt);
  return visits;
}

/* ------------------------------------------------------------ changes */

static gboolean
insert_state_event (Store *store, const char *visit_id, const char *at, const char *state,
                    GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store,
                      "INSERT INTO visit_events (visit_id, at, kind, state)"
                      " VALUES (?1, ?2, 'state', ?3)",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  store_bind_text (stmt, 2, at);
  store_bind_text (stmt, 3, state);
  ok = store_step_done (store, stmt, "insert state event", error);
out:
  sqlite3_finalize (stmt);
  return ok;
}

/* Copies the person's display name into a new participant row. */
static gboolean
insert_person_participant (Store *store, const char *visit_id, ParticipantRole role,
                           const char *person_id, const char *at, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  char *id = NULL;
  gboolean ok = FALSE;
  const char *sql =
    role == PARTICIPANT_PATIENT
      ? "INSERT INTO participants (id, visit_id, role, display_name, patient_id, created_at)"
        " SELECT ?1, ?2, 'patient', display_name, id, ?4 FROM patients WHERE id = ?3"
      : "INSERT INTO participants (id, visit_id, role, display_name, staff_id, created_at)"
        " SELECT ?1, ?2, 'provider', display_name, id, ?4 FROM staff WHERE id = ?3";

  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  id = g_uuid_string_random ();
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, visit_id);
  store_bind_text (stmt, 3, person_id);
  store_bind_text (stmt, 4, at);
  if (!store_step_done (store, stmt, "insert participant", error))
    goto out;
  if (sqlite3_changes (store->db) != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "participant's person not found");
    goto out;
  }
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  g_free (id);
  return ok;
}

char *
store_create_visit (Store *store, const char *patient_id, const char *provider_id,
                    gint64 scheduled_at_ms, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  char *id = NULL;
  char *now = NULL;
  char *scheduled = NULL;
  char *provider_role = NULL;
  gboolean exists = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, NULL);
  if (!patient_id || !provider_id) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "visit needs a patient and a provider");
    return NULL;
  }
  if (!(scheduled = store_format_time (scheduled_at_ms, error)))
    goto out;
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_row_exists (store, "patients", patient_id, &exists, error))
    goto out;
  if (!exists) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such patient");
    goto out;
  }
  if (!store_get_staff (store, provider_id, NULL, &provider_role, error))
    goto out;
  /* Administrative staff do not hold clinical visits. */
  if (g_strcmp0 (provider_role, "admin") == 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "an admin cannot be a visit's provider");
    goto out;
  }
  if (!store_prepare (store,
                      "INSERT INTO visits (id, patient_id, provider_id, scheduled_at, state,"
                      " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'scheduled', ?5, ?5)",
                      &stmt, error))
    goto out;
  id = g_uuid_string_random ();
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, patient_id);
  store_bind_text (stmt, 3, provider_id);
  store_bind_text (stmt, 4, scheduled);
  store_bind_text (stmt, 5, now);
  if (!store_step_done (store, stmt, "insert visit", error))
    goto out;
  if (!insert_state_event (store, id, now, "scheduled", error))
    goto out;
  if (!insert_person_participant (store, id, PARTICIPANT_PATIENT, patient_id, now, error))
    goto out;
  if (!insert_person_participant (store, id, PARTICIPANT_PROVIDER, provider_id, now, error))
    goto out;
  if (!store_commit (store, error))
    goto out;
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  if (!ok) {
    store_rollback (store);
    g_clear_pointer (&id, g_free);
  }
  g_free (now);
  g_free (scheduled);
  g_free (provider_role);
  return id;
}

gboolean
store_set_visit_state (Store *store, const char *visit_id, VisitState to, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  char *now = NULL;
  const char *to_name = visit_state_name (to);
  VisitState from;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!to_name) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown visit state");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_prepare (store, "SELECT state FROM visits WHERE id = ?1", &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such visit");
    goto out;
  }
  if (rc != SQLITE_ROW) {
    store_set_sql_error (store, error, "read visit state");
    goto out;
  }
  if (!visit_state_from_name ((const char *) sqlite3_column_text (stmt, 0), &from)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored visit state is unknown");
    goto out;
  }
  if (!visit_state_transition_allowed (from, to)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "visit cannot go from %s to %s",
                 visit_state_name (from), to_name);
    goto out;
  }
  sqlite3_finalize (stmt);
  stmt = NULL;
  if (!store_prepare (store, "UPDATE visits SET state = ?2, updated_at = ?3 WHERE id = ?1", &stmt,
                      error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  store_bind_text (stmt, 2, to_name);
  store_bind_text (stmt, 3, now);
  if (!store_step_done (store, stmt, "update visit state", error))
    goto out;
  if (!insert_state_event (store, visit_id, now, to_name, error))
    goto out;
  if (!store_commit (store, error))
    goto out;
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  if (!ok)
    store_rollback (store);
  g_free (now);
  return ok;
}

gboolean
store_record_participant_event (Store *store, const char *visit_id, const char *participant_id,
                                const char *event, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  char *now = NULL;
  gboolean exists = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (g_strcmp0 (event, "join") != 0 && g_strcmp0 (event, "admit") != 0 &&
      g_strcmp0 (event, "leave") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown participant event");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_row_exists (store, "visits", visit_id, &exists, error))
    goto out;
  if (!exists) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such visit");
    goto out;
  }
  /* Inserts only if the participant belongs to this visit. */
  if (!store_prepare (store,
                      "INSERT INTO visit_events (visit_id, at, kind, participant_id)"
                      " SELECT visit_id, ?3, ?4, id FROM participants"
                      " WHERE id = ?2 AND visit_id = ?1",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  store_bind_text (stmt, 2, participant_id);
  store_bind_text (stmt, 3, now);
  store_bind_text (stmt, 4, event);
  if (!store_step_done (store, stmt, "insert participant event", error))
    goto out;
  if (sqlite3_changes (store->db) != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such participant in this visit");
    goto out;
  }
  if (!store_commit (store, error))
    goto out;
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  if (!ok)
    store_rollback (store);
  g_free (now);
  return ok;
}

GPtrArray *
store_visit_timeline (Store *store, const char *visit_id, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  GPtrArray *events = NULL;
  gboolean found = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  /* One statement, one snapshot: the visit row (to tell "no visit" from "no
   * events") left-joined to its events in the order they were recorded. */
  if (!store_prepare (store,
                      "SELECT e.id, e.at, e.kind, e.state, e.participant_id, p.role"
                      " FROM visits v"
                      " LEFT JOIN visit_events e ON e.visit_id = v.id"
                      " LEFT JOIN participants p ON p.id = e.participant_id"
                      " WHERE v.id = ?1 ORDER BY e.id",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  events = g_ptr_array_new_with_free_func ((GDestroyNotify) store_visit_event_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    StoreVisitEvent *ev;
    found = TRUE;
    if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
      continue;  /* the visit has no events */
    ev = g_new0 (StoreVisitEvent, 1);
    g_ptr_array_add (events, ev);
    if (!store_column_time (stmt, 1, &ev->at_ms, error))
      goto fail;
    ev->kind = store_column_dup_text (stmt, 2);
    ev->state = store_column_dup_text (stmt, 3);
    ev->participant_id = store_column_dup_text (stmt, 4);
    ev->role = store_column_dup_text (stmt, 5);
  }
  if (rc != SQLITE_DONE) {
    store_set_sql_error (store, error, "visit timeline");
    goto fail;
  }
  if (!found) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such visit");
    goto fail;
  }
  goto out;
fail:
  g_clear_pointer (&events, g_ptr_array_unref);
out:
  sqlite3_finalize (stmt);
  return events;
}

/* ------------------------------------------------------------ participants */

#define PARTICIPANT_COLUMNS                                                               \
  "SELECT id, visit_id, role, display_name, COALESCE(patient_id, staff_id) FROM participants "

static gboolean
get_participant (Store *store, const char *sql, const char *arg1, const char *arg2,
                 StoreParticipant *out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  StoreParticipant p = { 0 };
  gboolean ok = FALSE;
  int rc;

  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, arg1);
  if (arg2)
    store_bind_text (stmt, 2, arg2);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such participant");
    goto out;
  }
  if (rc != SQLITE_ROW) {
    store_set_sql_error (store, error, "get participant");
    goto out;
  }
  if (!store_participant_role_from_name ((const char *) sqlite3_column_text (stmt, 2), &p.role)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored participant role is unknown");
    goto out;
  }
  p.id = store_column_dup_text (stmt, 0);
  p.visit_id = store_column_dup_text (stmt, 1);
  p.display_name = store_column_dup_text (stmt, 3);
  p.person_id = store_column_dup_text (stmt, 4);
  *out = p;
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
store_get_participant (Store *store, const char *participant_id, StoreParticipant *out,
                       GError **error)
{
  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  return get_participant (store, PARTICIPANT_COLUMNS "WHERE id = ?1", participant_id, NULL, out,
                          error);
}

gboolean
store_find_visit_participant (Store *store, const char *visit_id, ParticipantRole role,
                              StoreParticipant *out, GError **error)
{
  const char *role_name = participant_role_name (role);

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  if (!role_name) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown participant role");
    return FALSE;
  }
  return get_participant (store,
                          PARTICIPANT_COLUMNS "WHERE visit_id = ?1 AND role = ?2"
                                              " ORDER BY created_at, rowid LIMIT 1",
                          visit_id, role_name, out, error);
}
