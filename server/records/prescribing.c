/* clinical_prescribing.c — who may prescribe what, when.
 *
 * A pure decision over a PrescribeContext: the caller gathers the facts
 * (role, supervisor, the visit's modality, the patient's last in-person
 * evaluation, the configured policy) and records the outcome. Reasons are
 * sentences for the prescriber and carry no patient data: they end up in
 * API responses and the audit trail. */
#include "server/records/records.h"

#include <string.h>

typedef enum {
  ROLE_PRESCRIBER, /* psychiatrist, pmhnp, pcp: takes effect now */
  ROLE_PA,         /* physician assistant: needs a supervising psychiatrist */
  ROLE_NONE,       /* admin, patient, anything unknown */
} RoleKind;

static RoleKind
role_kind (const char *role)
{
  if (g_strcmp0 (role, "psychiatrist") == 0 || g_strcmp0 (role, "pmhnp") == 0 ||
      g_strcmp0 (role, "pcp") == 0)
    return ROLE_PRESCRIBER;
  if (g_strcmp0 (role, "pa") == 0)
    return ROLE_PA;
  /* Unknown roles are refused rather than guessed at: a new role gets
   * prescribing rights only by being added here on purpose. */
  return ROLE_NONE;
}

/* "Methylphenidate" from "methylphenidate": reasons start a sentence. */
static char *
capitalized (const char *name)
{
  char *s = g_strdup (name ? name : "This medication");
  if (s[0] != '\0')
    s[0] = g_ascii_toupper (s[0]);
  return s;
}

/* `today` minus `months` calendar months, as a date: "within 24 months" as
 * a clinician reads it, not 730 days. A day missing from the target month
 * is clamped to its last day (Mar 31 minus one month is Feb 28/29; Feb 29
 * minus 12 months is Feb 28). FALSE when the result falls before year 1
 * (then every evaluation on record is recent enough). */
static gboolean
months_before (const GDate *today, guint months, GDate *out)
{
  guint total = g_date_get_year (today) * 12u + (g_date_get_month (today) - 1u);

  if (months >= total - 12u + 1u) /* before January of year 1 */
    return FALSE;
  *out = *today;
  /* g_date_subtract_months clamps the day to the target month's length. */
  g_date_subtract_months (out, months);
  return TRUE;
}

/* The "controlled-in-person" rule once the policy window has closed: an
 * in-person evaluation on record, not after today, within the months. */
static gboolean
in_person_eval_recent (const PrescribeContext *ctx)
{
  GDate cutoff;

  if (!g_date_valid (&ctx->in_person_eval))
    return FALSE;
  /* A date after today is a data-entry error, not an evaluation that
   * happened (the API refuses it; an old row may still hold one). */
  if (g_date_compare (&ctx->in_person_eval, &ctx->today) > 0)
    return FALSE;
  if (!months_before (&ctx->today, ctx->in_person_eval_months, &cutoff))
    return TRUE;
  /* Inclusive: an evaluation exactly 24 months ago still counts. */
  return g_date_compare (&ctx->in_person_eval, &cutoff) >= 0;
}

/* Medications whose overdose is often lethal, so that what is dispensed at
 * once is limited while a patient has an open item-9 safety task. By class
 * or ingredient (the catalog's "class" and "ingredient"), each with why.
 * Limiting the quantity of lethal medications on hand is part of means
 * restriction (APA Practice Guideline for the Assessment and Treatment of
 * Patients With Suicidal Behaviors, 2003; VA/DoD Clinical Practice
 * Guideline for Suicide Risk, 2019); the 14-day cut-off is the clinic's
 * rule (issue 14), not a published threshold. */
static const struct {
  const char *drug_class; /* or NULL */
  const char *ingredient; /* prefix of Medication.name, or NULL */
  const char *why;
} kOverdoseLethal[] = {
  { "tricyclic", NULL,
    "tricyclic antidepressants are among the most lethal drugs in overdose (cardiac arrhythmia, "
    "seizures; FDA label, Overdosage)" },
  { NULL, "lithium",
    "lithium has a narrow therapeutic index and is dangerous in overdose (FDA label, boxed "
    "warning on lithium toxicity)" },
};

gboolean
medication_overdose_lethal (const Medication *m, const char **why)
{
  for (guint i = 0; m && i < G_N_ELEMENTS (kOverdoseLethal); i++) {
    const char *c = kOverdoseLethal[i].drug_class, *ing = kOverdoseLethal[i].ingredient;
    if ((c && g_strcmp0 (m->drug_class, c) == 0) ||
        (ing && m->name && g_str_has_prefix (m->name, ing))) {
      if (why)
        *why = kOverdoseLethal[i].why;
      return TRUE;
    }
  }
  return FALSE;
}

static PrescribeDecision
refuse (const char *code, char *sentence, char **rule, char **reason)
{
  if (rule)
    *rule = g_strdup (code);
  if (reason)
    *reason = sentence;
  else
    g_free (sentence);
  return PRESCRIBE_REFUSED;
}

