/* expect: ML604 abort — a pool block written after mk_free, found when handed out again */
#include "hazard.h"
int main(void)
{
    hazard_init();
    unsigned char *p = mk_alloc(MK_INTENT_PHYSICS, 40);
    mk_free(p);
    p[8] = 1; /* still pool memory: the sentinel poisoned it */
    (void)mk_alloc(MK_INTENT_PHYSICS, 40);
    return hazard_not_caught();
}
