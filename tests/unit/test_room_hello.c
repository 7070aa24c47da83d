/* test_room_hello.c — a hello checked later (authorize_async): the
 * connection waits for the answer, refuses what it sends meanwhile, joins
 * when the answer comes, and an answer that comes after its connection
 * closed (or after the hub began stopping) finds nobody. The server checks
 * hellos on a store worker this way (server/hooks.c). */
#include "room-fixture.h"

static void
authorize_later (const char *token, const char *visit G_GNUC_UNUSED,
                 const char *credential G_GNUC_UNUSED, SigAuthorizeReply *reply, gpointer user_data)
{
  fixture_ask (user_data, g_strdup (token), reply);
}

/* Answers the oldest waiting hello as the fixture's authorize would. */
static void
answer_next (Fixture *f)
{
  g_autofree char *token = NULL;
  SigAuthorizeReply *reply = fixture_next_reply (f, &token);
  SigIdentity identity = { 0 };
  SigErrorCode code = SIG_ERR_UNAUTHORIZED;
  g_autofree char *message = NULL;
  gboolean ok;

  ok = authorize (token, NULL, NULL, &identity, &code, &message, NULL);
  sig_authorize_reply_finish (reply, ok, &identity, code, message);
}

/* The fixture's hooks with authorize_async added (it wins over authorize). */
static SigHooks async_hooks;

static void
set_up (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  async_hooks = hooks;
  async_hooks.authorize_async = authorize_later;
  fixture_set_up_hooks (f, &async_hooks);
}

static void
test_hello_waits_for_its_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *t = fixture_transport (f);
  SigConn *conn = say_hello (f, t, "patient-1");

  /* Nothing yet: the answer is awaited. */
  g_assert_false (got (t, "welcome", NULL, NULL));
  g_assert_false (sig_conn_joined (conn));
  g_assert_false (t->joined);
  g_assert_cmpuint (f->asked->len, ==, 1);
  /* Meanwhile: a second hello and anything else are refused. */
  send_text (conn, "{\"type\":\"hello\",\"token\":\"patient-1\"}");
  g_assert_true (got (t, "error", "message", "the hello sent is still being checked"));
  send_text (conn, "{\"type\":\"chat\",\"text\":\"hi\"}");
  g_assert_true (got (t, "error", "message", "send hello first"));
  g_assert_cmpuint (f->stored->len, ==, 0);
  g_assert_cmpuint (f->asked->len, ==, 1);

  answer_next (f);
  g_assert_true (got (t, "welcome", "role", "patient"));
  g_assert_true (sig_conn_joined (conn));
  g_assert_true (t->joined); /* the transport's limits on strangers end now */
  g_assert_true (has_event (f, "patient-1:join"));
  sig_conn_disconnected (conn);
}

static void
test_refusal_comes_later (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *t = fixture_transport (f);
  SigConn *conn = say_hello (f, t, "nobody");

  g_assert_cmpuint (t->frames->len, ==, 0);
  answer_next (f);
  g_assert_true (got (t, "error", "code", "unauthorized"));
  g_assert_false (sig_conn_joined (conn));
  /* The connection may try again. */
  send_text (conn, "{\"type\":\"hello\",\"token\":\"patient-1\"}");
  answer_next (f);
  g_assert_true (got (t, "welcome", NULL, NULL));
  sig_conn_disconnected (conn);
}

/* The client hung up while its hello was checked: the answer finds nobody
 * (no use of the freed connection; the sanitizer build watches). */
static void
test_answer_after_close (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *t = transport_new ();
  SigConn *conn = say_hello (f, t, "patient-1");

  sig_conn_disconnected (conn);
  transport_free (t); /* before the answer: its use would be a use after free */
  answer_next (f);
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  g_assert_false (has_event (f, "patient-1:join"));
}

/* The hub stops while a hello is checked: the connection gets its bye, and
 * the answer joins nothing. */
static void
test_answer_after_shutdown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *t = fixture_transport (f);
  SigConn *conn = say_hello (f, t, "patient-1");

  sig_hub_shutdown (f->hub);
  g_assert_true (got (t, "bye", "reason", "shutdown"));
  answer_next (f);
  g_assert_false (got (t, "welcome", NULL, NULL));
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  sig_conn_disconnected (conn);
}

/* The hub freed with a hello still checked (the server frees its store
 * workers first, so this is the library's own guard). */
static void
test_answer_after_hub_free (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *t = fixture_transport (f);

  say_hello (f, t, "patient-1");
  sig_hub_free (f->hub);
  f->hub = sig_hub_new (&async_hooks, f, NULL);
  answer_next (f);
  g_assert_false (got (t, "welcome", NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/room-hello/" name, Fixture, NULL, set_up, fn, fixture_tear_down)
  ADD ("waits-for-its-answer", test_hello_waits_for_its_answer);
  ADD ("refusal-comes-later", test_refusal_comes_later);
  ADD ("answer-after-close", test_answer_after_close);
  ADD ("answer-after-shutdown", test_answer_after_shutdown);
  ADD ("answer-after-hub-free", test_answer_after_hub_free);
  return g_test_run ();
}
