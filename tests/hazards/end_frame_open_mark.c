/* expect: ML104 exit 0 — a checkpoint neither rewound nor released at mk_end_frame */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_begin_frame();
    mk_frame_mark_t mark = mk_frame_mark();
    (void)mark;
    (void)mk_alloc(MK_INTENT_FRAME_DATA, 64);
    mk_end_frame();
    return (int)mk_shutdown();
}
