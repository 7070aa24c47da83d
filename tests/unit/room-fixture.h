/* room-fixture.h — what the rooms' unit tests share: a recording transport
 * (the frames a client got), hooks that record what the server would store
 * (and a queue for the replies of their _async forms), a hub with small
 * limits, the provider and patient of a call, and a fake media layer. Tokens "patient-N", "guest-N" and
 * "provider-N" are people of visit "v1" (whose patient is "Robin
 * Guestless"); "vN-patient" is the patient of visit vN. A test's
 * transports come from fixture_transport and live until tear-down.
 *
 * Header-only (static inline), so each test program includes what it uses.
 */
#pragma once

#include "signaling/signaling.h"

#include <stdarg.h>
#include <string.h>
#include <jansson.h>

typedef struct {
  GPtrArray *frames; /* text frames sent, oldest first */
  gboolean closed;
  gboolean joined; /* told its hello was verified */
} FakeTransport;

typedef struct {
  SigHub *hub;
  GPtrArray *events;     /* "participant:event" */
  GPtrArray *states;     /* visit states recorded */
  GPtrArray *stored;     /* chat texts and modality switches the hooks stored */
  GPtrArray *transports; /* the test's FakeTransports, freed after the hub */
  GPtrArray *asked;      /* what _async hooks asked, not answered yet, oldest first */
  GPtrArray *replies;    /* their replies, in the same order */
} Fixture;

static inline void
fake_send (gpointer data, const char *text)
{
  FakeTransport *t = data;
  g_ptr_array_add (t->frames, g_strdup (text));
}

static inline void
fake_close (gpointer data)
{
  ((FakeTransport *) data)->closed = TRUE;
}

static inline void
fake_joined (gpointer data)
{
  ((FakeTransport *) data)->joined = TRUE;
}

static const SigTransport transport = { .send = fake_send,
                                        .close = fake_close,
                                        .joined = fake_joined };

static inline gboolean
authorize (const char *token, const char *visit G_GNUC_UNUSED, const char *credential G_GNUC_UNUSED,
           SigIdentity *out, SigErrorCode *code, char **message, gpointer user_data G_GNUC_UNUSED)
{
  if (!token || (!g_str_has_prefix (token, "patient-") && !g_str_has_prefix (token, "guest-") &&
                 !g_str_has_prefix (token, "provider-") && !g_str_has_suffix (token, "-patient"))) {
    *code = SIG_ERR_UNAUTHORIZED;
    *message = g_strdup ("no");
    return FALSE;
  }
  if (g_str_has_suffix (token, "-patient")) {
    out->visit_id = g_strndup (token, strlen (token) - strlen ("-patient"));
    out->patient_display_name = g_strdup (token);
  } else {
    out->visit_id = g_strdup ("v1");
    out->patient_display_name = g_strdup ("Robin Guestless");
  }
  out->participant_id = g_strdup (token);
  out->display_name = g_strdup (token);
  out->role = g_str_has_prefix (token, "guest-")      ? SIG_ROLE_GUEST
              : g_str_has_prefix (token, "provider-") ? SIG_ROLE_PROVIDER
                                                      : SIG_ROLE_PATIENT;
  out->visit_state = g_strdup ("scheduled");
  /* One provider for every visit: they share one waiting line. */
  out->provider_key = g_strdup ("dr-1");
  return TRUE;
}

static inline gboolean
state_changed (const char *visit_id G_GNUC_UNUSED, const char *state, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->states, g_strdup (state));
  return TRUE;
}

static inline void
participant_event (const char *visit_id G_GNUC_UNUSED, const char *participant_id,
                   SigRole role G_GNUC_UNUSED, const char *event, const char *address G_GNUC_UNUSED,
                   gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->events, g_strdup_printf ("%s:%s", participant_id, event));
}

/* A text containing "FAIL" cannot be stored (a full disk, say). */
static inline gboolean
chat_hook (const char *visit_id G_GNUC_UNUSED, const char *participant_id, const char *text,
           gint64 *at_ms, gpointer user_data)
{
  Fixture *f = user_data;
  if (strstr (text, "FAIL"))
    return FALSE;
  *at_ms = G_GINT64_CONSTANT (1795780800000);
  g_ptr_array_add (f->stored, g_strdup_printf ("chat:%s:%s", participant_id, text));
  return TRUE;
}

