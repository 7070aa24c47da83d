/* records.c — REST routes of the follow-up record: the catalog, the
 * patient's check-in, the provider's record of a visit, notes, the
 * patient's timeline, the in-person evaluation date and the FHIR export.
 * Bodies are validated into C values at the edge; the rules live in
 * clinical_*.c, the writes in store_*.c. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/clock/clock.h"
#include "server/api/fhir.h"
#include "server/api/labs.h"

#include <string.h>

/* ------------------------------------------------------------ JSON out */

/* One scale as the record shows it. ASRS part A is read as its count of
 * shaded items (0..6), not the sum of its answers; the symptom checklist
 * as its two subscales. */
static json_t *
scale_json (const StoreScaleResult *s)
{
  ScaleKind kind;
  ScaleScore score = { 0 };
  gboolean known = scale_from_name (s->scale, &kind);
  json_t *items = json_array (), *obj;
  guint total = s->total;

  for (guint k = 0; k < s->n_items; k++)
    json_array_append_new (items, json_integer (s->items[k]));
  /* Scores derived from the stored answers by the same rules that scored them. */
  if (known && !scale_score (kind, s->items, s->n_items, &score, NULL))
    known = FALSE;
  if (known && kind == SCALE_ASRS_A)
    total = score.flags;
  obj = json_pack ("{s:s, s:s, s:o, s:i, s:s, s:b}", "scale", s->scale, "title",
                   known ? scale_title (kind) : s->scale, "items", items, "total",
                   (json_int_t) total, "band", s->band ? s->band : "", "alert", s->alert);
  if (known && kind == SCALE_ASRS_A) {
    json_object_set_new (obj, "positive", json_boolean (score.positive));
    json_object_set_new (obj, "shaded", json_integer (score.flags));
  }
  if (known && kind == SCALE_ASRS18)
    json_object_set_new (obj, "subscales",
                         json_pack ("{s:i, s:i, s:i}", "inattentive",
                                    (json_int_t) score.inattentive, "hyperactive",
                                    (json_int_t) score.hyperactive, "max",
                                    (json_int_t) ASRS18_SUBSCALE_MAX));
  return obj;
}

json_t *
th_checkin_json (const StoreCheckin *c)
{
  g_autofree char *at = th_iso_from_ms (c->submitted_at_ms);
  json_t *scales = json_array (), *effects = json_array (), *missed = json_array ();

  for (guint i = 0; c->scales && i < c->scales->len; i++)
    json_array_append_new (scales, scale_json (g_ptr_array_index (c->scales, i)));
  for (guint i = 0; c->side_effects && i < c->side_effects->len; i++) {
    StoreSideEffect *e = g_ptr_array_index (c->side_effects, i);
    json_array_append_new (effects, json_pack ("{s:s, s:i}", "name", e->name, "severity",
                                               (json_int_t) e->severity));
  }
  for (guint i = 0; c->missed_doses && i < c->missed_doses->len; i++) {
    StoreMissedDose *m = g_ptr_array_index (c->missed_doses, i);
    json_array_append_new (missed,
                           json_pack ("{s:s, s:s, s:f, s:s, s:s, s:i, s:i}", "order_id",
                                      m->order_id, "medication",
                                      m->medication_name ? m->medication_name : "", "dose", m->dose,
                                      "unit", m->unit ? m->unit : "", "frequency",
                                      m->frequency ? m->frequency : "", "missed",
                                      (json_int_t) m->missed, "max", (json_int_t) m->max_missed));
  }
  /* missed_doses_14d: the single number of check-ins made before missed
   * doses were asked per medication (null on every newer one). */
  return json_pack ("{s:s, s:s, s:o, s:o, s:o, s:o}", "id", c->id ? c->id : "", "submitted_at", at,
                    "missed_doses", missed, "missed_doses_14d",
                    c->missed_doses_14d < 0 ? json_null () : json_integer (c->missed_doses_14d),
                    "side_effects", effects, "scales", scales);
}

/* The clinic's crisis numbers ([clinic]), for the item-9 messages. */
static json_t *
safety_json (ThApp *app)
{
  return json_pack ("{s:s, s:s, s:s}", "emergency_number", app->config->emergency_number,
                    "crisis_line", app->config->crisis_line, "crisis_line_name",
                    app->config->crisis_line_name);
}

/* The provider's alert for PHQ-9 item 9 above 0, with the numbers the
 * patient was given. */
