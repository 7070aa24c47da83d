/* clinical_dosing.c — the dose checks of one order against its catalog
 * formulation (route, frequency, strengths, maximum daily dose), the
 * dispensed units, and the snapshot an order keeps of its catalog entry.
 * Pure: no I/O. The tables live in clinical_catalog.c. */
#include "server/records/records.h"

#include <math.h>
#include <string.h>

#include <jansson.h>

/* Two amounts closer than this are the same dose (see clinical_catalog.c). */
#define DOSE_EPSILON 1e-9

static gboolean
whole_multiple (double amount, double unit)
{
  double n = amount / unit;
  return n >= 1 - DOSE_EPSILON && fabs (n - round (n)) <= 1e-6;
}

/* ------------------------------------------------------------------ doses */

/* A number as a prescriber writes it, '.' whatever the locale: 37.5, 1800. */
static void
append_amount (GString *s, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%g", v));
}

/* "25, 50, 75" */
static char *
strengths_text (const Medication *m)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < m->n_strengths; i++) {
    if (i > 0)
      g_string_append (s, ", ");
    append_amount (s, m->strengths[i]);
  }
  return g_string_free (s, FALSE);
}

/* The formulation at the start of a sentence: "Sertraline tablet". */
static char *
subject (const Medication *m)
{
  char *s = g_strdup (m->display);
  s[0] = g_ascii_toupper (s[0]);
  return s;
}

gboolean
med_dose_valid (const Medication *m, double dose, const char *unit, GError **error)
{
  g_autofree char *allowed = NULL, *who = NULL;

  if (m == NULL) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN, "unknown medication");
    return FALSE;
  }
  if (!isfinite (dose) || dose <= 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "the dose must be a positive number");
    return FALSE;
  }
  allowed = strengths_text (m);
  who = subject (m);
  /* No unit conversion: a dose in "g" or "mcg" is far more likely a slip
   * than an intent, and converting would hide a thousandfold error. */
  if (unit == NULL || g_strcmp0 (unit, m->unit) != 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, "%s is dosed in %s (%s %s a dose)",
                 who, m->unit, allowed, m->unit);
    return FALSE;
  }
  for (guint i = 0; i < m->n_strengths; i++)
    if (fabs (dose - m->strengths[i]) <= DOSE_EPSILON)
      return TRUE;
  g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, "%s comes in %s %s a dose", who,
               allowed, m->unit);
  return FALSE;
}

double
med_dosing_daily_total (const MedDosing *d)
{
  if (med_frequency_is_split (d->frequency))
    return d->dose + d->second_dose;
  if (med_frequency_is_as_needed (d->frequency))
    return d->dose * d->prn_max_per_day;
  return d->dose * med_frequency_per_day (d->frequency);
}

char *
med_dosing_text (const MedDosing *d)
{
  GString *s = g_string_new (NULL);
  const char *unit = d->unit ? d->unit : "";

  append_amount (s, d->dose);
  if (med_frequency_is_split (d->frequency)) {
    g_string_append_printf (s, " %s in the morning and ", unit);
    append_amount (s, d->second_dose);
    g_string_append_printf (s, " %s at bedtime", unit);
  } else {
    const char *text = med_frequency_text (d->frequency);
    g_string_append_printf (s, " %s %s", unit, text ? text : (d->frequency ? d->frequency : ""));
    if (med_frequency_is_as_needed (d->frequency) && d->prn_max_per_day > 0)
      g_string_append_printf (s, ", at most %u time%s a day", d->prn_max_per_day,
                              d->prn_max_per_day == 1 ? "" : "s");
  }
  return g_string_free (s, FALSE);
}

/* "once daily or every morning" */
static char *
allowed_frequencies_text (const Medication *m)
{
  GString *s = g_string_new (NULL);
  guint n = 0, total = 0;

  for (guint i = 0; i < med_frequency_count (); i++)
    total += (m->frequencies >> i) & 1u;
  for (guint i = 0; i < med_frequency_count (); i++) {
    if (!(m->frequencies & (1u << i)))
      continue;
    if (n > 0)
      g_string_append (s, n + 1 == total ? " or " : ", ");
    g_string_append (s, med_frequency_text (med_frequency_code (i)));
    n++;
  }
  return g_string_free (s, FALSE);
}

/* The route codes m allows (every route when m is NULL), from the table,
 * joined as the page joins them (web/js/meds.js): "oral or sublingual". */
static char *
routes_text (const Medication *m)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < med_route_count (); i++)
    if (!m || (m->routes & (1u << i)))
      g_string_append_printf (s, "%s%s", s->len ? " or " : "", med_route_code (i));
  return g_string_free (s, FALSE);
}

