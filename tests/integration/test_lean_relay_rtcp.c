/* test_lean_relay_rtcp.c — the lean engine's RTCP against real webrtcbin clients
 * (issue 16), each a full RTP stack of its own (GStreamer's rtpsession), so
 * what the relay sends is judged by an implementation that is not ours:
 *
 * - receiver reports are sent: the sending client's webrtcbin has
 *   remote-inbound-rtp statistics for its camera, with a round trip, which
 *   only report blocks from the relay can give it;
 * - a keyframe request from a receiving client reaches the sending one:
 *   the receiver's RTP session turns a force-key-unit into a PLI, the relay
 *   turns that into a PLI to the sender, whose RTP session asks its encoder
 *   for a keyframe (counted at the sender's payloader);
 * - a NACK is answered: video packets dropped as they leave the receiving
 *   client's socket (as the network would lose them) arrive a second time,
 *   resent from the relay's cache at the receiver's request;
 * - a NACK is forwarded: video packets the sending client's network loses
 *   on the way to the relay are not in its cache; the relay asks the sender,
 *   which resends them as RTX (RFC 4588, offered on the camera's m-line),
 *   and the relay passes them on as the originals: the receiver gets every
 *   number of the camera's stream.
 *
 * The relay tests for both engines are test_media_relay.c.
 */
#include "tests/integration/media_client.h"

#include <gst/rtp/rtp.h>

typedef struct {
  Client a, b;
  MediaVisit *visit;
  atomic_uint keyframe_requests; /* force-key-unit events at a's camera payloader */
  /* b's drops and what came again */
  GMutex lock;
  GHashTable *dropped; /* seq → 1 dropped once, 2 came again */
  guint seen_video;
  guint n_dropped, n_again;
  /* a's drops on the way in, and its RTX packets */
  gboolean a_dropping;
  guint a_seen_video, a_dropped, a_rtx;
  /* b's camera packets while a loses some: which numbers came */
  gboolean b_counting;
  guint16 b_first;
  guint b_top; /* the highest number seen, as an offset from b_first */
  GHashTable *b_seen; /* offsets */
} Pair;

static gboolean
both_connected (gpointer data)
{
  Pair *p = data;
  return media_leg_get_state (p->a.leg) == MEDIA_LEG_CONNECTED &&
         media_leg_get_state (p->b.leg) == MEDIA_LEG_CONNECTED;
}

static gboolean
b_decodes (gpointer data)
{
  Pair *p = data;
  return atomic_load (&p->b.video_frames) >= MIN_FRAMES;
}

static GstPadProbeReturn
keyframe_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  Pair *p = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name (event, "GstForceKeyUnit"))
    atomic_fetch_add (&p->keyframe_requests, 1);
  return GST_PAD_PROBE_OK;
}