static char *
item9_alert_message (ThApp *app)
{
  return g_strdup_printf ("PHQ-9 item 9: the patient reported thoughts of being better off dead "
                          "or of self-harm. Assess safety in this visit. The patient was told: "
                          "in danger now, call %s; to talk to someone now, call or text %s (%s).",
                          app->config->emergency_number, app->config->crisis_line,
                          app->config->crisis_line_name);
}

static json_t *
note_json (const StoreNote *n)
{
  g_autofree char *at = th_iso_from_ms (n->at_ms);

  return json_pack ("{s:s, s:s, s:s, s:s}", "id", n->id, "at", at, "author",
                    n->author_name ? n->author_name : "", "text", n->text);
}

static json_t *
orders_json (ThApp *app, GPtrArray *orders)
{
  json_t *list = json_array ();

  for (guint i = 0; orders && i < orders->len; i++)
    json_array_append_new (list, th_order_json (app, g_ptr_array_index (orders, i)));
  return list;
}

static json_t *
notes_json (GPtrArray *notes)
{
  json_t *list = json_array ();

  for (guint i = 0; notes && i < notes->len; i++)
    json_array_append_new (list, note_json (g_ptr_array_index (notes, i)));
  return list;
}

/* ------------------------------------------------------------- helpers */

static gboolean
patient_on_adhd_medication (ThApp *app, GPtrArray *meds)
{
  for (guint i = 0; meds && i < meds->len; i++) {
    StoreOrder *o = g_ptr_array_index (meds, i);
    /* The order's own snapshot first: the catalog may have renamed it. */
    Medication *snapshot = med_snapshot_parse (o->snapshot);
    const Medication *m = snapshot ? snapshot : med_catalog_find (app->catalog, o->medication_id);
    gboolean adhd = m && m->adhd && g_strcmp0 (o->status, "active") == 0;
    medication_free (snapshot);
    if (adhd)
      return TRUE;
  }
  return FALSE;
}

/* The current medications a patient is asked missed doses about: active
 * orders taken on a schedule (an as-needed one has no dose to miss). */
static gboolean
missed_dose_askable (const StoreOrder *o)
{
  return g_strcmp0 (o->status, "active") == 0 && missed_dose_cap (o->frequency) > 0;
}

static json_t *
askable_medications_json (GPtrArray *meds)
{
  json_t *list = json_array ();

  for (guint i = 0; meds && i < meds->len; i++) {
    StoreOrder *o = g_ptr_array_index (meds, i);
    const char *freq = med_frequency_text (o->frequency);
    if (!missed_dose_askable (o))
      continue;
    json_array_append_new (list,
                           json_pack ("{s:s, s:s, s:f, s:s, s:s, s:s, s:i}", "order_id", o->id,
                                      "medication", o->medication_name ? o->medication_name : "",
                                      "dose", o->dose, "unit", o->unit ? o->unit : "", "frequency",
                                      o->frequency ? o->frequency : "", "frequency_text",
                                      freq ? freq : "", "max",
                                      (json_int_t) missed_dose_cap (o->frequency)));
  }
  return list;
}

/* ------------------------------------------------------------- catalog */

/* One formulation for the order form: what it may offer (routes,
 * frequencies, strengths), the maximum daily dose it shows live, and what
 * the amount means. */
static json_t *
catalog_entry_json (const Medication *m)
{
  json_t *strengths = json_array (), *routes = json_array (), *freqs = json_array ();
  json_t *codes = json_array (), *j;

  for (guint k = 0; k < m->n_strengths; k++)
    json_array_append_new (strengths, json_real (m->strengths[k]));
  for (guint k = 0; k < med_route_count (); k++)
    if (med_route_allowed (m, med_route_code (k)))
      json_array_append_new (routes, json_string (med_route_code (k)));
  for (guint k = 0; k < med_frequency_count (); k++)
    if (med_frequency_allowed (m, med_frequency_code (k)))
      json_array_append_new (freqs, json_string (med_frequency_code (k)));
  for (guint k = 0; k < m->n_codes; k++)
    json_array_append_new (codes, json_pack ("{s:s, s:s}", "code", m->codes[k].code, "tty",
                                             m->codes[k].tty));
  j = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:s, s:o, s:o, s:o,"
                 " s:{s:f, s:s, s:s}, s:i, s:b}",
                 "id", m->id, "name", m->name, "display", m->display, "dose_form", m->dose_form,
                 "rxnorm", m->rxnorm, "codes", codes, "class", m->drug_class, "schedule",
                 m->schedule, "controlled", medication_is_controlled (m), "unit", m->unit,
                 "strengths", strengths, "routes", routes, "frequencies", freqs, "max_daily",
                 "amount", m->max_daily, "source", m->max_daily_source, "detail",
                 m->max_daily_detail, "max_refills",
                 g_strcmp0 (m->schedule, "II") == 0 ? 0
                 : medication_is_controlled (m)     ? 5
                                                    : 11,
                 "adhd", m->adhd);
  if (m->dose_note)
    json_object_set_new (j, "dose_note", json_string (m->dose_note));
  return j;
}

