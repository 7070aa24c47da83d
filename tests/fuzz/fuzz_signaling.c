/* fuzz_signaling.c — the WebSocket message decoder (sig_message_parse) on
 * arbitrary frames: it must return a message or an error, never crash,
 * leak or read out of bounds, and an error must carry a wire code. */
#include "tests/fuzz/fuzz_common.h"
#include "signaling/signaling.h"

#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_fatal_criticals ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* A private copy of exactly `size` bytes, so ASan sees any overread. */
  char *frame = g_memdup2 (data, size);
  GError *error = NULL;
  SigMessage msg;

  if (sig_message_parse (size ? frame : "", size, &msg, &error)) {
    g_assert_no_error (error);
    g_assert_cmpstr (sig_msg_type_name (msg.type), !=, "unknown");
    sig_message_clear (&msg);
  } else {
    g_assert_nonnull (error);
    g_assert_true (error->domain == SIG_ERROR);
    g_assert_nonnull (sig_error_code_name ((SigErrorCode) error->code));
    g_error_free (error);
  }
  g_free (frame);
  return 0;
}
