/* adherence.c — monitoring in the record: per current medication, the
 * doses taken against those due since the last visit (records/adherence.c)
 * and the side effects the diary attributes to it, week by week; and the
 * measurement-based care labels of the PHQ-9 and GAD-7 (records/mbc.c).
 * The FHIR export (fhir_patient.c) reads the same lines.
 *
 * A medication line is a current order and the orders it replaced by a
 * change of dose (same medication): a switch starts a new line, since the
 * drug changed. Each order is in force from the day it took effect: its
 * co-signature for a PA's order, else when it was written. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

/* Days looked back when the patient has no earlier visit. */
#define NO_VISIT_LOOKBACK_DAYS 28

static gint64
in_force_ms (const StoreOrder *o)
{
  return o->cosigned_at_ms > 0 ? o->cosigned_at_ms : o->created_at_ms;
}

static const StoreOrder *
find_order (GPtrArray *orders, const char *id)
{
  for (guint i = 0; id && orders && i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    if (strcmp (o->id, id) == 0)
      return o;
  }
  return NULL;
}

void
th_med_line_clear (ThMedLine *line)
{
  if (line->orders)
    g_array_unref (line->orders);
  memset (line, 0, sizeof *line);
}

void
th_med_line_build (ThApp *app, const StoreOrder *current, GPtrArray *orders, ThMedLine *out)
{
  const StoreOrder *o = current;
  guint guard = 0;

  memset (out, 0, sizeof *out);
  out->current = current;
  out->orders = g_array_new (FALSE, TRUE, sizeof (AdherenceOrder));
  /* Back along the dose changes, newest first, then turned around. */
  while (o && guard++ < 1000) {
    AdherenceOrder a = { o->id, o->frequency, { 0 } };
    th_clock_local_date (app->config->time_zone, in_force_ms (o), &a.start);
    g_array_prepend_val (out->orders, a);
    if (g_strcmp0 (o->action, "change-dose") != 0)
      break;
    o = find_order (orders, o->replaces_order_id);
  }
  /* A chain whose days run backwards (a clock set back) is cut at the
   * newest order rather than refused. */
  for (guint i = out->orders->len; i > 1; i--) {
    AdherenceOrder *a = &g_array_index (out->orders, AdherenceOrder, i - 2);
    AdherenceOrder *b = &g_array_index (out->orders, AdherenceOrder, i - 1);
    if (!g_date_valid (&a->start) || !g_date_valid (&b->start) ||
        g_date_compare (&a->start, &b->start) > 0) {
      g_array_remove_range (out->orders, 0, i - 1);
      break;
    }
  }
}

static gboolean
parse_day (const char *text, GDate *out)
{
  return th_date_parse (text, out);
}

gboolean
th_med_line_adherence (ThApp *app, const ThMedLine *line, const StoreDiary *diary,
                       GPtrArray *missed, gint64 missed_at_ms, const GDate *from, const GDate *to,
                       Adherence *out, GError **error)
{
  g_autoptr (GArray) doses = g_array_new (FALSE, TRUE, sizeof (AdherenceDose));
  AdherenceCheckin checkin = { 0 };

  for (guint i = 0; diary->doses && i < diary->doses->len; i++) {
    const StoreDiaryRow *r = g_ptr_array_index (diary->doses, i);
    AdherenceDose d = { { 0 }, r->order_id, r->made_at_ms, r->seq, r->taken, r->missed, r->reason };
    /* The newest entry of a day is the day's record, whatever it holds. */
    if (!r->days_record || !parse_day (r->day, &d.day))
      continue;
    g_array_append_val (doses, d);
  }
  for (guint i = 0; missed && i < missed->len; i++) {
    const StoreMissedDose *m = g_ptr_array_index (missed, i);
    for (guint k = 0; k < line->orders->len; k++) {
      if (g_strcmp0 (g_array_index (line->orders, AdherenceOrder, k).id, m->order_id) == 0) {
        checkin.present = TRUE;
        checkin.missed += m->missed;
        checkin.max_missed += m->max_missed;
      }
    }
  }
  if (checkin.present)
    th_clock_local_date (app->config->time_zone, missed_at_ms, &checkin.day);
  return adherence_compute ((const AdherenceOrder *) line->orders->data, line->orders->len,
                            (const AdherenceDose *) doses->data, doses->len, &checkin, from, to,
                            out, error);
}

/* ------------------------------------------------------------- JSON */

static json_t *
date_json (const GDate *d)
{
  g_autofree char *text = g_date_valid (d) ? th_date_format (d) : NULL;

  return text ? json_string (text) : json_null ();
}

