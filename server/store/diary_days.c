/* diary_days.c — a patient's diary as read back: the record of each day
 * (its newest entry: entries are append-only, so a re-saved day keeps what
 * was written before), with its doses, rated side effects, home readings
 * and the alerts the day's entries raised. */
#define G_LOG_DOMAIN "th-store"

#include "server/store/store-private.h"

#include <string.h>

static void
dose_row_clear (gpointer p)
{
  StoreDiaryDoseRow *r = p;
  g_free (r->order_id);
  g_free (r->reason);
}

static void
effect_row_clear (gpointer p)
{
  StoreDiaryEffectRow *r = p;
  g_free (r->order_id);
  g_free (r->effect);
}

static void
reading_row_clear (gpointer p)
{
  StoreDiaryReadingRow *r = p;
  g_free (r->kind);
  g_free (r->unit);
}

static void
alert_row_clear (gpointer p)
{
  StoreDiaryAlertRow *r = p;
  g_free (r->rule);
  g_free (r->summary);
  g_free (r->order_id);
}

void
store_diary_day_free (gpointer p)
{
  StoreDiaryDay *d = p;

  if (!d)
    return;
  g_free (d->entry_id);
  g_free (d->day);
  g_free (d->note);
  g_clear_pointer (&d->doses, g_array_unref);
  g_clear_pointer (&d->effects, g_array_unref);
  g_clear_pointer (&d->readings, g_array_unref);
  g_clear_pointer (&d->alerts, g_array_unref);
  g_free (d);
}

static GArray *
rows_new (gsize size, GDestroyNotify clear)
{
  GArray *a = g_array_new (FALSE, TRUE, (guint) size);
  g_array_set_clear_func (a, clear);
  return a;
}

/* Runs `sql` with ?1 = key (and ?2 = key2 when given), calling `read` on
 * each row. */
static gboolean
each_row (Store *store, const char *sql, const char *key, const char *key2, const char *what,
          gboolean (*read) (StoreStmt *stmt, StoreDiaryDay *d, GError **error), StoreDiaryDay *d,
          GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = TRUE;
  int rc;

  if (!store_prepare (store, sql, &stmt, error))
    return FALSE;
  store_bind_text (stmt, 1, key);
  if (key2)
    store_bind_text (stmt, 2, key2);
  while (ok && (rc = store_step (stmt)) == STORE_ROW)
    ok = read (stmt, d, error);
  if (ok && rc != STORE_DONE) {
    store_set_sql_error (store, error, what);
    ok = FALSE;
  }
  store_stmt_free (stmt);
  return ok;
}

static gboolean
read_dose (StoreStmt *stmt, StoreDiaryDay *d, GError **error)
{
  StoreDiaryDoseRow r = {
    .order_id = store_column_dup_text (stmt, 0),
    .taken = (guint) MAX (store_col_int (stmt, 1), 0),
    .missed = (guint) MAX (store_col_int (stmt, 2), 0),
    .reason = store_column_dup_text (stmt, 3),
  };
  (void) error;
  g_array_append_val (d->doses, r);
  return TRUE;
}

static gboolean
read_effect (StoreStmt *stmt, StoreDiaryDay *d, GError **error)
{
  StoreDiaryEffectRow r = {
    .order_id = store_column_dup_text (stmt, 0),
    .effect = store_column_dup_text (stmt, 1),
    .severity = (guint) CLAMP (store_col_int (stmt, 2), 0, 3),
  };
  (void) error;
  g_array_append_val (d->effects, r);
  return TRUE;
}

static gboolean
read_reading (StoreStmt *stmt, StoreDiaryDay *d, GError **error)
{
  StoreDiaryReadingRow r = {
    .kind = store_column_dup_text (stmt, 0),
    .value = store_col_double (stmt, 1),
    .has_value2 = !store_col_is_null (stmt, 2),
    .value2 = store_col_double (stmt, 2),
    .unit = store_column_dup_text (stmt, 3),
  };
  (void) error;
  g_array_append_val (d->readings, r);
  return TRUE;
}

