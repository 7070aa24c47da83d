/* clinical_catalog.c — the medication catalog (config/medications.json),
 * the order form's frequencies and routes, and dose checks.
 *
 * The catalog is validated strictly at load: a typo in a schedule or a
 * strength would otherwise silently change which prescribing rules apply,
 * so any malformed entry refuses the whole file, naming the entry. */
#include "server/clinical.h"

#include <math.h>
#include <string.h>

#include <jansson.h>

G_DEFINE_QUARK (clinical-error-quark, clinical_error)

struct _MedCatalog {
  GPtrArray *meds;      /* Medication *, file order */
  GHashTable *by_id;    /* id -> Medication * (borrowed from meds) */
};

static const char *const kClasses[] = {
  "SSRI", "SNRI", "tricyclic", "mood stabilizer", "antipsychotic",
  "benzodiazepine", "anxiolytic", "stimulant", "non-stimulant",
};

static const char *const kSchedules[] = { "none", "II", "III", "IV", "V" };

/* Keys an entry may carry; anything else is most likely a misspelling of one
 * of these, which would leave a field at its default, so it is refused. */
static const char *const kEntryKeys[] = {
  "id", "name", "rxnorm", "class", "schedule", "unit", "strengths", "adhd", "note",
};

/* Two strengths closer than this are the same dose (doses arrive as doubles
 * parsed from JSON; 37.5 and 0.25 are exact in binary, but be tolerant). */
#define DOSE_EPSILON 1e-9

