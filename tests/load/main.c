/* main.c — th-load: N concurrent 1:1 video visits against our server, Janus
 * (VideoRoom), or directly peer to peer, with per-client measurements.
 *
 * Timeline: prepare (sign in and create visits, or Janus rooms) → visits
 * start spread over --ramp-up → each has --timeout to show media both ways
 * → at ramp-up + duration the counters are snapshotted, the adapters say
 * goodbye, the loop quits after a short grace, lws and the pipeline are torn
 * down from the main thread → JSON and a one-line summary.
 *
 * Exit status: 0 all visits carried media both ways; 1 setup failed (no
 * sign-in, no server, bad options); 2 some visits failed.
 */
#include "loadgen.h"

#include <glib-unix.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

LoadOptions opt = {
  .server = SERVER_OURS,
  .visits = 1,
  .duration_s = 10,
  .ramp_up_s = 0,
  .timeout_s = 20,
  .bitrate_kbps = 1000,
  .fps = 30,
  .width = 640,
  .height = 480,
  .jitter_ms = 10,
  .janus_fir_freq = 0,
  .keyframe_gap_ms = 300,
};

Visit *visits;
static GMainLoop *loop;
static const Adapter *adapter;
static gboolean stopping, fatal;
static gchar *fatal_reason;
static gint64 run_start_us, run_end_us;
static double cpu_start, cpu_end;
static guint64 produced_start[N_KINDS], produced_end[N_KINDS];

gboolean
loadgen_stopping (void)
{
  return stopping;
}

void
client_fail (Client *c, const char *fmt, ...)
{
  if (c->failure != NULL || c->done)
    return;
  va_list ap;
  va_start (ap, fmt);
  c->failure = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_message ("visit %d %s: %s", c->visit->index, c->role_name, c->failure);
}

void
loadgen_fatal (const char *fmt, ...)
{
  if (fatal)
    return;
  va_list ap;
  va_start (ap, fmt);
  fatal_reason = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fatal = TRUE;
  g_printerr ("th-load: %s\n", fatal_reason);
  if (loop != NULL && g_main_loop_is_running (loop))
    g_main_loop_quit (loop);
}

gboolean
loadgen_spin_until (gboolean (*pred) (gpointer), gpointer data, double timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * 1e6);
  while (!pred (data) && !fatal) {
    if (g_get_monotonic_time () >= deadline)
      return FALSE;
    /* Non-blocking plus a short sleep: a blocking iteration could overrun
     * the deadline when no source is due for long. */
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  }
  return !fatal;
}

/* ---- options ---- */

static gboolean
parse_server (const gchar *name, const gchar *value, gpointer data, GError **error)
{
  (void) name;
  (void) data;
  if (g_strcmp0 (value, "ours") == 0)
    opt.server = SERVER_OURS;
  else if (g_strcmp0 (value, "janus") == 0)
    opt.server = SERVER_JANUS;
  else if (g_strcmp0 (value, "direct") == 0)
    opt.server = SERVER_DIRECT;
  else {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--server must be ours, janus or direct");
    return FALSE;
  }
  return TRUE;
}

