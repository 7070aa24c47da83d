/* admin.c — `telehealthd admin …`: clinic administration from the shell,
 * run against the same data directory as the server (sqlite allows the two
 * at once in WAL mode). */
#define G_LOG_DOMAIN "th-admin"

#include "server/app.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>

static const char *const staff_roles[] = { "psychiatrist", "pmhnp", "pa", "pcp", "admin" };

static int
add_staff (ThApp *app, const ThAdminOptions *opt)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *staff_id = NULL, *token = NULL;
  gboolean role_ok = FALSE;
  json_t *out;
  char *text;

  for (guint i = 0; i < G_N_ELEMENTS (staff_roles); i++)
    role_ok = role_ok || g_strcmp0 (opt->role, staff_roles[i]) == 0;
  if (!opt->name || !opt->name[0] || !role_ok) {
    fprintf (stderr, "telehealthd admin add-staff: --name NAME and --role "
                     "psychiatrist|pmhnp|pa|pcp|admin are required\n");
    return 2;
  }
  if (g_strcmp0 (opt->role, "pa") == 0 && !opt->supervisor) {
    fprintf (stderr, "telehealthd admin add-staff: a physician assistant needs --supervisor "
                     "(the supervising psychiatrist's staff id)\n");
    return 2;
  }
  staff_id = store_create_staff (app->store, opt->name, opt->role, &error);
  if (!staff_id)
    goto fail;
  if (opt->supervisor &&
      !store_set_staff_supervisor (app->store, staff_id, opt->supervisor, &error))
    goto fail;
  token = store_issue_console_token (app->store, staff_id,
                                     store_now_ms () + (gint64) app->config->console_token_hours * 3600000,
                                     &error);
  if (!token)
    goto fail;
  out = json_pack ("{s:s, s:s}", "staff_id", staff_id, "console_token", token);
  text = json_dumps (out, JSON_COMPACT);
  printf ("%s\n", text);
  free (text);
  json_decref (out);
  return 0;

fail:
  fprintf (stderr, "telehealthd admin add-staff: %s\n", error->message);
  return 1;
}

/* Verifies the audit chain, then prints the newest events, one JSON object
 * a line; the last line says whether the chain holds. Exit 1 if broken. */
static int
audit (ThApp *app)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = store_audit_list (app->store, 200, &error);
  guint n_rows = 0;
  gboolean intact;
  json_t *summary;
  char *text;

  if (!events) {
    fprintf (stderr, "telehealthd admin audit: %s\n", error->message);
    return 1;
  }
  for (guint i = 0; i < events->len; i++) {
    StoreAuditEvent *e = g_ptr_array_index (events, i);
    g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (e->at_ms / 1000);
    g_autofree char *at_text = at ? g_date_time_format_iso8601 (at) : g_strdup ("");
    json_t *detail = json_loads (e->detail ? e->detail : "{}", 0, NULL);
    json_t *row = json_pack ("{s:I, s:s, s:s, s:s, s:s, s:o}", "seq", (json_int_t) e->seq, "at",
                             at_text, "actor", e->actor, "action", e->action, "target",
                             e->target ? e->target : "", "detail",
                             detail ? detail : json_object ());
    text = json_dumps (row, JSON_COMPACT);
    printf ("%s\n", text);
    free (text);
    json_decref (row);
  }
  intact = store_audit_verify (app->store, &n_rows, &error);
  summary = json_pack ("{s:b, s:i, s:s}", "chain_intact", intact, "rows", (json_int_t) n_rows,
                       "problem", intact ? "" : error->message);
  text = json_dumps (summary, JSON_COMPACT);
  printf ("%s\n", text);
  free (text);
  json_decref (summary);
  return intact ? 0 : 1;
}

int
th_admin_run (ThApp *app, const char *command, const ThAdminOptions *opt)
{
  if (g_strcmp0 (command, "add-staff") == 0)
    return add_staff (app, opt);
  if (g_strcmp0 (command, "audit") == 0)
    return audit (app);
  fprintf (stderr, "telehealthd admin: unknown command \"%s\" (known: add-staff, audit)\n",
           command ? command : "");
  return 2;
}
