/* config_notify.c — the settings of the messages to patients (issue 13):
 * [clinic] name, [mail] (the clinic's SMTP server), [sms] (the clinic's
 * text-message gateway, a webhook) and [notify] (reminders, attempts).
 * server/notify sends with them; config/telehealth.conf documents each. */
#include "server/config.h"

#include <string.h>
#include <gio/gio.h>

const char *const th_notify_config_keys[][2] = {
  { "clinic", "name" },         { "mail", "host" },
  { "mail", "port" },           { "mail", "security" },
  { "mail", "user" },           { "mail", "password" },
  { "mail", "from" },           { "sms", "url" },
  { "sms", "secret" },          { "notify", "reminders" },
  { "notify", "max_attempts" }, { NULL, NULL },
};

void
th_notify_config_defaults (ThConfig *c)
{
  c->clinic_name = g_strdup ("Your clinic");
  c->notify.mail_port = 587;
  c->notify.mail_security = TH_MAIL_STARTTLS;
  /* A day before and an hour before (issue 13). */
  c->notify.reminder_minutes[0] = 24 * 60;
  c->notify.reminder_minutes[1] = 60;
  c->notify.n_reminders = 2;
  c->notify.max_attempts = 8;
}

void
th_notify_config_clear (ThConfig *c)
{
  ThNotifyConfig *n = &c->notify;

  g_free (c->clinic_name);
  g_free (n->mail_host);
  g_free (n->mail_user);
  if (n->mail_password)
    memset (n->mail_password, 0, strlen (n->mail_password));
  g_free (n->mail_password);
  g_free (n->mail_from);
  g_free (n->sms_url);
  if (n->sms_secret)
    memset (n->sms_secret, 0, strlen (n->sms_secret));
  g_free (n->sms_secret);
}

static gboolean
bad (GError **error, const char *path, const char *what)
{
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: %s", path, what);
  return FALSE;
}

/* The key's value, stripped; NULL when absent or empty. */
static char *
value (GKeyFile *kf, const char *group, const char *key)
{
  char *v = g_key_file_get_string (kf, group, key, NULL);

  if (v && g_strstrip (v)[0] == '\0')
    g_clear_pointer (&v, g_free);
  return v;
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (host);

  return g_strcmp0 (host, "localhost") == 0 || (a && g_inet_address_get_is_loopback (a));
}

/* "24h,1h", "90m", "1440" (minutes): each 1 minute to 30 days. */
static gboolean
read_reminders (GKeyFile *kf, ThNotifyConfig *n, const char *path, GError **error)
{
  g_autofree char *v = NULL;
  g_auto (GStrv) parts = NULL;
  guint count = 0;

  if (!g_key_file_has_key (kf, "notify", "reminders", NULL))
    return TRUE;
  v = value (kf, "notify", "reminders");
  parts = g_strsplit_set (v ? v : "", ", ", -1);
  for (guint i = 0; parts[i]; i++) {
    char *p = parts[i], *end = NULL;
    guint64 x;
    if (!*p)
      continue;
    x = g_ascii_strtoull (p, &end, 10);
    if (end == p || count == TH_NOTIFY_MAX_REMINDERS)
      goto fail;
    if (g_ascii_strcasecmp (end, "h") == 0)
      x *= 60;
    else if (g_ascii_strcasecmp (end, "d") == 0)
      x *= 24 * 60;
    else if (*end && g_ascii_strcasecmp (end, "m") != 0)
      goto fail;
    if (x < 1 || x > 30 * 24 * 60)
      goto fail;
    n->reminder_minutes[count++] = (guint) x;
  }
  n->n_reminders = count;
  /* Largest first: the day-before reminder is the first to go. */
  for (guint i = 1; i < count; i++)
    for (guint j = i; j > 0 && n->reminder_minutes[j] > n->reminder_minutes[j - 1]; j--) {
      guint t = n->reminder_minutes[j];
      n->reminder_minutes[j] = n->reminder_minutes[j - 1];
      n->reminder_minutes[j - 1] = t;
    }
  return TRUE;
fail:
  return bad (error, path,
              "[notify] reminders must be up to 8 times before the visit separated by commas, "
              "each like 24h, 90m or 2d (1 minute to 30 days), e.g. reminders = 24h,1h; empty "
              "for none");
}

