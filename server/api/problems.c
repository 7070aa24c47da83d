/* problems.c — the patient's diagnoses (ICD-10-CM conditions of the clinic's
 * list) and allergies and intolerances: list, record, change status
 * (problems.h). Who may read is decided once (th_require_record); writing
 * needs the clinician's access to the patient's clinical facts. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/problems.h"
#include "server/api/bodies-problems.h"
#include "server/clock/clock.h"

#include <string.h>

/* Reading: the record's readers; writing: a clinician of the patient. */
static gboolean
require_access (ThApp *app, const ThApiCall *call, const char *patient_id, gboolean write,
                const char *what, ThHttpResponse *r)
{
  ThPatientAccess access;

  if (!th_require_record (app, call, patient_id, r, &access))
    return FALSE;
  if (write && !access.write_patient) {
    g_autofree char *m = g_strdup_printf ("Only a clinician who has seen this patient or is on "
                                          "their care team can record %s. Nothing was saved.",
                                          what);
    th_respond_error (r, 403, "forbidden", m);
    return FALSE;
  }
  return TRUE;
}

/* A date the clinician gave, not after the clinic's today; FALSE after 422. */
static gboolean
not_future (ThApp *app, gboolean has, const GDate *day, const char *what, ThHttpResponse *r)
{
  GDate today;

  th_clinic_today (app, &today);
  if (has && g_date_compare (day, &today) > 0) {
    g_autofree char *m = g_strdup_printf ("%s cannot be after today. Nothing was saved.", what);
    th_respond_error (r, 422, "invalid", m);
    return FALSE;
  }
  return TRUE;
}

static json_t *
staff_json (const char *id, const char *name)
{
  return json_pack ("{s:s?, s:s?}", "id", id, "display_name", name);
}

/* A write the store refused: the visit of another patient (422), an entry
 * that is not this patient's (404), or a failure (500). */
static void
respond_write_error (ThHttpResponse *r, const GError *error, const char *not_found,
                     const char *failed)
{
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
    th_respond_error (r, 422, "invalid", error->message);
  else if (th_store_absent (error))
    th_respond_error (r, 404, "not-found", not_found);
  else
    th_respond_store_error (r, error, failed);
}

/* ------------------------------------------------------------ conditions */

static json_t *
condition_json (ThApp *app, const StoreCondition *c)
{
  const RxCondition *entry = rx_condition_find (app->rx ? app->rx->conditions : NULL, c->code);
  g_autofree char *recorded = th_iso_from_ms (c->recorded_at_ms);
  g_autofree char *changed = th_iso_from_ms (c->status_at_ms);

  return json_pack ("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:b, s:s?, s:o, s:s, s:s, s:o, "
                    "s:s?}",
                    "id", c->id, "code", c->code, "display", c->display, "group",
                    entry ? entry->group : NULL, "onset", c->onset_date, "clinical_status",
                    c->clinical_status, "verification_status", c->verification_status, "active",
                    rx_condition_clinical_is_active (c->clinical_status) &&
                      g_strcmp0 (c->verification_status, "entered-in-error") != 0 &&
                      g_strcmp0 (c->verification_status, "refuted") != 0,
                    "visit_id", c->visit_id, "recorded_by",
                    staff_json (c->recorded_by, c->recorded_by_name), "recorded_at", recorded,
                    "status_at", changed, "status_by", staff_json (c->status_by, c->status_by_name),
                    "status_reason", c->status_reason);
}

static json_t *
condition_choices (ThApp *app)
{
  const RxConditionTable *t = app->rx ? app->rx->conditions : NULL;
  json_t *list = json_array ();

  for (guint i = 0; t && i < t->n_conditions; i++)
    json_array_append_new (list,
                           json_pack ("{s:s, s:s, s:s}", "code", t->conditions[i].code, "display",
                                      t->conditions[i].display, "group", t->conditions[i].group));
  return list;
}

