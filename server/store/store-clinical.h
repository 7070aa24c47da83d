/* store-clinical.h — part of the store's face: the clinical record
 * (check-ins, notes, medication orders, the audit log). Other parts include
 * server/store/store.h, which includes this file where these declarations
 * belong; it is not a face of its own. */
#pragma once

#if !defined(TH_STORE_H_INSIDE)
#error "include server/store/store.h, not store-clinical.h"
#endif

/* ============================================================ clinical */
/* Migration 2 adds: medications (a copy of the catalog, so orders can
 * reference it), patients.in_person_eval_at, check-ins with their scales and
 * side effects, follow-up notes, medication orders with an append-only
 * event log, and a hash-chained audit log. Nothing clinical is updated in
 * place: changes are new rows. */

/* Copies the catalog into the medications table (insert or update by id),
 * one transaction. Called at start. */
typedef struct {
  const char *id, *name, *rxnorm, *drug_class, *schedule, *unit;
  const char *strengths_json; /* e.g. "[25,50,100]" */
} StoreMedicationRow;
gboolean store_sync_medications (Store *store, const StoreMedicationRow *rows, guint n_rows,
                                 GError **error);

/* staff.supervising_psychiatrist_id for a PA (NULL to clear). INVALID unless
 * the supervisor is a psychiatrist and the staff member a pa. */
gboolean store_set_staff_supervisor (Store *store, const char *staff_id, const char *supervisor_id,
                                     GError **error);
/* Returns the supervisor id; NULL with no error when the staff member has
 * none, NULL with NOT_FOUND when there is no such staff member, NULL with
 * SQL when it cannot be read. */
char *store_get_staff_supervisor (Store *store, const char *staff_id, GError **error);

/* The patient's last in-person evaluation: a calendar date, stored as
 * YYYY-MM-DD (it has no time of day). An invalid (cleared) date = none on
 * record: set clears it, get returns it so. */
gboolean store_set_in_person_evaluation (Store *store, const char *patient_id, const GDate *date,
                                         GError **error);
gboolean store_get_in_person_evaluation (Store *store, const char *patient_id, GDate *date,
                                         GError **error);
/* "video" | "audio-only"; records nothing in the timeline. */
gboolean store_set_visit_modality (Store *store, const char *visit_id, const char *modality,
                                   GError **error);

/* ---- check-ins (the patient's answers before the visit) */

typedef struct {
  char *scale; /* "phq9" | "gad7" | "asrs_a" | "asrs18" */
  gint items[18];
  guint n_items;
  guint total;
  char *band;
  gboolean alert;
  gboolean positive;
} StoreScaleResult;

typedef struct {
  char *name;     /* free text from a fixed list on the page, e.g. "nausea" */
  guint severity; /* 0..3 */
} StoreSideEffect;

/* Doses of one current medication missed in the last 14 days. */
typedef struct {
  char *order_id; /* the order active when the patient answered */
  guint missed;
  guint max_missed; /* its administrations per day x 14, at check-in time */
  /* read back only: what the order prescribes */
  char *medication_name;
  double dose;
  char *unit;
  char *frequency;
} StoreMissedDose;

typedef struct {
  char *id;
  char *visit_id;
  gint64 submitted_at_ms;
  gint missed_doses_14d;   /* check-ins before per-medication counts: one number for all
                             medications; -1 = not answered (every newer check-in) */
  GPtrArray *missed_doses; /* StoreMissedDose* (owned), per medication */
  GPtrArray *scales;       /* StoreScaleResult* (owned) */
  GPtrArray *side_effects; /* StoreSideEffect* (owned) */
} StoreCheckin;

void store_checkin_clear (StoreCheckin *checkin);
StoreCheckin *store_checkin_new (void); /* scales, side_effects, missed_doses allocated, empty */
void store_missed_dose_free (StoreMissedDose *m);
void store_checkin_free (StoreCheckin *checkin);
/* Saves a new check-in for the visit (a later one supersedes, nothing is
 * overwritten). Returns the new id. Each missed-dose count must name an order
 * of the visit's patient, at most once, with missed <= max_missed (INVALID). */
char *store_save_checkin (Store *store, const char *visit_id, const StoreCheckin *checkin,
                          GError **error);
/* The latest check-in of the visit; NOT_FOUND when none, SQL when it (or
 * any of its parts: scales, side effects, missed doses) cannot be read. */
gboolean store_get_latest_checkin (Store *store, const char *visit_id, StoreCheckin *out,
                                   GError **error);

