/* monitoring.c — the monitoring table (config/monitoring.json): loading it
 * strictly, and reading one value against it (FHIR interpretation N, L, H,
 * LL, HH, and the safety thresholds that raise an alert).
 *
 * The file is validated whole at load, as the medication catalog is: a
 * misspelt operator or kind would silently stop a toxic lithium level from
 * raising its alert, so any malformed entry refuses the file, naming the
 * entry and the field. Thresholds are data there, each with its source;
 * this file knows no number of its own. */
#include "server/records/monitoring-private.h"

#include <math.h>
#include <string.h>

#include <jansson.h>

/* ------------------------------------------------------------ freeing */

static void
mon_flag_free (MonFlag *f)
{
  g_free (f->flag);
  g_free (f->says);
  g_free (f);
}

static void
mon_alert_free (MonAlert *a)
{
  g_free (a->rule);
  g_free (a->says);
  g_strfreev (a->on);
  g_free (a);
}

static void
mon_kind_free (MonKind *k)
{
  g_free (k->kind);
  g_free ((char *) k->range.text);
  g_ptr_array_unref (k->flags);
  g_ptr_array_unref (k->alerts);
  g_free (k);
}

static void
mon_rule_free (MonRule *r)
{
  g_free (r->id);
  g_free (r->what);
  g_strfreev (r->kinds);
  g_strfreev (r->medications);
  g_strfreev (r->classes);
  g_free (r);
}

void
monitoring_catalog_free (MonitoringCatalog *c)
{
  if (!c)
    return;
  g_clear_pointer (&c->kinds, g_hash_table_unref);
  g_clear_pointer (&c->rules, g_ptr_array_unref);
  g_clear_pointer (&c->sources, g_hash_table_unref);
  g_free (c);
}

/* ------------------------------------------------------------ parsing */

static const struct {
  const char *text;
  MonOp op;
} kOps[] = { { ">", MON_OP_GT }, { ">=", MON_OP_GE }, { "<", MON_OP_LT }, { "<=", MON_OP_LE } };

static const struct {
  const char *text;
  MonWhen when;
} kWhens[] = {
  { "after-change", MON_WHEN_AFTER_CHANGE }, { "periodic", MON_WHEN_PERIODIC },
  { "baseline", MON_WHEN_BASELINE },         { "at-weeks", MON_WHEN_AT_WEEKS },
  { "each-visit", MON_WHEN_EACH_VISIT },
};

/* The alert rules monitoring_alerts.rule takes from an observation. */
static const char *const kAlertRules[] = { "toxic-level", "out-of-range-safety" };
static const char *const kFlags[] = { "L", "H", "LL", "HH" };

