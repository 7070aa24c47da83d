/* store.h — the sqlite store: one file, WAL, foreign keys on, numbered
 * migrations tracked in PRAGMA user_version. Used from the main thread only.
 *
 * Times cross this interface as unix milliseconds (UTC) and are stored as
 * ISO 8601 UTC text with milliseconds ("2026-11-27T12:00:00.000Z"), which
 * sorts correctly as text.
 *
 * Errors are reported in STORE_ERROR with a StoreErrorCode.
 *
 * Absent is not failed. A lookup of one row returns FALSE (or NULL) with
 * STORE_ERROR_NOT_FOUND when the row does not exist, and with another code
 * (STORE_ERROR_SQL: sqlite failed, or a stored value is corrupt) when the
 * store could not answer; a list is NULL only on failure (empty when there
 * is nothing), NOT_FOUND when the row it belongs to is absent. Where a
 * function says "NULL with no error when none", NULL alone means absent and
 * the error tells a failure. So callers must pass a GError to tell them
 * apart: a failure shown as "none" would hide a check-in, an order or an
 * alert. Error messages name the statement and sqlite's complaint, never a
 * value, so they may be logged.
 */
#pragma once

#include <glib.h>

#include "server/records/records.h" /* AdjustmentKind, OrderFacts: the adjustment rules */

G_BEGIN_DECLS

#define STORE_ERROR (store_error_quark ())
GQuark store_error_quark (void);

typedef enum {
  STORE_ERROR_SQL,       /* sqlite failed; message says which statement */
  STORE_ERROR_NOT_FOUND, /* no such row */
  STORE_ERROR_INVALID,   /* the change breaks a rule (bad transition, bad role, ...) */
  STORE_ERROR_EXPIRED,   /* a token outside its validity window */
  STORE_ERROR_SCHEMA,    /* the file's schema is newer than this program */
  STORE_ERROR_BUSY,      /* another process held the database past the busy timeout:
                             * nothing was changed; try again (HTTP 503) */
} StoreErrorCode;

typedef struct _Store Store;

/* Opens (creating if needed) the database file and migrates it to the
 * current schema, each migration in its own transaction. */
Store *store_open (const char *path, GError **error);
void store_close (Store *store);
/* How long a statement waits for another process's write lock before
 * failing with STORE_ERROR_BUSY. store_open sets 5 s (right for the admin
 * CLI, which has nothing else to do); the server sets a short one, because
 * it waits on its only thread (see main.c). */
void store_set_busy_timeout (Store *store, guint ms);
int store_schema_version (Store *store); /* PRAGMA user_version */
int store_latest_schema_version (void);

gint64 store_now_ms (void); /* wall clock, unix ms */

/* ------------------------------------------------------------ visits */

typedef enum {
  VISIT_SCHEDULED,
  VISIT_WAITING,     /* a patient is in the waiting room */
  VISIT_IN_PROGRESS, /* admitted: the call is on */
  VISIT_ENDED,
} VisitState;

const char *
visit_state_name (VisitState state); /* "scheduled" | "waiting" | "in_progress" | "ended" */
gboolean visit_state_from_name (const char *name, VisitState *out);
/* scheduled → waiting → in_progress → ended; scheduled → in_progress (provider
 * admits at once); waiting → scheduled (the only waiting patient left);
 * any non-ended → ended. Same → same is not a transition. */
gboolean visit_state_transition_allowed (VisitState from, VisitState to);

typedef enum {
  PARTICIPANT_PATIENT,
  PARTICIPANT_PROVIDER,
  PARTICIPANT_GUEST,
} ParticipantRole;

const char *participant_role_name (ParticipantRole role); /* "patient" | "provider" | "guest" */

typedef struct {
  char *id; /* uuid */
  char *patient_id;
  char *patient_name;
  char *provider_id;
  char *provider_name;
  gint64 scheduled_at_ms;
  VisitState state;
  char *modality; /* "video" | "audio-only" */
  gint64 created_at_ms;
} StoreVisit;

void store_visit_clear (StoreVisit *visit);
void store_visit_free (StoreVisit *visit);

typedef struct {
  gint64 at_ms;
  char *kind;  /* "state" | "join" | "admit" | "drop" | "return" | "leave" | "connect-trouble" */
  char *state; /* for kind "state": the new state name; else NULL */
  char *participant_id; /* for the others: who; else NULL */
  char *role;           /* the participant's role name; else NULL */
  char *reason; /* for kind "state": why, when not a person's act ("abandoned"); else NULL */
} StoreVisitEvent;

