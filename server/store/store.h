/* store.h — the store: one sqlite file (WAL, foreign keys on, numbered
 * migrations tracked in PRAGMA user_version), or a PostgreSQL database
 * several nodes share (issue 18; its version in schema_version). A Store is
 * one connection, used by one thread at a time: the server's workers each
 * open their own (store_open_again, server/storepool).
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

/* store.h is the store's one face; the files it includes below hold parts
 * of it by subject and refuse to be included on their own. */
#define TH_STORE_H_INSIDE

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

/* Where the shared state lives: one sqlite file (one machine), or a
 * PostgreSQL database any number of nodes share (issue 18). */
typedef enum {
  STORE_BACKEND_SQLITE,
  STORE_BACKEND_POSTGRESQL,
} StoreBackend;

typedef struct {
  StoreBackend backend;
  const char *path; /* sqlite: the database file */
  const char *dsn;  /* postgresql: a libpq connection string */
  /* postgresql: bring an older schema up to date (`admin migrate`). A
   * server opening a shared database only sets up an empty one: nodes
   * running the older program may still be serving from it, so an upgrade
   * is an operator's step, not a side effect of starting one node. sqlite
   * (one machine, one program) is always brought up to date. */
  gboolean upgrade;
} StoreTarget;

/* Opens (creating if needed) the database file and migrates it to the
 * current schema, each migration in its own transaction. */
Store *store_open (const char *path, GError **error);
/* store_open for either backend. */
Store *store_open_target (const StoreTarget *target, GError **error);
/* Another connection to the database `store` is connected to, for another
 * thread (a connection is used by one thread at a time); the schema is not
 * migrated again. */
Store *store_open_again (Store *store, GError **error);
StoreBackend store_backend (Store *store);

/* ---- Visit changes (changes.c, listen.c; issue 18).
 *
 * What a provider's console shows of a visit (its state, who joined or left
 * its waiting room, a booking, a move, a cancel) changes in the store's own
 * transactions, and each such transaction says so: on PostgreSQL with
 * pg_notify on STORE_VISITS_CHANNEL, delivered at commit to every node that
 * listens (store_listen_*); on sqlite (one process) to the sink set below,
 * right after the commit. A payload holds ids only. */
#define STORE_VISITS_CHANNEL "th_visits"

/* A changed visit, its provider (staff id) and the provider's supervising
 * psychiatrist (NULL when none: a PA's supervisor sees their visits); all
 * NULL when listeners must refresh everything ("resync": notifications may
 * have been lost). */
typedef void (*StoreVisitChangedFunc) (const char *visit_id, const char *provider_id,
                                       const char *supervisor_id, gpointer user_data);
/* sqlite: called after each commit that changed a visit, on the thread
 * that committed (a store worker's, too: store_open_again copies it), once
 * per visit. Does nothing on PostgreSQL (listen instead). */
void store_set_change_sink (Store *store, StoreVisitChangedFunc func, gpointer user_data);
/* Parses a STORE_VISITS_CHANNEL payload ("<visit id> <provider id>
 * [<supervisor id>]"); *supervisor_id NULL when there is none. */
gboolean store_visit_change_parse (const char *payload, char **visit_id, char **provider_id,
                                   char **supervisor_id);

/* A connection of its own that LISTENs on STORE_VISITS_CHANNEL from the
 * default GLib main context, never blocking it: connecting, reading and
 * reconnecting are driven by the socket's readiness. Each notification is
 * `func (visit, provider, supervisor)`; after a lost connection is made
 * again (with back-off, 0.25 s doubling to 8 s) `func (NULL, NULL, NULL)`:
 * resync. */
typedef struct _StoreListener StoreListener;
StoreListener *store_listen_start (const char *dsn, StoreVisitChangedFunc func, gpointer user_data);
/* TRUE once LISTEN is in force (tests). */
gboolean store_listen_ready (StoreListener *listener);
void store_listen_stop (StoreListener *listener);
void store_close (Store *store);
/* How long a statement waits for another connection's write lock before
 * failing with STORE_ERROR_BUSY (on PostgreSQL: lock_timeout). store_open
 * sets 5 s (right for the admin CLI and the server's workers); the server's
 * main thread, which carries the visits, sets a short one (see main.c). */
