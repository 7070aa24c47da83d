/* bodies_diary.c — the diary's request bodies (POST /api/diary/entries,
 * POST /api/diary/reminder), decoded strictly into C values. The patient
 * reads every refusal: the words are theirs, and each ends by saying that
 * nothing was saved. Whether an order is the patient's, a count within the
 * order's doses or an effect on its drug's list is the handler's (it knows
 * the record); here only the shape. */
#include "server/api/api-bodies.h"

#include <math.h>
#include <string.h>

#include <jansson.h>

#define MAX_DOSES 24 /* diary_doses.taken/missed CHECK */
#define MAX_ROWS 40  /* more orders or effects than any patient has */
#define NOTE_MAX 2000

static const char *const kReasons[] = { "forgot", "side-effect", "ran-out", "chose-not-to" };
static const char *const kSeverities[] = { "none", "mild", "moderate", "severe" };

static gboolean
refuse (GError **error, const char *words)
{
  g_set_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, "%s Nothing was saved.", words);
  return FALSE;
}

static gint
index_of (const char *const *names, gsize n, const char *name)
{
  for (gsize i = 0; name && i < n; i++)
    if (strcmp (names[i], name) == 0)
      return (gint) i;
  return -1;
}

void
th_diary_entry_body_clear (ThDiaryEntryBody *b)
{
  for (guint i = 0; i < b->n_doses; i++) {
    g_free (b->doses[i].order_id);
    g_free (b->doses[i].reason);
  }
  for (guint i = 0; i < b->n_effects; i++) {
    g_free (b->effects[i].order_id);
    g_free (b->effects[i].effect);
  }
  g_free (b->doses);
  g_free (b->effects);
  g_free (b->day);
  g_free (b->note);
  memset (b, 0, sizeof *b);
}

static gboolean
decode_doses (json_t *arr, ThDiaryEntryBody *out, GError **error)
{
  if (!json_is_array (arr) || json_array_size (arr) > MAX_ROWS)
    return refuse (error, "The doses could not be read.");
  out->doses = g_new0 (ThDiaryDoseBody, MAX (json_array_size (arr), 1));
  for (gsize i = 0; i < json_array_size (arr); i++) {
    ThDiaryDoseBody *d = &out->doses[out->n_doses];
    json_error_t jerr;
    const char *order = NULL, *reason = NULL;
    json_int_t taken = 0, missed = 0;
    if (json_unpack_ex (json_array_get (arr, i), &jerr, JSON_STRICT, "{s:s, s:I, s:I, s?s}",
                        "order_id", &order, "taken", &taken, "missed", &missed, "reason",
                        &reason) != 0)
      return refuse (error, "The doses could not be read.");
    if (taken < 0 || missed < 0 || taken > MAX_DOSES || missed > MAX_DOSES)
      return refuse (error, "A number of doses is out of range.");
    if (reason && index_of (kReasons, G_N_ELEMENTS (kReasons), reason) < 0)
      return refuse (error, "The reason for a missed dose is not one of the choices.");
    if (reason && missed == 0)
      return refuse (error, "A reason goes with a missed dose only.");
    d->order_id = g_strdup (order);
    d->taken = (guint) taken;
    d->missed = (guint) missed;
    d->reason = g_strdup (reason);
    out->n_doses++;
    for (guint k = 0; k + 1 < out->n_doses; k++)
      if (strcmp (out->doses[k].order_id, order) == 0)
        return refuse (error, "A medicine is listed twice.");
  }
  return TRUE;
}

static gboolean
decode_effects (json_t *arr, ThDiaryEntryBody *out, GError **error)
{
  if (!json_is_array (arr) || json_array_size (arr) > MAX_ROWS)
    return refuse (error, "The side effects could not be read.");
  out->effects = g_new0 (ThDiaryEffectBody, MAX (json_array_size (arr), 1));
  for (gsize i = 0; i < json_array_size (arr); i++) {
    ThDiaryEffectBody *e = &out->effects[out->n_effects];
    json_error_t jerr;
    const char *order = NULL, *effect = NULL, *severity = NULL;
    gint s;
    if (json_unpack_ex (json_array_get (arr, i), &jerr, JSON_STRICT, "{s:s, s:s, s:s}", "order_id",
                        &order, "effect", &effect, "severity", &severity) != 0)
      return refuse (error, "The side effects could not be read.");
    if ((s = index_of (kSeverities, G_N_ELEMENTS (kSeverities), severity)) < 0)
      return refuse (error, "How bad a side effect was must be none, mild, moderate or severe.");
    e->order_id = g_strdup (order);
    e->effect = g_strdup (effect);
    e->severity = (guint) s;
    out->n_effects++;
    for (guint k = 0; k + 1 < out->n_effects; k++)
      if (strcmp (out->effects[k].order_id, order) == 0 &&
          strcmp (out->effects[k].effect, effect) == 0)
        return refuse (error, "A side effect is listed twice.");
  }
  return TRUE;
}

