/* followup.c — the next follow-up: a table of rules that suggests how many
 * weeks until the patient is seen again, from what happened in the visit.
 * Pure: no clock, no store. Each rule names its source; where no guideline
 * fixes a number the interval is said to be the clinic's policy, and every
 * interval is configurable ([follow_up] in config/telehealth.conf). */
#include "server/records/records.h"

#include <string.h>

typedef struct {
  const char *code;  /* on the wire */
  const char *key;   /* in [follow_up] */
  guint weeks;       /* the default */
  const char *title; /* in the reason: "(antidepressant started: ...)" */
  const char *short_source;
  const char *source; /* in full */
} FollowUpRow;

/* One row per FollowUpRule, in its order (ties go to the earlier row). */
static const FollowUpRow kRules[FOLLOW_UP_N_RULES] = {
  [FOLLOW_UP_ITEM9] = { "item9-alert", "item9_alert_weeks", 1, "PHQ-9 item 9 alert",
                        "close follow-up while suicidal ideation is present",
                        "PHQ-9 item 9 (Kroenke, Spitzer & Williams 2001): any answer above 0 needs "
                        "a safety "
                        "assessment; APA Practice Guideline for the Assessment and Treatment of "
                        "Patients With "
                        "Suicidal Behaviors (2003): closer contact while suicidal ideation is "
                        "present. No guideline "
                        "fixes the number of weeks: clinic policy, configurable ([follow_up] "
                        "item9_alert_weeks)." },
  [FOLLOW_UP_NOT_SEEN] = { "not-seen", "not_seen_weeks", 1, "visit did not take place",
                           "clinic policy",
                           "Clinic policy, configurable ([follow_up] not_seen_weeks): a visit "
                           "that ended without the patient being admitted did not take place, so "
                           "what it was for is still to be done; rebook it soon." },
  [FOLLOW_UP_LEVEL] = { "level-pending", "level_pending_weeks", 1, "serum level due",
                        "FDA label: levels until stable",
                        "FDA labels: lithium, serum levels twice a week in the acute phase until "
                        "the level and the "
                        "patient are stable (Dosage and Administration); valproate (divalproex), "
                        "dosing guided by "
                        "trough serum levels. A level reflects a new dose after about 5 days "
                        "(steady state). The "
                        "interval is clinic policy, configurable ([follow_up] "
                        "level_pending_weeks)." },
  [FOLLOW_UP_ANTIDEPRESSANT] = { "antidepressant-started", "antidepressant_started_weeks", 2,
                                 "antidepressant started", "FDA label monitoring",
                                 "FDA boxed warning and Warnings and Precautions (suicidal "
                                 "thoughts and behaviors) in every "
                                 "antidepressant's label: monitor closely for worsening and "
                                 "emergent suicidality, especially "
                                 "during the first few months of treatment and at dose changes "
                                 "(young adults up to 24 most "
                                 "of all); APA Practice Guideline for the Treatment of Patients "
                                 "With Major Depressive "
                                 "Disorder (3rd ed., 2010): frequent contact early in treatment. "
                                 "Weekly to every other week "
                                 "early on is common practice; configurable ([follow_up] "
                                 "antidepressant_started_weeks)." },
  [FOLLOW_UP_CONTROLLED] = { "controlled-started", "controlled_started_weeks", 4,
                             "new controlled substance", "clinic policy",
                             "Clinic policy, configurable ([follow_up] controlled_started_weeks): "
                             "a schedule II "
                             "prescription has no refills (21 CFR 1306.12), and the FDA boxed "
                             "warnings on "
                             "benzodiazepines (2020) and stimulants (2023) ask prescribers to "
                             "assess the risk of misuse, "
                             "abuse and addiction throughout treatment." },
  [FOLLOW_UP_DOSE_CHANGE] = { "dose-change", "dose_change_weeks", 4, "dose changed",
                              "clinic policy",
                              "Clinic policy, configurable ([follow_up] dose_change_weeks): about "
                              "4 weeks after a dose "
                              "change, time for the new dose to show its effect and its side "
                              "effects, is common "
                              "practice; no guideline fixes the number." },
  [FOLLOW_UP_STABLE] = { "stable", "stable_weeks", 12, "stable", "clinic policy",
                         "Clinic policy, configurable ([follow_up] stable_weeks): every 12 weeks "
                         "for a stable "
                         "patient in maintenance is common practice; no guideline fixes the "
                         "number." },
};

/* Antidepressant classes as the catalog names them (config/medications.json). */
static const char *const kAntidepressantClasses[] = {
  "SSRI", "SNRI", "tricyclic", "MAOI", "atypical antidepressant",
};

/* Ingredients dosed by their serum level (the start of the catalog's name). */
static const char *const kLevelIngredients[] = {
  "lithium",
  "divalproex",
  "valproate",
  "valproic acid",
};

void
follow_up_policy_default (FollowUpPolicy *out)
{
  for (guint i = 0; i < FOLLOW_UP_N_RULES; i++)
    out->weeks[i] = kRules[i].weeks;
}

const char *
follow_up_rule_code (FollowUpRule rule)
{
  return (guint) rule < FOLLOW_UP_N_RULES ? kRules[rule].code : NULL;
}

