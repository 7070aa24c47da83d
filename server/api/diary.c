/* diary.c — the patient's diary page behind a diary link (CALLER_DIARY):
 * what it shows (the first name only, the current medications with their
 * doses a day and side-effect lists, the last 7 days' records, the crisis
 * numbers, the reminder) and a day's entry, checked against the record in
 * the patient's words before anything is written. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-diary.h"
#include "server/notify/notify.h"

#include <string.h>

static const char *const kSeverity[] = { "none", "mild", "moderate", "severe" };

void
th_diary_today (ThApp *app, const StorePatient *patient, GDate *out)
{
  g_autoptr (GTimeZone)
    own = patient && patient->time_zone ? g_time_zone_new_identifier (patient->time_zone) : NULL;

  th_clock_local_date (own ? own : app->config->time_zone, store_now_ms (), out);
}

char *
th_diary_day_back (const GDate *today, guint days)
{
  GDate d = *today;

  g_date_subtract_days (&d, days);
  return th_date_format (&d);
}

static json_t *
readings_json (const StoreDiaryDay *d)
{
  json_t *o = json_object ();

  for (guint i = 0; i < d->readings->len; i++) {
    const StoreDiaryReadingRow *r = &g_array_index (d->readings, StoreDiaryReadingRow, i);
    if (g_strcmp0 (r->kind, "weight") == 0)
      json_object_set_new (o, "weight_kg", json_real (r->value));
    else if (g_strcmp0 (r->kind, "heart-rate") == 0)
      json_object_set_new (o, "heart_rate", json_real (r->value));
    else if (g_strcmp0 (r->kind, "blood-pressure") == 0 && r->has_value2) {
      json_object_set_new (o, "systolic", json_real (r->value));
      json_object_set_new (o, "diastolic", json_real (r->value2));
    }
  }
  return o;
}

json_t *
th_diary_day_json (const StoreDiaryDay *d, gboolean with_alerts)
{
  g_autofree char *made = th_iso_from_ms (d->made_at_ms);
  json_t *doses = json_array (), *effects = json_array (), *alerts = json_array ();
  json_t *o;

  for (guint i = 0; i < d->doses->len; i++) {
    const StoreDiaryDoseRow *x = &g_array_index (d->doses, StoreDiaryDoseRow, i);
    json_array_append_new (doses, json_pack ("{s:s, s:i, s:i, s:s?}", "order_id", x->order_id,
                                             "taken", (json_int_t) x->taken, "missed",
                                             (json_int_t) x->missed, "reason", x->reason));
  }
  for (guint i = 0; i < d->effects->len; i++) {
    const StoreDiaryEffectRow *x = &g_array_index (d->effects, StoreDiaryEffectRow, i);
    json_array_append_new (effects,
                           json_pack ("{s:s, s:s, s:s}", "order_id", x->order_id, "effect",
                                      x->effect, "severity", kSeverity[MIN (x->severity, 3)]));
  }
  o = json_pack ("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id", d->entry_id, "day", d->day,
                 "made_at", made ? made : "", "item9",
                 d->item9 >= 0 ? json_integer (d->item9) : json_null (), "note",
                 d->note ? json_string (d->note) : json_null (), "doses", doses, "side_effects",
                 effects, "readings", readings_json (d));
  if (!with_alerts) {
    json_decref (alerts);
    return o;
  }
  for (guint i = 0; i < d->alerts->len; i++) {
    const StoreDiaryAlertRow *a = &g_array_index (d->alerts, StoreDiaryAlertRow, i);
    g_autofree char *at = th_iso_from_ms (a->raised_at_ms);
    json_array_append_new (alerts,
                           json_pack ("{s:s, s:s, s:s?, s:s, s:b}", "rule", a->rule, "summary",
                                      a->summary, "order_id", a->order_id, "raised_at",
                                      at ? at : "", "acknowledged", a->acknowledged));
  }
  if (o)
    json_object_set_new (o, "alerts", alerts);
  else
    json_decref (alerts);
  return o;
}

/* ------------------------------------------------ the current medications */

