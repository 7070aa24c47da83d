/* api_bodies.c — the REST request bodies decoded into C values (see
 * api-bodies.h). Pure: what the client sent in, a typed struct or a
 * TH_BODY_ERROR out. The messages are the ones the API has always sent. */
#include "server/api-bodies.h"
#include "server/clock.h"

#include <string.h>
#include <jansson.h>

#define MAX_NAME_CHARS 200
#define MAX_USERNAME 64
#define MAX_PASSWORD 1024
#define MAX_NOTE_CHARS 5000
#define MAX_REASON_CHARS 1000
#define MAX_GUEST_NAME 100
#define MAX_SIDE_EFFECTS 20
#define MAX_SIDE_EFFECT_NAME 60

G_DEFINE_QUARK (th-body-error-quark, th_body_error)

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

/* The body as a JSON object (duplicate keys refused), or NULL + bad-json. */
static json_t *
load_object (const char *body, gsize len, GError **error)
{
  json_error_t jerr;
  json_t *obj = body ? json_loadb (body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;

  if (!obj || !json_is_object (obj)) {
    json_decref (obj);
    g_set_error_literal (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_JSON,
                         "the body must be a JSON object");
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

/* A body of exactly one string field, checked by text_ok. */
static gboolean
single_text (const char *body, gsize len, const char *field, const char *blank, glong max,
             const char *message, char **out, GError **error)
{
  json_t *obj = load_object (body, len, error);
  const char *text = NULL;
  json_error_t jerr;
  gboolean ok = FALSE;

  *out = NULL;
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s}", field, &text) != 0 ||
      !text_ok (text, blank, max)) {
    bad_field (error, message);
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
  obj = load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?s, s?s, s?s, s?s}", "patient_name", &name,
                      "patient_id", &patient_id, "scheduled_at", &scheduled, "modality",
                      &modality) != 0 || (!name == !patient_id)) {
    bad_field (error, "expected {\"patient_name\" or \"patient_id\": string, \"scheduled_at\"?: "
                      "ISO 8601 string, \"modality\"?: \"video\" | \"audio-only\"}");
    goto out;
  }
  if (name && !text_ok (name, " \t", MAX_NAME_CHARS)) {
    bad_field (error, "patient_name must be 1 to 200 characters");
    goto out;
  }
  if (modality && strcmp (modality, "video") != 0 && strcmp (modality, "audio-only") != 0) {
    bad_field (error, "modality must be \"video\" or \"audio-only\"");
    goto out;
  }
  if (scheduled) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (scheduled, NULL);
    if (!dt) {
      bad_field (error, "scheduled_at must be ISO 8601 with a time zone");
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
  obj = load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s:s}", "username", &user, "password",
                      &password) != 0 || strlen (user) == 0 || strlen (user) > MAX_USERNAME ||
      strlen (password) > MAX_PASSWORD || !g_utf8_validate (user, -1, NULL)) {
    bad_field (error, "expected {\"username\": string, \"password\": string}");
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
  memset (b, 0, sizeof *b);
  b->missed_doses_14d = -1;
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
                 "%s must be an array of %u answers", scale_name (kind), scale_item_count (kind));
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    json_t *v = json_array_get (arr, i);
    if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > 4) {
      g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD,
                   "%s item %u must be a whole number 0..%u", scale_name (kind), i + 1,
                   scale_item_max (kind));
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
    bad_field (error, "side_effects must be an array of at most 20 entries");
    return FALSE;
  }
  out->side_effects = g_new0 (ThSideEffectBody, json_array_size (arr) + 1);
  json_array_foreach (arr, i, item) {
    const char *name = NULL;
    json_int_t severity = -1;
    json_error_t jerr;
    if (json_unpack_ex (item, &jerr, JSON_STRICT, "{s:s, s:I}", "name", &name, "severity",
                        &severity) != 0 || severity < 0 || severity > 3 ||
        !g_utf8_validate (name, -1, NULL) || name[0] == '\0' ||
        g_utf8_strlen (name, -1) > MAX_SIDE_EFFECT_NAME) {
      bad_field (error, "each side effect is {\"name\": 1-60 characters, \"severity\": 0..3}");
      return FALSE;
    }
    out->side_effects[out->n_side_effects].name = g_strdup (name);
    out->side_effects[out->n_side_effects].severity = (guint) severity;
    out->n_side_effects++;
  }
  return TRUE;
}

