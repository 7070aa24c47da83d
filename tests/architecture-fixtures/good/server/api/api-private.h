#pragma once
#include "server/api/api.h"
#include "server/store/store.h"
