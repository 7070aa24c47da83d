/* store_checkins.c — a patient's check-ins (scales, side effects, missed
 * doses per medication) and their score history across visits.
 *
 * Check-ins are append-only (triggers in migrations 2 and 6): a later
 * check-in supersedes an earlier one, nothing is overwritten. Nothing here
 * logs answers; errors name statements, never values.
 */
#include "server/store/store-private.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Free-text limit: generous, small enough that one request cannot bloat the
 * file. */
#define SIDE_EFFECT_MAX_CHARS 200
#define SCALE_ITEM_MAX 4 /* ASRS answers run 0..4; PHQ-9/GAD-7 0..3 (checked by the rules) */

/* ------------------------------------------------------------ check-ins */

static void
scale_result_free (StoreScaleResult *s)
{
  if (!s)
    return;
  g_free (s->scale);
  g_free (s->band);
  g_free (s);
}

static void
side_effect_free (StoreSideEffect *s)
{
  if (!s)
    return;
  g_free (s->name);
  g_free (s);
}

void
store_missed_dose_free (StoreMissedDose *m)
{
  if (!m)
    return;
  g_free (m->order_id);
  g_free (m->medication_name);
  g_free (m->unit);
  g_free (m->frequency);
  g_free (m);
}

StoreCheckin *
store_checkin_new (void)
{
  StoreCheckin *c = g_new0 (StoreCheckin, 1);
  c->missed_doses_14d = -1;
  c->missed_doses = g_ptr_array_new_with_free_func ((GDestroyNotify) store_missed_dose_free);
  c->scales = g_ptr_array_new_with_free_func ((GDestroyNotify) scale_result_free);
  c->side_effects = g_ptr_array_new_with_free_func ((GDestroyNotify) side_effect_free);
  return c;
}

void
store_checkin_clear (StoreCheckin *checkin)
{
  if (!checkin)
    return;
  g_free (checkin->id);
  g_free (checkin->visit_id);
  if (checkin->scales)
    g_ptr_array_unref (checkin->scales);
  if (checkin->side_effects)
    g_ptr_array_unref (checkin->side_effects);
  if (checkin->missed_doses)
    g_ptr_array_unref (checkin->missed_doses);
  memset (checkin, 0, sizeof *checkin);
}

void
store_checkin_free (StoreCheckin *checkin)
{
  if (!checkin)
    return;
  store_checkin_clear (checkin);
  g_free (checkin);
}

static gboolean
scale_name_valid (const char *name)
{
  return g_strcmp0 (name, "phq9") == 0 || g_strcmp0 (name, "gad7") == 0 ||
         g_strcmp0 (name, "asrs_a") == 0 || g_strcmp0 (name, "asrs18") == 0;
}

/* Shape checks only: the scoring rules live in clinical_scales.c; the store
 * refuses what its columns cannot hold faithfully. */
static gboolean
checkin_valid (const StoreCheckin *c, GError **error)
{
  if (c->missed_doses_14d < -1 || c->missed_doses_14d > 14) {
    g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "missed doses out of range");
    return FALSE;
  }
  for (guint i = 0; c->scales && i < c->scales->len; i++) {
    const StoreScaleResult *s = g_ptr_array_index (c->scales, i);
    /* The symptom checklist has subscales, not a band: its band is "". */
    if (!s || !scale_name_valid (s->scale) || !s->band ||
        (!*s->band && g_strcmp0 (s->scale, "asrs18") != 0) || s->n_items == 0 ||
        s->n_items > G_N_ELEMENTS (s->items)) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "malformed scale result");
      return FALSE;
    }
    for (guint k = 0; k < s->n_items; k++) {
      if (s->items[k] < 0 || s->items[k] > SCALE_ITEM_MAX) {
        g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "scale answer out of range");
        return FALSE;
      }
    }
    for (guint j = 0; j < i; j++) {
      const StoreScaleResult *o = g_ptr_array_index (c->scales, j);
      if (g_strcmp0 (o->scale, s->scale) == 0) {
        g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "scale given twice");
        return FALSE;
      }
    }
  }
  for (guint i = 0; c->missed_doses && i < c->missed_doses->len; i++) {
    const StoreMissedDose *m = g_ptr_array_index (c->missed_doses, i);
    if (!m || !m->order_id || m->missed > m->max_missed) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "missed doses out of range");
      return FALSE;
    }
    for (guint j = 0; j < i; j++) {
      const StoreMissedDose *o = g_ptr_array_index (c->missed_doses, j);
      if (g_strcmp0 (o->order_id, m->order_id) == 0) {
        g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "missed doses given twice");
        return FALSE;
      }
    }
  }
  for (guint i = 0; c->side_effects && i < c->side_effects->len; i++) {
    const StoreSideEffect *e = g_ptr_array_index (c->side_effects, i);
    if (!e || !store_text_valid (e->name, SIDE_EFFECT_MAX_CHARS) || e->severity > 3) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID, "malformed side effect");
      return FALSE;
    }
  }
  return TRUE;
}

