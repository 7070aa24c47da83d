/* session.c — staff sign-in, the session behind the cookie, sign-out.
 * Failed sign-ins slow down and then lock, per account, per address and
 * per IPv6 /64; every checked attempt is audited, throttled ones counted.
 * Passwords are checked off the main loop (accounts.h, the gate) and the
 * answer is deferred (http.h, th_http_defer). With the store's workers
 * (storepool.h) the store's part runs there too, in two jobs around the
 * gate, which stays on the loop: the throttle's counts and the account
 * before the check, the failure count or the new session after it. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/metrics/metrics.h"
#include "server/accounts/accounts.h"
#include "server/storepool/storepool.h"

#include <string.h>
#include <openssl/evp.h>

/* The longest wait between attempts while slowed down, in seconds. */
#define MAX_SLOWDOWN_S 60

char *
th_csrf_token (const char *session_id)
{
  static const char label[] = "th-csrf:";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  char *b64, *p;

  if (!ctx || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1 ||
      EVP_DigestUpdate (ctx, label, sizeof label - 1) != 1 ||
      EVP_DigestUpdate (ctx, session_id, strlen (session_id)) != 1 ||
      EVP_DigestFinal_ex (ctx, md, &md_len) != 1) {
    EVP_MD_CTX_free (ctx);
    /* Nothing will match an empty expectation of this length. */
    return g_strdup ("-");
  }
  EVP_MD_CTX_free (ctx);
  b64 = g_base64_encode (md, md_len);
  for (p = b64; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  if ((p = strchr (b64, '=')))
    *p = '\0';
  return b64;
}

static gboolean
cookie_secure (ThApp *app)
{
  /* Secure may be left off only for plain HTTP, which the server allows on
   * loopback alone. */
  return g_str_has_prefix (app->base_url, "https://");
}

static json_t *
staff_json (const StoreStaffAccount *a)
{
  return json_pack ("{s:s, s:s, s:s, s:s}", "id", a->id, "username", a->username ? a->username : "",
                    "display_name", a->display_name, "role", a->role);
}

/* ------------------------------------------------------------ sign-in
 *
 * A sign-in goes: body → this client's throttle (the store's counts, the
 * policy in accounts.h) → the server-wide budget → the account's hash →
 * the gate's workers (scrypt, off the loop; 429 when its queue is full) →
 * back on the loop: count a failure or start the session → the deferred
 * answer. Unknown names take the same path with the dummy hash. */

/* A busy database is worth a retry; anything else is a server fault. */
static void
respond_store_failure (ThHttpResponse *r, const GError *error, const char *what)
{
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_BUSY)) {
    th_respond_error (r, 503, "busy", "The record is busy. Try again in a moment.");
    r->retry_after = 1;
    return;
  }
  g_warning ("sign-in: %s: %s", what, error ? error->message : "unknown failure");
  th_respond_error (r, 500, "internal", "Signing in did not work. Try again in a moment.");
}

static ThThrottlePolicy
throttle_policy (ThApp *app)
{
  const ThConfig *c = app->config;
  return (ThThrottlePolicy) {
    .slowdown_after = c->login_slowdown_after,
    .lockout_after = c->login_lockout_after,
    .window_ms = (gint64) c->login_lockout_min * 60000,
    .max_slowdown_ms = (gint64) MAX_SLOWDOWN_S * 1000,
    /* As many at once as may fail before slowing down. */
    .max_in_flight = c->login_slowdown_after,
  };
}

