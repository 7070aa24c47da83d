/* schedule.c — the clinic's schedule: the day or week of each provider,
 * the providers one may book with, and booking, moving and cancelling a
 * visit. Who may: a clinician for themselves; the admin and the front desk
 * (scheduler) for every clinician of the clinic. Times go out as ISO
 * instants and as the clinic's wall clock ([clinic] time_zone), and come in
 * as the clinic's wall clock (api-bodies.h). Every change is audited with
 * ids and times only: a name or a reason is patient data. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"

#include <string.h>

/* ------------------------------------------------------------- answers */

static void
respond_invalid (ThHttpResponse *r, const char *field, const char *message)
{
  th_respond_json (r, 422,
                   json_pack ("{s:{s:s, s:s, s:s?}}", "error", "code", "invalid", "message",
                              message, "field", field));
  if (r->status == 422)
    g_strlcpy (r->error_code, "invalid", sizeof r->error_code);
}

/* A body decoder's refusal: 400 for what is not JSON, else 422. */
static void
respond_body (ThHttpResponse *r, const GError *error, const char *field)
{
  if (g_error_matches (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_JSON))
    th_respond_body_error (r, error);
  else
    respond_invalid (r, field, error->message);
}

static GDateTime *
local_time (ThApp *app, gint64 ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  return utc ? g_date_time_to_timezone (utc, app->config->time_zone) : NULL;
}

/* "10:00–10:30 on Tue 12 Jan 2027". */
static char *
when_words (ThApp *app, gint64 start_ms, guint length_minutes)
{
  g_autoptr (GDateTime) a = local_time (app, start_ms);
  g_autoptr (GDateTime) b = local_time (app, start_ms + (gint64) length_minutes * 60000);
  g_autofree char *from = a ? g_date_time_format (a, "%H:%M") : NULL;
  g_autofree char *to = b ? g_date_time_format (b, "%H:%M") : NULL;
  g_autofree char *day = a ? g_date_time_format (a, "%a %-d %b %Y") : NULL;

  return g_strdup_printf ("%s–%s on %s", from ? from : "?", to ? to : "?", day ? day : "?");
}

/* A visit as the schedule shows it: the summary, its provider, its end,
 * and its start and end on the clinic's wall clock. */
static json_t *
visit_json (ThApp *app, const StoreVisit *v)
{
  gint64 end_ms = v->scheduled_at_ms + (gint64) v->length_minutes * 60000;
  g_autoptr (GDateTime) a = local_time (app, v->scheduled_at_ms);
  g_autoptr (GDateTime) b = local_time (app, end_ms);
  g_autofree char *ends = th_iso_from_ms (end_ms);
  g_autofree char *date = a ? g_date_time_format (a, "%Y-%m-%d") : NULL;
  g_autofree char *from = a ? g_date_time_format (a, "%H:%M") : NULL;
  g_autofree char *to = b ? g_date_time_format (b, "%H:%M") : NULL;
  json_t *obj = th_visit_summary_json (v);

  if (obj)
    json_object_update_new (obj, json_pack ("{s:s, s:{s:s?, s:s?, s:s?}, s:{s:s, s:s}}", "ends_at",
                                            ends, "local", "date", date, "time", from, "end_time",
                                            to, "provider", "id", v->provider_id, "display_name",
                                            v->provider_name ? v->provider_name : ""));
  return obj;
}

static const char *
state_words (VisitState state)
{
  switch (state) {
  case VISIT_SCHEDULED:
    return "is scheduled";
  case VISIT_WAITING:
    return "has a patient in the waiting room";
  case VISIT_IN_PROGRESS:
    return "is in progress";
  case VISIT_ENDED:
    return "has ended";
  case VISIT_CANCELLED:
    return "was cancelled";
  case VISIT_NO_SHOW:
    return "was a no-show";
  }
  return "cannot be changed";
}

/* ------------------------------------------------------------- checks */

/* FALSE after a 422 when the start is before the clinic's current minute. */
static gboolean
require_future (ThHttpResponse *r, gint64 start_ms)
{
  gint64 now = store_now_ms ();

  if (start_ms >= now - now % 60000)
    return TRUE;
  respond_invalid (r, "start",
                   "The visit's time has already passed. Choose a later date or time. Nothing "
                   "was saved.");
  return FALSE;
}

/* TRUE when the provider is free in [start, start + length) or the caller
 * confirmed; FALSE after the 409 that shows the other visits (or a 500). */
