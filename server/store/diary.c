/* diary.c — the patient's between-visit diary (migration 19): its links
 * (a secret of their own, as join tokens are: tokens.c), a day's entry
 * appended with its doses, rated side effects and home readings, and the
 * safety signals the entry raises (records.h diary_signals), written in the
 * entry's own transaction so a signal is never dropped on the way. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-private.h"

#include <stdarg.h>
#include <string.h>

#include <openssl/crypto.h>

/* ------------------------------------------------------------ links */

char *
store_diary_link_create (Store *store, const char *patient_id, const char *staff_id, GError **error)
{
  guchar hash[STORE_HASH_BYTES];
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *now = NULL;
  char *token = NULL;
  gboolean ok = FALSE;

  memset (hash, 0, sizeof hash);
  if (!(now = store_format_time (store_now_ms (), error)))
    goto out;
  if (!(token = store_secret_new (error)) || !store_secret_hash (token, hash, error))
    goto out;
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    goto out;
  ok = store_run (store, "create a diary link",
                  "INSERT INTO diary_links (token_hash, id, patient_id, created_at, created_by)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                  hash, NULL, error, 4, id, patient_id, now, staff_id);
out:
  if (!ok)
    store_secret_clear (&token);
  OPENSSL_cleanse (hash, sizeof hash);
  return token;
}

char *
store_diary_link_mint_if_live (Store *store, const char *patient_id, GError **error)
{
  gboolean live = FALSE;

  if (!store_diary_link_status (store, patient_id, &live, NULL, error) || !live)
    return NULL;
  return store_diary_link_create (store, patient_id, NULL, error);
}

gboolean
store_diary_links_revoke (Store *store, const char *patient_id, const char *staff_id, guint *n,
                          GError **error)
{
  g_autofree char *now = store_format_time (store_now_ms (), error);

  if (!now || !store_require_row (store, "patients", patient_id, "no such patient", error))
    return FALSE;
  return store_run (store, "revoke diary links",
                    "UPDATE diary_links SET revoked_at = ?2, revoked_by = ?3"
                    " WHERE patient_id = ?1 AND revoked_at IS NULL",
                    NULL, n, error, 3, patient_id, now, staff_id);
}

gboolean
store_diary_link_status (Store *store, const char *patient_id, gboolean *live, gint64 *since_ms,
                         GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok;

  *live = FALSE;
  if (since_ms)
    *since_ms = 0;
  ok = store_select_row (store,
                         "SELECT max(created_at) FROM diary_links"
                         " WHERE patient_id = ?1 AND revoked_at IS NULL",
                         patient_id, "read diary links", "no diary link", &stmt, error);
  if (ok && !store_col_is_null (stmt, 0)) {
    gint64 at = 0;
    ok = store_column_time (stmt, 0, &at, error);
    *live = ok;
    if (since_ms)
      *since_ms = at;
  }
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_diary_link_resolve (Store *store, const char *token, char **link_id, char **patient_id,
                          GError **error)
{
  StoreStmt *stmt = NULL;
  guchar hash[STORE_HASH_BYTES];
  gboolean ok = FALSE;

  memset (hash, 0, sizeof hash);
  if (!store_secret_plausible (token)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "unknown diary link");
    return FALSE;
  }
  if (!store_secret_hash (token, hash, error) ||
      !store_select_hash_row (store,
                              "SELECT token_hash, id, patient_id, revoked_at FROM diary_links"
                              " WHERE token_hash = ?1",
                              hash, "resolve diary link", "unknown diary link", &stmt, error))
    goto out;
  if (!store_col_is_null (stmt, 3)) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_EXPIRED, "diary link revoked");
    goto out;
  }
  *link_id = store_column_dup_text (stmt, 1);
  *patient_id = store_column_dup_text (stmt, 2);
  ok = TRUE;
out:
  store_stmt_free (stmt);
  OPENSSL_cleanse (hash, sizeof hash);
  return ok;
}

/* ------------------------------------------------------------ entries */

