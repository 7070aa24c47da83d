/* test_protocol.c — unit tests of the signaling wire protocol: every way a
 * client frame can be wrong maps to one exact SigErrorCode, good frames land
 * in the right SigMessage fields. The encoders are tested in
 * test_protocol_encode.c.
 *
 * Run under -Db_sanitize=address,undefined too: LeakSanitizer then checks
 * that the failure paths of sig_message_parse free what they allocated.
 */
#include "signaling/signaling.h"

#include <string.h>
#include <stdlib.h>
#include <jansson.h>

/* ------------------------------------------------------------ rejections */

typedef struct {
  char *data;
  gsize len;
  SigErrorCode code;
} RejectCase;

static GPtrArray *reject_cases;

static void
test_reject (gconstpointer user_data)
{
  const RejectCase *c = user_data;
  SigMessage msg;
  SigMessage zero;
  GError *error = NULL;

  /* Garbage in `out` must not matter and must be overwritten. */
  memset (&msg, 0xAA, sizeof msg);
  memset (&zero, 0, sizeof zero);

  g_assert_false (sig_message_parse (c->data, c->len, &msg, &error));
  g_assert_error (error, SIG_ERROR, (gint) c->code);
  g_assert_nonnull (error->message);
  g_assert_cmpuint (strlen (error->message), >, 0);
  /* The cases plant the marker EVIL in client-chosen text; it must never
   * come back in the message shown to the client. */
  g_assert_null (strstr (error->message, "EVIL"));
  g_assert_cmpmem (&msg, sizeof msg, &zero, sizeof zero);

  sig_message_clear (&msg);   /* clearing a cleared message is fine */
  g_error_free (error);
}

/* Takes ownership of `data`. */
static void
add_reject_owned (const char *name, char *data, gsize len, SigErrorCode code)
{
  RejectCase *c = g_new0 (RejectCase, 1);
  char *path = g_strdup_printf ("/protocol/reject/%s", name);

  c->data = data;
  c->len = len;
  c->code = code;
  g_ptr_array_add (reject_cases, c);
  g_test_add_data_func (path, c, test_reject);
  g_free (path);
}

static void
add_reject (const char *name, const char *json, SigErrorCode code)
{
  add_reject_owned (name, g_strdup (json), strlen (json), code);
}

static void
reject_case_free (gpointer p)
{
  RejectCase *c = p;

  g_free (c->data);
  g_free (c);
}