void store_visit_event_free (StoreVisitEvent *event);

typedef struct {
  char *id;
  char *visit_id;
  ParticipantRole role;
  char *display_name;
  char *person_id; /* patient id or staff id; NULL for guests */
} StoreParticipant;

void store_participant_clear (StoreParticipant *participant);

/* ------------------------------------------------------------ people */

/* staff roles: psychiatrist | pmhnp | pa | pcp | admin */
char *store_create_staff (Store *store, const char *display_name, const char *role, GError **error);
char *store_create_patient (Store *store, const char *display_name, GError **error);
/* Fills display name; FALSE + NOT_FOUND if absent. Either out may be NULL. */
gboolean store_get_staff (Store *store, const char *staff_id, char **display_name, char **role,
                          GError **error);
gboolean store_get_patient (Store *store, const char *patient_id, char **display_name,
                            GError **error);
/* The patient's birth date, a calendar date "YYYY-MM-DD" (NULL clears it);
 * INVALID for anything else. *out is NULL when none is on record. */
gboolean store_set_patient_birth_date (Store *store, const char *patient_id, const char *date,
                                       GError **error);
gboolean store_get_patient_birth_date (Store *store, const char *patient_id, char **out,
                                       GError **error);

/* Creates the visit in state "scheduled" (recording that first state in the
 * timeline) with a participant row for the patient and one for the provider,
 * all in one transaction. Returns the visit id. */
char *store_create_visit (Store *store, const char *patient_id, const char *provider_id,
                          gint64 scheduled_at_ms, GError **error);
/* The *_at variants record the act at `at_ms` instead of the clock's now:
 * for history written after the fact (the demo's past visits), never for
 * what happens now. */
char *store_create_visit_at (Store *store, const char *patient_id, const char *provider_id,
                             gint64 scheduled_at_ms, gint64 at_ms, GError **error);

/* A new visit as the clinic books it: for an existing patient (patient_id)
 * or a new one (new_patient_name), with its modality (NULL: video) and the
 * patient's join link valid in [link_not_before_ms, link_not_after_ms]. */
typedef struct {
  const char *patient_id;
  const char *new_patient_name;
  const char *provider_id;
  gint64 scheduled_at_ms;
  const char *modality;
  gint64 link_not_before_ms;
  gint64 link_not_after_ms;
} StoreVisitBooking;

typedef struct {
  char *visit_id;
  char *patient_id;
  char *patient_token; /* the patient's join token: handed out once, never stored */
} StoreBookedVisit;

void store_booked_visit_clear (StoreBookedVisit *booked);
/* Writes the booking in one transaction: the new patient (if any), the
 * visit as store_create_visit does, its modality and the patient's join
 * token. All of it or nothing: INVALID (a bad name, modality or window),
 * NOT_FOUND (no such patient or provider) or SQL, with nothing written. */
gboolean store_book_visit (Store *store, const StoreVisitBooking *booking, StoreBookedVisit *out,
                           GError **error);
gboolean store_get_visit (Store *store, const char *visit_id, StoreVisit *out, GError **error);
/* Visits of one provider (NULL: every provider, for admins) scheduled in
 * [from_ms, to_ms), by scheduled time. */
GPtrArray *store_list_provider_visits (Store *store, const char *provider_id, gint64 from_ms,
                                       gint64 to_ms, GError **error); /* of StoreVisit* */
/* Moves the visit to `to` if visit_state_transition_allowed(), recording a
 * "state" event, in one transaction. INVALID otherwise (nothing written). */
gboolean store_set_visit_state (Store *store, const char *visit_id, VisitState to, GError **error);
gboolean store_set_visit_state_at (Store *store, const char *visit_id, VisitState to, gint64 at_ms,
                                   GError **error);
/* Records a join / admit / drop / return / leave event for a participant of
 * the visit (drop: the connection went without leaving; return: back within
 * the grace period). */
gboolean store_record_participant_event (Store *store, const char *visit_id,
                                         const char *participant_id, const char *event,
                                         GError **error);
/* Ends a visit that is still in progress because everyone left it
 * (abandoned.c): the state and an "ended" event with reason "abandoned", in
 * one transaction. *ended is FALSE (and nothing is written) when the visit
 * is no longer in progress: someone ended it meanwhile. */
gboolean store_end_abandoned_visit (Store *store, const char *visit_id, gboolean *ended,
                                    GError **error);
/* The ids (char*) of every visit in progress: after a restart nobody is in
 * them, so each may be abandoned. */
