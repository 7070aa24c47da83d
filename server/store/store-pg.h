/* store-pg.h — the store's PostgreSQL backend, for the store's own files:
 * the connection (store_pg.c) and the statements (stmt_pg.c) behind
 * StoreStmt and the transaction calls of store-private.h. */
#pragma once

#include <libpq-fe.h>

#include "server/store/store-private.h"

G_BEGIN_DECLS

/* Advisory lock keys (pg_advisory_xact_lock / pg_advisory_lock), constant
 * for every node of a cluster. The write lock plays the part of sqlite's
 * BEGIN IMMEDIATE: every changing transaction (store_begin) takes it first,
 * so what one transaction reads and then writes (the audit chain's last
 * hash, an order's replacement, a booking's free slot) cannot interleave
 * with another's, on any node. The migration lock keeps two nodes that
 * start together from migrating the same database twice. */
#define STORE_PG_WRITE_LOCK G_GINT64_CONSTANT (0x74656c6568656131)   /* "telehea1" */
#define STORE_PG_MIGRATE_LOCK G_GINT64_CONSTANT (0x74656c6568656132) /* "telehea2" */

/* ------------------------------------------------------------ the connection */

/* What every connection asks for unless the DSN says otherwise (it comes
 * after them: PQconnectdbParams with expand_dbname). Over TCP, a database
 * that went silent (a partition, no reset) fails a statement within about
 * 15 s (tcp_user_timeout) and an idle connection within about 25 s
 * (keepalives), not TCP's minutes: the node notices, and a node that lost
 * the database long enough lets go of its visits (server/cluster). */
#define STORE_PG_DEFAULT_KEYS                                                     \
  "client_encoding", "connect_timeout", "keepalives_idle", "keepalives_interval", \
    "keepalives_count", "tcp_user_timeout"
#define STORE_PG_DEFAULT_VALUES "UTF8", "10", "10", "5", "3", "15000"

/* What opening does to the schema. */
typedef enum {
  STORE_PG_CHECK,   /* it must be this program's version */
  STORE_PG_SET_UP,  /* an empty database gets it; an older one is refused */
  STORE_PG_UPGRADE, /* the migrations since its version run (admin migrate) */
} StorePgSchema;

/* Connects to `dsn` (libpq's connection string). */
Store *store_pg_open (const char *dsn, StorePgSchema schema, GError **error);
void store_pg_close (Store *store);

/* Runs `sql` (no parameters; may be several statements) and keeps its
 * failure for store_set_sql_error. */
gboolean store_pg_exec (Store *store, const char *sql, const char *what, GError **error);
/* PQexecParams, remembering the outcome (rows changed, the failure) on
 * the connection. The caller frees the result; NULL when out of memory. */
PGresult *store_pg_exec_params (Store *store, const char *sql, int n_params,
                                const char *const *values, const int *lengths,
                                const int *formats);

void store_pg_set_error (Store *store, GError **error, const char *what);
StoreViolation store_pg_last_violation (Store *store);
gboolean store_pg_in_transaction (Store *store);
gboolean store_pg_commit (Store *store, GError **error);
int store_pg_schema_version (Store *store);
void store_pg_set_lock_timeout (Store *store, guint ms);

/* ------------------------------------------------------------ statements */

typedef struct _StorePgStmt StorePgStmt;

StorePgStmt *store_pg_prepare (Store *store, const char *sql);
void store_pg_stmt_free (StorePgStmt *s);
void store_pg_stmt_reset (StorePgStmt *s);
void store_pg_stmt_clear_bindings (StorePgStmt *s);
StoreStep store_pg_step (StorePgStmt *s);
/* Binds parameter `idx` (from 1) to `value` (taken; NULL: SQL NULL);
 * `length` counts a binary value's bytes. */
void store_pg_bind (StorePgStmt *s, int idx, char *value, int length, gboolean binary);
gboolean store_pg_col_is_null (StorePgStmt *s, int col);
const char *store_pg_col_text (StorePgStmt *s, int col);
const void *store_pg_col_blob (StorePgStmt *s, int col);
int store_pg_col_bytes (StorePgStmt *s, int col);

G_END_DECLS
