/* demo_history.c — two past follow-ups for the demo patient, so a newcomer
 * opens a console that looks like a clinic's: check-ins improving over
 * time, notes, a switch (fluoxetine → sertraline, for side effects) and a
 * dose change (buspirone 5 → 10 mg).
 *
 * Everything in a past visit is recorded at that visit's times (the store's
 * *_at functions), not at today's: a FHIR export of it must read as the
 * visit that happened (its Encounter period holds its check-in, its orders
 * are authored on its date). */
#define G_LOG_DOMAIN "th-demo"

#include "server/cli/cli.h"
#include "server/clock/clock.h"

#include <string.h>

#define MINUTE_MS (60 * (gint64) 1000)
#define DAY_MS (24 * 60 * MINUTE_MS)
#define WEEK_MS (7 * DAY_MS)

/* A past visit's timeline, in minutes from its scheduled time. The patient
 * answers the check-in with the provider at the start of the visit. */
enum {
  AT_BOOKED = -14 * 24 * 60, /* booked two weeks before */
  AT_WAITING = -6,
  AT_IN_PROGRESS = 0,
  AT_CHECKIN = 2,
  AT_NOTE = 20,
  AT_ORDERS = 22, /* one minute apart */
  AT_ENDED = 28,
};

typedef struct {
  const StoreOrder *order; /* a current medication at check-in time */
  guint missed;
} DemoMissed;

static gboolean
add_checkin (ThApp *app, const char *visit_id, gint64 at_ms, const gint *phq9, const gint *gad7,
             const char *side_effect, guint severity, const DemoMissed *missed, guint n_missed,
             GError **error)
{
  StoreCheckin *c = store_checkin_new ();
  const struct {
    ScaleKind kind;
    const gint *items;
  } scales[] = {
    { SCALE_PHQ9, phq9 },
    { SCALE_GAD7, gad7 },
  };
  g_autofree char *id = NULL;
  gboolean ok = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (scales); i++) {
    ScaleScore score;
    StoreScaleResult *r;
    guint n = scale_item_count (scales[i].kind);
    if (!scale_score (scales[i].kind, scales[i].items, n, &score, error))
      goto out;
    r = g_new0 (StoreScaleResult, 1);
    r->scale = g_strdup (scale_name (scales[i].kind));
    memcpy (r->items, scales[i].items, n * sizeof (gint));
    r->n_items = n;
    r->total = score.total;
    r->band = g_strdup (score.band);
    r->alert = score.alert;
    g_ptr_array_add (c->scales, r);
  }
  if (side_effect) {
    StoreSideEffect *e = g_new0 (StoreSideEffect, 1);
    e->name = g_strdup (side_effect);
    e->severity = severity;
    g_ptr_array_add (c->side_effects, e);
  }
  for (guint i = 0; i < n_missed; i++) {
    StoreMissedDose *m = g_new0 (StoreMissedDose, 1);
    m->order_id = g_strdup (missed[i].order->id);
    m->missed = missed[i].missed;
    m->max_missed = missed_dose_cap (missed[i].order->frequency);
    g_ptr_array_add (c->missed_doses, m);
  }
  c->submitted_at_ms = at_ms; /* answered shortly before that visit */
  id = store_save_checkin (app->store, visit_id, c, error);
  ok = id != NULL;
out:
  store_checkin_free (c);
  return ok;
}

/* 10:00 in the clinic's zone, `weeks` weeks before today: when a past
 * visit was held. */
static gint64
past_visit_time (ThApp *app, gint64 now_ms, guint weeks)
{
  g_autoptr (GDateTime) at = NULL;
  GDate day;

  th_clock_local_date (app->config->time_zone, now_ms - weeks * WEEK_MS, &day);
  if (g_date_valid (&day))
    at = g_date_time_new (app->config->time_zone, g_date_get_year (&day), g_date_get_month (&day),
                          g_date_get_day (&day), 10, 0, 0);
  return at ? g_date_time_to_unix (at) * 1000 : now_ms - weeks * WEEK_MS;
}