/* 200 with the patient's conditions (status: 200 or 201 after a change). */
static void
respond_conditions (ThApp *app, ThHttpResponse *r, guint status, const char *patient_id,
                    const char *changed_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = store_list_conditions (app->store, patient_id, &error);
  json_t *list, *changed = NULL;

  if (!rows) {
    th_respond_store_error (r, error, "The diagnoses could not be read. Reload the page.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < rows->len; i++) {
    const StoreCondition *c = g_ptr_array_index (rows, i);
    json_t *j = condition_json (app, c);
    if (g_strcmp0 (c->id, changed_id) == 0)
      changed = json_incref (j);
    json_array_append_new (list, j);
  }
  th_respond_json (r, status,
                   json_pack ("{s:o, s:o*, s:o, s:s?}", "conditions", list, "condition", changed,
                              "choices", condition_choices (app), "source",
                              app->rx && app->rx->conditions ? app->rx->conditions->source : NULL));
}

void
th_get_conditions (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");

  if (!require_access (app, call, patient_id, FALSE, "diagnoses", r))
    return;
  th_audit (app, req->address, call->caller.staff_id, "condition.list", patient_id, NULL);
  respond_conditions (app, r, 200, patient_id, NULL);
}

void
th_post_condition (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL, *onset = NULL;
  ThConditionBody b;
  const RxCondition *entry;

  if (!require_access (app, call, patient_id, TRUE, "diagnoses", r))
    return;
  if (!th_body_condition (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  entry = rx_condition_find (app->rx ? app->rx->conditions : NULL, b.code);
  if (!entry) {
    g_autofree char *m = g_strdup_printf ("%s is not in the clinic's list of diagnoses: choose "
                                          "one from the list. Nothing was saved.",
                                          b.code);
    th_respond_error (r, 422, "unknown-diagnosis", m);
    goto out;
  }
  if (!not_future (app, b.has_onset, &b.onset, "The onset", r))
    goto out;
  onset = b.has_onset ? th_date_format (&b.onset) : NULL;
  id = store_add_condition (app->store,
                            &(StoreConditionNew) { .patient_id = patient_id,
                                                   .code = entry->code,
                                                   .display = entry->display,
                                                   .onset_date = onset,
                                                   .visit_id = b.visit_id,
                                                   .clinical_status = b.clinical_status,
                                                   .verification_status = b.verification_status,
                                                   .recorded_by = call->caller.staff_id },
                            store_now_ms (), &error);
  if (!id) {
    respond_write_error (r, error, th_patient_refusal (),
                         "The diagnosis could not be saved. Try again.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "condition.record", patient_id,
            json_pack ("{s:s, s:s, s:s}", "condition", id, "code", entry->code, "status",
                       b.clinical_status));
  respond_conditions (app, r, 201, patient_id, id);
out:
  th_condition_body_clear (&b);
}

void
th_post_condition_status (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                          const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  const char *condition_id = th_route_param (&call->params, "condition");
  g_autoptr (GError) error = NULL;
  ThConditionStatusBody b;

  if (!require_access (app, call, patient_id, TRUE, "diagnoses", r))
    return;
  if (!th_body_condition_status (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!store_condition_set_status (app->store, patient_id, condition_id, b.clinical_status,
                                   b.verification_status, b.reason, call->caller.staff_id,
                                   store_now_ms (), &error)) {
    respond_write_error (r, error, "That diagnosis is not on this patient's record. Reload.",
                         "The diagnosis could not be changed. Try again.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "condition.status", patient_id,
            json_pack ("{s:s, s:s?, s:s?}", "condition", condition_id, "clinical_status",
                       b.clinical_status, "verification_status", b.verification_status));
  respond_conditions (app, r, 200, patient_id, condition_id);
out:
  th_condition_status_body_clear (&b);
}

/* ------------------------------------------------------------ allergies */

/* The catalog's ingredient or class `text` names (any case), as the
 * catalog writes it; NULL when none. */
static const char *
catalog_match (ThApp *app, const char *text, gboolean klass)
{
  for (guint i = 0; i < med_catalog_size (app->catalog); i++) {
    const Medication *m = med_catalog_get (app->catalog, i);
    const char *name = klass ? m->drug_class : m->name;
    if (name && g_ascii_strcasecmp (name, text) == 0)
      return name;
    if (!klass && g_ascii_strcasecmp (m->id, text) == 0)
      return m->name;
  }
  return NULL;
}

/* The substance as the check reads it: a catalog ingredient (lower case),
 * a catalog class, or free text. A name the catalog knows is always taken
 * as the catalog's, whatever kind was sent: an allergy typed as free text
 * must still stop the order. FALSE after a 422 for an ingredient or class
 * the catalog does not have. */
static gboolean
resolve_substance (ThApp *app, const ThAllergyBody *b, const char **kind, char **name,
                   ThHttpResponse *r)
{
  const char *ingredient = catalog_match (app, b->substance, FALSE);
  const char *klass = ingredient ? NULL : catalog_match (app, b->substance, TRUE);

  if (ingredient) {
    *kind = "ingredient";
    *name = g_ascii_strdown (ingredient, -1);
  } else if (klass) {
    *kind = "class";
    *name = g_strdup (klass);
  } else if (b->substance_kind && strcmp (b->substance_kind, "other") != 0) {
    th_respond_error (r, 422, "invalid",
                      strcmp (b->substance_kind, "class") == 0
                        ? "That is not a class of the clinic's medication list: choose a class "
                          "from the list, or record the substance as something else. Nothing "
                          "was saved."
                        : "That medicine is not in the clinic's medication list: choose it from "
                          "the list, or record it as something else. Nothing was saved.");
    return FALSE;
  } else {
    *kind = "other";
    *name = g_strdup (b->substance);
  }
  return TRUE;
}

static json_t *
allergy_json (const StoreAllergy *a)
{
  const RxManifestation *m = rx_manifestation_find (a->manifestation);
  g_autofree char *recorded = th_iso_from_ms (a->recorded_at_ms);
  g_autofree char *changed = th_iso_from_ms (a->status_at_ms);

  return json_pack ("{s:s, s:{s:s, s:s}, s:s, s:o, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:s?, "
                    "s:o, s:s, s:s, s:o}",
                    "id", a->id, "substance", "kind", a->substance_kind, "name", a->substance,
                    "type", a->type, "manifestation",
                    m ? json_pack ("{s:s, s:s}", "code", m->code, "text", m->text) : json_null (),
                    "reaction", a->reaction, "severity", a->severity, "criticality", a->criticality,
                    "onset", a->onset_date, "status", a->status, "status_reason", a->status_reason,
                    "visit_id", a->visit_id, "recorded_by",
                    staff_json (a->recorded_by, a->recorded_by_name), "recorded_at", recorded,
                    "status_at", changed, "status_by",
                    staff_json (a->status_by, a->status_by_name));
}

static json_t *
allergy_choices (ThApp *app)
{
  json_t *ingredients = json_array (), *classes = json_array (), *manifestations = json_array ();
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  const RxManifestation *ms;
  guint n;

  for (guint i = 0; i < med_catalog_size (app->catalog); i++) {
    const Medication *m = med_catalog_get (app->catalog, i);
    if (m->name && g_hash_table_add (seen, m->name))
      json_array_append_new (ingredients, json_string (m->name));
    if (m->drug_class && g_hash_table_add (seen, m->drug_class))
      json_array_append_new (classes, json_string (m->drug_class));
  }
  g_hash_table_unref (seen);
  ms = rx_manifestations (&n);
  for (guint i = 0; i < n; i++)
    json_array_append_new (manifestations,
                           json_pack ("{s:s, s:s}", "code", ms[i].code, "text", ms[i].text));
  return json_pack ("{s:o, s:o, s:o}", "ingredients", ingredients, "classes", classes,
                    "manifestations", manifestations);
}

static void
respond_allergies (ThApp *app, ThHttpResponse *r, guint status, const char *patient_id,
                   const char *changed_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = store_list_allergies (app->store, patient_id, &error);
  json_t *list, *changed = NULL;

  if (!rows) {
    th_respond_store_error (r, error, "The allergies could not be read. Reload the page.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < rows->len; i++) {
    const StoreAllergy *a = g_ptr_array_index (rows, i);
    json_t *j = allergy_json (a);
    if (g_strcmp0 (a->id, changed_id) == 0)
      changed = json_incref (j);
    json_array_append_new (list, j);
  }
  th_respond_json (r, status,
                   json_pack ("{s:o, s:o*, s:o}", "allergies", list, "allergy", changed, "choices",
                              allergy_choices (app)));
}

void
th_get_allergies (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");

  if (!require_access (app, call, patient_id, FALSE, "allergies", r))
    return;
  th_audit (app, req->address, call->caller.staff_id, "allergy.list", patient_id, NULL);
  respond_allergies (app, r, 200, patient_id, NULL);
}

void
th_post_allergy (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL, *onset = NULL, *name = NULL;
  const char *kind = NULL;
  ThAllergyBody b;

  if (!require_access (app, call, patient_id, TRUE, "allergies", r))
    return;
  if (!th_body_allergy (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!resolve_substance (app, &b, &kind, &name, r) ||
      !not_future (app, b.has_onset, &b.onset, "The date of the reaction", r))
    goto out;
  onset = b.has_onset ? th_date_format (&b.onset) : NULL;
  id = store_add_allergy (app->store,
                          &(StoreAllergyNew) { .patient_id = patient_id,
                                               .substance_kind = kind,
                                               .substance = name,
                                               .type = b.type,
                                               .manifestation = b.manifestation,
                                               .reaction = b.reaction,
                                               .severity = b.severity,
                                               .criticality = b.criticality,
                                               .onset_date = onset,
                                               .visit_id = b.visit_id,
                                               .status = "active",
                                               .recorded_by = call->caller.staff_id },
                          store_now_ms (), &error);
  if (!id) {
    respond_write_error (r, error, th_patient_refusal (),
                         "The allergy could not be saved. Try again.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "allergy.record", patient_id,
            json_pack ("{s:s, s:s, s:s}", "allergy", id, "type", b.type, "substance_kind", kind));
  respond_allergies (app, r, 201, patient_id, id);
out:
  th_allergy_body_clear (&b);
}

void
th_post_allergy_status (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                        const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  const char *allergy_id = th_route_param (&call->params, "allergy");
  g_autoptr (GError) error = NULL;
  ThAllergyStatusBody b;

  if (!require_access (app, call, patient_id, TRUE, "allergies", r))
    return;
  if (!th_body_allergy_status (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!store_allergy_set_status (app->store, patient_id, allergy_id, b.status, b.reason,
                                 call->caller.staff_id, store_now_ms (), &error)) {
    respond_write_error (r, error, "That allergy is not on this patient's record. Reload.",
                         "The allergy could not be changed. Try again.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "allergy.status", patient_id,
            json_pack ("{s:s, s:s}", "allergy", allergy_id, "status", b.status));
  respond_allergies (app, r, 200, patient_id, allergy_id);
out:
  th_allergy_status_body_clear (&b);
}
