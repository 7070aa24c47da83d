/* records.h — the clinical rules as pure functions: scoring the check-in
 * scales by their published rules, the medication catalog and dose checks,
 * and who may prescribe what, when. No I/O except loading the catalog file;
 * no sqlite. Errors in CLINICAL_ERROR. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CLINICAL_ERROR (clinical_error_quark ())
GQuark clinical_error_quark (void);

typedef enum {
  CLINICAL_ERROR_INVALID,    /* answers/doses/fields out of range */
  CLINICAL_ERROR_UNKNOWN,    /* unknown scale, medication, frequency, route */
  CLINICAL_ERROR_CATALOG,    /* the catalog file is unreadable or malformed */
  CLINICAL_ERROR_INCOMPLETE, /* a request lacks a field it needs, or has one it must not
                                   (an API answers 400) */
  CLINICAL_ERROR_CONFLICT,   /* the record does not allow it: the order acted on is not
                                   active, the medication is already prescribed (422) */
} ClinicalErrorCode;

/* ------------------------------------------------------------- scales */

typedef enum {
  SCALE_PHQ9,   /* 9 items, each 0..3 */
  SCALE_GAD7,   /* 7 items, each 0..3 */
  SCALE_ASRS_A, /* ASRS v1.1 part A: 6 items, each 0..4 (never, rarely, sometimes, often, very often);
                     a screener, read as a count of shaded items: kept for stored check-ins */
  SCALE_ASRS18, /* ASRS v1.1 Symptom Checklist, parts A and B: 18 items, each 0..4, over
                     "since your last visit": the follow-up measure for a patient on ADHD medication */
} ScaleKind;

#define SCALE_MAX_ITEMS 18

const char *scale_name (ScaleKind kind); /* "phq9" | "gad7" | "asrs_a" | "asrs18" */
gboolean scale_from_name (const char *name, ScaleKind *out);
guint scale_item_count (ScaleKind kind);
guint scale_item_max (ScaleKind kind);          /* 3 or 4 */
const char *scale_loinc_total (ScaleKind kind); /* "44261-6", "70274-6", or NULL (ASRS) */
const char *scale_title (ScaleKind kind);       /* "PHQ-9", "GAD-7", "ASRS v1.1 Part A", ... */

/* ASRS v1.1 Symptom Checklist subscales (Kessler et al. 2005): 9 items each, 0..36. */
#define ASRS18_SUBSCALE_MAX 36

typedef struct {
  ScaleKind kind;
  guint total;       /* sum of items (ASRS-A: sum, as stored; its reading is `flags`) */
  const char *band;  /* PHQ-9: minimal|mild|moderate|moderately-severe|severe;
                           GAD-7: minimal|mild|moderate|severe;
                           ASRS-A: positive|negative; ASRS-18: "" (no published bands) */
  gboolean alert;    /* PHQ-9: item 9 (thoughts of self-harm) above 0, whatever the total */
  guint flags;       /* ASRS-A: items in the shaded boxes (0..6) */
  gboolean positive; /* ASRS-A: flags >= 4 */
  guint inattentive; /* ASRS-18: items 1-4 and 7-11, 0..36 */
  guint hyperactive; /* ASRS-18: items 5-6 and 12-18, 0..36 */
} ScaleScore;

/* Scores answers by the published rules. FALSE + INVALID when the number of
 * items or any value is out of range. */
gboolean scale_score (ScaleKind kind, const gint *items, guint n_items, ScaleScore *out,
                      GError **error);

/* The most doses of one medication a patient can miss in the check-in's 14
 * days: its administrations per day x 14 (a twice-daily order: 28). 0 for an
 * as-needed or unknown frequency: missed doses are not asked about. */
#define MISSED_DOSE_DAYS 14
guint missed_dose_cap (const char *frequency);

/* --------------------------------------------------------- the catalog */

/* An RxNorm code of a catalog entry with its term type (IN, PIN, MIN, SCD)
 * and the id of the entry in the file's "sources" block that confirms it. */
typedef struct {
  char *code;
  char *tty;
  char *source;
} MedCode;

/* A marketed unit (one tablet, one capsule) a dose is dispensed in. */
typedef struct {
  double strength;
  char *scd; /* RxNorm SCD of this unit, NULL when not confirmed */
  char *scd_source;
} MedProduct;

