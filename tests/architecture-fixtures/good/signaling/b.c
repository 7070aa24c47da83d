#include "signaling/signaling.h"

/* sig_a () is named here in a comment only: not a call. */
void
sig_b (void)
{
  const char *s = "sig_a ()";
  (void) s;
}