#define PRN_MAX_PER_DAY 12

/* The shape of the dosing, before the amounts: the fields that go together. */
static gboolean
check_shape (const Medication *m, const MedDosing *d, const char *who, GError **error)
{
  gboolean split = med_frequency_is_split (d->frequency);
  gboolean prn = med_frequency_is_as_needed (d->frequency);

  if (!med_frequency_valid (d->frequency)) {
    g_autofree char *known = allowed_frequencies_text (m);
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN,
                 "%s: \"%s\" is an unknown frequency; it is taken %s.", who,
                 d->frequency ? d->frequency : "", known);
    return FALSE;
  }
  if (!med_route_valid (d->route)) {
    g_autofree char *known = routes_text (NULL);
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN,
                 "%s: \"%s\" is an unknown route; choose %s.", who, d->route ? d->route : "",
                 known);
    return FALSE;
  }
  if (!med_route_allowed (m, d->route)) {
    g_autofree char *allowed = routes_text (m);
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, "%s is given %s, not %s", who,
                 allowed, d->route);
    return FALSE;
  }
  if (split != (d->second_dose > 0)) {
    g_set_error_literal (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                         split ? "A morning-and-bedtime order needs both amounts."
                               : "Only a morning-and-bedtime order has a second amount.");
    return FALSE;
  }
  if (prn ? (d->prn_max_per_day < 1 || d->prn_max_per_day > PRN_MAX_PER_DAY)
          : d->prn_max_per_day != 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 prn ? "An as-needed order needs the most doses a day (1 to %d)."
                     : "Only an as-needed order has a most doses a day (%d at most).",
                 PRN_MAX_PER_DAY);
    return FALSE;
  }
  return TRUE;
}

gboolean
med_dosing_check (const Medication *m, const MedDosing *d, GError **error)
{
  g_autofree char *who = NULL, *text = NULL, *allowed = NULL;
  double total;

  if (m == NULL || d == NULL) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN, "unknown medication");
    return FALSE;
  }
  who = subject (m);
  if (!check_shape (m, d, who, error))
    return FALSE;
  if (!med_dose_valid (m, d->dose, d->unit, error) ||
      (d->second_dose > 0 && !med_dose_valid (m, d->second_dose, d->unit, error)))
    return FALSE;
  /* The maximum before the frequency: when both are wrong, the amount is
   * the safety problem the prescriber must see. Every other day is judged
   * on a dosing day, not averaged: the body receives it all that day. */
  total = med_dosing_daily_total (d);
  if (total > m->max_daily + DOSE_EPSILON) {
    GString *s = g_string_new (NULL);
    text = med_dosing_text (d);
    g_string_append_printf (s, "%s: at most ", who);
    append_amount (s, m->max_daily);
    g_string_append_printf (s, " %s a day (%s); this order comes to ", m->unit,
                            m->max_daily_source);
    append_amount (s, total);
    g_string_append_printf (s, " %s a day (%s).", m->unit, text);
    g_set_error_literal (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, s->str);
    g_string_free (s, TRUE);
    return FALSE;
  }
  if (!med_frequency_allowed (m, d->frequency)) {
    allowed = allowed_frequencies_text (m);
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, "%s is taken %s, not %s.", who,
                 allowed, med_frequency_text (d->frequency));
    return FALSE;
  }
  return TRUE;
}

gboolean
med_dosing_units_per_day (const Medication *m, const MedDosing *d, double *units,
                          const MedProduct **product)
{
  double amount = med_dosing_daily_total (d);

  /* The largest unit every single dose is a whole number of: fewest
   * tablets, and one product for the whole prescription. */
  for (guint j = m->n_products; j-- > 0;) {
    const MedProduct *p = &m->products[j];
    if (whole_multiple (d->dose, p->strength) &&
        (d->second_dose <= 0 || whole_multiple (d->second_dose, p->strength))) {
      *units = round (amount / p->strength);
      if (product)
        *product = p;
      return *units > 0;
    }
  }
  return FALSE;
}

