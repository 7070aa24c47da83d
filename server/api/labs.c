/* labs.c — labs and vital signs (issue 14, item 5): recording a clinic
 * entry (validated at the edge, interpreted against the monitoring table,
 * written with its safety alert in one transaction), listing a patient's
 * observations with their flags, and what the monitoring table says is due.
 *
 * Who: a clinician who may write the patient's record (careteam.c: a
 * visit together or a place on the care team) records; whoever may read
 * the record reads. The front desk never reaches here (the route table's
 * STAFF answers it 403). */
#define G_LOG_DOMAIN "th-api"

#include "server/api/labs.h"
#include "server/api/fhir.h"

#include <string.h>

/* A clock a few minutes apart from ours is no reason to refuse a reading
 * taken just now on another device. */
#define FUTURE_TOLERANCE_MS (5 * 60 * 1000)
/* A chain of replaced orders is followed this far (a guard, not a rule). */
#define MAX_CHAIN 200

/* ------------------------------------------------------------ JSON out */

static char *
value_text (double value, gboolean has_value2, double value2)
{
  return has_value2 ? g_strdup_printf ("%g/%g", value, value2) : g_strdup_printf ("%g", value);
}

static json_t *
observation_json (ThApp *app, const StoreObservation *o)
{
  const ObservationKind *kind = observation_kind_find (o->kind);
  g_autofree char *effective = th_iso_from_ms (o->effective_ms);
  g_autofree char *recorded = th_iso_from_ms (o->recorded_ms);
  g_autofree char *shown = value_text (o->value, o->has_value2, o->value2);
  const char *code = o->interpretation ? o->interpretation : "N";
  MonitoringReading reading = { 0 };
  json_t *j;

  /* The words for the stored flag, read again from today's table; when
   * the table has changed since, the stored flag stands without them. */
  if (kind)
    monitoring_interpret (app->monitoring, kind, o->value, o->has_value2, o->value2, NULL,
                          &reading);
  j = json_pack ("{s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s?, s:s, s:b, s:s, s:b}", "id", o->id,
                 "kind", o->kind, "display", kind ? kind->display : o->kind, "value", o->value,
                 "value_text", shown, "unit", o->unit, "unit_text",
                 kind ? kind->unit_text : o->unit, "effective_at", effective, "recorded_at",
                 recorded ? recorded : "", "home", o->home, "interpretation", code, "out_of_range",
                 strcmp (code, "N") != 0);
  if (!j)
    goto out;
  json_object_set_new (j, "value2", o->has_value2 ? json_real (o->value2) : json_null ());
  json_object_set_new (j, "loinc", o->loinc ? json_string (o->loinc) : json_null ());
  json_object_set_new (j, "source", json_string (o->home ? "patient" : "clinic"));
  json_object_set_new (j, "flag_words",
                       reading.words && strcmp (reading.code, code) == 0
                         ? json_string (reading.words)
                         : json_null ());
  json_object_set_new (j, "recorded_by",
                       o->recorded_by
                         ? json_pack ("{s:s, s:s}", "id", o->recorded_by, "display_name",
                                      o->recorded_by_name ? o->recorded_by_name : "")
                         : json_null ());
  json_object_set_new (j, "visit_id", o->visit_id ? json_string (o->visit_id) : json_null ());
  json_object_set_new (j, "alert",
                       o->alert_id ? json_pack ("{s:s, s:s, s:s, s:b}", "id", o->alert_id, "rule",
                                                o->alert_rule, "summary", o->alert_summary,
                                                "acknowledged", o->alert_acknowledged)
                                   : json_null ());
out:
  monitoring_reading_clear (&reading);
  return j;
}

static json_t *
date_or_null (const GDate *d)
{
  g_autofree char *text = g_date_valid (d) ? th_date_format (d) : NULL;
  return text ? json_string (text) : json_null ();
}

static json_t *
item_json (const MonitoringItem *it)
{
  json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "rule", it->rule_id, "kind",
                         it->kind, "what", it->what, "medication_id", it->medication_id, "status",
                         monitoring_status_name (it->status), "why", it->why, "source", it->source);
  if (j) {
    json_object_set_new (j, "due_date", date_or_null (&it->due));
    json_object_set_new (j, "overdue_after", date_or_null (&it->overdue));
  }
  return j;
}