typedef struct {
  char *visit_id;
  gint64 scheduled_at_ms;
  char *scale;
  guint total;
  char *band;
  gboolean alert;
  gint items[18]; /* the answers, for scores derived from them (subscales) */
  guint n_items;
} StoreScorePoint;
void store_score_point_free (StoreScorePoint *point);
/* The total of each scale of the latest check-in of each of the patient's
 * visits, oldest visit first. */
GPtrArray *store_patient_score_history (Store *store, const char *patient_id, GError **error);

/* ---- notes (append-only) */

typedef struct {
  char *id;
  char *visit_id;
  char *author_id;
  char *author_name;
  gint64 at_ms;
  char *text;
} StoreNote;
void store_note_free (StoreNote *note);
char *store_add_note (Store *store, const char *visit_id, const char *author_id, const char *text,
                      GError **error);
char *store_add_note_at (Store *store, const char *visit_id, const char *author_id,
                         const char *text, gint64 at_ms, GError **error);
GPtrArray *store_list_notes (Store *store, const char *visit_id, GError **error);

/* ---- medication orders */
/* An order is never changed once written. Its status is derived from its
 * append-only events: "pending" (a PA's order before co-signature), then
 * "cosigned"; "stopped" with a reason; "entered-in-error" with a reason;
 * "declined" (a PA's pending order the supervisor declined, with a reason);
 * "restored" (active again after the replacement that stopped it was entered
 * in error: a later stop counts again); "acknowledged" (the supervisor has
 * seen a PA's stop; the status does not change).
 * Derived status: entered-in-error > declined > stopped (since the last
 * restore) > pending (not cosigned) > active. */

/* AdjustmentKind and its wire names are the rules' (records.h). */

typedef struct {
  AdjustmentKind kind;
  const char *visit_id;
  const char *prescriber_id;
  gboolean pending;              /* TRUE: the new order waits for co-signature, and the
                                   order it replaces stays active until then */
  const char *reason;            /* required, 1..1000 chars */
  const char *replaces_order_id; /* stop, change-dose, switch: the active order acted on */
  /* start, change-dose, switch: the new order */
  const char *medication_id;
  double dose;
  const char *unit;
  const char *frequency;
  const char *route;
  /* Since schema 6 (all optional: 0 / NULL = none) */
  double second_dose;       /* morning-and-bedtime: the bedtime amount */
  guint prn_max_per_day;    /* as-needed: the most doses a day */
  guint supply_days;        /* dispense: days of supply */
  guint refills;            /* dispense: repeats allowed */
  double dispense_quantity; /* dispense: units of the dose form */
  const char *snapshot;     /* the catalog entry prescribed against (JSON object) */
  GTimeZone *time_zone;     /* the clinic's, for dates in a refusal; NULL = UTC */
  /* Since schema 22: what the prescribing safety check found (RxFinding;
   * warn and major ones are kept with the order) and the prescriber's
   * override reason for the major ones. NULL: none. */
  const GPtrArray *checks;
  const char *override_reason;
  /* The patient's condition the new order treats (an active one; checked in
   * the transaction), NULL: none. */
  const char *condition_id;
  /* Since schema 24 (store-rx.h): earliest fill date, pharmacy, renewal,
   * a schedule II series. NULL: none. */
  const struct _StoreOrderRx *rx;
} StoreAdjustment;

/* order_checks.c: what the safety check found on an order (schema 22). */
typedef struct {
  char *stage;    /* written | cosign */
  char *rule;     /* the finding's rule code */
  char *severity; /* warn | major */
  char *title;
  char *message;
  char *source;
  char *override_reason; /* a major finding's, else NULL */
  char *by_staff_id;     /* who wrote (or co-signed) the order */
  char *by_name;
  gint64 at_ms;
} StoreOrderCheck;
void store_order_check_free (gpointer check);
/* An order's checks, oldest first (a GPtrArray of StoreOrderCheck). */
GPtrArray *store_list_order_checks (Store *store, const char *order_id, GError **error);

typedef struct _StoreOrderRxRead StoreOrderRxRead; /* store-rx.h */

