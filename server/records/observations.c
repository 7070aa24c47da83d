/* observations.c — the labs and vital signs the record keeps (issue 14),
 * one table: each kind's LOINC code and the UCUM unit it is recorded in,
 * and the range a value must fall in to be believed at all (outside it is
 * a typing error, refused; what is abnormal is the monitoring table's
 * business, config/monitoring.json).
 *
 * Codes: LOINC (loinc.org), each the serum/plasma or vital-sign term a US
 * laboratory or clinic reports. The plausible ranges are wide on purpose:
 * they stop "15" typed for "1.5" in mmol/L, never a real extreme value.
 */
#include "server/records/records.h"

#include <math.h>

static const ObservationKind kKinds[] = {
  /* code, display, LOINC, LOINC display, UCUM unit, unit as read, min, max,
   * diastolic LOINC, the patient may enter it at home */
  { "lithium", "Lithium level", "14334-7", "Lithium [Moles/volume] in Serum or Plasma", "mmol/L",
    "mmol/L", 0, 10, NULL, FALSE },
  { "valproate", "Valproate level", "4086-5", "Valproate [Mass/volume] in Serum or Plasma", "ug/mL",
    "µg/mL", 0, 1000, NULL, FALSE },
  { "creatinine", "Creatinine", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL",
    "mg/dL", 0.05, 30, NULL, FALSE },
  { "egfr", "eGFR (CKD-EPI 2021)", "98979-8",
    "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood "
    "by Creatinine-based formula (CKD-EPI 2021)",
    "mL/min/{1.73_m2}", "mL/min/1.73 m²", 1, 200, NULL, FALSE },
  { "tsh", "TSH", "3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", "mIU/L",
    0.001, 500, NULL, FALSE },
  { "alt", "ALT", "1742-6",
    "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", "U/L", 1,
    10000, NULL, FALSE },
  { "ast", "AST", "1920-8",
    "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", "U/L", 1,
    10000, NULL, FALSE },
  { "platelets", "Platelets", "777-3", "Platelets [#/volume] in Blood by Automated count",
    "10*3/uL", "×10³/µL", 1, 2000, NULL, FALSE },
  { "a1c", "Hemoglobin A1c", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "%", 3, 20,
    NULL, FALSE },
  { "glucose-fasting", "Fasting glucose", "1558-6",
    "Fasting glucose [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 20, 1000, NULL, FALSE },
  { "cholesterol", "Total cholesterol", "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma",
    "mg/dL", "mg/dL", 50, 1000, NULL, FALSE },
  { "ldl", "LDL cholesterol (calculated)", "13457-7",
    "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "mg/dL", "mg/dL", 5, 600,
    NULL, FALSE },
  { "hdl", "HDL cholesterol", "2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma",
    "mg/dL", "mg/dL", 5, 200, NULL, FALSE },
  { "triglycerides", "Triglycerides", "2571-8", "Triglyceride [Mass/volume] in Serum or Plasma",
    "mg/dL", "mg/dL", 10, 5000, NULL, FALSE },
  { "weight", "Weight", "29463-7", "Body weight", "kg", "kg", 20, 350, NULL, TRUE },
  { "bmi", "BMI", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m²", 10, 90, NULL,
    FALSE },
  /* value: systolic (8480-6), value2: diastolic (8462-4); the panel 85354-9 */
  { "blood-pressure", "Blood pressure", "85354-9",
    "Blood pressure panel with all children optional", "mm[Hg]", "mmHg", 50, 280, "8462-4", TRUE },
  { "heart-rate", "Heart rate", "8867-4", "Heart rate", "/min", "beats/min", 20, 250, NULL, TRUE },
  { "qtc", "QTc interval", "8636-3", "Q-T interval corrected", "ms", "ms", 250, 700, NULL, FALSE },
  /* AIMS (Guy 1976, ECDEU): 7 movement items scored 0-4, total 0-28.
   * LOINC 111770-4 "Total score [AIMS]" (class SURVEY.NEURO), defined as
   * the sum of items 1-7, dental items excluded; found in a LOINC mirror
   * (autoicdapi.com/loinc/111770-4) and its check digit verified: confirm
   * on loinc.org before production use. */
  { "aims", "AIMS total (items 1-7)", "111770-4", "Total score [AIMS]", "{score}", "points", 0, 28,
    NULL, FALSE },
};

const ObservationKind *
observation_kinds (guint *n)
{
  *n = G_N_ELEMENTS (kKinds);
  return kKinds;
}

const ObservationKind *
observation_kind_find (const char *code)
{
  if (!code)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (kKinds); i++)
    if (g_strcmp0 (kKinds[i].code, code) == 0)
      return &kKinds[i];
  return NULL;
}

gboolean
observation_value_valid (const ObservationKind *kind, double value, gboolean has_value2,
                         double value2, GError **error)
{
  gboolean two = kind->loinc_value2 != NULL;

  if (two != has_value2) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INCOMPLETE,
                 two ? "%s needs both numbers (for example 120/80)." : "%s is one number.",
                 kind->display);
    return FALSE;
  }
  if (!isfinite (value) || value < kind->min || value > kind->max) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "%s of %g %s cannot be right: check the number (%g to %g %s).", kind->display,
                 value, kind->unit_text, kind->min, kind->max, kind->unit_text);
    return FALSE;
  }
  /* Diastolic: 20..200 mmHg, and below the systolic. */
  if (two && (!isfinite (value2) || value2 < 20 || value2 > 200 || value2 >= value)) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "A blood pressure of %g/%g cannot be right: the second number is the lower one "
                 "(for example 120/80).",
                 value, value2);
    return FALSE;
  }
  return TRUE;
}
