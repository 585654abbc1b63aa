/* expect: ML105 exit 0 — mk_end_frame while a phase is open */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_begin_frame();
    (void)mk_phase_begin("physics_step");
    mk_end_frame();
    mk_phase_end();
    return (int)mk_shutdown();
}
