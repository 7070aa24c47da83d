/* store.c — opening the sqlite store, pragmas, numbered migrations and the
 * helpers every store*.c file shares (errors, statements, single rows, row
 * lists, transactions, time text, name tables); see store-private.h.
 *
 * All SQL takes values through bound parameters only. Nothing here logs
 * patient data or tokens; error messages name statements, never values.
 */
#include "server/store-private.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (store-error-quark, store_error)

/* ------------------------------------------------------------ migrations */

/* Makes a table append-only: any UPDATE or DELETE aborts the statement
 * (and, through the callers' error paths, their transaction). */
#define APPEND_ONLY(table)                                                                \
  "CREATE TRIGGER " table "_no_update BEFORE UPDATE ON " table                            \
  " BEGIN SELECT RAISE(ABORT, '" table " is append-only'); END;"                          \
  "CREATE TRIGGER " table "_no_delete BEFORE DELETE ON " table                            \
  " BEGIN SELECT RAISE(ABORT, '" table " is append-only'); END;"

/* Migration N is kMigrations[N - 1]; after it runs, PRAGMA user_version is N.
 * Append new steps (follow-up records, medication orders, audit log, ...) at
 * the end; never edit a step that has shipped. */
static const char *const kMigrations[] = {
  /* 1: people, visits, participants, timeline, tokens */
  "CREATE TABLE staff ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  display_name TEXT NOT NULL CHECK (length(display_name) > 0),"
  "  role TEXT NOT NULL CHECK (role IN ('psychiatrist', 'pmhnp', 'pa', 'pcp', 'admin')),"
  "  supervising_psychiatrist_id TEXT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE TABLE patients ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  display_name TEXT NOT NULL CHECK (length(display_name) > 0),"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE TABLE visits ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  provider_id TEXT NOT NULL REFERENCES staff (id),"
  "  scheduled_at TEXT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'scheduled'"
  "    CHECK (state IN ('scheduled', 'waiting', 'in_progress', 'ended')),"
  "  modality TEXT NOT NULL DEFAULT 'video' CHECK (modality IN ('video', 'audio-only')),"
  "  created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL"
  ");"
  "CREATE INDEX visits_by_provider ON visits (provider_id, scheduled_at);"
  "CREATE INDEX visits_by_patient ON visits (patient_id, scheduled_at);"
  "CREATE INDEX visits_open ON visits (state) WHERE state IN ('waiting', 'in_progress');"
  "CREATE TABLE participants ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  role TEXT NOT NULL CHECK (role IN ('patient', 'provider', 'guest')),"
  "  display_name TEXT NOT NULL,"
  "  patient_id TEXT NULL REFERENCES patients (id),"
  "  staff_id TEXT NULL REFERENCES staff (id),"
  "  created_at TEXT NOT NULL,"
  "  CHECK ((role = 'patient' AND patient_id IS NOT NULL AND staff_id IS NULL)"
  "      OR (role = 'provider' AND staff_id IS NOT NULL AND patient_id IS NULL)"
  "      OR (role = 'guest' AND patient_id IS NULL AND staff_id IS NULL))"
  ");"
  "CREATE INDEX participants_by_visit ON participants (visit_id, role);"
  "CREATE TABLE visit_events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  at TEXT NOT NULL,"
  "  kind TEXT NOT NULL CHECK (kind IN ('state', 'join', 'admit', 'leave')),"
  "  state TEXT NULL"
  "    CHECK (state IS NULL OR state IN ('scheduled', 'waiting', 'in_progress', 'ended')),"
  "  participant_id TEXT NULL REFERENCES participants (id),"
  "  CHECK ((kind = 'state' AND state IS NOT NULL AND participant_id IS NULL)"
  "      OR (kind <> 'state' AND state IS NULL AND participant_id IS NOT NULL))"
  ");"
  "CREATE INDEX visit_events_by_visit ON visit_events (visit_id, id);"
  "CREATE TABLE join_tokens ("
  "  token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),"
  "  participant_id TEXT NOT NULL REFERENCES participants (id),"
  "  not_before TEXT NOT NULL,"
  "  not_after TEXT NOT NULL,"
  "  revoked_at TEXT NULL,"
  "  created_at TEXT NOT NULL,"
  "  CHECK (not_before <= not_after)"
  ");"
  "CREATE INDEX join_tokens_by_participant ON join_tokens (participant_id);"
  "CREATE TABLE console_tokens ("
  "  token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),"
  "  staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  not_after TEXT NOT NULL,"
  "  created_at TEXT NOT NULL"
  ");"
  "CREATE INDEX console_tokens_by_staff ON console_tokens (staff_id);",

  /* 2: the follow-up record (issue 3). medications is a copy of the catalog
   * so orders can reference it. Everything clinical is append-only (see
   * APPEND_ONLY): a correction is a new row or event, never an edit. */
  "CREATE TABLE medications ("
  "  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),"
  "  name TEXT NOT NULL CHECK (length(name) > 0),"
  "  rxnorm TEXT NOT NULL,"
  "  drug_class TEXT NOT NULL,"
  "  schedule TEXT NOT NULL CHECK (schedule IN ('none', 'II', 'III', 'IV', 'V')),"
  "  unit TEXT NOT NULL CHECK (length(unit) > 0),"
  "  strengths TEXT NOT NULL CHECK (strengths LIKE '[%]')"
  ");"
  "ALTER TABLE patients ADD COLUMN in_person_eval_at TEXT NULL;"
  "CREATE TABLE checkins ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  submitted_at TEXT NOT NULL,"
  "  missed_doses_14d INTEGER NULL"
  "    CHECK (missed_doses_14d IS NULL OR missed_doses_14d BETWEEN 0 AND 14)"
  ");"
  "CREATE INDEX checkins_by_visit ON checkins (visit_id, submitted_at);"
  "CREATE TABLE checkin_scales ("
  "  checkin_id TEXT NOT NULL REFERENCES checkins (id),"
  "  scale TEXT NOT NULL CHECK (scale IN ('phq9', 'gad7', 'asrs_a')),"
  "  items TEXT NOT NULL CHECK (items LIKE '[%]'),"
  "  total INTEGER NOT NULL CHECK (total >= 0),"
  "  band TEXT NOT NULL,"
  "  alert INTEGER NOT NULL CHECK (alert IN (0, 1)),"
  "  positive INTEGER NOT NULL CHECK (positive IN (0, 1)),"
  "  PRIMARY KEY (checkin_id, scale)"
  ");"
  "CREATE TABLE checkin_side_effects ("
  "  checkin_id TEXT NOT NULL REFERENCES checkins (id),"
  "  name TEXT NOT NULL CHECK (length(name) > 0),"
  "  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3)"
  ");"
  "CREATE INDEX checkin_side_effects_by_checkin ON checkin_side_effects (checkin_id);"
  "CREATE TABLE notes ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  author_id TEXT NOT NULL REFERENCES staff (id),"
  "  at TEXT NOT NULL,"
  "  text TEXT NOT NULL CHECK (length(text) > 0)"
  ");"
  "CREATE INDEX notes_by_visit ON notes (visit_id, at);"
  "CREATE TABLE medication_orders ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  patient_id TEXT NOT NULL REFERENCES patients (id),"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  prescriber_id TEXT NOT NULL REFERENCES staff (id),"
  "  medication_id TEXT NOT NULL REFERENCES medications (id),"
  "  dose REAL NOT NULL CHECK (dose > 0),"
  "  unit TEXT NOT NULL CHECK (length(unit) > 0),"
  "  frequency TEXT NOT NULL CHECK (length(frequency) > 0),"
  "  route TEXT NOT NULL CHECK (length(route) > 0),"
  "  action TEXT NOT NULL CHECK (action IN ('start', 'change-dose', 'switch')),"
  "  reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),"
  "  replaces_order_id TEXT NULL REFERENCES medication_orders (id),"
  "  initially_pending INTEGER NOT NULL CHECK (initially_pending IN (0, 1)),"
  "  created_at TEXT NOT NULL,"
  "  CHECK ((action = 'start') = (replaces_order_id IS NULL))"
  ");"
  "CREATE INDEX medication_orders_by_patient ON medication_orders (patient_id, created_at);"
  "CREATE INDEX medication_orders_by_visit ON medication_orders (visit_id, created_at);"
  "CREATE INDEX medication_orders_by_replaces ON medication_orders (replaces_order_id);"
  "CREATE INDEX medication_orders_pending ON medication_orders (prescriber_id, created_at)"
  "  WHERE initially_pending = 1;"
  "CREATE TABLE order_events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  order_id TEXT NOT NULL REFERENCES medication_orders (id),"
  "  kind TEXT NOT NULL CHECK (kind IN ('cosigned', 'stopped', 'entered-in-error')),"
  "  at TEXT NOT NULL,"
  "  by_staff_id TEXT NULL REFERENCES staff (id),"
  "  reason TEXT NULL,"
  "  visit_id TEXT NULL REFERENCES visits (id),"
  "  CHECK (kind = 'cosigned' OR (reason IS NOT NULL AND length(reason) > 0))"
  ");"
  "CREATE INDEX order_events_by_order ON order_events (order_id, kind, id);"
  "CREATE TABLE audit_events ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  at TEXT NOT NULL,"
  "  actor TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  detail TEXT NOT NULL,"
  "  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),"
  "  hash TEXT NOT NULL CHECK (length(hash) = 64)"
  ");"
  APPEND_ONLY ("medication_orders")
  APPEND_ONLY ("order_events")
  APPEND_ONLY ("audit_events")
  APPEND_ONLY ("checkins")
  APPEND_ONLY ("checkin_scales")
  APPEND_ONLY ("checkin_side_effects")
  APPEND_ONLY ("notes"),

  /* 3: staff accounts (issue 4). A session is stored as SHA-256 of its
   * 256-bit id; unlike clinical rows, sessions are updated in place
   * (last_seen_at, ended_at): they are state, and the audit log records
   * sign-ins and sign-outs. login_failures is a throttle, pruned freely. */
  "CREATE TABLE staff_credentials ("
  "  staff_id TEXT PRIMARY KEY NOT NULL REFERENCES staff (id),"
  "  username TEXT NOT NULL UNIQUE"
  "    CHECK (length(username) BETWEEN 3 AND 64 AND username = lower(username)),"
  "  password_hash TEXT NOT NULL CHECK (length(password_hash) > 0),"
  "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
  "  updated_at TEXT NOT NULL"
  ");"
  "CREATE TABLE sessions ("
  "  id_hash BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),"
  "  staff_id TEXT NOT NULL REFERENCES staff (id),"
  "  address TEXT NULL,"
  "  created_at TEXT NOT NULL,"
  "  last_seen_at TEXT NOT NULL,"
  "  ended_at TEXT NULL,"
  "  end_reason TEXT NULL,"
  "  CHECK ((ended_at IS NULL) = (end_reason IS NULL))"
  ");"
  "CREATE INDEX sessions_live_by_staff ON sessions (staff_id) WHERE ended_at IS NULL;"
  "CREATE TABLE login_failures ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  username TEXT NULL,"
  "  address TEXT NULL,"
  "  at TEXT NOT NULL,"
  "  CHECK (username IS NOT NULL OR address IS NOT NULL)"
  ");"
  "CREATE INDEX login_failures_by_username ON login_failures (username, at);"
  "CREATE INDEX login_failures_by_address ON login_failures (address, at);"
  "CREATE INDEX login_failures_by_at ON login_failures (at);",

  /* 4: a participant's connection may drop and return within a grace
   * period; the timeline keeps both. SQLite cannot widen a CHECK in place,
   * so the table is rebuilt with its rows (nothing references it). */
  "CREATE TABLE visit_events_v4 ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  visit_id TEXT NOT NULL REFERENCES visits (id),"
  "  at TEXT NOT NULL,"
  "  kind TEXT NOT NULL"
  "    CHECK (kind IN ('state', 'join', 'admit', 'drop', 'return', 'leave')),"
  "  state TEXT NULL"
  "    CHECK (state IS NULL OR state IN ('scheduled', 'waiting', 'in_progress', 'ended')),"
  "  participant_id TEXT NULL REFERENCES participants (id),"
  "  CHECK ((kind = 'state' AND state IS NOT NULL AND participant_id IS NULL)"
  "      OR (kind <> 'state' AND state IS NULL AND participant_id IS NOT NULL))"
  ");"
  "INSERT INTO visit_events_v4 (id, visit_id, at, kind, state, participant_id)"
  "  SELECT id, visit_id, at, kind, state, participant_id FROM visit_events;"
  "DROP TABLE visit_events;"
  "ALTER TABLE visit_events_v4 RENAME TO visit_events;"
  "CREATE INDEX visit_events_by_visit ON visit_events (visit_id, id);"
};


