#pragma once
#include "server/app.h"