static gboolean
in_list (const char *value, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (strcmp (value, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
medication_free (gpointer data)
{
  Medication *m = data;
  if (m == NULL)
    return;
  g_free (m->id);
  g_free (m->name);
  g_free (m->rxnorm);
  g_free (m->drug_class);
  g_free (m->schedule);
  g_free (m->unit);
  g_free (m->strengths);
  g_free (m);
}

/* A slug: lowercase ASCII letters, digits and inner hyphens. Ids travel in
 * URLs and JSON and are compared byte for byte. */
static gboolean
valid_slug (const char *s)
{
  if (s[0] == '\0' || s[0] == '-')
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return s[strlen (s) - 1] != '-';
}

static gboolean
all_digits (const char *s)
{
  if (s[0] == '\0')
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* Fetches a required non-empty string member; sets *msg on failure. */
static const char *
entry_string (json_t *entry, const char *key, char **msg)
{
  json_t *v = json_object_get (entry, key);
  if (v == NULL) {
    *msg = g_strdup_printf ("missing \"%s\"", key);
    return NULL;
  }
  if (!json_is_string (v) || json_string_length (v) == 0) {
    *msg = g_strdup_printf ("\"%s\" must be a non-empty string", key);
    return NULL;
  }
  /* Embedded NULs would make the C string disagree with the JSON one. */
  if (strlen (json_string_value (v)) != json_string_length (v)) {
    *msg = g_strdup_printf ("\"%s\" contains a NUL character", key);
    return NULL;
  }
  return json_string_value (v);
}

/* Parses one entry into a Medication, or returns NULL with *msg saying what
 * is wrong (without the file or index: the caller adds those). */
static Medication *
parse_entry (json_t *entry, char **msg)
{
  Medication *m = NULL;
  const char *id, *name, *rxnorm, *cls, *schedule, *unit;
  json_t *strengths, *adhd, *note;
  const char *key;
  json_t *value;
  size_t i;
  json_t *s;

  if (!json_is_object (entry)) {
    *msg = g_strdup ("must be an object");
    goto fail;
  }
  json_object_foreach (entry, key, value) {
    if (!in_list (key, kEntryKeys, G_N_ELEMENTS (kEntryKeys))) {
      *msg = g_strdup_printf ("unknown field \"%s\"", key);
      goto fail;
    }
  }

  if ((id = entry_string (entry, "id", msg)) == NULL)
    goto fail;
  if (!valid_slug (id)) {
    *msg = g_strdup ("\"id\" must be lowercase letters, digits and hyphens");
    goto fail;
  }
  if ((name = entry_string (entry, "name", msg)) == NULL)
    goto fail;
  if ((rxnorm = entry_string (entry, "rxnorm", msg)) == NULL)
    goto fail;
  if (!all_digits (rxnorm)) {
    *msg = g_strdup ("\"rxnorm\" must be a numeric RxNorm code");
    goto fail;
  }
  if ((cls = entry_string (entry, "class", msg)) == NULL)
    goto fail;
  if (!in_list (cls, kClasses, G_N_ELEMENTS (kClasses))) {
    *msg = g_strdup_printf ("unknown class \"%s\"", cls);
    goto fail;
  }
  if ((schedule = entry_string (entry, "schedule", msg)) == NULL)
    goto fail;
  if (!in_list (schedule, kSchedules, G_N_ELEMENTS (kSchedules))) {
    *msg = g_strdup_printf ("\"schedule\" must be none, II, III, IV or V, not \"%s\"", schedule);
    goto fail;
  }
  if ((unit = entry_string (entry, "unit", msg)) == NULL)
    goto fail;

  strengths = json_object_get (entry, "strengths");
  if (strengths == NULL) {
    *msg = g_strdup ("missing \"strengths\"");
    goto fail;
  }
  if (!json_is_array (strengths) || json_array_size (strengths) == 0) {
    *msg = g_strdup ("\"strengths\" must be a non-empty array of numbers");
    goto fail;
  }
  adhd = json_object_get (entry, "adhd");
  if (adhd == NULL) {
    *msg = g_strdup ("missing \"adhd\"");
    goto fail;
  }
  if (!json_is_boolean (adhd)) {
    *msg = g_strdup ("\"adhd\" must be true or false");
    goto fail;
  }
  note = json_object_get (entry, "note");
  if (note != NULL && !json_is_string (note)) {
    *msg = g_strdup ("\"note\" must be a string");
    goto fail;
  }

  m = g_new0 (Medication, 1);
  m->n_strengths = (guint) json_array_size (strengths);
  m->strengths = g_new (double, m->n_strengths);
  json_array_foreach (strengths, i, s) {
    double v;
    if (!json_is_number (s)) {
      *msg = g_strdup_printf ("strength %zu must be a number", i + 1);
      goto fail;
    }
    v = json_number_value (s);
    if (!isfinite (v) || v <= 0) {
      *msg = g_strdup_printf ("strength %zu must be positive", i + 1);
      goto fail;
    }
    /* Strictly ascending: the order form lists them as given, and a
     * duplicate or out-of-order strength is a sign of a typo. */
    if (i > 0 && v <= m->strengths[i - 1] + DOSE_EPSILON) {
      *msg = g_strdup_printf ("strengths must be in ascending order without repeats (strength %zu)",
                              i + 1);
      goto fail;
    }
    m->strengths[i] = v;
  }
  m->id = g_strdup (id);
  m->name = g_strdup (name);
  m->rxnorm = g_strdup (rxnorm);
  m->drug_class = g_strdup (cls);
  m->schedule = g_strdup (schedule);
  m->unit = g_strdup (unit);
  m->adhd = json_is_true (adhd);
  return m;

fail:
  medication_free (m);
  return NULL;
}

MedCatalog *
med_catalog_load (const char *path, GError **error)
{
  MedCatalog *catalog = NULL;
  json_t *root = NULL;
  json_t *version, *meds, *entry;
  json_error_t jerr;
  size_t i;

  g_return_val_if_fail (path != NULL, NULL);

  root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    /* jansson reports line -1 when the file itself could not be read. */
    if (jerr.line > 0)
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                   "medication catalog %s: not valid JSON (line %d: %s)", path, jerr.line,
                   jerr.text);
    else
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                   "medication catalog %s: %s", path, jerr.text);
    goto out;
  }
  if (!json_is_object (root)) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                 "medication catalog %s: the top level must be an object", path);
    goto out;
  }
  /* A version we do not know may mean fields we would misread. */
  version = json_object_get (root, "version");
  if (!json_is_integer (version) || json_integer_value (version) != 1) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                 "medication catalog %s: \"version\" must be 1", path);
    goto out;
  }
  meds = json_object_get (root, "medications");
  if (!json_is_array (meds) || json_array_size (meds) == 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                 "medication catalog %s: \"medications\" must be a non-empty array", path);
    goto out;
  }

  catalog = g_new0 (MedCatalog, 1);
  catalog->meds = g_ptr_array_new_with_free_func (medication_free);
  catalog->by_id = g_hash_table_new (g_str_hash, g_str_equal);

  json_array_foreach (meds, i, entry) {
    char *msg = NULL;
    Medication *m = parse_entry (entry, &msg);
    if (m == NULL) {
      json_t *id = json_is_object (entry) ? json_object_get (entry, "id") : NULL;
      /* Entries are numbered from 1, as a person counts them in the file,
       * and named by id when they have a usable one. */
      char *which = json_is_string (id)
                      ? g_strdup_printf ("%zu (\"%s\")", i + 1, json_string_value (id))
                      : g_strdup_printf ("%zu", i + 1);
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                   "medication catalog %s: medication %s: %s", path, which, msg);
      g_free (which);
      g_free (msg);
      med_catalog_free (catalog);
      catalog = NULL;
      goto out;
    }
    if (g_hash_table_contains (catalog->by_id, m->id)) {
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                   "medication catalog %s: medication %zu (\"%s\"): duplicate id", path, i + 1,
                   m->id);
      medication_free (m);
      med_catalog_free (catalog);
      catalog = NULL;
      goto out;
    }
    g_ptr_array_add (catalog->meds, m);
    g_hash_table_insert (catalog->by_id, m->id, m);
  }

