/* test_room.c — the visit rooms with a recording transport and hooks, no
 * network and no media: waiting room, drops and returns within the grace
 * period, the grace running out, capacity limits, and a revoked guest. */
#include "room-fixture.h"

static void
test_drop_and_return (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f), *b = fixture_transport (f),
                *again = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-1");
  SigConn *cb = say_hello (f, b, "guest-1");

  g_assert_true (got (a, "welcome", "state", "scheduled"));
  g_assert_true (has_event (f, "patient-1:join"));
  sig_conn_disconnected (ca); /* the socket closed without "leave" */
  g_assert_true (has_event (f, "patient-1:drop"));
  g_assert_false (has_event (f, "patient-1:leave"));
  g_assert_true (got (b, "peer-state", "state", "reconnecting"));

  /* Back within the grace period: a return, not a second join. */
  say_hello (f, again, "patient-1");
  g_assert_true (got (again, "welcome", NULL, NULL));
  g_assert_true (has_event (f, "patient-1:return"));
  run_loop_for (1300);
  g_assert_false (has_event (f, "patient-1:leave"));

  sig_conn_disconnected (cb);
}

static void
test_grace_runs_out (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f), *b = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-2");
  SigConn *cb = say_hello (f, b, "guest-2");

  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "waiting");
  sig_conn_disconnected (ca);
  run_loop_for (1500);
  g_assert_true (has_event (f, "patient-2:leave"));
  g_assert_true (got (b, "peer-state", "state", "left"));
  /* The guest still waits, so the visit does too ... */
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "waiting");
  sig_conn_receive (cb, "{\"type\":\"leave\"}", strlen ("{\"type\":\"leave\"}"), FALSE);
  sig_conn_disconnected (cb);
  /* ... until nobody waits: scheduled again. */
  g_assert_cmpstr (g_ptr_array_index (f->states, f->states->len - 1), ==, "scheduled");
  /* Nobody left, nobody coming back: the room is gone. */
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
}

static void
test_leave_is_immediate (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-3");
  const char *leave = "{\"type\":\"leave\"}";

  sig_conn_receive (ca, leave, strlen (leave), FALSE);
  g_assert_true (has_event (f, "patient-3:leave"));
  g_assert_false (has_event (f, "patient-3:drop"));
  g_assert_true (a->closed);
  sig_conn_disconnected (ca);
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
}

static void
test_capacity (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *t[6];
  SigConn *c[6];

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    t[i] = fixture_transport (f);
  /* max_participants = 3 in visit v1. */
  c[0] = say_hello (f, t[0], "patient-4");
  c[1] = say_hello (f, t[1], "guest-4");
  c[2] = say_hello (f, t[2], "guest-5");
  c[3] = say_hello (f, t[3], "guest-6");
  g_assert_true (got (t[3], "error", "code", "busy"));
  /* A guest who left (or whose link was withdrawn) frees their place. */
  g_assert_true (sig_hub_kick_participant (f->hub, "v1", "guest-5", "revoked"));
  sig_conn_disconnected (c[2]);
  c[2] = say_hello (f, t[2], "guest-12");
  g_assert_true (got (t[2], "welcome", "participant", "guest-12"));
  /* max_visits = 2: v1 is live, v2 fits, v3 does not. */
  c[4] = say_hello (f, t[4], "v2-patient");
  g_assert_true (got (t[4], "welcome", NULL, NULL));
  c[5] = say_hello (f, t[5], "v3-patient");
  g_assert_true (got (t[5], "error", "code", "busy"));
  for (guint i = 0; i < G_N_ELEMENTS (c); i++)
    sig_conn_disconnected (c[i]);
}

static void
test_kick (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *g = fixture_transport (f);
  SigConn *cg = say_hello (f, g, "guest-7");

  g_assert_true (sig_hub_kick_participant (f->hub, "v1", "guest-7", "revoked"));
  g_assert_true (got (g, "bye", "reason", "revoked"));
  g_assert_true (g->closed);
  g_assert_true (has_event (f, "guest-7:leave"));
  g_assert_false (sig_hub_kick_participant (f->hub, "v1", "guest-7", "revoked"));
  sig_conn_disconnected (cg);
  g_assert_false (has_event (f, "guest-7:drop"));
}

/* SIGTERM's goodbye: everyone is told "shutdown" (the pages come back by
 * themselves), and a hello in the last moments joins no one. */
static void
test_shutdown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = fixture_transport (f), *late = fixture_transport (f);
  SigConn *cp = say_hello (f, p, "patient-1");

  g_assert_true (got (p, "welcome", NULL, NULL));
  sig_hub_shutdown (f->hub);
  g_assert_true (got (p, "bye", "reason", "shutdown"));
  g_assert_true (p->closed);
  SigConn *cl = say_hello (f, late, "provider-1");
  g_assert_true (got (late, "bye", "reason", "shutdown"));
  g_assert_false (got (late, "welcome", NULL, NULL));
  g_assert_true (late->closed);
  g_assert_false (has_event (f, "provider-1:join"));
  hang_up (cp, cl, NULL);
}