/* One current order as the diary offers it. */
typedef struct {
  const StoreOrder *order;
  const Medication *med; /* NULL when no longer in the catalog */
  guint per_day;
  gboolean as_needed;
  const DiaryEffect *effects;
  guint n_effects;
  GDate since; /* the first day of its line (a dose change keeps the line): the clinic's date */
} DiaryMed;

static const char *
drug_name (const DiaryMed *m)
{
  return m->med ? m->med->name : m->order->medication_name;
}

/* The current orders as the diary offers them; `all` (the patient's orders,
 * any status) gives each the day its line began, before which the patient
 * was not taking it. */
static GArray *
diary_meds (ThApp *app, GPtrArray *orders, GPtrArray *all)
{
  GArray *meds = g_array_new (FALSE, TRUE, sizeof (DiaryMed));

  for (guint i = 0; i < orders->len; i++) {
    const StoreOrder *o = g_ptr_array_index (orders, i);
    DiaryMed m = { .order = o, .med = med_catalog_find (app->catalog, o->medication_id) };
    ThMedLine line = { 0 };
    m.as_needed = med_frequency_is_as_needed (o->frequency);
    m.per_day = diary_doses_per_day (o->frequency, o->prn_max_per_day);
    m.effects = diary_effects_for (app->diary, m.med, &m.n_effects);
    g_date_clear (&m.since, 1);
    th_med_line_build (app, o, all, &line);
    if (line.orders && line.orders->len > 0)
      m.since = g_array_index (line.orders, AdherenceOrder, 0).start;
    th_med_line_clear (&line);
    g_array_append_val (meds, m);
  }
  return meds;
}

static const DiaryMed *
find_med (GArray *meds, const char *order_id, guint *index)
{
  for (guint i = 0; i < meds->len; i++) {
    const DiaryMed *m = &g_array_index (meds, DiaryMed, i);
    if (g_strcmp0 (m->order->id, order_id) == 0) {
      if (index)
        *index = i;
      return m;
    }
  }
  return NULL;
}

static json_t *
med_json (const DiaryMed *m)
{
  char dose[G_ASCII_DTOSTR_BUF_SIZE];
  const char *freq = med_frequency_text (m->order->frequency);
  g_autofree char *dose_text = NULL;
  json_t *effects = json_array ();

  g_ascii_formatd (dose, sizeof dose, "%g", m->order->dose);
  dose_text = g_strdup_printf ("%s %s %s", dose, m->order->unit ? m->order->unit : "",
                               freq ? freq : m->order->frequency);
  for (guint i = 0; i < m->n_effects; i++)
    json_array_append_new (effects, json_pack ("{s:s, s:s}", "code", m->effects[i].code, "label",
                                               m->effects[i].label));
  g_autofree char *since = g_date_valid (&m->since) ? th_date_format (&m->since) : NULL;
  return json_pack ("{s:s, s:s, s:s, s:i, s:b, s:o, s:s?}", "order_id", m->order->id, "name",
                    drug_name (m), "dose_text", dose_text, "doses_per_day", (json_int_t) m->per_day,
                    "as_needed", m->as_needed, "side_effects", effects, "since", since);
}

/* ------------------------------------------------------------- GET */

/* What a patient reads when a signal needs them to act now. */
static json_t *
crisis_json (ThApp *app)
{
  const ThConfig *c = app->config;
  g_autofree char *text =
    g_strdup_printf ("If you are in danger now, call %s. To talk to someone now, call or text "
                     "%s (%s), any time, day or night.",
                     c->emergency_number, c->crisis_line, c->crisis_line_name);

  return json_pack ("{s:s, s:s, s:s, s:s}", "text", text, "emergency_number", c->emergency_number,
                    "crisis_line", c->crisis_line, "crisis_line_name", c->crisis_line_name);
}

static json_t *
reminder_json (ThApp *app, const StorePatient *p, GError **error)
{
  g_autofree char *channel = NULL;
  json_t *channels = json_array ();
  gint hour = -1;

  if (!store_diary_reminder_get (app->store, p->id, &hour, &channel, error)) {
    json_decref (channels);
    return NULL;
  }
  /* Offered only when the server sends that way and the clinic has the
   * patient's address for it. */
  if (app->config->notify.mail_host && p->email)
    json_array_append_new (channels, json_string ("email"));
  if (app->config->notify.sms_url && p->phone)
    json_array_append_new (channels, json_string ("sms"));
  return json_pack ("{s:o, s:o, s:o}", "hour", hour >= 0 ? json_integer (hour) : json_null (),
                    "channel", channel ? json_string (channel) : json_null (), "channels",
                    channels);
}

