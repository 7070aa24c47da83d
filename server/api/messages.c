/* messages.c — the messages to the patient of one visit (issue 13): what
 * was sent, when, on which channel, and whether it failed; and a retry of
 * a failed (or waiting) message. Never the body nor the link: the list
 * says what happened, not what it said. The invitation a booking queues
 * is answered here too (th_notify_patient). */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/notify/notify.h"

#include <string.h>

static json_t *
time_or_null (gint64 ms)
{
  g_autofree char *text = ms ? th_iso_from_ms (ms) : NULL;

  return text ? json_string (text) : json_null ();
}

static json_t *
message_json (const StoreOutboxMessage *m)
{
  json_t *o = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o}", "id", m->id, "channel",
                         m->channel, "kind", m->kind, "to", m->recipient, "state", m->state,
                         "attempts", (json_int_t) m->attempts, "created_at",
                         time_or_null (m->created_at_ms), "due_at", time_or_null (m->due_at_ms),
                         "sent_at", time_or_null (m->sent_at_ms));

  if (!o)
    return NULL;
  json_object_set_new (o, "next_attempt_at",
                       strcmp (m->state, "pending") == 0 ? time_or_null (m->next_attempt_at_ms)
                                                         : json_null ());
  json_object_set_new (o, "last_error", m->last_error ? json_string (m->last_error) : json_null ());
  json_object_set_new (o, "reminder_minutes",
                       m->reminder_minutes ? json_integer (m->reminder_minutes) : json_null ());
  return o;
}

/* GET /api/visits/:visit/messages */
void
th_get_messages (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  json_t *list;

  (void) req;
  rows = store_outbox_list_visit (app->store, call->visit.id, &error);
  if (!rows) {
    th_respond_store_error (r, error,
                            "The messages to the patient could not be read. Reload "
                            "the page.");
    return;
  }
  list = json_array ();
  for (guint i = 0; i < rows->len; i++)
    json_array_append_new (list, message_json (g_ptr_array_index (rows, i)));
  th_respond_json (r, 200,
                   json_pack ("{s:o, s:b}", "messages", list, "configured",
                              th_app_notify_configured (app)));
}

/* Whether the caller may see the message's visit, as the route table's
 * SCHEDULE_VISIT says: its provider, or an admin or the front desk (the
 * messages say who and when, nothing clinical). FALSE with no error when
 * not (or no such message), with `error` when the store failed. */
static gboolean
may_read (ThApp *app, const ThApiCall *call, const StoreOutboxMessage *m, GError **error)
{
  StoreVisit v = { 0 };
  g_autoptr (GError) local = NULL;
  gboolean ok;

  if (!m->visit_id) /* a diary reminder: no visit's message (its own is the patient's) */
    return FALSE;
  if (!store_get_visit (app->store, m->visit_id, &v, &local)) {
    if (!th_store_absent (local))
      g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  ok = g_strcmp0 (v.provider_id, call->caller.staff_id) == 0 || th_caller_sees_all (&call->caller);
  store_visit_clear (&v);
  return ok;
}

/* POST /api/messages/:message/retry */
void
th_retry_message (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *message_id = th_route_param (&call->params, "message");
  g_autoptr (GError) error = NULL;
  StoreOutboxMessage m = { 0 };
  gboolean ok;

  if (!store_outbox_get (app->store, message_id, &m, &error) || !may_read (app, call, &m, &error)) {
    if (error && !th_store_absent (error))
      th_respond_store_error (r, error, "The message could not be read. Try again in a moment.");
    else
      th_respond_error (r, 404, "not-found", "This message is not among your visits' messages.");
    goto out;
  }
  /* The row on this call's store; the sender, on the main loop, is woken. */
  ok = store_outbox_retry (app->store, message_id, th_clock_now_ms (), &error);
  if (ok)
    th_app_notify_kick (app);
  if (!ok) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_INVALID))
      th_respond_error (r, 409, "not-retryable",
                        strcmp (m.state, "sent") == 0 ? "This message was sent already."
                        : strcmp (m.state, "sending") == 0
                          ? "This message is being sent right now."
                          : "This message will not be sent: the visit changed after it was "
                            "written, and a newer message replaces it.");
    else
      th_respond_store_error (r, error,
                              "The message could not be sent again. Try again in a "
                              "moment.");
    goto out;
  }
  th_audit (app, req->address, call->caller.staff_id, "message.retry", message_id,
            json_pack ("{s:s}", "visit", m.visit_id));
  store_outbox_message_clear (&m);
  if (!store_outbox_get (app->store, message_id, &m, &error)) {
    th_respond_store_error (r, error, "The message could not be read. Reload the page.");
    goto out;
  }
  th_respond_json (r, 200, message_json (&m));
out:
  store_outbox_message_clear (&m);
}

/* The words for each change, so the answer says which message is on its
 * way or is not. */
static const struct {
  NotifyChange change;
  const char *what;   /* "The invitation" */
  const char *failed; /* the change stands, its message is not queued */
} kChangeWords[] = {
  [TH_VISIT_BOOKED] = { NOTIFY_BOOKED, "The invitation",
                        "The visit is booked, but the invitation could not be queued. Give "
                        "the patient the link yourself." },
  [TH_VISIT_MOVED] = { NOTIFY_MOVED, "The new time",
                       "The visit is moved, but the message with the new time could not be "
                       "queued. Tell the patient yourself." },
  [TH_VISIT_CANCELLED] = { NOTIFY_CANCELLED, "The cancellation",
                           "The visit is cancelled, but the message saying so could not be "
                           "queued. Tell the patient yourself." },
};

json_t *
th_notify_patient (ThApp *app, const char *visit_id, ThVisitChange change)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sent = NULL;
  guint queued = 0;

  g_return_val_if_fail ((guint) change < G_N_ELEMENTS (kChangeWords), NULL);
  if (!th_app_notify_configured (app))
    return json_pack ("{s:s, s:s}", "status", "not-sent", "message",
                      "Messages to patients are not set up on this server, so nothing was "
                      "sent. Tell the patient yourself.");
  if (!notify_queue_visit_changed (app->store, app->config, visit_id, kChangeWords[change].change,
                                   &queued, &error)) {
    /* The change is committed: say that its message is not on its way
     * rather than lose it in silence. */
    g_warning ("visit %s: the patient's message could not be queued: %s %d: %s", visit_id,
               g_quark_to_string (error->domain), error->code, error->message);
    return json_pack ("{s:s, s:s}", "status", "failed", "message", kChangeWords[change].failed);
  }
  th_app_notify_kick (app);
  if (queued == 0)
    return json_pack ("{s:s, s:s}", "status", "not-sent", "message",
                      "The patient has no email address or mobile phone on record that "
                      "messages can go to. Tell them yourself.");
  sent = g_strdup_printf ("%s is on its way to the patient.", kChangeWords[change].what);
  return json_pack ("{s:s, s:s, s:i}", "status", "queued", "message", sent, "queued",
                    (json_int_t) queued);
}
