/* clinical.h — the clinical rules as pure functions: scoring the check-in
 * scales by their published rules, the medication catalog and dose checks,
 * and who may prescribe what, when. No I/O except loading the catalog file;
 * no sqlite. Errors in CLINICAL_ERROR. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CLINICAL_ERROR (clinical_error_quark ())
GQuark clinical_error_quark (void);

typedef enum {
  CLINICAL_ERROR_INVALID,       /* answers/doses/fields out of range */
  CLINICAL_ERROR_UNKNOWN,       /* unknown scale, medication, frequency, route */
  CLINICAL_ERROR_CATALOG,       /* the catalog file is unreadable or malformed */
} ClinicalErrorCode;

/* ------------------------------------------------------------- scales */

typedef enum {
  SCALE_PHQ9,     /* 9 items, each 0..3 */
  SCALE_GAD7,     /* 7 items, each 0..3 */
  SCALE_ASRS_A,   /* ASRS v1.1 part A: 6 items, each 0..4 (never, rarely, sometimes, often, very often) */
} ScaleKind;

#define SCALE_MAX_ITEMS 9

const char *scale_name (ScaleKind kind);            /* "phq9" | "gad7" | "asrs_a" */
gboolean scale_from_name (const char *name, ScaleKind *out);
guint scale_item_count (ScaleKind kind);
guint scale_item_max (ScaleKind kind);              /* 3 or 4 */
const char *scale_loinc_total (ScaleKind kind);     /* "44261-6", "70274-6", or NULL (ASRS) */
const char *scale_title (ScaleKind kind);           /* "PHQ-9", "GAD-7", "ASRS v1.1 Part A" */

typedef struct {
  ScaleKind kind;
  guint total;          /* sum of items (ASRS: sum too, for trend) */
  const char *band;     /* PHQ-9: minimal|mild|moderate|moderately-severe|severe;
                           GAD-7: minimal|mild|moderate|severe;
                           ASRS-A: positive|negative */
  gboolean alert;       /* PHQ-9: item 9 (thoughts of self-harm) above 0, whatever the total */
  guint flags;          /* ASRS-A: items counted by the screening thresholds */
  gboolean positive;    /* ASRS-A: flags >= 4 */
} ScaleScore;

/* Scores answers by the published rules. FALSE + INVALID when the number of
 * items or any value is out of range. */
gboolean scale_score (ScaleKind kind, const gint *items, guint n_items, ScaleScore *out,
                      GError **error);

/* --------------------------------------------------------- the catalog */

typedef struct {
  char *id;             /* slug: "sertraline" */
  char *name;           /* "sertraline" */
  char *rxnorm;         /* RxNorm ingredient code, e.g. "36437" */
  char *drug_class;     /* SSRI | SNRI | tricyclic | mood stabilizer | antipsychotic |
                           benzodiazepine | anxiolytic | stimulant | non-stimulant */
  char *schedule;       /* DEA schedule: "none" | "II" | "III" | "IV" | "V" */
  char *unit;           /* "mg" */
  double *strengths;    /* doses per administration the clinic prescribes, ascending */
  guint n_strengths;
  gboolean adhd;        /* an ADHD medication: its patients also get ASRS part A */
} Medication;

typedef struct _MedCatalog MedCatalog;

/* Loads config/medications.json (format: see that file). */
MedCatalog *med_catalog_load (const char *path, GError **error);
void med_catalog_free (MedCatalog *catalog);
const Medication *med_catalog_find (const MedCatalog *catalog, const char *id);
guint med_catalog_size (const MedCatalog *catalog);
const Medication *med_catalog_get (const MedCatalog *catalog, guint index);

gboolean medication_is_controlled (const Medication *m);   /* schedule II..V */

/* Frequencies the order form offers; codes as on the wire. */
gboolean med_frequency_valid (const char *code);  /* once-daily | twice-daily | three-times-daily |
                                                     at-bedtime | every-morning | as-needed */
const char *med_frequency_text (const char *code); /* "once daily", ... (for FHIR dosage text) */
guint med_frequency_per_day (const char *code);    /* 1, 2, 3, 1, 1, 0 (as needed) */
gboolean med_route_valid (const char *code);      /* oral | sublingual | transdermal */

/* The dose must be one of the medication's strengths, in its unit.
 * FALSE + INVALID naming the allowed strengths otherwise. */
gboolean med_dose_valid (const Medication *m, double dose, const char *unit, GError **error);

/* ---------------------------------------------------- who may prescribe */

typedef enum {
  PRESCRIBE_ALLOWED,          /* takes effect now */
  PRESCRIBE_PENDING_COSIGN,   /* a PA's adjustment: waits for the supervising psychiatrist */
  PRESCRIBE_REFUSED,
} PrescribeDecision;

typedef struct {
  const char *actor_role;     /* psychiatrist | pmhnp | pa | pcp | admin | patient */
  gboolean has_supervisor;    /* for a PA: a supervising psychiatrist is on record */
  const Medication *medication;  /* the medication started or changed (NULL for a pure stop) */
  gboolean starts_or_increases;  /* a start, a switch to it, or a dose increase */
  const char *modality;       /* the visit's: "video" | "audio-only" */
  /* Calendar dates in the clinic's time zone (server/clock.h): the caller
   * turns its clock into `today`, so the decision stays pure. */
  GDate today;                   /* the clinic-local date of now; invalid = refuse */
  GDate policy_end;              /* the telemedicine window's last day (inclusive) */
  GDate in_person_eval;          /* the patient's last in-person evaluation; invalid = none */
  guint in_person_eval_months;   /* how recent it must be once the window has closed */
} PrescribeContext;

/* Decides an adjustment. On REFUSED, *rule gets a stable code and *reason a
 * sentence for the prescriber (g_free). Rules, in order:
 *  "role"              — only psychiatrist, pmhnp, pcp (and pa, pending) may prescribe;
 *                        a pa without a supervising psychiatrist is refused;
 *  "controlled-audio-only" — a controlled substance started or increased in an audio-only visit;
 *  "controlled-in-person"  — after the policy window, a controlled substance started or increased
 *                        without an in-person evaluation within in_person_eval_months.
 * Stops and decreases of controlled substances are always allowed to prescribers. */
PrescribeDecision prescribe_decide (const PrescribeContext *ctx, char **rule, char **reason);

G_END_DECLS