char *
med_snapshot_json (const Medication *m)
{
  json_t *o = json_object (), *codes = json_array (), *products = json_array ();
  char *s;

  for (guint i = 0; i < m->n_codes; i++)
    json_array_append_new (codes, json_pack ("{s:s, s:s, s:s}", "code", m->codes[i].code, "tty",
                                             m->codes[i].tty, "source", m->codes[i].source));
  for (guint i = 0; i < m->n_products; i++) {
    json_t *p = json_pack ("{s:f}", "strength", m->products[i].strength);
    if (m->products[i].scd)
      json_object_set_new (p, "scd", json_string (m->products[i].scd));
    json_array_append_new (products, p);
  }
  json_object_set_new (o, "id", json_string (m->id));
  json_object_set_new (o, "ingredient", json_string (m->name));
  json_object_set_new (o, "display", json_string (m->display));
  json_object_set_new (o, "dose_form", json_string (m->dose_form));
  json_object_set_new (o, "rxnorm", codes);
  json_object_set_new (o, "schedule", json_string (m->schedule));
  json_object_set_new (o, "class", json_string (m->drug_class));
  json_object_set_new (o, "unit", json_string (m->unit));
  json_object_set_new (o, "products", products);
  json_object_set_new (o, "max_daily",
                       json_pack ("{s:f, s:s}", "amount", m->max_daily, "source",
                                  m->max_daily_source));
  if (m->dose_note)
    json_object_set_new (o, "dose_note", json_string (m->dose_note));
  json_object_set_new (o, "adhd", json_boolean (m->adhd));
  s = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref (o);
  return s;
}

Medication *
med_snapshot_parse (const char *json)
{
  json_t *o = json ? json_loads (json, JSON_REJECT_DUPLICATES, NULL) : NULL;
  json_t *codes, *products, *c;
  const char *id = NULL, *name = NULL, *display = NULL, *form = NULL, *schedule = NULL;
  const char *cls = NULL, *unit = NULL, *source = NULL, *dose_note = NULL;
  double max_daily = 0;
  int adhd = 0;
  Medication *m = NULL;
  size_t i;

  if (!o ||
      json_unpack (o, "{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:{s:F, s:s}, s?s, s:b}", "id",
                   &id, "ingredient", &name, "display", &display, "dose_form", &form, "rxnorm",
                   &codes, "schedule", &schedule, "class", &cls, "unit", &unit, "products",
                   &products, "max_daily", "amount", &max_daily, "source", &source, "dose_note",
                   &dose_note, "adhd", &adhd) != 0 ||
      !json_is_array (codes) || !json_is_array (products))
    goto out;
  m = g_new0 (Medication, 1);
  m->id = g_strdup (id);
  m->name = g_strdup (name);
  m->display = g_strdup (display);
  m->dose_form = g_strdup (form);
  m->schedule = g_strdup (schedule);
  m->drug_class = g_strdup (cls);
  m->unit = g_strdup (unit);
  m->max_daily = max_daily;
  m->max_daily_source = g_strdup (source);
  m->dose_note = g_strdup (dose_note);
  m->adhd = adhd != 0;
  m->codes = g_new0 (MedCode, json_array_size (codes) + 1);
  json_array_foreach (codes, i, c)
  {
    const char *code = NULL, *tty = NULL, *src = NULL;
    if (json_unpack (c, "{s:s, s:s, s:s}", "code", &code, "tty", &tty, "source", &src) != 0)
      continue;
    m->codes[m->n_codes].code = g_strdup (code);
    m->codes[m->n_codes].tty = g_strdup (tty);
    m->codes[m->n_codes].source = g_strdup (src);
    m->n_codes++;
  }
  m->rxnorm = g_strdup (m->n_codes ? m->codes[0].code : "");
  m->products = g_new0 (MedProduct, json_array_size (products) + 1);
  json_array_foreach (products, i, c)
  {
    const char *scd = NULL;
    double strength = 0;
    if (json_unpack (c, "{s:F, s?s}", "strength", &strength, "scd", &scd) != 0)
      continue;
    m->products[m->n_products].strength = strength;
    m->products[m->n_products].scd = g_strdup (scd);
    m->n_products++;
  }
out:
  if (o)
    json_decref (o);
  return m;
}

gboolean
med_dispense_check (const Medication *m, guint supply_days, guint refills, GError **error)
{
  g_autofree char *who = NULL;
  guint most;

  if (m == NULL) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN, "unknown medication");
    return FALSE;
  }
  who = g_strdup (m->display);
  who[0] = g_ascii_toupper (who[0]);
  if (supply_days < 1 || supply_days > 90) {
    g_set_error_literal (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                         "The supply is 1 to 90 days.");
    return FALSE;
  }
  /* The schedules' own limits (none on schedule II, 5 on III to V) are
   * the prescribing check's, which names their rule (rx_dispense.c). */
  most = 11;
  if (refills > most) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, "%s allows at most %u refills.",
                 who, most);
    return FALSE;
  }
  return TRUE;
}
