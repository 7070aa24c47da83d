/* store_accounts.c — staff accounts (username, password hash, disabled),
 * sign-in sessions and failed sign-in throttling. (Visit guests are in
 * store_guests.c.)
 *
 * Session ids are secrets of the kind store_tokens.c makes and checks (see
 * store-private.h): 32 bytes from RAND_bytes, handed out once as unpadded
 * base64url, stored only as SHA-256 of that text, found by hash and
 * compared again in constant time.
 *
 * Unlike the clinical tables, sessions and credentials are updated in place
 * (last_seen_at, ended_at, disabled, password_hash): they are the current
 * state of an account, not a record; every change that matters is written
 * to the audit log by the caller. Nothing here logs a username, password
 * hash, session id or patient data.
 */
#include "server/store/store-private.h"

#include <string.h>

#include <openssl/crypto.h>

#define USERNAME_MIN 3
#define USERNAME_MAX 64
#define FAILURE_KEY_MAX 256 /* bytes of a typed username or an address */
/* Failed sign-ins older than this are forgotten: no throttle window is
 * anywhere near as long, and an attacker must not grow the table forever. */
#define FAILURE_RETENTION_MS (G_GINT64_CONSTANT (30) * 24 * 3600 * 1000)

/* ------------------------------------------------------------ helpers */

static void
set_error (GError **error, StoreErrorCode code, const char *message)
{
  g_set_error_literal (error, STORE_ERROR, code, message);
}

/* The username lowercased, or NULL when it is not 3..64 of [a-z0-9._-]
 * once lowercased (ASCII only: no look-alike letters from other scripts). */
static char *
username_normalize (const char *username)
{
  char *lower;
  gsize len;

  if (!username)
    return NULL;
  len = strlen (username);
  if (len < USERNAME_MIN || len > USERNAME_MAX)
    return NULL;
  lower = g_ascii_strdown (username, -1);
  for (gsize i = 0; i < len; i++) {
    char c = lower[i];
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-') {
      g_free (lower);
      return NULL;
    }
  }
  return lower;
}

/* The throttle key for a typed username: lowercased like a username, but
 * any text is recorded (a failure with a malformed name still counts). */
static char *
failure_key (const char *text, GError **error)
{
  if (!text)
    return NULL;
  if (strlen (text) > FAILURE_KEY_MAX || !g_utf8_validate (text, -1, NULL)) {
    set_error (error, STORE_ERROR_INVALID, "malformed sign-in key");
    return NULL;
  }
  return g_utf8_strdown (text, -1);
}

/* An end reason: 1..32 of [a-z-] ("logout", "idle", "disabled", ...). */
static gboolean
end_reason_valid (const char *reason)
{
  gsize len = reason ? strlen (reason) : 0;

  if (len == 0 || len > 32)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!(reason[i] >= 'a' && reason[i] <= 'z') && reason[i] != '-')
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------ accounts */

void
store_staff_account_clear (StoreStaffAccount *account)
{
  if (!account)
    return;
  g_free (account->id);
  g_free (account->username);
  g_free (account->display_name);
  g_free (account->role);
  g_free (account->supervisor_id);
  memset (account, 0, sizeof *account);
}

void
store_staff_account_free (StoreStaffAccount *account)
{
  if (!account)
    return;
  store_staff_account_clear (account);
  g_free (account);
}

/* Staff without credentials are listed too (username NULL, not disabled). */
#define ACCOUNT_COLUMNS                                                             \
  "SELECT s.id, c.username, s.display_name, s.role, s.supervising_psychiatrist_id," \
  " COALESCE(c.disabled, 0), s.created_at, c.password_hash"                         \
  " FROM staff s LEFT JOIN staff_credentials c ON c.staff_id = s.id "

static gboolean
read_account (StoreStmt *stmt, StoreStaffAccount *out, GError **error)
{
  StoreStaffAccount a = { 0 };

  if (!store_column_time (stmt, 6, &a.created_at_ms, error))
    return FALSE;
  a.id = store_column_dup_text (stmt, 0);
  a.username = store_column_dup_text (stmt, 1);
  a.display_name = store_column_dup_text (stmt, 2);
  a.role = store_column_dup_text (stmt, 3);
  a.supervisor_id = store_column_dup_text (stmt, 4);
  a.disabled = store_col_int (stmt, 5) != 0;
  *out = a;
  return TRUE;
}

