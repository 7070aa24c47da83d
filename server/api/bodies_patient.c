/* bodies_patient.c — a patient's details as the front desk enters them
 * (see api-bodies.h): each field checked here, at the edge, so the store
 * only ever sees a real date of birth, an email and phone in standard form,
 * a time zone GLib can load and a region of the table. Each refusal names
 * its field in the words of the person at the desk. Pure: no store, no
 * clock (the clinic's date is passed in). */
#include "server/api/api-bodies.h"
#include "server/clock/clock.h"

#include <string.h>
#include <jansson.h>

#define MAX_PATIENT_NAME 200
#define MAX_MRN 32
#define MAX_EMAIL 254 /* RFC 5321's limit on a forward path, less the brackets */
#define MAX_ZONE 64
#define MAX_LANGUAGE 35 /* RFC 5646 4.4.1: 35 characters hold any useful tag */
#define E164_MIN_DIGITS 8
#define E164_MAX_DIGITS 15 /* ITU-T E.164 section 6 */
#define OLDEST_BIRTH_YEAR 1900

void
th_patient_body_clear (ThPatientBody *b)
{
  g_free (b->name);
  g_free (b->mrn);
  g_free (b->email);
  g_free (b->phone);
  g_free (b->time_zone);
  g_free (b->region);
  g_free (b->language);
  memset (b, 0, sizeof *b);
}

/* ----------------------------------------------------------- validators */

