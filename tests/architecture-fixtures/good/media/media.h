#pragma once
void media_ok_function (void);