static char *
items_to_json (const StoreScaleResult *s)
{
  GString *json = g_string_new ("[");
  for (guint k = 0; k < s->n_items; k++)
    g_string_append_printf (json, "%s%d", k ? "," : "", s->items[k]);
  g_string_append_c (json, ']');
  return g_string_free (json, FALSE);
}

/* Parses the "[1,2,3]" text written by items_to_json. */
static gboolean
items_from_json (const char *text, StoreScaleResult *s)
{
  const char *p = text;
  char *end = NULL;

  s->n_items = 0;
  if (!p || *p++ != '[')
    return FALSE;
  if (*p == ']')
    return p[1] == '\0';
  for (;;) {
    long v = strtol (p, &end, 10);
    if (end == p || s->n_items >= G_N_ELEMENTS (s->items) || v < 0 || v > SCALE_ITEM_MAX)
      return FALSE;
    s->items[s->n_items++] = (gint) v;
    p = end;
    if (*p == ']')
      return p[1] == '\0';
    if (*p++ != ',')
      return FALSE;
  }
}

static gboolean
insert_checkin_parts (Store *store, const char *id, const StoreCheckin *c, GError **error)
{
  StoreStmt *stmt = NULL;
  char *items = NULL;
  gboolean ok = FALSE;

  if (!store_prepare (store,
                      "INSERT INTO checkin_scales (checkin_id, scale, items, total, band, alert,"
                      " positive) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      &stmt, error))
    goto out;
  for (guint i = 0; c->scales && i < c->scales->len; i++) {
    const StoreScaleResult *s = g_ptr_array_index (c->scales, i);
    g_free (items);
    items = items_to_json (s);
    store_stmt_reset (stmt);
    store_bind_text (stmt, 1, id);
    store_bind_text (stmt, 2, s->scale);
    store_bind_text (stmt, 3, items);
    store_bind_int64 (stmt, 4, s->total);
    store_bind_text (stmt, 5, s->band);
    store_bind_int (stmt, 6, s->alert ? 1 : 0);
    store_bind_int (stmt, 7, s->positive ? 1 : 0);
    if (!store_step_done (store, stmt, "insert checkin scale", error))
      goto out;
  }
  store_stmt_free (stmt);
  stmt = NULL;
  if (!store_prepare (store,
                      "INSERT INTO checkin_side_effects (checkin_id, name, severity)"
                      " VALUES (?1, ?2, ?3)",
                      &stmt, error))
    goto out;
  for (guint i = 0; c->side_effects && i < c->side_effects->len; i++) {
    const StoreSideEffect *e = g_ptr_array_index (c->side_effects, i);
    store_stmt_reset (stmt);
    store_bind_text (stmt, 1, id);
    store_bind_text (stmt, 2, e->name);
    store_bind_int (stmt, 3, (int) e->severity);
    if (!store_step_done (store, stmt, "insert side effect", error))
      goto out;
  }
  store_stmt_free (stmt);
  stmt = NULL;
  /* Only an order of this check-in's patient: nothing is written otherwise. */
  if (!store_prepare (store,
                      "INSERT INTO checkin_missed_doses (checkin_id, order_id, missed, max_missed)"
                      " SELECT ?1, o.id, ?3, ?4 FROM medication_orders o"
                      " JOIN checkins c ON c.id = ?1 JOIN visits v ON v.id = c.visit_id"
                      " WHERE o.id = ?2 AND o.patient_id = v.patient_id",
                      &stmt, error))
    goto out;
  for (guint i = 0; c->missed_doses && i < c->missed_doses->len; i++) {
    const StoreMissedDose *m = g_ptr_array_index (c->missed_doses, i);
    store_stmt_reset (stmt);
    store_bind_text (stmt, 1, id);
    store_bind_text (stmt, 2, m->order_id);
    store_bind_int (stmt, 3, (int) m->missed);
    store_bind_int (stmt, 4, (int) m->max_missed);
    if (!store_step_done (store, stmt, "insert missed doses", error))
      goto out;
    if (store_changes (store) != 1) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_INVALID,
                   "missed doses name an order that is not the patient's");
      goto out;
    }
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  g_free (items);
  return ok;
}

/* PHQ-9 item 9 ("thoughts that you would be better off dead, or of hurting
 * yourself") above 0, inside the check-in's transaction: the safety task
 * opens (unless one is open) and the provider's console gets an alert, or
 * the check-in is not saved at all. Never silently dropped. */
static gboolean
checkin_item9_locked (Store *store, const char *id, const char *visit_id, const StoreCheckin *c,
                      GError **error)
{
  g_autofree char *patient_id = NULL;
  g_autofree char *summary = NULL;
  const StoreScaleResult *phq9 = NULL;
  /* The PHQ-9's own answer words (Kroenke, Spitzer, Williams 2001). */
  static const char *const kWords[] = { "", "several days", "more than half the days",
                                        "nearly every day" };

  for (guint i = 0; c->scales && i < c->scales->len; i++) {
    const StoreScaleResult *s = g_ptr_array_index (c->scales, i);
    if (g_strcmp0 (s->scale, "phq9") == 0 && s->n_items == 9)
      phq9 = s;
  }
  if (!phq9 || phq9->items[8] <= 0 || phq9->items[8] > 3)
    return TRUE;
  if (!store_select_text (store, "SELECT patient_id FROM visits WHERE id = ?1", visit_id,
                          "get visit patient", "no such visit", &patient_id, error) ||
      !store_safety_task_open_locked (store, patient_id, (guint) phq9->items[8], id, NULL,
                                      store_now_ms (), NULL, error))
    return FALSE;
  summary = g_strdup_printf ("Check-in: PHQ-9 item 9 (thoughts of being better off dead or of "
                             "hurting oneself) on %s in the last 2 weeks.",
                             kWords[phq9->items[8]]);
  return store_alert_raise_locked (store,
                                   &(StoreAlertNew) { .patient_id = patient_id,
                                                      .rule = "item9",
                                                      .summary = summary,
                                                      .checkin_id = id },
                                   store_now_ms (), NULL, error);
}

char *
store_save_checkin (Store *store, const char *visit_id, const StoreCheckin *checkin, GError **error)
{
  StoreStmt *stmt = NULL;
  char *id = NULL;
  char *at = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && checkin != NULL, NULL);
  if (!checkin_valid (checkin, error))
    return NULL;
  /* A given submission time is kept (the demo writes past check-ins);
   * otherwise the check-in is stamped now. */
  if (!(at = store_format_time (checkin->submitted_at_ms > 0 ? checkin->submitted_at_ms
                                                             : store_now_ms (),
                                error)))
    goto out;
  if (!store_begin (store, error))
    goto out;
  if (!store_require_row (store, "visits", visit_id, "no such visit", error))
    goto out;
  if (!store_prepare (store,
                      "INSERT INTO checkins (id, visit_id, submitted_at, missed_doses_14d)"
                      " VALUES (?1, ?2, ?3, ?4)",
                      &stmt, error))
    goto out;
  id = g_uuid_string_random ();
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, visit_id);
  store_bind_text (stmt, 3, at);
  if (checkin->missed_doses_14d >= 0)
    store_bind_int (stmt, 4, checkin->missed_doses_14d);
  else
    store_bind_null (stmt, 4);
  if (!store_step_done (store, stmt, "insert checkin", error))
    goto out;
  if (!insert_checkin_parts (store, id, checkin, error) ||
      !checkin_item9_locked (store, id, visit_id, checkin, error))
    goto out;
  ok = TRUE;