typedef struct {
  char *id;        /* one formulation: "methylphenidate-er-oros" */
  char *name;      /* the ingredient as prescribed: "lithium carbonate" */
  char *display;   /* with the formulation: "methylphenidate extended-release (OROS) tablet" */
  char *dose_form; /* "tablet" | "capsule": the unit dispensed */
  MedCode *codes;  /* RxNorm codes, may be none (rxnorm_note says why) */
  guint n_codes;
  char *rxnorm; /* the first code, "" when none (for the medications table) */
  char *rxnorm_note;
  char *drug_class;  /* SSRI | SNRI | tricyclic | mood stabilizer | antipsychotic |
                           benzodiazepine | anxiolytic | stimulant | non-stimulant */
  char *schedule;    /* DEA schedule: "none" | "II" | "III" | "IV" | "V" */
  char *unit;        /* "mg" */
  double *strengths; /* doses per administration the clinic prescribes, ascending */
  guint n_strengths;
  MedProduct *products; /* marketed units, ascending; each strength is a whole number of one */
  guint n_products;
  guint routes;           /* bit i: med_route_code (i) allowed */
  guint frequencies;      /* bit i: med_frequency_code (i) allowed */
  double max_daily;       /* in unit, judged on a dosing day */
  char *max_daily_source; /* short, for the prescriber's sentence: "FDA label" */
  char *max_daily_detail; /* which label and section */
  char *dose_note;        /* what the amount means, when it could be misread (mixed salts) */
  gboolean adhd;          /* an ADHD medication: its patients also get ASRS part A */
} Medication;

typedef struct _MedCatalog MedCatalog;

/* Loads config/medications.json (version 2, format: see that file). Errors
 * name the file, the entry (number and id) and the field. */
MedCatalog *med_catalog_load (const char *path, GError **error);
void med_catalog_free (MedCatalog *catalog);
const Medication *med_catalog_find (const MedCatalog *catalog, const char *id);
guint med_catalog_size (const MedCatalog *catalog);
const Medication *med_catalog_get (const MedCatalog *catalog, guint index);

gboolean medication_is_controlled (const Medication *m); /* schedule II..V */

/* Frequencies, one table (codes as on the wire): once-daily, every-morning,
 * at-bedtime, twice-daily, three-times-daily, four-times-daily,
 * every-other-day, morning-and-bedtime (two different amounts), as-needed. */
guint med_frequency_count (void);
const char *med_frequency_code (guint index);
gboolean med_frequency_valid (const char *code);
const char *med_frequency_text (const char *code); /* "three times daily" */
guint med_frequency_per_day (const char *code); /* administrations on a dosing day; 0: as needed */
guint med_frequency_period_days (const char *code);     /* 2 for every other day, else 1 */
const char *med_frequency_when (const char *code);      /* FHIR Timing.when: "MORN", "HS" or NULL */
gboolean med_frequency_is_split (const char *code);     /* morning-and-bedtime */
gboolean med_frequency_is_as_needed (const char *code); /* as-needed */
gboolean med_frequency_allowed (const Medication *m, const char *code);

/* Routes, one table: oral, sublingual, transdermal, with SNOMED CT codes. */
guint med_route_count (void);
/* The route an order of m takes when none is named: its first allowed one. */
const char *med_route_default (const Medication *m);
const char *med_route_code (guint index);
gboolean med_route_valid (const char *code);
const char *med_route_snomed (const char *code); /* "26643006" */
const char *med_route_text (const char *code);   /* "Oral route" */
gboolean med_route_allowed (const Medication *m, const char *code);

/* The dose must be one of the medication's strengths, in its unit.
 * FALSE + INVALID naming the allowed strengths otherwise. */
gboolean med_dose_valid (const Medication *m, double dose, const char *unit, GError **error);

/* One order's dosing, as the prescriber wrote it. */
typedef struct {
  double dose;        /* per administration (morning for a split dose) */
  double second_dose; /* morning-and-bedtime: the bedtime amount; else 0 */
  const char *unit;
  const char *frequency;
  const char *route;
  guint prn_max_per_day; /* as-needed: most administrations a day (required); else 0 */
} MedDosing;

/* The most taken on a dosing day: dose x administrations, both doses of a
 * split, dose x max per day as needed. */
double med_dosing_daily_total (const MedDosing *d);
/* "200 mg three times daily", "300 mg in the morning and 600 mg at bedtime". */
char *med_dosing_text (const MedDosing *d);

/* Checks a dosing against its formulation: route allowed, each dose a
 * strength, the daily total at most the maximum daily dose, frequency
 * allowed, an as-needed maximum given. FALSE + INVALID with a sentence for
 * the prescriber, e.g. "Sertraline: at most 200 mg a day (FDA label); this
 * order comes to 600 mg a day (200 mg three times daily)." */
gboolean med_dosing_check (const Medication *m, const MedDosing *d, GError **error);

