/* store-private.h — shared internals of store.c, store_visits.c and
 * store_tokens.c. Not part of the store's public interface; the unit test
 * includes it only to inspect the connection (pragmas, raw rows).
 */
#pragma once

#include <sqlite3.h>

#include "server/store.h"

G_BEGIN_DECLS

struct _Store {
  sqlite3 *db;
};

/* The largest time the store can represent: 9999-12-31T23:59:59.999Z.
 * Times are kept in [0, STORE_MAX_TIME_MS] so their text form has a fixed
 * width and sorts as text. */
#define STORE_MAX_TIME_MS G_GINT64_CONSTANT (253402300799999)

/* The SQL of migration `version` (1..latest), NULL otherwise: lets a test
 * build an older schema and check the upgrade from it. */
const char *store_migration_sql (int version);

/* The raw connection (for tests). */
sqlite3 *store_get_db (Store *store);

/* Sets STORE_ERROR_SQL naming `what` and sqlite's message. */
void store_set_sql_error (Store *store, GError **error, const char *what);

gboolean store_prepare (Store *store, const char *sql, sqlite3_stmt **out, GError **error);
/* Steps a statement that returns no rows; anything but SQLITE_DONE is an error. */
gboolean store_step_done (Store *store, sqlite3_stmt *stmt, const char *what, GError **error);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. store_rollback is a no-op outside a
 * transaction and never fails loudly. */
gboolean store_begin (Store *store, GError **error);
gboolean store_commit (Store *store, GError **error);
void store_rollback (Store *store);

/* "2026-11-27T12:00:00.000Z"; NULL + STORE_ERROR_INVALID out of range. */
char *store_format_time (gint64 ms, GError **error);
/* Parses text written by store_format_time (any ISO 8601 with a zone). */
gboolean store_parse_time (const char *text, gint64 *out_ms);
/* Reads a stored time column; a corrupt value is STORE_ERROR_SQL. */
gboolean store_column_time (sqlite3_stmt *stmt, int col, gint64 *out_ms, GError **error);

/* g_strdup of a text column (NULL for SQL NULL). */
char *store_column_dup_text (sqlite3_stmt *stmt, int col);

/* text → bound value; `text` is copied by sqlite (SQLITE_TRANSIENT). */
int store_bind_text (sqlite3_stmt *stmt, int idx, const char *text);

gboolean store_participant_role_from_name (const char *name, ParticipantRole *out);

/* Whether a row with this id exists in `table` ("staff", "patients",
 * "visits", "participants"). `table` must be one of those literals. */
gboolean store_row_exists (Store *store, const char *table, const char *id, gboolean *exists,
                           GError **error);

G_END_DECLS
