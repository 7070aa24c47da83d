/* test_room.c — the visit rooms with a recording transport and hooks, no
 * network and no media: waiting room, drops and returns within the grace
 * period, the grace running out, capacity limits, and a revoked guest. */
#include "signaling/signaling.h"

#include <string.h>
#include <jansson.h>

typedef struct {
  GPtrArray *frames;    /* text frames sent, oldest first */
  gboolean closed;
} FakeTransport;

typedef struct {
  SigHub *hub;
  GPtrArray *events;    /* "participant:event" */
  GPtrArray *states;    /* visit states recorded */
  GPtrArray *stored;    /* chat texts and modality switches the hooks stored */
} Fixture;

static void
fake_send (gpointer data, const char *text)
{
  FakeTransport *t = data;
  g_ptr_array_add (t->frames, g_strdup (text));
}

static void
fake_close (gpointer data)
{
  ((FakeTransport *) data)->closed = TRUE;
}

static const SigTransport transport = { fake_send, fake_close };

/* Tokens "patient-N" and "guest-N" are participants of visit "v1"; "vN-patient"
 * is the patient of visit vN. */
static gboolean
authorize (const char *token, const char *visit G_GNUC_UNUSED, const char *credential G_GNUC_UNUSED,
           SigIdentity *out, SigErrorCode *code, char **message, gpointer user_data G_GNUC_UNUSED)
{
  if (!token || (!g_str_has_prefix (token, "patient-") && !g_str_has_prefix (token, "guest-") &&
                 !g_str_has_suffix (token, "-patient"))) {
    *code = SIG_ERR_UNAUTHORIZED;
    *message = g_strdup ("no");
    return FALSE;
  }
  if (g_str_has_suffix (token, "-patient"))
    out->visit_id = g_strndup (token, strlen (token) - strlen ("-patient"));
  else
    out->visit_id = g_strdup ("v1");
  out->participant_id = g_strdup (token);
  out->display_name = g_strdup (token);
  out->role = g_str_has_prefix (token, "guest-") ? SIG_ROLE_GUEST : SIG_ROLE_PATIENT;
  out->visit_state = g_strdup ("scheduled");
  /* One provider for every visit: they share one waiting line. */
  out->provider_key = g_strdup ("dr-1");
  return TRUE;
}

static gboolean
state_changed (const char *visit_id G_GNUC_UNUSED, const char *state, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->states, g_strdup (state));
  return TRUE;
}

static void
participant_event (const char *visit_id G_GNUC_UNUSED, const char *participant_id,
                   SigRole role G_GNUC_UNUSED, const char *event, const char *address G_GNUC_UNUSED,
                   gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->events, g_strdup_printf ("%s:%s", participant_id, event));
}

/* A text containing "FAIL" cannot be stored (a full disk, say). */
static gboolean
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

static gboolean
modality_hook (const char *visit_id G_GNUC_UNUSED, const char *participant_id,
               const char *modality, gpointer user_data)
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

static void
fixture_set_up (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->states = g_ptr_array_new_with_free_func (g_free);
  f->stored = g_ptr_array_new_with_free_func (g_free);
  f->hub = sig_hub_new (&hooks, f, NULL);
  sig_hub_set_limits (f->hub, &(SigLimits) { .grace_s = 1, .media_timeout_s = 0,
                                             .max_visits = 2, .max_participants = 3 });
}

static void
fixture_tear_down (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  sig_hub_free (f->hub);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->states);
  g_ptr_array_unref (f->stored);
}

static FakeTransport *
transport_new (void)
{
  FakeTransport *t = g_new0 (FakeTransport, 1);
  t->frames = g_ptr_array_new_with_free_func (g_free);
  return t;
}

static void
transport_free (FakeTransport *t)
{
  g_ptr_array_unref (t->frames);
  g_free (t);
}

static SigConn *
say_hello (Fixture *f, FakeTransport *t, const char *token)
{
  SigConn *conn = sig_hub_connect (f->hub, &transport, t, NULL, "127.0.0.1");
  g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"%s\"}", token);
  sig_conn_receive (conn, hello, strlen (hello), FALSE);
  return conn;
}

/* Whether the transport got a frame of `type` whose `field` equals `value`. */
static gboolean
got (FakeTransport *t, const char *type, const char *field, const char *value)
{
  for (guint i = 0; i < t->frames->len; i++) {
    json_t *m = json_loads (g_ptr_array_index (t->frames, i), 0, NULL);
    gboolean match = m && g_strcmp0 (json_string_value (json_object_get (m, "type")), type) == 0 &&
                     (!field || g_strcmp0 (json_string_value (json_object_get (m, field)), value) == 0);
    json_decref (m);
    if (match)
      return TRUE;
  }
  return FALSE;
}

