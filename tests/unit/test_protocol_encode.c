/* test_protocol_encode.c — every encoder of the signaling protocol produces
 * the compact JSON the browser client expects (tests/CONTRACT.md). */
#include "signaling/signaling.h"

#include <string.h>
#include <stdlib.h>
#include <jansson.h>

/* -------------------------------------------------------------- encoders */

/* Parses encoder output, checking it is one compact JSON object. */
static json_t *
load_encoded (char *text)
{
  json_error_t jerr;
  json_t *root;

  g_assert_nonnull (text);
  g_assert_null (strchr (text, '\n'));
  g_assert_true (g_str_has_prefix (text, "{\"type\":"));
  root = json_loads (text, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    g_error ("encoder output is not JSON (%s): %s", jerr.text, text);
  g_assert_true (json_is_object (root));
  g_free (text);
  return root;
}

/* Unpacks strictly (every key accounted for) or fails the test. */
#define UNPACK(root, ...) G_STMT_START {                                     \
    json_error_t _jerr;                                                      \
    if (json_unpack_ex ((root), &_jerr, JSON_STRICT, __VA_ARGS__) != 0)      \
      g_error ("unexpected encoder output: %s", _jerr.text);                 \
  } G_STMT_END

static void
test_encode_error (void)
{
  const char *type, *code, *message;
  json_t *root;

  root = load_encoded (sig_encode_error (SIG_ERR_BAD_FIELD, "'chat' message needs field 'text'"));
  UNPACK (root, "{s:s, s:s, s:s}", "type", &type, "code", &code, "message", &message);
  g_assert_cmpstr (type, ==, "error");
  g_assert_cmpstr (code, ==, "bad-field");
  g_assert_cmpstr (message, ==, "'chat' message needs field 'text'");
  json_decref (root);

  /* No message given: the client still gets a string. */
  root = load_encoded (sig_encode_error (SIG_ERR_BINARY, NULL));
  UNPACK (root, "{s:s, s:s, s:s}", "type", &type, "code", &code, "message", &message);
  g_assert_cmpstr (code, ==, "binary-unsupported");
  g_assert_cmpuint (strlen (message), >, 0);
  json_decref (root);
}

static void
test_encode_welcome (void)
{
  const char *type, *visit, *role, *participant, *name, *patient, *state;
  json_int_t protocol;
  json_t *root;

  root = load_encoded (sig_encode_welcome ("v-1", SIG_ROLE_GUEST, "p-2", "Ana \"A\" B\xc3\xa9",
                                           "Robin Guestless", "waiting"));
  UNPACK (root, "{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
          "type", &type, "protocol", &protocol, "visit", &visit, "role", &role,
          "participant", &participant, "display_name", &name, "patient_display_name", &patient,
          "state", &state);
  g_assert_cmpstr (type, ==, "welcome");
  g_assert_cmpint (protocol, ==, SIG_PROTOCOL_VERSION);
  g_assert_cmpstr (visit, ==, "v-1");
  g_assert_cmpstr (role, ==, "guest");
  g_assert_cmpstr (participant, ==, "p-2");
  g_assert_cmpstr (name, ==, "Ana \"A\" B\xc3\xa9");
  g_assert_cmpstr (patient, ==, "Robin Guestless");
  g_assert_cmpstr (state, ==, "waiting");
  json_decref (root);

  root = load_encoded (sig_encode_welcome ("v", SIG_ROLE_PROVIDER, "p", NULL, NULL, "scheduled"));
  g_assert_true (json_is_null (json_object_get (root, "display_name")));
  g_assert_true (json_is_null (json_object_get (root, "patient_display_name")));
  g_assert_cmpstr (json_string_value (json_object_get (root, "role")), ==, "provider");
  json_decref (root);
}