void
store_diary_saved_clear (StoreDiarySaved *s)
{
  g_free (s->entry_id);
  memset (s, 0, sizeof *s);
}

/* The day `delta` days from `day` ("YYYY-MM-DD"), or NULL. */
static char *
day_shift (const char *day, gint delta)
{
  GDate d;

  if (!th_date_parse (day, &d))
    return NULL;
  if (delta > 0)
    g_date_add_days (&d, (guint) delta);
  else
    g_date_subtract_days (&d, (guint) -delta);
  return th_date_format (&d);
}

/* Whether the patient's record of `day` (its newest entry) has a missed
 * dose of the order. */
static gboolean
day_missed (Store *store, const char *patient_id, const char *day, const char *order_id,
            gboolean *missed, GError **error)
{
  static const char sql[] =
    "SELECT coalesce((SELECT CASE WHEN d.missed > 0 THEN 1 ELSE 0 END FROM diary_doses d"
    " WHERE d.entry_id = e.id AND d.order_id = ?3), 0) FROM diary_entries e WHERE e.patient_id = "
    "?1 AND e.day = ?2"
    " ORDER BY e.made_at DESC, e.rowid DESC LIMIT 1";
  StoreStmt *stmt = NULL;
  int rc;

  *missed = FALSE;
  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, patient_id);
  store_bind_text (stmt, 2, day);
  store_bind_text (stmt, 3, order_id);
  rc = store_step (stmt);
  if (rc == STORE_ROW)
    *missed = store_col_int (stmt, 0) != 0;
  store_stmt_free (stmt);
  if (rc != STORE_ROW && rc != STORE_DONE) {
    store_set_sql_error (store, error, "read a diary day's doses");
    return FALSE;
  }
  return TRUE;
}

/* The run of days in a row with a missed dose of the order that contains
 * `day` (whose record was just written), at most 8 days each way: its
 * length and first and last day. */
static gboolean
missed_run (Store *store, const char *patient_id, const char *day, const char *order_id, guint *len,
            char **first, char **last, GError **error)
{
  *len = 1;
  *first = g_strdup (day);
  *last = g_strdup (day);
  for (gint dir = -1; dir <= 1; dir += 2)
    for (gint step = 1; step <= 8; step++) {
      g_autofree char *d = day_shift (day, dir * step);
      gboolean missed = FALSE;
      if (!d) /* past the calendar's end: the run ends there */
        break;
      if (!day_missed (store, patient_id, d, order_id, &missed, error))
        return FALSE;
      if (!missed)
        break;
      (*len)++;
      g_free (dir < 0 ? *first : *last);
      if (dir < 0)
        *first = g_steal_pointer (&d);
      else
        *last = g_steal_pointer (&d);
    }
  return TRUE;
}

/* Whether `sql` (a count, its texts bound to ?1, ?2, ...) counts any row. */
static gboolean
counts_any (Store *store, const char *sql, const char *what, gboolean *any, GError **error,
            int n_texts, ...)
{
  StoreStmt *stmt = NULL;
  gboolean ok;
  va_list ap;

  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  va_start (ap, n_texts);
  for (int i = 0; i < n_texts; i++)
    store_bind_text (stmt, i + 1, va_arg (ap, const char *));
  va_end (ap);
  ok = store_step_row (store, stmt, what, "no count", error);
  *any = ok && store_col_int (stmt, 0) > 0;
  store_stmt_free (stmt);
  return ok;
}

/* Whether the same alert (rule and order) was raised already for a day of
 * the patient's in [from, to]: a re-saved day raises nothing twice. */
static gboolean
alert_raised (Store *store, const char *patient_id, const char *rule, const char *order_id,
              const char *from, const char *to, gboolean *raised, GError **error)
{
  return counts_any (store,
                     "SELECT count(*) FROM monitoring_alerts a"
                     " JOIN diary_entries e ON e.id = a.diary_entry_id"
                     " WHERE e.patient_id = ?1 AND a.rule = ?2 AND a.order_id IS NOT DISTINCT FROM "
                     "?3"
                     " AND e.day BETWEEN ?4 AND ?5",
                     "look for a raised alert", raised, error, 5, patient_id, rule, order_id, from,
                     to);
}

