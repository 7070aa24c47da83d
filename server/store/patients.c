/* patients.c — a patient's details (name, date of birth, the clinic's
 * record number, how to reach them, where they are), found as the front
 * desk types. Each change runs in one BEGIN IMMEDIATE transaction that
 * checks the record number is free before writing, so two records never
 * share one (the unique index is the backstop). */
#include "server/store/store-private.h"

#include <string.h>

#define PATIENT_COLUMNS                                                              \
  "SELECT p.id, p.display_name, p.birth_date, p.mrn, p.email, p.phone, p.time_zone," \
  " p.region, p.language, p.created_by, p.created_at FROM patients p "

/* Whether the staff member bound to `param` may open patient p's details:
 * made the record, saw the patient, is on their care team or supervises a
 * PA who saw them (store_patient_relation). */
#define PATIENT_RELATED(param)                                                            \
  "(p.created_by = " param " OR EXISTS (SELECT 1 FROM visits v WHERE v.patient_id = p.id" \
  "  AND v.provider_id = " param ") OR EXISTS (SELECT 1 FROM patient_care_team t"         \
  "  WHERE t.patient_id = p.id AND t.staff_id = " param ") OR EXISTS (SELECT 1 FROM"      \
  "  visits v JOIN staff s ON s.id = v.provider_id WHERE v.patient_id = p.id"             \
  "  AND s.role = 'pa' AND s.supervising_psychiatrist_id = " param "))"

void
store_patient_clear (StorePatient *p)
{
  g_free (p->id);
  g_free (p->name);
  g_free (p->birth_date);
  g_free (p->mrn);
  g_free (p->email);
  g_free (p->phone);
  g_free (p->time_zone);
  g_free (p->region);
  g_free (p->language);
  g_free (p->created_by);
  memset (p, 0, sizeof *p);
}

void
store_patient_free (gpointer p)
{
  if (!p)
    return;
  store_patient_clear (p);
  g_free (p);
}

static gboolean
read_patient (StoreStmt *stmt, StorePatient *out, GError **error)
{
  StorePatient p = { 0 };

  p.id = store_column_dup_text (stmt, 0);
  p.name = store_column_dup_text (stmt, 1);
  p.birth_date = store_column_dup_text (stmt, 2);
  p.mrn = store_column_dup_text (stmt, 3);
  p.email = store_column_dup_text (stmt, 4);
  p.phone = store_column_dup_text (stmt, 5);
  p.time_zone = store_column_dup_text (stmt, 6);
  p.region = store_column_dup_text (stmt, 7);
  p.language = store_column_dup_text (stmt, 8);
  p.created_by = store_column_dup_text (stmt, 9);
  if (!p.id || !p.name || !store_column_time (stmt, 10, &p.created_at_ms, error)) {
    if (error && !*error)
      g_set_error_literal (error, STORE_ERROR, STORE_ERROR_SQL, "read patient: a NULL id or name");
    store_patient_clear (&p);
    return FALSE;
  }
  *out = p;
  return TRUE;
}

static gpointer
read_patient_row (StoreStmt *stmt, GError **error)
{
  StorePatient *p = g_new0 (StorePatient, 1);

  if (!read_patient (stmt, p, error)) {
    g_free (p);
    return NULL;
  }
  return p;
}

/* INVALID when a patient other than `except_id` has the MRN; inside the
 * caller's transaction. */
static gboolean
mrn_free (Store *store, const char *mrn, const char *except_id, GError **error)
{
  g_autofree char *folded = NULL;
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (!mrn)
    return TRUE;
  /* The record number is unique without case (patients_by_mrn), as sqlite's
   * NOCASE compares: ASCII letters folded, the value's here in C rather than
   * by the database, whose lower() of a parameter would follow PostgreSQL's
   * locale (a column's is ASCII only: its text is COLLATE "C"). */
  folded = g_ascii_strdown (mrn, -1);
  if (!store_prepare (store,
                      "SELECT 1 FROM patients WHERE lower(mrn) = ?1"
                      " AND (CAST(?2 AS TEXT) IS NULL OR id <> ?2)",
                      &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, folded);
  store_bind_text (stmt, 2, except_id);
  rc = store_step (stmt);
  if (rc == STORE_ROW)
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "record number taken");
  else if (rc != STORE_DONE)
    store_set_sql_error (store, error, "check record number");
  else
    ok = TRUE;
  store_stmt_free (stmt);
  return ok;
}

char *
store_patient_create (Store *store, const StorePatient *p, const char *created_by, GError **error)
{
  g_autofree char *now = NULL;
  char *id = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && p != NULL, NULL);
  if (!store_text_valid (p->name, 1024)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "bad display name");
    return NULL;
  }
  if (!(now = store_format_time (store_now_ms (), error)) || !store_begin (store, error))
    return NULL;
  id = g_uuid_string_random ();
  ok = mrn_free (store, p->mrn, NULL, error) &&
       store_run (store, "insert patient",
                  "INSERT INTO patients (id, display_name, birth_date, mrn, email, phone,"
                  " time_zone, region, language, created_by, created_at, updated_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                  NULL, NULL, error, 11, id, p->name, p->birth_date, p->mrn, p->email, p->phone,
                  p->time_zone, p->region, p->language, created_by, now);
  if (!store_commit_or_rollback (store, ok, error))
    g_clear_pointer (&id, g_free);
  return id;
}

