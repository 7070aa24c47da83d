/* fuzz_rest_bodies.c — every REST body decoder (server/api/bodies.c). The
 * first input byte picks the decoder, the rest is the body. A decoder must
 * either fill its struct with values inside the documented limits or fail
 * with a TH_BODY_ERROR; never crash or leak. */
#include "tests/fuzz/fuzz_common.h"
#include "server/api/api-bodies.h"
#include "server/api/api-bodies-outside.h"
#include "server/api/bodies-problems.h"
#include "server/clock/clock.h"

#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_fatal_criticals ();
  return 0;
}

static void
check_failure (gboolean ok, GError *error)
{
  if (ok) {
    g_assert_no_error (error);
    return;
  }
  g_assert_nonnull (error);
  g_assert_true (error->domain == TH_BODY_ERROR);
  g_assert_nonnull (th_body_error_code (error));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_error_free (error);
}

static void
check_text (gboolean ok, char *text, glong max)
{
  if (ok) {
    g_assert_nonnull (text);
    g_assert_true (g_utf8_validate (text, -1, NULL));
    g_assert_cmpint (g_utf8_strlen (text, -1), <=, max);
  } else {
    g_assert_null (text);
  }
  g_free (text);
}

/* A patient accepted has every field inside its rules (each validator
 * agrees again); a refusal names a known field or none. */
