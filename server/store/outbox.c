/* outbox.c — the messages to patients, each a row before it is sent
 * (store.h, "outbox"). The sender (server/notify) claims a row, commits,
 * makes the network call, then finishes the row: a crash between the two
 * leaves it "sending", and store_outbox_recover sends it again at the next
 * start. No body and no link is stored here. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-private.h"

#include <string.h>

#define OUTBOX_COLUMNS                                                                   \
  "SELECT id, visit_id, channel, kind, recipient, reminder_minutes, created_at, due_at," \
  " next_attempt_at, attempts, sent_at, last_error, state, patient_id FROM outbox "

void
store_outbox_message_clear (StoreOutboxMessage *m)
{
  g_free (m->id);
  g_free (m->visit_id);
  g_free (m->patient_id);
  g_free (m->channel);
  g_free (m->kind);
  g_free (m->recipient);
  g_free (m->last_error);
  g_free (m->state);
  memset (m, 0, sizeof *m);
}

void
store_outbox_message_free (gpointer m)
{
  if (!m)
    return;
  store_outbox_message_clear (m);
  g_free (m);
}

static gboolean
read_message (StoreStmt *stmt, StoreOutboxMessage *out, GError **error)
{
  StoreOutboxMessage m = { 0 };

  m.id = store_column_dup_text (stmt, 0);
  m.visit_id = store_column_dup_text (stmt, 1);
  m.channel = store_column_dup_text (stmt, 2);
  m.kind = store_column_dup_text (stmt, 3);
  m.recipient = store_column_dup_text (stmt, 4);
  m.reminder_minutes = (guint) MAX (store_col_int64 (stmt, 5), 0);
  m.attempts = (guint) MAX (store_col_int64 (stmt, 9), 0);
  m.last_error = store_column_dup_text (stmt, 11);
  m.state = store_column_dup_text (stmt, 12);
  m.patient_id = store_column_dup_text (stmt, 13);
  /* A diary reminder has no visit, but a patient (migration 20). */
  if (!m.id || (!m.visit_id && !m.patient_id) || !m.channel || !m.kind || !m.recipient ||
      !m.state || !store_column_time (stmt, 6, &m.created_at_ms, error) ||
      !store_column_time (stmt, 7, &m.due_at_ms, error) ||
      !store_column_time (stmt, 8, &m.next_attempt_at_ms, error) ||
      (!store_col_is_null (stmt, 10) &&
       !store_column_time (stmt, 10, &m.sent_at_ms, error))) {
    if (error && !*error)
      g_set_error_literal (error, STORE_ERROR, STORE_ERROR_SQL, "read outbox: a NULL column");
    store_outbox_message_clear (&m);
    return FALSE;
  }
  *out = m;
  return TRUE;
}

static gpointer
read_message_row (StoreStmt *stmt, GError **error)
{
  StoreOutboxMessage *m = g_new0 (StoreOutboxMessage, 1);

  if (!read_message (stmt, m, error)) {
    g_free (m);
    return NULL;
  }
  return m;
}

