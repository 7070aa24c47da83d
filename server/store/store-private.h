/* store-private.h — shared internals of the store*.c files: the statement,
 * row and transaction helpers (store.c), the secret-token helpers
 * (store_tokens.c) and the visit and participant row readers
 * (store_visits.c). Not part of
 * the store's public interface; the unit tests include it only to inspect
 * the connection (pragmas, raw rows).
 */
#pragma once

#include <sqlite3.h>

#include "server/store/store.h"
#include "server/clock/clock.h" /* th_iso_from_ms, TH_CLOCK_MAX_MS */

G_BEGIN_DECLS

struct _Store {
  StoreBackend backend;
  char *path; /* sqlite: the file, for store_open_again */
  char *dsn;  /* postgresql: the connection string */
  sqlite3 *db;
  struct pg_conn *pg; /* postgresql: libpq's PGconn (store_pg.c) */
  char *pg_message;  /* the last failure's primary message */
  char pg_state[6];  /* and its SQLSTATE; "" after a success */
  guint pg_changes;  /* rows the last statement changed */
  gint64 txn_started_us; /* monotonic, while a transaction is open (store.c) */
  /* changes.c: the sink of a sqlite connection, and the visits the open
   * transaction changed (visit id, provider id pairs), told at commit */
  StoreVisitChangedFunc change_fn;
  gpointer change_data;
  GPtrArray *changed;
};

/* The largest time the store can represent: 9999-12-31T23:59:59.999Z.
 * Times are kept in [0, STORE_MAX_TIME_MS] so their text form has a fixed
 * width and sorts as text. */
#define STORE_MAX_TIME_MS TH_CLOCK_MAX_MS

/* The SQL of migration `version` (1..latest), NULL otherwise: lets a test
 * build an older schema and check the upgrade from it. */
const char *store_migration_sql (int version);
/* Makes a table append-only: any UPDATE or DELETE aborts the statement
 * (and, through the callers' error paths, their transaction). */
#define APPEND_ONLY(table)                                       \
  "CREATE TRIGGER " table "_no_update BEFORE UPDATE ON " table   \
  " BEGIN SELECT RAISE(ABORT, '" table " is append-only'); END;" \
  "CREATE TRIGGER " table "_no_delete BEFORE DELETE ON " table   \
  " BEGIN SELECT RAISE(ABORT, '" table " is append-only'); END;"

/* order_checks.c: keeps an order's warn and major findings (records-rx.h)
 * inside the caller's transaction; `stage` is "written" or "cosign". A
 * major finding without an override reason is INVALID. */
gboolean store_order_checks_insert_locked (Store *store, const char *order_id, const char *stage,
                                           const GPtrArray *findings, const char *override_reason,
                                           const char *by_staff_id, const char *at,
                                           GError **error);

/* problems.c: INVALID in the prescriber's words unless `condition_id`
 * (NULL: TRUE) is an active condition of the patient; inside the caller's
 * transaction. */
gboolean store_order_condition_check_locked (Store *store, const char *patient_id,
                                             const char *condition_id, GError **error);

/* Migrations 22 on (migrations_rx.c: issue 15's prescribing safety), in
 * order; migrations.c numbers them after its own. */
extern const char *const store_migrations_rx[];
extern const guint store_migrations_rx_count;

/* The PostgreSQL baseline (schema_pg.c): the schema migrations 1..
 * STORE_PG_BASELINE_VERSION build on sqlite, as statements to run in order
 * in one transaction on an empty database. A new sqlite migration needs a
 * PostgreSQL text that loads (store_pg_migration_sql; the pg-schema test
 * loads them all after the baseline and compares the two schemas). */
#define STORE_PG_BASELINE_VERSION 26
extern const char *const store_pg_baseline[];
extern const guint store_pg_baseline_count;
/* A migration after the baseline as PostgreSQL runs it (store_pg.c: its
 * own text where sqlite's differs); NULL up to the baseline and past the
 * latest. */