/* Units (tablets, capsules) of one product per dosing day and the product
 * used: the largest product every dose is a whole number of. FALSE when none. */
gboolean med_dosing_units_per_day (const Medication *m, const MedDosing *d, double *units,
                                   const MedProduct **product);

/* The entry as an order keeps it (a JSON object string, g_free): what was
 * prescribed, whatever later catalogs say. */
char *med_snapshot_json (const Medication *m);
/* Reads a snapshot back as a Medication (free with medication_free): only
 * what the snapshot keeps is set (no strengths, routes or frequencies).
 * NULL when json is NULL or not a snapshot. */
Medication *med_snapshot_parse (const char *json);
void medication_free (Medication *m);

/* What may be dispensed: schedule II, no refills (21 CFR 1306.12); schedule
 * III to V, at most 5 refills (21 CFR 1306.22); others at most 11 (a year
 * of 30-day supplies). FALSE + INVALID with a sentence otherwise. */
gboolean med_dispense_check (const Medication *m, guint supply_days, guint refills, GError **error);

/* ---------------------------------------------------- who may prescribe */

typedef enum {
  PRESCRIBE_ALLOWED,        /* takes effect now */
  PRESCRIBE_PENDING_COSIGN, /* a PA's adjustment: waits for the supervising psychiatrist */
  PRESCRIBE_REFUSED,
} PrescribeDecision;

typedef struct {
  const char *actor_role;       /* psychiatrist | pmhnp | pa | pcp | admin | patient */
  gboolean has_supervisor;      /* for a PA: a supervising psychiatrist is on record */
  const Medication *medication; /* the new order's medication; for a stop, the stopped one's
                                    (NULL when unknown: a stop is judged without it) */
  gboolean new_prescription;    /* any new order: a start, a switch, a change of dose,
                                    frequency or as-needed use; FALSE only for a pure stop */
  const char *modality;         /* the visit's: "video" | "audio-only" */
  /* Calendar dates in the clinic's time zone (server/clock/clock.h): the caller
   * turns its clock into `today`, so the decision stays pure. */
  GDate today;                 /* the clinic-local date of now; invalid = refuse */
  GDate policy_end;            /* the telemedicine window's last day (inclusive) */
  GDate in_person_eval;        /* the patient's last in-person evaluation; invalid = none */
  guint in_person_eval_months; /* how recent it must be once the window has closed */
  /* Issue 14: a PHQ-9 item-9 safety task is open for the patient. */
  gboolean safety_task_open;
  gboolean starts_medication; /* a start, or a switch to the new medication */
  guint supply_days;          /* what the new order dispenses */
  gboolean safety_confirmed;  /* the prescriber confirmed it, with a reason */
} PrescribeContext;

/* Decides an adjustment. On REFUSED, *rule gets a stable code and *reason a
 * sentence for the prescriber (g_free). Rules, in order:
 *  "role"              — only psychiatrist, pmhnp, pcp (and pa, pending) may prescribe;
 *                        a pa without a supervising psychiatrist is refused;
 *  "controlled-audio-only" — a new prescription of a controlled substance in an audio-only visit;
 *  "controlled-in-person"  — after the policy window, a new prescription of a controlled
 *                        substance without an in-person evaluation within in_person_eval_months;
 *  "safety-task-open"  — while an item-9 safety task is open, starting a medication lethal in
 *                        overdose (medication_overdose_lethal) with more than
 *                        SAFETY_SUPPLY_MAX_DAYS days' supply, unless safety_confirmed.
 * Under the Controlled Substances Act (21 U.S.C. 829; 21 CFR 1306) every new controlled order is a
 * new prescription, whatever its direction: a lower dose, another frequency or as-needed use is
 * issued anew and meets the same rules as a start. Only a pure stop issues nothing, so it is
 * the one act the controlled-substance rules never restrict. */
PrescribeDecision prescribe_decide (const PrescribeContext *ctx, char **rule, char **reason);

/* ------------------------------------------------ adjustment validation */

/* What an adjustment does to the patient's medication list. */
typedef enum {
  ADJUST_START,
  ADJUST_STOP,
  ADJUST_CHANGE_DOSE,
  ADJUST_SWITCH,
} AdjustmentKind;

const char *adjustment_kind_name (AdjustmentKind kind); /* start | stop | change-dose | switch */
gboolean adjustment_kind_from_name (const char *name, AdjustmentKind *out);

/* Every reason an order event carries (a stop, a dose change, a correction,
 * a decline) is part of the record: required, and bounded. */
