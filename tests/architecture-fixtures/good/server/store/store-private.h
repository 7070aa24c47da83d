#pragma once
#include "server/store/store.h"
