/* test_room_records.c — a visit's records answered later (the hooks
 * visit_state_changed_async, chat_async, modality_changed_async, as the
 * server writes them on a store worker, server/hooks_visit.c): the room
 * waits for what depends on the answer and goes on with the rest; an admit
 * or an end asked while a state change is recorded runs after it; a chat
 * is shown only once stored, in the order sent, and a failure goes to its
 * sender alone; an answer that comes after its room was freed (everyone
 * left, or the hub was freed) finds nobody (the sanitizer build watches). */
#include "room-fixture.h"

/* A minimal media layer: legs that exist and do nothing (the rooms' media
 * is test_room_media.c's). */
struct _MediaVisit {
  int unused;
};
struct _MediaLeg {
  MediaLegState state;
};

static MediaVisit *
fake_visit_new (const char *id G_GNUC_UNUSED, const MediaConfig *c G_GNUC_UNUSED,
                GError **e G_GNUC_UNUSED)
{
  return g_new0 (MediaVisit, 1);
}
static void
fake_visit_free (MediaVisit *v)
{
  g_free (v);
}
static MediaLeg *
fake_add_leg (MediaVisit *v G_GNUC_UNUSED, const char *p G_GNUC_UNUSED,
              const MediaLegCallbacks *cb G_GNUC_UNUSED, gpointer ud G_GNUC_UNUSED,
              GError **e G_GNUC_UNUSED)
{
  return g_new0 (MediaLeg, 1);
}
static void
fake_remove_leg (MediaVisit *v G_GNUC_UNUSED, MediaLeg *leg)
{
  g_free (leg);
}
static void
fake_set_may_share (MediaLeg *leg G_GNUC_UNUSED, gboolean may G_GNUC_UNUSED)
{
}
static MediaLegState
fake_get_state (MediaLeg *leg)
{
  return leg->state;
}
static void
fake_get_stats (MediaLeg *leg G_GNUC_UNUSED, MediaLegStats *stats)
{
  memset (stats, 0, sizeof *stats);
}

static const SigMedia fake_media = {
  .visit_new = fake_visit_new,
  .visit_free = fake_visit_free,
  .add_leg = fake_add_leg,
  .remove_leg = fake_remove_leg,
  .set_may_share = fake_set_may_share,
  .get_state = fake_get_state,
  .get_stats = fake_get_stats,
};

/* The records asked and not answered yet, oldest first: "state:waiting",
 * "chat:patient-1:hi", "modality:provider-1:audio-only". */
static GPtrArray *asked;
static GPtrArray *replies;
/* Tests make warnings fatal; the refused state change's own warning (a
 * structured record: g_test_expect_message does not see it) is counted. */
static guint refused_warnings;

static void
state_later (const char *visit_id G_GNUC_UNUSED, const char *state, SigRecordReply *reply,
             gpointer user_data G_GNUC_UNUSED)
{
  g_ptr_array_add (asked, g_strdup_printf ("state:%s", state));
  g_ptr_array_add (replies, reply);
}

static void
chat_later (const char *visit_id G_GNUC_UNUSED, const char *participant_id, const char *text,
            SigRecordReply *reply, gpointer user_data G_GNUC_UNUSED)
{
  g_ptr_array_add (asked, g_strdup_printf ("chat:%s:%s", participant_id, text));
  g_ptr_array_add (replies, reply);
}

static void
modality_later (const char *visit_id G_GNUC_UNUSED, const char *participant_id,
                const char *modality, SigRecordReply *reply, gpointer user_data G_GNUC_UNUSED)
{
  g_ptr_array_add (asked, g_strdup_printf ("modality:%s:%s", participant_id, modality));
  g_ptr_array_add (replies, reply);
}

static const SigHooks later_hooks = {
  .authorize = authorize,
  .visit_state_changed = state_changed, /* not used: the async ones win */
  .chat = chat_hook,
  .modality_changed = modality_hook,
  .participant_event = participant_event,
  .visit_state_changed_async = state_later,
  .chat_async = chat_later,
  .modality_changed_async = modality_later,
};

/* Answers the oldest record, which must be `what`. */
static void
answer (const char *what, gboolean ok)
{
  g_autofree char *first = NULL;
  SigRecordReply *reply;

  g_assert_cmpuint (asked->len, >, 0);
  first = g_ptr_array_steal_index (asked, 0);
  reply = g_ptr_array_steal_index (replies, 0);
  g_assert_cmpstr (first, ==, what);
  sig_record_reply_finish (reply, ok, G_GINT64_CONSTANT (1795780800000) + asked->len);
}

static void
set_up (Fixture *f, gconstpointer data)
{
  fixture_set_up (f, data);
  sig_hub_free (f->hub);
  f->hub = sig_hub_new (&later_hooks, f, NULL);
  sig_hub_set_media (f->hub, &fake_media);
  sig_hub_set_limits (f->hub, &(SigLimits) { .grace_s = 1,
                                             .media_timeout_s = 0,
                                             .max_visits = 2,
                                             .max_participants = 3 });
  asked = g_ptr_array_new_with_free_func (g_free);
  replies = g_ptr_array_new ();
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (asked->len, ==, 0);
  g_ptr_array_unref (asked);
  g_ptr_array_unref (replies);
  fixture_tear_down (f, data);
}

