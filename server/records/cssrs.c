/* cssrs.c — the follow-through of a positive PHQ-9 item 9 (issue 14): the
 * C-SSRS screener a clinician records to close the safety task, the risk
 * level it suggests, and the plan codes. Pure: no store, no clock.
 *
 * The instrument: Columbia-Suicide Severity Rating Scale, Screen Version -
 * Recent (Posner K, Brown GK, Stanley B, et al. The Columbia-Suicide
 * Severity Rating Scale: initial validity and internal consistency
 * findings. Am J Psychiatry 2011;168:1266-1277; the screener as published
 * by the Columbia Lighthouse Project, cssrs.columbia.edu). Questions 1-5
 * ask about the past month; question 6 about ever, with "was this within
 * the past 3 months?" when yes. Questions 3-5 are asked only when 2 is yes
 * (when 2 is no the screener goes straight to 6).
 *
 * The triage (the screener's published risk stratification): Q4 or Q5 yes,
 * or Q6 yes within the past 3 months: high; Q3 yes, or Q6 yes more than 3
 * months ago: moderate; otherwise low. The Lighthouse Project's colour
 * coding puts lifetime behaviour over 3 months ago with Q3 (moderate), so it
 * is followed here rather than the shorter "else low".
 *
 * LOINC: the item codes of the screen version are those the HL7 US
 * Behavioral Health Profiles IG uses for it (QuestionnaireResponse
 * C-SSRS-example-1): 93246-7 .. 93250-9, 93267-3, 93269-9, and 93374-7
 * "Suicide risk level". */
#include "server/records/records.h"

#include <string.h>

static const CssrsQuestion kQuestions[CSSRS_N_QUESTIONS] = {
  { "q1", "93246-7", "Wish to be dead",
    "In the past month, have you wished you were dead or wished you could go to sleep and not "
    "wake up?" },
  { "q2", "93247-5", "Non-specific active suicidal thoughts",
    "In the past month, have you actually had any thoughts of killing yourself?" },
  { "q3", "93248-3", "Active suicidal ideation with any methods (not plan), without intent",
    "In the past month, have you been thinking about how you might do this?" },
  { "q4", "93249-1", "Active suicidal ideation with some intent to act, without specific plan",
    "In the past month, have you had these thoughts and had some intention of acting on them?" },
  { "q5", "93250-9", "Active suicidal ideation with specific plan and intent",
    "In the past month, have you started to work out or worked out the details of how to kill "
    "yourself? Do you intend to carry out this plan?" },
  { "q6", "93267-3", "Suicidal behavior (lifetime)",
    "Have you ever done anything, started to do anything, or prepared to do anything to end your "
    "life?" },
};

static const CssrsQuestion kQ6Recent = { "q6_past_3_months", "93269-9",
                                         "Suicidal behavior within the past 3 months",
                                         "Was this within the past 3 months?" };

/* The plan a clinician records, one table: code (wire and store), words. */
static const struct {
  const char *code;
  const char *text;
} kPlans[] = {
  { "safety-plan", "Safety plan made with the patient" },
  { "means-counselling", "Counselling on access to lethal means" },
  { "crisis-line", "Crisis line given (988 in the US)" },
  { "emergency-services", "Emergency services contacted" },
};

static const char *const kRiskNames[] = { "low", "moderate", "high" };

const CssrsQuestion *
cssrs_question (guint index)
{
  if (index < CSSRS_N_QUESTIONS)
    return &kQuestions[index];
  return index == CSSRS_N_QUESTIONS ? &kQ6Recent : NULL;
}

const char *
safety_risk_name (SafetyRisk risk)
{
  return (guint) risk < G_N_ELEMENTS (kRiskNames) ? kRiskNames[risk] : NULL;
}

gboolean
safety_risk_from_name (const char *name, SafetyRisk *out)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (kRiskNames); i++)
    if (strcmp (name, kRiskNames[i]) == 0) {
      *out = (SafetyRisk) i;
      return TRUE;
    }
  return FALSE;
}

guint
safety_plan_count (void)
{
  return G_N_ELEMENTS (kPlans);
}

const char *
safety_plan_code (guint index)
{
  return index < G_N_ELEMENTS (kPlans) ? kPlans[index].code : NULL;
}

const char *
safety_plan_text (const char *code)
{
  for (guint i = 0; code && i < G_N_ELEMENTS (kPlans); i++)
    if (strcmp (code, kPlans[i].code) == 0)
      return kPlans[i].text;
  return NULL;
}

static gboolean
fail (GError **error, ClinicalErrorCode code, const char *message)
{
  g_set_error_literal (error, CLINICAL_ERROR, code, message);
  return FALSE;
}