int
store_latest_schema_version (void)
{
  return (int) G_N_ELEMENTS (kMigrations);
}

const char *
store_migration_sql (int version)
{
  if (version < 1 || version > store_latest_schema_version ())
    return NULL;
  return kMigrations[version - 1];
}

/* ------------------------------------------------------------ helpers */

sqlite3 *
store_get_db (Store *store)
{
  return store ? store->db : NULL;
}

void
store_set_sql_error (Store *store, GError **error, const char *what)
{
  const char *msg = (store && store->db) ? sqlite3_errmsg (store->db) : "no database";
  g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "%s: %s", what, msg);
}

gboolean
store_prepare (Store *store, const char *sql, sqlite3_stmt **out, GError **error)
{
  *out = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, out, NULL) != SQLITE_OK) {
    store_set_sql_error (store, error, "prepare");
    sqlite3_finalize (*out);
    *out = NULL;
    return FALSE;
  }
  return TRUE;
}

gboolean
store_step_done (Store *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE) {
    store_set_sql_error (store, error, what);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_run (Store *store, const char *what, const char *sql, const guchar *hash, guint *changes,
           GError **error, int n_texts, ...)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  int idx = 1;
  va_list ap;

  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  if (hash)
    sqlite3_bind_blob (stmt, idx++, hash, STORE_HASH_BYTES, SQLITE_TRANSIENT);
  va_start (ap, n_texts);
  for (int i = 0; i < n_texts; i++)
    store_bind_text (stmt, idx++, va_arg (ap, const char *));
  va_end (ap);
  if (store_step_done (store, stmt, what, error)) {
    if (changes)
      *changes = (guint) sqlite3_changes (store->db);
    ok = TRUE;
  }
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
store_step_row (Store *store, sqlite3_stmt *stmt, const char *what, const char *not_found,
                GError **error)
{
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_DONE)
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, not_found);
  else
    store_set_sql_error (store, error, what);
  return FALSE;
}

