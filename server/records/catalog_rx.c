/* catalog_rx.c — issue 15's per-entry data in the medication catalog
 * (config/medications.json), validated as strictly as the rest of an entry
 * (catalog.c): a titration schedule with a typo would refuse the wrong
 * doses, so a malformed block refuses the whole file, naming the field.
 *
 *   "titration": {"source", "detail", "restart_after_days", "restart_detail",
 *     "schedules": [{"name", "if_taking"?: [ingredient...], "on_start"?,
 *       "on_stop"?, "steps": [{"week", "amount", "every_days"?}...]}...]}
 *     Schedules in order of precedence: each but the last names the
 *     ingredients that make it apply (with on_start / on_stop sentences);
 *     the last is the standard one. Steps start at week 1, weeks and average
 *     amounts a day strictly rise, amounts are a dosing day's total (at most
 *     max_daily), every_days is 1 (default) or 2 (the entry must allow
 *     every-other-day).
 *   "pregnancy": {"action": "warn" | "prevention-programme",
 *     "warn_when"?: ["can-become-pregnant", "pregnant"] (warn only),
 *     "pregnancy", "lactation"?, "source"} */
#include "server/records/catalog-private.h"

#include <math.h>
#include <string.h>

#define AMOUNT_EPSILON 1e-9

/* A non-empty string member without NUL (optional: may be absent). */
static gboolean
text_member (json_t *obj, const char *key, const char *what, gboolean optional, const char **out,
             char **msg)
{
  json_t *v = json_object_get (obj, key);

  *out = NULL;
  if (!v && optional)
    return TRUE;
  if (!json_is_string (v) || json_string_length (v) == 0 ||
      strlen (json_string_value (v)) != json_string_length (v)) {
    *msg = g_strdup_printf ("\"%s\" must be a non-empty string", what);
    return FALSE;
  }
  *out = json_string_value (v);
  return TRUE;
}

/* Only the keys in `known` (NULL-terminated) may appear in obj. */
static gboolean
only_keys (json_t *obj, const char *const *known, const char *what, char **msg)
{
  const char *key;
  json_t *v;

  json_object_foreach (obj, key, v)
  {
    if (!g_strv_contains (known, key)) {
      *msg = g_strdup_printf ("%s: unknown field \"%s\"", what, key);
      return FALSE;
    }
  }
  return TRUE;
}

static void
schedule_clear (MedTitrationSchedule *s)
{
  g_free (s->name);
  g_strfreev (s->if_taking);
  g_free (s->on_start);
  g_free (s->on_stop);
  g_free (s->steps);
}

void
med_titration_free (MedTitration *t)
{
  if (!t)
    return;
  for (guint i = 0; i < t->n_schedules; i++)
    schedule_clear (&t->schedules[i]);
  g_free (t->schedules);
  g_free (t->source);
  g_free (t->detail);
  g_free (t->restart_detail);
  g_free (t);
}

void
med_pregnancy_free (MedPregnancy *p)
{
  if (!p)
    return;
  g_free (p->pregnancy);
  g_free (p->lactation);
  g_free (p->source);
  g_free (p);
}

static gboolean
parse_step (json_t *v, const Medication *m, const MedTitrationStep *prev, MedTitrationStep *out,
            const char *where, char **msg)
{
  static const char *const keys[] = { "week", "amount", "every_days", NULL };
  json_t *week = json_object_get (v, "week"), *every = json_object_get (v, "every_days");
  json_t *amount = json_object_get (v, "amount");

  if (!json_is_object (v) || !only_keys (v, keys, where, msg))
    goto bad;
  if (!json_is_integer (week) || json_integer_value (week) < 1 || json_integer_value (week) > 52 ||
      !json_is_number (amount) || !isfinite (json_number_value (amount)) ||
      json_number_value (amount) <= 0 ||
      (every && (!json_is_integer (every) || json_integer_value (every) < 1 ||
                 json_integer_value (every) > 2)))
    goto bad;
  out->week = (guint) json_integer_value (week);
  out->amount = json_number_value (amount);
  out->every_days = every ? (guint) json_integer_value (every) : 1;
  if (out->every_days == 2 && !med_frequency_allowed (m, "every-other-day")) {
    *msg = g_strdup_printf ("%s: every other day, but the entry does not allow every-other-day",
                            where);
    return FALSE;
  }
  if (out->amount > m->max_daily + AMOUNT_EPSILON) {
    *msg = g_strdup_printf ("%s: %g is above max_daily", where, out->amount);
    return FALSE;
  }
  if (!prev && out->week != 1) {
    *msg = g_strdup_printf ("%s: the first step starts at week 1", where);
    return FALSE;
  }
  if (prev && (out->week <= prev->week ||
               out->amount / out->every_days <= prev->amount / prev->every_days + AMOUNT_EPSILON)) {
    *msg = g_strdup_printf ("%s: weeks and amounts a day must rise step by step", where);
    return FALSE;
  }
  return TRUE;
bad:
  if (!*msg)
    *msg = g_strdup_printf ("%s must be {\"week\": 1..52, \"amount\": a positive number, "
                            "\"every_days\"?: 1 or 2}",
                            where);
  return FALSE;
}