/* Whether a home reading of `kind` on `day` raised `rule` already. */
static gboolean
reading_alert_raised (Store *store, const char *patient_id, const char *rule, const char *kind,
                      const char *day, gboolean *raised, GError **error)
{
  return counts_any (store,
                     "SELECT count(*) FROM monitoring_alerts a"
                     " JOIN observations o ON o.id = a.observation_id"
                     " JOIN diary_entries e ON e.id = o.diary_entry_id"
                     " WHERE e.patient_id = ?1 AND a.rule = ?2 AND o.kind = ?3 AND e.day = ?4",
                     "look for a reading's alert", raised, error, 4, patient_id, rule, kind, day);
}

static gboolean
insert_entry_rows (Store *store, const StoreDiaryEntryNew *e, const char *entry_id,
                   const char *made_at, gint64 now_ms, GError **error)
{
  char item9[4] = "";

  if (e->item9 >= 0)
    g_snprintf (item9, sizeof item9, "%d", e->item9);
  if (!store_run (store, "append a diary entry",
                  "INSERT INTO diary_entries (id, patient_id, day, made_at, link_id, item9, note)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  NULL, NULL, error, 7, entry_id, e->patient_id, e->day, made_at, e->link_id,
                  e->item9 >= 0 ? item9 : NULL, e->note))
    return FALSE;
  for (guint i = 0; i < e->n_orders; i++) {
    const StoreDiaryOrder *o = &e->orders[i];
    char taken[8], missed[8];
    if (!o->logged)
      continue;
    g_snprintf (taken, sizeof taken, "%u", o->taken);
    g_snprintf (missed, sizeof missed, "%u", o->missed);
    if (!store_run (store, "append a diary dose",
                    "INSERT INTO diary_doses (entry_id, order_id, taken, missed, reason)"
                    " VALUES (?1, ?2, ?3, ?4, ?5)",
                    NULL, NULL, error, 5, entry_id, o->order_id, taken, missed, o->reason))
      return FALSE;
  }
  for (guint i = 0; i < e->n_ratings; i++) {
    const DiaryRating *r = &e->ratings[i];
    char severity[4];
    g_snprintf (severity, sizeof severity, "%u", r->severity);
    if (r->order >= e->n_orders ||
        !store_run (store, "append a diary side effect",
                    "INSERT INTO diary_side_effects (entry_id, order_id, effect, severity)"
                    " VALUES (?1, ?2, ?3, ?4)",
                    NULL, NULL, error, 4, entry_id, e->orders[r->order].order_id, r->effect,
                    severity)) {
      if (error && !*error)
        g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "a rating names no order");
      return FALSE;
    }
  }
  for (guint i = 0; i < e->n_readings; i++) {
    const StoreDiaryReading *r = &e->readings[i];
    StoreObservationNew obs = {
      .patient_id = e->patient_id,
      .kind = r->kind,
      .loinc = r->loinc,
      .value = r->value,
      .has_value2 = r->has_value2,
      .value2 = r->value2,
      .unit = r->unit,
      .effective_ms = e->day_noon_ms,
      .diary_entry_id = entry_id,
      .interpretation = r->interpretation,
    };
    g_autofree char *obs_id = NULL;
    gboolean raised = FALSE;
    if (!store_observation_insert_locked (store, &obs, now_ms, &obs_id, error))
      return FALSE;
    /* A home reading past a safety threshold is a signal like any other,
     * raised once a day per kind of reading: a re-saved day raises it no
     * second time. */
    if (r->alert_rule &&
        (!reading_alert_raised (store, e->patient_id, r->alert_rule, r->kind, e->day, &raised,
                                error) ||
         (!raised && !store_alert_raise_locked (store,
                                                &(StoreAlertNew) { .patient_id = e->patient_id,
                                                                   .rule = r->alert_rule,
                                                                   .summary = r->alert_summary,
                                                                   .diary_entry_id = entry_id,
                                                                   .observation_id = obs_id },
                                                now_ms, NULL, error))))
      return FALSE;
  }
  return TRUE;
}