static json_t *
adherence_json (const Adherence *a)
{
  json_t *reasons = json_object (), *weeks = json_array (), *obj;

  for (guint r = 0; r < ADHERENCE_N_REASONS; r++)
    json_object_set_new (reasons, adherence_reason_code (r), json_integer (a->missed_by_reason[r]));
  for (guint w = 0; a->source == ADHERENCE_DIARY && w < a->n_weeks; w++)
    json_array_append_new (weeks, json_pack ("{s:o, s:i, s:i, s:i, s:i}", "week_start",
                                             date_json (&a->weeks[w].start), "days",
                                             (json_int_t) a->weeks[w].days, "days_logged",
                                             (json_int_t) a->weeks[w].days_logged, "taken",
                                             (json_int_t) a->weeks[w].taken, "due",
                                             (json_int_t) a->weeks[w].due));
  obj = json_pack ("{s:s, s:i, s:i, s:i, s:o, s:o, s:i, s:o, s:o, s:o, s:b, s:i, s:i, s:o}",
                   "source", adherence_source_code (a->source), "taken", (json_int_t) a->taken,
                   "due", (json_int_t) a->due, "extra", (json_int_t) a->extra, "percent",
                   a->percent < 0 ? json_null () : json_integer (a->percent), "days_logged",
                   a->days_logged < 0 ? json_null () : json_integer (a->days_logged),
                   "days_in_period", (json_int_t) a->days_in_period, "period_from",
                   date_json (&a->from), "period_to", date_json (&a->to), "reasons", reasons,
                   "as_needed", a->as_needed, "prn_taken", (json_int_t) a->prn_taken,
                   "prn_days_used", (json_int_t) a->prn_days_used, "weeks", weeks);
  if (a->source == ADHERENCE_CHECKIN)
    json_object_set_new (obj, "source_text", json_string ("from the check-in, 14 days"));
  else if (a->source == ADHERENCE_DIARY)
    json_object_set_new (obj, "source_text", json_string ("from the diary"));
  else
    json_object_set_new (obj, "source_text", json_string ("no diary and no check-in answer"));
  return obj;
}

static json_t *
side_effects_json (const ThMedLine *line, const StoreDiary *diary, const GDate *from,
                   const GDate *to)
{
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (AdherenceEffectRow));
  g_autoptr (GPtrArray) effects = NULL;
  json_t *list = json_array ();

  for (guint i = 0; diary->effects && i < diary->effects->len; i++) {
    const StoreDiaryRow *r = g_ptr_array_index (diary->effects, i);
    AdherenceEffectRow e = { { 0 }, r->order_id, r->made_at_ms, r->seq, r->effect, r->severity };
    gboolean ours = FALSE;

    for (guint k = 0; k < line->orders->len && !ours; k++)
      ours = g_strcmp0 (g_array_index (line->orders, AdherenceOrder, k).id, r->order_id) == 0;
    if (!ours || !r->days_record || !parse_day (r->day, &e.day))
      continue;
    g_array_append_val (rows, e);
  }
  effects = adherence_side_effects ((const AdherenceEffectRow *) rows->data, rows->len, from, to);
  for (guint i = 0; i < effects->len; i++) {
    const AdherenceEffect *e = g_ptr_array_index (effects, i);
    json_t *weeks = json_array ();

    for (guint w = 0; w < e->n_weeks; w++) {
      GDate start = *from;
      g_date_add_days (&start, w * 7);
      json_array_append_new (weeks,
                             json_pack ("{s:o, s:o}", "week_start", date_json (&start), "worst",
                                        e->weekly[w] < 0 ? json_null ()
                                                         : json_integer (e->weekly[w])));
    }
    json_array_append_new (list, json_pack ("{s:s, s:i, s:o, s:o}", "effect", e->effect, "worst",
                                            (json_int_t) e->worst, "last_day",
                                            date_json (&e->last_day), "weeks", weeks));
  }
  return list;
}

/* ------------------------------------------------------------- MBC */

/* The current treatment began at the latest of: an active order taking
 * effect (a start, a switch, a change of dose), or a pure stop (a stop
 * with no replacement: the regimen changed too). -1: no active order. */
gint64
th_treatment_start_ms (GPtrArray *orders)
{
  gint64 start = -1;
  gboolean any_active = FALSE;

  for (guint i = 0; orders && i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    if (g_strcmp0 (o->status, "active") == 0) {
      any_active = TRUE;
      start = MAX (start, in_force_ms (o));
    } else if (g_strcmp0 (o->status, "stopped") == 0 && !o->stopped_by_order_id) {
      start = MAX (start, o->status_at_ms);
    }
  }
  return any_active ? start : -1;
}

