/* engine.c — which data path relays a visit's media (media.h, MediaEngine). */
#include "media/media-private.h"

/* The lean engine: the same browser behaviour as webrtcbin's (every browser
 * test passes on both) at a fraction of the threads, CPU and memory per
 * visit (README, Performance). */
MediaEngine
media_engine_default (void)
{
  return MEDIA_ENGINE_LEAN;
}

const char *
media_engine_name (MediaEngine engine)
{
  switch (engine == MEDIA_ENGINE_DEFAULT ? media_engine_default () : engine) {
  case MEDIA_ENGINE_LEAN:
    return "lean";
  case MEDIA_ENGINE_WEBRTCBIN:
    return "webrtcbin";
  default:
    return "?";
  }
}
