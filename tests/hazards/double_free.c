/* expect: ML601 abort — a pool block freed twice */
#include "hazard.h"
int main(void)
{
    hazard_init();
    void *p = mk_alloc(MK_INTENT_PHYSICS, 40);
    mk_free(p);
    mk_free(p);
    return hazard_not_caught();
}
