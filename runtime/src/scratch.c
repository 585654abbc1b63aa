/* scratch.c — scratch buffers kept between frames. */
#include "internal.h"

void mk__scratch_init(void) {}
void mk__scratch_fini(void) {}
