/* test_cssrs.c — the item-9 safety task's rules (issue 14): the C-SSRS
 * screener's structure (Q3-Q5 only after Q2 yes, Q6's past-3-months part
 * only after Q6 yes), the risk its published triage suggests, what closing
 * a task needs (a level not below the suggestion without a reason, a plan,
 * emergency services at high risk or a reason, where the patient is), and
 * the "safety-task-open" prescribing rule for tricyclics and lithium. */
#include <string.h>

#include <glib.h>

#include "server/records/records.h"

enum { N = CSSRS_NOT_ASKED, NO = CSSRS_NO, YES = CSSRS_YES };

static CssrsScreen
screen (gint q1, gint q2, gint q3, gint q4, gint q5, gint q6, gint recent)
{
  CssrsScreen s = { { q1, q2, q3, q4, q5, q6 }, recent };
  return s;
}

static void
test_structure (void)
{
  struct {
    CssrsScreen s;
    gboolean valid;
    ClinicalErrorCode code;
  } cases[] = {
    { screen (NO, NO, N, N, N, NO, N), TRUE, 0 },
    { screen (YES, NO, N, N, N, NO, N), TRUE, 0 },
    { screen (YES, YES, NO, NO, NO, NO, N), TRUE, 0 },
    { screen (NO, NO, N, N, N, YES, NO), TRUE, 0 },
    /* Q1, Q2 and Q6 are always asked */
    { screen (N, NO, N, N, N, NO, N), FALSE, CLINICAL_ERROR_INCOMPLETE },
    { screen (NO, N, N, N, N, NO, N), FALSE, CLINICAL_ERROR_INCOMPLETE },
    { screen (NO, NO, N, N, N, N, N), FALSE, CLINICAL_ERROR_INCOMPLETE },
    /* Q2 yes: Q3, Q4 and Q5 must be answered */
    { screen (YES, YES, YES, N, NO, NO, N), FALSE, CLINICAL_ERROR_INCOMPLETE },
    /* Q2 no: Q3-Q5 are skipped, never answered */
    { screen (YES, NO, YES, N, N, NO, N), FALSE, CLINICAL_ERROR_INVALID },
    /* Q6 yes: within the past 3 months is asked; Q6 no: it is not */
    { screen (NO, NO, N, N, N, YES, N), FALSE, CLINICAL_ERROR_INCOMPLETE },
    { screen (NO, NO, N, N, N, NO, YES), FALSE, CLINICAL_ERROR_INVALID },
    /* an answer that is neither yes nor no */
    { screen (2, NO, N, N, N, NO, N), FALSE, CLINICAL_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    gboolean ok = cssrs_screen_valid (&cases[i].s, &error);
    g_test_message ("case %u", i);
    g_assert_cmpint (ok, ==, cases[i].valid);
    if (!ok) {
      g_assert_error (error, CLINICAL_ERROR, (gint) cases[i].code);
      g_assert_true (g_ascii_isupper (error->message[0]) || error->message[0] == '"');
    }
  }
}

static void
test_triage (void)
{
  struct {
    CssrsScreen s;
    SafetyRisk want;
  } cases[] = {
    { screen (NO, NO, N, N, N, NO, N), SAFETY_RISK_LOW },
    { screen (YES, NO, N, N, N, NO, N), SAFETY_RISK_LOW },
    { screen (YES, YES, NO, NO, NO, NO, N), SAFETY_RISK_LOW },
    { screen (YES, YES, YES, NO, NO, NO, N), SAFETY_RISK_MODERATE },
    /* lifetime behaviour over 3 months ago: the published triage's moderate */
    { screen (NO, NO, N, N, N, YES, NO), SAFETY_RISK_MODERATE },
    { screen (NO, NO, N, N, N, YES, YES), SAFETY_RISK_HIGH },
    { screen (YES, YES, YES, YES, NO, NO, N), SAFETY_RISK_HIGH },
    { screen (YES, YES, NO, NO, YES, NO, N), SAFETY_RISK_HIGH },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_assert_true (cssrs_screen_valid (&cases[i].s, NULL));
    g_assert_cmpstr (safety_risk_name (cssrs_suggest_risk (&cases[i].s)), ==,
                     safety_risk_name (cases[i].want));
  }
}

static gboolean
close_ok (const SafetyClose *c, SafetyRisk *suggested, GError **error)
{
  return safety_close_valid (c, suggested, error);
}

static void
test_close (void)
{
  const char *safety[] = { "safety-plan", "crisis-line" };
  const char *emergency[] = { "emergency-services" };
  const char *unknown[] = { "hope" };
  const char *twice[] = { "crisis-line", "crisis-line" };
  SafetyClose c = { .screen = screen (YES, YES, YES, NO, NO, NO, N),
                    .risk = SAFETY_RISK_MODERATE,
                    .plans = safety,
                    .n_plans = 2,
                    .location = "At home, 12 Elm St" };
  SafetyRisk suggested;
  GError *error = NULL;

  g_assert_true (close_ok (&c, &suggested, &error));
  g_assert_no_error (error);
  g_assert_cmpint (suggested, ==, SAFETY_RISK_MODERATE);

  /* higher than the screener: the clinician's call */
  c.risk = SAFETY_RISK_HIGH;
  c.plans = emergency;
  c.n_plans = 1;
  g_assert_true (close_ok (&c, &suggested, NULL));
  /* high without emergency services: only with a reason */
  c.plans = safety;
  c.n_plans = 2;
  g_assert_false (close_ok (&c, &suggested, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE);
  g_assert_nonnull (strstr (error->message, "emergency services"));
  g_clear_error (&error);
  c.plan_reason = "Already in the emergency department";
  g_assert_true (close_ok (&c, &suggested, NULL));
  c.plan_reason = NULL;

  /* lower than the screener: only with a reason */
  c.risk = SAFETY_RISK_LOW;
  g_assert_false (close_ok (&c, &suggested, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE);
  g_assert_nonnull (strstr (error->message, "suggest moderate risk"));
  g_clear_error (&error);
  c.risk_reason = "  ";
  g_assert_false (close_ok (&c, &suggested, NULL));
  c.risk_reason = "Ideation was fleeting, strong protective factors, known to me for years";
  g_assert_true (close_ok (&c, &suggested, NULL));

  /* the plan: at least one, known, each once */
  c.n_plans = 0;
  g_assert_false (close_ok (&c, &suggested, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE);
  g_clear_error (&error);
  c.plans = unknown;
  c.n_plans = 1;
  g_assert_false (close_ok (&c, &suggested, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  g_clear_error (&error);
  c.plans = twice;
  c.n_plans = 2;
  g_assert_false (close_ok (&c, &suggested, NULL));
  c.plans = safety;

  /* where the patient is */
  c.location = " ";
  g_assert_false (close_ok (&c, &suggested, &error));
  g_assert_nonnull (strstr (error->message, "where the patient is"));
  g_clear_error (&error);
  c.location = NULL;
  g_assert_false (close_ok (&c, &suggested, NULL));

  /* a broken screen is refused before anything else */
  c.location = "Home";
  c.screen = screen (YES, NO, YES, N, N, NO, N);
  g_assert_false (close_ok (&c, &suggested, &error));
  g_assert_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_questions (void)
{
  /* six questions and Q6's follow-up, each with its LOINC item code */
  for (guint i = 0; i <= CSSRS_N_QUESTIONS; i++) {
    const CssrsQuestion *q = cssrs_question (i);
    g_assert_nonnull (q);
    g_assert_true (g_str_has_prefix (q->loinc, "93"));
    g_assert_true (g_str_has_suffix (q->text, "?"));
  }
  g_assert_null (cssrs_question (CSSRS_N_QUESTIONS + 1));
  g_assert_cmpstr (cssrs_question (6)->code, ==, "q6_past_3_months");
  g_assert_cmpuint (safety_plan_count (), ==, 4);
}

/* ------------------------------------------- "safety-task-open" rule */

static MedCatalog *catalog;

static PrescribeDecision
decide (const char *med_id, gboolean open, gboolean starts, guint days, gboolean confirmed,
        char **rule)
{
  g_autofree char *reason = NULL;
  PrescribeContext ctx = { .actor_role = "psychiatrist",
                           .medication = med_catalog_find (catalog, med_id),
                           .new_prescription = TRUE,
                           .modality = "video",
                           .safety_task_open = open,
                           .starts_medication = starts,
                           .supply_days = days,
                           .safety_confirmed = confirmed };
  PrescribeDecision d;

  g_assert_nonnull (ctx.medication);
  g_date_clear (&ctx.today, 1);
  g_date_clear (&ctx.policy_end, 1);
  g_date_clear (&ctx.in_person_eval, 1);
  d = prescribe_decide (&ctx, rule, &reason);
  if (d == PRESCRIBE_REFUSED) {
    g_assert_nonnull (strstr (reason, "safety task"));
    g_assert_nonnull (strstr (reason, "overdose"));
  }
  return d;
}

static void
test_safety_rule (void)
{
  char *rule = NULL;

  g_assert_cmpint (decide ("lithium-carbonate-ir", TRUE, TRUE, 30, FALSE, &rule), ==,
                   PRESCRIBE_REFUSED);
  g_assert_cmpstr (rule, ==, "safety-task-open");
  g_clear_pointer (&rule, g_free);
  g_assert_cmpint (decide ("lithium-carbonate-er", TRUE, TRUE, 15, FALSE, &rule), ==,
                   PRESCRIBE_REFUSED);
  g_clear_pointer (&rule, g_free);
  g_assert_cmpint (decide ("amitriptyline", TRUE, TRUE, 90, FALSE, &rule), ==, PRESCRIBE_REFUSED);
  g_clear_pointer (&rule, g_free);
  /* 14 days or fewer, a confirmation, no open task, a dose change (not a
   * start), or another drug: allowed */
  g_assert_cmpint (decide ("lithium-carbonate-ir", TRUE, TRUE, 14, FALSE, &rule), ==,
                   PRESCRIBE_ALLOWED);
  g_assert_cmpint (decide ("lithium-carbonate-ir", TRUE, TRUE, 30, TRUE, &rule), ==,
                   PRESCRIBE_ALLOWED);
  g_assert_cmpint (decide ("lithium-carbonate-ir", FALSE, TRUE, 30, FALSE, &rule), ==,
                   PRESCRIBE_ALLOWED);
  g_assert_cmpint (decide ("amitriptyline", TRUE, FALSE, 30, FALSE, &rule), ==, PRESCRIBE_ALLOWED);
  g_assert_cmpint (decide ("sertraline", TRUE, TRUE, 90, FALSE, &rule), ==, PRESCRIBE_ALLOWED);
  g_assert_null (rule);

  g_assert_true (medication_overdose_lethal (med_catalog_find (catalog, "amitriptyline"), NULL));
  g_assert_true (
    medication_overdose_lethal (med_catalog_find (catalog, "lithium-carbonate-er"), NULL));
  g_assert_false (medication_overdose_lethal (med_catalog_find (catalog, "lamotrigine"), NULL));
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  catalog = med_catalog_load (TH_CATALOG_PATH, &error);
  g_assert_no_error (error);
  g_test_add_func ("/cssrs/structure", test_structure);
  g_test_add_func ("/cssrs/triage", test_triage);
  g_test_add_func ("/cssrs/close", test_close);
  g_test_add_func ("/cssrs/questions", test_questions);
  g_test_add_func ("/cssrs/safety-task-open", test_safety_rule);
  rc = g_test_run ();
  med_catalog_free (catalog);
  return rc;
}