typedef struct {
  char *id;
  char *patient_id;
  char *visit_id;
  char *prescriber_id;
  char *prescriber_name;
  char *medication_id;
  char *medication_name;
  char *rxnorm;
  double dose;
  char *unit;
  char *frequency;
  char *route;
  char *action; /* start | change-dose | switch: why this order exists */
  char *reason;
  char *replaces_order_id; /* NULL for a start */
  gint64 created_at_ms;
  char *status;              /* derived: active | pending | stopped | entered-in-error |
                                   declined */
  gint64 status_at_ms;       /* when the status was reached */
  char *status_reason;       /* stop / error / decline reason */
  char *status_by;           /* staff id who stopped, declined or marked it (NULL otherwise) */
  char *status_by_name;      /* their display name */
  char *stopped_by_order_id; /* stopped: the replacement that stopped it, NULL for a pure stop */
  char *cosigned_by;         /* staff id, when co-signed */
  gint64 cosigned_at_ms;     /* when co-signed (0 when not) */
  char *cosigned_by_name;    /* the co-signer's display name, when co-signed */
  gboolean initially_pending; /* written by a PA: it needed a co-signature */
  char *visit_modality;      /* video | audio-only when drafted (NULL: older orders) */
  /* Since schema 6; 0 / NULL on older orders */
  double second_dose;
  guint prn_max_per_day;
  guint supply_days;
  guint refills;
  double dispense_quantity;
  char *snapshot; /* JSON object: the catalog entry as prescribed */
  GPtrArray *checks; /* StoreOrderCheck: what the safety check found (schema 22), never NULL
                        on an order the store read */
  char *condition_id; /* the patient's condition it treats (store-problems.h); NULL: none */
  StoreOrderRxRead *rx; /* what it dispenses (schema 24, store-rx.h), never NULL on an order
                           the store read */
} StoreOrder;
void store_order_free (StoreOrder *order);
/* The order as the adjustment rules read it (records.h); points into o. */
void store_order_facts (const StoreOrder *o, OrderFacts *out);
/* The same for each order of a GPtrArray of StoreOrder (g_free the array;
 * it points into the orders). */
OrderFacts *store_orders_facts (const GPtrArray *orders);

/* Applies one adjustment in one transaction:
 *  start       — a new order (patient from the visit);
 *  stop        — a "stopped" event on replaces_order_id with the reason;
 *  change-dose — a new order for the same medication replacing it; the old is stopped
 *                (at once, or at co-signature when pending);
 *  switch      — the same, to another medication.
 * INVALID (nothing written) when replaces_order_id is not an active order of the
 * visit's patient, a change-dose names another medication, a switch names the same
 * one, a start duplicates an active order of the same medication, or the medication
 * is not in the catalog table. Returns the new order; for a stop, the stopped
 * order as it now stands. */
StoreOrder *store_apply_adjustment (Store *store, const StoreAdjustment *adjustment,
                                    GError **error);
StoreOrder *store_apply_adjustment_at (Store *store, const StoreAdjustment *adjustment,
                                       gint64 at_ms, GError **error);
/* A pending order becomes active; the order it replaces is stopped. INVALID
 * (nothing written) if not pending, or if the order it replaces is no longer
 * active: co-signing must never bring back a drug someone has stopped. The
 * prescribing rules are the caller's (api_orders.c re-runs them). */
gboolean store_cosign_order (Store *store, const char *order_id, const char *cosigner_id,
                             GError **error);
/* The same, keeping what the safety check found at co-signature (RxFinding;
 * NULL: nothing) with the co-signer's override reason for major ones. */
gboolean store_cosign_order_checked (Store *store, const char *order_id, const char *cosigner_id,
                                     const GPtrArray *checks, const char *override_reason,
                                     GError **error);


/* The supervising psychiatrist declines a PA's pending order with a reason:
 * it never takes effect, and the order it would have replaced stays as it
 * is. INVALID if not pending or not their PA's. */
gboolean store_decline_order (Store *store, const char *order_id, const char *supervisor_id,
                              const char *reason, GError **error);
/* Marks an order entered-in-error with a reason. INVALID if already so. If it
 * was active and had replaced an order that was stopped because of it, that
 * order is active again (a "restored" event), unless another live order of
 * that medication exists; *restored_order_id (may be NULL) gets its id, or
 * NULL when nothing was restored. */
gboolean store_mark_order_entered_in_error (Store *store, const char *order_id,
                                            const char *by_staff_id, const char *reason,
                                            char **restored_order_id, GError **error);
/* Pure stops made by the PAs this psychiatrist supervises that they have not
 * acknowledged yet (the stopped orders, oldest stop first). A PA's stop takes
 * effect at once; this is how the supervisor hears of it. */
GPtrArray *store_list_stops_to_acknowledge (Store *store, const char *supervisor_id,
                                            GError **error);
/* Records that the supervisor has seen their PA's stop of this order. INVALID
 * if the order is not stopped by one of their PAs or is already acknowledged. */
gboolean store_acknowledge_stop (Store *store, const char *order_id, const char *supervisor_id,
                                 GError **error);
