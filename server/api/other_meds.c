/* other_meds.c — the patient's medications from elsewhere (api-outside.h):
 * list, add, stop, verify. Bodies are checked here at the edge; every
 * refusal says what was wrong and that nothing was saved. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

/* Name and code agree with the interaction table: a known code names its
 * ingredient, a known name gets its code. */
static gboolean
resolve_name (ThApp *app, ThOtherMedBody *b, GError **error)
{
  const RxInteractionTable *t = app->rx ? app->rx->interactions : NULL;
  const RxVocabEntry *by_code = b->rxnorm ? rx_vocab_find_rxnorm (t, b->rxnorm) : NULL;
  const RxVocabEntry *by_name = b->name ? rx_vocab_find (t, b->name) : NULL;

  if (by_code && by_name && g_strcmp0 (by_code->rxnorm, by_name->rxnorm) != 0) {
    g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                 "RxNorm code %s is %s, not %s: check the code or the name. Nothing was saved.",
                 b->rxnorm, by_code->ingredient, by_name->ingredient);
    return FALSE;
  }
  if (b->rxnorm && !by_code && !b->name) {
    g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                 "RxNorm code %s is not in the clinic's list of medicines: give the "
                 "medication's name with it. Nothing was saved.",
                 b->rxnorm);
    return FALSE;
  }
  if (by_code && !b->name)
    b->name = g_strdup (by_code->ingredient);
  if (by_name && !b->rxnorm && by_name->rxnorm)
    b->rxnorm = g_strdup (by_name->rxnorm);
  return TRUE;
}

const RxVocabEntry *
th_other_med_vocab (ThApp *app, const StoreOtherMed *m)
{
  const RxInteractionTable *t = app->rx ? app->rx->interactions : NULL;
  const RxVocabEntry *e = m->rxnorm ? rx_vocab_find_rxnorm (t, m->rxnorm) : NULL;

  return e ? e : rx_vocab_find (t, m->name);
}

gint64
th_other_med_date_ms (ThApp *app, const char *date)
{
  GDate d;
  g_autoptr (GDateTime) noon = NULL;

  if (!date || !th_date_parse (date, &d))
    return 0;
  noon = g_date_time_new (app->config->time_zone, g_date_get_year (&d), g_date_get_month (&d),
                          g_date_get_day (&d), 12, 0, 0);
  return noon ? g_date_time_to_unix (noon) * 1000 : 0;
}

static json_t *
who_json (const char *id, const char *name, gint64 at_ms)
{
  g_autofree char *at = th_iso_from_ms (at_ms);

  if (!id)
    return json_null ();
  return json_pack ("{s:{s:s, s:s}, s:s?}", "by", "id", id, "display_name", name ? name : "", "at",
                    at);
}

static json_t *
other_med_json (ThApp *app, const StoreOtherMed *m)
{
  const RxVocabEntry *e = th_other_med_vocab (app, m);

  return json_pack ("{s:s, s:s, s:s?, s:s?, s:b, s:s?, s:s?, s:s, s:s?, s:o, s:o}", "id", m->id,
                    "name", m->name, "rxnorm", m->rxnorm, "ingredient", e ? e->ingredient : NULL,
                    "checked", e != NULL, "dose", m->dose, "prescriber", m->prescriber, "status",
                    m->status, "stopped_on", m->stopped_on, "verified",
                    who_json (m->verified_by, m->verified_by_name, m->verified_at_ms), "recorded",
                    who_json (m->created_by, m->created_by_name, m->created_at_ms));
}

/* The names the form offers (the interaction table's vocabulary). */
static json_t *
vocabulary_json (ThApp *app)
{
  const RxInteractionTable *t = app->rx ? app->rx->interactions : NULL;
  json_t *a = json_array ();

  for (guint i = 0; i < rx_vocab_size (t); i++) {
    const RxVocabEntry *e = rx_vocab_get (t, i);
    json_array_append_new (a, json_pack ("{s:s, s:s?}", "ingredient", e->ingredient, "rxnorm",
                                         e->rxnorm));
  }
  return a;
}

