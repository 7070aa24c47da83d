/* rx-titration.h — the titration section of records-rx.h (the catalog's
 * titration steps and restarts) and the pregnancy-potential section
 * (issue 15, items 5 and 6). Both read per-entry data of the catalog
 * (config/medications.json: "titration", "pregnancy"), validated strictly
 * at load (catalog_rx.c). */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-titration.h"
#endif

/* ------------------------------------------------------------ titration */

/* One step of a label's escalation: from `week` (1-based) until the next
 * step's week, `amount` in the entry's unit every `every_days` days (1: a
 * day; 2: every other day). The last step is the schedule's target. */
typedef struct {
  guint week;
  double amount;
  guint every_days;
} MedTitrationStep;

/* One schedule of a label: the first whose `if_taking` names an ingredient
 * the patient takes applies; the last has none (the standard one). */
typedef struct {
  char *name;       /* "with valproate"; "" for the standard schedule */
  char **if_taking; /* NULL-terminated lower-case ingredients; NULL for the standard one */
  char *on_start;   /* why it matters when one of if_taking is started (a sentence) */
  char *on_stop;    /* ... and when one is stopped while this drug goes on */
  MedTitrationStep *steps;
  guint n_steps;
} MedTitrationSchedule;

struct _MedTitration {
  char *source;             /* short: "FDA label" */
  char *detail;             /* which label and section */
  guint restart_after_days; /* more than this many days without it: start again at step 1 */
  char *restart_detail;     /* the label's words for the restart, and where */
  MedTitrationSchedule *schedules;
  guint n_schedules;
};
typedef struct _MedTitration MedTitration;

/* The schedule that applies when the patient takes `ingredients` (n). */
const MedTitrationSchedule *med_titration_schedule_for (const MedTitration *t,
                                                        const char *const *ingredients, guint n);
/* "weeks 1–2 25 mg every other day, weeks 3–4 25 mg a day, ..., week 6
 * 100 mg a day (target)" (g_free). */
char *med_titration_schedule_text (const MedTitrationSchedule *s, const char *unit);
/* The average amount a day of a dosing (25 mg every other day: 12.5). */
double med_dosing_average_daily (const MedDosing *d);

/* What the record says of the patient's history with the ingredient being
 * ordered (rx_gather_titration.c). Dates are the clinic's calendar dates;
 * an invalid GDate is "none". */
struct _RxTitrationFacts {
  /* The live line: the current order of the ingredient (for a dose change,
   * the one it replaces) and the orders it replaced by dose changes. */
  gboolean live;
  double live_daily;  /* its average amount a day */
  GDate line_started; /* the day the line's first order was written */
  /* Without a live line: the last day the ingredient was stopped, and the
   * average amount a day it was stopped at. */
  GDate last_stopped;
  double stopped_daily;
  /* The diary's dose log of the live line, where the patient keeps one:
   * the last day a dose was taken, and the latest day after it the patient
   * reported doses missed with none taken (invalid: no such run). */
  GDate diary_last_taken;
  GDate diary_missed_until;
};

void rx_titration_facts_free (RxTitrationFacts *facts);
/* "titration-step" (REFUSE): a start above the schedule's first step, a
 * dose increase past the next step or ahead of the weeks since the line
 * started, or any order above the first step after more than
 * restart_after_days days without the drug. "titration-interacting-start"
 * / "titration-interacting-stop" (WARN): an order that starts or stops a
 * drug that changes the schedule of one the patient takes (valproate with
 * lamotrigine). */
void rx_check_titration (const RxCheckFacts *f, GPtrArray *findings);

/* ------------------------------------------------------------ pregnancy */

/* What the label says of pregnancy and breastfeeding for one entry. */
typedef enum {
  MED_PREGNANCY_WARN = 1,   /* warn when the patient can become pregnant / is / nurses */
  MED_PREGNANCY_PREVENTION, /* valproate: the pregnancy prevention programme (refuses) */
} MedPregnancyAction;

struct _MedPregnancy {
  MedPregnancyAction action;
  gboolean warn_potential; /* warn whenever the patient can become pregnant (a teratogen) */
  gboolean warn_pregnant;  /* warn when the patient is pregnant */
  char *pregnancy;         /* the label's words: what the risk is */
  char *lactation;         /* the label's words on breastfeeding; NULL: no warning */
  char *source;            /* label and section, e.g. "FDA label (Paxil), 8.1" */
};
typedef struct _MedPregnancy MedPregnancy;

/* The patient's pregnancy potential as last recorded
 * (GET /api/patients/:patient/reproductive). Strings owned. */
typedef struct {
  char *sex_at_birth;  /* female | male | intersex | unknown */
  char *unable_reason; /* documented as unable to become pregnant (why); NULL: not */
  char *pregnancy;     /* pregnant | not-pregnant | unknown */
  GDate pregnancy_checked;
  char *breastfeeding; /* yes | no | unknown */
  char *contraception; /* the method, NULL when none recorded */
  gboolean highly_effective;
  GDate counselled; /* valproate risk counselling; invalid when none */
  char *counselled_by;
} RxReproductive;

void rx_reproductive_clear (RxReproductive *r);
/* Whether the record says the patient can become pregnant: sex at birth
 * female, intersex, unknown (or nothing recorded), and not documented as
 * unable. */
gboolean rx_can_become_pregnant (const RxReproductive *r);
/* The valproate counselling counts for this long (the pregnancy prevention
 * programme's annual review: MHRA 2018 / EMA 2018). */
#define RX_VALPROATE_COUNSELLING_DAYS 365

struct _RxPregnancyFacts {
  gboolean recorded; /* FALSE: nothing recorded (sex unknown, nothing documented) */
  RxReproductive r;
};

void rx_pregnancy_facts_free (RxPregnancyFacts *facts);
/* "valproate-pregnancy" (REFUSE): valproate while pregnant.
 * "valproate-pregnancy-prevention" (REFUSE): valproate for a patient who can
 * become pregnant without both counselling within a year and a highly
 * effective contraception method on record. "pregnancy-risk" (WARN) and
 * "lactation-risk" (WARN): the other entries' label data. */
void rx_check_pregnancy (const RxCheckFacts *f, GPtrArray *findings);
