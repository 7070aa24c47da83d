/* test_lean_sdp.c — the lean engine's SDP (media/lean_sdp.c).
 *
 * The offer: webrtcbin's real offer for the same layout is the reference. A
 * webrtcbin leg is made (MEDIA_ENGINE_WEBRTCBIN, gathering on 127.0.0.1
 * only), its offer captured, and lean_sdp_offer's offer for the same SSRCs
 * compared with it m-line by m-line: kind, port, protocol, formats, rtpmap,
 * fmtp, rtcp-fb (ours adds transport-cc everywhere and ccm fir on video),
 * extmap, direction, a=ssrc cname/msid grouping, rtcp-mux, and the
 * session's BUNDLE group. Browsers group a slot's audio and video by msid,
 * so a difference there would split a participant into two streams.
 *
 * The answer: lean_sdp_read_answer on answers as Chrome and Firefox write
 * them, and on the ones it must refuse in words.
 */
#include "media/lean-private.h"

#include <gst/sdp/sdp.h>
#include <string.h>

#define OFFER_TIMEOUT_MS 15000
#define FINGERPRINT                                                                            \
  "sha-256 "                                                                                   \
  "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:" \
  "E8:F9"

/* ---- webrtcbin's offer ---- */

typedef struct {
  gchar *sdp;
  guint32 ssrc[MEDIA_MAX_MLINES];
  guint n_mlines;
  guint candidates;
} Captured;

static void
on_offer (MediaLeg *leg, const char *sdp, gpointer user_data)
{
  Captured *c = user_data;
  g_free (c->sdp);
  c->sdp = g_strdup (sdp);
  /* The SSRCs the leg chose: ours gets the same, so the a=ssrc lines can be
   * compared as they are. */
  c->n_mlines = leg->n_mlines;
  memcpy (c->ssrc, leg->ssrc, sizeof c->ssrc);
}

static void
on_candidate (MediaLeg *leg, guint mline, const char *candidate, gpointer user_data)
{
  (void) leg, (void) mline, (void) candidate;
  ((Captured *) user_data)->candidates++;
}

static const MediaLegCallbacks capture_callbacks = { .offer = on_offer,
                                                     .ice_candidate = on_candidate };

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* webrtcbin's offer for `remote_slots`, its SSRCs in c. */
static void
capture_webrtcbin_offer (guint remote_slots, Captured *c)
{
  gchar *addresses[] = { (gchar *) "127.0.0.1", NULL };
  MediaConfig config = { .engine = MEDIA_ENGINE_WEBRTCBIN,
                         .ice_addresses = addresses,
                         .remote_slots = remote_slots };
  GError *error = NULL;
  gboolean timed_out = FALSE;

  memset (c, 0, sizeof *c);
  MediaVisit *visit = media_visit_new ("lean-sdp", &config, &error);
  g_assert_no_error (error);
  MediaLeg *leg = media_visit_add_leg (visit, "p1", &capture_callbacks, c, &error);
  g_assert_no_error (error);
  g_assert_nonnull (leg);
  guint timer = g_timeout_add (OFFER_TIMEOUT_MS, on_timeout, &timed_out);
  /* Until a candidate too: webrtcbin gathers once it has applied the offer
   * as its local description, and freeing the visit while that is still
   * pending makes GStreamer warn about a promise freed unanswered. */
  while ((c->sdp == NULL || c->candidates == 0) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timer);
  media_visit_free (visit);
  /* Marshalled calls still queued for the freed leg are no-ops; drain them. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_nonnull (c->sdp);
  g_test_message ("webrtcbin's offer for %u remote slots:\n%s", remote_slots, c->sdp);
}

/* ---- comparing two offers ---- */

/* The m-line's attributes as "key:value" lines, in order, with what is
 * each engine's own (ICE credentials, certificate hash, cname, msid track
 * id) replaced by "*". The cname is checked: one per offer. */
static GPtrArray *
normalized_attributes (const GstSDPMedia *media, gchar **cname)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    const char *v = a->value != NULL ? a->value : "";
    gchar *line;
    if (strcmp (a->key, "ice-ufrag") == 0 || strcmp (a->key, "ice-pwd") == 0) {
      g_assert_cmpuint (strlen (v), >=, 4);
      line = g_strdup_printf ("%s:*", a->key);
    } else if (strcmp (a->key, "fingerprint") == 0) {
      g_assert_true (g_str_has_prefix (v, "sha-256 "));
      line = g_strdup ("fingerprint:sha-256 *");
    } else if (strcmp (a->key, "ssrc") == 0 && strstr (v, " cname:") != NULL) {
      const char *c = strstr (v, " cname:") + 7;
      if (*cname == NULL)
        *cname = g_strdup (c);
      g_assert_cmpstr (c, ==, *cname);
      line = g_strdup_printf ("ssrc:%.*s cname:*", (int) (c - 7 - v), v);
    } else if (strcmp (a->key, "ssrc") == 0 && strstr (v, " msid:") != NULL) {
      /* "N msid:<stream> <track>": the stream id is what groups. */
      gchar **f = g_strsplit (v, " ", 0);
      g_assert_cmpuint (g_strv_length (f), ==, 3);
      line = g_strdup_printf ("ssrc:%s %s *", f[0], f[1]);
      g_strfreev (f);
    } else {
      line = *v ? g_strdup_printf ("%s:%s", a->key, v) : g_strdup (a->key);
    }
    g_ptr_array_add (out, line);
  }
  return out;
}

