/* config.c — reading telehealth.conf (GKeyFile) into ThConfig. */
#include "server/config.h"
#include "server/clock/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

/* The consent a patient reads before a video visit when the clinic has not
 * written its own ([consent] text). Plain words, short sentences. */
#define TH_DEFAULT_CONSENT_TEXT                                                           \
  "This visit happens by video. Your provider will see and hear you, and you will see "   \
  "and hear them. The video is not recorded.\n"                                           \
  "Your provider writes notes about the visit in your health record, as in any visit.\n"  \
  "The connection is encrypted. As with anything on the internet, there is a small risk " \
  "that someone else could get access.\n"                                                 \
  "You can stop at any time and ask for a phone or in-person visit instead. Saying no "   \
  "will not change your care."

static ThConfig *
config_defaults (void)
{
  ThConfig *c = g_new0 (ThConfig, 1);

  c->listen_host = g_strdup ("127.0.0.1");
  c->listen_port = 8080;
  c->log_level = G_LOG_LEVEL_MESSAGE;
  c->data_dir = g_strdup ("data");
  c->web_root = g_strdup (TH_DEFAULT_WEB_ROOT);
  c->join_window_before_min = 120;
  c->join_window_after_min = 240;
  c->in_person_eval_months = 24;
  c->pdmp_max_days = 7; /* RX_PDMP_MAX_DAYS_DEFAULT: the clinic's policy */
  c->session_idle_s = 15 * 60;
  c->abandoned_end_s = 30 * 60;
  c->login_slowdown_after = 3;
  c->login_lockout_after = 10;
  c->login_lockout_min = 15;
  /* scrypt takes ~0.1 s of a core (password.c): two workers check ~20
   * passwords a second and leave the other cores to the visits. */
  c->signin_workers = 2;
  c->signin_queue = 16;
  c->signin_per_second = 10;
  c->signin_burst = 20;
  /* Enough that a slow statement or two leave the rest moving; each holds
   * a connection (a PostgreSQL server counts them). */
  c->store_workers = 4;
  /* A few seconds of REST calls at a slow database's pace: past that, a
   * "try again" at once is kinder than an answer a minute late. */
  c->store_queue = 256;
  c->reconnect_grace_s = 60;
  c->media_timeout_s = 20;
  c->max_frame_bytes = 64 * 1024;
  c->messages_per_second = 40;
  c->message_burst = 120;
  c->connections_per_address = 200;
  c->max_concurrent_visits = 200;
  c->max_participants = 4; /* patient, provider, two guests */
  c->http_body_bytes = 64 * 1024;
  c->send_queue_bytes = 2 * 1024 * 1024;
  c->hello_timeout_s = 10;
  c->body_timeout_s = 30;
  c->max_connections = 0; /* derived from the open-files limit (http.c) */
  c->catalog_path = g_strdup (TH_DEFAULT_CATALOG);
  c->monitoring_path = g_strdup (TH_DEFAULT_MONITORING);
  c->consent_text = g_strdup (TH_DEFAULT_CONSENT_TEXT);
  c->consent_version = g_strdup ("default-1");
  c->consent_decline_phone = g_strdup ("your clinic");
  /* US numbers: 911 for emergencies; 988, the Suicide & Crisis Lifeline
   * (call or text, 988lifeline.org, FCC 2020 designation). */
  c->emergency_number = g_strdup ("911");
  c->crisis_line = g_strdup ("988");
  c->crisis_line_name = g_strdup ("the 988 Suicide & Crisis Lifeline");
  th_date_parse ("2026-12-31", &c->policy_end);
  c->time_zone_name = g_strdup ("UTC");
  c->time_zone = g_time_zone_new_utc ();
  c->media.jitter_latency_ms = 0; /* no jitterbuffer: see media/leg.c */
  c->ice.turn_ttl_s = TH_ICE_DEFAULT_TTL_S;
  th_notify_config_defaults (c);
  follow_up_policy_default (&c->follow_up);
  return c;
}

/* Reads an optional string key; an absent key leaves *out as it was, an
 * empty value clears it when `empty_is_null`. */