void
th_get_catalog (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  json_t *meds, *freqs, *routes;

  (void) req;
  (void) call;
  meds = json_array ();
  freqs = json_array ();
  routes = json_array ();
  for (guint i = 0; i < med_catalog_size (app->catalog); i++)
    json_array_append_new (meds, catalog_entry_json (med_catalog_get (app->catalog, i)));
  for (guint i = 0; i < med_frequency_count (); i++) {
    const char *code = med_frequency_code (i);
    json_array_append_new (freqs, json_pack ("{s:s, s:s, s:i, s:i, s:b, s:b}", "code", code, "text",
                                             med_frequency_text (code), "per_day",
                                             (int) med_frequency_per_day (code), "period_days",
                                             (int) med_frequency_period_days (code), "split",
                                             med_frequency_is_split (code), "as_needed",
                                             med_frequency_per_day (code) == 0));
  }
  for (guint i = 0; i < med_route_count (); i++)
    json_array_append_new (routes, json_string (med_route_code (i)));
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:o, s:o}", "medications", meds, "frequencies", freqs,
                              "routes", routes));
}

/* ------------------------------------------------------------ check-in */

/* The decoded answers as the store keeps them. Each missed-dose count must
 * name a current medication taken on a schedule, within its cap; FALSE with
 * a sentence for the patient otherwise. */
static gboolean
checkin_from_body (const ThCheckinBody *b, GPtrArray *meds, StoreCheckin *c, char **problem)
{
  for (guint i = 0; i < b->n_missed_doses; i++) {
    const ThMissedDoseBody *d = &b->missed_doses[i];
    const StoreOrder *found = NULL;
    StoreMissedDose *m;
    for (guint k = 0; meds && k < meds->len && !found; k++) {
      const StoreOrder *o = g_ptr_array_index (meds, k);
      if (strcmp (o->id, d->order_id) == 0 && missed_dose_askable (o))
        found = o;
    }
    if (!found) {
      *problem = g_strdup ("One of the medicines in your answers is not on your current list any "
                           "more. Reload the page to see your current medicines.");
      return FALSE;
    }
    if (d->missed > missed_dose_cap (found->frequency)) {
      *problem = g_strdup_printf ("Missed doses of %s: enter a whole number from 0 to %u.",
                                  found->medication_name ? found->medication_name : "a medicine",
                                  missed_dose_cap (found->frequency));
      return FALSE;
    }
    m = g_new0 (StoreMissedDose, 1);
    m->order_id = g_strdup (d->order_id);
    m->missed = d->missed;
    m->max_missed = missed_dose_cap (found->frequency);
    g_ptr_array_add (c->missed_doses, m);
  }
  for (guint i = 0; i < b->n_scales; i++) {
    const ThScaleBody *s = &b->scales[i];
    StoreScaleResult *res = g_new0 (StoreScaleResult, 1);
    res->scale = g_strdup (scale_name (s->kind));
    memcpy (res->items, s->items, s->n_items * sizeof s->items[0]);
    res->n_items = s->n_items;
    res->total = s->score.total;
    res->band = g_strdup (s->score.band);
    res->alert = s->score.alert;
    res->positive = s->score.positive;
    g_ptr_array_add (c->scales, res);
  }
  for (guint i = 0; i < b->n_side_effects; i++) {
    StoreSideEffect *e = g_new0 (StoreSideEffect, 1);
    e->name = g_strdup (b->side_effects[i].name);
    e->severity = b->side_effects[i].severity;
    g_ptr_array_add (c->side_effects, e);
  }
  return TRUE;
}

