/* expect: ML603 abort — mk_free_sized names another intent and size class */
#include "hazard.h"
int main(void)
{
    hazard_init();
    void *p = mk_alloc(MK_INTENT_PHYSICS, 24);
    mk_free_sized(MK_INTENT_TINY, p, 200);
    return hazard_not_caught();
}