gboolean store_get_order (Store *store, const char *order_id, StoreOrder *out, GError **error);
void store_order_clear (StoreOrder *order);
/* Every order of the patient, oldest first (the full history). */
GPtrArray *store_list_patient_orders (Store *store, const char *patient_id, GError **error);
/* The patient's current medications: derived status active, by medication name. */
GPtrArray *store_current_medications (Store *store, const char *patient_id, GError **error);
/* Pending orders written by the PAs this psychiatrist supervises, oldest first. */
GPtrArray *store_list_pending_for_supervisor (Store *store, const char *supervisor_id,
                                              GError **error);
/* Every order with an event in one visit, oldest first: the orders written in
 * it, and earlier orders stopped in it (a stop is the visit's act, and a
 * receiving record must see it). */
GPtrArray *store_list_visit_orders (Store *store, const char *visit_id, GError **error);
/* The patient's visits, oldest first (StoreVisit*). */
GPtrArray *store_list_patient_visits (Store *store, const char *patient_id, GError **error);

/* ---- labs and vital signs (observations.c, migration 19) */

/* A clinic entry to record: recorded_by is the staff member; alert_rule
 * and alert_summary (both or neither) raise a monitoring alert on it in the
 * same transaction, so a toxic level is written with its alert or not at
 * all. */
typedef struct {
  const char *patient_id;
  const char *kind;  /* observation kind code (records.h) */
  const char *loinc; /* NULL when the kind has none */
  double value;
  gboolean has_value2;
  double value2;
  const char *unit;
  gint64 effective_ms;
  const char *recorded_by;
  const char *visit_id; /* NULL: not recorded in a visit */
  const char *interpretation;
  const char *alert_rule;
  const char *alert_summary;
} StoreObservationRecord;

/* INVALID when the visit is not the patient's; *out_id and *out_alert_id
 * (may be NULL; the alert's is NULL when none was raised) get the ids. */
gboolean store_record_observation (Store *store, const StoreObservationRecord *rec, gint64 now_ms,
                                   char **out_id, char **out_alert_id, GError **error);

typedef struct {
  char *id;
  char *kind;
  char *loinc;
  double value;
  gboolean has_value2;
  double value2;
  char *unit;
  gint64 effective_ms;
  gint64 recorded_ms;
  gboolean home;     /* the patient's own reading (source 'patient') */
  char *recorded_by; /* staff id; NULL for a home reading */
  char *recorded_by_name;
  char *visit_id;
  char *interpretation; /* N, L, H, LL, HH or NULL */
  char *alert_id;       /* the monitoring alert it raised, or NULL */
  char *alert_rule;
  char *alert_summary;
  gboolean alert_acknowledged;
} StoreObservation;
void store_observation_free (StoreObservation *obs);
/* The patient's observations, newest first (by when taken, then entered);
 * NOT_FOUND when there is no such patient. visit_id (may be NULL) keeps
 * those recorded in that visit only. */
GPtrArray *store_list_observations (Store *store, const char *patient_id, const char *visit_id,
                                    GError **error);

/* ---- audit log: append-only, hash-chained */
/* Each row's hash = SHA-256(prev_hash || at || actor || action || target || detail),
 * hex; the first row's prev_hash is 64 zeros. detail is JSON text without
 * patient-identifying free text. */
gboolean store_audit_append (Store *store, const char *actor, const char *action,
                             const char *target, const char *detail_json, GError **error);
typedef struct {
  gint64 seq;
  gint64 at_ms;
  char *actor;
  char *action;
  char *target;
  char *detail;
} StoreAuditEvent;
void store_audit_event_free (StoreAuditEvent *event);
/* The newest `limit` events (0 = all), oldest first. */
GPtrArray *store_audit_list (Store *store, guint limit, GError **error);
/* Recomputes the chain; FALSE + INVALID naming the first broken row. */
gboolean store_audit_verify (Store *store, guint *n_rows, GError **error);

/* ---- monitoring alerts and item-9 safety tasks (alerts.c, migration 19) */

typedef struct {
  char *id;
  char *patient_id;
  char *patient_name;
  char *rule; /* "item9", "severe-side-effect", ... */
  char *summary;
  gint64 raised_at_ms;
  char *order_id, *diary_entry_id, *checkin_id, *observation_id; /* the source, may be NULL */
  gint64 acknowledged_at_ms; /* 0: open */
  char *acknowledged_by;
  char *acknowledged_by_name;
  char *ack_note;
} StoreAlert;
void store_alert_free (StoreAlert *alert);
/* Every patient's unacknowledged alerts, newest first, at most `limit`
 * (the caller keeps those it may read). */
GPtrArray *store_list_open_alerts (Store *store, guint limit, GError **error);
/* The patient's alerts: unacknowledged first, then newest first. NOT_FOUND
 * without such a patient. */
