/* safety_tasks.c — the PHQ-9 item-9 safety task on the record (issue 14):
 * read (the open one first, with the screener's questions and the plan
 * codes the form offers), and closed only with a structured C-SSRS screen
 * (records.h safety_close_valid: the screener's structure, the level its
 * triage suggests, at least one plan, where the patient is). Closing is a
 * clinician's act, audited; a second close is a 409. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/clock/clock.h"

#include <string.h>

/* 404 unless the caller may read the patient's record (careteam.c); 500
 * when that cannot be told. */
static gboolean
may_read (ThApp *app, const ThApiCall *call, const char *patient_id, ThHttpResponse *r)
{
  return th_require_record (app, call, patient_id, r, NULL);
}

/* The screener as the form asks it and the record shows it. */
static json_t *
screener_json (void)
{
  json_t *questions = json_array (), *plans = json_array ();

  for (guint i = 0; cssrs_question (i); i++) {
    const CssrsQuestion *q = cssrs_question (i);
    json_array_append_new (questions, json_pack ("{s:s, s:s, s:s, s:s}", "code", q->code, "text",
                                                 q->text, "title", q->title, "loinc", q->loinc));
  }
  for (guint i = 0; i < safety_plan_count (); i++)
    json_array_append_new (plans, json_pack ("{s:s, s:s}", "code", safety_plan_code (i), "text",
                                             safety_plan_text (safety_plan_code (i))));
  return json_pack ("{s:s, s:s, s:o, s:o}", "instrument",
                    "Columbia-Suicide Severity Rating Scale, Screen Version - Recent", "source",
                    "Posner et al., Am J Psychiatry 2011;168:1266-77; the Columbia Lighthouse "
                    "Project (cssrs.columbia.edu)",
                    "questions", questions, "plans", plans);
}

static json_t *
text_or_null (const char *s)
{
  return s ? json_string (s) : json_null ();
}

static json_t *
task_json (const StoreSafetyTask *t)
{
  g_autofree char *opened = th_iso_from_ms (t->opened_at_ms);
  g_autofree char *closed_at = t->closed_at_ms ? th_iso_from_ms (t->closed_at_ms) : NULL;
  json_t *closed = json_null ();

  if (closed_at) {
    json_t *screen = t->screen ? json_loads (t->screen, 0, NULL) : NULL;
    json_t *codes = t->plan ? json_loads (t->plan, 0, NULL) : NULL;
    json_t *plan = json_array (), *item;
    size_t i;

    json_array_foreach (codes, i, item)
    {
      const char *code = json_string_value (item);
      const char *text = safety_plan_text (code);
      json_array_append_new (plan, json_pack ("{s:s, s:s}", "code", code ? code : "", "text",
                                              text ? text : (code ? code : "")));
    }
    json_decref (codes);
    closed = json_pack ("{s:s, s:{s:s, s:s}, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:s}", "at",
                        closed_at, "by", "id", t->closed_by ? t->closed_by : "", "display_name",
                        t->closed_by_name ? t->closed_by_name : "", "visit_id",
                        text_or_null (t->visit_id), "screen", screen ? screen : json_null (),
                        "risk_level", t->risk_level ? t->risk_level : "", "suggested_risk",
                        text_or_null (t->suggested_risk), "risk_reason",
                        text_or_null (t->risk_reason), "plan", plan, "plan_reason",
                        text_or_null (t->plan_reason), "location", t->location ? t->location : "");
  }
  return json_pack ("{s:s, s:s, s:s, s:s, s:i, s:{s:o, s:o}, s:o}", "id", t->id, "patient_id",
                    t->patient_id, "status", closed_at ? "closed" : "open", "opened_at", opened,
                    "item9", (json_int_t) t->item9, "source", "checkin_id",
                    text_or_null (t->checkin_id), "diary_entry_id",
                    text_or_null (t->diary_entry_id), "closed", closed);
}