static gboolean
answered (gint a)
{
  return a == CSSRS_NO || a == CSSRS_YES;
}

gboolean
cssrs_screen_valid (const CssrsScreen *s, GError **error)
{
  gboolean q2_yes;

  for (guint i = 0; i < CSSRS_N_QUESTIONS; i++)
    if (s->answers[i] != CSSRS_NO && s->answers[i] != CSSRS_YES && s->answers[i] != CSSRS_NOT_ASKED)
      return fail (error, CLINICAL_ERROR_INVALID, "Each screener answer is yes or no.");
  if (!answered (s->answers[0]) || !answered (s->answers[1]))
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "Answer screener questions 1 (wish to be dead) and 2 (thoughts of killing "
                 "yourself) before closing the task.");
  q2_yes = s->answers[1] == CSSRS_YES;
  for (guint i = 2; i < 5; i++) {
    if (q2_yes && !answered (s->answers[i]))
      return fail (error, CLINICAL_ERROR_INCOMPLETE,
                   "Question 2 was answered yes, so questions 3, 4 and 5 (method, intent, "
                   "plan) must be asked and answered.");
    if (!q2_yes && s->answers[i] != CSSRS_NOT_ASKED)
      return fail (error, CLINICAL_ERROR_INVALID,
                   "Questions 3, 4 and 5 are asked only when question 2 is yes; with question 2 "
                   "no the screener goes straight to question 6.");
  }
  if (!answered (s->answers[5]))
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "Answer screener question 6 (anything done or prepared to end your life).");
  if (s->answers[5] == CSSRS_YES && !answered (s->q6_past_3_months))
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "Question 6 was answered yes: say whether it was within the past 3 months.");
  if (s->answers[5] != CSSRS_YES && s->q6_past_3_months != CSSRS_NOT_ASKED)
    return fail (error, CLINICAL_ERROR_INVALID,
                 "\"Within the past 3 months\" is asked only when question 6 is yes.");
  return TRUE;
}

SafetyRisk
cssrs_suggest_risk (const CssrsScreen *s)
{
  gboolean behaviour = s->answers[5] == CSSRS_YES;

  if (s->answers[3] == CSSRS_YES || s->answers[4] == CSSRS_YES ||
      (behaviour && s->q6_past_3_months == CSSRS_YES))
    return SAFETY_RISK_HIGH;
  if (s->answers[2] == CSSRS_YES || behaviour)
    return SAFETY_RISK_MODERATE;
  return SAFETY_RISK_LOW;
}

/* The text of `text` without surrounding space, when it says anything. */
static gboolean
has_words (const char *text)
{
  for (const char *p = text; p && *p; p++)
    if (!g_ascii_isspace (*p))
      return TRUE;
  return FALSE;
}

gboolean
safety_close_valid (const SafetyClose *c, SafetyRisk *suggested, GError **error)
{
  gboolean emergency = FALSE;

  if (!cssrs_screen_valid (&c->screen, error))
    return FALSE;
  *suggested = cssrs_suggest_risk (&c->screen);
  /* Higher than the screener is the clinician's call; lower needs the
   * reason in the record, since it overrides a published triage. */
  if (c->risk < *suggested && !has_words (c->risk_reason)) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE,
                 "The screener's answers suggest %s risk; to record %s risk instead, say why.",
                 safety_risk_name (*suggested), safety_risk_name (c->risk));
    return FALSE;
  }
  if (c->n_plans == 0)
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "Choose at least one part of the plan: safety plan, means counselling, crisis "
                 "line given, or emergency services contacted.");
  for (guint i = 0; i < c->n_plans; i++) {
    if (!safety_plan_text (c->plans[i]))
      return fail (error, CLINICAL_ERROR_INVALID,
                   "Part of the plan is not one of: safety plan, means counselling, crisis line "
                   "given, emergency services contacted.");
    for (guint j = 0; j < i; j++)
      if (strcmp (c->plans[i], c->plans[j]) == 0)
        return fail (error, CLINICAL_ERROR_INVALID, "A part of the plan is given twice.");
    emergency |= strcmp (c->plans[i], "emergency-services") == 0;
  }
  if (c->risk == SAFETY_RISK_HIGH && !emergency && !has_words (c->plan_reason))
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "At high risk, contact emergency services, or say why not (for example: the "
                 "patient is already in an emergency department).");
  if (!has_words (c->location))
    return fail (error, CLINICAL_ERROR_INCOMPLETE,
                 "Say where the patient is right now (an address or place): help must be able "
                 "to reach them.");
  return TRUE;
}