/* The verdict for this attempt; FALSE when the counts could not be read. */
static gboolean
throttle_check (ThApp *app, const char *username, const char *address, const char *network,
                guint in_flight, ThThrottleVerdict *verdict, guint *wait_s, GError **error)
{
  const ThThrottlePolicy policy = throttle_policy (app);
  const gint64 now = store_now_ms (), since = now - policy.window_ms;
  ThThrottleCount counts[3] = { { 0 } };
  GError *local = NULL;
  gsize n = 0;

  counts[n].failures = store_count_login_failures (app->store, "account", username, since,
                                                   &counts[n].latest_ms, &local);
  n++;
  if (!local && address && address[0]) {
    counts[n].failures = store_count_login_failures (app->store, "address", address, since,
                                                     &counts[n].latest_ms, &local);
    n++;
  }
  /* An IPv6 client's /64 (an IPv4 client's network is its address). */
  if (!local && network && g_strcmp0 (network, address) != 0) {
    counts[n].failures = store_count_login_failures (app->store, "network", network, since,
                                                     &counts[n].latest_ms, &local);
    n++;
  }
  if (local) {
    g_propagate_error (error, local);
    return FALSE;
  }
  *verdict = th_throttle_decide (&policy, counts, n, in_flight, now, wait_s);
  return TRUE;
}

/* 429 for a throttled client. The first refusal of a kind for a network in
 * a window is audited; the rest are only counted (login_throttled), so a
 * flood adds two audit rows per network per window, not one per attempt. */
static void
refuse_throttled (ThApp *app, const char *address, const char *username, const char *network,
                  ThThrottleVerdict verdict, guint wait, ThHttpResponse *r)
{
  const ThThrottlePolicy policy = throttle_policy (app);
  const gboolean locked = verdict == TH_THROTTLE_LOCKED;
  const char *code = locked ? "locked" : "slow-down";
  gint64 now = store_now_ms (), window = th_throttle_window_start (&policy, now);
  g_autoptr (GError) error = NULL;
  g_autofree char *msg = NULL;
  guint attempts = 0;

  if (locked)
    th_metrics_inc (TH_M_SIGNIN_LOCKOUTS);
  if (!network)
    ; /* no address to count by: nothing to audit against */
  else if (!store_note_throttled (app->store, network, window, code, now, &attempts, &error))
    g_warning ("a throttled sign-in was not counted: %s", error->message);
  else if (attempts == 1) {
    g_autofree char *since = th_iso_from_ms (window);
    th_audit (app, address, username, locked ? "login.locked" : "login.throttled", NULL,
              json_pack ("{s:s, s:s}", "network", network, "window_start", since));
  }
  msg = locked
          ? g_strdup_printf ("too many failed sign-ins; try again in %u minutes", (wait + 59) / 60)
          : g_strdup_printf ("too many failed sign-ins; wait %u seconds before trying again", wait);
  th_respond_json (r, 429,
                   json_pack ("{s:{s:s, s:s, s:i}}", "error", "code", code, "message", msg,
                              "retry_after", (json_int_t) wait));
  r->retry_after = wait;
}

/* 429 when the server checks as many passwords as it will: not this
 * client's fault, so not counted against it nor audited (a flood would
 * otherwise write a row per attempt). Logged at most once a minute. */
static void
refuse_busy (ThHttpResponse *r, const char *why)
{
  static gint64 last_log_us;
  static guint refused;
  gint64 now_us = g_get_monotonic_time ();

  refused++;
  if (now_us - last_log_us >= G_USEC_PER_SEC * 60) {
    g_message ("sign-ins refused, %s (%u since the last note)", why, refused);
    last_log_us = now_us;
    refused = 0;
  }
  th_respond_json (r, 429,
                   json_pack ("{s:{s:s, s:s, s:i}}", "error", "code", "busy", "message",
                              "the server is busy with other sign-ins; try again in a "
                              "moment",
                              "retry_after", (json_int_t) 1));
  r->retry_after = 1;
}

/* One sign-in between its check on a worker and its answer. */
typedef struct {
  ThApp *app;             /* the main thread's */
  gboolean deferred;      /* checked on the gate; answered through `pending` */
  ThHttpPending *pending; /* NULL: nobody to answer */
  char *username;
  char *address;
  char *network;
  gboolean found;
  StoreStaffAccount account;
  /* With the store's workers: */
  ThApp job;          /* the jobs' copy of the app (app.h) */
  char *password;     /* until the gate has it */
  char *hash;         /* the account's, or NULL (the dummy check) */
  guint in_flight;    /* this client's attempts at the gate, read on the loop */
  gboolean answered;  /* `r` is the answer already (throttled, a failure) */
  gboolean match;     /* what the gate said */
  gboolean client_present; /* the client still waited when the check was done */
  ThHttpResponse r;
} SignIn;