gboolean
th_free_or_confirmed (ThApp *app, ThHttpResponse *r, const char *provider_id, gint64 start_ms,
                      guint length, const char *except, gboolean confirmed, gboolean *double_booked)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray)
    found = store_visit_conflicts (app->store, provider_id, start_ms, length, except, &error);
  g_autofree char *words = NULL, *message = NULL;
  StoreVisit *first;
  json_t *list;

  if (!found) {
    th_respond_store_error (r, error, "The schedule could not be checked. Nothing was saved.");
    return FALSE;
  }
  *double_booked = found->len > 0;
  if (found->len == 0 || confirmed)
    return TRUE;
  first = g_ptr_array_index (found, 0);
  words = when_words (app, first->scheduled_at_ms, first->length_minutes);
  message = g_strdup_printf ("%s already has %s at this time: %s (clinic time). Book anyway to "
                             "keep both, or choose another time. Nothing was saved.",
                             first->provider_name ? first->provider_name : "The provider",
                             found->len == 1 ? "a visit" : "visits", words);
  list = json_array ();
  /* The other visits are the same provider's: the caller is that provider
   * or books for every provider, so may see whose they are. */
  for (guint i = 0; i < found->len; i++)
    json_array_append_new (list, visit_json (app, g_ptr_array_index (found, i)));
  th_respond_json (r, 409,
                   json_pack ("{s:{s:s, s:s, s:o}}", "error", "code", "double_booked", "message",
                              message, "conflicts", list));
  if (r->status == 409)
    g_strlcpy (r->error_code, "double_booked", sizeof r->error_code);
  return FALSE;
}

/* The provider the visit is with: the caller (a clinician books for
 * themselves) or, for the admin and the front desk, any clinician of the
 * clinic. FALSE after a 403/422/500. */
static gboolean
check_provider (ThApp *app, const ThApiCall *call, const char *provider_id, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  StoreStaffAccount a = { 0 };
  gboolean ok = FALSE;

  if (!th_caller_sees_all (&call->caller)) {
    if (g_strcmp0 (provider_id, call->caller.staff_id) == 0)
      return TRUE;
    th_respond_error (r, 403, "forbidden",
                      "You can book visits only for yourself. The front desk books visits for "
                      "other providers. Nothing was saved.");
    return FALSE;
  }
  if (!provider_id) {
    respond_invalid (r, "provider_id", "Choose the provider the visit is with. Nothing was saved.");
    return FALSE;
  }
  if (!store_get_staff_account (app->store, provider_id, &a, &error)) {
    if (th_store_absent (error))
      respond_invalid (r, "provider_id",
                       "There is no such provider. Choose one from the list. Nothing was saved.");
    else
      th_respond_store_error (r, error, "The provider could not be read. Nothing was saved.");
    goto out;
  }
  if (!store_staff_role_clinical (a.role) || a.disabled) {
    respond_invalid (r, "provider_id",
                     "Visits are booked with a clinician whose account is active; this account "
                     "is not one. Choose another provider. Nothing was saved.");
    goto out;
  }
  ok = TRUE;
out:
  store_staff_account_clear (&a);
  return ok;
}

/* The patient exists and the caller may book for them (the admin and the
 * front desk any; a clinician those they created or saw). FALSE after a
 * 422 (absent and not yours alike) or a 500. */
static gboolean
check_patient (ThApp *app, const ThApiCall *call, const char *patient_id, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  gboolean visible = FALSE;

  if (th_caller_sees_all (&call->caller)) {
    StorePatient p = { 0 };
    visible = store_patient_get (app->store, patient_id, &p, &error);
    store_patient_clear (&p);
    if (!visible && !th_store_absent (error)) {
      th_respond_store_error (r, error, "The patient could not be read. Nothing was saved.");
      return FALSE;
    }
  } else if (!store_patient_visible (app->store, patient_id, call->caller.staff_id, &visible,
                                     &error)) {
    th_respond_store_error (r, error, "The patient could not be read. Nothing was saved.");
    return FALSE;
  }
  if (!visible)
    respond_invalid (r, "patient_id",
                     "This patient is not among your patients. Search for the patient again. "
                     "Nothing was saved.");
  return visible;
}

/* ------------------------------------------------------------- book */

