/* diary.c — the patient's between-visit diary, as clinical rules: which
 * side effects a drug is rated for and after how many days of missed doses
 * its stop is a risk (config/diary.json, every entry with its source), how
 * many doses a day an order means, and the rule table that turns a day's
 * entry into safety signals for the provider.
 *
 * The rules are pure and see no free text: a patient's note never reaches
 * an alert's sentence. */
#include "server/records/records.h"

#include <string.h>

#include <jansson.h>

/* An as-needed order without a daily maximum: the most a patient logs. */
#define DIARY_PRN_DEFAULT_MAX 8

typedef struct {
  DiaryEffect *effects;
  guint n;
} EffectList;

typedef struct {
  guint days;
  char *risk;
} MissedRule;

struct _DiaryCatalog {
  GHashTable *by_class;      /* drug class -> EffectList * */
  GHashTable *by_ingredient; /* ingredient -> EffectList * */
  GHashTable *missed;        /* ingredient -> MissedRule * */
};

static void
effect_list_free (gpointer data)
{
  EffectList *l = data;

  for (guint i = 0; i < l->n; i++) {
    g_free (l->effects[i].code);
    g_free (l->effects[i].label);
  }
  g_free (l->effects);
  g_free (l);
}

static void
missed_rule_free (gpointer data)
{
  MissedRule *r = data;

  g_free (r->risk);
  g_free (r);
}

void
diary_catalog_free (DiaryCatalog *c)
{
  if (!c)
    return;
  g_clear_pointer (&c->by_class, g_hash_table_unref);
  g_clear_pointer (&c->by_ingredient, g_hash_table_unref);
  g_clear_pointer (&c->missed, g_hash_table_unref);
  g_free (c);
}

/* A code is what the store keeps and the wire carries: [a-z-], 1..40. */
static gboolean
code_valid (const char *code)
{
  gsize n = strlen (code);

  if (n < 1 || n > 40)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (code[i]) && code[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
source_known (json_t *sources, const char *id)
{
  return json_is_string (json_object_get (sources, id));
}

/* {"source": id, "effects": [{"code", "label"}, ...]} */
static EffectList *
load_effects (json_t *entry, json_t *sources, const char *name, char **msg)
{
  json_error_t jerr;
  json_t *effects = NULL;
  const char *source = NULL;
  EffectList *l;

  if (json_unpack_ex (entry, &jerr, JSON_STRICT, "{s:s, s:o}", "source", &source, "effects",
                      &effects) != 0 ||
      !json_is_array (effects) || json_array_size (effects) == 0 ||
      json_array_size (effects) > 12) {
    *msg = g_strdup_printf ("\"%s\" needs a source and 1 to 12 effects (%s)", name, jerr.text);
    return NULL;
  }
  if (!source_known (sources, source)) {
    *msg = g_strdup_printf ("\"%s\" names the source \"%s\", which is not in \"sources\"", name,
                            source);
    return NULL;
  }
  l = g_new0 (EffectList, 1);
  l->effects = g_new0 (DiaryEffect, json_array_size (effects));
  for (gsize i = 0; i < json_array_size (effects); i++) {
    const char *code = NULL, *label = NULL;
    if (json_unpack_ex (json_array_get (effects, i), &jerr, JSON_STRICT, "{s:s, s:s}", "code",
                        &code, "label", &label) != 0 ||
        !code_valid (code) || !g_utf8_validate (label, -1, NULL) || g_utf8_strlen (label, -1) < 1 ||
        g_utf8_strlen (label, -1) > 60) {
      *msg = g_strdup_printf ("\"%s\" effect %zu needs a code of a-z and - and a label of 1 to 60 "
                              "characters",
                              name, i + 1);
      effect_list_free (l);
      return NULL;
    }
    for (guint k = 0; k < l->n; k++)
      if (strcmp (l->effects[k].code, code) == 0) {
        *msg = g_strdup_printf ("\"%s\" lists the effect \"%s\" twice", name, code);
        effect_list_free (l);
        return NULL;
      }
    l->effects[l->n].code = g_strdup (code);
    l->effects[l->n].label = g_strdup (label);
    l->n++;
  }
  return l;
}

static gboolean
load_lists (json_t *obj, json_t *sources, GHashTable *into, char **msg)
{
  const char *name;
  json_t *entry;

  if (!json_is_object (obj)) {
    *msg = g_strdup ("\"classes\" and \"ingredients\" must be objects");
    return FALSE;
  }
  json_object_foreach (obj, name, entry)
  {
    EffectList *l = load_effects (entry, sources, name, msg);
    if (!l)
      return FALSE;
    g_hash_table_insert (into, g_strdup (name), l);
  }
  return TRUE;
}

static gboolean
load_missed (json_t *arr, json_t *sources, GHashTable *into, char **msg)
{
  if (!json_is_array (arr)) {
    *msg = g_strdup ("\"missed_dose_alerts\" must be an array");
    return FALSE;
  }
  for (gsize i = 0; i < json_array_size (arr); i++) {
    json_error_t jerr;
    const char *ingredient = NULL, *risk = NULL, *source = NULL;
    json_int_t days = 0;
    MissedRule *r;
    if (json_unpack_ex (json_array_get (arr, i), &jerr, JSON_STRICT, "{s:s, s:I, s:s, s:s}",
                        "ingredient", &ingredient, "days", &days, "risk", &risk, "source",
                        &source) != 0 ||
        days < 1 || days > 7 || !source_known (sources, source) ||
        g_hash_table_contains (into, ingredient)) {
      *msg = g_strdup_printf ("missed_dose_alerts entry %zu needs an ingredient (once), days 1 to "
                              "7 (the diary reaches 7 days back), a risk and a known source",
                              i + 1);
      return FALSE;
    }
    r = g_new0 (MissedRule, 1);
    r->days = (guint) days;
    r->risk = g_strdup (risk);
    g_hash_table_insert (into, g_strdup (ingredient), r);
  }
  return TRUE;
}

/* Every class of the medication catalog has a list: a drug prescribed
 * without one would ask the patient about nothing. */
static gboolean
covers_catalog (const DiaryCatalog *c, const MedCatalog *meds, char **msg)
{
  for (guint i = 0; meds && i < med_catalog_size (meds); i++) {
    const Medication *m = med_catalog_get (meds, i);
    guint n = 0;
    if (!diary_effects_for (c, m, &n)) {
      *msg = g_strdup_printf ("no side effects listed for %s (class \"%s\"): add the class to "
                              "\"classes\"",
                              m->id, m->drug_class);
      return FALSE;
    }
  }
  return TRUE;
}

DiaryCatalog *
diary_catalog_load (const char *path, const MedCatalog *meds, GError **error)
{
  json_error_t jerr;
  json_t *root = NULL, *sources = NULL, *classes = NULL, *ingredients = NULL, *missed = NULL;
  const char *about = NULL;
  json_int_t version = 0;
  g_autofree char *msg = NULL;
  DiaryCatalog *c = g_new0 (DiaryCatalog, 1);

  c->by_class = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, effect_list_free);
  c->by_ingredient = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, effect_list_free);
  c->missed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, missed_rule_free);
  root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    msg = g_strdup_printf ("line %d: %s", jerr.line, jerr.text);
    goto out;
  }
  if (json_unpack_ex (root, &jerr, JSON_STRICT, "{s:I, s:s, s:o, s:o, s:o, s:o}", "version",
                      &version, "about", &about, "sources", &sources, "classes", &classes,
                      "ingredients", &ingredients, "missed_dose_alerts", &missed) != 0) {
    msg = g_strdup (jerr.text);
    goto out;
  }
  if (version != 1 || !json_is_object (sources)) {
    msg = g_strdup ("version must be 1, with a \"sources\" object");
    goto out;
  }
  if (load_lists (classes, sources, c->by_class, &msg) &&
      load_lists (ingredients, sources, c->by_ingredient, &msg) &&
      load_missed (missed, sources, c->missed, &msg))
    covers_catalog (c, meds, &msg);
