#pragma once
#include "media/media.h"
void sig_a (void);
void sig_b (void);
