#include "signaling/signaling.h"

void
sig_b (void)
{
  sig_a ();
}
