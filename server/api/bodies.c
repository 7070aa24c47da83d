/* api_bodies.c — the REST request bodies decoded into C values (see
 * api-bodies.h). Pure: what the client sent in, a typed struct or a
 * TH_BODY_ERROR out. Each message is a sentence for the person who reads it
 * (a clinician or a patient: the pages show it as sent), never a schema: it
 * says what to do, and that nothing was saved. */
#include "server/api/api-bodies.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

#define MAX_NAME_CHARS 200
#define MAX_USERNAME 64
#define MAX_PASSWORD 1024
#define MAX_NOTE_CHARS 5000
#define MAX_REASON_CHARS ORDER_REASON_MAX_CHARS /* the record's bound (records.h) */
#define MAX_GUEST_NAME 100
#define MAX_STAFF_ID 64 /* a uuid is 36; room for any id the store hands out */
#define MAX_SIDE_EFFECTS 20
#define MAX_SIDE_EFFECT_NAME 60

/* clang-format off */
G_DEFINE_QUARK (th-body-error-quark, th_body_error)
/* clang-format on */

const char *
th_body_error_code (const GError *error)
{
  if (error && error->domain == TH_BODY_ERROR && error->code == TH_BODY_ERROR_BAD_JSON)
    return "bad-json";
  return "bad-field";
}

static void
bad_field (GError **error, const char *message)
{
  g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, message);
}

json_t *
th_body_load_object (const char *body, gsize len, GError **error)
{
  json_error_t jerr;
  json_t *obj = body ? json_loadb (body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;

  if (!obj || !json_is_object (obj)) {
    json_decref (obj);
    g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_JSON,
                         "The request could not be read. Nothing was saved; reload the page and "
                         "try again.");
    return NULL;
  }
  return obj;
}

/* Valid UTF-8, not only `blank` characters, at most `max` characters. */
static gboolean
text_ok (const char *s, const char *blank, glong max)
{
  return g_utf8_validate (s, -1, NULL) && s[strspn (s, blank)] != '\0' &&
         g_utf8_strlen (s, -1) <= max;
}

/* "33,012": counts as people read them. */
static char *
count_words (glong n)
{
  GString *out = g_string_new (NULL);
  char *digits = g_strdup_printf ("%ld", n);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0 && digits[0] != '-')
      g_string_append_c (out, ',');
    g_string_append_c (out, digits[i]);
  }
  g_free (digits);
  return g_string_free (out, FALSE);
}

/* Why `s` fails text_ok, in words about `what` ("A note", "The reason"):
 * empty, too long (with its length), or not text. */
static void
bad_text (GError **error, const char *what, const char *s, const char *blank, glong max)
{
  char *max_s = count_words (max);

  if (!s || !g_utf8_validate (s, -1, NULL)) {
    g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                 "%s must be text of 1 to %s characters. Nothing was saved.", what, max_s);
  } else if (s[strspn (s, blank)] == '\0') {
    g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                 "%s cannot be empty. Nothing was saved.", what);
  } else {
    char *len_s = count_words (g_utf8_strlen (s, -1));
    g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                 "%s can be at most %s characters; this one has %s. Nothing was saved.", what,
                 max_s, len_s);
    g_free (len_s);
  }
  g_free (max_s);
}

/* A body of exactly one string field `field`, checked by text_ok; `what`
 * names it in the refusal. */
static gboolean
single_text (const char *body, gsize len, const char *field, const char *blank, glong max,
             const char *what, char **out, GError **error)
{
  json_t *obj = th_body_load_object (body, len, error);
  const char *text = NULL;
  json_error_t jerr;
  gboolean ok = FALSE;

  *out = NULL;
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s}", field, &text) != 0) {
    bad_text (error, what, NULL, blank, max);
    goto out;
  }
  if (!text_ok (text, blank, max)) {
    bad_text (error, what, text, blank, max);
    goto out;
  }
  *out = g_strdup (text);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* ------------------------------------------------------------- visits */