/* A number, or absent/null (then *has = FALSE). */
static gboolean
optional_number (json_t *v, gboolean *has, double *out)
{
  *has = FALSE;
  if (!v || json_is_null (v))
    return TRUE;
  if (!json_is_number (v) || !isfinite (json_number_value (v)))
    return FALSE;
  *has = TRUE;
  *out = json_number_value (v);
  return TRUE;
}

static gboolean
decode_readings (json_t *obj, ThDiaryEntryBody *out, GError **error)
{
  json_error_t jerr;
  json_t *w = NULL, *sys = NULL, *dia = NULL, *hr = NULL;

  if (!obj || json_is_null (obj))
    return TRUE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?o, s?o, s?o, s?o}", "weight_kg", &w, "systolic",
                      &sys, "diastolic", &dia, "heart_rate", &hr) != 0 ||
      !optional_number (w, &out->has_weight, &out->weight_kg) ||
      !optional_number (sys, &out->has_systolic, &out->systolic) ||
      !optional_number (dia, &out->has_diastolic, &out->diastolic) ||
      !optional_number (hr, &out->has_heart_rate, &out->heart_rate))
    return refuse (error, "The home readings could not be read: use numbers.");
  return TRUE;
}

gboolean
th_body_diary_entry (const char *body, gsize len, ThDiaryEntryBody *out, GError **error)
{
  json_t *obj = NULL, *doses = NULL, *effects = NULL, *item9 = NULL, *note = NULL, *readings = NULL;
  json_error_t jerr;
  const char *day = NULL;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  out->item9 = -1;
  if (!(obj = th_body_load_object (body, len, error)))
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:s, s:o, s:o, s?o, s?o, s?o}", "day", &day,
                      "doses", &doses, "side_effects", &effects, "item9", &item9, "note", &note,
                      "readings", &readings) != 0) {
    refuse (error, "This entry could not be read. Reload the page and try again.");
    goto out;
  }
  out->day = g_strdup (day);
  if (!decode_doses (doses, out, error) || !decode_effects (effects, out, error) ||
      !decode_readings (readings, out, error))
    goto out;
  if (item9 && !json_is_null (item9)) {
    if (!json_is_integer (item9) || json_integer_value (item9) < 0 ||
        json_integer_value (item9) > 3) {
      refuse (error, "The answer about thoughts of hurting yourself is not one of the choices.");
      goto out;
    }
    out->item9 = (gint) json_integer_value (item9);
  }
  if (note && !json_is_null (note)) {
    const char *text = json_string_value (note);
    if (!text || !g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) > NOTE_MAX) {
      refuse (error, "The note can be at most 2,000 characters.");
      goto out;
    }
    /* An empty or blank note is no note. */
    if (text[strspn (text, " \t\r\n")] != '\0')
      out->note = g_strdup (text);
  }
  ok = TRUE;
out:
  json_decref (obj);
  if (!ok)
    th_diary_entry_body_clear (out);
  return ok;
}

gboolean
th_body_diary_reminder (const char *body, gsize len, gint *hour, char **channel, GError **error)
{
  json_t *obj = th_body_load_object (body, len, error);
  json_t *h = NULL;
  json_error_t jerr;
  const char *ch = NULL;
  gboolean ok = FALSE;

  *hour = -1;
  *channel = NULL;
  if (!obj)
    return FALSE;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s:o, s?s}", "hour", &h, "channel", &ch) != 0) {
    refuse (error, "The reminder could not be read.");
  } else if (json_is_null (h)) {
    ok = TRUE; /* off */
  } else if (!json_is_integer (h) || json_integer_value (h) < 0 || json_integer_value (h) > 23) {
    refuse (error, "Pick a reminder time from the list.");
  } else if (!ch || (strcmp (ch, "email") != 0 && strcmp (ch, "sms") != 0)) {
    refuse (error, "Pick email or text message for the reminder.");
  } else {
    *hour = (gint) json_integer_value (h);
    *channel = g_strdup (ch);
    ok = TRUE;
  }
  json_decref (obj);
  return ok;
}
