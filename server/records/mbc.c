/* mbc.c — measurement-based care labels: does the current treatment work,
 * read from a scale's totals against the baseline of that treatment.
 *
 * Definitions and their sources:
 *  - the current treatment began at the latest start, switch, change of dose
 *    or stop among the patient's medication orders (the caller finds that
 *    instant); its baseline is the latest score at or before it, and the
 *    scores after it are read against that baseline;
 *  - response: a drop of at least 50 % from baseline (Frank E et al.,
 *    Arch Gen Psychiatry 1991;48:851-855; the operational definition of
 *    STAR*D, Rush AJ et al., Am J Psychiatry 2006;163:1905-1917; APA
 *    Practice Guideline for Major Depressive Disorder, 3rd ed., 2010);
 *  - remission: PHQ-9 below 5 (Kroenke K, Spitzer RL, Williams JBW,
 *    J Gen Intern Med 2001;16:606-613: 0-4 is "minimal"), GAD-7 below 5
 *    (Spitzer RL et al., Arch Intern Med 2006;166:1092-1097: 0-4 minimal).
 *    A baseline already below 5 cannot remit or respond in a meaningful
 *    way, and says so;
 *  - non-response: under 25 % improvement after an adequate trial, partial
 *    response 25-49% (Nierenberg AA, DeCecco LM, J Clin Psychiatry 2001;62
 *    Suppl 16:5-9); an adequate trial is 8 weeks at the same dose (APA 2010:
 *    reappraise when there is no moderate improvement after 4-8 weeks; the
 *    8-12 weeks of STAR*D's levels). Before 8 weeks without a response, it
 *    is too early to tell. */
#include "server/records/records.h"

#include <math.h>
#include <string.h>

#define WEEK_MS (G_GINT64_CONSTANT (7) * 24 * 3600 * 1000)

static const struct {
  MbcStatus status;
  const char *code;
} kStatusCodes[] = {
  { MBC_NO_TREATMENT, "no-treatment" }, { MBC_NO_BASELINE, "no-baseline" },
  { MBC_NO_FOLLOW_UP, "no-follow-up" }, { MBC_MILD_BASELINE, "mild-baseline" },
  { MBC_REMISSION, "remission" },       { MBC_RESPONSE, "response" },
  { MBC_TOO_EARLY, "too-early" },       { MBC_PARTIAL_RESPONSE, "partial-response" },
  { MBC_NO_RESPONSE, "no-response" },
};

const char *
mbc_status_code (MbcStatus status)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kStatusCodes); i++) {
    if (kStatusCodes[i].status == status)
      return kStatusCodes[i].code;
  }
  return "unknown";
}

static const char *
weeks_word (guint weeks)
{
  return weeks == 1 ? "week" : "weeks";
}

/* "down 56% (18 to 8)" or "up 10% (10 to 11)". */
static char *
change_text (const MbcLabel *l)
{
  if (l->change_percent >= 0)
    return g_strdup_printf ("down %d%% (%u to %u)", l->change_percent, l->baseline, l->latest);
  return g_strdup_printf ("up %d%% (%u to %u)", -l->change_percent, l->baseline, l->latest);
}

static void
label_text (MbcLabel *l, const char *title)
{
  g_autofree char *change = l->has_latest && l->has_baseline ? change_text (l) : NULL;

  switch (l->status) {
  case MBC_NO_TREATMENT:
    l->text = g_strdup_printf ("%s: no current medication to judge", title);
    break;
  case MBC_NO_BASELINE:
    l->text = g_strdup_printf ("%s: no score from before the current treatment began", title);
    break;
  case MBC_NO_FOLLOW_UP:
    l->text = g_strdup_printf ("%s: baseline %u; no score since the current treatment began", title,
                               l->baseline);
    break;
  case MBC_MILD_BASELINE:
    l->text = g_strdup_printf ("%s: minimal at baseline (%u, below %d): response does not apply",
                               title, l->baseline, MBC_REMISSION_BELOW);
    break;
  case MBC_REMISSION:
    l->text = g_strdup_printf ("Remission: %s %s after %u %s (below %d)", title, change, l->weeks,
                               weeks_word (l->weeks), MBC_REMISSION_BELOW);
    break;
  case MBC_RESPONSE:
    l->text = g_strdup_printf ("Response: %s %s after %u %s", title, change, l->weeks,
                               weeks_word (l->weeks));
    break;
  case MBC_TOO_EARLY:
    l->text = g_strdup_printf ("Too early to tell: %s %s at week %u of %d", title, change, l->weeks,
                               MBC_ADEQUATE_TRIAL_WEEKS);
    break;
  case MBC_PARTIAL_RESPONSE:
    l->text = g_strdup_printf ("Partial response after %u %s at the same dose: %s %s", l->weeks,
                               weeks_word (l->weeks), title, change);
    break;
  case MBC_NO_RESPONSE:
  default:
    l->text = g_strdup_printf ("No response after %u %s at the same dose: %s %s", l->weeks,
                               weeks_word (l->weeks), title, change);
    break;
  }
}

static MbcStatus
judge (const MbcLabel *l)
{
  if (l->baseline < MBC_REMISSION_BELOW)
    return MBC_MILD_BASELINE;
  if (l->latest < MBC_REMISSION_BELOW)
    return MBC_REMISSION;
  if (l->change_percent >= MBC_RESPONSE_PERCENT)
    return MBC_RESPONSE;
  if (l->weeks < MBC_ADEQUATE_TRIAL_WEEKS)
    return MBC_TOO_EARLY;
  if (l->change_percent >= MBC_NONRESPONSE_PERCENT)
    return MBC_PARTIAL_RESPONSE;
  return MBC_NO_RESPONSE;
}

gboolean
mbc_label (ScaleKind kind, const MbcPoint *points, guint n_points, gint64 treatment_start_ms,
           MbcLabel *out, GError **error)
{
  memset (out, 0, sizeof *out);
  if (kind != SCALE_PHQ9 && kind != SCALE_GAD7) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "measurement-based care labels are defined for PHQ-9 and GAD-7 only");
    return FALSE;
  }
  if (treatment_start_ms < 0) {
    out->status = MBC_NO_TREATMENT;
    goto done;
  }
  for (guint i = 0; i < n_points; i++) {
    if (points[i].at_ms <= treatment_start_ms) {
      out->has_baseline = TRUE;
      out->baseline = points[i].total;
      out->baseline_at_ms = points[i].at_ms;
    } else {
      out->has_latest = TRUE;
      out->latest = points[i].total;
      out->latest_at_ms = points[i].at_ms;
    }
  }
  if (!out->has_baseline) {
    out->status = MBC_NO_BASELINE;
    goto done;
  }
  if (out->baseline < MBC_REMISSION_BELOW && !out->has_latest) {
    out->status = MBC_MILD_BASELINE;
    goto done;
  }
  if (!out->has_latest) {
    out->status = MBC_NO_FOLLOW_UP;
    goto done;
  }
  /* Improvement in whole percent, rounded toward "not yet": 49.6 % is not 50 %. */
  out->change_percent = out->baseline
                          ? (gint) floor (100.0 * ((double) out->baseline - out->latest) /
                                          out->baseline)
                          : 0;
  out->weeks = (guint) ((out->latest_at_ms - treatment_start_ms) / WEEK_MS);
  out->status = judge (out);
done:
  label_text (out, scale_title (kind));
  return TRUE;
}

void
mbc_label_clear (MbcLabel *label)
{
  if (!label)
    return;
  g_free (label->text);
  memset (label, 0, sizeof *label);
}