out:
  if (root)
    json_decref (root);
  return catalog;
}

void
med_catalog_free (MedCatalog *catalog)
{
  if (catalog == NULL)
    return;
  /* by_id borrows from meds: drop it first. */
  g_hash_table_destroy (catalog->by_id);
  g_ptr_array_free (catalog->meds, TRUE);
  g_free (catalog);
}

const Medication *
med_catalog_find (const MedCatalog *catalog, const char *id)
{
  if (catalog == NULL || id == NULL)
    return NULL;
  return g_hash_table_lookup (catalog->by_id, id);
}

guint
med_catalog_size (const MedCatalog *catalog)
{
  return catalog ? catalog->meds->len : 0;
}

const Medication *
med_catalog_get (const MedCatalog *catalog, guint index)
{
  if (catalog == NULL || index >= catalog->meds->len)
    return NULL;
  return g_ptr_array_index (catalog->meds, index);
}

gboolean
medication_is_controlled (const Medication *m)
{
  /* Anything but "none" is a DEA schedule II..V: the loader accepts nothing
   * else, and schedule I substances are never prescribed. Compare
   * explicitly anyway so a hand-built Medication cannot slip through. */
  if (m == NULL || m->schedule == NULL)
    return FALSE;
  return in_list (m->schedule, kSchedules + 1, G_N_ELEMENTS (kSchedules) - 1);
}

/* ------------------------------------------------- frequencies and routes */

typedef struct {
  const char *code;
  const char *text;
  guint per_day;        /* 0: as needed, no fixed count */
} Frequency;

static const Frequency kFrequencies[] = {
  { "once-daily", "once daily", 1 },
  { "twice-daily", "twice daily", 2 },
  { "three-times-daily", "three times daily", 3 },
  { "at-bedtime", "at bedtime", 1 },
  { "every-morning", "every morning", 1 },
  { "as-needed", "as needed", 0 },
};

static const char *const kRoutes[] = { "oral", "sublingual", "transdermal" };

static const Frequency *
frequency_find (const char *code)
{
  if (code == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (kFrequencies); i++)
    if (strcmp (kFrequencies[i].code, code) == 0)
      return &kFrequencies[i];
  return NULL;
}

gboolean
med_frequency_valid (const char *code)
{
  return frequency_find (code) != NULL;
}

const char *
med_frequency_text (const char *code)
{
  const Frequency *f = frequency_find (code);
  return f ? f->text : NULL;
}

guint
med_frequency_per_day (const char *code)
{
  const Frequency *f = frequency_find (code);
  return f ? f->per_day : 0;
}

gboolean
med_route_valid (const char *code)
{
  return code != NULL && in_list (code, kRoutes, G_N_ELEMENTS (kRoutes));
}

/* ------------------------------------------------------------------ doses */

/* "25, 50, 75" — formatted with '.' whatever the locale, shortest form. */
static char *
strengths_text (const Medication *m)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < m->n_strengths; i++) {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (i > 0)
      g_string_append (s, ", ");
    g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%g", m->strengths[i]));
  }
  return g_string_free (s, FALSE);
}

gboolean
med_dose_valid (const Medication *m, double dose, const char *unit, GError **error)
{
  char *allowed = NULL;
  gboolean ok = FALSE;

  if (m == NULL) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN, "unknown medication");
    goto out;
  }
  if (!isfinite (dose) || dose <= 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "the dose must be a positive number");
    goto out;
  }
  allowed = strengths_text (m);
  /* No unit conversion: a dose in "g" or "mcg" is far more likely a slip
   * than an intent, and converting would hide a thousandfold error. */
  if (unit == NULL || g_strcmp0 (unit, m->unit) != 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "%s is dosed in %s (%s comes in %s %s)", m->name, m->unit, m->name, allowed,
                 m->unit);
    goto out;
  }
  for (guint i = 0; i < m->n_strengths; i++) {
    if (fabs (dose - m->strengths[i]) <= DOSE_EPSILON) {
      ok = TRUE;
      goto out;
    }
  }
  g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, "%s comes in %s %s", m->name, allowed,
               m->unit);

out:
  g_free (allowed);
  return ok;
}