#define ORDER_REASON_MAX_CHARS 1000
gboolean order_reason_valid (const char *reason, GError **error); /* INCOMPLETE */
/* An order's derived status as a clinician reads it: "awaiting co-signature",
 * "marked entered in error"; an unknown status as it is. */
const char *order_status_text (const char *status);

/* One of the patient's orders as the rules see it (a view of the store's row:
 * nothing is copied, nothing owned). */
typedef struct {
  const char *id;
  const char *patient_id;
  const char *medication_id;
  const char *medication_name; /* "sertraline" */
  const char *status;          /* active | pending | stopped | entered-in-error | declined */
  const char *replaces_order_id;
  double dose;
  double second_dose;
  const char *unit;
  const char *frequency;
  const char *route;
  guint prn_max_per_day;
  gint64 since_ms; /* when it reached its status (unix ms) */
} OrderFacts;

/* The change the prescriber asks for, as written (nothing owned). */
typedef struct {
  AdjustmentKind kind;
  const char *reason;
  const char *order_id;      /* the order acted on: stop, change-dose, switch */
  const char *medication_id; /* start, switch; a dose change may repeat its order's */
  double dose;
  double second_dose;
  const char *unit; /* NULL: the formulation's unit (when a catalog is given) */
  const char *frequency;
  const char *route; /* NULL: the formulation's first route (when a catalog is given) */
  guint prn_max_per_day;
  guint supply_days; /* what to dispense: a stop has none */
  guint refills;
} Adjustment;

/* What the rules need to know of the record, read by the caller (the API
 * before it answers, the store inside its transaction). */
typedef struct {
  const char *patient_id;     /* the visit's patient */
  const OrderFacts *acted_on; /* the order named by order_id; NULL when there is none */
  const OrderFacts *orders;   /* the patient's orders, any status (for duplicates) */
  guint n_orders;
  const MedCatalog *catalog; /* NULL: the caller checks the medication against its own list */
  GTimeZone *time_zone;      /* the clinic's, for the dates in sentences; NULL = UTC */
} AdjustmentFacts;

/* The adjustment as it will be written. */
typedef struct {
  const char *medication_id;    /* the new order's (a dose change: its order's); NULL for a stop */
  const Medication *medication; /* its catalog entry; NULL for a stop or without a catalog */
  const char *unit;
  const char *route;
} AdjustmentResolved;

/* Checks an adjustment against the record: the rules the API answers with
 * and the store enforces again inside its transaction, with one sentence
 * each, in the prescriber's words. In order:
 *  INCOMPLETE (the API answers 400) — an unknown kind; a start acting on an
 *    order, any other kind without one; a stop carrying a dosing or a
 *    supply; no medication for a start or switch; no reason, or one over
 *    1000 characters;
 *  INVALID (422) — no dose above zero, no frequency; no unit or route once
 *    the formulation's defaults are filled in;
 *  CONFLICT (422) — the order acted on is not the patient's, or not active;
 *    a dose change naming another medication, a switch to the same one; a
 *    medication the catalog does not list; a dose change that changes
 *    nothing; a start, switch or dose change that would leave two live
 *    orders of one medication, or two pending changes of one order.
 * The dosing itself (strengths, maximum daily dose) is med_dosing_check's.
 * `out` (may be NULL) is cleared, then filled on success; it points into
 * `a`, `f` and the catalog. */
gboolean adjustment_validate (const Adjustment *a, const AdjustmentFacts *f,
                              AdjustmentResolved *out, GError **error);

/* ------------------------------------------------------------ regions */

/* Where a patient is for a visit (regions.c): a US state, the District or
 * a territory by its USPS code, the subdivision part of ISO 3166-2. */
typedef struct {
  const char *code; /* "NY" */
  const char *name; /* "New York" */
} RegionInfo;

const RegionInfo *region_table (guint *n);
/* The region of "NY", "ny" or "US-NY"; NULL for anything else. */
const RegionInfo *region_lookup (const char *text);

/* ------------------------------------------------------ the next follow-up */

/* followup.c: how soon to see the patient again, from what happened in the
 * visit. A table of rules, each with its default interval and its source;
 * the intervals are the clinic's ([follow_up] in the config). When several
 * apply, the shortest interval wins (ties: the earlier rule), so a safety
 * signal is never outweighed by a routine one. */
typedef enum {
  FOLLOW_UP_ITEM9,          /* PHQ-9 item 9 above 0 in this visit's check-in */
  FOLLOW_UP_NOT_SEEN,       /* the visit ended without the patient being admitted */
  FOLLOW_UP_LEVEL,          /* lithium or valproate started or changed: a serum level is due */
  FOLLOW_UP_ANTIDEPRESSANT, /* an antidepressant started, switched to, or raised */
  FOLLOW_UP_CONTROLLED,     /* a new controlled substance (schedule II-V) started */
  FOLLOW_UP_DOSE_CHANGE,    /* any other start, dose change, switch or stop */
  FOLLOW_UP_STABLE,         /* nothing changed */
} FollowUpRule;

