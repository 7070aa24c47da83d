/* fhir_patient.c — the patient-level FHIR R4 export, GET
 * /api/patients/:patient/fhir: one Bundle (type "collection", as the
 * per-visit export) with the Patient, each visit's Encounter and what the
 * per-visit export puts with it (the check-in, the orders written or
 * stopped in it: the same builders), every other order as a
 * MedicationRequest, the diary as Observations, and a MedicationStatement
 * per current medication line for the adherence the patient reported.
 *
 * What of the diary goes out, and how:
 *  - the day's record only (the newest entry of a day), as the record reads
 *    it; an older entry of the day that answered PHQ-9 item 9 above 0 goes
 *    out too, marked superseded: a safety signal is never dropped;
 *  - doses: one Observation per day and medication, components "doses
 *    taken", "doses missed", the reason, and the medication (RxNorm), so a
 *    receiving system can read it without our tables; no LOINC code for a
 *    day's doses of one drug could be confirmed, so the code is text;
 *  - side effects: one Observation per rated effect, the rating as the
 *    SNOMED CT severity codes of FHIR's condition-severity value set (mild
 *    255604002, moderate 6736007, severe 24484000; "none" as text), the
 *    medication it is attributed to as a component (RxNorm);
 *  - item 9: LOINC 44260-8 with the PHQ-9's LOINC answer codes, as the
 *    check-in's item 9;
 *  - the patient's free note is left out: free text may hold anything, and
 *    the exports carry no clinician's note either.
 * MedicationStatement (R4) has no element for adherence (R5 added
 * MedicationStatement.adherence), so doses taken of those due, the days
 * logged and the reasons are its note, in words; effectivePeriod is the span
 * counted, derivedFrom the day Observations it was counted from, basedOn the
 * line's MedicationRequests, informationSource the patient. */
#define G_LOG_DOMAIN "th-fhir"

#include "server/api/api-private.h"
#include "server/api/labs.h"
#include "server/api/fhir-private.h"
#include "server/api/fhir-problems.h"
#include "server/api/reproductive.h"

#include <string.h>

/* SNOMED CT severity codes, as FHIR R4's condition-severity value set
 * (http://hl7.org/fhir/ValueSet/condition-severity) lists them. */
#define SNOMED_SYSTEM "http://snomed.info/sct"
static const struct {
  const char *code, *display;
} kSeverity[4] = {
  { NULL, "none" },
  { "255604002", "Mild" },
  { "6736007", "Moderate" },
  { "24484000", "Severe" },
};

/* A FHIR id of at most 64 characters for a pair of ids (two UUIDs would
 * not fit): the prefix and a digest of both. */
static char *
pair_id (const char *prefix, const char *a, const char *b)
{
  g_autofree char *both = g_strconcat (a, "\n", b, NULL);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, both, -1);

  digest[32] = '\0';
  return g_strdup_printf ("%s-%s", prefix, digest);
}

static json_t *
text_component (const char *text, const char *key, json_t *value)
{
  json_t *c = json_pack ("{s:{s:s}}", "code", "text", text);

  json_object_set_new (c, key, value);
  return c;
}

/* What every diary Observation shares: patient-reported, about the day. */
static json_t *
diary_observation (const char *patient_id, const StoreDiaryRow *r, json_t *code)
{
  json_t *obs = json_object ();

  json_object_set_new (obs, "status", json_string ("final"));
  json_object_set_new (obs, "category",
                       json_pack ("[{s:[o]}]", "coding",
                                  fhir_coding (OBS_CATEGORY_SYSTEM, "survey", "Survey")));
  json_object_set_new (obs, "code", code);
  json_object_set_new (obs, "subject", fhir_reference ("Patient", patient_id, NULL));
  /* The patient's own calendar day (a date), and when they wrote it. */
  json_object_set_new (obs, "effectiveDateTime", json_string (r->day));
  fhir_set_time (obs, "issued", r->made_at_ms);
  json_object_set_new (obs, "performer",
                       json_pack ("[o]", fhir_reference ("Patient", patient_id, NULL)));
  return obs;
}