gboolean
store_select_row (Store *store, const char *sql, const char *key, const char *what,
                  const char *not_found, sqlite3_stmt **out, GError **error)
{
  if (!store_prepare (store, sql, out, error))
    return FALSE;
  store_bind_text (*out, 1, key);
  return store_step_row (store, *out, what, not_found, error);
}

gboolean
store_select_text (Store *store, const char *sql, const char *key, const char *what,
                   const char *not_found, char **out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = store_select_row (store, sql, key, what, not_found, &stmt, error);

  if (ok && out)
    *out = store_column_dup_text (stmt, 0);
  sqlite3_finalize (stmt);
  return ok;
}

GPtrArray *
store_collect_rows (Store *store, sqlite3_stmt *stmt, StoreRowReader read,
                    GDestroyNotify free_item, const char *what, GError **error)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (free_item);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    gpointer item = read (stmt, error);
    if (!item)
      goto fail;
    g_ptr_array_add (rows, item);
  }
  if (rc != SQLITE_DONE) {
    store_set_sql_error (store, error, what);
    goto fail;
  }
  return rows;
fail:
  g_ptr_array_unref (rows);
  return NULL;
}

static gboolean
exec_simple (Store *store, const char *sql, const char *what, GError **error)
{
  char *errmsg = NULL;
  if (sqlite3_exec (store->db, sql, NULL, NULL, &errmsg) != SQLITE_OK) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "%s: %s", what,
                 errmsg ? errmsg : sqlite3_errmsg (store->db));
    sqlite3_free (errmsg);
    return FALSE;
  }
  return TRUE;
}

