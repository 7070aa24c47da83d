/* session.c — staff sign-in, the session behind the cookie, sign-out.
 * Failed sign-ins slow down and then lock, per account and per address;
 * every attempt is audited. */
#define G_LOG_DOMAIN "th-api"

#include "server/api/api-private.h"
#include "server/accounts/accounts.h"

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
  return json_pack ("{s:s, s:s, s:s, s:s}", "id", a->id, "username",
                    a->username ? a->username : "", "display_name", a->display_name, "role",
                    a->role);
}

/* How long the caller must wait before trying again (0: go ahead) into
 * *wait; FALSE with `error` set when the failures cannot be counted (the
 * caller refuses then: a throttle that cannot count does not throttle). */
static gboolean
throttle_wait (ThApp *app, const char *username, const char *address, guint *wait,
               gboolean *locked, GError **error)
{
  const ThConfig *c = app->config;
  g_autoptr (GError) local = NULL;
  gint64 now = store_now_ms (), window = (gint64) c->login_lockout_min * 60000;
  gint64 latest_acc = 0, latest_addr = 0, latest;
  guint by_account, by_address = 0, n;

  *wait = 0;
  *locked = FALSE;
  by_account = store_count_login_failures (app->store, "account", username, now - window,
                                           &latest_acc, &local);
  if (!local && address && address[0])
    by_address = store_count_login_failures (app->store, "address", address, now - window,
                                             &latest_addr, &local);
  if (local) {
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  n = MAX (by_account, by_address);
  latest = MAX (latest_acc, latest_addr);
  if (n >= c->login_lockout_after) {
    *locked = TRUE;
    *wait = (guint) MAX (1, (latest + window - now + 999) / 1000);
  } else if (n >= c->login_slowdown_after) {
    guint shift = MIN (n - c->login_slowdown_after, 6u);
    gint64 delay_ms = MIN ((gint64) 1000 << shift, (gint64) MAX_SLOWDOWN_S * 1000);
    if (now - latest < delay_ms)
      *wait = (guint) ((latest + delay_ms - now + 999) / 1000);
  }
  return TRUE;
}

void
th_post_session (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r, const ThApiCall *call)
{
  g_autofree char *username = NULL, *hash = NULL, *session_id = NULL, *csrf = NULL;
  g_autoptr (GError) error = NULL;
  StoreStaffAccount account = { 0 };
  ThSignInBody body = { 0 };
  const char *password;
  gboolean found, ok = FALSE, locked;
  guint wait;

  (void) call;

  if (!th_body_sign_in (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  username = g_utf8_strdown (body.username, -1);
  password = body.password;

  if (!throttle_wait (app, username, req->address, &wait, &locked, &error)) {
    th_respond_store_error (r, error, "Signing in is not possible right now. Try again in a moment.");
    goto out;
  }
  if (wait) {
    g_autofree char *msg = locked
      ? g_strdup_printf ("too many failed sign-ins; try again in %u minutes", (wait + 59) / 60)
      : g_strdup_printf ("too many failed sign-ins; wait %u seconds before trying again", wait);
    th_audit (app, req->address, username, locked ? "login.locked" : "login.throttled", NULL, NULL);
    th_respond_json (r, 429, json_pack ("{s:{s:s, s:s, s:i}}", "error", "code",
                                        locked ? "locked" : "slow-down", "message", msg,
                                        "retry_after", (json_int_t) wait));
    r->retry_after = wait;
    goto out;
  }

  found = store_find_staff_by_username (app->store, username, &account, &hash, &error);
  if (!found && !th_store_absent (error)) {
    th_respond_store_error (r, error, "Signing in is not possible right now. Try again in a moment.");
    goto out;
  }
  g_clear_error (&error);
  if (!found || !hash)
    th_password_verify_dummy (password);  /* same time whether or not the name exists */
  else
    ok = th_password_verify (password, hash, NULL) && !account.disabled;
  if (!ok) {
    /* A failure the throttle cannot count would make guessing free. */
    if (!store_record_login_failure (app->store, username, req->address, store_now_ms (), &error)) {
      th_respond_store_error (r, error, "Signing in is not possible right now. Try again in a moment.");
      goto out;
    }
    th_audit (app, req->address, username, "login.failed", found ? account.id : NULL,
              json_pack ("{s:s}", "reason", !found ? "unknown-user"
                                            : account.disabled ? "disabled" : "bad-password"));
    th_respond_error (r, 401, "bad-credentials", "the username or password is not right");
    goto out;
  }

  if (!store_clear_login_failures (app->store, username, &error) ||
      !(session_id = store_create_session (app->store, account.id, req->address, store_now_ms (),
                                           &error))) {
    th_respond_store_error (r, error, "Your session could not be started. Try again in a moment.");
    goto out;
  }
  csrf = th_csrf_token (session_id);
  th_audit (app, req->address, account.id, "login", account.id, NULL);
  /* A session cookie, without Expires: the server ends idle sessions by its
   * own clock, and an absolute date from that clock (settable in test
   * builds, clock.h) would mean nothing to the browser's. */
  r->set_cookie = g_strdup_printf ("%s=%s; Path=/; HttpOnly; SameSite=Strict%s", TH_SESSION_COOKIE,
                                   session_id, cookie_secure (app) ? "; Secure" : "");
  th_respond_json (r, 200, json_pack ("{s:s, s:o}", "csrf_token", csrf, "staff",
                                      staff_json (&account)));
out:
  store_staff_account_clear (&account);
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
  th_respond_json (r, 200, json_pack ("{s:s, s:o}", "csrf_token", csrf, "staff",
                                      staff_json (&account)));
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
    th_respond_store_error (r, error, "You could not be signed out. Try again; until then, this browser stays signed in.");
    return;
  }
  th_audit (app, req->address, staff_id, "logout", staff_id, NULL);
  r->set_cookie = g_strdup_printf ("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", TH_SESSION_COOKIE,
                                   cookie_secure (app) ? "; Secure" : "");
  th_respond_json (r, 200, json_object ());
}
