#include "server/records/records.h"
#include "server/store/store.h"
