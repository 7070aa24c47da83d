/* store_clinical.c — the follow-up record around the orders: PA
 * supervision, in-person evaluations, birth dates, the visit's modality,
 * notes, and a patient's visits. (Check-ins are in store_checkins.c; the
 * medications table is synced in store_orders.c, beside the orders that
 * reference it.)
 *
 * Notes are append-only (triggers in migration 2). Nothing here logs notes
 * or names; errors name statements, never values.
 */
#include "server/store/store-private.h"
#include "server/clock/clock.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Free-text limits: generous for a clinician, small enough that one request
 * cannot bloat the file. */
#define NOTE_MAX_CHARS 20000

/* ------------------------------------------------------------ supervision */

gboolean
store_set_staff_supervisor (Store *store, const char *staff_id, const char *supervisor_id,
                            GError **error)
{
  char *role = NULL;
  char *sup_role = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!store_begin (store, error))
    goto out;
  if (!store_get_staff (store, staff_id, NULL, &role, error))
    goto out;
  /* Only a PA's adjustments wait for co-signature, so only a PA has a
   * supervisor; and only a psychiatrist co-signs. */
  if (g_strcmp0 (role, "pa") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "only a pa has a supervisor");
    goto out;
  }
  if (supervisor_id) {
    if (!store_get_staff (store, supervisor_id, NULL, &sup_role, error))
      goto out;
    if (g_strcmp0 (sup_role, "psychiatrist") != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "the supervisor must be a psychiatrist");
      goto out;
    }
  }
  if (!store_run (store, "set supervisor",
                  "UPDATE staff SET supervising_psychiatrist_id = ?2 WHERE id = ?1", NULL, NULL,
                  error, 2, staff_id, supervisor_id))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  g_free (role);
  g_free (sup_role);
  return ok;
}

char *
store_get_staff_supervisor (Store *store, const char *staff_id, GError **error)
{
  char *id = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  store_select_text (store, "SELECT supervising_psychiatrist_id FROM staff WHERE id = ?1", staff_id,
                     "get supervisor", "no such staff member", &id, error);
  return id;
}

/* ------------------------------------------------------------ patient / visit fields */

/* Runs a one-row UPDATE of `sql` (?1 id, ?2 value, ?3 value3 when given);
 * NOT_FOUND when no row has that id. Single statements are atomic without
 * an explicit transaction. */
static gboolean
update_one (Store *store, const char *what, const char *sql, const char *id, const char *value,
            const char *value3, const char *not_found, GError **error)
{
  guint changed = 0;

  if (!store_run (store, what, sql, NULL, &changed, error, value3 ? 3 : 2, id, value, value3))
    return FALSE;
  if (changed != 1) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, not_found);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_set_in_person_evaluation (Store *store, const char *patient_id, const GDate *date,
                                GError **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  /* An invalid date means "none on record", stored as NULL. */
  if (date && g_date_valid (date))
    text = th_date_format (date);
  return update_one (store, "update", "UPDATE patients SET in_person_eval_at = ?2 WHERE id = ?1",
                     patient_id, text, NULL, "no such patient", error);
}

gboolean
store_get_in_person_evaluation (Store *store, const char *patient_id, GDate *date, GError **error)
{
  g_autofree char *text = NULL;
  GDate value;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_date_clear (&value, 1);
  ok = store_select_text (store, "SELECT in_person_eval_at FROM patients WHERE id = ?1", patient_id,
                          "get in-person evaluation", "no such patient", &text, error);
  if (ok && text && !th_date_parse (text, &value)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL,
                 "an in-person evaluation date is not YYYY-MM-DD");
    ok = FALSE;
  }
  if (date) {
    if (ok)
      *date = value;
    else
      g_date_clear (date, 1);
  }
  return ok;
}

