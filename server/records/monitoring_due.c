/* monitoring_due.c — what the monitoring table asks of a patient's current
 * medications, as of a given day: each rule's due date and status
 * (overdue, due, not yet, done) with the reason in words.
 *
 * Pure: `today` and the clinic's time zone are passed in; orders and
 * observations are read as calendar dates in that zone, because "5 to 7
 * days after the dose change" is counted in days a clinician can see. */
#include "server/records/monitoring-private.h"

#include <string.h>

static const char *const kStatusNames[] = { "overdue", "due", "not-yet", "done" };

const char *
monitoring_status_name (MonitoringStatus status)
{
  return (guint) status < G_N_ELEMENTS (kStatusNames) ? kStatusNames[status] : "due";
}

void
monitoring_item_free (MonitoringItem *item)
{
  if (!item)
    return;
  g_free (item->why);
  g_free (item);
}

/* ------------------------------------------------------------ dates */

static void
local_date (gint64 ms, GTimeZone *tz, GDate *out)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr (GDateTime) local = utc ? g_date_time_to_timezone (utc, tz) : NULL;

  g_date_clear (out, 1);
  if (local)
    g_date_set_dmy (out, (GDateDay) g_date_time_get_day_of_month (local),
                    (GDateMonth) g_date_time_get_month (local),
                    (GDateYear) g_date_time_get_year (local));
}

/* "3 Dec 2026": a day, never ambiguous between the US and elsewhere. */
static char *
day_text (const GDate *d)
{
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

  if (!g_date_valid (d))
    return g_strdup ("an unknown day");
  return g_strdup_printf ("%u %s %u", (guint) g_date_get_day (d), months[g_date_get_month (d) - 1],
                          (guint) g_date_get_year (d));
}

static void
date_plus_days (const GDate *from, guint days, GDate *out)
{
  *out = *from;
  g_date_add_days (out, days);
}

static void
date_minus_days (const GDate *from, guint days, GDate *out)
{
  *out = *from;
  if (g_date_get_julian (out) > days)
    g_date_subtract_days (out, days);
}

static void
date_plus_months (const GDate *from, guint months, GDate *out)
{
  *out = *from;
  g_date_add_months (out, months);
}

/* ------------------------------------------------------------ a course */

/* What a rule reads of one course of treatment. */
typedef struct {
  const MonitoringLink *current;
  GDate start;  /* the first order of the course */
  GDate change; /* the latest dose change or formulation switch; invalid: none */
  GDate last;   /* the latest observation of the rule's kinds; invalid: none */
  const GDate *today;
} Course;

static gboolean
link_matches (const MonRule *r, const MonitoringLink *l)
{
  return (r->medications && l->medication_id &&
          g_strv_contains ((const char *const *) r->medications, l->medication_id)) ||
         (r->classes && l->drug_class &&
          g_strv_contains ((const char *const *) r->classes, l->drug_class));
}

/* The course as the rule sees it: the links that match the rule and keep
 * the current order's ingredient (a switch to another drug starts anew,
 * so a new antipsychotic gets its own baseline). FALSE: the rule does not
 * apply to this course. */
static gboolean
course_read (const MonRule *r, const MonitoringCourse *mc, const MonitoringObservation *obs,
             guint n_obs, const GDate *today, GTimeZone *tz, Course *out)
{
  guint m = 0;
  gint64 last_ms = -1;

  memset (out, 0, sizeof *out);
  g_date_clear (&out->start, 1);
  g_date_clear (&out->change, 1);
  g_date_clear (&out->last, 1);
  out->today = today;
  if (mc->n_links == 0 || !link_matches (r, &mc->links[0]))
    return FALSE;
  out->current = &mc->links[0];
  while (m < mc->n_links && link_matches (r, &mc->links[m]) &&
         g_strcmp0 (mc->links[m].name, out->current->name) == 0)
    m++;
  local_date (mc->links[m - 1].since_ms, tz, &out->start);
  if (m > 1)
    local_date (mc->links[0].since_ms, tz, &out->change);
  for (guint i = 0; i < n_obs; i++)
    if (obs[i].kind && g_strv_contains ((const char *const *) r->kinds, obs[i].kind) &&
        obs[i].effective_ms > last_ms)
      last_ms = obs[i].effective_ms;
  if (last_ms >= 0)
    local_date (last_ms, tz, &out->last);
  return g_date_valid (&out->start);
}

static gboolean
on_or_after (const GDate *a, const GDate *b)
{
  return g_date_valid (a) && g_date_valid (b) && g_date_compare (a, b) >= 0;
}

static MonitoringStatus
status_for (const GDate *today, const GDate *due, const GDate *overdue)
{
  if (g_date_compare (today, due) < 0)
    return MONITORING_NOT_YET;
  if (g_date_compare (today, overdue) <= 0)
    return MONITORING_DUE;
  return MONITORING_OVERDUE;
}

