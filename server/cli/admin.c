/* admin.c — `telehealthd admin …`: clinic administration from the shell,
 * run against the same data directory as the server (sqlite allows the two
 * at once in WAL mode).
 *
 * Every command prints JSON on stdout; errors go to stderr, exit 2 for bad
 * usage and 1 for a failure. Passwords are generated here, shown once, and
 * never read from the command line (where they would sit in shell history
 * and the process list). Every account change is written to the audit log
 * with actor "admin-cli".
 */
#define G_LOG_DOMAIN "th-admin"

#include "server/cli/cli.h"
#include "server/accounts/accounts.h"
#include "server/clock/clock.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>

#define ACTOR "admin-cli"

/* scheduler: the front desk (the schedule and the patients' details, never
 * the clinical record). */
static const char *const staff_roles[] = { "psychiatrist", "pmhnp", "pa",
                                           "pcp",          "admin", "scheduler" };

void
th_admin_print (json_t *value)
{
  char *text = value ? json_dumps (value, JSON_COMPACT) : NULL;

  if (text)
    printf ("%s\n", text);
  free (text);
  json_decref (value);
}

static int
usage (const char *command, const char *message)
{
  fprintf (stderr, "telehealthd admin %s: %s\n", command, message);
  return 2;
}

static int
failure (const char *command, const GError *error)
{
  fprintf (stderr, "telehealthd admin %s: %s\n", command, error ? error->message : "failed");
  return 1;
}

/* The same rule the store applies, checked first so that a bad name is a
 * usage error and no half-made account is left behind. */
static gboolean
username_plausible (const char *username)
{
  gsize len = username ? strlen (username) : 0;

  if (len < 3 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    char c = g_ascii_tolower (username[i]);
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-')
      return FALSE;
  }
  return TRUE;
}

/* Appends "account.<what>" for the staff member, detail {username, role}. */
static gboolean
audit_account (ThApp *app, const char *action, const char *staff_id, const char *username,
               const char *role, GError **error)
{
  json_t *detail = json_pack ("{s:s, s:s}", "username", username, "role", role ? role : "");
  char *text = detail ? json_dumps (detail, JSON_COMPACT) : NULL;
  gboolean ok = FALSE;

  if (!text) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_INVALID, "cannot build audit detail");
    goto out;
  }
  ok = store_audit_append (app->store, ACTOR, action, staff_id, text, error);
out:
  free (text);
  json_decref (detail);
  return ok;
}

static void
forget_password (char **password)
{
  if (*password)
    OPENSSL_cleanse (*password, strlen (*password));
  g_clear_pointer (password, g_free);
}

/* A generated password and its hash; FALSE with an error otherwise. */
static gboolean
new_password (char **password, char **hash, GError **error)
{
  *password = th_password_generate ();
  if (!*password) {
    g_set_error_literal (error, STORE_ERROR, STORE_ERROR_SQL, "random generator failed");
    return FALSE;
  }
  *hash = th_password_hash (*password, error);
  if (!*hash) {
    forget_password (password);
    return FALSE;
  }
  return TRUE;
}

/* A role as the clinic says it ("a physician assistant"). */
static const char *
role_words (const char *role)
{
  static const char *const words[][2] = {
    { "psychiatrist", "a psychiatrist" },      { "pmhnp", "a psychiatric nurse practitioner" },
    { "pa", "a physician assistant" },         { "pcp", "a primary care physician" },
    { "admin", "a front-desk administrator" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_strcmp0 (role, words[i][0]) == 0)
      return words[i][1];
  return "not a psychiatrist";
}

/* The staff id of the supervisor named by `given`: a username (what an
 * administrator knows), or a staff id (what scripts kept from add-staff's
 * output). 1 when found and a psychiatrist; 0 after saying on stderr why
 * not; -1 with `error` set when the store failed. */
static int
find_supervisor (ThApp *app, const char *cmd, const char *given, char **supervisor_id,
                 GError **error)
{
  g_autofree char *lower = g_ascii_strdown (given, -1), *name = NULL, *role = NULL;
  StoreStaffAccount account = { 0 };
  GError *local = NULL;

  if (store_find_staff_by_username (app->store, lower, &account, NULL, &local)) {
    *supervisor_id = g_steal_pointer (&account.id);
    store_staff_account_clear (&account);
  } else if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
    g_propagate_error (error, local);
    return -1;
  } else {
    g_clear_error (&local);
    if (!store_get_staff (app->store, given, NULL, NULL, &local)) {
      if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
        g_propagate_error (error, local);
        return -1;
      }
      g_clear_error (&local);
      fprintf (stderr,
               "telehealthd admin %s: no staff member has the username (or staff id) \"%s\" given "
               "to --supervisor; see `telehealthd admin list-staff`\n",
               cmd, given);
      return 0;
    }
    *supervisor_id = g_strdup (given);
  }
  if (!store_get_staff (app->store, *supervisor_id, &name, &role, error)) {
    g_clear_pointer (supervisor_id, g_free);
    return -1;
  }
  if (g_strcmp0 (role, "psychiatrist") != 0) {
    fprintf (stderr,
             "telehealthd admin %s: the supervisor must be a psychiatrist; \"%s\" (%s) is %s\n",
             cmd, given, name, role_words (role));
    g_clear_pointer (supervisor_id, g_free);
    return 0;
  }
  return 1;
}

