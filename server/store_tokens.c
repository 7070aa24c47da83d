/* store_tokens.c — join tokens (one participant of one visit) and provider
 * console tokens (one staff member).
 *
 * A token is 32 bytes from RAND_bytes, handed out once as unpadded base64url
 * text (43 characters). The database keeps only SHA-256 of that text; a
 * lookup finds the row by hash and compares the hash again in constant time.
 * Tokens never appear in logs or error messages.
 */
#include "server/store-private.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define TOKEN_BYTES 32
#define TOKEN_HASH_BYTES 32
#define TOKEN_MAX_TEXT 256

/* ------------------------------------------------------------ token text */

/* A fresh random token as base64url without padding. */
static char *
token_new (GError **error)
{
  guchar raw[TOKEN_BYTES];
  char *text = NULL;
  gsize len;

  if (RAND_bytes (raw, sizeof raw) != 1) {
    /* No closer code exists; the message says it was not sqlite. */
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "random generator failed");
    goto out;
  }
  text = g_base64_encode (raw, sizeof raw);
  len = strlen (text);
  while (len > 0 && text[len - 1] == '=')
    text[--len] = '\0';
  for (gsize i = 0; i < len; i++) {
    if (text[i] == '+')
      text[i] = '-';
    else if (text[i] == '/')
      text[i] = '_';
  }
out:
  OPENSSL_cleanse (raw, sizeof raw);
  return text;
}

/* Plausible token text: 1..256 base64url characters. Anything else cannot
 * be a token we issued, so it is refused without a query. */
static gboolean
token_text_plausible (const char *token)
{
  gsize len = 0;

  if (!token)
    return FALSE;
  for (; token[len]; len++) {
    char c = token[len];
    if (len >= TOKEN_MAX_TEXT)
      return FALSE;
    if (!g_ascii_isalnum (c) && c != '-' && c != '_')
      return FALSE;
  }
  return len > 0;
}

static gboolean
token_hash (const char *token, guchar hash[TOKEN_HASH_BYTES], GError **error)
{
  unsigned int len = 0;

  if (EVP_Digest (token, strlen (token), hash, &len, EVP_sha256 (), NULL) != 1 ||
      len != TOKEN_HASH_BYTES) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "SHA-256 failed");
    return FALSE;
  }
  return TRUE;
}

/* The stored hash in column `col` equals `hash` (constant-time compare). */
static gboolean
column_hash_matches (sqlite3_stmt *stmt, int col, const guchar hash[TOKEN_HASH_BYTES])
{
  const void *stored = sqlite3_column_blob (stmt, col);
  int len = sqlite3_column_bytes (stmt, col);

  return stored && len == TOKEN_HASH_BYTES && CRYPTO_memcmp (stored, hash, TOKEN_HASH_BYTES) == 0;
}

static void
set_not_found (GError **error)
{
  g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "unknown token");
}

/* Issues a token: runs `sql` (?1 hash, ?2 owner id, ?3 created_at, then ?4
 * and ?5 as given) after checking the owner exists in `owner_table`. */
static char *
issue_token (Store *store, const char *sql, const char *owner_table, const char *owner_id,
             const char *t4, const char *t5, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  guchar hash[TOKEN_HASH_BYTES];
  char *token = NULL;
  char *now = NULL;
  gboolean exists = FALSE;
  gboolean ok = FALSE;

  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!(token = token_new (error)))
    goto out;
  if (!token_hash (token, hash, error))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_row_exists (store, owner_table, owner_id, &exists, error))
    goto out;
  if (!exists) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "token owner not found");
    goto out;
  }
  if (!store_prepare (store, sql, &stmt, error))
    goto out;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  store_bind_text (stmt, 2, owner_id);
  store_bind_text (stmt, 3, now);
  store_bind_text (stmt, 4, t4);
  if (t5)
    store_bind_text (stmt, 5, t5);
  if (!store_step_done (store, stmt, "insert token", error))
    goto out;
  if (!store_commit (store, error))
    goto out;
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  if (!ok) {
    store_rollback (store);
    if (token) {
      OPENSSL_cleanse (token, strlen (token));
      g_clear_pointer (&token, g_free);
    }
  }
  OPENSSL_cleanse (hash, sizeof hash);
  g_free (now);
  return token;
}

/* ------------------------------------------------------------ join tokens */

