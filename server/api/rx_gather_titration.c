/* rx_gather_titration.c — the titration section's facts for the safety
 * check (api-rx.h, rx-titration.h): the patient's history with the
 * ingredient being ordered, when its catalog entry has a titration
 * schedule. The live line (the current order and the dose changes that led
 * to it) and since when; without one, the last stop; and, where the
 * patient keeps a diary, the last day a dose was taken and the run of days
 * reported missed after it. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

static const char *
ingredient_of (ThApp *app, const StoreOrder *o)
{
  const Medication *m = med_catalog_find (app->catalog, o->medication_id);
  return m ? m->name : o->medication_name;
}

static gboolean
same_ingredient (ThApp *app, const StoreOrder *o, const char *ingredient)
{
  const char *name = ingredient_of (app, o);
  return name && g_ascii_strcasecmp (name, ingredient) == 0;
}

static const StoreOrder *
find_order (const GPtrArray *orders, const char *id)
{
  for (guint i = 0; id && orders && i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    if (g_strcmp0 (o->id, id) == 0)
      return o;
  }
  return NULL;
}

static double
order_average (const StoreOrder *o)
{
  MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
  return med_dosing_average_daily (&d);
}

static gboolean
is_live (const StoreOrder *o)
{
  return g_strcmp0 (o->status, "active") == 0 || g_strcmp0 (o->status, "pending") == 0;
}

/* The live order of the ingredient: the one this order replaces when it
 * is of the ingredient, else any live one (never the order being judged). */
static const StoreOrder *
live_order (ThApp *app, const ThRxRequest *q, const char *ingredient, const char *skip)
{
  const char *replaced = q->order ? q->order->replaces_order_id
                                  : (q->body ? q->body->order_id : NULL);
  const StoreOrder *o = find_order (q->orders, replaced);

  if (o && is_live (o) && same_ingredient (app, o, ingredient))
    return o;
  for (guint i = 0; q->orders && i < q->orders->len; i++) {
    o = g_ptr_array_index (q->orders, i);
    if (g_strcmp0 (o->id, skip) != 0 && is_live (o) && same_ingredient (app, o, ingredient))
      return o;
  }
  return NULL;
}

/* The last stop of the ingredient: an order stopped outright or replaced
 * by another drug (a dose change continues the line). */
static const StoreOrder *
last_stop (ThApp *app, const ThRxRequest *q, const char *ingredient)
{
  const StoreOrder *last = NULL;

  for (guint i = 0; q->orders && i < q->orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (q->orders, i), *by;
    if (g_strcmp0 (o->status, "stopped") != 0 || !same_ingredient (app, o, ingredient))
      continue;
    by = find_order (q->orders, o->stopped_by_order_id);
    if (by && same_ingredient (app, by, ingredient))
      continue;
    if (!last || o->status_at_ms > last->status_at_ms)
      last = o;
  }
  return last;
}

/* The diary's doses of the ingredient's orders since the line started:
 * the last day taken and the latest missed day after it. */
static gboolean
diary_run (ThApp *app, const ThRxRequest *q, const char *ingredient, RxTitrationFacts *t,
           GError **error)
{
  g_autofree char *from = th_date_format (&t->line_started);
  StoreDiary diary = { 0 };
  GDate last_taken, missed_until;

  g_date_clear (&last_taken, 1);
  g_date_clear (&missed_until, 1);
  if (!store_read_diary (app->store, q->patient_id, from, NULL, &diary, error))
    return FALSE;
  /* Rows come by day: the last taken day, then the missed days after it. */
  for (guint i = 0; i < diary.doses->len; i++) {
    const StoreDiaryRow *row = g_ptr_array_index (diary.doses, i);
    const StoreOrder *o = find_order (q->orders, row->order_id);
    GDate day;
    if (!row->days_record || !o || !same_ingredient (app, o, ingredient) ||
        !th_date_parse (row->day, &day))
      continue;
    if (row->taken > 0) {
      last_taken = day;
      g_date_clear (&missed_until, 1);
    } else if (row->missed > 0)
      missed_until = day;
  }
  t->diary_last_taken = last_taken;
  t->diary_missed_until = missed_until;
  store_diary_clear (&diary);
  return TRUE;
}

gboolean
th_rx_gather_titration (ThApp *app, const ThRxRequest *q, RxCheckFacts *f, GError **error)
{
  const Medication *m = f->medication;
  const char *skip = q->order ? q->order->id : NULL;
  const StoreOrder *live, *o;
  RxTitrationFacts *t;

  if (!m || !m->titration)
    return TRUE;
  t = g_new0 (RxTitrationFacts, 1);
  g_date_clear (&t->line_started, 1);
  g_date_clear (&t->last_stopped, 1);
  g_date_clear (&t->diary_last_taken, 1);
  g_date_clear (&t->diary_missed_until, 1);
  f->titration = t;
  live = live_order (app, q, m->name, skip);
  if (live) {
    gint64 started = live->created_at_ms;
    guint hops = 0;
    t->live = TRUE;
    t->live_daily = order_average (live);
    /* Back along the dose changes (and switches between formulations) to
     * the order that started the line. */
    for (o = find_order (q->orders, live->replaces_order_id);
         o && same_ingredient (app, o, m->name) && hops++ < q->orders->len;
         o = find_order (q->orders, o->replaces_order_id))
      started = o->created_at_ms;
    th_clock_local_date (app->config->time_zone, started, &t->line_started);
    return diary_run (app, q, m->name, t, error);
  }
  if ((o = last_stop (app, q, m->name))) {
    th_clock_local_date (app->config->time_zone, o->status_at_ms, &t->last_stopped);
    t->stopped_daily = order_average (o);
  }
  return TRUE;
}