static MonitoringItem *
item_new (const MonRule *r, const Course *c)
{
  MonitoringItem *it = g_new0 (MonitoringItem, 1);

  it->rule_id = r->id;
  it->kind = r->kinds[0];
  it->what = r->what;
  it->medication_id = c->current->medication_id;
  it->source = r->source;
  g_date_clear (&it->due, 1);
  g_date_clear (&it->overdue, 1);
  return it;
}

/* ------------------------------------------------------------ the rules */

static MonitoringItem *
after_change (const MonRule *r, const Course *c)
{
  MonitoringItem *it = item_new (r, c);
  gboolean changed = g_date_valid (&c->change);
  const GDate *anchor = changed ? &c->change : &c->start;
  g_autofree char *anchor_text = day_text (anchor), *due = NULL, *over = NULL, *last = NULL;
  g_autofree char *when = g_strdup_printf ("%u-%u days after the %s of %s on %s", r->first,
                                           r->second, changed ? "dose change" : "start",
                                           c->current->name, anchor_text);

  date_plus_days (anchor, r->first, &it->due);
  date_plus_days (anchor, r->second, &it->overdue);
  due = day_text (&it->due);
  over = day_text (&it->overdue);
  last = day_text (&c->last);
  if (on_or_after (&c->last, &it->due)) {
    it->status = MONITORING_DONE;
    it->why = g_strdup_printf ("%s: done on %s, %s.", r->what, last, when);
    return it;
  }
  it->status = status_for (c->today, &it->due, &it->overdue);
  /* A level drawn before steady state does not count, and says so. */
  g_autofree char *since = on_or_after (&c->last, anchor)
                             ? g_strdup_printf ("the last, on %s, was too early to count", last)
                             : g_strdup ("none since");
  if (it->status == MONITORING_NOT_YET)
    it->why = g_strdup_printf ("%s: due %s to %s, %s.", r->what, due, over, when);
  else if (it->status == MONITORING_DUE)
    it->why = g_strdup_printf ("%s: due now (by %s), %s; %s.", r->what, over, when, since);
  else
    it->why = g_strdup_printf ("%s: overdue since %s, %s; %s.", r->what, over, when, since);
  return it;
}

static MonitoringItem *
periodic (const MonRule *r, const Course *c)
{
  MonitoringItem *it = item_new (r, c);
  const GDate *since = g_date_valid (&c->change) ? &c->change : &c->start;
  const GDate *anchor = on_or_after (&c->last, since) ? &c->last : since;
  g_autofree char *due = NULL, *over = NULL, *anchor_text = day_text (anchor);
  g_autofree char *every = g_strdup_printf ("every %u months on %s (overdue after %u)", r->first,
                                            c->current->name, r->second);
  g_autofree char *from = anchor == &c->last
                            ? g_strdup_printf ("last on %s", anchor_text)
                            : g_strdup_printf ("none since the %s on %s",
                                               since == &c->change ? "dose change" : "start",
                                               anchor_text);

  date_plus_months (anchor, r->first, &it->due);
  date_plus_months (anchor, r->second, &it->overdue);
  due = day_text (&it->due);
  over = day_text (&it->overdue);
  it->status = status_for (c->today, &it->due, &it->overdue);
  if (it->status == MONITORING_NOT_YET)
    it->why = g_strdup_printf ("%s %s: %s; next due %s.", r->what, every, from, due);
  else if (it->status == MONITORING_DUE)
    it->why = g_strdup_printf ("%s: due now (by %s), %s; %s.", r->what, over, every, from);
  else
    it->why = g_strdup_printf ("%s: overdue since %s, %s; %s.", r->what, over, every, from);
  return it;
}

static MonitoringItem *
baseline (const MonRule *r, const Course *c)
{
  MonitoringItem *it = item_new (r, c);
  GDate counts_from;
  g_autofree char *start = day_text (&c->start), *last = day_text (&c->last), *over = NULL;

  date_minus_days (&c->start, r->lookback_days, &counts_from);
  if (on_or_after (&c->last, &counts_from)) {
    it->status = MONITORING_DONE;
    it->why = g_strdup_printf ("%s: baseline done on %s (%s started %s).", r->what, last,
                               c->current->name, start);
    return it;
  }
  it->due = c->start;
  date_plus_days (&c->start, r->grace_days, &it->overdue);
  over = day_text (&it->overdue);
  it->status = status_for (c->today, &it->due, &it->overdue);
  if (it->status == MONITORING_OVERDUE)
    it->why = g_strdup_printf ("%s: baseline overdue since %s (%s started %s); none on record.",
                               r->what, over, c->current->name, start);
  else
    it->why = g_strdup_printf ("%s: baseline due by %s (%s started %s); none on record.", r->what,
                               over, c->current->name, start);
  return it;
}

/* The latest milestone reached (its window opens a week before it) is the
 * one that matters: an earlier one missed is past helping, and a later
 * one is not yet. */
