/* clinical_prescribing.c — who may prescribe what, when.
 *
 * A pure decision over a PrescribeContext: the caller gathers the facts
 * (role, supervisor, the visit's modality, the patient's last in-person
 * evaluation, the configured policy) and records the outcome. Reasons are
 * sentences for the prescriber and carry no patient data: they end up in
 * API responses and the audit trail. */
#include "server/clinical.h"

#include <string.h>

#define MS_PER_SECOND G_GINT64_CONSTANT (1000)

typedef enum {
  ROLE_PRESCRIBER,      /* psychiatrist, pmhnp, pcp: takes effect now */
  ROLE_PA,              /* physician assistant: needs a supervising psychiatrist */
  ROLE_NONE,            /* admin, patient, anything unknown */
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

/* now_ms minus `months` calendar months, in UTC, in ms. When that falls
 * before year 1 (outside GDateTime), the cutoff is G_MININT64: every
 * evaluation is more recent. FALSE only when now itself is unrepresentable. */
static gboolean
months_before (gint64 now_ms, guint months, gint64 *out_ms)
{
  GDateTime *now = NULL, *cutoff = NULL;
  gint64 secs, rem_ms;
  gboolean ok = FALSE;

  /* Floor division so that negative times (before 1970) stay correct. */
  secs = now_ms / MS_PER_SECOND;
  rem_ms = now_ms % MS_PER_SECOND;
  if (rem_ms < 0) {
    secs -= 1;
    rem_ms += MS_PER_SECOND;
  }
  now = g_date_time_new_from_unix_utc (secs);
  if (now == NULL)
    goto out;
  /* Calendar months, not 30-day blocks: "within 24 months" as a clinician
   * reads it. add_months clamps to the end of shorter months (Mar 31 minus
   * one month is Feb 28/29). */
  cutoff = g_date_time_add_months (now, months > G_MAXINT ? -G_MAXINT : -(gint) months);
  *out_ms = cutoff ? g_date_time_to_unix (cutoff) * MS_PER_SECOND + rem_ms : G_MININT64;
  ok = TRUE;

out:
  if (cutoff)
    g_date_time_unref (cutoff);
  if (now)
    g_date_time_unref (now);
  return ok;
}

/* The "controlled-in-person" rule once the policy window has closed: an
 * in-person evaluation on record, not in the future, within the months. */
static gboolean
in_person_eval_recent (const PrescribeContext *ctx)
{
  gint64 cutoff_ms;

  if (ctx->in_person_eval_ms == 0)
    return FALSE;
  /* A date after now is a data-entry error, not an evaluation that happened. */
  if (ctx->in_person_eval_ms > ctx->now_ms)
    return FALSE;
  /* With an absurd clock, refuse rather than wave a controlled substance
   * through. */
  if (!months_before (ctx->now_ms, ctx->in_person_eval_months, &cutoff_ms))
    return FALSE;
  return ctx->in_person_eval_ms >= cutoff_ms;
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
                   g_strdup ("Only a psychiatrist, a psychiatric nurse practitioner, a primary care "
                             "physician or a supervised physician assistant may adjust "
                             "prescriptions."),
                   rule, reason);
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

  /* Inside the telemedicine policy window (inclusive of its last ms), a
   * video visit suffices. */
  if (ctx->now_ms <= ctx->policy_window_end_ms) {
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
                                      ctx->in_person_eval_ms == 0
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
