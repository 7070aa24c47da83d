/* adherence.c — doses taken against doses due for one medication line, from
 * the patient's diary (or the check-in's 14-day count), and the side
 * effects the diary attributes to it, week by week. Pure: dates in, numbers
 * out.
 *
 * What is counted, and why:
 *  - a day counts only when the diary has it ("logged"): a day not logged is
 *    unknown, not a missed day and not a taken one; days_logged out of
 *    days_in_period says how much is known;
 *  - the doses due on a day come from the order in force that day (a dose
 *    change switches on its own day): per day for a daily schedule, per day
 *    on every other day counted from the order's start day, none as needed
 *    (frequencies: catalog.c's table);
 *  - doses taken count up to the day's due; more than that is reported as
 *    "extra" (a double dose is a finding of its own, not 110 % adherence);
 *  - as needed: no dose is due, so no percentage; the doses taken and the
 *    days they were taken on are reported instead. */
#include "server/records/records.h"

#include <math.h>
#include <string.h>

static const char *const kReasons[ADHERENCE_N_REASONS] = {
  "forgot", "side-effect", "ran-out", "chose-not-to", "unspecified",
};

const char *
adherence_reason_code (guint index)
{
  return index < ADHERENCE_N_REASONS ? kReasons[index] : NULL;
}

static guint
reason_index (const char *reason)
{
  for (guint i = 0; reason && i + 1 < ADHERENCE_N_REASONS; i++) {
    if (strcmp (reason, kReasons[i]) == 0)
      return i;
  }
  return ADHERENCE_N_REASONS - 1;
}

const char *
adherence_source_code (AdherenceSource source)
{
  switch (source) {
  case ADHERENCE_DIARY:
    return "diary";
  case ADHERENCE_CHECKIN:
    return "checkin";
  case ADHERENCE_NONE:
  default:
    return "none";
  }
}

guint
adherence_due_on (const char *frequency, const GDate *start, const GDate *day)
{
  guint per_day = med_frequency_per_day (frequency);
  guint period = med_frequency_period_days (frequency);
  gint since;

  if (per_day == 0 || !g_date_valid (start) || !g_date_valid (day))
    return 0;
  since = g_date_days_between (start, day);
  if (since < 0)
    return 0;
  return period > 1 && since % (gint) period != 0 ? 0 : per_day;
}

/* The order in force on `day`: the last one started on or before it. */
static const AdherenceOrder *
order_on (const AdherenceOrder *orders, guint n, const GDate *day)
{
  const AdherenceOrder *found = NULL;

  for (guint i = 0; i < n; i++) {
    if (g_date_compare (&orders[i].start, day) <= 0)
      found = &orders[i];
  }
  return found;
}