void
th_visit_create_body_clear (ThVisitCreateBody *b)
{
  g_free (b->patient_name);
  g_free (b->patient_id);
  g_free (b->modality);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_visit_create (const char *body, gsize len, ThVisitCreateBody *out, GError **error)
{
  const char *name = NULL, *patient_id = NULL, *scheduled = NULL, *modality = NULL;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  obj = th_body_load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s?s, s?s, s?s}", "patient_name", &name,
                      "patient_id", &patient_id, "scheduled_at", &scheduled, "modality",
                      &modality) != 0 ||
      (!name == !patient_id)) {
    bad_field (error, "To schedule a visit, give the patient's name or choose one of your "
                      "patients. Nothing was saved.");
    goto out;
  }
  if (name && !text_ok (name, " \t", MAX_NAME_CHARS)) {
    bad_field (error, "The patient's name must be 1 to 200 characters. Nothing was saved.");
    goto out;
  }
  if (modality && strcmp (modality, "video") != 0 && strcmp (modality, "audio-only") != 0) {
    bad_field (error, "Choose whether the visit is by video or audio only. Nothing was saved.");
    goto out;
  }
  if (scheduled) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (scheduled, NULL);
    if (!dt) {
      bad_field (error, "The visit's time must be a date and time with its time zone (for "
                        "example 2026-12-05T14:30:00-05:00). Nothing was saved.");
      goto out;
    }
    out->has_scheduled = TRUE;
    out->scheduled_ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
  }
  out->patient_name = g_strdup (name);
  out->patient_id = g_strdup (patient_id);
  out->modality = g_strdup (modality);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* ------------------------------------------------------------ sign-in */

void
th_sign_in_body_clear (ThSignInBody *b)
{
  g_free (b->username);
  if (b->password) {
    memset (b->password, 0, strlen (b->password));
    g_free (b->password);
  }
  memset (b, 0, sizeof *b);
}

gboolean
th_body_sign_in (const char *body, gsize len, ThSignInBody *out, GError **error)
{
  const char *user = NULL, *password = NULL;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  obj = th_body_load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s:s}", "username", &user, "password",
                      &password) != 0 ||
      strlen (user) == 0 || strlen (user) > MAX_USERNAME || strlen (password) > MAX_PASSWORD ||
      !g_utf8_validate (user, -1, NULL)) {
    bad_field (error, "Enter your username and password.");
    goto out;
  }
  out->username = g_strdup (user);
  out->password = g_strdup (password);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* ----------------------------------------------------------- check-in */

void
th_checkin_body_clear (ThCheckinBody *b)
{
  for (guint i = 0; i < b->n_side_effects; i++)
    g_free (b->side_effects[i].name);
  g_free (b->side_effects);
  for (guint i = 0; i < b->n_missed_doses; i++)
    g_free (b->missed_doses[i].order_id);
  g_free (b->missed_doses);
  memset (b, 0, sizeof *b);
}

/* Reads an optional array of small integers for one scale and scores it. */
static gboolean
checkin_scale (json_t *obj, ScaleKind kind, ThCheckinBody *out, GError **error)
{
  json_t *arr = json_object_get (obj, scale_name (kind));
  ThScaleBody *s = &out->scales[out->n_scales];
  g_autoptr (GError) scale_error = NULL;
  guint n;

  if (!arr)
    return TRUE;
  n = json_is_array (arr) ? (guint) json_array_size (arr) : 0;
  if (!json_is_array (arr) || n != scale_item_count (kind)) {
    g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                 "Please answer all %u questions of the %s before sending. Nothing was saved.",
                 scale_item_count (kind), scale_title (kind));
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    json_t *v = json_array_get (arr, i);
    if (!json_is_integer (v) || json_integer_value (v) < 0 ||
        json_integer_value (v) > (json_int_t) scale_item_max (kind)) {
      g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                   "Question %u of the %s needs one of its listed answers. Nothing was saved.",
                   i + 1, scale_title (kind));
      return FALSE;
    }
    s->items[i] = (gint) json_integer_value (v);
  }
  if (!scale_score (kind, s->items, n, &s->score, &scale_error)) {
    bad_field (error, scale_error->message);
    return FALSE;
  }
  s->kind = kind;
  s->n_items = n;
  out->n_scales++;
  return TRUE;
}

