/* store_visits.c — people (staff, patients), the visits between them, their
 * participants, states and timeline.
 *
 * Every change runs in one BEGIN IMMEDIATE transaction; the state and the
 * timeline event recording it are written together or not at all.
 */
#include "server/store/store-private.h"

#include <string.h>

/* ------------------------------------------------------------ people */

static const char *const kStaffRoles[] = { "psychiatrist", "pmhnp", "pa",
                                           "pcp",          "admin", "scheduler" };
/* The roles that hold visits: not the administrator, not the front desk. */
static const char *const kClinicalRoles[] = { "psychiatrist", "pmhnp", "pa", "pcp" };

static gboolean
staff_role_valid (const char *role)
{
  return store_name_index (kStaffRoles, G_N_ELEMENTS (kStaffRoles), role, NULL);
}

gboolean
store_staff_role_clinical (const char *role)
{
  return store_name_index (kClinicalRoles, G_N_ELEMENTS (kClinicalRoles), role, NULL);
}

static gboolean
display_name_valid (const char *name)
{
  return name && *name && g_utf8_validate (name, -1, NULL) && strlen (name) <= 1024;
}

/* Inserts one person row inside the caller's transaction. `sql` has ?1 id,
 * ?2 name, ?3 created_at, and optionally ?4 (role). */
static char *
insert_person_row (Store *store, const char *sql, const char *display_name, const char *role,
                   GError **error)
{
  char *id = NULL;
  char *now = store_format_time (store_now_ms (), error);

  if (now) {
    id = g_uuid_string_random ();
    if (!store_run (store, "insert person", sql, NULL, NULL, error, role ? 4 : 3, id, display_name,
                    now, role))
      g_clear_pointer (&id, g_free);
  }
  g_free (now);
  return id;
}

/* insert_person_row in a transaction of its own. */
static char *
insert_person (Store *store, const char *sql, const char *display_name, const char *role,
               GError **error)
{
  char *id = NULL;

  if (store_begin (store, error))
    id = insert_person_row (store, sql, display_name, role, error);
  if (!store_commit_or_rollback (store, id != NULL, error))
    g_clear_pointer (&id, g_free);
  return id;
}

#define INSERT_PATIENT_SQL "INSERT INTO patients (id, display_name, created_at) VALUES (?1, ?2, ?3)"

char *
store_create_staff (Store *store, const char *display_name, const char *role, GError **error)
{
  if (!display_name_valid (display_name)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad display name");
    return NULL;
  }
  if (!staff_role_valid (role)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad staff role");
    return NULL;
  }
  return insert_person (store,
                        "INSERT INTO staff (id, display_name, created_at, role)"
                        " VALUES (?1, ?2, ?3, ?4)",
                        display_name, role, error);
}

char *
store_create_patient (Store *store, const char *display_name, GError **error)
{
  if (!display_name_valid (display_name)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad display name");
    return NULL;
  }
  return insert_person (store, INSERT_PATIENT_SQL, display_name, NULL, error);
}