/* The src pad of a's camera payloader (pt 96). */
static GstPad *
camera_payloader_src (Client *c)
{
  GstPad *found = NULL;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (c->pipeline));
  GValue v = G_VALUE_INIT;
  while (found == NULL && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstElementFactory *f = gst_element_get_factory (e);
    guint pt = 0;
    if (f != NULL && g_strcmp0 (GST_OBJECT_NAME (f), "rtpvp8pay") == 0) {
      g_object_get (e, "pt", &pt, NULL);
      if (pt == MEDIA_PT_VP8)
        found = gst_element_get_static_pad (e, "src");
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return found;
}

/* A src pad of c's webrtcbin whose caps say payload `pt`. */
static GstPad *
received_pad (Client *c, gint pt)
{
  GstPad *found = NULL;
  GstIterator *it = gst_element_iterate_src_pads (c->webrtcbin);
  GValue v = G_VALUE_INIT;
  while (found == NULL && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstPad *pad = g_value_get_object (&v);
    GstCaps *caps = gst_pad_get_current_caps (pad);
    gint have = -1;
    if (caps != NULL && gst_caps_get_size (caps) > 0)
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "payload", &have);
    if (have == pt)
      found = gst_object_ref (pad);
    if (caps != NULL)
      gst_caps_unref (caps);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return found;
}

/* ---- b drops some video before its RTP session ---- */

/* SRTP leaves the RTP header in the clear: what the network would lose is
 * dropped as it leaves b's socket, before b decrypts it (a packet b had
 * decrypted would be a replay to b's SRTP when it came again). */
static gboolean
drop_one (Pair *p, GstBuffer *buf)
{
  guint8 h[4];
  if (gst_buffer_extract (buf, 0, h, sizeof h) != sizeof h || h[0] < 128 || h[0] > 191 ||
      (h[1] & 0x7f) != MEDIA_PT_VP8)
    return FALSE;
  guint16 seq = (guint16) (h[2] << 8 | h[3]);
  gboolean drop = FALSE;
  g_mutex_lock (&p->lock);
  if (p->b_counting) {
    if (g_hash_table_size (p->b_seen) == 0)
      p->b_first = seq;
    guint offset = (guint16) (seq - p->b_first);
    if (offset < 0x8000) {
      g_hash_table_add (p->b_seen, GUINT_TO_POINTER (offset));
      p->b_top = MAX (p->b_top, offset);
    }
  }
  gpointer state = g_hash_table_lookup (p->dropped, GUINT_TO_POINTER (seq));
  if (state == GUINT_TO_POINTER (1)) {
    /* It came again: the relay resent it. */
    g_hash_table_insert (p->dropped, GUINT_TO_POINTER (seq), GUINT_TO_POINTER (2));
    p->n_again++;
  } else if (state == NULL && ++p->seen_video % 40 == 0 && p->n_dropped < 10) {
    g_hash_table_insert (p->dropped, GUINT_TO_POINTER (seq), GUINT_TO_POINTER (1));
    p->n_dropped++;
    drop = TRUE;
  }
  g_mutex_unlock (&p->lock);
  return drop;
}

/* A pad probe that asks `drop` about each buffer, alone or in a list. */
typedef gboolean (*DropFunc) (Pair *p, GstBuffer *buf);
typedef struct {
  Pair *p;
  DropFunc drop;
} Dropper;

static gboolean
keep_buffer (GstBuffer **buf, guint idx, gpointer data)
{
  Dropper *d = data;
  (void) idx;
  if (d->drop (d->p, *buf))
    gst_clear_buffer (buf); /* removes it from the list */
  return TRUE;
}

static GstPadProbeReturn
drop_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Dropper *d = data;
  (void) pad;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    return d->drop (d->p, GST_PAD_PROBE_INFO_BUFFER (info)) ? GST_PAD_PROBE_DROP
                                                            : GST_PAD_PROBE_OK;
  GstBufferList *list = gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  gst_buffer_list_foreach (list, keep_buffer, d);
  GST_PAD_PROBE_INFO_DATA (info) = list;
  return GST_PAD_PROBE_OK;
}

static void
add_drop_probe (GstPad *pad, Pair *p, DropFunc drop)
{
  Dropper *d = g_new0 (Dropper, 1);
  d->p = p;
  d->drop = drop;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_probe, d,
                     g_free);
}

static void
on_new_jitterbuffer (GstElement *rtpbin, GstElement *jitterbuffer, guint session, guint ssrc,
                     gpointer data)
{
  (void) rtpbin, (void) session, (void) ssrc, (void) data;
  /* What a browser does for a video stream whose m-line offers "nack". */
  g_object_set (jitterbuffer, "do-retransmission", TRUE, NULL);
}

/* ---- a loses some camera packets on the way to the relay ---- */

/* At a's nicesink: SRTP leaves the header in the clear. Every 20th camera
 * packet (10 at most) is lost; RTX packets (a's resends) are counted. */
static gboolean
a_drop_one (Pair *p, GstBuffer *buf)
{
  guint8 h[2];
  if (gst_buffer_extract (buf, 0, h, sizeof h) != sizeof h || h[0] < 128 || h[0] > 191)
    return FALSE;
  gboolean drop = FALSE;
  g_mutex_lock (&p->lock);
  if ((h[1] & 0x7f) == MEDIA_PT_VP8_RTX)
    p->a_rtx++;
  else if ((h[1] & 0x7f) == MEDIA_PT_VP8 && p->a_dropping && ++p->a_seen_video % 20 == 0 &&
           p->a_dropped < 10) {
    p->a_dropped++;
    drop = TRUE;
  }
  g_mutex_unlock (&p->lock);
  return drop;
}

static gboolean
a_dropped_enough (gpointer data)
{
  Pair *p = data;
  g_mutex_lock (&p->lock);
  gboolean yes = p->a_dropped >= 10;
  g_mutex_unlock (&p->lock);
  return yes;
}