static gboolean
checkin_side_effects (json_t *obj, ThCheckinBody *out, GError **error)
{
  json_t *arr = json_object_get (obj, "side_effects"), *item;
  size_t i;

  if (!arr)
    return TRUE;
  if (!json_is_array (arr) || json_array_size (arr) > MAX_SIDE_EFFECTS) {
    bad_field (error, "You can list at most 20 side effects. Nothing was saved.");
    return FALSE;
  }
  out->side_effects = g_new0 (ThSideEffectBody, json_array_size (arr) + 1);
  json_array_foreach (arr, i, item)
  {
    const char *name = NULL;
    json_int_t severity = -1;
    json_error_t jerr;
    if (json_unpack_ex (item, &jerr, JSON_STRICT, "{s:s, s:I}", "name", &name, "severity",
                        &severity) != 0 ||
        severity < 0 || severity > 3 || !g_utf8_validate (name, -1, NULL) || name[0] == '\0' ||
        g_utf8_strlen (name, -1) > MAX_SIDE_EFFECT_NAME) {
      bad_field (error, "Each side effect needs a name (up to 60 characters) and how much it "
                        "bothers you. Nothing was saved.");
      return FALSE;
    }
    out->side_effects[out->n_side_effects].name = g_strdup (name);
    out->side_effects[out->n_side_effects].severity = (guint) severity;
    out->n_side_effects++;
  }
  return TRUE;
}

/* At most one entry per current medication; the most a patient takes. */
#define MAX_MISSED_DOSE_ENTRIES 20
/* Above any order's cap (four times daily x 14 days); each order's own cap
 * is checked by the route, which knows the order. */
#define MAX_MISSED_DOSES 4 * MISSED_DOSE_DAYS

static gboolean
checkin_missed_doses (json_t *obj, ThCheckinBody *out, GError **error)
{
  json_t *arr = json_object_get (obj, "missed_doses"), *item;
  size_t i;

  if (!arr)
    return TRUE;
  if (!json_is_array (arr) || json_array_size (arr) > MAX_MISSED_DOSE_ENTRIES) {
    bad_field (error,
               "The missed-dose answers could not be read (at most 20 medicines). Reload the "
               "page and try again; nothing was saved.");
    return FALSE;
  }
  out->missed_doses = g_new0 (ThMissedDoseBody, json_array_size (arr) + 1);
  json_array_foreach (arr, i, item)
  {
    const char *order_id = NULL;
    json_int_t missed = -1;
    json_error_t jerr;
    if (json_unpack_ex (item, &jerr, JSON_STRICT, "{s:s, s:I}", "order_id", &order_id, "missed",
                        &missed) != 0 ||
        missed < 0 || missed > MAX_MISSED_DOSES || order_id[0] == '\0' || strlen (order_id) > 64) {
      bad_field (error, "Each missed-dose answer needs a whole number of doses, 0 or more. "
                        "Nothing was saved.");
      return FALSE;
    }
    for (guint k = 0; k < out->n_missed_doses; k++) {
      if (strcmp (out->missed_doses[k].order_id, order_id) == 0) {
        bad_field (error, "A medicine's missed doses were given twice. Reload the page and try "
                          "again; nothing was saved.");
        return FALSE;
      }
    }
    out->missed_doses[out->n_missed_doses].order_id = g_strdup (order_id);
    out->missed_doses[out->n_missed_doses].missed = (guint) missed;
    out->n_missed_doses++;
  }
  return TRUE;
}

gboolean
th_body_checkin (const char *body, gsize len, ThCheckinBody *out, GError **error)
{
  static const char *const allowed[] = { "phq9",   "gad7",         "asrs_a",
                                         "asrs18", "side_effects", "missed_doses" };
  json_t *obj, *value;
  const char *key;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  obj = th_body_load_object (body, len, error);
  if (!obj)
    return FALSE;
  json_object_foreach (obj, key, value)
  {
    gboolean known = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
      known = known || strcmp (key, allowed[i]) == 0;
    if (!known) {
      bad_field (error, "The check-in had an answer this form does not ask for. Reload the page "
                        "and try again; nothing was saved.");
      goto out;
    }
  }
  if (json_object_size (obj) == 0) {
    bad_field (error, "Answer at least one question before sending. Nothing was saved.");
    goto out;
  }
  if (!checkin_scale (obj, SCALE_PHQ9, out, error) ||
      !checkin_scale (obj, SCALE_GAD7, out, error) ||
      !checkin_scale (obj, SCALE_ASRS_A, out, error) ||
      !checkin_scale (obj, SCALE_ASRS18, out, error) || !checkin_side_effects (obj, out, error) ||
      !checkin_missed_doses (obj, out, error))
    goto out;
  ok = TRUE;
out:
  if (!ok)
    th_checkin_body_clear (out);
  json_decref (obj);
  return ok;
}