#define FOLLOW_UP_N_RULES 7
#define FOLLOW_UP_MAX_WEEKS 52

/* Weeks per rule, indexed by FollowUpRule. */
typedef struct {
  guint weeks[FOLLOW_UP_N_RULES];
} FollowUpPolicy;

void follow_up_policy_default (FollowUpPolicy *out);
const char *follow_up_rule_code (FollowUpRule rule);   /* "item9-alert", for the wire */
const char *follow_up_rule_key (FollowUpRule rule);    /* "item9_alert_weeks", the config key */
const char *follow_up_rule_source (FollowUpRule rule); /* the source, in full */
gboolean follow_up_rule_from_code (const char *code, FollowUpRule *out);

/* What happened in the visit, as the rules read it. Each text is what was
 * done, in words ("started sertraline"); NULL when it did not happen. Owned:
 * free with follow_up_facts_clear. */
typedef struct {
  gboolean item9_alert;
  gboolean not_seen; /* the visit never went in progress: nobody was seen */
  char *antidepressant;
  char *level;
  char *controlled;
  char *dose_change;
} FollowUpFacts;

void follow_up_facts_clear (FollowUpFacts *facts);

/* One order event of the visit: a start, a switch to `medication`, a dose
 * change (with the daily totals before and after) or a stop. */
typedef struct {
  AdjustmentKind kind;
  const Medication *medication; /* the new order's (a stop: the stopped one's); may be NULL */
  const char *name;             /* used when medication is NULL */
  double daily_before;          /* change-dose: the replaced order's daily total */
  double daily_after;           /* change-dose: the new order's */
} FollowUpChange;

/* Adds one order event to the facts (the first event of each kind is the
 * one named). */
void follow_up_note_change (FollowUpFacts *facts, const FollowUpChange *change);

gboolean follow_up_is_antidepressant (const Medication *m);
gboolean follow_up_needs_level (const Medication *m);

typedef struct {
  FollowUpRule rule;
  guint weeks;
  char *reason;       /* "started sertraline (antidepressant started: FDA label monitoring)" */
  const char *source; /* follow_up_rule_source (rule) */
  guint applied;      /* bit r: rule r applied (the chosen one included) */
} FollowUpSuggestion;

/* The suggestion for `facts` under `policy` (NULL: the defaults). Pure. */
void follow_up_suggest (const FollowUpFacts *facts, const FollowUpPolicy *policy,
                        FollowUpSuggestion *out);
void follow_up_suggestion_clear (FollowUpSuggestion *s);

/* ------------------------------------------- labs and vital signs */

/* observations.c: the kinds of observation the record keeps (labs, vital
 * signs, the AIMS total), LOINC-coded, each in one UCUM unit. */
typedef struct {
  const char *code;          /* "lithium", "blood-pressure": the wire's and the store's */
  const char *display;       /* "Lithium level" */
  const char *loinc;         /* NULL when no LOINC code is used (AIMS) */
  const char *loinc_display; /* LOINC's long common name */
  const char *unit;          /* UCUM: "mmol/L" */
  const char *unit_text;     /* as a person reads it: "mmol/L", "mmHg" */
  double min, max;           /* believable values; outside is a typing error */
  const char *loinc_value2;  /* blood pressure: the diastolic component's LOINC; else NULL */
  gboolean home;             /* the patient may enter it in the diary */
} ObservationKind;

const ObservationKind *observation_kinds (guint *n);
const ObservationKind *observation_kind_find (const char *code); /* NULL when unknown */
/* A value (and a diastolic value for blood pressure) a person could have
 * meant: INCOMPLETE when the second number is missing or extra, INVALID
 * out of range, each with a sentence. */
gboolean observation_value_valid (const ObservationKind *kind, double value, gboolean has_value2,
                                  double value2, GError **error);

/* --------------------------------------- the item-9 safety task (C-SSRS) */

/* cssrs.c: the C-SSRS Screen Version - Recent (Posner et al. 2011; the
 * Columbia Lighthouse Project): six yes/no questions, Q3-Q5 only when Q2 is
 * yes, and "within the past 3 months?" when Q6 is yes. */
#define CSSRS_N_QUESTIONS 6
enum { CSSRS_NOT_ASKED = -1, CSSRS_NO = 0, CSSRS_YES = 1 };

