/* sdp_check.c — what the relay checks in a client's SDP answer and ICE
 * candidates before handing them to webrtcbin. Pure functions of the text
 * (GStreamer's SDP parser aside: gst_init must have run), fuzzed by
 * tests/fuzz/fuzz_sdp.c. */
#include "media/media-private.h"

#include <string.h>

#define MAX_CANDIDATE_BYTES 1024

/* clang-format off */
G_DEFINE_QUARK (media-error-quark, media_error)
/* clang-format on */

gboolean
media_sdp_parse_answer (const char *sdp, guint expected_mlines, GstSDPMessage **out, GError **error)
{
  GstSDPMessage *msg = NULL;
  gboolean ok = FALSE;
  guint n;

  g_return_val_if_fail (sdp != NULL, FALSE);
  /* The parser is lenient (garbage parses into an empty message), so also
   * require a version line and media. It asserts on empty text (found by
   * fuzz_sdp: corpus/fuzz_sdp/crash-empty-answer). */
  if (sdp[0] == '\0' || gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK ||
      gst_sdp_message_get_version (msg) == NULL || gst_sdp_message_medias_len (msg) == 0) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP, "the answer is not an SDP message");
    goto out;
  }
  n = gst_sdp_message_medias_len (msg);
  if (n != expected_mlines) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the answer has %u m-lines, the offer had %u", n, expected_mlines);
    goto out;
  }
  for (guint i = 0; i < n; i++) {
    const char *media = gst_sdp_media_get_media (gst_sdp_message_get_media (msg, i));
    MediaMline layout;
    media_layout_mline (i, &layout);
    const char *want = layout.video ? "video" : "audio";
    if (media == NULL || strcmp (media, want) != 0) {
      g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                   "answer m-line %u is '%s', the offer had '%s'", i, media ? media : "", want);
      goto out;
    }
  }
  ok = TRUE;
  if (out)
    *out = g_steal_pointer (&msg);
out:
  if (msg != NULL)
    gst_sdp_message_free (msg);
  return ok;
}

gboolean
media_sdp_check_answer (const char *sdp, guint expected_mlines, GError **error)
{
  return media_sdp_parse_answer (sdp, expected_mlines, NULL, error);
}

gboolean
media_candidate_check (const char *candidate, guint mline, guint n_mlines, GError **error)
{
  g_auto (GStrv) fields = NULL;

  if (candidate == NULL || !g_str_has_prefix (candidate, "candidate:") ||
      strlen (candidate) > MAX_CANDIDATE_BYTES || mline >= MEDIA_MAX_MLINES ||
      (n_mlines != 0 && mline >= n_mlines)) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE,
                 "malformed ICE candidate or bad m-line %u", mline);
    return FALSE;
  }
  for (const char *p = candidate; *p != '\0'; p++) {
    if (*p == '\r' || *p == '\n' || (guchar) *p < 0x20) {
      g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE,
                   "ICE candidate contains control characters");
      return FALSE;
    }
  }
  fields = g_strsplit (candidate, " ", 0);
  if (g_strv_length (fields) < 8) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE, "ICE candidate has too few fields");
    return FALSE;
  }
  return TRUE;
}

gboolean
media_candidate_is_mdns (const char *candidate)
{
  g_auto (GStrv) fields = g_strsplit (candidate, " ", 6);

  return g_strv_length (fields) > 4 && g_str_has_suffix (fields[4], ".local");
}
