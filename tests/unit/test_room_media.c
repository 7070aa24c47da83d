/* test_room_media.c — the room's core with the fake media layer (SigMedia)
 * of room-fixture.h: admit, the server's offer and the client's answer, ICE
 * both ways, a leg's state reaching the others, leave, end, a fresh leg on
 * return, a pipeline that cannot start, a guest's welcome naming the
 * patient, and the hub's figures for GET /metrics.
 * No network, no GStreamer: the test plays the media layer and calls the
 * legs' callbacks itself, as webrtcbin would on the main context. */
#include "room-fixture.h"

/* "the call could not start" warnings logged, with their fields. */
static guint pipeline_warnings;

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
      pipeline_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
media_set_up (Fixture *f, gconstpointer data)
{
  pipeline_warnings = 0;
  fixture_set_up (f, data);
  fake_media_set_up (f);
}

static void
media_tear_down (Fixture *f, gconstpointer data)
{
  fixture_tear_down (f, data);
  fake_media_tear_down ();
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

#define ASSERT_LAST_ERROR(t, want)           \
  G_STMT_START                               \
  {                                          \
    g_autofree char *_code = last_error (t); \
    g_assert_cmpstr (_code, ==, (want));     \
  }                                          \
  G_STMT_END

/* The patient waits, the provider opens the visit and admits them. */
static Call
start_call (Fixture *f)
{
  Call c = call_hello (f, TRUE);

  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  return c;
}

static void
test_admit (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = call_hello (f, TRUE);
  json_t *m;

  /* Waiting: no pipeline yet, the provider sees who waits. */
  g_assert_cmpuint (fake.log->len, ==, 0);
  m = last_of (c.doc, "waiting");
  g_assert_cmpuint (json_array_size (json_object_get (m, "participants")), ==, 1);
  json_decref (m);
  /* Only the provider admits, and only someone waiting. */
  send_text (c.pc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  ASSERT_LAST_ERROR (c.pat, "forbidden");
  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-9\"}");
  ASSERT_LAST_ERROR (c.doc, "not-found");
  g_assert_cmpuint (fake.log->len, ==, 0);

  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  g_assert_true (has_event (f, "patient-1:admit"));
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "in_progress");
  g_assert_true (got (c.pat, "visit-state", "state", "in_progress"));
  g_assert_true (got (c.doc, "peer-state", "state", "admitted"));
  /* One pipeline, a leg each; only the provider's screen share is relayed. */
  g_assert_cmpuint (count_logged ("visit-new:v1"), ==, 1);
  g_assert_nonnull (leg_of ("patient-1"));
  g_assert_nonnull (leg_of ("provider-1"));
  g_assert_false (leg_of ("patient-1")->may_share);
  g_assert_true (leg_of ("provider-1")->may_share);
  m = last_of (c.doc, "waiting");
  g_assert_cmpuint (json_array_size (json_object_get (m, "participants")), ==, 0);
  json_decref (m);

  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  ASSERT_LAST_ERROR (c.doc, "bad-state");
  g_assert_cmpuint (count_logged ("add-leg:patient-1"), ==, 1);

  call_hang_up (&c);
}

static void
test_offer_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = start_call (f);
  MediaLeg *leg = leg_of ("patient-1");

  /* An answer before any offer is refused, and media never sees it. */
  send_text (c.pc, "{\"type\":\"answer\",\"sdp\":\"v=0 early\"}");
  ASSERT_LAST_ERROR (c.pat, "bad-state");
  g_assert_cmpuint (leg->answers->len, ==, 0);

  media_offers (leg, "v=0 offer-to-patient");
  g_assert_true (got (c.pat, "offer", "sdp", "v=0 offer-to-patient"));
  g_assert_false (got (c.doc, "offer", "sdp", "v=0 offer-to-patient")); /* theirs alone */

  /* An answer media refuses reaches the client as bad-sdp, in media's words. */
  send_text (c.pc, "{\"type\":\"answer\",\"sdp\":\"v=0 m=application\"}");
  ASSERT_LAST_ERROR (c.pat, "bad-sdp");
  g_assert_true (got (c.pat, "error", "message", "the answer has m-lines the offer did not have"));

  send_text (c.pc, "{\"type\":\"answer\",\"sdp\":\"v=0 answer-from-patient\"}");
  g_assert_cmpuint (leg->answers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (leg->answers, 0), ==, "v=0 answer-from-patient");
  /* A second answer: the offer was answered already. */
  send_text (c.pc, "{\"type\":\"answer\",\"sdp\":\"v=0 again\"}");
  ASSERT_LAST_ERROR (c.pat, "bad-state");
  g_assert_cmpuint (leg->answers->len, ==, 1);

  /* Connected: the others hear it; failed: the participant is told too. */
  media_state (leg, MEDIA_LEG_CONNECTED);
  g_assert_true (got (c.doc, "peer-state", "state", "connected"));
  g_assert_false (got (c.pat, "peer-state", "state", "connected"));
  media_state (leg, MEDIA_LEG_FAILED);
  g_assert_true (got (c.doc, "peer-state", "state", "failed"));
  ASSERT_LAST_ERROR (c.pat, "internal");

  call_hang_up (&c);
}