static gboolean
has_line (GPtrArray *lines, const char *line)
{
  for (guint i = 0; i < lines->len; i++)
    if (strcmp (lines->pdata[i], line) == 0)
      return TRUE;
  return FALSE;
}

static gchar *
join_lines (GPtrArray *lines)
{
  g_ptr_array_add (lines, NULL);
  gchar *s = g_strjoinv ("\n", (gchar **) lines->pdata);
  g_ptr_array_remove_index (lines, lines->len - 1);
  return s;
}

/* Ours must be webrtcbin's, line for line, apart from the lines our
 * engine adds on purpose (lean_sdp.c's top comment). */
static void
compare_mline (guint m, const GstSDPMedia *ref, const GstSDPMedia *ours, gchar **ref_cname,
               gchar **our_cname)
{
  MediaMline layout;
  media_layout_mline (m, &layout);
  g_assert_cmpstr (gst_sdp_media_get_media (ours), ==, gst_sdp_media_get_media (ref));
  g_assert_cmpuint (gst_sdp_media_get_port (ours), ==, gst_sdp_media_get_port (ref));
  g_assert_cmpstr (gst_sdp_media_get_proto (ours), ==, gst_sdp_media_get_proto (ref));
  g_assert_cmpstr (gst_sdp_media_get_proto (ours), ==, "UDP/TLS/RTP/SAVPF");
  /* RTX on the video a client sends, after webrtcbin's formats. */
  guint rtx = layout.video && layout.sendrecv ? media_layout_rtx_pt (layout.pt) : 0;
  g_assert_cmpuint (gst_sdp_media_formats_len (ours), ==,
                    gst_sdp_media_formats_len (ref) + (rtx != 0));
  for (guint f = 0; f < gst_sdp_media_formats_len (ref); f++)
    g_assert_cmpstr (gst_sdp_media_get_format (ours, f), ==, gst_sdp_media_get_format (ref, f));
  if (rtx != 0) {
    g_autofree gchar *want = g_strdup_printf ("%u", rtx);
    g_assert_cmpstr (gst_sdp_media_get_format (ours, gst_sdp_media_formats_len (ref)), ==, want);
  }
  g_assert_cmpuint (gst_sdp_media_connections_len (ours), ==, 1);
  const GstSDPConnection *c = gst_sdp_media_get_connection (ours, 0);
  const GstSDPConnection *rc = gst_sdp_media_get_connection (ref, 0);
  g_assert_cmpstr (c->nettype, ==, rc->nettype);
  g_assert_cmpstr (c->addrtype, ==, rc->addrtype);
  g_assert_cmpstr (c->address, ==, rc->address);

  GPtrArray *r = normalized_attributes (ref, ref_cname);
  GPtrArray *o = normalized_attributes (ours, our_cname);
  /* What the lean engine announces in any case. */
  gchar *twcc = g_strdup_printf ("rtcp-fb:%u transport-cc", layout.pt);
  gchar *fir = g_strdup_printf ("rtcp-fb:%u ccm fir", layout.pt);
  gchar *nack = g_strdup_printf ("rtcp-fb:%u nack", layout.pt);
  gchar *extmap = g_strdup_printf ("extmap:%d %s", MEDIA_TWCC_EXT_ID, MEDIA_TWCC_URI);
  gchar *rtx_map = g_strdup_printf ("rtpmap:%u rtx/90000", rtx);
  gchar *rtx_apt = g_strdup_printf ("fmtp:%u apt=%u", rtx, layout.pt);
  g_assert_true (has_line (o, rtx_map) == (rtx != 0));
  g_assert_true (has_line (o, rtx_apt) == (rtx != 0));
  g_assert_true (has_line (o, twcc));
  g_assert_true (has_line (o, extmap));
  g_assert_true (has_line (o, layout.sendrecv ? "sendrecv" : "sendonly"));
  if (layout.video) {
    g_assert_true (has_line (o, fir));
    g_assert_true (has_line (o, nack));
  }
  /* Drop our deliberate additions, then the rest must be identical. */
  for (guint i = o->len; i-- > 0;) {
    const char *line = o->pdata[i];
    gboolean extra = (strcmp (line, twcc) == 0 || strcmp (line, fir) == 0 ||
                      strcmp (line, nack) == 0 || strcmp (line, rtx_map) == 0 ||
                      strcmp (line, rtx_apt) == 0) &&
                     !has_line (r, line);
    if (extra)
      g_ptr_array_remove_index (o, i);
  }
  gchar *rs = join_lines (r), *os = join_lines (o);
  if (strcmp (rs, os) != 0)
    g_test_message ("m-line %u differs.\nwebrtcbin:\n%s\nours:\n%s", m, rs, os);
  g_assert_cmpstr (os, ==, rs);
  g_free (rs), g_free (os);
  g_free (twcc), g_free (fir), g_free (nack), g_free (extmap), g_free (rtx_map), g_free (rtx_apt);
  g_ptr_array_unref (r);
  g_ptr_array_unref (o);
}