void
th_post_checkin (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const ThCaller *caller = &call->caller;
  const StoreVisit *visit = &call->visit;
  StoreCheckin *c = store_checkin_new ();
  ThCheckinBody body = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) meds = NULL;
  g_autofree char *id = NULL, *problem = NULL;

  if (caller->kind != CALLER_PATIENT || caller->participant.role != PARTICIPANT_PATIENT) {
    th_respond_error (r, 403, "forbidden",
                      "Only the patient answers the check-in, from their own visit link.");
    goto out;
  }
  if (visit->state == VISIT_ENDED) {
    th_respond_error (r, 409, "bad-state",
                      "This visit has ended, so answers can no longer be added to it.");
    goto out;
  }
  if (!th_body_checkin (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  meds = store_current_medications (app->store, visit->patient_id, &error);
  if (!meds) {
    th_respond_store_error (r, error,
                            "Your answers could not be saved. Please try again in a moment.");
    goto out;
  }
  if (!checkin_from_body (&body, meds, c, &problem)) {
    th_respond_error (r, 422, "invalid", problem);
    goto out;
  }
  id = store_save_checkin (app->store, visit->id, c, &error);
  if (!id) {
    th_respond_store_error (r, error,
                            "Your answers could not be saved. Please try again in a moment.");
    goto out;
  }
  th_audit (app, req->address, caller->participant.id, "checkin.submit", visit->id,
            json_pack ("{s:s}", "patient", visit->patient_id));
  /* The provider's open record shows the answers now, not at its next poll. */
  th_app_record_changed (app, visit->id, "checkin");
  store_checkin_clear (c);
  if (!store_get_latest_checkin (app->store, visit->id, c, &error)) {
    th_respond_store_error (r, error,
                            "Your answers were saved, but could not be shown. Reload the page.");
    goto out;
  }
  th_respond_json (r, 201, json_pack ("{s:o}", "checkin", th_checkin_json (c)));
out:
  th_checkin_body_clear (&body);
  store_checkin_free (c);
}

/* The visit's latest check-in, or JSON null when there is none; NULL with
 * `error` set when it cannot be read. The caller then answers 500: a
 * record shown without a check-in that exists would hide its PHQ-9 item-9
 * alert. */
static json_t *
latest_checkin_json (ThApp *app, const char *visit_id, GError **error)
{
  g_autoptr (GError) local = NULL;
  StoreCheckin c = { 0 };
  json_t *obj;

  if (!store_get_latest_checkin (app->store, visit_id, &c, &local)) {
    if (th_store_absent (local))
      return json_null ();
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  obj = th_checkin_json (&c);
  store_checkin_clear (&c);
  return obj;
}

void
th_get_checkin (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const StoreVisit *visit = &call->visit;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) meds = store_current_medications (app->store, visit->patient_id, &error);
  json_t *checkin = meds ? latest_checkin_json (app, visit->id, &error) : NULL;

  (void) req;
  if (!checkin) {
    th_respond_store_error (r, error, "The check-in questions could not be read. Reload the page.");
    return;
  }
  /* asks_asrs: the patient is on ADHD medication, so the form asks the
   * 18-item symptom checklist; medications: what missed doses are asked of. */
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:b, s:o, s:o}", "checkin", checkin, "asks_asrs",
                              patient_on_adhd_medication (app, meds), "medications",
                              askable_medications_json (meds), "safety", safety_json (app)));
}

/* -------------------------------------------------------------- record */

/* NULL with `error` set when the patient's dates cannot be read: a missing
 * evaluation date would read as "none on record". */
static json_t *
patient_json (ThApp *app, const char *patient_id, const char *name, GError **error)
{
  GDate eval;
  g_autofree char *date = NULL, *birth_date = NULL;
  json_t *by;

  if (!store_get_in_person_evaluation (app->store, patient_id, &eval, error) ||
      !store_get_patient_birth_date (app->store, patient_id, &birth_date, error) ||
      !(by = th_in_person_eval_by_json (app, patient_id, error)))
    return NULL;
  /* Dates, "YYYY-MM-DD": an instant would show as another day in a zone
   * far from UTC. */
  date = th_date_format (&eval);
  return json_pack ("{s:s, s:s, s:o, s:o, s:o}", "id", patient_id, "display_name", name ? name : "",
                    "in_person_eval_at", date ? json_string (date) : json_null (),
                    "in_person_eval_by", by, "birth_date",
                    birth_date ? json_string (birth_date) : json_null ());
}

