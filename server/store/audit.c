/* store_audit.c — the append-only, hash-chained audit log.
 *
 * Row n stores hash_n = SHA-256(prev_hash, at, actor, action, target, detail)
 * in lowercase hex, where prev_hash is hash_(n-1) (64 '0's for the first
 * row). Each field enters the digest as "<byte length>:<bytes>", so no two
 * different rows can hash the same input however their fields are split
 * (plain concatenation would make ("ab","c") and ("a","bc") collide).
 *
 * Triggers forbid UPDATE and DELETE; the chain is what detects an edit made
 * behind the program's back (triggers dropped, file edited): verify
 * recomputes every hash and names the first row that no longer matches.
 * Removing the newest rows cannot be seen from the chain alone.
 */
#include "server/store/store-private.h"

#include <string.h>

#include <openssl/evp.h>

#define HASH_HEX_LEN 64
#define AUDIT_FIELD_MAX 4096 /* detail is short JSON; refuse anything huge */

static const char kGenesis[HASH_HEX_LEN + 1] =
  "0000000000000000000000000000000000000000000000000000000000000000";

static gboolean
digest_field (EVP_MD_CTX *ctx, const char *field)
{
  char prefix[32];
  gsize len = field ? strlen (field) : 0;
  int n = g_snprintf (prefix, sizeof prefix, "%" G_GSIZE_FORMAT ":", len);
  return EVP_DigestUpdate (ctx, prefix, (size_t) n) == 1 &&
         (len == 0 || EVP_DigestUpdate (ctx, field, len) == 1);
}

/* Writes the hex hash of one row into out (HASH_HEX_LEN + 1 bytes). */
static gboolean
audit_hash (const char *prev_hash, const char *at, const char *actor, const char *action,
            const char *target, const char *detail, char out[HASH_HEX_LEN + 1], GError **error)
{
  const char *fields[] = { prev_hash, at, actor, action, target, detail };
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  gboolean ok = FALSE;

  if (!ctx || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1)
    goto out;
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    if (!digest_field (ctx, fields[i]))
      goto out;
  if (EVP_DigestFinal_ex (ctx, md, &md_len) != 1 || md_len * 2 != HASH_HEX_LEN)
    goto out;
  for (unsigned int i = 0; i < md_len; i++)
    g_snprintf (out + 2 * i, 3, "%02x", md[i]);
  ok = TRUE;
out:
  if (!ok)
    g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "SHA-256 failed");
  EVP_MD_CTX_free (ctx);
  return ok;
}

static gboolean
field_valid (const char *text, gboolean required)
{
  if (!text)
    return !required;
  return (!required || *text) && strlen (text) <= AUDIT_FIELD_MAX &&
         g_utf8_validate (text, -1, NULL);
}