static gboolean
in_line (const AdherenceOrder *orders, guint n, const char *order_id)
{
  for (guint i = 0; order_id && i < n; i++) {
    if (g_strcmp0 (orders[i].id, order_id) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Whether entry (made, seq) is newer than (made2, seq2). */
static gboolean
newer (gint64 made, gint64 seq, gint64 made2, gint64 seq2)
{
  return made > made2 || (made == made2 && seq > seq2);
}

/* The day's record: the newest entry's rows of the line, summed (on a dose
 * change day an entry may hold both orders). */
typedef struct {
  gboolean logged;
  gint64 made, seq;
  guint taken, missed;
  guint missed_by_reason[ADHERENCE_N_REASONS];
} DayRecord;

static void
collect_days (const AdherenceOrder *orders, guint n_orders, const AdherenceDose *doses,
              guint n_doses, const GDate *from, DayRecord *days, guint n_days)
{
  for (guint i = 0; i < n_doses; i++) {
    const AdherenceDose *d = &doses[i];
    DayRecord *r;
    gint k;

    if (!g_date_valid (&d->day) || !in_line (orders, n_orders, d->order_id))
      continue;
    k = g_date_days_between (from, &d->day);
    if (k < 0 || (guint) k >= n_days)
      continue;
    r = &days[k];
    if (r->logged && newer (r->made, r->seq, d->made_at_ms, d->entry_seq))
      continue; /* an older entry of a day already recorded */
    if (r->logged && newer (d->made_at_ms, d->entry_seq, r->made, r->seq))
      memset (r, 0, sizeof *r); /* a newer entry replaces the day */
    r->logged = TRUE;
    r->made = d->made_at_ms;
    r->seq = d->entry_seq;
    r->taken += d->taken;
    r->missed += d->missed;
    if (d->missed > 0)
      r->missed_by_reason[reason_index (d->reason)] += d->missed;
  }
}

static gboolean
check_input (const AdherenceOrder *orders, guint n_orders, const GDate *from, const GDate *to,
             GError **error)
{
  if (n_orders == 0 || !from || !to || !g_date_valid (from) || !g_date_valid (to) ||
      g_date_compare (from, to) > 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "adherence: a line needs at least one order and a period whose first day is not "
                 "after its last");
    return FALSE;
  }
  for (guint i = 0; i < n_orders; i++) {
    if (!g_date_valid (&orders[i].start) ||
        (i > 0 && g_date_compare (&orders[i - 1].start, &orders[i].start) > 0)) {
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                   "adherence: the line's orders need start days, oldest first");
      return FALSE;
    }
  }
  return TRUE;
}

static void
from_checkin (const AdherenceCheckin *c, Adherence *out)
{
  out->source = ADHERENCE_CHECKIN;
  out->due = c->max_missed;
  out->taken = c->max_missed - MIN (c->missed, c->max_missed);
  out->percent = c->max_missed ? (gint) lround (100.0 * out->taken / c->max_missed) : -1;
  /* The check-in asks no reason. */
  out->missed_by_reason[ADHERENCE_N_REASONS - 1] = c->max_missed - out->taken;
  /* Its 14 days, ending the day it was answered. */
  out->to = c->day;
  out->from = c->day;
  g_date_subtract_days (&out->from, MISSED_DOSE_DAYS - 1);
  out->days_in_period = MISSED_DOSE_DAYS;
}

gboolean
adherence_compute (const AdherenceOrder *orders, guint n_orders, const AdherenceDose *doses,
                   guint n_doses, const AdherenceCheckin *checkin, const GDate *from,
                   const GDate *to, Adherence *out, GError **error)
{
  DayRecord *days;
  const AdherenceOrder *last;
  guint n_days, logged = 0;

  memset (out, 0, sizeof *out);
  out->percent = -1;
  out->days_logged = -1;
  if (!check_input (orders, n_orders, from, to, error))
    return FALSE;
  /* A line counts from its first order's first day. */
  out->from = g_date_compare (&orders[0].start, from) > 0 ? orders[0].start : *from;
  out->to = *to;
  if (g_date_compare (&out->from, &out->to) > 0)
    out->from = out->to;
  last = order_on (orders, n_orders, &out->to);
  out->as_needed = last && med_frequency_per_day (last->frequency) == 0;
  n_days = (guint) g_date_days_between (&out->from, &out->to) + 1;
  out->days_in_period = n_days;
  out->n_weeks = (n_days + 6) / 7;
  out->weeks = g_new0 (AdherenceWeek, out->n_weeks);
  for (guint w = 0; w < out->n_weeks; w++) {
    out->weeks[w].start = out->from;
    g_date_add_days (&out->weeks[w].start, w * 7);
    out->weeks[w].days = MIN (7, n_days - w * 7);
  }
  days = g_new0 (DayRecord, n_days);
  collect_days (orders, n_orders, doses, n_doses, &out->from, days, n_days);
  for (guint k = 0; k < n_days; k++) {
    AdherenceWeek *week = &out->weeks[k / 7];
    GDate day = out->from;
    const AdherenceOrder *o;
    guint due, taken;

    if (!days[k].logged)
      continue;
    g_date_add_days (&day, k);
    o = order_on (orders, n_orders, &day);
    due = o ? adherence_due_on (o->frequency, &o->start, &day) : 0;
    taken = MIN (days[k].taken, due);
    logged++;
    out->due += due;
    out->taken += taken;
    out->extra += days[k].taken - taken;
    if (o && med_frequency_per_day (o->frequency) == 0) {
      out->prn_taken += days[k].taken;
      out->prn_days_used += days[k].taken > 0;
    }
    for (guint r = 0; r < ADHERENCE_N_REASONS; r++)
      out->missed_by_reason[r] += days[k].missed_by_reason[r];
    week->days_logged++;
    week->due += due;
    week->taken += taken;
  }
  g_free (days);
  if (logged > 0) {
    out->source = ADHERENCE_DIARY;
    out->days_logged = (gint) logged;
    out->percent = out->due ? (gint) lround (100.0 * out->taken / out->due) : -1;
  } else if (checkin && checkin->present && checkin->max_missed > 0 &&
             g_date_valid (&checkin->day)) {
    from_checkin (checkin, out);
  }
  return TRUE;
}

void
adherence_clear (Adherence *a)
{
  if (!a)
    return;
  g_free (a->weeks);
  memset (a, 0, sizeof *a);
}

/* ------------------------------------------------------ side effects */

static void
effect_free (gpointer p)
{
  AdherenceEffect *e = p;

  g_free (e->effect);
  g_free (e->weekly);
  g_free (e);
}

/* Whether row i is the newest entry of its day among the rows. */
static gboolean
row_is_days_record (const AdherenceEffectRow *rows, guint n, guint i)
{
  for (guint k = 0; k < n; k++) {
    if (k != i && g_date_compare (&rows[k].day, &rows[i].day) == 0 &&
        newer (rows[k].made_at_ms, rows[k].entry_seq, rows[i].made_at_ms, rows[i].entry_seq))
      return FALSE;
  }
  return TRUE;
}

GPtrArray *
adherence_side_effects (const AdherenceEffectRow *rows, guint n_rows, const GDate *from,
                        const GDate *to)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (effect_free);
  guint n_days, n_weeks;

  if (!from || !to || !g_date_valid (from) || !g_date_valid (to) || g_date_compare (from, to) > 0)
    return out;
  n_days = (guint) g_date_days_between (from, to) + 1;
  n_weeks = (n_days + 6) / 7;
  for (guint i = 0; i < n_rows; i++) {
    const AdherenceEffectRow *r = &rows[i];
    AdherenceEffect *e = NULL;
    gint k = g_date_valid (&r->day) ? g_date_days_between (from, &r->day) : -1;

    if (k < 0 || (guint) k >= n_days || !r->effect || !row_is_days_record (rows, n_rows, i))
      continue;
    for (guint j = 0; j < out->len && !e; j++) {
      AdherenceEffect *x = g_ptr_array_index (out, j);
      if (strcmp (x->effect, r->effect) == 0)
        e = x;
    }
    if (!e) {
      e = g_new0 (AdherenceEffect, 1);
      e->effect = g_strdup (r->effect);
      e->worst = -1;
      e->n_weeks = n_weeks;
      e->weekly = g_new (gint, n_weeks);
      for (guint w = 0; w < n_weeks; w++)
        e->weekly[w] = -1;
      g_ptr_array_add (out, e);
    }
    e->weekly[k / 7] = MAX (e->weekly[k / 7], (gint) r->severity);
    e->worst = MAX (e->worst, (gint) r->severity);
    if (r->severity > 0 &&
        (!g_date_valid (&e->last_day) || g_date_compare (&r->day, &e->last_day) > 0))
      e->last_day = r->day;
  }
  return out;
}
