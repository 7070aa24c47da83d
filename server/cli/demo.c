/* demo.c — `--demo`: a provider, a patient with a history of two past
 * follow-ups, and a visit scheduled for now, so a person can try a visit in
 * two browser tabs at once. */
#include "server/cli/cli.h"
#include "server/accounts/accounts.h"

#include <stdio.h>
#include <gio/gio.h>
#include <jansson.h>

#define DEMO_USERNAME "demo.provider"

/* The demo patient, with details nobody has: a made-up record number (each
 * start makes a new patient, so the number carries the id's first
 * characters to stay unique), an example.org address (RFC 2606) and a
 * 555-01xx number (reserved for fiction in the North American plan). */
static char *
demo_patient (ThApp *app, const char *provider_id, GError **error)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *mrn = g_ascii_strup (id, 8);
  g_autofree char *mrn_text = g_strconcat ("DEMO-", mrn, NULL);
  StorePatient p = { .name = "Demo Patient",
                     .birth_date = "1988-06-14",
                     .mrn = mrn_text,
                     .email = "demo.patient@example.org",
                     .phone = "+15550100123",
                     .time_zone = "America/New_York",
                     .region = "NY",
                     .language = "en" };

  return store_patient_create (app->store, &p, provider_id, error);
}

gboolean
th_demo_create (ThApp *app, GError **error)
{
  g_autofree char *provider_id = NULL, *patient_id = NULL, *line = NULL;
  g_autofree char *password = NULL, *hash = NULL, *diary_token = NULL, *diary_url = NULL;
  StoreStaffAccount existing = { 0 };
  g_autoptr (GPtrArray) past = g_ptr_array_new_with_free_func (g_free);
  ThVisitLinks links = { 0 };
  json_t *obj = NULL, *past_json;
  g_autoptr (GError) lookup = NULL;
  gboolean ok = FALSE;
  char *dump;

  /* No default password: a fresh one each start, shown only here. A data
   * directory used before keeps its demo provider, with the new password. */
  password = th_password_generate ();
  hash = th_password_hash (password, error);
  if (!hash)
    goto out;
  if (store_find_staff_by_username (app->store, DEMO_USERNAME, &existing, NULL, &lookup)) {
    provider_id = g_strdup (existing.id);
    if (!store_set_staff_password (app->store, provider_id, hash, error) ||
        !store_set_staff_disabled (app->store, provider_id, FALSE, error))
      goto out;
  } else if (!g_error_matches (lookup, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
    /* Only an absent demo provider is made anew; a failed lookup is no
     * reason to add a second one. */
    g_propagate_error (error, g_steal_pointer (&lookup));
    goto out;
  } else {
    provider_id = store_create_staff (app->store, "Dr. Demo Provider", "psychiatrist", error);
    if (!provider_id ||
        !store_set_staff_credentials (app->store, provider_id, DEMO_USERNAME, hash, error))
      goto out;
  }
  patient_id = demo_patient (app, provider_id, error);
  if (!patient_id)
    goto out;
  if (!th_demo_history (app, patient_id, provider_id, past, error) ||
      !th_demo_prescribing (app, patient_id, provider_id, error) ||
      !th_demo_problems (app, patient_id, provider_id, error))
    goto out;
  if (!th_create_visit_with_links (app, patient_id, NULL, provider_id, store_now_ms (), NULL,
                                   &links, error))
    goto out;
  /* The patient's diary between visits (issue 14), turned on by the
   * provider: its own link, beside the visit's. */
  if (!(diary_token = store_diary_link_create (app->store, patient_id, provider_id, error)))
    goto out;
  diary_url = g_strdup_printf ("%s/diary.html#d=%s", app->base_url, diary_token);

  past_json = json_array ();
  for (guint i = 0; i < past->len; i++)
    json_array_append_new (past_json, json_string (g_ptr_array_index (past, i)));
  obj = json_pack ("{s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s}}", "visit_id", links.visit_id,
                   "patient_url", links.patient_url, "provider_url", links.provider_url,
                   "diary_url", diary_url, "past_visit_ids", past_json, "provider_login",
                   "username", DEMO_USERNAME, "password", password);
  dump = obj ? json_dumps (obj, JSON_COMPACT) : NULL;
  if (!dump) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "could not encode the demo links");
    goto out;
  }
  line = g_strdup (dump);
  free (dump);

  printf ("Demo visit %s is ready.\n"
          "  Patient's join link (open in one tab):   %s\n"
          "  Provider's console link (another tab):   %s\n"
          "  Patient's diary between visits (phone):  %s\n"
          "  Sign in there as %s with password %s\n",
          links.visit_id, links.patient_url, links.provider_url, diary_url, DEMO_USERNAME,
          password);
  /* The last line is for scripts. */
  printf ("%s\n", line);
  fflush (stdout);
  ok = TRUE;

out:
  store_staff_account_clear (&existing);
  json_decref (obj);
  th_visit_links_clear (&links);
  return ok;
}