/* GET /api/patients/:patient/safety-tasks */
void
th_get_safety_tasks (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *patient_id = th_route_param (&call->params, "patient");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tasks = NULL;
  json_t *list;

  (void) req;
  if (!may_read (app, call, patient_id, r))
    return;
  if (!(tasks = store_list_safety_tasks (app->store, patient_id, &error))) {
    th_respond_store_error (r, error,
                            "The patient's safety tasks could not be read. Reload the page; if "
                            "this keeps happening, tell the clinic's administrator.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < tasks->len; i++)
    json_array_append_new (list, task_json (g_ptr_array_index (tasks, i)));
  th_respond_json (r, 200, json_pack ("{s:o, s:o}", "tasks", list, "screener", screener_json ()));
}

/* The answers as kept: every question, null when it was not asked. */
static char *
screen_text (const CssrsScreen *s, SafetyRisk suggested)
{
  json_t *obj = json_pack ("{s:s, s:s}", "instrument", "C-SSRS Screen Version - Recent",
                           "suggested_risk", safety_risk_name (suggested));
  char *text;

  for (guint i = 0; i <= CSSRS_N_QUESTIONS; i++) {
    gint a = i < CSSRS_N_QUESTIONS ? s->answers[i] : s->q6_past_3_months;
    json_object_set_new (obj, cssrs_question (i)->code,
                         a == CSSRS_NOT_ASKED ? json_null () : json_boolean (a == CSSRS_YES));
  }
  text = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref (obj);
  return text;
}

static char *
plan_text (const ThSafetyCloseBody *b)
{
  json_t *arr = json_array ();
  char *text;

  for (guint i = 0; i < b->n_plans; i++)
    json_array_append_new (arr, json_string (b->plans[i]));
  text = json_dumps (arr, JSON_COMPACT);
  json_decref (arr);
  return text;
}

/* The rule's verdict on the body: FALSE after a 422 in the clinician's
 * words (the screen missing or incomplete, a level below the screener
 * without a reason, no plan, no location). */
static gboolean
check_close (ThHttpResponse *r, const ThSafetyCloseBody *b, SafetyRisk *risk, SafetyRisk *suggested)
{
  g_autoptr (GError) error = NULL;
  SafetyClose c = { 0 };

  if (!b->has_screen) {
    th_respond_error (r, 422, "screen-required",
                      "A safety task closes only with the C-SSRS screener: ask its questions "
                      "(1, 2 and 6; 3 to 5 when 2 is yes) and record the answers. Nothing was "
                      "saved.");
    return FALSE;
  }
  if (!safety_risk_from_name (b->risk_level, risk)) {
    th_respond_error (r, 422, "risk-level-required",
                      "Choose the risk level: low, moderate or high. Nothing was saved.");
    return FALSE;
  }
  c.screen = b->screen;
  c.risk = *risk;
  c.risk_reason = b->risk_reason;
  c.plans = (const char *const *) b->plans;
  c.n_plans = b->n_plans;
  c.plan_reason = b->plan_reason;
  c.location = b->location;
  if (!safety_close_valid (&c, suggested, &error)) {
    g_autofree char *message = g_strdup_printf ("%s Nothing was saved.", error->message);
    th_respond_error (r, 422, "invalid", message);
    return FALSE;
  }
  return TRUE;
}

static const char *
blank_to_null (const char *s)
{
  for (const char *p = s; p && *p; p++)
    if (!g_ascii_isspace (*p))
      return s;
  return NULL;
}

/* POST /api/safety-tasks/:task/close */
void
th_post_safety_close (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r,
                      const ThApiCall *call)
{
  const char *task_id = th_route_param (&call->params, "task");
  g_autoptr (GError) error = NULL;
  g_autofree char *screen = NULL, *plan = NULL;
  StoreSafetyTask *task = NULL, *done = NULL;
  ThSafetyCloseBody body = { 0 };
  SafetyRisk risk, suggested;

  if (!(task = store_get_safety_task (app->store, task_id, &error))) {
    if (th_store_absent (error))
      th_respond_error (r, 404, "not-found", "This safety task is not among your patients'.");
    else
      th_respond_store_error (r, error, "The safety task could not be read. Try again.");
    goto out;
  }
  if (!may_read (app, call, task->patient_id, r))
    goto out;
  if (!th_caller_is_clinician (&call->caller)) {
    th_respond_error (r, 403, "forbidden", "Only a clinician can close a safety task.");
    goto out;
  }
  if (!th_body_safety_close (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  if (!check_close (r, &body, &risk, &suggested))
    goto out;
  screen = screen_text (&body.screen, suggested);
  plan = plan_text (&body);
  if (!store_close_safety_task (app->store,
                                &(StoreSafetyClose) {
                                  .task_id = task_id,
                                  .staff_id = call->caller.staff_id,
                                  .visit_id = blank_to_null (body.visit_id),
                                  .screen_json = screen,
                                  .risk_level = safety_risk_name (risk),
                                  .suggested_risk = safety_risk_name (suggested),
                                  .risk_reason = blank_to_null (body.risk_reason),
                                  .plan_json = plan,
                                  .plan_reason = blank_to_null (body.plan_reason),
                                  .location = body.location },
                                store_now_ms (), &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
      th_respond_error (r, 409, "already-closed",
                        "This safety task was already closed; its screen stays as recorded. "
                        "Reload the record.");
    else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 422, "invalid", error->message);
    else
      th_respond_store_error (r, error,
                              "The screen could not be saved. Nothing was changed; try again.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "safety-task.close", task_id,
            json_pack ("{s:s, s:s, s:s}", "patient", task->patient_id, "risk_level",
                       safety_risk_name (risk), "suggested_risk", safety_risk_name (suggested)));
  if (!(done = store_get_safety_task (app->store, task_id, &error))) {
    th_respond_store_error (r, error,
                            "The task was closed, but could not be read back. Reload the "
                            "record.");
    goto out;
  }
  th_respond_json (r, 200, json_pack ("{s:o}", "task", task_json (done)));
out:
  th_safety_close_body_clear (&body);
  store_safety_task_free (task);
  store_safety_task_free (done);
}