const char *store_pg_migration_sql (int version);

/* changes.c: inside the caller's transaction, says that `visit_id` changed
 * in a way a console shows (store.h, "Visit changes"): pg_notify on
 * PostgreSQL, noted for the sink at commit on sqlite. */
gboolean store_visit_changed (Store *store, const char *visit_id, GError **error);
/* store.c calls these when a transaction ends. */
void store_changes_committed (Store *store);
void store_changes_dropped (Store *store);

/* The raw connection (for tests). */
sqlite3 *store_get_db (Store *store);

/* ------------------------------------------------------------ statements
 *
 * The store's files speak to the database only through StoreStmt (stmt.c):
 * prepare, bind by position (?1, ?2, ...), step, read columns by index,
 * free. It is the seam a second backend (PostgreSQL, issue 18) fits under;
 * what is still sqlite's own (opening, pragmas, the migrations' runner, the
 * online backup) lives in store.c and backup.c. */

typedef struct _StoreStmt StoreStmt;

/* What store_step found. */
typedef enum { STORE_ROW, STORE_DONE, STORE_FAILED } StoreStep;

/* Which constraint the last failed statement broke. */
typedef enum {
  STORE_VIOLATION_NONE,
  STORE_VIOLATION_UNIQUE,
  STORE_VIOLATION_FOREIGN_KEY,
  STORE_VIOLATION_OTHER, /* CHECK, NOT NULL, an append-only table's trigger */
} StoreViolation;

/* Sets STORE_ERROR_SQL (STORE_ERROR_BUSY when the database was locked)
 * naming `what` and the database's message. */
void store_set_sql_error (Store *store, GError **error, const char *what);

gboolean store_prepare (Store *store, const char *sql, StoreStmt **out, GError **error);
void store_stmt_free (StoreStmt *stmt); /* NULL is fine */
/* Back to before the first step; the bound values stay. */
void store_stmt_reset (StoreStmt *stmt);
void store_stmt_clear_bindings (StoreStmt *stmt);
StoreStep store_step (StoreStmt *stmt);

void store_bind_int (StoreStmt *stmt, int idx, int v);
void store_bind_int64 (StoreStmt *stmt, int idx, gint64 v);
void store_bind_double (StoreStmt *stmt, int idx, double v);
void store_bind_null (StoreStmt *stmt, int idx);
/* `data` is copied. */
void store_bind_blob (StoreStmt *stmt, int idx, const void *data, gsize len);

/* A column of the current row (STORE_ROW), by index from 0. Text and blob
 * pointers are valid until the next step, reset or free. */
gboolean store_col_is_null (StoreStmt *stmt, int col);
int store_col_int (StoreStmt *stmt, int col);
gint64 store_col_int64 (StoreStmt *stmt, int col);
double store_col_double (StoreStmt *stmt, int col);
const char *store_col_text (StoreStmt *stmt, int col);
const void *store_col_blob (StoreStmt *stmt, int col);
int store_col_bytes (StoreStmt *stmt, int col);

/* Rows the last INSERT, UPDATE or DELETE changed. (No "last inserted
 * rowid": PostgreSQL has none; an INSERT says RETURNING id instead, read
 * with store_insert_returning.) */
guint store_changes (Store *store);
StoreViolation store_last_violation (Store *store);
/* Steps a statement that returns no rows; anything but STORE_DONE is an error. */
gboolean store_step_done (Store *store, StoreStmt *stmt, const char *what, GError **error);

/* Runs one statement that returns no rows: prepares `sql`, binds `hash`
 * (STORE_HASH_BYTES, when given) to ?1 and then `n_texts` text values
 * (NULL → SQL NULL) to the following parameters, and steps it to
 * completion; `changes` (may be NULL) gets the rows changed. */
gboolean store_run (Store *store, const char *what, const char *sql, const guchar *hash,
                    guint *changes, GError **error, int n_texts, ...);