static gchar *
our_offer (guint n_mlines, const guint32 *ssrc, gchar **mids)
{
  LeanOffer offer = { .ice_ufrag = "Ab3dEf7h",
                      .ice_pwd = "0123456789abcdefABCDEF+/",
                      .fingerprint = FINGERPRINT,
                      .n_mlines = n_mlines,
                      .ssrc = ssrc,
                      .cname = "lean-cname-1",
                      .session_id = G_GUINT64_CONSTANT (1234567890123) };
  return lean_sdp_offer (&offer, mids);
}

static void
compare_with_webrtcbin (gconstpointer data)
{
  guint remote_slots = GPOINTER_TO_UINT (data);
  Captured c;
  GstSDPMessage *ref = NULL, *ours = NULL;
  gchar *mids[MEDIA_MAX_MLINES] = { NULL };
  gchar *ref_cname = NULL, *our_cname = NULL;

  capture_webrtcbin_offer (remote_slots, &c);
  g_assert_cmpuint (c.n_mlines, ==, media_layout_n_mlines (remote_slots));
  gchar *text = our_offer (c.n_mlines, c.ssrc, mids);
  g_assert_nonnull (text);
  g_test_message ("ours:\n%s", text);
  g_assert_cmpint (gst_sdp_message_new_from_text (c.sdp, &ref), ==, GST_SDP_OK);
  g_assert_cmpint (gst_sdp_message_new_from_text (text, &ours), ==, GST_SDP_OK);

  /* Session level. */
  g_assert_cmpstr (gst_sdp_message_get_version (ours), ==, gst_sdp_message_get_version (ref));
  const GstSDPOrigin *oo = gst_sdp_message_get_origin (ours);
  const GstSDPOrigin *ro = gst_sdp_message_get_origin (ref);
  g_assert_cmpstr (oo->sess_id, ==, "1234567890123");
  g_assert_cmpstr (oo->sess_version, ==, ro->sess_version);
  g_assert_cmpstr (oo->addr, ==, ro->addr);
  g_assert_cmpstr (gst_sdp_message_get_session_name (ours), ==,
                   gst_sdp_message_get_session_name (ref));
  g_assert_cmpuint (gst_sdp_message_attributes_len (ours), ==,
                    gst_sdp_message_attributes_len (ref));
  for (guint i = 0; i < gst_sdp_message_attributes_len (ref); i++) {
    const GstSDPAttribute *a = gst_sdp_message_get_attribute (ours, i);
    const GstSDPAttribute *b = gst_sdp_message_get_attribute (ref, i);
    g_assert_cmpstr (a->key, ==, b->key);
    g_assert_cmpstr (a->value, ==, b->value); /* BUNDLE: the same mids */
  }

  /* Every m-line. */
  g_assert_cmpuint (gst_sdp_message_medias_len (ours), ==, gst_sdp_message_medias_len (ref));
  for (guint m = 0; m < c.n_mlines; m++) {
    compare_mline (m, gst_sdp_message_get_media (ref, m), gst_sdp_message_get_media (ours, m),
                   &ref_cname, &our_cname);
    g_assert_cmpstr (mids[m], ==,
                     gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (ref, m), "mid"));
  }
  g_assert_cmpstr (our_cname, ==, "lean-cname-1");

  for (guint m = 0; m < c.n_mlines; m++)
    g_free (mids[m]);
  g_free (ref_cname), g_free (our_cname);
  gst_sdp_message_free (ref);
  gst_sdp_message_free (ours);
  g_free (text);
  g_free (c.sdp);
}

