/* rx_conditions.c — the clinic's list of diagnoses (records-rx.h): a small
 * psychiatric subset of ICD-10-CM, read from config/conditions.json, and
 * the FHIR words a condition's status takes. */
#include "server/records/records.h"

#include <jansson.h>
#include <string.h>

/* An ICD-10-CM code as the tabular list writes it: a letter, two
 * characters (digits, or a digit and a letter: "F32.A" has its letter
 * after the dot), then optionally a dot and 1..4 more. Lower case, a
 * missing dot or spaces are someone else's spelling, refused. */
static gboolean
icd10cm_code_ok (const char *c)
{
  gsize n = strlen (c), i;

  if (n < 3 || n > 8 || !g_ascii_isupper (c[0]) || !g_ascii_isdigit (c[1]) ||
      !(g_ascii_isdigit (c[2]) || g_ascii_isupper (c[2])))
    return FALSE;
  if (n == 3)
    return TRUE;
  if (c[3] != '.' || n == 4)
    return FALSE;
  for (i = 4; i < n; i++)
    if (!g_ascii_isdigit (c[i]) && !g_ascii_isupper (c[i]))
      return FALSE;
  return TRUE;
}

static gboolean
text_ok (const char *s, gsize max)
{
  return s && *s && strlen (s) <= max && g_utf8_validate (s, -1, NULL) && !g_ascii_isspace (s[0]) &&
         !g_ascii_isspace (s[strlen (s) - 1]);
}

static gboolean
load_entries (RxConditionTable *t, json_t *list, char **msg)
{
  gsize n = json_array_size (list);

  if (!json_is_array (list) || n == 0 || n > 1000) {
    *msg = g_strdup ("\"conditions\" must be a list of 1 to 1000 diagnoses");
    return FALSE;
  }
  t->conditions = g_new0 (RxCondition, n);
  for (gsize i = 0; i < n; i++) {
    const char *code = NULL, *display = NULL, *group = NULL;
    json_error_t jerr;
    RxCondition *c = &t->conditions[i];

    if (json_unpack_ex (json_array_get (list, i), &jerr, JSON_STRICT, "{s:s, s:s, s:s}", "code",
                        &code, "display", &display, "group", &group) != 0) {
      *msg = g_strdup_printf ("condition %zu: %s", i + 1, jerr.text);
      return FALSE;
    }
    if (!icd10cm_code_ok (code)) {
      *msg = g_strdup_printf ("condition %zu: \"%s\" is not an ICD-10-CM code as the tabular "
                              "list writes it (\"F33.1\")",
                              i + 1, code);
      return FALSE;
    }
    if (!text_ok (display, 200) || !text_ok (group, 100)) {
      *msg = g_strdup_printf ("condition %zu (%s): display and group must be 1..200 and 1..100 "
                              "characters, without leading or trailing spaces",
                              i + 1, code);
      return FALSE;
    }
    if (g_hash_table_contains (t->by_code, code)) {
      *msg = g_strdup_printf ("condition %zu: %s is listed twice", i + 1, code);
      return FALSE;
    }
    c->code = g_strdup (code);
    c->display = g_strdup (display);
    c->group = g_strdup (group);
    t->n_conditions++;
    g_hash_table_insert (t->by_code, c->code, c);
  }
  return TRUE;
}

RxConditionTable *
rx_conditions_load (const char *path, GError **error)
{
  RxConditionTable *t = g_new0 (RxConditionTable, 1);
  json_t *root = NULL, *list = NULL;
  json_error_t jerr;
  json_int_t version = 0;
  const char *about = NULL, *source = NULL, *system = NULL;
  g_autofree char *msg = NULL;

  t->by_code = g_hash_table_new (g_str_hash, g_str_equal);
  root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    msg = g_strdup_printf ("line %d: %s", jerr.line, jerr.text);
    goto out;
  }
  if (json_unpack_ex (root, &jerr, JSON_STRICT, "{s:I, s:s, s:s, s:s, s:o}", "version", &version,
                      "about", &about, "source", &source, "system", &system, "conditions",
                      &list) != 0) {
    msg = g_strdup (jerr.text);
    goto out;
  }
  /* The file names its code set: anything but ICD-10-CM would be exported
   * under the wrong system. */
  if (version != 1 || strcmp (system, RX_ICD10CM_SYSTEM) != 0 || !text_ok (source, 1000)) {
    msg = g_strdup ("version must be 1, system " RX_ICD10CM_SYSTEM ", and a source named");
    goto out;
  }
  t->source = g_strdup (source);
  load_entries (t, list, &msg);
out:
  json_decref (root);
  if (msg) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_CATALOG, "%s: %s", path, msg);
    rx_conditions_free (t);
    return NULL;
  }
  return t;
}

void
rx_conditions_free (RxConditionTable *t)
{
  if (!t)
    return;
  for (guint i = 0; i < t->n_conditions; i++) {
    g_free (t->conditions[i].code);
    g_free (t->conditions[i].display);
    g_free (t->conditions[i].group);
  }
  g_free (t->conditions);
  g_free (t->source);
  g_clear_pointer (&t->by_code, g_hash_table_unref);
  g_free (t);
}

const RxCondition *
rx_condition_find (const RxConditionTable *t, const char *code)
{
  return t && code ? g_hash_table_lookup (t->by_code, code) : NULL;
}

static gboolean
in_list (const char *const *list, const char *word)
{
  return word && g_strv_contains (list, word);
}

/* FHIR R4 value sets condition-clinical and condition-ver-status
 * (http://hl7.org/fhir/R4/valueset-condition-clinical.html,
 * valueset-condition-ver-status.html). */
gboolean
rx_condition_clinical_valid (const char *status)
{
  static const char *const k[] = { "active",    "recurrence", "relapse", "inactive",
                                   "remission", "resolved",   NULL };
  return in_list (k, status);
}

gboolean
rx_condition_verification_valid (const char *status)
{
  static const char *const k[] = { "unconfirmed", "provisional", "differential",
                                   "confirmed",   "refuted",     "entered-in-error",
                                   NULL };
  return in_list (k, status);
}

gboolean
rx_condition_clinical_is_active (const char *status)
{
  static const char *const k[] = { "active", "recurrence", "relapse", NULL };
  return in_list (k, status);
}