static void
test_encode_waiting (void)
{
  const SigWaitingEntry entries[] = {
    { "p-1", "Ana", SIG_ROLE_PATIENT, G_GINT64_CONSTANT (1795780800000) },
    { "g-2", "Ben", SIG_ROLE_GUEST, G_GINT64_CONSTANT (1795780861234) },
  };
  const char *type, *participant, *name, *role, *since;
  json_t *root, *list;

  root = load_encoded (sig_encode_waiting (entries, G_N_ELEMENTS (entries)));
  UNPACK (root, "{s:s, s:o}", "type", &type, "participants", &list);
  g_assert_cmpstr (type, ==, "waiting");
  g_assert_true (json_is_array (list));
  g_assert_cmpuint (json_array_size (list), ==, 2);

  UNPACK (json_array_get (list, 0), "{s:s, s:s, s:s, s:s}", "participant", &participant,
          "display_name", &name, "role", &role, "since", &since);
  g_assert_cmpstr (participant, ==, "p-1");
  g_assert_cmpstr (name, ==, "Ana");
  g_assert_cmpstr (role, ==, "patient");
  g_assert_cmpstr (since, ==, "2026-11-27T12:00:00.000Z");

  UNPACK (json_array_get (list, 1), "{s:s, s:s, s:s, s:s}", "participant", &participant,
          "display_name", &name, "role", &role, "since", &since);
  g_assert_cmpstr (participant, ==, "g-2");
  g_assert_cmpstr (role, ==, "guest");
  g_assert_cmpstr (since, ==, "2026-11-27T12:01:01.234Z");
  json_decref (root);

  /* Nobody waiting is an empty list, not a missing one. */
  root = load_encoded (sig_encode_waiting (NULL, 0));
  list = json_object_get (root, "participants");
  g_assert_true (json_is_array (list));
  g_assert_cmpuint (json_array_size (list), ==, 0);
  json_decref (root);
}

