/* test_notify.c — the messages of a visit's changes, driven through
 * notify_visit_changed on a real store (issue 13 item 3; sqlite or
 * PostgreSQL, store-fixture.h): booking queues an invitation
 * (METHOD:REQUEST, SEQUENCE 0) and the reminders; a move raises SEQUENCE,
 * keeps the UID and moves the reminders; a cancellation sends METHOD:CANCEL
 * and withdraws every reminder. The invitations are parsed back with
 * libical; the texts are checked for anything clinical. And the outbox's
 * claim/recover (a crash mid-send) and the webhook's HMAC. */
#include <libical/ical.h>

#include "server/notify/notify.h"
#include "tests/unit/store-fixture.h"

typedef struct {
  char *dir, *path;
  Store *store;
  ThConfig *config;
  Notify *notify;
  char *provider, *patient, *visit;
  gint64 start_ms;
} Fx;

static const char *const kClinical[] = { "diagnos", "depress", "anxiety", "phq", "gad",
                                         "score",   "medic",   "prescri", " mg", "dose" };

static void
fx_set_up (Fx *f, gconstpointer data)
{
  GError *error = NULL;
  StorePatient p = { .name = "Pat Example",
                     .birth_date = "1980-02-03",
                     .mrn = "T-1",
                     .email = "pat@example.org",
                     .phone = "+15550100999",
                     .time_zone = "America/Los_Angeles" };

  (void) data;
  f->store = store_fixture_open ("test-notify-XXXXXX", &f->dir, &f->path);
  f->config = th_config_load (NULL, &error);
  g_assert_no_error (error);
  g_free (f->config->clinic_name);
  f->config->clinic_name = g_strdup ("Lakeside Psychiatry");
  f->config->clinic_phone = g_strdup ("(555) 010-0100");
  f->config->notify.mail_host = g_strdup ("127.0.0.1");
  f->config->notify.mail_from = g_strdup ("Lakeside <visits@lakeside.example>");
  f->config->notify.sms_url = g_strdup ("https://sms.example/send");
  f->config->notify.sms_secret = g_strdup ("0123456789abcdef0123");
  f->notify = notify_new (f->store, f->config, "https://visits.lakeside.example");
  f->provider = store_create_staff (f->store, "Dr. Rivera", "psychiatrist", &error);
  g_assert_no_error (error);
  f->patient = store_patient_create (f->store, &p, f->provider, &error);
  g_assert_no_error (error);
  /* Three days ahead, on the minute: reminders at 24 h and 1 h are ahead. */
  f->start_ms = (th_clock_now_ms () / 60000 + 3 * 24 * 60) * 60000;
  f->visit = store_create_visit (f->store, f->patient, f->provider, f->start_ms, &error);
  g_assert_no_error (error);
}

static void
fx_tear_down (Fx *f, gconstpointer data)
{
  (void) data;
  notify_free (f->notify);
  th_config_free (f->config);
  g_free (f->provider);
  g_free (f->patient);
  g_free (f->visit);
  store_fixture_close (f->store, f->dir, f->path);
}

/* The visit's messages of `kind` on `channel` in `state`. */
static GPtrArray *
rows_of (Fx *f, const char *channel, const char *kind, const char *state)
{
  GError *error = NULL;
  GPtrArray *all = store_outbox_list_visit (f->store, f->visit, &error);
  GPtrArray *out = g_ptr_array_new_with_free_func (store_outbox_message_free);

  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++) {
    StoreOutboxMessage *m = g_ptr_array_index (all, i);
    if (g_strcmp0 (m->channel, channel) == 0 && g_strcmp0 (m->kind, kind) == 0 &&
        (!state || g_strcmp0 (m->state, state) == 0))
      g_ptr_array_add (out, g_ptr_array_steal_index (all, i--));
  }
  g_ptr_array_unref (all);
  return out;
}

/* The newest message of that kind, made as the sender would make it. */
static void
compose_one (Fx *f, const char *channel, const char *kind, NotifyMessage *out)
{
  GError *error = NULL;
  g_autoptr (GPtrArray) rows = rows_of (f, channel, kind, NULL);

  g_assert_cmpuint (rows->len, >=, 1);
  g_assert_true (notify_compose (f->notify, g_ptr_array_index (rows, rows->len - 1), out, &error));
  g_assert_no_error (error);
}

/* The text as a reader sees it: calendar lines unfolded (RFC 5545 3.1) and
 * each link's random token taken out, since a token may spell "mg" or "phq"
 * by chance. */
