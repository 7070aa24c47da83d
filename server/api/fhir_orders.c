/* fhir_orders.c — the visit's orders in its FHIR Bundle: MedicationRequests
 * from each order's snapshot (dosage, route, dispenseRequest), their
 * replacement chains, and a Provenance for each co-signature. */
#define G_LOG_DOMAIN "th-fhir"

#include "server/api/fhir-private.h"
#include "server/api/fhir-problems.h"

#include <string.h>

/* ------------------------------------------------------------ orders */

static const char *
order_status (const char *status)
{
  if (g_strcmp0 (status, "pending") == 0)
    return "draft";
  if (g_strcmp0 (status, "stopped") == 0)
    return "stopped";
  if (g_strcmp0 (status, "entered-in-error") == 0)
    return "entered-in-error";
  /* A PA's order the supervisor declined never took effect (R4
   * medicationrequest-status "cancelled"). */
  if (g_strcmp0 (status, "declined") == 0)
    return "cancelled";
  if (g_strcmp0 (status, "active") == 0 || g_strcmp0 (status, "cosigned") == 0)
    return "active";
  /* Renewed: its renewal took over (fhir_dispense.c). */
  if (g_strcmp0 (status, "completed") == 0)
    return "completed";
  return "unknown";
}

/* The UCUM code of the catalog's units, NULL when there is none. */
static const char *
ucum_unit (const char *unit)
{
  if (!unit)
    return NULL;
  if (strcmp (unit, "mg") == 0 || strcmp (unit, "g") == 0 || strcmp (unit, "mL") == 0)
    return unit;
  if (strcmp (unit, "mcg") == 0 || strcmp (unit, "ug") == 0 || strcmp (unit, "µg") == 0)
    return "ug";
  if (strcmp (unit, "ml") == 0)
    return "mL";
  return NULL;
}

/* Route codes: SNOMED CT, as in the FHIR R4 value set route-codes
 * (http://hl7.org/fhir/ValueSet/route-codes); the table is in
 * clinical_catalog.c. */
#define SNOMED_SYSTEM "http://snomed.info/sct"
/* Dispensed units: HL7 v3 orderable drug form. */
#define DRUG_FORM_SYSTEM "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"

static json_t *
ucum_quantity (double value, const char *unit)
{
  json_t *q = json_pack ("{s:f}", "value", value);
  const char *ucum = ucum_unit (unit);

  fhir_set_str (q, "unit", unit);
  if (ucum) {
    json_object_set_new (q, "system", json_string (UCUM_SYSTEM));
    json_object_set_new (q, "code", json_string (ucum));
  }
  return q;
}

/* One Dosage: `amount` per administration, `per_day` times every
 * `period_days` days (0: as needed), at `when` (MORN, HS) if given. */
static json_t *
one_dosage (const StoreOrder *o, const Medication *m, double amount, const char *text,
            guint per_day, guint period_days, const char *when)
{
  json_t *d = json_object ();
  GString *t = g_string_new (text);
  const char *snomed = med_route_snomed (o->route);

  /* Mixed amphetamine salts and the like: say what the amount is of, so a
   * reader cannot take salts for base. */
  if (m && m->dose_note)
    g_string_append_printf (t, " (%s)", m->dose_note);
  if (o->route)
    g_string_append_printf (t, ", %s", o->route);
  json_object_set_new (d, "sequence", json_integer (1));
  json_object_set_new (d, "text", json_string (t->str));
  g_string_free (t, TRUE);
  if (per_day > 0) {
    json_t *repeat = json_pack ("{s:i, s:i, s:s}", "frequency", (int) per_day, "period",
                                (int) period_days, "periodUnit", "d");
    if (when)
      json_object_set_new (repeat, "when", json_pack ("[s]", when));
    json_object_set_new (d, "timing", json_pack ("{s:o}", "repeat", repeat));
  } else {
    json_object_set_new (d, "asNeededBoolean", json_true ());
    if (o->prn_max_per_day > 0)
      json_object_set_new (d, "maxDosePerPeriod",
                           json_pack ("{s:o, s:o}", "numerator",
                                      ucum_quantity (amount * o->prn_max_per_day, o->unit),
                                      "denominator",
                                      json_pack ("{s:i, s:s, s:s, s:s}", "value", 1, "unit", "day",
                                                 "system", UCUM_SYSTEM, "code", "d")));
  }
  if (o->route) {
    json_t *route = fhir_text_concept (o->route);
    if (snomed)
      json_object_set_new (route, "coding",
                           json_pack ("[o]", fhir_coding (SNOMED_SYSTEM, snomed,
                                                          med_route_text (o->route))));
    json_object_set_new (d, "route", route);
  }
  json_object_set_new (d, "doseAndRate",
                       json_pack ("[{s:o}]", "doseQuantity", ucum_quantity (amount, o->unit)));
  return d;
}