static gboolean
read_string (GKeyFile *kf, const char *group, const char *key, char **out, gboolean empty_is_null,
             GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *v = g_key_file_get_string (kf, group, key, &local);

  if (!v) {
    if (g_error_matches (local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
        g_error_matches (local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
      return TRUE;
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  g_strstrip (v);
  g_free (*out);
  *out = (empty_is_null && v[0] == '\0') ? NULL : g_steal_pointer (&v);
  return TRUE;
}

static gboolean
read_uint (GKeyFile *kf, const char *group, const char *key, guint64 min, guint64 max, guint64 *out,
           const char *path, GError **error)
{
  g_autofree char *v = g_key_file_get_string (kf, group, key, NULL);

  if (!v)
    return TRUE;
  g_strstrip (v);
  if (!g_ascii_string_to_unsigned (v, 10, min, max, out, NULL)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [%s] %s = \"%s\" is not a whole number from %" G_GUINT64_FORMAT
                 " to %" G_GUINT64_FORMAT,
                 path, group, key, v, min, max);
    return FALSE;
  }
  return TRUE;
}

static const char *const known_keys[][2] = {
  { "server", "listen" },
  { "server", "data_dir" },
  { "server", "web_root" },
  { "server", "public_base_url" },
  { "clinic", "time_zone" },
  { "visits", "join_window_before_minutes" },
  { "visits", "join_window_after_minutes" },
  { "visits", "abandoned_end_minutes" },
  { "visits", "abandoned_end_seconds" },
  { "prescribing", "telemedicine_policy_end" },
  { "prescribing", "in_person_evaluation_months" },
  { "prescribing", "pdmp_max_days" },
  { "prescribing", "catalog" },
  { "prescribing", "monitoring" },
  { "security", "session_idle_minutes" },
  { "security", "session_idle_seconds" },
  { "security", "login_slowdown_after" },
  { "security", "login_lockout_after" },
  { "security", "login_lockout_minutes" },
  { "security", "signin_workers" },
  { "store", "workers" },
  { "store", "queue" },
  { "security", "signin_queue" },
  { "security", "signin_per_second" },
  { "security", "signin_burst" },
  { "visits", "reconnect_grace_seconds" },
  { "visits", "media_timeout_seconds" },
  { "limits", "max_frame_bytes" },
  { "limits", "messages_per_second" },
  { "limits", "message_burst" },
  { "limits", "connections_per_address" },
  { "limits", "max_concurrent_visits" },
  { "limits", "max_participants_per_visit" },
  { "limits", "http_body_bytes" },
  { "limits", "send_queue_bytes" },
  { "limits", "hello_timeout_seconds" },
  { "limits", "body_timeout_seconds" },
  { "limits", "max_connections" },
  { "consent", "text" },
  { "consent", "version" },
  { "consent", "decline_phone" },
  { "clinic", "phone" },
  { "clinic", "emergency_number" },
  { "clinic", "crisis_line" },
  { "clinic", "crisis_line_name" },
  { "tls", "certificate" },
  { "tls", "private_key" },
  { "tls", "self_signed" },
  { "media", "engine" },
  { "media", "ice_addresses" },
  { "media", "stun_server" },
  { "media", "jitter_latency_ms" },
  { "media", "port_min" },
  { "media", "port_max" },
  { "log", "level" },
  { "metrics", "listen" },
  { "metrics", "token_sha256" },
};

/* A misspelt key would otherwise be ignored in silence. */
static gboolean
check_known_keys (GKeyFile *kf, const char *path, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);

  for (guint g = 0; groups[g]; g++) {
    g_auto (GStrv) keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
    for (guint k = 0; keys && keys[k]; k++) {
      gboolean known = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (known_keys) && !known; i++)
        known = strcmp (known_keys[i][0], groups[g]) == 0 &&
                strcmp (known_keys[i][1], keys[k]) == 0;
      for (guint i = 0; th_notify_config_keys[i][0] && !known; i++)
        known = strcmp (th_notify_config_keys[i][0], groups[g]) == 0 &&
                strcmp (th_notify_config_keys[i][1], keys[k]) == 0;
      for (guint i = 0; i < FOLLOW_UP_N_RULES && !known; i++)
        known = strcmp (groups[g], "follow_up") == 0 &&
                strcmp (follow_up_rule_key ((FollowUpRule) i), keys[k]) == 0;
      for (guint i = 0; th_store_config_keys[i][0] && !known; i++)
        known = strcmp (th_store_config_keys[i][0], groups[g]) == 0 &&
                strcmp (th_store_config_keys[i][1], keys[k]) == 0;
      for (guint i = 0; th_ice_config_keys[i] && !known; i++)
        known = strcmp (groups[g], "ice") == 0 && strcmp (th_ice_config_keys[i], keys[k]) == 0;
      if (!known) {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                     "%s: [%s] %s is not a setting telehealthd knows", path, groups[g], keys[k]);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* [consent]: the text may be long; "\n" in it starts a new paragraph. An
 * empty value keeps the built-in one, so the group can be left out. */
static gboolean
read_consent (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  static const struct {
    const char *key;
    gsize offset;
    glong max;
  } keys[] = {
    { "text", G_STRUCT_OFFSET (ThConfig, consent_text), 8000 },
    { "version", G_STRUCT_OFFSET (ThConfig, consent_version), 64 },
    { "decline_phone", G_STRUCT_OFFSET (ThConfig, consent_decline_phone), 200 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    char **field = G_STRUCT_MEMBER_P (c, keys[i].offset);
    g_autofree char *v = NULL;
    if (!read_string (kf, "consent", keys[i].key, &v, TRUE, error))
      return FALSE;
    if (!v)
      continue;
    if (!g_utf8_validate (v, -1, NULL) || g_utf8_strlen (v, -1) > keys[i].max) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [consent] %s must be UTF-8 text of at most %ld characters", path,
                   keys[i].key, keys[i].max);
      return FALSE;
    }
    g_free (*field);
    *field = g_steal_pointer (&v);
  }
  return TRUE;
}

/* [clinic] crisis numbers: shown to a patient who answered PHQ-9 item 9 above
 * 0, and to the provider. An empty value keeps the built-in one. */
static gboolean
read_clinic_safety (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  static const struct {
    const char *key;
    gsize offset;
    glong max;
  } keys[] = {
    { "emergency_number", G_STRUCT_OFFSET (ThConfig, emergency_number), 32 },
    { "crisis_line", G_STRUCT_OFFSET (ThConfig, crisis_line), 32 },
    { "crisis_line_name", G_STRUCT_OFFSET (ThConfig, crisis_line_name), 120 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    char **field = G_STRUCT_MEMBER_P (c, keys[i].offset);
    g_autofree char *v = NULL;
    if (!read_string (kf, "clinic", keys[i].key, &v, TRUE, error))
      return FALSE;
    if (!v)
      continue;
    if (!g_utf8_validate (v, -1, NULL) || g_utf8_strlen (v, -1) > keys[i].max) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [clinic] %s must be text of at most %ld characters", path, keys[i].key,
                   keys[i].max);
      return FALSE;
    }
    g_free (*field);
    *field = g_steal_pointer (&v);
  }
  return TRUE;
}

/* [clinic] phone: the number a patient calls when their link does not work
 * (shown as a tel: link, so only what a phone dials: digits, spaces, "+",
 * "(", ")", "-", "."; at least three digits). */
static gboolean
read_clinic_phone (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *v = NULL;
  guint digits = 0;
  gboolean ok;

  if (!read_string (kf, "clinic", "phone", &v, TRUE, error))
    return FALSE;
  if (!v)
    return TRUE;
  ok = strlen (v) <= 32;
  for (const char *q = v; ok && *q; q++) {
    digits += g_ascii_isdigit (*q) ? 1 : 0;
    ok = g_ascii_isdigit (*q) || strchr (" +()-.", *q) != NULL;
  }
  if (!ok || digits < 3) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [clinic] phone = \"%s\" is not a phone number as a patient dials it, "
                 "e.g. (555) 010-0100 or +1 555 010 0100 (digits, spaces, + ( ) - . only)",
                 path, v);
    return FALSE;
  }
  g_free (c->clinic_phone);
  c->clinic_phone = g_steal_pointer (&v);
  return TRUE;
}

