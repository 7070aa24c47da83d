#include "server/api/api-helpers.h"
