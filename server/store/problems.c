/* problems.c — the patient's diagnoses and allergies (store-problems.h).
 * Rows and their status events are append-only: each write is one
 * transaction, and the latest event is the status on every read. */
#include "server/store/store-private.h"

#include <string.h>

/* ------------------------------------------------------------ shared */

/* A visit, when given, must be the patient's (inside the transaction). */
static gboolean
visit_of_patient (Store *store, const char *visit_id, const char *patient_id, GError **error)
{
  g_autofree char *owner = NULL;
  GError *local = NULL;

  if (!visit_id)
    return TRUE;
  if (!store_select_text (store, "SELECT patient_id FROM visits WHERE id = ?1", visit_id,
                          "read the visit", "no such visit", &owner, &local)) {
    if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      g_propagate_error (error, local);
      return FALSE;
    }
    g_clear_error (&local);
  }
  if (g_strcmp0 (owner, patient_id) != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "That visit is not this patient's: record it from the patient's own record. "
                 "Nothing was saved.");
    return FALSE;
  }
  return TRUE;
}

/* Runs `sql` with ?1 = arg, reading rows with `read`. */
static GPtrArray *
list_rows (Store *store, const char *sql, const char *arg, StoreRowReader read,
           GDestroyNotify free_item, const char *what, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *rows = NULL;

  if (store_prepare (store, sql, &stmt, error)) {
    store_bind_text (stmt, 1, arg);
    rows = store_collect_rows (store, stmt, read, free_item, what, error);
  }
  store_stmt_free (stmt);
  return rows;
}

/* ------------------------------------------------------------ conditions */

void
store_condition_clear (StoreCondition *c)
{
  if (!c)
    return;
  g_free (c->id);
  g_free (c->patient_id);
  g_free (c->code);
  g_free (c->display);
  g_free (c->onset_date);
  g_free (c->visit_id);
  g_free (c->recorded_by);
  g_free (c->recorded_by_name);
  g_free (c->clinical_status);
  g_free (c->verification_status);
  g_free (c->status_reason);
  g_free (c->status_by);
  g_free (c->status_by_name);
  memset (c, 0, sizeof *c);
}

void
store_condition_free (StoreCondition *c)
{
  store_condition_clear (c);
  g_free (c);
}

#define CONDITION_COLUMNS                                                                  \
  "SELECT c.id, c.patient_id, c.code, c.display, c.onset_date, c.visit_id, c.recorded_by," \
  " s1.display_name, c.recorded_at, e.clinical_status, e.verification_status, e.reason,"   \
  " e.by_staff_id, s2.display_name, e.at"                                                  \
  " FROM patient_conditions c JOIN staff s1 ON s1.id = c.recorded_by"                      \
  " JOIN condition_events e ON e.id = (SELECT max(id) FROM condition_events"               \
  "   WHERE condition_id = c.id)"                                                          \
  " JOIN staff s2 ON s2.id = e.by_staff_id "

static gpointer
condition_row_new (StoreStmt *stmt, GError **error)
{
  StoreCondition *c = g_new0 (StoreCondition, 1);

  c->id = store_column_dup_text (stmt, 0);
  c->patient_id = store_column_dup_text (stmt, 1);
  c->code = store_column_dup_text (stmt, 2);
  c->display = store_column_dup_text (stmt, 3);
  c->onset_date = store_column_dup_text (stmt, 4);
  c->visit_id = store_column_dup_text (stmt, 5);
  c->recorded_by = store_column_dup_text (stmt, 6);
  c->recorded_by_name = store_column_dup_text (stmt, 7);
  c->clinical_status = store_column_dup_text (stmt, 9);
  c->verification_status = store_column_dup_text (stmt, 10);
  c->status_reason = store_column_dup_text (stmt, 11);
  c->status_by = store_column_dup_text (stmt, 12);
  c->status_by_name = store_column_dup_text (stmt, 13);
  if (!store_column_time (stmt, 8, &c->recorded_at_ms, error) ||
      !store_column_time (stmt, 14, &c->status_at_ms, error)) {
    store_condition_free (c);
    return NULL;
  }
  return c;
}

static gboolean
insert_condition_event (Store *store, const char *condition_id, const char *clinical,
                        const char *verification, const char *reason, const char *by,
                        const char *at, GError **error)
{
  return store_run (store, "insert condition event",
                    "INSERT INTO condition_events (condition_id, clinical_status,"
                    " verification_status, reason, by_staff_id, at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    NULL, NULL, error, 6, condition_id, clinical, verification, reason, by, at);
}

char *
store_add_condition (Store *store, const StoreConditionNew *c, gint64 at_ms, GError **error)
{
  g_autofree char *id = g_uuid_string_random (), *at = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && c != NULL && c->recorded_by != NULL, NULL);
  if (!(at = store_format_time (at_ms, error)) || !store_begin (store, error))
    return NULL;
  ok = store_require_row (store, "patients", c->patient_id, "no such patient", error) &&
       visit_of_patient (store, c->visit_id, c->patient_id, error) &&
       store_run (store, "insert condition",
                  "INSERT INTO patient_conditions (id, patient_id, code, display, onset_date,"
                  " visit_id, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                  NULL, NULL, error, 8, id, c->patient_id, c->code, c->display, c->onset_date,
                  c->visit_id, c->recorded_by, at) &&
       insert_condition_event (store, id, c->clinical_status, c->verification_status, NULL,
                               c->recorded_by, at, error);
  if (!store_commit_or_rollback (store, ok, error))
    return NULL;
  return g_steal_pointer (&id);
}