/* ------------------------------------------------------ notes, guests */

gboolean
th_body_note (const char *body, gsize len, char **text, GError **error)
{
  return single_text (body, len, "text", " \t\r\n", MAX_NOTE_CHARS, "A note", text, error);
}

gboolean
th_body_reason (const char *body, gsize len, char **reason, GError **error)
{
  return single_text (body, len, "reason", " \t\r\n", MAX_REASON_CHARS, "The reason", reason,
                      error);
}

gboolean
th_body_guest (const char *body, gsize len, char **display_name, GError **error)
{
  return single_text (body, len, "display_name", " \t", MAX_GUEST_NAME, "The guest's name",
                      display_name, error);
}

gboolean
th_body_care_team (const char *body, gsize len, char **staff_id, GError **error)
{
  return single_text (body, len, "staff_id", " \t", MAX_STAFF_ID, "The staff member's id", staff_id,
                      error);
}

/* ------------------------------------------------------------ consent */

void
th_consent_body_clear (ThConsentBody *b)
{
  g_free (b->version);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_consent (const char *body, gsize len, ThConsentBody *out, GError **error)
{
  json_t *obj = th_body_load_object (body, len, error);
  const char *version = NULL, *decision = NULL;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s:s}", "version", &version, "decision",
                      &decision) != 0 ||
      !text_ok (version, " \t", 64) ||
      (strcmp (decision, "accepted") != 0 && strcmp (decision, "declined") != 0)) {
    bad_field (error, "Your answer to the consent could not be read. Reload the page and "
                      "answer again; nothing was saved.");
    goto out;
  }
  out->version = g_strdup (version);
  out->accepted = strcmp (decision, "accepted") == 0;
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* -------------------------------------------------------- adjustments */

void
th_adjustment_body_clear (ThAdjustmentBody *b)
{
  g_free (b->kind_name);
  g_free (b->order_id);
  g_free (b->medication_id);
  g_free (b->unit);
  g_free (b->frequency);
  g_free (b->route);
  g_free (b->reason);
  g_free (b->safety_confirm);
  g_free (b->override_reason);
  g_free (b->condition_id);
  memset (b, 0, sizeof *b);
}