TH_HANDLER (th_book_visit)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *at = NULL, *start = NULL;
  const char *field = NULL, *provider_id;
  ThVisitBookBody body;
  ThVisitLinks links = { 0 };
  StoreVisit v = { 0 };
  gboolean double_booked = FALSE;

  if (!th_body_visit_book (req->body, req->body_len, app->config->time_zone, &body, &field,
                           &error)) {
    respond_body (r, error, field);
    return;
  }
  provider_id = body.provider_id ? body.provider_id : call->caller.staff_id;
  if (th_caller_sees_all (&call->caller) && !body.provider_id)
    provider_id = NULL;
  if (!check_provider (app, call, provider_id, r) ||
      !check_patient (app, call, body.patient_id, r) || !require_future (r, body.start_ms) ||
      !th_free_or_confirmed (app, r, provider_id, body.start_ms, body.length_minutes, NULL,
                             body.confirm_double_booking, &double_booked))
    goto out;
  if (!th_book_visit_with_links (app,
                                 &(StoreVisitBooking) { .patient_id = body.patient_id,
                                                        .provider_id = provider_id,
                                                        .scheduled_at_ms = body.start_ms,
                                                        .modality = body.modality,
                                                        .length_minutes = body.length_minutes,
                                                        .visit_type = body.visit_type },
                                 &links, &error)) {
    th_respond_store_error (r, error,
                            "The visit could not be booked. Try again; nothing was saved.");
    goto out;
  }
  start = th_iso_from_ms (body.start_ms);
  th_audit (app, req->address, call->caller.staff_id, "visit.book", links.visit_id,
            json_pack ("{s:s, s:s, s:s, s:i, s:s, s:b}", "patient", body.patient_id, "provider",
                       provider_id, "start", start, "length_minutes",
                       (json_int_t) body.length_minutes, "type", body.visit_type, "double_booked",
                       double_booked));
  if (!store_get_visit (app->store, links.visit_id, &v, &error)) {
    th_respond_store_error (r, error,
                            "The visit was booked, but could not be read back. Reload the page.");
    goto out;
  }
  at = th_iso_from_ms (links.scheduled_at_ms);
  th_respond_json (r, 201,
                   json_pack ("{s:s, s:s, s:s, s:s, s:o, s:b, s:o}", "visit_id", links.visit_id,
                              "patient_url", links.patient_url, "provider_url", links.provider_url,
                              "scheduled_at", at, "visit", visit_json (app, &v), "double_booked",
                              double_booked, "invitation",
                              th_notify_patient (app, links.visit_id, TH_VISIT_BOOKED)));
out:
  store_visit_clear (&v);
  th_visit_links_clear (&links);
  th_visit_book_body_clear (&body);
}

/* --------------------------------------------------------- move, cancel */

/* FALSE after a 422 when the visit is no longer scheduled. */
static gboolean
require_scheduled (ThHttpResponse *r, const StoreVisit *v, const char *what)
{
  g_autofree char *message = NULL;

  if (v->state == VISIT_SCHEDULED)
    return TRUE;
  message = g_strdup_printf ("Only a scheduled visit can be %s, and this one %s. Nothing was "
                             "changed.",
                             what, state_words (v->state));
  respond_invalid (r, NULL, message);
  return FALSE;
}

/* Reads the visit again and answers 200 {visit, ...extra}. */
static void
respond_visit (ThApp *app, ThHttpResponse *r, const char *visit_id, json_t *extra)
{
  g_autoptr (GError) error = NULL;
  StoreVisit v = { 0 };
  json_t *obj;

  if (!store_get_visit (app->store, visit_id, &v, &error)) {
    json_decref (extra);
    th_respond_store_error (r, error,
                            "The change was saved, but could not be read back. Reload "
                            "the page.");
    return;
  }
  obj = json_pack ("{s:o}", "visit", visit_json (app, &v));
  if (obj && extra)
    json_object_update (obj, extra);
  json_decref (extra);
  th_respond_json (r, 200, obj);
  store_visit_clear (&v);
}