/* One account by `sql` (ACCOUNT_COLUMNS + a WHERE on ?1). */
static gboolean
get_account (Store *store, const char *sql, const char *key, StoreStaffAccount *out,
             char **password_hash, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreStaffAccount a = { 0 };
  gboolean ok = FALSE;

  if (!store_select_row (store, sql, key, "get account", "no such account", &stmt, error))
    goto out;
  if (!read_account (stmt, &a, error))
    goto out;
  if (password_hash)
    *password_hash = store_column_dup_text (stmt, 7);
  if (out)
    *out = a;
  else
    store_staff_account_clear (&a);
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_find_staff_by_username (Store *store, const char *username, StoreStaffAccount *out,
                              char **password_hash, GError **error)
{
  char *name = username_normalize (username);
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  /* A malformed name cannot belong to anyone: the same answer as unknown. */
  if (!name) {
    set_error (error, STORE_ERROR_NOT_FOUND, "no such account");
    return FALSE;
  }
  ok = get_account (store, ACCOUNT_COLUMNS "WHERE c.username = ?1", name, out, password_hash,
                    error);
  g_free (name);
  return ok;
}

gboolean
store_get_staff_account (Store *store, const char *staff_id, StoreStaffAccount *out, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return get_account (store, ACCOUNT_COLUMNS "WHERE s.id = ?1", staff_id, out, NULL, error);
}

static gpointer
account_row_new (StoreStmt *stmt, GError **error)
{
  StoreStaffAccount *a = g_new0 (StoreStaffAccount, 1);
  if (!read_account (stmt, a, error))
    g_clear_pointer (&a, g_free);
  return a;
}

GPtrArray *
store_list_staff (Store *store, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *list = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (store_prepare (store, ACCOUNT_COLUMNS "ORDER BY s.display_name, s.id", &stmt, error))
    list = store_collect_rows (store, stmt, account_row_new,
                               (GDestroyNotify) store_staff_account_free, "list staff", error);
  store_stmt_free (stmt);
  return list;
}

static gboolean
hash_text_valid (const char *password_hash)
{
  return password_hash && *password_hash && strlen (password_hash) <= 512 &&
         g_utf8_validate (password_hash, -1, NULL);
}

gboolean
store_set_staff_credentials (Store *store, const char *staff_id, const char *username,
                             const char *password_hash, GError **error)
{
  char *name = username_normalize (username);
  char *now = NULL;
  gboolean ok = FALSE;
  StoreViolation violation;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!name) {
    set_error (error, STORE_ERROR_INVALID, "a username has 3 to 64 of a-z 0-9 . _ -");
    goto out;
  }
  if (!hash_text_valid (password_hash)) {
    set_error (error, STORE_ERROR_INVALID, "bad password hash");
    goto out;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  /* One statement, so no transaction: a second call renames and re-keys
   * the account (disabled stays as it was). The constraints decide the
   * refusals: UNIQUE (username) for a name taken by someone else, the
   * foreign key for an unknown staff id. */
  ok = store_run (store, "set credentials",
                  "INSERT INTO staff_credentials (staff_id, username, password_hash, updated_at)"
                  " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (staff_id) DO UPDATE SET"
                  " username = excluded.username, password_hash = excluded.password_hash,"
                  " updated_at = excluded.updated_at",
                  NULL, NULL, error, 4, staff_id, name, password_hash, now);
  violation = store_last_violation (store);
  if (!ok && (violation == STORE_VIOLATION_UNIQUE || violation == STORE_VIOLATION_FOREIGN_KEY)) {
    g_clear_error (error);
    if (violation == STORE_VIOLATION_UNIQUE)
      set_error (error, STORE_ERROR_INVALID, "username is taken");
    else
      set_error (error, STORE_ERROR_NOT_FOUND, "no such staff member");
  }
out:
  g_free (now);
  g_free (name);
  return ok;
}

gboolean
store_set_staff_password (Store *store, const char *staff_id, const char *password_hash,
                          GError **error)
{
  char *now = NULL;
  guint changed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!hash_text_valid (password_hash)) {
    set_error (error, STORE_ERROR_INVALID, "bad password hash");
    goto out;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_run (store, "set password",
                  "UPDATE staff_credentials SET password_hash = ?2, updated_at = ?3"
                  " WHERE staff_id = ?1",
                  NULL, &changed, error, 3, staff_id, password_hash, now))
    goto out;
  if (changed != 1) {
    set_error (error, STORE_ERROR_NOT_FOUND, "no such account");
    goto out;
  }
  ok = TRUE;
out:
  g_free (now);
  return ok;
}

