/* expect: ML401 exit 0 — a phase allocating more than MKG_SENTINEL_PHASE_ALLOC_LIMIT times in a frame */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_begin_frame();
    (void)mk_phase_begin("particles");
    for (int i = 0; i < 100001; i++)
        mk_free(mk_alloc(MK_INTENT_PHYSICS, 16));
    mk_phase_end();
    mk_end_frame();
    return (int)mk_shutdown();
}
