#include "server/app.h"
#include "server/api/api.h"