/* The record's alerts: one for each scale of the check-in that raised one
 * (PHQ-9 item 9 above 0). */
static json_t *
checkin_alerts_json (ThApp *app, json_t *checkin)
{
  json_t *alerts = json_array (), *s;
  size_t i;

  json_array_foreach (json_object_get (checkin, "scales"), i, s)
  {
    if (json_is_true (json_object_get (s, "alert"))) {
      g_autofree char *message = item9_alert_message (app);
      json_array_append_new (alerts, json_pack ("{s:s, s:s, s:o}", "kind", "phq9-item9", "message",
                                                message, "safety", safety_json (app)));
    }
  }
  return alerts;
}

void
th_get_record (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const StoreVisit *visit = &call->visit;
  const char *visit_id = visit->id;
  g_autoptr (GPtrArray) history = NULL, current = NULL, orders = NULL, notes = NULL;
  g_autoptr (GError) error = NULL;
  json_t *checkin = NULL, *patient = NULL, *trend, *next = NULL, *follow_up = NULL, *obj;
  json_t *monitoring = NULL;

  th_audit (app, req->address, staff_id, "record.view", visit_id,
            json_pack ("{s:s}", "patient", visit->patient_id));
  /* Any read that fails fails the whole record: a part left out would look
   * like "nothing there", and the check-in carries the item-9 alert. */
  if (!(history = store_patient_score_history (app->store, visit->patient_id, &error)) ||
      !(current = store_current_medications (app->store, visit->patient_id, &error)) ||
      !(orders = store_list_patient_orders (app->store, visit->patient_id, &error)) ||
      !(notes = store_list_notes (app->store, visit_id, &error)) ||
      !(checkin = latest_checkin_json (app, visit_id, &error)) ||
      !(patient = patient_json (app, visit->patient_id, visit->patient_name, &error)) ||
      !(next = th_next_visit_json (app, visit, &error)) ||
      !(follow_up = th_follow_up_record_json (app, visit_id, &error)) ||
      !(monitoring = th_labs_record_json (app, visit, &error))) {
    json_decref (checkin);
    json_decref (patient);
    json_decref (next);
    json_decref (follow_up);
    th_respond_store_error (r, error,
                            "The record could not be read. Reload the page; if this keeps "
                            "happening, tell the clinic's administrator.");
    return;
  }
  trend = json_array ();
  for (guint i = 0; i < history->len; i++) {
    StoreScorePoint *p = g_ptr_array_index (history, i);
    g_autofree char *at = th_iso_from_ms (p->scheduled_at_ms);
    StoreScaleResult as_stored = { .scale = p->scale,
                                   .n_items = p->n_items,
                                   .total = p->total,
                                   .band = p->band,
                                   .alert = p->alert };
    json_t *point;

    /* Read as the check-in is (part A: shaded count; checklist: subscales). */
    memcpy (as_stored.items, p->items, sizeof as_stored.items);
    point = scale_json (&as_stored);
    json_object_del (point, "items");
    json_object_del (point, "title");
    json_object_set_new (point, "visit_id", json_string (p->visit_id));
    json_object_set_new (point, "scheduled_at", json_string (at));
    json_array_append_new (trend, point);
  }
  obj = json_pack ("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "visit",
                   th_visit_summary_json (visit), "patient", patient, "checkin", checkin, "alerts",
                   checkin_alerts_json (app, checkin), "score_history", trend,
                   "current_medications", orders_json (app, current), "orders",
                   orders_json (app, orders), "notes", notes_json (notes));
  /* When the patient is seen next (issue 13), and what this visit asked. */
  json_object_set_new (obj, "next_visit", next);
  json_object_set_new (obj, "follow_up", follow_up);
  /* Labs and vital signs: what is due, the latest of each (labs.c). */
  json_object_set_new (obj, "monitoring", monitoring);
  /* Adherence and side effects per medication, MBC labels (issue 14). */
  if (!th_record_add_adherence (app, visit, current, orders, history, obj, &error)) {
    json_decref (obj);
    th_respond_store_error (r, error, "The record could not be read. Reload the page.");
    return;
  }
  th_respond_json (r, 200, obj);
}

