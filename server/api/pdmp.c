/* pdmp.c — the patient's preferred pharmacy and the prescription drug
 * monitoring program (PDMP) checks (issue 15, item 7; api-dispense.h).
 * Read by whoever may read the record; recorded by a clinician who may
 * write it (careteam.c decides). A controlled order needs a recent check
 * (rx_dispense.c, "pdmp-check"). */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

/* A check recorded for a time more than this after the server's now is a
 * wrong clock or a typo, not a check. */
#define PDMP_FUTURE_SLACK_MS ((gint64) 5 * 60 * 1000)
#define PDMP_LIST_MAX 10
#define MS_PER_DAY ((gint64) 86400 * 1000)

/* FALSE after answering 404/500, or 403 when `write` and the caller may
 * not write the patient's record. */
static gboolean
require (ThApp *app, const ThApiCall *call, const char *patient_id, gboolean write,
         ThHttpResponse *r, const char *what)
{
  ThPatientAccess access;

  if (!th_require_record (app, call, patient_id, r, &access))
    return FALSE;
  if (write && (!access.write_patient || !th_caller_is_clinician (&call->caller))) {
    g_autofree char *message = g_strdup_printf ("Only a clinician who has seen this patient or is "
                                                "on their care team can record %s. Nothing was "
                                                "saved.",
                                                what);
    th_respond_error (r, 403, "forbidden", message);
    return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------------- pharmacy */

void
th_get_pharmacy (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  StorePharmacy p = { 0 };

  (void) req;
  if (!require (app, call, patient_id, FALSE, r, "a pharmacy"))
    return;
  if (!store_get_patient_pharmacy (app->store, patient_id, &p, &error)) {
    th_respond_store_error (r, error, "The patient's pharmacy could not be read. Reload the page.");
    return;
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "pharmacy", th_pharmacy_json (&p)));
  store_pharmacy_clear (&p);
}

void
th_post_pharmacy (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  ThPharmacyBody b = { 0 };
  StorePharmacy p = { 0 };

  if (!require (app, call, patient_id, TRUE, r, "the patient's pharmacy"))
    return;
  if (!th_body_pharmacy (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  p = (StorePharmacy) {
    .name = b.name, .address = b.address, .phone = b.phone, .ncpdp_id = b.ncpdp_id
  };
  if (!store_set_patient_pharmacy (app->store, patient_id, &p, call->caller.staff_id, &error)) {
    memset (&p, 0, sizeof p);
    th_respond_store_error (r, error, "The pharmacy could not be saved. Try again.");
    goto out;
  }
  memset (&p, 0, sizeof p);
  th_audit (app, req->address, call->caller.staff_id, "patient.pharmacy", patient_id, NULL);
  if (!store_get_patient_pharmacy (app->store, patient_id, &p, &error)) {
    th_respond_store_error (r, error,
                            "The pharmacy was saved, but could not be read back. Reload "
                            "the page.");
    goto out;
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "pharmacy", th_pharmacy_json (&p)));
out:
  store_pharmacy_clear (&p);
  th_pharmacy_body_clear (&b);
}

/* ---------------------------------------------------------------- PDMP */

static json_t *
pdmp_json (const StorePdmpCheck *c)
{
  g_autofree char *at = th_iso_from_ms (c->checked_at_ms);
  return json_pack ("{s:I, s:s, s:s, s:{s:s, s:s}, s:s}", "id", (json_int_t) c->id, "state",
                    c->state, "checked_at", at ? at : "", "by", "id", c->staff_id, "display_name",
                    c->staff_name ? c->staff_name : "", "result", c->result_note);
}

/* {checks: newest first, patient_state, max_days, current: the latest check
 * of the patient's state is within max_days (what a controlled order
 * needs), current_until}. */
static json_t *
pdmp_list_json (ThApp *app, const char *patient_id, GError **error)
{
  g_autoptr (GPtrArray)
    checks = store_list_pdmp_checks (app->store, patient_id, PDMP_LIST_MAX, error);
  StorePatient p = { 0 };
  json_t *list, *out;
  const StorePdmpCheck *latest = NULL;
  gint64 now = store_now_ms ();
  gint64 window = (gint64) app->config->pdmp_max_days * MS_PER_DAY;
  g_autofree char *until = NULL;

  if (!checks || !store_patient_get (app->store, patient_id, &p, error))
    return NULL;
  list = json_array ();
  for (guint i = 0; i < checks->len; i++) {
    const StorePdmpCheck *c = g_ptr_array_index (checks, i);
    json_array_append_new (list, pdmp_json (c));
    if (!latest && p.region && g_ascii_strcasecmp (c->state, p.region) == 0 &&
        c->checked_at_ms <= now)
      latest = c;
  }
  if (latest)
    until = th_iso_from_ms (latest->checked_at_ms + window);
  out = json_pack ("{s:o, s:o, s:i, s:b, s:o}", "checks", list, "patient_state",
                   p.region ? json_string (p.region) : json_null (), "max_days",
                   (int) app->config->pdmp_max_days, "current",
                   latest && now - latest->checked_at_ms <= window, "current_until",
                   until ? json_string (until) : json_null ());
  store_patient_clear (&p);
  return out;
}

void
th_get_pdmp_checks (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  json_t *out;

  (void) req;
  if (!require (app, call, patient_id, FALSE, r, "a PDMP check"))
    return;
  if (!(out = pdmp_list_json (app, patient_id, &error))) {
    th_respond_store_error (r, error, "The PDMP checks could not be read. Reload the page.");
    return;
  }
  th_respond_json (r, 200, out);
}

void
th_post_pdmp_check (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  ThPdmpBody b = { 0 };
  StorePatient p = { 0 };
  StorePdmpCheck c = { 0 };
  gint64 now = store_now_ms (), id = 0;
  json_t *out;

  if (!require (app, call, patient_id, TRUE, r, "a PDMP check"))
    return;
  if (!th_body_pdmp_check (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  if (!store_patient_get (app->store, patient_id, &p, &error)) {
    th_respond_store_error (r, error, "The patient could not be read. Nothing was saved.");
    goto out;
  }
  if (!b.state[0] && !p.region) {
    th_respond_error (r, 422, "invalid",
                      "The patient's state is not on record: name the state whose PDMP you "
                      "searched. Nothing was saved.");
    goto out;
  }
  if (b.state[0] && !region_lookup (b.state)) {
    th_respond_error (r, 422, "invalid",
                      "That is not a US state, district or territory code. Nothing was saved.");
    goto out;
  }
  if (b.has_checked_at && b.checked_at_ms > now + PDMP_FUTURE_SLACK_MS) {
    th_respond_error (r, 422, "invalid",
                      "The PDMP check's time is in the future. Enter when you searched it. "
                      "Nothing was saved.");
    goto out;
  }
  c = (StorePdmpCheck) { .patient_id = (char *) patient_id,
                         .staff_id = call->caller.staff_id,
                         .state = b.state[0] ? b.state : p.region,
                         .checked_at_ms = b.has_checked_at ? MIN (b.checked_at_ms, now) : now,
                         .result_note = b.result };
  if (!store_add_pdmp_check (app->store, &c, &id, &error)) {
    th_respond_store_error (r, error, "The PDMP check could not be saved. Try again.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "pdmp.check", patient_id,
            json_pack ("{s:s, s:I}", "state", c.state, "check", (json_int_t) id));
  if (!(out = pdmp_list_json (app, patient_id, &error))) {
    th_respond_store_error (r, error,
                            "The PDMP check was saved, but could not be read back. "
                            "Reload the page.");
    goto out;
  }
  th_respond_json (r, 201, out);
out:
  store_patient_clear (&p);
  th_pdmp_body_clear (&b);
}
