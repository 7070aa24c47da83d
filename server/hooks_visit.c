/* hooks_visit.c — the signaling hooks that record what happens in a visit:
 * its state, who joined, was admitted and left, its chat, its switches
 * between video and audio-only.
 *
 * Each is written on a store worker, in a job serial per visit (the pool's
 * key is the visit's id): a visit's records reach the store one after
 * another in the order the room asked for them, so its timeline reads as
 * it happened, and the answers come back to the room in that order too. The
 * room waits where the answer matters (a state change, a chat shown only
 * once stored, a switch; signaling.h) and goes on where it does not (a
 * participant's event: nothing is refused when it fails to be written, as
 * before, and being queued behind the visit's earlier records it cannot
 * overtake them). A job's app is a copy (app.h): the audit row and the
 * follow-up's due date are written with the worker's connection.
 *
 * Without store workers (tests) each is written at once, on this thread. */
#define G_LOG_DOMAIN "th-server"

#include "server/audit.h"
#include "server/api/api.h" /* th_follow_up_visit_ended */
#include "server/storepool/storepool.h"

typedef enum { REC_STATE, REC_EVENT, REC_CHAT, REC_MODALITY } RecordKind;

typedef struct {
  ThApp app; /* the job's copy (app.h), or the main thread's when there is no pool */
  RecordKind kind;
  char *visit_id, *participant_id;
  char *what; /* the state, the event, the chat's text, the modality */
  char *address;
  SigRole role;
  SigRecordReply *reply; /* NULL for an event: nothing waits for it */
  gboolean ok;
  gint64 at_ms; /* a chat's stored time */
} Record;

static gboolean
record_state (ThApp *app, Record *r)
{
  g_autoptr (GError) error = NULL;
  VisitState to;

  if (!visit_state_from_name (r->what, &to))
    return FALSE;
  if (!store_set_visit_state (app->store, r->visit_id, to, &error)) {
    th_log_visit (G_LOG_LEVEL_WARNING, r->visit_id, NULL, "visit.state", error,
                  "visit %s: state %s not recorded: %s", r->visit_id, r->what, error->message);
    return FALSE;
  }
  th_log_visit (G_LOG_LEVEL_MESSAGE, r->visit_id, NULL, "visit.state", NULL, "visit %s: %s",
                r->visit_id, r->what);
  /* The interval to the next follow-up, and the date it is due by. */
  if (to == VISIT_ENDED)
    th_follow_up_visit_ended (app, r->visit_id);
  return TRUE;
}

static void
record_event (ThApp *app, Record *r)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *action = g_strdup_printf ("visit.%s", r->what);
  const char *role = sig_role_name (r->role);

  /* "end" is a state change, already in the visit's timeline. */
  if (g_strcmp0 (r->what, "end") != 0 &&
      !store_record_participant_event (app->store, r->visit_id, r->participant_id, r->what, &error))
    th_log_visit (G_LOG_LEVEL_WARNING, r->visit_id, role, action, error,
                  "visit %s: %s event not recorded: %s", r->visit_id, r->what, error->message);
  else
    th_log_visit (G_LOG_LEVEL_MESSAGE, r->visit_id, role, action, NULL, "visit %s: %s (%s)",
                  r->visit_id, r->what, role);
  th_audit (app, r->address, r->participant_id, action, r->visit_id,
            json_pack ("{s:s}", "role", role));
}

static gboolean
record_chat (ThApp *app, Record *r)
{
  g_autoptr (GError) error = NULL;
  StoreActivity *stored = store_add_chat (app->store, r->visit_id, r->participant_id, r->what,
                                          &error);

  if (!stored) {
    /* The reason only: the text is patient data. */
    th_log_visit (G_LOG_LEVEL_WARNING, r->visit_id, NULL, "visit.chat", error,
                  "visit %s: chat message not stored: %s", r->visit_id, error->message);
    return FALSE;
  }
  r->at_ms = stored->at_ms;
  store_activity_free (stored);
  return TRUE;
}

