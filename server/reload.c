/* reload.c — SIGHUP (`systemctl reload telehealthd`, the unit's
 * ExecReload): what can change while visits go on is read again from the
 * config file and put in place on the main loop, between two events, so no
 * visit is dropped (issue 17):
 *
 * - [consent]: the text patients agree to, its version, the decline phone;
 * - [ice]: the STUN/TURN servers browsers are given (new joins get them);
 * - [clinic] name, [mail], [sms], [notify]: how invitations and reminders go
 *   (a message being sent keeps the settings it was made with: jobs copy
 *   them);
 * - [log] level;
 * - the TLS certificate and key, read again from their files (a renewed
 *   certificate, e.g. by certbot): new connections get the new one.
 *
 * A file that does not read, or a certificate that does not load, changes
 * nothing and is logged. Everything else (the address, the data directory,
 * the media engine and ports, limits) takes effect at the next start.
 */
#define G_LOG_DOMAIN "th-server"

#include "server/app.h"

#include <libwebsockets.h>
#include <systemd/sd-daemon.h>

#define SWAP_STR(field)                                                                          \
  do {                                                                                           \
    char *old_ = live->field;                                                                    \
    live->field = fresh->field;                                                                  \
    fresh->field = old_;                                                                         \
  } while (0)

/* The TLS pair from its files into the vhosts that use them. */
static gboolean
reload_certificate (ThApp *app, GError **error)
{
  g_autofree char *cert = NULL, *key = NULL;
  gsize cert_len = 0, key_len = 0;

  if (!app->tls_cert_path || !app->lws)
    return TRUE;
  if (!g_file_get_contents (app->tls_cert_path, &cert, &cert_len, error) ||
      !g_file_get_contents (app->tls_key_path, &key, &key_len, error))
    return FALSE;
  if (lws_tls_cert_updated (app->lws, app->tls_cert_path, app->tls_key_path, cert, cert_len, key,
                            key_len) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s and %s do not make a certificate and its key", app->tls_cert_path,
                 app->tls_key_path);
    return FALSE;
  }
  return TRUE;
}

gboolean
th_reload (ThApp *app)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ThConfig) fresh = NULL;
  ThConfig *live = app->config;

  sd_notify (0, "RELOADING=1\nSTATUS=reading the configuration again");
  fresh = th_config_load (app->config_path, &error);
  if (!fresh) {
    g_warning ("reload: %s; nothing was changed", error->message);
    sd_notify (0, "READY=1\nSTATUS=serving (the last reload failed: see the log)");
    return FALSE;
  }
  /* The certificate first: if it does not load, nothing changes. */
  if (!reload_certificate (app, &error)) {
    g_warning ("reload: the TLS certificate: %s; nothing was changed", error->message);
    sd_notify (0, "READY=1\nSTATUS=serving (the last reload failed: see the log)");
    return FALSE;
  }
  SWAP_STR (consent_text);
  SWAP_STR (consent_version);
  SWAP_STR (consent_decline_phone);
  {
    ThIceConfig ice = live->ice;
    live->ice = fresh->ice;
    fresh->ice = ice;
  }
  {
    ThNotifyConfig notify = live->notify;
    live->notify = fresh->notify;
    fresh->notify = notify;
    SWAP_STR (clinic_name);
  }
  /* Said before the new level applies, which may keep such lines out. */
  g_message ("reloaded: consent version %s, the ICE servers, mail and text messages, the log "
             "level%s; other settings take effect at the next start",
             live->consent_version, app->tls_cert_path ? ", the TLS certificate" : "");
  live->log_level = fresh->log_level;
  th_log_start (live->log_level);
  sd_notify (0, "READY=1\nSTATUS=serving");
  return TRUE;
}