/* [clinic] time_zone: an IANA name. GLib falls back to UTC for a name it
 * cannot find; a clinic in New York must not silently run on UTC dates, so
 * an unknown name stops the start. And its phone. */
static gboolean
read_clinic (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *name = NULL;
  GTimeZone *tz;

  if (!read_clinic_phone (kf, c, path, error) ||
      !read_string (kf, "clinic", "time_zone", &name, TRUE, error))
    return FALSE;
  if (!name)
    return TRUE;
  tz = g_time_zone_new_identifier (name);
  if (!tz) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [clinic] time_zone = \"%s\" is not a time zone this machine knows; use "
                 "an IANA name such as America/New_York or Europe/Paris (see "
                 "/usr/share/zoneinfo)",
                 path, name);
    return FALSE;
  }
  g_time_zone_unref (c->time_zone);
  c->time_zone = tz;
  g_free (c->time_zone_name);
  c->time_zone_name = g_steal_pointer (&name);
  return TRUE;
}

/* [server]: where to listen, keep data, find the web root, and link to. */
static gboolean
read_server (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *listen = NULL, *web_root = NULL;

  if (!read_string (kf, "server", "listen", &listen, TRUE, error))
    return FALSE;
  if (listen) {
    g_autofree char *what = g_strdup_printf ("%s: [server] listen", path);
    if (!th_config_set_listen (c, listen, what, error))
      return FALSE;
  }
  if (!read_string (kf, "server", "data_dir", &c->data_dir, FALSE, error) ||
      !read_string (kf, "server", "web_root", &web_root, TRUE, error) ||
      !read_string (kf, "server", "public_base_url", &c->public_base_url, TRUE, error))
    return FALSE;
  if (c->data_dir[0] == '\0') {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [server] data_dir must name a folder", path);
    return FALSE;
  }
  if (web_root) {
    g_free (c->web_root);
    c->web_root = g_steal_pointer (&web_root);
  }
  if (c->public_base_url) {
    gsize n = strlen (c->public_base_url);
    if (!(g_str_has_prefix (c->public_base_url, "https://") ||
          g_str_has_prefix (c->public_base_url, "http://")) ||
        strchr (c->public_base_url, '#')) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [server] public_base_url = \"%s\" must start with https:// or http://",
                   path, c->public_base_url);
      return FALSE;
    }
    while (n > 0 && c->public_base_url[n - 1] == '/')
      c->public_base_url[--n] = '\0'; /* links add their own "/" */
  }
  return TRUE;
}

