/* dea.c — the prescribers' DEA registrations, the patients' PDMP checks
 * and who performed the in-person evaluation (migration 24, store-rx.h).
 * Whether a registration or a check is good enough for an order is the
 * prescribing rules' (records: rx_dispense.c); this file only keeps them. */
#include "server/store/store-private.h"

#include <string.h>

void
store_dea_registration_free (gpointer p)
{
  StoreDeaRegistration *r = p;

  if (!r)
    return;
  g_free (r->staff_id);
  g_free (r->state);
  g_free (r->number);
  g_free (r->schedules);
  g_free (r);
}

gboolean
store_set_dea_registration (Store *store, const StoreDeaRegistration *r, GError **error)
{
  g_autofree char *now = NULL;

  g_return_val_if_fail (store != NULL && r != NULL, FALSE);
  if (!(now = store_format_time (store_now_ms (), error)) ||
      !store_require_row (store, "staff", r->staff_id, "no such staff member", error))
    return FALSE;
  return store_run (store, "set DEA registration",
                    "INSERT INTO dea_registrations (staff_id, state, number, schedules, expires,"
                    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    " ON CONFLICT (staff_id, state) DO UPDATE SET number = excluded.number,"
                    " schedules = excluded.schedules, expires = excluded.expires,"
                    " updated_at = excluded.updated_at",
                    NULL, NULL, error, 6, r->staff_id, r->state, r->number, r->schedules,
                    r->expires, now);
}

static gpointer
read_registration (StoreStmt *stmt, GError **error)
{
  StoreDeaRegistration *r = g_new0 (StoreDeaRegistration, 1);
  const char *expires = store_col_text (stmt, 4);

  (void) error;
  r->staff_id = store_column_dup_text (stmt, 0);
  r->state = store_column_dup_text (stmt, 1);
  r->number = store_column_dup_text (stmt, 2);
  r->schedules = store_column_dup_text (stmt, 3);
  g_strlcpy (r->expires, expires ? expires : "", sizeof r->expires);
  return r;
}

GPtrArray *
store_list_dea_registrations (Store *store, const char *staff_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *out = NULL;

  if (!store_prepare (store,
                      "SELECT staff_id, state, number, schedules, expires FROM dea_registrations"
                      " WHERE staff_id = ?1 ORDER BY state",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, staff_id);
  out = store_collect_rows (store, stmt, read_registration, store_dea_registration_free,
                            "list DEA registrations", error);
  store_stmt_free (stmt);
  return out;
}

/* ---------------------------------------------------------------- PDMP */

void
store_pdmp_check_clear (StorePdmpCheck *c)
{
  if (!c)
    return;
  g_free (c->patient_id);
  g_free (c->staff_id);
  g_free (c->staff_name);
  g_free (c->state);
  g_free (c->result_note);
  memset (c, 0, sizeof *c);
}

void
store_pdmp_check_free (gpointer c)
{
  store_pdmp_check_clear (c);
  g_free (c);
}

gboolean
store_add_pdmp_check (Store *store, const StorePdmpCheck *c, gint64 *id_out, GError **error)
{
  g_autofree char *now = NULL, *at = NULL;
  gint64 id = 0;

  g_return_val_if_fail (store != NULL && c != NULL, FALSE);
  if (!c->state || strlen (c->state) != 2 || !store_text_valid (c->result_note, 2000)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "A PDMP check needs the state searched and what was found.");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)) ||
      !(at = store_format_time (c->checked_at_ms, error)) ||
      !store_require_row (store, "patients", c->patient_id, "no such patient", error) ||
      !store_require_row (store, "staff", c->staff_id, "no such staff member", error) ||
      !store_insert_returning (store, "insert PDMP check",
                               "INSERT INTO pdmp_checks (patient_id, staff_id, state, checked_at,"
                               " result_note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                               " RETURNING id",
                               NULL, &id, error, 6, c->patient_id, c->staff_id, c->state, at,
                               c->result_note, now))
    return FALSE;
  if (id_out)
    *id_out = id;
  return TRUE;
}

static gpointer
read_pdmp (StoreStmt *stmt, GError **error)
{
  StorePdmpCheck *c = g_new0 (StorePdmpCheck, 1);

  c->id = store_col_int64 (stmt, 0);
  c->patient_id = store_column_dup_text (stmt, 1);
  c->staff_id = store_column_dup_text (stmt, 2);
  c->staff_name = store_column_dup_text (stmt, 3);
  c->state = store_column_dup_text (stmt, 4);
  c->result_note = store_column_dup_text (stmt, 6);
  if (!store_column_time (stmt, 5, &c->checked_at_ms, error))
    g_clear_pointer (&c, store_pdmp_check_free);
  return c;
}

GPtrArray *
store_list_pdmp_checks (Store *store, const char *patient_id, guint limit, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *out = NULL;

  if (!store_require_row (store, "patients", patient_id, "no such patient", error) ||
      !store_prepare (store,
                      "SELECT c.id, c.patient_id, c.staff_id, s.display_name, c.state,"
                      " c.checked_at, c.result_note FROM pdmp_checks c"
                      " JOIN staff s ON s.id = c.staff_id WHERE c.patient_id = ?1"
                      " ORDER BY c.checked_at DESC, c.id DESC LIMIT ?2",
                      &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, patient_id);
  store_bind_int (stmt, 2, (int) MAX (limit, 1));
  out = store_collect_rows (store, stmt, read_pdmp, store_pdmp_check_free, "list PDMP checks",
                            error);
  store_stmt_free (stmt);
  return out;
}

/* ------------------------------------------------ in-person evaluation */

gboolean
store_set_in_person_evaluation_by (Store *store, const char *patient_id, const GDate *date,
                                   const char *performed_by, GError **error)
{
  g_autofree char *text = NULL;
  guint changed = 0;

  g_return_val_if_fail (store != NULL, FALSE);
  if (performed_by && !store_text_valid (performed_by, 200)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "Who performed the evaluation is 1 to 200 characters.");
    return FALSE;
  }
  if (date && g_date_valid (date))
    text = th_date_format (date);
  if (!store_run (store, "set in-person evaluation",
                  "UPDATE patients SET in_person_eval_at = ?2, in_person_eval_by = ?3"
                  " WHERE id = ?1",
                  NULL, &changed, error, 3, patient_id, text, text ? performed_by : NULL))
    return FALSE;
  if (changed != 1) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no such patient");
    return FALSE;
  }
  return TRUE;
}

char *
store_get_in_person_evaluation_by (Store *store, const char *patient_id, GError **error)
{
  char *by = NULL;

  store_select_text (store, "SELECT in_person_eval_by FROM patients WHERE id = ?1", patient_id,
                     "get in-person evaluation", "no such patient", &by, error);
  return by;
}
