/* cli.h — what runs from the command line instead of the server: the demo
 * visit printed at start and `telehealthd admin COMMAND`. */
#pragma once

#include "server/app.h"

#include <jansson.h>

/* ---- demo.c, demo_history.c */
/* Creates the demo provider, patient and a visit now; prints the links and,
 * as the last line on stdout, one JSON object with them. */
gboolean th_demo_create (ThApp *app, GError **error);

/* Past visits for the demo patient, with check-ins, notes and adjustments
 * (a dose change and a switch); their ids are appended to `past_visit_ids`. */
gboolean th_demo_history (ThApp *app, const char *patient_id, const char *provider_id,
                          GPtrArray *past_visit_ids, GError **error);

/* ---- admin.c: `telehealthd admin COMMAND` */
typedef struct {
  const char *name;
  const char *role;
  const char *supervisor;
  const char *username;
  /* set-dea, list-dea (admin_dea.c) */
  const char *staff;
  const char *state;
  const char *number;
  const char *schedules;
  const char *expires;
} ThAdminOptions;
int th_admin_run (ThApp *app, const char *command, const ThAdminOptions *options);
/* What every admin command prints: one JSON value as a line on stdout
 * (released here). */
void th_admin_print (json_t *value);

/* ---- admin_dea.c: a prescriber's DEA registration for a state (issue 15).
 * Checks the number (format and check digit), the schedules and the
 * expiry date (CLINICAL_ERROR_INVALID with the rule in words), stores it
 * and audits "dea.set" by `actor`. */
gboolean th_dea_set (ThApp *app, const char *actor, const char *staff_id, const char *state,
                     const char *number, const char *schedules, const char *expires,
                     GError **error);

/* ---- demo_rx.c: the demo provider's DEA registration for the demo
 * patient's state (NY), a PDMP check today and the patient's pharmacy, so
 * the demo can prescribe a controlled medicine as a real clinic would. */
gboolean th_demo_prescribing (ThApp *app, const char *patient_id, const char *provider_id,
                              GError **error);
/* The demo patient's fluoxetine intolerance and a medication from elsewhere (issue 15). */
gboolean th_demo_problems (ThApp *app, const char *patient_id, const char *provider_id,
                           GError **error);
int th_admin_set_dea (ThApp *app, const ThAdminOptions *options);

/* ---- admin_backup.c (issue 17) */
/* Takes the data directory's lock (a server holds it while it serves):
 * returns the descriptor that holds it, or -1 and an error that says a
 * server is running there. */
int th_data_dir_lock (const char *data_dir, GError **error);
/* admin backup --to FILE, or --to-dir DIR [--keep N]: a checked copy of
 * the running database (in DIR named by its UTC time; the newest N kept). */
int th_admin_backup (ThApp *app, const char *to, const char *to_dir, int keep);
/* admin restore --from FILE: into a stopped server's data directory (run
 * before the store is opened). */
int th_admin_restore (const char *data_dir, const char *from);
/* admin restore on PostgreSQL: refused, pointing to pg_restore; exit 1. */
int th_admin_restore_refused (void);
/* admin migrate: prints {backend, schema_version} once the store (opened
 * with StoreTarget.upgrade) is up to date. */
int th_admin_migrate (ThApp *app);
int th_admin_list_dea (ThApp *app, const ThAdminOptions *options);