/* [visits] join window. */
static gboolean
read_join_window (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  guint64 v;

  v = c->join_window_before_min;
  if (!read_uint (kf, "visits", "join_window_before_minutes", 0, 7 * 24 * 60, &v, path, error))
    return FALSE;
  c->join_window_before_min = (guint) v;
  v = c->join_window_after_min;
  if (!read_uint (kf, "visits", "join_window_after_minutes", 1, 7 * 24 * 60, &v, path, error))
    return FALSE;
  c->join_window_after_min = (guint) v;
  /* Minutes for people; seconds, which win when both are set, for tests. */
  v = c->abandoned_end_s / 60;
  if (!read_uint (kf, "visits", "abandoned_end_minutes", 1, 24 * 60, &v, path, error))
    return FALSE;
  c->abandoned_end_s = (guint) v * 60;
  v = c->abandoned_end_s;
  if (!read_uint (kf, "visits", "abandoned_end_seconds", 1, 24 * 3600, &v, path, error))
    return FALSE;
  c->abandoned_end_s = (guint) v;
  return TRUE;
}

/* [prescribing]: the telemedicine policy end, the catalog, the in-person rule. */
static gboolean
read_prescribing (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *policy_end = NULL, *catalog = NULL, *monitoring = NULL;
  guint64 v;

  if (!read_string (kf, "prescribing", "telemedicine_policy_end", &policy_end, TRUE, error) ||
      !read_string (kf, "prescribing", "catalog", &catalog, TRUE, error) ||
      !read_string (kf, "prescribing", "monitoring", &monitoring, TRUE, error))
    return FALSE;
  if (policy_end && !th_date_parse (policy_end, &c->policy_end)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [prescribing] telemedicine_policy_end = \"%s\" is not a date "
                 "YYYY-MM-DD",
                 path, policy_end);
    return FALSE;
  }
  if (catalog) {
    g_autofree char *dir = g_path_get_dirname (path);
    g_free (c->catalog_path);
    /* A relative catalog path is taken from the config file's folder. */
    c->catalog_path = g_path_is_absolute (catalog) ? g_steal_pointer (&catalog)
                                                   : g_build_filename (dir, catalog, NULL);
  }
  if (monitoring) {
    g_autofree char *dir = g_path_get_dirname (path);
    g_free (c->monitoring_path);
    c->monitoring_path = g_path_is_absolute (monitoring) ? g_steal_pointer (&monitoring)
                                                         : g_build_filename (dir, monitoring, NULL);
  }
  v = c->in_person_eval_months;
  if (!read_uint (kf, "prescribing", "in_person_evaluation_months", 1, 120, &v, path, error))
    return FALSE;
  c->in_person_eval_months = (guint) v;
  v = c->pdmp_max_days;
  if (!read_uint (kf, "prescribing", "pdmp_max_days", 1, 90, &v, path, error))
    return FALSE;
  c->pdmp_max_days = (guint) v;
  return TRUE;
}

