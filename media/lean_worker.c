/* lean_worker.c — placeholder (lean-private.h). */
#include "media/lean-private.h"

GMainContext *
lean_worker_pick (void)
{
  return g_main_context_ref (g_main_context_default ());
}