/* Inserts one new message inside the caller's transaction. */
static gboolean
insert_message (Store *store, const char *visit_id, const StoreOutboxNew *row, const char *now,
                GError **error)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *due = store_format_time (row->due_at_ms, error);
  StoreStmt *stmt = NULL;
  gboolean ok;

  if (!due || !store_prepare (store,
                              "INSERT INTO outbox (id, visit_id, channel, kind, recipient,"
                              " reminder_minutes, created_at, due_at, next_attempt_at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                              &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, visit_id);
  store_bind_text (stmt, 3, row->channel);
  store_bind_text (stmt, 4, row->kind);
  store_bind_text (stmt, 5, row->recipient);
  if (row->reminder_minutes)
    store_bind_int64 (stmt, 6, row->reminder_minutes);
  else
    store_bind_null (stmt, 6);
  store_bind_text (stmt, 7, now);
  store_bind_text (stmt, 8, due);
  ok = store_step_done (store, stmt, "insert outbox message", error);
  store_stmt_free (stmt);
  return ok;
}

/* The visit's SEQUENCE after this change, inside the caller's transaction. */
static gboolean
bump_sequence (Store *store, const char *visit_id, gboolean raise, gboolean cancelled,
               guint *sequence, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok;

  if (!store_run (store, "insert visit notify",
                  "INSERT INTO visit_notify (visit_id) VALUES (?1) ON CONFLICT DO NOTHING", NULL,
                  NULL, error, 1, visit_id))
    return FALSE;
  if (!store_run (store, "raise visit sequence",
                  /* CASE, not a comparison's 0/1: PostgreSQL's booleans are not
                   * numbers (and sqlite's two-argument max() is GREATEST there). */
                  "UPDATE visit_notify SET sequence = sequence + CASE WHEN ?2 = '1' THEN 1 ELSE 0"
                  " END, cancelled = CASE WHEN ?3 = '1' THEN 1 ELSE cancelled END"
                  " WHERE visit_id = ?1",
                  NULL, NULL, error, 3, visit_id, raise ? "1" : "0", cancelled ? "1" : "0"))
    return FALSE;
  ok = store_select_row (store, "SELECT sequence FROM visit_notify WHERE visit_id = ?1", visit_id,
                         "read visit sequence", "no such visit", &stmt, error);
  if (ok && sequence)
    *sequence = (guint) MAX (store_col_int64 (stmt, 0), 0);
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_outbox_visit_changed (Store *store, const char *visit_id, gboolean raise_sequence,
                            gboolean cancelled, const char *withdraw_reason,
                            const StoreOutboxNew *rows, guint n_rows, guint *sequence,
                            GError **error)
{
  g_autofree char *now = store_format_time (store_now_ms (), error);
  gboolean ok = FALSE;

  if (!now || !store_begin (store, error))
    return FALSE;
  if (!store_require_row (store, "visits", visit_id, "no such visit", error) ||
      !bump_sequence (store, visit_id, raise_sequence, cancelled, sequence, error))
    goto out;
  if (withdraw_reason && !store_run (store, "withdraw visit messages",
                                     "UPDATE outbox SET state = 'withdrawn', last_error = ?2"
                                     " WHERE visit_id = ?1 AND state IN ('pending', 'failed')"
                                     " AND kind IN ('invitation', 'update', 'reminder')",
                                     NULL, NULL, error, 2, visit_id, withdraw_reason))
    goto out;
  for (guint i = 0; i < n_rows; i++)
    if (!insert_message (store, visit_id, &rows[i], now, error))
      goto out;
  ok = TRUE;
out:
  return store_commit_or_rollback (store, ok, error);
}

gboolean
store_visit_notify_get (Store *store, const char *visit_id, guint *sequence, gboolean *cancelled,
                        GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean found = FALSE, ok;

  *sequence = 0;
  *cancelled = FALSE;
  ok =
    store_select_optional_row (store,
                               "SELECT sequence, cancelled FROM visit_notify WHERE visit_id = ?1",
                               visit_id, "read visit notify", &stmt, &found, error);
  if (found) {
    *sequence = (guint) MAX (store_col_int64 (stmt, 0), 0);
    *cancelled = store_col_int64 (stmt, 1) != 0;
  }
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_outbox_get (Store *store, const char *message_id, StoreOutboxMessage *out, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = store_select_row (store, OUTBOX_COLUMNS "WHERE id = ?1", message_id,
                                  "get outbox message", "no such message", &stmt, error) &&
                read_message (stmt, out, error);

  store_stmt_free (stmt);
  return ok;
}

static GPtrArray *
collect (Store *store, const char *sql, const char *key, const char *key2, const char *what,
         GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *rows;

  if (!store_prepare (store, sql, &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, key);
  if (key2)
    store_bind_text (stmt, 2, key2);
  rows = store_collect_rows (store, stmt, read_message_row, store_outbox_message_free, what, error);
  store_stmt_free (stmt);
  return rows;
}

GPtrArray *
store_outbox_list_visit (Store *store, const char *visit_id, GError **error)
{
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    return NULL;
  return collect (store,
                  OUTBOX_COLUMNS "WHERE visit_id = ?1 ORDER BY created_at, due_at, channel, id",
                  visit_id, NULL, "list visit messages", error);
}

GPtrArray *
store_outbox_due (Store *store, gint64 now_ms, guint limit, GError **error)
{
  g_autofree char *now = store_format_time (now_ms, error);
  g_autofree char *n = g_strdup_printf ("%u", limit);

  if (!now)
    return NULL;
  return collect (store,
                  OUTBOX_COLUMNS "WHERE state = 'pending' AND next_attempt_at <= ?1"
                                 " ORDER BY next_attempt_at, id LIMIT CAST(?2 AS INTEGER)",
                  now, n, "due messages", error);
}

gboolean
store_outbox_next_due (Store *store, gint64 *at_ms, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  *at_ms = 0;
  if (!store_prepare (store, "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'",
                      &stmt, error))
    return FALSE;
  rc = store_step (stmt);
  if (rc != STORE_ROW)
    store_set_sql_error (store, error, "next due message");
  else
    ok = store_col_is_null (stmt, 0) || store_column_time (stmt, 0, at_ms, error);
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_outbox_waiting (Store *store, guint64 *n, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;

  *n = 0;
  /* Pending rows are what the partial index outbox_due holds: a count of
   * it, cheap enough for every scrape. */
  if (!store_prepare (store,
                      "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'),"
                      " (SELECT count(*) FROM outbox WHERE state = 'sending')",
                      &stmt, error))
    return FALSE;
  if (store_step (stmt) != STORE_ROW)
    store_set_sql_error (store, error, "count waiting messages");
  else {
    *n = (guint64) store_col_int64 (stmt, 0) + (guint64) store_col_int64 (stmt, 1);
    ok = TRUE;
  }
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_outbox_claim (Store *store, const char *message_id, gint64 now_ms, gboolean *claimed,
                    GError **error)
{
  g_autofree char *now = store_format_time (now_ms, error);
  guint changed = 0;

  *claimed = FALSE;
  if (!now || !store_run (store, "claim message",
                          "UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
                          " claimed_at = ?2 WHERE id = ?1 AND state = 'pending'",
                          NULL, &changed, error, 2, message_id, now))
    return FALSE;
  *claimed = changed == 1;
  return TRUE;
}

gboolean
store_outbox_finish (Store *store, const char *message_id, gint64 now_ms, const char *error_text,
                     gint64 next_attempt_ms, gboolean give_up, GError **error)
{
  g_autofree char *now = store_format_time (now_ms, error);
  g_autofree char *next = now ? store_format_time (MAX (next_attempt_ms, now_ms), error) : NULL;

  if (!next)
    return FALSE;
  if (!error_text)
    return store_run (store, "message sent",
                      "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL"
                      " WHERE id = ?1 AND state = 'sending'",
                      NULL, NULL, error, 2, message_id, now);
  return store_run (store, "message not sent",
                    "UPDATE outbox SET state = ?2, last_error = ?3, next_attempt_at = ?4"
                    " WHERE id = ?1 AND state = 'sending'",
                    NULL, NULL, error, 4, message_id, give_up ? "failed" : "pending", error_text,
                    next);
}

gboolean
store_outbox_withdraw (Store *store, const char *message_id, const char *reason, GError **error)
{
  return store_run (store, "withdraw message",
                    "UPDATE outbox SET state = 'withdrawn', last_error = ?2"
                    " WHERE id = ?1 AND state IN ('pending', 'sending', 'failed')",
                    NULL, NULL, error, 2, message_id, reason);
}

gboolean
store_outbox_recover (Store *store, gint64 now_ms, guint *n, GError **error)
{
  g_autofree char *now = store_format_time (now_ms, error);

  return now && store_run (store, "recover messages",
                           "UPDATE outbox SET state = 'pending', next_attempt_at = ?1"
                           " WHERE state = 'sending'",
                           NULL, n, error, 1, now);
}

gboolean
store_outbox_retry (Store *store, const char *message_id, gint64 now_ms, GError **error)
{
  g_autofree char *now = store_format_time (now_ms, error);
  guint changed = 0;

  if (!now || !store_run (store, "retry message",
                          "UPDATE outbox SET state = 'pending', next_attempt_at = ?2"
                          " WHERE id = ?1 AND state IN ('pending', 'failed')",
                          NULL, &changed, error, 2, message_id, now))
    return FALSE;
  if (changed == 0) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "only a message waiting to go or one that failed can be sent again");
    return FALSE;
  }
  return TRUE;
}
