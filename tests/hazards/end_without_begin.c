/* expect: ML102 exit 0 — mk_end_frame without an open frame */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_end_frame();
    return (int)mk_shutdown();
}
