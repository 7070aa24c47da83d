/* store_activity.c — what happens during a visit besides joining and
 * leaving: chat between participants, each participant's answer to the
 * consent text, and switches between video and audio-only. All three are
 * append-only tables (migration 5); the visit's current modality is also
 * kept on the visit row because the prescribing rules read it.
 *
 * Nothing here logs chat text or names.
 */
#include "server/store/store-private.h"

#include <string.h>

void
store_activity_free (StoreActivity *a)
{
  if (!a)
    return;
  g_free (a->kind);
  g_free (a->participant_id);
  g_free (a->role);
  g_free (a->display_name);
  g_free (a->text);
  g_free (a->value);
  g_free (a->version);
  g_free (a);
}

/* Every activity query selects these columns, in this order. */
#define ACTIVITY_COLUMNS "x.id, x.at, p.id, p.role, p.display_name"

/* Reads ACTIVITY_COLUMNS (starting at column 0) and the kind's own columns
 * 5 and 6 into a new StoreActivity. */
static StoreActivity *
read_activity (StoreStmt *stmt, const char *kind, GError **error)
{
  StoreActivity *a = g_new0 (StoreActivity, 1);

  a->id = store_col_int64 (stmt, 0);
  if (!store_column_time (stmt, 1, &a->at_ms, error)) {
    store_activity_free (a);
    return NULL;
  }
  a->kind = g_strdup (kind);
  a->participant_id = store_column_dup_text (stmt, 2);
  a->role = store_column_dup_text (stmt, 3);
  a->display_name = store_column_dup_text (stmt, 4);
  if (strcmp (kind, "chat") == 0) {
    a->text = store_column_dup_text (stmt, 5);
  } else {
    a->value = store_column_dup_text (stmt, 5);
    a->version = store_column_dup_text (stmt, 6);
  }
  return a;
}

/* Runs a prepared query whose rows are ACTIVITY_COLUMNS + the kind's
 * columns, appending to `out`. */
static gboolean
collect (Store *store, StoreStmt *stmt, const char *kind, GPtrArray *out, GError **error)
{
  int rc;

  while ((rc = store_step (stmt)) == STORE_ROW) {
    StoreActivity *a = read_activity (stmt, kind, error);
    if (!a)
      return FALSE;
    g_ptr_array_add (out, a);
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, kind);
    return FALSE;
  }
  return TRUE;
}

/* One row by id, read back after an insert (so the caller sees exactly what
 * was stored, time included). */
static StoreActivity *
read_back (Store *store, const char *sql, const char *kind, gint64 id, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreActivity *a = NULL;

  if (!store_prepare (store, sql, &stmt, error))
    return NULL;
  store_bind_int64 (stmt, 1, id);
  if (store_step_row (store, stmt, kind, "the stored row is gone", error))
    a = read_activity (stmt, kind, error);
  store_stmt_free (stmt);
  return a;
}

#define CHAT_SELECT                                                \
  "SELECT " ACTIVITY_COLUMNS ", x.text, NULL FROM chat_messages x" \
  " JOIN participants p ON p.id = x.participant_id "

#define CONSENT_SELECT                                                      \
  "SELECT " ACTIVITY_COLUMNS ", x.decision, x.text_version FROM consents x" \
  " JOIN participants p ON p.id = x.participant_id "

#define MODALITY_SELECT                                                   \
  "SELECT " ACTIVITY_COLUMNS ", x.modality, NULL FROM modality_changes x" \
  " JOIN participants p ON p.id = x.participant_id "

static gboolean
chat_text_valid (const char *text)
{
  if (!store_text_valid (text, STORE_CHAT_MAX_CHARS))
    return FALSE;
  for (const char *c = text; *c; c = g_utf8_next_char (c))
    if (!g_unichar_isspace (g_utf8_get_char (c)))
      return TRUE;
  return FALSE;
}

/* Why an insert guarded by "the visit is live and the participant is its
 * own" changed nothing. */
static void
explain_refusal (Store *store, const char *visit_id, GError **error)
{
  gboolean exists = FALSE;

  if (store_row_exists (store, "visits", visit_id, &exists, error))
    g_set_error_literal (error, STORE_ERROR, exists ? STORE_ERROR_INVALID : STORE_ERROR_NOT_FOUND,
                         exists ? "the visit has ended, or the participant is not part of it"
                                : "no such visit");
}

StoreActivity *
store_add_chat (Store *store, const char *visit_id, const char *participant_id, const char *text,
                GError **error)
{
  char *now = NULL;
  gboolean inserted = FALSE;
  gint64 id = 0;
  StoreActivity *a = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!chat_text_valid (text)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "a chat message has 1 to 2000 characters, not only blanks");
    return NULL;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    return NULL;
  /* One statement checks and writes: the participant belongs to the visit
   * and the visit is not over. */
  if (!store_insert_returning (store, "insert chat message",
                               "INSERT INTO chat_messages (visit_id, participant_id, at, text)"
                               " SELECT v.id, p.id, ?3, ?4 FROM visits v JOIN participants p"
                               "  ON p.visit_id = v.id AND p.id = ?2"
                               " WHERE v.id = ?1 AND v.state <> 'ended' RETURNING id",
                               &inserted, &id, error, 4, visit_id, participant_id, now, text))
    goto out;
  if (!inserted) {
    explain_refusal (store, visit_id, error);
    goto out;
  }
  a = read_back (store, CHAT_SELECT "WHERE x.id = ?1", "chat", id, error);
