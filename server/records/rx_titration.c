/* rx_titration.c — the titration section (records-rx.h, rx-titration.h):
 * a drug whose label sets an escalation (lamotrigine: FDA label, Lamictal
 * prescribing information 2.3, the bipolar escalation regimen; halved with
 * valproate, doubled with enzyme inducers; restarted from the first step
 * after more than 5 half-lives without it, 2.1 and 2.5) is ordered no
 * faster than the schedule the patient's other drugs call for. The
 * schedules are data (config/medications.json, catalog_rx.c). */
#include "server/records/records.h"

#include <math.h>
#include <string.h>

#define AMOUNT_EPSILON 1e-6

void
rx_titration_facts_free (RxTitrationFacts *facts)
{
  g_free (facts);
}

static char *
date_text (const GDate *d)
{
  char buf[64];

  if (!g_date_valid (d))
    return g_strdup ("an unknown date");
  g_date_strftime (buf, sizeof buf, "%-d %b %Y", d);
  return g_strdup (buf);
}

/* "25 mg a day", "12.5 mg a day" */
static char *
daily_text (double amount, const char *unit)
{
  return g_strdup_printf ("%g %s a day", amount, unit ? unit : "");
}

static gint
days_between (const GDate *from, const GDate *to)
{
  return g_date_valid (from) && g_date_valid (to) ? g_date_days_between (from, to) : 0;
}

/* The ingredients of the patient's drugs that count for the schedule: the
 * live ones, and one this order replaces (it is stopped only now: still in
 * the blood while the new one starts). */
static guint
present_ingredients (const RxCheckFacts *f, const char **out, guint max)
{
  guint n = 0;

  for (guint i = 0; i < f->n_drugs && n < max; i++)
    if (f->drugs[i].ingredient &&
        (f->drugs[i].stopped_ms == 0 || rx_drug_is_replaced (f, &f->drugs[i])))
      out[n++] = f->drugs[i].ingredient;
  return n;
}

/* What may be ordered now (average amount a day) and why, in words. */
typedef struct {
  double allowed;
  char *why; /* "This patient started on 3 Nov 2026 (week 3)" */
} Allowance;

static const MedTitrationStep *
step_for_week (const MedTitrationSchedule *s, guint week)
{
  const MedTitrationStep *step = &s->steps[0];

  for (guint i = 0; i < s->n_steps; i++)
    if (s->steps[i].week <= week)
      step = &s->steps[i];
  return step;
}

static double
step_daily (const MedTitrationStep *st)
{
  return st->amount / st->every_days;
}

/* The next step above `current` (average a day), or NULL past the target. */
static const MedTitrationStep *
next_step_above (const MedTitrationSchedule *s, double current)
{
  for (guint i = 0; i < s->n_steps; i++)
    if (step_daily (&s->steps[i]) > current + AMOUNT_EPSILON)
      return &s->steps[i];
  return NULL;
}

/* "25 mg every other day" for a step's amount, else "50 mg a day". */
static char *
allowed_text (const MedTitrationSchedule *s, double daily, const char *unit)
{
  for (guint i = 0; i < s->n_steps; i++)
    if (s->steps[i].every_days > 1 && fabs (step_daily (&s->steps[i]) - daily) < AMOUNT_EPSILON)
      return g_strdup_printf ("%g %s every other day", s->steps[i].amount, unit ? unit : "");
  return daily_text (daily, unit);
}

/* Days without the drug the record shows: since the last stop (no live
 * line), or the diary's run of days with doses missed and none taken. */
static gint
days_without (const RxCheckFacts *f, const RxTitrationFacts *t, char **what)
{
  gint days = 0;

  if (!t->live && g_date_valid (&t->last_stopped)) {
    g_autofree char *stopped = date_text (&t->last_stopped);
    days = days_between (&t->last_stopped, &f->today);
    *what = g_strdup_printf ("It was stopped on %s, %d day%s ago", stopped, days,
                             days == 1 ? "" : "s");
  } else if (t->live && g_date_valid (&t->diary_missed_until)) {
    g_autofree char *until = date_text (&t->diary_missed_until);
    GDate taken = t->diary_last_taken;
    if (!g_date_valid (&taken)) {
      /* No dose taken since the line started: the day before it. */
      taken = t->line_started;
      if (g_date_valid (&taken))
        g_date_subtract_days (&taken, 1);
    }
    g_autofree char *last = date_text (&taken);
    days = days_between (&taken, &t->diary_missed_until);
    *what = g_strdup_printf ("The patient's diary shows no dose taken after %s until %s (%d "
                             "days without it)",
                             last, until, days);
  }
  return days;
}

