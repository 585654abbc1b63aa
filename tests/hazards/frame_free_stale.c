/* expect: ML103 abort — frame memory freed after its frame left flight */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_begin_frame();
    void *old = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    mk_end_frame();
    for (int f = 0; f < 2; f++) {
        mk_begin_frame();
        mk_end_frame();
    }
    mk_begin_frame();
    (void)mk_alloc(MK_INTENT_FRAME_DATA, 16); /* this thread enters the frame: the slot is reset */
    mk_free(old);
    return hazard_not_caught();
}