/* The dosage instructions: one, or two for a split dose (morning and
 * bedtime, both in force together: the same sequence). */
static json_t *
dosages (const StoreOrder *o, const Medication *m)
{
  MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
  g_autofree char *text = med_dosing_text (&d);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (med_frequency_is_split (o->frequency) && o->second_dose > 0) {
    g_autofree char *morning = g_strdup_printf ("%s %s in the morning",
                                                g_ascii_formatd (buf, sizeof buf, "%g", o->dose),
                                                o->unit);
    g_autofree char *bedtime = g_strdup_printf ("%s %s at bedtime",
                                                g_ascii_formatd (buf, sizeof buf, "%g",
                                                                 o->second_dose),
                                                o->unit);
    return json_pack ("[o, o]", one_dosage (o, m, o->dose, morning, 1, 1, "MORN"),
                      one_dosage (o, m, o->second_dose, bedtime, 1, 1, "HS"));
  }
  return json_pack ("[o]", one_dosage (o, m, o->dose, text, med_frequency_per_day (o->frequency),
                                       med_frequency_period_days (o->frequency),
                                       med_frequency_when (o->frequency)));
}

/* What to dispense: a quantity of the dose form, days of supply, refills.
 * Orders from before dispensing was recorded have none. */
static json_t *
dispense_request (const StoreOrder *o, const Medication *m)
{
  const char *form = m ? m->dose_form : NULL;
  json_t *quantity;

  if (o->supply_days == 0 || o->dispense_quantity <= 0)
    return NULL;
  quantity = json_pack ("{s:f, s:s}", "value", o->dispense_quantity, "unit", form ? form : "unit");
  if (g_strcmp0 (form, "tablet") == 0 || g_strcmp0 (form, "capsule") == 0) {
    json_object_set_new (quantity, "system", json_string (DRUG_FORM_SYSTEM));
    json_object_set_new (quantity, "code",
                         json_string (strcmp (form, "tablet") == 0 ? "TAB" : "CAP"));
  }
  return json_pack ("{s:o, s:o, s:i}", "quantity", quantity, "expectedSupplyDuration",
                    json_pack ("{s:i, s:s, s:s, s:s}", "value", (int) o->supply_days, "unit",
                               "days", "system", UCUM_SYSTEM, "code", "d"),
                    "numberOfRepeatsAllowed", (int) o->refills);
}

/* The medication as prescribed (the order's snapshot; older orders: the
 * medications table's name and code). The dispensed unit's SCD first when
 * confirmed, then the ingredient codes; none for an entry whose codes could
 * not be confirmed (its text names the product). */