/* The provider and a waiting patient, the visit's "waiting" recorded. */
static void
provider_and_patient (Fixture *f, FakeTransport *doc, FakeTransport *pat, SigConn **doc_conn,
                      SigConn **pat_conn)
{
  *doc_conn = say_hello (f, doc, "provider-1");
  *pat_conn = say_hello (f, pat, "patient-1");
  /* The patient waits at once; the visit's state follows its record. */
  g_assert_true (got (doc, "waiting", NULL, NULL));
  g_assert_false (got (pat, "visit-state", NULL, NULL));
  answer ("state:waiting", TRUE);
  g_assert_true (got (pat, "visit-state", "state", "waiting"));
  g_assert_true (got (doc, "visit-state", "state", "waiting"));
}

static void
test_chat_shown_once_stored_in_order (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *doc = transport_new (), *pat = transport_new ();
  SigConn *dc, *pc;
  json_t *m;

  provider_and_patient (f, doc, pat, &dc, &pc);
  send_text (pc, "{\"type\":\"chat\",\"text\":\"first\"}");
  send_text (dc, "{\"type\":\"chat\",\"text\":\"second\"}");
  send_text (pc, "{\"type\":\"chat\",\"text\":\"FAIL third\"}");
  /* Nobody sees a message before it is stored. */
  g_assert_cmpuint (count_type (doc, "\"chat\""), ==, 0);
  g_assert_cmpuint (count_type (pat, "\"chat\""), ==, 0);
  answer ("chat:patient-1:first", TRUE);
  answer ("chat:provider-1:second", TRUE);
  g_assert_cmpuint (count_type (doc, "\"chat\""), ==, 2);
  m = last_of (pat, "chat");
  g_assert_cmpstr (json_string_value (json_object_get (m, "text")), ==, "second");
  json_decref (m);
  /* Not stored: the sender is told in words, nobody sees it. */
  answer ("chat:patient-1:FAIL third", FALSE);
  g_assert_cmpuint (count_type (doc, "\"chat\""), ==, 2);
  m = last_of (pat, "error");
  g_assert_cmpstr (json_string_value (json_object_get (m, "code")), ==, "internal");
  g_assert_nonnull (strstr (json_string_value (json_object_get (m, "message")), "not sent"));
  json_decref (m);
  g_assert_false (got (doc, "error", NULL, NULL));
  sig_conn_disconnected (pc);
  sig_conn_disconnected (dc);
  transport_free (doc);
  transport_free (pat);
}

/* The admit waits for "in_progress" to be recorded; an end asked meanwhile
 * runs after it, and a chat after the end is refused at once. */