gboolean
store_get_staff (Store *store, const char *staff_id, char **display_name, char **role,
                 GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = store_select_row (store, "SELECT display_name, role FROM staff WHERE id = ?1",
                                  staff_id, "get staff", "no such staff member", &stmt, error);

  if (ok && display_name)
    *display_name = store_column_dup_text (stmt, 0);
  if (ok && role)
    *role = store_column_dup_text (stmt, 1);
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_get_patient (Store *store, const char *patient_id, char **display_name, GError **error)
{
  return store_select_text (store, "SELECT display_name FROM patients WHERE id = ?1", patient_id,
                            "get patient", "no such patient", display_name, error);
}

/* ------------------------------------------------------------ names */

static const char *const kStateNames[] = {
  [VISIT_SCHEDULED] = "scheduled",     [VISIT_WAITING] = "waiting",
  [VISIT_IN_PROGRESS] = "in_progress", [VISIT_ENDED] = "ended",
  [VISIT_CANCELLED] = "cancelled",     [VISIT_NO_SHOW] = "no_show",
};

static const char *const kRoleNames[] = {
  [PARTICIPANT_PATIENT] = "patient",
  [PARTICIPANT_PROVIDER] = "provider",
  [PARTICIPANT_GUEST] = "guest",
};

const char *
visit_state_name (VisitState state)
{
  return store_name_at (kStateNames, G_N_ELEMENTS (kStateNames), (unsigned) state);
}

gboolean
visit_state_from_name (const char *name, VisitState *out)
{
  gsize i;

  if (!store_name_index (kStateNames, G_N_ELEMENTS (kStateNames), name, &i))
    return FALSE;
  if (out)
    *out = (VisitState) i;
  return TRUE;
}

gboolean
visit_state_transition_allowed (VisitState from, VisitState to)
{
  switch (from) {
  case VISIT_SCHEDULED:
    return to == VISIT_WAITING || to == VISIT_IN_PROGRESS || to == VISIT_ENDED ||
           to == VISIT_CANCELLED || to == VISIT_NO_SHOW;
  case VISIT_WAITING:
    return to == VISIT_IN_PROGRESS || to == VISIT_SCHEDULED || to == VISIT_ENDED;
  case VISIT_IN_PROGRESS:
    return to == VISIT_ENDED;
  case VISIT_ENDED:
  case VISIT_CANCELLED:
  case VISIT_NO_SHOW:
  default:
    return FALSE;
  }
}

const char *
participant_role_name (ParticipantRole role)
{
  return store_name_at (kRoleNames, G_N_ELEMENTS (kRoleNames), (unsigned) role);
}

gboolean
store_participant_role_from_name (const char *name, ParticipantRole *out)
{
  gsize i;

  if (!store_name_index (kRoleNames, G_N_ELEMENTS (kRoleNames), name, &i))
    return FALSE;
  if (out)
    *out = (ParticipantRole) i;
  return TRUE;
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
  g_free (visit->visit_type);
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
  g_free (event->reason);
  g_free (event->staff_id);
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

/* Reads one STORE_VISIT_COLUMNS row into `out` (which is overwritten). */
static gboolean
read_visit_row (StoreStmt *stmt, StoreVisit *out, GError **error)
{
  StoreVisit v = { 0 };
  gboolean ok = FALSE;

  v.id = store_column_dup_text (stmt, 0);
  v.patient_id = store_column_dup_text (stmt, 1);
  v.patient_name = store_column_dup_text (stmt, 2);
  v.provider_id = store_column_dup_text (stmt, 3);
  v.provider_name = store_column_dup_text (stmt, 4);
  v.modality = store_column_dup_text (stmt, 7);
  v.length_minutes = (guint) store_col_int (stmt, 9);
  v.visit_type = store_column_dup_text (stmt, 10);
  if (!store_column_time (stmt, 5, &v.scheduled_at_ms, error))
    goto out;
  if (!store_column_time (stmt, 8, &v.created_at_ms, error))
    goto out;
  if (!visit_state_from_name (store_col_text (stmt, 6), &v.state)) {
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

static gpointer
visit_row_new (StoreStmt *stmt, GError **error)
{
  StoreVisit *v = g_new0 (StoreVisit, 1);
  if (!read_visit_row (stmt, v, error))
    g_clear_pointer (&v, g_free);
  return v;
}

GPtrArray *
store_collect_visits (Store *store, StoreStmt *stmt, const char *what, GError **error)
{
  return store_collect_rows (store, stmt, visit_row_new, (GDestroyNotify) store_visit_free, what,
                             error);
}

gboolean
store_get_visit (Store *store, const char *visit_id, StoreVisit *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  ok = store_select_row (store, STORE_VISIT_COLUMNS "WHERE v.id = ?1", visit_id, "get visit",
                         "no such visit", &stmt, error) &&
       read_visit_row (stmt, out, error);
  store_stmt_free (stmt);
  return ok;
}

GPtrArray *
store_list_provider_visits (Store *store, const char *provider_id, gint64 from_ms, gint64 to_ms,
                            GError **error)
{
  StoreStmt *stmt = NULL;
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
                      STORE_VISIT_COLUMNS
                      "WHERE (CAST(?1 AS TEXT) IS NULL OR v.provider_id = ?1)"
                      " AND v.scheduled_at >= ?2"
                      " AND (CAST(?3 AS TEXT) IS NULL OR v.scheduled_at < ?3)"
                      " ORDER BY v.scheduled_at, v.created_at, v.id",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, provider_id);
  store_bind_text (stmt, 2, from_text);
  store_bind_text (stmt, 3, to_text);
  visits = store_collect_visits (store, stmt, "list visits", error);
out:
  store_stmt_free (stmt);
  g_free (from_text);
  g_free (to_text);
  return visits;
}

/* ------------------------------------------------------------ changes */

static gboolean
insert_state_event (Store *store, const char *visit_id, const char *at, const char *state,
                    GError **error)
{
  return store_run (store, "insert state event",
                    "INSERT INTO visit_events (visit_id, at, kind, state)"
                    " VALUES (?1, ?2, 'state', ?3)",
                    NULL, NULL, error, 3, visit_id, at, state);
}

/* Copies the person's display name into a new participant row; its id into
 * *id_out when not NULL. */
static gboolean
insert_person_participant (Store *store, const char *visit_id, ParticipantRole role,
                           const char *person_id, const char *at, char **id_out, GError **error)
{
  char *id = g_uuid_string_random ();
  guint changed = 0;
  gboolean ok;
  const char *sql =
    role == PARTICIPANT_PATIENT
      ? "INSERT INTO participants (id, visit_id, role, display_name, patient_id, created_at)"
        " SELECT ?1, ?2, 'patient', display_name, id, ?4 FROM patients WHERE id = ?3"
      : "INSERT INTO participants (id, visit_id, role, display_name, staff_id, created_at)"
        " SELECT ?1, ?2, 'provider', display_name, id, ?4 FROM staff WHERE id = ?3";

  ok = store_run (store, "insert participant", sql, NULL, &changed, error, 4, id, visit_id,
                  person_id, at);
  if (ok && changed != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "participant's person not found");
    ok = FALSE;
  }
  if (ok && id_out)
    *id_out = g_steal_pointer (&id);
  g_free (id);
  return ok;
}

char *
store_create_visit (Store *store, const char *patient_id, const char *provider_id,
                    gint64 scheduled_at_ms, GError **error)
{
  return store_create_visit_at (store, patient_id, provider_id, scheduled_at_ms, store_now_ms (),
                                error);
}

/* The visit's rows inside the caller's transaction: the visit, its first
 * state in the timeline, and a participant for the patient (its id into
 * *patient_participant when not NULL) and one for the provider. */
static char *
insert_visit_rows (Store *store, const char *patient_id, const char *provider_id,
                   gint64 scheduled_at_ms, gint64 at_ms, char **patient_participant, GError **error)
{
  g_autofree char *now = NULL, *scheduled = NULL, *provider_role = NULL;
  char *id = NULL;

  if (!patient_id || !provider_id) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "visit needs a patient and a provider");
    return NULL;
  }
  if (!(scheduled = store_format_time (scheduled_at_ms, error)) ||
      !(now = store_format_time (at_ms, error)))
    return NULL;
  if (!store_require_row (store, "patients", patient_id, "no such patient", error) ||
      !store_get_staff (store, provider_id, NULL, &provider_role, error))
    return NULL;
  /* The administrator and the front desk do not hold clinical visits. */
  if (!store_staff_role_clinical (provider_role)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "only a clinician can be a visit's provider");
    return NULL;
  }
  id = g_uuid_string_random ();
  if (!store_run (store, "insert visit",
                  "INSERT INTO visits (id, patient_id, provider_id, scheduled_at, state,"
                  " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'scheduled', ?5, ?5)",
                  NULL, NULL, error, 5, id, patient_id, provider_id, scheduled, now) ||
      !insert_state_event (store, id, now, "scheduled", error) ||
      !insert_person_participant (store, id, PARTICIPANT_PATIENT, patient_id, now,
                                  patient_participant, error) ||
      !insert_person_participant (store, id, PARTICIPANT_PROVIDER, provider_id, now, NULL, error) ||
      !store_visit_changed (store, id, error))
    g_clear_pointer (&id, g_free);
  return id;
}

