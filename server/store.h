/* store.h — the sqlite store: one file, WAL, foreign keys on, numbered
 * migrations tracked in PRAGMA user_version. Used from the main thread only.
 *
 * Times cross this interface as unix milliseconds (UTC) and are stored as
 * ISO 8601 UTC text with milliseconds ("2026-11-27T12:00:00.000Z"), which
 * sorts correctly as text.
 *
 * Errors are reported in STORE_ERROR with a StoreErrorCode.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define STORE_ERROR (store_error_quark ())
GQuark store_error_quark (void);

typedef enum {
  STORE_ERROR_SQL,          /* sqlite failed; message says which statement */
  STORE_ERROR_NOT_FOUND,    /* no such row */
  STORE_ERROR_INVALID,      /* the change breaks a rule (bad transition, bad role, ...) */
  STORE_ERROR_EXPIRED,      /* a token outside its validity window */
  STORE_ERROR_SCHEMA,       /* the file's schema is newer than this program */
} StoreErrorCode;

typedef struct _Store Store;

/* Opens (creating if needed) the database file and migrates it to the
 * current schema, each migration in its own transaction. */
Store *store_open (const char *path, GError **error);
void store_close (Store *store);
int store_schema_version (Store *store);       /* PRAGMA user_version */
int store_latest_schema_version (void);

gint64 store_now_ms (void);  /* wall clock, unix ms */

/* ------------------------------------------------------------ visits */

typedef enum {
  VISIT_SCHEDULED,
  VISIT_WAITING,       /* a patient is in the waiting room */
  VISIT_IN_PROGRESS,   /* admitted: the call is on */
  VISIT_ENDED,
} VisitState;

const char *visit_state_name (VisitState state);  /* "scheduled" | "waiting" | "in_progress" | "ended" */
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

const char *participant_role_name (ParticipantRole role);  /* "patient" | "provider" | "guest" */

typedef struct {
  char *id;               /* uuid */
  char *patient_id;
  char *patient_name;
  char *provider_id;
  char *provider_name;
  gint64 scheduled_at_ms;
  VisitState state;
  char *modality;         /* "video" | "audio-only" */
  gint64 created_at_ms;
} StoreVisit;

void store_visit_clear (StoreVisit *visit);
void store_visit_free (StoreVisit *visit);

typedef struct {
  gint64 at_ms;
  char *kind;             /* "state" | "join" | "admit" | "leave" */
  char *state;            /* for kind "state": the new state name; else NULL */
  char *participant_id;   /* for the others: who; else NULL */
  char *role;             /* the participant's role name; else NULL */
} StoreVisitEvent;

void store_visit_event_free (StoreVisitEvent *event);

typedef struct {
  char *id;
  char *visit_id;
  ParticipantRole role;
  char *display_name;
  char *person_id;        /* patient id or staff id; NULL for guests */
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

/* Creates the visit in state "scheduled" (recording that first state in the
 * timeline) with a participant row for the patient and one for the provider,
 * all in one transaction. Returns the visit id. */
char *store_create_visit (Store *store, const char *patient_id, const char *provider_id,
                          gint64 scheduled_at_ms, GError **error);
gboolean store_get_visit (Store *store, const char *visit_id, StoreVisit *out, GError **error);
/* Visits of one provider scheduled in [from_ms, to_ms), by scheduled time. */
GPtrArray *store_list_provider_visits (Store *store, const char *provider_id, gint64 from_ms,
                                       gint64 to_ms, GError **error);  /* of StoreVisit* */
/* Moves the visit to `to` if visit_state_transition_allowed(), recording a
 * "state" event, in one transaction. INVALID otherwise (nothing written). */
gboolean store_set_visit_state (Store *store, const char *visit_id, VisitState to, GError **error);
/* Records a join / admit / leave event for a participant of the visit. */
gboolean store_record_participant_event (Store *store, const char *visit_id,
                                         const char *participant_id, const char *event,
                                         GError **error);
GPtrArray *store_visit_timeline (Store *store, const char *visit_id, GError **error);  /* of StoreVisitEvent* */

gboolean store_get_participant (Store *store, const char *participant_id, StoreParticipant *out,
                                GError **error);
/* The participant row of `visit_id` with role `role` (first one for guests). */
gboolean store_find_visit_participant (Store *store, const char *visit_id, ParticipantRole role,
                                       StoreParticipant *out, GError **error);

/* At start-up: visits left "waiting" or "in_progress" by a previous run that
 * stopped; returns how many. (Issue-6 reconnect logic decides what to do.) */
GPtrArray *store_list_open_visits (Store *store, GError **error);  /* of StoreVisit* */

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

/* A provider console token: lets a staff member list their visits and join
 * them. Valid until not_after_ms. Returns the plaintext token. */
char *store_issue_console_token (Store *store, const char *staff_id, gint64 not_after_ms,
                                 GError **error);
/* Returns the staff id, or NULL with NOT_FOUND / EXPIRED. */
char *store_resolve_console_token (Store *store, const char *token, gint64 now_ms,
                                   GError **error);

G_END_DECLS