TH_HANDLER (th_move_visit)
{
  const StoreVisit *v = &call->visit;
  g_autoptr (GError) error = NULL;
  g_autofree char *from = NULL, *to = NULL;
  const char *field = NULL;
  ThVisitMoveBody body;
  gboolean double_booked = FALSE;
  gint64 from_ms = v->scheduled_at_ms;
  guint length;

  if (!th_body_visit_move (req->body, req->body_len, app->config->time_zone, &body, &field,
                           &error)) {
    respond_body (r, error, field);
    return;
  }
  length = body.length_minutes ? body.length_minutes : v->length_minutes;
  if (!require_scheduled (r, v, "moved") || !require_future (r, body.start_ms) ||
      !th_free_or_confirmed (app, r, v->provider_id, body.start_ms, length, v->id,
                             body.confirm_double_booking, &double_booked))
    return;
  if (!store_move_visit (app->store, v->id,
                         &(StoreVisitMove) {
                           .start_ms = body.start_ms,
                           .length_minutes = body.length_minutes,
                           .by_staff_id = call->caller.staff_id,
                           .link_before_ms = (gint64) app->config->join_window_before_min * 60000,
                           .link_after_ms = (gint64) app->config->join_window_after_min * 60000 },
                         &from_ms, &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      respond_invalid (r, NULL,
                       "Only a scheduled visit can be moved, and this one changed "
                       "meanwhile. Reload the schedule. Nothing was changed.");
    else
      th_respond_store_error (r, error,
                              "The visit could not be moved. Try again; nothing was "
                              "changed.");
    return;
  }
  from = th_iso_from_ms (from_ms);
  to = th_iso_from_ms (body.start_ms);
  th_audit (app, req->address, call->caller.staff_id, "visit.move", v->id,
            json_pack ("{s:s, s:s, s:s, s:i, s:b}", "patient", v->patient_id, "from", from, "to",
                       to, "length_minutes", (json_int_t) length, "double_booked", double_booked));
  respond_visit (app, r, v->id,
                 json_pack ("{s:s, s:s, s:b, s:o}", "from", from, "to", to, "double_booked",
                            double_booked, "invitation",
                            th_notify_patient (app, v->id, TH_VISIT_MOVED)));
}

TH_HANDLER (th_cancel_visit)
{
  const StoreVisit *v = &call->visit;
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  const char *field = NULL;

  if (!th_body_visit_cancel (req->body, req->body_len, &reason, &field, &error)) {
    respond_body (r, error, field);
    return;
  }
  if (!require_scheduled (r, v, "cancelled"))
    return;
  if (!store_cancel_visit (app->store, v->id, reason, call->caller.staff_id, &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      respond_invalid (r, NULL,
                       "Only a scheduled visit can be cancelled, and this one changed "
                       "meanwhile. Reload the schedule. Nothing was changed.");
    else
      th_respond_store_error (r, error,
                              "The visit could not be cancelled. Try again; nothing "
                              "was changed.");
    return;
  }
  /* The reason is the clinic's free text about a patient: not audited. */
  th_audit (app, req->address, call->caller.staff_id, "visit.cancel", v->id,
            json_pack ("{s:s}", "patient", v->patient_id));
  respond_visit (app, r, v->id,
                 json_pack ("{s:o}", "invitation",
                            th_notify_patient (app, v->id, TH_VISIT_CANCELLED)));
}

/* ------------------------------------------------------------- reading */

/* The clinic's clinicians with active accounts, by name; NULL after a 500. */
static GPtrArray *
clinicians (ThApp *app, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *staff = store_list_staff (app->store, &error);

  if (!staff) {
    th_respond_store_error (r, error, "The providers could not be read. Reload the page.");
    return NULL;
  }
  for (guint i = staff->len; i > 0; i--) {
    StoreStaffAccount *a = g_ptr_array_index (staff, i - 1);
    if (!store_staff_role_clinical (a->role) || a->disabled)
      g_ptr_array_remove_index (staff, i - 1);
  }
  return staff;
}

static json_t *
provider_json (const char *id, const char *name, const char *role)
{
  return json_pack ("{s:s, s:s, s:s?}", "id", id, "display_name", name ? name : "", "role", role);
}

TH_HANDLER (th_get_providers)
{
  g_autoptr (GPtrArray) staff = clinicians (app, r);
  json_t *list;

  (void) req;
  (void) call;
  if (!staff)
    return;
  list = json_array ();
  for (guint i = 0; i < staff->len; i++) {
    StoreStaffAccount *a = g_ptr_array_index (staff, i);
    json_array_append_new (list, provider_json (a->id, a->display_name, a->role));
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "providers", list));
}

/* The first day and how many: FALSE after a 400. */
static gboolean
schedule_days (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, GDate *day, guint *days)
{
  g_autofree char *date_s = NULL, *days_s = NULL;
  const char *date = th_query_param (req->query, "date", &date_s);
  const char *n = th_query_param (req->query, "days", &days_s);

  if (!date)
    th_clinic_today (app, day);
  else if (!th_date_parse (date, day)) {
    th_respond_error (r, 400, "bad-query", "The date must be written YYYY-MM-DD.");
    return FALSE;
  }
  *days = !n || strcmp (n, "1") == 0 ? 1 : strcmp (n, "7") == 0 ? 7 : 0;
  if (!*days) {
    th_respond_error (r, 400, "bad-query",
                      "The schedule shows one day (days=1) or a week (days=7).");
    return FALSE;
  }
  return TRUE;
}

/* Groups the visits under their providers (those of `staff` first, in
 * order, then any other provider a visit has). */
static json_t *
group_by_provider (ThApp *app, GPtrArray *staff, GPtrArray *visits)
{
  json_t *out = json_array ();
  g_autoptr (GHashTable) lists = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; staff && i < staff->len; i++) {
    StoreStaffAccount *a = g_ptr_array_index (staff, i);
    json_t *p = provider_json (a->id, a->display_name, a->role);
    json_object_set_new (p, "visits", json_array ());
    json_array_append_new (out, p);
    g_hash_table_insert (lists, a->id, json_object_get (p, "visits"));
  }
  for (guint i = 0; i < visits->len; i++) {
    StoreVisit *v = g_ptr_array_index (visits, i);
    json_t *list = g_hash_table_lookup (lists, v->provider_id);
    if (!list) {
      json_t *p = provider_json (v->provider_id, v->provider_name, NULL);
      list = json_array ();
      json_object_set_new (p, "visits", list);
      json_array_append_new (out, p);
      g_hash_table_insert (lists, v->provider_id, list);
    }
    json_array_append_new (list, visit_json (app, v));
  }
  return out;
}