/* The numeric limits of [security], [visits], [limits] and [store], each with its range. */
static gboolean
read_limits (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  guint64 v;

  {
    static const struct {
      const char *key;
      guint min, max;
      gsize offset;
    } uints[] = {
      { "login_slowdown_after", 1, 100, G_STRUCT_OFFSET (ThConfig, login_slowdown_after) },
      { "login_lockout_after", 2, 1000, G_STRUCT_OFFSET (ThConfig, login_lockout_after) },
      { "login_lockout_minutes", 1, 24 * 60, G_STRUCT_OFFSET (ThConfig, login_lockout_min) },
      { "signin_workers", 1, 64, G_STRUCT_OFFSET (ThConfig, signin_workers) },
      { "signin_queue", 0, 10000, G_STRUCT_OFFSET (ThConfig, signin_queue) },
      { "signin_per_second", 1, 10000, G_STRUCT_OFFSET (ThConfig, signin_per_second) },
      { "signin_burst", 1, 100000, G_STRUCT_OFFSET (ThConfig, signin_burst) },
    };
    for (guint i = 0; i < G_N_ELEMENTS (uints); i++) {
      guint *field = G_STRUCT_MEMBER_P (c, uints[i].offset);
      v = *field;
      if (!read_uint (kf, "security", uints[i].key, uints[i].min, uints[i].max, &v, path, error))
        return FALSE;
      *field = (guint) v;
    }
  }
  {
    static const struct {
      const char *group, *key;
      guint min, max;
      gsize offset;
    } more[] = {
      { "visits", "reconnect_grace_seconds", 1, 3600,
        G_STRUCT_OFFSET (ThConfig, reconnect_grace_s) },
      { "visits", "media_timeout_seconds", 0, 600, G_STRUCT_OFFSET (ThConfig, media_timeout_s) },
      /* The protocol's own ceiling is 64 KiB: a larger frame is never valid. */
      { "limits", "max_frame_bytes", 1024, 64 * 1024, G_STRUCT_OFFSET (ThConfig, max_frame_bytes) },
      { "limits", "messages_per_second", 1, 10000,
        G_STRUCT_OFFSET (ThConfig, messages_per_second) },
      { "limits", "message_burst", 1, 100000, G_STRUCT_OFFSET (ThConfig, message_burst) },
      { "limits", "connections_per_address", 1, 100000,
        G_STRUCT_OFFSET (ThConfig, connections_per_address) },
      { "limits", "max_concurrent_visits", 1, 100000,
        G_STRUCT_OFFSET (ThConfig, max_concurrent_visits) },
      { "limits", "max_participants_per_visit", 2, 6,
        G_STRUCT_OFFSET (ThConfig, max_participants) },
      { "limits", "http_body_bytes", 1024, 16 * 1024 * 1024,
        G_STRUCT_OFFSET (ThConfig, http_body_bytes) },
      { "limits", "send_queue_bytes", 64 * 1024, 256 * 1024 * 1024,
        G_STRUCT_OFFSET (ThConfig, send_queue_bytes) },
      { "limits", "hello_timeout_seconds", 1, 600, G_STRUCT_OFFSET (ThConfig, hello_timeout_s) },
      { "limits", "body_timeout_seconds", 1, 3600, G_STRUCT_OFFSET (ThConfig, body_timeout_s) },
      { "limits", "max_connections", 0, 10000000, G_STRUCT_OFFSET (ThConfig, max_connections) },
      { "store", "workers", 1, 64, G_STRUCT_OFFSET (ThConfig, store_workers) },
      { "store", "queue", 1, 100000, G_STRUCT_OFFSET (ThConfig, store_queue) },
    };
    for (guint i = 0; i < G_N_ELEMENTS (more); i++) {
      guint *field = G_STRUCT_MEMBER_P (c, more[i].offset);
      v = *field;
      if (!read_uint (kf, more[i].group, more[i].key, more[i].min, more[i].max, &v, path, error))
        return FALSE;
      *field = (guint) v;
    }
  }
  /* Minutes for people; seconds, which win when both are set, for tests. */
  v = c->session_idle_s / 60;
  if (!read_uint (kf, "security", "session_idle_minutes", 1, 24 * 60, &v, path, error))
    return FALSE;
  c->session_idle_s = (guint) v * 60;
  v = c->session_idle_s;
  if (!read_uint (kf, "security", "session_idle_seconds", 1, 24 * 3600, &v, path, error))
    return FALSE;
  c->session_idle_s = (guint) v;
  return TRUE;
}