gboolean
store_audit_append (Store *store, const char *actor, const char *action, const char *target,
                    const char *detail_json, GError **error)
{
  StoreStmt *stmt = NULL;
  char *now = NULL;
  char prev[HASH_HEX_LEN + 1];
  char hash[HASH_HEX_LEN + 1];
  const char *target_text = target ? target : "";
  const char *detail = detail_json ? detail_json : "{}";
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  if (!field_valid (actor, TRUE) || !field_valid (action, TRUE) || !field_valid (target, FALSE) ||
      !field_valid (detail_json, FALSE)) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "malformed audit event");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  /* The last hash is read under the write lock, so two writers can never
   * chain onto the same predecessor. */
  if (!store_begin (store, error))
    goto out;
  if (!store_prepare (store, "SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1", &stmt,
                      error))
    goto out;
  rc = store_step (stmt);
  if (rc == STORE_DONE) {
    memcpy (prev, kGenesis, sizeof prev);
  } else if (rc == STORE_ROW && store_col_bytes (stmt, 0) == HASH_HEX_LEN) {
    memcpy (prev, store_col_text (stmt, 0), HASH_HEX_LEN);
    prev[HASH_HEX_LEN] = '\0';
  } else {
    store_set_sql_error (store, error, "read last audit hash");
    goto out;
  }
  store_stmt_free (stmt);
  stmt = NULL;
  if (!audit_hash (prev, now, actor, action, target_text, detail, hash, error))
    goto out;
  if (!store_run (store, "insert audit event",
                  "INSERT INTO audit_events (at, actor, action, target, detail, prev_hash,"
                  " hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  NULL, NULL, error, 7, now, actor, action, target_text, detail, prev, hash))
    goto out;
  ok = TRUE;
out:
  store_stmt_free (stmt);
  ok = store_commit_or_rollback (store, ok, error);
  g_free (now);
  return ok;
}

gboolean
store_audit_verify (Store *store, guint *n_rows, GError **error)
{
  StoreStmt *stmt = NULL;
  char expected_prev[HASH_HEX_LEN + 1];
  char hash[HASH_HEX_LEN + 1];
  guint n = 0;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  memcpy (expected_prev, kGenesis, sizeof expected_prev);
  if (!store_prepare (store,
                      "SELECT seq, at, actor, action, target, detail, prev_hash, hash"
                      " FROM audit_events ORDER BY seq",
                      &stmt, error))
    goto out;
  while ((rc = store_step (stmt)) == STORE_ROW) {
    gint64 seq = store_col_int64 (stmt, 0);
    const char *stored_prev = store_col_text (stmt, 6);
    const char *stored_hash = store_col_text (stmt, 7);

    if (!audit_hash (stored_prev ? stored_prev : "", store_col_text (stmt, 1),
                     store_col_text (stmt, 2),
                     store_col_text (stmt, 3),
                     store_col_text (stmt, 4),
                     store_col_text (stmt, 5), hash, error))
      goto out;
    /* A broken link (row removed or prev_hash edited) or a row whose
     * content no longer matches its own hash. */
    if (g_strcmp0 (stored_prev, expected_prev) != 0 || g_strcmp0 (stored_hash, hash) != 0) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "audit chain broken at seq %" G_GINT64_FORMAT, seq);
      goto out;
    }
    memcpy (expected_prev, hash, sizeof expected_prev);
    n++;
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "read audit events");
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  if (n_rows)
    *n_rows = n;
  return ok;
}

void
store_audit_event_free (StoreAuditEvent *event)
{
  if (!event)
    return;
  g_free (event->actor);
  g_free (event->action);
  g_free (event->target);
  g_free (event->detail);
  g_free (event);
}

static gpointer
audit_row_new (StoreStmt *stmt, GError **error)
{
  StoreAuditEvent *e = g_new0 (StoreAuditEvent, 1);
  (void) error;
  e->seq = store_col_int64 (stmt, 0);
  /* A corrupt time is left at 0; the row is still listed. */
  store_parse_time (store_col_text (stmt, 1), &e->at_ms);
  e->actor = store_column_dup_text (stmt, 2);
  e->action = store_column_dup_text (stmt, 3);
  e->target = store_column_dup_text (stmt, 4);
  e->detail = store_column_dup_text (stmt, 5);
  return e;
}

GPtrArray *
store_audit_list (Store *store, guint limit, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *events = NULL;

  /* The newest `limit` rows, returned oldest first. */
  if (store_prepare (store,
                     "SELECT seq, at, actor, action, target, detail FROM"
                     " (SELECT * FROM audit_events ORDER BY seq DESC LIMIT ?1) AS tail ORDER BY "
                     "seq",
                     &stmt, error)) {
    store_bind_int64 (stmt, 1, limit ? (gint64) limit : -1);
    events = store_collect_rows (store, stmt, audit_row_new,
                                 (GDestroyNotify) store_audit_event_free, "read audit events",
                                 error);
  }
  store_stmt_free (stmt);
  return events;
}