static void
sign_in_free (SignIn *si)
{
  /* Still pending: the gate went away first (shutdown); nobody answers. */
  if (si->pending)
    th_http_pending_abandon (si->pending);
  store_staff_account_clear (&si->account);
  g_free (si->username);
  g_free (si->address);
  g_free (si->network);
  if (si->password)
    OPENSSL_cleanse (si->password, strlen (si->password));
  g_free (si->password);
  g_free (si->hash);
  g_free (si->r.body);
  g_free (si->r.set_cookie);
  th_app_job_clear (&si->job);
  g_free (si);
}

/* With the password checked: the answer (on the loop with its store, or on
 * a worker with the job's). */
static void
sign_in_answer (ThApp *app, SignIn *si, gboolean match, ThHttpResponse *r)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *session_id = NULL, *csrf = NULL;
  const gboolean ok = match && si->found && !si->account.disabled;

  if (!ok) {
    th_metrics_inc (TH_M_SIGNIN_FAILURES);
    if (!store_record_login_failure_from (app->store, si->username, si->address, si->network,
                                          store_now_ms (), &error))
      g_warning ("failed sign-in not counted: %s", error->message);
    th_audit (app, si->address, si->username, "login.failed", si->found ? si->account.id : NULL,
              json_pack ("{s:s}", "reason",
                         !si->found             ? "unknown-user"
                         : si->account.disabled ? "disabled"
                                                : "bad-password"));
    th_respond_error (r, 401, "bad-credentials", "the username or password is not right");
    return;
  }
  if (!store_clear_login_failures (app->store, si->username, &error)) {
    /* A database held by another writer will not take the session either:
     * say so now rather than wait for it twice. */
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_BUSY)) {
      respond_store_failure (r, error, "the failures could not be cleared");
      return;
    }
    /* The sign-in stands; old failures only slow the next mistake. */
    g_message ("failures of a successful sign-in not cleared: %s", error->message);
    g_clear_error (&error);
  }
  /* Nobody to hand a session to: none is started. */
  if (!si->client_present)
    return;
  session_id = store_create_session (app->store, si->account.id, si->address, store_now_ms (),
                                     &error);
  if (!session_id) {
    respond_store_failure (r, error, "the session could not be started");
    return;
  }
  csrf = th_csrf_token (session_id);
  th_audit (app, si->address, si->account.id, "login", si->account.id, NULL);
  /* A session cookie, without Expires: the server ends idle sessions by its
   * own clock, and an absolute date from that clock (settable in test
   * builds, clock.h) would mean nothing to the browser's. */
  r->set_cookie = g_strdup_printf ("%s=%s; Path=/; HttpOnly; SameSite=Strict%s", TH_SESSION_COOKIE,
                                   session_id, cookie_secure (app) ? "; Secure" : "");
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:o}", "csrf_token", csrf, "staff",
                              staff_json (&si->account)));
}

static void sign_in_checked_later (SignIn *si, gboolean match);

static void
sign_in_checked (gboolean match, gpointer user_data)
{
  SignIn *si = user_data;
  ThHttpResponse r = { 0 };

  si->client_present = !si->deferred || th_http_pending_connected (si->pending);
  if (si->app->pool) {
    sign_in_checked_later (si, match);
    return;
  }
  sign_in_answer (si->app, si, match, &r);
  if (si->pending)
    th_http_pending_finish (si->pending, &r);
  g_free (r.body);
  g_free (r.set_cookie);
  si->pending = NULL;
}

/* A waiting attempt whose client hung up is dropped unchecked (gate.c). */
static gboolean
sign_in_wanted (gpointer user_data)
{
  SignIn *si = user_data;
  /* Asked inside th_signin_gate_check too, before the answer is deferred. */
  return !si->deferred || th_http_pending_connected (si->pending);
}

