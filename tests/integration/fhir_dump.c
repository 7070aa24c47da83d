/* fhir_dump.c — writes the FHIR bundle of one realistic visit on stdout, for
 * the outside validator in fhir.test.mjs.
 *
 * A temporary sqlite store gets the catalog, a psychiatrist, a PA they
 * supervise, a patient born 1984-03-07, an earlier visit that started
 * fluoxetine and buspirone, and the exported visit: scheduled → waiting
 * (check-in: PHQ-9 with item 9 = 1, GAD-7, a stored ASRS part-A screen, a
 * side effect, missed doses of fluoxetine) → in progress (sertraline started
 * at 50 mg then changed to 100 mg; fluoxetine switched to escitalopram 10 mg;
 * alprazolam 0.25 mg as needed at most 3 a day; lithium carbonate 300 mg
 * morning + 600 mg bedtime; mixed amphetamine salts ER 20 mg every morning;
 * buspirone, from the earlier visit, stopped; the PA starts lamotrigine,
 * which the psychiatrist co-signs) → ended. Every order keeps a snapshot of
 * its catalog entry and a 30-day supply, and goes to the patient's pharmacy
 * (with its NCPDP id); alprazolam has an earliest fill date, the mixed
 * amphetamine salts are a schedule II series of three prescriptions.
 *
 * Exits 1 with a message on stderr at the first error. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "server/records/records.h"
#include "server/api/fhir.h"
#include "server/store/store.h"
#include "server/clock/clock.h"

#define BASE_URL "https://telehealth.example"

static const gint kPhq9[] = { 2, 2, 1, 2, 1, 1, 1, 0, 1 }; /* total 11, item 9 = 1 */
static const gint kGad7[] = { 1, 2, 1, 1, 2, 1, 0 };       /* total 8 */
/* A part-A screen as check-ins stored it before the checklist: 4 of 6 shaded
 * (items 1, 2 from "sometimes", items 4, 5 from "often"), its answers sum 13. */
static const gint kAsrsA[] = { 2, 2, 1, 3, 3, 2 };
/* As needed with a maximum a day; a split dose; a schedule II stimulant
 * whose amount is of mixed salts (no refills). */
static const MedDosing kAlprazolam = { 0.25, 0, "mg", "as-needed", "oral", 3 };
static const MedDosing kLithium = { 300, 600, "mg", "morning-and-bedtime", "oral", 0 };
static const MedDosing kAmphetamine = { 20, 0, "mg", "every-morning", "oral", 0 };
static const MedDosing kLamotrigine = { 25, 0, "mg", "once-daily", "oral", 0 };

/* The store's timeline has millisecond resolution: keep states apart. */
static void
tick (void)
{
  g_usleep (5 * 1000);
}

static gboolean
sync_catalog (Store *store, const MedCatalog *catalog, GError **error)
{
  guint n = med_catalog_size (catalog);
  StoreMedicationRow *rows = g_new0 (StoreMedicationRow, MAX (n, 1));
  char **strengths = g_new0 (char *, n + 1);
  gboolean ok;

  for (guint i = 0; i < n; i++) {
    const Medication *m = med_catalog_get (catalog, i);
    GString *s = g_string_new ("[");

    for (guint k = 0; k < m->n_strengths; k++)
      g_string_append_printf (s, "%s%g", k ? "," : "", m->strengths[k]);
    g_string_append_c (s, ']');
    strengths[i] = g_string_free (s, FALSE);
    rows[i] = (StoreMedicationRow) {
      .id = m->id,
      .name = m->name,
      .rxnorm = m->rxnorm,
      .drug_class = m->drug_class,
      .schedule = m->schedule,
      .unit = m->unit,
      .strengths_json = strengths[i],
    };
  }
  ok = store_sync_medications (store, rows, n, error);
  g_strfreev (strengths);
  g_free (rows);
  return ok;
}

