/* fhir_other_meds.c — the patient's medications from elsewhere in the
 * patient's FHIR export (api-outside.h): one MedicationStatement each,
 * coded in RxNorm when known, the name as text otherwise; status active or
 * stopped (with the stop date as the end of effectivePeriod); the dose as
 * text; the prescriber and who verified it in notes. */
#include "server/api/api-private.h"
#include "server/api/fhir-private.h"

#include <string.h>

static json_t *
medication_concept (const StoreOtherMed *m)
{
  json_t *c = json_object ();

  if (m->rxnorm)
    json_object_set_new (c, "coding",
                         json_pack ("[o]", fhir_coding (RXNORM_SYSTEM, m->rxnorm, m->name)));
  json_object_set_new (c, "text", json_string (m->name));
  return c;
}

static json_t *
statement (FhirExport *ex, const StoreOtherMed *m)
{
  json_t *st = json_object (), *notes = json_array ();

  json_object_set_new (st, "status", json_string (m->stopped_on ? "stopped" : "active"));
  json_object_set_new (st, "medicationCodeableConcept", medication_concept (m));
  json_object_set_new (st, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  if (m->stopped_on)
    json_object_set_new (st, "effectivePeriod", json_pack ("{s:s}", "end", m->stopped_on));
  fhir_set_time (st, "dateAsserted", m->verified_by ? m->verified_at_ms : m->created_at_ms);
  json_object_set_new (st, "informationSource",
                       fhir_reference ("Practitioner",
                                       m->verified_by ? m->verified_by : m->created_by, NULL));
  if (m->dose)
    json_object_set_new (st, "dosage", json_pack ("[{s:s}]", "text", m->dose));
  {
    g_autofree char *who = m->prescriber
                             ? g_strdup_printf ("Prescribed elsewhere by %s", m->prescriber)
                             : g_strdup ("Prescribed elsewhere (prescriber not recorded)");
    json_array_append_new (notes, json_pack ("{s:s}", "text", who));
  }
  if (m->verified_by) {
    g_autofree char *at = th_iso_from_ms (m->verified_at_ms);
    g_autofree char *text = g_strdup_printf ("Verified with the patient by %s",
                                             m->verified_by_name ? m->verified_by_name : "staff");
    json_array_append_new (notes, json_pack ("{s:s, s:s?}", "text", text, "time", at));
  }
  json_object_set_new (st, "note", notes);
  return st;
}

gboolean
th_fhir_patient_add_other_meds (ThApp *app, const char *patient_id, json_t *entries, GError **error)
{
  g_autoptr (GPtrArray) rows = store_list_other_meds (app->store, patient_id, error);
  FhirExport ex = { 0 };
  gboolean ok = FALSE;

  if (!rows)
    return FALSE;
  fhir_export_begin (&ex, app->base_url, patient_id, entries);
  for (guint i = 0; i < rows->len; i++) {
    const StoreOtherMed *m = g_ptr_array_index (rows, i);
    g_autofree char *id = fhir_id ("other-medication", m->id);
    if (!fhir_add_practitioner (&ex, app->store, m->verified_by ? m->verified_by : m->created_by,
                                error))
      goto out;
    fhir_add_entry (&ex, "MedicationStatement", id, statement (&ex, m));
  }
  ok = TRUE;
out:
  fhir_export_end (&ex);
  return ok;
}