out:
  g_free (now);
  return a;
}

GPtrArray *
store_list_chat (Store *store, const char *visit_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *out = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    return NULL;
  if (!store_prepare (store, CHAT_SELECT "WHERE x.visit_id = ?1 ORDER BY x.id", &stmt, error))
    return NULL;
  store_bind_text (stmt, 1, visit_id);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) store_activity_free);
  if (!collect (store, stmt, "chat", out, error))
    g_clear_pointer (&out, g_ptr_array_unref);
  store_stmt_free (stmt);
  return out;
}

StoreActivity *
store_record_consent (Store *store, const char *participant_id, gboolean accepted,
                      const char *version, GError **error)
{
  char *now = NULL;
  gboolean inserted = FALSE;
  gint64 id = 0;
  StoreActivity *a = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_text_valid (version, STORE_CONSENT_VERSION_MAX)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "the consent text's version has 1 to 64 characters");
    return NULL;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    return NULL;
  if (!store_insert_returning (store, "insert consent",
                               "INSERT INTO consents (visit_id, participant_id, at, decision,"
                               " text_version) SELECT p.visit_id, p.id, ?2, ?3, ?4"
                               " FROM participants p JOIN visits v ON v.id = p.visit_id"
                               " WHERE p.id = ?1 AND v.state <> 'ended' RETURNING id",
                               &inserted, &id, error, 4, participant_id, now,
                               accepted ? "accepted" : "declined", version))
    goto out;
  if (!inserted) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID,
                         "the visit has ended, or there is no such participant");
    goto out;
  }
  a = read_back (store, CONSENT_SELECT "WHERE x.id = ?1", "consent", id, error);
out:
  g_free (now);
  return a;
}

StoreActivity *
store_latest_consent (Store *store, const char *participant_id, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreActivity *a = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (store_select_row (store,
                        CONSENT_SELECT "WHERE x.participant_id = ?1 ORDER BY x.id DESC LIMIT 1",
                        participant_id, "latest consent", "no consent answer yet", &stmt, error))
    a = read_activity (stmt, "consent", error);
  store_stmt_free (stmt);
  return a;
}

gboolean
store_change_modality (Store *store, const char *visit_id, const char *participant_id,
                       const char *modality, GError **error)
{
  char *now = NULL;
  guint changed = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL, FALSE);
  if (g_strcmp0 (modality, "video") != 0 && g_strcmp0 (modality, "audio-only") != 0) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "unknown visit modality");
    return FALSE;
  }
  if (!(now = store_format_time (store_now_ms (), error)))
    return FALSE;
  if (!store_begin (store, error))
    goto out;
  ok = store_run (store, "insert modality change",
                  "INSERT INTO modality_changes (visit_id, participant_id, at, modality)"
                  " SELECT v.id, p.id, ?3, ?4 FROM visits v JOIN participants p"
                  "  ON p.visit_id = v.id AND p.id = ?2"
                  " WHERE v.id = ?1 AND v.state <> 'ended'",
                  NULL, &changed, error, 4, visit_id, participant_id, now, modality);
  if (ok && changed != 1) {
    explain_refusal (store, visit_id, error);
    ok = FALSE;
  }
  ok = ok && store_run (store, "set visit modality",
                        "UPDATE visits SET modality = ?2, updated_at = ?3 WHERE id = ?1", NULL,
                        NULL, error, 3, visit_id, modality, now);
  ok = store_commit_or_rollback (store, ok, error);
out:
  g_free (now);
  return ok;
}

GPtrArray *
store_visit_activity (Store *store, const char *visit_id, GError **error)
{
  static const struct {
    const char *kind;
    const char *sql;
  } kinds[] = {
    { "chat", CHAT_SELECT "WHERE x.visit_id = ?1 ORDER BY x.id" },
    { "consent", CONSENT_SELECT "WHERE x.visit_id = ?1 ORDER BY x.id" },
    { "modality", MODALITY_SELECT "WHERE x.visit_id = ?1 ORDER BY x.id" },
  };
  GPtrArray *out;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) store_activity_free);
  /* One read transaction, so the three lists are one snapshot. */
  if (!store_begin_read (store, error))
    goto fail;
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++) {
    StoreStmt *stmt = NULL;
    gboolean ok = store_prepare (store, kinds[i].sql, &stmt, error);
    if (ok) {
      store_bind_text (stmt, 1, visit_id);
      ok = collect (store, stmt, kinds[i].kind, out, error);
    }
    store_stmt_free (stmt);
    if (!ok) {
      store_rollback (store);
      goto fail;
    }
  }
  if (!store_commit (store, error))
    goto fail;
  return out;
fail:
  g_ptr_array_unref (out);
  return NULL;
}