/* A node that lost its database lets go of a visit (server/cluster): the
 * connected are told "shutdown" (their pages come back, to another node),
 * the one reconnecting is forgotten, the room is gone, and nobody is
 * recorded as leaving or dropping: they are not, another node hosts them.
 * Other visits go on. */
static void
test_release (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *p = fixture_transport (f), *g = fixture_transport (f),
                *gone = fixture_transport (f), *other = fixture_transport (f);
  SigConn *cp = say_hello (f, p, "patient-1");
  SigConn *cg = say_hello (f, g, "guest-7");
  SigConn *cgone = say_hello (f, gone, "guest-8");
  SigConn *co = say_hello (f, other, "v2-patient");

  g_assert_true (got (p, "welcome", NULL, NULL));
  sig_conn_disconnected (cgone); /* guest-8 is in their grace period */
  g_assert_true (has_event (f, "guest-8:drop"));
  g_ptr_array_set_size (f->events, 0);

  g_assert_cmpuint (sig_hub_release_visit (f->hub, "v1", "shutdown"), ==, 2);
  g_assert_true (got (p, "bye", "reason", "shutdown"));
  g_assert_true (got (g, "bye", "reason", "shutdown"));
  g_assert_true (p->closed && g->closed);
  g_assert_false (sig_hub_visit_occupied (f->hub, "v1"));
  g_assert_true (sig_hub_visit_occupied (f->hub, "v2"));
  g_assert_false (other->closed);
  sig_conn_disconnected (cp);
  sig_conn_disconnected (cg);
  g_assert_cmpuint (f->events->len, ==, 0);
  g_assert_cmpuint (sig_hub_release_visit (f->hub, "v1", "shutdown"), ==, 0);
  sig_conn_disconnected (co);
}

static void
test_chat_stored_first (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f), *b = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-8");
  SigConn *cb = say_hello (f, b, "guest-8");

  send_text (ca, "{\"type\":\"chat\",\"text\":\"hello there\"}");
  g_assert_true (got (b, "chat", "text", "hello there"));
  g_assert_true (got (a, "chat", "text", "hello there"));
  g_assert_cmpstr (g_ptr_array_index (f->stored, 0), ==, "chat:patient-8:hello there");
  /* Not stored: nobody sees it, and the sender is told. */
  send_text (ca, "{\"type\":\"chat\",\"text\":\"FAIL me\"}");
  g_assert_false (got (b, "chat", "text", "FAIL me"));
  g_assert_true (got (a, "error", "code", "internal"));
  hang_up (ca, cb, NULL);
}