static gboolean
add_scale (StoreCheckin *checkin, ScaleKind kind, const gint *items, guint n_items, GError **error)
{
  ScaleScore score;
  StoreScaleResult *r;

  if (!scale_score (kind, items, n_items, &score, error))
    return FALSE;
  r = g_new0 (StoreScaleResult, 1);
  r->scale = g_strdup (scale_name (kind));
  memcpy (r->items, items, n_items * sizeof *items);
  r->n_items = n_items;
  r->total = score.total;
  r->band = g_strdup (score.band);
  r->alert = score.alert;
  r->positive = score.positive;
  g_ptr_array_add (checkin->scales, r);
  return TRUE;
}

static gboolean
save_checkin (Store *store, const char *visit_id, const char *fluoxetine, GError **error)
{
  StoreCheckin *checkin = store_checkin_new ();
  StoreSideEffect *effect;
  StoreMissedDose *missed;
  char *id = NULL;
  gboolean ok = FALSE;

  checkin->submitted_at_ms = store_now_ms ();
  missed = g_new0 (StoreMissedDose, 1);
  missed->order_id = g_strdup (fluoxetine);
  missed->missed = 2;
  missed->max_missed = missed_dose_cap ("every-morning");
  g_ptr_array_add (checkin->missed_doses, missed);
  if (!add_scale (checkin, SCALE_PHQ9, kPhq9, G_N_ELEMENTS (kPhq9), error) ||
      !add_scale (checkin, SCALE_GAD7, kGad7, G_N_ELEMENTS (kGad7), error) ||
      !add_scale (checkin, SCALE_ASRS_A, kAsrsA, G_N_ELEMENTS (kAsrsA), error))
    goto out;
  effect = g_new0 (StoreSideEffect, 1);
  effect->name = g_strdup ("nausea");
  effect->severity = 1;
  g_ptr_array_add (checkin->side_effects, effect);
  id = store_save_checkin (store, visit_id, checkin, error);
  ok = id != NULL;
out:
  g_free (id);
  store_checkin_free (checkin);
  return ok;
}

/* The catalog the orders are written against (each keeps a snapshot). */
static const MedCatalog *order_catalog;
/* What every order dispenses beyond its supply: the patient's pharmacy;
 * set per order for the earliest fill date and the series. */
static StoreOrderRx order_rx;

/* Applies one adjustment as the REST edge would write it: the dosing
 * checked against the catalog, a snapshot of the entry, a 30-day supply.
 * The new order's id goes to *order_id when wanted. */
static gboolean
adjust_dosing (Store *store, AdjustmentKind kind, const char *visit_id, const char *prescriber_id,
               gboolean pending, const char *replaces, const char *medication_id,
               const MedDosing *d, guint refills, const char *reason, char **order_id,
               GError **error)
{
  const Medication *m = med_catalog_find (order_catalog, medication_id);
  g_autofree char *snapshot = NULL;
  double units = 0;
  StoreAdjustment a = {
    .kind = kind,
    .visit_id = visit_id,
    .prescriber_id = prescriber_id,
    .pending = pending,
    .reason = reason,
    .replaces_order_id = replaces,
    .medication_id = medication_id,
    .dose = d->dose,
    .unit = d->unit,
    .frequency = d->frequency,
    .route = d->route,
    .second_dose = d->second_dose,
    .prn_max_per_day = d->prn_max_per_day,
    .supply_days = 30,
    .refills = refills,
  };
  StoreOrder *order;

  if (kind != ADJUST_STOP)
    a.rx = &order_rx;
  if (kind != ADJUST_STOP) {
    if (!med_dosing_check (m, d, error) || !med_dispense_check (m, 30, refills, error) ||
        !med_dosing_units_per_day (m, d, &units, NULL))
      return FALSE;
    a.dispense_quantity = units * 30 / med_frequency_period_days (d->frequency);
    a.snapshot = snapshot = med_snapshot_json (m);
  } else {
    a.medication_id = NULL;
    a.dose = 0;
    a.unit = a.frequency = a.route = NULL;
    a.supply_days = 0;
    a.refills = 0;
  }
  order = store_apply_adjustment (store, &a, error);
  if (!order)
    return FALSE;
  if (order_id)
    *order_id = g_strdup (order->id);
  store_order_free (order);
  return TRUE;
}

