/* test_room_media.c — the room's core with a fake media layer (SigMedia):
 * admit, the server's offer and the client's answer, ICE both ways, a
 * leg's state reaching the others, leave, end, a fresh leg on return, a
 * pipeline that cannot start, a guest's welcome naming the patient, and
 * the hub's figures for GET /metrics.
 * No network, no GStreamer: the test plays the media layer and calls the
 * legs' callbacks itself, as webrtcbin would on the main context. */
#include "room-fixture.h"

/* The fake's own visit and leg; the rooms see them only as the opaque
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
  GPtrArray *answers;      /* SDP answers set */
  GPtrArray *candidates;   /* "mline:candidate" added */
  MediaLegStats stats;     /* what get_stats says (the test sets it) */
};

/* What the fake media saw. One test at a time runs, each from a fresh state. */
static struct {
  GPtrArray *legs;         /* live legs (owned) */
  GPtrArray *log;          /* "visit-new:v1", "add-leg:p", "remove-leg:p", "visit-free:v1" */
  gboolean fail_visit;     /* the next visit_new fails */
  guint pipeline_warnings; /* "the call could not start" warnings logged, with their fields */
} fake;

/* Tests make warnings fatal; the one a failing pipeline must log is
 * counted instead (g_test_expect_message does not see structured logs). */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & G_LOG_LEVEL_WARNING) {
    /* The message, and the fields journalctl searches by (issue 17). */
    gboolean message = FALSE, event = FALSE, visit = FALSE, domain = FALSE;
    for (gsize i = 0; i < n_fields; i++) {
      const char *v = fields[i].length < 0 ? fields[i].value : NULL;
      if (!v)
        continue;
      message |= strcmp (fields[i].key, "MESSAGE") == 0 &&
                 strstr (v, "the call could not start: no webrtcbin here") != NULL;
      event |= strcmp (fields[i].key, "EVENT") == 0 && strcmp (v, "media.start") == 0;
      visit |= strcmp (fields[i].key, "VISIT_ID") == 0 && *v;
      domain |= strcmp (fields[i].key, "ERROR_DOMAIN") == 0 && *v;
    }
    if (message && event && visit && domain) {
      fake.pipeline_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
fake_leg_free (gpointer data)
{
  MediaLeg *leg = data;

  g_free (leg->participant);
  g_ptr_array_unref (leg->answers);
  g_ptr_array_unref (leg->candidates);
  g_free (leg);
}

static MediaVisit *
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

static void
fake_visit_free (MediaVisit *visit)
{
  g_ptr_array_add (fake.log, g_strdup_printf ("visit-free:%s", visit->id));
  g_free (visit->id);
  g_free (visit);
}

static MediaLeg *
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

static void
fake_remove_leg (MediaVisit *visit G_GNUC_UNUSED, MediaLeg *leg)
{
  g_ptr_array_add (fake.log, g_strdup_printf ("remove-leg:%s", leg->participant));
  g_assert_true (g_ptr_array_remove (fake.legs, leg));  /* frees it */
}

static void
fake_set_may_share (MediaLeg *leg, gboolean may_share)
{
  leg->may_share = may_share;
}

static MediaLegState
fake_get_state (MediaLeg *leg)
{
  return leg->state;
}

static void
fake_get_stats (MediaLeg *leg, MediaLegStats *stats)
{
  *stats = leg->stats;
}

/* Like media/: an answer that does not fit the offer is refused. */
static gboolean
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

static gboolean
fake_add_ice_candidate (MediaLeg *leg, guint mline, const char *candidate, GError **error)
{
  if (mline > 6) {
    g_set_error (error, MEDIA_ERROR, MEDIA_ERROR_BAD_CANDIDATE, "no such m-line in the offer");
    return FALSE;
  }
  g_ptr_array_add (leg->candidates, g_strdup_printf ("%u:%s", mline, candidate));
  return TRUE;
}

static void
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

static void
media_set_up (Fixture *f, gconstpointer data)
{
  fake.legs = g_ptr_array_new_with_free_func (fake_leg_free);
  fake.log = g_ptr_array_new_with_free_func (g_free);
  fake.fail_visit = FALSE;
  fake.pipeline_warnings = 0;
  fixture_set_up (f, data);
  sig_hub_set_media (f->hub, &fake_media);
}

static void
media_tear_down (Fixture *f, gconstpointer data)
{
  fixture_tear_down (f, data);
  /* The hub gave every leg and pipeline back. */
  g_assert_cmpuint (fake.legs->len, ==, 0);
  g_ptr_array_unref (fake.legs);
  g_ptr_array_unref (fake.log);
}

/* The live leg of a participant, or NULL. */
static MediaLeg *
leg_of (const char *participant)
{
  for (guint i = 0; i < fake.legs->len; i++) {
    MediaLeg *leg = g_ptr_array_index (fake.legs, i);
    if (strcmp (leg->participant, participant) == 0)
      return leg;
  }
  return NULL;
}

static gboolean
logged (const char *entry)
{
  for (guint i = 0; i < fake.log->len; i++)
    if (strcmp (g_ptr_array_index (fake.log, i), entry) == 0)
      return TRUE;
  return FALSE;
}

static guint
count_logged (const char *entry)
{
  guint n = 0;
  for (guint i = 0; i < fake.log->len; i++)
    n += strcmp (g_ptr_array_index (fake.log, i), entry) == 0;
  return n;
}

/* What webrtcbin does after negotiation-needed: the server's offer. */
static void
media_offers (MediaLeg *leg, const char *sdp)
{
  leg->state = MEDIA_LEG_AWAITING_ANSWER;
  leg->callbacks->offer (leg, sdp, leg->user_data);
}

static void
media_state (MediaLeg *leg, MediaLegState state)
{
  leg->state = state;
  leg->callbacks->state_changed (leg, state, leg->user_data);
}

/* The error code of the last error frame, or "" (g_free it). */
static char *
last_error (FakeTransport *t)
{
  json_t *m = last_of (t, "error");
  char *code = g_strdup (m ? json_string_value (json_object_get (m, "code")) : "");
  json_decref (m);
  return code;
}

#define ASSERT_LAST_ERROR(t, want) G_STMT_START { \
    g_autofree char *_code = last_error (t);      \
    g_assert_cmpstr (_code, ==, (want));          \
  } G_STMT_END

/* The patient waits, the provider opens the visit and admits them. */
static void
start_call (Fixture *f, FakeTransport *p, FakeTransport *d, SigConn **cp, SigConn **cd)
{
  *cp = say_hello (f, p, "patient-1");
  *cd = say_hello (f, d, "provider-1");
  send_text (*cd, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
}

static void
test_admit (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new ();
  SigConn *cp = say_hello (f, p, "patient-1");
  SigConn *cd = say_hello (f, d, "provider-1");
  json_t *m;

  /* Waiting: no pipeline yet, the provider sees who waits. */
  g_assert_cmpuint (fake.log->len, ==, 0);
  m = last_of (d, "waiting");
  g_assert_cmpuint (json_array_size (json_object_get (m, "participants")), ==, 1);
  json_decref (m);
  /* Only the provider admits, and only someone waiting. */
  send_text (cp, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  ASSERT_LAST_ERROR (p, "forbidden");
  send_text (cd, "{\"type\":\"admit\",\"participant\":\"patient-9\"}");
  ASSERT_LAST_ERROR (d, "not-found");
  g_assert_cmpuint (fake.log->len, ==, 0);

  send_text (cd, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  g_assert_true (has_event (f, "patient-1:admit"));
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "in_progress");
  g_assert_true (got (p, "visit-state", "state", "in_progress"));
  g_assert_true (got (d, "peer-state", "state", "admitted"));
  /* One pipeline, a leg each; only the provider's screen share is relayed. */
  g_assert_cmpuint (count_logged ("visit-new:v1"), ==, 1);
  g_assert_nonnull (leg_of ("patient-1"));
  g_assert_nonnull (leg_of ("provider-1"));
  g_assert_false (leg_of ("patient-1")->may_share);
  g_assert_true (leg_of ("provider-1")->may_share);
  m = last_of (d, "waiting");
  g_assert_cmpuint (json_array_size (json_object_get (m, "participants")), ==, 0);
  json_decref (m);

  send_text (cd, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  ASSERT_LAST_ERROR (d, "bad-state");
  g_assert_cmpuint (count_logged ("add-leg:patient-1"), ==, 1);

  sig_conn_disconnected (cp);
  sig_conn_disconnected (cd);
  transport_free (p);
  transport_free (d);
}

static void
test_offer_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new ();
  SigConn *cp, *cd;
  MediaLeg *leg;

  start_call (f, p, d, &cp, &cd);
  leg = leg_of ("patient-1");
  /* An answer before any offer is refused, and media never sees it. */
  send_text (cp, "{\"type\":\"answer\",\"sdp\":\"v=0 early\"}");
  ASSERT_LAST_ERROR (p, "bad-state");
  g_assert_cmpuint (leg->answers->len, ==, 0);

  media_offers (leg, "v=0 offer-to-patient");
  g_assert_true (got (p, "offer", "sdp", "v=0 offer-to-patient"));
  g_assert_false (got (d, "offer", "sdp", "v=0 offer-to-patient"));  /* theirs alone */

  /* An answer media refuses reaches the client as bad-sdp, in media's words. */
  send_text (cp, "{\"type\":\"answer\",\"sdp\":\"v=0 m=application\"}");
  ASSERT_LAST_ERROR (p, "bad-sdp");
  g_assert_true (got (p, "error", "message", "the answer has m-lines the offer did not have"));

  send_text (cp, "{\"type\":\"answer\",\"sdp\":\"v=0 answer-from-patient\"}");
  g_assert_cmpuint (leg->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (leg->answers, 0), ==, "v=0 answer-from-patient");
  /* A second answer: the offer was answered already. */
  send_text (cp, "{\"type\":\"answer\",\"sdp\":\"v=0 again\"}");
  ASSERT_LAST_ERROR (p, "bad-state");
  g_assert_cmpuint (leg->answers->len, ==, 1);

  /* Connected: the others hear it; failed: the participant is told too. */
  media_state (leg, MEDIA_LEG_CONNECTED);
  g_assert_true (got (d, "peer-state", "state", "connected"));
  g_assert_false (got (p, "peer-state", "state", "connected"));
  media_state (leg, MEDIA_LEG_FAILED);
  g_assert_true (got (d, "peer-state", "state", "failed"));
  ASSERT_LAST_ERROR (p, "internal");

  sig_conn_disconnected (cp);
  sig_conn_disconnected (cd);
  transport_free (p);
  transport_free (d);
}

static void
test_ice (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new ();
  SigConn *cp, *cd;
  MediaLeg *leg;
  json_t *m;
  const char *cand = "candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host";
  g_autofree char *from_client = NULL;

  /* Before a leg exists (still waiting), a candidate has nowhere to go. */
  cp = say_hello (f, p, "patient-1");
  send_text (cp, "{\"type\":\"ice\",\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 1 typ host\","
                 "\"sdpMLineIndex\":0}");
  ASSERT_LAST_ERROR (p, "bad-state");
  cd = say_hello (f, d, "provider-1");
  send_text (cd, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  leg = leg_of ("patient-1");
  media_offers (leg, "v=0 offer");

  /* The server's candidate goes to its own client only. */
  leg->callbacks->ice_candidate (leg, 1, cand, leg->user_data);
  m = last_of (p, "ice");
  g_assert_nonnull (m);
  g_assert_cmpstr (json_string_value (json_object_get (m, "candidate")), ==, cand);
  g_assert_cmpint (json_integer_value (json_object_get (m, "sdpMLineIndex")), ==, 1);
  json_decref (m);
  g_assert_cmpuint (count_type (d, "\"ice\""), ==, 0);

  /* The client's candidates reach the leg; end-of-candidates stays here. */
  from_client = g_strdup_printf ("{\"type\":\"ice\",\"candidate\":\"%s\","
                                 "\"sdpMLineIndex\":2}", cand);
  send_text (cp, from_client);
  send_text (cp, "{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":0}");
  g_assert_cmpuint (leg->candidates->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (leg->candidates, 0), "2:candidate:1 1 UDP"));
  /* One the media layer refuses: bad-candidate. */
  send_text (cp, "{\"type\":\"ice\",\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 1 typ host\","
                 "\"sdpMLineIndex\":9}");
  ASSERT_LAST_ERROR (p, "bad-candidate");
  g_assert_cmpuint (leg->candidates->len, ==, 1);

  sig_conn_disconnected (cp);
  sig_conn_disconnected (cd);
  transport_free (p);
  transport_free (d);
}

static void
test_leave (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new ();
  SigConn *cp, *cd;

  start_call (f, p, d, &cp, &cd);
  send_text (cp, "{\"type\":\"leave\"}");
  /* The patient's leg goes at once; the provider's stays, in a live visit. */
  g_assert_true (logged ("remove-leg:patient-1"));
  g_assert_null (leg_of ("patient-1"));
  g_assert_nonnull (leg_of ("provider-1"));
  g_assert_false (logged ("visit-free:v1"));
  g_assert_true (has_event (f, "patient-1:leave"));
  g_assert_true (got (d, "peer-state", "state", "left"));
  g_assert_true (got (p, "bye", "reason", "left"));
  g_assert_true (p->closed);
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "in_progress");
  sig_conn_disconnected (cp);

  sig_conn_disconnected (cd);
  g_assert_null (leg_of ("provider-1"));  /* a drop takes the leg too */
  transport_free (p);
  transport_free (d);
}

static void
test_end (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new (), *g = transport_new ();
  SigConn *cp, *cd, *cg;

  start_call (f, p, d, &cp, &cd);
  cg = say_hello (f, g, "guest-1");   /* still waiting when the visit ends */
  send_text (cp, "{\"type\":\"end\"}");
  ASSERT_LAST_ERROR (p, "forbidden");
  g_assert_nonnull (leg_of ("patient-1"));

  send_text (cd, "{\"type\":\"end\"}");
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "ended");
  g_assert_true (has_event (f, "provider-1:end"));
  /* Every leg and the pipeline go now, from the main loop. */
  g_assert_cmpuint (fake.legs->len, ==, 0);
  g_assert_true (logged ("visit-free:v1"));
  for (FakeTransport **t = (FakeTransport *[]) { p, d, g, NULL }; *t; t++) {
    g_assert_true (got (*t, "visit-state", "state", "ended"));
    g_assert_true (got (*t, "bye", "reason", "visit-ended"));
    g_assert_true ((*t)->closed);
  }
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  sig_conn_disconnected (cp);
  sig_conn_disconnected (cd);
  sig_conn_disconnected (cg);
  transport_free (p);
  transport_free (d);
  transport_free (g);
}

/* A dropped participant who returns gets a fresh leg: webrtcbin 1.22
 * cannot restart ICE on the old one. */
static void
test_return_gets_fresh_leg (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new (), *again = transport_new ();
  SigConn *cp, *cd, *ca;

  start_call (f, p, d, &cp, &cd);
  sig_conn_disconnected (cp);
  g_assert_true (logged ("remove-leg:patient-1"));
  g_assert_true (got (d, "peer-state", "state", "reconnecting"));
  ca = say_hello (f, again, "patient-1");
  g_assert_cmpuint (count_logged ("add-leg:patient-1"), ==, 2);
  g_assert_nonnull (leg_of ("patient-1"));
  g_assert_false (got (again, "queue", NULL, NULL));  /* straight back into the call */
  g_assert_cmpuint (count_logged ("visit-new:v1"), ==, 1);
  sig_conn_disconnected (ca);
  sig_conn_disconnected (cd);
  transport_free (p);
  transport_free (d);
  transport_free (again);
}

static void
test_no_pipeline (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new ();
  SigConn *cp, *cd;

  fake.fail_visit = TRUE;
  start_call (f, p, d, &cp, &cd);
  /* Logged for each of the two who would have had a leg. */
  g_assert_cmpuint (fake.pipeline_warnings, ==, 2);
  g_assert_true (got (p, "error", "message", "the server could not start the video call"));
  g_assert_cmpuint (fake.legs->len, ==, 0);
  sig_conn_disconnected (cp);
  sig_conn_disconnected (cd);
  transport_free (p);
  transport_free (d);
}

/* Fault 8 of issue 12: a guest is told whose visit it is. */
static void
test_guest_welcome_names_patient (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *g = transport_new (), *p = transport_new ();
  SigConn *cg = say_hello (f, g, "guest-1");
  SigConn *cp = say_hello (f, p, "patient-1");
  json_t *m = last_of (g, "welcome");

  /* The guest came first: the patient's name comes from the hello, not
   * from anyone already in the room. */
  g_assert_cmpstr (json_string_value (json_object_get (m, "role")), ==, "guest");
  g_assert_cmpstr (json_string_value (json_object_get (m, "display_name")), ==, "guest-1");
  g_assert_cmpstr (json_string_value (json_object_get (m, "patient_display_name")), ==,
                   "Robin Guestless");
  json_decref (m);
  g_assert_true (got (p, "welcome", "patient_display_name", "Robin Guestless"));
  g_assert_null (leg_of ("guest-1"));  /* waiting: no media */
  sig_conn_disconnected (cg);
  sig_conn_disconnected (cp);
  transport_free (g);
  transport_free (p);
}

/* What GET /metrics reads (sig_hub_get_stats): rooms by state, who is
 * connected, legs, messages by type, and media totals that do not go down
 * when a leg goes. */
static void
test_stats (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = transport_new (), *d = transport_new ();
  SigConn *cp, *cd;
  SigHubStats s;

  cp = say_hello (f, p, "patient-1");
  sig_hub_get_stats (f->hub, &s);
  g_assert_cmpuint (s.visits_waiting + s.visits_in_progress + s.visits_other, ==, 1);
  g_assert_cmpuint (s.visits_in_progress, ==, 0);
  g_assert_cmpuint (s.participants, ==, 1);
  g_assert_cmpuint (s.legs, ==, 0);
  cd = say_hello (f, d, "provider-1");
  send_text (cd, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  send_text (cp, "{\"type\":");
  leg_of ("patient-1")->stats = (MediaLegStats) { 5, 500, 10, 1000 };
  leg_of ("provider-1")->stats = (MediaLegStats) { 7, 700, 20, 2000 };
  sig_hub_get_stats (f->hub, &s);
  g_assert_cmpuint (s.visits_in_progress, ==, 1);
  g_assert_cmpuint (s.participants, ==, 2);
  g_assert_cmpuint (s.legs, ==, 2);
  g_assert_cmpuint (s.connections, ==, 2);
  g_assert_cmpuint (s.messages[SIG_MSG_HELLO], ==, 2);
  g_assert_cmpuint (s.messages[SIG_MSG_ADMIT], ==, 1);
  g_assert_cmpuint (s.messages[SIG_MSG_ANSWER], ==, 0);
  g_assert_cmpuint (s.messages_invalid, ==, 1);
  g_assert_cmpuint (s.media.packets_sent, ==, 30);
  g_assert_cmpuint (s.media.bytes_sent, ==, 3000);
  g_assert_cmpuint (s.media.packets_received, ==, 12);
  g_assert_cmpuint (s.media.bytes_received, ==, 1200);

  send_text (cp, "{\"type\":\"leave\"}");
  leg_of ("provider-1")->stats.packets_sent = 25;
  sig_hub_get_stats (f->hub, &s);
  g_assert_cmpuint (s.legs, ==, 1);
  g_assert_cmpuint (s.messages[SIG_MSG_LEAVE], ==, 1);
  /* The patient's 10 are kept after their leg went. */
  g_assert_cmpuint (s.media.packets_sent, ==, 35);
  sig_conn_disconnected (cp);
  sig_conn_disconnected (cd);
  sig_hub_get_stats (f->hub, &s);
  g_assert_cmpuint (s.legs, ==, 0);
  g_assert_cmpuint (s.participants, ==, 0);
  g_assert_cmpuint (s.media.packets_sent, ==, 35);
  transport_free (p);
  transport_free (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);
#define ADD(name, fn) \
  g_test_add ("/room-media/" name, Fixture, NULL, media_set_up, fn, media_tear_down)
  ADD ("admit", test_admit);
  ADD ("offer-answer", test_offer_answer);
  ADD ("ice", test_ice);
  ADD ("leave", test_leave);
  ADD ("end", test_end);
  ADD ("return-gets-fresh-leg", test_return_gets_fresh_leg);
  ADD ("no-pipeline", test_no_pipeline);
  ADD ("guest-welcome-names-patient", test_guest_welcome_names_patient);
  ADD ("stats", test_stats);
  return g_test_run ();
}