char *
store_create_visit_at (Store *store, const char *patient_id, const char *provider_id,
                       gint64 scheduled_at_ms, gint64 at_ms, GError **error)
{
  char *id = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (store_begin (store, error))
    id = insert_visit_rows (store, patient_id, provider_id, scheduled_at_ms, at_ms, NULL, error);
  if (!store_commit_or_rollback (store, id != NULL, error))
    g_clear_pointer (&id, g_free);
  return id;
}

void
store_booked_visit_clear (StoreBookedVisit *booked)
{
  g_free (booked->visit_id);
  g_free (booked->patient_id);
  store_secret_clear (&booked->patient_token);
  memset (booked, 0, sizeof *booked);
}

/* The booking's rows inside the caller's transaction, into *out. */
static gboolean
insert_booking (Store *store, const StoreVisitBooking *b, StoreBookedVisit *out, GError **error)
{
  g_autofree char *participant = NULL;

  if (b->new_patient_name) {
    if (!display_name_valid (b->new_patient_name)) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "bad display name");
      return FALSE;
    }
    out->patient_id = insert_person_row (store, INSERT_PATIENT_SQL, b->new_patient_name, NULL,
                                         error);
  } else {
    out->patient_id = g_strdup (b->patient_id);
  }
  if (!out->patient_id ||
      !(out->visit_id = insert_visit_rows (store, out->patient_id, b->provider_id,
                                           b->scheduled_at_ms, store_now_ms (), &participant,
                                           error)))
    return FALSE;
  if (b->modality) {
    if (g_strcmp0 (b->modality, "video") != 0 && g_strcmp0 (b->modality, "audio-only") != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown visit modality");
      return FALSE;
    }
    if (!store_run (store, "set visit modality", "UPDATE visits SET modality = ?2 WHERE id = ?1",
                    NULL, NULL, error, 2, out->visit_id, b->modality))
      return FALSE;
  }
  if ((b->length_minutes || b->visit_type) &&
      !store_set_visit_kind (store, out->visit_id, b->length_minutes, b->visit_type, error))
    return FALSE;
  out->patient_token = store_insert_join_token (store, participant, b->link_not_before_ms,
                                                b->link_not_after_ms, error);
  return out->patient_token != NULL;
}