static gboolean
in_list (const char *s, const char *const *list, gsize n)
{
  for (gsize i = 0; s && i < n; i++)
    if (strcmp (s, list[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Keys outside `allowed` are misspellings that would leave a field at its
 * default: refused. */
static gboolean
only_keys (json_t *obj, const char *const *allowed, gsize n, char **msg)
{
  const char *key;
  json_t *v;

  json_object_foreach (obj, key, v)
  {
    if (!in_list (key, allowed, n)) {
      *msg = g_strdup_printf ("unknown field \"%s\"", key);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
get_text (json_t *obj, const char *key, gboolean optional, char **out, char **msg)
{
  json_t *v = json_object_get (obj, key);

  *out = NULL;
  if (!v && optional)
    return TRUE;
  if (!json_is_string (v) || json_string_length (v) == 0 ||
      !g_utf8_validate (json_string_value (v), -1, NULL)) {
    *msg = g_strdup_printf ("\"%s\" must be a non-empty text", key);
    return FALSE;
  }
  *out = g_strdup (json_string_value (v));
  return TRUE;
}

static gboolean
get_source (json_t *obj, GHashTable *sources, const char **out, char **msg)
{
  json_t *v = json_object_get (obj, "source");
  const char *text = json_is_string (v) ? g_hash_table_lookup (sources, json_string_value (v))
                                        : NULL;

  if (!text) {
    *msg = g_strdup ("\"source\" must name an entry of \"sources\"");
    return FALSE;
  }
  *out = text;
  return TRUE;
}

static gboolean
get_number (json_t *obj, const char *key, double *out, char **msg)
{
  json_t *v = json_object_get (obj, key);

  if (!json_is_number (v) || !isfinite (json_number_value (v))) {
    *msg = g_strdup_printf ("\"%s\" must be a number", key);
    return FALSE;
  }
  *out = json_number_value (v);
  return TRUE;
}

/* A list of texts each `valid` accepts (NULL: any non-empty text). */
static gboolean
get_list (json_t *obj, const char *key, gboolean (*valid) (const char *, gconstpointer),
          gconstpointer data, GStrv *out, char **msg)
{
  json_t *v = json_object_get (obj, key), *item;
  GPtrArray *list;
  size_t i;

  *out = NULL;
  if (!v)
    return TRUE;
  if (!json_is_array (v) || json_array_size (v) == 0) {
    *msg = g_strdup_printf ("\"%s\" must be a non-empty list", key);
    return FALSE;
  }
  list = g_ptr_array_new ();
  json_array_foreach (v, i, item)
  {
    if (!json_is_string (item) || (valid && !valid (json_string_value (item), data))) {
      *msg = g_strdup_printf ("\"%s\" item %zu (%s) is not one we know", key, i + 1,
                              json_is_string (item) ? json_string_value (item) : "not a text");
      g_ptr_array_free (list, TRUE);
      return FALSE;
    }
    g_ptr_array_add (list, g_strdup (json_string_value (item)));
  }
  g_ptr_array_add (list, NULL);
  *out = (GStrv) g_ptr_array_free (list, FALSE);
  return TRUE;
}

static gboolean
parse_test (json_t *obj, MonTest *t, char **msg)
{
  json_t *op = json_object_get (obj, "op"), *of = json_object_get (obj, "of");
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (kOps); i++)
    if (json_is_string (op) && strcmp (json_string_value (op), kOps[i].text) == 0)
      break;
  if (i == G_N_ELEMENTS (kOps)) {
    *msg = g_strdup ("\"op\" must be one of > >= < <=");
    return FALSE;
  }
  t->op = kOps[i].op;
  if (of && !(json_is_string (of) && strcmp (json_string_value (of), "diastolic") == 0)) {
    *msg = g_strdup ("\"of\" can only be \"diastolic\"");
    return FALSE;
  }
  t->diastolic = of != NULL;
  return get_number (obj, "value", &t->value, msg);
}

static MonFlag *
parse_flag (json_t *obj, GHashTable *sources, char **msg)
{
  static const char *const keys[] = { "flag", "op", "value", "of", "says", "source" };
  MonFlag *f = g_new0 (MonFlag, 1);

  if (!json_is_object (obj) || !only_keys (obj, keys, G_N_ELEMENTS (keys), msg) ||
      !get_text (obj, "flag", FALSE, &f->flag, msg) || !parse_test (obj, &f->test, msg) ||
      !get_text (obj, "says", FALSE, &f->says, msg) || !get_source (obj, sources, &f->source, msg))
    goto fail;
  if (!in_list (f->flag, kFlags, G_N_ELEMENTS (kFlags))) {
    *msg = g_strdup ("\"flag\" must be L, H, LL or HH");
    goto fail;
  }
  return f;
fail:
  if (!*msg)
    *msg = g_strdup ("must be an object");
  mon_flag_free (f);
  return NULL;
}

static gboolean
medication_known (const char *id, gconstpointer meds)
{
  return !meds || med_catalog_find (meds, id) != NULL;
}

static MonAlert *
parse_alert (json_t *obj, GHashTable *sources, const MedCatalog *meds, char **msg)
{
  static const char *const keys[] = { "op", "value", "of", "rule", "says", "source", "on" };
  MonAlert *a = g_new0 (MonAlert, 1);

  if (!json_is_object (obj) || !only_keys (obj, keys, G_N_ELEMENTS (keys), msg) ||
      !parse_test (obj, &a->test, msg) || !get_text (obj, "rule", FALSE, &a->rule, msg) ||
      !get_text (obj, "says", FALSE, &a->says, msg) ||
      !get_source (obj, sources, &a->source, msg) ||
      !get_list (obj, "on", medication_known, meds, &a->on, msg))
    goto fail;
  if (!in_list (a->rule, kAlertRules, G_N_ELEMENTS (kAlertRules))) {
    *msg = g_strdup ("\"rule\" must be toxic-level or out-of-range-safety");
    goto fail;
  }
  return a;
fail:
  if (!*msg)
    *msg = g_strdup ("must be an object");
  mon_alert_free (a);
  return NULL;
}

static gboolean
parse_range (json_t *obj, GHashTable *sources, MonKind *k, char **msg)
{
  static const char *const keys[] = { "low", "high", "text", "source" };
  char *text = NULL;

  if (!obj)
    return TRUE;
  if (!json_is_object (obj) || !only_keys (obj, keys, G_N_ELEMENTS (keys), msg) ||
      !get_text (obj, "text", FALSE, &text, msg) ||
      !get_source (obj, sources, &k->range.source, msg)) {
    if (!*msg)
      *msg = g_strdup ("\"reference\" must be an object");
    g_free (text);
    return FALSE;
  }
  k->range.text = text;
  k->has_range = TRUE;
  k->range.has_low = json_object_get (obj, "low") != NULL;
  k->range.has_high = json_object_get (obj, "high") != NULL;
  if ((k->range.has_low && !get_number (obj, "low", &k->range.low, msg)) ||
      (k->range.has_high && !get_number (obj, "high", &k->range.high, msg)))
    return FALSE;
  if (!k->range.has_low && !k->range.has_high) {
    *msg = g_strdup ("\"reference\" needs \"low\", \"high\" or both");
    return FALSE;
  }
  return TRUE;
}

/* One kind's entry; *msg names the field ("flag 2: ..."). */
static MonKind *
parse_kind (const char *code, json_t *obj, GHashTable *sources, const MedCatalog *meds, char **msg)
{
  static const char *const keys[] = { "reference", "flags", "alerts" };
  const ObservationKind *ok = observation_kind_find (code);
  MonKind *k = g_new0 (MonKind, 1);
  json_t *list, *item;
  size_t i;

  k->kind = g_strdup (code);
  k->flags = g_ptr_array_new_with_free_func ((GDestroyNotify) mon_flag_free);
  k->alerts = g_ptr_array_new_with_free_func ((GDestroyNotify) mon_alert_free);
  if (!ok) {
    *msg = g_strdup ("not an observation kind the record keeps (server/records/observations.c)");
    goto fail;
  }
  if (!json_is_object (obj) || !only_keys (obj, keys, G_N_ELEMENTS (keys), msg) ||
      !parse_range (json_object_get (obj, "reference"), sources, k, msg))
    goto fail;
  list = json_object_get (obj, "flags");
  json_array_foreach (list, i, item)
  {
    g_autofree char *inner = NULL;
    MonFlag *f = parse_flag (item, sources, &inner);
    if (!f || (f->test.diastolic && !ok->loinc_value2)) {
      *msg = g_strdup_printf ("flag %zu: %s", i + 1,
                              f ? "only blood pressure has a diastolic" : inner);
      if (f)
        mon_flag_free (f);
      goto fail;
    }
    g_ptr_array_add (k->flags, f);
  }
  list = json_object_get (obj, "alerts");
  json_array_foreach (list, i, item)
  {
    g_autofree char *inner = NULL;
    MonAlert *a = parse_alert (item, sources, meds, &inner);
    if (!a) {
      *msg = g_strdup_printf ("alert %zu: %s", i + 1, inner);
      goto fail;
    }
    g_ptr_array_add (k->alerts, a);
  }
  return k;
fail:
  if (!*msg)
    *msg = g_strdup ("must be an object");
  mon_kind_free (k);
  return NULL;
}

static gboolean
kind_known (const char *code, G_GNUC_UNUSED gconstpointer unused)
{
  return observation_kind_find (code) != NULL;
}

static gboolean
class_known (const char *name, gconstpointer meds)
{
  if (!meds)
    return TRUE;
  for (guint i = 0; i < med_catalog_size (meds); i++)
    if (g_strcmp0 (med_catalog_get (meds, i)->drug_class, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
parse_pair (json_t *obj, const char *key, guint max, guint *first, guint *second, char **msg)
{
  json_t *v = json_object_get (obj, key);
  json_int_t a, b;

  if (!json_is_array (v) || json_array_size (v) != 2 || !json_is_integer (json_array_get (v, 0)) ||
      !json_is_integer (json_array_get (v, 1)) ||
      (a = json_integer_value (json_array_get (v, 0))) < 1 ||
      (b = json_integer_value (json_array_get (v, 1))) < a || b > (json_int_t) max) {
    *msg = g_strdup_printf ("\"%s\" must be two whole numbers, the first no larger than the "
                            "second, at most %u",
                            key, max);
    return FALSE;
  }
  *first = (guint) a;
  *second = (guint) b;
  return TRUE;
}

static gboolean
parse_days (json_t *obj, const char *key, guint *out, char **msg)
{
  json_t *v = json_object_get (obj, key);

  if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > 366) {
    *msg = g_strdup_printf ("\"%s\" must be a whole number of days, 0 to 366", key);
    return FALSE;
  }
  *out = (guint) json_integer_value (v);
  return TRUE;
}

static gboolean
parse_weeks (json_t *obj, MonRule *r, char **msg)
{
  json_t *v = json_object_get (obj, "weeks"), *item;
  size_t i;

  if (!json_is_array (v) || json_array_size (v) == 0 || json_array_size (v) > MON_MAX_WEEKS) {
    *msg = g_strdup_printf ("\"weeks\" must be a list of 1 to %d week numbers", MON_MAX_WEEKS);
    return FALSE;
  }
  json_array_foreach (v, i, item)
  {
    json_int_t w = json_is_integer (item) ? json_integer_value (item) : 0;
    if (w < 1 || w > 104 || (i > 0 && (guint) w <= r->weeks[i - 1])) {
      *msg = g_strdup ("\"weeks\" must rise, each 1 to 104");
      return FALSE;
    }
    r->weeks[r->n_weeks++] = (guint) w;
  }
  return TRUE;
}

/* The fields each kind of rule needs, beyond the common ones. */
static gboolean
parse_when_fields (json_t *obj, MonRule *r, char **msg)
{
  switch (r->when) {
  case MON_WHEN_AFTER_CHANGE:
    return parse_pair (obj, "days", 90, &r->first, &r->second, msg);
  case MON_WHEN_PERIODIC:
    return parse_pair (obj, "months", 120, &r->first, &r->second, msg);
  case MON_WHEN_BASELINE:
    return parse_days (obj, "lookback_days", &r->lookback_days, msg) &&
           parse_days (obj, "grace_days", &r->grace_days, msg);
  case MON_WHEN_AT_WEEKS:
    return parse_weeks (obj, r, msg) && parse_days (obj, "grace_days", &r->grace_days, msg);
  case MON_WHEN_EACH_VISIT:
    return TRUE;
  }
  return FALSE;
}

static MonRule *
parse_rule (json_t *obj, GHashTable *sources, const MedCatalog *meds, char **msg)
{
  static const char *const keys[] = { "id",      "what",       "kinds",         "medications",
                                      "classes", "when",       "days",          "months",
                                      "weeks",   "grace_days", "lookback_days", "source" };
  MonRule *r = g_new0 (MonRule, 1);
  json_t *when;
  gsize i;

  if (!json_is_object (obj) || !only_keys (obj, keys, G_N_ELEMENTS (keys), msg) ||
      !get_text (obj, "id", FALSE, &r->id, msg) || !get_text (obj, "what", FALSE, &r->what, msg) ||
      !get_list (obj, "kinds", kind_known, NULL, &r->kinds, msg) ||
      !get_list (obj, "medications", medication_known, meds, &r->medications, msg) ||
      !get_list (obj, "classes", class_known, meds, &r->classes, msg) ||
      !get_source (obj, sources, &r->source, msg))
    goto fail;
  if (!r->kinds || (!r->medications && !r->classes)) {
    *msg = g_strdup ("a rule needs \"kinds\" and \"medications\" or \"classes\"");
    goto fail;
  }
  when = json_object_get (obj, "when");
  for (i = 0; i < G_N_ELEMENTS (kWhens); i++)
    if (json_is_string (when) && strcmp (json_string_value (when), kWhens[i].text) == 0)
      break;
  if (i == G_N_ELEMENTS (kWhens)) {
    *msg = g_strdup ("\"when\" must be after-change, periodic, baseline, at-weeks or each-visit");
    goto fail;
  }
  r->when = kWhens[i].when;
  if (!parse_when_fields (obj, r, msg))
    goto fail;
  return r;
fail:
  if (!*msg)
    *msg = g_strdup ("must be an object");
  mon_rule_free (r);
  return NULL;
}

static gboolean
load_sources (json_t *root, GHashTable *sources, char **msg)
{
  json_t *obj = json_object_get (root, "sources"), *v;
  const char *key;

  if (!json_is_object (obj)) {
    *msg = g_strdup ("\"sources\" must be an object of texts");
    return FALSE;
  }
  json_object_foreach (obj, key, v)
  {
    if (!json_is_string (v) || json_string_length (v) == 0) {
      *msg = g_strdup_printf ("source \"%s\" must be a non-empty text", key);
      return FALSE;
    }
    g_hash_table_insert (sources, g_strdup (key), g_strdup (json_string_value (v)));
  }
  return TRUE;
}

static gboolean
load_entries (json_t *root, MonitoringCatalog *c, const MedCatalog *meds, char **msg)
{
  json_t *kinds = json_object_get (root, "kinds"), *rules = json_object_get (root, "rules"), *v;
  const char *code;
  size_t i;

  if (!json_is_object (kinds) || !json_is_array (rules) || json_array_size (rules) == 0) {
    *msg = g_strdup ("\"kinds\" must be an object and \"rules\" a non-empty list");
    return FALSE;
  }
  json_object_foreach (kinds, code, v)
  {
    g_autofree char *inner = NULL;
    MonKind *k = parse_kind (code, v, c->sources, meds, &inner);
    if (!k) {
      *msg = g_strdup_printf ("kind \"%s\": %s", code, inner);
      return FALSE;
    }
    g_hash_table_insert (c->kinds, k->kind, k);
  }
  json_array_foreach (rules, i, v)
  {
    g_autofree char *inner = NULL;
    MonRule *r = parse_rule (v, c->sources, meds, &inner);
    json_t *id = json_is_object (v) ? json_object_get (v, "id") : NULL;

    for (guint j = 0; r && j < c->rules->len; j++)
      if (strcmp (((MonRule *) g_ptr_array_index (c->rules, j))->id, r->id) == 0) {
        inner = g_strdup ("duplicate id");
        g_clear_pointer (&r, mon_rule_free);
      }
    if (!r) {
      *msg = g_strdup_printf ("rule %zu (\"%s\"): %s", i + 1,
                              json_is_string (id) ? json_string_value (id) : "no id", inner);
      return FALSE;
    }
    g_ptr_array_add (c->rules, r);
  }
  return TRUE;
}

MonitoringCatalog *
monitoring_catalog_load (const char *path, const MedCatalog *meds, GError **error)
{
  static const char *const top[] = { "version", "about", "sources", "kinds", "rules" };
  MonitoringCatalog *c = NULL;
  json_error_t jerr;
  json_t *root, *version;
  char *msg = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    /* jansson reports line -1 when the file itself could not be read. */
    if (jerr.line > 0)
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                   "monitoring table %s: not valid JSON (line %d: %s)", path, jerr.line, jerr.text);
    else
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG, "monitoring table %s: %s", path,
                   jerr.text);
    return NULL;
  }
  version = json_is_object (root) ? json_object_get (root, "version") : NULL;
  if (!json_is_integer (version) || json_integer_value (version) != 1) {
    msg = g_strdup ("\"version\" must be 1");
    goto out;
  }
  if (!only_keys (root, top, G_N_ELEMENTS (top), &msg))
    goto out;
  c = g_new0 (MonitoringCatalog, 1);
  c->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->kinds = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) mon_kind_free);
  c->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) mon_rule_free);
  if (!load_sources (root, c->sources, &msg) || !load_entries (root, c, meds, &msg))
    g_clear_pointer (&c, monitoring_catalog_free);
out:
  if (!c)
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG, "monitoring table %s: %s", path,
                 msg);
  g_free (msg);
  json_decref (root);
  return c;
}