out:
  json_decref (root);
  if (msg) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG, "%s: %s", path, msg);
    diary_catalog_free (c);
    return NULL;
  }
  return c;
}

const DiaryEffect *
diary_effects_for (const DiaryCatalog *c, const Medication *m, guint *n)
{
  EffectList *l = NULL;

  *n = 0;
  if (!c || !m)
    return NULL;
  if (m->name)
    l = g_hash_table_lookup (c->by_ingredient, m->name);
  if (!l && m->drug_class)
    l = g_hash_table_lookup (c->by_class, m->drug_class);
  if (!l)
    return NULL;
  *n = l->n;
  return l->effects;
}

guint
diary_missed_days_for (const DiaryCatalog *c, const Medication *m, const char **risk)
{
  MissedRule *r = c && m && m->name ? g_hash_table_lookup (c->missed, m->name) : NULL;

  if (risk)
    *risk = r ? r->risk : NULL;
  return r ? r->days : 0;
}

guint
diary_doses_per_day (const char *frequency, guint prn_max_per_day)
{
  if (!med_frequency_valid (frequency))
    return 0;
  if (med_frequency_is_as_needed (frequency))
    return prn_max_per_day ? MIN (prn_max_per_day, 24) : DIARY_PRN_DEFAULT_MAX;
  return med_frequency_per_day (frequency);
}

/* ----------------------------------------------------------- the rules */

static const char *const kSeverity[] = { "no", "mild", "moderate", "severe" };

/* "double-vision" -> "double vision": the codes are the clinician's words. */
static char *
effect_words (const char *code)
{
  char *s = g_strdup (code);

  g_strdelimit (s, "-", ' ');
  return s;
}

static void
add (GPtrArray *out, const char *rule, gint order, gboolean crisis, gboolean task, char *summary)
{
  DiarySignal *s = g_new0 (DiarySignal, 1);

  s->rule = rule;
  s->order = order;
  s->summary = summary;
  s->crisis = crisis;
  s->safety_task = task;
  g_ptr_array_add (out, s);
}

