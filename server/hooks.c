/* hooks.c — what the signaling rooms ask of the server: who a hello is,
 * and recording each state change and join/leave in the store.
 *
 * A hello is checked on a store worker (authorize_async): its reads (the
 * link, the session, the visit) may wait for the database without holding
 * up the loop that carries every visit. The records of what happens in a
 * visit (state, join and leave, chat, modality) are written on a store
 * worker too, serial per visit: hooks_visit.c. */
#define G_LOG_DOMAIN "th-server"

#include "server/audit.h"
#include "server/api/api.h" /* th_follow_up_visit_ended */
#include "server/cluster/cluster.h"
#include "server/storepool/storepool.h"

/* A store failure while checking a hello: logged with its cause (the
 * GError names a statement, never a value; no token, no name here), and the
 * participant told plainly that the fault is the clinic's, not their link's
 * or their sign-in's. */
static void
store_failed (SigErrorCode *code, char **message, const char *what, const GError *error)
{
  g_warning ("signaling hello: %s could not be read: store failure: %s %d: %s", what,
             g_quark_to_string (error->domain), error->code, error->message);
  *code = SIG_ERR_INTERNAL;
  g_free (*message);
  *message = g_strdup ("The clinic's server could not check this connection because of a fault "
                       "on its side. Try again in a moment; if it keeps happening, call the "
                       "clinic.");
}

static gboolean
identity_from_participant (ThApp *app, StoreParticipant *participant, SigIdentity *out,
                           SigErrorCode *code, char **message)
{
  StoreVisit visit = { 0 };
  g_autoptr (GError) error = NULL;

  if (!store_get_visit (app->store, participant->visit_id, &visit, &error)) {
    store_failed (code, message, "the visit", error);
    return FALSE;
  }
  /* A cancelled or no-show visit has nothing to join (the link page says
   * so before anyone gets this far). */
  if (visit.state == VISIT_CANCELLED || visit.state == VISIT_NO_SHOW) {
    *code = SIG_ERR_FORBIDDEN;
    *message = g_strdup (visit.state == VISIT_CANCELLED ? "this visit was cancelled"
                                                        : "this visit's time is over");
    store_visit_clear (&visit);
    return FALSE;
  }
  out->visit_id = g_strdup (participant->visit_id);
  out->participant_id = g_strdup (participant->id);
  out->display_name = g_strdup (participant->display_name);
  /* The welcome names whose visit it is (a guest is told so). */
  out->patient_display_name = g_strdup (visit.patient_name);
  out->role = participant->role == PARTICIPANT_PROVIDER ? SIG_ROLE_PROVIDER
              : participant->role == PARTICIPANT_GUEST  ? SIG_ROLE_GUEST
                                                        : SIG_ROLE_PATIENT;
  out->visit_state = g_strdup (visit_state_name (visit.state));
  out->visit_modality = g_strdup (visit.modality);
  out->provider_key = g_strdup (visit.provider_id);
  store_visit_clear (&visit);
  return TRUE;
}

static gboolean
authorize (const char *token, const char *visit_id, const char *credential G_GNUC_UNUSED,
           SigIdentity *out, SigErrorCode *code, char **message, gpointer user_data)
{
  ThApp *app = user_data;
  StoreParticipant participant = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *staff_id = NULL, *role = NULL;
  StoreVisit visit = { 0 };
  gboolean ok = FALSE;

  *code = SIG_ERR_UNAUTHORIZED;
  if (!token && !visit_id) {
    *message = g_strdup ("a link token is required");
    return FALSE;
  }
  if (token && visit_id) {
    /* Staff are known by their session, patients by their link alone. */
    *message = g_strdup ("send either a link token or, signed in, a visit id");
    return FALSE;
  }

  if (token) {
    /* A patient's (or guest's) join link. */
    if (!store_resolve_join_token (app->store, token, store_now_ms (), &participant, &error)) {
      if (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED))
        *message = g_strdup ("this link works only around the visit's scheduled time");
      else if (g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
        *message = g_strdup ("this link is not valid");
      else
        store_failed (code, message, "the visit link", error);
      goto out;
    }
    ok = identity_from_participant (app, &participant, out, code, message);
    goto out;
  }

  /* Staff: the session cookie of the upgrade request, plus the visit. */
  staff_id = credential
               ? store_resolve_session (app->store, credential, store_now_ms (),
                                        (gint64) app->config->session_idle_s * 1000, &error)
               : NULL;
  if (!staff_id) {
    if (error && !g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED) &&
        !g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
      store_failed (code, message, "the session", error);
    else
      *message = g_strdup (g_error_matches (error, STORE_ERROR, STORE_ERROR_EXPIRED)
                             ? "the session ended after a time without activity; sign in again"
                             : "sign in first");
    goto out;
  }
  /* The front desk books visits but never joins one: the visit is the
   * clinical record. */
  if (!store_get_staff (app->store, staff_id, NULL, &role, &error)) {
    store_failed (code, message, "the staff member", error);
    goto out;
  }
  if (!store_staff_role_clinical (role)) {
    *code = SIG_ERR_FORBIDDEN;
    *message = g_strdup ("front-desk and administrator accounts cannot join a visit");
    goto out;
  }
  if (!store_get_visit (app->store, visit_id, &visit, &error) ||
      g_strcmp0 (visit.provider_id, staff_id) != 0) {
    if (error && !g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      store_failed (code, message, "the visit", error);
      goto out;
    }
    /* Same answer for "no such visit" and "not yours": ids are not to be probed. */
    *code = SIG_ERR_NOT_FOUND;
    *message = g_strdup ("no such visit among yours");
    goto out;
  }
  if (!store_find_visit_participant (app->store, visit_id, PARTICIPANT_PROVIDER, &participant,
                                     &error)) {
    store_failed (code, message, "the visit's provider", error);
    goto out;
  }
  ok = identity_from_participant (app, &participant, out, code, message);

out:
  store_visit_clear (&visit);
  store_participant_clear (&participant);
  return ok;
}