static void
test_media_state_and_modality (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f), *b = fixture_transport (f), *c = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-9");
  SigConn *cb = say_hello (f, b, "guest-9");
  SigConn *cc;
  json_t *m;

  /* Everyone hears the visit's modality after welcome. */
  g_assert_true (got (a, "modality", "modality", "video"));
  send_text (ca, "{\"type\":\"media-state\",\"audio\":false,\"video\":true}");
  m = last_of (b, "media-state");
  g_assert_nonnull (m);
  g_assert_cmpstr (json_string_value (json_object_get (m, "participant")), ==, "patient-9");
  g_assert_true (json_is_false (json_object_get (m, "audio")));
  json_decref (m);
  g_assert_cmpuint (count_type (a, "media-state"), ==, 0); /* not echoed to the sender */

  /* A guest may not change how the visit is held; the patient may. */
  send_text (cb, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  g_assert_true (got (b, "error", "code", "forbidden"));
  g_assert_cmpuint (f->stored->len, ==, 0);
  send_text (ca, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  g_assert_true (got (b, "modality", "by", "patient-9"));
  g_assert_cmpstr (g_ptr_array_index (f->stored, 0), ==, "modality:patient-9:audio-only");
  /* The same again records nothing more. */
  send_text (ca, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  g_assert_cmpuint (f->stored->len, ==, 1);

  /* A newcomer learns the current modality and who is muted. */
  cc = say_hello (f, c, "guest-10");
  g_assert_true (got (c, "modality", "modality", "audio-only"));
  g_assert_true (got (c, "media-state", "participant", "patient-9"));
  hang_up (ca, cb, cc, NULL);
}

/* Issue 13: a page that rejoins learns each other participant's microphone
 * and camera, named, even one whose own page is reconnecting meanwhile. */
static void
test_rejoin_learns_media_state (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f), *b = fixture_transport (f),
                *again = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-11");
  SigConn *cb = say_hello (f, b, "guest-11");
  SigConn *cagain;
  json_t *m;

  send_text (cb, "{\"type\":\"media-state\",\"audio\":false,\"video\":true}");
  m = last_of (a, "media-state");
  g_assert_nonnull (m);
  g_assert_cmpstr (json_string_value (json_object_get (m, "display_name")), ==, "guest-11");
  g_assert_cmpstr (json_string_value (json_object_get (m, "role")), ==, "guest");
  json_decref (m);
  /* The guest's page drops (within its grace period); the patient reloads. */
  sig_conn_disconnected (cb);
  sig_conn_disconnected (ca);
  cagain = say_hello (f, again, "patient-11");
  m = last_of (again, "media-state");
  g_assert_nonnull (m);
  g_assert_cmpstr (json_string_value (json_object_get (m, "participant")), ==, "guest-11");
  g_assert_cmpstr (json_string_value (json_object_get (m, "display_name")), ==, "guest-11");
  g_assert_true (json_is_false (json_object_get (m, "audio")));
  g_assert_true (json_is_true (json_object_get (m, "video")));
  json_decref (m);
  sig_conn_disconnected (cagain);
}

/* Issue 11: a participant says their media cannot connect; the others hear
 * it once (not the sender), the timeline gets one event, a newcomer learns
 * it at welcome, and "it connects again" is relayed too. */
static void
test_connect_trouble (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f), *b = fixture_transport (f), *c = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-12");
  SigConn *cb = say_hello (f, b, "guest-12");
  SigConn *cc;
  json_t *m;

  send_text (ca, "{\"type\":\"connect-trouble\",\"trouble\":true}");
  m = last_of (b, "connect-trouble");
  g_assert_nonnull (m);
  g_assert_cmpstr (json_string_value (json_object_get (m, "participant")), ==, "patient-12");
  g_assert_cmpstr (json_string_value (json_object_get (m, "role")), ==, "patient");
  g_assert_true (json_is_true (json_object_get (m, "trouble")));
  json_decref (m);
  g_assert_cmpuint (count_type (a, "connect-trouble"), ==, 0);
  g_assert_true (has_event (f, "patient-12:connect-trouble"));
  /* Said again (after each reconnect): nothing new for anyone. */
  send_text (ca, "{\"type\":\"connect-trouble\",\"trouble\":true}");
  g_assert_cmpuint (count_type (b, "connect-trouble"), ==, 1);

  cc = say_hello (f, c, "guest-13");
  g_assert_true (got (c, "connect-trouble", "participant", "patient-12"));

  send_text (ca, "{\"type\":\"connect-trouble\",\"trouble\":false}");
  m = last_of (b, "connect-trouble");
  g_assert_true (json_is_false (json_object_get (m, "trouble")));
  json_decref (m);
  /* Bad input is refused at the edge. */
  send_text (ca, "{\"type\":\"connect-trouble\",\"trouble\":\"yes\"}");
  g_assert_true (got (a, "error", "code", "bad-field"));
  hang_up (ca, cb, cc, NULL);
}

static void
test_waiting_places (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = fixture_transport (f), *g = fixture_transport (f), *b = fixture_transport (f);
  SigConn *ca = say_hello (f, a, "patient-11");
  SigConn *cg, *cb;
  json_t *m;

  g_usleep (2000);                     /* distinct waiting times */
  cg = say_hello (f, g, "guest-11");   /* same visit: shares the patient's place */
  cb = say_hello (f, b, "v2-patient"); /* another visit of the same provider */
  m = last_of (a, "queue");
  g_assert_cmpint (json_integer_value (json_object_get (m, "position")), ==, 1);
  g_assert_true (json_is_false (json_object_get (m, "provider_present")));
  json_decref (m);
  m = last_of (g, "queue");
  g_assert_cmpint (json_integer_value (json_object_get (m, "position")), ==, 1);
  json_decref (m);
  m = last_of (b, "queue");
  g_assert_cmpint (json_integer_value (json_object_get (m, "position")), ==, 2);
  json_decref (m);

  /* v1's people leave the line: v2's patient is next. */
  send_text (ca, "{\"type\":\"leave\"}");
  sig_conn_disconnected (ca);
  send_text (cg, "{\"type\":\"leave\"}");
  sig_conn_disconnected (cg);
  m = last_of (b, "queue");
  g_assert_cmpint (json_integer_value (json_object_get (m, "position")), ==, 1);
  json_decref (m);
  sig_conn_disconnected (cb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) \
  g_test_add ("/room/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("drop-and-return", test_drop_and_return);
  ADD ("grace-runs-out", test_grace_runs_out);
  ADD ("leave-is-immediate", test_leave_is_immediate);
  ADD ("capacity", test_capacity);
  ADD ("kick", test_kick);
  ADD ("shutdown", test_shutdown);
  ADD ("release", test_release);
  ADD ("chat-stored-first", test_chat_stored_first);
  ADD ("media-state-and-modality", test_media_state_and_modality);
  ADD ("rejoin-learns-media-state", test_rejoin_learns_media_state);
  ADD ("waiting-places", test_waiting_places);
  ADD ("connect-trouble", test_connect_trouble);
  return g_test_run ();
}