static inline gboolean
modality_hook (const char *visit_id G_GNUC_UNUSED, const char *participant_id, const char *modality,
               gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->stored, g_strdup_printf ("modality:%s:%s", participant_id, modality));
  return TRUE;
}

static const SigHooks hooks = {
  .authorize = authorize,
  .visit_state_changed = state_changed,
  .participant_event = participant_event,
  .chat = chat_hook,
  .modality_changed = modality_hook,
};

static inline FakeTransport *
transport_new (void)
{
  FakeTransport *t = g_new0 (FakeTransport, 1);
  t->frames = g_ptr_array_new_with_free_func (g_free);
  return t;
}

static inline void
transport_free (gpointer data)
{
  FakeTransport *t = data;
  g_ptr_array_unref (t->frames);
  g_free (t);
}

/* A hub on `h` (the fixture's hooks, or a copy with some of their _async
 * forms added) with small limits. */
static inline void
fixture_set_up_hooks (Fixture *f, const SigHooks *h)
{
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->states = g_ptr_array_new_with_free_func (g_free);
  f->stored = g_ptr_array_new_with_free_func (g_free);
  f->transports = g_ptr_array_new_with_free_func (transport_free);
  f->asked = g_ptr_array_new_with_free_func (g_free);
  f->replies = g_ptr_array_new ();
  f->hub = sig_hub_new (h, f, NULL);
  sig_hub_set_limits (f->hub, &(SigLimits) { .grace_s = 1,
                                             .media_timeout_s = 0,
                                             .max_visits = 2,
                                             .max_participants = 3 });
}

static inline void
fixture_set_up (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  fixture_set_up_hooks (f, &hooks);
}

static inline void
fixture_tear_down (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_assert_cmpuint (f->asked->len, ==, 0);
  g_ptr_array_unref (f->asked);
  g_ptr_array_unref (f->replies);
  sig_hub_free (f->hub);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->states);
  g_ptr_array_unref (f->stored);
  g_ptr_array_unref (f->transports);
}

/* An _async hook was asked `what` (taken): its reply waits for the test. */
static inline void
fixture_ask (Fixture *f, char *what, gpointer reply)
{
  g_ptr_array_add (f->asked, what);
  g_ptr_array_add (f->replies, reply);
}

/* The oldest reply awaited; what it was asked in *what (g_free it). */
static inline gpointer
fixture_next_reply (Fixture *f, char **what)
{
  g_assert_cmpuint (f->asked->len, >, 0);
  *what = g_ptr_array_steal_index (f->asked, 0);
  return g_ptr_array_steal_index (f->replies, 0);
}

/* A transport the fixture frees at tear-down (after the hub). */
static inline FakeTransport *
fixture_transport (Fixture *f)
{
  FakeTransport *t = transport_new ();
  g_ptr_array_add (f->transports, t);
  return t;
}

static inline SigConn *
say_hello (Fixture *f, FakeTransport *t, const char *token)
{
  SigConn *conn = sig_hub_connect (f->hub, &transport, t, NULL, "127.0.0.1");
  g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"%s\"}", token);
  sig_conn_receive (conn, hello, strlen (hello), FALSE);
  return conn;
}

/* The sockets of `conn` and of each connection after it (up to NULL) close,
 * in that order. */
static inline void
hang_up (SigConn *conn, ...)
{
  va_list ap;

  va_start (ap, conn);
  for (SigConn *c = conn; c; c = va_arg (ap, SigConn *))
    sig_conn_disconnected (c);
  va_end (ap);
}

/* The provider ("provider-1") and the patient ("patient-1") of visit v1:
 * the frames each one's client got, and each one's connection. */
typedef struct {
  FakeTransport *doc, *pat;
  SigConn *dc, *pc;
} Call;

/* Both say hello, the patient first (they wait for the provider) or the
 * provider first (the patient's wait is seen at once). */
