#pragma once
#include "server/api/api.h"
