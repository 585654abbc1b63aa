/* expect: ML101 exit 0 — mk_begin_frame twice without mk_end_frame */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_begin_frame();
    mk_begin_frame();
    mk_end_frame();
    return (int)mk_shutdown();
}
