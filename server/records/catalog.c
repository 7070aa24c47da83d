/* clinical_catalog.c — the medication catalog (config/medications.json,
 * version 2: one entry per formulation), the order form's frequencies and
 * routes as tables, and the dose checks.
 *
 * The catalog is validated strictly at load: a typo in a schedule, a route
 * or a maximum would otherwise silently change which rules apply, so any
 * malformed entry refuses the whole file, naming the entry and the field. */
#include "server/records/catalog-private.h"

#include <math.h>
#include <string.h>

#include <jansson.h>

/* clang-format off */
G_DEFINE_QUARK (clinical-error-quark, clinical_error)
/* clang-format on */

struct _MedCatalog {
  GPtrArray *meds;     /* Medication *, file order */
  GHashTable *by_id;   /* id -> Medication * (borrowed from meds) */
  GHashTable *sources; /* source id -> text (owned) */
};

static const char *const kClasses[] = {
  "SSRI",           "SNRI",       "tricyclic", "mood stabilizer", "antipsychotic",
  "benzodiazepine", "anxiolytic", "stimulant", "non-stimulant",
};

static const char *const kSchedules[] = { "none", "II", "III", "IV", "V" };

/* RxNorm term types an entry may name: ingredient, precise ingredient,
 * multiple ingredients (the SCD of each unit lives in "products"). */
static const char *const kTermTypes[] = { "IN", "PIN", "MIN" };

static const char *const kDoseForms[] = { "tablet", "capsule" };

/* Keys an entry may carry; anything else is most likely a misspelling of one
 * of these, which would leave a field at its default, so it is refused. */
static const char *const kEntryKeys[] = {
  "id",          "ingredient", "display",   "dose_form", "rxnorm",    "rxnorm_note", "routes",
  "frequencies", "unit",       "strengths", "products",  "max_daily", "schedule",    "class",
  "adhd",        "dose_note",  "note",      "titration", "pregnancy",
};

/* ------------------------------------------------- frequencies and routes */

typedef struct {
  const char *code;
  const char *text;  /* in a sentence: "200 mg three times daily" */
  guint per_day;     /* administrations on a dosing day; 0: as needed */
  guint period_days; /* 2: every other day */
  const char *when;  /* FHIR Timing.when (event-timing codes) */
} Frequency;

static const Frequency kFrequencies[] = {
  { "once-daily", "once daily", 1, 1, NULL },
  { "every-morning", "every morning", 1, 1, "MORN" },
  { "at-bedtime", "at bedtime", 1, 1, "HS" },
  { "twice-daily", "twice daily", 2, 1, NULL },
  { "three-times-daily", "three times daily", 3, 1, NULL },
  { "four-times-daily", "four times daily", 4, 1, NULL },
  { "every-other-day", "every other day", 1, 2, NULL },
  { "morning-and-bedtime", "in the morning and at bedtime", 2, 1, NULL },
  { "as-needed", "as needed", 0, 1, NULL },
};

typedef struct {
  const char *code;
  const char *snomed; /* SNOMED CT, FHIR R4 value set route-codes */
  const char *text;
} Route;

static const Route kRoutes[] = {
  { "oral", "26643006", "Oral route" },
  { "sublingual", "37161004", "Sublingual route" },
  { "transdermal", "45890007", "Transdermal route" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (kFrequencies) <= 32);
G_STATIC_ASSERT (G_N_ELEMENTS (kRoutes) <= 32);

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

static gint
frequency_index (const char *code)
{
  if (code == NULL)
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS (kFrequencies); i++)
    if (strcmp (kFrequencies[i].code, code) == 0)
      return (gint) i;
  return -1;
}

static gint
route_index (const char *code)
{
  if (code == NULL)
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS (kRoutes); i++)
    if (strcmp (kRoutes[i].code, code) == 0)
      return (gint) i;
  return -1;
}

guint
med_frequency_count (void)
{
  return G_N_ELEMENTS (kFrequencies);
}
guint
med_route_count (void)
{
  return G_N_ELEMENTS (kRoutes);
}