/* Ends the live sessions of a staff member (inside the caller's
 * transaction, if any); `n_ended` gets how many. */
static gboolean
end_staff_sessions_now (Store *store, const char *staff_id, const char *reason, const char *now,
                        guint *n_ended, GError **error)
{
  return store_run (store, "end sessions",
                    "UPDATE sessions SET ended_at = ?2, end_reason = ?3"
                    " WHERE staff_id = ?1 AND ended_at IS NULL",
                    NULL, n_ended, error, 3, staff_id, now, reason);
}

gboolean
store_set_staff_disabled (Store *store, const char *staff_id, gboolean disabled, GError **error)
{
  char *now = NULL;
  guint changed = 0, n_ended = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_run (store, "set disabled",
                  disabled ? "UPDATE staff_credentials SET disabled = 1, updated_at = ?2"
                             " WHERE staff_id = ?1"
                           : "UPDATE staff_credentials SET disabled = 0, updated_at = ?2"
                             " WHERE staff_id = ?1",
                  NULL, &changed, error, 2, staff_id, now))
    goto out;
  if (changed != 1) {
    set_error (error, STORE_ERROR_NOT_FOUND, "no such account");
    goto out;
  }
  /* Disabling takes effect at once: nobody stays signed in on the
   * account. (Resolving refuses a disabled account's sessions anyway; ending
   * them keeps them from coming back if it is enabled again.) */
  if (disabled && !end_staff_sessions_now (store, staff_id, "disabled", now, &n_ended, error))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  g_free (now);
  return ok;
}

/* ------------------------------------------------------------ sessions */

char *
store_create_session (Store *store, const char *staff_id, const char *address, gint64 now_ms,
                      GError **error)
{
  StoreStmt *stmt = NULL;
  guchar hash[STORE_HASH_BYTES];
  char *session = NULL;
  char *now = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, NULL);
  memset (hash, 0, sizeof hash);
  if (address && (strlen (address) > FAILURE_KEY_MAX || !g_utf8_validate (address, -1, NULL))) {
    set_error (error, STORE_ERROR_INVALID, "malformed address");
    goto out;
  }
  if (!(now = store_format_time (now_ms, error)))
    goto out;
  if (!(session = store_secret_new (error)) || !store_secret_hash (session, hash, error))
    goto out;
  if (!store_begin (store, error))
    goto out;
  /* The staff member must exist and not be disabled (one without
   * credentials is allowed: the server may sign in its own demo staff). */
  if (!store_select_row (store,
                         "SELECT COALESCE(c.disabled, 0) FROM staff s"
                         " LEFT JOIN staff_credentials c ON c.staff_id = s.id WHERE s.id = ?1",
                         staff_id, "session account", "no such staff member", &stmt, error))
    goto out;
  if (store_col_int (stmt, 0) != 0) {
    set_error (error, STORE_ERROR_INVALID, "the account is disabled");
    goto out;
  }
  if (!store_run (store, "insert session",
                  "INSERT INTO sessions (id_hash, staff_id, address, created_at, last_seen_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?4)",
                  hash, NULL, error, 3, staff_id, address, now))
    goto out;
  ok = TRUE;
out:
  store_stmt_free (stmt);
  ok = store_commit_or_rollback (store, ok, error);
  if (!ok)
    store_secret_clear (&session);
  OPENSSL_cleanse (hash, sizeof hash);
  g_free (now);
  return session;
}