static inline Call
call_hello (Fixture *f, gboolean patient_first)
{
  Call c = { .doc = fixture_transport (f), .pat = fixture_transport (f) };

  if (patient_first)
    c.pc = say_hello (f, c.pat, "patient-1");
  c.dc = say_hello (f, c.doc, "provider-1");
  if (!patient_first)
    c.pc = say_hello (f, c.pat, "patient-1");
  return c;
}

/* The patient's socket closes, then the provider's. */
static inline void
call_hang_up (Call *c)
{
  hang_up (c->pc, c->dc, NULL);
}

/* Whether the transport got a frame of `type` whose `field` equals `value`. */
static inline gboolean
got (FakeTransport *t, const char *type, const char *field, const char *value)
{
  for (guint i = 0; i < t->frames->len; i++) {
    json_t *m = json_loads (g_ptr_array_index (t->frames, i), 0, NULL);
    gboolean match = m && g_strcmp0 (json_string_value (json_object_get (m, "type")), type) == 0 &&
                     (!field ||
                      g_strcmp0 (json_string_value (json_object_get (m, field)), value) == 0);
    json_decref (m);
    if (match)
      return TRUE;
  }
  return FALSE;
}

static inline gboolean
has_event (Fixture *f, const char *event)
{
  for (guint i = 0; i < f->events->len; i++)
    if (strcmp (g_ptr_array_index (f->events, i), event) == 0)
      return TRUE;
  return FALSE;
}

static inline gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static inline void
run_loop_for (guint ms)
{
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (ms, quit_loop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
}

static inline void
send_text (SigConn *c, const char *text)
{
  sig_conn_receive (c, text, strlen (text), FALSE);
}

static inline guint
count_type (FakeTransport *t, const char *type)
{
  guint n = 0;
  for (guint i = 0; i < t->frames->len; i++)
    n += strstr (g_ptr_array_index (t->frames, i), type) != NULL;
  return n;
}

/* The last frame of `type` as JSON (json_decref it), or NULL. */
static inline json_t *
last_of (FakeTransport *t, const char *type)
{
  for (guint i = t->frames->len; i-- > 0;) {
    json_t *m = json_loads (g_ptr_array_index (t->frames, i), 0, NULL);
    if (m && g_strcmp0 (json_string_value (json_object_get (m, "type")), type) == 0)
      return m;
    json_decref (m);
  }
  return NULL;
}

/* A fake media layer (SigMedia), for the rooms' tests that admit: no
 * GStreamer, the test plays webrtcbin and calls the legs' callbacks itself.
 * The fake's own visit and leg; the rooms see them only as the opaque
 * MediaVisit and MediaLeg of media.h. */
struct _MediaVisit {
  char *id;
};

struct _MediaLeg {
  char *participant;
  const MediaLegCallbacks *callbacks;
  gpointer user_data;
  MediaLegState state;
  gboolean may_share;
  GPtrArray *answers;    /* SDP answers set */
  GPtrArray *candidates; /* "mline:candidate" added */
  MediaLegStats stats;   /* what get_stats says (the test sets it) */
};

/* What the fake media saw. One test at a time runs, each from a fresh state
 * (fake_media_set_up). */
static struct {
  GPtrArray *legs;     /* live legs (owned) */
  GPtrArray *log;      /* "visit-new:v1", "add-leg:p", "remove-leg:p", "visit-free:v1" */
  gboolean fail_visit; /* the next visit_new fails */
} fake;

static inline void
fake_leg_free (gpointer data)
{
  MediaLeg *leg = data;

  g_free (leg->participant);
  g_ptr_array_unref (leg->answers);
  g_ptr_array_unref (leg->candidates);
  g_free (leg);
}

static inline MediaVisit *
fake_visit_new (const char *visit_id, const MediaConfig *config, GError **error)
{
  MediaVisit *visit;

  /* The hub hands its layout over: every client receives the others. */
  g_assert_cmpuint (config->remote_slots, ==, 2);
  if (fake.fail_visit) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_MISSING_PLUGIN, "no webrtcbin here");
    return NULL;
  }
  visit = g_new0 (MediaVisit, 1);
  visit->id = g_strdup (visit_id);
  g_ptr_array_add (fake.log, g_strdup_printf ("visit-new:%s", visit_id));
  return visit;
}

