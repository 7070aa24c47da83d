/* reproductive.c — GET and POST /api/patients/:patient/reproductive
 * (reproductive.h): sex assigned at birth, pregnancy and breastfeeding,
 * contraception and the valproate pregnancy prevention counselling, read by
 * the prescribing safety check. Read by whoever reads the record; written
 * by a clinician who may write the patient's facts (careteam.c). */
#define G_LOG_DOMAIN "th-api"

#include "server/api/reproductive.h"

static json_t *
date_json (const GDate *d)
{
  g_autofree char *text = g_date_valid (d) ? th_date_format (d) : NULL;
  return text ? json_string (text) : json_null ();
}

static json_t *
row_json (const StoreReproductive *row)
{
  const RxReproductive *r = &row->r;
  g_autofree char *at = th_iso_from_ms (row->recorded_at_ms);
  json_t *contraception = r->contraception ? json_pack ("{s:s, s:b}", "method", r->contraception,
                                                        "highly_effective", r->highly_effective)
                                           : json_null ();
  json_t *counselling = g_date_valid (&r->counselled)
                          ? json_pack ("{s:o, s:s}", "date", date_json (&r->counselled), "by",
                                       r->counselled_by ? r->counselled_by : "")
                          : json_null ();

  return json_pack ("{s:s, s:s?, s:s, s:o, s:s, s:o, s:o, s:b, s:{s:s?, s:s}, s:s}", "sex_at_birth",
                    r->sex_at_birth, "unable_reason", r->unable_reason, "pregnancy", r->pregnancy,
                    "pregnancy_checked", date_json (&r->pregnancy_checked), "breastfeeding",
                    r->breastfeeding, "contraception", contraception, "valproate_counselling",
                    counselling, "can_become_pregnant", rx_can_become_pregnant (r), "recorded_by",
                    "id", row->recorded_by, "display_name",
                    row->recorded_by_name ? row->recorded_by_name : "", "recorded_at", at);
}

static void
respond_history (ThApp *app, ThHttpResponse *r, const char *patient_id, guint status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = store_reproductive_history (app->store, patient_id, &error);
  json_t *history;

  if (!rows) {
    th_respond_store_error (r, error, "The pregnancy potential record could not be read. Reload.");
    return;
  }
  history = json_array ();
  for (guint i = 0; i < rows->len; i++)
    json_array_append_new (history, row_json (g_ptr_array_index (rows, i)));
  th_respond_json (r, status,
                   json_pack ("{s:O, s:o}", "current",
                              rows->len ? json_array_get (history, 0) : json_null (), "history",
                              history));
}

void
th_get_reproductive (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");

  (void) req;
  if (!th_require_record (app, call, patient_id, r, NULL))
    return;
  respond_history (app, r, patient_id, 200);
}

void
th_post_reproductive (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                      const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  ThPatientAccess access;
  RxReproductive rec = { 0 };
  GDate today;

  if (!th_require_record (app, call, patient_id, r, &access))
    return;
  if (!access.write_patient) {
    th_respond_error (r, 403, "forbidden",
                      "Only a clinician who has seen this patient or is on their care team can "
                      "record pregnancy potential. Nothing was saved.");
    return;
  }
  if (!th_body_reproductive (req->body, req->body_len, &rec, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  th_clinic_today (app, &today);
  if (!th_reproductive_check (&rec, &today, &error)) {
    th_respond_error (r, 422, "invalid", error->message);
    goto out;
  }
  if (!store_reproductive_add (app->store, patient_id, &rec, call->caller.staff_id, store_now_ms (),
                               &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 422, "invalid", error->message);
    else
      th_respond_store_error (r, error,
                              "The pregnancy potential record could not be saved. "
                              "Nothing was saved; try again.");
    goto out;
  }
  /* What changed, not the answers: the audit log is no second record. */
  th_audit (app, req->address, call->caller.staff_id, "patient.reproductive", patient_id,
            json_pack ("{s:s}", "patient", patient_id));
  respond_history (app, r, patient_id, 201);
out:
  rx_reproductive_clear (&rec);
}