/* if_taking: lower-case ingredient names, as the interaction table and the
 * drug list spell them. */
static gboolean
parse_if_taking (json_t *list, MedTitrationSchedule *s, const char *where, char **msg)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  json_t *v;
  size_t i;

  if (!json_is_array (list) || json_array_size (list) == 0)
    goto bad;
  json_array_foreach (list, i, v)
  {
    const char *name = json_is_string (v) ? json_string_value (v) : NULL;
    g_autofree char *lower = name ? g_ascii_strdown (name, -1) : NULL;
    if (!name || !*name || strcmp (lower, name) != 0)
      goto bad;
    g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_add (names, NULL);
  s->if_taking = (char **) g_ptr_array_free (names, FALSE);
  return TRUE;
bad:
  g_ptr_array_free (names, TRUE);
  *msg = g_strdup_printf ("%s: \"if_taking\" must be a non-empty list of lower-case ingredients",
                          where);
  return FALSE;
}

static gboolean
parse_schedule (json_t *v, const Medication *m, gboolean last, MedTitrationSchedule *s,
                const char *where, char **msg)
{
  static const char *const keys[] = { "name", "if_taking", "on_start", "on_stop", "steps", NULL };
  json_t *name = json_object_get (v, "name"), *steps = json_object_get (v, "steps"), *step;
  json_t *if_taking = json_object_get (v, "if_taking");
  const char *on_start, *on_stop;
  size_t i;

  if (!json_is_object (v) || !only_keys (v, keys, where, msg))
    goto bad;
  if (!json_is_string (name) || !json_is_array (steps) || json_array_size (steps) == 0)
    goto bad;
  if (last != (if_taking == NULL)) {
    *msg = g_strdup_printf ("%s: every schedule but the last (the standard one) names "
                            "\"if_taking\"",
                            where);
    return FALSE;
  }
  s->name = g_strdup (json_string_value (name));
  if (if_taking && (!parse_if_taking (if_taking, s, where, msg) ||
                    !text_member (v, "on_start", "on_start", FALSE, &on_start, msg) ||
                    !text_member (v, "on_stop", "on_stop", FALSE, &on_stop, msg)))
    return FALSE;
  if (!if_taking && (json_object_get (v, "on_start") || json_object_get (v, "on_stop"))) {
    *msg = g_strdup_printf ("%s: the standard schedule has no on_start / on_stop", where);
    return FALSE;
  }
  if (if_taking) {
    s->on_start = g_strdup (on_start);
    s->on_stop = g_strdup (on_stop);
  }
  s->steps = g_new0 (MedTitrationStep, json_array_size (steps));
  json_array_foreach (steps, i, step)
  {
    g_autofree char *at = g_strdup_printf ("%s step %zu", where, i + 1);
    if (!parse_step (step, m, i ? &s->steps[i - 1] : NULL, &s->steps[i], at, msg))
      return FALSE;
    s->n_steps++;
  }
  return TRUE;
bad:
  if (!*msg)
    *msg = g_strdup_printf ("%s must be {\"name\", \"if_taking\"?, \"on_start\"?, \"on_stop\"?, "
                            "\"steps\": [...]}",
                            where);
  return FALSE;
}

gboolean
med_titration_parse (json_t *v, Medication *m, char **msg)
{
  static const char *const keys[] = { "source",         "detail",    "restart_after_days",
                                      "restart_detail", "schedules", NULL };
  json_t *restart = json_object_get (v, "restart_after_days"), *list, *s;
  const char *source, *detail, *restart_detail;
  MedTitration *t;
  size_t i;

  if (!v)
    return TRUE;
  if (!json_is_object (v) || !only_keys (v, keys, "titration", msg))
    goto bad;
  if (!text_member (v, "source", "titration.source", FALSE, &source, msg) ||
      !text_member (v, "detail", "titration.detail", FALSE, &detail, msg) ||
      !text_member (v, "restart_detail", "titration.restart_detail", FALSE, &restart_detail, msg))
    return FALSE;
  if (!json_is_integer (restart) || json_integer_value (restart) < 1 ||
      json_integer_value (restart) > 60) {
    *msg = g_strdup ("\"titration.restart_after_days\" must be a whole number of days, 1..60");
    return FALSE;
  }
  list = json_object_get (v, "schedules");
  if (!json_is_array (list) || json_array_size (list) == 0)
    goto bad;
  m->titration = t = g_new0 (MedTitration, 1);
  t->source = g_strdup (source);
  t->detail = g_strdup (detail);
  t->restart_detail = g_strdup (restart_detail);
  t->restart_after_days = (guint) json_integer_value (restart);
  t->schedules = g_new0 (MedTitrationSchedule, json_array_size (list));
  json_array_foreach (list, i, s)
  {
    g_autofree char *where = g_strdup_printf ("titration schedule %zu", i + 1);
    gboolean ok = parse_schedule (s, m, i + 1 == json_array_size (list), &t->schedules[i], where,
                                  msg);
    t->n_schedules++; /* counted even when half-filled: the free clears it */
    if (!ok)
      return FALSE;
  }
  return TRUE;
bad:
  if (!*msg)
    *msg = g_strdup ("\"titration\" must be {\"source\", \"detail\", \"restart_after_days\", "
                     "\"restart_detail\", \"schedules\": [...]}");
  return FALSE;
}