static char *
repeat (const char *unit, gsize times)
{
  GString *s = g_string_sized_new (strlen (unit) * times);

  for (gsize i = 0; i < times; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
add_generated_rejects (void)
{
  char *s, *v;

  /* Frames over the limit, whatever they contain. */
  s = repeat (" ", 1024 * 1024);
  memcpy (s, "{\"type\":\"leave\"}", 16);
  add_reject_owned ("frame-1mib", s, 1024 * 1024, SIG_ERR_TOO_LARGE);
  s = repeat (" ", SIG_MAX_FRAME_BYTES + 1);
  memcpy (s, "{\"type\":\"leave\"}", 16);
  add_reject_owned ("frame-limit-plus-one", s, SIG_MAX_FRAME_BYTES + 1, SIG_ERR_TOO_LARGE);

  /* Fields over their limits. */
  v = repeat ("a", 300);
  s = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"%s\"}", v);
  add_reject_owned ("token-300-chars", s, strlen (s), SIG_ERR_TOO_LARGE);
  g_free (v);

  v = repeat ("a", SIG_MAX_ID_CHARS + 1);
  s = g_strdup_printf ("{\"type\":\"admit\",\"participant\":\"%s\"}", v);
  add_reject_owned ("participant-65-chars", s, strlen (s), SIG_ERR_TOO_LARGE);
  g_free (v);

  v = repeat ("a", SIG_MAX_ID_CHARS + 1);
  s = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"t\",\"visit\":\"%s\"}", v);
  add_reject_owned ("visit-65-chars", s, strlen (s), SIG_ERR_TOO_LARGE);
  g_free (v);

  v = repeat ("x", 60 * 1024);
  s = g_strdup_printf ("{\"type\":\"answer\",\"sdp\":\"%s\"}", v);
  add_reject_owned ("sdp-60k", s, strlen (s), SIG_ERR_TOO_LARGE);
  g_free (v);

  v = repeat ("c", SIG_MAX_CANDIDATE_BYTES + 1);
  s = g_strdup_printf ("{\"type\":\"ice\",\"candidate\":\"%s\",\"sdpMLineIndex\":0}", v);
  add_reject_owned ("candidate-1025-bytes", s, strlen (s), SIG_ERR_TOO_LARGE);
  g_free (v);

  v = repeat ("a", SIG_MAX_CHAT_CHARS + 1);
  s = g_strdup_printf ("{\"type\":\"chat\",\"text\":\"%s\"}", v);
  add_reject_owned ("chat-2001-ascii", s, strlen (s), SIG_ERR_TOO_LARGE);
  g_free (v);

  /* 2001 two-byte characters: counted as characters, not bytes. */
  v = repeat ("\xc3\xa9", SIG_MAX_CHAT_CHARS + 1);
  s = g_strdup_printf ("{\"type\":\"chat\",\"text\":\"%s\"}", v);
  add_reject_owned ("chat-2001-two-byte-chars", s, strlen (s), SIG_ERR_TOO_LARGE);
  g_free (v);

  /* Nesting: past jansson's depth limit is unparseable; within it, junk
   * where a string belongs is a bad field. */
  s = repeat ("[", 5000);
  add_reject_owned ("deep-arrays", s, strlen (s), SIG_ERR_BAD_JSON);

  {
    char *open = repeat ("[", 1000);
    char *close = repeat ("]", 1000);

    s = g_strdup_printf ("{\"type\":\"chat\",\"text\":%s%s}", open, close);
    add_reject_owned ("deep-arrays-as-text", s, strlen (s), SIG_ERR_BAD_FIELD);
    g_free (open);
    g_free (close);

    open = repeat ("{\"a\":", 500);
    close = repeat ("}", 500);
    s = g_strdup_printf ("{\"type\":%s1%s}", open, close);
    add_reject_owned ("deep-objects-as-type", s, strlen (s), SIG_ERR_MISSING_TYPE);
    g_free (open);
    g_free (close);
  }

  /* Invalid UTF-8 inside otherwise fine JSON. */
  add_reject ("utf8-ff-byte", "{\"type\":\"chat\",\"text\":\"EVIL\xff\"}", SIG_ERR_BAD_UTF8);
  add_reject ("utf8-overlong-slash", "{\"type\":\"chat\",\"text\":\"\xc0\xaf\"}", SIG_ERR_BAD_UTF8);
  add_reject ("utf8-truncated-sequence", "{\"type\":\"chat\",\"text\":\"\xe2\x82\"}",
              SIG_ERR_BAD_UTF8);
  add_reject ("utf8-encoded-surrogate", "{\"type\":\"chat\",\"text\":\"\xed\xa0\x80\"}",
              SIG_ERR_BAD_UTF8);
  add_reject ("utf8-in-key", "{\"type\":\"leave\",\"\xfe\":1}", SIG_ERR_BAD_UTF8);
  add_reject ("latin1-text", "{\"type\":\"chat\",\"text\":\"caf\xe9\"}", SIG_ERR_BAD_UTF8);

  /* A raw NUL byte in the frame (the length covers it). */
  s = g_strdup ("{\"type\":\"leave\"}");
  add_reject_owned ("raw-nul-after-object", s, strlen (s) + 1, SIG_ERR_BAD_UTF8);
  s = g_memdup2 ("{\"type\":\"chat\",\"text\":\"a\0b\"}", 28);
  add_reject_owned ("raw-nul-in-string", s, 28, SIG_ERR_BAD_UTF8);
}