TH_HANDLER (th_get_schedule)
{
  g_autofree char *who_s = NULL, *from_s = NULL, *to_s = NULL, *now_s = NULL, *date_s = NULL,
                  *today_s = NULL;
  const char *who = th_query_param (req->query, "provider", &who_s);
  gboolean all = th_caller_sees_all (&call->caller) && (!who || strcmp (who, "all") == 0);
  g_autoptr (GPtrArray) staff = NULL, visits = NULL;
  g_autoptr (GDateTime) start = NULL, end = NULL;
  g_autoptr (GError) error = NULL;
  GDate day, today;
  guint days;
  json_t *providers;

  if (!schedule_days (app, req, r, &day, &days))
    return;
  if (!all && !th_caller_sees_all (&call->caller) && who &&
      strcmp (who, call->caller.staff_id) != 0) {
    th_respond_error (r, 403, "forbidden",
                      "You see your own schedule. The front desk sees every provider's.");
    return;
  }
  if (!all && !who)
    who = call->caller.staff_id;
  start = g_date_time_new (app->config->time_zone, g_date_get_year (&day), g_date_get_month (&day),
                           g_date_get_day (&day), 0, 0, 0);
  end = start ? g_date_time_add_days (start, (gint) days) : NULL;
  if (!end) {
    th_respond_error (r, 400, "bad-query", "The date must be written YYYY-MM-DD.");
    return;
  }
  if (all && !(staff = clinicians (app, r)))
    return;
  visits = store_list_provider_visits (app->store, all ? NULL : who,
                                       g_date_time_to_unix (start) * 1000,
                                       g_date_time_to_unix (end) * 1000, &error);
  if (!visits) {
    th_respond_store_error (r, error, "The schedule could not be read. Reload the page.");
    return;
  }
  if (!all) {
    /* One provider: their column even on a day without visits. */
    StoreStaffAccount a = { 0 };
    if (!store_get_staff_account (app->store, who, &a, &error)) {
      if (th_store_absent (error))
        th_respond_error (r, 404, "not-found", "There is no such provider.");
      else
        th_respond_store_error (r, error, "The schedule could not be read. Reload the page.");
      return;
    }
    staff = g_ptr_array_new_with_free_func ((GDestroyNotify) store_staff_account_free);
    g_ptr_array_add (staff, g_memdup2 (&a, sizeof a));
  }
  providers = group_by_provider (app, staff, visits);
  th_clinic_today (app, &today);
  date_s = g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (&day), g_date_get_month (&day),
                            g_date_get_day (&day));
  today_s = g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (&today), g_date_get_month (&today),
                             g_date_get_day (&today));
  from_s = th_iso_from_ms (g_date_time_to_unix (start) * 1000);
  to_s = th_iso_from_ms (g_date_time_to_unix (end) * 1000);
  now_s = th_iso_from_ms (store_now_ms ());
  th_audit (app, req->address, call->caller.staff_id, "schedule.view", all ? "all" : who,
            json_pack ("{s:s, s:i, s:i}", "date", date_s, "days", (json_int_t) days, "visits",
                       (json_int_t) visits->len));
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:o}", "time_zone",
                              app->config->time_zone_name, "now", now_s, "today", today_s, "date",
                              date_s, "days", (json_int_t) days, "from", from_s, "to", to_s,
                              "providers", providers));
}