gboolean
th_mrn_valid (const char *mrn)
{
  gsize n = mrn ? strlen (mrn) : 0;
  return n >= 1 && n <= MAX_MRN &&
         strspn (mrn, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A dot-atom (RFC 5322 3.2.3) of the characters people use: no dot first,
 * last or twice. */
static gboolean
dot_atom_valid (const char *s, gsize n, const char *chars)
{
  if (n == 0 || s[0] == '.' || s[n - 1] == '.')
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    if (s[i] == '.' ? s[i + 1] == '.' : !strchr (chars, s[i]) || s[i] == '\0')
      return FALSE;
  }
  return TRUE;
}

gboolean
th_email_valid (const char *email)
{
  static const char local_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789!#$%&'*+/=?^_`{|}~-";
  const char *at, *last_dot;
  gsize n;

  if (!email || (n = strlen (email)) > MAX_EMAIL || !(at = strchr (email, '@')) ||
      strchr (at + 1, '@'))
    return FALSE;
  if (at - email > 64 || !dot_atom_valid (email, (gsize) (at - email), local_chars))
    return FALSE;
  /* The domain: labels of letters, digits and inner hyphens, at least two,
   * the last (the top-level domain) letters only. */
  if (!dot_atom_valid (at + 1, strlen (at + 1),
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"))
    return FALSE;
  last_dot = strrchr (at + 1, '.');
  if (!last_dot || strlen (last_dot + 1) < 2)
    return FALSE;
  for (const char *p = last_dot + 1; *p; p++)
    if (!g_ascii_isalpha (*p))
      return FALSE;
  for (const char *p = at + 1; *p; p++)
    if (*p == '-' && (p == at + 1 || p[-1] == '.' || p[1] == '.' || p[1] == '\0'))
      return FALSE;
  return TRUE;
}

char *
th_phone_e164 (const char *phone)
{
  GString *out;
  guint digits = 0;

  if (!phone || phone[0] != '+')
    return NULL;
  out = g_string_new ("+");
  for (const char *p = phone + 1; *p; p++) {
    if (g_ascii_isdigit (*p)) {
      /* A country code never starts with 0 (E.164 section 6.2.1). */
      if (digits == 0 && *p == '0')
        break;
      g_string_append_c (out, *p);
      digits++;
    } else if (!strchr (" -.()", *p)) {
      digits = 0;
      break;
    }
  }
  if (digits < E164_MIN_DIGITS || digits > E164_MAX_DIGITS || out->len != digits + 1) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

gboolean
th_time_zone_valid (const char *zone)
{
  GTimeZone *tz;
  gsize n = zone ? strlen (zone) : 0;

  /* An IANA name ("America/New_York", "UTC"): GLib would also take a path
   * ("/etc/localtime") or an offset ("+05:00"), which are not zones a
   * patient lives in. */
  if (n == 0 || n > MAX_ZONE || !g_ascii_isalpha (zone[0]) || strstr (zone, "..") ||
      strspn (zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n)
    return FALSE;
  tz = g_time_zone_new_identifier (zone);
  if (!tz)
    return FALSE;
  g_time_zone_unref (tz);
  return TRUE;
}

gboolean
th_language_tag_valid (const char *tag)
{
  g_auto (GStrv) parts = NULL;
  gsize n = tag ? strlen (tag) : 0;

  /* RFC 5646's shape: a primary language of 2-3 letters (ISO 639), then
   * subtags of 1-8 letters or digits (script, region, variant). */
  if (n < 2 || n > MAX_LANGUAGE || tag[n - 1] == '-')
    return FALSE;
  parts = g_strsplit (tag, "-", -1);
  for (guint i = 0; parts[i]; i++) {
    gsize len = strlen (parts[i]);
    if (len == 0 || len > 8 || (i == 0 && (len < 2 || len > 3)))
      return FALSE;
    for (const char *p = parts[i]; *p; p++)
      if (i == 0 ? !g_ascii_isalpha (*p) : !g_ascii_isalnum (*p))
        return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------- decoder */

typedef struct {
  const char **field;
  GError **error;
} Refusal;

static gboolean
refuse (Refusal *why, const char *field, const char *message)
{
  *why->field = field;
  g_set_error (why->error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD, "%s Nothing was saved.",
               message);
  return FALSE;
}

/* The string of an optional field: NULL for absent, null or blank; FALSE
 * when it is something else. */
static gboolean
optional_text (json_t *v, const char **out)
{
  *out = NULL;
  if (!v || json_is_null (v))
    return TRUE;
  if (!json_is_string (v))
    return FALSE;
  if (json_string_value (v)[strspn (json_string_value (v), " \t")] != '\0')
    *out = json_string_value (v);
  return TRUE;
}

static gboolean
patient_name (json_t *v, ThPatientBody *out, Refusal *why)
{
  const char *name = NULL;
  g_autofree char *trimmed = NULL;

  if (!optional_text (v, &name) || !name || !g_utf8_validate (name, -1, NULL))
    return refuse (why, "name", "Enter the patient's name.");
  trimmed = g_strstrip (g_strdup (name));
  if (g_utf8_strlen (trimmed, -1) > MAX_PATIENT_NAME)
    return refuse (why, "name", "The patient's name can be at most 200 characters.");
  out->name = g_steal_pointer (&trimmed);
  return TRUE;
}

static gboolean
birth_date (json_t *v, const GDate *today, ThPatientBody *out, Refusal *why)
{
  const char *text = NULL;
  GDate day, oldest;

  if (!optional_text (v, &text) || !text)
    return refuse (why, "birth_date", "Enter the date of birth.");
  if (!th_date_parse (text, &day))
    return refuse (why, "birth_date",
                   "The date of birth is not a real date. Write it as year-month-day, for "
                   "example 1988-06-14.");
  if (!today || !g_date_valid (today) || g_date_compare (&day, today) > 0)
    return refuse (why, "birth_date", "The date of birth is in the future.");
  g_date_clear (&oldest, 1);
  g_date_set_dmy (&oldest, 1, G_DATE_JANUARY, OLDEST_BIRTH_YEAR);
  if (g_date_compare (&day, &oldest) < 0)
    return refuse (why, "birth_date", "The date of birth is before 1900. Check the year.");
  memcpy (out->birth_date, text, 10);
  out->birth_date[10] = '\0';
  return TRUE;
}

/* The optional fields after name and date of birth, each checked by its
 * own rule; the MRN is required. */
static gboolean
contact_fields (json_t *obj, ThPatientBody *out, Refusal *why)
{
  const char *mrn = NULL, *email = NULL, *phone = NULL, *zone = NULL, *region = NULL,
             *language = NULL;
  const RegionInfo *r = NULL;

  if (!optional_text (json_object_get (obj, "mrn"), &mrn) || !mrn)
    return refuse (why, "mrn", "Enter the clinic's record number (MRN).");
  if (!th_mrn_valid (mrn))
    return refuse (why, "mrn",
                   "The record number (MRN) can have only letters, digits and dashes, at most "
                   "32 of them.");
  if (!optional_text (json_object_get (obj, "email"), &email) || (email && !th_email_valid (email)))
    return refuse (why, "email",
                   "The email address does not look right. It should look like "
                   "name@example.org.");
  if (!optional_text (json_object_get (obj, "phone"), &phone) ||
      (phone && !(out->phone = th_phone_e164 (phone))))
    return refuse (why, "phone",
                   "The mobile phone number must start with + and the country code, then the "
                   "number: 8 to 15 digits in all (for example +1 555 010 0123).");
  if (!optional_text (json_object_get (obj, "time_zone"), &zone) ||
      (zone && !th_time_zone_valid (zone)))
    return refuse (why, "time_zone",
                   "The time zone is not one we know. Choose one from the list, for example "
                   "America/New_York.");
  if (!optional_text (json_object_get (obj, "region"), &region) ||
      (region && !(r = region_lookup (region))))
    return refuse (why, "region",
                   "The state is not one we know. Use a US state's two-letter code, for "
                   "example NY.");
  if (!optional_text (json_object_get (obj, "language"), &language) ||
      (language && !th_language_tag_valid (language)))
    return refuse (why, "language",
                   "The preferred language is not a language code we know. Use a code such as "
                   "en (English) or es (Spanish).");
  out->mrn = g_strdup (mrn);
  out->email = g_strdup (email);
  out->time_zone = g_strdup (zone);
  out->region = r ? g_strdup (r->code) : NULL;
  out->language = g_strdup (language);
  return TRUE;
}

gboolean
th_body_patient (const char *body, gsize len, const GDate *today, ThPatientBody *out,
                 const char **field, GError **error)
{
  json_t *obj = NULL, *name = NULL, *dob = NULL, *mrn = NULL, *email = NULL, *phone = NULL,
         *zone = NULL, *region = NULL, *language = NULL;
  int confirm = 0;
  json_error_t jerr;
  Refusal why = { field, error };
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  *field = NULL;
  if (!(obj = th_body_load_object (body, len, error)))
    goto out;
  if (json_unpack_ex (obj, &jerr, JSON_STRICT, "{s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?b}",
                      "name", &name, "birth_date", &dob, "mrn", &mrn, "email", &email, "phone",
                      &phone, "time_zone", &zone, "region", &region, "language", &language,
                      "confirm_duplicate", &confirm) != 0) {
    refuse (&why, NULL,
            "The form sent something the server does not know. Reload the page and try again.");
    goto out;
  }
  if (!patient_name (name, out, &why) || !birth_date (dob, today, out, &why) ||
      !contact_fields (obj, out, &why))
    goto out;
  out->confirm_duplicate = confirm != 0;
  ok = TRUE;
out:
  if (!ok)
    th_patient_body_clear (out);
  json_decref (obj);
  return ok;
}