/* The visit scheduled at `at_ms`, booked, waited for and begun at its
 * times; ended by end_past_visit once its record is written. */
static char *
past_visit (ThApp *app, const char *patient_id, const char *provider_id, gint64 at_ms,
            GError **error)
{
  static const struct {
    VisitState state;
    gint minutes;
  } path[] = {
    { VISIT_WAITING, AT_WAITING },
    { VISIT_IN_PROGRESS, AT_IN_PROGRESS },
  };
  g_autofree char *visit_id = store_create_visit_at (app->store, patient_id, provider_id, at_ms,
                                                     at_ms + AT_BOOKED * MINUTE_MS, error);

  if (!visit_id)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (path); i++)
    if (!store_set_visit_state_at (app->store, visit_id, path[i].state,
                                   at_ms + path[i].minutes * MINUTE_MS, error))
      return NULL;
  return g_steal_pointer (&visit_id);
}

static StoreOrder *
adjust (ThApp *app, AdjustmentKind kind, const char *visit_id, const char *provider_id,
        const char *replaces, const char *medication, double dose, const char *frequency,
        const char *condition_id, const char *reason, gint64 at_ms, GError **error)
{
  const Medication *m = med_catalog_find (app->catalog, medication);
  /* The formulation's unit and first route, as the adjustment form offers. */
  const char *unit = m ? m->unit : NULL, *route = med_route_default (m);
  MedDosing d = { dose, 0, unit, frequency, route, 0 };
  g_autofree char *snapshot = m ? med_snapshot_json (m) : NULL;
  double units = 0;
  StoreAdjustment a = {
    .kind = kind,
    .visit_id = visit_id,
    .prescriber_id = provider_id,
    .reason = reason,
    .replaces_order_id = replaces,
    .medication_id = medication,
    .dose = dose,
    .unit = unit,
    .frequency = frequency,
    .route = route,
    .snapshot = snapshot,
    .time_zone = app->config->time_zone,
    .condition_id = condition_id,
  };

  /* As the adjustment form writes them: a 30-day supply, no refills. */
  if (m && med_dosing_units_per_day (m, &d, &units, NULL)) {
    a.supply_days = 30;
    a.dispense_quantity = units * 30;
  }
  return store_apply_adjustment_at (app->store, &a, at_ms, error);
}

#define AT(visit_ms, minutes) ((visit_ms) + (gint64) (minutes) *MINUTE_MS)

/* A diagnosis of the clinic's list (config/conditions.json), made in a
 * visit; its id, or NULL with `error`. */
static char *
demo_condition (ThApp *app, const char *patient_id, const char *provider_id, const char *visit_id,
                const char *code, const char *display, gint64 at_ms, GError **error)
{
  StoreConditionNew c = { .patient_id = patient_id,
                          .code = code,
                          .display = display,
                          .visit_id = visit_id,
                          .clinical_status = "active",
                          .verification_status = "confirmed",
                          .recorded_by = provider_id };
  return store_add_condition (app->store, &c, at_ms, error);
}