gboolean
store_begin (Store *store, GError **error)
{
  /* IMMEDIATE takes the write lock up front, so a read-then-write
   * transaction cannot fail half-way with SQLITE_BUSY on upgrade. */
  return exec_simple (store, "BEGIN IMMEDIATE", "begin", error);
}

gboolean
store_commit (Store *store, GError **error)
{
  return exec_simple (store, "COMMIT", "commit", error);
}

void
store_rollback (Store *store)
{
  if (!sqlite3_get_autocommit (store->db))
    sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
store_commit_or_rollback (Store *store, gboolean ok, GError **error)
{
  if (ok && store_commit (store, error))
    return TRUE;
  store_rollback (store);
  return FALSE;
}

int
store_bind_text (sqlite3_stmt *stmt, int idx, const char *text)
{
  if (!text)
    return sqlite3_bind_null (stmt, idx);
  return sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
}

char *
store_column_dup_text (sqlite3_stmt *stmt, int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);
  return text ? g_strdup ((const char *) text) : NULL;
}

gboolean
store_text_valid (const char *text, glong max_chars)
{
  return text && *text && g_utf8_validate (text, -1, NULL) &&
         g_utf8_strlen (text, -1) <= max_chars;
}

gboolean
store_name_index (const char *const *names, gsize n, const char *name, gsize *out)
{
  for (gsize i = 0; name && i < n; i++) {
    if (strcmp (name, names[i]) == 0) {
      if (out)
        *out = i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
store_name_at (const char *const *names, gsize n, gsize index)
{
  return index < n ? names[index] : NULL;
}

gint64
store_now_ms (void)
{
  return g_get_real_time () / 1000;
}

char *
store_format_time (gint64 ms, GError **error)
{
  GDateTime *dt = NULL;
  char *text = NULL;

  if (ms < 0 || ms > STORE_MAX_TIME_MS) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "time out of range");
    goto out;
  }
  dt = g_date_time_new_from_unix_utc (ms / 1000);
  if (!dt) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "time out of range");
    goto out;
  }
  /* Built field by field: fixed widths so the text sorts like the time. */
  text = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", g_date_time_get_year (dt),
                          g_date_time_get_month (dt), g_date_time_get_day_of_month (dt),
                          g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                          g_date_time_get_second (dt), (int) (ms % 1000));