typedef struct {
  const char *code;  /* "q1" .. "q6", "q6_past_3_months": the wire's */
  const char *loinc; /* the screen version's item code */
  const char *title; /* what the item measures */
  const char *text;  /* the question as asked */
} CssrsQuestion;

/* Questions 0..5, and index 6 for Q6's "within the past 3 months?". */
const CssrsQuestion *cssrs_question (guint index);

typedef struct {
  gint answers[CSSRS_N_QUESTIONS]; /* CSSRS_YES, CSSRS_NO or CSSRS_NOT_ASKED */
  gint q6_past_3_months;           /* asked when Q6 is yes */
} CssrsScreen;

typedef enum { SAFETY_RISK_LOW, SAFETY_RISK_MODERATE, SAFETY_RISK_HIGH } SafetyRisk;
const char *safety_risk_name (SafetyRisk risk); /* low | moderate | high */
gboolean safety_risk_from_name (const char *name, SafetyRisk *out);

/* The screener's structure: INCOMPLETE (a question it must ask is not
 * answered) or INVALID (Q3-Q5 without Q2 yes, ...), with a sentence. */
gboolean cssrs_screen_valid (const CssrsScreen *s, GError **error);
/* The published triage: Q4/Q5 yes or Q6 within 3 months: high; Q3 yes or
 * Q6 earlier: moderate; else low. For a valid screen. */
SafetyRisk cssrs_suggest_risk (const CssrsScreen *s);

/* Plan codes: safety-plan, means-counselling, crisis-line, emergency-services. */
guint safety_plan_count (void);
const char *safety_plan_code (guint index);
const char *safety_plan_text (const char *code); /* NULL when unknown */

/* Closing a safety task, as the clinician wrote it (nothing owned). */
typedef struct {
  CssrsScreen screen;
  SafetyRisk risk;
  const char *risk_reason; /* required when risk is below the suggestion */
  const char *const *plans;
  guint n_plans;
  const char *plan_reason; /* required at high risk without emergency-services */
  const char *location;    /* where the patient is now: required */
} SafetyClose;

/* The screen valid, *suggested the screener's level, the chosen level not
 * below it without a reason, at least one known plan (emergency services at
 * high risk, or a reason), a location. INCOMPLETE / INVALID with the
 * clinician's sentence. */
gboolean safety_close_valid (const SafetyClose *c, SafetyRisk *suggested, GError **error);

/* prescribing.c: whether a medication is lethal in overdose in a way that
 * limits what is dispensed while a safety task is open (tricyclics,
 * lithium); *why (may be NULL) gets the sentence's reason. */
gboolean medication_overdose_lethal (const Medication *m, const char **why);
/* Most days' supply of such a medication while a safety task is open
 * without an explicit confirmation. */
#define SAFETY_SUPPLY_MAX_DAYS 14
/* monitoring.c: config/monitoring.json, the monitoring table (issue 14):
 * per observation kind its reference range, the flags that interpret a
 * value (FHIR N/L/H/LL/HH) and the safety thresholds that raise an alert;
 * per drug class or drug what is due when. Loaded once at start; errors
 * name the file, the entry and the field. Pure: no clock, no store. */
typedef struct _MonitoringCatalog MonitoringCatalog;

/* `meds` (may be NULL) checks that each rule's medications and classes
 * exist in the medication catalog. */
MonitoringCatalog *monitoring_catalog_load (const char *path, const MedCatalog *meds,
                                            GError **error);
void monitoring_catalog_free (MonitoringCatalog *catalog);

/* A kind's reference range as FHIR's referenceRange carries it: low/high
 * (has_low/has_high say which exist) and the words. NULL when the file
 * gives the kind none (weight, the AIMS total). */
typedef struct {
  gboolean has_low, has_high;
  double low, high;
  const char *text;   /* "0.6-1.2 mmol/L (maintenance)" */
  const char *source; /* the source's text */
} MonitoringRange;
const MonitoringRange *monitoring_range (const MonitoringCatalog *catalog, const char *kind);

/* What one value means. code: "N", "L", "H", "LL", "HH"; words for the
 * record; alert_rule non-NULL ("toxic-level", "out-of-range-safety") when
 * the value crosses a safety threshold for this patient, with the
 * sentence the alert carries. Strings are owned (monitoring_reading_clear). */
typedef struct {
  const char *code;
  char *words; /* "high: above the maintenance range (NICE CG185)", or NULL for N */
  const char *alert_rule;
  char *alert_summary; /* "Lithium level 1.5 mmol/L: ..." */
} MonitoringReading;
void monitoring_reading_clear (MonitoringReading *reading);

