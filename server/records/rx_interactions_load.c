/* rx_interactions_load.c — reads config/interactions.json (rx-interactions.h)
 * strictly: a misspelt key or tag would silently switch a safety rule off,
 * so anything unknown refuses the whole file, naming the entry and field. */
#include "server/records/records.h"

#include <string.h>

#include <jansson.h>

static const char *const kTopKeys[] = { "version", "about", "sources", "tags", "drugs", "rules" };
static const char *const kDrugKeys[] = { "rxnorm", "source", "tags", "note" };
static const char *const kRuleKeys[] = { "id",   "severity", "a",      "b",      "title",
                                         "text", "action",   "source", "washout" };
static const char *const kSideKeys[] = { "tags", "ingredients" };
static const char *const kWashoutKeys[] = { "stopped", "days" };

/* What the loader is reading, for its errors. */
typedef struct {
  GHashTable *sources; /* key -> text (borrowed from the JSON) */
  GHashTable *tags;    /* declared tag -> TRUE (borrowed) */
  GHashTable *drugs;   /* ingredient -> RxVocabEntry * (the table's by_name) */
  char *msg;
} Loader;

static gboolean
in_list (const char *value, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (strcmp (value, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
keys_known (json_t *obj, const char *const *keys, gsize n, Loader *l)
{
  const char *key;
  json_t *v;

  json_object_foreach (obj, key, v)
  {
    if (!in_list (key, keys, n)) {
      l->msg = g_strdup_printf ("unknown field \"%s\"", key);
      return FALSE;
    }
  }
  return TRUE;
}

/* A required non-empty string field. */
static const char *
text_field (json_t *obj, const char *field, Loader *l)
{
  json_t *v = json_object_get (obj, field);

  if (!json_is_string (v) || json_string_length (v) == 0) {
    l->msg = g_strdup_printf ("field \"%s\" must be a non-empty string", field);
    return NULL;
  }
  return json_string_value (v);
}

static void
vocab_entry_free (gpointer p)
{
  RxVocabEntry *e = p;

  g_free (e->ingredient);
  g_free (e->rxnorm);
  g_free (e->source);
  g_strfreev (e->tags);
  g_free (e);
}

static void
side_clear (RxSide *s)
{
  g_strfreev (s->tags);
  g_strfreev (s->ingredients);
}

static void
rule_free (gpointer p)
{
  RxInteractionRule *r = p;

  g_free (r->id);
  side_clear (&r->a);
  side_clear (&r->b);
  g_free (r->title);
  g_free (r->text);
  g_free (r->action);
  g_free (r->source);
  for (guint i = 0; i < r->n_washouts; i++)
    side_clear (&r->washouts[i].stopped);
  g_free (r->washouts);
  g_free (r);
}

/* A list of tags (each declared) or of ingredients (each in the
 * vocabulary), as a NULL-terminated vector. */
static gboolean
name_list (json_t *v, const char *field, GHashTable *known, const char *what, char ***out,
           Loader *l)
{
  GPtrArray *names = g_ptr_array_new ();
  json_t *item;
  size_t i;

  if (v && !json_is_array (v)) {
    l->msg = g_strdup_printf ("field \"%s\" must be an array", field);
    goto fail;
  }
  json_array_foreach (v, i, item)
  {
    const char *name = json_string_value (item);
    if (!name || !g_hash_table_contains (known, name)) {
      l->msg = name ? g_strdup_printf ("field \"%s\": unknown %s \"%s\"", field, what, name)
                    : g_strdup_printf ("field \"%s\": every item must be a string", field);
      goto fail;
    }
    g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_add (names, NULL);
  *out = (char **) g_ptr_array_free (names, FALSE);
  return TRUE;
fail:
  g_ptr_array_set_free_func (names, g_free);
  g_ptr_array_unref (names);
  return FALSE;
}

static gboolean
parse_side (json_t *obj, const char *field, RxSide *side, Loader *l)
{
  json_t *v = json_object_get (obj, field);
  g_autofree char *tags = g_strdup_printf ("%s.tags", field);
  g_autofree char *ingredients = g_strdup_printf ("%s.ingredients", field);

  if (!json_is_object (v)) {
    l->msg = g_strdup_printf ("field \"%s\" must be an object with tags and/or ingredients", field);
    return FALSE;
  }
  if (!keys_known (v, kSideKeys, G_N_ELEMENTS (kSideKeys), l) ||
      !name_list (json_object_get (v, "tags"), tags, l->tags, "tag", &side->tags, l) ||
      !name_list (json_object_get (v, "ingredients"), ingredients, l->drugs, "ingredient",
                  &side->ingredients, l))
    return FALSE;
  if (!side->tags[0] && !side->ingredients[0]) {
    l->msg = g_strdup_printf ("field \"%s\" names no tag and no ingredient", field);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_washouts (json_t *rule, RxInteractionRule *r, Loader *l)
{
  json_t *list = json_object_get (rule, "washout"), *w;
  size_t i;

  if (!list)
    return TRUE;
  if (!json_is_array (list) || json_array_size (list) == 0) {
    l->msg = g_strdup ("field \"washout\" must be a non-empty array");
    return FALSE;
  }
  r->washouts = g_new0 (RxWashout, json_array_size (list));
  json_array_foreach (list, i, w)
  {
    json_t *days = json_is_object (w) ? json_object_get (w, "days") : NULL;
    RxWashout *out = &r->washouts[r->n_washouts];
    if (!json_is_object (w)) {
      l->msg = g_strdup_printf ("washout %zu must be an object", i + 1);
      return FALSE;
    }
    r->n_washouts++;
    if (!keys_known (w, kWashoutKeys, G_N_ELEMENTS (kWashoutKeys), l) ||
        !parse_side (w, "stopped", &out->stopped, l))
      return FALSE;
    if (!json_is_integer (days) || json_integer_value (days) < 1 ||
        json_integer_value (days) > 90) {
      l->msg = g_strdup_printf ("washout %zu: field \"days\" must be a whole number of days, 1 "
                                "to 90",
                                i + 1);
      return FALSE;
    }
    out->days = (guint) json_integer_value (days);
  }
  return TRUE;
}

static RxInteractionRule *
parse_rule (json_t *rule, Loader *l)
{
  RxInteractionRule *r = g_new0 (RxInteractionRule, 1);
  const char *id, *severity, *title, *text, *action, *source;

  if (!json_is_object (rule)) {
    l->msg = g_strdup ("must be an object");
    goto fail;
  }
  if (!keys_known (rule, kRuleKeys, G_N_ELEMENTS (kRuleKeys), l) ||
      !(id = text_field (rule, "id", l)) || !(severity = text_field (rule, "severity", l)) ||
      !(title = text_field (rule, "title", l)) || !(text = text_field (rule, "text", l)) ||
      !(action = text_field (rule, "action", l)) || !(source = text_field (rule, "source", l)))
    goto fail;
  if (strcmp (severity, "major") != 0 && strcmp (severity, "moderate") != 0) {
    l->msg = g_strdup_printf ("field \"severity\" must be \"major\" or \"moderate\", not \"%s\"",
                              severity);
    goto fail;
  }
  r->id = g_strdup (id);
  r->severity = strcmp (severity, "major") == 0 ? RX_MAJOR : RX_WARN;
  r->title = g_strdup (title);
  r->text = g_strdup (text);
  r->action = g_strdup (action);
  r->source = g_strdup (source);
  if (!parse_side (rule, "a", &r->a, l) || !parse_side (rule, "b", &r->b, l) ||
      !parse_washouts (rule, r, l))
    goto fail;
  return r;
fail:
  rule_free (r);
  return NULL;
}

static RxVocabEntry *
parse_drug (const char *name, json_t *drug, Loader *l)
{
  RxVocabEntry *e = g_new0 (RxVocabEntry, 1);
  json_t *code = json_is_object (drug) ? json_object_get (drug, "rxnorm") : NULL;
  const char *source;
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (!json_is_object (drug)) {
    l->msg = g_strdup ("must be an object");
    goto fail;
  }
  if (strcmp (lower, name) != 0 || !name[0]) {
    l->msg = g_strdup ("the ingredient must be written in lower case");
    goto fail;
  }
  if (!keys_known (drug, kDrugKeys, G_N_ELEMENTS (kDrugKeys), l) ||
      !(source = text_field (drug, "source", l)))
    goto fail;
  if (!g_hash_table_contains (l->sources, source)) {
    l->msg = g_strdup_printf ("field \"source\": \"%s\" is not in the sources block", source);
    goto fail;
  }
  /* An RxNorm code is digits; null only for a product of several
   * ingredients, which its source must say. */
  if (!json_is_null (code) &&
      (!json_is_string (code) || json_string_length (code) == 0 ||
       strspn (json_string_value (code), "0123456789") != json_string_length (code))) {
    l->msg = g_strdup ("field \"rxnorm\" must be an RxNorm code (digits) or null");
    goto fail;
  }
  e->ingredient = g_strdup (name);
  e->rxnorm = json_is_string (code) ? g_strdup (json_string_value (code)) : NULL;
  e->source = g_strdup (g_hash_table_lookup (l->sources, source));
  if (!name_list (json_object_get (drug, "tags"), "tags", l->tags, "tag", &e->tags, l))
    goto fail;
  return e;
fail:
  vocab_entry_free (e);
  return NULL;
}

/* The sources and tags blocks: objects of non-empty strings. */
static gboolean
string_block (json_t *root, const char *field, GHashTable *into, Loader *l)
{
  json_t *block = json_object_get (root, field), *v;
  const char *key;

  if (!json_is_object (block) || json_object_size (block) == 0) {
    l->msg = g_strdup_printf ("\"%s\" must be a non-empty object", field);
    return FALSE;
  }
  json_object_foreach (block, key, v)
  {
    if (!json_is_string (v) || json_string_length (v) == 0) {
      l->msg = g_strdup_printf ("%s \"%s\" must be a non-empty string", field, key);
      return FALSE;
    }
    g_hash_table_insert (into, (gpointer) key, (gpointer) json_string_value (v));
  }
  return TRUE;
}

static gboolean
load_drugs (json_t *root, RxInteractionTable *t, Loader *l)
{
  json_t *drugs = json_object_get (root, "drugs"), *drug;
  const char *name;

  if (!json_is_object (drugs) || json_object_size (drugs) == 0) {
    l->msg = g_strdup ("\"drugs\" must be a non-empty object (ingredient -> code and tags)");
    return FALSE;
  }
  json_object_foreach (drugs, name, drug)
  {
    RxVocabEntry *e = parse_drug (name, drug, l);
    if (!e) {
      char *inner = l->msg;
      l->msg = g_strdup_printf ("drug \"%s\": %s", name, inner);
      g_free (inner);
      return FALSE;
    }
    g_ptr_array_add (t->vocab, e);
    g_hash_table_insert (t->by_name, e->ingredient, e);
  }
  return TRUE;
}

static gboolean
load_rules (json_t *root, RxInteractionTable *t, Loader *l)
{
  json_t *rules = json_object_get (root, "rules"), *rule;
  size_t i;

  if (!json_is_array (rules) || json_array_size (rules) == 0) {
    l->msg = g_strdup ("\"rules\" must be a non-empty array");
    return FALSE;
  }
  json_array_foreach (rules, i, rule)
  {
    RxInteractionRule *r = parse_rule (rule, l);
    json_t *id = json_is_object (rule) ? json_object_get (rule, "id") : NULL;
    gboolean duplicate = FALSE;
    for (guint k = 0; r && k < t->rules->len; k++)
      duplicate |= strcmp (((RxInteractionRule *) g_ptr_array_index (t->rules, k))->id, r->id) == 0;
    if (!r || duplicate) {
      char *inner = r ? g_strdup ("duplicate id") : l->msg;
      l->msg = json_is_string (id)
                 ? g_strdup_printf ("rule %zu (\"%s\"): %s", i + 1, json_string_value (id), inner)
                 : g_strdup_printf ("rule %zu: %s", i + 1, inner);
      g_free (inner);
      if (r)
        rule_free (r);
      return FALSE;
    }
    g_ptr_array_add (t->rules, r);
  }
  t->n_rules = t->rules->len;
  return TRUE;
}

/* Every ingredient the clinic prescribes must be checkable. */
static gboolean
catalog_covered (const MedCatalog *catalog, RxInteractionTable *t, Loader *l)
{
  for (guint i = 0; i < med_catalog_size (catalog); i++) {
    const Medication *m = med_catalog_get (catalog, i);
    g_autofree char *name = g_ascii_strdown (m->name, -1);
    if (!g_hash_table_contains (t->by_name, name)) {
      l->msg = g_strdup_printf ("the catalog's ingredient \"%s\" (medication \"%s\") is not in "
                                "\"drugs\": every medication the clinic prescribes must be "
                                "checkable",
                                name, m->id);
      return FALSE;
    }
  }
  return TRUE;
}

RxInteractionTable *
rx_interactions_load (const char *path, const MedCatalog *catalog, GError **error)
{
  RxInteractionTable *t = NULL;
  Loader l = { 0 };
  json_error_t jerr;
  json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  json_t *version = root ? json_object_get (root, "version") : NULL;

  if (!root) {
    l.msg = jerr.line > 0 ? g_strdup_printf ("not valid JSON (line %d: %s)", jerr.line, jerr.text)
                          : g_strdup (jerr.text);
    goto out;
  }
  if (!json_is_object (root) || !keys_known (root, kTopKeys, G_N_ELEMENTS (kTopKeys), &l))
    goto out;
  if (!json_is_integer (version) || json_integer_value (version) != 1) {
    l.msg = g_strdup ("\"version\" must be 1");
    goto out;
  }
  t = g_new0 (RxInteractionTable, 1);
  t->vocab = g_ptr_array_new_with_free_func (vocab_entry_free);
  t->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  t->rules = g_ptr_array_new_with_free_func (rule_free);
  l.sources = g_hash_table_new (g_str_hash, g_str_equal);
  l.tags = g_hash_table_new (g_str_hash, g_str_equal);
  l.drugs = t->by_name;
  if (!string_block (root, "sources", l.sources, &l) || !string_block (root, "tags", l.tags, &l) ||
      !load_drugs (root, t, &l) || !load_rules (root, t, &l) ||
      (catalog && !catalog_covered (catalog, t, &l)))
    goto out;
out:
  if (l.msg || !t) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG, "interaction table %s: %s", path,
                 l.msg ? l.msg : "the top level must be an object");
    g_clear_pointer (&t, rx_interactions_free);
  }
  g_clear_pointer (&l.sources, g_hash_table_destroy);
  g_clear_pointer (&l.tags, g_hash_table_destroy);
  g_free (l.msg);
  if (root)
    json_decref (root);
  return t;
}

void
rx_interactions_free (RxInteractionTable *t)
{
  if (!t)
    return;
  g_hash_table_destroy (t->by_name);
  g_ptr_array_unref (t->vocab);
  g_ptr_array_unref (t->rules);
  g_free (t);
}

const RxVocabEntry *
rx_vocab_find (const RxInteractionTable *t, const char *ingredient)
{
  g_autofree char *lower = ingredient ? g_ascii_strdown (ingredient, -1) : NULL;

  return t && lower ? g_hash_table_lookup (t->by_name, lower) : NULL;
}

const RxVocabEntry *
rx_vocab_find_rxnorm (const RxInteractionTable *t, const char *code)
{
  for (guint i = 0; t && code && i < t->vocab->len; i++) {
    const RxVocabEntry *e = g_ptr_array_index (t->vocab, i);
    if (g_strcmp0 (e->rxnorm, code) == 0)
      return e;
  }
  return NULL;
}

guint
rx_vocab_size (const RxInteractionTable *t)
{
  return t ? t->vocab->len : 0;
}

const RxVocabEntry *
rx_vocab_get (const RxInteractionTable *t, guint index)
{
  return t && index < t->vocab->len ? g_ptr_array_index (t->vocab, index) : NULL;
}

gboolean
rx_vocab_has_tag (const RxVocabEntry *e, const char *tag)
{
  return e && tag && g_strv_contains ((const char *const *) e->tags, tag);
}
