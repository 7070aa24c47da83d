/* lean_sdp.c — the lean leg's offer and what it reads from the answer
 * (lean-private.h, "SDP").
 *
 * The offer is webrtcbin 1.22's offer for the same transceivers (leg.c:
 * codec preferences from media_layout_caps, an "ssrc" each, msid "slot<s>"
 * or "screen", max-bundle), line for line in the same order, so a browser
 * cannot tell the two engines apart. tests/unit/test_lean_sdp.c compares the
 * two m-line by m-line against a live webrtcbin. What webrtcbin writes, per
 * m-line:
 *
 *   m=video 0 UDP/TLS/RTP/SAVPF 96      (port 9 on m0, 0 + bundle-only after)
 *   c=IN IP4 0.0.0.0
 *   a=setup:actpass
 *   a=ice-ufrag:.. / a=ice-pwd:..
 *   a=bundle-only                        (not on m0)
 *   a=rtcp-mux / a=rtcp-rsize
 *   a=sendrecv                           (sendonly from m3 on)
 *   a=rtpmap:96 VP8/90000
 *   a=rtcp-fb:96 nack pli / ccm fir / transport-cc   (audio: transport-cc)
 *   a=extmap:3 <MEDIA_TWCC_URI>
 *   a=ssrc:N msid:slot0 <track id> / a=ssrc:N cname:<cname>
 *   a=mid:video1
 *   a=fingerprint:sha-256 ..
 *   a=rtcp-mux-only
 *
 * Deliberate differences from webrtcbin's offer (each a comment below too):
 * - a=rtcp-fb:<pt> nack on video: the lean leg answers a browser's generic
 *   NACKs from its packet cache (webrtcbin offers only "nack pli", so a
 *   browser never sent it one);
 * - RTX (RFC 4588: a=rtpmap:<rtx> rtx/90000, a=fmtp:<rtx> apt=<pt>) on the
 *   video m-lines a client sends on (camera 120 for 96, screen 121 for
 *   97): Chrome probes its bandwidth with padding, and without RTX it may
 *   pad only right after a frame's last packet, so its probes often never
 *   went out and its estimate stayed near its first probe (~900 kbit/s)
 *   for a whole visit. The lean leg takes the browser's retransmissions
 *   of packets it asked for and passes them on as the originals; the rest
 *   (the probes) only count for the transport-wide feedback. We never send
 *   RTX ourselves (a=fmtp apt only says what the payload type carries);
 * - the msid track id is "track<m>" rather than webrtcbin's transceiver
 *   object name ("webrtctransceiver<n>", a process-wide counter): the id is
 *   opaque to browsers and only has to be unique within the offer.
 * Kept as webrtcbin has it: port 9 on m0 only, 0 with a=bundle-only on the
 * others (RFC 8843's max-bundle offer; Chromium takes it, see
 * tests/integration/lean-sdp.test.mjs), a=rtcp-rsize and a=rtcp-mux-only.
 *
 * The answer side reads only what the lean leg needs to connect; each rule
 * (which m-line's transport, sha-256 first, candidates checked as trickled
 * ones are) is explained where it is applied.
 */
#include "media/lean-private.h"

#include <gst/sdp/sdp.h>
#include <string.h>

/* ---- the offer ---- */

static void
add_attr (GstSDPMedia *media, const char *key, const char *value)
{
  gst_sdp_media_add_attribute (media, key, value);
}