/* Interprets `value` (and value2, the diastolic) of `kind`; medication_ids
 * (NULL-terminated, may be NULL) are the patient's current medications, for
 * thresholds that apply on a drug only (platelets on valproate). */
void monitoring_interpret (const MonitoringCatalog *catalog, const ObservationKind *kind,
                           double value, gboolean has_value2, double value2,
                           const char *const *medication_ids, MonitoringReading *out);

/* One order of a course of treatment: the active order is links[0], then
 * the orders it replaced, newest first (change-dose, switch). since_ms is
 * when the order took effect (its co-signature for a PA's order). */
typedef struct {
  const char *medication_id;
  const char *drug_class;
  const char *name; /* "lithium carbonate" */
  gint64 since_ms;
} MonitoringLink;

typedef struct {
  const MonitoringLink *links;
  guint n_links;
} MonitoringCourse;

/* One observation on record (any order): its kind and when it was taken. */
typedef struct {
  const char *kind;
  gint64 effective_ms;
} MonitoringObservation;

typedef enum {
  MONITORING_OVERDUE,
  MONITORING_DUE,
  MONITORING_NOT_YET,
  MONITORING_DONE,
} MonitoringStatus;

const char *monitoring_status_name (MonitoringStatus status); /* "overdue", "due", ... */

typedef struct {
  const char *rule_id;       /* "lithium-level-after-change" */
  const char *kind;          /* the first observation kind the rule asks for */
  const char *what;          /* "Lithium level" */
  const char *medication_id; /* the course's current order */
  MonitoringStatus status;
  GDate due;     /* when it is (or was, or will be) due; invalid when done */
  GDate overdue; /* after this day it is overdue; invalid when done */
  char *why; /* "Lithium level: due 5-7 days after the dose change on 3 Dec 2026; none since." */
  const char *source; /* the rule's source text */
} MonitoringItem;
void monitoring_item_free (MonitoringItem *item);

/* What each rule that applies to the courses asks for, as of `today` in
 * `tz` (observation times and order times are read as dates there):
 * overdue first, then due, not yet, done; by due date within each. One
 * item per rule (the most urgent when two courses match it). */
GPtrArray *monitoring_due (const MonitoringCatalog *catalog, const MonitoringCourse *courses,
                           guint n_courses, const MonitoringObservation *observations,
                           guint n_observations, const GDate *today, GTimeZone *tz);
/* ------------------------------------- adherence per medication line */

/* adherence.c: doses taken against doses due for one medication line (an
 * order and the orders it replaced by a change of dose), over calendar days
 * [from, to], from the patient's diary; the check-in's 14-day count when no
 * day of the period was logged. Nothing is assumed of a day not logged:
 * adherence is over the logged days, and days_logged says how much is known.
 * Pure: the caller turns instants into the clinic's dates. */

/* One order of the line, oldest first: in force from `start` (its first
 * day) until the day before the next order's start (a dose change switches
 * on its own day). */
typedef struct {
  const char *id;
  const char *frequency; /* med_frequency_*: per day, every other day, as needed */
  GDate start;
} AdherenceOrder;

/* One diary row for an order of the line: the doses of one day as one entry
 * recorded them. Several entries of a day: the newest (made_at_ms, then
 * entry_seq) is the day's record, the older ones are left out. */
typedef struct {
  GDate day;
  const char *order_id;
  gint64 made_at_ms;
  gint64 entry_seq;
  guint taken;
  guint missed;
  const char *reason; /* forgot | side-effect | ran-out | chose-not-to | NULL */
} AdherenceDose;

/* The check-in's answer for an order of the line: doses missed in the 14
 * days before `day`, of at most max_missed. */
typedef struct {
  gboolean present;
  GDate day;
  guint missed;
  guint max_missed;
} AdherenceCheckin;

/* Reasons for a missed dose, as the diary stores them; the last is a miss
 * with no reason given. */
#define ADHERENCE_N_REASONS 5
const char *adherence_reason_code (guint index); /* "forgot" .. "unspecified" */

typedef enum {
  ADHERENCE_NONE,    /* no diary day and no check-in answer: nothing known */
  ADHERENCE_DIARY,   /* the diary's logged days */
  ADHERENCE_CHECKIN, /* the check-in's 14-day count */
} AdherenceSource;
const char *adherence_source_code (AdherenceSource source); /* none | diary | checkin */

/* Weeks of 7 days from the period's first day (the last may be shorter). */
typedef struct {
  GDate start;
  guint days; /* days of the period in this week */
  guint days_logged;
  guint taken; /* taken as prescribed: at most the day's due */
  guint due;   /* due on the logged days */
} AdherenceWeek;

