/* plugins.c — the start-up check that GStreamer has every plugin the relay
 * needs, with an error that tells an operator which Debian package to install.
 */
#include "media/media-private.h"

typedef struct {
  const char *plugin;   /* GStreamer plugin name as the registry knows it */
  const char *provides; /* what we use it for, for the message */
  const char *package;  /* Debian package that ships it */
} RequiredPlugin;

static const RequiredPlugin required_plugins[] = {
  { "webrtc", "webrtcbin", "gstreamer1.0-plugins-bad" },
  { "nice", "ICE (nicesrc/nicesink)", "gstreamer1.0-nice" },
  { "dtls", "DTLS handshake", "gstreamer1.0-plugins-bad" },
  { "srtp", "SRTP encryption", "gstreamer1.0-plugins-bad" },
  { "rtpmanager", "rtpbin and the jitterbuffer", "gstreamer1.0-plugins-good" },
  { "vpx", "VP8", "gstreamer1.0-plugins-good" },
  { "opus", "Opus", "gstreamer1.0-plugins-base" },
};

gboolean
media_check_plugins (GError **error)
{
  /* The server may call this before anything else touched GStreamer. */
  if (!gst_is_initialized ()) {
    GError *init_error = NULL;
    if (!gst_init_check (NULL, NULL, &init_error)) {
      g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_MISSING_PLUGIN,
                   "GStreamer failed to initialize: %s", init_error->message);
      g_error_free (init_error);
      return FALSE;
    }
  }

  GstRegistry *registry = gst_registry_get ();
  GString *missing = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (required_plugins); i++) {
    const RequiredPlugin *req = &required_plugins[i];
    GstPlugin *plugin = gst_registry_find_plugin (registry, req->plugin);
    if (plugin != NULL) {
      gst_object_unref (plugin);
      continue;
    }
    if (missing == NULL)
      missing = g_string_new ("missing GStreamer plugins:");
    g_string_append_printf (missing, " '%s' (%s; install the Debian package %s)", req->plugin,
                            req->provides, req->package);
  }

  if (missing != NULL) {
    g_set_error_literal (error, MEDIA_ERROR, MEDIA_ERROR_MISSING_PLUGIN, missing->str);
    g_string_free (missing, TRUE);
    return FALSE;
  }
  return TRUE;
}