static char *
readable_words (const char *text)
{
  g_autoptr (GRegex) fold = g_regex_new ("\r?\n[ \t]", 0, 0, NULL);
  g_autoptr (GRegex) token = g_regex_new ("#token=[A-Za-z0-9_-]+", 0, 0, NULL);
  g_autofree char *unfolded = g_regex_replace_literal (fold, text, -1, 0, "", 0, NULL);
  g_autofree char *bare = g_regex_replace_literal (token, unfolded, -1, 0, "#token=", 0, NULL);

  return g_ascii_strdown (bare, -1);
}

static void
assert_nothing_clinical (const char *text)
{
  g_autofree char *lower = readable_words (text);

  for (guint i = 0; i < G_N_ELEMENTS (kClinical); i++)
    if (strstr (lower, kClinical[i]))
      g_error ("a message says \"%s\": %s", kClinical[i], text);
}

/* Checks the invitation's calendar as a calendar program reads it. */
static void
assert_ics (Fx *f, const char *ics, const char *method, int sequence, gint64 start_ms)
{
  icalcomponent *cal = icalparser_parse_string (ics);
  icalcomponent *ev;
  icalproperty *dtstart;
  g_autofree char *uid = g_strdup_printf ("%s@visits.lakeside.example", f->visit);
  struct icaltimetype t;
  icaltimezone *tz;

  g_assert_nonnull (cal);
  g_assert_cmpstr (icalproperty_method_to_string (icalcomponent_get_method (cal)), ==, method);
  ev = icalcomponent_get_first_component (cal, ICAL_VEVENT_COMPONENT);
  g_assert_nonnull (ev);
  g_assert_cmpstr (icalcomponent_get_uid (ev), ==, uid);
  g_assert_cmpint (icalcomponent_get_sequence (ev), ==, sequence);
  g_assert_cmpstr (icalcomponent_get_summary (ev), ==, "Video visit with Dr. Rivera");
  dtstart = icalcomponent_get_first_property (ev, ICAL_DTSTART_PROPERTY);
  g_assert_cmpstr (icalparameter_get_tzid (
                     icalproperty_get_first_parameter (dtstart, ICAL_TZID_PARAMETER)),
                   ==, "America/Los_Angeles");
  /* The VTIMEZONE the TZID names is in the file itself. */
  g_assert_nonnull (icalcomponent_get_timezone (cal, "America/Los_Angeles"));
  tz = icalcomponent_get_timezone (cal, "America/Los_Angeles");
  t = icalproperty_get_dtstart (dtstart);
  t.zone = tz;
  g_assert_cmpint ((gint64) icaltime_as_timet_with_zone (t, tz) * 1000, ==, start_ms);
  if (strcmp (method, "CANCEL") == 0) {
    g_assert_cmpint (icalcomponent_get_status (ev), ==, ICAL_STATUS_CANCELLED);
    g_assert_null (icalcomponent_get_first_property (ev, ICAL_URL_PROPERTY));
  } else {
    g_assert_cmpint (icalcomponent_get_status (ev), ==, ICAL_STATUS_CONFIRMED);
    g_assert_nonnull (icalcomponent_get_first_property (ev, ICAL_URL_PROPERTY));
  }
  assert_nothing_clinical (ics);
  icalcomponent_free (cal);
}

/* Moves the visit behind the API's back (the move route is another part's). */
static void
move_visit (Fx *f, gint64 to_ms)
{
  g_autofree char *at = th_iso_from_ms (to_ms);
  g_autofree char *sql = g_strdup_printf ("UPDATE visits SET scheduled_at = '%s' WHERE id = '%s'",
                                          at, f->visit);

  raw_exec (f->store, sql);
  f->start_ms = to_ms;
}

