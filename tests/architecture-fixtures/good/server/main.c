#include "server/app.h"
#include "server/api/api.h"
#include "signaling/signaling.h"

int
main (void)
{
  return 0;
}
