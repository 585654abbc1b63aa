/* lifecycle.c — frame checkpoints, phases, intent scopes and frame callbacks. */
#include "internal.h"

void mk__lifecycle_init(void) {}
void mk__lifecycle_frame_begin(void) {}
void mk__lifecycle_frame_end(void) {}