/* ---------------------------------------- the same on the store's workers */

/* A job that did not run (the server is stopping, no connection). */
static void
respond_not_run (ThHttpResponse *r, const GError *error)
{
  g_warning ("sign-in: not run on a store worker: %s", error->message);
  th_respond_error (r, 503, "busy", "The record is busy. Try again in a moment.");
  r->retry_after = 1;
}

/* The answer, on the loop; `si` goes. */
static void
sign_in_finish (SignIn *si)
{
  th_http_pending_finish (si->pending, &si->r);
  si->pending = NULL;
  sign_in_free (si);
}

/* After the gate, on a worker: count the failure or start the session. */
static void
sign_in_answer_run (Store *store, gpointer data)
{
  SignIn *si = data;

  si->job.store = store;
  sign_in_answer (&si->job, si, si->match, &si->r);
  si->job.store = NULL;
}

static void
sign_in_answer_done (gpointer data, const GError *error)
{
  SignIn *si = data;

  if (error)
    respond_not_run (&si->r, error);
  sign_in_finish (si);
}

/* The gate's answer, on the loop: the gate frees `si` when this returns, so
 * what the job needs moves to a sign-in of its own. */
static void
sign_in_checked_later (SignIn *si, gboolean match)
{
  SignIn *later = g_new (SignIn, 1);

  *later = *si;
  memset (si, 0, sizeof *si);
  later->match = match;
  th_store_pool_run (later->app->pool, NULL, sign_in_answer_run, sign_in_answer_done, later);
}

