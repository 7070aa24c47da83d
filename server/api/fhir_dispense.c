/* fhir_dispense.c — a MedicationRequest's real-prescription parts (issue
 * 15, item 7; fhir-private.h): the earliest fill date as
 * dispenseRequest.validityPeriod.start, the patient's pharmacy as
 * dispenseRequest.performer (an Organization), and a schedule II series (21
 * CFR 1306.12(b)) as one MedicationRequest per prescription, each with its
 * own earliest fill date, grouped by groupIdentifier: they are separate
 * prescriptions, and a receiving system must see each one. */
#define G_LOG_DOMAIN "th-fhir"

#include "server/api/fhir-private.h"

#include <string.h>

/* HL7's naming system for the NCPDP provider identifier of a pharmacy. */
#define NCPDP_SYSTEM "http://terminology.hl7.org/NamingSystem/NCPDPProviderIdentificationNumber"
/* The clinic's order ids, grouping the prescriptions written together. */
#define ORDER_GROUP_SYSTEM "urn:telehealth:order"

static gboolean
entry_present (FhirExport *ex, const char *type, const char *id)
{
  for (gsize i = 0; i < json_array_size (ex->entries); i++) {
    json_t *res = json_object_get (json_array_get (ex->entries, i), "resource");
    if (g_strcmp0 (json_string_value (json_object_get (res, "resourceType")), type) == 0 &&
        g_strcmp0 (json_string_value (json_object_get (res, "id")), id) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
add_pharmacy (FhirExport *ex, const StorePharmacy *p, const char *id)
{
  json_t *org;

  if (entry_present (ex, "Organization", id))
    return;
  org = json_object ();
  if (p->ncpdp_id)
    json_object_set_new (org, "identifier",
                         json_pack ("[{s:s, s:s}]", "system", NCPDP_SYSTEM, "value", p->ncpdp_id));
  json_object_set_new (org, "active", json_true ());
  json_object_set_new (org, "type", json_pack ("[o]", fhir_text_concept ("pharmacy")));
  json_object_set_new (org, "name", json_string (p->name));
  json_object_set_new (org, "telecom",
                       json_pack ("[{s:s, s:s, s:s}]", "system", "phone", "value", p->phone, "use",
                                  "work"));
  json_object_set_new (org, "address", json_pack ("[{s:s}]", "text", p->address));
  fhir_add_entry (ex, "Organization", id, org);
}

/* Adds a note, after the prescriber's reason when there is one. */
static void
add_note (json_t *mr, const char *text)
{
  json_t *notes = json_object_get (mr, "note");

  if (!json_is_array (notes)) {
    notes = json_array ();
    json_object_set_new (mr, "note", notes);
  }
  json_array_append_new (notes, json_pack ("{s:s}", "text", text));
}

static char *
series_text (guint i, guint n, const char *date)
{
  return g_strdup_printf ("Prescription %u of %u of a schedule II series written together (21 "
                          "CFR 1306.12(b)): do not fill before %s.",
                          i + 1, n, date);
}

static void
set_fill_date (json_t *mr, const char *date)
{
  json_t *dispense = json_object_get (mr, "dispenseRequest");

  if (!json_is_object (dispense) || !date || !date[0])
    return;
  json_object_set_new (dispense, "validityPeriod", json_pack ("{s:s}", "start", date));
}

gboolean
fhir_add_dispense (FhirExport *ex, Store *store, const StoreOrder *o, json_t *mr, GError **error)
{
  const StoreOrderRxRead *rx = o->rx;
  json_t *dispense = json_object_get (mr, "dispenseRequest");

  (void) store;
  (void) error;
  if (!rx)
    return TRUE;
  set_fill_date (mr, rx->rx.earliest_fill_date);
  if (json_is_object (dispense) && rx->pharmacy.id > 0) {
    g_autofree char *pid = g_strdup_printf ("pharmacy-%" G_GINT64_FORMAT, rx->pharmacy.id);
    add_pharmacy (ex, &rx->pharmacy, pid);
    json_object_set_new (dispense, "performer",
                         fhir_reference ("Organization", pid, rx->pharmacy.name));
  }
  if (rx->rx.n_series < 2)
    return TRUE;
  json_object_set_new (mr, "groupIdentifier",
                       json_pack ("{s:s, s:s}", "system", ORDER_GROUP_SYSTEM, "value", o->id));
  for (guint i = rx->rx.n_series; i > 1; i--) {
    g_autofree char *seq = g_strdup_printf ("rx%u", i);
    g_autofree char *id = fhir_id (o->id, seq);
    g_autofree char *text = series_text (i - 1, rx->rx.n_series, rx->rx.series[i - 1]);
    json_t *copy = json_deep_copy (mr);
    set_fill_date (copy, rx->rx.series[i - 1]);
    json_object_del (copy, "priorPrescription");
    add_note (copy, text);
    fhir_add_entry (ex, "MedicationRequest", id, copy);
  }
  {
    g_autofree char *text = series_text (0, rx->rx.n_series, rx->rx.series[0]);
    set_fill_date (mr, rx->rx.series[0]);
    add_note (mr, text);
  }
  return TRUE;
}
