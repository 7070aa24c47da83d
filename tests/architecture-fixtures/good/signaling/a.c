#include "signaling/signaling.h"

void
sig_a (void)
{
  sig_b ();
  media_ok_function ();
}