static void
test_booked_moved_cancelled (Fx *f, gconstpointer data)
{
  GError *error = NULL;
  NotifyMessage m = { 0 };
  guint queued = 0;
  g_autoptr (GPtrArray) reminders = NULL;

  (void) data;
  /* Booked: the invitation and two reminders, on both channels. */
  g_assert_true (notify_visit_changed (f->notify, f->visit, NOTIFY_BOOKED, &queued, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (queued, ==, 6);
  compose_one (f, "email", "invitation", &m);
  g_assert_cmpstr (m.method, ==, "REQUEST");
  g_assert_true (g_str_has_prefix (m.subject, "Video visit with Dr. Rivera, "));
  g_assert_nonnull (strstr (m.text, "Lakeside Psychiatry has booked a video visit for you"));
  g_assert_nonnull (strstr (m.text, "https://visits.lakeside.example/patient.html#token="));
  g_assert_nonnull (strstr (m.text, "(555) 010-0100"));
  assert_nothing_clinical (m.text);
  assert_ics (f, m.ics, "REQUEST", 0, f->start_ms);
  notify_message_clear (&m);
  compose_one (f, "sms", "invitation", &m);
  g_assert_null (m.ics);
  g_assert_true (
    g_str_has_prefix (m.text, "Lakeside Psychiatry: Video visit booked with Dr. Rivera"));
  assert_nothing_clinical (m.text);
  notify_message_clear (&m);

  /* Moved a day later: an update with SEQUENCE 1, the same UID; the old
   * reminders are withdrawn, new ones follow the new time. */
  move_visit (f, f->start_ms + 24 * HOUR);
  g_assert_true (notify_visit_changed (f->notify, f->visit, NOTIFY_MOVED, &queued, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (queued, ==, 6);
  compose_one (f, "email", "update", &m);
  g_assert_true (g_str_has_prefix (m.subject, "Moved: video visit with Dr. Rivera, "));
  assert_ics (f, m.ics, "REQUEST", 1, f->start_ms);
  notify_message_clear (&m);
  reminders = rows_of (f, "email", "reminder", "withdrawn");
  g_assert_cmpuint (reminders->len, ==, 2);
  g_clear_pointer (&reminders, g_ptr_array_unref);
  reminders = rows_of (f, "email", "reminder", "pending");
  g_assert_cmpuint (reminders->len, ==, 2);
  for (guint i = 0; i < reminders->len; i++) {
    StoreOutboxMessage *r = g_ptr_array_index (reminders, i);
    g_assert_cmpint (r->due_at_ms, ==, f->start_ms - (gint64) r->reminder_minutes * MINUTE);
  }
  g_clear_pointer (&reminders, g_ptr_array_unref);
  /* A reminder made now says the new time. */
  compose_one (f, "email", "reminder", &m);
  g_assert_true (g_str_has_prefix (m.subject, "Reminder: video visit with Dr. Rivera, "));
  g_assert_null (m.ics);
  notify_message_clear (&m);

  /* Cancelled: METHOD:CANCEL with SEQUENCE 2, no link; no reminder left. */
  g_assert_true (notify_visit_changed (f->notify, f->visit, NOTIFY_CANCELLED, &queued, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (queued, ==, 2);
  compose_one (f, "email", "cancellation", &m);
  g_assert_cmpstr (m.method, ==, "CANCEL");
  g_assert_null (strstr (m.text, "token="));
  g_assert_nonnull (strstr (m.text, "is cancelled"));
  assert_ics (f, m.ics, "CANCEL", 2, f->start_ms);
  notify_message_clear (&m);
  compose_one (f, "sms", "cancellation", &m);
  g_assert_null (strstr (m.text, "token="));
  g_assert_nonnull (strstr (m.text, "Call (555) 010-0100"));
  notify_message_clear (&m);
  reminders = rows_of (f, "sms", "reminder", "pending");
  g_assert_cmpuint (reminders->len, ==, 0);
  g_clear_pointer (&reminders, g_ptr_array_unref);
  reminders = rows_of (f, "email", "update", "withdrawn");
  g_assert_cmpuint (reminders->len, ==, 1);
}

static void
test_no_channel (Fx *f, gconstpointer data)
{
  GError *error = NULL;
  guint queued = 9;

  (void) data;
  g_clear_pointer (&f->config->notify.sms_url, g_free);
  g_clear_pointer (&f->config->notify.mail_host, g_free);
  g_assert_false (notify_configured (f->notify));
  g_assert_true (notify_visit_changed (f->notify, f->visit, NOTIFY_BOOKED, &queued, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (queued, ==, 0);
}

/* A crash between the claim and the result: the row is sent again at the
 * next start, with its attempt counted; a retry is only for what did not
 * go. */
static void
test_claim_recover_retry (Fx *f, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  StoreOutboxMessage m = { 0 };
  gboolean claimed = FALSE;
  guint n = 0;
  gint64 now = th_clock_now_ms ();

  (void) data;
  g_assert_true (notify_visit_changed (f->notify, f->visit, NOTIFY_BOOKED, NULL, &error));
  rows = rows_of (f, "email", "invitation", "pending");
  g_assert_cmpuint (rows->len, ==, 1);
  const char *id = ((StoreOutboxMessage *) g_ptr_array_index (rows, 0))->id;
  g_assert_true (store_outbox_claim (f->store, id, now, &claimed, &error));
  g_assert_true (claimed);
  g_assert_true (store_outbox_claim (f->store, id, now, &claimed, &error));
  g_assert_false (claimed); /* no second sender takes it */
  g_assert_false (store_outbox_retry (f->store, id, now, &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_true (store_outbox_recover (f->store, now, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (store_outbox_get (f->store, id, &m, &error));
  g_assert_cmpstr (m.state, ==, "pending");
  g_assert_cmpuint (m.attempts, ==, 1);
  store_outbox_message_clear (&m);
  /* Fails for good after the last attempt; staff may send it again. */
  g_assert_true (store_outbox_claim (f->store, id, now, &claimed, &error));
  g_assert_true (store_outbox_finish (f->store, id, now, "The mail server refused the message.",
                                      now + MINUTE, TRUE, &error));
  g_assert_true (store_outbox_get (f->store, id, &m, &error));
  g_assert_cmpstr (m.state, ==, "failed");
  g_assert_cmpstr (m.last_error, ==, "The mail server refused the message.");
  store_outbox_message_clear (&m);
  g_assert_true (store_outbox_retry (f->store, id, now, &error));
  g_assert_true (store_outbox_get (f->store, id, &m, &error));
  g_assert_cmpstr (m.state, ==, "pending");
  g_assert_cmpuint (m.attempts, ==, 2);
  store_outbox_message_clear (&m);
  g_assert_no_error (error);
}

/* Loads `text` as a config file; NULL with the error when refused. */
static ThConfig *
config_from (const char *text, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("test-notify-conf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "telehealth.conf", NULL);
  ThConfig *c;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  c = th_config_load (path, error);
  g_remove (path);
  g_rmdir (dir);
  return c;
}

/* [mail], [sms], [notify]: the defaults, the reminders' forms, and what is
 * refused at start with words naming the key. */
static void
test_config (void)
{
  GError *error = NULL;
  ThConfig *c = th_config_load (NULL, &error);
  static const struct {
    const char *text, *says;
  } bad[] = {
    { "[mail]\nhost = mail.example.org\nsecurity = none\nfrom = a@b.example\n",
      "security = none is for a mail server on this machine only" },
    { "[mail]\nhost = mail.example.org\n", "[mail] from must be" },
    { "[mail]\nhost = 127.0.0.1\nfrom = a@b.example\nuser = x\n", "user and password go together" },
    { "[mail]\nsecurity = ssl\n", "[mail] security must be starttls, tls or none" },
    { "[sms]\nurl = http://sms.example.org/send\nsecret = 0123456789abcdef\n", "[sms] url" },
    { "[sms]\nurl = https://sms.example.org/send\nsecret = short\n", "[sms] secret" },
    { "[notify]\nreminders = 24x\n", "[notify] reminders" },
    { "[notify]\nreminders = 0m\n", "[notify] reminders" },
    { "[notify]\nmax_attempts = 0\n", "[notify] max_attempts" },
    { "[mail]\nhots = x\n", "[mail] hots is not a setting" },
  };

  g_assert_no_error (error);
  g_assert_null (c->notify.mail_host);
  g_assert_null (c->notify.sms_url);
  g_assert_cmpuint (c->notify.n_reminders, ==, 2);
  g_assert_cmpuint (c->notify.reminder_minutes[0], ==, 1440);
  g_assert_cmpuint (c->notify.reminder_minutes[1], ==, 60);
  g_assert_cmpuint (c->notify.max_attempts, ==, 8);
  th_config_free (c);
  c = config_from ("[clinic]\nname = Lakeside\n[mail]\nhost = ::1\nsecurity = tls\n"
                   "from = Lakeside <v@lakeside.example>\n[notify]\nreminders = 90m, 2d,1h\n",
                   &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->clinic_name, ==, "Lakeside");
  g_assert_cmpint (c->notify.mail_security, ==, TH_MAIL_TLS);
  g_assert_cmpuint (c->notify.mail_port, ==, 465);
  g_assert_cmpuint (c->notify.n_reminders, ==, 3);
  g_assert_cmpuint (c->notify.reminder_minutes[0], ==, 2 * 1440); /* largest first */
  g_assert_cmpuint (c->notify.reminder_minutes[1], ==, 90);
  g_assert_cmpuint (c->notify.reminder_minutes[2], ==, 60);
  th_config_free (c);
  c = config_from ("[notify]\nreminders =\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->notify.n_reminders, ==, 0);
  th_config_free (c);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    c = config_from (bad[i].text, &error);
    g_assert_null (c);
    g_assert_nonnull (error);
    if (!strstr (error->message, bad[i].says))
      g_error ("config %u: \"%s\" does not say \"%s\"", i, error->message, bad[i].says);
    g_clear_error (&error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/notify/config", test_config);
  g_test_add ("/notify/booked-moved-cancelled", Fx, NULL, fx_set_up, test_booked_moved_cancelled,
              fx_tear_down);
  g_test_add ("/notify/no-channel", Fx, NULL, fx_set_up, test_no_channel, fx_tear_down);
  g_test_add ("/notify/claim-recover-retry", Fx, NULL, fx_set_up, test_claim_recover_retry,
              fx_tear_down);
  return g_test_run ();
}