static MonitoringItem *
at_weeks (const MonRule *r, const Course *c)
{
  MonitoringItem *it = item_new (r, c);
  GDate milestone, opens;
  gint reached = -1;
  guint show;
  g_autofree char *start = day_text (&c->start), *day = NULL, *over = NULL;

  for (guint i = 0; i < r->n_weeks; i++) {
    date_plus_days (&c->start, r->weeks[i] * 7, &milestone);
    date_minus_days (&milestone, 7, &opens);
    if (g_date_compare (c->today, &opens) >= 0)
      reached = (gint) i;
  }
  show = reached < 0 ? 0 : (guint) reached;
  date_plus_days (&c->start, r->weeks[show] * 7, &milestone);
  date_minus_days (&milestone, 7, &opens);
  if (reached >= 0 && on_or_after (&c->last, &opens)) {
    if (show + 1 == r->n_weeks) {
      it->status = MONITORING_DONE;
      it->why = g_strdup_printf ("%s: week-%u check done (%s started %s).", r->what, r->weeks[show],
                                 c->current->name, start);
      return it;
    }
    show++;
    date_plus_days (&c->start, r->weeks[show] * 7, &milestone);
    date_minus_days (&milestone, 7, &opens);
  }
  it->due = opens;
  date_plus_days (&milestone, r->grace_days, &it->overdue);
  day = day_text (&milestone);
  over = day_text (&it->overdue);
  it->status = status_for (c->today, &it->due, &it->overdue);
  it->why = g_strdup_printf ("%s: week-%u check %s %s (%s started %s)%s", r->what, r->weeks[show],
                             it->status == MONITORING_OVERDUE ? "overdue since" : "due around",
                             it->status == MONITORING_OVERDUE ? over : day, c->current->name, start,
                             it->status == MONITORING_NOT_YET ? "." : "; none since.");
  return it;
}

static MonitoringItem *
each_visit (const MonRule *r, const Course *c)
{
  MonitoringItem *it = item_new (r, c);

  if (on_or_after (&c->last, c->today)) {
    it->status = MONITORING_DONE;
    it->why = g_strdup_printf ("%s: done today (each visit on %s).", r->what, c->current->name);
    return it;
  }
  it->status = MONITORING_DUE;
  it->due = *c->today;
  it->why = g_strdup_printf ("%s: due at each visit on %s; none today.", r->what, c->current->name);
  return it;
}

static MonitoringItem *
rule_item (const MonRule *r, const Course *c)
{
  switch (r->when) {
  case MON_WHEN_AFTER_CHANGE:
    return after_change (r, c);
  case MON_WHEN_PERIODIC:
    return periodic (r, c);
  case MON_WHEN_BASELINE:
    return baseline (r, c);
  case MON_WHEN_AT_WEEKS:
    return at_weeks (r, c);
  case MON_WHEN_EACH_VISIT:
    return each_visit (r, c);
  }
  return NULL;
}

/* ------------------------------------------------------------ the list */

/* Overdue before due before not yet before done; earlier due first. */
static gint
item_compare (gconstpointer pa, gconstpointer pb)
{
  const MonitoringItem *a = *(MonitoringItem *const *) pa, *b = *(MonitoringItem *const *) pb;
  gboolean va = g_date_valid (&a->due), vb = g_date_valid (&b->due);

  if (a->status != b->status)
    return (gint) a->status - (gint) b->status;
  if (va && vb)
    return g_date_compare (&a->due, &b->due);
  return (gint) vb - (gint) va;
}

/* One line per thing monitored ("Lithium level"): its most urgent rule,
 * so an overdue level is not followed by "next due in 3 months". */
static void
keep_most_urgent (GPtrArray *items, MonitoringItem *item)
{
  for (guint i = 0; i < items->len; i++) {
    MonitoringItem *have = g_ptr_array_index (items, i);
    if (g_strcmp0 (have->what, item->what) != 0)
      continue;
    if (item_compare (&item, &have) < 0) {
      monitoring_item_free (have);
      items->pdata[i] = item;
    } else {
      monitoring_item_free (item);
    }
    return;
  }
  g_ptr_array_add (items, item);
}

GPtrArray *
monitoring_due (const MonitoringCatalog *catalog, const MonitoringCourse *courses, guint n_courses,
                const MonitoringObservation *observations, guint n_observations, const GDate *today,
                GTimeZone *tz)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) monitoring_item_free);

  if (!catalog || !today || !g_date_valid (today))
    return items;
  for (guint i = 0; i < catalog->rules->len; i++) {
    const MonRule *r = g_ptr_array_index (catalog->rules, i);
    for (guint k = 0; k < n_courses; k++) {
      Course c;
      MonitoringItem *item;

      if (!course_read (r, &courses[k], observations, n_observations, today, tz, &c))
        continue;
      if ((item = rule_item (r, &c)))
        keep_most_urgent (items, item);
    }
  }
  g_ptr_array_sort (items, item_compare);
  return items;
}
