/* expect: ML103 abort — frame memory written after its frame left flight */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_begin_frame();
    unsigned char *old = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    mk_end_frame();
    mk_begin_frame();
    (void)mk_alloc(MK_INTENT_FRAME_DATA, 16);
    mk_end_frame();
    mk_begin_frame(); /* two frames in flight: this one reuses the first one's slot */
    (void)mk_alloc(MK_INTENT_FRAME_DATA, 16); /* the thread enters the frame: the slot is reset */
    old[32] = 1; /* beyond the new allocation: reset poison */
    (void)mk_alloc(MK_INTENT_FRAME_DATA, 64);
    return hazard_not_caught();
}
