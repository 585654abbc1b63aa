/* expect: ML201 abort — another thread frees frame memory */
#include "hazard.h"
static void *free_it(void *p)
{
    mk_free(p);
    return NULL;
}
int main(void)
{
    hazard_init();
    mk_begin_frame();
    void *p = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    hazard_on_thread(free_it, p);
    return hazard_not_caught();
}