char *
store_resolve_session (Store *store, const char *session_id, gint64 now_ms, gint64 idle_ms,
                       GError **error)
{
  return store_resolve_session_full (store, session_id, now_ms, idle_ms, TRUE, error);
}

char *
store_resolve_session_full (Store *store, const char *session_id, gint64 now_ms, gint64 idle_ms,
                            gboolean touch, GError **error)
{
  StoreStmt *stmt = NULL;
  guchar hash[STORE_HASH_BYTES];
  char *staff_id = NULL;
  char *now = NULL;
  gint64 last_seen = 0;
  gboolean expired = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, NULL);
  memset (hash, 0, sizeof hash);
  if (idle_ms <= 0) {
    set_error (error, STORE_ERROR_INVALID, "idle time must be positive");
    goto out;
  }
  if (!store_secret_plausible (session_id)) {
    set_error (error, STORE_ERROR_NOT_FOUND, "unknown session");
    goto out;
  }
  if (!(now = store_format_time (now_ms, error)) || !store_secret_hash (session_id, hash, error))
    goto out;
  /* Read and update under one write lock: a concurrent logout or disable
   * cannot slip between the check and the touch. */
  if (!store_begin (store, error))
    goto out;
  /* Unknown, ended, or on a disabled account: all the same to the caller. */
  if (!store_select_hash_row (store,
                              "SELECT s.id_hash, s.staff_id, s.last_seen_at, s.ended_at,"
                              " COALESCE(c.disabled, 0) FROM sessions s"
                              " LEFT JOIN staff_credentials c ON c.staff_id = s.staff_id"
                              " WHERE s.id_hash = ?1",
                              hash, "resolve session", "unknown session", &stmt, error))
    goto out;
  if (!store_col_is_null (stmt, 3) || store_col_int (stmt, 4) != 0) {
    set_error (error, STORE_ERROR_NOT_FOUND, "unknown session");
    goto out;
  }
  if (!store_column_time (stmt, 2, &last_seen, error))
    goto out;
  staff_id = store_column_dup_text (stmt, 1);
  store_stmt_free (stmt);
  stmt = NULL;
  expired = now_ms - last_seen > idle_ms;
  /* An expired session ends for good. A live one is marked active, but
   * never moved backwards: an older clock reading from a caller must not
   * make it look idle sooner. */
  if (expired && !store_run (store, "end idle session",
                             "UPDATE sessions SET ended_at = ?2, end_reason = 'idle'"
                             " WHERE id_hash = ?1",
                             hash, NULL, error, 1, now))
    goto out;
  if (touch && !expired && now_ms > last_seen &&
      !store_run (store, "touch session",
                  "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1", hash, NULL, error, 1,
                  now))
    goto out;
  if (!store_commit (store, error))
    goto out;
  if (expired) {
    set_error (error, STORE_ERROR_EXPIRED, "session ended after idle time");
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  if (!ok) {
    store_rollback (store);
    g_clear_pointer (&staff_id, g_free);
  }
  OPENSSL_cleanse (hash, sizeof hash);
  g_free (now);
  return staff_id;
}

gboolean
store_end_session (Store *store, const char *session_id, const char *reason, GError **error)
{
  guchar hash[STORE_HASH_BYTES];
  char *now = NULL;
  guint changed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  memset (hash, 0, sizeof hash);
  if (!end_reason_valid (reason)) {
    set_error (error, STORE_ERROR_INVALID, "bad end reason");
    goto out;
  }
  if (!store_secret_plausible (session_id)) {
    set_error (error, STORE_ERROR_NOT_FOUND, "unknown session");
    goto out;
  }
  if (!(now = store_format_time (store_now_ms (), error)) ||
      !store_secret_hash (session_id, hash, error))
    goto out;
  /* Found by the primary key; nothing about the row is read back, so there
   * is no comparison whose timing could leak. */
  if (!store_run (store, "end session",
                  "UPDATE sessions SET ended_at = ?2, end_reason = ?3"
                  " WHERE id_hash = ?1 AND ended_at IS NULL",
                  hash, &changed, error, 2, now, reason))
    goto out;
  if (changed != 1) {
    set_error (error, STORE_ERROR_NOT_FOUND, "unknown session");
    goto out;
  }
  ok = TRUE;
out:
  OPENSSL_cleanse (hash, sizeof hash);
  g_free (now);
  return ok;
}

