/* test_store_orders.c — medication orders in the store: starts, dose
 * changes, switches and stops, a PA's pending orders and their co-signature,
 * and corrections, with the status derived from the order events. A fresh
 * database per test (sqlite or PostgreSQL: store-fixture.h). */
#include "store-clinical-fixture.h"

/* Rows in every order table: a refused adjustment must leave this unchanged. */
static gint64
order_rows (Fixture *f)
{
  return count_rows (f->store, "SELECT (SELECT count(*) FROM medication_orders)"
                               " + (SELECT count(*) FROM order_events)");
}

static void
assert_status (Fixture *f, const char *order_id, const char *status)
{
  GError *error = NULL;
  StoreOrder o = { 0 };
  g_assert_true (store_get_order (f->store, order_id, &o, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (o.status, ==, status);
  store_order_clear (&o);
}

/* ------------------------------------------------------------ orders */

static void
test_order_start (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *o = start_ok (f, "sertraline", 50);
  GPtrArray *cur;
  (void) data;

  g_assert_cmpstr (o->status, ==, "active");
  g_assert_cmpstr (o->action, ==, "start");
  g_assert_cmpstr (o->patient_id, ==, f->patient);
  g_assert_cmpstr (o->prescriber_name, ==, "Dr. Rivera");
  g_assert_cmpstr (o->medication_name, ==, "sertraline");
  g_assert_cmpstr (o->rxnorm, ==, "36437");
  g_assert_null (o->replaces_order_id);
  g_assert_cmpfloat (o->dose, ==, 50);
  g_assert_cmpint (o->status_at_ms, ==, o->created_at_ms);
  cur = store_current_medications (f->store, f->patient, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cur->len, ==, 1);
  g_ptr_array_unref (cur);

  /* Refusals, nothing written. */
  gint64 before = order_rows (f);
  g_assert_null (adjust (f, ADJUST_START, f->psychiatrist, FALSE, NULL, "sertraline", 100, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);   /* duplicate of an active order */
  g_assert_null (adjust (f, ADJUST_START, f->psychiatrist, FALSE, NULL, "aspirin", 100, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);   /* not in the catalog table */
  g_assert_null (adjust (f, ADJUST_START, f->psychiatrist, FALSE, NULL, "fluoxetine", 0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (adjust (f, ADJUST_START, f->psychiatrist, FALSE, o->id, "fluoxetine", 20, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);   /* a start replaces nothing */
  g_assert_null (adjust (f, ADJUST_START, "nobody", FALSE, NULL, "fluoxetine", 20, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);
  {
    StoreAdjustment a = { .kind = ADJUST_START, .visit_id = f->visit,
                          .prescriber_id = f->psychiatrist, .reason = "",
                          .medication_id = "fluoxetine", .dose = 20, .unit = "mg",
                          .frequency = "once-daily", .route = "oral" };
    g_assert_null (store_apply_adjustment (f->store, &a, &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
    a.reason = "r";
    a.route = NULL;
    g_assert_null (store_apply_adjustment (f->store, &a, &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
  }
  g_assert_cmpint (order_rows (f), ==, before);
  store_order_free (o);
}

static void
test_order_change_dose (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *old = start_ok (f, "sertraline", 50);
  StoreOrder *neu, stopped = { 0 };
  GPtrArray *cur, *hist;
  (void) data;

  neu = adjust (f, ADJUST_CHANGE_DOSE, f->psychiatrist, FALSE, old->id, NULL, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (neu->status, ==, "active");
  g_assert_cmpstr (neu->action, ==, "change-dose");
  g_assert_cmpstr (neu->replaces_order_id, ==, old->id);
  g_assert_cmpstr (neu->medication_id, ==, "sertraline");
  g_assert_cmpfloat (neu->dose, ==, 100);
  g_assert_true (store_get_order (f->store, old->id, &stopped, &error));
  g_assert_cmpstr (stopped.status, ==, "stopped");
  g_assert_cmpstr (stopped.status_reason, ==, "clinical reason");
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM order_events WHERE kind = 'stopped'"
                                         " AND visit_id IS NOT NULL AND by_staff_id IS NOT NULL"), ==, 1);
  store_order_clear (&stopped);

  cur = store_current_medications (f->store, f->patient, &error);
  g_assert_cmpuint (cur->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (cur, 0))->id, ==, neu->id);
  g_ptr_array_unref (cur);
  hist = store_list_patient_orders (f->store, f->patient, &error);
  g_assert_cmpuint (hist->len, ==, 2);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (hist, 0))->id, ==, old->id);
  g_ptr_array_unref (hist);
  hist = store_list_visit_orders (f->store, f->visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hist->len, ==, 2);
  g_ptr_array_unref (hist);

  /* Another medication in a dose change is refused; so is acting on the
   * stopped order again. Nothing written. */
  gint64 before = order_rows (f);
  g_assert_null (adjust (f, ADJUST_CHANGE_DOSE, f->psychiatrist, FALSE, neu->id, "fluoxetine", 20,
                         &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (adjust (f, ADJUST_CHANGE_DOSE, f->psychiatrist, FALSE, old->id, NULL, 150,
                         &error));
  g_assert_nonnull (error);
  /* The rule's sentence (records.h), as the API answers it. */
  g_assert_cmpstr (error->message, ==,
                   "Sertraline (50 mg once daily) is stopped, not active: only an active order "
                   "can be changed or stopped. Nothing was saved.");
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (order_rows (f), ==, before);
  store_order_free (old);
  store_order_free (neu);
}

static void
test_order_switch_and_stop (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *a = start_ok (f, "sertraline", 50);
  StoreOrder *b = start_ok (f, "alprazolam", 0.5);
  StoreOrder *sw, *st;
  GPtrArray *cur;
  gint64 before;
  (void) data;

  /* Switch to the same medication, or to one already active: refused. */
  before = order_rows (f);
  g_assert_null (adjust (f, ADJUST_SWITCH, f->psychiatrist, FALSE, a->id, "sertraline", 50, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==,
                   "A switch goes to another medication; to change this one's dose or frequency, "
                   "use a dose change.");
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (adjust (f, ADJUST_SWITCH, f->psychiatrist, FALSE, a->id, "alprazolam", 1, &error));
  /* The rule's sentence (records.h), as the API answers it; the date is
   * today's in UTC (the adjustment carries no clinic zone). */
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "Alprazolam is already active for this patient "
                                                   "(0.5 mg once daily, since "));
  g_assert_true (g_str_has_suffix (error->message, "). Change its dose or stop it instead."));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (order_rows (f), ==, before);

  sw = adjust (f, ADJUST_SWITCH, f->psychiatrist, FALSE, a->id, "fluoxetine", 20, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sw->action, ==, "switch");
  g_assert_cmpstr (sw->medication_id, ==, "fluoxetine");
  g_assert_cmpstr (sw->replaces_order_id, ==, a->id);
  assert_status (f, a->id, "stopped");

  st = adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, b->id, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (st->id, ==, b->id);  /* the stopped order as it now stands */
  g_assert_cmpstr (st->status, ==, "stopped");
  g_assert_cmpstr (st->status_reason, ==, "clinical reason");

  cur = store_current_medications (f->store, f->patient, &error);
  g_assert_cmpuint (cur->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (cur, 0))->medication_name, ==, "fluoxetine");
  g_ptr_array_unref (cur);

  /* A stop of a stopped order, of an unknown one, of another patient's. */
  before = order_rows (f);
  g_assert_null (adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, b->id, NULL, 0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, "no-such-order", NULL, 0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, NULL, NULL, 0, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  {
    char *other = store_create_patient (f->store, "Other Person", &error);
    char *ov = store_create_visit (f->store, other, f->psychiatrist, T0, &error);
    char *saved = f->visit;
    f->visit = ov;
    g_assert_null (adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, sw->id, NULL, 0, &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
    f->visit = saved;
    g_free (other);
    g_free (ov);
  }
  g_assert_cmpint (order_rows (f), ==, before);
  store_order_free (a);
  store_order_free (b);
  store_order_free (sw);
  store_order_free (st);
}

static void
test_order_pending_cosign (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *old = start_ok (f, "sertraline", 50);
  StoreOrder *pend, after = { 0 };
  GPtrArray *cur, *queue;
  char *other_psy = store_create_staff (f->store, "Dr. Other", "psychiatrist", &error);
  (void) data;

  pend = adjust (f, ADJUST_CHANGE_DOSE, f->pa, TRUE, old->id, NULL, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pend->status, ==, "pending");
  assert_status (f, old->id, "active");
  cur = store_current_medications (f->store, f->patient, &error);
  g_assert_cmpuint (cur->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (cur, 0))->id, ==, old->id);
  g_ptr_array_unref (cur);
  queue = store_list_pending_for_supervisor (f->store, f->psychiatrist, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queue->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (queue, 0))->id, ==, pend->id);
  g_ptr_array_unref (queue);
  queue = store_list_pending_for_supervisor (f->store, other_psy, &error);
  g_assert_cmpuint (queue->len, ==, 0);
  g_ptr_array_unref (queue);

  /* A second pending replacement of the same order is refused. */
  g_assert_null (adjust (f, ADJUST_CHANGE_DOSE, f->pa, TRUE, old->id, NULL, 150, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  /* Only the supervising psychiatrist co-signs. */
  g_assert_false (store_cosign_order (f->store, pend->id, other_psy, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_cosign_order (f->store, old->id, f->psychiatrist, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);   /* not pending */

  g_assert_true (store_cosign_order (f->store, pend->id, f->psychiatrist, &error));
  g_assert_no_error (error);
  g_assert_true (store_get_order (f->store, pend->id, &after, &error));
  g_assert_cmpstr (after.status, ==, "active");
  g_assert_cmpstr (after.cosigned_by, ==, f->psychiatrist);
  g_assert_cmpint (after.status_at_ms, >=, after.created_at_ms);
  store_order_clear (&after);
  g_assert_true (store_get_order (f->store, old->id, &after, &error));
  g_assert_cmpstr (after.status, ==, "stopped");
  g_assert_cmpstr (after.status_reason, ==, "Replaced by a co-signed order: clinical reason");
  g_assert_cmpstr (after.stopped_by_order_id, ==, pend->id);
  store_order_clear (&after);
  g_assert_false (store_cosign_order (f->store, pend->id, f->psychiatrist, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  queue = store_list_pending_for_supervisor (f->store, f->psychiatrist, &error);
  g_assert_cmpuint (queue->len, ==, 0);
  g_ptr_array_unref (queue);

  /* A PA's stop is immediate (stopping is never held back), and waits in
   * the supervisor's queue until acknowledged. */
  {
    StoreOrder *st = adjust (f, ADJUST_STOP, f->pa, TRUE, pend->id, NULL, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (st->status, ==, "stopped");
    g_assert_cmpstr (st->status_by, ==, f->pa);
    g_assert_null (st->stopped_by_order_id);
    store_order_free (st);
  }
  queue = store_list_stops_to_acknowledge (f->store, f->psychiatrist, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queue->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (queue, 0))->id, ==, pend->id);
  g_ptr_array_unref (queue);
  queue = store_list_stops_to_acknowledge (f->store, other_psy, &error);
  g_assert_cmpuint (queue->len, ==, 0);
  g_ptr_array_unref (queue);
  g_assert_false (store_acknowledge_stop (f->store, pend->id, other_psy, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  /* The psychiatrist's own co-signature stopped `old`: nothing to acknowledge. */
  g_assert_false (store_acknowledge_stop (f->store, old->id, f->psychiatrist, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_true (store_acknowledge_stop (f->store, pend->id, f->psychiatrist, &error));
  g_assert_no_error (error);
  g_assert_false (store_acknowledge_stop (f->store, pend->id, f->psychiatrist, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  assert_status (f, pend->id, "stopped");
  queue = store_list_stops_to_acknowledge (f->store, f->psychiatrist, &error);
  g_assert_cmpuint (queue->len, ==, 0);
  g_ptr_array_unref (queue);
  store_order_free (old);
  store_order_free (pend);
  g_free (other_psy);
}

static void
test_order_entered_in_error (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *old = start_ok (f, "sertraline", 50);
  StoreOrder *wrong, o = { 0 };
  GPtrArray *hist, *cur;
  char *restored = (char *) "garbage";
  (void) data;

  wrong = adjust (f, ADJUST_CHANGE_DOSE, f->psychiatrist, FALSE, old->id, NULL, 200, &error);
  g_assert_no_error (error);
  g_assert_false (store_mark_order_entered_in_error (f->store, wrong->id, f->psychiatrist, "",
                                                     &restored, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (restored);
  g_assert_true (store_mark_order_entered_in_error (f->store, wrong->id, f->psychiatrist,
                                                    "meant 100 mg", &restored, &error));
  g_assert_no_error (error);
  /* The dose change was wrong: the order it replaced is active again. */
  g_assert_cmpstr (restored, ==, old->id);
  g_free (restored);
  g_assert_false (store_mark_order_entered_in_error (f->store, wrong->id, f->psychiatrist,
                                                     "again", NULL, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_false (store_mark_order_entered_in_error (f->store, "nope", f->psychiatrist, "x",
                                                     NULL, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  g_assert_true (store_get_order (f->store, wrong->id, &o, &error));
  g_assert_cmpstr (o.status, ==, "entered-in-error");
  g_assert_cmpstr (o.status_reason, ==, "meant 100 mg");
  store_order_clear (&o);
  g_assert_true (store_get_order (f->store, old->id, &o, &error));
  g_assert_cmpstr (o.status, ==, "active");
  g_assert_null (o.status_reason);
  store_order_clear (&o);
  /* Both are in the history; the current list shows the drug taken. */
  hist = store_list_patient_orders (f->store, f->patient, &error);
  g_assert_cmpuint (hist->len, ==, 2);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (hist, 0))->status, ==, "active");
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (hist, 1))->status, ==, "entered-in-error");
  g_ptr_array_unref (hist);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM order_events WHERE kind = 'restored'"),
                   ==, 1);
  cur = store_current_medications (f->store, f->patient, &error);
  g_assert_cmpuint (cur->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (cur, 0))->id, ==, old->id);
  g_ptr_array_unref (cur);
  /* A start of the same drug is refused now: it is active again. */
  g_assert_null (adjust (f, ADJUST_START, f->psychiatrist, FALSE, NULL, "sertraline", 100, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  /* The restored order can be changed and stopped again as usual. */
  {
    StoreOrder *st = adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, old->id, NULL, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (st->status, ==, "stopped");
    store_order_free (st);
  }
  store_order_free (old);
  store_order_free (wrong);
}

/* A switch entered in error gives back the drug switched from; a restore
 * never happens when the old order was stopped for another reason, or when
 * the erroneous order itself had been stopped since. */
static void
test_order_entered_in_error_switch (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *sert = start_ok (f, "sertraline", 50);
  StoreOrder *flu, *st, *flu2, *alp;
  GPtrArray *cur;
  char *restored = NULL;
  (void) data;

  flu = adjust (f, ADJUST_SWITCH, f->psychiatrist, FALSE, sert->id, "fluoxetine", 20, &error);
  g_assert_no_error (error);
  assert_status (f, sert->id, "stopped");
  g_assert_true (store_mark_order_entered_in_error (f->store, flu->id, f->psychiatrist,
                                                    "wrong patient's plan", &restored, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (restored, ==, sert->id);
  g_clear_pointer (&restored, g_free);
  cur = store_current_medications (f->store, f->patient, &error);
  g_assert_cmpuint (cur->len, ==, 1);
  g_assert_cmpstr (((StoreOrder *) g_ptr_array_index (cur, 0))->medication_id, ==, "sertraline");
  g_ptr_array_unref (cur);

  /* Switch again, then stop the new drug: marking the (stopped) switch in
   * error later does not bring sertraline back — the patient's drug was
   * ended for another reason since. */
  flu2 = adjust (f, ADJUST_SWITCH, f->psychiatrist, FALSE, sert->id, "fluoxetine", 20, &error);
  g_assert_no_error (error);
  st = adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, flu2->id, NULL, 0, &error);
  g_assert_no_error (error);
  store_order_free (st);
  g_assert_true (store_mark_order_entered_in_error (f->store, flu2->id, f->psychiatrist,
                                                    "charted late", &restored, &error));
  g_assert_no_error (error);
  g_assert_null (restored);
  assert_status (f, sert->id, "stopped");

  /* A pending PA change never stopped anything: nothing to restore; and an
   * order stopped by someone else while a PA's change waited stays stopped. */
  alp = start_ok (f, "alprazolam", 0.5);
  {
    StoreOrder *pend = adjust (f, ADJUST_CHANGE_DOSE, f->pa, TRUE, alp->id, NULL, 1, &error);
    g_assert_no_error (error);
    st = adjust (f, ADJUST_STOP, f->psychiatrist, FALSE, alp->id, NULL, 0, &error);
    g_assert_no_error (error);
    store_order_free (st);
    /* Co-signing it now would bring back a drug someone has stopped. */
    gint64 before = order_rows (f);
    g_assert_false (store_cosign_order (f->store, pend->id, f->psychiatrist, &error));
    g_assert_error (error, STORE_ERROR, STORE_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "no longer active"));
    g_clear_error (&error);
    g_assert_cmpint (order_rows (f), ==, before);
    assert_status (f, pend->id, "pending");
    /* The supervisor declines it instead, with a reason. */
    g_assert_false (store_decline_order (f->store, pend->id, f->psychiatrist, "", &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
    g_assert_true (store_decline_order (f->store, pend->id, f->psychiatrist,
                                        "alprazolam was stopped", &error));
    g_assert_no_error (error);
    assert_status (f, pend->id, "declined");
    g_assert_false (store_decline_order (f->store, pend->id, f->psychiatrist, "again", &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
    g_assert_true (store_mark_order_entered_in_error (f->store, pend->id, f->psychiatrist,
                                                      "never meant", &restored, &error));
    g_assert_null (restored);
    assert_status (f, alp->id, "stopped");
    store_order_free (pend);
  }
  store_order_free (alp);
  store_order_free (flu2);
  store_order_free (flu);
  store_order_free (sert);
}

/* Each order keeps the visit's modality as it was when it was drafted: a
 * co-signature is judged by the visit the order was written in, not by what
 * the visit became later. */
static void
test_order_visit_modality (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  StoreOrder *video = start_ok (f, "sertraline", 50), *audio, now = { 0 };
  (void) data;

  g_assert_cmpstr (video->visit_modality, ==, "video");
  g_assert_true (store_set_visit_modality (f->store, f->visit, "audio-only", &error));
  g_assert_no_error (error);
  audio = adjust (f, ADJUST_CHANGE_DOSE, f->pa, TRUE, video->id, NULL, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (audio->visit_modality, ==, "audio-only");
  g_assert_true (store_set_visit_modality (f->store, f->visit, "video", &error));
  g_assert_true (store_get_order (f->store, audio->id, &now, &error));
  g_assert_cmpstr (now.visit_modality, ==, "audio-only");
  store_order_clear (&now);
  store_order_free (audio);
  store_order_free (video);
}

/* An order keeps what it was written with: the snapshot of its catalog
 * entry (whatever the medications table says later), the second amount of a
 * split dose, the as-needed maximum and what to dispense; "none" is NULL. */
static void
test_order_snapshot (Fixture *f, gconstpointer data)
{
  static const char kSnapshot[] = "{\"id\":\"sertraline\",\"display\":\"sertraline tablet\"}";
  static const StoreMedicationRow kRenamed[] = {
    { "sertraline", "sertraline (renamed)", "999", "SSRI", "IV", "mg", "[25]" },
  };
  GError *error = NULL;
  StoreAdjustment a = {
    .kind = ADJUST_START, .visit_id = f->visit, .prescriber_id = f->psychiatrist,
    .reason = "split", .medication_id = "sertraline", .dose = 50, .unit = "mg",
    .frequency = "morning-and-bedtime", .route = "oral", .second_dose = 100,
    .supply_days = 30, .refills = 3, .dispense_quantity = 90, .snapshot = kSnapshot,
  };
  StoreOrder *o = store_apply_adjustment (f->store, &a, &error), got = { 0 };
  StoreOrder *plain;
  (void) data;

  g_assert_no_error (error);
  /* A catalog sync renames the row: the order's snapshot does not move. */
  g_assert_true (store_sync_medications (f->store, kRenamed, 1, &error));
  g_assert_true (store_get_order (f->store, o->id, &got, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (got.snapshot, ==, kSnapshot);
  g_assert_cmpfloat (got.second_dose, ==, 100);
  g_assert_cmpuint (got.prn_max_per_day, ==, 0);
  g_assert_cmpuint (got.supply_days, ==, 30);
  g_assert_cmpuint (got.refills, ==, 3);
  g_assert_cmpfloat (got.dispense_quantity, ==, 90);
  store_order_clear (&got);

  /* An order without the new fields (as written before schema 6). */
  plain = start_ok (f, "fluoxetine", 20);
  g_assert_null (plain->snapshot);
  g_assert_cmpfloat (plain->second_dose, ==, 0);
  g_assert_cmpuint (plain->supply_days, ==, 0);
  store_order_free (plain);
  store_order_free (o);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                                     \
  g_test_add ("/store-clinical/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("orders/start", test_order_start);
  ADD ("orders/change-dose", test_order_change_dose);
  ADD ("orders/switch-and-stop", test_order_switch_and_stop);
  ADD ("orders/pending-cosign", test_order_pending_cosign);
  ADD ("orders/entered-in-error", test_order_entered_in_error);
  ADD ("orders/entered-in-error-switch", test_order_entered_in_error_switch);
  ADD ("orders/visit-modality", test_order_visit_modality);
  ADD ("orders/snapshot", test_order_snapshot);
#undef ADD
  return g_test_run ();
}