/* A calendar date, "YYYY-MM-DD", that exists (no 2026-02-30). */
static gboolean
calendar_date_valid (const char *date)
{
  int y, m, d;
  char tail;

  if (!date || strlen (date) != 10 || date[4] != '-' || date[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++) {
    if (i != 4 && i != 7 && !g_ascii_isdigit (date[i]))
      return FALSE;
  }
  if (sscanf (date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  return y >= 1 && g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

gboolean
store_set_patient_birth_date (Store *store, const char *patient_id, const char *date,
                              GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  if (date && !calendar_date_valid (date)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "a birth date is YYYY-MM-DD");
    return FALSE;
  }
  return update_one (store, "set birth date", "UPDATE patients SET birth_date = ?2 WHERE id = ?1",
                     patient_id, date, NULL, "no such patient", error);
}

gboolean
store_get_patient_birth_date (Store *store, const char *patient_id, char **out, GError **error)
{
  char *text = NULL;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  if (!store_select_text (store, "SELECT birth_date FROM patients WHERE id = ?1", patient_id,
                          "get birth date", "no such patient", &text, error))
    return FALSE;
  *out = text;
  return TRUE;
}

gboolean
store_set_visit_modality (Store *store, const char *visit_id, const char *modality, GError **error)
{
  char *now = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  if (g_strcmp0 (modality, "video") != 0 && g_strcmp0 (modality, "audio-only") != 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown visit modality");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    return FALSE;
  ok = update_one (store, "set visit modality",
                   "UPDATE visits SET modality = ?2, updated_at = ?3 WHERE id = ?1", visit_id,
                   modality, now, "no such visit", error);
  g_free (now);
  return ok;
}

/* ------------------------------------------------------------ notes */

void
store_note_free (StoreNote *note)
{
  if (!note)
    return;
  g_free (note->id);
  g_free (note->visit_id);
  g_free (note->author_id);
  g_free (note->author_name);
  g_free (note->text);
  g_free (note);
}

char *
store_add_note (Store *store, const char *visit_id, const char *author_id, const char *text,
                GError **error)
{
  return store_add_note_at (store, visit_id, author_id, text, store_now_ms (), error);
}

char *
store_add_note_at (Store *store, const char *visit_id, const char *author_id, const char *text,
                   gint64 at_ms, GError **error)
{
  char *id = NULL;
  char *now = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_text_valid (text, NOTE_MAX_CHARS)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "a note needs 1..%d characters",
                 NOTE_MAX_CHARS);
    return NULL;
  }
  if (!(now = store_format_time (at_ms, error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    goto out;
  if (!store_require_row (store, "staff", author_id, "no such staff member", error))
    goto out;
  id = g_uuid_string_random ();
  if (!store_run (store, "insert note",
                  "INSERT INTO notes (id, visit_id, author_id, at, text)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                  NULL, NULL, error, 5, id, visit_id, author_id, now, text))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  if (!ok)
    g_clear_pointer (&id, g_free);
  g_free (now);
  return id;
}

static gpointer
note_row_new (StoreStmt *stmt, GError **error)
{
  StoreNote *n = g_new0 (StoreNote, 1);

  n->id = store_column_dup_text (stmt, 0);
  n->visit_id = store_column_dup_text (stmt, 1);
  n->author_id = store_column_dup_text (stmt, 2);
  n->author_name = store_column_dup_text (stmt, 3);
  if (!store_column_time (stmt, 4, &n->at_ms, error)) {
    store_note_free (n);
    return NULL;
  }
  n->text = store_column_dup_text (stmt, 5);
  return n;
}

GPtrArray *
store_list_notes (Store *store, const char *visit_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *notes = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    goto out;
  if (!store_prepare (store,
                      "SELECT n.id, n.visit_id, n.author_id, s.display_name, n.at, n.text"
                      " FROM notes n JOIN staff s ON s.id = n.author_id"
                      " WHERE n.visit_id = ?1 ORDER BY n.at, n.rowid",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, visit_id);
  notes = store_collect_rows (store, stmt, note_row_new, (GDestroyNotify) store_note_free,
                              "list notes", error);
out:
  store_stmt_free (stmt);
  return notes;
}

/* ------------------------------------------------------------ patient visits */

GPtrArray *
store_list_patient_visits (Store *store, const char *patient_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *visits = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    goto out;
  /* Read by store_visits.c's row reader, ordered as its lists are. */
  if (!store_prepare (store,
                      STORE_VISIT_COLUMNS
                      "WHERE v.patient_id = ?1 ORDER BY v.scheduled_at, v.created_at, v.id",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, patient_id);
  visits = store_collect_visits (store, stmt, "list patient visits", error);
out:
  store_stmt_free (stmt);
  return visits;
}