static void add_attr_printf (GstSDPMedia *media, const char *key, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static void
add_attr_printf (GstSDPMedia *media, const char *key, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  gchar *value = g_strdup_vprintf (format, args);
  va_end (args);
  gst_sdp_media_add_attribute (media, key, value);
  g_free (value);
}

/* The mid webrtcbin gives transceiver m: its kind and m-line index. */
static gchar *
mline_mid (guint m, const MediaMline *layout)
{
  return g_strdup_printf ("%s%u", layout->video ? "video" : "audio", m);
}

/* One m-line, attributes in webrtcbin's order (see the top). */
static GstSDPMedia *
offer_mline (const LeanOffer *offer, guint m, const char *mid)
{
  MediaMline layout;
  GstSDPMedia *media = NULL;
  guint pt;

  media_layout_mline (m, &layout);
  pt = layout.pt;
  gst_sdp_media_new (&media);
  gst_sdp_media_set_media (media, layout.video ? "video" : "audio");
  /* max-bundle, as webrtcbin writes it: only the first m-line has a port
   * (9, the discard port: ICE finds the real one); the others are 0 with
   * bundle-only, i.e. "only usable inside the BUNDLE". */
  gst_sdp_media_set_port_info (media, m == 0 ? 9 : 0, 1);
  gst_sdp_media_set_proto (media, "UDP/TLS/RTP/SAVPF");
  gst_sdp_media_add_connection (media, "IN", "IP4", "0.0.0.0", 0, 0);
  /* RTX on the video a client sends (see the top). */
  guint rtx = layout.video && layout.sendrecv ? media_layout_rtx_pt (pt) : 0;
  gchar *format = g_strdup_printf ("%u", pt);
  gst_sdp_media_add_format (media, format);
  g_free (format);
  if (rtx != 0) {
    format = g_strdup_printf ("%u", rtx);
    gst_sdp_media_add_format (media, format);
    g_free (format);
  }

  add_attr (media, "setup", "actpass");
  add_attr (media, "ice-ufrag", offer->ice_ufrag);
  add_attr (media, "ice-pwd", offer->ice_pwd);
  if (m != 0)
    add_attr (media, "bundle-only", NULL);
  add_attr (media, "rtcp-mux", NULL);
  add_attr (media, "rtcp-rsize", NULL);
  add_attr (media, layout.sendrecv ? "sendrecv" : "sendonly", NULL);
  if (layout.video) {
    add_attr_printf (media, "rtpmap", "%u VP8/90000", pt);
    /* Not in webrtcbin's offer: generic NACK, which the lean leg answers
     * from its cache of sent packets; it also lets us NACK the browser. */
    add_attr_printf (media, "rtcp-fb", "%u nack", pt);
    add_attr_printf (media, "rtcp-fb", "%u nack pli", pt);
    add_attr_printf (media, "rtcp-fb", "%u ccm fir", pt);
  } else {
    add_attr_printf (media, "rtpmap", "%u OPUS/48000/2", pt);
  }
  /* The lean leg sends transport-wide feedback (lean_twcc.c) for every
   * m-line, so the browser's bandwidth estimate ramps up. */
  add_attr_printf (media, "rtcp-fb", "%u transport-cc", pt);
  if (rtx != 0) {
    add_attr_printf (media, "rtpmap", "%u rtx/90000", rtx);
    add_attr_printf (media, "fmtp", "%u apt=%u", rtx, pt);
  }
  add_attr_printf (media, "extmap", "%d %s", MEDIA_TWCC_EXT_ID, MEDIA_TWCC_URI);
  /* msid "slot<s>" (or "screen") is the browser's MediaStream id: a remote
   * slot's audio and video share it, so they arrive as one stream
   * (ev.streams). The track id differs from webrtcbin's on purpose (top). */
  if (layout.slot < 0)
    add_attr_printf (media, "ssrc", "%u msid:screen track%u", offer->ssrc[m], m);
  else
    add_attr_printf (media, "ssrc", "%u msid:slot%d track%u", offer->ssrc[m], layout.slot, m);
  add_attr_printf (media, "ssrc", "%u cname:%s", offer->ssrc[m], offer->cname);
  add_attr (media, "mid", mid);
  add_attr (media, "fingerprint", offer->fingerprint);
  add_attr (media, "rtcp-mux-only", NULL);
  return media;
}

gchar *
lean_sdp_offer (const LeanOffer *offer, gchar **mids)
{
  GstSDPMessage *msg = NULL;
  GString *bundle = g_string_new ("BUNDLE");
  gchar *text;

  g_return_val_if_fail (offer != NULL && mids != NULL, NULL);
  g_return_val_if_fail (offer->n_mlines >= 3 && offer->n_mlines <= MEDIA_MAX_MLINES, NULL);
  gst_sdp_message_new (&msg);
  gst_sdp_message_set_version (msg, "0");
  gchar *session_id = g_strdup_printf ("%" G_GUINT64_FORMAT, offer->session_id);
  gst_sdp_message_set_origin (msg, "-", session_id, "0", "IN", "IP4", "0.0.0.0");
  g_free (session_id);
  gst_sdp_message_set_session_name (msg, "-");
  gst_sdp_message_add_time (msg, "0", "0", NULL);
  gst_sdp_message_add_attribute (msg, "ice-options", "trickle");

  for (guint m = 0; m < offer->n_mlines; m++) {
    MediaMline layout;
    media_layout_mline (m, &layout);
    mids[m] = mline_mid (m, &layout);
    g_string_append_printf (bundle, " %s", mids[m]);
    GstSDPMedia *media = offer_mline (offer, m, mids[m]);
    gst_sdp_message_add_media (msg, media);
    gst_sdp_media_free (media);
  }
  gst_sdp_message_add_attribute (msg, "group", bundle->str);
  g_string_free (bundle, TRUE);
  text = gst_sdp_message_as_text (msg);
  gst_sdp_message_free (msg);
  return text;
}

/* ---- the answer ---- */

/* RFC 8839 §5.4 ice-char (ALPHA / DIGIT / "+" / "/"), of a length in
 * [min, 256]: what libnice is handed must be nothing else. */
static gboolean
is_ice_token (const char *s, gsize min)
{
  gsize n = s != NULL ? strlen (s) : 0;
  if (n < min || n > 256)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

/* RFC 8122 §5: "<hash-func> XX:XX:...", the hash a token, the hex pairs
 * colon-separated. */
static gboolean
is_fingerprint (const char *s)
{
  const char *space = s != NULL ? strchr (s, ' ') : NULL;
  if (space == NULL || space == s || space - s > 16)
    return FALSE;
  for (const char *p = s; p < space; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  const char *hex = space + 1;
  gsize n = strlen (hex);
  if (n < 2 || n > 3 * 64 || (n + 1) % 3 != 0)
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    gboolean colon = i % 3 == 2;
    if (colon ? hex[i] != ':' : !g_ascii_isxdigit (hex[i]))
      return FALSE;
  }
  return TRUE;
}

/* A media attribute, else the session's. */
static const char *
media_or_session (const GstSDPMessage *answer, const GstSDPMedia *media, const char *key)
{
  const char *value = media != NULL ? gst_sdp_media_get_attribute_val (media, key) : NULL;
  return value != NULL ? value : gst_sdp_message_get_attribute_val (answer, key);
}

/* The sha-256 fingerprint when there are several (RFC 8122 allows it and
 * lean_dtls compares against one), else the first. */
static const char *
pick_fingerprint (const GstSDPMessage *answer, const GstSDPMedia *media)
{
  const char *first = NULL;
  for (guint i = 0; media != NULL; i++) {
    const char *v = gst_sdp_media_get_attribute_val_n (media, "fingerprint", i);
    if (v == NULL)
      break;
    if (g_ascii_strncasecmp (v, "sha-256 ", 8) == 0)
      return v;
    if (first == NULL)
      first = v;
  }
  if (first != NULL)
    return first;
  for (guint i = 0;; i++) {
    const char *v = gst_sdp_message_get_attribute_val_n (answer, "fingerprint", i);
    if (v == NULL)
      break;
    if (g_ascii_strncasecmp (v, "sha-256 ", 8) == 0)
      return v;
    if (first == NULL)
      first = v;
  }
  return first;
}

/* "3 http://..." or "3/recvonly http://...": the id when the URI is the
 * TWCC one, else 0. One-byte (1..14) and two-byte (1..255) header ids. */
static guint8
twcc_id_of (const char *extmap)
{
  char *end = NULL;
  guint64 id;
  if (!g_ascii_isdigit (extmap[0]))
    return 0;
  id = g_ascii_strtoull (extmap, &end, 10);
  if (id == 0 || id > 255 || id == 15)
    return 0;
  if (*end == '/')
    end += strcspn (end, " ");
  if (*end != ' ')
    return 0;
  end++;
  gsize n = strlen (MEDIA_TWCC_URI);
  if (strncmp (end, MEDIA_TWCC_URI, n) != 0 || (end[n] != '\0' && end[n] != ' '))
    return 0;
  return (guint8) id;
}

/* Every a=candidate of the answer, as "candidate:...", each once. Those a
 * trickled candidate would be refused or ignored for (media_leg_add_ice_
 * candidate: malformed, or an mDNS name libnice cannot resolve) are left out
 * here too, so the answer's candidates and the trickled ones get the same
 * checks. */
static void
collect_candidates (const GstSDPMessage *answer, GPtrArray *out)
{
  guint n = gst_sdp_message_medias_len (answer);
  for (guint m = 0; m < n; m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (answer, m);
    for (guint i = 0;; i++) {
      const char *v = gst_sdp_media_get_attribute_val_n (media, "candidate", i);
      if (v == NULL)
        break;
      gchar *line = g_strconcat ("candidate:", v, NULL);
      if (!media_candidate_check (line, m, n, NULL) || media_candidate_is_mdns (line)) {
        g_free (line);
        continue;
      }
      gboolean seen = FALSE;
      for (guint k = 0; k < out->len && !seen; k++)
        seen = strcmp (out->pdata[k], line) == 0;
      if (seen)
        g_free (line);
      else
        g_ptr_array_add (out, line);
    }
  }
}

/* Whether the browser accepted m-line `media`: a port, or port 0 with
 * a=bundle-only (RFC 8843 §7.3.1: an answerer may write a bundled m-line so;
 * browsers today answer port 9 everywhere). Port 0 alone is a rejection. */
static gboolean
mline_accepted (const GstSDPMedia *media)
{
  if (gst_sdp_media_get_port (media) != 0)
    return TRUE;
  /* A flag attribute's value is NULL or "", so look at the keys. */
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    if (g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key, "bundle-only") == 0)
      return TRUE;
  return FALSE;
}

/* a=setup of the answer → our DTLS role (RFC 5763 §5). */
static gboolean
read_setup (const char *setup, LeanDtlsRole *role, GError **error)
{
  if (setup == NULL || g_ascii_strcasecmp (setup, "active") == 0) {
    /* The browser starts the handshake; absent means active (RFC 4145 §4). */
    *role = LEAN_DTLS_ROLE_SERVER;
    return TRUE;
  }
  if (g_ascii_strcasecmp (setup, "passive") == 0) {
    *role = LEAN_DTLS_ROLE_CLIENT;
    return TRUE;
  }
  g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
               "the browser's answer does not say which side starts the secure connection");
  return FALSE;
}