static gboolean
read_alert (StoreStmt *stmt, StoreDiaryDay *d, GError **error)
{
  StoreDiaryAlertRow r = {
    .rule = store_column_dup_text (stmt, 0),
    .summary = store_column_dup_text (stmt, 1),
    .order_id = store_column_dup_text (stmt, 2),
    .acknowledged = !store_col_is_null (stmt, 4),
  };
  if (!store_column_time (stmt, 3, &r.raised_at_ms, error)) {
    alert_row_clear (&r);
    return FALSE;
  }
  g_array_append_val (d->alerts, r);
  return TRUE;
}

static gpointer
read_day (StoreStmt *stmt, GError **error)
{
  StoreDiaryDay *d = g_new0 (StoreDiaryDay, 1);

  d->entry_id = store_column_dup_text (stmt, 0);
  d->day = store_column_dup_text (stmt, 1);
  d->item9 = store_col_is_null (stmt, 3) ? -1 : store_col_int (stmt, 3);
  d->note = store_column_dup_text (stmt, 4);
  d->doses = rows_new (sizeof (StoreDiaryDoseRow), dose_row_clear);
  d->effects = rows_new (sizeof (StoreDiaryEffectRow), effect_row_clear);
  d->readings = rows_new (sizeof (StoreDiaryReadingRow), reading_row_clear);
  d->alerts = rows_new (sizeof (StoreDiaryAlertRow), alert_row_clear);
  if (!d->entry_id || !d->day || !store_column_time (stmt, 2, &d->made_at_ms, error)) {
    if (error && !*error)
      g_set_error_literal (error, STORE_ERROR, STORE_ERROR_SQL, "read diary: a NULL column");
    store_diary_day_free (d);
    return NULL;
  }
  return d;
}

/* The day's doses, ratings, readings (of its newest entry) and the alerts
 * of every entry of the day. */
static gboolean
fill_day (Store *store, const char *patient_id, StoreDiaryDay *d, GError **error)
{
  return each_row (store,
                   "SELECT order_id, taken, missed, reason FROM diary_doses WHERE entry_id = ?1"
                   " ORDER BY order_id",
                   d->entry_id, NULL, "read diary doses", read_dose, d, error) &&
         each_row (store,
                   "SELECT order_id, effect, severity FROM diary_side_effects"
                   " WHERE entry_id = ?1 ORDER BY order_id, effect",
                   d->entry_id, NULL, "read diary side effects", read_effect, d, error) &&
         each_row (store,
                   "SELECT kind, value, value2, unit FROM observations WHERE diary_entry_id = ?1"
                   " ORDER BY kind",
                   d->entry_id, NULL, "read diary readings", read_reading, d, error) &&
         each_row (store,
                   "SELECT a.rule, a.summary, a.order_id, a.raised_at, a.acknowledged_at"
                   " FROM monitoring_alerts a JOIN diary_entries e ON e.id = a.diary_entry_id"
                   " WHERE e.patient_id = ?1 AND e.day = ?2 ORDER BY a.raised_at, a.rowid",
                   patient_id, d->day, "read diary alerts", read_alert, d, error);
}

GPtrArray *
store_diary_days (Store *store, const char *patient_id, const char *from_day, const char *to_day,
                  GError **error)
{
  static const char sql[] =
    "SELECT id, day, made_at, item9, note FROM (SELECT e.*, row_number() OVER"
    " (PARTITION BY e.day ORDER BY e.made_at DESC, e.rowid DESC) AS newest"
    " FROM diary_entries e WHERE e.patient_id = ?1 AND e.day BETWEEN ?2 AND ?3) AS entries"
    " WHERE newest = 1 ORDER BY day DESC";
  StoreStmt *stmt = NULL;
  GPtrArray *days = NULL;
  gboolean ok;

  if (!store_begin_read (store, error))
    return NULL;
  ok = store_prepare (store, sql, &stmt, error);
  if (ok) {
    store_bind_text (stmt, 1, patient_id);
    store_bind_text (stmt, 2, from_day);
    store_bind_text (stmt, 3, to_day);
    days = store_collect_rows (store, stmt, read_day, store_diary_day_free, "read diary days",
                               error);
    store_stmt_free (stmt);
    ok = days != NULL;
  }
  for (guint i = 0; ok && i < days->len; i++)
    ok = fill_day (store, patient_id, g_ptr_array_index (days, i), error);
  store_rollback (store);
  if (!ok)
    g_clear_pointer (&days, g_ptr_array_unref);
  return days;
}