GPtrArray *store_visits_in_progress (Store *store, GError **error);
GPtrArray *store_visit_timeline (Store *store, const char *visit_id,
                                 GError **error); /* of StoreVisitEvent* */

gboolean store_get_participant (Store *store, const char *participant_id, StoreParticipant *out,
                                GError **error);
/* The participant row of `visit_id` with role `role` (first one for guests). */
gboolean store_find_visit_participant (Store *store, const char *visit_id, ParticipantRole role,
                                       StoreParticipant *out, GError **error);

/* ------------------------------------------------------------ tokens */
/* Tokens are 256-bit random (OpenSSL RAND_bytes), handed out once as
 * base64url text without padding, stored only as SHA-256 hashes, and
 * compared in constant time. */

/* A join link token for one participant of one visit, valid in
 * [not_before_ms, not_after_ms]. Returns the plaintext token. */
char *store_issue_join_token (Store *store, const char *participant_id, gint64 not_before_ms,
                              gint64 not_after_ms, GError **error);
/* Resolves a join token at time now_ms into its participant. NOT_FOUND for an
 * unknown or revoked token, EXPIRED outside its window. */
gboolean store_resolve_join_token (Store *store, const char *token, gint64 now_ms,
                                   StoreParticipant *out, GError **error);
/* A join token's participant and window [*not_before_ms, *not_after_ms]
 * whatever the time: the join page asks what its link is for before it opens
 * and after it closed. NOT_FOUND for an unknown or revoked token. */
gboolean store_inspect_join_token (Store *store, const char *token, StoreParticipant *out,
                                   gint64 *not_before_ms, gint64 *not_after_ms, GError **error);

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
} StoreAdjustment;

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
  char *visit_modality;      /* video | audio-only when drafted (NULL: older orders) */
  /* Since schema 6; 0 / NULL on older orders */
  double second_dose;
  guint prn_max_per_day;
  guint supply_days;
  guint refills;
  double dispense_quantity;
  char *snapshot; /* JSON object: the catalog entry as prescribed */
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

/* ============================================================ accounts */
/* Migration 3 adds staff credentials (username, scrypt hash, disabled),
 * sessions (stored as SHA-256 of the 256-bit id, with last activity), and
 * failed sign-in attempts (per username and per address). */

typedef struct {
  char *id;
  char *username; /* NULL when the account has no credentials yet */
  char *display_name;
  char *role;
  char *supervisor_id;
  gboolean disabled;
  gint64 created_at_ms;
} StoreStaffAccount;
void store_staff_account_free (StoreStaffAccount *account);

/* Sets username and password hash (the hash text from th_password_hash).
 * INVALID when the username (3..64 chars of [a-z0-9._-]) is malformed or taken. */
gboolean store_set_staff_credentials (Store *store, const char *staff_id, const char *username,
                                      const char *password_hash, GError **error);
gboolean store_set_staff_password (Store *store, const char *staff_id, const char *password_hash,
                                   GError **error);
gboolean store_set_staff_disabled (Store *store, const char *staff_id, gboolean disabled,
                                   GError **error);
/* The account behind a username; NOT_FOUND when none. */
gboolean store_find_staff_by_username (Store *store, const char *username, StoreStaffAccount *out,
                                       char **password_hash, GError **error);
gboolean store_get_staff_account (Store *store, const char *staff_id, StoreStaffAccount *out,
                                  GError **error);
void store_staff_account_clear (StoreStaffAccount *account);
GPtrArray *store_list_staff (Store *store, GError **error); /* StoreStaffAccount*, by name */

/* A new session for the staff member; returns the 256-bit id as base64url
 * (the only time it exists in clear). */
char *store_create_session (Store *store, const char *staff_id, const char *address, gint64 now_ms,
                            GError **error);
/* The staff id of a live session, marking it active at now_ms. A session idle
 * longer than idle_ms is ended (reason "idle") and reported EXPIRED; an
 * unknown or ended one NOT_FOUND; a disabled account's NOT_FOUND too. */
char *store_resolve_session (Store *store, const char *session_id, gint64 now_ms, gint64 idle_ms,
                             GError **error);
/* The same; with `touch` FALSE the session is checked but not marked active
 * (a page's own polling must not defeat the idle logoff). */
char *store_resolve_session_full (Store *store, const char *session_id, gint64 now_ms,
                                  gint64 idle_ms, gboolean touch, GError **error);
/* Ends one session (reason: "logout", "idle", "disabled", "password-reset"). */
gboolean store_end_session (Store *store, const char *session_id, const char *reason,
                            GError **error);
