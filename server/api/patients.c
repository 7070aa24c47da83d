/* patients.c — the patients of the clinic: create (with a warning when the
 * same name and date of birth are already on record), find as the front
 * desk types, open and edit. Who may: an admin (the front desk) any
 * patient; a clinician the patients they created, saw, share on a care
 * team or whose PA saw them (careteam.c decides). Every create, edit, view and search is audited with
 * ids only: a name, a date or a search text is patient data. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

/* How many patients a search answers: a list to pick from as one types. */
#define FIND_LIMIT 20
/* A search text longer than any name, MRN or date is not a search. */
#define MAX_QUERY 200

/* The admin and the front desk (scheduler) find and open any patient's
 * details; only the admin reads a timeline (the front desk never sees the
 * clinical record). */
static gboolean
sees_every_patient (const ThCaller *caller)
{
  return th_caller_sees_all (caller);
}

static json_t *
opt_str (const char *s)
{
  return s ? json_string (s) : json_null ();
}

static json_t *
patient_json (const StorePatient *p)
{
  g_autofree char *created = th_iso_from_ms (p->created_at_ms);

  return json_pack ("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", p->id, "name",
                    p->name, "birth_date", opt_str (p->birth_date), "mrn", opt_str (p->mrn),
                    "email", opt_str (p->email), "phone", opt_str (p->phone), "time_zone",
                    opt_str (p->time_zone), "region", opt_str (p->region), "language",
                    opt_str (p->language), "created_at", opt_str (created));
}

/* What a possible duplicate shows: enough to tell two people apart. */
static json_t *
candidates_json (GPtrArray *list)
{
  json_t *out = json_array ();

  for (guint i = 0; i < list->len; i++) {
    StorePatient *p = g_ptr_array_index (list, i);
    json_array_append_new (out, json_pack ("{s:s, s:s, s:o, s:o}", "id", p->id, "name", p->name,
                                           "birth_date", opt_str (p->birth_date), "mrn",
                                           opt_str (p->mrn)));
  }
  return out;
}

/* The ids of a list of patients, for the audit. */
static json_t *
ids_json (GPtrArray *list)
{
  json_t *ids = json_array ();

  for (guint i = 0; i < list->len; i++)
    json_array_append_new (ids, json_string (((StorePatient *) g_ptr_array_index (list, i))->id));
  return ids;
}

/* Decodes the body; FALSE after a 400 (not JSON) or a 422 naming the field. */
static gboolean
decode_patient (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, ThPatientBody *body)
{
  g_autoptr (GError) error = NULL;
  const char *field = NULL;
  GDate today;

  th_clinic_today (app, &today);
  if (th_body_patient (req->body, req->body_len, &today, body, &field, &error))
    return TRUE;
  if (g_error_matches (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_JSON)) {
    th_respond_body_error (r, error);
    return FALSE;
  }
  th_respond_json (r, 422,
                   json_pack ("{s:{s:s, s:s, s:o}}", "error", "code", "invalid", "message",
                              error->message, "field", opt_str (field)));
  if (r->status == 422)
    g_strlcpy (r->error_code, "invalid", sizeof r->error_code);
  return FALSE;
}

static void
respond_mrn_taken (ThHttpResponse *r)
{
  th_respond_json (r, 409,
                   json_pack ("{s:{s:s, s:s, s:s}}", "error", "code", "mrn-taken", "message",
                              "Another patient already has this record number (MRN). Check the "
                              "number. Nothing was saved.",
                              "field", "mrn"));
  if (r->status == 409)
    g_strlcpy (r->error_code, "mrn-taken", sizeof r->error_code);
}

/* The body's fields as the store takes them (borrowed, not copied). */
static StorePatient
fields_of (const ThPatientBody *b)
{
  return (StorePatient) { .name = b->name,
                          .birth_date = (char *) b->birth_date,
                          .mrn = b->mrn,
                          .email = b->email,
                          .phone = b->phone,
                          .time_zone = b->time_zone,
                          .region = b->region,
                          .language = b->language };
}

/* Whether the caller may open the patient (careteam.c decides); FALSE
 * after a 404 (absent and not yours look alike: ids are not to be probed)
 * or a 500. *access (may be NULL) gets what else they may do. */
static gboolean
may_see (ThApp *app, const ThCaller *caller, const char *patient_id, ThHttpResponse *r,
         ThPatientAccess *access)
{
  g_autoptr (GError) error = NULL;
  ThPatientAccess local;

  if (!access)
    access = &local;
  if (!th_patient_access (app, caller, patient_id, access, &error)) {
    th_respond_store_error (r, error, "The patient could not be read. Try again in a moment.");
    return FALSE;
  }
  if (!access->see_details)
    th_respond_error (r, 404, "not-found", th_patient_refusal ());
  return access->see_details;
}