const char *
med_frequency_code (guint index)
{
  return index < G_N_ELEMENTS (kFrequencies) ? kFrequencies[index].code : NULL;
}

const char *
med_route_code (guint index)
{
  return index < G_N_ELEMENTS (kRoutes) ? kRoutes[index].code : NULL;
}

gboolean
med_frequency_valid (const char *code)
{
  return frequency_index (code) >= 0;
}

const char *
med_frequency_text (const char *code)
{
  gint i = frequency_index (code);
  return i >= 0 ? kFrequencies[i].text : NULL;
}

guint
med_frequency_per_day (const char *code)
{
  gint i = frequency_index (code);
  return i >= 0 ? kFrequencies[i].per_day : 0;
}

guint
med_frequency_period_days (const char *code)
{
  gint i = frequency_index (code);
  return i >= 0 ? kFrequencies[i].period_days : 1;
}

const char *
med_frequency_when (const char *code)
{
  gint i = frequency_index (code);
  return i >= 0 ? kFrequencies[i].when : NULL;
}

gboolean
med_frequency_is_split (const char *code)
{
  return g_strcmp0 (code, "morning-and-bedtime") == 0;
}

gboolean
med_frequency_is_as_needed (const char *code)
{
  gint i = frequency_index (code);
  return i >= 0 && kFrequencies[i].per_day == 0;
}

gboolean
med_frequency_allowed (const Medication *m, const char *code)
{
  gint i = frequency_index (code);
  return m != NULL && i >= 0 && (m->frequencies & (1u << i)) != 0;
}

const char *
med_route_default (const Medication *m)
{
  for (guint i = 0; m && i < G_N_ELEMENTS (kRoutes); i++)
    if (m->routes & (1u << i))
      return kRoutes[i].code;
  return NULL;
}

gboolean
med_route_valid (const char *code)
{
  return route_index (code) >= 0;
}

const char *
med_route_snomed (const char *code)
{
  gint i = route_index (code);
  return i >= 0 ? kRoutes[i].snomed : NULL;
}

const char *
med_route_text (const char *code)
{
  gint i = route_index (code);
  return i >= 0 ? kRoutes[i].text : NULL;
}

gboolean
med_route_allowed (const Medication *m, const char *code)
{
  gint i = route_index (code);
  return m != NULL && i >= 0 && (m->routes & (1u << i)) != 0;
}

/* ------------------------------------------------------------ the loader */