/* Ends every live session of the staff member; returns how many. */
guint store_end_staff_sessions (Store *store, const char *staff_id, const char *reason,
                                GError **error);

/* Failed sign-ins. `kind` is "account" (key = username, as typed, lowercased),
 * "address" (key = the client's IP address) or "network" (key = the client's
 * network, th_throttle_network: an IPv6 /64). */
gboolean store_record_login_failure (Store *store, const char *username, const char *address,
                                     gint64 now_ms, GError **error);
/* The same, with the client's network (may be NULL). */
gboolean store_record_login_failure_from (Store *store, const char *username, const char *address,
                                          const char *network, gint64 now_ms, GError **error);
/* Failures for the key since since_ms, and the time of the newest (0 if
 * none); 0 with `error` set when they cannot be counted. */
guint store_count_login_failures (Store *store, const char *kind, const char *key, gint64 since_ms,
                                  gint64 *latest_ms, GError **error);
/* A successful sign-in forgets the account's failures (not the address's). */
gboolean store_clear_login_failures (Store *store, const char *username, GError **error);
/* Counts one throttled attempt of `network` in the window that started at
 * window_start_ms, by `verdict` ("slow-down" or "locked"); *attempts gets
 * the count so far (1: the first, which the caller audits; the rest are
 * only counted). */
gboolean store_note_throttled (Store *store, const char *network, gint64 window_start_ms,
                               const char *verdict, gint64 now_ms, guint *attempts, GError **error);
/* The throttled attempts counted for `network` in that window, both
 * verdicts together (0: none). */
guint store_count_throttled (Store *store, const char *network, gint64 window_start_ms,
                             GError **error);

/* ---- guests: a family member or interpreter, with a link of their own */

/* A guest participant of the visit; returns the participant id. */
char *store_add_guest (Store *store, const char *visit_id, const char *display_name,
                       GError **error);
/* Revokes every join token of the participant (revoked_at = now). */
gboolean store_revoke_participant_tokens (Store *store, const char *participant_id, GError **error);
typedef struct {
  StoreParticipant participant;
  gboolean revoked; /* every token of theirs is revoked */
} StoreGuest;
void store_guest_free (StoreGuest *guest);
GPtrArray *store_list_visit_guests (Store *store, const char *visit_id, GError **error);

/* ---- the visit as lived (issue 7): chat, consent, modality switches */

#define STORE_CHAT_MAX_CHARS 2000
#define STORE_CONSENT_VERSION_MAX 64

/* One entry of a visit's activity: kind "chat" (text), "consent" (value
 * accepted | declined, version) or "modality" (value video | audio-only). */
typedef struct {
  gint64 id; /* row id within its kind */
  gint64 at_ms;
  char *kind;
  char *participant_id;
  char *role; /* patient | provider | guest */
  char *display_name;
  char *text;    /* chat only */
  char *value;   /* consent decision or modality */
  char *version; /* consent only: the consent text's version */
} StoreActivity;

void store_activity_free (StoreActivity *activity);

/* Stores a chat message of a participant of the visit (1..2000 characters,
 * not blank). INVALID when the visit has ended or the participant is not
 * one of its own. Returns the stored row (free with store_activity_free). */
StoreActivity *store_add_chat (Store *store, const char *visit_id, const char *participant_id,
                               const char *text, GError **error);
/* The visit's chat, oldest first; NOT_FOUND when there is no such visit. */
GPtrArray *store_list_chat (Store *store, const char *visit_id, GError **error);
/* Records a participant's answer to the consent text of `version`. */
StoreActivity *store_record_consent (Store *store, const char *participant_id, gboolean accepted,
                                     const char *version, GError **error);
/* The participant's newest answer, or NULL with NOT_FOUND when none. */
StoreActivity *store_latest_consent (Store *store, const char *participant_id, GError **error);
/* Switches the visit to `modality` (video | audio-only), recording who did
 * it, in one transaction. INVALID when the visit has ended. */
gboolean store_change_modality (Store *store, const char *visit_id, const char *participant_id,
                                const char *modality, GError **error);
/* Chat, consent answers and modality switches of the visit, oldest first. */
GPtrArray *store_visit_activity (Store *store, const char *visit_id, GError **error);

/* ------------------------------------------------------------ patients */
/* patients.c: a patient's details as the front desk keeps them. Values are
 * checked by the API (api-bodies.h); the store keeps them as given. */