void
th_post_note (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const StoreVisit *visit = &call->visit;
  const char *visit_id = visit->id;
  g_autofree char *note_id = NULL, *text = NULL;
  g_autoptr (GPtrArray) notes = NULL;
  g_autoptr (GError) error = NULL;

  if (!th_body_note (req->body, req->body_len, &text, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  note_id = store_add_note (app->store, visit_id, staff_id, text, &error);
  if (!note_id) {
    th_respond_store_error (r, error,
                            "The note could not be saved. Try again; it is still in the box.");
    return;
  }
  th_audit (app, req->address, staff_id, "note.add", visit_id,
            json_pack ("{s:s, s:s}", "note", note_id, "patient", visit->patient_id));
  notes = store_list_notes (app->store, visit_id, &error);
  if (!notes) {
    th_respond_store_error (r, error,
                            "The note was saved, but could not be shown. Reload the page.");
    return;
  }
  for (guint i = 0; i < notes->len; i++) {
    StoreNote *n = g_ptr_array_index (notes, i);
    if (strcmp (n->id, note_id) == 0) {
      th_respond_json (r, 201, json_pack ("{s:o}", "note", note_json (n)));
      return;
    }
  }
  th_respond_error (r, 500, "internal",
                    "The note was saved, but could not be shown. Reload the page.");
}

void
th_get_fhir (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const StoreVisit *visit = &call->visit;
  const char *visit_id = visit->id;
  g_autoptr (GError) error = NULL;
  json_t *bundle;

  bundle = fhir_visit_bundle (app->store, app->catalog, visit_id, app->base_url, &error);
  /* The patient's safety tasks (a Flag while one is open; the C-SSRS screen
   * once closed) travel with every export of theirs (fhir_safety.c), and
   * the labs and vital signs recorded in this visit (labs.c). */
  if (bundle && (!th_fhir_patient_add_safety (app, visit->patient_id,
                                              json_object_get (bundle, "entry"), &error) ||
                 !th_fhir_visit_add_observations (app, visit, json_object_get (bundle, "entry"),
                                                  &error)))
    g_clear_pointer (&bundle, json_decref);
  if (!bundle) {
    th_respond_store_error (r, error,
                            "The FHIR export could not be built. Try again; if this keeps "
                            "happening, tell the clinic's administrator.");
  } else {
    th_audit (app, req->address, staff_id, "visit.export-fhir", visit_id,
              json_pack ("{s:s}", "patient", visit->patient_id));
    th_respond_json (r, 200, bundle);
    r->content_type = "application/fhir+json";
  }
}

/* ------------------------------------------------------------- patients */

/* 404 for a patient who is absent or whose record the caller may not
 * read (careteam.c decides: read_only asks to read, else to write a
 * patient-level fact); 500 (with its cause) when the store cannot tell. */
static gboolean
require_patient (ThApp *app, const ThCaller *caller, const char *patient_id, ThHttpResponse *r,
                 GPtrArray **visits_out, gboolean read_only)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) visits = NULL;
  ThPatientAccess access;

  if (!th_patient_access (app, caller, patient_id, &access, &error)) {
    th_respond_store_error (r, error, "The patient could not be read. Reload the page.");
    return FALSE;
  }
  if (!(read_only ? access.read_record : access.write_patient)) {
    th_respond_error (r, 404, "not-found", th_patient_refusal ());
    return FALSE;
  }
  if (!visits_out)
    return TRUE;
  visits = store_list_patient_visits (app->store, patient_id, &error);
  if (!visits) {
    th_respond_store_error (r, error, "The patient's visits could not be read. Reload the page.");
    return FALSE;
  }
  *visits_out = g_steal_pointer (&visits);
  return TRUE;
}

/* The visit's chat, consent answers and modality switches, oldest first
 * within each kind; NULL with `error` set when they cannot be read. */
static json_t *
activity_json (ThApp *app, const char *visit_id, GError **error)
{
  g_autoptr (GPtrArray) activity = store_visit_activity (app->store, visit_id, error);
  json_t *list;

  if (!activity)
    return NULL;
  list = json_array ();
  for (guint i = 0; i < activity->len; i++)
    json_array_append_new (list, th_activity_json (g_ptr_array_index (activity, i)));
  return list;
}

/* One visit of the patient's timeline: its scores, the orders it wrote or
 * stopped, its notes and activity. NULL with `error` set when any of them
 * cannot be read: a visit shown without them would say "none". */