static gboolean
read_mail (GKeyFile *kf, ThNotifyConfig *n, const char *path, GError **error)
{
  g_autofree char *security = value (kf, "mail", "security");
  g_autofree char *port = value (kf, "mail", "port");
  guint64 p;

  n->mail_host = value (kf, "mail", "host");
  n->mail_user = value (kf, "mail", "user");
  n->mail_password = value (kf, "mail", "password");
  n->mail_from = value (kf, "mail", "from");
  if (security && strcmp (security, "starttls") == 0)
    n->mail_security = TH_MAIL_STARTTLS;
  else if (security && strcmp (security, "tls") == 0)
    n->mail_security = TH_MAIL_TLS;
  else if (security && strcmp (security, "none") == 0)
    n->mail_security = TH_MAIL_NONE;
  else if (security)
    return bad (error, path, "[mail] security must be starttls, tls or none");
  n->mail_port = n->mail_security == TH_MAIL_TLS ? 465 : 587;
  if (port && !g_ascii_string_to_unsigned (port, 10, 1, 65535, &p, NULL))
    return bad (error, path, "[mail] port must be a port number from 1 to 65535");
  if (port)
    n->mail_port = (guint16) p;
  if (!n->mail_host)
    return TRUE;
  if (!n->mail_from || !strchr (n->mail_from, '@') || strpbrk (n->mail_from, "\r\n"))
    return bad (error, path,
                "[mail] from must be the address messages come from, e.g. "
                "Example Clinic <visits@clinic.example>");
  if ((n->mail_user == NULL) != (n->mail_password == NULL))
    return bad (error, path, "[mail] user and password go together: set both or neither");
  /* Without TLS the password and every message cross the network in
   * clear: only a server on this machine (a test's) may be spoken to so. */
  if (n->mail_security == TH_MAIL_NONE && !is_loopback_host (n->mail_host))
    return bad (error, path,
                "[mail] security = none is for a mail server on this machine only "
                "(127.0.0.1, ::1, localhost); use starttls or tls");
  return TRUE;
}

static gboolean
read_sms (GKeyFile *kf, ThNotifyConfig *n, const char *path, GError **error)
{
  g_autoptr (GUri) uri = NULL;

  n->sms_url = value (kf, "sms", "url");
  n->sms_secret = value (kf, "sms", "secret");
  if (!n->sms_url)
    return TRUE;
  uri = g_uri_parse (n->sms_url, G_URI_FLAGS_NONE, NULL);
  if (!uri || !g_uri_get_host (uri) ||
      !(g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 ||
        (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 &&
         is_loopback_host (g_uri_get_host (uri)))))
    return bad (error, path,
                "[sms] url must be the gateway's https:// address (http:// only for one on this "
                "machine)");
  if (!n->sms_secret || strlen (n->sms_secret) < 16)
    return bad (error, path,
                "[sms] secret must be set (at least 16 characters): every text message request "
                "is signed with it");
  return TRUE;
}

gboolean
th_notify_config_read (GKeyFile *kf, ThConfig *c, const char *path, GError **error)
{
  g_autofree char *name = value (kf, "clinic", "name");
  g_autofree char *attempts = value (kf, "notify", "max_attempts");
  guint64 v;

  if (name) {
    if (!g_utf8_validate (name, -1, NULL) || g_utf8_strlen (name, -1) > 100 ||
        strpbrk (name, "\r\n"))
      return bad (error, path, "[clinic] name must be one line of at most 100 characters");
    g_free (c->clinic_name);
    c->clinic_name = g_steal_pointer (&name);
  }
  if (attempts) {
    if (!g_ascii_string_to_unsigned (attempts, 10, 1, 50, &v, NULL))
      return bad (error, path, "[notify] max_attempts must be a whole number from 1 to 50");
    c->notify.max_attempts = (guint) v;
  }
  return read_mail (kf, &c->notify, path, error) && read_sms (kf, &c->notify, path, error) &&
         read_reminders (kf, &c->notify, path, error);
}