static const StoreOrder *
order_by_id (GPtrArray *orders, const char *id)
{
  for (guint i = 0; id && i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    if (strcmp (o->id, id) == 0)
      return o;
  }
  return NULL;
}

/* The diary's reasons for a missed dose, as the patient chose them. */
static const char *
reason_words (const char *reason)
{
  static const struct {
    const char *code, *words;
  } kReasons[] = {
    { "forgot", "Forgot" },
    { "side-effect", "Because of a side effect" },
    { "ran-out", "Ran out" },
    { "chose-not-to", "Chose not to take it" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kReasons); i++) {
    if (strcmp (reason, kReasons[i].code) == 0)
      return kReasons[i].words;
  }
  return reason;
}

static void
add_dose_observation (FhirExport *ex, ThApp *app, GPtrArray *orders, const StoreDiaryRow *r)
{
  const StoreOrder *o = order_by_id (orders, r->order_id);
  g_autofree char *id = pair_id ("diary-doses", r->entry_id, r->order_id);
  json_t *obs, *components;

  obs = diary_observation (ex->patient_id, r,
                           json_pack ("{s:s}", "text", "Doses taken and missed (patient diary)"));
  components = json_array ();
  json_array_append_new (components,
                         text_component ("Doses taken", "valueInteger", json_integer (r->taken)));
  json_array_append_new (components,
                         text_component ("Doses missed", "valueInteger", json_integer (r->missed)));
  if (r->reason)
    json_array_append_new (components,
                           text_component ("Reason for the missed doses", "valueCodeableConcept",
                                           fhir_text_concept (reason_words (r->reason))));
  if (o)
    json_array_append_new (components, text_component ("Medication", "valueCodeableConcept",
                                                       fhir_order_medication (o, app->catalog)));
  json_object_set_new (obs, "component", components);
  fhir_add_entry (ex, "Observation", id, obs);
}

static void
add_effect_observation (FhirExport *ex, ThApp *app, GPtrArray *orders, const StoreDiaryRow *r)
{
  const StoreOrder *o = order_by_id (orders, r->order_id);
  g_autofree char *key = g_strconcat (r->order_id, "\n", r->effect, NULL);
  g_autofree char *id = pair_id ("diary-effect", r->entry_id, key);
  g_autofree char *text = g_strdup_printf ("Side effect: %s (patient diary)", r->effect);
  guint sev = MIN (r->severity, 3);
  json_t *obs, *value;

  obs = diary_observation (ex->patient_id, r, json_pack ("{s:s}", "text", text));
  value = fhir_text_concept (kSeverity[sev].display);
  if (kSeverity[sev].code)
    json_object_set_new (value, "coding",
                         json_pack ("[o]", fhir_coding (SNOMED_SYSTEM, kSeverity[sev].code,
                                                        kSeverity[sev].display)));
  json_object_set_new (obs, "valueCodeableConcept", value);
  if (o)
    json_object_set_new (obs, "component",
                         json_pack ("[o]",
                                    text_component ("Attributed by the patient to",
                                                    "valueCodeableConcept",
                                                    fhir_order_medication (o, app->catalog))));
  fhir_add_entry (ex, "Observation", id, obs);
}