void
medication_free (Medication *m)
{
  if (m == NULL)
    return;
  for (guint i = 0; i < m->n_codes; i++) {
    g_free (m->codes[i].code);
    g_free (m->codes[i].tty);
    g_free (m->codes[i].source);
  }
  for (guint i = 0; i < m->n_products; i++) {
    g_free (m->products[i].scd);
    g_free (m->products[i].scd_source);
  }
  g_free (m->codes);
  g_free (m->products);
  g_free (m->id);
  g_free (m->name);
  g_free (m->display);
  g_free (m->dose_form);
  g_free (m->rxnorm);
  g_free (m->rxnorm_note);
  g_free (m->drug_class);
  g_free (m->schedule);
  g_free (m->unit);
  g_free (m->strengths);
  g_free (m->max_daily_source);
  g_free (m->max_daily_detail);
  g_free (m->dose_note);
  med_titration_free (m->titration);
  med_pregnancy_free (m->pregnancy);
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

/* A required (or, with optional, possibly absent) non-empty string member of
 * obj; sets *msg naming `what` on failure. */
static gboolean
get_string (json_t *obj, const char *key, const char *what, gboolean optional, const char **out,
            char **msg)
{
  json_t *v = json_object_get (obj, key);
  *out = NULL;
  if (v == NULL) {
    if (optional)
      return TRUE;
    *msg = g_strdup_printf ("missing \"%s\"", what);
    return FALSE;
  }
  if (!json_is_string (v) || json_string_length (v) == 0) {
    *msg = g_strdup_printf ("\"%s\" must be a non-empty string", what);
    return FALSE;
  }
  /* Embedded NULs would make the C string disagree with the JSON one. */
  if (strlen (json_string_value (v)) != json_string_length (v)) {
    *msg = g_strdup_printf ("\"%s\" contains a NUL character", what);
    return FALSE;
  }
  *out = json_string_value (v);
  return TRUE;
}

static gboolean
positive_number (json_t *v, double *out)
{
  if (!json_is_number (v))
    return FALSE;
  *out = json_number_value (v);
  return isfinite (*out) && *out > 0;
}

/* The RxNorm codes: [{"code", "tty", "source"}], each source named in the
 * file's sources block. An empty list needs rxnorm_note saying why. */
static gboolean
parse_codes (json_t *entry, Medication *m, GHashTable *sources, char **msg)
{
  json_t *list = json_object_get (entry, "rxnorm"), *c;
  size_t i;

  if (!json_is_array (list)) {
    *msg = g_strdup ("\"rxnorm\" must be a list of {\"code\", \"tty\", \"source\"}");
    return FALSE;
  }
  m->codes = g_new0 (MedCode, json_array_size (list) + 1);
  json_array_foreach (list, i, c)
  {
    const char *code, *tty, *source;
    MedCode *mc = &m->codes[m->n_codes];
    if (!json_is_object (c) || json_object_size (c) != 3 ||
        !get_string (c, "code", "rxnorm.code", FALSE, &code, msg) ||
        !get_string (c, "tty", "rxnorm.tty", FALSE, &tty, msg) ||
        !get_string (c, "source", "rxnorm.source", FALSE, &source, msg)) {
      if (!*msg)
        *msg = g_strdup_printf ("rxnorm code %zu must be {\"code\", \"tty\", \"source\"}", i + 1);
      return FALSE;
    }
    if (!all_digits (code)) {
      *msg = g_strdup_printf ("rxnorm code %zu (\"%s\") must be a numeric RxNorm code", i + 1,
                              code);
      return FALSE;
    }
    if (!in_list (tty, kTermTypes, G_N_ELEMENTS (kTermTypes))) {
      *msg = g_strdup_printf ("rxnorm code %s: \"tty\" must be IN, PIN or MIN, not \"%s\"", code,
                              tty);
      return FALSE;
    }
    if (!g_hash_table_contains (sources, source)) {
      *msg = g_strdup_printf ("rxnorm code %s: source \"%s\" is not in the sources block", code,
                              source);
      return FALSE;
    }
    mc->code = g_strdup (code);
    mc->tty = g_strdup (tty);
    mc->source = g_strdup (source);
    m->n_codes++;
  }
  if (m->n_codes == 0 && m->rxnorm_note == NULL) {
    *msg = g_strdup ("an entry without RxNorm codes needs \"rxnorm_note\" saying why");
    return FALSE;
  }
  m->rxnorm = g_strdup (m->n_codes ? m->codes[0].code : "");
  return TRUE;
}

/* The codes of a table for an error message: "oral, sublingual, transdermal". */
static char *
codes_text (const char *(*code_at) (guint), guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", code_at (i));
  return g_string_free (s, FALSE);
}

/* A list of codes from a table into a bit set; `what` names the field,
 * `item` one code of it. */
static gboolean
parse_code_set (json_t *entry, const char *what, const char *item, gint (*index) (const char *),
                const char *(*code_at) (guint), guint n_codes, guint *out, char **msg)
{
  json_t *list = json_object_get (entry, what), *v;
  size_t i;

  *out = 0;
  if (!json_is_array (list) || json_array_size (list) == 0) {
    *msg = g_strdup_printf ("\"%s\" must be a non-empty list", what);
    return FALSE;
  }
  json_array_foreach (list, i, v)
  {
    gint k = json_is_string (v) ? index (json_string_value (v)) : -1;
    if (k < 0) {
      g_autofree char *known = codes_text (code_at, n_codes);
      *msg = g_strdup_printf ("%s %zu: unknown %s \"%s\" (known: %s)", what, i + 1, item,
                              json_is_string (v) ? json_string_value (v) : "(not a string)", known);
      return FALSE;
    }
    *out |= 1u << k;
  }
  return TRUE;
}

/* Strictly ascending positive numbers: the order form lists them as given,
 * and a duplicate or out-of-order value is a sign of a typo. */
static gboolean
parse_strengths (json_t *entry, Medication *m, char **msg)
{
  json_t *list = json_object_get (entry, "strengths"), *s;
  size_t i;

  if (!json_is_array (list) || json_array_size (list) == 0) {
    *msg = g_strdup ("\"strengths\" must be a non-empty list of numbers");
    return FALSE;
  }
  m->strengths = g_new (double, json_array_size (list));
  json_array_foreach (list, i, s)
  {
    double v;
    if (!positive_number (s, &v)) {
      *msg = g_strdup_printf ("strength %zu must be a positive number", i + 1);
      return FALSE;
    }
    if (i > 0 && v <= m->strengths[i - 1] + DOSE_EPSILON) {
      *msg = g_strdup_printf ("strengths must be in ascending order without repeats (strength %zu)",
                              i + 1);
      return FALSE;
    }
    m->strengths[m->n_strengths++] = v;
  }
  return TRUE;
}

static gboolean
whole_multiple (double amount, double unit)
{
  double n = amount / unit;
  return n >= 1 - DOSE_EPSILON && fabs (n - round (n)) <= 1e-6;
}

/* The marketed units: [{"strength", "scd"?, "source"?}], ascending; every
 * strength must be a whole number of one of them, or it cannot be dispensed. */
static gboolean
parse_products (json_t *entry, Medication *m, GHashTable *sources, char **msg)
{
  json_t *list = json_object_get (entry, "products"), *p;
  size_t i;

  if (!json_is_array (list) || json_array_size (list) == 0) {
    *msg = g_strdup (
      "\"products\" must be a non-empty list of {\"strength\", \"scd\"?, \"source\"?}");
    return FALSE;
  }
  m->products = g_new0 (MedProduct, json_array_size (list));
  json_array_foreach (list, i, p)
  {
    MedProduct *mp = &m->products[m->n_products];
    const char *scd = NULL, *source = NULL;
    double v;
    if (!json_is_object (p) || !positive_number (json_object_get (p, "strength"), &v)) {
      *msg = g_strdup_printf ("product %zu needs a positive \"strength\"", i + 1);
      return FALSE;
    }
    if (!get_string (p, "scd", "products.scd", TRUE, &scd, msg) ||
        !get_string (p, "source", "products.source", TRUE, &source, msg))
      return FALSE;
    if (json_object_size (p) != 1u + (scd ? 1 : 0) + (source ? 1 : 0)) {
      *msg = g_strdup_printf ("product %zu: only \"strength\", \"scd\" and \"source\" are known",
                              i + 1);
      return FALSE;
    }
    if ((scd == NULL) != (source == NULL) || (scd && !all_digits (scd))) {
      *msg =
        g_strdup_printf ("product %zu: an \"scd\" is a numeric RxNorm code with its \"source\"",
                         i + 1);
      return FALSE;
    }
    if (source && !g_hash_table_contains (sources, source)) {
      *msg = g_strdup_printf ("product %zu: source \"%s\" is not in the sources block", i + 1,
                              source);
      return FALSE;
    }
    if (i > 0 && v <= m->products[i - 1].strength + DOSE_EPSILON) {
      *msg = g_strdup_printf ("products must be in ascending order (product %zu)", i + 1);
      return FALSE;
    }
    mp->strength = v;
    mp->scd = g_strdup (scd);
    mp->scd_source = g_strdup (source);
    m->n_products++;
  }
  for (guint k = 0; k < m->n_strengths; k++) {
    gboolean ok = FALSE;
    for (guint j = 0; j < m->n_products && !ok; j++)
      ok = whole_multiple (m->strengths[k], m->products[j].strength);
    if (!ok) {
      *msg = g_strdup_printf ("strength %g is not a whole number of any product", m->strengths[k]);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
parse_max_daily (json_t *entry, Medication *m, char **msg)
{
  json_t *md = json_object_get (entry, "max_daily");
  const char *source, *detail;

  if (!json_is_object (md) || json_object_size (md) != 3 ||
      !positive_number (json_object_get (md, "amount"), &m->max_daily)) {
    *msg = g_strdup ("\"max_daily\" must be {\"amount\": positive number, \"source\", \"detail\"}");
    return FALSE;
  }
  if (!get_string (md, "source", "max_daily.source", FALSE, &source, msg) ||
      !get_string (md, "detail", "max_daily.detail", FALSE, &detail, msg))
    return FALSE;
  if (m->max_daily + DOSE_EPSILON < m->strengths[0]) {
    *msg = g_strdup ("\"max_daily\" is below the smallest strength");
    return FALSE;
  }
  m->max_daily_source = g_strdup (source);
  m->max_daily_detail = g_strdup (detail);
  return TRUE;
}

/* Parses one entry into a Medication, or returns NULL with *msg saying what
 * is wrong (without the file or index: the caller adds those). */
static Medication *
parse_entry (json_t *entry, GHashTable *sources, char **msg)
{
  Medication *m = NULL;
  const char *id, *name, *display, *form, *cls, *schedule, *unit, *code_note, *dose_note, *note;
  json_t *adhd;
  const char *key;
  json_t *value;

  if (!json_is_object (entry)) {
    *msg = g_strdup ("must be an object");
    goto fail;
  }
  json_object_foreach (entry, key, value)
  {
    if (!in_list (key, kEntryKeys, G_N_ELEMENTS (kEntryKeys))) {
      *msg = g_strdup_printf ("unknown field \"%s\"", key);
      goto fail;
    }
  }
  if (!get_string (entry, "id", "id", FALSE, &id, msg))
    goto fail;
  if (!valid_slug (id)) {
    *msg = g_strdup ("\"id\" must be lowercase letters, digits and hyphens");
    goto fail;
  }
  if (!get_string (entry, "ingredient", "ingredient", FALSE, &name, msg) ||
      !get_string (entry, "display", "display", FALSE, &display, msg) ||
      !get_string (entry, "dose_form", "dose_form", FALSE, &form, msg) ||
      !get_string (entry, "rxnorm_note", "rxnorm_note", TRUE, &code_note, msg) ||
      !get_string (entry, "class", "class", FALSE, &cls, msg) ||
      !get_string (entry, "schedule", "schedule", FALSE, &schedule, msg) ||
      !get_string (entry, "unit", "unit", FALSE, &unit, msg) ||
      !get_string (entry, "dose_note", "dose_note", TRUE, &dose_note, msg) ||
      !get_string (entry, "note", "note", TRUE, &note, msg))
    goto fail;
  if (!in_list (form, kDoseForms, G_N_ELEMENTS (kDoseForms))) {
    *msg = g_strdup_printf ("\"dose_form\" must be tablet or capsule, not \"%s\"", form);
    goto fail;
  }
  if (!in_list (cls, kClasses, G_N_ELEMENTS (kClasses))) {
    *msg = g_strdup_printf ("unknown class \"%s\"", cls);
    goto fail;
  }
  if (!in_list (schedule, kSchedules, G_N_ELEMENTS (kSchedules))) {
    *msg = g_strdup_printf ("\"schedule\" must be none, II, III, IV or V, not \"%s\"", schedule);
    goto fail;
  }
  adhd = json_object_get (entry, "adhd");
  if (!json_is_boolean (adhd)) {
    *msg = g_strdup (adhd ? "\"adhd\" must be true or false" : "missing \"adhd\"");
    goto fail;
  }

  m = g_new0 (Medication, 1);
  m->id = g_strdup (id);
  m->name = g_strdup (name);
  m->display = g_strdup (display);
  m->dose_form = g_strdup (form);
  m->rxnorm_note = g_strdup (code_note);
  m->drug_class = g_strdup (cls);
  m->schedule = g_strdup (schedule);
  m->unit = g_strdup (unit);
  m->dose_note = g_strdup (dose_note);
  m->adhd = json_is_true (adhd);
  if (!parse_codes (entry, m, sources, msg) ||
      !parse_code_set (entry, "routes", "route", route_index, med_route_code, med_route_count (),
                       &m->routes, msg) ||
      !parse_code_set (entry, "frequencies", "frequency", frequency_index, med_frequency_code,
                       med_frequency_count (), &m->frequencies, msg) ||
      !parse_strengths (entry, m, msg) || !parse_products (entry, m, sources, msg) ||
      !parse_max_daily (entry, m, msg) ||
      !med_titration_parse (json_object_get (entry, "titration"), m, msg) ||
      !med_pregnancy_parse (json_object_get (entry, "pregnancy"), m, msg))
    goto fail;
  return m;

fail:
  medication_free (m);
  return NULL;
}

static gboolean
load_sources (json_t *root, GHashTable *sources, char **msg)
{
  json_t *block = json_object_get (root, "sources"), *v;
  const char *key;

  if (!json_is_object (block) || json_object_size (block) == 0) {
    *msg = g_strdup ("\"sources\" must be an object naming the source of every code");
    return FALSE;
  }
  json_object_foreach (block, key, v)
  {
    if (!json_is_string (v) || json_string_length (v) == 0) {
      *msg = g_strdup_printf ("source \"%s\" must be a non-empty string", key);
      return FALSE;
    }
    g_hash_table_insert (sources, g_strdup (key), g_strdup (json_string_value (v)));
  }
  return TRUE;
}

static const char *const kTopKeys[] = { "version", "about", "sources", "medications" };

MedCatalog *
med_catalog_load (const char *path, GError **error)
{
  MedCatalog *catalog = NULL;
  json_t *root = NULL;
  json_t *version, *meds, *entry, *value;
  json_error_t jerr;
  const char *key;
  char *msg = NULL;
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
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG, "medication catalog %s: %s", path,
                   jerr.text);
    goto out;
  }
  if (!json_is_object (root)) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                 "medication catalog %s: the top level must be an object", path);
    goto out;
  }
  /* A version we do not know may mean fields we would misread; version 1
   * had one entry per drug and no maximum doses: it cannot be upgraded in
   * place without a clinician choosing formulations. */
  version = json_object_get (root, "version");
  if (!json_is_integer (version) || json_integer_value (version) != 2) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                 "medication catalog %s: \"version\" must be 2 (one entry per formulation)", path);
    goto out;
  }
  json_object_foreach (root, key, value)
  {
    if (!in_list (key, kTopKeys, G_N_ELEMENTS (kTopKeys))) {
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                   "medication catalog %s: unknown field \"%s\"", path, key);
      goto out;
    }
  }
  catalog = g_new0 (MedCatalog, 1);
  catalog->meds = g_ptr_array_new_with_free_func ((GDestroyNotify) medication_free);
  catalog->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  catalog->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!load_sources (root, catalog->sources, &msg)) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG, "medication catalog %s: %s", path,
                 msg);
    goto fail;
  }
  meds = json_object_get (root, "medications");
  if (!json_is_array (meds) || json_array_size (meds) == 0) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                 "medication catalog %s: \"medications\" must be a non-empty array", path);
    goto fail;
  }

  json_array_foreach (meds, i, entry)
  {
    Medication *m = parse_entry (entry, catalog->sources, &msg);
    if (m == NULL || g_hash_table_contains (catalog->by_id, m->id)) {
      json_t *id = json_is_object (entry) ? json_object_get (entry, "id") : NULL;
      /* Entries are numbered from 1, as a person counts them in the file,
       * and named by id when they have a usable one. */
      char *which = json_is_string (id)
                      ? g_strdup_printf ("%zu (\"%s\")", i + 1, json_string_value (id))
                      : g_strdup_printf ("%zu", i + 1);
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG,
                   "medication catalog %s: medication %s: %s", path, which,
                   m ? "duplicate id" : msg);
      g_free (which);
      medication_free (m);
      goto fail;
    }
    g_ptr_array_add (catalog->meds, m);
    g_hash_table_insert (catalog->by_id, m->id, m);
  }
  goto out;

fail:
  med_catalog_free (catalog);
  catalog = NULL;
out:
  g_free (msg);
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
  g_hash_table_destroy (catalog->sources);
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
