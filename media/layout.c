/* layout.c — the fixed m-line layout every leg offers (media.h) and the
 * codec caps of each m-line.
 *
 * Why fixed: webrtcbin 1.22 cannot renegotiate, so a leg offers, once, every
 * m-line its client may ever receive on: its own three sendrecv m-lines
 * (microphone, camera, screen share) and one audio/video pair per further
 * remote participant. Unused m-lines simply carry nothing.
 *
 * Why a payload type per m-line: Chrome demultiplexes the streams of a
 * BUNDLE by the MID header extension, else by signalled SSRC, else by
 * payload type. webrtcbin 1.22 sends no MID extension; the SSRCs are
 * announced (a=ssrc, from the "ssrc" field of the codec preferences) and
 * unique payload types are the fallback that always works. The payload types
 * of what a client sends up (m0..m2) are the same on every leg, so the relay
 * can tell an incoming stream's meaning from its payload type alone.
 */
#include "media/media-private.h"

guint
media_layout_n_mlines (guint remote_slots)
{
  return 2 * remote_slots + 1;
}

void
media_layout_mline (guint mline, MediaMline *out)
{
  if (mline == 0) {
    *out = (MediaMline) { FALSE, MEDIA_SOURCE_MIC, 0, MEDIA_PT_OPUS, TRUE };
  } else if (mline == 1) {
    *out = (MediaMline) { TRUE, MEDIA_SOURCE_CAMERA, 0, MEDIA_PT_VP8, TRUE };
  } else if (mline == MEDIA_MLINE_SCREEN) {
    *out = (MediaMline) { TRUE, MEDIA_SOURCE_SCREEN, -1, MEDIA_PT_SCREEN, TRUE };
  } else {
    gint slot = 1 + (gint) (mline - 3) / 2;
    gboolean video = (mline - 3) % 2 == 1;
    *out = (MediaMline) { video, video ? MEDIA_SOURCE_CAMERA : MEDIA_SOURCE_MIC, slot,
                          video ? MEDIA_PT_SCREEN + (guint) slot : MEDIA_PT_OPUS + (guint) slot,
                          FALSE };
  }
}

guint
media_layout_slot_mline (guint slot, MediaSourceKind kind)
{
  guint video = kind == MEDIA_SOURCE_CAMERA;
  return slot == 0 ? video : 3 + 2 * (slot - 1) + video;
}

GstCaps *
media_layout_caps (guint mline, guint32 ssrc)
{
  MediaMline m;
  media_layout_mline (mline, &m);
  /* rtcp-fb-nack-pli: lets the receiving browser ask for keyframes (and our
   * force-key-unit become a PLI towards the sender). The transport-cc extmap
   * lets Chrome ramp its bitrate instead of crawling. */
  gchar *ext = g_strdup_printf ("extmap-%d", MEDIA_TWCC_EXT_ID);
  GstCaps *caps;
  if (!m.video)
    caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                "encoding-name", G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT,
                                (gint) m.pt, "clock-rate", G_TYPE_INT, 48000, "encoding-params",
                                G_TYPE_STRING, "2", ext, G_TYPE_STRING, MEDIA_TWCC_URI, NULL);
  else
    caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "video",
                                "encoding-name", G_TYPE_STRING, "VP8", "payload", G_TYPE_INT,
                                (gint) m.pt, "clock-rate", G_TYPE_INT, 90000, "rtcp-fb-nack-pli",
                                G_TYPE_BOOLEAN, TRUE, ext, G_TYPE_STRING, MEDIA_TWCC_URI, NULL);
  g_free (ext);
  /* webrtcbin writes a=ssrc lines for an "ssrc" field of the codec
   * preferences (_media_add_ssrcs), and the rewrite element stamps this
   * SSRC on what the m-line sends. */
  if (ssrc != 0)
    gst_caps_set_simple (caps, "ssrc", G_TYPE_UINT, ssrc, NULL);
  return caps;
}

gboolean
media_layout_source_for_pt (guint pt, MediaSourceKind *out)
{
  switch (pt) {
  case MEDIA_PT_OPUS:
    *out = MEDIA_SOURCE_MIC;
    return TRUE;
  case MEDIA_PT_VP8:
    *out = MEDIA_SOURCE_CAMERA;
    return TRUE;
  case MEDIA_PT_SCREEN:
    *out = MEDIA_SOURCE_SCREEN;
    return TRUE;
  default:
    return FALSE;
  }
}

guint
media_layout_rtx_pt (guint pt)
{
  return pt == MEDIA_PT_VP8 ? MEDIA_PT_VP8_RTX : pt == MEDIA_PT_SCREEN ? MEDIA_PT_SCREEN_RTX : 0;
}

gboolean
media_layout_source_for_rtx_pt (guint pt, MediaSourceKind *out)
{
  if (pt == MEDIA_PT_VP8_RTX)
    *out = MEDIA_SOURCE_CAMERA;
  else if (pt == MEDIA_PT_SCREEN_RTX)
    *out = MEDIA_SOURCE_SCREEN;
  else
    return FALSE;
  return TRUE;
}

guint32
media_layout_pick_ssrc (const guint32 *taken, guint n_taken)
{
  /* Unique and non-zero within the leg (a clash with the client's own
   * SSRCs is as unlikely as between any two RTP senders). */
  guint32 ssrc;
  do {
    ssrc = g_random_int ();
    for (guint i = 0; i < n_taken && ssrc != 0; i++)
      if (taken[i] == ssrc)
        ssrc = 0;
  } while (ssrc == 0);
  return ssrc;
}