static json_t *
timeline_visit_json (ThApp *app, const StoreVisit *v, GError **error)
{
  g_autoptr (GPtrArray) orders = NULL, notes = NULL;
  json_t *checkin = NULL, *activity = NULL, *item, *scores, *adjustments, *s;
  size_t k;

  if (!(orders = store_list_visit_orders (app->store, v->id, error)) ||
      !(notes = store_list_notes (app->store, v->id, error)) ||
      !(checkin = latest_checkin_json (app, v->id, error)) ||
      !(activity = activity_json (app, v->id, error))) {
    json_decref (checkin);
    return NULL;
  }
  scores = json_array ();
  json_array_foreach (json_object_get (checkin, "scales"), k, s)
    json_array_append_new (scores,
                           json_pack ("{s:O, s:O, s:O, s:O}", "scale", json_object_get (s, "scale"),
                                      "total", json_object_get (s, "total"), "band",
                                      json_object_get (s, "band"), "alert",
                                      json_object_get (s, "alert")));
  json_decref (checkin);
  /* An earlier visit's order is here because this visit stopped it. */
  adjustments = orders_json (app, orders);
  for (guint i = 0; i < orders->len; i++) {
    StoreOrder *o = g_ptr_array_index (orders, i);
    json_object_set_new (json_array_get (adjustments, i), "in_visit",
                         json_string (g_strcmp0 (o->visit_id, v->id) == 0 ? "written" : "stopped"));
  }
  item = th_visit_summary_json (v);
  json_object_set_new (item, "provider",
                       json_pack ("{s:s, s:s}", "id", v->provider_id, "display_name",
                                  v->provider_name ? v->provider_name : ""));
  json_object_set_new (item, "scores", scores);
  json_object_set_new (item, "adjustments", adjustments);
  json_object_set_new (item, "notes", notes_json (notes));
  json_object_set_new (item, "activity", activity);
  return item;
}

void
th_get_timeline (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GPtrArray) visits = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  json_t *list, *patient;

  if (!require_patient (app, &call->caller, patient_id, r, &visits, TRUE))
    return;
  th_audit (app, req->address, staff_id, "patient.timeline-view", patient_id,
            json_pack ("{s:s}", "patient", patient_id));
  list = json_array ();
  for (guint i = 0; i < visits->len; i++) {
    json_t *item = timeline_visit_json (app, g_ptr_array_index (visits, i), &error);
    if (!item)
      goto failed;
    json_array_append_new (list, item);
  }
  /* A care team may follow a patient who has no visit yet. */
  if (visits->len == 0 && !store_get_patient (app->store, patient_id, &name, &error))
    goto failed;
  patient = patient_json (app, patient_id,
                          visits->len ? ((StoreVisit *) g_ptr_array_index (visits, 0))->patient_name
                                      : name,
                          &error);
  if (!patient)
    goto failed;
  th_respond_json (r, 200, json_pack ("{s:o, s:o}", "patient", patient, "visits", list));
  return;
failed:
  json_decref (list);
  th_respond_store_error (r, error,
                          "The patient's timeline could not be read. Reload the page; if this "
                          "keeps happening, tell the clinic's administrator.");
}

void
th_post_in_person_evaluation (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                              const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  ThEvaluationBody body;
  GDate today;

  if (!require_patient (app, &call->caller, patient_id, r, NULL, FALSE))
    return;
  if (!th_body_in_person_evaluation (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  /* Compared as dates in the clinic's zone: today is fine at any hour, and
   * the prescribing rule never meets a date it would refuse. */
  th_clinic_today (app, &today);
  if (!g_date_valid (&today) || g_date_compare (&body.day, &today) > 0) {
    g_autofree char *today_text = th_date_format (&today);
    g_autofree char *message =
      g_strdup_printf ("The in-person evaluation date is after today (%s). Enter the date it "
                       "took place. Nothing was saved.",
                       today_text ? today_text : "unknown");
    th_respond_error (r, 422, "invalid", message);
    return;
  }
  if (!store_set_in_person_evaluation_by (app->store, patient_id, &body.day,
                                          body.performed_by[0] ? body.performed_by : NULL,
                                          &error)) {
    th_respond_store_error (r, error, "The date could not be saved. Try again.");
    return;
  }
  th_audit (app, req->address, staff_id, "patient.in-person-evaluation", patient_id,
            json_pack ("{s:s, s:s}", "date", body.date, "performed_by", body.performed_by));
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:o}", "in_person_eval_at", body.date, "in_person_eval_by",
                              th_in_person_eval_by_json (app, patient_id, NULL)));
}