/* ------------------------------------------------------------ reading */

const MonitoringRange *
monitoring_range (const MonitoringCatalog *c, const char *kind)
{
  MonKind *k = c && kind ? g_hash_table_lookup (c->kinds, kind) : NULL;

  return k && k->has_range ? &k->range : NULL;
}

gboolean
mon_test_holds (const MonTest *t, double value, gboolean has_value2, double value2)
{
  double v = value;

  if (t->diastolic) {
    if (!has_value2)
      return FALSE;
    v = value2;
  }
  switch (t->op) {
  case MON_OP_GT:
    return v > t->value;
  case MON_OP_GE:
    return v >= t->value;
  case MON_OP_LT:
    return v < t->value;
  case MON_OP_LE:
    return v <= t->value;
  }
  return FALSE;
}

void
monitoring_reading_clear (MonitoringReading *r)
{
  g_free (r->words);
  g_free (r->alert_summary);
  memset (r, 0, sizeof *r);
}

static gboolean
takes_one_of (const char *const *medication_ids, GStrv on)
{
  if (!on)
    return TRUE;
  for (guint i = 0; medication_ids && medication_ids[i]; i++)
    if (g_strv_contains ((const char *const *) on, medication_ids[i]))
      return TRUE;
  return FALSE;
}

void
monitoring_interpret (const MonitoringCatalog *c, const ObservationKind *kind, double value,
                      gboolean has_value2, double value2, const char *const *medication_ids,
                      MonitoringReading *out)
{
  MonKind *k = c ? g_hash_table_lookup (c->kinds, kind->code) : NULL;
  g_autofree char *shown = has_value2 ? g_strdup_printf ("%g/%g", value, value2)
                                      : g_strdup_printf ("%g", value);

  memset (out, 0, sizeof *out);
  out->code = "N";
  if (!k)
    return;
  /* First match in file order: the file lists the most severe first. */
  for (guint i = 0; i < k->flags->len; i++) {
    const MonFlag *f = g_ptr_array_index (k->flags, i);
    if (mon_test_holds (&f->test, value, has_value2, value2)) {
      out->code = f->flag;
      out->words = g_strdup (f->says);
      break;
    }
  }
  for (guint i = 0; i < k->alerts->len; i++) {
    const MonAlert *a = g_ptr_array_index (k->alerts, i);
    if (mon_test_holds (&a->test, value, has_value2, value2) &&
        takes_one_of (medication_ids, a->on)) {
      out->alert_rule = a->rule;
      out->alert_summary = g_strdup_printf ("%s %s %s: %s.", kind->display, shown, kind->unit_text,
                                            a->says);
      break;
    }
  }
}
