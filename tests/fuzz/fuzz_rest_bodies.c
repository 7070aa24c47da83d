/* fuzz_rest_bodies.c — every REST body decoder (server/api/bodies.c). The
 * first input byte picks the decoder, the rest is the body. A decoder must
 * either fill its struct with values inside the documented limits or fail
 * with a TH_BODY_ERROR; never crash or leak. */
#include "tests/fuzz/fuzz_common.h"
#include "server/api/api-bodies.h"

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
  switch (data[0] % 9) {
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