static char *
first_name (const char *name)
{
  const char *end = name ? strchr (name, ' ') : NULL;

  return name ? g_strndup (name, end ? (gsize) (end - name) : strlen (name)) : g_strdup ("");
}

TH_HANDLER (th_get_diary)
{
  const char *patient_id = call->caller.diary_patient_id;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) orders = NULL, all = NULL, days = NULL;
  g_autoptr (GArray) meds = NULL;
  g_autofree char *from = NULL, *to = NULL, *name = NULL;
  StorePatient p = { 0 };
  json_t *meds_json, *days_json, *entries, *reminder = NULL;
  GDate today;

  (void) req;
  if (!store_patient_get (app->store, patient_id, &p, &error) ||
      !(orders = store_current_medications (app->store, patient_id, &error)) ||
      !(all = store_list_patient_orders (app->store, patient_id, &error)) ||
      !(reminder = reminder_json (app, &p, &error))) {
    th_respond_store_error (r, error, "Your diary could not be opened. Try again in a moment.");
    goto out;
  }
  th_diary_today (app, &p, &today);
  from = th_diary_day_back (&today, TH_DIARY_DAYS_BACK);
  to = th_date_format (&today);
  if (!(days = store_diary_days (app->store, patient_id, from, to, &error))) {
    th_respond_store_error (r, error, "Your diary could not be opened. Try again in a moment.");
    goto out;
  }
  meds = diary_meds (app, orders, all);
  meds_json = json_array ();
  for (guint i = 0; i < meds->len; i++)
    json_array_append_new (meds_json, med_json (&g_array_index (meds, DiaryMed, i)));
  days_json = json_array ();
  for (guint i = 0; i <= TH_DIARY_DAYS_BACK; i++) {
    g_autofree char *d = th_diary_day_back (&today, i);
    json_array_append_new (days_json, json_string (d));
  }
  entries = json_array ();
  for (guint i = 0; i < days->len; i++)
    json_array_append_new (entries, th_diary_day_json (g_ptr_array_index (days, i), FALSE));
  name = first_name (p.name);
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:s, s:s?, s:s, s:o, s:o, s:o, s:o, s:o}", "first_name", name,
                              "clinic_name",
                              app->config->clinic_name ? app->config->clinic_name : "",
                              "clinic_phone", app->config->clinic_phone, "today", to, "days",
                              days_json, "medications", meds_json, "entries", entries, "crisis",
                              crisis_json (app), "reminder", g_steal_pointer (&reminder)));
out:
  json_decref (reminder);
  store_patient_clear (&p);
}

/* ------------------------------------------------------------- POST */

/* A refusal the patient reads (422), ending with what happened to it. */
static void
refuse (ThHttpResponse *r, const char *code, const char *words)
{
  g_autofree char *message = g_strdup_printf ("%s Nothing was saved.", words);

  th_respond_error (r, 422, code, message);
}

/* The day is the patient's today or up to 7 days back; FALSE after a 422. */
static gboolean
check_day (ThHttpResponse *r, const char *day, const GDate *today)
{
  GDate d;
  gint back;

  if (!th_date_parse (day, &d)) {
    refuse (r, "bad-day", "That date could not be read. Pick a day from the list.");
    return FALSE;
  }
  back = g_date_days_between (&d, today);
  if (back < 0) {
    refuse (r, "future-day",
            "That day has not come yet. You can fill in today or the 7 days "
            "before it.");
    return FALSE;
  }
  if (back > TH_DIARY_DAYS_BACK) {
    refuse (r, "day-too-old",
            "The diary goes back 7 days only. Tell your clinic about earlier "
            "days at your next visit.");
    return FALSE;
  }
  return TRUE;
}

