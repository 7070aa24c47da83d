/* demo_rx.c — what a real clinic has on file before a controlled
 * prescription (issue 15, item 7), for the demo: the demo provider's DEA
 * registration for New York (the demo patient's state), a PDMP check of
 * New York today, and the patient's preferred pharmacy. The number and the
 * pharmacy are made up (the NCPDP id is left out; the phone is a 555-01xx
 * number, reserved for fiction). */
#include "server/cli/cli.h"
#include "server/clock/clock.h"

#define DEMO_DEA_NUMBER "AP1234563" /* valid check digit; no real registrant */
/* A DEA registration runs three years (21 CFR 1301.13(f)). */
#define DEMO_DEA_YEARS 3

gboolean
th_demo_prescribing (ThApp *app, const char *patient_id, const char *provider_id, GError **error)
{
  gint64 now = store_now_ms ();
  g_autofree char *expires = NULL;
  StorePharmacy pharmacy = { .name = "Demo Community Pharmacy",
                             .address = "100 Example Street, Albany, NY 12207",
                             .phone = "+1 555 010 0150" };
  StorePdmpCheck check = { .patient_id = (char *) patient_id,
                           .staff_id = (char *) provider_id,
                           .state = "NY",
                           .checked_at_ms = now,
                           .result_note = "NY PMP searched: no other controlled-substance "
                                          "prescriptions in the last 12 months." };
  GDate day;

  th_clock_local_date (app->config->time_zone, now, &day);
  g_date_add_years (&day, DEMO_DEA_YEARS);
  expires = th_date_format (&day);
  return expires &&
         th_dea_set (app, "demo", provider_id, "NY", DEMO_DEA_NUMBER, "2,2N,3,3N,4,5", expires,
                     error) &&
         store_add_pdmp_check (app->store, &check, NULL, error) &&
         store_set_patient_pharmacy (app->store, patient_id, &pharmacy, provider_id, error);
}

/* The intolerance that made the provider switch fluoxetine to sertraline
 * in the demo history, so a new fluoxetine order is flagged (its
 * diagnoses are made in the history's first visit, demo_history.c), and
 * a medication from elsewhere. */
gboolean
th_demo_problems (ThApp *app, const char *patient_id, const char *provider_id, GError **error)
{
  StoreAllergyNew fluoxetine = { .patient_id = patient_id,
                                 .substance_kind = "ingredient",
                                 .substance = "fluoxetine",
                                 .type = "intolerance",
                                 .manifestation = "other",
                                 .reaction = "Jitteriness and insomnia at 20 mg",
                                 .severity = "mild",
                                 .criticality = "low",
                                 .status = "active",
                                 .recorded_by = provider_id };
  /* A medicine another prescriber gave, verified with the patient: a new
   * serotonergic order meets it in the prescribing check (a triptan with
   * an SSRI is a moderate interaction, config/interactions.json). */
  StoreOtherMedNew sumatriptan = { .name = "sumatriptan",
                                   .rxnorm = "37418",
                                   .dose = "50 mg as needed for migraine, at most twice a week",
                                   .prescriber = "Dr. Patel (primary care)",
                                   .verified = TRUE };
  g_autofree char *id = store_add_allergy (app->store, &fluoxetine, store_now_ms (), error);
  StoreOtherMed *other = id ? store_other_med_add (app->store, patient_id, &sumatriptan,
                                                   provider_id, error)
                            : NULL;
  gboolean ok = other != NULL;

  store_other_med_free (other);
  return ok;
}
