/* rx_check.c — the prescribing safety check's frame (records-rx.h): the
 * findings, the patient's drug list, the data files, the run over every
 * section and the one verdict. The rules themselves live in the sections. */
#include "server/records/records.h"

#include <string.h>

const char *
rx_severity_name (RxSeverity s)
{
  switch (s) {
  case RX_WARN:
    return "warn";
  case RX_MAJOR:
    return "major";
  case RX_REFUSE:
    return "refuse";
  default:
    return "unknown";
  }
}

void
rx_finding_free (gpointer p)
{
  RxFinding *f = p;

  if (!f)
    return;
  g_free (f->rule);
  g_free (f->title);
  g_free (f->message);
  g_free (f->source);
  g_free (f);
}

GPtrArray *
rx_findings_new (void)
{
  return g_ptr_array_new_with_free_func (rx_finding_free);
}

void
rx_add (GPtrArray *findings, RxSeverity severity, const char *rule, const char *title,
        const char *source, const char *format, ...)
{
  RxFinding *f = g_new0 (RxFinding, 1);
  va_list args;

  f->severity = severity;
  f->rule = g_strdup (rule);
  f->title = g_strdup (title);
  f->source = g_strdup (source ? source : "");
  va_start (args, format);
  f->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (findings, f);
}

void
rx_drug_clear (RxDrug *d)
{
  if (!d)
    return;
  g_free (d->ingredient);
  g_free (d->drug_class);
  g_free (d->medication_id);
  g_free (d->order_id);
  g_free (d->display);
  memset (d, 0, sizeof *d);
}

static void
drug_clear_cb (gpointer p)
{
  rx_drug_clear (p);
}

GArray *
rx_drugs_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (RxDrug));
  g_array_set_clear_func (a, drug_clear_cb);
  return a;
}

/* dir/name when it exists, else fallback_dir/name. */
static char *
data_path (const char *dir, const char *fallback_dir, const char *name)
{
  char *path = dir ? g_build_filename (dir, name, NULL) : NULL;

  if (path && g_file_test (path, G_FILE_TEST_EXISTS))
    return path;
  g_free (path);
  return g_build_filename (fallback_dir ? fallback_dir : ".", name, NULL);
}

RxTables *
rx_tables_load (const char *dir, const char *fallback_dir, const MedCatalog *catalog,
                GError **error)
{
  RxTables *t = g_new0 (RxTables, 1);
  g_autofree char *interactions = data_path (dir, fallback_dir, "interactions.json");
  g_autofree char *conditions = data_path (dir, fallback_dir, "conditions.json");

  if (!(t->interactions = rx_interactions_load (interactions, catalog, error)) ||
      !(t->conditions = rx_conditions_load (conditions, error))) {
    rx_tables_free (t);
    return NULL;
  }
  return t;
}

void
rx_tables_free (RxTables *t)
{
  if (!t)
    return;
  g_clear_pointer (&t->interactions, rx_interactions_free);
  g_clear_pointer (&t->conditions, rx_conditions_free);
  g_free (t);
}

void
rx_check_facts_clear (RxCheckFacts *f)
{
  g_clear_pointer (&f->allergies, rx_allergy_facts_free);
  g_clear_pointer (&f->titration, rx_titration_facts_free);
  g_clear_pointer (&f->pregnancy, rx_pregnancy_facts_free);
  g_clear_pointer (&f->dispense, rx_dispense_facts_free);
}

gboolean
rx_drug_is_replaced (const RxCheckFacts *f, const RxDrug *d)
{
  return f->replaced && d->order_id && g_strcmp0 (d->order_id, f->replaced->order_id) == 0;
}

void
rx_check_run (const RxCheckFacts *f, GPtrArray *findings)
{
  g_return_if_fail (f != NULL && findings != NULL);
  /* A stop prescribes nothing: nothing to check. */
  if (f->kind == ADJUST_STOP || !f->medication)
    return;
  /* Allergies first: a refusal there is the one a prescriber must see. */
  rx_check_allergies (f, findings);
  rx_check_interactions (f, findings);
  rx_check_titration (f, findings);
  rx_check_pregnancy (f, findings);
  rx_check_dispense (f, findings);
}

RxVerdict
rx_check_decide (const GPtrArray *findings, gboolean have_override, char **rule)
{
  const RxFinding *first_major = NULL;

  if (rule)
    *rule = NULL;
  for (guint i = 0; findings && i < findings->len; i++) {
    const RxFinding *f = g_ptr_array_index (findings, i);
    if (f->severity == RX_REFUSE) {
      if (rule)
        *rule = g_strdup (f->rule);
      return RX_REFUSED;
    }
    if (f->severity == RX_MAJOR && !first_major)
      first_major = f;
  }
  if (first_major && !have_override) {
    if (rule)
      *rule = g_strdup (first_major->rule);
    return RX_NEEDS_OVERRIDE;
  }
  return RX_PASS;
}