static void
test_encode_simple (void)
{
  const char *type, *value;
  json_t *root;

  root = load_encoded (sig_encode_visit_state ("in_progress"));
  UNPACK (root, "{s:s, s:s}", "type", &type, "state", &value);
  g_assert_cmpstr (type, ==, "visit-state");
  g_assert_cmpstr (value, ==, "in_progress");
  json_decref (root);

  root = load_encoded (sig_encode_offer ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
  UNPACK (root, "{s:s, s:s}", "type", &type, "sdp", &value);
  g_assert_cmpstr (type, ==, "offer");
  g_assert_cmpstr (value, ==, "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
  json_decref (root);

  root = load_encoded (sig_encode_bye ("visit-ended"));
  UNPACK (root, "{s:s, s:s}", "type", &type, "reason", &value);
  g_assert_cmpstr (type, ==, "bye");
  g_assert_cmpstr (value, ==, "visit-ended");
  json_decref (root);

  /* Another node hosts the visit (issue 18): its URL, and a link only when given. */
  root = load_encoded (sig_encode_redirect ("http://127.0.0.1:8081", NULL));
  UNPACK (root, "{s:s, s:s}", "type", &type, "url", &value);
  g_assert_cmpstr (type, ==, "redirect");
  g_assert_cmpstr (value, ==, "http://127.0.0.1:8081");
  g_assert_null (json_object_get (root, "token"));
  json_decref (root);
  root = load_encoded (sig_encode_redirect ("https://a.example", "tok_en-1"));
  UNPACK (root, "{s:s, s:s, s:s}", "type", &type, "url", &type, "token", &value);
  g_assert_cmpstr (type, ==, "https://a.example");
  g_assert_cmpstr (value, ==, "tok_en-1");
  json_decref (root);
}

static void
test_encode_ice (void)
{
  const char *type, *candidate;
  json_int_t mline;
  json_t *root;
  char *text;
  SigMessage msg;

  text = sig_encode_ice ("candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host", 1);
  /* What the server trickles is also what a client may send back. */
  /* What the server sends as ice, a client may send back as ice. */
  g_assert_true (sig_message_parse (text, strlen (text), &msg, NULL));
  g_assert_cmpint (msg.type, ==, SIG_MSG_ICE);
  g_assert_cmpuint (msg.u.ice.mline, ==, 1);
  sig_message_clear (&msg);

  root = load_encoded (text);
  UNPACK (root, "{s:s, s:s, s:I}", "type", &type, "candidate", &candidate, "sdpMLineIndex", &mline);
  g_assert_cmpstr (type, ==, "ice");
  g_assert_cmpstr (candidate, ==, "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host");
  g_assert_cmpint (mline, ==, 1);
  json_decref (root);

  root = load_encoded (sig_encode_ice ("", 0));
  g_assert_cmpstr (json_string_value (json_object_get (root, "candidate")), ==, "");
  json_decref (root);
}

static void
test_encode_peer_state (void)
{
  const char *type, *participant, *name, *role, *state;
  json_t *root;

  root = load_encoded (sig_encode_peer_state ("p-1", "Dr. Who", SIG_ROLE_PROVIDER, "connected"));
  UNPACK (root, "{s:s, s:s, s:s, s:s, s:s}", "type", &type, "participant", &participant,
          "display_name", &name, "role", &role, "state", &state);
  g_assert_cmpstr (type, ==, "peer-state");
  g_assert_cmpstr (participant, ==, "p-1");
  g_assert_cmpstr (name, ==, "Dr. Who");
  g_assert_cmpstr (role, ==, "provider");
  g_assert_cmpstr (state, ==, "connected");
  json_decref (root);
}

static void
test_encode_chat (void)
{
  const char *type, *from, *name, *text, *at;
  json_t *root;

  root = load_encoded (sig_encode_chat ("p-1", "Ana", "</script>\n\xf0\x9f\x98\x80",
                                        G_GINT64_CONSTANT (1795780800007)));
  UNPACK (root, "{s:s, s:s, s:s, s:s, s:s}", "type", &type, "from", &from,
          "display_name", &name, "text", &text, "at", &at);
  g_assert_cmpstr (type, ==, "chat");
  g_assert_cmpstr (from, ==, "p-1");
  g_assert_cmpstr (name, ==, "Ana");
  g_assert_cmpstr (text, ==, "</script>\n\xf0\x9f\x98\x80");
  g_assert_cmpstr (at, ==, "2026-11-27T12:00:00.007Z");
  json_decref (root);

  /* Times before 1970 keep a positive millisecond part. */
  root = load_encoded (sig_encode_chat ("p", NULL, "x", -1));
  g_assert_cmpstr (json_string_value (json_object_get (root, "at")), ==, "1969-12-31T23:59:59.999Z");
  g_assert_true (json_is_null (json_object_get (root, "display_name")));
  json_decref (root);
}

/* Issue 7: media state, modality, waiting place, quality. */
static void
test_encode_presence (void)
{
  json_t *root;

  root = load_encoded (sig_encode_media_state ("p-2", "Dr Lee", SIG_ROLE_PROVIDER, FALSE, TRUE));
  g_assert_cmpstr (json_string_value (json_object_get (root, "type")), ==, "media-state");
  g_assert_cmpstr (json_string_value (json_object_get (root, "participant")), ==, "p-2");
  g_assert_cmpstr (json_string_value (json_object_get (root, "display_name")), ==, "Dr Lee");
  g_assert_cmpstr (json_string_value (json_object_get (root, "role")), ==, "provider");
  g_assert_true (json_is_false (json_object_get (root, "audio")));
  g_assert_true (json_is_true (json_object_get (root, "video")));
  json_decref (root);

  root = load_encoded (sig_encode_modality ("audio-only", "p-1", "Ana"));
  g_assert_cmpstr (json_string_value (json_object_get (root, "modality")), ==, "audio-only");
  g_assert_cmpstr (json_string_value (json_object_get (root, "by")), ==, "p-1");
  g_assert_cmpstr (json_string_value (json_object_get (root, "display_name")), ==, "Ana");
  json_decref (root);
  /* Nobody changed it (sent after welcome): "by" and the name are null. */
  root = load_encoded (sig_encode_modality ("video", NULL, "Ana"));
  g_assert_true (json_is_null (json_object_get (root, "by")));
  g_assert_true (json_is_null (json_object_get (root, "display_name")));
  json_decref (root);

  /* Issue 11: someone's media cannot connect. */
  root = load_encoded (sig_encode_connect_trouble ("p-3", "Dana", SIG_ROLE_PATIENT, TRUE));
  g_assert_cmpstr (json_string_value (json_object_get (root, "type")), ==, "connect-trouble");
  g_assert_cmpstr (json_string_value (json_object_get (root, "participant")), ==, "p-3");
  g_assert_cmpstr (json_string_value (json_object_get (root, "display_name")), ==, "Dana");
  g_assert_cmpstr (json_string_value (json_object_get (root, "role")), ==, "patient");
  g_assert_true (json_is_true (json_object_get (root, "trouble")));
  json_decref (root);
  root = load_encoded (sig_encode_connect_trouble ("p-3", NULL, SIG_ROLE_GUEST, FALSE));
  g_assert_true (json_is_null (json_object_get (root, "display_name")));
  g_assert_true (json_is_false (json_object_get (root, "trouble")));
  json_decref (root);

  root = load_encoded (sig_encode_queue (3, TRUE));
  g_assert_cmpstr (json_string_value (json_object_get (root, "type")), ==, "queue");
  g_assert_cmpint (json_integer_value (json_object_get (root, "position")), ==, 3);
  g_assert_true (json_is_true (json_object_get (root, "provider_present")));
  json_decref (root);

  root = load_encoded (sig_encode_quality (12.345, 87.6, TRUE, 812.4));
  g_assert_cmpfloat_with_epsilon (json_real_value (json_object_get (root, "loss_pct")), 12.3, 1e-9);
  g_assert_cmpint (json_integer_value (json_object_get (root, "rtt_ms")), ==, 88);
  g_assert_cmpint (json_integer_value (json_object_get (root, "rx_kbps")), ==, 812);
  json_decref (root);
  root = load_encoded (sig_encode_quality (-1, 0, FALSE, -5));
  g_assert_cmpfloat (json_real_value (json_object_get (root, "loss_pct")), ==, 0.0);
  g_assert_null (json_object_get (root, "rtt_ms"));
  g_assert_cmpint (json_integer_value (json_object_get (root, "rx_kbps")), ==, 0);
  json_decref (root);
}

/* record-changed names only which part of the record changed; nothing else
 * (no scores, no answers) can be put in it. */
static void
test_encode_record_changed (void)
{
  g_autofree char *text = sig_encode_record_changed ("checkin");

  g_assert_cmpstr (text, ==, "{\"type\":\"record-changed\",\"what\":\"checkin\"}");
  if (g_test_subprocess ()) {
    /* An unknown part is a server bug: reported, and nothing is sent. */
    g_assert_null (sig_encode_record_changed ("phq9-total"));
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*record-changed for an unknown part*");
}

/* What each m-line carries: one object per stream, display_name null when
 * unknown; an empty list is a valid message (nothing received yet). */
static void
test_encode_streams (void)
{
  const SigStreamEntry entries[] = {
    { "audio0", 0, "audio", "camera", "p-1", "Dr. Lee", SIG_ROLE_PROVIDER },
    { "video2", 2, "video", "screen", "p-1", "Dr. Lee", SIG_ROLE_PROVIDER },
    { "video4", 4, "video", "camera", "g-7", NULL, SIG_ROLE_GUEST },
  };
  const char *type, *mid, *kind, *content, *participant, *name, *role;
  json_int_t mline;
  json_t *root, *list;

  root = load_encoded (sig_encode_streams (entries, G_N_ELEMENTS (entries)));
  UNPACK (root, "{s:s, s:o}", "type", &type, "streams", &list);
  g_assert_cmpstr (type, ==, "streams");
  g_assert_cmpuint (json_array_size (list), ==, 3);
  UNPACK (json_array_get (list, 1), "{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "mid", &mid,
          "mline", &mline, "kind", &kind, "content", &content, "participant", &participant,
          "display_name", &name, "role", &role);
  g_assert_cmpstr (mid, ==, "video2");
  g_assert_cmpint (mline, ==, 2);
  g_assert_cmpstr (kind, ==, "video");
  g_assert_cmpstr (content, ==, "screen");
  g_assert_cmpstr (participant, ==, "p-1");
  g_assert_cmpstr (name, ==, "Dr. Lee");
  g_assert_cmpstr (role, ==, "provider");
  g_assert_true (json_is_null (json_object_get (json_array_get (list, 2), "display_name")));
  g_assert_cmpstr (json_string_value (json_object_get (json_array_get (list, 2), "role")), ==,
                   "guest");
  json_decref (root);

  root = load_encoded (sig_encode_streams (NULL, 0));
  UNPACK (root, "{s:s, s:o}", "type", &type, "streams", &list);
  g_assert_true (json_is_array (list));
  g_assert_cmpuint (json_array_size (list), ==, 0);
  json_decref (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/encode/streams", test_encode_streams);
  g_test_add_func ("/protocol/encode/error", test_encode_error);
  g_test_add_func ("/protocol/encode/welcome", test_encode_welcome);
  g_test_add_func ("/protocol/encode/waiting", test_encode_waiting);
  g_test_add_func ("/protocol/encode/simple", test_encode_simple);
  g_test_add_func ("/protocol/encode/ice", test_encode_ice);
  g_test_add_func ("/protocol/encode/peer-state", test_encode_peer_state);
  g_test_add_func ("/protocol/encode/chat", test_encode_chat);
  g_test_add_func ("/protocol/encode/presence", test_encode_presence);
  g_test_add_func ("/protocol/encode/record-changed", test_encode_record_changed);
  return g_test_run ();
}
