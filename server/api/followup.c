/* followup.c — the next follow-up (issue 13): what happened in a visit,
 * read from the store for the rule table (records.h, followup.c), the
 * suggestion recorded when the visit ends, GET and POST
 * /api/visits/<id>/follow-up (the suggestion with proposed times; booking
 * the next visit in one step), and the record's "next visit". Times are
 * proposed and shown in the clinic's zone ([clinic] time_zone). */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/clock/clock.h"

#include <string.h>

/* The intervals the console offers, in weeks. */
static const guint kChoiceWeeks[] = { 1, 2, 4, 6, 8, 12 };

/* ------------------------------------------------------------ the facts */

/* The medication an order was written against: its own snapshot first (the
 * catalog may have changed since), else the catalog's entry. */
static const Medication *
order_medication (ThApp *app, const StoreOrder *o, Medication **snapshot)
{
  *snapshot = med_snapshot_parse (o->snapshot);
  return *snapshot ? *snapshot : med_catalog_find (app->catalog, o->medication_id);
}

static double
order_daily (const StoreOrder *o)
{
  MedDosing d = { .dose = o->dose,
                  .second_dose = o->second_dose,
                  .unit = o->unit,
                  .frequency = o->frequency,
                  .route = o->route,
                  .prn_max_per_day = o->prn_max_per_day };
  return med_dosing_daily_total (&d);
}

/* One order of the visit as the rules read it; FALSE when it counts for
 * nothing (entered in error, declined, or stopped by its replacement,
 * which is counted itself). */
static gboolean
order_change (const StoreVisit *v, const StoreOrder *o, GPtrArray *all, FollowUpChange *c)
{
  if (g_strcmp0 (o->status, "entered-in-error") == 0 || g_strcmp0 (o->status, "declined") == 0)
    return FALSE;
  if (g_strcmp0 (o->visit_id, v->id) != 0) {
    /* An earlier order listed because this visit stopped it. */
    if (o->stopped_by_order_id)
      return FALSE;
    c->kind = ADJUST_STOP;
    return TRUE;
  }
  if (!adjustment_kind_from_name (o->action, &c->kind))
    c->kind = ADJUST_CHANGE_DOSE;
  if (c->kind == ADJUST_CHANGE_DOSE) {
    c->daily_after = order_daily (o);
    for (guint i = 0; all && i < all->len; i++) {
      const StoreOrder *old = g_ptr_array_index (all, i);
      if (g_strcmp0 (old->id, o->replaces_order_id) == 0)
        c->daily_before = order_daily (old);
    }
  }
  return TRUE;
}

