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
  /* Issue 15 (rx-titration.h): the label's titration steps, and what the
   * label says of pregnancy and breastfeeding; NULL where none matters. */
  struct _MedTitration *titration;
  struct _MedPregnancy *pregnancy;
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

/* What may be dispensed: a supply of 1 to 90 days and at most 11 refills (a
 * year of 30-day supplies). The controlled schedules' limits (schedule II:
 * no refills, 21 CFR 1306.12; III to V: 5, 21 CFR 1306.22) are the
 * prescribing check's (rx-dispense.h), which refuses with their rule.
 * FALSE + INVALID with a sentence otherwise. */
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
  gboolean renew; /* change-dose: a renewal, the same dosing written anew (issue 15) */
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

/* Monitoring between visits: labs and vital signs, the C-SSRS screen,
 * adherence, measurement-based care, the diary. */
#define TH_RECORDS_H_INSIDE
#include "server/records/records-monitoring.h"
/* The prescribing safety check (issue 15). */
#include "server/records/records-rx.h"
#undef TH_RECORDS_H_INSIDE

G_END_DECLS