/* The first element of `factory` inside c's webrtcbin (a ref). */
static GstElement *
find_inside (Client *c, const char *factory)
{
  GstElement *found = NULL;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (c->webrtcbin));
  GValue v = G_VALUE_INIT;
  while (found == NULL && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElementFactory *f = gst_element_get_factory (g_value_get_object (&v));
    if (f != NULL && g_strcmp0 (GST_OBJECT_NAME (f), factory) == 0)
      found = g_value_dup_object (&v);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return found;
}

/* c's transceivers answer the offer's "nack" (and RTX) as a browser does. */
static void
client_does_nack (Client *c)
{
  GArray *transceivers = NULL;
  g_signal_emit_by_name (c->webrtcbin, "get-transceivers", &transceivers);
  g_assert_nonnull (transceivers);
  for (guint i = 0; i < transceivers->len; i++)
    g_object_set (g_array_index (transceivers, GstWebRTCRTPTransceiver *, i), "do-nack", TRUE,
                  NULL);
  g_array_unref (transceivers);
}

static void
a_starts_losing (Pair *p)
{
  GstElement *nicesink = find_inside (&p->a, "nicesink");
  g_assert_nonnull (nicesink);
  GstPad *sink = gst_element_get_static_pad (nicesink, "sink");
  add_drop_probe (sink, p, a_drop_one);
  gst_object_unref (sink);
  gst_object_unref (nicesink);
}

static void
b_drops_and_nacks (Pair *p)
{
  client_does_nack (&p->b);
  GstElement *rtpbin = gst_bin_get_by_name (GST_BIN (p->b.webrtcbin), "rtpbin");
  g_assert_nonnull (rtpbin);
  g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), p);
  gst_object_unref (rtpbin);
}

static void
b_start_dropping (Pair *p)
{
  GstElement *nicesrc = find_inside (&p->b, "nicesrc");
  g_assert_nonnull (nicesrc);
  GstPad *src = gst_element_get_static_pad (nicesrc, "src");
  add_drop_probe (src, p, drop_one);
  gst_object_unref (src);
  gst_object_unref (nicesrc);
}

static gboolean
resent_enough (gpointer data)
{
  Pair *p = data;
  g_mutex_lock (&p->lock);
  gboolean yes = p->n_dropped >= 5 && p->n_again >= 5;
  g_mutex_unlock (&p->lock);
  return yes;
}

/* ---- a's statistics ---- */

typedef struct {
  gboolean done;
  gboolean have_remote_inbound;
  gdouble rtt;
} StatsResult;

static gboolean
look_at_stat (GQuark field, const GValue *value, gpointer data)
{
  (void) field;
  StatsResult *r = data;
  GstWebRTCStatsType type;
  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure (value);
  if (gst_structure_get_enum (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, (gint *) &type) &&
      type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
    gchar *text = gst_structure_to_string (s);
    g_test_message ("a: %s", text);
    g_free (text);
    r->have_remote_inbound = TRUE;
    gdouble rtt = 0;
    if (gst_structure_get_double (s, "round-trip-time", &rtt) && rtt > r->rtt)
      r->rtt = rtt;
  }
  return TRUE;
}

static void
on_stats (GstPromise *promise, gpointer data)
{
  StatsResult *r = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply != NULL)
    gst_structure_foreach (reply, look_at_stat, r);
  r->done = TRUE;
}

static gboolean
stats_done (gpointer data)
{
  return ((StatsResult *) data)->done;
}

static void
a_stats (Pair *p, StatsResult *r)
{
  memset (r, 0, sizeof *r);
  GstPromise *promise = gst_promise_new_with_change_func (on_stats, r, NULL);
  g_signal_emit_by_name (p->a.webrtcbin, "get-stats", NULL, promise);
  g_assert_true (wait_until (stats_done, r, 5000));
  gst_promise_unref (promise);
}

static gboolean
keyframe_requests_above (gpointer data)
{
  Pair *p = data;
  return atomic_load (&p->keyframe_requests) >
         GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (p->a.pipeline), "before"));
}