static void
test_admit_then_end_wait_their_turn (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *doc = transport_new (), *pat = transport_new ();
  SigConn *dc, *pc;

  provider_and_patient (f, doc, pat, &dc, &pc);
  send_text (dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  g_assert_true (has_event (f, "patient-1:admit"));
  g_assert_false (got (doc, "peer-state", "state", "admitted"));
  g_assert_false (got (pat, "visit-state", "state", "in_progress"));
  send_text (dc, "{\"type\":\"end\"}");
  /* Only one state change at a time: the end waits. */
  g_assert_cmpuint (asked->len, ==, 1);
  send_text (pc, "{\"type\":\"chat\",\"text\":\"too late\"}");
  g_assert_true (got (pat, "error", "message", "the visit has ended"));

  answer ("state:in_progress", TRUE);
  g_assert_true (got (pat, "visit-state", "state", "in_progress"));
  g_assert_true (got (doc, "peer-state", "state", "admitted"));
  g_assert_false (got (pat, "visit-state", "state", "ended"));
  answer ("state:ended", TRUE);
  g_assert_true (got (pat, "visit-state", "state", "ended"));
  g_assert_true (got (pat, "bye", "reason", "visit-ended"));
  g_assert_true (has_event (f, "provider-1:end"));
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  sig_conn_disconnected (pc);
  sig_conn_disconnected (dc);
  transport_free (doc);
  transport_free (pat);
}

/* A state the store refuses: the room stays, the one who asked is told. */
static void
test_refused_state_keeps_the_room (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *doc = transport_new (), *pat = transport_new ();
  SigConn *dc, *pc;

  provider_and_patient (f, doc, pat, &dc, &pc);
  send_text (dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  answer ("state:in_progress", FALSE);
  g_assert_true (got (doc, "error", "message", "the visit could not be started"));
  g_assert_false (got (pat, "visit-state", "state", "in_progress"));
  /* Asked again, it goes. */
  send_text (dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  answer ("state:in_progress", TRUE);
  g_assert_true (got (doc, "peer-state", "state", "admitted"));
  send_text (dc, "{\"type\":\"end\"}");
  answer ("state:ended", FALSE);
  g_assert_true (got (doc, "error", "message", "the visit could not be ended"));
  g_assert_cmpuint (refused_warnings, ==, 2);
  /* Not ended: chat goes on. */
  send_text (pc, "{\"type\":\"chat\",\"text\":\"still here\"}");
  answer ("chat:patient-1:still here", TRUE);
  g_assert_true (got (doc, "chat", "text", "still here"));
  sig_conn_disconnected (pc);
  sig_conn_disconnected (dc);
  transport_free (doc);
  transport_free (pat);
}

/* A switch happens once recorded; the same switch asked again meanwhile is
 * not recorded twice. */
static void
test_modality_waits (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *doc = transport_new (), *pat = transport_new ();
  SigConn *dc, *pc;

  provider_and_patient (f, doc, pat, &dc, &pc);
  send_text (pc, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  send_text (dc, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  g_assert_cmpuint (asked->len, ==, 1);
  g_assert_false (got (doc, "modality", "by", "patient-1"));
  answer ("modality:patient-1:audio-only", TRUE);
  g_assert_true (got (doc, "modality", "by", "patient-1"));
  /* A switch that cannot be recorded does not happen. */
  send_text (dc, "{\"type\":\"modality\",\"modality\":\"video\"}");
  answer ("modality:provider-1:video", FALSE);
  g_assert_true (got (doc, "error", "message", "the change could not be recorded"));
  g_assert_false (got (pat, "modality", "by", "provider-1"));
  sig_conn_disconnected (pc);
  sig_conn_disconnected (dc);
  transport_free (doc);
  transport_free (pat);
}

/* The patient gives up while "waiting" is recorded: the visit goes back to
 * scheduled once that answer is in. */
static void
test_waiting_then_scheduled (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *doc = transport_new (), *pat = transport_new ();
  SigConn *dc = say_hello (f, doc, "provider-1");
  SigConn *pc = say_hello (f, pat, "patient-1");

  send_text (pc, "{\"type\":\"leave\"}");
  g_assert_cmpuint (asked->len, ==, 1);
  answer ("state:waiting", TRUE);
  answer ("state:scheduled", TRUE);
  g_assert_true (got (doc, "visit-state", "state", "scheduled"));
  g_assert_cmpuint (asked->len, ==, 0);
  sig_conn_disconnected (pc);
  sig_conn_disconnected (dc);
  transport_free (doc);
  transport_free (pat);
}

/* Everyone left while records were awaited: the room is freed, and the
 * answers find nobody. */
static void
test_answers_after_room_freed (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *doc = transport_new (), *pat = transport_new ();
  SigConn *dc, *pc;

  provider_and_patient (f, doc, pat, &dc, &pc);
  send_text (pc, "{\"type\":\"chat\",\"text\":\"bye\"}");
  send_text (dc, "{\"type\":\"admit\",\"participant\":\"patient-1\"}");
  send_text (dc, "{\"type\":\"modality\",\"modality\":\"audio-only\"}");
  send_text (pc, "{\"type\":\"leave\"}");
  send_text (dc, "{\"type\":\"leave\"}");
  sig_conn_disconnected (pc);
  sig_conn_disconnected (dc);
  g_assert_cmpuint (sig_hub_active_visits (f->hub), ==, 0);
  answer ("chat:patient-1:bye", TRUE);
  answer ("state:in_progress", TRUE);
  answer ("modality:provider-1:audio-only", TRUE);
  g_assert_false (got (doc, "chat", NULL, NULL));
  /* The same visit opened again is a new room: an old answer is not its. */
  dc = say_hello (f, doc, "provider-1");
  pc = say_hello (f, pat, "patient-1");
  send_text (pc, "{\"type\":\"chat\",\"text\":\"again\"}");
  sig_conn_disconnected (pc);
  sig_conn_disconnected (dc);
  answer ("state:waiting", TRUE);
  answer ("chat:patient-1:again", TRUE);
  transport_free (doc);
  transport_free (pat);
}

/* The hub freed with records awaited (the server frees its store workers
 * first, so this is the library's own guard). */
static void
test_answers_after_hub_free (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  FakeTransport *doc = transport_new (), *pat = transport_new ();
  SigConn *dc, *pc;

  provider_and_patient (f, doc, pat, &dc, &pc);
  send_text (pc, "{\"type\":\"chat\",\"text\":\"hello\"}");
  send_text (dc, "{\"type\":\"end\"}");
  sig_hub_free (f->hub);
  f->hub = sig_hub_new (&later_hooks, f, NULL);
  answer ("chat:patient-1:hello", TRUE);
  answer ("state:ended", TRUE);
  g_assert_false (got (doc, "chat", NULL, NULL));
  transport_free (doc);
  transport_free (pat);
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