GPtrArray *
store_list_conditions (Store *store, const char *patient_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    return NULL;
  return list_rows (store,
                    CONDITION_COLUMNS "WHERE c.patient_id = ?1 ORDER BY c.recorded_at, c.rowid",
                    patient_id, condition_row_new, (GDestroyNotify) store_condition_free,
                    "list conditions", error);
}

/* The condition, when it is the patient's; NOT_FOUND otherwise. */
static StoreCondition *
patient_condition (Store *store, const char *patient_id, const char *condition_id, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreCondition *c = NULL;

  if (store_select_row (store, CONDITION_COLUMNS "WHERE c.id = ?1", condition_id, "get condition",
                        "no such condition", &stmt, error))
    c = condition_row_new (stmt, error);
  store_stmt_free (stmt);
  if (c && g_strcmp0 (c->patient_id, patient_id) != 0) {
    g_clear_pointer (&c, store_condition_free);
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such condition");
  }
  return c;
}

gboolean
store_condition_set_status (Store *store, const char *patient_id, const char *condition_id,
                            const char *clinical_status, const char *verification_status,
                            const char *reason, const char *by_staff_id, gint64 at_ms,
                            GError **error)
{
  g_autofree char *at = NULL;
  StoreCondition *c = NULL;
  gboolean ok = FALSE;

  if (!(at = store_format_time (at_ms, error)) || !store_begin (store, error))
    return FALSE;
  if ((c = patient_condition (store, patient_id, condition_id, error)))
    ok = insert_condition_event (store, condition_id,
                                 clinical_status ? clinical_status : c->clinical_status,
                                 verification_status ? verification_status : c->verification_status,
                                 reason, by_staff_id, at, error);
  store_condition_free (c);
  return store_commit_or_rollback (store, ok, error);
}

gboolean
store_order_condition_check_locked (Store *store, const char *patient_id, const char *condition_id,
                                    GError **error)
{
  GError *local = NULL;
  StoreCondition *c;
  gboolean ok = FALSE;

  if (!condition_id)
    return TRUE;
  if (!(c = patient_condition (store, patient_id, condition_id, &local))) {
    if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      g_propagate_error (error, local);
      return FALSE;
    }
    g_clear_error (&local);
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "The diagnosis this order treats is not one of this patient's: choose one "
                 "from the patient's diagnoses. Nothing was saved.");
    return FALSE;
  }
  if (g_strcmp0 (c->verification_status, "entered-in-error") == 0 ||
      g_strcmp0 (c->verification_status, "refuted") == 0 ||
      !rx_condition_clinical_is_active (c->clinical_status))
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                 "%s %s is %s on the patient's record, so an order cannot treat it: choose an "
                 "active diagnosis, or mark this one active again first. Nothing was saved.",
                 c->code, c->display,
                 g_strcmp0 (c->verification_status, "entered-in-error") == 0 ? "entered in error"
                 : g_strcmp0 (c->verification_status, "refuted") == 0        ? "refuted"
                                                                             : c->clinical_status);
  else
    ok = TRUE;
  store_condition_free (c);
  return ok;
}

