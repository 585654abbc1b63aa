/* expect: ML602 abort — mk_free of memory memkit never returned */
#include "hazard.h"
int main(void)
{
    hazard_init();
    static unsigned char not_ours[64];
    mk_free(not_ours + 16);
    return hazard_not_caught();
}