static gboolean
th_patient_body_ok (const char *body, gsize len, const GDate *today, ThPatientBody *b,
                    const char **field, GError **error)
{
  static const char *const fields[] = { "name",      "birth_date", "mrn",      "email", "phone",
                                        "time_zone", "region",     "language" };
  gboolean ok = th_body_patient (body, len, today, b, field, error);

  if (ok) {
    GDate day;
    char *e164 = b->phone ? th_phone_e164 (b->phone) : NULL;
    g_assert_true (b->name && g_utf8_validate (b->name, -1, NULL));
    g_assert_cmpint (g_utf8_strlen (b->name, -1), <=, 200);
    g_assert_true (th_date_parse (b->birth_date, &day) && g_date_compare (&day, today) <= 0);
    g_assert_true (th_mrn_valid (b->mrn));
    g_assert_true (!b->email || th_email_valid (b->email));
    g_assert_cmpstr (e164, ==, b->phone);
    g_assert_true (!b->time_zone || th_time_zone_valid (b->time_zone));
    g_assert_true (!b->region || region_lookup (b->region));
    g_assert_true (!b->language || th_language_tag_valid (b->language));
    g_free (e164);
  } else if (*field) {
    gboolean known = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
      known |= strcmp (*field, fields[i]) == 0;
    g_assert_true (known);
    g_assert_null (b->name);
  }
  th_patient_body_clear (b);
  return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  char *body, *text = NULL;
  gsize len;
  gboolean ok;

  if (size == 0)
    return 0;
  len = size - 1;
  body = g_memdup2 (data + 1, len);
  switch (data[0] % 25) {
  case 0: {
    ThVisitCreateBody b;
    ok = th_body_visit_create (body, len, &b, &error);
    if (ok)
      g_assert_true ((b.patient_name == NULL) != (b.patient_id == NULL));
    th_visit_create_body_clear (&b);
    break;
  }
  case 1: {
    ThSignInBody b;
    ok = th_body_sign_in (body, len, &b, &error);
    if (ok)
      g_assert_true (strlen (b.username) >= 1 && strlen (b.username) <= 64);
    th_sign_in_body_clear (&b);
    break;
  }
  case 2: {
    ThCheckinBody b;
    ok = th_body_checkin (body, len, &b, &error);
    if (ok) {
      g_assert_cmpuint (b.n_scales, <=, 4);
      g_assert_cmpuint (b.n_side_effects, <=, 20);
      g_assert_cmpuint (b.n_missed_doses, <=, 20);
      for (guint i = 0; i < b.n_missed_doses; i++)
        g_assert_cmpuint (b.missed_doses[i].missed, <=, 4 * MISSED_DOSE_DAYS);
      for (guint i = 0; i < b.n_scales; i++)
        g_assert_cmpuint (b.scales[i].n_items, ==, scale_item_count (b.scales[i].kind));
    }
    th_checkin_body_clear (&b);
    break;
  }
  case 3:
    ok = th_body_note (body, len, &text, &error);
    check_text (ok, text, 5000);
    break;
  case 4: {
    ThAdjustmentBody b;
    ok = th_body_adjustment (body, len, &b, &error);
    if (ok)
      g_assert_nonnull (b.reason);
    th_adjustment_body_clear (&b);
    break;
  }
  case 5:
    ok = th_body_reason (body, len, &text, &error);
    check_text (ok, text, 1000);
    break;
  case 6:
    ok = th_body_guest (body, len, &text, &error);
    check_text (ok, text, 100);
    break;
  case 7: {
    ThConsentBody b;
    ok = th_body_consent (body, len, &b, &error);
    if (ok)
      check_text (TRUE, g_strdup (b.version), 64);
    th_consent_body_clear (&b);
    break;
  }
  case 8: {
    ThPatientBody b;
    const char *field = NULL;
    GDate today;
    g_date_clear (&today, 1);
    g_date_set_dmy (&today, 5, G_DATE_DECEMBER, 2026);
    ok = th_patient_body_ok (body, len, &today, &b, &field, &error);
    break;
  }
  case 10: {
    ThVisitBookBody b;
    const char *field = NULL;
    GTimeZone *zone = g_time_zone_new_identifier ("America/New_York");
    ok = th_body_visit_book (body, len, zone, &b, &field, &error);
    if (ok) {
      g_assert_true (b.patient_id && *b.patient_id);
      g_assert_cmpuint (b.length_minutes, >=, 5);
      g_assert_cmpuint (b.length_minutes, <=, 240);
      g_assert_nonnull (b.visit_type);
    }
    th_visit_book_body_clear (&b);
    g_time_zone_unref (zone);
    break;
  }
  case 11: {
    ThVisitMoveBody b;
    const char *field = NULL;
    GTimeZone *zone = g_time_zone_new_utc ();
    ok = th_body_visit_move (body, len, zone, &b, &field, &error);
    g_assert_true (!ok || b.length_minutes == 0 ||
                   (b.length_minutes >= 5 && b.length_minutes <= 240));
    check_failure (ok, error);
    error = NULL;
    ok = th_body_visit_cancel (body, len, &text, &field, &error);
    check_text (ok, text, 500);
    g_time_zone_unref (zone);
    break;
  }
  case 12: {
    /* The next follow-up: weeks or a date, never both; a refusal names
     * weeks, date, time or nothing. */
    ThFollowUpBody b;
    const char *field = NULL;
    ok = th_body_follow_up (body, len, &b, &field, &error);
    if (ok) {
      g_assert_true ((b.weeks == 0) == g_date_valid (&b.date));
      g_assert_cmpuint (b.weeks, <=, FOLLOW_UP_MAX_WEEKS);
      g_assert_true (b.hour < 24 && b.minute < 60);
    } else if (field) {
      g_assert_true (strcmp (field, "weeks") == 0 || strcmp (field, "date") == 0 ||
                     strcmp (field, "time") == 0);
    }
    break;
  }
  case 13: {
    /* An alert's acknowledgement: a note of at most 1000 characters, or none. */
    ok = th_body_alert_ack (body, len, &text, &error);
    if (ok && text)
      g_assert_true (g_utf8_validate (text, -1, NULL) && g_utf8_strlen (text, -1) <= 1000);
    g_clear_pointer (&text, g_free);
    break;
  }
  case 14: {
    /* A safety task's closing: answers yes, no or not asked; plan codes
     * counted; texts bounded. */
    ThSafetyCloseBody b;
    ok = th_body_safety_close (body, len, &b, &error);
    if (ok) {
      for (guint i = 0; i < CSSRS_N_QUESTIONS; i++)
        g_assert_true (b.screen.answers[i] >= CSSRS_NOT_ASKED && b.screen.answers[i] <= CSSRS_YES);
      g_assert_true (b.n_plans == 0 || b.plans[b.n_plans - 1] != NULL);
      g_assert_true (!b.location || g_utf8_strlen (b.location, -1) <= 500);
      th_safety_close_body_clear (&b);
    }
    break;
  }
  case 15: {
    /* A lab or vital sign: a known kind with a believable value. */
    ThObservationBody b;
    ok = th_body_observation (body, len, &b, &error);
    if (ok)
      g_assert_true (observation_value_valid (b.kind, b.value, b.has_value2, b.value2, NULL));
    break;
  }
  case 16: {
    /* The diary's entry: counts and severities inside their ranges. */
    ThDiaryEntryBody b;
    ok = th_body_diary_entry (body, len, &b, &error);
    if (ok) {
      g_assert_cmpuint (strlen (b.day), >, 0);
      g_assert_true (b.item9 >= -1 && b.item9 <= 3);
      for (guint i = 0; i < b.n_doses; i++)
        g_assert_true (b.doses[i].taken <= 24 && b.doses[i].missed <= 24);
      for (guint i = 0; i < b.n_effects; i++)
        g_assert_cmpuint (b.effects[i].severity, <=, 3);
      th_diary_entry_body_clear (&b);
    }
    break;
  }
  case 17: {
    gint hour = -1;
    char *channel = NULL;
    ok = th_body_diary_reminder (body, len, &hour, &channel, &error);
    if (ok)
      g_assert_true ((hour == -1 && !channel) || (hour >= 0 && hour <= 23 && channel));
    g_free (channel);
    break;
  }
  case 18: {
    ThPharmacyBody b = { 0 };
    ok = th_body_pharmacy (body, len, &b, &error);
    if (ok)
      g_assert_true (b.name && b.address && b.phone && (!b.ncpdp_id || strlen (b.ncpdp_id) == 7));
    th_pharmacy_body_clear (&b);
    break;
  }
  case 19: {
    ThPdmpBody b = { 0 };
    ok = th_body_pdmp_check (body, len, &b, &error);
    if (ok)
      g_assert_true (b.result && (b.state[0] == '\0' || strlen (b.state) == 2));
    th_pdmp_body_clear (&b);
    break;
  }
  case 20: {
    RxReproductive b;
    GDate today;
    ok = th_body_reproductive (body, len, &b, &error);
    if (ok) {
      g_assert_nonnull (b.sex_at_birth);
      g_date_clear (&today, 1);
      g_date_set_dmy (&today, 17, G_DATE_NOVEMBER, 2026);
      /* The check only answers: it never crashes on what the decoder let in. */
      if (!th_reproductive_check (&b, &today, &error))
        g_clear_error (&error);
      rx_reproductive_clear (&b);
    }
    break;
  }
  case 21: {
    /* A medication from elsewhere: a name or a code of digits, texts
     * within 200 characters, a stop date not after today. */
    ThOtherMedBody b;
    char stopped[11];
    GDate today;
    g_date_clear (&today, 1);
    g_date_set_dmy (&today, 5, G_DATE_DECEMBER, 2026);
    ok = th_body_other_med (body, len, &today, &b, &error);
    if (ok) {
      g_assert_true (b.name || b.rxnorm);
      g_assert_true (!b.rxnorm || strspn (b.rxnorm, "0123456789") == strlen (b.rxnorm));
      g_assert_true (!b.dose || g_utf8_strlen (b.dose, -1) <= 200);
      g_assert_true (!b.stopped_on[0] || strcmp (b.stopped_on, "2026-12-05") <= 0);
      th_other_med_body_clear (&b);
    } else {
      check_failure (ok, error);
      error = NULL;
      ok = th_body_other_med_stop (body, len, &today, stopped, &error);
      if (ok)
        g_assert_true (!stopped[0] || strcmp (stopped, "2026-12-05") <= 0);
    }
    break;
  }
  case 22: {
    /* A diagnosis or its new status: a code and statuses when accepted. */
    ThConditionBody b = { 0 };
    ok = th_body_condition (body, len, &b, &error);
    if (ok) {
      g_assert_true (b.code && *b.code);
      th_condition_body_clear (&b);
    } else {
      ThConditionStatusBody st = { 0 };
      check_failure (ok, error);
      error = NULL;
      ok = th_body_condition_status (body, len, &st, &error);
      if (ok)
        g_assert_true (st.clinical_status || st.verification_status);
      th_condition_status_body_clear (&st);
    }
    break;
  }
  case 23: {
    /* An allergy always names its substance; entered in error has a reason. */
    ThAllergyBody b = { 0 };
    ok = th_body_allergy (body, len, &b, &error);
    if (ok) {
      g_assert_true (b.substance && *b.substance);
      th_allergy_body_clear (&b);
    } else {
      ThAllergyStatusBody st = { 0 };
      check_failure (ok, error);
      error = NULL;
      ok = th_body_allergy_status (body, len, &st, &error);
      if (ok)
        g_assert_true (st.status && (g_strcmp0 (st.status, "entered-in-error") != 0 || st.reason));
      th_allergy_status_body_clear (&st);
    }
    break;
  }
  default: {
    ThEvaluationBody b;
    ok = th_body_in_person_evaluation (body, len, &b, &error);
    if (ok)
      g_assert_cmpuint (strlen (b.date), ==, 10);
    break;
  }
  }
  check_failure (ok, error);
  g_free (body);
  return 0;
}