static inline void
fake_visit_free (MediaVisit *visit)
{
  g_ptr_array_add (fake.log, g_strdup_printf ("visit-free:%s", visit->id));
  g_free (visit->id);
  g_free (visit);
}

static inline MediaLeg *
fake_add_leg (MediaVisit *visit G_GNUC_UNUSED, const char *participant_id,
              const MediaLegCallbacks *callbacks, gpointer user_data, GError **error G_GNUC_UNUSED)
{
  MediaLeg *leg = g_new0 (MediaLeg, 1);

  leg->participant = g_strdup (participant_id);
  leg->callbacks = callbacks;
  leg->user_data = user_data;
  leg->state = MEDIA_LEG_NEW;
  leg->answers = g_ptr_array_new_with_free_func (g_free);
  leg->candidates = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (fake.legs, leg);
  g_ptr_array_add (fake.log, g_strdup_printf ("add-leg:%s", participant_id));
  return leg;
}

static inline void
fake_remove_leg (MediaVisit *visit G_GNUC_UNUSED, MediaLeg *leg)
{
  g_ptr_array_add (fake.log, g_strdup_printf ("remove-leg:%s", leg->participant));
  g_assert_true (g_ptr_array_remove (fake.legs, leg)); /* frees it */
}

static inline void
fake_set_may_share (MediaLeg *leg, gboolean may_share)
{
  leg->may_share = may_share;
}

static inline MediaLegState
fake_get_state (MediaLeg *leg)
{
  return leg->state;
}

static inline void
fake_get_stats (MediaLeg *leg, MediaLegStats *stats)
{
  *stats = leg->stats;
}

/* Like media/: an answer that does not fit the offer is refused. */
static inline gboolean
fake_set_answer (MediaLeg *leg, const char *sdp, GError **error)
{
  if (strstr (sdp, "m=application")) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_SDP,
                 "the answer has m-lines the offer did not have");
    return FALSE;
  }
  g_ptr_array_add (leg->answers, g_strdup (sdp));
  leg->state = MEDIA_LEG_CONNECTING;
  return TRUE;
}

static inline gboolean
fake_add_ice_candidate (MediaLeg *leg, guint mline, const char *candidate, GError **error)
{
  if (mline > 6) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE, "no such m-line in the offer");
    return FALSE;
  }
  g_ptr_array_add (leg->candidates, g_strdup_printf ("%u:%s", mline, candidate));
  return TRUE;
}

static inline void
fake_request_quality (MediaLeg *leg, MediaQualityFunc func, gpointer user_data,
                      GDestroyNotify destroy)
{
  MediaLegQuality q = { 0 };

  func (leg, &q, user_data);
  destroy (user_data);
}

static const SigMedia fake_media = {
  .visit_new = fake_visit_new,
  .visit_free = fake_visit_free,
  .add_leg = fake_add_leg,
  .remove_leg = fake_remove_leg,
  .set_may_share = fake_set_may_share,
  .get_state = fake_get_state,
  .get_stats = fake_get_stats,
  .set_answer = fake_set_answer,
  .add_ice_candidate = fake_add_ice_candidate,
  .request_quality = fake_request_quality,
};

/* The fake media layer, fresh, on the fixture's hub. */
static inline void
fake_media_set_up (Fixture *f)
{
  fake.legs = g_ptr_array_new_with_free_func (fake_leg_free);
  fake.log = g_ptr_array_new_with_free_func (g_free);
  fake.fail_visit = FALSE;
  sig_hub_set_media (f->hub, &fake_media);
}

/* After fixture_tear_down (the hub freed). */
static inline void
fake_media_tear_down (void)
{
  /* The hub gave every leg and pipeline back. */
  g_assert_cmpuint (fake.legs->len, ==, 0);
  g_ptr_array_unref (fake.legs);
  g_ptr_array_unref (fake.log);
}
