/* rx-dispense.h — the dispensing section of records-rx.h: refills by DEA
 * schedule, the schedule II series, the prescriber's DEA registration and
 * the prescription-drug-monitoring-program (PDMP) check. Pure: the API
 * gathers the facts (server/api/rx_gather_dispense.c). */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-dispense.h"
#endif

/* DEA schedules a registration covers, as DEA writes them on a certificate:
 * 2 (schedule II narcotic), 2N (II non-narcotic), 3, 3N, 4, 5. */
typedef enum {
  RX_DEA_2 = 1 << 0,
  RX_DEA_2N = 1 << 1,
  RX_DEA_3 = 1 << 2,
  RX_DEA_3N = 1 << 3,
  RX_DEA_4 = 1 << 4,
  RX_DEA_5 = 1 << 5,
} RxDeaSchedule;

/* "2,2N,3,3N,4,5" (any order, no repeats) into a mask. FALSE + INVALID with
 * a sentence naming the bad item. */
gboolean rx_dea_schedules_parse (const char *text, guint *mask, GError **error);
/* The mask written back in DEA's order: "2, 2N, 3N" (g_free). */
char *rx_dea_schedules_text (guint mask);
/* A DEA registration number: two letters (the registrant type: A, B, F, G
 * or M for practitioners; then the first letter of the registrant's last
 * name, or 9), seven digits, the last a check digit: the sum of the 1st,
 * 3rd and 5th digits plus twice the sum of the 2nd, 4th and 6th ends in
 * the 7th (DEA Diversion Control Division; 21 CFR 1301.11). FALSE +
 * INVALID naming the rule broken. */
gboolean rx_dea_number_valid (const char *number, GError **error);
/* The DEA code an order of m needs: 2N for a schedule II non-narcotic (the
 * stimulants), 2 for a narcotic (21 U.S.C. 802(17): the opioids), ...; 0
 * for a medicine that is not controlled. */
RxDeaSchedule rx_dea_schedule_needed (const Medication *m);

/* One of the prescriber's registrations. */
typedef struct {
  char *state;  /* USPS code */
  char *number; /* "AB1234563" */
  guint schedules;
  GDate expires; /* its last valid day */
} RxDeaRegistration;

/* How recent a PDMP check must be: the clinic's policy ([prescribing]
 * pdmp_max_days). Many states require a check before each controlled
 * prescription (e.g. New York, Public Health Law 3343-a); 7 days is a
 * common outer limit where the law allows a window. */
#define RX_PDMP_MAX_DAYS_DEFAULT 7

/* A C-II series: up to 3 prescriptions written together, 21 CFR 1306.12(b). */
#define RX_SERIES_MAX 3
#define RX_SERIES_MAX_DAYS 90

struct _RxDispenseFacts {
  char *patient_state;    /* the patient's region on record; NULL: none */
  char *prescriber_name;  /* for sentences */
  RxDeaRegistration *dea; /* the prescriber's (the co-signer's at co-signature) */
  guint n_dea;
  /* The patient's most recent PDMP check of patient_state (not after now). */
  gboolean pdmp_found;
  gint64 pdmp_at_ms;
  char *pdmp_by;       /* who checked, for sentences */
  guint pdmp_max_days; /* 0: RX_PDMP_MAX_DAYS_DEFAULT */
  GDate earliest_fill; /* the order's; invalid: none (fill at once) */
  guint n_series;      /* a schedule II series: 2..3; 0: one prescription */
  GDate series[RX_SERIES_MAX];
};

RxDispenseFacts *rx_dispense_facts_new (void);
void rx_dispense_facts_free (RxDispenseFacts *facts);
/* Adds a registration (copies the strings). */
void rx_dispense_facts_add_dea (RxDispenseFacts *facts, const char *state, const char *number,
                                guint schedules, const GDate *expires);

/* The rules, each RX_REFUSE (no override: the law, not a judgment call):
 *  "c2-no-refills"   — schedule II with refills (21 CFR 1306.12(a));
 *  "c2-series"       — a series that is not schedule II, has more than 3
 *                      prescriptions or 90 days in all, or dates out of
 *                      order, overlapping or before today (21 CFR 1306.12(b));
 *  "c3-5-refills"    — schedule III to V with more than 5 refills
 *                      (21 CFR 1306.22(a));
 *  "c3-6-months"     — schedule III to V refills past 6 months from the date
 *                      written (21 CFR 1306.22(a));
 *  "dea-registration" — a controlled order without the prescriber's DEA
 *                      registration for the patient's state covering its
 *                      schedule, valid today (21 CFR 1301.12, 1306.03);
 *  "pdmp-check"      — a controlled order without a PDMP check of the
 *                      patient's state within pdmp_max_days (state law; the
 *                      window is the clinic's policy).
 * Non-controlled orders: at most 11 refills, as before (med_dispense_check). */
void rx_check_dispense (const RxCheckFacts *f, GPtrArray *findings);
