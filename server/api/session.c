/* api_session.c — staff sign-in, the session behind the cookie, sign-out.
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

/* How long the caller must wait before trying again (0: go ahead). */
static guint
throttle_wait (ThApp *app, const char *username, const char *address, gboolean *locked)
{
  const ThConfig *c = app->config;
  gint64 now = store_now_ms (), window = (gint64) c->login_lockout_min * 60000;
  gint64 latest_acc = 0, latest_addr = 0, latest;
  guint by_account, by_address, n;

  by_account = store_count_login_failures (app->store, "account", username, now - window,
                                           &latest_acc, NULL);
  by_address = address && address[0]
    ? store_count_login_failures (app->store, "address", address, now - window, &latest_addr, NULL)
    : 0;
  n = MAX (by_account, by_address);
  latest = MAX (latest_acc, latest_addr);
  *locked = FALSE;
  if (n >= c->login_lockout_after) {
    *locked = TRUE;
    return (guint) MAX (1, (latest + window - now + 999) / 1000);
  }
  if (n >= c->login_slowdown_after) {
    guint shift = MIN (n - c->login_slowdown_after, 6u);
    gint64 delay_ms = MIN ((gint64) 1000 << shift, (gint64) MAX_SLOWDOWN_S * 1000);
    if (now - latest < delay_ms)
      return (guint) ((latest + delay_ms - now + 999) / 1000);
  }
  return 0;
}

static void
post_session (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *username = NULL, *hash = NULL, *session_id = NULL, *csrf = NULL;
  g_autoptr (GError) error = NULL;
  StoreStaffAccount account = { 0 };
  ThSignInBody body = { 0 };
  const char *password;
  gboolean found, ok = FALSE, locked;
  guint wait;

  if (!th_body_sign_in (req->body, req->body_len, &body, &error)) {
    th_respond_body_error (r, error);
    goto out;
  }
  username = g_utf8_strdown (body.username, -1);
  password = body.password;

  wait = throttle_wait (app, username, req->address, &locked);
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

  found = store_find_staff_by_username (app->store, username, &account, &hash, NULL);
  if (!found || !hash)
    th_password_verify_dummy (password);  /* same time whether or not the name exists */
  else
    ok = th_password_verify (password, hash, NULL) && !account.disabled;
  if (!ok) {
    if (!store_record_login_failure (app->store, username, req->address, store_now_ms (), &error))
      g_warning ("failed sign-in not counted: %s", error->message);
    th_audit (app, req->address, username, "login.failed", found ? account.id : NULL,
              json_pack ("{s:s}", "reason", !found ? "unknown-user"
                                            : account.disabled ? "disabled" : "bad-password"));
    th_respond_error (r, 401, "bad-credentials", "the username or password is not right");
    goto out;
  }

  store_clear_login_failures (app->store, username, NULL);
  session_id = store_create_session (app->store, account.id, req->address, store_now_ms (), &error);
  if (!session_id) {
    th_respond_error (r, 500, "internal", "the session could not be started");
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

static void
get_session (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);
  g_autofree char *csrf = NULL;
  StoreStaffAccount account = { 0 };

  if (!staff_id)
    return;
  if (!store_get_staff_account (app->store, staff_id, &account, NULL)) {
    th_respond_error (r, 500, "internal", "the account could not be read");
    return;
  }
  csrf = th_csrf_token (req->session_id);
  th_respond_json (r, 200, json_pack ("{s:s, s:o}", "csrf_token", csrf, "staff",
                                      staff_json (&account)));
  store_staff_account_clear (&account);
}

static void
post_logout (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  g_autofree char *staff_id = th_require_staff (app, req, r);

  if (!staff_id)
    return;
  store_end_session (app->store, req->session_id, "logout", NULL);
  th_audit (app, req->address, staff_id, "logout", staff_id, NULL);
  r->set_cookie = g_strdup_printf ("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", TH_SESSION_COOKIE,
                                   cookie_secure (app) ? "; Secure" : "");
  th_respond_json (r, 200, json_object ());
}

gboolean
th_api_session_route (ThApp *app, const ThHttpRequest *req, ThHttpResponse *r)
{
  if (strcmp (req->path, "/api/session") == 0) {
    if (req->method == TH_HTTP_POST)
      post_session (app, req, r);
    else if (req->method == TH_HTTP_GET)
      get_session (app, req, r);
    else
      th_respond_error (r, 405, "method-not-allowed", "GET or POST");
    return TRUE;
  }
  if (strcmp (req->path, "/api/session/logout") == 0) {
    if (req->method == TH_HTTP_POST)
      post_logout (app, req, r);
    else
      th_respond_error (r, 405, "method-not-allowed", "POST only");
    return TRUE;
  }
  return FALSE;
}
