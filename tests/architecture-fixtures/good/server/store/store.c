#include "server/store/store-private.h"