/* ------------------------------------------------------------ what is due */

/* The active orders as courses of treatment, each with the orders it
 * replaced, newest first; a PA's order counts from its co-signature. */
static GArray *
courses_read (ThApp *app, GPtrArray *orders, GArray *links)
{
  GArray *courses = g_array_new (FALSE, FALSE, sizeof (MonitoringCourse));
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < orders->len; i++) {
    StoreOrder *o = g_ptr_array_index (orders, i);
    g_hash_table_insert (by_id, o->id, o);
  }
  for (guint i = 0; i < orders->len; i++) {
    StoreOrder *o = g_ptr_array_index (orders, i);
    guint start = links->len;

    if (g_strcmp0 (o->status, "active") != 0)
      continue;
    for (guint n = 0; o && n < MAX_CHAIN; n++) {
      const Medication *m = app->catalog ? med_catalog_find (app->catalog, o->medication_id) : NULL;
      MonitoringLink link = {
        .medication_id = o->medication_id,
        .drug_class = m ? m->drug_class : NULL,
        .name = m ? m->name : o->medication_name,
        .since_ms = o->initially_pending && o->cosigned_at_ms ? o->cosigned_at_ms
                                                              : o->created_at_ms,
      };
      g_array_append_val (links, link);
      o = o->replaces_order_id ? g_hash_table_lookup (by_id, o->replaces_order_id) : NULL;
    }
    g_array_append_val (starts, start);
  }
  /* Pointers into `links` only once it has stopped growing. */
  for (guint i = 0; i < starts->len; i++) {
    guint from = g_array_index (starts, guint, i);
    guint to = i + 1 < starts->len ? g_array_index (starts, guint, i + 1) : links->len;
    MonitoringCourse c = { &g_array_index (links, MonitoringLink, from), to - from };
    g_array_append_val (courses, c);
  }
  g_array_unref (starts);
  return courses;
}

/* The due list as JSON for the patient's observations `obs` (newest
 * first); NULL with `error` when the orders cannot be read. */
static json_t *
due_json (ThApp *app, const char *patient_id, GPtrArray *obs, GError **error)
{
  g_autoptr (GPtrArray) orders = store_list_patient_orders (app->store, patient_id, error);
  g_autoptr (GArray) links = NULL, courses = NULL, seen = NULL;
  g_autoptr (GPtrArray) items = NULL;
  GDate today;
  json_t *list;

  if (!orders)
    return NULL;
  links = g_array_new (FALSE, FALSE, sizeof (MonitoringLink));
  courses = courses_read (app, orders, links);
  seen = g_array_new (FALSE, FALSE, sizeof (MonitoringObservation));
  for (guint i = 0; i < obs->len; i++) {
    StoreObservation *o = g_ptr_array_index (obs, i);
    MonitoringObservation m = { o->kind, o->effective_ms };
    g_array_append_val (seen, m);
  }
  th_clinic_today (app, &today);
  items = monitoring_due (app->monitoring, (MonitoringCourse *) (void *) courses->data,
                          courses->len, (MonitoringObservation *) (void *) seen->data, seen->len,
                          &today, app->config->time_zone);
  list = json_array ();
  for (guint i = 0; i < items->len; i++)
    json_array_append_new (list, item_json (g_ptr_array_index (items, i)));
  return list;
}

/* The latest value of each kind, newest first (obs is newest first). */
static json_t *
recent_json (ThApp *app, GPtrArray *obs)
{
  g_autoptr (GHashTable) kinds = g_hash_table_new (g_str_hash, g_str_equal);
  json_t *list = json_array ();

  for (guint i = 0; i < obs->len; i++) {
    StoreObservation *o = g_ptr_array_index (obs, i);
    if (g_hash_table_contains (kinds, o->kind))
      continue;
    g_hash_table_add (kinds, o->kind);
    json_array_append_new (list, observation_json (app, o));
  }
  return list;
}

/* What the entry form offers: each kind with its unit and the values it
 * takes (server/records/observations.c is the one list). */