gboolean
lean_sdp_read_answer (const GstSDPMessage *answer, LeanAnswer *out, GError **error)
{
  const GstSDPMedia *first = NULL;
  const char *ufrag, *pwd, *fingerprint;
  guint n;

  g_return_val_if_fail (answer != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  out->candidates = g_ptr_array_new_with_free_func (g_free);
  n = MIN (gst_sdp_message_medias_len (answer), MEDIA_MAX_MLINES);
  for (guint m = 0; m < n; m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (answer, m);
    out->accepted[m] = mline_accepted (media);
    if (!out->accepted[m])
      continue;
    if (first == NULL)
      first = media;
    for (guint i = 0; out->twcc_ext_id == 0; i++) {
      const char *v = gst_sdp_media_get_attribute_val_n (media, "extmap", i);
      if (v == NULL)
        break;
      out->twcc_ext_id = twcc_id_of (v);
    }
  }
  if (first == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the browser's answer turns down all of the call's audio and video");
    goto fail;
  }
  /* With BUNDLE the first accepted m-line carries the transport; Firefox
   * writes some of it at session level. */
  ufrag = media_or_session (answer, first, "ice-ufrag");
  pwd = media_or_session (answer, first, "ice-pwd");
  if (ufrag == NULL || pwd == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the browser's answer has no connection password (ICE user name and password)");
    goto fail;
  }
  if (!is_ice_token (ufrag, 4) || !is_ice_token (pwd, 22)) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the browser's answer has a malformed connection password (ICE user name or "
                 "password)");
    goto fail;
  }
  fingerprint = pick_fingerprint (answer, first);
  if (fingerprint == NULL) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the browser's answer has no certificate fingerprint to secure the call with");
    goto fail;
  }
  if (!is_fingerprint (fingerprint)) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the browser's answer has a malformed certificate fingerprint");
    goto fail;
  }
  if (!read_setup (media_or_session (answer, first, "setup"), &out->dtls_role, error))
    goto fail;
  out->ice_ufrag = g_strdup (ufrag);
  out->ice_pwd = g_strdup (pwd);
  out->fingerprint = g_strdup (fingerprint);
  collect_candidates (answer, out->candidates);
  return TRUE;

fail:
  lean_answer_clear (out);
  return FALSE;
}

void
lean_answer_clear (LeanAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->ice_ufrag);
  g_free (answer->ice_pwd);
  g_free (answer->fingerprint);
  if (answer->candidates != NULL)
    g_ptr_array_unref (answer->candidates);
  memset (answer, 0, sizeof *answer);
}