out:
  store_stmt_free (stmt);
  ok = store_commit_or_rollback (store, ok, error);
  if (!ok)
    g_clear_pointer (&id, g_free);
  g_free (at);
  return id;
}

/* Reads the scales and side effects of check-in `c->id` into `c`. */
static gboolean
read_checkin_parts (Store *store, StoreCheckin *c, GError **error)
{
  StoreStmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc;

  if (!store_prepare (store,
                      "SELECT scale, items, total, band, alert, positive FROM checkin_scales"
                      " WHERE checkin_id = ?1 ORDER BY scale",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, c->id);
  while ((rc = store_step (stmt)) == STORE_ROW) {
    StoreScaleResult *s = g_new0 (StoreScaleResult, 1);
    g_ptr_array_add (c->scales, s);
    s->scale = store_column_dup_text (stmt, 0);
    if (!items_from_json (store_col_text (stmt, 1), s)) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored scale items are malformed");
      goto out;
    }
    s->total = (guint) store_col_int (stmt, 2);
    s->band = store_column_dup_text (stmt, 3);
    s->alert = store_col_int (stmt, 4) != 0;
    s->positive = store_col_int (stmt, 5) != 0;
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "read checkin scales");
    goto out;
  }
  store_stmt_free (stmt);
  stmt = NULL;
  if (!store_prepare (store,
                      "SELECT name, severity FROM checkin_side_effects WHERE checkin_id = ?1"
                      " ORDER BY rowid",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, c->id);
  while ((rc = store_step (stmt)) == STORE_ROW) {
    StoreSideEffect *e = g_new0 (StoreSideEffect, 1);
    e->name = store_column_dup_text (stmt, 0);
    e->severity = (guint) store_col_int (stmt, 1);
    g_ptr_array_add (c->side_effects, e);
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "read side effects");
    goto out;
  }
  store_stmt_free (stmt);
  stmt = NULL;
  if (!store_prepare (store,
                      "SELECT d.order_id, d.missed, d.max_missed, m.name, o.dose, o.unit,"
                      " o.frequency FROM checkin_missed_doses d"
                      " JOIN medication_orders o ON o.id = d.order_id"
                      " JOIN medications m ON m.id = o.medication_id"
                      " WHERE d.checkin_id = ?1 ORDER BY m.name, d.rowid",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, c->id);
  while ((rc = store_step (stmt)) == STORE_ROW) {
    StoreMissedDose *m = g_new0 (StoreMissedDose, 1);
    m->order_id = store_column_dup_text (stmt, 0);
    m->missed = (guint) store_col_int (stmt, 1);
    m->max_missed = (guint) store_col_int (stmt, 2);
    m->medication_name = store_column_dup_text (stmt, 3);
    m->dose = store_col_double (stmt, 4);
    m->unit = store_column_dup_text (stmt, 5);
    m->frequency = store_column_dup_text (stmt, 6);
    g_ptr_array_add (c->missed_doses, m);
  }
  if (rc != STORE_DONE) {
    store_set_sql_error (store, error, "read missed doses");
    goto out;
  }
  ok = TRUE;
out:
  store_stmt_free (stmt);
  return ok;
}