/* [follow_up]: the weeks to the next follow-up, per rule (records.h). */
static gboolean
read_follow_up (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  for (guint i = 0; i < FOLLOW_UP_N_RULES; i++) {
    guint64 v = c->follow_up.weeks[i];
    if (!read_uint (kf, "follow_up", follow_up_rule_key ((FollowUpRule) i), 1, FOLLOW_UP_MAX_WEEKS,
                    &v, path, error))
      return FALSE;
    c->follow_up.weeks[i] = (guint) v;
  }
  return TRUE;
}

/* [tls]: a certificate and its key go together. */
static gboolean
read_tls (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  if (!read_string (kf, "tls", "certificate", &c->tls_certificate, TRUE, error) ||
      !read_string (kf, "tls", "private_key", &c->tls_private_key, TRUE, error))
    return FALSE;
  if (g_key_file_has_key (kf, "tls", "self_signed", NULL)) {
    g_autoptr (GError) local = NULL;
    c->tls_self_signed = g_key_file_get_boolean (kf, "tls", "self_signed", &local);
    if (local) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [tls] self_signed must be true or false", path);
      return FALSE;
    }
  }
  if ((c->tls_certificate == NULL) != (c->tls_private_key == NULL)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [tls] certificate and private_key go together: set both or neither", path);
    return FALSE;
  }
  return TRUE;
}

/* [media] engine: the names media_engine_name gives (config.c is also built
 * into tests that do not link the media part, hence a table of its own). */
static gboolean
read_media_engine (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  static const struct {
    const char *name;
    MediaEngine engine;
  } engines[] = { { "lean", MEDIA_ENGINE_LEAN }, { "webrtcbin", MEDIA_ENGINE_WEBRTCBIN } };
  g_autofree char *name = NULL;
  if (!read_string (kf, "media", "engine", &name, TRUE, error))
    return FALSE;
  c->media.engine = MEDIA_ENGINE_DEFAULT;
  if (name == NULL)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (engines); i++) {
    if (g_strcmp0 (name, engines[i].name) == 0) {
      c->media.engine = engines[i].engine;
      return TRUE;
    }
  }
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "%s: [media] engine = \"%s\": use lean or webrtcbin", path, name);
  return FALSE;
}

/* [log] level: error, critical, warning, message (the default), info, debug. */
static gboolean
read_log (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  /* Most important first, as GLib orders its levels. */
  static const struct {
    const char *name;
    GLogLevelFlags level;
  } levels[] = {
    { "error", G_LOG_LEVEL_ERROR },     { "critical", G_LOG_LEVEL_CRITICAL },
    { "warning", G_LOG_LEVEL_WARNING }, { "message", G_LOG_LEVEL_MESSAGE },
    { "info", G_LOG_LEVEL_INFO },       { "debug", G_LOG_LEVEL_DEBUG },
  };
  g_autofree char *name = NULL;
  if (!read_string (kf, "log", "level", &name, TRUE, error))
    return FALSE;
  c->log_level = G_LOG_LEVEL_MESSAGE;
  if (name == NULL)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (levels); i++)
    if (g_ascii_strcasecmp (name, levels[i].name) == 0) {
      c->log_level = levels[i].level;
      return TRUE;
    }
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "%s: [log] level = \"%s\": use error, critical, warning, message, info or debug",
               path, name);
  return FALSE;
}

