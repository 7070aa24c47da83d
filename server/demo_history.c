/* demo_history.c — two past follow-ups for the demo patient, so a newcomer
 * opens a console that looks like a clinic's: check-ins improving over
 * time, notes, a switch (fluoxetine → sertraline, for side effects) and a
 * dose change (buspirone 5 → 10 mg). */
#define G_LOG_DOMAIN "th-demo"

#include "server/app.h"
#include "server/clock.h"

#include <string.h>

#define WEEK_MS (7 * 24 * 3600 * (gint64) 1000)

static gboolean
add_checkin (ThApp *app, const char *visit_id, gint64 at_ms, const gint *phq9, const gint *gad7,
             const char *side_effect, guint severity, gint missed, GError **error)
{
  StoreCheckin *c = store_checkin_new ();
  const struct { ScaleKind kind; const gint *items; } scales[] = {
    { SCALE_PHQ9, phq9 }, { SCALE_GAD7, gad7 },
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
  c->missed_doses_14d = missed;
  c->submitted_at_ms = at_ms;  /* answered shortly before that visit */
  id = store_save_checkin (app->store, visit_id, c, error);
  ok = id != NULL;
out:
  store_checkin_free (c);
  return ok;
}

static char *
past_visit (ThApp *app, const char *patient_id, const char *provider_id, gint64 at_ms,
            GError **error)
{
  static const VisitState path[] = { VISIT_WAITING, VISIT_IN_PROGRESS, VISIT_ENDED };
  g_autofree char *visit_id = store_create_visit (app->store, patient_id, provider_id, at_ms, error);

  if (!visit_id)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (path); i++)
    if (!store_set_visit_state (app->store, visit_id, path[i], error))
      return NULL;
  return g_steal_pointer (&visit_id);
}

static StoreOrder *
adjust (ThApp *app, AdjustmentKind kind, const char *visit_id, const char *provider_id,
        const char *replaces, const char *medication, double dose, const char *frequency,
        const char *reason, GError **error)
{
  StoreAdjustment a = {
    .kind = kind, .visit_id = visit_id, .prescriber_id = provider_id, .reason = reason,
    .replaces_order_id = replaces, .medication_id = medication, .dose = dose, .unit = "mg",
    .frequency = frequency, .route = "oral",
  };
  return store_apply_adjustment (app->store, &a, error);
}

gboolean
th_demo_history (ThApp *app, const char *patient_id, const char *provider_id,
                 GPtrArray *past_visit_ids, GError **error)
{
  static const gint phq9_first[] = { 2, 2, 3, 2, 1, 2, 2, 1, 0 };   /* 15: moderately severe */
  static const gint gad7_first[] = { 2, 2, 2, 1, 1, 2, 1 };         /* 11: moderate */
  static const gint phq9_second[] = { 1, 1, 2, 1, 1, 1, 1, 0, 0 };  /* 8: mild */
  static const gint gad7_second[] = { 1, 1, 1, 1, 0, 1, 1 };        /* 6: mild */
  gint64 now = store_now_ms ();
  g_autofree char *first = NULL, *second = NULL, *n1 = NULL, *n2 = NULL;
  StoreOrder *fluoxetine = NULL, *buspirone = NULL, *sertraline = NULL, *buspirone10 = NULL;
  GDate eval;
  gboolean ok = FALSE;

  th_clock_local_date (app->config->time_zone, now - 22 * WEEK_MS, &eval);
  if (!store_set_in_person_evaluation (app->store, patient_id, &eval, error))
    goto out;

  first = past_visit (app, patient_id, provider_id, now - 8 * WEEK_MS, error);
  if (!first ||
      !add_checkin (app, first, now - 8 * WEEK_MS - 600000, phq9_first, gad7_first, NULL, 0, -1, error) ||
      !(n1 = store_add_note (app->store, first, provider_id,
                             "Low mood and worry for three months, sleep poor. No safety concerns. "
                             "Start fluoxetine; buspirone for anxiety. Follow up in 4 weeks.",
                             error)) ||
      !(fluoxetine = adjust (app, ADJUST_START, first, provider_id, NULL, "fluoxetine", 20,
                             "every-morning", "Depressive episode, moderately severe", error)) ||
      !(buspirone = adjust (app, ADJUST_START, first, provider_id, NULL, "buspirone", 5,
                            "twice-daily", "Generalized anxiety", error)))
    goto out;

  second = past_visit (app, patient_id, provider_id, now - 4 * WEEK_MS, error);
  if (!second ||
      !add_checkin (app, second, now - 4 * WEEK_MS - 600000, phq9_second, gad7_second, "sleep problems", 2, 2, error) ||
      !(n2 = store_add_note (app->store, second, provider_id,
                             "Mood better, but insomnia and jitteriness on fluoxetine. Switch to "
                             "sertraline. Anxiety partly improved: raise buspirone.",
                             error)) ||
      !(sertraline = adjust (app, ADJUST_SWITCH, second, provider_id, fluoxetine->id,
                             "sertraline", 50, "once-daily",
                             "Insomnia and jitteriness on fluoxetine", error)) ||
      !(buspirone10 = adjust (app, ADJUST_CHANGE_DOSE, second, provider_id, buspirone->id,
                              "buspirone", 10, "twice-daily", "Anxiety only partly improved",
                              error)))
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
