/* expect: ML606 abort — a handle used after its block was freed */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_handle_t h = mk_handle_alloc(MK_HANDLES_ENTITIES);
    (void)mk_handle_free(h);
    (void)mk_handle_get(h);
    return hazard_not_caught();
}