static json_t *
kinds_json (void)
{
  guint n = 0;
  const ObservationKind *kinds = observation_kinds (&n);
  json_t *list = json_array ();

  for (guint i = 0; i < n; i++)
    json_array_append_new (list,
                           json_pack ("{s:s, s:s, s:s, s:b, s:f, s:f, s:b}", "code", kinds[i].code,
                                      "display", kinds[i].display, "unit_text", kinds[i].unit_text,
                                      "two_values", kinds[i].loinc_value2 != NULL, "min",
                                      kinds[i].min, "max", kinds[i].max, "home", kinds[i].home));
  return list;
}

/* {"due": [...], "recent": [...], "kinds": [...]} for the patient; NULL
 * with `error`. */
static json_t *
monitoring_json (ThApp *app, const char *patient_id, GError **error)
{
  g_autoptr (GPtrArray) obs = store_list_observations (app->store, patient_id, NULL, error);
  json_t *due;

  if (!obs || !(due = due_json (app, patient_id, obs, error)))
    return NULL;
  return json_pack ("{s:o, s:o, s:o}", "due", due, "recent", recent_json (app, obs), "kinds",
                    kinds_json ());
}

json_t *
th_labs_record_json (ThApp *app, const StoreVisit *visit, GError **error)
{
  return monitoring_json (app, visit->patient_id, error);
}

/* ------------------------------------------------------------ routes */

/* 404 for a patient the caller may not see or read; 403 when they may
 * read but not write (write: recording an observation). */
static gboolean
require_access (ThApp *app, const ThApiCall *call, const char *patient_id, gboolean write,
                ThHttpResponse *r)
{
  ThPatientAccess access;

  if (!th_require_record (app, call, patient_id, r, &access))
    return FALSE;
  if (write && !access.write_patient) {
    th_respond_error (r, 403, "forbidden",
                      "Only a clinician who has seen this patient or is on their care team can "
                      "record labs and vital signs. Nothing was saved.");
    return FALSE;
  }
  return TRUE;
}

/* When the value was taken: a date alone is read as noon in the clinic's
 * zone (or now, on today's date before noon); never in the future. */
static gboolean
effective_ms (ThApp *app, const ThObservationBody *b, gint64 now, gint64 *out, ThHttpResponse *r)
{
  GDate today;

  th_clinic_today (app, &today);
  if (!b->has_effective) {
    *out = now;
    return TRUE;
  }
  if (b->effective_is_date) {
    g_autoptr (GDateTime) noon = NULL;
    if (g_date_compare (&b->effective_day, &today) > 0)
      goto future;
    noon = g_date_time_new (app->config->time_zone, g_date_get_year (&b->effective_day),
                            g_date_get_month (&b->effective_day),
                            g_date_get_day (&b->effective_day), 12, 0, 0);
    *out = noon ? MIN (g_date_time_to_unix (noon) * 1000, now) : now;
    return TRUE;
  }
  if (b->effective_ms > now + FUTURE_TOLERANCE_MS)
    goto future;
  *out = b->effective_ms;
  return TRUE;
future:
  th_respond_error (r, 422, "invalid",
                    "The date taken is in the future. Enter the day the blood was drawn or the "
                    "reading taken. Nothing was saved.");
  return FALSE;
}

/* The patient's current medications' catalog ids (NULL-terminated), for
 * thresholds that apply on one drug (platelets on valproate). */
static GStrv
current_medication_ids (ThApp *app, const char *patient_id, GError **error)
{
  g_autoptr (GPtrArray) current = store_current_medications (app->store, patient_id, error);
  GPtrArray *ids;

  if (!current)
    return NULL;
  ids = g_ptr_array_new ();
  for (guint i = 0; i < current->len; i++)
    g_ptr_array_add (ids,
                     g_strdup (((StoreOrder *) g_ptr_array_index (current, i))->medication_id));
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (ids, FALSE);
}

/* The answer to a recorded observation: it as read back, and the due
 * list it may have changed. */
static void
respond_recorded (ThApp *app, ThHttpResponse *r, const char *patient_id, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) obs = store_list_observations (app->store, patient_id, NULL, &error);
  json_t *due = NULL, *item = NULL;

  if (!obs || !(due = due_json (app, patient_id, obs, &error))) {
    th_respond_store_error (r, error, "The value was saved, but could not be shown. Reload.");
    return;
  }
  for (guint i = 0; i < obs->len && !item; i++) {
    StoreObservation *o = g_ptr_array_index (obs, i);
    if (strcmp (o->id, id) == 0)
      item = observation_json (app, o);
  }
  th_respond_json (r, 201,
                   json_pack ("{s:o?, s:O?, s:{s:o, s:o}}", "observation", item, "alert",
                              item ? json_object_get (item, "alert") : NULL, "monitoring", "due",
                              due, "recent", recent_json (app, obs)));
}

