/* cli.h — what runs from the command line instead of the server: the demo
 * visit printed at start and `telehealthd admin COMMAND`. */
#pragma once

#include "server/app.h"

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
} ThAdminOptions;
int th_admin_run (ThApp *app, const char *command, const ThAdminOptions *options);
