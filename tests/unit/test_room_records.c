/* test_room_records.c — a visit's records answered later (the hooks
 * visit_state_changed_async, chat_async, modality_changed_async, as the
 * server writes them on a store worker, server/hooks_visit.c): the room
 * waits for what depends on the answer and goes on with the rest; an admit
 * or an end asked while a state change is recorded runs after it; a chat
 * is shown only once stored, in the order sent, and a failure goes to its
 * sender alone; an answer that comes after its room was freed (everyone
 * left, or the hub was freed) finds nobody (the sanitizer build watches). */
#include "room-fixture.h"

/* Tests make warnings fatal; the refused state change's own warning (a
 * structured record: g_test_expect_message does not see it) is counted. */
static guint refused_warnings;

static void
state_later (const char *visit_id G_GNUC_UNUSED, const char *state, SigRecordReply *reply,
             gpointer user_data)
{
  fixture_ask (user_data, g_strdup_printf ("state:%s", state), reply);
}

static void
chat_later (const char *visit_id G_GNUC_UNUSED, const char *participant_id, const char *text,
            SigRecordReply *reply, gpointer user_data)
{
  fixture_ask (user_data, g_strdup_printf ("chat:%s:%s", participant_id, text), reply);
}

static void
modality_later (const char *visit_id G_GNUC_UNUSED, const char *participant_id,
                const char *modality, SigRecordReply *reply, gpointer user_data)
{
  fixture_ask (user_data, g_strdup_printf ("modality:%s:%s", participant_id, modality), reply);
}

/* The fixture's hooks, their _async forms added (and winning). */
static SigHooks later_hooks;

/* Answers the oldest record, which must be `what`. */
static void
answer (Fixture *f, const char *what, gboolean ok)
{
  g_autofree char *first = NULL;
  SigRecordReply *reply = fixture_next_reply (f, &first);

  g_assert_cmpstr (first, ==, what);
  sig_record_reply_finish (reply, ok, G_GINT64_CONSTANT (1795780800000) + f->asked->len);
}

static void
set_up (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  later_hooks = hooks;
  later_hooks.visit_state_changed_async = state_later;
  later_hooks.chat_async = chat_later;
  later_hooks.modality_changed_async = modality_later;
  fixture_set_up_hooks (f, &later_hooks);
  fake_media_set_up (f);
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  fixture_tear_down (f, data);
  fake_media_tear_down ();
}

/* The provider and a waiting patient, the visit's "waiting" recorded. */
static Call
provider_and_patient (Fixture *f)
{
  Call c = call_hello (f, FALSE);

  /* The patient waits at once; the visit's state follows its record. */
  g_assert_true (got (c.doc, "waiting", NULL, NULL));
  g_assert_false (got (c.pat, "visit-state", NULL, NULL));
  answer (f, "state:waiting", TRUE);
  g_assert_true (got (c.pat, "visit-state", "state", "waiting"));
  g_assert_true (got (c.doc, "visit-state", "state", "waiting"));
  return c;
}

static void
test_chat_shown_once_stored_in_order (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = provider_and_patient (f);
  json_t *m;

  send_text (c.pc, "{\"type\":\"chat\",\"text\":\"first\"}");
  send_text (c.dc, "{\"type\":\"chat\",\"text\":\"second\"}");
  send_text (c.pc, "{\"type\":\"chat\",\"text\":\"FAIL third\"}");
  /* Nobody sees a message before it is stored. */
  g_assert_cmpuint (count_type (c.doc, "\"chat\""), ==, 0);
  g_assert_cmpuint (count_type (c.pat, "\"chat\""), ==, 0);
  answer (f, "chat:patient-1:first", TRUE);
  answer (f, "chat:provider-1:second", TRUE);
  g_assert_cmpuint (count_type (c.doc, "\"chat\""), ==, 2);
  m = last_of (c.pat, "chat");
  g_assert_cmpstr (json_string_value (json_object_get (m, "text")), ==, "second");
  json_decref (m);
  /* Not stored: the sender is told in words, nobody sees it. */
  answer (f, "chat:patient-1:FAIL third", FALSE);
  g_assert_cmpuint (count_type (c.doc, "\"chat\""), ==, 2);
  m = last_of (c.pat, "error");
  g_assert_cmpstr (json_string_value (json_object_get (m, "code")), ==, "internal");
  g_assert_nonnull (strstr (json_string_value (json_object_get (m, "message")), "not sent"));
  json_decref (m);
  g_assert_false (got (c.doc, "error", NULL, NULL));
  call_hang_up (&c);
}

/* The admit waits for "in_progress" to be recorded; an end asked meanwhile
 * runs after it, and a chat after the end is refused at once. */
static void
test_admit_then_end_wait_their_turn (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = provider_and_patient (f);

  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  g_assert_true (has_event (f, "patient-1:admit"));
  g_assert_false (got (c.doc, "peer-state", "state", "admitted"));
  g_assert_false (got (c.pat, "visit-state", "state", "in_progress"));
  send_text (c.dc, "{\"type\":\"end\"}");
  /* Only one state change at a time: the end waits. */
  g_assert_cmpuint (f->asked->len, ==, 1);
  send_text (c.pc, "{\"type\":\"chat\",\"text\":\"too late\"}");
  g_assert_true (got (c.pat, "error", "message", "the visit has ended"));

  answer (f, "state:in_progress", TRUE);
  g_assert_true (got (c.pat, "visit-state", "state", "in_progress"));
  g_assert_true (got (c.doc, "peer-state", "state", "admitted"));
  g_assert_false (got (c.pat, "visit-state", "state", "ended"));
  answer (f, "state:ended", TRUE);
  g_assert_true (got (c.pat, "visit-state", "state", "ended"));
  g_assert_true (got (c.pat, "bye", "reason", "visit-ended"));
  g_assert_true (has_event (f, "provider-1:end"));
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  call_hang_up (&c);
}