/* Every layout parses back into the m-lines media_sdp_parse_answer expects,
 * each slot's audio and video under one msid stream id. */
static void
test_offer_layouts (void)
{
  guint32 ssrc[MEDIA_MAX_MLINES];
  for (guint m = 0; m < MEDIA_MAX_MLINES; m++)
    ssrc[m] = 0x10000 + m;
  for (guint k = 1; k <= MEDIA_MAX_REMOTE_SLOTS; k++) {
    guint n = media_layout_n_mlines (k);
    gchar *mids[MEDIA_MAX_MLINES] = { NULL };
    gchar *text = our_offer (n, ssrc, mids);
    GstSDPMessage *msg = NULL;
    GError *error = NULL;
    g_assert_true (media_sdp_parse_answer (text, n, &msg, &error));
    g_assert_no_error (error);
    for (guint m = 0; m < n; m++) {
      MediaMline layout;
      media_layout_mline (m, &layout);
      const GstSDPMedia *media = gst_sdp_message_get_media (msg, m);
      gchar *want = layout.slot < 0
                      ? g_strdup_printf ("%u msid:screen track%u", ssrc[m], m)
                      : g_strdup_printf ("%u msid:slot%d track%u", ssrc[m], layout.slot, m);
      g_assert_cmpstr (gst_sdp_media_get_attribute_val_n (media, "ssrc", 0), ==, want);
      g_free (want);
      g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "mid"), ==, mids[m]);
      g_free (mids[m]);
    }
    gst_sdp_message_free (msg);
    g_free (text);
  }
}

/* ---- the answer ---- */

