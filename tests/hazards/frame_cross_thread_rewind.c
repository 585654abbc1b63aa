/* expect: ML201 abort — another thread rewinds to this thread's checkpoint */
#include "hazard.h"
static void *rewind_it(void *mark)
{
    (void)mk_frame_rewind(mark);
    return NULL;
}
int main(void)
{
    hazard_init();
    mk_begin_frame();
    mk_frame_mark_t mark = mk_frame_mark();
    (void)mk_alloc(MK_INTENT_FRAME_DATA, 64);
    hazard_on_thread(rewind_it, &mark);
    return hazard_not_caught();
}