out:
  if (dt)
    g_date_time_unref (dt);
  return text;
}

gboolean
store_parse_time (const char *text, gint64 *out_ms)
{
  GDateTime *dt;

  if (!text)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (!dt)
    return FALSE;
  *out_ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
  g_date_time_unref (dt);
  return TRUE;
}

gboolean
store_text_time (const char *text, gint64 *out_ms, GError **error)
{
  if (!store_parse_time (text, out_ms)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored time is not ISO 8601");
    return FALSE;
  }
  return TRUE;
}

gboolean
store_column_time (sqlite3_stmt *stmt, int col, gint64 *out_ms, GError **error)
{
  return store_text_time ((const char *) sqlite3_column_text (stmt, col), out_ms, error);
}

gboolean
store_row_exists (Store *store, const char *table, const char *id, gboolean *exists,
                  GError **error)
{
  /* Fixed statements per table: no identifier is ever pasted into SQL. */
  const char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (g_strcmp0 (table, "staff") == 0)
    sql = "SELECT 1 FROM staff WHERE id = ?1";
  else if (g_strcmp0 (table, "patients") == 0)
    sql = "SELECT 1 FROM patients WHERE id = ?1";
  else if (g_strcmp0 (table, "visits") == 0)
    sql = "SELECT 1 FROM visits WHERE id = ?1";
  else if (g_strcmp0 (table, "participants") == 0)
    sql = "SELECT 1 FROM participants WHERE id = ?1";
  if (!sql) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown table");
    goto out;
  }
  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *exists = TRUE;
  else if (rc == SQLITE_DONE)
    *exists = FALSE;
  else {
    store_set_sql_error (store, error, "row exists");
    goto out;
  }
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
store_require_row (Store *store, const char *table, const char *id, const char *not_found,
                   GError **error)
{
  gboolean exists = FALSE;
  if (!store_row_exists (store, table, id, &exists, error))
    return FALSE;
  if (!exists) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, not_found);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------ open / close */

static gboolean
read_int_pragma (Store *store, const char *sql, int *out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    store_set_sql_error (store, error, sql);
    goto out;
  }
  *out = sqlite3_column_int (stmt, 0);
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  return ok;
}

int
store_schema_version (Store *store)
{
  int version = -1;
  if (!store || !read_int_pragma (store, "PRAGMA user_version", &version, NULL))
    return -1;
  return version;
}

