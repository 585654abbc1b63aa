/* expect: a write into frame memory once its frame has left flight */
#include "track_case.h"
int main(void)
{
    track_start();
    mk_begin_frame();
    unsigned char *p = mk_alloc(MK_INTENT_SCRATCH, 1024);
    mk_end_frame();
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        (void)mk_alloc(MK_INTENT_SCRATCH, 16); /* the slot is reset; only 16 bytes are live again */
        mk_end_frame();
    }
    track_poke(p, 512);
    mk_shutdown();
    return 0;
}