static void
add_item9_observation (FhirExport *ex, const StoreDiaryRow *r)
{
  g_autofree char *id = fhir_id ("diary", r->entry_id);
  g_autofree char *full_id = g_strconcat (id, "-item9", NULL);
  json_t *answer = fhir_phq9_answer (r->item9), *obs;
  gboolean above = r->item9 > 0;

  if (!answer)
    return;
  obs = diary_observation (
    ex->patient_id, r,
    json_pack ("{s:[o], s:s}", "coding",
               fhir_coding (LOINC_SYSTEM, PHQ9_ITEM9_LOINC_CODE,
                            "Thoughts that you would be better off dead, or of hurting yourself "
                            "in some way"),
               "text", "PHQ-9 item 9 (patient diary): thoughts of death or self-harm"));
  json_object_set_new (obs, "valueCodeableConcept", json_pack ("{s:[o]}", "coding", answer));
  json_object_set_new (obs, "interpretation",
                       json_pack ("[{s:[o], s:s}]", "coding",
                                  above ? fhir_coding (OBS_INTERP_SYSTEM, "A", "Abnormal")
                                        : fhir_coding (OBS_INTERP_SYSTEM, "N", "Normal"),
                                  "text",
                                  above ? "Thoughts of death or self-harm reported: assess safety"
                                        : "No thoughts of death or self-harm reported"));
  if (!r->days_record)
    json_object_set_new (obs, "note",
                         json_pack ("[{s:s}]", "text",
                                    "A later entry of the same day replaced this one; kept "
                                    "because it reported thoughts of death or self-harm."));
  fhir_add_entry (ex, "Observation", full_id, obs);
}

static void
add_diary (FhirExport *ex, ThApp *app, GPtrArray *orders, const StoreDiary *diary)
{
  for (guint i = 0; i < diary->entries->len; i++) {
    const StoreDiaryRow *r = g_ptr_array_index (diary->entries, i);
    if (r->item9 >= 0 && (r->days_record || r->item9 > 0))
      add_item9_observation (ex, r);
  }
  for (guint i = 0; i < diary->doses->len; i++) {
    const StoreDiaryRow *r = g_ptr_array_index (diary->doses, i);
    if (r->days_record)
      add_dose_observation (ex, app, orders, r);
  }
  for (guint i = 0; i < diary->effects->len; i++) {
    const StoreDiaryRow *r = g_ptr_array_index (diary->effects, i);
    if (r->days_record)
      add_effect_observation (ex, app, orders, r);
  }
}

/* ----------------------------------------------- MedicationStatement */

static char *
adherence_note (const Adherence *a)
{
  GString *s = g_string_new (NULL);
  gboolean first = TRUE;

  if (a->source == ADHERENCE_CHECKIN)
    g_string_append_printf (s,
                            "Reported adherence, from the check-in (%u days): %u of %u doses "
                            "taken (%d%%).",
                            a->days_in_period, a->taken, a->due, a->percent);
  else if (a->as_needed)
    g_string_append_printf (s,
                            "Reported use, from the patient's diary (as needed): %u doses taken "
                            "on %u of %d days logged (%u days in the period).",
                            a->prn_taken, a->prn_days_used, a->days_logged, a->days_in_period);
  else if (a->percent >= 0)
    g_string_append_printf (s,
                            "Reported adherence, from the patient's diary: %u of %u doses due "
                            "taken (%d%%) on %d of %u days logged.",
                            a->taken, a->due, a->percent, a->days_logged, a->days_in_period);
  else
    g_string_append_printf (s,
                            "From the patient's diary: no dose was due on the %d of %u days "
                            "logged.",
                            a->days_logged, a->days_in_period);
  /* The check-in asks no reason. */
  for (guint r = 0; a->source == ADHERENCE_DIARY && r < ADHERENCE_N_REASONS; r++) {
    if (a->missed_by_reason[r] == 0)
      continue;
    g_string_append_printf (s, "%s %s %u", first ? " Missed:" : ",", adherence_reason_code (r),
                            a->missed_by_reason[r]);
    first = FALSE;
  }
  if (!first)
    g_string_append_c (s, '.');
  if (a->extra > 0)
    g_string_append_printf (s, " %u doses taken beyond those due.", a->extra);
  return g_string_free (s, FALSE);
}

/* When the patient last said something about the line: the newest diary
 * entry holding one of its orders, else the check-in. */
static gint64
asserted_ms (const ThMedLine *line, const StoreDiary *diary, gint64 checkin_ms)
{
  gint64 at = -1;

  for (guint i = 0; i < diary->doses->len; i++) {
    const StoreDiaryRow *r = g_ptr_array_index (diary->doses, i);
    for (guint k = 0; k < line->orders->len; k++) {
      if (r->days_record &&
          g_strcmp0 (r->order_id, g_array_index (line->orders, AdherenceOrder, k).id) == 0)
        at = MAX (at, r->made_at_ms);
    }
  }
  return at >= 0 ? at : checkin_ms;
}