static gboolean
set_pragmas (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  const char *mode;
  int fk = 0;

  /* Foreign keys are off by default and per connection; must be set outside
   * a transaction. Read back: a build without FK support ignores it. */
  if (!exec_simple (store, "PRAGMA foreign_keys = ON", "foreign_keys", error))
    goto out;
  if (!read_int_pragma (store, "PRAGMA foreign_keys", &fk, error))
    goto out;
  if (fk != 1) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "foreign keys cannot be enabled");
    goto out;
  }

  /* WAL: readers never block the writer; the mode is persistent in the file. */
  if (!store_prepare (store, "PRAGMA journal_mode = WAL", &stmt, error))
    goto out;
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    store_set_sql_error (store, error, "journal_mode");
    goto out;
  }
  mode = (const char *) sqlite3_column_text (stmt, 0);
  /* An in-memory database reports "memory"; anything else must be WAL. */
  if (!mode || (g_ascii_strcasecmp (mode, "wal") != 0 && g_ascii_strcasecmp (mode, "memory") != 0)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "journal_mode WAL refused");
    goto out;
  }

  /* synchronous=NORMAL is safe in WAL mode: a commit is appended to the WAL
   * and the WAL is fsynced at checkpoints, so the database can never be
   * corrupted by a crash; at worst a power loss rolls back the last few
   * commits before the checkpoint. FULL would fsync the WAL on every commit,
   * which this workload (a few writes per visit) does not need for
   * integrity. */
  if (!exec_simple (store, "PRAGMA synchronous = NORMAL", "synchronous", error))
    goto out;
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
apply_migration (Store *store, int version, GError **error)
{
  char *bump = NULL;
  gboolean ok = FALSE;
  int current = 0;

  if (!store_begin (store, error))
    goto out;
  /* Re-read inside the write lock: another process may have migrated. */
  if (!read_int_pragma (store, "PRAGMA user_version", &current, error))
    goto out;
  if (current >= version) {
    ok = store_commit (store, error);
    goto out;
  }
  if (!exec_simple (store, kMigrations[version - 1], "migration", error))
    goto out;
  /* PRAGMA takes no bound parameters; `version` is this program's own
   * migration number, never outside input. */
  bump = g_strdup_printf ("PRAGMA user_version = %d", version);
  if (!exec_simple (store, bump, "user_version", error))
    goto out;
  if (!store_commit (store, error))
    goto out;
  ok = TRUE;
out:
  if (!ok) {
    store_rollback (store);
    if (error && *error)
      g_prefix_error (error, "migration %d: ", version);
  }
  g_free (bump);
  return ok;
}

static gboolean
migrate (Store *store, GError **error)
{
  int latest = store_latest_schema_version ();
  int version = 0;

  if (!read_int_pragma (store, "PRAGMA user_version", &version, error))
    return FALSE;
  if (version > latest || version < 0) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "database schema version %d is newer than this program's %d", version, latest);
    return FALSE;
  }
  for (int v = version + 1; v <= latest; v++) {
    if (!apply_migration (store, v, error))
      return FALSE;
  }
  return TRUE;
}

Store *
store_open (const char *path, GError **error)
{
  Store *store = NULL;
  int version = 0;
  int rc;

  if (!path || !*path) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "no database path");
    return NULL;
  }
  store = g_new0 (Store, 1);
  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    store_set_sql_error (store, error, "open");
    goto fail;
  }
  sqlite3_extended_result_codes (store->db, 1);
  sqlite3_busy_timeout (store->db, 5000);

  /* Refuse a newer file before touching it (even the journal mode). */
  if (!read_int_pragma (store, "PRAGMA user_version", &version, error))
    goto fail;
  if (version > store_latest_schema_version ()) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                 "database schema version %d is newer than this program's %d", version,
                 store_latest_schema_version ());
    goto fail;
  }
  if (!set_pragmas (store, error))
    goto fail;
  if (!migrate (store, error))
    goto fail;
  return store;

fail:
  store_close (store);
  return NULL;
}

void
store_close (Store *store)
{
  if (!store)
    return;
  if (store->db) {
    store_rollback (store);
    if (sqlite3_close_v2 (store->db) != SQLITE_OK)
      g_warning ("store: closing the database failed");
  }
  g_free (store);
}