/* PHQ-9 item 9 ("Thoughts that you would be better off dead or of hurting
 * yourself in some way"), any answer above "Not at all" (0): Kroenke,
 * Spitzer & Williams 2001 (J Gen Intern Med 16:606-13) and the PHQ
 * instructions: a positive item 9 calls for a suicide-risk assessment,
 * whatever the total. Threshold: >= 1. */
static void
rule_item9 (const DiaryDay *d, GPtrArray *out)
{
  static const char *const kAnswers[] = { "", "several days", "more than half the days",
                                          "nearly every day" };

  if (d->item9 < 1 || d->item9 > 3)
    return;
  add (out, "item9", -1, TRUE, TRUE,
       g_strdup_printf ("PHQ-9 item 9 in the diary for %s: thoughts of being better off dead or of "
                        "self-harm on %s (%d of 3). Assess safety; a safety task is open.",
                        d->day, kAnswers[d->item9], d->item9));
}

static gboolean
is_lamotrigine (const DiaryOrderDay *o)
{
  return g_strcmp0 (o->drug, "lamotrigine") == 0;
}

/* Lamotrigine and a rash of any severity: FDA boxed warning (Lamictal,
 * DailyMed): serious rashes including Stevens-Johnson syndrome and toxic
 * epidermal necrolysis; stop at the first sign of rash unless it is clearly
 * not drug related. Threshold: rash rated mild or more (>= 1). */
static void
rule_lamotrigine_rash (const DiaryDay *d, GPtrArray *out)
{
  for (guint i = 0; i < d->n_ratings; i++) {
    const DiaryRating *r = &d->ratings[i];
    const DiaryOrderDay *o = r->order < d->n_orders ? &d->orders[r->order] : NULL;
    if (!o || !is_lamotrigine (o) || strcmp (r->effect, "rash") != 0 || r->severity < 1 ||
        r->severity > 3)
      continue;
    add (out, "lamotrigine-rash", (gint) r->order, r->severity >= 3, FALSE,
         g_strdup_printf ("Rash (%s) on %s, reported in the diary for %s. Boxed warning: "
                          "assess for SJS/TEN today; stop unless clearly not drug related.",
                          kSeverity[r->severity], o->drug, d->day));
  }
}

/* Any side effect the patient rates severe (3 of 0-3): the rule,
 * a severe effect is the prescriber's to judge the same day. Threshold:
 * severe. A lamotrigine rash is the rule above's, not counted twice. */
static void
rule_severe (const DiaryDay *d, GPtrArray *out)
{
  for (guint i = 0; i < d->n_ratings; i++) {
    const DiaryRating *r = &d->ratings[i];
    const DiaryOrderDay *o = r->order < d->n_orders ? &d->orders[r->order] : NULL;
    g_autofree char *words = NULL;
    if (!o || r->severity != 3 || (is_lamotrigine (o) && strcmp (r->effect, "rash") == 0))
      continue;
    words = effect_words (r->effect);
    add (out, "severe-side-effect", (gint) r->order, TRUE, FALSE,
         g_strdup_printf ("Severe %s on %s, reported in the diary for %s.", words, o->drug,
                          d->day));
  }
}

/* Missed doses of a drug whose abrupt stop is a risk (lithium, a drug with
 * a withdrawal or discontinuation syndrome), on the configured number of
 * days in a row (config/diary.json "missed_dose_alerts", each with its
 * source and the rationale for its number of days). */
static void
rule_missed (const DiaryDay *d, GPtrArray *out)
{
  for (guint i = 0; i < d->n_orders; i++) {
    const DiaryOrderDay *o = &d->orders[i];
    if (!o->missed_alert_days || o->missed == 0 || o->missed_run_days < o->missed_alert_days)
      continue;
    add (out, "missed-doses", (gint) i, FALSE, FALSE,
         g_strdup_printf ("Missed doses of %s on %u days in a row, up to %s (diary): risk of %s.",
                          o->drug, o->missed_run_days,
                          o->missed_run_last ? o->missed_run_last : d->day,
                          o->missed_risk ? o->missed_risk : "a withdrawal syndrome"));
  }
}

typedef struct {
  const char *code;
  void (*apply) (const DiaryDay *d, GPtrArray *out);
} DiaryRule;

/* The rule table: each rule's source and threshold are at its function. */
static const DiaryRule kRules[] = {
  { "item9", rule_item9 },
  { "lamotrigine-rash", rule_lamotrigine_rash },
  { "severe-side-effect", rule_severe },
  { "missed-doses", rule_missed },
};

static void
signal_free (gpointer data)
{
  DiarySignal *s = data;

  g_free (s->summary);
  g_free (s);
}

GPtrArray *
diary_signals (const DiaryDay *day)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (signal_free);

  for (guint i = 0; i < G_N_ELEMENTS (kRules); i++)
    kRules[i].apply (day, out);
  return out;
}