static json_t *
derived_from (const ThMedLine *line, const StoreDiary *diary, const Adherence *a)
{
  json_t *list = json_array ();

  for (guint i = 0; i < diary->doses->len; i++) {
    const StoreDiaryRow *r = g_ptr_array_index (diary->doses, i);
    GDate day;
    if (!r->days_record || !th_date_parse (r->day, &day) || g_date_compare (&day, &a->from) < 0 ||
        g_date_compare (&day, &a->to) > 0)
      continue;
    for (guint k = 0; k < line->orders->len; k++) {
      if (g_strcmp0 (r->order_id, g_array_index (line->orders, AdherenceOrder, k).id) == 0) {
        g_autofree char *id = pair_id ("diary-doses", r->entry_id, r->order_id);
        json_array_append_new (list, fhir_reference ("Observation", id, NULL));
      }
    }
  }
  return list;
}

static gboolean
add_statement (FhirExport *ex, ThApp *app, const ThMedLine *line, const StoreDiary *diary,
               GError **error)
{
  const AdherenceOrder *first = &g_array_index (line->orders, AdherenceOrder, 0);
  g_autofree char *id = fhir_id ("adherence", line->current->id);
  g_autofree char *note = NULL, *from = NULL, *to_text = NULL;
  g_autoptr (GPtrArray) missed = NULL;
  gint64 checkin_ms = -1;
  json_t *st, *based_on, *derived;
  Adherence a;
  GDate to;

  /* The whole line: since its first order took effect. */
  th_clinic_today (app, &to);
  if (!(missed = store_latest_checkin_missed (app->store, ex->patient_id, 0, NULL, &checkin_ms,
                                              error)))
    return FALSE;
  if (!th_med_line_adherence (app, line, diary, missed, checkin_ms, &first->start, &to, &a, error))
    return FALSE;
  if (a.source == ADHERENCE_NONE) {
    adherence_clear (&a);
    return TRUE;
  }
  st = json_object ();
  based_on = json_array ();
  for (guint k = 0; k < line->orders->len; k++)
    json_array_append_new (based_on,
                           fhir_reference ("MedicationRequest",
                                           g_array_index (line->orders, AdherenceOrder, k).id,
                                           NULL));
  json_object_set_new (st, "basedOn", based_on);
  json_object_set_new (st, "status", json_string ("active"));
  json_object_set_new (st, "medicationCodeableConcept",
                       fhir_order_medication (line->current, app->catalog));
  json_object_set_new (st, "subject", fhir_reference ("Patient", ex->patient_id, NULL));
  from = th_date_format (&a.from);
  to_text = th_date_format (&a.to);
  json_object_set_new (st, "effectivePeriod",
                       json_pack ("{s:s, s:s}", "start", from, "end", to_text));
  fhir_set_time (st, "dateAsserted", asserted_ms (line, diary, checkin_ms));
  json_object_set_new (st, "informationSource", fhir_reference ("Patient", ex->patient_id, NULL));
  derived = derived_from (line, diary, &a);
  if (json_array_size (derived) > 0)
    json_object_set_new (st, "derivedFrom", derived);
  else
    json_decref (derived);
  note = adherence_note (&a);
  json_object_set_new (st, "note", json_pack ("[{s:s}]", "text", note));
  fhir_add_entry (ex, "MedicationStatement", id, st);
  adherence_clear (&a);
  return TRUE;
}

/* ------------------------------------------------------------- bundle */

static gboolean
add_visits (FhirExport *ex, ThApp *app, GPtrArray *visits, GError **error)
{
  for (guint i = 0; i < visits->len; i++) {
    const StoreVisit *v = g_ptr_array_index (visits, i);

    ex->visit_id = v->id;
    if (!fhir_add_practitioner (ex, app->store, v->provider_id, error) ||
        !fhir_add_encounter (ex, app->store, v, error) ||
        !fhir_add_checkin (ex, app->store, error) ||
        !fhir_add_orders (ex, app->store, app->catalog, error))
      return FALSE;
  }
  ex->visit_id = NULL;
  return TRUE;
}