/* [media]: the engine, ICE addresses, STUN, jitter buffer, the UDP port range. */
static gboolean
read_media (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *ice = NULL;
  guint64 v;

  if (!read_media_engine (kf, c, path, error))
    return FALSE;
  if (!read_string (kf, "media", "ice_addresses", &ice, TRUE, error) ||
      !read_string (kf, "media", "stun_server", &c->media.stun_server, TRUE, error))
    return FALSE;
  if (ice) {
    g_auto (GStrv) parts = g_strsplit_set (ice, ";, ", -1);
    GPtrArray *addrs = g_ptr_array_new ();
    for (guint i = 0; parts[i]; i++) {
      GInetAddress *a;
      if (parts[i][0] == '\0')
        continue;
      a = g_inet_address_new_from_string (parts[i]);
      if (!a) {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                     "%s: [media] ice_addresses: \"%s\" is not an IP address", path, parts[i]);
        g_ptr_array_free (addrs, TRUE);
        return FALSE;
      }
      g_object_unref (a);
      g_ptr_array_add (addrs, g_strdup (parts[i]));
    }
    g_ptr_array_add (addrs, NULL);
    c->media.ice_addresses = (gchar **) g_ptr_array_free (addrs, FALSE);
  }
  if (c->media.stun_server && !g_str_has_prefix (c->media.stun_server, "stun://")) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [media] stun_server = \"%s\" must look like stun://host:port", path,
                 c->media.stun_server);
    return FALSE;
  }
  v = c->media.jitter_latency_ms;
  if (!read_uint (kf, "media", "jitter_latency_ms", 0, 2000, &v, path, error))
    return FALSE;
  c->media.jitter_latency_ms = (guint) v;
  v = 0;
  if (!read_uint (kf, "media", "port_min", 0, 65535, &v, path, error))
    return FALSE;
  c->media.port_min = (guint16) v;
  v = 0;
  if (!read_uint (kf, "media", "port_max", 0, 65535, &v, path, error))
    return FALSE;
  c->media.port_max = (guint16) v;
  if ((c->media.port_min == 0) != (c->media.port_max == 0) ||
      c->media.port_min > c->media.port_max) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: [media] port_min and port_max must both be 0, or a range with "
                 "port_min <= port_max",
                 path);
    return FALSE;
  }
  return TRUE;
}

ThConfig *
th_config_load (const char *path, GError **error)
{
  g_autoptr (ThConfig) c = config_defaults ();
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  if (!path)
    return th_store_config_read (NULL, c, NULL, error) ? g_steal_pointer (&c) : NULL;
  c->source = g_strdup (path);
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error (error, "%s: ", path);
    return NULL;
  }
  if (!check_known_keys (kf, path, error))
    return NULL;

  if (!read_server (kf, c, path, error) || !read_clinic (kf, c, path, error) ||
      !read_join_window (kf, c, path, error) || !read_prescribing (kf, c, path, error) ||
      !read_limits (kf, c, path, error) || !read_consent (kf, c, path, error) ||
      !read_clinic_safety (kf, c, path, error) || !read_tls (kf, c, path, error) ||
      !read_media (kf, c, path, error) || !th_notify_config_read (kf, c, path, error) ||
      !read_follow_up (kf, c, path, error) || !read_log (kf, c, path, error) ||
      !th_metrics_config_read (kf, c, path, error) || !th_store_config_read (kf, c, path, error))
    return NULL;
  if (!th_ice_config_load (kf, path, &c->ice, error))
    return NULL;
  return g_steal_pointer (&c);
}

void
th_config_free (ThConfig *c)
{
  if (!c)
    return;
  g_free (c->source);
  g_free (c->listen_host);
  g_free (c->metrics_host);
  g_free (c->data_dir);
  g_free (c->web_root);
  g_free (c->public_base_url);
  g_free (c->catalog_path);
  g_free (c->monitoring_path);
  g_free (c->time_zone_name);
  if (c->time_zone)
    g_time_zone_unref (c->time_zone);
  g_free (c->tls_certificate);
  g_free (c->tls_private_key);
  g_free (c->consent_text);
  g_free (c->consent_version);
  g_free (c->consent_decline_phone);
  g_free (c->clinic_phone);
  g_free (c->emergency_number);
  g_free (c->crisis_line);
  g_free (c->crisis_line_name);
  g_strfreev (c->media.ice_addresses);
  g_free (c->media.stun_server);
  th_ice_config_clear (&c->ice);
  th_notify_config_clear (c);
  g_free (c->store_dsn);
  g_free (c->cluster_node_id);
  g_free (c->cluster_base_url);
  g_free (c);
}
