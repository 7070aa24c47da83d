/* pharmacy.c — the patient's preferred pharmacy (migration 24,
 * store-rx.h). Each change is a new row: an order keeps the pharmacy it
 * was sent to, whatever the patient prefers later. */
#include "server/store/store-private.h"

#include <string.h>

void
store_pharmacy_clear (StorePharmacy *p)
{
  if (!p)
    return;
  g_free (p->name);
  g_free (p->address);
  g_free (p->phone);
  g_free (p->ncpdp_id);
  g_free (p->set_by);
  g_free (p->set_by_name);
  memset (p, 0, sizeof *p);
}

gboolean
store_set_patient_pharmacy (Store *store, const char *patient_id, const StorePharmacy *p,
                            const char *staff_id, GError **error)
{
  g_autofree char *now = NULL;
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && p != NULL, FALSE);
  if (!store_text_valid (p->name, 200) || !store_text_valid (p->address, 500) ||
      !store_text_valid (p->phone, 40) ||
      (p->ncpdp_id && (strlen (p->ncpdp_id) != 7 || strspn (p->ncpdp_id, "0123456789") != 7))) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "A pharmacy needs a name, an address and a phone number; its NCPDP id, "
                         "when given, is 7 digits.");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)) ||
      !store_require_row (store, "patients", patient_id, "no such patient", error) ||
      !store_require_row (store, "staff", staff_id, "no such staff member", error) ||
      !store_prepare (store,
                      "INSERT INTO patient_pharmacies (patient_id, name, address, phone, ncpdp_id,"
                      " set_by_staff_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, p->name);
  store_bind_text (stmt, 3, p->address);
  store_bind_text (stmt, 4, p->phone);
  store_bind_text (stmt, 5, p->ncpdp_id);
  store_bind_text (stmt, 6, staff_id);
  store_bind_text (stmt, 7, now);
  ok = store_step_done (store, stmt, "insert pharmacy", error);
out:
  store_stmt_free (stmt);
  return ok;
}

#define PHARMACY_COLUMNS                                                                    \
  "SELECT p.id, p.name, p.address, p.phone, p.ncpdp_id, p.set_by_staff_id, s.display_name," \
  " p.created_at FROM patient_pharmacies p JOIN staff s ON s.id = p.set_by_staff_id "

static gboolean
read_pharmacy (StoreStmt *stmt, StorePharmacy *out, GError **error)
{
  StorePharmacy p = { 0 };

  p.id = store_col_int64 (stmt, 0);
  p.name = store_column_dup_text (stmt, 1);
  p.address = store_column_dup_text (stmt, 2);
  p.phone = store_column_dup_text (stmt, 3);
  p.ncpdp_id = store_column_dup_text (stmt, 4);
  p.set_by = store_column_dup_text (stmt, 5);
  p.set_by_name = store_column_dup_text (stmt, 6);
  if (!store_column_time (stmt, 7, &p.at_ms, error)) {
    store_pharmacy_clear (&p);
    return FALSE;
  }
  *out = p;
  return TRUE;
}

gboolean
store_get_patient_pharmacy (Store *store, const char *patient_id, StorePharmacy *out,
                            GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean found = FALSE, ok;

  memset (out, 0, sizeof *out);
  ok = store_require_row (store, "patients", patient_id, "no such patient", error) &&
       store_select_optional_row (store,
                                  PHARMACY_COLUMNS "WHERE p.patient_id = ?1 ORDER BY p.id DESC "
                                                   "LIMIT 1",
                                  patient_id, "get pharmacy", &stmt, &found, error) &&
       (!found || read_pharmacy (stmt, out, error));
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_get_pharmacy (Store *store, gint64 id, StorePharmacy *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!store_prepare (store, PHARMACY_COLUMNS "WHERE p.id = ?1", &stmt, error))
    goto out;
  store_bind_int64 (stmt, 1, id);
  ok = store_step_row (store, stmt, "get pharmacy", "no such pharmacy", error) &&
       read_pharmacy (stmt, out, error);
out:
  store_stmt_free (stmt);
  return ok;
}