/* Runs `sql`, an INSERT ... RETURNING one integer column (the new row's
 * id), with `n_texts` text values (NULL → SQL NULL) bound from ?1. *id gets
 * the value; *inserted (may be NULL) says whether a row was inserted at all
 * (an INSERT ... SELECT may insert none: then *id is 0). */
gboolean store_insert_returning (Store *store, const char *what, const char *sql,
                                 gboolean *inserted, gint64 *id, GError **error, int n_texts, ...);

/* Steps a prepared, bound statement to its first row. No row is
 * STORE_ERROR_NOT_FOUND with the message `not_found`; a failure is
 * STORE_ERROR_SQL naming `what`. */
gboolean store_step_row (Store *store, StoreStmt *stmt, const char *what, const char *not_found,
                         GError **error);
/* Prepares `sql`, binds `key` to ?1 and steps to the first row as
 * store_step_row does. *out is the statement: finalize it in any case. */
gboolean store_select_row (Store *store, const char *sql, const char *key, const char *what,
                           const char *not_found, StoreStmt **out, GError **error);
/* store_select_row for a row that may be absent: TRUE with *found FALSE
 * when there is none, FALSE only when the statement fails. *out is the
 * statement: finalize it in any case. */
gboolean store_select_optional_row (Store *store, const char *sql, const char *key,
                                    const char *what, StoreStmt **out, gboolean *found,
                                    GError **error);
/* store_select_row, then the row's first column as text into *out (when
 * out is not NULL; NULL for SQL NULL). */
gboolean store_select_text (Store *store, const char *sql, const char *key, const char *what,
                            const char *not_found, char **out, GError **error);

/* Reads one row of a statement into a new item; NULL (with `error` set)
 * when the row cannot be read. */
typedef gpointer (*StoreRowReader) (StoreStmt *stmt, GError **error);
/* Steps `stmt` to the end, reading every row into a new array that frees
 * its items with `free_item`. NULL on a failure (STORE_ERROR_SQL naming
 * `what` when stepping fails). */
GPtrArray *store_collect_rows (Store *store, StoreStmt *stmt, StoreRowReader read,
                               GDestroyNotify free_item, const char *what, GError **error);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. store_rollback is a no-op outside a
 * transaction and never fails loudly. store_begin is for changes: it takes
 * the write lock up front. store_begin_read is for reads that want one
 * snapshot: a plain (deferred) transaction, which in WAL mode never waits
 * for a writer and never makes one wait. */
gboolean store_begin (Store *store, GError **error);
gboolean store_begin_read (Store *store, GError **error);
gboolean store_commit (Store *store, GError **error);
void store_rollback (Store *store);
/* Ends the transaction: commits it when `ok`, else (or when the commit
 * fails) rolls it back. Returns whether it was committed. */
gboolean store_commit_or_rollback (Store *store, gboolean ok, GError **error);

/* ------------------------------------------------------------ values */

/* th_iso_from_ms (clock.h): "2026-11-27T12:00:00.000Z"; NULL + STORE_ERROR_INVALID out of
 * its range. */
char *store_format_time (gint64 ms, GError **error);
/* Parses text written by store_format_time (any ISO 8601 with a zone). */
gboolean store_parse_time (const char *text, gint64 *out_ms);
/* Parses a stored time; a corrupt value is STORE_ERROR_SQL. */
gboolean store_text_time (const char *text, gint64 *out_ms, GError **error);
/* Reads a stored time column; a corrupt value is STORE_ERROR_SQL. */
gboolean store_column_time (StoreStmt *stmt, int col, gint64 *out_ms, GError **error);

/* g_strdup of a text column (NULL for SQL NULL). */
char *store_column_dup_text (StoreStmt *stmt, int col);

/* text → bound value (NULL → SQL NULL); `text` is copied. */
void store_bind_text (StoreStmt *stmt, int idx, const char *text);