gboolean
th_demo_history (ThApp *app, const char *patient_id, const char *provider_id,
                 GPtrArray *past_visit_ids, GError **error)
{
  static const gint phq9_first[] = { 2, 2, 3, 2, 1, 2, 2, 1, 0 };  /* 15: moderately severe */
  static const gint gad7_first[] = { 2, 2, 2, 1, 1, 2, 1 };        /* 11: moderate */
  static const gint phq9_second[] = { 1, 1, 2, 1, 1, 1, 1, 0, 0 }; /* 8: mild */
  static const gint gad7_second[] = { 1, 1, 1, 1, 0, 1, 1 };       /* 6: mild */
  gint64 now = store_now_ms ();
  gint64 t1 = past_visit_time (app, now, 8), t2 = past_visit_time (app, now, 4);
  g_autofree char *first = NULL, *second = NULL, *n1 = NULL, *n2 = NULL;
  g_autofree char *depression = NULL, *anxiety = NULL;
  StoreOrder *fluoxetine = NULL, *buspirone = NULL, *sertraline = NULL, *buspirone10 = NULL;
  GDate eval;
  gboolean ok = FALSE;

  th_clock_local_date (app->config->time_zone, now - 22 * WEEK_MS, &eval);
  if (!store_set_in_person_evaluation_by (app->store, patient_id, &eval, provider_id, error) ||
      !store_set_patient_birth_date (app->store, patient_id, "1988-06-14", error))
    goto out;

  first = past_visit (app, patient_id, provider_id, t1, error);
  /* The diagnoses made in the first visit, which the orders treat. */
  if (first && !(depression = demo_condition (app, patient_id, provider_id, first, "F33.1",
                                              "Major depressive disorder, recurrent, moderate",
                                              AT (t1, AT_NOTE), error)))
    goto out;
  if (first &&
      !(anxiety = demo_condition (app, patient_id, provider_id, first, "F41.1",
                                  "Generalized anxiety disorder", AT (t1, AT_NOTE), error)))
    goto out;
  if (!first ||
      !add_checkin (app, first, AT (t1, AT_CHECKIN), phq9_first, gad7_first, NULL, 0, NULL, 0,
                    error) ||
      !(n1 = store_add_note_at (app->store, first, provider_id,
                                "Low mood and worry for three months, sleep poor. No safety "
                                "concerns. Start fluoxetine; buspirone for anxiety. Follow up in "
                                "4 weeks.",
                                AT (t1, AT_NOTE), error)) ||
      !(fluoxetine = adjust (app, ADJUST_START, first, provider_id, NULL, "fluoxetine", 20,
                             "every-morning", depression, "Depressive episode, moderately severe",
                             AT (t1, AT_ORDERS), error)) ||
      !(buspirone = adjust (app, ADJUST_START, first, provider_id, NULL, "buspirone", 5,
                            "twice-daily", anxiety, "Generalized anxiety", AT (t1, AT_ORDERS + 1),
                            error)) ||
      !store_set_visit_state_at (app->store, first, VISIT_ENDED, AT (t1, AT_ENDED), error))
    goto out;

  {
    /* Missed doses per medication: a twice-daily one can miss up to 28. */
    const DemoMissed missed[] = { { fluoxetine, 2 }, { buspirone, 5 } };
    second = past_visit (app, patient_id, provider_id, t2, error);
    if (!second || !add_checkin (app, second, AT (t2, AT_CHECKIN), phq9_second, gad7_second,
                                 "sleep problems", 2, missed, G_N_ELEMENTS (missed), error))
      goto out;
  }
  if (!(n2 = store_add_note_at (app->store, second, provider_id,
                                "Mood better, but insomnia and jitteriness on fluoxetine. Switch "
                                "to sertraline. Anxiety partly improved: raise buspirone.",
                                AT (t2, AT_NOTE), error)) ||
      !(sertraline = adjust (app, ADJUST_SWITCH, second, provider_id, fluoxetine->id, "sertraline",
                             50, "once-daily", depression, "Insomnia and jitteriness on fluoxetine",
                             AT (t2, AT_ORDERS), error)) ||
      !(buspirone10 = adjust (app, ADJUST_CHANGE_DOSE, second, provider_id, buspirone->id,
                              "buspirone", 10, "twice-daily", anxiety,
                              "Anxiety only partly improved", AT (t2, AT_ORDERS + 1), error)) ||
      !store_set_visit_state_at (app->store, second, VISIT_ENDED, AT (t2, AT_ENDED), error))
    goto out;

  g_ptr_array_add (past_visit_ids, g_strdup (first));
  g_ptr_array_add (past_visit_ids, g_strdup (second));
  ok = TRUE;
out:
  g_clear_pointer (&fluoxetine, store_order_free);
  g_clear_pointer (&buspirone, store_order_free);
  g_clear_pointer (&sertraline, store_order_free);
  g_clear_pointer (&buspirone10, store_order_free);
  return ok;
}
