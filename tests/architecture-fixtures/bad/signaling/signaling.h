#pragma once
void sig_a (void);
void sig_b (void);
