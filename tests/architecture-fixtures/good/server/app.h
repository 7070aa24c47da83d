#pragma once
#include "server/store/store.h"
#include "server/records/records.h"