static const GOptionEntry entries[] = {
  { "server", 's', 0, G_OPTION_ARG_CALLBACK, parse_server,
    "ours (our signaling), janus (VideoRoom over the WebSocket API) or direct (the two clients "
    "of a visit connect to each other: the no-relay reference). Default ours", "KIND" },
  { "url", 'u', 0, G_OPTION_ARG_STRING, &opt.url,
    "ours: http://HOST:PORT (default http://127.0.0.1:8080); janus: ws://HOST:PORT (default "
    "ws://127.0.0.1:8188)", "URL" },
  { "username", 0, 0, G_OPTION_ARG_STRING, &opt.username,
    "ours: staff username (signs in, creates the visits, admits)", "NAME" },
  { "password", 0, 0, G_OPTION_ARG_STRING, &opt.password, "ours: staff password", "PW" },
  { "visits", 'n', 0, G_OPTION_ARG_INT, &opt.visits, "Concurrent 1:1 visits (default 1)", "N" },
  { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &opt.duration_s,
    "Seconds of measurement after the last visit started (default 10)", "S" },
  { "ramp-up", 'r', 0, G_OPTION_ARG_DOUBLE, &opt.ramp_up_s,
    "Spread the visit starts evenly over this many seconds (default 0)", "S" },
  { "bitrate", 'b', 0, G_OPTION_ARG_INT, &opt.bitrate_kbps,
    "VP8 target bitrate in kbit/s (default 1000); Opus is 32 kbit/s", "KBPS" },
  { "fps", 0, 0, G_OPTION_ARG_INT, &opt.fps, "Video frame rate (default 30)", "FPS" },
  { "width", 0, 0, G_OPTION_ARG_INT, &opt.width, "Video width (default 640)", "PX" },
  { "height", 0, 0, G_OPTION_ARG_INT, &opt.height, "Video height (default 480)", "PX" },
  { "decode", 0, 0, G_OPTION_ARG_NONE, &opt.decode,
    "Decode received video with vp8dec (default: count depayloaded frames only)", NULL },
  { "json", 'j', 0, G_OPTION_ARG_FILENAME, &opt.json_path, "Write the results as JSON", "FILE" },
  { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &opt.timeout_s,
    "Seconds a visit may take from its start to media in both directions, and the bound of "
    "each setup request (default 20)", "S" },
  { "jitter-ms", 0, 0, G_OPTION_ARG_INT, &opt.jitter_ms,
    "The clients' webrtcbin latency (jitterbuffer), part of every latency sample (default 10)",
    "MS" },
  { "ice-address", 0, 0, G_OPTION_ARG_STRING, &opt.ice_address,
    "Local address the clients gather ICE host candidates on (default 127.0.0.1; empty: all)",
    "ADDR" },
  { "janus-fir-freq", 0, 0, G_OPTION_ARG_INT, &opt.janus_fir_freq,
    "fir_freq of the Janus rooms: seconds between Janus's periodic keyframe requests. Default "
    "0 (none), like ours, which asks only when a receiver connects", "S" },
  { "keyframe-gap-ms", 0, 0, G_OPTION_ARG_INT, &opt.keyframe_gap_ms,
    "Each client answers keyframe requests with at most one keyframe per this many ms; a "
    "request within the gap waits for its end (default 300)", "MS" },
  { "drop-every", 0, 0, G_OPTION_ARG_DOUBLE, &opt.drop_every_s,
    "ours: every S seconds each client in turn (staggered) drops its WebSocket without a "
    "leave and its peer connection, reconnects with the same link, answers the fresh offer, "
    "and must get media both ways again within --timeout (default 0: never)", "S" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose, "Print progress every second", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL },
};

static gboolean
parse_url (GError **error)
{
  if (opt.server == SERVER_DIRECT)
    return TRUE;
  if (opt.url == NULL)
    opt.url = g_strdup (opt.server == SERVER_OURS ? "http://127.0.0.1:8080"
                                                  : "ws://127.0.0.1:8188");
  GUri *uri = g_uri_parse (opt.url, G_URI_FLAGS_NONE, error);
  if (uri == NULL)
    return FALSE;
  const char *want = opt.server == SERVER_OURS ? "http" : "ws";
  if (g_strcmp0 (g_uri_get_scheme (uri), want) != 0 || g_uri_get_host (uri) == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--url must be %s://HOST:PORT for --server %s (no TLS)", want,
                 opt.server == SERVER_OURS ? "ours" : "janus");
    g_uri_unref (uri);
    return FALSE;
  }
  opt.host = g_strdup (g_uri_get_host (uri));
  opt.port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 80;
  g_uri_unref (uri);
  return TRUE;
}

/* ---- the run ---- */

static gboolean
client_has_media (Client *c)
{
  return atomic_load (&c->video_frames) > 0 && atomic_load (&c->rx[KIND_AUDIO].packets) > 0;
}

static gboolean
setup_deadline (gpointer data)
{
  Visit *v = data;
  for (int r = 0; r < 2; r++) {
    Client *c = &v->client[r];
    if (!client_has_media (c))
      client_fail (c, "no media within %.0f s: %" G_GUINT64_FORMAT " video frames, %"
                   G_GUINT64_FORMAT " audio packets", opt.timeout_s,
                   (guint64) atomic_load (&c->video_frames),
                   (guint64) atomic_load (&c->rx[KIND_AUDIO].packets));
  }
  return G_SOURCE_REMOVE;
}

static gboolean
start_one (gpointer data)
{
  Visit *v = data;
  if (stopping)
    return G_SOURCE_REMOVE;
  v->started = TRUE;
  v->start_us = g_get_monotonic_time ();
  adapter->start_visit (v);
  g_timeout_add ((guint) (opt.timeout_s * 1000), setup_deadline, v);
  return G_SOURCE_REMOVE;
}