gboolean
store_get_latest_checkin (Store *store, const char *visit_id, StoreCheckin *out, GError **error)
{
  StoreStmt *stmt = NULL;
  StoreCheckin *c = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);
  /* Reads check-in and parts in one transaction: one consistent snapshot. */
  if (!store_begin_read (store, error))
    goto out;
  if (!store_select_row (store,
                         "SELECT id, visit_id, submitted_at, missed_doses_14d FROM checkins"
                         " WHERE visit_id = ?1 ORDER BY submitted_at DESC, rowid DESC LIMIT 1",
                         visit_id, "get checkin", "no check-in for this visit", &stmt, error))
    goto out;
  c = store_checkin_new ();
  c->id = store_column_dup_text (stmt, 0);
  c->visit_id = store_column_dup_text (stmt, 1);
  if (!store_column_time (stmt, 2, &c->submitted_at_ms, error))
    goto out;
  c->missed_doses_14d = store_col_is_null (stmt, 3) ? -1
                                                                     : store_col_int (stmt, 3);
  if (!read_checkin_parts (store, c, error))
    goto out;
  if (!store_commit (store, error))
    goto out;
  *out = *c;
  g_free (c); /* the contents moved to *out */
  c = NULL;
  ok = TRUE;
out:
  store_stmt_free (stmt);
  if (!ok)
    store_rollback (store);
  store_checkin_free (c);
  return ok;
}

