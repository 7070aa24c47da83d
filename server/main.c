/* main.c — telehealthd: parse flags and config, check GStreamer plugins,
 * open the store, wire signaling to the store, serve HTTP/WebSocket on the
 * GLib main loop until SIGTERM or SIGINT. */
#define G_LOG_DOMAIN "th-server"

#include "server/accounts/accounts.h"
#include "server/api/api.h"
#include "server/cli/cli.h"
#include "server/cluster/cluster.h"
#include "server/clock/clock.h"
#include "server/http/http.h"
#include "server/notify/notify.h"
#include "server/storepool/storepool.h"

#include <errno.h>
#include <string.h>
#include <locale.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gst/gst.h>

/* How long a statement on a store worker waits for another writer's lock
 * before failing STORE_ERROR_BUSY (503 "busy, try again"). */
#define STORE_WORKER_BUSY_MS 5000

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  ThApp *app = data;

  g_message ("stopping: telling every connection");
  th_service_stopping (app);
  /* Another node takes these visits in as their pages reconnect, without
   * waiting for the leases to expire. */
  th_cluster_stop (app->cluster);
  sig_hub_shutdown (app->hub);
  /* One more pass of the loop lets lws write the goodbyes. */
  g_timeout_add (200, quit_loop, app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_hangup (gpointer data)
{
  th_reload (data);
  return G_SOURCE_CONTINUE;
}

/* SIGTERM/SIGINT stop the server (goodbyes first), SIGHUP reloads. */
static void
run_until_stopped (ThApp *app)
{
  g_unix_signal_add (SIGTERM, on_signal, app);
  g_unix_signal_add (SIGINT, on_signal, app);
  g_unix_signal_add (SIGHUP, on_hangup, app);
  g_main_loop_run (app->loop);
}

/* The transport knows the REST API only through these. */
static void
handle_api (gpointer app, const ThHttpRequest *request, ThHttpResponse *response)
{
  th_api_handle (app, request, response);
}

static void
api_refused (gpointer app, const ThHttpRefusal *refusal)
{
  th_api_refused (app, refusal);
}

static void
api_uri_seen (gpointer app, const char *address, const char *uri)
{
  th_api_uri_seen (app, address, uri);
}

static void
metrics_refresh (gpointer app)
{
  th_metrics_refresh (app);
}

static const ThHttpHandler api_handler = {
  .handle = handle_api,
  .refused = api_refused,
  .uri_seen = api_uri_seen,
  .metrics_refresh = metrics_refresh,
};

/* Loads the medication catalog and copies it into the store, so orders
 * reference it by key and the store stays readable on its own. */
static gboolean
load_catalog (ThApp *app, GError **error)
{
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree StoreMedicationRow *rows = NULL;
  guint n;

  app->catalog = med_catalog_load (app->config->catalog_path, error);
  if (!app->catalog)
    return FALSE;
  /* The diary's side-effect lists and missed-dose alerts (diary.json)
   * live beside the catalog, else the built-in file is read; either way
   * they must cover every drug class of the catalog. */
  {
    g_autofree char *dir = g_path_get_dirname (app->config->catalog_path);
    g_autofree char *path = g_build_filename (dir, "diary.json", NULL);
    app->diary = diary_catalog_load (g_file_test (path, G_FILE_TEST_EXISTS) ? path
                                                                            : TH_DEFAULT_DIARY,
                                     app->catalog, error);
    if (!app->diary)
      return FALSE;
    /* The safety check's tables (interactions, diagnoses): beside the
     * catalog too, else the built-in ones. */
    app->rx = rx_tables_load (dir, TH_DEFAULT_CONFIG_DIR, app->catalog, error);
    if (!app->rx)
      return FALSE;
  }
  n = med_catalog_size (app->catalog);
  rows = g_new0 (StoreMedicationRow, n);
  for (guint i = 0; i < n; i++) {
    const Medication *m = med_catalog_get (app->catalog, i);
    GString *json = g_string_new ("[");
    for (guint k = 0; k < m->n_strengths; k++) {
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_printf (json, "%s%s", k ? "," : "",
                              g_ascii_dtostr (num, sizeof num, m->strengths[k]));
    }
    g_string_append_c (json, ']');
    g_ptr_array_add (texts, g_string_free (json, FALSE));
    rows[i] = (StoreMedicationRow) {
      m->id, m->name, m->rxnorm, m->drug_class, m->schedule, m->unit, g_ptr_array_index (texts, i)
    };
  }
  return store_sync_medications (app->store, rows, n, error);
}

/* admin set-dea / list-dea (admin_dea.c): read into file scope, so run()
 * stays one screen. */
static struct {
  char *staff, *state, *number, *schedules, *expires;
} dea_args;

static const GOptionEntry kDeaEntries[] = {
  { "staff", 0, 0, G_OPTION_ARG_STRING, &dea_args.staff,
    "admin set-dea, list-dea: the prescriber's staff id or username", "ID" },
  { "state", 0, 0, G_OPTION_ARG_STRING, &dea_args.state,
    "admin set-dea: the state of the DEA registration (USPS code, e.g. NY)", "XX" },
  { "number", 0, 0, G_OPTION_ARG_STRING, &dea_args.number,
    "admin set-dea: the DEA registration number (e.g. AB1234563)", "NUMBER" },
  { "schedules", 0, 0, G_OPTION_ARG_STRING, &dea_args.schedules,
    "admin set-dea: the schedules it covers, e.g. 2,2N,3,3N,4,5", "LIST" },
  { "expires", 0, 0, G_OPTION_ARG_STRING, &dea_args.expires, "admin set-dea: its last valid day",
    "YYYY-MM-DD" },
  { NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* admin backup / restore (admin_backup.c). */
static struct {
  char *to, *to_dir, *from;
  int keep;
} backup_args;

static const GOptionEntry kBackupEntries[] = {
  { "to", 0, 0, G_OPTION_ARG_FILENAME, &backup_args.to, "admin backup: the file to write", "FILE" },
  { "to-dir", 0, 0, G_OPTION_ARG_FILENAME, &backup_args.to_dir,
    "admin backup: write telehealth-<UTC time>.db into DIR (the systemd timer's way)", "DIR" },
  { "keep", 0, 0, G_OPTION_ARG_INT, &backup_args.keep,
    "admin backup --to-dir: keep only the newest N backups there", "N" },
  { "from", 0, 0, G_OPTION_ARG_FILENAME, &backup_args.from,
    "admin restore: the backup to restore (the server must be stopped)", "FILE" },
  { NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* `admin COMMAND` on the open store; opt holds the main flags, the rest
 * comes from the file-scope argument tables. */
static int
run_admin (ThApp *app, const char *command, ThAdminOptions *opt)
{
  if (g_strcmp0 (command, "migrate") == 0)
    return th_admin_migrate (app);
  if (g_strcmp0 (command, "backup") == 0)
    return th_admin_backup (app, backup_args.to, backup_args.to_dir, backup_args.keep);
  opt->staff = dea_args.staff;
  opt->state = dea_args.state;
  opt->number = dea_args.number;
  opt->schedules = dea_args.schedules;
  opt->expires = dea_args.expires;
  return th_admin_run (app, command, opt);
}

/* The command line: flags, the admin commands and the examples --help shows. */
static GOptionContext *
option_context_new (const GOptionEntry *entries)
{
  GOptionContext *ctx;

  ctx = g_option_context_new (
    "[admin add-staff|list-staff|disable-staff|enable-staff|"
    "reset-password|verify-audit|audit|set-dea|list-dea|backup|restore|migrate] - telehealth video-visit server");
  g_option_context_set_summary (
    ctx, "Serves the patient join page, the provider console, a REST API and the /signaling\n"
         "WebSocket, and relays the visit's audio and video itself ([media] engine).\n"
         "Flags override the config file; without --config the built-in defaults apply.");
  g_option_context_set_description (
    ctx,
    "Examples:\n"
    "  telehealthd --config config/telehealth.conf --demo\n"
    "  telehealthd --config /etc/telehealthd/telehealth.conf --listen 127.0.0.1:8443\n"
    "\n"
    "  telehealthd --data-dir data admin add-staff --username lee --name 'Dr. Lee' \\\n"
    "      --role psychiatrist\n"
    "  telehealthd --data-dir data admin add-staff --username kim --name 'Kim, PA-C' --role pa \\\n"
    "      --supervisor lee\n"
    "  telehealthd --data-dir data admin add-staff --username desk --name 'Front Desk' \\\n"
    "      --role scheduler\n"
    "  telehealthd --data-dir data admin list-staff\n"
    "  telehealthd --data-dir data admin disable-staff --username lee\n"
    "  telehealthd --data-dir data admin enable-staff --username lee\n"
    "  telehealthd --data-dir data admin reset-password --username lee\n"
    "  telehealthd --data-dir data admin verify-audit\n"
    "  telehealthd --data-dir data admin audit\n"
    "  telehealthd --data-dir data admin set-dea --staff lee --state NY --number AB1234563 \\\n"
    "      --schedules 2N,3N,4,5 --expires 2028-06-30\n"
    "  telehealthd --data-dir data admin list-dea --staff lee\n"
    "  telehealthd --data-dir data admin backup --to /var/backups/telehealth-2026-12-05.db\n"
    "  telehealthd --data-dir data admin backup --to-dir /var/backups/telehealth --keep 14\n"
    "  telehealthd --data-dir data admin restore --from /var/backups/telehealth-2026-12-05.db\n"
    "  TELEHEALTHD_DSN='host=db1 dbname=telehealth' telehealthd admin migrate\n"
    "\n"
    "admin add-staff creates a staff account with a generated password and prints one JSON\n"
    "line {staff_id, username, password}: the only time the password is shown. Passwords are\n"
    "never taken on the command line. list-staff prints one JSON object per staff member;\n"
    "disable-staff also signs the account out everywhere; reset-password prints\n"
    "{username, password} and signs the account out. verify-audit checks the audit log's hash\n"
    "chain and prints {chain_intact, rows, problem} (exit 1 when broken, naming the first\n"
    "broken row); audit prints the newest audit events, then that line. Every account change\n"
    "is written to the audit log. Exit 2: bad usage; 1: failure. The server may be running\n"
    "meanwhile, except for restore. backup writes a consistent copy of the database while the\n"
    "server serves, checks it (SQLite's integrity check, the audit chain) and prints\n"
    "{backup, bytes, schema_version, audit_rows, checked}. restore checks the backup the same\n"
    "way, refuses while a server runs on the data directory, and keeps the database it\n"
    "replaces beside it as telehealth.db.before-restore-<time>.\n"
    "On PostgreSQL ([store] backend), migrate brings the shared schema up to date after an\n"
    "upgrade (a server sets up an empty database but never upgrades one itself) and prints\n"
    "{backend, schema_version}; back up with pg_dump instead of backup and restore.\n"
    "\n"
    "Stop with SIGTERM or Ctrl-C: connected clients are told, visits are kept.\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_main_entries (ctx, kDeaEntries, NULL);
  g_option_context_add_main_entries (ctx, kBackupEntries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  return ctx;
}

/* Starts the server's one clock; a test clock is said loudly in the log. */
static gboolean
start_clock (GError **error)
{
  gboolean test_clock = FALSE;

  if (!th_clock_init (&test_clock, error))
    return FALSE;
  if (test_clock) {
    g_autofree char *at = th_iso_from_ms (th_clock_now_ms ());
    g_warning ("TEST CLOCK in force (TELEHEALTHD_TEST_NOW): the server's time is %s, "
               "not the real time; never use this build for patients",
               at ? at : "out of range");
  }
  return TRUE;
}

/* Wires signaling to the app and serves HTTP and WebSockets (and the demo's
 * links) until the loop runs. */
static gboolean
serve (ThApp *app, gboolean demo, GError **error)
{
  ThConfig *config = app->config;

  app->loop = g_main_loop_new (NULL, FALSE);
  /* The loop carries every visit's signaling: a statement it still runs
   * itself (what is left on it, see docs/architecture.md) must not wait
   * seconds for another writer. WAL lets reads go on under a writer; a
   * write waits at most this long, and otherwise fails STORE_ERROR_BUSY,
   * answered 503 "busy, try again" — a retry beats a frozen visit. */
  store_set_busy_timeout (app->store, 50);
  /* Before the workers: their connections copy the store's sink. */
  th_events_start (app);
  /* The REST calls run on the store's workers, each on its own connection:
   * there a statement may wait for a writer (the admin CLI, a backup, a
   * slow database) as long as a person waits for a page, since nothing
   * else waits on that thread. */
  app->pool = th_store_pool_new (app->store, config->store_workers, STORE_WORKER_BUSY_MS);
  th_store_pool_set_queue_limit (app->pool, config->store_queue);
  app->signin = th_signin_gate_new (config->signin_workers, config->signin_queue,
                                    config->signin_per_second, config->signin_burst);
  app->hub = sig_hub_new (th_signaling_hooks (), app, &config->media);
  sig_hub_set_limits (app->hub, &(SigLimits) {
                                  .grace_s = config->reconnect_grace_s,
                                  .media_timeout_s = config->media_timeout_s,
                                  .max_visits = config->max_concurrent_visits,
                                  .max_participants = config->max_participants,
                                });
  app->ws_per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Before any socket: a non-loopback address without TLS must not serve. */
  if (!th_tls_prepare (config, &app->tls_cert_path, &app->tls_key_path, error))
    return FALSE;
  /* Every connection is a descriptor: the soft limit (often 1,024) is
   * raised to the hard one before lws sizes its tables by it. */
  g_message ("open-files limit: %u", th_http_raise_file_limit ());
  if (!th_http_start (app, &api_handler, app, error))
    return FALSE;
  app->base_url = th_app_base_url (config, app->port, app->tls_cert_path != NULL);
  g_message ("telehealthd %s listening on %s://%s%s%s:%u", TH_VERSION,
             app->tls_cert_path ? "https" : "http", strchr (config->listen_host, ':') ? "[" : "",
             config->listen_host, strchr (config->listen_host, ':') ? "]" : "", app->port);
  g_message ("media engine: %s", media_engine_name (config->media.engine));
  /* With PostgreSQL, one node among several (before any hello is checked:
   * a claim needs this node's row). */
  app->cluster = th_cluster_start (app, error);
  if (!app->cluster && error && *error)
    return FALSE;
  if (demo && !th_demo_create (app, error))
    return FALSE;
  if (!th_abandoned_start (app, error)) {
    g_prefix_error (error, "visits in progress: ");
    return FALSE;
  }
  if (!th_no_show_start (app, error)) {
    g_prefix_error (error, "no-show sweep: ");
    return FALSE;
  }
  /* The outbox: what a crash left half-sent goes again, then whatever is
   * due (reminders due while the server was down included). */
  app->notify = notify_new (app->store, config, app->base_url);
  notify_set_pool (app->notify, app->pool);
  if (!notify_start (app->notify, error)) {
    g_prefix_error (error, "outbox: ");
    return FALSE;
  }
  if (!notify_configured (app->notify))
    g_message ("no [mail] host and no [sms] url: invitations and reminders are not sent");
  th_service_ready (app);
  return TRUE;
}

/* Sockets first (their close callbacks still reach the rooms), then the
 * rooms and their pipelines, then the store they record into. */
static void
app_clear (ThApp *app)
{
  /* The send in flight first (its result is written to the store), then
   * sockets (their close callbacks still reach the rooms), then the rooms
   * and their pipelines, then the store they record into. */
  /* The store's jobs first: each finishes and answers (its client may
   * still be there), with the hub and the sockets still in place. */
  /* The outbox's send in flight first: its result is written by a store
   * job, so the pool is still there. */
  if (app->notify)
    notify_stop (app->notify);
  g_clear_pointer (&app->pool, th_store_pool_free);
  th_events_stop (app);
  g_clear_pointer (&app->cluster, th_cluster_free);
  g_clear_pointer (&app->notify, notify_free);
  th_http_stop (app);
  g_clear_pointer (&app->hub, sig_hub_free);
  th_abandoned_stop (app);
  th_no_show_stop (app);
  g_clear_pointer (&app->ws_per_address, g_hash_table_unref);
  g_clear_pointer (&app->signin, th_signin_gate_free);
  g_clear_pointer (&app->store, store_close);
  g_clear_pointer (&app->rx, rx_tables_free);
  g_clear_pointer (&app->catalog, med_catalog_free);
  g_clear_pointer (&app->monitoring, monitoring_catalog_free);
  g_clear_pointer (&app->diary, diary_catalog_free);
  g_clear_pointer (&app->loop, g_main_loop_unref);
  g_free (app->base_url);
  g_free (app->config_path);
  g_free (app->tls_cert_path);
  g_free (app->tls_key_path);
}

/* The store the config names: the sqlite file in the data directory, or
 * PostgreSQL (config_store.c). */
static Store *
open_store (const ThConfig *config, const char *db_path, gboolean upgrade, GError **error)
{
  StoreTarget target = {
    .backend = config->store_postgresql ? STORE_BACKEND_POSTGRESQL : STORE_BACKEND_SQLITE,
    .path = db_path,
    .dsn = config->store_dsn,
    .upgrade = upgrade,
  };
  Store *store = store_open_target (&target, error);

  /* The DSN is not named: it may hold a password. */
  if (!store)
    g_prefix_error (error, "%s: ", config->store_postgresql ? "PostgreSQL store" : db_path);
  return store;
}

static int
run (int argc, char **argv)
{
  g_autofree char *config_path = NULL, *listen = NULL, *data_dir = NULL, *db_path = NULL;
  gboolean demo = FALSE, version = FALSE;
  g_autofree char *staff_name = NULL, *staff_role = NULL, *supervisor = NULL, *username = NULL;
  const char *admin_command = NULL;
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ThConfig) config = NULL;
  ThApp app = { 0 };
  int rc = 1;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read settings from FILE (a key file; see config/telehealth.conf)", "FILE" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      "Listen on HOST:PORT (overrides [server] listen; port 0 picks a free port)", "HOST:PORT" },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      "Keep the sqlite database in DIR (overrides [server] data_dir)", "DIR" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo,
      "Create a demo provider, patient and visit scheduled now; print their links, the last "
      "line on stdout being one JSON object {visit_id, patient_url, provider_url}",
      NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username,
      "admin add-staff, disable-staff, enable-staff, reset-password: the sign-in name "
      "(3..64 of a-z 0-9 . _ -)",
      "USERNAME" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &staff_name,
      "admin add-staff: the staff member's display name", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &staff_role,
      "admin add-staff: psychiatrist | pmhnp | pa | pcp | admin | scheduler (front desk)", "ROLE" },
    { "supervisor", 0, 0, G_OPTION_ARG_STRING, &supervisor,
      "admin add-staff: for a pa, the supervising psychiatrist's username (or staff id)",
      "USERNAME" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  setlocale (LC_ALL, "");
  ctx = option_context_new (entries);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "telehealthd: %s\nTry telehealthd --help\n", error->message);
    return 2;
  }
  if (version) {
    printf ("telehealthd %s\n", TH_VERSION);
    return 0;
  }
  if (argc > 1 && strcmp (argv[1], "admin") == 0 && argc == 3) {
    admin_command = argv[2];
  } else if (argc > 1) {
    fprintf (stderr, "telehealthd: unexpected argument \"%s\"\nTry telehealthd --help\n", argv[1]);
    return 2;
  }

  config = th_config_load (config_path, &error);
  if (!config)
    goto fail;
  th_log_start (config->log_level);
  app.config_path = g_strdup (config_path);
  if (!start_clock (&error))
    goto fail;
  if (listen && !th_config_set_listen (config, listen, "--listen", &error))
    goto fail;
  if (data_dir) {
    g_free (config->data_dir);
    config->data_dir = g_steal_pointer (&data_dir);
  }

  gst_init (NULL, NULL);
  if (!media_check_plugins (&error))
    goto fail;

  if (g_mkdir_with_parents (config->data_dir, 0700) != 0) {
    fprintf (stderr, "telehealthd: cannot create data directory %s: %s\n", config->data_dir,
             g_strerror (errno));
    return 1;
  }
  if (g_strcmp0 (admin_command, "restore") == 0) {
    rc = config->store_postgresql ? th_admin_restore_refused ()
                                  : th_admin_restore (config->data_dir, backup_args.from);
    goto out;
  }
  /* One server per data directory: a second one, or a restore, is refused
   * while this one serves (held until the process ends). */
  if (!admin_command && th_data_dir_lock (config->data_dir, &error) < 0)
    goto fail;
  db_path = g_build_filename (config->data_dir, "telehealth.db", NULL);
  app.config = config;
  if (!(app.store = open_store (config, db_path, g_strcmp0 (admin_command, "migrate") == 0,
                                &error)))
    goto fail;
  if (admin_command) {
    ThAdminOptions opt = { .name = staff_name, .role = staff_role, .supervisor = supervisor,
                           .username = username };
    rc = run_admin (&app, admin_command, &opt);
    goto out;
  }
  if (!load_catalog (&app, &error)) {
    g_prefix_error (&error, "medication catalog: ");
    goto fail;
  }
  /* The monitoring table names catalog ids: read after the catalog. */
  if (!(app.monitoring = monitoring_catalog_load (app.config->monitoring_path, app.catalog,
                                                  &error)))
    goto fail;
  if (!serve (&app, demo, &error))
    goto fail;

  run_until_stopped (&app);
  rc = 0;
  goto out;

fail:
  fprintf (stderr, "telehealthd: %s\n", error ? error->message : "failed to start");
out:
  app_clear (&app);
  return rc;
}

int
main (int argc, char **argv)
{
  int rc = run (argc, argv);
  gst_deinit ();
  return rc;
}