gboolean
med_pregnancy_parse (json_t *v, Medication *m, char **msg)
{
  static const char *const keys[] = { "action",    "warn_when", "pregnancy",
                                      "lactation", "source",    NULL };
  const char *action, *pregnancy, *lactation, *source;
  json_t *when, *w;
  MedPregnancy *p;
  size_t i;

  if (!v)
    return TRUE;
  if (!json_is_object (v) || !only_keys (v, keys, "pregnancy", msg)) {
    if (!*msg)
      *msg = g_strdup ("\"pregnancy\" must be {\"action\", \"warn_when\"?, \"pregnancy\", "
                       "\"lactation\"?, \"source\"}");
    return FALSE;
  }
  if (!text_member (v, "action", "pregnancy.action", FALSE, &action, msg) ||
      !text_member (v, "pregnancy", "pregnancy.pregnancy", FALSE, &pregnancy, msg) ||
      !text_member (v, "lactation", "pregnancy.lactation", TRUE, &lactation, msg) ||
      !text_member (v, "source", "pregnancy.source", FALSE, &source, msg))
    return FALSE;
  if (strcmp (action, "warn") != 0 && strcmp (action, "prevention-programme") != 0) {
    *msg = g_strdup_printf ("\"pregnancy.action\" must be warn or prevention-programme, not "
                            "\"%s\"",
                            action);
    return FALSE;
  }
  when = json_object_get (v, "warn_when");
  if ((strcmp (action, "warn") == 0) != (when != NULL) ||
      (when && (!json_is_array (when) || json_array_size (when) == 0))) {
    *msg = g_strdup ("\"pregnancy.warn_when\" is a non-empty list for action warn, and only then");
    return FALSE;
  }
  m->pregnancy = p = g_new0 (MedPregnancy, 1);
  p->action = strcmp (action, "warn") == 0 ? MED_PREGNANCY_WARN : MED_PREGNANCY_PREVENTION;
  json_array_foreach (when, i, w)
  {
    const char *s = json_is_string (w) ? json_string_value (w) : "";
    if (strcmp (s, "can-become-pregnant") == 0)
      p->warn_potential = TRUE;
    else if (strcmp (s, "pregnant") == 0)
      p->warn_pregnant = TRUE;
    else {
      *msg = g_strdup_printf ("\"pregnancy.warn_when\" %zu must be can-become-pregnant or "
                              "pregnant",
                              i + 1);
      return FALSE;
    }
  }
  p->pregnancy = g_strdup (pregnancy);
  p->lactation = g_strdup (lactation);
  p->source = g_strdup (source);
  return TRUE;
}

/* ------------------------------------------------------------ helpers */

const MedTitrationSchedule *
med_titration_schedule_for (const MedTitration *t, const char *const *ingredients, guint n)
{
  for (guint i = 0; t && i < t->n_schedules; i++) {
    const MedTitrationSchedule *s = &t->schedules[i];
    if (!s->if_taking)
      return s;
    for (guint k = 0; k < n; k++)
      if (ingredients[k] && g_strv_contains ((const char *const *) s->if_taking, ingredients[k]))
        return s;
  }
  return NULL;
}

char *
med_titration_schedule_text (const MedTitrationSchedule *s, const char *unit)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < s->n_steps; i++) {
    const MedTitrationStep *st = &s->steps[i];
    guint last_week = i + 1 < s->n_steps ? s->steps[i + 1].week - 1 : st->week;
    if (i)
      g_string_append (text, ", ");
    if (last_week > st->week)
      g_string_append_printf (text, "weeks %u–%u", st->week, last_week);
    else
      g_string_append_printf (text, "week %u", st->week);
    g_string_append_printf (text, " %g %s %s", st->amount, unit ? unit : "",
                            st->every_days == 2 ? "every other day" : "a day");
    if (i + 1 == s->n_steps)
      g_string_append (text, " (target)");
  }
  return g_string_free (text, FALSE);
}

double
med_dosing_average_daily (const MedDosing *d)
{
  return med_dosing_daily_total (d) / MAX (1u, med_frequency_period_days (d->frequency));
}