static int
add_staff (ThApp *app, const ThAdminOptions *opt)
{
  const char *cmd = "add-staff";
  g_autoptr (GError) error = NULL;
  g_autofree char *staff_id = NULL, *hash = NULL, *supervisor_id = NULL, *username = NULL;
  char *password = NULL;
  gboolean role_ok = FALSE;
  int rc = 1;

  for (guint i = 0; i < G_N_ELEMENTS (staff_roles); i++)
    role_ok = role_ok || g_strcmp0 (opt->role, staff_roles[i]) == 0;
  if (!opt->name || !opt->name[0] || !role_ok || !opt->username)
    return usage (cmd, "--username USERNAME, --name NAME and --role "
                       "psychiatrist|pmhnp|pa|pcp|admin|scheduler are required");
  if (!username_plausible (opt->username))
    return usage (cmd, "a username has 3 to 64 of a-z 0-9 . _ -");
  if (g_strcmp0 (opt->role, "pa") == 0 && !opt->supervisor)
    return usage (cmd, "a physician assistant needs --supervisor "
                       "(the supervising psychiatrist's username or staff id)");
  if (opt->supervisor && g_strcmp0 (opt->role, "pa") != 0)
    return usage (cmd, "only a physician assistant (--role pa) has a supervisor");
  username = g_ascii_strdown (opt->username, -1);

  /* Checked before anything is written: the store cannot remove a staff
   * row again, so a refusal later would leave a nameless one behind. */
  if (store_find_staff_by_username (app->store, username, NULL, NULL, &error)) {
    fprintf (stderr, "telehealthd admin %s: username is taken\n", cmd);
    goto out;
  }
  if (!g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    goto fail;
  g_clear_error (&error);
  if (opt->supervisor) {
    int found = find_supervisor (app, cmd, opt->supervisor, &supervisor_id, &error);
    if (found < 0)
      goto fail;
    if (found == 0)
      goto out;
  }
  if (!new_password (&password, &hash, &error))
    goto fail;

  staff_id = store_create_staff (app->store, opt->name, opt->role, &error);
  if (!staff_id)
    goto fail;
  if (supervisor_id && !store_set_staff_supervisor (app->store, staff_id, supervisor_id, &error))
    goto fail;
  if (!store_set_staff_credentials (app->store, staff_id, username, hash, &error))
    goto fail;
  if (!audit_account (app, "account.create", staff_id, username, opt->role, &error))
    goto fail;
  th_admin_print (json_pack ("{s:s, s:s, s:s}", "staff_id", staff_id, "username", username, "password",
                         password));
  rc = 0;
  goto out;
fail:
  rc = failure (cmd, error);
out:
  forget_password (&password);
  return rc;
}

static int
list_staff (ThApp *app)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) staff = store_list_staff (app->store, &error);

  if (!staff)
    return failure ("list-staff", error);
  for (guint i = 0; i < staff->len; i++) {
    StoreStaffAccount *a = g_ptr_array_index (staff, i);
    /* "s?" writes JSON null for a missing username or supervisor. */
    th_admin_print (json_pack ("{s:s, s:s?, s:s, s:s, s:s?, s:b}", "staff_id", a->id, "username",
                           a->username, "display_name", a->display_name, "role", a->role,
                           "supervisor", a->supervisor_id, "disabled", a->disabled));
  }
  return 0;
}

/* The account behind --username for the commands that act on one. */
static int
find_account (ThApp *app, const char *cmd, const ThAdminOptions *opt, StoreStaffAccount *out)
{
  g_autoptr (GError) error = NULL;

  if (!opt->username)
    return usage (cmd, "--username USERNAME is required");
  if (!store_find_staff_by_username (app->store, opt->username, out, NULL, &error)) {
    if (g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
      fprintf (stderr, "telehealthd admin %s: no account with that username\n", cmd);
      return 1;
    }
    return failure (cmd, error);
  }
  return 0;
}