/* FALSE after a 422 when the patient was not yet taking m on `day`. */
static gboolean
taking_on (ThHttpResponse *r, const DiaryMed *m, const GDate *day)
{
  char on[32], since[32];
  g_autofree char *words = NULL;

  if (!g_date_valid (&m->since) || g_date_compare (day, &m->since) >= 0)
    return TRUE;
  g_date_strftime (on, sizeof on, "%a %-d %b", day);
  g_date_strftime (since, sizeof since, "%a %-d %b", &m->since);
  words = g_strdup_printf ("You were not taking %s yet on %s: your clinic started it on %s. "
                           "Leave it out for that day.",
                           drug_name (m), on, since);
  refuse (r, "not-yet-taking", words);
  return FALSE;
}

/* The doses and ratings against the current orders; FALSE after a 422. */
static gboolean
check_doses (ThHttpResponse *r, GArray *meds, const ThDiaryEntryBody *b, const GDate *day,
             StoreDiaryOrder *orders, DiaryRating *ratings)
{
  g_autofree char *words = NULL;

  for (guint i = 0; i < b->n_doses; i++) {
    const ThDiaryDoseBody *d = &b->doses[i];
    guint k = 0;
    const DiaryMed *m = find_med (meds, d->order_id, &k);
    if (!m) {
      refuse (r, "not-your-medication",
              "One of these medicines is not on your list of current medicines. Reload the "
              "page to see your list as your clinic has it.");
      return FALSE;
    }
    if (!taking_on (r, m, day))
      return FALSE;
    if (m->as_needed && d->missed > 0) {
      words = g_strdup_printf ("%s is taken only when needed, so it cannot be missed: log the "
                               "doses you took.",
                               drug_name (m));
      refuse (r, "too-many-doses", words);
      return FALSE;
    }
    if (d->taken + d->missed > m->per_day) {
      words = g_strdup_printf ("%s is %u dose%s a day: log at most %u taken and missed "
                               "together.",
                               drug_name (m), m->per_day, m->per_day == 1 ? "" : "s", m->per_day);
      refuse (r, "too-many-doses", words);
      return FALSE;
    }
    orders[k].logged = TRUE;
    orders[k].taken = d->taken;
    orders[k].missed = d->missed;
    orders[k].reason = d->reason;
  }
  for (guint i = 0; i < b->n_effects; i++) {
    const ThDiaryEffectBody *e = &b->effects[i];
    guint k = 0, j;
    const DiaryMed *m = find_med (meds, e->order_id, &k);
    if (!m) {
      refuse (r, "not-your-medication",
              "A side effect is for a medicine that is not on your list of current medicines. "
              "Reload the page to see your list.");
      return FALSE;
    }
    if (!taking_on (r, m, day))
      return FALSE;
    for (j = 0; j < m->n_effects && strcmp (m->effects[j].code, e->effect) != 0; j++)
      ;
    if (j == m->n_effects) {
      words = g_strdup_printf ("That side effect is not on the list for %s. Pick one from the "
                               "list, or write about it in the note.",
                               drug_name (m));
      refuse (r, "unknown-side-effect", words);
      return FALSE;
    }
    ratings[i] = (DiaryRating) { .order = k,
                                 .effect = m->effects[j].code,
                                 .severity = e->severity };
  }
  return TRUE;
}