static gboolean
record_modality (ThApp *app, Record *r)
{
  g_autoptr (GError) error = NULL;

  if (!store_change_modality (app->store, r->visit_id, r->participant_id, r->what, &error)) {
    th_log_visit (G_LOG_LEVEL_WARNING, r->visit_id, NULL, "visit.modality", error,
                  "visit %s: modality %s not recorded: %s", r->visit_id, r->what, error->message);
    return FALSE;
  }
  th_audit (app, NULL, r->participant_id, "visit.modality", r->visit_id,
            json_pack ("{s:s}", "modality", r->what));
  return TRUE;
}

/* With `app`'s store: a worker's (the job's copy) or the main thread's. */
static void
record_write (ThApp *app, Record *r)
{
  switch (r->kind) {
  case REC_STATE:
    r->ok = record_state (app, r);
    break;
  case REC_EVENT:
    record_event (app, r);
    r->ok = TRUE;
    break;
  case REC_CHAT:
    r->ok = record_chat (app, r);
    break;
  case REC_MODALITY:
    r->ok = record_modality (app, r);
    break;
  }
}

static void
record_free (Record *r, gboolean job)
{
  if (job)
    th_app_job_clear (&r->app);
  g_free (r->visit_id);
  g_free (r->participant_id);
  g_free (r->what);
  g_free (r->address);
  g_free (r);
}

static void
record_job_run (Store *store, gpointer data)
{
  Record *r = data;

  r->app.store = store;
  record_write (&r->app, r);
}

/* On the main loop, in the visit's order: the room goes on. */
static void
record_finish (ThApp *app, Record *r)
{
  /* The last one out may leave the visit in progress: see abandoned.c. */
  if (r->kind == REC_EVENT && g_strcmp0 (r->what, "leave") == 0)
    th_abandoned_watch (app, r->visit_id);
  if (r->reply)
    sig_record_reply_finish (r->reply, r->ok, r->at_ms);
}

static void
record_job_done (gpointer data, const GError *error)
{
  Record *r = data;

  if (error) {
    /* Not written at all (the pool is closing, or no connection could be
     * opened): as a refusal of the store. */
    th_log_visit (G_LOG_LEVEL_WARNING, r->visit_id, NULL, "visit.record", error,
                  "visit %s: %s not recorded: %s", r->visit_id,
                  r->kind == REC_CHAT ? "a chat message" : r->what, error->message);
    r->ok = FALSE;
  }
  record_finish (r->app.origin, r);
  record_free (r, TRUE);
}

/* Takes `r`: a job behind the visit's earlier records, or at once. */
static void
record_queue (ThApp *app, Record *r)
{
  if (!app->pool) {
    /* No workers (tests, the admin CLI): written here, answered at once. */
    r->app = *app;
    record_write (app, r);
    record_finish (app, r);
    record_free (r, FALSE);
    return;
  }
  th_app_job_init (&r->app, app);
  th_store_pool_run (app->pool, r->visit_id, record_job_run, record_job_done, r);
}

static Record *
record_new (RecordKind kind, const char *visit_id, const char *participant_id, const char *what,
            SigRecordReply *reply)
{
  Record *r = g_new0 (Record, 1);

  r->kind = kind;
  r->visit_id = g_strdup (visit_id);
  r->participant_id = g_strdup (participant_id);
  r->what = g_strdup (what);
  r->reply = reply;
  return r;
}

void
th_hook_visit_state_changed (const char *visit_id, const char *state, SigRecordReply *reply,
                             gpointer user_data)
{
  record_queue (user_data, record_new (REC_STATE, visit_id, NULL, state, reply));
}

void
th_hook_chat (const char *visit_id, const char *participant_id, const char *text,
              SigRecordReply *reply, gpointer user_data)
{
  record_queue (user_data, record_new (REC_CHAT, visit_id, participant_id, text, reply));
}

void
th_hook_modality_changed (const char *visit_id, const char *participant_id, const char *modality,
                          SigRecordReply *reply, gpointer user_data)
{
  record_queue (user_data, record_new (REC_MODALITY, visit_id, participant_id, modality, reply));
}

void
th_hook_participant_event (const char *visit_id, const char *participant_id, SigRole role,
                           const char *event, const char *address, gpointer user_data)
{
  Record *r = record_new (REC_EVENT, visit_id, participant_id, event, NULL);

  r->role = role;
  r->address = g_strdup (address);
  record_queue (user_data, r);
}
