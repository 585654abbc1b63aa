/* expect: ML202 abort — one transfer accepted twice */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_transfer_t t;
    void *p = mk_alloc(MK_INTENT_PHYSICS, 32);
    (void)mk_transfer_init(&t, p, 32);
    (void)mk_transfer_accept(&t);
    (void)mk_transfer_accept(&t);
    return hazard_not_caught();
}