static const struct {
  const char *name;
  const char *json;
  SigErrorCode code;
} fixed_rejects[] = {
  /* not JSON at all */
  { "empty-frame", "", SIG_ERR_BAD_JSON },
  { "whitespace-only", "  \n\t ", SIG_ERR_BAD_JSON },
  { "plain-text", "EVIL hello", SIG_ERR_BAD_JSON },
  { "truncated-object", "{\"type\":\"hello\"", SIG_ERR_BAD_JSON },
  { "trailing-garbage", "{\"type\":\"leave\"} EVIL", SIG_ERR_BAD_JSON },
  { "two-objects", "{\"type\":\"leave\"}{\"type\":\"end\"}", SIG_ERR_BAD_JSON },
  { "trailing-comma", "{\"type\":\"leave\",}", SIG_ERR_BAD_JSON },
  { "single-quotes", "{'type':'leave'}", SIG_ERR_BAD_JSON },
  { "nan-value", "{\"type\":\"leave\",\"x\":NaN}", SIG_ERR_BAD_JSON },
  { "comment", "{\"type\":\"leave\"/* EVIL */}", SIG_ERR_BAD_JSON },
  { "lone-surrogate-escape", "{\"type\":\"chat\",\"text\":\"\\ud800\"}", SIG_ERR_BAD_JSON },
  { "nul-in-key", "{\"type\":\"leave\",\"a\\u0000b\":1}", SIG_ERR_BAD_JSON },
  { "duplicate-type", "{\"type\":\"leave\",\"type\":\"end\"}", SIG_ERR_BAD_JSON },
  { "duplicate-field", "{\"type\":\"chat\",\"text\":\"a\",\"text\":\"b\"}", SIG_ERR_BAD_JSON },
  { "integer-overflow", "{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":99999999999999999999999}",
    SIG_ERR_BAD_JSON },
  /* scalars at top level: JSON_DECODE_ANY is off, so not even parseable */
  { "top-level-string", "\"leave\"", SIG_ERR_BAD_JSON },
  { "top-level-number", "42", SIG_ERR_BAD_JSON },
  { "top-level-null", "null", SIG_ERR_BAD_JSON },
  /* JSON, but not an object */
  { "top-level-array", "[{\"type\":\"leave\"}]", SIG_ERR_NOT_OBJECT },
  { "top-level-empty-array", "[]", SIG_ERR_NOT_OBJECT },
  /* no usable type */
  { "empty-object", "{}", SIG_ERR_MISSING_TYPE },
  { "type-null", "{\"type\":null}", SIG_ERR_MISSING_TYPE },
  { "type-number", "{\"type\":1}", SIG_ERR_MISSING_TYPE },
  { "type-true", "{\"type\":true}", SIG_ERR_MISSING_TYPE },
  { "type-object", "{\"type\":{\"type\":\"hello\"}}", SIG_ERR_MISSING_TYPE },
  { "type-array", "{\"type\":[\"hello\"]}", SIG_ERR_MISSING_TYPE },
  { "type-key-case", "{\"Type\":\"leave\"}", SIG_ERR_MISSING_TYPE },
  /* types the server does not accept */
  { "type-unknown", "{\"type\":\"EVIL\"}", SIG_ERR_UNKNOWN_TYPE },
  { "type-empty", "{\"type\":\"\"}", SIG_ERR_UNKNOWN_TYPE },
  { "type-upper-case", "{\"type\":\"HELLO\",\"token\":\"t\"}", SIG_ERR_UNKNOWN_TYPE },
  { "type-with-nul", "{\"type\":\"leave\\u0000EVIL\"}", SIG_ERR_UNKNOWN_TYPE },
  { "type-trailing-space", "{\"type\":\"leave \"}", SIG_ERR_UNKNOWN_TYPE },
  { "type-server-only", "{\"type\":\"welcome\",\"protocol\":1}", SIG_ERR_UNKNOWN_TYPE },
  { "type-offer-from-client", "{\"type\":\"offer\",\"sdp\":\"v=0\"}", SIG_ERR_UNKNOWN_TYPE },
  /* hello */
  { "hello-neither", "{\"type\":\"hello\"}", SIG_ERR_BAD_FIELD },
  { "hello-token-null", "{\"type\":\"hello\",\"token\":null}", SIG_ERR_BAD_FIELD },
  { "hello-token-number", "{\"type\":\"hello\",\"token\":12345}", SIG_ERR_BAD_FIELD },
  { "hello-token-array", "{\"type\":\"hello\",\"token\":[\"abc\"]}", SIG_ERR_BAD_FIELD },
  { "hello-token-empty", "{\"type\":\"hello\",\"token\":\"\"}", SIG_ERR_BAD_FIELD },
  { "hello-token-space", "{\"type\":\"hello\",\"token\":\"EVIL abc\"}", SIG_ERR_BAD_FIELD },
  { "hello-token-plus-slash", "{\"type\":\"hello\",\"token\":\"ab+c/d\"}", SIG_ERR_BAD_FIELD },
  { "hello-token-inner-padding", "{\"type\":\"hello\",\"token\":\"ab=cd\"}", SIG_ERR_BAD_FIELD },
  { "hello-token-triple-padding", "{\"type\":\"hello\",\"token\":\"ab===\"}", SIG_ERR_BAD_FIELD },
  { "hello-token-nul", "{\"type\":\"hello\",\"token\":\"ab\\u0000cd\"}", SIG_ERR_BAD_FIELD },
  { "hello-token-non-ascii", "{\"type\":\"hello\",\"token\":\"t\xc3\xa9\"}", SIG_ERR_BAD_FIELD },
  { "hello-visit-path", "{\"type\":\"hello\",\"visit\":\"../../etc/passwd\"}", SIG_ERR_BAD_FIELD },
  { "hello-visit-markup", "{\"type\":\"hello\",\"visit\":\"<script>EVIL\"}", SIG_ERR_BAD_FIELD },
  { "hello-visit-number", "{\"type\":\"hello\",\"visit\":7}", SIG_ERR_BAD_FIELD },
  { "hello-good-token-bad-visit", "{\"type\":\"hello\",\"token\":\"abc\",\"visit\":\"a b\"}",
    SIG_ERR_BAD_FIELD },
  { "hello-extra-field", "{\"type\":\"hello\",\"token\":\"abc\",\"EVIL\":1}", SIG_ERR_BAD_FIELD },
  /* admit */
  { "admit-missing", "{\"type\":\"admit\"}", SIG_ERR_BAD_FIELD },
  { "admit-number", "{\"type\":\"admit\",\"participant\":42}", SIG_ERR_BAD_FIELD },
  { "admit-array", "{\"type\":\"admit\",\"participant\":[\"p1\"]}", SIG_ERR_BAD_FIELD },
  { "admit-object", "{\"type\":\"admit\",\"participant\":{\"id\":\"p1\"}}", SIG_ERR_BAD_FIELD },
  { "admit-empty", "{\"type\":\"admit\",\"participant\":\"\"}", SIG_ERR_BAD_FIELD },
  { "admit-dot", "{\"type\":\"admit\",\"participant\":\"p.1\"}", SIG_ERR_BAD_FIELD },
  /* answer */
  { "answer-missing", "{\"type\":\"answer\"}", SIG_ERR_BAD_FIELD },
  { "answer-empty", "{\"type\":\"answer\",\"sdp\":\"\"}", SIG_ERR_BAD_FIELD },
  { "answer-bool", "{\"type\":\"answer\",\"sdp\":true}", SIG_ERR_BAD_FIELD },
  { "answer-object", "{\"type\":\"answer\",\"sdp\":{\"type\":\"answer\",\"sdp\":\"v=0\"}}",
    SIG_ERR_BAD_FIELD },
  { "answer-nul", "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\\u0000\"}", SIG_ERR_BAD_FIELD },
  { "answer-extra", "{\"type\":\"answer\",\"sdp\":\"v=0\",\"sdpType\":\"answer\"}", SIG_ERR_BAD_FIELD },
  /* ice */
  { "ice-no-mline", "{\"type\":\"ice\",\"candidate\":\"candidate:1\"}", SIG_ERR_BAD_FIELD },
  { "ice-no-candidate", "{\"type\":\"ice\",\"sdpMLineIndex\":0}", SIG_ERR_BAD_FIELD },
  { "ice-candidate-null", "{\"type\":\"ice\",\"candidate\":null,\"sdpMLineIndex\":0}", SIG_ERR_BAD_FIELD },
  { "ice-candidate-nul", "{\"type\":\"ice\",\"candidate\":\"a\\u0000\",\"sdpMLineIndex\":0}",
    SIG_ERR_BAD_FIELD },
  { "ice-mline-string", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":\"0\"}", SIG_ERR_BAD_FIELD },
  { "ice-mline-negative", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":-1}", SIG_ERR_BAD_FIELD },
  { "ice-mline-16", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":16}", SIG_ERR_BAD_FIELD },
  { "ice-mline-2pow32", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":4294967296}",
    SIG_ERR_BAD_FIELD },
  { "ice-mline-int64-min", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":-9223372036854775808}",
    SIG_ERR_BAD_FIELD },
  { "ice-mline-float", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":0.0}", SIG_ERR_BAD_FIELD },
  { "ice-mline-fraction", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":1.5}", SIG_ERR_BAD_FIELD },
  { "ice-mline-exponent", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":1e0}", SIG_ERR_BAD_FIELD },
  { "ice-mline-null", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":null}", SIG_ERR_BAD_FIELD },
  { "ice-mline-bool", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":true}", SIG_ERR_BAD_FIELD },
  { "ice-mid-number", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":0,\"sdpMid\":0}",
    SIG_ERR_BAD_FIELD },
  { "ice-extra", "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":0,\"usernameFragment\":\"u\"}",
    SIG_ERR_BAD_FIELD },
  /* chat */
  { "chat-missing", "{\"type\":\"chat\"}", SIG_ERR_BAD_FIELD },
  { "chat-empty", "{\"type\":\"chat\",\"text\":\"\"}", SIG_ERR_BAD_FIELD },
  { "chat-whitespace", "{\"type\":\"chat\",\"text\":\"  \\n\\t \\r\"}", SIG_ERR_BAD_FIELD },
  { "chat-ideographic-space", "{\"type\":\"chat\",\"text\":\"\\u3000\\u00a0\"}", SIG_ERR_BAD_FIELD },
  { "chat-array", "{\"type\":\"chat\",\"text\":[\"hi\"]}", SIG_ERR_BAD_FIELD },
  { "chat-number", "{\"type\":\"chat\",\"text\":1}", SIG_ERR_BAD_FIELD },
  { "chat-nul", "{\"type\":\"chat\",\"text\":\"hi\\u0000EVIL\"}", SIG_ERR_BAD_FIELD },
  /* leave / end take nothing but their type */
  { "leave-extra", "{\"type\":\"leave\",\"reason\":\"EVIL\"}", SIG_ERR_BAD_FIELD },
  { "leave-null-extra", "{\"type\":\"leave\",\"x\":null}", SIG_ERR_BAD_FIELD },
  { "end-extra", "{\"type\":\"end\",\"force\":true}", SIG_ERR_BAD_FIELD },
  /* media-state and modality (issue 7) */
  { "media-state-missing-video", "{\"type\":\"media-state\",\"audio\":true}", SIG_ERR_BAD_FIELD },
  { "media-state-string-bool", "{\"type\":\"media-state\",\"audio\":\"true\",\"video\":true}", SIG_ERR_BAD_FIELD },
  { "media-state-number-bool", "{\"type\":\"media-state\",\"audio\":1,\"video\":0}", SIG_ERR_BAD_FIELD },
  { "media-state-null", "{\"type\":\"media-state\",\"audio\":null,\"video\":true}", SIG_ERR_BAD_FIELD },
  { "media-state-extra", "{\"type\":\"media-state\",\"audio\":true,\"video\":true,\"screen\":true}", SIG_ERR_BAD_FIELD },
  { "modality-missing", "{\"type\":\"modality\"}", SIG_ERR_BAD_FIELD },
  { "modality-unknown", "{\"type\":\"modality\",\"modality\":\"telepathy\"}", SIG_ERR_BAD_FIELD },
  { "modality-case", "{\"type\":\"modality\",\"modality\":\"Video\"}", SIG_ERR_BAD_FIELD },
  { "modality-prefix", "{\"type\":\"modality\",\"modality\":\"audio-only-ish\"}", SIG_ERR_BAD_FIELD },
  /* connect-trouble (issue 11): one boolean, nothing else */
  { "trouble-missing", "{\"type\":\"connect-trouble\"}", SIG_ERR_BAD_FIELD },
  { "trouble-string", "{\"type\":\"connect-trouble\",\"trouble\":\"yes\"}", SIG_ERR_BAD_FIELD },
  { "trouble-number", "{\"type\":\"connect-trouble\",\"trouble\":1}", SIG_ERR_BAD_FIELD },
  { "trouble-extra", "{\"type\":\"connect-trouble\",\"trouble\":true,\"participant\":\"p-1\"}", SIG_ERR_BAD_FIELD },
  { "modality-number", "{\"type\":\"modality\",\"modality\":1}", SIG_ERR_BAD_FIELD },
  { "modality-empty", "{\"type\":\"modality\",\"modality\":\"\"}", SIG_ERR_BAD_FIELD },
};