char **
store_visit_condition_ids (Store *store, const char *visit_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *ids = g_ptr_array_new ();
  gboolean ok = FALSE;
  int rc;

  /* Recorded in the visit, or treated by an order written in it. */
  if (!store_prepare (store,
                      "SELECT id FROM (SELECT id, recorded_at AS at, rowid AS r FROM"
                      " patient_conditions WHERE visit_id = ?1"
                      " UNION SELECT c.id, c.recorded_at, c.rowid FROM medication_orders o"
                      " JOIN patient_conditions c ON c.id = o.condition_id WHERE o.visit_id = ?1) "
                      "AS treated"
                      " ORDER BY at, r",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  while ((rc = store_step (stmt)) == STORE_ROW)
    g_ptr_array_add (ids, store_column_dup_text (stmt, 0));
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "list visit conditions");
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  g_ptr_array_add (ids, NULL);
  if (!ok) {
    g_strfreev ((char **) g_ptr_array_free (ids, FALSE));
    return NULL;
  }
  return (char **) g_ptr_array_free (ids, FALSE);
}

/* ------------------------------------------------------------ allergies */

void
store_allergy_clear (StoreAllergy *a)
{
  if (!a)
    return;
  g_free (a->id);
  g_free (a->patient_id);
  g_free (a->substance_kind);
  g_free (a->substance);
  g_free (a->type);
  g_free (a->manifestation);
  g_free (a->reaction);
  g_free (a->severity);
  g_free (a->criticality);
  g_free (a->onset_date);
  g_free (a->visit_id);
  g_free (a->recorded_by);
  g_free (a->recorded_by_name);
  g_free (a->status);
  g_free (a->status_reason);
  g_free (a->status_by);
  g_free (a->status_by_name);
  memset (a, 0, sizeof *a);
}

void
store_allergy_free (StoreAllergy *a)
{
  store_allergy_clear (a);
  g_free (a);
}

#define ALLERGY_COLUMNS                                                                       \
  "SELECT a.id, a.patient_id, a.substance_kind, a.substance, a.type, a.manifestation,"        \
  " a.reaction, a.severity, a.criticality, a.onset_date, a.visit_id, a.recorded_by,"          \
  " s1.display_name, a.recorded_at, e.status, e.reason, e.by_staff_id, s2.display_name, e.at" \
  " FROM patient_allergies a JOIN staff s1 ON s1.id = a.recorded_by"                          \
  " JOIN allergy_events e ON e.id = (SELECT max(id) FROM allergy_events"                      \
  "   WHERE allergy_id = a.id)"                                                               \
  " JOIN staff s2 ON s2.id = e.by_staff_id "

static gpointer
allergy_row_new (StoreStmt *stmt, GError **error)
{
  StoreAllergy *a = g_new0 (StoreAllergy, 1);
  char **text[] = { &a->id,
                    &a->patient_id,
                    &a->substance_kind,
                    &a->substance,
                    &a->type,
                    &a->manifestation,
                    &a->reaction,
                    &a->severity,
                    &a->criticality,
                    &a->onset_date,
                    &a->visit_id,
                    &a->recorded_by,
                    &a->recorded_by_name };

  for (guint i = 0; i < G_N_ELEMENTS (text); i++)
    *text[i] = store_column_dup_text (stmt, (int) i);
  a->status = store_column_dup_text (stmt, 14);
  a->status_reason = store_column_dup_text (stmt, 15);
  a->status_by = store_column_dup_text (stmt, 16);
  a->status_by_name = store_column_dup_text (stmt, 17);
  if (!store_column_time (stmt, 13, &a->recorded_at_ms, error) ||
      !store_column_time (stmt, 18, &a->status_at_ms, error)) {
    store_allergy_free (a);
    return NULL;
  }
  return a;
}

static gboolean
insert_allergy_event (Store *store, const char *allergy_id, const char *status, const char *reason,
                      const char *by, const char *at, GError **error)
{
  return store_run (store, "insert allergy event",
                    "INSERT INTO allergy_events (allergy_id, status, reason, by_staff_id, at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5)",
                    NULL, NULL, error, 5, allergy_id, status, reason, by, at);
}

char *
store_add_allergy (Store *store, const StoreAllergyNew *a, gint64 at_ms, GError **error)
{
  g_autofree char *id = g_uuid_string_random (), *at = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && a != NULL && a->recorded_by != NULL, NULL);
  if (!(at = store_format_time (at_ms, error)) || !store_begin (store, error))
    return NULL;
  ok = store_require_row (store, "patients", a->patient_id, "no such patient", error) &&
       visit_of_patient (store, a->visit_id, a->patient_id, error) &&
       store_run (store, "insert allergy",
                  "INSERT INTO patient_allergies (id, patient_id, substance_kind, substance,"
                  " type, manifestation, reaction, severity, criticality, onset_date, visit_id,"
                  " recorded_by, recorded_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                  NULL, NULL, error, 13, id, a->patient_id, a->substance_kind, a->substance,
                  a->type, a->manifestation, a->reaction, a->severity, a->criticality,
                  a->onset_date, a->visit_id, a->recorded_by, at) &&
       insert_allergy_event (store, id, a->status ? a->status : "active", NULL, a->recorded_by, at,
                             error);
  if (!store_commit_or_rollback (store, ok, error))
    return NULL;
  return g_steal_pointer (&id);
}

GPtrArray *
store_list_allergies (Store *store, const char *patient_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    return NULL;
  return list_rows (store,
                    ALLERGY_COLUMNS "WHERE a.patient_id = ?1 ORDER BY a.recorded_at, a.rowid",
                    patient_id, allergy_row_new, (GDestroyNotify) store_allergy_free,
                    "list allergies", error);
}

gboolean
store_allergy_set_status (Store *store, const char *patient_id, const char *allergy_id,
                          const char *status, const char *reason, const char *by_staff_id,
                          gint64 at_ms, GError **error)
{
  g_autofree char *at = NULL, *owner = NULL;
  gboolean ok = FALSE;

  if (!(at = store_format_time (at_ms, error)) || !store_begin (store, error))
    return FALSE;
  if (store_select_text (store, "SELECT patient_id FROM patient_allergies WHERE id = ?1",
                         allergy_id, "get allergy", "no such allergy", &owner, error)) {
    if (g_strcmp0 (owner, patient_id) != 0)
      g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such allergy");
    else
      ok = insert_allergy_event (store, allergy_id, status, reason, by_staff_id, at, error);
  }
  return store_commit_or_rollback (store, ok, error);
}
