#include "server/http/http.h"
#include "server/api/api-private.h"