/* The home readings as observations; FALSE after a 422. */
static gboolean
check_readings (ThApp *app, ThHttpResponse *r, const ThDiaryEntryBody *b, GArray *meds,
                StoreDiaryReading *out, MonitoringReading *read, guint *n)
{
  g_autofree const char **med_ids = g_new0 (const char *, meds->len + 1);
  struct {
    const char *kind;
    gboolean has;
    double value;
    gboolean has2;
    double value2;
  } in[] = {
    { "weight", b->has_weight, b->weight_kg, FALSE, 0 },
    { "blood-pressure", b->has_systolic || b->has_diastolic, b->systolic, b->has_diastolic,
      b->diastolic },
    { "heart-rate", b->has_heart_rate, b->heart_rate, FALSE, 0 },
  };

  for (guint i = 0; i < meds->len; i++)
    med_ids[i] = g_array_index (meds, DiaryMed, i).order->medication_id;
  *n = 0;
  for (guint i = 0; i < G_N_ELEMENTS (in); i++) {
    const ObservationKind *kind = observation_kind_find (in[i].kind);
    g_autoptr (GError) error = NULL;
    if (!in[i].has)
      continue;
    if (!kind || !kind->home || (in[i].has2 != (kind->loinc_value2 != NULL)) ||
        !observation_value_valid (kind, in[i].value, in[i].has2, in[i].value2, &error)) {
      refuse (r, "bad-reading",
              error ? error->message : "Blood pressure needs both numbers (for example 120/80).");
      return FALSE;
    }
    /* Flagged and, past a safety threshold, alerted as the clinic's own
     * entry of the same value would be (labs.c). */
    monitoring_interpret (app->monitoring, kind, in[i].value, in[i].has2, in[i].value2, med_ids,
                          &read[*n]);
    out[*n] = (StoreDiaryReading) { .kind = kind->code,
                                    .loinc = kind->loinc,
                                    .unit = kind->unit,
                                    .value = in[i].value,
                                    .has_value2 = in[i].has2,
                                    .value2 = in[i].value2,
                                    .interpretation = read[*n].code,
                                    .alert_rule = read[*n].alert_rule,
                                    .alert_summary = read[*n].alert_summary };
    (*n)++;
  }
  return TRUE;
}

/* When the day's readings were taken: now for today, else noon of that
 * day in the patient's zone (the diary asks for a day, not a time). */
static gint64
reading_time (const StorePatient *p, GTimeZone *clinic, const GDate *day, const GDate *today)
{
  g_autoptr (GTimeZone) own = p->time_zone ? g_time_zone_new_identifier (p->time_zone) : NULL;
  g_autoptr (GDateTime) noon = NULL;

  if (g_date_compare (day, today) == 0)
    return store_now_ms ();
  noon = g_date_time_new (own ? own : clinic, g_date_get_year (day), g_date_get_month (day),
                          g_date_get_day (day), 12, 0, 0);
  return noon ? g_date_time_to_unix (noon) * 1000 : store_now_ms ();
}

/* Fills the rules' facts of each current order. */
static void
fill_orders (ThApp *app, GArray *meds, StoreDiaryOrder *orders)
{
  for (guint i = 0; i < meds->len; i++) {
    const DiaryMed *m = &g_array_index (meds, DiaryMed, i);
    orders[i].order_id = m->order->id;
    orders[i].drug = drug_name (m);
    orders[i].missed_alert_days = diary_missed_days_for (app->diary, m->med,
                                                         &orders[i].missed_risk);
  }
}

static void
respond_saved (ThApp *app, ThHttpResponse *r, const char *patient_id, const char *day,
               const StoreDiarySaved *saved)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) days = store_diary_days (app->store, patient_id, day, day, &error);

  if (!days || days->len != 1) {
    th_respond_store_error (r, error,
                            "Your entry was saved, but could not be read back. Reload "
                            "the page to see it.");
    return;
  }
  th_respond_json (r, 201,
                   json_pack ("{s:o, s:b, s:o}", "entry",
                              th_diary_day_json (g_ptr_array_index (days, 0), FALSE), "show_crisis",
                              saved->crisis, "crisis",
                              saved->crisis ? crisis_json (app) : json_null ()));
}

