/* diary_staff.c — the diary from the clinic's side: a patient's diary
 * link (made, shown once as a URL, revoked: every live link at once), and
 * the diary's days with the alerts they raised, for whoever may read the
 * patient's record (careteam.c). */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-diary.h"

/* The patient of the route when the caller may read their record; FALSE
 * after a 404 (or a 500). */
static gboolean
readable_patient (ThApp *app, const ThApiCall *call, ThHttpResponse *r, const char **patient_id)
{
  *patient_id = th_route_param (&call->params, "patient");
  return th_require_record (app, call, *patient_id, r, NULL);
}

static json_t *
status_json (gboolean live, gint64 since_ms)
{
  g_autofree char *since = live ? th_iso_from_ms (since_ms) : NULL;

  return json_pack ("{s:b, s:s?}", "live", live, "since", since);
}

TH_HANDLER (th_get_diary_link)
{
  g_autoptr (GError) error = NULL;
  const char *patient_id;
  gboolean live = FALSE;
  gint64 since = 0;

  (void) req;
  if (!readable_patient (app, call, r, &patient_id))
    return;
  if (!store_diary_link_status (app->store, patient_id, &live, &since, &error)) {
    th_respond_store_error (r, error, "The diary link could not be read. Try again in a moment.");
    return;
  }
  th_respond_json (r, 200, status_json (live, since));
}

TH_HANDLER (th_post_diary_link)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL, *url = NULL;
  const char *patient_id;
  json_t *out;

  if (!readable_patient (app, call, r, &patient_id))
    return;
  if (!(token = store_diary_link_create (app->store, patient_id, call->caller.staff_id, &error))) {
    th_respond_store_error (r, error, "The diary link could not be made. Try again in a moment.");
    return;
  }
  /* In the fragment, as join links: never in a request line or a Referer. */
  url = g_strdup_printf ("%s/diary.html#d=%s", app->base_url, token);
  th_audit (app, req->address, call->caller.staff_id, "diary.link-create", patient_id, NULL);
  out = status_json (TRUE, store_now_ms ());
  json_object_set_new (out, "url", json_string (url));
  th_respond_json (r, 201, out);
}

TH_HANDLER (th_post_diary_link_revoke)
{
  g_autoptr (GError) error = NULL;
  const char *patient_id;
  guint n = 0;

  if (!readable_patient (app, call, r, &patient_id))
    return;
  if (!store_diary_links_revoke (app->store, patient_id, call->caller.staff_id, &n, &error)) {
    th_respond_store_error (r, error,
                            "The diary link could not be turned off. Try again in a moment.");
    return;
  }
  th_audit (app, req->address, call->caller.staff_id, "diary.link-revoke", patient_id,
            json_pack ("{s:i}", "links", (json_int_t) n));
  th_respond_json (r, 200,
                   json_pack ("{s:b, s:n, s:i}", "live", FALSE, "since", "revoked",
                              (json_int_t) n));
}

/* GET /api/patients/:patient/diary?days=N (1..90, default 14): the days
 * with an entry, newest first, each with the alerts its entries raised. */
TH_HANDLER (th_get_patient_diary)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) days = NULL;
  g_autofree char *storage = NULL, *from = NULL, *to = NULL;
  const char *patient_id, *n_text;
  StorePatient p = { 0 };
  json_t *arr;
  GDate today;
  gint64 n = 14;

  if (!readable_patient (app, call, r, &patient_id))
    return;
  n_text = th_query_param (req->query, "days", &storage);
  if (n_text && (!g_ascii_string_to_signed (n_text, 10, 1, 90, &n, NULL))) {
    th_respond_error (r, 400, "bad-field", "days must be a whole number from 1 to 90.");
    return;
  }
  if (!store_patient_get (app->store, patient_id, &p, &error)) {
    th_respond_store_error (r, error, "The diary could not be read. Try again in a moment.");
    return;
  }
  th_diary_today (app, &p, &today);
  from = th_diary_day_back (&today, (guint) n - 1);
  to = th_date_format (&today);
  if (!(days = store_diary_days (app->store, patient_id, from, to, &error))) {
    th_respond_store_error (r, error, "The diary could not be read. Try again in a moment.");
    goto out;
  }
  arr = json_array ();
  for (guint i = 0; i < days->len; i++)
    json_array_append_new (arr, th_diary_day_json (g_ptr_array_index (days, i), TRUE));
  th_audit (app, req->address, call->caller.staff_id, "diary.view", patient_id, NULL);
  th_respond_json (r, 200, json_pack ("{s:s, s:s, s:o}", "from", from, "to", to, "days", arr));
out:
  store_patient_clear (&p);
}