gboolean
th_follow_up_facts (ThApp *app, const StoreVisit *v, FollowUpFacts *out, GError **error)
{
  g_autoptr (GPtrArray) orders = NULL, all = NULL, timeline = NULL;
  g_autoptr (GError) local = NULL;
  StoreCheckin checkin = { 0 };

  memset (out, 0, sizeof *out);
  if (store_get_latest_checkin (app->store, v->id, &checkin, &local)) {
    for (guint i = 0; checkin.scales && i < checkin.scales->len; i++)
      out->item9_alert |= ((StoreScaleResult *) g_ptr_array_index (checkin.scales, i))->alert;
    store_checkin_clear (&checkin);
  } else if (!th_store_absent (local)) {
    /* Never a suggestion without the item-9 alert that may be there. */
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  if (!(orders = store_list_visit_orders (app->store, v->id, error)) ||
      !(all = store_list_patient_orders (app->store, v->patient_id, error)) ||
      !(timeline = store_visit_timeline (app->store, v->id, error)))
    return FALSE;
  /* Never in progress and no order written or stopped in it: the visit
   * did not take place (an order means the clinician acted, whatever the
   * channel, e.g. by phone). */
  out->not_seen = v->state != VISIT_IN_PROGRESS && orders->len == 0;
  for (guint i = 0; i < timeline->len; i++) {
    const StoreVisitEvent *e = g_ptr_array_index (timeline, i);
    if (g_strcmp0 (e->state, "in_progress") == 0)
      out->not_seen = FALSE;
  }
  for (guint i = 0; i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    Medication *snapshot = NULL;
    FollowUpChange c = { 0 };
    if (!order_change (v, o, all, &c))
      continue;
    c.medication = order_medication (app, o, &snapshot);
    c.name = o->medication_name;
    follow_up_note_change (out, &c);
    medication_free (snapshot);
  }
  return TRUE;
}

/* The visit's follow-up as recorded, else the rules' suggestion now, into
 * *f (visit_id, rule, suggested_weeks, reason; weeks, due_date and the
 * booked visit only when recorded). FALSE with `error` when the store
 * cannot tell. */
static gboolean
follow_up_of (ThApp *app, const StoreVisit *v, StoreFollowUp *f, gboolean *recorded, GError **error)
{
  g_autoptr (GError) local = NULL;
  FollowUpFacts facts;
  FollowUpSuggestion s;

  memset (f, 0, sizeof *f);
  *recorded = store_get_follow_up (app->store, v->id, f, &local);
  if (*recorded)
    return TRUE;
  if (!th_store_absent (local)) {
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  if (!th_follow_up_facts (app, v, &facts, error))
    return FALSE;
  follow_up_suggest (&facts, &app->config->follow_up, &s);
  f->visit_id = g_strdup (v->id);
  f->rule = g_strdup (follow_up_rule_code (s.rule));
  f->suggested_weeks = s.weeks;
  f->reason = g_steal_pointer (&s.reason);
  follow_up_suggestion_clear (&s);
  follow_up_facts_clear (&facts);
  return TRUE;
}

/* ------------------------------------------------------ the clinic's time */

static const char *const kDays[] = { "", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const kMonths[] = { "",    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

char *
th_date_words (ThApp *app, const GDate *d)
{
  GDate today;

  if (!g_date_valid (d))
    return g_strdup ("");
  th_clinic_today (app, &today);
  /* The year only when it is not this one: "Tue 12 Jan", "Tue 11 Jan 2028". */
  if (g_date_valid (&today) && g_date_get_year (&today) == g_date_get_year (d))
    return g_strdup_printf ("%s %u %s", kDays[g_date_get_weekday (d)], g_date_get_day (d),
                            kMonths[g_date_get_month (d)]);
  return g_strdup_printf ("%s %u %s %u", kDays[g_date_get_weekday (d)], g_date_get_day (d),
                          kMonths[g_date_get_month (d)], g_date_get_year (d));
}

char *
th_local_words (ThApp *app, gint64 ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr (GDateTime) at = utc ? g_date_time_to_timezone (utc, app->config->time_zone) : NULL;
  g_autofree char *day = NULL;
  GDate d;

  if (!at)
    return g_strdup ("");
  g_date_clear (&d, 1);
  g_date_set_dmy (&d, (GDateDay) g_date_time_get_day_of_month (at),
                  (GDateMonth) g_date_time_get_month (at), (GDateYear) g_date_time_get_year (at));
  day = th_date_words (app, &d);
  /* The zone's abbreviation: across a change of clock, "10:00" alone would
   * not say which. */
  return g_strdup_printf ("%s %02d:%02d %s", day, g_date_time_get_hour (at),
                          g_date_time_get_minute (at), g_date_time_get_timezone_abbreviation (at));
}

/* The instant of local date `d` at hh:mm in the clinic's zone; -1 when
 * there is none. */
static gint64
clinic_instant (ThApp *app, const GDate *d, guint hour, guint minute)
{
  g_autoptr (GDateTime) at = NULL;

  if (!g_date_valid (d))
    return -1;
  at = g_date_time_new (app->config->time_zone, g_date_get_year (d), g_date_get_month (d),
                        g_date_get_day (d), (gint) hour, (gint) minute, 0);
  return at ? g_date_time_to_unix (at) * 1000 : -1;
}

/* The visit's date and time of day in the clinic's zone. */
static void
visit_local (ThApp *app, const StoreVisit *v, GDate *d, guint *hour, guint *minute)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (v->scheduled_at_ms / 1000);
  g_autoptr (GDateTime) at = utc ? g_date_time_to_timezone (utc, app->config->time_zone) : NULL;

  th_clock_local_date (app->config->time_zone, v->scheduled_at_ms, d);
  *hour = at ? (guint) g_date_time_get_hour (at) : 9;
  *minute = at ? (guint) g_date_time_get_minute (at) : 0;
}

/* The same weekday and time of day `weeks` later, in the clinic's zone:
 * from the visit's date, or from today when that is already past. */
static gint64
proposed_at (ThApp *app, const StoreVisit *v, guint weeks, guint hour, guint minute, GDate *day)
{
  GDate today;
  gint64 at;

  visit_local (app, v, day, &(guint) { 0 }, &(guint) { 0 });
  g_date_add_days (day, weeks * 7);
  at = clinic_instant (app, day, hour, minute);
  if (at > store_now_ms ())
    return at;
  th_clinic_today (app, &today);
  *day = today;
  g_date_add_days (day, weeks * 7);
  return clinic_instant (app, day, hour, minute);
}

static json_t *
proposal_json (ThApp *app, guint weeks, const GDate *day, gint64 at, guint hour, guint minute)
{
  g_autofree char *date = th_date_format (day);
  g_autofree char *iso = th_iso_from_ms (at);
  g_autofree char *words = th_local_words (app, at);
  g_autofree char *time = g_strdup_printf ("%02u:%02u", hour, minute);

  return json_pack ("{s:o, s:s?, s:s, s:s?, s:s}", "weeks",
                    weeks ? json_integer (weeks) : json_null (), "date", date, "time", time, "at",
                    iso, "local", words);
}

/* -------------------------------------------------------- the record's */

static json_t *
visit_brief_json (ThApp *app, const StoreVisit *v)
{
  g_autofree char *at = th_iso_from_ms (v->scheduled_at_ms);
  g_autofree char *words = th_local_words (app, v->scheduled_at_ms);

  return json_pack ("{s:s, s:s?, s:s, s:s, s:{s:s, s:s}}", "id", v->id, "at", at, "local", words,
                    "state", visit_state_name (v->state), "provider", "id", v->provider_id,
                    "display_name", v->provider_name ? v->provider_name : "");
}

json_t *
th_next_visit_json (ThApp *app, const StoreVisit *v, GError **error)
{
  g_autoptr (GError) local = NULL;
  StoreVisit next = { 0 };
  json_t *obj;

  if (!store_next_visit (app->store, v->patient_id, v->id, v->scheduled_at_ms, &next, &local)) {
    if (th_store_absent (local))
      return json_null ();
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  obj = visit_brief_json (app, &next);
  store_visit_clear (&next);
  return obj;
}

static json_t *
recorded_json (ThApp *app, const StoreFollowUp *f)
{
  g_autofree char *words = NULL;
  GDate due;

  th_date_parse (f->due_date, &due);
  words = th_date_words (app, &due);
  return json_pack ("{s:o, s:s, s:s, s:i, s:s, s:s?}", "weeks",
                    f->weeks ? json_integer (f->weeks) : json_null (), "due_by", f->due_date,
                    "due_by_text", words, "suggested_weeks", (json_int_t) f->suggested_weeks,
                    "reason", f->reason, "next_visit_id", f->next_visit_id);
}

json_t *
th_follow_up_record_json (ThApp *app, const char *visit_id, GError **error)
{
  g_autoptr (GError) local = NULL;
  StoreFollowUp f = { 0 };
  json_t *obj;

  if (!store_get_follow_up (app->store, visit_id, &f, &local)) {
    if (th_store_absent (local))
      return json_null ();
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  obj = recorded_json (app, &f);
  store_follow_up_clear (&f);
  return obj;
}

/* ------------------------------------------------------ the visit ended */

void
th_follow_up_visit_ended (ThApp *app, const char *visit_id)
{
  g_autoptr (GError) error = NULL;
  StoreVisit v = { 0 };
  StoreFollowUp f = { 0 };
  gboolean recorded = FALSE;
  GDate due;

  /* The suggestion is recorded now, whatever happens next in the console:
   * "who is overdue" must know when the patient is due even if nobody books. */
  if (!store_get_visit (app->store, visit_id, &v, &error) ||
      !follow_up_of (app, &v, &f, &recorded, &error))
    goto out;
  if (!recorded) {
    th_clinic_today (app, &due);
    g_date_add_days (&due, f.suggested_weeks * 7);
    f.due_date = th_date_format (&due);
    if (!store_follow_up_suggest (app->store, &f, NULL, &error))
      goto out;
  }
out:
  /* Ids and the store's words only: nothing of the patient. */
  if (error)
    g_warning ("visit %s: its follow-up interval was not recorded: %s", visit_id, error->message);
  store_follow_up_clear (&f);
  store_visit_clear (&v);
}

/* ------------------------------------------------------------ the routes */

static gboolean
visit_open (const StoreVisit *v)
{
  return v->state == VISIT_SCHEDULED || v->state == VISIT_WAITING || v->state == VISIT_IN_PROGRESS;
}

/* The visit booked for the follow-up, when it is still to come: JSON or
 * JSON null; NULL with `error` when it cannot be read. */
static json_t *
booked_json (ThApp *app, const StoreFollowUp *f, GError **error)
{
  g_autoptr (GError) local = NULL;
  StoreVisit booked = { 0 };
  json_t *obj;

  if (!f->next_visit_id)
    return json_null ();
  if (!store_get_visit (app->store, f->next_visit_id, &booked, &local)) {
    if (th_store_absent (local))
      return json_null ();
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  obj = visit_open (&booked) ? visit_brief_json (app, &booked) : json_null ();
  store_visit_clear (&booked);
  return obj;
}

static json_t *
choices_json (ThApp *app, const StoreVisit *v, guint suggested, guint hour, guint minute)
{
  json_t *list = json_array ();
  gboolean listed = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (kChoiceWeeks) || !listed; i++) {
    /* A configured interval not among the usual ones is offered too. */
    guint weeks = i < G_N_ELEMENTS (kChoiceWeeks) ? kChoiceWeeks[i] : suggested;
    GDate day;
    gint64 at = proposed_at (app, v, weeks, hour, minute, &day);
    listed |= weeks == suggested;
    json_array_append_new (list, proposal_json (app, weeks, &day, at, hour, minute));
  }
  return list;
}

void
th_get_follow_up (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const StoreVisit *v = &call->visit;
  g_autoptr (GError) error = NULL;
  StoreFollowUp f = { 0 };
  gboolean recorded = FALSE;
  json_t *booked = NULL, *obj;
  FollowUpRule rule = FOLLOW_UP_STABLE;
  guint hour, minute;
  GDate day;
  gint64 at;

  (void) req;
  if (!follow_up_of (app, v, &f, &recorded, &error) || !(booked = booked_json (app, &f, &error))) {
    th_respond_store_error (r, error, "The follow-up could not be read. Reload the page.");
    goto out;
  }
  follow_up_rule_from_code (f.rule, &rule);
  visit_local (app, v, &day, &hour, &minute);
  at = proposed_at (app, v, f.suggested_weeks, hour, minute, &day);
  obj = json_pack ("{s:s, s:s, s:s, s:{s:i, s:s, s:s, s:s}, s:o, s:o, s:o, s:o}", "visit_id", v->id,
                   "state", visit_state_name (v->state), "time_zone", app->config->time_zone_name,
                   "suggestion", "weeks", (json_int_t) f.suggested_weeks, "rule", f.rule, "reason",
                   f.reason, "source", follow_up_rule_source (rule), "proposed",
                   proposal_json (app, f.suggested_weeks, &day, at, hour, minute), "choices",
                   choices_json (app, v, f.suggested_weeks, hour, minute), "recorded",
                   recorded ? recorded_json (app, &f) : json_null (), "booked", booked);
  th_respond_json (r, 200, obj);
out:
  store_follow_up_clear (&f);
}

/* 422 naming the field at fault (the console puts the message beside it). */
static void
respond_field (ThHttpResponse *r, const char *field, const char *message)
{
  th_respond_json (r, 422,
                   json_pack ("{s:{s:s, s:s, s:s?}}", "error", "code", "invalid", "message",
                              message, "field", field));
  if (r->status == 422)
    g_strlcpy (r->error_code, "invalid", sizeof r->error_code);
}

/* The instant the body asks for, or -1 after answering 422. */
static gint64
requested_at (ThApp *app, const StoreVisit *v, const ThFollowUpBody *b, GDate *day,
              ThHttpResponse *r)
{
  guint hour, minute;
  gint64 at, now = store_now_ms ();
  GDate today;

  visit_local (app, v, day, &hour, &minute);
  if (b->has_time) {
    hour = b->hour;
    minute = b->minute;
  }
  if (b->weeks) {
    at = proposed_at (app, v, b->weeks, hour, minute, day);
  } else {
    *day = b->date;
    at = clinic_instant (app, day, hour, minute);
  }
  th_clinic_today (app, &today);
  if (at < 0 || (g_date_valid (&today) && g_date_compare (day, &today) < 0)) {
    respond_field (r, "date",
                   "The date is in the past. Choose a date from today on. Nothing was "
                   "booked.");
    return -1;
  }
  if (at <= now) {
    respond_field (r, "time",
                   "That time today has passed. Choose a later time or another day. "
                   "Nothing was booked.");
    return -1;
  }
  if (at > now + (gint64) (FOLLOW_UP_MAX_WEEKS + 1) * 7 * 24 * 3600 * 1000) {
    respond_field (r, "date", "Book the next follow-up at most a year ahead. Nothing was booked.");
    return -1;
  }
  return at;
}

/* FALSE after answering: 409 when the visit is not over yet, or when its
 * follow-up is booked already (a second click books nothing twice). */
static gboolean
may_book (ThApp *app, const StoreVisit *v, const StoreFollowUp *f, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  json_t *booked;

  if (visit_open (v)) {
    th_respond_error (r, 409, "bad-state",
                      "The next follow-up is booked once this visit has ended. Nothing was "
                      "booked.");
    return FALSE;
  }
  if (!(booked = booked_json (app, f, &error))) {
    th_respond_store_error (r, error, "The follow-up could not be read. Nothing was booked.");
    return FALSE;
  }
  if (json_is_object (booked)) {
    g_autofree char *message =
      g_strdup_printf ("The next follow-up is already booked: %s with %s. Nothing else was booked.",
                       json_string_value (json_object_get (booked, "local")),
                       json_string_value (
                         json_object_get (json_object_get (booked, "provider"), "display_name")));
    th_respond_json (r, 409,
                     json_pack ("{s:{s:s, s:s}, s:o}", "error", "code", "already-booked", "message",
                                message, "booked", booked));
    if (r->status == 409)
      g_strlcpy (r->error_code, "already-booked", sizeof r->error_code);
    return FALSE;
  }
  json_decref (booked);
  return TRUE;
}

void
th_post_follow_up (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const StoreVisit *v = &call->visit;
  g_autoptr (GError) error = NULL;
  g_autofree char *at_text = NULL, *words = NULL;
  ThVisitLinks links = { 0 };
  ThFollowUpBody body;
  StoreFollowUp f = { 0 };
  const char *field = NULL;
  gboolean recorded = FALSE, double_booked = FALSE;
  GDate day;
  gint64 at;

  if (!th_body_follow_up (req->body, req->body_len, &body, &field, &error)) {
    if (field)
      respond_field (r, field, error->message);
    else
      th_respond_body_error (r, error);
    goto out;
  }
  if (!follow_up_of (app, v, &f, &recorded, &error)) {
    th_respond_store_error (r, error, "The follow-up could not be read. Nothing was booked.");
    goto out;
  }
  if (!may_book (app, v, &f, r) || (at = requested_at (app, v, &body, &day, r)) < 0 ||
      !th_free_or_confirmed (app, r, v->provider_id, at, v->length_minutes, NULL,
                             body.confirm_double_booking, &double_booked))
    goto out;
  f.weeks = body.weeks;
  g_free (f.due_date);
  f.due_date = th_date_format (&day);
  if (!th_book_follow_up_with_links (app, &f, call->caller.staff_id, v->patient_id, v->provider_id,
                                     at, v->length_minutes, &links, &error)) {
    th_respond_store_error (r, error,
                            "The follow-up could not be booked. Try again; nothing was saved.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "visit.follow-up-book", v->id,
            json_pack ("{s:s, s:s, s:i, s:b}", "patient", v->patient_id, "next_visit",
                       links.visit_id, "weeks", (json_int_t) body.weeks, "double_booked",
                       double_booked));
  at_text = th_iso_from_ms (at);
  words = th_local_words (app, at);
  th_respond_json (r, 201,
                   json_pack ("{s:s, s:s, s:s, s:s, s:s, s:{s:o, s:s}, s:b, s:o}", "visit_id",
                              links.visit_id, "patient_url", links.patient_url, "provider_url",
                              links.provider_url, "scheduled_at", at_text, "local", words,
                              "follow_up", "weeks",
                              body.weeks ? json_integer (body.weeks) : json_null (), "due_by",
                              f.due_date, "double_booked", double_booked, "invitation",
                              th_notify_patient (app, links.visit_id, TH_VISIT_BOOKED)));
out:
  th_visit_links_clear (&links);
  store_follow_up_clear (&f);
}