typedef struct {
  guint len;
  char *first, *last;
} Run;

/* The rules' view of the entry; runs[i] for each order with a missed dose
 * whose stop is a risk. */
static gboolean
rules_input (Store *store, const StoreDiaryEntryNew *e, DiaryOrderDay *days, Run *runs,
             GError **error)
{
  for (guint i = 0; i < e->n_orders; i++) {
    const StoreDiaryOrder *o = &e->orders[i];
    days[i] = (DiaryOrderDay) {
      .drug = o->drug,
      .missed = o->logged ? o->missed : 0,
      .missed_alert_days = o->missed_alert_days,
      .missed_risk = o->missed_risk,
    };
    if (!days[i].missed || !o->missed_alert_days)
      continue;
    if (!missed_run (store, e->patient_id, e->day, o->order_id, &runs[i].len, &runs[i].first,
                     &runs[i].last, error))
      return FALSE;
    days[i].missed_run_days = runs[i].len;
    days[i].missed_run_last = runs[i].last;
  }
  return TRUE;
}

static gboolean
raise_signals (Store *store, const StoreDiaryEntryNew *e, const char *entry_id, gint64 now_ms,
               StoreDiarySaved *out, GError **error)
{
  g_autofree DiaryOrderDay *days = g_new0 (DiaryOrderDay, MAX (e->n_orders, 1));
  g_autofree Run *runs = g_new0 (Run, MAX (e->n_orders, 1));
  g_autoptr (GPtrArray) signals = NULL;
  DiaryDay day = {
    .day = e->day,
    .item9 = e->item9,
    .orders = days,
    .n_orders = e->n_orders,
    .ratings = e->ratings,
    .n_ratings = e->n_ratings,
  };
  gboolean ok = rules_input (store, e, days, runs, error);

  if (ok)
    signals = diary_signals (&day);
  for (guint i = 0; ok && i < signals->len; i++) {
    const DiarySignal *s = g_ptr_array_index (signals, i);
    const char *order_id = s->order >= 0 ? e->orders[s->order].order_id : NULL;
    gboolean run = strcmp (s->rule, "missed-doses") == 0 && s->order >= 0;
    gboolean raised = FALSE;
    StoreAlertNew alert = {
      .patient_id = e->patient_id,
      .rule = s->rule,
      .summary = s->summary,
      .order_id = order_id,
      .diary_entry_id = entry_id,
    };
    out->crisis |= s->crisis;
    ok = alert_raised (store, e->patient_id, s->rule, order_id, run ? runs[s->order].first : e->day,
                       run ? runs[s->order].last : e->day, &raised, error);
    if (!ok || raised)
      continue;
    ok = store_alert_raise_locked (store, &alert, now_ms, NULL, error);
    out->alerts_raised += ok;
    if (ok && s->safety_task)
      ok = store_safety_task_open_locked (store, e->patient_id, (guint) e->item9, NULL, entry_id,
                                          now_ms, &out->task_opened, error);
  }
  for (guint i = 0; i < e->n_orders; i++) {
    g_free (runs[i].first);
    g_free (runs[i].last);
  }
  return ok;
}

gboolean
store_diary_entry_save (Store *store, const StoreDiaryEntryNew *e, gint64 now_ms,
                        StoreDiarySaved *out, GError **error)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *made_at = NULL;
  gboolean ok;

  g_return_val_if_fail (store && e && e->patient_id && e->day && out, FALSE);
  memset (out, 0, sizeof *out);
  if (!(made_at = store_format_time (now_ms, error)) || !store_begin (store, error))
    return FALSE;
  ok = insert_entry_rows (store, e, id, made_at, now_ms, error) &&
       raise_signals (store, e, id, now_ms, out, error);
  if (!store_commit_or_rollback (store, ok, error)) {
    store_diary_saved_clear (out);
    return FALSE;
  }
  out->entry_id = g_steal_pointer (&id);
  return TRUE;
}