gboolean
store_insert_booking (Store *store, const StoreVisitBooking *booking, StoreBookedVisit *out,
                      GError **error)
{
  return insert_booking (store, booking, out, error);
}

gboolean
store_read_visit (StoreStmt *stmt, StoreVisit *out, GError **error)
{
  return read_visit_row (stmt, out, error);
}

gboolean
store_book_visit (Store *store, const StoreVisitBooking *booking, StoreBookedVisit *out,
                  GError **error)
{
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && booking != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (store_begin (store, error))
    ok = insert_booking (store, booking, out, error);
  if (!store_commit_or_rollback (store, ok, error)) {
    store_booked_visit_clear (out);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_set_visit_state (Store *store, const char *visit_id, VisitState to, GError **error)
{
  return store_set_visit_state_at (store, visit_id, to, store_now_ms (), error);
}

gboolean
store_set_visit_state_at (Store *store, const char *visit_id, VisitState to, gint64 at_ms,
                          GError **error)
{
  char *now = NULL;
  char *from_name = NULL;
  const char *to_name = visit_state_name (to);
  VisitState from;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!to_name) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown visit state");
    return FALSE;
  }
  if (!(now = store_format_time (at_ms, error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_select_text (store, "SELECT state FROM visits WHERE id = ?1", visit_id,
                          "read visit state", "no such visit", &from_name, error))
    goto out;
  if (!visit_state_from_name (from_name, &from)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored visit state is unknown");
    goto out;
  }
  if (!visit_state_transition_allowed (from, to)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "visit cannot go from %s to %s",
                 visit_state_name (from), to_name);
    goto out;
  }
  if (!store_run (store, "update visit state",
                  "UPDATE visits SET state = ?2, updated_at = ?3 WHERE id = ?1", NULL, NULL, error,
                  3, visit_id, to_name, now))
    goto out;
  if (!insert_state_event (store, visit_id, now, to_name, error) ||
      !store_visit_changed (store, visit_id, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  g_free (from_name);
  g_free (now);
  return ok;
}

/* What may happen to a participant (the CHECK of visit_events, migration 6). */
static const char *const kParticipantEvents[] = {
  "join", "admit", "drop", "return", "leave", "connect-trouble", NULL,
};

gboolean
store_record_participant_event (Store *store, const char *visit_id, const char *participant_id,
                                const char *event, GError **error)
{
  char *now = NULL;
  guint changed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (event == NULL || !g_strv_contains (kParticipantEvents, event)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown participant event");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    goto out;
  /* Inserts only if the participant belongs to this visit. */
  if (!store_run (store, "insert participant event",
                  "INSERT INTO visit_events (visit_id, at, kind, participant_id)"
                  " SELECT visit_id, ?3, ?4, id FROM participants"
                  " WHERE id = ?2 AND visit_id = ?1",
                  NULL, &changed, error, 4, visit_id, participant_id, now, event))
    goto out;
  if (changed != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such participant in this visit");
    goto out;
  }
  /* Who waits, who joined or left: the console's waiting room. */
  if (!store_visit_changed (store, visit_id, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  g_free (now);
  return ok;
}

GPtrArray *
store_visit_timeline (Store *store, const char *visit_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *events = NULL;
  gboolean found = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  /* One statement, one snapshot: the visit row (to tell "no visit" from "no
   * events") left-joined to its events in the order they were recorded. */
  if (!store_prepare (store,
                      "SELECT e.id, e.at, e.kind, e.state, e.participant_id, p.role, e.reason,"
                      " e.moved_from, e.moved_to, e.staff_id"
                      " FROM visits v"
                      " LEFT JOIN visit_events e ON e.visit_id = v.id"
                      " LEFT JOIN participants p ON p.id = e.participant_id"
                      " WHERE v.id = ?1 ORDER BY e.id",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  events = g_ptr_array_new_with_free_func ((GDestroyNotify) store_visit_event_free);
  while ((rc = store_step (stmt)) == STORE_ROW) {
    StoreVisitEvent *ev;
    found = TRUE;
    if (store_col_is_null (stmt, 0))
      continue; /* the visit has no events */
    ev = g_new0 (StoreVisitEvent, 1);
    g_ptr_array_add (events, ev);
    if (!store_column_time (stmt, 1, &ev->at_ms, error))
      goto fail;
    ev->kind = store_column_dup_text (stmt, 2);
    ev->state = store_column_dup_text (stmt, 3);
    ev->participant_id = store_column_dup_text (stmt, 4);
    ev->role = store_column_dup_text (stmt, 5);
    ev->reason = store_column_dup_text (stmt, 6);
    ev->staff_id = store_column_dup_text (stmt, 9);
    if (!store_col_is_null (stmt, 7) &&
        (!store_column_time (stmt, 7, &ev->moved_from_ms, error) ||
         !store_column_time (stmt, 8, &ev->moved_to_ms, error)))
      goto fail;
  }
  if (rc != STORE_DONE) {
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
  store_stmt_free (stmt);
  return events;
}

/* ------------------------------------------------------------ participants */

#define PARTICIPANT_COLUMNS \
  "SELECT id, visit_id, role, display_name, COALESCE(patient_id, staff_id) FROM participants "

gboolean
store_read_participant (StoreStmt *stmt, int col, StoreParticipant *out, GError **error)
{
  StoreParticipant p = { 0 };

  if (!store_participant_role_from_name (store_col_text (stmt, col + 2),
                                         &p.role)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored participant role is unknown");
    return FALSE;
  }
  p.id = store_column_dup_text (stmt, col);
  p.visit_id = store_column_dup_text (stmt, col + 1);
  p.display_name = store_column_dup_text (stmt, col + 3);
  p.person_id = store_column_dup_text (stmt, col + 4);
  *out = p;
  return TRUE;
}

static gboolean
get_participant (Store *store, const char *sql, const char *arg1, const char *arg2,
                 StoreParticipant *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, arg1);
  if (arg2)
    store_bind_text (stmt, 2, arg2);
  ok = store_step_row (store, stmt, "get participant", "no such participant", error) &&
       store_read_participant (stmt, 0, out, error);
out:
  store_stmt_free (stmt);
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