void
store_score_point_free (StoreScorePoint *point)
{
  if (!point)
    return;
  g_free (point->visit_id);
  g_free (point->scale);
  g_free (point->band);
  g_free (point);
}

static gpointer
score_point_new (StoreStmt *stmt, GError **error)
{
  StoreScorePoint *p = g_new0 (StoreScorePoint, 1);

  p->visit_id = store_column_dup_text (stmt, 0);
  if (!store_column_time (stmt, 1, &p->scheduled_at_ms, error)) {
    store_score_point_free (p);
    return NULL;
  }
  p->scale = store_column_dup_text (stmt, 2);
  p->total = (guint) store_col_int (stmt, 3);
  p->band = store_column_dup_text (stmt, 4);
  p->alert = store_col_int (stmt, 5) != 0;
  {
    StoreScaleResult parsed = { 0 };
    if (!items_from_json (store_col_text (stmt, 6), &parsed)) {
      g_set_error (error, STORE_ERROR, STORE_ERROR_SQL, "stored scale items are malformed");
      store_score_point_free (p);
      return NULL;
    }
    memcpy (p->items, parsed.items, sizeof p->items);
    p->n_items = parsed.n_items;
  }
  return p;
}

GPtrArray *
store_patient_score_history (Store *store, const char *patient_id, GError **error)
{
  StoreStmt *stmt = NULL;
  GPtrArray *points = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  if (!store_require_row (store, "patients", patient_id, "no such patient", error))
    goto out;
  /* The latest check-in per visit, chosen with the same order as
   * store_get_latest_checkin, so trend and visit screen agree. */
  if (!store_prepare (store,
                      "SELECT v.id, v.scheduled_at, s.scale, s.total, s.band, s.alert, s.items"
                      " FROM visits v"
                      " JOIN checkins c ON c.id = (SELECT c2.id FROM checkins c2"
                      "   WHERE c2.visit_id = v.id"
                      "   ORDER BY c2.submitted_at DESC, c2.rowid DESC LIMIT 1)"
                      " JOIN checkin_scales s ON s.checkin_id = c.id"
                      " WHERE v.patient_id = ?1"
                      " ORDER BY v.scheduled_at, v.created_at, v.id, s.scale",
                      &stmt, error))
    goto out;
  store_bind_text (stmt, 1, patient_id);
  points = store_collect_rows (store, stmt, score_point_new,
                               (GDestroyNotify) store_score_point_free, "score history", error);
out:
  store_stmt_free (stmt);
  return points;
}
