/* admin_dea.c — `telehealthd admin set-dea` and `list-dea`: a prescriber's
 * DEA registration per state (issue 15, item 7), checked here (the number's
 * format and check digit, the schedules, the state, the expiry date) and
 * audited "dea.set" with actor "admin-cli". A controlled order needs one
 * for the patient's state covering its schedule (rx_dispense.c). */
#define G_LOG_DOMAIN "th-admin"

#include "server/cli/cli.h"
#include "server/clock/clock.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#define ACTOR "admin-cli"

gboolean
th_dea_set (ThApp *app, const char *actor, const char *staff_id, const char *state,
            const char *number, const char *schedules, const char *expires, GError **error)
{
  const RegionInfo *region = region_lookup (state);
  g_autofree char *schedules_text = NULL, *upper = NULL, *detail = NULL;
  StoreDeaRegistration r = { 0 };
  guint mask = 0;
  GDate day;
  json_t *d;

  if (!region) {
    g_set_error (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                 "\"%s\" is not a US state, district or territory code (e.g. NY).",
                 state ? state : "");
    return FALSE;
  }
  upper = g_ascii_strup (number ? number : "", -1);
  if (!rx_dea_number_valid (upper, error) || !rx_dea_schedules_parse (schedules, &mask, error))
    return FALSE;
  if (!expires || strlen (expires) != 10 || !th_date_parse (expires, &day)) {
    g_set_error_literal (error, CLINICAL_ERROR, CLINICAL_ERROR_INVALID,
                         "The expiry date is the last day on the registration certificate, "
                         "written YYYY-MM-DD.");
    return FALSE;
  }
  schedules_text = rx_dea_schedules_text (mask);
  r = (StoreDeaRegistration) { .staff_id = (char *) staff_id,
                               .state = (char *) region->code,
                               .number = upper,
                               .schedules = schedules_text };
  g_strlcpy (r.expires, expires, sizeof r.expires);
  if (!store_set_dea_registration (app->store, &r, error))
    return FALSE;
  d = json_pack ("{s:s, s:s, s:s, s:s}", "state", region->code, "number", upper, "schedules",
                 schedules_text, "expires", expires);
  detail = json_dumps (d, JSON_COMPACT);
  json_decref (d);
  return store_audit_append (app->store, actor, "dea.set", staff_id, detail, error);
}

/* The staff id of --staff: an id, or a username. */
static char *
resolve_staff (ThApp *app, const char *given, GError **error)
{
  StoreStaffAccount account = { 0 };
  g_autofree char *name = NULL;
  GError *local = NULL;
  char *id = NULL;

  if (store_get_staff (app->store, given, &name, NULL, &local))
    return g_strdup (given);
  if (!g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
    g_propagate_error (error, local);
    return NULL;
  }
  g_clear_error (&local);
  if (store_find_staff_by_username (app->store, given, &account, NULL, error))
    id = g_strdup (account.id);
  store_staff_account_clear (&account);
  return id;
}

static json_t *
registration_json (const StoreDeaRegistration *r)
{
  return json_pack ("{s:s, s:s, s:s, s:s, s:s}", "staff_id", r->staff_id, "state", r->state,
                    "number", r->number, "schedules", r->schedules, "expires", r->expires);
}

int
th_admin_set_dea (ThApp *app, const ThAdminOptions *opt)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *staff_id = NULL;
  g_autoptr (GPtrArray) regs = NULL;

  if (!opt->staff || !opt->state || !opt->number || !opt->schedules || !opt->expires) {
    fprintf (stderr, "telehealthd admin set-dea: needs --staff ID, --state XX, --number "
                     "AB1234563, --schedules 2,2N,3,3N,4,5 and --expires YYYY-MM-DD\n");
    return 2;
  }
  if (!(staff_id = resolve_staff (app, opt->staff, &error)) ||
      !th_dea_set (app, ACTOR, staff_id, opt->state, opt->number, opt->schedules, opt->expires,
                   &error)) {
    fprintf (stderr, "telehealthd admin set-dea: %s\n", error ? error->message : "failed");
    return error && error->domain == CLINICAL_ERROR ? 2 : 1;
  }
  if (!(regs = store_list_dea_registrations (app->store, staff_id, &error))) {
    fprintf (stderr, "telehealthd admin set-dea: %s\n", error->message);
    return 1;
  }
  for (guint i = 0; i < regs->len; i++) {
    const StoreDeaRegistration *r = g_ptr_array_index (regs, i);
    if (g_ascii_strcasecmp (r->state, opt->state) == 0 ||
        (region_lookup (opt->state) && strcmp (r->state, region_lookup (opt->state)->code) == 0))
      th_admin_print (registration_json (r));
  }
  return 0;
}

int
th_admin_list_dea (ThApp *app, const ThAdminOptions *opt)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *staff_id = NULL;
  g_autoptr (GPtrArray) regs = NULL;

  if (!opt->staff) {
    fprintf (stderr, "telehealthd admin list-dea: needs --staff ID\n");
    return 2;
  }
  if (!(staff_id = resolve_staff (app, opt->staff, &error)) ||
      !(regs = store_list_dea_registrations (app->store, staff_id, &error))) {
    fprintf (stderr, "telehealthd admin list-dea: %s\n", error ? error->message : "failed");
    return 1;
  }
  for (guint i = 0; i < regs->len; i++)
    th_admin_print (registration_json (g_ptr_array_index (regs, i)));
  return 0;
}