gboolean
th_body_checkin (const char *body, gsize len, ThCheckinBody *out, GError **error)
{
  static const char *const allowed[] = { "phq9", "gad7", "asrs_a", "side_effects",
                                         "missed_doses_14d" };
  json_t *obj, *missed, *value;
  const char *key;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  out->missed_doses_14d = -1;
  obj = load_object (body, len, error);
  if (!obj)
    return FALSE;
  json_object_foreach (obj, key, value) {
    gboolean known = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
      known = known || strcmp (key, allowed[i]) == 0;
    if (!known) {
      bad_field (error, "unexpected field in the check-in");
      goto out;
    }
  }
  if (json_object_size (obj) == 0) {
    bad_field (error, "the check-in has no answers");
    goto out;
  }
  if (!checkin_scale (obj, SCALE_PHQ9, out, error) || !checkin_scale (obj, SCALE_GAD7, out, error) ||
      !checkin_scale (obj, SCALE_ASRS_A, out, error) || !checkin_side_effects (obj, out, error))
    goto out;
  missed = json_object_get (obj, "missed_doses_14d");
  if (missed) {
    if (!json_is_integer (missed) || json_integer_value (missed) < 0 ||
        json_integer_value (missed) > 14) {
      bad_field (error, "missed_doses_14d must be a whole number 0..14");
      goto out;
    }
    out->missed_doses_14d = (gint) json_integer_value (missed);
  }
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
  return single_text (body, len, "text", " \t\r\n", MAX_NOTE_CHARS,
                      "expected {\"text\": 1 to 5000 characters}", text, error);
}

gboolean
th_body_entered_in_error (const char *body, gsize len, char **reason, GError **error)
{
  return single_text (body, len, "reason", " \t\r\n", MAX_REASON_CHARS,
                      "expected {\"reason\": 1 to 1000 characters}", reason, error);
}

gboolean
th_body_guest (const char *body, gsize len, char **display_name, GError **error)
{
  return single_text (body, len, "display_name", " \t", MAX_GUEST_NAME,
                      "expected {\"display_name\": 1 to 100 characters}", display_name, error);
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
  json_t *obj = load_object (body, len, error);
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
    bad_field (error, "expected {\"version\": the consent text's version, "
                      "\"decision\": \"accepted\" | \"declined\"}");
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
  memset (b, 0, sizeof *b);
}

/* The wire names of AdjustmentKind, as store_orders.c has them (that file
 * needs sqlite; this one stays pure). */
static gboolean
kind_from_name (const char *name, AdjustmentKind *out)
{
  static const struct { const char *name; AdjustmentKind kind; } kinds[] = {
    { "start", ADJUST_START }, { "stop", ADJUST_STOP },
    { "change-dose", ADJUST_CHANGE_DOSE }, { "switch", ADJUST_SWITCH },
  };

  for (guint i = 0; name && i < G_N_ELEMENTS (kinds); i++) {
    if (strcmp (name, kinds[i].name) == 0) {
      *out = kinds[i].kind;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
th_body_adjustment (const char *body, gsize len, ThAdjustmentBody *out, GError **error)
{
  const char *kind_name = NULL, *order_id = NULL, *medication_id = NULL, *unit = NULL;
  const char *frequency = NULL, *route = NULL, *reason = NULL;
  double dose = 0;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  obj = load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s?s, s?s, s?F, s?s, s?s, s?s, s:s}",
                      "kind", &kind_name, "order_id", &order_id, "medication", &medication_id,
                      "dose", &dose, "unit", &unit, "frequency", &frequency, "route", &route,
                      "reason", &reason) != 0 ||
      !kind_from_name (kind_name, &out->kind)) {
    bad_field (error, "expected {\"kind\": start|stop|change-dose|switch, \"order_id\"?, "
                      "\"medication\"?, \"dose\"?: number, \"unit\"?, \"frequency\"?, \"route\"?, "
                      "\"reason\": string}");
    goto out;
  }
  if (!text_ok (reason, " \t\r\n", MAX_REASON_CHARS)) {
    bad_field (error, "a reason of 1 to 1000 characters is required");
    goto out;
  }
  out->kind_name = g_strdup (kind_name);
  out->order_id = g_strdup (order_id);
  out->medication_id = g_strdup (medication_id);
  out->dose = dose;
  out->unit = g_strdup (unit);
  out->frequency = g_strdup (frequency);
  out->route = g_strdup (route);
  out->reason = g_strdup (reason);
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}

/* ------------------------------------------------ in-person evaluation */

gboolean
th_body_in_person_evaluation (const char *body, gsize len, ThEvaluationBody *out,
                              GError **error)
{
  const char *date = NULL;
  json_t *obj;
  json_error_t jerr;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  g_date_clear (&out->day, 1);
  obj = load_object (body, len, error);
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s}", "date", &date) != 0 ||
      !th_date_parse (date, &out->day)) {
    bad_field (error, "expected {\"date\": \"YYYY-MM-DD\"}");
    goto out;
  }
  memcpy (out->date, date, 10);
  out->date[10] = '\0';
  ok = TRUE;
out:
  json_decref (obj);
  return ok;
}