/* --------------------------------------------------------- valid messages */

static void
parse_ok (const char *json, SigMessage *msg)
{
  GError *error = NULL;

  if (!sig_message_parse (json, strlen (json), msg, &error))
    g_error ("unexpected rejection of %s: %s", json, error->message);
  g_assert_no_error (error);
}

static void
test_valid_hello (void)
{
  SigMessage msg;

  parse_ok ("{\"type\":\"hello\",\"token\":\"Ab-_09xyz\"}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_HELLO);
  g_assert_cmpstr (msg.u.hello.token, ==, "Ab-_09xyz");
  g_assert_null (msg.u.hello.visit);
  sig_message_clear (&msg);
  g_assert_null (msg.u.hello.token);

  parse_ok ("{\"type\":\"hello\",\"visit\":\"0b6f1c9e-1d2a-4c3b-9e8f-0123456789ab\"}", &msg);
  g_assert_null (msg.u.hello.token);
  g_assert_cmpstr (msg.u.hello.visit, ==, "0b6f1c9e-1d2a-4c3b-9e8f-0123456789ab");
  sig_message_clear (&msg);

  /* Field order is free; padding at the end of a token is accepted. */
  parse_ok ("{\"visit\":\"v1\",\"token\":\"abc==\",\"type\":\"hello\"}", &msg);
  g_assert_cmpstr (msg.u.hello.token, ==, "abc==");
  g_assert_cmpstr (msg.u.hello.visit, ==, "v1");
  sig_message_clear (&msg);
  sig_message_clear (&msg);   /* twice is harmless */
}

static void
test_valid_admit_answer (void)
{
  SigMessage msg;

  parse_ok ("{\"type\":\"admit\",\"participant\":\"p_1-A\"}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_ADMIT);
  g_assert_cmpstr (msg.u.admit.participant, ==, "p_1-A");
  sig_message_clear (&msg);

  parse_ok ("{\"type\":\"answer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n\"}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_ANSWER);
  g_assert_cmpstr (msg.u.answer.sdp, ==, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n");
  sig_message_clear (&msg);
}

static void
test_valid_ice (void)
{
  SigMessage msg;

  parse_ok ("{\"type\":\"ice\",\"candidate\":\"candidate:1 1 UDP 2122260223 127.0.0.1 5000 typ host\","
            "\"sdpMLineIndex\":1,\"sdpMid\":\"1\"}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_ICE);
  g_assert_cmpstr (msg.u.ice.candidate, ==, "candidate:1 1 UDP 2122260223 127.0.0.1 5000 typ host");
  g_assert_cmpuint (msg.u.ice.mline, ==, 1);
  sig_message_clear (&msg);

  /* End of candidates, a null mid, the highest m-line. */
  parse_ok ("{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":15,\"sdpMid\":null}", &msg);
  g_assert_cmpstr (msg.u.ice.candidate, ==, "");
  g_assert_cmpuint (msg.u.ice.mline, ==, SIG_MAX_MLINE);
  sig_message_clear (&msg);

  parse_ok ("{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":0}", &msg);
  g_assert_cmpuint (msg.u.ice.mline, ==, 0);
  sig_message_clear (&msg);

  /* "-0" is an integer zero in JSON. */
  parse_ok ("{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":-0}", &msg);
  g_assert_cmpuint (msg.u.ice.mline, ==, 0);
  sig_message_clear (&msg);
}

static void
test_valid_chat (void)
{
  SigMessage msg;

  /* Escapes decode; non-ASCII and surrounding whitespace are kept. */
  parse_ok ("{\"type\":\"chat\",\"text\":\" caf\\u00e9 \xf0\x9f\x98\x80 \\\"hi\\\"\\n\"}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_CHAT);
  g_assert_cmpstr (msg.u.chat.text, ==, " caf\xc3\xa9 \xf0\x9f\x98\x80 \"hi\"\n");
  sig_message_clear (&msg);

  /* Markup is just text here; escaping is the page's job. */
  parse_ok ("{\"type\":\"chat\",\"text\":\"<b>x</b>\"}", &msg);
  g_assert_cmpstr (msg.u.chat.text, ==, "<b>x</b>");
  sig_message_clear (&msg);
}

static void
test_valid_leave_end (void)
{
  SigMessage msg;

  parse_ok ("  {\"type\":\"leave\"}\r\n", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_LEAVE);
  sig_message_clear (&msg);

  parse_ok ("{\"type\":\"\\u0065nd\"}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_END);
  sig_message_clear (&msg);
}

static void
test_valid_media_state_modality (void)
{
  SigMessage msg;

  parse_ok ("{\"type\":\"media-state\",\"audio\":false,\"video\":true}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_MEDIA_STATE);
  g_assert_false (msg.u.media_state.audio);
  g_assert_true (msg.u.media_state.video);
  sig_message_clear (&msg);

  parse_ok ("{\"video\":false,\"audio\":true,\"type\":\"media-state\"}", &msg);
  g_assert_true (msg.u.media_state.audio);
  g_assert_false (msg.u.media_state.video);
  sig_message_clear (&msg);

  parse_ok ("{\"type\":\"modality\",\"modality\":\"audio-only\"}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_MODALITY);
  g_assert_cmpstr (msg.u.modality.modality, ==, "audio-only");
  sig_message_clear (&msg);

  parse_ok ("{\"type\":\"modality\",\"modality\":\"video\"}", &msg);
  g_assert_cmpstr (msg.u.modality.modality, ==, "video");
  sig_message_clear (&msg);

  parse_ok ("{\"type\":\"connect-trouble\",\"trouble\":true}", &msg);
  g_assert_cmpint (msg.type, ==, SIG_MSG_CONNECT_TROUBLE);
  g_assert_true (msg.u.connect_trouble.trouble);
  sig_message_clear (&msg);
  parse_ok ("{\"trouble\":false,\"type\":\"connect-trouble\"}", &msg);
  g_assert_false (msg.u.connect_trouble.trouble);
  sig_message_clear (&msg);
}

/* The parser honours `len` and needs no terminating NUL. */
static void
test_length_respected (void)
{
  const char buf[] = "{\"type\":\"leave\"}{\"type\":\"end\"}";
  char *exact = g_memdup2 ("{\"type\":\"end\"}", 14);   /* no NUL at the end */
  SigMessage msg;
  GError *error = NULL;

  g_assert_true (sig_message_parse (buf, 16, &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (msg.type, ==, SIG_MSG_LEAVE);
  sig_message_clear (&msg);

  g_assert_true (sig_message_parse (exact, 14, &msg, &error));
  g_assert_cmpint (msg.type, ==, SIG_MSG_END);
  sig_message_clear (&msg);
  g_free (exact);

  g_assert_false (sig_message_parse (buf, 15, &msg, &error));
  g_assert_error (error, SIG_ERROR, SIG_ERR_BAD_JSON);
  g_clear_error (&error);

  g_assert_false (sig_message_parse (NULL, 0, &msg, &error));
  g_assert_error (error, SIG_ERROR, SIG_ERR_BAD_JSON);
  g_clear_error (&error);

  /* Errors are optional for the caller. */
  g_assert_false (sig_message_parse ("{}", 2, &msg, NULL));
}

/* Every limit is inclusive: exactly at the limit parses. */
static void
test_limits_inclusive (void)
{
  SigMessage msg;
  char *v, *s;

  v = repeat ("t", SIG_MAX_TOKEN_CHARS);
  s = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"%s\"}", v);
  parse_ok (s, &msg);
  g_assert_cmpuint (strlen (msg.u.hello.token), ==, SIG_MAX_TOKEN_CHARS);
  sig_message_clear (&msg);
  g_free (s);
  g_free (v);

  v = repeat ("p", SIG_MAX_ID_CHARS);
  s = g_strdup_printf ("{\"type\":\"admit\",\"participant\":\"%s\"}", v);
  parse_ok (s, &msg);
  sig_message_clear (&msg);
  g_free (s);
  g_free (v);

  v = repeat ("x", SIG_MAX_SDP_BYTES);
  s = g_strdup_printf ("{\"type\":\"answer\",\"sdp\":\"%s\"}", v);
  parse_ok (s, &msg);
  g_assert_cmpuint (strlen (msg.u.answer.sdp), ==, SIG_MAX_SDP_BYTES);
  sig_message_clear (&msg);
  g_free (s);
  g_free (v);

  v = repeat ("c", SIG_MAX_CANDIDATE_BYTES);
  s = g_strdup_printf ("{\"type\":\"ice\",\"candidate\":\"%s\",\"sdpMLineIndex\":0}", v);
  parse_ok (s, &msg);
  sig_message_clear (&msg);
  g_free (s);
  g_free (v);

  /* 2000 characters of 4 bytes each: 8000 bytes, still within the limit. */
  v = repeat ("\xf0\x9f\x98\x80", SIG_MAX_CHAT_CHARS);
  s = g_strdup_printf ("{\"type\":\"chat\",\"text\":\"%s\"}", v);
  parse_ok (s, &msg);
  g_assert_cmpint (g_utf8_strlen (msg.u.chat.text, -1), ==, SIG_MAX_CHAT_CHARS);
  sig_message_clear (&msg);
  g_free (s);
  g_free (v);

  /* A frame of exactly SIG_MAX_FRAME_BYTES (padded with whitespace). */
  s = repeat (" ", SIG_MAX_FRAME_BYTES);
  memcpy (s, "{\"type\":\"leave\"}", 16);
  {
    GError *error = NULL;

    g_assert_true (sig_message_parse (s, SIG_MAX_FRAME_BYTES, &msg, &error));
    g_assert_no_error (error);
    sig_message_clear (&msg);
  }
  g_free (s);
}

/* Every proper prefix of a valid frame is unparseable, never a crash or a
 * half-filled message. */
static void
test_truncations (void)
{
  const char *full = "{\"type\":\"ice\",\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\","
                     "\"sdpMLineIndex\":1,\"sdpMid\":\"0\"}";
  gsize len = strlen (full);

  for (gsize i = 0; i < len; i++)
    {
      char *prefix = g_memdup2 (full, i);   /* not NUL-terminated on purpose */
      SigMessage msg;
      GError *error = NULL;

      g_assert_false (sig_message_parse (prefix, i, &msg, &error));
      g_assert_error (error, SIG_ERROR, SIG_ERR_BAD_JSON);
      g_clear_error (&error);
      g_free (prefix);
    }
}

/* Cheap deterministic fuzzing: random byte edits of valid frames must end
 * in success or in one of the parse error codes, and never leak (ASan). */
static void
test_mutations (void)
{
  static const char *seeds[] = {
    "{\"type\":\"hello\",\"token\":\"abc\",\"visit\":\"v-1\"}",
    "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":3,\"sdpMid\":null}",
    "{\"type\":\"chat\",\"text\":\"h\\u00e9llo\"}",
    "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}",
    "{\"type\":\"admit\",\"participant\":\"p1\"}",
  };
  static const char alphabet[] = "{}[]\":,\\0123456789-.eEnulltruefalse \x00\xc3\xa9\xff";
  GRand *rand = g_rand_new_with_seed (20261127);

  for (guint iter = 0; iter < 20000; iter++)
    {
      const char *seed = seeds[g_rand_int_range (rand, 0, G_N_ELEMENTS (seeds))];
      GString *buf = g_string_new (seed);
      guint edits = g_rand_int_range (rand, 1, 4);
      SigMessage msg;
      GError *error = NULL;

      for (guint e = 0; e < edits && buf->len > 0; e++)
        {
          guint pos = g_rand_int_range (rand, 0, buf->len);
          char c = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0: buf->str[pos] = c; break;
            case 1: g_string_erase (buf, pos, 1); break;
            default: g_string_insert_c (buf, pos, c); break;
            }
        }

      if (sig_message_parse (buf->str, buf->len, &msg, &error))
        {
          g_assert_no_error (error);
          g_assert_cmpint (msg.type, <=, SIG_MSG_END);
          sig_message_clear (&msg);
        }
      else
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == SIG_ERROR);
          g_assert_cmpint (error->code, >=, SIG_ERR_BAD_JSON);
          g_assert_cmpint (error->code, <=, SIG_ERR_TOO_LARGE);
          g_clear_error (&error);
        }
      g_string_free (buf, TRUE);
    }
  g_rand_free (rand);
}

/* ----------------------------------------------------------------- names */

static void
test_names (void)
{
  static const char *expected[] = {
    "bad-json", "bad-utf8", "not-object", "missing-type", "unknown-type", "bad-field",
    "too-large", "binary-unsupported", "unauthorized", "forbidden", "bad-state",
    "not-found", "bad-sdp", "bad-candidate", "rate-limited", "internal",
  };
  static const char *types[] = { "hello", "admit", "answer", "ice", "chat", "leave", "end" };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (sig_error_code_name ((SigErrorCode) i), ==, expected[i]);
  g_assert_cmpstr (sig_error_code_name ((SigErrorCode) 999), ==, "internal");

  g_assert_cmpstr (sig_role_name (SIG_ROLE_PATIENT), ==, "patient");
  g_assert_cmpstr (sig_role_name (SIG_ROLE_PROVIDER), ==, "provider");
  g_assert_cmpstr (sig_role_name (SIG_ROLE_GUEST), ==, "guest");

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    g_assert_cmpstr (sig_msg_type_name ((SigMsgType) i), ==, types[i]);

  g_assert_cmpstr (g_quark_to_string (SIG_ERROR), ==, "sig-error-quark");
}

static void
test_identity_clear (void)
{
  SigIdentity id = {
    .visit_id = g_strdup ("v"), .role = SIG_ROLE_PROVIDER,
    .participant_id = g_strdup ("p"), .display_name = g_strdup ("Dr. A"),
    .visit_state = g_strdup ("waiting"),
  };

  sig_identity_clear (&id);
  g_assert_null (id.visit_id);
  g_assert_null (id.participant_id);
  g_assert_null (id.display_name);
  g_assert_null (id.visit_state);
  g_assert_cmpint (id.role, ==, 0);
  sig_identity_clear (&id);
  sig_identity_clear (NULL);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);

  reject_cases = g_ptr_array_new_with_free_func (reject_case_free);
  for (guint i = 0; i < G_N_ELEMENTS (fixed_rejects); i++)
    add_reject (fixed_rejects[i].name, fixed_rejects[i].json, fixed_rejects[i].code);
  add_generated_rejects ();

  g_test_add_func ("/protocol/valid/hello", test_valid_hello);
  g_test_add_func ("/protocol/valid/admit-answer", test_valid_admit_answer);
  g_test_add_func ("/protocol/valid/ice", test_valid_ice);
  g_test_add_func ("/protocol/valid/chat", test_valid_chat);
  g_test_add_func ("/protocol/valid/leave-end", test_valid_leave_end);
  g_test_add_func ("/protocol/valid/media-state-modality", test_valid_media_state_modality);
  g_test_add_func ("/protocol/valid/length-respected", test_length_respected);
  g_test_add_func ("/protocol/valid/limits-inclusive", test_limits_inclusive);
  g_test_add_func ("/protocol/robust/truncations", test_truncations);
  g_test_add_func ("/protocol/robust/mutations", test_mutations);
  g_test_add_func ("/protocol/names", test_names);
  g_test_add_func ("/protocol/identity-clear", test_identity_clear);

  rc = g_test_run ();
  g_ptr_array_unref (reject_cases);
  return rc;
}