gboolean
th_body_adjustment (const char *body, gsize len, ThAdjustmentBody *out, GError **error)
{
  const char *kind_name = NULL, *order_id = NULL, *medication_id = NULL, *unit = NULL;
  const char *frequency = NULL, *route = NULL, *reason = NULL, *confirm = NULL;
  const char *override = NULL, *condition = NULL, *earliest = NULL;
  double dose = 0, bedtime_dose = 0;
  int prn_max = 0, supply_days = 0, refills = 0;
  json_t *obj, *quantity = NULL, *series = NULL;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  obj = th_body_load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT,
                      "{s:s, s?s, s?s, s?F, s?F, s?s, s?s, s?s, s?i, s?i, s?i, s:s, s?{s:s},"
                      " s?{s:s}, s?s, s?o, s?s, s?o}",
                      "kind", &kind_name, "order_id", &order_id, "medication", &medication_id,
                      "dose", &dose, "bedtime_dose", &bedtime_dose, "unit", &unit, "frequency",
                      &frequency, "route", &route, "prn_max_per_day", &prn_max, "supply_days",
                      &supply_days, "refills", &refills, "reason", &reason, "safety_confirm",
                      "reason", &confirm, "override", "reason", &override, "condition_id",
                      &condition, "quantity", &quantity, "earliest_fill_date", &earliest,
                      "series", &series) != 0 ||
      !adjustment_kind_from_name (kind_name, &out->kind)) {
    bad_field (error, "The change could not be read: choose start, change dose, switch or "
                      "stop, and give a reason. Nothing was saved.");
    goto out;
  }
  if (!text_ok (reason, " \t\r\n", MAX_REASON_CHARS)) {
    bad_text (error, "The reason", reason, " \t\r\n", MAX_REASON_CHARS);
    goto out;
  }
  if (confirm && !text_ok (confirm, " \t\r\n", MAX_REASON_CHARS)) {
    bad_text (error, "The reason for the safety confirmation", confirm, " \t\r\n",
              MAX_REASON_CHARS);
    goto out;
  }
  if (override && !text_ok (override, " \t\r\n", MAX_REASON_CHARS)) {
    bad_text (error, "The reason for overriding the interaction warning", override, " \t\r\n",
              MAX_REASON_CHARS);
    goto out;
  }
  if (condition && (!*condition || strlen (condition) > 64)) {
    bad_field (error, "The diagnosis this order treats could not be read: choose it from the "
                      "patient's diagnoses. Nothing was saved.");
    goto out;
  }
  if (bedtime_dose < 0 || prn_max < 0 || prn_max > 24) {
    bad_field (error, "The bedtime dose must be above zero, and an as-needed medicine may be "
                      "taken at most 1 to 24 times a day. Nothing was saved.");
    goto out;
  }
  if (supply_days < 0 || supply_days > TH_MAX_SUPPLY_DAYS) {
    bad_field (error, "The days of supply must be 1 to 90. Nothing was saved.");
    goto out;
  }
  if (refills < 0 || refills > TH_MAX_REFILLS) {
    bad_field (error, "Refills must be 0 to 11. Nothing was saved.");
    goto out;
  }
  if (!th_body_adjustment_dispense (quantity, earliest, series, out, error))
    goto out;
  out->kind_name = g_strdup (kind_name);
  out->order_id = g_strdup (order_id);
  out->medication_id = g_strdup (medication_id);
  out->dose = dose;
  out->bedtime_dose = bedtime_dose;
  out->unit = g_strdup (unit);
  out->frequency = g_strdup (frequency);
  out->route = g_strdup (route);
  out->reason = g_strdup (reason);
  out->prn_max_per_day = (guint) prn_max;
  out->supply_days = (guint) supply_days;
  out->refills = (guint) refills;
  out->safety_confirm = g_strdup (confirm);
  out->override_reason = g_strdup (override);
  out->condition_id = g_strdup (condition);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

gboolean
th_body_cosign (const char *body, gsize len, char **override_reason, GError **error)
{
  const char *override = NULL;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  *override_reason = NULL;
  /* A plain co-signature carries no body. */
  if (!body || len == 0)
    return TRUE;
  obj = th_body_load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?{s:s}}", "override", "reason", &override) != 0) {
    bad_field (error, "The co-signature could not be read: send nothing, or an override with a "
                      "reason. Nothing was co-signed.");
    goto out;
  }
  if (override && !text_ok (override, " \t\r\n", MAX_REASON_CHARS)) {
    bad_text (error, "The reason for overriding the interaction warning", override, " \t\r\n",
              MAX_REASON_CHARS);
    goto out;
  }
  *override_reason = g_strdup (override);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* ------------------------------------------------ in-person evaluation */

gboolean
th_body_in_person_evaluation (const char *body, gsize len, ThEvaluationBody *out, GError **error)
{
  const char *date = NULL, *performed_by = NULL;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  g_date_clear (&out->day, 1);
  obj = th_body_load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s?s}", "date", &date, "performed_by",
                      &performed_by) != 0 ||
      !th_date_parse (date, &out->day)) {
    bad_field (error, "The evaluation date must be a calendar date written YYYY-MM-DD (for "
                      "example 2026-11-03). Nothing was saved.");
    goto out;
  }
  memcpy (out->date, date, 10);
  out->date[10] = '\0';
  ok = th_body_evaluation_by (performed_by, out, error);
out:
  json_decref (obj);
  return ok;
}