static gboolean
quit_loop (gpointer data)
{
  (void) data;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Snapshot, then let the adapters say goodbye for a bounded moment. */
static gboolean
finish (gpointer data)
{
  (void) data;
  if (stopping)
    return G_SOURCE_REMOVE;
  stopping = TRUE;
  run_end_us = g_get_monotonic_time ();
  cpu_end = self_cpu_seconds ();
  for (int k = 0; k < N_KINDS; k++)
    produced_end[k] = media_source_produced (k);
  for (int i = 0; i < opt.visits; i++)
    for (int r = 0; r < 2; r++) {
      Client *c = &visits[i].client[r];
      if (visits[i].started && c->failure == NULL && !client_has_media (c))
        client_fail (c, "no media by the end of the run");
      c->done = TRUE;
    }
  adapter->stop ();
  g_timeout_add (1500, quit_loop, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  (void) data;
  g_message ("signal: ending the run early");
  finish (NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
progress (gpointer data)
{
  (void) data;
  guint64 frames = 0, audio = 0, lost = 0, packets = 0;
  int media = 0;
  for (int i = 0; i < opt.visits; i++)
    for (int r = 0; r < 2; r++) {
      Client *c = &visits[i].client[r];
      frames += atomic_load (&c->video_frames);
      audio += atomic_load (&c->rx[KIND_AUDIO].packets);
      packets += atomic_load (&c->rx[KIND_AUDIO].packets) + atomic_load (&c->rx[KIND_VIDEO].packets);
      lost += recv_stream_lost (&c->rx[0]) + recv_stream_lost (&c->rx[1]);
      media += client_has_media (c);
    }
  /* "packets received" (audio and video, every client) is what the bench
   * divides the server's context switches by. */
  g_printerr ("th-load: %5.1f s: %d/%d clients with media, %" G_GUINT64_FORMAT " frames, %"
              G_GUINT64_FORMAT " audio packets, %" G_GUINT64_FORMAT " packets received, %"
              G_GUINT64_FORMAT " lost, cpu %.1f s\n",
              (g_get_monotonic_time () - run_start_us) / 1e6, media, opt.visits * 2, frames,
              audio, packets, lost, self_cpu_seconds () - cpu_start);
  return G_SOURCE_CONTINUE;
}

/* ---- report ---- */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static json_t *
num_or_null (double v)
{
  return v < 0 ? json_null () : json_real (v);
}

static json_t *
pair (double p50, double p95)
{
  return json_pack ("{s:o, s:o}", "p50", num_or_null (p50), "p95", num_or_null (p95));
}

static json_t *
hist_pair (Histogram *h)
{
  return pair (hist_quantile (h, 0.5), hist_quantile (h, 0.95));
}

/* p50, p95 and max of an array of doubles (sorted in place). */
static json_t *
array_stats (GArray *a)
{
  g_array_sort (a, cmp_double);
  const double *v = (const double *) (gpointer) a->data;
  json_t *j = pair (quantile_sorted (v, a->len, 0.5), quantile_sorted (v, a->len, 0.95));
  json_object_set_new (j, "max", num_or_null (a->len ? v[a->len - 1] : -1));
  return j;
}

static int
report (void)
{
  json_t *clients = json_array ();
  guint n = (guint) opt.visits * 2, nff = 0;
  double *ff = g_new0 (double, n);
  Histogram *all = g_new0 (Histogram, 1 + N_KINDS);  /* both kinds, audio, video */
  guint64 received = 0, lost = 0, frames_min = G_MAXUINT64, audio_min = G_MAXUINT64;
  int ok = 0;
  guint drops = 0, drop_failures = 0;
  GArray *recovery = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *seen_again = g_array_new (FALSE, FALSE, sizeof (double));
  for (int i = 0; i < opt.visits; i++) {
    Visit *v = &visits[i];
    gboolean visit_ok = v->started;
    for (int r = 0; r < 2; r++) {
      Client *c = &v->client[r];
      long long first = atomic_load (&c->first_frame_us);
      double first_ms = first && c->t0_us ? (first - c->t0_us) / 1000.0 : -1;
      if (first_ms >= 0)
        ff[nff++] = first_ms;
      guint64 vf = atomic_load (&c->video_frames);
      guint64 vp = atomic_load (&c->rx[KIND_VIDEO].packets);
      guint64 ap = atomic_load (&c->rx[KIND_AUDIO].packets);
      guint64 cl = recv_stream_lost (&c->rx[KIND_VIDEO]) + recv_stream_lost (&c->rx[KIND_AUDIO]);
      received += vp + ap;
      lost += cl;
      frames_min = MIN (frames_min, vf);
      audio_min = MIN (audio_min, ap);
      Histogram *both = g_new0 (Histogram, 1);
      for (int k = 0; k < N_KINDS; k++) {
        hist_merge (both, &c->latency[k]);
        hist_merge (&all[1 + k], &c->latency[k]);
      }
      hist_merge (&all[0], both);
      visit_ok = visit_ok && c->failure == NULL && vf > 0 && ap > 0;
      json_t *jc = json_pack (
          "{s:i, s:s, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:o}", "visit", i, "role",
          c->role_name, "first_frame_ms", num_or_null (first_ms), "video_frames", (json_int_t) vf,
          "video_packets", (json_int_t) vp, "audio_packets", (json_int_t) ap, "packets_lost",
          (json_int_t) cl, "latency_ms", hist_pair (both), "video_latency_ms",
          hist_pair (&c->latency[KIND_VIDEO]), "audio_latency_ms",
          hist_pair (&c->latency[KIND_AUDIO]), "latency_samples",
          (json_int_t) atomic_load (&both->count), "failure",
          c->failure ? json_string (c->failure) : json_null ());
      if (opt.drop_every_s > 0) {
        drops += c->drops;
        drop_failures += c->drop_failures;
        g_array_append_vals (recovery, c->recovery_ms->data, c->recovery_ms->len);
        g_array_append_vals (seen_again, c->seen_again_ms->data, c->seen_again_ms->len);
        json_object_set_new (jc, "drops", json_integer (c->drops));
        json_object_set_new (jc, "drop_failures", json_integer (c->drop_failures));
        json_object_set_new (jc, "recovery_ms", array_stats (c->recovery_ms));
        json_object_set_new (jc, "seen_again_ms", array_stats (c->seen_again_ms));
      }
      json_array_append_new (clients, jc);
      g_free (both);
    }
    ok += visit_ok;
  }
  qsort (ff, nff, sizeof *ff, cmp_double);
  double run_s = (run_end_us - run_start_us) / 1e6;
  double cpu = cpu_end - cpu_start;
  double loss_pct = received + lost ? 100.0 * (double) lost / (double) (received + lost) : 0;
  double ff50 = quantile_sorted (ff, nff, 0.5), ff95 = quantile_sorted (ff, nff, 0.95);
  double l50 = hist_quantile (&all[0], 0.5), l95 = hist_quantile (&all[0], 0.95);
  static const char *names[] = { "ours", "janus", "direct" };
  json_t *root = json_pack (
      "{s:s, s:i, s:f, s:f, s:f, s:f, s:i, s:b, s:i, s:i, s:i, s:i, s:o}", "server",
      names[opt.server], "visits", opt.visits, "duration_s", opt.duration_s, "run_s", run_s,
      "loadgen_cpu_s", cpu, "loadgen_cpu_pct", run_s > 0 ? 100.0 * cpu / run_s : 0.0,
      "bitrate_kbps", opt.bitrate_kbps, "decode", opt.decode, "jitter_ms", opt.jitter_ms,
      "keyframe_requests", (int) media_source_keyframe_requests (), "keyframes_injected",
      (int) media_source_keyframes_injected (), "janus_fir_freq", opt.janus_fir_freq, "clients",
      clients);
  json_object_set_new (
      root, "summary",
      json_pack ("{s:i, s:i, s:o, s:o, s:f, s:I, s:I}", "visits_ok", ok, "visits_failed",
                 opt.visits - ok, "first_frame_ms", pair (ff50, ff95), "latency_ms",
                 pair (l50, l95), "loss_pct", loss_pct, "video_frames_min",
                 (json_int_t) (frames_min == G_MAXUINT64 ? 0 : frames_min), "audio_packets_min",
                 (json_int_t) (audio_min == G_MAXUINT64 ? 0 : audio_min)));
  json_t *sum = json_object_get (root, "summary");
  /* What the shared encoders actually produced: below the nominal rate
   * (fps; Opus 50 packets/s), the load generator itself was short of CPU
   * and every client sent less. Saturated: that, or this process alone
   * used 90% of every core. */
  double vfps = run_s > 0 ? (produced_end[KIND_VIDEO] - produced_start[KIND_VIDEO]) / run_s : 0;
  double apps = run_s > 0 ? (produced_end[KIND_AUDIO] - produced_start[KIND_AUDIO]) / run_s : 0;
  json_object_set_new (root, "source", json_pack ("{s:f, s:f}", "video_fps", vfps,
                                                  "audio_packets_per_s", apps));
  json_object_set_new (root, "loadgen_saturated",
                       json_boolean (vfps < 0.9 * opt.fps || apps < 0.9 * 50 ||
                                     (run_s > 0 && 100.0 * cpu / run_s >
                                                       90.0 * g_get_num_processors ())));
  json_object_set_new (sum, "video_latency_ms", hist_pair (&all[1 + KIND_VIDEO]));
  json_object_set_new (sum, "audio_latency_ms", hist_pair (&all[1 + KIND_AUDIO]));
  gchar *drop_text = NULL;
  if (opt.drop_every_s > 0) {
    /* recovery: a client's new WebSocket open → its first remote frame;
     * seen_again: the same → the partner's first frame from it. */
    json_object_set_new (sum, "drop_every_s", json_real (opt.drop_every_s));
    json_object_set_new (sum, "drops", json_integer (drops));
    json_object_set_new (sum, "drop_failures", json_integer (drop_failures));
    json_object_set_new (sum, "recovery_ms", array_stats (recovery));
    json_object_set_new (sum, "seen_again_ms", array_stats (seen_again));
    const double *rv = (const double *) (gpointer) recovery->data;
    const double *sv = (const double *) (gpointer) seen_again->data;
    drop_text = g_strdup_printf (
        ", %u drops (%u failed), recovery p50 %.0f ms p95 %.0f ms, seen again p50 %.0f ms p95 "
        "%.0f ms", drops, drop_failures, quantile_sorted (rv, recovery->len, 0.5),
        quantile_sorted (rv, recovery->len, 0.95), quantile_sorted (sv, seen_again->len, 0.5),
        quantile_sorted (sv, seen_again->len, 0.95));
  }
  g_array_unref (recovery);
  g_array_unref (seen_again);
  if (opt.json_path != NULL && json_dump_file (root, opt.json_path, JSON_INDENT (1)) != 0)
    g_printerr ("th-load: cannot write %s\n", opt.json_path);
  json_decref (root);

  printf ("th-load %s: %d/%d visits ok, first frame p50 %.0f ms p95 %.0f ms, latency p50 %.2f ms "
          "p95 %.2f ms, loss %.3f%%, per client min %" G_GUINT64_FORMAT " frames %"
          G_GUINT64_FORMAT " audio packets, load generator %.1f s CPU (%.0f%% of one core)%s\n",
          names[opt.server], ok, opt.visits, ff50, ff95, l50, l95, loss_pct,
          frames_min == G_MAXUINT64 ? 0 : frames_min, audio_min == G_MAXUINT64 ? 0 : audio_min,
          cpu, run_s > 0 ? 100.0 * cpu / run_s : 0.0, drop_text ? drop_text : "");
  fflush (stdout);
  g_free (drop_text);
  g_free (ff);
  g_free (all);
  return ok == opt.visits ? 0 : 2;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GOptionContext *ctx = g_option_context_new ("- load generator for video visits");
  g_option_context_set_summary (
      ctx, "Runs N concurrent 1:1 visits (a patient and a provider client each, webrtcbin, "
           "VP8 + Opus from one shared encoder pair) against our server, Janus VideoRoom or "
           "peer to peer, and reports per client: first remote frame after the WebSocket "
           "opened, frames and packets received, packets lost (sequence gaps) and latency "
           "(payloader at the sender to webrtcbin output at the receiver, p50/p95).");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !parse_url (&error)) {
    g_printerr ("th-load: %s\n", error->message);
    return 1;
  }
  g_option_context_free (ctx);
  if (opt.ice_address == NULL)
    opt.ice_address = g_strdup ("127.0.0.1");
  if (opt.visits < 1 || opt.duration_s <= 0 || opt.ramp_up_s < 0 || opt.timeout_s <= 0 ||
      opt.bitrate_kbps <= 0 || opt.fps <= 0 || opt.width <= 0 || opt.height <= 0) {
    g_printerr ("th-load: --visits, --duration, --timeout, --bitrate, --fps, --width and "
                "--height must be positive\n");
    return 1;
  }
  if (opt.drop_every_s < 0 || (opt.drop_every_s > 0 && opt.server != SERVER_OURS)) {
    g_printerr ("th-load: --drop-every needs --server ours and a positive period\n");
    return 1;
  }
  if (opt.server == SERVER_OURS && (opt.username == NULL || opt.password == NULL)) {
    g_printerr ("th-load: --server ours needs --username and --password (staff sign-in)\n");
    return 1;
  }
  adapter = opt.server == SERVER_OURS    ? &ours_adapter
            : opt.server == SERVER_JANUS ? &janus_adapter
                                         : &direct_adapter;

  gst_init (NULL, NULL);
  loop = g_main_loop_new (NULL, FALSE);
  visits = g_new0 (Visit, opt.visits);
  for (int i = 0; i < opt.visits; i++) {
    Visit *v = &visits[i];
    v->index = i;
    for (int r = 0; r < 2; r++) {
      Client *c = &v->client[r];
      c->visit = v;
      c->role = r;
      c->role_name = r ? "provider" : "patient";
      c->partner = &v->client[1 - r];
      for (int k = 0; k < N_KINDS; k++)
        ring_init (&c->ring[k]);
      c->recovery_ms = g_array_new (FALSE, FALSE, sizeof (double));
      c->seen_again_ms = g_array_new (FALSE, FALSE, sizeof (double));
    }
  }

  int status = 1;
  GstElement *pipeline = NULL;
  if (!ws_init (loop, &error))
    goto out;
  pipeline = media_source_start (&error);
  if (pipeline == NULL)
    goto out;
  peers_init (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "the encoder pipeline does not start");
    goto out;
  }
  if (!adapter->prepare (&error))
    goto out;

  guint sig_int = g_unix_signal_add (SIGINT, on_signal, NULL);
  guint sig_term = g_unix_signal_add (SIGTERM, on_signal, NULL);
  run_start_us = g_get_monotonic_time ();
  cpu_start = self_cpu_seconds ();
  for (int k = 0; k < N_KINDS; k++)
    produced_start[k] = media_source_produced (k);
  for (int i = 0; i < opt.visits; i++) {
    double at = opt.visits > 1 ? opt.ramp_up_s * i / (opt.visits - 1) : 0;
    g_timeout_add ((guint) (at * 1000), start_one, &visits[i]);
  }
  g_timeout_add ((guint) ((opt.ramp_up_s + opt.duration_s) * 1000), finish, NULL);
  guint ticker = opt.verbose ? g_timeout_add_seconds (1, progress, NULL) : 0;
  g_main_loop_run (loop);
  if (ticker)
    g_source_remove (ticker);
  g_source_remove (sig_int);
  g_source_remove (sig_term);
  if (!stopping) {      /* quit by a fatal error before the end */
    run_end_us = g_get_monotonic_time ();
    cpu_end = self_cpu_seconds ();
    for (int k = 0; k < N_KINDS; k++)
      produced_end[k] = media_source_produced (k);
    stopping = TRUE;
  }
  status = fatal ? 1 : 0;

out:
  if (error != NULL) {
    g_printerr ("th-load: %s\n", error->message);
    g_clear_error (&error);
  }
  /* Signaling first (no callback may reach a freed peer), then the media:
   * the pipeline goes to NULL from this, the main, thread. */
  ws_shutdown ();
  if (pipeline != NULL)
    gst_element_set_state (pipeline, GST_STATE_NULL);
  adapter->cleanup ();
  if (run_start_us != 0) {
    int r = report ();
    if (status == 0)
      status = r;
  }
  media_source_stop ();
  gst_clear_object (&pipeline);
  for (int i = 0; i < opt.visits; i++)
    for (int r = 0; r < 2; r++) {
      for (int k = 0; k < N_KINDS; k++)
        ring_clear (&visits[i].client[r].ring[k]);
      g_free (visits[i].client[r].failure);
      g_array_unref (visits[i].client[r].recovery_ms);
      g_array_unref (visits[i].client[r].seen_again_ms);
    }
  for (int i = 0; i < opt.visits; i++) {
    g_free (visits[i].visit_id);
    g_free (visits[i].patient_token);
  }
  g_free (visits);
  g_main_loop_unref (loop);
  g_free (fatal_reason);
  return status;
}