static json_t *
medication_concept (const StoreOrder *o, const Medication *m)
{
  json_t *concept = json_object (), *codings = json_array ();
  MedDosing d = { o->dose, o->second_dose, o->unit, o->frequency, o->route, o->prn_max_per_day };
  const MedProduct *product = NULL;
  double units;

  if (m && m->n_products && med_dosing_units_per_day (m, &d, &units, &product) && product->scd)
    json_array_append_new (codings, fhir_coding (RXNORM_SYSTEM, product->scd, NULL));
  if (m) {
    for (guint i = 0; i < m->n_codes; i++)
      json_array_append_new (codings, fhir_coding (RXNORM_SYSTEM, m->codes[i].code, NULL));
  } else if (o->rxnorm && o->rxnorm[0]) {
    json_array_append_new (codings, fhir_coding (RXNORM_SYSTEM, o->rxnorm, o->medication_name));
  }
  if (json_array_size (codings))
    json_object_set_new (concept, "coding", codings);
  else
    json_decref (codings);
  json_object_set_new (concept, "text",
                       json_string (m && m->display      ? m->display
                                    : o->medication_name ? o->medication_name
                                    : o->medication_id   ? o->medication_id
                                                         : ""));
  return concept;
}

static gboolean
add_medication_request (FhirExport *ex, Store *store, const MedCatalog *catalog,
                        const StoreOrder *o, GError **error)
{
  Medication *snapshot = med_snapshot_parse (o->snapshot);
  const Medication *m = snapshot                      ? snapshot
                        : catalog && o->medication_id ? med_catalog_find (catalog, o->medication_id)
                                                      : NULL;
  const char *status = order_status (o->status);
  json_t *mr, *dispense;

  if (!fhir_add_practitioner (ex, store, o->prescriber_id, error)) {
    medication_free (snapshot);
    return FALSE;
  }
  mr = json_object ();
  json_object_set_new (mr, "status", json_string (status));
  if (o->status_reason &&
      (strcmp (status, "stopped") == 0 || strcmp (status, "entered-in-error") == 0 ||
       strcmp (status, "cancelled") == 0))
    json_object_set_new (mr, "statusReason", fhir_text_concept (o->status_reason));
  json_object_set_new (mr, "intent", json_string ("order"));
  json_object_set_new (mr, "medicationCodeableConcept", medication_concept (o, m));
  json_object_set_new (mr, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  if (g_strcmp0 (o->visit_id, ex->visit_id) == 0)
    json_object_set_new (mr, "encounter", fhir_reference ("Encounter", ex->visit_id, NULL));
  fhir_set_time (mr, "authoredOn", o->created_at_ms);
  if (o->prescriber_id)
    json_object_set_new (mr, "requester",
                         fhir_reference ("Practitioner", o->prescriber_id, o->prescriber_name));
  /* The adjustment's reason is the prescriber's rationale ("insomnia on
   * fluoxetine"), not the indication: reasonCode would tell a receiving
   * system the drug treats insomnia. */
  if (o->reason && o->reason[0])
    json_object_set_new (mr, "note", json_pack ("[{s:s}]", "text", o->reason));
  /* The indication is the condition the prescriber linked (issue 15). */
  fhir_order_reason (mr, o);
  json_object_set_new (mr, "dosageInstruction", dosages (o, m));
  if ((dispense = dispense_request (o, m)))
    json_object_set_new (mr, "dispenseRequest", dispense);
  if (o->replaces_order_id)
    json_object_set_new (mr, "priorPrescription",
                         fhir_reference ("MedicationRequest", o->replaces_order_id, NULL));
  if (!fhir_add_dispense (ex, store, o, mr, error)) {
    json_decref (mr);
    medication_free (snapshot);
    return FALSE;
  }
  fhir_add_entry (ex, "MedicationRequest", o->id, mr);
  g_hash_table_add (ex->orders, g_strdup (o->id));
  medication_free (snapshot);
  return TRUE;
}

/* Who co-signed a PA's order, and when: a Provenance targeting the order,
 * with the co-signer as verifier and the prescriber as author. */
static gboolean
add_cosign_provenance (FhirExport *ex, Store *store, const StoreOrder *o, GError **error)
{
  g_autofree char *id = NULL;
  json_t *prov, *verifier, *author;

  if (!o->cosigned_by || o->cosigned_at_ms <= 0)
    return TRUE;
  if (!fhir_add_practitioner (ex, store, o->cosigned_by, error))
    return FALSE;
  id = fhir_id (o->id, "cosign");
  prov = json_object ();
  json_object_set_new (prov, "target",
                       json_pack ("[o]", fhir_reference ("MedicationRequest", o->id, NULL)));
  fhir_set_time (prov, "recorded", o->cosigned_at_ms);
  verifier = json_object ();
  json_object_set_new (verifier, "type",
                       json_pack ("{s:[o]}", "coding",
                                  fhir_coding (PROVENANCE_AGENT_SYSTEM, "verifier", "Verifier")));
  json_object_set_new (verifier, "role",
                       json_pack ("[{s:s}]", "text", "supervising psychiatrist (co-signature)"));
  json_object_set_new (verifier, "who", fhir_reference ("Practitioner", o->cosigned_by, NULL));
  author = json_object ();
  json_object_set_new (author, "type",
                       json_pack ("{s:[o]}", "coding",
                                  fhir_coding (PROVENANCE_AGENT_SYSTEM, "author", "Author")));
  json_object_set_new (author, "who", fhir_reference ("Practitioner", o->prescriber_id, NULL));
  json_object_set_new (prov, "agent", json_pack ("[o, o]", verifier, author));
  fhir_add_entry (ex, "Provenance", id, prov);
  return TRUE;
}

static gboolean add_order (FhirExport *ex, Store *store, const MedCatalog *catalog,
                           const StoreOrder *o, GError **error);

/* The medication of an order as a CodeableConcept (its snapshot first). */
json_t *
fhir_order_medication (const StoreOrder *o, const MedCatalog *catalog)
{
  Medication *snapshot = med_snapshot_parse (o->snapshot);
  const Medication *m = snapshot                      ? snapshot
                        : catalog && o->medication_id ? med_catalog_find (catalog, o->medication_id)
                                                      : NULL;
  json_t *concept = medication_concept (o, m);

  medication_free (snapshot);
  return concept;
}

gboolean
fhir_add_order (FhirExport *ex, Store *store, const MedCatalog *catalog, const StoreOrder *o,
                GError **error)
{
  return g_hash_table_contains (ex->orders, o->id) || add_order (ex, store, catalog, o, error);
}

/* The order as a MedicationRequest, with its co-signature when it has one. */
static gboolean
add_order (FhirExport *ex, Store *store, const MedCatalog *catalog, const StoreOrder *o,
           GError **error)
{
  return add_medication_request (ex, store, catalog, o, error) &&
         add_cosign_provenance (ex, store, o, error);
}

/* The visit's orders (written or stopped in it), then each order they
 * replace, back along the chain. */
gboolean
fhir_add_orders (FhirExport *ex, Store *store, const MedCatalog *catalog, GError **error)
{
  GPtrArray *orders = NULL;
  GQueue pending = G_QUEUE_INIT;
  guint followed = 0;
  gboolean ok = FALSE;

  orders = store_list_visit_orders (store, ex->visit_id, error);
  if (!orders)
    goto out;
  for (guint i = 0; i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);

    if (g_hash_table_contains (ex->orders, o->id))
      continue;
    if (!add_order (ex, store, catalog, o, error))
      goto out;
    if (o->replaces_order_id)
      g_queue_push_tail (&pending, g_strdup (o->replaces_order_id));
  }
  while (!g_queue_is_empty (&pending)) {
    char *id = g_queue_pop_head (&pending);
    StoreOrder prior = { 0 };
    gboolean got;

    if (g_hash_table_contains (ex->orders, id)) {
      g_free (id);
      continue;
    }
    if (++followed > MAX_ORDER_CHAIN) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "order %s: the chain of replaced orders is too long", id);
      g_free (id);
      goto out;
    }
    got = store_get_order (store, id, &prior, error);
    g_free (id);
    if (!got)
      goto out;
    got = add_order (ex, store, catalog, &prior, error);
    if (got && prior.replaces_order_id)
      g_queue_push_tail (&pending, g_strdup (prior.replaces_order_id));
    store_order_clear (&prior);
    if (!got)
      goto out;
  }
  ok = TRUE;
out:
  g_queue_clear_full (&pending, g_free);
  if (orders)
    g_ptr_array_unref (orders);
  return ok;
}