const char *
follow_up_rule_key (FollowUpRule rule)
{
  return (guint) rule < FOLLOW_UP_N_RULES ? kRules[rule].key : NULL;
}

const char *
follow_up_rule_source (FollowUpRule rule)
{
  return (guint) rule < FOLLOW_UP_N_RULES ? kRules[rule].source : NULL;
}

gboolean
follow_up_rule_from_code (const char *code, FollowUpRule *out)
{
  for (guint i = 0; code && i < FOLLOW_UP_N_RULES; i++)
    if (strcmp (kRules[i].code, code) == 0) {
      if (out)
        *out = (FollowUpRule) i;
      return TRUE;
    }
  return FALSE;
}

gboolean
follow_up_is_antidepressant (const Medication *m)
{
  for (guint i = 0; m && m->drug_class && i < G_N_ELEMENTS (kAntidepressantClasses); i++)
    if (g_ascii_strcasecmp (m->drug_class, kAntidepressantClasses[i]) == 0)
      return TRUE;
  return FALSE;
}

gboolean
follow_up_needs_level (const Medication *m)
{
  for (guint i = 0; m && m->name && i < G_N_ELEMENTS (kLevelIngredients); i++)
    if (g_ascii_strncasecmp (m->name, kLevelIngredients[i], strlen (kLevelIngredients[i])) == 0)
      return TRUE;
  return FALSE;
}

void
follow_up_facts_clear (FollowUpFacts *facts)
{
  g_free (facts->antidepressant);
  g_free (facts->level);
  g_free (facts->controlled);
  g_free (facts->dose_change);
  memset (facts, 0, sizeof *facts);
}

static void
note (char **slot, const char *verb, const char *name)
{
  if (!*slot)
    *slot = g_strdup_printf ("%s %s", verb, name);
}

void
follow_up_note_change (FollowUpFacts *facts, const FollowUpChange *c)
{
  const Medication *m = c->medication;
  const char *name = m && m->name ? m->name : c->name ? c->name : "a medication";
  gboolean raised = c->kind == ADJUST_CHANGE_DOSE && c->daily_after > c->daily_before;
  gboolean new_drug = c->kind == ADJUST_START || c->kind == ADJUST_SWITCH;
  const char *verb = c->kind == ADJUST_START    ? "started"
                     : c->kind == ADJUST_SWITCH ? "switched to"
                     : c->kind == ADJUST_STOP   ? "stopped"
                     : raised                   ? "raised"
                                                : "lowered";

  /* A level reflects any change of the dose, up or down, and a stop ends
   * the need for one. */
  if (follow_up_needs_level (m) && c->kind != ADJUST_STOP) {
    note (&facts->level, c->kind == ADJUST_CHANGE_DOSE ? "changed the dose of" : verb, name);
    return;
  }
  /* The rule: started or raised. The label asks for close watch at
   * a decrease too; a lower dose or a stop falls under "dose change". */
  if (follow_up_is_antidepressant (m) && (new_drug || raised)) {
    note (&facts->antidepressant, verb, name);
    return;
  }
  if (m && medication_is_controlled (m) && new_drug) {
    note (&facts->controlled, verb, name);
    return;
  }
  note (&facts->dose_change, verb, name);
}

void
follow_up_suggestion_clear (FollowUpSuggestion *s)
{
  g_free (s->reason);
  memset (s, 0, sizeof *s);
}

void
follow_up_suggest (const FollowUpFacts *f, const FollowUpPolicy *policy, FollowUpSuggestion *out)
{
  FollowUpPolicy defaults;
  /* What each rule says happened; the rule applies when it is set. */
  const char *what[FOLLOW_UP_N_RULES] = {
    [FOLLOW_UP_ITEM9] = f->item9_alert ? "PHQ-9 item 9 above 0 in this visit's check-in" : NULL,
    [FOLLOW_UP_NOT_SEEN] = f->not_seen ? "the visit ended without the patient being admitted"
                                       : NULL,
    [FOLLOW_UP_LEVEL] = f->level,
    [FOLLOW_UP_ANTIDEPRESSANT] = f->antidepressant,
    [FOLLOW_UP_CONTROLLED] = f->controlled,
    [FOLLOW_UP_DOSE_CHANGE] = f->dose_change,
    [FOLLOW_UP_STABLE] = NULL,
  };
  guint best = FOLLOW_UP_STABLE;

  if (!policy) {
    follow_up_policy_default (&defaults);
    policy = &defaults;
  }
  memset (out, 0, sizeof *out);
  for (guint i = 0; i < FOLLOW_UP_STABLE; i++) {
    if (!what[i])
      continue;
    out->applied |= 1u << i;
    /* The shortest interval wins; on a tie, the earlier (graver) rule. */
    if (best == FOLLOW_UP_STABLE || policy->weeks[i] < policy->weeks[best])
      best = i;
  }
  if (!out->applied) {
    out->applied = 1u << FOLLOW_UP_STABLE;
    what[FOLLOW_UP_STABLE] = "no change in this visit";
  }
  out->rule = (FollowUpRule) best;
  out->weeks = CLAMP (policy->weeks[best], 1, FOLLOW_UP_MAX_WEEKS);
  out->source = kRules[best].source;
  out->reason = g_strdup_printf ("%s (%s: %s)", what[best], kRules[best].title,
                                 kRules[best].short_source);
}