guint
store_end_staff_sessions (Store *store, const char *staff_id, const char *reason, GError **error)
{
  char *now = NULL;
  guint n = 0;

  g_return_val_if_fail (store != NULL, 0);
  if (!end_reason_valid (reason)) {
    set_error (error, STORE_ERROR_INVALID, "bad end reason");
    goto out;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  /* One UPDATE: atomic without an explicit transaction. */
  if (!end_staff_sessions_now (store, staff_id, reason, now, &n, error))
    n = 0;
out:
  g_free (now);
  return n;
}

/* ------------------------------------------------------------ failed sign-ins */
/* A throttle, not a record: rows are deleted when they no longer matter
 * (the audit log keeps the history of failed sign-ins). */

gboolean
store_record_login_failure (Store *store, const char *username, const char *address, gint64 now_ms,
                            GError **error)
{
  return store_record_login_failure_from (store, username, address, NULL, now_ms, error);
}

static gboolean
key_text_valid (const char *text)
{
  return !text || (strlen (text) <= FAILURE_KEY_MAX && g_utf8_validate (text, -1, NULL));
}

gboolean
store_record_login_failure_from (Store *store, const char *username, const char *address,
                                 const char *network, gint64 now_ms, GError **error)
{
  GError *local = NULL;
  char *key = failure_key (username, &local);
  char *now = NULL;
  char *horizon = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (local) {
    g_propagate_error (error, local);
    goto out;
  }
  if (!key && !address) {
    set_error (error, STORE_ERROR_INVALID, "a failure needs a username or an address");
    goto out;
  }
  if (!key_text_valid (address) || !key_text_valid (network)) {
    set_error (error, STORE_ERROR_INVALID, "malformed address");
    goto out;
  }
  if (!(now = store_format_time (now_ms, error)) ||
      !(horizon = store_format_time (MAX (now_ms - FAILURE_RETENTION_MS, 0), error)))
    goto out;
  if (!store_begin (store, error) ||
      !store_run (store, "prune failures", "DELETE FROM login_failures WHERE at < ?1", NULL, NULL,
                  error, 1, horizon) ||
      !store_run (store, "record failure",
                  "INSERT INTO login_failures (username, address, at, network)"
                  " VALUES (?1, ?2, ?3, ?4)",
                  NULL, NULL, error, 4, key, address, now, network))
    goto out;
  ok = TRUE;
out:
  ok = store_commit_or_rollback (store, ok, error);
  g_free (horizon);
  g_free (now);
  g_free (key);
  return ok;
}

guint
store_count_login_failures (Store *store, const char *kind, const char *key, gint64 since_ms,
                            gint64 *latest_ms, GError **error)
{
  StoreStmt *stmt = NULL;
  char *lookup = NULL;
  char *since = NULL;
  const char *sql;
  guint n = 0;
  gint64 latest = 0;

  g_return_val_if_fail (store != NULL, 0);
  if (g_strcmp0 (kind, "account") == 0) {
    sql = "SELECT count(*), max(at) FROM login_failures WHERE username = ?1 AND at >= ?2";
    if (!(lookup = failure_key (key, error)))
      goto out;
  } else if (g_strcmp0 (kind, "address") == 0) {
    sql = "SELECT count(*), max(at) FROM login_failures WHERE address = ?1 AND at >= ?2";
    lookup = g_strdup (key);
  } else if (g_strcmp0 (kind, "network") == 0) {
    sql = "SELECT count(*), max(at) FROM login_failures WHERE network = ?1 AND at >= ?2";
    lookup = g_strdup (key);
  } else {
    set_error (error, STORE_ERROR_INVALID, "unknown failure kind");
    goto out;
  }
  if (!lookup)
    goto out; /* no key, no failures */
  if (!(since = store_format_time (CLAMP (since_ms, 0, STORE_MAX_TIME_MS), error)))
    goto out;
  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  store_bind_text (stmt, 1, lookup);
  store_bind_text (stmt, 2, since);
  if (store_step (stmt) != STORE_ROW) {
    store_set_sql_error (store, error, "count failures");
    goto out;
  }
  if (!store_col_is_null (stmt, 1) && !store_column_time (stmt, 1, &latest, error))
    goto out;
  n = (guint) store_col_int64 (stmt, 0);
out:
  if (latest_ms)
    *latest_ms = n ? latest : 0;
  store_stmt_free (stmt);
  g_free (since);
  g_free (lookup);
  return n;
}

gboolean
store_clear_login_failures (Store *store, const char *username, GError **error)
{
  char *key = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!(key = failure_key (username, error))) {
    if (error && !*error)
      set_error (error, STORE_ERROR_INVALID, "no username");
    return FALSE;
  }
  ok = store_run (store, "clear failures", "DELETE FROM login_failures WHERE username = ?1", NULL,
                  NULL, error, 1, key);
  g_free (key);
  return ok;
}

