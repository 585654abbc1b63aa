/* expect: ML605 abort — one byte written past a block, found by mk_free */
#include "hazard.h"
int main(void)
{
    hazard_init();
    unsigned char *p = mk_alloc(MK_INTENT_PHYSICS, 40);
    p[40] = 7; /* the canary's first byte */
    mk_free(p);
    return hazard_not_caught();
}