typedef struct {
  char *id;
  char *name;       /* display name */
  char *birth_date; /* YYYY-MM-DD or NULL (patients of earlier versions) */
  char *mrn;        /* each of these NULL when none is on record */
  char *email;
  char *phone; /* E.164 */
  char *time_zone;
  char *region;   /* USPS code */
  char *language; /* BCP 47 */
  char *created_by; /* staff id, NULL for patients made before or by a booking */
  gint64 created_at_ms;
} StorePatient;

void store_patient_clear (StorePatient *p);
void store_patient_free (gpointer p);
/* Creates a patient with p's fields (p->id and created_* ignored) by
 * `created_by` (a staff id). INVALID "record number taken" when another
 * patient has the MRN (compared without case). Returns the new id. */
char *store_patient_create (Store *store, const StorePatient *p, const char *created_by,
                            GError **error);
/* Replaces the patient's details with p's; NOT_FOUND, or INVALID as above. */
gboolean store_patient_update (Store *store, const char *patient_id, const StorePatient *p,
                               GError **error);
/* Reads one patient; NOT_FOUND when absent. */
gboolean store_patient_get (Store *store, const char *patient_id, StorePatient *out,
                            GError **error);
/* Patients whose name (or a word of it), MRN or date of birth starts with
 * `query` (case ignored), by name, at most `limit`; only those
 * `visible_to` (a staff id) created or has a visit with, all when NULL. */
GPtrArray *store_patient_find (Store *store, const char *query, const char *visible_to,
                               guint limit, GError **error);
/* The patients with the same name (case and outer spaces ignored) and date
 * of birth, other than `except_id` (may be NULL): possible duplicates. */
GPtrArray *store_patient_duplicates (Store *store, const char *name, const char *birth_date,
                                     const char *except_id, GError **error);
/* Whether `staff_id` created the patient or has a visit with them. */
gboolean store_patient_visible (Store *store, const char *patient_id, const char *staff_id,
                                gboolean *visible, GError **error);

/* ------------------------------------------------------------ follow-ups */
/* followups.c: the next follow-up of a visit that ended (issue 13). The
 * rules that suggest it are records.h's; dates are the clinic's calendar
 * dates, "YYYY-MM-DD". */

typedef struct {
  char *visit_id;      /* the visit that ended */
  char *rule;          /* the rule's code (follow_up_rule_code) */
  guint suggested_weeks;
  char *reason;        /* the suggestion in words */
  guint weeks;         /* the interval chosen; 0: none chosen (or a date was) */
  char *due_date;      /* the follow-up is due by this date */
  char *next_visit_id; /* the visit booked for it; NULL: none */
} StoreFollowUp;

void store_follow_up_clear (StoreFollowUp *f);
/* Records the suggestion for an ended visit unless one is recorded
 * already (a booking made first wins): *recorded tells which. */
gboolean store_follow_up_suggest (Store *store, const StoreFollowUp *f, gboolean *recorded,
                                  GError **error);
/* The visit's follow-up; NOT_FOUND when none is recorded. */
gboolean store_get_follow_up (Store *store, const char *visit_id, StoreFollowUp *out,
                              GError **error);

/* Books the next visit (as store_book_visit) and records it on the ended
 * visit's follow-up (f: its suggestion, the chosen weeks, the due date) in
 * one transaction: all of it or nothing. */
gboolean store_book_follow_up (Store *store, const StoreFollowUp *f, const char *decided_by,
                               const StoreVisitBooking *booking, StoreBookedVisit *out,
                               GError **error);

/* The patient's next visit after `after_ms` still to come (scheduled or
 * waiting), other than `except_id`; NOT_FOUND when none is booked. */
gboolean store_next_visit (Store *store, const char *patient_id, const char *except_id,
                           gint64 after_ms, StoreVisit *out, GError **error);

/* A patient whose last visit ended (or was missed) with nothing booked
 * after it: "who is overdue" reads these and decides. */
typedef struct {
  StoreVisit last;        /* the patient's last visit that ended or was missed */
  gint64 ended_at_ms;     /* when it reached its state */
  gboolean no_show;       /* its state is no_show */
  gboolean has_follow_up; /* a follow-up row exists (the fields below) */
  StoreFollowUp follow_up;
} StoreFollowUpDue;

void store_follow_up_due_free (StoreFollowUpDue *d);
/* Patients of `provider_id` (the provider of their last visit; NULL:
 * every provider) whose last visit ended or was a no-show and who have no
 * visit scheduled, waiting or in progress from then on. Oldest due first is
 * the caller's to sort. */
GPtrArray *store_list_follow_ups_due (Store *store, const char *provider_id, GError **error);

G_END_DECLS