char *
store_issue_join_token (Store *store, const char *participant_id, gint64 not_before_ms,
                        gint64 not_after_ms, GError **error)
{
  char *not_before = NULL;
  char *not_after = NULL;
  char *token = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (not_before_ms > not_after_ms) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "token window ends before it starts");
    goto out;
  }
  if (!(not_before = store_format_time (not_before_ms, error)))
    goto out;
  if (!(not_after = store_format_time (not_after_ms, error)))
    goto out;
  token = issue_token (store,
                       "INSERT INTO join_tokens (token_hash, participant_id, created_at,"
                       " not_before, not_after) VALUES (?1, ?2, ?3, ?4, ?5)",
                       "participants", participant_id, not_before, not_after, error);
out:
  g_free (not_before);
  g_free (not_after);
  return token;
}

gboolean
store_resolve_join_token (Store *store, const char *token, gint64 now_ms, StoreParticipant *out,
                          GError **error)
{
  sqlite3_stmt *stmt = NULL;
  guchar hash[TOKEN_HASH_BYTES];
  StoreParticipant p = { 0 };
  gint64 not_before = 0, not_after = 0;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  memset (hash, 0, sizeof hash);
  if (!token_text_plausible (token)) {
    set_not_found (error);
    goto out;
  }
  if (!token_hash (token, hash, error))
    goto out;
  if (!store_prepare (store,
                      "SELECT t.token_hash, t.not_before, t.not_after, t.revoked_at,"
                      " p.id, p.visit_id, p.role, p.display_name,"
                      " COALESCE(p.patient_id, p.staff_id)"
                      " FROM join_tokens t JOIN participants p ON p.id = t.participant_id"
                      " WHERE t.token_hash = ?1",
                      &stmt, error))
    goto out;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE) {
    set_not_found (error);
    goto out;
  }
  if (rc != SQLITE_ROW) {
    store_set_sql_error (store, error, "resolve join token");
    goto out;
  }
  if (!column_hash_matches (stmt, 0, hash) || sqlite3_column_type (stmt, 3) != SQLITE_NULL) {
    set_not_found (error);  /* revoked tokens are as good as unknown */
    goto out;
  }
  if (!store_column_time (stmt, 1, &not_before, error) ||
      !store_column_time (stmt, 2, &not_after, error))
    goto out;
  if (now_ms < not_before || now_ms > not_after) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_EXPIRED, "token is outside its validity window");
    goto out;
  }
  if (!store_participant_role_from_name ((const char *) sqlite3_column_text (stmt, 6), &p.role)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored participant role is unknown");
    goto out;
  }
  p.id = store_column_dup_text (stmt, 4);
  p.visit_id = store_column_dup_text (stmt, 5);
  p.display_name = store_column_dup_text (stmt, 7);
  p.person_id = store_column_dup_text (stmt, 8);
  *out = p;
  ok = TRUE;
out:
  sqlite3_finalize (stmt);
  OPENSSL_cleanse (hash, sizeof hash);
  return ok;
}

/* ------------------------------------------------------------ console tokens */

char *
store_issue_console_token (Store *store, const char *staff_id, gint64 not_after_ms,
                           GError **error)
{
  char *not_after = NULL;
  char *token = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!(not_after = store_format_time (not_after_ms, error)))
    goto out;
  token = issue_token (store,
                       "INSERT INTO console_tokens (token_hash, staff_id, created_at, not_after)"
                       " VALUES (?1, ?2, ?3, ?4)",
                       "staff", staff_id, not_after, NULL, error);
out:
  g_free (not_after);
  return token;
}

char *
store_resolve_console_token (Store *store, const char *token, gint64 now_ms, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  guchar hash[TOKEN_HASH_BYTES];
  gint64 not_after = 0;
  char *staff_id = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  memset (hash, 0, sizeof hash);
  if (!token_text_plausible (token)) {
    set_not_found (error);
    goto out;
  }
  if (!token_hash (token, hash, error))
    goto out;
  if (!store_prepare (store,
                      "SELECT token_hash, not_after, staff_id FROM console_tokens"
                      " WHERE token_hash = ?1",
                      &stmt, error))
    goto out;
  sqlite3_bind_blob (stmt, 1, hash, sizeof hash, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE) {
    set_not_found (error);
    goto out;
  }
  if (rc != SQLITE_ROW) {
    store_set_sql_error (store, error, "resolve console token");
    goto out;
  }
  if (!column_hash_matches (stmt, 0, hash)) {
    set_not_found (error);
    goto out;
  }
  if (!store_column_time (stmt, 1, &not_after, error))
    goto out;
  if (now_ms > not_after) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_EXPIRED, "token has expired");
    goto out;
  }
  staff_id = store_column_dup_text (stmt, 2);
out:
  sqlite3_finalize (stmt);
  OPENSSL_cleanse (hash, sizeof hash);
  return staff_id;
}
