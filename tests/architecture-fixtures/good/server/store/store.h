#pragma once
#include "server/clock/clock.h"
