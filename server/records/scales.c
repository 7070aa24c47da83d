/* clinical_scales.c — the check-in scales (PHQ-9, GAD-7, ASRS v1.1 part A
 * and the 18-item ASRS v1.1 Symptom Checklist) and their scoring by the
 * published rules, and the missed-dose cap. Pure functions: no I/O, no
 * logging (answers are patient data). */
#include "server/records/records.h"

#include <string.h>

typedef struct {
  ScaleKind kind;
  const char *name;  /* the wire name */
  const char *title; /* what a clinician reads */
  guint n_items;
  guint item_max;
  const char *loinc_total;
} ScaleInfo;

/* Indexed by ScaleKind. ASRS part A has no LOINC code for a total: it is a
 * screen read by counting flags, not a severity score. */
static const ScaleInfo kScales[] = {
  { SCALE_PHQ9, "phq9", "PHQ-9", 9, 3, "44261-6" },
  { SCALE_GAD7, "gad7", "GAD-7", 7, 3, "70274-6" },
  { SCALE_ASRS_A, "asrs_a", "ASRS v1.1 Part A", 6, 4, NULL },
  { SCALE_ASRS18, "asrs18", "ASRS v1.1 Symptom Checklist", 18, 4, NULL },
};

/* ASRS v1.1 Symptom Checklist (WHO Adult ADHD Self-Report Scale, Kessler et
 * al. 2005, Psychol Med 35:245-256): items 1-4 and 7-11 are the DSM-IV
 * inattentive symptoms, items 5-6 and 12-18 the hyperactive/impulsive ones;
 * each subscale is the sum of its 9 answers (0 never .. 4 very often), 0..36.
 * TRUE for an inattentive item; index is 0-based. */
static gboolean
asrs18_item_inattentive (guint index)
{
  guint n = index + 1;
  return (n >= 1 && n <= 4) || (n >= 7 && n <= 11);
}

static const ScaleInfo *
scale_info (ScaleKind kind)
{
  /* The enum may arrive from a cast integer; never index out of the table. */
  if ((guint) kind >= G_N_ELEMENTS (kScales))
    return NULL;
  return &kScales[kind];
}

const char *
scale_name (ScaleKind kind)
{
  const ScaleInfo *info = scale_info (kind);
  return info ? info->name : NULL;
}

gboolean
scale_from_name (const char *name, ScaleKind *out)
{
  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (kScales); i++) {
    if (strcmp (kScales[i].name, name) == 0) {
      if (out)
        *out = kScales[i].kind;
      return TRUE;
    }
  }
  return FALSE;
}

guint
scale_item_count (ScaleKind kind)
{
  const ScaleInfo *info = scale_info (kind);
  return info ? info->n_items : 0;
}

guint
scale_item_max (ScaleKind kind)
{
  const ScaleInfo *info = scale_info (kind);
  return info ? info->item_max : 0;
}

const char *
scale_loinc_total (ScaleKind kind)
{
  const ScaleInfo *info = scale_info (kind);
  return info ? info->loinc_total : NULL;
}

const char *
scale_title (ScaleKind kind)
{
  const ScaleInfo *info = scale_info (kind);
  return info ? info->title : NULL;
}

/* PHQ-9 severity (Kroenke, Spitzer & Williams 2001): cut points 5, 10, 15, 20. */
static const char *
phq9_band (guint total)
{
  if (total <= 4)
    return "minimal";
  if (total <= 9)
    return "mild";
  if (total <= 14)
    return "moderate";
  if (total <= 19)
    return "moderately-severe";
  return "severe";
}

/* GAD-7 severity (Spitzer et al. 2006): cut points 5, 10, 15. */
static const char *
gad7_band (guint total)
{
  if (total <= 4)
    return "minimal";
  if (total <= 9)
    return "mild";
  if (total <= 14)
    return "moderate";
  return "severe";
}

/* ASRS v1.1 part A (WHO ASRS v1.1 screener, Kessler et al. 2005): the
 * shaded boxes. Items 1-3 count from "sometimes" (2), items 4-6 from "often"
 * (3); 4 or more shaded is a positive screen. Index is 0-based. */
static gboolean
asrs_item_flagged (guint index, gint value)
{
  return value >= (index < 3 ? 2 : 3);
}

gboolean
scale_score (ScaleKind kind, const gint *items, guint n_items, ScaleScore *out, GError **error)
{
  const ScaleInfo *info = scale_info (kind);
  ScaleScore score = { 0 };

  g_return_val_if_fail (out != NULL, FALSE);

  if (info == NULL) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN, "unknown scale %d", (int) kind);
    return FALSE;
  }
  if (n_items != info->n_items || items == NULL) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID, "%s has %u items, got %u",
                 info->title, info->n_items, items == NULL ? 0 : n_items);
    return FALSE;
  }
  /* Validate every answer before scoring any: a partial score must never
   * reach the record. Items are numbered from 1 as on the printed form. */
  for (guint i = 0; i < n_items; i++) {
    if (items[i] < 0 || items[i] > (gint) info->item_max) {
      g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                   "%s item %u must be between 0 and %u", info->title, i + 1, info->item_max);
      return FALSE;
    }
  }

  score.kind = kind;
  for (guint i = 0; i < n_items; i++) {
    score.total += (guint) items[i];
    if (kind == SCALE_ASRS_A && asrs_item_flagged (i, items[i]))
      score.flags++;
    if (kind == SCALE_ASRS18) {
      if (asrs18_item_inattentive (i))
        score.inattentive += (guint) items[i];
      else
        score.hyperactive += (guint) items[i];
    }
  }

  switch (kind) {
  case SCALE_PHQ9:
    score.band = phq9_band (score.total);
    /* Item 9 asks about thoughts of self-harm: any answer above "not at all"
     * needs the provider's attention even when the total is minimal. */
    score.alert = items[8] > 0;
    break;
  case SCALE_GAD7:
    score.band = gad7_band (score.total);
    break;
  case SCALE_ASRS_A:
    score.positive = score.flags >= 4;
    score.band = score.positive ? "positive" : "negative";
    break;
  case SCALE_ASRS18:
    /* No published severity bands for the checklist: the subscales are
     * followed over visits, not banded. */
    score.band = "";
    break;
  default:
    /* Unreachable: scale_info() rejected every other value above. */
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_UNKNOWN, "unknown scale %d", (int) kind);
    return FALSE;
  }

  *out = score;
  return TRUE;
}

guint
missed_dose_cap (const char *frequency)
{
  /* med_frequency_per_day() is 0 for as-needed and unknown codes. */
  return frequency ? med_frequency_per_day (frequency) * MISSED_DOSE_DAYS : 0;
}
