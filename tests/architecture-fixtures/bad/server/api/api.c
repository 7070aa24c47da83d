#include "server/api/api-private.h"
#include "server/app.h"