/* Reading needs the record; writing needs a clinician who treats the
 * patient (a visit together or a place on the care team). */
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
                      "change the medications from elsewhere. Nothing was saved.");
    return FALSE;
  }
  return TRUE;
}

TH_HANDLER (th_get_other_meds)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  json_t *list;

  if (!require_access (app, call, patient_id, FALSE, r))
    return;
  if (!(rows = store_list_other_meds (app->store, patient_id, &error))) {
    th_respond_store_error (r, error, "The medications from elsewhere could not be read. Reload.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < rows->len; i++)
    json_array_append_new (list, other_med_json (app, g_ptr_array_index (rows, i)));
  th_audit (app, req->address, call->caller.staff_id, "other-medication.list", patient_id, NULL);
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:o}", "other_medications", list, "vocabulary",
                              vocabulary_json (app)));
}

/* Answers a store failure of a change to one medication. */
static void
respond_change_error (ThHttpResponse *r, const GError *error)
{
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    th_respond_error (r, 404, "not-found", error->message);
  else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
    th_respond_error (r, 409, "conflict", error->message);
  else
    th_respond_store_error (r, error, "The change could not be saved. Try again.");
}

TH_HANDLER (th_post_other_med)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  StoreOtherMed *m;
  ThOtherMedBody b;
  StoreOtherMedNew n;
  GDate today;

  if (!require_access (app, call, patient_id, TRUE, r))
    return;
  th_clinic_today (app, &today);
  if (!th_body_other_med (req->body, req->body_len, &today, &b, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!resolve_name (app, &b, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  n = (StoreOtherMedNew) {
    b.name, b.rxnorm, b.dose, b.prescriber, b.stopped_on[0] ? b.stopped_on : NULL, b.verified
  };
  if (!(m = store_other_med_add (app->store, patient_id, &n, call->caller.staff_id, &error))) {
    respond_change_error (r, error);
    goto out;
  }
  /* Which row, and whether it is coded; not the drug (the record has it). */
  th_audit (app, req->address, call->caller.staff_id, "other-medication.add", patient_id,
            json_pack ("{s:s, s:b, s:b}", "other_medication", m->id, "coded", m->rxnorm != NULL,
                       "verified", b.verified));
  th_respond_json (r, 201, json_pack ("{s:o}", "other_medication", other_med_json (app, m)));
  store_other_med_free (m);
out:
  th_other_med_body_clear (&b);
}

TH_HANDLER (th_post_other_med_stop)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  const char *id = th_route_param (&call->params, "id");
  g_autoptr (GError) error = NULL;
  g_autofree char *today_text = NULL;
  char stopped_on[11];
  StoreOtherMed *m;
  GDate today;

  if (!require_access (app, call, patient_id, TRUE, r))
    return;
  th_clinic_today (app, &today);
  if (!th_body_other_med_stop (req->body, req->body_len, &today, stopped_on, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  today_text = th_date_format (&today);
  if (!(m = store_other_med_stop (app->store, patient_id, id,
                                  stopped_on[0] ? stopped_on : today_text, &error))) {
    respond_change_error (r, error);
    return;
  }
  th_audit (app, req->address, call->caller.staff_id, "other-medication.stop", patient_id,
            json_pack ("{s:s, s:s}", "other_medication", m->id, "stopped_on", m->stopped_on));
  th_respond_json (r, 200, json_pack ("{s:o}", "other_medication", other_med_json (app, m)));
  store_other_med_free (m);
}

TH_HANDLER (th_post_other_med_verify)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  const char *id = th_route_param (&call->params, "id");
  g_autoptr (GError) error = NULL;
  StoreOtherMed *m;

  if (!require_access (app, call, patient_id, TRUE, r))
    return;
  if (!(m = store_other_med_verify (app->store, patient_id, id, call->caller.staff_id, &error))) {
    respond_change_error (r, error);
    return;
  }
  th_audit (app, req->address, call->caller.staff_id, "other-medication.verify", patient_id,
            json_pack ("{s:s}", "other_medication", m->id));
  th_respond_json (r, 200, json_pack ("{s:o}", "other_medication", other_med_json (app, m)));
  store_other_med_free (m);
}