/* Before the gate, on a worker: this client's throttle, then the account. */
static void
sign_in_lookup_run (Store *store, gpointer data)
{
  SignIn *si = data;
  ThApp *app = &si->job;
  g_autoptr (GError) error = NULL;
  ThThrottleVerdict verdict = TH_THROTTLE_GO;
  guint wait = 0;

  app->store = store;
  si->answered = TRUE;
  if (!throttle_check (app, si->username, si->address, si->network, si->in_flight, &verdict, &wait,
                       &error))
    respond_store_failure (&si->r, error, "the throttle could not be read");
  else if (verdict != TH_THROTTLE_GO)
    refuse_throttled (app, si->address, si->username, si->network, verdict, wait, &si->r);
  else if (!(si->found = store_find_staff_by_username (store, si->username, &si->account,
                                                       &si->hash, &error)) &&
           !g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    respond_store_failure (&si->r, error, "the account could not be read");
  else
    si->answered = FALSE;
  if (!si->hash)
    si->found = FALSE; /* no credentials: as unknown, and the same work */
  app->store = NULL;
}

/* Back on the loop: the server-wide budget, then the gate. */
static void
sign_in_lookup_done (gpointer data, const GError *error)
{
  SignIn *si = data;
  ThSignInGate *gate = si->app->signin;

  if (error)
    respond_not_run (&si->r, error);
  else if (si->answered)
    ;
  else if (!gate || !th_signin_gate_admit (gate))
    refuse_busy (&si->r, "past the server-wide budget");
  else if (!th_signin_gate_check (gate, si->network, si->password, si->hash, sign_in_checked,
                                  sign_in_wanted, si, (GDestroyNotify) sign_in_free))
    refuse_busy (&si->r, "every password worker busy and the queue full");
  else
    return; /* the gate owns `si` now, and calls back on this loop */
  sign_in_finish (si);
}

/* The pool's way: the answer deferred at once, the store's part queued. */
static void
sign_in_on_workers (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, SignIn *si,
                    const char *password)
{
  si->deferred = TRUE;
  si->password = g_strdup (password);
  si->in_flight = th_signin_gate_in_flight (app->signin, si->network);
  if (!(si->pending = th_http_defer (req, r))) {
    th_respond_error (r, 500, "internal", "Signing in did not work. Try again in a moment.");
    sign_in_free (si);
    return;
  }
  th_app_job_init (&si->job, app);
  th_store_pool_run (app->pool, NULL, sign_in_lookup_run, sign_in_lookup_done, si);
}

void
th_post_session (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  g_autofree char *hash = NULL;
  g_autoptr (GError) error = NULL;
  ThSignInBody body = { 0 };
  ThThrottleVerdict verdict = TH_THROTTLE_GO;
  SignIn *si = g_new0 (SignIn, 1);
  guint wait = 0;

  (void) call;
  si->app = app;
  if (!th_body_sign_in (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  si->username = g_utf8_strdown (body.username, -1);
  si->address = g_strdup (req->address);
  si->network = th_throttle_network (req->address);
  if (app->pool && req->transport) {
    sign_in_on_workers (app, req, r, si, body.password);
    si = NULL;
    goto out;
  }

  /* The cheap refusals first: this client's throttle, then the budget of
   * the whole server (which only attempts that will cost a scrypt spend). */
  if (!throttle_check (app, si->username, si->address, si->network,
                       th_signin_gate_in_flight (app->signin, si->network), &verdict, &wait,
                       &error)) {
    respond_store_failure (r, error, "the throttle could not be read");
    goto out;
  }
  if (verdict != TH_THROTTLE_GO) {
    refuse_throttled (app, si->address, si->username, si->network, verdict, wait, r);
    goto out;
  }
  if (!th_signin_gate_admit (app->signin)) {
    refuse_busy (r, "past the server-wide budget");
    goto out;
  }
  si->found = store_find_staff_by_username (app->store, si->username, &si->account, &hash, &error);
  if (!si->found && !g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
    respond_store_failure (r, error, "the account could not be read");
    goto out;
  }
  if (!hash)
    si->found = FALSE; /* no credentials: as unknown, and the same work */
  if (!req->transport) {
    /* A caller that cannot wait for an answer (no transport): check here. */
    gboolean match = hash ? th_password_verify (body.password, hash, NULL) : FALSE;
    if (!hash)
      th_password_verify_dummy (body.password);
    si->client_present = TRUE;
    sign_in_answer (app, si, match, r);
    goto out;
  }
  if (!th_signin_gate_check (app->signin, si->network, body.password, hash, sign_in_checked,
                             sign_in_wanted, si, (GDestroyNotify) sign_in_free)) {
    refuse_busy (r, "every password worker busy and the queue full");
    goto out;
  }
  /* The gate owns `si` now and calls back on this loop, after this returns. */
  si->deferred = TRUE;
  if (!(si->pending = th_http_defer (req, r)))
    th_respond_error (r, 500, "internal", "Signing in did not work. Try again in a moment.");
  si = NULL;
out:
  if (si)
    sign_in_free (si);
  th_sign_in_body_clear (&body);
}

void
th_get_session (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  g_autofree char *csrf = NULL;
  g_autoptr (GError) error = NULL;
  StoreStaffAccount account = { 0 };

  if (!store_get_staff_account (app->store, staff_id, &account, &error)) {
    th_respond_store_error (r, error, "Your account could not be read. Try again in a moment.");
    return;
  }
  csrf = th_csrf_token (req->session_id);
  th_respond_json (r, 200,
                   json_pack ("{s:s, s:o}", "csrf_token", csrf, "staff", staff_json (&account)));
  store_staff_account_clear (&account);
}

void
th_post_logout (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  const char *staff_id = call->caller.staff_id;
  g_autoptr (GError) error = NULL;

  /* A session that the store could not end is still live: say so, rather
   * than let the person walk away thinking they signed out. */
  if (!store_end_session (app->store, req->session_id, "logout", &error) &&
      !th_store_absent (error)) {
    th_respond_store_error (r, error,
                            "You could not be signed out. Try again; until then, this browser "
                            "stays signed in.");
    return;
  }
  th_audit (app, req->address, staff_id, "logout", staff_id, NULL);
  r->set_cookie = g_strdup_printf ("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
                                   TH_SESSION_COOKIE, cookie_secure (app) ? "; Secure" : "");
  th_respond_json (r, 200, json_object ());
}