gboolean
store_patient_update (Store *store, const char *patient_id, const StorePatient *p, GError **error)
{
  g_autofree char *now = NULL;
  guint changed = 0;
  gboolean ok;

  g_return_val_if_fail (store != NULL && p != NULL, FALSE);
  if (!store_text_valid (p->name, 1024)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "bad display name");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)) || !store_begin (store, error))
    return FALSE;
  ok = store_require_row (store, "patients", patient_id, "no such patient", error) &&
       mrn_free (store, p->mrn, patient_id, error) &&
       store_run (store, "update patient",
                  "UPDATE patients SET display_name = ?2, birth_date = ?3, mrn = ?4, email = ?5,"
                  " phone = ?6, time_zone = ?7, region = ?8, language = ?9, updated_at = ?10"
                  " WHERE id = ?1",
                  NULL, &changed, error, 10, patient_id, p->name, p->birth_date, p->mrn, p->email,
                  p->phone, p->time_zone, p->region, p->language, now);
  if (ok && changed != 1) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such patient");
    ok = FALSE;
  }
  return store_commit_or_rollback (store, ok, error);
}

gboolean
store_patient_get (Store *store, const char *patient_id, StorePatient *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  ok = store_select_row (store, PATIENT_COLUMNS "WHERE p.id = ?1", patient_id, "get patient",
                         "no such patient", &stmt, error) &&
       read_patient (stmt, out, error);
  store_stmt_free (stmt);
  return ok;
}

/* `text` with LIKE's wildcards and the escape character escaped. */
static char *
like_escape (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++) {
    if (*p == '%' || *p == '_' || *p == '\\')
      g_string_append_c (out, '\\');
    g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

GPtrArray *
store_patient_find (Store *store, const char *query, const char *visible_to, guint limit,
                    GError **error)
{
  g_autofree char *escaped = NULL, *prefix = NULL, *word = NULL, *trimmed = NULL;
  g_autofree char *folded = NULL;
  StoreStmt *stmt = NULL;
  GPtrArray *rows;

  g_return_val_if_fail (store != NULL && query != NULL, NULL);
  trimmed = g_strstrip (g_strdup (query));
  /* sqlite's LIKE ignores the case of ASCII letters, PostgreSQL's of none:
   * the columns are lowered by the database and the pattern here (ASCII
   * only on both, as in mrn_free), so both mean sqlite's LIKE. */
  folded = g_ascii_strdown (trimmed, -1);
  escaped = like_escape (folded);
  prefix = g_strconcat (escaped, "%", NULL);
  word = g_strconcat ("% ", escaped, "%", NULL);
  /* The name matches at its start or at the start of any later word ("smi"
   * finds "Jane Smith"). Names sort without case (sqlite's NOCASE is
   * lower()'s byte order); a patient without a birth date first, as
   * sqlite sorts NULL. */
  if (!store_prepare (store,
                      PATIENT_COLUMNS
                      "WHERE (lower(p.display_name) LIKE ?1 ESCAPE '\\'"
                      " OR lower(p.display_name) LIKE ?2 ESCAPE '\\'"
                      " OR lower(p.mrn) LIKE ?1 ESCAPE '\\' OR p.birth_date LIKE ?1 ESCAPE '\\')"
                      " AND (CAST(?3 AS TEXT) IS NULL OR " PATIENT_RELATED (
                        "?3") ")"
                              " ORDER BY lower(p.display_name), p.birth_date NULLS FIRST, p.id "
                              "LIMIT ?4",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, prefix);
  store_bind_text (stmt, 2, word);
  store_bind_text (stmt, 3, visible_to);
  store_bind_int64 (stmt, 4, limit);
  rows = store_collect_rows (store, stmt, read_patient_row, store_patient_free, "find patients",
                             error);
  store_stmt_free (stmt);
  return rows;
}

GPtrArray *
store_patient_duplicates (Store *store, const char *name, const char *birth_date,
                          const char *except_id, GError **error)
{
  g_autofree char *trimmed = NULL, *folded = NULL;
  StoreStmt *stmt = NULL;
  GPtrArray *rows;

  g_return_val_if_fail (store != NULL && name != NULL && birth_date != NULL, NULL);
  trimmed = g_strstrip (g_strdup (name));
  folded = g_ascii_strdown (trimmed, -1);
  if (!store_prepare (store,
                      PATIENT_COLUMNS
                      "WHERE lower(trim(p.display_name)) = ?1 AND p.birth_date = ?2"
                      " AND (CAST(?3 AS TEXT) IS NULL OR p.id <> ?3)"
                      " ORDER BY p.created_at, p.id LIMIT 20",
                      &stmt, error))
    return NULL;
  /* Lowered here, ASCII only, as sqlite's lower() does (see mrn_free). */
  store_bind_text (stmt, 1, folded);
  store_bind_text (stmt, 2, birth_date);
  store_bind_text (stmt, 3, except_id);
  rows = store_collect_rows (store, stmt, read_patient_row, store_patient_free,
                             "find duplicate patients", error);
  store_stmt_free (stmt);
  return rows;
}

gboolean
store_patient_visible (Store *store, const char *patient_id, const char *staff_id,
                       gboolean *visible, GError **error)
{
  StoreStmt *stmt = NULL;
  GError *local = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && visible != NULL, FALSE);
  *visible = FALSE;
  if (!store_prepare (store, "SELECT 1 FROM patients p WHERE p.id = ?1 AND " PATIENT_RELATED ("?2"),
                      &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, staff_id);
  ok = store_step_row (store, stmt, "check patient access", "not visible", &local);
  if (ok)
    *visible = TRUE;
  else if (g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    ok = TRUE;
  else
    g_propagate_error (error, g_steal_pointer (&local));
  g_clear_error (&local);
  store_stmt_free (stmt);
  return ok;
}
