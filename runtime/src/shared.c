/* shared.c — shared reference-counted buffers and their registry. */
#include "internal.h"

void mk__shared_init(void) {}
void mk__shared_fini(void) {}
bool mk__shared_validate(FILE *report) { (void)report; return true; }
