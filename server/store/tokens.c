/* store_tokens.c — join tokens (one participant of one visit) and the
 * secret helpers they share with the sign-in sessions of store_accounts.c.
 *
 * A token is 32 bytes from RAND_bytes, handed out once as unpadded base64url
 * text (43 characters). The database keeps only SHA-256 of that text; a
 * lookup finds the row by hash and compares the hash again in constant time.
 * Tokens never appear in logs or error messages.
 */
#include "server/store/store-private.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SECRET_MAX_TEXT 256

/* ------------------------------------------------------------ secrets */

char *
store_secret_new (GError **error)
{
  guchar raw[STORE_SECRET_BYTES];
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

void
store_secret_clear (char **text)
{
  if (*text) {
    OPENSSL_cleanse (*text, strlen (*text));
    g_clear_pointer (text, g_free);
  }
}

gboolean
store_secret_plausible (const char *text)
{
  gsize len = 0;

  if (!text)
    return FALSE;
  for (; text[len]; len++) {
    char c = text[len];
    if (len >= SECRET_MAX_TEXT)
      return FALSE;
    if (!g_ascii_isalnum (c) && c != '-' && c != '_')
      return FALSE;
  }
  return len > 0;
}

gboolean
store_secret_hash (const char *text, guchar hash[STORE_HASH_BYTES], GError **error)
{
  unsigned int len = 0;

  if (EVP_Digest (text, strlen (text), hash, &len, EVP_sha256 (), NULL) != 1 ||
      len != STORE_HASH_BYTES) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "SHA-256 failed");
    return FALSE;
  }
  return TRUE;
}

gboolean
store_select_hash_row (Store *store, const char *sql, const guchar hash[STORE_HASH_BYTES],
                       const char *what, const char *unknown, StoreStmt **out, GError **error)
{
  const void *stored;

  if (!store_prepare (store, sql, out, error))
    return FALSE;
  store_bind_blob (*out, 1, hash, STORE_HASH_BYTES);
  if (!store_step_row (store, *out, what, unknown, error))
    return FALSE;
  stored = store_col_blob (*out, 0);
  if (!stored || store_col_bytes (*out, 0) != STORE_HASH_BYTES ||
      CRYPTO_memcmp (stored, hash, STORE_HASH_BYTES) != 0) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, unknown);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------ lookups */

static void
set_not_found (GError **error)
{
  g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "unknown token");
}

/* The row of a presented token (`sql` as for store_select_hash_row); text
 * that cannot be a token is refused without a query. `hash` is the caller's
 * to wipe. */
static gboolean
select_token_row (Store *store, const char *token, const char *sql, const char *what,
                  guchar hash[STORE_HASH_BYTES], StoreStmt **out, GError **error)
{
  if (!store_secret_plausible (token)) {
    set_not_found (error);
    return FALSE;
  }
  return store_secret_hash (token, hash, error) &&
         store_select_hash_row (store, sql, hash, what, "unknown token", out, error);
}

/* ------------------------------------------------------------ join tokens */

char *
store_insert_join_token (Store *store, const char *participant_id, gint64 not_before_ms,
                         gint64 not_after_ms, GError **error)
{
  guchar hash[STORE_HASH_BYTES];
  char *token = NULL, *now = NULL, *not_before = NULL, *not_after = NULL;
  gboolean ok = FALSE;

  memset (hash, 0, sizeof hash);
  if (not_before_ms > not_after_ms) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "token window ends before it starts");
    goto out;
  }
  if (!(now = store_format_time (store_now_ms (), error)) ||
      !(not_before = store_format_time (not_before_ms, error)) ||
      !(not_after = store_format_time (not_after_ms, error)))
    goto out;
  if (!(token = store_secret_new (error)) || !store_secret_hash (token, hash, error))
    goto out;
  if (!store_require_row (store, "participants", participant_id, "token owner not found", error))
    goto out;
  ok = store_run (store, "insert token",
                  "INSERT INTO join_tokens (token_hash, participant_id, created_at,"
                  " not_before, not_after) VALUES (?1, ?2, ?3, ?4, ?5)",
                  hash, NULL, error, 4, participant_id, now, not_before, not_after);
out:
  if (!ok)
    store_secret_clear (&token);
  OPENSSL_cleanse (hash, sizeof hash);
  g_free (now);
  g_free (not_before);
  g_free (not_after);
  return token;
}

char *
store_issue_join_token (Store *store, const char *participant_id, gint64 not_before_ms,
                        gint64 not_after_ms, GError **error)
{
  char *token = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (store_begin (store, error))
    token = store_insert_join_token (store, participant_id, not_before_ms, not_after_ms, error);
  if (!store_commit_or_rollback (store, token != NULL, error))
    store_secret_clear (&token);
  return token;
}

/* The participant and window of a presented token; revoked is unknown. */
static gboolean
read_join_token (Store *store, const char *token, StoreParticipant *out, gint64 *not_before,
                 gint64 *not_after, GError **error)
{
  StoreStmt *stmt = NULL;
  guchar hash[STORE_HASH_BYTES];
  gboolean ok = FALSE;

  memset (hash, 0, sizeof hash);
  if (!select_token_row (store, token,
                         "SELECT t.token_hash, t.not_before, t.not_after, t.revoked_at,"
                         " p.id, p.visit_id, p.role, p.display_name,"
                         " COALESCE(p.patient_id, p.staff_id)"
                         " FROM join_tokens t JOIN participants p"
                         " ON p.id = t.participant_id WHERE t.token_hash = ?1",
                         "resolve join token", hash, &stmt, error))
    goto out;
  if (!store_col_is_null (stmt, 3)) {
    set_not_found (error); /* revoked tokens are as good as unknown */
    goto out;
  }
  ok = store_column_time (stmt, 1, not_before, error) &&
       store_column_time (stmt, 2, not_after, error) &&
       store_read_participant (stmt, 4, out, error);
out:
  store_stmt_free (stmt);
  OPENSSL_cleanse (hash, sizeof hash);
  return ok;
}

gboolean
store_inspect_join_token (Store *store, const char *token, StoreParticipant *out,
                          gint64 *not_before_ms, gint64 *not_after_ms, GError **error)
{
  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  g_return_val_if_fail (not_before_ms != NULL && not_after_ms != NULL, FALSE);
  return read_join_token (store, token, out, not_before_ms, not_after_ms, error);
}

gboolean
store_resolve_join_token (Store *store, const char *token, gint64 now_ms, StoreParticipant *out,
                          GError **error)
{
  gint64 not_before = 0, not_after = 0;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  if (!read_join_token (store, token, out, &not_before, &not_after, error))
    return FALSE;
  if (now_ms < not_before || now_ms > not_after) {
    store_participant_clear (out);
    g_set_error (error, STORE_ERROR, STORE_ERROR_EXPIRED, "token is outside its validity window");
    return FALSE;
  }
  return TRUE;
}