void store_set_busy_timeout (Store *store, guint ms);
int store_schema_version (Store *store); /* PRAGMA user_version */
int store_latest_schema_version (void);

gint64 store_now_ms (void); /* wall clock, unix ms */

/* ------------------------------------------------------------ backups (backup.c) */

typedef struct {
  int schema_version;
  guint audit_rows; /* audit events in the copy, their chain verified */
} StoreCopyInfo;
/* A consistent copy of the open database at `path` (one file, mode 0600),
 * made while others write, and checked as store_check_copy does. sqlite
 * only: a PostgreSQL store refuses (STORE_ERROR_INVALID, naming pg_dump). */
gboolean store_backup (Store *store, const char *path, StoreCopyInfo *info, GError **error);
/* Whether `path` is a whole database this program can open: SQLite's
 * integrity check, a known schema version, an intact audit chain. */
gboolean store_check_copy (const char *path, StoreCopyInfo *info, GError **error);
/* Replaces the database at db_path (no server may have it open) with a
 * checked copy of from_path. The database it replaces, if any, is kept
 * whole at aside_path. */
gboolean store_restore (const char *from_path, const char *db_path, const char *aside_path,
                        StoreCopyInfo *info, GError **error);



/* ------------------------------------------------------------ visits */

typedef enum {
  VISIT_SCHEDULED,
  VISIT_WAITING,     /* a patient is in the waiting room */
  VISIT_IN_PROGRESS, /* admitted: the call is on */
  VISIT_ENDED,
  VISIT_CANCELLED, /* by the clinic before it began, with a reason (schedule.c) */
  VISIT_NO_SHOW,   /* nobody joined by the end of its join window (the server's sweep) */
} VisitState;

/* "scheduled" | "waiting" | "in_progress" | "ended" | "cancelled" | "no_show" */
const char *visit_state_name (VisitState state);
gboolean visit_state_from_name (const char *name, VisitState *out);
/* scheduled → waiting → in_progress → ended; scheduled → in_progress (provider
 * admits at once); waiting → scheduled (the only waiting patient left);
 * any open state → ended; scheduled → cancelled | no_show (nobody is in the
 * visit: a waiting patient is the provider's to see or end). ended,
 * cancelled and no_show are final. Same → same is not a transition. */
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
  guint length_minutes; /* 5..240 */
  char *visit_type;     /* "initial_evaluation" | "follow_up" */
} StoreVisit;

void store_visit_clear (StoreVisit *visit);
void store_visit_free (StoreVisit *visit);

