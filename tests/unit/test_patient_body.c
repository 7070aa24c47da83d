/* test_patient_body.c — a patient's details at the edge
 * (server/api/bodies_patient.c) and the region table
 * (server/records/regions.c): each validator's yes and no, and the
 * decoder's refusal naming the field in words for the front desk. The
 * clinic's date is passed in, fixed: no clock. */
#include "server/api/api-bodies.h"

#include <string.h>

#define BODY(s) (s), strlen (s)

static void
test_email (void)
{
  const char *good[] = { "a@example.org", "jane.doe+clinic@mail.example.co.uk",
                         "o'neil@example.org", "x_y-z@sub-domain.example.com" };
  const char *bad[] = { "", "plain", "@example.org", "a@", "a@example", "a@@example.org",
                        "a b@example.org", ".a@example.org", "a.@example.org", "a..b@example.org",
                        "a@example..org", "a@-example.org", "a@example-.org", "a@example.o",
                        "a@example.c0m", "a@exa mple.org", "<a@example.org>" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (th_email_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (th_email_valid (bad[i]));
  g_assert_false (th_email_valid (NULL));
}

static void
assert_phone (const char *in, const char *out)
{
  g_autofree char *e164 = th_phone_e164 (in);
  g_assert_cmpstr (e164, ==, out);
}

static void
test_phone (void)
{
  assert_phone ("+15550100123", "+15550100123");
  /* The way people write numbers: spaces, dashes, dots and brackets go. */
  assert_phone ("+1 (555) 010-0123", "+15550100123");
  assert_phone ("+44 20 7946 0958", "+442079460958");
  assert_phone ("+12345678", "+12345678");               /* 8 digits: the fewest */
  assert_phone ("+123456789012345", "+123456789012345"); /* 15: the most (E.164) */
  assert_phone ("+1234567", NULL);
  assert_phone ("+1234567890123456", NULL);
  assert_phone ("5550100123", NULL); /* no country code */
  assert_phone ("+0555010012", NULL); /* no country code starts with 0 */
  assert_phone ("+1 555 010 0123 ext 4", NULL);
  assert_phone ("+1-555-O10-0123", NULL);
  assert_phone ("", NULL);
  assert_phone (NULL, NULL);
}

static void
test_time_zone (void)
{
  g_assert_true (th_time_zone_valid ("America/New_York"));
  g_assert_true (th_time_zone_valid ("Europe/Paris"));
  g_assert_true (th_time_zone_valid ("UTC"));
  g_assert_false (th_time_zone_valid ("Mars/Olympus_Mons"));
  g_assert_false (th_time_zone_valid ("America/New York"));
  /* GLib would load these; they are not places. */
  g_assert_false (th_time_zone_valid ("/etc/localtime"));
  g_assert_false (th_time_zone_valid ("+05:00"));
  g_assert_false (th_time_zone_valid ("America/../../etc/passwd"));
  g_assert_false (th_time_zone_valid (""));
}

static void
test_language_and_mrn (void)
{
  g_assert_true (th_language_tag_valid ("en"));
  g_assert_true (th_language_tag_valid ("es"));
  g_assert_true (th_language_tag_valid ("pt-BR"));
  g_assert_true (th_language_tag_valid ("zh-Hant-TW"));
  g_assert_false (th_language_tag_valid ("e"));
  g_assert_false (th_language_tag_valid ("english"));
  g_assert_false (th_language_tag_valid ("en-"));
  g_assert_false (th_language_tag_valid ("en_US"));
  g_assert_false (th_language_tag_valid ("3n"));
  g_assert_true (th_mrn_valid ("MRN-004417"));
  g_assert_false (th_mrn_valid (""));
  g_assert_false (th_mrn_valid ("MRN 1"));
  g_assert_false (th_mrn_valid ("123456789012345678901234567890123"));
}

static void
test_regions (void)
{
  guint n = 0;
  const RegionInfo *t = region_table (&n);

  /* 50 states, the District, 5 territories (USPS Publication 28). */
  g_assert_cmpuint (n, ==, 56);
  for (guint i = 0; i < n; i++)
    g_assert_true (region_lookup (t[i].code) == &t[i]);
  g_assert_cmpstr (region_lookup ("ny")->name, ==, "New York");
  g_assert_cmpstr (region_lookup ("US-CA")->code, ==, "CA");
  g_assert_null (region_lookup ("XX"));
  g_assert_null (region_lookup ("New York"));
  g_assert_null (region_lookup ("FR-75"));
}

/* The clinic's date in these tests. */
static GDate
today (void)
{
  GDate d;
  g_date_clear (&d, 1);
  g_date_set_dmy (&d, 5, G_DATE_DECEMBER, 2026);
  return d;
}

static void
assert_field (const char *body, const char *field, const char *message)
{
  GDate t = today ();
  ThPatientBody b;
  GError *error = NULL;
  const char *got = "unset";

  g_assert_false (th_body_patient (BODY (body), &t, &b, &got, &error));
  g_assert_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_FIELD);
  g_assert_cmpstr (got, ==, field);
  if (message)
    g_assert_cmpstr (error->message, ==, message);
  g_assert_null (b.name);
  g_error_free (error);
}

#define OK_START "{\"name\":\" Ana Lima \",\"birth_date\":\"1990-04-30\",\"mrn\":\"A-1\""

static void
test_decoder (void)
{
  GDate t = today ();
  ThPatientBody b;
  GError *error = NULL;
  const char *field = NULL;

  g_assert_true (th_body_patient (BODY (OK_START ",\"email\":\"ana@example.org\",\"phone\":\"+1 555 "
                                             "010 0199\",\"time_zone\":\"America/Chicago\","
                                             "\"region\":\"us-il\",\"language\":\"pt-BR\","
                                             "\"confirm_duplicate\":true}"),
                                  &t, &b, &field, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (b.name, ==, "Ana Lima");
  g_assert_cmpstr (b.birth_date, ==, "1990-04-30");
  g_assert_cmpstr (b.phone, ==, "+15550100199");
  g_assert_cmpstr (b.region, ==, "IL");
  g_assert_true (b.confirm_duplicate);
  th_patient_body_clear (&b);
  /* Optional fields may be absent, null or blank; born today is allowed. */
  g_assert_true (th_body_patient (BODY ("{\"name\":\"Baby\",\"birth_date\":\"2026-12-05\","
                                        "\"mrn\":\"B2\",\"email\":null,\"phone\":\"\"}"),
                                  &t, &b, &field, &error));
  g_assert_null (b.email);
  g_assert_null (b.phone);
  g_assert_false (b.confirm_duplicate);
  th_patient_body_clear (&b);

  assert_field ("{\"birth_date\":\"1990-04-30\",\"mrn\":\"A\"}", "name",
                "Enter the patient's name. Nothing was saved.");
  assert_field ("{\"name\":\"A\",\"birth_date\":\"2026-12-06\",\"mrn\":\"A\"}", "birth_date",
                "The date of birth is in the future. Nothing was saved.");
  assert_field ("{\"name\":\"A\",\"birth_date\":\"1990-02-30\",\"mrn\":\"A\"}", "birth_date",
                "The date of birth is not a real date. Write it as year-month-day, for example "
                "1988-06-14. Nothing was saved.");
  assert_field ("{\"name\":\"A\",\"birth_date\":\"04/30/1990\",\"mrn\":\"A\"}", "birth_date", NULL);
  assert_field ("{\"name\":\"A\",\"birth_date\":\"1899-12-31\",\"mrn\":\"A\"}", "birth_date",
                NULL);
  assert_field ("{\"name\":\"A\",\"birth_date\":\"1990-04-30\"}", "mrn",
                "Enter the clinic's record number (MRN). Nothing was saved.");
  assert_field (OK_START ",\"email\":\"ana@example\"}", "email",
                "The email address does not look right. It should look like name@example.org. "
                "Nothing was saved.");
  assert_field (OK_START ",\"phone\":\"555-0100\"}", "phone", NULL);
  assert_field (OK_START ",\"phone\":5550100}", "phone", NULL);
  assert_field (OK_START ",\"time_zone\":\"Mars/Base\"}", "time_zone", NULL);
  assert_field (OK_START ",\"region\":\"ZZ\"}", "region",
                "The state is not one we know. Use a US state's two-letter code, for example NY. "
                "Nothing was saved.");
  assert_field (OK_START ",\"language\":\"english\"}", "language", NULL);
  assert_field (OK_START ",\"ssn\":\"1\"}", NULL, NULL);
  /* Not an object at all: bad-json, no field. */
  g_assert_false (th_body_patient (BODY ("[1]"), &t, &b, &field, &error));
  g_assert_error (error, TH_BODY_ERROR, TH_BODY_ERROR_BAD_JSON);
  g_assert_null (field);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/patient-body/email", test_email);
  g_test_add_func ("/patient-body/phone", test_phone);
  g_test_add_func ("/patient-body/time-zone", test_time_zone);
  g_test_add_func ("/patient-body/language-and-mrn", test_language_and_mrn);
  g_test_add_func ("/patient-body/regions", test_regions);
  g_test_add_func ("/patient-body/decoder", test_decoder);
  return g_test_run ();
}
