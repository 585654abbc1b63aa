/* deferred.c — deferred frees, released when their frames have ended. */
#include "internal.h"

void mk__deferred_init(void) {}
void mk__deferred_end_frame(void) {}
void mk__deferred_fini(void) {}
