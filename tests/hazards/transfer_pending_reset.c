/* expect: ML402 exit 0 — a frame slot reset while a transfer of its memory is pending */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_transfer_t t;
    mk_begin_frame();
    void *p = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    (void)mk_transfer_init(&t, p, 64);
    mk_end_frame();
    for (int f = 0; f < 2; f++) {
        mk_begin_frame();
        (void)mk_alloc(MK_INTENT_FRAME_DATA, 16);
        mk_end_frame();
    }
    return (int)mk_shutdown();
}