void
th_post_observation (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) meds = NULL;
  g_autofree char *id = NULL, *alert_id = NULL;
  MonitoringReading reading = { 0 };
  ThObservationBody b;
  StoreObservationRecord rec;
  gint64 now = store_now_ms (), taken = 0;

  if (!require_access (app, call, patient_id, TRUE, r))
    return;
  if (!th_body_observation (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!effective_ms (app, &b, now, &taken, r))
    return;
  if (!(meds = current_medication_ids (app, patient_id, &error))) {
    th_respond_store_error (r, error,
                            "The patient's medications could not be read. Nothing was "
                            "saved; try again.");
    return;
  }
  monitoring_interpret (app->monitoring, b.kind, b.value, b.has_value2, b.value2,
                        (const char *const *) meds, &reading);
  rec = (StoreObservationRecord) { .patient_id = patient_id,
                                   .kind = b.kind->code,
                                   .loinc = b.kind->loinc,
                                   .value = b.value,
                                   .has_value2 = b.has_value2,
                                   .value2 = b.value2,
                                   .unit = b.kind->unit,
                                   .effective_ms = taken,
                                   .recorded_by = call->caller.staff_id,
                                   .visit_id = b.visit_id[0] ? b.visit_id : NULL,
                                   .interpretation = reading.code,
                                   .alert_rule = reading.alert_rule,
                                   .alert_summary = reading.alert_summary };
  if (!store_record_observation (app->store, &rec, now, &id, &alert_id, &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 422, "invalid",
                        "That visit is not this patient's: record the value from the patient's "
                        "own record. Nothing was saved.");
    else if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", th_patient_refusal ());
    else
      th_respond_store_error (r, error, "The value could not be saved. Try again.");
    goto out;
  }
  /* What and whether it alerted; never the value (the record has it). */
  th_audit (app, req->address, call->caller.staff_id, "observation.record", patient_id,
            json_pack ("{s:s, s:s, s:s, s:s?}", "observation", id, "kind", b.kind->code,
                       "interpretation", reading.code, "alert", alert_id));
  respond_recorded (app, r, patient_id, id);
out:
  monitoring_reading_clear (&reading);
}

void
th_get_observations (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) obs = NULL;
  json_t *list, *due;

  if (!require_access (app, call, patient_id, FALSE, r))
    return;
  if (!(obs = store_list_observations (app->store, patient_id, NULL, &error)) ||
      !(due = due_json (app, patient_id, obs, &error))) {
    th_respond_store_error (r, error, "The labs and vital signs could not be read. Reload.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < obs->len; i++)
    json_array_append_new (list, observation_json (app, g_ptr_array_index (obs, i)));
  th_audit (app, req->address, call->caller.staff_id, "observation.list", patient_id, NULL);
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:{s:o, s:o}}", "observations", list, "monitoring", "due", due,
                              "recent", recent_json (app, obs)));
}

void
th_get_monitoring (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  json_t *monitoring;

  if (!require_access (app, call, patient_id, FALSE, r))
    return;
  if (!(monitoring = monitoring_json (app, patient_id, &error))) {
    th_respond_store_error (r, error, "What is due could not be read. Reload.");
    return;
  }
  th_audit (app, req->address, call->caller.staff_id, "monitoring.view", patient_id, NULL);
  th_respond_json (r, 200, monitoring);
}

/* ------------------------------------------------------------ FHIR */

gboolean
th_fhir_patient_add_observations (ThApp *app, const char *patient_id, json_t *entries,
                                  GError **error)
{
  return fhir_add_observations (app->store, app->monitoring, app->base_url, patient_id, NULL,
                                entries, error);
}

gboolean
th_fhir_visit_add_observations (ThApp *app, const StoreVisit *visit, json_t *entries,
                                GError **error)
{
  return fhir_add_observations (app->store, app->monitoring, app->base_url, visit->patient_id,
                                visit->id, entries, error);
}
