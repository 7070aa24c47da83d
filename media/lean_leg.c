/* lean_leg.c — placeholder (lean-private.h). */
#include "media/lean-private.h"
