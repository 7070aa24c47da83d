/* test_store_activity.c — chat, consent answers and modality switches in the
 * store (a real sqlite file, or PostgreSQL: store-fixture.h): stored as
 * sent, refused when the visit is over or the participant is someone else's,
 * append-only, and merged into one list. */
#include "store-fixture.h"

typedef StoreFixture Fixture;

static char *
participant_of (Store *store, const char *visit, ParticipantRole role)
{
  StoreParticipant p = { 0 };
  GError *error = NULL;
  char *id;

  g_assert_true (store_find_visit_participant (store, visit, role, &p, &error));
  g_assert_no_error (error);
  id = g_strdup (p.id);
  store_participant_clear (&p);
  return id;
}

static void
test_chat (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  Visit v, other;
  char *patient, *provider, *stranger;
  StoreActivity *a;
  GPtrArray *list;
  (void) data;

  make_visit (f->store, &v, T0);
  make_visit (f->store, &other, T0);
  patient = participant_of (f->store, v.visit, PARTICIPANT_PATIENT);
  provider = participant_of (f->store, v.visit, PARTICIPANT_PROVIDER);
  stranger = participant_of (f->store, other.visit, PARTICIPANT_PATIENT);

  a = store_add_chat (f->store, v.visit, patient, "Hello, doctor", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->kind, ==, "chat");
  g_assert_cmpstr (a->text, ==, "Hello, doctor");
  g_assert_cmpstr (a->role, ==, "patient");
  g_assert_cmpstr (a->display_name, ==, "Alex Example");
  g_assert_cmpint (a->at_ms, >, 0);
  store_activity_free (a);
  a = store_add_chat (f->store, v.visit, provider, "Hi Alex\nHow are you?", &error);
  g_assert_no_error (error);
  store_activity_free (a);

  /* Refused, and nothing written: blank, too long, someone else's visit. */
  g_assert_null (store_add_chat (f->store, v.visit, patient, " \n\t", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  {
    char *long_text = g_strnfill (2001, 'x');
    g_assert_null (store_add_chat (f->store, v.visit, patient, long_text, &error));
    ASSERT_ERR (STORE_ERROR_INVALID);
    g_free (long_text);
  }
  g_assert_null (store_add_chat (f->store, v.visit, stranger, "wrong room", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_add_chat (f->store, "no-such-visit", patient, "hello", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  list = store_list_chat (f->store, v.visit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((StoreActivity *) g_ptr_array_index (list, 0))->text, ==, "Hello, doctor");
  g_assert_cmpstr (((StoreActivity *) g_ptr_array_index (list, 1))->role, ==, "provider");
  g_ptr_array_unref (list);

  /* The record cannot be edited behind the store's back. */
  g_assert_cmpint (raw_exec_refused (f->store, "UPDATE chat_messages SET text = 'x'",
                                     "is append-only"), ==, STORE_VIOLATION_OTHER);
  g_assert_cmpint (raw_exec_refused (f->store, "DELETE FROM chat_messages", "is append-only"), ==,
                   STORE_VIOLATION_OTHER);

  /* After the visit: no more messages. */
  g_assert_true (store_set_visit_state (f->store, v.visit, VISIT_WAITING, &error));
  g_assert_true (store_set_visit_state (f->store, v.visit, VISIT_IN_PROGRESS, &error));
  g_assert_true (store_set_visit_state (f->store, v.visit, VISIT_ENDED, &error));
  g_assert_no_error (error);
  g_assert_null (store_add_chat (f->store, v.visit, patient, "one more thing", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM chat_messages"), ==, 2);

  g_free (patient);
  g_free (provider);
  g_free (stranger);
  visit_clear (&v);
  visit_clear (&other);
}

static void
test_consent (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  Visit v;
  char *patient;
  StoreActivity *a;
  (void) data;

  make_visit (f->store, &v, T0);
  patient = participant_of (f->store, v.visit, PARTICIPANT_PATIENT);
  g_assert_null (store_latest_consent (f->store, patient, &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  a = store_record_consent (f->store, patient, FALSE, "v1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->value, ==, "declined");
  store_activity_free (a);
  a = store_record_consent (f->store, patient, TRUE, "v1", &error);
  g_assert_no_error (error);
  store_activity_free (a);

  a = store_latest_consent (f->store, patient, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->value, ==, "accepted");
  g_assert_cmpstr (a->version, ==, "v1");
  store_activity_free (a);

  g_assert_null (store_record_consent (f->store, patient, TRUE, "", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_null (store_record_consent (f->store, "nobody", TRUE, "v1", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM consents"), ==, 2);

  g_free (patient);
  visit_clear (&v);
}

static void
test_modality_and_activity (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  Visit v;
  char *patient, *provider;
  StoreVisit visit = { 0 };
  StoreActivity *a;
  GPtrArray *all;
  guint chats = 0, consents = 0, switches = 0;
  (void) data;

  make_visit (f->store, &v, T0);
  patient = participant_of (f->store, v.visit, PARTICIPANT_PATIENT);
  provider = participant_of (f->store, v.visit, PARTICIPANT_PROVIDER);

  g_assert_true (store_change_modality (f->store, v.visit, patient, "audio-only", &error));
  g_assert_no_error (error);
  g_assert_true (store_get_visit (f->store, v.visit, &visit, &error));
  g_assert_cmpstr (visit.modality, ==, "audio-only");
  store_visit_clear (&visit);
  g_assert_true (store_change_modality (f->store, v.visit, provider, "video", &error));
  g_assert_true (store_get_visit (f->store, v.visit, &visit, &error));
  g_assert_cmpstr (visit.modality, ==, "video");
  store_visit_clear (&visit);

  /* An unknown modality changes nothing, in either table. */
  g_assert_false (store_change_modality (f->store, v.visit, patient, "smoke-signals", &error));
  ASSERT_ERR (STORE_ERROR_INVALID);
  g_assert_cmpint (count_rows (f->store, "SELECT count(*) FROM modality_changes"), ==, 2);

  a = store_add_chat (f->store, v.visit, patient, "hello", &error);
  store_activity_free (a);
  a = store_record_consent (f->store, patient, TRUE, "v1", &error);
  store_activity_free (a);
  g_assert_no_error (error);

  all = store_visit_activity (f->store, v.visit, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++) {
    StoreActivity *x = g_ptr_array_index (all, i);
    chats += g_strcmp0 (x->kind, "chat") == 0;
    consents += g_strcmp0 (x->kind, "consent") == 0;
    switches += g_strcmp0 (x->kind, "modality") == 0;
  }
  g_assert_cmpuint (chats, ==, 1);
  g_assert_cmpuint (consents, ==, 1);
  g_assert_cmpuint (switches, ==, 2);
  g_ptr_array_unref (all);
  g_assert_null (store_visit_activity (f->store, "no-such-visit", &error));
  ASSERT_ERR (STORE_ERROR_NOT_FOUND);

  g_free (patient);
  g_free (provider);
  visit_clear (&v);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  STORE_TEST_ADD ("activity/chat", test_chat);
  STORE_TEST_ADD ("activity/consent", test_consent);
  STORE_TEST_ADD ("activity/modality", test_modality_and_activity);
  return g_test_run ();
}
