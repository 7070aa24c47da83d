/* lean_path.c — placeholder (lean-private.h). */
#include "media/lean-private.h"