GPtrArray *store_list_patient_alerts (Store *store, const char *patient_id, GError **error);
/* NOT_FOUND when absent. */
StoreAlert *store_get_alert (Store *store, const char *alert_id, GError **error);
/* Acknowledges an open alert by `staff_id` with a note (1..1000 characters,
 * else INVALID); an alert already acknowledged is STORE_ERROR_EXPIRED (the
 * moment for it has passed: answer 409), absent NOT_FOUND. */
gboolean store_acknowledge_alert (Store *store, const char *alert_id, const char *staff_id,
                                  const char *note, gint64 now_ms, GError **error);

typedef struct {
  char *id;
  char *patient_id;
  gint64 opened_at_ms;
  guint item9; /* the answer that opened it, 1..3 */
  char *checkin_id, *diary_entry_id;
  gint64 closed_at_ms; /* 0: open */
  char *closed_by;
  char *closed_by_name;
  char *visit_id;
  char *screen; /* JSON object text: the C-SSRS answers */
  char *risk_level;
  char *suggested_risk;
  char *risk_reason;
  char *plan; /* JSON array text of plan codes */
  char *plan_reason;
  char *location;
} StoreSafetyTask;
void store_safety_task_free (StoreSafetyTask *task);
/* The patient's safety tasks, the open one first, then newest first. */
GPtrArray *store_list_safety_tasks (Store *store, const char *patient_id, GError **error);
StoreSafetyTask *store_get_safety_task (Store *store, const char *task_id, GError **error);
/* Whether the patient has an open safety task. */
gboolean store_safety_task_is_open (Store *store, const char *patient_id, gboolean *open,
                                    GError **error);

typedef struct {
  const char *task_id;
  const char *staff_id;
  const char *visit_id; /* NULL, or a visit of the task's patient (else INVALID) */
  const char *screen_json;
  const char *risk_level;
  const char *suggested_risk;
  const char *risk_reason; /* may be NULL */
  const char *plan_json;
  const char *plan_reason; /* may be NULL */
  const char *location;
} StoreSafetyClose;
/* Closes an open task (validated by the caller: records.h safety_close_valid);
 * already closed is STORE_ERROR_EXPIRED, absent NOT_FOUND. */
gboolean store_close_safety_task (Store *store, const StoreSafetyClose *c, gint64 now_ms,
                                  GError **error);
/* ---- the diary as the record reads it (diary_read.c, migration 19) */

/* One row of the diary: an entry (item9), a dose count (order_id, taken,
 * missed, reason) or a rated side effect (order_id, effect, severity), with
 * its entry's day ("YYYY-MM-DD", the patient's date), when the entry was
 * made, its rowid (the tie-break of two entries made at once) and whether
 * that entry is its day's record (the newest of the day). */
typedef struct {
  char *entry_id;
  char *day;
  gint64 made_at_ms;
  gint64 seq;
  gboolean days_record;
  gint item9; /* entries: 0..3, -1 when not answered */
  char *order_id;
  guint taken, missed;
  char *reason; /* forgot | side-effect | ran-out | chose-not-to | NULL */
  char *effect;
  guint severity; /* 0 none .. 3 severe */
} StoreDiaryRow;
void store_diary_row_free (StoreDiaryRow *row);

typedef struct {
  GPtrArray *entries; /* StoreDiaryRow*, by day, then as made */
  GPtrArray *doses;
  GPtrArray *effects;
} StoreDiary;
void store_diary_clear (StoreDiary *diary);
/* The patient's diary for days [from_day, to_day] (either NULL: open), every
 * entry (superseded ones too, marked), one snapshot. */
gboolean store_read_diary (Store *store, const char *patient_id, const char *from_day,
                           const char *to_day, StoreDiary *out, GError **error);
/* When the patient's last visit that took place began (it went in progress),
 * leaving out `except_visit_id` (may be NULL); *out_ms = -1 when none.
 * *visit_id (may be NULL; g_free) gets that visit. */
gboolean store_last_visit_held (Store *store, const char *patient_id, const char *except_visit_id,
                                gint64 *out_ms, char **visit_id, GError **error);
/* The per-medication missed doses (StoreMissedDose*: order_id, missed,
 * max_missed) of the patient's newest check-in submitted at or after
 * since_ms that has any, in a visit other than except_visit_id (the last
 * visit's own check-in speaks of the weeks before it), and when it was
 * submitted (-1 and an empty array when none). */
GPtrArray *store_latest_checkin_missed (Store *store, const char *patient_id, gint64 since_ms,
                                        const char *except_visit_id, gint64 *submitted_at_ms,
                                        GError **error);