static json_t *
mbc_json (GPtrArray *history, gint64 treatment_start_ms, GError **error)
{
  static const ScaleKind kinds[] = { SCALE_PHQ9, SCALE_GAD7 };
  g_autofree char *start = treatment_start_ms >= 0 ? th_iso_from_ms (treatment_start_ms) : NULL;
  json_t *obj = json_pack ("{s:o}", "treatment_start", start ? json_string (start) : json_null ());

  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++) {
    g_autoptr (GArray) points = g_array_new (FALSE, TRUE, sizeof (MbcPoint));
    MbcLabel l;
    g_autofree char *base_at = NULL, *latest_at = NULL;

    for (guint i = 0; history && i < history->len; i++) {
      const StoreScorePoint *p = g_ptr_array_index (history, i);
      MbcPoint m = { p->scheduled_at_ms, p->total };
      if (g_strcmp0 (p->scale, scale_name (kinds[k])) == 0)
        g_array_append_val (points, m);
    }
    if (points->len == 0)
      continue;
    if (!mbc_label (kinds[k], (const MbcPoint *) points->data, points->len, treatment_start_ms, &l,
                    error)) {
      json_decref (obj);
      return NULL;
    }
    base_at = l.has_baseline ? th_iso_from_ms (l.baseline_at_ms) : NULL;
    latest_at = l.has_latest ? th_iso_from_ms (l.latest_at_ms) : NULL;
    json_object_set_new (obj, scale_name (kinds[k]),
                         json_pack ("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "status",
                                    mbc_status_code (l.status), "text", l.text, "baseline",
                                    l.has_baseline ? json_integer (l.baseline) : json_null (),
                                    "baseline_at", base_at ? json_string (base_at) : json_null (),
                                    "latest", l.has_latest ? json_integer (l.latest) : json_null (),
                                    "latest_at", latest_at ? json_string (latest_at) : json_null (),
                                    "change_percent",
                                    l.has_latest && l.has_baseline ? json_integer (l.change_percent)
                                                                   : json_null (),
                                    "weeks", l.has_latest ? json_integer (l.weeks) : json_null ()));
    mbc_label_clear (&l);
  }
  return obj;
}

/* ------------------------------------------------------------ the record */

gboolean
th_adherence_period (ThApp *app, const char *patient_id, const char *except_visit_id, GDate *from,
                     GDate *to, gint64 *since_ms, char **held_visit_id, GError **error)
{
  gint64 held;
  gboolean since_visit;

  if (!store_last_visit_held (app->store, patient_id, except_visit_id, &held, held_visit_id, error))
    return FALSE;
  th_clinic_today (app, to);
  since_visit = held >= 0 && held <= store_now_ms ();
  if (since_visit) {
    th_clock_local_date (app->config->time_zone, held, from);
    *since_ms = held;
  } else {
    if (held_visit_id)
      g_clear_pointer (held_visit_id, g_free);
    *from = *to;
    g_date_subtract_days (from, NO_VISIT_LOOKBACK_DAYS - 1);
    *since_ms = store_now_ms () - (gint64) NO_VISIT_LOOKBACK_DAYS * 24 * 3600 * 1000;
  }
  if (!g_date_valid (from) || !g_date_valid (to)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "the clinic's today is out of range");
    return FALSE;
  }
  return TRUE;
}

gboolean
th_record_add_adherence (ThApp *app, const StoreVisit *visit, GPtrArray *current, GPtrArray *orders,
                         GPtrArray *history, json_t *record, GError **error)
{
  g_autofree char *from_text = NULL, *to_text = NULL, *held_visit = NULL;
  g_autoptr (GPtrArray) missed = NULL;
  StoreDiary diary = { 0 };
  gint64 since_ms = -1, missed_at_ms = -1;
  json_t *meds = json_object_get (record, "current_medications"), *mbc;
  GDate from, to;
  gboolean ok = FALSE;

  g_date_clear (&from, 1);
  g_date_clear (&to, 1);
  if (!th_adherence_period (app, visit->patient_id, visit->id, &from, &to, &since_ms, &held_visit,
                            error))
    return FALSE;
  from_text = th_date_format (&from);
  to_text = th_date_format (&to);
  if (!store_read_diary (app->store, visit->patient_id, from_text, to_text, &diary, error) ||
      !(missed = store_latest_checkin_missed (app->store, visit->patient_id, since_ms, held_visit,
                                              &missed_at_ms, error)))
    goto out;
  for (guint i = 0; current && i < current->len; i++) {
    const StoreOrder *o = g_ptr_array_index (current, i);
    json_t *item = json_array_get (meds, i);
    ThMedLine line;
    Adherence a;
    GDate line_from;

    if (!item || g_strcmp0 (json_string_value (json_object_get (item, "id")), o->id) != 0 ||
        g_strcmp0 (o->status, "active") != 0)
      continue;
    th_med_line_build (app, o, orders, &line);
    if (!th_med_line_adherence (app, &line, &diary, missed, missed_at_ms, &from, &to, &a, error)) {
      th_med_line_clear (&line);
      goto out;
    }
    json_object_set_new (item, "adherence", adherence_json (&a));
    /* The weeks of the period the line was in force, as its adherence's. */
    line_from = from;
    if (g_date_compare (&g_array_index (line.orders, AdherenceOrder, 0).start, &line_from) > 0)
      line_from = g_array_index (line.orders, AdherenceOrder, 0).start;
    if (g_date_compare (&line_from, &to) > 0)
      line_from = to;
    json_object_set_new (item, "side_effects", side_effects_json (&line, &diary, &line_from, &to));
    adherence_clear (&a);
    th_med_line_clear (&line);
  }
  if (!(mbc = mbc_json (history, th_treatment_start_ms (orders), error)))
    goto out;
  json_object_set_new (record, "mbc", mbc);
  json_object_set_new (record, "adherence_period",
                       json_pack ("{s:s, s:s, s:b}", "from", from_text, "to", to_text,
                                  "since_last_visit", held_visit != NULL));
  ok = TRUE;
out:
  store_diary_clear (&diary);
  return ok;
}