TH_HANDLER (th_post_diary_entry)
{
  const char *patient_id = call->caller.diary_patient_id;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) orders = NULL, all = NULL;
  g_autoptr (GArray) meds = NULL;
  g_autofree StoreDiaryOrder *entry_orders = NULL;
  g_autofree DiaryRating *ratings = NULL;
  StoreDiaryReading readings[3];
  MonitoringReading interpreted[3] = { 0 };
  ThDiaryEntryBody b = { 0 };
  StorePatient p = { 0 };
  StoreDiarySaved saved = { 0 };
  StoreDiaryEntryNew e = { 0 };
  GDate today, day;

  if (!th_body_diary_entry (req->body, req->body_len, &b, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!store_patient_get (app->store, patient_id, &p, &error) ||
      !(orders = store_current_medications (app->store, patient_id, &error)) ||
      !(all = store_list_patient_orders (app->store, patient_id, &error))) {
    th_respond_store_error (r, error,
                            "Your entry could not be saved. Try again in a moment; "
                            "nothing was lost on this phone.");
    goto out;
  }
  th_diary_today (app, &p, &today);
  meds = diary_meds (app, orders, all);
  entry_orders = g_new0 (StoreDiaryOrder, MAX (meds->len, 1));
  ratings = g_new0 (DiaryRating, MAX (b.n_effects, 1));
  fill_orders (app, meds, entry_orders);
  if (!check_day (r, b.day, &today))
    goto out;
  th_date_parse (b.day, &day);
  if (!check_doses (r, meds, &b, &day, entry_orders, ratings) ||
      !check_readings (app, r, &b, meds, readings, interpreted, &e.n_readings))
    goto out;
  e.patient_id = patient_id;
  e.link_id = call->caller.diary_link_id;
  e.day = b.day;
  e.day_noon_ms = reading_time (&p, app->config->time_zone, &day, &today);
  e.item9 = b.item9;
  e.note = b.note;
  e.orders = entry_orders;
  e.n_orders = meds->len;
  e.ratings = ratings;
  e.n_ratings = b.n_effects;
  e.readings = readings;
  if (!store_diary_entry_save (app->store, &e, store_now_ms (), &saved, &error)) {
    th_respond_store_error (r, error,
                            "Your entry could not be saved. Try again in a moment; "
                            "nothing was lost on this phone.");
    goto out;
  }
  /* Who and which day, never what was written. */
  th_audit (app, req->address, patient_id, "diary.entry", saved.entry_id,
            json_pack ("{s:s, s:i}", "day", b.day, "alerts", (json_int_t) saved.alerts_raised));
  respond_saved (app, r, patient_id, b.day, &saved);
out:
  for (guint i = 0; i < G_N_ELEMENTS (interpreted); i++)
    monitoring_reading_clear (&interpreted[i]);
  store_diary_saved_clear (&saved);
  store_patient_clear (&p);
  th_diary_entry_body_clear (&b);
}

TH_HANDLER (th_post_diary_reminder)
{
  const char *patient_id = call->caller.diary_patient_id;
  g_autoptr (GError) error = NULL;
  g_autofree char *channel = NULL;
  StorePatient p = { 0 };
  json_t *reminder = NULL;
  gint hour = -1;

  if (!th_body_diary_reminder (req->body, req->body_len, &hour, &channel, &error)) {
    th_respond_body_error (r, error);
    return;
  }
  if (!store_patient_get (app->store, patient_id, &p, &error) ||
      !(reminder = reminder_json (app, &p, &error))) {
    th_respond_store_error (r, error, "Your reminder could not be saved. Try again in a moment.");
    goto out;
  }
  /* Only a channel the page offered: the server sends that way and the
   * clinic has the address. */
  if (channel) {
    json_t *offered = json_object_get (reminder, "channels");
    gboolean ok = FALSE;
    for (gsize i = 0; i < json_array_size (offered); i++)
      ok |= g_strcmp0 (json_string_value (json_array_get (offered, i)), channel) == 0;
    if (!ok) {
      refuse (r, "channel-unavailable",
              strcmp (channel, "sms") == 0
                ? "Your clinic cannot send you text messages. Ask them to add your mobile number."
                : "Your clinic cannot send you email. Ask them to add your email address.");
      goto out;
    }
  }
  if (!store_diary_reminder_set (app->store, patient_id, hour, channel, store_now_ms (), &error)) {
    th_respond_store_error (r, error, "Your reminder could not be saved. Try again in a moment.");
    goto out;
  }
  json_decref (reminder);
  if (!(reminder = reminder_json (app, &p, &error))) {
    th_respond_store_error (r, error, "Your reminder was saved; reload the page to see it.");
    goto out;
  }
  th_audit (app, req->address, patient_id, "diary.reminder", patient_id, NULL);
  if (hour >= 0)
    th_app_notify_kick (app);
  th_respond_json (r, 200, json_pack ("{s:O}", "reminder", reminder));
out:
  json_decref (reminder);
  store_patient_clear (&p);
}