static gboolean
adjust (Store *store, AdjustmentKind kind, const char *visit_id, const char *prescriber_id,
        const char *replaces, const char *medication_id, double dose, const char *frequency,
        const char *reason, char **order_id, GError **error)
{
  MedDosing d = { dose, 0, "mg", frequency, "oral", 0 };
  return adjust_dosing (store, kind, visit_id, prescriber_id, FALSE, replaces, medication_id, &d, 2,
                        reason, order_id, error);
}

/* The next orders' earliest fill date (`delay` days after `from`), or a
 * series of `n` prescriptions `step` days apart from `from`; NULL: none. */
static gboolean
fill_dates (const GDate *from, guint delay, guint n, guint step)
{
  order_rx.earliest_fill_date[0] = '\0';
  order_rx.n_series = 0;
  if (!from)
    return TRUE;
  for (guint i = 0; i < n; i++) {
    GDate d = *from;
    g_autofree char *text = NULL;
    g_date_add_days (&d, i * step);
    text = th_date_format (&d);
    g_strlcpy (order_rx.series[i], text, sizeof order_rx.series[i]);
  }
  order_rx.n_series = n;
  if (n == 0) {
    GDate d = *from;
    g_autofree char *text = NULL;
    g_date_add_days (&d, delay);
    text = th_date_format (&d);
    g_strlcpy (order_rx.earliest_fill_date, text, sizeof order_rx.earliest_fill_date);
  } else {
    g_strlcpy (order_rx.earliest_fill_date, order_rx.series[0], sizeof order_rx.earliest_fill_date);
  }
  return TRUE;
}

static gboolean
move (Store *store, const char *visit_id, VisitState to, GError **error)
{
  tick ();
  return store_set_visit_state (store, visit_id, to, error);
}