typedef struct {
  AdherenceSource source;
  gboolean as_needed;   /* the line's order in force at `to` is as needed */
  GDate from, to;       /* the period (from: not before the line's first day) */
  guint days_in_period;
  gint days_logged;     /* -1: not from the diary */
  guint taken;          /* doses taken as prescribed, each day at most its due */
  guint due;            /* doses due on the logged days */
  guint extra;          /* doses taken above a day's due (a dosing day or not) */
  gint percent;         /* round(100 x taken / due); -1 when nothing was due */
  guint prn_taken;      /* as needed: doses taken, and the days they were taken on */
  guint prn_days_used;
  guint missed_by_reason[ADHERENCE_N_REASONS];
  AdherenceWeek *weeks;
  guint n_weeks;
} Adherence;

/* Doses due on `day` by an order started on `start` (every other day counts
 * from its start day; as needed: 0). */
guint adherence_due_on (const char *frequency, const GDate *start, const GDate *day);

/* FALSE + INVALID when the period or an order is malformed (no orders, from
 * after to, an order's start not valid, orders out of order). `out` is
 * cleared first; free it with adherence_clear. */
gboolean adherence_compute (const AdherenceOrder *orders, guint n_orders, const AdherenceDose *doses,
                            guint n_doses, const AdherenceCheckin *checkin, const GDate *from,
                            const GDate *to, Adherence *out, GError **error);
void adherence_clear (Adherence *a);

/* Side effects the diary attributes to a line's orders, per effect: the
 * worst rating (0 none .. 3 severe) of each week of the period, -1 for a
 * week it was not rated. The newest entry of a day counts, as for doses. */
typedef struct {
  GDate day;
  const char *order_id;
  gint64 made_at_ms;
  gint64 entry_seq;
  const char *effect;
  guint severity;
} AdherenceEffectRow;

typedef struct {
  char *effect;
  gint worst;      /* over the period */
  GDate last_day;  /* the last day it was rated above 0 (invalid: never) */
  gint *weekly;    /* n_weeks values */
  guint n_weeks;
} AdherenceEffect;

/* Effects in the order of their first appearance; g_ptr_array_unref frees. */
GPtrArray *adherence_side_effects (const AdherenceEffectRow *rows, guint n_rows, const GDate *from,
                                   const GDate *to);

/* ----------------------------------------- measurement-based care */

/* mbc.c: whether the current treatment works, read from a scale's totals
 * (PHQ-9, GAD-7). The current treatment began at the latest start, switch,
 * change of dose or stop among the patient's medication orders; its
 * baseline is the score at or just before that instant. Thresholds and
 * their sources are in mbc.c. */
typedef enum {
  MBC_NO_TREATMENT,     /* no current medication */
  MBC_NO_BASELINE,      /* no score at or before the treatment began */
  MBC_NO_FOLLOW_UP,     /* no score since it began */
  MBC_MILD_BASELINE,    /* baseline already below the remission cut-off */
  MBC_REMISSION,        /* latest below the cut-off (< 5) */
  MBC_RESPONSE,         /* >= 50 % below baseline */
  MBC_TOO_EARLY,        /* neither, and under 8 weeks on this treatment */
  MBC_PARTIAL_RESPONSE, /* 25-49 % below baseline after 8 weeks */
  MBC_NO_RESPONSE,      /* < 25 % below baseline after 8 weeks */
} MbcStatus;

#define MBC_RESPONSE_PERCENT 50
#define MBC_NONRESPONSE_PERCENT 25
#define MBC_REMISSION_BELOW 5
#define MBC_ADEQUATE_TRIAL_WEEKS 8

typedef struct {
  gint64 at_ms;
  guint total;
} MbcPoint;

typedef struct {
  MbcStatus status;
  gboolean has_baseline, has_latest;
  guint baseline, latest;
  gint64 baseline_at_ms, latest_at_ms;
  gint change_percent; /* improvement from baseline,% (negative: worse) */
  guint weeks;         /* from the treatment's start to the latest score */
  char *text;          /* "Response: PHQ-9 down 56% (18 to 8) after 6 weeks" */
} MbcLabel;

const char *mbc_status_code (MbcStatus status); /* "response", "too-early", ... */
/* points: the scale's totals, oldest first; treatment_start_ms < 0: no
 * current treatment. FALSE + INVALID for a scale other than PHQ-9 or GAD-7. */
gboolean mbc_label (ScaleKind kind, const MbcPoint *points, guint n_points,
                    gint64 treatment_start_ms, MbcLabel *out, GError **error);
void mbc_label_clear (MbcLabel *label);

G_END_DECLS