static void
test_ice (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = fixture_transport (f), *d = fixture_transport (f);
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
                                 "\"sdpMLineIndex\":2}",
                                 cand);
  send_text (cp, from_client);
  send_text (cp, "{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":0}");
  g_assert_cmpuint (leg->candidates->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (leg->candidates, 0), "2:candidate:1 1 UDP"));
  /* One the media layer refuses: bad-candidate. */
  send_text (cp, "{\"type\":\"ice\",\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 1 typ host\","
                 "\"sdpMLineIndex\":9}");
  ASSERT_LAST_ERROR (p, "bad-candidate");
  g_assert_cmpuint (leg->candidates->len, ==, 1);

  hang_up (cp, cd, NULL);
}

static void
test_leave (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = start_call (f);

  send_text (c.pc, "{\"type\":\"leave\"}");
  /* The patient's leg goes at once; the provider's stays, in a live visit. */
  g_assert_true (logged ("remove-leg:patient-1"));
  g_assert_null (leg_of ("patient-1"));
  g_assert_nonnull (leg_of ("provider-1"));
  g_assert_false (logged ("visit-free:v1"));
  g_assert_true (has_event (f, "patient-1:leave"));
  g_assert_true (got (c.doc, "peer-state", "state", "left"));
  g_assert_true (got (c.pat, "bye", "reason", "left"));
  g_assert_true (c.pat->closed);
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "in_progress");
  sig_conn_disconnected (c.pc);

  sig_conn_disconnected (c.dc);
  g_assert_null (leg_of ("provider-1")); /* a drop takes the leg too */
}

static void
test_end (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = start_call (f);
  FakeTransport *g = fixture_transport (f);
  SigConn *cg = say_hello (f, g, "guest-1"); /* still waiting when the visit ends */

  send_text (c.pc, "{\"type\":\"end\"}");
  ASSERT_LAST_ERROR (c.pat, "forbidden");
  g_assert_nonnull (leg_of ("patient-1"));

  send_text (c.dc, "{\"type\":\"end\"}");
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "ended");
  g_assert_true (has_event (f, "provider-1:end"));
  /* Every leg and the pipeline go now, from the main loop. */
  g_assert_cmpuint (fake.legs->len, ==, 0);
  g_assert_true (logged ("visit-free:v1"));
  for (FakeTransport **t = (FakeTransport *[]) { c.pat, c.doc, g, NULL }; *t; t++) {
    g_assert_true (got (*t, "visit-state", "state", "ended"));
    g_assert_true (got (*t, "bye", "reason", "visit-ended"));
    g_assert_true ((*t)->closed);
  }
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  hang_up (c.pc, c.dc, cg, NULL);
}

/* A dropped participant who returns gets a fresh leg: webrtcbin 1.22
 * cannot restart ICE on the old one. */
static void
test_return_gets_fresh_leg (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = start_call (f);
  FakeTransport *again = fixture_transport (f);
  SigConn *ca;

  sig_conn_disconnected (c.pc);
  g_assert_true (logged ("remove-leg:patient-1"));
  g_assert_true (got (c.doc, "peer-state", "state", "reconnecting"));
  ca = say_hello (f, again, "patient-1");
  g_assert_cmpuint (count_logged ("add-leg:patient-1"), ==, 2);
  g_assert_nonnull (leg_of ("patient-1"));
  g_assert_false (got (again, "queue", NULL, NULL)); /* straight back into the call */
  g_assert_cmpuint (count_logged ("visit-new:v1"), ==, 1);
  hang_up (ca, c.dc, NULL);
}

static void
test_no_pipeline (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c;

  fake.fail_visit = TRUE;
  c = start_call (f);
  /* Logged for each of the two who would have had a leg. */
  g_assert_cmpuint (pipeline_warnings, ==, 2);
  g_assert_true (got (c.pat, "error", "message", "the server could not start the video call"));
  g_assert_cmpuint (fake.legs->len, ==, 0);
  call_hang_up (&c);
}

/* Fault 8 of issue 12: a guest is told whose visit it is. */
static void
test_guest_welcome_names_patient (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *g = fixture_transport (f), *p = fixture_transport (f);
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
  g_assert_null (leg_of ("guest-1")); /* waiting: no media */
  hang_up (cg, cp, NULL);
}

/* What GET /metrics reads (sig_hub_get_stats): rooms by state, who is
 * connected, legs, messages by type, and media totals that do not go down
 * when a leg goes. */
static void
test_stats (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = fixture_transport (f), *d = fixture_transport (f);
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
  hang_up (cp, cd, NULL);
  sig_hub_get_stats (f->hub, &s);
  g_assert_cmpuint (s.legs, ==, 0);
  g_assert_cmpuint (s.participants, ==, 0);
  g_assert_cmpuint (s.media.packets_sent, ==, 35);
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