int
main (void)
{
  GError *error = NULL;
  MedCatalog *catalog = NULL;
  Store *store = NULL;
  char *dir = NULL, *db = NULL, *text = NULL;
  char *staff = NULL, *pa = NULL, *patient = NULL, *earlier = NULL, *visit = NULL;
  char *fluoxetine = NULL, *sertraline = NULL, *buspirone = NULL, *lamotrigine = NULL;
  json_t *bundle = NULL;
  gint64 now = store_now_ms ();
  StorePharmacy pharmacy = { 0 };
  const StorePharmacy kPharmacy = { .name = "Lakeview Pharmacy",
                                    .address = "200 Example Avenue, Springfield, IL 62701",
                                    .phone = "+1 555 010 0188",
                                    .ncpdp_id = "1234567" };
  GDate today;
  int status = 1;
  /* Made-up details: an example.org address, a 555-01xx number. */
  const StorePatient sam = { .name = "Sam Rivera",
                             .birth_date = "1984-03-07",
                             .mrn = "MRN-004417",
                             .email = "sam.rivera@example.org",
                             .phone = "+15550100177",
                             .time_zone = "America/Chicago",
                             .region = "IL",
                             .language = "es" };

  if (!(dir = g_dir_make_tmp ("fhir-dump-XXXXXX", &error)))
    goto out;
  db = g_build_filename (dir, "telehealth.sqlite", NULL);
  if (!(catalog = med_catalog_load (TH_CATALOG_PATH, &error)) ||
      !(store = store_open (db, &error)) || !sync_catalog (store, catalog, &error))
    goto out;
  order_catalog = catalog;

  if (!(staff = store_create_staff (store, "Dr. Ada Moreau", "psychiatrist", &error)) ||
      !(pa = store_create_staff (store, "Jo Park, PA-C", "pa", &error)) ||
      !store_set_staff_supervisor (store, pa, staff, &error) ||
      !(patient = store_patient_create (store, &sam, staff, &error)) ||
      !store_set_patient_pharmacy (store, patient, &kPharmacy, staff, &error) ||
      !store_get_patient_pharmacy (store, patient, &pharmacy, &error))
    goto out;
  order_rx.pharmacy_id = pharmacy.id;
  store_pharmacy_clear (&pharmacy);
  {
    g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
    th_clock_local_date (utc, now, &today);
  }

  /* Four weeks ago: fluoxetine started. */
  if (!(earlier = store_create_visit (store, patient, staff, now - 28 * G_TIME_SPAN_DAY / 1000,
                                      &error)) ||
      !move (store, earlier, VISIT_IN_PROGRESS, &error) ||
      !adjust (store, ADJUST_START, earlier, staff, NULL, "fluoxetine", 20, "every-morning",
               "Major depressive disorder, moderate", &fluoxetine, &error) ||
      !adjust (store, ADJUST_START, earlier, staff, NULL, "buspirone", 10, "twice-daily",
               "Generalized anxiety", &buspirone, &error) ||
      !move (store, earlier, VISIT_ENDED, &error))
    goto out;

  /* Today's visit, the one exported. */
  if (!(visit = store_create_visit (store, patient, staff, now - 10 * 60 * 1000, &error)) ||
      !move (store, visit, VISIT_WAITING, &error) ||
      !save_checkin (store, visit, fluoxetine, &error) ||
      !move (store, visit, VISIT_IN_PROGRESS, &error) ||
      !adjust (store, ADJUST_START, visit, staff, NULL, "sertraline", 50, "once-daily",
               "Persistent low mood", &sertraline, &error) ||
      !adjust (store, ADJUST_CHANGE_DOSE, visit, staff, sertraline, "sertraline", 100, "once-daily",
               "Partial response at 50 mg", NULL, &error) ||
      !adjust (store, ADJUST_SWITCH, visit, staff, fluoxetine, "escitalopram", 10, "once-daily",
               "Insomnia on fluoxetine", NULL, &error) ||
      !fill_dates (&today, 2, 0, 0) ||
      !adjust_dosing (store, ADJUST_START, visit, staff, FALSE, NULL, "alprazolam", &kAlprazolam, 0,
                      "Panic attacks", NULL, &error) ||
      !fill_dates (NULL, 0, 0, 0) ||
      !adjust_dosing (store, ADJUST_START, visit, staff, FALSE, NULL, "lithium-carbonate-ir",
                      &kLithium, 1, "Bipolar I disorder, maintenance", NULL, &error) ||
      !fill_dates (&today, 0, 3, 30) ||
      !adjust_dosing (store, ADJUST_START, visit, staff, FALSE, NULL, "amphetamine-mixed-salts-er",
                      &kAmphetamine, 0, "ADHD, combined presentation", NULL, &error) ||
      !fill_dates (NULL, 0, 0, 0) ||
      !adjust (store, ADJUST_STOP, visit, staff, buspirone, NULL, 0, NULL,
               "Anxiety controlled on escitalopram", NULL, &error) ||
      !adjust_dosing (store, ADJUST_START, visit, pa, TRUE, NULL, "lamotrigine", &kLamotrigine, 2,
                      "Bipolar II depression, mood stabilization", &lamotrigine, &error) ||
      !store_cosign_order (store, lamotrigine, staff, &error) ||
      !move (store, visit, VISIT_ENDED, &error))
    goto out;

  if (!(bundle = fhir_visit_bundle (store, catalog, visit, BASE_URL, &error)))
    goto out;
  if (!(text = json_dumps (bundle, JSON_INDENT (2)))) {
    g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot serialize the bundle");
    goto out;
  }
  if (fputs (text, stdout) < 0 || fputc ('\n', stdout) < 0 || fflush (stdout) != 0) {
    g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write stdout");
    goto out;
  }
  status = 0;
out:
  if (error) {
    fprintf (stderr, "fhir_dump: %s\n", error->message);
    g_error_free (error);
  }
  free (text);
  json_decref (bundle);
  if (store)
    store_close (store);
  if (catalog)
    med_catalog_free (catalog);
  if (db) {
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

    for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
      char *path = g_strconcat (db, suffixes[i], NULL);

      g_unlink (path);
      g_free (path);
    }
  }
  if (dir)
    g_rmdir (dir);
  g_free (db);
  g_free (dir);
  g_free (staff);
  g_free (patient);
  g_free (earlier);
  g_free (visit);
  g_free (fluoxetine);
  g_free (sertraline);
  g_free (pa);
  g_free (buspirone);
  g_free (lamotrigine);
  return status;
}
