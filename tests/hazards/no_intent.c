/* expect: ML501 exit 0 — mk_alloc_current with no intent pushed */
#include "hazard.h"
int main(void)
{
    hazard_init();
    if (mk_alloc_current(32) != NULL)
        return hazard_not_caught();
    return (int)mk_shutdown();
}