static int
set_disabled (ThApp *app, const ThAdminOptions *opt, gboolean disabled)
{
  const char *cmd = disabled ? "disable-staff" : "enable-staff";
  g_autoptr (GError) error = NULL;
  StoreStaffAccount account = { 0 };
  int rc;

  if ((rc = find_account (app, cmd, opt, &account)) != 0)
    return rc;
  /* Disabling also ends the account's live sessions (in the same
   * transaction, see store_set_staff_disabled). */
  if (!store_set_staff_disabled (app->store, account.id, disabled, &error) ||
      !audit_account (app, disabled ? "account.disable" : "account.enable", account.id,
                      account.username, account.role, &error)) {
    rc = failure (cmd, error);
    goto out;
  }
  th_admin_print (json_pack ("{s:s, s:s, s:b}", "staff_id", account.id, "username", account.username,
                         "disabled", disabled));
out:
  store_staff_account_clear (&account);
  return rc;
}

static int
reset_password (ThApp *app, const ThAdminOptions *opt)
{
  const char *cmd = "reset-password";
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;
  StoreStaffAccount account = { 0 };
  char *password = NULL;
  int rc;

  if ((rc = find_account (app, cmd, opt, &account)) != 0)
    return rc;
  if (!new_password (&password, &hash, &error) ||
      !store_set_staff_password (app->store, account.id, hash, &error))
    goto fail;
  /* Whoever held the old password may hold a session too: end them all. */
  store_end_staff_sessions (app->store, account.id, "password-reset", &error);
  if (error)
    goto fail;
  if (!audit_account (app, "account.password-reset", account.id, account.username, account.role,
                      &error))
    goto fail;
  th_admin_print (json_pack ("{s:s, s:s}", "username", account.username, "password", password));
  rc = 0;
  goto out;
fail:
  rc = failure (cmd, error);
out:
  forget_password (&password);
  store_staff_account_clear (&account);
  return rc;
}

/* Prints {chain_intact, rows, problem}; returns whether the chain holds. */
static gboolean
print_verify (ThApp *app)
{
  g_autoptr (GError) error = NULL;
  guint n_rows = 0;
  gboolean intact = store_audit_verify (app->store, &n_rows, &error);

  th_admin_print (json_pack ("{s:b, s:I, s:s}", "chain_intact", intact, "rows", (json_int_t) n_rows,
                         "problem", intact ? "" : error->message));
  return intact;
}

/* Prints the newest events, one JSON object a line, then the verify line.
 * Exit 1 if the chain is broken. */
static int
audit (ThApp *app)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = store_audit_list (app->store, 200, &error);

  if (!events)
    return failure ("audit", error);
  for (guint i = 0; i < events->len; i++) {
    StoreAuditEvent *e = g_ptr_array_index (events, i);
    g_autofree char *at_text = th_iso_from_ms (e->at_ms);
    json_t *detail = json_loads (e->detail ? e->detail : "{}", 0, NULL);
    th_admin_print (json_pack ("{s:I, s:s?, s:s, s:s, s:s, s:o}", "seq", (json_int_t) e->seq, "at",
                           at_text, "actor", e->actor, "action", e->action, "target",
                           e->target ? e->target : "", "detail", detail ? detail : json_object ()));
  }
  return print_verify (app) ? 0 : 1;
}

int
th_admin_run (ThApp *app, const char *command, const ThAdminOptions *opt)
{
  if (g_strcmp0 (command, "add-staff") == 0)
    return add_staff (app, opt);
  if (g_strcmp0 (command, "list-staff") == 0)
    return list_staff (app);
  if (g_strcmp0 (command, "disable-staff") == 0)
    return set_disabled (app, opt, TRUE);
  if (g_strcmp0 (command, "enable-staff") == 0)
    return set_disabled (app, opt, FALSE);
  if (g_strcmp0 (command, "reset-password") == 0)
    return reset_password (app, opt);
  if (g_strcmp0 (command, "verify-audit") == 0)
    return print_verify (app) ? 0 : 1;
  if (g_strcmp0 (command, "audit") == 0)
    return audit (app);
  if (g_strcmp0 (command, "set-dea") == 0)
    return th_admin_set_dea (app, opt);
  if (g_strcmp0 (command, "list-dea") == 0)
    return th_admin_list_dea (app, opt);
  fprintf (stderr,
           "telehealthd admin: unknown command \"%s\" (known: add-staff, list-staff, "
           "disable-staff, enable-staff, reset-password, verify-audit, audit, set-dea, "
           "list-dea, backup, restore)\n",
           command ? command : "");
  return 2;
}
