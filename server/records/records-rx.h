/* records-rx.h — part of the clinical rules' face: the prescribing safety
 * check (issue 15). An order is judged against the patient's whole picture
 * (this clinic's orders, medications from elsewhere, allergies, pregnancy
 * potential, titration history, the prescriber's registration) by rule
 * sections, each pure and each in its own file:
 *
 *   interactions — rx_interactions.c, config/interactions.json
 *   allergies    — rx_allergies.c (allergies and intolerances; rechallenge)
 *   titration    — rx_titration.c (the catalog's titration steps)
 *   pregnancy    — rx_pregnancy.c (pregnancy potential)
 *   dispense     — rx_dispense.c (refills by schedule, DEA registration, PDMP)
 *
 * Each section adds findings; rx_check_decide turns them into one answer.
 * The API gathers the facts (server/api/rx_facts.c and rx_gather_*.c); this
 * file knows nothing of the server. Other parts include records.h. */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not records-rx.h"
#endif

/* How a finding weighs on the order. */
typedef enum {
  RX_WARN = 1, /* moderate: the order goes ahead; the finding is kept on the order and shown */
  RX_MAJOR,    /* major: refused unless the prescriber gives an override reason (audited) */
  RX_REFUSE,   /* refused; no override (an allergy, a C-II refill, no DEA registration...) */
} RxSeverity;

const char *rx_severity_name (RxSeverity s); /* "warn" | "major" | "refuse", for the wire */

typedef struct {
  char *rule;    /* a stable code: "serotonergic-duplication", "allergy", "titration-step" */
  RxSeverity severity;
  char *title;   /* a few words: "Two serotonergic drugs" */
  char *message; /* sentences for the prescriber: what, why, what to do (no patient data) */
  char *source;  /* where the rule comes from: "FDA label (Zoloft), 4 Contraindications" */
} RxFinding;

void rx_finding_free (gpointer finding);
/* A GPtrArray of RxFinding (owns them). */
GPtrArray *rx_findings_new (void);
void rx_add (GPtrArray *findings, RxSeverity severity, const char *rule, const char *title,
             const char *source, const char *format, ...) G_GNUC_PRINTF (6, 7);

/* One medicine of the patient's, as the checks see it: an order of this
 * clinic (live, or stopped within RX_STOPPED_WINDOW_DAYS, for washouts) or a
 * medication from elsewhere. Owns its strings (rx_drug_clear). */
typedef struct {
  char *ingredient;    /* lower case, as the catalog or the interaction table names it:
                          "sertraline", "lithium carbonate", "tramadol"; NULL: free text only */
  char *drug_class;    /* the catalog's class when known ("SSRI"), else NULL */
  char *medication_id; /* the catalog entry of an order, else NULL */
  char *order_id;      /* this clinic's order, else NULL */
  char *display;       /* for sentences: "sertraline 100 mg once daily", "tramadol (elsewhere)" */
  double daily_total;  /* in the catalog's unit, 0 when unknown */
  gboolean outside;    /* a medication from elsewhere */
  gboolean pending;    /* an order awaiting co-signature */
  gint64 started_ms;   /* when it started (0: unknown) */
  gint64 stopped_ms;   /* 0: current; else when it stopped */
} RxDrug;

#define RX_STOPPED_WINDOW_DAYS 60 /* longer than the longest washout (fluoxetine, 5 weeks) */

void rx_drug_clear (RxDrug *d);
/* A GArray of RxDrug that clears its elements. */
GArray *rx_drugs_new (void);

/* The sections' own facts and tables, each defined in its section's part of
 * this header below (opaque elsewhere). */
typedef struct _RxInteractionTable RxInteractionTable;
typedef struct _RxConditionTable RxConditionTable;
typedef struct _RxAllergyFacts RxAllergyFacts;
typedef struct _RxTitrationFacts RxTitrationFacts;
typedef struct _RxPregnancyFacts RxPregnancyFacts;
typedef struct _RxDispenseFacts RxDispenseFacts;

/* The data files the checks read, loaded once at start beside the catalog. */
typedef struct {
  RxInteractionTable *interactions; /* config/interactions.json */
  RxConditionTable *conditions;     /* config/conditions.json (ICD-10-CM subset) */
} RxTables;

/* Each file from `dir` when it is there, else from `fallback_dir` (the
 * built-in config). Errors name the file and the entry. */
RxTables *rx_tables_load (const char *dir, const char *fallback_dir, const MedCatalog *catalog,
                          GError **error);
void rx_tables_free (RxTables *t);

/* Everything the check knows of one order. Nothing here is read by the
 * sections from anywhere else: the check is pure. */
typedef struct {
  /* The order being judged (a stop is never checked: it prescribes nothing). */
  AdjustmentKind kind;          /* start | change-dose | switch */
  const Medication *medication; /* the new order's formulation */
  MedDosing dosing;
  double daily_total;         /* med_dosing_daily_total (&dosing) */
  const RxDrug *replaced;     /* change-dose, switch: the order that goes (also in drugs) */
  guint supply_days;
  guint refills;
  gboolean cosign;            /* judged again at co-signature */
  /* When: the clinic's calendar and clock (passed in: pure). */
  GDate today;
  gint64 now_ms;
  GTimeZone *time_zone; /* for dates in sentences; NULL = UTC */
  /* The patient's medicines: orders of this clinic and medications from
   * elsewhere (the replaced order included, marked by `replaced`). */
  const RxDrug *drugs;
  guint n_drugs;
  const MedCatalog *catalog;
  const RxTables *tables;
  /* The sections' facts (NULL when a section has nothing to say). */
  RxAllergyFacts *allergies;
  RxTitrationFacts *titration;
  RxPregnancyFacts *pregnancy;
  RxDispenseFacts *dispense;
} RxCheckFacts;

/* Frees the sections' facts (not the rest: the caller owns it). */
void rx_check_facts_clear (RxCheckFacts *f);

/* Runs every section, in order: allergies, interactions, titration,
 * pregnancy, dispense. Appends to `findings`. */
void rx_check_run (const RxCheckFacts *f, GPtrArray *findings);

/* TRUE when a drug in the list is "gone" for this order: the replaced order
 * of a switch or dose change is checked as stopped now (its washout, if any,
 * applies from now). */
gboolean rx_drug_is_replaced (const RxCheckFacts *f, const RxDrug *d);

/* The answer: REFUSED when any finding refuses, or a major one has no
 * override reason. `rule` gets the first such finding's rule (g_free). */
typedef enum {
  RX_PASS,
  RX_NEEDS_OVERRIDE, /* only major findings stand in the way: an override reason lifts them */
  RX_REFUSED,
} RxVerdict;

RxVerdict rx_check_decide (const GPtrArray *findings, gboolean have_override, char **rule);

/* ------------------------------------------------ section: interactions */
#include "server/records/rx-interactions.h"
/* ------------------------------------------------ section: allergies, diagnoses */
#include "server/records/rx-allergies.h"
/* ------------------------------------------------ section: titration, pregnancy */
#include "server/records/rx-titration.h"
/* ------------------------------------------------ section: dispensing, DEA, PDMP */
#include "server/records/rx-dispense.h"
