/* rx_interactions.c — the interactions section (records-rx.h,
 * rx-interactions.h): the new order against the patient's other medicines,
 * by the rules of config/interactions.json. Pure: the clock is f->now_ms
 * and f->today, the time zone f->time_zone. */
#include "server/records/records.h"

#include <string.h>

static const char *const kMonths[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* "3 Nov 2026" */
static char *
date_text (const GDate *d)
{
  return g_strdup_printf ("%u %s %u", g_date_get_day (d), kMonths[g_date_get_month (d) - 1],
                          g_date_get_year (d));
}

/* The clinic's calendar day of an instant. */
static void
local_date (gint64 ms, GTimeZone *tz, GDate *out)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GTimeZone) fallback = tz ? NULL : g_time_zone_new_utc ();

  g_date_clear (out, 1);
  local = utc ? g_date_time_to_timezone (utc, tz ? tz : fallback) : NULL;
  if (local)
    g_date_set_dmy (out, (GDateDay) g_date_time_get_day_of_month (local),
                    (GDateMonth) g_date_time_get_month (local),
                    (GDateYear) g_date_time_get_year (local));
}

static gboolean
side_matches (const RxSide *s, const RxVocabEntry *e)
{
  if (!e)
    return FALSE;
  if (g_strv_contains ((const char *const *) s->ingredients, e->ingredient))
    return TRUE;
  for (guint i = 0; s->tags[i]; i++)
    if (rx_vocab_has_tag (e, s->tags[i]))
      return TRUE;
  return FALSE;
}

/* The rule applies to the pair, either way round. */
static gboolean
rule_matches (const RxInteractionRule *r, const RxVocabEntry *x, const RxVocabEntry *y)
{
  return (side_matches (&r->a, x) && side_matches (&r->b, y)) ||
         (side_matches (&r->b, x) && side_matches (&r->a, y));
}

/* How many days after `stopped` stops the rule still holds (0: it does not). */
static guint
washout_days (const RxInteractionRule *r, const RxVocabEntry *stopped)
{
  for (guint i = 0; i < r->n_washouts; i++)
    if (side_matches (&r->washouts[i].stopped, stopped))
      return r->washouts[i].days;
  return 0;
}

/* "Escitalopram 10 mg once daily" */
static char *
new_drug_text (const RxCheckFacts *f)
{
  g_autofree char *dosing = med_dosing_text (&f->dosing);
  char *text = g_strdup_printf ("%s %s", f->medication->name, dosing);

  text[0] = g_ascii_toupper (text[0]);
  return text;
}

static void
add_live (const RxInteractionRule *r, const char *new_text, const RxDrug *d, GPtrArray *findings)
{
  rx_add (findings, r->severity, r->id, r->title, r->source, "%s with %s: %s %s", new_text,
          d->display, r->text, r->action);
}

/* The stopped drug `d` (or the one a switch replaces, stopped today) is
 * still inside the rule's washout on f->today. */
static void
check_washout (const RxCheckFacts *f, const RxInteractionRule *r, const char *new_text,
               const RxDrug *d, const RxVocabEntry *e, GPtrArray *findings)
{
  guint days = washout_days (r, e);
  gboolean replaced = rx_drug_is_replaced (f, d);
  GDate stopped, until;
  g_autofree char *stopped_text = NULL, *until_text = NULL;

  if (days == 0)
    return;
  if (replaced || d->stopped_ms == 0)
    stopped = f->today;
  else
    local_date (d->stopped_ms, f->time_zone, &stopped);
  if (!g_date_valid (&stopped))
    return;
  until = stopped;
  g_date_add_days (&until, days);
  /* On the day the washout ends the new medicine may start. */
  if (g_date_valid (&f->today) && g_date_compare (&f->today, &until) >= 0)
    return;
  stopped_text = date_text (&stopped);
  until_text = date_text (&until);
  rx_add (findings, r->severity, r->id, r->title, r->source,
          "%s after %s: %s was %s on %s; wait until %s (%u days) before starting it. %s %s",
          new_text, d->display, e->ingredient, replaced ? "stopped by this switch" : "stopped",
          stopped_text, until_text, days, r->text, r->action);
}

/* One warning naming the medicines the vocabulary does not know. */
#define UNCHECKED_NAMED 5
static void
check_unknown (const RxCheckFacts *f, const RxInteractionTable *t, GPtrArray *findings)
{
  GString *names = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; i < f->n_drugs; i++) {
    const RxDrug *d = &f->drugs[i];
    if (rx_vocab_find (t, d->ingredient) || rx_drug_is_replaced (f, d))
      continue;
    /* A handful by name keeps the kept finding within the order's limits. */
    if (n < UNCHECKED_NAMED)
      g_string_append_printf (names, "%s%s", n ? "; " : "", d->display ? d->display : "?");
    n++;
  }
  if (n > UNCHECKED_NAMED)
    g_string_append_printf (names, " and %u more", n - UNCHECKED_NAMED);
  if (n > 0)
    rx_add (findings, RX_WARN, "interactions-unchecked", "Medicines not checked for interactions",
            "Clinic policy: free-text medicines cannot be matched to the interaction table "
            "(config/interactions.json)",
            "%s %s not in the interaction table (written as free text or an unknown name), so "
            "%s not checked against this order. Review %s yourself, or record %s by its RxNorm "
            "ingredient.",
            names->str, n == 1 ? "is" : "are", n == 1 ? "it was" : "they were",
            n == 1 ? "it" : "them", n == 1 ? "it" : "them");
  g_string_free (names, TRUE);
}

void
rx_check_interactions (const RxCheckFacts *f, GPtrArray *findings)
{
  const RxInteractionTable *t = f->tables ? f->tables->interactions : NULL;
  const RxVocabEntry *mine;
  g_autofree char *new_text = NULL;

  if (!t || !f->medication)
    return;
  mine = rx_vocab_find (t, f->medication->name);
  /* The loader refuses a catalog with an ingredient missing from the
   * vocabulary: an order's medication is always known here. */
  if (!mine)
    return;
  new_text = new_drug_text (f);
  for (guint i = 0; i < f->n_drugs; i++) {
    const RxDrug *d = &f->drugs[i];
    const RxVocabEntry *e = rx_vocab_find (t, d->ingredient);
    gboolean live = d->stopped_ms == 0 && !rx_drug_is_replaced (f, d);
    /* The same ingredient twice is a dose matter, not an interaction (a
     * dose change replaces the order; the adjustment rules handle a
     * second start). */
    if (!e || e == mine)
      continue;
    for (guint k = 0; k < t->rules->len; k++) {
      const RxInteractionRule *r = g_ptr_array_index (t->rules, k);
      if (!rule_matches (r, mine, e))
        continue;
      if (live)
        add_live (r, new_text, d, findings);
      else
        check_washout (f, r, new_text, d, e, findings);
    }
  }
  check_unknown (f, t, findings);
}