static void
refused (const char *visit_id, const char *participant_id, const char *code, const char *address,
         gpointer user_data)
{
  th_audit_queued (user_data, address, participant_id ? participant_id : "anonymous",
                   "signaling.refused", visit_id, json_pack ("{s:s}", "code", code));
}

static void
media_quality (double loss_fraction, double rtt_s, gboolean have_rtt, G_GNUC_UNUSED gpointer app)
{
  th_metrics_media_quality (loss_fraction, rtt_s, have_rtt);
}

/* ---------------------------------------------- the hello, off the loop */

typedef struct {
  ThApp *app; /* the main thread's: only its config's fixed values are read off it */
  char *token, *visit_id, *credential;
  SigAuthorizeReply *reply;
  gboolean ok;
  SigIdentity identity;
  SigErrorCode code;
  char *message;
} Hello;

/* On a store worker: authorize with that worker's connection. Reads only
 * [security] session_idle of the config, which a reload never changes. */
static void
hello_run (Store *store, gpointer data)
{
  Hello *h = data;
  ThApp app = { .store = store, .config = h->app->config };

  g_autoptr (GError) error = NULL;

  h->ok = authorize (h->token, h->visit_id, h->credential, &h->identity, &h->code, &h->message,
                     &app);
  /* With several nodes: host the visit here, or say which node does. A
   * staff member known by this origin's cookie gets a short link for the
   * other node (cluster.h). */
  if (h->ok && !th_cluster_claim (store, h->app->config, &h->identity, h->token == NULL, &error)) {
    store_failed (&h->code, &h->message, "the visit's host", error);
    sig_identity_clear (&h->identity);
    h->ok = FALSE;
  }
}

/* The hello is answered with the clinic's fault, not the link's. */
static void
hello_refused_by_fault (Hello *h)
{
  h->ok = FALSE;
  h->code = SIG_ERR_INTERNAL;
  g_free (h->message);
  h->message = g_strdup ("The clinic's server could not check this connection because of a "
                         "fault on its side. Try again in a moment.");
  sig_identity_clear (&h->identity);
}

/* On the main loop: the hello goes on (or its connection is gone). */
static void
hello_done (gpointer data, const GError *error)
{
  Hello *h = data;

  if (error) {
    g_warning ("signaling hello: not checked: %s", error->message);
    hello_refused_by_fault (h);
  }
  /* A node whose heartbeats do not reach the database hosts nothing new
   * (cluster.h): the page tries again, here or on another node. */
  if (h->ok && !h->identity.redirect_url && !th_cluster_may_host (h->app->cluster)) {
    hello_refused_by_fault (h);
  }
  if (h->ok && !h->identity.redirect_url)
    th_cluster_claimed (h->app->cluster, h->identity.visit_id);
  sig_authorize_reply_finish (h->reply, h->ok, &h->identity, h->code, h->message);
  g_free (h->token);
  g_free (h->visit_id);
  g_free (h->credential);
  g_free (h->message);
  g_free (h);
}

static void
authorize_async (const char *token, const char *visit_id, const char *credential,
                 SigAuthorizeReply *reply, gpointer user_data)
{
  ThApp *app = user_data;
  Hello *h;

  if (!app->pool) {
    /* No workers (tests): checked here, answered at once. */
    SigIdentity identity = { 0 };
    SigErrorCode code = SIG_ERR_UNAUTHORIZED;
    g_autofree char *message = NULL;
    gboolean ok = authorize (token, visit_id, credential, &identity, &code, &message, app);
    sig_authorize_reply_finish (reply, ok, &identity, code, message);
    return;
  }
  h = g_new0 (Hello, 1);
  h->app = app;
  h->token = g_strdup (token);
  h->visit_id = g_strdup (visit_id);
  h->credential = g_strdup (credential);
  h->reply = reply;
  h->code = SIG_ERR_UNAUTHORIZED;
  th_store_pool_run (app->pool, NULL, hello_run, hello_done, h);
}

static const SigHooks hooks = {
  .refused = refused,
  .authorize = authorize,
  .authorize_async = authorize_async,
  /* A visit's records: hooks_visit.c. */
  .visit_state_changed_async = th_hook_visit_state_changed,
  .participant_event = th_hook_participant_event,
  .chat_async = th_hook_chat,
  .modality_changed_async = th_hook_modality_changed,
  .media_quality = media_quality,
};

const SigHooks *
th_signaling_hooks (void)
{
  return &hooks;
}