#define BROWSER_FP                                                                             \
  "sha-256 "                                                                                   \
  "5D:2F:AA:01:9C:3E:77:B4:10:8E:C2:6D:F0:41:99:3A:E7:0B:58:2C:D1:64:8F:A3:12:BC:E9:07:4D:86:" \
  "3B:C5"

typedef struct {
  const char *setup;   /* NULL: no a=setup */
  gboolean session_fp; /* fingerprint and ICE credentials at session level (Firefox) */
  gboolean no_ice, no_fp;
  const char *fp;     /* NULL: BROWSER_FP */
  const char *extmap; /* NULL: Chrome's "3 <twcc>" */
  const char *ufrag;  /* NULL: "yXbD" */
  guint port[3];      /* m-line ports; m1/m2 port 0 with bundle_only */
  gboolean bundle_only;
} AnswerShape;

/* An answer to a 3 m-line offer as Chrome writes it, shaped by `s`. */
static gchar *
answer_text (const AnswerShape *s)
{
  const char *ufrag = s->ufrag ? s->ufrag : "yXbD";
  const char *fp = s->fp ? s->fp : BROWSER_FP;
  GString *t = g_string_new ("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                             "a=group:BUNDLE audio0 video1 video2\r\na=extmap-allow-mixed\r\n"
                             "a=msid-semantic: WMS cam\r\n");
  if (s->session_fp && !s->no_fp)
    g_string_append_printf (t, "a=fingerprint:%s\r\n", fp);
  if (s->session_fp && !s->no_ice)
    g_string_append_printf (t, "a=ice-ufrag:%s\r\na=ice-pwd:9a5mMlkrDBxJbXJ9FnEBVCxr\r\n", ufrag);
  for (guint m = 0; m < 3; m++) {
    guint pt = m == 0 ? 111 : 95 + m;
    g_string_append_printf (t, "m=%s %u UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\n",
                            m == 0 ? "audio" : "video", s->port[m], pt);
    if (m != 0 && s->bundle_only)
      g_string_append (t, "a=bundle-only\r\n");
    g_string_append (t, "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    /* Chrome repeats a candidate on each m-line when it does not bundle yet. */
    g_string_append (t, "a=candidate:1467250027 1 udp 2122260223 127.0.0.1 46243 typ host "
                        "generation 0\r\n");
    if (m == 1)
      g_string_append (t, "a=candidate:2 1 udp 1686052607 127.0.0.1 50000 typ srflx raddr "
                          "127.0.0.1 rport 46243 generation 0\r\n"
                          /* Left out: too few fields, and an mDNS name. */
                          "a=candidate:3 1 udp 1 127.0.0.1\r\n"
                          "a=candidate:4 1 udp 2122260223 0b1c2d3e-aaaa-bbbb-cccc-1234567890ab."
                          "local 46244 typ host generation 0\r\n");
    if (!s->session_fp && !s->no_ice)
      g_string_append_printf (t, "a=ice-ufrag:%s\r\na=ice-pwd:9a5mMlkrDBxJbXJ9FnEBVCxr\r\n", ufrag);
    g_string_append (t, "a=ice-options:trickle\r\n");
    if (!s->session_fp && !s->no_fp)
      g_string_append_printf (t, "a=fingerprint:%s\r\n", fp);
    if (s->setup != NULL)
      g_string_append_printf (t, "a=setup:%s\r\n", s->setup);
    g_string_append_printf (t, "a=mid:%s%u\r\n", m == 0 ? "audio" : "video", m);
    if (s->extmap == NULL || *s->extmap != '\0')
      g_string_append_printf (t, "a=extmap:%s\r\n", s->extmap ? s->extmap : "3 " MEDIA_TWCC_URI);
    g_string_append_printf (t, "a=%s\r\na=msid:cam t%u\r\na=rtcp-mux\r\n",
                            m == 0 ? "sendrecv" : "recvonly", m);
    if (m == 0)
      g_string_append (t, "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
                          "a=fmtp:111 minptime=10;useinbandfec=1\r\n");
    else
      g_string_append_printf (t, "a=rtpmap:%u VP8/90000\r\na=rtcp-fb:%u nack pli\r\n", pt, pt);
  }
  return g_string_free (t, FALSE);
}

/* Through the real path: media_sdp_parse_answer, then lean_sdp_read_answer. */
static gboolean
read_answer (const AnswerShape *s, LeanAnswer *out, GError **error)
{
  gchar *text = answer_text (s);
  GstSDPMessage *msg = NULL;
  GError *parse_error = NULL;
  g_assert_true (media_sdp_parse_answer (text, 3, &msg, &parse_error));
  g_assert_no_error (parse_error);
  gboolean ok = lean_sdp_read_answer (msg, out, error);
  gst_sdp_message_free (msg);
  g_free (text);
  return ok;
}

static void
test_answer_chrome (void)
{
  AnswerShape s = { .setup = "active", .port = { 9, 9, 9 } };
  LeanAnswer a;
  GError *error = NULL;
  g_assert_true (read_answer (&s, &a, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (a.ice_ufrag, ==, "yXbD");
  g_assert_cmpstr (a.ice_pwd, ==, "9a5mMlkrDBxJbXJ9FnEBVCxr");
  g_assert_cmpstr (a.fingerprint, ==, BROWSER_FP);
  g_assert_cmpint (a.dtls_role, ==, LEAN_DTLS_ROLE_SERVER);
  g_assert_cmpuint (a.twcc_ext_id, ==, 3);
  for (guint m = 0; m < 3; m++)
    g_assert_true (a.accepted[m]);
  for (guint m = 3; m < MEDIA_MAX_MLINES; m++)
    g_assert_false (a.accepted[m]);
  /* The host candidate three times over, once; then the srflx one; not
   * the malformed or the mDNS one. */
  g_assert_cmpuint (a.candidates->len, ==, 2);
  g_assert_cmpstr (a.candidates->pdata[0], ==,
                   "candidate:1467250027 1 udp 2122260223 127.0.0.1 46243 typ host generation 0");
  g_assert_true (g_str_has_prefix (a.candidates->pdata[1], "candidate:2 1 udp "));
  lean_answer_clear (&a);
  g_assert_null (a.candidates);
  lean_answer_clear (&a); /* twice is harmless */
}

static void
test_answer_shapes (void)
{
  LeanAnswer a;
  GError *error = NULL;

  /* Firefox: fingerprint and ICE at session level, no a=setup means active;
   * a two-byte extmap id with a direction. */
  AnswerShape ff = { .session_fp = TRUE,
                     .port = { 9, 9, 9 },
                     .extmap = "12/sendrecv " MEDIA_TWCC_URI };
  g_assert_true (read_answer (&ff, &a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a.dtls_role, ==, LEAN_DTLS_ROLE_SERVER);
  g_assert_cmpstr (a.fingerprint, ==, BROWSER_FP);
  g_assert_cmpstr (a.ice_ufrag, ==, "yXbD");
  g_assert_cmpuint (a.twcc_ext_id, ==, 12);
  lean_answer_clear (&a);

  /* passive: we start the handshake. No TWCC extension: id 0. */
  AnswerShape passive = { .setup = "passive", .port = { 9, 9, 9 }, .extmap = "" };
  g_assert_true (read_answer (&passive, &a, &error));
  g_assert_cmpint (a.dtls_role, ==, LEAN_DTLS_ROLE_CLIENT);
  g_assert_cmpuint (a.twcc_ext_id, ==, 0);
  lean_answer_clear (&a);

  /* Another URI under id 3 is not TWCC. */
  AnswerShape other = { .setup = "active",
                        .port = { 9, 9, 9 },
                        .extmap = "3 urn:ietf:params:rtp-hdrext:sdes:mid" };
  g_assert_true (read_answer (&other, &a, &error));
  g_assert_cmpuint (a.twcc_ext_id, ==, 0);
  lean_answer_clear (&a);

  /* RFC 8843: port 0 with bundle-only is accepted; port 0 alone rejected. */
  AnswerShape bundled = { .setup = "active", .port = { 9, 0, 0 }, .bundle_only = TRUE };
  g_assert_true (read_answer (&bundled, &a, &error));
  g_assert_true (a.accepted[0] && a.accepted[1] && a.accepted[2]);
  lean_answer_clear (&a);
  AnswerShape rejected = { .setup = "active", .port = { 9, 9, 0 } };
  g_assert_true (read_answer (&rejected, &a, &error));
  g_assert_true (a.accepted[0] && a.accepted[1]);
  g_assert_false (a.accepted[2]);
  lean_answer_clear (&a);
  /* The first m-line rejected: the transport is the next one's. */
  AnswerShape no_audio = { .setup = "passive", .port = { 0, 9, 9 } };
  g_assert_true (read_answer (&no_audio, &a, &error));
  g_assert_false (a.accepted[0]);
  g_assert_cmpint (a.dtls_role, ==, LEAN_DTLS_ROLE_CLIENT);
  g_assert_cmpstr (a.ice_ufrag, ==, "yXbD");
  lean_answer_clear (&a);
}

/* What the browser's answer must have, refused in words. */
static void
expect_refusal (const AnswerShape *s, const char *message)
{
  LeanAnswer a;
  GError *error = NULL;
  g_assert_false (read_answer (s, &a, &error));
  g_assert_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_null (a.candidates);
  g_assert_null (a.ice_ufrag);
  g_error_free (error);
}

static void
test_answer_refused (void)
{
  AnswerShape actpass = { .setup = "actpass", .port = { 9, 9, 9 } };
  expect_refusal (&actpass,
                  "the browser's answer does not say which side starts the secure connection");
  AnswerShape holdconn = { .setup = "holdconn", .port = { 9, 9, 9 } };
  expect_refusal (&holdconn,
                  "the browser's answer does not say which side starts the secure connection");
  AnswerShape no_ice = { .setup = "active", .no_ice = TRUE, .port = { 9, 9, 9 } };
  expect_refusal (&no_ice,
                  "the browser's answer has no connection password (ICE user name and password)");
  AnswerShape bad_ice = { .setup = "active", .ufrag = "a b", .port = { 9, 9, 9 } };
  expect_refusal (&bad_ice, "the browser's answer has a malformed connection password (ICE "
                            "user name or password)");
  AnswerShape no_fp = { .setup = "active", .no_fp = TRUE, .port = { 9, 9, 9 } };
  expect_refusal (&no_fp,
                  "the browser's answer has no certificate fingerprint to secure the call with");
  AnswerShape bad_fp = { .setup = "active", .fp = "sha-256 ZZ:01", .port = { 9, 9, 9 } };
  expect_refusal (&bad_fp, "the browser's answer has a malformed certificate fingerprint");
  AnswerShape none = { .setup = "active", .port = { 0, 0, 0 } };
  expect_refusal (&none, "the browser's answer turns down all of the call's audio and video");
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean-sdp/offer-layouts", test_offer_layouts);
  g_test_add_data_func ("/lean-sdp/offer-as-webrtcbin/1-slot", GUINT_TO_POINTER (1),
                        compare_with_webrtcbin);
  g_test_add_data_func ("/lean-sdp/offer-as-webrtcbin/3-slots", GUINT_TO_POINTER (3),
                        compare_with_webrtcbin);
  g_test_add_data_func ("/lean-sdp/offer-as-webrtcbin/5-slots", GUINT_TO_POINTER (5),
                        compare_with_webrtcbin);
  g_test_add_func ("/lean-sdp/answer-chrome", test_answer_chrome);
  g_test_add_func ("/lean-sdp/answer-shapes", test_answer_shapes);
  g_test_add_func ("/lean-sdp/answer-refused", test_answer_refused);
  return g_test_run ();
}