PrescribeDecision
prescribe_decide (const PrescribeContext *ctx, char **rule, char **reason)
{
  PrescribeDecision decision;
  const Medication *m;
  char *name = NULL;
  PrescribeDecision result;

  if (rule)
    *rule = NULL;
  if (reason)
    *reason = NULL;
  g_return_val_if_fail (ctx != NULL, PRESCRIBE_REFUSED);

  /* Rule "role". */
  switch (role_kind (ctx->actor_role)) {
  case ROLE_PRESCRIBER:
    decision = PRESCRIBE_ALLOWED;
    break;
  case ROLE_PA:
    if (!ctx->has_supervisor)
      return refuse ("role",
                     g_strdup ("A physician assistant's prescription adjustment must be co-signed "
                               "by a supervising psychiatrist, and none is on record for you."),
                     rule, reason);
    decision = PRESCRIBE_PENDING_COSIGN;
    break;
  case ROLE_NONE:
  default:
    return refuse ("role",
                   g_strdup (
                     "Only a psychiatrist, a psychiatric nurse practitioner, a primary care "
                     "physician or a supervised physician assistant may adjust "
                     "prescriptions."),
                   rule, reason);
  }

  /* Rule "safety-task-open": a safety task is open (PHQ-9 item 9 above 0,
   * not yet followed by a C-SSRS screen), and the new medication is lethal
   * in overdose: a large supply waits for an explicit confirmation. */
  if (ctx->safety_task_open && ctx->starts_medication && !ctx->safety_confirmed &&
      ctx->supply_days > SAFETY_SUPPLY_MAX_DAYS) {
    const char *why = NULL;
    if (medication_overdose_lethal (ctx->medication, &why)) {
      name = capitalized (ctx->medication->name);
      result = refuse (
        "safety-task-open",
        g_strdup_printf ("This patient has an open safety task (a positive PHQ-9 item 9 not yet "
                         "followed by a suicide-risk screen), and %s: %s for %u days is more "
                         "than %u days' supply. Confirm it with a reason, or prescribe %u days "
                         "or fewer.",
                         why, name, ctx->supply_days, SAFETY_SUPPLY_MAX_DAYS,
                         SAFETY_SUPPLY_MAX_DAYS),
        rule, reason);
      goto out;
    }
  }

  /* The controlled-substance rules apply to every new controlled order: a
   * "decrease" that also changes the frequency (0.5 mg three times daily to
   * 1 mg as needed) is a new prescription, and so is any dose change. Only a
   * pure stop, which prescribes nothing, is exempt. A PA's pending adjustment
   * is checked too (and again at co-signature): a co-signature cannot make a
   * refused act lawful. */
  m = ctx->medication;
  if (m == NULL || !ctx->new_prescription || !medication_is_controlled (m))
    return decision;

  name = capitalized (m->name);

  /* Rule "controlled-audio-only". Anything but an explicit "video" counts as
   * audio-only: an unknown or missing modality gives no assurance that the
   * prescriber saw the patient, so it must not unlock a controlled start. */
  if (g_strcmp0 (ctx->modality, "video") != 0) {
    result = refuse ("controlled-audio-only",
                     g_strdup_printf ("%s is a schedule %s controlled substance; it cannot be "
                                      "prescribed (started or changed) in an audio-only "
                                      "visit. Only stopping it is possible here.",
                                      name, m->schedule),
                     rule, reason);
    goto out;
  }

  /* Without a clinic date for now, nothing can be judged: refuse rather
   * than wave a controlled substance through. */
  if (!g_date_valid (&ctx->today)) {
    result = refuse ("controlled-in-person",
                     g_strdup_printf ("%s is a schedule %s controlled substance, and the server "
                                      "could not tell today's date; try again or ask your "
                                      "administrator.",
                                      name, m->schedule),
                     rule, reason);
    goto out;
  }
  /* Inside the telemedicine policy window (through the end of its last day
   * in the clinic's zone), a video visit suffices. */
  if (g_date_valid (&ctx->policy_end) && g_date_compare (&ctx->today, &ctx->policy_end) <= 0) {
    result = decision;
    goto out;
  }

  /* Rule "controlled-in-person". */
  if (!in_person_eval_recent (ctx)) {
    result = refuse ("controlled-in-person",
                     g_strdup_printf ("%s is a schedule %s controlled substance; now that the "
                                      "telemedicine flexibility has ended, it can be prescribed "
                                      "remotely (started or changed) only after an "
                                      "in-person evaluation "
                                      "within the last %u months, and %s.",
                                      name, m->schedule, ctx->in_person_eval_months,
                                      !g_date_valid (&ctx->in_person_eval)
                                        ? "none is on record"
                                        : "the one on record does not qualify"),
                     rule, reason);
    goto out;
  }
  result = decision;

out:
  g_free (name);
  return result;
}
