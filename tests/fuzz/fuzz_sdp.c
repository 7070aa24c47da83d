/* fuzz_sdp.c — what the relay parses out of a client's SDP answer and ICE
 * candidates before an engine sees them (media/sdp_check.c), and what the
 * lean engine reads from a checked answer (media/lean_sdp.c). Byte 0 picks
 * the expected m-line count, byte 1 the candidate's m-line index; the rest
 * is the text (up to a NUL), tried both as an answer and as a candidate. */
#include "tests/fuzz/fuzz_common.h"
#include "media/lean-private.h"

#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  gst_init (NULL, NULL);
  fuzz_fatal_criticals ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  GstSDPMessage *msg = NULL;
  guint expected, mline;
  char *text;

  if (size < 2)
    return 0;
  /* Up to the largest layout (media.h), and a little past it. */
  expected = data[0] % (MEDIA_MAX_MLINES + 2);
  mline = data[1] % (MEDIA_MAX_MLINES + 2);
  text = g_strndup ((const char *) data + 2, size - 2);

  if (media_sdp_parse_answer (text, expected, &msg, &error)) {
    g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, expected);
    LeanAnswer answer;
    if (lean_sdp_read_answer (msg, &answer, &error)) {
      g_assert_nonnull (answer.ice_ufrag);
      g_assert_nonnull (answer.ice_pwd);
      g_assert_nonnull (answer.fingerprint);
      lean_answer_clear (&answer);
    } else {
      g_assert_true (error && error->domain == MEDIA_ERROR);
      g_clear_error (&error);
    }
    gst_sdp_message_free (msg);
  } else {
    g_assert_true (error && error->domain == MEDIA_ERROR);
    g_clear_error (&error);
  }
  if (media_candidate_check (text, mline, expected, &error)) {
    g_assert_true (g_str_has_prefix (text, "candidate:") && strlen (text) <= 1024);
    g_assert_cmpuint (mline, <, MEDIA_MAX_MLINES);
    g_assert_true (expected == 0 || mline < expected);
    (void) media_candidate_is_mdns (text);
  } else {
    g_assert_true (error && error->domain == MEDIA_ERROR);
    g_clear_error (&error);
  }
  g_free (text);
  return 0;
}