static void
test_rtcp (void)
{
  Pair *p = g_new0 (Pair, 1);
  g_mutex_init (&p->lock);
  p->dropped = g_hash_table_new (NULL, NULL);
  p->b_seen = g_hash_table_new (NULL, NULL);
  client_init (&p->a, "a", 0, -1);
  client_init (&p->b, "b", 18, -1);
  p->a.expected_mlines = p->b.expected_mlines = 3;
  GstPad *pay = camera_payloader_src (&p->a);
  g_assert_nonnull (pay);
  gst_pad_add_probe (pay, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, keyframe_probe, p, NULL);
  gst_object_unref (pay);
  b_drops_and_nacks (p);
  client_does_nack (&p->a);

  MediaConfig config = client_test_config (1);
  config.engine = MEDIA_ENGINE_LEAN;
  GError *error = NULL;
  p->visit = media_visit_new ("rtcp", &config, &error);
  g_assert_no_error (error);
  p->a.leg = media_visit_add_leg (p->visit, "a", &client_leg_callbacks, &p->a, &error);
  g_assert_no_error (error);
  p->b.leg = media_visit_add_leg (p->visit, "b", &client_leg_callbacks, &p->b, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until (both_connected, p, CONNECT_TIMEOUT_MS));
  g_assert_true (wait_until (b_decodes, p, MEDIA_TIMEOUT_MS));
  a_starts_losing (p); /* not yet dropping: counts a's RTX packets */

  /* The relay's own keyframe requests at link time are over after 2.5 s. */
  spin (3500);
  guint before = atomic_load (&p->keyframe_requests);
  g_test_message ("keyframe requests at a's encoder after the link: %u", before);
  g_assert_cmpuint (before, >=, 1); /* the link's own: b decoded a picture */
  g_object_set_data (G_OBJECT (p->a.pipeline), "before", GUINT_TO_POINTER (before));
  spin (1500);
  g_assert_cmpuint (atomic_load (&p->keyframe_requests), ==, before); /* none by itself */

  /* 1. b asks for a keyframe; a's encoder hears of it. */
  GstPad *from_a = received_pad (&p->b, MEDIA_PT_VP8);
  g_assert_nonnull (from_a);
  GstStructure *s = gst_structure_new ("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, TRUE,
                                       NULL);
  gst_pad_send_event (from_a, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
  gst_object_unref (from_a);
  g_assert_true (wait_until (keyframe_requests_above, p, 5000));
  g_test_message ("keyframe requests after b's PLI: %u", atomic_load (&p->keyframe_requests));

  /* 2. Receiver reports: a knows how its camera arrives, and the round trip. */
  StatsResult r;
  a_stats (p, &r);
  g_assert_true (r.have_remote_inbound);
  g_test_message ("round trip a sees: %.1f ms", r.rtt * 1000);
  g_assert_cmpfloat (r.rtt, >, 0.0);
  g_assert_cmpfloat (r.rtt, <, 1.0);

  /* 3. NACKs: what b lost after the network comes again from the relay. */
  b_start_dropping (p);
  gboolean resent = wait_until (resent_enough, p, 15000);
  g_test_message ("b dropped %u video packets, %u came again", p->n_dropped, p->n_again);
  g_assert_true (resent);

  /* 4. What a's network lost on the way in: the relay has nothing to resend
   * from its cache, asks a, and passes a's RTX on as the originals. */
  g_mutex_lock (&p->lock);
  p->n_dropped = 10; /* b loses nothing more */
  g_mutex_unlock (&p->lock);
  spin (500);
  g_mutex_lock (&p->lock);
  guint rtx_before = p->a_rtx;
  p->b_counting = TRUE;
  p->a_dropping = TRUE;
  g_mutex_unlock (&p->lock);
  g_assert_true (wait_until (a_dropped_enough, p, 15000));
  spin (2000); /* NACK, RTX and the jitter buffer's wait: well under 2 s on lo */
  g_mutex_lock (&p->lock);
  p->b_counting = FALSE;
  guint rtx = p->a_rtx - rtx_before;
  guint expected = p->b_top + 1, got = g_hash_table_size (p->b_seen);
  g_mutex_unlock (&p->lock);
  g_test_message ("a lost 10 camera packets on the way in and resent %u as RTX; "
                  "b got %u of the %u camera packets numbered meanwhile", rtx, got, expected);
  g_assert_cmpuint (rtx, >=, 10);
  g_assert_cmpuint (expected, >=, 200); /* 10 × 20 packets went by */
  g_assert_cmpuint (got, ==, expected);

  media_visit_free (p->visit);
  p->a.leg = p->b.leg = NULL;
  spin (100);
  client_clear (&p->a);
  client_clear (&p->b);
  g_hash_table_unref (p->dropped);
  g_hash_table_unref (p->b_seen);
  g_mutex_clear (&p->lock);
  g_free (p);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean/rtcp", test_rtcp);
  return g_test_run ();
}