/* ------------------------------------------------------------ throttled attempts
 * One row per client network and window, counting: a flood of refused
 * attempts costs one UPDATE each, not one audit row each. */

gboolean
store_note_throttled (Store *store, const char *network, gint64 window_start_ms,
                      const char *verdict, gint64 now_ms, guint *attempts, GError **error)
{
  StoreStmt *stmt = NULL;
  char *start = NULL, *now = NULL, *horizon = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!network || !*network || !key_text_valid (network)) {
    set_error (error, STORE_ERROR_INVALID, "malformed address");
    goto out;
  }
  if (g_strcmp0 (verdict, "slow-down") != 0 && g_strcmp0 (verdict, "locked") != 0) {
    set_error (error, STORE_ERROR_INVALID, "unknown throttle verdict");
    goto out;
  }
  if (!(start = store_format_time (window_start_ms, error)) ||
      !(now = store_format_time (now_ms, error)) ||
      !(horizon = store_format_time (MAX (now_ms - FAILURE_RETENTION_MS, 0), error)))
    goto out;
  if (!store_begin (store, error) ||
      !store_run (store, "prune throttled", "DELETE FROM login_throttled WHERE window_start < ?1",
                  NULL, NULL, error, 1, horizon) ||
      !store_run (store, "count throttled",
                  "INSERT INTO login_throttled (network, window_start, verdict, attempts, last_at)"
                  " VALUES (?1, ?2, ?3, 1, ?4)"
                  " ON CONFLICT (network, window_start, verdict) DO UPDATE SET"
                  " attempts = login_throttled.attempts + 1, last_at = excluded.last_at",
                  NULL, NULL, error, 4, network, start, verdict, now))
    goto out;
  if (!store_prepare (store,
                      "SELECT attempts FROM login_throttled"
                      " WHERE network = ?1 AND window_start = ?2 AND verdict = ?3",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, network);
  store_bind_text (stmt, 2, start);
  store_bind_text (stmt, 3, verdict);
  if (store_step (stmt) != STORE_ROW) {
    store_set_sql_error (store, error, "read throttled");
    goto out;
  }
  if (attempts)
    *attempts = (guint) store_col_int64 (stmt, 0);
  ok = TRUE;
out:
  store_stmt_free (stmt);
  ok = store_commit_or_rollback (store, ok, error);
  g_free (horizon);
  g_free (now);
  g_free (start);
  return ok;
}

guint
store_count_throttled (Store *store, const char *network, gint64 window_start_ms, GError **error)
{
  StoreStmt *stmt = NULL;
  char *start = NULL;
  guint n = 0;
  int rc;

  g_return_val_if_fail (store != NULL, 0);
  if (!network || !(start = store_format_time (window_start_ms, error)))
    goto out;
  if (!store_prepare (store,
                      "SELECT coalesce(sum(attempts), 0) FROM login_throttled"
                      " WHERE network = ?1 AND window_start = ?2",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, network);
  store_bind_text (stmt, 2, start);
  rc = store_step (stmt);
  if (rc == STORE_ROW)
    n = (guint) store_col_int64 (stmt, 0);
  else if (rc != STORE_DONE)
    store_set_sql_error (store, error, "count throttled");
out:
  store_stmt_free (stmt);
  g_free (start);
  return n;
}
