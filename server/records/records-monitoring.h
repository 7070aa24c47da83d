/* records-monitoring.h — part of the clinical rules' face: monitoring
 * between visits (issue 14): the observation kinds and the monitoring
 * table, the item-9 safety task's C-SSRS screen, adherence per medication
 * line, the measurement-based care labels and the patient's diary. Other
 * parts include server/records/records.h, which includes this file where
 * these declarations belong; it is not a face of its own. */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not records-monitoring.h"
#endif

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
/* ------------------------------------------------ the patient's diary */

/* diary.c: config/diary.json (which side effects a patient rates for a
 * drug, which drugs raise an alert after days in a row of missed doses)
 * and the rules a diary day raises safety signals by. Pure. */
typedef struct {
  char *code;  /* "tremor": the wire's, the store's, and the clinician's word */
  char *label; /* what the patient reads: "Shaky hands (tremor)" */
} DiaryEffect;

typedef struct _DiaryCatalog DiaryCatalog;

/* Loads the file; every drug class of `meds` must have a list. Errors name
 * the file and the entry. */
DiaryCatalog *diary_catalog_load (const char *path, const MedCatalog *meds, GError **error);
void diary_catalog_free (DiaryCatalog *catalog);
/* The effects rated for a drug: its ingredient's list, else its class's. */
const DiaryEffect *diary_effects_for (const DiaryCatalog *catalog, const Medication *m, guint *n);
/* Days in a row of missed doses that raise an alert (0: none) and the risk
 * in the clinician's words. */
guint diary_missed_days_for (const DiaryCatalog *catalog, const Medication *m, const char **risk);
/* The most doses a patient logs for a day: the frequency's administrations
 * (every other day: 1, on a dosing day); as needed, its daily maximum (8
 * when the order gives none); 0 for an unknown frequency. */
guint diary_doses_per_day (const char *frequency, guint prn_max_per_day);

/* One order's day, as the rules read it. */
typedef struct {
  const char *drug; /* the ingredient: "lithium carbonate", "lamotrigine" */
  guint missed;
  guint missed_run_days;       /* days in a row with a missed dose, this one included */
  const char *missed_run_last; /* the run's last day (a day filled in later may end it) */
  guint missed_alert_days;     /* diary_missed_days_for, 0: none */
  const char *missed_risk;
} DiaryOrderDay;

typedef struct {
  guint order; /* index into DiaryDay.orders */
  const char *effect;
  guint severity; /* 0 none, 1 mild, 2 moderate, 3 severe */
} DiaryRating;

typedef struct {
  const char *day; /* "2026-12-03", the patient's calendar */
  gint item9;      /* PHQ-9 item 9 (0..3), -1 when not answered */
  const DiaryOrderDay *orders;
  guint n_orders;
  const DiaryRating *ratings;
  guint n_ratings;
} DiaryDay;

typedef struct {
  const char *rule;     /* "severe-side-effect" | "lamotrigine-rash" | "item9" | "missed-doses" */
  gint order;           /* index into DiaryDay.orders, -1 for none */
  char *summary;        /* the clinician's sentence: drug, effect, day; never the note */
  gboolean crisis;      /* the patient sees the crisis text now */
  gboolean safety_task; /* item 9: a safety task opens */
} DiarySignal;

/* The signals of a day, each rule of the table in turn (DiarySignal *,
 * freed with the array). */
GPtrArray *diary_signals (const DiaryDay *day);