static gboolean
add_orders_and_adherence (FhirExport *ex, ThApp *app, GPtrArray *orders, const StoreDiary *diary,
                          GError **error)
{
  /* Orders no visit's export reached (none should be left; kept whole). */
  for (guint i = 0; i < orders->len; i++) {
    if (!fhir_add_order (ex, app->store, app->catalog, g_ptr_array_index (orders, i), error))
      return FALSE;
  }
  for (guint i = 0; i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    ThMedLine line;
    gboolean ok;

    if (g_strcmp0 (o->status, "active") != 0)
      continue;
    th_med_line_build (app, o, orders, &line);
    ok = add_statement (ex, app, &line, diary, error);
    th_med_line_clear (&line);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

json_t *
th_fhir_patient_bundle (ThApp *app, const char *patient_id, GError **error)
{
  FhirExport ex = { 0 };
  StoreDiary diary = { 0 };
  g_autoptr (GPtrArray) visits = NULL, orders = NULL;
  g_autofree char *bundle_id = fhir_id ("patient", patient_id);
  json_t *bundle = NULL;

  ex.entries = json_array ();
  ex.base = g_strdup (app->base_url && *app->base_url ? app->base_url : DEFAULT_BASE_URL);
  while (g_str_has_suffix (ex.base, "/"))
    ex.base[strlen (ex.base) - 1] = '\0';
  ex.practitioners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ex.orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ex.patient_id = patient_id;

  if (!(visits = store_list_patient_visits (app->store, patient_id, error)) ||
      !(orders = store_list_patient_orders (app->store, patient_id, error)) ||
      !store_read_diary (app->store, patient_id, NULL, NULL, &diary, error) ||
      !fhir_add_patient (&ex, app->store, error) || !add_visits (&ex, app, visits, error) ||
      !add_orders_and_adherence (&ex, app, orders, &diary, error) ||
      !fhir_add_problems (&ex, app->store, app->catalog, error))
    goto out;
  add_diary (&ex, app, orders, &diary);
  /* The safety tasks (a Flag while open, the C-SSRS screen once closed:
   * fhir_safety.c) and the labs, vital signs and home readings (labs.c). */
  if (!th_fhir_patient_add_safety (app, patient_id, ex.entries, error) ||
      !th_fhir_patient_add_observations (app, patient_id, ex.entries, error) ||
      !th_fhir_patient_add_other_meds (app, patient_id, ex.entries, error) ||
      !th_fhir_patient_add_reproductive (app, patient_id, ex.entries, error))
    goto out;

  bundle = json_object ();
  json_object_set_new (bundle, "resourceType", json_string ("Bundle"));
  json_object_set_new (bundle, "id", json_string (bundle_id));
  json_object_set_new (bundle, "type", json_string ("collection"));
  fhir_set_time (bundle, "timestamp", store_now_ms ());
  json_object_set_new (bundle, "entry", ex.entries);
  ex.entries = NULL;
out:
  json_decref (ex.entries);
  g_free (ex.base);
  g_hash_table_destroy (ex.practitioners);
  g_hash_table_destroy (ex.orders);
  store_diary_clear (&diary);
  return bundle;
}

void
th_get_patient_fhir (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  json_t *bundle;

  if (!th_require_record (app, call, patient_id, r, NULL))
    return;
  bundle = th_fhir_patient_bundle (app, patient_id, &error);
  if (!bundle) {
    th_respond_store_error (r, error,
                            "The FHIR export could not be built. Try again; if this keeps "
                            "happening, tell the clinic's administrator.");
    return;
  }
  th_audit (app, req->address, call->caller.staff_id, "patient.export-fhir", patient_id,
            json_pack ("{s:s}", "patient", patient_id));
  th_respond_json (r, 200, bundle);
  r->content_type = "application/fhir+json";
}