static void
allowance (const RxCheckFacts *f, const MedTitration *mt, const MedTitrationSchedule *s,
           const RxTitrationFacts *t, Allowance *a)
{
  const char *unit = f->medication->unit;
  g_autofree char *without = NULL;
  gint days_off = days_without (f, t, &without);
  double first = step_daily (&s->steps[0]);

  a->allowed = first;
  if (days_off > (gint) mt->restart_after_days) {
    a->why = g_strdup_printf ("%s: after more than %u days without it, titration starts again "
                              "from the first step",
                              without, mt->restart_after_days);
    return;
  }
  if (!t->live) {
    if (g_date_valid (&t->last_stopped) && t->stopped_daily > first) {
      g_autofree char *was = allowed_text (s, t->stopped_daily, unit);
      /* Within the restart window the label's initial dosing does not
       * apply: the patient may resume what they took. */
      a->allowed = t->stopped_daily;
      a->why = g_strdup_printf ("%s, on %s; within %u days it may be resumed at that dose", without,
                                was, mt->restart_after_days);
    } else
      a->why = g_strdup ("This is a new start");
    return;
  }
  {
    g_autofree char *started = date_text (&t->line_started);
    gint days = MAX (0, days_between (&t->line_started, &f->today));
    guint week = (guint) days / 7 + 1;
    const MedTitrationStep *by_week = step_for_week (s, week);
    const MedTitrationStep *next = next_step_above (s, t->live_daily);
    g_autofree char *now = allowed_text (s, t->live_daily, unit);

    if (!next) {
      a->allowed = INFINITY; /* the schedule is done: max_daily rules */
      return;
    }
    a->allowed = MAX (t->live_daily, MIN (step_daily (by_week), step_daily (next)));
    a->why = g_strdup_printf ("This patient started on %s (week %u), now on %s", started, week,
                              now);
  }
}

static void
check_steps (const RxCheckFacts *f, const RxTitrationFacts *t, GPtrArray *findings)
{
  const MedTitration *mt = f->medication->titration;
  const char *present[64];
  guint n = present_ingredients (f, present, G_N_ELEMENTS (present));
  const MedTitrationSchedule *s = med_titration_schedule_for (mt, present, n);
  const char *unit = f->medication->unit;
  Allowance a = { 0 };
  double ordered = med_dosing_average_daily (&f->dosing);
  g_autofree char *schedule = NULL, *name = NULL, *allowed = NULL, *asked = NULL;
  g_autofree char *source = NULL;

  if (!s)
    return;
  allowance (f, mt, s, t, &a);
  if (ordered <= a.allowed + AMOUNT_EPSILON) {
    g_free (a.why);
    return;
  }
  schedule = med_titration_schedule_text (s, unit);
  name = g_strdup (f->medication->name);
  name[0] = g_ascii_toupper (name[0]);
  allowed = allowed_text (s, a.allowed, unit);
  asked = allowed_text (s, ordered, unit);
  source = g_strdup_printf ("%s: %s; %s", mt->source, mt->detail, mt->restart_detail);
  rx_add (findings, RX_REFUSE, "titration-step", "Faster than the titration schedule", source,
          "%s%s%s: %s. %s: at most %s now; this order comes to %s. Order a dose on the schedule; "
          "a faster rise raises the risk of serious rash.",
          name, *s->name ? " " : "", s->name, schedule, a.why, allowed, asked);
  g_free (a.why);
}

/* A drug the order starts or stops that changes the schedule of a drug
 * the patient goes on taking: the label's sentence, as a warning. */
static void
check_interacting (const RxCheckFacts *f, const RxDrug *other, const Medication *m,
                   GPtrArray *findings)
{
  /* other NULL: the switch starts m itself and stops what changed its
   * schedule (valproate to lamotrigine). */
  const char *started = f->medication->name;
  const char *stopped = f->replaced ? f->replaced->ingredient : NULL;
  g_autofree char *who = other && other->display ? g_strdup (other->display) : NULL;

  if (who)
    who[0] = g_ascii_toupper (who[0]);

  for (guint i = 0; m->titration && i < m->titration->n_schedules; i++) {
    const MedTitrationSchedule *s = &m->titration->schedules[i];
    const char *const *names = (const char *const *) s->if_taking;
    if (!names)
      continue;
    if (other && g_strv_contains (names, started) && !(stopped && g_strv_contains (names, stopped)))
      rx_add (findings, RX_WARN, "titration-interacting-start", "A dose to review",
              m->titration->detail, "%s is taken with %s: %s", who, started, s->on_start);
    else if (stopped && g_strv_contains (names, stopped) && !g_strv_contains (names, started)) {
      if (other)
        rx_add (findings, RX_WARN, "titration-interacting-stop", "A dose to review",
                m->titration->detail, "%s is taken with %s, which this order stops: %s", who,
                stopped, s->on_stop);
      else
        rx_add (findings, RX_WARN, "titration-interacting-stop", "A dose to review",
                m->titration->detail,
                "This switch stops %s and starts %s: %s is still in the blood for days, so %s "
                "is judged on the schedule %s. %s",
                stopped, started, stopped, started, s->name, s->on_stop);
    }
  }
}

void
rx_check_titration (const RxCheckFacts *f, GPtrArray *findings)
{
  RxTitrationFacts none = { 0 };

  /* Nothing gathered: a first order, as far as the record knows. */
  g_date_clear (&none.line_started, 1);
  g_date_clear (&none.last_stopped, 1);
  g_date_clear (&none.diary_last_taken, 1);
  g_date_clear (&none.diary_missed_until, 1);
  if (f->medication->titration)
    check_steps (f, f->titration ? f->titration : &none, findings);
  /* The drugs the patient goes on taking whose schedule this order changes
   * (the new one too, when a switch stops the drug that changed it). */
  for (guint i = 0; i < f->n_drugs; i++) {
    const RxDrug *d = &f->drugs[i];
    const Medication *m = med_catalog_find (f->catalog, d->medication_id);
    if (d->stopped_ms != 0 || rx_drug_is_replaced (f, d) || !m || !m->titration ||
        g_strcmp0 (m->name, f->medication->name) == 0)
      continue;
    check_interacting (f, d, m, findings);
  }
  if (f->kind == ADJUST_SWITCH && f->medication->titration && f->replaced)
    check_interacting (f, NULL, f->medication, findings);
}