/* Non-empty valid UTF-8 of at most `max_chars` characters. */
gboolean store_text_valid (const char *text, glong max_chars);
/* An order event's reason: 1 to 1000 characters, else INVALID in words. */
gboolean store_order_reason_valid (const char *reason, GError **error);

/* The index of `name` in the table `names` of `n` entries (FALSE when it
 * is not there or NULL); `out` may be NULL. Names match exactly. */
gboolean store_name_index (const char *const *names, gsize n, const char *name, gsize *out);
/* names[index], or NULL when `index` is out of range. */
const char *store_name_at (const char *const *names, gsize n, gsize index);

gboolean store_participant_role_from_name (const char *name, ParticipantRole *out);

/* ------------------------------------------------------------ rows */

/* Whether a row with this id exists in `table` ("staff", "patients",
 * "visits", "participants"). `table` must be one of those literals. */
gboolean store_row_exists (Store *store, const char *table, const char *id, gboolean *exists,
                           GError **error);
/* store_row_exists, with no such row as STORE_ERROR_NOT_FOUND `not_found`. */
gboolean store_require_row (Store *store, const char *table, const char *id, const char *not_found,
                            GError **error);

/* The columns store_read_visit reads; append a WHERE / ORDER BY. */
#define STORE_VISIT_COLUMNS                                                     \
  "SELECT v.id, v.patient_id, pa.display_name, v.provider_id, st.display_name," \
  " v.scheduled_at, v.state, v.modality, v.created_at, v.length_minutes,"       \
  " v.visit_type"                                                               \
  " FROM visits v JOIN patients pa ON pa.id = v.patient_id"                     \
  " JOIN staff st ON st.id = v.provider_id "

/* Runs a prepared STORE_VISIT_COLUMNS query, collecting all rows as
 * StoreVisit; a failure to step is STORE_ERROR_SQL naming `what`. */
GPtrArray *store_collect_visits (Store *store, StoreStmt *stmt, const char *what,
                                 GError **error);

/* Sets a visit's length (0: leave it) and type (NULL: leave it) inside the
 * caller's transaction; INVALID for a length outside 5..240 or an unknown
 * type (schedule.c). */
gboolean store_set_visit_kind (Store *store, const char *visit_id, guint length_minutes,
                               const char *visit_type, GError **error);
/* Reads one STORE_VISIT_COLUMNS row into `out`. */
gboolean store_read_visit (StoreStmt *stmt, StoreVisit *out, GError **error);
/* Writes a booking's rows (store_book_visit) inside the caller's transaction. */
gboolean store_insert_booking (Store *store, const StoreVisitBooking *booking,
                               StoreBookedVisit *out, GError **error);

/* Reads a participant from the columns id, visit_id, role, display_name,
 * person id starting at `col` into `out` (overwritten on success). */
gboolean store_read_participant (StoreStmt *stmt, int col, StoreParticipant *out,
                                 GError **error);

/* ------------------------------------------------------------ secrets */
/* Join tokens and session ids alike: STORE_SECRET_BYTES
 * from RAND_bytes, handed out once as unpadded base64url text, stored only
 * as SHA-256 of that text, found by hash and compared again in constant
 * time. Implemented in store_tokens.c. */

#define STORE_SECRET_BYTES 32
#define STORE_HASH_BYTES 32

/* A fresh secret as unpadded base64url; NULL + STORE_ERROR_SQL when the
 * random generator fails. */
char *store_secret_new (GError **error);
/* Wipes and frees a secret's text, and sets *text to NULL. */
void store_secret_clear (char **text);
/* 1..256 base64url characters: anything else cannot be a secret the store
 * issued, so it is refused without a query. */
gboolean store_secret_plausible (const char *text);
/* SHA-256 of the secret's text. */
gboolean store_secret_hash (const char *text, guchar hash[STORE_HASH_BYTES], GError **error);
/* Prepares `sql` (?1 the hash; its column 0 the stored hash) and steps to
 * the row of `hash`, comparing the stored hash again in constant time. No
 * row, or one that does not match, is STORE_ERROR_NOT_FOUND `unknown`; a
 * failure is STORE_ERROR_SQL naming `what`. *out is the statement on its
 * row: finalize it in any case. */