static gboolean
has_event (Fixture *f, const char *event)
{
  for (guint i = 0; i < f->events->len; i++)
    if (strcmp (g_ptr_array_index (f->events, i), event) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
run_loop_for (guint ms)
{
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (ms, quit_loop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
}

static void
test_drop_and_return (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = transport_new (), *b = transport_new (), *again = transport_new ();
  SigConn *ca = say_hello (f, a, "patient-1");
  SigConn *cb = say_hello (f, b, "guest-1");

  g_assert_true (got (a, "welcome", "state", "scheduled"));
  g_assert_true (has_event (f, "patient-1:join"));
  sig_conn_disconnected (ca);  /* the socket closed without "leave" */
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
  transport_free (a);
  transport_free (b);
  transport_free (again);
}

static void
test_grace_runs_out (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = transport_new (), *b = transport_new ();
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
  transport_free (a);
  transport_free (b);
}

static void
test_leave_is_immediate (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = transport_new ();
  SigConn *ca = say_hello (f, a, "patient-3");
  const char *leave = "{\"type\":\"leave\"}";

  sig_conn_receive (ca, leave, strlen (leave), FALSE);
  g_assert_true (has_event (f, "patient-3:leave"));
  g_assert_false (has_event (f, "patient-3:drop"));
  g_assert_true (a->closed);
  sig_conn_disconnected (ca);
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  transport_free (a);
}

static void
test_capacity (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *t[6];
  SigConn *c[6];

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    t[i] = transport_new ();
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
  for (guint i = 0; i < G_N_ELEMENTS (t); i++) {
    sig_conn_disconnected (c[i]);
    transport_free (t[i]);
  }
}

static void
test_kick (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *g = transport_new ();
  SigConn *cg = say_hello (f, g, "guest-7");

  g_assert_true (sig_hub_kick_participant (f->hub, "v1", "guest-7", "revoked"));
  g_assert_true (got (g, "bye", "reason", "revoked"));
  g_assert_true (g->closed);
  g_assert_true (has_event (f, "guest-7:leave"));
  g_assert_false (sig_hub_kick_participant (f->hub, "v1", "guest-7", "revoked"));
  sig_conn_disconnected (cg);
  g_assert_false (has_event (f, "guest-7:drop"));
  transport_free (g);
}

static void
send_text (SigConn *c, const char *text)
{
  sig_conn_receive (c, text, strlen (text), FALSE);
}

static guint
count_type (FakeTransport *t, const char *type)
{
  guint n = 0;
  for (guint i = 0; i < t->frames->len; i++)
    n += strstr (g_ptr_array_index (t->frames, i), type) != NULL;
  return n;
}

/* The last frame of `type` as JSON (json_decref it), or NULL. */
static json_t *
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

static void
test_chat_stored_first (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = transport_new (), *b = transport_new ();
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
  sig_conn_disconnected (ca);
  sig_conn_disconnected (cb);
  transport_free (a);
  transport_free (b);
}

static void
test_media_state_and_modality (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = transport_new (), *b = transport_new (), *c = transport_new ();
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
  g_assert_cmpuint (count_type (a, "media-state"), ==, 0);  /* not echoed to the sender */

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
  sig_conn_disconnected (ca);
  sig_conn_disconnected (cb);
  sig_conn_disconnected (cc);
  transport_free (a);
  transport_free (b);
  transport_free (c);
}

/* Issue 11: a participant says their media cannot connect; the others hear
 * it once (not the sender), the timeline gets one event, a newcomer learns
 * it at welcome, and "it connects again" is relayed too. */
static void
test_connect_trouble (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = transport_new (), *b = transport_new (), *c = transport_new ();
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
  sig_conn_disconnected (ca);
  sig_conn_disconnected (cb);
  sig_conn_disconnected (cc);
  transport_free (a);
  transport_free (b);
  transport_free (c);
}

static void
test_waiting_places (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *a = transport_new (), *g = transport_new (), *b = transport_new ();
  SigConn *ca = say_hello (f, a, "patient-11");
  SigConn *cg, *cb;
  json_t *m;

  g_usleep (2000);  /* distinct waiting times */
  cg = say_hello (f, g, "guest-11");     /* same visit: shares the patient's place */
  cb = say_hello (f, b, "v2-patient");   /* another visit of the same provider */
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
  transport_free (a);
  transport_free (g);
  transport_free (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/room/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("drop-and-return", test_drop_and_return);
  ADD ("grace-runs-out", test_grace_runs_out);
  ADD ("leave-is-immediate", test_leave_is_immediate);
  ADD ("capacity", test_capacity);
  ADD ("kick", test_kick);
  ADD ("chat-stored-first", test_chat_stored_first);
  ADD ("media-state-and-modality", test_media_state_and_modality);
  ADD ("waiting-places", test_waiting_places);
  ADD ("connect-trouble", test_connect_trouble);
  return g_test_run ();
}
