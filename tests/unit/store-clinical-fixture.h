/* store-clinical-fixture.h — the fixture of the follow-up record tests
 * (test_store_clinical.c, test_store_orders.c): a store with the medications
 * synced, a psychiatrist supervising a PA, a PMHNP, and one patient's visit;
 * and the medication adjustments the tests make.
 */
#pragma once

#include "store-fixture.h"

typedef struct {
  char *dir;
  char *path;
  Store *store;
  char *psychiatrist;  /* supervises pa */
  char *pa;
  char *pmhnp;
  char *patient;
  char *visit;
} Fixture;

static const StoreMedicationRow kMeds[] = {
  { "sertraline", "sertraline", "36437", "SSRI", "none", "mg", "[25,50,100,150,200]" },
  { "fluoxetine", "fluoxetine", "4493", "SSRI", "none", "mg", "[10,20,40]" },
  { "alprazolam", "alprazolam", "596", "benzodiazepine", "IV", "mg", "[0.25,0.5,1]" },
};

static inline void
fixture_set_up (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  (void) data;
  f->store = store_fixture_open ("test-store-clinical-XXXXXX", &f->dir, &f->path);
  g_assert_true (store_sync_medications (f->store, kMeds, G_N_ELEMENTS (kMeds), &error));
  g_assert_no_error (error);
  f->psychiatrist = store_create_staff (f->store, "Dr. Rivera", "psychiatrist", &error);
  g_assert_no_error (error);
  f->pa = store_create_staff (f->store, "Sam Okafor, PA", "pa", &error);
  g_assert_no_error (error);
  f->pmhnp = store_create_staff (f->store, "Lee Chen, PMHNP", "pmhnp", &error);
  g_assert_no_error (error);
  g_assert_true (store_set_staff_supervisor (f->store, f->pa, f->psychiatrist, &error));
  g_assert_no_error (error);
  f->patient = store_create_patient (f->store, "Alex Example", &error);
  g_assert_no_error (error);
  f->visit = store_create_visit (f->store, f->patient, f->psychiatrist, T0, &error);
  g_assert_no_error (error);
}

static inline void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  (void) data;
  store_fixture_close (f->store, f->dir, f->path);
  g_free (f->psychiatrist);
  g_free (f->pa);
  g_free (f->pmhnp);
  g_free (f->patient);
  g_free (f->visit);
}

static inline StoreOrder *
adjust (Fixture *f, AdjustmentKind kind, const char *prescriber, gboolean pending,
        const char *replaces, const char *med, double dose, GError **error)
{
  StoreAdjustment a = {
    .kind = kind, .visit_id = f->visit, .prescriber_id = prescriber, .pending = pending,
    .reason = "clinical reason", .replaces_order_id = replaces, .medication_id = med,
    .dose = dose, .unit = "mg", .frequency = "once-daily", .route = "oral",
  };
  return store_apply_adjustment (f->store, &a, error);
}

static inline StoreOrder *
start_ok (Fixture *f, const char *med, double dose)
{
  GError *error = NULL;
  StoreOrder *o = adjust (f, ADJUST_START, f->psychiatrist, FALSE, NULL, med, dose, &error);
  g_assert_no_error (error);
  g_assert_nonnull (o);
  return o;
}
