/* overdue.c — GET /api/overdue (issue 13): the caller's patients (an
 * admin's: every provider's) whose follow-up is past its due date with
 * nothing booked, and those who missed their last visit (no-show), each
 * with the due date, the days overdue and the visit to book from. "Today"
 * is the clinic's date by the server's one clock. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/clock/clock.h"

#include <string.h>

/* The date the follow-up of `d` is due by: as recorded, else as the rules
 * say now from the visit (ended before follow-ups were recorded, or the
 * recording failed); a missed visit is due the day it was missed. FALSE
 * with `error` when the store cannot tell. */
static gboolean
due_date_of (ThApp *app, const StoreFollowUpDue *d, GDate *due, guint *weeks, char **reason,
             GError **error)
{
  FollowUpFacts facts;
  FollowUpSuggestion s;

  if (d->no_show) {
    th_clock_local_date (app->config->time_zone, d->last.scheduled_at_ms, due);
    *weeks = 0;
    *reason = g_strdup ("missed the last visit (no-show)");
    return TRUE;
  }
  if (d->has_follow_up) {
    th_date_parse (d->follow_up.due_date, due);
    *weeks = d->follow_up.weeks ? d->follow_up.weeks : d->follow_up.suggested_weeks;
    *reason = g_strdup (d->follow_up.reason);
    return TRUE;
  }
  if (!th_follow_up_facts (app, &d->last, &facts, error))
    return FALSE;
  follow_up_suggest (&facts, &app->config->follow_up, &s);
  th_clock_local_date (app->config->time_zone, d->ended_at_ms, due);
  if (g_date_valid (due))
    g_date_add_days (due, s.weeks * 7);
  *weeks = s.weeks;
  *reason = g_steal_pointer (&s.reason);
  follow_up_suggestion_clear (&s);
  follow_up_facts_clear (&facts);
  return TRUE;
}

static json_t *
overdue_json (ThApp *app, const ThCaller *caller, const StoreFollowUpDue *d, const GDate *due,
              guint weeks, const char *reason, gint days)
{
  g_autofree char *due_text = th_date_format (due);
  g_autofree char *due_words = th_date_words (app, due);
  g_autofree char *last_at = th_iso_from_ms (d->last.scheduled_at_ms);
  g_autofree char *last_words = th_local_words (app, d->last.scheduled_at_ms);

  /* Book: the last visit's provider books from it (POST .../follow-up);
   * anyone else sees who to ask. */
  return json_pack ("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:s?, s:s, s:i, s:o, s:s, s:{s:s, s:s?, "
                    "s:s, s:s}, s:b}",
                    "kind", d->no_show ? "no-show" : "overdue", "patient", "id", d->last.patient_id,
                    "display_name", d->last.patient_name ? d->last.patient_name : "", "provider",
                    "id", d->last.provider_id, "display_name",
                    d->last.provider_name ? d->last.provider_name : "", "due_by", due_text,
                    "due_by_text", due_words, "days_overdue", (json_int_t) days, "weeks",
                    weeks ? json_integer (weeks) : json_null (), "reason", reason ? reason : "",
                    "last_visit", "id", d->last.id, "at", last_at, "local", last_words, "state",
                    d->no_show ? "no_show" : visit_state_name (d->last.state), "can_book",
                    g_strcmp0 (d->last.provider_id, caller->staff_id) == 0);
}

static gint
by_days_overdue (gconstpointer a, gconstpointer b)
{
  json_int_t x = json_integer_value (json_object_get (*(json_t *const *) a, "days_overdue"));
  json_int_t y = json_integer_value (json_object_get (*(json_t *const *) b, "days_overdue"));

  return x < y ? 1 : x > y ? -1 : 0;
}

void
th_get_overdue (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  gboolean admin = g_strcmp0 (call->caller.staff_role, "admin") == 0;
  g_autoptr (GPtrArray) rows = NULL, found = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *today_text = NULL;
  json_t *list;
  GDate today;

  (void) req;
  rows = store_list_follow_ups_due (app->store, admin ? NULL : call->caller.staff_id, &error);
  if (!rows) {
    th_respond_store_error (r, error, "The overdue list could not be read. Reload the page.");
    return;
  }
  th_clinic_today (app, &today);
  found = g_ptr_array_new_with_free_func ((GDestroyNotify) json_decref);
  for (guint i = 0; i < rows->len; i++) {
    const StoreFollowUpDue *d = g_ptr_array_index (rows, i);
    g_autofree char *reason = NULL;
    guint weeks = 0;
    GDate due;
    gint days;

    g_date_clear (&due, 1);
    if (!due_date_of (app, d, &due, &weeks, &reason, &error)) {
      th_respond_store_error (r, error, "The overdue list could not be read. Reload the page.");
      return;
    }
    /* Due by a date means seen by then: overdue from the day after. */
    /* A missed visit is listed from the day it was missed. */
    if (!g_date_valid (&due) || !g_date_valid (&today) ||
        g_date_compare (&due, &today) > (d->no_show ? 0 : -1))
      continue;
    days = g_date_days_between (&due, &today);
    g_ptr_array_add (found, overdue_json (app, &call->caller, d, &due, weeks, reason, days));
  }
  g_ptr_array_sort (found, by_days_overdue);
  list = json_array ();
  for (guint i = 0; i < found->len; i++)
    json_array_append (list, g_ptr_array_index (found, i));
  today_text = th_date_format (&today);
  th_respond_json (r, 200,
                   json_pack ("{s:s?, s:s, s:i, s:o}", "today", today_text, "time_zone",
                              app->config->time_zone_name, "count", (json_int_t) found->len,
                              "patients", list));
}