typedef struct {
  gint64 at_ms;
  char *kind;  /* "state" | "join" | "admit" | "drop" | "return" | "leave" | "connect-trouble" */
  char *state; /* for kind "state": the new state name; else NULL */
  char *participant_id; /* for the others: who; else NULL */
  char *role;           /* the participant's role name; else NULL */
  char *reason; /* for kind "state": why, when not a person's act ("abandoned",
                 * "no-show"), or the clinic's reason for a cancel; else NULL */
  gint64 moved_from_ms, moved_to_ms; /* kind "moved": the start before and after */
  char *staff_id;                    /* who moved or cancelled it; else NULL */
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

/* staff roles: psychiatrist | pmhnp | pa | pcp | admin | scheduler (the
 * front desk: the schedule and the patients' details, never the record) */
char *store_create_staff (Store *store, const char *display_name, const char *role, GError **error);
char *store_create_patient (Store *store, const char *display_name, GError **error);
/* Whether the role holds visits (psychiatrist, pmhnp, pa, pcp). */
gboolean store_staff_role_clinical (const char *role);
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
  guint length_minutes;   /* 0: 30 */
  const char *visit_type; /* NULL: follow_up */
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

/* ------------------------------------------------------------ schedule */
/* schedule.c: booking's companions. A visit occupies [start, start +
 * length); cancelled and no-show visits occupy nothing. */

#define STORE_VISIT_MIN_MINUTES 5
#define STORE_VISIT_MAX_MINUTES 240
#define STORE_VISIT_DEFAULT_MINUTES 30

/* Whether `type` is a visit type ("initial_evaluation" | "follow_up"). */
gboolean store_visit_type_valid (const char *type);
/* The provider's visits (not cancelled, not no-show) that overlap
 * [start_ms, start_ms + length_minutes), other than `except_visit_id` (may
 * be NULL), by start. */
GPtrArray *store_visit_conflicts (Store *store, const char *provider_id, gint64 start_ms,
                                  guint length_minutes, const char *except_visit_id,
                                  GError **error); /* of StoreVisit* */

typedef struct {
  gint64 start_ms;
  guint length_minutes; /* 0: keep the visit's */
  const char *by_staff_id;
  /* every join link of the visit then opens and closes this long before
   * and after the new start (the patient keeps their link) */
  gint64 link_before_ms;
  gint64 link_after_ms;
} StoreVisitMove;
/* Moves a scheduled visit: its start (and length), a "moved" event with
 * the times before and after and who moved it, and the window of every
 * join token of its participants, in one transaction. INVALID (nothing
 * written) when the visit is not scheduled or the length is out of range;
 * *from_ms (may be NULL) gets the start before. */
gboolean store_move_visit (Store *store, const char *visit_id, const StoreVisitMove *move,
                           gint64 *from_ms, GError **error);
/* Cancels a scheduled visit: the state and a "state" event with the
 * reason (1..500 characters) and who cancelled it. INVALID (nothing
 * written) when it is not scheduled or the reason is empty or too long. */
gboolean store_cancel_visit (Store *store, const char *visit_id, const char *reason,
                             const char *by_staff_id, GError **error);
/* The ids (char*) of scheduled visits that started before `before_ms` and
 * that nobody ever joined: the no-show sweep's candidates. */
GPtrArray *store_visits_unjoined (Store *store, gint64 before_ms, GError **error);
/* Marks the visit no_show (a "state" event with reason "no-show") if it is
 * still scheduled and nobody ever joined it; *marked says whether it was. */
gboolean store_mark_no_show (Store *store, const char *visit_id, gboolean *marked,
                             GError **error);

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

/* The clinical record: check-ins, notes, orders, the audit log. */
#include "server/store/store-clinical.h"
#include "server/store/store-rx.h"

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
  char *region;     /* USPS code */
  char *language;   /* BCP 47 */
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
 * `visible_to` (a staff id) may open (store_patient_visible), all when NULL. */
GPtrArray *store_patient_find (Store *store, const char *query, const char *visible_to,
                               guint limit, GError **error);
/* The patients with the same name (case and outer spaces ignored) and date
 * of birth, other than `except_id` (may be NULL): possible duplicates. */
GPtrArray *store_patient_duplicates (Store *store, const char *name, const char *birth_date,
                                     const char *except_id, GError **error);
/* Whether `staff_id` may open the patient's details: created the patient,
 * or has any relation store_patient_relation names. */
gboolean store_patient_visible (Store *store, const char *patient_id, const char *staff_id,
                                gboolean *visible, GError **error);

/* The clinic's day: the outbox, care teams, the next follow-up. */
#include "server/store/store-day.h"
/* The patient's between-visit diary (issue 14). */
#include "server/store/store-diary.h"
/* The patient's diagnoses and allergies (issue 15). */
#include "server/store/store-problems.h"
/* The patient's pregnancy potential (issue 15). */
#include "server/store/store-reproductive.h"
/* The patient's medications from elsewhere (issue 15). */
#include "server/store/store-other-meds.h"
/* The nodes sharing one PostgreSQL and their visits' leases (issue 18). */
#include "server/store/store-cluster.h"

#undef TH_STORE_H_INSIDE

G_END_DECLS
