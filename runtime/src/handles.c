/* handles.c — generational handle tables. */
#include "internal.h"

mk_status_t mk__handles_init(void) { return MK_OK; }
void mk__handles_fini(void) {}
bool mk__handles_validate(FILE *report) { (void)report; return true; }