gboolean store_select_hash_row (Store *store, const char *sql, const guchar hash[STORE_HASH_BYTES],
                                const char *what, const char *unknown, StoreStmt **out,
                                GError **error);

/* Issues a join token for the participant valid in [not_before_ms,
 * not_after_ms] inside the caller's transaction (store_issue_join_token
 * holds its own); NOT_FOUND without such a participant, INVALID for a
 * window that ends before it starts. Returns the token text, once. */
char *store_insert_join_token (Store *store, const char *participant_id, gint64 not_before_ms,
                               gint64 not_after_ms, GError **error);

/* ------------------------------------------------------------ orders */
/* Shared by store_orders.c (writing and reading orders) and
 * store_order_review.c (co-signature, decline, acknowledgement,
 * entered-in-error). Callers hold the transaction when they need one. */

/* Reads one order with its derived status; NOT_FOUND when absent. */
gboolean store_order_load (Store *store, const char *order_id, StoreOrder *out, GError **error);
/* The orders selected by `where_order` (SQL after the order columns, with ?1
 * = arg; the order events are joined as ee, ed, er, es, ec), keeping those
 * whose derived status is `status` (all when NULL). */
GPtrArray *store_order_list (Store *store, const char *where_order, const char *arg,
                             const char *status, GError **error);
/* Appends one order event; by_order_id is the order that caused it (a
 * replacement's stop, a restore), NULL otherwise. */
gboolean store_order_insert_event (Store *store, const char *order_id, const char *kind,
                                   const char *at, const char *by_staff_id, const char *reason,
                                   const char *visit_id, const char *by_order_id, GError **error);

/* ------------------------------------------------ monitoring (monitoring.c) */

/* What raises a monitoring alert (migration 19): the rule's stable code
 * ("severe-side-effect", "lamotrigine-rash", "item9", "missed-doses",
 * "toxic-level", ...), a sentence for the clinician (no more than the record
 * needs), and the row that carries the signal (any may be NULL). */
typedef struct {
  const char *patient_id;
  const char *rule;
  const char *summary;
  const char *order_id;
  const char *diary_entry_id;
  const char *checkin_id;
  const char *observation_id;
} StoreAlertNew;

/* Inside the caller's transaction (store_begin): inserts the alert,
 * raised at now_ms; *out_id (may be NULL) gets its id. */
gboolean store_alert_raise_locked (Store *store, const StoreAlertNew *alert, gint64 now_ms,
                                   char **out_id, GError **error);

/* Inside the caller's transaction: opens a safety task for a positive
 * PHQ-9 item 9 (1..3) from a check-in or a diary entry (exactly one of
 * them), unless the patient already has one open; *opened (may be NULL)
 * says whether a task was opened. */
gboolean store_safety_task_open_locked (Store *store, const char *patient_id, guint item9,
                                        const char *checkin_id, const char *diary_entry_id,
                                        gint64 now_ms, gboolean *opened, GError **error);

/* One observation as recorded: recorded_by is the staff member for a
 * clinic entry, NULL for the patient's own reading (then diary_entry_id
 * names the entry it came with). */
typedef struct {
  const char *patient_id;
  const char *kind;  /* observation_kind code (records.h) */
  const char *loinc; /* NULL when the kind has none */
  double value;
  gboolean has_value2;
  double value2; /* blood pressure: diastolic */
  const char *unit;
  gint64 effective_ms; /* when measured or drawn */
  const char *recorded_by;
  const char *diary_entry_id;
  const char *visit_id;
  const char *interpretation; /* N, L, H, LL, HH or NULL */
} StoreObservationNew;

gboolean store_observation_insert_locked (Store *store, const StoreObservationNew *obs,
                                          gint64 now_ms, char **out_id, GError **error);

G_END_DECLS