TH_HANDLER (th_create_patient)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) dups = NULL;
  g_autofree char *id = NULL;
  ThPatientBody body;
  StorePatient fields;
  json_t *detail;

  if (!decode_patient (app, req, r, &body))
    return;
  fields = fields_of (&body);
  dups = store_patient_duplicates (app->store, body.name, body.birth_date, NULL, &error);
  if (!dups) {
    th_respond_store_error (r, error, "The patient could not be saved. Try again in a moment.");
    goto out;
  }
  if (dups->len > 0 && !body.confirm_duplicate) {
    /* The candidates' names, dates and MRNs are shown to the caller. */
    th_audit (app, req->address, call->caller.staff_id, "patient.duplicate-shown", NULL,
              json_pack ("{s:o}", "patients", ids_json (dups)));
    th_respond_json (r, 409,
                     json_pack ("{s:{s:s, s:s}, s:o}", "error", "code", "possible-duplicate",
                                "message",
                                "A patient with the same name and date of birth is already on "
                                "record. This may be the same person. Nothing was saved.",
                                "candidates", candidates_json (dups)));
    if (r->status == 409)
      g_strlcpy (r->error_code, "possible-duplicate", sizeof r->error_code);
    goto out;
  }
  id = store_patient_create (app->store, &fields, call->caller.staff_id, &error);
  if (!id) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      respond_mrn_taken (r);
    else
      th_respond_store_error (r, error, "The patient could not be saved. Try again in a moment.");
    goto out;
  }
  detail = json_pack ("{s:s}", "patient", id);
  /* A second record made on purpose: which ones it may duplicate. */
  if (dups->len > 0)
    json_object_set_new (detail, "confirmed_duplicate_of", ids_json (dups));
  th_audit (app, req->address, call->caller.staff_id, "patient.create", id, detail);
  {
    StorePatient created = fields;
    created.id = id;
    created.created_at_ms = store_now_ms ();
    th_respond_json (r, 201, json_pack ("{s:o}", "patient", patient_json (&created)));
  }
out:
  th_patient_body_clear (&body);
}

TH_HANDLER (th_update_patient)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  ThPatientBody body;
  StorePatient fields, saved = { 0 };

  if (!may_see (app, &call->caller, patient_id, r, NULL) || !decode_patient (app, req, r, &body))
    return;
  fields = fields_of (&body);
  if (!store_patient_update (app->store, patient_id, &fields, &error) ||
      !store_patient_get (app->store, patient_id, &saved, &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      respond_mrn_taken (r);
    else if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", "This patient is not among your patients.");
    else
      th_respond_store_error (r, error, "The changes could not be saved. Try again in a moment.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "patient.edit", patient_id,
            json_pack ("{s:s}", "patient", patient_id));
  th_respond_json (r, 200, json_pack ("{s:o}", "patient", patient_json (&saved)));
out:
  store_patient_clear (&saved);
  th_patient_body_clear (&body);
}

TH_HANDLER (th_get_patient)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) visits = NULL;
  StorePatient p = { 0 };
  ThPatientAccess access;

  if (!may_see (app, &call->caller, patient_id, r, &access))
    return;
  if (!store_patient_get (app->store, patient_id, &p, &error) ||
      !(visits = store_list_patient_visits (app->store, patient_id, &error))) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", "This patient is not among your patients.");
    else
      th_respond_store_error (r, error, "The patient could not be read. Try again in a moment.");
    goto out;
  }
  /* The timeline opens for whoever may read the record (careteam.c), once
   * there is a visit to show. */
  th_audit (app, req->address, call->caller.staff_id, "patient.view", patient_id,
            json_pack ("{s:s}", "patient", patient_id));
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:b, s:i}", "patient", patient_json (&p), "has_timeline",
                              access.read_record && visits->len > 0, "visit_count",
                              (json_int_t) visits->len));
out:
  store_patient_clear (&p);
}

/* The value of `name` in the query as libwebsockets hands it over: already
 * unescaped ("%25" is "%"), so not unescaped again (th_query_param would
 * refuse a "%" typed into the search). */
static char *
query_value (const char *query, const char *name)
{
  g_auto (GStrv) pairs = query ? g_strsplit (query, "&", 32) : NULL;
  gsize n = strlen (name);

  for (guint i = 0; pairs && pairs[i]; i++)
    if (strncmp (pairs[i], name, n) == 0 && pairs[i][n] == '=')
      return g_strdup (pairs[i] + n + 1);
  return NULL;
}

TH_HANDLER (th_find_patients)
{
  g_autofree char *q = query_value (req->query, "q");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) found = NULL;
  json_t *list;

  if (!q || !g_utf8_validate (q, -1, NULL) || g_utf8_strlen (q, -1) > MAX_QUERY) {
    th_respond_error (r, 400, "bad-query",
                      "Type part of a name, a date of birth (YYYY-MM-DD) or a record number.");
    return;
  }
  /* Nothing typed yet: nothing to show (a list of every patient is not a
   * search). */
  if (q[strspn (q, " \t")] == '\0') {
    th_respond_json (r, 200, json_pack ("{s:[], s:b}", "patients", "more", FALSE));
    return;
  }
  found = store_patient_find (app->store, q,
                              sees_every_patient (&call->caller) ? NULL : call->caller.staff_id,
                              FIND_LIMIT + 1, &error);
  if (!found) {
    th_respond_store_error (r, error, "The search could not be run. Try again in a moment.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < found->len && i < FIND_LIMIT; i++)
    json_array_append_new (list, patient_json (g_ptr_array_index (found, i)));
  /* The search text is patient data: only how many were found. */
  th_audit (app, req->address, call->caller.staff_id, "patient.search", NULL,
            json_pack ("{s:i}", "results", (json_int_t) json_array_size (list)));
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:b}", "patients", list, "more", found->len > FIND_LIMIT));
}

TH_HANDLER (th_get_regions)
{
  guint n = 0;
  const RegionInfo *t = region_table (&n);
  json_t *list = json_array ();

  (void) app;
  (void) req;
  (void) call;
  for (guint i = 0; i < n; i++)
    json_array_append_new (list, json_pack ("{s:s, s:s}", "code", t[i].code, "name", t[i].name));
  th_respond_json (r, 200, json_pack ("{s:o}", "regions", list));
}