/* A state the store refuses: the room stays, the one who asked is told. */
static void
test_refused_state_keeps_the_room (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = provider_and_patient (f);

  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  answer (f, "state:in_progress", FALSE);
  g_assert_true (got (c.doc, "error", "message", "the visit could not be started"));
  g_assert_false (got (c.pat, "visit-state", "state", "in_progress"));
  /* Asked again, it goes. */
  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  answer (f, "state:in_progress", TRUE);
  g_assert_true (got (c.doc, "peer-state", "state", "admitted"));
  send_text (c.dc, "{\"type\":\"end\"}");
  answer (f, "state:ended", FALSE);
  g_assert_true (got (c.doc, "error", "message", "the visit could not be ended"));
  g_assert_cmpuint (refused_warnings, ==, 2);
  /* Not ended: chat goes on. */
  send_text (c.pc, "{\"type\":\"chat\",\"text\":\"still here\"}");
  answer (f, "chat:patient-1:still here", TRUE);
  g_assert_true (got (c.doc, "chat", "text", "still here"));
  call_hang_up (&c);
}

/* A switch happens once recorded; the same switch asked again meanwhile is
 * not recorded twice. */
static void
test_modality_waits (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = provider_and_patient (f);

  send_text (c.pc, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  send_text (c.dc, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  g_assert_cmpuint (f->asked->len, ==, 1);
  g_assert_false (got (c.doc, "modality", "by", "patient-1"));
  answer (f, "modality:patient-1:audio-only", TRUE);
  g_assert_true (got (c.doc, "modality", "by", "patient-1"));
  /* A switch that cannot be recorded does not happen. */
  send_text (c.dc, "{\"type\":\"modality\",\"modality\":\"video\"}");
  answer (f, "modality:provider-1:video", FALSE);
  g_assert_true (got (c.doc, "error", "message", "the change could not be recorded"));
  g_assert_false (got (c.pat, "modality", "by", "provider-1"));
  call_hang_up (&c);
}

/* The patient gives up while "waiting" is recorded: the visit goes back to
 * scheduled once that answer is in. */
static void
test_waiting_then_scheduled (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = call_hello (f, FALSE);

  send_text (c.pc, "{\"type\":\"leave\"}");
  g_assert_cmpuint (f->asked->len, ==, 1);
  answer (f, "state:waiting", TRUE);
  answer (f, "state:scheduled", TRUE);
  g_assert_true (got (c.doc, "visit-state", "state", "scheduled"));
  g_assert_cmpuint (f->asked->len, ==, 0);
  call_hang_up (&c);
}

/* Everyone left while records were awaited: the room is freed, and the
 * answers find nobody. */
static void
test_answers_after_room_freed (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = provider_and_patient (f);

  send_text (c.pc, "{\"type\":\"chat\",\"text\":\"bye\"}");
  send_text (c.dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  send_text (c.dc, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  send_text (c.pc, "{\"type\":\"leave\"}");
  send_text (c.dc, "{\"type\":\"leave\"}");
  call_hang_up (&c);
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  answer (f, "chat:patient-1:bye", TRUE);
  answer (f, "state:in_progress", TRUE);
  answer (f, "modality:provider-1:audio-only", TRUE);
  g_assert_false (got (c.doc, "chat", NULL, NULL));
  /* The same visit opened again is a new room: an old answer is not its. */
  c.dc = say_hello (f, c.doc, "provider-1");
  c.pc = say_hello (f, c.pat, "patient-1");
  send_text (c.pc, "{\"type\":\"chat\",\"text\":\"again\"}");
  call_hang_up (&c);
  answer (f, "state:waiting", TRUE);
  answer (f, "chat:patient-1:again", TRUE);
}

/* The hub freed with records awaited (the server frees its store workers
 * first, so this is the library's own guard). */
static void
test_answers_after_hub_free (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  Call c = provider_and_patient (f);

  send_text (c.pc, "{\"type\":\"chat\",\"text\":\"hello\"}");
  send_text (c.dc, "{\"type\":\"end\"}");
  sig_hub_free (f->hub);
  f->hub = sig_hub_new (&later_hooks, f, NULL);
  answer (f, "chat:patient-1:hello", TRUE);
  answer (f, "state:ended", TRUE);
  g_assert_false (got (c.doc, "chat", NULL, NULL));
}

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & G_LOG_LEVEL_WARNING) {
    for (gsize i = 0; i < n_fields; i++) {
      if (strcmp (fields[i].key, "EVENT") == 0 && fields[i].length < 0 &&
          strcmp (fields[i].value, "visit.state") == 0) {
        refused_warnings++;
        return G_LOG_WRITER_HANDLED;
      }
    }
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);
#define ADD(name, fn) g_test_add ("/room-records/" name, Fixture, NULL, set_up, fn, tear_down)
  ADD ("chat-shown-once-stored-in-order", test_chat_shown_once_stored_in_order);
  ADD ("admit-then-end-wait-their-turn", test_admit_then_end_wait_their_turn);
  ADD ("refused-state-keeps-the-room", test_refused_state_keeps_the_room);
  ADD ("modality-waits", test_modality_waits);
  ADD ("waiting-then-scheduled", test_waiting_then_scheduled);
  ADD ("answers-after-room-freed", test_answers_after_room_freed);
  ADD ("answers-after-hub-free", test_answers_after_hub_free);
  return g_test_run ();
}
